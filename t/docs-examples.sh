#!/bin/sh
# docs-examples: runs the examples of the documentation, for
# t/42-docs-examples.sh.  Usage: docs-examples.sh WORKDIR FILE...
#
# Every literal block of a manual page (.Bd -literal) and every fenced
# block of a Markdown file must come right after a marker that says what
# it is -- in roff a comment line, in Markdown an HTML comment:
#
#	.\" example: config NAME		<!-- example: config NAME -->
#	.\" example: file NAME PATH		<!-- example: file NAME PATH -->
#	.\" example: session NAME		<!-- example: session NAME -->
#	.\" example: other			<!-- example: other -->
#
# config: a configuration; "filterd -n" must accept it.  file: a file that
# configuration NAME includes, written at PATH beside it.  session: a
# transcript run in NAME's directory, with NAME's configuration: each
# "$ " or "# " line is a command, the lines up to the next the output it
# must print.  A session knows three commands: "cat > FILE <<EOF" (the
# lines up to EOF become FILE), "filterd ARGS" (run with the configuration
# of NAME whatever -f says, its standard output and the "filterd:" lines
# of its standard error compared with the expected lines, the worker's pid
# and time and the directory ignored; "filterd ARGS <<EOF" gives it the
# lines up to EOF on standard input) and "echo $?" (the last exit
# status).  other: not run (a C listing, a Postfix setting, a log format),
# its reason after the word.
# A roff block is unescaped first: \e, \&, \- and \(dq.
#
# Prints one TAP line ("ok - ..." or "not ok - ...", unnumbered, with "# "
# lines of diagnostics) for each block, each configuration and each session
# step; exits 1 when any fails.
# Needs top_srcdir and top_builddir in the environment.
. "${top_srcdir:-$(dirname "$0")/..}/t/tap.sh"

work=$1
shift
fd="$top_builddir/filterd/filterd"
example_so="$top_builddir/filters/example/example.so"
mkdir -p "$work/blocks"

pass() { echo "ok - $*"; }
fail() { echo "not ok - $*"; }

# Splits FILE into $work/blocks/N.txt and N.meta ("FILE LINE KIND ARGS").
extract() {
	awk -v out="$work/blocks" -v file="$1" -v base="$(basename "$1")" '
	function unroff(s) {
		gsub(/\\e/, "\001", s); gsub(/\\&/, "", s); gsub(/\\-/, "-", s)
		gsub(/\\\(dq/, "\"", s); gsub(/\001/, "\\", s)
		return s
	}
	BEGIN { n = 0; while ((getline l < (out "/count")) > 0) n = l + 0 }
	{
		if (inblk) {
			if ((roff && $0 ~ /^\.Ed/) || (!roff && $0 ~ /^```/)) {
				inblk = 0
				close(txt)
				next
			}
			print (roff ? unroff($0) : $0) > txt
			next
		}
		roff = base !~ /\.md$/
		if (roff && $0 ~ /^\.\\" example: /) {
			mark = $0; sub(/^\.\\" example: /, "", mark); mline = NR
			next
		}
		if (!roff && $0 ~ /^<!-- example: .* -->$/) {
			mark = $0; sub(/^<!-- example: /, "", mark)
			sub(/ -->$/, "", mark); mline = NR
			next
		}
		if ((roff && $0 ~ /^\.Bd -literal/) || (!roff && $0 ~ /^```/)) {
			n++
			txt = out "/" n ".txt"
			printf "" > txt
			print base, NR, (mline == NR - 1 ? mark : "unmarked") \
			    > (out "/" n ".meta")
			close(out "/" n ".meta")
			inblk = 1
		}
		if ($0 !~ /^\.\\"/)
			mark = ""
	}
	END { print n > (out "/count") }' "$1"
}

# The configuration of NAME, made runnable here: conf_for's listen, users
# and chroot, and the example module as built.
config_dir() { echo "$work/cfg/$1"; }
make_config() {	# make_config NAME BLOCK
	d=$(config_dir "$1")
	mkdir -p "$d"
	(cd "$d" && TMP="$d" conf_for "$2" > /dev/null)
	sed -i "s#\"/usr/local/lib/filterd/example\\.so\"#\"$example_so\"#" \
	    "$d/filterd.conf"
}

# What varies from run to run: the worker's pid and time.
norm() {
	sed -e 's/^worker: [0-9]*, [0-9]* ms$/worker: N, N ms/' \
	    -e 's/^\(.*\): worker [0-9]*: /\1: worker N: /' "$1"
}

# Compares the output of a session step with what the block says.
same() {	# same DESC EXPECTED-FILE ACTUAL-FILE
	norm "$2" > "$2.n"
	norm "$3" > "$3.n"
	if cmp -s "$2.n" "$3.n"; then
		pass "$1"
	else
		fail "$1"
		diff "$2.n" "$3.n" | sed 's/^/# /'
	fi
}

# Runs "filterd ARGS" of a session in its directory.
session_filterd() {	# session_filterd DIR ARGS...
	_d=$1
	shift
	_conf=""
	_args=""
	_prev=""
	for _a in "$@"; do
		if [ "$_prev" = "-f" ]; then
			_conf=$_a
			_a="$_d/filterd.conf"
		fi
		_args="$_args '$_a'"
		_prev=$_a
	done
	(cd "$_d" && eval "\"$fd\" $_args" < "$_d/.stdin" > "$_d/.out" \
	    2> "$_d/.err")
	_rc=$?
	{ cat "$_d/.out"; grep '^filterd: ' "$_d/.err"; } |
	    sed -e "s#$_d/filterd\\.conf#$_conf#g" -e "s#$_d/##g"
	return $_rc
}

# Runs a session block, step by step.
session() {	# session WHERE NAME BLOCK
	sw=$1
	sn=$2
	d=$(config_dir "$sn")
	if [ ! -f "$d/filterd.conf" ]; then
		fail "$sw: session $sn has no configuration $sn"
		return
	fi
	rc=0
	cmd=""
	: > "$d/.want"
	: > "$d/.stdin"
	# The block, with a line "$ " at the end to close the last step.
	heredoc=""
	# Commands continued with a backslash are joined first.
	{ awk 'j { sub(/^[ \t]*/, ""); l = l " " $0 }
	    !j { l = $0 }
	    { j = l ~ /^[$#] / && l ~ /\\$/ }
	    j { sub(/[ \t]*\\$/, "", l); next }
	    { print l }' "$3"; echo '$ '; } | while IFS= read -r line; do
		if [ -n "$heredoc" ]; then
			if [ "$line" = "$heredoc" ]; then
				heredoc=""
			else
				printf '%s\n' "$line" >> "$d/$hfile"
			fi
			continue
		fi
		case "$line" in
		'$ '*|'# '*) ;;
		*)	printf '%s\n' "$line" >> "$d/.want"
			continue ;;
		esac
		# A command: the one before it is complete.
		case "$cmd" in
		'')	;;
		'echo $?')
			printf '%s\n' "$rc" > "$d/.got"
			same "$sw: $sn: \$ echo \$? after the step before" \
			    "$d/.want" "$d/.got" ;;
		filterd\ *)
			eval "set -- ${cmd#filterd }"
			session_filterd "$d" "$@" > "$d/.got"
			rc=$?
			: > "$d/.stdin"
			same "$sw: $sn: \$ $cmd" "$d/.want" "$d/.got" ;;
		esac
		: > "$d/.want"
		cmd=${line#??}
		case "$cmd" in
		'') ;;
		'cat > '*' <<EOF')
			hfile=${cmd#cat > }
			hfile=${hfile% <<EOF}
			: > "$d/$hfile"
			heredoc=EOF
			cmd="" ;;
		'filterd '*' <<EOF')
			# Its standard input, up to EOF.
			cmd=${cmd% <<EOF}
			hfile=.stdin
			heredoc=EOF ;;
		'echo $?'|filterd\ *) ;;
		*)	fail "$sw: $sn: unknown command in a session: $cmd"
			cmd="" ;;
		esac
	done
}

run_all() {
# The sample configuration, as installed: the session "sample" runs with it.
make_config sample "$top_srcdir/conf/filterd.conf"
for f in "$@"; do
	extract "$f"
done
n=$(cat "$work/blocks/count")
# Configurations and their files first: sessions may come before them.
i=1
while [ "$i" -le "$n" ]; do
	set -- $(cat "$work/blocks/$i.meta")
	where="$1:$2"
	case "$3" in
	config)	make_config "$4" "$work/blocks/$i.txt" ;;
	file)	mkdir -p "$(config_dir "$4")"
		cp "$work/blocks/$i.txt" "$(config_dir "$4")/$5" ;;
	esac
	i=$((i + 1))
done
i=1
while [ "$i" -le "$n" ]; do
	set -- $(cat "$work/blocks/$i.meta")
	where="$1:$2"
	blk="$work/blocks/$i.txt"
	case "$3" in
	config)
		d=$(config_dir "$4")
		if "$fd" -n -f "$d/filterd.conf" > "$d/.n" 2>&1; then
			pass "$where: config $4: filterd -n accepts it"
		else
			fail "$where: config $4: filterd -n accepts it"
			sed "s#$d/##g; s/^/# /" "$d/.n"
		fi ;;
	file)
		pass "$where: file $5 of config $4" ;;
	session)
		session "$where" "$4" "$blk" ;;
	other)
		pass "$where: not run (other)" ;;
	*)
		fail "$where: the block has a marker (.\\\" example: ... or <!-- example: ... -->)" ;;
	esac
	i=$((i + 1))
done
}

# The sessions run in a pipeline: their failures are counted from the output.
run_all "$@" > "$work/results"
cat "$work/results"
! grep -q '^not ok' "$work/results"
