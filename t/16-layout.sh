#!/bin/sh
# 16-layout: the layout is the architecture, and nm says so.  Each process
# role is built into its own static library (Makefile.am): libfd_super,
# libfd_parent, libfd_spawner, libfd_worker and libfd_offline; code that
# several roles run is in libfd_lib (filterd/lib/), libfd_filters
# (filters/) and libfd_sandbox (sandbox/).  Checked here:
#  - a role references no other role's symbols, but for the three calls
#    the design makes: the spawner runs the worker it forks, filterd -t
#    runs the supervisor's dispatcher and answer layer and starts its
#    spawner as the parent does;
#  - shared code references no role's symbols, and includes no role header;
#  - filterd/lib/ references nothing above it;
#  - the code a worker can reach (worker.o and what its references pull
#    in, object by object) neither logs nor touches stdio: a worker speaks
#    only through its verdict.
. "${top_srcdir:-$(dirname "$0")/..}/t/tap.sh"

roles="super parent spawner worker offline"
shared="filters sandbox lib"
for r in $roles $shared; do
	[ -f "$top_builddir/libfd_$r.a" ] || skip_all "libfd_$r.a not built"
done
command -v nm > /dev/null || skip_all "nm (binutils) not installed"

export LC_ALL=C
plan 7

# The defined and the undefined symbols of each library, one a line.
for r in $roles $shared; do
	nm --defined-only "$top_builddir/libfd_$r.a" 2>/dev/null |
	    awk 'NF == 3 && $2 ~ /[TDBRC]/ { print $3 }' | sort -u \
	    > "$TMP/def.$r"
	nm -u "$top_builddir/libfd_$r.a" 2>/dev/null |
	    awk 'NF == 2 { print $2 }' | sort -u > "$TMP/und.$r"
done

# refs A B: the symbols of B that A references.
refs() { comm -12 "$TMP/und.$1" "$TMP/def.$2" | tr '\n' ' '; }

allowed() {
	case "$1>$2" in
	spawner\>worker|offline\>super|offline\>parent) return 0 ;;
	esac
	return 1
}

bad=""
for a in $roles; do
	for b in $roles; do
		[ "$a" = "$b" ] && continue
		allowed "$a" "$b" && continue
		r=$(refs "$a" "$b")
		[ -n "$r" ] && bad="$bad
$a -> $b: $r"
	done
done
ok $([ -z "$bad" ]; echo $?) "no role references another role's symbols"
[ -z "$bad" ] || diag "$bad"

# The checks above must be able to fail: the supervisor's library does
# define what the milter frontend uses, and offline does use it.
ok $([ -n "$(refs offline super)" ] && [ -n "$(refs spawner worker)" ]
    echo $?) "the checker sees the references the design allows"

bad=""
for a in $shared; do
	for b in $roles; do
		r=$(refs "$a" "$b")
		[ -n "$r" ] && bad="$bad
$a -> $b: $r"
	done
done
ok $([ -z "$bad" ]; echo $?) "shared code references no role's symbols"
[ -z "$bad" ] || diag "$bad"

bad=""
for b in filters sandbox; do
	r=$(refs lib "$b")
	[ -n "$r" ] && bad="$bad
lib -> $b: $r"
done
ok $([ -z "$bad" ]; echo $?) "filterd/lib references nothing above it"
[ -z "$bad" ] || diag "$bad"

inc=$(cd "$top_srcdir" && grep -n '#include "filterd/[a-z_]*\.h"' \
    filterd/lib/*.[ch] filters/*.[ch] sandbox/*.[ch] 2>/dev/null)
ok $([ -z "$inc" ]; echo $?) "shared code includes no role header"
[ -z "$inc" ] || diag "$inc"

# The worker's reach, object by object; the program's own table of
# built-in modules and the module API (filters/builtin.c, filter.c) too.
if [ -f "$top_builddir/filters/builtin.o" ] &&
    [ -f "$top_builddir/filters/filter.o" ]; then
	ar rc "$TMP/libfd_prog.a" "$top_builddir/filters/builtin.o" \
	    "$top_builddir/filters/filter.o"
fi
lib() { if [ "$1" = prog ]; then echo "$TMP/libfd_prog.a"
	else echo "$top_builddir/libfd_$1.a"; fi; }
for r in worker filters lib sandbox prog; do
	nm -A --defined-only "$(lib $r)" 2>/dev/null |
	    awk -F: '{ split($3, f, " "); if (f[2] ~ /[TDBRC]/) print f[3], $1 ":" $2 }'
done | sort -u > "$TMP/where"
for r in worker filters lib sandbox prog; do
	nm -A -u "$(lib $r)" 2>/dev/null |
	    awk -F: '{ split($3, f, " "); print $1 ":" $2, f[2] }'
done | sort -u > "$TMP/uses"
reach=$(grep -m1 '^worker_run ' "$TMP/where" | awk '{ print $2 }')
new=$reach
while [ -n "$new" ]; do
	next=""
	for o in $new; do
		for d in $(awk -v o="$o" '$1 == o { print $2 }' "$TMP/uses" |
		    sort -u | join - "$TMP/where" | awk '{ print $2 }' |
		    sort -u); do
			case " $reach $next " in
			*" $d "*) ;;
			*) next="$next $d" ;;
			esac
		done
	done
	reach="$reach $next"
	new=$next
done
diag "the worker reaches:$(printf ' %s' $reach | sed 's#[^ ]*/##g')"
ok $(printf '%s\n' $reach | grep -q 'libfd_filters.a:rules.o' ; echo $?) \
    "the worker's reach includes the rules module"
io=$(for o in $reach; do awk -v o="$o" '$1 == o { print o, $2 }' \
    "$TMP/uses"; done | grep -E ' (log_[a-z_]+|fatalx?|printf|fprintf|vfprintf|dprintf|puts|fputs|fputc|putc|putchar|fwrite|fopen|fdopen|fflush|perror|syslog|vsyslog|openlog|stdout|stderr)$')
ok $([ -z "$io" ]; echo $?) "code the worker calls neither logs nor uses stdio"
[ -z "$io" ] || diag "$io"
tap_done
