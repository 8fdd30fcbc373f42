#!/bin/sh
# 18-stall: a spawner or a parent that stops answering holds up no message
# beyond its own deadline, and no reload.  The spawner is stopped with
# SIGSTOP: two messages on two connections each get the fallback within
# worker_timeout, with the reason logged; a reload still takes effect, and
# the next message is served by a new spawner while the old ones (in use
# and standby) are still stopped; let go, they retire.  Then the parent is
# stopped while the supervisor needs a new spawner: a message gets the
# fallback within its deadline, and once the parent answers, messages are
# served again.
. "${top_srcdir:-$(dirname "$0")/..}/t/tap.sh"

[ -x "${MCLIENT:-$top_builddir/t/mclient}" ] || skip_all "t/mclient not built"

plan 18

cat > "$TMP/a.conf" <<'CONF'
listen = "unix:/tmp/x.sock";
user = "nobody";
on_failure = "tempfail";
limits = { message_size = 100000; worker_timeout = 2; };
workers = { pool = 2; memory = 128; cpu = 2; };
rules = (
	{ name = "alpha"; header = "Subject"; pattern = "alpha";
	  action = "reject"; reply = "550 5.7.1 alpha refused"; }
);
CONF
sed 's/alpha/beta/g' "$TMP/a.conf" > "$TMP/b.conf"

# How long a message may take: worker_timeout and a margin for a busy host
# (an ASan build at load 20 took 3.8 s).  A message held up by the stopped
# spawner would wait until the test lets it go, which is after the answers.
limit_ms=8000
sent=""
now_ms() { date +%s%3N; }
# timed NAME SUBJECT: sends a message in the background, on a connection
# of its own; the answer goes to $TMP/NAME.out, the time it took in
# milliseconds to $TMP/NAME.ms.
timed() {
	printf 'From: a@example.org\nSubject: %s\n\nhello\n' "$2" \
	    > "$TMP/$1.eml"
	(
		t0=$(now_ms)
		mclient -s "unix:$sock" -f a@example.org -r b@example.net \
		    -m "$TMP/$1.eml" > "$TMP/$1.out" 2>&1
		echo $(($(now_ms) - t0)) > "$TMP/$1.ms"
	) &
	sent="$sent $!"
}
# sent_wait: waits for the messages sent (not for filterd).
sent_wait() { wait $sent; sent=""; }
# in_time NAME: NAME was answered within limit_ms.
in_time() {
	ms=$(cat "$TMP/$1.ms")
	ok $([ "$ms" -lt "$limit_ms" ]; echo $?) \
	    "$1: answered within its deadline ($ms ms)"
}
# idle_after N: waits until, past log line N, the workers the supervisor
# kept ready have been closed unused: the next message needs the spawner.
idle_after() { wait_log_after "$1" 'idle: [0-9]+ unused workers closed'; }

sock=$(conf_for "$TMP/a.conf")
start_filterd "$top_builddir/filterd/filterd"
ok $? "filterd starts"

lines=$(wc -l < "$TMP/filterd.log")
timed first alpha
sent_wait
like "$(cat "$TMP/first.out")" '^reply 550 5\.7\.1 alpha refused$' \
    "a message is served"
idle_after "$lines"

# The spawners (in use and standby) stop answering.
old=$(spawner_pids)
kill -STOP $old
lines=$(wc -l < "$TMP/filterd.log")
timed one alpha
timed two alpha
sent_wait
like "$(cat "$TMP/one.out")" '^reply 451 4\.3\.0 ' \
    "one: a stopped spawner: the fallback"
in_time one
like "$(cat "$TMP/two.out")" '^reply 451 4\.3\.0 ' \
    "two: on another connection at the same time: the fallback"
in_time two
wait_log_after "$lines" 'failure=no worker available'
like "$(tail -n +$((lines + 1)) "$TMP/filterd.log")" \
    'failure=no worker available' "the log says why"

# A reload while the old spawner is still stopped.
conf_for "$TMP/b.conf" > /dev/null
kill -HUP "$filterd_pid"
wait_log "$TMP/filterd.log" 'configuration generation 2 in force'
ok $? "the supervisor takes generation 2 with the old spawner stopped"
lines=$(wc -l < "$TMP/filterd.log")
timed three beta
sent_wait
like "$(cat "$TMP/three.out")" '^reply 550 5\.7\.1 beta refused$' \
    "three: served by a spawner of generation 2"
in_time three
ok $(spawner_pids | grep -qx " *$old"; echo $?) \
    "while the old spawner is still stopped"
kill -CONT $old
# Left: the new spawner in use and its standby.
settled() {
	[ "$(spawner_pids | wc -l)" -eq 2 ] && ! spawner_pids | grep -qx " *$old"
}
i=0
while ! settled && [ $i -lt 50 ]; do
	sleep 0.1
	i=$((i + 1))
done
ok $(settled; echo $?) \
    "let go, the old spawners find their sockets closed and retire"

# The parent stops answering when the supervisor needs a spawner.
idle_after "$lines"
cur=$(spawner_pids)
kill -STOP "$filterd_pid"
lines=$(wc -l < "$TMP/filterd.log")
kill -TERM $cur
wait_log_after "$lines" 'retiring: shutting down'
timed four beta
sent_wait
like "$(cat "$TMP/four.out")" '^reply 451 4\.3\.0 ' \
    "four: no spawner, a silent parent: the fallback"
in_time four
like "$(tail -n +$((lines + 1)) "$TMP/filterd.log")" \
    'failure=no worker available: (waiting for a spawner from the parent|spawner [0-9]+ retired)' \
    "the log says why"
kill -CONT "$filterd_pid"
timed five beta
sent_wait
like "$(cat "$TMP/five.out")" '^reply 550 5\.7\.1 beta refused$' \
    "five: the parent answers again: served"

kill -0 "$filterd_pid" 2>/dev/null
ok $? "filterd is still running"
unlike "$(cat "$TMP/filterd.log")" 'fatal|ended abnormally|exiting' \
    "no process died on the way"

tap_done
