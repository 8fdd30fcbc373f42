#!/bin/sh
# 37-control: the control socket (filterd(8), CONTROL SOCKET) through
# filterctl against a running filterd -- ping, status, stats, metrics,
# reload (good and bad), unknown commands and lines too long, silent
# clients that cannot stall mail -- the counters' exact increments after
# real messages, SIGUSR1 and SIGUSR2, and the metrics listener through
# curl, checked by promtool (Debian's prometheus) when it is installed.
. "${top_srcdir:-$(dirname "$0")/..}/t/tap.sh"

filterd="$top_builddir/filterd/filterd"
ctl="$top_builddir/filterd/filterctl"
[ -x "${MCLIENT:-$top_builddir/t/mclient}" ] || skip_all "t/mclient not built"
[ -x "$ctl" ] || skip_all "filterctl not built"
command -v curl > /dev/null || skip_all "curl not installed"
command -v perl > /dev/null || skip_all "perl not installed"
plan 55

# A free port on the loopback, for the metrics listener.
port=$(perl -MIO::Socket::INET -e 'print IO::Socket::INET->new(
    Listen => 1, LocalAddr => "127.0.0.1:0", ReuseAddr => 1)->sockport')
csock="$TMP/control.sock"
sock=$(conf_for "$top_srcdir/t/data/obs.conf")
cat >> "$TMP/filterd.conf" <<EOC
control_socket = "$csock";
control_mode = "0660";
metrics_listen = "127.0.0.1:$port";
EOC
c() { "$ctl" -s "$csock" "$@"; }
# stat_of NAME...: "NAME VALUE" of filterctl stats, one a line.
stat_of() { c stats | grep -E "^$1\$"; }
url="http://127.0.0.1:$port/metrics"

# A socket left by a filterd that died: replaced at start.
perl -MIO::Socket::UNIX -e 'IO::Socket::UNIX->new(Local => $ARGV[0],
    Listen => 1) or die' "$csock"
start_filterd "$filterd"
ok $? "filterd starts, over a stale control socket"
i=0
while [ ! -S "$csock" ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
like "$(stat -c %a "$csock")" '^660$' "the control socket has control_mode"
out=$(c ping); rc=$?
ok $([ "$out" = pong ] && [ $rc -eq 0 ]; echo $?) "ping: pong, exit 0"
st=$(c status)
like "$st" '^uptime [0-9]+$' "status: uptime"
like "$st" '^generation 1$' "status: generation"
like "$st" '^spawners [12]$' "status: spawners"
like "$st" '^ready_workers [0-9]+$' "status: ready workers"
like "$st" '^messages 0$' "status: no message yet"

# Second filterd on the same control socket: refused, loudly.
sed -e "s#^listen = .*#listen = \"unix:$TMP/second.sock\";#" \
    -e "s#^metrics_listen = .*#metrics_listen = \"\";#" \
    -e "s#^pidfile = .*#pidfile = \"$TMP/second.pid\";#" \
    "$TMP/filterd.conf" > "$TMP/second.conf"
"$filterd" -d -f "$TMP/second.conf" > "$TMP/second.log" 2>&1
ok $([ $? -ne 0 ]; echo $?) "a second filterd on a live control socket exits non-zero"
like "$(cat "$TMP/second.log")" "control_socket $csock: a running process answers on it" \
    "and says why"
out=$(c ping)
ok $([ "$out" = pong ]; echo $?) "the first one still answers"

# The counters, before and after three messages: exact increments.
before=$(c stats)
like "$before" '^messages 0$' "stats: no message yet"
send() {
	printf 'From: a@example.org\nSubject: %s\n\n%s\n' "$2" "$3" > "$TMP/m.eml"
	mclient -s "unix:$sock" -q "$1" -f a@example.org -r b@example.net \
	    -m "$TMP/m.eml" > /dev/null 2>&1
	wait_log "$TMP/filterd.log" " $1: client="
}
send Q1 "hello" "you have won"
send Q2 "an executable" "x"
send Q3 "quarantine-me" "x"
s=$(c stats)
like "$s" '^messages 3$' "stats: messages 3"
like "$s" '^action accept 1$' "stats: action accept 1 (tagged)"
like "$s" '^action reject 1$' "stats: action reject 1"
like "$s" '^action quarantine 1$' "stats: action quarantine 1"
like "$s" '^action tempfail 0$' "stats: action tempfail 0"
like "$s" '^decided worker 3$' "stats: decided by a worker 3"
like "$s" '^failure timeout 0$' "stats: no worker failure"
like "$s" '^rule lottery 1$' "stats: rule lottery 1"
like "$s" '^rule bad-subject 1$' "stats: rule bad-subject 1"
like "$s" '^rule hold 1$' "stats: rule hold 1"
like "$s" '^latency_ms count 3$' "stats: three messages in the histogram"
like "$s" '^latency_ms le=inf 3$' "stats: its last bucket has them all"
like "$(c status)" '^messages 3$' "status: messages 3"

# Prometheus, from the metrics process.
m=$(curl -s -f "$url")
ok $? "curl $url"
like "$m" '^filterd_messages_total\{action="reject"\} 1$' "metrics: messages by action"
like "$m" '^filterd_rule_hits_total\{rule="lottery"\} 1$' "metrics: rule hits"
like "$m" '^filterd_worker_failures_total\{cause="crash"\} 0$' \
    "metrics: worker failures by cause"
like "$m" '^filterd_message_duration_seconds_count 3$' "metrics: the histogram"
like "$m" '^# TYPE filterd_message_duration_seconds histogram$' \
    "metrics: typed a histogram"
like "$m" '^filterd_up 1$' "metrics: up"
like "$m" '^filterd_ready_workers [0-9]+$' "metrics: ready workers"
printf '%s\n' "$m" > "$TMP/metrics.txt"
if command -v promtool > /dev/null; then
	promtool check metrics < "$TMP/metrics.txt" > "$TMP/promtool.out" 2>&1
	ok $? "promtool check metrics accepts them"
	[ -s "$TMP/promtool.out" ] && diag "$(cat "$TMP/promtool.out")"
else
	skip "promtool not installed (Debian package prometheus)"
fi
code=$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$port/")
like "$code" '^404$' "metrics: another path is 404"
code=$(curl -s -o /dev/null -w '%{http_code}' -X POST -d x=1 "$url")
like "$code" '^405$' "metrics: POST is 405"
send Q4 "hello" "x"
like "$(curl -s "$url")" '^filterd_messages_total\{action="accept"\} 2$' \
    "metrics: the counters move"
mp=$(ps -o pid=,comm= --ppid "$filterd_pid" | awk '$2 == "filterd-metrics" { print $1 }')
ms=$(cat "/proc/$mp/status" 2>/dev/null)
like "$ms" 'Seccomp:[[:space:]]+2' "the metrics process runs under its seccomp policy"
like "$ms" 'NoNewPrivs:[[:space:]]+1' "with no-new-privs"
like "$ms" 'CapEff:[[:space:]]+0+$' "and no capability"

# reload: good, then a file with errors.
out=$(c reload); rc=$?
ok $([ "$out" = "ok generation 2" ] && [ $rc -eq 0 ]; echo $?) \
    "reload: ok generation 2, exit 0 ($out)"
like "$(c status)" '^generation 2$' "status: generation 2"
cp "$TMP/filterd.conf" "$TMP/good.conf"
echo 'this is not a setting' >> "$TMP/filterd.conf"
out=$(c reload); rc=$?
ok $([ $rc -eq 1 ]; echo $?) "reload of a bad file: exit 1"
like "$out" '^error: reload failed, generation 2 stays in force' "and says so"
cp "$TMP/good.conf" "$TMP/filterd.conf"

# What a client cannot do.
out=$(c 'stats; reload'); rc=$?
ok $([ $rc -eq 1 ]; echo $?) "an unknown command: exit 1"
like "$out" '^error: unknown command "stats; reload"' "and only an error"
out=$(perl -MIO::Socket::UNIX -e '$s = IO::Socket::UNIX->new(Peer => $ARGV[0])
    or die; print $s "x" x 100; print <$s>' "$csock")
like "$out" '^error: line too long$' "a line too long: refused"
# Eight silent clients take every slot: mail flows, a ninth is told
# busy, and they are gone after their time (CTL_CLIENT_MS).
perl -MIO::Socket::UNIX -e 'for (1..8) { push @s, IO::Socket::UNIX->new(
    Peer => $ARGV[0]) or die } sleep 7' "$csock" &
hold=$!
sleep 0.5
start=$(date +%s%N)
send Q5 "hello" "x"
ms=$((($(date +%s%N) - start) / 1000000))
ok $([ $ms -lt 3000 ]; echo $?) "silent control clients do not stall mail ($ms ms)"
like "$(c ping)" '^error: busy$' "a ninth client is told busy"
i=0
while [ "$(c ping 2>/dev/null)" != pong ] && [ $i -lt 100 ]; do
	sleep 0.1; i=$((i + 1))
done
like "$(c ping)" '^pong$' "the silent clients are dropped after their time"
kill "$hold" 2>/dev/null
wait "$hold" 2>/dev/null

# SIGUSR1, SIGUSR2: logged, harmless.
lines=$(wc -l < "$TMP/filterd.log")
kill -USR1 "$filterd_pid"
wait_log_after "$lines" 'stats: messages 5$'
ok $? "SIGUSR1 logs the counters"
kill -USR2 "$filterd_pid"
wait_log_after "$lines" 'status: generation 2$'
ok $? "SIGUSR2 logs the status"
kill -0 "$filterd_pid"
ok $? "and filterd still runs"

kill "$filterd_pid"
wait "$filterd_pid"
ok $? "filterd exits on SIGTERM"
ok $([ ! -e "$csock" ]; echo $?) "and removes its control socket"
tap_done
