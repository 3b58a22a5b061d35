# shellcheck shell=bash
# Stress and fault cases (issue 7): rmmod in every state at once, load/unload
# and connect/disconnect cycles, daemons killed at random moments, interface
# down/up and type changes in the middle of scans, connects and traffic, a
# randomized nl80211 exerciser (scripts/nl80211fuzz.c) with random `iw`
# commands beside it, and frame accounting under a sustained stream.
#
# Scale (VW_STRESS_SCALE):
#   ci (default)  what fits `make check` (~6 min per kernel for this file):
#                 1 rmmod round, up to 20 load/unload cycles, 200
#                 connect/disconnect cycles and 6 daemon-kill rounds, each
#                 loop also ending after 30 s (25 s for the daemons; a
#                 loaded machine does fewer, at least 4, 20 and 3; the log
#                 says how many ran), 3 rounds of type changes, 12
#                 disconnects around type changes,
#                 20 s of nl80211 fuzzing, a 20 s UDP and a 5 s TCP stream
#                 for the accounting
#   full          the issue's counts, no time budgets: 5 rmmod rounds, 100
#                 load/unload cycles, 1000 connect/disconnect cycles, 20
#                 daemon-kill rounds, 30 rounds of type changes, 100
#                 disconnects around type changes, 60 s of
#                 fuzzing, 60 s UDP and 30 s TCP
# Other environment:
#   VW_STRESS_<KNOB> one count, without a time budget (KNOB: RMMOD_ROUNDS
#                    LOAD_CYCLES CONNECT_CYCLES KILL_ROUNDS RACE_ROUNDS
#                    DISC_ROUNDS FUZZ_SECS STREAM_SECS TCP_SECS)
#   VW_STRESS_SEED   seed of the shell-side randomness; every case that uses
#                    randomness prints the seed it used
#   VW_NLFUZZ_SEED   seed of nl80211fuzz (default: VW_STRESS_SEED's)
# Part of the default suite at ci scale. The issue's counts:
#   make check KERNELS=6.1 TESTS=stress_ VW_STRESS_SCALE=full VM_TIMEOUT=7200
# (VW_STRESS_* are passed into the lab VM), or on your own machine
#   sudo VW_STRESS_SCALE=full TESTS=stress_ scripts/verify.sh
# shellcheck source=scripts/tests/wifi.sh
. "$VWIFI_REPO/scripts/tests/wifi.sh"

# stress_knob NAME CI FULL: a count for the current scale (VW_STRESS_NAME wins)
stress_knob() {
	local v="VW_STRESS_$1"
	if [ -n "${!v:-}" ]; then
		echo "${!v}"
	elif [ "${VW_STRESS_SCALE:-ci}" = full ]; then
		echo "$3"
	else
		echo "$2"
	fi
}

# stress_deadline KNOB SECS: at ci scale (and unless VW_STRESS_KNOB is set) a
# loop of that knob also stops after SECS, so that a slow (loaded) machine
# still finishes in time (SECS times VWIFI_TIME_SCALE: a debug kernel runs
# as many cycles): the epoch time in ms to stop at, or 0 (no limit)
stress_deadline() {
	local v="VW_STRESS_$1"
	if [ -n "${!v:-}" ] || [ "${VW_STRESS_SCALE:-ci}" = full ]; then
		echo 0
	else
		echo $(( $(vw_now_ms) + $2 * 1000 * ${VWIFI_TIME_SCALE:-1} ))
	fi
}

# stress_in_time DEADLINE: not past DEADLINE (0: no deadline)
stress_in_time() { [ "$1" = 0 ] || [ "$(vw_now_ms)" -lt "$1" ]; }

# Per-case bounds: generous (TCG under load is 3x slower than idle)
if [ "${VW_STRESS_SCALE:-ci}" = full ]; then
	# shellcheck disable=SC2034,SC2154 # CASE_TIMEOUT is an associative array of verify.sh
	CASE_TIMEOUT+=([stress_rmmod_chaos]=900 [stress_load_cycles]=1500 [stress_connect_cycles]=2400
		[stress_daemon_kill]=1200 [stress_iftype_race]=1800 [stress_nl80211_fuzz]=900
		[stress_accounting]=900 [stress_accounting_drops]=300)
else
	# shellcheck disable=SC2034,SC2154
	CASE_TIMEOUT+=([stress_rmmod_chaos]=300 [stress_load_cycles]=300 [stress_connect_cycles]=400
		[stress_daemon_kill]=360 [stress_iftype_race]=360 [stress_nl80211_fuzz]=360
		[stress_accounting]=420 [stress_accounting_drops]=240)
fi

# stress_seed: seed bash's RANDOM from VW_STRESS_SEED (or a new seed) and print it
stress_seed() {
	STRESS_SEED=${VW_STRESS_SEED:-$(( (10#${EPOCHREALTIME//[!0-9]/} ^ $$) % 1000000000 ))}
	RANDOM=$STRESS_SEED
	info "seed $STRESS_SEED (replay: VW_STRESS_SEED=$STRESS_SEED)"
}

# stress_ms: time since the case began (for the log; the case's bash started with it)
stress_ms() { echo "$((SECONDS * 1000))"; }

# stress_netns N...: like vw_netns (vwN into its own netns nsN, address
# 10.0.0.N+1/24, lo up) with fewer commands: right after the load, vwN is
# on vw_phyN, and the move is complete when iw returns
stress_netns() {
	local n out
	for n in "$@"; do
		ip netns add "ns$n" || fail "ip netns add ns$n"
		out=$(iw phy "vw_phy$n" set netns name "ns$n" 2>&1) || fail "vw_phy$n to ns$n: $out"
		printf '%s\n' "addr add $(ip_of "$n")/24 dev vw$n" "link set lo up" | ip -n "ns$n" -batch - ||
			fail "address of vw$n in ns$n"
	done
}

# stress_infra: vwifi with 3 interfaces, the WPA2 AP vw0 and its stations vw1
# vw2 in ns0-ns2 (infra_up with stress_netns)
stress_infra() {
	vw_load station=3
	stress_netns 0 1 2
	start_ap 0 wpa2
	start_sta 1
	start_sta 2
	wait_sta 1
	wait_sta 2
}

# stress_stat NS DEV FIELD: one netdev statistic of DEV in NS (0 if DEV is gone)
stress_stat() {
	local v
	v=$(ip netns exec "$1" cat "/sys/class/net/$2/statistics/$3" 2>/dev/null) || v=0
	echo "${v:-0}"
}

# stress_no_vw: no vw* interface in any namespace, no vw_phy* wiphy; else the list
stress_no_vw() {
	local ns left=
	left=$(vw_ifaces; vw_phys)
	left=${left//$'\n'/ }
	for ns in /run/netns/*; do
		[ -e "$ns" ] || continue
		left+=$(ip -n "${ns##*/}" -o link show 2>/dev/null | awk -F': ' -v n="${ns##*/}" '$2 ~ /^vw/ { printf " %s@%s", $2, n }')
	done
	left=${left# }
	[ -z "$left" ] || { echo "$left"; return 1; }
}

# stress_build_fuzz: build scripts/nl80211fuzz.c once per boot (cached in
# /tmp, the guest's tmpfs); its path in NL80211FUZZ
stress_build_fuzz() {
	local src=$VWIFI_REPO/scripts/nl80211fuzz.c dir=/tmp/vwifi-stress sum
	need gcc
	mkdir -p "$dir"
	sum=$(cksum <"$src" | cut -d' ' -f1)
	NL80211FUZZ=$dir/nl80211fuzz-$sum
	[ -x "$NL80211FUZZ" ] && return 0
	gcc -Wall -Wextra -Werror -O1 -o "$NL80211FUZZ.tmp" "$src" >"$CASE_DIR/nl80211fuzz-build.log" 2>&1 ||
		fail "cannot build nl80211fuzz: $(head -n3 "$CASE_DIR/nl80211fuzz-build.log")"
	mv "$NL80211FUZZ.tmp" "$NL80211FUZZ"
}

# ------------------------------------------------------------------ rmmod
# stress_flows NAME: the iperf3 --bidir client NAME reported at least two
# intervals with data in each direction
stress_flows() {
	local log
	log=$(bg_log "$1")
	[ "$(grep -E '\[TX-C\] .* sec +[0-9.]+ [KMG]Bytes' "$log" | grep -vc ' 0.00 Bytes')" -ge 2 ] &&
		[ "$(grep -E '\[RX-C\] .* sec +[0-9.]+ [KMG]Bytes' "$log" | grep -vc ' 0.00 Bytes')" -ge 2 ]
}

# One round: rmmod at the worst moment.  vw0: AP (hostapd, WPA2) in ns0;
# vw1, vw2: its stations (wpa_supplicant) in ns1, ns2 with iperf3 in both
# directions vw1<->vw2 (relayed by the AP) and vw1<->AP; vw3: a third
# station in ns3; vw4: scanning in ns4; vw5: IBSS in ns5; vw6: scanning in
# the initial netns; vw1 scanning too.  At once: wpa_supplicant of vw3 is
# SIGKILLed and ns3, ns4, ns5 are deleted (their interfaces, one of them
# associated, another scanning, on their way back to the initial netns),
# and after a seeded random delay of 0-400 ms, rmmod.
stress_chaos_round() {
	local round=$1 n out rc delay t0 pids
	vw_load station=7
	stress_netns 0 1 2 3 4 5
	start_ap 0 wpa2
	for n in 1 2 3; do start_sta "$n"; done
	bg srv2 ip netns exec ns2 iperf3 -s -p 5201
	bg srv0 ip netns exec ns0 iperf3 -s -p 5202
	in_ns ns4 ip link set vw4 up
	ip netns exec ns5 sh -c 'ip link set vw5 down && iw dev vw5 set type ibss && ip link set vw5 up &&
		iw dev vw5 ibss join chaos 2412' || fail "round $round: vw5 IBSS"
	ip link set vw6 up
	for n in 1 2 3; do wait_sta "$n"; done
	info "round $round: set up at $(stress_ms) ms"
	# paced (an unpaced TCP stream takes all the CPU of an emulated machine)
	bg cli12 ip netns exec ns1 iperf3 -c "$(ip_of 2)" -p 5201 --bidir -b 10M -t 300 -i 1 --forceflush
	bg cli10 ip netns exec ns1 iperf3 -c "$(ip_of 0)" -p 5202 --bidir -b 10M -t 300 -i 1 --forceflush
	# the traffic flows in all four directions before the rmmod
	wait_for 40 eval "stress_flows cli12 && stress_flows cli10" ||
		fail "round $round: iperf3 traffic does not flow both ways: $(tail -n 4 "$(bg_log cli12)" | tr '\n' '|') $(tail -n 4 "$(bg_log cli10)" | tr '\n' '|')"
	info "round $round: traffic flows in all directions at $(stress_ms) ms"
	for n in hostapd-vw0 wpas-vw1 wpas-vw2 wpas-vw3 cli12 cli10; do
		bg_alive "$n" || fail "round $round: $n is not running before rmmod: $(tail -n 3 "$(bg_log "$n")" | tr '\n' '|')"
	done
	# scans in flight
	out=$(ip netns exec ns4 iw dev vw4 scan trigger 2>&1) || fail "round $round: scan trigger on vw4: $out"
	out=$(iw dev vw6 scan trigger 2>&1) || fail "round $round: scan trigger on vw6: $out"
	ip netns exec ns1 iw dev vw1 scan trigger >/dev/null 2>&1    # may be busy with wpa_supplicant's own scan
	kill -KILL "$(bg_pid wpas-vw3)"
	delay=$((RANDOM % 400))
	info "round $round: deleting ns3 ns4 ns5, rmmod after ${delay} ms"
	pids=
	for n in ns3 ns4 ns5; do
		ip netns delete "$n" &
		pids+=" $!"
	done
	[ "$delay" -gt 0 ] && sleep "0.$(printf '%03d' "$delay")"
	t0=$(vw_now_ms)
	out=$(rmmod vwifi 2>&1)
	rc=$?
	# shellcheck disable=SC2086
	wait $pids
	info "round $round: rmmod took $(( $(vw_now_ms) - t0 )) ms"
	[ $rc -eq 0 ] || fail "round $round: rmmod failed: $out"
	wait_for 10 stress_no_vw || fail "round $round: left after rmmod: $(stress_no_vw)"
	for n in cli12 cli10 srv2 srv0 hostapd-vw0 wpas-vw1 wpas-vw2; do
		bg_stop "$n"
	done
	for n in ns0 ns1 ns2; do ip netns delete "$n"; done
	return 0
}

t_stress_rmmod_chaos() {
	local rounds r
	need iperf3 hostapd wpa_supplicant
	rounds=$(stress_knob RMMOD_ROUNDS 1 5)
	stress_seed
	for ((r = 1; r <= rounds; r++)); do
		stress_chaos_round "$r"
	done
	# vwifi loads and works after the last of them: an IBSS cell forms, a scan sees it
	vw_load station=2
	{ iw dev vw0 set type ibss && iw dev vw1 set type ibss; } || fail "set type ibss after the rounds"
	ip link set vw0 up
	ip link set vw1 up
	iw dev vw0 ibss join after 2412 || fail "ibss join after the rounds"
	iw dev vw1 ibss join after 2412 || fail "ibss join after the rounds"
	iw dev vw0 station dump | grep -qi "^Station $(vw_mac 1)" || fail "the IBSS cell did not form after the rounds"
	info "$rounds rounds of rmmod under load in $(stress_ms) ms"
}

# ------------------------------------------------------------------ cycles
# stress_ns_sh NS SCRIPT ARGS...: run a bash script in NS (one exec of ip, no
# shipping of functions: cheaper than in_ns in a loop)
stress_ns_sh() {
	local ns=$1 script=$2
	shift 2
	ip netns exec "$ns" bash -c "$script" _ "$@"
}

# stress_beacon_head BSSID SSID: a beacon head for `iw dev X ap start` (hex):
# beacon frame header, timestamp, interval 100, capability ESS, SSID, rates
stress_beacon_head() {
	local mac=${1//:/} ssid=$2 hex='' i
	for ((i = 0; i < ${#ssid}; i++)); do hex+=$(printf '%02x' "'${ssid:i:1}"); done
	printf '80000000ffffffffffff%s%s0000''0000000000000000''6400''0100''00%02x%s''010882848b960c121824\n' \
		"$mac" "$mac" "${#ssid}" "$hex"
}

# insmod, traffic, rmmod: N cycles, alternating an IBSS cell and an AP started
# with `iw dev X ap start` (no hostapd) with a station connected by `iw`;
# vw0 in the initial netns, vw1 in ns1 (its wiphy moves there at every
# load).  A ping and a burst of 50 UDP datagrams must get through; rmmod
# runs with a fast ping in flight and a scan running on vw2.
t_stress_load_cycles() {
	local cycles i out mode rx pid t tl=0 tm=0 ts=0 tt=0 tr=0 dl
	need iw ping
	cycles=$(stress_knob LOAD_CYCLES 20 100)
	dl=$(stress_deadline LOAD_CYCLES 30)
	ip netns add ns1 || fail "ip netns add ns1"
	ip -n ns1 link set lo up
	for ((i = 1; i <= cycles; i++)); do
		if ! stress_in_time "$dl"; then
			info "time budget used up after $((i - 1)) of $cycles cycles"
			[ "$i" -gt 4 ] || fail "only $((i - 1)) cycles in the time budget"
			break
		fi
		mode=ibss
		[ $((i % 2)) -eq 0 ] && mode=ap
		t=$(vw_now_ms)
		vw_load station=3
		tl=$((tl + $(vw_now_ms) - t)) t=$(vw_now_ms)
		if [ $mode = ibss ]; then
			out=$(iw dev vw1 set type ibss 2>&1 && iw dev vw0 set type ibss 2>&1) || fail "cycle $i: set type ibss: $out"
		else
			out=$(iw dev vw0 set type __ap 2>&1) || fail "cycle $i: set type AP: $out"
		fi
		out=$(iw phy vw_phy1 set netns name ns1 2>&1) || fail "cycle $i: vw_phy1 to ns1: $out"
		tm=$((tm + $(vw_now_ms) - t)) t=$(vw_now_ms)
		printf '%s\n' "addr add 10.0.0.1/24 dev vw0" "link set vw0 up" "link set vw2 up" | ip -batch - ||
			fail "cycle $i: vw0 address/up"
		printf '%s\n' "addr add 10.0.0.2/24 dev vw1" "link set vw1 up" | ip -n ns1 -batch - ||
			fail "cycle $i: vw1 address/up"
		if [ $mode = ibss ]; then
			out=$(iw dev vw0 ibss join stress 2412 fixed-freq "$(vw_mac 0)" 2>&1 &&
				ip netns exec ns1 iw dev vw1 ibss join stress 2412 fixed-freq "$(vw_mac 0)" 2>&1) ||
				fail "cycle $i: IBSS join: $out"
		else
			out=$(iw dev vw0 ap start stress 2437 100 1 head "$(stress_beacon_head "$(vw_mac 0)" stress)" 2>&1 &&
				ip netns exec ns1 iw dev vw1 connect stress 2437 "$(vw_mac 0)" 2>&1) ||
				fail "cycle $i: AP start/station connect: $out"
		fi
		ts=$((ts + $(vw_now_ms) - t)) t=$(vw_now_ms)
		ping -c 2 -i 0.2 -W 2 -q 10.0.0.2 >/dev/null || ping -c 3 -W 2 -q 10.0.0.2 >/dev/null ||
			fail "cycle $i ($mode): no ping from vw0 to vw1: $(ip -s link show vw0 | tr '\n' '|')"
		for rx in {1..50}; do echo "burst $rx" >/dev/udp/10.0.0.2/9; done 2>/dev/null
		ping -i 0.005 -q 10.0.0.2 >/dev/null 2>&1 </dev/null &
		pid=$!
		out=$(ip -n ns1 -j -s link show vw1) rx=
		[[ $out =~ \"rx\":\{\"bytes\":[0-9]+,\"packets\":([0-9]+) ]] && rx=${BASH_REMATCH[1]}
		[ "${rx:-0}" -ge 52 ] || fail "cycle $i ($mode): vw1 received only ${rx:-0} frames (2 pings, 50 UDP)"
		iw dev vw2 scan trigger >/dev/null 2>&1 || fail "cycle $i: scan trigger on vw2"
		kill -0 "$pid" 2>/dev/null || fail "cycle $i: the ping to keep in flight is gone"
		tt=$((tt + $(vw_now_ms) - t)) t=$(vw_now_ms)
		out=$(rmmod vwifi 2>&1) || fail "cycle $i ($mode): rmmod under traffic: $out"
		tr=$((tr + $(vw_now_ms) - t))
		kill "$pid" 2>/dev/null
		wait "$pid" 2>/dev/null
		[ -z "$(vw_phys)" ] || fail "cycle $i: wiphys left: $(vw_phys | tr '\n' ' ')"
		if [ $((i % 10)) -eq 0 ]; then
			wait_for 5 stress_no_vw || fail "cycle $i: left after rmmod: $(stress_no_vw)"
		fi
	done
	wait_for 5 stress_no_vw || fail "left after the last rmmod: $(stress_no_vw)"
	info "$((i - 1)) load/traffic/unload cycles in $(stress_ms) ms: insmod $tl, type+netns $tm, set-up $ts, traffic $tt, rmmod $tr ms"
}

# One station connects to and disconnects from an open hostapd AP N times
# with `iw` (ci: up to 200 cycles in 30 s, full: 1000), reconnecting at once.
# A connect must reach Connected (carrier on when `iw` returns: the
# association is synchronous; every 10th cycle also `iw link` and hostapd's
# station list), a disconnect must drop the carrier.  Events are handled
# late: cfg80211 may still be processing the last disconnect (the connect
# is refused, EALREADY), and hostapd's cleanup of the previous association
# (DEL_STATION) can remove the new one; so at least 90% of the connects
# must be up when checked (the others are counted; the log shows hostapd's
# late removals), and five refused connects in a row end the case as stuck.
# At the end the driver and hostapd list no station, a last connect passes
# data, and hostapd got exactly one NEW_STATION event per association.
t_stress_connect_cycles() {
	local cycles dl out ran ok bad undone busy conn disc late n
	need hostapd iw hostapd_cli
	cycles=$(stress_knob CONNECT_CYCLES 200 1000)
	dl=$(stress_deadline CONNECT_CYCLES 30)
	vw_load station=2
	stress_netns 0 1
	start_ap 0 open
	in_ns ns1 ip link set vw1 up
	# shellcheck disable=SC2016 # runs in ns1; prints "done N ok N undone N bad N" last
	out=$(stress_ns_sh ns1 '
		n=$1 ap=$2 dl=$3 ctrl=$4 me=$5 ok=0 undone=0 busy=0 bad=0 c= i=0 l= j= err= stuck=0
		now() { local t=${EPOCHREALTIME//[!0-9]/}; echo $((10#$t / 1000)); }
		for ((i = 1; i <= n; i++)); do
			[ "$dl" = 0 ] || [ "$(now)" -lt "$dl" ] || { i=$((i - 1)); break; }
			if ! err=$(iw dev vw1 connect test 2437 "$ap" 2>&1); then
				echo "cycle $i: iw connect failed: $err"
				stuck=$((stuck + 1))
				# cfg80211 still handling the last disconnect event: once is fine
				if [[ $err == *"(-114)"* ]]; then busy=$((busy + 1)); else bad=$((bad + 1)); fi
				if [ $stuck -ge 5 ]; then
					# five in a row: the state of both ends, then stop
					read -r c </sys/class/net/vw1/carrier
					echo "cycle $i: stuck: carrier $c, iw link: $(iw dev vw1 link | head -n1), hostapd lists: $(hostapd_cli -p "$ctrl" -i vw0 list_sta | tr "\n" " ")"
					break
				fi
				continue
			fi
			stuck=0
			read -r c </sys/class/net/vw1/carrier
			if [ "$c" = 1 ]; then
				if [ $((i % 10)) -eq 0 ]; then
					l=$(iw dev vw1 link)
					[[ ${l,,} == "connected to ${ap,,}"* ]] || c=0
				fi
			fi
			if [ "$c" != 1 ]; then
				undone=$((undone + 1))
				echo "cycle $i: not connected after the connect"
			else
				ok=$((ok + 1))
				if [ $((i % 10)) -eq 0 ]; then
					for j in 1 2 3 4 5 6 7 8 9 10; do
						l=$(hostapd_cli -p "$ctrl" -i vw0 list_sta)
						[[ ${l,,} == *"${me,,}"* ]] && break
						read -r c </sys/class/net/vw1/carrier
						[ "$c" = 1 ] || break
						sleep 0.2
					done
					[ "$c" != 1 ] || [[ ${l,,} == *"${me,,}"* ]] ||
						{ echo "cycle $i: connected, but hostapd does not list the station: $l"; bad=$((bad + 1)); }
				fi
			fi
			iw dev vw1 disconnect || { echo "cycle $i: iw disconnect failed"; bad=$((bad + 1)); }
			read -r c </sys/class/net/vw1/carrier
			[ "$c" = 0 ] || { echo "cycle $i: carrier still on after disconnect"; bad=$((bad + 1)); }
		done
		[ $i -le $n ] || i=$n
		echo "done $i ok $ok undone $undone busy $busy bad $bad"' "$cycles" "$(vw_mac 0)" "$dl" "$(ctrl_dir hostapd)" "$(vw_mac 1)" 2>&1)
	read -r _ ran _ ok _ undone _ busy _ bad <<<"$(grep '^done ' <<<"$out")"
	late=$(grep -c 'sta_remove -> DEL_STATION vw0 .* --> 0 (Success)' "$(bg_log hostapd-vw0)")
	info "${ran:-0} of $cycles connect/disconnect cycles in $(stress_ms) ms: ${ok:-0} connected, ${undone:-?} undone at once, ${busy:-?} refused as in progress, ${bad:-?} problems; hostapd removed a live association $late times"
	grep -m 20 '^cycle' <<<"$out" >&2
	[ "${ran:-0}" -ge 20 ] || fail "only ${ran:-0} cycles ran: $(tail -n 3 <<<"$out" | tr '\n' '|')"
	[ "$ran" -eq "$cycles" ] || info "time budget used up after $ran of $cycles cycles"
	grep -q 'stuck:' <<<"$out" && fail "connects keep failing: $(grep -m1 'stuck:' <<<"$out")"
	[ "$bad" -eq 0 ] || fail "$bad problems in $ran cycles: $(grep -v 'not connected after\|(-114)' <<<"$out" | grep -m3 '^cycle' | tr '\n' '|')"
	[ "$ok" -ge $((ran * 9 / 10)) ] ||
		fail "only $ok of $ran connects reached Connected (hostapd removed a live association $late times): $(grep -m3 '^cycle' <<<"$out" | tr '\n' '|')"
	# the AP's view: nobody left, neither in the driver nor in hostapd
	wait_for 10 eval "! in_ns ns0 iw dev vw0 station dump | grep -q '^Station'" ||
		fail "the AP still lists stations after $ran cycles: $(in_ns ns0 iw dev vw0 station dump | grep '^Station' | tr '\n' '|')"
	wait_for 10 eval "[ -z \"\$(ap_cli 0 list_sta)\" ]" ||
		fail "hostapd still lists stations after $ran cycles: $(ap_cli 0 list_sta | tr '\n' ' ')"
	ap_enabled 0 || fail "hostapd is no longer enabled: $(ap_cli 0 status | tr '\n' ' ')"
	in_ns ns1 iw dev vw1 connect test || fail "final connect"
	wait_for 5 eval "ap_cli 0 list_sta | grep -qi $(vw_mac 1)" || fail "hostapd does not list vw1 after the final connect"
	expect_ping 1 0
	in_ns ns1 iw dev vw1 disconnect
	wait_for 5 eval "[ -z \"\$(ap_cli 0 list_sta)\" ]" || fail "hostapd lists stations after the final disconnect"
	# the driver told hostapd of every association (hostapd's log is complete
	# once it has exited); AP-STA-CONNECTED is missing for the associations
	# hostapd took for its old one, not yet cleaned up
	bg_stop hostapd-vw0
	conn=$(grep -c 'Drv Event 19 (NL80211_CMD_NEW_STATION)' "$(bg_log hostapd-vw0)")
	disc=$(grep -c 'Drv Event 20 (NL80211_CMD_DEL_STATION)' "$(bg_log hostapd-vw0)")
	info "hostapd got $conn NEW_STATION and $disc DEL_STATION events, logged $(grep -c AP-STA-CONNECTED "$(bg_log hostapd-vw0)") AP-STA-CONNECTED"
	n=$(( ran + 1 - $(grep -c 'iw connect failed' <<<"$out") ))
	[ "$conn" -eq "$n" ] || fail "hostapd got $conn NEW_STATION events for $n associations"
}

# ------------------------------------------------------------------ daemons
# hostapd and wpa_supplicant killed with SIGKILL at seeded random moments of
# their start-up, association and handshake, and restarted, N rounds; the
# kernel side of a killed daemon stays up (the AP beacons on, the station
# stays associated) and the new daemon has to take over.  At the end both
# stations complete WPA2, pass data, and the AP lists exactly them.
stress_kill_start() {
	cat "$CASE_DIR/$1.log" >>"$CASE_DIR/$1.all.log" 2>/dev/null
	case $1 in
	hostapd-vw0) bg hostapd-vw0 ip netns exec ns0 hostapd -t -d "$(hostapd_conf vw0 wpa2)" ;;
	wpas-vw*) bg "$1" ip netns exec "ns${1#wpas-vw}" wpa_supplicant -t -d -i "${1#wpas-}" -c "$(wpas_conf "${1#wpas-}")" ;;
	esac
}

# stress_daemon_states: the state of hostapd and both supplicants (their
# control sockets are files: reachable from the initial netns)
stress_daemon_states() {
	local n st
	st=$(hostapd_cli -p "$(ctrl_dir hostapd)" -i vw0 status 2>/dev/null | sed -n 's/^state=//p')
	printf 'ap=%s' "${st:-none}"
	for n in 1 2; do
		st=$(wpa_cli -p "$(ctrl_dir wpas)" -i "vw$n" status 2>/dev/null | sed -n 's/^wpa_state=//p')
		printf ' sta%s=%s' "$n" "${st:-none}"
	done
}

t_stress_daemon_kill() {
	local rounds r d victims v n dump killed=0 dl ran try
	need hostapd wpa_supplicant
	rounds=$(stress_knob KILL_ROUNDS 6 20)
	dl=$(stress_deadline KILL_ROUNDS 25)
	vw_load station=3
	stress_netns 0 1 2
	for n in 0 1 2; do in_ns "ns$n" ip link set "vw$n" up; done
	stress_seed
	local -a all=(hostapd-vw0 wpas-vw1 wpas-vw2)
	for ((r = 1; r <= rounds; r++)); do
		if ! stress_in_time "$dl"; then
			info "time budget used up after $((r - 1)) of $rounds rounds"
			break
		fi
		for v in "${all[@]}"; do bg_alive "$v" || stress_kill_start "$v"; done
		d=$((RANDOM % 3000))
		case $((RANDOM % 4)) in
		0) victims=(hostapd-vw0) ;;
		1) victims=(wpas-vw$((1 + RANDOM % 2))) ;;
		2) victims=(hostapd-vw0 wpas-vw1) ;;
		*) victims=("${all[@]}") ;;
		esac
		sleep "$((d / 1000)).$(printf '%03d' $((d % 1000)))"
		info "round $r: after ${d} ms: $(stress_daemon_states); SIGKILL ${victims[*]}"
		for v in "${victims[@]}"; do
			kill -KILL "$(bg_pid "$v")" 2>/dev/null && killed=$((killed + 1))
			wait "$(bg_pid "$v")" 2>/dev/null
		done
	done
	ran=$((r - 1))
	[ "$ran" -ge 3 ] || fail "only $ran rounds in the time budget"
	# like a supervisor: restart what died until hostapd runs.  A hostapd
	# started while the AP of a SIGKILLed one still beacons fails once
	# ("Failed to set channel": EBUSY, as with any cfg80211 driver without
	# set_ap_chanwidth), taking the interface down as it exits
	for try in 1 2 3; do
		for v in "${all[@]}"; do bg_alive "$v" || stress_kill_start "$v"; done
		wait_for 20 eval "ap_enabled 0 || ! bg_alive hostapd-vw0"
		info "start $try after the rounds: $(stress_daemon_states)"
		ap_enabled 0 && break
	done
	ap_enabled 0 || fail "hostapd does not come up after the last kill: $(tail -n 5 "$(bg_log hostapd-vw0)" | tr '\n' '|')"
	info "hostapd starts that failed to set the channel: $(cat "$CASE_DIR"/hostapd-vw0*.log | grep -c 'Failed to set channel')"
	wait_sta 1 60
	wait_sta 2 60
	expect_ping 1 2
	expect_ping 2 0
	wait_for 10 eval "[ \$(in_ns ns0 iw dev vw0 station dump | grep -c '^Station') -eq 2 ]" ||
		fail "AP does not list exactly 2 stations: $(in_ns ns0 iw dev vw0 station dump | grep '^Station' | tr '\n' '|')"
	dump=$(in_ns ns0 iw dev vw0 station dump)
	[ "$(grep -c 'authorized:.*yes' <<<"$dump")" -eq 2 ] || fail "not both stations authorized: $(tr '\n' '|' <<<"$dump")"
	for n in 1 2; do
		in_ns "ns$n" iw dev "vw$n" link | grep -qi "Connected to $(vw_mac 0)" || fail "vw$n link: $(in_ns "ns$n" iw dev "vw$n" link | head -n1)"
	done
	info "$ran rounds, $killed daemons killed, in $(stress_ms) ms"
}

# ------------------------------------------------------------------ iftype
# stress_ap_init: hostapd (open, SSID test, channel 6) on vw0 in the initial
# netns, 10.0.0.1/24; hostapd_cli of it: stress_ap_cli
stress_ap_init() {
	local conf
	conf=$(hostapd_conf vw0 open)
	ip addr add "$(ip_of 0)/24" dev vw0
	ip link set vw0 up
	bg hostapd-vw0 hostapd -t -d "$conf"
	wait_for 15 eval "stress_ap_cli status | grep -q '^state=ENABLED'" ||
		fail "hostapd on vw0 did not start: $(tail -n 5 "$(bg_log hostapd-vw0)" | tr '\n' '|')"
}
stress_ap_cli() { hostapd_cli -p "$(ctrl_dir hostapd)" -i vw0 "$@"; }

# stress_ap_lists MAC: "1" if the driver's AP (vw0, initial netns) lists MAC, else "0"
stress_ap_lists() { iw dev vw0 station dump | grep -ci "^Station $1"; }

# Interface down/up and type changes (a) during a scan, (b) during a connect,
# (c) during traffic (a station of a hostapd AP and an IBSS cell, each with
# a fast ping running); every time a change is refused while the interface
# is up, works while it is down, and afterwards both ends of every link
# agree and traffic resumes.  The AP (vw0) is in the initial netns, the
# others each in their own.
t_stress_iftype_race() {
	local rounds r out sta ap
	need hostapd hostapd_cli iw ping
	rounds=$(stress_knob RACE_ROUNDS 3 30)
	vw_load station=5
	stress_netns 1 2 3 4
	for r in 1 2; do in_ns "ns$r" ip link set "vw$r" up; done
	stress_ap_init
	stress_seed
	# (a) during a scan: one script in ns1 per round
	# shellcheck disable=SC2016
	local scan_round='
		RANDOM=$1
		err() { echo "FAIL: $*"; exit 1; }
		iw dev vw1 scan trigger >/dev/null || err "scan trigger"
		[ $((RANDOM % 2)) -eq 0 ] && sleep 0.0$((RANDOM % 10))
		iw dev vw1 set type ibss 2>/dev/null && err "type change accepted while up and scanning"
		iw dev vw1 info | grep -q "type managed" || err "type changed although refused"
		ip link set vw1 down
		iw dev vw1 set type ibss || err "set type ibss while down"
		ip link set vw1 up
		iw dev vw1 scan trigger >/dev/null || err "scan trigger in IBSS mode"
		[ $((RANDOM % 2)) -eq 0 ] && iw dev vw1 ibss join race 2412
		ip link set vw1 down
		iw dev vw1 set type managed || err "set type managed while down"
		ip link set vw1 up
		exit 0'
	for ((r = 1; r <= rounds; r++)); do
		out=$(stress_ns_sh ns1 "$scan_round" "$RANDOM" 2>&1) || fail "(a) round $r: $out"
	done
	out=$(iw_scan ns1 vw1) || fail "(a) scan after the changes: $out"
	grep -qi "BSS $(vw_mac 0)" <<<"$out" || fail "(a) the scan after the changes misses the AP"
	# (b) during a connect: the connect runs in the background, the change hits it
	# shellcheck disable=SC2016
	local connect_round='
		RANDOM=$1
		iw dev vw2 connect test &
		case $((RANDOM % 3)) in
		1) sleep 0.0$((RANDOM % 10)) ;;
		2) sleep 0.$((RANDOM % 3)) ;;
		esac
		case $((RANDOM % 3)) in
		0)	ip link set vw2 down; ip link set vw2 up ;;
		1)	iw dev vw2 set type ibss 2>/dev/null && { echo "FAIL: type change accepted while up"; exit 1; } ;;
		*)	ip link set vw2 down
			iw dev vw2 set type __ap || { echo "FAIL: set type AP while down"; exit 1; }
			iw dev vw2 set type managed || { echo "FAIL: back to managed"; exit 1; }
			ip link set vw2 up ;;
		esac
		wait $!
		exit 0'
	# shellcheck disable=SC2016
	local link_state='iw dev vw2 link | grep -ci "^Connected to $1"'
	for ((r = 1; r <= rounds; r++)); do
		out=$(stress_ns_sh ns2 "$connect_round" "$RANDOM" 2>&1) || fail "(b) round $r: $out"
		# both ends of the link agree (within 5 s)
		for _ in {1..10}; do
			sta=$(stress_ns_sh ns2 "$link_state" "$(vw_mac 0)")
			ap=$(stress_ap_lists "$(vw_mac 2)")
			[ "$sta" = "$ap" ] && break
			sleep 0.5
		done
		[ "$sta" = "$ap" ] || fail "(b) round $r: vw2 connected: $sta, the AP lists vw2: $ap"
		ip netns exec ns2 iw dev vw2 disconnect 2>/dev/null
	done
	wait_for 5 eval "[ \$(stress_ap_lists $(vw_mac 2)) = 0 ]" || fail "(b) the AP still lists vw2"
	wait_for 5 eval "[ -z \"\$(stress_ap_cli list_sta)\" ]" || fail "(b) hostapd still lists: $(stress_ap_cli list_sta | tr '\n' ' ')"
	# (c) during traffic: vw1 pings the AP, vw3 pings vw4 in an IBSS cell
	in_ns ns1 iw dev vw1 connect test || fail "(c) connect vw1"
	expect_ping 1 0
	for r in 3 4; do
		ip netns exec "ns$r" sh -c "ip link set vw$r down && iw dev vw$r set type ibss && ip link set vw$r up &&
			iw dev vw$r ibss join racecell 2412 fixed-freq $(vw_mac 3)" || fail "(c) vw$r: IBSS join"
	done
	expect_ping 3 4
	bg ping1 ip netns exec ns1 ping -i 0.01 -q "$(ip_of 0)"
	bg ping3 ip netns exec ns3 ping -i 0.01 -q "$(ip_of 4)"
	# shellcheck disable=SC2016
	local sta_round='
		RANDOM=$1 ap=$2
		case $((RANDOM % 3)) in
		0)	ip link set vw1 down; ip link set vw1 up ;;
		1)	iw dev vw1 set type ibss 2>/dev/null && { echo "FAIL: type change accepted while connected"; exit 1; } ;;
		*)	ip link set vw1 down; iw dev vw1 set type ibss; iw dev vw1 set type managed; ip link set vw1 up ;;
		esac
		iw dev vw1 link | grep -q "^Connected" || iw dev vw1 connect test || { echo "FAIL: reconnect"; exit 1; }
		for i in 1 2 3 4 5 6 7 8 9 10; do ping -c 1 -W 1 -q "$ap" >/dev/null && exit 0; done
		echo "FAIL: no traffic to the AP after the change"; exit 1'
	# shellcheck disable=SC2016
	local ibss_round='
		RANDOM=$1 bssid=$2
		if [ $((RANDOM % 2)) -eq 0 ]; then
			ip link set vw4 down; ip link set vw4 up
		else
			ip link set vw4 down; iw dev vw4 set type managed; ip link set vw4 up
			iw dev vw4 scan trigger >/dev/null 2>&1
			ip link set vw4 down; iw dev vw4 set type ibss; ip link set vw4 up
		fi
		iw dev vw4 ibss join racecell 2412 fixed-freq "$bssid" || { echo "FAIL: rejoin"; exit 1; }'
	for ((r = 1; r <= rounds; r++)); do
		out=$(stress_ns_sh ns1 "$sta_round" "$RANDOM" "$(ip_of 0)" 2>&1) || fail "(c) round $r: vw1: $out"
		out=$(stress_ns_sh ns4 "$ibss_round" "$RANDOM" "$(vw_mac 3)" 2>&1) || fail "(c) round $r: vw4: $out"
		wait_for 10 can_ping 3 4 || fail "(c) round $r: no traffic in the IBSS cell after the change"
		{ [ "$(stress_ap_lists "$(vw_mac 1)")" = 1 ] && [ "$(iw dev vw0 station dump | grep -c '^Station')" = 1 ]; } ||
			fail "(c) round $r: the AP does not list exactly vw1: $(iw dev vw0 station dump | grep '^Station' | tr '\n' '|')"
	done
	bg_stop ping1
	bg_stop ping3
	info "$rounds rounds of (a), (b) and (c) in $(stress_ms) ms"
}

# ------------------------------------------------------------------ fuzz
# stress_random_iw SECONDS: random iw/ip commands (bash RANDOM, seeded by the
# case) on vw2..vw5 of the initial netns until SECONDS have passed; prints a
# count of commands and of failures (refusals are normal)
stress_random_iw() {
	local end=$(( $(vw_now_ms) + $1 * 1000 )) n=0 nok=0 d f
	local -a freqs=(2412 2437 2462 2484 5180 5240)
	while [ "$(vw_now_ms)" -lt "$end" ]; do
		d=vw$((2 + RANDOM % 4))
		f=${freqs[RANDOM % ${#freqs[@]}]}
		case $((RANDOM % 20)) in
		0) ip link set "$d" up ;;
		1) ip link set "$d" down ;;
		2) iw dev "$d" set type managed ;;
		3) iw dev "$d" set type ibss ;;
		4) iw dev "$d" set type __ap ;;
		5) iw dev "$d" scan trigger freq "$f" ;;
		6) iw dev "$d" scan trigger ssid test ssid fz-a ;;
		7) iw dev "$d" scan abort ;;
		8) iw dev "$d" connect test ;;
		9) iw dev "$d" connect fz-a "$f" ;;
		10) iw dev "$d" disconnect ;;
		11) iw dev "$d" ibss join fz-ibss "$f" ;;
		12) iw dev "$d" ibss leave ;;
		13) iw dev "$d" ap start fz-a 2412 100 1 head "$(stress_beacon_head "$(cat "/sys/class/net/$d/address")" fz-a)" ;;
		14) iw dev "$d" ap stop ;;
		15) iw dev "$d" station dump ;;
		16) iw phy "$(phy_of "$d")" set txpower fixed $((RANDOM % 3000)) ;;
		17) iw phy "$(phy_of "$d")" set rts $((256 + RANDOM % 2000)) ;;
		18) iw phy "$(phy_of "$d")" set frag $((256 + RANDOM % 2000)) ;;
		*) iw dev "$d" link ;;
		esac >/dev/null 2>&1 && nok=$((nok + 1))
		n=$((n + 1))
	done
	echo "random iw: $n commands, $nok succeeded"
}

# A disconnect vwifi reports must reach an interface that is still a
# station.  Each round connects vw1 (ns1) to the open hostapd AP vw0 (ns0)
# with two CONNECT requests in one write (nl80211fuzz -C: the second arrives
# before cfg80211 has read the first one's result; an error for it made
# 6.1's cfg80211 forget the SSID and skip every later disconnect), then
# ends the association: odd rounds with `iw disconnect`, even rounds with
# the interface taken down and its type changed while the AP removes the
# station in a loop.  Pass: each end agrees the association is gone, the
# next round connects again, and no kernel report (a WARNING in
# __cfg80211_disconnected on 6.1 before the fix).
t_stress_disconnect_iftype() {
	local rounds r out mac again=0
	need hostapd iw
	rounds=$(stress_knob DISC_ROUNDS 12 100)
	stress_build_fuzz
	vw_load station=2
	stress_netns 0 1
	start_ap 0 open
	mac=$(vw_mac 1)
	for ((r = 1; r <= rounds; r++)); do
		in_ns ns1 ip link set vw1 up
		out=$(in_ns ns1 "$NL80211FUZZ" -C test -i vw1 2>&1) || fail "round $r: connect twice: $out"
		[[ $out == *"again -114"* ]] && again=$((again + 1))
		info "round $r: $out"
		wait_for 10 stress_sta_linked || fail "round $r: vw1 not connected after '$out': $(in_ns ns1 iw dev vw1 link)"
		if ((r % 2)); then
			in_ns ns1 iw dev vw1 disconnect || fail "round $r: iw disconnect"
			wait_for 5 stress_sta_unlinked ||
				fail "round $r: vw1 still connected after iw disconnect: $(in_ns ns1 iw dev vw1 link | head -n1)"
		else
			bg ap-del ip netns exec ns0 bash -c \
				"while :; do iw dev vw0 station del $mac 2>/dev/null; done"
			in_ns ns1 ip link set vw1 down
			in_ns ns1 iw dev vw1 set type ibss || fail "round $r: set type ibss while down"
			bg_stop ap-del
			in_ns ns1 iw dev vw1 set type managed || fail "round $r: set type managed while down"
		fi
		wait_for 5 stress_ap_forgot "$mac" ||
			fail "round $r: the AP still lists vw1 after its association ended"
	done
	info "$rounds rounds, $again with the second connect refused (EALREADY: cfg80211 had read the first result)"
}

# stress_sta_linked / stress_sta_unlinked: vw1 (ns1) reports an association, or none
stress_sta_linked() { in_ns ns1 iw dev vw1 link | grep -q '^Connected to'; }
stress_sta_unlinked() { in_ns ns1 iw dev vw1 link | grep -q '^Not connected'; }
# stress_ap_forgot MAC: the AP vw0 (ns0) lists no station MAC
stress_ap_forgot() { ! in_ns ns0 iw dev vw0 station dump | grep -qi "^Station $1"; }

# The nl80211 exerciser (scripts/nl80211fuzz.c): several processes sending
# random valid and invalid requests to every vwifi interface in every mode
# (a hostapd AP with a WPA2 station in ns0/ns1, managed, IBSS and idle
# interfaces in the initial netns) while random iw commands run beside
# them.  Pass: no fuzzer hung or saw a basic request fail, no kernel
# report, WPA2 still works on the fuzzed interfaces, rmmod is clean.
t_stress_nl80211_fuzz() {
	local secs seed rc=0 f n out
	need hostapd wpa_supplicant iw
	secs=$(stress_knob FUZZ_SECS 20 60)
	stress_build_fuzz
	stress_seed
	seed=${VW_NLFUZZ_SEED:-$STRESS_SEED}
	info "nl80211fuzz seed $seed (replay: VW_NLFUZZ_SEED=$seed; ns0 uses seed+100, ns1 seed+200)"
	vw_load station=6
	stress_netns 0 1
	start_ap 0 wpa2
	start_sta 1
	wait_sta 1
	ip link set vw3 up
	iw dev vw4 set type ibss || fail "vw4: set type ibss"
	ip link set vw4 up
	iw dev vw4 ibss join fz-ibss 2412 || fail "vw4: ibss join"
	ip link set vw5 up
	bg fuzz-init "$NL80211FUZZ" -s "$seed" -t "$secs" -p 2
	bg fuzz-ns0 ip netns exec ns0 "$NL80211FUZZ" -s $((seed + 100)) -t "$secs" -i vw0
	bg fuzz-ns1 ip netns exec ns1 "$NL80211FUZZ" -s $((seed + 200)) -t "$secs" -i vw1
	stress_random_iw "$secs" >"$CASE_DIR/random-iw.log" 2>&1
	for f in fuzz-init fuzz-ns0 fuzz-ns1; do
		wait "$(bg_pid "$f")" || rc=$?
		grep -E '^nl80211fuzz' "$(bg_log "$f")" >&2
		[ $rc -eq 0 ] || fail "$f exited $rc: $(grep -m1 'FAIL' "$(bg_log "$f")")"
		while read -r n; do
			[ "$n" -ge 20 ] || fail "$f sent only $n requests"
		done < <(awk '/requests in/ { print $2 }' "$(bg_log "$f")")
	done
	cat "$CASE_DIR/random-iw.log" >&2
	grep -q 'random iw: [1-9]' "$CASE_DIR/random-iw.log" || fail "the random iw commands did not run"
	vw_loaded || fail "vwifi is gone"
	# The interfaces the fuzzers added went with them (deleted, or by
	# cfg80211 once their owner socket closed)
	wait_for 10 eval "! { ip -o link; in_ns ns0 ip -o link; in_ns ns1 ip -o link; } | grep -q vwfz" ||
		fail "fuzzers' interfaces left: $({ ip -o link; in_ns ns0 ip -o link; in_ns ns1 ip -o link; } | grep -o 'vwfz[^:@]*' | tr '\n' ' ')"
	# Still a working driver: fresh daemons, WPA2 on fuzzed interfaces, vw2 (a
	# station in the initial netns) included
	bg_stop wpas-vw1
	bg_stop hostapd-vw0
	for n in 0 1; do
		ip netns exec "ns$n" sh -c "ip link set vw$n down && iw dev vw$n set type managed" || fail "vw$n back to managed"
	done
	for n in 2 3 4 5; do
		ip link set "vw$n" down
		iw dev "vw$n" set type managed || fail "vw$n back to managed"
	done
	start_ap 0 wpa2
	start_sta 1
	ip addr add "$(ip_of 2)/24" dev vw2
	ip link set vw2 up
	bg wpas-vw2 wpa_supplicant -t -i vw2 -c "$(wpas_conf vw2)"
	wait_sta 1
	wait_for 30 eval "wpa_cli -p $(ctrl_dir wpas) -i vw2 status | grep -q '^wpa_state=COMPLETED'" ||
		fail "vw2 did not connect after the fuzzing: $(tail -n 3 "$(bg_log wpas-vw2)" | tr '\n' '|')"
	expect_ping 1 0
	expect_ping 1 2
	wait_for 10 ping -c 1 -W 1 "$(ip_of 0)" || fail "vw2 (initial netns) cannot ping the AP"
	out=$(kernel_reports)
	[ -z "$out" ] || fail "kernel report: $(head -n1 <<<"$out")"
	bg_stop wpas-vw1
	bg_stop wpas-vw2
	bg_stop hostapd-vw0
	vw_unload
	wait_for 5 stress_no_vw || fail "left after rmmod: $(stress_no_vw)"
}

# ------------------------------------------------------------------ accounting
# ACCT_READ (a script, run in a netns with DEV PEERMAC...): "name value"
# lines: DEV's netdev statistics, the station counters of DEV's entry for
# each PEERMAC, and the IP/ICMP/TCP/UDP MIB of the netns
# shellcheck disable=SC2016
ACCT_READ='
	dev=$1 f= v= mac=
	shift
	for f in rx_packets tx_packets rx_bytes tx_bytes rx_dropped tx_dropped; do
		read -r v <"/sys/class/net/$dev/statistics/$f"
		echo "$dev.$f $v"
	done
	for mac in "$@"; do
		iw dev "$dev" station get "$mac" | awk -v p="$dev>$mac" "
			/rx packets:/ { print p \".rx_packets\", \$3 }
			/tx packets:/ { print p \".tx_packets\", \$3 }
			/tx failed:/ { print p \".tx_failed\", \$3 }
			/rx bytes:/ { print p \".rx_bytes\", \$3 }
			/tx bytes:/ { print p \".tx_bytes\", \$3 }"
	done
	awk "{ sub(\":\", \"\", \$1) }
		seen[\$1] { for (i = 2; i <= NF; i++) print \$1 \".\" h[\$1, i], \$i; next }
		{ seen[\$1] = 1; for (i = 2; i <= NF; i++) h[\$1, i] = \$i }" /proc/net/snmp'

# acct_snap FILE: counters of vw0 (AP; its entries for vw1 and vw2), vw1 and
# vw2 (their entries for the AP), and the MIBs of ns0 ns1 ns2, tagged by netns
acct_snap() {
	{
		stress_ns_sh ns0 "$ACCT_READ" vw0 "$(vw_mac 1)" "$(vw_mac 2)" | sed 's/^/ns0:/'
		stress_ns_sh ns1 "$ACCT_READ" vw1 "$(vw_mac 0)" | sed 's/^/ns1:/'
		stress_ns_sh ns2 "$ACCT_READ" vw2 "$(vw_mac 0)" | sed 's/^/ns2:/'
	} >"$1"
}

# acct_load BEFORE AFTER: D[name] = after - before
acct_load() {
	local k v
	declare -gA D=()
	declare -A before=()
	while read -r k v; do before[$k]=$v; done <"$1"
	while read -r k v; do D[$k]=$((v - ${before[$k]:-0})); done <"$2"
}

# Short names of the counters of a link, for the checks: S1 (vw1's entry for
# the AP), A1 and A2 (the AP's entries for vw1 and vw2), S2 (vw2's for the AP)
acct_names() {
	S1="ns1:vw1>$(vw_mac 0)" A1="ns0:vw0>$(vw_mac 1)" A2="ns0:vw0>$(vw_mac 2)" S2="ns2:vw2>$(vw_mac 0)"
}

# acct_eq WHAT A B: A and B (each a counter name of D, or a number) must be equal
ACCT_ERR=()
acct_eq() {
	local a=$2 b=$3
	[[ $a =~ ^-?[0-9]+$ ]] || a=${D[$2]:-missing}
	[[ $b =~ ^-?[0-9]+$ ]] || b=${D[$3]:-missing}
	if [ "$a" != "$b" ]; then
		if [[ $a$b == *missing* ]]; then
			ACCT_ERR+=("$1: $2 = $a, $3 = $b")
		else
			ACCT_ERR+=("$1: $2 +$a, $3 +$b (differ by $((a - b)))")
		fi
		echo "MISMATCH $1: $2 +$a, $3 +$b" >&2
	else
		echo "equal    $1: $2 = $3 = +$a" >&2
	fi
}

# acct_quiet N...: the namespaces nsN send nothing by themselves: no IPv6
# (router and neighbour solicitations, MLD), static ARP entries; checked
acct_quiet() {
	local n m
	for n in "$@"; do
		in_ns "ns$n" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
		for m in "$@"; do
			[ "$n" = "$m" ] && continue
			in_ns "ns$n" ip neigh replace "$(ip_of "$m")" lladdr "$(vw_mac "$m")" dev "vw$n" nud permanent ||
				fail "static ARP entry in ns$n"
		done
	done
	sleep 1
	acct_snap "$CASE_DIR/quiet0"
	sleep 1
	acct_snap "$CASE_DIR/quiet1"
	acct_load "$CASE_DIR/quiet0" "$CASE_DIR/quiet1"
	local k busy=
	for k in "${!D[@]}"; do
		[[ $k == *packets ]] && [ "${D[$k]}" != 0 ] && busy+=" $k+${D[$k]}"
	done
	[ -z "$busy" ] || fail "the BSS is not quiet without traffic:$busy"
}

# iperf_json FILE KEY SECTION: a number from an iperf3 JSON report: KEY of
# the object SECTION ("sum_sent", "sum_received") of "end", as an integer
# (mawk would print 2.7e+09 for a large one)
iperf_json() {
	awk -v key="\"$2\":" -v sec="\"$3\":" '
		index($0, "\"end\":") { inend = 1 }
		inend && index($0, sec) { insec = 1; next }
		insec && index($0, key) { v = $0; sub(/.*:[ \t]*/, "", v); sub(/,.*/, "", v); printf "%.0f\n", v; exit }
		insec && /}/ { insec = 0 }' "$1"
}

# acct_link_checks: the driver counters of the BSS must agree exactly, hop by
# hop, in both directions: sender netdev = its link = the AP's receive =
# the AP's relay = the receiver's link = the receiver's netdev; no drops
acct_link_checks() {
	local dir from to fs ts fa ta
	for dir in "1 2" "2 1"; do
		read -r from to <<<"$dir"
		fs=S$from ts=S$to fa=A$from ta=A$to
		for unit in packets bytes; do
			acct_eq "vw$from netdev tx = its link to the AP tx ($unit)" "ns$from:vw$from.tx_$unit" "${!fs}.tx_$unit"
			acct_eq "vw$from link tx = AP's link from vw$from rx ($unit)" "${!fs}.tx_$unit" "${!fa}.rx_$unit"
			acct_eq "AP relay in (from vw$from) = relay out (to vw$to) ($unit)" "${!fa}.rx_$unit" "${!ta}.tx_$unit"
			acct_eq "AP relay out = vw$to link rx ($unit)" "${!ta}.tx_$unit" "${!ts}.rx_$unit"
			acct_eq "vw$to link rx = vw$to netdev rx ($unit)" "${!ts}.rx_$unit" "ns$to:vw$to.rx_$unit"
		done
		acct_eq "vw$from tx failed (its link)" "${!fs}.tx_failed" 0
		acct_eq "AP tx failed to vw$to" "${!ta}.tx_failed" 0
		acct_eq "vw$from netdev tx_dropped" "ns$from:vw$from.tx_dropped" 0
		acct_eq "vw$to netdev rx_dropped" "ns$to:vw$to.rx_dropped" 0
	done
	acct_eq "AP netdev tx_dropped" "ns0:vw0.tx_dropped" 0
}

# Nothing lost: a UDP stream at a fixed rate (4 Mbit/s) vw1 -> AP -> vw2 for
# STREAM_SECS (ci 20 s, full 60 s), then TCP vw2 -> AP -> vw1 for TCP_SECS.
# With the BSS otherwise silent, the counters of sender, AP and receiver
# must agree exactly (acct_link_checks), the sender's stack must have handed
# the driver exactly what its MIB says it sent, the receiver's stack must
# have got exactly what the receiver's driver passed up, every UDP datagram
# sent must have reached the receiver's UDP, and every datagram iperf3 did
# not receive must be a UDP receive error (the receiver's socket buffer was
# full: iperf3 under emulation is slow) or left unread when it closed.
t_stress_accounting() {
	local secs tsecs rate len sent recv lost ip_out udp_up c_out c_in unread pkts
	need iperf3 hostapd wpa_supplicant
	secs=$(stress_knob STREAM_SECS 20 60)
	tsecs=$(stress_knob TCP_SECS 5 30)
	rate=4M len=1000
	stress_infra
	acct_quiet 0 1 2
	acct_names
	# --- UDP, fixed rate
	bg srv ip netns exec ns2 iperf3 -s -1 -J
	wait_for 10 eval "ip netns exec ns2 ss -ltn | grep -q ':5201 '" || fail "iperf3 server"
	acct_snap "$CASE_DIR/udp0"
	in_ns ns1 iperf3 -c "$(ip_of 2)" -u -b "$rate" -l "$len" -t "$secs" -J >"$CASE_DIR/udp-client.json" 2>&1 ||
		fail "iperf3 UDP client: $(grep -m1 error "$CASE_DIR/udp-client.json")"
	wait "$(bg_pid srv)"
	sleep 1
	acct_snap "$CASE_DIR/udp1"
	acct_load "$CASE_DIR/udp0" "$CASE_DIR/udp1"
	sent=$(iperf_json "$CASE_DIR/udp-client.json" packets sum_sent)
	recv=$(( $(iperf_json "$CASE_DIR/udp-client.json" bytes sum_received) / len ))
	lost=$(iperf_json "$CASE_DIR/udp-client.json" lost_packets sum_received)
	info "UDP $rate for $secs s: iperf3 sent $sent, received $recv, lost $lost"
	[ "${sent:-0}" -gt $((secs * 100)) ] || fail "iperf3 sent only ${sent:-0} datagrams"
	ACCT_ERR=()
	acct_link_checks
	# the sender's stack handed the driver what its MIB counts as sent
	# (UDP datagrams, TCP segments of iperf3's control connection, ICMP)
	ip_out=$(( ${D[ns1:Udp.OutDatagrams]:-0} + ${D[ns1:Tcp.OutSegs]:-0} + ${D[ns1:Tcp.RetransSegs]:-0} + ${D[ns1:Icmp.OutMsgs]:-0} ))
	acct_eq "ns1 stack out (UDP+TCP+ICMP) = vw1 netdev tx + tx_dropped" "$ip_out" "$(( ${D[ns1:vw1.tx_packets]:-0} + ${D[ns1:vw1.tx_dropped]:-0} ))"
	# the receiver's stack got what its driver passed up, and dropped none of it
	acct_eq "vw2 netdev rx = ns2 IP InReceives" "ns2:vw2.rx_packets" "ns2:Ip.InReceives"
	acct_eq "ns2 IP InReceives = InDelivers" "ns2:Ip.InReceives" "ns2:Ip.InDelivers"
	# every UDP datagram ns1 sent reached ns2's UDP
	udp_up=$(( ${D[ns2:Ip.InDelivers]:-0} - ${D[ns2:Tcp.InSegs]:-0} - ${D[ns2:Icmp.InMsgs]:-0} ))
	acct_eq "UDP datagrams ns1 sent = UDP datagrams ns2's IP delivered" "ns1:Udp.OutDatagrams" "$udp_up"
	# ... and iperf3 agrees: it sent all of them but its connect message(s),
	# read what UDP counts as read, and what it did not get (its loss report
	# plus the tail it never saw) are UDP receive errors, or datagrams still
	# queued when it closed its socket
	c_out=$(( ${D[ns1:Udp.OutDatagrams]:-0} - sent ))
	c_in=$(( ${D[ns2:Udp.InDatagrams]:-0} - recv ))
	info "UDP outside the stream (iperf3's connect messages): sent $c_out, read $c_in"
	{ [ "$c_out" -ge 1 ] && [ "$c_out" -le 4 ]; } || ACCT_ERR+=("ns1 sent $c_out UDP datagrams more than iperf3 counts")
	acct_eq "UDP datagrams outside the stream: sent = read" "$c_out" "$c_in"
	unread=$(( udp_up - ${D[ns2:Udp.InDatagrams]:-0} - ${D[ns2:Udp.InErrors]:-0} - ${D[ns2:Udp.NoPorts]:-0} ))
	[ "$unread" -ge 0 ] || ACCT_ERR+=("ns2's UDP counts $((-unread)) datagrams more than its IP delivered")
	pkts=$(iperf_json "$CASE_DIR/udp-client.json" packets sum_received)
	info "iperf3: lost $lost, not seen at the end $((sent - pkts)); ns2 UDP receive buffer errors +${D[ns2:Udp.RcvbufErrors]:-0}, in errors +${D[ns2:Udp.InErrors]:-0}, left unread at close $unread"
	acct_eq "iperf3 lost + not seen = ns2 UDP receive errors + unread" "$((lost + sent - pkts))" "$(( ${D[ns2:Udp.InErrors]:-0} + unread ))"
	acct_eq "iperf3 sent = read + lost + not seen" "$sent" "$((recv + lost + sent - pkts))"
	[ ${#ACCT_ERR[@]} -eq 0 ] || fail "UDP stream: ${#ACCT_ERR[@]} mismatches, first: ${ACCT_ERR[0]}"
	# --- TCP, as fast as it goes, the other way
	bg srv1 ip netns exec ns1 iperf3 -s -1 -J
	wait_for 10 eval "ip netns exec ns1 ss -ltn | grep -q ':5201 '" || fail "iperf3 server in ns1"
	acct_snap "$CASE_DIR/tcp0"
	in_ns ns2 iperf3 -c "$(ip_of 1)" -t "$tsecs" -J >"$CASE_DIR/tcp-client.json" 2>&1 ||
		fail "iperf3 TCP client: $(grep -m1 error "$CASE_DIR/tcp-client.json")"
	wait "$(bg_pid srv1)"
	sleep 1
	acct_snap "$CASE_DIR/tcp1"
	acct_load "$CASE_DIR/tcp0" "$CASE_DIR/tcp1"
	sent=$(iperf_json "$CASE_DIR/tcp-client.json" bytes sum_sent)
	recv=$(iperf_json "$CASE_DIR/tcp-client.json" bytes sum_received)
	info "TCP for $tsecs s: iperf3 sent $sent bytes, received $recv; vw2 sent ${D[ns2:vw2.tx_packets]} frames, vw1 received ${D[ns1:vw1.rx_packets]}; ns2 retransmitted ${D[ns2:Tcp.RetransSegs]} segments"
	[ "${recv:-0}" -gt 1000000 ] || ACCT_ERR+=("TCP: iperf3 received only ${recv:-0} bytes")
	# the receiver got every byte its driver passed up, nothing more
	[ "${D[ns1:vw1.rx_bytes]:-0}" -gt "$recv" ] || ACCT_ERR+=("TCP: vw1 passed up ${D[ns1:vw1.rx_bytes]} bytes, iperf3 received $recv")
	acct_link_checks
	acct_eq "vw1 netdev rx = ns1 IP InReceives (TCP)" "ns1:vw1.rx_packets" "ns1:Ip.InReceives"
	[ ${#ACCT_ERR[@]} -eq 0 ] || fail "TCP stream: ${#ACCT_ERR[@]} mismatches, first: ${ACCT_ERR[0]}"
}

# Frames the driver cannot deliver must be counted as drops, once, where
# they are lost, and not as received; the sender's netdev and its link
# must agree.  (1) The receiver's MTU is below the frames relayed to it.
# (2) The receiver's stack backlog overflows (net.core.netdev_max_backlog
# lowered; a station's broadcast reaches two stations and the AP within one
# transmission).
t_stress_accounting_drops() {
	local n=200 backlog m
	need iw ping
	vw_load station=4
	stress_netns 0 1 2 3
	# an open AP without hostapd (vwifi's AP SME accepts every station): no
	# daemon sends anything
	ip netns exec ns0 sh -c "iw dev vw0 set type __ap && ip link set vw0 up &&
		iw dev vw0 ap start test 2437 100 1 head $(stress_beacon_head "$(vw_mac 0)" test)" || fail "AP start"
	for m in 1 2 3; do
		ip netns exec "ns$m" sh -c "ip link set vw$m up && iw dev vw$m connect test 2437 $(vw_mac 0)" || fail "vw$m connect"
	done
	expect_ping 1 2
	acct_quiet 0 1 2 3
	acct_names
	ACCT_ERR=()
	# (1) vw2's MTU 1000: 1200-byte datagrams relayed to it cannot be delivered
	in_ns ns2 ip link set vw2 mtu 1000 || fail "mtu"
	acct_snap "$CASE_DIR/mtu0"
	# shellcheck disable=SC2016
	stress_ns_sh ns1 'for ((i = 0; i < $1; i++)); do printf "%1200s" x >"/dev/udp/$2/9"; done' "$n" "$(ip_of 2)"
	sleep 1
	acct_snap "$CASE_DIR/mtu1"
	acct_load "$CASE_DIR/mtu0" "$CASE_DIR/mtu1"
	acct_eq "vw1 sent $n frames (netdev tx + tx_dropped)" "$(( ${D[ns1:vw1.tx_packets]:-0} + ${D[ns1:vw1.tx_dropped]:-0} ))" "$n"
	acct_eq "the AP received them from vw1" "$A1.rx_packets" "$n"
	acct_eq "vw1 netdev tx = its link tx (the frames reached the AP)" "ns1:vw1.tx_packets" "$S1.tx_packets"
	acct_eq "vw1's link tx failed (the hop vw1 -> AP did not fail)" "$S1.tx_failed" 0
	acct_eq "vw1 netdev tx_dropped (vw1 dropped nothing)" "ns1:vw1.tx_dropped" 0
	acct_eq "vw2 received none of them (netdev)" "ns2:vw2.rx_packets" 0
	acct_eq "vw2 received none of them (its link)" "$S2.rx_packets" 0
	acct_eq "vw2 netdev rx_dropped counts each undeliverable frame once" "ns2:vw2.rx_dropped" "$n"
	info "drops counted: vw2 rx_dropped +${D[ns2:vw2.rx_dropped]}, AP's link to vw2 tx failed +${D[$A2.tx_failed]} (tx packets +${D[$A2.tx_packets]}), AP tx_dropped +${D[ns0:vw0.tx_dropped]}, vw1's link tx failed +${D[$S1.tx_failed]}, vw1 tx_dropped +${D[ns1:vw1.tx_dropped]}"
	in_ns ns2 ip link set vw2 mtu 1500
	# (2) backlog of 1: of the three copies of each broadcast (vw2, vw3, the
	# AP's own stack) the third cannot be queued
	read -r backlog </proc/sys/net/core/netdev_max_backlog
	trap 'echo '"$backlog"' >/proc/sys/net/core/netdev_max_backlog' EXIT
	trap 'exit 1' TERM
	acct_snap "$CASE_DIR/bl0"
	echo 1 >/proc/sys/net/core/netdev_max_backlog
	in_ns ns1 ping -b -c 50 -i 0.02 -W 1 -q 10.0.0.255 >/dev/null 2>&1
	echo "$backlog" >/proc/sys/net/core/netdev_max_backlog
	sleep 1
	acct_snap "$CASE_DIR/bl1"
	acct_load "$CASE_DIR/bl0" "$CASE_DIR/bl1"
	for m in 0 2; do
		acct_eq "vw$m netdev rx = frames its IP stack received" "ns$m:vw$m.rx_packets" "ns$m:Ip.InReceives"
	done
	info "backlog: vw0 rx +${D[ns0:vw0.rx_packets]} (IP got +${D[ns0:Ip.InReceives]}, rx_dropped +${D[ns0:vw0.rx_dropped]}), vw2 rx +${D[ns2:vw2.rx_packets]} (IP got +${D[ns2:Ip.InReceives]}, rx_dropped +${D[ns2:vw2.rx_dropped]})"
	[ ${#ACCT_ERR[@]} -eq 0 ] || fail "${#ACCT_ERR[@]} accounting mismatches, first: ${ACCT_ERR[0]}"
}
