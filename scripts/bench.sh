#!/bin/bash
# shellcheck disable=SC2317  # functions called via wait_until/trap
# vwifi benchmark: vwifi beside a veth pair and mac80211_hwsim, in one boot.
# Runs as root on a machine that can load modules (a lab VM started by
# `make bench`, or your own Linux box: `sudo scripts/bench.sh`).
#
#   scripts/bench.sh
#
# Measures (each path in its own network namespaces):
#   - iperf3 TCP and UDP throughput, RUNS runs interleaved across the paths
#     (so that ratios hold on a noisy machine), median; ping RTT median / p99:
#       veth pair | vwifi STA->AP, STA->STA (via AP), IBSS | hwsim the same
#       (AP/STA with hostapd + wpa_supplicant, WPA2-PSK/CCMP; IBSS open)
#   - time to associate 1 and ASSOC STAs (WPA2, one wpa_supplicant per netns)
#     to one hostapd AP, vwifi vs hwsim
#   - STA->AP TCP with 2 and with MANY stations associated (open AP, `iw
#     connect`: MANY wpa_supplicants do not fit in a TCG VM's time budget)
#   - the idle cost of beaconing: CPU ms per second with BEACON open APs up
#     (one hostapd, no station), vwifi vs hwsim (at most 100 radios), beside
#     the idle machine's
#   - insmod/rmmod time of station=N (N in MODN) vs hwsim radios=N (hwsim
#     takes at most 100), kernel memory per interface: /proc/meminfo Slab +
#     VmallocUsed + Percpu before/after (after drop_caches and shrinking every
#     slab cache), divided by N; also the bytes of live slab objects
#     (/proc/slabinfo) and MemTotal - MemFree (all pages; noisy); the same
#     for interfaces added to existing wiphys (iw phy P interface add)
# and prints a table plus the target ratios with PASS/MISS.
#
# Env: VWIFI_KO (default: /vwifi-build/vwifi.ko in the lab, else ./vwifi.ko),
#      BENCH_OUT (results dir, default ./bench-results): results.csv,
#      ratios.csv, bench.md; QUICK=1 (tiny durations and counts: smoke run),
#      BENCH_RUNS (5), BENCH_DUR (iperf3 seconds, 5), BENCH_PINGS (300),
#      BENCH_ASSOC (64), BENCH_MANY (250), BENCH_BEACON (250),
#      BENCH_MODN ("100 1000"), BENCH_HWSIM=0 (skip the hwsim rows),
#      BENCH_ONLY (phases to run, default "datapath assoc many beacon
#      modload"). On a failed association, the logs of
#      hostapd and of the stations that did not connect go to BENCH_OUT/logs.
# Exit status: 0 when the benchmark ran (targets missed or not), 1 on a
# setup failure, 2 on bad usage.
set -u

SELF=$(readlink -f "${BASH_SOURCE[0]}")
REPO=$(dirname "$(dirname "$SELF")")
if [ -z "${VWIFI_KO:-}" ]; then
	if [ "${VWIFI_LAB:-0}" = 1 ] && [ -f /vwifi-build/vwifi.ko ]; then
		VWIFI_KO=/vwifi-build/vwifi.ko
	else
		VWIFI_KO=$REPO/vwifi.ko
	fi
fi
VWIFI_KO=$(readlink -f "$VWIFI_KO" 2>/dev/null || echo "$VWIFI_KO")
QUICK=${QUICK:-0}
if [ "$QUICK" = 1 ]; then
	RUNS=${BENCH_RUNS:-1} DUR=${BENCH_DUR:-1} PINGS=${BENCH_PINGS:-10}
	ASSOC=${BENCH_ASSOC:-3} MANY=${BENCH_MANY:-4} MODN=${BENCH_MODN:-10 20}
	BEACON=${BENCH_BEACON:-4} BEACON_S=2
else
	RUNS=${BENCH_RUNS:-5} DUR=${BENCH_DUR:-5} PINGS=${BENCH_PINGS:-300}
	ASSOC=${BENCH_ASSOC:-64} MANY=${BENCH_MANY:-250} MODN=${BENCH_MODN:-100 1000}
	BEACON=${BENCH_BEACON:-250} BEACON_S=10
fi
HWSIM=${BENCH_HWSIM:-1}
ONLY=${BENCH_ONLY:-datapath assoc many beacon modload}
OUT=${BENCH_OUT:-./bench-results}
KREL=$(uname -r)

[ "$(id -u)" = 0 ] || { echo "bench.sh: must run as root (it loads modules)" >&2; exit 2; }
[ -f "$VWIFI_KO" ] || { echo "bench.sh: no module at VWIFI_KO=$VWIFI_KO (build it: make)" >&2; exit 1; }
for c in ip iw iperf3 ping hostapd wpa_supplicant wpa_passphrase stdbuf timeout insmod rmmod modprobe awk sort; do
	command -v "$c" >/dev/null || { echo "bench.sh: needs $c" >&2; exit 1; }
done
mkdir -p "$OUT" || exit 1
OUT=$(readlink -f "$OUT")
W=$(mktemp -d /tmp/vwifi-bench.XXXXXX)   # logs, configs (local fs: sockets)

# ------------------------------------------------------------------ helpers
log() { printf '# [%6.1fs] %s\n' "$(( $(now_ms) - T_START ))e-3" "$*"; }
now_ms() { local t=${EPOCHREALTIME//[!0-9]/}; echo $(( 10#$t / 1000 )); }
T_START=$(now_ms)
die() { echo "bench.sh: $*" >&2; exit 1; }

declare -A V=()         # results: key -> value
declare -a PIDS=()      # background processes we started
HWSIM_LOADED=0          # we loaded mac80211_hwsim (and unload it)

bgrun() { # bgrun LOG cmd...: start in the background, tracked
	local lg=$1
	shift
	"$@" >"$lg" 2>&1 &
	PIDS+=("$!")
}

# netns of this benchmark: vb-*
ns_add() { [ -e "/run/netns/$1" ] || ip netns add "$1" || die "ip netns add $1"; ip -n "$1" link set lo up; }
ns_all_del() {
	local d ns p
	for d in /run/netns/vb-*; do
		[ -e "$d" ] || continue
		ns=${d##*/}
		for p in $(ip netns pids "$ns" 2>/dev/null); do kill -KILL "$p" 2>/dev/null; done
		ip netns del "$ns" 2>/dev/null
	done
	return 0
}
kill_all() {
	local p
	for p in "${PIDS[@]}"; do kill -TERM "$p"; done
	sleep 0.3
	for p in "${PIDS[@]}"; do kill -KILL "$p"; done
	wait
	PIDS=()
} 2>/dev/null
mod_unload() { # mod_unload NAME: rmmod with retries (netns teardown is async)
	[ -d "/sys/module/$1" ] || return 0
	for _ in {1..40}; do
		rmmod "$1" 2>/dev/null && return 0
		sleep 0.5
	done
	echo "bench.sh: rmmod $1 failed" >&2
	return 1
}
reset_all() {
	kill_all
	ns_all_del
	mod_unload vwifi
	if [ "$HWSIM_LOADED" = 1 ]; then mod_unload mac80211_hwsim; HWSIM_LOADED=0; fi
	return 0
}
cleanup() {
	reset_all
	rm -rf "$W"
}
trap cleanup EXIT
trap 'exit 130' INT TERM HUP

# wait_until SECONDS cmd...: poll (0.1 s) until cmd succeeds
wait_until() {
	local end=$(( $(now_ms) + $1 * 1000 ))
	shift
	until "$@" >/dev/null 2>&1; do
		[ "$(now_ms)" -lt "$end" ] || return 1
		sleep 0.1
	done
}
# log_count FILE REGEX: number of matching lines
log_count() { grep -cE "$2" "$1" 2>/dev/null || true; }
log_has() { [ "$(log_count "$1" "$2")" -ge "${3:-1}" ]; }

# stats over numbers on stdin (NA ignored): median | p99 | n
stat() {
	grep -E '^-?[0-9.]+(e[-+]?[0-9]+)?$' | sort -g | awk -v what="$1" '
		{ a[NR] = $1 }
		END {
			if (NR == 0) { print "NA"; exit }
			if (what == "n") { print NR; exit }
			if (what == "p99") { i = int(0.99 * NR); if (i < 0.99 * NR) i++; if (i < 1) i = 1; print a[i]; exit }
			if (NR % 2) print a[(NR + 1) / 2]; else print (a[NR / 2] + a[NR / 2 + 1]) / 2
		}'
}
# div A B [SCALE]: A/B with 3 decimals, NA if either is NA or B is 0
div() {
	awk -v a="$1" -v b="$2" 'BEGIN {
		if (a == "NA" || b == "NA" || a == "" || b == "" || b + 0 == 0) print "NA"
		else printf "%.3f\n", a / b }'
}
fmt() { awk -v x="$1" -v d="${2:-1}" 'BEGIN { if (x == "NA" || x == "") print "NA"; else printf("%." d "f\n", x) }'; }

# mem_kib: "used slab vmalloc percpu slabobj" in KiB: used = MemTotal -
# MemFree (every page the kernel holds, large kmallocs included) after
# dropping caches and shrinking the slab caches; slabobj = live objects
# (active_objs * objsize) of /proc/slabinfo
mem_kib() {
	local f
	sync
	echo 3 >/proc/sys/vm/drop_caches 2>/dev/null
	for f in /sys/kernel/slab/*/shrink; do echo 1 >"$f"; done 2>/dev/null
	sleep 2
	cat /proc/slabinfo >"$W/slabinfo.last" 2>/dev/null
	{ cat /proc/meminfo; echo "--slabinfo"; cat "$W/slabinfo.last"; } | awk '
		$1 == "--slabinfo" { si = 1; next }
		!si { v[$1] = $2; next }
		si && $1 !~ /^(#|slabinfo)/ { o += $2 * $4 }
		END { printf "%d %d %d %d %d\n", v["MemTotal:"] - v["MemFree:"], v["Slab:"], v["VmallocUsed:"], v["Percpu:"], o / 1024 }'
}
# slab_top BEFORE AFTER N: the slab caches that grew most (live object
# bytes), as "name KiB-per-interface", biggest first (top 8)
slab_top() {
	awk -v n="$3" '
		FNR == 1 { f++ }
		$1 ~ /^(#|slabinfo)/ { next }
		f == 1 { a[$1] = $2 * $4; next }
		{ d = ($2 * $4 - a[$1]) / 1024 / n; if (d >= 0.1) printf "%s %.1f\n", $1, d }
	' "$1" "$2" | sort -k2,2 -g -r | head -n 8 | tr '\n' ' '
}
# per_iface "BEFORE" "AFTER" N: deltas / N in KiB: "kmem slab vmalloc percpu
# slabobj used", kmem = slab + vmalloc + percpu
per_iface() {
	awk -v a="$1" -v b="$2" -v n="$3" 'BEGIN {
		split(a, x, " "); split(b, y, " ")
		for (i = 1; i <= 5; i++) d[i] = (y[i] - x[i]) / n
		printf "%.1f %.1f %.1f %.1f %.1f %.1f\n", d[2] + d[3] + d[4], d[2], d[3], d[4], d[5], d[1] }'
}

# phy_of_dev IFACE (in the init netns)
phy_of_dev() { local p; read -r p <"/sys/class/net/$1/phy80211/name" && echo "$p"; }
# to_ns IFACE NS [ADDR/PREFIX]: move IFACE's wiphy into NS (created), address, up
to_ns() {
	local ifc=$1 ns=$2 phy
	phy=$(phy_of_dev "$ifc") || { echo "$ifc: no wiphy" >&2; return 1; }
	ns_add "$ns"
	iw phy "$phy" set netns name "$ns" || { echo "iw phy $phy set netns name $ns failed" >&2; return 1; }
	[ -z "${3:-}" ] || ip -n "$ns" addr add "$3" dev "$ifc" || { echo "addr on $ifc failed" >&2; return 1; }
}

PSK_HEX=$(wpa_passphrase bench 12345678 | sed -n 's/^[[:space:]]*psk=\([0-9a-f]\{64\}\)$/\1/p')
[ -n "$PSK_HEX" ] || die "wpa_passphrase failed"
# ap_conf IFACE SSID wpa2|open: hostapd config on channel 6. The PSK is given
# in hex on both sides: no PBKDF2 per process (costly under TCG), still WPA2.
ap_conf() {
	local f=$W/hostapd-$1.conf
	{
		printf 'interface=%s\ndriver=nl80211\nssid=%s\nhw_mode=g\nchannel=6\n' "$1" "$2"
		[ "$3" = wpa2 ] && printf 'wpa=2\nwpa_key_mgmt=WPA-PSK\nwpa_pairwise=CCMP\nwpa_psk=%s\n' "$PSK_HEX"
	} >"$f"
	echo "$f"
}
sta_conf() {
	local f=$W/wpas-$1.conf
	printf 'network={\n\tssid="%s"\n\tpsk=%s\n\tkey_mgmt=WPA-PSK\n\tscan_ssid=0\n}\n' "$2" "$PSK_HEX" >"$f"
	echo "$f"
}
# start_ap NS IFACE SSID MODE: hostapd (line-buffered log $W/ap-IFACE.log)
start_ap() {
	local conf
	conf=$(ap_conf "$2" "$3" "$4")
	bgrun "$W/ap-$2.log" ip netns exec "$1" stdbuf -oL -eL hostapd "$conf"
	wait_until 30 log_has "$W/ap-$2.log" 'AP-ENABLED' || {
		echo "hostapd on $2 did not start: $(tail -n 5 "$W/ap-$2.log" | tr '\n' '|')" >&2
		return 1
	}
}
ap_connected() { log_count "$W/ap-$1.log" 'AP-STA-CONNECTED'; }
start_sta() { # start_sta NS IFACE SSID: wpa_supplicant
	local conf
	conf=$(sta_conf "$2" "$3")
	bgrun "$W/sta-$2.log" ip netns exec "$1" wpa_supplicant -D nl80211 -i "$2" -c "$conf"
}
ibss_join() { # ibss_join NS IFACE BSSID: fixed BSSID, so that no cell merge is needed
	ip -n "$1" link set "$2" down
	ip netns exec "$1" iw dev "$2" set type ibss || { echo "$2: set type ibss failed" >&2; return 1; }
	ip -n "$1" link set "$2" up
	ip netns exec "$1" iw dev "$2" ibss join benchibss 2412 NOHT fixed-freq "$3" || { echo "$2: ibss join failed" >&2; return 1; }
}
pingable() { ip netns exec "$1" ping -c 1 -W 1 "$2"; }

HWSIM_OK=0
hwsim_available() {
	[ "$HWSIM" = 1 ] || { HWSIM_WHY="BENCH_HWSIM=0"; return 1; }
	if [ -d /sys/module/mac80211_hwsim ]; then
		HWSIM_WHY="mac80211_hwsim already loaded (not ours)"; return 1
	fi
	modprobe -n mac80211_hwsim 2>/dev/null || { HWSIM_WHY="no mac80211_hwsim module for $KREL"; return 1; }
	return 0
}
# hwsim_load N: load with radios=N; HW_IFS=(its interfaces, in radio order)
hwsim_load() {
	local before=" " p d n
	HW_IFS=()
	for p in /sys/class/ieee80211/*; do before+="${p##*/} "; done
	modprobe mac80211_hwsim radios="$1" || return 1
	HWSIM_LOADED=1
	for p in $(printf '%s\n' /sys/class/ieee80211/* | sort -V); do
		[[ $before == *" ${p##*/} "* ]] && continue
		for d in "$p"/device/net/*; do
			[ -e "$d" ] && { n=${d##*/}; HW_IFS+=("$n"); break; }
		done
	done
	[ ${#HW_IFS[@]} -eq "$1" ] || { echo "hwsim: ${#HW_IFS[@]} interfaces for radios=$1" >&2; return 1; }
}

# -------------------------------------------------------- data path benchmark
# path name -> "SRC_NS DST_NS DST_ADDR"
declare -A PATH_OF=()
declare -a PATHS=()
declare -a NOTES=()
add_path() { PATHS+=("$1"); PATH_OF[$1]="$2 $3 $4"; }
# drop_path PATH...: forget paths that could not be set up
drop_path() {
	local p q keep=()
	for p in "$@"; do unset "PATH_OF[$p]"; done
	for q in "${PATHS[@]}"; do [ -n "${PATH_OF[$q]:-}" ] && keep+=("$q"); done
	PATHS=("${keep[@]}")
}

setup_veth() {
	modprobe veth 2>/dev/null
	ns_add vb-va
	ns_add vb-vb
	ip link add vb-a netns vb-va type veth peer name vb-b netns vb-vb || die "veth"
	ip -n vb-va addr add 10.9.0.1/24 dev vb-a
	ip -n vb-vb addr add 10.9.0.2/24 dev vb-b
	ip -n vb-va link set vb-a up
	ip -n vb-vb link set vb-b up
	add_path veth vb-va vb-vb 10.9.0.2
	wait_until 10 pingable vb-va 10.9.0.2 || die "veth: no ping"
}

# setup_wifi TAG IF0..IF4 NET: AP IF0, STAs IF1 IF2 (WPA2), IBSS IF3 IF4
setup_wifi() {
	# a fixed IBSS BSSID that is no member's address (with the address of a
	# member, hwsim's other member never adds it as a peer)
	local t=$1 net=$7 bssid=02:ba:55:00:00:01
	to_ns "$2" "vb-${t}0" "$net.1.1/24" &&
	to_ns "$3" "vb-${t}1" "$net.1.2/24" &&
	to_ns "$4" "vb-${t}2" "$net.1.3/24" &&
	to_ns "$5" "vb-${t}3" "$net.2.1/24" &&
	to_ns "$6" "vb-${t}4" "$net.2.2/24" &&
	start_ap "vb-${t}0" "$2" "bench-$t" wpa2 || return 1
	start_sta "vb-${t}1" "$3" "bench-$t"
	start_sta "vb-${t}2" "$4" "bench-$t"
	ibss_join "vb-${t}3" "$5" "$bssid" && ibss_join "vb-${t}4" "$6" "$bssid" || return 1
	wait_until 60 log_has "$W/ap-$2.log" AP-STA-CONNECTED 2 || {
		echo "$t: STAs did not connect: $(tail -n 3 "$W/sta-$3.log" | tr '\n' '|')" >&2
		return 1
	}
	add_path "${t}_sta_ap" "vb-${t}1" "vb-${t}0" "$net.1.1"
	add_path "${t}_sta_sta" "vb-${t}1" "vb-${t}2" "$net.1.3"
	add_path "${t}_ibss" "vb-${t}3" "vb-${t}4" "$net.2.2"
	local p
	for p in "${t}_sta_ap" "${t}_sta_sta" "${t}_ibss"; do
		# shellcheck disable=SC2086
		wait_until 30 pingable ${PATH_OF[$p]%% *} "${PATH_OF[$p]##* }" && continue
		log "$p: no ping after 30 s: path dropped"
		NOTES+=("$p: no ping after 30 s, not measured")
		drop_path "$p"
	done
}

declare -A SERVED=()
# iperf PATH tcp|udp: Mbit/s at the receiver (NA on failure)
iperf() {
	local src dst addr args=() out v
	read -r src dst addr <<<"${PATH_OF[$1]}"
	if [ -z "${SERVED[$dst]:-}" ]; then
		bgrun "$W/iperf-s-$dst.log" ip netns exec "$dst" iperf3 -s
		SERVED[$dst]=1
		sleep 1
	fi
	[ "$2" = udp ] && args=(-u -b 0)
	for _ in 1 2; do
		out=$(timeout $((DUR + 30)) ip netns exec "$src" iperf3 -c "$addr" -t "$DUR" -f m "${args[@]}" 2>&1)
		v=$(awk '/receiver/ { for (i = 1; i <= NF; i++) if ($i == "Mbits/sec") v = $(i - 1) } END { print v }' <<<"$out")
		[ -n "$v" ] && { echo "$v"; return 0; }
		echo "$out" >>"$W/iperf-errors.log"
		sleep 1
	done
	echo NA
}
# pings PATH COUNT: append RTT samples (ms) to $W/rtt-PATH
pings() {
	local src dst addr
	read -r src dst addr <<<"${PATH_OF[$1]}"
	ip netns exec "$src" ping -n -c "$2" -i 0.01 -W 1 "$addr" 2>/dev/null |
		sed -n 's/.* time=\([0-9.]*\) ms.*/\1/p' >>"$W/rtt-$1"
}

bench_datapath() {
	local r p proto per
	log "data path: veth, vwifi, hwsim (RUNS=$RUNS, ${DUR}s each)"
	setup_veth
	vw_insmod station=5 || die "insmod vwifi station=5"
	setup_wifi vw vw0 vw1 vw2 vw3 vw4 10.1 || die "vwifi set-up failed"
	if [ "$HWSIM_OK" = 1 ]; then
		if ! hwsim_load 5; then
			HWSIM_OK=0 HWSIM_WHY="modprobe mac80211_hwsim radios=5 failed"
		elif ! setup_wifi hw "${HW_IFS[@]:0:5}" 10.3; then
			log "hwsim data path set-up failed: its rows are dropped"
			NOTES+=("hwsim data path set-up failed, not measured")
			drop_path hw_sta_ap hw_sta_sta hw_ibss
		fi
	fi
	per=$(( (PINGS + RUNS - 1) / RUNS ))
	for p in "${PATHS[@]}"; do pings "$p" 3 && : >"$W/rtt-$p"; done   # warm up (ARP)
	for ((r = 1; r <= RUNS; r++)); do
		for proto in tcp udp; do
			for p in "${PATHS[@]}"; do
				V[$proto:$p:$r]=$(iperf "$p" "$proto")
				log "run $r $proto $p: ${V[$proto:$p:$r]} Mbit/s"
			done
		done
		for p in "${PATHS[@]}"; do pings "$p" "$per"; done
	done
	for p in "${PATHS[@]}"; do
		for proto in tcp udp; do
			V[$proto:$p]=$(for ((r = 1; r <= RUNS; r++)); do echo "${V[$proto:$p:$r]}"; done | stat median)
			# median over runs of the ratio to veth of the same run
			V[$proto:$p:/veth]=$(for ((r = 1; r <= RUNS; r++)); do div "${V[$proto:$p:$r]}" "${V[$proto:veth:$r]}"; done | stat median)
		done
		V[rtt:$p]=$(stat median <"$W/rtt-$p")
		V[rtt99:$p]=$(stat p99 <"$W/rtt-$p")
		V[rttn:$p]=$(stat n <"$W/rtt-$p")
	done
	if [ -n "${PATH_OF[hw_sta_ap]:-}" ] && [ -n "${PATH_OF[vw_sta_ap]:-}" ]; then
		V[tcp:vw_sta_ap:/hw]=$(for ((r = 1; r <= RUNS; r++)); do div "${V[tcp:vw_sta_ap:$r]}" "${V[tcp:hw_sta_ap:$r]}"; done | stat median)
	fi
	reset_all
	SERVED=()
}

vw_insmod() { modprobe cfg80211 2>/dev/null; insmod "$VWIFI_KO" "$@"; }

# ------------------------------------------------------ association benchmark
# assoc_run TAG AP_IF STA_IF...: hostapd WPA2 on AP_IF; time to get 1 STA
# (the first) and then all of them associated (each STA in its own netns)
assoc_run() {
	local t=$1 ap=$2 i n0 t0 t1
	shift 2
	local -a stas=("$@")
	to_ns "$ap" "vb-a${t}0" || return 1
	for ((i = 0; i < ${#stas[@]}; i++)); do to_ns "${stas[$i]}" "vb-a${t}s$i" || return 1; done
	start_ap "vb-a${t}0" "$ap" "assoc-$t" wpa2 || return 1
	# 1 STA
	t0=$(now_ms)
	start_sta "vb-a${t}s0" "${stas[0]}" "assoc-$t"
	if wait_until 120 log_has "$W/ap-$ap.log" AP-STA-CONNECTED 1; then
		t1=$(now_ms)
		V[assoc1:$t]=$(div $((t1 - t0)) 1000)
	else
		V[assoc1:$t]=NA
	fi
	kill -TERM "${PIDS[-1]}" 2>/dev/null
	wait "${PIDS[-1]}" 2>/dev/null
	unset 'PIDS[-1]'
	wait_until 10 log_has "$W/ap-$ap.log" 'AP-STA-DISCONNECTED' 1
	# all STAs at once
	n0=$(ap_connected "$ap")
	t0=$(now_ms)
	for ((i = 0; i < ${#stas[@]}; i++)); do
		start_sta "vb-a${t}s$i" "${stas[$i]}" "assoc-$t"
	done
	if wait_until "${BENCH_ASSOC_TIMEOUT:-300}" log_has "$W/ap-$ap.log" AP-STA-CONNECTED $((n0 + ${#stas[@]})); then
		t1=$(now_ms)
		V[assocN:$t]=$(div $((t1 - t0)) 1000)
	else
		V[assocN:$t]=NA
		log "$t: only $(( $(ap_connected "$ap") - n0 )) of ${#stas[@]} STAs associated; logs in $OUT/logs"
		mkdir -p "$OUT/logs"
		cp "$W/ap-$ap.log" "$OUT/logs/"
		for ((i = 0; i < ${#stas[@]}; i++)); do
			grep -q CTRL-EVENT-CONNECTED "$W/sta-${stas[$i]}.log" || cp "$W/sta-${stas[$i]}.log" "$OUT/logs/"
		done
		dmesg >"$OUT/logs/dmesg-assoc-$t.txt"
	fi
	log "assoc $t: 1 STA ${V[assoc1:$t]} s, ${#stas[@]} STAs ${V[assocN:$t]} s"
}

bench_assoc() {
	local i n=$ASSOC
	local -a ifs=()
	log "association: 1 and $n STAs, WPA2"
	vw_insmod station=$((n + 1)) || die "insmod vwifi station=$((n + 1))"
	for ((i = 1; i <= n; i++)); do ifs+=("vw$i"); done
	assoc_run vw vw0 "${ifs[@]}" || die "vwifi association set-up failed"
	reset_all
	if [ "$HWSIM_OK" = 1 ]; then
		if ! hwsim_load $((n + 1)); then
			log "hwsim radios=$((n + 1)) failed"
		elif ! assoc_run hw "${HW_IFS[@]}"; then
			log "hwsim association set-up failed"
		fi
		reset_all
	fi
}

# ---------------------------------------------------- many-stations benchmark
bench_many() {
	local m=$MANY r i k t0 t1 b=$W/up.batch
	log "STA->AP TCP with 2 and with $m STAs associated (open AP, iw connect)"
	setup_veth
	vw_insmod station=$((m + 1)) || die "insmod vwifi station=$((m + 1))"
	to_ns vw0 vb-m0 10.5.0.1/24 || die "many: set-up"
	to_ns vw1 vb-m1 10.5.0.2/24 || die "many: set-up"
	add_path many vb-m1 vb-m0 10.5.0.1
	start_ap vb-m0 vw0 bench-open open || die "many: hostapd"
	ip -n vb-m1 link set vw1 up
	ip netns exec vb-m1 iw dev vw1 connect bench-open || die "vw1 connect"
	ip link set vw2 up
	iw dev vw2 connect bench-open || die "vw2 connect"
	wait_until 30 log_has "$W/ap-vw0.log" AP-STA-CONNECTED 2 || die "2 STAs did not connect"
	wait_until 30 pingable vb-m1 10.5.0.1 || die "many: no ping"
	for ((r = 1; r <= RUNS; r++)); do
		V[m2:veth:$r]=$(iperf veth tcp)
		V[m2:vw:$r]=$(iperf many tcp)
		log "run $r 2 STAs: ${V[m2:vw:$r]} Mbit/s (veth ${V[m2:veth:$r]})"
	done
	: >"$b"
	for ((i = 3; i <= m; i++)); do echo "link set vw$i up" >>"$b"; done
	ip -batch "$b" || die "ip -batch link up"
	t0=$(now_ms)
	for ((i = 3; i <= m; i++)); do iw dev "vw$i" connect bench-open || log "vw$i connect failed"; done
	wait_until 300 log_has "$W/ap-vw0.log" AP-STA-CONNECTED "$m" ||
		log "only $(ap_connected vw0) of $m STAs associated"
	t1=$(now_ms)
	V[mN:count]=$(ap_connected vw0)
	V[mN:conn_s]=$(div $((t1 - t0)) 1000)
	log "${V[mN:count]} STAs associated (connecting $((m - 2)) took ${V[mN:conn_s]} s)"
	for ((r = 1; r <= RUNS; r++)); do
		V[mN:veth:$r]=$(iperf veth tcp)
		V[mN:vw:$r]=$(iperf many tcp)
		log "run $r $m STAs: ${V[mN:vw:$r]} Mbit/s (veth ${V[mN:veth:$r]})"
	done
	for k in m2 mN; do
		V[$k:vw]=$(for ((r = 1; r <= RUNS; r++)); do echo "${V[$k:vw:$r]}"; done | stat median)
		V[$k:/veth]=$(for ((r = 1; r <= RUNS; r++)); do div "${V[$k:vw:$r]}" "${V[$k:veth:$r]}"; done | stat median)
	done
	# ratio of the veth-normalised figures: drift of the machine cancels out
	V[many:ratio]=$(div "${V[mN:/veth]}" "${V[m2:/veth]}")
	reset_all
	SERVED=()
}

# -------------------------------------------------- module load benchmark
count_glob() { local a=("$@"); [ -e "${a[0]}" ] && echo ${#a[@]} || echo 0; }

bench_modload() {
	local n m0 m1 t0 t1 t2 got
	modprobe cfg80211 2>/dev/null
	[ "$HWSIM_OK" = 1 ] && modprobe mac80211 2>/dev/null
	for n in $MODN; do
		log "insmod/rmmod station=$n"
		m0=$(mem_kib)
		t0=$(now_ms)
		cp "$W/slabinfo.last" "$W/slabinfo.before"
		if vw_insmod station="$n"; then
			t1=$(now_ms)
			got=$(count_glob /sys/class/net/vw*)
			m1=$(mem_kib)
			V[slabtop:vw:$n]=$(slab_top "$W/slabinfo.before" "$W/slabinfo.last" "$n")
			t2=$(now_ms)
			if mod_unload vwifi; then
				V[ins:vw:$n]=$(div $((t1 - t0)) 1000)
				V[rm:vw:$n]=$(div $(( $(now_ms) - t2 )) 1000)
			else
				V[ins:vw:$n]=NA V[rm:vw:$n]=NA
			fi
			V[ifs:vw:$n]=$got
			read -r "V[mem:vw:$n]" "V[memparts:vw:$n]" <<<"$(per_iface "$m0" "$m1" "$n")"
		else
			V[ins:vw:$n]=NA V[rm:vw:$n]=NA V[ifs:vw:$n]=0 V[mem:vw:$n]=NA
		fi
		log "vwifi station=$n: ${V[ifs:vw:$n]} interfaces, insmod ${V[ins:vw:$n]} s, rmmod ${V[rm:vw:$n]} s, ${V[mem:vw:$n]} KiB/interface (slab vmalloc percpu, live slab objects, MemTotal-MemFree: ${V[memparts:vw:$n]:-})"
		log "  slab caches, KiB/interface: ${V[slabtop:vw:$n]:-}"
		[ "$HWSIM_OK" = 1 ] || continue
		if [ "$n" -gt 100 ]; then
			V[ins:hw:$n]=NA V[rm:hw:$n]=NA V[mem:hw:$n]=NA V[ifs:hw:$n]="n/a (radios<=100)"
			continue
		fi
		m0=$(mem_kib)
		t0=$(now_ms)
		if modprobe mac80211_hwsim radios="$n"; then
			HWSIM_LOADED=1
			t1=$(now_ms)
			got=$(count_glob /sys/class/ieee80211/*/device/net/*)  # approximate: all wiphys' netdevs
			m1=$(mem_kib)
			t2=$(now_ms)
			mod_unload mac80211_hwsim && HWSIM_LOADED=0
			V[ins:hw:$n]=$(div $((t1 - t0)) 1000)
			V[rm:hw:$n]=$(div $(( $(now_ms) - t2 )) 1000)
			V[ifs:hw:$n]=$got
			read -r "V[mem:hw:$n]" "V[memparts:hw:$n]" <<<"$(per_iface "$m0" "$m1" "$n")"
		else
			V[ins:hw:$n]=NA V[rm:hw:$n]=NA V[ifs:hw:$n]=0 V[mem:hw:$n]=NA
		fi
		log "hwsim radios=$n: ${V[ifs:hw:$n]} interfaces, insmod ${V[ins:hw:$n]} s, rmmod ${V[rm:hw:$n]} s, ${V[mem:hw:$n]} KiB/radio (slab vmalloc percpu, live slab objects, MemTotal-MemFree: ${V[memparts:hw:$n]:-})"
	done
	bench_veth_mem "${MODN##* }"
	bench_added_mem "${MODN##* }"
}

# ------------------------------------------------ idle cost of beaconing
# busy_ms: CPU time (all CPUs, ms) spent not idle since boot (/proc/stat:
# user nice system irq softirq)
busy_ms() {
	awk -v hz="$(getconf CLK_TCK)" '$1 == "cpu" { printf "%d\n", ($2 + $3 + $4 + $7 + $8) * 1000 / hz; exit }' /proc/stat
}
# cpu_ms_per_s SECONDS: CPU ms used per second of wall time over SECONDS
cpu_ms_per_s() {
	local b0 t0 b1 t1
	b0=$(busy_ms) t0=$(now_ms)
	sleep "$1"
	b1=$(busy_ms) t1=$(now_ms)
	awk -v b=$((b1 - b0)) -v t=$((t1 - t0)) 'BEGIN { printf "%.1f\n", b * 1000 / t }'
}
# beacon_aps TAG IFACE...: one hostapd serving an open AP on each (channel 6,
# no station), its log $W/ap-TAG.log; up when each has said AP-ENABLED
beacon_aps() {
	local t=$1 ifc confs=()
	shift
	for ifc in "$@"; do
		ip link set "$ifc" up || return 1
		confs+=("$(ap_conf "$ifc" "idle-$ifc" open)")
	done
	# a handful of descriptors per AP: past the default limit of 1024
	ulimit -n 16384 2>/dev/null || ulimit -n "$(ulimit -Hn)"
	bgrun "$W/ap-$t.log" stdbuf -oL -eL hostapd "${confs[@]}"
	wait_until 600 log_has "$W/ap-$t.log" 'AP-ENABLED' "$#" || {
		echo "$t: $(log_count "$W/ap-$t.log" AP-ENABLED) of $# APs up: $(tail -n 3 "$W/ap-$t.log" | tr '\n' '|')" >&2
		return 1
	}
}
# beacon_cost TAG N IFACE...: N APs up on the interfaces; V[beacon:TAG] the
# CPU ms/s with them up, V[beacon:TAG:per_ap] what each adds to idle, in us/s
beacon_cost() {
	local t=$1 n=$2
	shift 2
	V[beacon:$t]=NA V[beacon:$t:per_ap]=NA V[beacon:$t:n]=$n
	beacon_aps "$t" "$@" || return 1
	sleep 2
	V[beacon:$t]=$(cpu_ms_per_s "$BEACON_S")
	V[beacon:$t:per_ap]=$(awk -v a="${V[beacon:$t]}" -v i="${V[beacon:idle]}" -v n="$n" 'BEGIN { printf "%.1f\n", (a - i) * 1000 / n }')
	log "$t: $n APs up, no station: ${V[beacon:$t]} CPU ms/s (idle ${V[beacon:idle]}), ${V[beacon:$t:per_ap]} us/s per AP"
}

# bench_beacon: the CPU that APs nobody listens to cost, vwifi (BEACON APs,
# each on its own wiphy) and hwsim (at most 100 radios), beside the idle
# machine's
bench_beacon() {
	local i n=$BEACON nh ifs=()
	modprobe cfg80211 2>/dev/null
	V[beacon:idle]=$(cpu_ms_per_s "$BEACON_S")
	log "beacon: idle machine ${V[beacon:idle]} CPU ms/s"
	if vw_insmod station="$n"; then
		for ((i = 0; i < n; i++)); do ifs+=("vw$i"); done
		beacon_cost vw "$n" "${ifs[@]}" || NOTES+=("beacon: the $n vwifi APs did not all start")
	else
		NOTES+=("beacon: insmod station=$n failed")
	fi
	reset_all
	[ "$HWSIM_OK" = 1 ] || return 0
	nh=$((n > 100 ? 100 : n))
	hwsim_load "$nh" || { NOTES+=("beacon: hwsim radios=$nh failed"); reset_all; return 0; }
	beacon_cost hw "$nh" "${HW_IFS[@]}" || NOTES+=("beacon: the $nh hwsim APs did not all start")
	reset_all
}

# bench_added_mem N: the same figures for N interfaces added to existing
# wiphys with iw (7 on each radio, the most one takes beside its first)
bench_added_mem() {
	local n=$1 radios i j k=0 m0 m1 t0 t1
	radios=$(( (n + 6) / 7 ))
	log "memory of $n interfaces added to $radios wiphys"
	if ! vw_insmod station="$radios"; then
		log "added interfaces: insmod station=$radios failed"
		return
	fi
	m0=$(mem_kib)
	cp "$W/slabinfo.last" "$W/slabinfo.before"
	t0=$(now_ms)
	for ((i = 0; i < radios && k < n; i++)); do
		for ((j = 1; j <= 7 && k < n; j++, k++)); do
			iw phy "vw_phy$i" interface add "vwa${i}_$j" type managed || break 2
		done
	done
	t1=$(now_ms)
	if [ "$k" = "$n" ]; then
		m1=$(mem_kib)
		V[ins:added:$n]=$(div $((t1 - t0)) 1000)
		V[ifs:added:$n]=$n
		read -r "V[mem:added:$n]" "V[memparts:added:$n]" <<<"$(per_iface "$m0" "$m1" "$n")"
		V[slabtop:added:$n]=$(slab_top "$W/slabinfo.before" "$W/slabinfo.last" "$n")
		log "added: $n interfaces in ${V[ins:added:$n]} s, ${V[mem:added:$n]} KiB/interface (slab vmalloc percpu, live slab objects, MemTotal-MemFree: ${V[memparts:added:$n]})"
	else
		log "added interfaces: iw interface add failed after $k"
	fi
	mod_unload vwifi
}

# bench_veth_mem N: the same memory figures for N bare netdevs (N/2 veth
# pairs in a netns): the floor any interface costs (sysfs, IPv4/IPv6 conf)
bench_veth_mem() {
	local n=$1 i m0 m1 t0 t1 b=$W/veth.batch
	log "memory of $n veth netdevs"
	modprobe veth 2>/dev/null
	ns_add vb-mem
	: >"$b"
	for ((i = 0; i < n / 2; i++)); do echo "link add vbm$i type veth peer name vbn$i" >>"$b"; done
	m0=$(mem_kib)
	cp "$W/slabinfo.last" "$W/slabinfo.before"
	t0=$(now_ms)
	if ip -n vb-mem -batch "$b" >/dev/null; then
		t1=$(now_ms)
		m1=$(mem_kib)
		V[ins:veth:$n]=$(div $((t1 - t0)) 1000)
		V[ifs:veth:$n]=$(( $(ip -n vb-mem -o link show type veth | grep -c .) ))
		read -r "V[mem:veth:$n]" "V[memparts:veth:$n]" <<<"$(per_iface "$m0" "$m1" "$n")"
		V[slabtop:veth:$n]=$(slab_top "$W/slabinfo.before" "$W/slabinfo.last" "$n")
		log "veth: $n netdevs in ${V[ins:veth:$n]} s, ${V[mem:veth:$n]} KiB/netdev (slab vmalloc percpu, live slab objects, MemTotal-MemFree: ${V[memparts:veth:$n]})"
		log "  slab caches, KiB/netdev: ${V[slabtop:veth:$n]}"
	else
		log "veth: ip -batch failed"
	fi
	ns_all_del
}

# ------------------------------------------------------------------ report
declare -a CSV=("metric,path,driver,value,unit")
declare -a MD=()
declare -a TGT=("target,measured,goal,status")
g() { echo "${V[$1]:-NA}"; }
csv() { CSV+=("$1,$2,$3,$4,$5"); }

# target NAME VALUE OP GOAL [NOTE]
NPASS=0 NMISS=0 NNA=0
declare -a TMD=()
target() {
	local st
	if [ "$2" = NA ] || [ -z "$2" ]; then
		st=n/a; NNA=$((NNA + 1))
	elif awk -v v="$2" -v g="$4" -v op="$3" 'BEGIN { exit !((op == ">=") ? v >= g : v <= g) }'; then
		st=PASS; NPASS=$((NPASS + 1))
	else
		st=MISS; NMISS=$((NMISS + 1))
	fi
	TGT+=("\"$1\",$2,$3 $4,$st")
	TMD+=("| $1 | $2 | $3 $4 | **$st** | ${5:-} |")
}

report() {
	local p proto label hw d
	declare -A LABEL=([sta_ap]="STA->AP" [sta_sta]="STA->STA (via AP)" [ibss]="IBSS member->member")
	MD+=("# vwifi benchmark")
	MD+=("")
	MD+=("Date: $(date -u '+%Y-%m-%d %H:%M UTC'); kernel: $KREL; $(nproc) CPUs; QUICK=$QUICK, RUNS=$RUNS, iperf3 ${DUR}s, $PINGS pings${VWIFI_LAB:+; lab VM (QEMU TCG)}")
	MD+=("Module: $VWIFI_KO$([ -f "${VWIFI_KO%/*}/vwifi.c" ] && echo " built from vwifi.c md5 $(md5sum <"${VWIFI_KO%/*}/vwifi.c" | cut -c1-12)")")
	MD+=("")
	[ "$HWSIM_OK" = 1 ] || MD+=("hwsim rows skipped: ${HWSIM_WHY:-?}" "")
	local note
	for note in "${NOTES[@]}"; do MD+=("Note: $note" ""); done
	MD+=("## Data path (median of $RUNS runs; ratios: median over runs of the per-run ratio)")
	MD+=("")
	MD+=("| path | driver | TCP Mbit/s | TCP / veth | UDP Mbit/s | UDP / veth | RTT median ms | RTT p99 ms | pings |")
	MD+=("|---|---|---:|---:|---:|---:|---:|---:|---:|")
	for p in veth vw_sta_ap vw_sta_sta vw_ibss hw_sta_ap hw_sta_sta hw_ibss; do
		[ -n "${PATH_OF[$p]:-}" ] || continue
		case $p in
		veth) label="veth pair"; hw=veth ;;
		vw_*) label=${LABEL[${p#vw_}]}; hw=vwifi ;;
		hw_*) label=${LABEL[${p#hw_}]}; hw=mac80211_hwsim ;;
		esac
		MD+=("| $label | $hw | $(fmt "$(g "tcp:$p")") | $(g "tcp:$p:/veth") | $(fmt "$(g "udp:$p")") | $(g "udp:$p:/veth") | $(g "rtt:$p") | $(g "rtt99:$p") | $(g "rttn:$p") |")
		for proto in tcp udp; do csv "${proto}_throughput" "$p" "$hw" "$(g "$proto:$p")" Mbit/s; csv "${proto}_vs_veth" "$p" "$hw" "$(g "$proto:$p:/veth")" ratio; done
		csv rtt_median "$p" "$hw" "$(g "rtt:$p")" ms
		csv rtt_p99 "$p" "$hw" "$(g "rtt99:$p")" ms
	done
	for p in vw_sta_ap vw_sta_sta vw_ibss hw_sta_ap; do
		V[rtt:$p:/veth]=$(div "$(g "rtt:$p")" "$(g rtt:veth)")
	done
	MD+=("")
	MD+=("## Association (WPA2-PSK, hostapd + one wpa_supplicant per STA, each in its own netns)")
	MD+=("")
	MD+=("| | vwifi s | hwsim s | vwifi / hwsim |")
	MD+=("|---|---:|---:|---:|")
	MD+=("| 1 STA | $(g assoc1:vw) | $(g assoc1:hw) | $(div "$(g assoc1:vw)" "$(g assoc1:hw)") |")
	MD+=("| $ASSOC STAs at once | $(g assocN:vw) | $(g assocN:hw) | $(div "$(g assocN:vw)" "$(g assocN:hw)") |")
	csv assoc_1 sta vwifi "$(g assoc1:vw)" s; csv assoc_1 sta hwsim "$(g assoc1:hw)" s
	csv "assoc_$ASSOC" sta vwifi "$(g assocN:vw)" s; csv "assoc_$ASSOC" sta hwsim "$(g assocN:hw)" s
	MD+=("")
	MD+=("## STA->AP TCP with many stations (open AP, \`iw connect\`: $MANY wpa_supplicants do not fit the time budget)")
	MD+=("")
	MD+=("| stations associated | vwifi Mbit/s | / veth (same run) |")
	MD+=("|---:|---:|---:|")
	MD+=("| 2 | $(fmt "$(g m2:vw)") | $(g m2:/veth) |")
	MD+=("| $(g mN:count) (of $MANY; connecting took $(g mN:conn_s) s) | $(fmt "$(g mN:vw)") | $(g mN:/veth) |")
	csv tcp_sta_ap_2sta many vwifi "$(g m2:vw)" Mbit/s
	csv "tcp_sta_ap_${MANY}sta" many vwifi "$(g mN:vw)" Mbit/s
	csv "many_${MANY}_vs_2" many vwifi "$(g many:ratio)" ratio
	MD+=("")
	MD+=("## Idle cost of beaconing (open APs, one hostapd, no station; CPU of all CPUs over ${BEACON_S} s)")
	MD+=("")
	MD+=("A vwifi AP sends no beacon while no local station listens; a hwsim radio beacons every interval, and every other radio receives it.")
	MD+=("")
	MD+=("| driver | APs up | CPU ms/s | idle machine ms/s | per AP above idle, us/s |")
	MD+=("|---|---:|---:|---:|---:|")
	for d in vw hw; do
		[ -n "${V[beacon:$d:n]:-}" ] || continue
		hw=$([ "$d" = vw ] && echo vwifi || echo hwsim)
		MD+=("| $([ "$d" = vw ] && echo vwifi || echo mac80211_hwsim) | $(g "beacon:$d:n") | $(g "beacon:$d") | $(g beacon:idle) | $(g "beacon:$d:per_ap") |")
		csv beacon_idle_cpu "$(g "beacon:$d:n")" "$hw" "$(g "beacon:$d")" ms/s
		csv beacon_per_ap "$(g "beacon:$d:n")" "$hw" "$(g "beacon:$d:per_ap")" us/s
	done
	MD+=("")
	MD+=("## Module load/unload and kernel memory per interface")
	MD+=("")
	MD+=("KiB / interface: /proc/meminfo Slab + VmallocUsed + Percpu, after - before, divided by N (after drop_caches and shrinking every slab cache); then those three parts, the bytes of live slab objects (/proc/slabinfo active_objs x objsize: no fragmentation) and MemTotal - MemFree (every page, large kmallocs too, but noisy after the other phases).")
	MD+=("")
	MD+=("| N | driver | interfaces | insmod s | rmmod s | insmod+rmmod s | KiB / interface | slab, vmalloc, percpu; live objects; MemTotal-MemFree |")
	MD+=("|---:|---|---:|---:|---:|---:|---:|---|")
	local n
	for n in $MODN; do
		for d in vw hw veth added; do
			[ -n "${V[ins:$d:$n]:-}" ] || continue
			V[insrm:$d:$n]=$(awk -v a="$(g "ins:$d:$n")" -v b="$(g "rm:$d:$n")" 'BEGIN { if (a == "NA" || b == "NA") print "NA"; else printf "%.3f\n", a + b }')
			MD+=("| $n | $(case $d in vw) echo "vwifi station=$n" ;; hw) echo "hwsim radios=$n" ;; veth) echo "veth ($((n / 2)) pairs, reference)" ;; added) echo "vwifi, added with iw (7 per wiphy)" ;; esac) | $(g "ifs:$d:$n") | $(g "ins:$d:$n") | $(g "rm:$d:$n") | $(g "insrm:$d:$n") | $(g "mem:$d:$n") | $(g "memparts:$d:$n") |")
			csv insmod "$n" "$d" "$(g "ins:$d:$n")" s
			csv rmmod "$n" "$d" "$(g "rm:$d:$n")" s
			csv mem_per_iface "$n" "$d" "$(g "mem:$d:$n")" KiB
		done
	done
	for d in vw veth added; do
		[ -n "${V[slabtop:$d:${MODN##* }]:-}" ] &&
			MD+=("" "Slab caches that grew most, KiB per interface, $d N=${MODN##* }: ${V[slabtop:$d:${MODN##* }]}")
	done
	MD+=("")
	# ----- targets
	local n1 nmax memv ok1000
	read -r n1 _ <<<"$MODN"
	nmax=${MODN##* }
	target "STA->AP TCP / veth" "$(g tcp:vw_sta_ap:/veth)" ">=" 0.90
	target "STA->STA (via AP) TCP / veth" "$(g tcp:vw_sta_sta:/veth)" ">=" 0.80
	target "IBSS TCP / veth" "$(g tcp:vw_ibss:/veth)" ">=" 0.90
	target "vwifi STA->AP / hwsim STA->AP (TCP)" "$(g tcp:vw_sta_ap:/hw)" ">=" 20
	target "ping RTT median STA->AP / veth" "$(g rtt:vw_sta_ap:/veth)" "<=" 1.2 \
		"STA->STA $(g rtt:vw_sta_sta:/veth), IBSS $(g rtt:vw_ibss:/veth)"
	target "STA->AP TCP, $(g mN:count) STAs / 2 STAs" "$(g many:ratio)" ">=" 0.90 \
		"veth-normalised; raw $(fmt "$(g mN:vw)") / $(fmt "$(g m2:vw)") Mbit/s"
	target "associate $ASSOC STAs, vwifi / hwsim" "$(div "$(g assocN:vw)" "$(g assocN:hw)")" "<=" 0.5 \
		"$(g assocN:vw) s / $(g assocN:hw) s"
	target "insmod+rmmod $n1 interfaces, vwifi / hwsim" "$(div "$(g "insrm:vw:$n1")" "$(g "insrm:hw:$n1")")" "<=" 0.5 \
		"$(g "insrm:vw:$n1") s / $(g "insrm:hw:$n1") s"
	target "idle CPU per AP up (no station), vwifi / hwsim" \
		"$(div "$(g beacon:vw:per_ap)" "$(g beacon:hw:per_ap)")" "<=" 0.1 \
		"$(g beacon:vw:per_ap) us/s ($(g beacon:vw:n) APs) / $(g beacon:hw:per_ap) us/s ($(g beacon:hw:n) radios)"
	ok1000=NA
	if [ -n "${V[ifs:vw:$nmax]:-}" ]; then
		ok1000=0
		[ "$(g "ifs:vw:$nmax")" = "$nmax" ] && [ "$(g "rm:vw:$nmax")" != NA ] && ok1000=1
	fi
	target "station=$nmax loads and unloads (1 = yes)" "$ok1000" ">=" 1 \
		"$(g "ifs:vw:$nmax") interfaces, $(g "insrm:vw:$nmax") s"
	memv=$(g "mem:vw:$nmax")
	target "kernel memory per interface (KiB, station=$nmax)" "$memv" "<=" 32 \
		"a bare veth netdev: $(g "mem:veth:$nmax") KiB"
	target "kernel memory of an interface added to a wiphy / a veth netdev" \
		"$(div "$(g "mem:added:$nmax")" "$(g "mem:veth:$nmax")")" "<=" 1.15 \
		"$(g "mem:added:$nmax") KiB / $(g "mem:veth:$nmax") KiB, $nmax of each"
	MD+=("## Targets")
	MD+=("")
	MD+=("| target | measured | goal | status | note |")
	MD+=("|---|---:|---|---|---|")
	MD+=("${TMD[@]}")
	MD+=("")
	MD+=("$NPASS met, $NMISS missed, $NNA not measured")

	printf '%s\n' "${CSV[@]}" >"$OUT/results.csv"
	printf '%s\n' "${TGT[@]}" >"$OUT/ratios.csv"
	printf '%s\n' "${MD[@]}" >"$OUT/bench.md"
	echo
	printf '%s\n' "${MD[@]}"
	echo
	echo "results: $OUT/bench.md $OUT/results.csv $OUT/ratios.csv"
}

# ------------------------------------------------------------------ main
log "vwifi bench on $KREL, module $VWIFI_KO, results in $OUT$([ "$QUICK" = 1 ] && echo ' (QUICK)')"
if [ -d /sys/module/vwifi ]; then
	[ "${VWIFI_LAB:-0}" = 1 ] || die "vwifi is loaded; unload it first (rmmod vwifi)"
	mod_unload vwifi
fi
ns_all_del
if hwsim_available; then HWSIM_OK=1; else log "hwsim rows skipped: $HWSIM_WHY"; fi
modprobe cfg80211 2>/dev/null
for ph in $ONLY; do
	case $ph in
	datapath|assoc|many|beacon|modload) "bench_$ph" ;;
	*) die "unknown phase '$ph' in BENCH_ONLY (datapath assoc many beacon modload)" ;;
	esac
done
report
exit 0
