#!/bin/sh
# 33-match: a rule's pattern never fails open.  Long input gets the room
# it needs (a JIT stack sized from workers.memory): a reject rule rejects
# "buy" + "cheap " x 2000 + "viagra" in the body or the Subject (PCRE2's
# default 32 KiB JIT stack ran out, and the error counted as "no match"),
# and a 1 MB body is matched whole.  A match that still ends in an error
# (here a tiny matching.match_limit) gives the message matching.on_error,
# logged with the rule's name and PCRE2's reason; by default on_failure's
# action.  The same through the milter socket and through filterd -t.
. "${top_srcdir:-$(dirname "$0")/..}/t/tap.sh"

[ -x "${MCLIENT:-$top_builddir/t/mclient}" ] || skip_all "t/mclient not built"
plan 21
fd="$top_builddir/filterd/filterd"
sock=$(conf_for "$top_srcdir/t/data/match.conf")
start_filterd "$fd"
ok $? "filterd starts"

# rep WORD N: WORD N times.
rep() { awk -v w="$1" -v n="$2" 'BEGIN { while (n-- > 0) printf "%s", w }'; }
msg() {	# msg FILE SUBJECT BODY
	printf 'From: a@example.org\nTo: b@example.net\nSubject: %s\n\n%s\n' \
	    "$2" "$3" > "$TMP/$1"
}
send() {	# send FILE
	mclient -s "unix:$sock" -a 192.0.2.10 -c mail.example.org \
	    -H mail.example.org -f a@example.org -r b@example.net \
	    -m "$TMP/$1" 2>&1
}
offline() {	# offline FILE [CONF]: filterd -t
	"$fd" -t "$TMP/$1" -f "${2:-$TMP/filterd.conf}" 2> "$TMP/err"
}

msg short.eml "hello" "buy cheap viagra"
msg body.eml "hello" "buy $(rep 'cheap ' 2000)viagra"
msg subject.eml "buy $(rep 'cheap ' 2000)viagra" "hello"
# 1 MB of legitimate text, then the same with the phrase 170,000 cheap
# ones long: one match over all of it.
rep 'The quarterly report is attached; please read it before Monday. ' \
    16000 > "$TMP/text"
msg big-ham.eml "report" "$(cat "$TMP/text") you have won"
msg big-spam.eml "report" "buy $(rep 'cheap ' 170000)viagra"
ok $([ "$(wc -c < "$TMP/big-ham.eml")" -gt 1000000 ] &&
    [ "$(wc -c < "$TMP/big-spam.eml")" -gt 1000000 ]; echo $?) \
    "the long messages are over 1 MB"

out=$(send short.eml)
like "$out" '^reply 550 5\.7\.1 Spam body$' "the short form is rejected"
out=$(send body.eml)
like "$out" '^reply 550 5\.7\.1 Spam body$' \
    "buy + cheap x 2000 + viagra (12 KB body) is rejected"
out=$(send subject.eml)
like "$out" '^reply 550 5\.7\.1 Spam subject$' \
    "the same 12 KB in the Subject is rejected"
out=$(send big-spam.eml)
like "$out" '^reply 550 5\.7\.1 Spam body$' \
    "a 1 MB body of one long match is rejected"
out=$(send big-ham.eml)
like "$out" '^addheader X-Filterd-Rule: lottery$' \
    "a 1 MB legitimate body is matched to its end"
like "$out" '^action (accept|continue)$' "and is accepted"
unlike "$(cat "$TMP/filterd.log")" 'cannot match' \
    "no match ended in an error"

out=$(offline body.eml)
like "$out" '^reply: 550 5\.7\.1 Spam body$' "filterd -t: the body is rejected"
out=$(offline subject.eml)
like "$out" '^reply: 550 5\.7\.1 Spam subject$' \
    "filterd -t: the Subject is rejected"

# Bounds made tiny: 1,000 steps are enough for the short form, not for
# 2,000 repetitions.
sed 's/^rules = (/matching = { match_limit = 1000; on_error = "quarantine"; };\n&/' \
    "$TMP/filterd.conf" > "$TMP/tiny.conf"
out=$(offline short.eml "$TMP/tiny.conf")
like "$out" '^reply: 550 5\.7\.1 Spam body$' \
    "tiny match limit: the short form is still rejected"
out=$(offline body.eml "$TMP/tiny.conf")
like "$out" '^action: quarantine$' "tiny match limit: the body gets on_error"
like "$out" '^quarantine: rule viagra-body cannot match$' \
    "with a reason that names the rule"
like "$out" '^log: rule viagra-body: cannot match: match limit exceeded \(PCRE2 error -47\); matching\.on_error: quarantine$' \
    "the log line names the rule and PCRE2's error"
out=$(offline subject.eml "$TMP/tiny.conf")
like "$out" '^log: rule viagra-subject: cannot match: match limit exceeded' \
    "tiny match limit: so does the Subject"

# on_error's default: on_failure's action.
sed -e 's/ on_error = "quarantine";//' -e 's/^on_failure = .*/on_failure = "reject";/' \
    "$TMP/tiny.conf" > "$TMP/tiny2.conf"
out=$(offline body.eml "$TMP/tiny2.conf")
like "$out" '^action: reject$' "by default on_error is on_failure's action"
like "$out" '^reply: 550 5\.7\.1 Message rejected by content filter$' \
    "with the reply of a rule that has none"

# The daemon, reloaded with the tiny bounds, logs the line with the
# worker's pid.
cp "$TMP/tiny.conf" "$TMP/filterd.conf"
n=$(wc -l < "$TMP/filterd.log")
kill -HUP "$filterd_pid"
wait_log_after "$n" 'reloaded, configuration generation 2'
out=$(send body.eml)
like "$out" '^quarantine rule viagra-body cannot match$' \
    "the milter: on_error after a reload"
wait_log "$TMP/filterd.log" 'worker [0-9]+: rule viagra-body: cannot match'
like "$(cat "$TMP/filterd.log")" 'worker [0-9]+: rule viagra-body: cannot match: match limit exceeded \(PCRE2 error -47\); matching\.on_error: quarantine' \
    "the supervisor logs the worker's line"
ok $(kill -0 "$filterd_pid"; echo $?) "filterd is still running"
tap_done
