#!/bin/sh
# run.sh - make soak: wrk against search, related and suggest while a writer
# posts documents, for SOAK_SECONDS (default 600). Reports requests, errors,
# 5xx, p99 and the server's RSS at start and end. Loopback only, bounded.
set -u
BIN=${BIN:-bin}
SECS=${SOAK_SECONDS:-600}
top=$(cd "$(dirname "$0")/../.." && pwd)
cd "$top" || exit 2
command -v wrk >/dev/null || { echo "soak: wrk is missing (scripts/deps.sh bench)"; exit 2; }
T=$(mktemp -d)
SPID=""
cleanup() { [ -n "$SPID" ] && kill "$SPID" 2>/dev/null; wait 2>/dev/null; rm -rf "$T"; }
trap cleanup EXIT INT TERM

port=$(python3 -c 'import socket;s=socket.socket();s.bind(("127.0.0.1",0));print(s.getsockname()[1])')
"$BIN/deskdex-index" --db "$T/kb" --quiet corpus/ || [ $? -eq 1 ]
agent=$("$BIN/deskdex-server" --hash-key soak-agent | sed 's/"NAME"/"soak-agent"/')
editor=$("$BIN/deskdex-server" --hash-key soak-editor | sed 's/"NAME"/"soak-editor"/; s/"agent"/"editor"/')
echo "[$agent,$editor]" >"$T/keys.json"
cp etc/deskdex.conf "$T/conf"
printf 'rate_limit = 0\nkey_rate_limit = 0\naccess_log =\n' >>"$T/conf"
"$BIN/deskdex-server" --db "$T/kb" --listen "127.0.0.1:$port" --config "$T/conf" \
    --keys "$T/keys.json" --threads 4 2>"$T/server.log" &
SPID=$!
i=0
until curl -sf "http://127.0.0.1:$port/healthz" >/dev/null 2>&1; do
    i=$((i + 1)); [ $i -gt 50 ] && { echo "soak: server did not start"; exit 2; }; sleep 0.1
done
rss() { awk '/VmRSS/ {print $2}' "/proc/$SPID/status"; }
rss0=$(rss)

cat >"$T/search.paths" <<'P'
/v1/search?q=vpn+keeps+disconnecting
/v1/search?q=reset+my+passwrd
/v1/search?q=%E5%BF%98%E8%AE%B0%E5%AF%86%E7%A0%81%E6%80%8E%E4%B9%88%E5%8A%9E
/v1/search?q=printer+jammed&kind=faq
/v1/search?q=outlook+not+syncing&limit=20
/v1/search?q=%22paper+jam%22+-toner
P
cat >"$T/related.paths" <<'P'
/v1/related?q=pri
/v1/related?q=printer+ja
/v1/related?q=vpn+disc
/v1/related?q=%E6%89%93%E5%8D%B0
/v1/related?q=outlook+sy
P
wrk -t1 -c16 -d"${SECS}s" -s tests/bench/rotate.lua "http://127.0.0.1:$port" -- "$T/search.paths" >"$T/search.out" 2>&1 &
W1=$!
wrk -t1 -c8 -d"${SECS}s" -s tests/bench/rotate.lua "http://127.0.0.1:$port" -- "$T/related.paths" >"$T/related.out" 2>&1 &
W2=$!
wrk -t1 -c4 -d"${SECS}s" -s tests/soak/suggest.lua "http://127.0.0.1:$port" -- soak-editor >"$T/suggest.out" 2>&1 &
W3=$!
# The writer: one post every 100 ms until the load ends.
posts=0
fails=0
end=$(($(date +%s) + SECS))
while [ "$(date +%s)" -lt "$end" ]; do
    code=$(curl -s -o /dev/null -w '%{http_code}' -m 10 -H 'Authorization: Bearer soak-editor' \
        -H 'Content-Type: application/json' \
        -d "{\"id\":\"soak-$((posts % 500))\",\"kind\":\"faq\",\"question\":\"Soak question $posts\",\"answer\":\"Answer number $posts for the soak writer.\"}" \
        "http://127.0.0.1:$port/v1/documents")
    posts=$((posts + 1))
    case "$code" in 200|201) ;; *) fails=$((fails + 1)) ;; esac
    sleep 0.1
done
wait $W1 $W2 $W3
rss1=$(rss)
fivexx=$(curl -s "http://127.0.0.1:$port/metrics" |
    awk '/^deskdex_requests_total/ && /status="5xx"/ {n += $NF} END {print n + 0}')
echo "soak: ${SECS}s on 127.0.0.1, 4 server threads"
for n in search related suggest; do
    printf '  %-8s %s\n' "$n" "$(tail -n 1 "$T/$n.out")"
done
echo "  writer   posts=$posts failed=$fails"
echo "  server   rss_start_kb=$rss0 rss_end_kb=$rss1 responses_5xx=$fivexx"
