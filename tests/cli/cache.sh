#!/bin/sh
# cache.sh - the answer cache of search and related: a repeated search is
# answered from it with the same results (and its own query_id, logged),
# and nothing it keeps outlives what it was made from: writes, pins,
# archives, feedback, a second writer's commit, a restore, and new
# settings are seen by the next request; roles and arguments never share
# an answer; cache_entries = 0 turns it off.
BIN=${BIN:-bin}
. "$(dirname "$0")/../lib.sh"

workspace

E=cache-editor-key
h=$("$BIN/deskdex-server" --hash-key $E | sed 's/"NAME"/"ed"/; s/"agent"/"editor"/')
echo "[$h]" >"$T/keys.json"
printf 'rate_limit = 0\nkey_rate_limit = 0\nanalytics_log = %s\n' "$T/log.jsonl" >"$T/conf"
"$BIN/deskdex-index" --db "$T/kb" --quiet corpus/ >/dev/null 2>&1

start() {
    P=$(free_port)
    "$BIN/deskdex-server" --db "$T/kb" --listen "127.0.0.1:$P" --config "$T/conf" \
        --keys "$T/keys.json" --access-log "" 2>>"$T/server.log" &
    SPID=$!
    wait_up "$P"
}
stop() { kill "$SPID" 2>/dev/null; wait "$SPID" 2>/dev/null; SPID=""; }
U() { echo "http://127.0.0.1:$P$1"; }
# search PATH-AND-QUERY [key] -> body in $T/out
search() {
    if [ -n "$2" ]; then
        curl -s -m 10 -H "Authorization: Bearer $2" "$(U "$1")" >"$T/out"
    else
        curl -s -m 10 "$(U "$1")" >"$T/out"
    fi
}
post() { # path json -> status
    curl -s -o "$T/pout" -w '%{http_code}' -m 10 -H "Authorization: Bearer $E" \
        -H 'Content-Type: application/json' -d "$2" "$(U "$1")"
}
metric() { curl -s -m 5 "$(U /metrics)" | sed -n "s/^$1 //p"; }
# py EXPRESSION-ON-j: of $T/out
py() { python3 -c 'import json,sys
j=json.load(open(sys.argv[1]))
print(eval(sys.argv[2]))' "$T/out" "$1" 2>/dev/null; }
ids() { py '" ".join(r["id"] for r in j["results"])'; }

start || { not_ok "the server starts"; finish; }

# --- a repeated search ---
search "/v1/search?q=reset+my+password"
first=$(ids)
qid1=$(py 'j["query_id"]')
h0=$(metric deskdex_cache_hits_total)
search "/v1/search?q=reset+my+password"
h1=$(metric deskdex_cache_hits_total)
check "a repeated search is answered from the cache ($h0 -> $h1 hits)" '[ "$h1" = $((h0 + 1)) ]'
check "with the same results" '[ -n "$first" ] && [ "$(ids)" = "$first" ]'
check "and facets" '[ "$(py "sorted(j[\"facets\"][\"kind\"].items())")" != "" ] && [ "$(py "j[\"total\"]")" -gt 0 ]'
qid2=$(py 'j["query_id"]')
check "each answer has its own query_id" '[ -n "$qid2" ] && [ "$qid1" != "$qid2" ]'
curl -s -m 5 "$(U /v1/analytics/summary)" -H "Authorization: Bearer $E" >/dev/null
check "both searches are in the search log" '[ "$(grep -c "\"q\":\"reset my password\"" "$T/log.jsonl")" -eq 2 ]'
check "the cached search's line carries the query key" \
    'grep "\"qid\":\"$qid2\"" "$T/log.jsonl" | grep -q "\"key\":\"password reset\""'
check "/metrics shows the cache's size" '[ "$(metric deskdex_cache_bytes)" -gt 0 ]'

# --- arguments and roles never share an answer ---
search "/v1/search?q=reset+my+password&limit=3"
check "another limit is another answer" '[ "$(py "len(j[\"results\"])")" = 3 ]'
search "/v1/search?q=reset+my+password&facets=0"
check "facets=0 is another answer" '[ "$(py "\"facets\" in j")" = False ]'
search "/v1/search?q=reset+my+password&kind=faq"
check "a filter is another answer" '[ "$(py "set(r[\"kind\"] for r in j[\"results\"])")" = "{'"'"'faq'"'"'}" ]'
search "/v1/related?q=reset+my+password"
check "related is not search's answer" '[ "$(py "\"facets\" in j")" = False ] && [ "$(py "len(j[\"results\"])")" -le 5 ]'

# A draft is found by editors only, before and after either is cached.
post /v1/documents '{"id":"cache-draft","kind":"faq","status":"draft","question":"Zebracorn badge printer jams","answer":"Open the zebracorn tray."}' >/dev/null
search "/v1/search?q=zebracorn"
check "anonymous: no draft" '[ "$(py "j[\"total\"]")" = 0 ]'
search "/v1/search?q=zebracorn" $E
check "editor after anonymous: the draft" '[ "$(ids)" = cache-draft ]'
search "/v1/search?q=zebracorn"
check "anonymous after editor: still no draft" '[ "$(py "j[\"total\"]")" = 0 ]'

# --- writes are seen by the next request ---
search "/v1/search?q=quokkaphone"
search "/v1/search?q=quokkaphone"
check "an unknown word finds nothing (cached)" '[ "$(py "j[\"total\"]")" = 0 ]'
s=$(post /v1/documents '{"id":"cache-new","kind":"faq","question":"Quokkaphone headset pairing","answer":"Hold the quokkaphone button."}')
search "/v1/search?q=quokkaphone"
check "a new document is found at once (POST $s)" '[ "$(ids)" = cache-new ]'
post /v1/documents '{"id":"cache-new","kind":"faq","question":"Quokkaphone headset pairing","answer":"Hold the quokkaphone button for five seconds."}' >/dev/null
search "/v1/search?q=quokkaphone"
check "its new version is the answer" '[ "$(py "j[\"results\"][0][\"version\"]")" = 2 ]'
curl -s -o /dev/null -m 5 -X DELETE -H "Authorization: Bearer $E" "$(U /v1/documents/cache-new)"
search "/v1/search?q=quokkaphone"
check "archived: gone at once" '[ "$(py "j[\"total\"]")" = 0 ]'

# A pin shows on the next search, and goes with its removal.
search "/v1/search?q=printer+jam"
top=$(py 'j["results"][0]["id"]')
third=$(py 'j["results"][2]["id"]')
s=$(post /v1/pins "{\"query\":\"printer jam\",\"id\":\"$third\"}")
pin=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["pin"]["pin"])' "$T/pout" 2>/dev/null)
search "/v1/search?q=printer+jam"
check "a pin is first on the next search (POST $s)" '[ "$(py "j[\"results\"][0][\"id\"]")" = "$third" ] && [ "$third" != "$top" ]'
curl -s -o /dev/null -m 5 -X DELETE -H "Authorization: Bearer $E" "$(U "/v1/pins/$pin")"
search "/v1/search?q=printer+jam"
check "its removal too" '[ "$(py "j[\"results\"][0][\"id\"]")" = "$top" ]'

# The command-line indexer is another process: its commit is seen.
search "/v1/search?q=wombatroute"
mkdir -p "$T/more/faqs"
echo '{"id":"cache-cli","question":"Wombatroute gateway errors","answer":"Restart the wombatroute gateway."}' >"$T/more/faqs/cache-cli.jsonl"
"$BIN/deskdex-index" --db "$T/kb" --quiet "$T/more" >/dev/null 2>&1
search "/v1/search?q=wombatroute"
check "a document added by deskdex-index while serving is found" '[ "$(ids)" = cache-cli ]'

# A restore swaps the index folder: answers come from the restored one.
"$BIN/deskdex-index" --db "$T/kb" --backup "$T/bk" >/dev/null 2>&1
post /v1/documents '{"id":"cache-late","kind":"faq","question":"Numbatlink setup","answer":"Numbatlink needs a token."}' >/dev/null
search "/v1/search?q=numbatlink"
check "a document after the backup is found" '[ "$(ids)" = cache-late ]'
"$BIN/deskdex-index" --db "$T/kb" --restore "$T/bk" >/dev/null 2>&1
search "/v1/search?q=numbatlink"
check "after --restore it is not" '[ "$(py "j[\"total\"]")" = 0 ]'

# --- new settings are used at once ---
search "/v1/search?q=flibbertigibbet"
check "no synonym yet: nothing" '[ "$(py "j[\"total\"]")" = 0 ]'
echo 'synonym = flibbertigibbet => password' >>"$T/conf"
reload_wait "$SPID" "$T/server.log"
search "/v1/search?q=flibbertigibbet"
check "after SIGHUP a new synonym finds answers" '[ "$(py "j[\"total\"]")" -gt 0 ]'
stop

# --- a full cache makes room by dropping answers of older revisions ---
printf 'cache_max_bytes = 45000\n' >>"$T/conf"
start || not_ok "the server starts with a small cache"
for q in printer+jam vpn+error wifi+certificate outlook+crash; do search "/v1/search?q=$q"; done
full=$(metric deskdex_cache_bytes)
post /v1/documents '{"id":"cache-fill","kind":"faq","question":"Capybara dock","answer":"Capybara docks need firmware 2."}' >/dev/null
h0=$(metric deskdex_cache_hits_total)
search "/v1/search?q=capybara+dock"
search "/v1/search?q=capybara+dock"
check "answers of the old revision ($full bytes, near cache_max_bytes) make room for new ones" \
    '[ "$(metric deskdex_cache_hits_total)" = $((h0 + 1)) ] && [ "$(py "j[\"results\"][0][\"id\"]")" = cache-fill ]'
check "and the budget holds" '[ "$(metric deskdex_cache_bytes)" -le 45000 ]'
stop
sed -i '/^cache_max_bytes/d' "$T/conf"

# --- off ---
printf 'cache_entries = 0\n' >>"$T/conf"
start || not_ok "the server starts with cache_entries = 0"
search "/v1/search?q=reset+my+password"
search "/v1/search?q=reset+my+password"
check "cache_entries = 0: no hits" '[ "$(metric deskdex_cache_hits_total)" = 0 ] && [ "$(ids)" = "$first" ]'
stop
printf 'cache_entries = 4096\ncache_seconds = 0\n' >>"$T/conf"
out=$("$BIN/deskdex-server" --db "$T/kb" --config "$T/conf" --listen 127.0.0.1:1 2>&1)
check "cache_seconds = 0 is refused, naming the line" 'echo "$out" | grep -q "cache_seconds"'

finish
