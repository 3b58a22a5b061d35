# shellcheck shell=bash
# The benchmark (scripts/bench.sh, `make bench`) must not rot: one QUICK run
# (tiny durations and counts). Its targets are not asserted here.

t_bench_smoke() {
	local out=$CASE_DIR/bench rc=0 f
	[ "${VWIFI_LAB_KERNEL:-}" != debug ] || skip "no benchmark on the debug kernel (it would time its sanitizers)"
	[ "${VW_BENCH_SMOKE:-1}" = 1 ] || skip "make check runs the bench smoke once, on the last kernel of its matrix"
	need iperf3 hostapd wpa_supplicant wpa_passphrase stdbuf
	QUICK=1 BENCH_OUT=$out "$VWIFI_REPO/scripts/bench.sh" >"$CASE_DIR/bench.log" 2>&1 || rc=$?
	tail -n 60 "$CASE_DIR/bench.log"
	[ $rc -eq 0 ] || fail "bench.sh exited $rc: $(grep -m1 'bench.sh:' "$CASE_DIR/bench.log")"
	for f in bench.md results.csv ratios.csv; do
		[ -s "$out/$f" ] || fail "bench.sh wrote no $f"
	done
	grep -q '^## Targets' "$out/bench.md" || fail "no targets table in bench.md"
	grep -q '^| STA->AP | vwifi | [0-9]' "$out/bench.md" || fail "no vwifi STA->AP throughput in the table"
	grep -Eq '^\| [0-9]+ \| vwifi, added with iw .*\| [0-9.]+ \|' "$out/bench.md" ||
		fail "no memory of added interfaces in the table: $(grep -m1 'added with iw' "$out/bench.md")"
	grep -Eq '^\| vwifi \| [0-9]+ \| [0-9.]+ \| [0-9.]+ \| -?[0-9.]+ \|$' "$out/bench.md" ||
		fail "no idle cost of beaconing in the table: $(grep -m1 -A4 'Idle cost of beaconing' "$out/bench.md" | tr '\n' '|')"
	grep -q '^## Targets' "$CASE_DIR/bench.log" || fail "bench.sh did not print its table"
	[ "$(grep -c . "$out/ratios.csv")" -ge 10 ] || fail "ratios.csv too short"
}
# shellcheck disable=SC2034,SC2154 # CASE_TIMEOUT is an associative array of verify.sh
CASE_TIMEOUT[bench_smoke]=900
