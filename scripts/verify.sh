#!/bin/bash
# vwifi test runner. Runs as root on a machine that can load vwifi.ko (a lab VM
# started by `make check`, or your own Linux box).
#
#   scripts/verify.sh [--list]
#
# Env: TESTS=regex (case names without t_), VWIFI_KO=path/to/vwifi.ko,
#      VWIFI_CASE_TIMEOUT=180, VWIFI_RESULTS=dir (logs), VERBOSE=1 (print all logs),
#      VWIFI_TIME_SCALE=N (1): case timeouts and wait_for bounds times N (slow
#      kernels: the lab's debug kernel)
#
# Sources scripts/tests/lib.sh and scripts/tests/[0-9][0-9]-*.sh in order; every
# function t_<name> there is a case, run in file order, then definition order.
# Output: "ok - name" / "not ok - name: reason" / "skip - name: reason" per case,
# last line "N passed, N failed[, N skipped]"; exit 1 if any case failed.
#
# Between cases (always): kill what the case started (its session, tracked
# daemons, processes in namespaces it created; in the lab VM also every
# hostapd/wpa_supplicant/iperf3/ping), delete namespaces created since the
# runner started (all of them in the lab VM), rmmod vwifi, require that no vw*
# interface / vw_phy* wiphy remains and that the kernel log of the case has no
# report (BUG/WARNING/KASAN/lockdep/...).
set -u

SELF=$(readlink -f "${BASH_SOURCE[0]}")
HERE=$(dirname "$SELF")
VWIFI_REPO=${VWIFI_REPO:-$(dirname "$HERE")}
TESTDIR=${VWIFI_TESTDIR:-$HERE/tests}
export VWIFI_REPO

if [ -z "${VWIFI_KO:-}" ]; then
	if [ "${VWIFI_LAB:-0}" = 1 ] && [ -f /vwifi-build/vwifi.ko ]; then
		VWIFI_KO=/vwifi-build/vwifi.ko
	else
		VWIFI_KO=$VWIFI_REPO/vwifi.ko
	fi
fi
VWIFI_KO=$(readlink -f "$VWIFI_KO" 2>/dev/null || echo "$VWIFI_KO")
if [ -z "${VWIFI_TOOL:-}" ]; then
	for t in "$(dirname "$VWIFI_KO")/vwifi-tool" "$VWIFI_REPO/vwifi-tool"; do
		[ -x "$t" ] && { VWIFI_TOOL=$t; break; }
	done
fi
VWIFI_TOOL=${VWIFI_TOOL:-}
VWIFI_CASE_TIMEOUT=${VWIFI_CASE_TIMEOUT:-180}
export VWIFI_KO VWIFI_TOOL VWIFI_CASE_TIMEOUT
declare -A CASE_TIMEOUT=()
declare -a CASES=()

# load_cases [quick]: source lib.sh and every test file; fill CASES in run
# order (quick: only source). No forks: an exec costs ~50 ms under TCG.
load_cases() {
	local f n line
	local -A seen=()
	# shellcheck source=scripts/tests/lib.sh
	. "$TESTDIR/lib.sh"
	for n in $(compgen -A function t_); do seen[$n]=1; done
	for f in "$TESTDIR"/[0-9][0-9]-*.sh; do
		[ -f "$f" ] || continue
		# shellcheck disable=SC1090
		. "$f"
		[ "${1:-}" = quick ] && continue
		# definition order as written in the file ...
		while IFS= read -r line; do
			if [[ $line =~ ^[[:space:]]*function[[:space:]]+(t_[A-Za-z0-9_]+) ]] ||
				[[ $line =~ ^[[:space:]]*(t_[A-Za-z0-9_]+)[[:space:]]*\(\) ]]; then
				n=${BASH_REMATCH[1]}
				if [ -z "${seen[$n]:-}" ] && declare -F "$n" >/dev/null; then
					seen[$n]=1
					CASES+=("${n#t_}")
				fi
			fi
		done <"$f"
		# ... then functions defined some other way (eval...)
		for n in $(compgen -A function t_); do
			[ -n "${seen[$n]:-}" ] && continue
			seen[$n]=1
			CASES+=("${n#t_}")
		done
	done
}

# ------------------------------------------------------------- case process
if [ "${1:-}" = --case ]; then
	# internal: run one case; we are a session leader (setsid)
	CASE_NAME=$2
	export CASE_NAME
	load_cases quick
	cd "$CASE_DIR" || exit 1
	echo "$$" >"$CASE_DIR/.pgid"
	read -r kr </proc/sys/kernel/osrelease
	echo "# case $CASE_NAME on $kr, VWIFI_KO=$VWIFI_KO"
	"t_$CASE_NAME"
	exit $?
fi

# ------------------------------------------------------------- runner
[ "$(id -u)" = 0 ] || { echo "verify.sh: must run as root (it loads vwifi.ko)" >&2; exit 2; }
load_cases
if [ "${1:-}" = --list ]; then
	printf '%s\n' "${CASES[@]}"
	exit 0
fi

if [ -z "${VWIFI_RESULTS:-}" ]; then
	VWIFI_RESULTS=$(mktemp -d /tmp/vwifi-verify.XXXXXX)
fi
mkdir -p "$VWIFI_RESULTS/cases"
VWIFI_RESULTS=$(readlink -f "$VWIFI_RESULTS")
export VWIFI_RESULTS
: >"$VWIFI_RESULTS/cases.tsv"

declare -A INIT_NETNS=()
for ns in /run/netns/*; do
	[ -e "$ns" ] && INIT_NETNS[${ns##*/}]=1
done
LAB=${VWIFI_LAB:-0}

echo "# vwifi verify: kernel $(uname -r), module $VWIFI_KO${TESTS:+, TESTS=$TESTS}"
[ -f "$VWIFI_KO" ] || echo "# WARNING: $VWIFI_KO does not exist"
# Load cfg80211 up front so that its own boot messages do not land in a case.
modprobe cfg80211 2>/dev/null
if vw_loaded; then
	echo "# vwifi was loaded before the run; unloading it"
	rmmod vwifi 2>/dev/null
fi

# cleanup_case: returns problems (one per line) on stdout. Bash builtins
# only where it can (an exec costs 50-100 ms under TCG).
cleanup_case() {
	local cd=$1 pg='' p n ns c left
	read -r pg 2>/dev/null <"$cd/.pgid"
	if [ -n "$pg" ] && kill -0 -- "-$pg" 2>/dev/null; then
		kill -TERM -- "-$pg" 2>/dev/null
		sleep 0.3
		kill -KILL -- "-$pg" 2>/dev/null
	fi
	if [ -f "$cd/.pids" ]; then
		while read -r p n; do
			kill -KILL "$p" 2>/dev/null
		done <"$cd/.pids"
	fi
	# namespaces created since the runner started (lab VM: all)
	local -a nss=()
	for ns in /run/netns/*; do
		[ -e "$ns" ] || continue
		[ -n "${INIT_NETNS[${ns##*/}]:-}" ] || nss+=("${ns##*/}")
	done
	# kill what runs in them, and in the lab VM every test daemon
	if [ ${#nss[@]} -gt 0 ] || [ "$LAB" = 1 ]; then
		for p in /proc/[0-9]*; do
			if [ "$LAB" = 1 ] && read -r c 2>/dev/null <"$p/comm"; then
				case $c in
				hostapd|wpa_supplicant|iperf3|ping) kill -KILL "${p#/proc/}" 2>/dev/null; continue ;;
				esac
			fi
			for ns in "${nss[@]}"; do
				[ "$p/ns/net" -ef "/run/netns/$ns" ] && kill -KILL "${p#/proc/}" 2>/dev/null
			done
		done
	fi
	if [ "$LAB" = 1 ]; then
		[ ${#nss[@]} -eq 0 ] || ip -all netns delete 2>/dev/null
	else
		for ns in "${nss[@]}"; do ip netns delete "$ns" 2>/dev/null; done
	fi
	if vw_loaded; then
		local out ok=0
		for _ in {1..20}; do
			out=$(rmmod vwifi 2>&1) && { ok=1; break; }
			sleep 0.5
		done
		[ $ok = 1 ] || echo "rmmod vwifi failed: $out"
	fi
	for _ in {1..25}; do
		left=
		for p in /sys/class/net/vw* /sys/class/ieee80211/vw_phy*; do
			[ -e "$p" ] && left+="${p##*/} "
		done
		[ -z "$left" ] && break
		sleep 0.2
	done
	[ -z "$left" ] || echo "left behind after rmmod: $left"
	return 0
}

pass=0 failn=0 skipn=0
for name in "${CASES[@]}"; do
	if [ -n "${TESTS:-}" ] && ! [[ $name =~ $TESTS ]]; then
		continue
	fi
	CASE_DIR=$VWIFI_RESULTS/cases/$name
	rm -rf "$CASE_DIR"
	mkdir -p "$CASE_DIR"
	export CASE_DIR
	VW_CASE_MARK="vwifi-verify: begin case $name $$.$RANDOM.$SECONDS"
	export VW_CASE_MARK
	echo "<5>$VW_CASE_MARK" >/dev/kmsg
	t=$(( ${CASE_TIMEOUT[$name]:-$VWIFI_CASE_TIMEOUT} * ${VWIFI_TIME_SCALE:-1} ))
	start=$(vw_now_ms)
	VW_CASE_SECONDS=$t timeout -s TERM -k 5 "$t" setsid -w bash "$SELF" --case "$name" \
		</dev/null >"$CASE_DIR/log" 2>&1 3>"$CASE_DIR/.reason"
	rc=$?
	t1=$(vw_now_ms)
	dur=$(( (t1 - start + 500) / 1000 ))
	problems=$(cleanup_case "$CASE_DIR")
	t2=$(vw_now_ms)
	dmesg_since_case >"$CASE_DIR/dmesg"
	reports=$(grep -E "$VW_REPORT_RE" "$CASE_DIR/dmesg")
	status=ok reason=
	if [ $rc -eq 0 ]; then
		:
	elif [ $rc -eq 77 ] && [ -f "$CASE_DIR/.skip" ]; then
		status=skip reason=$(head -n1 "$CASE_DIR/.skip")
	elif [ $rc -eq 124 ] || [ $rc -eq 137 ]; then
		status=fail reason="timed out after ${t}s"
	else
		status=fail
		reason=$(sed '/^$/d' "$CASE_DIR/.reason" 2>/dev/null | head -n1)
		[ -n "$reason" ] || reason="exit status $rc: $(sed '/^$/d' "$CASE_DIR/log" | tail -n1)"
	fi
	if [ -n "$reports" ]; then
		status=fail
		reason="kernel report: $(head -n1 <<<"$reports" | sed 's/^\[[^]]*\] *//')${reason:+ (and: $reason)}"
	fi
	if [ -n "$problems" ] && [ "$status" != fail ]; then
		status=fail reason=$(head -n1 <<<"$problems")
	fi
	case $status in
	ok) echo "ok - $name"; pass=$((pass + 1)) ;;
	skip) echo "skip - $name: $reason"; skipn=$((skipn + 1)) ;;
	fail)
		echo "not ok - $name: $reason"
		failn=$((failn + 1))
		[ -n "$problems" ] && echo "#   cleanup: ${problems//$'\n'/$'\n'#   cleanup: }"
		echo "#   --- log (tail) $CASE_DIR/log"
		tail -n "${VWIFI_LOG_TAIL:-25}" "$CASE_DIR/log" | sed 's/^/#   /'
		if [ -n "$reports" ]; then
			echo "#   --- kernel log of the case (around the first report)"
			first=$(grep -nE "$VW_REPORT_RE" "$CASE_DIR/dmesg" | head -n1 | cut -d: -f1)
			sed -n "$(( first > 10 ? first - 10 : 1 )),$(( first + 30 ))p" "$CASE_DIR/dmesg" | sed 's/^/#   /'
		fi
		;;
	esac
	if [ "${VERBOSE:-0}" = 1 ] && [ "$status" != fail ]; then
		sed 's/^/#   /' "$CASE_DIR/log"
	fi
	# name, status, seconds, reason, ms: case, cleanup, checks
	printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$name" "$status" "$dur" "$reason" \
		"$((t1 - start))" "$((t2 - t1))" "$(( $(vw_now_ms) - t2 ))" >>"$VWIFI_RESULTS/cases.tsv"
done

echo "$pass $failn $skipn" >"$VWIFI_RESULTS/verify-summary"
if [ $skipn -gt 0 ]; then
	echo "$pass passed, $failn failed, $skipn skipped"
else
	echo "$pass passed, $failn failed"
fi
[ $failn -eq 0 ]
