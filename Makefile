# sessiongw - FastCGI session gateway.
#
#   make            build ./sessiongw
#   make test       unit + integration tests (real nginx, daemon, SQLite)
#   make test-redis the same with [store] backend = redis (test-started
#                   redis-server per gateway; SG_STORE=redis)
#   make check      the same tests, built with ASan + UBSan
#   make tsan       integration tests, daemon built with ThreadSanitizer
#   make fuzz       every libFuzzer harness for FUZZ_SECONDS each (clang)
#   make fuzz-replay  the checked-in fuzz corpus through every harness
#   make deps       install the Debian packages needed to build and test
#   make browser    sign-in pages in headless Chromium
#   make valgrind   integration tests with sessiongw under valgrind
#   make bench      1,000,000 sessions vs a do-nothing FastCGI responder and Django
#   make demo       run it behind nginx on 127.0.0.1:8080 (./demo/)
#   make install    PREFIX=/usr/local DESTDIR=

PREFIX	?= /usr/local
BINDIR	?= $(PREFIX)/bin
SYSCONFDIR ?= /etc
CC	?= cc
PKGS	:= fcgi sqlite3 libsodium libcjson inih libcrypto libargon2 hiredis \
	   liboath libqrencode
VERSION	:= 0.1.0

WARN	:= -Wall -Wextra -Wshadow -Wstrict-prototypes -Wmissing-prototypes \
	   -Wpointer-arith -Wcast-qual -Wformat=2 -Wvla -Werror
HARDEN	:= -D_FORTIFY_SOURCE=2 -fstack-protector-strong -fPIE
OPT	?= -O2 -g
# Recursive (=) on purpose: pkg-config runs when a recipe needs the flags,
# so `make deps test` on a fresh machine sees the libraries deps installed.
PKG_CFLAGS = $(shell pkg-config --cflags $(PKGS))
PKG_LIBS = $(shell pkg-config --libs $(PKGS))
CFLAGS_ALL = -std=c11 -D_GNU_SOURCE $(OPT) $(WARN) $(HARDEN) -Iinclude -Ibuild \
	   -DSESSIONGW_VERSION='"$(VERSION)"' \
	   $(PKG_CFLAGS) $(CFLAGS) $(EXTRA_CFLAGS)
LDFLAGS_ALL := -pie -Wl,-z,relro,-z,now $(LDFLAGS) $(EXTRA_LDFLAGS)
LIBS	= $(PKG_LIBS) -lpthread

B	?= build
# Every source file by name (a new file is added here on purpose; the store
# backends are src/store_sqlite.c and src/store_redis.c, both compiled in).
SRC	:= src/audit.c src/buf.c src/cache.c src/chain.c src/cleanup.c \
	   src/cli_audit.c src/cli_check_config.c src/cli_common.c \
	   src/cli_db.c src/cli_sessions.c src/cli_setup.c src/cli_user.c \
	   src/cli_user_import.c src/config.c src/cookie.c src/device.c \
	   src/ep_cache.c src/ep_health.c src/ep_login.c src/ep_logout.c \
	   src/ep_mfa.c src/ep_pages.c src/ep_password.c src/ep_session.c \
	   src/ep_validate.c src/errmsg.c src/keys.c src/listen.c \
	   src/login_rehash.c src/main.c src/metrics.c src/mfa.c \
	   src/mfa_pages.c src/parse.c src/password.c src/password_import.c \
	   src/pwpool.c src/request.c src/response.c src/routes.c \
	   src/server.c src/session.c src/stage_activity.c \
	   src/stage_cleanup.c src/stage_connection.c src/stage_handoff.c \
	   src/stage_origin.c src/stage_route.c src/stage_session.c \
	   src/store.c src/store_health.c src/store_redis.c \
	   src/store_sqlite.c src/totp.c
LIBSRC	:= $(filter-out src/main.c,$(SRC))
OBJ	:= $(patsubst src/%.c,$(B)/%.o,$(LIBSRC)) $(B)/sql_migrations.o
UNITSRC	:= $(sort $(wildcard tests/unit/*.c))
# One libFuzzer harness per parser family: tests/fuzz/fuzz_NAME.c, seeds in
# tests/fuzz/corpus/NAME/.
FUZZ_NAMES := cookie login_body cache_key config audit_line
FUZZ_REPLAY := $(patsubst %,$(B)/fuzz-replay-%,$(FUZZ_NAMES))
FUZZ_SECONDS ?= 60
SQL	:= $(sort $(wildcard sql/*.sql))

all: sessiongw

sessiongw: $(B)/sessiongw
	cp $< $@

$(B)/sessiongw: $(OBJ) $(B)/main.o
	$(CC) $(CFLAGS_ALL) $(LDFLAGS_ALL) -o $@ $^ $(LIBS)

$(B)/%.o: src/%.c $(wildcard include/*.h) | $(B)
	$(CC) $(CFLAGS_ALL) -c -o $@ $<

# The schema is compiled into the binary: sql/NNN_name.sql -> C strings.
$(B)/sql_migrations.c: $(SQL) tools/embed-sql.sh | $(B)
	sh tools/embed-sql.sh $(SQL) > $@

$(B)/sql_migrations.o: $(B)/sql_migrations.c
	$(CC) $(CFLAGS_ALL) -Wno-missing-prototypes -c -o $@ $<

$(B)/unit_tests: $(UNITSRC) $(OBJ) | $(B)
	$(CC) $(CFLAGS_ALL) -Itests/unit $(LDFLAGS_ALL) -o $@ $(UNITSRC) $(OBJ) $(LIBS)

# The fuzz harnesses built with the normal compiler around a replay
# driver: `make test` runs every corpus file through them.
$(B)/fuzz-replay-%: tests/fuzz/fuzz_%.c tests/fuzz/replay.c tests/fuzz/fuzz.h $(OBJ) | $(B)
	$(CC) $(CFLAGS_ALL) -Itests/fuzz $(LDFLAGS_ALL) -o $@ $< tests/fuzz/replay.c $(OBJ) $(LIBS)

# The same harnesses linked with libFuzzer (only under `make fuzz`, CC=clang).
$(B)/fuzz_%: tests/fuzz/fuzz_%.c tests/fuzz/fuzz.h $(OBJ) | $(B)
	$(CC) $(CFLAGS_ALL) -Itests/fuzz -fsanitize=fuzzer $(LDFLAGS_ALL) -o $@ $< $(OBJ) $(LIBS)

$(B):
	mkdir -p $(B)

unit: $(B)/unit_tests
	$(B)/unit_tests

test: $(B)/sessiongw $(B)/unit_tests $(FUZZ_REPLAY)
	SESSIONGW_BIN=$(CURDIR)/$(B)/sessiongw UNIT_BIN=$(CURDIR)/$(B)/unit_tests \
	    FUZZ_REPLAY_DIR=$(CURDIR)/$(B) sh tests/run-all.sh

fuzz-replay: $(FUZZ_REPLAY)
	FUZZ_REPLAY_DIR=$(CURDIR)/$(B) sh tests/fuzz/replay-all.sh $(FUZZ_NAMES)

# libFuzzer, ASan and UBSan need clang; the objects go to build-fuzz.
# New corpus units land in build-fuzz/corpus/NAME, crashes in
# build-fuzz/crashes/; the checked-in seeds are only read.
fuzz:
	$(MAKE) --no-print-directory B=build-fuzz CC=clang \
	    OPT='-O1 -g -fno-omit-frame-pointer' \
	    EXTRA_CFLAGS='-fsanitize=fuzzer-no-link,address,undefined' \
	    EXTRA_LDFLAGS='-fsanitize=address,undefined' fuzz-run

fuzz-run: $(patsubst %,$(B)/fuzz_%,$(FUZZ_NAMES))
	sh tests/fuzz/run.sh $(B) $(FUZZ_SECONDS) $(FUZZ_NAMES)

# Integration tests with the daemon built with ThreadSanitizer (gcc) in
# build-tsan. Races inside the uninstrumented libfcgi/sqlite/libsodium are
# suppressed in tests/tsan.supp; none in our code is.
tsan:
	$(MAKE) --no-print-directory B=build-tsan OPT='-O1 -g -fno-omit-frame-pointer' \
	    EXTRA_CFLAGS='-fsanitize=thread' EXTRA_LDFLAGS='-fsanitize=thread' \
	    tsan-run

tsan-run: $(B)/sessiongw
	SESSIONGW_BIN=$(CURDIR)/$(B)/sessiongw sh tests/tsan-run.sh

# The whole suite again on the Redis backend (tests/integration/conftest.py
# starts a redis-server per gateway; SQLite-only tests are skipped).
test-redis: $(B)/sessiongw $(B)/unit_tests
	SG_STORE=redis SESSIONGW_BIN=$(CURDIR)/$(B)/sessiongw \
	    UNIT_BIN=$(CURDIR)/$(B)/unit_tests sh tests/run-all.sh

# Same tests, sanitized build in its own folder.
check:
	$(MAKE) --no-print-directory B=build-asan OPT='-O1 -g -fno-omit-frame-pointer' \
	    EXTRA_CFLAGS='-fsanitize=address,undefined -fno-sanitize-recover=all' \
	    EXTRA_LDFLAGS='-fsanitize=address,undefined' test

deps:
	apt-get update
	DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
	    build-essential pkg-config libfcgi-dev libsqlite3-dev libsodium-dev \
	    libcjson-dev libinih-dev nginx-light curl sqlite3 jq \
	    python3 python3-pytest valgrind clang libclang-rt-dev \
	    libssl-dev libargon2-dev python3-django python3-argon2 gunicorn \
	    logrotate libhiredis-dev redis-server liboath-dev libqrencode-dev wrk

# Integration tests with the daemon and CLI under valgrind memcheck.
valgrind: $(B)/sessiongw
	SESSIONGW_BIN=$(CURDIR)/$(B)/sessiongw sh tools/valgrind-tests.sh

# The sign-in pages in a real headless Chromium (Debian's chromium,
# npm's playwright-core; both installed by the script when missing).
browser: $(B)/sessiongw
	SESSIONGW_BIN=$(CURDIR)/$(B)/sessiongw sh tests/browser/run.sh

# Throughput, latency, memory and WAL size at 1,000,000 sessions against a
# do-nothing FastCGI responder and the seed's Django stack (bench/README.md);
# writes bench/results/latest.md. BENCH_QUICK=1: the CI smoke run (< 1 min).
bench: $(B)/sessiongw
	BENCH_QUICK=$(BENCH_QUICK) SESSIONGW_BIN=$(CURDIR)/$(B)/sessiongw \
	    sh bench/run.sh

demo: $(B)/sessiongw
	sh tools/demo.sh

demo-stop:
	sh tools/demo-stop.sh

MANDIR	?= $(PREFIX)/share/man
DOCDIR	?= $(PREFIX)/share/doc/sessiongw
UNITDIR	?= $(SYSCONFDIR)/systemd/system
NGINXDIR ?= $(SYSCONFDIR)/nginx

# What a Debian admin expects where: the binary, man pages, the example
# config (never overwriting an edited one), the systemd units, the nginx
# snippets (the upstream only if missing: it names the socket), the
# logrotate file, and the docs the unit's Documentation= points at.
# Units get the real BINDIR/DOCDIR when PREFIX is not /usr/local.
install: $(B)/sessiongw
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(SYSCONFDIR)/sessiongw \
	    $(DESTDIR)$(MANDIR)/man5 $(DESTDIR)$(MANDIR)/man8 \
	    $(DESTDIR)$(UNITDIR) $(DESTDIR)$(NGINXDIR)/snippets \
	    $(DESTDIR)$(NGINXDIR)/conf.d $(DESTDIR)$(SYSCONFDIR)/logrotate.d \
	    $(DESTDIR)$(DOCDIR)/examples/nginx \
	    $(DESTDIR)$(DOCDIR)/examples/django/sessiongw_django/management/commands
	install -m 0755 $(B)/sessiongw $(DESTDIR)$(BINDIR)/sessiongw
	install -m 0644 man/sessiongw.8 $(DESTDIR)$(MANDIR)/man8/sessiongw.8
	install -m 0644 man/sessiongw.conf.5 $(DESTDIR)$(MANDIR)/man5/sessiongw.conf.5
	test -e $(DESTDIR)$(SYSCONFDIR)/sessiongw/sessiongw.conf || \
	    install -m 0644 conf/sessiongw.conf $(DESTDIR)$(SYSCONFDIR)/sessiongw/sessiongw.conf
	for u in conf/sessiongw.service conf/sessiongw-clearsessions.service \
	    conf/sessiongw-clearsessions.timer; do \
		sed -e 's|/usr/local/bin/sessiongw|$(BINDIR)/sessiongw|g' \
		    -e 's|/usr/local/share/doc/sessiongw|$(DOCDIR)|g' $$u \
		    > $(DESTDIR)$(UNITDIR)/$${u#conf/} && \
		chmod 0644 $(DESTDIR)$(UNITDIR)/$${u#conf/} || exit 1; \
	done
	install -m 0644 conf/nginx/sessiongw.conf conf/nginx/sessiongw-app-proxy.conf \
	    conf/nginx/sessiongw-app-uwsgi.conf conf/nginx/sessiongw-app-fastcgi.conf \
	    $(DESTDIR)$(NGINXDIR)/snippets/
	test -e $(DESTDIR)$(NGINXDIR)/conf.d/sessiongw-upstream.conf || \
	    install -m 0644 conf/nginx/sessiongw-upstream.conf $(DESTDIR)$(NGINXDIR)/conf.d/
	install -m 0644 conf/sessiongw.logrotate $(DESTDIR)$(SYSCONFDIR)/logrotate.d/sessiongw
	install -m 0644 README.md $(DESTDIR)$(DOCDIR)/README.md
	install -m 0644 conf/sessiongw.conf $(DESTDIR)$(DOCDIR)/examples/
	install -m 0644 conf/nginx/*.conf $(DESTDIR)$(DOCDIR)/examples/nginx/
	install -m 0644 conf/django/*.py conf/django/*.conf $(DESTDIR)$(DOCDIR)/examples/django/
	install -m 0644 conf/django/sessiongw_django/*.py \
	    $(DESTDIR)$(DOCDIR)/examples/django/sessiongw_django/
	install -m 0644 conf/django/sessiongw_django/management/__init__.py \
	    $(DESTDIR)$(DOCDIR)/examples/django/sessiongw_django/management/
	install -m 0644 conf/django/sessiongw_django/management/commands/*.py \
	    $(DESTDIR)$(DOCDIR)/examples/django/sessiongw_django/management/commands/

clean:
	rm -rf build build-asan build-tsan build-fuzz sessiongw

.PHONY: all unit test test-redis check tsan tsan-run fuzz fuzz-run fuzz-replay valgrind browser bench deps demo demo-stop install clean
