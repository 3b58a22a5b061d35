#!/bin/bash
# Runs inside the lab VM on the debug kernel (`make check-debug`):
# scripts/verify.sh (TESTS=...), then two kmemleak scans. A suspected leak
# with vwifi in its allocation backtrace fails the run: it is counted as one
# more failed case, "kmemleak", and printed. All suspects: kmemleak.txt in the
# results dir.
#
# kmemleak symbolizes a backtrace when it is read, and by then vwifi has been
# unloaded: its frames print as bare addresses (0xffffffffc...). So a poller
# records where every load of vwifi lived (/proc/modules, and the .init.text
# of /sys/module/vwifi) and bare addresses are matched against that. A load
# shorter than the poll interval (an insmod that fails) can be missed: leaks
# with bare module addresses outside every recorded area are listed, not failed.
set -u
cd "$(dirname "$0")/.." || exit 1
# KASAN and lockdep under TCG: everything takes 3-6 times as long
export VWIFI_TIME_SCALE=${VWIFI_TIME_SCALE:-4}
res=${VWIFI_RESULTS:-/tmp}
kml=/sys/kernel/debug/kmemleak
ranges=$res/vwifi-ranges
: >"$ranges"
# size of vwifi's .init.text (freed after init: /sys/module/vwifi/initsize is 0 then)
isz=$(readelf -SW "${VWIFI_KO:-/vwifi-build/vwifi.ko}" 2>/dev/null |
	awk '{ for (i = 1; i < NF; i++) if ($i == ".init.text") print $(i + 4) }')
isz=$((16#${isz:-1000}))

# poll_modules: append "start size" of each new vwifi core and init area to
# $ranges, 5 times a second (bash builtins only: an exec costs ~50 ms here)
poll_modules() {
	local fd n size a last='' it
	exec {fd}<> <(:)
	while :; do
		while read -r n size _ _ _ a _; do
			if [ "$n" != vwifi ] || [ "$a" = "$last" ]; then continue; fi
			last=$a
			echo "$a $size" >>"$ranges"
			read -r it 2>/dev/null </sys/module/vwifi/sections/.init.text &&
				echo "$it $isz" >>"$ranges"
		done </proc/modules
		read -r -t 0.2 -u "$fd" _
	done
}
poll_modules &
poller=$!

rc=0
./scripts/verify.sh || rc=$?
kill "$poller" 2>/dev/null
wait "$poller" 2>/dev/null

# ------------------------------------------------------------ kmemleak
# in_vwifi ADDR: is ADDR (0x...) inside a recorded vwifi area?
declare -a R_START=() R_SIZE=()
while read -r a s; do
	[ -n "$a" ] && R_START+=("$((a))") && R_SIZE+=("$((s))")
done <"$ranges"
in_vwifi() {
	local x=$(($1)) i
	for i in "${!R_START[@]}"; do
		[ "$x" -ge "${R_START[$i]}" ] && [ "$x" -lt $((R_START[i] + R_SIZE[i])) ] && return 0
	done
	return 1
}

t0=$SECONDS
why=
if ! [ -w "$kml" ]; then
	why="no $kml (kmemleak not built in, or debugfs not mounted)"
elif ! { echo scan >"$kml" && sleep 5 && echo scan >"$kml"; } 2>"$res/kmemleak.err"; then
	why="kmemleak scan failed: $(head -n1 "$res/kmemleak.err") (kmemleak disabled? see dmesg)"
fi
cat "$kml" >"$res/kmemleak.txt" 2>/dev/null
# split into leaks; keep those with a vwifi frame
nall=0 nvw=0 nbare=0 block='' vw=0 bare=0
: >"$res/kmemleak-vwifi.txt"
: >"$res/kmemleak-unloaded.txt"
flush() {
	[ -n "$block" ] || return 0
	nall=$((nall + 1))
	if [ $vw = 1 ]; then
		nvw=$((nvw + 1))
		printf '%s' "$block" >>"$res/kmemleak-vwifi.txt"
	elif [ $bare = 1 ]; then
		nbare=$((nbare + 1))
		printf '%s' "$block" >>"$res/kmemleak-unloaded.txt"
	fi
	block='' vw=0 bare=0
}
while IFS= read -r line; do
	case $line in
	"unreferenced object "*) flush ;;
	esac
	block+="$line"$'\n'
	case $line in
	*vwifi*) vw=1 ;;
	*"] 0x"*)
		if in_vwifi "${line##*] }"; then
			vw=1
			block+="      (^ in vwifi: a recorded load area)"$'\n'
		else
			bare=1
		fi ;;
	esac
done <"$res/kmemleak.txt"
flush

verdict=ok reason=
if [ -n "$why" ]; then
	verdict=fail reason=$why
	echo "not ok - kmemleak: $why"
elif [ $nvw -gt 0 ]; then
	verdict=fail reason="$nvw suspected leak(s) with vwifi in the backtrace"
	echo "not ok - kmemleak: $reason (of $nall; $res/kmemleak-vwifi.txt)"
	sed 's/^/#   /' "$res/kmemleak-vwifi.txt" | head -n 200
else
	echo "ok - kmemleak ($nall suspected leak(s), none from vwifi; ${#R_START[@]} vwifi areas recorded; scan $((SECONDS - t0)) s)"
fi
if [ $nbare -gt 0 ]; then
	echo "# kmemleak: $nbare other leak(s) with frames of an unloaded module outside the recorded vwifi areas"
	echo "#   (mac80211_hwsim? or a vwifi load the poller missed): $res/kmemleak-unloaded.txt"
	sed 's/^/#   /' "$res/kmemleak-unloaded.txt" | head -n 60
fi
printf 'kmemleak\t%s\t%s\t%s\n' "$verdict" "$((SECONDS - t0))" "$reason" >>"$res/cases.tsv"
if [ -f "$res/verify-summary" ]; then
	read -r p f s <"$res/verify-summary"
	if [ $verdict = ok ]; then p=$((p + 1)); else f=$((f + 1)); fi
	echo "$p $f $s" >"$res/verify-summary"
	if [ "${s:-0}" -gt 0 ]; then
		echo "with kmemleak: $p passed, $f failed, $s skipped"
	else
		echo "with kmemleak: $p passed, $f failed"
	fi
fi
[ $verdict = ok ] || rc=1
exit $rc
