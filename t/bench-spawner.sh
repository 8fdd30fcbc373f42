#!/bin/sh
# bench-spawner.sh: what the spawners and their workers cost per message,
# counted by perf(1) while t/bench loads filterd.  A load tool, not a test:
# make check never runs it.  Trusts its environment; cleans up after
# itself.  Needs perf with access to tracepoints (root, or a low
# perf_event_paranoid).
#
# It starts filterd -d on a temporary socket, warms it up, then counts,
# over BENCH_N messages, on the spawners and every worker they fork, and
# on the parent and every spawner it starts from then on (perf stat -p,
# inherited; not the supervisor): CPU time, page faults, context switches
# and system calls, and prints each per message.  Then faults and system
# calls a worker, split by process name (filterd-spawner, filterd-worker:
# a worker takes its name after the fork, so what it does before counts as
# the spawner's), from perf record over an earlier load of at most 600.
#
# Environment:
#   builddir, srcdir   where t/bench and conf/filterd.conf are (".")
#   FILTERD            the filterd to measure ($builddir/filterd/filterd)
#   BENCH_CONF         configuration ($srcdir/conf/filterd.conf); its
#                      listen line is rewritten, and as root its user line
#                      to "nobody" when there is no user filterd
#   BENCH_CONC         concurrent connections (8)
#   BENCH_N            messages counted (2000)
set -u

builddir=${builddir:-.}
srcdir=${srcdir:-.}
filterd=${FILTERD:-$builddir/filterd/filterd}
conf_src=${BENCH_CONF:-$srcdir/conf/filterd.conf}
conc=${BENCH_CONC:-8}
total=${BENCH_N:-2000}
split=$((total < 600 ? total : 600))

fail() {
	echo "bench-spawner.sh: $*" >&2
	exit 1
}

command -v perf >/dev/null 2>&1 || fail "no perf"
[ -x "$builddir/t/bench" ] || fail "$builddir/t/bench is not built"
[ -x "$filterd" ] || fail "$filterd is not built"

tmp=$(mktemp -d "${TMPDIR:-/tmp}/fdbenchsp.XXXXXX") || exit 1
fd_pid=
cleanup() {
	[ -n "$fd_pid" ] && kill -TERM "$fd_pid" 2>/dev/null &&
	    wait "$fd_pid" 2>/dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

sock=$tmp/filterd.sock
user_expr=
if [ "$(id -u)" = 0 ] && ! id filterd >/dev/null 2>&1; then
	user_expr='s|^user[ 	=].*|user = "nobody";|'
fi
sed -e "s|^listen[ 	=].*|listen = \"unix:$sock\";|" \
    ${user_expr:+-e} ${user_expr:+"$user_expr"} "$conf_src" \
    >"$tmp/filterd.conf" || fail "cannot write $tmp/filterd.conf"
"$filterd" -d -f "$tmp/filterd.conf" >"$tmp/filterd.log" 2>&1 &
fd_pid=$!
i=0
while [ ! -S "$sock" ]; do
	kill -0 "$fd_pid" 2>/dev/null || fail "filterd exited: $(cat \
	    "$tmp/filterd.log")"
	[ $i -lt 100 ] || fail "no socket after 10 s"
	sleep 0.1
	i=$((i + 1))
done
load() {
	"$builddir/t/bench" -s "unix:$sock" -c "$conc" -n "$1" -w 0 ||
	    fail "t/bench failed"
}
load 200 >/dev/null
spawners=$(pgrep -P "$fd_pid" -f 'filterd -S' | tr '\n' ',' | sed 's/,$//')
[ -n "$spawners" ] || fail "no spawner"
# The parent too: the spawners it starts later (one retires after
# workers.max_served) are counted from their start, set-up included.
spawners="$fd_pid,$spawners"

# The split by name, from one record of every fault and system call, over
# at most 600 messages: before the first spawner has served
# workers.max_served (1000 by default) and retires, which would end the
# record.
perf record -q -c 1 -e page-faults,raw_syscalls:sys_enter -p "$spawners" \
    -o "$tmp/rec" 2>"$tmp/rec.err" &
perf_pid=$!
sleep 1
load "$split" >/dev/null
kill -INT "$perf_pid" 2>/dev/null || sed 's/^/  perf: /' "$tmp/rec.err" >&2
wait "$perf_pid" 2>/dev/null
workers=$(perf report -i "$tmp/rec" --sort pid -g none 2>/dev/null |
    grep ':filterd-worker' | awk '{ print $NF }' | sort -u | wc -l)
perf report -i "$tmp/rec" --sort comm -n -g none 2>/dev/null |
    awk -v w="$workers" '
	/^# Samples: .* of event / { ev = $NF; gsub("\047", "", ev) }
	$3 ~ /^filterd-/ && w > 0 {
		printf "  %-24s %-16s %7.1f a worker\n", ev, $3, $2 / w
	}' >"$tmp/split"
echo "  (split over $workers workers)" >>"$tmp/split"

# perf stat over one load; the counters follow every new worker.
perf stat -x, -e task-clock,page-faults,context-switches,raw_syscalls:sys_enter \
    -p "$spawners" -o "$tmp/stat" &
perf_pid=$!
sleep 1
load "$total" >"$tmp/load1"
kill -INT "$perf_pid"
wait "$perf_pid" 2>/dev/null
echo "$(basename "$filterd") ($filterd): $(cat "$tmp/load1")"
awk -F, -v n="$total" '
	$3 == "task-clock" { printf "  CPU          %8.1f us a message\n", $1 * 1000 / n }
	$3 == "page-faults" { printf "  page faults  %8.1f a message\n", $1 / n }
	$3 == "context-switches" { printf "  switches     %8.1f a message\n", $1 / n }
	$3 == "raw_syscalls:sys_enter" { printf "  syscalls     %8.1f a message\n", $1 / n }
' "$tmp/stat"
cat "$tmp/split"
