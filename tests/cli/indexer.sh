#!/bin/sh
# indexer.sh - acceptance checks of deskdex-index.
#
# Runs on a copy of corpus/ in a temporary folder (so that files can be
# edited and removed) and on the fixtures in tests/corpora/cli/.
# Run from the repository root:   env BIN=bin sh tests/cli/indexer.sh
# Prints "ok - ..." / "not ok - ..." per check and, last, the line
# "tests: N passed, N failed". Exit status 1 if any check failed.

BIN=${BIN:-bin}
top=$(cd "$(dirname "$0")/../.." && pwd) || exit 2
case $BIN in /*) ;; *) BIN=$top/$BIN ;; esac
IDX=$BIN/deskdex-index
FIX=$top/tests/corpora/cli

. "$top/tests/lib.sh"
T=
cleanup() {
    [ -n "$T" ] && rm -rf "$T"
}
trap cleanup EXIT
trap 'cleanup; exit 2' HUP INT TERM

check() { # description command...: ok if the command succeeds (not eval, unlike lib.sh)
    d=$1
    shift
    if "$@"; then ok "$d"; else not_ok "$d"; fi
}

# Every run is bounded; a hung indexer fails its check instead of the suite.
if command -v timeout >/dev/null 2>&1; then
    idx() { timeout 30 "$IDX" "$@"; }
else
    idx() { "$IDX" "$@"; }
fi

# num JSON KEY: the integer value of "KEY" in a (possibly indented) object.
num() {
    printf '%s' "$1" | tr -d '\n' |
        sed -n "s/.*\"$2\": *\\(-\\{0,1\\}[0-9][0-9]*\\).*/\\1/p"
}
# expect_num DESC JSON KEY VALUE
expect_num() {
    v=$(num "$2" "$3")
    if [ "$v" = "$4" ]; then ok "$1"; else not_ok "$1" "expected \"$3\": $4 in: $2"; fi
}
# str_of JSON KEY: the string value of "KEY" in --show output.
str_of() {
    printf '%s\n' "$1" | sed -n "s/^  \"$2\": \"\\(.*\\)\",\\{0,1\\}\$/\\1/p" | head -n 1
}

if [ ! -x "$IDX" ]; then
    not_ok "$IDX is built (run make all)"
    finish
fi

T=$(mktemp -d "${TMPDIR:-/tmp}/deskdex-cli.XXXXXX") || exit 2
cp -R "$top/corpus" "$T/corpus" || exit 2
cd "$T" || exit 2
DB=$T/db
out=$T/out
err=$T/err

# --- command line ------------------------------------------------------

idx --help >"$out" 2>"$err"
rc=$?
if [ $rc -eq 0 ] && grep -q 'Usage:' "$out" && grep -q -- '--db' "$out"; then
    ok "--help exits 0 and prints the usage"
else
    not_ok "--help exits 0 and prints the usage" "exit $rc" "$(cat "$out" "$err")"
fi

idx --version >"$out" 2>"$err"
rc=$?
if [ $rc -eq 0 ] && grep -Eq '^deskdex-index [0-9]+\.[0-9]+' "$out"; then
    ok "--version exits 0 and prints the version"
else
    not_ok "--version exits 0 and prints the version" "exit $rc" "$(cat "$out" "$err")"
fi

idx --db "$T/nopath" >"$out" 2>"$err"
rc=$?
if [ $rc -eq 2 ] && [ -s "$err" ]; then
    ok "no PATH exits 2 with a message"
else
    not_ok "no PATH exits 2 with a message" "exit $rc" "$(cat "$err")"
fi

idx --db "$T/badkind" --kind recipe corpus >"$out" 2>"$err"
rc=$?
if [ $rc -eq 2 ] && grep -q -- '--kind' "$err" && [ ! -d "$T/badkind" ]; then
    ok "bad --kind exits 2, names the option and creates nothing"
else
    not_ok "bad --kind exits 2, names the option and creates nothing" "exit $rc" "$(cat "$err")"
fi

# --- first and second run ----------------------------------------------

first=$(idx --db "$DB" --json --quiet corpus 2>"$err")
rc=$?
added=$(num "$first" added)
if [ $rc -eq 0 ] && [ -n "$added" ] && [ "$added" -ge 400 ]; then
    ok "first run exits 0 and adds >= 400 documents ($added)"
else
    not_ok "first run exits 0 and adds >= 400 documents" "exit $rc" "$first" "$(cat "$err")"
fi
expect_num "first run rejects nothing" "$first" rejected 0
expect_num "first run skips the 15 unresolved tickets" "$first" skipped 15
expect_num "first run updates nothing" "$first" updated 0

second=$(idx --db "$DB" --json --quiet corpus 2>"$err")
rc=$?
case $rc:$second in
0:*'"added":0,"updated":0,'*) ok "identical re-run: added 0, updated 0" ;;
*) not_ok "identical re-run: added 0, updated 0" "exit $rc" "$second" "$(cat "$err")" ;;
esac
expect_num "identical re-run: every document unchanged" "$second" unchanged "$added"

# --- stats --------------------------------------------------------------

stats=$(idx --db "$DB" --stats 2>"$err")
rc=$?
kinds=0
for k in manual faq ticket; do
    printf '%s\n' "$stats" | grep -Eq "^ +\"$k\": \\{" && kinds=$((kinds + 1))
done
if [ $rc -eq 0 ] && printf '%s\n' "$stats" | grep -q '"documents"' && [ $kinds -eq 3 ]; then
    ok "--stats prints JSON with documents by kind (manual, faq, ticket)"
else
    not_ok "--stats prints JSON with documents by kind (manual, faq, ticket)" "exit $rc" "$stats" "$(cat "$err")"
fi
# The counts by kind and status add up to the number of ids.
sum=$(printf '%s\n' "$stats" | awk '
    /"documents"/ { in_docs = 1; next }
    in_docs && /^  }/ { in_docs = 0 }
    in_docs && /": [0-9]+/ { v = $0; sub(/.*": /, "", v); sub(/,$/, "", v); s += v }
    END { print s + 0 }')
ids=$(num "$stats" ids)
if [ -n "$ids" ] && [ "$ids" = "$added" ] && [ "$sum" = "$ids" ]; then
    ok "--stats: ids ($ids) = documents added = sum of counts by kind"
else
    not_ok "--stats: ids = documents added = sum of counts by kind" "ids=$ids added=$added sum=$sum"
fi
expect_num "--stats: one version per document after two runs" "$stats" versions "$added"

# --- an edited FAQ makes version 2; version 1 stays retrievable ---------

faqs=corpus/faqs/faqs-general.jsonl
FID=faq-wifi-connect
sed "/\"id\":\"$FID\"/s/valid 24 hours/valid 48 hours/" "$faqs" >"$T/edit" && mv "$T/edit" "$faqs"
if grep "\"id\":\"$FID\"" "$faqs" | grep -q 'valid 48 hours'; then
    third=$(idx --db "$DB" --json --quiet corpus 2>"$err")
    expect_num "edited FAQ answer: re-run reports updated 1" "$third" updated 1
    expect_num "edited FAQ answer: nothing added" "$third" added 0
    v1=$(idx --db "$DB" --show "$FID" --version 1 2>"$err")
    rc=$?
    b=$(str_of "$v1" body)
    case $rc:$b in
    0:*'valid 24 hours'*) ok "--show $FID --version 1 prints the old answer" ;;
    *) not_ok "--show $FID --version 1 prints the old answer" "exit $rc" "$v1" "$(cat "$err")" ;;
    esac
    check "--show --version 1 says \"version\": 1" \
        test "$(num "$v1" version)" = 1
    cur=$(idx --db "$DB" --show "$FID" 2>"$err")
    b=$(str_of "$cur" body)
    case $b in
    *'valid 48 hours'*) ok "--show $FID prints the new answer" ;;
    *) not_ok "--show $FID prints the new answer" "$cur" "$(cat "$err")" ;;
    esac
    expect_num "--show $FID says version 2" "$cur" version 2
    n=$(idx --db "$DB" --history "$FID" 2>"$err" | grep -c .)
    if [ "$n" -eq 2 ]; then ok "--history $FID lists 2 lines"; else
        not_ok "--history $FID lists 2 lines" "got $n" "$(idx --db "$DB" --history "$FID" 2>&1)"
    fi
else
    not_ok "could edit the answer of $FID in the copy (corpus changed?)"
fi

# --- a removed file is archived with --prune ----------------------------

gone=corpus/faqs/printing-faq.md
# How many documents the file holds: index it alone into a scratch index.
probe=$(idx --db "$T/probe" --json --quiet "$gone" 2>/dev/null)
held=$(num "$probe" added)
gid=$(sed -n 's/^## .*{#\([^}]*\)} *$/\1/p' "$gone" | head -n 1)
rm -f "$gone"
pr=$(idx --db "$DB" --json --quiet --prune corpus 2>"$err")
rc=$?
if [ -n "$held" ] && [ "$held" -gt 0 ] && [ "$(num "$pr" archived)" = "$held" ] && [ $rc -eq 0 ]; then
    ok "removed file + --prune archives the $held documents it held"
else
    not_ok "removed file + --prune archives the documents it held" "held=$held exit $rc" "$pr" "$(cat "$err")"
fi
expect_num "--prune run changes nothing else" "$pr" updated 0
doc=$(idx --db "$DB" --show "$gid" 2>"$err")
if [ -n "$gid" ] && [ "$(str_of "$doc" status)" = archived ]; then
    ok "--show $gid (from the removed file) says \"status\": \"archived\""
else
    not_ok "--show $gid (from the removed file) says \"status\": \"archived\"" "$doc" "$(cat "$err")"
fi
again=$(idx --db "$DB" --json --quiet --prune corpus 2>"$err")
expect_num "a second --prune run archives nothing more" "$again" archived 0

# --- removing one section of a Markdown manual archives just that one ---

man=corpus/manuals/vpn-guide.md
mid=$(sed -n 's/^id: *\([a-z0-9-]*\).*/\1/p' "$man" | head -n 1)
cut_a=$(sed -n 's/^## Split tunnelling {#\([^}]*\)}.*/\1/p' "$man")
keep_a=$(sed -n 's/^## Travelling.*{#\([^}]*\)}.*/\1/p' "$man")
awk '/^## Split tunnelling/ { skip = 1; next } /^##? / { skip = 0 } !skip' \
    "$man" >"$T/edit" && mv "$T/edit" "$man"
if [ -n "$mid" ] && [ -n "$cut_a" ] && [ -n "$keep_a" ] && ! grep -q 'Split tunnelling' "$man"; then
    sec=$(idx --db "$DB" --json --quiet corpus 2>"$err")
    expect_num "manual minus one section: re-run archives 1" "$sec" archived 1
    expect_num "manual minus one section: no other document updated" "$sec" updated 0
    d=$(idx --db "$DB" --show "$mid:$cut_a" 2>"$err")
    if [ "$(str_of "$d" status)" = archived ] && [ "$(num "$d" version)" = 2 ]; then
        ok "the removed section $mid:$cut_a is archived (version 2)"
    else
        not_ok "the removed section $mid:$cut_a is archived (version 2)" "$d" "$(cat "$err")"
    fi
    d=$(idx --db "$DB" --show "$mid:$keep_a" 2>"$err")
    if [ "$(str_of "$d" status)" = published ] && [ "$(num "$d" version)" = 1 ]; then
        ok "a sibling section $mid:$keep_a stays published at version 1"
    else
        not_ok "a sibling section $mid:$keep_a stays published at version 1" "$d" "$(cat "$err")"
    fi
else
    not_ok "could remove the section 'Split tunnelling' of $man in the copy (corpus changed?)"
fi

# --- personal data in tickets is masked --------------------------------

# One line per record: "ID<TAB>text". A CSV line that does not start a
# record (a quoted field spanning lines) belongs to the record before it.
awk -F, '
    FNR == 1 && FILENAME ~ /\.csv$/ { id = ""; next }
    FILENAME ~ /\.jsonl$/ {
        id = $0
        if (!sub(/^\{"id":"/, "", id)) id = ""
        sub(/".*/, "", id)
    }
    FILENAME ~ /\.csv$/ && /^INC-[0-9]+,/ { id = $1 }
    id != "" { print id "\t" $0 }' corpus/tickets/*.jsonl corpus/tickets/*.csv >"$T/recs"

# Originals, each as "ID<TAB>class<TAB>text", found by pattern in the corpus.
re_email='[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}'
re_mobile='(^|[^0-9])1[3-9][0-9]{9}([^0-9]|$)'
re_idcard='(^|[^0-9])[1-9][0-9]{16}[0-9Xx]([^0-9Xx]|$)'
re_card='(^|[^0-9])[0-9]([ -]?[0-9]){12,18}([^0-9]|$)'
re_ip='(^|[^0-9.])([0-9]{1,3}\.){3}[0-9]{1,3}([^0-9.]|$)'
luhn() { # digits: exit 0 if the Luhn check passes
    printf '%s\n' "$1" | awk '{
        n = length($0); s = 0
        for (i = n; i >= 1; i--) {
            d = substr($0, i, 1) + 0
            if ((n - i) % 2 == 1) { d *= 2; if (d > 9) d -= 9 }
            s += d
        }
        exit (s % 10 == 0) ? 0 : 1 }'
}
: >"$T/pii"
grep -E "$re_email|$re_mobile|$re_idcard|$re_card|$re_ip" "$T/recs" >"$T/recs_pii"
while IFS="$(printf '\t')" read -r id text; do
    for m in $(printf '%s\n' "$text" | grep -oE "$re_email"); do
        printf '%s\temail\t%s\n' "$id" "$m"
    done
    for m in $(printf '%s\n' "$text" | grep -oE "$re_mobile" | tr -cd '0-9\n'); do
        printf '%s\tmobile\t%s\n' "$id" "$m"
    done
    for m in $(printf '%s\n' "$text" | grep -oE "$re_idcard" | tr -cd '0-9Xx\n'); do
        printf '%s\tid-card\t%s\n' "$id" "$m"
    done
    printf '%s\n' "$text" | grep -oE "$re_card" | sed -E 's/^[^0-9]//; s/[^0-9]$//' |
        while read -r m; do
            digits=$(printf '%s' "$m" | tr -cd '0-9')
            # An 18-character ID-card number is checked as such above.
            [ ${#digits} -eq 18 ] && continue
            luhn "$digits" && printf '%s\tcard\t%s\n' "$id" "$m"
        done
    for m in $(printf '%s\n' "$text" | grep -oE "$re_ip" | tr -cd '0-9.\n'); do
        printf '%s\tip\t%s\n' "$id" "$m"
    done
done <"$T/recs_pii" >"$T/pii"

for c in email mobile id-card card ip; do
    n=$(cut -f2 "$T/pii" | grep -cx -- "$c")
    if [ "$n" -ge 3 ]; then ok "corpus/tickets holds personal data to mask: $n $c"; else
        not_ok "corpus/tickets holds personal data to mask: $c (found $n; pattern broken?)"
    fi
done

: >"$T/shown"
leaks=
for id in $(cut -f1 "$T/pii" | sort -u); do
    if ! idx --db "$DB" --show "$id" >"$T/doc" 2>"$err"; then
        # An unresolved ticket is not indexed at all, which is fine.
        grep -q 'no document' "$err" && continue
        leaks="$leaks $id(show failed: $(cat "$err"))"
        continue
    fi
    cat "$T/doc" >>"$T/shown"
    while IFS="$(printf '\t')" read -r pid class text; do
        [ "$pid" = "$id" ] || continue
        if grep -qF -- "$text" "$T/doc"; then
            leaks="$leaks $id:$class:'$text'"
        elif [ "$class" = card ] || [ "$class" = mobile ]; then
            d=$(printf '%s' "$text" | tr -cd '0-9')
            grep -qF -- "$d" "$T/doc" && leaks="$leaks $id:$class:'$d'"
        fi
    done <"$T/pii"
done
if [ -s "$T/shown" ] && [ -z "$leaks" ]; then
    ok "no e-mail, mobile, ID-card, card number or IP of the corpus appears in --show of its ticket"
else
    not_ok "no e-mail, mobile, ID-card, card number or IP of the corpus appears in --show of its ticket" "leaked:$leaks"
fi
for mask in email phone id-card card ip; do
    if grep -qF "[$mask]" "$T/shown"; then ok "the mask [$mask] appears in those tickets"; else
        not_ok "the mask [$mask] appears in those tickets"
    fi
done

# --- broken inputs are reported with file and line; the rest is indexed -

BDB=$T/broken-db
bro=$(idx --db "$BDB" --json --quiet "$FIX/broken" 2>"$err")
rc=$?
if [ $rc -eq 1 ]; then ok "indexing tests/corpora/cli/broken exits 1"; else
    not_ok "indexing tests/corpora/cli/broken exits 1" "exit $rc" "$bro" "$(cat "$err")"
fi
expect_num "broken inputs: 4 records rejected" "$bro" rejected 4
for where in 'mixed.jsonl:3:' 'columns.csv:5:' 'badutf8.jsonl:2:' 'notjson.json:[0-9]+:'; do
    if grep -Eq "/faqs/$where " "$err"; then ok "stderr names $where"; else
        not_ok "stderr names $where" "$(cat "$err")"
    fi
done
# Good records of the same files are there, bad ones are not.
for id in cli-mixed-1 cli-mixed-2 cli-mixed-4 cli-csv-1 cli-csv-2 cli-csv-4 \
    cli-utf8-1 cli-utf8-3 cli-json-1 cli-json-2; do
    if d=$(idx --db "$BDB" --show "$id" 2>"$err") &&
        [ "$(str_of "$d" status)" = published ]; then
        ok "good record $id of a broken file is indexed"
    else
        not_ok "good record $id of a broken file is indexed" "$(cat "$err")"
    fi
done
d=$(idx --db "$BDB" --show cli-csv-1 2>/dev/null)
case $(str_of "$d" body) in
*'Map network drive,\npick S:'*) ok "a quoted CSV field spanning two lines is kept whole" ;;
*) not_ok "a quoted CSV field spanning two lines is kept whole" "$d" ;;
esac
for id in cli-mixed-3 cli-csv-3 cli-utf8-2; do
    idx --db "$BDB" --show "$id" >/dev/null 2>&1
    rc=$?
    if [ $rc -eq 1 ]; then ok "rejected record $id is not indexed"; else
        not_ok "rejected record $id is not indexed" "--show exit $rc"
    fi
done
if command -v xapian-check >/dev/null 2>&1; then
    if xapian-check "$BDB" >"$out" 2>&1; then ok "xapian-check passes after the broken inputs"; else
        not_ok "xapian-check passes after the broken inputs" "$(tail -n 5 "$out")"
    fi
fi

# --- --map: an export with another column name -------------------------

MDB=$T/map-db
mo=$(idx --db "$MDB" --json --quiet --map resolution=solution_text --kind ticket "$FIX/mapped" 2>"$err")
rc=$?
if [ $rc -eq 0 ] && [ "$(num "$mo" added)" = 2 ] && [ "$(num "$mo" skipped)" = 1 ]; then
    ok "--map resolution=solution_text --kind ticket: 2 added, the open ticket skipped"
else
    not_ok "--map resolution=solution_text --kind ticket: 2 added, the open ticket skipped" "exit $rc" "$mo" "$(cat "$err")"
fi
d=$(idx --db "$MDB" --show HD-9001 2>"$err")
case $(str_of "$d" resolution) in
'Cleared the cached credentials'*) ok "--map: HD-9001 gets its resolution from solution_text" ;;
*) not_ok "--map: HD-9001 gets its resolution from solution_text" "$d" "$(cat "$err")" ;;
esac
if [ "$(str_of "$d" kind)" = ticket ] && [ "$(str_of "$d" visibility)" = internal ]; then
    ok "--kind ticket: HD-9001 is an internal ticket"
else
    not_ok "--kind ticket: HD-9001 is an internal ticket" "$d"
fi
d=$(idx --db "$MDB" --show HD-9002 2>"$err")
r=$(str_of "$d" resolution)
case $r in
*'jan.pieters@'*) not_ok "--map: a mapped resolution is masked too" "$r" ;;
*'[email]'*) ok "--map: a mapped resolution is masked too" ;;
*) not_ok "--map: a mapped resolution is masked too" "$d" ;;
esac
nm=$(idx --db "$T/nomap-db" --json --quiet --kind ticket "$FIX/mapped" 2>"$err")
if [ "$(num "$nm" added)" = 0 ] && [ "$(num "$nm" skipped)" = 3 ]; then
    ok "without --map the same export has no resolutions (all 3 skipped)"
else
    not_ok "without --map the same export has no resolutions (all 3 skipped)" "$nm"
fi

# --- a transaction ends at 2 MB of new text, whatever --batch says -------

# 30 FAQs of about 200 KB each: 6 MB of text, so at least 3 commits with a
# --batch far above 30 (the revision counts commits).
python3 -c '
import json
for i in range(30):
    print(json.dumps({"id": "big-%d" % i, "question": "Large answer %d" % i,
                      "answer": ("word%d filler text " % i) * 10000}))' >"$T/big.jsonl"
bj=$(idx --db "$T/big-db" --json --quiet --batch 100000 --kind faq "$T/big.jsonl" 2>"$err")
rev=$(idx --db "$T/big-db" --stats 2>/dev/null | python3 -c 'import json,sys; print(json.load(sys.stdin)["revision"])')
if [ "$(num "$bj" added)" = 30 ] && [ "${rev:-0}" -ge 3 ] && [ "${rev:-0}" -le 5 ]; then
    ok "30 documents of 6 MB of text were committed in $rev transactions"
else
    not_ok "30 documents of 6 MB of text were committed in 3 to 5 transactions" "$bj revision=$rev"
fi
ra=$(idx --db "$T/big-db" --reanalyse --batch 100000 --json 2>"$err")
rev2=$(idx --db "$T/big-db" --stats 2>/dev/null | python3 -c 'import json,sys; print(json.load(sys.stdin)["revision"])')
if [ "$(num "$ra" reanalysed)" = 30 ] && [ $((${rev2:-0} - ${rev:-0})) -ge 3 ] &&
    [ $((${rev2:-0} - ${rev:-0})) -le 5 ]; then
    ok "--reanalyse rebuilt them in $((rev2 - rev)) transactions, by the same bound"
else
    not_ok "--reanalyse rebuilt them in 3 to 5 transactions, by the same bound" "$ra revision $rev -> $rev2"
fi

# --- the index is sound after all of the above --------------------------

if command -v xapian-check >/dev/null 2>&1; then
    if xapian-check "$DB" >"$out" 2>&1; then ok "xapian-check passes on the corpus index"; else
        not_ok "xapian-check passes on the corpus index" "$(tail -n 5 "$out")"
    fi
else
    not_ok "xapian-check is installed (Debian xapian-tools)"
fi

finish
