/*
 * expo.h: the Prometheus text exposition format (version 0.0.4), written
 * into a growing buffer: a family's HELP and TYPE lines, then its samples.
 * Pure: no I/O, no knowledge of what is measured. The metrics thread hands
 * one expo to the collector for each scrape and sends what it holds.
 *
 * A failed allocation marks the buffer broken (expo_ok() false) and every
 * later call does nothing, so a collector needs no error checks of its own.
 */
#ifndef MNEMO_METRICS_EXPO_H
#define MNEMO_METRICS_EXPO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum expo_type { EXPO_COUNTER, EXPO_GAUGE, EXPO_HISTOGRAM };

struct expo;

/* An empty buffer, or NULL when out of memory. */
struct expo *expo_create(void);

/* Free *e and set it NULL (NULL is fine). */
void expo_free(struct expo **e);

/* Forget what was written; keep the memory. */
void expo_reset(struct expo *e);

/* "# HELP name help" and "# TYPE name type". help is plain text; a
 * backslash or newline in it is escaped. Every family is declared once,
 * before its samples (the format requires it). */
void expo_family(struct expo *e, const char *name, enum expo_type type, const char *help);

/* One sample: name{k1="v1",...} value. labels is NULL or an array of
 * key, value, key, value, ..., NULL; label values are escaped. */
void expo_u64(struct expo *e, const char *name, const char *const *labels, uint64_t v);
void expo_f64(struct expo *e, const char *name, const char *const *labels, double v);

/* A family with a single unlabelled sample: the common case. */
void expo_one_u64(struct expo *e, const char *name, enum expo_type type, const char *help,
                  uint64_t v);
void expo_one_f64(struct expo *e, const char *name, enum expo_type type, const char *help,
                  double v);

/* What was written (not NUL-terminated) and its length. */
const char *expo_data(const struct expo *e);
size_t expo_len(const struct expo *e);

/* False once an allocation failed: the text is incomplete. */
bool expo_ok(const struct expo *e);

#endif
