/*
 * cli_db.c - the database maintenance subcommands: migrate (schema only),
 * clearsessions (expired rows, in short batches) and stats (counts for ops and
 * scripts).
 */
#include <getopt.h>
#include <stdio.h>
#include <time.h>

#include <cJSON.h>

#include "cleanup.h"
#include "cli.h"
#include "cli_common.h"
#include "store.h"

/* Accept no options and no operands. EXIT_OK or EXIT_USAGE. */
static int
no_args(const char *cmd, int argc, char **argv)
{
	static const struct option none[] = { { .name = NULL } };
	int	 c;

	cli_getopt_reset();
	if ((c = getopt_long(argc, argv, ":", none, NULL)) != -1)
		return cli_bad_option(cmd, argc, argv, c);
	if (optind < argc) {
		cli_error("%s: unexpected argument; see --help", cmd);
		return EXIT_USAGE;
	}
	return EXIT_OK;
}

int
cmd_migrate(struct config *cfg, int argc, char **argv)
{
	struct store	*st = NULL;
	int		 from, to, rc;

	if ((rc = no_args("migrate", argc, argv)) != EXIT_OK)
		return rc;
	if (cli_store_open(cfg, &st, &from, &to) != 0)
		return EXIT_FAIL;
	printf("schema at version %d (was %d)\n", to, from);
	cli_close(st);
	return EXIT_OK;
}

/*
 * Delete one table's expired rows in short transactions (cleanup.h), so a
 * live daemon's writes get the lock between batches.
 */
static int
drain(struct store *st, const struct config *cfg, enum cleanup_table table,
    int64_t *total)
{
	struct cleanup_opts o = {
		.now = (int64_t)time(NULL),
		.absolute_age = cfg->absolute_age,
		.batch = cfg->cleanup_batch,
	};

	if (cleanup_sweep(st, table, &o, total) != STORE_OK) {
		cli_error("database %s: cleanup failed after %lld rows: %s",
		    cfg->database, (long long)*total, store_errmsg(st));
		return -1;
	}
	return 0;
}

int
cmd_clearsessions(struct config *cfg, int argc, char **argv)
{
	struct store	*st = NULL;
	cJSON		*detail = NULL;
	int64_t		 nsess = 0, ncache = 0;
	int		 rc;

	if ((rc = no_args("clearsessions", argc, argv)) != EXIT_OK)
		return rc;
	rc = EXIT_FAIL;
	if (cli_store_open(cfg, &st, NULL, NULL) != 0 ||
	    cli_audit_open(cfg) != 0)
		goto out;
	if (drain(st, cfg, CLEANUP_SESSIONS, &nsess) != 0 ||
	    drain(st, cfg, CLEANUP_CACHE, &ncache) != 0)
		goto out;
	printf("deleted %lld expired sessions, %lld expired cache rows\n",
	    (long long)nsess, (long long)ncache);
	if ((detail = cJSON_CreateObject()) != NULL) {
		cJSON_AddNumberToObject(detail, "sessions", (double)nsess);
		cJSON_AddNumberToObject(detail, "cache", (double)ncache);
		cJSON_AddStringToObject(detail, "source", "cli");
	}
	cli_audit(AUDIT_CLEANUP, NULL, 0, NULL, detail);
	rc = EXIT_OK;
out:
	cli_close(st);
	return rc;
}

/* The figures of `stats`, in print order. */
enum stat_id {
	ST_SESSIONS, ST_USERS, ST_CACHE_ROWS, ST_HITS, ST_MISSES, ST_SETS,
	ST_EVICTIONS, ST_CULLS, ST_DB_BYTES, ST__MAX
};

/* Name printed, and the database counter behind it (NULL: computed). */
static const struct {
	const char	*name;
	const char	*counter;
} stat_rows[ST__MAX] = {
	[ST_SESSIONS] = { .name = "sessions_active" },
	[ST_USERS] = { .name = "users" },
	[ST_CACHE_ROWS] = { .name = "cache_rows" },
	[ST_HITS] = { .name = "cache_hits", .counter = "cache_hits" },
	[ST_MISSES] = { .name = "cache_misses", .counter = "cache_misses" },
	[ST_SETS] = { .name = "cache_sets", .counter = "cache_sets" },
	[ST_EVICTIONS] = { .name = "cache_evictions",
	    .counter = "cache_evictions" },
	[ST_CULLS] = { .name = "cache_culls", .counter = "cache_culls" },
	[ST_DB_BYTES] = { .name = "database_bytes" },
};

static int
count_user(void *arg, const struct user *u)
{
	(void)u;
	(*(int64_t *)arg)++;
	return 0;
}

static int
stats_collect(const struct config *cfg, struct store *st,
    int64_t v[ST__MAX])
{
	int64_t	 now = (int64_t)time(NULL);
	struct store_stats ss;
	int	 rc;

	v[ST_USERS] = 0;
	if (store_session_count(st, now, cfg->absolute_age,
	    &v[ST_SESSIONS]) != STORE_OK ||
	    store_user_list(st, count_user, &v[ST_USERS]) != STORE_OK ||
	    store_cache_count(st, &v[ST_CACHE_ROWS]) != STORE_OK ||
	    store_stats(st, &ss) != STORE_OK)
		return -1;
	v[ST_DB_BYTES] = ss.bytes;
	for (int i = 0; i < ST__MAX; i++) {
		if (stat_rows[i].counter == NULL)
			continue;
		v[i] = 0;
		/* A counter never bumped yet has no row: that is 0. */
		rc = store_counter_get(st, stat_rows[i].counter, &v[i]);
		if (rc != STORE_OK && rc != STORE_NOTFOUND)
			return -1;
	}
	return 0;
}

static int
stats_print_json(const int64_t v[ST__MAX])
{
	cJSON	*o = cJSON_CreateObject();
	char	*s = NULL;
	int	 rc = -1;

	if (o == NULL)
		goto out;
	for (int i = 0; i < ST__MAX; i++)
		if (cJSON_AddNumberToObject(o, stat_rows[i].name,
		    (double)v[i]) == NULL)
			goto out;
	if ((s = cJSON_PrintUnformatted(o)) == NULL)
		goto out;
	printf("%s\n", s);
	rc = 0;
out:
	if (rc != 0)
		cli_error("stats: out of memory");
	cJSON_free(s);
	cJSON_Delete(o);
	return rc;
}

int
cmd_stats(struct config *cfg, int argc, char **argv)
{
	static const struct option opts[] = {
		{ .name = "json", .has_arg = no_argument, .val = 'j' },
		{ .name = NULL },
	};
	struct store	*st = NULL;
	int64_t		 v[ST__MAX] = { 0 };
	bool		 json = false;
	int		 c, rc = EXIT_FAIL;

	cli_getopt_reset();
	while ((c = getopt_long(argc, argv, ":", opts, NULL)) != -1) {
		if (c != 'j')
			return cli_bad_option("stats", argc, argv, c);
		json = true;
	}
	if (optind < argc) {
		cli_error("stats: unexpected argument; see --help");
		return EXIT_USAGE;
	}
	if (cli_store_open(cfg, &st, NULL, NULL) != 0)
		goto out;
	if (stats_collect(cfg, st, v) != 0) {
		cli_error("database %s: %s", cfg->database, store_errmsg(st));
		goto out;
	}
	if (json) {
		if (stats_print_json(v) != 0)
			goto out;
	} else {
		for (int i = 0; i < ST__MAX; i++)
			printf("%s %lld\n", stat_rows[i].name,
			    (long long)v[i]);
	}
	rc = EXIT_OK;
out:
	cli_close(st);
	return rc;
}
