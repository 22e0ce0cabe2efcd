#!/bin/sh
# curate.sh - keeping the knowledge base alive: the search log and its
# reports (on a scripted sequence of searches, clicks, submissions and
# votes with known answers), content gaps, review dates, pins, and
# ticket-to-article promotion, against the real server on the bundled
# corpus.
BIN=${BIN:-bin}
. "$(dirname "$0")/../lib.sh"

workspace

# JSON field of a file: jget FILE PYTHON-EXPRESSION-ON-j (a tuple prints
# as its items separated by spaces)
jget() {
    python3 -c 'import json,sys
j=json.load(open(sys.argv[1]))
r=eval(sys.argv[2])
print(" ".join(map(str, r)) if isinstance(r, tuple) else r)' "$1" "$2" 2>/dev/null
}
S() { echo "http://127.0.0.1:$P$1"; }
get() { # path [key] -> body in $T/out, status echoed
    if [ -n "$2" ]; then
        curl -s -o "$T/out" -w '%{http_code}' -m 10 -H "Authorization: Bearer $2" "$(S "$1")"
    else
        curl -s -o "$T/out" -w '%{http_code}' -m 10 "$(S "$1")"
    fi
}
post() { # path json [key] -> body in $T/out, status echoed
    if [ -n "$3" ]; then
        curl -s -o "$T/out" -w '%{http_code}' -m 10 -H "Authorization: Bearer $3" \
            -H 'Content-Type: application/json' -d "$2" "$(S "$1")"
    else
        curl -s -o "$T/out" -w '%{http_code}' -m 10 -H 'Content-Type: application/json' \
            -d "$2" "$(S "$1")"
    fi
}
search() { # query-string -> query_id
    curl -s -m 10 "$(S "/v1/search?$1")" >"$T/s.json"
    jget "$T/s.json" 'j["query_id"]'
}
# The server flushes the log at most once a second, and before a report.
flushlog() { get /v1/analytics/ctr $E >/dev/null; }
click() { # qid id position [session]
    post /v1/events "{\"type\":\"click\",\"query_id\":\"$1\",\"id\":\"$2\",\"position\":$3${4:+,\"session\":\"$4\"}}" >/dev/null
}

E=editor-key-1
A=agent-key-1
{
    echo "["
    "$BIN/deskdex-server" --hash-key $E | sed 's/"NAME"/"ed"/; s/"agent"/"editor"/'
    echo ","
    "$BIN/deskdex-server" --hash-key $A | sed 's/"NAME"/"ag"/'
    echo "]"
} >"$T/keys.json"
LOG="$T/analytics.jsonl"
printf 'rate_limit = 0\nkey_rate_limit = 0\nanalytics_log = %s\nanalytics_retention_days = 90\n' "$LOG" >"$T/conf"

"$BIN/deskdex-index" --db "$T/kb" --quiet corpus/ >/dev/null 2>&1
check "the corpus is indexed" '[ -f "$T/kb/iamglass" ]'

# A log from earlier runs: one line past the retention, votes 20 days old
# (the first half of a 30-day window) that said an article helped.
now=$(date +%s)
old=$((now - 200 * 86400))
early=$((now - 20 * 86400))
{
    echo "{\"t\":\"search\",\"ts\":$old,\"qid\":\"old1\",\"q\":\"ancient query\",\"key\":\"ancient queri\",\"role\":\"public\",\"n\":0,\"top\":[]}"
    for i in 1 2 3; do
        echo "{\"t\":\"feedback\",\"ts\":$early,\"id\":\"faq-password-reset\",\"v\":1,\"helpful\":true}"
    done
} >"$LOG"

P=$(free_port)
"$BIN/deskdex-server" --db "$T/kb" --listen "127.0.0.1:$P" --config "$T/conf" \
    --keys "$T/keys.json" --access-log "$T/access.log" 2>>"$T/server.log" &
SPID=$!
check "the server answers" 'wait_up "$P"'
check "lines past the retention are purged at start" '! grep -q ancient "$LOG"'
check "lines within the retention stay" '[ "$(grep -c faq-password-reset "$LOG")" = 3 ]'

# --- a scripted day of searches ---
q1=$(search 'q=vpn+password&limit=5')
check "a search answer carries a query_id" 'echo "$q1" | grep -Eq "^[0-9a-f]{16}$"'
search 'q=vpn+password' >/dev/null
search 'q=VPN+Password' >/dev/null
q4=$(search 'q=password+vpn')
search 'q=vpn+passwords' >/dev/null
click "$q1" faq-vpn-authentication-failed 1
click "$q4" faq-password-change-windows 2
for i in 1 2 3 4; do search 'q=printer+toner+cartridge' >/dev/null; done
for i in 1 2 3; do search 'q=zzqx+eduroam' >/dev/null; done
search 'q=eduroam+zzqx+profile+certificate' >/dev/null
search 'q=eduroam+zzqx+profile+certificate' >/dev/null
for i in 1 2; do search 'q=%E9%BE%98%E9%9D%90%E9%BE%98' >/dev/null; done # 龘靐龘
search 'q=%E9%9D%90%E9%BE%98' >/dev/null                                 # 靐龘
search 'q=reset+password+for+anna.jansen%40example.com' >/dev/null
flushlog
check "an e-mail address in a query is masked in the log" \
    '! grep -q "anna.jansen@example.com" "$LOG" && grep -q "reset password for" "$LOG"'

code=$(post /v1/events '{"type":"click","query_id":"'"$q1"'","id":"faq-vpn-authentication-failed","position":1}')
check "POST /v1/events answers 202" '[ "$code" = 202 ] && grep -q "\"recorded\":true" "$T/out"'
q1b=$(search 'q=vpn+password')
click "$q1b" faq-vpn-authentication-failed 1

# The ticket form: three sessions, two open an article, one is submitted.
curl -s -m 5 "$(S '/v1/related?q=vpn+pass&session=form-1')" >/dev/null
curl -s -m 5 "$(S '/v1/related?q=print&session=form-2')" >/dev/null
curl -s -m 5 "$(S '/v1/related?q=wifi&session=form-3')" >/dev/null
post /v1/events '{"type":"click","session":"form-1","id":"faq-vpn-authentication-failed","position":1}' >/dev/null
post /v1/events '{"type":"click","session":"form-2","id":"printing-guide:printer-offline","position":2}' >/dev/null
post /v1/events '{"type":"submit","session":"form-2"}' >/dev/null

# Votes now, after the helpful ones 20 days ago: the article is slipping.
for i in 1 2 3; do
    post /v1/documents/faq-password-reset/feedback '{"helpful":false}' >/dev/null
done
post /v1/documents/faq-vpn-authentication-failed/feedback "{\"helpful\":true,\"query_id\":\"$q1\"}" >/dev/null

flushlog
check "the log holds no keys and no client addresses" \
    '! grep -q "$E" "$LOG" && ! grep -q "127.0.0.1" "$LOG" && ! grep -q "\"ed\"" "$LOG"'

# --- the reports ---
check "reports need a key (401)" '[ "$(get /v1/analytics/summary)" = 401 ]'
check "reports need an editor (403 for an agent)" '[ "$(get /v1/analytics/summary $A)" = 403 ]'
check "an unknown report is a 404" '[ "$(get /v1/analytics/nope $E)" = 404 ]'
check "a bad window is a 400" '[ "$(get "/v1/analytics/ctr?days=0" $E)" = 400 ]'

get /v1/analytics/top-queries $E >/dev/null
cp "$T/out" "$T/top.json"
check "top query: 'vpn password' and its variants, 6 searches" \
    '[ "$(jget "$T/top.json" "j[\"queries\"][0][\"key\"], j[\"queries\"][0][\"count\"]")" = "password vpn 6" ]'
check "it is shown as most often typed" \
    '[ "$(jget "$T/top.json" "j[\"queries\"][0][\"query\"]")" = "vpn password" ]'
check "3 of its 6 searches led to a click (CTR 0.5)" \
    '[ "$(jget "$T/top.json" "j[\"queries\"][0][\"clicked\"], j[\"queries\"][0][\"ctr\"]")" = "3 0.5" ]'
check "second: the printer query, 4 searches" \
    '[ "$(jget "$T/top.json" "j[\"queries\"][1][\"query\"], j[\"queries\"][1][\"count\"]")" = "printer toner cartridge 4" ]'

get /v1/analytics/zero-results $E >/dev/null
check "zero-result queries: zzqx eduroam 3 times first" \
    '[ "$(jget "$T/out" "j[\"queries\"][0][\"query\"], j[\"queries\"][0][\"zero_results\"]")" = "zzqx eduroam 3" ]'
check "the Chinese nonsense query has no results either" \
    'jget "$T/out" "[q[\"query\"] for q in j[\"queries\"]]" | grep -q "龘靐龘"'

get /v1/analytics/low-click $E >/dev/null
check "low click: only the printer query (4 searches, no click)" \
    '[ "$(jget "$T/out" "\",\".join(q[\"query\"] for q in j[\"queries\"])")" = "printer toner cartridge" ]'

get /v1/analytics/ctr $E >/dev/null
cp "$T/out" "$T/ctr.json"
check "searches counted (related and suggest are not)" '[ "$(jget "$T/ctr.json" "j[\"searches\"]")" = 19 ]'
check "searches with a click: 3" '[ "$(jget "$T/ctr.json" "j[\"searches_clicked\"]")" = 3 ]'
check "clicks by position: 3 at 1 (one search opened twice), 1 at 2" \
    '[ "$(jget "$T/ctr.json" "j[\"by_position\"][0][\"clicks\"], j[\"by_position\"][1][\"clicks\"]")" = "3 1" ]'
check "zero results: 6 of 19" '[ "$(jget "$T/ctr.json" "j[\"zero_results\"]")" = 6 ]'

get /v1/analytics/deflection $E >/dev/null
check "deflection: 3 sessions, 2 opened, 1 submitted, 1 deflected" \
    '[ "$(jget "$T/out" "j[\"sessions\"], j[\"opened_article\"], j[\"submitted\"], j[\"deflected\"], j[\"rate\"]")" = "3 2 1 1 0.5" ]'

get /v1/analytics/helpfulness $E >/dev/null
cp "$T/out" "$T/help.json"
check "helpfulness: faq-password-reset 3 up, 3 down, falling" \
    'jget "$T/help.json" "[(a[\"id\"],a[\"helpful\"],a[\"not_helpful\"],a[\"trend\"]) for a in j[\"articles\"]]" | grep -q "(.faq-password-reset., 3, 3, .falling.)"'
check "helpfulness rows carry the title" \
    'jget "$T/help.json" "j[\"articles\"][0][\"title\"]" | grep -q .'

get /v1/analytics/gaps $E >/dev/null
cp "$T/out" "$T/gaps.json"
check "gap cluster 1: 'zzqx eduroam', 5 searches from 2 queries" \
    '[ "$(jget "$T/gaps.json" "j[\"clusters\"][0][\"label\"], j[\"clusters\"][0][\"searches\"], j[\"clusters\"][0][\"queries\"]")" = "zzqx eduroam 5 2" ]'
check "the Chinese gap queries form one cluster of 3 searches" \
    'jget "$T/gaps.json" "[(c[\"label\"],c[\"searches\"],c[\"queries\"]) for c in j[\"clusters\"]]" | grep -q "(.龘靐龘., 3, 2)"'
check "a poorly answered query (searched, never opened) is a gap too" \
    'jget "$T/gaps.json" "[c[\"label\"] for c in j[\"clusters\"]]" | grep -q "printer toner cartridge"'
check "clusters carry examples" \
    '[ "$(jget "$T/gaps.json" "len(j[\"clusters\"][0][\"examples\"])")" = 2 ]'

# --- review dates ---
soon=$(date -u -d '+10 days' +%F)
post /v1/documents "[{\"id\":\"faq-stale-zz\",\"question\":\"How do I configure the quuxphone?\",\"answer\":\"Use the quuxphone portal.\",\"review_by\":\"2020-01-01\"},{\"id\":\"faq-fresh-zz\",\"question\":\"How do I reset the quuxphone?\",\"answer\":\"Hold the quuxphone button.\",\"review_by\":\"2099-01-01\"},{\"id\":\"faq-soon-zz\",\"question\":\"Where is the quuxphone manual?\",\"answer\":\"On the quuxphone shelf.\",\"review_by\":\"$soon\"}]" $E >/dev/null
get "/v1/analytics/stale?limit=1000" $E >/dev/null
cp "$T/out" "$T/stale.json"
check "the stale report lists an article past its review date" \
    'jget "$T/stale.json" "[a[\"id\"] for a in j[\"overdue\"]]" | grep -q faq-stale-zz'
check "... and not one whose date is ahead" \
    '! jget "$T/stale.json" "[a[\"id\"] for a in j[\"overdue\"]+j[\"due_soon\"]]" | grep -q faq-fresh-zz'
check "an article due within 30 days is listed as due soon" \
    'jget "$T/stale.json" "[a[\"id\"] for a in j[\"due_soon\"]]" | grep -q faq-soon-zz'
check "articles with falling helpfulness are listed with the stale ones" \
    'jget "$T/stale.json" "[a[\"id\"] for a in j[\"falling_helpfulness\"]]" | grep -q faq-password-reset'
get "/v1/search?q=quuxphone+configure" $E >/dev/null
check "editors see overdue: true on a stale answer" \
    'jget "$T/out" "[(r[\"id\"], r.get(\"overdue\")) for r in j[\"results\"]]" | grep -q "(.faq-stale-zz., True)"'
get "/v1/search?q=quuxphone+configure" >/dev/null
check "anonymous users do not see the flag" '! grep -q overdue "$T/out"'
get "/v1/documents/faq-stale-zz" $E >/dev/null
check "the document itself is flagged for editors" 'grep -q "\"overdue\":true" "$T/out"'

# Optional down-weighting: reload with stale_weight = 0.5.
s1=$(curl -s -m 5 "$(S '/v1/search?q=quuxphone+configure+portal&limit=1')" | python3 -c 'import json,sys; print(json.load(sys.stdin)["results"][0]["score"])')
echo "stale_weight = 0.5" >>"$T/conf"
reload_wait "$SPID" "$T/server.log"
s2=$(curl -s -m 5 "$(S '/v1/search?q=quuxphone+configure+portal&limit=3')" |
    python3 -c 'import json,sys
for r in json.load(sys.stdin)["results"]:
    if r["id"]=="faq-stale-zz": print(r["score"])')
check "stale_weight 0.5 halves an overdue answer's score ($s1 -> $s2)" \
    'python3 -c "import sys; a,b=float(sys.argv[1]),float(sys.argv[2]); sys.exit(0 if abs(b-a/2)<0.01 else 1)" "$s1" "$s2"'
sed -i '/stale_weight/d' "$T/conf"
reload_wait "$SPID" "$T/server.log"

# --- pins ---
code=$(post /v1/pins '{"query":"how do I reset my password","id":"faq-wifi-connect","days":30}' $E)
check "an editor pins an answer (201)" '[ "$code" = 201 ]'
pin=$(jget "$T/out" 'j["pin"]["pin"]')
check "the pin's key is the query's terms" '[ "$(jget "$T/out" "j[\"pin\"][\"key\"]")" = "password reset" ]'
get "/v1/search?q=password+reset&limit=3" >/dev/null
check "a close variant shows the pinned answer first" \
    '[ "$(jget "$T/out" "j[\"results\"][0][\"id\"], j[\"results\"][0][\"pinned\"]")" = "faq-wifi-connect True" ]'
check "the pinned answer appears once" \
    '[ "$(jget "$T/out" "[r[\"id\"] for r in j[\"results\"]].count(\"faq-wifi-connect\")")" = 1 ]'
check "the page keeps its size" '[ "$(jget "$T/out" "len(j[\"results\"])")" = 3 ]'
get "/v1/search?q=reset+password&limit=3&offset=3" >/dev/null
check "later pages leave the pinned answer out" '! grep -q faq-wifi-connect "$T/out"'
get "/v1/related?q=resetting+passwords" >/dev/null
check "the ticket form's related list honours the pin" \
    '[ "$(jget "$T/out" "j[\"results\"][0][\"id\"]")" = faq-wifi-connect ]'
get "/v1/search?q=password+reset+kind:ticket&limit=3" $A >/dev/null
check "a pin outside the search's filters is not shown" '! grep -q faq-wifi-connect "$T/out"'
code=$(post /v1/pins '{"query":"password reset","id":"INC-10140"}' $E)
check "pinning an internal ticket is allowed" '[ "$code" = 201 ]'
get "/v1/search?q=reset+password&limit=5" >/dev/null
check "anonymous users never see a pinned internal ticket" '! grep -q INC-10140 "$T/out"'
get "/v1/search?q=reset+password&limit=5" $A >/dev/null
check "agents see it, pinned, after the first pin" \
    '[ "$(jget "$T/out" "\" \".join(r[\"id\"] for r in j[\"results\"][:2])")" = "faq-wifi-connect INC-10140" ]'
get /v1/pins $E >/dev/null
check "GET /v1/pins lists both" '[ "$(jget "$T/out" "len(j[\"pins\"])")" = 2 ]'
check "pins need an editor" '[ "$(post /v1/pins "{\"query\":\"x y\",\"id\":\"faq-wifi-connect\"}" $A)" = 403 ]'
check "a pin to a missing document is refused (422)" \
    '[ "$(post /v1/pins "{\"query\":\"x y\",\"id\":\"no-such-doc\"}" $E)" = 422 ]'
check "a pin with bad days is refused (422)" \
    '[ "$(post /v1/pins "{\"query\":\"x y\",\"id\":\"faq-wifi-connect\",\"days\":0}" $E)" = 422 ]'
check "a pin of a query without words is refused (422)" \
    '[ "$(post /v1/pins "{\"query\":\"?? !!\",\"id\":\"faq-wifi-connect\"}" $E)" = 422 ]'
code=$(curl -s -o /dev/null -w '%{http_code}' -m 5 -X DELETE -H "Authorization: Bearer $E" "$(S "/v1/pins/$pin")")
check "DELETE /v1/pins/{pin} removes it" '[ "$code" = 200 ]'
code=$(curl -s -o /dev/null -w '%{http_code}' -m 5 -X DELETE -H "Authorization: Bearer $E" "$(S "/v1/pins/$pin")")
check "removing it again is a 404" '[ "$code" = 404 ]'
get "/v1/search?q=password+reset&limit=3" >/dev/null
check "after removal the ranking is the engine's own" '! grep -q "\"pinned\"" "$T/out"'

# --- ticket to article ---
code=$(post /v1/documents/INC-11943/promote '{}' $A)
check "promote needs an editor" '[ "$code" = 403 ]'
code=$(curl -s -o "$T/out" -w '%{http_code}' -m 10 -X POST -H "Authorization: Bearer $E" "$(S /v1/documents/INC-11943/promote)")
cp "$T/out" "$T/promo.json"
check "a resolved ticket promotes to a draft (201)" \
    '[ "$code" = 201 ] && [ "$(jget "$T/promo.json" "j[\"id\"], j[\"status\"], j[\"version\"]")" = "kb-INC-11943 draft 1" ]'
check "the draft has problem and resolution" \
    'jget "$T/promo.json" "j[\"document\"][\"body\"]" | grep -q "^Problem" && jget "$T/promo.json" "j[\"document\"][\"body\"]" | grep -q "^Resolution"'
check "the draft is linked to its ticket" \
    '[ "$(jget "$T/promo.json" "j[\"document\"][\"promoted_from\"], j[\"document\"][\"kind\"]")" = "INC-11943 faq" ]'
check "personal data stays masked in the draft" \
    '! grep -q "wang.hao@" "$T/promo.json" && ! grep -q "5555 0188" "$T/promo.json"'
check "promoting again is a conflict (409)" \
    '[ "$(post /v1/documents/INC-11943/promote "{}" $E)" = 409 ]'
check "promoting an FAQ is refused (422)" \
    '[ "$(post /v1/documents/faq-wifi-connect/promote "{}" $E)" = 422 ]'
check "promoting a missing ticket is a 404" \
    '[ "$(post /v1/documents/INC-404404/promote "{}" $E)" = 404 ]'
check "a bad kind is refused (422)" \
    '[ "$(post /v1/documents/INC-10159/promote "{\"kind\":\"ticket\"}" $E)" = 422 ]'
get "/v1/search?q=contractor+shanghai+sms" >/dev/null
check "the draft is not public yet" '! grep -q kb-INC-11943 "$T/out"'
post /v1/pins '{"query":"contractor sms","id":"kb-INC-11943"}' $E >/dev/null
get "/v1/search?q=contractor+sms" >/dev/null
check "a pinned draft is not shown to anonymous users" '! grep -q kb-INC-11943 "$T/out"'
get "/v1/search?q=contractor+sms" $A >/dev/null
check "... nor to agents" '! grep -q kb-INC-11943 "$T/out"'
get "/v1/search?q=sms+contractors" $E >/dev/null
check "editors see the pinned draft first" \
    '[ "$(jget "$T/out" "j[\"results\"][0][\"id\"], j[\"results\"][0][\"pinned\"]")" = "kb-INC-11943 True" ]'
code=$(curl -s -o "$T/out" -w '%{http_code}' -m 10 -X POST -H "Authorization: Bearer $E" "$(S /v1/documents/kb-INC-11943/publish)")
check "publishing makes version 2" \
    '[ "$code" = 200 ] && [ "$(jget "$T/out" "j[\"version\"], j[\"status\"]")" = "2 published" ]'
get "/v1/search?q=contractor+shanghai+sms" >/dev/null
check "the published article is searchable by anyone" 'grep -q kb-INC-11943 "$T/out"'
get "/v1/documents/INC-11943" $E >/dev/null
check "the ticket shows what it was promoted to" 'grep -q "\"promoted_to\":\"kb-INC-11943\"" "$T/out"'
post /v1/suggest '{"subject":"Contractor cannot log in from Shanghai, SMS never arrives","limit":20}' $A >/dev/null
check "suggested fixes show that the ticket became an article" \
    'jget "$T/out" "[(r[\"id\"],r.get(\"promoted_to\")) for r in j[\"results\"]]" | grep -q "(.INC-11943., .kb-INC-11943.)"'
check "publishing a published article changes nothing" \
    '[ "$(curl -s -X POST -H "Authorization: Bearer $E" "$(S /v1/documents/kb-INC-11943/publish)" | python3 -c "import json,sys; print(json.load(sys.stdin)[\"version\"])")" = 2 ]'

# --- bad events ---
check "an event of unknown type is refused (422)" '[ "$(post /v1/events "{\"type\":\"view\"}")" = 422 ]'
check "a click without an id is refused (422)" '[ "$(post /v1/events "{\"type\":\"click\",\"query_id\":\"ab\"}")" = 422 ]'
check "a bad session is refused (422)" \
    '[ "$(post /v1/events "{\"type\":\"submit\",\"session\":\"a b\"}")" = 422 ]'
check "a bad position is refused (422)" \
    '[ "$(post /v1/events "{\"type\":\"click\",\"query_id\":\"ab\",\"id\":\"x\",\"position\":0}")" = 422 ]'
code=$(curl -s -o /dev/null -w '%{http_code}' -m 5 -H 'Content-Type: text/plain;charset=UTF-8' \
    -d '{"type":"submit","session":"plain-1"}' "$(S /v1/events)")
flushlog
check "an event sent as text/plain (no CORS preflight) is taken" '[ "$code" = 202 ] && grep -q plain-1 "$LOG"'
code=$(curl -s -o /dev/null -w '%{http_code}' -m 5 -H 'Content-Type: text/html' \
    -d '{"type":"submit","session":"html-1"}' "$(S /v1/events)")
check "an event in another media type is refused (415)" '[ "$code" = 415 ]'
check "a bad session on search is a 400" '[ "$(get "/v1/search?q=vpn&session=%3Cx%3E")" = 400 ]'

# --- rotation ---
printf 'analytics_max_bytes = 4096\nanalytics_keep = 2\n' >>"$T/conf"
reload_wait "$SPID" "$T/server.log"
i=0
while [ $i -lt 60 ]; do
    curl -s -m 5 "$(S "/v1/search?q=rotation+test+$i")" >/dev/null
    i=$((i + 1))
done
check "the log rotates at analytics_max_bytes" '[ -f "$LOG.1" ] && [ -f "$LOG.2" ]'
check "only analytics_keep rotated files stay" '[ ! -f "$LOG.3" ]'
check "the live file stays under the limit" '[ "$(wc -c <"$LOG")" -lt 4600 ]'
check "the server still answers after rotating" '[ "$(get /healthz)" = 200 ]'

# The default log beside the index cannot be made: serve anyway, say so.
mkdir "$T/kb-analytics.jsonl"
printf 'rate_limit = 0\n' >"$T/conf-default"
P3=$(free_port)
"$BIN/deskdex-server" --db "$T/kb" --listen "127.0.0.1:$P3" --config "$T/conf-default" \
    --access-log "" 2>"$T/server3.log" &
S3=$!
check "a server whose default search log cannot be made still serves" 'wait_up "$P3"'
check "... and says why searches are not logged" 'grep -q "searches are not logged" "$T/server3.log"'
kill "$S3" 2>/dev/null
wait "$S3" 2>/dev/null
printf 'analytics_log = %s/kb-analytics.jsonl\n' "$T" >"$T/conf-bad"
"$BIN/deskdex-server" --db "$T/kb" --listen "127.0.0.1:$P3" --config "$T/conf-bad" \
    --access-log "" 2>"$T/server4.log"
code=$?
check "a configured search log that cannot be opened stops the start (exit 2)" \
    '[ "$code" = 2 ] && grep -q "analytics log" "$T/server4.log"'

kill "$SPID"
wait "$SPID" 2>/dev/null
check "the server stops cleanly" '[ $? -eq 0 ]'
SPID=""
check "no errors in the server log" '! grep -qi "error\|sanitizer" "$T/server.log"'
tests_done
