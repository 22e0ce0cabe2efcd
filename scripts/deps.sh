#!/bin/sh
# deps.sh - install the Debian packages deskdex needs, if any are missing.
# Usage: scripts/deps.sh [build|test|bench|browser|fuzz]...
set -e
build="g++ make pkg-config libxapian-dev xapian-tools libjansson-dev libmicrohttpd-dev
libstemmer-dev libutf8proc-dev libcmark-dev libxml2-dev libcsv-dev nettle-dev
libzip-dev libopencc-dev libjemalloc-dev poppler-utils wordnet-base"
test="curl"
browser="chromium fonts-noto-cjk nodejs npm"
bench="wrk sqlite3 libsqlite3-dev xapian-omega time valgrind"
fuzz="clang"
want="$build"
for set in "$@"; do
    case "$set" in
    build) ;;
    test) want="$want $test" ;;
    browser) want="$want $browser" ;;
    bench) want="$want $bench" ;;
    fuzz) want="$want $fuzz" ;;
    *) echo "deps.sh: unknown set $set" >&2; exit 2 ;;
    esac
done
missing=""
for p in $want; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" ||
        missing="$missing $p"
done
# node and npm may come from elsewhere than Debian; accept any on PATH.
case "$missing" in *nodejs*|*npm*)
    if command -v node >/dev/null && command -v npm >/dev/null; then
        missing=$(echo "$missing" | sed 's/ nodejs//; s/ npm//')
    fi ;;
esac
[ -z "$missing" ] && exit 0
echo "deps.sh: installing$missing"
SUDO=""
[ "$(id -u)" -ne 0 ] && SUDO=sudo
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends $missing >/dev/null
