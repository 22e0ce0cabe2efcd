#!/bin/sh
# server-crash.sh - kill -9 the server during live writes, CRASH_KILLS times
# (default 3; make check uses more). After every kill: the index passes
# xapian-check, a restart serves (without a rebuild or a replay: it opens
# the index as it is; how long it took is printed, not asserted, as the
# sanitizers make it several times slower), and every write that was
# acknowledged (200/201) is there with the version it was given.
BIN=${BIN:-bin}
KILLS=${CRASH_KILLS:-3}
pass=0
fail=0
ok() { pass=$((pass + 1)); echo "ok - $1"; }
notok() { fail=$((fail + 1)); echo "not ok - $1"; }

T=$(mktemp -d)
SPID=""
WPID=""
cleanup() {
    [ -n "$WPID" ] && kill "$WPID" 2>/dev/null
    [ -n "$SPID" ] && kill -9 "$SPID" 2>/dev/null
    wait 2>/dev/null
    rm -rf "$T"
}
trap cleanup EXIT INT TERM

port=$(python3 -c 'import socket;s=socket.socket();s.bind(("127.0.0.1",0));print(s.getsockname()[1])')
ed=$("$BIN/deskdex-server" --hash-key crash-editor | sed 's/"NAME"/"crash"/; s/"agent"/"editor"/')
echo "[$ed]" >"$T/keys.json"
printf 'rate_limit = 0\nkey_rate_limit = 0\nlock_wait_ms = 2000\n' >"$T/conf"
"$BIN/deskdex-index" --db "$T/kb" --quiet corpus/ || [ $? -eq 1 ]

start() {
    t0=$(date +%s%N)
    "$BIN/deskdex-server" --db "$T/kb" --listen "127.0.0.1:$port" --config "$T/conf" \
        --keys "$T/keys.json" --access-log "" 2>>"$T/server.log" &
    SPID=$!
    i=0
    until curl -sf "http://127.0.0.1:$port/healthz" >/dev/null 2>&1; do
        i=$((i + 1))
        [ $i -gt 500 ] && return 1 # 10 s
        sleep 0.02
    done
    up_ms=$((($(date +%s%N) - t0) / 1000000))
    return 0
}

# The writer records every acknowledged write as "id version".
writer() { # round
    n=0
    while :; do
        id="crash-$1-$n"
        body=$(curl -s -m 5 -H 'Authorization: Bearer crash-editor' -H 'Content-Type: application/json' \
            -w ' %{http_code}' \
            -d "{\"id\":\"$id\",\"kind\":\"faq\",\"question\":\"Crash round $1 question $n\",\"answer\":\"Answer $n\"}" \
            "http://127.0.0.1:$port/v1/documents" 2>/dev/null) || break
        code=${body##* }
        case "$code" in
        200|201) echo "$id $(echo "$body" | sed -E 's/.*"version":([0-9]+).*/\1/')" >>"$T/acked" ;;
        esac
        n=$((n + 1))
    done
}

: >"$T/acked"
round=1
while [ $round -le "$KILLS" ]; do
    if ! start; then
        notok "round $round: the server did not start"
        break
    fi
    writer "$round" &
    WPID=$!
    # A random moment between 0.2 and 1.2 s into the writes.
    sleep "$(awk -v s="$$$round" 'BEGIN{srand(s); printf "%.2f", 0.2 + rand()}')"
    kill -9 "$SPID"
    wait "$SPID" 2>/dev/null
    SPID=""
    kill "$WPID" 2>/dev/null
    wait "$WPID" 2>/dev/null
    WPID=""
    if xapian-check "$T/kb" >/dev/null 2>&1; then ok "round $round: xapian-check passes after kill -9"; else notok "round $round: xapian-check fails after kill -9"; fi
    if start; then
        ok "round $round: a restart serves (in ${up_ms} ms)"
    else
        notok "round $round: no restart"
        break
    fi
    lost=0
    while read -r id v; do
        got=$(curl -s -m 5 -H 'Authorization: Bearer crash-editor' "http://127.0.0.1:$port/v1/documents/$id" |
            sed -nE 's/.*"version":([0-9]+).*/\1/p' | head -n 1)
        [ "$got" = "$v" ] || lost=$((lost + 1))
    done <"$T/acked"
    n=$(wc -l <"$T/acked")
    if [ "$lost" -eq 0 ] && [ "$n" -gt 0 ]; then ok "round $round: all $n acknowledged writes are there"; else notok "round $round: $lost of $n acknowledged writes lost"; fi
    kill "$SPID" 2>/dev/null
    wait "$SPID" 2>/dev/null
    SPID=""
    round=$((round + 1))
done
echo "tests: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
