#!/bin/sh
# 20-milter: filterd end to end through its milter socket, driven by the
# in-tree milter client: every action, every header operation, oversize
# mail, and an MTA that disconnects mid-message.
. "${top_srcdir:-$(dirname "$0")/..}/t/tap.sh"

[ -x "${MCLIENT:-$top_builddir/t/mclient}" ] || skip_all "t/mclient not built"
plan 29

sock=$(conf_for "$top_srcdir/t/data/e2e.conf")
start_filterd "$top_builddir/filterd/filterd"
ok $? "filterd starts and listens on $sock"

# send [mclient options] -- BODY-FILE-CONTENT
msg() {	# msg SUBJECT BODY [HEADER...]: writes $TMP/m.eml
	{
		printf 'From: a@example.org\nTo: b@example.net\nSubject: %s\n' "$1"
		shift
		body=$1
		shift
		for h in "$@"; do printf '%s\n' "$h"; done
		printf '\n%s\n' "$body"
	} > "$TMP/m.eml"
}
send() { mclient -s "unix:$sock" -m "$TMP/m.eml" "$@" 2>&1; }

msg "hello" "just a note"
out=$(send -f a@example.org -r b@example.net)
like "$out" '^action (accept|continue)$' "clean message accepted"
unlike "$out" 'addheader' "clean message gets no header"

msg "hello" "Dear friend, you have won!"
out=$(send -f a@example.org -r b@example.net)
like "$out" '^addheader X-Filterd-Rule: lottery$' "body rule adds its header"
like "$out" '^action (accept|continue)$' "and the message is accepted"

msg "run this EXECUTABLE now" "x"
out=$(send -f a@example.org -r b@example.net)
like "$out" '^reply 550 5\.7\.1 Subject not allowed$' \
    "header rule rejects with its reply"

msg "hello" "x"
out=$(send -f someone@spam.example -r b@example.net)
like "$out" '^reply 451 4\.7\.1 Try again later$' \
    "sender rule tempfails with its reply"

msg "hello" "you have won"
out=$(send -f boss@trusted.example -r b@example.net)
like "$out" '^action (accept|continue)$' "accept rule accepts"
unlike "$out" 'addheader' "and ends evaluation before later rules"

msg "hello" "x"
out=$(send -f a@example.org -r b@example.net -r blackhole@example.net)
like "$out" '^action discard$' "recipient rule discards"

msg "quarantine-me please" "x"
out=$(send -f a@example.org -r b@example.net)
like "$out" '^quarantine held for review$' "quarantine rule quarantines"

msg "no-reply-text" "x"
out=$(send -f a@example.org -r b@example.net)
like "$out" '^reply 550 5\.7\.1 ' "reject without a reply gets the default"

# Oversize: limits.message_size is 100000 in e2e.conf.
msg "big" "$(head -c 150000 /dev/zero | tr '\0' 'a')"
out=$(send -f a@example.org -r b@example.net)
like "$out" '^reply 552 5\.3\.4 ' "oversize message rejected 552 5.3.4"
like "$(cat "$TMP/filterd.log")" \
    'action=reject .* oversize="over limits\.message_size"' "and logged"

msg "hello" "$(head -c 5000 /dev/zero | tr '\0' 'b')"
send -f a@example.org -r b@example.net -x 1000 > /dev/null
msg "hello" "you have won"
out=$(send -f a@example.org -r b@example.net)
like "$out" '^addheader X-Filterd-Rule: lottery$' \
    "after an MTA hung up mid-message, the next message is served"

log=$(cat "$TMP/filterd.log")
like "$log" 'action=reject rules=bad-subject' "log line names action and rule"
like "$log" 'from=<someone@spam.example> rcpts=1 .* action=tempfail' \
    "log line names sender, recipient count and action"
like "$log" 'time=[0-9]+ms' "log line has the worker time"
kill -0 "$filterd_pid"
ok $? "filterd still running"
kill "$filterd_pid"
wait "$filterd_pid" 2>/dev/null
ok $? "filterd exits cleanly on SIGTERM"

# Header operations other than add come from the hostile module's
# well-behaved commands.
rm -f "$sock"
start_filterd "$top_builddir/t/filterd-hostile"
ok $? "filterd-hostile starts"

msg "hello" "x" "X-Hostile: insert-header"
out=$(send -f a@example.org -r b@example.net)
like "$out" '^insheader 0 X-Filterd-First: top$' "insert header at index 0"

msg "hello" "x" "X-Filterd-Old: one" "X-Hostile: change-header"
out=$(send -f a@example.org -r b@example.net)
like "$out" '^chgheader 1 X-Filterd-Old: new' "change header"
# mclient shows a newline as \n and a tab as \t.
like "$out" '^chgheader 1 X-Filterd-Old: new\\n\\tvalue$' \
    "folding sent to the MTA as LF + TAB, not CRLF"

msg "hello" "x" "X-Filterd-Old: one" "X-Filterd-Old: two" \
    "X-Hostile: delete-headers"
out=$(send -f a@example.org -r b@example.net)
like "$out" "$(printf '^chgheader 2 X-Filterd-Old: ?$')" "delete index 2"
first=$(printf '%s\n' "$out" | grep -n '^chgheader' | head -1)
like "$first" 'chgheader 2 ' "deletions applied in reverse index order"

msg "hello" "x" "X-Hostile: percent"
out=$(send -f a@example.org -r b@example.net)
like "$out" '^reply 550 5\.7\.1 100%% spam$' "% in reply text escaped for libmilter"

msg "hello" "x" "X-Hostile: not-allowed"
out=$(send -f a@example.org -r b@example.net)
like "$out" '^reply 451 4\.3\.0 ' "header the config does not allow: fallback"
like "$(cat "$TMP/filterd.log")" 'failure="header not allowed by configuration"' \
    "and the log says why"
tap_done
