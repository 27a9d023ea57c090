-- 001_schema.sql - the first schema of sessiongw.
-- Applied by store_migrate() in one transaction; brings user_version to 1.

CREATE TABLE users (
	-- AUTOINCREMENT: an id is never reused, so rows left by a deleted
	-- user (a cache write racing the delete) can never reach a new one.
	id		INTEGER PRIMARY KEY AUTOINCREMENT,
	name		TEXT UNIQUE NOT NULL,
	pwhash		TEXT NOT NULL,		-- argon2id string, never a password
	admin		INTEGER NOT NULL DEFAULT 0,
	locked		INTEGER NOT NULL DEFAULT 0,
	pw_changed_at	INTEGER NOT NULL,
	created_at	INTEGER NOT NULL
);

-- hash is sha256 of the session id: a copy of this table cannot be
-- replayed as cookies. handle is the first 12 hex digits of hash.
CREATE TABLE sessions (
	hash		BLOB PRIMARY KEY CHECK (length(hash) = 32),
	handle		TEXT NOT NULL,
	user_id		INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
	created_at	INTEGER NOT NULL,
	last_seen	INTEGER NOT NULL,
	expires_at	INTEGER NOT NULL,
	pw_changed_at	INTEGER NOT NULL,
	request_count	INTEGER NOT NULL DEFAULT 0,
	ip		TEXT NOT NULL DEFAULT '',
	user_agent	TEXT NOT NULL DEFAULT ''
) WITHOUT ROWID;
CREATE INDEX sessions_user_id ON sessions(user_id);
CREATE INDEX sessions_expires_at ON sessions(expires_at);
CREATE INDEX sessions_handle ON sessions(handle);

-- kind is 'u' (user name) or 'i' (client IP).
CREATE TABLE login_failures (
	kind		TEXT NOT NULL,
	key		TEXT NOT NULL,
	count		INTEGER NOT NULL,
	first_at	INTEGER NOT NULL,
	last_at		INTEGER NOT NULL,
	PRIMARY KEY (kind, key)
);
CREATE INDEX login_failures_last_at ON login_failures(last_at);

-- scope is the owning user id, 0 for the global namespace. seq orders
-- rows by insertion, so "oldest" is exact even within one second.
CREATE TABLE cache (
	scope		INTEGER NOT NULL,
	key		TEXT NOT NULL,
	value		BLOB NOT NULL,
	content_type	TEXT NOT NULL,
	created_at	INTEGER NOT NULL,
	expires_at	INTEGER NOT NULL,	-- 0 = never
	seq		INTEGER NOT NULL,
	PRIMARY KEY (scope, key)
);
CREATE INDEX cache_scope_seq ON cache(scope, seq);
CREATE INDEX cache_expires_at ON cache(expires_at);
CREATE INDEX cache_seq ON cache(seq);

CREATE TABLE counters (
	name		TEXT PRIMARY KEY,
	value		INTEGER NOT NULL
);
