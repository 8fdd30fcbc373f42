#!/bin/sh
# 24-noreply: what filterd's milter frontend negotiates, and that the MTA
# then waits for nothing but the end of the message.  mclient plays Postfix
# at each milter_protocol (-o) or offers exact flags (-O), and counts the
# reply packets it reads (-v: "replies N").
#  - To an MTA that offers the no-reply steps (protocol 6) filterd asks for
#    all of them, SMFIP_NR_*, and not to be sent DATA and unknown commands:
#    one reply a clean message, the verdict; and the same verdicts.
#  - To an MTA without them (2, 3, 4; or 6 without SMFIP_SKIP, which
#    filterd takes as the sign) it asks for none and replies at every step.
#  - A message over limits.message_size is answered at the first step
#    that has a reply: at end of message with no-reply, in the body without.
#  - SMFIC_QUIT_NC: the next SMTP session on the same milter connection
#    gets its verdict with one reply.  (Debian's libmilter neither closes
#    nor reconnects the session there, and leaves a reply to the next
#    connect step unsent: an MTA that waits for one hangs, with or without
#    filterd's no-reply steps.  Postfix never sends SMFIC_QUIT_NC.)
. "${top_srcdir:-$(dirname "$0")/..}/t/tap.sh"

[ -x "${MCLIENT:-$top_builddir/t/mclient}" ] || skip_all "t/mclient not built"
plan 27

sock=$(conf_for "$top_srcdir/t/data/e2e.conf")
start_filterd "$top_builddir/filterd/filterd"
ok $? "filterd starts and listens on $sock"

{
	printf 'From: a@example.org\nTo: b@example.net\nSubject: hello\n\n'
	printf 'just a note\n'
} > "$TMP/clean.eml"
{
	printf 'From: a@example.org\nTo: b@example.net\nSubject: hello\n\n'
	printf 'you have won\n'
} > "$TMP/won.eml"
{
	printf 'From: a@example.org\nTo: b@example.net\nSubject: big\n\n'
	head -c 150000 /dev/zero | tr '\0' 'a'
	printf '\n'
} > "$TMP/big.eml"
send() {	# send FILE [mclient options]
	f=$1
	shift
	MCLIENT_PROTOCOL= mclient -v -s "unix:$sock" -f a@example.org \
	    -r b@example.net -m "$f" "$@" 2>&1
}
# NR_CONN HELO MAIL RCPT DATA UNKN HDR EOH BODY, NODATA, NOUNKNOWN.
all=0xff380

out=$(send "$TMP/clean.eml" -o 6)
like "$out" "^optneg version=6 actions=0x31 protocol=$all\$" \
    "protocol 6: every no-reply step, no DATA, no unknown commands"
like "$out" '^action accept$' "a clean message is accepted"
like "$out" '^phase eom$' "at end of message"
like "$out" '^replies 1$' "with one reply packet: the verdict"

out=$(send "$TMP/won.eml" -o 6)
like "$out" '^addheader X-Filterd-Rule: lottery$' "a rule's header is added"
like "$out" '^replies 2$' "two reply packets: the header and the verdict"

out=$(send "$TMP/clean.eml" -o 6 -f someone@spam.example)
like "$out" '^reply 451 4\.7\.1 Try again later$' \
    "a sender rule tempfails with its reply"
like "$out" '^replies 1$' "at end of message, in its one reply"

out=$(send "$TMP/big.eml" -o 6)
like "$out" '^reply 552 5\.3\.4 ' "an oversize message is rejected 552 5.3.4"
like "$out" '^phase eom$' "at end of message: no step before has a reply"
like "$out" '^replies 1$' "in one reply"

out=$(send "$TMP/clean.eml" -o 6 -N 3)
ok $([ "$(printf '%s\n' "$out" | grep -c '^action accept$')" -eq 3 ] &&
    [ "$(printf '%s\n' "$out" | grep -c '^replies 1$')" -eq 3 ]; echo $?) \
    "three transactions on one connection: one reply each"

out=$(send "$TMP/clean.eml" -o 6 -N 2 -K)
ok $([ "$(printf '%s\n' "$out" | grep -c '^action accept$')" -eq 2 ] &&
    [ "$(printf '%s\n' "$out" | grep -c '^replies 1$')" -eq 2 ]; echo $?) \
    "the SMTP session after QUIT_NC gets its verdict, in one reply"

# Protocol 2: every step is sent and has a reply.  Connect, HELO, MAIL,
# RCPT, DATA, three header fields, end of header, one body chunk, end.
out=$(send "$TMP/clean.eml" -o 2)
like "$out" '^optneg version=2 actions=0x31 protocol=0x0$' \
    "protocol 2: nothing asked for"
like "$out" '^action accept$' "the clean message is accepted"
like "$out" '^replies 11$' "with a reply at each of its 11 steps"

out=$(send "$TMP/big.eml" -o 2)
like "$out" '^reply 552 5\.3\.4 ' "the oversize message is rejected"
like "$out" '^phase body$' "in the body, at once, as before"

out=$(send "$TMP/clean.eml" -o 4)
like "$out" '^optneg version=4 actions=0x31 protocol=0x300$' \
    "protocol 4: no DATA, no unknown commands, replies at every step"
like "$out" '^replies 10$' "10 replies: no DATA"

# Protocol 6 without SMFIP_SKIP: taken as an MTA without no-reply steps.
out=$(send "$TMP/clean.eml" -O 1ffbff)
like "$out" '^optneg version=6 actions=0x31 protocol=0x300$' \
    "without SMFIP_SKIP no no-reply step is asked for"

# With SKIP but DATA sent: no reply to DATA either.
out=$(send "$TMP/clean.eml" -O 1ffdff)
like "$out" '^optneg version=6 actions=0x31 protocol=0xff180$' \
    "an MTA that sends DATA gets no-reply for it"
like "$out" '^replies 1$' "and waits for nothing but the verdict"

# SKIP without the no-reply steps: libmilter stands in with "continue".
out=$(send "$TMP/big.eml" -O 77f)
like "$out" '^reply 552 5\.3\.4 ' \
    "an MTA that offers SKIP but no no-reply step gets the same answer"

log=$(cat "$TMP/filterd.log")
unlike "$log" 'out of memory or options lost' "no connection lost its options"
kill -0 "$filterd_pid"
ok $? "filterd still running"
tap_done
