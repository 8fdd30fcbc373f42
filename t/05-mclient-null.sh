#!/bin/sh
# 05-mclient-null: end to end through a real socket, our milter client
# (t/mclient) against a do-nothing libmilter milter (t/nullmilter).  Checks
# the client and the harness the daemon's tests build on: a message is
# accepted, a client that disconnects mid-body or aborts does not upset the
# milter, -n repeats.  TAP output.  Trusts only its own temp directory.
set -u

top_builddir=${top_builddir:-.}
top_srcdir=${top_srcdir:-$(dirname "$0")/..}
mclient=$top_builddir/t/mclient
nullmilter=$top_builddir/t/nullmilter

n=0
ok() {
	n=$((n + 1))
	echo "ok $n - $1"
}
failures=0
not_ok() {
	n=$((n + 1))
	failures=$((failures + 1))
	echo "not ok $n - $1"
}
# check DESC COMMAND...: ok when the command succeeds.
check() {
	desc=$1
	shift
	if "$@"; then ok "$desc"; else not_ok "$desc"; fi
}

echo "1..14"

if [ ! -x "$mclient" ] || [ ! -x "$nullmilter" ]; then
	echo "Bail out! $mclient or $nullmilter not built"
	exit 1
fi

tmp=$(mktemp -d "${TMPDIR:-/tmp}/fd05.XXXXXX") || exit 1
pid=
cleanup() {
	if [ -n "$pid" ]; then
		kill -TERM "$pid" 2>/dev/null
		# Up to 5 s to exit (polled, not a fixed sleep), then SIGKILL.
		i=0
		while kill -0 "$pid" 2>/dev/null && [ $i -lt 50 ]; do
			sleep 0.1
			i=$((i + 1))
		done
		kill -KILL "$pid" 2>/dev/null
		wait "$pid" 2>/dev/null
	fi
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# Every client run is bounded: -t for each read, timeout(1) for the whole.
to=
command -v timeout >/dev/null 2>&1 && to="timeout 30"
mc() {
	$to "$mclient" -s "unix:$tmp/null.sock" -t 5 "$@"
}

{
	printf 'Received: from client.example.com\n'
	printf '\tby mx.example.org (Postfix)\n'
	printf 'From: Alice <alice@example.com>\n'
	printf 'To: Bob <bob@example.net>\n'
	printf 'Subject: test message\n'
	printf '\n'
	i=0
	while [ $i -lt 40 ]; do
		printf 'body line %d of a small message\n' $i
		i=$((i + 1))
	done
} >"$tmp/msg.eml"
{
	printf 'Subject: big\n\n'
	i=0
	while [ $i -lt 3000 ]; do
		printf '%070d\n' $i
		i=$((i + 1))
	done
} >"$tmp/big.eml"

"$nullmilter" -p "unix:$tmp/null.sock" >"$tmp/null.log" 2>&1 &
pid=$!
i=0
while [ ! -S "$tmp/null.sock" ] && [ $i -lt 100 ] &&
    kill -0 "$pid" 2>/dev/null; do
	sleep 0.1
	i=$((i + 1))
done
if [ ! -S "$tmp/null.sock" ]; then
	sed 's/^/# /' "$tmp/null.log"
	echo "Bail out! nullmilter does not listen"
	exit 1
fi
ok "nullmilter listens on $tmp/null.sock"

mc -m "$tmp/msg.eml" >"$tmp/out1" 2>"$tmp/err1"
check "mclient exits 0 for a plain message" [ $? -eq 0 ]
check "the verdict is action accept" grep -qx 'action accept' "$tmp/out1"
check "the transaction ended at phase eom" grep -qx 'phase eom' "$tmp/out1"

mc <"$tmp/msg.eml" >"$tmp/out2" 2>&1
check "a message on standard input is accepted" \
    grep -qx 'action accept' "$tmp/out2"

mc -m "$tmp/big.eml" >"$tmp/out3" 2>&1
check "a 213 KB body, sent in several chunks, is accepted" \
    grep -qx 'action accept' "$tmp/out3"

mc -m "$tmp/msg.eml" -x 100 >"$tmp/out4" 2>&1
rc=$?
check "-x 100 exits 0" [ $rc -eq 0 ]
check "-x 100 reports the disconnect in the body" \
    grep -qx 'disconnect 100' "$tmp/out4"

mc -m "$tmp/msg.eml" >"$tmp/out5" 2>&1
check "nullmilter serves the next message after a disconnect" \
    grep -qx 'action accept' "$tmp/out5"

mc -m "$tmp/msg.eml" -A 100 >"$tmp/out6" 2>&1
check "-A 100 aborts, then the same connection gets a verdict" \
    [ "$(tr '\n' ' ' <"$tmp/out6")" = \
    "abort 100 phase body action accept phase eom " ]

mc -m "$tmp/msg.eml" -n 3 >"$tmp/out7" 2>&1
check "-n 3 sends three messages, all accepted" \
    [ "$(grep -cx 'action accept' "$tmp/out7")" -eq 3 ]

mc -m "$tmp/msg.eml" -v >"$tmp/out8" 2>&1
check "-v shows protocol version 6 negotiated" \
    grep -q '^optneg version=6 ' "$tmp/out8"

$to "$mclient" -s "unix:$tmp/none.sock" -t 5 -m "$tmp/msg.eml" \
    >"$tmp/out9" 2>"$tmp/err9"
rc=$?
failed_cleanly() {
	[ $rc -eq 1 ] && [ -s "$tmp/err9" ] && [ ! -s "$tmp/out9" ]
}
check "a missing socket is an error: exit 1, message on stderr" \
    failed_cleanly

check "nullmilter is still running" kill -0 "$pid"

# On failure, show what the client said.
if [ $failures -gt 0 ]; then
	for f in "$tmp"/out* "$tmp"/err*; do
		sed "s|^|# $(basename "$f"): |" "$f"
	done
fi
