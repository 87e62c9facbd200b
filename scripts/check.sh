#!/bin/bash
# The project's test run (make check): unit tests under ASan+UBSan on the host,
# then every VM test in the X.25 guest.
#
#   scripts/check.sh BUILD_DIR ASAN_BUILD_DIR
#
# Ends with one line "N passed, N failed" (unit + VM) and exits non-zero when
# anything failed or could not run.
set -euo pipefail

REPO_DIR=$(dirname "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")")

if (($# != 2)); then
	echo "usage: $0 BUILD_DIR ASAN_BUILD_DIR" >&2
	exit 2
fi
build=$1
asan_build=$2

passed=0
failed=0

# Per-test results of the last `meson test` run, one "RESULT name" per line.
meson_results() {
	python3 - "$1/meson-logs/testlog.json" <<'EOF'
import json, sys
try:
    with open(sys.argv[1]) as log:
        for line in log:
            if line.strip():
                test = json.loads(line)
                print(test["result"], test["name"])
except FileNotFoundError:
    pass
EOF
}

echo "== unit tests (ASan+UBSan, $asan_build)"
rm -f "$asan_build/meson-logs/testlog.json"
set +e
meson test -C "$asan_build" --suite unit --print-errorlogs
unit_status=$?
set -e
results=$(meson_results "$asan_build")
unit_passed=$(grep -c '^OK ' <<<"$results" || true)
unit_failed=$(grep -cvE '^(OK|SKIP|EXPECTEDFAIL) |^$' <<<"$results" || true)
unit_skipped=$(grep -c '^SKIP ' <<<"$results" || true)
# meson fails without a log when it could not run at all (e.g. no build dir),
# but a build without unit tests yet is fine.
if ((unit_status != 0 && unit_failed == 0)); then
	echo "check: meson test failed (status $unit_status) without reporting a failed test" >&2
	unit_failed=1
fi
echo "unit: $unit_passed passed, $unit_failed failed, $unit_skipped skipped"
passed=$((passed + unit_passed))
failed=$((failed + unit_failed))

echo "== VM tests ($build)"
if "$REPO_DIR/vm/x25lo-vm" prepare; then
	vm_log=$(mktemp "${TMPDIR:-/tmp}/x25lo-check.XXXXXX")
	trap 'rm -f "$vm_log"' EXIT
	set +e
	"$REPO_DIR/tests/vm/run-vm-tests" "$build" | tee "$vm_log"
	vm_status=${PIPESTATUS[0]}
	set -e
	summary=$(grep -E '^vm: [0-9]+ passed, [0-9]+ failed$' "$vm_log" | tail -n 1 || true)
	if [[ $summary =~ ^vm:\ ([0-9]+)\ passed,\ ([0-9]+)\ failed$ ]]; then
		passed=$((passed + BASH_REMATCH[1]))
		failed=$((failed + BASH_REMATCH[2]))
		if ((vm_status != 0 && BASH_REMATCH[2] == 0)); then
			echo "check: run-vm-tests failed (status $vm_status)" >&2
			failed=$((failed + 1))
		fi
	else
		echo "check: run-vm-tests ended without its summary line (status $vm_status)" >&2
		failed=$((failed + 1))
	fi
	# A capture of one real call, decoded by the host's tshark (the guest has none).
	set +e
	"$REPO_DIR/tests/vm/host_pcap_tshark.sh" "$build"
	tshark_status=$?
	set -e
	case $tshark_status in
	0) echo "PASS host_pcap_tshark"; passed=$((passed + 1)) ;;
	77) echo "SKIP host_pcap_tshark (tshark not installed)" ;;
	*) echo "FAIL host_pcap_tshark"; failed=$((failed + 1)) ;;
	esac
else
	echo "check: the VM test bed could not be prepared (see above); VM tests not run" >&2
	failed=$((failed + 1))
fi

echo "$passed passed, $failed failed"
((failed == 0))
