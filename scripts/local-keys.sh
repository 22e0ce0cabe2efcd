#!/bin/sh
# local-keys.sh - make keys for a local run: one agent, one editor and one
# admin key, random, written once to DIR/keys.txt (the keys, mode 600) and
# DIR/keys.json (their hashes, what the server reads). Existing files are
# left alone.
# Usage: scripts/local-keys.sh BIN DIR
set -e
bin=$1
dir=$2
[ -f "$dir/keys.json" ] && [ -f "$dir/keys.txt" ] && exit 0
mkdir -p "$dir"
umask 077
: >"$dir/keys.txt"
echo "[" >"$dir/keys.json.tmp"
sep=""
for role in agent editor admin; do
    key="$role-$(od -An -N16 -tx1 /dev/urandom | tr -d ' \n')"
    echo "$role $key" >>"$dir/keys.txt"
    line=$("$bin/deskdex-server" --hash-key "$key" |
        sed "s/\"NAME\"/\"local-$role\"/; s/\"role\": \"agent\"/\"role\": \"$role\"/")
    printf '%s%s\n' "$sep" "$line" >>"$dir/keys.json.tmp"
    sep=","
done
echo "]" >>"$dir/keys.json.tmp"
mv "$dir/keys.json.tmp" "$dir/keys.json"
