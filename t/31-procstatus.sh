#!/bin/sh
# 31-procstatus: what the kernel says about each process: user and group
# ids, effective capabilities, no-new-privs and seccomp mode of the
# supervisor, the spawner and a waiting worker.  As root, the supervisor
# and the spawner have user's real and saved ids and worker_user's
# effective ones, a worker has worker_user's everywhere; and a process with
# a worker's very ids (t/ascreds) can neither signal nor read the
# supervisor or the spawner, which can signal it.
. "${top_srcdir:-$(dirname "$0")/..}/t/tap.sh"

plan 27
sock=$(conf_for "$top_srcdir/t/data/e2e.conf")
start_filterd "$top_builddir/filterd/filterd"
ok $? "filterd starts"
# The first spawner starts with the first message.
printf 'From: a@example.org\n\nhello\n' > "$TMP/m.eml"
mclient -s "unix:$sock" -f a@example.org -r b@example.net \
    -m "$TMP/m.eml" > /dev/null 2>&1
# The workers the supervisor kept ready are closed unused after a while;
# then the spawner's pool of 2 is what is left to look at.
wait_log "$TMP/filterd.log" 'idle: [0-9]+ unused workers closed'
i=0
while [ "$(ps -o pid= --ppid "$(spawner_pids | head -1)" | wc -l)" -ne 2 ] &&
    [ $i -lt 50 ]; do
	sleep 0.1
	i=$((i + 1))
done

field() { awk -v f="$2:" '$1 == f { print $2 }' "/proc/$1/status"; }
# ids PID Uid|Gid: real, effective, saved and filesystem ids.
ids() { awk -v f="$2:" '$1 == f { print $2, $3, $4, $5 }' "/proc/$1/status"; }
root=0
[ "$(id -u)" -eq 0 ] && root=1
if [ $root -eq 1 ]; then
	user=${FILTERD_TEST_USER:-nobody}
	wuser=${FILTERD_TEST_WORKER_USER:-filterd-worker}
	a=$(id -u "$user")
	ag=$(id -g "$user")
	w=$(id -u "$wuser")
	wg=$(id -g "$wuser")
	want_uid="$a $w $a $w"
	want_gid="$ag $wg $ag $wg"
	want_wuid="$w $w $w $w"
	want_wgid="$wg $wg $wg $wg"
else
	u=$(id -u)
	g=$(id -g)
	want_uid="$u $u $u $u"
	want_gid="$g $g $g $g"
	want_wuid=$want_uid
	want_wgid=$want_gid
fi

sup=$(supervisor_pid)
spawner=$(spawner_pids | head -1)
worker=$(ps -o pid= --ppid "$spawner" | head -1 | tr -d ' ')
diag "supervisor $sup, spawner $spawner, worker $worker"
for role in supervisor spawner worker; do
	eval pid=\$$( [ $role = supervisor ] && echo sup || echo $role)
	if [ $role = worker ]; then
		wu=$want_wuid
		wgid=$want_wgid
	else
		wu=$want_uid
		wgid=$want_gid
	fi
	got=$(ids "$pid" Uid)
	ok $([ "$got" = "$wu" ]; echo $?) \
	    "$role has uids (real, effective, saved, fs) $wu ($got)"
	got=$(ids "$pid" Gid)
	ok $([ "$got" = "$wgid" ]; echo $?) \
	    "$role has gids $wgid ($got)"
	ok $([ "$(field "$pid" CapEff)" = 0000000000000000 ]; echo $?) \
	    "$role has no effective capabilities"
	ok $([ "$(field "$pid" NoNewPrivs)" = 1 ]; echo $?) \
	    "$role has no-new-privs"
	case $role in
	supervisor) name=filterd-super ;;
	*) name=filterd-$role ;;
	esac
	ok $([ "$(field "$pid" Name)" = "$name" ]; echo $?) \
	    "$role is named $name, apart from the parent"
done
ok $([ "$(field "$worker" Seccomp)" = 2 ]; echo $?) \
    "the worker is in seccomp filter mode"
if [ $root -eq 0 ]; then
	for i in 18 19 20 21 22 23 24 25 26 27; do
		echo "ok $i # SKIP not root: no ids are changed, no chroot"
	done
	tap_n=27
	tap_done
fi

ok $([ "$(field "$spawner" CapBnd)" = 0000000000000000 ]; echo $?) \
    "the spawner's bounding set is empty"
caps=$(awk '/^Cap(Inh|Prm|Eff|Bnd|Amb):/ { printf "%s ", $2 }' \
    "/proc/$worker/status")
ok $([ "$caps" = "$(printf '0000000000000000 %.0s' 1 2 3 4 5)" ]; echo $?) \
    "the worker holds no capability in any set ($caps)"
groups=""
for pid in $sup $spawner $worker; do
	groups="$groups[$(awk '$1 == "Groups:" { $1 = ""; print }' \
	    "/proc/$pid/status" | tr -d ' ')]"
done
ok $([ "$groups" = "[][][]" ]; echo $?) \
    "no process has supplementary groups ($groups)"
root_dir=$(readlink "/proc/$worker/root" 2>/dev/null)
ok $([ "$root_dir" = "$TMP/empty" ]; echo $?) \
    "the worker is chrooted to the empty directory ($root_dir)"

# What a worker could do if its seccomp filter were gone: t/ascreds takes
# the worker's very ids, as read from the kernel, and tries.
set -- $(ids "$worker" Uid) $(ids "$worker" Gid)
as_worker=$("$top_builddir/t/ascreds" "$1" "$2" "$5" "$6" "$sup" "$spawner")
diag "with the worker's ids: $as_worker"
like "$as_worker" "^$sup kill=EPERM " \
    "a process with the worker's ids cannot signal the supervisor"
like "$as_worker" "^$spawner kill=EPERM " \
    "nor the spawner"
# Not dumpable, they refuse this to their own user as well: these two
# guard the dumpable flag, while the kill checks tell the users apart.
like "$as_worker" "^$sup kill=[a-zA-Z]+ mem=E[A-Z]+ environ=E[A-Z]+\$" \
    "nor read the supervisor's memory or environment"
like "$as_worker" "^$spawner kill=[a-zA-Z]+ mem=E[A-Z]+ environ=E[A-Z]+\$" \
    "nor the spawner's"
# And the other way: the supervisor's ids may signal the worker, which is
# how it kills one that outlives its message.
set -- $(ids "$sup" Uid) $(ids "$sup" Gid)
as_sup=$("$top_builddir/t/ascreds" "$1" "$2" "$5" "$6" "$worker")
like "$as_sup" "^$worker kill=ok " \
    "a process with the supervisor's ids can signal a worker ($as_sup)"
# The control: were workers to run as user, as they did before
# worker_user, they could signal the supervisor.  So the checks above can
# tell the two apart.
as_user=$("$top_builddir/t/ascreds" "$a" "$a" "$ag" "$ag" "$sup")
like "$as_user" "^$sup kill=ok " \
    "control: a process with user's ids can signal the supervisor ($as_user)"
tap_done
