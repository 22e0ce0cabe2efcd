// xapian_c.cc - the C API over Xapian; the project's only C++ file
#include "xapian_c.h"

#include <xapian.h>

#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <memory>
#include <new>
#include <string>
#include <unordered_map>
#include <vector>

extern "C" {
#include "kb_error.h"
}

struct kb_cluster;
struct kb_slot;
// A document of an article: its id and length, and in a query's list the
// article it is counted for.
struct kb_artdoc {
    Xapian::docid id;
    Xapian::termcount len;
    size_t g;
    bool operator<(const kb_artdoc &o) const
    {
        return id < o.id || (id == o.id && g < o.g);
    }
};

// One value slot's values of a read-only database's documents at one
// revision, kept as searches come upon them: a document's id is 0 where
// its value was not read yet, else 1 + the value's place in values (""
// included). At most kKeepMax documents and distinct values (4 bytes a
// document, each value once).
static const size_t kKeepMax = 1 << 22;
struct kb_keep {
    Xapian::valueno slot = Xapian::BAD_VALUENO;
    std::vector<uint32_t> of;
    std::vector<std::string> values;
    std::unordered_map<std::string, uint32_t> index;
    uint32_t find(Xapian::docid did) const
    {
        return did < of.size() ? of[did] : 0;
    }
    const std::string &value(uint32_t id) const { return values[id - 1]; }
    // did's value is v: its id, or 0 where no more values can be kept.
    uint32_t keep(Xapian::docid did, const std::string &v)
    {
        auto at = index.find(v);
        if (at == index.end()) {
            if (values.size() >= kKeepMax)
                return 0;
            values.push_back(v);
            at = index.emplace(v, (uint32_t)values.size()).first;
        }
        if (did < kKeepMax) {
            if (did >= of.size())
                of.resize(std::min<size_t>(
                    kKeepMax, std::max<size_t>(did + 1, 2 * of.size())));
            of[did] = at->second;
        }
        return at->second;
    }
    void clear()
    {
        *this = kb_keep();
    }
};

struct kb_xdb {
    Xapian::Database *rep;            // == wdb when writable; the live
                                      // shards combined for a set
    Xapian::WritableDatabase *wdb;
    kb_xdb *dict;     // where spelling goes, or null (borrowed by shards)
    kb_cluster *cl;   // a set of shards, or null
    bool touched;     // written since the last begin or commit
    kb_slot *slot;    // the shard this handle is, or null
    bool in_txn;      // between begin and commit or cancel
    // Spelling frequency changes not yet handed to Xapian, summed per word
    // and applied once per word at commit, as Xapian looks each word up in
    // a sorted map and then on disk on every call: those of the open
    // transaction, and those of committed ones held back by
    // kb_xdb_hold_spelling (see there), which hold 2 records under the
    // metadata keys held_key(held_first .. held_next - 1).
    std::unordered_map<std::string, long long> spell_txn;
    std::unordered_map<std::string, long long> spell{};
    int hold_spelling = 0;
    unsigned long held_first = 0, held_next = 0;
    // Each article's documents and their lengths, as the listing by
    // article reads them, for a read-only database at one revision (see
    // article_docs).
    std::unordered_map<std::string, std::vector<kb_artdoc>> articles{};
    size_t article_docs_held = 0;
    std::string articles_of{}; // the database's uuid and revision
    // The same database's facet values (see FacetSpy) and the values of
    // one slot its hits are read for (the article each belongs to, see
    // hit_values).
    kb_keep facets{}, hits{};
};

// One shard of a set: a local folder or a remote xapian-tcpsrv.
struct kb_slot {
    uint32_t no;
    std::string path;            // local folder, or empty
    std::string host;            // remote address
    unsigned port;
    Xapian::WritableDatabase *wdb; // local writers
    Xapian::Database *db;        // open, or null while it does not answer
    kb_xdb handle;               // the shard as a database of its own
    bool in_txn;
    double retry_at;             // when to try a dropped shard again
    std::string why;             // why it was dropped
    kb_cluster *cl;
};

struct kb_cluster {
    std::vector<std::unique_ptr<kb_slot>> slots;
    kb_xshard_opts opts;
    bool writable;
    bool dirty;                  // the combined database needs rebuilding
    std::vector<uint32_t> live;  // shards in the combined database, in order
    std::vector<uint32_t> missing; // shards left out of the last search
    std::string dict_path;
    struct stat dict_stub;       // of a replicated dictionary's stub file
    bool dict_nosync;
};
struct kb_xdoc {
    Xapian::Document rep;
};
struct kb_xquery {
    Xapian::Query rep;
};

// Counts the values of db's facet slot over the documents the matcher
// examines, as Xapian's ValueCountMatchSpy does (a document without one
// is not counted), but each document's value is read from its value
// chunk, found from the top of the B-tree, once per revision of a
// read-only database: the documents portal questions land on come back
// question after question, and the distinct values are few.
class FacetSpy : public Xapian::MatchSpy {
  public:
    explicit FacetSpy(kb_xdb *d) : db(d) {}
    void operator()(const Xapian::Document &doc, double) override
    {
        kb_keep &k = db->facets;
        total++;
        Xapian::docid did = doc.get_docid();
        uint32_t id = k.find(did);
        if (!id) {
            std::string v = doc.get_value(k.slot);
            if (!(id = k.keep(did, v))) {
                if (!v.empty())
                    ++unkept[v];
                return;
            }
        }
        if (k.value(id).empty())
            return;
        if (id > counts.size())
            counts.resize(id);
        counts[id - 1]++;
    }
    // The values seen and their counts, in byte order, taken when the
    // match ends: the database's values may be forgotten after it.
    void finish()
    {
        values.assign(unkept.begin(), unkept.end());
        for (size_t i = 0; i < counts.size(); i++)
            if (counts[i])
                values.emplace_back(db->facets.values[i], counts[i]);
        std::sort(values.begin(), values.end());
    }
    Xapian::doccount total = 0;
    std::vector<std::pair<std::string, Xapian::doccount>> values;

  private:
    kb_xdb *db;
    std::vector<Xapian::doccount> counts; // by id - 1
    std::map<std::string, Xapian::doccount> unkept;
};

struct kb_xmset {
    Xapian::Enquire enq;
    Xapian::MSet mset;
    std::vector<std::string> data;
    std::vector<bool> have;
    // A facet slot's counts: a FacetSpy for a read-only database's own
    // slot, else Xapian's, which a remote shard can run.
    std::vector<std::unique_ptr<Xapian::ValueCountMatchSpy>> spies;
    std::vector<std::unique_ptr<FacetSpy>> own_spies;
    kb_xdb *db;
    std::vector<uint32_t> live; // shard number of each sub-database
    // Every hit's value in slot vslot (-1: none read yet), see hit_values;
    // no_stream: the database has no value streams, read hit by hit.
    int vslot;
    bool no_stream;
    std::vector<std::string> vals;
    explicit kb_xmset(const Xapian::Database &d)
        : enq(d), db(nullptr), vslot(-1), no_stream(false) {}
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

// Run body; on DatabaseModifiedError reopen the reader and try again; on
// a shard's network error drop it and try the rest.
#define KB_RETRY(db, errmsg, body)                                             \
    if (!(db)->rep)                                                            \
        return down_error(db, errmsg);                                         \
    try {                                                                      \
        for (int attempt_ = 0;; attempt_++) {                                  \
            try {                                                              \
                body;                                                          \
                return KB_OK;                                                  \
            } catch (const Xapian::DatabaseModifiedError &) {                  \
                if (attempt_ >= kRetries)                                      \
                    throw;                                                     \
                (db)->rep->reopen();                                           \
            } catch (const Xapian::NetworkError &e_) {                         \
                if (!network_retry(db, attempt_, e_))                          \
                    throw;                                                     \
            }                                                                  \
        }                                                                      \
    }                                                                          \
    KB_CATCH(errmsg)

namespace {

double now_s()
{
    using namespace std::chrono;
    return duration<double>(steady_clock::now().time_since_epoch()).count();
}

std::string slot_name(const kb_slot *s)
{
    std::string n = "shard " + std::to_string(s->no) + " (";
    if (s->port)
        n += s->host + ":" + std::to_string(s->port);
    else
        n += s->path;
    return n + ")";
}

void close_slot(kb_slot *s)
{
    if (s->wdb) {
        try {
            s->wdb->close();
        } catch (...) {
        }
    }
    delete s->db; // == wdb for writers
    s->db = nullptr;
    s->wdb = nullptr;
    s->in_txn = false;
    s->handle.rep = nullptr;
    s->handle.wdb = nullptr;
    s->cl->dirty = true;
}

void drop_slot(kb_slot *s, const std::string &why)
{
    close_slot(s);
    s->why = why;
    s->retry_at = now_s() + s->cl->opts.retry_ms / 1000.0;
}

// Open (or reopen) one shard. A remote shard that does not answer is left
// dropped and false returned; any other failure throws.
bool open_slot(kb_slot *s)
{
    close_slot(s);
    const kb_xshard_opts &o = s->cl->opts;
    try {
        if (s->port) {
            // Xapian 1.4 takes these in milliseconds.
            s->db = new Xapian::Database(Xapian::Remote::open(
                s->host, s->port, o.timeout_ms, o.connect_timeout_ms));
        } else if (s->cl->writable) {
            int f = Xapian::DB_CREATE_OR_OPEN | Xapian::DB_BACKEND_GLASS;
            if (s->cl->dict_nosync)
                f |= Xapian::DB_NO_SYNC;
            s->wdb = new Xapian::WritableDatabase(s->path, f);
            s->db = s->wdb;
        } else {
            s->db = new Xapian::Database(s->path);
        }
    } catch (const Xapian::NetworkError &e) {
        drop_slot(s, e.get_msg());
        return false;
    } catch (const Xapian::DatabaseLockError &e) {
        throw Xapian::DatabaseLockError(slot_name(s) + ": " + e.get_msg());
    } catch (const Xapian::DatabaseNotFoundError &e) {
        throw Xapian::DatabaseNotFoundError(slot_name(s) + ": " + e.get_msg());
    } catch (const Xapian::DatabaseCorruptError &e) {
        throw Xapian::DatabaseCorruptError(slot_name(s) + ": " + e.get_msg());
    } catch (const Xapian::Error &e) {
        throw Xapian::DatabaseOpeningError(slot_name(s) + ": " + e.get_msg());
    }
    s->handle.rep = s->db;
    s->handle.wdb = s->wdb;
    s->why.clear();
    return true;
}

// The live shards combined into x->rep, in shard order.
void rebuild(kb_xdb *x)
{
    kb_cluster *cl = x->cl;
    std::unique_ptr<Xapian::Database> all(new Xapian::Database());
    std::vector<uint32_t> live;
    for (auto &s : cl->slots)
        if (s->db) {
            all->add_database(*s->db);
            live.push_back(s->no);
        }
    delete x->rep;
    x->rep = all.release();
    cl->live = live;
    cl->dirty = false;
}

// After a network error the state of every remote conversation is
// unknown: reconnect each remote shard; those that do not answer stay
// dropped until their retry time.
void recover(kb_xdb *x)
{
    for (auto &s : x->cl->slots)
        if (s->port && s->db)
            open_slot(s.get());
    rebuild(x);
}

// Try dropped shards whose retry time has come.
void retry_dropped(kb_xdb *x)
{
    double t = now_s();
    for (auto &s : x->cl->slots)
        if (!s->db && t >= s->retry_at)
            open_slot(s.get());
    if (x->cl->dirty)
        rebuild(x);
}

bool stub_changed(const std::string &dir, struct stat *seen)
{
    struct stat st;
    std::string stub = dir + "/XAPIANDB";
    if (stat(stub.c_str(), &st) != 0)
        return false;
    bool changed = st.st_ino != seen->st_ino ||
                   st.st_mtim.tv_sec != seen->st_mtim.tv_sec ||
                   st.st_mtim.tv_nsec != seen->st_mtim.tv_nsec;
    *seen = st;
    return changed;
}

// Handle a NetworkError met by a call on x: true to try again.
bool network_retry(kb_xdb *x, int attempt, const Xapian::NetworkError &e)
{
    if (x->slot) { // one shard on its own: it is down
        drop_slot(x->slot, e.get_msg());
        return false;
    }
    if (!x->cl || attempt >= kRetries)
        return false;
    recover(x);
    return !x->cl->live.empty();
}

int down_error(const kb_xdb *x, char **errmsg)
{
    if (x->slot)
        return kb_fail(errmsg, KB_ENETWORK, "%s does not answer%s%s",
                       slot_name(x->slot).c_str(),
                       x->slot->why.empty() ? "" : ": ",
                       x->slot->why.c_str());
    return kb_fail(errmsg, KB_ENETWORK, "no shard answers");
}

} // namespace

extern "C" {

/* --- databases --- */

static void apply_held_spelling(Xapian::WritableDatabase *w);

int kb_xdb_open(kb_xdb **out, const char *path, int flags, char **errmsg)
{
    *out = nullptr;
    try {
        std::unique_ptr<kb_xdb> db(
            new kb_xdb{nullptr, nullptr, nullptr, nullptr, false, nullptr,
                       false, {}});
        if (flags & KB_XDB_WRITE) {
            int f = Xapian::DB_CREATE_OR_OPEN | Xapian::DB_BACKEND_GLASS;
            if (flags & KB_XDB_NOSYNC)
                f |= Xapian::DB_NO_SYNC;
            db->wdb = new Xapian::WritableDatabase(path, f);
            db->rep = db->wdb;
            try {
                if (!(flags & KB_XDB_NOHELD))
                    apply_held_spelling(db->wdb);
            } catch (...) {
                delete db->wdb; // and with it the lock
                throw;
            }
        } else {
            db->rep = new Xapian::Database(path);
        }
        *out = db.release();
        return KB_OK;
    }
    KB_CATCH(errmsg)
}

// Held spelling changes committed with their documents (hold 2): one
// record per transaction, "DELTA LEN WORD\n" per word.
#define HELD_PREFIX "!spelling:"

static std::string held_key(unsigned long n)
{
    char k[48];
    snprintf(k, sizeof k, HELD_PREFIX "%010lu", n);
    return k;
}

static std::string held_record(
    const std::unordered_map<std::string, long long> &changes)
{
    std::string r;
    char num[64];
    for (const auto &c : changes)
        if (c.second) {
            snprintf(num, sizeof num, "%lld %zu ", c.second, c.first.size());
            r += num;
            r += c.first;
            r += '\n';
        }
    return r;
}

static void change_spelling(Xapian::WritableDatabase *w,
                            const std::string &word, long long delta)
{
    if (delta > 0)
        w->add_spelling(word, (Xapian::termcount)delta);
    else if (delta < 0)
        w->remove_spelling(word, (Xapian::termcount)-delta);
}

// Apply and remove the held spelling records a writer left (one killed
// mid-load), in one commit: the documents they belong to are committed.
static void apply_held_spelling(Xapian::WritableDatabase *w)
{
    std::vector<std::string> keys;
    for (Xapian::TermIterator i = w->metadata_keys_begin(HELD_PREFIX);
         i != w->metadata_keys_end(HELD_PREFIX); ++i)
        keys.push_back(*i);
    if (keys.empty())
        return;
    for (const auto &k : keys) {
        std::string r = w->get_metadata(k);
        const char *p = r.c_str(), *end = p + r.size();
        while (p < end) {
            char *q;
            errno = 0;
            long long delta = strtoll(p, &q, 10);
            unsigned long long len = 0;
            bool ok = errno == 0 && q != p && *q == ' ';
            if (ok) {
                p = q + 1;
                len = strtoull(p, &q, 10);
                ok = errno == 0 && q != p && *q == ' ' &&
                     len < (unsigned long long)(end - q) && q[1 + len] == '\n';
            }
            if (!ok)
                throw Xapian::DatabaseCorruptError(
                    "held spelling record " + k + " is damaged at byte " +
                    std::to_string(p - r.c_str()) +
                    "; making the dictionary again from the documents "
                    "removes it");
            change_spelling(w, std::string(q + 1, (size_t)len), delta);
            p = q + 1 + len + 1;
        }
        w->set_metadata(k, "");
    }
    w->commit();
}

// The open transaction's spelling changes join those held.
static void hold_txn_spelling(kb_xdb *db)
{
    if (db->spell.empty()) {
        db->spell.swap(db->spell_txn);
        return;
    }
    for (const auto &c : db->spell_txn) {
        auto it = db->spell.emplace(c.first, 0).first;
        if (!(it->second += c.second))
            db->spell.erase(it);
    }
    db->spell_txn.clear();
}

// Hand the summed spelling changes to Xapian (throws as Xapian does).
// Every held change is then in its list, so the records of them go in
// the same commit.
static void flush_spelling(kb_xdb *db)
{
    hold_txn_spelling(db);
    for (auto it = db->spell.begin(); it != db->spell.end();) {
        change_spelling(db->wdb, it->first, it->second);
        it = db->spell.erase(it);
    }
    for (; db->held_first < db->held_next; db->held_first++)
        db->wdb->set_metadata(held_key(db->held_first), "");
}

// A change to a word's spelling frequency, applied at commit.
static void note_spelling(kb_xdb *db, const std::string &w, long long delta)
{
    db->spell_txn[w] += delta;
    db->touched = true;
}

void kb_xdb_close(kb_xdb *db)
{
    if (!db || db->slot) /* a shard handle belongs to its set */
        return;
    if (db->cl) {
        for (auto &s : db->cl->slots)
            close_slot(s.get());
        kb_xdb_close(db->dict);
        delete db->rep;
        delete db->cl;
        delete db;
        return;
    }
    try {
        // An open transaction is cancelled; outside one, pending changes
        // are committed.
        if (db->wdb && !db->in_txn)
            flush_spelling(db);
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
    if (!db->rep)
        return down_error(db, errmsg);
    try {
        if (!db->cl) {
            db->rep->reopen();
            return KB_OK;
        }
        kb_cluster *cl = db->cl;
        for (auto &s : cl->slots) {
            if (!s->db)
                continue;
            try {
                s->db->reopen();
            } catch (const Xapian::NetworkTimeoutError &e) {
                drop_slot(s.get(), e.get_msg());
            } catch (const Xapian::NetworkError &) {
                // Often only an idle connection the server closed.
                open_slot(s.get());
            }
        }
        retry_dropped(db);
        if (db->dict) {
            if (stub_changed(cl->dict_path, &cl->dict_stub)) {
                // A replica switched folders: reopen() would stay behind.
                delete db->dict->rep;
                db->dict->rep = nullptr;
                db->dict->rep = new Xapian::Database(cl->dict_path);
            } else {
                db->dict->rep->reopen();
            }
        }
        if (cl->live.empty())
            return down_error(db, errmsg);
        return KB_OK;
    }
    KB_CATCH(errmsg)
}

#define NEED_WRITER(db, errmsg)                                                \
    do {                                                                       \
        if (!(db) || !(db)->wdb)                                               \
            return kb_fail(errmsg, KB_EINVALID, "database is read-only");      \
    } while (0)

// A set's transaction is one per shard, then the dictionary's.
int kb_xdb_begin(kb_xdb *db, char **errmsg)
{
    if (db && db->cl && db->cl->writable) {
        try {
            for (auto &s : db->cl->slots) {
                s->wdb->begin_transaction(true);
                s->in_txn = true;
                s->handle.touched = false;
            }
        }
        KB_CATCH(errmsg)
        return kb_xdb_begin(db->dict, errmsg);
    }
    NEED_WRITER(db, errmsg);
    try {
        if (!db->hold_spelling)
            flush_spelling(db);
        db->wdb->begin_transaction(true);
        db->touched = false;
        db->in_txn = true;
        return KB_OK;
    }
    KB_CATCH(errmsg)
}

int kb_xdb_commit(kb_xdb *db, char **errmsg)
{
    if (db && db->cl && db->cl->writable) {
        try {
            for (auto &s : db->cl->slots) {
                if (!s->in_txn)
                    continue;
                s->in_txn = false;
                s->wdb->commit_transaction();
                s->handle.touched = false;
            }
        }
        KB_CATCH(errmsg)
        return kb_xdb_commit(db->dict, errmsg);
    }
    NEED_WRITER(db, errmsg);
    try {
        if (!db->hold_spelling) {
            flush_spelling(db);
        } else if (db->hold_spelling == 2 && !db->spell_txn.empty()) {
            db->wdb->set_metadata(held_key(db->held_next),
                                  held_record(db->spell_txn));
            db->held_next++;
        }
        db->in_txn = false;
        db->wdb->commit_transaction();
        hold_txn_spelling(db);
        db->touched = false;
        return KB_OK;
    } catch (...) {
        // Xapian cancels a transaction whose commit fails.
        db->spell_txn.clear();
        return map_current(errmsg);
    }
}

int kb_xdb_cancel(kb_xdb *db, char **errmsg)
{
    if (db && db->cl && db->cl->writable) {
        int rc = KB_OK;
        for (auto &s : db->cl->slots) {
            if (!s->in_txn)
                continue;
            s->in_txn = false;
            try {
                s->wdb->cancel_transaction();
            } catch (...) {
                rc = map_current(errmsg);
            }
        }
        int rd = kb_xdb_cancel(db->dict, errmsg);
        return rc != KB_OK ? rc : rd;
    }
    NEED_WRITER(db, errmsg);
    db->spell_txn.clear();
    db->in_txn = false;
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
        db->touched = true;
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
        db->touched = true;
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
        db->touched = true;
        return KB_OK;
    }
    KB_CATCH(errmsg)
}

int kb_xdb_metadata_keys(kb_xdb *db, const char *prefix, size_t plen,
                         kb_xkey_fn fn, void *ctx, char **errmsg)
{
    KB_ASSERT_ARG(db && fn);
    if (!db->rep)
        return down_error(db, errmsg);
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
    *out = 0;
    KB_RETRY(db, errmsg, {
        try {
            *out = db->rep->get_revision();
        } catch (const Xapian::UnimplementedError &) {
            // Remote shards and sets do not say: 0.
        } catch (const Xapian::InvalidOperationError &) {
        }
    })
}

int kb_xdb_avlength(kb_xdb *db, double *out, char **errmsg)
{
    KB_ASSERT_ARG(db && out);
    KB_RETRY(db, errmsg, { *out = db->rep->get_avlength(); })
}

// A read-only database keeps each article's documents and lengths while its
// revision lasts: an article's list is a posting list of its own, read
// from the top of the B-tree, and the articles a portal's questions land
// on come back question after question. At most this many documents held,
// an article counting 8 more for its own keeping (a few MB per reader).
static const size_t kArticleDocsMax = 100000;

// True when db may keep article lists and facet values; forgets them if db
// has moved on.
static bool articles_current(kb_xdb *db)
{
    if (db->wdb || db->cl || db->slot)
        return false;
    std::string now;
    try {
        now = db->rep->get_uuid() + ":" +
              std::to_string(db->rep->get_revision());
    } catch (const Xapian::UnimplementedError &) {
        return false; // a remote database does not say
    } catch (const Xapian::InvalidOperationError &) {
        return false;
    }
    if (now != db->articles_of) {
        db->articles.clear();
        db->article_docs_held = 0;
        db->articles_of = now;
        db->facets.clear();
        db->hits.clear();
    }
    return true;
}

// Append the documents indexed under the article term gt, in docid order,
// to docs as group g's, with their lengths.
static void article_docs(kb_xdb *db, const std::string &gt, bool keep,
                         size_t g, std::vector<kb_artdoc> &docs)
{
    const std::vector<kb_artdoc> *have = nullptr;
    std::vector<kb_artdoc> read;
    if (keep) {
        auto it = db->articles.find(gt);
        if (it != db->articles.end())
            have = &it->second;
    }
    if (!have) {
        for (Xapian::PostingIterator p = db->rep->postlist_begin(gt);
             p != db->rep->postlist_end(gt); ++p)
            read.push_back({*p, p.get_doclength(), 0});
        have = &read;
        if (keep) {
            if (db->article_docs_held + read.size() + 8 > kArticleDocsMax) {
                db->articles.clear();
                db->article_docs_held = 0;
            }
            db->article_docs_held += read.size() + 8;
            have = &db->articles.emplace(gt, std::move(read)).first->second;
        }
    }
    for (const kb_artdoc &d : *have)
        docs.push_back({d.id, d.len, g});
}

int kb_xdb_group_stats(kb_xdb *db, const kb_xstr *groups, size_t ngroups,
                       const kb_xstr *terms, size_t nterms,
                       const unsigned char *maxof, const kb_xstr *skip,
                       size_t nskip, uint32_t *ndocs, double *len,
                       double *wdf, char **errmsg)
{
    KB_ASSERT_ARG(db && (groups || !ngroups) && (terms || !nterms) &&
                  (skip || !nskip) && ndocs && len && (wdf || !nterms));
    // Every group's documents in docid order, then one posting list cursor
    // per term walked along them: a term's postings are read once, skipping
    // ahead, whatever the number of groups.
    struct run {
        Xapian::docid first;
        size_t from, to;
        bool operator<(const run &o) const { return first < o.first; }
    };
    std::vector<kb_artdoc> docs, sorted;
    std::vector<run> runs;
    std::vector<char> skipped;
    KB_RETRY(db, errmsg, {
        docs.clear();
        runs.clear();
        bool keep = articles_current(db);
        for (size_t g = 0; g < ngroups; g++) {
            ndocs[g] = 0;
            len[g] = 0;
            std::fill(wdf + g * nterms, wdf + (g + 1) * nterms, 0.0);
            std::string gt(groups[g].s, groups[g].n);
            size_t from = docs.size();
            article_docs(db, gt, keep, g, docs);
            if (docs.size() > from)
                runs.push_back({docs[from].id, from, docs.size()});
        }
        // An article's sections are mostly indexed one after another, so
        // its documents' runs, placed by their first, usually leave the
        // list in order without sorting the whole.
        std::sort(runs.begin(), runs.end());
        sorted.clear();
        for (const run &r : runs)
            sorted.insert(sorted.end(), docs.begin() + (long)r.from,
                          docs.begin() + (long)r.to);
        docs.swap(sorted);
        if (!std::is_sorted(docs.begin(), docs.end()))
            std::sort(docs.begin(), docs.end());
        skipped.assign(docs.size(), 0);
        // Along the term's postings: where one lands past a document, the
        // documents before it are passed over by binary search, so a rare
        // term costs its postings, not the number of documents.
        auto walk = [&](const kb_xstr &t, auto on_hit) {
            std::string term(t.s, t.n);
            Xapian::PostingIterator p = db->rep->postlist_begin(term);
            Xapian::PostingIterator end = db->rep->postlist_end(term);
            size_t i = 0;
            while (i < docs.size() && p != end) {
                p.skip_to(docs[i].id);
                if (p == end)
                    break;
                Xapian::docid at = *p;
                if (at == docs[i].id) {
                    if (!skipped[i])
                        on_hit(i, p.get_wdf());
                    i++;
                    continue;
                }
                i = std::lower_bound(docs.begin() + i, docs.end(),
                                     kb_artdoc{at, 0, 0}) -
                    docs.begin();
            }
        };
        for (size_t s = 0; s < nskip; s++)
            walk(skip[s], [&](size_t i, Xapian::termcount) { skipped[i] = 1; });
        for (size_t t = 0; t < nterms; t++)
            walk(terms[t], [&](size_t i, Xapian::termcount f) {
                double *w = &wdf[docs[i].g * nterms + t];
                *w = maxof && maxof[t] ? std::max(*w, (double)f) : *w + f;
            });
        for (size_t i = 0; i < docs.size(); i++)
            if (!skipped[i]) {
                ndocs[docs[i].g]++;
                len[docs[i].g] += docs[i].len;
            }
    })
}

int kb_xdb_compact(kb_xdb *db, const char *out, char **errmsg)
{
    KB_ASSERT_ARG(db && out && *out);
    if (db->cl)
        return kb_fail(errmsg, KB_EINVALID, "a set of shards is copied one "
                       "shard at a time");
    KB_RETRY(db, errmsg, {
        db->rep->compact(out, Xapian::DBCOMPACT_NO_RENUMBER);
    })
}

int kb_xdb_merge(const char *const *srcs, size_t n, const char *out,
                 char **errmsg)
{
    KB_ASSERT_ARG(srcs && n && out && *out);
    try {
        Xapian::Database all;
        for (size_t i = 0; i < n; i++)
            all.add_database(Xapian::Database(srcs[i]));
        all.compact(out);
        return KB_OK;
    }
    KB_CATCH(errmsg)
}

void kb_xdb_hold_spelling(kb_xdb *db, int hold)
{
    if (db && db->dict)
        kb_xdb_hold_spelling(db->dict, hold);
    if (db)
        db->hold_spelling = hold == 1 || hold == 2 ? hold : 0;
}

int kb_xdb_add_spelling(kb_xdb *db, const char *w, size_t wlen, unsigned freq,
                        char **errmsg)
{
    if (db && db->dict)
        db = db->dict;
    NEED_WRITER(db, errmsg);
    try {
        note_spelling(db, std::string(w, wlen), freq);
        return KB_OK;
    }
    KB_CATCH(errmsg)
}

int kb_xdb_remove_spelling(kb_xdb *db, const char *w, size_t wlen,
                           unsigned freq, char **errmsg)
{
    if (db && db->dict)
        db = db->dict;
    NEED_WRITER(db, errmsg);
    try {
        note_spelling(db, std::string(w, wlen), -(long long)freq);
        return KB_OK;
    }
    KB_CATCH(errmsg)
}

// A count of words that is to become the spelling dictionary.
struct kb_xspell {
    std::unordered_map<std::string, Xapian::termcount> n;
};

kb_xspell *kb_xspell_new(void)
{
    return new (std::nothrow) kb_xspell;
}

void kb_xspell_free(kb_xspell *s)
{
    delete s;
}

int kb_xspell_add(kb_xspell *s, const char *w, size_t wlen)
{
    KB_ASSERT_ARG(s && w);
    try {
        s->n[std::string(w, wlen)]++;
        return KB_OK;
    } catch (const std::bad_alloc &) {
        return KB_ENOMEM;
    }
}

size_t kb_xspell_size(const kb_xspell *s)
{
    return s ? s->n.size() : 0;
}

int kb_xdb_spelling_set(kb_xdb *db, const kb_xspell *s, char **errmsg)
{
    KB_ASSERT_ARG(s);
    if (db && db->dict)
        db = db->dict;
    NEED_WRITER(db, errmsg);
    try {
        flush_spelling(db); // Xapian's list below then holds every change
        // What each word must gain: its count in s less its frequency now.
        std::unordered_map<std::string, long long> delta(s->n.begin(),
                                                         s->n.end());
        for (Xapian::TermIterator i = db->wdb->spellings_begin();
             i != db->wdb->spellings_end(); ++i)
            delta[*i] -= (long long)i.get_termfreq();
        for (const auto &d : delta) // applied at commit, as every change
            if (d.second)
                note_spelling(db, d.first, d.second);
        // Held records a writer opened with KB_XDB_NOHELD left alone are
        // part of what s replaces.
        std::vector<std::string> held;
        for (Xapian::TermIterator i = db->wdb->metadata_keys_begin(HELD_PREFIX);
             i != db->wdb->metadata_keys_end(HELD_PREFIX); ++i)
            held.push_back(*i);
        for (const auto &k : held) {
            db->wdb->set_metadata(k, "");
            db->touched = true;
        }
        return KB_OK;
    }
    KB_CATCH(errmsg)
}

typedef std::vector<std::pair<std::string, Xapian::termcount>> word_counts;

static int read_spellings(kb_xdb *db, word_counts &all, char **errmsg)
{
    KB_RETRY(db, errmsg, {
        all.clear();
        for (Xapian::TermIterator i = db->rep->spellings_begin();
             i != db->rep->spellings_end(); ++i)
            all.emplace_back(*i, i.get_termfreq());
    })
}

int kb_xdb_spelling_words(kb_xdb *db, kb_xword_fn fn, void *ctx,
                          char **errmsg)
{
    KB_ASSERT_ARG(db && fn);
    if (db->dict)
        db = db->dict;
    word_counts all;
    try {
        if (db->wdb)
            flush_spelling(db);
    }
    KB_CATCH(errmsg)
    int rc = read_spellings(db, all, errmsg);
    for (size_t i = 0; rc == KB_OK && i < all.size(); i++)
        rc = fn(ctx, all[i].first.data(), all[i].first.size(),
                all[i].second);
    return rc;
}

int kb_xdb_spelling_held(kb_xdb *db, size_t *n, char **errmsg)
{
    KB_ASSERT_ARG(db && n);
    if (db->dict)
        db = db->dict;
    KB_RETRY(db, errmsg, {
        *n = 0;
        for (Xapian::TermIterator i = db->rep->metadata_keys_begin(HELD_PREFIX);
             i != db->rep->metadata_keys_end(HELD_PREFIX); ++i)
            ++*n;
    })
}

int kb_xdb_spelling(kb_xdb *db, const char *w, size_t wlen, unsigned maxedit,
                    char **out, char **errmsg)
{
    KB_ASSERT_ARG(db && out);
    *out = nullptr;
    std::string word(w, wlen);
    if (db->dict) /* a set's dictionary holds the words of every shard */
        db = db->dict;
    if (db->wdb && (!db->spell.empty() || !db->spell_txn.empty())) {
        try {
            flush_spelling(db);
        }
        KB_CATCH(errmsg)
    }
    KB_RETRY(db, errmsg, {
        std::string s = db->rep->get_spelling_suggestion(word, maxedit);
        if (!s.empty() && !(*out = dup_bytes(s)))
            return KB_ENOMEM;
    })
}

int kb_xdb_add_synonym(kb_xdb *db, const char *key, size_t klen,
                       const char *syn, size_t slen, char **errmsg)
{
    if (db && db->dict)
        db = db->dict;
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

kb_xquery *kb_xdb_wildcard(kb_xdb *db, const char *prefix, size_t plen,
                           unsigned max_expansion)
{
    if (!db || !db->rep)
        return nullptr;
    std::string p(prefix, plen);
    for (int attempt = 0;; attempt++) {
        try {
            // The most frequent terms first, then in term order.
            std::vector<std::pair<Xapian::doccount, std::string>> v;
            for (Xapian::TermIterator t = db->rep->allterms_begin(p);
                 t != db->rep->allterms_end(p); ++t)
                v.emplace_back(t.get_termfreq(), *t);
            std::stable_sort(v.begin(), v.end(),
                             [](const auto &a, const auto &b) {
                                 return a.first > b.first;
                             });
            if (v.size() > max_expansion)
                v.resize(max_expansion);
            std::sort(v.begin(), v.end(), [](const auto &a, const auto &b) {
                return a.second < b.second;
            });
            std::vector<Xapian::Query> terms;
            for (const auto &e : v)
                terms.emplace_back(e.second);
            return new kb_xquery{Xapian::Query(Xapian::Query::OP_SYNONYM,
                                               terms.begin(), terms.end())};
        } catch (const Xapian::DatabaseModifiedError &) {
            if (attempt >= kRetries)
                return nullptr;
            try {
                db->rep->reopen();
            } catch (...) {
                return nullptr;
            }
        } catch (const Xapian::NetworkError &e) {
            try {
                if (!network_retry(db, attempt, e))
                    return nullptr;
            } catch (...) {
                return nullptr;
            }
        } catch (...) {
            return nullptr;
        }
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

namespace {
// Every leaf term of q, once per leaf (get_terms_begin() would merge the
// leaves that share a term and a position); the terms of a synonym with
// its number, counted from 1.
int each_leaf(const Xapian::Query &q, kb_xleaf_fn fn, void *ctx,
              unsigned syn, unsigned *nsyn)
{
    if (q.get_type() == Xapian::Query::LEAF_TERM) {
        Xapian::TermIterator t = q.get_terms_begin();
        if (t == q.get_terms_end())
            return 0;
        const std::string s = *t;
        return fn(ctx, s.data(), s.size(), syn);
    }
    if (syn) // a phrase inside a synonym: not a word of it
        return 0;
    unsigned own = q.get_type() == Xapian::Query::OP_SYNONYM ? ++*nsyn : 0;
    for (size_t i = 0; i < q.get_num_subqueries(); i++) {
        int r = each_leaf(q.get_subquery(i), fn, ctx, own, nsyn);
        if (r)
            return r;
    }
    return 0;
}
} // namespace

int kb_xquery_terms(const kb_xquery *q, kb_xleaf_fn fn, void *ctx)
{
    if (!q || !fn)
        return KB_EINVALID;
    try {
        unsigned nsyn = 0;
        return each_leaf(q->rep, fn, ctx, 0, &nsyn);
    } catch (...) {
        return KB_ENOMEM;
    }
}

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
    if (!db->rep)
        return down_error(db, errmsg);
    try {
        for (int attempt = 0;; attempt++) {
            try {
                if (db->cl && db->cl->dirty)
                    rebuild(db);
                if (db->cl && db->cl->live.empty())
                    return down_error(db, errmsg);
                std::unique_ptr<kb_xmset> ms(new kb_xmset(*db->rep));
                ms->db = db;
                if (db->cl)
                    ms->live = db->cl->live;
                ms->enq.set_query(q->rep);
                if (o->bool_only)
                    ms->enq.set_weighting_scheme(Xapian::BoolWeight());
                else
                    ms->enq.set_weighting_scheme(Xapian::BM25Weight(
                        o->k1, o->k2, o->k3, o->b, o->min_normlen));
                if (o->collapse_slot >= 0)
                    ms->enq.set_collapse_key(
                        static_cast<Xapian::valueno>(o->collapse_slot));
                bool keep = o->nfacets && articles_current(db);
                for (int i = 0; i < o->nfacets; i++) {
                    auto slot =
                        static_cast<Xapian::valueno>(o->facet_slots[i]);
                    if (keep && db->facets.slot == Xapian::BAD_VALUENO)
                        db->facets.slot = slot;
                    if (keep && db->facets.slot == slot) {
                        ms->own_spies.emplace_back(new FacetSpy(db));
                        ms->spies.emplace_back(nullptr);
                        ms->enq.add_matchspy(ms->own_spies.back().get());
                    } else {
                        ms->own_spies.emplace_back(nullptr);
                        ms->spies.emplace_back(
                            new Xapian::ValueCountMatchSpy(slot));
                        ms->enq.add_matchspy(ms->spies.back().get());
                    }
                }
                ms->mset = ms->enq.get_mset(o->first, o->maxitems,
                                            o->checkatleast);
                for (auto &own : ms->own_spies)
                    if (own)
                        own->finish();
                ms->data.resize(ms->mset.size());
                ms->have.assign(ms->mset.size(), false);
                if (db->cl) { // what this answer lacks
                    db->cl->missing.clear();
                    for (auto &s : db->cl->slots)
                        if (!s->db)
                            db->cl->missing.push_back(s->no);
                }
                *out = ms.release();
                return KB_OK;
            } catch (const Xapian::DatabaseModifiedError &) {
                if (attempt >= kRetries)
                    throw;
                db->rep->reopen();
            } catch (const Xapian::NetworkError &e) {
                if (!network_retry(db, attempt, e))
                    throw;
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

int kb_xmset_termfreq(const kb_xmset *ms, const char *term, size_t tlen,
                      uint32_t *out, char **errmsg)
{
    KB_ASSERT_ARG(ms && term && out);
    try {
        *out = ms->mset.get_termfreq(std::string(term, tlen));
        return KB_OK;
    }
    KB_CATCH(errmsg)
}

int kb_xmset_data(kb_xmset *ms, uint32_t i, const char **data, size_t *len,
                  char **errmsg)
{
    KB_ASSERT_ARG(ms && data && i < ms->mset.size());
    kb_xdb *db = ms->db;
    if (db->cl && !ms->live.empty()) {
        // A shard dropped after the search: its hits cannot be read.
        uint32_t sh = ms->live[(*(ms->mset[i]) - 1) % ms->live.size()];
        kb_slot *s = db->cl->slots[sh].get();
        if (!s->db) {
            auto &m = db->cl->missing;
            if (std::find(m.begin(), m.end(), sh) == m.end())
                m.push_back(sh);
            return down_error(&s->handle, errmsg);
        }
    }
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

// Read every hit's value in slot into ms->vals, walking the slot's value
// stream once in docid order: a document's own get_value finds its value
// chunk from the top of the B-tree each time, which for a hundred hits was
// most of a grouped search. False where the database has no value streams
// (remote shards): the caller reads hit by hit. A read-only database keeps
// the values of the first slot asked for while its revision lasts, as it
// keeps facet values, and reads only the hits it has not seen.
static bool hit_values(kb_xmset *ms, unsigned slot)
{
    kb_xdb *db = ms->db;
    size_t n = ms->mset.size();
    kb_keep &k = db->hits;
    bool keep = articles_current(db) &&
                (k.slot == Xapian::BAD_VALUENO || k.slot == slot);
    if (keep)
        k.slot = slot;
    std::vector<std::pair<Xapian::docid, size_t>> by_did;
    std::vector<std::string> vals(n);
    for (size_t i = 0; i < n; i++) {
        Xapian::docid did = *ms->mset[(Xapian::doccount)i];
        uint32_t id = keep ? k.find(did) : 0;
        if (id)
            vals[i] = k.value(id);
        else
            by_did.push_back({did, i});
    }
    std::sort(by_did.begin(), by_did.end());
    try {
        const Xapian::Database &d = *db->rep;
        Xapian::ValueIterator it, end = d.valuestream_end(slot);
        if (!by_did.empty())
            it = d.valuestream_begin(slot);
        for (const auto &h : by_did) {
            if (it != end)
                it.skip_to(h.first);
            if (it != end && it.get_docid() == h.first)
                vals[h.second] = *it;
            if (keep)
                k.keep(h.first, vals[h.second]);
        }
    } catch (const Xapian::UnimplementedError &) {
        ms->no_stream = true;
        return false;
    } catch (const Xapian::NetworkError &) {
        ms->no_stream = true;
        return false;
    }
    ms->vals.swap(vals);
    ms->vslot = (int)slot;
    return true;
}

int kb_xmset_value(kb_xmset *ms, uint32_t i, unsigned slot, kb_xkey_fn fn,
                   void *ctx, char **errmsg)
{
    KB_ASSERT_ARG(ms && fn && i < ms->mset.size());
    try {
        if (ms->vslot != (int)slot &&
            (ms->no_stream || !hit_values(ms, slot))) {
            const std::string v = ms->mset[i].get_document().get_value(slot);
            return v.empty() ? KB_OK : fn(ctx, v.data(), v.size());
        }
        const std::string &v = ms->vals[i];
        return v.empty() ? KB_OK : fn(ctx, v.data(), v.size());
    }
    KB_CATCH(errmsg)
}

int kb_xmset_term(kb_xmset *ms, uint32_t i, const char *prefix, size_t plen,
                  kb_xkey_fn fn, void *ctx, char **errmsg)
{
    KB_ASSERT_ARG(ms && fn && (prefix || !plen) && i < ms->mset.size());
    try {
        // The termlist is in byte order: skip_to lands on the first term
        // at or after the prefix, without reading the document's data.
        std::string p(prefix ? prefix : "", plen);
        Xapian::Document d = ms->mset[i].get_document();
        Xapian::TermIterator t = d.termlist_begin();
        t.skip_to(p);
        if (t != d.termlist_end() && (*t).compare(0, plen, p) == 0) {
            const std::string &s = *t;
            return fn(ctx, s.data(), s.size());
        }
        return KB_OK;
    }
    KB_CATCH(errmsg)
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

int kb_xmset_facet_values(const kb_xmset *ms, int k, kb_xterm_fn fn,
                          void *ctx, uint32_t *seen)
{
    KB_ASSERT_ARG(ms && fn && seen && k >= 0 &&
                  (size_t)k < ms->spies.size());
    try {
        if (const FacetSpy *own = ms->own_spies[k].get()) {
            *seen = static_cast<uint32_t>(own->total);
            for (const auto &v : own->values) {
                int r = fn(ctx, v.first.data(), v.first.size(), v.second);
                if (r)
                    return r;
            }
            return KB_OK;
        }
        const Xapian::ValueCountMatchSpy &spy = *ms->spies[k];
        *seen = static_cast<uint32_t>(spy.get_total());
        for (Xapian::TermIterator t = spy.values_begin(); t != spy.values_end();
             ++t) {
            const std::string &v = *t;
            int r = fn(ctx, v.data(), v.size(), t.get_termfreq());
            if (r)
                return r;
        }
        return KB_OK;
    }
    KB_CATCH(nullptr)
}

/* --- sets of shards --- */

int kb_xdb_open_shards(kb_xdb **out, const kb_xshard *shards, size_t n,
                       const char *dict, const kb_xshard_opts *o, int flags,
                       char **errmsg)
{
    KB_ASSERT_ARG(out && shards && o);
    *out = nullptr;
    if (n < 1 || n > KB_XMAX_SHARDS)
        return kb_fail(errmsg, KB_EINVALID, "a set has 1 to %d shards, not "
                       "%zu", KB_XMAX_SHARDS, n);
    bool writable = (flags & KB_XDB_WRITE) != 0;
    kb_xdb *x = nullptr;
    try {
        std::unique_ptr<kb_cluster> cl(new kb_cluster());
        cl->opts = *o;
        cl->writable = writable;
        cl->dirty = true;
        cl->dict_nosync = (flags & KB_XDB_NOSYNC) != 0;
        std::memset(&cl->dict_stub, 0, sizeof cl->dict_stub);
        for (size_t i = 0; i < n; i++) {
            const kb_xshard &sp = shards[i];
            std::unique_ptr<kb_slot> s(new kb_slot());
            s->no = static_cast<uint32_t>(i);
            s->port = sp.path ? 0 : sp.port;
            if (sp.path)
                s->path = sp.path;
            else if (sp.host && sp.port)
                s->host = sp.host;
            else
                return kb_fail(errmsg, KB_EINVALID, "shard %zu has neither a "
                               "folder nor a host and port", i);
            if (writable && s->port)
                return kb_fail(errmsg, KB_EINVALID, "shard %zu (%s:%u) is "
                               "remote: writes go to the writer's own "
                               "folders", i, sp.host, sp.port);
            s->wdb = nullptr;
            s->db = nullptr;
            s->handle = kb_xdb{nullptr, nullptr, nullptr, nullptr, false,
                               s.get(), false, {}};
            s->in_txn = false;
            s->retry_at = 0;
            s->cl = cl.get();
            cl->slots.push_back(std::move(s));
        }
        x = new kb_xdb{nullptr, nullptr, nullptr, cl.release(), false,
                       nullptr, false, {}};
    }
    KB_CATCH(errmsg)
    int rc = KB_OK;
    if (dict && *dict) {
        rc = kb_xdb_open(&x->dict, dict, flags, errmsg);
        if (rc != KB_OK) {
            std::string m = std::string("dictionary ") + dict + ": " +
                            (errmsg && *errmsg ? *errmsg : "cannot open");
            kb_xdb_close(x);
            return kb_fail(errmsg, rc, "%s", m.c_str());
        }
        x->cl->dict_path = dict;
        stub_changed(x->cl->dict_path, &x->cl->dict_stub);
    }
    try {
        std::string why;
        for (auto &s : x->cl->slots) {
            s->handle.dict = x->dict;
            if (!open_slot(s.get()) && why.empty())
                why = slot_name(s.get()) + ": " + s->why;
        }
        rebuild(x);
        if (x->cl->live.empty()) {
            kb_xdb_close(x);
            return kb_fail(errmsg, KB_ENETWORK, "no shard answers; %s",
                           why.c_str());
        }
    } catch (...) {
        rc = map_current(errmsg);
        kb_xdb_close(x);
        return rc;
    }
    *out = x;
    return KB_OK;
}

size_t kb_xdb_nshards(const kb_xdb *db)
{
    return db && db->cl ? db->cl->slots.size() : 1;
}

kb_xdb *kb_xdb_shard(kb_xdb *db, size_t i)
{
    if (!db || !db->cl)
        return db;
    if (i >= db->cl->slots.size())
        return nullptr;
    kb_slot *s = db->cl->slots[i].get();
    if (!s->db && now_s() >= s->retry_at) {
        try {
            open_slot(s);
        } catch (...) {
        }
    }
    return &s->handle;
}

kb_xdb *kb_xdb_dictionary(kb_xdb *db)
{
    return db && db->dict ? db->dict : db;
}

size_t kb_xdb_missing(const kb_xdb *db, uint32_t *out, size_t max)
{
    if (!db || !db->cl)
        return 0;
    size_t n = 0;
    std::vector<uint32_t> m = db->cl->missing;
    std::sort(m.begin(), m.end());
    for (uint32_t v : m)
        if (n < max)
            out[n++] = v;
    return m.size();
}

int kb_xdb_shard_up(const kb_xdb *db, size_t i, const char **where)
{
    if (where)
        *where = "";
    if (!db || !db->cl)
        return 1;
    if (i >= db->cl->slots.size())
        return 0;
    const kb_slot *s = db->cl->slots[i].get();
    if (where)
        *where = s->port ? s->host.c_str() : s->path.c_str();
    return s->db != nullptr;
}

unsigned kb_xdb_shard_port(const kb_xdb *db, size_t i)
{
    if (!db || !db->cl || i >= db->cl->slots.size())
        return 0;
    return db->cl->slots[i]->port;
}

int kb_xdb_touched(const kb_xdb *db) { return db && db->touched; }

} // extern "C"
