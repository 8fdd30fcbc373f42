#!/bin/sh
# 05-rules: every kind of rule, negation, scores and their thresholds, and
# the limits module, end to end through filterd's milter socket.
. "${top_srcdir:-$(dirname "$0")/..}/t/tap.sh"

[ -x "${MCLIENT:-$top_builddir/t/mclient}" ] || skip_all "t/mclient not built"
plan 17
sock=$(conf_for "$top_srcdir/t/data/rules.conf")
start_filterd "$top_builddir/filterd/filterd"
ok $? "filterd starts"

dated='Date: Mon, 23 Nov 2026 10:00:00 +0000'
msg() {	# msg HEADER-LINES BODY
	printf 'From: a@example.org\nSubject: hello\n%b\n\n%s\n' "$1" "$2" \
	    > "$TMP/m.eml"
}
send() {	# send [mclient options]: a good client unless told otherwise
	mclient -s "unix:$sock" -a 192.0.2.10 -c mail.example.org \
	    -H mail.example.org -f a@example.org -r b@example.net \
	    -m "$TMP/m.eml" "$@" 2>&1
}

msg "$dated" "hello"
out=$(send -a 198.51.100.7)
like "$out" '^reply 550 5\.7\.1 Blocked network$' "client_cidr (IPv4) rejects"
out=$(send -a 198.51.101.7)
like "$out" '^action (accept|continue)$' "an address outside the block passes"
unlike "$out" 'X-Filterd-Score' "and scores nothing"
out=$(send -a 2001:db8:bad::1)
like "$out" '^reply 550 5\.7\.1 ' "client_cidr (IPv6) rejects"
out=$(send -a 203.0.113.5)
like "$out" '^action discard$' "client_addr pattern discards"

out=$(send -H '[192.0.2.10]')
like "$out" '^addheader X-Filterd-Score: 2\.500 \(helo-ip\)$' \
    "a helo rule's score reaches tag: the result header"
like "$out" '^chgheader 1 Subject: \[SPAM\] hello$' \
    "and the subject prefix"

msg "" "hello"
out=$(send -H '[192.0.2.10]')
like "$out" '^addheader X-Filterd-Score: 3\.500 \(helo-ip, no-date\)$' \
    "a negated header rule hits when the header is missing"

msg "$dated" "hello"
out=$(send -H '[192.0.2.10]' -c unknown)
like "$out" '^quarantine score 5\.500$' "quarantine threshold"
like "$out" '^addheader X-Filterd-Score: 5\.500 \(helo-ip, no-rdns\)$' \
    "quarantined with the result header"

msg "$dated\nX-Mailer: BulkBlaster 3" "hello"
out=$(send -c unknown)
like "$out" '^reply 550 5\.7\.1 Scored too high$' \
    "any_header and client_name scores reach reject"

msg "$dated" "$(printf 'soft=\nbreak')"
out=$(send)
like "$out" '^addheader X-Filterd-QP: soft-breaks$' "raw_body sees CRLF"

msg "$dated" "hello"
out=$(send -r c@example.net -r d@example.net -r e@example.net)
like "$out" '^reply 552 5\.3\.4 Message exceeds a limit: 4 recipients, at most 3$' \
    "limits.max_recipients"
hdrs=$(i=0; while [ $i -lt 30 ]; do printf 'X-H%d: x\\n' $i; i=$((i + 1)); done)
msg "$dated\n$hdrs" "hello"
out=$(send)
like "$out" '^reply 552 5\.3\.4 Message exceeds a limit: 33 headers, at most 30$' \
    "limits.max_headers"
msg "$dated\nX-Long: $(head -c 600 /dev/zero | tr '\0' 'x')" "hello"
out=$(send)
like "$out" '^reply 552 5\.3\.4 Message exceeds a limit: 600 bytes in one header, at most 500$' \
    "limits.max_header_size"
like "$(cat "$TMP/filterd.log")" 'action=reject rules=limits' \
    "the log names the limits module"
tap_done
