#!/bin/sh
# 14-mime: what the worker's MIME parser gives the rules and the attachment
# policy, through filterd -t and the sample corpus in t/data/mail.
. "${top_srcdir:-$(dirname "$0")/..}/t/tap.sh"

plan 10
conf_for "$top_srcdir/t/data/mime.conf" > /dev/null
mail="$top_srcdir/t/data/mail"
run() { "$top_builddir/filterd/filterd" -t "$mail/$1" \
    -f "$TMP/filterd.conf" 2> "$TMP/err"; }

out=$(run base64-body.eml); rc=$?
like "$out" '^header: add 0 X-Filterd-Prize: decoded$' \
    "body rules see base64 decoded"
unlike "$out" 'X-Filterd-Prize-Raw' "raw_body rules see it encoded"
out=$(run subject-2047.eml)
like "$out" '^header: add 0 X-Filterd-Subject: decoded$' \
    "header rules see RFC 2047 words decoded, across folded lines"
out=$(run double-ext.eml); rc=$?
ok $([ $rc -eq 10 ]; echo $?) "a double extension is rejected (exit $rc)"
like "$out" '^reply: 550 5\.7\.1 Attachment type not allowed$' \
    "with the attachments reply"
like "$out" '^log: attachment "invoice\.pdf\.exe" .*blocked by double extension$' \
    "and a log line naming the part"
out=$(run mixed-attachments.eml); rc=$?
ok $([ $rc -eq 0 ]; echo $?) "ordinary attachments pass (exit $rc)"
out=$(run malformed-deep.eml); rc=$?
like "$out" '^reply: 552 5\.3\.4 Message exceeds a limit: .*MIME levels' \
    "nesting past limits.max_mime_depth gets the oversize action"
out=$(run malformed-many-parts.eml); rc=$?
like "$out" '^reply: 552 5\.3\.4 Message exceeds a limit: .*MIME parts' \
    "more parts than limits.max_mime_parts gets the oversize action"
out=$(run malformed-no-close.eml); rc=$?
ok $([ $rc -eq 0 ]; echo $?) "malformed MIME is still filtered, not failed (exit $rc)"
tap_done
