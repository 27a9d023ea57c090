/*
 * mfa.h - the second factor's rules: sealing the TOTP secret, spending a
 * code once, recovery codes, enrolment, and the half-done sign-in.
 *
 * Secrets: the TOTP secret is stored only sealed (crypto_secretbox) under
 * a key derived from a key of the secret key file (BLAKE2b keyed with it,
 * over a fixed label), so a copy of the database alone reveals nothing.
 * Opening tries every key of the ring, newest first: enrolments survive a
 * key rotation as long as the key that sealed them is still in the ring
 * (setup-session-security --rotate-key keeps three previous keys).
 * Recovery codes are stored only as keyed BLAKE2b hashes (a random salt
 * per user as the key); each is 64 random bits, so a fast hash is enough.
 * No secret, code or token is ever logged.
 */
#ifndef SESSIONGW_MFA_H
#define SESSIONGW_MFA_H

#include <stdbool.h>
#include <stdint.h>

#include "request.h"
#include "totp.h"

/* "abcd-ef01-2345-6789" and its NUL. */
#define MFA_RECOVERY_TEXT	20
/* An enrolment token (base64url of nonce, MAC, secret, user, expiry). */
#define MFA_ENROL_TOKEN_MAX	128
#define MFA_ENROL_SECONDS	900	/* a started enrolment is good this long */
#define MFA_PENDING_SECONDS	300	/* password right, code still to come */
/* The otpauth:// URI (issuer and name percent-encoded). */
#define MFA_URI_MAX		1024

/* Is the user enrolled (a sealed secret is stored)? */
bool	mfa_enrolled(const struct user *);

/*
 * Check a code a user typed at sign-in: six digits are a TOTP code, the
 * recovery code format a recovery code. The code is spent atomically
 * (store_user_mfa_consume): a TOTP step at or before the last accepted one
 * is refused (no replay), a recovery code works once and is audited as
 * `recovery_code_used`. 0 accepted, 1 refused, 2 refused because no key
 * of the ring opens the stored secret (it was sealed under a key rotated
 * out: `user mfa-reset`), -1 store fault (r->err_* set).
 */
int	mfa_check(struct request *, const struct user *, const char *code);

/*
 * A new enrolment for user_id: a fresh secret, its base32 text, and a
 * token sealing the secret, the user and an expiry (the page hands it
 * back with the first code; nothing is stored before that). 0 or -1.
 */
struct mfa_enrolment {
	char	b32[TOTP_B32_LEN + 1];
	char	token[MFA_ENROL_TOKEN_MAX];
	char	uri[MFA_URI_MAX];
};
int	mfa_enrol_begin(struct request *, const struct user *,
	    struct mfa_enrolment *);
/*
 * Finish an enrolment: the token must be this user's and unexpired, and
 * code a valid TOTP code for its secret. Stores the sealed secret (that
 * code's step spent) and ten new recovery codes, returned in codes to be
 * shown once; audits `mfa_enrolled`. 0 enrolled, 1 refused (bad token or
 * code, already enrolled), -1 fault (r->err_* set).
 */
int	mfa_enrol_finish(struct request *, const struct user *,
	    const char *token, const char *code,
	    char codes[MFA_RECOVERY_CODES][MFA_RECOVERY_TEXT]);

/*
 * Half-done sign-in. start: a random token in its own cookie
 * (cookie_set_pending), its hash stored with the user and an expiry;
 * never a session. read: the request's pending row, 0 found, 1 none or
 * expired, -1 fault. end: row deleted, cookie cleared.
 */
int	mfa_pending_start(struct request *, int64_t user_id, bool enrol);
int	mfa_pending_read(struct request *, struct mfa_pending *);
int	mfa_pending_end(struct request *, const struct mfa_pending *);

/* Audit `mfa_failure` for u: detail.reason for mfa_check's refusal rc. */
void	mfa_audit_failure(struct request *, const struct user *, int rc);

#endif
