#!/bin/sh
# 36-examples: every example of filterd.conf(5) in conf/examples, as
# written, through filterd -t (and --trace) on messages of t/data/mail:
# the same spawner, sandboxed worker and validator as mail from an MTA.
# filterd -t always gives the client 127.0.0.1; the sender comes from
# Return-Path or From, the recipients from To and Cc.
. "${top_srcdir:-$(dirname "$0")/..}/t/tap.sh"

plan 41
ex="$top_srcdir/conf/examples"
mail="$top_srcdir/t/data/mail"
fd="$top_builddir/filterd/filterd"
conf_for "$top_srcdir/t/data/e2e.conf" > /dev/null
# The test's users and chroot, then the example as it is.
sed -n -e '/^user = /p' -e '/^worker_user = /p' -e '/^chroot = /p' \
    "$TMP/filterd.conf" > "$TMP/base.conf"

# The examples' lists, where the examples' relative paths find them.
rm -rf "$TMP/lists"
cp -R "$ex/lists" "$TMP/lists"
use() {	# use EXAMPLE: $TMP/filterd.conf is the base, then the example
	cat "$TMP/base.conf" "$ex/$1.conf" > "$TMP/filterd.conf"
}
run() {	# run MESSAGE [--trace]: prints filterd -t's text output
	"$fd" -f "$TMP/filterd.conf" -t "$mail/$1.eml" $2 2> "$TMP/err"
}
is_rc() { ok $([ "$1" -eq "$2" ]; echo $?) "$3 (exit $1)"; }

for f in "$ex"/*.conf; do
	use "$(basename "$f" .conf)"
	"$fd" -n -f "$TMP/filterd.conf" 2> "$TMP/err"
	ok $? "filterd -n accepts $(basename "$f")" ||
	    diag "$(cat "$TMP/err")"
done

# filterd -n through the sandboxed checker: a list file's error as the list
# file's file:line, a condition no rule uses as the configuration's.
printf '10.0.0.0/8\n10.1.2.300/32\n' > "$TMP/lists/bad-networks"
{ cat "$TMP/base.conf"; cat <<'EOF'
lists = ( { name = "n"; type = "network"; file = "lists/bad-networks"; } );
conditions = ( { name = "unused"; size = "> 1M"; } );
rules = ( { name = "r"; client_addr_in = "n"; action = "accept"; } );
EOF
} > "$TMP/filterd.conf"
"$fd" -n -f "$TMP/filterd.conf" 2> "$TMP/err"
is_rc $? 1 "filterd -n refuses a bad list file and an unused condition"
like "$(cat "$TMP/err")" "^$TMP/lists/bad-networks:2: not an address or address/prefix\$" \
    "the list file's error is reported as its file:line"
like "$(cat "$TMP/err")" "^$TMP/filterd.conf:[0-9]+: condition unused: no rule uses it\$" \
    "the unused condition as the configuration's file:line"
rm -f "$TMP/lists/bad-networks"
{ cat "$TMP/base.conf"; cat <<'EOF'
conditions = ( { name = "a"; not = "b"; }, { name = "b"; any = [ "a" ]; } );
rules = ( { name = "r"; condition = "a"; action = "accept"; } );
EOF
} > "$TMP/filterd.conf"
"$fd" -n -f "$TMP/filterd.conf" 2> "$TMP/err"
like "$(cat "$TMP/err")" "^$TMP/filterd.conf:[0-9]+: condition a: is part of a cycle" \
    "a cycle, with file:line"

# 1. An exe inside a zip.
use exe-in-zip
out=$(run ex-zip-exe --trace); rc=$?
is_rc "$rc" 10 "exe-in-zip: invoice.zip holding invoice.pdf.exe is rejected"
like "$out" '^rules: exe-in-archive$' "exe-in-zip: by its rule"

# 2. A display name that names our domain, from outside it.
use display-name-spoof
out=$(run ex-display-name --trace); rc=$?
is_rc "$rc" 13 "display-name-spoof: quarantined"
like "$out" '^trace: rule display-name-spoof: condition from-name-says-us: hit on "\\x22CEO example\.com\\x22 <boss@freemail\.example>"$' \
    "display-name-spoof: the trace shows what the display name hit on"
like "$out" '^trace: rule display-name-spoof: condition sender-outside: hit$' \
    "display-name-spoof: and that the sender is outside our domains"
out=$(run ex-display-name-ok); rc=$?
is_rc "$rc" 0 "display-name-spoof: our own sender with our domain in the name passes"

# 3. A phishing URL hidden with HTML character references.
use html-phish-url
out=$(run ex-html-phish --trace); rc=$?
is_rc "$rc" 10 "html-phish-url: https://&#x70;aypa1.example is rejected"
like "$out" '^rules: phishing-url$' "html-phish-url: by its rule"

# 4. Score-based tagging with a Subject prefix.
use score-subject-tag
out=$(run ex-score); rc=$?
is_rc "$rc" 0 "score-subject-tag: tagged, accepted"
like "$out" '^header: change 1 Subject: \[SPAM\] URGENT: claim now$' \
    "score-subject-tag: the Subject gets its prefix"
like "$out" '^rules: won, urgent-subject$' "score-subject-tag: 3 + 2.5 points"

# 5. One recipient domain exempt from the attachment policy.
use attachment-exempt-domain
out=$(run ex-attach-lab --trace); rc=$?
is_rc "$rc" 0 "attachment-exempt-domain: every recipient in lab.example.com: exempt"
like "$out" '^trace: rule attachments: miss \(unless only-exempt-recipients\)$' \
    "attachment-exempt-domain: the trace says which exemption applied"
out=$(run ex-attach-mixed); rc=$?
is_rc "$rc" 10 "attachment-exempt-domain: a co-recipient elsewhere: the policy applies"
like "$out" '^reply: 550 5\.7\.1 Attachment type not allowed$' \
    "attachment-exempt-domain: with the rule's reply"

# 6. An allow-listed sender list.
use allowlist-senders
out=$(run ex-allowlist); rc=$?
is_rc "$rc" 0 "allowlist-senders: a listed sender (any case) is accepted"
like "$out" '^rules: trusted-sender$' "allowlist-senders: by the list, before the body rule"
out=$(run ex-allowlist-other); rc=$?
is_rc "$rc" 10 "allowlist-senders: a look-alike sender is not listed"

# 7. A List-Id based rule.
use list-id
out=$(run ex-list-id); rc=$?
like "$out" '^header: add 0 X-Filterd-List: announce$' \
    "list-id: mail of the list gets its header"

# 8. A size-based rule.
use size-limit
out=$(run ex-size --trace); rc=$?
is_rc "$rc" 13 "size-limit: a 24 KB message to all-staff is held"
like "$out" '^trace: rule large-to-all-staff: condition large: hit on "2[0-9]{4}"$' \
    "size-limit: the trace shows the size"
out=$(run ex-score); rc=$?
is_rc "$rc" 0 "size-limit: a small message is not"

# 9. A client-network rule.
use client-network
out=$(run ex-client-network); rc=$?
is_rc "$rc" 0 "client-network: from 127.0.0.1, in the list: accepted"
like "$out" '^rules: internal-client$' "client-network: by the network list"
grep -v '^127\.' "$ex/lists/internal-networks" > "$TMP/lists/internal-networks"
out=$(run ex-client-network); rc=$?
cp "$ex/lists/internal-networks" "$TMP/lists/"
is_rc "$rc" 10 "client-network: without 127.0.0.0/8 in the list, the body rule rejects"

# 10. Two conditions combined.
use invoice-macro
out=$(run ex-invoice-docm); rc=$?
is_rc "$rc" 13 "invoice-macro: an invoice with a .docm is quarantined"
out=$(run ex-zip-exe); rc=$?
is_rc "$rc" 0 "invoice-macro: an invoice without a macro attachment is not"
tap_done
