#!/bin/bash
# 50-postfix.sh -- filterd end to end behind a real Postfix.
#
# Starts filterd (as root, dropping to $FILTERD_TEST_USER, default nobody,
# its workers to $FILTERD_TEST_WORKER_USER, default filterd-worker,
# chrooted to an empty directory it creates in the temporary directory)
# on a TCP port with conf/filterd.conf's rules, a private Postfix instance
# whose smtpd uses it as its milter, and smtp-sink as the relay host that
# captures what Postfix delivers (t/lib-postfix.sh).  Then sends messages
# with swaks and checks what the SMTP client is told and what arrives.
#
# Needs root (Postfix), and the Debian packages postfix and swaks.  Skips
# otherwise.  Creates nothing outside its temporary directory.
#
# Environment: top_srcdir, top_builddir (set by the harness; default: this
# file's directory/..), FILTERD_CMD (replaces the filterd binary),
# FILTERD_TEST_USER, FILTERD_TEST_WORKER_USER, T50_LIMIT (whole-test time limit, seconds),
# KEEP_TMP=1 (keep the temporary directory and leave a note where).

# The prologue: bash, the time limit, the paths (t/lib-e2e.sh).
E2E_LIMIT=${T50_LIMIT:-300} E2E_KILL=60
. "$(dirname "$0")/lib-e2e.sh"

. "$here/lib-postfix.sh"

pf_preflight

tmp=""
cleanup()
{
	fd_stop 5 >/dev/null
	pf_cleanup
	tmp_remove
}
trap cleanup EXIT

tmp=$(mktemp -d "${TMPDIR:-/tmp}/filterd-t50.XXXXXX") || exit 1
chmod 0755 "$tmp"
fdlog="$tmp/filterd.log"
: >"$fdlog"
token="$$-$RANDOM"

setup_ok=1

# send NAME SWAKS-ARGS...: one message to Postfix, transcript in NAME.smtp;
# every message carries "X-Test-Id: NAME-TOKEN" to find it at the sink.
send()
{
	local name="$1"
	shift
	timeout --foreground 60 swaks --server 127.0.0.1 --port "$PF_SMTP_PORT" \
	    --timeout 30 --helo client.filterd-test.invalid \
	    --to rcpt@example.org \
	    --add-header "X-Test-Id: $name-$token" "$@" \
	    </dev/null >"$tmp/$name.smtp" 2>&1
	return 0
}

# replied NAME REGEX: the SMTP server's reply to the message matched REGEX
# (swaks marks server replies "<-" or, for errors, "<**").
replied()
{
	grep -Eq "^<(-|\*\*) +$2" "$tmp/$1.smtp"
}

# delivered NAME: prints the sink file of message NAME, after waiting for
# Postfix to log its delivery.
delivered()
{
	local qid file
	qid=$(pf_queue_id "$tmp/$1.smtp")
	if [ -z "$qid" ]; then
		echo "# $1: no queue id in the SMTP transcript" >&2
		return 1
	fi
	if ! pf_wait_sent "$qid" 30; then
		echo "# $1: queue id $qid not delivered within 30s" >&2
		return 1
	fi
	file=$(pf_sink_find "X-Test-Id: $1-$token" | head -n 1)
	if [ -z "$file" ]; then
		echo "# $1: delivered, but not found at the sink" >&2
		return 1
	fi
	echo "$file"
}

# header_count FILE NAME VALUE: occurrences of "NAME: VALUE" in the header.
header_count()
{
	sed -e 's/\r$//' -e '/^$/q' "$1" | grep -cixF "$2: $3"
}

# has_header FILE NAME: whether the header has a NAME field at all.
has_header()
{
	sed -e 's/\r$//' -e '/^$/q' "$1" | grep -qi "^$2:"
}

# body_intact FILE BODYFILE: the delivered body starts with BODYFILE.
body_intact()
{
	local lines
	lines=$(wc -l <"$2")
	sed -e 's/\r$//' -e '1,/^$/d' "$1" | head -n "$lines" |
	    cmp -s - "$2"
}

diag_msg()
{
	pf_diag "$tmp/$1.smtp" "SMTP transcript of $1"
	[ -n "${2:-}" ] && [ -r "$2" ] && pf_diag "$2" "as delivered"
}

echo "1..11"

# 1: filterd on a TCP port (Postfix's smtpd runs as the postfix user and
# could not reach a socket in our root-only temporary directory).
ok=1
if fd_port=$(pf_free_port); then
	listen="inet:$fd_port@127.0.0.1"
	if fd_write_conf "$top_srcdir/conf/filterd.conf" \
	    "$tmp/filterd.conf" "$listen" "$fd_user" "$tmp/empty" \
	    2>>"$fdlog"; then
		fd_start "$tmp/filterd.conf" "$fdlog"
		fd_wait_ready "$listen" 20 2>>"$fdlog" && ok=0
	fi
fi
tap "$ok" "filterd starts as root, user $fd_user, listening on ${listen:-?}"
[ "$ok" -eq 0 ] || setup_ok=0

# 2: smtp-sink and Postfix.
ok=1
mkdir "$tmp/pf"
if [ "$setup_ok" -eq 1 ] &&
    pf_setup "$tmp/pf" "inet:127.0.0.1:${fd_port:-0}" 2>>"$tmp/setup.log" &&
    pf_sink_start 2>>"$tmp/setup.log" &&
    pf_start 2>>"$tmp/setup.log"; then
	ok=0
fi
tap "$ok" "private Postfix on 127.0.0.1:${PF_SMTP_PORT:-?}, smtp-sink on" \
    "127.0.0.1:${PF_SINK_PORT:-?}"
if [ "$ok" -ne 0 ]; then
	[ "$setup_ok" -eq 1 ] && pf_diag "$tmp/setup.log" "setup errors"
	setup_ok=0
fi

if [ "$setup_ok" -ne 1 ]; then
	for d in "lottery message accepted" "lottery message delivered" \
	    "bad subject refused" "blocked sender refused" \
	    "plain message delivered" "refused messages not delivered" \
	    "a field folded to 16,891 bytes delivered" \
	    "filterd still running" \
	    "milter_default_action with filterd stopped"; do
		tap 1 "$d (setup failed)"
	done
	pf_diag "$fdlog" "filterd output"
	[ -n "$PF_DIR" ] && pf_diag "$PF_DIR/maillog" "Postfix log"
	exit 0
fi

# (a) A body with "you have won" is accepted, and arrives with the header
# and its body intact.
printf '%s\n' "Dear customer," "" "Congratulations, you have won a prize!" \
    "Claim it today." >"$tmp/lottery.body"
send lottery --from promo@example.net --h-Subject "Good news" \
    --body "$(cat "$tmp/lottery.body")"
ok=1
replied lottery '250 .*queued as' && ok=0
tap "$ok" "lottery message: 250 at end of DATA"
[ "$ok" -eq 0 ] || diag_msg lottery

ok=1
why=""
if file=$(delivered lottery 2>"$tmp/why"); then
	c=$(header_count "$file" X-Filterd-Rule lottery)
	if [ "$c" -ne 1 ]; then
		why="X-Filterd-Rule: lottery appears $c times"
	elif ! body_intact "$file" "$tmp/lottery.body"; then
		why="body changed"
	else
		ok=0
	fi
else
	why=$(cat "$tmp/why")
	file=""
fi
tap "$ok" "lottery message delivered with X-Filterd-Rule: lottery, body" \
    "intact"
[ "$ok" -eq 0 ] || { echo "# $why"; diag_msg lottery "$file"; }

# (b) Subject with the word "executable": the rule's reply at SMTP.
send badsubj --from alice@example.com --h-Subject "run this executable" \
    --body "Please run the attached file."
ok=1
replied badsubj '550 5\.7\.1 Subject not allowed' && ok=0
tap "$ok" "subject \"run this executable\": 550 5.7.1 Subject not allowed"
[ "$ok" -eq 0 ] || diag_msg badsubj

# (c) Blocked sender: tempfailed.
send spam --from foo@spam.example --h-Subject "Hello" \
    --body "Nothing to see here."
ok=1
replied spam '451 4\.7\.1 Try again later' && ok=0
tap "$ok" "sender foo@spam.example: 451 4.7.1 Try again later"
[ "$ok" -eq 0 ] || diag_msg spam

# (d) A plain message arrives unchanged.
printf '%s\n' "Hello Bob," "" "the minutes are attached." >"$tmp/plain.body"
send plain --from alice@example.com --h-Subject "Minutes" \
    --body "$(cat "$tmp/plain.body")"
ok=1
why=""
file=""
if ! replied plain '250 .*queued as'; then
	why="not accepted"
elif ! file=$(delivered plain 2>"$tmp/why"); then
	why=$(cat "$tmp/why")
	file=""
elif has_header "$file" X-Filterd-Rule; then
	why="has an X-Filterd-Rule header"
elif ! body_intact "$file" "$tmp/plain.body"; then
	why="body changed"
else
	ok=0
fi
tap "$ok" "plain message accepted, delivered without X-Filterd-Rule"
[ "$ok" -eq 0 ] || { echo "# $why"; diag_msg plain "$file"; }

# The refused messages reached neither the queue nor the sink.  (The
# plain message, sent after them, has been delivered by now.)
ok=0
for m in badsubj spam; do
	if [ -n "$(pf_sink_find "X-Test-Id: $m-$token")" ] ||
	    replied "$m" '250 .*queued as'; then
		echo "# refused message $m was queued or delivered"
		ok=1
	fi
done
tap "$ok" "refused messages were neither queued nor delivered"

# (f) A field folded to 16,891 bytes, which Postfix passes (its
# header_size_limit is 102400; 60000 with milters): filtered and
# delivered whole, as filterd's default limits are no stricter.
awk 'BEGIN {
	b = sprintf("%77s", ""); gsub(/ /, "b", b)
	printf "From: alice@example.com\r\nTo: rcpt@example.org\r\n"
	printf "Subject: a long field\r\nX-Long: %s\r\n", b
	for (i = 0; i < 215; i++)
		printf " %s\r\n", substr(b, 1, 76)
	printf " %sz\r\n\r\nLong field, short body.\r\n", substr(b, 1, 41)
}' >"$tmp/long.eml"
send long --from alice@example.com --data "@$tmp/long.eml"
ok=1
why=""
file=""
if ! replied long '250 .*queued as'; then
	why="not accepted"
elif ! file=$(delivered long 2>"$tmp/why"); then
	why=$(cat "$tmp/why")
	file=""
elif [ "$(sed -e 's/\r$//' -e '/^$/q' "$file" |
    sed -n '/^X-Long:/,/^[^ ]/p' | grep -c '^ ')" -ne 216 ]; then
	why="X-Long did not arrive with its 216 continuation lines"
else
	ok=0
fi
tap "$ok" "a field folded to 16,891 bytes: accepted, delivered whole"
[ "$ok" -eq 0 ] || { echo "# $why"; diag_msg long "$file"; }

ok=1
fd_running && ok=0
tap "$ok" "filterd still running after five messages"

# (e) filterd gone: Postfix applies milter_default_action = tempfail.
fd_stop 10
send down --from alice@example.com --h-Subject "Is anyone there" \
    --body "Hello?"
ok=1
if replied down '451 4\.7\.1 Service unavailable - try again later' &&
    ! replied down '250 .*queued as'; then
	ok=0
fi
tap "$ok" "filterd stopped: Postfix tempfails with 451 4.7.1 Service" \
    "unavailable (milter_default_action), queues nothing"
[ "$ok" -eq 0 ] || diag_msg down

if [ "$failed" -ne 0 ]; then
	pf_diag "$fdlog" "filterd output"
	pf_diag "$PF_DIR/maillog" "Postfix log"
	pf_diag "$PF_DIR/sink.log" "smtp-sink output"
fi
exit 0
