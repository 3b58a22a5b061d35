#!/bin/bash
# Install what the vwifi lab needs on a Debian 12 (bookworm) machine, as root.
# Idempotent; prints nothing when everything is already there.
#   - host packages (QEMU, busybox, kernel 6.1 image+headers, wireless tools)
#   - bookworm-backports and the newest 6.12 generic amd64 image+headers
#   - a Debian sid chroot (newest kernel, its headers and compiler, tools) in
#     /var/cache/vwifi-lab/sid
# Everything of the lab lives under /var/cache/vwifi-lab/ (safe to delete).
# Env: VWIFI_LAB_UPDATE=1 also upgrades to a newer 6.12 / refreshes sid packages.
#      DEBIAN_MIRROR (default http://deb.debian.org/debian)
set -u

LAB_CACHE=${LAB_CACHE:-/var/cache/vwifi-lab}
SID=${LAB_SID:-$LAB_CACHE/sid}
MIRROR=${DEBIAN_MIRROR:-http://deb.debian.org/debian}
UPDATE=${VWIFI_LAB_UPDATE:-0}
export DEBIAN_FRONTEND=noninteractive

HOST_PKGS=(qemu-system-x86 busybox-static debootstrap linux-image-amd64 linux-headers-amd64
	kmod cpio xz-utils zstd hostapd wpasupplicant iw iperf3 iproute2 iputils-ping sparse
	bridge-utils wireless-regdb seabios ipxe-qemu gcc make libc6-dev procps util-linux git ca-certificates
	ethtool iwd dbus tcpdump)
# in the sid chroot: build tools, kernel, and what the test runner and the
# cases use
SID_PKGS=(gcc make libc6-dev linux-headers-amd64 linux-image-amd64 kmod iw hostapd
	wpasupplicant iproute2 iperf3 iputils-ping procps bash coreutils grep mawk sed
	util-linux findutils wireless-regdb ethtool iwd dbus tcpdump)

say() { echo "deps: $*"; }
die() { echo "deps: $*" >&2; exit 1; }

[ "$(id -u)" = 0 ] || die "must run as root"
# shellcheck disable=SC1091
[ -r /etc/os-release ] && . /etc/os-release
[ "${VERSION_CODENAME:-}" = bookworm ] ||
	echo "deps: warning: written for Debian 12 (bookworm), this is ${PRETTY_NAME:-unknown}" >&2

APT_UPDATED=0
apt_update() {
	[ $APT_UPDATED = 1 ] && return 0
	say "apt-get update"
	apt-get update -q >/tmp/vwifi-deps-apt.log 2>&1 || { cat /tmp/vwifi-deps-apt.log >&2; die "apt-get update failed"; }
	APT_UPDATED=1
}
apt_install() {
	say "installing $*"
	apt-get install -y -q --no-install-recommends "$@" >/tmp/vwifi-deps-apt.log 2>&1 ||
		{ tail -n 30 /tmp/vwifi-deps-apt.log >&2; die "apt-get install $* failed"; }
}
missing_pkgs() { # missing_pkgs [--root DIR] PKG...: print the packages not installed
	local admin=() p
	if [ "$1" = --root ]; then admin=(--admindir="$2/var/lib/dpkg"); shift 2; fi
	for p in "$@"; do
		dpkg-query "${admin[@]}" -W -f='${Status}\n' "$p" 2>/dev/null | grep -q '^install ok installed$' || echo "$p"
	done
}

# ------------------------------------------------------------------ host
mapfile -t miss < <(missing_pkgs "${HOST_PKGS[@]}")
if [ ${#miss[@]} -gt 0 ]; then
	apt_update
	apt_install "${miss[@]}"
fi

# ------------------------------------------------------------------ sid
# The sid chroot (its own download and dpkg, no host apt lock) is set up in
# the background while the host installs 6.12: a fresh machine waits for the
# longer of the two instead of their sum.
setup_sid() {
	mkdir -p "$LAB_CACHE"
	if [ ! -x "$SID/bin/bash" ] || [ -d "$SID/debootstrap" ]; then
		# absent or an interrupted debootstrap: start over
		[ -e "$SID" ] && { say "removing incomplete $SID"; rm -rf --one-file-system "$SID"; }
		say "debootstrap sid into $SID (about 1 GB, a few minutes)"
		inc=$(IFS=,; echo "${SID_PKGS[*]}")
		debootstrap --variant=minbase --include="$inc" sid "$SID" "$MIRROR" >"$LAB_CACHE/debootstrap.log" 2>&1 ||
			{ tail -n 30 "$LAB_CACHE/debootstrap.log" >&2; die "debootstrap failed (log $LAB_CACHE/debootstrap.log)"; }
	fi
	in_sid() { # run a command in the chroot with /proc, /sys, /dev mounted (private mount ns)
		# shellcheck disable=SC2016
		unshare -m --propagation private bash -c '
			root=$1; shift
			mount -t proc proc "$root/proc" && mount -t sysfs sysfs "$root/sys" && mount --rbind /dev "$root/dev" || exit 1
			cp /etc/resolv.conf "$root/etc/resolv.conf" 2>/dev/null
			chroot "$root" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root LANG=C.UTF-8 DEBIAN_FRONTEND=noninteractive "$@"
		' in-sid "$SID" "$@"
	}
	mapfile -t miss < <(missing_pkgs --root "$SID" "${SID_PKGS[@]}")
	if [ ${#miss[@]} -gt 0 ] || [ "$UPDATE" = 1 ]; then
		say "sid chroot: installing/updating ${miss[*]:-packages}"
		{ in_sid apt-get -o Acquire::Check-Valid-Until=false update -q && in_sid apt-get install -y -q --no-install-recommends "${SID_PKGS[@]}" &&
			{ [ "$UPDATE" != 1 ] || in_sid apt-get dist-upgrade -y -q; }; } >"$LAB_CACHE/sid-apt.log" 2>&1 ||
			{ tail -n 30 "$LAB_CACHE/sid-apt.log" >&2; die "apt in the sid chroot failed (log $LAB_CACHE/sid-apt.log)"; }
	fi
	# the sid kernel must have an image and headers
	ok=0
	for d in "$SID"/lib/modules/*-amd64; do
		k=${d##*/}
		[ -e "$d/build/Makefile" ] && [ -e "$SID/boot/vmlinuz-$k" ] && ok=1
	done
	[ $ok = 1 ] || die "no kernel image+headers in $SID (try VWIFI_LAB_UPDATE=1 $0)"
}
setup_sid &
sid_pid=$!

# ------------------------------------------------------------------ 6.12
BPO=/etc/apt/sources.list.d/bookworm-backports.list
if ! grep -rqs '^deb .*bookworm-backports' /etc/apt/sources.list /etc/apt/sources.list.d/ &&
	! grep -rqs 'bookworm-backports' /etc/apt/sources.list.d/*.sources; then
	say "adding bookworm-backports"
	echo "deb $MIRROR bookworm-backports main" >"$BPO"
	APT_UPDATED=0
fi
have612() {
	local d k
	for d in /lib/modules/6.12.*-amd64; do
		k=${d##*/}
		case $k in *-rt-amd64|*-cloud-amd64) continue ;; esac
		[ -e "$d/build/Makefile" ] && [ -e "/boot/vmlinuz-$k" ] && return 0
	done
	return 1
}
if ! have612 || [ "$UPDATE" = 1 ]; then
	apt_update
	# newest generic flavour (not -rt, -cloud, -dbg, -unsigned)
	img=$(apt-cache search --names-only '^linux-image-6\.12\.[0-9.]+\+deb12(\.[0-9]+)?-amd64$' |
		awk '{print $1}' | sort -V | tail -n1)
	[ -n "$img" ] || die "no linux-image-6.12.*-amd64 in bookworm-backports"
	hdr=${img/linux-image-/linux-headers-}
	if [ -n "$(missing_pkgs "$img" "$hdr")" ]; then
		say "installing $img $hdr (bookworm-backports)"
		apt-get install -y -q -t bookworm-backports "$img" "$hdr" >/tmp/vwifi-deps-apt.log 2>&1 ||
			{ tail -n 30 /tmp/vwifi-deps-apt.log >&2; die "installing $img failed"; }
	fi
fi

wait "$sid_pid" || die "the sid chroot failed (see above)"
exit 0
