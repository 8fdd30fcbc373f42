#!/bin/sh
# 32-confined: what the kernel says about the long-lived processes while
# mail flows.  The supervisor -- every one of its threads -- and the
# spawner are in seccomp filter mode with no-new-privs; the parent, when
# root, holds exactly the capabilities README documents (CapEff, CapPrm,
# CapBnd), none inheritable or ambient; and a descriptor left open by
# whoever started filterd is open in none of them.
. "${top_srcdir:-$(dirname "$0")/..}/t/tap.sh"

[ -x "${MCLIENT:-$top_builddir/t/mclient}" ] || skip_all "t/mclient not built"

plan 14
sock=$(conf_for "$top_srcdir/t/data/e2e.conf")
# Left open by "whoever started us": fd 7, on a file we can recognise.
echo "leaked" > "$TMP/leaked"
exec 7<"$TMP/leaked"
start_filterd "$top_builddir/filterd/filterd"
ok $? "filterd starts"
exec 7<&-

# Mail flows, on a few connections at once, until the test is done.
printf 'From: a@example.org\nSubject: flow\n\nhello\n' > "$TMP/m.eml"
flow() {
	while [ ! -f "$TMP/stop" ]; do
		mclient -s "unix:$sock" -f a@example.org -r b@example.net \
		    -m "$TMP/m.eml" > /dev/null 2>&1
	done
}
flow & f1=$!
flow & f2=$!
tap_pids="$tap_pids $f1 $f2"
wait_log "$TMP/filterd.log" 'action=accept'
ok $? "mail flows"

field() { awk -v f="$2:" '$1 == f { print $2 }' "$1" 2>/dev/null; }
sup=$(supervisor_pid)
spawner=$(spawner_pids | head -1)
diag "parent $filterd_pid, supervisor $sup, spawner $spawner"

# Every thread of the supervisor: libmilter's listener, its signal
# thread, one per connection, the dispatcher.
tasks=0 bad=""
for t in /proc/"$sup"/task/*; do
	# A connection's thread may end between the listing and the read.
	s=$(cat "$t/status" 2>/dev/null) || continue
	[ -n "$s" ] || continue
	printf '%s\n' "$s" > "$TMP/task.status"
	tasks=$((tasks + 1))
	[ "$(field "$TMP/task.status" Seccomp)" = 2 ] &&
	    [ "$(field "$TMP/task.status" NoNewPrivs)" = 1 ] ||
	    bad="$bad ${t##*/}"
done
ok $([ "$tasks" -ge 3 ]; echo $?) "the supervisor runs threads ($tasks)"
ok $([ -z "$bad" ]; echo $?) \
    "every supervisor thread is in seccomp filter mode, with no-new-privs"
[ -z "$bad" ] || diag "threads without:$bad"
ok $([ "$(field "/proc/$sup/status" Seccomp_filters)" = 1 ]; echo $?) \
    "the supervisor has one filter: its own"
ok $([ "$(field "/proc/$spawner/status" Seccomp)" = 2 ]; echo $?) \
    "the spawner is in seccomp filter mode"
ok $([ "$(field "/proc/$spawner/status" NoNewPrivs)" = 1 ]; echo $?) \
    "the spawner has no-new-privs"

# The parent: CAP_KILL, CAP_SETGID, CAP_SETUID, CAP_SETPCAP (5-8); in its
# bounding set what a spawner needs: CAP_SETGID, CAP_SETUID, CAP_SETPCAP,
# CAP_SYS_CHROOT (18), CAP_SYS_ADMIN (21).
if [ "$(id -u)" -eq 0 ]; then
	st="/proc/$filterd_pid/status"
	ok $([ "$(field "$st" CapEff)" = 00000000000001e0 ]; echo $?) \
	    "the parent's effective capabilities: kill, setgid, setuid, setpcap"
	ok $([ "$(field "$st" CapPrm)" = 00000000000001e0 ]; echo $?) \
	    "its permitted ones: the same"
	ok $([ "$(field "$st" CapBnd)" = 00000000002401c0 ]; echo $?) \
	    "its bounding set: setgid, setuid, setpcap, sys_chroot, sys_admin"
	ok $([ "$(field "$st" CapInh)" = 0000000000000000 ] &&
	    [ "$(field "$st" CapAmb)" = 0000000000000000 ]; echo $?) \
	    "nothing inheritable or ambient"
	grep '^Cap' "$st" | while read -r l; do diag "parent $l"; done
else
	for i in 1 2 3 4; do
		tap_n=$((tap_n + 1))
		echo "ok $tap_n # SKIP the parent's capabilities: not root"
	done
fi

# The descriptor whoever started filterd left open.
leaks() {
	for f in /proc/"$1"/fd/*; do
		[ "$(readlink "$f" 2>/dev/null)" = "$TMP/leaked" ] &&
		    echo "${f##*/}"
	done
}
for who in parent supervisor spawner; do
	case $who in
	parent) pid=$filterd_pid ;;
	supervisor) pid=$sup ;;
	spawner) pid=$spawner ;;
	esac
	l=$(leaks "$pid")
	ok $([ -z "$l" ]; echo $?) \
	    "the $who has no descriptor it inherited from its starter"
	[ -z "$l" ] || diag "the $who still has $TMP/leaked on fd $l"
done
touch "$TMP/stop"
wait "$f1" "$f2"
tap_done
