#!/bin/bash
# Boot one kernel of the lab matrix in QEMU (TCG) and run a command in it.
#
#   scripts/vm.sh KERNEL [--mem MB] [--smp N] [--timeout S] [--results DIR]
#                        [--build DIR] [--interactive] [--nic tap=NAME,mac=MAC]...
#                        [--shared DIR] [--pidfile FILE] -- CMD [ARGS...]
#
# KERNEL is 6.1, 6.12 or sid (see scripts/lab.sh). The guest's root is the
# kernel's userspace (host / for 6.1 and 6.12, the sid chroot for sid) shared
# read-only over virtio-9p with a tmpfs overlay. In the guest:
#   /vwifi          this repository (read-only); CMD runs from there with bash
#   /vwifi-build    build dir (--build; default: the kernel's build dir of
#                   `scripts/lab.sh build KERNEL`), VWIFI_KO=/vwifi-build/vwifi.ko
#   /vwifi-results  read-write results dir (VWIFI_RESULTS), = --results DIR
#   /vwifi-shared   --shared DIR, read-write (VW_SHARED; several guests can
#                   share it: scripts/vmnet.sh)
# Passed into the guest environment: TESTS, VWIFI_KO, VWIFI_TOOL,
# VWIFI_TIME_SCALE, SHELL_AFTER, VERBOSE, every VW_* variable (the tests'
# seeds and scales) and every variable named in VM_ENV ("A B C").
# Extra QEMU arguments: VM_QEMU_ARGS (word-split). No NIC is added by default;
# --nic tap=NAME,mac=MAC adds a virtio-net NIC (mrg_rxbuf=off) on the existing
# tap NAME of the current netns (scripts/vmnet.sh). --pidfile: QEMU's pid.
# A guest killed on purpose (someone writes RESULTS/lab/killed, then kills its
# QEMU) ends with status "killed", exit status 137 (125 if its log has a report).
# --interactive: serial console on stdin/stdout, root shell after CMD.
#
# Exit status: CMD's status; 124 on timeout; 125 when the guest kernel log has a
# report (BUG/WARNING/KASAN/lockdep...); 126 on a lab failure (no exit status).
set -u

# shellcheck source=scripts/lab.sh
. "$(dirname "${BASH_SOURCE[0]}")/lab.sh"

usage() { sed -n '2,20p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2; }

KERNEL=${1:-}
[ -n "$KERNEL" ] || usage
shift
MEM=${VM_MEM:-1024}
SMP=${VM_SMP:-2}
TIMEOUT=${VM_TIMEOUT:-900}
RESULTS=
BUILD=
INTERACTIVE=0
SHARED=
PIDFILE=
NICS=()
while [ $# -gt 0 ]; do
	case $1 in
	--mem) MEM=$2; shift 2 ;;
	--smp) SMP=$2; shift 2 ;;
	--timeout) TIMEOUT=$2; shift 2 ;;
	--results) RESULTS=$2; shift 2 ;;
	--build) BUILD=$2; shift 2 ;;
	--interactive) INTERACTIVE=1; shift ;;
	--nic) NICS+=("$2"); shift 2 ;;
	--shared) SHARED=$2; shift 2 ;;
	--pidfile) PIDFILE=$2; shift 2 ;;
	--) shift; break ;;
	*) usage ;;
	esac
done
[ $# -gt 0 ] || usage

ROOT=$(lab_root "$KERNEL") || exit 126
KVER=$(lab_kver "$KERNEL") || exit 126
VMLINUZ=$(lab_vmlinuz "$KERNEL") || exit 126
[ -n "$BUILD" ] || BUILD=$(lab_builddir "$KERNEL")
mkdir -p "$BUILD"
BUILD=$(cd "$BUILD" && pwd)
if [ -z "$RESULTS" ]; then
	mkdir -p "$LAB_CACHE/runs"
	RESULTS=$(mktemp -d "$LAB_CACHE/runs/$(date +%Y%m%d-%H%M%S)-$KERNEL-XXXX")
fi
mkdir -p "$RESULTS/lab"
RESULTS=$(cd "$RESULTS" && pwd)
rm -f "$RESULTS/exit-status" "$RESULTS/dmesg.txt" "$RESULTS/console.log" "$RESULTS/output.log" "$RESULTS/vm.result" "$RESULTS/lab/killed"
if [ -n "$SHARED" ]; then
	mkdir -p "$SHARED"
	SHARED=$(cd "$SHARED" && pwd)
fi

command -v qemu-system-x86_64 >/dev/null || lab_die "qemu-system-x86_64 missing (run scripts/deps.sh)"
[ -x /bin/busybox ] || [ -x /usr/bin/busybox ] || lab_die "busybox missing (run scripts/deps.sh)"

# ---------------------------------------------------------------- initramfs
# Cached per kernel; rebuilt when this script or the module set changes.
initramfs() {
	local dir=$LAB_CACHE/initramfs out key mods m src dst tmp
	mkdir -p "$dir"
	mods=$(modprobe -a -d "$ROOT" -S "$KVER" --show-depends virtio_pci 9pnet_virtio 9p overlay) ||
		lab_die "modprobe --show-depends failed for $KVER in $ROOT"
	key=$( { cat "$0"; echo "$mods"; command -v busybox; } | md5sum | cut -c1-12)
	out=$dir/$KERNEL-$KVER-$key.cpio.gz
	if [ -s "$out" ]; then echo "$out"; return; fi
	tmp=$(mktemp -d "$dir/tmp.XXXX")
	mkdir -p "$tmp"/{bin,sbin,dev,proc,sys,mnt,lib/modules,newroot}
	cp "$(command -v busybox)" "$tmp/bin/busybox"
	: >"$tmp/modules.list"
	# "insmod /path/x.ko[.xz|.zst] [params]" lines, dependencies first; skip builtins
	while read -r verb src _; do
		[ "$verb" = insmod ] || continue
		m=$(basename "$src"); m=${m%.xz}; m=${m%.zst}; m=${m%.gz}
		dst=$tmp/lib/modules/$m
		case $src in
		*.xz) xz -dc "$src" >"$dst" ;;
		*.zst) zstd -qdc "$src" >"$dst" ;;
		*.gz) gzip -dc "$src" >"$dst" ;;
		*) cp "$src" "$dst" ;;
		esac || lab_die "cannot unpack $src"
		grep -qx "$m" "$tmp/modules.list" || echo "$m" >>"$tmp/modules.list"
	done <<<"$mods"
	cat >"$tmp/init" <<'EOF'
#!/bin/busybox sh
/bin/busybox --install -s /bin
export PATH=/bin:/sbin
die() { echo "vwifi-lab initramfs: $*"; echo "VWIFI-LAB-EXIT=126" >/dev/ttyS1; echo o >/proc/sysrq-trigger; sleep 10; }
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
say() { echo "vwifi-lab-init: $*" >/dev/console; }
say "loading modules"
for m in $(cat /modules.list); do
	insmod /lib/modules/$m || die "insmod $m failed"
done
say "mounting the root over 9p"
o=trans=virtio,version=9p2000.L,msize=262144
mkdir -p /mnt/lower /mnt/rw /mnt/root
mount -t 9p -o $o,ro,cache=loose labroot /mnt/lower || die "mount root"
mount -t tmpfs -o mode=0755 tmpfs /mnt/rw
mkdir -p /mnt/rw/upper /mnt/rw/work
mount -t overlay -o lowerdir=/mnt/lower,upperdir=/mnt/rw/upper,workdir=/mnt/rw/work overlay /mnt/root || die "overlay"
mkdir -p /mnt/root/vwifi /mnt/root/vwifi-build /mnt/root/vwifi-results
mount -t 9p -o $o,ro labrepo /mnt/root/vwifi || die "mount repo"
mount -t 9p -o $o,ro labbuild /mnt/root/vwifi-build || die "mount build"
mount -t 9p -o $o labresults /mnt/root/vwifi-results || die "mount results"
mount --move /dev /mnt/root/dev
say "switch_root"
umount /proc /sys
exec switch_root /mnt/root /bin/bash /vwifi-results/lab/stage2.sh
EOF
	chmod +x "$tmp/init"
	(cd "$tmp" && find . | cpio -o -H newc --quiet | gzip -1) >"$out.$$.tmp" || lab_die "cpio failed"
	# several vm.sh (scripts/vmnet.sh) may build the same image at once
	mv "$out.$$.tmp" "$out"
	rm -rf "$tmp"
	echo "$out"
}

INITRD=$(initramfs) || exit 126

# ---------------------------------------------------------------- guest side
{
	printf 'export VWIFI_LAB=1 VWIFI_LAB_KERNEL=%q VWIFI_LAB_KVER=%q\n' "$KERNEL" "$KVER"
	printf 'export VWIFI_KO=/vwifi-build/vwifi.ko VWIFI_RESULTS=/vwifi-results\n'
	[ -e "$BUILD/vwifi-tool" ] && printf 'export VWIFI_TOOL=/vwifi-build/vwifi-tool\n'
	for v in TESTS VWIFI_KO VWIFI_TOOL VWIFI_TIME_SCALE SHELL_AFTER VERBOSE $(compgen -v VW_) ${VM_ENV:-}; do
		[ -n "${!v+x}" ] || continue
		[ "$v" = VWIFI_KO ] && case ${!v} in /vwifi*) ;; *) continue ;; esac
		printf 'export %s=%q\n' "$v" "${!v}"
	done
	printf 'export VWIFI_LAB_INTERACTIVE=%s\n' "$INTERACTIVE"
	[ -n "$SHARED" ] && printf 'export VW_SHARED=/vwifi-shared\n'
} >"$RESULTS/lab/env"
{
	printf 'cd /vwifi || exit 126\n'
	printf 'exec'; printf ' %q' "$@"; printf '\n'
} >"$RESULTS/lab/cmd.sh"

cat >"$RESULTS/lab/stage2.sh" <<'EOF'
# PID 1 in the guest after switch_root (bash from the shared root).
set -u
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin HOME=/root LANG=C.UTF-8 TERM=${TERM:-linux}
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mkdir -p /dev/pts /dev/shm
mount -t devpts -o gid=5,mode=620,ptmxmode=666 devpts /dev/pts
mount -t tmpfs -o mode=1777 tmpfs /dev/shm
mount -t tmpfs -o mode=1777 tmpfs /tmp
mount -t tmpfs -o mode=0755 tmpfs /run
mkdir -p /run/netns /run/lock /run/hostapd /run/wpa_supplicant
mount -t debugfs debugfs /sys/kernel/debug 2>/dev/null
[ -e /dev/fd ] || ln -s /proc/self/fd /dev/fd
hostname vwifi-lab
ip link set lo up
# Under multi-threaded TCG, a static key flipped while another vCPU runs the
# code being patched can oops the guest on the int3 of text patching (7.2:
# __netif_receive_skb_core, when a ping's SO_TIMESTAMP flipped
# netstamp_needed_key during traffic). A socket with SO_TIMESTAMP (29) held for
# the whole boot keeps that key on: later sockets only count, nothing is patched.
perl -MSocket -e 'socket(S, PF_INET, SOCK_DGRAM, 0) && setsockopt(S, SOL_SOCKET, 29, 1) or die "$!\n"; sleep' \
	</dev/null >/dev/console 2>&1 &
. /vwifi-results/lab/env
if [ -n "${VW_SHARED:-}" ]; then
	mkdir -p /vwifi-shared
	mount -t 9p -o trans=virtio,version=9p2000.L,msize=262144 labshared /vwifi-shared ||
		echo "vwifi-lab: cannot mount the shared dir" >/dev/console
fi
# sysrq's power-off shuts the devices down while PID 1 waits, the 9p root
# with them: an external sleep from it can fail (EIO, seen once in a
# multi-guest run), and PID 1 exiting panics the kernel. So the wait is a
# builtin read on a FIFO made in /run (tmpfs) beforehand
mkfifo /run/vwifi-lab-off
poweroff_now() { sync; echo o >/proc/sysrq-trigger; read -r -t 60 _ <>/run/vwifi-lab-off; }
if [ "$VWIFI_LAB_INTERACTIVE" = 1 ]; then
	out=/dev/ttyS0
else
	out=/dev/ttyS1
fi
echo "vwifi-lab: running the command" >/dev/console
echo "VWIFI-LAB-START kernel=$(uname -r) uptime=$(cut -d' ' -f1 /proc/uptime)" >"$out"
echo "$(cut -d' ' -f1 /proc/uptime)" >/vwifi-results/boot-seconds
bash /vwifi-results/lab/cmd.sh <"$out" >"$out" 2>&1
rc=$?
if [ "$VWIFI_LAB_INTERACTIVE" = 1 ] && [ "${SHELL_AFTER:-0}" = 1 ]; then
	echo "vwifi-lab: root shell in the VM ($(uname -r)); exit or Ctrl-D powers it off" >"$out"
	cd /vwifi
	setsid -c bash -i <"$out" >"$out" 2>&1
fi
dmesg >/vwifi-results/dmesg.txt 2>&1
echo "$rc" >/vwifi-results/exit-status
echo "VWIFI-LAB-EXIT=$rc" >"$out"
poweroff_now
EOF

# ---------------------------------------------------------------- QEMU
CONSOLE=$RESULTS/console.log
OUTPUT=$RESULTS/output.log
fs() { # fs ID PATH TAG [ro]
	local ro=
	[ "${4:-}" = ro ] && ro=,readonly=on
	printf '%s\n' -fsdev "local,id=$1,path=$2,security_model=none,multidevs=remap$ro" \
		-device "virtio-9p-pci,fsdev=$1,mount_tag=$3"
}
mapfile -t FSARGS < <(fs r "$ROOT" labroot ro; fs s "$LAB_REPO" labrepo ro; fs b "$BUILD" labbuild ro; fs o "$RESULTS" labresults
	[ -z "$SHARED" ] || fs x "$SHARED" labshared)
# --nic tap=NAME,mac=MAC: virtio-net on an existing tap (no helper scripts;
# no iPXE option ROM: the kernel is booted directly)
NICARGS=()
for i in "${!NICS[@]}"; do
	tap='' mac=''
	IFS=, read -r -a kv <<<"${NICS[$i]}"
	for x in "${kv[@]}"; do
		case $x in
		tap=*) tap=${x#tap=} ;;
		mac=*) mac=${x#mac=} ;;
		*) lab_die "--nic: unknown option '$x' (tap=NAME,mac=MAC)" ;;
		esac
	done
	[ -n "$tap" ] || lab_die "--nic needs tap=NAME"
	NICARGS+=(-netdev "tap,id=n$i,ifname=$tap,script=no,downscript=no"
		-device "virtio-net-pci,netdev=n$i${mac:+,mac=$mac},mrg_rxbuf=off,romfile=")
done
# no_timer_check: under a loaded TCG host the IO-APIC timer check can fail and
# leave the guest without a timer
# tsc=reliable: under TCG the clocksource watchdog sees "frequency skew" and
# flips the sched_clock static key at run time; that text patching oopsed a
# 7.2 guest (int3 in sched_clock_cpu). QEMU's TSC follows host time: trust it.
APPEND="console=ttyS0 loglevel=${VM_LOGLEVEL:-5} panic=-1 no_timer_check tsc=reliable rdinit=/init ${VM_APPEND:-}"
# shellcheck disable=SC2054
QEMU=(qemu-system-x86_64 -accel tcg,thread=multi -cpu "${VM_CPU:-max,la57=off}" -m "$MEM" -smp "$SMP"
	-kernel "$VMLINUZ" -initrd "$INITRD" -append "$APPEND"
	-no-reboot -nographic -nodefaults -nic none "${FSARGS[@]}" "${NICARGS[@]}")
[ -z "$PIDFILE" ] || QEMU+=(-pidfile "$PIDFILE")
if [ $INTERACTIVE = 1 ]; then
	QEMU+=(-serial mon:stdio)
else
	QEMU+=(-chardev "file,id=con,path=$CONSOLE" -serial chardev:con
		-chardev "file,id=out,path=$OUTPUT" -serial chardev:out -monitor none)
fi
# shellcheck disable=SC2206
QEMU+=(${VM_QEMU_ARGS:-})

start=$SECONDS
rc=0
if [ $INTERACTIVE = 1 ]; then
	# console also to a file for the report scan
	timeout --foreground -k 5 "$TIMEOUT" "${QEMU[@]}" | tee "$CONSOLE"
	rc=${PIPESTATUS[0]}
else
	# A guest that does not reach the command within VM_BOOT_TIMEOUT seconds
	# (seen under heavy TCG load: timer check / PIT calibration going wrong)
	# is killed and booted again, VM_BOOT_RETRIES times. So is one that dies
	# of a kernel report before the command starts, i.e. before vwifi is
	# loaded (seen once on 7.2: "Oops: int3" in ktime_get_with_offset at
	# 2.2 s, the multi-threaded TCG text-patching race below): the report is
	# printed and its console kept, but it is not one of the code under test.
	boot_timeout=${VM_BOOT_TIMEOUT:-240}
	tries=$(( ${VM_BOOT_RETRIES:-1} + 1 ))
	while [ "$tries" -gt 0 ]; do
		tries=$((tries - 1))
		: >"$OUTPUT"
		: >"$CONSOLE"
		timeout -k 5 "$TIMEOUT" "${QEMU[@]}" </dev/null >"$RESULTS/qemu.log" 2>&1 &
		qpid=$!
		# timeout runs QEMU in its own process group: pass our death on to it
		trap 'kill -TERM $qpid 2>/dev/null; echo "vm.sh: interrupted, VM stopped" >&2; exit 130' INT TERM HUP
		# stream the command's output (second serial port) while the VM runs
		tail -n +1 -F --pid=$qpid "$OUTPUT" 2>/dev/null | grep --line-buffered -v -e '^VWIFI-LAB-START' -e '^VWIFI-LAB-EXIT=' &
		tpid=$!
		hung=0
		t0=$SECONDS
		while kill -0 $qpid 2>/dev/null; do
			if [ $((SECONDS - t0)) -ge "$boot_timeout" ] && ! grep -q '^VWIFI-LAB-START' "$OUTPUT"; then
				hung=1
				kill -TERM $qpid 2>/dev/null
				break
			fi
			grep -q '^VWIFI-LAB-START' "$OUTPUT" && break
			sleep 1
		done
		wait $qpid
		rc=$?
		wait $tpid 2>/dev/null
		if [ $hung = 0 ] && ! grep -q '^VWIFI-LAB-START' "$OUTPUT" && grep -qE "$LAB_REPORT_RE" "$CONSOLE"; then
			echo "vm.sh: $KERNEL: guest died of a kernel report while booting, before the command ran:" >&2
			grep -E "$LAB_REPORT_RE" "$CONSOLE" | head -n 3 | sed 's/^/  >> /' >&2
			cp "$CONSOLE" "$RESULTS/console-boot-report-$tries.log"
			# the last try keeps its console: the scan below reports it
			[ "$tries" -gt 0 ] && echo "vm.sh: $KERNEL: booting again" >&2
			continue
		fi
		[ $hung = 1 ] || break
		echo "vm.sh: $KERNEL: guest did not reach the command within ${boot_timeout}s; last console lines:" >&2
		tail -n 8 "$CONSOLE" >&2
		cp "$CONSOLE" "$RESULTS/console-boot-hang-$tries.log"
		if [ "$tries" -gt 0 ]; then
			echo "vm.sh: $KERNEL: booting again" >&2
		else
			rc=124
			BOOT_HUNG=1
		fi
	done
fi
elapsed=$((SECONDS - start))

status=ok
exit_rc=
if [ -s "$RESULTS/exit-status" ]; then
	exit_rc=$(tr -dc 0-9 <"$RESULTS/exit-status")
else
	exit_rc=$(sed -n 's/^VWIFI-LAB-EXIT=\([0-9]*\).*/\1/p' "$OUTPUT" "$CONSOLE" 2>/dev/null | tail -n1)
fi
if [ -e "$RESULTS/lab/killed" ]; then
	status=killed
	echo "vm.sh: $KERNEL: QEMU killed on request ($(cat "$RESULTS/lab/killed"))" >&2
elif [ "$rc" -eq 124 ] || [ "$rc" -eq 137 ]; then
	status=timeout
	if [ "${BOOT_HUNG:-0}" = 1 ]; then
		echo "vm.sh: $KERNEL: guest hung while booting, every try (see $RESULTS/console-boot-hang-*.log)" >&2
	else
		echo "vm.sh: $KERNEL: guest did not finish within ${TIMEOUT}s; killed. Last console lines:" >&2
		tail -n 40 "$CONSOLE" >&2
	fi
elif [ -z "$exit_rc" ]; then
	status=lab-failure
	echo "vm.sh: $KERNEL: no exit status from the guest (qemu rc=$rc). Last console lines:" >&2
	tail -n 40 "$CONSOLE" >&2
	[ -s "$RESULTS/qemu.log" ] && cat "$RESULTS/qemu.log" >&2
fi

# Kernel report scan: full dmesg if the guest got that far, else the console.
report_file=
for f in "$RESULTS/dmesg.txt" "$CONSOLE"; do
	[ -s "$f" ] || continue
	if grep -qE "$LAB_REPORT_RE" "$f"; then report_file=$f; break; fi
done
if [ -n "$report_file" ]; then
	status=report
	echo "vm.sh: $KERNEL: KERNEL REPORT in the guest log ($report_file):" >&2
	# distinct reports (timestamps, CPU and PID stripped) with their counts
	grep -E "$LAB_REPORT_RE" "$report_file" | sed -E 's/^\[ *[0-9.]+\] *//; s/CPU:? ?#?[0-9]+/CPU/g; s/PID: [0-9]+/PID/g; s/\/[0-9]+$//' |
		sort | uniq -c | sort -rn | head -n 15 | sed 's/^/  >> /' >&2
	first=$(grep -nE "$LAB_REPORT_RE" "$report_file" | head -n1 | cut -d: -f1)
	from=$(( first > 8 ? first - 8 : 1 ))
	cut=$(sed -n "${from},${first}p" "$report_file" | grep -n 'cut here' | tail -n1 | cut -d: -f1)
	[ -n "$cut" ] && from=$(( from + cut - 1 ))
	echo "---- first report, line $first of $report_file ----" >&2
	sed -n "${from},$(( first + 30 ))p" "$report_file" >&2
	echo "-----------------" >&2
fi
[ "$status" = ok ] && [ "${exit_rc:-0}" != 0 ] && status="cmd-failed"
boot=$(cat "$RESULTS/boot-seconds" 2>/dev/null)
printf 'status=%s\nexit=%s\nqemu_rc=%s\nelapsed=%s\nboot_seconds=%s\nkernel=%s\nkver=%s\n' \
	"$status" "${exit_rc:-}" "$rc" "$elapsed" "${boot%.*}" "$KERNEL" "$KVER" >"$RESULTS/vm.result"

case $status in
killed) exit 137 ;;
timeout) exit 124 ;;
report) exit 125 ;;
lab-failure) exit 126 ;;
esac
exit "${exit_rc:-126}"
