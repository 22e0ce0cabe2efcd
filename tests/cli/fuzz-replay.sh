#!/bin/sh
# fuzz-replay.sh - replay every fuzz target's corpus under ASan and UBSan.
#
# Builds the replay drivers (tests/fuzz/build.sh, with the sanitizer flags
# of `make check`, into build-san/fuzz/) and runs each on its committed
# corpus, tests/fuzz/corpora/<target>/. Each file is one test: it passes
# when the target returns for it within 5 s without a crash, undefined
# behaviour or a leak (see tests/fuzz/replay.c). FUZZ_SAN and FUZZ_OPT
# override the flags.
# Run from the repository root:   env BIN=bin sh tests/cli/fuzz-replay.sh
# (BIN is not used: the drivers link the library, not the programs.)
# Prints "ok - ..." / "not ok - ..." per file and, last, the line
# "tests: N passed, N failed". Exit status 1 if any failed.

top=$(cd "$(dirname "$0")/../.." && pwd) || exit 2
cd "$top" || exit 2

TARGETS="query suggest doc_json readers office pii analyse config url thesaurus"
SAN=${FUZZ_SAN:-"-fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined"}
OPT=${FUZZ_OPT:-"-O1 -g"}
out=build-san/fuzz

passed=0
failed=0
finish() {
    echo "tests: $passed passed, $failed failed"
    [ "$failed" -eq 0 ] || exit 1
    exit 0
}

if ! SAN="$SAN" OPT="$OPT" sh tests/fuzz/build.sh $TARGETS; then
    echo "not ok - build the replay drivers (tests/fuzz/build.sh)"
    failed=$((failed + 1))
    finish
fi

# Leaks fail a file; so does any report of UBSan (halt_on_error, should a
# build have left recovery on). The search targets' index goes to a
# private temporary folder.
export ASAN_OPTIONS="detect_leaks=1:abort_on_error=0:${ASAN_OPTIONS:-}"
export UBSAN_OPTIONS="halt_on_error=1:print_stacktrace=1:${UBSAN_OPTIONS:-}"
tmp=$(mktemp -d "${TMPDIR:-/tmp}/deskdex-replay-XXXXXX") || exit 2
trap 'rm -rf "$tmp"' EXIT
trap 'rm -rf "$tmp"; exit 2' HUP INT TERM

for t in $TARGETS; do
    log=$tmp/$t.log
    TMPDIR=$tmp "$out/replay-$t" -t 5 "tests/fuzz/corpora/$t" >"$log" 2>&1
    status=$?
    grep -v '^tests: ' "$log"
    line=$(grep -E '^tests: [0-9]+ passed, [0-9]+ failed' "$log" | tail -n 1)
    if [ -z "$line" ]; then
        echo "not ok - $t: the driver ended without a result (exit $status)"
        failed=$((failed + 1))
        continue
    fi
    p=$(echo "$line" | sed -E 's/^tests: ([0-9]+) passed.*/\1/')
    f=$(echo "$line" | sed -E 's/.* ([0-9]+) failed.*/\1/')
    if [ "$status" -ne 0 ] && [ "$f" -eq 0 ]; then
        echo "not ok - $t: the driver exited with status $status"
        f=1
    fi
    echo "# $t: $p passed, $f failed"
    passed=$((passed + p))
    failed=$((failed + f))
done
finish
