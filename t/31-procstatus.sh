#!/bin/sh
# 31-procstatus: what the kernel says about each process: user, effective
# capabilities, no-new-privs and seccomp mode of the supervisor, the
# spawner and a waiting worker.
. "${top_srcdir:-$(dirname "$0")/..}/t/tap.sh"

plan 16
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
if [ "$(id -u)" -eq 0 ]; then
	want_uid=$(id -u "${FILTERD_TEST_USER:-nobody}")
else
	want_uid=$(id -u)
fi

sup=$(supervisor_pid)
spawner=$(spawner_pids | head -1)
worker=$(ps -o pid= --ppid "$spawner" | head -1 | tr -d ' ')
diag "supervisor $sup, spawner $spawner, worker $worker"
for role in supervisor spawner worker; do
	eval pid=\$$( [ $role = supervisor ] && echo sup || echo $role)
	ok $([ "$(field "$pid" Uid)" = "$want_uid" ]; echo $?) \
	    "$role runs as uid $want_uid"
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
if [ "$(id -u)" -eq 0 ]; then
	ok $([ "$(field "$spawner" CapBnd)" = 0000000000000000 ]; echo $?) \
	    "the spawner's bounding set is empty"
	root=$(readlink "/proc/$worker/root" 2>/dev/null)
	ok $([ "$root" = "$TMP/empty" ]; echo $?) \
	    "the worker is chrooted to the empty directory ($root)"
else
	echo "ok 15 # SKIP bounding set: not root"
	echo "ok 16 # SKIP chroot: not root"
	tap_n=16
fi
tap_done
