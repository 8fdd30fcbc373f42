# lib-e2e.sh -- the prologue of the end-to-end tests (t/40, t/50, t/60, t/61),
# sourced first, by sh or bash.  Re-runs the test under bash, then under
# timeout(1) for E2E_LIMIT seconds (SIGKILL E2E_KILL seconds later), so
# that nothing can hang "make check"; sets "here" (the t/ directory) and
# exports top_srcdir and top_builddir (defaults: here/.. and top_srcdir).
# Stopped by the time limit or by hand (INT, TERM, HUP), the test prints a
# TAP bail-out and exits 1, so that its EXIT trap cleans up.

if [ -z "${BASH_VERSION:-}" ]; then
	exec bash "$0" "$@"
fi
set -u

here=$(cd "$(dirname "$0")" && pwd)
: "${top_srcdir:=$(cd "$here/.." && pwd)}"
: "${top_builddir:=$top_srcdir}"
export top_srcdir top_builddir

if [ -z "${E2E_UNDER_TIMEOUT:-}" ] && command -v timeout >/dev/null 2>&1
then
	export E2E_UNDER_TIMEOUT=1
	exec timeout -k "${E2E_KILL:-60}" "${E2E_LIMIT:-300}" bash "$0" "$@"
fi

trap "echo 'Bail out! interrupted (time limit ${E2E_LIMIT:-300}s?)'; exit 1" \
    INT TERM HUP
