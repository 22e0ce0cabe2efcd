#!/bin/bash
# run.sh - make cluster-test: a multi-node deployment on loopback.
#
#   writer      deskdex-server over a local set of 3 shards + dictionary,
#               xapian-replicate-server serving that folder
#   shard k     (k = 0..2) a replica of shard-k kept by deskdex-replicate,
#               served by xapian-tcpsrv
#   front-end j (j = 1, 2) read-only deskdex-server over the 3 remote
#               shards and its own replica of the dictionary
#   single      deskdex-server over one index of the same documents
#
# It loads the bundled corpus and a bounded part of the benchmark corpus
# (CLUSTER_PAGES PostgreSQL manual pages, default 300, when
# postgresql-doc-15 is installed), checks identical answers against the
# single index, did-you-mean and synonyms across shards, refused writes
# and lag on the replicas, then kills a shard, stops another, kills a
# front-end, all under a search load, and checks partial answers within a
# bounded time, no 5xx, and recovery. Every process runs under timeout in
# its own process group and is killed on exit; the work folder is removed.
# Last line: "tests: N passed, N failed".
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
cd "$top" || exit 2
BIN=${BIN:-bin}
PAGES=${CLUSTER_PAGES:-300}
LIMIT=900 # seconds any process may live

pass=0
fail=0
ok() { pass=$((pass + 1)); echo "ok - $1"; }
notok() { fail=$((fail + 1)); echo "not ok - $1"; }
check() { if eval "$2"; then ok "$1"; else notok "$1"; fi; }
say() { echo "# $*"; }

T=$(mktemp -d /tmp/deskdex-cluster.XXXXXX)
GROUPS_=""
ALIVE="" # what the test expects to be running
cleanup() {
    for g in $GROUPS_; do kill -CONT -- "-$g" 2>/dev/null; kill -TERM -- "-$g" 2>/dev/null; done
    sleep 0.3
    for g in $GROUPS_; do kill -KILL -- "-$g" 2>/dev/null; done
    wait 2>/dev/null
    rm -rf "$T"
}
trap cleanup EXIT INT TERM

# spawn NAME CMD...: run CMD in its own process group under timeout; the
# group id (its pid) goes to $T/NAME.pid.
spawn() {
    local name=$1
    shift
    setsid timeout "$LIMIT" "$@" >>"$T/$name.log" 2>&1 &
    echo $! >"$T/$name.pid"
    GROUPS_="$GROUPS_ $!"
    ALIVE="$ALIVE $name"
}
group() { cat "$T/$1.pid"; }
stop_group() {
    ALIVE=$(echo "$ALIVE" | tr ' ' '\n' | grep -vx "$1" | tr '\n' ' ')
    kill -CONT -- "-$(group "$1")" 2>/dev/null
    kill -TERM -- "-$(group "$1")" 2>/dev/null
}
# need_alive: a process the test relies on that has exited ends the test
# at once, with its log, instead of letting later waits run out.
need_alive() {
    for n in $ALIVE; do
        kill -0 "$(group "$n")" 2>/dev/null && continue
        notok "$n exited unexpectedly: $(tail -n 3 "$T/$n.log" | tr '\n' ' ')"
        echo "tests: $pass passed, $fail failed"
        exit 1
    done
}
free_port() { python3 "$top/tests/free-port"; }
wait_http() { # port
    for _ in $(seq 1 100); do
        curl -sf -m 2 "http://127.0.0.1:$1/healthz" >/dev/null 2>&1 && return 0
        sleep 0.1
    done
    return 1
}
wait_tcp() { # port
    for _ in $(seq 1 100); do
        (echo >"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0
        sleep 0.1
    done
    return 1
}
jq_() { # python expression on d, reading stdin
    python3 -c "import json,sys
try: d=json.load(sys.stdin)
except Exception: d={}
print($1)" 2>/dev/null
}
get() { curl -s -m 10 -H "Authorization: Bearer ed-key-1" "http://127.0.0.1:$1$2"; }
post_doc() { # port id text -> status
    curl -s -o "$T/post.out" -D "$T/post.hdr" -w '%{http_code}' -m 10 \
        -H "Authorization: Bearer ed-key-1" -H 'Content-Type: application/json' \
        -d "{\"id\":\"$2\",\"kind\":\"faq\",\"question\":\"Cluster question $2\",\"answer\":\"$3\"}" \
        "http://127.0.0.1:$1/v1/documents"
}
shard_of() {
    python3 -c 'import sys
h=14695981039346656037
for c in sys.argv[1].encode(): h=((h^c)*1099511628211)%(1<<64)
print(h%3)' "$1"
}

for t in xapian-tcpsrv xapian-replicate xapian-replicate-server setsid timeout curl python3; do
    command -v "$t" >/dev/null || { echo "not ok - $t is missing (scripts/deps.sh)"; echo "tests: 0 passed, 1 failed"; exit 1; }
done
[ -x "$BIN/deskdex-index" ] && [ -x "$BIN/deskdex-server" ] || { echo "not ok - build first"; echo "tests: 0 passed, 1 failed"; exit 1; }

# --- the documents ---
mkdir -p "$T/src/manuals"
cp -r corpus/manuals corpus/faqs corpus/tickets "$T/src/"
pg=/usr/share/doc/postgresql-doc-15/html
if [ -d "$pg" ] && [ "$PAGES" -gt 0 ]; then
    (cd "$pg" && find . -maxdepth 1 -name '*.html' | LC_ALL=C sort | head -n "$PAGES") |
        while read -r f; do cp -L "$pg/$f" "$T/src/manuals/pg-${f#./}"; done
fi
npages=$(find "$T/src/manuals" -name 'pg-*' | wc -l)
say "documents: corpus/ and $npages PostgreSQL manual pages"

h=$("$BIN/deskdex-server" --hash-key ed-key-1 | sed 's/"NAME"/"editor"/; s/"agent"/"editor"/')
echo "[$h]" >"$T/keys.json"
{
    printf 'rate_limit = 0\nkey_rate_limit = 0\naccess_log =\n'
    printf 'shard_timeout_ms = 1000\nshard_connect_timeout_ms = 300\n'
    printf 'shard_retry_ms = 1000\nlag_probe_ms = 100\nthreads = 4\n'
    grep '^synonym' etc/deskdex.conf
} >"$T/conf"

t0=$(date +%s.%N)
"$BIN/deskdex-index" --db "$T/single" --quiet --json "$T/src" >"$T/idx-single.json" 2>"$T/idx-single.err"
t1=$(date +%s.%N)
"$BIN/deskdex-index" --db "$T/w" --shards 3 --quiet --json "$T/src" >"$T/idx-set.json" 2>"$T/idx-set.err"
t2=$(date +%s.%N)
ndocs=$(xapian-delve "$T/single" | sed -n 's/^number of documents = //p')
say "indexed $ndocs searchable documents: single $(echo "$t1 - $t0" | bc) s, 3 shards $(echo "$t2 - $t1" | bc) s"
check "the set of 3 shards holds as many documents as the single index ($ndocs)" \
    'xapian-delve "$T/w" | grep -q "number of documents = $ndocs"'

# --- the processes ---
# Eight distinct ports from one call: separate calls could repeat one.
read -r PW PS PR P0 P1 P2 PF1 PF2 <<<"$(python3 "$top/tests/free-port" 8 | tr '\n' ' ')"
[ -n "$PF2" ] || { echo "cluster: no free ports" >&2; exit 2; }
SH=("$P0" "$P1" "$P2")

spawn single "$BIN/deskdex-server" --db "$T/single" --listen "127.0.0.1:$PS" \
    --config "$T/conf" --keys "$T/keys.json"
# The writer keeps changesets so replicas receive changes, not copies.
spawn writer env XAPIAN_MAX_CHANGESETS=200 "$BIN/deskdex-server" --db "$T/w" \
    --listen "127.0.0.1:$PW" --config "$T/conf" --keys "$T/keys.json"
spawn repserver xapian-replicate-server -I 127.0.0.1 -p "$PR" "$T/w"
wait_tcp "$PR"
for k in 0 1 2; do
    mkdir -p "$T/s$k"
    timeout 60 xapian-replicate -h 127.0.0.1 -p "$PR" -m "shard-$k" -o -q "$T/s$k/db" >>"$T/s$k.log" 2>&1
    spawn "tcp$k" xapian-tcpsrv --quiet --interface 127.0.0.1 --port "${SH[$k]}" "$T/s$k/db"
    spawn "rep$k" scripts/deskdex-replicate 127.0.0.1 "$PR" 0.1 "shard-$k=$T/s$k/db"
done
for j in 1 2; do
    mkdir -p "$T/f$j"
    timeout 60 xapian-replicate -h 127.0.0.1 -p "$PR" -m dict -o -q "$T/f$j/dict" >>"$T/f$j.log" 2>&1
    spawn "repd$j" scripts/deskdex-replicate 127.0.0.1 "$PR" 0.1 "dict=$T/f$j/dict"
    printf 'remote 127.0.0.1:%s\n' "$P0" "$P1" "$P2" >"$T/f$j/shards"
done
for k in 0 1 2; do wait_tcp "${SH[$k]}"; done
start_fe() { # j port
    spawn "fe$1" "$BIN/deskdex-server" --db "$T/f$1/shards" --dictionary "$T/f$1/dict" \
        --read-only --primary "http://127.0.0.1:$PW" --listen "127.0.0.1:$2" \
        --config "$T/conf" --keys "$T/keys.json"
}
start_fe 1 "$PF1"
start_fe 2 "$PF2"
up=1
for p in "$PS" "$PW" "$PF1" "$PF2"; do wait_http "$p" || up=0; done
need_alive
check "the single node, the writer and two front-ends answer" '[ $up -eq 1 ]'
check "a front-end opens the three remote shards" \
    '[ "$(get "$PF1" /healthz | jq_ "sum(s[\"up\"] for s in d[\"shards\"])")" = 3 ]'

# --- identical answers ---
python3 - "$T/single" "$T/ids" <<'EOF'
import subprocess, sys
out = subprocess.run(["xapian-metadata", "list", sys.argv[1], "d:"],
                     capture_output=True, text=True).stdout.split()
ids = [k[2:] for k in out if k.startswith("d:")]
step = max(1, len(ids) // 150)
open(sys.argv[2], "w").write("\n".join(ids[::step]) + "\n")
EOF
cmp_() { # name url-a url-b [key]
    python3 tests/cluster/compare.py "http://127.0.0.1:$2" "http://127.0.0.1:$3" \
        tests/cluster/queries.txt --ids "$T/ids" ${4:+--key "$4"} >"$T/cmp-$1.txt" 2>&1
    grep differs "$T/cmp-$1.txt" | head -5 | sed 's/^/    /'
    grep -q " 0 differences" "$T/cmp-$1.txt"
}
need_alive
check "writer's local set vs single index: $(cmp_ w "$PS" "$PW"; tail -n 1 "$T/cmp-w.txt")" \
    'grep -q " 0 differences" "$T/cmp-w.txt"'
check "front-end over remote shards vs single index, anonymous: $(cmp_ fa "$PS" "$PF1"; tail -n 1 "$T/cmp-fa.txt")" \
    'grep -q " 0 differences" "$T/cmp-fa.txt"'
check "front-end vs single index with an editor key (drafts, tickets): $(cmp_ fe "$PS" "$PF1" ed-key-1; tail -n 1 "$T/cmp-fe.txt")" \
    'grep -q " 0 differences" "$T/cmp-fe.txt"'
python3 tests/cluster/compare.py "http://127.0.0.1:$PS" "http://127.0.0.1:$PF1" \
    tests/cluster/queries.txt --args "&group=1" >"$T/cmp-fg.txt" 2>&1
grep differs "$T/cmp-fg.txt" | head -5 | sed 's/^/    /'
check "front-end over remote shards vs single index, by article (group=1): $(tail -n 1 "$T/cmp-fg.txt")" \
    'grep -q " 0 differences" "$T/cmp-fg.txt"'
dym_s=$(get "$PS" "/v1/search?q=reset+my+passwrd" | jq_ 'd.get("did_you_mean")')
dym_f=$(get "$PF1" "/v1/search?q=reset+my+passwrd" | jq_ 'd.get("did_you_mean")')
check "did-you-mean across remote shards: \"$dym_f\" (single: \"$dym_s\")" \
    '[ "$dym_f" = "reset my password" ] && [ "$dym_f" = "$dym_s" ]'
dym_f=$(get "$PF2" "/v1/search?q=certifcate+wifi" | jq_ 'd.get("did_you_mean")')
check "did-you-mean on the second front-end: \"$dym_f\"" '[ "$dym_f" = "certificate wifi" ]'
syn() { get "$1" "/v1/search?q=$2&limit=3" | jq_ '" ".join(r["id"] for r in d["results"])'; }
s1=$(syn "$PF1" wlan)
check "synonyms wlan = wifi across shards: $s1" '[ -n "$s1" ] && [ "$s1" = "$(syn "$PS" wlan)" ] && [ "$s1" = "$(syn "$PF1" wifi)" ]'
s1=$(syn "$PF1" passwd)
check "synonym passwd => password across shards: $s1" '[ -n "$s1" ] && [ "$s1" = "$(syn "$PS" passwd)" ]'
s2=$(syn "$PF1" '%E7%99%BB%E9%99%86')
check "synonym 登陆 => 登录 across shards" '[ -n "$s2" ] && [ "$s2" = "$(syn "$PS" "%E7%99%BB%E5%BD%95")" ]'
code=$(curl -s -o /dev/null -w '%{http_code}' -m 10 -H "Authorization: Bearer ed-key-1" \
    -H 'Content-Type: application/json' -d '{"subject":"vpn error 809","description":"hotel wifi"}' \
    "http://127.0.0.1:$PF1/v1/suggest")
check "suggested fixes answer on a front-end over remote shards" '[ "$code" = 200 ]'

# --- replicas: writes refused, lag ---
code=$(post_doc "$PF1" cl-refused "never stored")
check "a write to a replica is refused with 421 naming the writer" \
    '[ "$code" = 421 ] && grep -q "read_only" "$T/post.out" && grep -q "127.0.0.1:$PW" "$T/post.out" && grep -qi "^Location: http://127.0.0.1:$PW" "$T/post.hdr"'
lags=""
for n in 1 2 3 4 5 6 7 8 9 10; do
    word="quokka$n$RANDOM"
    post_doc "$PS" "cl-lag-$n" "The $word answer" >/dev/null # the same documents
    code=$(post_doc "$PW" "cl-lag-$n" "The $word answer")
    s=$(date +%s.%N)
    found=0
    for _ in $(seq 1 250); do
        if [ "$(get "$PF1" "/v1/search?q=$word&limit=1&facets=0" | jq_ 'd["total"]')" = 1 ]; then found=1; break; fi
        sleep 0.02
    done
    e=$(date +%s.%N)
    [ "$found" = 1 ] && lags="$lags $(echo "$e - $s" | bc)" || lags="$lags 9.99"
    [ "$code" = 201 ] || lags="$lags 9.99"
done
maxlag=$(echo "$lags" | tr ' ' '\n' | grep . | sort -n | tail -n 1)
medlag=$(echo "$lags" | tr ' ' '\n' | grep . | sort -n | sed -n 5p)
say "write on the writer -> searchable on a replica front-end, 10 writes (s):$lags"
check "a write is searchable on a replica within 1 s (median $medlag s, max $maxlag s)" \
    '[ "$(echo "$maxlag < 1.0" | bc)" = 1 ]'
sleep 0.5
hz=$(get "$PF1" /healthz)
check "replica /healthz reports lag: $(echo "$hz" | jq_ 'd.get("replica")')" \
    '[ "$(echo "$hz" | jq_ "d[\"replica\"][\"lag_seconds\"] == 0 and d[\"replica\"][\"primary_reachable\"] and d[\"replica\"][\"apply_seconds\"] < 1")" = True ]'
check "replica /metrics reports lag" \
    'get "$PF1" /metrics | grep -q "^deskdex_replica_lag_seconds 0.000" && get "$PF1" /metrics | grep -q "^deskdex_replica_apply_seconds "'
lid=cl-lag-3
check "a written document's versions read on a replica (shard $(shard_of "$lid"))" \
    '[ "$(get "$PF2" "/v1/documents/$lid/versions" | jq_ "len(d[\"versions\"])")" = 1 ]'

# --- failure under load ---
load() { # name port seconds
    local end=$(($(date +%s) + $3)) i=0
    while [ "$(date +%s)" -lt "$end" ]; do
        i=$((i + 1))
        curl -s -o /dev/null -m 15 -w "%{http_code} %{time_total}\n" \
            "http://127.0.0.1:$2/v1/search?q=password+reset+$i&limit=5" >>"$T/load-$1.txt"
    done
}
: >"$T/load-f1.txt"
: >"$T/load-f2.txt"
load f1 "$PF1" 40 &
LOAD1=$!
load f2 "$PF2" 40 &
LOAD2=$!
sleep 2
say "killing shard 1 (xapian-tcpsrv and its connections)"
stop_group tcp1
sleep 0.3
s=$(date +%s.%N)
r=$(get "$PF1" "/v1/search?q=password&limit=5")
e=$(date +%s.%N)
check "with shard 1 dead a search answers in $(echo "$e - $s" | bc) s, partial, missing [1]" \
    '[ "$(echo "$r" | jq_ "d.get(\"partial\") is True and d.get(\"missing_shards\") == [1] and len(d[\"results\"]) > 0")" = True ] && [ "$(echo "$e - $s < 2.5" | bc)" = 1 ]'
id0=""; id1=""
for i in $(cat "$T/ids"); do
    k=$(shard_of "$i")
    [ "$k" = 0 ] && [ -z "$id0" ] && id0=$i
    [ "$k" = 1 ] && [ -z "$id1" ] && id1=$i
done
c1=$(curl -s -o "$T/doc1.json" -w '%{http_code}' -m 10 -H "Authorization: Bearer ed-key-1" "http://127.0.0.1:$PF1/v1/documents/$id1")
c0=$(curl -s -o /dev/null -w '%{http_code}' -m 10 -H "Authorization: Bearer ed-key-1" "http://127.0.0.1:$PF1/v1/documents/$id0")
check "a document of the dead shard is 503 network_error ($c1), one of a live shard 200 ($c0)" \
    '[ "$c1" = 503 ] && grep -q network_error "$T/doc1.json" && [ "$c0" = 200 ]'
check "healthz says degraded and which shard is down" \
    '[ "$(get "$PF1" /healthz | jq_ "d[\"status\"] + str([s[\"up\"] for s in d[\"shards\"]])")" = "degraded[True, False, True]" ]'
say "stopping shard 2 (SIGSTOP: it accepts connections but never answers)"
kill -STOP -- "-$(group tcp2)"
s=$(date +%s.%N)
r=$(get "$PF1" "/v1/search?q=vpn&limit=5")
e=$(date +%s.%N)
took=$(echo "$e - $s" | bc)
check "with shard 2 hung a search answers in $took s (timeout 1 s), missing [1, 2]" \
    '[ "$(echo "$r" | jq_ "d.get(\"missing_shards\") == [1, 2] and len(d[\"results\"]) > 0")" = True ] && [ "$(echo "$took < 3.5" | bc)" = 1 ]'
say "killing front-end 2 under load"
stop_group fe2
sleep 1
say "shard 2 resumes, shard 1 restarts"
kill -CONT -- "-$(group tcp2)"
spawn tcp1 xapian-tcpsrv --quiet --interface 127.0.0.1 --port "$P1" "$T/s1/db"
wait_tcp "$P1"
back=0
s=$(date +%s.%N)
for _ in $(seq 1 60); do
    r=$(get "$PF1" "/v1/search?q=password&limit=5")
    if [ "$(echo "$r" | jq_ "d.get(\"partial\") is None and len(d[\"results\"]) > 0")" = True ]; then back=1; break; fi
    sleep 0.1
done
e=$(date +%s.%N)
check "the shards are picked up again within $(echo "$e - $s" | bc) s (retry every 1 s)" '[ $back -eq 1 ]'
start_fe 2 "$PF2"
wait_http "$PF2"
wait "$LOAD1" "$LOAD2"
need_alive
check "after recovery front-end 1 answers as the single index: $(cmp_ back1 "$PS" "$PF1"; tail -n 1 "$T/cmp-back1.txt")" \
    'grep -q " 0 differences" "$T/cmp-back1.txt"'
check "the restarted front-end 2 answers as the single index: $(cmp_ back2 "$PS" "$PF2"; tail -n 1 "$T/cmp-back2.txt")" \
    'grep -q " 0 differences" "$T/cmp-back2.txt"'
n1=$(wc -l <"$T/load-f1.txt")
bad1=$(grep -cv '^200 ' "$T/load-f1.txt")
slow1=$(awk '$2 > 3.5' "$T/load-f1.txt" | wc -l)
max1=$(awk '{ if ($2 > m) m = $2 } END { print m + 0 }' "$T/load-f1.txt")
say "load on front-end 1: $n1 searches, $bad1 not 200, slowest $max1 s"
check "front-end 1 under load: $n1 searches, all 200 (no 5xx, no hang), slowest $max1 s < 3.5 s" \
    '[ "$n1" -gt 50 ] && [ "$bad1" -eq 0 ] && [ "$slow1" -eq 0 ]'
n2=$(wc -l <"$T/load-f2.txt")
s5=$(grep -c '^5' "$T/load-f2.txt")
check "front-end 2 under load: $n2 searches, no 5xx before or after its restart" '[ "$s5" -eq 0 ]'
check "writes keep working on the writer after the failures" \
    '[ "$(post_doc "$PW" cl-after "after the failures")" = 201 ]'
post_doc "$PS" cl-after "after the failures" >/dev/null

# Servers stop cleanly; under make check's sanitizers they report at exit.
for n in single writer fe1 fe2; do stop_group "$n"; done
for _ in $(seq 1 50); do
    grep -q "deskdex-server: stopped" "$T/writer.log" "$T/fe1.log" 2>/dev/null && break
    sleep 0.1
done
sleep 1
check "no sanitizer or runtime error report in any server log" \
    '! grep -q "ERROR: AddressSanitizer\|runtime error:\|ERROR: LeakSanitizer" "$T"/*.log'

echo "tests: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
