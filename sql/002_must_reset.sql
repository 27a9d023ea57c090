-- 002_must_reset.sql - users imported from another system.
-- must_reset = 1: the imported password hash is in a format sessiongw
-- cannot verify, so the user cannot sign in until `sessiongw user passwd`
-- sets a new password (which clears it). Such users are also locked.
-- pwhash may now hold an imported hash (Django pbkdf2_sha256 / argon2)
-- until its first successful use, when it is replaced by argon2id.

ALTER TABLE users ADD COLUMN must_reset INTEGER NOT NULL DEFAULT 0;
