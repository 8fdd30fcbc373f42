#!/bin/sh
# 50-postfix-p2: t/50-postfix.sh with Postfix's milter_protocol = 2, which
# offers filterd no no-reply step: every step answered, every message
# delivered as before.
PF_MILTER_PROTOCOL=2
export PF_MILTER_PROTOCOL
exec bash "${top_srcdir:-$(dirname "$0")/..}/t/50-postfix.sh" "$@"
