#!/bin/sh
# 33-storm-p2: t/33-storm.sh with an MTA that offers no no-reply step (Postfix's
# milter_protocol = 2): filterd replies at every step, as it always did.
MCLIENT_PROTOCOL=2
export MCLIENT_PROTOCOL
exec ${SHELL:-/bin/sh} "${top_srcdir:-$(dirname "$0")/..}/t/33-storm.sh" "$@"
