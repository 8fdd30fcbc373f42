#!/bin/bash
# 51-rules-postfix.sh -- examples of conf/examples (issue 12) behind a real
# Postfix, modelled on t/50-postfix.sh: filterd as root on a TCP port, a
# private Postfix instance using it as its milter, smtp-sink as the relay
# host (t/lib-postfix.sh).  filterd starts with one example; each next one
# comes by SIGHUP, as an administrator would change rules.  Shows:
#   - the attachment policy with an exempt recipient domain: every
#     recipient in it, delivered; a co-recipient elsewhere, 550 at DATA;
#   - a display name that impersonates our domain, from outside: held
#     (Postfix's quarantine);
#   - an allow-list of senders in a file: a sender not listed gets the
#     body rule's 550; after the file gains it and a SIGHUP, the same
#     message is delivered (lists are re-read on reload);
#   - a List-Id rule: the header arrives at the sink;
#   - an exe inside a zip and a phishing URL hidden with HTML character
#     references: 550; score-based tagging: delivered with the Subject
#     prefix; a large message to all-staff and an invoice with a macro
#     attachment (two conditions each): held; a client-network list:
#     Postfix's 127.0.0.1 is accepted, and refused once the list file
#     loses 127.0.0.0/8 (SIGHUP).
#
# Needs root, and the Debian packages postfix and swaks; skips otherwise.
# Creates nothing outside its temporary directory.
#
# Environment: top_srcdir, top_builddir, FILTERD_CMD, FILTERD_TEST_USER,
# FILTERD_TEST_WORKER_USER, T51_LIMIT (whole-test time limit, seconds),
# KEEP_TMP=1.

E2E_LIMIT=${T51_LIMIT:-300} E2E_KILL=60
. "$(dirname "$0")/lib-e2e.sh"

. "$here/lib-postfix.sh"

pf_preflight

tmp=""
cleanup()
{
	fd_stop 5 >/dev/null
	pf_cleanup
	tmp_remove
}
trap cleanup EXIT

tmp=$(mktemp -d "${TMPDIR:-/tmp}/filterd-t51.XXXXXX") || exit 1
chmod 0755 "$tmp"
fdlog="$tmp/filterd.log"
: >"$fdlog"
ex="$top_srcdir/conf/examples"
mail="$top_srcdir/t/data/mail"
# The examples' lists, where their relative paths find them.
cp -R "$ex/lists" "$tmp/lists"
chmod -R a+rX "$tmp/lists"


# use EXAMPLE: $tmp/filterd.conf is the example as written, after this
# test's listen, user, worker_user and chroot.
gen=0
use()
{
	{
		echo 'listen = "x";'
		echo 'user = "x";'
		echo 'worker_user = "x";'
		echo 'chroot = "x";'
		cat "$ex/$1.conf"
	} >"$tmp/src.conf"
	fd_write_conf "$tmp/src.conf" "$tmp/filterd.conf" "$listen" \
	    "$fd_user" "$tmp/empty"
}

# reload: SIGHUP, and wait for the parent to log the next generation.
reload()
{
	local i=0
	gen=$((gen + 1))
	kill -HUP "$FD_PID"
	while ! grep -q "reloaded, configuration generation $gen\$" "$fdlog"; do
		i=$((i + 1))
		[ "$i" -lt 200 ] || return 1
		sleep 0.1
	done
}

# send NAME FROM TO FILE: FILE as the message, from and to as given.
send()
{
	timeout --foreground 60 swaks --server 127.0.0.1 \
	    --port "$PF_SMTP_PORT" --timeout 30 \
	    --helo client.filterd-test.invalid --from "$2" --to "$3" \
	    --data "@$4" </dev/null >"$tmp/$1.smtp" 2>&1
	return 0
}

replied()
{
	grep -Eq "^<(-|\*\*) +$2" "$tmp/$1.smtp"
}

# delivered NAME ID: the sink file of the message whose Message-ID has ID.
delivered()
{
	local qid file
	qid=$(pf_queue_id "$tmp/$1.smtp")
	[ -n "$qid" ] && pf_wait_sent "$qid" 30 || return 1
	file=$(pf_sink_find "$2" | head -n 1)
	[ -n "$file" ] && echo "$file"
}

diag_msg()
{
	pf_diag "$tmp/$1.smtp" "SMTP transcript of $1"
}

echo "1..16"

ok=1
if fd_port=$(pf_free_port); then
	listen="inet:$fd_port@127.0.0.1"
	if use attachment-exempt-domain 2>>"$fdlog"; then
		fd_start "$tmp/filterd.conf" "$fdlog"
		gen=1
		fd_wait_ready "$listen" 20 2>>"$fdlog" && ok=0
	fi
fi
tap "$ok" "filterd starts with conf/examples/attachment-exempt-domain.conf"
setup_ok=$ok

ok=1
mkdir "$tmp/pf"
if [ "$setup_ok" -eq 0 ] &&
    pf_setup "$tmp/pf" "inet:127.0.0.1:${fd_port:-0}" 2>>"$tmp/setup.log" &&
    pf_sink_start 2>>"$tmp/setup.log" &&
    pf_start 2>>"$tmp/setup.log"; then
	ok=0
fi
tap "$ok" "private Postfix and smtp-sink"
if [ "$ok" -ne 0 ] || [ "$setup_ok" -ne 0 ]; then
	pf_diag "$tmp/setup.log" "setup errors"
	pf_diag "$fdlog" "filterd output"
	for i in 3 4 5 6 7 8 9 10 11 12 13 14 15 16; do
		tap 1 "setup failed"
	done
	exit 0
fi

# The attachment policy, one recipient domain exempt.
send lab robot@sandbox.example \
    analyst@lab.example.com,other@lab.example.com "$mail/ex-attach-lab.eml"
ok=1
replied lab '250 .*queued as' &&
    delivered lab '<ex-attach-lab@sandbox.example>' >/dev/null && ok=0
tap "$ok" "an .exe to recipients all in lab.example.com: delivered"
[ "$ok" -eq 0 ] || diag_msg lab

send mixed robot@sandbox.example \
    analyst@lab.example.com,cfo@example.com "$mail/ex-attach-mixed.eml"
ok=1
replied mixed '550 5\.7\.1 Attachment type not allowed' && ok=0
tap "$ok" "the same with a recipient elsewhere: 550 5.7.1 Attachment type" \
    "not allowed"
[ "$ok" -eq 0 ] || diag_msg mixed

# A display name that impersonates our domain: held.
ok=1
use display-name-spoof 2>>"$fdlog" && reload && ok=0
if [ "$ok" -eq 0 ]; then
	ok=1
	send spoof boss@freemail.example finance@example.com \
	    "$mail/ex-display-name.eml"
	qid=$(pf_queue_id "$tmp/spoof.smtp")
	replied spoof '250 .*queued as' && [ -n "$qid" ] &&
	    grep -q "$qid: milter-hold: " "$PF_DIR/maillog" && ok=0
fi
tap "$ok" "display-name-spoof: accepted and held by Postfix"
[ "$ok" -eq 0 ] || diag_msg spoof

# An allow-list in a file, re-read on reload.
ok=1
use allowlist-senders 2>>"$fdlog" && reload && ok=0
if [ "$ok" -eq 0 ]; then
	ok=1
	send other billing@partner-invoices.example ap@example.com \
	    "$mail/ex-allowlist-other.eml"
	replied other '550 5\.7\.1 Not accepted here' && ok=0
fi
tap "$ok" "allowlist-senders: a sender not in the list gets the body rule"
[ "$ok" -eq 0 ] || diag_msg other

ok=1
echo "billing@partner-invoices.example" >>"$tmp/lists/trusted-senders"
if reload; then
	send other2 billing@partner-invoices.example ap@example.com \
	    "$mail/ex-allowlist-other.eml"
	replied other2 '250 .*queued as' &&
	    delivered other2 '<ex-allowlist-other@partner-invoices.example>' \
	    >/dev/null && ok=0
fi
tap "$ok" "after the list file gains it and a SIGHUP: delivered"
[ "$ok" -eq 0 ] || diag_msg other2

# A List-Id rule: the header arrives.
ok=1
use list-id 2>>"$fdlog" && reload && ok=0
if [ "$ok" -eq 0 ]; then
	ok=1
	send list announce@lists.example.org announce@lists.example.org \
	    "$mail/ex-list-id.eml"
	if file=$(delivered list '<ex-list-id@lists.example.org>'); then
		sed -e 's/\r$//' -e '/^$/q' "$file" |
		    grep -qx 'X-Filterd-List: announce' && ok=0
	fi
fi
tap "$ok" "list-id: delivered with X-Filterd-List: announce"
[ "$ok" -eq 0 ] || diag_msg list

# held NAME: accepted, and held by Postfix at filterd's word.
held()
{
	local qid
	qid=$(pf_queue_id "$tmp/$1.smtp")
	replied "$1" '250 .*queued as' && [ -n "$qid" ] &&
	    grep -q "$qid: milter-hold: " "$PF_DIR/maillog"
}

# An exe inside a zip.
ok=1
use exe-in-zip 2>>"$fdlog" && reload && ok=0
if [ "$ok" -eq 0 ]; then
	ok=1
	send zip accounts@supplier.example ap@example.com "$mail/ex-zip-exe.eml"
	replied zip '550 5\.7\.1 Executable inside an archive' && ok=0
fi
tap "$ok" "exe-in-zip: invoice.zip holding invoice.pdf.exe gets 550 5.7.1"
[ "$ok" -eq 0 ] || diag_msg zip

# A phishing URL hidden with HTML character references.
ok=1
use html-phish-url 2>>"$fdlog" && reload && ok=0
if [ "$ok" -eq 0 ]; then
	ok=1
	send phish service@notice.example user@example.com \
	    "$mail/ex-html-phish.eml"
	replied phish '550 5\.7\.1 Message contains a known phishing link' &&
	    ok=0
fi
tap "$ok" "html-phish-url: a host written with &#x70; gets 550 5.7.1"
[ "$ok" -eq 0 ] || diag_msg phish

# Score-based tagging with a Subject prefix.
ok=1
use score-subject-tag 2>>"$fdlog" && reload && ok=0
if [ "$ok" -eq 0 ]; then
	ok=1
	send score prize@lottery.example user@example.com "$mail/ex-score.eml"
	if file=$(delivered score '<ex-score@lottery.example>'); then
		sed -e 's/\r$//' -e '/^$/q' "$file" |
		    grep -qx 'Subject: \[SPAM\] URGENT: claim now' && ok=0
	fi
fi
tap "$ok" "score-subject-tag: delivered with Subject: [SPAM] URGENT: claim now"
[ "$ok" -eq 0 ] || diag_msg score

# A size-based rule, combined with a recipient.
ok=1
use size-limit 2>>"$fdlog" && reload && ok=0
if [ "$ok" -eq 0 ]; then
	ok=1
	send size photos@example.com all-staff@example.com "$mail/ex-size.eml"
	held size && ok=0
fi
tap "$ok" "size-limit: a 24 KB message to all-staff is held"
[ "$ok" -eq 0 ] || diag_msg size

# A client-network rule: Postfix's client here is 127.0.0.1.
ok=1
use client-network 2>>"$fdlog" && reload && ok=0
if [ "$ok" -eq 0 ]; then
	ok=1
	send net payroll@example.com bank@bank.example \
	    "$mail/ex-client-network.eml"
	replied net '250 .*queued as' &&
	    delivered net '<ex-client-network@example.com>' >/dev/null && ok=0
fi
tap "$ok" "client-network: from 127.0.0.1, in the network list: delivered"
[ "$ok" -eq 0 ] || diag_msg net

ok=1
grep -v '^127\.' "$ex/lists/internal-networks" >"$tmp/lists/internal-networks"
if reload; then
	send net2 payroll@example.com bank@bank.example \
	    "$mail/ex-client-network.eml"
	replied net2 '550 5\.7\.1 Not accepted here' && ok=0
fi
tap "$ok" "without 127.0.0.0/8 in the list and a SIGHUP: the body rule's 550"
[ "$ok" -eq 0 ] || diag_msg net2

# Two conditions combined: an invoice with a macro attachment.
ok=1
use invoice-macro 2>>"$fdlog" && reload && ok=0
if [ "$ok" -eq 0 ]; then
	ok=1
	send inv accounts@supplier.example ap@example.com \
	    "$mail/ex-invoice-docm.eml"
	held inv && ok=0
fi
tap "$ok" "invoice-macro: an invoice with a .docm is held"
[ "$ok" -eq 0 ] || diag_msg inv

ok=1
fd_running && ok=0
tap "$ok" "filterd still running after the ten examples and eleven reloads"

if [ "$failed" -ne 0 ]; then
	pf_diag "$fdlog" "filterd output"
	pf_diag "$PF_DIR/maillog" "Postfix log"
fi
exit 0
