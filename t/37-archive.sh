#!/bin/sh
# 37-archive: the attachment policy applied to the names inside archive
# attachments (filters/archwalk.c, filters/attach.c), through filterd -t:
# a real spawner and worker, libarchive under the worker's seccomp policy.
# The messages are t/data/archive/*.eml (t/data/archive/mkmail.py).
. "${top_srcdir:-$(dirname "$0")/..}/t/tap.sh"

plan 21
conf_for "$top_srcdir/t/data/archive.conf" > /dev/null
mail="$top_srcdir/t/data/archive"
run() { "$top_builddir/filterd/filterd" -t "$mail/$1" \
    -f "$TMP/filterd.conf" 2> "$TMP/err"; rc=$?
    cat "$TMP/err" >> "$TMP/all-err"; return $rc; }

out=$(run exe-in-zip.eml); rc=$?
ok $([ $rc -eq 10 ]; echo $?) "invoice.zip holding invoice.pdf.exe is rejected (exit $rc)"
like "$out" '^reply: 550 5\.7\.1 Attachment type not allowed$' \
    "with the attachments reply"
like "$out" '^log: archive entry "invoice\.pdf\.exe" blocked by extension$' \
    "and a log line naming the entry"

out=$(run nested.eml); rc=$?
ok $([ $rc -eq 10 ]; echo $?) "an exe two archives deep is rejected (exit $rc)"
like "$out" '^log: archive entry "outer\.zip/inner\.zip/x\.exe" blocked by extension$' \
    "named by its path through the archives"

out=$(run tgz.eml); rc=$?
ok $([ $rc -eq 10 ]; echo $?) "an exe in a tar.gz is rejected (exit $rc)"
like "$out" '^log: archive entry "setup/setup\.exe" blocked by extension$' \
    "named by its path in the tar"

out=$(run 7z.eml); rc=$?
ok $([ $rc -eq 10 ]; echo $?) "an exe with a non-ASCII path in a 7z is rejected (exit $rc)"
like "$out" '^log: archive entry ".*/secret\.exe" blocked by extension$' \
    "its UTF-16 name converted inside the worker"

out=$(run encrypted.eml); rc=$?
like "$out" '^log: archive entry ".*/secret\.exe" blocked by extension$' \
    "an encrypted zip's names are checked all the same"

out=$(run clean.eml); rc=$?
ok $([ $rc -eq 0 ]; echo $?) "a zip of a pdf and a text passes (exit $rc)"
unlike "$out" '^log:' "without a word"

out=$(run garbage.eml); rc=$?
ok $([ $rc -eq 10 ]; echo $?) "an unreadable zip is rejected, not passed (exit $rc)"
like "$out" '^log: archive attachment unreadable$' "saying so"

out=$(run bomb.eml); rc=$?
like "$out" '^reply: 552 5\.3\.4 Attachment exceeds a limit' \
    "a zip bomb gets the oversize action"
like "$out" '^log: archive past a limits\.archive_\* bound$' "saying so"

out=$(run deep.eml); rc=$?
like "$out" '^reply: 552 5\.3\.4 Attachment exceeds a limit' \
    "archives nested past archive_max_depth get the oversize action"

# Nothing of the above needed a system call the worker may not make.
unlike "$(cat "$TMP/all-err")" 'violation|Bad system call|exited without' \
    "no sandbox violation, no worker lost"

sed -e 's/^\(attachments = \).*/\1{ extensions = [ "exe" ]; archives = false; };/' \
    "$TMP/filterd.conf" > "$TMP/off.conf"
out=$("$top_builddir/filterd/filterd" -t "$mail/exe-in-zip.eml" \
    -f "$TMP/off.conf" 2>&1); rc=$?
ok $([ $rc -eq 0 ]; echo $?) "attachments.archives = false leaves archives shut (exit $rc)"
sed -e 's/^\(attachments = \).*/\1{ extensions = [ "scr" ]; archive_encrypted = true; };/' \
    "$TMP/filterd.conf" > "$TMP/enc.conf"
out=$("$top_builddir/filterd/filterd" -t "$mail/encrypted.eml" \
    -f "$TMP/enc.conf" 2>&1); rc=$?
like "$out" '^log: archive with encrypted entries$' \
    "attachments.archive_encrypted blocks an encrypted archive"
out=$("$top_builddir/filterd/filterd" -t "$mail/exe-in-zip.eml" \
    -f "$TMP/enc.conf" 2>&1); rc=$?
ok $([ $rc -eq 0 ]; echo $?) "and not a plain one (exit $rc)"
tap_done
