# shellcheck shell=bash
# IBSS (ad hoc): iw ibss join/leave and wpa_supplicant IBSS-RSN.
. "$VWIFI_REPO/scripts/tests/wifi.sh"

# ibss_join N SSID [ARGS...]: vwN to IBSS mode, up, join SSID on 2412
ibss_join() {
	local n=$1 ssid=$2
	shift 2
	in_ns "ns$n" ip link set "vw$n" down
	in_ns "ns$n" iw dev "vw$n" set type ibss || fail "vw$n: set type ibss"
	in_ns "ns$n" ip link set "vw$n" up
	in_ns "ns$n" iw dev "vw$n" ibss join "$ssid" 2412 NOHT "$@" || fail "vw$n: ibss join $ssid $*"
}

# The README's manual cell: fixed freq, fixed BSSID, beacon interval
t_ibss_manual() {
	local out
	vw_load station=5
	vw_netns 3 4
	ibss_join 3 ibss1 fixed-freq "$(vw_mac 3)" beacon-interval 200
	ibss_join 4 ibss1 fixed-freq "$(vw_mac 3)" beacon-interval 200
	out=$(in_ns ns3 iw dev vw3 info)
	grep -q 'ssid ibss1' <<<"$out" || fail "vw3 info has no ssid: $out"
	grep -q 'type IBSS' <<<"$out" || fail "vw3 not IBSS"
	in_ns ns3 iw dev vw3 link | grep -qi "Joined IBSS $(vw_mac 3)" || fail "vw3 link: $(in_ns ns3 iw dev vw3 link)"
	expect_ping 3 4
	expect_ping 4 3
	in_ns ns3 iw dev vw3 station dump | grep -qi "Station $(vw_mac 4)" || fail "vw3 does not list vw4"
	in_ns ns3 iw dev vw3 ibss leave || fail "ibss leave"
	out=$(in_ns ns3 iw dev vw3 info)
	grep -q 'ssid' <<<"$out" && fail "vw3 still has an ssid after leave: $out"
	expect_no_ping 4 3
	in_ns ns4 iw dev vw4 station dump | grep -q Station && fail "vw4 still lists a peer"
	return 0
}

# ibss_beacons_missed: the status's count of beacons missed locally
ibss_beacons_missed() { "$VWIFI_TOOL" | sed -n 's/^beacons to local .*, missed \([0-9]*\);.*$/\1/p'; }

# Members of a cell beacon to each other every beacon interval and count
# what they hear (iw station get: beacon rx, beacon signal avg); a member
# that stops hearing the other (a denylist pair) misses 7 beacons, then
# both part; heard again, they meet by the next beacon
t_ibss_beacons() {
	local m3 m4 n1 n2 missed
	{ [ -n "${VWIFI_TOOL:-}" ] && [ -x "$VWIFI_TOOL" ]; } || skip "vwifi-tool is not built (VWIFI_TOOL)"
	vw_load station=5
	vw_netns 3 4
	m3=$(vw_mac 3) m4=$(vw_mac 4)
	ibss_join 3 ibss1 fixed-freq "$m3" beacon-interval 100
	ibss_join 4 ibss1 fixed-freq "$m3" beacon-interval 100
	expect_ping 3 4
	n1=$(sta_beacon ns3 vw3 "$m4" rx:)
	sleep 1
	n2=$(sta_beacon ns3 vw3 "$m4" rx:)
	info "vw3 heard ${n1:-?}, then ${n2:-?} beacons of vw4"
	{ [ -n "$n1" ] && [ -n "$n2" ]; } || fail "vw3 shows no beacon rx for vw4"
	[ $((n2 - n1)) -ge 5 ] ||
		fail "vw3 heard ${n1:-no} then ${n2:-no} beacons of vw4 over 1 s (interval 100 TU)"
	[ -n "$(sta_beacon ns4 vw4 "$m3" 'signal avg:')" ] || fail "vw4 shows no beacon signal for vw3"
	missed=$(ibss_beacons_missed)
	"$VWIFI_TOOL" -d vw3 -s vw4 >/dev/null || fail "vwifi-tool -d vw3 -s vw4"
	wait_for 5 eval "! in_ns ns3 iw dev vw3 station dump | grep -q Station" ||
		fail "vw3 still lists vw4 1 s after it stopped hearing it"
	wait_for 2 eval "! in_ns ns4 iw dev vw4 station dump | grep -q Station" || fail "vw4 still lists vw3"
	[ $(($(ibss_beacons_missed) - missed)) = 7 ] ||
		fail "the members parted after $(($(ibss_beacons_missed) - missed)) missed beacons, not 7"
	expect_no_ping 4 3
	"$VWIFI_TOOL" -r -d vw3 -s vw4 >/dev/null || fail "vwifi-tool -r -d vw3 -s vw4"
	wait_for 5 eval "in_ns ns3 iw dev vw3 station dump | grep -q 'Station $m4'" ||
		fail "vw3 did not meet vw4 again by its beacons"
	in_ns ns4 iw dev vw4 station dump | grep -q "Station $m3" || fail "vw4 did not meet vw3 again"
	expect_ping 3 4
}

# Cells are isolated: different SSIDs (or BSSIDs) do not talk; nor does an
# IBSS member with an infrastructure station
t_ibss_isolation() {
	vw_load station=5
	vw_netns 0 1 2 3 4
	ibss_join 3 ibss1
	ibss_join 4 ibss2
	expect_no_ping 3 4
	# a cell found by SSID is joined (same random BSSID) without fixed-bssid
	ibss_join 2 ibss1
	expect_ping 2 3
	[ "$(in_ns ns2 iw dev vw2 link | awk '/Joined IBSS/ { print $3 }')" = \
	  "$(in_ns ns3 iw dev vw3 link | awk '/Joined IBSS/ { print $3 }')" ] || fail "vw2 and vw3 in different cells"
	# infrastructure station next to the cell
	start_ap 0 open
	in_ns ns1 ip link set vw1 up
	in_ns ns1 iw dev vw1 connect test || fail "connect"
	wait_for 10 eval "in_ns ns1 iw dev vw1 link | grep -q Connected" || fail "vw1 did not connect"
	expect_no_ping 3 1
	expect_no_ping 1 3
	# the cell is visible to a scan
	iw_scan ns1 vw1 | grep -q 'SSID: ibss1' || fail "IBSS cell not in scan"
}

# wpa_supplicant IBSS-RSN (the README's option 2)
t_ibss_rsn() {
	local n
	vw_load station=5
	vw_netns 3 4
	for n in 3 4; do
		start_sta "$n" 'ssid="ibss1"' 'mode=1' 'frequency=2412' 'key_mgmt=WPA-PSK' \
			'proto=RSN' 'pairwise=CCMP' 'group=CCMP' 'psk="12345678"'
	done
	wait_sta 3
	wait_sta 4
	in_ns ns3 iw dev vw3 info | grep -q 'ssid ibss1' || fail "vw3 info: $(in_ns ns3 iw dev vw3 info)"
	expect_ping 3 4
	expect_ping 4 3
	wait_for 10 grep -q 'authorizing port\|IBSS RSN.*completed\|EAPOL-4WAY-HS-COMPLETED' "$(bg_log wpas-vw3)" ||
		info "no explicit RSN completion message in the supplicant log"
}

# An IBSS-RSN member with the wrong passphrase passes no data
t_ibss_rsn_wrong_psk() {
	vw_load station=5
	vw_netns 3 4
	start_sta 3 'ssid="ibss1"' 'mode=1' 'frequency=2412' 'key_mgmt=WPA-PSK' \
		'proto=RSN' 'pairwise=CCMP' 'group=CCMP' 'psk="12345678"'
	start_sta 4 'ssid="ibss1"' 'mode=1' 'frequency=2412' 'key_mgmt=WPA-PSK' \
		'proto=RSN' 'pairwise=CCMP' 'group=CCMP' 'psk="differentpass"'
	wait_sta 3
	wait_sta 4
	sleep 3
	expect_no_ping 3 4
}
