/* rd_records.c - records from JSON Lines, JSON, CSV and plain text files */
#include "kb_buf.h"
#include "kb_error.h"
#include "readers.h"

#include <csv.h>
#include <stdio.h>
#include <string.h>

static int emit(const kb_read_opts *o, const kb_sink *sink, json_t *rec,
                const char *path, int line)
{
    const char *kind = o->kind ? o->kind : kb_read_kind_from_path(path);
    if (o->lang && !json_object_get(rec, "lang"))
        json_object_set_new(rec, "lang", json_string(o->lang));
    kb_apply_maps(rec, o);
    return sink->record(sink->ctx, rec, kind, line);
}

/* --- JSON Lines --- */

int kb_read_jsonl(const char *path, const char *buf, size_t len,
                  const kb_read_opts *o, const kb_sink *sink)
{
    size_t i = 0;
    int line = 0, rc = 0;
    while (i < len && rc == 0) {
        const char *nl = memchr(buf + i, '\n', len - i);
        size_t end = nl ? (size_t)(nl - buf) : len;
        line++;
        size_t b = i;
        while (b < end && (buf[b] == ' ' || buf[b] == '\t' || buf[b] == '\r'))
            b++;
        if (b < end) {
            json_error_t je;
            json_t *rec =
                json_loadb(buf + b, end - b, JSON_REJECT_DUPLICATES, &je);
            if (!rec)
                sink->problem(sink->ctx, line, "invalid JSON: %s (column %d)",
                              je.text, je.column);
            else if (!json_is_object(rec))
                sink->problem(sink->ctx, line, "expected a JSON object");
            else
                rc = emit(o, sink, rec, path, line);
            json_decref(rec);
        }
        i = end + 1;
    }
    return rc;
}

/* --- JSON: one object or an array of objects --- */

int kb_read_json(const char *path, const char *buf, size_t len,
                 const kb_read_opts *o, const kb_sink *sink)
{
    json_error_t je;
    json_t *root = json_loadb(buf, len, JSON_REJECT_DUPLICATES, &je);
    int rc = 0;
    if (!root) {
        sink->problem(sink->ctx, je.line, "invalid JSON: %s", je.text);
        return KB_EDOC;
    }
    if (json_is_object(root)) {
        rc = emit(o, sink, root, path, 1);
    } else if (json_is_array(root)) {
        size_t i;
        json_t *rec;
        json_array_foreach(root, i, rec)
        {
            if (rc)
                break;
            if (!json_is_object(rec))
                sink->problem(sink->ctx, 0,
                              "record %zu: expected a JSON "
                              "object",
                              i + 1);
            else
                rc = emit(o, sink, rec, path, (int)i + 1);
        }
    } else {
        sink->problem(sink->ctx, 1, "expected a JSON object or array");
        rc = KB_EDOC;
    }
    json_decref(root);
    return rc;
}

/* --- CSV (RFC 4180) through libcsv --- */

typedef struct {
    const char *path;
    const kb_read_opts *o;
    const kb_sink *sink;
    json_t *header; /* array of column names */
    json_t *row;    /* array of fields of the current row */
    int line;       /* line the parser has reached */
    int row_line;   /* line the current row started on */
    int rc;
    int bad_utf8; /* a field of the current row is not valid UTF-8 */
} csv_state;

static void on_field(void *s, size_t n, void *data)
{
    csv_state *st = data;
    json_t *v =
        (s && memchr(s, '\0', n)) ? NULL : json_stringn(s ? s : "", s ? n : 0);
    if (!v) { /* invalid UTF-8 or a NUL byte: the row is rejected */
        st->bad_utf8 = 1;
        v = json_string("");
    }
    json_array_append_new(st->row, v);
}

static void on_row(int c, void *data)
{
    (void)c;
    csv_state *st = data;
    if (st->rc)
        goto reset;
    if (st->bad_utf8) {
        st->sink->problem(st->sink->ctx, st->row_line,
                          "invalid UTF-8 or NUL byte in a field");
        if (!st->header)
            st->rc = KB_EUTF8; /* no usable header: nothing else can be read */
        goto reset;
    }
    if (!st->header) {
        st->header = st->row;
        st->row = json_array();
        st->row_line = st->line + 1;
        return;
    }
    if (json_array_size(st->row) == 1 &&
        json_string_length(json_array_get(st->row, 0)) == 0)
        goto reset; /* blank line */
    if (json_array_size(st->row) != json_array_size(st->header)) {
        st->sink->problem(
            st->sink->ctx, st->row_line, "expected %zu fields, found %zu",
            json_array_size(st->header), json_array_size(st->row));
        goto reset;
    }
    json_t *rec = json_object();
    size_t i;
    json_t *name;
    json_array_foreach(st->header, i, name)
    {
        json_object_set(rec, json_string_value(name),
                        json_array_get(st->row, i));
    }
    st->rc = emit(st->o, st->sink, rec, st->path, st->row_line);
    json_decref(rec);
reset:
    st->bad_utf8 = 0;
    st->row_line = st->line + 1; /* rows end at a line's end */
    json_array_clear(st->row);
}

int kb_read_csv(const char *path, const char *buf, size_t len,
                const kb_read_opts *o, const kb_sink *sink)
{
    struct csv_parser p;
    csv_state st = {
        .path = path, .o = o, .sink = sink, .row = json_array(), .row_line = 1};
    if (csv_init(&p, CSV_STRICT | CSV_STRICT_FINI) != 0)
        return KB_ENOMEM;
    size_t i = 0;
    /* Feed a line at a time so that problems can name their line. */
    while (i < len && !st.rc) {
        const char *nl = memchr(buf + i, '\n', len - i);
        size_t end = nl ? (size_t)(nl - buf) + 1 : len;
        st.line++;
        if (csv_parse(&p, buf + i, end - i, on_field, on_row, &st) != end - i) {
            sink->problem(sink->ctx, st.line, "malformed CSV: %s",
                          csv_strerror(csv_error(&p)));
            st.rc = KB_EDOC;
            break;
        }
        i = end;
    }
    if (!st.rc && csv_fini(&p, on_field, on_row, &st) != 0) {
        sink->problem(sink->ctx, st.line, "malformed CSV: %s",
                      csv_strerror(csv_error(&p)));
        st.rc = KB_EDOC;
    }
    if (!st.header && !st.rc)
        sink->problem(sink->ctx, 1, "CSV file has no header row");
    csv_free(&p);
    json_decref(st.header);
    json_decref(st.row);
    return st.rc == KB_EDOC ? KB_EDOC : st.rc;
}

/* --- plain text: the first line is the title, the rest one section --- */

int kb_read_text(const char *path, const char *buf, size_t len,
                 const kb_read_opts *o, const kb_sink *sink)
{
    char id[KB_SLUG_MAX];
    size_t i = 0;
    while (i < len && (buf[i] == '\n' || buf[i] == '\r' || buf[i] == ' '))
        i++;
    const char *nl = memchr(buf + i, '\n', len - i);
    size_t tend = nl ? (size_t)(nl - buf) : len;
    kb_file_id(id, sizeof id, path);
    json_t *rec = json_object();
    json_object_set_new(rec, "id", json_string(id));
    json_object_set_new(rec, "title", json_stringn(buf + i, tend - i));
    json_object_set_new(rec, "body",
                        json_stringn(buf + tend, tend < len ? len - tend : 0));
    json_object_set_new(rec, "kind", json_string("manual"));
    int rc = emit(o, sink, rec, path, 1);
    json_decref(rec);
    return rc;
}
