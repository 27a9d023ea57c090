/*
 * ep_cache.c - GET/PUT/DELETE /session/cache/KEY and /session/global/KEY.
 *
 * The key is the rest of the path exactly as nginx passed it (decoded
 * once by nginx, never again here). The scope comes from cache.h: the
 * validated session's user, or the global namespace; the route table
 * already restricts global writes to admins.
 */
#include <stdlib.h>
#include <string.h>

#include "cache.h"
#include "endpoints.h"
#include "parse.h"
#include "response.h"
#include "server.h"
#include "stage.h"

#define DEFAULT_CTYPE	"application/octet-stream"

static int
copy_key(struct request *r, char key[CACHE_KEY_MAX + 1])
{
	if (r->arg_len == 0 || r->arg_len > CACHE_KEY_MAX)
		return -1;
	memcpy(key, r->arg, r->arg_len);
	key[r->arg_len] = '\0';
	return cache_key_valid(key) ? 0 : -1;
}

static int
bad_key(struct request *r)
{
	return request_fail(r, 400, "bad_key",
	    "cache keys are 1-250 bytes of A-Z a-z 0-9 . _ : ~ -");
}

static int
do_get(struct request *r, const struct cache_ctx *c)
{
	char key[CACHE_KEY_MAX + 1];
	struct cache_entry e;
	int rc;

	if (copy_key(r, key) != 0)
		return bad_key(r);
	rc = cache_get(c, key, &e);
	if (rc == STORE_NOTFOUND)
		return request_fail(r, 404, "not_found", "no such key");
	if (rc != STORE_OK)
		return request_db_fail(r);
	r->res.status = 200;
	r->res.content_type = NULL;
	if (response_header(r, "Content-Type", e.content_type) != 0)
		(void)response_header(r, "Content-Type", DEFAULT_CTYPE);
	/*
	 * A value is whatever a client PUT, text/html included: it must never
	 * run as a page of this site (stored XSS on the site's origin).
	 */
	(void)response_header(r, "X-Content-Type-Options", "nosniff");
	(void)response_header(r, "Content-Security-Policy",
	    "sandbox; default-src 'none'");
	buf_append(&r->res.body, e.value, e.len);
	free(e.value);
	if (buf_failed(&r->res.body)) {
		buf_reset(&r->res.headers);	/* no stray Content-Type */
		return request_fail(r, 500, "internal_error", "out of memory");
	}
	return STAGE_DONE;
}

static int
do_put(struct request *r, const struct cache_ctx *c)
{
	char key[CACHE_KEY_MAX + 1];
	const char *ctype = r->content_type[0] != '\0' ? r->content_type :
	    DEFAULT_CTYPE;
	bool has_ttl;
	long ttl = -1;
	int rc;

	if (copy_key(r, key) != 0)
		return bad_key(r);
	if (ttl_parse(r->query, &has_ttl, &ttl) != 0)
		return request_fail(r, 400, "bad_ttl",
		    "ttl must be an integer from 0 to 31536000");
	if (!has_ttl)
		ttl = -1;
	if (strlen(ctype) >= CTYPE_MAX)
		return request_fail(r, 400, "bad_content_type",
		    "Content-Type too long");
	rc = request_read_body(r, (size_t)c->cfg->cache_max_value_bytes);
	if (rc == 413)
		return request_fail(r, 413, "too_large",
		    "value larger than max_value_bytes");
	if (rc != 0)
		return request_body_fail(r, rc);
	if (cache_set(c, key, r->body.data, r->body.len, ctype, ttl) != STORE_OK)
		return request_db_fail(r);
	r->res.status = 204;
	return STAGE_DONE;
}

static int
do_delete(struct request *r, const struct cache_ctx *c)
{
	char key[CACHE_KEY_MAX + 1];
	int rc;

	if (copy_key(r, key) != 0)
		return bad_key(r);
	rc = cache_delete(c, key);
	if (rc == STORE_NOTFOUND)
		return request_fail(r, 404, "not_found", "no such key");
	if (rc != STORE_OK)
		return request_db_fail(r);
	r->res.status = 204;
	return STAGE_DONE;
}

static int
user_ctx(struct request *r, struct cache_ctx *c)
{
	if (cache_user(c, r) != 0)
		return request_fail(r, 401, "unauthorized", "no valid session");
	return 0;
}

int
ep_cache_get(struct request *r)
{
	struct cache_ctx c;
	int rc = user_ctx(r, &c);

	return rc != 0 ? rc : do_get(r, &c);
}

int
ep_cache_put(struct request *r)
{
	struct cache_ctx c;
	int rc = user_ctx(r, &c);

	return rc != 0 ? rc : do_put(r, &c);
}

int
ep_cache_delete(struct request *r)
{
	struct cache_ctx c;
	int rc = user_ctx(r, &c);

	return rc != 0 ? rc : do_delete(r, &c);
}

int
ep_global_get(struct request *r)
{
	struct cache_ctx c;

	cache_global(&c, r);
	return do_get(r, &c);
}

int
ep_global_put(struct request *r)
{
	struct cache_ctx c;

	cache_global(&c, r);
	return do_put(r, &c);
}

int
ep_global_delete(struct request *r)
{
	struct cache_ctx c;

	cache_global(&c, r);
	return do_delete(r, &c);
}
