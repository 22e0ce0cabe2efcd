#!/bin/sh
# fuzz.sh - build the fuzz targets with clang and libFuzzer and run each for
# a bounded time (`make fuzz`).
#
# Usage (from anywhere):  tests/fuzz/fuzz.sh [target...]
# Environment:
#   FUZZ_SECONDS  time per target (default 60)
#   FUZZ_WORK     scratch folder (default build/fuzz-clang): objects,
#                 binaries, logs and the inputs libFuzzer finds, kept
#                 between runs in FUZZ_WORK/corpus/<target>/
#   CLANG, CLANGXX  compilers (default clang, clang++)
# The committed seeds in tests/fuzz/corpora/<target>/ are read, never
# written. A crash, leak, timeout or out-of-memory input is saved to
# tests/fuzz/crashes/<target>/ (replay it with
# build-san/fuzz/replay-<target> FILE, see build.sh) and the target is
# restarted for the rest of its time. Exit status 1 if anything was saved.

top=$(cd "$(dirname "$0")/../.." && pwd) || exit 2
cd "$top" || exit 2

TARGETS=${*:-"query suggest doc_json readers office pii analyse config url thesaurus"}
SECONDS_PER=${FUZZ_SECONDS:-60}
WORK=${FUZZ_WORK:-build/fuzz-clang}
case $WORK in /*) ;; *) WORK=$top/$WORK ;; esac # absolute or under the project
CLANG=${CLANG:-clang}
CLANGXX=${CLANGXX:-clang++}
PKGS="xapian-core jansson libutf8proc libcmark libxml-2.0 nettle libzip opencc"
READERS="readers rd_markdown rd_html rd_records rd_attach rd_pdf rd_office"

case $SECONDS_PER in
'' | *[!0-9]*) echo "fuzz.sh: FUZZ_SECONDS must be a number" >&2; exit 2 ;;
esac
for c in "$CLANG" "$CLANGXX"; do
    if ! command -v "$c" >/dev/null 2>&1; then
        echo "fuzz.sh: $c not found (apt-get install clang)" >&2
        exit 2
    fi
done

# Largest input per target: q is capped at max_query (1024) by the server;
# the rest are sized so that a run explores structure, not bulk.
max_len() {
    case $1 in
    query) echo 1024 ;;
    url) echo 512 ;;
    pii) echo 2048 ;;
    suggest | analyse | config) echo 4096 ;;
    thesaurus) echo 8192 ;;
    doc_json) echo 8192 ;;
    readers) echo 16384 ;;
    office) echo 131072 ;;
    *) echo 4096 ;;
    esac
}

pkg_cflags=$(pkg-config --cflags $PKGS) || exit 2
pkg_libs=$(pkg-config --libs $PKGS) || exit 2
SAN="-fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer"
CFLAGS="-std=c11 -D_DEFAULT_SOURCE -O1 -g $SAN -fsanitize=fuzzer-no-link -Wall -Wextra -Ishared -Iindexer $pkg_cflags"
CXXFLAGS="-std=c++17 -O1 -g $SAN -fsanitize=fuzzer-no-link -Wall -Wextra -Ishared $pkg_cflags"
obj=$WORK/obj
mkdir -p "$obj" "$WORK/corpus" "$WORK/log" "$WORK/tmp" || exit 2

# stale OBJECT SOURCE: the object is missing or older than its source or
# any header it may include.
stale() {
    [ -f "$1" ] || return 0
    [ -n "$(find "$2" shared indexer tests/fuzz -newer "$1" \
        \( -name '*.h' -o -path "$2" \) 2>/dev/null | head -n 1)" ]
}
compile() { # compiler flags source object
    if stale "$4" "$3"; then
        echo "  CC $3"
        # shellcheck disable=SC2086
        $1 $2 -c "$3" -o "$4" || exit 1
    fi
}

echo "fuzz.sh: building with $CLANG into $WORK/"
lib_objs=
for src in shared/*.c; do
    o=$obj/$(basename "$src" .c).o
    compile "$CLANG" "$CFLAGS" "$src" "$o"
    lib_objs="$lib_objs $o"
done
compile "$CLANGXX" "$CXXFLAGS" shared/xapian_c.cc "$obj/xapian_c.o"
lib_objs="$lib_objs $obj/xapian_c.o"
reader_objs=
for r in $READERS; do
    compile "$CLANG" "$CFLAGS" "indexer/$r.c" "$obj/$r.o"
    reader_objs="$reader_objs $obj/$r.o"
done
compile "$CLANG" "$CFLAGS" tests/fuzz/fuzz_index.c "$obj/fuzz_index.o"
compile "$CLANG" "$CFLAGS" tests/fuzz/fuzz_tmp.c "$obj/fuzz_tmp.o"
compile "$CLANG" "$CFLAGS" tests/fuzz/replay.c "$obj/replay.o"
for t in $TARGETS; do
    src=tests/fuzz/fuzz_$t.c
    if [ ! -f "$src" ]; then
        echo "fuzz.sh: no target $t ($src)" >&2
        exit 2
    fi
    compile "$CLANG" "$CFLAGS" "$src" "$obj/fuzz_$t.o"
    extra="$obj/fuzz_tmp.o"
    case $t in
    query | suggest) extra="$extra $obj/fuzz_index.o" ;;
    readers | office) extra="$extra $reader_objs" ;;
    esac
    # shellcheck disable=SC2086
    $CLANGXX $SAN -fsanitize=fuzzer -o "$WORK/fuzz-$t" "$obj/fuzz_$t.o" \
        $extra $lib_objs $pkg_libs -lstemmer -lcsv -lm -lpthread || exit 1
    # The same target without libFuzzer's main, to sort the seeds.
    # shellcheck disable=SC2086
    $CLANGXX $SAN -o "$WORK/replay-$t" "$obj/fuzz_$t.o" "$obj/replay.o" \
        $extra $lib_objs $pkg_libs -lstemmer -lcsv -lm -lpthread || exit 1
done

count() { find "$1" -type f | wc -l; }

# The index the search targets make lives here; a crashed run leaves its
# folder behind, so the whole folder goes at the end.
export TMPDIR="$WORK/tmp"
export ASAN_OPTIONS="detect_leaks=1:${ASAN_OPTIONS:-}"
export UBSAN_OPTIONS="print_stacktrace=1:${UBSAN_OPTIONS:-}"

total_runs=0
total_saved=0
summary=
for t in $TARGETS; do
    scratch=$WORK/corpus/$t
    crashes=tests/fuzz/crashes/$t
    log=$WORK/log/$t.log
    mkdir -p "$scratch" "$crashes" || exit 2
    dict=
    [ -f "tests/fuzz/dict/$t.dict" ] && dict="-dict=tests/fuzz/dict/$t.dict"
    before=$(count "$crashes")
    : >"$log"
    runs=0
    left=$SECONDS_PER
    starts=0
    echo "fuzz.sh: $t for ${SECONDS_PER}s (max_len $(max_len "$t"), log $log)"
    # A seed that already crashes would stop libFuzzer before it starts:
    # replay the seeds one by one, name the failing ones (they are known
    # bugs, shown by `make test` too) and fuzz from the others.
    seeds=$WORK/seeds/$t
    rm -rf "$seeds"
    mkdir -p "$seeds" || exit 2
    if [ -d "tests/fuzz/corpora/$t" ]; then
        "$WORK/replay-$t" -t 5 "tests/fuzz/corpora/$t" 2>/dev/null |
            sed -n 's/^not ok - \([^:]*\): .*/\1/p' >"$WORK/log/$t.failing"
        for f in "tests/fuzz/corpora/$t"/*; do
            [ -f "$f" ] || continue
            if grep -Fqx "$f" "$WORK/log/$t.failing"; then
                echo "    seed $f fails already; fuzzing without it"
            else
                cp "$f" "$seeds/"
            fi
        done
    fi
    while [ "$left" -gt 0 ] && [ "$starts" -lt 10 ]; do
        t0=$(date +%s)
        n0=$(count "$crashes")
        # shellcheck disable=SC2086
        "$WORK/fuzz-$t" -max_len="$(max_len "$t")" -max_total_time="$left" \
            -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
            -artifact_prefix="$crashes/" $dict "$scratch" $seeds \
            >>"$log" 2>&1
        status=$?
        n=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" |
            tail -n 1)
        runs=$((runs + ${n:-0}))
        starts=$((starts + 1))
        [ "$status" -eq 0 ] && break
        if [ "$(count "$crashes")" -eq "$n0" ]; then
            echo "    libFuzzer stopped with status $status; see $log"
            break
        fi
        # Something was saved: show what, and go on for the time left.
        grep -E '^(==[0-9]+==ERROR|SUMMARY|.*runtime error)' "$log" |
            tail -n 3 | sed 's/^/    /'
        left=$((left - ($(date +%s) - t0)))
    done
    after=$(count "$crashes")
    saved=$((after - before))
    [ "$after" -eq 0 ] && rmdir "$crashes" 2>/dev/null
    ncorp=$(count "$scratch")
    line=$(printf '%-9s %9d runs  %5d inputs in %s  %d saved' "$t" "$runs" \
        "$ncorp" "$scratch" "$saved")
    echo "  $line"
    summary="$summary
  $line"
    total_runs=$((total_runs + runs))
    total_saved=$((total_saved + saved))
done
rmdir tests/fuzz/crashes 2>/dev/null
rm -rf "${TMPDIR:?}"/deskdex-fuzz-* 2>/dev/null
echo "fuzz.sh: summary$summary"
echo "fuzz: $total_runs runs, $total_saved inputs saved to tests/fuzz/crashes/"
[ "$total_saved" -eq 0 ]
