# shellcheck shell=bash
# Wi-Fi helpers for vwifi test cases: hostapd / wpa_supplicant / iw set-ups.
# Sourced by the NN-*.sh case files that need them (after lib.sh).

# Control sockets of hostapd/wpa_supplicant: unix sockets need a local
# filesystem (the case dir may be on 9p)
ctrl_dir() { local d="/run/vwt/${CASE_NAME:-x}/$1"; mkdir -p "$d"; echo "$d"; }

# Addresses vwifi derives from the interface index (vwifi_radio_addr())
vw_mac() { printf '02:76:77:00:%02x:%02x\n' $(($1 >> 8)) $(($1 & 255)); }

# iw_scan NS DEV [ARGS]: `iw dev DEV scan ARGS` in NS, output on stdout.
# iw waits for the end of its scan on the socket it triggered from, and hangs
# when that end came before the trigger's ack (a trigger preempted for the
# scan's duration under TCG): after 60 s, once more. A scan vwifi never ended
# fails the second time (the trigger gets EBUSY).
iw_scan() {
	local out rc
	out=$(in_ns "$1" timeout 60 iw dev "$2" scan "${@:3}" 2>&1)
	rc=$?
	if [ $rc = 124 ]; then
		info "iw dev $2 scan missed the end of its scan; once more"
		out=$(in_ns "$1" timeout 60 iw dev "$2" scan "${@:3}" 2>&1)
		rc=$?
	fi
	printf '%s\n' "$out"
	return $rc
}

# own_frames NS DEV SECONDS: count frames DEV receives (not sends) whose
# source MAC is DEV's own address, for SECONDS (a packet socket in perl)
own_frames() {
	# shellcheck disable=SC2016 # perl code
	in_ns "$1" perl -e '
		use strict; use Socket;
		my ($dev, $secs) = @ARGV;
		open(my $f, "<", "/sys/class/net/$dev/ifindex") or die "no $dev\n";
		chomp(my $idx = <$f>);
		open($f, "<", "/sys/class/net/$dev/address") or die;
		chomp(my $mac = <$f>);
		$mac = pack("H12", join("", split(/:/, $mac)));
		socket(my $s, 17, SOCK_RAW, 0x0300) or die "socket: $!\n";
		bind($s, pack("S n i S C C a8", 17, 3, $idx, 0, 0, 0, "")) or die "bind: $!\n";
		my ($n, $end) = (0, time + $secs);
		while ((my $left = $end - time) > 0) {
			my $rin = ""; vec($rin, fileno($s), 1) = 1;
			select(my $rout = $rin, undef, undef, $left) > 0 or next;
			my $from = recv($s, my $buf, 2048, 0);
			next unless defined $from && length($buf) >= 12;
			my $pkttype = (unpack("S n i S C C a8", $from))[4];
			$n++ if $pkttype != 4 && substr($buf, 6, 6) eq $mac;
		}
		print "$n\n";' "$2" "$3"
}

# ip_of N: the test IP address of vwN
ip_of() { echo "10.0.0.$(($1 + 1))"; }

# vw_netns N...: move each vwN into its own netns nsN, give it 10.0.0.(N+1)/24
vw_netns() {
	local n
	for n in "$@"; do
		move_to_ns "vw$n" "ns$n"
		in_ns "ns$n" ip addr add "$(ip_of "$n")/24" dev "vw$n" || fail "ip addr add on vw$n"
		in_ns "ns$n" ip link set lo up
	done
}

# hostapd_conf IFACE MODE [LINE...]: write a hostapd config (MODE: wpa2 | open),
# channel 6, SSID "test", passphrase 12345678; extra lines are appended
hostapd_conf() {
	local ifc=$1 mode=$2 conf=$CASE_DIR/hostapd-$1.conf
	shift 2
	{
		echo "interface=$ifc"
		echo "driver=nl80211"
		echo "ctrl_interface=$(ctrl_dir hostapd)"
		echo "hw_mode=g"
		echo "channel=6"
		echo "ssid=test"
		if [ "$mode" = wpa2 ]; then
			echo "wpa=2"
			echo "wpa_passphrase=12345678"
			echo "wpa_key_mgmt=WPA-PSK"
			echo "wpa_pairwise=CCMP"
		fi
		printf '%s\n' "$@"
	} >"$conf"
	echo "$conf"
}

# start_ap N MODE [LINE...]: hostapd on vwN (in nsN), wait until it is enabled
start_ap() {
	local n=$1 conf
	shift
	conf=$(hostapd_conf "vw$n" "$@")
	in_ns "ns$n" ip link set "vw$n" up
	bg "hostapd-vw$n" ip netns exec "ns$n" hostapd -t -d "$conf"
	wait_for 15 ap_enabled "$n" || fail "hostapd on vw$n did not start: $(tail -n 5 "$(bg_log "hostapd-vw$n")" | tr '\n' '|')"
}

ap_cli() { local n=$1; shift; in_ns "ns$n" hostapd_cli -p "$(ctrl_dir hostapd)" -i "vw$n" "$@"; }
ap_enabled() { ap_cli "$1" status 2>/dev/null | grep -q '^state=ENABLED'; }

# wpas_conf IFACE [NETWORK LINE...]: wpa_supplicant config with one network
# (default: ssid "test", psk "12345678")
wpas_conf() {
	local ifc=$1 conf=$CASE_DIR/wpas-$1.conf
	shift
	[ $# -gt 0 ] || set -- 'ssid="test"' 'psk="12345678"'
	{
		echo "ctrl_interface=$(ctrl_dir wpas)"
		echo "network={"
		printf '\t%s\n' "$@"
		echo "}"
	} >"$conf"
	echo "$conf"
}

# start_sta N [NETWORK LINE...]: wpa_supplicant on vwN (in nsN)
start_sta() {
	local n=$1 conf
	shift
	conf=$(wpas_conf "vw$n" "$@")
	in_ns "ns$n" ip link set "vw$n" up
	bg "wpas-vw$n" ip netns exec "ns$n" wpa_supplicant -t -dd -i "vw$n" -c "$conf"
}

sta_cli() { local n=$1; shift; in_ns "ns$n" wpa_cli -p "$(ctrl_dir wpas)" -i "vw$n" "$@"; }
sta_state() { sta_cli "$1" status 2>/dev/null | sed -n 's/^wpa_state=//p'; }
sta_completed() { [ "$(sta_state "$1")" = COMPLETED ]; }

# wait_sta N: wait until wpa_supplicant on vwN completed the connection
wait_sta() {
	wait_for "${2:-30}" sta_completed "$1" ||
		fail "vw$1 did not connect (wpa_state=$(sta_state "$1")): $(grep -E 'CTRL-EVENT|reason' "$(bg_log "wpas-vw$1")" | tail -n 3 | tr '\n' '|')"
}

# can_ping FROM_N TO_N: one ping from vwFROM to vwTO's address succeeds
can_ping() { in_ns "ns$1" ping -c 1 -W 2 "$(ip_of "$2")" >/dev/null 2>&1; }
# expect_ping FROM TO / expect_no_ping FROM TO
expect_ping() {
	wait_for 10 can_ping "$1" "$2" || fail "vw$1 cannot ping vw$2 ($(ip_of "$2"))"
}
expect_no_ping() {
	! in_ns "ns$1" ping -c 3 -i 0.3 -W 1 "$(ip_of "$2")" >/dev/null 2>&1 ||
		fail "vw$1 reached vw$2 ($(ip_of "$2")) but should not"
}

# infra_up: vwifi with station=3; AP vw0 (WPA2) in ns0, STAs vw1 vw2 in ns1 ns2,
# both connected with wpa_supplicant
infra_up() {
	vw_load station="${1:-3}"
	vw_netns 0 1 2
	start_ap 0 wpa2
	start_sta 1
	start_sta 2
	wait_sta 1
	wait_sta 2
}

# sta_beacon NS DEV BSSID FIELD: a beacon line of DEV's entry for its AP
# BSSID in `iw station get` (FIELD "rx:" or "signal avg:"), its number
sta_beacon() {
	in_ns "$1" iw dev "$2" station get "$3" 2>/dev/null |
		sed -n "s/^[[:space:]]*beacon $4[[:space:]]*\([-0-9]*\).*/\1/p"
}

# sta_beacons_at_least NS DEV BSSID N: DEV heard at least N beacons of BSSID
sta_beacons_at_least() {
	local n
	n=$(sta_beacon "$1" "$2" "$3" rx:)
	[ -n "$n" ] && [ "$n" -ge "$4" ]
}

# link_field N FIELD: a value from `iw dev vwN link` (e.g. "SSID", "freq")
link_field() { in_ns "ns$1" iw dev "vw$1" link | sed -n "s/^[[:space:]]*$2: //p"; }

# iwd_bin: the daemon (Debian installs it in /usr/libexec)
iwd_bin() {
	local b
	for b in /usr/libexec/iwd /usr/lib/iwd/iwd; do
		[ -x "$b" ] && { echo "$b"; return 0; }
	done
	return 1
}

# iwd_start IFACE [NS]: a system bus, then iwd on IFACE only (in NS if
# given), its state and configuration in the case dir (log: bg_log
# iwd-IFACE); waits until iwctl lists IFACE
iwd_start() {
	local ifc=$1 ns=${2:-} iwd etc=$CASE_DIR/iwd-etc state=$CASE_DIR/iwd-state
	iwd=$(iwd_bin) || skip "needs iwd"
	need dbus-daemon iwctl
	mkdir -p /run/dbus "$etc" "$state"
	# a bus of the case's own, without service activation: iwctl would
	# otherwise start a second iwd (in the wrong netns) before ours has
	# its name
	cat >"$CASE_DIR/dbus.conf" <<-CONF
	<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
	 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
	<busconfig>
	  <type>system</type>
	  <listen>unix:path=/run/dbus/system_bus_socket</listen>
	  <auth>EXTERNAL</auth>
	  <policy context="default">
	    <allow user="*"/>
	    <allow own="*"/>
	    <allow send_destination="*"/>
	    <allow receive_sender="*"/>
	  </policy>
	</busconfig>
	CONF
	rm -f /run/dbus/system_bus_socket
	bg dbus dbus-daemon --config-file="$CASE_DIR/dbus.conf" --nofork --nopidfile
	wait_for 10 test -S /run/dbus/system_bus_socket || fail "no system bus: $(tail -n 3 "$(bg_log dbus)")"
	# keep the interface vwifi made (iwd would delete and re-create it),
	# no DHCP (the case sets the addresses)
	cat >"$etc/main.conf" <<-CONF
	[General]
	EnableNetworkConfiguration=false
	UseDefaultInterface=true
	[DriverQuirks]
	DefaultInterface=*
	CONF
	# the kernel crypto iwd asks for at start (AF_ALG and its algorithms):
	# loaded first, each modprobe can take seconds under TCG
	modprobe -q -a af_alg algif_hash algif_skcipher cmac ecb cbc ctr ccm hmac sha1 \
		sha256 sha512 md4 aes 2>/dev/null
	if [ -n "$ns" ]; then
		bg "iwd-$ifc" ip netns exec "$ns" env CONFIGURATION_DIRECTORY="$etc" \
			STATE_DIRECTORY="$state" "$iwd" -d -i "$ifc"
	else
		bg "iwd-$ifc" env CONFIGURATION_DIRECTORY="$etc" STATE_DIRECTORY="$state" \
			"$iwd" -d -i "$ifc"
	fi
	wait_for 60 eval "iwctl device list 2>/dev/null | grep -q '$ifc'" ||
		fail "iwd does not list $ifc: $(grep -iE 'error|fail|vw' "$(bg_log "iwd-$ifc")" | tail -n 4 | tr '\n' '|')"
}

# iwd_ap_start IFACE: iwd's IFACE in AP mode, WPA2 AP "test" (12345678) started
iwd_ap_start() {
	local out
	out=$(iwctl device "$1" set-property Mode ap 2>&1) || fail "iwctl set-property Mode ap: $out"
	wait_for 10 eval "iwctl ap list 2>/dev/null | grep -q '$1'" ||
		fail "$1 is not in AP mode: $(iwctl ap list 2>&1 | tr '\n' '|')"
	out=$(iwctl ap "$1" start test 12345678 2>&1) ||
		fail "iwctl ap start: $out: $(grep -iE 'error|fail|-[0-9]+' "$(bg_log "iwd-$1")" | tail -n 5 | tr '\n' '|')"
	wait_for 10 eval "iwctl ap '$1' show 2>/dev/null | grep -q 'Started *yes'" ||
		fail "the iwd AP did not start: $(iwctl ap "$1" show 2>&1 | tr '\n' '|')"
}
