#!/bin/sh
# paired.sh - compare two runs query by query.
#   paired.sh BASE.tsv NEW.tsv
# Both files come from `relevance --per-query FILE` (columns: set, engine,
# qid, AP, RR, P@1, P@5, S@5, nDCG@10, top ids). For each set and metric it
# prints the mean difference NEW - BASE (x100), its paired standard error
# and how many queries got better / worse. A difference under about two
# standard errors is noise.
[ $# -eq 2 ] || { echo "usage: paired.sh BASE.tsv NEW.tsv" >&2; exit 2; }
awk -F'\t' '
NR == FNR { base[$1 SUBSEP $3] = $0; next }
{
    k = $1 SUBSEP $3
    if (!(k in base)) next
    split(base[k], b, "\t")
    sets[$1] = 1
    n[$1]++
    for (m = 4; m <= 9; m++) {
        d = ($m - b[m]) * 100
        sum[$1, m] += d
        sq[$1, m] += d * d
        if (d > 1e-9) up[$1, m]++
        if (d < -1e-9) down[$1, m]++
    }
}
END {
    split("AP RR P@1 P@5 S@5 nDCG@10", name, " ")
    printf "%-16s %-8s %8s %8s %9s\n", "set", "metric", "diff", "se", "up/down"
    for (s in sets) {
        for (m = 4; m <= 9; m++) {
            mean = sum[s, m] / n[s]
            var = sq[s, m] / n[s] - mean * mean
            se = var > 0 ? sqrt(var / n[s]) : 0
            printf "%-16s %-8s %+8.2f %8.2f %4d/%-4d\n", s, name[m - 3], mean, se,
                up[s, m], down[s, m]
        }
    }
}' "$1" "$2"
