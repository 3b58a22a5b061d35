#!/bin/bash
# Multi-guest cases of vwifi's virtio mode (scripts/tests/virtio/, names
# virtio_*): scripts/vmnet.sh boots the guests of KERNEL once on a private
# bridge (as many as the selected cases need), each guest runs the selected
# cases with scripts/verify.sh (together, in file order), and this script
# merges the guests' results into one line per case.
#
#   scripts/vmnet-check.sh KERNEL [--build DIR] [--results DIR]
#   scripts/vmnet-check.sh KERNEL --list      (name, guests, case bound)
#
# Env: TESTS (regex on case names, as verify.sh), VMNET_TIMEOUT (per guest;
# default: the sum of the selected cases' bounds + 180 s), VW_FUZZ_SEED /
# VW_FUZZ_COUNT (virtio_fuzz), VERBOSE=1 (all guest logs).
# --build: dir with the vwifi.ko built for KERNEL (default: its lab build dir).
# The cases are skipped, without booting, when that vwifi.ko has no `virtio`
# parameter (modinfo -p). A case passes when every guest it uses passed it (a
# guest killed on request has nothing to report); it fails when one of them
# failed it, or did not get to report (VM timeout, crash), or when the kernel
# log of a guest has a report (as vm.sh) while it ran the case.
# Output: "ok - name" / "not ok - name: reason" / "skip - name: reason" per
# case, then "N passed, N failed[, N skipped]"; DIR/virtio-summary ("P F S"),
# DIR/cases.tsv (name, status, seconds, reason), DIR/vmnet/ = the vmnet.sh
# results (gI/cases/<case>/log: guest I's log of a case). Exit 1 if a case failed.
set -u

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=scripts/lab.sh
. "$HERE/lab.sh"

usage() { sed -n '2,24p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2; }

KERNEL=${1:-}
[ -n "$KERNEL" ] || usage
shift
BUILD=
RESULTS=
LIST=0
while [ $# -gt 0 ]; do
	case $1 in
	--build) BUILD=$2; shift 2 ;;
	--results) RESULTS=$2; shift 2 ;;
	--list) LIST=1; shift ;;
	*) usage ;;
	esac
done
VTESTS=$LAB_REPO/scripts/tests/virtio

# The case table, from the case files themselves (t_virtio_* functions in file
# order, VNET_GUESTS, CASE_TIMEOUT, VNET_HOST, VNET_SITE_B), read in a subshell.
mapfile -t TABLE < <(
	VWIFI_REPO=$LAB_REPO
	declare -A CASE_TIMEOUT=()
	# shellcheck source=scripts/tests/virtio/lib.sh
	. "$VTESTS/lib.sh" || exit 1
	names=()
	for f in "$VTESTS"/[0-9][0-9]-*.sh; do
		# shellcheck disable=SC1090
		. "$f" || exit 1
		mapfile -t -O "${#names[@]}" names < <(sed -nE 's/^[[:space:]]*(function[[:space:]]+)?t_(virtio_[A-Za-z0-9_]+).*/\2/p' "$f")
	done
	for n in "${names[@]}"; do
		printf '%s\t%s\t%s\t%s\t%s\n' "$n" "${VNET_GUESTS[$n]:-2}" "${CASE_TIMEOUT[$n]:-180}" \
			"${VNET_SITE_B[$n]:-0}" "${VNET_HOST[$n]:-}"
	done
)
if [ "$LIST" = 1 ]; then
	printf '%s\n' "${TABLE[@]}" | cut -f1-3
	exit 0
fi
[ ${#TABLE[@]} -gt 0 ] || lab_die "vmnet-check: no virtio_* case in $VTESTS"

# the selected cases
declare -a NAMES=()
declare -A NG=()
guests=1 bound=0 hostcmd="" site_b=0
for row in "${TABLE[@]}"; do
	IFS=$'\t' read -r name ng ctmo sb hcmd <<<"$row"
	if [ -n "${TESTS:-}" ] && ! [[ $name =~ $TESTS ]]; then
		continue
	fi
	NAMES+=("$name")
	NG[$name]=$ng
	[ "$ng" -gt "$guests" ] && guests=$ng
	# one boot, one topology: the first selected case that asks for two sites
	[ "$site_b" = 0 ] && site_b=$sb
	bound=$((bound + ctmo))
	[ -n "$hcmd" ] && hostcmd+="( $hcmd ) & "
done
[ ${#NAMES[@]} -gt 0 ] || exit 0

[ -n "$BUILD" ] || BUILD=$(lab_builddir "$KERNEL")
[ -d "$BUILD" ] || lab_die "vmnet-check: no build dir $BUILD"
BUILD=$(cd "$BUILD" && pwd)
[ -f "$BUILD/vwifi.ko" ] || lab_die "vmnet-check: no $BUILD/vwifi.ko (scripts/lab.sh build $KERNEL)"
if [ -z "$RESULTS" ]; then
	mkdir -p "$LAB_CACHE/runs"
	RESULTS=$(mktemp -d "$LAB_CACHE/runs/$(date +%Y%m%d-%H%M%S)-$KERNEL-virtio-XXXX")
fi
mkdir -p "$RESULTS"
RESULTS=$(cd "$RESULTS" && pwd)
: >"$RESULTS/cases.tsv"
rm -f "$RESULTS/virtio-summary"
res=$RESULTS/vmnet

pass=0 failn=0 skipn=0
# result NAME STATUS SECONDS REASON [GUEST...]: print and count one case; the
# logs of the GUESTs (those that did not pass) are shown when it failed
result() {
	local name=$1 st=$2 dur=$3 reason=$4 i log
	shift 4
	case $st in
	ok) echo "ok - $name"; pass=$((pass + 1)) ;;
	skip) echo "skip - $name: $reason"; skipn=$((skipn + 1)) ;;
	*)
		st=fail
		echo "not ok - $name: $reason"
		failn=$((failn + 1))
		for i in "$@"; do
			log=$res/g$i/cases/$name/log
			[ -s "$log" ] || continue
			echo "#   --- guest $i: log (tail) $log"
			tail -n "${VWIFI_LOG_TAIL:-12}" "$log" | sed 's/^/#   /'
		done
		;;
	esac
	if [ "${VERBOSE:-0}" = 1 ] && [ "$st" != fail ]; then
		for ((i = 1; i <= NG[$name]; i++)); do
			log=$res/g$i/cases/$name/log
			[ -s "$log" ] && sed "s/^/#   g$i: /" "$log"
		done
	fi
	printf '%s\t%s\t%s\t%s\n' "$name" "$st" "$dur" "$reason" >>"$RESULTS/cases.tsv"
}

finish() {
	echo "$pass $failn $skipn" >"$RESULTS/virtio-summary"
	if [ $skipn -gt 0 ]; then
		echo "$pass passed, $failn failed, $skipn skipped"
	else
		echo "$pass passed, $failn failed"
	fi
	[ $failn -eq 0 ]
	exit
}

if ! modinfo -p "$BUILD/vwifi.ko" 2>/dev/null | grep -q '^virtio:'; then
	for name in "${NAMES[@]}"; do
		result "$name" skip 0 "vwifi.ko has no virtio parameter (modinfo -p $BUILD/vwifi.ko)"
	done
	finish
fi

# ---------------------------------------------------------------- run
echo "# multi-guest cases (virtio mode), one boot of $guests guests of $KERNEL: ${NAMES[*]}"
sel=$(IFS='|'; echo "${NAMES[*]}")
rm -rf "$res"
t0=$SECONDS
vrc=0
export VW_REPO=$LAB_REPO
[ -n "${VW_FUZZ_SEED:-}" ] && export VW_FUZZ_SEED
[ -n "${VW_FUZZ_COUNT:-}" ] && export VW_FUZZ_COUNT
TESTS="^($sel)\$" "$HERE/vmnet.sh" "$KERNEL" --guests "$guests" --site-b "$site_b" \
	--timeout "${VMNET_TIMEOUT:-$((bound + 180))}" --results "$res" --build "$BUILD" --quiet \
	${hostcmd:+--host "${hostcmd}wait"} \
	-- env VWIFI_TESTDIR=/vwifi/scripts/tests/virtio ./scripts/verify.sh &
vpid=$!
# pass our death on to vmnet.sh (it stops the guests and deletes its netns)
trap 'kill -TERM $vpid 2>/dev/null; wait $vpid; echo "vmnet-check: interrupted" >&2; exit 130' INT TERM HUP
wait $vpid || vrc=$?
trap - INT TERM HUP
elapsed=$((SECONDS - t0))

# ---------------------------------------------------------------- merge
# Per guest: its vm status, whether it was killed on request, its case rows;
# a kernel report that verify.sh did not pin on a case (a killed guest's
# console, after the last case) goes to the case the guest was in.
declare -A GST=() GKILLED=() GREPORT=() CST=() CRS=() CDUR=()
for ((i = 1; i <= guests; i++)); do
	gl=$(grep "^g$i " "$res/vmnet.result" 2>/dev/null)
	GST[$i]=$(sed -n 's/.* status=\([^ ]*\).*/\1/p' <<<"$gl")
	[[ $gl == *" killed=1"* ]] && GKILLED[$i]=1
	if [ -s "$res/g$i/cases.tsv" ]; then
		while IFS=$'\t' read -r n st d r _; do
			CST[$i,$n]=$st CRS[$i,$n]=$r CDUR[$i,$n]=$d
		done <"$res/g$i/cases.tsv"
	fi
	if [ "${GST[$i]}" = report ]; then
		GREPORT[$i]=$(grep -m1 '^  >>' "$res/g$i/vm.log" 2>/dev/null | sed 's/^  >> *[0-9]* //')
		pinned=
		for n in "${NAMES[@]}"; do
			[[ ${CRS[$i,$n]:-} == "kernel report"* ]] && pinned=1
		done
		if [ -z "$pinned" ]; then
			last=
			for n in "${NAMES[@]}"; do
				[ "$i" -le "${NG[$n]}" ] || continue
				last=$n
				[ -n "${CST[$i,$n]:-}" ] || break
			done
			[ -n "$last" ] && CST[$i,$last]=fail CRS[$i,$last]="kernel report: ${GREPORT[$i]}"
		fi
	fi
done
for name in "${NAMES[@]}"; do
	fails=() later=() skips=() bad=()
	dur=0
	for ((i = 1; i <= NG[$name]; i++)); do
		st=${CST[$i,$name]:-} r=${CRS[$i,$name]:-}
		[ "${CDUR[$i,$name]:-0}" -gt "$dur" ] && dur=${CDUR[$i,$name]}
		[ "$st" = ok ] || bad+=("$i")
		case $st in
		ok) ;;
		skip) skips+=("$r") ;;
		fail)
			# guests that gave up because another one failed: named last
			if [[ $r == "waiting for "*" failed ("* ]]; then
				later+=("$i")
			else
				fails+=("guest $i: $r")
			fi
			;;
		*)
			# no result: killed on request during this case is fine
			if [ -n "${GKILLED[$i]:-}" ] && [ -e "$res/shared/$name/kill-requested-g$i" ]; then
				:
			elif [ -n "${GKILLED[$i]:-}" ]; then
				killed_in=
				for n in "${NAMES[@]}"; do
					[ -e "$res/shared/$n/kill-requested-g$i" ] && killed_in=$n
				done
				fails+=("guest $i: no result (killed${killed_in:+ in $killed_in})")
			else
				case ${GST[$i]} in
				timeout) fails+=("guest $i: no result (VM timed out)") ;;
				report) fails+=("guest $i: no result (kernel report: ${GREPORT[$i]})") ;;
				*) fails+=("guest $i: no result (VM ${GST[$i]:-did not start}; see $res/g$i/vm.log)") ;;
				esac
			fi
			;;
		esac
	done
	if [ ${#later[@]} -gt 0 ]; then
		if [ ${#fails[@]} -gt 0 ]; then
			fails+=("guest${later[1]:+s} ${later[*]} gave up waiting")
		else
			fails+=("guest ${later[0]}: ${CRS[${later[0]},$name]}")
		fi
	fi
	if [ ${#fails[@]} -gt 0 ]; then
		reason=$(printf '%s; ' "${fails[@]}")
		result "$name" fail "$dur" "${reason%; }" "${bad[@]}"
	elif [ ${#skips[@]} -gt 0 ]; then
		result "$name" skip "$dur" "${skips[0]}"
	else
		result "$name" ok "$dur" ""
	fi
done
if [ "$vrc" -ne 0 ] && [ "$failn" -eq 0 ]; then
	# not pinned on any case: count one failure
	echo "not ok - virtio_lab: scripts/vmnet.sh exit status $vrc ($(tail -n1 "$res/vmnet.result" 2>/dev/null))"
	failn=$((failn + 1))
fi
grep -E '^vm\.sh:|^  >>' "$res"/g*/vm.log 2>/dev/null | grep -v 'QEMU killed on request' | sed "s|^$res/||; s/^/# /" | head -n 20
echo "# multi-guest run: $guests guests, ${elapsed}s (results $res)"
finish
