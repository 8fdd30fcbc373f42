#!/bin/bash
# 52-postfix-quarantine.sh -- the quarantine workflow behind a real
# Postfix (filterd(8), QUARANTINE): a message that a rule quarantines is
# accepted and put in Postfix's hold queue, not delivered; Postfix keeps
# no reason, but filterd's log line has it and, with quarantine_header, so
# does the held message,
# where the field the sender forged is gone; "postsuper -H" releases it
# and it is delivered with that header.
#
# Needs root (Postfix), and the Debian packages postfix and swaks; skips
# otherwise (t/lib-postfix.sh, as t/50-postfix.sh).  Creates nothing
# outside its temporary directory.
E2E_LIMIT=${T52_LIMIT:-180} E2E_KILL=30
. "$(dirname "$0")/lib-e2e.sh"

. "$here/lib-postfix.sh"

pf_preflight
PF_SBIN=$(dirname "$PF_POSTFIX")

tmp=""
cleanup()
{
	fd_stop 5 >/dev/null
	pf_cleanup
	[ -n "$tmp" ] && [ -z "${KEEP_TMP:-}" ] && rm -rf "$tmp"
}
trap cleanup EXIT

tmp=$(mktemp -d "${TMPDIR:-/tmp}/filterd-t52.XXXXXX") || exit 1
chmod 0755 "$tmp"
fdlog="$tmp/filterd.log"
: >"$fdlog"

echo "1..9"
ok=1
if fd_port=$(pf_free_port); then
	listen="inet:$fd_port@127.0.0.1"
	if fd_write_conf "$top_srcdir/t/data/obs.conf" "$tmp/filterd.conf" \
	    "$listen" "$fd_user" "$tmp/empty" 2>>"$fdlog"; then
		fd_start "$tmp/filterd.conf" "$fdlog"
		fd_wait_ready "$listen" 20 2>>"$fdlog" && ok=0
	fi
fi
tap "$ok" "filterd starts with quarantine_header, on ${listen:-?}"
fdok=$ok
ok=1
mkdir "$tmp/pf"
if [ "$fdok" -eq 0 ] && pf_setup "$tmp/pf" "inet:127.0.0.1:${fd_port:-0}" \
    2>>"$tmp/setup.log" && pf_sink_start 2>>"$tmp/setup.log" &&
    pf_start 2>>"$tmp/setup.log"; then
	ok=0
fi
tap "$ok" "private Postfix and smtp-sink"
if [ "$ok" -ne 0 ]; then
	pf_diag "$tmp/setup.log" "setup errors"
	pf_diag "$fdlog" "filterd log"
	exit 1
fi

timeout --foreground 60 swaks --server 127.0.0.1 --port "$PF_SMTP_PORT" \
    --timeout 30 --helo client.filterd-test.invalid --to rcpt@example.org \
    --from a@example.org --header "Subject: quarantine-me please" \
    --add-header "X-Filterd-Quarantine: forged by the sender" \
    --add-header "X-Test-Id: held-$$" --body "hello" \
    </dev/null >"$tmp/held.smtp" 2>&1
qid=$(pf_queue_id "$tmp/held.smtp")
tap $([ -n "$qid" ]; echo $?) "the quarantined message is accepted (queued as ${qid:-?})"
i=0
while ! "$PF_SBIN/postqueue" -c "$PF_DIR/etc" -j 2>/dev/null |
    grep -q "\"queue_name\": \"hold\", \"queue_id\": \"$qid\"" &&
    [ $i -lt 100 ]; do
	sleep 0.1
	i=$((i + 1))
done
"$PF_SBIN/postqueue" -c "$PF_DIR/etc" -j > "$tmp/queue.json" 2>&1
grep -q "\"queue_name\": \"hold\", \"queue_id\": \"$qid\"" "$tmp/queue.json"
tap $? "Postfix holds it in the hold queue"
[ -z "$(pf_sink_find "X-Test-Id: held-$$")" ]
tap $? "and does not deliver it"
# Postfix keeps no reason: "milter triggers HOLD action".  Hence the
# log line's reason= and quarantine_header.
grep -q "$qid: milter-hold: .*milter triggers HOLD action" "$PF_DIR/maillog"
tap $? "Postfix logs the hold (without a reason)"
grep -Eq " $qid: client=.* action=quarantine .*reason=\"held \\\\\"for\\\\\" review\\\\\\\\now\"" "$fdlog"
tap $? "filterd's log line has the reason"
"$PF_SBIN/postcat" -c "$PF_DIR/etc" -hq "$qid" > "$tmp/held.hdr" 2>&1
grep -qx 'X-Filterd-Quarantine: held "for" review\\now' "$tmp/held.hdr" &&
    ! grep -q 'forged by the sender' "$tmp/held.hdr"
tap $? "the held message has the reason in quarantine_header, not the forged field"
"$PF_SBIN/postsuper" -c "$PF_DIR/etc" -H "$qid" >>"$tmp/setup.log" 2>&1
pf_wait_sent "$qid" 30 && f=$(pf_sink_find "X-Test-Id: held-$$" | head -n 1) &&
    [ -n "$f" ] && grep -q '^X-Filterd-Quarantine: held "for" review' "$f"
tap $? "postsuper -H releases it: delivered, with the header"
if [ "$failed" -ne 0 ]; then
	pf_diag "$PF_DIR/maillog" "Postfix log"
	pf_diag "$fdlog" "filterd log"
	pf_diag "$tmp/queue.json" "postqueue -j"
	pf_diag "$tmp/held.hdr" "postcat -hq"
fi
exit "$failed"
