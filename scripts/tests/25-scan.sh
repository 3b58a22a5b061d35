# shellcheck shell=bash
# Scanning: what a station sees of APs on the medium.
. "$VWIFI_REPO/scripts/tests/wifi.sh"

scan_of() { iw_scan "ns$1" "vw$1" "${@:2}"; }

# The AP appears with its BSSID, SSID, channel, RSN element, TSF and signal
t_scan_sees_ap() {
	local out tsf t0 t1
	vw_load station=2
	vw_netns 0 1
	start_ap 0 wpa2 beacon_int=200
	in_ns ns1 ip link set vw1 up
	t0=$(awk '{ printf "%d", $1 * 1000000 }' /proc/uptime)
	out=$(scan_of 1) || fail "scan: $out"
	t1=$(awk '{ printf "%d", $1 * 1000000 }' /proc/uptime)
	grep -qi "BSS $(vw_mac 0)" <<<"$out" || fail "AP not in scan: $(head -c 300 <<<"$out")"
	grep -q 'SSID: test' <<<"$out" || fail "no SSID test"
	grep -q 'freq: 2437' <<<"$out" || fail "wrong frequency"
	grep -q 'RSN:' <<<"$out" || fail "no RSN element from the beacon"
	grep -q 'beacon interval: 200 TUs' <<<"$out" || fail "beacon interval not 200"
	grep -q 'capability: ESS Privacy' <<<"$out" || fail "capability: $(grep capability <<<"$out")"
	grep -Eq 'signal: -[0-9.]+ dBm' <<<"$out" || fail "no signal"
	# TSF counts microseconds since boot: within 0.5 s of the uptime at the
	# time of the scan
	tsf=$(awk '/TSF:/ { print $2; exit }' <<<"$out")
	[ -n "$tsf" ] || fail "no TSF"
	{ [ "$tsf" -gt $((t0 - 500000)) ] && [ "$tsf" -lt $((t1 + 500000)) ]; } ||
		fail "TSF $tsf us outside the scan's uptime window $t0..$t1 us"
	# a station does not appear as a BSS, nor does the scanner itself
	[ "$(grep -c '^BSS' <<<"$out")" -eq 1 ] || fail "scan lists $(grep -c '^BSS' <<<"$out") BSSs"
}

# An active scan learns of the AP from its probe response, a passive one from
# its beacon (iw names the frame the entry's elements came from)
t_scan_probe_resp_or_beacon() {
	local out resp='Information elements from Probe Response frame'
	vw_load station=2
	vw_netns 0 1
	start_ap 0 wpa2
	in_ns ns1 ip link set vw1 up
	out=$(scan_of 1 flush passive) || fail "passive scan: $out"
	grep -qi "BSS $(vw_mac 0)" <<<"$out" || fail "AP not in a passive scan"
	grep -q "$resp" <<<"$out" && fail "a passive scan reports a probe response"
	grep -q 'SSID: test' <<<"$out" || fail "no SSID from the beacon"
	wait_for 20 scan_has_probe_resp 1 flush ||
		fail "an active scan reports no probe response: $(head -c 300 "$CASE_DIR/scan.out")"
	grep -q 'RSN:' "$CASE_DIR/scan.out" || fail "no RSN element in the probe response"
}

# hostapd_events N FILE: attach to hostapd's control socket of vwN asking for
# probe request events too (hostapd_cli's plain ATTACH gets none), and write
# each event to FILE until killed (a Unix datagram client in perl; run it
# with bg, whose subshell it replaces)
hostapd_events() {
	local sock
	sock="$(ctrl_dir hostapd)/vw$1"
	# shellcheck disable=SC2016 # perl code
	exec perl -e '
		use strict; use Socket;
		my ($ctrl, $out) = @ARGV;
		my $me = "/tmp/vwt-events-$$";
		socket(my $s, AF_UNIX, SOCK_DGRAM, 0) or die "socket: $!\n";
		unlink $me;
		bind($s, pack_sockaddr_un($me)) or die "bind: $!\n";
		connect($s, pack_sockaddr_un($ctrl)) or die "connect $ctrl: $!\n";
		send($s, "ATTACH probe_rx_events=1", 0) or die "send: $!\n";
		open(my $f, ">>", $out) or die "$out: $!\n";
		$f->autoflush(1);
		$SIG{TERM} = sub { unlink $me; exit 0 };
		while (defined(recv($s, my $buf, 4096, 0))) { print $f "$buf\n"; }' "$sock" "$2"
}

# probe_events: the RX-PROBE-REQUEST events hostapd reported so far
probe_events() { grep -c 'RX-PROBE-REQUEST' "$CASE_DIR/probe-events" 2>/dev/null || true; }

# probe_heard_from MAC: an active scan of vw1, then hostapd has reported a
# probe request from MAC with a signal in dBm
probe_heard_from() {
	scan_of 1 >/dev/null
	grep -Eq "RX-PROBE-REQUEST sa=$1 signal=-[0-9]+" "$CASE_DIR/probe-events" 2>/dev/null
}

# scan_has_probe_resp N ARGS...: a scan of vwN (ARGS) reports an entry whose
# elements came from a probe response. hostapd answers the probe requests:
# under load its answer may come after the scan ended (not heard, as on
# hardware), then the next scan is tried
scan_has_probe_resp() {
	scan_of "$@" >"$CASE_DIR/scan.out" 2>&1 &&
		grep -q 'Information elements from Probe Response frame' "$CASE_DIR/scan.out"
}

# tool_probe_reqs_sent: the status's count of probe requests sent
tool_probe_reqs_sent() { "$VWIFI_TOOL" | sed -n 's/^probe requests: sent \([0-9]*\),.*/\1/p'; }

# Probe requests are 802.11 frames on the air: hostapd receives the active
# scan's (its RX-PROBE-REQUEST event names the station and the signal) and
# answers with its own probe response, which the scan reports; a passive
# scan sends none; the status counts requests and responses
t_scan_probe_frames() {
	local out n sent tool=
	need perl
	[ -n "${VWIFI_TOOL:-}" ] && [ -x "$VWIFI_TOOL" ] && tool=1
	vw_load station=2
	vw_netns 0 1
	start_ap 0 wpa2
	in_ns ns1 ip link set vw1 up
	bg probe-listener hostapd_events 0 "$CASE_DIR/probe-events"
	wait_for 30 probe_heard_from "$(vw_mac 1)" ||
		fail "hostapd reported no probe request from vw1: $(tail -n 3 "$CASE_DIR/probe-events" 2>/dev/null | tr '\n' '|') $(cat "$(bg_log probe-listener)")"
	wait_for 20 scan_has_probe_resp 1 flush ||
		fail "no probe response in the scans: $(head -c 300 "$CASE_DIR/scan.out")"
	n=$(probe_events)
	[ -z "$tool" ] || read -r sent <<<"$(tool_probe_reqs_sent)"
	out=$(scan_of 1 flush passive) || fail "passive scan: $out"
	# (cfg80211 keeps the entry's probe response elements from before: the
	# events and the counter tell whether this scan probed)
	grep -qi "BSS $(vw_mac 0)" <<<"$out" || fail "AP not in the passive scan"
	sleep 1
	[ "$(probe_events)" = "$n" ] || fail "a passive scan sent probe requests ($n, then $(probe_events) events)"
	bg_stop probe-listener
	[ -n "$tool" ] || return 0
	[ "$(tool_probe_reqs_sent)" = "$sent" ] || fail "a passive scan counted probe requests: $sent, then $(tool_probe_reqs_sent)"
	out=$("$VWIFI_TOOL" | grep '^probe requests:')
	info "$out"
	grep -Eq '^probe requests: sent [1-9][0-9]*, heard by APs and IBSS members [1-9][0-9]*; probe responses: sent [1-9][0-9]*, taken by scans [1-9][0-9]*$' <<<"$out" ||
		fail "vwifi-tool: $out"
}

# A scan limited to other frequencies does not see the AP
t_scan_freq_filter() {
	local out
	vw_load station=2
	vw_netns 0 1
	start_ap 0 wpa2
	in_ns ns1 ip link set vw1 up
	in_ns ns1 iw dev vw1 scan flush >/dev/null 2>&1
	out=$(scan_of 1 freq 2412 2462 flush) || fail "scan: $out"
	grep -qi "BSS $(vw_mac 0)" <<<"$out" && fail "AP on 2437 seen by a scan of 2412/2462"
	out=$(scan_of 1 freq 2437) || fail "scan: $out"
	grep -qi "BSS $(vw_mac 0)" <<<"$out" || fail "AP not seen on its own frequency"
}

# Hidden SSID: a plain scan shows no name, a probe for the SSID reveals it,
# and wpa_supplicant with scan_ssid=1 connects
t_scan_hidden_ssid() {
	local out
	vw_load station=2
	vw_netns 0 1
	start_ap 0 wpa2 ignore_broadcast_ssid=1
	in_ns ns1 ip link set vw1 up
	out=$(scan_of 1 flush) || fail "scan: $out"
	grep -qi "BSS $(vw_mac 0)" <<<"$out" || fail "hidden AP not in scan"
	grep -q 'SSID: test' <<<"$out" && fail "hidden SSID revealed by a passive scan"
	# hostapd answers the probe for its SSID: retried if its answer came late
	wait_for 20 eval "scan_of 1 ssid test | grep -q 'SSID: test'" || fail "probe for 'test' did not reveal it"
	in_ns ns1 ip link set vw1 down
	start_sta 1 'ssid="test"' 'psk="12345678"' 'scan_ssid=1'
	wait_sta 1
	expect_ping 1 0
}

# Scans on several interfaces at once; scan abort on interface down
t_scan_concurrent_and_abort() {
	local n pids=()
	vw_load station=5
	vw_netns 0 1 2 3 4
	start_ap 0 open
	for n in 1 2 3 4; do in_ns "ns$n" ip link set "vw$n" up; done
	for n in 1 2 3; do
		scan_of "$n" >"$CASE_DIR/scan$n" &
		pids+=($!)
	done
	for n in "${pids[@]}"; do wait "$n" || fail "a concurrent scan failed"; done
	for n in 1 2 3; do grep -qi "BSS $(vw_mac 0)" "$CASE_DIR/scan$n" || fail "concurrent scan on vw$n missed the AP"; done
	# trigger a scan and take the interface down while it runs
	for n in 1 2 3 4 5 6 7 8 9 10; do
		in_ns ns4 iw dev vw4 scan trigger >/dev/null 2>&1
		in_ns ns4 ip link set vw4 down
		in_ns ns4 ip link set vw4 up
	done
	out=$(scan_of 4) || fail "scan after aborts: $out"
	grep -qi "BSS $(vw_mac 0)" <<<"$out" || fail "scan after aborts missed the AP"
}
