#!/bin/bash
# 61-opensmtpd7.sh -- filterd end to end behind a real OpenSMTPD 7.6
# (Debian 13 "trixie"'s, filter protocol 0.7), run on this Debian 12 with
# trixie's libraries, as /work/shared/recipes/opensmtpd-7.md describes: the
# same cases as t/60-opensmtpd.sh (6.8), from t/lib-opensmtpd.sh, which
# also sets smtpd 7.6 up.  Skips, saying why, when the trixie archive does
# not answer.
#
# Environment: top_srcdir, top_builddir; OPENSMTPD7_ROOT (the cache of
# the patched smtpd and its libraries; default
# $top_builddir/t/opensmtpd7-root, filled on first use);
# OPENSMTPD7_MIRROR (a Debian mirror with trixie; default
# http://deb.debian.org/debian); FILTERD_CMD; T61_LIMIT (seconds for the
# whole test); KEEP_TMP=1.

E2E_LIMIT=${T61_LIMIT:-300} E2E_KILL=30
. "$(dirname "$0")/lib-e2e.sh"

. "$top_srcdir/t/tap.sh"
. "$top_srcdir/t/lib-opensmtpd.sh"

osmtpd_main 7.6
