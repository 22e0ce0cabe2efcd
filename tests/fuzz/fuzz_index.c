/* fuzz_index.c - a tiny index, made once per process, for the fuzz targets
 * that search (query, suggest) */
#include "fuzz_index.h"
#include "fuzz_tmp.h"
#include "kb_doc.h"
#include "kb_error.h"
#include "kb_store.h"
#include "kb_text.h"

#include <dirent.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Every kind, audience and language the search code tells apart: public,
 * internal and draft documents; a resolved ticket with personal data; a
 * Chinese FAQ; a German manual section. */
static const char *const docs[] = {
    "{\"id\":\"remote-guide.install\",\"kind\":\"manual\","
    "\"title\":\"Installing the VPN client\",\"section\":\"Remote work "
    "guide \\u203a Installing the VPN client\",\"anchor\":\"install\","
    "\"parent\":\"remote-guide\",\"product\":\"vpn\",\"category\":"
    "\"network\",\"tags\":[\"vpn\",\"remote-work\"],\"body\":\"Install the "
    "VPN client from the software center; installers downloaded from the "
    "internet are not configured for the company gateways. Restart the "
    "laptop after the installation.\"}",
    "{\"id\":\"faq-pw-reset\",\"question\":\"How do I reset my password?\","
    "\"answer\":\"Open the self-service portal, choose Forgot password and "
    "follow the steps. A verification code is sent to your phone.\","
    "\"product\":\"password\",\"category\":\"account\",\"tags\":"
    "[\"password\",\"reset\"]}",
    "{\"id\":\"faq-wifi-office\",\"question\":\"How do I join the office "
    "Wi-Fi?\",\"answer\":\"Select the network Corp-Wireless, sign in with "
    "your company account and accept the certificate.\",\"product\":"
    "\"wifi\",\"category\":\"network\",\"tags\":[\"wifi\",\"wireless\"]}",
    "{\"id\":\"INC-9001\",\"subject\":\"Printer on floor 3 jammed again\","
    "\"description\":\"The printer shows a paper jam every morning. Call "
    "jane.doe@example.com or 13812345678; card 4111 1111 1111 1111.\","
    "\"resolution\":\"Removed a torn label behind the fuser and replaced "
    "the pickup roller.\",\"status\":\"resolved\",\"product\":\"printing\","
    "\"category\":\"hardware\",\"tags\":[\"printer\",\"jam\"]}",
    "{\"id\":\"faq-zh-login\",\"kind\":\"faq\",\"lang\":\"zh\","
    "\"title\":\"\\u65e0\\u6cd5\\u767b\\u5f55\\u90ae\\u7bb1\\u600e\\u4e48"
    "\\u529e\\uff1f\",\"body\":\"\\u8bf7\\u5148\\u91cd\\u7f6e\\u5bc6\\u7801"
    "\\uff0c\\u7136\\u540e\\u5728\\u6d4f\\u89c8\\u5668\\u4e2d\\u91cd\\u65b0"
    "\\u767b\\u5f55\\u3002VPN \\u5ba2\\u6237\\u7aef\\u4e5f\\u8981\\u66f4"
    "\\u65b0\\u3002\",\"product\":\"mail\",\"tags\":[\"\\u90ae\\u7bb1\"]}",
    "{\"id\":\"ops-firewall\",\"kind\":\"manual\",\"visibility\":"
    "\"internal\",\"title\":\"Firewall rules for the VPN gateway\","
    "\"body\":\"Agents only: open UDP 4500 and 500 on the edge firewall "
    "before the gateway upgrade.\",\"product\":\"vpn\",\"category\":"
    "\"network\"}",
    "{\"id\":\"faq-draft-mfa\",\"kind\":\"faq\",\"status\":\"draft\","
    "\"title\":\"How do I enrol a new phone for two-factor sign-in?\","
    "\"body\":\"Draft: scan the QR code in the authenticator app.\","
    "\"product\":\"sso\",\"tags\":[\"mfa\"]}",
    "{\"id\":\"drucker-handbuch.papier\",\"kind\":\"manual\",\"lang\":"
    "\"de\",\"title\":\"Papierstau im Drucker beheben\",\"body\":\"\\u00d6"
    "ffnen Sie die vordere Klappe und entfernen Sie das gestaute Papier "
    "vorsichtig.\",\"product\":\"printing\"}",
};

static const char conf[] =
    "# fuzz index configuration\n"
    "synonym = pwd, passwd, pw => password\n"
    "synonym = wifi, wi-fi, wlan, wireless\n"
    "synonym = mfa, 2fa, two-factor\n"
    "synonym = \xe7\x99\xbb\xe9\x99\x86 => \xe7\x99\xbb\xe5\xbd\x95\n"
    "synonym = \xe9\x82\xae\xe7\xae\xb1, \xe9\x82\xae\xe4\xbb\xb6\n"
    "synonym = \xe6\x89\x93\xe5\x8d\xb0\xe6\x9c\xba => printer\n";

static char g_dir[4096];
static kb_xdb *g_db;
static kb_config g_cfg;

/* Remove a folder and what it holds (Xapian's are one level deep, but the
 * walk does not rely on it). */
static void rm_tree(const char *path)
{
    DIR *d = opendir(path);
    if (d) {
        struct dirent *e;
        while ((e = readdir(d)) != NULL) {
            char sub[4096];
            struct stat st;
            if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
                continue;
            snprintf(sub, sizeof sub, "%s/%s", path, e->d_name);
            if (lstat(sub, &st) == 0 && S_ISDIR(st.st_mode))
                rm_tree(sub);
            else
                unlink(sub);
        }
        closedir(d);
    }
    rmdir(path);
}

static void cleanup(void)
{
    kb_xdb_close(g_db);
    g_db = NULL;
    kb_config_free(&g_cfg);
    kb_stemmers_release();
    if (g_dir[0])
        rm_tree(g_dir);
}

static void die(const char *what, int rc, char *msg)
{
    fprintf(stderr, "fuzz_index: %s: %s\n", what,
            msg ? msg : kb_strerror(rc));
    free(msg);
    abort();
}

void fuzz_index_open(kb_xdb **db, const kb_config **cfg)
{
    char path[4200];
    char *msg = NULL;
    kb_xdb *w = NULL;
    int rc;

    if (g_db) {
        *db = g_db;
        *cfg = &g_cfg;
        return;
    }
    fuzz_tmp(g_dir, sizeof g_dir, "index", 1, cleanup);

    snprintf(path, sizeof path, "%s/deskdex.conf", g_dir);
    FILE *f = fopen(path, "w");
    if (!f || fputs(conf, f) == EOF || fclose(f) != 0) {
        perror(path);
        abort();
    }
    if ((rc = kb_config_defaults(&g_cfg)) != KB_OK ||
        (rc = kb_config_load(&g_cfg, path, &msg)) != KB_OK)
        die("configuration", rc, msg);

    snprintf(path, sizeof path, "%s/kb", g_dir);
    if ((rc = kb_xdb_open(&w, path, KB_XDB_WRITE | KB_XDB_NOSYNC, &msg)) !=
            KB_OK ||
        (rc = kb_xdb_begin(w, &msg)) != KB_OK)
        die("open for writing", rc, msg);
    for (size_t i = 0; i < sizeof docs / sizeof *docs; i++) {
        json_error_t je;
        json_t *in = json_loads(docs[i], 0, &je);
        json_t *doc = NULL;
        int outcome = 0, version = 0;
        if (!in) {
            fprintf(stderr, "fuzz_index: document %zu: %s\n", i, je.text);
            abort();
        }
        rc = kb_doc_from_json(&doc, in, NULL, &msg);
        json_decref(in);
        if (rc != KB_OK)
            die("document", rc, msg);
        json_object_set_new(doc, "source", json_string("fuzz"));
        rc = kb_store_put(w, doc, "fuzz", &outcome, &version, &msg);
        json_decref(doc);
        if (rc != KB_OK)
            die("store", rc, msg);
    }
    if ((rc = kb_xdb_commit(w, &msg)) != KB_OK)
        die("commit", rc, msg);
    kb_xdb_close(w);
    if ((rc = kb_xdb_open(&g_db, path, KB_XDB_READ, &msg)) != KB_OK)
        die("open for reading", rc, msg);
    *db = g_db;
    *cfg = &g_cfg;
}
