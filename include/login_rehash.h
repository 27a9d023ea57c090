/*
 * login_rehash.h - replacing an imported password hash by argon2id on the
 * first successful sign-in with it.
 */
#ifndef SESSIONGW_LOGIN_REHASH_H
#define SESSIONGW_LOGIN_REHASH_H

#include "request.h"

/*
 * Call once the password pw was verified and the session started
 * (r->user is the signed-in user). When the stored hash is an imported
 * one (password_needs_upgrade), hash pw with argon2id, store it and audit
 * `password_rehashed`. Best effort: a failure leaves the imported hash,
 * which still verifies, and is retried at the next sign-in; the sign-in
 * itself never fails because of it.
 */
void	login_rehash_imported(struct request *, const char *pw);

#endif
