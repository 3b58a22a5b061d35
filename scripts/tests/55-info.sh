# shellcheck shell=bash
# What iw, wpa_cli and ethtool show about a vwifi interface: channel, power
# save, survey, station flags, bitrate, ethtool driver info and counters.
. "$VWIFI_REPO/scripts/tests/wifi.sh"

# iw_info N: `iw dev vwN info` in nsN
iw_info() { in_ns "ns$1" iw dev "vw$1" info; }
# info_channel N: the channel line of `iw dev vwN info` (empty if none)
info_channel() { iw_info "$1" | sed -n 's/^[[:space:]]*channel //p'; }
no_channel() { [ -z "$(info_channel "$1")" ]; }
# expect_channel N LINE: vwN's channel line is exactly LINE
expect_channel() {
	local got
	got=$(info_channel "$1")
	[ "$got" = "$2" ] || fail "vw$1 info: channel '$got', expected '$2': $(iw_info "$1" | tr '\n' '|')"
}

# Station, AP (HT and legacy) and IBSS member each report their BSS's
# channel and width; without a BSS there is no channel line
t_info_channel() {
	local out conf n
	vw_load station=5
	vw_netns 0 1 2 3 4
	in_ns ns2 ip link set vw2 up
	no_channel 2 || fail "unconnected vw2 reports a channel: $(info_channel 2)"
	start_ap 0 wpa2 ieee80211n=1 'ht_capab=[SHORT-GI-20]'
	start_sta 1
	wait_sta 1
	expect_channel 0 '6 (2437 MHz), width: 20 MHz, center1: 2437 MHz'
	expect_channel 1 '6 (2437 MHz), width: 20 MHz, center1: 2437 MHz'
	# both ends have the short GI: MCS 7 at 72.2 Mbit/s
	out=$(in_ns ns1 iw dev vw1 link)
	grep -q 'tx bitrate:[[:space:]]*72.2 MBit/s MCS 7 short GI' <<<"$out" ||
		fail "vw1 link with an HT20 short-GI AP: $(grep bitrate <<<"$out" | tr '\n' '|')"
	# a legacy AP (hw_mode=g only) on channel 1: no HT
	conf=$(hostapd_conf vw2 open "ssid=legacy" "channel=1")
	sed -i "s|^ctrl_interface=.*|ctrl_interface=$(ctrl_dir hostapd2)|" "$conf"
	bg hostapd-vw2 ip netns exec ns2 hostapd -t "$conf"
	wait_for 15 eval "in_ns ns2 hostapd_cli -p $(ctrl_dir hostapd2) -i vw2 status | grep -q state=ENABLED" || fail "legacy AP on vw2"
	expect_channel 2 '1 (2412 MHz), width: 20 MHz (no HT), center1: 2412 MHz'
	# an IBSS cell (legacy: vwifi does not claim HT IBSS, cfg80211 refuses HT20)
	for n in 3 4; do
		in_ns "ns$n" iw dev "vw$n" set type ibss || fail "vw$n: set type ibss"
		in_ns "ns$n" ip link set "vw$n" up
		in_ns "ns$n" iw dev "vw$n" ibss join cell 2462 NOHT fixed-freq "$(vw_mac 3)" || fail "vw$n ibss join"
		expect_channel "$n" '11 (2462 MHz), width: 20 MHz (no HT), center1: 2462 MHz'
	done
	in_ns ns4 iw dev vw4 station get "$(vw_mac 3)" | grep -q 'tx bitrate:[[:space:]]*54.0 MBit/s' ||
		fail "IBSS member's rate: $(in_ns ns4 iw dev vw4 station get "$(vw_mac 3)" | grep bitrate | tr '\n' '|')"
	# leaving the BSS takes the channel away
	sta_cli 1 disconnect >/dev/null
	wait_for 10 no_channel 1 || fail "vw1 still reports channel $(info_channel 1) after disconnecting"
	in_ns ns3 iw dev vw3 ibss leave || fail "ibss leave"
	no_channel 3 || fail "vw3 still reports channel $(info_channel 3) after leaving"
}

# iw get/set power_save on a station (the default is the kernel's,
# CONFIG_CFG80211_DEFAULT_PS)
t_info_power_save() {
	vw_load station=2
	vw_netns 1
	in_ns ns1 ip link set vw1 up
	in_ns ns1 iw dev vw1 get power_save | grep -Eq '^Power save: (on|off)$' ||
		fail "get power_save: $(in_ns ns1 iw dev vw1 get power_save 2>&1)"
	in_ns ns1 iw dev vw1 set power_save on || fail "set power_save on"
	in_ns ns1 iw dev vw1 get power_save | grep -q 'Power save: on' ||
		fail "power save not on: $(in_ns ns1 iw dev vw1 get power_save 2>&1)"
	in_ns ns1 iw dev vw1 set power_save off || fail "set power_save off"
	in_ns ns1 iw dev vw1 get power_save | grep -q 'Power save: off' ||
		fail "power save not off: $(in_ns ns1 iw dev vw1 get power_save 2>&1)"
}

# survey_field N FIELD: FIELD ("channel busy time"...) of the in-use entry, in ms
survey_field() {
	in_ns "ns$1" iw dev "vw$1" survey dump |
		awk -v f="$2" '/frequency:/ { use = /in use/ } use && index($0, f ":") { print $(NF - 1) }'
}

# Every channel has a noise floor, the one in use active and busy times
# that move with traffic; wpa_cli signal_poll shows the noise
t_info_survey() {
	local out n phy chans busy0 busy1 active poll
	infra_up
	out=$(in_ns ns1 iw dev vw1 survey dump) || fail "survey dump: $out"
	phy=$(in_ns ns1 cat /sys/class/net/vw1/phy80211/name)
	chans=$(in_ns ns1 iw phy "$phy" info | grep -E '^[[:space:]]*\* [0-9.]+ MHz \[' | grep -vc disabled)
	n=$(grep -c 'frequency:' <<<"$out")
	[ "$n" -eq "$chans" ] || fail "survey has $n channels, the wiphy $chans enabled: $(tr '\n' '|' <<<"$out")"
	[ "$(grep -c 'noise:[[:space:]]*-92 dBm' <<<"$out")" -eq "$n" ] || fail "not every channel has noise -92 dBm"
	[ "$(grep -c 'in use' <<<"$out")" -eq 1 ] || fail "not exactly one channel in use"
	grep -Eq 'frequency:[[:space:]]*2437(\.0)? MHz \[in use\]' <<<"$out" || fail "2437 MHz not in use: $(grep frequency <<<"$out" | tr '\n' '|')"
	busy0=$(survey_field 1 "channel busy time")
	active=$(survey_field 1 "channel active time")
	{ [ -n "$active" ] && [ "$active" -gt 0 ]; } || fail "no active time: $(tr '\n' '|' <<<"$out")"
	{ [ -n "$busy0" ] && [ "$busy0" -le "$active" ]; } || fail "busy $busy0 ms, active $active ms"
	# 100 x 1400 bytes each way at 54 Mbit/s: about 40 ms of air
	in_ns ns1 ping -q -c 100 -i 0.01 -s 1400 "$(ip_of 0)" >/dev/null || fail "ping vw0"
	busy1=$(survey_field 1 "channel busy time")
	[ $((busy1 - busy0)) -ge 30 ] || fail "busy time grew by $((busy1 - busy0)) ms for 100 pings of 1400 bytes"
	[ "$(survey_field 1 "channel active time")" -gt "$active" ] || fail "active time does not grow"
	poll=$(sta_cli 1 signal_poll)
	grep -q '^NOISE=-92$' <<<"$poll" || fail "wpa_cli signal_poll: $(tr '\n' '|' <<<"$poll")"
	# the AP's survey too
	in_ns ns0 iw dev vw0 survey dump | grep -Eq 'frequency:[[:space:]]*2437(\.0)? MHz \[in use\]' || fail "AP survey has 2437 MHz not in use"
}

# sta_flag NS DEV MAC FLAG: FLAG ("authorized", "MFP"...) of `station get`
sta_flag() {
	in_ns "$1" iw dev "$2" station get "$3" | sed -n "s|^[[:space:]]*$4:[[:space:]]*||p"
}
# expect_flags N MAC AUTHORIZED PREAMBLE WMM MFP: vwN's entry for MAC
expect_flags() {
	local n=$1 mac=$2 f want got
	shift 2
	for f in authorized authenticated associated preamble WMM/WME MFP; do
		case $f in
		authorized) want=$1 ;;
		authenticated | associated) want=yes ;;
		preamble) want=$2 ;;
		WMM/WME) want=$3 ;;
		MFP) want=$4 ;;
		esac
		got=$(sta_flag "ns$n" "vw$n" "$mac" "$f")
		[ "$got" = "$want" ] || fail "vw$n's entry for $mac: $f '$got', expected '$want': $(in_ns "ns$n" iw dev "vw$n" station get "$mac" | tr '\n' '|')"
	done
}

# Station flags on both ends: a legacy WPA2 AP, then an HT AP with WMM,
# PMF (MFP required) and the short preamble
t_info_sta_flags() {
	infra_up
	expect_flags 1 "$(vw_mac 0)" yes long no no
	expect_flags 0 "$(vw_mac 1)" yes long no no
	in_ns ns0 iw dev vw0 station dump | grep -q 'authorized:[[:space:]]*yes' || fail "AP station dump: no authorized"
	bg_stop wpas-vw1
	bg_stop wpas-vw2
	bg_stop hostapd-vw0
	start_ap 0 wpa2 ieee80211n=1 ieee80211w=2 preamble=1 wpa_key_mgmt=WPA-PSK-SHA256
	start_sta 1 'ssid="test"' 'psk="12345678"' 'key_mgmt=WPA-PSK-SHA256' 'ieee80211w=2'
	wait_sta 1
	expect_flags 1 "$(vw_mac 0)" yes short yes yes
	expect_flags 0 "$(vw_mac 1)" yes short yes yes
	# hostapd's own view (it learns WMM and HT only with its own MLME)
	ap_cli 0 sta "$(vw_mac 1)" | grep -q '^flags=.*\[MFP\]' ||
		fail "hostapd's view of vw1: $(ap_cli 0 sta "$(vw_mac 1)" | grep flags)"
}

# bitrate N MAC: the tx bitrate vwN reports for MAC
bitrate() { in_ns "ns$1" iw dev "vw$1" station get "$2" | sed -n 's/^[[:space:]]*tx bitrate:[[:space:]]*//p'; }

# HT MCS 7 with an HT AP and an HT station, legacy 54 Mbit/s when the
# station turns HT off (and with a legacy AP: t_infra_stats)
t_info_rate() {
	local r
	vw_load station=3
	vw_netns 0 1 2
	start_ap 0 wpa2 ieee80211n=1
	start_sta 1
	start_sta 2 'ssid="test"' 'psk="12345678"' 'disable_ht=1'
	wait_sta 1
	wait_sta 2
	r=$(bitrate 1 "$(vw_mac 0)")
	[ "$r" = "65.0 MBit/s MCS 7" ] || fail "vw1's rate with an HT AP: '$r'"
	r=$(bitrate 0 "$(vw_mac 1)")
	[ "$r" = "65.0 MBit/s MCS 7" ] || fail "AP's rate to HT station vw1: '$r'"
	in_ns ns1 iw dev vw1 station get "$(vw_mac 0)" | grep -q 'rx bitrate:[[:space:]]*65.0 MBit/s MCS 7' || fail "vw1 rx bitrate"
	r=$(bitrate 2 "$(vw_mac 0)")
	[ "$r" = "54.0 MBit/s" ] || fail "vw2 (disable_ht) rate: '$r'"
	r=$(bitrate 0 "$(vw_mac 2)")
	[ "$r" = "54.0 MBit/s" ] || fail "AP's rate to non-HT station vw2: '$r'"
}

# ethtool_stat N NAME: one counter of `ethtool -S vwN`
ethtool_stat() { in_ns "ns$1" ethtool -S "vw$1" | awk -v k="$2:" '$1 == k { print $2 }'; }
# sysfs_stat N NAME: the same counter as `ip -s link` reads it
sysfs_stat() { in_ns "ns$1" cat "/sys/class/net/vw$1/statistics/$2"; }
# stats_agree N NAME...: ethtool and sysfs give the same values (one try)
stats_agree() {
	local n=$1 k
	shift
	for k in "$@"; do
		[ "$(ethtool_stat "$n" "$k")" = "$(sysfs_stat "$n" "$k")" ] || return 1
	done
}

# ethtool -i, the link state and ethtool -S against ip -s link and station dump
t_info_ethtool() {
	local out phy n relayed0 relayed1 failed dumped k
	need ethtool
	infra_up
	out=$(in_ns ns1 ethtool -i vw1) || fail "ethtool -i: $out"
	phy=$(in_ns ns1 cat /sys/class/net/vw1/phy80211/name)
	grep -q '^driver: vwifi$' <<<"$out" || fail "ethtool -i driver: $(tr '\n' '|' <<<"$out")"
	grep -q "^version: $(uname -r)$" <<<"$out" || fail "ethtool -i version: $(tr '\n' '|' <<<"$out")"
	grep -q '^firmware-version: *$' <<<"$out" || fail "ethtool -i firmware: $(tr '\n' '|' <<<"$out")"
	grep -q "^bus-info: $phy$" <<<"$out" || fail "ethtool -i bus-info: $(tr '\n' '|' <<<"$out")"
	grep -q '^supports-statistics: yes' <<<"$out" || fail "ethtool -i: no statistics"
	in_ns ns1 ethtool vw1 | grep -q 'Link detected: yes' || fail "ethtool vw1: no link"
	out=$(in_ns ns1 ethtool -S vw1) || fail "ethtool -S: $out"
	for k in tx_packets tx_bytes rx_packets rx_bytes tx_dropped rx_dropped rx_dropped_port relayed_packets relayed_bytes tx_failed; do
		grep -q "^[[:space:]]*$k: [0-9]*$" <<<"$out" || fail "ethtool -S has no $k: $(tr '\n' '|' <<<"$out")"
	done
	for n in 0 1 2; do
		in_ns "ns$n" sysctl -qw "net.ipv6.conf.vw$n.disable_ipv6=1"
	done
	relayed0=$(ethtool_stat 0 relayed_packets)
	in_ns ns1 ping -q -c 20 -i 0.05 "$(ip_of 2)" >/dev/null || fail "ping vw1 -> vw2"
	relayed1=$(ethtool_stat 0 relayed_packets)
	[ $((relayed1 - relayed0)) -ge 40 ] || fail "AP relayed $((relayed1 - relayed0)) frames for 20 pings between stations"
	for n in 0 1 2; do
		wait_for 5 stats_agree "$n" tx_packets tx_bytes rx_packets rx_bytes tx_dropped rx_dropped ||
			fail "vw$n: ethtool -S and ip -s link disagree: $(in_ns "ns$n" ethtool -S "vw$n" | tr '\n' '|') / $(in_ns "ns$n" ip -s link show "vw$n" | tr '\n' '|')"
	done
	# the AP drops what it sends to an address no station has: counted in both
	in_ns ns0 ip neigh replace 10.0.0.99 lladdr 02:00:00:00:00:99 dev vw0
	in_ns ns0 ping -q -c 3 -i 0.2 -W 1 10.0.0.99 >/dev/null 2>&1
	[ "$(ethtool_stat 0 tx_dropped)" -ge 3 ] || fail "vw0 tx_dropped $(ethtool_stat 0 tx_dropped) after 3 pings to no station"
	wait_for 5 stats_agree 0 tx_dropped || fail "vw0 tx_dropped: ethtool $(ethtool_stat 0 tx_dropped), sysfs $(sysfs_stat 0 tx_dropped)"
	sta_cli 2 disconnect >/dev/null
	wait_for 10 eval "! sta_completed 2" || fail "vw2 did not disconnect"
	# tx_failed is the sum over the links of station dump's tx failed
	failed=$(ethtool_stat 0 tx_failed)
	dumped=$(in_ns ns0 iw dev vw0 station dump | awk '/tx failed:/ { s += $3 } END { print s + 0 }')
	[ "$failed" = "$dumped" ] || fail "AP tx_failed: ethtool $failed, station dump $dumped"
	# no BSS, no carrier
	in_ns ns2 ethtool vw2 | grep -q 'Link detected: no' || fail "ethtool vw2: link without a BSS"
}
