#!/bin/sh
# 32-wx: no filterd process has a mapping both writable and executable.
# PCRE2's JIT (Debian's 10.42 maps its code rwx, and leaves it so) runs only
# where rules are matched: the spawner compiles, then seals the code r-x
# before it forks a worker; the parent and the supervisor, which only
# check configurations (at start and on SIGHUP), never compile any.  Read
# from /proc/PID/maps of the parent, the supervisor, the spawner and a
# pooled worker while mail flows, and again after a reload.
. "${top_srcdir:-$(dirname "$0")/..}/t/tap.sh"

[ -x "${MCLIENT:-$top_builddir/t/mclient}" ] || skip_all "t/mclient not built"
[ -r /proc/self/maps ] || skip_all "no /proc/PID/maps to read"
plan 13
sock=$(conf_for "$top_srcdir/t/data/e2e.conf")
start_filterd "$top_builddir/filterd/filterd"
ok $? "filterd starts"

printf 'From: a@example.org\nSubject: hello\n\nyou have won\n' > "$TMP/m.eml"
out=$(mclient -s "unix:$sock" -f a@example.org -r b@example.net \
    -m "$TMP/m.eml" 2>&1)
like "$out" '^addheader X-Filterd-Rule: lottery$' \
    "a message is filtered by a rule"

# The spawner and a worker of its pool: once the workers the supervisor
# kept ready are closed unused, what is left is the spawner's pool of 2.
wait_log "$TMP/filterd.log" 'idle: [0-9]+ unused workers closed'
spawner=$(spawner_pids | head -1)
i=0
while [ "$(ps -o pid= --ppid "$spawner" | wc -l)" -ne 2 ] && [ $i -lt 100 ]
do
	sleep 0.1
	i=$((i + 1))
done
sup=$(supervisor_pid)
worker=$(ps -o pid= --ppid "$spawner" | head -1 | tr -d ' ')
diag "parent $filterd_pid, supervisor $sup, spawner $spawner, worker $worker"

# wx PID: its writable and executable mappings; jit PID: its anonymous
# executable ones (JIT code has no file behind it).
wx() { awk '$2 ~ /^..x/ && $2 ~ /^.w/' "/proc/$1/maps" 2>&1; }
jit() { awk '$2 ~ /^..x/ && NF == 5' "/proc/$1/maps" 2>&1; }
readable() { [ -r "/proc/$1/maps" ] && head -1 "/proc/$1/maps" > /dev/null 2>&1; }

for role in parent supervisor spawner worker; do
	case $role in
	parent) pid=$filterd_pid ;;
	supervisor) pid=$sup ;;
	spawner) pid=$spawner ;;
	worker) pid=$worker ;;
	esac
	if [ -z "$pid" ] || ! readable "$pid"; then
		ok 1 "the $role's maps can be read"
		ok 1 "(so nothing is known of the $role's JIT code)"
		continue
	fi
	m=$(wx "$pid")
	ok $([ -z "$m" ]; echo $?) "the $role has no writable and executable mapping"
	[ -z "$m" ] || diag "$m"
	case $role in
	spawner|worker)
		ok $([ -n "$(jit "$pid")" ]; echo $?) \
		    "the $role has JIT code, read and execute only" ;;
	*)
		m=$(jit "$pid")
		ok $([ -z "$m" ]; echo $?) "the $role has no JIT code"
		[ -z "$m" ] || diag "$m" ;;
	esac
done

# A reload checks the new file, patterns compiled, in the parent.
n=$(wc -l < "$TMP/filterd.log")
kill -HUP "$filterd_pid"
wait_log_after "$n" 'reloaded, configuration generation 2'
out=$(mclient -s "unix:$sock" -f a@example.org -r b@example.net \
    -m "$TMP/m.eml" 2>&1)
like "$out" '^addheader X-Filterd-Rule: lottery$' \
    "after a reload, a message is filtered"
m=$(wx "$filterd_pid"; jit "$filterd_pid")
ok $([ -z "$m" ]; echo $?) \
    "after a reload, the parent has no executable memory of its own"
[ -z "$m" ] || diag "$m"
spawner=$(spawner_pids | tail -1)
m=$(wx "$spawner")
ok $([ -n "$spawner" ] && [ -z "$m" ] && [ -n "$(jit "$spawner")" ]
    echo $?) "the new spawner's JIT code is sealed too"
tap_done
