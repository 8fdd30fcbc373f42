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
#  - the code a worker can reach (from worker_run and the built-in
#    modules' checks, function by function) neither logs, nor touches
#    stdio, nor reads the configuration: a worker speaks only through its
#    verdict.
. "${top_srcdir:-$(dirname "$0")/..}/t/tap.sh"

roles="super parent spawner worker offline metrics"
shared="filters sandbox lib"
for r in $roles $shared; do
	[ -f "$top_builddir/libfd_$r.a" ] || skip_all "libfd_$r.a not built"
done
command -v nm > /dev/null && command -v readelf > /dev/null ||
    skip_all "nm and readelf (binutils) not installed"

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

# But for the table of the built-in modules' settings (filters/settings.c),
# which the configuration loader reads as data.
bad=""
for b in filters sandbox; do
	r=$(refs lib "$b" | sed 's/\<config_modules\> *//')
	[ -n "$r" ] && bad="$bad
lib -> $b: $r"
done
ok $([ -z "$bad" ]; echo $?) \
    "filterd/lib references nothing above it but the modules' settings tables"
[ -z "$bad" ] || diag "$bad"

inc=$(cd "$top_srcdir" && grep -n '#include "filterd/[a-z_]*\.h"' \
    filterd/lib/*.[ch] filters/*.[ch] sandbox/*.[ch] 2>/dev/null)
ok $([ -z "$inc" ]; echo $?) "shared code includes no role header"
[ -z "$inc" ] || diag "$inc"

# The worker's reach, function by function (the objects are built with
# -ffunction-sections and -fdata-sections, so each relocation section is
# one function's or one object's): from worker_run and from each built-in
# module as the worker calls it (its struct filter_module: check and free;
# init runs in the spawner), through the program's own table of modules.
ar rc "$TMP/libfd_prog.a" "$top_builddir/filters/builtin.o"
libs="$top_builddir/libfd_worker.a $top_builddir/libfd_filters.a
    $top_builddir/libfd_lib.a $top_builddir/libfd_sandbox.a $TMP/libfd_prog.a"
for a in $libs; do nm -A "$a"; done 2>/dev/null |
    awk -F: '{ split($3, f, " "); if (f[2] ~ /^[tdrb]$/) print $2, f[3] }' \
    > "$TMP/locals"
for a in $libs; do readelf -rW "$a"; done > "$TMP/relocs" 2>/dev/null
mods=$(nm --defined-only "$top_builddir/libfd_filters.a" |
    awk '$2 ~ /^[DR]$/ && $3 ~ /^filter_[a-z]+$/ { print $3 }' | tr '\n' ' ')
awk -v roots="worker_run $mods" -f "$top_srcdir/t/reach.awk" \
    "$TMP/locals" "$TMP/relocs" > "$TMP/reach"
diag "the worker runs from worker_run and $mods"
ok $(grep -qx 'rules.o:rules_check' "$TMP/reach" &&
    grep -qx 'pcre2_match_8' "$TMP/reach" &&
    ! grep -q 'rules_init' "$TMP/reach"; echo $?) \
    "the checker follows calls: rules_check and pcre2_match, not rules_init"
io=$(grep -E '^(.*:)?(log_[a-z_]+|fatalx?|printf|fprintf|vfprintf|dprintf|puts|fputs|fputc|putc|putchar|fwrite|fopen|fdopen|fflush|perror|syslog|vsyslog|openlog|stdout|stderr|config_[a-z_]+|conf_[a-z_]+)$' \
    "$TMP/reach")
ok $([ -z "$io" ]; echo $?) \
    "code the worker calls neither logs, nor uses stdio, nor reads the configuration"
[ -z "$io" ] || diag "$io"
tap_done
