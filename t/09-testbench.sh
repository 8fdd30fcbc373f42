#!/bin/sh
# 09-testbench: filterd -t as a test bench.  The connection and envelope
# options reach the rules, and reach a module exactly as the milter
# frontend gives it what the mail server sent (the same envmod lines from
# both); a message comes from standard input; several messages give a line
# each, a summary and an exit status that says whether any was refused;
# --trace shows each rule and named condition, whether it hit and on what
# text, escaped and cut, in text and in JSON.
. "${top_srcdir:-$(dirname "$0")/..}/t/tap.sh"

fd="$top_builddir/filterd/filterd"
envmod="$top_builddir/t/envmod.so"
[ -f "$envmod" ] || skip_all "t/envmod.so not built"
[ -x "${MCLIENT:-$top_builddir/t/mclient}" ] || skip_all "t/mclient not built"
plan 49

sock=$(conf_for "$top_srcdir/t/data/testbench.conf")
sed -i "s#@ENVMOD@#$envmod#" "$TMP/filterd.conf"
tb() { "$fd" -f "$TMP/filterd.conf" "$@" 2> "$TMP/err"; }
is_rc() { ok $([ "$1" -eq "$2" ]; echo $?) "$3 (exit $1, want $2)"; }
printf 'From: a@example.org\nTo: b@example.net\nDate: Mon, 1 Jan 2026 00:00:00 +0000\nSubject: hello\n\nhi\n' \
    > "$TMP/plain.eml"

# -- The connection and envelope reach the rules.
out=$(tb -t "$TMP/plain.eml"); rc=$?
is_rc "$rc" 0 "a plain message is accepted"
like "$out" '^rules:$' "and no rule hits without options"
out=$(tb -t "$TMP/plain.eml" --client-addr 192.0.2.7 --client-name \
    host.dyn.example --helo bad.example --sender '<boss@example.org>' \
    --rcpt sales@example.net --rcpt other@example.net)
like "$out" '^rules: from-lan, dyn-name, bad-helo, from-boss, to-sales$' \
    "--client-addr, --client-name, --helo, --sender and --rcpt reach the rules"
like "$out" '^score: 2\.000$' "a client_name rule's score counts"
out=$(tb -t "$TMP/plain.eml" --client-addr 2001:DB8:0::1)
like "$out" '^rules: from-v6$' \
    "an IPv6 address is written as the milter frontend writes it"
tb -t "$TMP/plain.eml" --client-addr 192.0.2.300 > /dev/null; rc=$?
is_rc "$rc" 2 "an address that is none is a usage error"
like "$(cat "$TMP/err")" 'client-addr 192\.0\.2\.300: not an IPv4 or IPv6' \
    "and says so"
out=$(tb -t "$TMP/plain.eml" --sender '<>')
like "$out" '^log: env from=<> rcpts=1$' \
    "--sender '<>' is the null sender; the recipients still come from To"
out=$(tb -t "$TMP/plain.eml" --rcpt x@example.net)
like "$out" '^log: env from=<a@example\.org> rcpts=1$' \
    "--rcpt alone replaces To; the sender still comes from From"
like "$out" '^log: env rcpt=<x@example\.net>$' "with the recipient given"

# -- A module sees the envelope of -t as it sees the milter frontend's.
envopts() {
	printf '%s\n' --client-addr 198.51.100.4 --client-name \
	    mx.client.example --helo client.example --sender \
	    '<u@example.org>' --rcpt one@example.net --rcpt two@example.net \
	    --auth bob --macro '{auth_type}=PLAIN' --macro i=4Qx1
}
out=$(envopts | tr '\n' '\0' | xargs -0 "$fd" -f "$TMP/filterd.conf" \
    -t "$TMP/plain.eml" 2> "$TMP/err")
t_env=$(printf '%s\n' "$out" | sed -n 's/^log: \(env .*\)/\1/p')
like "$t_env" '^env qid=4Qx1 auth=bob auth_type=PLAIN$' \
    "--auth is the macro {auth_authen}; --macro sets others, i the queue ID"
start_filterd "$fd"
ok $? "filterd starts with the env module"
n=$(wc -l < "$TMP/filterd.log")
mclient -s "unix:$sock" -a 198.51.100.4 -c mx.client.example \
    -H client.example -f '<u@example.org>' -r '<one@example.net>' \
    -r '<two@example.net>' -M 'M:{auth_authen}=bob' \
    -M 'M:{auth_type}=PLAIN' -q 4Qx1 -m "$TMP/plain.eml" > /dev/null 2>&1
wait_log_after "$n" 'env qid=' 
m_env=$(tail -n +$((n + 1)) "$TMP/filterd.log" |
    sed -n 's/.*: worker [0-9]*: \(env .*\)/\1/p')
ok $([ -n "$t_env" ] && [ "$t_env" = "$m_env" ]; echo $?) \
    "the module sees the same connection, envelope and macros through -t and the milter"
[ "$t_env" = "$m_env" ] || diag "-t:
$t_env
milter:
$m_env"
kill "$filterd_pid"; wait "$filterd_pid" 2>/dev/null

# -- A message on standard input.
out=$(printf 'From: a@example.org\nSubject: an EXECUTABLE\n\nx\n' | tb -t -)
rc=$?
is_rc "$rc" 10 "-t - reads the message from standard input"
like "$out" '^reply: 550 5\.7\.1 Subject not allowed$' "and runs it"

# -- Several messages: a line each, a summary, one exit status.
printf 'From: a@example.org\nSubject: an executable\n\nx\n' > "$TMP/rej.eml"
cp "$TMP/plain.eml" "$TMP/plain2.eml"
out=$(tb -t "$TMP/plain.eml" "$TMP/plain2.eml"); rc=$?
is_rc "$rc" 0 "several accepted messages exit 0"
like "$out" "^$TMP/plain2\\.eml: accept, score 0\\.000, rules: -\$" \
    "each gets a line"
like "$out" '^summary: 2 messages, accept 2, reject 0, tempfail 0, discard 0, quarantine 0, error 0$' \
    "and a summary follows"
out=$(tb -t "$TMP/plain.eml" -t "$TMP/rej.eml" "$TMP/plain2.eml"); rc=$?
is_rc "$rc" 10 "one rejected message among them exits 10"
like "$out" "^$TMP/rej\\.eml: reject 550 5\\.7\\.1 Subject not allowed, score 1\\.000, rules: no-date,exe\$" \
    "the rejected one's line has its reply and rules"
like "$out" '^summary: 3 messages, accept 2, reject 1, ' "counted"
out=$(tb -t "$TMP/rej.eml" "$TMP/missing.eml" "$TMP/plain.eml"); rc=$?
is_rc "$rc" 1 "a message that cannot be read exits 1, before any reject"
like "$out" "^$TMP/missing\\.eml: error: No such file or directory\$" \
    "its line says error, and why"
like "$out" ', error 1$' "and the summary counts it"
like "$(cat "$TMP/err")" 'missing\.eml: No such file' \
    "standard error says why"
out=$(tb -t "$TMP/plain.eml" "$TMP/rej.eml" --json); rc=$?
is_rc "$rc" 10 "with --json the exit status is the same"
like "$out" "^\\{\"action\": \"reject\", .*\"file\": \"$TMP/rej\\.eml\"\\}\$" \
    "each message is one JSON object with its file"
like "$out" '^\{"summary": \{"messages": 2, "accept": 1, "reject": 1, "tempfail": 0, "discard": 0, "quarantine": 0, "error": 0\}\}$' \
    "and the summary is one too"
spawners=$(grep -c 'filterd/spawner\[[0-9]*\]: sandbox:' "$TMP/err")
ok $([ "$spawners" -eq 1 ]; echo $?) \
    "several messages share one spawner ($spawners started)"
printf 'From: a@example.org\nX-Hostile: socket\n\nx\n' > "$TMP/hostile.eml"
out=$("$top_builddir/t/filterd-hostile" -f "$TMP/filterd.conf" \
    -t "$TMP/hostile.eml" "$TMP/plain.eml" 2> "$TMP/err")
like "$out" "^$TMP/plain\\.eml: accept, " \
    "a message after one whose worker the sandbox killed gets a new spawner"

# -- --trace: per rule (and named condition), hit or not, and what it hit
# on, escaped and cut (the rules' trace, filterd.conf(5) Tracing).
long=$(printf 'Lorem ipsum %.0s' $(seq 1 20))
printf 'From: a@example.org\nTo: b@example.net\nSubject: =?UTF-8?B?b2RkICJxdW90ZWQiIMOpdMOp?=\n\n%s\n' \
    "$long" > "$TMP/odd.eml"
out=$(tb -t "$TMP/odd.eml" --trace); rc=$?
is_rc "$rc" 0 "--trace changes no verdict"
like "$out" '^trace: rule from-lan: miss$' \
    "a rule that did not hit: miss, without text"
like "$out" '^trace: rule no-date: hit$' \
    "a negated rule hits when its pattern finds nothing"
like "$out" '^trace: rule odd-subject: hit on "odd \\x22quoted\\x22 \\xc3\\xa9t\\xc3\\xa9"$' \
    "a hit shows the decoded text it matched, quotes and bytes escaped"
text=$(printf '%s\n' "$out" | sed -n 's/^trace: rule long-body: hit on "\(.*\)"$/\1/p')
ok $([ ${#text} -ge 100 ] && [ ${#text} -le 120 ] &&
    [ "${text%...}" != "$text" ]; echo $?) \
    "a long match is cut to at most 120 characters, ending in ... (${#text})"
like "$out" '^trace: rule exe: miss$' "every rule is shown in order"
ok $(printf '%s\n' "$out" | grep '^trace: ' | head -n 1 | grep -q from-lan
    echo $?) "starting with the first"
out=$(tb -t "$TMP/plain.eml" --trace --client-addr 192.0.2.7)
like "$out" '^trace: rule from-lan: hit on "192\.0\.2\.7"$' \
    "a client_cidr hit shows the address"
out=$(tb -t "$TMP/rej.eml" --trace)
like "$out" '^trace: rule exe: hit on "an executable"$' \
    "the rule that rejects is shown"
unlike "$out" 'after-exe' "rules after a terminal action are not tried"
printf 'From: a@example.org\nDate: x\nSubject: a\n\tnew\n\tline odd\n\n.\n' \
    > "$TMP/nl.eml"
out=$(tb -t "$TMP/nl.eml" --trace)
like "$out" '^trace: rule no-date: miss \(matched "x"\)$' \
    "a negated rule that did not hit shows what kept it from hitting"
like "$out" '^trace: rule odd-subject: hit on "a\\x09new\\x09line odd"$' \
    "a folded header is matched unfolded: its tabs, no CR or LF"
out=$(tb -t "$TMP/plain.eml")
unlike "$out" '^trace' "without --trace there is no trace"
out=$(tb -t "$TMP/plain.eml" --macro '{filterd_trace}=1'); rc=$?
is_rc "$rc" 0 "a message with the macro {filterd_trace} is tested"
unlike "$out" '^trace' \
    "a macro asks for no trace (as a mail server's cannot): only the job's flag"
out=$(tb -t "$TMP/rej.eml" --trace --json)
like "$out" '"trace": \["rule from-lan: miss", "rule from-v6: miss", ' \
    "--json --trace: a list of the trace's lines"
like "$out" ', "rule exe: hit on \\"an executable\\""\]\}$' \
    "ending with the rule that decided, its quotes escaped for JSON"
out=$(tb -t "$TMP/rej.eml" "$TMP/plain.eml" --trace)
like "$out" '^    trace: rule exe: hit on "an executable"$' \
    "with several messages, each line is followed by its trace, indented"

# -- Options of -t without -t are a usage error.
"$fd" -f "$TMP/filterd.conf" --trace > /dev/null 2>&1; rc=$?
is_rc "$rc" 2 "--trace without -t is a usage error"
tap_done
