#!/bin/sh
# replay-all.sh [NAME...] - every checked-in corpus file through its
# harness ($FUZZ_REPLAY_DIR/fuzz-replay-NAME tests/fuzz/corpus/NAME), built
# with the normal compiler. Default: every folder under tests/fuzz/corpus.
# A part of `make test` (tests/run-all.sh); the last line sums them:
# "N passed, N failed".
set -u
: "${FUZZ_REPLAY_DIR:=$PWD/build}"
if [ $# -eq 0 ]; then
	for d in tests/fuzz/corpus/*/; do
		d=${d%/}
		set -- "$@" "${d##*/}"
	done
fi
pass=0 fail=0
for name in "$@"; do
	bin=$FUZZ_REPLAY_DIR/fuzz-replay-$name
	if [ ! -x "$bin" ]; then
		echo "replay-all: $bin not built" >&2
		fail=$((fail + 1))
		continue
	fi
	out=$("$bin" "tests/fuzz/corpus/$name")
	echo "$out"
	p=$(printf '%s\n' "$out" | sed -n 's/.*: \([0-9]*\) passed, \([0-9]*\) failed$/\1/p')
	f=$(printf '%s\n' "$out" | sed -n 's/.*: \([0-9]*\) passed, \([0-9]*\) failed$/\2/p')
	[ -n "$p" ] || { p=0; f=1; }
	pass=$((pass + p)) fail=$((fail + f))
done
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ] && [ "$pass" -gt 0 ]
