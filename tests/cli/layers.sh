#!/bin/sh
# tests/cli/layers.sh - harness/ is in layers that include downwards only
# (docs/architecture.md, scripts/check_layers.sh).
cd "$(dirname "$0")/../.."
. tests/lib.sh

tree_is_layered() {
	expect_exit 0 sh scripts/check_layers.sh
}

# a copy of the tree's headers with one include pointing up must be refused,
# naming the file, the line and the two layers
upward_include_is_refused() {
	mkdir -p "$TMP/tree/harness/core" "$TMP/tree/harness/replay"
	printf '#include "../replay/cell.h"\n' > "$TMP/tree/harness/core/x.c"
	printf '#include "../core/trace.h"\n' > "$TMP/tree/harness/replay/cell.h"
	expect_exit 1 sh scripts/check_layers.sh "$TMP/tree" &&
	err_has 'harness/core/x.c:1:#include "../replay/cell.h"  (core may not include replay)' &&
	! grep -q 'cell.h:' "$ERR"
}

# a file outside every layer folder, or an unknown folder, is refused too
stray_file_is_refused() {
	mkdir -p "$TMP/stray/harness/core" "$TMP/stray/harness/misc"
	: > "$TMP/stray/harness/loose.c"
	: > "$TMP/stray/harness/misc/y.c"
	expect_exit 1 sh scripts/check_layers.sh "$TMP/stray" &&
	err_has 'harness/loose.c is outside every layer' &&
	err_has 'harness/misc/ is not a known layer'
}

# every folder of harness/ has a README saying what the layer is for
every_layer_has_a_readme() {
	for d in harness/*/; do
		[ -s "$d/README.md" ] || { echo "    no README in $d" > "$ERR"; return 1; }
	done
}

check tree_is_layered tree_is_layered
check upward_include_is_refused upward_include_is_refused
check stray_file_is_refused stray_file_is_refused
check every_layer_has_a_readme every_layer_has_a_readme
finish
