#!/bin/bash
# bench-mta.sh: the "make bench-mta" driver -- filterd behind real mail
# servers, against a do-nothing baseline in the same server, rounds
# alternated.  Two parts (BENCH_MTA picks them):
#
#   postfix    smtp-source -> a private Postfix on 127.0.0.1 -> smtp-sink
#              (t/lib-postfix.sh's instance).  One Postfix, one smtpd
#              service (port) per milter, each with its own smtpd_milters:
#              t/nullmilter and filterd on unix sockets ("postfix-unix")
#              and on TCP sockets on 127.0.0.1 ("postfix-tcp").  Each run
#              is smtp-source sending BENCH_PF_N messages of BENCH_MTA_SIZE
#              bytes, one a session, BENCH_PF_SESSIONS sessions at a time.
#   opensmtpd  smtp-source -> OpenSMTPD 6.8 (Debian 12's package, unpacked
#              in the build tree as t/lib-opensmtpd.sh does, in a private
#              mount namespace) -> smtp-sink.  One smtpd, one listener per
#              filter: filterd's OpenSMTPD frontend ("filterd -x opensmtpd")
#              and t/passfilter, a proc-exec filter that passes every line
#              through.  For each count S of BENCH_OSMTPD_SESSIONS
#              ("opensmtpd-S"), a run is BENCH_OSMTPD_BATCHES times S
#              sessions at once of BENCH_OSMTPD_PER_SESSION messages each
#              (S smtp-source -d -s 1, each one session of several
#              messages).
#
# Before measuring, one message with the Subject "run this executable"
# goes through each path with swaks: filterd must refuse it (conf's
# bad-subject rule), the baseline accept it -- so the milter or filter is
# really in the path.  A run is timed from smtp-source's start to its exit
# (every message accepted by the server: the milter or filter has
# answered); then the script waits, untimed, until the server's queue is
# empty (delivered to smtp-sink), so that no run pays for the last one's
# deliveries.  Prints messages per second for every run, and at the end
# t/bench-table.awk's table: per scenario the medians over the rounds, and
# the median of the per-round ratios filterd/baseline, with their ranges;
# for Postfix also filterd's TCP figure over its unix figure, round by
# round.
#
# Needs root (Postfix and smtpd start as root), smtp-source and smtp-sink
# (Debian package postfix), swaks; for OpenSMTPD also what
# t/lib-opensmtpd.sh needs (dpkg-deb, apt-get to download the package once,
# unshare).  A part whose needs are not met is skipped, saying why.
#
# Environment:
#   top_builddir, top_srcdir  the build and source trees (make sets them)
#   BENCH_MTA           the parts to run ("postfix opensmtpd")
#   BENCH_ROUNDS        rounds (3); every path runs once a round, the order
#                       reversed every other round
#   BENCH_MTA_SIZE      message body bytes, smtp-source -l (2048)
#   BENCH_PF_SESSIONS   Postfix: sessions at a time (8)
#   BENCH_PF_N          Postfix: messages a run (1000)
#   BENCH_OSMTPD_SESSIONS     OpenSMTPD: session counts ("8 32")
#   BENCH_OSMTPD_PER_SESSION  OpenSMTPD: messages a session (10)
#   BENCH_OSMTPD_BATCHES      OpenSMTPD: smtp-source runs a run (3)
#   BENCH_PASS_ARGS     arguments of t/passfilter ("": data-line and commit
#                       only; "-a": every phase and report filterd
#                       registers)
#   BENCH_FILTERD       the filterd under test ($top_builddir/filterd/filterd)
#   BENCH_FILTERD_B     a second filterd build, measured in the same rounds
#   BENCH_CONF, BENCH_CONF_B  their configuration ($top_srcdir/conf/filterd.conf;
#                       listen, user and worker_user are rewritten)
#   BENCH_OUT           file to append the raw results to (t/bench.sh says how)
#   OPENSMTPD_ROOT, OPENSMTPD_DEB  as for t/60-opensmtpd.sh
#   KEEP_TMP=1          keep the temporary directory (logs, configuration)
set -u

here=$(cd "$(dirname "$0")" && pwd)
: "${top_srcdir:=$(cd "$here/.." && pwd)}"
: "${top_builddir:=$top_srcdir}"
export top_srcdir top_builddir

parts=${BENCH_MTA:-postfix opensmtpd}
rounds=${BENCH_ROUNDS:-3}
size=${BENCH_MTA_SIZE:-2048}
pf_sessions=${BENCH_PF_SESSIONS:-8}
pf_n=${BENCH_PF_N:-1000}
os_sessions=${BENCH_OSMTPD_SESSIONS:-8 32}
os_per=${BENCH_OSMTPD_PER_SESSION:-10}
os_batches=${BENCH_OSMTPD_BATCHES:-3}
pass_args=${BENCH_PASS_ARGS:-}
fd_a=${BENCH_FILTERD:-$top_builddir/filterd/filterd}
fd_b=${BENCH_FILTERD_B:-}
conf_src=${BENCH_CONF:-$top_srcdir/conf/filterd.conf}
conf_src_b=${BENCH_CONF_B:-$conf_src}
out=${BENCH_OUT:-}
null=$top_builddir/t/nullmilter
pass=$top_builddir/t/passfilter
source_bin=$(command -v smtp-source 2>/dev/null || echo /usr/sbin/smtp-source)

. "$top_srcdir/t/lib-postfix.sh"
# lib-opensmtpd.sh's helpers work in $TMP and record pids in tap_pids.
TMP=
tap_pids=
. "$top_srcdir/t/lib-opensmtpd.sh"

fail() {
	echo "bench-mta.sh: $*" >&2
	exit 1
}

for p in "$null" "$pass" "$fd_a" ${fd_b:+"$fd_b"}; do
	[ -x "$p" ] || fail "$p is not built"
done
case "$rounds" in
''|*[!0-9]*|0) fail "BENCH_ROUNDS must be a number above 0" ;;
esac

# psi: the CPU pressure of the last minute (share of time some runnable
# task waited for a CPU), which says more than the load how much others
# took of the machine; nothing where the kernel has no PSI.
psi() {
	[ -r /proc/pressure/cpu ] &&
	    sed -n 's/^some avg10=[^ ]* avg60=\([^ ]*\).*/; cpu pressure 60 s: \1%/p' \
	    /proc/pressure/cpu
}

tmp=$(mktemp -d "${TMPDIR:-/tmp}/fdbench-mta.XXXXXX") || exit 1
chmod 0755 "$tmp"
: >"$tmp/results"
bg_pids=
smtpd_pid=

# stop_pid PID: SIGTERM, up to 10 s, then SIGKILL to its process group
# (each was started in a session of its own).
stop_pid() {
	local i=0
	kill -TERM "$1" 2>/dev/null || return 0
	while kill -0 "$1" 2>/dev/null && [ $i -lt 100 ]; do
		sleep 0.1
		i=$((i + 1))
	done
	kill -KILL -- "-$1" 2>/dev/null
	kill -KILL "$1" 2>/dev/null
	wait "$1" 2>/dev/null
}

stop_all() {
	local p
	[ -z "$smtpd_pid" ] || stop_pid "$smtpd_pid"
	smtpd_pid=
	pf_cleanup
	for p in $bg_pids; do
		stop_pid "$p"
	done
	bg_pids=
}

cleanup() {
	stop_all
	if [ "${KEEP_TMP:-0}" = 1 ]; then
		echo "bench-mta: kept $tmp"
	else
		rm -rf "$tmp"
	fi
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# bg LOG COMMAND...: a background process in a session of its own.
bg() {
	local log=$1
	shift
	setsid "$@" </dev/null >>"$log" 2>&1 &
	bg_pids="$bg_pids $!"
	last_pid=$!
}

# mta_port: a port below the ephemeral range (32768) that no socket uses,
# in any state: smtpd binds without SO_REUSEADDR, so a connection of an
# earlier run in TIME_WAIT on the port would make it fail.  Racy by
# nature; used at once.
mta_port() {
	local i=0 p
	while [ $i -lt 200 ]; do
		p=$((20000 + RANDOM % 12000))
		if [ -z "$(ss -Htan "( sport = :$p or dport = :$p )" \
		    2>/dev/null)" ] && ! grep -qw "$p" "$tmp/ports" 2>/dev/null
		then
			echo "$p" >>"$tmp/ports"
			echo "$p"
			return 0
		fi
		i=$((i + 1))
	done
	return 1
}

# wait_for SECS TEST...: until TEST succeeds, polled every 0.1 s.
wait_for() {
	local n=$(($1 * 10))
	shift
	until "$@"; do
		[ $n -gt 0 ] || return 1
		sleep 0.1
		n=$((n - 1))
	done
}

listening() {
	ss -Htln "sport = :$1" 2>/dev/null | grep -q .
}

# fd_conf SRC DST LISTEN: filterd's configuration for one instance, with
# a pidfile of its own beside DST (when SRC has the setting: a build older
# than it has none), the default being the machine's.
fd_conf() {
	local user=${BENCH_USER:-filterd}
	id "$user" >/dev/null 2>&1 || user=nobody
	sed -e "s|^listen[[:space:]]*=.*|listen = \"$3\";|" \
	    -e "s|^user[[:space:]]*=.*|user = \"$user\";|" \
	    -e "s|^pidfile[[:space:]]*=.*|pidfile = \"$2.pid\";|" "$1" >"$2" &&
	    chmod 0644 "$2"
}

# source_batch PORT SESSIONS MSGS MODE: one batch of smtp-source (-A: a
# refused message does not stop it; run_source counts them).  MODE
# "one": MSGS messages, one a session, SESSIONS sessions at a time.  MODE
# "each": SESSIONS sessions at once, each sending MSGS messages (one
# smtp-source -d per session: with one smtp-source for all, a fast
# session would take more than its share, and smtpd refuses a session's
# 101st message).  Fails with smtp-source's output.
source_batch() {
	local port=$1 sess=$2 msgs=$3 mode=$4 i=0 pids="" p rc=0
	local args="-4 -A -l $size -f bench@example.com -t rcpt@example.org
	    -M client.example.com 127.0.0.1:$port"
	if [ "$mode" = one ]; then
		# shellcheck disable=SC2086
		timeout 600 "$source_bin" -s "$sess" -m "$msgs" $args \
		    >"$tmp/source.out" 2>&1 && return 0
		sed 's/^/  | /' "$tmp/source.out" >&2
		return 1
	fi
	while [ $i -lt "$sess" ]; do
		# shellcheck disable=SC2086
		timeout 600 "$source_bin" -d -s 1 -m "$msgs" $args \
		    >"$tmp/source.$i.out" 2>&1 &
		pids="$pids $!"
		i=$((i + 1))
	done
	i=0
	for p in $pids; do
		if ! wait "$p"; then
			sed 's/^/  | /' "$tmp/source.$i.out" >&2
			rc=1
		fi
		i=$((i + 1))
	done
	return $rc
}

# fallbacks LOG PREFIX: how many fallback lines ("failure=") LOG holds,
# of lines starting with PREFIX.
fallbacks() {
	grep -c "^$2.*failure=" "$1" 2>/dev/null
}

# run_source SCENARIO ROUND ROLE BASENAME PORT SESSIONS MSGS MODE BATCHES
# [LOG PREFIX]: one timed run of BATCHES batches (source_batch); appends
# its result.  With LOG, filterd's log: a run in which filterd logged a
# fallback (a worker that failed, a penalised client) is not valid; it is
# reported, and the script exits 1 at the end.
run_source() {
	local s=$1 r=$2 role=$3 base=$4 port=$5 sess=$6 msgs=$7 mode=$8
	local batches=$9 log=${10:-} prefix=${11:-} t0 t1 i=0 rate n f0=0 f1=0
	[ -z "$log" ] || f0=$(fallbacks "$log" "$prefix")
	if [ "$mode" = one ]; then
		n=$((msgs * batches))
	else
		n=$((sess * msgs * batches))
	fi
	t0=$(date +%s%N)
	while [ $i -lt "$batches" ]; do
		source_batch "$port" "$sess" "$msgs" "$mode" ||
		    fail "$s: smtp-source to port $port ($role) failed"
		i=$((i + 1))
	done
	t1=$(date +%s%N)
	rate=$(awk -v n=$n -v ns=$((t1 - t0)) \
	    'BEGIN { printf "%.1f", n * 1e9 / ns }')
	echo "$s r$r $role: msgs/s=$rate messages=$n" \
	    "seconds=$(awk -v ns=$((t1 - t0)) 'BEGIN { printf "%.2f", ns / 1e9 }')"
	echo "$s $r $role $base $rate - -" >>"$tmp/results"
	[ -z "$out" ] || echo "$s $r $role $base $rate - -" >>"$out"
	[ -z "$log" ] || f1=$(fallbacks "$log" "$prefix")
	if [ "$f1" -gt "$f0" ]; then
		echo "bench-mta.sh: $s round $r: filterd ($role) gave" \
		    "$((f1 - f0)) fallbacks; the figure is not valid" |
		    tee -a "$tmp/invalid" >&2
		grep "^$prefix.*failure=" "$log" | tail -n +$((f0 + 1)) |
		    head -n 3 | sed 's/^/  | /' >&2
	fi
}

# smoke NAME PORT EXPECT: the one swaks message; EXPECT is 250 or 550.
smoke() {
	local o
	o=$(timeout 60 swaks --server "127.0.0.1:$2" --timeout 30 \
	    --helo client.example.com --from alice@example.com \
	    --to rcpt@example.org --header "Subject: run this executable" \
	    --body "bench-mta smoke test" 2>&1)
	if ! printf '%s\n' "$o" | grep -Eq "^<(-|\*\*) +$3 "; then
		printf '%s\n' "$o" | sed 's/^/  | /' >&2
		fail "$1 (port $2) did not answer $3 to a Subject the" \
		    "configuration refuses: is it in the path?"
	fi
}

# alternate ROUND WORDS...: the words, reversed in even rounds.
alternate() {
	local r=$1
	shift
	if [ $((r % 2)) -eq 1 ]; then
		echo "$@"
	else
		echo "$@" | awk '{ for (i = NF; i > 0; i--)
		    printf "%s%s", $i, (i > 1 ? " " : "\n") }'
	fi
}

# ---- Postfix ---------------------------------------------------------

pf_queue_empty() {
	[ -z "$(find "$PF_DIR/spool/incoming" "$PF_DIR/spool/active" \
	    "$PF_DIR/spool/deferred" "$PF_DIR/spool/maildrop" \
	    -type f 2>/dev/null | head -n 1)" ]
}

pf_drain() {
	local t0=$SECONDS
	wait_for 300 pf_queue_empty ||
	    fail "Postfix's queue is not empty 300 s after a run"
	drained=$((SECONDS - t0))
}

# pf_service NAME MILTER: one more smtpd listener whose smtpd_milters is
# MILTER; sets the variable port_NAME.
pf_service() {
	local p
	p=$(mta_port) || fail "no free port"
	while [ "$p" = "$PF_SMTP_PORT" ] || [ "$p" = "$PF_SINK_PORT" ] ||
	    grep -q "^127.0.0.1:$p " "$PF_DIR/etc/master.cf"; do
		p=$(mta_port) || fail "no free port"
	done
	echo "127.0.0.1:$p inet n - n - - smtpd -o smtpd_milters=$2" \
	    >>"$PF_DIR/etc/master.cf"
	eval "port_$1=$p"
}

# A milter: MILTERNAME KIND(unix|tcp) ROLE; starts it, prints its
# Postfix smtpd_milters value.
pf_milter() {
	local name=$1 kind=$2 role=$3 listen spec p conf
	if [ "$kind" = unix ]; then
		listen="unix:$tmp/sock/$name.sock"
		spec=$listen
	else
		p=$(mta_port) || fail "no free port"
		listen="inet:$p@127.0.0.1"
		spec="inet:127.0.0.1:$p"
	fi
	case $role in
	base)
		# Postfix's smtpd (user postfix) must be able to connect.
		bg "$tmp/$name.log" sh -c 'umask 0111; exec "$0" -p "$1"' \
		    "$null" "$listen" ;;
	A|B)
		conf=$tmp/$name.conf
		if [ "$role" = A ]; then
			fd_conf "$conf_src" "$conf" "$listen" ||
			    fail "cannot write $conf"
			bg "$tmp/$name.log" "$fd_a" -d -f "$conf"
		else
			fd_conf "$conf_src_b" "$conf" "$listen" ||
			    fail "cannot write $conf"
			bg "$tmp/$name.log" "$fd_b" -d -f "$conf"
		fi ;;
	esac
	eval "pid_$name=$last_pid"
	if [ "$kind" = unix ]; then
		wait_for 60 test -S "$tmp/sock/$name.sock" ||
		    { sed 's/^/  | /' "$tmp/$name.log" >&2
		      fail "$name does not listen on $listen"; }
	else
		wait_for 60 listening "$p" ||
		    { sed 's/^/  | /' "$tmp/$name.log" >&2
		      fail "$name does not listen on $listen"; }
	fi
	milter_spec=$spec
}

bench_postfix() {
	local reason kind role name r order s milters
	if reason=$(pf_skip_reason); then
		echo "bench-mta: Postfix skipped: $reason"
		return 0
	fi
	for p in "$source_bin" "$(command -v swaks || echo swaks)"; do
		if [ ! -x "$p" ]; then
			echo "bench-mta: Postfix skipped: no $p (Debian" \
			    "packages postfix, swaks)"
			return 0
		fi
	done
	echo "== Postfix $(postconf -d -h mail_version 2>/dev/null):" \
	    "$pf_n messages of $size bytes a run, $pf_sessions sessions," \
	    "one message a session; load: $(cut -d' ' -f1-3 /proc/loadavg)$(psi)"
	mkdir -p "$tmp/pf" "$tmp/sock" && chmod 0777 "$tmp/sock" ||
	    fail "cannot make $tmp/pf"
	pf_setup "$tmp/pf" "" || fail "cannot set Postfix up"
	milters=""
	for kind in unix tcp; do
		for role in base A ${fd_b:+B}; do
			case $role in
			base) name=null_$kind ;;
			A) name=filterd_$kind ;;
			B) name=B_$kind ;;
			esac
			pf_milter "$name" "$kind" "$role"
			pf_service "$name" "$milter_spec"
			milters="$milters $name"
		done
	done
	touch -t 202001010000 "$PF_DIR/etc/master.cf"
	setsid "$PF_SMTP_SINK" -4 -u "$PF_MAIL_OWNER" -h sink.example.org \
	    -t 30 "127.0.0.1:$PF_SINK_PORT" 256 </dev/null \
	    >>"$PF_DIR/sink.log" 2>&1 &
	PF_SINK_PID=$!
	pf_wait_port "$PF_SINK_PORT" 10 || fail "smtp-sink did not start"
	pf_start || fail "Postfix did not start"
	for name in $milters; do
		eval "p=\$port_$name"
		pf_wait_port "$p" 30 || fail "Postfix does not listen on $p"
		case $name in
		null_*) smoke "Postfix with $name" "$p" 250 ;;
		*) smoke "Postfix with $name" "$p" 550 ;;
		esac
	done
	pf_drain
	# A warm-up run per path: Postfix's smtpd processes, the milters'
	# threads and filterd's workers all started once.
	for name in $milters; do
		eval "p=\$port_$name"
		source_batch "$p" "$pf_sessions" $((pf_sessions * 10)) one ||
		    fail "warm-up through $name failed"
	done
	pf_drain
	r=1
	while [ $r -le "$rounds" ]; do
		order=$(alternate $r $milters)
		for name in $order; do
			eval "p=\$port_$name"
			case $name in
			null_*) role=base ;;
			filterd_*) role=A ;;
			B_*) role=B ;;
			esac
			run_source "postfix-${name#*_}" $r $role nullmilter "$p" \
			    "$pf_sessions" "$pf_n" one 1 "$tmp/$name.log" ""
			pf_drain
			echo "  (queue empty ${drained} s later)"
		done
		r=$((r + 1))
	done
	stop_all
}

# ---- OpenSMTPD -------------------------------------------------------

os_queue_empty() {
	[ -z "$(find "$os_spool/queue" "$os_spool/incoming" -type f \
	    2>/dev/null | head -n 1)" ]
}

os_drain() {
	local t0=$SECONDS
	wait_for 300 os_queue_empty ||
	    fail "smtpd's queue is not empty 300 s after a run"
	drained=$((SECONDS - t0))
}

bench_opensmtpd() {
	local reason name r order s p role sess
	TMP=$tmp/os
	mkdir -p "$TMP" && chmod 0755 "$TMP"
	if reason=$(osmtpd_skip_reason 6.8); then
		echo "bench-mta: OpenSMTPD skipped: smtpd 6.8: $reason"
		return 0
	fi
	if [ ! -x "$source_bin" ]; then
		echo "bench-mta: OpenSMTPD skipped: no smtp-source (Debian" \
		    "package postfix)"
		return 0
	fi
	# $(osmtpd_skip_reason) ran in a subshell: do again what it found.
	osmtpd_ns_ok && osmtpd_ns=1
	osmtpd_fetch_68 >/dev/null || fail "cannot unpack OpenSMTPD"
	osmtpd_prepare_host || fail "cannot create smtpd's users or spool"
	if [ "$osmtpd_ns" = 1 ]; then
		os_spool=$TMP/spool
	else
		os_spool=/var/spool/smtpd
	fi
	port_sink=$(mta_port) || fail "no free port"
	echo "# smtpd.conf(5) of make bench-mta (t/bench-mta.sh)" \
	    >"$TMP/smtpd.conf"
	names="pass filterd${fd_b:+ B}"
	for name in $names; do
		p=$(mta_port) || fail "no free port"
		while [ "$p" = "$port_sink" ] ||
		    grep -q "port $p " "$TMP/smtpd.conf"; do
			p=$(mta_port) || fail "no free port"
		done
		eval "port_$name=$p"
		case $name in
		pass) cmd="$pass $pass_args" ;;
		filterd) fd_conf "$conf_src" "$TMP/filterd.conf" \
			    "unix:/nonexistent/unused.sock" ||
			    fail "cannot write $TMP/filterd.conf"
			cmd="$fd_a -x opensmtpd -f $TMP/filterd.conf" ;;
		B) fd_conf "$conf_src_b" "$TMP/B.conf" \
			    "unix:/nonexistent/unused.sock" ||
			    fail "cannot write $TMP/B.conf"
			cmd="$fd_b -x opensmtpd -f $TMP/B.conf" ;;
		esac
		echo "filter f_$name proc-exec \"$cmd\"" >>"$TMP/smtpd.conf"
		echo "listen on 127.0.0.1 port $p filter f_$name" \
		    >>"$TMP/smtpd.conf"
	done
	cat >>"$TMP/smtpd.conf" <<EOF
action "sink" relay host smtp://127.0.0.1:$port_sink
match from any for any action "sink"
EOF
	bg "$TMP/sink.log" "$sink_bin" -4 -u nobody -h sink.example.org -t 30 \
	    "127.0.0.1:$port_sink" 256
	wait_port "$port_sink" 10 || fail "smtp-sink did not start"
	tap_pids=
	osmtpd_start_smtpd
	echo "== OpenSMTPD $("$smtpd" -h 2>&1 | sed -n 's/.*OpenSMTPD \([^ ]*\).*/\1/p' | head -n 1):" \
	    "$os_batches x (S sessions x $os_per messages) of $size bytes a" \
	    "run; passfilter${pass_args:+ $pass_args};" \
	    "load: $(cut -d' ' -f1-3 /proc/loadavg)$(psi)"
	for name in $names; do
		eval "p=\$port_$name"
		wait_port "$p" 30 || { sed 's/^/  | /' "$TMP/smtpd.log" >&2
		    fail "smtpd does not listen on $p"; }
	done
	for name in $names; do
		eval "p=\$port_$name"
		case $name in
		pass) smoke "smtpd with passfilter" "$p" 250 ;;
		*) smoke "smtpd with $name" "$p" 550 ;;
		esac
	done
	for sess in $os_sessions; do
		s=opensmtpd-$sess
		for name in $names; do
			eval "p=\$port_$name"
			source_batch "$p" "$sess" "$os_per" each ||
			    fail "warm-up through $name failed"
		done
		os_drain
		r=1
		while [ $r -le "$rounds" ]; do
			order=$(alternate $r $names)
			for name in $order; do
				eval "p=\$port_$name"
				case $name in
				pass) role=base ;;
				filterd) role=A ;;
				B) role=B ;;
				esac
				run_source "$s" $r $role passfilter "$p" "$sess" \
				    "$os_per" each "$os_batches" "$TMP/smtpd.log" \
				    "f_$name: "
				os_drain
				echo "  (queue empty ${drained} s later)"
			done
			r=$((r + 1))
		done
	done
	stop_all
}

echo "bench-mta: $(uname -r), $(nproc) CPUs; parts: $parts; rounds: $rounds"
echo "bench-mta: filterd: $fd_a${fd_b:+; B: $fd_b}"
# What decides a TCP milter's round trips on loopback (delayed ACKs).
echo "bench-mta: net.ipv4.tcp_pingpong_thresh=$(cat \
    /proc/sys/net/ipv4/tcp_pingpong_thresh 2>/dev/null || echo -);" \
    "loopback routes with quickack: $(ip route show table local 2>/dev/null |
    grep -c 'quickack')"
echo "bench-mta: uptime: $(uptime)$(psi)"
for part in $parts; do
	case $part in
	postfix) bench_postfix ;;
	opensmtpd) bench_opensmtpd ;;
	*) fail "unknown part \"$part\" (postfix opensmtpd)" ;;
	esac
done
echo "bench-mta: uptime: $(uptime)$(psi)"
[ -s "$tmp/results" ] || exit 0

echo
echo "bench-mta: messages per second; medians over $rounds rounds" \
    "[min-max]; ratios taken round by round"
awk -f "$top_srcdir/t/bench-table.awk" "$tmp/results"
# filterd behind Postfix: its TCP figure over its unix figure.
awk '$1 == "postfix-unix" && $3 == "A" { u[$2] = $5 }
$1 == "postfix-tcp" && $3 == "A" { t[$2] = $5 }
END {
	for (r in u)
		if ((r in t) && u[r] > 0)
			v[++n] = t[r] / u[r]
	if (n == 0)
		exit
	for (i = 2; i <= n; i++)
		for (j = i; j > 1 && v[j - 1] > v[j]; j--) {
			x = v[j]; v[j] = v[j - 1]; v[j - 1] = x
		}
	m = n % 2 ? v[(n + 1) / 2] : (v[n / 2] + v[n / 2 + 1]) / 2
	printf "\nfilterd behind Postfix, TCP over unix socket: %.2f", m
	if (n > 1)
		printf " [%.2f-%.2f]", v[1], v[n]
	printf "\n"
}' "$tmp/results"
if [ -s "$tmp/invalid" ]; then
	echo
	sed 's/^/INVALID: /' "$tmp/invalid"
	exit 1
fi
