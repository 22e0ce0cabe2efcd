#!/bin/sh
# thesaurus.sh - the server's WordNet thesaurus: a question in other words
# finds the answer ("erase" finds "delete", below the answers that say
# "erase"), a missing or
# damaged database is logged with the file and line and searches go on
# without it, and SIGHUP loads, replaces and drops it.
BIN=${BIN:-bin}
. "$(dirname "$0")/../lib.sh"

workspace

WN=/usr/share/wordnet
cat >"$T/faq.json" <<'EOF'
[
 {"id": "faq-delete", "question": "How do I delete my account?",
  "answer": "Open the settings page and choose Delete account."},
 {"id": "faq-erase", "question": "Erase a shared drive",
  "answer": "Ask the service desk to erase the drive."},
 {"id": "faq-printer", "question": "The printer is offline",
  "answer": "Restart the print spooler."}
]
EOF
"$BIN/deskdex-index" --db "$T/kb" --quiet "$T/faq.json" >/dev/null 2>&1
conf() { printf 'rate_limit = 0\nanalytics_log = off\n%s\n' "$1" >"$T/conf"; }

P=$(free_port)
conf "thesaurus = $T/none"
"$BIN/deskdex-server" --db "$T/kb" --listen "127.0.0.1:$P" --config "$T/conf" \
    --access-log "" 2>>"$T/server.log" &
SPID=$!
wait_up "$P" || { not_ok "the server starts without its thesaurus"; finish; }
ok "the server starts without its thesaurus"

reload() { reload_wait "$SPID" "$T/server.log"; }
# search QUERY -> "id:score id:score ..." of the results
search() {
    curl -s -m 10 "http://127.0.0.1:$P/v1/search?q=$1" | python3 -c '
import json, sys
j = json.load(sys.stdin)
print(" ".join("%s:%s" % (r["id"], r["score"]) for r in j["results"]))'
}
ids() { search "$1" | sed 's/:[^ ]*//g'; }
score() { search "$1" | tr ' ' '\n' | sed -n "s/^$2://p"; }

check "a missing database is logged with the file it lacks" \
    "grep -q 'thesaurus: $T/none/data.noun: No such file or directory; searching without it' '$T/server.log'"
check "and searches run on the query's own words" '[ "$(ids erase)" = "faq-erase" ] && [ "$(ids delete)" = "faq-delete" ]'

check "WordNet is installed (wordnet-base)" "[ -r $WN/index.noun ]"
conf "thesaurus = $WN"
check "SIGHUP loads the thesaurus" reload
check "a question in other words finds the answer (erase -> delete), below the one in its own words" \
    '[ "$(ids erase)" = "faq-erase faq-delete" ]'
d=$(score delete faq-delete)
r=$(score erase faq-delete)
check "a related word counts 0.3 of the word itself ($r of $d)" \
    "awk -v r='$r' -v d='$d' 'BEGIN { exit !(d > 0 && r > 0.29 * d && r < 0.31 * d) }'"
check "a word the thesaurus does not know changes nothing" '[ "$(ids printer)" = "faq-printer" ]'

mkdir "$T/bad"
cp "$WN"/index.* "$WN"/data.* "$WN"/*.exc "$T/bad/"
sed -i '40s/.*/broken/' "$T/bad/index.verb"
conf "thesaurus = $T/bad"
check "SIGHUP with a damaged database still reloads" reload
check "the damage is logged with its file and line" \
    "grep -q 'thesaurus: $T/bad/index.verb:40: malformed entry; searching without it' '$T/server.log'"
check "and searches run without it" '[ "$(ids erase)" = "faq-erase" ]'

conf "thesaurus_weight = 0.5"
check "SIGHUP back to the default database" reload
r5=$(score erase faq-delete)
check "with thesaurus_weight 0.5 a related word counts half ($r5 of $d)" \
    "awk -v r='$r5' -v d='$d' 'BEGIN { exit !(r > 0.49 * d && r < 0.51 * d) }'"
conf "thesaurus ="
check "SIGHUP with thesaurus empty" reload
check "turns it off" '[ "$(ids erase)" = "faq-erase" ]'
check "the server is still up" "curl -sf http://127.0.0.1:$P/healthz >/dev/null"
finish
