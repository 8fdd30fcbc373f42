#!/bin/sh
# bench-rules.sh: issue 12's speed check.  Runs t/bench.sh ("make bench")
# alternately with two configurations: A, conf/filterd.conf as it is
# (3 rules), and B, the same with 101 more rules on the new targets --
# size, rcpt_count, header_count, auth_user, attachment names, URL hosts,
# address, domain and network lists of 1000 entries each, combinations
# with unless -- none of which hits the benchmark's message, so that every
# one is evaluated for every message.  Prints each run's filterd msgs/s,
# then the medians and B/A.
#
# First, t/bench-rules-cpu's CPU time of the rules a message, A and B.
#
# Environment: builddir, srcdir (as for bench.sh), ROUNDS (3; 0: only the
# CPU time), and
# bench.sh's BENCH_CONC, BENCH_N, BENCH_WARMUP, BENCH_USER.
set -u

builddir=${builddir:-.}
srcdir=${srcdir:-.}
rounds=${ROUNDS:-3}
tmp=$(mktemp -d "${TMPDIR:-/tmp}/fdbenchrules.XXXXXX") || exit 1
trap 'rm -rf "$tmp"' EXIT
chmod 0755 "$tmp"

i=0
while [ $i -lt 1000 ]; do
	echo "user$i@partner$((i % 50)).example"
	i=$((i + 1))
done >"$tmp/addresses"
i=0
while [ $i -lt 1000 ]; do
	echo "d$i.blocked$((i % 37)).example"
	i=$((i + 1))
done >"$tmp/domains"
i=0
while [ $i -lt 1000 ]; do
	echo "10.$((i / 250)).$((i % 250)).0/24"
	i=$((i + 1))
done >"$tmp/networks"

# The rules, each on a line that starts with the comma that joins it to
# the sample's list.
i=0
while [ $i -lt 100 ]; do
	case $((i % 10)) in
	0) t="size = \"> $((30 + i))M\";" ;;
	1) t="rcpt_count = \">= $((500 + i))\";" ;;
	2) t="header_count = \"> $((900 + i))\";" ;;
	3) t="sender_in = \"addr\";" ;;
	4) t="recipient_in = \"dom\"; scope = \"all\";" ;;
	5) t="client_addr_in = \"net\";" ;;
	6) t="url_host_in = \"dom\";" ;;
	7) t="auth_user = \"^nobody$i\$\";" ;;
	8) t="attachment_name = \"(?i)[.]x$i\$\";" ;;
	9) t="all = [ \"c-size\", \"c-rcpts\" ]; unless = [ \"c-exempt\" ];" ;;
	esac
	echo "	, { name = \"b$i\"; $t action = \"score\"; score = 0.1; }"
	i=$((i + 1))
done >"$tmp/rules"
echo '	, { name = "b-any"; any = [ "c-addr", "c-net" ]; action = "score"; score = 0.1; }' \
    >>"$tmp/rules"

# B: the sample, the rules at the end of its list, then lists, conditions.
awk -v rules="$tmp/rules" '
/^rules = \(/ { inr = 1 }
inr && /^\);/ {
	while ((getline l < rules) > 0)
		print l
	inr = 0
}
{ print }' "$srcdir/conf/filterd.conf" >"$tmp/rules100.conf"
{
	echo 'lists = ('
	echo "	{ name = \"addr\"; type = \"address\"; file = \"$tmp/addresses\"; },"
	echo "	{ name = \"dom\"; type = \"domain\"; file = \"$tmp/domains\"; },"
	echo "	{ name = \"net\"; type = \"network\"; file = \"$tmp/networks\"; }"
	echo ');'
	echo 'conditions = ('
	echo '	{ name = "c-size"; size = "> 40M"; },'
	echo '	{ name = "c-rcpts"; rcpt_count = "> 900"; },'
	echo '	{ name = "c-addr"; sender_in = "addr"; },'
	echo '	{ name = "c-net"; client_addr_in = "net"; },'
	echo '	{ name = "c-exempt"; auth_user = "^bench-exempt$"; }'
	echo ');'
} >>"$tmp/rules100.conf"
chmod 0644 "$tmp"/*
if ! "$builddir/filterd/filterd" -n -f "$tmp/rules100.conf"; then
	echo "bench-rules.sh: the 101-rule configuration does not check" >&2
	exit 1
fi

# What the rules cost a worker, in CPU time, message for message.
if [ -x "$builddir/t/bench-rules-cpu" ]; then
	"$builddir/t/bench-rules-cpu" "$srcdir/conf/filterd.conf" \
	    "$tmp/rules100.conf" | sed -e "s|$tmp/rules100.conf|B|" \
	    -e "s|$srcdir/conf/filterd.conf|A|"
fi
[ "$rounds" -gt 0 ] || exit 0

rate() {	# rate CONF: filterd's msgs/s in one bench.sh run
	BENCH_CONF=$1 BENCH_SCENARIOS=2k BENCH_ROUNDS=1 builddir=$builddir \
	    srcdir=$srcdir sh "$srcdir/t/bench.sh" 2>/dev/null |
	    sed -n 's/^2k r1 filterd: msgs\/s=\([0-9.]*\) .*/\1/p'
}
: >"$tmp/a"
: >"$tmp/b"
r=0
while [ $r -lt "$rounds" ]; do
	a=$(rate "$srcdir/conf/filterd.conf")
	b=$(rate "$tmp/rules100.conf")
	echo "round $((r + 1)): A (3 rules) msgs/s=$a  B (104 rules) msgs/s=$b"
	echo "$a" >>"$tmp/a"
	echo "$b" >>"$tmp/b"
	r=$((r + 1))
done
median() { sort -n "$1" | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }
awk -v a="$(median "$tmp/a")" -v b="$(median "$tmp/b")" 'BEGIN {
	printf "median A=%s B=%s B/A=%.3f\n", a, b, (a > 0 ? b / a : 0) }'
