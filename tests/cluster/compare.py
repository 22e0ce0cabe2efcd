#!/usr/bin/env python3
"""compare.py - hold the answers of two deskdex servers against each other.

Usage: compare.py URL_A URL_B QUERIES_FILE [--ids IDS_FILE] [--key KEY]
                  [--limit N] [--args "&group=1"]

For every query (one per line, URL-encoded as it goes in q=) both servers
are asked GET /v1/search?q=...&limit=N (plus --args) and, with --ids, every document id
is read (GET /v1/documents/{id}, .../versions, .../diff). "Identical" means:
  - the same score at every rank (scores as the API prints them, to three
    decimals), so the order is the same except inside a group of equal
    scores, where a set of shards and a single index may break the tie
    differently (by their own document numbers);
  - the same ids with the same score, version, title, snippet, answer and
    resolution, looked up in the other answer's first N + 20 hits (a tie
    group cut by the limit may continue past it);
  - the same did_you_mean; the same total and facets whenever total is
    at most 200 (below that every match is counted; above it the counts
    are Xapian's estimate over the first 200 examined matches);
  - for documents: the same body.
Times of writing (updated_at, created_at) and took_ms are left out: the
two indexes were written by two runs, seconds apart.
Prints one line per difference (the first CMP_SHOW, default 40), then "compared: Q queries, D documents,
F differences"; exit status 1 when there is any difference.
"""
import json
import os
import sys
import urllib.parse
import urllib.request

FIELDS = ("version", "kind", "title", "title_html", "snippet", "answer",
          "resolution", "section", "status", "visibility", "tags", "product",
          "category", "source")
VOLATILE = ("took_ms", "updated_at", "created_at")


def get(url, key):
    req = urllib.request.Request(url)
    if key:
        req.add_header("Authorization", "Bearer " + key)
    try:
        with urllib.request.urlopen(req, timeout=10) as r:
            return r.status, json.load(r)
    except urllib.error.HTTPError as e:
        try:
            return e.code, json.load(e)
        except Exception:
            return e.code, None
    except (urllib.error.URLError, OSError):
        return 0, None


def compare_search(a, b, q, key, limit, out, args=""):
    ext = limit + 20
    sa, ra = get(f"{a}/v1/search?q={q}&limit={ext}{args}", key)
    sb, rb = get(f"{b}/v1/search?q={q}&limit={ext}{args}", key)
    if sa != 200 or sb != 200:
        out.append(f"{q}: status {sa} vs {sb}")
        return
    for name, r in (("A", ra), ("B", rb)):
        if r.get("partial"):
            out.append(f"{q}: {name} is partial {r.get('missing_shards')}")
    xa, xb = ra["results"], rb["results"]
    for i in range(min(limit, len(xa), len(xb))):
        if xa[i]["score"] != xb[i]["score"]:
            out.append(f"{q}: rank {i + 1} score {xa[i]['score']} vs "
                       f"{xb[i]['score']}")
            break
    if min(limit, len(xa)) != min(limit, len(xb)):
        out.append(f"{q}: {len(xa)} vs {len(xb)} results")
    for first, other, tag in ((xa, xb, "A"), (xb, xa, "B")):
        byid = {r["id"]: r for r in other}
        for r in first[:limit]:
            o = byid.get(r["id"])
            if o is None:
                out.append(f"{q}: {r['id']} only in {tag}")
                continue
            if o["score"] != r["score"]:
                out.append(f"{q}: {r['id']} score {r['score']} vs "
                           f"{o['score']}")
            for f in FIELDS:
                if r.get(f) != o.get(f):
                    out.append(f"{q}: {r['id']} field {f} differs")
    if ra.get("did_you_mean") != rb.get("did_you_mean"):
        out.append(f"{q}: did_you_mean {ra.get('did_you_mean')!r} vs "
                   f"{rb.get('did_you_mean')!r}")
    if ra["total"] <= 200 or rb["total"] <= 200:
        if ra["total"] != rb["total"]:
            out.append(f"{q}: total {ra['total']} vs {rb['total']}")
        if ra.get("facets") != rb.get("facets"):
            out.append(f"{q}: facets differ")


def strip(body):
    if isinstance(body, dict):
        for k in VOLATILE:
            body.pop(k, None)
        for v in body.values():
            strip(v)
    elif isinstance(body, list):
        for v in body:
            strip(v)
    return body


def compare_doc(a, b, i, key, out):
    e = urllib.parse.quote(i, safe="")
    for path in (f"/v1/documents/{e}", f"/v1/documents/{e}/versions",
                 f"/v1/documents/{e}/diff?from=1&to=1",
                 f"/v1/documents/{e}?version=1"):
        sa, ba = get(a + path, key)
        sb, bb = get(b + path, key)
        if sa != sb or strip(ba) != strip(bb):
            out.append(f"{path}: {sa} vs {sb}, bodies differ")


def main(argv):
    if len(argv) < 4:
        print(__doc__)
        return 2
    a, b, qfile = argv[1].rstrip("/"), argv[2].rstrip("/"), argv[3]
    ids, key, limit, args = None, None, 10, ""
    rest = argv[4:]
    while rest:
        opt, val, rest = rest[0], rest[1], rest[2:]
        if opt == "--ids":
            ids = val
        elif opt == "--key":
            key = val
        elif opt == "--limit":
            limit = int(val)
        elif opt == "--args":
            args = val
    out = []
    queries = [l.strip() for l in open(qfile, encoding="utf-8")
               if l.strip() and not l.startswith("#")]
    for q in queries:
        compare_search(a, b, q, key, limit, out, args)
    nd = 0
    if ids:
        for i in open(ids, encoding="utf-8"):
            if i.strip():
                compare_doc(a, b, i.strip(), key, out)
                nd += 1
    for line in out[:int(os.environ.get("CMP_SHOW", "40"))]:
        print("  differs: " + line)
    print(f"compared: {len(queries)} queries, {nd} documents, "
          f"{len(out)} differences")
    return 1 if out else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
