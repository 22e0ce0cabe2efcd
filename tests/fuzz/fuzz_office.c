/* fuzz_office.c - fuzz target: the DOCX and ODT readers (ZIP through
 * libzip, XML through libxml2, headings, tables, bounds) */
#include "kb_doc.h"
#include "readers.h"

#include <jansson.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int on_record(void *ctx, json_t *rec, const char *kind, int line)
{
    long *n = ctx;
    json_t *doc = NULL;
    (void)line;
    if (kb_doc_from_json(&doc, rec, kind, NULL) == 0)
        (*n)++;
    json_decref(doc);
    return 0;
}

static void on_problem(void *ctx, int line, const char *fmt, ...)
{
    char buf[1024];
    va_list ap;
    (void)ctx;
    (void)line;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
}

/*
 * The first byte chooses the format and the folder; the rest is the file.
 *   byte % 2       .docx .odt
 *   byte / 2 % 2   in manuals/ or faqs/ (a FAQ splits at its headings)
 */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    unsigned b = data[0];
    char path[64];
    snprintf(path, sizeof path, "corpus/%s/fuzz.%s",
             (b / 2) % 2 ? "faqs" : "manuals", b % 2 ? "odt" : "docx");
    kb_read_opts o = KB_READ_OPTS_INIT;
    long docs = 0;
    kb_sink sink = {on_record, on_problem, &docs};
    char *buf = malloc(size - 1 ? size - 1 : 1);
    if (!buf)
        return 0;
    memcpy(buf, data + 1, size - 1);
    kb_read_buffer(path, buf, size - 1, &o, &sink);
    free(buf);
    return 0;
}
