# shellcheck shell=bash
# iwd, which runs its own SME through nl80211 frame registrations: as an
# access point (NL80211_CMD_START_AP, authentication and association
# frames handed up to it and answered with NL80211_CMD_FRAME, stations
# added with NL80211_CMD_NEW_STATION, its own 4-way handshake), serving a
# wpa_supplicant station.

# shellcheck source=scripts/tests/wifi.sh
. "$VWIFI_REPO/scripts/tests/wifi.sh"

# iwd_bin: the daemon (Debian installs it in /usr/libexec)
iwd_bin() {
	local b
	for b in /usr/libexec/iwd /usr/lib/iwd/iwd; do
		[ -x "$b" ] && { echo "$b"; return 0; }
	done
	return 1
}

# iwd_up N: a system bus, then iwd on vwN only (in nsN), its state and
# configuration in the case dir; waits until iwctl lists vwN
iwd_up() {
	local n=$1 iwd etc=$CASE_DIR/iwd-etc state=$CASE_DIR/iwd-state
	iwd=$(iwd_bin) || skip "needs iwd"
	need dbus-daemon iwctl
	mkdir -p /run/dbus "$etc" "$state"
	# a bus of the case's own, without service activation: iwctl would
	# otherwise start a second iwd (in the wrong netns) before ours has
	# its name
	cat >"$CASE_DIR/dbus.conf" <<-CONF
	<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
	 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
	<busconfig>
	  <type>system</type>
	  <listen>unix:path=/run/dbus/system_bus_socket</listen>
	  <auth>EXTERNAL</auth>
	  <policy context="default">
	    <allow user="*"/>
	    <allow own="*"/>
	    <allow send_destination="*"/>
	    <allow receive_sender="*"/>
	  </policy>
	</busconfig>
	CONF
	rm -f /run/dbus/system_bus_socket
	bg dbus dbus-daemon --config-file="$CASE_DIR/dbus.conf" --nofork --nopidfile
	wait_for 10 test -S /run/dbus/system_bus_socket || fail "no system bus: $(tail -n 3 "$(bg_log dbus)")"
	# keep the interface vwifi made (iwd would delete and re-create it),
	# no DHCP (the case sets the addresses)
	cat >"$etc/main.conf" <<-CONF
	[General]
	EnableNetworkConfiguration=false
	UseDefaultInterface=true
	[DriverQuirks]
	DefaultInterface=*
	CONF
	in_ns "ns$n" ip link set "vw$n" up
	bg "iwd-vw$n" ip netns exec "ns$n" env CONFIGURATION_DIRECTORY="$etc" STATE_DIRECTORY="$state" \
		"$iwd" -d -i "vw$n"
	wait_for 20 eval "iwctl device list 2>/dev/null | grep -q 'vw$n'" ||
		fail "iwd does not list vw$n: $(grep -iE 'error|fail|vw' "$(bg_log "iwd-vw$n")" | tail -n 4 | tr '\n' '|')"
}

iwd_log() { bg_log "iwd-vw$1"; }

# An iwd access point (WPA2, channel of its choice) serves a wpa_supplicant
# station: association, iwd's 4-way handshake, the port opens, ping both
# ways; the AP lists the station authorized; the station leaves and the AP
# no longer lists it
t_iwd_ap() {
	local out
	need wpa_supplicant iw ping
	vw_load station=2
	vw_netns 0 1
	iwd_up 0
	out=$(iwctl device vw0 set-property Mode ap 2>&1) || fail "iwctl set-property Mode ap: $out"
	wait_for 10 eval "iwctl ap list 2>/dev/null | grep -q vw0" || fail "vw0 is not in AP mode: $(iwctl ap list 2>&1 | tr '\n' '|')"
	out=$(iwctl ap vw0 start test 12345678 2>&1) ||
		fail "iwctl ap start: $out: $(grep -iE 'error|fail|-[0-9]+' "$(iwd_log 0)" | tail -n 5 | tr '\n' '|')"
	wait_for 10 eval "iwctl ap vw0 show 2>/dev/null | grep -q 'Started *yes'" ||
		fail "the iwd AP did not start: $(iwctl ap vw0 show 2>&1 | tr '\n' '|')"
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
	# the station leaves: iwd hears its deauthentication and removes it
	sta_cli 1 disconnect >/dev/null
	wait_for 10 eval "! in_ns ns0 iw dev vw0 station dump | grep -q 'Station $(vw_mac 1)'" ||
		fail "the iwd AP still lists vw1 after it left"
	! grep -q 'STATION failed' "$(iwd_log 0)" ||
		fail "iwd: $(grep 'STATION failed' "$(iwd_log 0)" | head -n 1)"
}
