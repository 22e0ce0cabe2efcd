#!/bin/sh
# run.sh - relevance of deskdex beside SQLite FTS5 and stock Xapian.
#
#   tests/relevance/run.sh              every dev set, all three engines;
#                                       table on stdout, JSON in bench-results/
#   tests/relevance/run.sh --selftest   the metric code's own tests only
#   tests/relevance/run.sh --set bq --corpus F --queries F --qrels F ...
#                                       one set/split (see --help); relative
#                                       paths are taken from the project top
#
# The evaluation data is read where it lies (../shared/data beside the
# project, or $DESKDEX_DATA); nothing of it is copied into the project.
top=$(cd "$(dirname "$0")/../.." && pwd)
cd "$top" || exit 2
B=${B:-build}
data=${DESKDEX_DATA:-$top/../shared/data}

build() {
    make -s --no-print-directory B="$B" "$B/libdeskdex.a" &&
        make -s --no-print-directory -f tests/relevance/Makefile B="$B" "$@"
}

if [ "$1" = "--selftest" ]; then
    # The metric code alone: no index, no peers, no evaluation data needed
    # (the data-based check is skipped without it).
    make -s --no-print-directory -f tests/relevance/Makefile B="$B" \
        "$B/tests/relevance/metrics_test" >&2 || {
        echo "tests: 0 passed, 1 failed"
        exit 1
    }
    exec "$B/tests/relevance/metrics_test" "$data"
fi

# Peers: FTS5 comes with libsqlite3-dev (the bench set of deps.sh);
# Xapian's scriptindex comes with xapian-omega, installed without its
# recommends (which would pull in a web server).
scripts/deps.sh build bench >&2 || exit 2
if ! command -v scriptindex >/dev/null 2>&1; then
    echo "run.sh: installing xapian-omega (scriptindex)" >&2
    SUDO=""
    [ "$(id -u)" -ne 0 ] && SUDO=sudo
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq \
        --no-install-recommends xapian-omega >/dev/null 2>&1 ||
        { $SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive \
            $SUDO apt-get install -y -qq --no-install-recommends \
            xapian-omega >/dev/null; }
fi
build "$B/tests/relevance/relevance" >&2 || exit 2

engines="deskdex,fts5,xapian"
if ! command -v scriptindex >/dev/null 2>&1 || ! command -v quest >/dev/null 2>&1; then
    echo "run.sh: scriptindex/quest missing: the Xapian-defaults column is left out" >&2
    engines="deskdex,fts5"
fi

case " $* " in
*" --engines "*) set -- "$@" ;;
*) set -- --engines "$engines" "$@" ;;
esac

if [ ! -d "$data" ]; then
    case " $* " in
    *" --data "* | *" --corpus "*) ;;
    *) echo "run.sh: no evaluation data at $data (set DESKDEX_DATA)" >&2; exit 2 ;;
    esac
fi

mkdir -p bench-results
stamp=$(date -u +%Y%m%dT%H%M%SZ)
json="bench-results/relevance-$stamp.json"
label=$(git rev-parse --short HEAD 2>/dev/null || echo unknown)
git diff --quiet HEAD -- shared 2>/dev/null || label="$label+dirty"
"$B/tests/relevance/relevance" --data "$data" --config etc/deskdex.conf \
    --json "$json" --label "$label" "$@"
status=$?
[ -f "$json" ] && cp "$json" bench-results/relevance-latest.json &&
    echo "results: $json"
exit $status
