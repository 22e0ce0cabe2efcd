#!/bin/sh
# run.sh - deskdex benchmarks, each figure beside a peer measured in the same
# run on the same data (omindex, SQLite FTS5, the server's own floor)
#
#   tests/bench/run.sh            the default run (8-11 minutes on 2 cores)
#   BENCH_QUICK=1 tests/bench/run.sh   smoke run on a tenth of the corpus
#   BENCH_FULL=1 tests/bench/run.sh    adds the 1,000,000-document growth step
#
# Prints one table and writes bench-results/bench-STAMP.{json,txt}.
# Other knobs: BENCH_WORK (work folder, default /tmp/deskdex-bench),
# BENCH_PORT (loopback port, default 18930), BIN and B (binaries, objects).
# Traffic goes to 127.0.0.1 only; every loop is bounded in count and time.

set -u
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
cd "$ROOT" || exit 2
BIN=${BIN:-bin}
B=${B:-build}
WORK=${BENCH_WORK:-/tmp/deskdex-bench}
PORT=${BENCH_PORT:-18930}
QUICK=${BENCH_QUICK:-0}
FULL=${BENCH_FULL:-0}
STAMP=$(date +%Y%m%d-%H%M%S)
OUTDIR=$ROOT/bench-results

if [ "$QUICK" = 1 ]; then
    MODE=quick; EVERY=10; NQ=300; QSECS=15; FSECS=20
    SIZES=2000,5000; HTTP_SIZE=5000; WRK_D=3; NLIVE=20
else
    MODE=default; EVERY=1; NQ=1000; QSECS=90; FSECS=240
    SIZES=10000,100000; HTTP_SIZE=100000; WRK_D=10; NLIVE=50
fi
[ "$FULL" = 1 ] && SIZES=$SIZES,1000000 && MODE=full

say() { printf '%s\n' "bench: $*" >&2; }
fail() { say "$*"; exit 2; }
SRV_PID=""
cleanup() { [ -n "$SRV_PID" ] && kill "$SRV_PID" 2>/dev/null; }
trap cleanup EXIT INT TERM

# --- packages: the corpus, the peers and the tools ---

need=""
for p in postgresql-doc-15 python3.11-doc linux-doc-6.1 apache2-doc git-doc \
    debian-handbook xapian-omega time wrk sqlite3 libsqlite3-dev; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" ||
        need="$need $p"
done
if [ -n "$need" ]; then
    say "installing$need"
    SUDO=""
    [ "$(id -u)" -ne 0 ] && SUDO=sudo
    export DEBIAN_FRONTEND=noninteractive
    $SUDO apt-get update -qq >/dev/null &&
        $SUDO apt-get install -y -qq --no-install-recommends $need >/dev/null ||
        fail "could not install$need"
fi
for t in omindex wrk /usr/bin/time sqlite3; do
    command -v "$t" >/dev/null || fail "$t is missing"
done
[ -x "$BIN/deskdex-index" ] && [ -x "$BIN/deskdex-server" ] ||
    fail "build first: make all"

rm -rf "$WORK"
mkdir -p "$WORK/bin" "$WORK/manuals" "$OUTDIR" || exit 2
RES=$WORK/results.jsonl     # every raw measurement, one JSON per line
ROWS=$WORK/rows.tsv         # the table
: >"$RES"
: >"$ROWS"

# --- the helper programs ---

LIBS="$(pkg-config --libs xapian-core jansson libutf8proc libcmark libxml-2.0 nettle libzip opencc) -lstemmer -lcsv -lsqlite3 -lstdc++ -lm -lpthread"
# Flags are word lists: split on purpose.
# shellcheck disable=SC2046,SC2086
cc -std=c11 -D_DEFAULT_SOURCE -O2 -Wall -Wextra -Ishared -Iindexer \
    $(pkg-config --cflags xapian-core jansson libxml-2.0) \
    tests/bench/ddxbench.c "$B/indexer/readers.o" "$B"/indexer/rd_*.o "$B/libdeskdex.a" \
    $LIBS -o "$WORK/bin/ddxbench" || fail "cannot build ddxbench"
cc -std=c11 -D_DEFAULT_SOURCE -O2 -Wall -Wextra tests/bench/ddxlive.c -lm \
    -o "$WORK/bin/ddxlive" || fail "cannot build ddxlive"
DB=$WORK/bin/ddxbench
LIVE=$WORK/bin/ddxlive

# The shipped settings and synonyms, with the per-client rate limits off:
# every request here comes from one address, on purpose.
CONF=$WORK/deskdex.conf
cp etc/deskdex.conf "$CONF"
if grep -q rate_limit etc/deskdex.conf; then
    printf 'rate_limit = 0\nkey_rate_limit = 0\nmax_connections_per_ip = 1024\n' >>"$CONF"
fi

# --- helpers ---

# jget FILE KEY: a number or string field of the first JSON line with KEY.
jget() {
    sed -n "s/.*\"$2\":\"\{0,1\}\([^,\"}]*\).*/\1/p" "$1" | head -n 1
}
# calc EXPR: awk arithmetic, two decimals; "-" when it divides by zero.
calc() { awk "BEGIN { d = $1; printf \"%.2f\", d }" 2>/dev/null || printf -- -; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b + 0 == 0) print "-"; else printf "%.2f", a / b }'; }
# verdict RATIO_OR_VALUE OP LIMIT: "met" or "MISSED (by N%)".
verdict() {
    awk -v v="$1" -v op="$2" -v t="$3" 'BEGIN {
        if (v == "-" || v == "") { print "n/a"; exit }
        ok = (op == "ge") ? v + 0 >= t + 0 : v + 0 <= t + 0
        if (ok) print "met"
        else if (op == "ge") printf "MISSED by %.0f%%\n", (t - v) / t * 100
        else printf "MISSED by %.0f%%\n", (v - t) / t * 100 }'
}
# row SECTION METRIC DESKDEX PEER PEER_NAME [TARGET VERDICT]
row() {
    _r=$(ratio "$3" "$4")
    printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$1" "$2" "$3" "$4" "$5" "$_r" \
        "${6:--}" "${7:--}" >>"$ROWS"
}
# record NAME FILE: keep a raw measurement, tagged.
record() {
    sed "s/^{/{\"name\":\"$1\",/" "$2" >>"$RES"
}
# timed NAME CMD...: run CMD under /usr/bin/time; NAME.time gets "secs kb".
# (POSIX sh has no local variables: helpers use _-prefixed names.)
timed() {
    _tn=$1
    shift
    /usr/bin/time -f '%e %M' -o "$WORK/$_tn.time" "$@" >"$WORK/$_tn.out" \
        2>"$WORK/$_tn.err"
    _rc=$?
    printf '{"seconds":%s,"max_rss_kb":%s}\n' \
        "$(tail -n 1 "$WORK/$_tn.time" | cut -d' ' -f1)" \
        "$(tail -n 1 "$WORK/$_tn.time" | cut -d' ' -f2)" >"$WORK/$_tn.json"
    record "$_tn" "$WORK/$_tn.json"
    return $_rc
}
secs() { tail -n 1 "$WORK/$1.time" | cut -d' ' -f1; }
rss_mb() { tail -n 1 "$WORK/$1.time" | awk '{ printf "%.1f", $2 / 1024 }'; }
du_mb() { du -sk "$1" | awk '{ printf "%.1f", $1 / 1024 }'; }

start_server() { # DBDIR [THREADS]
    "$BIN/deskdex-server" --db "$1" --listen "127.0.0.1:$PORT" \
        --threads "${2:-2}" --config "$CONF" --keys "$WORK/keys.json" \
        --access-log "$WORK/access.log" 2>>"$WORK/server.log" &
    SRV_PID=$!
    "$LIVE" "$PORT" wait || fail "the server did not start (see $WORK/server.log)"
}
stop_server() {
    [ -n "$SRV_PID" ] && kill "$SRV_PID" 2>/dev/null && wait "$SRV_PID" 2>/dev/null
    SRV_PID=""
}
vm() { awk -v k="$1:" '$1 == k { printf "%.1f", $2 / 1024 }' "/proc/$SRV_PID/status"; }
# CPU ticks the server has used (all its threads).
srv_ticks() { awk '{ print $14 + $15 }' "/proc/$SRV_PID/stat"; }
HZ=$(getconf CLK_TCK)
# wrk_run NAME CONNS URLFILE SECONDS: the JSON gets the server's CPU time
# per request, which other work on a shared machine does not inflate.
# The answer cache's hits and misses so far: "HITS MISSES".
cache_counts() {
    curl -s -m 5 "http://127.0.0.1:$PORT/metrics" | awk '
        $1 == "deskdex_cache_hits_total" { h = $2 }
        $1 == "deskdex_cache_misses_total" { m = $2 }
        END { print h + 0, m + 0 }'
}
wrk_run() {
    _h0=$(cache_counts)
    _c0=$(srv_ticks)
    wrk -t1 -c"$2" -d"$4"s --timeout 5s -s tests/bench/rotate.lua \
        "http://127.0.0.1:$PORT" -- "$3" 2>&1 | tail -n 1 >"$WORK/$1.tmp"
    _c1=$(srv_ticks)
    _h1=$(cache_counts)
    _n=$(jget "$WORK/$1.tmp" requests)
    _cpu=$(awk -v a="$_c0" -v b="$_c1" -v n="${_n:-0}" -v hz="$HZ" \
        'BEGIN { printf "%.3f", n ? (b - a) * 1000 / hz / n : 0 }')
    _hit=$(echo "$_h0 $_h1" | awk '{ d = ($3 - $1) + ($4 - $2)
        printf "%.1f", d ? 100 * ($3 - $1) / d : 0 }')
    sed "s/}\$/,\"server_cpu_ms_per_req\":$_cpu,\"cache_hit_pct\":$_hit}/" \
        "$WORK/$1.tmp" >"$WORK/$1.json"
    record "$1" "$WORK/$1.json"
}
# busy_pct SECONDS: how busy the CPUs are (before we start: others' work).
busy_pct() {
    _a=$(head -n 1 /proc/stat)
    sleep "$1"
    _b=$(head -n 1 /proc/stat)
    printf '%s\n%s\n' "$_a" "$_b" | awk '
        { idle[NR] = $5 + $6; tot[NR] = 0; for (i = 2; i <= NF; i++) tot[NR] += $i }
        END { d = tot[2] - tot[1]; printf "%.0f", d ? 100 * (1 - (idle[2] - idle[1]) / d) : 0 }'
}
ms() { awk -v u="$1" 'BEGIN { printf "%.2f", u / 1000 }'; }

T0=$(date +%s)
LOAD0=$(cut -d' ' -f1-3 /proc/loadavg)
BUSY0=$(busy_pct 3)
say "mode $MODE, work folder $WORK; CPUs ${BUSY0}% busy before the start"

# --- 1. indexing a real corpus of IT documentation ---

say "copying the Debian documentation (every page 1 in $EVERY)"
# Flattened names keep the ids (derived from file names) unique.
for spec in pg:/usr/share/doc/postgresql-doc-15/html \
    py:/usr/share/doc/python3.11/html \
    linux:/usr/share/doc/linux-doc-6.1/html \
    apache:/usr/share/doc/apache2-doc/manual/en \
    git:/usr/share/doc/git-doc \
    dh:/usr/share/doc/debian-handbook/html/en-US; do
    tag=${spec%%:*}
    dir=${spec#*:}
    (cd "$dir" && find -L . -type f -name '*.html' | LC_ALL=C sort) |
        awk -v e="$EVERY" 'NR % e == 0' |
        while IFS= read -r f; do
            f=${f#./}
            cp -L "$dir/$f" "$WORK/manuals/$tag-$(printf '%s' "$f" | tr / _)"
        done
done
PAGES=$(find "$WORK/manuals" -type f | wc -l)
IN_MB=$(du -sk --apparent-size "$WORK/manuals" | awk '{ printf "%.1f", $1 / 1024 }')
say "$PAGES pages, $IN_MB MB of HTML"

say "indexing with deskdex-index"
timed idx_deskdex "$BIN/deskdex-index" --db "$WORK/kb" --quiet --json "$WORK/manuals"
[ -s "$WORK/idx_deskdex.out" ] || fail "deskdex-index failed: $(tail -n 3 "$WORK/idx_deskdex.err")"
record idx_deskdex_summary "$WORK/idx_deskdex.out"
SECTIONS=$(jget "$WORK/idx_deskdex.out" added)
REJECTED=$(jget "$WORK/idx_deskdex.out" rejected)

say "indexing with deskdex-index --jobs 2 (a first load in 2 processes, merged)"
timed idx_deskdex_j2 "$BIN/deskdex-index" --db "$WORK/kb-j2" --jobs 2 --quiet --json "$WORK/manuals"
[ -s "$WORK/idx_deskdex_j2.out" ] || fail "deskdex-index --jobs 2 failed: $(tail -n 3 "$WORK/idx_deskdex_j2.err")"
record idx_deskdex_j2_summary "$WORK/idx_deskdex_j2.out"

say "indexing with omindex"
timed idx_omindex omindex --db "$WORK/omega" --url / "$WORK/manuals" ||
    fail "omindex failed: $(tail -n 3 "$WORK/idx_omindex.err")"

say "indexing with SQLite FTS5 (through deskdex's own readers)"
timed idx_fts5 "$DB" fts5-index "$WORK/fts5.sqlite" "$WORK/manuals" ||
    fail "fts5-index failed"
record idx_fts5_summary "$WORK/idx_fts5.out"

S_D=$(secs idx_deskdex); S_O=$(secs idx_omindex); S_F=$(secs idx_fts5)
PPS_D=$(calc "$PAGES / $S_D"); PPS_O=$(calc "$PAGES / $S_O"); PPS_F=$(calc "$PAGES / $S_F")
MBS_D=$(calc "$IN_MB / $S_D"); MBS_O=$(calc "$IN_MB / $S_O"); MBS_F=$(calc "$IN_MB / $S_F")
SZ_D=$(du_mb "$WORK/kb"); SZ_O=$(du_mb "$WORK/omega"); SZ_F=$(du_mb "$WORK/fts5.sqlite")
SEC="1 index $PAGES pages"
row "$SEC" "wall seconds (vs omindex)" "$S_D" "$S_O" omindex
row "$SEC" "wall seconds (vs FTS5)" "$S_D" "$S_F" fts5 "<=2.00" \
    "$(verdict "$(ratio "$S_D" "$S_F")" le 2)"
row "$SEC" "pages/s (vs omindex)" "$PPS_D" "$PPS_O" omindex ">=3.00" \
    "$(verdict "$(ratio "$PPS_D" "$PPS_O")" ge 3)"
row "$SEC" "pages/s (vs FTS5)" "$PPS_D" "$PPS_F" fts5
row "$SEC" "documents/s (deskdex: $SECTIONS sections)" \
    "$(calc "$SECTIONS / $S_D")" "$PPS_O" "omindex (1 doc/page)"
row "$SEC" "MB/s of HTML input ($IN_MB MB)" "$MBS_D" "$MBS_O" omindex
row "$SEC" "MB/s of HTML input" "$MBS_D" "$MBS_F" fts5
row "$SEC" "peak RSS MB" "$(rss_mb idx_deskdex)" "$(rss_mb idx_omindex)" omindex
row "$SEC" "peak RSS MB" "$(rss_mb idx_deskdex)" "$(rss_mb idx_fts5)" fts5
row "$SEC" "index size MB" "$SZ_D" "$SZ_O" omindex
row "$SEC" "index size MB" "$SZ_D" "$SZ_F" fts5
S_J=$(secs idx_deskdex_j2)
row "$SEC" "--jobs 2: wall seconds (vs omindex)" "$S_J" "$S_O" omindex
row "$SEC" "--jobs 2: wall seconds (vs FTS5)" "$S_J" "$S_F" fts5 "<=2.00" \
    "$(verdict "$(ratio "$S_J" "$S_F")" le 2)"
row "$SEC" "--jobs 2: pages/s (vs omindex)" "$(calc "$PAGES / $S_J")" "$PPS_O" omindex \
    ">=3.00" "$(verdict "$(ratio "$(calc "$PAGES / $S_J")" "$PPS_O")" ge 3)"
row "$SEC" "--jobs 2: peak RSS MB of one process" "$(rss_mb idx_deskdex_j2)" \
    "$(rss_mb idx_omindex)" omindex
row "$SEC" "--jobs 2: index size MB (merged: compact)" "$(du_mb "$WORK/kb-j2")" "$SZ_O" omindex
rm -rf "$WORK/kb-j2"

# --- 2. query latency in-process ---

say "adding the bundled corpus (Chinese documents) to both indexes"
"$BIN/deskdex-index" --db "$WORK/kb" --quiet corpus >/dev/null 2>&1
"$DB" fts5-index "$WORK/fts5.sqlite" corpus >/dev/null || fail "fts5-index corpus"

say "making query sets and growth corpora ($SIZES)"
mkdir -p "$WORK/gen"
"$DB" gen "$WORK/gen" "$SIZES" "$WORK/manuals" corpus >"$WORK/gen.json" ||
    fail "gen failed"
record gen "$WORK/gen.json"

SEC="2 query in-process (ms)"
# pair SET MODE KB_JSON FTS5_JSON: both engines in one process, in turn
# over blocks of 50 queries of the set, so that the ratio holds whatever
# the machine's speed does during the step.
pair() {
    "$DB" lat-pair "$WORK/kb" "$CONF" "$WORK/fts5.sqlite" \
        "$WORK/gen/q-$1.txt" "$NQ" "$FSECS" "$2" >"$WORK/lat_pair.tmp" ||
        fail "lat-pair $1 $2"
    sed -n 1p "$WORK/lat_pair.tmp" >"$3"
    sed -n 2p "$WORK/lat_pair.tmp" >"$4"
    record "$(basename "$3" .json)" "$3"
    record "$(basename "$4" .json)" "$4"
}
for set in short long zh related; do
    mode=search
    [ "$set" = related ] && mode=related
    say "latency: $set queries, kb_search() ($mode) and FTS5"
    pair "$set" "$mode" "$WORK/lat_kb_$set.json" "$WORK/lat_fts5_$set.json"
    nk=$(jget "$WORK/lat_kb_$set.json" n); nf=$(jget "$WORK/lat_fts5_$set.json" n)
    for p in p50 p99; do
        d=$(jget "$WORK/lat_kb_$set.json" "${p}_ms")
        f=$(jget "$WORK/lat_fts5_$set.json" "${p}_ms")
        row "$SEC" "$set $p, n=$nk/$nf" "$d" "$f" fts5 "<=0.20" \
            "$(verdict "$(ratio "$d" "$f")" le 0.2)"
    done
    row "$SEC" "$set mean CPU ms/query" \
        "$(jget "$WORK/lat_kb_$set.json" cpu_mean_ms)" \
        "$(jget "$WORK/lat_fts5_$set.json" cpu_mean_ms)" fts5
done
# The page's search (group=1: by article), paired with FTS5's short
# questions again; then where the time goes: the short set without
# facets, then also without spelling and snippets (the Xapian match and
# result building alone), against the short set's FTS5 figures.
say "latency: short queries grouped by article and FTS5"
pair short grouped "$WORK/lat_kb_short_grouped.json" \
    "$WORK/lat_fts5_short_grouped.json"
for m in grouped nofacets bare; do
    fts=$WORK/lat_fts5_short.json
    if [ "$m" = grouped ]; then
        fts=$WORK/lat_fts5_short_grouped.json
    else
        "$DB" lat-kb "$WORK/kb" "$CONF" "$WORK/gen/q-short.txt" "$NQ" \
            "$QSECS" "$m" >"$WORK/lat_kb_short_$m.json"
        record "lat_kb_short_$m" "$WORK/lat_kb_short_$m.json"
    fi
    what="without facets (diagnostic)"
    [ "$m" = bare ] && what="no facets/spelling/snippets (diagnostic)"
    [ "$m" = grouped ] && what="grouped by article, as the page asks"
    for p in p50 p99; do
        d=$(jget "$WORK/lat_kb_short_$m.json" "${p}_ms")
        f=$(jget "$fts" "${p}_ms")
        if [ "$m" = grouped ]; then
            row "$SEC" "short $p $what" "$d" "$f" fts5 "<=0.20" \
                "$(verdict "$(ratio "$d" "$f")" le 0.2)"
        else
            row "$SEC" "short $p $what" "$d" "$f" fts5
        fi
    done
done

# --- 4. growth (before 3: the HTTP test uses the index made here) ---

key="bench-editor-key-$STAMP"
hash=$("$BIN/deskdex-server" --hash-key "$key" | sed -n 's/.*"sha256": "\([0-9a-f]*\)".*/\1/p')
printf '[{"name":"bench","role":"editor","sha256":"%s"}]\n' "$hash" >"$WORK/keys.json"

SEC="4 growth"
for sz in $(echo "$SIZES" | tr , ' '); do
    say "growth: $sz documents"
    g=$WORK/gen/g$sz
    timed "grow_idx_deskdex_$sz" "$BIN/deskdex-index" --db "$WORK/g$sz.kb" --quiet --json "$g"
    record "grow_idx_deskdex_${sz}_summary" "$WORK/grow_idx_deskdex_$sz.out"
    timed "grow_idx_fts5_$sz" "$DB" fts5-index "$WORK/g$sz.sqlite" "$g"
    row "$SEC" "$sz docs: index seconds" "$(secs "grow_idx_deskdex_$sz")" \
        "$(secs "grow_idx_fts5_$sz")" fts5
    row "$SEC" "$sz docs: index size MB" "$(du_mb "$WORK/g$sz.kb")" \
        "$(du_mb "$WORK/g$sz.sqlite")" fts5
    "$DB" lat-kb "$WORK/g$sz.kb" "$CONF" "$WORK/gen/q-short.txt" "$NQ" "$QSECS" \
        search >"$WORK/grow_lat_kb_$sz.json"
    record "grow_lat_kb_$sz" "$WORK/grow_lat_kb_$sz.json"
    timed "grow_lat_fts5_$sz" "$DB" lat-fts5 "$WORK/g$sz.sqlite" \
        "$WORK/gen/q-short.txt" "$NQ" "$FSECS"
    cp "$WORK/grow_lat_fts5_$sz.out" "$WORK/grow_lat_fts5_$sz.json"
    record "grow_lat_fts5_${sz}_q" "$WORK/grow_lat_fts5_$sz.json"
    row "$SEC" "$sz docs: short-query p99 ms" \
        "$(jget "$WORK/grow_lat_kb_$sz.json" p99_ms)" \
        "$(jget "$WORK/grow_lat_fts5_$sz.json" p99_ms)" fts5
    start_server "$WORK/g$sz.kb"
    wrk_run "grow_http_$sz" 16 "$WORK/gen/u-short.txt" 5
    rss=$(vm VmHWM)
    printf '{"server_vmhwm_mb":%s,"server_vmrss_mb":%s}\n' "$rss" "$(vm VmRSS)" \
        >"$WORK/grow_rss_$sz.json"
    record "grow_rss_$sz" "$WORK/grow_rss_$sz.json"
    stop_server
    row "$SEC" "$sz docs: server peak RSS MB (5 s of searches)" "$rss" \
        "$(rss_mb "grow_lat_fts5_$sz")" "fts5 query process"
done

# http_rows ENDPOINT CONNS WRK_JSON NOTE: the rate and p99 rows of one wrk
# run of search or related (NOTE follows "requests/s" in the label).
http_rows() {
    _e1=$(jget "$3" errors)
    _e2=$(jget "$3" non2xx)
    _err=$((${_e1:-0} + ${_e2:-0}))
    _p99=$(ms "$(jget "$3" p99_us)")
    _lim=10
    [ "$1" = related ] && _lim=5
    if [ "$1" = search ]; then
        _v=$(verdict "$(jget "$3" rps)" ge 5000)
        [ "$_err" -gt 0 ] && _v="n/a: $_err errors"
        row "$SEC" "search c=$2 requests/s$4 (errors $_err)" "$(jget "$3" rps)" \
            "$(jget "$WORK/http_ceiling_search.json" qps)" \
            "kb_search() 2 threads in-process" ">=5000" "$_v"
    else
        row "$SEC" "related c=$2 requests/s$4 (errors $_err)" "$(jget "$3" rps)" \
            "$(jget "$WORK/http_ceiling_related.json" qps)" \
            "kb_search() 2 threads in-process"
    fi
    row "$SEC" "$1 c=$2 p99 ms" "$_p99" \
        "$(ms "$(jget "$WORK/http_health_c$2.json" p99_us)")" \
        "GET /healthz same server" "<=$_lim" "$(verdict "$_p99" le "$_lim")"
}

# cpu_rows ENDPOINT CONNS WRK_JSON: the server's CPU per request, and for
# search what 2 idle cores could serve at that cost (2000 / it; wrk's own
# CPU aside). Unlike wall-clock rates it does not depend on what else the
# machine runs.
cpu_rows() {
    _cpu=$(jget "$3" server_cpu_ms_per_req)
    row "$SEC" "$1 c=$2 server CPU ms/request" "$_cpu" \
        "$(jget "$WORK/http_ceiling_$1.json" cpu_mean_ms)" \
        "kb_search() CPU ms/query"
    [ "$1" = search ] || return 0
    _proj=$(awk -v c="$_cpu" 'BEGIN { if (c + 0 > 0) printf "%.0f", 2000 / c; else print "-" }')
    row "$SEC" "search c=$2 requests/s projected on 2 idle cores" "$_proj" \
        "$(jget "$WORK/http_health_c$2.json" rps)" "GET /healthz measured" \
        ">=5000" "$(verdict "$_proj" ge 5000)"
}

# --- 3. HTTP with wrk ---

SEC="3 HTTP $HTTP_SIZE docs, 2 threads"
# wrk and the server share the 2 cores: anything else running skews this.
LOAD_HTTP=$(cut -d' ' -f1-3 /proc/loadavg)
BUSY_HTTP=$(busy_pct 3)
HDB=$WORK/g$HTTP_SIZE.kb
say "HTTP: in-process ceiling on 2 threads"
"$DB" lat-kb "$HDB" "$CONF" "$WORK/gen/q-short.txt" 10000000 "$WRK_D" search 2 \
    >"$WORK/http_ceiling_search.json"
record http_ceiling_search "$WORK/http_ceiling_search.json"
"$DB" lat-kb "$HDB" "$CONF" "$WORK/gen/q-related.txt" 10000000 "$WRK_D" related 2 \
    >"$WORK/http_ceiling_related.json"
record http_ceiling_related "$WORK/http_ceiling_related.json"
start_server "$HDB" 2
echo /healthz >"$WORK/gen/u-health.txt"
for c in 1 16 64; do
    say "HTTP: $c connections"
    wrk_run "http_health_c$c" "$c" "$WORK/gen/u-health.txt" 3
    wrk_run "http_search_c$c" "$c" "$WORK/gen/u-short.txt" "$WRK_D"
    wrk_run "http_related_c$c" "$c" "$WORK/gen/u-related.txt" "$WRK_D"
    for ep in search related; do
        f=$WORK/http_${ep}_c$c.json
        http_rows "$ep" "$c" "$f" ", cache $(jget "$f" cache_hit_pct)% hits"
    done
    row "$SEC" "healthz c=$c requests/s (HTTP floor)" \
        "$(jget "$WORK/http_health_c$c.json" rps)" "-" "-"
    for ep in search related; do
        cpu_rows "$ep" "$c" "$WORK/http_${ep}_c$c.json"
    done
done
HWM=$(vm VmHWM)
stop_server

# The same without the answer cache: every request runs its search.
SEC="3b HTTP $HTTP_SIZE docs, 2 threads, answer cache off"
NOCACHE=$WORK/deskdex-nocache.conf
cp "$CONF" "$NOCACHE"
echo 'cache_entries = 0' >>"$NOCACHE"
CONF_SAVED=$CONF
CONF=$NOCACHE
start_server "$HDB" 2
CONF=$CONF_SAVED
for c in 16 64; do
    say "HTTP, cache off: $c connections"
    for ep in search related; do
        u=short
        [ "$ep" = related ] && u=related
        wrk_run "http_nc_${ep}_c$c" "$c" "$WORK/gen/u-$u.txt" "$WRK_D"
        http_rows "$ep" "$c" "$WORK/http_nc_${ep}_c$c.json" ""
        cpu_rows "$ep" "$c" "$WORK/http_nc_${ep}_c$c.json"
    done
done
stop_server
start_server "$HDB" 2

# --- 5. live update ---

say "live update: $NLIVE posts"
"$LIVE" "$PORT" "$key" "$NLIVE" "$(echo "$STAMP" | tr -dc 0-9 | tr 0-9 a-j)" \
    >"$WORK/live.json" 2>"$WORK/live.err" || say "live: $(cat "$WORK/live.err")"
record live "$WORK/live.json"
stop_server
cp "$WORK/g$HTTP_SIZE.sqlite" "$WORK/live.sqlite"
"$DB" live-fts5 "$WORK/live.sqlite" "$NLIVE" >"$WORK/live_fts5.json"
record live_fts5 "$WORK/live_fts5.json"
SEC="5 live update, $HTTP_SIZE docs (ms)"
for p in p50 p99; do
    row "$SEC" "POST /v1/documents $p (write+commit)" \
        "$(jget "$WORK/live.json" "post_${p}_ms")" \
        "$(jget "$WORK/live_fts5.json" "write_${p}_ms")" "fts5 insert+commit"
    v=$(jget "$WORK/live.json" "visible_${p}_ms")
    row "$SEC" "POST answered -> searchable $p" "$v" \
        "$(jget "$WORK/live_fts5.json" "visible_${p}_ms")" "fts5 other connection" \
        "<=100" "$(verdict "$v" le 100)"
done
row "$SEC" "server peak RSS MB after HTTP + live" "$HWM" "-" "-"

# --- the table and the files ---

ELAPSED=$(($(date +%s) - T0))
sort -s -t "$(printf '\t')" -k1,1 "$ROWS" >"$ROWS.sorted"
TXT=$OUTDIR/bench-$STAMP.txt
JSON=$OUTDIR/bench-$STAMP.json
{
    printf 'deskdex bench %s, mode %s, %s cores, %ss; ratio = deskdex / peer\n' \
        "$STAMP" "$MODE" "$(nproc)" "$ELAPSED"
    printf 'corpus: %s Debian doc pages (%s MB HTML) -> %s deskdex sections (%s rejected)\n' \
        "$PAGES" "$IN_MB" "$SECTIONS" "$REJECTED"
    printf 'machine: CPUs %s%% busy with other work before the start, %s%% before HTTP; load %s / %s / %s\n' \
        "$BUSY0" "$BUSY_HTTP" "$LOAD0" "$LOAD_HTTP" "$(cut -d' ' -f1-3 /proc/loadavg)"
    awk -F '\t' '
        { if ($1 != last) { printf "\n%s\n", $1; last = $1 }
          printf "  %-50s %10s %10s  %-26s %7s  %-7s %s\n", $2, $3, $4, $5, $6, $7, $8 }
        BEGIN { printf "  %-50s %10s %10s  %-26s %7s  %-7s %s\n", "metric", "deskdex",
                "peer", "peer is", "ratio", "target", "verdict" }' "$ROWS.sorted"
} | tee "$TXT"
{
    printf '{"stamp":"%s","mode":"%s","cores":%s,"seconds":%s,"pages":%s,' \
        "$STAMP" "$MODE" "$(nproc)" "$ELAPSED" "$PAGES"
    printf '"input_mb":%s,"sections":%s,"load_start":"%s","load_http":"%s",' \
        "$IN_MB" "${SECTIONS:-0}" "$LOAD0" "$LOAD_HTTP"
    printf '"busy_pct_start":%s,"busy_pct_http":%s,' "$BUSY0" "$BUSY_HTTP"
    printf '"rows":['

    awk -F '\t' '
        function q(s) { gsub(/\\/, "\\\\", s); gsub(/"/, "\\\"", s); return "\"" s "\"" }
        { printf "%s{\"section\":%s,\"metric\":%s,\"deskdex\":%s,\"peer\":%s,\"peer_is\":%s,\"ratio\":%s,\"target\":%s,\"verdict\":%s}",
            (NR > 1 ? "," : ""), q($1), q($2), q($3), q($4), q($5), q($6), q($7), q($8) }' "$ROWS.sorted"
    printf '],"raw":['
    awk 'NR > 1 { printf "," } { printf "%s", $0 }' "$RES"
    printf ']}\n'
} >"$JSON"
say "wrote $JSON and $TXT"
