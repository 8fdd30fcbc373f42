#!/bin/sh
# 09-offline: filterd -t runs one message file through the same spawner,
# sandboxed worker and validator, prints the verdict and exits by action.
. "${top_srcdir:-$(dirname "$0")/..}/t/tap.sh"

plan 15
conf_for "$top_srcdir/t/data/e2e.conf" > /dev/null
run() {	# run BINARY [--json]: message in $TMP/m.eml
	"$1" -t "$TMP/m.eml" -f "$TMP/filterd.conf" $2 2> "$TMP/err"
}
msg() {	# msg HEADER-LINES BODY
	printf '%b\n\n%s\n' "$1" "$2" > "$TMP/m.eml"
}
fd="$top_builddir/filterd/filterd"

msg 'From: Alice <a@example.org>\nTo: b@example.net\nSubject: hi' \
    'Dear friend, you have won'
out=$(run "$fd"); rc=$?
is_rc() { ok $([ "$1" -eq "$2" ]; echo $?) "$3 (exit $1)"; }
is_rc "$rc" 0 "accept exits 0"
like "$out" '^action: accept$' "prints the action"
like "$out" '^header: add 0 X-Filterd-Rule: lottery$' \
    "prints the header operations"
like "$out" '^rules: lottery$' "prints the rules that hit"

msg 'From: a@example.org\nTo: b@example.net\nSubject: an\n EXECUTABLE' 'x'
out=$(run "$fd"); rc=$?
is_rc "$rc" 10 "reject exits 10"
like "$out" '^reply: 550 5\.7\.1 Subject not allowed$' \
    "a folded header is matched as one value"

msg 'Return-Path: <x@spam.example>\nFrom: a@example.org\nTo: b@example.net' 'x'
out=$(run "$fd"); rc=$?
is_rc "$rc" 11 "tempfail exits 11; the sender comes from Return-Path"

msg 'From: a@example.org\nTo: B <blackhole@example.net>\nSubject: x' 'x'
run "$fd" > /dev/null; rc=$?
is_rc "$rc" 12 "discard exits 12; recipients come from To"

msg 'From: a@example.org\nTo: b@example.net\nSubject: quarantine-me' 'x'
out=$(run "$fd" --json); rc=$?
is_rc "$rc" 13 "quarantine exits 13"
like "$out" '^\{"action": "quarantine", .*"quarantine": "held for review", .*"rules": \["hold"\], .*"failure": null' \
    "--json prints one JSON object"

msg 'From: a@example.org\nTo: b@example.net\nX-Hostile: socket' 'x'
out=$(run "$top_builddir/t/filterd-hostile"); rc=$?
is_rc "$rc" 11 "a worker killed by its sandbox gets on_failure"
like "$out" '^failure: worker exited without a verdict' \
    "and the failure is printed"

printf 'no colon here\n\nbody\n' > "$TMP/m.eml"
out=$(run "$fd"); rc=$?
is_rc "$rc" 10 "a header line that is not a field gets limits.malformed"
like "$out" '^reply: 550 5\.6\.0 ' "and its reply, 550 5.6.0"
like "$out" '^malformed: a header line that is not a field' \
    "and why it is malformed"
tap_done
