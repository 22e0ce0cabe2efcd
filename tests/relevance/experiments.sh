#!/bin/sh
# experiments.sh - rerun every configuration listed in experiments.txt (or
# the files given) and print one Markdown table row per set and engine:
#   | set | engine | flags | metrics |
# RESULTS.md's tables are this script's output. Lines of the list are
#   SET ENGINES [flags...]      # comment
# and "## heading" lines are copied through as section headings.
top=$(cd "$(dirname "$0")/../.." && pwd)
cd "$top" || exit 2
B=${B:-build}
data=${DESKDEX_DATA:-$top/../shared/data}
make -s --no-print-directory B="$B" "$B/libdeskdex.a" >&2 &&
    make -s --no-print-directory -f tests/relevance/Makefile B="$B" \
        "$B/tests/relevance/relevance" >&2 || exit 2
[ $# -eq 0 ] && set -- tests/relevance/experiments.txt
cat "$@" | while IFS= read -r line; do
    case "$line" in
    "## "*) printf '\n%s\n\n| set | engine | flags | metrics |\n| --- | --- | --- | --- |\n' "$line"; continue ;;
    "" | "#"*) continue ;;
    esac
    note=""
    case "$line" in *"#"*) note=" (${line#*# })"; line=${line%%#*} ;; esac
    # shellcheck disable=SC2086
    set -- $line
    set_=$1
    eng=$2
    shift 2
    "$B/tests/relevance/relevance" --data "$data" --set "$set_" \
        --engines "$eng" "$@" 2>&1 >/dev/null |
        grep "^relevance: $set_ " |
        sed -E 's/^relevance: +//; s/ +\(index.*//; s/ +[0-9]+ queries +/|/' |
        while IFS='|' read -r head metrics; do
            e=$(echo "$head" | awk '{print $2}')
            printf '| %s | %s | %s%s | %s |\n' "$set_" "$e" \
                "$(echo "$*" | sed 's/|/\\|/g')" "$note" \
                "$(echo "$metrics" | sed -E 's/  +/ /g')"
        done
done
