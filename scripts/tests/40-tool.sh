# shellcheck shell=bash
# vwifi-tool, the vwifi generic netlink family and the denylist.
#
# Helpers of this file are prefixed tool_.  The README's infrastructure
# scenario (hostapd WPA2 AP on vw0 in ns0, wpa_supplicant stations vw1 and
# vw2 in ns1 and ns2, 10.0.0.1-3) is tool_infra.

# Kernel log lines that are not a problem here: the netlink core notes
# malformed attributes (ratelimited pr_warn) before refusing them; the
# clocksource watchdog complains when the TCG host is overloaded.
TOOL_DMESG_ALLOW_RE="bytes leftover after parsing attributes|netlink: '[^']*': attribute type [0-9]+ has an invalid length|clocksource: "

# shellcheck source=scripts/tests/wifi.sh
. "$VWIFI_REPO/scripts/tests/wifi.sh"

# valgrind under TCG is slow
# shellcheck disable=SC2034,SC2154 # CASE_TIMEOUT is an associative array of verify.sh
CASE_TIMEOUT[tool_bad_input]=480

# tool_need: skip unless vwifi-tool is built
tool_need() {
	{ [ -n "${VWIFI_TOOL:-}" ] && [ -x "$VWIFI_TOOL" ]; } || skip "vwifi-tool is not built (VWIFI_TOOL)"
}

# tool ARGS...: run vwifi-tool; output (stdout+stderr) in TOOL_OUT, status in TOOL_RC
tool() {
	TOOL_OUT=$("$VWIFI_TOOL" "$@" 2>&1)
	TOOL_RC=$?
	info "vwifi-tool $(cut -c1-100 <<<"$*") -> $TOOL_RC: $(head -c 600 <<<"$TOOL_OUT" | tr '\n' '|')"
	return 0
}

# tool_ok ARGS...: vwifi-tool must succeed
tool_ok() {
	tool "$@"
	[ "$TOOL_RC" = 0 ] || fail "vwifi-tool $*: exit $TOOL_RC: $TOOL_OUT"
}

# tool_err RC|any REGEX ARGS...: vwifi-tool must fail (with that status) and say REGEX
tool_err() {
	local want=$1 re=$2
	shift 2
	tool "$@"
	[ "$TOOL_RC" != 0 ] || fail "vwifi-tool $* succeeded: $TOOL_OUT"
	[ "$want" = any ] || [ "$TOOL_RC" = "$want" ] ||
		fail "vwifi-tool $*: exit $TOOL_RC, expected $want: $TOOL_OUT"
	grep -qE -- "$re" <<<"$TOOL_OUT" || fail "vwifi-tool $*: no /$re/ in: $TOOL_OUT"
}

# tool_says REGEX: the last vwifi-tool output matches
tool_says() {
	grep -qE -- "$1" <<<"$TOOL_OUT" || fail "expected /$1/ in vwifi-tool output: $TOOL_OUT"
}

# tool_clean_log: no kernel message of level warning or worse since the case began
tool_clean_log() {
	local w
	w=$(kernel_warnings | grep -Ev "$TOOL_DMESG_ALLOW_RE")
	[ -z "$w" ] || fail "kernel log: $(head -n1 <<<"$w")"
	w=$(dmesg_since_case | grep -i vwifi | grep -v "$VW_CASE_MARK" | grep -v 'vwifi-test:')
	[ -z "$w" ] || info "vwifi kernel messages: $(tr '\n' '|' <<<"$w")"
}

# tool_private_dir: a world-readable scratch dir outside the results tree
# (the unprivileged runs must reach their binaries); path in TOOL_DIR
tool_private_dir() {
	TOOL_DIR=$(mktemp -d /tmp/vwifi-tool.XXXXXX) || fail "mktemp"
	chmod 755 "$TOOL_DIR"
	cp "$VWIFI_TOOL" "$TOOL_DIR/vwifi-tool" && chmod 755 "$TOOL_DIR/vwifi-tool"
}

# tool_unpriv CMD...: run CMD as nobody, without capabilities
tool_unpriv() {
	setpriv --reuid=65534 --regid=65534 --clear-groups --inh-caps=-all \
		--bounding-set=-all -- "$@"
}

# tool_nlfuzz: path of the raw netlink test program (built if need be) in NLFUZZ
tool_nlfuzz() {
	local d
	for d in "$(dirname "$VWIFI_TOOL")" "$VWIFI_REPO/scripts"; do
		if [ -x "$d/nlfuzz" ]; then
			cp "$d/nlfuzz" "$TOOL_DIR/nlfuzz" && chmod 755 "$TOOL_DIR/nlfuzz"
			NLFUZZ=$TOOL_DIR/nlfuzz
			return 0
		fi
	done
	need gcc
	gcc -Wall -Wextra -Werror -O2 -o "$TOOL_DIR/nlfuzz" "$VWIFI_REPO/scripts/nlfuzz.c" \
		>"$CASE_DIR/nlfuzz-build.log" 2>&1 ||
		fail "cannot build nlfuzz: $(head -n3 "$CASE_DIR/nlfuzz-build.log")"
	chmod 755 "$TOOL_DIR/nlfuzz"
	NLFUZZ=$TOOL_DIR/nlfuzz
}

# tool_list: run `vwifi-tool -l`; TOOL_N = the number of pairs it shows
tool_list() {
	tool_ok -l
	TOOL_N=$(grep -c ' denies ' <<<"$TOOL_OUT" || true)
}

# ---------------------------------------------------------- infrastructure

# tool_infra_ap: vwifi with 3 interfaces, each in its own netns ns0-ns2 with
# 10.0.0.1-3/24, and hostapd (WPA2-PSK, channel 6, SSID test) on vw0
tool_infra_ap() {
	local i
	need hostapd wpa_supplicant iw ping
	vw_load station=3
	for i in 0 1 2; do
		move_to_ns "vw$i" "ns$i"
		in_ns "ns$i" ip addr add "10.0.0.$((i + 1))/24" dev "vw$i" || fail "address on vw$i"
	done
	cat >"$CASE_DIR/hostapd.conf" <<-EOF
		interface=vw0
		driver=nl80211
		channel=6
		ssid=test
		wpa=2
		wpa_passphrase=12345678
		wpa_key_mgmt=WPA-PSK
		wpa_pairwise=CCMP
	EOF
	cat >"$CASE_DIR/wpa_supplicant.conf" <<-EOF
		network={
			ssid="test"
			psk="12345678"
		}
	EOF
	bg hostapd ip netns exec ns0 hostapd "$CASE_DIR/hostapd.conf"
	wait_for 20 eval "ip netns exec ns0 iw dev vw0 info | grep -q 'type AP'" ||
		fail "hostapd did not start the AP: $(tail -n5 "$(bg_log hostapd)")"
}

# tool_sta N: wpa_supplicant on vwN in nsN
tool_sta() {
	bg "wpa$1" ip netns exec "ns$1" wpa_supplicant -i "vw$1" -c "$CASE_DIR/wpa_supplicant.conf"
}

# tool_connected N: vwN is associated and its port authorized (a ping passes)
tool_connected() {
	ip netns exec "ns$1" iw dev "vw$1" link 2>/dev/null | grep -q '^Connected'
}

tool_infra() {
	tool_infra_ap
	tool_sta 1
	tool_sta 2
	wait_for 40 tool_connected 1 || fail "vw1 did not connect: $(tail -n5 "$(bg_log wpa1)")"
	wait_for 40 tool_connected 2 || fail "vw2 did not connect: $(tail -n5 "$(bg_log wpa2)")"
}

# tool_ping NS ADDR: a few pings from NS to ADDR (retried for up to 20 s)
tool_ping() {
	wait_for 20 ip netns exec "$1" ping -c 1 -W 1 "$2"
}

# tool_no_ping NS ADDR: none of 4 pings passes
tool_no_ping() {
	! ip netns exec "$1" ping -c 4 -i 0.3 -W 1 "$2" >/dev/null 2>&1
}

# ---------------------------------------------------------- cases

t_tool_status_not_loaded() {
	tool_need
	! vw_loaded || vw_unload
	tool_ok
	[ "$TOOL_OUT" = "vwifi status : not loaded" ] || fail "unexpected status output: $TOOL_OUT"
	tool_err 1 'not loaded' -d vw2 -s vw1
	tool_says '^vwifi status : not loaded'
	tool_err 1 'not loaded' -c
	tool_err 1 'not loaded' -l
}

t_tool_status_loaded() {
	local i
	tool_need
	vw_load station=3
	tool_ok
	tool_says '^vwifi status : live$'
	tool_says '^radios: 3 \(at most 4096\)$'
	tool_says '^interfaces: 3$'
	for i in 0 1 2; do
		tool_says "^  vw$i +ifindex [0-9]+ +managed +vw_phy$i +this netns$"
	done
	tool_says '^denylist: 0 pairs'
	move_to_ns vw2 ns2
	tool_ok
	tool_says '^  vw2 +ifindex [0-9]+ +managed +vw_phy2 +netns ns2$'
	tool_ok --help
	tool_says '^Usage: vwifi-tool'
	tool_says '--list'
	tool_ok --version
	vw_unload
	tool_ok
	[ "$TOOL_OUT" = "vwifi status : not loaded" ] || fail "after rmmod: $TOOL_OUT"
	tool_clean_log
}

# The README's output for -d/-s and -c, -l, -r, duplicates; the denylist
# goes with the module
t_tool_list_delete() {
	tool_need
	vw_load station=4
	tool_ok -d vw2 -s vw1
	[ "$TOOL_OUT" = "$(printf '%s\n' 'vwifi status : live' 'denylist:' 'vw2 denys vw1' \
		'Configuring denylist for vwifi...' \
		'Message from vwifi: vwifi has received your denylist')" ] ||
		fail "output of -d vw2 -s vw1 differs from the README: $TOOL_OUT"
	tool_ok --dst vw3 --src vw1 -d vw0 -s vw3
	tool_list
	[ "$TOOL_N" = 3 ] || fail "3 pairs expected, -l shows $TOOL_N: $TOOL_OUT"
	tool_says '^  vw2 \(this netns\) denies vw1 \(this netns\)$'
	tool_says '^  vw0 \(this netns\) denies vw3 \(this netns\)$'
	tool_ok
	tool_says '^denylist: 3 pairs'
	tool_err 1 'already in the denylist' -d vw2 -s vw1
	tool_ok -r -d vw3 -s vw1 -l
	tool_says 'vw2 \(this netns\) denies vw1'
	! grep -q 'vw3 (this netns) denies vw1' <<<"$TOOL_OUT" || fail "pair vw3/vw1 still listed: $TOOL_OUT"
	tool_list
	[ "$TOOL_N" = 2 ] || fail "2 pairs expected after -r, -l shows $TOOL_N"
	tool_err 1 'not in the denylist' --remove --dst vw3 --src vw1
	tool_ok -c
	[ "$TOOL_OUT" = "$(printf '%s\n' 'vwifi status : live' 'Unset denylist for vwifi...' \
		'Configuring denylist for vwifi...' \
		'Message from vwifi: vwifi has received your denylist')" ] ||
		fail "output of -c differs from the README: $TOOL_OUT"
	tool_list
	[ "$TOOL_N" = 0 ] || fail "pairs left after -c: $TOOL_OUT"
	tool_ok -c 1
	tool_ok --clear=0 -l
	# Pairs go with their interfaces, and the denylist with the module
	tool_ok -d vw1 -s vw0 -d vw2 -s vw3
	vw_unload
	vw_load station=4
	tool_list
	[ "$TOOL_N" = 0 ] || fail "pairs survived a module reload: $TOOL_OUT"
	tool_clean_log
}

# Names resolve in the caller's netns first, then globally if unique
t_tool_netns_names() {
	tool_need
	vw_load station=3
	move_to_ns vw1 ns1
	move_to_ns vw2 ns2
	tool_ok -d vw2 -s vw1
	tool_list
	[ "$TOOL_N" = 1 ] || fail "pair across namespaces not listed: $TOOL_OUT"
	tool_says '^  vw2 \(netns ns2\) denies vw1 \(netns ns1\)$'
	# The same name in two namespaces: ambiguous from a third, local wins
	ip -n ns1 link set vw1 name vwdup || fail "rename vw1"
	ip -n ns2 link set vw2 name vwdup || fail "rename vw2"
	tool_err 1 'ambiguous' -d vwdup -s vw0
	ip netns exec ns1 "$VWIFI_TOOL" -d vwdup -s vw0 >/dev/null 2>&1 ||
		fail "vwdup from ns1 (local name) refused"
	tool_ok -l
	tool_says '^  vwdup \(netns ns1\) denies vw0 \(this netns\)$'
	tool_clean_log
}

t_tool_bad_input() {
	local long
	tool_need
	vw_load station=2
	tool_err 1 'no vwifi interface' -d nosuch0 -s vw0
	tool_says 'destination nosuch0'
	tool_err 1 'no vwifi interface' -d vw0 -s nosuch0
	tool_says 'source nosuch0'
	tool_err 1 'not a vwifi interface' -d lo -s vw0
	tool_err 1 'itself' -d vw0 -s vw0
	long=$(printf 'x%.0s' $(seq 3000))
	tool_err 2 'too long' -d "$long" -s vw0
	tool_err 2 'too long' -d vw0 -s "$long"
	tool_err 2 'needs an argument' -d
	tool_err 2 'needs an argument' --src
	tool_err 2 'go in pairs' -d vw0
	tool_err 2 'unknown option' --frobnicate
	tool_err 2 'unknown command' extra
	tool_err 2 'unexpected argument' -l extra
	tool_err 2 'needs pairs' -r
	# Without CAP_NET_ADMIN: status and lists work, changes do not
	tool_private_dir
	tool_unpriv "$TOOL_DIR/vwifi-tool" >"$CASE_DIR/unpriv.out" 2>&1 ||
		fail "status as nobody: $(cat "$CASE_DIR/unpriv.out")"
	grep -q '^vwifi status : live' "$CASE_DIR/unpriv.out" || fail "status as nobody: $(cat "$CASE_DIR/unpriv.out")"
	tool_unpriv "$TOOL_DIR/vwifi-tool" -l >"$CASE_DIR/unpriv.out" 2>&1 ||
		fail "list as nobody: $(cat "$CASE_DIR/unpriv.out")"
	local cmd
	for cmd in "-d vw1 -s vw0" "-c" "-r -d vw1 -s vw0"; do
		# shellcheck disable=SC2086
		if tool_unpriv "$TOOL_DIR/vwifi-tool" $cmd >"$CASE_DIR/unpriv.out" 2>&1; then
			fail "vwifi-tool $cmd as nobody succeeded: $(cat "$CASE_DIR/unpriv.out")"
		fi
		grep -q 'Operation not permitted.*CAP_NET_ADMIN' "$CASE_DIR/unpriv.out" ||
			fail "vwifi-tool $cmd as nobody: $(cat "$CASE_DIR/unpriv.out")"
		info "as nobody: vwifi-tool $cmd: $(tr '\n' '|' <"$CASE_DIR/unpriv.out")"
	done
	if command -v valgrind >/dev/null 2>&1; then
		local args
		for args in "" "-l" "-d vw1 -s vw0" "-d vw1 -s vw0" "-d nosuch0 -s vw0" "-c" "-r -d vw0 -s vw1" \
			"help" "radio del nosuch0" "radio add fz9" "radio del fz9"; do
			# shellcheck disable=SC2086
			valgrind -q --leak-check=full --errors-for-leak-kinds=all --error-exitcode=99 \
				"$VWIFI_TOOL" $args >"$CASE_DIR/valgrind.out" 2>&1
			[ $? != 99 ] || fail "valgrind vwifi-tool $args: $(head -n 20 "$CASE_DIR/valgrind.out")"
		done
	else
		info "valgrind not installed: skipped the valgrind runs"
	fi
	tool_clean_log
}

# Raw malformed requests (scripts/nlfuzz.c), as root and without CAP_NET_ADMIN
t_tool_raw_netlink() {
	tool_need
	vw_load station=2
	tool_private_dir
	tool_nlfuzz
	"$NLFUZZ" --vif vw0 --vif vw1 >"$CASE_DIR/nlfuzz.out" 2>&1
	local rc=$?
	cat "$CASE_DIR/nlfuzz.out" >&2
	[ $rc = 0 ] || fail "nlfuzz: $(grep -m1 '^not ok' "$CASE_DIR/nlfuzz.out" || tail -n1 "$CASE_DIR/nlfuzz.out")"
	tool_unpriv "$NLFUZZ" --unpriv >"$CASE_DIR/nlfuzz-unpriv.out" 2>&1
	rc=$?
	cat "$CASE_DIR/nlfuzz-unpriv.out" >&2
	[ $rc = 0 ] || fail "nlfuzz --unpriv: $(grep -m1 '^not ok' "$CASE_DIR/nlfuzz-unpriv.out" || tail -n1 "$CASE_DIR/nlfuzz-unpriv.out")"
	vw_loaded || fail "vwifi gone after nlfuzz"
	tool_ok
	tool_says '^denylist: 0 pairs'
	tool_clean_log
}

# The README's scenario: ping vw1 -> vw2 passes, not after -d vw2 -s vw1,
# again after -c.  Then the denylist churns while traffic flows.
t_tool_deny_ping() {
	tool_need
	tool_infra
	tool_ping ns1 10.0.0.3 || fail "ping vw1 -> vw2 before any denylist"
	tool_ping ns1 10.0.0.1 || fail "ping vw1 -> vw0 before any denylist"
	tool_ok -d vw2 -s vw1
	tool_no_ping ns1 10.0.0.3 || fail "ping vw1 -> vw2 passes although vw2 denies vw1"
	tool_ping ns1 10.0.0.1 || fail "ping vw1 -> vw0 fails, only vw2 denies vw1"
	tool_ping ns2 10.0.0.1 || fail "ping vw2 -> vw0 fails"
	tool_ok -c
	tool_ping ns1 10.0.0.3 || fail "ping vw1 -> vw2 fails after -c"
	# Deny the AP: the station's frames no longer reach it
	tool_ok -d vw0 -s vw1
	tool_no_ping ns1 10.0.0.1 || fail "ping vw1 -> vw0 passes although vw0 denies vw1"
	tool_ok -r -d vw0 -s vw1
	tool_ping ns1 10.0.0.1 || fail "ping vw1 -> vw0 fails after -r"

	# Churn the denylist under traffic from all three
	tool_private_dir
	tool_nlfuzz
	bg flood1 ip netns exec ns1 ping -q -i 0.002 -s 1000 10.0.0.3
	bg flood2 ip netns exec ns2 ping -q -i 0.002 -s 1000 10.0.0.2
	bg flood0 ip netns exec ns0 ping -q -i 0.002 -b 10.0.0.255
	"$NLFUZZ" --churn 300 vw2 vw1 vw0 >"$CASE_DIR/churn.out" 2>&1 ||
		fail "denylist churn: $(tail -n2 "$CASE_DIR/churn.out")"
	bg_stop flood1
	bg_stop flood2
	bg_stop flood0
	tool_ping ns1 10.0.0.3 || fail "ping vw1 -> vw2 fails after the churn"
	{ tool_connected 1 && tool_connected 2; } || fail "a station lost its association"
	tool_clean_log
}

# A station the AP denies cannot associate; the other one can
t_tool_deny_assoc() {
	tool_need
	tool_infra_ap
	tool_ok -d vw0 -s vw1
	tool_sta 1
	tool_sta 2
	wait_for 40 tool_connected 2 || fail "vw2 did not connect: $(tail -n5 "$(bg_log wpa2)")"
	sleep 3
	! tool_connected 1 || fail "vw1 associated with an AP that denies it"
	# The AP never heard its authentication: tried 3 times, then timed out
	wait_for 20 grep -q 'CTRL-EVENT-ASSOC-REJECT .*timeout=auth' "$(bg_log wpa1)" ||
		fail "wpa_supplicant saw no authentication timeout: $(grep -E 'ASSOC|auth' "$(bg_log wpa1)" | tail -n 3 | tr '\n' '|')"
	tool_ok -c
	wait_for 60 tool_connected 1 || fail "vw1 did not connect after -c: $(tail -n5 "$(bg_log wpa1)")"
	tool_ping ns1 10.0.0.1 || fail "ping vw1 -> vw0 after -c"
	tool_clean_log
}

# tool_beacon_counts: the status's beacons to local stations and IBSS members, "SENT HEARD MISSED"
tool_beacon_counts() {
	"$VWIFI_TOOL" | sed -n 's/^beacons to local stations and IBSS members: sent \([0-9]*\), heard \([0-9]*\), missed \([0-9]*\); taken by scans [0-9]*$/\1 \2 \3/p'
}

# tool_scan_beacon_counts: the status's beacons sent and taken by scans, "SENT TAKEN"
tool_scan_beacon_counts() {
	"$VWIFI_TOOL" | sed -n 's/^beacons to local stations and IBSS members: sent \([0-9]*\), .*; taken by scans \([0-9]*\)$/\1 \2/p'
}

# A scan reports the beacons it heard: an AP that nobody listens to sends
# none until a scan on its channel listens; vw1's passive scan takes them
# at the signal a link rule sets; vw2, which drops vw0's frames, lists no
# BSS, though the AP beaconed for its scan too; the status counts both
t_tool_scan_beacons() {
	local out s1 k1 s2 k2 s3 k3
	tool_need
	vw_load station=3
	vw_netns 0 1 2
	start_ap 0 open
	in_ns ns1 ip link set vw1 up
	in_ns ns2 ip link set vw2 up
	tool_ok link set vw0 vw1 signal -67
	tool_ok -d vw2 -s vw0
	sleep 0.5
	read -r s1 k1 <<<"$(tool_scan_beacon_counts)"
	sleep 1
	read -r s2 k2 <<<"$(tool_scan_beacon_counts)"
	{ [ -n "$s1" ] && [ "$s1" = "$s2" ]; } || fail "the AP beaconed with nobody listening: sent $s1, then $s2"
	out=$(iw_scan ns1 vw1 flush passive) || fail "passive scan of vw1: $out"
	grep -qi "BSS $(vw_mac 0)" <<<"$out" || fail "the AP is not in vw1's passive scan"
	grep -q 'signal: -67.00 dBm' <<<"$out" || fail "vw1 heard the AP at $(grep 'signal:' <<<"$out"), not -67 dBm"
	read -r s3 k3 <<<"$(tool_scan_beacon_counts)"
	info "vw1's scan: the AP sent $((s3 - s2)) beacons, scans took $((k3 - k2))"
	{ [ $((k3 - k2)) -ge 1 ] && [ $((k3 - k2)) -le $((s3 - s2)) ]; } ||
		fail "vw1's scan: the AP sent $((s3 - s2)) beacons, scans took $((k3 - k2))"
	out=$(iw_scan ns2 vw2 flush passive) || fail "passive scan of vw2: $out"
	! grep -q '^BSS' <<<"$out" || fail "vw2 drops vw0's frames, yet its scan lists $(grep '^BSS' <<<"$out" | tr '\n' '|')"
	read -r s1 k1 <<<"$(tool_scan_beacon_counts)"
	{ [ "$k1" = "$k3" ] && [ $((s1 - s3)) -ge 1 ]; } ||
		fail "vw2's scan: the AP sent $((s1 - s3)) beacons, scans took $((k1 - k3)) (none expected)"
	# it stops again once no scan listens
	sleep 0.5
	read -r s2 k2 <<<"$(tool_scan_beacon_counts)"
	sleep 1
	read -r s3 k3 <<<"$(tool_scan_beacon_counts)"
	[ "$s2" = "$s3" ] || fail "the AP beaconed after the scans: sent $s2, then $s3"
	tool_ok -c
	tool_ok link del vw0 vw1
	tool_clean_log
}

# tool_ap_alone: the AP vw0 lists no station
tool_ap_alone() { [ -z "$(ip netns exec ns0 iw dev vw0 station dump 2>/dev/null)" ]; }

# tool_beacon_field N FIELD: sta_beacon (wifi.sh) for vwN's AP vw0
tool_beacon_field() { sta_beacon "ns$1" "vw$1" "$(vw_mac 0)" "$2"; }

# Beacons on the air: an associated station hears its AP's at each beacon
# interval (100 TU), which iw shows as beacon rx and beacon signal avg, and
# the status counts; an AP no station listens to sends none
t_tool_beacons() {
	local b1 b2 t1 t2 most sig avg sent heard missed s1 s2
	tool_need
	tool_infra
	t1=$(vw_now_ms)
	b1=$(tool_beacon_field 1 rx:)
	sleep 2
	b2=$(tool_beacon_field 1 rx:)
	t2=$(vw_now_ms)
	info "vw1 heard $b1, then $b2 beacons $((t2 - t1)) ms later"
	{ [ -n "$b1" ] && [ -n "$b2" ]; } || fail "no beacon rx in iw station get: $(ip netns exec ns1 iw dev vw1 station get "$(vw_mac 0)" | tr '\n' '|')"
	# one per 102.4 ms at most; TCG may run the work late, never drop half
	most=$(((t2 - t1) * 10 / 1024 + 2))
	{ [ $((b2 - b1)) -ge $((most / 2)) ] && [ $((b2 - b1)) -le "$most" ]; } ||
		fail "beacon rx grew by $((b2 - b1)) in $((t2 - t1)) ms (at most $most)"
	sig=$(ip netns exec ns1 iw dev vw1 station get "$(vw_mac 0)" | awk '$1 == "signal:" { print $2 }')
	avg=$(tool_beacon_field 1 "signal avg:")
	{ [ -n "$sig" ] && [ "$avg" = "$sig" ]; } || fail "beacon signal avg $avg, signal $sig"
	b1=$(tool_beacon_field 1 rx:)
	b2=$(tool_beacon_field 2 rx:)
	read -r sent heard missed <<<"$(tool_beacon_counts)"
	info "beacons: sent $sent, heard $heard, missed $missed; vw1 heard $b1, vw2 $b2"
	# every beacon vw1 and vw2 heard, and only those (a few more came meanwhile)
	{ [ "$sent" -ge "$b1" ] && [ "$heard" -ge $((b1 + b2)) ] &&
		[ "$heard" -le $((b1 + b2 + 10)) ] && [ "$missed" = 0 ]; } ||
		fail "status: sent $sent, heard $heard, missed $missed (vw1 heard $b1, vw2 $b2)"
	bg_stop wpa1
	bg_stop wpa2
	wait_for 10 tool_ap_alone || fail "the AP still lists stations"
	sleep 0.5
	read -r s1 heard missed <<<"$(tool_beacon_counts)"
	sleep 1.5
	read -r s2 heard missed <<<"$(tool_beacon_counts)"
	[ "$s1" = "$s2" ] || fail "the AP beaconed with no station: sent $s1, then $s2"
	tool_clean_log
}

# tool_sme_counts: the status's authentication, association and deauthentication frames, "SENT RECEIVED INVALID"
tool_sme_counts() {
	"$VWIFI_TOOL" | sed -n 's/^authentication, association and deauthentication frames: sent \([0-9]*\), received \([0-9]*\); invalid management frames \([0-9]*\)$/\1 \2 \3/p'
}

# tool_sme_sent_at_least N: the status counts N authentication, association and deauthentication frames sent
tool_sme_sent_at_least() {
	local c
	c=$(tool_sme_counts)
	[ -n "$c" ] && [ "${c%% *}" -ge "$1" ]
}

# Authentication and association are 802.11 frames on the air, retried as
# hardware does: the station's first authentication goes unheard (the AP
# denies it), the list is cleared, and a retry associates it without a
# failed attempt; the counters show the lost frame and nothing invalid
t_tool_sme_retry() {
	local c sent rcvd inv
	tool_need
	tool_infra_ap
	[ "$(tool_sme_counts)" = "0 0 0" ] || fail "frames counted before any station: $(tool_sme_counts)"
	tool_ok -d vw0 -s vw1
	tool_sta 1
	wait_for 30 tool_sme_sent_at_least 1 || fail "no authentication frame sent: $("$VWIFI_TOOL" | tr '\n' '|')"
	tool_ok -c
	wait_for 30 tool_connected 1 || fail "vw1 did not connect: $(tail -n5 "$(bg_log wpa1)")"
	! grep -q 'CTRL-EVENT-ASSOC-REJECT' "$(bg_log wpa1)" ||
		fail "the retry did not save the attempt: $(grep 'ASSOC-REJECT' "$(bg_log wpa1)" | head -n 1)"
	tool_ping ns1 10.0.0.1 || fail "ping vw1 -> vw0"
	c=$(tool_sme_counts)
	read -r sent rcvd inv <<<"$c"
	info "authentication, association and deauthentication frames: sent $sent, received $rcvd, invalid $inv"
	# authentication twice (or more), its answer, the request and the response
	[ "$sent" -ge 5 ] || fail "only $sent frames sent"
	[ "$rcvd" -lt "$sent" ] || fail "every one of $sent frames was received, the first should have been lost"
	[ "$inv" = 0 ] || fail "$inv management frames counted invalid"
	tool_clean_log
}

# iw_connected N: vwN is associated (iw link)
iw_connected() { in_ns "ns$1" iw dev "vw$1" link | grep -q '^Connected'; }

# iw_join_ap1 WHEN: vw1 connects with iw to the open AP "test" of vw0 and
# hostapd lists it (WHEN names the attempt in a failure)
iw_join_ap1() {
	in_ns ns1 iw dev vw1 connect test || fail "iw connect ($1)"
	wait_for 10 iw_connected 1 || fail "vw1 did not connect ($1)"
	wait_for 5 eval "ap_cli 0 all_sta | grep -qi $(vw_mac 1)" || fail "hostapd does not know vw1 ($1)"
}

# tool_sme_delta BEFORE: "SENT RECEIVED INVALID" since BEFORE (tool_sme_counts)
tool_sme_delta() {
	local s0 r0 i0 s1 r1 i1
	read -r s0 r0 i0 <<<"$1"
	read -r s1 r1 i1 <<<"$(tool_sme_counts)"
	echo "$((s1 - s0)) $((r1 - r0)) $((i1 - i0))"
}

# Departures are deauthentication frames on the air, one each way, sent and
# received once: hostapd deleting the station (iw on the station sees the
# disconnect), the station leaving (hostapd sees it go). An AP that no
# longer hears the station (a rule) drops it at once all the same: the
# frame is sent, not received
t_tool_deauth_frames() {
	local c d
	tool_need
	need hostapd_cli iw
	vw_load station=2
	vw_netns 0 1
	start_ap 0 open
	in_ns ns1 ip link set vw1 up
	iw_join_ap1 first
	c=$(tool_sme_counts)
	ap_cli 0 deauthenticate "$(vw_mac 1)" reason=5 | grep -qx OK || fail "hostapd_cli deauthenticate"
	wait_for 10 eval "! iw_connected 1" || fail "vw1 still connected after hostapd deauthenticated it"
	d=$(tool_sme_delta "$c")
	[ "$d" = "1 1 0" ] || fail "hostapd's deauthentication: sent, received, invalid changed by $d, not 1 1 0"
	iw_join_ap1 again
	c=$(tool_sme_counts)
	in_ns ns1 iw dev vw1 disconnect || fail "iw disconnect"
	wait_for 10 eval "! ap_cli 0 all_sta | grep -qi $(vw_mac 1)" || fail "hostapd still lists vw1"
	d=$(tool_sme_delta "$c")
	[ "$d" = "1 1 0" ] || fail "the station's deauthentication: sent, received, invalid changed by $d, not 1 1 0"
	iw_join_ap1 "a third time"
	tool_ok -d vw0 -s vw1
	c=$(tool_sme_counts)
	in_ns ns1 iw dev vw1 disconnect || fail "iw disconnect while the AP does not hear vw1"
	wait_for 10 eval "! ap_cli 0 all_sta | grep -qi $(vw_mac 1)" || fail "hostapd still lists vw1 it cannot hear"
	d=$(tool_sme_delta "$c")
	[ "$d" = "1 0 0" ] || fail "an unheard deauthentication: sent, received, invalid changed by $d, not 1 0 0"
	tool_ok -c
	tool_clean_log
}

# tool_ibss N: vwN (in nsN) joins the cell "denied" on 2412 with a fixed BSSID
tool_ibss() {
	in_ns "ns$1" ip link set "vw$1" down
	in_ns "ns$1" iw dev "vw$1" set type ibss || fail "vw$1: set type ibss"
	in_ns "ns$1" ip link set "vw$1" up
	in_ns "ns$1" iw dev "vw$1" ibss join denied 2412 fixed-freq 02:00:00:00:ce:11 ||
		fail "vw$1: ibss join"
}

# tool_lists A B: vwA lists vwB among its stations
tool_lists() { in_ns "ns$1" iw dev "vw$1" station dump | grep -qi "^Station $(vw_mac "$2")"; }

# Two IBSS members of a denied pair do not link (neither lists the other, no
# ping, in either direction) while a third member links with both; once the
# list is cleared, a new join links them
t_tool_deny_ibss() {
	local a b
	tool_need
	need iw ping
	vw_load station=3
	vw_netns 0 1 2
	tool_ok -d vw1 -s vw0
	for a in 0 1 2; do tool_ibss "$a"; done
	for a in 0 1; do
		b=$((1 - a))
		! tool_lists "$a" "$b" || fail "vw$a lists vw$b although vw1 denies vw0"
		tool_lists "$a" 2 || fail "vw$a does not list vw2"
		tool_lists 2 "$a" || fail "vw2 does not list vw$a"
		expect_ping "$a" 2
	done
	expect_no_ping 0 1
	expect_no_ping 1 0
	tool_ok -c
	in_ns ns1 iw dev vw1 ibss leave || fail "vw1: ibss leave"
	in_ns ns1 iw dev vw1 ibss join denied 2412 fixed-freq 02:00:00:00:ce:11 || fail "vw1: ibss join again"
	{ tool_lists 0 1 && tool_lists 1 0; } || fail "vw0 and vw1 not linked after -c and a new join"
	expect_ping 1 0
	tool_clean_log
}

# Radios at runtime: vwifi-tool radio add [NAME] / radio del PHY, in the
# caller's netns, with traffic; refused cleanly when wrong; rmmod with them
t_tool_radio_add_del() {
	local out phy ifc
	tool_need
	vw_load station=1
	tool_ok radio add
	[ "$TOOL_OUT" = "vw_phy1 vw1" ] || fail "radio add printed '$TOOL_OUT', not 'vw_phy1 vw1'"
	[ "$(phy_of vw1)" = vw_phy1 ] || fail "vw1 is on $(phy_of vw1)"
	[ "$(cat /sys/class/net/vw1/address)" = "$(vw_mac 1)" ] || fail "vw1 has $(cat /sys/class/net/vw1/address)"
	tool_ok radio add lab0
	[ "$TOOL_OUT" = "lab0 vw2" ] || fail "radio add lab0 printed '$TOOL_OUT'"
	iw phy lab0 info | grep -q 'new_interface' || fail "iw phy lab0 info"
	tool_err 1 'has this name' radio add lab0
	tool_says 'cannot add the radio lab0'
	tool_err 1 'no vwifi radio' radio del nosuch
	tool_err 2 'too long' radio add 12345678901234567890
	tool_err 2 'usage: vwifi-tool radio del PHY' radio del
	tool_err 2 'not a command' radio frob
	tool_ok
	tool_says '^radios: 3 \(at most 4096\)$'
	tool_says '^  vw2 +ifindex [0-9]+ +managed +lab0 +this netns$'
	# From a netns: the radio and its interface land there
	ip netns add nsr
	out=$(ip netns exec nsr "$VWIFI_TOOL" radio add 2>&1) || fail "radio add in nsr: $out"
	read -r phy ifc <<<"$out"
	# Interface names are per netns: nsr's first
	{ [ "$phy" = vw_phy3 ] && [ "$ifc" = vw0 ]; } || fail "radio add in nsr printed '$out'"
	in_ns nsr ip link show vw0 >/dev/null 2>&1 || fail "vw0 is not in nsr"
	[ "$(in_ns nsr cat /sys/class/net/vw0/address)" = "$(vw_mac 3)" ] ||
		fail "nsr's vw0 has $(in_ns nsr cat /sys/class/net/vw0/address), not $(vw_mac 3)"
	ip link show vw3 >/dev/null 2>&1 && fail "vw3 appeared in the initial netns"
	# A runtime radio's interface passes traffic like any
	move_to_ns vw0 ns0
	move_to_ns vw1 ns1
	in_ns ns0 ip addr add 10.0.0.1/24 dev vw0
	in_ns ns1 ip addr add 10.0.0.2/24 dev vw1
	start_ap 0 wpa2
	start_sta 1
	wait_sta 1
	expect_ping 1 0
	# Deleting the AP's radio disconnects the station, as a vanished AP does
	tool_ok radio del vw_phy0
	[ -z "$TOOL_OUT" ] || fail "radio del printed '$TOOL_OUT'"
	in_ns ns0 ip link show vw0 >/dev/null 2>&1 && fail "vw0 survived its radio"
	[ -e /sys/class/ieee80211/vw_phy0 ] && fail "vw_phy0 survived radio del"
	wait_for 15 eval "! sta_completed 1" || fail "vw1 still connected to a deleted AP"
	# The index and address come back for the next radio
	tool_ok radio add
	[ "$TOOL_OUT" = "vw_phy0 vw0" ] || fail "radio add after del printed '$TOOL_OUT'"
	[ "$(cat /sys/class/net/vw0/address)" = "$(vw_mac 0)" ] || fail "vw0 has $(cat /sys/class/net/vw0/address)"
	tool_ok radio del lab0
	# Without CAP_NET_ADMIN: refused
	tool_private_dir
	if tool_unpriv "$TOOL_DIR/vwifi-tool" radio add >"$CASE_DIR/unpriv.out" 2>&1; then
		fail "radio add as nobody succeeded: $(cat "$CASE_DIR/unpriv.out")"
	fi
	grep -q 'Operation not permitted' "$CASE_DIR/unpriv.out" || fail "radio add as nobody: $(cat "$CASE_DIR/unpriv.out")"
	# rmmod with runtime radios, one in a netns, one connected
	rmmod vwifi || fail "rmmod with runtime radios"
	[ -z "$(vw_phys)" ] || fail "wiphys left: $(vw_phys)"
	[ -z "$(ls /sys/class/ieee80211/)" ] || fail "wiphys left: $(ls /sys/class/ieee80211/)"
	tool_clean_log
}

# Beacon loss: a station that stops hearing its AP (vw1 denies vw0) loses it
# after a few beacon intervals, as hardware does: wpa_supplicant reports a
# locally generated disconnection (reason 4), hostapd sees the station go,
# the other station stays; once the pair is removed, vw1 associates again
t_tool_deny_beacon_loss() {
	local sta1 c sent heard missed
	tool_need
	tool_infra
	sta1=$(vw_mac 1)
	tool_ping ns1 10.0.0.1 || fail "ping vw1 -> vw0 before any denylist"
	read -r sent heard missed <<<"$(tool_beacon_counts)"
	[ "$missed" = 0 ] || fail "beacons missed before any denylist: $(tool_beacon_counts)"
	tool_ok -d vw1 -s vw0
	wait_for 5 grep -q 'CTRL-EVENT-DISCONNECTED .*reason=4 locally_generated=1' "$(bg_log wpa1)" ||
		fail "vw1 did not lose its AP: $(grep -E 'CTRL-EVENT' "$(bg_log wpa1)" | tail -n 2 | tr '\n' '|')"
	c=$(tool_beacon_counts)
	read -r sent heard missed <<<"$c"
	info "beacons: sent $sent, heard $heard, missed $missed"
	[ "$missed" = 7 ] || fail "vw1 left after $missed missed beacons, not 7"
	wait_for 5 eval "! ip netns exec ns0 iw dev vw0 station get $sta1 >/dev/null 2>&1" ||
		fail "the AP still lists vw1"
	grep -q "AP-STA-DISCONNECTED $sta1" "$(bg_log hostapd)" || fail "hostapd did not see vw1 leave"
	tool_ping ns2 10.0.0.1 || fail "vw2 lost the AP too"
	sleep 3
	! tool_connected 1 || fail "vw1 associated again with an AP it cannot hear"
	tool_ok -r -d vw1 -s vw0
	wait_for 60 tool_connected 1 || fail "vw1 did not associate again: $(tail -n3 "$(bg_log wpa1)" | tr '\n' '|')"
	tool_ping ns1 10.0.0.1 || fail "ping vw1 -> vw0 after the pair was removed"
	tool_clean_log
}

# tool_rtt_min FROM TO: the smallest of 4 ping round trips vwFROM -> vwTO, in ms
tool_rtt_min() {
	in_ns "ns$1" ping -c 4 -i 0.3 -W 3 "$(ip_of "$2")" 2>/dev/null |
		sed -n 's|^rtt min/avg/max/mdev = \([0-9.]*\)/.*|\1|p'
}

# tool_link_counts: "LOST DELAYED DROPPED" from the status's link rule line
tool_link_counts() {
	"$VWIFI_TOOL" | sed -n 's/^link rules: [0-9]*; data frames lost \([0-9]*\), delayed \([0-9]*\) (dropped while delayed \([0-9]*\))$/\1 \2 \3/p'
}

tool_link_dropped_some() { [ "$(tool_link_counts | cut -d' ' -f3)" -ge 1 ]; }

# Link rules (vwifi-tool link set/del/list): what one interface hears of
# another's data frames (delayed in order, lost) and at what signal; the
# rule acts in one direction (both: the two); frames waiting when the
# link goes are dropped and counted; rmmod with frames waiting
t_tool_link_rules() {
	local rtt lost delayed dropped sig out
	tool_need
	infra_up
	expect_ping 1 0
	rtt=$(tool_rtt_min 1 0)
	info "round trip without a rule: $rtt ms"
	# Delay: 150 ms each way
	tool_ok link set vw0 vw1 delay 150 both
	[ -z "$TOOL_OUT" ] || fail "link set printed '$TOOL_OUT'"
	rtt=$(tool_rtt_min 1 0)
	[ -n "$rtt" ] || fail "no ping passed with a 150 ms delay each way"
	awk -v r="$rtt" 'BEGIN { exit !(r >= 300) }' || fail "round trip $rtt ms with 150 ms each way"
	info "round trip with 150 ms each way: $rtt ms"
	tool_ok link list
	tool_says '^vw0 \(netns ns0\) -> vw1 \(netns ns1\): delay 150ms$'
	tool_says '^vw1 \(netns ns1\) -> vw0 \(netns ns0\): delay 150ms$'
	[ "$(wc -l <<<"$TOOL_OUT")" = 2 ] || fail "link list: $TOOL_OUT"
	read -r lost delayed dropped <<<"$(tool_link_counts)"
	{ [ "$lost" = 0 ] && [ "${delayed:-0}" -ge 8 ] && [ "$dropped" = 0 ]; } ||
		fail "counters after the delayed pings: lost $lost, delayed $delayed, dropped $dropped"
	tool_ok
	tool_says '^link rules: 2; '
	# The other station is not delayed: one direction per pair
	expect_ping 2 0
	# Values not given stay; signal: what vw1 reports of its AP, not the reverse
	tool_ok link set vw0 vw1 signal -67
	tool_ok link list
	tool_says '^vw0 \(netns ns0\) -> vw1 \(netns ns1\): delay 150ms signal -67dBm$'
	sig=$(in_ns ns1 iw dev vw1 link | sed -n 's/^[[:space:]]*signal: \(-[0-9]*\) dBm.*/\1/p')
	[ "$sig" = -67 ] || fail "vw1 hears its AP at '$sig' dBm, not -67 (iw dev vw1 link)"
	sig=$(in_ns ns0 iw dev vw0 station get "$(vw_mac 1)" | sed -n 's/^[[:space:]]*signal:[[:space:]]*\(-[0-9]*\).*/\1/p')
	{ [ -n "$sig" ] && [ "$sig" != -67 ]; } || fail "the AP hears vw1 at '$sig' dBm: the rule is vw0 -> vw1 only"
	# Loss: everything vw1 hears of its AP's data is lost, its beacons are not
	tool_ok link del vw0 vw1 both
	tool_ok link list
	[ -z "$TOOL_OUT" ] || fail "link list after del: $TOOL_OUT"
	tool_ok link set vw0 vw1 loss 100
	tool_no_ping ns1 10.0.0.1 || fail "vw1 reached its AP with 100% loss"
	read -r lost delayed dropped <<<"$(tool_link_counts)"
	[ "${lost:-0}" -ge 4 ] || fail "lost $lost frames, not the 4 echo replies at least"
	sleep 2
	sta_completed 1 || fail "vw1 lost its AP over data loss alone"
	tool_ok link set vw0 vw1 loss 0
	expect_ping 1 0
	# Bad input: clear errors, exit 1 from the kernel, 2 from the tool
	tool_ok link del vw0 vw1
	tool_err 1 'no link rule for this pair' link del vw0 vw1
	tool_says 'cannot delete the link rule vw0 -> vw1'
	tool_err 1 'no vwifi interface with this name' link set vw0 nosuch delay 1
	tool_err 2 'not a number from 0 to 100' link set vw0 vw1 loss 101
	tool_err 2 'nothing to set' link set vw0 vw1 both
	tool_err 2 'same interface' link set vw1 vw1 delay 1
	tool_private_dir
	if tool_unpriv "$TOOL_DIR/vwifi-tool" link set vw0 vw1 delay 1 >"$CASE_DIR/unpriv.out" 2>&1; then
		fail "link set as nobody succeeded: $(cat "$CASE_DIR/unpriv.out")"
	fi
	grep -q 'Operation not permitted' "$CASE_DIR/unpriv.out" || fail "link set as nobody: $(cat "$CASE_DIR/unpriv.out")"
	tool_unpriv "$TOOL_DIR/vwifi-tool" link list >"$CASE_DIR/unpriv.out" 2>&1 ||
		fail "link list as nobody: $(cat "$CASE_DIR/unpriv.out")"
	# Frames waiting when their link goes are dropped and counted
	tool_ok link set vw0 vw1 delay 5000
	in_ns ns1 ping -c 10 -i 0.1 -W 1 10.0.0.1 >/dev/null 2>&1
	out=$(in_ns ns0 iw dev vw0 station del "$(vw_mac 1)" 2>&1) || fail "iw station del: $out"
	wait_for 10 tool_link_dropped_some ||
		fail "no frame counted dropped while delayed: $(tool_link_counts)"
	# rmmod with frames waiting
	tool_ok link set vw0 vw2 delay 3000 jitter 500
	in_ns ns2 ping -c 5 -i 0.1 -W 1 10.0.0.1 >/dev/null 2>&1
	read -r lost delayed dropped <<<"$(tool_link_counts)"
	info "before rmmod: lost $lost, delayed $delayed, dropped $dropped"
	rmmod vwifi || fail "rmmod with frames waiting"
	tool_clean_log
}
