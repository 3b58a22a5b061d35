# vwifi: kbuild part (used by `make -C $KDIR M=$PWD modules`) ...
ifneq ($(KERNELRELEASE),)

obj-m := vwifi.o
# extra compiler flags for vwifi.o go here
ccflags-y :=

else
# ... and the normal part.

KDIR ?= /lib/modules/$(shell uname -r)/build
KERNELS ?= 6.1 6.12 sid
TESTS ?=
# TESTS is a regex: keep its '$' as typed (make would expand "$|", "$)"...)
override TESTS := $(value TESTS)
SHELL_AFTER ?= 0
DEMO_KERNEL ?= sid
export KERNELS TESTS SHELL_AFTER

TOOL := $(if $(wildcard vwifi-tool.c),vwifi-tool)
TOOL_CFLAGS := -Wall -Wextra -Werror -O2

.PHONY: all module check check-full demo bench clean check-style deps build lab-info lab-clean debug-kernel check-debug

# Default: vwifi.ko for the running kernel (or KDIR=...) and vwifi-tool.
all: module $(TOOL)

module:
	@if [ ! -e "$(KDIR)/Makefile" ]; then \
		echo "No kernel headers at KDIR=$(KDIR)."; \
		echo "Install linux-headers-$$(uname -r), pass KDIR=..., or use 'make build' / 'make check' (lab kernels)."; \
		exit 1; fi
	$(MAKE) -C $(KDIR) M=$(CURDIR) modules

vwifi-tool: vwifi-tool.c $(wildcard *.h)
	$(CC) $(TOOL_CFLAGS) -o $@ vwifi-tool.c

# Install the lab (packages, kernels, sid chroot); quiet when all is there.
deps:
	@scripts/deps.sh

# Build vwifi.ko for the lab kernels (W=1, warnings fail) without booting.
build: deps
	@scripts/lab.sh build $(KERNELS)

lab-info:
	@scripts/lab.sh info $(KERNELS)

# Build + boot each kernel of KERNELS in QEMU and run scripts/verify.sh there:
# the whole suite and the multi-guest cases on the last (newest), the
# compatibility selection on the others (scripts/lab.sh, LAB_COMPAT_TESTS).
check: deps
	@scripts/lab.sh check $(KERNELS)

# The whole suite, and the multi-guest cases, on every kernel of KERNELS.
check-full: deps
	@LAB_FULL_KERNELS="$(KERNELS)" VIRTIO_KERNELS="$(KERNELS)" scripts/lab.sh check $(KERNELS)

# The debug kernel (KASAN, UBSAN, kmemleak, lockdep; scripts/debug-kernel.sh):
# build it if missing (about 20 min on 2 cores), then the suite on it (TESTS=...)
# with a kmemleak scan at the end.
debug-kernel: deps
	@scripts/debug-kernel.sh

check-debug: debug-kernel
	@scripts/lab.sh check debug

# Boot the newest kernel with vwifi loaded and run scripts/demo.sh;
# SHELL_AFTER=1 leaves you at a root shell in the VM.
demo: deps
	@scripts/lab.sh demo $(DEMO_KERNEL)

# scripts/bench.sh (vwifi vs veth vs mac80211_hwsim) in one VM boot per kernel;
# results in /var/cache/vwifi-lab/bench/<kernel>/. QUICK=1 for a smoke run.
bench: deps
	@scripts/lab.sh bench $(KERNELS)

check-style:
	@scripts/check-style.sh

clean:
	rm -f *.o *.ko *.mod *.mod.c *.mod.o .*.cmd *.symvers *.order vwifi-tool
	rm -rf .tmp_versions

# Remove lab build products and run logs (not the installed kernels/chroot).
lab-clean:
	rm -rf /var/cache/vwifi-lab/build /var/cache/vwifi-lab/runs /var/cache/vwifi-lab/initramfs

endif
