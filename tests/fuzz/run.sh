#!/bin/sh
# run.sh BUILD_DIR SECONDS NAME... - run each libFuzzer harness
# BUILD_DIR/fuzz_NAME for SECONDS over the checked-in seeds
# (tests/fuzz/corpus/NAME, only read) plus BUILD_DIR/corpus/NAME (new units
# go there). One process at a time: the machine is shared. Prints one line
# per harness ("fuzz NAME: N executions in S s, C crashes") and exits 1 if
# any harness crashed; the crash input is kept in BUILD_DIR/crashes/.
set -u
b=$1 secs=$2
shift 2
status=0
total=0
mkdir -p "$b/crashes"
for name in "$@"; do
	mkdir -p "$b/corpus/$name"
	log="$b/fuzz_$name.log"
	max_len=4096
	[ "$name" = config ] && max_len=16384
	"$b/fuzz_$name" -max_total_time="$secs" -max_len="$max_len" \
	    -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
	    -artifact_prefix="$b/crashes/$name-" \
	    "$b/corpus/$name" "tests/fuzz/corpus/$name" > "$log" 2>&1
	rc=$?
	execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
	crashes=$(ls "$b/crashes" | grep -c "^$name-")
	echo "fuzz $name: ${execs:-0} executions in $secs s, $crashes crashes (exit $rc)"
	total=$((total + ${execs:-0}))
	if [ "$rc" -ne 0 ] || [ "$crashes" -ne 0 ]; then
		status=1
		tail -n 40 "$log"
	fi
done
echo "fuzz: $total executions in total; $( [ $status -eq 0 ] && echo 'no crash' || echo 'CRASHES: see '"$b"'/crashes')"
exit $status
