/*
 * mnemo-man: writes the man pages of mnemod, mnemo-cli and mnemo-bench from
 * the tables their --help is printed from, so a page cannot drift from the
 * program it documents. Run by the build (not installed):
 *
 *   mnemo-man PAGE TEMPLATE OUT     PAGE: mnemod | mnemo-cli | mnemo-bench
 *
 * TEMPLATE (docs/man/PAGE.1.in) is roff prose; these markers are replaced:
 *   @VERSION@        (anywhere)  the version
 *   @SYNOPSIS@       (a line)    the program's usage line
 *   @OPTIONS@        (a line)    every option: mnemod's flag table, or the
 *                                entries of the tool's usage text
 *   @EXTENDED@       (a line)    mnemod's -o table
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli_usage.h"
#include "options.h"
#include "server/config.h"

/* Text as roff: backslashes and minus signs escaped, and a line that would
 * start with a control character made literal. */
static void roff_text(FILE *out, const char *s, size_t n, bool line_start)
{
    for (size_t i = 0; i < n; i++) {
        char ch = s[i];
        if (line_start && (ch == '.' || ch == '\''))
            fputs("\\&", out);
        line_start = ch == '\n';
        if (ch == '\\')
            fputs("\\e", out);
        else if (ch == '-')
            fputs("\\-", out);
        else
            fputc(ch, out);
    }
}

static void roff_str(FILE *out, const char *s, bool line_start)
{
    roff_text(out, s, strlen(s), line_start);
}

/* One option: a tagged paragraph, the synopsis in bold. */
static void entry(FILE *out, const char *synopsis, const char *help)
{
    fputs(".TP\n.B \"", out);
    roff_str(out, synopsis, false);
    fputs("\"\n", out);
    /* help's later lines carry a hanging indent in --help: roff refills */
    const char *p = help;
    while (*p != '\0') {
        while (*p == ' ')
            p++;
        const char *nl = strchr(p, '\n');
        size_t n = nl != NULL ? (size_t)(nl - p) : strlen(p);
        roff_text(out, p, n, true);
        fputc('\n', out);
        p += n + (nl != NULL);
    }
}

static void entry_visit(void *arg, const char *synopsis, const char *help)
{
    if (synopsis[0] == '\0') {
        /* a refused family: its help names it */
        fputs(".TP\n", arg);
        roff_str(arg, help, true);
        fputc('\n', arg);
        return;
    }
    entry(arg, synopsis, help);
}

/* ---- a tool's usage text --------------------------------------------------
 * Its shape (tools/cli_usage.c, tools/bench/options.c): "usage: NAME ARGS"
 * (continued on lines indented past "usage: "), then entries — two to six
 * spaces, the synopsis, two or more spaces, the text — whose continuation
 * lines are indented further, headings ("options:") and paragraphs at the
 * margin, blank lines between groups. */

static bool starts_entry(const char *line)
{
    size_t sp = strspn(line, " ");
    return sp >= 2 && sp <= 6 && line[sp] != '\0' && line[sp] != '(';
}

static void usage_synopsis(FILE *out, const char *usage)
{
    const char *p = strstr(usage, "usage: ");
    if (p == NULL)
        return;
    p += strlen("usage: ");
    const char *sp = strchr(p, ' ');
    const char *nl = strchr(p, '\n');
    fputs(".B ", out);
    roff_text(out, p, (size_t)(sp != NULL && sp < nl ? sp - p : nl - p), false);
    fputc('\n', out);
    if (sp != NULL && sp < nl) {
        roff_text(out, sp + 1, (size_t)(nl - sp - 1), true);
        fputc('\n', out);
    }
    /* continuation lines: a note on its own line */
    for (p = nl + 1; *p == ' ' && p[strspn(p, " ")] == '('; p = strchr(p, '\n') + 1) {
        const char *q = p + strspn(p, " ");
        nl = strchr(q, '\n');
        fputs(".br\n", out);
        roff_text(out, q, (size_t)(nl - q), true);
        fputc('\n', out);
    }
}

static void usage_options(FILE *out, const char *usage)
{
    char *copy = strdup(usage);
    if (copy == NULL)
        exit(1);
    char *save = NULL;
    bool in_entry = false, past_usage = false;
    for (char *line = strtok_r(copy, "\n", &save); line != NULL; line = strtok_r(NULL, "\n", &save)) {
        size_t sp = strspn(line, " ");
        if (!past_usage) {
            /* the usage line and its continuations: the SYNOPSIS */
            if (strncmp(line, "usage: ", 7) == 0 || (sp > 6 && line[sp] == '('))
                continue;
            past_usage = true;
        }
        if (starts_entry(line)) {
            char *text = strstr(line + sp, "  ");
            if (text != NULL)
                *text = '\0';
            fputs(".TP\n.B \"", out);
            roff_str(out, line + sp, false);
            fputs("\"\n", out);
            if (text != NULL) {
                text += strspn(text + 1, " ") + 1;
                roff_str(out, text, true);
                fputc('\n', out);
            }
            in_entry = true;
        } else if (sp > 6 && in_entry) {
            roff_str(out, line + sp, true);
            fputc('\n', out);
        } else if (sp == 0 && line[strlen(line) - 1] == ':') {
            fputs(".SS ", out);
            line[strlen(line) - 1] = '\0';
            /* "commands" -> "Commands" */
            if (line[0] >= 'a' && line[0] <= 'z')
                line[0] = (char)(line[0] - 'a' + 'A');
            roff_str(out, line, false);
            fputc('\n', out);
            in_entry = false;
        } else {
            fputs(".PP\n", out);
            roff_str(out, line + sp, true);
            fputc('\n', out);
            in_entry = false;
        }
    }
    free(copy);
}

/* ---- the template ----------------------------------------------------------- */

static int expand(const char *page, FILE *in, FILE *out)
{
    bool server = strcmp(page, "mnemod") == 0;
    const char *usage = strcmp(page, "mnemo-cli") == 0     ? cli_usage()
                        : strcmp(page, "mnemo-bench") == 0 ? bench_options_usage()
                                                           : NULL;
    if (!server && usage == NULL) {
        fprintf(stderr, "mnemo-man: unknown page %s\n", page);
        return 1;
    }
    char line[4096];
    while (fgets(line, sizeof(line), in) != NULL) {
        if (strcmp(line, "@OPTIONS@\n") == 0) {
            if (server)
                config_help_foreach(entry_visit, out);
            else
                usage_options(out, usage);
        } else if (strcmp(line, "@EXTENDED@\n") == 0 && server) {
            config_extended_help_foreach(entry_visit, out);
        } else if (strcmp(line, "@SYNOPSIS@\n") == 0) {
            if (server)
                fputs(".B mnemod\n[\\fIoptions\\fR]\n", out);
            else
                usage_synopsis(out, usage);
        } else {
            for (char *p = line; *p != '\0'; p++) {
                if (strncmp(p, "@VERSION@", 9) == 0) {
                    fputs(MNEMO_VERSION, out);
                    p += 8;
                } else {
                    fputc(*p, out);
                }
            }
        }
    }
    return 0;
}

int main(int argc, char **argv)
{
    if (argc != 4) {
        fprintf(stderr, "usage: mnemo-man mnemod|mnemo-cli|mnemo-bench TEMPLATE OUT\n");
        return 2;
    }
    FILE *in = fopen(argv[2], "r");
    if (in == NULL) {
        perror(argv[2]);
        return 1;
    }
    FILE *out = fopen(argv[3], "w");
    if (out == NULL) {
        perror(argv[3]);
        fclose(in);
        return 1;
    }
    int rc = expand(argv[1], in, out);
    fclose(in);
    if (fclose(out) != 0) {
        perror(argv[3]);
        rc = 1;
    }
    if (rc != 0)
        remove(argv[3]);
    return rc;
}
