/*
 * parse.h - validators for everything a client sends.
 *
 * Every raw input (cookie header, form and JSON bodies, cache keys, ttl,
 * the rd redirect target, Origin) is turned into a parsed value here, by
 * small pure functions with no I/O, unit-tested with tables and fuzzed.
 * Stages only ever see the parsed values.
 */
#ifndef SESSIONGW_PARSE_H
#define SESSIONGW_PARSE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define CACHE_KEY_MAX	250
#define TTL_MAX		31536000L
#define FORM_VALUE_MAX	4096
#define LOGIN_BODY_MAX	(16 * 1024)	/* a larger login body is refused */

/*
 * Iterate the values of cookie `name` in a Cookie header, in order.
 * *pos starts at 0. Returns 1 and sets *val and *len to the next value (not
 * NUL-terminated, surrounding spaces and one pair of quotes removed), or 0
 * when there are no more.
 */
int	cookie_next(const char *header, const char *name, size_t *pos,
	    const char **val, size_t *len);

/*
 * Find field `name` in an application/x-www-form-urlencoded string and
 * percent-decode it ('+' is a space) into out (NUL-terminated).
 * Returns 1 found, 0 absent, -1 malformed (bad %-escape, NUL byte, too long).
 */
int	form_get(const char *body, size_t len, const char *name,
	    char *out, size_t outsz);

/* Percent-decode once into out. Returns 0, or -1 on a bad escape,
 * an encoded NUL, or overflow. plus_is_space for form encoding. */
int	percent_decode(const char *in, size_t len, char *out, size_t outsz,
	    bool plus_is_space);

/*
 * User name: 1..USER_NAME_MAX (150) bytes of [A-Za-z0-9@.+_-], Django's
 * default username rule in ASCII, so every Django user can be imported
 * under the name they sign in with. The one place this rule lives.
 */
bool	username_valid(const char *);

/* Login credentials, from a form or JSON body. */
struct login_form {
	char	username[256];
	char	password[1024];
	char	rd[2048];
	bool	has_rd;
	char	otp[32];	/* second factor: TOTP or recovery code; "" none */
	bool	remember;	/* "keep me signed in": form remember=1|on, JSON true */
};
enum body_kind { BODY_FORM, BODY_JSON, BODY_OTHER };
enum body_kind	body_kind_of(const char *content_type);
/*
 * Parse a login body. Returns 0 ok, -1 malformed (message in err):
 * missing/empty username or password, a non-string field, bad JSON,
 * bad escapes, oversized fields.
 */
int	login_form_parse(enum body_kind, const char *body, size_t len,
	    struct login_form *, char *err, size_t errsz);

/*
 * Named string fields of a small form or JSON object body (enrolment,
 * password change): each found field is copied into its out (size bytes,
 * NUL-terminated); a missing required one, a non-string, a too-long value,
 * bad JSON or a bad escape is -1 with a message in err. Every string of a
 * parsed JSON tree is wiped before it is freed (passwords).
 */
struct body_field {
	const char	*name;
	char		*out;
	size_t		 size;
	bool		 required;
};
int	body_fields_parse(enum body_kind, const char *body, size_t len,
	    const struct body_field *, size_t n, char *err, size_t errsz);

/* Cache key: 1..250 bytes of [A-Za-z0-9._:~-]. */
bool	cache_key_valid(const char *key);

/*
 * The ttl query parameter. query is QUERY_STRING. Returns 0 and sets
 * *ttl (or *present = false if there is no ttl parameter), -1 if bad.
 */
int	ttl_parse(const char *query, bool *present, long *ttl);

/*
 * rd on GET /session/login: everything after a leading "rd=" in the query
 * string, decoded once only when it does not begin with '/'. Returns 0 ok
 * (out may be empty), -1 if it cannot be decoded or is too long.
 */
int	rd_from_query(const char *query, char *out, size_t outsz);
/* A local path: '/' first, second not '/' or '\', no control char, no '\'. */
bool	rd_is_local(const char *rd);

/*
 * The host[:port] of this site's own origin, for origin_allowed(): host is
 * HTTP_HOST; when it carries no port, ":SERVER_PORT" is added unless that
 * is the scheme's default (80 http, 443 https) or not a port 1..65535.
 * IPv6 literals ("[::1]", "[::1]:8443") are understood. Returns 0, or -1
 * if host is empty or the result does not fit in outsz.
 */
int	origin_host(bool https, const char *host, const char *server_port,
	    char *out, size_t outsz);

/*
 * Origin check: origin matches "http(s)://host" of the request or one of
 * the allowed list exactly. Comparison is case-insensitive on scheme and
 * host as browsers serialize them lowercase.
 */
bool	origin_allowed(const char *origin, bool https, const char *host,
	    const char (*allowed)[256], int nallowed);

/*
 * The key failed logins from a client address are counted under: an IPv4
 * address as it is; an IPv6 address as its /64 in canonical form
 * ("2001:db8:1:2::/64": one home or office gets a whole /64, so counting
 * single addresses would give an attacker 2^64 fresh counters); an
 * IPv4-mapped IPv6 address as the IPv4 address. Anything else (empty, a
 * zone index) is used as it is, cut to outsz - 1 bytes.
 */
#define IP_KEY_MAX	64
void	login_ip_key(const char *remote_addr, char *out, size_t outsz);

/* Strict decimal parse of [lo, hi]; whole string. 0 ok, -1 bad. */
int	parse_long(const char *s, long lo, long hi, long *out);

#endif
