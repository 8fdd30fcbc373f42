#!/bin/sh
# bench.sh: the "make bench" driver.  For each scenario it starts
# t/nullmilter (a do-nothing libmilter milter, the baseline) and filterd
# on temporary unix sockets -- and a second filterd build when
# BENCH_FILTERD_B names one -- then runs the same load (t/bench) against
# each, round after round, the order of the milters reversed every other
# round, so that a machine that gets busier or quieter during the run
# weighs on every milter alike.  Prints every run's line as it goes and
# at the end one table: per scenario the median messages per second of
# each milter and the median of the per-round ratios, each with its range
# over the rounds, and the p99 latencies.  Trusts its environment; cleans
# up after itself.
#
# The scenarios (BENCH_SCENARIOS picks some, in the order given):
#   2k      2 KB body, 8 connections                  (issue 10: >= 0.6)
#   p99     2 KB body, 4 connections: the p99 latency (issue 10: <= 5 ms)
#   100k    100 KB body, 8 connections                (issue 10: >= 0.5)
#   10m     10 MB body, 4 connections                 (issue 10: >= 0.3)
#   rules   2 KB body, 8 connections, filterd with 1,000 PCRE2 rules none
#           of which matches                           (issue 10: >= 0.4)
#   1c      2 KB body, 1 connection: the latency of a lone message
#           (not in the default set)
# Each message goes on a connection of its own, as Postfix sends them.
# Every message must be accepted: a run in which filterd answered any
# otherwise (a fallback, a penalty) is reported with filterd's log lines
# about it, and makes the script exit 1 after the table.
#
# Environment:
#   builddir, srcdir   where the programs and conf/filterd.conf are (".")
#   BENCH_SCENARIOS    the scenarios to run ("2k p99 100k 10m rules")
#   BENCH_ROUNDS       rounds per scenario (3); every milter runs once a round
#   BENCH_CONC         concurrent connections, for every scenario chosen
#                      (default: the scenario's own)
#   BENCH_N            measured messages per milter and round, for every
#                      scenario chosen (default: the scenario's own)
#   BENCH_WARMUP       warm-up messages before each measured run, not
#                      measured (default: the scenario's own, a tenth of N)
#   BENCH_CONF         configuration to start from ($srcdir/conf/filterd.conf);
#                      its "listen" line is rewritten to a temporary socket,
#                      and for "rules" its rules are replaced
#   BENCH_USER         rewrite its "user" line to this user; when run as root
#                      and there is no user "filterd", "nobody" is used.
#                      As root, its worker_user must exist too
#                      (./autogen.sh --deps creates "filterd-worker")
#   BENCH_FILTERD      the filterd binary under test ($builddir/filterd/filterd)
#   BENCH_FILTERD_B    a second filterd binary (another branch's build, say
#                      /work/main/filterd/filterd), measured in the same
#                      rounds with the same configuration: the table gets its
#                      column and the per-round ratio filterd/B
#   BENCH_CONF_B       its configuration, if it needs another (BENCH_CONF)
#   BENCH_OUT          file to append the raw results to, one line a run:
#                      scenario round role baseline msgs/s p50_ms p99_ms
#                      (role: base, A for filterd, B; t/bench-table.awk
#                      makes the table again from such a file)
#   FILTERD_CMD        command that starts the milter under test instead of
#                      "$BENCH_FILTERD -d -f $FILTERD_CONF"; it is run by sh
#                      with FILTERD_SOCK (the socket path to listen on) and
#                      FILTERD_CONF exported, e.g.
#                      FILTERD_CMD='t/nullmilter -p unix:$FILTERD_SOCK'
#   BENCH_CLIENT_ADDR  the client address the milters are told (192.0.2.1).
#                      filterd penalises a client whose message made a
#                      worker fail (super_penalty.c): every later message of
#                      that client gets the fallback for 30 s and more, and
#                      the run is not valid.  127.0.0.1 is exempt in the
#                      sample configuration: on a machine so busy that a
#                      worker misses a deadline, the run then loses only
#                      that message (still reported)
#   BENCH_KEEP=1       keep the temporary directory: the milters' logs
#                      and configurations
#   BENCH_SELFTEST=1   only print the rules configuration ("rules") to
#                      stdout and exit (for t/05-bench-tools.sh)
set -u

builddir=${builddir:-.}
srcdir=${srcdir:-.}
scenarios=${BENCH_SCENARIOS:-2k p99 100k 10m rules}
rounds=${BENCH_ROUNDS:-3}
conf_src=${BENCH_CONF:-$srcdir/conf/filterd.conf}
conf_src_b=${BENCH_CONF_B:-$conf_src}
fd_a=${BENCH_FILTERD:-$builddir/filterd/filterd}
fd_b=${BENCH_FILTERD_B:-}
out=${BENCH_OUT:-}
client=${BENCH_CLIENT_ADDR:-192.0.2.1}

fail() {
	echo "bench.sh: $*" >&2
	exit 1
}

# rules_conf SRC: SRC with its top-level "rules = ( ... );" list replaced
# by 1,000 rules that the bench's message does not match: 300 on header
# fields, 100 on every header, 400 on the body, 100 on the sender and 100
# on the recipients, in four shapes of pattern (a word, alternatives,
# a character class, an anchored one), case-insensitive but for the
# anchored ones, so that PCRE2 cannot skip them all with one memchr.
rules_conf() {
	awk '
	function pat(i) {
		if (i % 4 == 0)
			return sprintf("(?i)\\\\bnomatch%04d\\\\b", i)
		if (i % 4 == 1)
			return sprintf("(?i)(?:buy|order|get)\\\\s+now\\\\s+%04d", i)
		if (i % 4 == 2)
			return sprintf("(?i)v[i1]agr[a@4]\\\\W*%04d", i)
		return sprintf("^zz%04d[a-z]+$", i)
	}
	function rule(i,  what, hdr) {
		if (i < 300) {
			hdr = i % 3 == 0 ? "Subject" : (i % 3 == 1 ? "From" : \
			    "X-Mailer")
			what = sprintf("header = \"%s\"; pattern = \"%s\";", hdr,
			    pat(i))
		} else if (i < 400)
			what = sprintf("any_header = \"%s\";", pat(i))
		else if (i < 800)
			what = sprintf("body = \"%s\";", pat(i))
		else if (i < 900)
			what = sprintf("sender = \"%s\";", pat(i))
		else
			what = sprintf("recipient = \"%s\";", pat(i))
		return sprintf("\t{ name = \"bench%04d\"; %s action = \"reject\"; " \
		    "reply = \"550 5.7.1 Bench rule %04d\"; }", i, what, i)
	}
	/^rules[ \t]*=/ { skip = 1; next }
	skip && /^\);/ {
		skip = 0
		print "rules = ("
		for (i = 0; i < 1000; i++)
			print rule(i) (i < 999 ? "," : "")
		print ");"
		next
	}
	!skip { print }
	' "$1"
}

if [ "${BENCH_SELFTEST:-}" = 1 ]; then
	rules_conf "$conf_src"
	exit $?
fi

# psi: the CPU pressure of the last minute (share of time some runnable
# task waited for a CPU), which says more than the load how much others
# took of the machine; nothing where the kernel has no PSI.
psi() {
	[ -r /proc/pressure/cpu ] &&
	    sed -n 's/^some avg10=[^ ]* avg60=\([^ ]*\).*/; cpu pressure 60 s: \1%/p' \
	    /proc/pressure/cpu
}

tmp=$(mktemp -d "${TMPDIR:-/tmp}/fdbench.XXXXXX") || exit 1
pids=	# the milters started (stop_all)

# stop_all: SIGTERM to every milter started, up to 10 s, then SIGKILL.
stop_all() {
	for pid in $pids; do
		kill -TERM "$pid" 2>/dev/null
	done
	for pid in $pids; do
		i=0
		while kill -0 "$pid" 2>/dev/null && [ $i -lt 100 ]; do
			sleep 0.1
			i=$((i + 1))
		done
		kill -KILL "$pid" 2>/dev/null
		wait "$pid" 2>/dev/null
	done
	pids=
}

cleanup() {
	stop_all
	if [ "${BENCH_KEEP:-0}" = 1 ]; then
		echo "bench: logs kept in $tmp" >&2
	else
		rm -rf "$tmp"
	fi
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# wait_socket PATH PID LOG: waits up to 60 s for a milter to listen (1,000
# rules take filterd a few seconds to compile).
wait_socket() {
	i=0
	while [ ! -S "$1" ]; do
		if ! kill -0 "$2" 2>/dev/null; then
			sed 's/^/  | /' "$3" >&2
			fail "milter exited before listening on $1"
		fi
		[ $i -lt 600 ] || fail "no socket $1 after 60 s"
		sleep 0.1
		i=$((i + 1))
	done
}

# scenario NAME: sets conc, size, n, warmup, nrules and what for NAME.
scenario() {
	nrules=0
	case "$1" in
	2k)	conc=8 size=2048 n=2000 what="2 KB, 8 connections" ;;
	p99)	conc=4 size=2048 n=2000 what="2 KB, 4 connections" ;;
	100k)	conc=8 size=102400 n=600 what="100 KB, 8 connections" ;;
	10m)	conc=4 size=10485760 n=24 what="10 MB, 4 connections" ;;
	rules)	conc=8 size=2048 n=1000 nrules=1000
		what="1,000 rules, 2 KB, 8 connections" ;;
	1c)	conc=1 size=2048 n=1000 what="2 KB, 1 connection" ;;
	*)	fail "unknown scenario \"$1\" (2k p99 100k 10m rules 1c)" ;;
	esac
	conc=${BENCH_CONC:-$conc}
	n=${BENCH_N:-$n}
	warmup=$(((n + 9) / 10))
	warmup=${BENCH_WARMUP:-$warmup}
}

# write_conf SRC DST SOCK: a configuration for one filterd of a scenario.
write_conf() {
	listen_expr="s|^listen[ 	=].*|listen = \"unix:$3\";|"
	user_expr="s|^user[ 	=].*|user = \"$user\";|"
	if [ "$nrules" -gt 0 ]; then
		rules_conf "$1"
	else
		cat "$1"
	fi | sed -e "$listen_expr" ${user:+-e} ${user:+"$user_expr"} \
	    -e "/^pidfile[ 	=]/d" >"$2" || fail "cannot write $2"
	# Its own pidfile, beside its socket: the default is the machine's.
	# (A build older than the pidfile setting, as B, has none.)
	if grep -q "^pidfile[ 	=]" "$1"; then
		echo "pidfile = \"$3.pid\";" >>"$2"
	fi
	grep -q "^listen = \"unix:$3\";" "$2" ||
	    fail "no line starting with \"listen\" in $1"
	if [ "$nrules" -gt 0 ] &&
	    [ "$(grep -c '^	{ name = "bench' "$2")" -ne "$nrules" ]; then
		fail "no top-level \"rules = (\" ... \");\" list in $1"
	fi
}

for prog in t/bench t/nullmilter; do
	[ -x "$builddir/$prog" ] || fail "$builddir/$prog is not built"
done
if [ -z "${FILTERD_CMD:-}" ]; then
	[ -x "$fd_a" ] || fail "$fd_a is not built"
fi
[ -z "$fd_b" ] || [ -x "$fd_b" ] || fail "BENCH_FILTERD_B: $fd_b is not" \
    "an executable"
for c in "$conf_src" "$conf_src_b"; do
	[ -r "$c" ] || fail "cannot read $c"
done
case "$rounds" in
''|*[!0-9]*|0) fail "BENCH_ROUNDS must be a number above 0" ;;
esac
for s in $scenarios; do
	scenario "$s"
done

user=${BENCH_USER:-}
if [ -z "$user" ] && [ "$(id -u)" = 0 ] && ! id filterd >/dev/null 2>&1; then
	user=nobody
	echo "bench.sh: no user filterd, running as nobody" >&2
fi
wuser=$(sed -n 's/^worker_user[ 	=]*"\(.*\)";.*/\1/p' "$conf_src")
if [ "$(id -u)" = 0 ] && ! id "${wuser:-filterd-worker}" >/dev/null 2>&1
then
	fail "no user ${wuser:-filterd-worker} for the workers" \
	    "(./autogen.sh --deps creates it)"
fi

FILTERD_SOCK=$tmp/filterd.sock
FILTERD_CONF=$tmp/filterd.conf
export FILTERD_SOCK FILTERD_CONF builddir

# start NAME LOG COMMAND...: one milter in the background; adds its pid.
start() {
	name=$1 log=$2
	shift 2
	"$@" >"$log" 2>&1 &
	pids="$pids $!"
	eval "pid_$name=\$!"
}

# run_one SCENARIO ROUND NAME SOCKET: one measured run; appends its line
# to the results (see BENCH_OUT).
run_one() {
	from=$(($(wc -l < "$tmp/$1.$3.log") + 1))
	line=$("$builddir/t/bench" -s "unix:$4" -c "$conc" -n "$n" \
	    -w "$warmup" -b "$size" -t 120 -a "$client")
	rc=$?
	echo "$1 r$2 $3: $line"
	if [ $rc -ne 0 ] || [ -z "$line" ]; then
		sed 's/^/  | /' "$tmp/$1.$3.log" >&2
		fail "bench against $3 failed"
	fi
	# Every message of the load is one to accept: anything else (a rule
	# of "rules" that matches, a fallback, a client penalised after a
	# worker failed) measures something else.  Such a run is reported,
	# with filterd's own lines about it, and makes the whole run fail.
	bad=$(echo "$line" | awk '{
		for (i = 1; i <= NF; i++) {
			split($i, kv, "=")
			v[kv[1]] = kv[2]
		}
		print v["ok"] - v["accept"] - v["continue"]
	}')
	if [ "$bad" != 0 ]; then
		echo "bench.sh: $1 round $2: $3 answered $bad messages" \
		    "otherwise than accept; the figure is not valid" |
		    tee -a "$tmp/invalid" >&2
		grep -E 'penalised|failure=|fallback' "$tmp/$1.$3.log" |
		    head -n 5 | sed 's/^/  | /' >&2
	fi
	# One fresh worker per message: no worker pid twice in a run (a run
	# forks far fewer processes than pid_max, so the pids cannot wrap).
	if [ "$3" != nullmilter ]; then
		wpids=$(tail -n +"$from" "$tmp/$1.$3.log" |
		    sed -n 's/.* action=[a-z-]* .* worker=\([0-9]*\) .*/\1/p')
		total=$(printf '%s\n' "$wpids" | grep -c .)
		uniq=$(printf '%s\n' "$wpids" | grep . | sort -u | wc -l)
		if [ "$total" -lt "$n" ]; then
			echo "bench.sh: $1 round $2: $3 logged $total message" \
			    "lines for $n messages: one worker a message not" \
			    "checked" >&2
		elif [ "$total" -ne "$uniq" ]; then
			echo "bench.sh: $1 round $2: $3 logged $total messages" \
			    "with only $uniq distinct worker pids" |
			    tee -a "$tmp/invalid" >&2
		fi
		echo "$1 r$2 $3: $total messages logged, $uniq workers"
	fi
	case $3 in
	nullmilter) role=base ;;
	filterd) role=A ;;
	*) role=$3 ;;
	esac
	echo "$line" | awk -v s="$1" -v r="$2" -v role="$role" '{
		for (i = 1; i <= NF; i++) {
			split($i, kv, "=")
			v[kv[1]] = kv[2]
		}
		print s, r, role, "nullmilter", v["msgs/s"], v["p50_ms"],
		    v["p99_ms"]
	}' >>"$tmp/results"
}

# run_scenario NAME: starts the milters, runs the rounds, stops them.
run_scenario() {
	scenario "$1"
	echo "== $1: $what; $n messages a run after $warmup" \
	    "warm-up, $rounds rounds; load: $(cut -d' ' -f1-3 /proc/loadavg)$(psi)"
	rm -f "$tmp"/*.sock
	write_conf "$conf_src" "$FILTERD_CONF" "$FILTERD_SOCK"
	milters="nullmilter filterd"
	start nullmilter "$tmp/$1.nullmilter.log" \
	    "$builddir/t/nullmilter" -p "unix:$tmp/null.sock"
	if [ -n "${FILTERD_CMD:-}" ]; then
		start filterd "$tmp/$1.filterd.log" sh -c "exec $FILTERD_CMD"
	else
		start filterd "$tmp/$1.filterd.log" "$fd_a" -d -f "$FILTERD_CONF"
	fi
	if [ -n "$fd_b" ]; then
		write_conf "$conf_src_b" "$tmp/b.conf" "$tmp/b.sock"
		start B "$tmp/$1.B.log" "$fd_b" -d -f "$tmp/b.conf"
		milters="$milters B"
	fi
	wait_socket "$tmp/null.sock" "$pid_nullmilter" "$tmp/$1.nullmilter.log"
	wait_socket "$FILTERD_SOCK" "$pid_filterd" "$tmp/$1.filterd.log"
	[ -z "$fd_b" ] || wait_socket "$tmp/b.sock" "$pid_B" "$tmp/$1.B.log"
	r=1
	while [ $r -le "$rounds" ]; do
		if [ $((r % 2)) -eq 1 ]; then
			order=$milters
		else
			order=$(echo "$milters" | awk '{
				for (i = NF; i > 0; i--)
					printf "%s%s", $i, (i > 1 ? " " : "\n")
			}')
		fi
		for m in $order; do
			case $m in
			nullmilter) sock=$tmp/null.sock ;;
			filterd) sock=$FILTERD_SOCK ;;
			B) sock=$tmp/b.sock ;;
			esac
			run_one "$1" "$r" "$m" "$sock"
		done
		r=$((r + 1))
	done
	stop_all
}

echo "bench: $(uname -r), $(nproc) CPUs; scenarios: $scenarios;" \
    "rounds: $rounds"
echo "bench: filterd: ${FILTERD_CMD:-$fd_a}${fd_b:+; B: $fd_b}"
echo "bench: uptime: $(uptime)$(psi)"
: >"$tmp/results"
for s in $scenarios; do
	run_scenario "$s"
done
echo "bench: uptime: $(uptime)$(psi)"
[ -z "$out" ] || cat "$tmp/results" >>"$out" ||
    echo "bench.sh: cannot append to $out" >&2

echo
echo "bench: medians over $rounds rounds [min-max]; ratios taken round by round"
awk -f "$srcdir/t/bench-table.awk" "$tmp/results"
if [ -s "$tmp/invalid" ]; then
	echo
	sed 's/^/INVALID: /' "$tmp/invalid"
	exit 1
fi
