#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Runs the whole system suite ROUNDS times in a row while a CPU hog keeps one host core busy,
# and says how many tests failed in each round. A flaky test shows up here; the fix is in
# Domus or in the test, never a retry (README: Tests).
#
#   scripts/steadiness.sh [ROUNDS]          (default 5; PYTEST_ARGS passes more to pytest)
#
# Logs: build/steadiness/round-N.log (pytest) and build/test-logs (consoles, last round).
set -euo pipefail

cd "$(dirname "$0")/.."
rounds=${1:-5}
out=build/steadiness
mkdir -p "$out"
make -s all guest >/dev/null

# One busy core: a shell loop that never sleeps, ended with this script.
( while :; do :; done ) &
hog=$!
trap 'kill $hog 2>/dev/null' EXIT
echo "steadiness: CPU hog running (pid $hog); $rounds rounds of the system suite"

failed_rounds=0
for r in $(seq "$rounds"); do
	start=$(date +%s)
	if /usr/bin/python3 -m pytest -q -p no:cacheprovider tests/system ${PYTEST_ARGS:-} \
		> "$out/round-$r.log" 2>&1; then
		verdict=passed
	else
		verdict=FAILED
		failed_rounds=$((failed_rounds + 1))
	fi
	echo "round $r: $verdict in $(( $(date +%s) - start )) s: $(tail -n 1 "$out/round-$r.log")"
	grep -E '^FAILED|^ERROR' "$out/round-$r.log" | sed 's/^/    /' || true
done
echo "steadiness: $failed_rounds of $rounds rounds had failures"
[ "$failed_rounds" -eq 0 ]
