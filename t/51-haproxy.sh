#!/bin/bash
# 51-haproxy.sh -- several filterd instances behind HAProxy, with a real
# Postfix in front, and one instance stopped in the middle of a load.
#
# Three filterd instances (conf/filterd.conf's rules, and one rule that
# tags each message with the instance that checked it) on TCP ports;
# HAProxy in TCP mode with TCP health checks in front of them, its
# configuration taken from filterd(8), EXAMPLES, with the addresses
# changed; a private Postfix (t/lib-postfix.sh) with two smtpd services:
# port A takes the load without a milter and hands every message, as an
# after-queue content filter, to port B, whose milter is HAProxy and which
# relays to smtp-sink.  So Postfix's queue is the client that retries: a
# message whose milter connection breaks gets 451 at B (milter_default_
# action = tempfail), stays deferred in A's queue, and is sent again.
#
# smtp-source sends T51_MESSAGES (default 300) messages to A; when a third
# has arrived at the sink, instance 2 gets SIGTERM.  Then the queue is
# flushed until it drains (deadline 120 s).  Checked: every message
# arrives exactly once (Message-ID and recipient counted at the sink),
# each checked by exactly one instance, nothing is left in the queue,
# instance 2 checked some before it stopped, HAProxy saw it go down, and
# instances 1 and 3 took the rest.  The figures -- messages, time,
# tempfails at B, deferrals in A's queue, messages per instance -- are
# printed as diagnostics.
#
# Needs root (Postfix), the Debian packages postfix and haproxy.  Skips
# otherwise.  Creates nothing outside its temporary directory.
#
# Environment: top_srcdir, top_builddir, FILTERD_TEST_USER,
# FILTERD_TEST_WORKER_USER, T51_MESSAGES, T51_LIMIT (whole-test time
# limit, seconds), KEEP_TMP=1.

E2E_LIMIT=${T51_LIMIT:-300} E2E_KILL=30
. "$(dirname "$0")/lib-e2e.sh"

. "$here/lib-postfix.sh"

HAPROXY=$(command -v haproxy 2>/dev/null || echo /usr/sbin/haproxy)
SMTP_SOURCE=$(command -v smtp-source 2>/dev/null ||
    echo /usr/sbin/smtp-source)
if reason=$(pf_skip_reason); then
	echo "1..0 # SKIP $reason"
	exit 0
fi
if [ ! -x "$HAPROXY" ]; then
	echo "1..0 # SKIP haproxy not installed (Debian package haproxy)"
	exit 0
fi
if [ ! -x "$SMTP_SOURCE" ]; then
	echo "1..0 # SKIP smtp-source not found (Debian package postfix)"
	exit 0
fi
if reason=$(fd_skip_reason); then
	echo "Bail out! $reason"
	exit 1
fi
fd_user="${FILTERD_TEST_USER:-nobody}"
fd_wuser="${FILTERD_TEST_WORKER_USER:-filterd-worker}"
if ! getent passwd "$fd_user" >/dev/null ||
    ! getent passwd "$fd_wuser" >/dev/null; then
	echo "1..0 # SKIP no user $fd_user or $fd_wuser for filterd"
	exit 0
fi

nmsg=${T51_MESSAGES:-300}
tmp=""
hp_pid=""
fd_pids=(x "" "" "")
fd_ports=(x "" "" "")

cleanup()
{
	local i
	for i in 1 2 3; do
		fd_stop_one "$i" 5 >/dev/null
	done
	[ -n "$hp_pid" ] && pf_kill_wait "$hp_pid" 5
	pf_cleanup
	tmp_remove
}
trap cleanup EXIT

tmp=$(mktemp -d "${TMPDIR:-/tmp}/filterd-t51.XXXXXX") || exit 1
chmod 0755 "$tmp"


# fd_start_one I: instance I on its own port, in its own session.
fd_start_one()
{
	local i="$1" port conf="$tmp/filterd$i.conf" k
	port=$(pf_free_port) || return 1
	for k in 1 2 3; do
		[ "$port" = "${fd_ports[$k]}" ] && return 1
	done
	fd_ports[$i]=$port
	fd_write_conf "$top_srcdir/conf/filterd.conf" "$conf" \
	    "inet:$port@127.0.0.1" "$fd_user" "$tmp/empty$i" || return 1
	# The instance's tag on every message it checks.
	sed -i "s|^rules = (\$|&\\n\\t{ name = \"instance\"; any_header = \".\"; action = \"add-header\"; add_header = \"X-Filterd-Instance: filterd$i\"; },|" \
	    "$conf"
	setsid "$(fd_command)" -d -f "$conf" </dev/null \
	    >>"$tmp/filterd$i.log" 2>&1 &
	fd_pids[$i]=$!
	FD_PID=${fd_pids[$i]} fd_wait_ready "inet:$port@127.0.0.1" 20
}

# fd_stop_one I SECS: SIGTERM to instance I; 0 when it and everything it
# started are gone within SECS (fd_stop, t/lib-postfix.sh).
fd_stop_one()
{
	local rc
	[ -n "${fd_pids[$1]}" ] || return 0
	FD_PID=${fd_pids[$1]}
	fd_stop "$2"
	rc=$?
	fd_pids[$1]=""
	return "$rc"
}

# The documented haproxy.cfg (filterd(8), EXAMPLES), with our addresses,
# and its log -- health checks included -- on standard output.
haproxy_conf()
{
	awk '/example: other \(haproxy\.cfg/ { f = 1; next }
	    f && /^\.Bd/ { g = 1; next } g && /^\.Ed/ { exit } g' \
	    "$top_srcdir/man/filterd.8" |
	sed -e "s/127\\.0\\.0\\.1:10024/127.0.0.1:$hp_port/" \
	    -e "s/192\\.0\\.2\\.11:10025/127.0.0.1:${fd_ports[1]}/" \
	    -e "s/192\\.0\\.2\\.12:10025/127.0.0.1:${fd_ports[2]}/" \
	    -e "s/192\\.0\\.2\\.13:10025/127.0.0.1:${fd_ports[3]}/" \
	    -e "s|^global\$|&\\n\\tlog stdout format raw local0\\n\\tpidfile $tmp/haproxy.pid|" \
	    -e 's/^defaults$/&\n\tlog global\n\toption log-health-checks/'
}

# The messages at the sink: count, distinct Message-IDs, and so on.
sink_count() { find "$PF_DIR/sink" -type f 2>/dev/null | wc -l; }
queue_count()
{
	find "$PF_DIR/spool/incoming" "$PF_DIR/spool/active" \
	    "$PF_DIR/spool/deferred" "$PF_DIR/spool/hold" -type f 2>/dev/null |
	    wc -l
}
# sink_headers NAME: the values of the header fields NAME of every
# message at the sink, one a line (one awk for all: forks are dear).
sink_headers()
{
	find "$PF_DIR/sink" -type f -exec awk -v h="$(echo "$1" |
	    tr 'A-Z' 'a-z')" '
	    FNR == 1 { inhdr = 1 }
	    inhdr { sub(/\r$/, "")
		if ($0 == "") { inhdr = 0; next }
		if (index(tolower($0), h ":") == 1) {
			v = substr($0, length(h) + 2); sub(/^[ \t]*/, "", v)
			print v } }' {} +
}

echo "1..10"

# 1: three instances, HAProxy, Postfix.
ok=0
for i in 1 2 3; do
	fd_start_one "$i" 2>>"$tmp/setup.log" || ok=1
done
hp_port=$(pf_free_port) || ok=1
if [ "$ok" -eq 0 ]; then
	haproxy_conf >"$tmp/haproxy.cfg"
	if ! "$HAPROXY" -c -q -f "$tmp/haproxy.cfg" >>"$tmp/setup.log" 2>&1
	then
		ok=1
	else
		setsid "$HAPROXY" -db -f "$tmp/haproxy.cfg" </dev/null \
		    >>"$tmp/haproxy.log" 2>&1 &
		hp_pid=$!
		pf_wait_port "$hp_port" 10 2>>"$tmp/setup.log" || ok=1
	fi
fi
tap "$ok" "three filterd instances on ports ${fd_ports[1]}, ${fd_ports[2]}," \
    "${fd_ports[3]}, HAProxy on $hp_port with the documented configuration"

ok=1
mkdir "$tmp/pf"
if [ -n "$hp_port" ] && pf_setup "$tmp/pf" "" 2>>"$tmp/setup.log" &&
    port_b=$(pf_free_port); then
	# A: no milter, every message to B as an after-queue filter; B:
	# HAProxy's milter, then the relay host, smtp-sink.
	sed -i -e "1,/ inet /s|^\\(127\\.0\\.0\\.1:$PF_SMTP_PORT inet .* smtpd\\)\$|\\1 -o content_filter=smtp:[127.0.0.1]:$port_b|" \
	    "$PF_DIR/etc/master.cf"
	echo "127.0.0.1:$port_b inet n - n - - smtpd -o smtpd_milters=inet:127.0.0.1:$hp_port -o content_filter=" \
	    >>"$PF_DIR/etc/master.cf"
	touch -t 202001010000 "$PF_DIR/etc/master.cf"
	if pf_sink_start 2>>"$tmp/setup.log" && pf_start 2>>"$tmp/setup.log" &&
	    pf_wait_port "$port_b" 10 2>>"$tmp/setup.log"; then
		ok=0
	fi
fi
tap "$ok" "Postfix: port ${PF_SMTP_PORT:-?} queues, port ${port_b:-?} checks" \
    "through HAProxy, smtp-sink on ${PF_SINK_PORT:-?}"
if [ "$ok" -ne 0 ] || [ "$failed" -ne 0 ]; then
	pf_diag "$tmp/setup.log" "setup errors"
	pf_diag "$tmp/haproxy.log" "HAProxy"
	for d in "load sent" "instance 2 stopped" "HAProxy saw it down" \
	    "queue drained" "every message once" "each checked once" \
	    "instance 2 checked some" "the others took the rest"; do
		tap 1 "$d (setup failed)"
	done
	exit 0
fi

# 3: the load, and instance 2 stopped when a third has arrived.
t0=$(date +%s%N)
timeout 120 "$SMTP_SOURCE" -s 5 -m "$nmsg" -N -f load@example.com \
    -t rcpt@example.org "127.0.0.1:$PF_SMTP_PORT" >"$tmp/source.log" 2>&1 &
src_pid=$!
i=0
while [ "$(sink_count)" -lt $((nmsg / 3)) ] && [ "$i" -lt 600 ]; do
	sleep 0.1
	i=$((i + 1))
done
at_stop=$(sink_count)
t_stop=$(date +%s%N)
ok=1
if [ "$at_stop" -ge $((nmsg / 3)) ] && [ "$at_stop" -lt "$nmsg" ] &&
    fd_stop_one 2 10; then
	ok=0
fi
wait "$src_pid"
src_rc=$?
tap "$src_rc" "smtp-source sent $nmsg messages to port $PF_SMTP_PORT"
tap "$ok" "instance 2 stopped (SIGTERM) in the middle, with $at_stop of" \
    "$nmsg messages delivered; all its processes gone"

ok=1
i=0
while ! grep -q 'filterd2 is DOWN' "$tmp/haproxy.log" && [ "$i" -lt 100 ]
do
	sleep 0.1
	i=$((i + 1))
done
grep -q 'filterd2 is DOWN' "$tmp/haproxy.log" && ok=0
tap "$ok" "HAProxy's health check saw instance 2 go down"

# 6: Postfix retries what was deferred; the queue drains.
ok=1
i=0
while [ "$i" -lt 1200 ]; do
	if [ "$(sink_count)" -ge "$nmsg" ] && [ "$(queue_count)" -eq 0 ]; then
		ok=0
		break
	fi
	# Deferred messages wait minimal_backoff_time; a flush sends them
	# now, as an administrator would.
	[ $((i % 20)) -eq 10 ] &&
	    timeout 20 "$PF_POSTFIX" -c "$PF_DIR/etc" flush >/dev/null 2>&1
	sleep 0.1
	i=$((i + 1))
done
t_end=$(date +%s%N)
tap "$ok" "the queue drained: $(sink_count) delivered, $(queue_count) left"

ids=$(sink_headers Message-ID | sort)
total=$(sink_count)
uniq_ids=$(printf '%s\n' "$ids" | sort -u | grep -c .)
dup_ids=$(printf '%s\n' "$ids" | sort | uniq -d | grep -c .)
ok=1
[ "$total" -eq "$nmsg" ] && [ "$uniq_ids" -eq "$nmsg" ] &&
    [ "$dup_ids" -eq 0 ] && ok=0
tap "$ok" "every message delivered exactly once: $total delivered," \
    "$uniq_ids distinct Message-IDs, $dup_ids twice"

tags=$(sink_headers X-Filterd-Instance)
ok=1
[ "$(printf '%s\n' "$tags" | grep -c .)" -eq "$total" ] && ok=0
tap "$ok" "each was checked by exactly one instance (one tag each)"

c1=$(printf '%s\n' "$tags" | grep -cx filterd1)
c2=$(printf '%s\n' "$tags" | grep -cx filterd2)
c3=$(printf '%s\n' "$tags" | grep -cx filterd3)
ok=1
[ "$c2" -gt 0 ] && [ "$c2" -lt "$total" ] && ok=0
tap "$ok" "instance 2 checked $c2 before it stopped"

ok=1
[ "$c1" -gt 0 ] && [ "$c3" -gt 0 ] && [ $((c1 + c2 + c3)) -eq "$total" ] &&
    ok=0
tap "$ok" "instances 1 and 3 took the rest: $c1 and $c3"

# Port B's 451s for a broken milter connection, at whatever step of the
# session it broke (CONNECT, EHLO, MAIL, ..., END-OF-MESSAGE); A's client
# then defers the message it was sending, and retries it, or (before
# MAIL) may open another session at once.
tempfails=$(grep -c "milter-reject: .* 451 " "$PF_DIR/maillog")
deferred=$(grep -c "relay=127\\.0\\.0\\.1\\[127\\.0\\.0\\.1\\]:$port_b.*status=deferred" \
    "$PF_DIR/maillog")
echo "# figures: $nmsg messages in $(( (t_end - t0) / 1000000 )) ms" \
    "(instance 2 stopped at $(( (t_stop - t0) / 1000000 )) ms, $at_stop" \
    "delivered by then); milter 451s at port $port_b: $tempfails;" \
    "messages deferred and retried from the queue: $deferred; checked by instance 1:" \
    "$c1, 2: $c2, 3: $c3; delivered twice: $dup_ids"
if [ "$failed" -ne 0 ]; then
	pf_diag "$tmp/haproxy.log" "HAProxy"
	pf_diag "$PF_DIR/maillog" "Postfix log"
	pf_diag "$tmp/filterd2.log" "filterd 2"
fi
exit 0
