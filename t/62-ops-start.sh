#!/bin/sh
# 62-ops-start: filterd fails loudly at start and never takes another's
# socket (issue 11, item 1).  Every start-up error names the path or
# setting and the system's reason and exits non-zero, with and without
# -d: a daemon's start is watched from the foreground, so nothing is
# silent.  A socket a live filterd answers on is refused; a stale one is
# removed; ours and the pidfile go at exit; the pidfile is locked while
# filterd runs.  -V, -h; socket_mode and socket_group (item 4).
. "${top_srcdir:-$(dirname "$0")/..}/t/tap.sh"

[ -x "${MCLIENT:-$top_builddir/t/mclient}" ] || skip_all "t/mclient not built"

plan 43

F="$top_builddir/filterd/filterd"
msg="$top_srcdir/t/data/mail/plain.eml"
[ -f "$msg" ] || { printf 'From: a@example.org\nSubject: hi\n\nhello\n' \
    > "$TMP/plain.eml"; msg="$TMP/plain.eml"; }
sock=$(conf_for "$top_srcdir/t/data/e2e.conf")
cp "$TMP/filterd.conf" "$TMP/good.conf"

# with KEY VALUE: good.conf with KEY set to VALUE, as $TMP/c.conf.
with() {
	sed "/^$1 = /d" "$TMP/good.conf" > "$TMP/c.conf"
	echo "$1 = $2;" >> "$TMP/c.conf"
}
# alive PID: whether the process exists.
alive() { kill -0 "$1" 2>/dev/null; }
# gone PID: waits up to 20 s for it to end.
gone() {
	_i=0
	while alive "$1" && [ $_i -lt 200 ]; do
		sleep 0.1
		_i=$((_i + 1))
	done
	! alive "$1"
}
send() { mclient -s "unix:$1" -f a@example.org -r b@example.net \
    -m "$msg" 2>&1; }

# 1. A socket in a missing directory: as a daemon, and with -d.
with listen "\"unix:$TMP/nodir/f.sock\""
out=$("$F" -f "$TMP/c.conf" 2>&1); rc=$?
ok $((rc == 0)) "daemon: a socket in a missing directory fails (exit $rc)"
like "$out" "$TMP/nodir/f\\.sock: directory $TMP/nodir: No such file or directory" \
    "daemon: the error names the path and the system's reason"
out=$("$F" -d -f "$TMP/c.conf" 2>&1); rc=$?
ok $((rc == 0)) "-d: a socket in a missing directory fails (exit $rc)"
like "$out" "No such file or directory" "-d: the error says why"

# 2. A bad port, a bad host, a path that is not a socket.
with listen '"inet:99999@127.0.0.1"'
out=$("$F" -f "$TMP/c.conf" 2>&1); rc=$?
ok $((rc == 0)) "daemon: a bad port fails (exit $rc)"
like "$out" 'listen inet:99999@127\.0\.0\.1: port 99999 is not from 1 to 65535' \
    "the error names the address and what is wrong"
with listen '"inet:2525@no-such-host.invalid"'
out=$("$F" -f "$TMP/c.conf" 2>&1); rc=$?
ok $((rc == 0)) "daemon: an unknown host fails (exit $rc)"
like "$out" 'no-such-host\.invalid' "the error names the host"
: > "$TMP/notasock"
with listen "\"unix:$TMP/notasock\""
out=$("$F" -f "$TMP/c.conf" 2>&1); rc=$?
ok $((rc == 0)) "a file that is not a socket is refused (exit $rc)"
like "$out" "notasock: exists and is not a socket" "and named"
[ -f "$TMP/notasock" ]
ok $? "and left alone"

# 3. Configuration errors: a missing file, a bad socket_mode, a group
# that does not exist, with file:line.
out=$("$F" -f "$TMP/nonexistent.conf" 2>&1); rc=$?
ok $((rc == 0)) "a missing configuration file fails (exit $rc)"
like "$out" 'nonexistent\.conf' "and is named"
# An unreadable one: as another user than root, who reads anything.
if [ "$(id -u)" -eq 0 ] && command -v setpriv > /dev/null 2>&1; then
	chmod 0755 "$TMP"
	cp "$TMP/good.conf" "$TMP/unreadable.conf"
	chmod 0000 "$TMP/unreadable.conf"
	out=$(setpriv --reuid=nobody --regid=nogroup --clear-groups \
	    "$F" -f "$TMP/unreadable.conf" 2>&1); rc=$?
	ok $((rc == 0)) "an unreadable configuration fails (exit $rc)"
	like "$out" 'unreadable\.conf: Permission denied' "with the path and why"
else
	ok 0 "# SKIP needs root and setpriv(1)"
	ok 0 "# SKIP needs root and setpriv(1)"
fi
with socket_mode '"0999"'
out=$("$F" -n -f "$TMP/c.conf" 2>&1); rc=$?
like "$out" 'c\.conf:[0-9]+: socket_mode: "0999" is not an octal mode' \
    "a bad socket_mode is an error with file:line (exit $rc)"
with socket_group '"no-such-group-fd"'
out=$("$F" -n -f "$TMP/c.conf" 2>&1); rc=$?
ok $((rc == 0)) "filterd -n refuses an unknown socket_group (exit $rc)"
like "$out" 'c\.conf:[0-9]+: socket_group: no group "no-such-group-fd"' \
    "with file:line"

# 4. -V and -h: to stdout, exit 0; a bad option: usage on stderr, exit 2.
out=$("$F" -V 2>/dev/null); rc=$?
ok $rc "filterd -V exits 0"
like "$out" '^filterd [0-9]+\.[0-9]+' "-V prints the version"
like "$out" 'sandbox: (seccomp|capsicum)' "-V names the sandbox"
like "$out" 'JIT (available|not available)' "-V says whether PCRE2 has a JIT"
out=$("$F" -h 2>/dev/null); rc=$?
ok $rc "filterd -h exits 0"
like "$out" '^usage: filterd' "-h prints the usage to stdout"
"$F" -Q > /dev/null 2>&1; rc=$?
ok $((rc != 2)) "a bad option exits 2 (exit $rc)"

# 5. A daemon: exit 0 once ready; its socket, and its pidfile, locked.
out=$("$F" -f "$TMP/good.conf" 2>&1); rc=$?
ok $rc "the daemon starts and the command returns 0 once it is ready"
pid=$(cat "$TMP/filterd.pid" 2>/dev/null)
[ -n "$pid" ] && tap_pids="$tap_pids $pid"
[ -n "$pid" ] && alive "$pid"
ok $? "the pidfile names the running parent ($pid)"
like "$(send "$sock")" '^action ' "the daemon answers on its socket at once"

# 6. A second filterd on the same socket is refused; the first keeps it.
out=$("$F" -f "$TMP/good.conf" 2>&1); rc=$?
ok $((rc == 0)) "a second filterd on a live socket is refused (exit $rc)"
like "$out" "filterd\\.sock: another process \\(a running filterd\\?\\) answers" \
    "the error names the socket"
out=$("$F" -d -f "$TMP/good.conf" 2>&1); rc=$?
ok $((rc == 0)) "with -d too (exit $rc)"
like "$(send "$sock")" '^action ' "the first filterd still answers on it"

# 7. Another socket, the same pidfile: refused, the pid named.
with listen "\"unix:$TMP/other.sock\""
out=$("$F" -f "$TMP/c.conf" 2>&1); rc=$?
ok $((rc == 0)) "a second filterd with the same pidfile is refused (exit $rc)"
like "$out" "filterd\\.pid: locked by a running filterd \\(pid $pid\\)" \
    "the error names the pidfile and the pid"

# 8. SIGTERM: the socket and the pidfile go.
kill "$pid"
gone "$pid"
ok $? "SIGTERM stops the daemon"
[ ! -e "$sock" ]
ok $? "its socket is removed at exit"
[ ! -e "$TMP/filterd.pid" ]
ok $? "its pidfile is removed at exit"

# 9. A stale socket (its filterd killed outright) is removed at start.
start_filterd "$F"
ok $? "filterd -d starts"
all=$(ps -o pid= --ppid "$filterd_pid")
kill -9 "$filterd_pid" $all 2>/dev/null
gone "$filterd_pid"
[ -S "$sock" ]
ok $? "killed outright, it leaves its socket"
out=$("$F" -f "$TMP/good.conf" 2>&1); rc=$?
pid=$(cat "$TMP/filterd.pid" 2>/dev/null)
[ -n "$pid" ] && tap_pids="$tap_pids $pid"
ok $rc "the next start removes the stale socket and starts"
like "$(send "$sock")" '^action ' "and answers on it"
kill "$pid" 2>/dev/null
gone "$pid"

# 10. socket_mode and socket_group.
# Root makes the socket with the group; another user can give it only
# one of its own groups.
grp=nogroup
[ "$(id -u)" -eq 0 ] || grp=$(id -gn)
with socket_mode '"0660"'
sed -i '/^socket_group = /d' "$TMP/c.conf"
echo "socket_group = \"$grp\";" >> "$TMP/c.conf"
"$F" -f "$TMP/c.conf" > "$TMP/mode.out" 2>&1
ok $? "filterd starts with socket_mode and socket_group"
pid=$(cat "$TMP/filterd.pid" 2>/dev/null)
[ -n "$pid" ] && tap_pids="$tap_pids $pid"
is_mode=$(stat -c '%a %G' "$sock" 2>/dev/null)
like "$is_mode" "^660 $grp\$" "the socket has mode 0660 and group $grp ($is_mode)"
kill "$pid" 2>/dev/null
gone "$pid"

tap_done
