# vwifi virtio mode: one vwifi per guest (station=1 virtio=1), the guests linked
# by their virtio-net NICs on a bridge of the host (scripts/vmnet.sh). Roles by
# VW_GUEST; see lib.sh of this directory. The guests run these cases together,
# in this order; virtio_infra kills guests, so it comes last.
# shellcheck shell=bash disable=SC2034,SC2154  # VNET_*/CASE_TIMEOUT: assoc arrays of lib.sh / verify.sh

# Three guests join IBSS vwcell on 2437 (guests 2 and 3 after guest 1): one
# cell (same BSSID everywhere), everybody pings everybody
VNET_GUESTS[virtio_ibss]=3
CASE_TIMEOUT[virtio_ibss]=300
t_virtio_ibss() {
	local link bssid j
	virtio_case_start 3 || return 0
	virtio_load
	ip link set vw0 down
	iw dev vw0 set type ibss || fail "set type ibss"
	ip link set vw0 up
	[ "$G" = 1 ] || { sync_wait 120 ibss-g1; sleep 1; }
	iw dev vw0 ibss join vwcell 2437 || fail "ibss join vwcell 2437"
	sync_put "ibss-g$G"
	for j in $(others 3); do sync_wait 120 "ibss-g$j"; done
	for j in $(others 3); do v_ping "$j" 30; done
	iw dev vw0 info | grep -q 'type IBSS' || fail "vw0 not IBSS: $(iw dev vw0 info | tr '\n' '|')"
	link=$(iw dev vw0 link)
	bssid=$(awk '/Joined IBSS/ { print $3 }' <<<"$link")
	[ -n "$bssid" ] || fail "vw0 link: $(tr '\n' '|' <<<"$link")"
	echo "$bssid" >"$SYNC/bssid-g$G"
	sync_put "pinged-g$G"
	for j in $(others 3); do sync_wait 90 "pinged-g$j"; done
	for j in $(others 3); do
		[ "$(cat "$SYNC/bssid-g$j")" = "$bssid" ] ||
			fail "guests in different cells: $bssid here, $(cat "$SYNC/bssid-g$j") in guest $j"
	done
	no_kernel_warnings
	sync_put "done-g$G"
	for j in $(others 3); do sync_wait 60 "done-g$j"; done
}

# The host sends thousands of random and malformed frames (EtherType 0x88B5,
# fuzz.pl, fixed printed seed: VW_FUZZ_SEED, default 20261125; the second
# phase uses seed + 1) at guest 1, an AP with guests 2 and 3 connected, then
# at guest 2 (a STA; frames from "the AP" among them); then each of them
# counted them as invalid, hostapd and wpa_supplicant are alive, the STAs
# connect again and ping, the stations the fuzzing may have created are gone,
# and the kernel logs are clean.
VNET_GUESTS[virtio_fuzz]=3
# shellcheck disable=SC2016  # expanded on the host by scripts/vmnet.sh --host
VNET_HOST[virtio_fuzz]='f() { perl "$VW_REPO/scripts/tests/virtio/fuzz.pl" --dev "$VW_BRIDGE" --sync "$VW_SHARED/virtio_fuzz" --wait 900 ${VW_FUZZ_COUNT:+--count "$VW_FUZZ_COUNT"} "$@"; }; seed=${VW_FUZZ_SEED:-20261125}; f --guest 1 --peer 2 --seed "$seed" && f --guest 2 --peer 1 --tag sta --seed $((seed + 1))'
CASE_TIMEOUT[virtio_fuzz]=300
t_virtio_fuzz() {
	virtio_case_start 3 || return 0
	virtio_load
	case $G in
	1) fuzz_ap ;;
	*) fuzz_sta ;;
	esac
}

# fuzz_phase TAG: have the host fuzz this guest (fuzz.pl --tag TAG, or no tag
# for ""), then check that vw0 is there and that the medium counted at least
# 100 invalid frames
fuzz_phase() {
	local tag=${1:+-$1} inv0 inv1
	inv0=$(medium_counter 3)
	vw_counters
	sync_put "fuzz$tag-go"
	sync_wait 200 "fuzz$tag-done"
	info "host: $(cat "$SYNC/fuzz$tag-done")"
	vw_counters
	inv1=$(medium_counter 3)
	if [ -n "$inv0" ] && [ -n "$inv1" ]; then
		info "medium: $((inv1 - inv0)) frames counted invalid during the fuzzing"
		[ $((inv1 - inv0)) -ge 100 ] || fail "the medium counted only $((inv1 - inv0)) invalid frames during the fuzzing"
	else
		info "no medium counters (vwifi-tool has no medium line)"
	fi
	test -e /sys/class/net/vw0 || fail "vw0 is gone after the fuzzing"
}

fuzz_ap() {
	local n st
	v_start_ap wpa2
	sync_put ap-up
	sync_wait 150 sta-g2 sta-g3
	v_ping 2
	v_ping 3
	fuzz_phase ""
	bg_alive hostapd || fail "hostapd died during the fuzzing"
	v_ap_enabled || fail "hostapd no longer enabled: $(v_ap_cli status 2>&1 | tr '\n' '|')"
	sync_put ap-fuzzed
	sync_wait 240 sta-again-g2 sta-again-g3
	v_ping 2
	v_ping 3
	# stations the fuzzer's frames may have created are gone after their silence
	wait_for 20 v_ap_lists_only "$(virtio_mac 2)" "$(virtio_mac 3)" ||
		fail "AP station dump after the fuzzing: $(v_ap_stations | tr '\n' ' ') (expected $(virtio_mac 2) $(virtio_mac 3))"
	st=$(iw dev vw0 station dump)
	n=$(grep -c 'authorized:[[:space:]]*yes' <<<"$st")
	[ "$n" -eq 2 ] || fail "$n of 2 stations authorized after the fuzzing"
	info "hostapd: $(grep -c 'AP-STA-CONNECTED' "$(bg_log hostapd)") AP-STA-CONNECTED events"
	no_kernel_warnings
	sync_put done-g1
	sync_wait 60 done-g2 done-g3
}

fuzz_sta() {
	sync_wait 150 ap-up
	v_start_sta
	v_wait_sta 90
	v_ping 1
	sync_put "sta-g$G"
	sync_wait 300 ap-fuzzed
	if [ "$G" = 2 ]; then
		fuzz_phase sta
		bg_alive wpas || fail "wpa_supplicant died during the fuzzing"
	fi
	# whatever the fuzzing did to this link: a new association works
	v_sta_cli disconnect >/dev/null
	# shellcheck disable=SC2016
	wait_for 10 eval '[ "$(v_sta_state)" = DISCONNECTED ]' || info "state after disconnect: $(v_sta_state)"
	v_sta_cli reconnect >/dev/null || fail "wpa_cli reconnect"
	v_wait_sta 60
	v_check_link "$(virtio_mac 1)"
	v_ping 1
	sync_put "sta-again-g$G"
	no_kernel_warnings
	sync_put "done-g$G"
	sync_wait 90 done-g1
}

# Roaming and action frames across guests: guests 1 and 2 run hostapd APs of
# SSID test (channels 6 and 1, BSS transition management on), guest 3 a
# station that `wpa_cli roam`s to guest 2's AP twice (once at least to the
# AP it is on), then to guest 1's, as reassociations (no disconnection),
# pinging each; then guest 1's hostapd sends
# a BSS transition management request that the station answers
VNET_GUESTS[virtio_roam]=3
CASE_TIMEOUT[virtio_roam]=300
t_virtio_roam() {
	virtio_case_start 3 || return 0
	virtio_load
	case $G in
	3) roam_sta ;;
	*) roam_ap ;;
	esac
}

roam_ap() {
	local sta log
	sta=$(virtio_mac 3)
	log=$(bg_log hostapd)
	if [ "$G" = 1 ]; then
		v_start_ap wpa2 bss_transition=1
	else
		v_start_ap wpa2 bss_transition=1 channel=1
	fi
	sync_put "ap-g$G"
	sync_wait 150 roamed-g3
	if [ "$G" = 1 ]; then
		wait_for 10 eval "v_ap_stations | grep -qix '$sta'" || fail "AP 1 does not list the station"
		v_ap_cli bss_tm_req "$sta" | grep -qx OK || fail "hostapd_cli bss_tm_req $sta refused"
		wait_for 15 grep -q "BSS-TM-RESP $sta" "$log" ||
			fail "no BSS transition management response from guest 3: $(grep -i 'wnm\|action' "$log" | tail -n 3 | tr '\n' '|')"
		v_ping 3
	else
		wait_for 15 eval "! v_ap_stations | grep -qix '$sta'" || fail "AP 2 still lists the station that left"
		grep -q "AP-STA-CONNECTED $sta" "$log" || fail "the station never associated with AP 2"
		grep -q "AP-STA-DISCONNECTED $sta" "$log" || fail "AP 2 never saw the station leave"
	fi
	bg_alive hostapd || fail "hostapd died"
	no_kernel_warnings
	sync_put "done-g$G"
	sync_wait 90 done-g3
}

roam_sta() {
	local to n log
	log=$(bg_log wpas)
	sync_wait 150 ap-g1 ap-g2
	sleep 2		# beacons of both APs heard
	v_start_sta
	v_wait_sta 90
	for to in 2 2 1; do	# once at least to the AP it is on
		n=$(grep -c 'CTRL-EVENT-CONNECTED' "$log")
		v_sta_cli roam "$(virtio_mac "$to")" | grep -qx OK || fail "wpa_cli roam $(virtio_mac "$to") refused"
		wait_for 30 eval "[ \$(grep -c 'CTRL-EVENT-CONNECTED' '$log') -gt $n ]" ||
			fail "no new connection after roam to guest $to: $(grep -E 'CTRL-EVENT|reason' "$log" | tail -n 3 | tr '\n' '|')"
		v_wait_sta 30
		v_check_link "$(virtio_mac "$to")"
		v_ping "$to" 30
	done
	grep -q 'CTRL-EVENT-DISCONNECTED' "$log" && fail "disconnected while roaming: $(grep 'CTRL-EVENT-DISCONNECTED' "$log" | head -n 1)"
	grep -c 'nl80211: Roam event' "$log" | grep -qx 3 || fail "not 3 roam events: $(grep -c 'nl80211: Roam event' "$log")"
	sync_put roamed-g3
	sync_wait 90 done-g1
	grep -q 'WNM: BSS Transition Management Request' "$log" || fail "the station never got AP 1's request"
	no_kernel_warnings
	sync_put done-g3
	sync_wait 90 done-g2
}

# iwd's AP in guest 1 (it runs the AP SME: the station's authentication and
# association reach it over the transport, its answers go back to guest 2,
# it adds the station with NEW_STATION) serves wpa_supplicant in guest 2:
# WPA2, both ways ping; the station leaves and iwd removes it
VNET_GUESTS[virtio_iwd_ap]=3
CASE_TIMEOUT[virtio_iwd_ap]=240
t_virtio_iwd_ap() {
	virtio_case_start 2 || return 0
	virtio_load
	case $G in
	1) iwd_ap_guest ;;
	*) iwd_sta_guest ;;
	esac
}

iwd_ap_guest() {
	local s2
	s2=$(virtio_mac 2)
	ip link set vw0 up
	iwd_start vw0
	iwd_ap_start vw0
	sync_put ap-up
	sync_wait 150 sta-up
	wait_for 20 eval "iw dev vw0 station get $s2 | grep -Eq 'authorized:[[:space:]]*yes'" ||
		fail "the iwd AP does not list guest 2's station authorized: $(iw dev vw0 station dump | tr '\n' '|')"
	v_ping 2
	sync_put ap-checked
	sync_wait 90 sta-left
	wait_for 15 eval "! iw dev vw0 station get $s2" ||
		fail "the iwd AP still lists guest 2's station after it left"
	! grep -q 'STATION failed' "$(bg_log iwd-vw0)" ||
		fail "iwd: $(grep 'STATION failed' "$(bg_log iwd-vw0)" | head -n 1)"
	no_kernel_warnings
	vw_counters
}

iwd_sta_guest() {
	sync_wait 150 ap-up
	v_start_sta
	v_wait_sta 90
	v_check_link "$(virtio_mac 1)"
	v_ping 1
	sync_put sta-up
	sync_wait 90 ap-checked
	v_sta_cli disconnect >/dev/null
	sync_put sta-left
	no_kernel_warnings
}

# Two "hosts": guests 1 and 2 on one bridge, guests 3 and 4 on another, in
# another netns, the bridges joined by a VXLAN tunnel (vmnet.sh --site-b 3;
# with this case selected, every case of the boot runs on that topology).
# Guest 1 runs a WPA2 AP, guests 2, 3 and 4 stations: all associate, every
# pair pings, and the host sees the tunnel carry the frames.
VNET_GUESTS[virtio_vxlan]=4
VNET_SITE_B[virtio_vxlan]=3
CASE_TIMEOUT[virtio_vxlan]=300
# shellcheck disable=SC2016  # expanded on the host by scripts/vmnet.sh --host
VNET_HOST[virtio_vxlan]='d=$VW_SHARED/virtio_vxlan; n=0; until [ -e "$d/pinged" ] || [ $n -ge 1200 ]; do sleep 0.5; n=$((n + 1)); done; rxp() { awk "/RX:/ { getline; print \$2; exit }"; }; ip -s link show vxlan0 | rxp >"$d/vxlan-a.tmp" && mv "$d/vxlan-a.tmp" "$d/vxlan-a"; [ -n "$VW_NS_B" ] && ip netns exec "$VW_NS_B" ip -s link show vxlan0 | rxp >"$d/vxlan-b.tmp" && mv "$d/vxlan-b.tmp" "$d/vxlan-b"'
t_virtio_vxlan() {
	local j n
	virtio_case_start 4 || return 0
	virtio_load
	if [ "$G" = 1 ]; then
		v_start_ap wpa2
		sync_put ap-up
		sync_wait 150 sta-g2 sta-g3 sta-g4
		n=$(iw dev vw0 station dump | grep -c 'authorized:[[:space:]]*yes')
		[ "$n" -eq 3 ] || fail "$n of 3 stations authorized: $(iw dev vw0 station dump | grep -E '^Station|authorized' | tr '\n' '|')"
	else
		sync_wait 150 ap-up
		v_start_sta
		v_wait_sta 90
		v_check_link "$(virtio_mac 1)"
		sync_put "sta-g$G"
		sync_wait 150 sta-g2 sta-g3 sta-g4
	fi
	for j in $(others 4); do v_ping "$j" 30; done
	sync_put "pinged-g$G"
	sync_wait 120 pinged-g1 pinged-g2 pinged-g3 pinged-g4
	if [ "$G" = 1 ]; then
		sync_put pinged
		sync_wait 60 vxlan-a vxlan-b
		for j in a b; do
			n=$(cat "$SYNC/vxlan-$j")
			info "site $j: vxlan0 received $n packets"
			[ "${n:-0}" -ge 20 ] || fail "site $j's VXLAN device received only ${n:-0} packets"
		done
	fi
	no_kernel_warnings
	sync_put "done-g$G"
	sync_wait 90 done-g1 done-g2 done-g3 done-g4
}

# Guest 1 = AP (hostapd WPA2, SSID test, channel 6, 10.0.0.1), guests 2 and 3 =
# STAs (wpa_supplicant, 10.0.0.2 and .3). Links, station dump, pings between all
# pairs (STA to STA through the AP); then guest 3 vanishes (its QEMU is
# killed): the AP drops its STA within 15 s and guest 2 still talks to the AP;
# then the AP vanishes and guest 2 disconnects within 15 s. Kills guests: last.
VNET_GUESTS[virtio_infra]=3
CASE_TIMEOUT[virtio_infra]=300
t_virtio_infra() {
	virtio_case_start 3 || return 0
	virtio_load
	case $G in
	1) infra_ap ;;
	*) infra_sta ;;
	esac
}

infra_ap() {
	local dump n s2 s3 t0
	s2=$(virtio_mac 2) s3=$(virtio_mac 3)
	v_start_ap wpa2
	sync_put ap-up
	sync_wait 150 sta-g2 sta-g3
	dump=$(iw dev vw0 station dump)
	n=$(grep -c '^Station' <<<"$dump")
	[ "$n" -eq 2 ] || fail "AP station dump lists $n stations: $(tr '\n' '|' <<<"$dump")"
	grep -qi "^Station $s2" <<<"$dump" || fail "AP station dump misses $s2 (guest 2)"
	grep -qi "^Station $s3" <<<"$dump" || fail "AP station dump misses $s3 (guest 3)"
	n=$(grep -c 'authorized:[[:space:]]*yes' <<<"$dump")
	[ "$n" -eq 2 ] || fail "$n of 2 stations authorized: $(tr '\n' '|' <<<"$dump")"
	v_ping 2
	v_ping 3
	sync_put ap-checked
	sync_wait 90 pings-g2 pings-g3
	# guest 3 vanishes
	wait_killed 60 3
	t0=$(vw_now_ms)
	wait_for 15 eval "! iw dev vw0 station get $s3" ||
		fail "AP still lists $s3 15 s after guest 3 vanished"
	info "AP dropped guest 3's STA after $(( ($(vw_now_ms) - t0) / 1000 )) s"
	wait_for 5 grep -qi "AP-STA-DISCONNECTED $s3" "$(bg_log hostapd)" ||
		fail "hostapd did not see guest 3's STA go"
	iw dev vw0 station get "$s2" >/dev/null 2>&1 || fail "AP lost guest 2's STA too"
	sync_put ap-lost-g3
	sync_wait 60 final-g2
	v_ping 2
	bg_alive hostapd || fail "hostapd died"
	no_kernel_warnings
	vw_counters
	# now the AP vanishes (guest 2 checks that it notices)
	kill_guest 1
}

infra_sta() {
	local ap other t0
	ap=$(virtio_mac 1)
	other=$((5 - G))
	sync_wait 150 ap-up
	v_start_sta
	v_wait_sta 90
	v_check_link "$ap"
	v_ping 1
	sync_put "sta-g$G"
	sync_wait 150 "sta-g$other" ap-checked
	if [ "$G" = 3 ]; then
		# STA to STA goes through the AP: guest 2's pings reach this guest
		# from the AP's eth0, none straight from guest 2's
		bg sniff data_sources eth0 "$CASE_DIR/sniff-ready" "$SYNC/sniff-stop" 60 "$(virtio_mac 2)"
		wait_for 20 test -e "$CASE_DIR/sniff-ready" || fail "sniffer on eth0 did not start: $(cat "$(bg_log sniff)")"
		sync_put sniff-g3
	else
		sync_wait 60 sniff-g3
	fi
	v_ping "$other"
	[ "$G" = 3 ] || ping -c 5 -i 0.2 -W 2 10.0.0.3 >/dev/null
	sync_put "pings-g$G"
	sync_wait 90 "pings-g$other"
	if [ "$G" = 3 ]; then
		sync_put sniff-stop
		wait "$(bg_pid sniff)"
		info "data frames from guest 2's vw0 by Ethernet source and DS bits: $(tr '\n' ' ' <"$(bg_log sniff)")"
		grep -qi "^$(guest_mac 1) from \([6-9]\|[1-9][0-9]\)" "$(bg_log sniff)" ||
			fail "guest 2's frames did not come through the AP as 802.11 data frames from the DS (by Ethernet source: $(tr '\n' ' ' <"$(bg_log sniff)"))"
		! grep -qi "^$(guest_mac 2) " "$(bg_log sniff)" ||
			fail "guest 2's frames came straight from guest 2, not through the AP: $(tr '\n' ' ' <"$(bg_log sniff)")"
		no_kernel_warnings
		kill_guest 3
	fi
	sync_wait 60 ap-lost-g3
	v_ping 1
	iw dev vw0 link | grep -qi "Connected to $ap" || fail "guest 2 lost its link when guest 3 vanished"
	sync_put final-g2
	wait_killed 90 1
	t0=$(vw_now_ms)
	wait_for 15 eval "! iw dev vw0 link | grep -qi 'Connected to $ap'" ||
		fail "guest 2 still connected 15 s after its AP vanished"
	info "STA disconnected $(( ($(vw_now_ms) - t0) / 1000 )) s after the AP vanished"
	no_kernel_warnings
}
