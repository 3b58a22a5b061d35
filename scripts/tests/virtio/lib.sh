# shellcheck shell=bash
# Helpers for the multi-guest cases of vwifi's virtio mode (scripts/tests/virtio/).
#
# These cases run in several guests at once: scripts/vmnet-check.sh boots the
# guests once with scripts/vmnet.sh, and each of them runs
#   VWIFI_TESTDIR=/vwifi/scripts/tests/virtio TESTS='^(case|...)$' scripts/verify.sh
# so a case is an ordinary verify.sh case (fail/skip, CASE_TIMEOUT, cleanup and
# kernel-report check per case) that picks its role from VW_GUEST (1..VW_GUESTS),
# and the guests go through the cases together, in file order. A case that
# kills guests must come last.
# Guests meet through files in a per-case dir of the shared dir, $SYNC
# (VW_SHARED/CASE): sync_put NAME / sync_wait SECONDS NAME...; a guest that
# fails or skips leaves fail-gI / skip-gI there (the host's command fail-ghost),
# so that the others stop waiting for it. kill_guest I asks the host to kill
# guest I's QEMU (the guest's own included); wait_killed waits until it did.
# Per case, at file level (read on the host by scripts/vmnet-check.sh):
#   VNET_GUESTS[case]=N       guests the case uses (default 2; the others sit out)
#   VNET_HOST[case]='cmd'     shell command run on the host in the lab netns
#                             while the guests run (scripts/vmnet.sh --host;
#                             $VW_SHARED there is the host path of the shared dir)
#   CASE_TIMEOUT[case]=S      per-guest case bound (verify.sh)
# A case starts with `virtio_case_start N || return 0`.
# Addresses: guest I's eth0 is 52:54:00:12:34:0I (guest_mac I); its vwN is that
# MAC with the first byte XORed with (N+1)<<2 (virtio_mac I [N]); guest I uses
# 10.0.0.I/24 on vw0 and 10.1.0.I/24 on eth0 for the lab check.

# shellcheck source=scripts/tests/lib.sh
. "$VWIFI_REPO/scripts/tests/lib.sh"
# shellcheck source=scripts/tests/wifi.sh
. "$VWIFI_REPO/scripts/tests/wifi.sh"

# shellcheck disable=SC2034  # filled by the case files, read by vmnet-check.sh
declare -gA VNET_GUESTS=() VNET_HOST=() VNET_SITE_B=()
G=${VW_GUEST:-1}
GN=${VW_GUESTS:-1}
VSHARED=${VW_SHARED:-/tmp/vw-shared}
SYNC=$VSHARED/${CASE_NAME:-none}

# fail / skip (lib.sh) that also tell the other guests
fail() {
	{ echo "$*" >"$SYNC/fail-g$G"; } 2>/dev/null
	{ echo "$*" >&3; } 2>/dev/null
	echo "FAIL: $*" >&2
	exit 1
}
skip() {
	[ -n "${CASE_DIR:-}" ] && echo "$*" >"$CASE_DIR/.skip"
	{ echo "$*" >"$SYNC/skip-g$G"; } 2>/dev/null
	echo "SKIP: $*" >&2
	exit 77
}

guest_mac() { printf '52:54:00:12:34:%02x\n' "$1"; }
# virtio_mac I [N]: MAC of vwN (default vw0) in guest I
virtio_mac() { printf '%02x:54:00:12:34:%02x\n' $((0x52 ^ ((${2:-0} + 1) << 2))) "$1"; }
# others N: the numbers of the other guests among guests 1..N
others() {
	local j
	for ((j = 1; j <= $1; j++)); do
		[ "$j" = "$G" ] || echo "$j"
	done
}

sync_put() { local n; for n in "$@"; do vw_now_ms >"$SYNC/$n"; done; }
# sync_wait SECONDS NAME...: wait until all NAMEs exist in $SYNC; fails
# (skips) at once when another guest failed (skipped)
sync_wait() {
	local t=$1 end n
	shift
	end=$(( $(vw_now_ms) + t * 1000 ))
	for n in "$@"; do
		while [ ! -e "$SYNC/$n" ]; do
			sync_peer_check "$n"
			[ "$(vw_now_ms)" -lt "$end" ] || fail "timed out after ${t}s waiting for '$n' (from another guest)"
			sleep 0.2
		done
	done
}
sync_peer_check() {
	local f r pass
	# a guest that failed for its own reason first, then one that gave up
	for pass in 1 2; do
		for f in "$SYNC"/fail-g* "$SYNC"/skip-g*; do
			[ -e "$f" ] || continue
			[ "${f##*-g}" = "$G" ] && continue
			read -r r <"$f"
			[ $pass = 1 ] && [[ $r == "waiting for "* ]] && continue
			case ${f##*/} in
			fail-*) fail "waiting for '$1': guest ${f##*-g} failed ($r)" ;;
			*) skip "guest ${f##*-g} skipped: $r" ;;
			esac
		done
	done
}

# kill_guest I: the host kills guest I's QEMU (I = G: this guest; then it
# never returns)
kill_guest() {
	vw_now_ms >"$SYNC/kill-requested-g$1"
	vw_now_ms >"$VSHARED/kill-g$1"
	if [ "$1" = "$G" ]; then
		sleep 60
		fail "the host did not kill this guest (guest $G)"
	fi
}
# wait_killed SECONDS I: until the host killed guest I
wait_killed() {
	local end=$(( $(vw_now_ms) + $1 * 1000 ))
	while [ ! -e "$VSHARED/killed-g$2" ]; do
		sync_peer_check "killed-g$2"
		[ "$(vw_now_ms)" -lt "$end" ] || fail "guest $2 was not killed within $1 s"
		sleep 0.2
	done
}

# virtio_case_start N: begin a case that uses guests 1..N: the lab check
# (first case of the boot only), then 1 in the guests that sit this case out.
# Those wait until the players are over (over-gI, written when a player's case
# process exits), so that all guests start the next case together: a guest
# that went on at once waited the next case's whole sync_wait for a player
# still busy with this one (an iwd case under TCG takes minutes).
virtio_case_start() {
	mkdir -p "$SYNC"
	[ -e "$VSHARED/ethok-g$G" ] || lab_net_check
	if [ "$G" -gt "$1" ]; then
		info "guest $G sits this case out"
		sit_out "$1"
		return 1
	fi
	trap 'vw_now_ms >"$SYNC/over-g$G" 2>/dev/null' EXIT
}
# sit_out N: until guests 1..N are over (or were killed), within this case's
# time bound (VW_CASE_SECONDS, from verify.sh)
sit_out() {
	local j end=$(( $(vw_now_ms) + (${VW_CASE_SECONDS:-180} - 10) * 1000 ))
	for j in $(seq 1 "$1"); do
		while [ ! -e "$SYNC/over-g$j" ] && [ ! -e "$VSHARED/killed-g$j" ]; do
			[ "$(vw_now_ms)" -lt "$end" ] || { info "guest $j still busy; going on"; return 0; }
			sleep 0.5
		done
	done
}

# lab_net_check: load virtio_net, check eth0, and ping every other guest over
# eth0 (10.1.0.I): the lab's Ethernet works before vwifi takes eth0. Leaves
# eth0 down without an address.
lab_net_check() {
	local mac j
	modprobe virtio_net || fail "modprobe virtio_net"
	wait_for 10 test -e /sys/class/net/eth0 || fail "lab: no eth0 (virtio-net) in the guest"
	read -r mac </sys/class/net/eth0/address
	[ "$mac" = "$(guest_mac "$G")" ] || fail "lab: eth0 has MAC $mac, not $(guest_mac "$G")"
	ip addr add "10.1.0.$G/24" dev eth0 || fail "lab: ip addr add on eth0"
	ip link set eth0 up || fail "lab: eth0 up"
	sync_put "eth-g$G"
	for j in $(others "$GN"); do sync_wait 240 "eth-g$j"; done
	for j in $(others "$GN"); do
		wait_for 10 ping -c 1 -W 1 "10.1.0.$j" ||
			fail "lab: guest $G cannot ping guest $j over eth0 (10.1.0.$j): the lab's network is broken"
	done
	sync_put "ethok-g$G"
	for j in $(others "$GN"); do sync_wait 60 "ethok-g$j"; done
	ip addr flush dev eth0
	ip link set eth0 down
	vw_now_ms >"$VSHARED/ethok-g$G"
	info "lab: eth0 reaches the other guests"
}

has_virtio_param() { modinfo -p "$VWIFI_KO" 2>/dev/null | grep -q '^virtio:'; }

# virtio_load [PARAMS...]: vwifi in virtio mode on eth0 (station=1 virtio=1),
# vw0 with 10.0.0.G/24; checks vw0's MAC and that vwifi brought eth0 up
virtio_load() {
	local mac
	has_virtio_param || skip "vwifi.ko has no virtio parameter (no virtio mode in this build)"
	vw_load station=1 virtio=1 "$@"
	wait_for 5 test -e /sys/class/net/vw0 || fail "no vw0 after insmod virtio=1"
	read -r mac </sys/class/net/vw0/address
	[ "$mac" = "$(virtio_mac "$G")" ] || fail "vw0 has MAC $mac, expected $(virtio_mac "$G") (eth0's with byte 0 ^ 0x04)"
	# shellcheck disable=SC2016
	wait_for 5 eval 'local fl; read -r fl </sys/class/net/eth0/flags && (( fl & 1 ))' ||
		fail "vwifi did not bring eth0 up (flags $(cat /sys/class/net/eth0/flags))"
	ip addr add "10.0.0.$G/24" dev vw0 || fail "ip addr add on vw0"
}

# AP / STA on vw0 in the initial netns (the helpers of wifi.sh work per netns)
v_start_ap() {
	local conf
	conf=$(hostapd_conf vw0 "${1:-wpa2}" "${@:2}")
	ip link set vw0 up
	bg hostapd hostapd -t -d "$conf"
	wait_for 30 v_ap_enabled || fail "hostapd did not start: $(tail -n 5 "$(bg_log hostapd)" | tr '\n' '|')"
}
v_ap_cli() { hostapd_cli -p "$(ctrl_dir hostapd)" -i vw0 "$@"; }
v_ap_enabled() { v_ap_cli status 2>/dev/null | grep -q '^state=ENABLED'; }
# v_ap_stations: MACs in the AP's station dump, one a line
v_ap_stations() { iw dev vw0 station dump | sed -n 's/^Station \([0-9a-f:]*\).*/\1/p'; }
# v_ap_lists_only MAC...: the AP's station dump lists exactly these MACs
v_ap_lists_only() {
	[ "$(v_ap_stations | sort | tr '\n' ' ')" = "$(printf '%s\n' "$@" | sort | tr '\n' ' ')" ]
}

v_start_sta() {
	local conf
	conf=$(wpas_conf vw0 "$@")
	ip link set vw0 up
	bg wpas wpa_supplicant -t -dd -i vw0 -c "$conf"
}
v_sta_cli() { wpa_cli -p "$(ctrl_dir wpas)" -i vw0 "$@"; }
v_sta_state() { v_sta_cli status 2>/dev/null | sed -n 's/^wpa_state=//p'; }
v_sta_completed() { [ "$(v_sta_state)" = COMPLETED ]; }
v_wait_sta() {
	wait_for "${1:-60}" v_sta_completed ||
		fail "vw0 did not connect (wpa_state=$(v_sta_state)): $(grep -E 'CTRL-EVENT|reason' "$(bg_log wpas)" | tail -n 3 | tr '\n' '|')"
}
# v_check_link AP_MAC: iw link of a STA shows the AP and SSID test
v_check_link() {
	local link
	link=$(iw dev vw0 link)
	grep -qi "Connected to $1" <<<"$link" || fail "vw0 link (expected Connected to $1): $(tr '\n' '|' <<<"$link")"
	[ "$(sed -n 's/^[[:space:]]*SSID: //p' <<<"$link")" = test ] || fail "vw0 link SSID: $(tr '\n' '|' <<<"$link")"
}

# v_ping J [SECONDS]: this guest's vw0 reaches guest J's vw0 (10.0.0.J)
v_ping() {
	wait_for "${2:-20}" ping -c 1 -W 2 "10.0.0.$1" ||
		fail "guest $G (10.0.0.$G) cannot ping guest $1 (10.0.0.$1) over vwifi"
}

# data_sources DEV READYFILE STOPFILE SECONDS SA: count the 802.11 data
# frames vwifi's medium carries to DEV (EtherType 0x88B5, a FRAME of data
# type) whose source address (address 3 from the DS, else address 2) is SA,
# per Ethernet source address and DS bits ("MAC to|from|none COUNT" lines),
# from the moment it creates READYFILE until STOPFILE exists or SECONDS
# passed (an ETH_P_ALL packet socket in perl: it sees the frames before
# vwifi's rx_handler)
data_sources() {
	perl -e '
		use strict; use Socket;
		my ($dev, $ready, $stop, $secs, $inner) = @ARGV;
		open(my $f, "<", "/sys/class/net/$dev/ifindex") or die "no $dev\n";
		chomp(my $idx = <$f>);
		$inner = pack("H12", join("", split(/:/, $inner)));
		socket(my $s, 17, SOCK_RAW, 0x0300) or die "socket: $!\n";
		bind($s, pack("S n i S C C a8", 17, 3, $idx, 0, 0, 0, "")) or die "bind: $!\n";
		open($f, ">", $ready) or die "$ready: $!\n";
		close $f;
		my %n; my $end = time + $secs;
		while (time < $end && ! -e $stop) {
			my $rin = ""; vec($rin, fileno($s), 1) = 1;
			select(my $rout = $rin, undef, undef, 0.2) > 0 or next;
			my $from = recv($s, my $buf, 65536, 0);
			next unless defined $from && length($buf) >= 14 + 18 + 4 + 24;
			next if (unpack("S n i S C C a8", $from))[4] == 4;
			next unless ord(substr($buf, 14, 1)) == 0x56 && ord(substr($buf, 16, 1)) == 7;
			my $fc = unpack("v", substr($buf, 36, 2));
			next unless ($fc & 0x4c) == 0x08;	# data, not null
			my $ds = ($fc >> 8) & 3;
			next unless substr($buf, $ds == 2 ? 52 : 46, 6) eq $inner;
			$n{join(":", unpack("(H2)6", substr($buf, 6, 6))) . " " .
			   ("none", "to", "from", "wds")[$ds]}++;
		}
		print "$_ $n{$_}\n" for sort keys %n;' "$@"
}

# no_kernel_warnings: fail on any warning-or-worse kernel message of the case
no_kernel_warnings() {
	local w
	w=$(kernel_warnings)
	[ -z "$w" ] || fail "kernel log of guest $G: $(head -n 3 <<<"$w" | tr '\n' '|')"
}

# medium_counter N: counter N (1 rx, 2 rx dropped, 3 rx invalid, 4 tx, 5 tx
# dropped) of vwifi's medium, from the line of `vwifi-tool` (status)
# "medium: virtio on eth0, ...; rx N (dropped N, invalid N), tx N (dropped N)".
# Empty without vwifi-tool or such a line.
medium_counter() {
	[ -n "${VWIFI_TOOL:-}" ] && [ -x "$VWIFI_TOOL" ] || return 0
	"$VWIFI_TOOL" 2>/dev/null |
		sed -n 's/^medium: .* rx \([0-9]*\) (dropped \([0-9]*\), invalid \([0-9]*\)), tx \([0-9]*\) (dropped \([0-9]*\)).*/\1 \2 \3 \4 \5/p' |
		cut -d' ' -f"$1"
}

# vw_counters: medium and interface counters, for the case log
vw_counters() {
	[ -n "${VWIFI_TOOL:-}" ] && "$VWIFI_TOOL" 2>&1 | grep '^medium' | sed 's/^/# /' >&2
	ip -s link show dev vw0 2>&1 | sed 's/^/# /' >&2
	ip -s link show dev eth0 2>&1 | sed 's/^/# /' >&2
	return 0
}
