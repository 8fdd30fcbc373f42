#!/bin/sh
# 64-ops-install: "make install" as a package would use it (issue 11,
# item 4).  It never overwrites an edited configuration; it installs the
# hardened systemd unit, which systemd-analyze rates at most 5.0 and
# verifies; filter.h, filterd.pc and the example module, which builds
# against the installed tree with pkg-config and loads with filterd -n.
. "${top_srcdir:-$(dirname "$0")/..}/t/tap.sh"

command -v make > /dev/null 2>&1 || skip_all "make is missing"
command -v pkg-config > /dev/null 2>&1 || skip_all "pkg-config is missing"

plan 20

D="$TMP/dest"
# Not the parent make's jobs or flags: a plain install of what is built.
inst() { env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL \
    make -s -C "$top_builddir" "$@" DESTDIR="$D" 2>&1; }
# Where configure put things, as make expands them.
env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL make -s -C "$top_builddir" \
    --no-print-directory print-install-dirs > "$TMP/dirs"
var() { sed -n "s/^$1=//p" "$TMP/dirs"; }
sbindir=$(var sbindir)
sysconfdir=$(var sysconfdir)
unitdir=$(var systemdsystemunitdir)
pcdir=$(var pkgconfigdir)
incdir=$(var pkgincludedir)
exdir=$(var exampledir)
[ -n "$sbindir" ] && [ -n "$unitdir" ] || {
	echo "Bail out! cannot read the installation directories"; exit 1; }

# 1. A first install: the sample becomes filterd.conf.
out=$(inst install); rc=$?
ok $rc "make install DESTDIR=... succeeds"
[ $rc -eq 0 ] || diag "$out"
conf="$D$sysconfdir/filterd/filterd.conf"
cmp -s "$conf" "$top_srcdir/conf/filterd.conf"
ok $? "a first install puts the sample at filterd.conf"

# 2. An edited file survives the next install; the sample goes beside it.
echo '# edited by the administrator' >> "$conf"
out=$(inst install); rc=$?
ok $rc "a second make install succeeds"
grep -q '^# edited by the administrator$' "$conf"
ok $? "the edited filterd.conf is kept"
cmp -s "$conf.sample" "$top_srcdir/conf/filterd.conf"
ok $? "the new sample is filterd.conf.sample"
like "$out" 'filterd\.conf exists and is kept' "make install says so"

# 3. The unit: installed, with this installation's paths, rated <= 5.0.
unit="$D$unitdir/filterd.service"
[ -f "$unit" ]
ok $? "the systemd unit is installed ($unitdir)"
grep -q "^ExecStart=$sbindir/filterd -d -f $sysconfdir/filterd/filterd.conf$" \
    "$unit"
ok $? "its ExecStart names the installed program and configuration"
grep -q '^Type=notify$' "$unit" && grep -q '^RuntimeDirectory=filterd$' "$unit"
ok $? "Type=notify and RuntimeDirectory=filterd"
like "$(grep '^CapabilityBoundingSet=' "$unit")" \
    '^CapabilityBoundingSet=CAP_SETUID CAP_SETGID CAP_SETPCAP CAP_SYS_ADMIN CAP_SYS_CHROOT$' \
    "its capability bounding set is what filterd needs"
if command -v systemd-analyze > /dev/null 2>&1; then
	out=$(systemd-analyze security --offline=true "$unit" 2>&1)
	score=$(printf '%s\n' "$out" |
	    sed -n 's/.*Overall exposure level for .*: \([0-9.]*\).*/\1/p')
	diag "systemd-analyze security: ${score:-?}"
	awk -v s="${score:-99}" 'BEGIN { exit !(s <= 5.0) }'
	ok $? "systemd-analyze security --offline rates it ${score:-?} (at most 5.0)"
	# verify wants the programs the unit runs where it says: a copy
	# that points into DESTDIR.
	mkdir -p "$TMP/unit"
	sed "s#$sbindir/#$D$sbindir/#g" "$unit" > "$TMP/unit/filterd.service"
	out=$(systemd-analyze verify --man=no "$TMP/unit/filterd.service" 2>&1)
	rc=$?
	unlike "$out" '[Uu]nknown|[Ii]nvalid|not executable|[Ff]ailed' \
	    "systemd-analyze verify finds nothing wrong (exit $rc)"
else
	ok 0 "# SKIP systemd-analyze is missing (Debian package systemd)"
	ok 0 "# SKIP systemd-analyze is missing (Debian package systemd)"
fi

# 4. filter.h, filterd.pc, the example: built with pkg-config only.
[ -f "$D$incdir/filter.h" ]
ok $? "filter.h is installed in $incdir"
[ -f "$D$pcdir/filterd.pc" ]
ok $? "filterd.pc is installed in $pcdir"
export PKG_CONFIG_PATH="$D$pcdir" PKG_CONFIG_SYSROOT_DIR="$D"
like "$(pkg-config --cflags filterd 2>&1)" "-I$D$incdir( |\$)" \
    "pkg-config --cflags filterd names the installed headers"
like "$(pkg-config --variable=abi_version filterd 2>&1)" '^[0-9]+$' \
    "filterd.pc says which module ABI"
[ -f "$D$exdir/example.c" ] && [ -f "$D$exdir/Makefile.example" ]
ok $? "the example module's source is installed in $exdir"
mkdir -p "$TMP/build"
cp "$D$exdir/example.c" "$D$exdir/Makefile.example" "$TMP/build/"
out=$(env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL \
    make -s -C "$TMP/build" -f Makefile.example 2>&1)
ok $? "the example builds against the installed tree"
[ -n "$out" ] && diag "$out"

# 5. filterd -n loads it (as root, the check runs as user: it must read
# the module, so the test's directory is opened up).
chmod 0755 "$TMP" "$TMP/build"
conf_for "$top_srcdir/t/data/e2e.conf" > /dev/null
sed "s#/usr/local/lib/filterd/example.so#$TMP/build/example.so#" \
    "$D$exdir/example.conf" >> "$TMP/filterd.conf"
out=$("$D$sbindir/filterd" -n -f "$TMP/filterd.conf" 2>&1); rc=$?
ok $rc "the installed filterd -n loads the module built against it"
[ $rc -eq 0 ] || diag "$out"

# 6. Uninstall leaves the administrator's file, and nothing of ours.
inst uninstall > /dev/null
left=$(cd "$D" && find . -type f ! -path "./${sysconfdir#/}/filterd/filterd.conf" | head -5)
ok $([ -z "$left" ] && echo 0 || echo 1) "make uninstall removes what it installed${left:+ (left: $left)}"

tap_done
