#!/bin/bash
# vwifi test lab helpers: kernel matrix resolution, per-kernel module builds,
# and the `make check` / `make demo` drivers.
#
#   scripts/lab.sh kver    KERNEL      print the KVER of KERNEL (6.1, 6.12, sid, debug)
#   scripts/lab.sh root    KERNEL      print the root filesystem shared with its VM
#   scripts/lab.sh vmlinuz KERNEL      print the kernel image path
#   scripts/lab.sh info    [KERNEL..]  all of the above
#   scripts/lab.sh build   KERNEL      build vwifi.ko (+ vwifi-tool) for KERNEL
#   scripts/lab.sh check   [KERNEL..]  build + boot + scripts/verify.sh (the whole suite on
#                                      the last KERNEL and those of LAB_FULL_KERNELS, the
#                                      LAB_COMPAT_TESTS cases on the others; TESTS= wins), then
#                                      (on the last KERNEL, or those of VIRTIO_KERNELS) the
#                                      multi-guest virtio cases (scripts/vmnet-check.sh),
#                                      matrix summary
#   scripts/lab.sh demo    [KERNEL]    boot KERNEL (default: sid) and run scripts/demo.sh
#   scripts/lab.sh bench   [KERNEL..]  build + boot each, run scripts/bench.sh (results: $LAB_CACHE/bench/KERNEL/)
#
# `debug` is the KASAN/UBSAN/kmemleak/lockdep kernel of scripts/debug-kernel.sh
# (not in the default set: `make check-debug`).
#
# This file can also be sourced (by vm.sh) for its functions.
set -u

LAB_CACHE=${LAB_CACHE:-/var/cache/vwifi-lab}
LAB_SID=${LAB_SID:-$LAB_CACHE/sid}
LAB_REPO=${LAB_REPO:-$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)}
# Where the module sources come from (override to build a throwaway module).
LAB_SRC=${LAB_SRC:-$LAB_REPO}
LAB_KERNELS_DEFAULT="6.1 6.12 sid"
# What `make check` runs on the kernels of its matrix other than the last (the
# newest), unless TESTS is given or the kernel is in LAB_FULL_KERNELS: the cases
# whose driver paths or kernel interfaces differ between kernel versions (the
# compatibility wrappers: connect, keys, station info, AP changes, tx power,
# interface types, netns moves, channel and survey; nl80211 under fuzzing; the
# 6.1 disconnect race). The last kernel runs the whole suite; so does
# `make check-full` on every kernel.
LAB_COMPAT_TESTS='^(load_station_3|infra_(wpa2|wrong_psk|open_iw|deauth|stats|ap_isolate|rekey|address_change|roam|bss_tm)|scan_(sees_ap|concurrent_and_abort|probe_resp_or_beacon|probe_frames)|ibss_(rsn|beacons)|tool_(raw_netlink|radio_add_del|link_rules|deny_beacon_loss|sme_retry|beacons|scan_beacons|deauth_frames)|iwd_ap|iw_list|iface_(add_del|added_in_netns)|txpower|iftype_changes|rmmod_(connected|after_netns_delete)|netns_roundtrip|info_[a-z_]+|medium_(remote_(ap|sta|ap_ht40|data)|probe|monitor)|monitor_(capture|rmmod)|stress_(disconnect_iftype|nl80211_fuzz))$'
# Patterns that mark a kernel report (bug, warning, lockup...) in a kernel log.
# shellcheck disable=SC2034  # used by vm.sh
LAB_REPORT_RE='BUG:|Oops|WARNING:|KASAN|UBSAN|possible circular locking|suspicious RCU usage|inconsistent lock state|refcount_t|soft lockup|hung task|blocked for more than|general protection fault|kernel BUG|Kernel panic|rcu_(sched|preempt) (self-)?detected stall|unreferenced object|possible recursive locking|sleeping function called from invalid context'

lab_die() { echo "lab: $*" >&2; exit 1; }

# lab_root KERNEL: root filesystem of that kernel's userspace (shared with the VM)
lab_root() {
	case $1 in
	6.1|6.12|debug) echo / ;;
	sid) echo "$LAB_SID" ;;
	*) echo "lab: unknown kernel '$1' (known: $LAB_KERNELS_DEFAULT debug)" >&2; return 1 ;;
	esac
}

# lab_image KERNEL KVER: where the image of that KVER is (or would be)
lab_image() {
	case $1 in
	debug) echo "$LAB_CACHE/debug/vmlinuz-$2" ;;
	*) local root; root=$(lab_root "$1") || return 1; echo "${root%/}/boot/vmlinuz-$2" ;;
	esac
}

# lab_kver KERNEL: newest installed generic amd64 flavour (not rt/cloud) with
# headers (build link) and an image.
lab_kver() {
	local root pat d k best=
	root=$(lab_root "$1") || return 1
	case $1 in
	6.1) pat='6.1.*-amd64' ;;
	6.12) pat='6.12.*-amd64' ;;
	sid) pat='*-amd64' ;;
	debug) pat='*-vwifi-debug' ;;
	esac
	for d in "${root%/}"/lib/modules/$pat; do
		[ -d "$d" ] || continue
		k=${d##*/}
		case $k in *-rt-amd64|*-cloud-amd64) continue ;; esac
		[ -e "$d/build/Makefile" ] || continue
		[ -e "$(lab_image "$1" "$k")" ] || continue
		best=$(printf '%s\n%s\n' "$best" "$k" | sed '/^$/d' | sort -V | tail -n1)
	done
	[ -n "$best" ] || { echo "lab: no usable kernel for '$1' under ${root%/}/lib/modules (run scripts/$([ "$1" = debug ] && echo debug-kernel || echo deps).sh)" >&2; return 1; }
	echo "$best"
}

lab_vmlinuz() {
	local kver
	kver=$(lab_kver "$1") || return 1
	lab_image "$1" "$kver"
}

lab_builddir() { echo "$LAB_CACHE/build/$1"; }

# lab_build KERNEL [DIR]: copy sources into DIR (default: the kernel's build
# dir under the cache), build vwifi.ko with W=1 (and vwifi-tool).
# Any warning fails. Log: DIR.log; status ("ok", "failed", "warnings N"): DIR.status
lab_build() {
	local k=$1 root kver bdir log f rc=0
	root=$(lab_root "$k") && kver=$(lab_kver "$k") || return 1
	bdir=${2:-$(lab_builddir "$k")}
	log=$bdir.log
	mkdir -p "$bdir"
	find "$bdir" -mindepth 1 -delete
	for f in "$LAB_SRC"/Makefile "$LAB_SRC"/Kbuild "$LAB_SRC"/*.c "$LAB_SRC"/*.h; do
		[ -f "$f" ] && cp "$f" "$bdir/"
	done
	[ -n "$(find "$bdir" -maxdepth 1 -name '*.c' -print -quit)" ] || {
		echo "lab: no C sources in $LAB_SRC" | tee "$log" >&2; return 1; }
	local tool_cmd=':'
	if [ -f "$bdir/vwifi-tool.c" ]; then
		tool_cmd='gcc -Wall -Wextra -Werror -O2 -o vwifi-tool vwifi-tool.c'
	fi
	local mk="make -C /lib/modules/$kver/build M=\$B W=1 modules"
	{
		echo "# kernel $k ($kver), root $root"
		if [ "$k" = sid ]; then
			# Build inside the chroot with its own compiler; private mount
			# namespace so that nothing stays mounted afterwards.
			# shellcheck disable=SC2016
			unshare -m --propagation private bash -c '
				set -e
				root=$1 bdir=$2 cmd=$3
				mount -t proc proc "$root/proc"
				mkdir -p "$root/vwifi-build"
				mount --bind "$bdir" "$root/vwifi-build"
				chroot "$root" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root LANG=C.UTF-8 B=/vwifi-build \
					bash -c "cd /vwifi-build && $cmd"
			' lab-build "$root" "$bdir" "$mk && $tool_cmd"
		else
			env B="$bdir" LANG=C.UTF-8 bash -c "cd \"\$B\" && $mk && $tool_cmd"
		fi
	} >"$log" 2>&1 || rc=$?
	local warns
	warns=$(grep -i 'warning:' "$log")
	if [ $rc -ne 0 ] || [ ! -f "$bdir/vwifi.ko" ]; then
		echo "lab: build for $k ($kver) FAILED (rc=$rc); log $log:" >&2
		grep -iE 'error|warning:' "$log" | head -n 60 >&2
		grep -qiE 'error|warning:' "$log" || tail -n 30 "$log" >&2
		echo "failed" >"$bdir.status"
		return 1
	fi
	if [ -n "$warns" ]; then
		echo "lab: build for $k ($kver) has warnings (treated as failure):" >&2
		printf '%s\n' "$warns" >&2
		echo "warnings $(printf '%s\n' "$warns" | wc -l)" >"$bdir.status"
		return 2
	fi
	echo "ok" >"$bdir.status"
	return 0
}

lab_info() {
	local k
	for k in "$@"; do
		printf '%-5s kver=%s vmlinuz=%s root=%s build=%s\n' "$k" \
			"$(lab_kver "$k" 2>/dev/null || echo MISSING)" \
			"$(lab_vmlinuz "$k" 2>/dev/null || echo MISSING)" \
			"$(lab_root "$k")" "$(lab_builddir "$k")"
	done
}

# lab_check_virtio KERNEL RUNDIR: the multi-guest cases of virtio mode
# (scripts/vmnet-check.sh, TESTS applies) after verify.sh in lab_check: adds
# their counts to lab_check's p f s, and a kernel report or timeout of theirs
# to its reports
lab_check_virtio() {
	local k=$1 res=$2 vp=0 vf=0 vs=0 rc=0 vst x=
	"$LAB_REPO/scripts/vmnet-check.sh" "$k" --build "$res/build" --results "$res/virtio" || rc=$?
	if [ -f "$res/virtio/virtio-summary" ]; then
		read -r vp vf vs <"$res/virtio/virtio-summary"
	elif [ $rc -ne 0 ]; then
		vf=1   # no summary (lab failure): one failure
	fi
	vst=$(sed -n 's/^status=\([^ ]*\).*/\1/p' "$res/virtio/vmnet/vmnet.result" 2>/dev/null)
	case $vst in
	report) x="VIRTIO-KERNEL-REPORT(see $res/virtio/vmnet/g*/console.log)" ;;
	timeout) x=VIRTIO-TIMEOUT ;;
	esac
	if [ -n "$x" ]; then
		if [ "$reports" = none ]; then reports=$x; else reports="$reports $x"; fi
	fi
	p=$((p + vp)) f=$((f + vf)) s=$((s + vs))
}

# lab_check KERNEL...: build and test each kernel sequentially, print the matrix summary.
lab_check() {
	local kernels=("$@") k kver res st vmrc
	local tp=0 tf=0 ts=0 anyfail=0
	local -a rows=()
	[ ${#kernels[@]} -gt 0 ] || read -r -a kernels <<<"$LAB_KERNELS_DEFAULT"
	local stamp
	stamp=$(date +%Y%m%d-%H%M%S)
	# keep the newest LAB_KEEP_RUNS (60) run dirs
	if [ -d "$LAB_CACHE/runs" ]; then
		find "$LAB_CACHE/runs" -mindepth 1 -maxdepth 1 -type d -printf '%T@ %p\n' | sort -rn |
			tail -n +"$(( ${LAB_KEEP_RUNS:-60} + 1 ))" | cut -d' ' -f2- | xargs -r rm -rf --
	fi
	# the bench smoke case runs once per matrix: on its last kernel; so do the
	# multi-guest virtio cases (VIRTIO_KERNELS: the kernels that run them) and
	# the whole suite (LAB_FULL_KERNELS; the others: LAB_COMPAT_TESTS)
	local smoke=${kernels[${#kernels[@]}-1]}
	local virtio=" ${VIRTIO_KERNELS:-$smoke} " full=" ${LAB_FULL_KERNELS:-$smoke} "
	for k in "${kernels[@]}"; do
		local p=0 f=0 s=0 bst=- boot=- reports=none t0 t1
		if [ "$k" = "$smoke" ]; then export VW_BENCH_SMOKE=1; else export VW_BENCH_SMOKE=0; fi
		echo
		echo "=============== kernel $k ==============="
		if ! kver=$(lab_kver "$k"); then
			rows+=("$(printf '%-5s %-26s %-12s %-10s %6s %6s %7s  %s' "$k" "-" "no-kernel" "-" 0 1 0 "-")")
			tf=$((tf + 1)); anyfail=1; continue
		fi
		echo "# $kver ($(lab_vmlinuz "$k"))"
		local tests=${TESTS:-}
		if [ -z "$tests" ] && [ "$k" != debug ] && [[ $full != *" $k "* ]]; then
			tests=$LAB_COMPAT_TESTS
			echo "# the compatibility selection (the whole suite: make check-full, or LAB_FULL_KERNELS=$k)"
		fi
		res=$LAB_CACHE/runs/$stamp-$k
		mkdir -p "$res"
		# a build dir per run: a concurrent run cannot replace the module under a VM
		if lab_build "$k" "$res/build"; then
			bst=ok
		else
			bst=$(cat "$res/build.status" 2>/dev/null || echo failed)
			bst=${bst// /=}
			rows+=("$(printf '%-5s %-26s %-12s %-10s %6s %6s %7s  %s' "$k" "$kver" "$bst" "-" 0 1 0 "-")")
			tf=$((tf + 1)); anyfail=1; continue
		fi
		# the debug kernel: more memory, longer bounds, kmemleak scan at the end
		local vmargs=(--timeout "${VM_TIMEOUT:-2400}") cmd=./scripts/verify.sh bt=${VM_BOOT_TIMEOUT:-240}
		if [ "$k" = debug ]; then
			vmargs=(--mem "${DEBUG_VM_MEM:-2048}" --timeout "${DEBUG_VM_TIMEOUT:-3600}")
			cmd=./scripts/lab-debug-guest.sh bt=${DEBUG_VM_BOOT_TIMEOUT:-600}
		fi
		t0=$SECONDS
		vmrc=0
		TESTS=$tests VM_BOOT_TIMEOUT=$bt "$LAB_REPO/scripts/vm.sh" "$k" --results "$res" \
			--build "$res/build" "${vmargs[@]}" -- "$cmd" || vmrc=$?
		t1=$SECONDS
		boot=$(sed -n 's/^boot_seconds=//p' "$res/vm.result" 2>/dev/null)
		boot="${boot:-?}s/$((t1 - t0))s"
		st=$(sed -n 's/^status=//p' "$res/vm.result" 2>/dev/null)
		if [ -f "$res/verify-summary" ]; then
			read -r p f s <"$res/verify-summary"
		elif [ -s "$res/cases.tsv" ]; then
			# cut short (timeout, panic): count the cases that finished + 1
			p=$(awk -F'\t' '$2 == "ok"' "$res/cases.tsv" | wc -l)
			s=$(awk -F'\t' '$2 == "skip"' "$res/cases.tsv" | wc -l)
			f=$(( $(awk -F'\t' '$2 == "fail"' "$res/cases.tsv" | wc -l) + 1 ))
		else
			f=1   # the run produced no summary at all: count one failure
		fi
		case $st in
		report) reports="KERNEL-REPORT(see $res/console.log)"; [ "$f" -gt 0 ] || f=1 ;;
		timeout) reports="TIMEOUT"; [ "$f" -gt 0 ] || f=1 ;;
		ok|cmd-failed) reports=none ;;
		*) reports="vm:${st:-unknown}"; [ "$f" -gt 0 ] || f=1 ;;
		esac
		[ $vmrc -eq 0 ] || [ "$f" -gt 0 ] || f=1
		# the multi-guest cases (never on the debug kernel: its boots are too
		# slow for three guests on two cores)
		if [ "$k" != debug ] && [[ $virtio == *" $k "* ]]; then
			lab_check_virtio "$k" "$res"
			boot="${boot%/*}/$((SECONDS - t0))s"
		fi
		[ "$f" -eq 0 ] || anyfail=1
		tp=$((tp + p)); tf=$((tf + f)); ts=$((ts + s))
		rows+=("$(printf '%-5s %-26s %-12s %-10s %6s %6s %7s  %s' "$k" "$kver" "$bst" "$boot" "$p" "$f" "$s" "$reports")")
	done
	echo
	echo "=============== matrix summary ==============="
	printf '%-5s %-26s %-12s %-10s %6s %6s %7s  %s\n' kernel kver build boot/total passed failed skipped reports
	printf '%s\n' "${rows[@]}"
	echo "results: $LAB_CACHE/runs/$stamp-*"
	if [ "$ts" -gt 0 ]; then
		echo "$tp passed, $tf failed, $ts skipped"
	else
		echo "$tp passed, $tf failed"
	fi
	[ $anyfail -eq 0 ] && [ $tf -eq 0 ]
}

lab_demo() {
	local k=${1:-sid} args=() res
	res=$LAB_CACHE/runs/$(date +%Y%m%d-%H%M%S)-demo-$k
	mkdir -p "$res"
	lab_build "$k" "$res/build" || return 1
	if [ "${SHELL_AFTER:-0}" = 1 ]; then
		args=(--interactive)
	fi
	"$LAB_REPO/scripts/vm.sh" "$k" "${args[@]}" --results "$res" --build "$res/build" \
		--timeout "${VM_TIMEOUT:-$([ "${SHELL_AFTER:-0}" = 1 ] && echo 86400 || echo 900)}" \
		-- ./scripts/lab-demo-guest.sh
}

# lab_bench KERNEL...: scripts/bench.sh in one VM boot per kernel (2 GiB, 1 h);
# results copied to BENCH_RESULTS/KERNEL (default: $LAB_CACHE/bench/KERNEL)
lab_bench() {
	local k res rc=0 dst
	export BENCH_OUT=/vwifi-results/bench
	export VM_ENV="${VM_ENV:-} BENCH_OUT QUICK BENCH_RUNS BENCH_DUR BENCH_PINGS BENCH_ASSOC BENCH_MANY BENCH_BEACON BENCH_MODN BENCH_HWSIM BENCH_ONLY"
	for k in "$@"; do
		echo "=============== bench: kernel $k ==============="
		res=$LAB_CACHE/runs/$(date +%Y%m%d-%H%M%S)-bench-$k
		mkdir -p "$res"
		lab_build "$k" "$res/build" || { rc=1; continue; }
		# a private copy of vm.sh: bash reads a script as it runs, and an
		# edit of vm.sh during a bench of half an hour would derail it
		mkdir -p "$res/lab-scripts"
		cp "$LAB_REPO/scripts/vm.sh" "$LAB_REPO/scripts/lab.sh" "$res/lab-scripts/"
		LAB_REPO=$LAB_REPO "$res/lab-scripts/vm.sh" "$k" --mem "${VM_MEM:-2048}" --timeout "${VM_TIMEOUT:-3600}" \
			--results "$res" --build "$res/build" -- ./scripts/bench.sh || rc=1
		dst=${BENCH_RESULTS:-$LAB_CACHE/bench}/$k
		if [ -s "$res/bench/bench.md" ]; then
			mkdir -p "$dst" && cp "$res/bench/"* "$dst/" && echo "bench: $k results in $dst (run: $res)"
		else
			echo "bench: $k produced no results (run: $res)" >&2; rc=1
		fi
	done
	return $rc
}

if [ "${BASH_SOURCE[0]}" = "$0" ]; then
	cmd=${1:-}
	shift || true
	case $cmd in
	kver) lab_kver "$1" ;;
	root) lab_root "$1" ;;
	vmlinuz) lab_vmlinuz "$1" ;;
	builddir) lab_builddir "$1" ;;
	info) if [ $# -eq 0 ]; then read -r -a ks <<<"${KERNELS:-$LAB_KERNELS_DEFAULT}"; set -- "${ks[@]}"; fi; lab_info "$@" ;;
	build) [ $# -gt 0 ] || lab_die "usage: lab.sh build KERNEL..."
		rc=0; for k in "$@"; do lab_build "$k" && echo "built $(lab_builddir "$k")/vwifi.ko" || rc=1; done; exit $rc ;;
	check) if [ $# -eq 0 ]; then read -r -a ks <<<"${KERNELS:-$LAB_KERNELS_DEFAULT}"; set -- "${ks[@]}"; fi; lab_check "$@" ;;
	demo) lab_demo "$@" ;;
	bench) if [ $# -eq 0 ]; then read -r -a ks <<<"${KERNELS:-$LAB_KERNELS_DEFAULT}"; set -- "${ks[@]}"; fi; lab_bench "$@" ;;
	*) sed -n '2,14p' "$0" | sed 's/^# \{0,1\}//'; exit 2 ;;
	esac
fi
