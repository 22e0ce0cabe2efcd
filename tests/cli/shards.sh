#!/bin/sh
# shards.sh - a set of two local shards answers like one index: the same
# results, scores, facets, snippets, corrections and synonyms, every
# document and version read from the shard that holds it, live writes
# placed by id; bad sets are refused with errors that name the fault.
# (The multi-node deployment is make cluster-test: tests/cluster/run.sh.)
BIN=${BIN:-bin}
. "$(dirname "$0")/../lib.sh"

workspace

start() { # db port
    timeout 300 "$BIN/deskdex-server" --db "$1" --listen "127.0.0.1:$2" \
        --config "$T/conf" --keys "$T/keys.json" --access-log "" \
        2>>"$T/server.log" &
    PIDS="$PIDS $!"
}
post() { # port id answer
    curl -s -o /dev/null -w '%{http_code}' -m 5 -H "Authorization: Bearer ed-key-1" \
        -H 'Content-Type: application/json' \
        -d "{\"id\":\"$2\",\"kind\":\"faq\",\"question\":\"Shard question $2\",\"answer\":\"$3\"}" \
        "http://127.0.0.1:$1/v1/documents"
}
field() { # port path python-expression-on-d
    curl -s -m 5 -H "Authorization: Bearer ed-key-1" "http://127.0.0.1:$1$2" |
        python3 -c "import json,sys; d=json.load(sys.stdin); print($3)" 2>/dev/null
}

h=$("$BIN/deskdex-server" --hash-key ed-key-1 | sed 's/"NAME"/"editor"/; s/"agent"/"editor"/')
echo "[$h]" >"$T/keys.json"
printf 'rate_limit = 0\nkey_rate_limit = 0\n' >"$T/conf"
grep '^synonym' etc/deskdex.conf >>"$T/conf"

"$BIN/deskdex-index" --db "$T/one" --quiet corpus/ >/dev/null 2>&1
"$BIN/deskdex-index" --db "$T/set" --shards 2 --quiet corpus/ >/dev/null 2>&1
check "--shards 2 writes two shards, a dictionary and a stub" \
    '[ -f "$T/set/shard-0/iamglass" ] && [ -f "$T/set/shard-1/iamglass" ] && [ -f "$T/set/dict/iamglass" ] && grep -q "^auto shard-1" "$T/set/XAPIANDB"'
n0=$(xapian-delve "$T/set/shard-0" | sed -n 's/^number of documents = //p')
n1=$(xapian-delve "$T/set/shard-1" | sed -n 's/^number of documents = //p')
nall=$(xapian-delve "$T/one" | sed -n 's/^number of documents = //p')
check "the shards split the documents ($n0 + $n1 = $nall) and both hold some" \
    '[ "$n0" -gt 0 ] && [ "$n1" -gt 0 ] && [ $((n0 + n1)) -eq "$nall" ]'
check "xapian-delve opens the set through its stub" \
    'xapian-delve "$T/set" | grep -q "number of documents = $nall"'
check "--stats of the set equals --stats of one index" \
    '[ "$("$BIN/deskdex-index" --db "$T/one" --stats | python3 -c "import json,sys; d=json.load(sys.stdin); print(d[\"documents\"], d[\"ids\"], d[\"versions\"], d[\"searchable\"])")" = "$("$BIN/deskdex-index" --db "$T/set" --stats | python3 -c "import json,sys; d=json.load(sys.stdin); print(d[\"documents\"], d[\"ids\"], d[\"versions\"], d[\"searchable\"])")" ]'
check "a re-run on the set changes nothing" \
    '"$BIN/deskdex-index" --db "$T/set" --json --quiet corpus/ 2>/dev/null | grep -q "\"added\":0,\"updated\":0,\"unchanged\":[1-9]"'
check "--show reads from the shard that holds the id" \
    '"$BIN/deskdex-index" --db "$T/set" --show faq-password-reset | grep -q "How do I reset my password"'

# Bad input is refused, naming what and where.
out=$("$BIN/deskdex-index" --db "$T/set" --shards 3 corpus/ 2>&1)
check "a different shard count is refused: $out" 'echo "$out" | grep -q "has 2 shards, not 3"'
out=$("$BIN/deskdex-index" --db "$T/one" --shards 2 corpus/ 2>&1)
check "--shards on a single index is refused" 'echo "$out" | grep -q "is a single index"'
out=$("$BIN/deskdex-index" --db "$T/x" --shards 0 corpus/ 2>&1)
check "--shards 0 is refused" 'echo "$out" | grep -q "takes 1 to"'
out=$("$BIN/deskdex-index" --db "$T/set" --backup "$T/bk" 2>&1)
check "--backup of a set says to copy each shard" 'echo "$out" | grep -q "each shard"'
printf 'auto %s/set/shard-0\nchert %s/set/shard-1\n' "$T" "$T" >"$T/bad1.stub"
out=$("$BIN/deskdex-server" --db "$T/bad1.stub" --listen 127.0.0.1:0 2>&1)
check "a stub with an unknown shard type names file and line" 'echo "$out" | grep -q "bad1.stub:2: shard type \"chert\""'
printf 'remote 127.0.0.1:99999\n' >"$T/bad2.stub"
out=$("$BIN/deskdex-server" --db "$T/bad2.stub" --listen 127.0.0.1:0 2>&1)
check "a stub with a bad port names file and line" 'echo "$out" | grep -q "bad2.stub:1: want \"remote HOST:PORT\""'
printf 'auto %s/set/shard-0\nauto %s/nowhere\n' "$T" "$T" >"$T/bad3.stub"
out=$("$BIN/deskdex-server" --db "$T/bad3.stub" --listen 127.0.0.1:0 2>&1)
check "a missing shard folder is named" 'echo "$out" | grep -q "shard 1 ($T/nowhere)"'
printf '# nothing\n' >"$T/bad4.stub"
out=$("$BIN/deskdex-server" --db "$T/bad4.stub" --listen 127.0.0.1:0 2>&1)
check "a stub listing no shards is refused" 'echo "$out" | grep -q "lists no shards"'
p0=$(free_port)
printf 'remote 127.0.0.1:%s\n' "$p0" >"$T/bad5.stub"
out=$("$BIN/deskdex-server" --db "$T/bad5.stub" --listen 127.0.0.1:0 2>&1)
check "a set whose only shard does not answer is refused" 'echo "$out" | grep -q "no shard answers"'

# The set and the single index, served side by side.
P1=$(free_port)
P2=$(free_port)
start "$T/one" "$P1"
start "$T/set" "$P2"
wait_up "$P1"
check "a server opens the set" 'wait_up "$P2"'
# Every fifth id of the corpus, from the single index's own records.
python3 - "$T/one" "$T/ids" <<'EOF'
import subprocess, sys
out = subprocess.run(["xapian-metadata", "list", sys.argv[1], "d:"],
                     capture_output=True, text=True).stdout.split()
ids = [k[2:] for k in out if k.startswith("d:")]
open(sys.argv[2], "w").write("\n".join(ids[::5]) + "\n")
EOF
check "ids to compare were listed ($(wc -l <"$T/ids"))" '[ "$(wc -l <"$T/ids")" -gt 50 ]'
python3 tests/cluster/compare.py "http://127.0.0.1:$P1" "http://127.0.0.1:$P2" \
    tests/cluster/queries.txt --ids "$T/ids" >"$T/cmp-anon.txt" 2>&1
check "anonymous: $(tail -n 1 "$T/cmp-anon.txt")" '[ $? -eq 0 ] && grep -q " 0 differences" "$T/cmp-anon.txt"'
sed 's/^/    /' "$T/cmp-anon.txt" | grep differs | head -5
python3 tests/cluster/compare.py "http://127.0.0.1:$P1" "http://127.0.0.1:$P2" \
    tests/cluster/queries.txt --key ed-key-1 --ids "$T/ids" >"$T/cmp-ed.txt" 2>&1
check "editor (drafts, tickets): $(tail -n 1 "$T/cmp-ed.txt")" 'grep -q " 0 differences" "$T/cmp-ed.txt"'
sed 's/^/    /' "$T/cmp-ed.txt" | grep differs | head -5
python3 tests/cluster/compare.py "http://127.0.0.1:$P1" "http://127.0.0.1:$P2" \
    tests/cluster/queries.txt --args "&group=1" >"$T/cmp-group.txt" 2>&1
check "by article (group=1): $(tail -n 1 "$T/cmp-group.txt")" 'grep -q " 0 differences" "$T/cmp-group.txt"'
sed 's/^/    /' "$T/cmp-group.txt" | grep differs | head -5
check "did-you-mean comes from the set's dictionary" \
    '[ "$(field "$P2" "/v1/search?q=reset+my+passwrd" "d.get(\"did_you_mean\")")" = "reset my password" ]'
check "a configured synonym expands on the set (passwd finds password pages)" \
    '[ "$(field "$P2" "/v1/search?q=passwd&limit=1" "d[\"results\"][0][\"id\"]")" = "$(field "$P1" "/v1/search?q=passwd&limit=1" "d[\"results\"][0][\"id\"]")" ] && [ -n "$(field "$P2" "/v1/search?q=passwd&limit=1" "d[\"results\"][0][\"id\"]")" ]'

# Live writes go to the shard chosen by the id, versions stay there.
for id in live-a live-b live-c live-d; do
    post "$P2" "$id" "first answer about zeppelins" >/dev/null
    post "$P2" "$id" "second answer about zeppelins" >/dev/null
done
placed=1
for id in live-a live-b live-c live-d; do
    k=$(python3 -c 'import sys
h=14695981039346656037
for c in sys.argv[1].encode(): h=((h^c)*1099511628211)%(1<<64)
print(h%2)' "$id")
    other=$((1 - k))
    "$BIN/deskdex-index" --db "$T/set/shard-$k" --history "$id" 2>/dev/null | grep -q "v2" || placed=0
    "$BIN/deskdex-index" --db "$T/set/shard-$other" --show "$id" >/dev/null 2>&1 && placed=0
done
check "posted documents live in the shard FNV-1a(id) mod 2 names, with both versions" '[ $placed -eq 1 ]'
check "GET a document's version 1 through the set" \
    '[ "$(field "$P2" "/v1/documents/live-c?version=1" "d[\"body\"]")" = "first answer about zeppelins" ]'
check "its versions and diff through the set" \
    '[ "$(field "$P2" "/v1/documents/live-c/versions" "len(d[\"versions\"])")" = 2 ] && [ "$(field "$P2" "/v1/documents/live-c/diff?from=1&to=2" "d[\"to\"]")" = 2 ]'
check "posted documents are searchable at once" \
    '[ "$(field "$P2" "/v1/search?q=zeppelins&limit=10" "d[\"total\"]")" = 4 ]'
check "a correction learns words of posted documents (zepelins)" \
    '[ "$(field "$P2" "/v1/search?q=zepelins" "d.get(\"did_you_mean\")")" = "zeppelins" ]'
code=$(curl -s -o /dev/null -w '%{http_code}' -m 5 -X DELETE -H "Authorization: Bearer ed-key-1" "http://127.0.0.1:$P2/v1/documents/live-b")
check "archive through the set" '[ "$code" = 200 ] && [ "$(field "$P2" "/v1/search?q=zeppelins&limit=10" "d[\"total\"]")" = 3 ]'
check "healthz lists the shards and their commit stamps" \
    '[ "$(field "$P2" "/healthz" "len(d[\"shards\"]) * 10 + len(d[\"commits\"])")" = 23 ] && [ "$(field "$P2" "/healthz" "d[\"role\"]")" = writer ]'
check "metrics count documents over both shards" \
    'curl -s "http://127.0.0.1:$P2/metrics" | grep -q "deskdex_shard_up{shard=\"1\"} 1"'
# Curation on a set: pins in the dictionary, articles and links in shards.
edpost() { # port path json -> status
    curl -s -o "$T/ed.json" -w '%{http_code}' -m 5 -H "Authorization: Bearer ed-key-1" \
        -H 'Content-Type: application/json' -d "$3" "http://127.0.0.1:$1$2"
}
check "a pin through the set is stored (201)" \
    '[ "$(edpost "$P2" /v1/pins "{\"query\":\"reset my password\",\"id\":\"faq-wifi-connect\"}")" = 201 ]'
check "the pin lives in the dictionary" \
    'xapian-metadata list "$T/set/dict" pin: | grep -qx "pin:password reset" && ! xapian-metadata list "$T/set/shard-0" pin: | grep -q .'
check "a close variant shows the pinned answer first through the set" \
    '[ "$(field "$P2" "/v1/search?q=password+resets" "d[\"results\"][0][\"id\"]")" = faq-wifi-connect ]'
check "a ticket promotes through the set (201)" \
    '[ "$(edpost "$P2" /v1/documents/INC-10159/promote "{}")" = 201 ]'
check "the ticket, read from its shard, shows the article" \
    'curl -s -H "Authorization: Bearer ed-key-1" "http://127.0.0.1:$P2/v1/documents/INC-10159" | grep -q "\"promoted_to\":\"kb-INC-10159\""'
check "the draft publishes as version 2 in its shard" \
    '[ "$(edpost "$P2" /v1/documents/kb-INC-10159/publish "{}")" = 200 ] && [ "$(field "$P2" "/v1/documents/kb-INC-10159" "d[\"version\"]")" = 2 ]'
check "the stale list walks every shard (same as one index)" \
    '[ "$(curl -s -H "Authorization: Bearer ed-key-1" "http://127.0.0.1:$P2/v1/analytics/stale?limit=1000" | python3 -c "import json,sys; print(json.load(sys.stdin)[\"overdue_total\"])")" = "$(curl -s -H "Authorization: Bearer ed-key-1" "http://127.0.0.1:$P1/v1/analytics/stale?limit=1000" | python3 -c "import json,sys; print(json.load(sys.stdin)[\"overdue_total\"])")" ]'
for p in $PIDS; do kill "$p" 2>/dev/null; done
wait 2>/dev/null
PIDS=""
check "no sanitizer or runtime error report from the servers" \
    '! grep -q "ERROR: AddressSanitizer\|runtime error:\|ERROR: LeakSanitizer" "$T/server.log"'

tests_done
