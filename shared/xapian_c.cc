// xapian_c.cc - the C API over Xapian; the project's only C++ file
#include "xapian_c.h"

#include <xapian.h>

#include <cstdlib>
#include <cstring>
#include <map>
#include <memory>
#include <new>
#include <string>
#include <vector>

extern "C" {
#include "kb_error.h"
}

struct kb_xdb {
    Xapian::Database *rep;            // == wdb when writable
    Xapian::WritableDatabase *wdb;
};
struct kb_xdoc {
    Xapian::Document rep;
};
struct kb_xquery {
    Xapian::Query rep;
};

namespace {

// Counts the items of a value slot; a value may hold several items separated
// by one byte (tags), each counted once.
class SplitCountSpy : public Xapian::MatchSpy {
  public:
    SplitCountSpy(unsigned slot, char sep) : slot_(slot), sep_(sep) {}
    void operator()(const Xapian::Document &doc, double) override
    {
        std::string v = doc.get_value(slot_);
        size_t start = 0;
        while (start < v.size()) {
            size_t end = v.find(sep_, start);
            if (end == std::string::npos)
                end = v.size();
            if (end > start)
                counts[v.substr(start, end - start)]++;
            start = end + 1;
        }
    }
    std::map<std::string, uint32_t> counts;

  private:
    unsigned slot_;
    char sep_;
};

} // namespace

struct kb_xmset {
    Xapian::Enquire enq;
    Xapian::MSet mset;
    std::vector<std::string> data;
    std::vector<bool> have;
    std::vector<std::unique_ptr<SplitCountSpy>> spies;
    kb_xdb *db;
    explicit kb_xmset(const Xapian::Database &d) : enq(d), db(nullptr) {}
};

namespace {

char *dup_bytes(const std::string &s)
{
    char *p = static_cast<char *>(std::malloc(s.size() + 1));
    if (p) {
        std::memcpy(p, s.data(), s.size());
        p[s.size()] = '\0';
    }
    return p;
}

void set_msg(char **errmsg, const std::string &m)
{
    if (!errmsg)
        return;
    std::free(*errmsg);
    *errmsg = dup_bytes(m);
}

// Map the exception being handled to a code by its type: rethrow it and
// catch subclasses before their bases.
int map_current(char **errmsg)
{
    try {
        throw;
    } catch (const Xapian::DatabaseLockError &e) {
        set_msg(errmsg, e.get_msg());
        return KB_ELOCKED;
    } catch (const Xapian::DatabaseCorruptError &e) {
        set_msg(errmsg, e.get_msg());
        return KB_ECORRUPT;
    } catch (const Xapian::DatabaseNotFoundError &e) {
        set_msg(errmsg, e.get_msg());
        return KB_ENOTFOUND;
    } catch (const Xapian::DatabaseOpeningError &e) {
        set_msg(errmsg, e.get_msg());
        return KB_EOPEN;
    } catch (const Xapian::DocNotFoundError &e) {
        set_msg(errmsg, e.get_msg());
        return KB_ENOTFOUND;
    } catch (const Xapian::NetworkError &e) {
        set_msg(errmsg, e.get_msg());
        return KB_ENETWORK;
    } catch (const Xapian::QueryParserError &e) {
        set_msg(errmsg, e.get_msg());
        return KB_EQUERY;
    } catch (const Xapian::DatabaseError &e) {
        set_msg(errmsg, e.get_msg());
        return KB_EIO;
    } catch (const Xapian::InvalidArgumentError &e) {
        set_msg(errmsg, e.get_msg());
        return KB_EINVALID;
    } catch (const Xapian::InvalidOperationError &e) {
        set_msg(errmsg, e.get_msg());
        return KB_EINVALID;
    } catch (const Xapian::Error &e) {
        set_msg(errmsg, e.get_type() + std::string(": ") + e.get_msg());
        return KB_ERROR;
    } catch (const std::bad_alloc &) {
        set_msg(errmsg, "out of memory");
        return KB_ENOMEM;
    } catch (...) {
        set_msg(errmsg, "unexpected C++ exception");
        return KB_ERROR;
    }
}

const int kRetries = 3;

} // namespace

#define KB_CATCH(errmsg)                                                       \
    catch (...) { return map_current(errmsg); }

// Run body; on DatabaseModifiedError reopen the reader and try again.
#define KB_RETRY(db, errmsg, body)                                             \
    try {                                                                      \
        for (int attempt_ = 0;; attempt_++) {                                  \
            try {                                                              \
                body;                                                          \
                return KB_OK;                                                  \
            } catch (const Xapian::DatabaseModifiedError &) {                  \
                if (attempt_ >= kRetries)                                      \
                    throw;                                                     \
                (db)->rep->reopen();                                           \
            }                                                                  \
        }                                                                      \
    }                                                                          \
    KB_CATCH(errmsg)

extern "C" {

/* --- databases --- */

int kb_xdb_open(kb_xdb **out, const char *path, int flags, char **errmsg)
{
    *out = nullptr;
    try {
        std::unique_ptr<kb_xdb> db(new kb_xdb{nullptr, nullptr});
        if (flags & KB_XDB_WRITE) {
            int f = Xapian::DB_CREATE_OR_OPEN | Xapian::DB_BACKEND_GLASS;
            if (flags & KB_XDB_NOSYNC)
                f |= Xapian::DB_NO_SYNC;
            db->wdb = new Xapian::WritableDatabase(path, f);
            db->rep = db->wdb;
        } else {
            db->rep = new Xapian::Database(path);
        }
        *out = db.release();
        return KB_OK;
    }
    KB_CATCH(errmsg)
}

void kb_xdb_close(kb_xdb *db)
{
    if (!db)
        return;
    try {
        // An open transaction is cancelled; outside one, pending changes
        // are committed.
        if (db->wdb)
            db->wdb->close();
    } catch (...) {
    }
    delete db->rep;
    delete db;
}

int kb_xdb_reopen(kb_xdb *db, char **errmsg)
{
    KB_ASSERT_ARG(db);
    try {
        db->rep->reopen();
        return KB_OK;
    }
    KB_CATCH(errmsg)
}

#define NEED_WRITER(db, errmsg)                                                \
    do {                                                                       \
        if (!(db) || !(db)->wdb)                                               \
            return kb_fail(errmsg, KB_EINVALID, "database is read-only");      \
    } while (0)

int kb_xdb_begin(kb_xdb *db, char **errmsg)
{
    NEED_WRITER(db, errmsg);
    try {
        db->wdb->begin_transaction(true);
        return KB_OK;
    }
    KB_CATCH(errmsg)
}

int kb_xdb_commit(kb_xdb *db, char **errmsg)
{
    NEED_WRITER(db, errmsg);
    try {
        db->wdb->commit_transaction();
        return KB_OK;
    }
    KB_CATCH(errmsg)
}

int kb_xdb_cancel(kb_xdb *db, char **errmsg)
{
    NEED_WRITER(db, errmsg);
    try {
        db->wdb->cancel_transaction();
        return KB_OK;
    }
    KB_CATCH(errmsg)
}

int kb_xdb_replace(kb_xdb *db, const char *uterm, size_t ulen,
                   const kb_xdoc *doc, char **errmsg)
{
    NEED_WRITER(db, errmsg);
    KB_ASSERT_ARG(doc && uterm && ulen);
    try {
        db->wdb->replace_document(std::string(uterm, ulen), doc->rep);
        return KB_OK;
    }
    KB_CATCH(errmsg)
}

int kb_xdb_delete(kb_xdb *db, const char *uterm, size_t ulen, char **errmsg)
{
    NEED_WRITER(db, errmsg);
    KB_ASSERT_ARG(uterm && ulen);
    try {
        db->wdb->delete_document(std::string(uterm, ulen));
        return KB_OK;
    }
    KB_CATCH(errmsg)
}

int kb_xdb_get_data(kb_xdb *db, const char *term, size_t tlen, char **out,
                    size_t *outlen, char **errmsg)
{
    KB_ASSERT_ARG(db && out);
    *out = nullptr;
    std::string t(term, tlen);
    KB_RETRY(db, errmsg, {
        Xapian::PostingIterator p = db->rep->postlist_begin(t);
        if (p == db->rep->postlist_end(t))
            return kb_fail(errmsg, KB_ENOTFOUND, "no document has that term");
        std::string d = db->rep->get_document(*p).get_data();
        if (!(*out = dup_bytes(d)))
            return KB_ENOMEM;
        if (outlen)
            *outlen = d.size();
    })
}

int kb_xdb_get_metadata(kb_xdb *db, const char *key, size_t klen, char **out,
                        size_t *outlen, char **errmsg)
{
    KB_ASSERT_ARG(db && out && key && klen);
    *out = nullptr;
    std::string k(key, klen);
    KB_RETRY(db, errmsg, {
        std::string v = db->rep->get_metadata(k);
        if (!v.empty()) {
            if (!(*out = dup_bytes(v)))
                return KB_ENOMEM;
            if (outlen)
                *outlen = v.size();
        }
    })
}

int kb_xdb_set_metadata(kb_xdb *db, const char *key, size_t klen,
                        const char *val, size_t vlen, char **errmsg)
{
    NEED_WRITER(db, errmsg);
    KB_ASSERT_ARG(key && klen && klen <= 240);
    try {
        db->wdb->set_metadata(std::string(key, klen),
                              std::string(val ? val : "", val ? vlen : 0));
        return KB_OK;
    }
    KB_CATCH(errmsg)
}

int kb_xdb_metadata_keys(kb_xdb *db, const char *prefix, size_t plen,
                         kb_xkey_fn fn, void *ctx, char **errmsg)
{
    KB_ASSERT_ARG(db && fn);
    std::string p(prefix ? prefix : "", prefix ? plen : 0);
    try {
        for (int attempt = 0;; attempt++) {
            try {
                for (Xapian::TermIterator i = db->rep->metadata_keys_begin(p);
                     i != db->rep->metadata_keys_end(p); ++i) {
                    const std::string &k = *i;
                    int r = fn(ctx, k.data(), k.size());
                    if (r)
                        return r;
                }
                return KB_OK;
            } catch (const Xapian::DatabaseModifiedError &) {
                if (attempt >= kRetries)
                    throw;
                db->rep->reopen();
            }
        }
    }
    KB_CATCH(errmsg)
}

int kb_xdb_doccount(kb_xdb *db, uint32_t *out, char **errmsg)
{
    KB_ASSERT_ARG(db && out);
    KB_RETRY(db, errmsg, { *out = db->rep->get_doccount(); })
}

int kb_xdb_termfreq(kb_xdb *db, const char *term, size_t tlen, uint32_t *out,
                    char **errmsg)
{
    KB_ASSERT_ARG(db && out);
    std::string t(term, tlen);
    KB_RETRY(db, errmsg, { *out = db->rep->get_termfreq(t); })
}

int kb_xdb_revision(kb_xdb *db, uint64_t *out, char **errmsg)
{
    KB_ASSERT_ARG(db && out);
    KB_RETRY(db, errmsg, { *out = db->rep->get_revision(); })
}

int kb_xdb_avlength(kb_xdb *db, double *out, char **errmsg)
{
    KB_ASSERT_ARG(db && out);
    KB_RETRY(db, errmsg, { *out = db->rep->get_avlength(); })
}

int kb_xdb_compact(kb_xdb *db, const char *out, char **errmsg)
{
    KB_ASSERT_ARG(db && out && *out);
    KB_RETRY(db, errmsg, {
        db->rep->compact(out, Xapian::DBCOMPACT_NO_RENUMBER);
    })
}

int kb_xdb_add_spelling(kb_xdb *db, const char *w, size_t wlen, unsigned freq,
                        char **errmsg)
{
    NEED_WRITER(db, errmsg);
    try {
        db->wdb->add_spelling(std::string(w, wlen), freq);
        return KB_OK;
    }
    KB_CATCH(errmsg)
}

int kb_xdb_remove_spelling(kb_xdb *db, const char *w, size_t wlen,
                           unsigned freq, char **errmsg)
{
    NEED_WRITER(db, errmsg);
    try {
        db->wdb->remove_spelling(std::string(w, wlen), freq);
        return KB_OK;
    }
    KB_CATCH(errmsg)
}

int kb_xdb_spelling(kb_xdb *db, const char *w, size_t wlen, unsigned maxedit,
                    char **out, char **errmsg)
{
    KB_ASSERT_ARG(db && out);
    *out = nullptr;
    std::string word(w, wlen);
    KB_RETRY(db, errmsg, {
        std::string s = db->rep->get_spelling_suggestion(word, maxedit);
        if (!s.empty() && !(*out = dup_bytes(s)))
            return KB_ENOMEM;
    })
}

int kb_xdb_add_synonym(kb_xdb *db, const char *key, size_t klen,
                       const char *syn, size_t slen, char **errmsg)
{
    NEED_WRITER(db, errmsg);
    try {
        db->wdb->add_synonym(std::string(key, klen), std::string(syn, slen));
        return KB_OK;
    }
    KB_CATCH(errmsg)
}

/* --- documents --- */

kb_xdoc *kb_xdoc_new(void)
{
    try {
        return new kb_xdoc();
    } catch (...) {
        return nullptr;
    }
}

void kb_xdoc_free(kb_xdoc *doc) { delete doc; }

int kb_xdoc_add_term(kb_xdoc *doc, const char *term, size_t tlen,
                     uint32_t pos, uint32_t wdfinc)
{
    KB_ASSERT_ARG(doc && term && tlen);
    try {
        std::string t(term, tlen);
        if (pos)
            doc->rep.add_posting(t, pos, wdfinc);
        else
            doc->rep.add_term(t, wdfinc);
        return KB_OK;
    }
    KB_CATCH(nullptr)
}

int kb_xdoc_add_value(kb_xdoc *doc, unsigned slot, const char *v, size_t vlen)
{
    KB_ASSERT_ARG(doc);
    try {
        doc->rep.add_value(slot, std::string(v, vlen));
        return KB_OK;
    }
    KB_CATCH(nullptr)
}

int kb_xdoc_set_data(kb_xdoc *doc, const char *data, size_t dlen)
{
    KB_ASSERT_ARG(doc);
    try {
        doc->rep.set_data(std::string(data, dlen));
        return KB_OK;
    }
    KB_CATCH(nullptr)
}

/* --- queries --- */

kb_xquery *kb_xquery_term(const char *term, size_t tlen, uint32_t wqf,
                          uint32_t pos)
{
    try {
        return new kb_xquery{
            Xapian::Query(std::string(term, tlen), wqf ? wqf : 1, pos)};
    } catch (...) {
        return nullptr;
    }
}

kb_xquery *kb_xquery_wildcard(const char *prefix, size_t plen,
                              unsigned max_expansion)
{
    try {
        return new kb_xquery{Xapian::Query(
            Xapian::Query::OP_WILDCARD, std::string(prefix, plen),
            max_expansion, Xapian::Query::WILDCARD_LIMIT_MOST_FREQUENT,
            Xapian::Query::OP_SYNONYM)};
    } catch (...) {
        return nullptr;
    }
}

kb_xquery *kb_xquery_combine(kb_xop op, kb_xquery *const *subs, size_t n,
                             unsigned param)
{
    try {
        std::vector<Xapian::Query> v;
        v.reserve(n);
        for (size_t i = 0; i < n; i++)
            if (subs[i])
                v.push_back(subs[i]->rep);
        return new kb_xquery{Xapian::Query(static_cast<Xapian::Query::op>(op),
                                           v.begin(), v.end(), param)};
    } catch (...) {
        return nullptr;
    }
}

kb_xquery *kb_xquery_scale(const kb_xquery *q, double factor)
{
    try {
        return new kb_xquery{
            Xapian::Query(Xapian::Query::OP_SCALE_WEIGHT, q->rep, factor)};
    } catch (...) {
        return nullptr;
    }
}

kb_xquery *kb_xquery_value_le(unsigned slot, const char *v, size_t vlen)
{
    try {
        return new kb_xquery{Xapian::Query(Xapian::Query::OP_VALUE_LE, slot,
                                           std::string(v, vlen))};
    } catch (...) {
        return nullptr;
    }
}

kb_xquery *kb_xquery_match_all(void)
{
    try {
        // Not a copy of the shared Query::MatchAll: its reference count is
        // not atomic, and every worker thread would touch it.
        return new kb_xquery{Xapian::Query(std::string())};
    } catch (...) {
        return nullptr;
    }
}

int kb_xquery_empty(const kb_xquery *q) { return !q || q->rep.empty(); }

void kb_xquery_free(kb_xquery *q) { delete q; }

char *kb_xquery_describe(const kb_xquery *q)
{
    try {
        return dup_bytes(q ? q->rep.get_description() : std::string());
    } catch (...) {
        return nullptr;
    }
}

/* --- searching --- */

int kb_xdb_search(kb_xmset **out, kb_xdb *db, const kb_xquery *q,
                  const kb_xsearch_opts *o, char **errmsg)
{
    KB_ASSERT_ARG(out && db && q && o);
    *out = nullptr;
    KB_ASSERT_ARG(o->nfacets >= 0 && o->nfacets <= KB_XMAX_FACETS);
    try {
        for (int attempt = 0;; attempt++) {
            try {
                std::unique_ptr<kb_xmset> ms(new kb_xmset(*db->rep));
                ms->db = db;
                ms->enq.set_query(q->rep);
                if (o->bool_only)
                    ms->enq.set_weighting_scheme(Xapian::BoolWeight());
                else
                    ms->enq.set_weighting_scheme(Xapian::BM25Weight(
                        o->k1, o->k2, o->k3, o->b, o->min_normlen));
                if (o->collapse_slot >= 0)
                    ms->enq.set_collapse_key(
                        static_cast<Xapian::valueno>(o->collapse_slot));
                for (int i = 0; i < o->nfacets; i++) {
                    ms->spies.emplace_back(
                        new SplitCountSpy(o->facet_slots[i], o->facet_sep));
                    ms->enq.add_matchspy(ms->spies.back().get());
                }
                ms->mset = ms->enq.get_mset(o->first, o->maxitems,
                                            o->checkatleast);
                ms->data.resize(ms->mset.size());
                ms->have.assign(ms->mset.size(), false);
                *out = ms.release();
                return KB_OK;
            } catch (const Xapian::DatabaseModifiedError &) {
                if (attempt >= kRetries)
                    throw;
                db->rep->reopen();
            }
        }
    }
    KB_CATCH(errmsg)
}

void kb_xmset_free(kb_xmset *ms) { delete ms; }

uint32_t kb_xmset_size(const kb_xmset *ms) { return ms ? ms->mset.size() : 0; }

uint32_t kb_xmset_estimated(const kb_xmset *ms)
{
    return ms ? ms->mset.get_matches_estimated() : 0;
}

uint32_t kb_xmset_docid(const kb_xmset *ms, uint32_t i)
{
    return i < ms->mset.size() ? *(ms->mset[i]) : 0;
}

double kb_xmset_weight(const kb_xmset *ms, uint32_t i)
{
    return i < ms->mset.size() ? ms->mset[i].get_weight() : 0.0;
}

int kb_xmset_data(kb_xmset *ms, uint32_t i, const char **data, size_t *len,
                  char **errmsg)
{
    KB_ASSERT_ARG(ms && data && i < ms->mset.size());
    kb_xdb *db = ms->db;
    KB_RETRY(db, errmsg, {
        if (!ms->have[i]) {
            ms->data[i] = ms->mset[i].get_document().get_data();
            ms->have[i] = true;
        }
        *data = ms->data[i].data();
        if (len)
            *len = ms->data[i].size();
    })
}

int kb_xmset_matching_terms(kb_xmset *ms, uint32_t i, kb_xkey_fn fn,
                            void *ctx, char **errmsg)
{
    KB_ASSERT_ARG(ms && fn && i < ms->mset.size());
    try {
        for (Xapian::TermIterator t = ms->enq.get_matching_terms_begin(ms->mset[i]);
             t != ms->enq.get_matching_terms_end(ms->mset[i]); ++t) {
            const std::string &s = *t;
            int r = fn(ctx, s.data(), s.size());
            if (r)
                return r;
        }
        return KB_OK;
    }
    KB_CATCH(errmsg)
}

namespace {
struct NoPrefixDecider : public Xapian::ExpandDecider {
    bool operator()(const std::string &t) const override
    {
        return !t.empty() && !(t[0] >= 'A' && t[0] <= 'Z');
    }
};
} // namespace

int kb_xmset_expand(kb_xmset *ms, uint32_t nrel, uint32_t nterms,
                    kb_xterm_fn fn, void *ctx, char **errmsg)
{
    KB_ASSERT_ARG(ms && fn);
    try {
        Xapian::RSet rs;
        for (uint32_t i = 0; i < nrel && i < ms->mset.size(); i++)
            rs.add_document(ms->mset[i]);
        if (rs.empty())
            return KB_OK;
        NoPrefixDecider dec;
        Xapian::ESet es = ms->enq.get_eset(nterms, rs, &dec);
        for (Xapian::ESetIterator t = es.begin(); t != es.end(); ++t) {
            const std::string &s = *t;
            int r = fn(ctx, s.data(), s.size(), t.get_weight());
            if (r)
                return r;
        }
        return KB_OK;
    }
    KB_CATCH(errmsg)
}

int kb_xmset_facets(const kb_xmset *ms, int k, kb_xterm_fn fn, void *ctx)
{
    KB_ASSERT_ARG(ms && fn && k >= 0 && (size_t)k < ms->spies.size());
    try {
        for (const auto &kv : ms->spies[k]->counts) {
            int r = fn(ctx, kv.first.data(), kv.first.size(), kv.second);
            if (r)
                return r;
        }
        return KB_OK;
    }
    KB_CATCH(nullptr)
}

} // extern "C"
