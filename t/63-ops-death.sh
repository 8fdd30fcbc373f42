#!/bin/sh
# 63-ops-death: no filterd process outlives the parent, however the
# parent ends, and no process dies of SIGUSR1 or SIGUSR2 (issue 11,
# item 1).  Under a capability bounding set without CAP_KILL (the parent
# may then not signal the supervisor, which runs as another user) filterd
# starts, filters, reloads, and stops on SIGTERM within a deadline.  An
# idle filterd stops within 3 s of SIGTERM.
. "${top_srcdir:-$(dirname "$0")/..}/t/tap.sh"

[ -x "${MCLIENT:-$top_builddir/t/mclient}" ] || skip_all "t/mclient not built"

plan 22

F="$top_builddir/filterd/filterd"
printf 'From: a@example.org\nSubject: hi\n\nhello\n' > "$TMP/m.eml"
sock=$(conf_for "$top_srcdir/t/data/e2e.conf")
send() { mclient -s "unix:$sock" -f a@example.org -r b@example.net \
    -m "$TMP/m.eml" 2>&1; }

# tree PID: PID and every process under it.
tree() {
	ps -e -o pid=,ppid= | awk -v root="$1" '
	    { parent[$1] = $2; pids[NR] = $1 }
	    END {
		want[root] = 1; print root
		for (changed = 1; changed;) {
			changed = 0
			for (i = 1; i <= NR; i++) {
				p = pids[i]
				if (!(p in want) && (parent[p] in want)) {
					want[p] = 1; print p; changed = 1
				}
			}
		}
	    }'
}
# all_gone PIDS...: waits up to 20 s until none of them exists;
# all_gone_within SECS PIDS...: up to SECS.
all_gone() { all_gone_within 20 "$@"; }
all_gone_within() {
	_n=$(($1 * 10))
	shift
	_i=0
	while [ $_i -lt $_n ]; do
		_left=0
		for _p in "$@"; do
			kill -0 "$_p" 2>/dev/null && _left=1
		done
		[ $_left -eq 0 ] && return 0
		sleep 0.1
		_i=$((_i + 1))
	done
	for _p in "$@"; do
		kill -0 "$_p" 2>/dev/null &&
		    diag "still there: $(ps -o pid=,user=,args= -p "$_p")"
	done
	return 1
}
# spawners_ready: waits for both spawners' pools (the log says so).
spawners_ready() {
	wait_log "$TMP/filterd.log" 'standby spawner [0-9]+ ready'
}

# 1. SIGUSR1 and SIGUSR2, to the parent and to every other process.  It
# runs as systemd's Type=notify would run it: READY=1 once ready.
NS="$top_builddir/t/notifysock"
"$NS" "$TMP/notify" > "$TMP/notify.out" 2>&1 &
tap_pids="$tap_pids $!"
i=0
while [ ! -S "$TMP/notify" ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
export NOTIFY_SOCKET="$TMP/notify"
start_filterd "$F"
ok $? "filterd starts"
unset NOTIFY_SOCKET
wait_log "$TMP/notify.out" '^READY=1$'
ok $? "it tells the service manager READY=1 ($NS)"
spawners_ready
procs=$(tree "$filterd_pid")
n=$(echo $procs | wc -w)
ok $((n < 4)) "parent, supervisor, spawners and workers: $n processes"
kill -USR1 "$filterd_pid"
kill -USR2 "$filterd_pid"
wait_log "$TMP/filterd.log" 'SIGUSR2 received'
ok $? "the parent logs SIGUSR1 and SIGUSR2"
for p in $procs; do
	kill -USR1 "$p" 2>/dev/null
	kill -USR2 "$p" 2>/dev/null
done
like "$(send)" '^action ' "mail still flows after SIGUSR1 and SIGUSR2 to all"
dead=
for p in $procs; do
	kill -0 "$p" 2>/dev/null || dead="$dead $p"
done
# Workers that served the message above end by design; the others not.
kill -0 "$filterd_pid" 2>/dev/null
ok $? "the parent is alive"
super=$(supervisor_pid)
[ -n "$super" ] && kill -0 "$super" 2>/dev/null
ok $? "the supervisor is alive"
for p in $(spawner_pids); do
	kill -0 "$p" 2>/dev/null || dead="$dead spawner:$p"
done
case $dead in *spawner:*) r=1 ;; *) r=0 ;; esac
ok $r "the spawners are alive${dead:+ (gone:$dead)}"

# The service manager hears of reloads and of the end.
kill -HUP "$filterd_pid"
wait_log "$TMP/filterd.log" 'reloaded, configuration generation 2'
grep -A1 '^RELOADING=1$' "$TMP/notify.out" | grep -q '^READY=1$'
ok $? "SIGHUP: RELOADING=1, then READY=1"
# libmilter's listener holds a lock across each 5 s poll of the socket,
# and its stop waits for it; the parent nudges it (start_nudge), and an
# idle filterd used to take 5-7 s to stop.
procs=$(tree "$filterd_pid")
kill "$filterd_pid" 2>/dev/null
all_gone_within 3 $procs
ok $? "SIGTERM: every process ends within 3 s"
all_gone $procs > /dev/null
wait_log "$TMP/notify.out" '^STOPPING=1$'
ok $? "SIGTERM: STOPPING=1"

# 2. The parent killed outright: every other process ends.  A fresh
# start, whatever section 1 left.
start_filterd "$F"
spawners_ready
procs=$(tree "$filterd_pid")
n=$(echo $procs | wc -w)
ok $((n < 4)) "a fresh filterd: $n processes"
kill -9 "$filterd_pid"
all_gone $procs
ok $? "kill -9 of the parent: the supervisor, spawners and workers end"
out=$(send)
unlike "$out" '^action ' "nothing answers on the socket any more"

# 3. A capability bounding set with only what filterd needs: no CAP_KILL.
if [ "$(id -u)" -ne 0 ]; then
	for i in 15 16 17 18 19 20 21 22; do
		ok 0 "# SKIP the bounding set test needs root"
	done
	tap_done
fi
if ! command -v setpriv > /dev/null 2>&1; then
	for i in 15 16 17 18 19 20 21 22; do
		ok 0 "# SKIP setpriv(1) (util-linux) is missing"
	done
	tap_done
fi
BOUND=-all,+setuid,+setgid,+setpcap,+sys_admin,+sys_chroot
rm -f "$sock"
setpriv --bounding-set "$BOUND" "$F" -d -v -f "$TMP/filterd.conf" \
    > "$TMP/filterd.log" 2>&1 &
filterd_pid=$!
tap_pids="$tap_pids $filterd_pid"
wait_log "$TMP/filterd.log" 'standby spawner [0-9]+ ready'
ok $? "filterd starts under the bounding set $BOUND"
like "$(grep CapBnd /proc/$filterd_pid/status)" 'CapBnd:[[:space:]]+0*2401c0$' \
    "the parent's bounding set is that one"
like "$(send)" '^action ' "mail flows"
kill -HUP "$filterd_pid"
wait_log "$TMP/filterd.log" 'reloaded, configuration generation 2'
ok $? "SIGHUP reloads"
like "$(send)" '^action ' "mail flows after the reload"
procs=$(tree "$filterd_pid")
kill -TERM "$filterd_pid"
all_gone $procs
ok $? "SIGTERM: every process ends within 20 s"
grep -Eq 'cannot signal the supervisor .*Operation not permitted' \
    "$TMP/filterd.log"
ok $? "the failed kill() is logged with its reason"
[ ! -e "$sock" ]
ok $? "the socket is removed"

tap_done
