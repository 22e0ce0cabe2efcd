#!/bin/sh
# make.sh - how the attachment fixtures here and the attachments in
# corpus/manuals/ were made. The tests only read the files; they need
# poppler-utils and libzip, not the tools below.
#
# Needs (Debian): libreoffice-writer-nogui fonts-noto-cjk qpdf zip python3.
# Run from anywhere: sh tests/corpora/attachments/make.sh
#
# Each document is written below in a small line format, turned into
# LibreOffice flat XML (.fodt) and converted by LibreOffice:
#   T text      a Title paragraph          H1/H2/H3 text   a heading
#   P text      a body paragraph           R a|b|c         a table row
#   K a, b      keywords                   M name=value    a custom property
#   N text      document title (metadata)  BREAK           a page break
set -e
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../../.." && pwd)
w=$(mktemp -d)
trap 'rm -rf "$w"' EXIT

fodt() { # name < source: writes $w/name.fodt
    awk '
    function esc(s) { gsub(/&/, "\\&amp;", s); gsub(/</, "\\&lt;", s); gsub(/>/, "\\&gt;", s); return s }
    function endtable() { if (intable) print "</table:table>"; intable = 0 }
    BEGIN { n = 0 }
    { line[++n] = $0 }
    END {
        print "<?xml version=\"1.0\" encoding=\"UTF-8\"?>"
        print "<office:document xmlns:office=\"urn:oasis:names:tc:opendocument:xmlns:office:1.0\" xmlns:text=\"urn:oasis:names:tc:opendocument:xmlns:text:1.0\" xmlns:table=\"urn:oasis:names:tc:opendocument:xmlns:table:1.0\" xmlns:style=\"urn:oasis:names:tc:opendocument:xmlns:style:1.0\" xmlns:fo=\"urn:oasis:names:tc:opendocument:xmlns:xsl-fo-compatible:1.0\" xmlns:meta=\"urn:oasis:names:tc:opendocument:xmlns:meta:1.0\" xmlns:dc=\"http://purl.org/dc/elements/1.1/\" office:version=\"1.3\" office:mimetype=\"application/vnd.oasis.opendocument.text\">"
        print "<office:meta>"
        for (i = 1; i <= n; i++) {
            t = substr(line[i], 3)
            if (line[i] ~ /^N /) print "<dc:title>" esc(t) "</dc:title>"
            if (line[i] ~ /^K /) { k = split(t, kw, /, */); for (j = 1; j <= k; j++) print "<meta:keyword>" esc(kw[j]) "</meta:keyword>" }
            if (line[i] ~ /^M /) { eq = index(t, "="); print "<meta:user-defined meta:name=\"" substr(t, 1, eq - 1) "\">" esc(substr(t, eq + 1)) "</meta:user-defined>" }
        }
        print "</office:meta>"
        print "<office:styles>"
        print "<style:style style:name=\"Standard\" style:family=\"paragraph\"><style:text-properties fo:font-size=\"11pt\" style:font-size-asian=\"11pt\"/></style:style>"
        print "<style:style style:name=\"Text_20_body\" style:display-name=\"Text body\" style:family=\"paragraph\" style:parent-style-name=\"Standard\"><style:paragraph-properties fo:margin-bottom=\"0.2cm\"/></style:style>"
        print "<style:style style:name=\"Title\" style:family=\"paragraph\" style:parent-style-name=\"Standard\"><style:paragraph-properties fo:margin-bottom=\"0.4cm\"/><style:text-properties fo:font-size=\"24pt\" fo:font-weight=\"bold\" style:font-size-asian=\"24pt\" style:font-weight-asian=\"bold\"/></style:style>"
        split("17 14 12", hs, " ")
        for (h = 1; h <= 3; h++)
            print "<style:style style:name=\"Heading_20_" h "\" style:display-name=\"Heading " h "\" style:family=\"paragraph\" style:parent-style-name=\"Standard\" style:default-outline-level=\"" h "\"><style:paragraph-properties fo:margin-top=\"0.4cm\" fo:margin-bottom=\"0.2cm\"/><style:text-properties fo:font-size=\"" hs[h] "pt\" fo:font-weight=\"bold\" style:font-size-asian=\"" hs[h] "pt\" style:font-weight-asian=\"bold\"/></style:style>"
        print "</office:styles>"
        print "<office:automatic-styles><style:style style:name=\"PB\" style:family=\"paragraph\" style:parent-style-name=\"Text_20_body\"><style:paragraph-properties fo:break-before=\"page\"/></style:style></office:automatic-styles>"
        print "<office:body><office:text>"
        brk = 0
        for (i = 1; i <= n; i++) {
            l = line[i]; t = substr(l, 3)
            if (l ~ /^R /) {
                if (!intable) { print "<table:table><table:table-column table:number-columns-repeated=\"" split(t, c, /\|/) "\"/>"; intable = 1 }
                k = split(t, c, /\|/); printf "<table:table-row>"
                for (j = 1; j <= k; j++) printf "<table:table-cell><text:p>%s</text:p></table:table-cell>", esc(c[j])
                print "</table:table-row>"; continue
            }
            endtable()
            if (l == "BREAK") brk = 1
            else if (l ~ /^T /) print "<text:p text:style-name=\"Title\">" esc(t) "</text:p>"
            else if (l ~ /^H[1-6] /) print "<text:h text:style-name=\"Heading_20_" substr(l, 2, 1) "\" text:outline-level=\"" substr(l, 2, 1) "\">" esc(substr(l, 4)) "</text:h>"
            else if (l ~ /^P /) { print "<text:p text:style-name=\"" (brk ? "PB" : "Text_20_body") "\">" esc(t) "</text:p>"; brk = 0 }
        }
        endtable()
        print "</office:text></office:body></office:document>"
    }' >"$w/$1.fodt"
}

convert() { # name format outdir
    (cd "$w" && soffice --headless --convert-to "$2" "$1.fodt" >/dev/null 2>&1)
    mkdir -p "$3"
    cp "$w/$1.$2" "$3/"
}

# --- the test fixtures ---------------------------------------------------

fodt meeting-rooms <<'SRC'
N Meeting room screens
K meeting rooms, screens
T Meeting room screens
P Every meeting room has a wall screen and a wireless presenter called a ShareBeam puck.
H1 Sharing your screen
P Plug the ShareBeam puck into a USB-C port of your laptop and press its button once. The wall screen shows your desktop within five seconds.
P Press the button again to stop sharing; unplugging the puck also stops it.
H1 会议室屏幕没有信号
P 如果墙上的屏幕显示“无信号”，请先用遥控器把输入源切换到 HDMI 2。仍然没有画面时，请拨打服务台电话并说明会议室编号。
H2 Resetting the base unit
P Hold the reset pin at the back of the base unit for ten seconds until its lamp blinks white; the zanderpin reset keeps the room name.
SRC
convert meeting-rooms pdf "$here/manuals"

# Version 2: one paragraph changed.
sed 's/within five seconds/within eight seconds/' "$w/meeting-rooms.fodt" >"$w/v2.fodt"
mkdir -p "$w/v2" && mv "$w/v2.fodt" "$w/v2/meeting-rooms.fodt"
(cd "$w/v2" && soffice --headless --convert-to pdf meeting-rooms.fodt >/dev/null 2>&1)
mkdir -p "$here/v2" && cp "$w/v2/meeting-rooms.pdf" "$here/v2/"

fodt plain-notice <<'SRC'
N Office move notice
P The service desk counter on the third floor moves to room 2.14 on Monday. Walk-in hours stay the same: 08:30 to 17:00 on working days.
P Bring faulty laptops, chargers and headsets to the new counter; loan laptops are handed out there as well.
BREAK
P Parcels with replacement hardware are now delivered to the goods entrance and collected by the desk each morning. Ask for the pelican tray if you return a device after hours.
SRC
convert plain-notice pdf "$here/manuals"

fodt desk-phones <<'SRC'
N Desk phones and headsets
K phones, headsets
M deskdex-product=video
M deskdex-category=hardware
T Desk phones and headsets
P Most staff use a headset with Teams; reception and the warehouse office keep desk phones.
H1 Pairing a wireless headset
P Put the headset in pairing mode by holding the call button for six seconds, then plug the marmot dongle into the laptop.
R Model|Pairing button|Battery
R Jabra Evolve2 65|Call button, 6 s|37 hours
R Poly Voyager 4320|Power switch, slide and hold|24 hours
H1 Desk phone shows "No service"
P Check that the network cable goes into the port marked LAN, not PC. Restart the phone by unplugging it for ten seconds.
H2 Forwarding calls to a mobile
P Press Forward, choose Always and type the mobile number with the country code.
SRC
convert desk-phones docx "$here/manuals"

fodt badge-printer <<'SRC'
N Visitor badge printer
H1 Visitor badge printer
P The reception badge printer prints visitor badges from the visitor system.
H2 Replacing the label roll
P Open the lid, lift out the empty core and drop in a new roll with the labels facing up. Close the lid and press Feed once; the osprey label lines up by itself.
H2 Badges print blank
P Blank badges mean the roll is in upside down or it is a plain paper roll instead of a thermal roll.
SRC
convert badge-printer odt "$here/manuals"

fodt travel-faq <<'SRC'
N Travel FAQ
T Travel FAQ
H1 Can I use hotel Wi-Fi for work?
P Yes, but connect to GlobalConnect VPN before anything else; the hotel network is not trusted. The heronnet check in the VPN app shows when it is safe.
H1 What do I do if my laptop is stolen abroad?
P Call the service desk at once so that the laptop is locked and wiped, then report the theft to the local police.
SRC
convert travel-faq docx "$here/faqs"

# --- bad and hostile files ---------------------------------------------

mkdir -p "$here/bad"
qpdf --encrypt user-secret owner-secret 256 -- "$here/manuals/meeting-rooms.pdf" "$here/bad/encrypted.pdf"
# The first 1,500 bytes of a PDF: no cross-reference table, no pages.
head -c 1500 "$here/manuals/plain-notice.pdf" >"$here/bad/truncated.pdf"
printf 'This is a text file with a .pdf name.\n' >"$here/bad/not-a-pdf.pdf"
# A DOCX cut off in the middle: no central directory.
head -c 3000 "$here/manuals/desk-phones.docx" >"$here/bad/truncated.docx"
# A DOCX whose parts are encrypted with a ZIP password.
rm -rf "$w/zp" && mkdir "$w/zp" && (cd "$w/zp" && unzip -q "$here/manuals/desk-phones.docx" &&
    rm -f "$here/bad/password-zip.docx" && zip -q -r -P zip-secret "$here/bad/password-zip.docx" .)
python3 - "$here/bad" <<'PY'
import sys, zipfile, os
bad = sys.argv[1]
# An ODT saved with a password: the manifest declares encrypted parts.
with zipfile.ZipFile(os.path.join(bad, "encrypted.odt"), "w") as z:
    z.writestr(zipfile.ZipInfo("mimetype"), "application/vnd.oasis.opendocument.text")
    z.writestr("META-INF/manifest.xml",
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<manifest:manifest xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0" manifest:version="1.3">\n'
        ' <manifest:file-entry manifest:full-path="/" manifest:media-type="application/vnd.oasis.opendocument.text"/>\n'
        ' <manifest:file-entry manifest:full-path="content.xml" manifest:media-type="text/xml" manifest:size="4021">\n'
        '  <manifest:encryption-data manifest:checksum-type="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0#sha256-1k" manifest:checksum="AAAA">\n'
        '   <manifest:algorithm manifest:algorithm-name="http://www.w3.org/2001/04/xmlenc#aes256-cbc" manifest:initialisation-vector="AAAA"/>\n'
        '  </manifest:encryption-data>\n'
        ' </manifest:file-entry>\n'
        '</manifest:manifest>\n')
    z.writestr("content.xml", bytes(range(256)) * 16)
# An Office file saved with a password is an OLE compound file holding an
# "EncryptedPackage" stream: its header and directory entry name suffice.
ole = bytes([0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1]) + bytes(504)
ole += "EncryptedPackage".encode("utf-16-le") + bytes(512 - 32)
open(os.path.join(bad, "password.docx"), "wb").write(ole)
# A ZIP bomb: 100 MiB of XML that packs into about 100 KiB.
with zipfile.ZipFile(os.path.join(bad, "bomb.docx"), "w", zipfile.ZIP_DEFLATED, compresslevel=9) as z:
    z.writestr("[Content_Types].xml", '<?xml version="1.0"?><Types/>')
    head = b'<?xml version="1.0"?><w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:body><w:p><w:r><w:t>'
    with z.open("word/document.xml", "w", force_zip64=True) as f:
        f.write(head)
        chunk = b" " * (1 << 20)
        for _ in range(100):
            f.write(chunk)
        f.write(b"</w:t></w:r></w:p></w:body></w:document>")
PY

# --- the bundled knowledge base -----------------------------------------

fodt teams-rooms-guide <<'SRC'
N Teams Rooms meeting room guide
K meeting rooms, teams rooms, video
T Teams Rooms meeting room guide
P Meeting rooms in Rotterdam and Shanghai with a touch panel on the table are Microsoft Teams Rooms. The room has its own mailbox (for example RTM-4.12 or SHA-3.08), a camera above the screen, ceiling microphones and an HDMI cable on the table. This guide explains how to book a room, start a meeting, share a laptop and what to check before you log a ticket.
H1 Booking a room and inviting it
P Book the room in Outlook: add the room mailbox to the meeting invitation or pick it with the Room Finder. The room accepts automatically when it is free. A meeting that does not show on the touch panel almost always means the room was not invited; add the room mailbox to the existing invitation and the panel shows it within two minutes.
P Rooms are released automatically when nobody checks in on the panel within 15 minutes of the start time.
H1 Starting and joining a meeting
P Tap Join on the touch panel next to your meeting. For an unplanned call tap Meet now and invite people by name. Never sign in to the room PC with your own account: the room signs in with its own account, and a personal sign-in breaks the room for the next meeting.
P To end the meeting tap the red Leave button on the panel; the room resets itself for the next booking.
H1 Sharing a laptop screen
P Plug the HDMI cable on the table into your laptop; the screen switches to your laptop within a few seconds and the content is shared into the meeting. Without a cable, join the same meeting from your laptop with audio and video off and click Share. If the screen stays black, unplug the cable, wait five seconds and plug it in again, and check the USB-C adapter is a company one.
H1 The room has no sound or no picture
P If people in the call cannot hear the room, check that the microphone is not muted on the panel and on the ceiling microphone (red light). If the screen shows "No signal", the room PC may be asleep: touch the panel once. If the panel itself is frozen, hold its power button for ten seconds. Still broken: call the Service Desk from the room phone and give the room name; L1 can restart the room remotely.
H1 上海办公室会议室
P 上海办公室的会议室同样是 Teams 会议室。预订会议时请在 Outlook 邀请中加入会议室邮箱（例如 SHA-3.08），会议就会出现在桌面的触控面板上。投屏请使用桌上的 HDMI 线；如果屏幕显示“无信号”，请先轻触面板唤醒会议室电脑。仍然无法使用时，请用会议室电话联系服务台并报上会议室编号。
SRC
convert teams-rooms-guide pdf "$top/corpus/manuals"

fodt headsets-guide <<'SRC'
N Headsets and desk phones guide
K headsets, phones, teams
M deskdex-product=video
M deskdex-category=hardware
T Headsets and desk phones guide
P Every Kestrel Logistics laptop user gets a Teams-certified headset. Desk phones remain at reception, the warehouse offices and the Service Desk. Both are ordered through the Service Desk portal.
H1 Pairing a wireless headset
P Hold the call button for six seconds until the light flashes blue and red, then plug the USB dongle that came in the box into the laptop. The headset pairs with the dongle, not with Bluetooth on the laptop; the dongle gives a steadier connection in open-plan offices.
R Model|Pairing|Battery
R Jabra Evolve2 65|Call button, 6 seconds|up to 37 hours
R Poly Voyager 4320|Power switch, slide and hold|up to 24 hours
H1 Teams does not use the headset
P In Teams open Settings, Devices and choose the headset as speaker and microphone. If it is missing from the list, unplug and replug the dongle and restart Teams. Update the headset firmware with Jabra Direct or Poly Lens from the Company Portal when calls crackle.
H1 Desk phone shows "No service"
P Check that the network cable goes into the port marked LAN and not PC, then unplug the power for ten seconds. If the phone still shows "No service", log a ticket with the extension number and the label on the wall socket.
SRC
convert headsets-guide docx "$top/corpus/manuals"
echo "made: $(cd "$here" && find . -type f ! -name make.sh | sort | tr '\n' ' ')"
