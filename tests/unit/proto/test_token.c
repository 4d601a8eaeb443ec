/*
 * test_token.c: token_end() (src/proto/token.h), the word-at-a-time search
 * for the ' ' that ends a token, against a byte-by-byte reference: every
 * length up to 40 with the space (or none) at every position and the buffer
 * at every alignment; bytes that the word trick could mistake for a space
 * ('!' right after one, 0xA0, 0x00); random buffers. Buffers are exact-size
 * heap allocations, so a read past the end is an ASan error.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "proto/token.h"

static const char *reference(const char *p, const char *end)
{
    while (p < end && *p != ' ')
        p++;
    return p;
}

/* token_end over every start offset of buf[0..len), each as its own
 * exact-size heap copy starting at a varying alignment. */
static void check_all_starts(const char *buf, size_t len)
{
    for (size_t align = 0; align < 8; align++) {
        char *block = malloc(len + align + 1);
        assert_non_null(block);
        char *copy = block + align;
        memcpy(copy, buf, len);
        for (size_t start = 0; start <= len; start++) {
            const char *got = token_end(copy + start, copy + len);
            assert_ptr_equal(got, reference(copy + start, copy + len));
        }
        free(block);
    }
}

static void test_one_space_anywhere(void **state)
{
    (void)state;
    char buf[40];
    for (size_t len = 0; len <= sizeof(buf); len++) {
        memset(buf, 'k', sizeof(buf));
        check_all_starts(buf, len); /* no space at all: the end */
        for (size_t at = 0; at < len; at++) {
            memset(buf, 'k', sizeof(buf));
            buf[at] = ' ';
            check_all_starts(buf, len);
        }
    }
}

static void test_look_alike_bytes(void **state)
{
    (void)state;
    /* after the xor with spaces, '!' is 0x01 (a borrow from a zero byte below
     * it can mark it), 0xA0 is 0x80 and 0x00 is 0x20: none is a space */
    const char *cases[] = {
        "!!!!!!!!!!!!!!!!", "\xa0\xa0\xa0\xa0\xa0\xa0\xa0\xa0\xa0", "ab !!!!!!!!!!!!",
        "abcdefg !", "abcdefgh!!!!!!! x", "\x00\x00\x00\x00\x00\x00\x00\x00\x00 ",
        "\xff\xfe\xdf\x20\x21", "!\x20!\x20!\x20!\x20",
    };
    size_t lens[] = {16, 9, 15, 9, 17, 10, 5, 8};
    for (size_t i = 0; i < sizeof(lens) / sizeof(lens[0]); i++)
        check_all_starts(cases[i], lens[i]);
    /* a key of 64 bytes, as memcaslap sends, then its line's other tokens */
    char line[80];
    memset(line, 'x', 64);
    memcpy(line + 64, " 0 0 1024", 9);
    const char *end = token_end(line, line + 73);
    assert_ptr_equal(end, line + 64);
}

static void test_random_buffers(void **state)
{
    (void)state;
    static const char alphabet[] = {' ', '!', 'a', 'z', '\0', '\x01', '\xa0', '\xff'};
    unsigned seed = 12345;
    char buf[64];
    for (int round = 0; round < 3000; round++) {
        size_t len = (size_t)rand_r(&seed) % (sizeof(buf) + 1);
        /* sparse spaces most of the time, so long tokens are common */
        int dense = rand_r(&seed) % 4 == 0;
        for (size_t i = 0; i < len; i++) {
            int r = rand_r(&seed);
            buf[i] = dense ? alphabet[r % 8] : (r % 29 == 0 ? ' ' : alphabet[1 + r % 7]);
        }
        check_all_starts(buf, len);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_one_space_anywhere),
        cmocka_unit_test(test_look_alike_bytes),
        cmocka_unit_test(test_random_buffers),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
