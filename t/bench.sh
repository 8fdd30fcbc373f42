#!/bin/sh
# bench.sh: the "make bench" driver.  Starts t/nullmilter and filterd on
# temporary unix sockets, runs the same load (t/bench) against each in the
# same run, and prints both result lines and ratio=R, filterd's messages per
# second over nullmilter's.  Trusts its environment; cleans up after itself.
#
# Environment:
#   builddir, srcdir   where the programs and conf/filterd.conf are (".")
#   BENCH_CONC         concurrent connections (8)
#   BENCH_N            measured messages per milter (5000)
#   BENCH_WARMUP       warm-up messages per milter, not measured (200)
#   BENCH_CONF         configuration to start from ($srcdir/conf/filterd.conf);
#                      its "listen" line is rewritten to a temporary socket
#   BENCH_USER         rewrite its "user" line to this user; when run as root
#                      and there is no user "filterd", "nobody" is used.
#                      As root, its worker_user must exist too
#                      (./autogen.sh --deps creates "filterd-worker")
#   FILTERD_CMD        command that starts the milter under test instead of
#                      "$builddir/filterd/filterd -d -f $FILTERD_CONF"; it is
#                      run by sh with FILTERD_SOCK (the socket path to listen
#                      on) and FILTERD_CONF exported, e.g.
#                      FILTERD_CMD='t/nullmilter -p unix:$FILTERD_SOCK'
set -u

builddir=${builddir:-.}
srcdir=${srcdir:-.}
conc=${BENCH_CONC:-8}
total=${BENCH_N:-5000}
warmup=${BENCH_WARMUP:-200}
conf_src=${BENCH_CONF:-$srcdir/conf/filterd.conf}

tmp=$(mktemp -d "${TMPDIR:-/tmp}/fdbench.XXXXXX") || exit 1
null_pid=
fd_pid=

cleanup() {
	for pid in $fd_pid $null_pid; do
		kill -TERM "$pid" 2>/dev/null
	done
	for pid in $fd_pid $null_pid; do
		i=0
		while kill -0 "$pid" 2>/dev/null && [ $i -lt 50 ]; do
			sleep 0.1
			i=$((i + 1))
		done
		kill -KILL "$pid" 2>/dev/null
		wait "$pid" 2>/dev/null
	done
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

fail() {
	echo "bench.sh: $*" >&2
	exit 1
}

# wait_socket PATH PID LOG: waits up to 10 s for a milter to listen.
wait_socket() {
	i=0
	while [ ! -S "$1" ]; do
		if ! kill -0 "$2" 2>/dev/null; then
			sed 's/^/  | /' "$3" >&2
			fail "milter exited before listening on $1"
		fi
		[ $i -lt 100 ] || fail "no socket $1 after 10 s"
		sleep 0.1
		i=$((i + 1))
	done
}

for prog in t/bench t/nullmilter; do
	[ -x "$builddir/$prog" ] || fail "$builddir/$prog is not built"
done

FILTERD_SOCK=$tmp/filterd.sock
FILTERD_CONF=$tmp/filterd.conf
export FILTERD_SOCK FILTERD_CONF

if [ -z "${FILTERD_CMD:-}" ]; then
	[ -r "$conf_src" ] || fail "cannot read $conf_src"
	[ -x "$builddir/filterd/filterd" ] ||
	    fail "$builddir/filterd/filterd is not built"
	user=${BENCH_USER:-}
	if [ -z "$user" ] && [ "$(id -u)" = 0 ] &&
	    ! id filterd >/dev/null 2>&1; then
		user=nobody
		echo "bench.sh: no user filterd, running as nobody" >&2
	fi
	wuser=$(sed -n 's/^worker_user[ 	=]*"\(.*\)";.*/\1/p' "$conf_src")
	if [ "$(id -u)" = 0 ] && ! id "${wuser:-filterd-worker}" \
	    >/dev/null 2>&1; then
		fail "no user ${wuser:-filterd-worker} for the workers" \
		    "(./autogen.sh --deps creates it)"
	fi
	listen_expr="s|^listen[ 	=].*|listen = \"unix:$FILTERD_SOCK\";|"
	user_expr="s|^user[ 	=].*|user = \"$user\";|"
	sed -e "$listen_expr" ${user:+-e} ${user:+"$user_expr"} \
	    -e "/^pidfile[ 	=]/d" \
	    "$conf_src" >"$FILTERD_CONF" || fail "cannot write $FILTERD_CONF"
	echo "pidfile = \"$tmp/filterd.pid\";" >>"$FILTERD_CONF"
	grep -q "^listen = \"unix:$FILTERD_SOCK\";" "$FILTERD_CONF" ||
	    fail "no line starting with \"listen\" in $conf_src"
	FILTERD_CMD='"$builddir/filterd/filterd" -d -f "$FILTERD_CONF"'
	export builddir
fi

"$builddir/t/nullmilter" -p "unix:$tmp/null.sock" >"$tmp/nullmilter.log" 2>&1 &
null_pid=$!
sh -c "exec $FILTERD_CMD" >"$tmp/filterd.log" 2>&1 &
fd_pid=$!
wait_socket "$tmp/null.sock" "$null_pid" "$tmp/nullmilter.log"
wait_socket "$FILTERD_SOCK" "$fd_pid" "$tmp/filterd.log"

# run NAME SOCKET: one load; prints "NAME: <bench line>", keeps msgs/s.
run() {
	out=$("$builddir/t/bench" -s "unix:$2" -c "$conc" -n "$total" \
	    -w "$warmup")
	rc=$?
	echo "$1: $out"
	if [ $rc -ne 0 ] || [ -z "$out" ]; then
		sed 's/^/  | /' "$tmp/$1.log" >&2
		fail "bench against $1 failed"
	fi
	rate=$(echo "$out" | sed -n 's/^msgs\/s=\([0-9.]*\) .*/\1/p')
}

echo "bench: concurrency=$conc messages=$total warmup=$warmup"
run nullmilter "$tmp/null.sock"
null_rate=$rate
run filterd "$FILTERD_SOCK"
fd_rate=$rate
awk -v f="$fd_rate" -v n="$null_rate" \
    'BEGIN { printf "ratio=%.3f\n", (n > 0 ? f / n : 0) }'
