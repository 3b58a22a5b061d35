#!/bin/bash
# Build the lab's debug kernel (`debug` in scripts/lab.sh) as root: Debian's
# linux-source-6.1 with `make allnoconfig` + scripts/debug-kernel.config (only
# what the lab VM and the tests need, built in; KASAN, UBSAN, kmemleak,
# lockdep, RCU checks; cfg80211 as a module).
# Idempotent and cached: prints nothing when the kernel for the current
# fragment, script and source package is already built.
#
#   scripts/debug-kernel.sh [--force]   build and install it (--force: even if cached)
#   scripts/debug-kernel.sh kver        print its KVER (6.1.N-vwifi-debug) if built
#   scripts/debug-kernel.sh packages    only install what the build needs (apt)
#
# Result (KVER = 6.1.N-vwifi-debug):
#   $LAB_CACHE/debug/linux-source-6.1/  the built tree (kept: /lib/modules/KVER/build)
#   $LAB_CACHE/debug/vmlinuz-KVER       the image the lab boots
#   /lib/modules/KVER/                  modules, on the host's / that the VM shares
#   $LAB_CACHE/debug/build.log, build-seconds, stamp
# Env: DEBUG_JOBS (nproc), DEBUG_NICE (19), LAB_CACHE (/var/cache/vwifi-lab).
set -u

LAB_CACHE=${LAB_CACHE:-/var/cache/vwifi-lab}
DBG=$LAB_CACHE/debug
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
FRAGMENT=$HERE/debug-kernel.config
PKG=linux-source-6.1
TARBALL=/usr/src/$PKG.tar.xz
TREE=$DBG/$PKG
JOBS=${DEBUG_JOBS:-$(nproc)}
NICE=${DEBUG_NICE:-19}
BUILD_DEPS=(bc bison flex libelf-dev libssl-dev gcc make xz-utils kmod)
export DEBIAN_FRONTEND=noninteractive LANG=C.UTF-8

say() { echo "debug-kernel: $*"; }
die() { echo "debug-kernel: $*" >&2; exit 1; }

# built_kver: KVER of the installed build, if complete
built_kver() {
	local k
	k=$(cat "$DBG/kver" 2>/dev/null) || return 1
	[ -n "$k" ] && [ -s "$DBG/vmlinuz-$k" ] && [ -e "/lib/modules/$k/build/Makefile" ] &&
		[ -s "/lib/modules/$k/modules.dep" ] || return 1
	echo "$k"
}

if [ "${1:-}" = kver ]; then
	built_kver || { echo "debug-kernel: not built (run scripts/debug-kernel.sh)" >&2; exit 1; }
	exit 0
fi
force=0 only_packages=0
case ${1:-} in
--force) force=1 ;;
packages) only_packages=1 ;;
'') ;;
*) sed -n '2,20p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2 ;;
esac
[ "$(id -u)" = 0 ] || die "must run as root"
mkdir -p "$DBG"
exec 9>"$DBG/.lock"
if ! flock -n 9; then
	say "another build is running; waiting"
	flock 9
fi

pkgver() { dpkg-query -W -f='${Version}' "$PKG" 2>/dev/null; }
key() {
	{ cat "$FRAGMENT" "$0"; pkgver; gcc --version | head -n1; } | md5sum | cut -c1-16
}
if [ $force = 0 ] && [ -f "$TARBALL" ] && [ "$(cat "$DBG/stamp" 2>/dev/null)" = "$(key)" ] && built_kver >/dev/null; then
	exit 0
fi

# ------------------------------------------------------------ packages
miss=()
for p in "$PKG" "${BUILD_DEPS[@]}"; do
	dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null | grep -q '^install ok installed$' || miss+=("$p")
done
if [ ${#miss[@]} -gt 0 ] || [ ! -f "$TARBALL" ]; then
	say "installing ${miss[*]:-$PKG}"
	{ apt-get update -q && apt-get install -y -q --no-install-recommends "${miss[@]:-$PKG}"; } >"$DBG/apt.log" 2>&1 ||
		{ tail -n 30 "$DBG/apt.log" >&2; die "apt-get install failed (log $DBG/apt.log)"; }
	[ -f "$TARBALL" ] || die "$TARBALL missing after installing $PKG"
fi
[ $only_packages = 0 ] || exit 0

# ------------------------------------------------------------ source tree
ver=$(pkgver)
if [ "$(cat "$TREE/.vwifi-source" 2>/dev/null)" != "$ver" ]; then
	say "extracting $TARBALL ($PKG $ver)"
	rm -rf "$TREE"
	nice -n "$NICE" tar -xJf "$TARBALL" -C "$DBG" || die "cannot extract $TARBALL"
	[ -f "$TREE/Makefile" ] || die "no $TREE/Makefile after extracting $TARBALL"
	echo "$ver" >"$TREE/.vwifi-source"
fi

# ------------------------------------------------------------ config
log=$DBG/build.log
mk() { nice -n "$NICE" make -C "$TREE" "$@"; }
{
	echo "# $PKG $ver, fragment $FRAGMENT, $(date -u)"
	mk ARCH=x86_64 allnoconfig &&
		(cd "$TREE" && ARCH=x86_64 scripts/kconfig/merge_config.sh -m .config "$FRAGMENT") &&
		mk ARCH=x86_64 olddefconfig
} >"$log" 2>&1 || { tail -n 30 "$log" >&2; die "configuration failed (log $log)"; }
# every line of the fragment must have made it into .config
bad=()
while IFS= read -r l; do
	case $l in
	CONFIG_*=*) grep -qxF "$l" "$TREE/.config" || bad+=("$l (got: $(grep "^${l%%=*}=" "$TREE/.config" || echo unset))") ;;
	"# CONFIG_"*" is not set") s=${l#\# }; s=${s%% *}
		grep -q "^$s=" "$TREE/.config" && bad+=("$l (got: $(grep "^$s=" "$TREE/.config"))") ;;
	esac
done <"$FRAGMENT"
if [ ${#bad[@]} -gt 0 ]; then
	printf 'debug-kernel: not in the final .config: %s\n' "${bad[@]}" >&2
	die "fix $FRAGMENT (dependencies?)"
fi
# ------------------------------------------------------------ build
say "building $PKG $ver with $JOBS jobs under nice $NICE (log $log; about 20 min on 2 cores)"
t0=$SECONDS
mk -j"$JOBS" bzImage modules >>"$log" 2>&1 || { grep -E 'error|Error' "$log" | head -n 30 >&2; tail -n 20 "$log" >&2; die "build failed (log $log)"; }
secs=$((SECONDS - t0))
kver=$(cat "$TREE/include/config/kernel.release")
[ -n "$kver" ] || die "no kernel release in $TREE/include/config/kernel.release"

# ------------------------------------------------------------ install
# older builds of this cache (another 6.1.N)
for d in /lib/modules/*-vwifi-debug; do
	if [ ! -d "$d" ] || [ "${d##*/}" = "$kver" ]; then continue; fi
	case $(readlink "$d/build") in "$DBG"/*) rm -rf "$d" ;; esac
done
find "$DBG" -maxdepth 1 \( -name 'vmlinuz-*' -o -name 'config-*' \) ! -name "*-$kver" -delete
rm -f "$DBG/stamp"
mk modules_install >>"$log" 2>&1 || { tail -n 20 "$log" >&2; die "modules_install failed (log $log)"; }
{ cp "$TREE/arch/x86/boot/bzImage" "$DBG/vmlinuz-$kver.tmp" && mv "$DBG/vmlinuz-$kver.tmp" "$DBG/vmlinuz-$kver"; } ||
	die "cannot copy the image"
cp "$TREE/.config" "$DBG/config-$kver"
[ -e "/lib/modules/$kver/build/Makefile" ] || die "/lib/modules/$kver/build does not lead to the tree"
echo "$kver" >"$DBG/kver"
echo "$secs" >"$DBG/build-seconds"
key >"$DBG/stamp"
say "$kver ready: $DBG/vmlinuz-$kver, /lib/modules/$kver (build: $((secs / 60)) min $((secs % 60)) s)"
