#!/bin/sh
# 23-limits: every message over a limit gets limits.oversize -- never
# on_failure, here "accept" -- and every message within them gets a
# worker's verdict, whichever way it comes: the milter frontend
# (t/mclient), the OpenSMTPD frontend (t/smtpdfeed playing smtpd to
# filterd -x opensmtpd) and filterd -t.  The header counts against
# limits.message_size (6 MiB here); the per-header limits are the
# defaults, which must be no stricter than the MTAs'.
#
#  - 300 fields of 16 KB (4.8 MB of header, each field within the old
#    16 KB limit): filtered, the rule on the last field rejects.  Before,
#    the job could not be written and on_failure let it through.
#  - the same with 2 MiB of body, past 6 MiB: limits.oversize; and 500
#    such fields, 8 MB of header alone: limits.oversize.
#  - a field folded to 16,891 bytes, which Postfix, Sendmail and OpenSMTPD
#    pass: filtered, its rule rejects.  Before, 16 KB was the default.
#  - CRLF messages of exactly 6 MiB and one byte more, the byte in the
#    header: filtered, then limits.oversize on every path.
#  - (filterd -t) one field of 102400 bytes and of 102401, 10000 fields
#    and 10001: the defaults' boundaries.
E2E_LIMIT=${T23_LIMIT:-300} E2E_KILL=30
. "$(dirname "$0")/lib-e2e.sh"
. "$top_srcdir/t/tap.sh"

filterd="$top_builddir/filterd/filterd"
feed="$top_builddir/t/smtpdfeed"
[ -x "$feed" ] || skip_all "t/smtpdfeed not built"
[ -x "${MCLIENT:-$top_builddir/t/mclient}" ] || skip_all "t/mclient not built"
plan 39

SIZE=6291456
cat > "$TMP/limits.conf" <<EOF
listen = "unix:/tmp/filterd-limits.sock";
user = "nobody";
on_failure = "accept";
limits = { message_size = $SIZE; worker_timeout = 20; };
workers = { pool = 2; };
rules = (
	{ name = "big"; header = "X-Big-299"; pattern = "^a";
	  action = "reject"; reply = "550 5.7.1 Big header seen"; },
	{ name = "folded"; header = "X-Folded"; pattern = "z\$";
	  action = "reject"; reply = "550 5.7.1 Folded header seen"; }
);
EOF
sock=$(conf_for "$TMP/limits.conf")
start_filterd "$filterd"
ok $? "filterd (milter) starts"

# Messages.  big BODYBYTES [FIELDS]: FIELDS (300) fields of 16 lines,
# 16015 bytes each.
big() {
	awk -v body="$1" -v nf="${2:-300}" 'BEGIN {
		a = sprintf("%1000s", ""); gsub(/ /, "a", a)
		c = substr(a, 1, 999)
		printf "From: a@example.org\nTo: b@example.net\nSubject: big\n"
		for (i = 0; i < nf; i++) {
			printf "X-Big-%d: %s\n", i, a
			for (j = 1; j < 16; j++)
				printf " %s\n", c
		}
		printf "\n"
		for (; body > 0; body -= 1000)
			printf "%s\n", substr(a, 1, body > 1000 ? 999 : body - 1)
	}'
}
big 100 > "$TMP/big.eml"
big 2097152 > "$TMP/bigger.eml"
big 100 500 > "$TMP/hugehead.eml"
# A value of 77 + 215 * 78 + 44 = 16891 bytes, folded every 78, ending z.
awk 'BEGIN {
	b = sprintf("%77s", ""); gsub(/ /, "b", b)
	printf "From: a@example.org\nTo: b@example.net\nSubject: folded\n"
	printf "X-Folded: %s\n", b
	for (i = 0; i < 215; i++)
		printf " %s\n", substr(b, 1, 76)
	printf " %sz\n\nbody\n", substr(b, 1, 41)
}' > "$TMP/folded.eml"
# exact SUBJECT: a CRLF message of exactly $SIZE bytes with "Subject:x",
# written as the MTA counts it; a longer subject makes it longer.
exact() {
	awk -v size="$SIZE" -v subj="$1" 'BEGIN {
		h = "From:a@example.org\r\nTo:b@example.net\r\nSubject:x\r\n\r\n"
		left = size - length(h)
		x = sprintf("%78s", ""); gsub(/ /, "x", x)
		printf "From:a@example.org\r\nTo:b@example.net\r\nSubject:%s\r\n\r\n", subj
		for (; left > 160; left -= 80)
			printf "%s\r\n", x
		# Two last lines, so that neither is empty.
		n = int(left / 2)
		printf "%s\r\n", substr(x x, 1, n - 2)
		printf "%s\r\n", substr(x x, 1, left - n - 2)
	}'
}
exact x > "$TMP/exact.eml"
exact xy > "$TMP/exact1.eml"
ok $([ "$(wc -c < "$TMP/exact.eml")" -eq $SIZE ] &&
    [ "$(wc -c < "$TMP/exact1.eml")" -eq $((SIZE + 1)) ]; echo $?) \
    "the boundary messages are $SIZE and $((SIZE + 1)) bytes"

# through NAME PATTERN-MILTER PATTERN-SMTPD PATTERN-T [LOG-PATTERN]: the
# message $TMP/NAME.eml through the three paths.
k=0
through() {
	k=$((k + 1))
	f="$TMP/$1.eml"
	out=$(mclient -t 60 -s "unix:$sock" -q "Q$k" -f a@example.org \
	    -r b@example.net -m "$f" 2>&1 | tee "$TMP/$1.milter")
	wait_log "$TMP/filterd.log" "Q$k: client="
	log=$(grep "Q$k: client=" "$TMP/filterd.log")
	like "$out" "$2" "$1: milter: $2"
	like "$log" "${5:-action=}" "$1: its log line: ${5:-action=}"
	unlike "$log" 'failure=' "$1: milter: never on_failure"
	out=$("$feed" -m "$f" -- "$filterd" -v -x opensmtpd \
	    -f "$TMP/filterd.conf" 2> "$TMP/s.err")
	like "$out" "$3" "$1: OpenSMTPD: $3"
	out=$("$filterd" -t "$f" -f "$TMP/filterd.conf" 2> "$TMP/t.err")
	like "$out" "$4" "$1: filterd -t: $4"
}

through big '^reply 550 5\.7\.1 Big header seen$' \
    '^commit: reject\|550 5\.7\.1 Big header seen$' \
    '^reply: 550 5\.7\.1 Big header seen$' 'action=reject rules=big '
through bigger '^reply 552 5\.3\.4 ' '^commit: reject\|552 5\.3\.4 ' \
    '^oversize: over limits\.message_size' \
    'action=reject .*oversize="over limits\.message_size"$'
# 8 MB of header alone: the milter frontend answers before the body.
through hugehead '^reply 552 5\.3\.4 ' '^commit: reject\|552 5\.3\.4 ' \
    '^oversize: over limits\.message_size' \
    'action=reject .*oversize="over limits\.message_size"$'
# With no reply to the header steps, the first answer is at end of message.
if mc_noreply; then
	like "$(cat "$TMP/hugehead.milter")" '^phase eom$' \
	    "hugehead: milter: answered at end of message (no-reply steps)"
else
	like "$(cat "$TMP/hugehead.milter")" '^phase header$' \
	    "hugehead: milter: answered in the header, the body never read"
fi
through folded '^reply 550 5\.7\.1 Folded header seen$' \
    '^commit: reject\|550 5\.7\.1 Folded header seen$' \
    '^reply: 550 5\.7\.1 Folded header seen$' 'action=reject rules=folded '
through exact '^action (accept|continue)$' '^commit: proceed$' \
    '^action: accept$' 'action=accept rules=- .* worker=[1-9][0-9]* time=[0-9]+ms gen=1$'
through exact1 '^reply 552 5\.3\.4 ' '^commit: reject\|552 5\.3\.4 ' \
    '^oversize: over limits\.message_size' \
    'action=reject .*oversize="over limits\.message_size"$'

# The defaults' boundaries, through filterd -t.  long N: one field of N.
long() {
	# Doubled, not sprintf'd: mawk's sprintf stops at 8 KiB.
	awk -v n="$1" 'BEGIN {
		for (c = "c"; length(c) < n; c = c c)
			;
		printf "From: a@example.org\nSubject: long\nX-Long: %s\n\nbody\n",
		    substr(c, 1, n)
	}'
}
long 102400 > "$TMP/long.eml"
long 102401 > "$TMP/long1.eml"
ok $([ "$(wc -c < "$TMP/long1.eml")" -eq $((102401 + 49)) ]; echo $?) \
    "the long field's message is as long as it should be"
out=$("$filterd" -t "$TMP/long.eml" -f "$TMP/filterd.conf" 2>&1)
like "$out" '^action: accept$' "a field of 102400 bytes is filtered"
out=$("$filterd" -t "$TMP/long1.eml" -f "$TMP/filterd.conf" 2>&1)
like "$out" '^reply: 552 5\.3\.4 Message exceeds a limit: 102401 bytes in one header, at most 102400$' \
    "one of 102401 bytes gets limits.oversize"
# many N: N fields in all.
many() {
	awk -v n="$1" 'BEGIN {
		printf "From: a@example.org\nSubject: many\n"
		for (i = 2; i < n; i++)
			printf "X-H-%d: %d\n", i, i
		printf "\nbody\n"
	}'
}
many 10000 > "$TMP/many.eml"
many 10001 > "$TMP/many1.eml"
out=$("$filterd" -t "$TMP/many.eml" -f "$TMP/filterd.conf" 2>&1)
like "$out" '^action: accept$' "10000 fields are filtered"
out=$("$filterd" -t "$TMP/many1.eml" -f "$TMP/filterd.conf" 2>&1)
like "$out" '^oversize: over the bound on header fields' \
    "10001 fields get limits.oversize"
kill -0 "$filterd_pid"
ok $? "filterd is still running"
tap_done
