/* auth.c - API keys: a file of names, roles and SHA-256 hashes */
#include "kb_doc.h"
#include "kb_error.h"
#include "server.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

typedef struct {
    char name[64];
    char hash[65];
    kb_audience role;
} key;

static key *keys;
static size_t nkeys;
static pthread_rwlock_t lock = PTHREAD_RWLOCK_INITIALIZER;

void auth_hash_key(const char *k, char hex[65])
{
    kb_sha256_hex(k, strlen(k), hex);
}

/* Compare in time that does not depend on where the bytes differ. */
static int same(const char *a, const char *b, size_t n)
{
    unsigned char d = 0;
    for (size_t i = 0; i < n; i++)
        d |= (unsigned char)(a[i] ^ b[i]);
    return d == 0;
}

int auth_load(const char *path, char **errmsg)
{
    json_error_t je;
    key *nk = NULL;
    size_t n = 0;
    if (path) {
        json_t *root = json_load_file(path, 0, &je);
        if (!root)
            return kb_fail(errmsg, KB_EINVALID, "%s:%d: %s", path, je.line,
                           je.text);
        if (!json_is_array(root)) {
            json_decref(root);
            return kb_fail(errmsg, KB_EINVALID,
                           "%s: expected an array of "
                           "{\"name\",\"role\",\"sha256\"}",
                           path);
        }
        nk = calloc(json_array_size(root) + 1, sizeof *nk);
        size_t i;
        json_t *e;
        json_array_foreach(root, i, e)
        {
            const char *name = json_string_value(json_object_get(e, "name"));
            const char *role = json_string_value(json_object_get(e, "role"));
            const char *hash = json_string_value(json_object_get(e, "sha256"));
            kb_audience a;
            if (!role)
                role = "";
            if (!strcmp(role, "agent"))
                a = KB_AUD_AGENT;
            else if (!strcmp(role, "editor"))
                a = KB_AUD_EDITOR;
            else if (!strcmp(role, "admin"))
                a = KB_AUD_ADMIN;
            else if (!strcmp(role, "public"))
                a = KB_AUD_PUBLIC;
            else {
                free(nk);
                json_decref(root);
                return kb_fail(errmsg, KB_EINVALID,
                               "%s: key %zu: role must "
                               "be public, agent, editor or admin",
                               path, i + 1);
            }
            if (!name || !hash || strlen(hash) != 64 || strlen(name) >= 64) {
                free(nk);
                json_decref(root);
                return kb_fail(errmsg, KB_EINVALID,
                               "%s: key %zu: needs a "
                               "name (under 64 bytes) and a 64-hex sha256",
                               path, i + 1);
            }
            snprintf(nk[n].name, sizeof nk[n].name, "%s", name);
            for (int j = 0; j < 64; j++)
                nk[n].hash[j] =
                    (char)((hash[j] >= 'A' && hash[j] <= 'F') ? hash[j] + 32
                                                              : hash[j]);
            nk[n].role = a;
            n++;
        }
        json_decref(root);
    }
    pthread_rwlock_wrlock(&lock);
    free(keys);
    keys = nk;
    nkeys = n;
    pthread_rwlock_unlock(&lock);
    return KB_OK;
}

void auth_free(void)
{
    pthread_rwlock_wrlock(&lock);
    free(keys);
    keys = NULL;
    nkeys = 0;
    pthread_rwlock_unlock(&lock);
}

int auth_check(request *r)
{
    const char *h =
        MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND, "Authorization");
    r->role = KB_AUD_PUBLIC;
    r->key_name = "-";
    if (!h)
        return KB_OK;
    if (strncasecmp(h, "Bearer ", 7) != 0)
        return KB_EAUTH;
    const char *k = h + 7;
    while (*k == ' ')
        k++;
    if (!*k || strlen(k) > 512)
        return KB_EAUTH;
    char hex[65];
    auth_hash_key(k, hex);
    int found = 0;
    pthread_rwlock_rdlock(&lock);
    for (size_t i = 0; i < nkeys; i++) {
        /* Look at every key so the time does not tell which matched. */
        if (same(hex, keys[i].hash, 64) && !found) {
            found = 1;
            r->role = keys[i].role;
            /* Names live as long as the table: copy into the request. */
            snprintf(r->key_buf, sizeof r->key_buf, "%s", keys[i].name);
            r->key_name = r->key_buf;
        }
    }
    pthread_rwlock_unlock(&lock);
    return found ? KB_OK : KB_EAUTH;
}
