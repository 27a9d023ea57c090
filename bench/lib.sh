# bench/lib.sh - helpers for bench/run.sh (sourced, POSIX sh).
#
# Processes: every server the bench starts is recorded by PID and stopped
# with stop_pid; nothing is ever stopped by name.
# Measurements: `measure NAME BASE WRK-ARGS...` runs wrk once and appends
# one line to $W/all.tsv:
#     name base round rps p50_ms p99_ms max_ms requests non2xx sockerr rss_kB wal_B
# and `report_rows` folds the rounds of each scenario into the median and
# the spread (min-max): never the best round.

die() { echo "bench: $*" >&2; exit 1; }

# only PART [SWITCH]: does this run include PART? With BENCH_ONLY set, only
# the part it names runs (whatever its BENCH_* switch says); without it,
# every part whose switch (default 1) is not 0.
only() {
	if [ -n "${BENCH_ONLY:-}" ]; then
		[ "$BENCH_ONLY" = "$1" ]
	else
		[ "${2:-1}" != 0 ]
	fi
}

stop_pid() {	# stop_pid PID: TERM, wait up to 2 s, then KILL
	[ -n "$1" ] || return 0
	kill -TERM "$1" 2>/dev/null || return 0
	_i=0
	while kill -0 "$1" 2>/dev/null && [ $_i -lt 20 ]; do
		sleep 0.1; _i=$((_i + 1))
	done
	kill -KILL "$1" 2>/dev/null || true
	wait "$1" 2>/dev/null || true
}

wait_sock() {	# wait_sock PATH: up to 5 s for a unix socket to appear
	_i=0
	while [ ! -S "$1" ] && [ $_i -lt 50 ]; do sleep 0.1; _i=$((_i + 1)); done
	[ -S "$1" ]
}

free_port() {
	python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

rss_kb() {	# rss_kb PID -> VmRSS in kB (0 when gone)
	awk '/^VmRSS:/ { r = $2 } END { print r + 0 }' "/proc/$1/status" \
	    2>/dev/null || echo 0
}

hwm_kb() {	# hwm_kb PID -> VmHWM in kB
	awk '/^VmHWM:/ { r = $2 } END { print r + 0 }' "/proc/$1/status" \
	    2>/dev/null || echo 0
}

wal_bytes() {	# wal_bytes DB -> size of DB-wal in bytes (0 when none)
	if [ -f "$1-wal" ]; then wc -c <"$1-wal" | tr -d ' '; else echo 0; fi
}

# wrk_row FILE -> "rps p50 p99 max requests non2xx sockerr" (ms)
wrk_row() {
	awk '
	    function ms(v) {
	        if (v ~ /us$/) { sub(/us$/, "", v); return v / 1000 }
	        if (v ~ /ms$/) { sub(/ms$/, "", v); return v + 0 }
	        if (v ~ /m$/)  { sub(/m$/, "", v);  return v * 60000 }
	        if (v ~ /s$/)  { sub(/s$/, "", v);  return v * 1000 }
	        return v + 0 }
	    /^Requests\/sec:/ { rps = $2 }
	    $1 == "Latency" && NF >= 4 { max = ms($4) }
	    $1 == "50%" { p50 = ms($2) }
	    $1 == "99%" { p99 = ms($2) }
	    /requests in/ { total = $1 }
	    /Non-2xx or 3xx responses:/ { non2xx = $NF }
	    /Socket errors:/ { gsub(/,/, ""); err = $4 + $6 + $8 + $10 }
	    END { printf "%.0f %.2f %.2f %.2f %d %d %d\n",
	          rps, p50, p99, max, total, non2xx, err }' "$1"
}

# measure NAME BASE PID DB WRK-ARGS...: one wrk run (MDUR, else DUR long),
# one all.tsv line.
# PID and DB are the daemon and database the row's RSS and WAL come from
# ("-" for none).
measure() {
	_name=$1 _base=$2 _pid=$3 _db=$4; shift 4
	_out=$W/wrk-$_name.$ROUND.txt
	wrk -t"$WT" -c"$CONNS" -d"${MDUR:-$DUR}" --latency "$@" >"$_out" 2>&1 ||
	    die "wrk failed for $_name: $(cat "$_out")"
	_rss=0; _wal=0
	[ "$_pid" != - ] && _rss=$(rss_kb "$_pid")
	[ "$_db" != - ] && _wal=$(wal_bytes "$_db")
	set -- $(wrk_row "$_out")
	printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$_name" \
	    "$_base" "$ROUND" "$1" "$2" "$3" "$4" "$5" "$6" "$7" "$_rss" \
	    "$_wal" >>"$W/all.tsv"
	printf '  r%s %-14s %8s req/s  p50 %7s ms  p99 %8s ms  non-2xx %s  sock-err %s\n' \
	    "$ROUND" "$_name" "$1" "$2" "$3" "$6" "$7"
}

# median_of NAME COLUMN -> "median min max" of that column over the rounds
median_of() {
	awk -F'\t' -v n="$1" -v c="$2" '$1 == n { print $c }' "$W/all.tsv" |
	    sort -g | awk '{ v[NR] = $1 }
	    END { if (NR == 0) { print "0 0 0"; exit }
	          m = NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
	          print m, v[1], v[NR] }'
}

# report_rows: the markdown table, one row per scenario in first-run order
report_rows() {
	echo "| scenario | req/s (median) | spread min–max | p50 ms | p99 ms | baseline | ratio | daemon RSS MiB | WAL MiB |"
	echo "|---|---:|---:|---:|---:|---|---:|---:|---:|"
	for _n in $(awk -F'\t' '!seen[$1]++ { print $1 }' "$W/all.tsv"); do
		_b=$(awk -F'\t' -v n="$_n" '$1 == n { print $2; exit }' "$W/all.tsv")
		set -- $(median_of "$_n" 4)
		_rps=$1 _lo=$2 _hi=$3
		_p50=$(median_of "$_n" 5 | cut -d' ' -f1)
		_p99=$(median_of "$_n" 6 | cut -d' ' -f1)
		_rss=$(median_of "$_n" 11 | cut -d' ' -f3)
		_wal=$(median_of "$_n" 12 | cut -d' ' -f3)
		_ratio=-
		if [ "$_b" != - ]; then
			_brps=$(median_of "$_b" 4 | cut -d' ' -f1)
			_ratio=$(awk -v a="$_rps" -v b="$_brps" \
			    'BEGIN { if (b > 0) printf "%.2f", a / b; else print "-" }')
		fi
		awk -v n="$_n" -v r="$_rps" -v lo="$_lo" -v hi="$_hi" \
		    -v p50="$_p50" -v p99="$_p99" -v b="$_b" -v ra="$_ratio" \
		    -v rss="$_rss" -v wal="$_wal" 'BEGIN {
		    rs = "-"; if (rss > 0) rs = sprintf("%.1f", rss / 1024)
		    wl = "-"; if (wal > 0) wl = sprintf("%.1f", wal / 1048576)
		    printf "| %s | %d | %d–%d | %.2f | %.2f | %s | %s | %s | %s |\n",
		        n, r, lo, hi, p50, p99, b, ra, rs, wl }'
	done
}

# ratio_of NAME BASE -> median(NAME) / median(BASE), 2 decimals
ratio_of() {
	awk -v a="$(median_of "$1" 4 | cut -d' ' -f1)" \
	    -v b="$(median_of "$2" 4 | cut -d' ' -f1)" \
	    'BEGIN { if (b > 0) printf "%.2f", a / b; else print "0" }'
}

# goal LABEL VALUE OP LIMIT -> one markdown row with "met" / "NOT met"
goal() {
	awk -v l="$1" -v v="$2" -v op="$3" -v lim="$4" 'BEGIN {
	    if (op == ">=") ok = (v + 0 >= lim + 0); else ok = (v + 0 <= lim + 0)
	    m = "**NOT met**"; if (ok) m = "met"
	    printf "| %s | %s | %s %s | %s |\n", l, v, op, lim, m }'
}
