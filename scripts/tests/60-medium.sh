# shellcheck shell=bash
# Virtio mode's medium protocol in one VM: vwifi runs its medium over one
# end of a veth pair (virtio_dev=vmed0); medium-peer.pl plays the other
# guests from the other end (vmed1, in netns nsmed).  The multi-guest
# cases over real virtio-net devices are in scripts/vmnet.sh.

# shellcheck source=scripts/tests/wifi.sh
. "$VWIFI_REPO/scripts/tests/wifi.sh"

PEER=$VWIFI_REPO/scripts/tests/medium-peer.pl
FAKE_AP=02:aa:00:00:00:01
FAKE_STA=02:bb:00:00:00:02

# medium_up: the veth pair, then vwifi in virtio mode on vmed0 (station=2)
medium_up() {
	modprobe veth 2>/dev/null
	ip link del vmed0 2>/dev/null
	ip netns add nsmed || fail "ip netns add nsmed"
	ip link add vmed0 type veth peer name vmed1 netns nsmed || fail "cannot create the veth pair"
	in_ns nsmed ip link set vmed1 up
	vw_load station=2 virtio=1 virtio_dev=vmed0
}

# medium_vw_mac N: vwN's address, derived from vmed0's (vwifi_medium_addr())
medium_vw_mac() {
	local m b0
	m=$(cat /sys/class/net/vmed0/address)
	b0=$(( (0x${m:0:2} | 2) ^ (($1 + 1) << 2) ))
	printf '%02x%s\n' "$b0" "${m:2}"
}

peer() { in_ns nsmed perl "$PEER" vmed1 "$@"; }
# peer_bg NAME ARGS...: medium-peer.pl in the background (bg_stop NAME ends it)
peer_bg() { local n=$1; shift; bg "$n" ip netns exec nsmed perl "$PEER" vmed1 "$@"; }
medium_counters() { vw_tool | grep '^medium'; }

# vw_tool: vwifi-tool's status (the case is skipped without the tool)
vw_tool() {
	{ [ -n "${VWIFI_TOOL:-}" ] && [ -x "$VWIFI_TOOL" ]; } || skip "vwifi-tool is not built (VWIFI_TOOL)"
	"$VWIFI_TOOL"
}

t_medium_params() {
	local out
	for p in "virtio=1" "virtio=1 virtio_dev=nosuchdev" "virtio=1 virtio_dev=lo" \
		"virtio=1 station=64 virtio_dev=lo"; do
		# shellcheck disable=SC2086
		if out=$(vw_insmod $p 2>&1); then
			vw_unload
			fail "insmod vwifi $p succeeded, expected refusal"
		fi
		info "insmod $p: $out"
		! vw_loaded || fail "vwifi loaded after insmod $p failed"
	done
	dmesg_since_case | grep -q "no free virtio-net device" || fail "no message about the missing virtio-net device"
	dmesg_since_case | grep -q "nosuchdev not found" || fail "no message about virtio_dev=nosuchdev"
	dmesg_since_case | grep -q "lo is not an Ethernet device" || fail "no message refusing lo"
	dmesg_since_case | grep -q "virtio mode takes 1..63" || fail "no message about station=64 in virtio mode"
}

# Addresses come from the medium device; hostapd's AP beacons on the medium
t_medium_beacon() {
	local cap mac st
	medium_up
	mac=$(medium_vw_mac 0)
	[ "$(cat /sys/class/net/vw0/address)" = "$mac" ] ||
		fail "vw0 has $(cat /sys/class/net/vw0/address), expected $mac (from vmed0)"
	[ "$(cat /sys/class/net/vw1/address)" = "$(medium_vw_mac 1)" ] || fail "vw1's address is not derived from vmed0's"
	# The MTU leaves room for the 54 bytes of headers (vwifi's, the 802.11
	# data frame's and its LLC/SNAP header), and follows the device's
	[ "$(cat /sys/class/net/vw1/mtu)" = 1446 ] || fail "vw1's MTU is $(cat /sys/class/net/vw1/mtu), expected 1446"
	ip link set vmed0 mtu 1300 || fail "cannot set vmed0's MTU"
	[ "$(cat /sys/class/net/vw1/mtu)" = 1246 ] || fail "vw1's MTU is $(cat /sys/class/net/vw1/mtu) after vmed0's went to 1300"
	ip link set vmed0 mtu 1500
	vw_netns 0
	start_ap 0 wpa2
	cap=$(peer capture 2) || fail "capture on vmed1 failed"
	info "captured: $(head -n 3 <<<"$cap")"
	# 802.11 beacons, with the TIM element the device adds (hostapd's DTIM period 2)
	[ "$(grep -c "^BEACON ta=$mac ra=ff:ff:ff:ff:ff:ff .* ssid=test freq=2437 bi=100 capa=0x0.1[01] type=ap bssid=$mac dtim=2$" <<<"$cap")" -ge 2 ] ||
		fail "fewer than 2 beacons of vw0 in 2 s: $(head -n 2 <<<"$cap" | tr '\n' '|')"
	st=$(vw_tool)
	grep -q "^medium: virtio on vmed0, .* tx [1-9]" <<<"$st" || fail "vwifi-tool status: $(tr '\n' '|' <<<"$st")"
}

# A remote AP: listed by a scan, a station connects, and loses it when it goes
t_medium_remote_ap() {
	local out
	medium_up
	vw_netns 1
	in_ns ns1 ip link set vw1 up
	peer_bg fakeap ap "$FAKE_AP" far 2412 20
	# perl may take a while to start under load: scan until its beacons came
	wait_for 10 eval "in_ns ns1 timeout 15 iw dev vw1 scan >'$CASE_DIR/scan.txt' 2>&1 && grep -q 'BSS $FAKE_AP' '$CASE_DIR/scan.txt'" ||
		fail "the remote AP is not in the scan: $(grep -E '^BSS|SSID|rror' "$CASE_DIR/scan.txt" | tr '\n' '|') $(head -n 2 "$(bg_log fakeap)" | tr '\n' '|')"
	out=$(cat "$CASE_DIR/scan.txt")
	grep -q "SSID: far" <<<"$out" || fail "no SSID 'far' in the scan"
	grep -Eq "freq: 2412(\.0)?$" <<<"$out" || fail "the remote AP's frequency is not 2412"
	grep -Eq "signal: -[0-9.]+ dBm" <<<"$out" || fail "no signal for the remote AP"
	out=$(in_ns ns1 iw dev vw1 connect far 2>&1) || fail "iw connect far: $out"
	wait_for 5 eval "in_ns ns1 iw dev vw1 link | grep -q 'Connected to $FAKE_AP'" ||
		fail "vw1 not connected to the remote AP: $(in_ns ns1 iw dev vw1 link | tr '\n' '|')"
	[ "$(link_field 1 SSID)" = far ] || fail "iw link SSID is '$(link_field 1 SSID)', expected far"
	in_ns ns1 iw dev vw1 station get "$FAKE_AP" | grep -q "signal:" || fail "no station entry for the remote AP"
	# its beacons (every 0.3 s) are counted as heard
	wait_for 5 sta_beacons_at_least ns1 vw1 "$FAKE_AP" 3 ||
		fail "beacons of the remote AP not counted: $(in_ns ns1 iw dev vw1 station get "$FAKE_AP" | grep beacon | tr '\n' '|')"
	grep -q "^AUTH ta=$(medium_vw_mac 1) ra=$FAKE_AP .* alg=0 seq=1 status=0" "$(bg_log fakeap)" ||
		fail "the remote AP saw no authentication frame"
	grep -q "^ASSOC_REQ ta=$(medium_vw_mac 1) ra=$FAKE_AP" "$(bg_log fakeap)" || fail "the remote AP saw no association request"
	# the station shows it is there with null data frames (every 0.5 s)
	wait_for 5 grep -q "^NULL ta=$(medium_vw_mac 1) ra=$FAKE_AP" "$(bg_log fakeap)" ||
		fail "the remote AP got no null data frame from the station"
	# The AP goes silent: beacon loss after the medium's timeout (5 s)
	bg_stop fakeap
	wait_for 10 eval "in_ns ns1 iw dev vw1 link | grep -q 'Not connected'" ||
		fail "vw1 still connected 10 s after the remote AP vanished"
}

# A remote AP's HT Operation element sets the link's width when the channel
# allows it: HT40+ on channel 1 gives 40 MHz, HT40- there (no channel
# below) 20 MHz
t_medium_remote_ap_ht40() {
	local ap ht want side rate dev
	medium_up
	vw_netns 1
	in_ns ns1 ip link set vw1 up
	for ht in HT40+ HT40-; do
		case $ht in
		HT40+) ap=02:aa:00:00:00:41 want=40 side=above ;;
		*) ap=02:aa:00:00:00:42 want=20 side=below ;;
		esac
		peer_bg "ap$want" ap "$ap" far 2412 30 "$ht"
		wait_for 10 eval "in_ns ns1 timeout 15 iw dev vw1 scan flush >'$CASE_DIR/scan.txt' 2>&1 && grep -q 'BSS $ap' '$CASE_DIR/scan.txt'" ||
			fail "the remote $ht AP is not in the scan: $(grep -E '^BSS|rror' "$CASE_DIR/scan.txt" | tr '\n' '|')"
		grep -q "secondary channel offset: $side" "$CASE_DIR/scan.txt" ||
			fail "the $ht AP's scan entry has no HT operation element with its secondary channel $side"
		in_ns ns1 iw dev vw1 connect far 2412 "$ap" >/dev/null 2>&1 || fail "iw connect to the $ht AP"
		wait_for 5 eval "in_ns ns1 iw dev vw1 link | grep -q 'Connected to $ap'" ||
			fail "vw1 not connected to the $ht AP: $(in_ns ns1 iw dev vw1 link | tr '\n' '|')"
		dev=$(in_ns ns1 iw dev vw1 info)
		grep -q "width: $want MHz" <<<"$dev" ||
			fail "$ht on channel 1: vw1 is $(grep -o 'width: [^,]*' <<<"$dev"), expected $want MHz"
		rate=$(link_field 1 'tx bitrate')
		case $want in
		40) [[ $rate == *"MCS 7 40MHz"* ]] || fail "$ht link's tx bitrate: $rate" ;;
		*) [[ $rate == *"MCS 7"* && $rate != *40MHz* ]] || fail "$ht link's tx bitrate: $rate" ;;
		esac
		info "$ht: $(grep -o 'channel [^,]*, width: [^,]*' <<<"$dev"); tx bitrate $rate"
		in_ns ns1 iw dev vw1 disconnect
		bg_stop "ap$want"
	done
}

# A cell in another guest: a member alone merges into it (lower BSSID)
# and meets the remote member; they part when it goes silent
t_medium_remote_ibss() {
	local cell=02:00:00:00:00:01 me out
	medium_up
	me=$(medium_vw_mac 1)
	vw_netns 1
	in_ns ns1 iw dev vw1 set type ibss || fail "iw set type ibss"
	in_ns ns1 ip link set vw1 up
	out=$(in_ns ns1 iw dev vw1 ibss join vwcell 2412 2>&1) || fail "ibss join: $out"
	peer_bg fakeibss ibss "$FAKE_STA" "$cell" vwcell 2412 15
	wait_for 10 eval "in_ns ns1 iw dev vw1 link | grep -q 'Joined IBSS $cell'" ||
		fail "vw1 did not merge into the remote cell: $(in_ns ns1 iw dev vw1 link | tr '\n' '|')"
	wait_for 5 eval "in_ns ns1 iw dev vw1 station dump | grep -q 'Station $FAKE_STA'" ||
		fail "vw1 did not meet the remote member"
	wait_for 5 eval "in_ns nsmed perl '$PEER' vmed1 capture 1 | grep -q '^BEACON ta=$me .* type=ibss bssid=$cell dtim=-'" ||
		fail "vw1 does not beacon the cell"
	bg_stop fakeibss
	wait_for 12 eval "! in_ns ns1 iw dev vw1 station dump | grep -q 'Station $FAKE_STA'" ||
		fail "vw1 still lists the remote member 12 s after it went silent"
}

# Probe requests and responses cross the medium: this guest's scan probes
# an AP of another guest that hides its SSID in its beacons, learns the
# SSID from the answer and connects; its disconnect is a deauthentication.
# A station of another guest probes hostapd's AP here: the device stamps
# its TSF in hostapd's answer.
t_medium_probe() {
	local out me
	medium_up
	me=$(medium_vw_mac 1)
	vw_netns 0 1
	in_ns ns1 ip link set vw1 up
	peer_bg fakeap ap "$FAKE_AP" far 2412 30 hidden
	wait_for 10 eval "in_ns ns1 timeout 15 iw dev vw1 scan passive >'$CASE_DIR/scan.txt' 2>&1 && grep -q 'BSS $FAKE_AP' '$CASE_DIR/scan.txt'" ||
		fail "a passive scan does not list the remote AP: $(grep -E '^BSS|rror' "$CASE_DIR/scan.txt" | tr '\n' '|')"
	! grep -q 'SSID: far' "$CASE_DIR/scan.txt" || fail "a passive scan shows the SSID the AP hides"
	! grep -q "^PROBE_REQ ta=$me" "$(bg_log fakeap)" || fail "a passive scan sent a probe request"
	wait_for 10 eval "in_ns ns1 timeout 15 iw dev vw1 scan ssid far >'$CASE_DIR/scan.txt' 2>&1 && grep -q 'SSID: far' '$CASE_DIR/scan.txt'" ||
		fail "an active scan for far does not reveal it: $(grep -E '^BSS|SSID|rror' "$CASE_DIR/scan.txt" | tr '\n' '|')"
	grep -q "^PROBE_REQ ta=$me ra=ff:ff:ff:ff:ff:ff .* ssid=far bssid=ff:ff:ff:ff:ff:ff freq=2412" "$(bg_log fakeap)" ||
		fail "the remote AP saw no probe request for far: $(head -n 3 "$(bg_log fakeap)" | tr '\n' '|')"
	grep -Eq '^probe requests: sent [1-9][0-9]*, .* taken by scans [1-9]' <<<"$(vw_tool)" ||
		fail "the status does not count the probe and its answer: $(vw_tool | grep '^probe')"
	out=$(in_ns ns1 iw dev vw1 connect far 2>&1) || fail "iw connect far: $out"
	wait_for 5 eval "in_ns ns1 iw dev vw1 link | grep -q 'Connected to $FAKE_AP'" ||
		fail "vw1 not connected to the hidden remote AP: $(in_ns ns1 iw dev vw1 link | tr '\n' '|')"
	in_ns ns1 iw dev vw1 disconnect
	wait_for 5 grep -q "^DEAUTH ta=$me ra=$FAKE_AP .* reason=3" "$(bg_log fakeap)" ||
		fail "the remote AP got no deauthentication (reason 3): $(grep -v PROBE "$(bg_log fakeap)" | tail -n 3 | tr '\n' '|')"
	bg_stop fakeap
	start_ap 0 open
	out=$(peer probe "$FAKE_STA" test 2437) || fail "probe: $out"
	grep -Eq "^PROBE_RESP ta=$(medium_vw_mac 0) freq=2437 ssid=test tsf=[1-9]" <<<"$out" ||
		fail "no probe response with a TSF from hostapd's AP: $(tr '\n' '|' <<<"$out")"
}

# A remote station associates with hostapd's AP, which forgets it once silent
t_medium_remote_sta() {
	local ap
	medium_up
	ap=$(medium_vw_mac 0)
	vw_netns 0
	start_ap 0 open
	# it lives 4 s (longer on a slow debug kernel), then goes silent
	peer_bg fakesta sta "$FAKE_STA" "$ap" test $((4 * ${VWIFI_TIME_SCALE:-1}))
	wait_for 10 grep -q "assoc status=0" "$(bg_log fakesta)" ||
		fail "no successful association: $(tr '\n' '|' <"$(bg_log fakesta)") $(medium_counters)"
	wait_for 10 eval "in_ns ns0 iw dev vw0 station dump | grep -q 'Station $FAKE_STA'" ||
		fail "the AP does not list the remote station"
	wait_for 5 eval "ap_cli 0 all_sta | grep -q '^$FAKE_STA'" || fail "hostapd does not list the remote station"
	wait "$(bg_pid fakesta)"
	wait_for 12 eval "! in_ns ns0 iw dev vw0 station dump | grep -q 'Station $FAKE_STA'" ||
		fail "the AP still lists the remote station 12 s after it went silent"
	wait_for 5 eval "! ap_cli 0 all_sta | grep -q '^$FAKE_STA'" || fail "hostapd still lists the silent station"
}

# medium_invalid: the medium's count of invalid frames received
medium_invalid() { vw_tool | sed -n 's/^medium: .*invalid \([0-9]*\)).*/\1/p'; }

# A remote station's data are 802.11 data frames: its ARP request to the DS
# reaches hostapd's AP, whose reply comes back from the DS; a data frame
# with the wrong DS bits or addresses is counted invalid and goes nowhere
t_medium_remote_data() {
	local ap log inv0 inv1 n=200
	medium_up
	ap=$(medium_vw_mac 0)
	vw_netns 0
	start_ap 0 open
	inv0=$(medium_invalid)
	peer_bg fakesta sta "$FAKE_STA" "$ap" test $((5 * ${VWIFI_TIME_SCALE:-1})) \
		arp=10.0.0.200,10.0.0.1 badds=10.0.0.201 datafuzz=$n
	log=$(bg_log fakesta)
	wait_for 10 grep -q "assoc status=0" "$log" ||
		fail "no successful association: $(tr '\n' '|' <"$log") $(medium_counters)"
	wait_for 10 grep -q "^DATA ta=$ap ra=$FAKE_STA .* ds=from a1=$FAKE_STA a3=$ap proto=0x0806 arp=reply spa=10.0.0.1 tpa=10.0.0.200$" "$log" ||
		fail "no ARP reply from the AP as a data frame from the DS: $(grep -v '^BEACON' "$log" | tail -n 5 | tr '\n' '|') $(medium_counters)"
	in_ns ns0 ip neigh show 10.0.0.200 | grep -qi "lladdr $FAKE_STA" ||
		fail "the AP's stack has no neighbour entry for the remote station: $(in_ns ns0 ip neigh show)"
	wait "$(bg_pid fakesta)"
	grep -q "^datafuzz sent=$n$" "$log" || fail "the malformed data frames were not sent: $(tr '\n' '|' <"$log")"
	! grep -q "tpa=10.0.0.201" "$log" || fail "the AP answered an ARP request sent from the DS"
	! in_ns ns0 ip neigh show 10.0.0.201 | grep -qi lladdr ||
		fail "a data frame from the DS reached the AP's stack: $(in_ns ns0 ip neigh show 10.0.0.201)"
	! in_ns ns0 ip neigh show 10.0.0.250 | grep -qi lladdr ||
		fail "a malformed data frame reached the AP's stack: $(in_ns ns0 ip neigh show 10.0.0.250)"
	inv1=$(medium_invalid)
	info "frames counted invalid: $((inv1 - inv0))"
	[ $((inv1 - inv0)) -ge $n ] ||
		fail "only $((inv1 - inv0)) invalid frames counted for $n malformed data frames and the ones from the DS"
	ap_enabled 0 || fail "hostapd is no longer enabled"
}

# A monitor hears the frames of another guest as it hears local ones: a
# remote station's association and ARP request, hostapd's answers
t_medium_monitor() {
	local ap out
	need tcpdump
	medium_up
	ap=$(medium_vw_mac 0)
	vw_netns 0
	iw dev vw1 set type monitor || fail "iw dev vw1 set type monitor failed"
	ip link set vw1 up
	iw dev vw1 set freq 2437 || fail "iw dev vw1 set freq 2437 failed"
	bg cap tcpdump -i vw1 -n -l -U
	wait_for 10 grep -q "^listening on vw1" "$(bg_log cap)" || fail "tcpdump did not start: $(tr '\n' '|' <"$(bg_log cap)")"
	start_ap 0 open
	peer_bg fakesta sta "$FAKE_STA" "$ap" test 3 arp=10.0.0.200,10.0.0.1
	wait_for 10 grep -q "arp=reply" "$(bg_log fakesta)" || fail "no ARP reply: $(tr '\n' '|' <"$(bg_log fakesta)")"
	wait "$(bg_pid fakesta)"
	bg_stop cap
	out=$(cat "$(bg_log cap)")
	for f in "Assoc Request (test)" "Assoc Response AID(1)" "Request who-has 10.0.0.1 tell 10.0.0.200" \
		"Reply 10.0.0.1 is-at $ap"; do
		grep -F "$f" <<<"$out" | grep -q "2437 MHz" ||
			fail "the monitor did not hear '$f': $(grep -v Beacon <<<"$out" | head -n 5 | tr '\n' '|')"
	done
}

# Random and malformed frames: counted and dropped; everything still works
t_medium_fuzz() {
	local ap seed=${VW_FUZZ_SEED:-$RANDOM} st inv out
	medium_up
	ap=$(medium_vw_mac 0)
	vw_netns 0 1
	start_ap 0 open
	info "fuzz seed $seed (VW_FUZZ_SEED=$seed to replay)"
	out=$(peer fuzz "$seed" 20000 "$ap" 2>&1) || fail "fuzzer: $out"
	info "$out"
	st=$(vw_tool)
	inv=$(sed -n 's/.*invalid \([0-9]*\)).*/\1/p' <<<"$st")
	[ "${inv:-0}" -gt 1000 ] || fail "seed $seed: only ${inv:-0} frames counted invalid: $(grep medium <<<"$st")"
	ap_enabled 0 || fail "seed $seed: hostapd is no longer enabled"
	peer_bg fakesta sta "$FAKE_STA" "$ap" test 2
	wait_for 10 grep -q "assoc status=0" "$(bg_log fakesta)" ||
		fail "seed $seed: a station cannot associate after the fuzzing"
	start_sta 1 'ssid="test"' 'key_mgmt=NONE'
	wait_sta 1
	expect_ping 1 0
}

# The medium device goes away under a running AP: vwifi lets it go cleanly
t_medium_device_gone() {
	local st
	medium_up
	vw_netns 0
	start_ap 0 open
	peer_bg fakesta sta "$FAKE_STA" "$(medium_vw_mac 0)" test 20
	wait_for 10 eval "in_ns ns0 iw dev vw0 station dump | grep -q 'Station $FAKE_STA'" ||
		fail "the AP does not list the remote station"
	# the netns lives while a process is in it: stop the peer first, then
	# deleting nsmed takes vmed1, and with it vmed0 (asynchronously)
	bg_stop fakesta
	ip netns del nsmed
	wait_for 20 eval "! test -e /sys/class/net/vmed0" || fail "vmed0 still exists 20 s after its netns was deleted"
	wait_for 5 eval "! in_ns ns0 iw dev vw0 station dump | grep -q Station" ||
		fail "the remote station is still listed after the medium device went"
	st=$(vw_tool)
	grep -q "^medium: virtio on (gone)" <<<"$st" || fail "vwifi-tool status: $(grep medium <<<"$st")"
	dmesg_since_case | grep -q "virtio mode: left vmed0" || fail "no kernel message about leaving vmed0"
	ap_enabled 0 || fail "hostapd stopped"
}

# Virtio mode, at runtime: added radios and interfaces take the next of the
# guest's 63 addresses, associate with an AP in another guest, and are
# refused once the addresses are all taken
t_medium_runtime_ifaces() {
	local out
	medium_up
	{ [ -n "${VWIFI_TOOL:-}" ] && [ -x "$VWIFI_TOOL" ]; } || skip "vwifi-tool is not built (VWIFI_TOOL)"
	out=$("$VWIFI_TOOL" radio add 2>&1) || fail "radio add: $out"
	[ "$out" = "vw_phy2 vw2" ] || fail "radio add printed '$out'"
	[ "$(cat /sys/class/net/vw2/address)" = "$(medium_vw_mac 2)" ] ||
		fail "vw2 has $(cat /sys/class/net/vw2/address), not $(medium_vw_mac 2)"
	iw phy vw_phy0 interface add wl1 type managed || fail "interface add wl1"
	[ "$(cat /sys/class/net/wl1/address)" = "$(medium_vw_mac 3)" ] ||
		fail "wl1 has $(cat /sys/class/net/wl1/address), not $(medium_vw_mac 3)"
	ip link set wl1 up
	peer_bg fakeap ap "$FAKE_AP" far 2412 20
	wait_for 10 eval "timeout 15 iw dev wl1 scan >'$CASE_DIR/scan.txt' 2>&1 && grep -q 'BSS $FAKE_AP' '$CASE_DIR/scan.txt'" ||
		fail "wl1 does not see the remote AP: $(grep -E '^BSS|rror' "$CASE_DIR/scan.txt" | tr '\n' '|')"
	out=$(iw dev wl1 connect far 2>&1) || fail "iw connect far: $out"
	wait_for 5 eval "iw dev wl1 link | grep -q 'Connected to $FAKE_AP'" ||
		fail "wl1 not connected to the remote AP: $(iw dev wl1 link | tr '\n' '|')"
	grep -q "ASSOC_REQ ta=$(medium_vw_mac 3) ra=$FAKE_AP" "$(bg_log fakeap)" ||
		fail "the remote AP saw no association request from wl1's address"
	bg_stop fakeap
	iw dev wl1 del || fail "iw dev wl1 del"
	# 3 of 63 taken (wl1 gave its own back): 60 more, then none is left
	for _ in $(seq 60); do
		out=$("$VWIFI_TOOL" radio add 2>&1) || fail "radio add (of 63 addresses): $out"
	done
	out=$("$VWIFI_TOOL" radio add 2>&1) && fail "a radio beyond the guest's 63 addresses: $out"
	grep -q 'no address left' <<<"$out" || fail "radio add with no address left: $out"
	out=$(iw phy vw_phy0 interface add wl1 type managed 2>&1) && fail "an interface beyond the 63 addresses"
	info "interface add with no address left: $out"
	"$VWIFI_TOOL" | grep -q '^radios: 63 ' || fail "status: $("$VWIFI_TOOL" | head -n 3 | tr '\n' '|')"
	"$VWIFI_TOOL" radio del vw_phy1 || fail "radio del vw_phy1"
	iw phy vw_phy0 interface add wl1 type managed || fail "interface add once a radio freed an address"
	[ "$(cat /sys/class/net/wl1/address)" = "$(medium_vw_mac 1)" ] ||
		fail "wl1 has $(cat /sys/class/net/wl1/address), not the freed $(medium_vw_mac 1)"
	vw_unload
}
