#!/bin/sh
# 17-differential: one message, one verdict, whichever way it comes.  Every
# message of a corpus -- t/data/mail and adversarial cases (a leading mbox
# "From " line, a header line that is no field, field names with a space
# or an 8-bit byte, bare CR, bare LF, no final newline, dot lines, 500
# header fields, 8-bit bodies, an empty body, no header at all) -- goes
# through the milter frontend (t/mclient, handing on every header line as
# a permissive MTA could), the OpenSMTPD frontend (t/smtpdfeed playing
# smtpd to filterd -x opensmtpd) and filterd -t, and must get the same
# action, the same rule hits and the same reason for being decided without
# a worker.  Through OpenSMTPD, a verdict that changes nothing gives back
# the data lines byte for byte, and an added header lands inside the header.
. "${top_srcdir:-$(dirname "$0")/..}/t/tap.sh"

filterd="$top_builddir/filterd/filterd"
feed="$top_builddir/t/smtpdfeed"
[ -x "$feed" ] || skip_all "t/smtpdfeed not built"

C="$TMP/corpus"
mkdir -p "$C"
cp "$top_srcdir"/t/data/mail/*.eml "$C/"
hdr='From: a@example.org\nTo: b@example.net\nDate: Mon, 1 Jan 2024 00:00:00 +0000\n'
printf "From attacker@example.org Mon Jan  1 00:00:00 2024\n${hdr}Subject: run this executable\n\nbody\n" > "$C/mbox-reject.eml"
printf "From attacker@example.org Mon Jan  1 00:00:00 2024\n${hdr}Subject: you have won\n\nyou have won\n" > "$C/mbox-addheader.eml"
printf "From attacker@example.org Mon Jan  1 00:00:00 2024\n${hdr}Subject: hello\n\nbody\n" > "$C/mbox-plain.eml"
printf "${hdr}Bogus line\nSubject: run this executable\n\nbody\n" > "$C/no-colon.eml"
printf "${hdr}Bad Name: x\nSubject: hello\n\nbody\n" > "$C/name-space.eml"
printf "${hdr}X-\303\251t\303\251: 1\nSubject: hello\n\nbody\n" > "$C/name-8bit.eml"
printf "${hdr}Subject: a\rb\n\nline with a bare\rCR\nend\n" > "$C/bare-cr.eml"
printf 'From: a@example.org\r\nTo: b@example.net\r\nSubject: lf\nX-Next: 1\r\n\r\nbody\nmore\r\n' > "$C/bare-lf.eml"
printf "${hdr}Subject: no newline\n\nno final newline" > "$C/no-final-newline.eml"
printf "${hdr}Subject: dots\n\n.leading dot\n..two\n.\nend\n" > "$C/dot-lines.eml"
{ printf "${hdr}"; i=0; while [ $i -lt 500 ]; do
	printf 'X-H-%d: value %d\n' $i $i; i=$((i + 1)); done
  printf 'Subject: many\n\nbody\n'; } > "$C/500-headers.eml"
printf "${hdr}Subject: 8bit\n\ncaf\351 \303\251t\303\251 \377\376\nend\n" > "$C/8bit-body.eml"
printf "${hdr}Subject: empty body\n\n" > "$C/empty-body.eml"
printf "${hdr}Subject: header only\n" > "$C/header-only.eml"
printf '\nno header at all, but an empty line first\n' > "$C/no-header-empty.eml"
printf 'no header at all\nyou have won\n' > "$C/no-header-text.eml"
printf "${hdr}Subject: folded\n  executable\n\nbody\n" > "$C/folded.eml"
printf "${hdr}Subject: you have won\n\nyou have won\nend\n" > "$C/addheader.eml"

n=$(ls "$C" | wc -l)
plan $((n * 3 + 6))

sock=$(conf_for "$top_srcdir/t/data/diff.conf")
start_filterd "$filterd"
ok $? "filterd (milter) starts"

# verdict LOGLINE: the part of a message's log line that must agree.
verdict() {
	printf '%s\n' "$1" | sed -n 's/.* \(action=[^ ]* rules=[^ ]*\).* time=[0-9]*ms gen=[0-9]*\(.*\)$/\1\2/p' |
	    head -1
}

k=0 identical=0 inside=0
for f in "$C"/*.eml; do
	k=$((k + 1))
	name=$(basename "$f" .eml)
	mclient -P -s "unix:$sock" -q "Q$k" -a 127.0.0.1 -c localhost \
	    -H localhost -f a@example.org -r b@example.net -m "$f" \
	    > "$TMP/m.out" 2>&1
	wait_log "$TMP/filterd.log" "Q$k: client="
	vm=$(verdict "$(grep "Q$k: client=" "$TMP/filterd.log")")
	"$feed" -s "$TMP/sent" -o "$TMP/ret" -m "$f" -- \
	    "$filterd" -v -x opensmtpd -f "$TMP/filterd.conf" \
	    > "$TMP/s.out" 2> "$TMP/s.err"
	vs=$(verdict "$(grep ': client=' "$TMP/s.err")")
	"$filterd" -v -t "$f" -f "$TMP/filterd.conf" > /dev/null \
	    2> "$TMP/t.err"
	vt=$(verdict "$(grep 'OFFLINE: client=' "$TMP/t.err")")
	echo "$name $vm" >> "$TMP/verdicts"
	ok $([ -n "$vm" ] && [ "$vm" = "$vs" ]; echo $?) \
	    "$name: milter and OpenSMTPD agree ($vm)"
	[ "$vm" = "$vs" ] || diag "milter: $vm / OpenSMTPD: $vs"
	ok $([ -n "$vm" ] && [ "$vm" = "$vt" ]; echo $?) \
	    "$name: milter and filterd -t agree"
	[ "$vm" = "$vt" ] || diag "milter: $vm / -t: $vt"
	case $vm in
	"action=accept rules=lottery"*)
		# The added field and every original field before the
		# first empty line, which is not moved.
		hs=$(sed '/^$/q' "$TMP/sent" | grep -v '^$' | sort)
		hr=$(sed '/^$/q' "$TMP/ret" | grep -v '^$' | sort)
		ok $(printf '%s\n' "$hr" | grep -qx 'X-Filterd-Rule: lottery' &&
		    [ "$(printf '%s\n' "$hr" | grep -vx 'X-Filterd-Rule: lottery')" = "$hs" ] &&
		    [ "$(sed '1,/^$/d' "$TMP/sent")" = "$(sed '1,/^$/d' "$TMP/ret")" ]
		    echo $?) "$name: the added header is inside the header" &&
		    inside=$((inside + 1)) ;;
	"action=accept "*)
		cmp -s "$TMP/sent" "$TMP/ret"
		ok $? "$name: nothing changed, data lines back byte for byte" &&
		    identical=$((identical + 1)) ;;
	*)
		ok $([ "$(cat "$TMP/ret")" = . ]; echo $?) \
		    "$name: refused, only the final dot comes back" ;;
	esac
done

# The cases the issue names, by their verdict.
v=$(cat "$TMP/verdicts")
like "$v" '^mbox-reject action=reject rules=bad-subject$' \
    "a leading From line hides no header: the Subject rule rejects"
like "$v" '^mbox-plain action=accept rules=mbox,attacker,to$' \
    "and its fields after it are fields (To), it is X-Mailbox-Line"
like "$(printf '%s\n' "$v" | grep -E '^(no-colon|name-space|name-8bit|no-header-text) ' |
    grep -c 'action=reject rules=- .*malformed="a header line that is not a field')" \
    '^4$' "lines that are no fields make the message malformed: 550 5.6.0"
ok $([ "$identical" -ge 10 ] && [ "$inside" -ge 2 ]; echo $?) \
    "$identical messages came back byte for byte, $inside with a header added inside"
kill -0 "$filterd_pid"
ok $? "filterd is still running"
tap_done
