# t/tap.sh: TAP helpers and a filterd runner for the shell tests.  Sourced.
# Each test gets its own temporary directory, removed on exit, and every
# process it starts is stopped on exit, whatever happened.

top_srcdir=${top_srcdir:-$(cd "$(dirname "$0")/.." && pwd)}
top_builddir=${top_builddir:-$top_srcdir}
TMP=$(mktemp -d "${TMPDIR:-/tmp}/filterd-t.XXXXXX")
tap_n=0
tap_fail=0
tap_pids=""

tap_cleanup() {
	for p in $tap_pids; do
		kill "$p" 2>/dev/null
	done
	for p in $tap_pids; do
		i=0
		while kill -0 "$p" 2>/dev/null && [ $i -lt 50 ]; do
			sleep 0.1
			i=$((i + 1))
		done
		kill -9 "$p" 2>/dev/null
	done
	rm -rf "$TMP"
}
trap tap_cleanup EXIT
trap 'exit 1' INT TERM

plan() { echo "1..$1"; }
skip_all() { echo "1..0 # SKIP $*"; exit 0; }
diag() { echo "$*" | sed 's/^/# /'; }

ok() {	# ok CONDITION-EXIT-STATUS DESCRIPTION
	tap_n=$((tap_n + 1))
	if [ "$1" -eq 0 ]; then
		echo "ok $tap_n - $2"
	else
		echo "not ok $tap_n - $2"
		tap_fail=$((tap_fail + 1))
	fi
}

# like OUTPUT REGEX DESCRIPTION: OUTPUT matches the extended regex.
like() {
	if printf '%s\n' "$1" | grep -Eq -- "$2"; then
		ok 0 "$3"
	else
		ok 1 "$3"
		diag "expected /$2/ in:"
		diag "$1"
	fi
}

# unlike OUTPUT REGEX DESCRIPTION: OUTPUT does not match.
unlike() {
	if printf '%s\n' "$1" | grep -Eq -- "$2"; then
		ok 1 "$3"
		diag "did not expect /$2/ in:"
		diag "$1"
	else
		ok 0 "$3"
	fi
}

tap_done() { [ "$tap_fail" -eq 0 ]; exit $?; }

# conf_for SRC: writes $TMP/filterd.conf from SRC with listen, user,
# worker_user and chroot set for this test, so that nothing outside $TMP is
# touched; prints the socket path.  As root, the users must exist
# (FILTERD_TEST_USER, default nobody; FILTERD_TEST_WORKER_USER, default
# filterd-worker, which ./autogen.sh --deps creates).
conf_for() {
	sock="$TMP/filterd.sock"
	sed -e "s#^listen = .*#listen = \"unix:$sock\";#" \
	    -e "s#^user = .*#user = \"${FILTERD_TEST_USER:-nobody}\";#" \
	    -e "/^worker_user = /d" -e "/^chroot = /d" \
	    "$1" > "$TMP/filterd.conf"
	echo "worker_user = \"${FILTERD_TEST_WORKER_USER:-filterd-worker}\";" \
	    >> "$TMP/filterd.conf"
	echo "chroot = \"$TMP/empty\";" >> "$TMP/filterd.conf"
	# Each test its own pidfile: the default is one for the machine.
	sed -i "/^pidfile = /d" "$TMP/filterd.conf"
	echo "pidfile = \"$TMP/filterd.pid\";" >> "$TMP/filterd.conf"
	echo "$sock"
}

# start_filterd BINARY: runs BINARY -d -v -f $TMP/filterd.conf in the
# background, logging to $TMP/filterd.log, and waits up to 10 s for its
# socket, or until it has exited.  A socket left by an earlier run is
# removed first, so that only the new one counts.
start_filterd() {
	rm -f "$TMP/filterd.sock"
	"$1" -d -v -f "$TMP/filterd.conf" > "$TMP/filterd.log" 2>&1 &
	filterd_pid=$!
	tap_pids="$tap_pids $filterd_pid"
	i=0
	while [ ! -S "$TMP/filterd.sock" ] && [ $i -lt 100 ] &&
	    kill -0 "$filterd_pid" 2>/dev/null; do
		sleep 0.1
		i=$((i + 1))
	done
	[ -S "$TMP/filterd.sock" ]
}

# The supervisor is the child of the parent process filterd_pid; the
# spawners are its other children, that run the spawner program
# (filterd-spawner, or t/filterd-hostile-spawner).
supervisor_pid() {
	ps -o pid=,args= --ppid "$filterd_pid" |
	    awk '$2 !~ /-spawner$/ { print $1; exit }'
}
spawner_pids() {
	ps -o pid=,args= --ppid "$filterd_pid" |
	    awk '$2 ~ /-spawner$/ { print $1 }'
}

# wait_log FILE REGEX: waits up to 10 s for FILE to match the extended
# regex; returns whether it does.  Tests wait for what they need this
# way (or for a socket or a process), never for a fixed time.
wait_log() {
	_i=0
	while ! grep -Eq -- "$2" "$1" 2>/dev/null && [ $_i -lt 100 ]; do
		sleep 0.1
		_i=$((_i + 1))
	done
	grep -Eq -- "$2" "$1" 2>/dev/null
}

# wait_log_after N REGEX: as wait_log, on $TMP/filterd.log past its line N.
wait_log_after() {
	_i=0
	while ! tail -n +$(($1 + 1)) "$TMP/filterd.log" | grep -Eq -- "$2" &&
	    [ $_i -lt 100 ]; do
		sleep 0.1
		_i=$((_i + 1))
	done
	tail -n +$(($1 + 1)) "$TMP/filterd.log" | grep -Eq -- "$2"
}

mclient() { "${MCLIENT:-$top_builddir/t/mclient}" -t 20 "$@"; }
# Whether mclient offers the no-reply steps: milter protocol 6, its default
# (MCLIENT_PROTOCOL=2, 3 or 4 plays an MTA without them).
mc_noreply() { [ "${MCLIENT_PROTOCOL:-6}" = 6 ]; }
