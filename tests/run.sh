#!/bin/sh
# run.sh - run every test suite and print one total line.
# Each suite prints "tests: N passed, N failed" as its last line.
# Environment: BIN (programs), B (build dir with tests/*_test).
BIN=${BIN:-bin}
B=${B:-build}
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top" || exit 2
export LSAN_OPTIONS="${LSAN_OPTIONS:+$LSAN_OPTIONS:}suppressions=$top/tests/lsan.supp"
out=tests/out
mkdir -p "$out"
passed=0
failed=0

suite() { # name command...
    name=$1
    shift
    log="$out/$name.log"
    "$@" >"$log" 2>&1
    status=$?
    line=$(grep -E '^tests: [0-9]+ passed, [0-9]+ failed' "$log" | tail -n 1)
    if [ -z "$line" ]; then
        echo "  $name: no result line (exit $status); see $log"
        failed=$((failed + 1))
        return
    fi
    p=$(echo "$line" | sed -E 's/^tests: ([0-9]+) passed.*/\1/')
    f=$(echo "$line" | sed -E 's/.* ([0-9]+) failed.*/\1/')
    if [ "$status" -ne 0 ] && [ "$f" -eq 0 ]; then f=1; fi
    passed=$((passed + p))
    failed=$((failed + f))
    printf '  %-14s %s\n' "$name" "${line#tests: }"
    [ "$f" -ne 0 ] && grep -E 'FAIL|failed|error' "$log" | head -20 | sed 's/^/      /'
}

for t in "$B"/tests/*_test; do
    [ -x "$t" ] || continue
    suite "$(basename "$t")" "$t"
done
for t in tests/cli/*.sh; do
    [ -f "$t" ] || continue
    suite "cli-$(basename "$t" .sh)" env BIN="$BIN" sh "$t"
done
if [ -x "$BIN/deskdex-httptest" ] && [ -d tests/http ]; then
    suite http "$BIN/deskdex-httptest" --bin "$BIN" tests/http
fi
if [ -f tests/browser/run.sh ] && [ -z "$DESKDEX_SKIP_BROWSER" ]; then
    suite browser env BIN="$BIN" sh tests/browser/run.sh
fi
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
