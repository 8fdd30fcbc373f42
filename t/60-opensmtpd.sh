#!/bin/bash
# 60-opensmtpd.sh -- filterd end to end behind a real OpenSMTPD 6.8.
#
# smtpd (from Debian's opensmtpd package, unpacked into the build tree:
# the package conflicts with postfix, so it is never installed) listens on
# 127.0.0.1 with filterd as its proc-exec filter ("-x opensmtpd") and
# relays to smtp-sink, which keeps every message it gets.  The filter is
# t/filterd-hostile: the normal rules plus the hostile test module, so that
# one instance shows both the rules and the fallback.  Messages go in with
# swaks; the test checks what the client is told, what arrives, and that
# smtpd (whose availability is filterd's in this mode) keeps running.
#
# Needs root (smtpd starts as root and drops to its users), the users
# opensmtpd and opensmtpq (created when missing), /var/spool/smtpd and
# /var/lib/opensmtpd/empty (created when missing), smtp-sink (Debian
# package postfix), swaks, and either a network to "apt-get download
# opensmtpd" or an unpacked copy.  Skips, saying why, otherwise.  Only one
# smtpd can run on a host (its control socket is /var/run/smtpd.sock), so
# it skips when another one runs.
#
# Environment: top_srcdir, top_builddir; OPENSMTPD_ROOT (an unpacked
# opensmtpd package; default $top_builddir/t/opensmtpd-root, filled on
# first use); OPENSMTPD_DEB (a .deb to unpack instead of downloading);
# FILTERD_CMD (replaces t/filterd-hostile); T60_LIMIT (seconds for the
# whole test); KEEP_TMP=1.

# The prologue: bash, the time limit, the paths (t/lib-e2e.sh).
E2E_LIMIT=${T60_LIMIT:-240} E2E_KILL=30
. "$(dirname "$0")/lib-e2e.sh"

. "$top_srcdir/t/tap.sh"

root="${OPENSMTPD_ROOT:-$top_builddir/t/opensmtpd-root}"
smtpd="$root/usr/sbin/smtpd"
filterd="${FILTERD_CMD:-$top_builddir/t/filterd-hostile}"
sink_bin=$(command -v smtp-sink 2>/dev/null || echo /usr/sbin/smtp-sink)

# Unpacks the opensmtpd package into $root; prints why when it cannot.
fetch_smtpd() {
	local deb="${OPENSMTPD_DEB:-}" dl="$TMP/deb"

	[ -x "$smtpd" ] && return 0
	if [ -z "$deb" ]; then
		mkdir -p "$dl" && chmod 777 "$dl"
		if ! (cd "$dl" && timeout 60 apt-get download -q opensmtpd) \
		    >"$TMP/apt.log" 2>&1; then
			echo "cannot download the opensmtpd package (no" \
			    "network or no apt lists?):" \
			    "$(tail -n 1 "$TMP/apt.log")"
			return 1
		fi
		deb=$(ls "$dl"/opensmtpd_*.deb 2>/dev/null | head -n 1)
	fi
	if [ ! -f "$deb" ] || ! mkdir -p "$root" ||
	    ! dpkg-deb -x "$deb" "$root"; then
		echo "cannot unpack the opensmtpd package ($deb)"
		return 1
	fi
	[ -x "$smtpd" ] || { echo "no usr/sbin/smtpd in $deb"; return 1; }
}

# The users and directories smtpd 6.8 was built to use.
prepare_host() {
	local u

	for u in opensmtpd opensmtpq; do
		getent passwd "$u" >/dev/null && continue
		useradd --system --no-create-home --home-dir /nonexistent \
		    --shell /usr/sbin/nologin "$u" || return 1
	done
	mkdir -p /var/spool/smtpd /var/lib/opensmtpd/empty || return 1
	chmod 711 /var/spool/smtpd
}

skip_reason() {
	local libs

	if [ "$(id -u)" -ne 0 ]; then
		echo "not root (smtpd must start as root)"
		return 0
	fi
	if ! command -v swaks >/dev/null 2>&1; then
		echo "swaks not installed"
		return 0
	fi
	if [ ! -x "$sink_bin" ]; then
		echo "smtp-sink not found (Debian package postfix)"
		return 0
	fi
	if ! command -v dpkg-deb >/dev/null 2>&1; then
		echo "no dpkg-deb"
		return 0
	fi
	# Not "ps -C smtpd": Postfix's SMTP server has that name too.
	if ss -xl 2>/dev/null | grep -q '/var/run/smtpd\.sock\|/run/smtpd\.sock'
	then
		echo "another OpenSMTPD runs on this host (/var/run/smtpd.sock)"
		return 0
	fi
	fetch_smtpd || return 0
	libs=$(ldd "$smtpd" | grep 'not found' | tr -s ' \t\n' ' ')
	if [ -n "$libs" ]; then
		echo "smtpd lacks libraries: $libs(Debian: libevent-2.1-7)"
		return 0
	fi
	return 1
}

if reason=$(skip_reason); then
	skip_all "$reason"
fi
[ -x "$filterd" ] || { echo "Bail out! $filterd not built"; exit 1; }
if ! prepare_host; then
	echo "Bail out! cannot create smtpd's users or spool"
	exit 1
fi

plan 37

# smtpd runs the filter as its own user: it must reach the test files.
chmod 755 "$TMP"
t60_cleanup() {
	if [ "${KEEP_TMP:-0}" = 1 ] && cp -a "$TMP" "$TMP.kept"; then
		echo "# kept in $TMP.kept"
	fi
	tap_cleanup
}
trap t60_cleanup EXIT

free_port() {
	local p i=0

	while [ $i -lt 50 ]; do
		p=$((20000 + RANDOM % 20000))
		if ! ss -ltn 2>/dev/null | grep -q ":$p\$\|:$p "; then
			echo "$p"
			return 0
		fi
		i=$((i + 1))
	done
	return 1
}

wait_port() {	# wait_port PORT SECONDS
	local n=$(($2 * 10))

	while [ $n -gt 0 ]; do
		ss -ltn 2>/dev/null | grep -q "127.0.0.1:$1 " && return 0
		sleep 0.1
		n=$((n - 1))
	done
	return 1
}

port=$(free_port) && sink_port=$(free_port) ||
    { echo "Bail out! no free port"; exit 1; }
mkdir -p "$TMP/sink" && chmod 777 "$TMP/sink"
cp "$top_srcdir/t/data/opensmtpd.conf" "$TMP/filterd.conf"
chmod 644 "$TMP/filterd.conf"
sed -e "s#@FILTERD@#$filterd#" -e "s#@CONF@#$TMP/filterd.conf#" \
    -e "s#@PORT@#$port#" -e "s#@SINK@#$sink_port#" \
    "$top_srcdir/t/data/opensmtpd-smtpd.conf" > "$TMP/smtpd.conf"

setsid "$sink_bin" -4 -u nobody -h sink.filterd-test.invalid -t 30 \
    -d "$TMP/sink/msg." "127.0.0.1:$sink_port" 64 \
    </dev/null >"$TMP/sink.log" 2>&1 &
tap_pids="$tap_pids $!"
if ! wait_port "$sink_port" 10; then
	echo "Bail out! smtp-sink did not start"
	exit 1
fi

setsid "$smtpd" -d -f "$TMP/smtpd.conf" </dev/null >"$TMP/smtpd.log" 2>&1 &
smtpd_pid=$!
tap_pids="$smtpd_pid $tap_pids"
wait_port "$port" 20
ok $? "smtpd 6.8 starts with filterd as its filter (port $port)"
wait_log "$TMP/smtpd.log" "filtering on stdin and stdout"
like "$(cat "$TMP/smtpd.log")" 'opensmtpd: filtering on stdin and stdout' \
    "filterd's log lines reach smtpd's log (stderr)"

# send ID SUBJECT BODY [swaks options...]: one message, transcript out.
send() {
	local id="$1" subj="$2" body="$3"

	shift 3
	swaks --server "127.0.0.1:$port" --timeout 30 --helo client.test \
	    --from "${FROM:-a@example.org}" --to "${TO:-b@example.net}" \
	    --header "Subject: $subj" --header "X-Test-Id: $id" \
	    --body "$body" "$@" 2>&1
}

# delivered ID [TENTHS]: the file smtp-sink wrote for the message, waiting
# up to TENTHS tenths of a second (default 200).
delivered() {
	local n="${2:-200}" f

	while [ $n -gt 0 ]; do
		f=$(grep -l "^X-Test-Id: $1\$" "$TMP"/sink/msg.* 2>/dev/null |
		    head -n 1)
		[ -n "$f" ] && { echo "$f"; return 0; }
		sleep 0.1
		n=$((n - 1))
	done
	return 1
}

body=$'Dear friend, you have won | twice\n.dotline\n..two dots\n.\nend'
out=$(send clean "hello | there" "$body")
like "$out" '<-  250 2\.0\.0 [0-9a-f]+ Message accepted' \
    "a clean message is accepted"
f=$(delivered clean)
ok $? "and delivered"
msg=$(cat "$f" 2>/dev/null)
like "$msg" '^X-Filterd-Rule: lottery$' "with the header the rule added"
like "$msg" '^Subject: hello \| there$' "its header intact"
# $(cat) has dropped the final newline.
expect=$'\n\nDear friend, you have won | twice\n.dotline\n..two dots\n.\nend'
case "$msg" in
*"$expect"*) ok 0 "its body intact, lines that start with a dot included" ;;
*) ok 1 "its body intact, lines that start with a dot included"
   diag "$msg" ;;
esac
unlike "$msg" 'X-Spam' "and not marked as spam"

out=$(send reject "run this executable now" "x")
like "$out" '<\*\* +550 5\.7\.1 Subject not allowed' \
    "a rule-matching message is refused at SMTP with the configured reply"
delivered reject 10 >/dev/null
ok $((! $?)) "and not delivered"

out=$(FROM=someone@spam.example send tempfail "hello" "x")
like "$out" '<\*\* +451 4\.7\.1 Try again later' \
    "tempfail rule: 451 with its reply"

out=$(TO=blackhole@example.net send discard "hello" "x")
like "$out" '<\*\* +550 5\.7\.1 Message rejected by content filter' \
    "discard is answered as a reject (OpenSMTPD cannot discard)"

out=$(send quarantine "quarantine-me" "x")
like "$out" '<-  250 ' "quarantine: accepted"
msg=$(cat "$(delivered quarantine)" 2>/dev/null)
like "$msg" '^X-Spam: Yes$' "and delivered with X-Spam: Yes, as smtpd's junk"

head -c 150000 /dev/zero | tr '\0' 'a' | fold -w 76 > "$TMP/big.txt"
# swaks reads a body from a file it is given the path of.
out=$(send oversize "big" "$TMP/big.txt")
like "$out" '<\*\* +552 5\.3\.4 ' \
    "an oversize message gets limits.oversize (552 5.3.4)"

# smtpd 6.8 cuts what a filter writes back at 2047 bytes: a data line
# that would be cut is refused rather than delivered cut.
head -c 1990 /dev/zero | tr '\0' 'l' > "$TMP/l1990.txt"
head -c 3000 /dev/zero | tr '\0' 'l' > "$TMP/l3000.txt"
send long "long line" "$TMP/l1990.txt" > /dev/null
f=$(delivered long)
grep -qx "$(cat "$TMP/l1990.txt")" "$f" 2>/dev/null
ok $? "a 1990-byte line is delivered whole"
out=$(send toolong "longer line" "$TMP/l3000.txt")
like "$out" '<\*\* +550 5\.6\.0 ' \
    "a 3000-byte line, which smtpd 6.8 would cut, is refused (550 5.6.0)"

for cmd in segv socket garbage; do
	out=$(send "hostile-$cmd" "hello" "x" --header "X-Hostile: $cmd")
	like "$out" '<\*\* +451 4\.3\.0 Content filter failure' \
	    "a worker that misbehaves ($cmd) gets the fallback (451 4.3.0)"
done
kill -0 "$smtpd_pid" 2>/dev/null
ok $? "smtpd is still running"

# A slow worker (silent until limits.worker_timeout, 3s) holds only its
# own message: another session is served meanwhile.
send slow "hello" "x" --header "X-Hostile: silent" > "$TMP/slow.out" &
slow=$!
sleep 0.5
start=$(date +%s%N)
out=$(send fast "hello" "you have won")
took=$((($(date +%s%N) - start) / 1000000))
like "$out" '<-  250 ' "a message sent while a worker hangs is accepted"
[ "$took" -lt 2500 ]
ok $? "without waiting for the hung worker (${took}ms)"
wait "$slow"
like "$(cat "$TMP/slow.out")" '<\*\* +451 4\.3\.0 ' \
    "the hung worker's message gets the fallback after the timeout"

out=$(send after "hello" "the next message")
like "$out" '<-  250 ' "smtpd accepts the next message"
delivered after >/dev/null
ok $? "and delivers it"

# Two sessions at once, each with its own verdict.
send par1 "executable" "x" > "$TMP/par1.out" &
p1=$!
send par2 "hello" "you have won" > "$TMP/par2.out" &
p2=$!
wait "$p1" "$p2"
like "$(cat "$TMP/par1.out")" '<\*\* +550 5\.7\.1 ' \
    "parallel sessions: one refused"
like "$(cat "$TMP/par2.out")" '<-  250 ' "parallel sessions: the other accepted"

# SIGHUP to filterd's parent (not the supervisor, named filterd-super)
# reloads: smtpd keeps its filter and the next session gets the new rule.
conf="$TMP/filterd.conf"
rule='\t,{ name = "reloaded"; header = "Subject"; pattern = "reload-me";'
rule="$rule"'\n\t  action = "reject";'
rule="$rule"' reply = "550 5.7.1 Refused after reload"; }'
sed -i "s/^);\$/$rule\\n);/" "$conf"
parent=$(ps -eo pid=,comm=,args= | grep -F -- "-f $conf" |
    awk -v c="$(basename "$filterd" | cut -c1-15)" '$2 == c { print $1 }')
[ -n "$parent" ] && kill -HUP $parent
wait_log "$TMP/smtpd.log" "reloaded, configuration generation 2"
like "$(cat "$TMP/smtpd.log")" 'reloaded, configuration generation 2' \
    "SIGHUP to filterd's parent ($parent) reloads its configuration"
out=$(send reload "reload-me" "x")
like "$out" '<\*\* +550 5\.7\.1 Refused after reload' \
    "the next session gets the new rule"
out=$(send after-reload "executable" "x")
like "$out" '<\*\* +550 5\.7\.1 Subject not allowed' "and the old ones"
kill -0 "$smtpd_pid"
ok $? "smtpd is still running after the reload"

log=$(cat "$TMP/smtpd.log")
like "$log" 'action=reject rules=bad-subject' "filterd logs each verdict"
like "$log" 'failure=worker exited without a verdict' \
    "and each fallback, with why"
unlike "$log" 'lost processor|protocol error' "smtpd never lost its filter"

# smtpd's exit ends filterd: it reads end of file on its stdin.
pids=$(ps -eo pid=,args= | grep -F -- "-f $conf" | grep -v grep |
    awk '{ print $1 }')
[ -n "$pids" ]
ok $? "filterd runs under smtpd ($(echo $pids | wc -w) processes)"
kill "$smtpd_pid"
n=100
while [ $n -gt 0 ] && kill -0 "$smtpd_pid" 2>/dev/null; do
	sleep 0.1
	n=$((n - 1))
done
n=150
while [ $n -gt 0 ] && ps -eo args= | grep -F -- "-f $conf" |
    grep -qv grep; do
	sleep 0.1
	n=$((n - 1))
done
left=$(ps -eo pid=,args= | grep -F -- "-f $conf" | grep -v grep)
[ -z "$left" ]
ok $? "when smtpd exits, every filterd process exits"
[ -n "$left" ] && diag "$left"
tap_done
