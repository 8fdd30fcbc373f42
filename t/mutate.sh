#!/bin/sh
# t/mutate.sh: a mutation pass.  Applies each mutation of a list (small,
# bug-like changes to the code: a bound off by one, a check dropped) to a
# scratch copy of the tree, one at a time; rebuilds; runs the tests the
# list names for it; records whether a test failed (the mutation is
# caught) or none did (it survived); undoes it; and prints a summary with
# the share caught.  Not run by "make check": a pass takes minutes.
#
# Usage: t/mutate.sh [-l LIST] [-k DIR] [-j N] [-t SECONDS] [-B] [-F]
#                    [NAME...]
#
#   -l LIST     the mutations (default: t/mutations.txt; its header says
#               how to write one)
#   -k DIR      keep the scratch copy in DIR, and reuse it (and its build)
#               when DIR holds one already; default: a new directory in
#               $TMPDIR, removed at the end
#   -j N        make's jobs (default 2)
#   -t SECONDS  the longest a test may run before it counts as failed
#               (default 300)
#   -B          skip the baseline (every test of the list, run once on the
#               unchanged copy, must pass: else a failure proves nothing)
#   -F          run the whole "make check" for each survivor too, in case
#               a test that the list does not name catches it
#   NAME...     only these mutations
#
# Environment: MUTATE_CONFIGURE, options for ./configure in the copy
# (default none; not --enable-werror, since a mutation may well warn).
#
# A mutation is caught when one of its tests exits non-zero, prints
# "not ok" or "Bail out!", runs fewer tests than its plan, or passes the
# time limit; a mutation that does not build, or whose original text is
# not in its file exactly once, is reported apart and not counted.  The
# summary counts the survivors the list expects (equivalent mutations,
# and those whose test is on another branch) apart, too.
#
# The real tree is only read: the copy is made with git ls-files (tracked
# and untracked files that are not ignored, as they are now), configured
# and built in its own directory.  An interrupted pass leaves at most the
# scratch copy behind, and only with -k; the mutated file is restored
# there too.  Exit status: 0 when the pass ran (whatever it found), 1
# when it could not run, 2 on a usage error.

set -u

# The whole script is one compound command, read before it runs, so that
# editing this file during a pass does not change the pass.
{
# Fd 3 is the script's own stderr, which the commands' logs do not take.
exec 3>&2
began=$(date +%s)

usage() {
	sed -n '9,27p' "$0" | sed 's/^# \{0,1\}//' >&2
	exit 2
}

top=$(cd "$(dirname "$0")/.." && pwd)
list=$top/t/mutations.txt
keep=
jobs=2
tlimit=300
baseline=1
full=0
while getopts l:k:j:t:BFh opt; do
	case $opt in
	l) list=$(cd "$(dirname "$OPTARG")" && pwd)/$(basename "$OPTARG") ;;
	k) keep=$OPTARG ;;
	j) jobs=$OPTARG ;;
	t) tlimit=$OPTARG ;;
	B) baseline=0 ;;
	F) full=1 ;;
	*) usage ;;
	esac
done
shift $((OPTIND - 1))
only=" $* "

die() { echo "mutate: $*" >&3; exit 1; }

[ -r "$list" ] || die "$list: cannot read the list"
command -v perl >/dev/null || die "perl is needed"
command -v timeout >/dev/null || die "timeout(1) is needed"
git -C "$top" rev-parse --git-dir >/dev/null 2>&1 ||
    die "$top is not a git checkout: the copy is made with git ls-files"

if [ -n "$keep" ]; then
	mkdir -p "$keep" || die "$keep: cannot create"
	work=$(cd "$keep" && pwd)
else
	work=$(mktemp -d "${TMPDIR:-/tmp}/filterd-mutate.XXXXXX") ||
	    die "cannot make a scratch directory"
fi
case $work in
"$top"|"$top"/*) die "the scratch copy must be outside the tree" ;;
esac
src=$work/src
db=$work/list
logs=$work/logs

# Runs a command in a process group of its own, in the background, and
# waits for it: a signal to this script then runs its trap at once, and
# the trap stops the whole group (make and its compilers, a test and the
# daemons it started).
child=
spawn() {
	if command -v setsid >/dev/null 2>&1; then
		setsid "$@" &
	else
		"$@" &
	fi
	child=$!
	wait "$child"
	_rc=$?
	child=
	return $_rc
}

# Stops what runs, restores the file being mutated (in the copy), and
# removes the copy unless asked to keep it.  Runs at the end, and on any
# interruption.
restoring=
cleanup() {
	trap - EXIT INT TERM HUP
	if [ -n "$child" ]; then
		kill -TERM "-$child" 2>/dev/null || kill -TERM "$child"
		wait "$child" 2>/dev/null
	fi
	if [ -n "$restoring" ] && [ -f "$restoring.mutate-orig" ]; then
		mv -f "$restoring.mutate-orig" "$restoring"
		touch "$restoring"
		rm -f "$work/dirty"
	fi
	if [ -z "$keep" ]; then
		rm -rf "$work"
	fi
}
trap cleanup EXIT
trap 'echo "mutate: interrupted" >&3; exit 130' INT TERM HUP

# The list, parsed once into one directory per mutation (name, file, from,
# to, tests, about, origin, expect), numbered in the list's order.
rm -rf "$db" "$logs"
mkdir -p "$db" "$logs" "$src" || die "$work: cannot write"
perl -e '
	my ($list, $db) = @ARGV;
	open(my $f, "<", $list) or die "$list: $!\n";
	my (@recs, %r, $line);
	my $flush = sub {
		push @recs, { %r } if %r;
		%r = ();
	};
	while (<$f>) {
		$line = $.;
		chomp;
		next if /^#/;
		if (/^\s*$/) { $flush->(); next; }
		/^(\w+):\s*(.*)$/ or die "$list:$line: not \"key: value\"\n";
		die "$list:$line: $1 given twice\n" if exists $r{$1};
		$r{$1} = $2;
		$r{line} //= $line;
	}
	$flush->();
	my %seen;
	my $i = 0;
	for my $r (@recs) {
		for my $k (qw(name file from to tests)) {
			die "$list:$r->{line}: no $k\n" unless defined $r->{$k};
		}
		die "$list:$r->{line}: $r->{name} twice\n" if $seen{$r->{name}}++;
		for my $k (qw(from to)) {
			$r->{$k} =~ s/\\(n|t|\\)/$1 eq "n" ? "\n" :
			    $1 eq "t" ? "\t" : "\\"/ge;
		}
		my $d = sprintf("%s/%03d", $db, ++$i);
		mkdir $d or die "$d: $!\n";
		for my $k (qw(name file from to tests about origin expect)) {
			open(my $o, ">", "$d/$k") or die "$d/$k: $!\n";
			print $o $r->{$k} // "";
			close $o;
		}
	}
' "$list" "$db" || die "$list: cannot parse"

val() { cat "$db/$1/$2"; }

for want in $only; do
	grep -qx -- "$want" "$db"/*/name 2>/dev/null ||
	    die "no mutation named $want in $list"
done

# Replaces the one occurrence of from with to in a file; prints how many
# occurrences there were, and fails unless it was one.
apply() {
	perl -e '
		my ($file, $fromf, $tof) = @ARGV;
		local $/;
		open(my $a, "<", $fromf) or die; my $from = <$a>; close $a;
		open(my $b, "<", $tof) or die; my $to = <$b>; close $b;
		open(my $f, "<", $file) or die "$file: $!\n";
		my $s = <$f>;
		close $f;
		my ($n, $at, $pos) = (0, -1, 0);
		while (($pos = index($s, $from, $pos)) >= 0) {
			$at = $pos if $n++ == 0;
			$pos += length($from) || 1;
		}
		print "$n\n";
		exit 3 if $n != 1;
		substr($s, $at, length($from)) = $to;
		open($f, ">", $file) or die "$file: $!\n";
		print $f $s;
		close $f or die "$file: $!\n";
	' "$1" "$2" "$3"
}

# The copy: the files git knows of, and the untracked ones not ignored.
echo "mutate: copying $top to $src"
(cd "$top" && git ls-files -z --cached --others --exclude-standard |
    perl -0 -ne 'chomp; print "$_\0" if -f $_' |
    tar --null -T - -cf -) | (cd "$src" && tar -xf -) ||
    die "cannot copy the tree"
# A pass killed outright (no trap) left the file it mutated, and its
# objects, behind: the copy above restored the file, with its old time.
if [ -f "$work/dirty" ]; then
	touch "$src/$(cat "$work/dirty")"
	rm -f "$work/dirty"
fi

cd "$src" || die "$src: cannot enter"
export top_srcdir="$src" top_builddir="$src"
configure_copy() {
	echo "mutate: configuring the copy"
	spawn sh -c './autogen.sh && ./configure "$@"' sh \
	    ${MUTATE_CONFIGURE:-} >"$work/configure.log" 2>&1 ||
	    die "configure failed: see $work/configure.log (-k to keep it)"
}
build_copy() {
	echo "mutate: building the copy"
	spawn make -j"$jobs" >"$work/build.log" 2>&1 &&
	    spawn make -j"$jobs" check TESTS= >>"$work/build.log" 2>&1
}
fresh=0
if [ ! -f config.status ]; then
	configure_copy
	fresh=1
fi
# A kept copy may predate a change to the build system that make cannot
# follow by itself: it is configured again, once.
if ! build_copy; then
	[ $fresh -eq 0 ] ||
	    die "the unchanged copy does not build: see $work/build.log"
	configure_copy
	build_copy ||
	    die "the unchanged copy does not build: see $work/build.log"
fi

# A variable of the generated Makefile.
mkvar() {
	printf 'mutate-print:\n\t@echo $(%s)\n' "$1" |
	    make -s -f Makefile -f - mutate-print 2>/dev/null
}
# Programs the shell tests run: check programs that are no test.
alltests=" $(mkvar TESTS) "
helpers=
for p in $(mkvar check_PROGRAMS); do
	case $alltests in
	*" $p "*) ;;
	*) helpers="$helpers $p" ;;
	esac
done

# Builds what a set of tests runs: each C test, and for shell tests the
# daemon and the helpers.  "all" goes first, by itself: it recurses, and
# a sibling target building the same library at once would race it.
build_for() {	# build_for TESTS LOG
	_t=
	_all=0
	for x in $1; do
		case $x in
		*.sh) _all=1; _t="$_t$helpers" ;;
		*) _t="$_t $x" ;;
		esac
	done
	if [ $_all -eq 1 ]; then
		spawn make -j"$jobs" all >"$2" 2>&1 || return 1
	fi
	spawn make -j"$jobs" $_t >>"$2" 2>&1
}

# Runs one test; 0 when it passed.  Fails on a non-zero exit, a "not ok",
# a bail-out, a plan not met, or the time limit.
run_test() {	# run_test TEST LOG
	case $1 in
	*.sh) spawn timeout -k 10 "$tlimit" sh "./$1" >"$2" 2>&1 ;;
	*) spawn timeout -k 10 "$tlimit" "./$1" >"$2" 2>&1 ;;
	esac
	_rc=$?
	[ $_rc -eq 0 ] || return 1
	grep -Eq '^(not ok|Bail out!)' "$2" && return 1
	_plan=$(sed -n 's/^1\.\.\([0-9][0-9]*\).*/\1/p' "$2" | head -n 1)
	_ran=$(grep -Ec '^(not )?ok' "$2")
	[ -z "$_plan" ] || [ "$_plan" -eq 0 ] || [ "$_plan" -eq "$_ran" ]
}

# The first line that says why a test failed.
why_failed() {
	_w=$(grep -E -m 1 '^(not ok|Bail out!)' "$1")
	[ -n "$_w" ] || _w=$(tail -n 1 "$1")
	printf '%s' "$_w" | cut -c 1-100
}

selected() {
	[ "$only" = "  " ] && return 0
	case $only in *" $1 "*) return 0 ;; esac
	return 1
}

if [ $baseline -eq 1 ]; then
	echo "mutate: baseline: every listed test on the unchanged copy"
	want=
	for d in "$db"/*; do
		n=$(basename "$d")
		selected "$(val "$n" name)" || continue
		for x in $(val "$n" tests); do
			case " $want " in *" $x "*) ;; *) want="$want $x" ;; esac
		done
	done
	build_for "$want" "$work/build.log" ||
	    die "the unchanged copy does not build its tests"
	for x in $want; do
		if ! run_test "$x" "$logs/baseline-$(echo "$x" | tr / -).log"
		then
			die "$x fails on the unchanged copy: fix that first" \
			    "(log: $logs; -k to keep it)"
		fi
	done
fi

now() { date +%s; }
start=$(now)
results=$work/results
: >"$results"
for d in "$db"/*; do
	n=$(basename "$d")
	name=$(val "$n" name)
	selected "$name" || continue
	file=$(val "$n" file)
	tests=$(val "$n" tests)
	expect=$(val "$n" expect)
	t0=$(now)
	status=
	by=
	detail=
	if [ ! -f "$file" ]; then
		status=BAD
		detail="no file $file"
	else
		cp -p "$file" "$file.mutate-orig"
		printf '%s' "$file" >"$work/dirty"
		restoring=$src/$file
		if ! count=$(apply "$file" "$d/from" "$d/to"); then
			status=BAD
			detail="the original text is there $count times, not once"
		elif ! build_for "$tests" "$logs/$name.build"; then
			status=NOBUILD
			detail="does not build: $logs/$name.build"
		else
			status=SURVIVED
			for x in $tests; do
				log=$logs/$name.$(echo "$x" | tr / -).log
				if ! run_test "$x" "$log"; then
					status=CAUGHT
					by=$x
					detail=$(why_failed "$log")
					break
				fi
			done
		fi
		if [ $status = SURVIVED ] && [ $full -eq 1 ]; then
			spawn make -j"$jobs" check >"$logs/$name.check" \
			    2>&1 || {
				status=CAUGHT
				by="make check"
				detail=$(grep -E -m 1 '^(FAIL|ERROR):' \
				    "$logs/$name.check")
			}
		fi
		mv -f "$file.mutate-orig" "$file"
		touch "$file"
		restoring=
		rm -f "$work/dirty"
	fi
	case $status:$expect in
	SURVIVED:equivalent*) kind=equivalent ;;
	SURVIVED:pending*) kind=pending ;;
	*) kind=- ;;
	esac
	printf '%-26s %-9s %4ss  %s%s\n' "$name" "$status" $(($(now) - t0)) \
	    "${by:+$by: }" "$detail"
	printf '%s\t%s\t%s\t%s\t%s\n' "$name" "$status" "$kind" "$by" \
	    "$expect" >>"$results"
done

# The summary: what was caught among what ran, and the survivors by kind.
awk -F '\t' -v secs=$(($(now) - start)) -v all=$(($(now) - began)) '
	{ n[$2]++ }
	$2 == "SURVIVED" { surv[++ns] = $1; kind[ns] = $3; note[ns] = $5 }
	$2 == "SURVIVED" && $3 == "equivalent" { neq++ }
	$2 == "SURVIVED" && $3 == "pending" { npend++ }
	END {
		ran = n["CAUGHT"] + n["SURVIVED"]
		printf "\nmutate: %d mutations in %dm%02ds: %d caught, " \
		    "%d survived", ran, secs / 60, secs % 60, n["CAUGHT"],
		    n["SURVIVED"]
		if (n["BAD"] + n["NOBUILD"] > 0)
			printf "; %d not applied (BAD), %d did not build",
			    n["BAD"], n["NOBUILD"]
		printf "\nmutate: %dm%02ds in all, setting up the copy " \
		    "included\n", all / 60, all % 60
		if (ran == 0)
			exit
		printf "mutate: caught %d of %d: %.1f%%\n", n["CAUGHT"], ran,
		    100 * n["CAUGHT"] / ran
		if (neq > 0)
			printf "mutate: without the %d equivalent: %d of %d: " \
			    "%.1f%%\n", neq, n["CAUGHT"], ran - neq,
			    100 * n["CAUGHT"] / (ran - neq)
		if (npend > 0)
			printf "mutate: %d of the survivors wait for another " \
			    "branch\n", npend
		for (i = 1; i <= ns; i++)
			printf "  survivor %s%s\n", surv[i],
			    kind[i] == "-" ? "" : " (" note[i] ")"
	}
' "$results"
[ -z "$keep" ] || echo "mutate: results in $results, logs in $logs"
exit 0
}
