#!/bin/sh
# attachments.sh - PDF, DOCX and ODT manuals and FAQs: indexed section by
# section, searchable over HTTP, versioned, and bad files reported.
#
# Runs on a copy of tests/corpora/attachments/ (made by its make.sh) in a
# temporary folder. Needs poppler-utils (scripts/deps.sh build).
# Run from the repository root:   env BIN=bin sh tests/cli/attachments.sh
# Prints "ok - ..." / "not ok - ..." per check and, last, the line
# "tests: N passed, N failed". Exit status 1 if any check failed.

BIN=${BIN:-bin}
top=$(cd "$(dirname "$0")/../.." && pwd) || exit 2
case $BIN in /*) ;; *) BIN=$top/$BIN ;; esac
IDX=$BIN/deskdex-index
FIX=$top/tests/corpora/attachments

. "$top/tests/lib.sh"
T=
SPID=
cleanup() {
    [ -n "$SPID" ] && kill "$SPID" 2>/dev/null && wait "$SPID" 2>/dev/null
    [ -n "$T" ] && rm -rf "$T"
}
trap cleanup EXIT
trap 'cleanup; exit 2' HUP INT TERM


if command -v timeout >/dev/null 2>&1; then
    idx() { timeout 60 "$IDX" "$@"; }
else
    idx() { "$IDX" "$@"; }
fi
# num JSON KEY: the integer value of "KEY".
num() {
    printf '%s' "$1" | tr -d '\n' |
        sed -n "s/.*\"$2\": *\\(-\\{0,1\\}[0-9][0-9]*\\).*/\\1/p"
}
expect_num() { # DESC JSON KEY VALUE
    v=$(num "$2" "$3")
    if [ "$v" = "$4" ]; then ok "$1"; else not_ok "$1" "expected \"$3\": $4 in: $2"; fi
}
# str_of JSON KEY: the string value of "KEY" in --show output.
str_of() {
    printf '%s\n' "$1" | sed -n "s/^  \"$2\": \"\\(.*\\)\",\\{0,1\\}\$/\\1/p" | head -n 1
}
# expect_field DESC ID KEY VALUE: --show ID has "KEY": "VALUE".
expect_field() {
    d=$(idx --db "$DB" --show "$2" 2>&1)
    v=$(str_of "$d" "$3")
    if [ "$v" = "$4" ]; then ok "$1"; else not_ok "$1" "expected \"$3\": \"$4\", got \"$v\"" "$d"; fi
}
# expect_body DESC ID TEXT: the body of --show ID contains TEXT.
expect_body() {
    d=$(idx --db "$DB" --show "$2" 2>&1)
    case $(str_of "$d" body) in
    *"$3"*) ok "$1" ;;
    *) not_ok "$1" "no \"$3\" in the body of $2" "$d" ;;
    esac
}

if [ ! -x "$IDX" ]; then
    not_ok "$IDX is built (run make all)"
    finish
fi
for tool in pdfinfo pdftohtml pdftotext; do
    if ! command -v $tool >/dev/null 2>&1; then
        not_ok "$tool is installed (Debian poppler-utils, scripts/deps.sh build)"
        finish
    fi
done

T=$(mktemp -d "${TMPDIR:-/tmp}/deskdex-att.XXXXXX") || exit 2
cp -R "$FIX" "$T/att" || exit 2
rm -rf "$T/att/v2" "$T/att/make.sh"
cd "$T/att" || exit 2
DB=$T/db
err=$T/err

# --- one run: good files indexed, bad ones reported and skipped ---------

first=$(idx --db "$DB" --json --quiet manuals faqs bad 2>"$err")
rc=$?
if [ $rc -eq 1 ]; then ok "a run with bad attachments exits 1"; else
    not_ok "a run with bad attachments exits 1" "exit $rc" "$first" "$(cat "$err")"
fi
expect_num "15 sections of the 5 good attachments are added" "$first" added 15
expect_num "the 8 bad attachments are rejected" "$first" rejected 8
while IFS='|' read -r file msg; do
    if grep -F "bad/$file: " "$err" | grep -qF "$msg"; then
        ok "bad/$file is reported: $msg"
    else
        not_ok "bad/$file is reported: $msg" "$(cat "$err")"
    fi
done <<'EOF'
encrypted.pdf|encrypted PDF (needs a password)
truncated.pdf|not a readable PDF: Syntax Error
not-a-pdf.pdf|not a readable PDF: no %PDF- header
truncated.docx|not a readable DOCX: not a ZIP file
password-zip.docx|encrypted DOCX (needs a password)
password.docx|encrypted DOCX (needs a password)
encrypted.odt|encrypted ODT (needs a password)
bomb.docx|word/document.xml would unpack to 100 MiB, over the 64 MiB limit
EOF
n=$(grep -c '^manuals/\|^faqs/' "$err")
if [ "$n" -eq 0 ]; then ok "no good attachment is reported"; else
    not_ok "no good attachment is reported" "$(cat "$err")"
fi

# --- PDF: headings from font sizes --------------------------------------

M=meeting-rooms
expect_field "PDF: the title line is the first section" "$M:meeting-room-screens" title "Meeting room screens"
expect_field "PDF: a heading becomes a section with its title" "$M:sharing-your-screen" title "Sharing your screen"
expect_field "PDF: its section path" "$M:sharing-your-screen" section "Meeting room screens › Sharing your screen"
expect_body "PDF: the section holds its own text" "$M:sharing-your-screen" "within five seconds"
d=$(idx --db "$DB" --show "$M:sharing-your-screen" 2>&1)
case $(str_of "$d" body) in
*zanderpin*) not_ok "PDF: a section does not hold the next section's text" "$d" ;;
*) ok "PDF: a section does not hold the next section's text" ;;
esac
expect_field "PDF: a Chinese heading is a section" "$M:s1" title "会议室屏幕没有信号"
expect_field "PDF: the Chinese section is lang zh" "$M:s1" lang zh
expect_body "PDF: the Chinese section holds its text" "$M:s1" "请先用遥控器把输入源切换到"
expect_field "PDF: a smaller heading nests under the one before" "$M:resetting-the-base-unit" section \
    "Meeting room screens › 会议室屏幕没有信号 › Resetting the base unit"
expect_field "PDF: an English section is lang en" "$M:resetting-the-base-unit" lang en
expect_field "PDF: kind manual from the folder" "$M:resetting-the-base-unit" kind manual
d=$(idx --db "$DB" --show "$M:resetting-the-base-unit" 2>&1)
if printf '%s\n' "$d" | grep -q '"screens"'; then ok "PDF: keywords become tags"; else
    not_ok "PDF: keywords become tags" "$d"
fi
expect_field "PDF without headings: one section per page, titled so" "plain-notice:office-move-notice-page-2" \
    title "Office move notice (page 2)"
expect_body "PDF without headings: the page's text" "plain-notice:office-move-notice-page-2" "pelican tray"
expect_body "PDF without headings: page 1 has page 1's text" "plain-notice:office-move-notice-page-1" "room 2.14"

# --- DOCX and ODT: heading styles ---------------------------------------

expect_field "DOCX: a Heading 1 paragraph is a section" "desk-phones:pairing-a-wireless-headset" \
    section "Desk phones and headsets › Pairing a wireless headset"
expect_body "DOCX: table cells are in the text" "desk-phones:pairing-a-wireless-headset" 'Poly Voyager 4320\tPower switch'
expect_field "DOCX: Heading 2 nests under Heading 1 below the Title" "desk-phones:forwarding-calls-to-a-mobile" \
    section 'Desk phones and headsets › Desk phone shows \"No service\" › Forwarding calls to a mobile'
expect_field "DOCX: custom property deskdex-product" "desk-phones:forwarding-calls-to-a-mobile" product video
expect_field "DOCX: custom property deskdex-category" "desk-phones:forwarding-calls-to-a-mobile" category hardware
expect_field "ODT: a heading is a section" "badge-printer:replacing-the-label-roll" \
    section "Visitor badge printer › Replacing the label roll"
expect_body "ODT: the section's text" "badge-printer:badges-print-blank" "thermal roll"
expect_field "DOCX in faqs/: a question heading is a FAQ" "travel-faq:can-i-use-hotel-wi-fi-for-work" kind faq
expect_body "DOCX in faqs/: the answer is the text under it" "travel-faq:what-do-i-do-if-my-laptop-is-stolen-abroad" \
    "locked and wiped"

# --- searchable over HTTP through the real server -----------------------

P=$(free_port)
printf 'rate_limit = 0\n' >"$T/conf"
"$BIN/deskdex-server" --db "$DB" --listen "127.0.0.1:$P" --config "$T/conf" 2>"$T/server.log" &
SPID=$!
i=0
until curl -sf "http://127.0.0.1:$P/healthz" >/dev/null 2>&1 || [ $i -ge 100 ]; do
    sleep 0.1
    i=$((i + 1))
done
# first_hit QUERY: "id|section" of the first result.
first_hit() {
    curl -s -m 10 "http://127.0.0.1:$P/v1/search?q=$1" |
        python3 -c 'import json,sys
r = json.load(sys.stdin)["results"]
print(r[0]["id"] + "|" + (r[0].get("section") or "") if r else "")' 2>&1
}
while IFS='|' read -r q want; do
    got=$(first_hit "$q")
    case $got in
    "$want|"*) ok "HTTP: /v1/search?q=$q finds $want first" ;;
    *) not_ok "HTTP: /v1/search?q=$q finds $want first" "got: $got" ;;
    esac
done <<'EOF'
zanderpin+reset|meeting-rooms:resetting-the-base-unit
share+screen+puck|meeting-rooms:sharing-your-screen
%E5%B1%8F%E5%B9%95%E6%B2%A1%E6%9C%89%E4%BF%A1%E5%8F%B7|meeting-rooms:s1
pelican+tray|plain-notice:office-move-notice-page-2
marmot+dongle|desk-phones:pairing-a-wireless-headset
osprey+label|badge-printer:replacing-the-label-roll
heronnet|travel-faq:can-i-use-hotel-wi-fi-for-work
EOF
got=$(first_hit "zanderpin")
case $got in
*"|Meeting room screens › 会议室屏幕没有信号 › Resetting the base unit") ok "HTTP: the hit carries its section path" ;;
*) not_ok "HTTP: the hit carries its section path" "got: $got" ;;
esac
kill "$SPID" 2>/dev/null
wait "$SPID" 2>/dev/null
SPID=

# --- versions: unchanged makes none, a changed PDF makes version 2 ------

again=$(idx --db "$DB" --json --quiet manuals faqs bad 2>"$err")
expect_num "re-run on unchanged attachments: nothing added" "$again" added 0
expect_num "re-run on unchanged attachments: nothing updated" "$again" updated 0
expect_num "re-run on unchanged attachments: 15 unchanged" "$again" unchanged 15
expect_num "re-run: the bad ones are reported again" "$again" rejected 8

cp "$FIX/v2/meeting-rooms.pdf" manuals/meeting-rooms.pdf
third=$(idx --db "$DB" --json --quiet manuals 2>"$err")
expect_num "an edited PDF: the changed section is updated" "$third" updated 1
expect_num "an edited PDF: nothing archived" "$third" archived 0
d=$(idx --db "$DB" --show "$M:sharing-your-screen" 2>&1)
if [ "$(num "$d" version)" = 2 ] && printf '%s' "$d" | grep -q 'within eight seconds'; then
    ok "the changed section is at version 2 with the new text"
else
    not_ok "the changed section is at version 2 with the new text" "$d"
fi
d=$(idx --db "$DB" --show "$M:sharing-your-screen" --version 1 2>&1)
if [ "$(num "$d" version)" = 1 ] && printf '%s' "$d" | grep -q 'within five seconds'; then
    ok "version 1 of it stays retrievable"
else
    not_ok "version 1 of it stays retrievable" "$d"
fi
d=$(idx --db "$DB" --show "$M:resetting-the-base-unit" 2>&1)
expect_num "an untouched section stays at version 1" "$d" version 1

# --- a PDF that turns bad loses nothing already stored ------------------

cp "$FIX/bad/truncated.pdf" manuals/meeting-rooms.pdf
bad=$(idx --db "$DB" --json --quiet manuals 2>"$err")
rc=$?
if [ $rc -eq 1 ] && grep -q '^manuals/meeting-rooms.pdf: not a readable PDF' "$err"; then
    ok "a PDF replaced by a broken one is reported by name (exit 1)"
else
    not_ok "a PDF replaced by a broken one is reported by name (exit 1)" "exit $rc" "$bad" "$(cat "$err")"
fi
expect_num "the broken PDF archives none of its sections" "$bad" archived 0
expect_field "its sections stay published" "$M:sharing-your-screen" status published

# --- the index is sound -------------------------------------------------

if command -v xapian-check >/dev/null 2>&1; then
    if xapian-check "$DB" >"$T/check" 2>&1; then ok "xapian-check passes"; else
        not_ok "xapian-check passes" "$(tail -n 5 "$T/check")"
    fi
fi

finish
