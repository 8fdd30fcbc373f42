#!/bin/sh
# 33-storm: a crash storm starves no one.  t/filterd-hostile serves a
# legitimate load from client 10.0.0.2 (t/bench, eight connections at a
# time as in make bench, every 4th message one the rules reject) in five
# runs of STORM_S seconds: alone, under the storm, alone, under the storm,
# alone.  The
# storm: two connections from 10.0.0.1 send message after message that
# crashes its worker.  Under it the legitimate client keeps at least half
# the throughput it has alone (the mean of the runs of each kind, so that
# other load on the host changing meanwhile counts for both), and every
# one of its messages gets its real verdict -- accept, or the rule's
# reject -- never the fallback.  The crashing client is penalised after
# its first crash: its messages get the fallback without a worker.
#
# Then the penalty itself, on a reload that makes it 10 s: after a crash the
# same client's next message gets on_failure without a worker (the milter
# frontend refuses its connection at the connect step, or at the first
# step the MTA awaits a reply for) and a log line that says so, another
# client is served; the penalty ends after its 10 s, and a second offence
# costs 20; loopback is exempt; an IPv6 /64 is one client.
. "${top_srcdir:-$(dirname "$0")/..}/t/tap.sh"

bench="$top_builddir/t/bench"
[ -x "$bench" ] || skip_all "t/bench not built"
[ -x "${MCLIENT:-$top_builddir/t/mclient}" ] || skip_all "t/mclient not built"
dur=${STORM_S:-2}

plan 25

sock=$(conf_for "$top_srcdir/t/data/storm.conf")
start_filterd "$top_builddir/t/filterd-hostile"
ok $? "filterd-hostile starts"

now_ms() { date +%s%3N; }
# legit NAME: the legitimate load, dur seconds; its line in $TMP/NAME.out.
legit() {
	"$bench" -s "unix:$sock" -a 10.0.0.2 -c 8 -n 100000 -w 0 \
	    -d "$dur" -R 4 -t 20 > "$TMP/$1.out" 2> "$TMP/$1.err"
}
field() { sed -n "s/.* $2=\\([0-9]*\\).*/\\1/p" "$TMP/$1.out"; }
rate() {
	_r=$(sed -n 's/^msgs\/s=\([0-9]*\) .*/\1/p' "$TMP/$1.out")
	echo "${_r:-0}"
}
# right NAME: every message of the load got the verdict it should.
right() {
	[ "$(rate "$1")" -gt 0 ] && [ "$(field "$1" wrong)" = 0 ] &&
	    [ "$(field "$1" errors)" = 0 ] &&
	    [ "$(field "$1" expected_reject)" -gt 0 ]
}
# storm_on, storm_off: two connections at a time from 10.0.0.1, each
# message crashing its worker.
storm_on() {
	"$bench" -s "unix:$sock" -a 10.0.0.1 -c 2 -n 1000000 -w 0 -d 60 \
	    -t 20 -h 'X-Hostile: segv' > /dev/null 2>&1 &
	crash_pid=$!
	tap_pids="$tap_pids $crash_pid"
}
storm_off() {
	kill "$crash_pid" 2>/dev/null
	wait "$crash_pid" 2>/dev/null
}
# logged REGEX DESCRIPTION: the storm's log matches.
logged() {
	grep -Eq -- "$1" "$TMP/storm.log"
	ok $? "$2"
}

# Warm-up: the first spawners start, the pools fill.
"$bench" -s "unix:$sock" -a 10.0.0.2 -c 8 -n 40 -w 0 -R 4 -t 20 \
    > "$TMP/warm.out" 2>&1
ok $? "a warm-up load is served"

lines=$(wc -l < "$TMP/filterd.log")
legit alone1
storm_on
wait_log_after "$lines" \
    'client=10\.0\.0\.1 .*failure=worker exited without a verdict'
legit storm1
storm_off
legit alone2
storm_on
legit storm2
storm_off
legit alone3
for r in alone1 storm1 alone2 storm2 alone3; do
	diag "$r: $(cat "$TMP/$r.out")"
done
ok $(right alone1 && right alone2 && right alone3; echo $?) \
    "alone: every message gets its real verdict"
ok $(right storm1 && right storm2; echo $?) \
    "under the storm: every message gets its real verdict, never the fallback"

alone=$(( ($(rate alone1) + $(rate alone2) + $(rate alone3)) / 3 ))
storm=$(( ($(rate storm1) + $(rate storm2)) / 2 ))
ok $([ "$alone" -gt 0 ] && [ $((2 * storm)) -ge "$alone" ]; echo $?) \
    "under two crashing connections, at least half the throughput"
diag "alone $alone msgs/s, under the storm $storm: ratio $(awk \
    -v s="$storm" -v a="$alone" 'BEGIN { printf "%.2f", (a > 0) ? s / a : 0 }')"

tail -n +$((lines + 1)) "$TMP/filterd.log" > "$TMP/storm.log"
logged 'spawner.*worker [0-9]+ killed by signal (11|31)' \
    "the storm's workers did crash"
logged 'client 10\.0\.0\.1 penalised for 30 s, offence 1: worker [0-9]+ exited without a verdict' \
    "the crashing client is penalised, with one line"
logged 'client=10\.0\.0\.1 .*worker=0 .*failure=penalty \(offence 1, [0-9]+ s left\)' \
    "its next messages get the fallback without a worker"
! grep -q 'client 10\.0\.0\.2 penalised' "$TMP/storm.log"
ok $? "the other client is not penalised"
crashing=$(grep -c 'client=10\.0\.0\.1 ' "$TMP/storm.log")
ok $([ "$crashing" -gt 0 ] && ! grep 'client=10\.0\.0\.1 ' "$TMP/storm.log" |
    grep -qv 'action=tempfail'; echo $?) \
    "every crashing message gets the fallback"
diag "$crashing crashing messages, $(grep -c 'killed by signal' \
    "$TMP/storm.log") workers crashed, $(grep -c \
    'standby spawner [0-9]* takes over' "$TMP/storm.log") standby takeovers"

# The penalty, 10 s on a reload: long enough that the next message of a
# busy CI machine's ASan build still comes within it.
printf 'penalty = { base = 10; max = 60; };\n' >> "$TMP/filterd.conf"
kill -HUP "$filterd_pid"
wait_log "$TMP/filterd.log" 'configuration generation 2 in force'
ok $? "a reload makes penalties 10 s long"

printf 'From: a@example.org\nSubject: hello\n\nhi\n' > "$TMP/ok.eml"
printf 'From: a@example.org\nSubject: hello\nX-Hostile: segv\n\nhi\n' \
    > "$TMP/crash.eml"
send() {	# send ADDR FILE
	mclient -s "unix:$sock" -a "$1" -f a@example.org -r b@example.net \
	    -m "$2" 2>&1
}

lines=$(wc -l < "$TMP/filterd.log")
t0=$(now_ms)
like "$(send 10.0.0.3 "$TMP/crash.eml")" '^reply 451 4\.3\.0 ' \
    "a message that crashes its worker gets the fallback"
wait_log_after "$lines" 'client 10\.0\.0\.3 penalised'
like "$(tail -n +$((lines + 1)) "$TMP/filterd.log")" \
    'client 10\.0\.0\.3 penalised for 10 s, offence 1: worker [0-9]+ exited without a verdict' \
    "one line: the client, its offence count and the penalty's length"
lines=$(wc -l < "$TMP/filterd.log")
out=$(send 10.0.0.3 "$TMP/ok.eml")
like "$out" '^reply 451 4\.3\.0 ' \
    "the same client's next message gets on_failure"
# With no reply to the steps before it, the refusal waits for the message's
# end; its worker=0 below shows it was refused all the same.
if mc_noreply; then
	like "$out" '^phase eom$' \
	    "the milter frontend refuses it at end of message (no-reply steps)"
else
	like "$out" '^phase connect$' \
	    "the milter frontend refuses it at the connect step"
fi
wait_log_after "$lines" 'client=10\.0\.0\.3 '
like "$(tail -n +$((lines + 1)) "$TMP/filterd.log")" \
    'client=10\.0\.0\.3 .*action=tempfail .*worker=0 .*failure=penalty \(offence 1, ([1-9]|10) s left\)' \
    "without a worker, and its log line says failure=penalty"
like "$(send 10.0.0.4 "$TMP/ok.eml")" '^action accept$' \
    "another client is served"

# The penalty ends after its 10 s, not before.
served=""
while [ $(($(now_ms) - t0)) -lt 40000 ]; do
	out=$(send 10.0.0.3 "$TMP/ok.eml")
	case $out in
	*"action accept"*) served=$(($(now_ms) - t0)); break ;;
	esac
	sleep 0.2
done
ok $([ -n "$served" ] && [ "$served" -ge 9900 ]; echo $?) \
    "the penalty ends after 10 s (served ${served:-never} ms after the crash)"

lines=$(wc -l < "$TMP/filterd.log")
send 10.0.0.3 "$TMP/crash.eml" > /dev/null
wait_log_after "$lines" 'client 10\.0\.0\.3 penalised'
like "$(tail -n +$((lines + 1)) "$TMP/filterd.log")" \
    'client 10\.0\.0\.3 penalised for 20 s, offence 2' \
    "a second offence costs twice as long"

lines=$(wc -l < "$TMP/filterd.log")
send 127.0.0.1 "$TMP/crash.eml" > /dev/null
like "$(send 127.0.0.1 "$TMP/ok.eml")" '^action accept$' \
    "loopback is exempt: served after its crash"
unlike "$(tail -n +$((lines + 1)) "$TMP/filterd.log")" 'client 127\.0\.0\.1 penalised' \
    "and not penalised"

lines=$(wc -l < "$TMP/filterd.log")
send 2001:db8:1:2::5 "$TMP/crash.eml" > /dev/null
wait_log_after "$lines" 'client 2001:db8:1:2::5 '
like "$(send 2001:db8:1:2::99 "$TMP/ok.eml")" '^reply 451 4\.3\.0 ' \
    "an IPv6 client is its /64: another address of it is penalised"
like "$(send 2001:db8:1:3::1 "$TMP/ok.eml")" '^action accept$' \
    "the next /64 is another client"
like "$(tail -n +$((lines + 1)) "$TMP/filterd.log")" \
    'client 2001:db8:1:2::5 \(2001:db8:1:2::/64\) penalised for 10 s, offence 1' \
    "the log names the /64"

kill -0 "$filterd_pid"
ok $? "filterd is still running"
tap_done
