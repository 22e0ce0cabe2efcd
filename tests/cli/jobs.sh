#!/bin/sh
# jobs.sh - deskdex-index --jobs N: a first load indexed by N processes and
# merged at the end holds what one process makes of the same files (the
# same documents, versions, scores, totals, facets and spelling), reports
# bad records where they are, falls back to one job when two jobs' files
# share an id, and refuses what it cannot do.
BIN=${BIN:-bin}
. "$(dirname "$0")/../lib.sh"

workspace

idx() { "$BIN/deskdex-index" "$@"; }
stats() { idx --db "$1" --stats | python3 -c 'import json,sys
d=json.load(sys.stdin); d.pop("revision", None); print(json.dumps(d, sort_keys=True))'; }
jfield() { python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))[sys.argv[2]])' "$1" "$2" 2>/dev/null; }

idx --db "$T/one" --quiet --json corpus/ >"$T/one.json" 2>"$T/one.err"
# Small batches: each job commits dozens of times, and its spelling
# dictionary, held until its last commit, must still come out whole.
idx --db "$T/two" --jobs 2 --batch 7 --quiet --json corpus/ >"$T/two.json" 2>"$T/two.err"
rc=$?
check "--jobs 2 on the corpus exits 0" '[ $rc -eq 0 ]'
check "it adds as many documents as one job ($(jfield "$T/one.json" added))" \
    '[ "$(jfield "$T/two.json" added)" = "$(jfield "$T/one.json" added)" ] && [ "$(jfield "$T/two.json" skipped)" = "$(jfield "$T/one.json" skipped)" ]'
check "--stats are the same (kinds, statuses, ids, versions)" '[ "$(stats "$T/one")" = "$(stats "$T/two")" ]'
check "no part or merge folder is left behind" '[ -z "$(ls "$T" | grep -E "\.(part|merge)-")" ]'
check "a document reads back the same" \
    '[ "$(idx --db "$T/one" --show faq-password-reset | grep -v _at)" = "$(idx --db "$T/two" --show faq-password-reset | grep -v _at)" ]'
check "xapian-check finds the merged index sound" 'xapian-check "$T/two" >/dev/null 2>&1'

# The same answers: scores, totals, facets and corrections (documents with
# equal scores may come in another order: the merge renumbers them).
printf 'rate_limit = 0\n' >"$T/conf"
grep '^synonym' etc/deskdex.conf >>"$T/conf"
P1=$(free_port)
P2=$(free_port)
for s in "one $P1" "two $P2"; do
    set -- $s
    timeout 120 "$BIN/deskdex-server" --db "$T/$1" --listen "127.0.0.1:$2" \
        --config "$T/conf" --access-log "" 2>>"$T/server.log" &
    PIDS="$PIDS $!"
done
wait_up "$P1" && wait_up "$P2" || not_ok "the servers start" "$(tail -5 "$T/server.log")"
answer() { # port query -> a canonical form of the answer
    curl -s -m 10 "http://127.0.0.1:$1/v1/search?limit=50&q=$2" | python3 -c 'import json,sys
j=json.load(sys.stdin)
print(j["total"], j.get("did_you_mean"), json.dumps(j.get("facets"), sort_keys=True),
      sorted((r["score"], r["id"], r["version"]) for r in j["results"]))'
}
same=0
total=0
for q in "reset+my+password" "vpn+keeps+disconnecting" "printer+jam" "outlok+not+synching" \
    "%E5%BF%98%E8%AE%B0%E5%AF%86%E7%A0%81" "wifi" "kind:faq+email" "teams+room+display" \
    "pasword+resett" "printr+jamm" "vpn+disconect" "sharepont+acess"; do
    total=$((total + 1))
    a=$(answer "$P1" "$q")
    b=$(answer "$P2" "$q")
    if [ -n "$a" ] && [ "$a" = "$b" ]; then same=$((same + 1)); else
        echo "# $q: $a" | head -c 300; echo; echo "# $q: $b" | head -c 300; echo
    fi
done
check "the same answers to $same of $total searches" '[ "$same" -eq "$total" ]'
check "the merged spelling dictionary corrects a misspelt word" \
    'curl -s "http://127.0.0.1:$P2/v1/search?q=outlok" | grep -q "\"did_you_mean\":\"outlook\""'

# Bad records are reported where they are, as with one job.
mkdir -p "$T/bad/faqs"
cp corpus/faqs/faqs-general.jsonl corpus/faqs/vpn-faq.md corpus/faqs/printing-faq.md "$T/bad/faqs/"
printf '{"id":"bad-one","question":"Q"}\nnot json\n' >"$T/bad/faqs/broken.jsonl"
idx --db "$T/bad.kb" --jobs 2 --quiet --json "$T/bad" >"$T/bad.json" 2>"$T/bad.err"
rc=$?
check "a bad record: exit 1, named with its file and line" \
    '[ $rc -eq 1 ] && grep -q "broken.jsonl:2:" "$T/bad.err" && [ "$(jfield "$T/bad.json" rejected)" -ge 1 ]'
check "the good records of every file are in" \
    '[ "$(jfield "$T/bad.json" added)" -gt 20 ] && idx --db "$T/bad.kb" --show faq-vpn-keeps-disconnecting >/dev/null 2>&1'

# A path that cannot be walked is one problem, counted once.
idx --db "$T/miss.kb" --jobs 2 --quiet --json corpus/ "$T/nope" >"$T/miss.json" 2>"$T/miss.err"
rc=$?
check "a missing path: exit 1, named, counted once" \
    '[ $rc -eq 1 ] && grep -q "nope" "$T/miss.err" && [ "$(jfield "$T/miss.json" rejected)" = 1 ]'

# One id in files of two jobs: indexed again in one job, which reports it.
mkdir -p "$T/dup/faqs"
cp corpus/faqs/faqs-general.jsonl "$T/dup/faqs/a.jsonl"
cp corpus/faqs/faqs-general.jsonl "$T/dup/faqs/b.jsonl"
idx --db "$T/dup.kb" --jobs 2 --quiet --json "$T/dup" >"$T/dup.json" 2>"$T/dup.err"
rc=$?
check "the same id from two jobs: said, then indexed in one job" \
    'grep -q "two jobs; indexing again in one job" "$T/dup.err"'
check "which rejects the second copies, naming the first (exit $rc)" \
    '[ $rc -eq 1 ] && grep -q "duplicate id .* (first at .*a.jsonl:" "$T/dup.err"'
idx --db "$T/dup1.kb" --quiet --json "$T/dup" >"$T/dup1.json" 2>/dev/null
check "and ends as one job would" '[ "$(stats "$T/dup.kb")" = "$(stats "$T/dup1.kb")" ]'

# A set of shards: each job makes a part set, merged shard by shard.
idx --db "$T/set1" --shards 3 --quiet corpus/ >/dev/null 2>&1
idx --db "$T/set2" --shards 3 --jobs 2 --quiet --json corpus/ >"$T/set2.json" 2>"$T/set2.err"
rc=$?
check "--shards 3 --jobs 2 exits 0 and makes a set" '[ $rc -eq 0 ] && grep -q "^auto shard-2" "$T/set2/XAPIANDB" && [ -f "$T/set2/dict/iamglass" ]'
check "its --stats are those of the set made by one job" '[ "$(stats "$T/set1")" = "$(stats "$T/set2")" ]'
same=1
for k in 0 1 2; do
    n1=$(xapian-delve "$T/set1/shard-$k" | sed -n 's/^number of documents = //p')
    n2=$(xapian-delve "$T/set2/shard-$k" | sed -n 's/^number of documents = //p')
    [ -n "$n1" ] && [ "$n1" = "$n2" ] || same=0
done
check "each shard holds the same documents' count as one job's" '[ $same -eq 1 ]'
check "later runs on the set find it and change nothing" \
    'idx --db "$T/set2" --quiet --json corpus/ 2>/dev/null | grep -q "\"added\":0,\"updated\":0"'
check "a document reads back from its shard" \
    '[ "$(idx --db "$T/set1" --show faq-password-reset | grep -v _at)" = "$(idx --db "$T/set2" --show faq-password-reset | grep -v _at)" ]'
P3=$(free_port)
timeout 120 "$BIN/deskdex-server" --db "$T/set2" --listen "127.0.0.1:$P3" \
    --config "$T/conf" --access-log "" 2>>"$T/server.log" &
PIDS="$PIDS $!"
wait_up "$P3" || not_ok "the server starts on the merged set"
same=0
total=0
for q in "reset+my+password" "outlok+not+synching" "%E5%BF%98%E8%AE%B0%E5%AF%86%E7%A0%81" "kind:faq+email"; do
    total=$((total + 1))
    [ "$(answer "$P1" "$q")" = "$(answer "$P3" "$q")" ] && same=$((same + 1))
done
check "the merged set answers $same of $total searches as the single index" '[ "$same" -eq "$total" ]'

# What it refuses.
out=$(idx --db "$T/one" --jobs 2 corpus/ 2>&1)
rc=$?
check "an existing index is refused (exit 2), saying why" '[ $rc -eq 2 ] && echo "$out" | grep -q "exists"'
out=$(idx --db "$T/x" --jobs 0 corpus/ 2>&1)
rc=$?
check "--jobs 0 is refused, naming the option" '[ $rc -eq 2 ] && echo "$out" | grep -q -- "--jobs"'
out=$(idx --db "$T/x" --jobs 65 corpus/ 2>&1)
check "--jobs 65 is refused" 'echo "$out" | grep -q -- "--jobs takes 1 to 64"'
check "--jobs 1 is the usual single job" \
    'idx --db "$T/j1" --jobs 1 --quiet corpus/ >/dev/null 2>&1 && [ "$(stats "$T/j1")" = "$(stats "$T/one")" ]'
idx --db "$T/j4" --jobs 4 --quiet corpus/ >/dev/null 2>&1
check "--jobs 4 (more jobs than cores) makes the same index" '[ "$(stats "$T/j4")" = "$(stats "$T/one")" ]'

# Folders left by an indexer killed mid-way are removed by the next load;
# those of one still running, or of another index, are not.
sh -c 'exit 0' &
gone=$!
wait "$gone"
mkdir -p "$T/k.part-$gone-0/x" "$T/k.part-$gone-1" "$T/k.merge-$gone" \
    "$T/k.part-$$-0" "$T/k2.part-$gone-0"
out=$(idx --db "$T/k" --jobs 2 --quiet corpus/ 2>&1 >/dev/null)
check "a gone indexer's parts and merge folder are removed, and said so" \
    '[ ! -e "$T/k.part-$gone-0" ] && [ ! -e "$T/k.part-$gone-1" ] && [ ! -e "$T/k.merge-$gone" ] && [ "$(echo "$out" | grep -c "left by an indexer that is gone (pid $gone)")" -eq 3 ]'
check "a running indexer's part and another index's part are left alone" \
    '[ -d "$T/k.part-$$-0" ] && [ -d "$T/k2.part-$gone-0" ]'
check "and the load itself is whole" '[ "$(stats "$T/k")" = "$(stats "$T/one")" ]'

finish
