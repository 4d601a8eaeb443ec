/*
 * seed_replay.h: the fuzz seeds double as unit-test inputs. Every seed file
 * in a folder, and every prefix of it (as a connection sees bytes arrive),
 * goes through the fuzz target's own invariant checks. Shared by the three
 * protocol tests and the persist format tests; each includes its fuzz
 * target's source for the target. seed_write() is how a test that makes
 * its seeds writes one.
 */
#ifndef MNEMO_TESTS_SEED_REPLAY_H
#define MNEMO_TESTS_SEED_REPLAY_H

#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static inline void seed_write(const char *dir, const char *name, const char *b, size_t n)
{
    char path[1024];
    snprintf(path, sizeof(path), "%s/%s", dir, name);
    FILE *f = fopen(path, "wb");
    if (f == NULL || fwrite(b, 1, n, f) != n || fclose(f) != 0) {
        perror(path);
        exit(1);
    }
}

static void seed_replay(const char *dir, int (*target)(const uint8_t *, size_t), size_t min_seeds)
{
    DIR *d = opendir(dir);
    struct dirent *e;
    size_t nseeds = 0;

    assert_non_null(d);
    while ((e = readdir(d)) != NULL) {
        char path[1024];
        if (e->d_name[0] == '.') {
            continue;
        }
        snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
        FILE *f = fopen(path, "rb");
        assert_non_null(f);
        fseek(f, 0, SEEK_END);
        long size = ftell(f);
        fseek(f, 0, SEEK_SET);
        uint8_t *data = malloc(size > 0 ? (size_t)size : 1);
        assert_int_equal(fread(data, 1, (size_t)size, f), (size_t)size);
        fclose(f);
        print_message("seed: %s\n", e->d_name);
        for (long cut = 0; cut <= size; cut++) {
            /* an exact-size copy, so ASan catches a read past the end */
            uint8_t *copy = malloc(cut > 0 ? (size_t)cut : 1);
            memcpy(copy, data, (size_t)cut);
            target(copy, (size_t)cut);
            free(copy);
        }
        free(data);
        nseeds++;
    }
    closedir(d);
    assert_true(nseeds >= min_seeds);
}

#endif
