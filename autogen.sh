#!/bin/sh
# Regenerate the build system from configure.ac and Makefile.am.
#
#   ./autogen.sh          autoreconf only
#   ./autogen.sh --deps   first install what building and testing filterd
#                         needs on Debian 12 (apt-get, through sudo when not
#                         root) and create the unprivileged users "filterd"
#                         and "filterd-worker"
set -e
cd "$(dirname "$0")"

# Debian packages: build dependencies, then the independent test clients.
BUILD_DEPS="build-essential autoconf automake libtool pkg-config
	libmilter-dev libseccomp-dev libcap-dev libpcre2-dev libconfig-dev
	libarchive-dev libidn2-dev libmicrohttpd-dev
	nettle-dev liblzma-dev libbz2-dev zlib1g-dev"
TEST_DEPS="miltertest swaks"

if [ "${1:-}" = --deps ]; then
	sudo=
	[ "$(id -u)" -eq 0 ] || sudo=sudo
	$sudo apt-get update -q
	# shellcheck disable=SC2086
	DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -q \
	    $BUILD_DEPS $TEST_DEPS
	# The users that filterd's processes run as when it is started as
	# root: "user" for the supervisor and spawners, "worker_user" for the
	# workers.  Each gets a group of its own (useradd's default), which
	# filterd requires: the two must differ in uid and group.
	for u in filterd filterd-worker; do
		if ! getent passwd "$u" > /dev/null; then
			$sudo useradd --system --no-create-home \
			    --home-dir /nonexistent --shell /usr/sbin/nologin "$u"
		fi
	done
fi
autoreconf --install --force
