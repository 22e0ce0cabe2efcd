#!/bin/sh
# reanalyse.sh - deskdex-index --reanalyse: every current document's terms
# rebuilt from its stored version in place, versions and answers kept; the
# wrong uses refused.
BIN=${BIN:-bin}
. "$(dirname "$0")/../lib.sh"

T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT INT TERM

mkdir -p "$T/src/faqs"
cat >"$T/src/faqs/zh.json" <<'JSON'
[{"id": "zh-tw-printer", "question": "印表機無法連線", "answer": "請重新啟動印表機。"},
 {"id": "zh-cn-account", "question": "如何修改账户密码", "answer": "在设置页面修改密码。"}]
JSON
cat >"$T/src/faqs/en.json" <<'JSON'
[{"id": "en-vpn", "question": "The VPN drops every hour", "answer": "Update the client."}]
JSON
"$BIN/deskdex-index" --db "$T/db" --quiet corpus/ "$T/src" >/dev/null 2>&1
# A second version of one document.
sed -i 's/Update the client./Update the client, then sign in again./' "$T/src/faqs/en.json"
"$BIN/deskdex-index" --db "$T/db" --quiet "$T/src" >/dev/null 2>&1
"$BIN/deskdex-index" --db "$T/db" --stats >"$T/stats-before.json"
"$BIN/deskdex-index" --db "$T/db" --history en-vpn >"$T/hist-before.txt"
counts() { # stats.json -> "current archived"
    python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); a=sum(k.get("archived",0) for k in d["documents"].values()); print(d["ids"]-a, a)' "$1"
}
set -- $(counts "$T/stats-before.json")
n=$1 archived=$2

# A server runs throughout: it keeps answering, and finds the same
# documents afterwards, in either script.
P=$(free_port)
"$BIN/deskdex-server" --db "$T/db" --listen "127.0.0.1:$P" 2>"$T/server.log" &
SPID=$!
trap 'kill $SPID 2>/dev/null; wait 2>/dev/null; rm -rf "$T"' EXIT INT TERM
ids() {
    curl -s -m 5 -G "http://127.0.0.1:$P/v1/search" --data-urlencode "q=$1" |
        python3 -c 'import json,sys; print(" ".join(r["id"] for r in json.load(sys.stdin)["results"]))'
}
check "the server answers" 'wait_up "$P"'
check "it answers before" '[ "$(ids "vpn drops" | cut -d" " -f1)" = en-vpn ]'
"$BIN/deskdex-index" --db "$T/db" --reanalyse >"$T/out.json" 2>"$T/err.txt"
rc=$?
check "--reanalyse succeeds" '[ "$rc" -eq 0 ] && [ ! -s "$T/err.txt" ]'
check "it reports every current document rebuilt" \
    "python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); sys.exit(d[\"reanalysed\"] != $n or d[\"archived\"] != $archived or $archived == 0)' '$T/out.json'"
"$BIN/deskdex-index" --db "$T/db" --stats >"$T/stats-after.json"
"$BIN/deskdex-index" --db "$T/db" --history en-vpn >"$T/hist-after.txt"
same_counts() { # the stats but the revision
    python3 -c 'import json,sys; a,b=(json.load(open(f)) for f in sys.argv[1:]); a.pop("revision"); b.pop("revision"); sys.exit(a != b)' "$1" "$2"
}
check "counts and versions are as they were" \
    'same_counts "$T/stats-before.json" "$T/stats-after.json" && cmp -s "$T/hist-before.txt" "$T/hist-after.txt" && [ "$(wc -l <"$T/hist-after.txt")" -ge 2 ]'
check "the index passes xapian-check" 'xapian-check "$T/db" >/dev/null 2>&1'
check "the current version is still the one shown" \
    '"$BIN/deskdex-index" --db "$T/db" --show en-vpn | grep -q "sign in again"'

check "it reports the spelling dictionary it made" \
    "python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); sys.exit(not (isinstance(d[\"spelling_words\"], int) and d[\"spelling_words\"] > 100))' '$T/out.json'"
dym() {
    curl -s -m 5 -G "http://127.0.0.1:$P/v1/search" --data-urlencode "q=$1" |
        python3 -c 'import json,sys; print(json.load(sys.stdin).get("did_you_mean", ""))'
}
check "misspelt words are still corrected from it" '[ "$(dym "vpn drps")" = "vpn drops" ]'
"$BIN/deskdex-index" --db "$T/db" --reanalyse >"$T/out2.json" 2>/dev/null
check "a second run makes the same dictionary" \
    "python3 -c 'import json,sys; a,b=(json.load(open(f)) for f in sys.argv[1:]); sys.exit(a[\"spelling_words\"] != b[\"spelling_words\"])' '$T/out.json' '$T/out2.json'"
check "Simplified finds the Traditional answer" '[ "$(ids 连线 | cut -d" " -f1)" = zh-tw-printer ]'
check "Traditional finds the Simplified answer" '[ "$(ids 帳戶密碼 | cut -d" " -f1)" = zh-cn-account ]'
check "English is found as before" '[ "$(ids "vpn drops" | cut -d" " -f1)" = en-vpn ]'

check "a PATH beside --reanalyse is refused" \
    '! "$BIN/deskdex-index" --db "$T/db" --reanalyse "$T/src" 2>"$T/e1" && grep -q "takes no PATH" "$T/e1"'
"$BIN/deskdex-index" --db "$T/set" --shards 2 --quiet "$T/src" >/dev/null 2>&1
check "--reanalyse on a set of shards is refused" \
    '! "$BIN/deskdex-index" --db "$T/set" --reanalyse 2>"$T/e2" && grep -q "set of shards" "$T/e2"'
check "each shard is reanalysed on its own, its set's dictionary left as it is" \
    '[ -d "$T/set/shard-0" ] && (for s in "$T"/set/shard-*; do "$BIN/deskdex-index" --db "$s" --reanalyse | grep -q "\"spelling_words\":null" || exit 1; done)'
check "a missing index is an error, not a new one" \
    '! "$BIN/deskdex-index" --db "$T/none" --reanalyse 2>/dev/null && [ ! -d "$T/none" ]'

tests_done
