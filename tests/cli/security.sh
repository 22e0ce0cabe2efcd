#!/bin/sh
# security.sh - the security proof: canary words never reach a caller who may
# not see them; keys, key rotation, rate limits, the audit log, hostile and
# slow clients, personal data (in responses, the index files and the logs)
# and TLS. Run from the repository root:
#
#     env BIN=bin sh tests/cli/security.sh
#
# It builds tests/security/*.c, indexes tests/security/corpus, starts
# BIN/deskdex-server on free loopback ports and stops it again. One check per
# line ("ok - ..." or "FAIL - ..."; lines starting with "#" are notes), then
# "tests: N passed, N failed"; exit 1 on any failure. See
# tests/security/README.md.
BIN=${BIN:-bin}
CC=${CC:-cc}
# For reload_wait; this suite's checks and clean-up are its own, below.
. "$(dirname "$0")/../lib.sh"
top=$(cd "$(dirname "$0")/../.." && pwd)
cd "$top" || exit 2

passed=0
failed=0
ok() {
    passed=$((passed + 1))
    echo "ok - $1"
}
fail() {
    failed=$((failed + 1))
    echo "FAIL - $1"
}
# check WHAT COMMAND...: one check, passed when the command succeeds.
check() {
    what=$1
    shift
    if "$@"; then ok "$what"; else fail "$what"; fi
}
# tally FILE: print a deskdex-canary run's lines and count its checks.
tally() {
    while IFS= read -r line; do
        case $line in
        "ok "*) passed=$((passed + 1)) ;;
        "FAIL "*) failed=$((failed + 1)) ;;
        esac
        printf '%s\n' "$line"
    done <"$1"
}
finish() {
    echo "tests: $passed passed, $failed failed"
    [ "$failed" -eq 0 ] && exit 0
    exit 1
}

tmp=$(mktemp -d "${TMPDIR:-/tmp}/deskdex-security.XXXXXX") || exit 2
pids=""
forget() { # a server that was stopped: never signal its pid again
    keep=""
    for p in $pids; do
        [ "$p" = "$1" ] || keep="$keep $p"
    done
    pids=$keep
}
cleanup() {
    for p in $pids; do
        kill "$p" 2>/dev/null
    done
    for p in $pids; do
        i=0
        while kill -0 "$p" 2>/dev/null && [ $i -lt 50 ]; do
            sleep 0.1
            i=$((i + 1))
        done
        kill -9 "$p" 2>/dev/null
    done
    if [ -n "$DESKDEX_KEEP" ]; then
        echo "# kept $tmp" >&2
    else
        rm -rf "$tmp"
    fi
}
trap cleanup EXIT
trap 'exit 2' INT TERM

for tool in curl openssl pkg-config "$CC"; do
    if ! command -v "$tool" >/dev/null 2>&1; then
        fail "$tool is installed (scripts/deps.sh test installs it)"
        finish
    fi
done
for prog in deskdex-index deskdex-server; do
    if [ ! -x "$BIN/$prog" ]; then
        fail "$BIN/$prog is built (make all)"
        finish
    fi
done

# --- the canary client ---
canary=$tmp/deskdex-canary
if $CC -std=c11 -D_DEFAULT_SOURCE -Wall -Wextra -O2 -g -o "$canary" \
    tests/security/canary.c tests/security/client.c tests/security/access.c \
    tests/security/hostile.c $(pkg-config --libs jansson) -lpthread \
    >"$tmp/cc.log" 2>&1 && [ ! -s "$tmp/cc.log" ]; then
    ok "tests/security/*.c build without a warning"
else
    sed 's/^/#   /' "$tmp/cc.log"
    fail "tests/security/*.c build without a warning"
    [ -x "$canary" ] || finish
fi
san=""
case $BIN in *-san) san=--san ;; esac

# --- keys: random for this run; the file holds only their hashes ---
rand_key() { printf 'ddx-%s-%s' "$1" "$(od -An -tx1 -N16 /dev/urandom | tr -d ' \n')"; }
DDX_AGENT_KEY=$(rand_key agent)
DDX_EDITOR_KEY=$(rand_key editor)
DDX_ADMIN_KEY=$(rand_key admin)
DDX_OLD_KEY=$(rand_key old)
DDX_NEW_KEY=$(rand_key new)
export DDX_AGENT_KEY DDX_EDITOR_KEY DDX_ADMIN_KEY DDX_OLD_KEY DDX_NEW_KEY
entry() { # name role key
    "$BIN/deskdex-server" --hash-key "$3" |
        sed "s/\"NAME\"/\"$1\"/; s/\"role\": \"agent\"/\"role\": \"$2\"/"
}
write_keys() { # the fourth key: old or new
    {
        echo "["
        entry sec-agent agent "$DDX_AGENT_KEY"
        echo ","
        entry sec-editor editor "$DDX_EDITOR_KEY"
        echo ","
        entry sec-admin admin "$DDX_ADMIN_KEY"
        echo ","
        if [ "$1" = old ]; then
            entry sec-old agent "$DDX_OLD_KEY"
        else
            entry sec-new agent "$DDX_NEW_KEY"
        fi
        echo "]"
    } >"$tmp/keys.tmp" && mv "$tmp/keys.tmp" "$tmp/keys.json"
}
write_keys old
check "the keys file holds hashes, not keys" \
    sh -c '! grep -q -e "$DDX_AGENT_KEY" -e "$DDX_OLD_KEY" "$1"' sh "$tmp/keys.json"

# --- the index: version 1 from the corpus, version 2 from v2/ ---
corpus=tests/security/corpus
if "$BIN/deskdex-index" --db "$tmp/db" --quiet "$corpus/faqs" \
    "$corpus/manuals" "$corpus/tickets" >"$tmp/index.log" 2>&1 &&
    "$BIN/deskdex-index" --db "$tmp/db" --quiet "$corpus/v2" \
        >>"$tmp/index.log" 2>&1; then
    ok "deskdex-index reads $corpus, then $corpus/v2"
else
    sed 's/^/#   /' "$tmp/index.log"
    fail "deskdex-index reads $corpus, then $corpus/v2"
    finish
fi
"$BIN/deskdex-index" --db "$tmp/db" --history faq-lyrebird-flip >"$tmp/h.txt"
check "faq-lyrebird-flip was public in version 1 and is internal in version 2" \
    grep -q 'v2 .*published internal' "$tmp/h.txt"

# --- the server ---
conf() { # file extra-lines: the settings every server of this run shares
    {
        echo "# written by tests/cli/security.sh"
        echo "rate_limit = 0"
        echo "key_rate_limit = 0"
        echo "timeout = 2"
        echo "max_connections = 64"
        echo "max_body = 1048576"
        echo "threads = 4"
        printf '%s\n' "$2"
    } >"$1.tmp" && mv "$1.tmp" "$1"
}
# start NAME SCHEME CONF ARGS...: sets $port and $pid; 0 when /healthz answers.
start() {
    name=$1
    scheme=$2
    cfg=$3
    shift 3
    attempt=0
    while [ $attempt -lt 5 ]; do
        attempt=$((attempt + 1))
        port=$("$canary" port) || return 1
        "$BIN/deskdex-server" --db "$tmp/db" --listen "127.0.0.1:$port" \
            --www server/www --keys "$tmp/keys.json" --config "$cfg" "$@" \
            >>"$tmp/$name.log" 2>&1 &
        pid=$!
        pids="$pids $pid"
        i=0
        while [ $i -lt 100 ] && kill -0 "$pid" 2>/dev/null; do
            code=$(curl -sk -o /dev/null -w '%{http_code}' -m 1 \
                "$scheme://127.0.0.1:$port/healthz" 2>/dev/null)
            [ "$code" = 200 ] && return 0
            sleep 0.1
            i=$((i + 1))
        done
        stop "$pid"
    done
    sed 's/^/#   /' "$tmp/$name.log"
    return 1
}
# stop PID: SIGTERM, then its exit status (124 when it would not stop).
stop() {
    forget "$1"
    kill -TERM "$1" 2>/dev/null
    i=0
    while kill -0 "$1" 2>/dev/null && [ $i -lt 100 ]; do
        sleep 0.1
        i=$((i + 1))
    done
    if kill -0 "$1" 2>/dev/null; then
        kill -9 "$1" 2>/dev/null
        wait "$1" 2>/dev/null
        return 124
    fi
    wait "$1"
}

conf "$tmp/a.conf" ""
audit=$tmp/audit.log
access=$tmp/access.log
expect=$tmp/expect.jsonl
: >"$expect"
if start a http "$tmp/a.conf" --audit-log "$audit" --access-log "$access"; then
    ok "deskdex-server starts with an audit log (rate limits off)"
else
    fail "deskdex-server starts with an audit log (rate limits off)"
    finish
fi
a_pid=$pid
a_port=$port
run() { # mode args...: one deskdex-canary run against server a, tallied
    mode=$1
    shift
    "$canary" "$mode" --port "$a_port" --expect "$expect" "$@" \
        >"$tmp/run.out" 2>&1
    tally "$tmp/run.out"
}

echo "# writes, refusals and their audit lines"
run writes
echo "# the canary sweep"
run sweep
echo "# personal data in responses"
run pii

echo "# SIGHUP and the audit log given on the command line"
check "SIGHUP reloads the configuration" reload_wait "$a_pid" "$tmp/a.log"
n1=$(wc -l <"$audit")
"$canary" req --port "$a_port" --as wrong --method GET \
    --path '/v1/search?q=printer' --want 401 >/dev/null 2>&1
n2=$(wc -l <"$audit")
[ "$n2" -gt "$n1" ] &&
    echo '{"action":"refused","key":"-","method":"GET","route":"/v1/search","status":401}' >>"$expect"
check "a refusal after SIGHUP is still audited (the --audit-log of the command line survives a reload)" \
    test "$n2" -gt "$n1"
# From here on the configuration names the audit log too, so every reload
# reopens it and the rest of the proof is audited either way.
a_conf="audit_log = $audit"
conf "$tmp/a.conf" "$a_conf"
check "SIGHUP with audit_log in the configuration" reload_wait "$a_pid" "$tmp/a.log"
"$canary" req --port "$a_port" --as wrong --method GET \
    --path '/v1/search?q=printer' --want 401 --expect "$expect" >/dev/null 2>&1
n3=$(wc -l <"$audit")
check "refusals are audited again once the configuration names the log" \
    test "$n3" -gt "$n2"

echo "# keys: every keyed route refuses a missing, a wrong and a revoked key"
run keys
write_keys new
check "SIGHUP reloads the keys file without the old key and with a new one" \
    reload_wait "$a_pid" "$tmp/a.log"
run keys --as after

echo "# rate limits: rate 5/s, burst 5 by SIGHUP, then off again"
conf "$tmp/a.conf" "$a_conf
rate_limit = 5
rate_burst = 5
key_rate_limit = 5
key_rate_burst = 5"
check "SIGHUP turns the rate limits on" reload_wait "$a_pid" "$tmp/a.log"
run burst
conf "$tmp/a.conf" "$a_conf"
check "SIGHUP turns them off again" reload_wait "$a_pid" "$tmp/a.log"

echo "# the audit log"
run audit --audit "$audit"

echo "# hostile requests"
run edges --timeout 2
run hostile --pid "$a_pid" --max-body 1048576 $san
echo "# slow clients"
run slow --timeout 2 --max-conns 64

stop "$a_pid"
st=$?
check "the server stops cleanly after all of it (exit $st)" test "$st" -eq 0
check "the server logged no sanitizer report or crash" \
    sh -c '! grep -q -e "AddressSanitizer" -e "runtime error" -e "LeakSanitizer" "$1"' \
    sh "$tmp/a.log"

echo "# personal data at rest: the index files, --show, the logs"
pii_list='qpiimail7
li.wei
corp.example.cn
13912345670
555 0142
13812345678
138-1234-5678
138 1234 5678
5550 1234
110105199003071239
31011519770815123X
10.20.30.40
192.168.77.23
4111 1111 1111 1111
4111111111111111
5555-5555-5555-4444
5555555555554444
378282246310005
6011111111111117'
check "control: the tickets' marker word is in the raw index files" \
    grep -r -a -q -F piimarkerfile "$tmp/db"
check "control: the access log has a line per request" \
    grep -q 'path="/v1/search"' "$access"
: >"$tmp/show.txt"
for id in INC-PII-F1 INC-PII-F2 INC-PII-F3 INC-PII-A1 INC-PII-A2 INC-PII-A3; do
    for v in 1 2; do
        "$BIN/deskdex-index" --db "$tmp/db" --show "$id" --version "$v" \
            >>"$tmp/show.txt" 2>/dev/null
    done
    "$BIN/deskdex-index" --db "$tmp/db" --history "$id" >>"$tmp/show.txt" 2>&1
done
check "control: deskdex-index --show prints the masked tickets" \
    grep -q '\[phone\]' "$tmp/show.txt"
found_index=""
found_show=""
found_access=""
found_audit=""
backups=""
[ -d "$tmp/db-backups" ] && backups=$tmp/db-backups
check "control: the admin's backup is a folder beside the index" test -n "$backups"
while IFS= read -r s; do
    grep -r -a -q -i -F -e "$s" "$tmp/db" $backups && found_index="$found_index [$s]"
    grep -q -i -F -e "$s" "$tmp/show.txt" && found_show="$found_show [$s]"
    grep -q -i -F -e "$s" "$access" && found_access="$found_access [$s]"
    grep -q -i -F -e "$s" "$audit" && found_audit="$found_audit [$s]"
done <<EOF
$pii_list
EOF
check "no e-mail, phone, ID-card, IP or card number in the raw index files or the backup${found_index:+ (found$found_index)}" \
    test -z "$found_index"
check "none in deskdex-index --show and --history of any version${found_show:+ (found$found_show)}" \
    test -z "$found_show"
check "none in the access log${found_access:+ (found$found_access)}" \
    test -z "$found_access"
check "none in the audit log${found_audit:+ (found$found_audit)}" \
    test -z "$found_audit"
for s in qprobetag 13700001111 13600002222; do
    if grep -r -a -q -F "$s" "$tmp/db"; then
        echo "# the raw index files hold \"$s\" of the probe ticket INC-PII-X1 (tags, product, full-width digits)"
    fi
done
check "the backup taken after the purge holds none of the purged FAQ's text" \
    sh -c '! grep -r -a -q -F echidnapurged "$1"' sh "${backups:-/nonexistent}"
if grep -r -a -q -F faq-sec-purge-me "${backups:-/nonexistent}"; then
    echo "# the backup still names the purged id faq-sec-purge-me: its source file's record (metadata s:<hash>) keeps listing it"
fi
if grep -r -a -q -F echidnapurged "$tmp/db"; then
    echo "# the purged FAQ's word still sits in free blocks of the raw index files until xapian-compact rewrites them"
fi

echo "# TLS"
openssl req -x509 -newkey rsa:2048 -nodes -keyout "$tmp/tls.key" \
    -out "$tmp/tls.crt" -days 2 -subj /CN=127.0.0.1 >"$tmp/openssl.log" 2>&1
conf "$tmp/c.conf" ""
if start c https "$tmp/c.conf" --tls-cert "$tmp/tls.crt" --tls-key "$tmp/tls.key"; then
    ok "deskdex-server serves HTTPS with a self-signed certificate"
    body=$(curl -sk -m 5 "https://127.0.0.1:$port/v1/search?q=printer")
    check "an HTTPS search answers JSON" \
        sh -c 'case $1 in *"\"results\":[{"*) exit 0 ;; esac; exit 1' sh "$body"
    code=$(curl -s -o /dev/null -w '%{http_code}' -m 5 \
        "http://127.0.0.1:$port/healthz" 2>/dev/null)
    check "plain HTTP to the HTTPS port gets no HTTP answer (got ${code:-none})" \
        test "${code:-000}" = 000
    stop "$pid"
    st=$?
    check "the HTTPS server stops cleanly (exit $st)" test "$st" -eq 0
else
    sed 's/^/#   /' "$tmp/openssl.log"
    fail "deskdex-server serves HTTPS with a self-signed certificate"
fi

echo "# concurrent filter-only searches (a server of its own: it may not survive)"
# 16 worker threads (--threads takes up to 256) make the race quick to show.
if start d http "$tmp/c.conf" --threads 16; then
    "$canary" race --port "$port" >"$tmp/run.out" 2>&1
    tally "$tmp/run.out"
    stop "$pid"
    st=$?
    [ "$st" -eq 0 ] || echo "# that server ended with status $st ($((st - 128)) is the signal)"
else
    fail "a server for the race starts"
fi

finish
