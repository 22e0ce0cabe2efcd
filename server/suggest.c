/* suggest.c - POST /v1/suggest: the HTTP side of kb_suggest */
#include "kb_curate.h"
#include "kb_doc.h"
#include "kb_error.h"
#include "kb_shard.h"
#include "kb_suggest.h"
#include "server.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

enum MHD_Result h_suggest(request *r);
enum MHD_Result h_suggest(request *r)
{
    json_t *in = body_json(r);
    if (!in)
        return MHD_YES;
    if (!json_is_object(in)) {
        json_decref(in);
        return reply_error(r, KB_EINVALID,
                           "send a JSON object with "
                           "\"subject\" and \"description\"");
    }
    kb_suggest_opts o = KB_SUGGEST_OPTS_INIT;
    const char *fields[] = {"subject", "description", "product", "category"};
    const char **dst[] = {&o.subject, &o.description, &o.product, &o.category};
    for (int i = 0; i < 4; i++) {
        json_t *v = json_object_get(in, fields[i]);
        if (v && !json_is_string(v) && !json_is_null(v)) {
            json_decref(in);
            return reply_error(r, KB_EDOC, "field \"%s\" must be a string",
                               fields[i]);
        }
        *dst[i] = json_string_value(v);
    }
    json_t *lim = json_object_get(in, "limit");
    o.exclude = json_object_get(in, "exclude");
    o.audience = r->role;
    if ((!o.subject || !*o.subject) && (!o.description || !*o.description)) {
        json_decref(in);
        return reply_error(r, KB_EDOC,
                           "field \"subject\" or \"description\" "
                           "is required");
    }
    int max_limit = cfg_limits().max_limit;
    if (lim && (!json_is_integer(lim) || json_integer_value(lim) < 1 ||
                json_integer_value(lim) > max_limit)) {
        json_decref(in);
        return reply_error(r, KB_EINVALID, "limit must be 1 to %d", max_limit);
    }
    if (lim)
        o.limit = (int)json_integer_value(lim);
    if (o.exclude && !json_is_array(o.exclude)) {
        json_decref(in);
        return reply_error(r, KB_EDOC,
                           "field \"exclude\" must be an array "
                           "of ids");
    }
    char *msg = NULL;
    kb_xdb *db = reader(&msg);
    if (!db) {
        json_decref(in);
        free(msg);
        return reply_error(r, KB_EUNAVAIL, "index unavailable");
    }
    json_t *out = NULL;
    pthread_rwlock_rdlock(&g_srv.cfg_lock);
    int rc = kb_suggest(&out, db, &g_srv.cfg, &o, &msg);
    pthread_rwlock_unlock(&g_srv.cfg_lock);
    if (rc != KB_OK) {
        json_decref(in);
        enum MHD_Result ret =
            reply_error(r, rc, "%s", msg ? msg : kb_strerror(rc));
        free(msg);
        return ret;
    }
    /* Agents see which fixes already became articles. */
    size_t i;
    json_t *h;
    json_array_foreach(json_object_get(out, "results"), i, h)
    {
        char *to = strcmp(kb_doc_str(h, "kind"), "ticket")
                       ? NULL
                       : kb_promoted_to(kb_shard_for(db, kb_doc_str(h, "id")),
                                        kb_doc_str(h, "id"));
        if (to)
            json_object_set_new(h, "promoted_to", json_string(to));
        free(to);
    }
    mark_overdue(r, json_object_get(out, "results"));
    analytics_search(r, "suggest",
                     o.subject && *o.subject ? o.subject : o.description, NULL,
                     NULL, out);
    cluster_mark(out, db);
    json_decref(in);
    double ms = (now_seconds() - r->t0) * 1000;
    json_object_set_new(out, "took_ms", json_real(round(ms * 1000) / 1000));
    return reply_json(r, 200, out);
}
