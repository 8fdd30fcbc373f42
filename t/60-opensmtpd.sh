#!/bin/bash
# 60-opensmtpd.sh -- filterd end to end behind a real OpenSMTPD 6.8
# (Debian 12's, filter protocol 0.6).  The cases, the set-up and what they
# need are in t/lib-opensmtpd.sh, shared with t/61-opensmtpd7.sh (7.6).
#
# Environment: top_srcdir, top_builddir; OPENSMTPD_ROOT (an unpacked
# opensmtpd package; default $top_builddir/t/opensmtpd-root, filled on
# first use); OPENSMTPD_DEB (a .deb to unpack instead of downloading);
# FILTERD_CMD (replaces t/filterd-hostile); T60_LIMIT (seconds for the
# whole test); KEEP_TMP=1.

# The prologue: bash, the time limit, the paths (t/lib-e2e.sh).
E2E_LIMIT=${T60_LIMIT:-240} E2E_KILL=30
. "$(dirname "$0")/lib-e2e.sh"

. "$top_srcdir/t/tap.sh"
. "$top_srcdir/t/lib-opensmtpd.sh"

osmtpd_main 6.8
