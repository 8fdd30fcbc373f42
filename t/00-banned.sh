#!/bin/sh
# 00-banned: no unbounded string function anywhere in the project's C code.
top=${top_srcdir:-$(dirname "$0")/..}
echo 1..2
hits=$(cd "$top" && grep -nE '\b(strcpy|strcat|sprintf|vsprintf|gets|strtok)[[:space:]]*\(' \
	filterd/*.[ch] filters/*.[ch] sandbox/*.[ch] t/*.[ch] 2>/dev/null)
if [ -z "$hits" ]; then
	echo "ok 1 - no strcpy, strcat, sprintf, vsprintf, gets or strtok"
else
	echo "not ok 1 - banned calls found"
	echo "$hits" | sed 's/^/# /'
fi
files=$(cd "$top" && grep -lE '\bfork[[:space:]]*\(' filterd/*.c | xargs -r grep -l 'smfi_')
if [ -z "$files" ]; then
	echo "ok 2 - no file both forks and calls libmilter"
else
	echo "not ok 2 - fork() next to smfi_* in: $files"
fi
