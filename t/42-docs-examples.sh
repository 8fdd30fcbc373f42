#!/bin/sh
# 42-docs-examples: the examples of the documentation work.  Every literal
# block of the manual pages and every fenced block of README.md is marked
# with what it is (t/docs-examples.sh says how); each configuration passes
# "filterd -n", each worked example -- a configuration, a message and the
# verdict filterd -t prints -- gives that verdict, each listing of a source
# file is that file.  And the runner can fail: on t/data/docs-broken.5, a
# page with a broken configuration, a wrong verdict and an unmarked block,
# it reports each.
. "${top_srcdir:-$(dirname "$0")/..}/t/tap.sh"

fd="$top_builddir/filterd/filterd"
[ -x "$fd" ] || skip_all "$fd not built"
[ -f "$top_builddir/filters/example/example.so" ] ||
    skip_all "filters/example/example.so not built"
export top_srcdir top_builddir
run_examples() { sh "$top_srcdir/t/docs-examples.sh" "$@"; }

run_examples "$TMP/docs" "$top_srcdir"/man/*.[358] "$top_srcdir/README.md" \
    > "$TMP/docs.out"
run_examples "$TMP/broken" "$top_srcdir/t/data/docs-broken.5" \
    > "$TMP/broken.out"
n=$(grep -c '^\(not \)\?ok - ' "$TMP/docs.out")
plan $((n + 5))
while IFS= read -r line; do
	case "$line" in
	"ok - "*)	ok 0 "${line#ok - }" ;;
	"not ok - "*)	ok 1 "${line#not ok - }" ;;
	*)		echo "$line" ;;
	esac
done < "$TMP/docs.out"
ok $([ "$(grep -c '^ok - .*: config \|^ok - .*: \$ ' "$TMP/docs.out")" -ge 8 ]
    echo $?) "the configurations and sessions were found and run"
broken=$(cat "$TMP/broken.out")
like "$broken" '^not ok - docs-broken\.5:[0-9]+: config broken: filterd -n accepts it$' \
    "a broken configuration fails"
like "$broken" '^# .*unknown setting "limits\.mesage_size"' \
    "with filterd -n's reason"
like "$broken" '^not ok - docs-broken\.5:[0-9]+: good: \$ filterd -f filterd\.conf -t message\.eml$' \
    "a verdict the documentation gets wrong fails"
like "$broken" '^not ok - docs-broken\.5:[0-9]+: the block has a marker' \
    "an unmarked block fails"
tap_done
