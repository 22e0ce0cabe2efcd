#!/bin/bash
# capacity.sh - make capacity: per-shard figures for the capacity plan.
#
# Indexes the bundled corpus and CAP_PAGES pages of the benchmark corpus
# (Debian's PostgreSQL, Python, Linux and git manuals; default 2000) into
# a set of 3 shards, serves each shard with xapian-tcpsrv and a front-end
# over them, and measures per shard: documents, index size (du), the
# indexing rate, the RSS and CPU time per search of the shard server, and
# search latency p50/p99 (CAP_QUERIES sequential searches, default 600,
# through the front-end's HTTP API). Prints one table; README.md's
# capacity plan quotes it. Not a test: no pass/fail. CAP_CONF: settings
# lines added to the front-end's configuration (e.g. "thesaurus =").
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
cd "$top" || exit 2
BIN=${BIN:-bin}
PAGES=${CAP_PAGES:-2000}
NQ=${CAP_QUERIES:-600}
T=$(mktemp -d /tmp/deskdex-capacity.XXXXXX)
GROUPS_=""
cleanup() {
    for g in $GROUPS_; do kill -TERM -- "-$g" 2>/dev/null; done
    wait 2>/dev/null
    rm -rf "$T"
}
trap cleanup EXIT INT TERM
spawn() {
    local name=$1
    shift
    setsid timeout 1800 "$@" >>"$T/$name.log" 2>&1 &
    echo $! >"$T/$name.pid"
    GROUPS_="$GROUPS_ $!"
}
free_port() { python3 "$top/tests/free-port"; }
wait_http() {
    for _ in $(seq 1 100); do
        curl -sf -m 2 "http://127.0.0.1:$1/healthz" >/dev/null 2>&1 && return 0
        sleep 0.1
    done
    return 1
}
# cpu_ticks PID...: user+system clock ticks of the processes.
cpu_ticks() {
    local t=0 p
    for p in "$@"; do
        [ -r "/proc/$p/stat" ] || continue
        t=$((t + $(awk '{ print $14 + $15 }' "/proc/$p/stat")))
    done
    echo "$t"
}
rss_kb() { # PID...
    local t=0 p
    for p in "$@"; do
        [ -r "/proc/$p/status" ] || continue
        t=$((t + $(awk '/^VmRSS/ { print $2 }' "/proc/$p/status")))
    done
    echo "$t"
}

mkdir -p "$T/src/manuals"
cp -r corpus/manuals corpus/faqs corpus/tickets "$T/src/"
n=0
for dir in /usr/share/doc/postgresql-doc-15/html /usr/share/doc/python3.11/html \
    /usr/share/doc/linux-doc-6.1 /usr/share/doc/git-doc; do
    [ -d "$dir" ] || continue
    tag=$(basename "$(dirname "$dir")")
    while read -r f; do
        [ "$n" -ge "$PAGES" ] && break
        cp -L "$dir/$f" "$T/src/manuals/$tag-$(printf '%s' "$f" | tr / _)"
        n=$((n + 1))
    done < <(cd "$dir" && find -L . -type f -name '*.html' | LC_ALL=C sort | sed 's|^\./||')
done
mb=$(du -sk --apparent-size "$T/src" | awk '{ printf "%.1f", $1 / 1024 }')
echo "# input: corpus/ and $n manual pages, $mb MB"

s=$(date +%s.%N)
/usr/bin/time -f '%M' -o "$T/idx.rss" "$BIN/deskdex-index" --db "$T/set" --shards 3 --quiet --json "$T/src" >"$T/idx.json" 2>"$T/idx.err"
e=$(date +%s.%N)
secs=$(echo "$e - $s" | bc)
total=$(xapian-delve "$T/set" | sed -n 's/^number of documents = //p')
echo "# indexed $total documents into 3 shards in $secs s ($(echo "$total / $secs" | bc) documents/s, indexer peak RSS $(($(cat "$T/idx.rss") / 1024)) MB)"

# The queries: the comparison set, and words drawn from the documents.
python3 - "$T/q.txt" "$NQ" <<'EOF'
import random, sys, urllib.parse
base = [l.strip() for l in open("tests/cluster/queries.txt") if l.strip() and not l.startswith("#")]
words = "select index table function error connection password server replication \
backup configure module thread memory network file user permission kernel driver \
commit branch merge query transaction lock vacuum timeout certificate install".split()
rng = random.Random(7)
out = []
while len(out) < int(sys.argv[2]):
    if rng.random() < 0.4:
        out.append(rng.choice(base))
    else:
        out.append(urllib.parse.quote_plus(" ".join(rng.sample(words, rng.randint(1, 4)))))
open(sys.argv[1], "w").write("\n".join(out) + "\n")
EOF

printf 'rate_limit = 0\nkey_rate_limit = 0\naccess_log =\nthreads = 4\n' >"$T/conf"
grep '^synonym' etc/deskdex.conf >>"$T/conf"
[ -z "${CAP_CONF:-}" ] || printf '%s\n' "$CAP_CONF" >>"$T/conf"
PORTS=()
for k in 0 1 2; do
    PORTS[$k]=$(free_port)
    spawn "tcp$k" xapian-tcpsrv --quiet --interface 127.0.0.1 --port "${PORTS[$k]}" "$T/set/shard-$k"
done
printf 'remote 127.0.0.1:%s\n' "${PORTS[@]}" >"$T/remote"
PF=$(free_port)
sleep 0.3
spawn fe "$BIN/deskdex-server" --db "$T/remote" --dictionary "$T/set/dict" \
    --listen "127.0.0.1:$PF" --config "$T/conf"
wait_http "$PF" || { echo "front-end did not start"; cat "$T/fe.log"; exit 1; }

# Warm up, then time every search.
python3 - "$PF" "$T/q.txt" "$T/lat.txt" <<'EOF'
import sys, time, urllib.request
port, qfile, out = sys.argv[1], sys.argv[2], sys.argv[3]
qs = [l.strip() for l in open(qfile) if l.strip()]
def ask(q):
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/v1/search?q={q}&limit=10", timeout=30) as r:
        r.read()
for q in qs[:50]:
    ask(q)
with open(out, "w") as f:
    pass
EOF
fepid=$(pgrep -g "$(cat "$T/fe.pid")" deskdex-server | head -n 1)
kids=()
for k in 0 1 2; do
    kids[$k]=$(pgrep -g "$(cat "$T/tcp$k.pid")" xapian-tcpsrv | tr '\n' ' ')
done
c0=(); for k in 0 1 2; do c0[$k]=$(cpu_ticks ${kids[$k]}); done
f0=$(cpu_ticks "$fepid")
python3 - "$PF" "$T/q.txt" "$T/lat.txt" <<'EOF'
import sys, time, urllib.request
port, qfile, out = sys.argv[1], sys.argv[2], sys.argv[3]
qs = [l.strip() for l in open(qfile) if l.strip()]
lat = []
for q in qs:
    t = time.perf_counter()
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/v1/search?q={q}&limit=10", timeout=30) as r:
        r.read()
    lat.append((time.perf_counter() - t) * 1000)
open(out, "w").write("\n".join(f"{x:.3f}" for x in lat) + "\n")
EOF
hz=$(getconf CLK_TCK)
f1=$(cpu_ticks "$fepid")
lat=$(sort -n "$T/lat.txt" | awk '{ a[NR] = $1 } END { printf "%.2f %.2f", a[int(NR * 0.5)], a[int(NR * 0.99)] }')
echo "# $NQ sequential searches through the front-end over 3 remote shards: p50 / p99 ${lat% *} / ${lat#* } ms; front-end CPU $(echo "scale=3; ($f1 - $f0) * 1000 / $hz / $NQ" | bc) ms/search, RSS $(($(rss_kb "$fepid") / 1024)) MB"

printf '\n| shard | documents | index size MB | shard server RSS MB | shard CPU ms/search |\n| --- | --- | --- | --- | --- |\n'
for k in 0 1 2; do
    docs=$(xapian-delve "$T/set/shard-$k" | sed -n 's/^number of documents = //p')
    size=$(du -sk "$T/set/shard-$k" | awk '{ printf "%.1f", $1 / 1024 }')
    now=$(pgrep -g "$(cat "$T/tcp$k.pid")" xapian-tcpsrv | tr '\n' ' ')
    rss=$(($(rss_kb $now) / 1024))
    c1=$(cpu_ticks $now) # connections opened since count from zero
    cpu=$(echo "scale=3; ($c1 - ${c0[$k]}) * 1000 / $hz / $NQ" | bc)
    echo "| $k | $docs | $size | $rss | $cpu |"
done
dsize=$(du -sk "$T/set/dict" | awk '{ printf "%.1f", $1 / 1024 }')
echo
echo "# dictionary: $dsize MB; indexing: $(echo "$total / $secs" | bc) documents/s in one indexer process writing all 3 shards"
