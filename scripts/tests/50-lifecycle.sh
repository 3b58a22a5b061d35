# shellcheck shell=bash
# Capabilities, tx power, interface types, netns moves and rmmod in every state.
. "$VWIFI_REPO/scripts/tests/wifi.sh"

# iw list tells the truth
t_iw_list() {
	local out
	vw_load station=1
	out=$(iw phy vw_phy0 info) || fail "iw phy info"
	for want in '\* managed' '\* AP$' '\* IBSS' 'WEP40' 'WEP104' 'TKIP' 'CCMP-128' \
		'2412(\.0)? MHz \[1\]' '2484(\.0)? MHz \[14\].*no IR' '2467(\.0)? MHz \[12\].*no IR' '5180(\.0)? MHz \[36\]' \
		'54.0 Mbps' 'HT20' 'max # scan SSIDs: 16' 'connect' 'start_ap' 'set_wiphy_netns' \
		'Device supports AP-side u-APSD|Device supports' ; do
		grep -Eq "$want" <<<"$out" || fail "iw list lacks '$want'"
	done
	for bad in '\* monitor' '\* mesh point' 'P2P' 'VHT'; do
		grep -Eq "$bad" <<<"$out" && fail "iw list claims '$bad'"
	done
	return 0
}

# tx power: auto and fixed, as iw dev info reports
t_txpower() {
	vw_load station=1
	ip link set vw0 up
	iw dev vw0 info | grep -q 'txpower 20.00 dBm' || fail "default txpower: $(iw dev vw0 info | grep txpower)"
	iw dev vw0 set txpower fixed 1000 || fail "set txpower fixed 1000"
	iw dev vw0 info | grep -q 'txpower 10.00 dBm' || fail "fixed 10 dBm: $(iw dev vw0 info | grep txpower)"
	iw dev vw0 set txpower fixed 5000 2>/dev/null && fail "50 dBm accepted"
	iw dev vw0 set txpower auto || fail "set txpower auto"
	iw dev vw0 info | grep -q 'txpower 20.00 dBm' || fail "auto: $(iw dev vw0 info | grep txpower)"
}

# Interface types switch (down), are refused while up, and bad types fail
t_iftype_changes() {
	vw_load station=1
	for t in ibss __ap managed ibss managed; do
		iw dev vw0 set type "$t" || fail "set type $t"
	done
	iw dev vw0 info | grep -q 'type managed' || fail "not back to managed"
	iw dev vw0 set type monitor 2>/dev/null && fail "monitor accepted though not supported"
	ip link set vw0 up
	iw dev vw0 set type ibss 2>/dev/null && fail "type change accepted while up"
	return 0
}

# rmmod with an AP, connected stations, traffic and interfaces in netns
t_rmmod_connected() {
	infra_up
	in_ns ns1 ping -f -c 100000 "$(ip_of 2)" >/dev/null 2>&1 &
	sleep 1
	rmmod vwifi || fail "rmmod while connected"
	[ -z "$(vw_phys)" ] || fail "wiphys left: $(vw_phys)"
	for n in 0 1 2; do
		in_ns "ns$n" ip link show "vw$n" >/dev/null 2>&1 && fail "vw$n left in ns$n"
	done
	return 0
}

# Network namespaces deleted first: the wiphys return to init_net, rmmod works
t_rmmod_after_netns_delete() {
	infra_up
	bg_stop wpas-vw1
	bg_stop wpas-vw2
	bg_stop hostapd-vw0
	ip netns delete ns1
	ip netns delete ns2
	wait_for 10 eval "[ -e /sys/class/net/vw1 ] && [ -e /sys/class/net/vw2 ]" ||
		fail "vw1/vw2 did not come back to the initial netns"
	rmmod vwifi || fail "rmmod"
	[ -z "$(vw_phys)" ] || fail "wiphys left"
}

# rmmod with scans in flight and an IBSS cell
t_rmmod_scanning() {
	vw_load station=4
	local n
	for n in 0 1 2 3; do ip link set "vw$n" up; done
	iw dev vw3 set type ibss 2>/dev/null || { ip link set vw3 down; iw dev vw3 set type ibss; ip link set vw3 up; }
	iw dev vw3 ibss join cell 2412
	for n in 0 1 2; do iw dev "vw$n" scan trigger >/dev/null 2>&1; done
	rmmod vwifi || fail "rmmod with scans in flight"
	[ -z "$(vw_phys)" ] || fail "wiphys left"
}

# Moving a wiphy between namespaces and back keeps the interface working
t_netns_roundtrip() {
	vw_load station=2
	move_to_ns vw0 nsA
	in_ns nsA iw phy vw_phy0 set netns 1 || fail "move back to init_net"
	wait_for 5 test -e /sys/class/net/vw0 || fail "vw0 did not return"
	ip link set vw0 netns nsA 2>/dev/null && fail "netdev moved without its wiphy"
	return 0
}
