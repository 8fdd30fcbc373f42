# bench-table.awk: the summary table of t/bench.sh and t/bench-mta.sh.
# Reads their raw results, one line a measured run:
#
#	SCENARIO ROUND ROLE NAME MSGS_PER_S P50_MS P99_MS
#
# ROLE is "base" (the baseline: t/nullmilter or t/passfilter), "A" (the
# filterd under test) or "B" (a second filterd build); NAME is the
# baseline's name; "-" stands for a latency not measured.  Prints a
# Markdown table, one row per scenario in the order first seen: each
# milter's median messages per second over the rounds and the median of
# the ratios taken round by round (so that a round on a busier machine
# compares like with like), each with its range [min-max], and the
# median p99 latencies where there are any.
function sortn(a, n,  i, j, t) {
	for (i = 2; i <= n; i++)
		for (j = i; j > 1 && a[j - 1] > a[j]; j--) {
			t = a[j]; a[j] = a[j - 1]; a[j - 1] = t
		}
}
# stat(key, fmt): "median [min-max]" of v[key, 1..cnt[key]].
function stat(key, fmt,  a, i, n, med) {
	n = cnt[key]
	if (n == 0)
		return "-"
	for (i = 1; i <= n; i++)
		a[i] = v[key, i]
	sortn(a, n)
	med = n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
	if (n == 1)
		return sprintf(fmt, med)
	return sprintf(fmt " [" fmt "-" fmt "]", med, a[1], a[n])
}
function add(key, x) {
	v[key, ++cnt[key]] = x
}
NF >= 7 {
	s = $1; r = $2; role = $3
	if (!(s in seen)) {
		seen[s] = 1
		order[++ns] = s
	}
	if (role == "base")
		base[s] = $4
	if (role == "B")
		hasb = 1
	if (!((s, r) in rseen)) {
		rseen[s, r] = 1
		rounds[s, ++nr[s]] = r
	}
	rate[s, r, role] = $5
	add(s SUBSEP role SUBSEP "rate", $5)
	if ($7 != "-") {
		add(s SUBSEP role SUBSEP "p99", $7)
		haslat = 1
	}
}
END {
	hdr = "| scenario | baseline | baseline msg/s | filterd msg/s | " \
	    "filterd/baseline |"
	sep = "| --- | --- | --- | --- | --- |"
	if (hasb) {
		hdr = hdr " B msg/s | B/baseline | filterd/B |"
		sep = sep " --- | --- | --- |"
	}
	if (haslat) {
		hdr = hdr " p99 ms baseline | p99 ms filterd |"
		sep = sep " --- | --- |"
		if (hasb) {
			hdr = hdr " p99 ms B |"
			sep = sep " --- |"
		}
	}
	print hdr
	print sep
	for (k = 1; k <= ns; k++) {
		s = order[k]
		for (i = 1; i <= nr[s]; i++) {
			r = rounds[s, i]
			# A ratio only of two runs of the same round.
			hb = (s, r, "base") in rate && rate[s, r, "base"] > 0
			ha = (s, r, "A") in rate
			hB = (s, r, "B") in rate && rate[s, r, "B"] > 0
			rb = rate[s, r, "base"]
			ra = rate[s, r, "A"]
			rB = rate[s, r, "B"]
			if (hb && ha)
				add(s SUBSEP "a/base", ra / rb)
			if (hb && hB)
				add(s SUBSEP "b/base", rB / rb)
			if (ha && hB)
				add(s SUBSEP "a/b", ra / rB)
		}
		line = sprintf("| %s | %s | %s | %s | %s |", s, base[s],
		    stat(s SUBSEP "base" SUBSEP "rate", "%.0f"),
		    stat(s SUBSEP "A" SUBSEP "rate", "%.0f"),
		    stat(s SUBSEP "a/base", "%.2f"))
		if (hasb)
			line = line sprintf(" %s | %s | %s |",
			    stat(s SUBSEP "B" SUBSEP "rate", "%.0f"),
			    stat(s SUBSEP "b/base", "%.2f"),
			    stat(s SUBSEP "a/b", "%.2f"))
		if (haslat) {
			line = line sprintf(" %s | %s |",
			    stat(s SUBSEP "base" SUBSEP "p99", "%.1f"),
			    stat(s SUBSEP "A" SUBSEP "p99", "%.1f"))
			if (hasb)
				line = line sprintf(" %s |",
				    stat(s SUBSEP "B" SUBSEP "p99", "%.1f"))
		}
		print line
	}
}
