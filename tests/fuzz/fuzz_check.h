/*
 * fuzz_check.h: what every fuzz target shares. FUZZ_CHECK(cond) aborts (a
 * finding, for libFuzzer) unless the includer mapped it first: the unit
 * tests that replay a target's seeds define it as cmocka's assert_true
 * before including the target's source.
 */
#ifndef MNEMO_TESTS_FUZZ_CHECK_H
#define MNEMO_TESTS_FUZZ_CHECK_H

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#ifndef FUZZ_CHECK
#define FUZZ_CHECK(cond)                                                                           \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            abort();                                                                               \
        }                                                                                          \
    } while (0)
#endif

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#endif
