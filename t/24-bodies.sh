#!/bin/sh
# 24-bodies: bodies of every size reach the worker whole, whichever way
# the job travels (wire.h): 2 KB inline on the worker's channel; 40 KB and
# 10 MB in the memfd the supervisor wrote them to as they came, mapped by
# the worker; and each through the milter frontend (t/mclient), the
# OpenSMTPD frontend (t/smtpdfeed playing smtpd to filterd -x opensmtpd)
# and filterd -t.  The body rule sees a phrase at the very end of each,
# and one that spans the 64 KiB mark of a 10 MB body; a 10 MB body without
# it gets no header.  The supervisor's log (-v) says which way each job
# went.  And no worker pid comes twice in the log: a worker per message.
E2E_LIMIT=${T24_LIMIT:-300} E2E_KILL=30
. "$(dirname "$0")/lib-e2e.sh"
. "$top_srcdir/t/tap.sh"

filterd="$top_builddir/filterd/filterd"
feed="$top_builddir/t/smtpdfeed"
[ -x "$feed" ] || skip_all "t/smtpdfeed not built"
[ -x "${MCLIENT:-$top_builddir/t/mclient}" ] || skip_all "t/mclient not built"
plan 33

cat > "$TMP/bodies.conf" <<EOF
listen = "unix:/tmp/filterd-bodies.sock";
user = "nobody";
on_failure = "tempfail";
limits = { message_size = 12582912; worker_timeout = 20; };
workers = { pool = 2; };
allowed_headers = [ "X-Filterd-*" ];
rules = (
	{ name = "lottery"; body = "you have won";
	  action = "add-header"; add_header = "X-Filterd-Rule: lottery"; }
);
EOF
sock=$(conf_for "$TMP/bodies.conf")
start_filterd "$filterd"
ok $? "filterd (milter) starts"

# body NAME BYTES [AT]: a message whose body is about BYTES of 80-byte
# lines (CRLF on the wire), "you have won" at its end, or at byte AT of
# the body as the MTA sends it (AT "none": nowhere).
body() {
	awk -v n="$2" -v at="${3:-end}" 'BEGIN {
		x = sprintf("%78s", ""); gsub(/ /, "x", x)
		p = "you have won"
		printf "From: a@example.org\nTo: b@example.net\nSubject: %s\n\n", "b"
		for (off = 0; off + 80 <= n; off += 80) {
			line = x
			if (at != "end" && at != "none" && at >= off &&
			    at < off + 80) {
				k = at - off
				line = substr(x, 1, k) p substr(x, k + 1)
				line = substr(line, 1, 78)
			}
			printf "%s\n", line
		}
		if (at == "end")
			printf "%s\n", p
	}' > "$TMP/$1.eml"
}
body small 2000
body medium 40000
body large 10485760
# "you have won" from byte 65530 of the body: across the 64 KiB mark.
body across 10485760 65530
body none 10485760 none

# through NAME yes|no FORM: the message through the three paths; whether
# the lottery header comes back; how the milter path sent the job.
k=0
through() {
	k=$((k + 1))
	f="$TMP/$1.eml"
	out=$(mclient -t 60 -s "unix:$sock" -q "Q$k" -f a@example.org \
	    -r b@example.net -m "$f" 2>&1)
	wait_log "$TMP/filterd.log" "Q$k: client="
	like "$(grep "Q$k: job sent" "$TMP/filterd.log")" \
	    "job sent to worker [0-9]+, $3\$" "$1: milter: the job went $3"
	if [ "$2" = yes ]; then
		like "$out" '^addheader X-Filterd-Rule: lottery$' \
		    "$1: milter: the body rule saw the phrase"
	else
		unlike "$out" 'addheader' "$1: milter: no header"
	fi
	unlike "$(grep "Q$k: client=" "$TMP/filterd.log")" 'failure=' \
	    "$1: milter: a worker's verdict"
	"$feed" -m "$f" -o "$TMP/$1.back" -- "$filterd" -x opensmtpd \
	    -f "$TMP/filterd.conf" > "$TMP/$1.commit" 2> "$TMP/s.err"
	if [ "$2" = yes ]; then
		like "$(head -c 100000 "$TMP/$1.back")" \
		    '^X-Filterd-Rule: lottery' "$1: OpenSMTPD: the header"
	else
		unlike "$(head -c 100000 "$TMP/$1.back")" 'X-Filterd-Rule' \
		    "$1: OpenSMTPD: no header"
	fi
	like "$(cat "$TMP/$1.commit")" '^commit: proceed$' \
	    "$1: OpenSMTPD: proceeds"
	out=$("$filterd" -t "$f" -f "$TMP/filterd.conf" 2> "$TMP/t.err")
	if [ "$2" = yes ]; then
		like "$out" '^rules: lottery$' "$1: filterd -t: the rule"
	else
		like "$out" '^rules:( -)?$' "$1: filterd -t: no rule"
	fi
}
body_memfd="its body in the memfd it was written to"
through small yes inline
through medium yes "$body_memfd"
through large yes "$body_memfd"
through across yes "$body_memfd"
through none no "$body_memfd"

i=0
while [ $i -lt 20 ]; do
	mclient -s "unix:$sock" -q "R$i" -f a@example.org -r b@example.net \
	    -m "$TMP/small.eml" > /dev/null 2>&1
	i=$((i + 1))
done
wait_log "$TMP/filterd.log" "R19: client="
pids=$(sed -n 's/.* worker=\([0-9][0-9]*\) .*/\1/p' "$TMP/filterd.log")
n=$(echo "$pids" | grep -c .)
u=$(echo "$pids" | sort -u | grep -c .)
ok $([ "$n" -ge 25 ] && [ "$n" -eq "$u" ]; echo $?) \
    "no worker pid twice in $n log lines ($u different)"
kill -0 "$filterd_pid"
ok $? "filterd is still running"
tap_done
