#!/bin/sh
# 20-milter-p2: t/20-milter.sh with an MTA that offers no no-reply step (Postfix's
# milter_protocol = 2): filterd replies at every step, as it always did.
MCLIENT_PROTOCOL=2
export MCLIENT_PROTOCOL
exec ${SHELL:-/bin/sh} "${top_srcdir:-$(dirname "$0")/..}/t/20-milter.sh" "$@"
