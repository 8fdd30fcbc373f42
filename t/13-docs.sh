#!/bin/sh
# 13-docs: the documentation says what the code does.  Every setting that
# "filterd -T" prints (and every entry of a settings table: conf_keys[] in
# filterd/lib/config.c, a built-in module's in filters/) is in the sample
# configuration, inside its group, and has an ".It Ic group.key" entry in
# filterd.conf(5); every rule key and action of filters/rules.c and every
# module key of config.c is in the RULES and MODULES sections of that page;
# every option of main.c's getopt string and long option table (with
# offline.h's OFFLINE_LONGOPTS) is in filterd(8)'s SYNOPSIS and option
# list; every exit status of filterd -t is in its EXIT STATUS; and the
# pages pass mandoc's (or groff's) checks.
. "${top_srcdir:-$(dirname "$0")/..}/t/tap.sh"

fd="$top_builddir/filterd/filterd"
conf="$top_srcdir/conf/filterd.conf"
config_c="$top_srcdir/filterd/lib/config.c"
rules_c="$top_srcdir/filters/rules.c"
main_c="$top_srcdir/filterd/main.c"
offline_h="$top_srcdir/filterd/offline.h"
man8="$top_srcdir/man/filterd.8"
man5="$top_srcdir/man/filterd.conf.5"
man3="$top_srcdir/man/filterd-module.3"

# Options that filterd passes to itself and usage() does not show: none
# since spawners are a program of their own (filterd-spawner, whose options
# are for the parent alone).  Each must stay out of usage(), or be
# documented like the others.
internal_opts=""

[ -x "$fd" ] || skip_all "$fd not built"

# An extended regex that matches the string s literally.
re() { printf '%s\n' "$1" | sed 's/[].[\\*^$+?(){}|]/\\&/g'; }

# The lines of a man page section: section PAGE NAME.
section() {
	awk -v s="$2" '$0 == ".Sh " s { f = 1; next } /^\.Sh / { f = 0 } f' \
	    "$1"
}

# The strings of a C array: c_array FILE NAME ("name[...] = {" to "};").
c_array() {
	awk -v n="$2" 'index($0, " " n "[") && / = \{$/ { f = 1; next }
	    f && /^};/ { f = 0 } f' "$1" |
	    grep -o '"[^"]*"' | tr -d '"'
}

# Settings as "filterd -T" prints them: "key" or "group.key".
dump_keys() {
	"$fd" -T -f "$conf" | awk '
	    /^[A-Za-z_][A-Za-z0-9_]* = \($/ { skip = 1; next }
	    skip { if ($0 ~ /^\);$/) skip = 0; next }
	    /^[A-Za-z_][A-Za-z0-9_]* = \{$/ { g = $1 "."; next }
	    /^\};$/ { g = ""; next }
	    /^[ \t]*[A-Za-z_][A-Za-z0-9_]* = / { print g $1 }'
}

# Every "name =" of the sample configuration with the groups it is in, as
# "group.name"; names inside an anonymous group (a rule, a module) start
# with "*.".  Commented-out settings count too, in the group around them.
sample_keys() {
	awk '
	function path(name,	i, p) {
		p = ""
		for (i = 1; i <= nu; i++)
			p = p us[i] "."
		for (i = 1; i <= nc; i++)
			p = p cs[i] "."
		return p name
	}
	function push(name) {
		if (commented)
			cs[++nc] = name
		else
			us[++nu] = name
	}
	function pop() {
		if (commented) {
			if (nc > 0)
				nc--
		} else if (nu > 0)
			nu--
	}
	{
		line = $0
		gsub(/"([^"\\]|\\.)*"/, "\"\"", line)
		commented = line ~ /^[ \t]*(#|\/\/)/
		if (commented)
			sub(/^[ \t]*(#+|\/\/+)/, "", line)
		else {
			sub(/(#|\/\/).*$/, "", line)
			if (line ~ /[^ \t]/)
				nc = 0
		}
		while (match(line, /[A-Za-z_][A-Za-z0-9_-]*[ \t]*[=:][ \t]*\{|[A-Za-z_][A-Za-z0-9_-]*[ \t]*[=:]|\{|\}/)) {
			tok = substr(line, RSTART, RLENGTH)
			line = substr(line, RSTART + RLENGTH)
			if (tok == "{")
				push("*")
			else if (tok == "}")
				pop()
			else {
				name = tok
				sub(/[ \t]*[=:].*$/, "", name)
				print path(name)
				if (tok ~ /\{$/)
					push(name)
			}
		}
	}' "$conf"
}

# The option letters of a getopt string, one a line.
letters() { printf '%s\n' "$1" | tr -d ':' | fold -w 1; }

# The words after "Fl" in the SYNOPSIS of filterd(8), one a line.
synopsis_flags() {
	section "$man8" SYNOPSIS | awk '{
		for (i = 1; i < NF; i++)
			if ($i == "Fl" || $i == ".Fl")
				print $(i + 1)
	}'
}

# The string literals of usage() in main.c, joined.
usage_text() {
	awk '/^usage\(void\)/ { f = 1 } f && /^}/ { f = 0 } f' "$main_c" |
	    grep -o '"[^"]*"' | tr -d '"' | tr -d '\n'
}

# -- Collect what the code has.
# Settings tables (the core's conf_keys[], each built-in module's in
# filters/) have entries { "path", T_..., OFF(...), "default", ... }: only
# the first string of each entry is a path.
keys=$( (dump_keys; awk '/struct conf_key [a-z_]*\[\] = \{/ { f = 1; next }
    f && /^};/ { f = 0 } f && /\{ "/ { s = $0; sub(/^[^"]*"/, "", s);
    sub(/".*$/, "", s); print s }' "$config_c" "$top_srcdir"/filters/*.c) |
    sort -u)
rule_keys=$(c_array "$rules_c" rule_keys)
module_keys=$(c_array "$config_c" module_keys)
getopt=$(sed -n 's/.*getopt[_long]*([^"]*"\([^"]*\)".*/\1/p' "$main_c" |
    head -n 1)
long_opts=$(awk '/longopts\[\] = \{/ { f = 1; next } f && /};/ { f = 0 }
    f && /\{ "/ { s = $0; sub(/^[^"]*"/, "", s); sub(/".*$/, "", s);
    print s }' "$main_c"
    # filterd -t's, which main.c's table takes from offline.h.
    awk '/^#define OFFLINE_LONGOPTS/ { f = 1; next } f && /\{ "/ { s = $0;
    sub(/^[^"]*"/, "", s); sub(/".*$/, "", s); print s } f && !/\\$/ { f = 0 }' \
    "$offline_h")
exits=$(sed -n 's/^#define OFFLINE_[A-Z_]*[ \t]*\([0-9][0-9]*\).*/\1/p' \
    "$offline_h")
actions=$(sed -n 's/.*strcmp(a, "\([a-z-]*\)") == 0.*/\1/p' "$rules_c"
    c_array "$top_srcdir/filterd/lib/verdict.c" action_names | grep -vx none)

[ -n "$keys" ] && [ -n "$rule_keys" ] && [ -n "$module_keys" ] &&
    [ -n "$getopt" ] && [ -n "$exits" ] ||
    { echo "Bail out! cannot read the settings, rule keys, module keys," \
    "options or exit statuses from the sources"; exit 1; }

n() { printf '%s\n' "$1" | grep -c .; }
nopt=$(letters "$getopt" | grep -c .)
plan $(( 2 * $(n "$keys") + $(n "$rule_keys") + $(n "$module_keys") +
    $(n "$actions") + 2 * nopt + 2 * $(n "$long_opts") + $(n "$exits") + 3 ))

# -- Settings: the sample configuration and filterd.conf(5).
sample=$(sample_keys)
for k in $keys; do
	printf '%s\n' "$sample" | grep -qx -- "$k"
	ok $? "setting $k is in conf/filterd.conf, in its group"
	grep -Eq "^\.It Ic $(re "$k")( |\$)" "$man5"
	ok $? "setting $k has .It Ic $k in filterd.conf.5"
done

# -- Rules and modules: their sections of filterd.conf(5).
rules_sec=$(section "$man5" RULES)
for k in $rule_keys; do
	printf '%s\n' "$rules_sec" | grep -Eq "^\.It Ic $(re "$k")( |\$)"
	ok $? "rule key $k has .It Ic $k in RULES of filterd.conf.5"
done
for a in $actions; do
	printf '%s\n' "$rules_sec" | grep -Eq "^\.It Cm $(re "$a")\$"
	ok $? "rule action $a has .It Cm $a in RULES of filterd.conf.5"
done
modules_sec=$(section "$man5" MODULES)
for k in $module_keys; do
	printf '%s\n' "$modules_sec" | grep -Eq "^\.It Ic $(re "$k")( |\$)"
	ok $? "module key $k has .It Ic $k in MODULES of filterd.conf.5"
done

# -- Options: filterd(8)'s SYNOPSIS and option list.
flags=$(synopsis_flags)
usage=$(usage_text)
for o in $(letters "$getopt"); do
	described=$(grep -c "^\.It Fl $o\( \|\$\)" "$man8")
	if printf '%s\n' "$internal_opts" | grep -q -- "$o"; then
		unlike "$usage" "-[A-Za-z]*$o" \
		    "-$o is internal (not in usage()), so not in the SYNOPSIS"
		ok $([ "$described" -eq 0 ]; echo $?) \
		    "and not in the option list of filterd.8"
		continue
	fi
	printf '%s\n' "$flags" | grep -v '^-' | grep -q -- "$o"
	ok $? "option -$o is in the SYNOPSIS of filterd.8"
	ok $([ "$described" -eq 1 ]; echo $?) \
	    "option -$o has .It Fl $o in filterd.8"
done
for o in $long_opts; do
	printf '%s\n' "$flags" | grep -qx -- "-$o"
	ok $? "option --$o is in the SYNOPSIS of filterd.8"
	grep -q "^\.It Fl -$o\( \|\$\)" "$man8"
	ok $? "option --$o has .It Fl -$o in filterd.8"
done

# -- Exit statuses of filterd -t.
exit_sec=$(section "$man8" "EXIT STATUS")
for s in $exits; do
	printf '%s\n' "$exit_sec" | grep -qx "\.It $s"
	ok $? "exit status $s of filterd -t is in EXIT STATUS of filterd.8"
done

# -- The pages are well-formed.
for page in "$man8" "$man5" "$man3"; do
	name=$(basename "$page")
	if command -v mandoc > /dev/null 2>&1; then
		out=$(mandoc -T lint -W warning "$page" 2>&1 | grep -v 'mandoc\.db')
		tool="mandoc -T lint"
	elif command -v groff > /dev/null 2>&1; then
		out=$(groff -mdoc -ww -z "$page" 2>&1)
		tool="groff -mdoc -ww"
	else
		echo "ok $((tap_n = tap_n + 1)) - $name # SKIP neither mandoc" \
		    "nor groff is installed"
		continue
	fi
	ok $([ -z "$out" ]; echo $?) "$name has no warnings from $tool"
	[ -z "$out" ] || diag "$out"
done
tap_done
