#!/bin/bash
# 40-miltertest.sh -- filterd end to end through a unix socket, driven by
# miltertest(8), OpenDKIM's independent milter test client.
#
# Starts filterd unprivileged ("filterd -d -f CONF", CONF being
# conf/filterd.conf with a temporary socket), then runs every
# t/miltertest/NN-*.lua script against it, one TAP test per script.  When
# run as root, filterd is started as $FILTERD_TEST_USER (default nobody)
# through setpriv(1), so that no root is needed or used.
#
# Environment: top_srcdir, top_builddir (set by the harness; default: this
# file's directory/..), FILTERD_CMD (replaces the filterd binary, see
# t/lib-postfix.sh), FILTERD_TEST_USER, T40_LIMIT (whole-test time limit,
# seconds), KEEP_TMP=1 (keep the temporary directory).

# The prologue: bash, the time limit, the paths (t/lib-e2e.sh).
E2E_LIMIT=${T40_LIMIT:-300} E2E_KILL=60
. "$(dirname "$0")/lib-e2e.sh"

. "$here/lib-postfix.sh"

scripts=()
for f in "$here"/miltertest/[0-9]*.lua; do
	[ -e "$f" ] && scripts+=("$f")
done

if ! command -v miltertest >/dev/null 2>&1; then
	echo "1..0 # SKIP miltertest not installed (Debian package miltertest)"
	exit 0
fi
# A missing filterd is a broken build or harness, not a reason to skip.
if reason=$(fd_skip_reason); then
	echo "Bail out! $reason"
	exit 1
fi
runas=""
if [ "$(id -u)" -eq 0 ]; then
	runas="${FILTERD_TEST_USER:-nobody}"
	if ! getent passwd "$runas" >/dev/null ||
	    ! command -v setpriv >/dev/null 2>&1; then
		echo "1..0 # SKIP running as root, and cannot drop to" \
		    "user $runas with setpriv(1)"
		exit 0
	fi
fi

tmp=""
cleanup()
{
	fd_stop 5 >/dev/null
	tmp_remove
}
trap cleanup EXIT

tmp=$(mktemp -d "${TMPDIR:-/tmp}/filterd-t40.XXXXXX") || exit 1
mkdir "$tmp/run"
if [ -n "$runas" ]; then
	chmod 0755 "$tmp"
	chown "$runas" "$tmp/run"
fi
sock="$tmp/run/filterd.sock"
listen="unix:$sock"
log="$tmp/filterd.log"
: >"$log"


# "-- First line of the script." as its description.
describe()
{
	local d
	d=$(sed -n '1s/^-- *//p' "$1")
	echo "$(basename "$1" .lua): ${d:-miltertest script}"
}

echo "1..$((${#scripts[@]} + 3))"

started=1
if fd_write_conf "$top_srcdir/conf/filterd.conf" "$tmp/filterd.conf" \
    "$listen" "${FILTERD_TEST_USER:-nobody}" "$tmp/empty" 2>>"$log"; then
	fd_start "$tmp/filterd.conf" "$log" "$runas"
	fd_wait_ready "$listen" 20 2>>"$log" && started=0
fi
tap "$started" "filterd starts${runas:+ as $runas} and listens on $listen"
if [ "$started" -ne 0 ]; then
	pf_diag "$log" "filterd output"
fi

for s in "${scripts[@]}"; do
	desc=$(describe "$s")
	if [ "$started" -ne 0 ]; then
		tap 1 "$desc (filterd did not start)"
		continue
	fi
	out="$tmp/$(basename "$s" .lua).out"
	timeout --foreground 60 miltertest -D "sock=$listen" \
	    -D "libdir=$here/miltertest" -s "$s" >"$out" 2>&1
	rc=$?
	[ "$rc" -eq 124 ] && echo "miltertest timed out" >>"$out"
	tap "$rc" "$desc"
	[ "$rc" -eq 0 ] || pf_diag "$out" "miltertest -s $(basename "$s")"
done

alive=1
fd_running && alive=0
tap "$alive" "filterd still running after ${#scripts[@]} scripts"

stopped=1
if [ "$started" -eq 0 ] && [ "$alive" -eq 0 ]; then
	fd_stop 15 && stopped=0
fi
tap "$stopped" "filterd exits on SIGTERM within 15s, leaving no process" \
    "behind"

if [ "$failed" -ne 0 ] && [ "$started" -eq 0 ]; then
	pf_diag "$log" "filterd output"
fi
exit 0
