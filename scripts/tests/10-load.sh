# shellcheck shell=bash
# Module load / unload, station= parameter.

# expect_clean_unload: rmmod vwifi, then nothing may remain: no vw* interface,
# no vw_phy* wiphy, no kernel message of level warning or above
expect_clean_unload() {
	local w
	vw_unload
	[ -z "$(vw_ifaces)" ] || fail "interfaces left after rmmod: $(vw_ifaces | tr '\n' ' ')"
	[ -z "$(vw_phys)" ] || fail "wiphys left after rmmod: $(vw_phys | tr '\n' ' ')"
	w=$(kernel_warnings)
	[ -z "$w" ] || fail "kernel warnings/errors: $(head -n1 <<<"$w")"
}

# check_stations N: load with station=N; exactly vw0..vw{N-1}, each a managed
# interface on its own wiphy vw_phy<i>; then a clean unload
check_stations() {
	local n=$1 i ifs phys got phy
	vw_load station="$n"
	ifs=$(vw_ifaces | sort -V)
	got=$(count_lines <<<"$ifs")
	[ "$got" -eq "$n" ] || fail "station=$n: $got vw* interfaces (${ifs//$'\n'/ })"
	for ((i = 0; i < n; i++)); do
		[ -e "/sys/class/net/vw$i" ] || fail "station=$n: vw$i missing (have: ${ifs//$'\n'/ })"
		phy=$(phy_of "vw$i") || fail "vw$i is not a wireless interface (no wiphy)"
		[ "$phy" = "vw_phy$i" ] || fail "vw$i is on wiphy $phy, expected vw_phy$i"
		iw dev "vw$i" info | grep -q 'type managed' || fail "vw$i is not in managed mode: $(iw dev "vw$i" info | tr '\n' ' ')"
	done
	phys=$(vw_phys)
	got=$(count_lines <<<"$phys")
	[ "$got" -eq "$n" ] || fail "station=$n: $got vw_phy* wiphys, expected $n (${phys//$'\n'/ })"
	# distinct wiphys: one interface per wiphy
	got=$(for ((i = 0; i < n; i++)); do phy_of "vw$i"; done | sort -u | count_lines)
	[ "$got" -eq "$n" ] || fail "station=$n: interfaces share wiphys ($got distinct)"
	expect_clean_unload
}

t_load_station_1() { check_stations 1; }
t_load_station_3() { check_stations 3; }
t_load_station_64() { check_stations 64; }

t_load_unload_repeat() {
	local i
	for i in 1 2 3; do
		vw_load station=2
		wait_for 5 test -e /sys/class/net/vw1 || fail "cycle $i: vw1 missing"
		expect_clean_unload
	done
}

# check_bad_station VALUE: insmod refused, a message naming "station", nothing left
check_bad_station() {
	local v=$1 out
	if out=$(vw_insmod station="$v" 2>&1); then
		vw_unload
		fail "insmod station=$v succeeded, expected refusal"
	fi
	info "insmod station=$v: $out"
	! vw_loaded || fail "vwifi loaded after failed insmod"
	dmesg_since_case | grep -q station || fail "station=$v: no kernel message naming 'station'"
	[ -z "$(vw_ifaces)" ] || fail "interfaces left: $(vw_ifaces | tr '\n' ' ')"
	[ -z "$(vw_phys)" ] || fail "wiphys left: $(vw_phys | tr '\n' ' ')"
	info "kernel: $(dmesg_since_case | grep station | tail -n1)"
}

t_bad_station_0() { check_bad_station 0; }
t_bad_station_minus1() { check_bad_station -1; }
t_bad_station_100000() { check_bad_station 100000; }
t_bad_station_abc() { check_bad_station abc; }
