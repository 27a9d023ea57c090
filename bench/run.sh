#!/bin/sh
# sessiongw benchmark: throughput, latency, memory and WAL size at a real
# site's size, each as a ratio to a baseline measured in the same run (a
# do-nothing libfcgi responder behind the same nginx), plus the seed's own
# Django stack side by side. See bench/README.md.
#
#     make bench                   # full run (about 20 minutes)
#     make bench BENCH_QUICK=1     # CI smoke run, under a minute
#     SESSIONGW_BIN=build/sessiongw sh bench/run.sh
#
# Knobs (environment), full / quick defaults:
#   BENCH_QUICK (0)          1 = tiny rounds and seeds, no login/flood/locked
#   BENCH_DURATION (5s / 1s) wrk time per scenario per round
#   BENCH_ROUNDS (3 / 3)     interleaved rounds (A B A B ...), median kept
#   BENCH_CONNS (16)  BENCH_WRK_THREADS (2)  BENCH_THREADS (8, daemon and null)
#   BENCH_SESSIONS (1000000 / 20000)  live sessions in the big store
#   BENCH_TOKENS (10000 / 2000)       distinct sessions wrk rotates over
#   BENCH_STORM (100000 / 5000)       expired sessions and expired cache rows
#   BENCH_CACHE_ROWS (100000 / 5000)  live cache rows in the big store
#   BENCH_WAL_SECS (600 / 3)          sustained mixed load for the WAL figure
#   BENCH_ACTIVITY_INTERVAL (30)      [session] activity_interval of both stores
#   BENCH_DJANGO=0  BENCH_LOGIN=0  BENCH_FLOOD=0  BENCH_LOCKED=0  skip parts
#   BENCH_REDIS=0             skip the Redis backend's rows
#   BENCH_ONLY=NAME           only one part after seeding: main (the interleaved
#                             rounds), storm, wal, login, flood or locked
#   BENCH_KEEP=1              keep the work directory (databases, logs)
#
# Everything runs on 127.0.0.1 and unix sockets in a fresh temp directory;
# the only file written to the repository is bench/results/latest.md
# (gitignored). Every process started here is stopped by PID on exit.
set -eu

ROOT=$(cd "$(dirname "$0")/.." && pwd)
. "$ROOT/bench/lib.sh"
. "$ROOT/tests/template/render.sh"
BIN=${SESSIONGW_BIN:-$ROOT/build/sessiongw}
PY=/usr/bin/python3		# Debian's, where python3-django lives
QUICK=${BENCH_QUICK:-0}
if [ "$QUICK" = 1 ]; then
	DUR=${BENCH_DURATION:-1s}
	BIG=${BENCH_SESSIONS:-20000}
	TOKENS=${BENCH_TOKENS:-2000}
	STORM=${BENCH_STORM:-5000}
	CACHE_ROWS=${BENCH_CACHE_ROWS:-5000}
	WAL_SECS=${BENCH_WAL_SECS:-3}
	: "${BENCH_LOGIN:=0}" "${BENCH_FLOOD:=0}" "${BENCH_LOCKED:=0}"
else
	DUR=${BENCH_DURATION:-5s}
	BIG=${BENCH_SESSIONS:-1000000}
	TOKENS=${BENCH_TOKENS:-10000}
	STORM=${BENCH_STORM:-100000}
	CACHE_ROWS=${BENCH_CACHE_ROWS:-100000}
	WAL_SECS=${BENCH_WAL_SECS:-600}
fi
SMALL=1000			# the small store: 1,000 live sessions
ACTIVITY=${BENCH_ACTIVITY_INTERVAL:-30}
ROUNDS=${BENCH_ROUNDS:-3}
CONNS=${BENCH_CONNS:-16}
WT=${BENCH_WRK_THREADS:-2}
THREADS=${BENCH_THREADS:-8}
SEED_USERS=1000
USER_NAME=bench
USER_PASS=bench-password-123
OUT_DIR=$ROOT/bench/results
T0=$(date +%s)

[ -x "$BIN" ] || die "no daemon binary at $BIN (make first)"
command -v nginx >/dev/null 2>&1 || die "nginx not installed (make deps)"
command -v curl >/dev/null 2>&1 || die "curl not installed"
command -v wrk >/dev/null 2>&1 || die "wrk not installed (make deps)"
pkg-config --exists fcgi || die "libfcgi-dev not installed (make deps)"
[ "${BENCH_DJANGO:-1}" = 0 ] || "$PY" -c 'import django, gunicorn' 2>/dev/null ||
    die "python3-django / gunicorn missing (make deps), or BENCH_DJANGO=0"

W=$(mktemp -d "${TMPDIR:-/tmp}/sessiongw-bench.XXXXXX")
DB_S=$W/small.db		# 1,000 sessions + the login user (daemon S)
DB_B=$W/big.db			# BIG sessions, cache rows (daemon B)
PID_S= PID_B= PID_R= NULL_PID= LOCK_PID= GUNI_PID= REDIS_PID= NGX_A= NGX_B=
REDIS=${BENCH_REDIS:-1}
if [ "$REDIS" != 0 ]; then
	command -v redis-server >/dev/null 2>&1 && command -v redis-cli >/dev/null 2>&1 ||
	    die "redis-server / redis-cli not installed (make deps), or BENCH_REDIS=0"
fi
: >"$W/all.tsv"

cleanup() {
	set +e
	stop_pid "$LOCK_PID"
	[ -f "$W/ngxA/nginx.pid" ] && stop_pid "$(cat "$W/ngxA/nginx.pid")"
	[ -f "$W/ngxB/nginx.pid" ] && stop_pid "$(cat "$W/ngxB/nginx.pid")"
	[ -f "$W/ngxR/nginx.pid" ] && stop_pid "$(cat "$W/ngxR/nginx.pid")"
	stop_pid "$PID_S"; stop_pid "$PID_B"; stop_pid "$PID_R"; stop_pid "$NULL_PID"
	stop_pid "$REDIS_PID"
	stop_pid "$GUNI_PID"
	if [ "${BENCH_KEEP:-0}" != 1 ]; then
		rm -rf "$W"/*.db "$W"/*.db-* "$W/django" "$W/www" \
		    "$W"/ngx?/body "$W"/ngx?/fastcgi "$W"/ngx?/proxy \
		    "$W"/ngx?/uwsgi "$W"/ngx?/scgi "$W/secret.key" \
		    "$W"/*.sock "$W"/*cookies*.txt "$W/null_responder" \
		    "$W/redis"
	fi
	echo "bench: logs and raw wrk output in $W"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# --- daemons: one config writer, two stores sharing the key ---------------
# The store of each daemon: [store] lines for write_conf, empty = SQLite
# in DB (for Redis: 'backend = redis' and 'redis = unix:PATH' lines).
STORE_S= STORE_B=
write_conf() {	# write_conf NAME DB [CLEANUP-INTERVAL [STORE-LINES [LOGIN-LINES]]]
	# -> $W/NAME.conf, daemon socket $W/NAME.sock
	render "$ROOT/tests/template/sessiongw.conf.in" "$W/$1.conf" \
	    WRITER="benchmark configuration (bench/run.sh), everything under $W" \
	    LISTEN="unix:$W/$1.sock" THREADS="$THREADS" DATABASE="$2" \
	    AUDIT_LOG="$W/$1-audit.log" SECRET_KEY="$W/secret.key" \
	    SOCKET_MODE=0666 STORE="${4:-}" LOGIN="${5:-}" \
	    SESSION="cookie_secure = false
; BENCH_ACTIVITY_INTERVAL (30; 1 is the default of a fresh install)
activity_interval = $ACTIVITY" \
	    CACHE='; the big store holds BENCH_CACHE_ROWS rows: no cull during the bench
max_entries = 1000000
max_entries_per_user = 1000' \
	    CLEANUP="interval = ${3:-60}" ||
	    die "cannot write $W/$1.conf"
}

start_daemon() {	# start_daemon NAME -> sets LAST_PID
	rm -f "$W/$1.sock"
	(cd "$W" && exec "$BIN" -c "$1.conf" serve) >>"$W/$1.log" 2>&1 &
	LAST_PID=$!
	wait_sock "$W/$1.sock" || { cat "$W/$1.log" >&2; die "sessiongw $1 did not start"; }
}
start_s() { start_daemon small; PID_S=$LAST_PID; }
start_b() { start_daemon big; PID_B=$LAST_PID; }
start_r() { start_daemon redis-gw; PID_R=$LAST_PID; }

setup_store() {	# setup_store NAME
	(cd "$W" && "$BIN" -c "$1.conf" setup-session-security) \
	    >>"$W/setup.log" 2>&1 || { cat "$W/setup.log" >&2; die "setup $1 failed"; }
}

write_conf small "$DB_S" 60 "$STORE_S"
write_conf big "$DB_B" 60 "$STORE_B"
setup_store small
setup_store big
printf '%s\n' "$USER_PASS" | (cd "$W" && "$BIN" -c small.conf user add \
    "$USER_NAME" --password-stdin) >>"$W/setup.log" 2>&1 ||
    { cat "$W/setup.log" >&2; die "user add failed"; }

echo "bench: seeding $SMALL sessions (small store) and $BIG sessions + $CACHE_ROWS cache rows (big store)"
"$PY" "$ROOT/bench/seed.py" "$DB_S" "$W/secret.key" --users "$SEED_USERS" \
    --sessions "$SMALL" --tokens "$SMALL" "$W/cookies-1k.txt" ||
    die "seeding the small store failed"
"$PY" "$ROOT/bench/seed.py" "$DB_B" "$W/secret.key" --users "$SEED_USERS" \
    --sessions "$BIG" --tokens "$TOKENS" "$W/cookies-1m.txt" \
    --cache "$CACHE_ROWS" || die "seeding the big store failed"

# --- the Redis backend: the big store's rows, copied --------------------------
# Its own redis-server (unix socket in $W, AOF with fsync every second, no
# eviction: a production setting) and gateway R, configured like B but
# with [store] backend = redis. bench/seed_redis.py copies B's users,
# sessions and cache rows into it, so R answers the same cookies.
if [ "$REDIS" != 0 ]; then
	mkdir -p "$W/redis"
	redis-server --port 0 --unixsocket "$W/redis/redis.sock" \
	    --unixsocketperm 700 --dir "$W/redis" --save '' \
	    --appendonly yes --appendfsync everysec \
	    --maxmemory-policy noeviction --logfile "$W/redis/redis.log" &
	REDIS_PID=$!
	wait_sock "$W/redis/redis.sock" || die "redis-server did not start"
	write_conf redis-gw "$W/unused.db" 60 "backend = redis
redis = unix:$W/redis/redis.sock"
	setup_store redis-gw
	"$PY" "$ROOT/bench/seed_redis.py" "$DB_B" sessiongw: 2>>"$W/setup.log" |
	    redis-cli -s "$W/redis/redis.sock" --pipe >>"$W/setup.log" 2>&1 ||
	    { cat "$W/setup.log" >&2; die "seeding Redis failed"; }
	tail -n 1 "$W/setup.log"
	# The seed grew the AOF from nothing, so Redis would rewrite it in a
	# forked child (a core busy for many seconds) just as the rounds
	# start: it did, in the first full run with Redis, and halved every
	# row of round 2. Rewrite it now and wait until it is done.
	redis-cli -s "$W/redis/redis.sock" BGREWRITEAOF >>"$W/setup.log" 2>&1
	_i=0
	while redis-cli -s "$W/redis/redis.sock" INFO persistence |
	    grep -Eq '^aof_rewrite_(in_progress|scheduled):1' && [ $_i -lt 600 ]; do
		sleep 0.5; _i=$((_i + 1))
	done
fi
SEED_SECS=$(( $(date +%s) - T0 ))
start_s
start_b
[ "$REDIS" != 0 ] && start_r

# --- the baseline: a do-nothing FastCGI responder --------------------------
# shellcheck disable=SC2046
cc -O2 -o "$W/null_responder" "$ROOT/bench/null_responder.c" \
    $(pkg-config --cflags --libs fcgi) -lpthread ||
    die "cannot build bench/null_responder.c"
"$W/null_responder" "$W/null.sock" "$THREADS" >>"$W/null.log" 2>&1 &
NULL_PID=$!
wait_sock "$W/null.sock" || die "null responder did not start"

# --- the seed's stack: Django 3.2 on gunicorn ------------------------------
DJ_WORKERS=$(( 2 * $(nproc) ))
if [ "${BENCH_DJANGO:-1}" != 0 ]; then
	mkdir -p "$W/django"
	(cd "$ROOT/bench/django_baseline" && BENCH_DJANGO_DIR=$W/django \
	    "$PY" seed_django.py "$SMALL" "$W/cookies-django.txt") \
	    >>"$W/django.log" 2>&1 || { cat "$W/django.log" >&2; die "django seed failed"; }
	BENCH_DJANGO_DIR=$W/django "$PY" -m gunicorn --workers "$DJ_WORKERS" \
	    --bind "unix:$W/gunicorn.sock" --chdir "$ROOT/bench/django_baseline" \
	    bsite.wsgi:application >>"$W/django.log" 2>&1 &
	GUNI_PID=$!
	i=0
	while ! curl -s -o /dev/null --unix-socket "$W/gunicorn.sock" \
	    http://x/django/validate && [ $i -lt 100 ]; do
		sleep 0.1; i=$((i + 1))
	done
fi

# --- nginx: one template, two instances -----------------------------------
# A fronts the small daemon (and the null responder and Django), B the big
# one. Both include the project's conf/nginx/sessiongw.conf verbatim, so
# /session/validate and /app/ are exactly what a site runs; only the
# upstream `sessiongw` differs.
mkdir -p "$W/www/app" "$W/www/base" "$W/www/static"
PAGE='<!doctype html><title>bench</title><p>protected page, 100 bytes or so of static html for the benchmark.</p>'
for d in app base static; do printf '%s\n' "$PAGE" >"$W/www/$d/index.html"; done

# The baseline's FastCGI params: the list conf/nginx/sessiongw.conf gives
# /session/validate, so nginx does the same work for both upstreams.
sed -n '/^location = \/session\/validate {/,/^}/p' \
    "$ROOT/conf/nginx/sessiongw.conf" | sed '1d;$d' |
    sed 's/fastcgi_pass sessiongw;/fastcgi_pass null;/' >"$W/null_params.conf"
grep -q 'fastcgi_pass null;' "$W/null_params.conf" ||
    die "could not take the validate params from conf/nginx/sessiongw.conf"

write_nginx() {	# write_nginx DIR PORT SESSIONGW-SOCKET
	mkdir -p "$1"
	_user=
	[ "$(id -u)" = 0 ] && _user='user root;'
	render "$ROOT/tests/template/nginx.conf.in" "$1/nginx.conf" \
	    WRITER=bench/run.sh NGINX_DIR="$1" DAEMON=on ERROR_LOG_LEVEL=error \
	    WORKER_CONNECTIONS=1024 ACCESS_LOG=off SOCKET="$3" PORT="$2" \
	    WWW="$W/www" SNIPPET="$ROOT/conf/nginx/sessiongw.conf" MAIN="$_user" \
	    HTTP="    keepalive_requests 1000000;
    upstream null { server unix:$W/null.sock; }
    upstream django { server unix:$W/gunicorn.sock; }" \
	    LOCATIONS="        location /static/ { try_files \$uri \$uri/index.html =404; }
        location /app/ {
            auth_request /session/validate;
            auth_request_set \$sg_cookie \$upstream_http_set_cookie;
            add_header Set-Cookie \$sg_cookie always;
            auth_request_set \$sg_user \$upstream_http_x_session_user;
            add_header X-Session-User \$sg_user;
            try_files \$uri \$uri/index.html =404;
        }
        location /base/ {
            auth_request /_null_auth;
            auth_request_set \$sg_cookie \$upstream_http_set_cookie;
            add_header Set-Cookie \$sg_cookie always;
            auth_request_set \$sg_user \$upstream_http_x_session_user;
            add_header X-Session-User \$sg_user;
            try_files \$uri \$uri/index.html =404;
        }
        location = /_null_auth { internal; include $W/null_params.conf; }
        location = /null/validate { include $W/null_params.conf; }
        location /django/ {
            proxy_pass http://django;
            proxy_set_header Host \$http_host;
        }" || die "cannot write $1/nginx.conf"
	nginx -t -q -p "$1" -c "$1/nginx.conf" -e "$1/error.log" ||
	    die "nginx config test failed ($1)"
	nginx -p "$1" -c "$1/nginx.conf" -e "$1/error.log" || die "nginx did not start"
	_i=0
	while [ ! -s "$1/nginx.pid" ] && [ $_i -lt 50 ]; do sleep 0.1; _i=$((_i + 1)); done
}
PORT_A=$(free_port); PORT_B=$(free_port)
write_nginx "$W/ngxA" "$PORT_A" "$W/small.sock"
write_nginx "$W/ngxB" "$PORT_B" "$W/big.sock"
URL=http://127.0.0.1:$PORT_A	# small store
URLB=http://127.0.0.1:$PORT_B	# big store
if [ "$REDIS" != 0 ]; then
	PORT_R=$(free_port)
	write_nginx "$W/ngxR" "$PORT_R" "$W/redis-gw.sock"
	URLR=http://127.0.0.1:$PORT_R	# big store's rows on Redis
fi

# --- a real login (small store), a tampered cookie, checks ------------------
code() { curl -s -o /dev/null -w '%{http_code}' "$@"; }
check() {	# check WANT URL [curl args]: a scenario answers what it should
	_want=$1; shift
	_got=$(code "$@")
	[ "$_got" = "$_want" ] || die "$* answered $_got, want $_want"
}
LOGIN_BODY="{\"username\":\"$USER_NAME\",\"password\":\"$USER_PASS\"}"
c=$(curl -s -o "$W/login.json" -w '%{http_code}' -c "$W/cookies.txt" \
    -H 'Content-Type: application/json' -H "Origin: $URL" \
    -d "$LOGIN_BODY" "$URL/session/login")
[ "$c" = 200 ] || { cat "$W/login.json" >&2; die "login answered $c"; }
TOKEN=$(awk '$6 == "sessiongw" { print $7 }' "$W/cookies.txt")
[ -n "$TOKEN" ] || die "no sessiongw cookie after login"
COOKIE="sessiongw=$TOKEN"
TAG=${TOKEN#*.}
first=$(printf '%s' "$TAG" | cut -c1)
[ "$first" = A ] && first=B || first=A
BAD="sessiongw=${TOKEN%%.*}.$first$(printf '%s' "$TAG" | cut -c2-)"
c=$(code -X PUT -b "$COOKIE" -H "Origin: $URL" -H 'Content-Type: text/plain' \
    --data-binary 'cached value for the benchmark' "$URL/session/cache/benchkey")
[ "$c" = 204 ] || die "cache PUT answered $c"

C1K=$(head -n 1 "$W/cookies-1k.txt")
C1M=$(sed -n "${TOKENS}p" "$W/cookies-1m.txt")
check 200 "$URL/static/"
check 200 "$URL/base/"
check 200 "$URL/null/validate"
check 401 "$URL/app/"
check 200 -b "$COOKIE" "$URL/app/"
check 200 -H "Cookie: $C1K" "$URL/session/validate"
check 200 -H "Cookie: $C1M" "$URLB/session/validate"
check 200 -H "Cookie: $C1M" "$URLB/app/"
check 200 -H "Cookie: $C1M" "$URLB/session/cache/k0"
check 204 -X PUT -H "Cookie: $C1M" -H "Origin: $URLB" -H 'Content-Type: text/plain' \
    --data-binary v "$URLB/session/cache/k1"
check 401 -b "$BAD" "$URL/session/validate"
if [ "$REDIS" != 0 ]; then
	check 200 -H "Cookie: $C1M" "$URLR/session/validate"
	check 200 -H "Cookie: $C1M" "$URLR/app/"
	check 200 -H "Cookie: $C1M" "$URLR/session/cache/k0"
	check 204 -X PUT -H "Cookie: $C1M" -H "Origin: $URLR" -H 'Content-Type: text/plain' \
	    --data-binary v "$URLR/session/cache/k1"
	check 401 -b "$BAD" "$URLR/session/validate"
fi
if [ -n "$GUNI_PID" ]; then
	check 200 -H "Cookie: $(head -n 1 "$W/cookies-django.txt")" "$URL/django/validate"
	check 401 "$URL/django/validate"
fi

# --- wrk scripts --------------------------------------------------------------
# rotate.lua: every request carries a random cookie line of $BENCH_COOKIES;
# BENCH_METHOD PUT sends a small body; BENCH_KEYS n appends /k0..k(n-1).
cat >"$W/rotate.lua" <<'LUA'
local cookies = {}
for line in io.lines(os.getenv("BENCH_COOKIES")) do cookies[#cookies + 1] = line end
local path = os.getenv("BENCH_PATH")
local method = os.getenv("BENCH_METHOD") or "GET"
local keys = tonumber(os.getenv("BENCH_KEYS") or "0")
local origin = os.getenv("BENCH_ORIGIN") or ""
function init(args)
	math.randomseed(os.time() + math.floor(os.clock() * 1000000) + (args[1] or 0))
end
function request()
	local p = path
	if keys > 0 then p = p .. "k" .. math.random(0, keys - 1) end
	local h = { Cookie = cookies[math.random(#cookies)] }
	if method == "PUT" then
		h["Content-Type"] = "text/plain"
		h["Origin"] = origin
		return wrk.format("PUT", p, h, "cached value for the benchmark")
	end
	return wrk.format(nil, p, h)
end
LUA
KEYS_PER_USER=$(( CACHE_ROWS / SEED_USERS )); [ "$KEYS_PER_USER" -ge 1 ] || KEYS_PER_USER=1
rot() {	# rot COOKIEFILE PATH [METHOD KEYS [ORIGIN]]: env for rotate.lua
	export BENCH_COOKIES="$1" BENCH_PATH="$2" BENCH_METHOD="${3:-GET}" \
	    BENCH_KEYS="${4:-0}" BENCH_ORIGIN="${5:-$URLB}"
}

# --- the main rounds, interleaved ----------------------------------------------
LOAD_BEFORE=$(cut -d' ' -f1-3 /proc/loadavg)
echo "bench: nginx A 127.0.0.1:$PORT_A (small store), B 127.0.0.1:$PORT_B (big store), 1 worker each;"
echo "bench: wrk -t$WT -c$CONNS -d$DUR per scenario, $ROUNDS interleaved rounds, median reported; load average $LOAD_BEFORE; $(nproc) CPUs"
# warm-up: page the big store's hot rows in, not measured
rot "$W/cookies-1m.txt" /session/validate
wrk -t"$WT" -c"$CONNS" -d2s -s "$W/rotate.lua" "$URLB" >/dev/null 2>&1 || true

main_round() {
	[ "$QUICK" = 1 ] || measure static - - - "$URL/static/"
	measure null_direct - "$NULL_PID" - "$URL/null/validate"
	rot "$W/cookies-1k.txt" /session/validate
	measure validate_1k null_direct "$PID_S" "$DB_S" -s "$W/rotate.lua" "$URL"
	rot "$W/cookies-1m.txt" /session/validate
	measure validate_1m null_direct "$PID_B" "$DB_B" -s "$W/rotate.lua" "$URLB"
	measure base_null - "$NULL_PID" - "$URL/base/"
	rot "$W/cookies-1k.txt" /app/
	measure app_1k base_null "$PID_S" "$DB_S" -s "$W/rotate.lua" "$URL"
	rot "$W/cookies-1m.txt" /app/
	measure app_1m base_null "$PID_B" "$DB_B" -s "$W/rotate.lua" "$URLB"
	rot "$W/cookies-1m.txt" /session/cache/ GET "$KEYS_PER_USER"
	measure cache_get null_direct "$PID_B" "$DB_B" -s "$W/rotate.lua" "$URLB"
	rot "$W/cookies-1m.txt" /session/cache/ PUT "$KEYS_PER_USER"
	measure cache_put null_direct "$PID_B" "$DB_B" -s "$W/rotate.lua" "$URLB"
	[ "$QUICK" = 1 ] || measure validate_bad null_direct "$PID_S" "$DB_S" \
	    -H "Cookie: $BAD" "$URL/session/validate"
	if [ "$REDIS" != 0 ]; then
		rot "$W/cookies-1m.txt" /session/validate
		measure validate_redis null_direct "$PID_R" - -s "$W/rotate.lua" "$URLR"
		rot "$W/cookies-1m.txt" /app/
		measure app_redis base_null "$PID_R" - -s "$W/rotate.lua" "$URLR"
		rot "$W/cookies-1m.txt" /session/cache/ GET "$KEYS_PER_USER"
		measure cache_get_redis null_direct "$PID_R" - -s "$W/rotate.lua" "$URLR"
		rot "$W/cookies-1m.txt" /session/cache/ PUT "$KEYS_PER_USER" "$URLR"
		measure cache_put_redis null_direct "$PID_R" - -s "$W/rotate.lua" "$URLR"
	fi
	if [ -n "$GUNI_PID" ]; then
		rot "$W/cookies-django.txt" /django/validate
		measure django validate_1k "$GUNI_PID" - -s "$W/rotate.lua" "$URL"
	fi
}

if only main; then
	ROUND=1
	while [ "$ROUND" -le "$ROUNDS" ]; do
		main_round
		ROUND=$((ROUND + 1))
	done
fi
RSS_B=$(rss_kb "$PID_B"); HWM_B=$(hwm_kb "$PID_B"); RSS_S=$(rss_kb "$PID_S")
RSS_NULL=$(rss_kb "$NULL_PID")
RSS_R=0 RSS_REDIS=0
if [ "$REDIS" != 0 ]; then
	RSS_R=$(rss_kb "$PID_R"); RSS_REDIS=$(rss_kb "$REDIS_PID")
	# the Redis rows need nothing else: free the cores for the rest
	stop_pid "$(cat "$W/ngxR/nginx.pid")"; stop_pid "$PID_R"; PID_R=
	stop_pid "$REDIS_PID"; REDIS_PID=
fi

# --- cleanup storm ---------------------------------------------------------------
# Each round restarts daemon B with [cleanup] interval = 1 (the first pass
# starts 1 s into the load, then one a second) and loads validate for
# STORM_DUR: an "idle" round with nothing to sweep, then a "storm" round
# after STORM expired sessions and STORM expired cache rows were added.
# The audit log's cleanup lines show the sweep ran inside the storm
# round's wrk run.
STORM_DUR=$DUR STORM_ROUNDS=$ROUNDS
[ "$QUICK" = 1 ] && STORM_DUR=2s STORM_ROUNDS=1
STORM_ROWS=
storm_round() {	# storm_round NAME EXPIRED
	stop_pid "$PID_B"; PID_B=
	write_conf big "$DB_B" 1 "$STORE_B"
	if [ "$2" -gt 0 ]; then
		"$PY" "$ROOT/bench/seed.py" "$DB_B" "$W/secret.key" \
		    --users "$SEED_USERS" --expired-sessions "$2" \
		    --expired-cache "$2" >>"$W/storm.log" 2>&1 ||
		    die "seeding the storm failed"
	fi
	: >"$W/big-audit.log"
	start_b
	rot "$W/cookies-1m.txt" /session/validate
	MDUR=$STORM_DUR measure "$1" validate_idle "$PID_B" "$DB_B" \
	    -s "$W/rotate.lua" "$URLB"
	if [ "$2" -gt 0 ]; then
		STORM_ROWS="$STORM_ROWS$(grep '"event":"cleanup"' \
		    "$W/big-audit.log" | sed "s/^/round $ROUND: /")
"
	fi
}
if only storm && [ "$STORM" -gt 0 ]; then
	echo "bench: cleanup storm ($STORM expired sessions + $STORM expired cache rows a round)"
	ROUND=1
	while [ "$ROUND" -le "$STORM_ROUNDS" ]; do
		storm_round validate_idle 0
		storm_round validate_storm "$STORM"
		ROUND=$((ROUND + 1))
	done
	sed -i 's/^\(validate_idle\)\tvalidate_idle/\1\t-/' "$W/all.tsv"
	stop_pid "$PID_B"; PID_B=
	write_conf big "$DB_B" 60 "$STORE_B"
	start_b
fi

# --- WAL during a sustained mixed load ------------------------------------------
# 90 % validate, 5 % cache GET, 5 % cache PUT over the big store for
# WAL_SECS, cleanup passes every 60 s; the WAL file's size sampled every
# second; RSS at the end.
WAL_MAX=0 WAL_END=0 WAL_RSS=0 WAL_RPS=0
if only wal && [ "$WAL_SECS" -gt 0 ]; then
	echo "bench: sustained mixed load for ${WAL_SECS}s (WAL size sampled each second)"
	cat >"$W/mixed.lua" <<LUA
local cookies = {}
for line in io.lines("$W/cookies-1m.txt") do cookies[#cookies + 1] = line end
function init(args) math.randomseed(os.time() + math.floor(os.clock() * 1000000)) end
function request()
	local h = { Cookie = cookies[math.random(#cookies)] }
	local x = math.random(100)
	if x <= 5 then
		h["Content-Type"] = "text/plain"; h["Origin"] = "$URLB"
		return wrk.format("PUT", "/session/cache/k" .. math.random(0, $KEYS_PER_USER - 1), h, "v")
	elseif x <= 10 then
		return wrk.format(nil, "/session/cache/k" .. math.random(0, $KEYS_PER_USER - 1), h)
	end
	return wrk.format(nil, "/session/validate", h)
end
LUA
	wrk -t"$WT" -c"$CONNS" -d"${WAL_SECS}s" --latency -s "$W/mixed.lua" \
	    "$URLB" >"$W/wrk-mixed.txt" 2>&1 &
	wrk_pid=$!
	while kill -0 "$wrk_pid" 2>/dev/null; do
		wal_bytes "$DB_B" >>"$W/wal-samples.txt"
		sleep 1
	done
	wait "$wrk_pid" || die "wrk failed for the mixed load"
	WAL_MAX=$(sort -g "$W/wal-samples.txt" | tail -n 1)
	WAL_END=$(wal_bytes "$DB_B")
	WAL_RSS=$(rss_kb "$PID_B")
	WAL_RPS=$(wrk_row "$W/wrk-mixed.txt" | cut -d' ' -f1)
fi

# --- login throughput, login flood, write-locked validate (small store) --------
LOGIN_ROW=
if only login "${BENCH_LOGIN:-1}"; then
	cat >"$W/login.lua" <<LUA
wrk.method = "POST"
wrk.body = '$LOGIN_BODY'
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Origin"] = "$URL"
LUA
	wrk -t2 -c4 -d5s --latency -s "$W/login.lua" "$URL/session/login" \
	    >"$W/wrk-login.txt" 2>&1 || die "wrk failed for login"
	LOGIN_ROW=$(wrk_row "$W/wrk-login.txt")
	echo "  login (-c4 5s)     $(echo "$LOGIN_ROW" | cut -d' ' -f1) logins/s"
fi

# SPEC: a flood of sign-ins must not slow down validate. validate p99 idle,
# then while 50 connections post wrong passwords for random usernames. The
# per-address limit is raised for this run only, so one loopback client
# plays a flood from many addresses, as a botnet would send it.
FLOOD_ROW= FLOOD_IDLE=0 FLOOD_P99=0
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
	stop_pid "$PID_S"; PID_S=
	write_conf small "$DB_S" 60 "$STORE_S" 'max_failures_per_ip = 1000000'
	start_s
	check 200 -b "$COOKIE" "$URL/session/validate"
	rot "$W/cookies-1k.txt" /session/validate
	wrk -t1 -c4 -d"$DUR" --latency -s "$W/rotate.lua" "$URL" \
	    >"$W/wrk-validate-idle.txt" 2>&1 || die "wrk failed for validate (idle)"
	wrk -t2 -c50 -d"$(( ${DUR%s} + 3 ))s" --timeout 10s -s "$W/flood.lua" \
	    "$URL/session/login" >"$W/wrk-flood.txt" 2>&1 &
	flood_pid=$!
	sleep 1.5
	wrk -t1 -c4 -d"$DUR" --latency -s "$W/rotate.lua" "$URL" \
	    >"$W/wrk-validate-flood.txt" 2>&1 || die "wrk failed for validate (flood)"
	wait "$flood_pid" || die "wrk failed for the flood: $(cat "$W/wrk-flood.txt")"
	set -- $(wrk_row "$W/wrk-validate-idle.txt") \
	    $(wrk_row "$W/wrk-validate-flood.txt") \
	    $(awk '$1 == "flood-codes" { print $2, $3, $4 }' "$W/wrk-flood.txt")
	FLOOD_IDLE=$3 FLOOD_P99=${10}
	FLOOD_ROW="validate p99 idle $3 ms (p50 $2, max $4); during the flood p99 ${10} ms (p50 $9, max ${11}); flood answers: 401 ${15:-?}, 503 ${16:-?}, other ${17:-?}"
	echo "  login flood        $FLOOD_ROW"
}
if only flood "${BENCH_FLOOD:-1}"; then login_flood_scenario; fi

# SPEC "Degrade, don't fail": validate with the database free and while a
# second process holds BEGIN EXCLUSIVE on it (an open sqlite3 shell, a
# VACUUM). Ratio locked / unlocked throughput (goal >= 0.8).
LOCKED_ROW=
lock_db() {
	rm -f "$W/locked"
	"$PY" -c '
import sqlite3, sys, time
c = sqlite3.connect(sys.argv[1], isolation_level=None, timeout=10)
c.execute("BEGIN EXCLUSIVE")
open(sys.argv[2], "w").close()
time.sleep(float(sys.argv[3]))
' "$DB_S" "$W/locked" 120 >>"$W/locker.log" 2>&1 &
	LOCK_PID=$!
	_i=0
	while [ ! -f "$W/locked" ] && [ $_i -lt 50 ]; do sleep 0.1; _i=$((_i + 1)); done
	[ -f "$W/locked" ] || die "could not lock the database"
}
unlock_db() { stop_pid "$LOCK_PID"; LOCK_PID=; }
scenario_locked() {
	ROUND=1
	while [ "$ROUND" -le "$ROUNDS" ]; do
		measure validate_unlocked - "$PID_S" "$DB_S" -H "Cookie: $COOKIE" "$URL/session/validate"
		lock_db
		# the lock is real: a write is refused (503 store_busy)
		check 503 -X PUT -b "$COOKIE" -H "Origin: $URL" \
		    -H 'Content-Type: text/plain' --data-binary x \
		    "$URL/session/cache/benchkey"
		check 200 -b "$COOKIE" "$URL/session/validate"
		measure validate_locked validate_unlocked "$PID_S" "$DB_S" -H "Cookie: $COOKIE" "$URL/session/validate"
		unlock_db
		ROUND=$((ROUND + 1))
	done
	LOCKED_ROW=1
}
if only locked "${BENCH_LOCKED:-1}"; then
	scenario_locked
fi
LOAD_AFTER=$(cut -d' ' -f1-3 /proc/loadavg)

# --- report ----------------------------------------------------------------------
mkdir -p "$OUT_DIR"
RES=$OUT_DIR/latest.md
mib() { awk -v k="$1" 'BEGIN { printf "%.1f", k / 1024 }'; }
{
	echo "# sessiongw benchmark, $(date -u '+%Y-%m-%d %H:%M UTC')"
	echo
	echo "$(uname -srm), $(nproc) CPUs shared by wrk, nginx, the daemons and the baselines;"
	echo "load average $LOAD_BEFORE before, $LOAD_AFTER after (other work on the machine counts)."
	echo "nginx $(nginx -v 2>&1 | sed 's/.*\///'), 1 worker, access_log off; wrk -t$WT -c$CONNS -d$DUR per scenario,"
	echo "$ROUNDS interleaved rounds, **median** (spread = min–max of the rounds); quick mode: $QUICK."
	echo "Big store: $BIG live sessions, wrk rotating over $TOKENS of them, $CACHE_ROWS cache rows;"
	echo "small store: $SMALL live sessions (all rotated). sessiongw threads = $THREADS, activity_interval = $ACTIVITY,"
	echo "null responder threads = $THREADS,"
	echo "Django: gunicorn $DJ_WORKERS sync workers. Seeding took ${SEED_SECS}s; whole run $(( $(date +%s) - T0 ))s."
	echo
	report_rows
	echo
	echo "Rows: null_direct = GET /null/validate (do-nothing FastCGI); validate_1k / _1m = GET"
	echo "/session/validate with a random one of the rotated cookies (small / big store); base_null ="
	echo "GET /base/ with auth_request to the null responder; app_1k / _1m = GET /app/ with auth_request"
	echo "to sessiongw; cache_get / cache_put = GET / PUT /session/cache/kN (big store); validate_bad ="
	echo "tampered tag, 401 by design; django = GET /django/validate on the seed's Django stack (ratio:"
	echo "Django / validate_1k); validate_idle / validate_storm = validate_1m right after a daemon"
	echo "restart, without / with $STORM expired sessions + $STORM expired cache rows to sweep;"
	echo "validate_locked = validate while another process holds BEGIN EXCLUSIVE. RSS = the daemon"
	echo "(or baseline) VmRSS after the row's largest round; WAL = the row's store's -wal file then."
	[ "$REDIS" != 0 ] && echo "*_redis = the same request as validate_1m / app_1m / cache_get / cache_put on a gateway with
[store] backend = redis (its own redis-server on a unix socket, AOF everysec, on the same cores), holding
the big store's rows (bench/seed_redis.py)."
	if [ -n "$STORM_ROWS" ]; then
		echo
		echo "Cleanup passes during the storm rounds (audit log):"
		echo
		printf '%s' "$STORM_ROWS" | sed 's/^/    /'
	fi
	echo
	echo "Memory: big-store daemon VmRSS $(mib "$RSS_B") MiB after the main rounds (VmHWM $(mib "$HWM_B") MiB),"
	echo "small-store daemon $(mib "$RSS_S") MiB, null responder $(mib "$RSS_NULL") MiB."
	[ "$REDIS" != 0 ] && echo "Redis gateway $(mib "$RSS_R") MiB, its redis-server $(mib "$RSS_REDIS") MiB."
	if [ "$WAL_SECS" -gt 0 ]; then
		echo "Sustained mixed load (90 % validate, 5 % cache GET, 5 % cache PUT, big store) for ${WAL_SECS}s:"
		echo "$WAL_RPS req/s; WAL largest $(awk -v b="$WAL_MAX" 'BEGIN { printf "%.1f", b / 1048576 }') MiB,"
		echo "$(awk -v b="$WAL_END" 'BEGIN { printf "%.1f", b / 1048576 }') MiB at the end; daemon VmRSS $(mib "$WAL_RSS") MiB at the end."
	fi
	if [ -n "$LOGIN_ROW" ]; then
		set -- $LOGIN_ROW
		echo "Login (POST /session/login JSON, wrk -c4 -d5s): $1 logins/s, p50 $2 ms, p99 $3 ms (argon2id-bound)."
	fi
	[ -n "$FLOOD_ROW" ] && echo "Login flood (wrk -c50 wrong passwords; validate wrk -t1 -c4 rotating): $FLOOD_ROW."
	echo
	echo "## Goals (issue #9)"
	echo
	echo "| goal | measured | target | |"
	echo "|---|---:|---:|---|"
	goal "validate, big store / null_direct" "$(ratio_of validate_1m null_direct)" ">=" 0.90
	goal "auth_request page, big store / base_null" "$(ratio_of app_1m base_null)" ">=" 0.90
	goal "validate big / small store" "$(ratio_of validate_1m validate_1k)" ">=" 0.90
	goal "auth_request page big / small store" "$(ratio_of app_1m app_1k)" ">=" 0.90
	if grep -q '^validate_storm' "$W/all.tsv"; then
		goal "p99 during the sweep / idle p99" "$(awk -v a="$(median_of validate_storm 6 | cut -d' ' -f1)" \
		    -v b="$(median_of validate_idle 6 | cut -d' ' -f1)" 'BEGIN { printf "%.2f", (b > 0 ? a / b : 0) }')" "<=" 2
	fi
	[ -n "$FLOOD_ROW" ] && goal "validate p99 during a login flood / idle" \
	    "$(awk -v a="$FLOOD_P99" -v b="$FLOOD_IDLE" 'BEGIN { printf "%.2f", (b > 0 ? a / b : 0) }')" "<=" 2
	goal "cache GET / null_direct" "$(ratio_of cache_get null_direct)" ">=" 0.80
	goal "cache PUT / null_direct" "$(ratio_of cache_put null_direct)" ">=" 0.50
	if [ "$REDIS" != 0 ]; then
		goal "Redis: validate / null_direct (issue #8)" "$(ratio_of validate_redis null_direct)" ">=" 0.85
		goal "Redis: auth_request page / base_null" "$(ratio_of app_redis base_null)" ">=" 0.90
		goal "Redis: cache GET / null_direct" "$(ratio_of cache_get_redis null_direct)" ">=" 0.80
		goal "Redis: cache PUT / null_direct" "$(ratio_of cache_put_redis null_direct)" ">=" 0.50
	fi
	goal "steady RSS at $BIG sessions, MiB" "$(mib "$RSS_B")" "<=" 32
	[ "$WAL_SECS" -gt 0 ] && goal "largest WAL in ${WAL_SECS}s mixed load, MiB" \
	    "$(awk -v b="$WAL_MAX" 'BEGIN { printf "%.1f", b / 1048576 }')" "<=" 64
	if [ -n "$GUNI_PID" ]; then
		goal "sessiongw validate_1k / Django, ×" "$(awk -v a="$(median_of validate_1k 4 | cut -d' ' -f1)" \
		    -v b="$(median_of django 4 | cut -d' ' -f1)" 'BEGIN { printf "%.1f", (b > 0 ? a / b : 0) }')" ">=" 40
	fi
	if [ -n "$LOCKED_ROW" ]; then
		goal "validate under a write lock / unlocked" "$(ratio_of validate_locked validate_unlocked)" ">=" 0.80
	fi
	echo
	echo "Figures from one run on a shared machine: read the ratios, not the absolute req/s."
} >"$RES"
echo
cat "$RES"
echo
echo "bench: table written to $RES"
