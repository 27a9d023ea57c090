#!/bin/sh
# sessiongw benchmark: throughput, latency and memory against a baseline
# measured in the same run (a do-nothing libfcgi responder behind the same
# nginx). See bench/README.md.
#
#     make bench
#     SESSIONGW_BIN=build/sessiongw sh bench/run.sh
#
# Knobs (environment): BENCH_DURATION (5s), BENCH_ROUNDS (2, best kept),
# BENCH_CONNS (16),
# BENCH_WRK_THREADS (2), BENCH_THREADS (8, daemon and baseline threads),
# BENCH_LOGIN=0 to skip the login scenario, BENCH_FLOOD=0 to skip validate
# during a login flood, BENCH_THREADS2=0 to skip the threads=2 rerun,
# BENCH_LOCKED=0 to skip validate under a write lock, BENCH_ONLY=locked to
# run only that scenario, BENCH_REDIS=0 to skip the Redis backend rows,
# BENCH_KEEP=1 to keep the whole work directory.
#
# Everything runs on 127.0.0.1 and in a fresh temp directory; nothing is
# written to the repository. Every process started here is stopped by PID
# on exit.
set -eu

ROOT=$(cd "$(dirname "$0")/.." && pwd)
BIN=${SESSIONGW_BIN:-$ROOT/build/sessiongw}
DUR=${BENCH_DURATION:-5s}
ROUNDS=${BENCH_ROUNDS:-2}
CONNS=${BENCH_CONNS:-16}
WT=${BENCH_WRK_THREADS:-2}
THREADS=${BENCH_THREADS:-8}
NGX_WORKERS=1
USER_NAME=bench
USER_PASS=bench-password-123

die() { echo "bench: $*" >&2; exit 1; }
[ -x "$BIN" ] || die "no daemon binary at $BIN (make first)"
command -v nginx >/dev/null 2>&1 || die "nginx not installed (make deps)"
command -v curl >/dev/null 2>&1 || die "curl not installed"
pkg-config --exists fcgi || die "libfcgi-dev not installed (make deps)"
if ! command -v wrk >/dev/null 2>&1; then
	echo "bench: installing wrk (apt-get install -y wrk)"
	apt-get install -y wrk >/dev/null 2>&1 ||
	    die "wrk missing and apt-get install wrk failed"
fi

W=$(mktemp -d "${TMPDIR:-/tmp}/sessiongw-bench.XXXXXX")
RESULTS=$W/results-latest.txt
DAEMON_PID=
NULL_PID=
LOCK_PID=

stop_pid() {	# stop_pid PID: TERM, wait up to 2 s, then KILL
	[ -n "$1" ] || return 0
	kill -TERM "$1" 2>/dev/null || return 0
	i=0
	while kill -0 "$1" 2>/dev/null && [ $i -lt 20 ]; do
		sleep 0.1; i=$((i + 1))
	done
	kill -KILL "$1" 2>/dev/null || true
	wait "$1" 2>/dev/null || true
}

cleanup() {
	set +e
	stop_pid "$LOCK_PID"
	stop_pid "$REDIS_PID"
	[ -f "$W/nginx/nginx.pid" ] && stop_pid "$(cat "$W/nginx/nginx.pid")"
	stop_pid "$DAEMON_PID"
	stop_pid "$NULL_PID"
	if [ "${BENCH_KEEP:-0}" != 1 ]; then
		rm -rf "$W/redis"
		# keep only the results and the logs
		rm -rf "$W/www" "$W/nginx/body" "$W/nginx/fastcgi" \
		    "$W/nginx/proxy" "$W/nginx/uwsgi" "$W/nginx/scgi" \
		    "$W"/sessiongw.db* "$W/secret.key" "$W/null_responder" \
		    "$W"/*.sock "$W"/*.lua "$W/cookies.txt" "$W/audit.log"
	fi
	[ -f "$RESULTS" ] && echo "bench: results in $RESULTS"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# --- free port on loopback ----------------------------------------------
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])' 2>/dev/null ||
    echo $((20000 + $$ % 20000)))
URL=http://127.0.0.1:$PORT

# --- baseline responder ---------------------------------------------------
# shellcheck disable=SC2046
cc -O2 -o "$W/null_responder" "$ROOT/bench/null_responder.c" \
    $(pkg-config --cflags --libs fcgi) -lpthread ||
    die "cannot build bench/null_responder.c"

start_null() {	# start_null THREADS
	rm -f "$W/null.sock"
	"$W/null_responder" "$W/null.sock" "$1" >>"$W/null.log" 2>&1 &
	NULL_PID=$!
	wait_sock "$W/null.sock" || die "null responder did not start"
}

wait_sock() {
	i=0
	while [ ! -S "$1" ] && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
	[ -S "$1" ]
}

# --- sessiongw --------------------------------------------------------------
write_conf() {	# write_conf THREADS
	cat >"$W/sessiongw.conf" <<CONF
; benchmark configuration: everything under $W
[server]
listen = unix:$W/sessiongw.sock
threads = $1
database = $W/sessiongw.db
audit_log = $W/audit.log
secret_key_file = $W/secret.key
socket_mode = 0666

[session]
cookie_secure = false
CONF
}

start_daemon() {
	rm -f "$W/sessiongw.sock"
	(cd "$W" && exec "$BIN" -c sessiongw.conf serve) >>"$W/sessiongw.log" 2>&1 &
	DAEMON_PID=$!
	wait_sock "$W/sessiongw.sock" ||
	    { cat "$W/sessiongw.log" >&2; die "sessiongw did not start"; }
}

write_conf "$THREADS"
(cd "$W" && "$BIN" -c sessiongw.conf setup-session-security) \
    >"$W/setup.log" 2>&1 || { cat "$W/setup.log" >&2; die "setup failed"; }
printf '%s\n' "$USER_PASS" | (cd "$W" && "$BIN" -c sessiongw.conf user add \
    "$USER_NAME" --password-stdin) >>"$W/setup.log" 2>&1 ||
    { cat "$W/setup.log" >&2; die "user add failed"; }
start_daemon
start_null "$THREADS"

# --- nginx ------------------------------------------------------------------
mkdir -p "$W/nginx" "$W/www/app" "$W/www/base" "$W/www/static"
PAGE='<!doctype html><title>bench</title><p>protected page, 100 bytes or so of static html for the benchmark.</p>'
for d in app base static; do
	printf '%s\n' "$PAGE" >"$W/www/$d/index.html"
done

# The baseline's FastCGI params: the same list conf/nginx/sessiongw.conf
# gives /session/validate, so nginx does the same work for both upstreams.
cat >"$W/nginx/null_params.conf" <<'CONF'
fastcgi_pass_request_body off;
fastcgi_param CONTENT_LENGTH    "";
fastcgi_param CONTENT_TYPE      "";
fastcgi_param REQUEST_METHOD    $request_method;
fastcgi_param DOCUMENT_URI      $document_uri;
fastcgi_param SCRIPT_NAME       $fastcgi_script_name;
fastcgi_param REQUEST_URI       $request_uri;
fastcgi_param QUERY_STRING      $query_string;
fastcgi_param REMOTE_ADDR       $remote_addr;
fastcgi_param REMOTE_PORT       $remote_port;
fastcgi_param HTTPS             $https if_not_empty;
fastcgi_param REQUEST_SCHEME    $scheme;
fastcgi_param HTTP_HOST         $http_host;
fastcgi_param SERVER_NAME       $server_name;
fastcgi_param SERVER_PORT       $server_port;
fastcgi_param SERVER_PROTOCOL   $server_protocol;
fastcgi_param GATEWAY_INTERFACE CGI/1.1;
fastcgi_param REQUEST_ID        $request_id;
fastcgi_pass null;
CONF

USER_LINE=
[ "$(id -u)" = 0 ] && USER_LINE='user root;'
cat >"$W/nginx/nginx.conf" <<CONF
$USER_LINE
daemon on;
worker_processes $NGX_WORKERS;
pid $W/nginx/nginx.pid;
error_log $W/nginx/error.log;
events { worker_connections 1024; }
http {
    access_log off;
    client_body_temp_path $W/nginx/body;
    fastcgi_temp_path $W/nginx/fastcgi;
    proxy_temp_path $W/nginx/proxy;
    uwsgi_temp_path $W/nginx/uwsgi;
    scgi_temp_path $W/nginx/scgi;
    keepalive_requests 1000000;
    upstream sessiongw { server unix:$W/sessiongw.sock; }
    upstream null { server unix:$W/null.sock; }
    server {
        listen 127.0.0.1:$PORT;
        root $W/www;
        include $ROOT/conf/nginx/sessiongw.conf;

        # (1) nginx's own ceiling: no auth at all
        location /static/ { try_files \$uri \$uri/index.html =404; }

        # (3) the real thing: auth_request to sessiongw
        location /app/ {
            auth_request /session/validate;
            auth_request_set \$sg_cookie \$upstream_http_set_cookie;
            add_header Set-Cookie \$sg_cookie always;
            auth_request_set \$sg_user \$upstream_http_x_session_user;
            add_header X-Session-User \$sg_user;
            try_files \$uri \$uri/index.html =404;
        }

        # (2) the baseline: the same, auth_request to the null responder
        location /base/ {
            auth_request /_null_auth;
            auth_request_set \$sg_cookie \$upstream_http_set_cookie;
            add_header Set-Cookie \$sg_cookie always;
            auth_request_set \$sg_user \$upstream_http_x_session_user;
            add_header X-Session-User \$sg_user;
            try_files \$uri \$uri/index.html =404;
        }
        location = /_null_auth { internal; include $W/nginx/null_params.conf; }

        # (4b) the null responder reached directly, like /session/validate
        location = /null/validate { include $W/nginx/null_params.conf; }
    }
}
CONF
nginx -t -q -p "$W/nginx" -c "$W/nginx/nginx.conf" -e "$W/nginx/error.log" ||
    die "nginx config test failed"
nginx -p "$W/nginx" -c "$W/nginx/nginx.conf" -e "$W/nginx/error.log" ||
    die "nginx did not start"
i=0
while [ ! -s "$W/nginx/nginx.pid" ] && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done

# --- a session, a cache entry, a tampered cookie ------------------------------
code() { curl -s -o /dev/null -w '%{http_code}' "$@"; }
LOGIN_BODY="{\"username\":\"$USER_NAME\",\"password\":\"$USER_PASS\"}"
c=$(curl -s -o "$W/login.json" -w '%{http_code}' -c "$W/cookies.txt" \
    -H 'Content-Type: application/json' -H "Origin: $URL" \
    -d "$LOGIN_BODY" "$URL/session/login")
[ "$c" = 200 ] || { cat "$W/login.json" >&2; die "login answered $c"; }
TOKEN=$(awk '$6 == "sessiongw" { print $7 }' "$W/cookies.txt")
[ -n "$TOKEN" ] || die "no sessiongw cookie after login"
COOKIE="sessiongw=$TOKEN"
# tampered: change the first character of the tag (after the dot)
TAG=${TOKEN#*.}
ID=${TOKEN%%.*}
first=$(printf '%s' "$TAG" | cut -c1)
rest=$(printf '%s' "$TAG" | cut -c2-)
if [ "$first" = A ]; then first=B; else first=A; fi
BAD="sessiongw=$ID.$first$rest"

c=$(code -X PUT -b "$COOKIE" -H "Origin: $URL" -H 'Content-Type: text/plain' \
    --data-binary 'cached value for the benchmark' "$URL/session/cache/benchkey")
[ "$c" = 204 ] || die "cache PUT answered $c"

check() {	# check WANT URL [curl args]: a scenario answers what it should
	want=$1; shift
	got=$(code "$@")
	[ "$got" = "$want" ] || die "$* answered $got, want $want"
}
check 200 "$URL/static/"
check 200 "$URL/base/"
check 200 -b "$COOKIE" "$URL/app/"
check 401 "$URL/app/"
check 200 -b "$COOKIE" "$URL/session/validate"
check 200 "$URL/null/validate"
check 200 -b "$COOKIE" "$URL/session/cache/benchkey"
check 401 -b "$BAD" "$URL/session/validate"

# --- measuring ------------------------------------------------------------------
mem() {	# mem PID -> "RSS_kB HWM_kB"
	awk '/^VmRSS:/ { r = $2 } /^VmHWM:/ { h = $2 } END { print r + 0, h + 0 }' \
	    "/proc/$1/status" 2>/dev/null || echo "0 0"
}

: >"$W/all.tsv"
ROUND=1
# run NAME BASELINE-NAME WRK-ARGS... : (round 1: warm up 1 s), then measure
run() {
	name=$1 base=$2; shift 2
	[ "$ROUND" = 1 ] && { wrk -t"$WT" -c"$CONNS" -d1s "$@" >/dev/null 2>&1 || true; }
	wrk -t"$WT" -c"$CONNS" -d"$DUR" --latency "$@" >"$W/wrk-$name.$ROUND.txt" 2>&1 ||
	    die "wrk failed for $name: $(cat "$W/wrk-$name.$ROUND.txt")"
	awk -v name="$name" -v base="$base" '
	    function ms(v) {
	        if (v ~ /us$/) { sub(/us$/, "", v); return v / 1000 }
	        if (v ~ /ms$/) { sub(/ms$/, "", v); return v + 0 }
	        if (v ~ /m$/)  { sub(/m$/, "", v);  return v * 60000 }
	        if (v ~ /s$/)  { sub(/s$/, "", v);  return v * 1000 }
	        return v + 0 }
	    /^Requests\/sec:/ { rps = $2 }
	    $1 == "50%" { p50 = ms($2) }
	    $1 == "99%" { p99 = ms($2) }
	    /requests in/ { total = $1 }
	    /Non-2xx or 3xx responses:/ { non2xx = $NF }
	    /Socket errors:/ { gsub(/,/, ""); err = $4 + $6 + $8 + $10 }
	    END { printf "%s\t%s\t%.0f\t%.2f\t%.2f\t%d\t%d\t%d\n",
	          name, base, rps, p50, p99, total, non2xx, err }' \
	    "$W/wrk-$name.$ROUND.txt" >>"$W/all.tsv"
	tail -n 1 "$W/all.tsv" | awk -F'\t' -v r="$ROUND" '{ printf "  r%s %-18s %8s req/s  p50 %6s ms  p99 %6s ms  non-2xx %s  sock-err %s\n", r, $1, $3, $4, $5, $7, $8 }'
}

WRKV=$(wrk -v 2>&1 | head -n 1 || true)
echo "bench: nginx 127.0.0.1:$PORT, $NGX_WORKERS worker; sessiongw and null responder $THREADS threads each;"
echo "bench: wrk -t$WT -c$CONNS -d$DUR per scenario, $ROUNDS interleaved rounds (1 s warm-up in round 1); $(nproc) CPUs shared by all"
MEM0_D=$(mem "$DAEMON_PID"); MEM0_N=$(mem "$NULL_PID")

# Rounds are interleaved (every scenario once, then again), so a burst of
# outside load hits one round of several scenarios rather than every round
# of one; the report keeps each scenario's best round.
# --- validate while another process holds the write lock ------------------
# SPEC "Degrade, don't fail": the same validate load with the database
# free and while a second process holds BEGIN EXCLUSIVE on it (what an open
# sqlite3 shell, a VACUUM or a long migration does). The row ratio is
# locked / unlocked throughput (goal >= 0.8); p99 is compared in the report.
LOCKED_ROW=
lock_db() {	# hold the write lock in another process until unlock_db
	rm -f "$W/locked"
	python3 -c '
import sqlite3, sys, time
c = sqlite3.connect(sys.argv[1], isolation_level=None, timeout=10)
c.execute("BEGIN EXCLUSIVE")
open(sys.argv[2], "w").close()
time.sleep(float(sys.argv[3]))
' "$W/sessiongw.db" "$W/locked" 120 >>"$W/locker.log" 2>&1 &
	LOCK_PID=$!
	i=0
	while [ ! -f "$W/locked" ] && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
	[ -f "$W/locked" ] || die "could not lock the database"
}
unlock_db() { stop_pid "$LOCK_PID"; LOCK_PID=; }
scenario_locked() {
	ROUND=1
	while [ "$ROUND" -le "$ROUNDS" ]; do
		run validate_unlocked -                 -H "Cookie: $COOKIE" "$URL/session/validate"
		lock_db
		# the lock is real: a write is refused (503 store_busy)
		check 503 -X PUT -b "$COOKIE" -H "Origin: $URL" \
		    -H 'Content-Type: text/plain' --data-binary x \
		    "$URL/session/cache/benchkey"
		check 200 -b "$COOKIE" "$URL/session/validate"
		run validate_locked   validate_unlocked -H "Cookie: $COOKIE" "$URL/session/validate"
		unlock_db
		ROUND=$((ROUND + 1))
	done
	check 204 -X PUT -b "$COOKIE" -H "Origin: $URL" \
	    -H 'Content-Type: text/plain' --data-binary 'cached value for the benchmark' \
	    "$URL/session/cache/benchkey"
	LOCKED_ROW=1
}

if [ "${BENCH_ONLY:-}" = locked ]; then
	ROUNDS_MAIN=0
	BENCH_LOGIN=0
	BENCH_THREADS2=0
	BENCH_FLOOD=0
else
	ROUNDS_MAIN=$ROUNDS
fi

# PUT one key (replaced each time: the per-user quota is not the subject)
put_lua() {	# put_lua FILE COOKIE
	cat >"$1" <<LUA
wrk.method = "PUT"
wrk.body = "cached value for the benchmark"
wrk.headers["Content-Type"] = "text/plain"
wrk.headers["Origin"] = "$URL"
wrk.headers["Cookie"] = "$2"
LUA
}
put_lua "$W/put.lua" "$COOKIE"

ROUND=1
while [ "$ROUND" -le "$ROUNDS_MAIN" ]; do
	run static        -           "$URL/static/"
	run base_null     -           "$URL/base/"
	run app_sessiongw base_null   -H "Cookie: $COOKIE" "$URL/app/"
	run null_direct   -           "$URL/null/validate"
	run validate      null_direct -H "Cookie: $COOKIE" "$URL/session/validate"
	run cache_get     null_direct -H "Cookie: $COOKIE" "$URL/session/cache/benchkey"
	run cache_put     null_direct -s "$W/put.lua" "$URL/session/cache/benchkey"
	run validate_bad  null_direct -H "Cookie: $BAD" "$URL/session/validate"
	ROUND=$((ROUND + 1))
done

MEM1_D=$(mem "$DAEMON_PID"); MEM1_N=$(mem "$NULL_PID")
AUDIT_BYTES=$(wc -c <"$W/audit.log" 2>/dev/null || echo 0)

LOGIN_ROW=
MEM2_D=
if [ "${BENCH_LOGIN:-1}" != 0 ]; then
	cat >"$W/login.lua" <<LUA
wrk.method = "POST"
wrk.body = '$LOGIN_BODY'
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Origin"] = "$URL"
LUA
	# argon2id-bound: a handful of connections, 5 s, no warm-up
	wrk -t2 -c4 -d5s --latency -s "$W/login.lua" "$URL/session/login" \
	    >"$W/wrk-login.txt" 2>&1 || die "wrk failed for login"
	LOGIN_ROW=$(awk '
	    function ms(v) {
	        if (v ~ /us$/) { sub(/us$/, "", v); return v / 1000 }
	        if (v ~ /ms$/) { sub(/ms$/, "", v); return v + 0 }
	        if (v ~ /s$/)  { sub(/s$/, "", v);  return v * 1000 }
	        return v + 0 }
	    /^Requests\/sec:/ { rps = $2 }
	    $1 == "50%" { p50 = ms($2) }
	    $1 == "99%" { p99 = ms($2) }
	    /Non-2xx or 3xx responses:/ { non2xx = $NF }
	    END { printf "%.1f\t%.1f\t%.1f\t%d\n", rps, p50, p99, non2xx }' \
	    "$W/wrk-login.txt")
	# requests still queued in the daemon when wrk stops keep hashing:
	# let them finish, so VmRSS is the settled figure (VmHWM the peak)
	sleep 2
	MEM2_D=$(mem "$DAEMON_PID")
	echo "  login (-c4 5s)     $(echo "$LOGIN_ROW" | cut -f1) logins/s"
fi

# --- validate during a sign-in flood ----------------------------------------
# SPEC: a flood of sign-ins must not slow down validate. Measures validate
# p99 idle, then again while 50 connections keep posting wrong passwords
# for random usernames (every one an argon2id check). The per-address limit
# is raised for this run only, so that one loopback client can play a flood
# from many addresses, as a botnet would send it. Sets FLOOD_ROW.
FLOOD_ROW=
login_flood_scenario() {
	cat >"$W/flood.lua" <<LUA
local threads = {}
function setup(thread) table.insert(threads, thread) end
function init(args)
	n401, n503, nother = 0, 0, 0
	math.randomseed(os.time() + math.floor(os.clock() * 1000000))
end
function request()
	local body = '{"username":"flood' .. math.random(1, 1000000000) ..
	    '","password":"wrong-password"}'
	return wrk.format("POST", "/session/login", {
	    ["Content-Type"] = "application/json", ["Origin"] = "$URL" }, body)
end
function response(status, headers, body)
	if status == 401 then n401 = n401 + 1
	elseif status == 503 then n503 = n503 + 1
	else nother = nother + 1 end
end
function done(summary, latency, requests)
	local a, b, c = 0, 0, 0
	for _, t in ipairs(threads) do
		a = a + t:get("n401"); b = b + t:get("n503"); c = c + t:get("nother")
	end
	io.write(string.format("flood-codes %d %d %d\n", a, b, c))
end
LUA
	p99_of() {	# p99_of WRK-OUTPUT -> "p50_ms p99_ms max_ms"
		awk 'function ms(v) {
		        if (v ~ /us$/) { sub(/us$/, "", v); return v / 1000 }
		        if (v ~ /ms$/) { sub(/ms$/, "", v); return v + 0 }
		        if (v ~ /s$/)  { sub(/s$/, "", v);  return v * 1000 }
		        return v + 0 }
		    $1 == "Latency" && NF >= 4 { max = ms($4) }
		    $1 == "50%" { p50 = ms($2) }
		    $1 == "99%" { p99 = ms($2) }
		    END { printf "%.2f %.2f %.2f\n", p50, p99, max }' "$1"
	}
	stop_pid "$DAEMON_PID"; DAEMON_PID=
	printf '\n[login]\nmax_failures_per_ip = 1000000\n' >>"$W/sessiongw.conf"
	start_daemon
	check 200 -b "$COOKIE" "$URL/session/validate"
	wrk -t1 -c4 -d"$DUR" --latency -H "Cookie: $COOKIE" \
	    "$URL/session/validate" >"$W/wrk-validate-idle.txt" 2>&1 ||
	    die "wrk failed for validate (idle)"
	wrk -t2 -c50 -d"$(( ${DUR%s} + 3 ))s" --timeout 10s -s "$W/flood.lua" \
	    "$URL/session/login" >"$W/wrk-flood.txt" 2>&1 &
	flood_pid=$!
	sleep 1.5
	wrk -t1 -c4 -d"$DUR" --latency -H "Cookie: $COOKIE" \
	    "$URL/session/validate" >"$W/wrk-validate-flood.txt" 2>&1 ||
	    die "wrk failed for validate (flood)"
	wait "$flood_pid" || die "wrk failed for the flood: $(cat "$W/wrk-flood.txt")"
	set -- $(p99_of "$W/wrk-validate-idle.txt") \
	    $(p99_of "$W/wrk-validate-flood.txt") \
	    $(awk '$1 == "flood-codes" { print $2, $3, $4 }' "$W/wrk-flood.txt")
	FLOOD_ROW="validate p99 idle $2 ms (p50 $1, max $3); during the flood p99 $5 ms (p50 $4, max $6); flood answers: 401 ${7:-?}, 503 ${8:-?}, other ${9:-?}"
	echo "  login flood        $FLOOD_ROW"
}
[ "${BENCH_FLOOD:-1}" != 0 ] && login_flood_scenario
if [ "${BENCH_LOCKED:-1}" != 0 ] || [ "${BENCH_ONLY:-}" = locked ]; then
	scenario_locked
fi

if [ "${BENCH_THREADS2:-1}" != 0 ] && [ "$THREADS" != 2 ]; then
	echo "bench: rerun with threads = 2 (daemon and null responder)"
	stop_pid "$DAEMON_PID"; DAEMON_PID=
	stop_pid "$NULL_PID"; NULL_PID=
	write_conf 2
	start_daemon
	start_null 2
	check 200 -b "$COOKIE" "$URL/app/"
	ROUND=1
	while [ "$ROUND" -le "$ROUNDS" ]; do
		run base_null_t2     -            "$URL/base/"
		run app_sessiongw_t2 base_null_t2 -H "Cookie: $COOKIE" "$URL/app/"
		ROUND=$((ROUND + 1))
	done
fi

# --- the same rows on [store] backend = redis ---------------------------------
# A redis-server of our own on a unix socket in $W (AOF on, fsync every
# second: the production setting), the daemon restarted on it, a new
# login; rows *_redis next to the SQLite ones, same baselines.
REDIS_PID=
if [ "${BENCH_REDIS:-1}" != 0 ] && [ "${BENCH_ONLY:-}" != locked ] &&
    command -v redis-server >/dev/null; then
	echo "bench: the Redis backend"
	mkdir -p "$W/redis"
	redis-server --port 0 --unixsocket "$W/redis/redis.sock" \
	    --unixsocketperm 700 --dir "$W/redis" --save '' --appendonly yes \
	    --appendfsync everysec --logfile "$W/redis/redis.log" &
	REDIS_PID=$!
	wait_sock "$W/redis/redis.sock" || die "redis-server did not start"
	stop_pid "$DAEMON_PID"; DAEMON_PID=
	stop_pid "$NULL_PID"; NULL_PID=
	write_conf "$THREADS"
	printf '\n[store]\nbackend = redis\nredis = unix:%s\n' \
	    "$W/redis/redis.sock" >>"$W/sessiongw.conf"
	(cd "$W" && "$BIN" -c sessiongw.conf setup-session-security) \
	    >>"$W/setup.log" 2>&1 || { cat "$W/setup.log" >&2; die "setup (redis) failed"; }
	printf '%s\n' "$USER_PASS" | (cd "$W" && "$BIN" -c sessiongw.conf user add \
	    "$USER_NAME" --password-stdin) >>"$W/setup.log" 2>&1 ||
	    { cat "$W/setup.log" >&2; die "user add (redis) failed"; }
	start_daemon
	start_null "$THREADS"
	c=$(curl -s -o "$W/login.json" -w '%{http_code}' -c "$W/cookies-r.txt" \
	    -H 'Content-Type: application/json' -H "Origin: $URL" \
	    -d "$LOGIN_BODY" "$URL/session/login")
	[ "$c" = 200 ] || die "login (redis) answered $c"
	RCOOKIE="sessiongw=$(awk '$6 == "sessiongw" { print $7 }' "$W/cookies-r.txt")"
	put_lua "$W/put-r.lua" "$RCOOKIE"
	check 200 -b "$RCOOKIE" "$URL/app/"
	c=$(code -X PUT -b "$RCOOKIE" -H "Origin: $URL" -H 'Content-Type: text/plain' \
	    --data-binary 'cached value for the benchmark' "$URL/session/cache/benchkey")
	[ "$c" = 204 ] || die "cache PUT (redis) answered $c"
	check 200 -b "$RCOOKIE" "$URL/session/cache/benchkey"
	ROUND=1
	while [ "$ROUND" -le "$ROUNDS" ]; do
		run base_null_r        -            "$URL/base/"
		run app_redis          base_null_r  -H "Cookie: $RCOOKIE" "$URL/app/"
		run null_direct_r      -            "$URL/null/validate"
		run validate_redis     null_direct_r -H "Cookie: $RCOOKIE" "$URL/session/validate"
		run cache_get_redis    null_direct_r -H "Cookie: $RCOOKIE" "$URL/session/cache/benchkey"
		run cache_put_redis    null_direct_r -s "$W/put-r.lua" "$URL/session/cache/benchkey"
		ROUND=$((ROUND + 1))
	done
fi

# --- report ----------------------------------------------------------------------
# each scenario's best round (highest req/s), in first-run order
awk -F'\t' '
    !($1 in best) { order[++n] = $1 }
    !($1 in best) || $3 + 0 > best[$1] + 0 { best[$1] = $3; row[$1] = $0 }
    END { for (i = 1; i <= n; i++) print row[order[i]] }' "$W/all.tsv" >"$W/rows.tsv"
{
	echo "sessiongw benchmark, $(date -u '+%Y-%m-%d %H:%M UTC'), $(uname -srm), $(nproc) CPUs"
	echo "nginx $(nginx -v 2>&1 | sed 's/.*\///'), $NGX_WORKERS worker, access_log off; $WRKV"
	echo "wrk -t$WT -c$CONNS -d$DUR --latency per scenario, best of $ROUNDS interleaved rounds, all on 127.0.0.1;"
	echo "sessiongw threads = $THREADS, null responder threads = $THREADS (rows *_t2: 2 each)"
	echo "wrk, nginx and the daemon share the same CPUs: read the ratios, not the absolute figures."
	echo
	printf '%-18s %9s %8s %8s %9s %6s  %-14s %s\n' \
	    scenario req/s p50_ms p99_ms requests non2xx baseline ratio
	awk -F'\t' '
	    { name[NR] = $1; base[NR] = $2; rps[$1] = $3; row[NR] = $0 }
	    END {
	        for (i = 1; i <= NR; i++) {
	            split(row[i], f, "\t")
	            b = base[i]; r = "-"
	            if (b != "-" && rps[b] > 0) r = sprintf("%.2f", f[3] / rps[b])
	            printf "%-18s %9s %8s %8s %9s %6s  %-14s %s\n",
	                f[1], f[3], f[4], f[5], f[6], f[7], b, r
	        }
	    }' "$W/rows.tsv"
	echo
	echo "static           = GET /static/ (nginx alone, no auth): the ceiling"
	echo "base_null        = GET /base/, auth_request -> null responder"
	echo "app_sessiongw    = GET /app/, auth_request -> sessiongw /session/validate, valid cookie"
	echo "null_direct      = GET /null/validate straight to the null responder"
	echo "validate         = GET /session/validate with a valid cookie (no auth_request hop)"
	echo "cache_get        = GET /session/cache/benchkey, a hit"
	echo "cache_put        = PUT /session/cache/benchkey (the same key replaced)"
	echo "*_redis          = the same on [store] backend = redis (own redis-server, unix"
	echo "                   socket, AOF everysec); *_r = their baselines, measured in the same rounds"
	echo "validate_bad     = GET /session/validate, tampered cookie: 401 (non2xx expected),"
	echo "                   rejected before the database (audited, at most 20 lines a second)"
	echo "ratio            = req/s of the row / req/s of its baseline row (1.00 = as fast as bare FastCGI)"
	if [ -n "$LOCKED_ROW" ]; then
		echo "validate_unlocked = GET /session/validate, valid cookie, database free"
		echo "validate_locked   = the same while another process holds BEGIN EXCLUSIVE on the"
		echo "                    database (ratio: locked / unlocked throughput, goal >= 0.8)"
		awk -F'\t' '$1 == "validate_unlocked" { u = $5 } $1 == "validate_locked" { l = $5 }
		    END { if (u > 0) printf "validate p99 under the write lock: %.2f ms vs %.2f ms unlocked (%.2fx)\n", l, u, l / u }' "$W/rows.tsv"
	fi
	if [ -n "$LOGIN_ROW" ]; then
		echo
		echo "$LOGIN_ROW" | awk -F'\t' '{ printf "login (POST /session/login JSON, wrk -c4 -d5s): %s logins/s, p50 %s ms, p99 %s ms, non-2xx %s (argon2id-bound)\n", $1, $2, $3, $4 }'
	fi
	if [ -n "$FLOOD_ROW" ]; then
		echo
		echo "login flood (wrk -c50 wrong passwords, random usernames; validate wrk -t1 -c4 -d$DUR):"
		echo "  $FLOOD_ROW"
	fi
	echo
	echo "memory (kB)                  sessiongw VmRSS  VmHWM   null VmRSS  VmHWM"
	set -- $MEM0_D $MEM0_N
	printf '%-28s %15s %6s %12s %6s\n' "before load (after 1 login)" "$1" "$2" "$3" "$4"
	set -- $MEM1_D $MEM1_N
	printf '%-28s %15s %6s %12s %6s\n' "after the scenarios" "$1" "$2" "$3" "$4"
	if [ -n "$MEM2_D" ]; then
		set -- $MEM2_D
		printf '%-28s %15s %6s %12s %6s\n' "after logins, +2 s idle" "$1" "$2" "-" "-"
	fi
	echo "audit log after the scenarios: $AUDIT_BYTES bytes"
} >"$RESULTS"
echo
cat "$RESULTS"
