#!/bin/bash
# SPDX-License-Identifier: MIT
# Runs every case of the given core test programs in a process of its own (a crash ends only
# its case), with a time limit, and prints one line per case: PASS, FAIL, CRASH or HANG, and the
# first line that says why. Logs go beside each program, in <program>.cases/<case>.log.
# The exit status is the number of cases that did not pass.
set -u
LIMIT=${CASE_SECONDS:-120}
failed=0
for prog in "$@"; do
	dir=$prog.cases
	mkdir -p "$dir"
	for c in $("$prog" --list); do
		log=$dir/$c.log
		rc=$(timeout -s KILL "$LIMIT" "$prog" "$c" >"$log" 2>&1; echo $?)
		if [ $rc -eq 0 ]; then
			verdict=PASS
		elif [ $rc -eq 137 ]; then
			verdict=HANG
		elif grep -q "^\[  FAILED  \]" "$log" && ! grep -q "Sanitizer\|HANG\|PANIC" "$log"; then
			verdict=FAIL
		elif grep -q "harness: HANG" "$log"; then
			verdict=HANG
		else
			verdict=CRASH
		fi
		# Why: the sanitizer's summary (for a race, both accesses' frames), else the harness's.
		why=$(grep -m1 -E "^SUMMARY: |runtime error|harness: HANG|VIOLATION|PANIC|^harness: " "$log")
		if [ $verdict = HANG ] && grep -q "inside" "$log"; then
			why="$why; $(grep -m1 "inside" "$log" | sed 's/^ *//')"
		fi
		if grep -q "WARNING: ThreadSanitizer: data race" "$log"; then
			why="$why; $(grep -A1 -E '^  (Previous )?(atomic )?(Atomic )?(Read|Write|read|write) of size' "$log" |
				grep -m2 -oE '#0 [^ ]+ [^ ]+' | sed 's/#0 //' | paste -sd '|' - | sed 's/|/ vs /')"
		fi
		case $verdict in
		PASS) printf '%-6s %s %s\n' PASS "${prog#*/}" "$c" ;;
		*)
			failed=$((failed + 1))
			printf '%-6s %s %s\n       %s\n' "$verdict" "${prog#*/}" "$c" "${why:-see $log}"
			;;
		esac
	done
done
exit $failed
