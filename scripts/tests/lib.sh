# shellcheck shell=bash
# Helpers for vwifi test cases (sourced by scripts/verify.sh; bash).
#
# A case is a function t_<name> in scripts/tests/NN-*.sh. It runs as root in
# its own bash process (new session), with cwd = $CASE_DIR (per-case scratch
# and log dir). It passes by returning 0 and fails by returning non-zero.
#   cond || fail "reason"     fail: record the reason, exit the case (status 1)
#   skip "reason"             skip: exit the case as skipped
# Inside a $(...) or a pipeline, fail/skip only leave that subshell: write
#   x=$(...) || fail "..."    in the case body.
# Longer timeout for one case (default $VWIFI_CASE_TIMEOUT, 180 s), at file level:
#   CASE_TIMEOUT[name]=600
#
# Environment: VWIFI_KO (module), VWIFI_TOOL (vwifi-tool if built),
# VWIFI_REPO (repo root), CASE_NAME, CASE_DIR, VWIFI_LAB=1 in the lab VM.

# Kernel log patterns that fail a case (and a lab VM run).
VW_REPORT_RE='BUG:|Oops|WARNING:|KASAN|UBSAN|possible circular locking|suspicious RCU usage|inconsistent lock state|refcount_t|soft lockup|hung task|blocked for more than|general protection fault|kernel BUG|Kernel panic|rcu_(sched|preempt) (self-)?detected stall|unreferenced object|possible recursive locking|sleeping function called from invalid context'
# Kernel messages of level warning and above that are expected: tainting by an
# out-of-tree, unsigned module, and timing noise of an emulated (TCG) machine.
VW_DMESG_ALLOW_RE='loading out-of-tree module taints kernel|module verification failed: signature and/or required key missing|clocksource: |hrtimer: interrupt took|sched: RT throttling activated|perf: interrupt took too long|[Mm]arking TSC unstable|TSC found unstable|workqueue: .* hogged CPU'

# ------------------------------------------------------------------ results
fail() {
	{ echo "$*" >&3; } 2>/dev/null
	echo "FAIL: $*" >&2
	exit 1
}

skip() {
	[ -n "${CASE_DIR:-}" ] && echo "$*" >"$CASE_DIR/.skip"
	echo "SKIP: $*" >&2
	exit 77
}

# info MSG: a line in the case log (shown on failure)
info() { echo "# $*" >&2; }

# need CMD...: skip the case unless every command exists
need() {
	local c
	for c in "$@"; do
		command -v "$c" >/dev/null 2>&1 || skip "needs $c"
	done
}

# ------------------------------------------------------------------ polling
# wait_for SECONDS cmd...: poll every 0.2 s until cmd succeeds; 1 on timeout
# (after SECONDS * VWIFI_TIME_SCALE)
wait_for() {
	local t=$1 end ms frac
	shift
	frac=0
	[[ $t == *.* ]] && { frac=${t#*.}000; frac=$((10#${frac:0:3})); }
	ms=$(( (${t%.*} * 1000 + frac) * ${VWIFI_TIME_SCALE:-1} ))
	end=$(( $(vw_now_ms) + ms ))
	while :; do
		"$@" >/dev/null 2>&1 && return 0
		[ "$(vw_now_ms)" -lt "$end" ] || return 1
		sleep 0.2
	done
}

# vw_now_ms: wall clock in milliseconds (no fork with bash >= 5)
vw_now_ms() {
	if [ -n "${EPOCHREALTIME:-}" ]; then
		local t=${EPOCHREALTIME//[!0-9]/}
		echo $(( 10#$t / 1000 ))
	else
		echo $(( $(date +%s%N) / 1000000 ))
	fi
}

# ------------------------------------------------------------------ module
vw_loaded() { [ -d /sys/module/vwifi ]; }

# vw_insmod [params...]: try to load; status of insmod, its error on stderr
vw_insmod() {
	modprobe cfg80211 2>/dev/null
	[ -f "$VWIFI_KO" ] || { echo "module not found: VWIFI_KO=$VWIFI_KO" >&2; return 2; }
	insmod "$VWIFI_KO" "$@"
}

# vw_load [params...]: load vwifi or fail the case with insmod's error
vw_load() {
	local out
	out=$(vw_insmod "$@" 2>&1) || fail "insmod vwifi $*: ${out:-failed}"
	vw_loaded || fail "insmod vwifi $* succeeded but /sys/module/vwifi is missing"
}

# vw_unload: rmmod vwifi (if loaded) or fail
vw_unload() {
	local out
	vw_loaded || return 0
	for _ in {1..10}; do
		out=$(rmmod vwifi 2>&1) && return 0
		sleep 0.5
	done
	fail "rmmod vwifi: $out"
}

# vw_ifaces: names of vw* network interfaces in the current netns
vw_ifaces() {
	local d
	for d in /sys/class/net/vw*; do
		[ -e "$d" ] && echo "${d##*/}"
	done
	return 0
}

# vw_phys: names of vw_phy* wiphys (all namespaces)
vw_phys() {
	local d
	for d in /sys/class/ieee80211/vw_phy*; do
		[ -e "$d" ] && echo "${d##*/}"
	done
	return 0
}

# phy_of IFACE: wiphy name of IFACE (in the current netns)
phy_of() {
	local name idx l
	if read -r name 2>/dev/null <"/sys/class/net/$1/phy80211/name"; then
		echo "$name"
		return 0
	fi
	# sysfs not remounted for this netns: ask nl80211
	idx=$(iw dev "$1" info 2>/dev/null | awk '$1 == "wiphy" { print $2; exit }')
	[ -n "$idx" ] || { echo "phy_of: no wireless interface $1" >&2; return 1; }
	for l in /sys/class/ieee80211/*; do
		read -r name 2>/dev/null <"$l/index" || continue
		[ "$name" = "$idx" ] && { echo "${l##*/}"; return 0; }
	done
	return 1
}

# ------------------------------------------------------------------ netns
# in_ns NS cmd...: run cmd (a command or a shell function of the case) in NS
in_ns() {
	local ns=$1
	shift
	if declare -F "$1" >/dev/null; then
		ip netns exec "$ns" bash -c "$(declare -f); $(declare -p VW_REPORT_RE VW_DMESG_ALLOW_RE 2>/dev/null); $(printf '%q ' "$@")"
	else
		ip netns exec "$ns" "$@"
	fi
}

# ns_exists NS
ns_exists() { [ -e "/run/netns/$1" ]; }

# move_to_ns IFACE NS: create NS if needed, move IFACE's wiphy (with all of its
# interfaces) into it
move_to_ns() {
	local ifc=$1 ns=$2 phy out
	ns_exists "$ns" || ip netns add "$ns" || fail "ip netns add $ns"
	phy=$(phy_of "$ifc") || fail "move_to_ns: $ifc has no wiphy"
	out=$(iw phy "$phy" set netns name "$ns" 2>&1) || fail "iw phy $phy set netns name $ns: $out"
	wait_for 5 ip netns exec "$ns" ip link show "$ifc" || fail "$ifc did not appear in netns $ns"
}

# ------------------------------------------------------------------ processes
# bg NAME cmd...: start cmd in the background, tracked for cleanup;
# output in $CASE_DIR/NAME.log; pid in BG_PID and via bg_pid NAME
bg() {
	local name=$1
	shift
	"$@" >"$CASE_DIR/$name.log" 2>&1 &
	BG_PID=$!
	echo "$BG_PID $name" >>"$CASE_DIR/.pids"
	# shellcheck disable=SC2034
	echo "$BG_PID" >"$CASE_DIR/$name.pid"
}

bg_pid() { cat "$CASE_DIR/$1.pid"; }
bg_log() { echo "$CASE_DIR/$1.log"; }

# bg_stop NAME: stop a background command (TERM, then KILL)
bg_stop() {
	local p
	p=$(bg_pid "$1" 2>/dev/null) || return 0
	kill -TERM "$p" 2>/dev/null || return 0
	wait_for 3 eval "! kill -0 $p" || kill -KILL "$p" 2>/dev/null
	wait "$p" 2>/dev/null
	return 0
}

# bg_alive NAME
bg_alive() { kill -0 "$(bg_pid "$1" 2>/dev/null)" 2>/dev/null; }

# ------------------------------------------------------------------ kernel log
# kmsg MSG: write a line into the kernel log
kmsg() { echo "<5>vwifi-test: $*" >/dev/kmsg; }

# dmesg_since_case [MAXLEVEL]: kernel log lines produced since this case
# started. MAXLEVEL (emerg alert crit err warn notice info debug, or 0-7)
# keeps kernel messages of that level or more severe (userspace lines dropped).
dmesg_since_case() {
	local max=7 lv
	case ${1:-} in
	'') ;;
	emerg) max=0 ;; alert) max=1 ;; crit) max=2 ;; err) max=3 ;;
	warn) max=4 ;; notice) max=5 ;; info) max=6 ;; debug) max=7 ;;
	[0-7]) max=$1 ;;
	*) echo "dmesg_since_case: bad level $1" >&2; return 2 ;;
	esac
	lv=${1:+1}
	dmesg -r 2>/dev/null | awk -v mark="${VW_CASE_MARK:-}" -v max="$max" -v filt="${lv:-0}" '
		mark != "" && index($0, mark) { n = NR; delete buf; cnt = 0; next }
		{ buf[++cnt] = $0 }
		END {
			for (i = 1; i <= cnt; i++) {
				l = buf[i]
				if (match(l, /^<[0-9]+>/)) {
					pri = substr(l, 2, RLENGTH - 2) + 0
					l = substr(l, RLENGTH + 1)
				} else pri = 6
				if (filt && (pri >= 8 || pri % 8 > max)) continue
				print l
			}
		}'
}

# kernel_warnings: warning-or-worse kernel messages since case start, minus
# the expected taint messages; empty output = clean
kernel_warnings() {
	dmesg_since_case warn | grep -Ev "$VW_DMESG_ALLOW_RE"
	return 0
}

# kernel_reports: report lines (BUG/WARNING/...) since case start
kernel_reports() {
	dmesg_since_case | grep -E "$VW_REPORT_RE"
	return 0
}

# ------------------------------------------------------------------ misc
# count_lines: number of non-empty lines on stdin
count_lines() { grep -c . || true; }
