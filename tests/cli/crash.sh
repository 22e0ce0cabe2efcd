#!/bin/sh
# crash.sh - crash safety and locking of deskdex-index.
#
# Generates 20 JSONL files x 500 FAQs (deterministic text), measures a full
# ingest, then kills the indexer with SIGKILL at CRASH_KILLS (default 3)
# random moments of an ingest into a fresh index. After every kill the
# index must pass xapian-check and open, and re-running the same ingest
# must converge: all documents there, each at version 1, and a further run
# changes nothing. Also checks that a second writer waits for the lock
# (or, with --wait 0, exits 2 with a clear message).
#
# Run from the repository root:   env BIN=bin sh tests/cli/crash.sh
# Environment: CRASH_KILLS (3-5 is sensible), CRASH_SEED (to replay).
# Prints "ok - ..." / "not ok - ..." per check and, last, the line
# "tests: N passed, N failed". Exit status 1 if any check failed.

BIN=${BIN:-bin}
top=$(cd "$(dirname "$0")/../.." && pwd) || exit 2
case $BIN in /*) ;; *) BIN=$top/$BIN ;; esac
IDX=$BIN/deskdex-index
KILLS=${CRASH_KILLS:-3}
SEED=${CRASH_SEED:-$(od -An -N2 -tu2 /dev/urandom 2>/dev/null | tr -cd '0-9')}
SEED=${SEED:-$$}
NFILES=20
PERFILE=500
TOTAL=$((NFILES * PERFILE))
BATCH=200

. "$top/tests/lib.sh"
T=
PIDS=
cleanup() {
    for p in $PIDS; do
        kill -CONT "$p" 2>/dev/null
        kill -9 "$p" 2>/dev/null
    done
    [ -n "$T" ] && rm -rf "$T"
}
trap cleanup EXIT
trap 'cleanup; exit 2' HUP INT TERM


if command -v timeout >/dev/null 2>&1; then
    idx() { timeout 60 "$IDX" "$@"; }
else
    idx() { "$IDX" "$@"; }
fi

# num JSON KEY: the integer value of "KEY" in a (possibly indented) object.
num() {
    printf '%s' "$1" | tr -d '\n' |
        sed -n "s/.*\"$2\": *\\(-\\{0,1\\}[0-9][0-9]*\\).*/\\1/p"
}
# rnd I LO HI: the I-th pseudo-random number in [LO, HI) for this seed.
# rnd I LO HI: a number in [LO, HI) drawn from the seed and I. The CRC of
# "seed-I", not awk's srand(seed + I): mawk's first rand() after nearby
# seeds gives nearly the same number, which put every kill at one moment.
rnd() {
    h=$(printf '%s-%s' "$SEED" "$1" | cksum | cut -d' ' -f1)
    awk -v h="$h" -v lo="$2" -v hi="$3" \
        'BEGIN { printf "%.3f\n", lo + (hi - lo) * (h % 1000003) / 1000003 }'
}
# wait_pid PID SECONDS: wait for a background process at most SECONDS;
# kill it if it is still running then. Returns its exit status (124 if
# it had to be killed).
wait_pid() {
    n=$(($2 * 20))
    while kill -0 "$1" 2>/dev/null && [ "$n" -gt 0 ]; do
        sleep 0.05
        n=$((n - 1))
    done
    if kill -0 "$1" 2>/dev/null; then
        kill -CONT "$1" 2>/dev/null
        kill -9 "$1" 2>/dev/null
        wait "$1" 2>/dev/null
        return 124
    fi
    wait "$1"
}
# wait_until SECONDS COMMAND...: poll until COMMAND succeeds.
wait_until() {
    n=$(($1 * 20))
    shift
    while [ "$n" -gt 0 ]; do
        "$@" && return 0
        sleep 0.05
        n=$((n - 1))
    done
    return 1
}

if [ ! -x "$IDX" ]; then
    not_ok "$IDX is built (run make all)"
    finish
fi
if ! command -v xapian-check >/dev/null 2>&1; then
    not_ok "xapian-check is installed (Debian xapian-tools)"
    finish
fi
echo "# seed $SEED (set CRASH_SEED=$SEED to replay), $KILLS kills"

T=$(mktemp -d "${TMPDIR:-/tmp}/deskdex-crash.XXXXXX") || exit 2
IN=$T/in/faqs
mkdir -p "$IN" || exit 2

# --- input: NFILES x PERFILE FAQs with deterministic text ----------------

awk -v nf="$NFILES" -v nr="$PERFILE" -v dir="$IN" 'BEGIN {
    nw = split("printer vpn password laptop wifi email badge monitor docking " \
               "teams outlook sso token certificate drive backup", w, " ")
    for (f = 1; f <= nf; f++) {
        fn = sprintf("%s/gen-%02d.jsonl", dir, f)
        for (r = 1; r <= nr; r++) {
            n = (f - 1) * nr + r
            a = ""
            for (k = 1; k <= 40; k++)
                a = a w[(n * 7 + k * k * 3 + k) % nw + 1] (k % 9 == 0 ? ". " : " ")
            printf("{\"id\":\"gen-%05d\",\"question\":\"How to fix %s issue " \
                   "number %d with %s?\",\"answer\":\"Step %d: %s done.\"," \
                   "\"product\":\"%s\",\"category\":\"software\"," \
                   "\"tags\":[\"gen\",\"t%d\"],\"lang\":\"en\"}\n",
                   n, w[n % nw + 1], n, w[(n * 3) % nw + 1], n, a,
                   w[n % nw + 1], n % 10) > fn
        }
        close(fn)
    }
}'
lines=$(cat "$IN"/*.jsonl | wc -l | tr -d ' ')
if [ "$lines" -eq "$TOTAL" ]; then ok "generated $NFILES files with $TOTAL FAQs"; else
    not_ok "generated $NFILES files with $TOTAL FAQs" "got $lines lines"
    finish
fi

# Sample of ids whose history is checked: both ends of a few files and
# some chosen by the seed.
SAMPLE="gen-00001 gen-00500 gen-00501 gen-05000 gen-05001 gen-$(printf %05d "$TOTAL")"
for i in 1 2 3 4 5 6 7 8 9 10; do
    SAMPLE="$SAMPLE gen-$(printf %05d "$(rnd "$((100 + i))" 1 "$TOTAL" | cut -d. -f1)")"
done

# --- a full run, to learn how long an ingest takes -------------------------

ref=$(idx --db "$T/ref" --json --quiet --batch $BATCH "$T/in" 2>"$T/err")
rc=$?
secs=$(printf '%s' "$ref" | sed -n 's/.*"seconds":\([0-9.]*\).*/\1/p')
if [ $rc -eq 0 ] && [ "$(num "$ref" added)" = "$TOTAL" ] && [ -n "$secs" ]; then
    ok "a full ingest adds $TOTAL documents in ${secs}s"
else
    not_ok "a full ingest adds $TOTAL documents" "exit $rc" "$ref" "$(cat "$T/err")"
    finish
fi
# The reference spelling dictionary: its number of words and occurrences.
spelling() {
    st=$(idx --db "$1" --stats 2>&1)
    echo "$(num "$st" words) words, $(num "$st" occurrences) occurrences, $(num "$st" held) held"
}
refsp=$(spelling "$T/ref")
rm -rf "$T/ref"

# check_index DB LABEL: the index passes xapian-check and opens; sets ids
# to its number of ids (empty if it does not open).
check_index() {
    if xapian-check "$1" >"$T/xc" 2>&1; then
        ok "$2: xapian-check exits 0"
    else
        not_ok "$2: xapian-check exits 0" "$(tail -n 5 "$T/xc")"
    fi
    st=$(idx --db "$1" --stats 2>"$T/serr")
    src=$?
    ids=$(num "$st" ids)
    vers=$(num "$st" versions)
    if [ $src -eq 0 ] && [ -n "$ids" ]; then
        ok "$2: the index opens (--stats: $ids ids)"
    else
        not_ok "$2: the index opens (--stats)" "exit $src" "$(cat "$T/serr")"
    fi
    if [ -n "$ids" ] && [ "$ids" -le "$TOTAL" ] && [ "$vers" = "$ids" ]; then
        ok "$2: no partial or duplicate documents (versions = ids = $ids)"
    else
        not_ok "$2: no partial or duplicate documents" "$st"
    fi
}

# --- kill -9 at random moments; every time the index survives ------------

partial=0
heldchecked=
i=0
# When every kill came after the run had ended (runs after the first can
# be faster than it), one more comes at 30% of the reference time.
while [ $i -lt "$KILLS" ] || { [ $i -eq "$KILLS" ] && [ $partial -eq 0 ]; }; do
    i=$((i + 1))
    DB=$T/db$i
    f=$(rnd "$i" 0.1 0.9)
    [ $i -gt "$KILLS" ] && f=0.3
    at=$(awk -v s="$secs" -v f="$f" 'BEGIN { printf "%.3f", s * f }')
    "$IDX" --db "$DB" --json --quiet --batch $BATCH "$T/in" >"$T/kout" 2>"$T/kerr" &
    pid=$!
    PIDS="$PIDS $pid"
    sleep "$at"
    if kill -9 "$pid" 2>/dev/null; then
        wait "$pid" 2>/dev/null
        label="kill $i at ${at}s"
    else
        wait "$pid" 2>/dev/null
        label="kill $i at ${at}s (the run had already finished)"
    fi
    check_index "$DB" "$label"
    [ -n "$ids" ] && [ "$ids" -gt 0 ] && [ "$ids" -lt "$TOTAL" ] && partial=$((partial + 1))

    # The spelling words the killed load held back: the next writer applies
    # them, and --reanalyse, which makes the dictionary again from the
    # documents, comes to the same dictionary without them.
    held=$(num "$st" held)
    if [ -z "$heldchecked" ] && [ -n "$held" ] && [ "$held" -gt 0 ]; then
        heldchecked=1
        cp -r "$DB" "$T/re"
        mkdir -p "$T/empty"
        idx --db "$DB" --quiet "$T/empty" >/dev/null 2>&1
        idx --db "$T/re" --reanalyse >/dev/null 2>"$T/rerr"
        applied=$(spelling "$DB")
        remade=$(spelling "$T/re")
        case $applied in
        *", 0 held") ok "kill $i: the next writer applies the $held held spelling records ($applied)" ;;
        *) not_ok "kill $i: the next writer applies the $held held spelling records" "$applied" ;;
        esac
        if [ "$remade" = "$applied" ]; then
            ok "kill $i: --reanalyse makes the same dictionary and drops the records"
        else
            not_ok "kill $i: --reanalyse makes the same dictionary and drops the records" \
                "$remade" "expected $applied" "$(cat "$T/rerr")"
        fi
        rm -rf "$T/re"
    fi

    # The same ingest again converges.
    cv=$(idx --db "$DB" --json --quiet --batch $BATCH "$T/in" 2>"$T/err")
    rc=$?
    a=$(num "$cv" added)
    u=$(num "$cv" unchanged)
    if [ $rc -eq 0 ] && [ "$(num "$cv" rejected)" = 0 ] && [ "$(num "$cv" updated)" = 0 ] &&
        [ -n "$a" ] && [ $((a + u)) -eq "$TOTAL" ]; then
        ok "kill $i: re-run exits 0, rejected 0, updated 0 ($a added, $u unchanged)"
    else
        not_ok "kill $i: re-run exits 0, rejected 0, updated 0" "exit $rc" "$cv" "$(head -n 5 "$T/err")"
    fi
    st=$(idx --db "$DB" --stats 2>&1)
    if [ "$(num "$st" ids)" = "$TOTAL" ] && [ "$(num "$st" versions)" = "$TOTAL" ] &&
        [ "$(num "$st" published)" = "$TOTAL" ]; then
        ok "kill $i: --stats counts $TOTAL documents, $TOTAL versions, all published"
    else
        not_ok "kill $i: --stats counts $TOTAL documents, $TOTAL versions, all published" "$st"
    fi
    bad=
    for id in $SAMPLE; do
        h=$(idx --db "$DB" --history "$id" 2>&1)
        n=$(printf '%s\n' "$h" | grep -c .)
        case $n:$h in
        "1:$id v1 "*) ;;
        *) bad="$bad $id:[$h]" ;;
        esac
    done
    if [ -z "$bad" ]; then
        ok "kill $i: --history of $(echo "$SAMPLE" | wc -w | tr -d ' ') sampled ids shows exactly v1"
    else
        not_ok "kill $i: --history of sampled ids shows exactly v1" "$bad"
    fi
    fr=$(idx --db "$DB" --json --quiet --batch $BATCH "$T/in" 2>"$T/err")
    case $fr in
    *'"added":0,"updated":0,'*) ok "kill $i: a further run reports added 0, updated 0" ;;
    *) not_ok "kill $i: a further run reports added 0, updated 0" "$fr" "$(head -n 5 "$T/err")" ;;
    esac
    # Each batch's spelling words are recorded with it; the re-run's
    # writer applies what the killed one left.
    sp=$(spelling "$DB")
    if [ "$sp" = "$refsp" ]; then
        ok "kill $i: the spelling dictionary is the full ingest's ($sp)"
    else
        not_ok "kill $i: the spelling dictionary is the full ingest's" "$sp" "expected $refsp"
    fi
    if xapian-check "$DB" >"$T/xc" 2>&1; then ok "kill $i: xapian-check exits 0 after convergence"; else
        not_ok "kill $i: xapian-check exits 0 after convergence" "$(tail -n 5 "$T/xc")"
    fi
    rm -rf "$DB"
done
if [ "$partial" -gt 0 ]; then
    ok "$partial of $KILLS kills left a partial index (batches are committed as they go)"
else
    not_ok "at least one kill left a partial index (0 < ids < $TOTAL)"
fi

# --- --batch bounds the work a kill can lose, inside one big file too ----

ONE=$T/one/faqs
mkdir -p "$ONE"
cat "$IN"/*.jsonl >"$ONE/all.jsonl"
DB=$T/db-one
at=$(awk -v s="$secs" 'BEGIN { printf "%.3f", s * 0.6 }')
"$IDX" --db "$DB" --json --quiet --batch $BATCH "$T/one" >"$T/kout" 2>"$T/kerr" &
pid=$!
PIDS="$PIDS $pid"
sleep "$at"
kill -9 "$pid" 2>/dev/null
wait "$pid" 2>/dev/null
check_index "$DB" "one file of $TOTAL records, kill at ${at}s"
if [ -n "$ids" ] && [ "$ids" -ge $BATCH ]; then
    ok "--batch $BATCH: a kill at 60% of a single $TOTAL-record file keeps the committed batches ($ids ids)"
else
    not_ok "--batch $BATCH: a kill at 60% of a single $TOTAL-record file keeps the committed batches" \
        "ids=$ids: the transaction only ends at file boundaries, so the whole file's work is lost"
fi
rm -rf "$DB" "$T/one"

# --- a second writer waits for the lock ---------------------------------

DB=$T/lockdb
"$IDX" --db "$DB" --json --quiet --batch $BATCH "$T/in" >"$T/a.out" 2>"$T/a.err" &
apid=$!
PIDS="$PIDS $apid"
# Once the first batch is committed the writer surely holds the lock.
has_rev() {
    r=$(num "$("$IDX" --db "$DB" --stats 2>/dev/null)" revision)
    [ -n "$r" ] && [ "$r" -ge 1 ]
}
if wait_until 20 has_rev && kill -STOP "$apid" 2>/dev/null; then
    ok "the first writer is running and has committed a batch (now stopped)"
    st=$(idx --db "$DB" --stats 2>&1)
    if [ -n "$(num "$st" ids)" ]; then ok "readers are not blocked by a writer (--stats works)"; else
        not_ok "readers are not blocked by a writer (--stats works)" "$st"
    fi

    b=$(idx --db "$DB" --wait 0 --json --quiet "$T/in" 2>"$T/b.err")
    rc=$?
    if [ $rc -eq 2 ] && grep -qi 'lock' "$T/b.err" && [ -z "$b" ]; then
        ok "--wait 0 while locked: exits 2 with a clear message ($(head -n 1 "$T/b.err"))"
    else
        not_ok "--wait 0 while locked: exits 2 with a clear message" "exit $rc" "$b" "$(cat "$T/b.err")"
    fi

    "$IDX" --db "$DB" --wait 30 --json --quiet "$T/in" >"$T/c.out" 2>"$T/c.err" &
    cpid=$!
    PIDS="$PIDS $cpid"
    if wait_until 10 grep -q 'locked by another writer; waiting' "$T/c.err" &&
        kill -0 "$cpid" 2>/dev/null; then
        ok "a second writer says \"locked by another writer; waiting\" and waits"
    else
        not_ok "a second writer says \"locked by another writer; waiting\" and waits" "$(cat "$T/c.err")"
    fi
    kill -CONT "$apid"
    wait_pid "$apid" 60
    rc=$?
    a=$(cat "$T/a.out")
    if [ $rc -eq 0 ] && [ "$(num "$a" added)" = "$TOTAL" ]; then
        ok "the first writer, resumed, finishes ($TOTAL added)"
    else
        not_ok "the first writer, resumed, finishes ($TOTAL added)" "exit $rc" "$a" "$(cat "$T/a.err")"
    fi
    wait_pid "$cpid" 60
    rc=$?
    c=$(cat "$T/c.out")
    if [ $rc -eq 0 ] && [ "$(num "$c" unchanged)" = "$TOTAL" ] && [ "$(num "$c" rejected)" = 0 ]; then
        ok "the waiting writer then succeeds (exit 0, $TOTAL unchanged)"
    else
        not_ok "the waiting writer then succeeds (exit 0, $TOTAL unchanged)" "exit $rc" "$c" "$(cat "$T/c.err")"
    fi
else
    not_ok "the first writer is running and has committed a batch" "$(cat "$T/a.err")"
    kill -9 "$apid" 2>/dev/null
    wait "$apid" 2>/dev/null
fi
if xapian-check "$DB" >"$T/xc" 2>&1; then ok "xapian-check exits 0 after the lock test"; else
    not_ok "xapian-check exits 0 after the lock test" "$(tail -n 5 "$T/xc")"
fi

finish
