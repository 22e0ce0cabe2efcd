#!/bin/sh
# backup.sh - online backup and restore: consistent copies taken while the
# server serves and writes, restored copies that answer identically.
BIN=${BIN:-bin}
. "$(dirname "$0")/../lib.sh"

T=$(mktemp -d)
SPID=""
SPID2=""
cleanup() {
    [ -n "$SPID" ] && kill "$SPID" 2>/dev/null
    [ -n "$SPID2" ] && kill "$SPID2" 2>/dev/null
    wait 2>/dev/null
    rm -rf "$T"
}
trap cleanup EXIT INT TERM

start_server() { # db port -> pid in $!
    "$BIN/deskdex-server" --db "$1" --listen "127.0.0.1:$2" --config "$T/conf" \
        --keys "$T/keys.json" --access-log "$T/access-$2.log" 2>>"$T/server.log" &
}
post() { # port id answer
    curl -s -o /dev/null -w '%{http_code}' -m 5 -H "Authorization: Bearer admin-key-1" \
        -H 'Content-Type: application/json' \
        -d "{\"id\":\"$2\",\"kind\":\"faq\",\"question\":\"Backup question $2\",\"answer\":\"$3\"}" \
        "http://127.0.0.1:$1/v1/documents"
}
ids_for() { # port query
    curl -s -m 5 -H "Authorization: Bearer admin-key-1" \
        "http://127.0.0.1:$1/v1/search?limit=20&q=$2" |
        python3 -c 'import json,sys; print(" ".join(r["id"]+":"+str(r["version"]) for r in json.load(sys.stdin)["results"]))'
}

h=$("$BIN/deskdex-server" --hash-key admin-key-1 | sed 's/"NAME"/"admin"/; s/"agent"/"admin"/')
echo "[$h]" >"$T/keys.json"
printf 'rate_limit = 0\nkey_rate_limit = 0\nbackup_dir = %s/online\n' "$T" >"$T/conf"

"$BIN/deskdex-index" --db "$T/a" --quiet corpus/ >/dev/null 2>&1
check "the corpus is indexed" '[ -f "$T/a/iamglass" ]'
P=$(free_port)
start_server "$T/a" "$P"
SPID=$!
check "the server answers" 'wait_up "$P"'

# Writes and backups at the same time (bk-0 is surely in every backup).
post "$P" bk-0 "first answer 0" >/dev/null
(
    n=1
    while [ $n -le 40 ]; do
        post "$P" "bk-$n" "first answer $n" >/dev/null
        n=$((n + 1))
    done
) &
WPID=$!
"$BIN/deskdex-index" --db "$T/a" --backup "$T/cli-during" >"$T/b1.json" 2>&1
check "--backup while the server writes succeeds" 'grep -q "\"backup\"" "$T/b1.json"'
code=$(curl -s -o "$T/b2.json" -w '%{http_code}' -m 10 -X POST -H "Authorization: Bearer admin-key-1" \
    "http://127.0.0.1:$P/v1/admin/backup")
check "POST /v1/admin/backup while writing answers 200" '[ "$code" = 200 ]'
wait "$WPID"
check "a backup taken during writes passes xapian-check" 'xapian-check "$T/cli-during" >/dev/null 2>&1'
online=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["path"])' "$T/b2.json" 2>/dev/null)
check "the online backup folder exists and passes xapian-check" '[ -n "$online" ] && xapian-check "$online" >/dev/null 2>&1'
check "an anonymous backup request is refused" \
    '[ "$(curl -s -o /dev/null -w "%{http_code}" -X POST http://127.0.0.1:$P/v1/admin/backup)" = 401 ]'

# Edit one posted document so that versions matter, then the final backup.
post "$P" bk-0 "second answer" >/dev/null
"$BIN/deskdex-index" --db "$T/a" --backup "$T/final" >/dev/null 2>&1
check "--backup into an existing folder is refused" \
    '! "$BIN/deskdex-index" --db "$T/a" --backup "$T/final" >/dev/null 2>&1'
"$BIN/deskdex-index" --db "$T/c" --restore "$T/final" >/dev/null 2>&1
check "--restore into a new folder succeeds" '[ -f "$T/c/iamglass" ]'
check "the restored index holds the same documents and versions" \
    '[ "$("$BIN/deskdex-index" --db "$T/a" --stats | grep -v revision)" = "$("$BIN/deskdex-index" --db "$T/c" --stats | grep -v revision)" ]'
check "every version of an edited document is restored" \
    '[ "$("$BIN/deskdex-index" --db "$T/c" --history bk-0 | wc -l)" -eq 2 ] && "$BIN/deskdex-index" --db "$T/c" --show bk-0 --version 1 | grep -q "first answer 0"'
P2=$(free_port)
start_server "$T/c" "$P2"
SPID2=$!
wait_up "$P2"
same=1
for q in vpn+keeps+disconnecting reset+my+password printer+jammed outlook+not+syncing \
    %E5%BF%98%E8%AE%B0%E5%AF%86%E7%A0%81 backup+question shared+drive+access wifi+certificate; do
    [ "$(ids_for "$P" "$q")" = "$(ids_for "$P2" "$q")" ] || same=0
done
check "the restored index answers a fixed query set identically" '[ $same -eq 1 ]'

# Restoring an older copy under the running server: it serves the copy.
"$BIN/deskdex-index" --db "$T/a" --restore "$T/cli-during" >/dev/null 2>&1
check "--restore under a running server succeeds" '[ $? -eq 0 ]'
v=$(curl -s -m 5 -H "Authorization: Bearer admin-key-1" "http://127.0.0.1:$P/v1/documents/bk-0" |
    python3 -c 'import json,sys; print(json.load(sys.stdin).get("version",0))' 2>/dev/null)
check "the running server answers from the restored copy (bk-0 back at v1)" '[ "$v" = 1 ]'
check "the running server keeps answering searches" '[ -n "$(ids_for "$P" vpn)" ]'
check "writes work after the restore" '[ "$(post "$P" bk-after "after restore")" = 201 ]'

# Compaction in place under the running server: smaller, same answers.
before=""
for q in vpn+keeps+disconnecting reset+my+password printer+jammed backup+question; do
    before="$before|$(ids_for "$P" "$q")"
done
"$BIN/deskdex-index" --db "$T/a" --compact >"$T/compact.json" 2>&1
check "--compact under a running server succeeds and says how much it saved" \
    'python3 -c "import json,sys; j=json.load(open(sys.argv[1])); sys.exit(0 if 0 < j[\"bytes_after\"] < j[\"bytes_before\"] else 1)" "$T/compact.json"'
check "the compacted index passes xapian-check" 'xapian-check "$T/a" >/dev/null 2>&1'
after=""
for q in vpn+keeps+disconnecting reset+my+password printer+jammed backup+question; do
    after="$after|$(ids_for "$P" "$q")"
done
[ "$before" = "$after" ] || printf 'before compaction: %s\nafter compaction:  %s\n' "$before" "$after" >&2
check "the running server answers the same from the compacted index" '[ "$before" = "$after" ]'
check "versions survive compaction" '[ "$("$BIN/deskdex-index" --db "$T/a" --history bk-0 | wc -l)" -ge 1 ]'
check "writes work after compaction" '[ "$(post "$P" bk-compact "after compact")" = 201 ]'
check "--compact on a set of shards is refused" \
    '"$BIN/deskdex-index" --db "$T/set" --shards 2 corpus/faqs >/dev/null 2>&1; ! "$BIN/deskdex-index" --db "$T/set" --compact >/dev/null 2>&1'

tests_done
