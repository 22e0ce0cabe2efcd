/* fuzz_readers.c - fuzz target: the indexer's readers, kb_read_buffer() */
#include "kb_doc.h"
#include "readers.h"

#include <jansson.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    long records, docs, problems;
} counts;

/* Count the record and make a document of it, as deskdex-index does. */
static int on_record(void *ctx, json_t *rec, const char *kind, int line)
{
    counts *c = ctx;
    json_t *doc = NULL;
    char *msg = NULL;
    (void)line;
    c->records++;
    if (kb_doc_from_json(&doc, rec, kind, &msg) == 0)
        c->docs++;
    json_decref(doc);
    free(msg);
    return 0;
}

/* Format the message, so that bad arguments to it show up. */
static void on_problem(void *ctx, int line, const char *fmt, ...)
{
    counts *c = ctx;
    char buf[1024];
    va_list ap;
    (void)line;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    c->problems++;
}

/*
 * The first byte chooses the reader and the options; the rest is the file.
 *   byte % 6        .md .html .jsonl .json .csv .txt
 *   byte / 6 % 4    in manuals/, faqs/, tickets/ or no such folder
 *   byte / 24       bit 0: --lang de; bit 1: --map title=Subject
 *                   body=Description; bit 2: --kind faq
 */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const char *const exts[] = {"md",  "html", "jsonl",
                                       "json", "csv", "txt"};
    static const char *const dirs[] = {"corpus/manuals/", "corpus/faqs/",
                                       "corpus/tickets/", "corpus/"};
    static const char *const maps[] = {"title=Subject", "body=Description"};
    if (size < 1)
        return 0;
    unsigned b = data[0];
    char path[128];
    snprintf(path, sizeof path, "%sFuzz Input.%s", dirs[b / 6 % 4],
             exts[b % 6]);
    kb_read_opts o = KB_READ_OPTS_INIT;
    if ((b / 24) & 1)
        o.lang = "de";
    if ((b / 24) & 2) {
        o.maps = maps;
        o.nmaps = 2;
    }
    if ((b / 24) & 4)
        o.kind = "faq";
    counts c = {0, 0, 0};
    kb_sink sink = {on_record, on_problem, &c};
    /* The bytes exactly, with nothing after them: a reader that runs past
     * len is caught. */
    char *buf = malloc(size - 1 ? size - 1 : 1);
    if (!buf)
        return 0;
    memcpy(buf, data + 1, size - 1);
    kb_read_buffer(path, buf, size - 1, &o, &sink);
    free(buf);
    return 0;
}
