#!/bin/sh
# 15-reload: SIGHUP to the parent reloads the configuration.  New rules
# and limits apply to the next message; a message in flight finishes with
# the configuration it started with (its verdict is validated by the old
# policy); a bad file is refused with file:line in the log and the running
# configuration stays in force, and so is one with a new worker_user; the
# old spawners (the one in use and the standby) retire.  SIGTERM answers
# the message in a worker before filterd ends.
. "${top_srcdir:-$(dirname "$0")/..}/t/tap.sh"

[ -x "${MCLIENT:-$top_builddir/t/mclient}" ] || skip_all "t/mclient not built"

plan 29

# Generation 1 refuses "alpha" and lets workers add X-Hostile-Slow.
cat > "$TMP/a.conf" <<'EOF'
listen = "unix:/tmp/x.sock";
user = "nobody";
on_failure = "tempfail";
limits = { message_size = 100000; worker_timeout = 5; };
workers = { pool = 2; memory = 128; cpu = 2; };
allowed_headers = [ "X-Hostile-Slow" ];
rules = (
	{ name = "alpha"; header = "Subject"; pattern = "alpha";
	  action = "reject"; reply = "550 5.7.1 alpha refused"; }
);
EOF
# Generation 2 refuses "beta", does not allow X-Hostile-Slow, and holds
# smaller messages.
cat > "$TMP/b.conf" <<'EOF'
listen = "unix:/tmp/x.sock";
user = "nobody";
on_failure = "tempfail";
limits = { message_size = 3000; worker_timeout = 5; };
workers = { pool = 2; memory = 128; cpu = 2; };
rules = (
	{ name = "beta"; header = "Subject"; pattern = "beta";
	  action = "reject"; reply = "550 5.7.1 beta refused"; }
);
EOF
# Not a configuration: on line 3, a rule with a header but no pattern.
cat > "$TMP/bad.conf" <<'EOF'
listen = "unix:/tmp/x.sock";
user = "nobody";
rules = ( { name = "gamma" header = "Subject"; } );
EOF

msg() {	# msg SUBJECT [X-HOSTILE]
	printf 'From: a@example.org\nSubject: %s\nX-Hostile: %s\n\nhello\n' \
	    "$1" "${2:-none}" > "$TMP/m.eml"
}
send() { mclient -s "unix:$sock" -f a@example.org -r b@example.net \
    -m "${1:-$TMP/m.eml}" 2>&1; }
sock=$(conf_for "$TMP/a.conf")
start_filterd "$top_builddir/t/filterd-hostile"
ok $? "filterd starts with generation 1"

msg "alpha"
like "$(send)" '^reply 550 5\.7\.1 alpha refused$' "generation 1 refuses alpha"
msg "beta"
like "$(send)" '^action (accept|continue)$' "generation 1 accepts beta"

# A slow message is in a worker when the reload comes: the supervisor
# logs (with -v) when the job went to one.
msg "slow one" slow
mclient -s "unix:$sock" -q SLOW1 -f a@example.org -r b@example.net \
    -m "$TMP/m.eml" > "$TMP/slow.out" 2>&1 &
slow_pid=$!
wait_log "$TMP/filterd.log" 'SLOW1: job sent to worker [0-9]+'
ok $? "the slow message is in a worker"
old=$(spawner_pids)
conf_for "$TMP/b.conf" > /dev/null
kill -HUP "$filterd_pid"
wait_log "$TMP/filterd.log" 'reloaded, configuration generation 2'
ok $? "SIGHUP reloads: the parent logs generation 2"
wait "$slow_pid"
out=$(cat "$TMP/slow.out")
like "$out" '^addheader X-Hostile-Slow: done$' \
    "the message in flight is validated by the policy it started with"
like "$out" '^action (accept|continue)$' "and is accepted"

msg "beta"
like "$(send)" '^reply 550 5\.7\.1 beta refused$' "generation 2 refuses beta"
msg "alpha"
like "$(send)" '^action (accept|continue)$' "generation 2 accepts alpha"
like "$(cat "$TMP/filterd.log")" 'configuration generation 2 in force' \
    "the supervisor took generation 2"
msg "slow two" slow
out=$(send)
like "$out" '^reply 451 4\.3\.0 ' \
    "a header generation 2 does not allow gets the fallback"
like "$(cat "$TMP/filterd.log")" 'header not allowed by configuration' \
    "and the log says why"
{ cat "$TMP/m.eml"; head -c 5000 /dev/zero | tr '\0' 'x'; echo; } \
    > "$TMP/big.eml"
like "$(send "$TMP/big.eml")" '^reply 552 5\.3\.4 ' \
    "generation 2's message_size applies to new connections"

# The old spawners retire once their workers are done.
old_gone() {
	for p in $old; do
		spawner_pids | grep -qx " *$p" && return 1
	done
	return 0
}
i=0
while ! old_gone && [ $i -lt 50 ]; do
	sleep 0.1
	i=$((i + 1))
done
ok $(old_gone; echo $?) "the old spawners retired"

# A bad file changes nothing.
lines=$(wc -l < "$TMP/filterd.log")
conf_for "$TMP/bad.conf" > /dev/null
kill -HUP "$filterd_pid"
wait_log "$TMP/filterd.log" \
    'reload failed, the running configuration stays in force'
ok $? "a bad file: the reload fails"
new=$(tail -n +$((lines + 1)) "$TMP/filterd.log")
like "$new" "filterd\\.conf:3: " "the log names the file and line"
unlike "$new" 'generation 3' "no new generation"
msg "beta"
like "$(send)" '^reply 550 5\.7\.1 beta refused$' \
    "generation 2 is still in force"

# A good file again after the bad one.
conf_for "$TMP/a.conf" > /dev/null
kill -HUP "$filterd_pid"
wait_log "$TMP/filterd.log" 'reloaded, configuration generation 3'
ok $? "a good file after a bad one: generation 3"
msg "alpha"
like "$(send)" '^reply 550 5\.7\.1 alpha refused$' "generation 3 refuses alpha"
# worker_user is the supervisor's effective user, so that it can kill
# workers: a reload cannot change it.
lines=$(wc -l < "$TMP/filterd.log")
conf_for "$TMP/a.conf" > /dev/null
sed 's/^worker_user = .*/worker_user = "daemon";/' "$TMP/filterd.conf" \
    > "$TMP/c.conf" && mv "$TMP/c.conf" "$TMP/filterd.conf"
kill -HUP "$filterd_pid"
wait_log_after "$lines" \
    'reload failed, the running configuration stays in force'
new=$(tail -n +$((lines + 1)) "$TMP/filterd.log")
like "$new" 'worker_user changes only at restart' \
    "a new worker_user is refused until restart"
unlike "$new" 'generation 4' "no new generation"

kill -0 "$filterd_pid" 2>/dev/null
ok $? "filterd is still running"
unlike "$(cat "$TMP/filterd.log")" 'fatal|ended abnormally|exiting' \
    "no process died on the way"

# SIGTERM with a slow message in a worker: the socket closes at once, the
# message is answered first, then filterd ends.
msg "slow three" slow
mclient -s "unix:$sock" -q SLOW3 -f a@example.org -r b@example.net \
    -m "$TMP/m.eml" > "$TMP/slow3.out" 2>&1 &
slow_pid=$!
wait_log "$TMP/filterd.log" 'SLOW3: job sent to worker [0-9]+'
ok $? "a slow message is in a worker"
kill "$filterd_pid"
wait_log "$TMP/filterd.log" 'stopping: answering 1 message first'
ok $? "SIGTERM: the supervisor answers the message in a worker first"
msg "late"
unlike "$(send)" '^action ' "the socket takes no new connection"
wait "$slow_pid"
like "$(cat "$TMP/slow3.out")" '^action (accept|continue)$' \
    "the slow message is answered"
wait_log "$TMP/filterd.log" 'filterd\[[0-9]+\]: exiting'
ok $? "then filterd ends"

tap_done
