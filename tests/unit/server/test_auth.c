/*
 * test_auth.c: the -Y table (server/auth.c): how a file is read, how a
 * "user password" token is checked, and that a reload that fails keeps
 * the table it had.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "server/auth.h"

static char path[] = "/tmp/mnemo-test-auth-XXXXXX";

static void write_file(const char *text)
{
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

static int setup(void **state)
{
    (void)state;
    int fd = mkstemp(path);
    if (fd < 0)
        return -1;
    close(fd);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    unlink(path);
    return 0;
}

static enum auth_result check(struct auth *a, const char *token)
{
    return auth_check(a, token, strlen(token));
}

static void tokens_are_checked(void **state)
{
    (void)state;
    struct auth *a = NULL;
    char err[256];
    write_file("alice:secret\r\n\nbob:pw:with:colons\ncarol:two words\n");
    assert_int_equal(auth_open(path, &a, err, sizeof(err)), 0);
    assert_int_equal(auth_entries(a), 3);
    assert_int_equal(check(a, "alice secret"), AUTH_OK);
    assert_int_equal(check(a, "bob pw:with:colons"), AUTH_OK);
    assert_int_equal(check(a, "carol two words"), AUTH_OK);
    assert_int_equal(check(a, "alice secre"), AUTH_FAILED);
    assert_int_equal(check(a, "alice secret "), AUTH_FAILED);
    assert_int_equal(check(a, "alice  secret"), AUTH_FAILED);
    assert_int_equal(check(a, "bob secret"), AUTH_FAILED);
    assert_int_equal(check(a, "alic secret"), AUTH_FAILED);
    assert_int_equal(check(a, "alice "), AUTH_FAILED);
    assert_int_equal(check(a, "alice"), AUTH_BAD_FORMAT);
    assert_int_equal(check(a, " secret"), AUTH_BAD_FORMAT);
    assert_int_equal(check(a, ""), AUTH_BAD_FORMAT);
    /* a token is bytes: a NUL in it is not an end */
    assert_int_equal(auth_check(a, "alice secret\0x", 14), AUTH_FAILED);
    auth_close(a);
}

static void bad_files_are_refused_with_the_line(void **state)
{
    (void)state;
    struct auth *a = NULL;
    char err[256];
    write_file("alice:secret\nnocolon\n");
    assert_int_equal(auth_open(path, &a, err, sizeof(err)), -1);
    assert_null(a);
    assert_non_null(strstr(err, "line 2"));
    write_file(":nouser\n");
    assert_int_equal(auth_open(path, &a, err, sizeof(err)), -1);
    assert_non_null(strstr(err, "line 1"));
    char *big = malloc(AUTH_TOKEN_MAX + 16);
    assert_non_null(big);
    memset(big, 'p', AUTH_TOKEN_MAX + 8);
    memcpy(big, "u:", 2);
    strcpy(big + AUTH_TOKEN_MAX + 8, "\n");
    write_file(big);
    free(big);
    assert_int_equal(auth_open(path, &a, err, sizeof(err)), -1);
    assert_int_equal(auth_open("/nonexistent/auth", &a, err, sizeof(err)), -1);
    assert_non_null(strstr(err, "could not open"));
}

static void reload_swaps_or_keeps(void **state)
{
    (void)state;
    struct auth *a = NULL;
    char err[256];
    write_file("alice:secret\n");
    assert_int_equal(auth_open(path, &a, err, sizeof(err)), 0);
    write_file("dave:new\n");
    assert_int_equal(auth_reload(a, err, sizeof(err)), 0);
    assert_int_equal(check(a, "dave new"), AUTH_OK);
    assert_int_equal(check(a, "alice secret"), AUTH_FAILED);
    write_file("broken\n");
    assert_int_equal(auth_reload(a, err, sizeof(err)), -1);
    assert_int_equal(check(a, "dave new"), AUTH_OK);
    write_file("");
    assert_int_equal(auth_reload(a, err, sizeof(err)), 0);
    assert_int_equal(auth_entries(a), 0);
    assert_int_equal(check(a, "dave new"), AUTH_FAILED);
    auth_close(a);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(tokens_are_checked),
        cmocka_unit_test(bad_files_are_refused_with_the_line),
        cmocka_unit_test(reload_swaps_or_keeps),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
