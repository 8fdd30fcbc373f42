#!/bin/bash
# bench-perf.sh: the "make bench-perf" driver -- where the CPU goes, per
# message and per process role, under the load of "make bench"'s 2k
# scenario (2 KB, 8 connections, one message a connection), for filterd
# and for t/nullmilter, with perf(1) recording system-wide.
#
# It starts t/nullmilter and filterd on temporary unix sockets, warms both
# up, and then for each runs t/bench under "perf record -a" twice:
#
#   1. cpu-clock sampling (BENCH_PERF_FREQ per CPU): CPU microseconds a
#      message, user and kernel time together;
#   2. every raw_syscalls:sys_enter and sched:sched_switch event: system
#      calls and context switches (switches away from the process) a
#      message.  Recording every event slows the load down, so this pass
#      gives counts, not times.
#
# Samples are given to a process by the process tree that perf recorded
# (its fork events), not by name alone, so that other filterd instances
# on the machine count as "rest of the system": within filterd's tree
# (the process started, the "parent", and all its descendants) the role is
# the process name filterd gives it -- filterd-super (supervisor, all its
# threads), filterd-spawner (spawner; also a worker between fork and its
# prctl), filterd-worker (worker), filterd (the parent, and the
# configuration check child); any other name in the tree is listed as
# such.  t/nullmilter is its own pid (all its threads); t/bench is the
# load generator (perf's child).  Idle time is left out.
#
# Then, per process name, its most sampled symbols.  Read them with care
# in a virtual machine: where the guest takes the sampling timer only when
# it enables interrupts again (this project's machines: pvm_irq_enable),
# kernel work done with interrupts off -- page-table updates, fork, exit
# -- is sampled there, not where it ran.  The per-process totals are not
# affected.
#
# Environment (builddir, srcdir, BENCH_CONF, BENCH_USER, BENCH_FILTERD as
# for t/bench.sh):
#   BENCH_PERF_N      measured messages, pass 1 (3000)
#   BENCH_PERF_N2     measured messages, pass 2 (1000)
#   BENCH_CONC        connections (8)
#   BENCH_SIZE        body bytes (2048)
#   BENCH_PERF_FREQ   cpu-clock samples a second per CPU (1999)
#   BENCH_PERF_SYMS   how many of each process's most sampled symbols to
#                     list after the table (6; 0: none)
#   BENCH_PERF_KEEP=DIR   keep the perf.data files in DIR (perf report -i
#                     DIR/cpu-filterd.data --sort comm,dso,sym for more)
# Needs perf (Debian package linux-perf) and root, or a
# perf_event_paranoid that allows system-wide recording and tracepoints.
set -u

builddir=${builddir:-${top_builddir:-.}}
srcdir=${srcdir:-${top_srcdir:-.}}
n1=${BENCH_PERF_N:-3000}
n2=${BENCH_PERF_N2:-1000}
conc=${BENCH_CONC:-8}
size=${BENCH_SIZE:-2048}
freq=${BENCH_PERF_FREQ:-1999}
conf_src=${BENCH_CONF:-$srcdir/conf/filterd.conf}
fd_bin=${BENCH_FILTERD:-$builddir/filterd/filterd}
keep=${BENCH_PERF_KEEP:-}
nsyms=${BENCH_PERF_SYMS:-6}

fail() {
	echo "bench-perf.sh: $*" >&2
	exit 1
}

# psi: the CPU pressure of the last minute (share of time some runnable
# task waited for a CPU), which says more than the load how much others
# took of the machine; nothing where the kernel has no PSI.
psi() {
	[ -r /proc/pressure/cpu ] &&
	    sed -n 's/^some avg10=[^ ]* avg60=\([^ ]*\).*/; cpu pressure 60 s: \1%/p' \
	    /proc/pressure/cpu
}

if ! command -v perf >/dev/null 2>&1 || ! perf version >/dev/null 2>&1
then
	echo "bench-perf: skipped: no perf (Debian package linux-perf)"
	exit 0
fi
for p in "$builddir/t/bench" "$builddir/t/nullmilter" "$fd_bin"; do
	[ -x "$p" ] || fail "$p is not built"
done
[ -r "$conf_src" ] || fail "cannot read $conf_src"

tmp=$(mktemp -d "${TMPDIR:-/tmp}/fdbench-perf.XXXXXX") || exit 1
pids=
cleanup() {
	local p i
	for p in $pids; do
		kill -TERM "$p" 2>/dev/null
	done
	for p in $pids; do
		i=0
		while kill -0 "$p" 2>/dev/null && [ $i -lt 100 ]; do
			sleep 0.1
			i=$((i + 1))
		done
		kill -KILL "$p" 2>/dev/null
		wait "$p" 2>/dev/null
	done
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

if ! perf record -a -e raw_syscalls:sys_enter -c 1 -o "$tmp/probe.data" \
    -- true >"$tmp/probe.log" 2>&1; then
	echo "bench-perf: skipped: perf cannot record system-wide" \
	    "tracepoints here: $(tail -n 1 "$tmp/probe.log")"
	exit 0
fi

user=${BENCH_USER:-}
if [ -z "$user" ] && [ "$(id -u)" = 0 ] && ! id filterd >/dev/null 2>&1; then
	user=nobody
fi
sed -e "s|^listen[ 	=].*|listen = \"unix:$tmp/filterd.sock\";|" \
    -e "s|^pidfile[ 	=].*|pidfile = \"$tmp/filterd.pid\";|" \
    ${user:+-e} ${user:+"s|^user[ 	=].*|user = \"$user\";|"} \
    "$conf_src" >"$tmp/filterd.conf" || fail "cannot write the configuration"

wait_socket() {	# PATH PID LOG
	local i=0
	while [ ! -S "$1" ]; do
		kill -0 "$2" 2>/dev/null ||
		    { sed 's/^/  | /' "$3" >&2; fail "no socket $1"; }
		[ $i -lt 600 ] || fail "no socket $1 after 60 s"
		sleep 0.1
		i=$((i + 1))
	done
}

"$builddir/t/nullmilter" -p "unix:$tmp/null.sock" >"$tmp/null.log" 2>&1 &
null_pid=$!
"$fd_bin" -d -f "$tmp/filterd.conf" >"$tmp/filterd.log" 2>&1 &
fd_pid=$!
pids="$null_pid $fd_pid"
wait_socket "$tmp/null.sock" "$null_pid" "$tmp/null.log"
wait_socket "$tmp/filterd.sock" "$fd_pid" "$tmp/filterd.log"

load() {	# SOCKET N
	"$builddir/t/bench" -s "unix:$1" -c "$conc" -n "$2" -w 0 -b "$size"
}

# attribute DATA ROOTPID N: per role, events (or ns of cpu-clock with
# "period") a message, from perf script's output.
attribute() {
	perf script -i "$1" --show-task-events -F comm,pid,tid,period,event \
	    2>/dev/null | awk -v root="$2" -v n="$3" -v null="$null_pid" '
	# "comm 0/0 PERF_RECORD_FORK(child:ctid):(parent:ptid)"
	/PERF_RECORD_FORK\(/ {
		s = $0
		sub(/.*PERF_RECORD_FORK\(/, "", s)
		split(s, a, /[():]+/)
		if (a[1] != a[3])
			parent[a[1]] = a[3]
		next
	}
	/PERF_RECORD_/ { next }
	{
		# comm may hold blanks: the pid/tid field is the anchor.
		for (i = 1; i <= NF && $i !~ /^[0-9]+\/[0-9]+$/; i++)
			;
		if (i > NF)
			next
		comm = $1
		for (j = 2; j < i; j++)
			comm = comm " " $j
		split($i, pt, "/")
		pid = pt[1]
		ev = $(i + 2)
		sub(/:$/, "", ev)
		w = (ev == "cpu-clock") ? $(i + 1) : 1
		if (pid == 0)
			next			# idle
		role = ""
		if (pid == null)
			role = "nullmilter"
		else {
			for (p = pid; p != "" && p != root && p > 1; p = parent[p])
				;
			if (p == root) {
				if (comm == "filterd-super")
					role = "supervisor"
				else if (comm == "filterd-spawner")
					role = "spawner"
				else if (comm == "filterd-worker")
					role = "worker"
				else if (comm == "filterd")
					role = "parent (and checker)"
				else
					role = "filterd tree: " comm
			} else if (comm == "bench")
				role = "t/bench (client)"
			else if (comm == "perf")
				role = "perf itself"
			else
				role = "rest of the system"
		}
		sum[ev, role] += w
		roles[role] = 1
		evs[ev] = 1
	}
	END {
		for (role in roles)
			for (ev in evs)
				if ((ev, role) in sum)
					printf "%s\t%s\t%.3f\n", role, ev,
					    sum[ev, role] / n
	}'
}

echo "bench-perf: $(uname -r), $(nproc) CPUs; $conc connections," \
    "$size-byte body; filterd: $fd_bin"
echo "bench-perf: uptime: $(uptime)$(psi)"
load "$tmp/null.sock" 200 >/dev/null || fail "warm-up of nullmilter failed"
load "$tmp/filterd.sock" 200 >/dev/null || fail "warm-up of filterd failed"
for m in nullmilter filterd; do
	if [ $m = nullmilter ]; then sock=$tmp/null.sock root=$null_pid
	else sock=$tmp/filterd.sock root=$fd_pid; fi
	line=$(perf record -q -a -e cpu-clock -F "$freq" \
	    -o "$tmp/cpu-$m.data" -- "$builddir/t/bench" -s "unix:$sock" \
	    -c "$conc" -n "$n1" -w 0 -b "$size" 2>"$tmp/perf-$m.log") ||
	    { cat "$tmp/perf-$m.log" >&2; fail "pass 1 against $m failed"; }
	echo "$m, pass 1 (cpu-clock): $line"
	line=$(perf record -q -a -e raw_syscalls:sys_enter \
	    -e sched:sched_switch -c 1 -o "$tmp/sys-$m.data" -- \
	    "$builddir/t/bench" -s "unix:$sock" -c "$conc" -n "$n2" -w 0 \
	    -b "$size" 2>>"$tmp/perf-$m.log") ||
	    { cat "$tmp/perf-$m.log" >&2; fail "pass 2 against $m failed"; }
	echo "$m, pass 2 (syscalls, switches): $line"
	{
		attribute "$tmp/cpu-$m.data" "$root" "$n1"
		attribute "$tmp/sys-$m.data" "$root" "$n2"
	} | sed "s/^/$m	/" >>"$tmp/table"
done
echo "bench-perf: uptime: $(uptime)$(psi)"
# syms DATA COMM...: the most sampled symbols of each process name (by
# name only: another filterd on the machine would count here too).
syms() {
	local data=$1
	shift
	perf script -i "$data" -F comm,ip,sym 2>/dev/null |
	    awk -v names=" $* " -v top="$nsyms" '
	index(names, " " $1 " ") {
		c = $1
		$1 = ""
		$2 = ""
		sub(/^ +/, "")
		n[c]++
		k[c, $0]++
		seen[c, $0] = 1
	}
	END {
		split(substr(names, 2), list, " ")
		for (i = 1; list[i] != ""; i++) {
			c = list[i]
			if (n[c] == 0)
				continue
			printf "%s, most sampled symbols:", c
			m = 0
			for (j = 0; j < top; j++) {
				best = ""; bv = 0
				for (key in seen) {
					split(key, kk, SUBSEP)
					if (kk[1] == c && k[key] > bv) {
						bv = k[key]; best = kk[2]
					}
				}
				if (bv == 0)
					break
				printf " %s %.0f%%;", best, 100 * bv / n[c]
				delete seen[c, best]
			}
			printf "\n"
		}
	}'
}

if [ -n "$keep" ]; then
	mkdir -p "$keep" && cp "$tmp"/*.data "$keep"/ &&
	    echo "bench-perf: perf data kept in $keep"
fi

echo
echo "Per message (2 KB, $conc connections): CPU us (cpu-clock samples," \
    "user + kernel), system calls, context switches"
awk -F '\t' '
function rank(role) {
	if (role == "nullmilter") return 1
	if (role == "supervisor") return 2
	if (role == "spawner") return 3
	if (role == "worker") return 4
	if (role == "parent (and checker)") return 5
	if (role ~ /^filterd tree: /) return 6
	if (role == "t/bench (client)") return 8
	if (role == "perf itself") return 9
	return 10
}
{
	run[$1] = 1
	role[$1, $2] = 1
	v[$1, $2, $3] = $4
}
function row(r, name, cpu, sc, sw) {
	printf "| %s | %s | %.0f | %.1f | %.1f |\n", r, name, cpu / 1000,
	    sc, sw
}
END {
	print "| run | process | CPU us/msg | syscalls/msg | switches/msg |"
	print "| --- | --- | --- | --- | --- |"
	split("nullmilter filterd", runs, " ")
	for (i = 1; i <= 2; i++) {
		r = runs[i]
		if (!(r in run))
			continue
		tc = ts = tw = 0
		for (k = 1; k <= 10; k++)
			for (key in role) {
				split(key, kr, SUBSEP)
				if (kr[1] != r || rank(kr[2]) != k)
					continue
				# The other milter, idle in this run.
				if ((r == "filterd" && k == 1) ||
				    (r == "nullmilter" && k > 1 && k <= 6))
					continue
				c = v[r, kr[2], "cpu-clock"]
				sc = v[r, kr[2], "raw_syscalls:sys_enter"]
				sw = v[r, kr[2], "sched:sched_switch"]
				if (k <= 6) {
					tc += c; ts += sc; tw += sw
				}
				if (k == 8)
					row(r, "**" r " in all**", tc, ts, tw)
				row(r, kr[2], c, sc, sw)
			}
	}
}' "$tmp/table"
if [ "$nsyms" -gt 0 ]; then
	echo
	syms "$tmp/cpu-nullmilter.data" nullmilter
	syms "$tmp/cpu-filterd.data" filterd-super filterd-spawner \
	    filterd-worker
fi
