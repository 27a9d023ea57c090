/*
 * cli_sessions.c - `sessiongw sessions list|revoke`: what ops need during
 * an incident. Sessions are only ever named by their handle (12 hex digits
 * of the id's hash), never by anything that could be replayed as a cookie.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "cli_common.h"
#include "store.h"

#define UA_SHOWN	40	/* user agents are cut to this in the table */

/* id -> name, filled from store_user_list before listing sessions, so no
 * second query runs while the session list statement is being stepped. */
struct user_map {
	struct user_name {
		int64_t	 id;
		char	 name[USER_NAME_MAX + 1];
	}		*v;
	size_t		 n, cap;
};

static int
map_add(void *arg, const struct user *u)
{
	struct user_map *m = arg;

	if (m->n == m->cap) {
		size_t	 cap = m->cap ? m->cap * 2 : 16;
		struct user_name *v = reallocarray(m->v, cap, sizeof *v);
		if (v == NULL)
			return -1;
		m->v = v;
		m->cap = cap;
	}
	m->v[m->n].id = u->id;
	snprintf(m->v[m->n].name, sizeof m->v[m->n].name, "%s", u->name);
	m->n++;
	return 0;
}

static const char *
map_name(const struct user_map *m, int64_t id)
{
	for (size_t i = 0; i < m->n; i++)
		if (m->v[i].id == id)
			return m->v[i].name;
	return "?";
}

static int
list_row(void *arg, const struct session *s)
{
	const struct user_map *m = arg;
	char	 created[CLI_TIME_LEN], seen[CLI_TIME_LEN], exp[CLI_TIME_LEN];
	char	 ip[IP_MAX], ua[UA_SHOWN + 1];

	cli_time_fmt(s->created_at, created);
	cli_time_fmt(s->last_seen, seen);
	cli_time_fmt(s->expires_at, exp);
	cli_printable(s->ip[0] ? s->ip : "-", ip, sizeof ip, 0);
	cli_printable(s->user_agent[0] ? s->user_agent : "-", ua, sizeof ua,
	    UA_SHOWN);
	printf("%-12s %-16s %-20s %-20s %-20s %-15s %s\n", s->handle,
	    map_name(m, s->user_id), created, seen, exp, ip, ua);
	return 0;
}

static int
sessions_list(struct store *st, const char *user)
{
	struct user_map m = { .v = NULL };
	struct user	u = { .id = 0 };
	int		rc = EXIT_FAIL;

	if (user != NULL && cli_user_find(st, user, &u) != 0)
		goto out;
	if (store_user_list(st, map_add, &m) != STORE_OK) {
		cli_error("database: %s", store_errmsg(st));
		goto out;
	}
	printf("%-12s %-16s %-20s %-20s %-20s %-15s %s\n", "HANDLE", "USER",
	    "CREATED", "LAST SEEN", "EXPIRES", "IP", "USER AGENT");
	if (store_session_list(st, u.id, list_row, &m) != STORE_OK) {
		cli_error("database: %s", store_errmsg(st));
		goto out;
	}
	rc = EXIT_OK;
out:
	free(m.v);
	return rc;
}

/* 12 hex digits; copied lowercased into out. */
static int
handle_parse(const char *s, char out[SESSION_HANDLE_LEN + 1])
{
	size_t	 i;

	for (i = 0; s[i] != '\0'; i++) {
		char c = s[i];
		if (i >= SESSION_HANDLE_LEN)
			return -1;
		if (c >= 'A' && c <= 'F')
			c = (char)(c - 'A' + 'a');
		if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f')))
			return -1;
		out[i] = c;
	}
	out[i] = '\0';
	return i == SESSION_HANDLE_LEN ? 0 : -1;
}

static cJSON *
revoke_detail(int64_t n, bool all)
{
	cJSON	*d = cJSON_CreateObject();

	if (d == NULL)
		return NULL;
	cJSON_AddNumberToObject(d, "count", (double)n);
	cJSON_AddStringToObject(d, "source", "cli");
	if (all)
		cJSON_AddBoolToObject(d, "all", true);
	return d;
}

static int
revoke_handle(struct store *st, const char *handle)
{
	struct session s;
	struct user	u = { .id = 0 };
	int		r;

	r = store_session_delete_handle(st, handle, 0, &s);
	if (r == STORE_NOTFOUND) {
		cli_error("no session with handle %s", handle);
		return EXIT_FAIL;
	}
	if (r != STORE_OK) {
		cli_error("database: %s", store_errmsg(st));
		return EXIT_FAIL;
	}
	printf("revoked 1 sessions\n");
	/* The user may be gone already; the event is still worth writing. */
	if (store_user_by_id(st, s.user_id, &u) != STORE_OK)
		u.name[0] = '\0';
	cli_audit(AUDIT_SESSION_REVOKED, u.name[0] ? u.name : NULL,
	    s.user_id, handle, revoke_detail(1, false));
	return EXIT_OK;
}

static int
revoke_many(struct store *st, const char *user)
{
	struct user u = { .id = 0 };
	int64_t	 n = 0;
	int	 r;

	if (user != NULL) {
		if (cli_user_find(st, user, &u) != 0)
			return EXIT_FAIL;
		r = store_session_delete_user(st, u.id, &n);
	} else {
		r = store_session_delete_all(st, &n);
	}
	if (r != STORE_OK) {
		cli_error("database: %s", store_errmsg(st));
		return EXIT_FAIL;
	}
	printf("revoked %lld sessions\n", (long long)n);
	cli_audit(AUDIT_SESSION_REVOKED, user, u.id, NULL,
	    revoke_detail(n, user == NULL));
	return EXIT_OK;
}

struct sess_args {
	bool		 revoke;
	const char	*user;
	bool		 all;
	char		 handle[SESSION_HANDLE_LEN + 1];
};

static int
sessions_parse(int argc, char **argv, struct sess_args *a)
{
	static const struct option opts[] = {
		{ .name = "user", .has_arg = required_argument, .val = 'u' },
		{ .name = "all", .has_arg = no_argument, .val = 'a' },
		{ .name = NULL },
	};
	const char *cmd = a->revoke ? "sessions revoke" : "sessions list";
	char	 shown[40];
	int	 c, nsel;

	cli_getopt_reset();
	while ((c = getopt_long(argc, argv, ":", opts, NULL)) != -1) {
		if (c == 'u')
			a->user = optarg;
		else if (c == 'a' && a->revoke)
			a->all = true;
		else
			return cli_bad_option(cmd, argc, argv, c);
	}
	if (a->user != NULL && cli_username_check(a->user) != 0)
		return EXIT_USAGE;
	if (!a->revoke) {
		if (optind == argc)
			return EXIT_OK;
		cli_error("%s: unexpected argument; see --help", cmd);
		return EXIT_USAGE;
	}
	nsel = (a->user != NULL) + a->all + (argc - optind);
	if (nsel != 1) {
		cli_error("%s: give exactly one of --user NAME, --all, HANDLE",
		    cmd);
		return EXIT_USAGE;
	}
	if (optind < argc && handle_parse(argv[optind], a->handle) != 0) {
		cli_printable(argv[optind], shown, sizeof shown, 32);
		cli_error("%s: bad handle '%s': expected 12 hex digits", cmd,
		    shown);
		return EXIT_USAGE;
	}
	return EXIT_OK;
}

int
cmd_sessions(struct config *cfg, int argc, char **argv)
{
	struct sess_args a = { .user = NULL };
	struct store	*st = NULL;
	int		 rc;

	if (argc < 2 || (strcmp(argv[1], "list") != 0 &&
	    strcmp(argv[1], "revoke") != 0)) {
		cli_error("sessions: expected 'list' or 'revoke'; see "
		    "sessiongw sessions --help");
		return EXIT_USAGE;
	}
	a.revoke = strcmp(argv[1], "revoke") == 0;
	if ((rc = sessions_parse(argc - 1, argv + 1, &a)) != EXIT_OK)
		return rc;
	rc = EXIT_FAIL;
	if (cli_store_open(cfg, &st, NULL, NULL) != 0 ||
	    (a.revoke && cli_audit_open(cfg) != 0))
		goto out;
	if (!a.revoke)
		rc = sessions_list(st, a.user);
	else if (a.handle[0] != '\0')
		rc = revoke_handle(st, a.handle);
	else
		rc = revoke_many(st, a.user);
out:
	cli_close(st);
	return rc;
}
