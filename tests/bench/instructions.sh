#!/bin/sh
# instructions.sh - instructions per query of kb_search(), counted by
# callgrind: the stable figure for comparing two builds on this machine,
# whose wall and CPU times move by up to 2x from hour to hour.
#
# Usage: tests/bench/instructions.sh [MODE [QUERIES [N [DB]]]]
#   MODE     short (default), grouped, related, nofacets, nospell, bare:
#            as `ddxbench lat-kb` (the bench's in-process latency step)
#   QUERIES  a file of queries, one per line (default: the bench's own set
#            for the mode, gen/q-short.txt, gen/q-related.txt, ...)
#   N        queries counted (default 100)
#   DB       the index (default: the bench corpus, kb)
# Needs a bench work folder (BENCH_WORK, default /tmp/deskdex-bench) from a
# `make bench` and valgrind. Prints "MODE QUERIES N instructions/query".
# The count is (N queries - 1 query) / (N - 1): start-up (the thesaurus,
# opening the index) is taken out. Settings: the bench's own (the answer
# cache off); CONF=FILE for others.

WORK=${BENCH_WORK:-/tmp/deskdex-bench}
MODE=${1:-short}
case $MODE in
related) def=q-related.txt ;;
*) def=q-short.txt ;;
esac
QUERIES=${2:-$WORK/gen/$def}
N=${3:-100}
DB=${4:-$WORK/kb}
CONF=${CONF:-$WORK/deskdex-nocache.conf}
BIN=$WORK/bin/ddxbench

for f in "$BIN" "$QUERIES" "$CONF"; do
    [ -e "$f" ] || { echo "instructions.sh: $f is missing (run make bench first)" >&2; exit 2; }
done
[ -d "$DB" ] || { echo "instructions.sh: no index at $DB" >&2; exit 2; }
command -v valgrind >/dev/null || { echo "instructions.sh: valgrind is not installed (apt-get install valgrind)" >&2; exit 2; }
case $N in
'' | *[!0-9]* | 0 | 1) echo "instructions.sh: N must be 2 or more" >&2; exit 2 ;;
esac

# count K: instructions of a run of K queries, one pass each.
count() {
    valgrind --tool=callgrind --callgrind-out-file=/dev/null \
        "$BIN" lat-kb "$DB" "$CONF" "$QUERIES" "$1" 1000 "$MODE" 2>&1 |
        awk '/Collected/ { print $4 }'
}
all=$(count "$N")
one=$(count 1)
if [ -z "$all" ] || [ -z "$one" ]; then
    echo "instructions.sh: callgrind gave no count" >&2
    exit 1
fi
echo "$MODE $(basename "$QUERIES") $N $(( (all - one) / (N - 1) ))"
