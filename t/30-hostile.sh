#!/bin/sh
# 30-hostile: workers that misbehave in every way we could think of.  For
# each: the message gets the fallback (tempfail), a log line names the
# reason, filterd keeps running and serves the next message normally; at
# the end no worker process and no descriptor has leaked.
. "${top_srcdir:-$(dirname "$0")/..}/t/tap.sh"

[ -x "${MCLIENT:-$top_builddir/t/mclient}" ] || skip_all "t/mclient not built"

# case;what the supervisor logs;what the spawner logs ("-": nothing).
# A segfault is signal 31 under ASan: its handler's report is stopped by seccomp.
cases='open;exited without a verdict;signal 31
openat;exited without a verdict;signal 31
stat;exited without a verdict;exited with status 1
socket;exited without a verdict;signal 31
connect;exited without a verdict;signal 31
execve;exited without a verdict;signal 31
fork;exited without a verdict;signal 31
clone;exited without a verdict;signal 31
ptrace;exited without a verdict;signal 31
kill-spawner;exited without a verdict;signal 31
kill-all;exited without a verdict;signal 31
write-stderr;exited without a verdict;signal 31
mmap-exec;exited without a verdict;signal 31
mprotect-exec;exited without a verdict;signal 31
i386;exited without a verdict;signal 31
x32;exited without a verdict;signal 31
io_uring;exited without a verdict;signal 31
bpf;exited without a verdict;signal 31
unshare;exited without a verdict;signal 31
memory;(exited without a verdict|timed out);(exited with status 1|signal)
spin;(exited without a verdict|timed out);(signal 24|signal 9|deadline)
silent;worker timed out;-
segv;exited without a verdict;signal (11|31)
exit;exited without a verdict;-
two-verdicts;more than one verdict;-
wrong-nonce;nonce does not match;-
oversized;verdict frame too large;-
truncated;bad frame length;-
too-many-ops;(truncated or oversized field|malformed verdict);-
too-many-logs;(truncated or oversized field|malformed verdict);-
short-length;bad frame length;-
garbage;(frame version|frame type|frame length);-
bad-action;unknown action;-
discard;action not allowed by configuration;-
bad-code;reply code is not three digits;-
bad-class;reply code class does not match;-
bad-text;reply text is not printable;-
colon-name;not an RFC 5322 field name;-
bare-lf;bare CR or LF;-
not-allowed;header not allowed by configuration;-'

# Without IA32 emulation in the kernel, int $0x80 is a general protection
# fault (SIGSEGV) before seccomp can see it: the call is refused all the same.
if ! "$top_builddir/t/ia32-probe"; then
	diag "this kernel has no i386 system call entry: i386 dies of SIGSEGV"
	cases=$(printf '%s\n' "$cases" |
	    sed 's/^i386;\(.*\);signal 31$/i386;\1;signal (11|31)/')
fi

n=$(printf '%s\n' "$cases" | wc -l)
plan $((n * 4 + 7))

sock=$(conf_for "$top_srcdir/t/data/hostile.conf")
start_filterd "$top_builddir/t/filterd-hostile"
ok $? "filterd-hostile starts"

msg() {	# msg COMMAND: a message for the hostile module
	printf 'From: a@example.org\nSubject: test\nX-Hostile: %s\n\n%s\n' \
	    "$1" "you have won" > "$TMP/m.eml"
}
send() { mclient -s "unix:$sock" -f a@example.org -r b@example.net \
    -m "$TMP/m.eml" 2>&1; }

msg none
out=$(send)
like "$out" '^addheader X-Filterd-Rule: lottery$' "a well-behaved worker works"
# Descriptors are counted once the workers kept ready are closed unused.
wait_log "$TMP/filterd.log" 'idle: [0-9]+ unused workers closed'
sup=$(supervisor_pid)
fds_before=$(ls /proc/"$sup"/fd | wc -l)

printf '%s\n' "$cases" | {
	while IFS=';' read -r c sup_re spawn_re; do
		lines=$(wc -l < "$TMP/filterd.log")
		msg "$c"
		out=$(send)
		like "$out" '^reply 451 4\.3\.0 ' "$c: the message gets the fallback"
		# The spawner may log the death after the supervisor's line.
		if [ "$spawn_re" != - ]; then
			wait_log_after "$lines" "spawner.*worker [0-9]+ .*$spawn_re"
		fi
		wait_log_after "$lines" "action=tempfail .*failure="
		new=$(tail -n +$((lines + 1)) "$TMP/filterd.log")
		like "$new" "action=tempfail .*failure=.*$sup_re" \
		    "$c: the supervisor logs why"
		if [ "$spawn_re" = - ]; then
			unlike "$new" 'spawner.*(killed|exited with)' \
			    "$c: the worker died no abnormal death"
		else
			like "$new" "spawner.*worker [0-9]+ .*$spawn_re" \
			    "$c: the spawner logs the worker's death"
		fi
		msg none
		out=$(send)
		like "$out" '^addheader X-Filterd-Rule: lottery$' \
		    "$c: the next message is served normally"
	done
	tap_done_sub=$tap_fail
	exit "$tap_done_sub"
}
sub_fail=$?
tap_n=$((tap_n + n * 4))
tap_fail=$((tap_fail + sub_fail))

kill -0 "$filterd_pid"
ok $? "filterd is still running"
ok $([ "$(supervisor_pid)" = "$sup" ]; echo $?) "the same supervisor process"
lines=$(wc -l < "$TMP/filterd.log")
msg none
out=$(send)
like "$out" '^addheader X-Filterd-Rule: lottery$' "a last message is served"
wait_log_after "$lines" 'idle: [0-9]+ unused workers closed'
fds_after=$(ls /proc/"$sup"/fd | wc -l)
ok $([ "$fds_after" -eq "$fds_before" ]; echo $?) \
    "no descriptor leaked in the supervisor ($fds_before before, $fds_after after)"
# The closed ones exit, and their spawner reaps them.
i=0
while :; do
	workers=0
	for s in $(spawner_pids); do
		workers=$((workers + $(ps -o pid= --ppid "$s" | wc -l)))
	done
	[ "$workers" -eq 2 ] && break
	[ $i -ge 50 ] && break
	sleep 0.1
	i=$((i + 1))
done
ok $([ "$workers" -eq 2 ] && [ "$(spawner_pids | wc -l)" -eq 1 ]; echo $?) \
    "one spawner and its pool of 2 workers left ($workers workers)"
tap_done
