# shellcheck shell=bash
# The stress and fault cases (scripts/stress/NN-*.sh) are outside the default
# suite; verify.sh runs them when pointed at this directory, whose lib.sh
# this is (the suite's own helpers):
#   VM_ENV="VWIFI_TESTDIR VW_STRESS_SCALE" VWIFI_TESTDIR=/vwifi/scripts/stress \
#       make check KERNELS=6.1 [TESTS='^stress_...']
#   sudo VWIFI_TESTDIR=scripts/stress scripts/verify.sh     (your own machine)
# shellcheck source=scripts/tests/lib.sh
. "$VWIFI_REPO/scripts/tests/lib.sh"
