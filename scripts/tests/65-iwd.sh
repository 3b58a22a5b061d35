# shellcheck shell=bash
# iwd, which runs its own SME through nl80211 frame registrations: as an
# access point (NL80211_CMD_START_AP, authentication and association
# frames handed up to it and answered with NL80211_CMD_FRAME, stations
# added with NL80211_CMD_NEW_STATION, its own 4-way handshake), serving a
# wpa_supplicant station.

# shellcheck source=scripts/tests/wifi.sh
. "$VWIFI_REPO/scripts/tests/wifi.sh"

iwd_log() { bg_log "iwd-vw$1"; }

# iwd_up N: iwd on vwN in nsN
iwd_up() {
	in_ns "ns$1" ip link set "vw$1" up
	iwd_start "vw$1" "ns$1"
}

# An iwd access point (WPA2, channel of its choice) serves a wpa_supplicant
# station: association, iwd's 4-way handshake, the port opens, ping both
# ways; the AP lists the station authorized; the station leaves and the AP
# no longer lists it; it comes back, then its interface is deleted and the
# AP forgets it
t_iwd_ap() {
	local out
	need wpa_supplicant iw ping
	vw_load station=2
	vw_netns 0 1
	iwd_up 0
	iwd_ap_start vw0
	start_sta 1
	wait_sta 1 40
	expect_ping 1 0
	expect_ping 0 1
	in_ns ns0 iw dev vw0 station get "$(vw_mac 1)" | grep -Eq 'authorized:[[:space:]]*yes' ||
		fail "the iwd AP does not list vw1 authorized: $(in_ns ns0 iw dev vw0 station dump | tr '\n' '|')"
	grep -q 'CTRL-EVENT-CONNECTED' "$(bg_log wpas-vw1)" || fail "wpa_supplicant did not report the connection"
	# iwd starts an HT40 BSS (vwifi's bands offer 40 MHz): both ends use it
	out=$(in_ns ns0 iw dev vw0 info | grep channel)
	grep -q 'width: 40 MHz' <<<"$out" || fail "the iwd AP's channel: $out"
	out=$(in_ns ns1 iw dev vw1 link | grep bitrate)
	grep -q 'MCS 7 40MHz' <<<"$out" || fail "vw1's link is not HT40: $(tr '\n' '|' <<<"$out")"
	# the station hears the AP's beacons (iwd makes its end of the link late)
	wait_for 5 sta_beacons_at_least ns1 vw1 "$(vw_mac 0)" 5 ||
		fail "vw1 hears no beacons of the iwd AP: $(in_ns ns1 iw dev vw1 station get "$(vw_mac 0)" | grep beacon | tr '\n' '|')"
	# the station leaves: iwd hears its deauthentication and removes it
	sta_cli 1 disconnect >/dev/null
	wait_for 10 eval "! in_ns ns0 iw dev vw0 station dump | grep -q 'Station $(vw_mac 1)'" ||
		fail "the iwd AP still lists vw1 after it left"
	! grep -q 'STATION failed' "$(iwd_log 0)" ||
		fail "iwd: $(grep 'STATION failed' "$(iwd_log 0)" | head -n 1)"
	# back, then its interface goes away: the AP's entry for it goes too
	sta_cli 1 reconnect >/dev/null
	wait_sta 1 40
	wait_for 10 eval "in_ns ns0 iw dev vw0 station get $(vw_mac 1) | grep -Eq 'authorized:[[:space:]]*yes'" ||
		fail "vw1 is not back at the iwd AP"
	bg_stop wpas-vw1
	in_ns ns1 iw dev vw1 del || fail "iw dev vw1 del"
	wait_for 10 eval "! in_ns ns0 iw dev vw0 station dump | grep -q 'Station $(vw_mac 1)'" ||
		fail "the iwd AP still lists vw1 after its interface went"
	in_ns ns0 iw dev vw0 station dump >/dev/null || fail "station dump on the iwd AP"
}
