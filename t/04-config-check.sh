#!/bin/sh
# t/04-config-check.sh: "filterd -n" and "filterd -T" on real files, the
# checks that need the whole binary: rule patterns are compiled by the rules
# module, not by config_load.  Runs as a test script; trusts the harness's
# $top_srcdir and $top_builddir and nothing it reads back from filterd.

top_srcdir=${top_srcdir:-..}
top_builddir=${top_builddir:-..}
filterd=$top_builddir/filterd/filterd
data=$top_srcdir/t/data/conf
sample=$top_srcdir/conf/filterd.conf

n=0
failed=0

# ok STATUS DESCRIPTION: one TAP line; STATUS 0 passes.
ok() {
	n=$((n + 1))
	if [ "$1" -eq 0 ]; then
		echo "ok $n - $2"
	else
		echo "not ok $n - $2"
		failed=$((failed + 1))
	fi
}

# has FILE STRING: FILE contains STRING, else it is shown as a diagnostic.
has() {
	if grep -F -e "$2" "$1" >/dev/null; then
		return 0
	fi
	echo "# wanted: $2"
	sed 's/^/#    got: /' "$1"
	return 1
}

if [ ! -x "$filterd" ]; then
	echo "1..0 # SKIP $filterd not built"
	exit 0
fi
tmp=$(mktemp -d "${TMPDIR:-/tmp}/04-config-check.XXXXXX") || exit 1
trap 'rm -rf "$tmp"' EXIT

echo "1..13"

"$filterd" -n -f "$sample" 2>"$tmp/err"
ok $? "filterd -n accepts the sample configuration"
has "$tmp/err" "configuration OK"
ok $? "filterd -n says the sample is OK"

"$filterd" -T -f "$sample" >"$tmp/dump1" 2>"$tmp/err"
ok $? "filterd -T dumps the sample"
"$filterd" -n -f "$tmp/dump1" 2>"$tmp/err"
ok $? "filterd -n accepts the dump"
"$filterd" -T -f "$tmp/dump1" >"$tmp/dump2" 2>"$tmp/err" &&
    cmp "$tmp/dump1" "$tmp/dump2" >/dev/null
ok $? "the dump of the dump is the dump"

# Its user need not exist here: one that does, for the check as root.
sed 's/^user = .*/user = "nobody";/' "$data/every-setting.conf" \
    >"$tmp/every.conf"
"$filterd" -T -f "$tmp/every.conf" >"$tmp/dump3" 2>"$tmp/err" &&
    "$filterd" -n -f "$tmp/dump3" 2>"$tmp/err"
ok $? "the dump of every-setting.conf passes filterd -n"

"$filterd" -n -f "$data/bad-pattern.conf" 2>"$tmp/err"
test $? -eq 1
ok $? "filterd -n exits 1 on a bad pattern"
has "$tmp/err" "$data/bad-pattern.conf:4: rule broken: pattern "
ok $? "the bad pattern is reported as file:line: rule NAME: pattern ..."
has "$tmp/err" "configuration has errors"
ok $? "filterd -n says the configuration has errors"

"$filterd" -n -f "$data/syntax.conf" 2>"$tmp/err"
test $? -eq 1
ok $? "filterd -n exits 1 on a syntax error"
has "$tmp/err" "$data/syntax.conf:4: syntax error"
ok $? "the syntax error is reported as file:line: message"

"$filterd" -T -f "$data/many-errors.conf" >"$tmp/out" 2>"$tmp/err"
test $? -eq 1 && test ! -s "$tmp/out"
ok $? "filterd -T dumps nothing and exits 1 for a bad file"

"$filterd" -n -f "$tmp/no-such.conf" 2>"$tmp/err"
test $? -eq 1
ok $? "filterd -n exits 1 for a missing file"

test "$failed" -eq 0
