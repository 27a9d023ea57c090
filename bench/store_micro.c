/*
 * store_micro.c - CPU time per store call on a real SQLite file, for
 * comparing two builds of store_sqlite.c: session_get_with_user (the
 * validate read), cache_get, cache_set. Process CPU time, so other load
 * on the machine counts less than in wall-clock figures. Not part of the
 * build: bench/README.md ("Statement runner") has the cc line. The file
 * named by argv[1] is created and removed.
 */
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "store.h"

#define NSESS	20000
#define NCALLS	200000

static double
cpu_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int
main(int argc, char **argv)
{
	struct store_opts o = { .create = true };
	static unsigned char hashes[NSESS][SESSION_HASH_BYTES];
	struct store *s;
	struct session ss, got;
	struct user u;
	struct cache_entry e;
	char err[512], key[32];
	int64_t uid, ev, cu;
	bool found;
	double t0, t;
	int from, to;

	if (argc != 2 || sodium_init() < 0)
		return 2;
	unlink(argv[1]);
	if (store_open(&s, argv[1], &o, err, sizeof err) != 0 ||
	    store_prepare(s, &from, &to) != STORE_OK) {
		fprintf(stderr, "open: %s\n", err);
		return 1;
	}
	if (store_user_add(s, "bench", "x", false, 1, &uid) != STORE_OK)
		return 1;
	for (int i = 0; i < NSESS; i++) {
		memset(&ss, 0, sizeof ss);
		randombytes_buf(hashes[i], SESSION_HASH_BYTES);
		memcpy(ss.hash, hashes[i], SESSION_HASH_BYTES);
		sodium_bin2hex(ss.handle, sizeof ss.handle, hashes[i], 6);
		ss.user_id = uid;
		ss.created_at = ss.last_seen = ss.pw_changed_at = 1;
		ss.expires_at = 1000000000;
		if (store_session_create(s, &ss) != STORE_OK)
			return 1;
	}
	t0 = cpu_now();
	for (int i = 0; i < NCALLS; i++)
		if (store_session_get_with_user(s, hashes[i % NSESS], &got, &u,
		    &found) != STORE_OK)
			return 1;
	t = cpu_now() - t0;
	printf("session_get_with_user  %.2f us/call\n", t / NCALLS * 1e6);
	for (int i = 0; i < 5000; i++) {
		snprintf(key, sizeof key, "k%d", i);
		if (store_cache_set(s, 0, key, "hello world", 11, "text/plain",
		    1, 0, NULL, &ev, &cu) != STORE_OK)
			return 1;
	}
	t0 = cpu_now();
	for (int i = 0; i < NCALLS; i++) {
		snprintf(key, sizeof key, "k%d", i % 5000);
		if (store_cache_get(s, 0, key, 2, &e) != STORE_OK)
			return 1;
		free(e.value);
	}
	t = cpu_now() - t0;
	printf("cache_get              %.2f us/call\n", t / NCALLS * 1e6);
	t0 = cpu_now();
	for (int i = 0; i < NCALLS / 10; i++) {
		snprintf(key, sizeof key, "k%d", i % 5000);
		if (store_cache_set(s, 0, key, "hello again", 11, "text/plain",
		    2, 0, NULL, &ev, &cu) != STORE_OK)
			return 1;
	}
	t = cpu_now() - t0;
	printf("cache_set (commit)     %.2f us/call\n", t / (NCALLS / 10) * 1e6);
	store_close(s);
	unlink(argv[1]);
	return 0;
}
