-- 003_mfa.sql - a second factor (TOTP) and "keep me signed in".
-- mfa_secret: nonce || crypto_secretbox(TOTP secret) under a key derived
-- from the secret key file (mfa.c), NULL = not enrolled; a copy of the
-- database alone does not reveal it.
-- mfa_last_step: the last TOTP time step accepted; a code for that step or
-- an earlier one is refused (no replay).
-- mfa_recovery: salt || ten keyed BLAKE2b hashes of the recovery codes;
-- mfa_recovery_used: bit i set = code i was used.
-- mfa_pending: half-done sign-ins (right password, code still to come);
-- the browser holds a random token, the row only its hash. Never a session.
-- sessions.remember: signed in with "keep me signed in" (remember_age).

ALTER TABLE users ADD COLUMN mfa_secret BLOB;
ALTER TABLE users ADD COLUMN mfa_last_step INTEGER NOT NULL DEFAULT 0;
ALTER TABLE users ADD COLUMN mfa_recovery BLOB;
ALTER TABLE users ADD COLUMN mfa_recovery_used INTEGER NOT NULL DEFAULT 0;
ALTER TABLE sessions ADD COLUMN remember INTEGER NOT NULL DEFAULT 0;

CREATE TABLE mfa_pending (
	hash		BLOB PRIMARY KEY,
	user_id		INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
	expires_at	INTEGER NOT NULL,
	enrol		INTEGER NOT NULL DEFAULT 0
) WITHOUT ROWID;
