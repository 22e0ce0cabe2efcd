#!/bin/sh
# run.sh - the server built with ThreadSanitizer (make tsan): the HTTP
# suite, then four clients at once mixing every kind of request (searches
# with a CORS origin, type-ahead, suggest, reports, events, live writes,
# metrics, the page) while the settings are rewritten and reloaded with
# SIGHUP. Passes when every part passes and ThreadSanitizer reports no
# race. BIN holds programs built with -fsanitize=thread.
BIN=${BIN:-bin-tsan}
. "$(dirname "$0")/../lib.sh"

workspace
cd "$tests_dir/.." || exit 2
if ! nm "$BIN/deskdex-server" 2>/dev/null | grep -q __tsan_init; then
    not_ok "$BIN/deskdex-server is built with ThreadSanitizer (make tsan)"
    finish
fi
export TSAN_OPTIONS="log_path=$T/tsan halt_on_error=0 second_deadlock_stack=1"
# no_race WHAT: passes when ThreadSanitizer wrote no report so far.
no_race() {
    n=$(cat "$T"/tsan.* 2>/dev/null | grep -c 'WARNING: ThreadSanitizer')
    if [ "$n" -eq 0 ]; then
        ok "no race $1"
    else
        not_ok "no race $1 ($n reports)" \
            "$(cat "$T"/tsan.* | grep -A14 'WARNING: ThreadSanitizer' | head -n 40)"
    fi
}

# 1. The HTTP suite, every server it starts under ThreadSanitizer.
"$BIN/deskdex-httptest" --bin "$BIN" tests/http >"$T/http.log" 2>&1
line=$(grep -E '^tests: ' "$T/http.log" | tail -n 1)
check "the HTTP suite passes under ThreadSanitizer ($line)" \
    'echo "$line" | grep -q " 0 failed"'
no_race "in the HTTP suite"
rm -f "$T"/tsan.*

# 2. Concurrent clients while the settings change under them.
E=tsan-editor-key-0123456789
h=$("$BIN/deskdex-server" --hash-key $E | sed 's/"NAME"/"ed"/; s/"agent"/"admin"/')
echo "[$h]" >"$T/keys.json"
settings() { # N: the settings of reload N (strings and limits change)
    printf 'rate_limit = 0\nkey_rate_limit = 0\nmax_connections_per_ip = 1024\n'
    printf 'analytics_log = %s\n' "$T/log.jsonl"
    printf 'audit_log = %s\n' "$T/audit$1.jsonl"
    printf 'cors_origins = https://portal%s.example https://portal.example\n' "$1"
    printf 'max_limit = %s\n' $((50 + $1))
    printf 'synonym = printer%s, laser => printer\n' "$1"
    grep '^synonym' etc/deskdex.conf
}
settings 0 >"$T/conf"
"$BIN/deskdex-index" --db "$T/kb" --quiet corpus/ >/dev/null 2>&1
P=$(free_port)
"$BIN/deskdex-server" --db "$T/kb" --listen "127.0.0.1:$P" --config "$T/conf" \
    --keys "$T/keys.json" --threads 4 --access-log "$T/access.log" \
    2>"$T/server.log" &
SPID=$!
if ! wait_up "$P"; then
    not_ok "the server starts" "$(tail -n 5 "$T/server.log")"
    finish
fi
H=http://127.0.0.1:$P
A="Authorization: Bearer $E"
J='Content-Type: application/json'
client() { # NAME: 40 rounds of every kind of request; failures to $T/fail.NAME
    i=0
    while [ $i -lt 40 ]; do
        i=$((i + 1))
        for u in "/v1/search?q=printer+driver+$1&group=$((i % 2))" \
            "/v1/related?q=pass$1" "/v1/search?q=%E6%89%93%E5%8D%B0%E6%9C%BA&limit=5&offset=1" \
            "/v1/search?q=zzz$1$i" "/metrics" "/"; do
            c=$(curl -s -o /dev/null -w '%{http_code}' -m 30 \
                -H "Origin: https://portal.example" "$H$u")
            [ "$c" = 200 ] || echo "$c $u" >>"$T/fail.$1"
        done
        for r in gaps summary top-queries; do
            c=$(curl -s -o /dev/null -w '%{http_code}' -m 30 -H "$A" \
                "$H/v1/analytics/$r")
            [ "$c" = 200 ] || echo "$c analytics/$r" >>"$T/fail.$1"
        done
        c=$(curl -s -o /dev/null -w '%{http_code}' -m 30 -H "$A" -H "$J" \
            -d "{\"subject\":\"vpn drops $i\",\"description\":\"it disconnects $1\",\"limit\":3}" \
            "$H/v1/suggest")
        [ "$c" = 200 ] || echo "$c suggest" >>"$T/fail.$1"
        c=$(curl -s -o /dev/null -w '%{http_code}' -m 30 -H "$J" \
            -d "{\"type\":\"click\",\"query_id\":\"0000000000000000\",\"id\":\"x\",\"position\":1}" \
            "$H/v1/events")
        [ "$c" = 202 ] || [ "$c" = 200 ] || [ "$c" = 204 ] ||
            echo "$c events" >>"$T/fail.$1"
        c=$(curl -s -o /dev/null -w '%{http_code}' -m 30 -H "$A" -H "$J" \
            -d "{\"id\":\"tsan-$1-$i\",\"kind\":\"faq\",\"title\":\"question $i\",\"body\":\"answer $1\"}" \
            "$H/v1/documents")
        case $c in 200 | 201) ;; *) echo "$c documents" >>"$T/fail.$1" ;; esac
    done
}
client a &
C1=$!
client b &
C2=$!
client c &
C3=$!
client d &
C4=$!
reloads() { grep -c "configuration and keys reloaded" "$T/server.log"; }
n=1
while [ $n -le 4 ]; do
    sleep 2
    settings $n >"$T/conf"
    kill -HUP "$SPID"
    i=0 # one at a time: signals sent while one is pending merge into one
    while [ "$(reloads)" -lt $n ] && [ $i -lt 100 ]; do
        sleep 0.1
        i=$((i + 1))
    done
    n=$((n + 1))
done
wait $C1 $C2 $C3 $C4
check "every request of four clients answered as it should" \
    '! cat "$T"/fail.* 2>/dev/null | grep -q .'
cat "$T"/fail.* 2>/dev/null | sort | uniq -c | head -n 10
check "the server took the four reloads" '[ "$(reloads)" -eq 4 ]'
check "the server is still up" 'curl -sf "$H/healthz" >/dev/null'
check "writes were audited in the log of the settings of their time" \
    '[ -s "$T/audit0.jsonl" ] && [ -s "$T/audit1.jsonl" ]'
check "the reloaded origin list is in force" \
    'curl -s -D - -o /dev/null -H "Origin: https://portal4.example" "$H/healthz" | grep -qi "access-control-allow-origin: https://portal4.example"'
kill "$SPID"
wait "$SPID" 2>/dev/null
SPID=""
no_race "under concurrent clients and reloads"
finish
