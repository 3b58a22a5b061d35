#!/bin/bash
# The README's infrastructure scenario, narrated: one WPA2 AP (hostapd) and two
# stations (wpa_supplicant), each in its own network namespace.
# Runs as root on a machine that can load vwifi (`make demo` boots one).
set -u
KO=${VWIFI_KO:-$(dirname "$0")/../vwifi.ko}
RUN=/run/vwifi-demo
mkdir -p "$RUN"

say() { printf '\n\033[1m==> %s\033[0m\n' "$*"; }
run() { printf '$ %s\n' "$*"; "$@"; }

say "Load vwifi with three interfaces, each on its own wiphy"
modprobe cfg80211 2>/dev/null
lsmod | grep -q '^vwifi' || run insmod "$KO" station=3 || exit 1
run iw dev

say "Move each wiphy (with its interface) into its own network namespace"
for n in 0 1 2; do
	ip netns add "ns$n" 2>/dev/null
	run iw phy "vw_phy$n" set netns name "ns$n"
	ip netns exec "ns$n" ip addr add "10.0.0.$((n + 1))/24" dev "vw$n"
	ip netns exec "ns$n" ip link set lo up
done

say "vw0 becomes a WPA2 access point with hostapd (ns0)"
cat >"$RUN/hostapd.conf" <<CONF
interface=vw0
driver=nl80211
ctrl_interface=$RUN/hostapd
hw_mode=g
channel=6
ssid=test
wpa=2
wpa_passphrase=12345678
wpa_key_mgmt=WPA-PSK
wpa_pairwise=CCMP
CONF
cat "$RUN/hostapd.conf"
run ip netns exec ns0 hostapd -B -P "$RUN/hostapd.pid" "$RUN/hostapd.conf"

say "vw1 and vw2 connect with wpa_supplicant (ns1, ns2)"
printf 'ctrl_interface=%s/wpas\nnetwork={\n\tssid="test"\n\tpsk="12345678"\n}\n' "$RUN" >"$RUN/wpas.conf"
cat "$RUN/wpas.conf"
for n in 1 2; do
	run ip netns exec "ns$n" wpa_supplicant -B -P "$RUN/wpas$n.pid" -i "vw$n" -c "$RUN/wpas.conf"
done
for _ in $(seq 1 100); do
	s1=$(ip netns exec ns1 wpa_cli -p "$RUN/wpas" -i vw1 status 2>/dev/null | grep -c wpa_state=COMPLETED)
	s2=$(ip netns exec ns2 wpa_cli -p "$RUN/wpas" -i vw2 status 2>/dev/null | grep -c wpa_state=COMPLETED)
	[ "$s1$s2" = 11 ] && break
	sleep 0.2
done

say "What the stations see"
run ip netns exec ns1 iw dev vw1 link
run ip netns exec ns2 iw dev vw2 link

say "What the AP sees"
run ip netns exec ns0 iw dev vw0 station dump

say "STA to STA through the AP, and STA to AP"
run ip netns exec ns1 ping -c 3 10.0.0.3
run ip netns exec ns2 ping -c 3 10.0.0.1

if [ "${SHELL_AFTER:-0}" = 1 ]; then
	say "Leaving the set-up running: try ip netns exec ns1 iw dev vw1 link"
else
	say "Clean up"
	for p in "$RUN"/*.pid; do kill "$(cat "$p")" 2>/dev/null; done
	sleep 1
	ip -all netns delete
	run rmmod vwifi
fi
