#!/bin/sh
# scripts/check_layers.sh - the harness's layers include downwards only
# (docs/architecture.md).  Each folder of harness/ is a layer; a file may
# include its own layer's headers, the headers of the layers below it and
# allocators/ (the allocator kit, below them all), never a layer above.
# Prints every include that points up and exits 1 if there is one.
#
#   scripts/check_layers.sh [ROOT]   ROOT: the source tree (default: this one)
set -u
cd "${1:-$(dirname "$0")/..}" || exit 2
LAYERS="core replay process results commands"
rank() {
	i=0
	for l in $LAYERS; do
		[ "$l" = "$1" ] && { echo "$i"; return; }
		i=$((i + 1))
	done
	echo -1
}
bad=0
for dir in harness/*/; do
	layer=$(basename "$dir")
	me=$(rank "$layer")
	if [ "$me" -lt 0 ]; then
		echo "check_layers: $dir is not a known layer ($LAYERS)" >&2
		bad=1
		continue
	fi
	for f in "$dir"*.c "$dir"*.h; do
		[ -e "$f" ] || continue
		# #include "../LAYER/file.h": a header of another layer
		for other in $(sed -n 's|^#[[:space:]]*include[[:space:]]*"\.\./\([a-z_]*\)/.*|\1|p' "$f" | sort -u); do
			[ "$other" = ".." ] && continue
			them=$(rank "$other")
			if [ "$them" -lt 0 ] || [ "$them" -gt "$me" ]; then
				grep -n "include \"\.\./$other/" "$f" | sed "s|^|$f:|;s|\$|  ($layer may not include $other)|" >&2
				bad=1
			fi
		done
	done
done
for f in harness/*.c harness/*.h; do
	[ -e "$f" ] && { echo "check_layers: $f is outside every layer" >&2; bad=1; }
done
exit "$bad"
