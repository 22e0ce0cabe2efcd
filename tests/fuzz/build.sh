#!/bin/sh
# build.sh - build the fuzz targets' replay drivers with gcc.
#
# Usage (from anywhere):  tests/fuzz/build.sh [target...]
#   SAN="-fsanitize=address,undefined ..." OPT="-O1 -g" tests/fuzz/build.sh
# Without SAN the drivers go to build/fuzz/ and link build/libdeskdex.a and
# build/indexer/*.o; with SAN the library and readers are made with the
# same flags into build-san/ (as `make check` does) and the drivers go to
# build-san/fuzz/. Each driver is replay-<target>; see replay.c.
# The project's objects are made by the top-level Makefile.

top=$(cd "$(dirname "$0")/../.." && pwd) || exit 2
cd "$top" || exit 2

TARGETS=${*:-"query suggest doc_json readers office pii analyse config url thesaurus"}
GCC=${GCC:-gcc}
GXX=${GXX:-g++}
PKGS="xapian-core jansson libutf8proc libcmark libxml-2.0 nettle libzip opencc"
READERS="readers rd_markdown rd_html rd_records rd_attach rd_pdf rd_office"

if [ -n "$SAN" ]; then
    B=build-san
    OPT=${OPT:--O1 -g}
else
    B=build
    OPT=${OPT:--O2 -g}
fi
out=$B/fuzz

pkg_cflags=$(pkg-config --cflags $PKGS) || exit 2
pkg_libs=$(pkg-config --libs $PKGS) || exit 2

objs="$B/libdeskdex.a"
for r in $READERS; do
    objs="$objs $B/indexer/$r.o"
done
jobs=$(nproc 2>/dev/null || echo 2)
if [ -n "$SAN" ]; then
    make --no-print-directory -j"$jobs" SAN="$SAN" OPT="$OPT" $objs || exit 1
else
    make --no-print-directory -j"$jobs" $objs || exit 1
fi

mkdir -p "$out" || exit 2
CFLAGS="-std=c11 -D_DEFAULT_SOURCE $OPT $SAN -Wall -Wextra -Ishared -Iindexer $pkg_cflags"

cc() { # source object
    # shellcheck disable=SC2086
    $GCC $CFLAGS -c "$1" -o "$2"
}

# Always recompiled: they are small, and the library's headers (struct
# layouts) may have changed under them.
cc tests/fuzz/replay.c "$out/replay.o" || exit 1
cc tests/fuzz/fuzz_index.c "$out/fuzz_index.o" || exit 1
cc tests/fuzz/fuzz_tmp.c "$out/fuzz_tmp.o" || exit 1
for t in $TARGETS; do
    src=tests/fuzz/fuzz_$t.c
    if [ ! -f "$src" ]; then
        echo "build.sh: no target $t ($src)" >&2
        exit 2
    fi
    cc "$src" "$out/fuzz_$t.o" || exit 1
    extra="$out/fuzz_tmp.o"
    case $t in
    query | suggest) extra="$extra $out/fuzz_index.o" ;;
    readers | office) for r in $READERS; do extra="$extra $B/indexer/$r.o"; done ;;
    esac
    # shellcheck disable=SC2086
    $GXX $SAN -o "$out/replay-$t" "$out/fuzz_$t.o" "$out/replay.o" $extra \
        "$B/libdeskdex.a" $pkg_libs -lstemmer -lcsv -lm -lpthread || exit 1
done
echo "build.sh: replay drivers in $out/"
