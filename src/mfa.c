/*
 * mfa.c - the second factor's rules (mfa.h): sealed TOTP secrets, codes
 * spent once, recovery codes, enrolment tokens, half-done sign-ins.
 */
#include <sodium.h>
#include <stdio.h>
#include <string.h>

#include <cJSON.h>

#include "audit.h"
#include "keys.h"
#include "mfa.h"
#include "parse.h"
#include "response.h"
#include "server.h"
#include "session.h"

/* Domain separation: one derived key per purpose, never the ring key. */
static const char label_secret[] = "sessiongw totp secret v1";
static const char label_enrol[] = "sessiongw totp enrolment v1";

#define SEALED_LEN	(crypto_secretbox_NONCEBYTES + \
			 crypto_secretbox_MACBYTES + TOTP_SECRET_BYTES)
#define ENROL_PLAIN	(TOTP_SECRET_BYTES + 8 + 8)
#define ENROL_SEALED	(crypto_secretbox_NONCEBYTES + \
			 crypto_secretbox_MACBYTES + ENROL_PLAIN)
#define SALT_BYTES	16
#define RHASH_BYTES	16
#define RCODE_BYTES	8
#define PENDING_BYTES	32

_Static_assert(SEALED_LEN <= MFA_SECRET_ENC_MAX, "sealed secret fits");
_Static_assert(SALT_BYTES + MFA_RECOVERY_CODES * RHASH_BYTES ==
    MFA_RECOVERY_BLOB, "recovery blob layout");
_Static_assert(MFA_RECOVERY_CODES <= 62, "recovery_used is a bit mask");

/*
 * The derived key of ring key idx for label; false when there is no such
 * key. Under the server's read lock: SIGHUP may swap the ring.
 */
static bool
derive_key(struct request *r, int idx, const char *label,
    unsigned char out[crypto_secretbox_KEYBYTES])
{
	struct server *srv = r->w->srv;
	bool ok = false;

	pthread_rwlock_rdlock(&srv->keys_lock);
	if (idx < srv->keys.nkeys) {
		ok = crypto_generichash(out, crypto_secretbox_KEYBYTES,
		    (const unsigned char *)label, strlen(label),
		    srv->keys.keys[idx], KEY_BYTES) == 0;
	}
	pthread_rwlock_unlock(&srv->keys_lock);
	return ok;
}

/* nonce || secretbox(plain) under label's current key. 0 or -1. */
static int
seal(struct request *r, const char *label, const unsigned char *plain,
    size_t len, unsigned char *out)
{
	unsigned char key[crypto_secretbox_KEYBYTES];
	int rc = -1;

	if (!derive_key(r, 0, label, key))
		goto out;
	randombytes_buf(out, crypto_secretbox_NONCEBYTES);
	rc = crypto_secretbox_easy(out + crypto_secretbox_NONCEBYTES, plain,
	    len, out, key);
out:
	sodium_memzero(key, sizeof key);
	return rc;
}

/* Open with every key of the ring in turn (key rotation). 0 or -1. */
static int
unseal(struct request *r, const char *label, const unsigned char *in,
    size_t inlen, unsigned char *plain)
{
	unsigned char key[crypto_secretbox_KEYBYTES];
	int rc = -1;

	if (inlen < crypto_secretbox_NONCEBYTES + crypto_secretbox_MACBYTES)
		return -1;
	for (int i = 0; rc != 0 && derive_key(r, i, label, key); i++)
		rc = crypto_secretbox_open_easy(plain,
		    in + crypto_secretbox_NONCEBYTES,
		    inlen - crypto_secretbox_NONCEBYTES, in, key);
	sodium_memzero(key, sizeof key);
	return rc;
}

bool
mfa_enrolled(const struct user *u)
{
	return u->mfa.secret_len > 0;
}

static void
audit_user(struct request *r, enum audit_event ev, const struct user *u,
    cJSON *detail)
{
	struct audit_rec a = { .event = ev };

	audit_from_request(&a, r);
	a.user = u->name;
	a.user_id = u->id;
	a.detail = detail;
	audit_write(&a);
}

void
mfa_audit_failure(struct request *r, const struct user *u, int rc)
{
	cJSON *d = cJSON_CreateObject();

	if (d != NULL)
		cJSON_AddStringToObject(d, "reason", rc == 2 ?
		    "secret_unreadable" : rc == 3 ? "bad_enrolment_code" :
		    "bad_code");
	audit_user(r, AUDIT_MFA_FAILURE, u, d);
}

/* "abcd-ef01-2345-6789", any case, dashes and spaces optional. */
static bool
recovery_parse(const char *s, unsigned char out[RCODE_BYTES])
{
	char hex[2 * RCODE_BYTES + 1];
	size_t n = 0;
	size_t bin_len = 0;

	for (; *s != '\0'; s++) {
		if (*s == '-' || *s == ' ')
			continue;
		if (n == sizeof hex - 1)
			return false;
		hex[n++] = *s;
	}
	hex[n] = '\0';
	return n == sizeof hex - 1 &&
	    sodium_hex2bin(out, RCODE_BYTES, hex, n, NULL, &bin_len, NULL)
	    == 0 && bin_len == RCODE_BYTES;
}

static void
recovery_hash(const unsigned char *salt, const unsigned char code[RCODE_BYTES],
    unsigned char out[RHASH_BYTES])
{
	(void)crypto_generichash(out, RHASH_BYTES, code, RCODE_BYTES, salt,
	    SALT_BYTES);
}

/* The index of the recovery code, or -1; every slot compared. */
static int
recovery_find(const struct user_mfa *m, const unsigned char code[RCODE_BYTES])
{
	unsigned char h[RHASH_BYTES];
	int found = -1;

	recovery_hash(m->recovery, code, h);
	for (int i = 0; i < MFA_RECOVERY_CODES; i++)
		if (sodium_memcmp(h, m->recovery + SALT_BYTES +
		    (size_t)i * RHASH_BYTES, RHASH_BYTES) == 0)
			found = i;
	return found;
}

static int
spend(struct request *r, const struct user *u, int64_t step, int recovery)
{
	int rc = store_user_mfa_consume(r->w->store, u->id, step, recovery);

	if (rc == STORE_ERROR) {
		request_db_fail(r);
		return -1;
	}
	return rc == STORE_OK ? 0 : 1;
}

static int
check_recovery(struct request *r, const struct user *u,
    const unsigned char code[RCODE_BYTES])
{
	int idx = recovery_find(&u->mfa, code), rc, left = 0;
	cJSON *d;

	if (idx < 0)
		return 1;
	if ((rc = spend(r, u, 0, idx)) != 0)
		return rc;
	for (int i = 0; i < MFA_RECOVERY_CODES; i++)
		if (i != idx && !(u->mfa.recovery_used & (1LL << i)))
			left++;
	d = cJSON_CreateObject();
	if (d != NULL)
		cJSON_AddNumberToObject(d, "remaining", left);
	audit_user(r, AUDIT_RECOVERY_CODE_USED, u, d);
	return 0;
}

int
mfa_check(struct request *r, const struct user *u, const char *code)
{
	unsigned char secret[TOTP_SECRET_BYTES], rcode[RCODE_BYTES];
	int64_t step;
	int rc = 1;

	if (!mfa_enrolled(u))
		return 1;
	if (strlen(code) == TOTP_DIGITS) {
		if (unseal(r, label_secret, u->mfa.secret, u->mfa.secret_len,
		    secret) != 0)
			rc = 2;
		else if (totp_verify(secret, sizeof secret, r->now,
		    TOTP_DIGITS, code, &step) == 0)
			rc = spend(r, u, step, -1);
	} else if (recovery_parse(code, rcode)) {
		rc = check_recovery(r, u, rcode);
	}
	sodium_memzero(secret, sizeof secret);
	sodium_memzero(rcode, sizeof rcode);
	return rc;
}

/* RFC 3986 unreserved characters kept, everything else %XX. */
static void
url_encode(struct buf *b, const char *s)
{
	static const char hex[] = "0123456789ABCDEF";

	for (const unsigned char *c = (const unsigned char *)s; *c; c++) {
		if ((*c >= 'A' && *c <= 'Z') || (*c >= 'a' && *c <= 'z') ||
		    (*c >= '0' && *c <= '9') || *c == '-' || *c == '.' ||
		    *c == '_' || *c == '~')
			buf_putc(b, (char)*c);
		else
			buf_printf(b, "%%%c%c", hex[*c >> 4], hex[*c & 15]);
	}
}

/* otpauth://totp/ISSUER:NAME?secret=B32&issuer=ISSUER (Key URI Format) */
static int
make_uri(const struct config *cfg, const char *name, const char *b32,
    char *out, size_t outsz)
{
	struct buf b;
	int rc = -1;

	buf_init(&b);
	buf_puts(&b, "otpauth://totp/");
	url_encode(&b, cfg->mfa_issuer);
	buf_putc(&b, ':');
	url_encode(&b, name);
	buf_printf(&b, "?secret=%s&issuer=", b32);
	url_encode(&b, cfg->mfa_issuer);
	buf_printf(&b, "&algorithm=SHA1&digits=%d&period=%d", TOTP_DIGITS,
	    TOTP_STEP);
	if (!buf_failed(&b) && b.len < outsz) {
		memcpy(out, b.data, b.len + 1);
		rc = 0;
	}
	sodium_memzero(b.data, b.len);
	buf_free(&b);
	return rc;
}

static void
put64(unsigned char *p, int64_t v)
{
	for (int i = 0; i < 8; i++)
		p[i] = (unsigned char)((uint64_t)v >> (8 * i));
}

static int64_t
get64(const unsigned char *p)
{
	uint64_t v = 0;

	for (int i = 7; i >= 0; i--)
		v = (v << 8) | p[i];
	return (int64_t)v;
}

int
mfa_enrol_begin(struct request *r, const struct user *u,
    struct mfa_enrolment *e)
{
	unsigned char plain[ENROL_PLAIN], sealed[ENROL_SEALED];
	int rc = -1;

	memset(e, 0, sizeof *e);
	randombytes_buf(plain, TOTP_SECRET_BYTES);
	put64(plain + TOTP_SECRET_BYTES, u->id);
	put64(plain + TOTP_SECRET_BYTES + 8, r->now + MFA_ENROL_SECONDS);
	if (seal(r, label_enrol, plain, sizeof plain, sealed) != 0 ||
	    totp_base32(plain, TOTP_SECRET_BYTES, e->b32, sizeof e->b32) != 0 ||
	    make_uri(&r->w->srv->cfg, u->name, e->b32, e->uri,
	    sizeof e->uri) != 0)
		goto out;
	sodium_bin2base64(e->token, sizeof e->token, sealed, sizeof sealed,
	    sodium_base64_VARIANT_URLSAFE_NO_PADDING);
	rc = 0;
out:
	sodium_memzero(plain, sizeof plain);
	if (rc != 0)
		sodium_memzero(e, sizeof *e);
	return rc;
}

/* The secret in a token, if it is this user's and not expired. 0 / -1. */
static int
enrol_open(struct request *r, const struct user *u, const char *token,
    unsigned char secret[TOTP_SECRET_BYTES])
{
	unsigned char sealed[ENROL_SEALED], plain[ENROL_PLAIN];
	size_t len = 0;
	int rc = -1;

	if (sodium_base642bin(sealed, sizeof sealed, token, strlen(token),
	    NULL, &len, NULL, sodium_base64_VARIANT_URLSAFE_NO_PADDING) != 0 ||
	    len != sizeof sealed ||
	    unseal(r, label_enrol, sealed, sizeof sealed, plain) != 0)
		goto out;
	if (get64(plain + TOTP_SECRET_BYTES) != u->id ||
	    get64(plain + TOTP_SECRET_BYTES + 8) <= r->now)
		goto out;
	memcpy(secret, plain, TOTP_SECRET_BYTES);
	rc = 0;
out:
	sodium_memzero(plain, sizeof plain);
	return rc;
}

static void
recovery_new(struct user_mfa *m,
    char codes[MFA_RECOVERY_CODES][MFA_RECOVERY_TEXT])
{
	unsigned char code[RCODE_BYTES];
	char hex[2 * RCODE_BYTES + 1];

	randombytes_buf(m->recovery, SALT_BYTES);
	for (int i = 0; i < MFA_RECOVERY_CODES; i++) {
		randombytes_buf(code, sizeof code);
		recovery_hash(m->recovery, code,
		    m->recovery + SALT_BYTES + (size_t)i * RHASH_BYTES);
		sodium_bin2hex(hex, sizeof hex, code, sizeof code);
		snprintf(codes[i], MFA_RECOVERY_TEXT, "%.4s-%.4s-%.4s-%.4s",
		    hex, hex + 4, hex + 8, hex + 12);
	}
	m->recovery_used = 0;
	sodium_memzero(code, sizeof code);
	sodium_memzero(hex, sizeof hex);
}

int
mfa_enrol_finish(struct request *r, const struct user *u, const char *token,
    const char *code, char codes[MFA_RECOVERY_CODES][MFA_RECOVERY_TEXT])
{
	unsigned char secret[TOTP_SECRET_BYTES];
	struct user_mfa m;
	int64_t step;
	int rc = 1, src;

	memset(&m, 0, sizeof m);
	if (mfa_enrolled(u) || enrol_open(r, u, token, secret) != 0 ||
	    totp_verify(secret, sizeof secret, r->now, TOTP_DIGITS, code,
	    &step) != 0)
		goto out;
	/* the code that proved the app works is spent already */
	m.last_step = step;
	m.secret_len = SEALED_LEN;
	recovery_new(&m, codes);
	if (seal(r, label_secret, secret, sizeof secret, m.secret) != 0) {
		rc = -1;
		request_fail(r, 500, "internal_error", "cannot seal a secret");
		goto out;
	}
	src = store_user_set_mfa(r->w->store, u->id, &m);
	if (src != STORE_OK) {
		rc = src == STORE_NOTFOUND ? 1 : -1;
		if (rc < 0)
			request_db_fail(r);
		goto out;
	}
	audit_user(r, AUDIT_MFA_ENROLLED, u, NULL);
	rc = 0;
out:
	sodium_memzero(secret, sizeof secret);
	sodium_memzero(&m, sizeof m);
	if (rc != 0)
		sodium_memzero(codes, sizeof(char[MFA_RECOVERY_CODES]
		    [MFA_RECOVERY_TEXT]));
	return rc;
}

static void
pending_hash(const unsigned char tok[PENDING_BYTES],
    unsigned char out[SESSION_HASH_BYTES])
{
	(void)crypto_generichash(out, SESSION_HASH_BYTES, tok, PENDING_BYTES,
	    NULL, 0);
}

int
mfa_pending_start(struct request *r, int64_t user_id, bool enrol)
{
	unsigned char tok[PENDING_BYTES];
	char text[sodium_base64_ENCODED_LEN(PENDING_BYTES,
	    sodium_base64_VARIANT_URLSAFE_NO_PADDING)];
	struct mfa_pending p = { .user_id = user_id, .enrol = enrol,
	    .expires_at = r->now + MFA_PENDING_SECONDS };
	int rc = -1;

	randombytes_buf(tok, sizeof tok);
	pending_hash(tok, p.hash);
	if (store_mfa_pending_put(r->w->store, &p, r->now) != STORE_OK) {
		request_db_fail(r);
		goto out;
	}
	sodium_bin2base64(text, sizeof text, tok, sizeof tok,
	    sodium_base64_VARIANT_URLSAFE_NO_PADDING);
	cookie_set_pending(r, text, MFA_PENDING_SECONDS);
	rc = 0;
out:
	sodium_memzero(tok, sizeof tok);
	sodium_memzero(text, sizeof text);
	return rc;
}

int
mfa_pending_read(struct request *r, struct mfa_pending *p)
{
	char name[sizeof r->w->srv->cfg.cookie_name + 8];
	unsigned char tok[PENDING_BYTES], hash[SESSION_HASH_BYTES];
	const char *val;
	size_t pos = 0, len, n;
	int rc = 1, src;

	if (r->cookie_header == NULL)
		return 1;
	snprintf(name, sizeof name, "%s_mfa", r->w->srv->cfg.cookie_name);
	while (rc == 1 && cookie_next(r->cookie_header, name, &pos, &val,
	    &len)) {
		if (sodium_base642bin(tok, sizeof tok, val, len, NULL, &n, NULL,
		    sodium_base64_VARIANT_URLSAFE_NO_PADDING) != 0 ||
		    n != sizeof tok)
			continue;
		pending_hash(tok, hash);
		src = store_mfa_pending_get(r->w->store, hash, r->now, p);
		if (src == STORE_ERROR) {
			request_db_fail(r);
			rc = -1;
		} else if (src == STORE_OK)
			rc = 0;
	}
	sodium_memzero(tok, sizeof tok);
	return rc;
}

int
mfa_pending_end(struct request *r, const struct mfa_pending *p)
{
	cookie_set_pending(r, NULL, 0);
	if (store_mfa_pending_del(r->w->store, p->hash) == STORE_ERROR) {
		request_db_fail(r);
		return -1;
	}
	return 0;
}
