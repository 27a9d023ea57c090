#!/bin/sh
# run-all.sh - every test suite of sessiongw, one summary line at the end.
#
# Run from the repository root by `make test` (or `make check`), with
#   SESSIONGW_BIN  the daemon binary under test
#   UNIT_BIN       the unit test binary
# Parts: unit tests ("unit: N passed, N failed"), the fuzz corpus replayed
# through every harness (tests/fuzz/replay-all.sh, with FUZZ_REPLAY_DIR
# the folder of the fuzz-replay-* binaries), the CLI tests
# (tests/cli/test_cli.sh, last line "N passed, N failed"), the integration
# tests (pytest, real nginx + daemon + SQLite). Each part's output stays
# visible; the last line sums them: "N passed, N failed[, N skipped]".
# Exit status: 0 only if every part ran at least one test and none failed.

set -u

: "${SESSIONGW_BIN:=$PWD/build/sessiongw}"
: "${UNIT_BIN:=$PWD/build/unit_tests}"
PYTHON=${PYTHON:-/usr/bin/python3}
export SESSIONGW_BIN UNIT_BIN

total_pass=0
total_fail=0
total_skip=0
status=0
tmp=$(mktemp -d "${TMPDIR:-/tmp}/sg-run-all.XXXXXX") || exit 1
trap 'rm -rf "$tmp"' EXIT INT TERM

# summary FILE: a part's summary line, the last one with a count in it
# ("unit: 3 passed, 0 failed", "12 passed, 1 failed, 2 skipped in 4.1s").
summary() {
	grep -E '[0-9]+ (passed|failed|skipped|errors?)([^A-Za-z]|$)' "$1" | tail -n 1
}

# count WORD LINE: the number before WORD in LINE, empty if none.
count() {
	printf '%s\n' "$2" | sed -n "s/.*[^0-9]\([0-9][0-9]*\) $1.*/\1/p; t; s/^\([0-9][0-9]*\) $1.*/\1/p"
}

# part NAME LOGFILE RC: add up one part's counts from its summary line.
part() {
	name=$1 log=$2 rc=$3
	line=$(summary "$log")
	p=$(count passed "$line"); f=$(count failed "$line")
	s=$(count skipped "$line"); e=$(count error "$line")
	p=${p:-0} f=${f:-0} s=${s:-0} e=${e:-0}
	f=$((f + e))
	if [ "$p" -eq 0 ] && [ "$f" -eq 0 ]; then
		echo "run-all: $name: no test ran (exit $rc)" >&2
		f=1
	elif [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then
		echo "run-all: $name: exit $rc without a failed test" >&2
		f=1
	fi
	[ "$f" -ne 0 ] && status=1
	echo "run-all: $name: $p passed, $f failed, $s skipped"
	total_pass=$((total_pass + p))
	total_fail=$((total_fail + f))
	total_skip=$((total_skip + s))
}

# run NAME CMD...: run one part, output shown and kept for counting.
run() {
	name=$1
	shift
	echo "=== $name: $*"
	("$@"; echo $? > "$tmp/rc") 2>&1 | tee "$tmp/$name.log"
	rc=$(cat "$tmp/rc" 2>/dev/null || echo 127)
	part "$name" "$tmp/$name.log" "$rc"
}

if [ -x "$UNIT_BIN" ]; then
	run unit "$UNIT_BIN"
else
	echo "run-all: unit: $UNIT_BIN not found" >&2
	total_fail=$((total_fail + 1)) status=1
fi

if [ -n "${FUZZ_REPLAY_DIR:-}" ]; then
	run fuzz-replay sh tests/fuzz/replay-all.sh
fi

if [ -f tests/cli/test_cli.sh ]; then
	run cli sh tests/cli/test_cli.sh
fi

if "$PYTHON" -c 'import pytest' 2>/dev/null; then
	run integration "$PYTHON" -m pytest -q -p no:cacheprovider tests/integration
else
	echo "run-all: integration: $PYTHON has no pytest (apt-get install python3-pytest)" >&2
	total_fail=$((total_fail + 1)) status=1
fi

result="$total_pass passed, $total_fail failed"
[ "$total_skip" -ne 0 ] && result="$result, $total_skip skipped"
echo "$result"
exit $status
