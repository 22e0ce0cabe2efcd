/* ddxlive.c - live-update benchmark: POST a document, then poll the search
 * until it is found
 *
 *   ddxlive PORT KEY N TAG
 *   ddxlive PORT wait        (exit 0 once something listens on PORT)
 *
 * Talks HTTP/1.1 to 127.0.0.1:PORT only. Each document carries a word no
 * other document has; the time from the POST's answer to the first search
 * that returns the document is what a ticket system would wait. Prints one
 * JSON object. Bounded: N posts, each polled for at most 5 seconds.
 */
#define _GNU_SOURCE /* strcasestr */
#include <arpa/inet.h>
#include <errno.h>
#include <math.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define POLL_LIMIT 5.0 /* seconds a document may take to appear */

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static int port;

static int dial(void)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in sa;
    int one = 1;
    memset(&sa, 0, sizeof sa);
    sa.sin_family = AF_INET;
    sa.sin_port = htons((unsigned short)port);
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof sa) != 0) {
        perror("ddxlive: connect");
        exit(2);
    }
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    return fd;
}

/* Send req on *fd (reconnecting once if the server closed it) and read one
 * answer into buf. Returns the status, or -1. */
static int roundtrip(int *fd, const char *req, size_t rlen, char *buf,
                     size_t cap)
{
    for (int attempt = 0; attempt < 2; attempt++) {
        if (*fd < 0)
            *fd = dial();
        size_t off = 0, have = 0;
        while (off < rlen) {
            ssize_t w = send(*fd, req + off, rlen - off, MSG_NOSIGNAL);
            if (w <= 0)
                break;
            off += (size_t)w;
        }
        char *body = NULL;
        long clen = -1;
        int closed = 0;
        while (off == rlen && have < cap - 1) {
            ssize_t r = recv(*fd, buf + have, cap - 1 - have, 0);
            if (r <= 0) {
                closed = 1;
                break;
            }
            have += (size_t)r;
            buf[have] = '\0';
            if (!body && (body = strstr(buf, "\r\n\r\n")) != NULL) {
                body += 4;
                const char *cl = strcasestr(buf, "\r\ncontent-length:");
                clen = cl ? strtol(cl + 17, NULL, 10) : -1;
            }
            if (body && clen >= 0 && (long)(have - (size_t)(body - buf)) >= clen)
                break;
        }
        if (body && clen >= 0 && !closed) {
            int status = (int)strtol(buf + 9, NULL, 10);
            body[-2] = '\0'; /* end of the headers */
            if (strcasestr(buf, "\r\nconnection: close")) {
                close(*fd);
                *fd = -1;
            }
            memmove(buf, body, (size_t)clen);
            buf[clen] = '\0';
            return status;
        }
        close(*fd);
        *fd = -1;
    }
    return -1;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static double pct(const double *v, size_t n, double p)
{
    if (!n)
        return 0;
    size_t k = (size_t)ceil(p / 100.0 * (double)n);
    return v[(k < 1 ? 1 : k) - 1];
}

int main(int argc, char **argv)
{
    if (argc == 3 && !strcmp(argv[2], "wait")) {
        /* Wait up to 20 s for the server to listen. */
        port = (int)strtol(argv[1], NULL, 10);
        for (int i = 0; i < 200; i++) {
            int fd = socket(AF_INET, SOCK_STREAM, 0);
            struct sockaddr_in sa;
            memset(&sa, 0, sizeof sa);
            sa.sin_family = AF_INET;
            sa.sin_port = htons((unsigned short)port);
            sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
            int ok = fd >= 0 &&
                     connect(fd, (struct sockaddr *)&sa, sizeof sa) == 0;
            if (fd >= 0)
                close(fd);
            if (ok)
                return 0;
            struct timespec ts = {0, 100 * 1000 * 1000};
            nanosleep(&ts, NULL);
        }
        return 1;
    }
    if (argc != 5) {
        fprintf(stderr, "usage: ddxlive PORT KEY N TAG | ddxlive PORT wait\n");
        return 2;
    }
    char *end = NULL;
    port = (int)strtol(argv[1], &end, 10);
    long n = strtol(argv[3], NULL, 10);
    if (*end || port <= 0 || port > 65535 || n < 1 || n > 10000) {
        fprintf(stderr, "ddxlive: bad PORT or N\n");
        return 2;
    }
    const char *key = argv[2], *tag = argv[4];
    static char buf[1 << 20], req[8192];
    double *post = calloc((size_t)n, sizeof *post);
    double *vis = calloc((size_t)n, sizeof *vis);
    double *tot = calloc((size_t)n, sizeof *tot);
    long done = 0, lost = 0, polls = 0;
    int pfd = -1, gfd = -1;
    for (long i = 0; i < n; i++) {
        char word[48], id[64], body[512];
        /* Letters only, ending in "q" so that no stemmer rule applies
         * ("...aas" and "...aae" would both stem to "...aa"). */
        snprintf(word, sizeof word, "zqlive%s%c%c%cq", tag,
                 'a' + (int)(i / 676 % 26), 'a' + (int)(i / 26 % 26),
                 'a' + (int)(i % 26));
        snprintf(id, sizeof id, "live-%s-%ld", tag, i);
        int blen = snprintf(body, sizeof body,
                            "{\"id\":\"%s\",\"kind\":\"faq\",\"question\":"
                            "\"Live update probe %s\",\"answer\":\"The probe "
                            "word is %s.\"}",
                            id, word, word);
        int rlen = snprintf(req, sizeof req,
                            "POST /v1/documents HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                            "Authorization: Bearer %s\r\nContent-Type: "
                            "application/json\r\nContent-Length: %d\r\n\r\n%s",
                            key, blen, body);
        double a = now_s();
        int st = roundtrip(&pfd, req, (size_t)rlen, buf, sizeof buf);
        double b = now_s();
        if (st != 201 && st != 200) {
            fprintf(stderr, "ddxlive: POST answered %d: %.200s\n", st, buf);
            return 1;
        }
        rlen = snprintf(req, sizeof req,
                        "GET /v1/search?q=%s&limit=10 HTTP/1.1\r\n"
                        "Host: 127.0.0.1\r\n\r\n",
                        word);
        char want[96];
        snprintf(want, sizeof want, "\"id\":\"%s\"", id);
        int found = 0;
        double c = b;
        while (!found && now_s() - b < POLL_LIMIT) {
            st = roundtrip(&gfd, req, (size_t)rlen, buf, sizeof buf);
            polls++;
            c = now_s();
            found = st == 200 && strstr(buf, want) != NULL;
            if (!found) {
                struct timespec ts = {0, 1000 * 1000}; /* 1 ms */
                nanosleep(&ts, NULL);
            }
        }
        if (!found) {
            lost++;
            continue;
        }
        post[done] = b - a;
        tot[done] = c - a;
        vis[done++] = c - b;
    }
    qsort(post, (size_t)done, sizeof *post, cmp_double);
    qsort(vis, (size_t)done, sizeof *vis, cmp_double);
    qsort(tot, (size_t)done, sizeof *tot, cmp_double);
    printf("{\"n\":%ld,\"lost\":%ld,\"polls_per_doc\":%.2f,"
           "\"post_p50_ms\":%.3f,\"post_p99_ms\":%.3f,"
           "\"visible_p50_ms\":%.3f,\"visible_p99_ms\":%.3f,"
           "\"total_p50_ms\":%.3f,\"total_p99_ms\":%.3f}\n",
           done, lost, done ? (double)polls / (double)(done + lost) : 0,
           pct(post, (size_t)done, 50) * 1e3, pct(post, (size_t)done, 99) * 1e3,
           pct(vis, (size_t)done, 50) * 1e3, pct(vis, (size_t)done, 99) * 1e3,
           pct(tot, (size_t)done, 50) * 1e3, pct(tot, (size_t)done, 99) * 1e3);
    if (pfd >= 0)
        close(pfd);
    if (gfd >= 0)
        close(gfd);
    free(post);
    free(vis);
    free(tot);
    return lost ? 1 : 0;
}
