/*
 * parse.c - validators for everything a client sends (see parse.h).
 *
 * Pure functions: no I/O, no globals, no allocation except inside cJSON for
 * JSON login bodies. Each raw input becomes a parsed value or an error here,
 * so the stages never look at raw bytes. All of it is fuzzed
 * (tests/fuzz/: fuzz_cookie.c, fuzz_login_body.c, fuzz_cache_key.c).
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <cJSON.h>
#include <sodium.h>

#include "parse.h"
#include "store.h"


static bool
is_ows(char c)
{
	return c == ' ' || c == '\t';
}

static bool
is_ctl(unsigned char c)
{
	return c < 0x20 || c == 0x7f;
}

static int
hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/*
 * Decode the byte at in[*i] (a plain byte, '+' or %XX) and advance *i.
 * Returns the byte (0..255) or -1 for a bad escape or a NUL, raw or encoded.
 */
static int
decode_one(const char *in, size_t len, size_t *i, bool plus_is_space)
{
	int hi, lo;
	char c = in[*i];

	if (c == '\0')
		return -1;
	if (c == '+' && plus_is_space) {
		(*i)++;
		return ' ';
	}
	if (c != '%') {
		(*i)++;
		return (unsigned char)c;
	}
	if (len - *i < 3 || (hi = hexval(in[*i + 1])) < 0 ||
	    (lo = hexval(in[*i + 2])) < 0 || (hi | lo) == 0)
		return -1;
	*i += 3;
	return hi * 16 + lo;
}

int
percent_decode(const char *in, size_t len, char *out, size_t outsz,
    bool plus_is_space)
{
	size_t i = 0, o = 0;

	if (outsz == 0)
		return -1;
	while (i < len) {
		int c = decode_one(in, len, &i, plus_is_space);

		if (c < 0 || o + 1 >= outsz)
			goto fail;
		out[o++] = (char)c;
	}
	out[o] = '\0';
	return 0;
fail:
	out[0] = '\0';
	return -1;
}

/* ---------------------------------------------------------------- cookie */

/*
 * RFC 6265 cookie-string: pairs separated by ';', optional spaces around.
 * A pair without '=' has no value and never matches.
 */
int
cookie_next(const char *header, const char *name, size_t *pos,
    const char **val, size_t *len)
{
	size_t nlen;

	if (header == NULL || name == NULL || pos == NULL)
		return 0;
	if ((nlen = strlen(name)) == 0)
		return 0;
	while (header[*pos] != '\0') {
		const char *p = header + *pos, *end, *eq, *k, *ke, *v, *ve;

		end = strchr(p, ';');
		if (end == NULL)
			end = p + strlen(p);
		*pos = (size_t)(end - header) + (*end == ';');

		eq = memchr(p, '=', (size_t)(end - p));
		if (eq == NULL)
			continue;
		for (k = p; k < eq && is_ows(*k); k++)
			;
		for (ke = eq; ke > k && is_ows(ke[-1]); ke--)
			;
		if ((size_t)(ke - k) != nlen || memcmp(k, name, nlen) != 0)
			continue;
		for (v = eq + 1; v < end && is_ows(*v); v++)
			;
		for (ve = end; ve > v && is_ows(ve[-1]); ve--)
			;
		if (ve - v >= 2 && *v == '"' && ve[-1] == '"') {
			v++;
			ve--;
		}
		*val = v;
		*len = (size_t)(ve - v);
		return 1;
	}
	return 0;
}

/* ------------------------------------------------------------------ form */

/*
 * Compare the encoded field name [s, s+len) with name after decoding it.
 * 1 equal, 0 different, -1 malformed.
 */
static int
form_name_eq(const char *s, size_t len, const char *name)
{
	size_t i = 0, k = 0;
	bool eq = true;

	while (i < len) {
		int c = decode_one(s, len, &i, true);

		if (c < 0)
			return -1;
		if (eq && (name[k] == '\0' || (unsigned char)name[k] != c))
			eq = false;
		if (eq)
			k++;
	}
	return eq && name[k] == '\0';
}

int
form_get(const char *body, size_t len, const char *name, char *out,
    size_t outsz)
{
	size_t i = 0;

	if (outsz == 0 || name == NULL)
		return -1;
	out[0] = '\0';
	if (body == NULL || len == 0)
		return 0;
	if (memchr(body, '\0', len) != NULL)
		return -1;
	while (i < len) {
		const char *f = body + i, *amp, *eq;
		size_t flen, nlen;
		int m;

		amp = memchr(f, '&', len - i);
		flen = amp != NULL ? (size_t)(amp - f) : len - i;
		i += flen + 1;
		if (flen == 0)
			continue;
		eq = memchr(f, '=', flen);
		nlen = eq != NULL ? (size_t)(eq - f) : flen;
		if ((m = form_name_eq(f, nlen, name)) == -1)
			return -1;
		if (m == 0)
			continue;
		if (eq == NULL)
			return 1;	/* "name" alone: present, empty */
		return percent_decode(eq + 1, flen - nlen - 1, out, outsz,
		    true) == 0 ? 1 : -1;
	}
	return 0;
}

/* ----------------------------------------------------------------- login */

enum body_kind
body_kind_of(const char *ct)
{
	static const struct {
		const char	*type;
		enum body_kind	 kind;
	} kinds[] = {
		{ .type = "application/x-www-form-urlencoded", .kind = BODY_FORM },
		{ .type = "application/json", .kind = BODY_JSON },
	};

	if (ct == NULL)
		return BODY_OTHER;
	while (is_ows(*ct))
		ct++;
	for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++) {
		size_t n = strlen(kinds[i].type);
		const char *rest = ct + n;

		if (strncasecmp(ct, kinds[i].type, n) != 0)
			continue;
		while (is_ows(*rest))
			rest++;
		if (*rest == '\0' || *rest == ';')
			return kinds[i].kind;
	}
	return BODY_OTHER;
}

static void
set_err(char *err, size_t errsz, const char *msg)
{
	if (err != NULL && errsz > 0)
		snprintf(err, errsz, "%s", msg);
}

/* Username and password rules shared by both body kinds. */
static int
login_check(const struct login_form *f, char *err, size_t errsz)
{
	if (f->username[0] == '\0') {
		set_err(err, errsz, "missing or empty username");
		return -1;
	}
	if (f->password[0] == '\0') {
		set_err(err, errsz, "missing or empty password");
		return -1;
	}
	for (const char *p = f->username; *p != '\0'; p++) {
		if (is_ctl((unsigned char)*p)) {
			set_err(err, errsz, "control character in username");
			return -1;
		}
	}
	return 0;
}

static int
login_parse_form(const char *body, size_t len, struct login_form *f,
    char *err, size_t errsz)
{
	char remember[8] = "";
	int r;

	if (form_get(body, len, "username", f->username,
	    sizeof(f->username)) == -1 ||
	    form_get(body, len, "password", f->password,
	    sizeof(f->password)) == -1 ||
	    (r = form_get(body, len, "rd", f->rd, sizeof(f->rd))) == -1 ||
	    form_get(body, len, "otp", f->otp, sizeof(f->otp)) == -1 ||
	    form_get(body, len, "remember", remember, sizeof remember) == -1) {
		set_err(err, errsz, "bad form field (escape, NUL or length)");
		return -1;
	}
	f->has_rd = r == 1;
	f->remember = strcmp(remember, "1") == 0 || strcmp(remember, "on") == 0;
	return login_check(f, err, errsz);
}

/*
 * Copy a JSON string member. 1 copied, 0 absent, -1 not a string or too
 * long. (A \u0000 inside would silently truncate; the caller rejects it.)
 */
static int
json_string(const cJSON *obj, const char *key, char *out, size_t outsz)
{
	const cJSON *it = cJSON_GetObjectItemCaseSensitive(obj, key);
	size_t n;

	if (it == NULL)
		return 0;
	if (!cJSON_IsString(it) || it->valuestring == NULL)
		return -1;
	n = strlen(it->valuestring);
	if (n >= outsz)
		return -1;
	memcpy(out, it->valuestring, n + 1);
	return 1;
}

/* cJSON stops strings at an encoded NUL; refuse bodies that contain one. */
static bool
has_escaped_nul(const char *s, size_t len)
{
	for (size_t i = 0; i + 6 <= len; i++)
		if (s[i] == '\\' && (s[i + 1] == 'u' || s[i + 1] == 'U') &&
		    memcmp(s + i + 2, "0000", 4) == 0)
			return true;
	return false;
}

/* Wipe the password's copy inside the parsed tree before freeing it. */
static void
json_free(cJSON *root)
{
	cJSON *pw;

	if (root == NULL)
		return;
	pw = cJSON_GetObjectItemCaseSensitive(root, "password");
	if (cJSON_IsString(pw) && pw->valuestring != NULL)
		sodium_memzero(pw->valuestring, strlen(pw->valuestring));
	cJSON_Delete(root);
}

static int
login_parse_json(const char *body, size_t len, struct login_form *f,
    char *err, size_t errsz)
{
	cJSON *root = NULL;
	const cJSON *rem = NULL;
	const char *end = NULL;
	int r;

	if (len == 0) {
		set_err(err, errsz, "empty body");
		goto fail;
	}
	if (memchr(body, '\0', len) != NULL || has_escaped_nul(body, len)) {
		set_err(err, errsz, "NUL in JSON body");
		goto fail;
	}
	root = cJSON_ParseWithLengthOpts(body, len, &end, 0);
	if (root == NULL || !cJSON_IsObject(root)) {
		set_err(err, errsz, "body is not a JSON object");
		goto fail;
	}
	for (; end != NULL && end < body + len; end++) {
		if (strchr(" \t\r\n", *end) == NULL || *end == '\0') {
			set_err(err, errsz, "trailing data after JSON object");
			goto fail;
		}
	}
	if (json_string(root, "username", f->username,
	    sizeof(f->username)) == -1 ||
	    json_string(root, "password", f->password,
	    sizeof(f->password)) == -1 ||
	    (r = json_string(root, "rd", f->rd, sizeof(f->rd))) == -1 ||
	    json_string(root, "otp", f->otp, sizeof(f->otp)) == -1 ||
	    ((rem = cJSON_GetObjectItemCaseSensitive(root, "remember")) != NULL
	    && !cJSON_IsBool(rem))) {
		set_err(err, errsz, "a field is not a string or is too long");
		goto fail;
	}
	f->has_rd = r == 1;
	f->remember = cJSON_IsTrue(rem);
	json_free(root);
	return login_check(f, err, errsz);
fail:
	json_free(root);
	return -1;
}

int
login_form_parse(enum body_kind kind, const char *body, size_t len,
    struct login_form *f, char *err, size_t errsz)
{
	int rc = -1;

	memset(f, 0, sizeof(*f));
	if (body == NULL)
		len = 0;
	if (len > LOGIN_BODY_MAX) {
		set_err(err, errsz, "body too large");
		goto out;
	}
	switch (kind) {
	case BODY_FORM:
		rc = login_parse_form(body, len, f, err, errsz);
		break;
	case BODY_JSON:
		rc = login_parse_json(body, len, f, err, errsz);
		break;
	default:
		set_err(err, errsz, "unsupported content type");
		break;
	}
out:
	if (rc == -1)
		sodium_memzero(f, sizeof(*f));
	return rc;
}

static void
json_wipe_strings(cJSON *it)
{
	for (; it != NULL; it = it->next) {
		if (cJSON_IsString(it) && it->valuestring != NULL)
			sodium_memzero(it->valuestring,
			    strlen(it->valuestring));
		json_wipe_strings(it->child);
	}
}

int
body_fields_parse(enum body_kind kind, const char *body, size_t len,
    const struct body_field *fl, size_t n, char *err, size_t errsz)
{
	cJSON *root = NULL;
	int rc = -1, got;

	for (size_t i = 0; i < n; i++)
		fl[i].out[0] = '\0';
	if (body == NULL || len > LOGIN_BODY_MAX || kind == BODY_OTHER) {
		set_err(err, errsz, "expected a form or JSON body");
		goto out;
	}
	if (kind == BODY_JSON) {
		if (len == 0 || memchr(body, '\0', len) != NULL ||
		    has_escaped_nul(body, len) ||
		    (root = cJSON_ParseWithLength(body, len)) == NULL ||
		    !cJSON_IsObject(root)) {
			set_err(err, errsz, "body is not a JSON object");
			goto out;
		}
	}
	for (size_t i = 0; i < n; i++) {
		got = kind == BODY_JSON ?
		    json_string(root, fl[i].name, fl[i].out, fl[i].size) :
		    form_get(body, len, fl[i].name, fl[i].out, fl[i].size);
		if (got == -1 || (got == 0 && fl[i].required) ||
		    (fl[i].required && fl[i].out[0] == '\0')) {
			set_err(err, errsz, "a field is missing, not a string "
			    "or too long");
			goto out;
		}
	}
	rc = 0;
out:
	if (root != NULL) {
		json_wipe_strings(root->child);
		cJSON_Delete(root);
	}
	if (rc != 0)
		for (size_t i = 0; i < n; i++)
			sodium_memzero(fl[i].out, fl[i].size);
	return rc;
}

/* ----------------------------------------------------------------- query */

bool
cache_key_valid(const char *key)
{
	size_t n;

	if (key == NULL)
		return false;
	for (n = 0; key[n] != '\0'; n++) {
		unsigned char c = (unsigned char)key[n];

		if (n >= CACHE_KEY_MAX)
			return false;
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9') || strchr("._:~-", c) != NULL))
			return false;
	}
	return n > 0;
}

int
parse_long(const char *s, long lo, long hi, long *out)
{
	char *end;
	long v;

	if (s == NULL || !(isdigit((unsigned char)s[0]) ||
	    (s[0] == '-' && lo < 0 && isdigit((unsigned char)s[1]))))
		return -1;
	errno = 0;
	v = strtol(s, &end, 10);
	if (errno != 0 || *end != '\0' || v < lo || v > hi)
		return -1;
	*out = v;
	return 0;
}

/*
 * The first "ttl" pair of the query wins. An empty value ("ttl=") counts as
 * absent: SPEC allows it and the default timeout then applies.
 */
int
ttl_parse(const char *query, bool *present, long *ttl)
{
	char val[16];

	*present = false;
	*ttl = 0;
	if (query == NULL)
		return 0;
	for (const char *p = query; *p != '\0'; ) {
		size_t flen = strcspn(p, "&"), vlen;

		if (flen >= 3 && strncmp(p, "ttl", 3) == 0 &&
		    (flen == 3 || p[3] == '=')) {
			vlen = flen > 3 ? flen - 4 : 0;
			if (vlen == 0)
				return 0;
			if (vlen >= sizeof(val))
				return -1;
			memcpy(val, p + 4, vlen);
			val[vlen] = '\0';
			if (parse_long(val, 0, TTL_MAX, ttl) == -1)
				return -1;
			*present = true;
			return 0;
		}
		p += flen + (p[flen] == '&');
	}
	return 0;
}

int
rd_from_query(const char *query, char *out, size_t outsz)
{
	const char *rd;
	size_t n;

	if (outsz == 0)
		return -1;
	out[0] = '\0';
	if (query == NULL || strncmp(query, "rd=", 3) != 0)
		return 0;
	rd = query + 3;
	n = strlen(rd);
	if (rd[0] != '/')
		return percent_decode(rd, n, out, outsz, false);
	if (n >= outsz)
		return -1;
	memcpy(out, rd, n + 1);
	return 0;
}

bool
rd_is_local(const char *rd)
{
	if (rd == NULL || rd[0] != '/' || rd[1] == '/' || rd[1] == '\\')
		return false;
	for (const char *p = rd; *p != '\0'; p++)
		if (is_ctl((unsigned char)*p) || *p == '\\')
			return false;
	return true;
}

/*
 * Debian's stock fastcgi_params sends HTTP_HOST as nginx's $host, which
 * drops the port; the browser's Origin keeps it. So a host without a port
 * gets SERVER_PORT (the port nginx accepted on), unless that is the
 * scheme's default, which browsers leave out of Origin too. An IPv6
 * literal ("[::1]") has colons of its own: only a ':' after the ']' is
 * a port.
 */
int
origin_host(bool https, const char *host, const char *server_port,
    char *out, size_t outsz)
{
	const char *after = host;
	long port;
	int n;

	if (host == NULL || host[0] == '\0' || outsz == 0)
		return -1;
	if (host[0] == '[' && (after = strchr(host, ']')) == NULL)
		after = host;	/* malformed: used as sent, matches nothing */
	if (strchr(after, ':') != NULL || server_port == NULL ||
	    parse_long(server_port, 1, 65535, &port) != 0 ||
	    port == (https ? 443 : 80))
		n = snprintf(out, outsz, "%s", host);
	else
		n = snprintf(out, outsz, "%s:%ld", host, port);
	return n < 0 || (size_t)n >= outsz ? -1 : 0;
}

/*
 * No Origin at all is the caller's case (it is allowed); here a NULL or
 * empty origin matches nothing, and "null" only if it is listed.
 */
bool
origin_allowed(const char *origin, bool https, const char *host,
    const char (*allowed)[256], int nallowed)
{
	char self[512];
	int n;

	if (origin == NULL || origin[0] == '\0')
		return false;
	if (host != NULL && host[0] != '\0') {
		n = snprintf(self, sizeof(self), "%s://%s",
		    https ? "https" : "http", host);
		if (n > 0 && (size_t)n < sizeof(self) &&
		    strcasecmp(origin, self) == 0)
			return true;
	}
	for (int i = 0; allowed != NULL && i < nallowed; i++)
		if (allowed[i][0] != '\0' && strcasecmp(origin, allowed[i]) == 0)
			return true;
	return false;
}

void
login_ip_key(const char *addr, char *out, size_t outsz)
{
	struct in6_addr a;
	char txt[INET6_ADDRSTRLEN + 3];

	if (outsz == 0)
		return;
	if (inet_pton(AF_INET6, addr, &a) == 1) {
		if (IN6_IS_ADDR_V4MAPPED(&a)) {
			if (inet_ntop(AF_INET, &a.s6_addr[12], txt,
			    sizeof txt) != NULL)
				addr = txt;
		} else {
			memset(&a.s6_addr[8], 0, 8);
			if (inet_ntop(AF_INET6, &a, txt, INET6_ADDRSTRLEN)
			    != NULL) {
				strcat(txt, "/64");
				addr = txt;
			}
		}
	}
	snprintf(out, outsz, "%s", addr);
}

bool
username_valid(const char *s)
{
	size_t	 n = 0;

	for (; s[n] != '\0'; n++) {
		unsigned char c = (unsigned char)s[n];
		bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9') || c == '@' || c == '.' ||
		    c == '+' || c == '_' || c == '-';

		if (!ok || n >= USER_NAME_MAX)
			return false;
	}
	return n > 0;
}
