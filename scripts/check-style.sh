#!/bin/bash
# make check-style: shellcheck for the scripts, sparse (C=2) and, when a
# checkpatch.pl is available (CHECKPATCH=path, a kernel tree's scripts/, or
# the lab's debug-kernel tree), checkpatch --strict for every C file. Each
# checker that is not installed is skipped.
set -u
cd "$(dirname "$0")/.." || exit 1
. scripts/lab.sh
rc=0
if command -v shellcheck >/dev/null; then
	echo "== shellcheck"
	shellcheck -x scripts/*.sh scripts/tests/*.sh scripts/tests/virtio/*.sh .ci/run || rc=1
else
	echo "== shellcheck: not installed, skipped"
fi
k=${STYLE_KERNEL:-6.1}
if command -v sparse >/dev/null && kver=$(lab_kver "$k" 2>/dev/null); then
	echo "== sparse (C=2) against $kver"
	d=$(mktemp -d)
	cp Makefile ./*.c ./*.h "$d/" 2>/dev/null
	make -s -C "/lib/modules/$kver/build" M="$d" C=2 modules >"$d/sparse.log" 2>&1 || rc=1
	if grep -E 'warning:|error:' "$d/sparse.log"; then rc=1; fi
	rm -rf "$d"
else
	echo "== sparse: not installed or no $k headers, skipped"
fi
cp=${CHECKPATCH:-}
[ -n "$cp" ] || for c in "/lib/modules/$(uname -r)/build/scripts/checkpatch.pl" /usr/src/linux-source-*/scripts/checkpatch.pl \
	/var/cache/vwifi-lab/debug/linux-source-6.1/scripts/checkpatch.pl; do
	[ -x "$c" ] && { cp=$c; break; }
done
if [ -n "$cp" ]; then
	echo "== checkpatch --strict ($cp)"
	# vwifi.c: the one LINUX_VERSION_CODE test (its compatibility section)
	# is what an out-of-tree driver cannot avoid.  The userspace programs
	# use <stdint.h> types, as userspace should.
	"$cp" --strict --no-tree --terse --show-types --ignore LINUX_VERSION_CODE \
		--file vwifi.c vwifi_nl.h || rc=1
	"$cp" --strict --no-tree --terse --show-types --ignore PREFER_KERNEL_TYPES \
		--file vwifi-tool.c scripts/*.c || rc=1
else
	echo "== checkpatch: not found (set CHECKPATCH=/path/to/checkpatch.pl), skipped"
fi
exit $rc
