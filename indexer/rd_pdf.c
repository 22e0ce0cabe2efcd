/* rd_pdf.c - PDF manuals through poppler-utils, split at the headings that
 * font sizes reveal */
#include "kb_buf.h"
#include "kb_error.h"
#include "readers.h"

#include <errno.h>
#include <fcntl.h>
#include <libxml/parser.h>
#include <libxml/tree.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

#define TOOL_SECONDS 30          /* each poppler run, wall clock */
#define TOOL_OUT_MAX (64u << 20) /* what one run may print */
#define TOOL_ERR_MAX 4096        /* the start of its messages */
#define HEADING_MAX 200          /* bytes; a longer line is body text */

/* --- running a poppler tool --- */

static long now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void close_fd(int *fd)
{
    if (*fd >= 0)
        close(*fd);
    *fd = -1;
}

static int pipe_cloexec(int p[2])
{
    if (pipe(p) != 0)
        return -1;
    fcntl(p[0], F_SETFD, FD_CLOEXEC);
    fcntl(p[1], F_SETFD, FD_CLOEXEC);
    return 0;
}

/* Run argv[0] (found on PATH, no shell) with stdin from /dev/null, pdf_fd
 * as its fd 3, its output into out (up to out->cap) and the start of its
 * messages into err.
 * A run past TOOL_SECONDS or past the cap is killed. Returns KB_OK with the
 * exit status in *status (-1 if it died of a signal), KB_ETOOBIG, or
 * KB_EDOC when it could not start or took too long (*errmsg says which). */
static int run_tool(char *const argv[], int pdf_fd, kb_buf *out, kb_buf *err,
                    int *status, char **errmsg)
{
    int op[2] = {-1, -1}, ep[2] = {-1, -1}, rc = KB_OK, kill_it = 0;
    pid_t pid = -1;
    posix_spawn_file_actions_t fa;
    int fa_ok = 0;
    *status = -1;
    if (pipe_cloexec(op) != 0 || pipe_cloexec(ep) != 0) {
        rc = kb_fail(errmsg, KB_EIO, "pipe: %s", strerror(errno));
        goto done;
    }
    if (posix_spawn_file_actions_init(&fa) != 0) {
        rc = kb_fail(errmsg, KB_ENOMEM, "out of memory");
        goto done;
    }
    fa_ok = 1;
    posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_adddup2(&fa, op[1], 1);
    posix_spawn_file_actions_adddup2(&fa, ep[1], 2);
    posix_spawn_file_actions_adddup2(&fa, pdf_fd, 3);
    int e = posix_spawnp(&pid, argv[0], &fa, NULL, argv, environ);
    if (e != 0) {
        pid = -1;
        rc = e == ENOENT ? kb_fail(errmsg, KB_EDOC,
                                   "%s is not installed (Debian "
                                   "poppler-utils)",
                                   argv[0])
                         : kb_fail(errmsg, KB_EDOC, "cannot run %s: %s",
                                   argv[0], strerror(e));
        goto done;
    }
    close_fd(&op[1]);
    close_fd(&ep[1]);

    long deadline = now_ms() + TOOL_SECONDS * 1000L;
    struct pollfd pf[2] = {{op[0], POLLIN, 0}, {ep[0], POLLIN, 0}};
    int open = 2;
    char chunk[65536];
    while (open > 0 && !kill_it) {
        long left = deadline - now_ms();
        if (left <= 0) {
            rc = kb_fail(errmsg, KB_EDOC, "%s took over %d s; stopped", argv[0],
                         TOOL_SECONDS);
            kill_it = 1;
            break;
        }
        int n = poll(pf, 2, (int)left);
        if (n < 0 && errno != EINTR) {
            rc = kb_fail(errmsg, KB_EIO, "poll: %s", strerror(errno));
            kill_it = 1;
        }
        for (int i = 0; n > 0 && i < 2 && !kill_it; i++) {
            if (pf[i].fd < 0 || !pf[i].revents)
                continue;
            ssize_t r = read(pf[i].fd, chunk, sizeof chunk);
            if (r > 0 && i == 0) {
                int arc = kb_buf_add(out, chunk, (size_t)r);
                if (arc != KB_OK) {
                    rc = arc == KB_ETOOBIG
                             ? kb_fail(errmsg, KB_ETOOBIG,
                                       "%s printed over "
                                       "%zu MiB of text; stopped",
                                       argv[0], out->cap >> 20)
                             : kb_fail(errmsg, arc, "out of memory");
                    kill_it = 1;
                }
            } else if (r > 0) {
                size_t room = err->cap - err->len;
                kb_buf_add(err, chunk, (size_t)r < room ? (size_t)r : room);
            } else if (r == 0 || (errno != EINTR && errno != EAGAIN)) {
                close_fd(i == 0 ? &op[0] : &ep[0]);
                pf[i].fd = -1; /* poll skips it */
                open--;
            }
        }
    }
    /* Both pipes closed (or it is to be stopped): wait for the exit, still
     * within the deadline. */
    int ws = 0;
    if (kill_it)
        kill(pid, SIGKILL);
    for (;;) {
        pid_t w = waitpid(pid, &ws, kill_it ? 0 : WNOHANG);
        if (w == pid)
            break;
        if (w < 0 && errno == EINTR)
            continue;
        if (w < 0) {
            rc = kb_fail(errmsg, KB_EIO, "waitpid: %s", strerror(errno));
            break;
        }
        if (now_ms() >= deadline) {
            rc = kb_fail(errmsg, KB_EDOC, "%s took over %d s; stopped", argv[0],
                         TOOL_SECONDS);
            kill_it = 1;
            kill(pid, SIGKILL);
        } else {
            usleep(5000);
        }
    }
    pid = -1;
    if (rc == KB_OK)
        *status = WIFEXITED(ws) ? WEXITSTATUS(ws) : -1;
done:
    if (pid > 0) { /* left early: do not leave it running */
        kill(pid, SIGKILL);
        while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
            ;
    }
    if (fa_ok)
        posix_spawn_file_actions_destroy(&fa);
    for (int i = 0; i < 2; i++) {
        close_fd(&op[i]);
        close_fd(&ep[i]);
    }
    return rc;
}

/* The line of poppler's messages that says what was wrong: the last
 * "Error" line, else the last line. Borrowed from err, which it edits. */
static const char *poppler_reason(kb_buf *err)
{
    const char *best = NULL, *last = NULL;
    char *save = NULL;
    if (!err->data)
        return "no message";
    for (char *l = strtok_r(err->data, "\n", &save); l;
         l = strtok_r(NULL, "\n", &save)) {
        size_t n = strlen(l);
        while (n && (l[n - 1] == '\r' || l[n - 1] == ' '))
            l[--n] = '\0';
        if (!n)
            continue;
        last = l;
        if (strstr(l, "Error"))
            best = l;
    }
    return best ? best : last ? last : "no message";
}

/* Run a tool on the file; a failure to open the PDF becomes the report
 * the user sees. Returns KB_OK or the code after reporting. */
static int run_poppler(char *const argv[], int pdf_fd, kb_buf *out,
                       const kb_sink *sink)
{
    kb_buf err = KB_BUF_INIT(TOOL_ERR_MAX);
    char *msg = NULL;
    int status = 0;
    int rc = run_tool(argv, pdf_fd, out, &err, &status, &msg);
    if (rc != KB_OK) {
        sink->problem(sink->ctx, 0, "%s", msg ? msg : kb_strerror(rc));
    } else if (status != 0) {
        rc = KB_EDOC;
        if (err.data && strstr(err.data, "Incorrect password"))
            sink->problem(sink->ctx, 0, "encrypted PDF (needs a password)");
        else
            sink->problem(sink->ctx, 0, "not a readable PDF: %s",
                          poppler_reason(&err));
    }
    kb_free(msg);
    kb_buf_free(&err);
    return rc;
}

/* --- pdfinfo: title and keywords --- */

/* "Key:   value" lines; sets title and tags in meta. */
static void read_info(const char *text, json_t *meta)
{
    for (const char *l = text; l && *l;) {
        const char *nl = strchr(l, '\n');
        size_t n = nl ? (size_t)(nl - l) : strlen(l);
        const char *key = NULL;
        if (n > 6 && strncmp(l, "Title:", 6) == 0)
            key = "title";
        else if (n > 9 && strncmp(l, "Keywords:", 9) == 0)
            key = "tags";
        if (key) {
            const char *v = strchr(l, ':') + 1;
            while (v < l + n && *v == ' ')
                v++;
            size_t vl = (size_t)(l + n - v);
            if (vl) {
                json_t *sv = json_stringn(v, vl);
                if (sv)
                    json_object_set_new(meta, key, sv);
            }
        }
        l = nl ? nl + 1 : NULL;
    }
}

/* --- pdftohtml -xml: text lines with their fonts --- */

typedef struct {
    char *text;
    int page, top, height, size, bold;
} line;

typedef struct {
    line *v;
    size_t n, cap;
    int sizes[256]; /* font id -> size */
} lines;

static int prop_int(xmlNode *n, const char *name)
{
    xmlChar *v = xmlGetProp(n, (const xmlChar *)name);
    long x = v ? strtol((const char *)v, NULL, 10) : 0;
    xmlFree(v);
    return x > 100000 || x < -100000 ? 0 : (int)x;
}

static int is_elem(const xmlNode *n, const char *name)
{
    return n->type == XML_ELEMENT_NODE &&
           strcmp((const char *)n->name, name) == 0;
}

/* 1 if every non-blank text of the element sits inside <b>. */
static int all_bold(const xmlNode *n, int in_b)
{
    for (const xmlNode *c = n->children; c; c = c->next) {
        if (c->type == XML_TEXT_NODE && !in_b) {
            for (const xmlChar *t = c->content; t && *t; t++)
                if (*t != ' ' && *t != '\t' && *t != '\n')
                    return 0;
        } else if (c->type == XML_ELEMENT_NODE &&
                   !all_bold(c, in_b || is_elem(c, "b"))) {
            return 0;
        }
    }
    return 1;
}

/* The last and first code points of two UTF-8 strings are both wide
 * (CJK): such text joins without a space. */
static int wide_join(const char *a, size_t alen, const char *b)
{
    return alen >= 3 && (unsigned char)a[alen - 3] >= 0xE3 &&
           (unsigned char)b[0] >= 0xE3;
}

static int add_fragment(lines *L, xmlNode *t, int page)
{
    xmlChar *c = xmlNodeGetContent(t);
    const char *s = (const char *)c;
    while (s && (*s == ' ' || *s == '\t'))
        s++;
    size_t n = s ? strlen(s) : 0;
    while (n && (s[n - 1] == ' ' || s[n - 1] == '\t'))
        n--;
    if (!n) {
        xmlFree(c);
        return KB_OK;
    }
    int top = prop_int(t, "top"), height = prop_int(t, "height");
    int font = prop_int(t, "font");
    int size = font >= 0 && font < 256 ? L->sizes[font] : 0;
    int bold = all_bold(t, 0);
    line *last = L->n ? &L->v[L->n - 1] : NULL;
    int slack = height / 3 > 2 ? height / 3 : 2;
    if (last && last->page == page && abs(last->top - top) <= slack) {
        /* Another piece of the same line: another font or a gap. */
        size_t ol = strlen(last->text);
        char *m = malloc(ol + n + 2);
        if (!m) {
            xmlFree(c);
            return KB_ENOMEM;
        }
        int sp = !wide_join(last->text, ol, s);
        snprintf(m, ol + n + 2, "%s%s%.*s", last->text, sp ? " " : "", (int)n,
                 s);
        free(last->text);
        last->text = m;
        /* The line counts as its widest font: a larger run at its start
         * (a numbered heading in two fonts) still makes it a heading. */
        if (size > last->size && n * 2 > ol)
            last->size = size;
        last->bold &= bold;
        xmlFree(c);
        return KB_OK;
    }
    if (L->n == L->cap) {
        size_t cap = L->cap ? L->cap * 2 : 256;
        line *v = realloc(L->v, cap * sizeof *v);
        if (!v) {
            xmlFree(c);
            return KB_ENOMEM;
        }
        L->v = v;
        L->cap = cap;
    }
    line *l = &L->v[L->n];
    l->text = strndup(s, n);
    xmlFree(c);
    if (!l->text)
        return KB_ENOMEM;
    l->page = page;
    l->top = top;
    l->height = height;
    l->size = size;
    l->bold = bold;
    L->n++;
    return KB_OK;
}

static int read_lines(const char *xml, size_t len, lines *L)
{
    xmlDocPtr doc = xmlReadMemory(xml, (int)len, NULL, "UTF-8",
                                  XML_PARSE_NONET | XML_PARSE_RECOVER |
                                      XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
    if (!doc)
        return KB_EDOC;
    int rc = KB_OK;
    xmlNode *root = xmlDocGetRootElement(doc);
    for (xmlNode *p = root ? root->children : NULL; p && rc == KB_OK;
         p = p->next) {
        if (!is_elem(p, "page"))
            continue;
        int page = prop_int(p, "number");
        for (xmlNode *t = p->children; t && rc == KB_OK; t = t->next) {
            if (is_elem(t, "fontspec")) {
                int id = prop_int(t, "id");
                if (id >= 0 && id < 256)
                    L->sizes[id] = prop_int(t, "size");
            } else if (is_elem(t, "text")) {
                rc = add_fragment(L, t, page);
            }
        }
    }
    xmlFreeDoc(doc);
    return rc;
}

static void lines_free(lines *L)
{
    for (size_t i = 0; i < L->n; i++)
        free(L->v[i].text);
    free(L->v);
}

/* --- headings from font sizes --- */

/* The body size is the one most text is set in. A heading is a short line
 * clearly larger than that, or a short bold line of body size that does
 * not read as a sentence or a label. */
static int body_size(const lines *L)
{
    size_t chars[512] = {0};
    for (size_t i = 0; i < L->n; i++)
        if (L->v[i].size > 0 && L->v[i].size < 512)
            chars[L->v[i].size] += strlen(L->v[i].text);
    int best = 0;
    for (int s = 1; s < 512; s++)
        if (chars[s] > chars[best])
            best = s;
    return best;
}

static int is_heading(const line *l, int body)
{
    size_t n = strlen(l->text);
    if (n > HEADING_MAX || body <= 0)
        return 0;
    if (l->size * 100 >= body * 115)
        return 1;
    char last = l->text[n - 1];
    return l->bold && l->size >= body && n <= 80 && last != '.' &&
           last != ':' && last != ',' && last != ';';
}

static int page_number_only(const char *s)
{
    size_t n = strlen(s);
    if (!n || n > 4)
        return 0;
    for (size_t i = 0; i < n; i++)
        if (s[i] < '0' || s[i] > '9')
            return 0;
    return 1;
}

/* Level of each heading size: the largest is 1. */
static int level_of(const int *hsizes, int nh, int size)
{
    int level = 1;
    for (int i = 0; i < nh; i++)
        if (hsizes[i] > size)
            level++;
    return level;
}

static int emit_headed(const lines *L, int body, kb_sections *s, json_t *meta,
                       const kb_read_opts *o, int faq, const kb_sink *sink)
{
    int hsizes[64], nh = 0;
    for (size_t i = 0; i < L->n; i++) {
        if (!is_heading(&L->v[i], body))
            continue;
        int have = 0;
        for (int k = 0; k < nh; k++)
            have |= hsizes[k] == L->v[i].size;
        if (!have && nh < 64)
            hsizes[nh++] = L->v[i].size;
    }
    kb_buf head = KB_BUF_INIT(4096), text = KB_BUF_INIT(16u << 20);
    int rc = KB_OK, level = 0, pos = 1, started = 0;
    const line *prev = NULL;
    for (size_t i = 0; i <= L->n && rc == KB_OK; i++) {
        const line *l = i < L->n ? &L->v[i] : NULL;
        if (l && page_number_only(l->text))
            continue;
        int h = l && is_heading(l, body);
        if (h && head.len && !text.len && prev && prev->page == l->page &&
            prev->size == l->size && l->top - prev->top < 2 * l->height) {
            /* A heading set on two lines. */
            if (!wide_join(head.data, head.len, l->text))
                kb_buf_addc(&head, ' ');
            kb_buf_adds(&head, l->text);
            prev = l;
            continue;
        }
        if (!l || h) {
            /* Close what came before: text before any heading, or the
             * previous heading with its text. */
            if (head.len || text.len) {
                rc = kb_attach_section(
                    s, meta, o, faq, level, head.len ? head.data : NULL,
                    text.data ? text.data : "", text.len, pos);
                started = 1;
            }
            kb_buf_reset(&head);
            kb_buf_reset(&text);
            if (l) {
                kb_buf_adds(&head, l->text);
                level = level_of(hsizes, nh, l->size);
                pos = l->page;
                if (level == 1 && !started && !json_object_get(meta, "title"))
                    json_object_set_new(meta, "title", json_string(l->text));
            }
            prev = l;
            continue;
        }
        /* Body text: a small gap continues the paragraph. */
        if (text.len) {
            int para = !prev || prev->page != l->page ||
                       l->top - prev->top > l->height * 3 / 2 + 2;
            if (para)
                kb_buf_addc(&text, '\n');
            else if (!wide_join(text.data, text.len, l->text))
                kb_buf_addc(&text, ' ');
        }
        if (kb_buf_adds(&text, l->text) == KB_ETOOBIG) {
            sink->problem(sink->ctx, pos, "section over 16 MiB");
            rc = KB_ETOOBIG;
        }
        prev = l;
    }
    kb_buf_free(&head);
    kb_buf_free(&text);
    return rc;
}

/* --- no headings: one section per page of pdftotext -layout --- */

static int emit_pages(const char *txt, size_t len, kb_sections *s, json_t *meta,
                      const kb_read_opts *o, int faq, const char *title,
                      int *pages)
{
    int page = 1, rc = KB_OK;
    *pages = 0;
    char head[512];
    for (size_t i = 0; i < len && rc == KB_OK; page++) {
        const char *ff = memchr(txt + i, '\f', len - i);
        size_t end = ff ? (size_t)(ff - txt) : len;
        int blank = 1;
        for (size_t k = i; k < end && blank; k++)
            blank = txt[k] == ' ' || txt[k] == '\n' || txt[k] == '\r';
        if (!blank) {
            (*pages)++;
            snprintf(head, sizeof head, "%s (page %d)", title, page);
            rc = kb_attach_section(s, meta, o, faq, faq ? 2 : 1, head, txt + i,
                                   end - i, page);
        }
        i = end + 1;
    }
    return rc;
}

/* --- the reader --- */

/* "%PDF-" within the first KiB, where readers look for it. */
static int has_magic(const char *buf, size_t len)
{
    size_t n = len < 1024 ? len : 1024;
    for (size_t i = 0; i + 5 <= n; i++)
        if (memcmp(buf + i, "%PDF-", 5) == 0)
            return 1;
    return 0;
}

int kb_read_pdf(const char *path, const char *buf, size_t len,
                const kb_read_opts *o, const kb_sink *sink)
{
    int faq = 0;
    int rc = kb_attach_kind(path, o, sink, &faq);
    if (rc != KB_OK)
        return rc;
    if (!has_magic(buf, len)) {
        sink->problem(sink->ctx, 0, "not a readable PDF: no %%PDF- header");
        return KB_EDOC;
    }
    /* poppler reads a file: give it these bytes, not whatever the path
     * holds by now, in a temporary file removed at once (so that nothing
     * is left behind if the indexer is killed). The tools open it as
     * /dev/fd/3. */
    const char *dir = getenv("TMPDIR");
    char tmp[4096];
    snprintf(tmp, sizeof tmp, "%s/deskdex-pdf-XXXXXX",
             dir && *dir ? dir : "/tmp");
    int fd = mkstemp(tmp);
    if (fd < 0) {
        sink->problem(sink->ctx, 0, "cannot make a temporary file in %s: %s",
                      dir && *dir ? dir : "/tmp", strerror(errno));
        return KB_EIO;
    }
    unlink(tmp);
    /* Above the standard descriptors and fd 3, and closed on exec but for
     * the dup2 into 3. */
    int high = fcntl(fd, F_DUPFD_CLOEXEC, 10);
    close(fd);
    fd = high;
    size_t done = 0;
    while (fd >= 0 && done < len) {
        ssize_t w = write(fd, buf + done, len - done);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            break;
        done += (size_t)w;
    }
    json_t *meta = json_object();
    kb_buf out = KB_BUF_INIT(TOOL_OUT_MAX);
    lines L;
    memset(&L, 0, sizeof L);
    kb_sections *s = NULL;
    if (done < len) {
        sink->problem(sink->ctx, 0, "cannot write a temporary file: %s",
                      strerror(errno));
        rc = KB_EIO;
        goto done;
    }
    char file[] = "/dev/fd/3";
    char *info[] = {"pdfinfo", "-enc", "UTF-8", file, NULL};
    if ((rc = run_poppler(info, fd, &out, sink)) != KB_OK)
        goto done;
    read_info(out.data, meta);
    kb_buf_reset(&out);
    char *xml[] = {"pdftohtml", "-xml", "-i",    "-stdout", "-q",
                   "-nodrm",    "-enc", "UTF-8", file,      NULL};
    if ((rc = run_poppler(xml, fd, &out, sink)) != KB_OK)
        goto done;
    if (read_lines(out.data ? out.data : "", out.len, &L) != KB_OK) {
        sink->problem(sink->ctx, 0,
                      "not a readable PDF: pdftohtml gave "
                      "no usable XML");
        rc = KB_EDOC;
        goto done;
    }
    int body = body_size(&L), headings = 0;
    for (size_t i = 0; i < L.n; i++)
        headings += is_heading(&L.v[i], body);
    s = kb_sections_new(path, o, sink, meta, faq);
    if (!s) {
        rc = KB_ENOMEM;
        goto done;
    }
    if (headings > 0) {
        rc = emit_headed(&L, body, s, meta, o, faq, sink);
    } else {
        kb_buf_reset(&out);
        char *txt[] = {"pdftotext", "-layout", "-enc", "UTF-8",
                       "-q",        file,      "-",    NULL};
        if ((rc = run_poppler(txt, fd, &out, sink)) != KB_OK)
            goto done;
        char title[256];
        const char *t = json_string_value(json_object_get(meta, "title"));
        if (t && *t)
            snprintf(title, sizeof title, "%s", t);
        else
            kb_file_id(title, sizeof title, path);
        int pages = 0;
        rc = emit_pages(out.data ? out.data : "", out.len, s, meta, o, faq,
                        title, &pages);
        if (rc == KB_OK && pages == 0) {
            /* A scanned PDF: say so rather than archive what the file
             * gave before. */
            sink->problem(sink->ctx, 0,
                          "no text in this PDF (scanned pages "
                          "need OCR first)");
            rc = KB_EDOC;
        }
    }
done:
    if (s) {
        int r = kb_sections_finish(s);
        if (rc == KB_OK)
            rc = r;
    }
    if (fd >= 0)
        close(fd);
    lines_free(&L);
    kb_buf_free(&out);
    json_decref(meta);
    return rc;
}
