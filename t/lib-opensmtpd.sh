# lib-opensmtpd.sh -- filterd end to end behind a real OpenSMTPD, shared by
# t/60-opensmtpd.sh (smtpd 6.8, filter protocol 0.6) and t/61-opensmtpd7.sh
# (smtpd 7.6, filter protocol 0.7).  Sourced after t/lib-e2e.sh and
# t/tap.sh; the test calls osmtpd_main 6.8 or osmtpd_main 7.6.
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
# 6.8 is Debian 12's package ("apt-get download opensmtpd").  7.6 is
# Debian 13's (trixie), set up as /work/shared/recipes/opensmtpd-7.md
# says: a private apt configuration for trixie (nothing of the system's
# apt sources, lists or caches is touched), "apt-get download" of
# opensmtpd and the newer libraries it needs (glibc 2.41 among them),
# "dpkg-deb -x", and a copy of smtpd whose interpreter and rpath patchelf
# points at the unpacked ld-linux and libraries.  Both are cached in the
# build tree: a second run downloads nothing.
#
# smtpd runs in a private mount namespace (unshare -m) with a tmpfs on
# /run and a spool of its own from $TMP bind-mounted on /var/spool/smtpd,
# so that its hard-wired /var/run/smtpd.sock and spool stay apart from any
# other smtpd (t/60 and t/61 run at once under "make -j2 check") and no
# queued message survives the test.  7.6 needs the namespace; 6.8 runs on
# the host's paths without it, and then skips when another smtpd uses
# them.
#
# Needs root (smtpd starts as root and drops to its users), the users
# opensmtpd and opensmtpq (created when missing), /var/spool/smtpd and
# /var/lib/opensmtpd/empty (created when missing), smtp-sink (Debian
# package postfix), swaks, dpkg-deb; for 7.6 also patchelf, amd64 and a
# network to reach trixie.  Skips, saying why, otherwise.
#
# Environment: top_srcdir, top_builddir; OPENSMTPD_ROOT (6.8: an unpacked
# opensmtpd package; default $top_builddir/t/opensmtpd-root, filled on
# first use); OPENSMTPD_DEB (6.8: a .deb to unpack instead of
# downloading); OPENSMTPD7_ROOT (7.6: the cache, default
# $top_builddir/t/opensmtpd7-root); OPENSMTPD7_MIRROR (default
# http://deb.debian.org/debian); FILTERD_CMD (replaces t/filterd-hostile);
# KEEP_TMP=1.

# trixie's packages that smtpd 7.6 needs and Debian 12 has too old.
OSMTPD7_PKGS="opensmtpd libc6 libssl3t64 libevent-2.1-7t64 libdb5.3t64
    libcrypt1 libpam0g zlib1g libaudit1 libcap-ng0 libzstd1"

filterd="${FILTERD_CMD:-$top_builddir/t/filterd-hostile}"
sink_bin=$(command -v smtp-sink 2>/dev/null || echo /usr/sbin/smtp-sink)
osmtpd_ns=0

# 6.8: unpacks the opensmtpd package into $OPENSMTPD_ROOT and sets smtpd;
# prints why when it cannot.
osmtpd_fetch_68() {
	local root="${OPENSMTPD_ROOT:-$top_builddir/t/opensmtpd-root}"
	local deb="${OPENSMTPD_DEB:-}" dl="$TMP/deb"

	smtpd="$root/usr/sbin/smtpd"
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

# 7.6: fills the cache $OPENSMTPD7_ROOT (smtpd, patched, and lib/, the
# libraries and loader it runs with) unless it holds a working smtpd 7;
# sets smtpd; prints why when it cannot.  The cache is built beside and
# renamed into place, so an interrupted run leaves none half made.
osmtpd_fetch_76() {
	local cache="${OPENSMTPD7_ROOT:-$top_builddir/t/opensmtpd7-root}"
	local mirror="${OPENSMTPD7_MIRROR:-http://deb.debian.org/debian}"
	local apt="$TMP/apt7" new d ver
	local -a o

	smtpd="$cache/smtpd"
	if [ -x "$smtpd" ] && "$smtpd" -h 2>&1 | grep -q 'OpenSMTPD 7\.'; then
		return 0
	fi
	if [ "$(dpkg --print-architecture 2>/dev/null)" != amd64 ]; then
		echo "smtpd 7.6 from trixie is set up for amd64 only"
		return 1
	fi
	if ! command -v patchelf >/dev/null 2>&1; then
		echo "no patchelf (Debian package patchelf) to run trixie's smtpd"
		return 1
	fi
	mkdir -p "$apt/lists/partial" "$apt/cache/archives/partial" \
	    "$apt/debs" || return 1
	echo "deb $mirror trixie main" > "$apt/sources.list"
	o=(-q -o "Dir::Etc::SourceList=$apt/sources.list"
	    -o Dir::Etc::SourceParts=/dev/null
	    -o "Dir::State::Lists=$apt/lists" -o "Dir::Cache=$apt/cache"
	    -o APT::Sandbox::User=root -o Acquire::Retries=0
	    -o Acquire::http::Timeout=20 -o Acquire::Languages=none)
	# apt-get update may only warn when it fetched nothing: the lists
	# say whether the archive answered.
	if ! timeout 120 apt-get "${o[@]}" update >"$apt/update.log" 2>&1 ||
	    ! ls "$apt/lists/"*_Packages* >/dev/null 2>&1; then
		echo "the trixie archive ($mirror) does not answer:" \
		    "$(grep -E -A1 '^(E|W|Err):' "$apt/update.log" |
		    head -n 2 | tr -s ' \n' ' ' | cut -c1-300)"
		return 1
	fi
	# shellcheck disable=SC2086
	if ! (cd "$apt/debs" &&
	    timeout 180 apt-get "${o[@]}" download $OSMTPD7_PKGS) \
	    >"$apt/download.log" 2>&1; then
		echo "cannot download smtpd 7.6 and its libraries from" \
		    "trixie: $(tail -n 1 "$apt/download.log" | cut -c1-200)"
		return 1
	fi
	new="$cache.new.$$"
	rm -rf "$new"
	mkdir -p "$new/root" "$new/lib" || return 1
	for d in "$apt/debs"/*.deb; do
		dpkg-deb -x "$d" "$new/root" ||
		    { echo "cannot unpack $d"; rm -rf "$new"; return 1; }
	done
	# One folder of shared objects; the symbolic links are relative
	# within their own folder, so they stay right.
	for d in lib/x86_64-linux-gnu usr/lib/x86_64-linux-gnu; do
		[ -d "$new/root/$d" ] || continue
		find "$new/root/$d" -maxdepth 1 -name '*.so*' \
		    \( -type f -o -type l \) -exec cp -a {} "$new/lib/" \;
	done
	if [ ! -e "$new/lib/ld-linux-x86-64.so.2" ] ||
	    ! cp "$new/root/usr/sbin/smtpd" "$new/smtpd" ||
	    ! patchelf --set-interpreter "$cache/lib/ld-linux-x86-64.so.2" \
	    --force-rpath --set-rpath "$cache/lib" "$new/smtpd"; then
		echo "cannot make smtpd 7.6 run with trixie's libraries"
		rm -rf "$new"
		return 1
	fi
	rm -rf "$new/root" "$cache"
	mv "$new" "$cache" || return 1
	ver=$("$smtpd" -h 2>&1 | head -n 1)
	case "$ver" in
	*"OpenSMTPD 7."*) return 0 ;;
	esac
	echo "the patched smtpd 7.6 does not run: $ver"
	return 1
}

# The users and directories smtpd was built to use (6.8 and 7.6 alike).
osmtpd_prepare_host() {
	local u i

	# t/60 and t/61 may both get here at once: a useradd that loses
	# the race for /etc/passwd's lock is tried again.
	for u in opensmtpd opensmtpq; do
		i=0
		until getent passwd "$u" >/dev/null; do
			[ $i -lt 30 ] || return 1
			useradd --system --no-create-home \
			    --home-dir /nonexistent --shell /usr/sbin/nologin \
			    "$u" 2>/dev/null && break
			sleep 0.1
			i=$((i + 1))
		done
	done
	mkdir -p /var/spool/smtpd /var/lib/opensmtpd/empty || return 1
	chmod 711 /var/spool/smtpd
}

# Whether another smtpd listens on /var/run/smtpd.sock in this mount
# namespace (not "ps -C smtpd": Postfix's SMTP server has that name too;
# smtpds in namespaces of their own, as these tests run them, do not
# count).
osmtpd_host_busy() {
	local me pid

	me=$(readlink /proc/self/ns/mnt)
	for pid in $(ss -xlpn 2>/dev/null |
	    grep '/var/run/smtpd\.sock\|/run/smtpd\.sock' |
	    grep -o 'pid=[0-9]*' | cut -d= -f2); do
		[ "$(readlink "/proc/$pid/ns/mnt" 2>/dev/null)" = "$me" ] &&
		    return 0
	done
	return 1
}

# Whether smtpd can have a mount namespace of its own.
osmtpd_ns_ok() {
	unshare -m --propagation private sh -c 'mount -t tmpfs none /run' \
	    >/dev/null 2>&1
}

# osmtpd_skip_reason VERSION: prints why the test cannot run; fails when
# it can, with smtpd set.
osmtpd_skip_reason() {
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
	if osmtpd_ns_ok; then
		:
	elif [ "$1" != 6.8 ]; then
		echo "cannot make a private mount namespace (unshare -m)" \
		    "for smtpd $1"
		return 0
	elif osmtpd_host_busy; then
		echo "another OpenSMTPD runs on this host (/var/run/smtpd.sock)"
		return 0
	fi
	case "$1" in
	6.8) osmtpd_fetch_68 || return 0 ;;
	*) osmtpd_fetch_76 || return 0 ;;
	esac
	libs=$(ldd "$smtpd" | grep 'not found' | tr -s ' \t\n' ' ')
	if [ -n "$libs" ]; then
		echo "smtpd lacks libraries: $libs(Debian: libevent-2.1-7)"
		return 0
	fi
	return 1
}

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

# wait_file FILE REGEX TENTHS: waits for FILE to match the extended regex.
wait_file() {
	local n="$3"

	while [ "$n" -gt 0 ]; do
		grep -Eq -- "$2" "$1" 2>/dev/null && return 0
		sleep 0.1
		n=$((n - 1))
	done
	grep -Eq -- "$2" "$1" 2>/dev/null
}

# send ID SUBJECT BODY [swaks options...]: one message, transcript out.
send() {
	local id="$1" subj="$2" body="$3"

	shift 3
	swaks --server "127.0.0.1:$port" --timeout 30 --helo client.test \
	    --from "${FROM:-a@example.org}" --to "${TO:-b@example.net}" \
	    --header "Subject: $subj" --header "X-Test-Id: $id" \
	    --body "$body" "$@" 2>&1
}

# send_raw FILE: FILE as the whole DATA (LF line ends; swaks sends CRLF
# and the final dot), its leading mbox "From " line kept.
send_raw() {
	swaks --server "127.0.0.1:$port" --timeout 30 --helo client.test \
	    --from "${FROM:-a@example.org}" --to b@example.net \
	    --no-strip-from --data "@$1" 2>&1
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

# header_of FILE, body_of FILE: a delivered message's header section
# (the lines before the first empty line) and its body (after it).
header_of() { tr -d '\r' < "$1" | sed -n '/^$/q;p'; }
body_of() { tr -d '\r' < "$1" | sed -n '/^$/,$p' | sed 1d; }

# osmtpd_start_smtpd: smtpd -d in the background, in a mount namespace of
# its own when there can be one; sets smtpd_pid (smtpd's own: unshare and
# sh exec it).
osmtpd_start_smtpd() {
	if [ "$osmtpd_ns" = 1 ]; then
		mkdir -p "$TMP/spool" && chmod 711 "$TMP/spool"
		# shellcheck disable=SC2016
		setsid unshare -m --propagation private sh -c \
		    'mount -t tmpfs -o mode=755 none /run &&
		    mount --bind "$1" /var/spool/smtpd &&
		    exec "$2" -d -f "$3"' osmtpd \
		    "$TMP/spool" "$smtpd" "$TMP/smtpd.conf" \
		    </dev/null >"$TMP/smtpd.log" 2>&1 &
	else
		setsid "$smtpd" -d -f "$TMP/smtpd.conf" \
		    </dev/null >"$TMP/smtpd.log" 2>&1 &
	fi
	smtpd_pid=$!
	tap_pids="$smtpd_pid $tap_pids"
}

osmtpd_cleanup() {
	if [ "${KEEP_TMP:-0}" = 1 ] && cp -a "$TMP" "$TMP.kept"; then
		echo "# kept in $TMP.kept"
	fi
	tap_cleanup
}

# osmtpd_main VERSION: the whole test, against smtpd VERSION (6.8 or 7.6).
osmtpd_main() {
	local v="$1" proto reason t0

	case "$v" in
	6.8) proto=0.6 ;;
	7.6) proto=0.7 ;;
	*) echo "Bail out! no OpenSMTPD $v here"; exit 1 ;;
	esac
	t0=$(date +%s)
	if reason=$(osmtpd_skip_reason "$v"); then
		skip_all "smtpd $v: $reason"
	fi
	# $(osmtpd_skip_reason) ran in a subshell: do again what it found.
	osmtpd_ns_ok && osmtpd_ns=1
	case "$v" in
	6.8) osmtpd_fetch_68 >/dev/null ;;
	*) osmtpd_fetch_76 >/dev/null ;;
	esac
	[ -x "$filterd" ] || { echo "Bail out! $filterd not built"; exit 1; }
	if ! osmtpd_prepare_host; then
		echo "Bail out! cannot create smtpd's users or spool"
		exit 1
	fi
	osmtpd_cases "$v" "$proto"
	diag "smtpd $v: $(($(date +%s) - t0))s, set-up included"
	tap_done
}

# osmtpd_cases VERSION PROTOCOL
osmtpd_cases() {
	local v="$1" proto="$2"

	plan 50

	# smtpd runs the filter as its own user: it must reach the test files.
	chmod 755 "$TMP"
	trap osmtpd_cleanup EXIT

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

	osmtpd_start_smtpd
	wait_port "$port" 20
	ok $? "smtpd $v starts with filterd as its filter (port $port)"
	wait_log "$TMP/smtpd.log" "filtering on stdin and stdout"
	like "$(cat "$TMP/smtpd.log")" 'opensmtpd: filtering on stdin and stdout' \
	    "filterd's log lines reach smtpd's log (stderr)"

	body=$'Dear friend, you have won | twice\n.dotline\n..two dots\n.\nend'
	out=$(send clean "hello | there" "$body")
	like "$out" '<-  250 2\.0\.0 [0-9a-f]+ Message accepted' \
	    "a clean message is accepted"
	f=$(delivered clean)
	ok $? "and delivered"
	# The version is known once the first session has begun.
	wait_log "$TMP/smtpd.log" "opensmtpd: filter protocol"
	like "$(grep 'opensmtpd: filter protocol' "$TMP/smtpd.log")" \
	    "opensmtpd: filter protocol ${proto//./\\.}\$" \
	    "smtpd $v speaks filter protocol $proto to filterd"
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
	# that would be cut is refused rather than delivered cut.  7.6 cuts
	# nothing: the same line is delivered whole.
	head -c 1990 /dev/zero | tr '\0' 'l' > "$TMP/l1990.txt"
	head -c 3000 /dev/zero | tr '\0' 'l' > "$TMP/l3000.txt"
	send long "long line" "$TMP/l1990.txt" > /dev/null
	f=$(delivered long)
	grep -qx "$(cat "$TMP/l1990.txt")" "$f" 2>/dev/null
	ok $? "a 1990-byte line is delivered whole"
	out=$(send toolong "longer line" "$TMP/l3000.txt")
	if [ "$v" = 6.8 ]; then
		like "$out" '<\*\* +550 5\.6\.0 ' \
		    "a 3000-byte line, which smtpd 6.8 would cut, is refused (550 5.6.0)"
	else
		f=$(delivered toolong)
		grep -qx "$(cat "$TMP/l3000.txt")" "$f" 2>/dev/null
		ok $? "a 3000-byte line, which smtpd $v does not cut, is delivered whole"
	fi

	for cmd in segv socket garbage; do
		out=$(send "hostile-$cmd" "hello" "x" --header "X-Hostile: $cmd")
		like "$out" '<\*\* +451 4\.3\.0 Content filter failure' \
		    "a worker that misbehaves ($cmd) gets the fallback (451 4.3.0)"
	done
	kill -0 "$smtpd_pid" 2>/dev/null
	ok $? "smtpd is still running"

	# A slow worker (silent until limits.worker_timeout, 6s) holds only its
	# own message: another session is served meanwhile.  The other session
	# starts once the slow one has sent its final dot (swaks flushes its
	# transcript line by line), and must be answered while the slow one
	# still waits for its answer -- an order, not a time, so that a busy
	# machine does not fail it.
	send slow "hello" "x" --header "X-Hostile: silent" > "$TMP/slow.out" &
	slow=$!
	wait_file "$TMP/slow.out" '^ -> \.$' 100 ||
	    diag "the slow session did not send its message in 10s"
	out=$(send fast "hello" "you have won")
	pending=no
	kill -0 "$slow" 2>/dev/null &&
	    ! grep -q '^<\*\* *451' "$TMP/slow.out" && pending=yes
	like "$out" '<-  250 ' "a message sent while a worker hangs is accepted"
	[ "$pending" = yes ]
	ok $? "without waiting for the hung worker (its session still waits)"
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

	osmtpd_mbox_cases

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
	# Its event loop, dispatch threads and dispatcher: all under seccomp.
	sup=$(ps -o pid=,comm= -p "$(echo $pids | tr ' ' ',')" |
	    awk '$2 == "filterd-super" { print $1 }')
	bad=""
	for t in /proc/"$sup"/task/*; do
		[ "$(awk '$1 == "Seccomp:" { print $2 }' "$t/status")" = 2 ] ||
		    bad="$bad ${t##*/}"
	done
	ok $([ -n "$sup" ] && [ -z "$bad" ]; echo $?) \
	    "every thread of filterd's supervisor is in seccomp filter mode"
	[ -z "$bad" ] || diag "supervisor $sup, threads without:$bad"
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
}

# Messages whose first line is an mbox "From " line: it is neither a
# header field nor the end of the header (filterd shows it to rules as
# X-Mailbox-Line, as Postfix does), so the fields after it are the header:
# rules see them, and header fields a verdict adds go among them.  A
# header line without a colon is refused.  11 results.  These describe
# the parser as it is meant to be; note that smtpd (6.8 and 7.6) puts its
# own Received: field before the client's data, so in what filterd reads
# the "From " line is the second line, not the first.  smtpd passes the
# "From " line itself (its own check takes it for a field: it has colons)
# and delivers it where it was.
osmtpd_mbox_cases() {
	local m="$TMP/mbox.txt" f hdr

	printf '%s\n' "From attacker@example.org Mon Jan  1 00:00:00 2024" \
	    "From: a@example.org" "To: b@example.net" \
	    "Subject: run this executable" "X-Test-Id: mbox-reject" "" \
	    "mbox body" > "$m"
	out=$(send_raw "$m")
	like "$out" '<\*\* +550 5\.7\.1 Subject not allowed' \
	    "mbox From line first: the Subject reject rule still refuses (550 5.7.1)"
	delivered mbox-reject 10 >/dev/null
	ok $((! $?)) "mbox From line first, rejected: not delivered"

	printf '%s\n' "From attacker@example.org Mon Jan  1 00:00:00 2024" \
	    "From: a@example.org" "To: b@example.net" \
	    "Subject: please tag-me" "X-Test-Id: mbox-tag" "" \
	    "mbox body line 1: you have won" "mbox body line 2" > "$m"
	out=$(send_raw "$m")
	like "$out" '<-  250 2\.0\.0 [0-9a-f]+ Message accepted' \
	    "mbox From line first, Subject add-header rule: accepted"
	f=$(delivered mbox-tag)
	ok $? "mbox From line first, add-header: delivered"
	hdr=$(header_of "$f" 2>/dev/null)
	like "$hdr" '^X-Filterd-Tag: subject$' \
	    "mbox From line first: the header the Subject rule added is in the header section"
	like "$hdr" '^X-Filterd-Rule: lottery$' \
	    "mbox From line first: the header the body rule added is in the header section"
	like "$(printf '%s\n' "$hdr" |
	    grep -cE '^(From: a@example\.org|To: b@example\.net|Subject: please tag-me|X-Test-Id: mbox-tag)$')" \
	    '^4$' \
	    "mbox From line first: From:, To:, Subject: are in the header section"
	# The body rule (lottery) adds its header whatever filterd makes of
	# the header: the two added fields show where additions go.
	# Nothing of the original header after the first empty line: the
	# body is the two body lines (and the empty lines swaks and smtp-sink
	# end it with), so no empty line was put before the fields.
	like "$(body_of "$f" 2>/dev/null | tr '\n' '|')" \
	    '^mbox body line 1: you have won\|mbox body line 2\|+$' \
	    "mbox From line first: the body is the body only (no empty line before the header)"
	if [ -n "$f" ] && ! header_of "$f" | grep -q '^X-Filterd-Tag'; then
		diag "delivered:"
		diag "$(cat "$f")"
	fi

	# smtpd 6.8 and 7.6 refuse such a message themselves (550 5.7.1 "not
	# RFC 2822 compliant") before they ask the filter for its verdict,
	# so filterd's own (550 5.6.0 by default; a reject in any case, as the
	# Subject matches bad-subject too) is read from its log.
	printf '%s\n' "From: bogus@example.org" "Bogus line" \
	    "Subject: run this executable" "X-Test-Id: bogus-line" "" "body" \
	    > "$m"
	out=$(FROM=bogus@example.org send_raw "$m")
	like "$out" '<\*\* +550 5\.(6\.0|7\.1) ' \
	    "a header line without a colon: the message is refused (550)"
	wait_log "$TMP/smtpd.log" 'from=<bogus@example\.org> .*action='
	like "$(grep 'from=<bogus@example\.org>' "$TMP/smtpd.log")" \
	    'from=<bogus@example\.org> rcpts=1 action=reject' \
	    "a header line without a colon: filterd's verdict is reject"
	delivered bogus-line 10 >/dev/null
	ok $((! $?)) "a header line without a colon: not delivered"
}
