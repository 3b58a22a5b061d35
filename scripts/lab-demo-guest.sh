#!/bin/bash
# Runs inside the lab VM for `make demo`: scripts/demo.sh if it exists
# (VWIFI_KO is set), otherwise load vwifi and show what it created. Either way
# vwifi is loaded afterwards (for `make demo SHELL_AFTER=1`).
set -u
cd "$(dirname "$0")/.." || exit 1
: "${VWIFI_KO:=/vwifi-build/vwifi.ko}"
export VWIFI_KO
rc=0
modprobe cfg80211
if [ -f scripts/demo.sh ]; then
	bash scripts/demo.sh || rc=$?
	echo "demo.sh exit status: $rc"
else
	echo "(no scripts/demo.sh yet: loading vwifi station=${DEMO_STATIONS:-3})"
	insmod "$VWIFI_KO" station="${DEMO_STATIONS:-3}" || rc=$?
	echo "\$ lsmod | grep vwifi"; lsmod | grep -E '^(vwifi|cfg80211)'
	echo "\$ ip link"; ip link
	echo "\$ iw dev"; iw dev
fi
if [ ! -d /sys/module/vwifi ]; then
	insmod "$VWIFI_KO" station="${DEMO_STATIONS:-3}" && echo "(vwifi loaded with station=${DEMO_STATIONS:-3})"
fi
exit $rc
