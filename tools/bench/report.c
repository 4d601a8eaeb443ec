/*
 * report.c: formatting of the merged measurements.  Latencies are recorded
 * in nanoseconds and reported in microseconds.
 */
#include "report.h"

#include <stdlib.h>
#include <string.h>

#include "histogram.h"
#include "options.h"
#include "proto.h"
#include "stats.h"

static const double pcts[] = {50, 90, 99, 99.9};
static const char *const pct_names[] = {"p50", "p90", "p99", "p99.9"};
#define NPCT (sizeof(pcts) / sizeof(pcts[0]))

static double seconds(const struct bench_stats *s)
{
    return s->end_ns > s->start_ns ? (double)(s->end_ns - s->start_ns) / 1e9 : 0.0;
}

static double per_sec(uint64_t n, double secs)
{
    return secs > 0 ? (double)n / secs : 0.0;
}

static double us(uint64_t ns)
{
    return (double)ns / 1000.0;
}

static void text_row(FILE *out, const char *name, uint64_t ops, double secs,
                     const struct histogram *h)
{
    fprintf(out, "%-6s %12llu %12.0f %9.1f", name, (unsigned long long)ops, per_sec(ops, secs),
            hist_mean(h) / 1000.0);
    for (size_t i = 0; i < NPCT; i++)
        fprintf(out, " %9.1f", us(hist_percentile(h, pcts[i])));
    fprintf(out, " %9.1f\n", us(h->max));
}

/* a + b in a fresh histogram; NULL when out of memory */
static struct histogram *sum_of(const struct histogram *a, const struct histogram *b)
{
    struct histogram *h = malloc(sizeof(*h));
    if (!h)
        return NULL;
    hist_init(h);
    hist_merge(h, a);
    hist_merge(h, b);
    return h;
}

static void describe(char *buf, size_t len, const struct bench_options *o)
{
    char values[48];
    if (o->value_min == o->value_max)
        snprintf(values, sizeof(values), "%u B", o->value_min);
    else
        snprintf(values, sizeof(values), "%u-%u B", o->value_min, o->value_max);
    char mode[64];
    if (o->rate > 0)
        snprintf(mode, sizeof(mode), "open loop at %.0f req/s", o->rate);
    else
        snprintf(mode, sizeof(mode), "closed loop");
    char shape[1024];
    if (!o->groups_given) {
        snprintf(shape, sizeof(shape), "%u thread(s) x %u conn(s), pipeline %u, %s, get:set %u:%u",
                 o->threads, o->conns, o->pipeline, mode, o->ratio_get, o->ratio_set);
    } else {
        int n = snprintf(shape, sizeof(shape), "%u thread(s), %s, groups", o->threads, mode);
        for (size_t i = 0; i < o->group_count && n > 0 && (size_t)n < sizeof(shape); i++) {
            const struct bench_group *g = &o->groups[i];
            n += snprintf(shape + n, sizeof(shape) - (size_t)n,
                          "%s %s (%u conn(s), pipeline %u, get:set %u:%u)", i ? "," : "",
                          g->name, g->conns, g->pipeline, g->ratio_get, g->ratio_set);
        }
    }
    snprintf(buf, len, "%zu server(s), %s protocol, %s, %llu keys %s, values %s",
             o->server_count, proto_ops_of(o->protocol)->name, shape,
             (unsigned long long)o->keys, o->key_pattern == KEY_ZIPF ? "zipf" : "uniform",
             values);
}

static double hit_pct(const struct bench_stats *s)
{
    uint64_t lookups = s->hits + s->misses;
    return lookups ? 100.0 * (double)s->hits / (double)lookups : 0.0;
}

/* One group's own figures, under the totals. */
static void text_group(FILE *out, const struct bench_group *g, const struct bench_stats *s)
{
    double secs = seconds(s);
    uint64_t ops = s->gets + s->sets;
    fprintf(out, "group %s (%u conn(s), pipeline %u, get:set %u:%u): %.0f ops/s, hit ratio "
                 "%.2f%%, errors %llu, not stored %llu\n",
            g->name, g->conns, g->pipeline, g->ratio_get, g->ratio_set, per_sec(ops, secs),
            hit_pct(s), (unsigned long long)s->errors, (unsigned long long)s->not_stored);
    if (s->gets)
        text_row(out, "gets", s->gets, secs, &s->get_lat);
    if (s->sets)
        text_row(out, "sets", s->sets, secs, &s->set_lat);
}

void report_text(FILE *out, const struct bench_options *o, const struct bench_stats *preload,
                 const struct bench_stats *run, const struct bench_stats *groups)
{
    char desc[2048];
    describe(desc, sizeof(desc), o);
    fprintf(out, "mnemo-bench %s: %s\n", MNEMO_VERSION, desc);
    if (preload) {
        double ps = seconds(preload);
        fprintf(out, "preload: %llu keys in %.2f s (%.0f sets/s)\n",
                (unsigned long long)preload->sets, ps, per_sec(preload->sets, ps));
    }
    double secs = seconds(run);
    uint64_t ops = run->gets + run->sets;
    fprintf(out, "run: %.2f s, %llu ops, %.0f ops/s, hit ratio %.2f%% (%llu hits, %llu misses)\n",
            secs, (unsigned long long)ops, per_sec(ops, secs), hit_pct(run),
            (unsigned long long)run->hits, (unsigned long long)run->misses);
    fprintf(out, "%-6s %12s %12s %9s %9s %9s %9s %9s %9s   (latency in us)\n", "", "ops", "ops/s",
            "mean", pct_names[0], pct_names[1], pct_names[2], pct_names[3], "max");
    struct histogram *all = sum_of(&run->get_lat, &run->set_lat);
    if (run->gets)
        text_row(out, "gets", run->gets, secs, &run->get_lat);
    if (run->sets)
        text_row(out, "sets", run->sets, secs, &run->set_lat);
    if (all)
        text_row(out, "total", ops, secs, all);
    free(all);
    fprintf(out, "traffic: %.1f MB/s out, %.1f MB/s in; errors: %llu; not stored: %llu\n",
            per_sec(run->bytes_out, secs) / 1e6, per_sec(run->bytes_in, secs) / 1e6,
            (unsigned long long)run->errors, (unsigned long long)run->not_stored);
    if (o->groups_given)
        for (size_t i = 0; i < o->group_count; i++)
            text_group(out, &o->groups[i], &groups[i]);
}

static void json_str(FILE *out, const char *s)
{
    fputc('"', out);
    for (; *s; s++) {
        unsigned char ch = (unsigned char)*s;
        if (ch == '"' || ch == '\\')
            fprintf(out, "\\%c", ch);
        else if (ch < 0x20)
            fprintf(out, "\\u%04x", ch);
        else
            fputc(ch, out);
    }
    fputc('"', out);
}

static void json_latency(FILE *out, const struct histogram *h)
{
    fprintf(out, "{\"mean\": %.3f", hist_mean(h) / 1000.0);
    for (size_t i = 0; i < NPCT; i++)
        fprintf(out, ", \"%s\": %.3f", pct_names[i], us(hist_percentile(h, pcts[i])));
    fprintf(out, ", \"max\": %.3f}", us(h->max));
}

static void json_op(FILE *out, const char *name, uint64_t ops, double secs,
                    const struct histogram *h)
{
    fprintf(out, "  \"%s\": {\"ops\": %llu, \"ops_per_sec\": %.1f, \"latency_us\": ", name,
            (unsigned long long)ops, per_sec(ops, secs));
    json_latency(out, h);
    fprintf(out, "},\n");
}

/* The figures every JSON result object has, totals and groups alike. */
static void json_counts(FILE *out, const char *indent, const struct bench_stats *s)
{
    double secs = seconds(s);
    uint64_t ops = s->gets + s->sets;
    uint64_t lookups = s->hits + s->misses;
    fprintf(out,
            "%s\"seconds\": %.6f,\n%s\"ops\": %llu,\n%s\"ops_per_sec\": %.1f,\n"
            "%s\"hits\": %llu,\n%s\"misses\": %llu,\n%s\"hit_ratio\": %.6f,\n"
            "%s\"stored\": %llu,\n%s\"not_stored\": %llu,\n%s\"errors\": %llu,\n"
            "%s\"bytes_out\": %llu,\n%s\"bytes_in\": %llu,\n",
            indent, secs, indent, (unsigned long long)ops, indent, per_sec(ops, secs), indent,
            (unsigned long long)s->hits, indent, (unsigned long long)s->misses, indent,
            lookups ? (double)s->hits / (double)lookups : 0.0, indent,
            (unsigned long long)s->stored, indent, (unsigned long long)s->not_stored, indent,
            (unsigned long long)s->errors, indent, (unsigned long long)s->bytes_out, indent,
            (unsigned long long)s->bytes_in);
}

/* "latency_us": get and set merged; null when out of memory. */
static void json_all_latency(FILE *out, const struct bench_stats *s)
{
    struct histogram *all = sum_of(&s->get_lat, &s->set_lat);
    if (all)
        json_latency(out, all);
    else
        fprintf(out, "null");
    free(all);
}

static void json_groups(FILE *out, const struct bench_options *o, const struct bench_stats *groups)
{
    fprintf(out, "  \"groups\": [");
    for (size_t i = 0; i < o->group_count; i++) {
        const struct bench_group *g = &o->groups[i];
        const struct bench_stats *s = &groups[i];
        double secs = seconds(s);
        fprintf(out, "%s\n   {\"name\": ", i ? "," : "");
        json_str(out, g->name);
        fprintf(out, ", \"conns\": %u, \"pipeline\": %u, \"ratio\": \"%u:%u\",\n", g->conns,
                g->pipeline, g->ratio_get, g->ratio_set);
        json_counts(out, "    ", s);
        fprintf(out, "  ");
        json_op(out, "get", s->gets, secs, &s->get_lat);
        fprintf(out, "  ");
        json_op(out, "set", s->sets, secs, &s->set_lat);
        fprintf(out, "    \"latency_us\": ");
        json_all_latency(out, s);
        fprintf(out, "}");
    }
    fprintf(out, "\n  ],\n");
}

void report_json(FILE *out, const struct bench_options *o, const struct bench_stats *preload,
                 const struct bench_stats *run, const struct bench_stats *groups)
{
    fprintf(out, "{\n  \"version\": \"%s\",\n  \"config\": {\"servers\": [", MNEMO_VERSION);
    for (size_t i = 0; i < o->server_count; i++) {
        char name[300];
        snprintf(name, sizeof(name), "%s:%s", o->servers[i].host, o->servers[i].port);
        if (i)
            fputs(", ", out);
        json_str(out, name);
    }
    fprintf(out,
            "], \"protocol\": \"%s\", \"threads\": %u, \"conns\": %u, \"pipeline\": %u, "
            "\"ratio\": \"%u:%u\", \"keys\": %llu, \"key_pattern\": \"%s\", \"zipf_s\": %g, "
            "\"key_prefix\": ",
            proto_ops_of(o->protocol)->name, o->threads, o->conns, o->pipeline, o->ratio_get,
            o->ratio_set, (unsigned long long)o->keys,
            o->key_pattern == KEY_ZIPF ? "zipf" : "uniform", o->zipf_s);
    json_str(out, o->key_prefix);
    fprintf(out,
            ", \"value_min\": %u, \"value_max\": %u, \"duration_s\": %g, \"requests\": %llu, "
            "\"rate\": %g, \"preload\": %s, \"seed\": %llu},\n",
            o->value_min, o->value_max, o->duration, (unsigned long long)o->requests, o->rate,
            o->preload ? "true" : "false", (unsigned long long)o->seed);
    if (preload)
        fprintf(out, "  \"preload\": {\"sets\": %llu, \"seconds\": %.6f},\n",
                (unsigned long long)preload->sets, seconds(preload));
    else
        fprintf(out, "  \"preload\": null,\n");
    double secs = seconds(run);
    json_counts(out, "  ", run);
    json_op(out, "get", run->gets, secs, &run->get_lat);
    json_op(out, "set", run->sets, secs, &run->set_lat);
    json_groups(out, o, groups);
    fprintf(out, "  \"latency_us\": ");
    json_all_latency(out, run);
    fprintf(out, "\n}\n");
}
