#!/bin/bash
# Boot several guests of one lab kernel on a private Ethernet segment and run a
# command in each (the multi-guest lab of vwifi's virtio mode).
#
#   scripts/vmnet.sh KERNEL [--guests N] [--timeout S] [--results DIR]
#                           [--build DIR] [--mem MB] [--smp N] [--host CMD]
#                           [--site-b K] [--quiet] -- CMD [ARGS...]
#
# Host side: a throwaway network namespace vwlab-<pid> holding a bridge br0
# and one tap tapI per guest (I = 1..N, default N=3), MTU 9000; nothing outside
# it is touched. QEMU runs in that netns (ip netns exec) through scripts/vm.sh, one
# virtio-net NIC per guest on tapI, MAC 52:54:00:12:34:0I (eth0 in the guest,
# once `modprobe virtio_net`: there is no udev).
# --site-b K: two "hosts" instead of one: guests K..N sit on a second bridge
# in a second netns vwlab-<pid>-b, and the two bridges are joined by a VXLAN
# tunnel (vxlan0, VNI 4242, UDP 4789) over a veth pair between the two
# netns (192.0.2.1 and .2), as two machines on a LAN would be: one medium.
# Guest side: CMD runs in every guest (from /vwifi, see vm.sh) with
#   VW_GUEST=I  VW_GUESTS=N  VW_SHARED=/vwifi-shared
# where /vwifi-shared is a read-write directory shared by all guests and the
# host (DIR/shared), for barriers between guests (files: touch / test -e).
# A guest gets a QEMU killed (its own, or another's) by creating
# VW_SHARED/kill-gI: the host SIGKILLs guest I's QEMU, then creates
# VW_SHARED/killed-gI.
# --host CMD: a shell command run on the host inside the netns (site A's)
# while the guests run (env VW_NS, VW_NS_B: site B's netns or empty,
# VW_BRIDGE, VW_SHARED = host path, VW_GUESTS, VW_RESULTS); killed when the
# guests are done; output in DIR/host.log.
# --timeout S bounds each guest (vm.sh --timeout, default 300); the whole run
# is bounded by S + VM_BOOT_TIMEOUT (240) + 60.
# --quiet: no live output (each guest's vm.sh output is in DIR/gI/vm.log).
#
# Results (DIR, default a new $LAB_CACHE/runs/<stamp>-<kernel>-net-XXXX):
# DIR/gI/ = vm.sh results of guest I (console.log, output.log, dmesg.txt,
# vm.result, vm.log), DIR/shared/, DIR/host.log, DIR/vmnet.log (events),
# DIR/vmnet.result (one line per guest: "gI status=... exit=... rc=...
# killed=0|1", then "status=... elapsed=...").
# Exit status: 0 when every guest's CMD exited 0 (or the guest was killed on
# request) and no guest kernel log has a report (BUG/WARNING/KASAN/lockdep...,
# as vm.sh); else 125 kernel report (any guest), 124 timeout, 126 lab failure,
# 1 a CMD failed.
set -u

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=scripts/lab.sh
. "$HERE/lab.sh"
VM_SH=${VMNET_VM_SH:-$HERE/vm.sh}

usage() { sed -n '2,41p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2; }

KERNEL=${1:-}
[ -n "$KERNEL" ] || usage
shift
GUESTS=3
TIMEOUT=300
RESULTS=
BUILD=
MEM=${VM_MEM:-1024}
SMP=${VM_SMP:-2}
HOSTCMD=
QUIET=0
SITE_B=0
while [ $# -gt 0 ]; do
	case $1 in
	--guests) GUESTS=$2; shift 2 ;;
	--timeout) TIMEOUT=$2; shift 2 ;;
	--results) RESULTS=$2; shift 2 ;;
	--build) BUILD=$2; shift 2 ;;
	--mem) MEM=$2; shift 2 ;;
	--smp) SMP=$2; shift 2 ;;
	--host) HOSTCMD=$2; shift 2 ;;
	--site-b) SITE_B=$2; shift 2 ;;
	--quiet) QUIET=1; shift ;;
	--) shift; break ;;
	*) usage ;;
	esac
done
[ $# -gt 0 ] || usage
[[ $GUESTS =~ ^[1-9]$ ]] || lab_die "vmnet: --guests must be 1..9"
[[ $SITE_B =~ ^[0-9]$ ]] || lab_die "vmnet: --site-b must be 2..9"
[ "$SITE_B" -le "$GUESTS" ] || SITE_B=0		# nobody on site B: one bridge
[ "$(id -u)" = 0 ] || lab_die "vmnet: must run as root (netns, taps)"
command -v ip >/dev/null || lab_die "vmnet: ip (iproute2) missing"
[ -c /dev/net/tun ] || lab_die "vmnet: /dev/net/tun missing"

if [ -z "$RESULTS" ]; then
	mkdir -p "$LAB_CACHE/runs"
	RESULTS=$(mktemp -d "$LAB_CACHE/runs/$(date +%Y%m%d-%H%M%S)-$KERNEL-net-XXXX")
fi
mkdir -p "$RESULTS"
RESULTS=$(cd "$RESULTS" && pwd)
SHARED=$RESULTS/shared
rm -rf "$SHARED"
mkdir -p "$SHARED"
rm -f "$RESULTS/vmnet.result" "$RESULTS/vmnet.log" "$RESULTS/host.log"

# guest_mac I: the MAC of guest I's virtio-net NIC
guest_mac() { printf '52:54:00:12:34:%02x' "$1"; }

NS=vwlab-$$
NSB=$NS-b
nsx() { ip netns exec "$NS" "$@"; }
nsb() { ip netns exec "$NSB" "$@"; }
# site_ns I: the netns of guest I's tap
site_ns() { if [ "$SITE_B" -gt 1 ] && [ "$1" -ge "$SITE_B" ]; then echo "$NSB"; else echo "$NS"; fi; }

# Namespaces left by a vmnet.sh that died without its trap (SIGKILL): vwlab-PID
# whose PID is gone. Only names of this scheme are considered.
for f in /run/netns/vwlab-*; do
	[ -e "$f" ] || continue
	p=${f##*/vwlab-}
	p=${p%-b}
	[[ $p =~ ^[0-9]+$ ]] || continue
	[ -d "/proc/$p" ] && continue
	echo "vmnet: deleting stale netns ${f##*/}" >&2
	ip netns delete "${f##*/}" 2>/dev/null
done

# say MSG: an event of the run, in DIR/vmnet.log (and on stdout unless --quiet)
say() {
	echo "vmnet: $*" >>"$RESULTS/vmnet.log"
	[ "$QUIET" = 1 ] || echo "vmnet: $*"
}

declare -a VMPIDS=() TAILPIDS=()
HOSTPID=
# qemu_pid I: pid of guest I's QEMU, if it is still the QEMU we started
qemu_pid() {
	local p pf=$RESULTS/g$1/qemu.pid cmd
	read -r p 2>/dev/null <"$pf" || return 1
	[[ $p =~ ^[0-9]+$ ]] || return 1
	cmd=$(tr '\0' ' ' 2>/dev/null <"/proc/$p/cmdline") || return 1
	[[ $cmd == *"$pf"* ]] || return 1
	echo "$p"
}

# shellcheck disable=SC2317  # run by the EXIT trap
cleanup() {
	local i p
	trap - EXIT INT TERM HUP
	if [ -n "$HOSTPID" ]; then
		kill -TERM -- "-$HOSTPID" 2>/dev/null
	fi
	for p in "${VMPIDS[@]}"; do
		kill -TERM "$p" 2>/dev/null
	done
	# vm.sh passes TERM on to its QEMU; make sure none is left
	for _ in {1..20}; do
		p=
		for ((i = 1; i <= GUESTS; i++)); do
			qemu_pid "$i" >/dev/null && p=1
		done
		[ -z "$p" ] && break
		sleep 0.5
	done
	for ((i = 1; i <= GUESTS; i++)); do
		p=$(qemu_pid "$i") && kill -KILL "$p" 2>/dev/null
	done
	[ -n "$HOSTPID" ] && kill -KILL -- "-$HOSTPID" 2>/dev/null
	for p in "${TAILPIDS[@]}"; do
		kill -TERM "$p" 2>/dev/null
	done
	if [ -e "/run/netns/$NS" ]; then
		# processes still in the netns would keep its taps alive
		for p in $(ip netns pids "$NS" 2>/dev/null); do
			kill -KILL "$p" 2>/dev/null
		done
		for ((i = 1; i <= GUESTS; i++)); do
			ip netns exec "$(site_ns "$i")" ip link del "tap$i" 2>/dev/null
		done
		nsx ip link del br0 2>/dev/null
		ip netns delete "$NS" 2>/dev/null || echo "vmnet: could not delete netns $NS" >&2
	fi
	if [ -e "/run/netns/$NSB" ]; then
		for p in $(ip netns pids "$NSB" 2>/dev/null); do
			kill -KILL "$p" 2>/dev/null
		done
		ip netns delete "$NSB" 2>/dev/null || echo "vmnet: could not delete netns $NSB" >&2
	fi
}
trap cleanup EXIT
trap 'echo "vmnet: interrupted" >&2; exit 130' INT TERM HUP

# ---------------------------------------------------------------- network
# site NETNS: a host's bridge br0 in NETNS (created), MTU 9000 on the host
# side only (guests keep 1500): the host can send oversized frames into a
# guest (fuzz.pl)
site() {
	ip netns add "$1" || lab_die "vmnet: ip netns add $1 failed"
	ip netns exec "$1" ip link set lo up
	# no IPv6 chatter (router solicitations, MLD) from the bridge
	ip netns exec "$1" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1 2>/dev/null
	ip netns exec "$1" ip link add br0 type bridge stp_state 0 forward_delay 0 ||
		lab_die "vmnet: cannot create a bridge"
	ip netns exec "$1" ip link set br0 mtu 9000 up
}
# vxlan_join: the two sites' bridges joined by VXLAN over a veth "LAN"
vxlan_join() {
	ip link add under0 netns "$NS" mtu 9050 type veth peer name under0 netns "$NSB" ||
		lab_die "vmnet: cannot create the veth pair between the sites"
	nsx ip addr add 192.0.2.1/24 dev under0
	nsb ip addr add 192.0.2.2/24 dev under0
	nsx ip link set under0 up
	nsb ip link set under0 up
	nsx ip link add vxlan0 mtu 9000 type vxlan id 4242 local 192.0.2.1 remote 192.0.2.2 dstport 4789 ||
		lab_die "vmnet: cannot create a VXLAN device"
	nsb ip link add vxlan0 mtu 9000 type vxlan id 4242 local 192.0.2.2 remote 192.0.2.1 dstport 4789
	nsx ip link set vxlan0 master br0 up
	nsb ip link set vxlan0 master br0 up
}
site "$NS"
if [ "$SITE_B" -gt 1 ]; then
	site "$NSB"
	vxlan_join
	say "guests $SITE_B..$GUESTS on site B ($NSB), joined to site A by VXLAN"
fi
for ((i = 1; i <= GUESTS; i++)); do
	ns=$(site_ns "$i")
	ip netns exec "$ns" ip tuntap add dev "tap$i" mode tap || lab_die "vmnet: cannot create tap$i"
	ip netns exec "$ns" ip link set "tap$i" mtu 9000 master br0 || lab_die "vmnet: tap$i -> br0"
	ip netns exec "$ns" ip link set "tap$i" up
done

# ---------------------------------------------------------------- guests
export VW_GUESTS=$GUESTS
export VM_ENV="${VM_ENV:-} VW_GUEST VW_GUESTS"
start=$SECONDS
for ((i = 1; i <= GUESTS; i++)); do
	mkdir -p "$RESULTS/g$i"
	rm -f "$RESULTS/g$i/qemu.pid"
	VW_GUEST=$i ip netns exec "$(site_ns "$i")" "$VM_SH" "$KERNEL" --results "$RESULTS/g$i" ${BUILD:+--build "$BUILD"} \
		--timeout "$TIMEOUT" --mem "$MEM" --smp "$SMP" --shared "$SHARED" \
		--pidfile "$RESULTS/g$i/qemu.pid" --nic "tap=tap$i,mac=$(guest_mac "$i")" \
		-- "$@" </dev/null >"$RESULTS/g$i/vm.log" 2>&1 &
	VMPIDS[i]=$!
	if [ "$QUIET" = 0 ]; then
		tail -n +1 -F --pid="${VMPIDS[i]}" "$RESULTS/g$i/vm.log" 2>/dev/null | sed -u "s/^/g$i| /" &
		TAILPIDS+=($!)
	fi
done
if [ -n "$HOSTCMD" ]; then
	VW_NS=$NS VW_NS_B=$([ "$SITE_B" -gt 1 ] && echo "$NSB") VW_BRIDGE=br0 VW_SHARED=$SHARED VW_RESULTS=$RESULTS \
		setsid ip netns exec "$NS" bash -c "$HOSTCMD" </dev/null >"$RESULTS/host.log" 2>&1 &
	HOSTPID=$!
fi

# ---------------------------------------------------------------- watch
declare -A KILLED=() FIN=() RC=()
deadline=$((start + TIMEOUT + ${VM_BOOT_TIMEOUT:-240} + 60))
overdue=0
while :; do
	left=0
	for ((i = 1; i <= GUESTS; i++)); do
		[ -n "${FIN[$i]:-}" ] && continue
		if [ -e "$SHARED/kill-g$i" ] && [ -z "${KILLED[$i]:-}" ]; then
			KILLED[$i]=1
			echo "requested by a guest at +$((SECONDS - start))s" >"$RESULTS/g$i/lab/killed"
			if p=$(qemu_pid "$i"); then
				kill -KILL "$p"
				say "guest $i: QEMU (pid $p) killed on request at +$((SECONDS - start))s"
			else
				say "guest $i: kill requested but its QEMU is not running"
			fi
			touch "$SHARED/killed-g$i"
		fi
		if ! kill -0 "${VMPIDS[i]}" 2>/dev/null; then
			wait "${VMPIDS[i]}"
			RC[$i]=$?
			FIN[$i]=1
			continue
		fi
		left=$((left + 1))
	done
	[ "$left" -eq 0 ] && break
	if [ "$SECONDS" -ge "$deadline" ]; then
		say "guests still running after $((SECONDS - start))s; stopping them"
		overdue=1
		for ((i = 1; i <= GUESTS; i++)); do
			[ -n "${FIN[$i]:-}" ] || kill -TERM "${VMPIDS[i]}" 2>/dev/null
		done
		for ((i = 1; i <= GUESTS; i++)); do
			[ -n "${FIN[$i]:-}" ] && continue
			wait "${VMPIDS[i]}"
			RC[$i]=124
			FIN[$i]=1
		done
		break
	fi
	sleep 0.5
done
for p in "${TAILPIDS[@]}"; do
	wait "$p" 2>/dev/null
done
TAILPIDS=()

# ---------------------------------------------------------------- verdict
status=ok
worst=0
: >"$RESULTS/vmnet.result"
for ((i = 1; i <= GUESTS; i++)); do
	rc=${RC[$i]}
	st=$(sed -n 's/^status=//p' "$RESULTS/g$i/vm.result" 2>/dev/null)
	ex=$(sed -n 's/^exit=//p' "$RESULTS/g$i/vm.result" 2>/dev/null)
	printf 'g%s status=%s exit=%s rc=%s killed=%s\n' "$i" "${st:-none}" "${ex:-}" "$rc" "${KILLED[$i]:-0}" >>"$RESULTS/vmnet.result"
	# the vm.sh scan covers dmesg.txt and the console: any report counts
	if [ "$rc" -eq 125 ]; then
		worst=125
	elif [ "$rc" -eq 137 ] && [ -n "${KILLED[$i]:-}" ]; then
		:
	elif [ "$rc" -eq 124 ]; then
		[ "$worst" = 125 ] || worst=124
	elif [ "$rc" -eq 126 ] || [ -z "$st" ]; then
		[ "$worst" = 125 ] || [ "$worst" = 124 ] || worst=126
	elif [ "$rc" -ne 0 ]; then
		[ "$worst" -ne 0 ] || worst=1
	fi
done
[ "$overdue" = 1 ] && [ "$worst" != 125 ] && worst=124
case $worst in
0) status=ok ;; 1) status="cmd-failed" ;; 124) status=timeout ;; 125) status=report ;; *) status=lab-failure ;;
esac
echo "status=$status elapsed=$((SECONDS - start))" >>"$RESULTS/vmnet.result"
if [ "$QUIET" = 0 ]; then
	echo "vmnet: $KERNEL, $GUESTS guests: $status after $((SECONDS - start))s (results $RESULTS)"
fi
exit "$worst"
