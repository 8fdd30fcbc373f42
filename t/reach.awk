# reach.awk: which functions and objects a set of roots can reach, read
# from the relocations of objects built with -ffunction-sections and
# -fdata-sections (readelf -rW), for t/16-layout.sh.
#
# Input, in this order, each file once:
#   locals	"object symbol" for every symbol local to its object (nm);
#   relocs	readelf -rW of every archive, one after the other;
# and -v roots="a b c" (global names).  Prints every node reached, one a
# line: a global symbol's name, or "object:name" for a local one; names
# that no object defines (libc's) are nodes too, so they show.

# A section's name to the symbol it holds: .text.f, .text.unlikely.f,
# .data.rel.ro.local.x ...; "" for what holds no symbol of its own.
function secsym(s) {
	sub(/^\.rela/, "", s)
	if (s ~ /^\.text\./) {
		sub(/^\.text\.((unlikely|hot|startup|exit)\.)?/, "", s)
	} else if (s ~ /^\.(data|rodata|bss|tdata|tbss)\./) {
		sub(/^\.(data\.rel\.ro\.local|data\.rel\.ro|data\.rel\.local|data\.rel|data|rodata|bss|tdata|tbss)\./, "", s)
		if (s ~ /^(str|cst)[0-9]/)
			return ""
	} else
		return ""
	sub(/\..*$/, "", s)	# f.part.0, f.cold, f.constprop.0
	return s
}

function node(obj, name) {
	return ((obj " " name) in loc) ? obj ":" name : name
}

FILENAME == ARGV[1] { loc[$1 " " $2] = 1; next }

/^File: / {
	obj = $2
	sub(/^.*\(/, "", obj)
	sub(/\)$/, "", obj)
	from = ""
	next
}
/^Relocation section / {
	s = $3
	gsub(/'/, "", s)
	from = secsym(s)
	next
}
from != "" && $1 ~ /^[0-9a-f]+$/ && $3 ~ /^R_/ && NF >= 5 {
	to = $5
	if (to ~ /^\./)
		to = secsym(to)
	else
		sub(/@.*$/, "", to)
	if (to != "" && to != from)
		edge[node(obj, from)] = edge[node(obj, from)] " " node(obj, to)
}

END {
	n = split(roots, q, " ")
	for (i = 1; i <= n; i++)
		seen[q[i]] = 1
	for (i = 1; i <= n; i++) {
		m = split(edge[q[i]], e, " ")
		for (j = 1; j <= m; j++)
			if (!(e[j] in seen)) {
				seen[e[j]] = 1
				q[++n] = e[j]
			}
	}
	for (i = 1; i <= n; i++)
		print q[i]
}
