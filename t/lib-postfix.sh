# lib-postfix.sh -- run a private Postfix instance and an smtp-sink for
# filterd's end-to-end tests.  Sourced by t/50-postfix.sh (bash).
#
# Everything lives under one temporary directory, $PF_DIR:
#
#   etc/main.cf, etc/master.cf   the instance's config_directory
#   spool/                       queue_directory (root-owned, 0755)
#   data/                        data_directory (owned by mail_owner)
#   sink/                        one file per message smtp-sink received
#   maillog                      Postfix's log (maillog_file, postlogd)
#   sink.log                     smtp-sink's own stderr
#
# Postfix listens on 127.0.0.1:$PF_SMTP_PORT only, has no local domains
# (mydestination is empty), relays for 127.0.0.0/8 and sends everything to
# relayhost [127.0.0.1]:$PF_SINK_PORT, where smtp-sink (from the postfix
# package) writes each delivered message to a file in sink/.
#
# Facts about the host, for CI:
#   - Postfix must be started as root; so must these functions.
#   - The Debian "postfix" package must be installed (postfix, postconf,
#     postlog, /usr/lib/postfix/sbin/*, smtp-sink); the user "postfix" and
#     the group "postdrop" come with it.  It may be installed with "No
#     configuration": nothing here reads or needs /etc/postfix/main.cf
#     (checked with Debian's Postfix 3.7.11 and no /etc/postfix/main.cf:
#     root's "postfix -c DIR start" does not require DIR to be listed in
#     a default main.cf's alternate_config_directories; that check is for
#     the set-gid programs postdrop/postqueue, which are never run here,
#     and nothing is submitted locally).  Read-only files are still used
#     from meta_directory (/etc/postfix: dynamicmaps.cf, postfix-files)
#     and the daemons from daemon_directory, as Debian installs them.
#   - Nothing is created or modified outside $PF_DIR.  Nothing of the
#     system's own Postfix instance is touched; it need not be running and
#     if it is, it is left alone (different directories, different ports).
#
# Functions (all return non-zero on failure, with a reason on stderr):
#   pf_skip_reason            prints why Postfix tests cannot run here
#   pf_free_port              prints a TCP port free on 127.0.0.1
#   pf_wait_port PORT SECS    waits until something listens on
#                             127.0.0.1:PORT
#   pf_setup DIR MILTER       writes the instance (MILTER: libmilter-style
#                             "inet:host:port" or "unix:/path", as Postfix
#                             spells smtpd_milters)
#   pf_sink_start, pf_sink_stop
#   pf_start, pf_stop         the Postfix instance (bounded waits)
#   pf_cleanup                stops everything that is still running
#   pf_queue_id FILE          the queue id in a swaks transcript
#   pf_wait_sent QID SECS     waits for "QID: ... status=sent" in the log
#   pf_sink_find STRING       prints the sink file(s) containing STRING
#   pf_diag FILE [TITLE]      prints FILE as TAP "# " diagnostic lines
#
# Tunables (environment): PF_START_TIMEOUT (30), PF_SINK_USER (the
# mail_owner, postfix), PF_MILTER_PROTOCOL (6; 2 to 4 offer the milter no
# no-reply steps).
#
# The fd_* functions at the end start and stop filterd itself; they are
# shared with t/40-miltertest.sh, which needs no Postfix:
#   fd_command                prints the filterd command line
#   fd_skip_reason            prints why filterd cannot be run (not found)
#   fd_write_conf SRC DST LISTEN USER [CHROOT]
#                             copies a configuration, changing listen, user
#                             (and chroot)
#   fd_start CONF LOG [RUNAS] starts "filterd -d -f CONF" in its own session
#   fd_wait_ready LISTEN SECS waits for the socket (fails if filterd died)
#   fd_running, fd_stop
# FILTERD_CMD, when set, replaces $top_builddir/filterd/filterd; it is split
# on blanks, so "valgrind -q /path/filterd" works.  The arguments
# "-d -f CONF" are always appended.
#
# And the tests' TAP counter: tap STATUS DESCRIPTION... prints one result,
# "ok" when STATUS is 0, numbered from $n; a failure sets $failed to 1.
# tmp_remove removes the test's directory $tmp, or keeps it and says so
# when KEEP_TMP is set.

PF_DIR=""
PF_SMTP_PORT=""
PF_SINK_PORT=""
PF_SINK_PID=""
PF_STARTED=""
PF_MAIL_OWNER="postfix"
PF_SETGID_GROUP="postdrop"

n=0
failed=0
tap()
{
	local status="$1"
	shift
	n=$((n + 1))
	if [ "$status" -eq 0 ]; then
		echo "ok $n - $*"
	else
		echo "not ok $n - $*"
		failed=1
	fi
}

tmp_remove()
{
	if [ -n "$tmp" ] && [ -z "${KEEP_TMP:-}" ]; then
		rm -rf "$tmp"
	elif [ -n "$tmp" ]; then
		echo "# kept $tmp"
	fi
}

# Where the Debian package installs things; used only to check presence.
PF_POSTFIX=$(command -v postfix 2>/dev/null || echo /usr/sbin/postfix)
PF_POSTCONF=$(command -v postconf 2>/dev/null || echo /usr/sbin/postconf)
PF_SMTP_SINK=$(command -v smtp-sink 2>/dev/null || echo /usr/sbin/smtp-sink)

pf_skip_reason()
{
	if [ "$(id -u)" -ne 0 ]; then
		echo "Postfix must be started as root (running as uid $(id -u))"
		return 0
	fi
	if [ ! -x "$PF_POSTFIX" ] || [ ! -x "$PF_POSTCONF" ]; then
		echo "postfix not installed (Debian package postfix)"
		return 0
	fi
	if [ ! -x "$PF_SMTP_SINK" ]; then
		echo "smtp-sink not found (Debian package postfix)"
		return 0
	fi
	if ! command -v timeout >/dev/null 2>&1 ||
	    ! command -v setsid >/dev/null 2>&1; then
		echo "timeout(1) or setsid(1) missing (coreutils, util-linux)"
		return 0
	fi
	if ! getent passwd "$PF_MAIL_OWNER" >/dev/null ||
	    ! getent group "$PF_SETGID_GROUP" >/dev/null; then
		echo "user $PF_MAIL_OWNER or group $PF_SETGID_GROUP missing"
		return 0
	fi
	return 1
}

# Succeeds when something accepts TCP connections on 127.0.0.1:$1.
pf_port_open()
{
	timeout 2 bash -c "exec 3<>/dev/tcp/127.0.0.1/$1" 2>/dev/null
}

# Succeeds when nothing listens on 127.0.0.1:$1 (or on the wildcard).
pf_port_free()
{
	if command -v ss >/dev/null 2>&1; then
		[ -z "$(ss -Htln "sport = :$1" 2>/dev/null)" ]
	else
		! pf_port_open "$1"
	fi
}

# Prints a port that nothing listens on, below the ephemeral range.  Racy
# by nature; the ports are used at once.
pf_free_port()
{
	local _ p
	for _ in $(seq 1 100); do
		p=$((20000 + RANDOM % 12000))
		if pf_port_free "$p"; then
			echo "$p"
			return 0
		fi
	done
	echo "pf_free_port: no free port found" >&2
	return 1
}

# pf_wait_port PORT SECS: waits until something listens on 127.0.0.1:PORT.
# With ss(8) it only looks for the listener, so that the server does not
# log a probe connection; without, it connects.
pf_wait_port()
{
	local port="$1" n=$(($2 * 10))
	while [ "$n" -gt 0 ]; do
		if command -v ss >/dev/null 2>&1; then
			[ -n "$(ss -Htln "sport = :$port" 2>/dev/null)" ] &&
			    return 0
		else
			pf_port_open "$port" && return 0
		fi
		sleep 0.1
		n=$((n - 1))
	done
	echo "pf_wait_port: nothing listens on 127.0.0.1:$port after $2s" >&2
	return 1
}

pf_conf()
{
	timeout 20 "$PF_POSTCONF" -c "$PF_DIR/etc" "$@"
}

# pf_setup DIR MILTER: creates the instance under DIR (which must exist and
# be empty) and picks its two ports.
pf_setup()
{
	PF_DIR="$1"
	local milter="$2"

	PF_SMTP_PORT=$(pf_free_port) || return 1
	PF_SINK_PORT=$(pf_free_port) || return 1
	while [ "$PF_SINK_PORT" = "$PF_SMTP_PORT" ]; do
		PF_SINK_PORT=$(pf_free_port) || return 1
	done

	# Postfix's daemons run as mail_owner: every directory above the queue
	# and data directories must be searchable, and root-owned ones must
	# not be group or world writable.
	chmod 0755 "$PF_DIR" || return 1
	mkdir -p "$PF_DIR/etc" "$PF_DIR/spool" "$PF_DIR/data" "$PF_DIR/sink" ||
	    return 1
	chmod 0755 "$PF_DIR/etc" "$PF_DIR/spool" || return 1
	chown "$PF_MAIL_OWNER" "$PF_DIR/data" "$PF_DIR/sink" || return 1
	chmod 0700 "$PF_DIR/data" || return 1
	: >"$PF_DIR/maillog"

	pf_write_main_cf "$milter" >"$PF_DIR/etc/main.cf" || return 1
	pf_write_master_cf >"$PF_DIR/etc/master.cf" || return 1
	# Every Postfix program pauses while a configuration file is less
	# than a second or two old (it waits for the file to settle), which
	# costs seconds per command: backdate them.
	touch -t 202001010000 "$PF_DIR/etc/main.cf" "$PF_DIR/etc/master.cf"

	# postconf -n fails on a broken main.cf; better to know now.
	pf_conf -n >/dev/null || {
		echo "pf_setup: postconf rejects $PF_DIR/etc/main.cf" >&2
		return 1
	}
}

pf_write_main_cf()
{
	cat <<EOF
# Private Postfix instance for filterd's tests; written by t/lib-postfix.sh.
compatibility_level = 3.6
queue_directory = $PF_DIR/spool
data_directory = $PF_DIR/data
mail_owner = $PF_MAIL_OWNER
setgid_group = $PF_SETGID_GROUP
myhostname = mx.filterd-test.invalid
mydomain = filterd-test.invalid
myorigin = \$myhostname
inet_interfaces = 127.0.0.1
inet_protocols = ipv4
mydestination =
local_recipient_maps =
local_transport = error:5.1.1 no local delivery in this test instance
alias_maps =
alias_database =
mynetworks = 127.0.0.0/8
smtpd_relay_restrictions = permit_mynetworks, reject
smtpd_recipient_restrictions =
relayhost = [127.0.0.1]:$PF_SINK_PORT
smtp_dns_support_level = disabled
smtpd_peername_lookup = no
smtp_tls_security_level = none
smtpd_tls_security_level = none
biff = no
notify_classes =
delay_warning_time = 0

# The milter under test.
smtpd_milters = $milter
non_smtpd_milters =
milter_default_action = tempfail
milter_protocol = ${PF_MILTER_PROTOCOL:-6}
milter_connect_timeout = 5s
milter_command_timeout = 10s
milter_content_timeout = 20s

# Short timeouts, no penalties for the rejections the tests provoke.
smtpd_error_sleep_time = 0
smtpd_soft_error_limit = 100
smtpd_hard_error_limit = 200
smtpd_timeout = 30s
smtp_connect_timeout = 5s
smtp_helo_timeout = 10s
smtp_data_done_timeout = 30s
in_flow_delay = 0
queue_run_delay = 2s
minimal_backoff_time = 2s
maximal_backoff_time = 4s
# daemon_timeout and ipc_timeout stay at their defaults: the watchdog
# wakes every daemon_timeout/3 seconds, and its SIGALRM restarts a
# pending milter read with the full milter timeout, so a daemon_timeout
# of 3 x milter_content_timeout or less means no milter timeout ever
# fires (the daemon is killed by the watchdog instead).
default_process_limit = 10

# Logging to a file the tests can show, through postlogd.
maillog_file = $PF_DIR/maillog
maillog_file_prefixes = $PF_DIR
EOF
}

pf_write_master_cf()
{
	# No chroot anywhere (the spool has no copies of /etc files), no
	# pickup (nothing is submitted locally), no local delivery.
	cat <<EOF
# service type  private unpriv  chroot  wakeup  maxproc command + args
127.0.0.1:$PF_SMTP_PORT inet n - n - - smtpd
cleanup   unix  n       -       n       -       0       cleanup
qmgr      unix  n       -       n       300     1       qmgr
rewrite   unix  -       -       n       -       -       trivial-rewrite
bounce    unix  -       -       n       -       0       bounce
defer     unix  -       -       n       -       0       bounce
trace     unix  -       -       n       -       0       bounce
verify    unix  -       -       n       -       1       verify
flush     unix  n       -       n       1000?   0       flush
proxymap  unix  -       -       n       -       -       proxymap
smtp      unix  -       -       n       -       -       smtp
relay     unix  -       -       n       -       -       smtp
showq     unix  n       -       n       -       -       showq
error     unix  -       -       n       -       -       error
retry     unix  -       -       n       -       -       error
discard   unix  -       -       n       -       -       discard
anvil     unix  -       -       n       -       1       anvil
scache    unix  -       -       n       -       1       scache
postlog   unix-dgram n  -       n       -       1       postlogd
EOF
}

# Starts smtp-sink on 127.0.0.1:$PF_SINK_PORT, dumping every message into
# its own file under sink/, as the mail owner.
pf_sink_start()
{
	local user="${PF_SINK_USER:-$PF_MAIL_OWNER}"

	setsid "$PF_SMTP_SINK" -4 -u "$user" -h sink.filterd-test.invalid \
	    -t 30 -d "$PF_DIR/sink/msg." "127.0.0.1:$PF_SINK_PORT" 64 \
	    </dev/null >>"$PF_DIR/sink.log" 2>&1 &
	PF_SINK_PID=$!
	pf_wait_port "$PF_SINK_PORT" 10 || {
		echo "pf_sink_start: smtp-sink did not come up" >&2
		return 1
	}
	kill -0 "$PF_SINK_PID" 2>/dev/null
}

pf_sink_stop()
{
	[ -n "$PF_SINK_PID" ] || return 0
	pf_kill_wait "$PF_SINK_PID" 5
	PF_SINK_PID=""
}

# pf_kill_wait PID SECS: SIGTERM, then SIGKILL after SECS; reaps the child.
pf_kill_wait()
{
	local pid="$1" n=$(($2 * 10))
	kill -TERM "$pid" 2>/dev/null || { wait "$pid" 2>/dev/null; return 0; }
	while [ "$n" -gt 0 ] && kill -0 "$pid" 2>/dev/null; do
		sleep 0.1
		n=$((n - 1))
	done
	kill -KILL "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
	return 0
}

# Starts the instance and waits until its SMTP port accepts connections.
pf_start()
{
	local limit="${PF_START_TIMEOUT:-30}"

	# "postfix start" checks and creates the queue directories
	# (post-install create-missing), then runs "master -w", which
	# returns once the master daemon is up.  setsid keeps its processes
	# out of our process group.
	if ! timeout "$limit" setsid "$PF_POSTFIX" -c "$PF_DIR/etc" start \
	    </dev/null >>"$PF_DIR/postfix-start.log" 2>&1; then
		echo "pf_start: postfix start failed:" >&2
		cat "$PF_DIR/postfix-start.log" >&2
		return 1
	fi
	PF_STARTED=1
	pf_wait_port "$PF_SMTP_PORT" "$limit"
}

# The master's pid, or nothing.
pf_master_pid()
{
	local f="$PF_DIR/spool/pid/master.pid" pid
	[ -r "$f" ] || return 1
	pid=$(awk '{ print $1; exit }' "$f")
	[ -n "$pid" ] && kill -0 "$pid" 2>/dev/null && echo "$pid"
}

# Stops the instance: "postfix stop" (which itself escalates to SIGKILL
# after 5 s), then SIGKILL to whatever is left of the master's process
# group.  The master is a session and process group leader.
pf_stop()
{
	local pid
	[ -n "$PF_STARTED" ] || return 0
	pid=$(pf_master_pid)
	timeout 20 "$PF_POSTFIX" -c "$PF_DIR/etc" stop \
	    </dev/null >>"$PF_DIR/postfix-start.log" 2>&1
	if [ -n "$pid" ]; then
		kill -KILL -- "-$pid" 2>/dev/null
		kill -KILL "$pid" 2>/dev/null
	fi
	PF_STARTED=""
	return 0
}

pf_cleanup()
{
	pf_stop
	pf_sink_stop
}

# pf_queue_id FILE: the queue id from "250 2.0.0 Ok: queued as ID".
pf_queue_id()
{
	sed -n 's/^<- *250 .*queued as \([0-9A-Za-z]*\).*/\1/p' "$1" | tail -n 1
}

# pf_wait_sent QID SECS: waits until the log says QID was delivered.
pf_wait_sent()
{
	local qid="$1" n=$(($2 * 10))
	[ -n "$qid" ] || return 1
	while [ "$n" -gt 0 ]; do
		grep -q " $qid: .*status=sent" "$PF_DIR/maillog" 2>/dev/null &&
		    return 0
		grep -q " $qid: .*status=\(bounced\|deferred\)" \
		    "$PF_DIR/maillog" 2>/dev/null && return 1
		sleep 0.1
		n=$((n - 1))
	done
	return 1
}

# pf_sink_find STRING: prints the names of delivered messages holding it.
pf_sink_find()
{
	grep -rlF -- "$1" "$PF_DIR/sink" 2>/dev/null
}

# pf_diag FILE [TITLE]: FILE as TAP diagnostics, at most 200 lines.
pf_diag()
{
	echo "# --- ${2:-$1}"
	if [ -r "$1" ]; then
		tail -n 200 "$1" | sed 's/^/#   /'
	else
		echo "#   (no such file)"
	fi
}

# ---- filterd ---------------------------------------------------------

FD_PID=""

fd_command()
{
	if [ -n "${FILTERD_CMD:-}" ]; then
		echo "$FILTERD_CMD"
	else
		echo "${top_builddir:-.}/filterd/filterd"
	fi
}

fd_skip_reason()
{
	local cmd
	cmd=$(fd_command)
	set -f
	# shellcheck disable=SC2086
	set -- $cmd
	set +f
	if ! command -v "$1" >/dev/null 2>&1; then
		echo "filterd not found: $1 (build it, or set FILTERD_CMD)"
		return 0
	fi
	return 1
}

# fd_write_conf SRC DST LISTEN USER [CHROOT]: SRC with the top-level
# listen and user keys replaced, a worker_user line by
# $FILTERD_TEST_WORKER_USER (default filterd-worker), and chroot too when
# CHROOT is given (so that a filterd started as root creates nothing
# outside the test's directory); fails if listen or user was not found.
fd_write_conf()
{
	local src="$1" dst="$2" listen="$3" user="$4" chroot="${5:-}" l u c w
	l=$(fd_sed_escape "$listen")
	u=$(fd_sed_escape "$user")
	c=$(fd_sed_escape "$chroot")
	w=$(fd_sed_escape "${FILTERD_TEST_WORKER_USER:-filterd-worker}")
	sed -e "s|^listen[[:space:]]*=.*|listen = \"$l\";|" \
	    -e "s|^user[[:space:]]*=.*|user = \"$u\";|" \
	    -e "s|^worker_user[[:space:]]*=.*|worker_user = \"$w\";|" \
	    -e "${chroot:+s|^chroot[[:space:]]*=.*|chroot = \"$c\";|}" \
	    -e "/^pidfile[[:space:]]*=/d" \
	    "$src" >"$dst" || return 1
	# Each test its own pidfile (the default is one for the machine),
	# beside its socket, where the user filterd runs as may write; none
	# on TCP.
	case $listen in
	unix:*)	echo "pidfile = \"${listen#unix:}.pid\";" >>"$dst" ;;
	*)	echo 'pidfile = "";' >>"$dst" ;;
	esac
	chmod 0644 "$dst"
	if ! grep -qxF "listen = \"$listen\";" "$dst" ||
	    ! grep -qxF "user = \"$user\";" "$dst"; then
		echo "fd_write_conf: no top-level listen/user line in $src" >&2
		return 1
	fi
}

fd_sed_escape()
{
	printf '%s' "$1" | sed 's/[|&\\]/\\&/g'
}

# fd_start CONF LOG [RUNAS]: starts filterd in the foreground of its own
# session (so that fd_stop can signal it and every process it forked),
# stdout and stderr to LOG.  With RUNAS (a user name; needs root), it is
# started as that user through setpriv(1).
fd_start()
{
	local conf="$1" log="$2" runas="${3:-}" cmd
	local -a pre=()
	cmd=$(fd_command)
	if [ -n "$runas" ]; then
		pre=(setpriv --reuid="$runas" --regid="$(id -g "$runas")"
		    --clear-groups --)
	fi
	set -f
	# shellcheck disable=SC2086
	setsid "${pre[@]}" $cmd -d -f "$conf" </dev/null >>"$log" 2>&1 &
	FD_PID=$!
	set +f
}

# Whether filterd runs (an exited, unreaped filterd is a zombie, which
# kill -0 would still find).
fd_running()
{
	local st
	[ -n "$FD_PID" ] || return 1
	st=$(ps -o stat= -p "$FD_PID" 2>/dev/null) || return 1
	case "$st" in
	Z*|"")	return 1 ;;
	esac
	return 0
}

# fd_wait_ready LISTEN SECS: waits until filterd's socket exists (unix:) or
# its port listens (inet:PORT@HOST); fails at once if filterd exits.
fd_wait_ready()
{
	local listen="$1" n=$(($2 * 10)) path port
	case "$listen" in
	unix:*|local:*)	path="${listen#*:}" ;;
	inet:*)		port="${listen#inet:}"; port="${port%@*}" ;;
	*)		echo "fd_wait_ready: cannot wait for $listen" >&2
			return 1 ;;
	esac
	while [ "$n" -gt 0 ]; do
		if ! fd_running; then
			echo "fd_wait_ready: filterd exited" >&2
			return 1
		fi
		if [ -n "${path:-}" ]; then
			[ -S "$path" ] && return 0
		elif command -v ss >/dev/null 2>&1; then
			[ -n "$(ss -Htln "sport = :$port" 2>/dev/null)" ] &&
			    return 0
		else
			pf_port_open "$port" && return 0
		fi
		sleep 0.1
		n=$((n - 1))
	done
	echo "fd_wait_ready: $listen not ready after $2s" >&2
	return 1
}

# fd_group: pids still in filterd's process group (its session, as
# started by fd_start), whether or not filterd itself is still there.
fd_group()
{
	[ -n "$FD_PID" ] || return 0
	ps -eo pid=,pgid=,stat= |
	    awk -v g="$FD_PID" '$2 == g && $3 !~ /^Z/ { print $1 }'
}

# fd_stop [SECS]: SIGTERM to filterd, as an administrator would send it,
# and up to SECS (10) for it and everything it started to exit; then
# SIGKILL to whatever is left in its process group.  Returns 1, with a
# diagnostic, if filterd had to be killed or left processes behind.
fd_stop()
{
	local n=$((${1:-10} * 10)) rc=0 left
	[ -n "$FD_PID" ] || return 0
	kill -TERM "$FD_PID" 2>/dev/null
	while [ "$n" -gt 0 ] && [ -n "$(fd_group)" ]; do
		sleep 0.1
		n=$((n - 1))
		# Reap it as soon as it exits, or it stays in the group.
		fd_running || wait "$FD_PID" 2>/dev/null
	done
	left=$(fd_group | tr '\n' ' ')
	left=${left% }
	if [ -n "$left" ]; then
		echo "# still running ${1:-10}s after SIGTERM to filterd" \
		    "$FD_PID: $left; SIGKILL"
		ps -o pid=,ppid=,user=,args= -p "$(echo "$left" | tr ' ' ,)" \
		    2>/dev/null | sed 's/^/#   /'
		kill -KILL -- "-$FD_PID" 2>/dev/null
		rc=1
	fi
	wait "$FD_PID" 2>/dev/null
	FD_PID=""
	return "$rc"
}

# pf_preflight: what a test of filterd behind Postfix needs before it
# starts, else its TAP answer and exit: a skip when Postfix, swaks or the
# users are missing, a bail-out when filterd itself is (a broken build or
# harness, not a reason to skip).  Sets fd_user and fd_wuser.
pf_preflight()
{
	local reason
	if reason=$(pf_skip_reason); then
		echo "1..0 # SKIP $reason"
		exit 0
	fi
	if ! command -v swaks >/dev/null 2>&1; then
		echo "1..0 # SKIP swaks not installed (Debian package swaks)"
		exit 0
	fi
	if reason=$(fd_skip_reason); then
		echo "Bail out! $reason"
		exit 1
	fi
	fd_user="${FILTERD_TEST_USER:-nobody}"
	if ! getent passwd "$fd_user" >/dev/null; then
		echo "1..0 # SKIP no user $fd_user for filterd" \
		    "(set FILTERD_TEST_USER)"
		exit 0
	fi
	fd_wuser="${FILTERD_TEST_WORKER_USER:-filterd-worker}"
	if ! getent passwd "$fd_wuser" >/dev/null; then
		echo "1..0 # SKIP no user $fd_wuser for filterd's workers" \
		    "(./autogen.sh --deps creates it; or set" \
		    "FILTERD_TEST_WORKER_USER)"
		exit 0
	fi
}
