/*
 * cli_user_import.c - moving users in and out: `user import FILE` reads
 * Django's `dumpdata auth.user` JSON (array or JSON Lines) and our own
 * export; `user export` writes one JSON object per user.
 *
 * Rules (SPEC "Users from another system"): hashes are copied as they are,
 * never recomputed, so 10,000 users import in well under a second; a hash
 * we cannot verify imports the user locked with must_reset; is_active
 * false imports locked; is_staff or is_superuser imports admin; a name
 * already present is skipped, never overwritten. The whole file is
 * validated first and then inserted in one transaction: a malformed entry
 * anywhere changes nothing, and the error names that entry.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cJSON.h>
#include <sodium.h>

#include "cli.h"
#include "cli_common.h"
#include "cli_user_import.h"
#include "parse.h"
#include "password_import.h"

/* Parsed entries, validated, in file order. */
struct import {
	const char	*path;
	struct user	*users;
	size_t		 n, cap;
	int64_t		 now;
	char		 where[64];	/* "entry 3" / "line 7", for errors */
};

/* Read path into a NUL-terminated heap buffer (caller frees). */
static char *
read_file(const char *path, size_t *len)
{
	FILE	*fp = strcmp(path, "-") == 0 ? stdin : fopen(path, "rb");
	char	*buf = NULL, *nb;
	size_t	 cap = 0, n = 0, r;

	if (fp == NULL) {
		cli_error("cannot open %s: %s", path, strerror(errno));
		return NULL;
	}
	do {
		if (n + 1 >= cap) {
			cap = cap == 0 ? 65536 : cap * 2;
			if (cap > (size_t)IMPORT_FILE_MAX + 1 ||
			    (nb = realloc(buf, cap)) == NULL) {
				cli_error("%s: larger than %ld bytes or out of "
				    "memory", path, IMPORT_FILE_MAX);
				goto fail;
			}
			buf = nb;
		}
		r = fread(buf + n, 1, cap - n - 1, fp);
		n += r;
	} while (r > 0);
	if (ferror(fp)) {
		cli_error("cannot read %s: %s", path, strerror(errno));
		goto fail;
	}
	buf[n] = '\0';
	*len = n;
	if (fp != stdin)
		fclose(fp);
	return buf;
fail:
	free(buf);
	if (fp != stdin)
		fclose(fp);
	return NULL;
}

/* One error line naming the file and the entry. Returns EXIT_USAGE. */
static int
bad(const struct import *im, const char *why)
{
	cli_error("%s: %s: %s; nothing imported", im->path, im->where, why);
	return EXIT_USAGE;
}

/* A bool field; absent is dflt. -1 when present but not a bool. */
static int
get_bool(const cJSON *o, const char *key, bool dflt, bool *out)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);

	if (v == NULL) {
		*out = dflt;
		return 0;
	}
	if (!cJSON_IsBool(v))
		return -1;
	*out = cJSON_IsTrue(v);
	return 0;
}

/*
 * A time: RFC 3339 (Django writes "2024-05-01T10:00:00.123Z", or without
 * zone when USE_TZ = False: taken as UTC) or Unix seconds. Absent = now.
 */
static int
get_time(const cJSON *o, const char *key, int64_t now, int64_t *out)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
	char	 z[64];
	int64_t	 ms;

	*out = now;
	if (v == NULL || cJSON_IsNull(v))
		return 0;
	if (cJSON_IsNumber(v) && v->valuedouble >= 0 &&
	    v->valuedouble < 1e11) {
		*out = (int64_t)v->valuedouble;
		return 0;
	}
	if (!cJSON_IsString(v))
		return -1;
	if (cli_rfc3339_parse(v->valuestring, &ms) != 0) {
		if (snprintf(z, sizeof z, "%sZ", v->valuestring) >=
		    (int)sizeof z || cli_rfc3339_parse(z, &ms) != 0)
			return -1;
	}
	*out = ms / 1000;
	return 0;
}

/* Printable ASCII only: a hash is text, and it is shown nowhere. */
static bool
hash_text_ok(const char *s)
{
	for (; *s != '\0'; s++)
		if (*s < ' ' || *s > '~')
			return false;
	return true;
}

/*
 * One entry, Django's {"model","pk","fields":{...}} or ours
 * {"name","password",...}, into u. 0, or EXIT_USAGE (printed).
 */
static int
entry_to_user(struct import *im, const cJSON *e, struct user *u)
{
	const cJSON *f = cJSON_GetObjectItemCaseSensitive(e, "fields");
	const cJSON *model = cJSON_GetObjectItemCaseSensitive(e, "model");
	const cJSON *name, *pw;
	bool	 django = f != NULL, active = true, staff = false, su = false;

	memset(u, 0, sizeof *u);
	if (!cJSON_IsObject(e))
		return bad(im, "not a JSON object");
	if (django && (!cJSON_IsObject(f) || !cJSON_IsString(model)))
		return bad(im, "\"fields\" without a \"model\" string");
	if (!django)
		f = e;
	name = cJSON_GetObjectItemCaseSensitive(f, django ? "username" :
	    "name");
	pw = cJSON_GetObjectItemCaseSensitive(f, "password");
	if (pw == NULL && !django)
		pw = cJSON_GetObjectItemCaseSensitive(f, "password_hash");
	if (!cJSON_IsString(name) || !cJSON_IsString(pw)) {
		if (django)
			return bad(im, "not a user (model without string "
			    "fields username and password; dump with "
			    "`manage.py dumpdata auth.user`)");
		return bad(im, "needs string fields \"name\" and "
		    "\"password\"");
	}
	if (!username_valid(name->valuestring))
		return bad(im, "invalid user name (1-150 characters of "
		    "A-Z a-z 0-9 @ . + _ -)");
	if (strlen(pw->valuestring) >= PWHASH_MAX ||
	    !hash_text_ok(pw->valuestring))
		return bad(im, "password hash too long or not printable "
		    "ASCII");
	if (django) {
		if (get_bool(f, "is_active", true, &active) != 0 ||
		    get_bool(f, "is_staff", false, &staff) != 0 ||
		    get_bool(f, "is_superuser", false, &su) != 0)
			return bad(im, "is_active, is_staff or is_superuser "
			    "is not true/false");
		u->admin = staff || su;
		u->locked = !active;
	} else if (get_bool(f, "admin", false, &u->admin) != 0 ||
	    get_bool(f, "locked", false, &u->locked) != 0 ||
	    get_bool(f, "must_reset", false, &u->must_reset) != 0) {
		return bad(im, "admin, locked or must_reset is not "
		    "true/false");
	}
	if (get_time(f, django ? "date_joined" : "created_at", im->now,
	    &u->created_at) != 0)
		return bad(im, django ? "date_joined is not a date" :
		    "created_at is not a date");
	snprintf(u->name, sizeof u->name, "%s", name->valuestring);
	snprintf(u->pwhash, sizeof u->pwhash, "%s", pw->valuestring);
	/* Cannot verify it: nobody may sign in until `user passwd`. */
	if (password_hash_kind(u->pwhash) == PWHASH_UNKNOWN)
		u->must_reset = true;
	if (u->must_reset)
		u->locked = true;
	u->pw_changed_at = im->now;
	return 0;
}

static int
add_entry(struct import *im, const cJSON *e)
{
	struct user *nu;

	if (im->n == im->cap) {
		size_t cap = im->cap == 0 ? 256 : im->cap * 2;

		if ((nu = reallocarray(im->users, cap, sizeof *nu)) == NULL) {
			cli_error("out of memory");
			return EXIT_FAIL;
		}
		im->users = nu;
		im->cap = cap;
	}
	if (entry_to_user(im, e, &im->users[im->n]) != 0)
		return EXIT_USAGE;
	im->n++;
	return 0;
}

/* Django's dumpdata: one JSON array of entries. */
static int
parse_array(struct import *im, const char *buf, size_t len)
{
	cJSON	*root = cJSON_ParseWithLength(buf, len), *e;
	int	 rc = 0, i = 0;

	snprintf(im->where, sizeof im->where, "JSON");
	if (!cJSON_IsArray(root)) {
		rc = bad(im, "not valid JSON (expected the array "
		    "`manage.py dumpdata auth.user` writes)");
		goto out;
	}
	cJSON_ArrayForEach(e, root) {
		snprintf(im->where, sizeof im->where, "entry %d", ++i);
		if ((rc = add_entry(im, e)) != 0)
			break;
	}
out:
	cJSON_Delete(root);
	return rc;
}

/* JSON Lines: ours, or `dumpdata --format jsonl`. Blank lines skipped. */
static int
parse_lines(struct import *im, char *buf)
{
	char	*line = buf, *nl;
	cJSON	*e;
	int	 rc = 0, lineno = 0;

	for (; line != NULL && rc == 0; line = nl) {
		if ((nl = strchr(line, '\n')) != NULL)
			*nl++ = '\0';
		lineno++;
		if (line[strspn(line, " \t\r")] == '\0')
			continue;
		snprintf(im->where, sizeof im->where, "line %d", lineno);
		if ((e = cJSON_Parse(line)) == NULL) {
			rc = bad(im, "not valid JSON");
			break;
		}
		rc = add_entry(im, e);
		cJSON_Delete(e);
	}
	return rc;
}

static int
cmp_name(const void *a, const void *b)
{
	return strcmp(((const struct user *)a)->name,
	    ((const struct user *)b)->name);
}

/* The same name twice in one file is an error, not a silent skip. */
static int
check_duplicates(struct import *im)
{
	struct user *sorted;
	int	 rc = 0;

	if (im->n < 2)
		return 0;
	if ((sorted = malloc(im->n * sizeof *sorted)) == NULL) {
		cli_error("out of memory");
		return EXIT_FAIL;
	}
	memcpy(sorted, im->users, im->n * sizeof *sorted);
	qsort(sorted, im->n, sizeof *sorted, cmp_name);
	for (size_t i = 1; i < im->n && rc == 0; i++) {
		if (strcmp(sorted[i - 1].name, sorted[i].name) == 0) {
			snprintf(im->where, sizeof im->where, "user %.40s",
			    sorted[i].name);
			rc = bad(im, "appears twice in the file");
		}
	}
	sodium_memzero(sorted, im->n * sizeof *sorted);
	free(sorted);
	return rc;
}

struct counts {
	long	 imported, admins, locked, reset, skipped;
};

static void
report(const struct import *im, const bool *inserted)
{
	struct counts c = { 0 };
	cJSON	*d;

	for (size_t i = 0; i < im->n; i++) {
		const struct user *u = &im->users[i];

		if (!inserted[i]) {
			c.skipped++;
			continue;
		}
		c.imported++;
		c.admins += u->admin;
		c.locked += u->locked;
		c.reset += u->must_reset;
	}
	printf("imported %ld users (%ld admins, %ld locked, %ld need a "
	    "password reset), skipped %ld existing\n", c.imported, c.admins,
	    c.locked, c.reset, c.skipped);
	if ((d = cJSON_CreateObject()) != NULL) {
		cJSON_AddStringToObject(d, "file", im->path);
		cJSON_AddNumberToObject(d, "imported", (double)c.imported);
		cJSON_AddNumberToObject(d, "admins", (double)c.admins);
		cJSON_AddNumberToObject(d, "locked", (double)c.locked);
		cJSON_AddNumberToObject(d, "must_reset", (double)c.reset);
		cJSON_AddNumberToObject(d, "skipped", (double)c.skipped);
	}
	cli_audit(AUDIT_USERS_IMPORTED, NULL, 0, NULL, d);
}

int
user_import_file(struct store *st, const char *path)
{
	struct import im = { .path = path, .now = (int64_t)time(NULL) };
	bool	*inserted = NULL;
	char	*buf;
	size_t	 len = 0, skip;
	int	 rc = EXIT_FAIL;

	if ((buf = read_file(path, &len)) == NULL)
		return EXIT_FAIL;
	skip = strspn(buf, " \t\r\n");
	rc = buf[skip] == '[' ? parse_array(&im, buf, len) :
	    parse_lines(&im, buf);
	if (rc == 0)
		rc = check_duplicates(&im);
	if (rc != 0)
		goto out;
	rc = EXIT_FAIL;
	if (im.n > 0 && (inserted = calloc(im.n, sizeof *inserted)) == NULL) {
		cli_error("out of memory");
		goto out;
	}
	if (im.n > 0 && store_user_import(st, im.users, im.n, inserted) !=
	    STORE_OK) {
		cli_error("database: %s; nothing imported", store_errmsg(st));
		goto out;
	}
	report(&im, inserted);
	rc = EXIT_OK;
out:
	if (im.users != NULL)
		sodium_memzero(im.users, im.cap * sizeof *im.users);
	free(im.users);
	free(inserted);
	sodium_memzero(buf, len);
	free(buf);
	return rc;
}

static int
export_row(void *arg, const struct user *u)
{
	char	 created[CLI_TIME_LEN];
	char	*line;
	cJSON	*o = cJSON_CreateObject();
	int	 rc = 1;	/* nonzero stops the walk; -1 is a db error */

	(void)arg;
	cli_time_fmt(u->created_at, created);
	if (o == NULL ||
	    cJSON_AddStringToObject(o, "name", u->name) == NULL ||
	    cJSON_AddStringToObject(o, "password", u->pwhash) == NULL ||
	    cJSON_AddBoolToObject(o, "admin", u->admin) == NULL ||
	    cJSON_AddBoolToObject(o, "locked", u->locked) == NULL ||
	    cJSON_AddBoolToObject(o, "must_reset", u->must_reset) == NULL ||
	    cJSON_AddStringToObject(o, "created_at", created) == NULL ||
	    (line = cJSON_PrintUnformatted(o)) == NULL)
		goto out;
	rc = puts(line) == EOF ? 1 : 0;
	sodium_memzero(line, strlen(line));
	cJSON_free(line);
out:
	cJSON_Delete(o);
	return rc;
}

int
user_export(struct store *st)
{
	int	 rc = store_user_list(st, export_row, NULL);

	if (rc == STORE_ERROR) {
		cli_error("database: %s", store_errmsg(st));
		return EXIT_FAIL;
	}
	if (rc != STORE_OK || fflush(stdout) != 0) {
		cli_error("cannot write the export: %s", strerror(errno));
		return EXIT_FAIL;
	}
	return EXIT_OK;
}
