#!/bin/sh
# 05-bench-tools: the benchmark's tools work, without measuring anything
# (a benchmark is never a timed test): the scripts parse; the summary
# table takes medians, ranges and round-by-round ratios; the 1,000-rule
# configuration of "make bench" loads, and none of its rules matches the
# benchmark's message (filterd -t) while one of them does match when the
# message says its word; t/bench sends bodies of any size and counts
# them; t/passfilter, the OpenSMTPD baseline, registers, echoes every
# data line unchanged and proceeds, under protocols 0.6 and 0.7 (played
# by t/smtpdfeed).  TAP output.  Trusts only its own temp directory.
set -u

top_builddir=${top_builddir:-.}
top_srcdir=${top_srcdir:-$(dirname "$0")/..}
. "$top_srcdir/t/tap.sh"

tmp=$TMP

plan 21
to=
command -v timeout >/dev/null 2>&1 && to="timeout 60"

# 1-3: the scripts parse.
sh -n "$top_srcdir/t/bench.sh"
ok $? "t/bench.sh parses (sh -n)"
bash -n "$top_srcdir/t/bench-mta.sh"
ok $? "t/bench-mta.sh parses (bash -n)"
bash -n "$top_srcdir/t/bench-perf.sh"
ok $? "t/bench-perf.sh parses (bash -n)"

# 4-6: the table.  Three rounds; the baseline gets busier in round 3,
# and the ratio is taken in each round: 0.5, 0.5, 0.25 -> median 0.50.
cat >"$tmp/res" <<'EOF'
2k 1 base nullmilter 1000 1.0 4.0
2k 1 A nullmilter 500 2.0 8.0
2k 2 A nullmilter 400 2.0 9.0
2k 2 base nullmilter 800 1.0 3.0
2k 3 base nullmilter 1200 1.0 5.0
2k 3 A nullmilter 300 2.0 7.0
pf 1 base nullmilter 100 - -
pf 1 A nullmilter 90 - -
EOF
table=$(awk -f "$top_srcdir/t/bench-table.awk" "$tmp/res")
like "$table" '^\| 2k \| nullmilter \| 1000 \[800-1200\] \| 400 \[300-500\] \| 0\.50 \[0\.25-0\.50\] \| 4\.0 \[3\.0-5\.0\] \| 8\.0 \[7\.0-9\.0\] \|$' \
    "table: medians, ranges, ratios taken round by round, p99"
like "$table" '^\| pf \| nullmilter \| 100 \| 90 \| 0\.90 \| - \| - \|$' \
    "table: one round, no latency"
echo '2k 1 B nullmilter 250 1.0 6.0' >>"$tmp/res"
table=$(awk -f "$top_srcdir/t/bench-table.awk" "$tmp/res")
like "$table" '^\| 2k \| nullmilter \| 1000 \[800-1200\] \| 400 \[300-500\] \| 0\.50 \[0\.25-0\.50\] \| 250 \| 0\.25 \| 2\.00 \| ' \
    "table: a second build B, its ratios to the baseline and to filterd"

# 7-10: the 1,000 rules.
filterd=$top_builddir/filterd/filterd
BENCH_SELFTEST=1 srcdir=$top_srcdir sh "$top_srcdir/t/bench.sh" \
    >"$tmp/rules.conf"
ok $? "bench.sh writes its 1,000-rule configuration"
[ "$(grep -c '^	{ name = "bench[0-9]*"; ' "$tmp/rules.conf")" -eq 1000 ]
ok $? "with 1,000 rules"
{
	printf 'Received: from client.example.com (client.example.com '
	printf '[192.0.2.1])\n\tby mx.example.org (Postfix) with ESMTP\n'
	printf 'Date: Mon, 1 Jan 2024 12:00:00 +0000\n'
	printf 'From: Alice Example <alice@example.com>\n'
	printf 'To: Bob Example <bob@example.net>\n'
	printf 'Subject: Quarterly report, as discussed\n'
	printf 'Message-ID: <0001.1@client.example.com>\n'
	printf 'MIME-Version: 1.0\n'
	printf 'Content-Type: text/plain; charset=us-ascii\n'
	printf 'Content-Transfer-Encoding: 7bit\nX-Mailer: bench 1.0\n\n'
	i=0
	while [ $i -lt 32 ]; do
		printf 'the quick brown fox jumps over the lazy dog and then '
		printf 'some more\n'
		i=$((i + 1))
	done
} >"$tmp/msg.eml"
$to "$filterd" -t "$tmp/msg.eml" -f "$tmp/rules.conf" >"$tmp/t1" 2>&1
like "$(cat "$tmp/t1")" '^action: accept$' \
    "filterd -t: none of the 1,000 rules matches the benchmark's message"
sed 's/^Subject: .*/Subject: nomatch0000/' "$tmp/msg.eml" >"$tmp/hit.eml"
$to "$filterd" -t "$tmp/hit.eml" -f "$tmp/rules.conf" >"$tmp/t2" 2>&1
like "$(cat "$tmp/t2")" '^action: reject$' \
    "filterd -t: the rules are live (Subject: nomatch0000 is rejected)"

# 11-15: t/bench against t/nullmilter, bodies of several sizes.
"$top_builddir/t/nullmilter" -p "unix:$tmp/null.sock" >"$tmp/null.log" 2>&1 &
pid=$!
tap_pids=$pid
i=0
while [ ! -S "$tmp/null.sock" ] && [ $i -lt 100 ] &&
    kill -0 "$pid" 2>/dev/null; do
	sleep 0.1
	i=$((i + 1))
done
if [ ! -S "$tmp/null.sock" ]; then
	echo "Bail out! nullmilter does not listen"
	exit 1
fi
for size in 0 1 2048 100000 10485760; do
	out=$($to "$top_builddir/t/bench" -s "unix:$tmp/null.sock" -c 2 -n 4 \
	    -w 1 -b $size 2>&1)
	like "$out" '^msgs/s=[0-9]+ p50_ms=[0-9.]+ p99_ms=[0-9.]+ ok=4 errors=0 accept=4 ' \
	    "t/bench -b $size: 4 messages, all accepted"
done

# 16-21: t/passfilter through t/smtpdfeed.
{
	printf 'From: a@example.org\nSubject: a | bar\n\n'
	printf 'the quick | brown fox\n.a dot\n..two dots\n.\n\n|\nlast\n'
} >"$tmp/pass.eml"
for va in 0.6: 0.7: 0.6:-a; do
	v=${va%%:*}
	pf=${va#*:}
	# shellcheck disable=SC2086
	out=$($to "$top_builddir/t/smtpdfeed" -V "$v" -m "$tmp/pass.eml" \
	    -s "$tmp/sent" -o "$tmp/ret" -- "$top_builddir/t/passfilter" $pf \
	    2>&1)
	like "$out" '^commit: proceed$' \
	    "passfilter${pf:+ $pf}, protocol $v: commit proceeds"
	cmp -s "$tmp/sent" "$tmp/ret"
	ok $? "passfilter${pf:+ $pf}, protocol $v: every data line comes back" \
	    "unchanged"
done

tap_done
