# shellcheck shell=bash
# Capabilities, tx power, interface types, netns moves and rmmod in every state.
. "$VWIFI_REPO/scripts/tests/wifi.sh"

# iw list tells the truth
t_iw_list() {
	local out
	vw_load station=1
	out=$(iw phy vw_phy0 info) || fail "iw phy info"
	for want in '\* managed' '\* AP$' '\* IBSS' '\* monitor' 'WEP40' 'WEP104' 'TKIP' 'CCMP-128' \
		'2412(\.0)? MHz \[1\]' '2484(\.0)? MHz \[14\].*no IR' '2467(\.0)? MHz \[12\].*no IR' '5180(\.0)? MHz \[36\]' \
		'54.0 Mbps' 'HT20' 'max # scan SSIDs: 16' 'connect' 'start_ap' 'set_wiphy_netns' \
		'Device supports AP-side u-APSD|Device supports' ; do
		grep -Eq "$want" <<<"$out" || fail "iw list lacks '$want'"
	done
	for bad in '\* mesh point' 'P2P' 'VHT'; do
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
	iw dev vw0 set type monitor || fail "set type monitor"
	[ "$(cat /sys/class/net/vw0/type)" = 803 ] || fail "a monitor is not a radiotap device"
	iw dev vw0 set type managed || fail "monitor back to managed"
	[ "$(cat /sys/class/net/vw0/type)" = 1 ] || fail "back to managed, not an Ethernet device"
	iw dev vw0 set type mesh 2>/dev/null && fail "mesh accepted though not supported"
	ip link set vw0 up
	iw dev vw0 set type ibss 2>/dev/null && fail "type change accepted while up"
	iw dev vw0 set type monitor 2>/dev/null && fail "change to monitor accepted while up"
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

# ------------------------------------------------ interfaces at runtime

# beacon_head ADDR_HEX: a beacon's header and fixed fields (no IE) from ADDR,
# for iw dev X ap start
beacon_head() {
	# frame control, duration, DA, SA, BSSID, sequence; TSF, interval 100, ESS
	printf '80000000ffffffffffff%s%s0000%s64000100' "$1" "$1" 0000000000000000
}

# Added interfaces: a slot address each, the combination enforced, the
# first interface deleted and re-created with its address back
t_iface_add_del() {
	local out n
	vw_load station=1
	out=$(iw phy vw_phy0 info) || fail "iw phy info"
	{ grep -Eq '#\{ managed \} <= 8, #\{ (AP, IBSS|IBSS, AP) \} <= 1,' <<<"$out" &&
		grep -Eq 'total <= 8, #channels <= 1' <<<"$out"; } ||
		fail "iw phy info: no (true) interface combination: $(grep -A3 'combinations' <<<"$out")"
	grep -q 'new_interface' <<<"$out" || fail "iw phy info: new_interface not a supported command"
	iw phy vw_phy0 interface add wl1 type managed || fail "interface add wl1 type managed"
	iw dev wl1 info | grep -q 'type managed' || fail "wl1: $(iw dev wl1 info)"
	[ "$(cat /sys/class/net/wl1/address)" = 02:76:77:01:00:00 ] ||
		fail "wl1 has $(cat /sys/class/net/wl1/address), not slot 1's 02:76:77:01:00:00"
	ethtool -P wl1 | grep -qi '02:76:77:01:00:00' || fail "ethtool -P wl1: $(ethtool -P wl1)"
	[ "$(phy_of wl1)" = vw_phy0 ] || fail "wl1 is on $(phy_of wl1), not vw_phy0"
	iw phy vw_phy0 interface add wl2 type __ap || fail "interface add wl2 type __ap"
	iw dev wl2 info | grep -q 'type AP' || fail "wl2: $(iw dev wl2 info)"
	out=$(iw phy vw_phy0 interface add wl3 type ibss 2>&1) && fail "a second AP/IBSS interface was accepted"
	info "second AP/IBSS: $out"
	iw dev wl1 set type ibss 2>/dev/null && fail "wl1 became a second AP/IBSS interface"
	iw dev wl2 del || fail "iw dev wl2 del"
	[ -e /sys/class/net/wl2 ] && fail "wl2 still exists"
	iw dev wl1 set type ibss || fail "wl1 to ibss once wl2 is gone"
	iw dev wl1 set type managed || fail "wl1 back to managed"
	# Eight interfaces in all; the slots are reused
	for n in 2 3 4 5 6 7; do
		iw phy vw_phy0 interface add "wl$n" type managed || fail "interface add wl$n (interface $((n + 1)) of 8)"
	done
	[ "$(cat /sys/class/net/wl2/address)" = 02:76:77:02:00:00 ] || fail "wl2 did not get slot 2 back"
	out=$(iw phy vw_phy0 interface add wl8 type managed 2>&1) && fail "a ninth interface was accepted"
	info "ninth interface: $out"
	iw phy vw_phy0 interface add wl8 type monitor 2>/dev/null &&
		fail "a ninth interface (a monitor) was accepted: monitors take one of the 8 addresses too"
	# The first one deleted and re-created (as iwd does): its address again
	iw dev vw0 del || fail "iw dev vw0 del"
	iw dev wl7 del || fail "iw dev wl7 del"
	iw phy vw_phy0 interface add vw0 type managed || fail "re-create vw0"
	[ "$(cat /sys/class/net/vw0/address)" = "$(vw_mac 0)" ] ||
		fail "re-created vw0 has $(cat /sys/class/net/vw0/address), not $(vw_mac 0)"
	# Given an address (NL80211_FEATURE_MAC_ON_CREATE)
	iw phy vw_phy0 interface add wl7 type managed addr 02:11:22:33:44:55 || fail "interface add with addr"
	[ "$(cat /sys/class/net/wl7/address)" = 02:11:22:33:44:55 ] || fail "wl7 has $(cat /sys/class/net/wl7/address)"
	ethtool -P wl7 | grep -qi '02:76:77:07:00:00' || fail "ethtool -P wl7: $(ethtool -P wl7)"
	for n in 1 2 3 4 5 6 7; do ip link set "wl$n" up || fail "wl$n up"; done
	rmmod vwifi || fail "rmmod with added interfaces up"
	[ -z "$(vw_phys)" ] || fail "wiphys left: $(vw_phys)"
	[ -e /sys/class/net/wl1 ] && fail "wl1 left after rmmod"
	return 0
}

# An interface added to a wiphy in a netns lands there and works: a second
# station on vw1's radio joins the AP beside vw1, both pass traffic; an
# AP added on that radio must share its channel
t_iface_added_in_netns() {
	local out
	vw_load station=2
	vw_netns 0 1
	start_ap 0 wpa2
	start_sta 1
	wait_sta 1
	in_ns ns1 iw phy vw_phy1 interface add sta2 type managed || fail "interface add sta2 in ns1"
	in_ns ns1 ip link show sta2 >/dev/null 2>&1 || fail "sta2 is not in ns1"
	ip link show sta2 >/dev/null 2>&1 && fail "sta2 appeared in the initial netns"
	in_ns ns0 ip addr add 10.0.1.1/24 dev vw0
	in_ns ns1 ip addr add 10.0.1.12/24 dev sta2
	in_ns ns1 ip link set sta2 up
	bg wpas-sta2 ip netns exec ns1 wpa_supplicant -t -dd -i sta2 -c "$(wpas_conf sta2)"
	wait_for 30 eval "in_ns ns1 iw dev sta2 link | grep -q '^Connected'" ||
		fail "sta2 did not connect: $(grep CTRL-EVENT "$(bg_log wpas-sta2)" | tail -n 3 | tr '\n' '|')"
	wait_for 10 in_ns ns0 ping -c 1 -W 2 10.0.1.12 >/dev/null || fail "AP cannot ping sta2"
	expect_ping 1 0
	out=$(ap_cli 0 all_sta)
	grep -qi "^02:76:77:01:00:01$" <<<"$out" || fail "the AP does not list sta2 (02:76:77:01:00:01): $out"
	grep -qi "^$(vw_mac 1)$" <<<"$out" || fail "the AP does not list vw1: $out"
	# One channel: vw_phy1's stations are on 6, an AP on 11 cannot start
	in_ns ns1 iw phy vw_phy1 interface add ap1 type __ap || fail "interface add ap1 type __ap"
	in_ns ns1 ip link set ap1 up
	out=$(in_ns ns1 iw dev ap1 ap start other 2462 100 1 head "$(beacon_head 027677020001)" 2>&1) &&
		fail "an AP on channel 11 started beside stations on channel 6"
	info "AP on another channel: $out"
	in_ns ns1 iw dev ap1 ap start other 2437 100 1 head "$(beacon_head 027677020001)" ||
		fail "an AP on the stations' channel 6 did not start"
	in_ns ns1 iw dev ap1 ap stop
	in_ns ns1 iw dev sta2 del || fail "iw dev sta2 del while connected"
	wait_for 10 eval "! ap_cli 0 all_sta | grep -qi '^02:76:77:01:00:01$'" ||
		fail "the AP still lists the deleted sta2"
	expect_ping 1 0
}
