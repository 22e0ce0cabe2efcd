/* readers.h - turn source files into input records for kb_doc_from_json */
#ifndef KB_READERS_H
#define KB_READERS_H

#include <jansson.h>
#include <stddef.h>

/* What a reader hands over: one record (borrowed; the sink copies what it
 * keeps) with the line it starts on, or a problem at a line. */
typedef struct kb_sink {
    /* kind: "manual", "faq", "ticket" or NULL (guess from the record). */
    int (*record)(void *ctx, json_t *rec, const char *kind, int line);
    void (*problem)(void *ctx, int line, const char *fmt, ...)
        __attribute__((format(printf, 3, 4)));
    void *ctx;
} kb_sink;

typedef struct kb_read_opts {
    const char *kind; /* forced kind (--kind) or NULL */
    const char *lang; /* default language (--lang) or NULL */
    /* Field mapping "dst=src" pairs (--map), applied to JSON and CSV. */
    const char *const *maps;
    size_t nmaps;
} kb_read_opts;

#define KB_READ_OPTS_INIT                                                      \
    {                                                                          \
        NULL, NULL, NULL, 0                                                    \
    }

/* 1 if the file name has an extension some reader takes. */
int kb_read_supported(const char *path);

/* Read one file (its bytes in buf) and feed its records to sink. path is
 * used for kind detection (manuals/, faqs/, tickets/), ids and messages.
 * Returns KB_OK (bad records go to sink->problem), or KB_EUTF8/KB_EDOC
 * when the whole file is unusable (reported through problem too), or a
 * non-zero value returned by sink->record. */
int kb_read_buffer(const char *path, const char *buf, size_t len,
                   const kb_read_opts *o, const kb_sink *sink);

/* --- used between the reader files --- */
int kb_read_markdown(const char *path, const char *buf, size_t len,
                     const kb_read_opts *o, const kb_sink *sink);
int kb_read_html(const char *path, const char *buf, size_t len,
                 const kb_read_opts *o, const kb_sink *sink);
int kb_read_jsonl(const char *path, const char *buf, size_t len,
                  const kb_read_opts *o, const kb_sink *sink);
int kb_read_json(const char *path, const char *buf, size_t len,
                 const kb_read_opts *o, const kb_sink *sink);
int kb_read_csv(const char *path, const char *buf, size_t len,
                const kb_read_opts *o, const kb_sink *sink);
int kb_read_text(const char *path, const char *buf, size_t len,
                 const kb_read_opts *o, const kb_sink *sink);

#define KB_SLUG_MAX 96

/* Kind implied by the path's folders, or NULL. */
const char *kb_read_kind_from_path(const char *path);
/* Lower-case ASCII slug of s (at most n-1 bytes) into out. */
void kb_slug(char *out, size_t n, const char *s);
/* The file's base name without extension, slugged. */
void kb_file_id(char *out, size_t n, const char *path);
/* Apply --map pairs to rec. */
void kb_apply_maps(json_t *rec, const kb_read_opts *o);

#endif

/* --- sections: manuals and Markdown FAQs are split at headings --- */

typedef struct kb_sections kb_sections;

/* meta (borrowed) holds document-level fields: id, title, kind, product,
 * category, tags, visibility, status, lang, review_by. faq: each level-2
 * heading is a question and its text the answer. */
kb_sections *kb_sections_new(const char *path, const kb_read_opts *o,
                             const kb_sink *sink, json_t *meta, int faq);
/* A heading; anchor may be NULL (one is made from the text). */
int kb_sections_heading(kb_sections *s, int level, const char *text,
                        const char *anchor, int line);
/* Body text of the current section. */
void kb_sections_text(kb_sections *s, const char *text, size_t len);
/* Emit the last section and free. Returns the first sink error, if any. */
int kb_sections_finish(kb_sections *s);

/* --- attachments: PDF (rd_pdf.c), DOCX and ODT (rd_office.c) --- */

/* The bytes are the whole file; no UTF-8 check applies to them. */
int kb_read_pdf(const char *path, const char *buf, size_t len,
                const kb_read_opts *o, const kb_sink *sink);
int kb_read_docx(const char *path, const char *buf, size_t len,
                 const kb_read_opts *o, const kb_sink *sink);
int kb_read_odt(const char *path, const char *buf, size_t len,
                const kb_read_opts *o, const kb_sink *sink);

/* Shared by them (rd_attach.c). kb_attach_kind sets *faq from --kind or
 * the folder; a ticket kind is reported and returns KB_EDOC. */
int kb_attach_kind(const char *path, const kb_read_opts *o, const kb_sink *sink,
                   int *faq);
/* One heading (title NULL: text before any heading) with its body text.
 * Without --lang, a section that is mostly Chinese gets lang zh. pos is the
 * page (PDF) or paragraph number, used where a line number would be. */
int kb_attach_section(kb_sections *s, json_t *meta, const kb_read_opts *o,
                      int faq, int level, const char *title, const char *body,
                      size_t len, int pos);
