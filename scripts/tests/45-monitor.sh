# shellcheck shell=bash
# Monitor interfaces: what a sniffer on a channel hears, behind radiotap,
# read with tcpdump

# shellcheck source=scripts/tests/wifi.sh
. "$VWIFI_REPO/scripts/tests/wifi.sh"

# mon_capture NAME DEV: tcpdump on DEV in the background (bg NAME), once it
# listens
mon_capture() {
	bg "$1" tcpdump -i "$2" -n -l -U
	wait_for 10 grep -q "^listening on $2" "$(bg_log "$1")" ||
		fail "tcpdump on $2 did not start: $(tr '\n' '|' <"$(bg_log "$1")")"
}

# A monitor on channel 6 hears a WPA2 association and its traffic frame by
# frame, with radiotap; one on channel 1 hears none of it
t_monitor_capture() {
	local out other n
	need tcpdump iperf3
	vw_load station=5
	vw_netns 0 1 4
	# An interface becomes a monitor while down, as on hardware; another
	# is added to vw3's wiphy
	ip link set vw2 up
	! iw dev vw2 set type monitor 2>/dev/null || fail "vw2 changed its type while up"
	ip link set vw2 down
	iw dev vw2 set type monitor || fail "iw dev vw2 set type monitor failed"
	iw phy "$(phy_of vw3)" interface add mon1 type monitor || fail "iw interface add type monitor failed"
	for d in vw2 mon1; do
		[ "$(cat /sys/class/net/$d/type)" = 803 ] ||
			fail "$d is of type $(cat /sys/class/net/$d/type), not a radiotap device (803)"
		ip link set "$d" up || fail "ip link set $d up"
	done
	iw dev vw2 set freq 2437 || fail "iw dev vw2 set freq 2437 failed"
	iw dev vw2 info | grep -q "type monitor" || fail "vw2 info: $(iw dev vw2 info | tr '\n' '|')"
	iw dev vw2 info | grep -q "channel 6 (2437 MHz)" || fail "vw2 info: $(iw dev vw2 info | tr '\n' '|')"
	iw dev mon1 info | grep -q "channel 1 (2412 MHz)" || fail "a new monitor is not on channel 1: $(iw dev mon1 info | tr '\n' '|')"
	if [ -n "${VWIFI_TOOL:-}" ] && [ -x "$VWIFI_TOOL" ]; then
		"$VWIFI_TOOL" | grep -Eq "^  mon1 +ifindex [0-9]+ +monitor " ||
			fail "vwifi-tool does not list mon1 as a monitor: $("$VWIFI_TOOL" | grep mon1)"
	fi
	mon_capture cap6 vw2
	mon_capture cap1 mon1
	start_ap 0 wpa2
	start_sta 1
	start_sta 4
	wait_sta 1
	wait_sta 4
	expect_ping 1 0
	# A group frame of the AP goes on the air once, whatever its stations
	in_ns ns0 ip neigh flush dev vw0
	expect_ping 0 4
	# TCP: the air carries segments, not the stack's GSO frames
	in_ns ns0 iperf3 -s -1 -D -p 5201 >/dev/null 2>&1
	sleep 0.5
	in_ns ns1 iperf3 -c "$(ip_of 0)" -p 5201 -t 1 >/dev/null 2>&1 || fail "iperf3 from vw1 to the AP failed"
	sleep 0.5
	bg_stop cap6
	bg_stop cap1
	out=$(cat "$(bg_log cap6)")
	other=$(cat "$(bg_log cap1)")
	info "channel 6: $(grep -c . <<<"$out") lines, channel 1: $(grep -c . <<<"$other")"
	grep -q "link-type IEEE802_11_RADIO" <<<"$out" || fail "no radiotap link type: $(head -n 2 <<<"$out" | tr '\n' '|')"
	# Management frames at 1 Mb/s, with the channel, signal and noise
	for f in "Beacon (test)" "Probe Request" "Probe Response (test)" "Authentication (Open System)-1" \
		"Authentication (Open System)-2" "Assoc Request (test)" "Assoc Response AID(1)"; do
		grep -F "$f" <<<"$out" | grep -Eq "1\.0 Mb/s 2437 MHz 11b -[0-9]+dBm signal -92dBm noise" ||
			fail "no $f heard on channel 6: $(grep -v 'Beacon' <<<"$out" | head -n 4 | tr '\n' '|')"
	done
	n=$(grep -c "Beacon (test)" <<<"$out")
	[ "$n" -ge 10 ] || fail "only $n beacons heard: the AP stops beaconing with only a monitor listening"
	# The 4-way handshake and the data, at 54 Mb/s
	n=$(grep -c "EAPOL" <<<"$out")
	[ "$n" -ge 4 ] || fail "$n EAPOL frames heard, expected the 4-way handshake: $(grep -i eap <<<"$out" | tr '\n' '|')"
	grep -E "54\.0 Mb/s 2437 MHz 11g -[0-9]+dBm signal .*10\.0\.0\.2 > 10\.0\.0\.1: ICMP echo request" <<<"$out" >/dev/null ||
		fail "the station's ping not heard: $(grep -i icmp <<<"$out" | head -n 2 | tr '\n' '|')"
	grep -q "10\.0\.0\.1 > 10\.0\.0\.2: ICMP echo reply" <<<"$out" || fail "the AP's reply not heard"
	n=$(grep -c "Request who-has 10\.0\.0\.5 tell 10\.0\.0\.1" <<<"$out")
	[ "$n" = 1 ] || fail "the AP's ARP request heard $n times, not once: $(grep 'who-has 10.0.0.5' <<<"$out" | tr '\n' '|')"
	n=$(grep -c "10\.0\.0\.2\.[0-9]* > 10\.0\.0\.1\.5201: Flags" <<<"$out")
	[ "$n" -ge 20 ] || fail "only $n TCP segments of the iperf3 run heard"
	n=$(grep "> 10\.0\.0\.1\.5201: Flags" <<<"$out" | sed -n 's/.*, length \([0-9]*\)$/\1/p' | sort -n | tail -n 1)
	[ "${n:-0}" -le 1500 ] || fail "a TCP frame of $n bytes on the air: GSO frames are not segmented"
	# Nothing of channel 6 on channel 1
	! grep -Eq "Beacon \(test\)|ICMP|EAPOL|Assoc" <<<"$other" ||
		fail "the channel 1 monitor heard channel 6: $(grep -E 'Beacon|ICMP|EAPOL|Assoc' <<<"$other" | head -n 2 | tr '\n' '|')"
	# A monitor sends nothing yet: what is written to it is dropped, counted
	mon_write vw2 || fail "cannot write to vw2"
	n=$(ip -s -s link show dev vw2 | awk '/TX:/ { getline; print $4; exit }')
	[ "${n:-0}" -ge 1 ] || fail "a frame written to the monitor is not counted dropped: $(ip -s link show dev vw2 | tr '\n' '|')"
	iw dev vw2 del || fail "iw dev vw2 del"
	iw dev mon1 del || fail "iw dev mon1 del"
	expect_ping 1 0
}

# mon_write DEV: write one radiotap + 802.11 frame (a deauthentication) to
# DEV over a packet socket
mon_write() {
	perl -e '
		use strict; use Socket;
		open(my $f, "<", "/sys/class/net/$ARGV[0]/ifindex") or die;
		chomp(my $idx = <$f>);
		socket(my $s, 17, SOCK_RAW, 0) or die "socket: $!\n";
		bind($s, pack("S n i S C C a8", 17, 0, $idx, 0, 0, 0, "")) or die "bind: $!\n";
		my $rt = pack("C C v V", 0, 0, 8, 0);
		my $deauth = pack("v v a6 a6 a6 v v", 0x00c0, 0, "\xff" x 6, "\x02" x 6, "\x02" x 6, 0, 7);
		send($s, $rt . $deauth, 0) or die "send: $!\n";' "$1"
}

# rmmod while a capture runs on a monitor that hears an AP's beacons
t_monitor_rmmod() {
	need tcpdump
	vw_load station=2
	vw_netns 0
	iw dev vw1 set type monitor || fail "iw dev vw1 set type monitor failed"
	ip link set vw1 up
	iw dev vw1 set channel 6 || fail "iw dev vw1 set channel 6 failed"
	mon_capture cap vw1
	start_ap 0 open
	wait_for 10 grep -q "Beacon (test)" "$(bg_log cap)" || fail "no beacon heard: $(tr '\n' '|' <"$(bg_log cap)")"
	rmmod vwifi || fail "rmmod with a capture running"
	[ -z "$(vw_phys)" ] || fail "wiphys left: $(vw_phys)"
	ip link show vw1 >/dev/null 2>&1 && fail "the monitor is left"
	return 0
}
