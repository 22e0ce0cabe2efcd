#!/bin/sh
# run.sh - browser tests: index corpus/ plus fixtures, start deskdex-server on
# a free loopback port with a fresh editor key, drive Debian's chromium with
# playwright-core.
# Run from anywhere; paths are taken from the repository root.
# Environment: BIN (programs, default bin), CHROMIUM (default
# /usr/bin/chromium), TEST_FILTER (only tests whose name contains it).
# The last line printed is always "tests: N passed, N failed".
BIN=${BIN:-bin}
top=$(cd "$(dirname "$0")/../.." && pwd)
cd "$top" || exit 2
here=tests/browser
out=tests/out/browser
tmp=""
pid=""

cleanup() {
    if [ -n "$pid" ]; then
        kill "$pid" 2>/dev/null
        # Give it a moment to exit cleanly, then insist.
        i=0
        while kill -0 "$pid" 2>/dev/null && [ $i -lt 30 ]; do
            sleep 0.1
            i=$((i + 1))
        done
        kill -9 "$pid" 2>/dev/null
        wait "$pid" 2>/dev/null
        pid=""
    fi
    [ -n "$tmp" ] && rm -rf "$tmp"
    tmp=""
}

fail() { # message: report, clean up and print the result line
    echo "FAIL setup: $*"
    cleanup
    echo "tests: 0 passed, 1 failed"
    exit 1
}

trap 'cleanup' EXIT
trap 'cleanup; echo "tests: 0 passed, 1 failed"; exit 1' INT TERM HUP

# --- dependencies ---

mkdir -p "$out" || fail "cannot create $out"

chromium=${CHROMIUM:-/usr/bin/chromium}
if [ ! -x "$chromium" ] || ! command -v node >/dev/null 2>&1 ||
    ! command -v npm >/dev/null 2>&1; then
    scripts/deps.sh browser || fail "scripts/deps.sh browser failed"
fi
[ -x "$chromium" ] || fail "no chromium at $chromium"
command -v node >/dev/null 2>&1 || fail "node is not installed"
if [ ! -d "$here/node_modules/playwright-core" ]; then
    echo "installing playwright-core"
    if [ -f "$here/package-lock.json" ]; then
        npm ci --prefix "$here" --no-audit --no-fund >"$out.npm.log" 2>&1 ||
            npm install --prefix "$here" --no-audit --no-fund >>"$out.npm.log" 2>&1 ||
            fail "npm could not install playwright-core; see $out.npm.log"
    else
        npm install --prefix "$here" --no-audit --no-fund >"$out.npm.log" 2>&1 ||
            fail "npm could not install playwright-core; see $out.npm.log"
    fi
fi
for p in deskdex-index deskdex-server; do
    [ -x "$BIN/$p" ] || fail "$BIN/$p is missing; run make first"
done

# --- index and server ---

rm -f "$out"/*.png
tmp=$(mktemp -d "${TMPDIR:-/tmp}/deskdex-browser.XXXXXX") || fail "mktemp failed"

# Version 1 of the fixtures, then version 2 of one of them, so the
# article view has a history to show. Exit 1 means some records were
# rejected, which the corpus does on purpose; 2 is fatal.
"$BIN/deskdex-index" --db "$tmp/db" --quiet corpus/ "$here/fixtures/v1" \
    >"$tmp/index.log" 2>&1
[ $? -le 1 ] || { cat "$tmp/index.log"; fail "indexing failed"; }
"$BIN/deskdex-index" --db "$tmp/db" --quiet "$here/fixtures/v2" \
    >>"$tmp/index.log" 2>&1
[ $? -le 1 ] || { cat "$tmp/index.log"; fail "indexing the fixtures failed"; }

# Keys for the editor's view: random per run, only their hashes on disk.
# An agent key too, to see the view refuse a role that may not edit.
editor_key=$(od -An -tx1 -N16 /dev/urandom | tr -d ' \n')
agent_key=$(od -An -tx1 -N16 /dev/urandom | tr -d ' \n')
[ ${#editor_key} -eq 32 ] && [ ${#agent_key} -eq 32 ] || fail "no random keys"
hash_of() { # key: its SHA-256 as deskdex-server --hash-key prints it
    "$BIN/deskdex-server" --hash-key "$1" | sed -n 's/.*"sha256": *"\([0-9a-f]*\)".*/\1/p'
}
editor_hash=$(hash_of "$editor_key")
agent_hash=$(hash_of "$agent_key")
[ -n "$editor_hash" ] && [ -n "$agent_hash" ] || fail "deskdex-server --hash-key failed"
printf '[{"name":"browser-editor","role":"editor","sha256":"%s"},\n {"name":"browser-agent","role":"agent","sha256":"%s"}]\n' \
    "$editor_hash" "$agent_hash" >"$tmp/keys.json" || fail "cannot write the keys file"

port=$(node -e '
const s = require("net").createServer();
s.listen(0, "127.0.0.1", () => { console.log(s.address().port); s.close(); });
') || fail "no free port"
"$BIN/deskdex-server" --db "$tmp/db" --listen "127.0.0.1:$port" \
    --www server/www --keys "$tmp/keys.json" >"$out/server.log" 2>&1 &
pid=$!
sleep 0.2
kill -0 "$pid" 2>/dev/null || { pid=""; cat "$out/server.log"; fail "the server did not start"; }

# --- the tests ---

to=""
command -v timeout >/dev/null 2>&1 && to="timeout -k 5 100"
DESKDEX_URL="http://127.0.0.1:$port" OUT="$out" CHROMIUM="$chromium" \
    DESKDEX_EDITOR_KEY="$editor_key" DESKDEX_AGENT_KEY="$agent_key" \
    $to node "$here/browser_test.mjs" >"$tmp/test.log" 2>&1
status=$?
log=$(cat "$tmp/test.log")
cleanup
echo "$log" | grep -v '^tests: [0-9]* passed, [0-9]* failed$'
line=$(echo "$log" | grep '^tests: [0-9]* passed, [0-9]* failed$' | tail -n 1)
if [ -z "$line" ]; then
    echo "FAIL runner: no result line (exit $status)"
    line="tests: 0 passed, 1 failed"
    status=1
fi
echo "$line"
exit $status
