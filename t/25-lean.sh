#!/bin/sh
# 25-lean: spawners and workers run the lean spawner program, as /proc
# shows them on a running filterd.  The parent execs filterd-spawner, not
# filterd; neither a spawner nor a worker it forked maps libmilter, libcap,
# filterd's own program, or any library but libc, the dynamic loader,
# PCRE2, libconfig, libseccomp, libzstd and libunistring (libarchive and
# libidn2 are linked in); and each has at most LEAN_MAPS_MAX
# mappings.  Each fork copies every mapping and each worker's exit tears
# them down, so the count is the cost (README, "How it is built").
#
# The bound, from /proc/PID/maps on x86_64 Debian 12 (Linux 6.x): six
# objects of up to five mappings each (the program, ld.so, libc, PCRE2,
# libseccomp; libconfig has four), 29; the kernel's [vvar], [vvar_vclock],
# [vdso], [vsyscall] and [stack], 5; [heap], the program's .bss, libc's
# own, the sealed JIT code and its data, PCRE2's JIT stack, and one or two
# more anonymous regions, 7 -- 41.  Then what the worker's views need
# (issue 12): libzstd and libunistring, 5 each; the locale's LC_CTYPE,
# gconv-modules.cache and UTF-16.so (4), loaded before the sandbox so that
# archive entry names convert -- 56 to 58.  The bound leaves two for
# another kernel or libc; one more library (four mappings at least) breaks
# it.  filterd's own image, with libmilter and libcap, had 52; with a
# shared libarchive and its dependencies (libxml2, ICU, libstdc++, ...),
# 131.
#
# FILTERD=path runs another filterd (to see this test fail on one that
# execs itself as its spawner).
. "${top_srcdir:-$(dirname "$0")/..}/t/tap.sh"

LEAN_MAPS_MAX=60
filterd=${FILTERD:-$top_builddir/filterd/filterd}
[ -x "$filterd" ] || skip_all "$filterd not built"
[ -d /proc/self ] || skip_all "no /proc"
sanitizers=0
grep -q '^#define FD_SANITIZERS 1' "$top_builddir/autoconf.h" 2>/dev/null &&
    sanitizers=1

plan 11
sock=$(conf_for "$top_srcdir/t/data/e2e.conf")
start_filterd "$filterd"
ok $? "filterd starts"

# A spawner (its name is set by the program, old or new) and a worker it
# forked, their maps read while both run, within 10 s: a worker lives a
# second or so in the supervisor's stock.
spawner="" worker="" i=0
lean_find() {
	for p in $(ps -o pid= --ppid "$filterd_pid"); do
		[ "$(cat "/proc/$p/comm" 2>/dev/null)" = filterd-spawner ] ||
		    continue
		for w in $(ps -o pid= --ppid "$p"); do
			[ "$(cat "/proc/$w/comm" 2>/dev/null)" = \
			    filterd-worker ] || continue
			cat "/proc/$p/maps" > "$TMP/spawner.maps" 2>/dev/null &&
			    cat "/proc/$w/maps" > "$TMP/worker.maps" \
			    2>/dev/null &&
			    exe=$(readlink "/proc/$p/exe") &&
			    wexe=$(readlink "/proc/$w/exe") &&
			    [ -s "$TMP/spawner.maps" ] &&
			    [ -s "$TMP/worker.maps" ] || continue
			spawner=$p worker=$w
			return 0
		done
	done
	return 1
}
while ! lean_find && [ $i -lt 100 ]; do
	sleep 0.1
	i=$((i + 1))
done
ok $([ -n "$worker" ]; echo $?) "a spawner and its worker found"
diag "parent $filterd_pid, spawner $spawner, worker $worker"

# Mail flows through them.
printf 'From: a@example.org\nSubject: lean\n\nhello\n' > "$TMP/m.eml"
mclient -s "unix:$sock" -f a@example.org -r b@example.net -m "$TMP/m.eml" \
    > /dev/null 2>&1
wait_log "$TMP/filterd.log" 'action=accept'
ok $? "a message gets a worker's verdict"

diag "spawner runs $exe"
ok $([ "${exe##*/}" = filterd-spawner ]; echo $?) \
    "the spawner runs the program filterd-spawner"
ok $([ -n "$wexe" ] && [ "$wexe" = "$exe" ]; echo $?) "and so does its worker"

# The objects mapped, by file name: "libc.so.6", "filterd-spawner".
objects() {
	awk '$6 ~ /^\// { n = split($6, p, "/"); print p[n] }' "$1" | sort -u
}
# libzstd and libunistring: the two of libarchive's and libidn2's
# dependencies that Debian 12 has no archive of (configure.ac); the locale
# and converters that the spawner loads before its sandbox, for archive
# entry names (filters/view.c): LC_CTYPE, gconv-modules.cache, UTF-16.so.
allowed='^(filterd-spawner|ld-linux[-a-z0-9_.]*\.so\.[0-9]+|libc\.so\.6|libpcre2-8\.so[.0-9]*|libconfig\.so[.0-9]*|libseccomp\.so[.0-9]*|libzstd\.so[.0-9]*|libunistring\.so[.0-9]*|LC_CTYPE|gconv-modules\.cache|UTF-16\.so)$'
for who in spawner worker; do
	o=$(objects "$TMP/$who.maps")
	# The sanitizers' runtime brings libstdc++ of its own.
	forbid='libmilter|libcap|libsystemd|libmicrohttpd|libarchive|libxml2|libicu[a-z]*|libpthread'
	[ "$sanitizers" = 1 ] || forbid="$forbid|libstdc\\+\\+"
	unlike "$o" "^($forbid)\\.|^filterd\$" \
	    "the $who maps neither libmilter, libcap (nor libsystemd, libmicrohttpd, a shared libarchive with libxml2 and ICU) nor filterd"
	if [ "$sanitizers" = 1 ]; then
		tap_n=$((tap_n + 1))
		echo "ok $tap_n # SKIP the sanitizers' runtime is mapped too"
		continue
	fi
	extra=$(printf '%s\n' "$o" | grep -Ev "$allowed")
	ok $([ -z "$extra" ]; echo $?) \
	    "the $who maps no object but the program, libc, ld.so, PCRE2, libconfig, libseccomp, libzstd, libunistring and the locale"
	[ -z "$extra" ] || diag "also mapped: $(echo $extra)"
done

for who in spawner worker; do
	n=$(wc -l < "$TMP/$who.maps")
	diag "$who: $n mappings"
	if [ "$sanitizers" = 1 ]; then
		tap_n=$((tap_n + 1))
		echo "ok $tap_n # SKIP ASan's shadow memory is many mappings"
		continue
	fi
	ok $([ "$n" -gt 0 ] && [ "$n" -le "$LEAN_MAPS_MAX" ]; echo $?) \
	    "the $who has at most $LEAN_MAPS_MAX mappings ($n)"
done
tap_done
