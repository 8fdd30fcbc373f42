#!/bin/sh
# 08-module: shared-object modules.  The example module loads, runs in the
# worker and acts; a module with the wrong ABI, a missing file or a failing
# init stops filterd at start-up with a clear error; what a module does is
# validated like everything else; only sandboxed children and spawners
# load modules, never the parent.
. "${top_srcdir:-$(dirname "$0")/..}/t/tap.sh"

[ -x "${MCLIENT:-$top_builddir/t/mclient}" ] || skip_all "t/mclient not built"
example="$top_builddir/filters/example/example.so"
[ -f "$example" ] || skip_all "filters/example/example.so not built"
plan 34

# module_conf REJECT [PATH] [extra sed]: the test configuration.
module_conf() {
	sock=$(conf_for "$top_srcdir/t/data/module.conf")
	sed -i -e "s#@EXAMPLE@#${2:-$example}#" -e "s#@REJECT@#$1#" \
	    ${3:+-e "$3"} "$TMP/filterd.conf"
}
msg() {	# msg SUBJECT BODY
	printf 'From: a@example.org\nSubject: %s\n\n%s\n' "$1" "$2" \
	    > "$TMP/m.eml"
}
send() { mclient -s "unix:$sock" -f a@example.org -r b@example.net \
    -m "$TMP/m.eml" 2>&1; }
check() { "$top_builddir/filterd/filterd" -n -f "$TMP/filterd.conf" 2>&1; }

module_conf false
out=$(check)
ok $? "filterd -n accepts the example module"
"$top_builddir/filterd/filterd" -T -f "$TMP/filterd.conf" > "$TMP/dump.conf"
out=$("$top_builddir/filterd/filterd" -T -f "$TMP/dump.conf")
ok $([ "$out" = "$(cat "$TMP/dump.conf")" ]; echo $?) \
    "the dump with a module and its settings re-parses to itself"

start_filterd "$top_builddir/filterd/filterd"
ok $? "filterd starts with the module"
msg "PLEASE READ THIS NOW" "you have won"
out=$(send)
like "$out" '^addheader X-Example-Shout: yes$' "the module tags a shouting subject"
like "$out" '^addheader X-Filterd-Rule: lottery$' "and the built-in rules still run"
msg "a quiet subject" "hello"
out=$(send)
unlike "$out" 'X-Example-Shout' "a quiet subject is left alone"
like "$(cat "$TMP/filterd.log")" 'rules=lottery,example-shout' \
    "the log names what the module hit"
kill "$filterd_pid"; wait "$filterd_pid" 2>/dev/null; rm -f "$sock"

module_conf true
start_filterd "$top_builddir/filterd/filterd"
msg "PLEASE READ THIS NOW" "hello"
out=$(send)
like "$out" '^reply 550 5\.7\.1 Please do not shout$' "settings reach the module"
kill "$filterd_pid"; wait "$filterd_pid" 2>/dev/null; rm -f "$sock"

# A module may only touch the headers its configuration declares.
module_conf false "" 's#headers = \[ "X-Example-Shout" \];#headers = [ ];#'
start_filterd "$top_builddir/filterd/filterd"
msg "PLEASE READ THIS NOW" "hello"
out=$(send)
like "$out" '^reply 451 4\.3\.0 ' "an undeclared header gets the fallback"
kill "$filterd_pid"; wait "$filterd_pid" 2>/dev/null; rm -f "$sock"

# What the MIME accessors show a module, in offline mode.
parts="$top_builddir/t/partsmod.so"
sock=$(conf_for "$top_srcdir/t/data/module.conf")
sed -i '/^modules = (/,/^);/d' "$TMP/filterd.conf"
echo "modules = ( { path = \"$parts\"; } );" >> "$TMP/filterd.conf"
out=$("$top_builddir/filterd/filterd" -t \
    "$top_srcdir/t/data/mail/mixed-attachments.eml" -f "$TMP/filterd.conf" \
    2>&1)
ok $? "a module using the MIME accessors loads and runs"
like "$out" '^log: text 73 bytes: Please find the quarter$' \
    "filter_msg_text: the decoded text"
like "$out" '^log: part 0 depth 0 multipart/mixed name= attachment=0 ' \
    "part 0 is the message"
like "$out" \
    '^log: part 1 depth 1 text/plain name= attachment=0 bytes=44 starts=Please f$' \
    "a text part"
like "$out" \
    '^log: part 2 depth 1 application/pdf name=report\.pdf attachment=1 bytes=77 starts=%PDF-1\.4$' \
    "an attachment, its name, its base64 undone"
like "$out" '^log: part 3 depth 1 image/png name=chart.png attachment=1 ' \
    "an inline image with a file name is an attachment"
like "$out" '^log: part 4 depth 1 text/plain name=notes.txt attachment=1 ' \
    "a text part with a disposition attachment"
like "$out" '^log: past the last part: nothing$' \
    "an index past the count gets NULL and 0"

# The parent never loads a module: filterd -n, the check at start and a
# reload load them in a child, as the configured user, under the
# checker's seccomp policy.  probemod says where it is loaded.
sock=$(conf_for "$top_srcdir/t/data/module.conf")
sed -i '/^modules = (/,/^);/d' "$TMP/filterd.conf"
echo "modules = ( { path = \"$top_builddir/t/probemod.so\"; } );" \
    >> "$TMP/filterd.conf"
if [ "$(id -u)" -eq 0 ]; then
	want_uid=$(id -u "${FILTERD_TEST_USER:-nobody}")
else
	want_uid=$(id -u)
fi
"$top_builddir/filterd/filterd" -n -f "$TMP/filterd.conf" >/dev/null \
    2>"$TMP/n.err" &
npid=$!
wait "$npid"
ok $? "filterd -n accepts the probe module"
probe=$(grep '^probemod: loaded' "$TMP/n.err")
like "$probe" \
    "^probemod: loaded in pid [0-9]+ ppid $npid uid $want_uid seccomp 2\$" \
    "filterd -n loads it in a child, as uid $want_uid, under seccomp"
unlike "$probe" "in pid $npid " "and not itself"
FILTERD_PROBE_DIE="$TMP/die" start_filterd "$top_builddir/filterd/filterd"
ok $? "filterd starts with the probe module"
n=$(wc -l < "$TMP/filterd.log")
kill -HUP "$filterd_pid"
wait_log_after "$n" 'reloaded, configuration generation 2'
probe=$(grep '^probemod: loaded' "$TMP/filterd.log")
ok $([ "$(printf '%s\n' "$probe" |
    grep -c "ppid $filterd_pid uid $want_uid seccomp 2\$")" -eq 2 ]; echo $?) \
    "the check at start and the reload's load it in a sandboxed child"
[ -n "$probe" ] || diag "no line from probemod in the log"
unlike "$probe" "in pid $filterd_pid " "the parent never loads it"
ok $(! grep -q 'probemod\.so' "/proc/$filterd_pid/maps"; echo $?) \
    "nor has it mapped"
# A check that dies (the module forks: its sandbox kills it) is a reload
# that fails, and changes nothing.  The check runs as the test user, who
# must reach the file.
chmod 711 "$TMP"
touch "$TMP/die"
n=$(wc -l < "$TMP/filterd.log")
kill -HUP "$filterd_pid"
wait_log_after "$n" 'reload failed'
log=$(tail -n +$((n + 1)) "$TMP/filterd.log")
like "$log" 'configuration check process was killed by signal 31' \
    "a check that dies is logged"
like "$log" 'reload failed, the running configuration stays in force' \
    "and the reload fails safe"
unlike "$log" 'configuration generation 3' "no new generation"
rm -f "$TMP/die"
n=$(wc -l < "$TMP/filterd.log")
kill -HUP "$filterd_pid"
wait_log_after "$n" 'reloaded, configuration generation'
like "$(tail -n +$((n + 1)) "$TMP/filterd.log")" \
    'reloaded, configuration generation 3' "the next good check reloads"
ok $(kill -0 "$filterd_pid"; echo $?) "filterd is still running"
kill "$filterd_pid"; wait "$filterd_pid" 2>/dev/null; rm -f "$sock"

module_conf false "$top_builddir/t/badabi.so"
out=$(check)
ok $([ $? -eq 1 ]; echo $?) "a module with the wrong ABI is refused"
like "$out" 'filterd.conf:[0-9]+: module .*badabi.so: ABI version 102, filterd has 2' \
    "and the error names the file, line and versions"
module_conf false "$TMP/nonexistent.so"
out=$(check)
like "$out" 'nonexistent.so: .*(No such file|cannot open)' \
    "a missing module is a clear error"
module_conf false "" 's#min_length = 8#min_length = 0#'
out=$(check)
like "$out" 'init failed: min_length must be at least 1' \
    "a module whose init fails stops filterd with its reason"
out=$("$top_builddir/filterd/filterd" -d -f "$TMP/filterd.conf" 2>&1)
ok $([ $? -ne 0 ]; echo $?) "and filterd does not start with it"
tap_done
