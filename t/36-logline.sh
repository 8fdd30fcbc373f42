#!/bin/sh
# 36-logline: the one line a message gets in the log (filterd(8),
# LOGGING), field by field, through the milter frontend (t/mclient), the
# OpenSMTPD frontend (t/smtpdfeed) and filterd -t; a quarantine reason
# kept in it and in quarantine_header; and hostile values -- a sender, a
# client name and a Message-ID with spaces, quotes, backslashes, line
# breaks and "key=" text -- that cannot make a field or a line of their
# own.  t/logfmt.pl parses the lines.
. "${top_srcdir:-$(dirname "$0")/..}/t/tap.sh"

filterd="$top_builddir/filterd/filterd"
feed="$top_builddir/t/smtpdfeed"
[ -x "${MCLIENT:-$top_builddir/t/mclient}" ] || skip_all "t/mclient not built"
[ -x "$feed" ] || skip_all "t/smtpdfeed not built"
command -v perl > /dev/null || skip_all "perl not installed (t/logfmt.pl)"
plan 42

fields="client client_name from rcpts rcpt size msgid action rules score code ecode headers reason worker time gen"
# parse: t/logfmt.pl on standard input.
parse() { perl "$top_srcdir/t/logfmt.pl"; }
# keys PARSED: the keys, in order, on one line.
keys() { printf '%s\n' "$1" | sed -n '2,$s/ .*//p' | tr '\n' ' ' | sed 's/ $//'; }
# field PARSED KEY: its decoded value (t/logfmt.pl's escapes).
field() { printf '%s\n' "$1" | sed -n "s/^$2 //p"; }

sock=$(conf_for "$top_srcdir/t/data/obs.conf")
start_filterd "$filterd"
ok $? "filterd starts"

# The hostile values.  The Message-ID is folded: its value has a line
# break in it as the MTA hands it over.
evil_from='evil" action=accept rules=x\y z="@example.org'
evil_name='mx.example.com" gen=7 reason="forged'
cat > "$TMP/q.eml" <<'EOM'
From: a@example.org
To: b@example.net
Subject: quarantine-me please
Message-ID: <a" action=accept key=x\y@example.org>
	worker=1 forged="yes"
X-Filterd-Quarantine: forged by the sender

you have won
EOM
mclient -s "unix:$sock" -q Q1 -a 192.0.2.9 -c "$evil_name" \
    -f "$evil_from" -r b@example.net -r c@example.net -r d@example.net \
    -r e@example.net -m "$TMP/q.eml" > "$TMP/q.out" 2>&1
wait_log "$TMP/filterd.log" '(^|: )Q1: client='
# -v adds a debug line per message ("job sent"): only the message's own.
lines=$(grep -c ' Q1: client=' "$TMP/filterd.log")
is_one=$([ "$lines" -eq 1 ]; echo $?)
ok $is_one "one line for the message, whatever its values hold ($lines)"
p=$(grep ' Q1: client=' "$TMP/filterd.log" | parse)
unlike "$p" 'PARSE ERROR' "the line is fields and nothing else"
ok $([ "$(keys "$p")" = "$fields" ]; echo $?) \
    "every documented field, in order, and no forged one"
[ "$(keys "$p")" = "$fields" ] || diag "keys: $(keys "$p")"
like "$(field "$p" client)" '^192\.0\.2\.9$' "client"
ok $([ "$(field "$p" client_name)" = 'mx.example.com" gen=7 reason="forged' ]
    echo $?) "client_name, hostile, whole"
ok $([ "$(field "$p" from)" = '<evil" action=accept rules=x\x5cy z="@example.org>' ]
    echo $?) "from, hostile, whole"
like "$(field "$p" rcpts)" '^4$' "rcpts: the count"
ok $([ "$(field "$p" rcpt)" = '<b@example.net>,<c@example.net>,<d@example.net>' ]
    echo $?) "rcpt: the first three"
like "$(field "$p" size)" '^[1-9][0-9]*$' "size"
like "$(field "$p" msgid)" '^<a" action=accept key=x\\x5cy@example\.org>(\\x0d)?\\x0a\\x09worker=1 forged="yes"$' \
    "msgid, folded and hostile, whole"
like "$(field "$p" action)" '^quarantine$' "action"
like "$(field "$p" rules)" '^lottery,hold$' "rules"
like "$(field "$p" score)" '^4\.500$' "score"
like "$(field "$p" code)$(field "$p" ecode)" '^--$' "no reply code"
like "$(field "$p" headers)" '^-X-Filterd-Quarantine,\+X-Filterd-Quarantine$' \
    "headers: the forged field deleted, the reason added"
ok $([ "$(field "$p" reason)" = 'held "for" review\x5cnow' ]; echo $?) \
    "reason: the rule's, whole"
like "$(field "$p" worker)" '^[1-9][0-9]*$' "worker"
like "$(field "$p" time)" '^[0-9]+ms$' "time"
like "$(field "$p" gen)" '^1$' "gen"
out=$(cat "$TMP/q.out")
# t/mclient prints a backslash doubled.
like "$out" '^quarantine held "for" review\\\\now$' \
    "the MTA is told the same reason (smfi_quarantine)"
like "$out" '^addheader X-Filterd-Quarantine: held "for" review\\\\now$' \
    "quarantine_header has it"
like "$out" '^chgheader 1 X-Filterd-Quarantine: *$' \
    "and the field the sender put there is deleted"

# Quarantined by score, tagged, rejected: each its fields.
printf 'From: a@example.org\nSubject: URGENT\n\nyou have won\n' > "$TMP/s.eml"
mclient -s "unix:$sock" -q Q2 -f a@example.org -r b@example.net \
    -m "$TMP/s.eml" > "$TMP/s.out" 2>&1
wait_log "$TMP/filterd.log" ' Q2: client='
p=$(grep ' Q2: client=' "$TMP/filterd.log" | parse)
like "$(field "$p" action) $(field "$p" score) $(field "$p" rules)" \
    '^quarantine 8\.500 lottery,urgent$' "by score: action, score, rules"
ok $([ "$(field "$p" reason)" = 'score 8.500' ]; echo $?) \
    "by score: the scoring's reason"
like "$(cat "$TMP/s.out")" '^addheader X-Filterd-Quarantine: score 8\.500$' \
    "by score: quarantine_header has it"
printf 'From: a@example.org\nSubject: hi\nMessage-ID: <1@x>\n\nyou have won\n' > "$TMP/t.eml"
mclient -s "unix:$sock" -q Q3 -f a@example.org -r b@example.net \
    -m "$TMP/t.eml" > /dev/null 2>&1
wait_log "$TMP/filterd.log" ' Q3: client='
p=$(grep ' Q3: client=' "$TMP/filterd.log" | parse)
like "$(field "$p" action) $(field "$p" score) $(field "$p" headers) $(field "$p" reason) $(field "$p" msgid)" \
    '^accept 4\.500 \+X-Filterd-Score - <1@x>$' \
    "tagged: accept, the score, the tag's header, no reason"
printf 'From: a@example.org\nSubject: an executable\n\nx\n' > "$TMP/r.eml"
mclient -s "unix:$sock" -q Q4 -f a@example.org -r b@example.net \
    -m "$TMP/r.eml" > /dev/null 2>&1
wait_log "$TMP/filterd.log" ' Q4: client='
p=$(grep ' Q4: client=' "$TMP/filterd.log" | parse)
like "$(field "$p" action) $(field "$p" code) $(field "$p" ecode) $(field "$p" rules)" \
    '^reject 550 5\.7\.1 bad-subject$' "rejected: the reply code and its rule"

# A hostile queue id is a value like any other.
mclient -s "unix:$sock" -q 'Q5: client=1.2.3.4 action=accept' \
    -f a@example.org -r b@example.net -m "$TMP/r.eml" > /dev/null 2>&1
wait_log "$TMP/filterd.log" '"Q5: client=1\.2\.3\.4 action=accept": client='
p=$(grep '"Q5: client=1\.2\.3\.4 action=accept": client=' "$TMP/filterd.log" |
    parse)
ok $([ "$(printf '%s\n' "$p" | sed -n 1p)" = \
    'qid Q5: client=1.2.3.4 action=accept' ] &&
    [ "$(keys "$p")" = "$fields" ]; echo $?) \
    "a queue id with spaces and key= text is quoted, the fields intact"
[ "$(keys "$p")" = "$fields" ] || diag "$p"

# The same message through the OpenSMTPD frontend and filterd -t: the
# same fields, the same values but for the connection's.
"$feed" -s "$TMP/sent" -o "$TMP/ret" -a 192.0.2.9 -f "$evil_from" \
    -r b@example.net -m "$TMP/q.eml" -- \
    "$filterd" -v -x opensmtpd -f "$TMP/filterd.conf" \
    > "$TMP/o.out" 2> "$TMP/o.err"
o=$(grep 'action=' "$TMP/o.err" | parse)
unlike "$o" 'PARSE ERROR' "OpenSMTPD: the line is fields"
ok $([ "$(keys "$o")" = "$fields" ]; echo $?) "OpenSMTPD: the same fields"
[ "$(keys "$o")" = "$fields" ] || diag "keys: $(keys "$o")"
for k in from action rules score headers reason gen; do
	m=$(field "$(grep ' Q1: client=' "$TMP/filterd.log" | parse)" "$k")
	ok $([ "$(field "$o" "$k")" = "$m" ]; echo $?) "OpenSMTPD: $k as the milter's"
done
grep -q '^X-Filterd-Quarantine: held "for" review\\now' "$TMP/ret"
ok $? "OpenSMTPD: quarantine_header in the message"
ok $([ "$(grep -c '^X-Filterd-Quarantine:' "$TMP/ret")" -eq 1 ]; echo $?) \
    "OpenSMTPD: and the sender's is gone"
"$filterd" -v -t "$TMP/q.eml" -f "$TMP/filterd.conf" > "$TMP/t.out" \
    2> "$TMP/t.err"
t=$(grep 'OFFLINE: ' "$TMP/t.err" | grep 'action=' | parse)
ok $([ "$(keys "$t")" = "$fields" ] &&
    [ "$(field "$t" msgid)" = "$(field "$(grep ' Q1: client=' "$TMP/filterd.log" | parse)" msgid)" ] &&
    [ "$(field "$t" headers)" = '-X-Filterd-Quarantine,+X-Filterd-Quarantine' ]
    echo $?) "filterd -t: the same fields, msgid and headers"
[ "$(keys "$t")" = "$fields" ] || diag "$t $(cat "$TMP/t.err")"

kill -0 "$filterd_pid"
ok $? "filterd still running"
tap_done
