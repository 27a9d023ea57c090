/*
 * store_redis.c - the Redis backend of store.h ([store] backend = redis):
 * several gateways share one store.
 *
 * One struct store is one hiredis connection, used by one thread only.
 * It connects on first use and again on the next call after any
 * connection error, so a Redis that comes back (or a new primary after a
 * Sentinel failover) is picked up without a restart. A command that
 * finds its idle connection closed by the server (EOF, EPIPE, reset) is
 * sent once more on a new one: the old connection was dead before the
 * command got there (had Redis died just after running it, the new
 * connection would fail too). Every command waits
 * at most redis_timeout_ms (connect and reply); nothing retries inside a
 * call, so a request never waits much longer than that.
 *
 * Key layout (P = redis_prefix, default "sessiongw:"; HEX = the session
 * hash in lower-case hex; no key is ever found by KEYS or SCAN):
 *
 *   P layout               "1": the layout version (store_prepare)
 *   P user:next            INCR counter: user ids, never reused
 *   P user:ID              hash name pwhash admin locked must_reset
 *                          pw_changed_at created_at; with a second
 *                          factor also mfa_secret (sealed, binary)
 *                          mfa_last_step mfa_recovery (binary)
 *                          mfa_recovery_used
 *   P uname:NAME           string ID
 *   P users                zset of NAME (score 0: listed by name)
 *   P s:HEX                hash handle user_id created_at last_seen
 *                          expires_at pw_changed_at request_count ip ua
 *                          remember; TTL = its idle expiry
 *   P mp:HEX               string "USER_ID EXPIRES ENROL": a half-done
 *                          sign-in (HEX = its token's hash); TTL = expiry
 *   P sh:HANDLE            string HEX, same TTL (revoke by handle)
 *   P us:ID                zset of HEX by created_at: a user's sessions
 *   P sessions             zset of HEX by created_at: everyone's sessions
 *   P f:u:NAME, f:a:ADDR   hash count first_at last_at: login failures;
 *                          TTL = window + lockout after the last failure
 *   P c:SCOPE:KEY          hash v ct exp ca: a cache row (value, content
 *                          type, expiry, created); TTL = its expiry
 *   P cs:SCOPE             zset of KEY by insertion seq (per-user quota)
 *   P cache                zset of SCOPE:KEY by seq (global cull)
 *   P cache:seq            INCR counter: cache insertion order
 *   P n:NAME               string: a counter (store_counter_add)
 *   P probe                string "0": the write probe
 *
 * Expiry is Redis' TTLs (relative to the caller's now, plus a grace of
 * 60 s, so a clock skew between gateway and Redis host changes nothing);
 * reads still compare with now, exactly as the SQLite backend does, so
 * the TTL only frees memory. The zset indexes can hold members whose key has expired: every
 * walk skips and removes them, and a session create prunes the oldest
 * two of each index it touches, so they stay small without a scan.
 *
 * Every change of more than one key is one Lua script (atomic on the
 * server): session create with its indexes, session and user deletes
 * with everything they own, cache set with the quota and the cull,
 * failure counting, user add/import. Scripts are sent as EVALSHA,
 * falling back to EVAL on NOSCRIPT (after a restart or SCRIPT FLUSH).
 *
 * Validate costs one round trip for the read: the session script returns
 * the session with its user, and the next store_user_by_id() for that
 * user on this connection is answered from that reply (once).
 *
 * Faults: a connection that cannot be made, breaks or times out is
 * STORE_FAULT_DOWN; OOM and MISCONF (Redis cannot persist) are
 * STORE_FAULT_FULL; BUSY and LOADING are STORE_FAULT_BUSY; anything else
 * STORE_FAULT_OTHER. Messages name the server, never the password.
 *
 * Not supported by hiredis 0.14: TLS and Redis Cluster (see README).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <unistd.h>

#include <hiredis.h>
#include <sodium.h>

#include "store_backend.h"

#define RD_ERR_MAX	512
#define RD_PASS_MAX	512
/* a key: redis_prefix (at most 64 bytes), a kind, a hash in hex */
#define RD_KEY_MAX	192
#define RD_LAYOUT	1

/* Process-wide, for store_stats (metrics). */
static atomic_llong rd_reconnects;
static atomic_llong rd_errors;

enum script {
	SC_SESSION_CREATE,
	SC_SESSION_GET,
	SC_SESSION_TOUCH,
	SC_SESSION_DELETE,
	SC_SESSION_DELETE_HANDLE,
	SC_SESSION_DELETE_USER,
	SC_SESSION_DELETE_ALL,
	SC_SESSION_LIST,
	SC_SESSION_COUNT,
	SC_USER_ADD,
	SC_USER_BY_NAME,
	SC_USER_SET_PW,
	SC_USER_REHASH,
	SC_USER_SET_LOCKED,
	SC_USER_DEL,
	SC_USER_LIST,
	SC_USER_IMPORT,
	SC_FAILURE_ADD,
	SC_CACHE_SET,
	SC_CACHE_DELETE,
	SC_CACHE_COUNT,
	SC_USER_SET_MFA,
	SC_MFA_STEP,
	SC_MFA_RECOVERY,
	SC__MAX
};

/*
 * The session and user hash fields, in the order read_session and
 * read_user take them: one list for the Lua scripts (LUA_FIELDS) and the
 * C reads (session_fields, user_fields).
 */
#define SESSION_FIELDS(F) F("handle") F("user_id") F("created_at") \
	F("last_seen") F("expires_at") F("pw_changed_at") F("request_count") \
	F("ip") F("ua") F("remember")
#define USER_FIELDS(F) F("name") F("pwhash") F("admin") F("locked") \
	F("must_reset") F("pw_changed_at") F("created_at") F("mfa_secret") \
	F("mfa_last_step") F("mfa_recovery") F("mfa_recovery_used")
#define LUA_STR(f)	"'" f "', "
#define C_STR(f)	f,
#define LUA_FIELDS \
	"local SF = {" SESSION_FIELDS(LUA_STR) "}\n" \
	"local UF = {" USER_FIELDS(LUA_STR) "}\n"

/*
 * Shared Lua: drop one session and its index entries (HEX, its hash
 * fields already read or not); prune dead members of a session index.
 */
#define LUA_COMMON \
	"local P = ARGV[1]\n" \
	"local GRACE = 60\n" \
	"local function sdrop(hex)\n" \
	"  local k = P .. 's:' .. hex\n" \
	"  local f = redis.call('HMGET', k, 'handle', 'user_id')\n" \
	"  redis.call('ZREM', P .. 'sessions', hex)\n" \
	"  if not f[1] then return 0 end\n" \
	"  redis.call('DEL', k, P .. 'sh:' .. f[1])\n" \
	"  redis.call('ZREM', P .. 'us:' .. f[2], hex)\n" \
	"  return 1\n" \
	"end\n" \
	"local function prune(idx, n)\n" \
	"  for _, h in ipairs(redis.call('ZRANGE', idx, 0, n - 1)) do\n" \
	"    if redis.call('EXISTS', P .. 's:' .. h) == 0 then\n" \
	"      redis.call('ZREM', idx, h)\n" \
	"    end\n" \
	"  end\n" \
	"end\n" \
	LUA_FIELDS \
	"local function ttl(t, now)\n" \
	"  local d = tonumber(t) - tonumber(now)\n" \
	"  if d < 0 then d = 0 end\n" \
	"  return d + GRACE\n" \
	"end\n" \
	"local function cdrop(scope, key)\n" \
	"  local n = redis.call('DEL', P .. 'c:' .. scope .. ':' .. key)\n" \
	"  redis.call('ZREM', P .. 'cs:' .. scope, key)\n" \
	"  redis.call('ZREM', P .. 'cache', scope .. ':' .. key)\n" \
	"  return n\n" \
	"end\n" \
	"local function udrop_sessions(id)\n" \
	"  local n = 0\n" \
	"  for _, h in ipairs(redis.call('ZRANGE', P .. 'us:' .. id, 0, -1)) " \
	"do\n" \
	"    n = n + sdrop(h)\n" \
	"  end\n" \
	"  redis.call('DEL', P .. 'us:' .. id)\n" \
	"  return n\n" \
	"end\n"

static const char *const scripts[SC__MAX] = {
	/* ARGV: P HEX handle uid created last_seen expires pwc count ip ua
	 * remember */
	[SC_SESSION_CREATE] = LUA_COMMON
	"if redis.call('EXISTS', P .. 'user:' .. ARGV[4]) == 0 then "
	"return 1 end\n"
	"local k = P .. 's:' .. ARGV[2]\n"
	"if redis.call('EXISTS', k) == 1 then return 2 end\n"
	"redis.call('HSET', k, 'handle', ARGV[3], 'user_id', ARGV[4], "
	"'created_at', ARGV[5], 'last_seen', ARGV[6], 'expires_at', ARGV[7], "
	"'pw_changed_at', ARGV[8], 'request_count', ARGV[9], 'ip', ARGV[10], "
	"'ua', ARGV[11], 'remember', ARGV[12])\n"
	"local t = ttl(ARGV[7], ARGV[6])\n"
	"redis.call('EXPIRE', k, t)\n"
	"redis.call('SET', P .. 'sh:' .. ARGV[3], ARGV[2], 'EX', t)\n"
	"prune(P .. 'sessions', 2)\n"
	"prune(P .. 'us:' .. ARGV[4], 2)\n"
	"redis.call('ZADD', P .. 'us:' .. ARGV[4], ARGV[5], ARGV[2])\n"
	"redis.call('ZADD', P .. 'sessions', ARGV[5], ARGV[2])\n"
	"return 0\n",
	/*
	 * ARGV: P HEX -> {} or {session fields..., user fields...}. The
	 * validate path: only the field lists, not LUA_COMMON's functions,
	 * which Redis would build again on every call for nothing.
	 */
	[SC_SESSION_GET] = "local P = ARGV[1]\n" LUA_FIELDS
	"local s = redis.call('HMGET', P .. 's:' .. ARGV[2], unpack(SF))\n"
	"if not s[1] then return {} end\n"
	"local u = redis.call('HMGET', P .. 'user:' .. s[2], unpack(UF))\n"
	"for i = 1, #UF do s[#SF + i] = u[i] end\n"
	"return s\n",
	/* ARGV: P HEX last_seen expires ip ua */
	[SC_SESSION_TOUCH] = LUA_COMMON
	"local k = P .. 's:' .. ARGV[2]\n"
	"local h = redis.call('HGET', k, 'handle')\n"
	"if not h then return 1 end\n"
	"redis.call('HSET', k, 'last_seen', ARGV[3], 'expires_at', ARGV[4], "
	"'ip', ARGV[5], 'ua', ARGV[6])\n"
	"redis.call('HINCRBY', k, 'request_count', 1)\n"
	"local t = ttl(ARGV[4], ARGV[3])\n"
	"redis.call('EXPIRE', k, t)\n"
	"redis.call('EXPIRE', P .. 'sh:' .. h, t)\n"
	"return 0\n",
	/* ARGV: P HEX */
	[SC_SESSION_DELETE] = LUA_COMMON
	"return sdrop(ARGV[2]) == 1 and 0 or 1\n",
	/* ARGV: P handle uid -> {} or the deleted session's fields */
	[SC_SESSION_DELETE_HANDLE] = LUA_COMMON
	"local hex = redis.call('GET', P .. 'sh:' .. ARGV[2])\n"
	"if not hex then return {} end\n"
	"local s = redis.call('HMGET', P .. 's:' .. hex, unpack(SF))\n"
	"if not s[1] or s[1] ~= ARGV[2] then return {} end\n"
	"if tonumber(ARGV[3]) > 0 and s[2] ~= ARGV[3] then return {} end\n"
	"sdrop(hex)\n"
	"s[#SF + 1] = hex\n"
	"return s\n",
	/* ARGV: P uid -> count */
	[SC_SESSION_DELETE_USER] = LUA_COMMON
	"return udrop_sessions(ARGV[2])\n",
	/* ARGV: P -> count */
	[SC_SESSION_DELETE_ALL] = LUA_COMMON
	"local n = 0\n"
	"for _, h in ipairs(redis.call('ZRANGE', P .. 'sessions', 0, -1)) do\n"
	"  n = n + sdrop(h)\n"
	"end\n"
	"redis.call('DEL', P .. 'sessions')\n"
	"return n\n",
	/* ARGV: P uid -> flat {HEX, fields..., HEX, fields...}, newest first */
	[SC_SESSION_LIST] = LUA_COMMON
	"local idx = tonumber(ARGV[2]) > 0 and P .. 'us:' .. ARGV[2] or "
	"P .. 'sessions'\n"
	"local out = {}\n"
	"for _, h in ipairs(redis.call('ZREVRANGE', idx, 0, -1)) do\n"
	"  local s = redis.call('HMGET', P .. 's:' .. h, unpack(SF))\n"
	"  if s[1] then\n"
	"    out[#out + 1] = h\n"
	"    for i = 1, #SF do out[#out + 1] = s[i] end\n"
	"  else\n"
	"    redis.call('ZREM', idx, h)\n"
	"  end\n"
	"end\n"
	"return out\n",
	/* ARGV: P now absolute_age -> live sessions (session_is_live) */
	[SC_SESSION_COUNT] = LUA_COMMON
	"local now, abs = tonumber(ARGV[2]), tonumber(ARGV[3])\n"
	"local n = 0\n"
	"for _, h in ipairs(redis.call('ZRANGE', P .. 'sessions', 0, -1)) do\n"
	"  local f = redis.call('HMGET', P .. 's:' .. h, 'created_at', "
	"'expires_at')\n"
	"  if not f[1] then\n"
	"    redis.call('ZREM', P .. 'sessions', h)\n"
	"  else\n"
	"    local e = tonumber(f[2])\n"
	"    local hard = tonumber(f[1]) + abs\n"
	"    if abs > 0 and hard < e then e = hard end\n"
	"    if now < e then n = n + 1 end\n"
	"  end\n"
	"end\n"
	"return n\n",
	/* ARGV: P name pwhash admin now -> {0, id} or {2} */
	[SC_USER_ADD] = LUA_COMMON
	"if redis.call('EXISTS', P .. 'uname:' .. ARGV[2]) == 1 then "
	"return {2} end\n"
	"local id = redis.call('INCR', P .. 'user:next')\n"
	"redis.call('HSET', P .. 'user:' .. id, 'name', ARGV[2], 'pwhash', "
	"ARGV[3], 'admin', ARGV[4], 'locked', 0, 'must_reset', 0, "
	"'pw_changed_at', ARGV[5], 'created_at', ARGV[5])\n"
	"redis.call('SET', P .. 'uname:' .. ARGV[2], id)\n"
	"redis.call('ZADD', P .. 'users', 0, ARGV[2])\n"
	"return {0, id}\n",
	/* ARGV: P name -> {} or {id, user fields...} */
	[SC_USER_BY_NAME] = LUA_COMMON
	"local id = redis.call('GET', P .. 'uname:' .. ARGV[2])\n"
	"if not id then return {} end\n"
	"local u = redis.call('HMGET', P .. 'user:' .. id, unpack(UF))\n"
	"if not u[1] then return {} end\n"
	"table.insert(u, 1, id)\n"
	"return u\n",
	/* ARGV: P id pwhash now; a new password ends must_reset */
	[SC_USER_SET_PW] = LUA_COMMON
	"local k = P .. 'user:' .. ARGV[2]\n"
	"if redis.call('EXISTS', k) == 0 then return 1 end\n"
	"redis.call('HSET', k, 'pwhash', ARGV[3], 'pw_changed_at', ARGV[4], "
	"'must_reset', 0)\n"
	"return 0\n",
	/* ARGV: P id old new: only if the hash is still old */
	[SC_USER_REHASH] = LUA_COMMON
	"local k = P .. 'user:' .. ARGV[2]\n"
	"if redis.call('HGET', k, 'pwhash') ~= ARGV[3] then return 1 end\n"
	"redis.call('HSET', k, 'pwhash', ARGV[4])\n"
	"return 0\n",
	/* ARGV: P id locked */
	[SC_USER_SET_LOCKED] = LUA_COMMON
	"local k = P .. 'user:' .. ARGV[2]\n"
	"if redis.call('EXISTS', k) == 0 then return 1 end\n"
	"redis.call('HSET', k, 'locked', ARGV[3])\n"
	"return 0\n",
	/* ARGV: P id: the user, their sessions and their cache rows */
	[SC_USER_DEL] = LUA_COMMON
	"local k = P .. 'user:' .. ARGV[2]\n"
	"local name = redis.call('HGET', k, 'name')\n"
	"if not name then return 1 end\n"
	"udrop_sessions(ARGV[2])\n"
	"for _, key in ipairs(redis.call('ZRANGE', P .. 'cs:' .. ARGV[2], 0, "
	"-1)) do\n"
	"  cdrop(ARGV[2], key)\n"
	"end\n"
	"redis.call('DEL', k, P .. 'uname:' .. name, P .. 'cs:' .. ARGV[2])\n"
	"redis.call('ZREM', P .. 'users', name)\n"
	"return 0\n",
	/* ARGV: P -> flat {id, user fields..., id, ...} by name */
	[SC_USER_LIST] = LUA_COMMON
	"local out = {}\n"
	"for _, name in ipairs(redis.call('ZRANGE', P .. 'users', 0, -1)) do\n"
	"  local id = redis.call('GET', P .. 'uname:' .. name)\n"
	"  local u = id and redis.call('HMGET', P .. 'user:' .. id, "
	"unpack(UF)) or {}\n"
	"  if u[1] then\n"
	"    out[#out + 1] = id\n"
	"    for i = 1, #UF do out[#out + 1] = u[i] end\n"
	"  end\n"
	"end\n"
	"return out\n",
	/*
	 * ARGV: P, then 7 per user (name pwhash admin locked must_reset pwc
	 * created) -> one 0/1 per user. Nothing fails after the first write:
	 * every check runs first, so the import is all or nothing.
	 */
	[SC_USER_IMPORT] = LUA_COMMON
	"local out, seen = {}, {}\n"
	"for i = 2, #ARGV, 7 do\n"
	"  local name = ARGV[i]\n"
	"  local taken = seen[name] or "
	"redis.call('EXISTS', P .. 'uname:' .. name) == 1\n"
	"  out[#out + 1] = taken and 0 or 1\n"
	"  seen[name] = true\n"
	"end\n"
	"local j = 0\n"
	"for i = 2, #ARGV, 7 do\n"
	"  j = j + 1\n"
	"  if out[j] == 1 then\n"
	"    local id = redis.call('INCR', P .. 'user:next')\n"
	"    redis.call('HSET', P .. 'user:' .. id, 'name', ARGV[i], "
	"'pwhash', ARGV[i + 1], 'admin', ARGV[i + 2], 'locked', ARGV[i + 3], "
	"'must_reset', ARGV[i + 4], 'pw_changed_at', ARGV[i + 5], "
	"'created_at', ARGV[i + 6])\n"
	"    redis.call('SET', P .. 'uname:' .. ARGV[i], id)\n"
	"    redis.call('ZADD', P .. 'users', 0, ARGV[i])\n"
	"  end\n"
	"end\n"
	"return out\n",
	/* ARGV: P key now window keep; a window that has passed restarts */
	[SC_FAILURE_ADD] = LUA_COMMON
	"local k = P .. ARGV[2]\n"
	"local now = tonumber(ARGV[3])\n"
	"local first = tonumber(redis.call('HGET', k, 'first_at'))\n"
	"if not first or first < now - tonumber(ARGV[4]) then\n"
	"  redis.call('HSET', k, 'count', 1, 'first_at', now, 'last_at', now)\n"
	"else\n"
	"  redis.call('HINCRBY', k, 'count', 1)\n"
	"  redis.call('HSET', k, 'last_at', now)\n"
	"end\n"
	"redis.call('EXPIRE', k, ttl(now + tonumber(ARGV[5]), now))\n"
	"return 0\n",
	/*
	 * ARGV: P scope key value ctype now expires max_entries cull_freq
	 * max_per_user -> {evicted, culled}. The SQLite rules: a new key of
	 * a user at quota evicts that user's oldest; a full cache drops the
	 * expired rows, then (still full) the oldest 1/cull_frequency.
	 */
	[SC_CACHE_SET] = LUA_COMMON
	"local scope, key = ARGV[2], ARGV[3]\n"
	"local now, exp = tonumber(ARGV[6]), tonumber(ARGV[7])\n"
	"local maxe, cullf, maxu = tonumber(ARGV[8]), tonumber(ARGV[9]), "
	"tonumber(ARGV[10])\n"
	"local rk = P .. 'c:' .. scope .. ':' .. key\n"
	"local ev, cu = 0, 0\n"
	"if redis.call('EXISTS', rk) == 0 then\n"
	"  local cs = P .. 'cs:' .. scope\n"
	"  if scope ~= '0' and maxu > 0 then\n"
	"    for _, m in ipairs(redis.call('ZRANGE', cs, 0, -1)) do\n"
	"      if redis.call('EXISTS', P .. 'c:' .. scope .. ':' .. m) == 0 "
	"then cdrop(scope, m) end\n"
	"    end\n"
	"    local n = redis.call('ZCARD', cs)\n"
	"    if n >= maxu then\n"
	"      for _, m in ipairs(redis.call('ZRANGE', cs, 0, n - maxu)) do\n"
	"        ev = ev + cdrop(scope, m)\n"
	"      end\n"
	"    end\n"
	"  end\n"
	"  local all = P .. 'cache'\n"
	"  if maxe > 0 and redis.call('ZCARD', all) >= maxe then\n"
	"    for _, m in ipairs(redis.call('ZRANGE', all, 0, -1)) do\n"
	"      local c = m:find(':', 1, true)\n"
	"      local sc, k = m:sub(1, c - 1), m:sub(c + 1)\n"
	"      local e = redis.call('HGET', P .. 'c:' .. m, 'exp')\n"
	"      if not e then cdrop(sc, k)\n"
	"      elseif tonumber(e) ~= 0 and tonumber(e) <= now then\n"
	"        cu = cu + cdrop(sc, k)\n"
	"      end\n"
	"    end\n"
	"    local n = redis.call('ZCARD', all)\n"
	"    if n >= maxe then\n"
	"      local d = cullf > 0 and math.floor(n / cullf) or n\n"
	"      if d < 1 then d = 1 end\n"
	"      for _, m in ipairs(redis.call('ZRANGE', all, 0, d - 1)) do\n"
	"        local c = m:find(':', 1, true)\n"
	"        cu = cu + cdrop(m:sub(1, c - 1), m:sub(c + 1))\n"
	"      end\n"
	"    end\n"
	"  end\n"
	"end\n"
	"redis.call('HSET', rk, 'v', ARGV[4], 'ct', ARGV[5], 'exp', ARGV[7], "
	"'ca', ARGV[6])\n"
	"if exp ~= 0 then redis.call('EXPIRE', rk, ttl(exp, now)) else "
	"redis.call('PERSIST', rk) end\n"
	"local seq = redis.call('INCR', P .. 'cache:seq')\n"
	"redis.call('ZADD', P .. 'cs:' .. scope, seq, key)\n"
	"redis.call('ZADD', P .. 'cache', seq, scope .. ':' .. key)\n"
	"return {ev, cu}\n",
	/* ARGV: P scope key now; an expired row counts as missing */
	[SC_CACHE_DELETE] = LUA_COMMON
	"local e = redis.call('HGET', P .. 'c:' .. ARGV[2] .. ':' .. ARGV[3], "
	"'exp')\n"
	"if not e then return 1 end\n"
	"if tonumber(e) ~= 0 and tonumber(e) <= tonumber(ARGV[4]) then "
	"return 1 end\n"
	"cdrop(ARGV[2], ARGV[3])\n"
	"return 0\n",
	/* ARGV: P -> rows (index members whose row is gone are dropped) */
	[SC_CACHE_COUNT] = LUA_COMMON
	"local n = 0\n"
	"for _, m in ipairs(redis.call('ZRANGE', P .. 'cache', 0, -1)) do\n"
	"  if redis.call('EXISTS', P .. 'c:' .. m) == 1 then n = n + 1 else\n"
	"    local c = m:find(':', 1, true)\n"
	"    cdrop(m:sub(1, c - 1), m:sub(c + 1))\n"
	"  end\n"
	"end\n"
	"return n\n",
	/* ARGV: P id [secret last_step recovery used] (none: remove) */
	[SC_USER_SET_MFA] = LUA_COMMON
	"local k = P .. 'user:' .. ARGV[2]\n"
	"if redis.call('EXISTS', k) == 0 then return 1 end\n"
	"if ARGV[3] then\n"
	"  redis.call('HSET', k, 'mfa_secret', ARGV[3], 'mfa_last_step', "
	"ARGV[4], 'mfa_recovery', ARGV[5], 'mfa_recovery_used', ARGV[6])\n"
	"else\n"
	"  redis.call('HDEL', k, 'mfa_secret', 'mfa_last_step', "
	"'mfa_recovery', 'mfa_recovery_used')\n"
	"end\n"
	"return 0\n",
	/* ARGV: P id step: only a later step than the last one wins */
	[SC_MFA_STEP] = LUA_COMMON
	"local k = P .. 'user:' .. ARGV[2]\n"
	"local f = redis.call('HMGET', k, 'mfa_secret', 'mfa_last_step')\n"
	"if not f[1] then return 1 end\n"
	"if tonumber(f[2] or '0') >= tonumber(ARGV[3]) then return 1 end\n"
	"redis.call('HSET', k, 'mfa_last_step', ARGV[3])\n"
	"return 0\n",
	/* ARGV: P id i: recovery code i, if not used yet */
	[SC_MFA_RECOVERY] = LUA_COMMON
	"local k = P .. 'user:' .. ARGV[2]\n"
	"local f = redis.call('HMGET', k, 'mfa_secret', 'mfa_recovery_used')\n"
	"if not f[1] then return 1 end\n"
	"local used = tonumber(f[2] or '0')\n"
	"local bit = 2 ^ tonumber(ARGV[3])\n"
	"if math.floor(used / bit) % 2 == 1 then return 1 end\n"
	"redis.call('HSET', k, 'mfa_recovery_used', string.format('%d', "
	"used + bit))\n"
	"return 0\n"
};

struct rd {
	struct store	 base;		/* first: see store_backend.h */
	const struct store_conf *conf;	/* the config outlives the store */
	redisContext	*c;		/* NULL: connect on next call */
	char		 where[STORE_ADDR_MAX + 16];	/* for messages */
	char		 err[RD_ERR_MAX];
	enum store_fault fault;
	char		 pass[RD_PASS_MAX];	/* "" = no AUTH */
	char		 sha[SC__MAX][41];	/* "" = not loaded here yet */
	bool		 ever_connected;
	/* the user read with the last session (see the file comment) */
	bool		 have_user;
	struct user	 user;
};

/* Growing argument vector for one command. */
struct args {
	int	 n, cap;
	const char **v;
	size_t	*len;
	char	(*num)[24];
	bool	 failed;
};

static const struct store_ops redis_ops;

static struct rd *
rd(struct store *sb)
{
	return (struct rd *)(void *)sb;
}

static const struct rd *
crd(const struct store *sb)
{
	return (const struct rd *)(const void *)sb;
}

/* ---- faults ---- */

static void
set_fault(struct rd *s, enum store_fault kind, const char *what,
    const char *msg)
{
	s->fault = kind;
	atomic_fetch_add(&rd_errors, 1);
	(void)snprintf(s->err, sizeof s->err, "redis %s: %s: %s", s->where,
	    what, msg);
}

/* Drop the connection; the next call connects again. */
static void
disconnect(struct rd *s)
{
	if (s->c != NULL)
		redisFree(s->c);
	s->c = NULL;
}

static void
conn_fault(struct rd *s, const char *what)
{
	set_fault(s, STORE_FAULT_DOWN, what, s->c != NULL && s->c->errstr[0]
	    != '\0' ? s->c->errstr : "connection lost");
	disconnect(s);
}

static enum store_fault
classify_reply(const char *msg)
{
	if (strncmp(msg, "OOM", 3) == 0 || strncmp(msg, "MISCONF", 7) == 0)
		return STORE_FAULT_FULL;
	if (strncmp(msg, "BUSY", 4) == 0 || strncmp(msg, "LOADING", 7) == 0 ||
	    strncmp(msg, "TRYAGAIN", 8) == 0)
		return STORE_FAULT_BUSY;
	/* a primary that became a replica: find the new one */
	if (strncmp(msg, "READONLY", 8) == 0 ||
	    strncmp(msg, "MASTERDOWN", 10) == 0)
		return STORE_FAULT_DOWN;
	return STORE_FAULT_OTHER;
}

/* ---- arguments ---- */

static void
args_free(struct args *a)
{
	free(a->v);
	free(a->len);
	free(a->num);
	memset(a, 0, sizeof *a);
}

static int
args_grow(struct args *a)
{
	int cap = a->cap > 0 ? a->cap * 2 : 16;
	const char **v = realloc(a->v, (size_t)cap * sizeof *v);
	size_t *len;
	char (*num)[24];

	if (v == NULL)
		return -1;
	a->v = v;
	if ((len = realloc(a->len, (size_t)cap * sizeof *len)) == NULL)
		return -1;
	a->len = len;
	if ((num = realloc(a->num, (size_t)cap * sizeof *num)) == NULL)
		return -1;
	a->num = num;
	/* v[] may point into num[]: re-point the numbers already there */
	a->cap = cap;
	return 0;
}

static void
arg_bin(struct args *a, const void *p, size_t len)
{
	if (p == NULL)		/* NULL marks a number (arg_int) */
		p = "";
	if (a->n == a->cap && args_grow(a) == -1) {
		a->failed = true;
		return;
	}
	a->v[a->n] = p;
	a->len[a->n] = len;
	a->n++;
}

static void
arg_str(struct args *a, const char *p)
{
	arg_bin(a, p, strlen(p));
}

/*
 * Numbers are formatted into num[i] and pointed at only when the command
 * is sent (args_fix), since num[] moves when it grows.
 */
static void
arg_int(struct args *a, int64_t v)
{
	if (a->n == a->cap && args_grow(a) == -1) {
		a->failed = true;
		return;
	}
	(void)snprintf(a->num[a->n], sizeof a->num[a->n], "%lld",
	    (long long)v);
	a->v[a->n] = NULL;
	a->len[a->n] = strlen(a->num[a->n]);
	a->n++;
}

static void
args_fix(struct args *a)
{
	for (int i = 0; i < a->n; i++)
		if (a->v[i] == NULL)
			a->v[i] = a->num[i];
}

/* ---- connection ---- */

static struct timeval
timeout_tv(const struct rd *s)
{
	struct timeval tv = {
		.tv_sec = s->conf->redis_timeout_ms / 1000,
		.tv_usec = (s->conf->redis_timeout_ms % 1000) * 1000,
	};

	return tv;
}

/* "host:port" or "[v6]:port" -> host (no brackets) and port. */
static int
split_host_port(const char *addr, char *host, size_t hostsz, int *port)
{
	const char *colon = strrchr(addr, ':');
	size_t hl;

	if (colon == NULL)
		return -1;
	hl = (size_t)(colon - addr);
	if (addr[0] == '[' && hl >= 2 && addr[hl - 1] == ']') {
		addr++;
		hl -= 2;
	}
	if (hl == 0 || hl >= hostsz)
		return -1;
	memcpy(host, addr, hl);
	host[hl] = '\0';
	*port = atoi(colon + 1);
	return 0;
}

static redisContext *
connect_addr(const struct rd *s, const char *addr)
{
	struct timeval tv = timeout_tv(s);
	char host[STORE_ADDR_MAX];
	int port;
	redisContext *c;

	if (strncmp(addr, "unix:", 5) == 0)
		c = redisConnectUnixWithTimeout(addr + 5, tv);
	else if (split_host_port(addr, host, sizeof host, &port) == 0)
		c = redisConnectWithTimeout(host, port, tv);
	else
		return NULL;
	if (c != NULL && c->err == 0 && redisSetTimeout(c, tv) != REDIS_OK) {
		redisFree(c);
		return NULL;
	}
	return c;
}

/*
 * Ask the sentinels, in order, where the primary is; the first one that
 * answers names it. *out = "host:port".
 */
static int
sentinel_lookup(struct rd *s, char *out, size_t outsz)
{
	const struct store_conf *cf = s->conf;

	for (int i = 0; i < cf->nredis_sentinels; i++) {
		redisContext *c = connect_addr(s, cf->redis_sentinels[i]);
		redisReply *r = NULL;
		int ok = 0;

		if (c != NULL && c->err == 0)
			r = redisCommand(c, "SENTINEL get-master-addr-by-name %s",
			    cf->redis_master);
		if (r != NULL && r->type == REDIS_REPLY_ARRAY &&
		    r->elements == 2 &&
		    r->element[0]->type == REDIS_REPLY_STRING &&
		    r->element[1]->type == REDIS_REPLY_STRING)
			ok = snprintf(out, outsz, strchr(r->element[0]->str, ':')
			    != NULL ? "[%s]:%s" : "%s:%s", r->element[0]->str,
			    r->element[1]->str) < (int)outsz;
		if (r != NULL)
			freeReplyObject(r);
		if (c != NULL)
			redisFree(c);
		if (ok)
			return 0;
	}
	return -1;
}

/* One command on a fresh connection, during the handshake. */
static int
handshake_cmd(struct rd *s, const char *what, int argc, const char **argv,
    const size_t *len)
{
	redisReply *r = redisCommandArgv(s->c, argc, argv, len);
	int rc = 0;

	if (r == NULL) {
		conn_fault(s, what);
		return -1;
	}
	if (r->type == REDIS_REPLY_ERROR) {
		set_fault(s, classify_reply(r->str), what, r->str);
		disconnect(s);
		rc = -1;
	}
	freeReplyObject(r);
	return rc;
}

/* AUTH, SELECT, and with Sentinel: is it still the primary? */
static int
handshake(struct rd *s)
{
	const struct store_conf *cf = s->conf;
	char db[16];
	const char *av[3];
	size_t al[3];
	redisReply *r;

	if (s->pass[0] != '\0') {
		int n = 0;

		av[n] = "AUTH";
		al[n++] = 4;
		if (cf->redis_username[0] != '\0') {
			av[n] = cf->redis_username;
			al[n++] = strlen(cf->redis_username);
		}
		av[n] = s->pass;
		al[n++] = strlen(s->pass);
		if (handshake_cmd(s, "AUTH", n, av, al) == -1)
			return -1;
	}
	if (cf->redis_db != 0) {
		(void)snprintf(db, sizeof db, "%d", cf->redis_db);
		av[0] = "SELECT";
		al[0] = 6;
		av[1] = db;
		al[1] = strlen(db);
		if (handshake_cmd(s, "SELECT", 2, av, al) == -1)
			return -1;
	}
	if (cf->nredis_sentinels == 0)
		return 0;
	/* Sentinel may still name a primary that was just demoted */
	if ((r = redisCommand(s->c, "ROLE")) == NULL) {
		conn_fault(s, "ROLE");
		return -1;
	}
	if (r->type != REDIS_REPLY_ARRAY || r->elements < 1 ||
	    r->element[0]->type != REDIS_REPLY_STRING ||
	    strcmp(r->element[0]->str, "master") != 0) {
		freeReplyObject(r);
		set_fault(s, STORE_FAULT_DOWN, "ROLE", "not the primary yet");
		disconnect(s);
		return -1;
	}
	freeReplyObject(r);
	return 0;
}

static int
ensure_connected(struct rd *s)
{
	char addr[STORE_ADDR_MAX + 8];

	if (s->c != NULL)
		return 0;
	s->have_user = false;
	if (s->conf->nredis_sentinels > 0) {
		if (sentinel_lookup(s, addr, sizeof addr) == -1) {
			set_fault(s, STORE_FAULT_DOWN, "sentinel",
			    "no sentinel named the primary");
			return -1;
		}
	} else {
		(void)snprintf(addr, sizeof addr, "%s", s->conf->redis);
	}
	s->c = connect_addr(s, addr);
	if (s->c == NULL || s->c->err != 0) {
		set_fault(s, STORE_FAULT_DOWN, "connect", s->c != NULL ?
		    s->c->errstr : "bad address");
		disconnect(s);
		return -1;
	}
	memset(s->sha, 0, sizeof s->sha);
	if (handshake(s) == -1)
		return -1;
	if (s->ever_connected)
		atomic_fetch_add(&rd_reconnects, 1);
	s->ever_connected = true;
	return 0;
}

/*
 * A connection made before this call that the server has closed: the
 * command was refused on the way out (EPIPE), or the socket was already
 * at EOF (ECONNRESET, EOF). Worth one retry on a new connection; a
 * timeout never is (the command may be running).
 */
static bool
stale(const redisContext *c)
{
	return c->err == REDIS_ERR_EOF || (c->err == REDIS_ERR_IO &&
	    (errno == EPIPE || errno == ECONNRESET));
}

/* Write n commands, then read their n replies (all or none kept). */
static int
send_all(struct rd *s, struct args *a, int n, redisReply **r)
{
	void *p;
	int i, rc = 0;

	for (i = 0; i < n && rc == 0; i++)
		if (redisAppendCommandArgv(s->c, a[i].n, a[i].v, a[i].len) !=
		    REDIS_OK)
			rc = -1;
	for (i = 0; i < n && rc == 0; i++) {
		if (redisGetReply(s->c, &p) != REDIS_OK || p == NULL)
			rc = -1;
		else
			r[i] = p;
	}
	if (rc == -1)
		for (int j = 0; j < i; j++) {
			if (r[j] != NULL)
				freeReplyObject(r[j]);
			r[j] = NULL;
		}
	return rc;
}

/*
 * Send n commands in one write and read their n replies: one round trip
 * for all of them. 0 with r[0..n-1] set, or -1 on a fault (s->err set; a
 * broken connection is dropped; no reply kept). An error reply is a
 * fault too, except NOSCRIPT, which the caller sees.
 */
static int
pipeline(struct rd *s, const char *what, struct args *a, int n,
    redisReply **r)
{
	bool fresh = s->c == NULL;
	int rc;

	for (int i = 0; i < n; i++) {
		r[i] = NULL;
		if (a[i].failed) {
			set_fault(s, STORE_FAULT_OTHER, what, "out of memory");
			return -1;
		}
		args_fix(&a[i]);
	}
	/* any other command ends the session_get + user_by_id pair */
	s->have_user = false;
	if (ensure_connected(s) == -1)
		return -1;
	rc = send_all(s, a, n, r);
	if (rc == -1 && !fresh && stale(s->c)) {
		/* an idle connection Redis closed (restart, failover) */
		disconnect(s);
		if (ensure_connected(s) == -1)
			return -1;
		rc = send_all(s, a, n, r);
	}
	if (rc == -1) {
		conn_fault(s, what);
		return -1;
	}
	for (int i = 0; i < n; i++) {
		enum store_fault k;

		if (r[i]->type != REDIS_REPLY_ERROR ||
		    strncmp(r[i]->str, "NOSCRIPT", 8) == 0)
			continue;
		k = classify_reply(r[i]->str);
		set_fault(s, k, what, r[i]->str);
		for (int j = 0; j < n; j++) {
			freeReplyObject(r[j]);
			r[j] = NULL;
		}
		if (k == STORE_FAULT_DOWN)
			disconnect(s);
		return -1;
	}
	return 0;
}

/* One command: NULL on a fault, as pipeline(). */
static redisReply *
command(struct rd *s, const char *what, struct args *a)
{
	redisReply *r;

	return pipeline(s, what, a, 1, &r) == 0 ? r : NULL;
}

/*
 * Run script id with ARGV = P + the given args: EVALSHA with the sha this
 * connection loaded, EVAL when Redis does not know it (NOSCRIPT).
 */
static redisReply *
script(struct rd *s, enum script id, const char *what, struct args *tail)
{
	struct args a = { 0 };
	redisReply *r = NULL;

	if (ensure_connected(s) == -1)
		return NULL;
	if (s->sha[id][0] == '\0') {
		struct args l = { 0 };

		arg_str(&l, "SCRIPT");
		arg_str(&l, "LOAD");
		arg_str(&l, scripts[id]);
		r = command(s, what, &l);
		args_free(&l);
		if (r == NULL)
			return NULL;
		if (r->type == REDIS_REPLY_STRING && r->len < sizeof s->sha[id])
			memcpy(s->sha[id], r->str, r->len + 1);
		freeReplyObject(r);
	}
	for (int pass = 0; pass < 2; pass++) {
		arg_str(&a, pass == 0 && s->sha[id][0] != '\0' ? "EVALSHA" :
		    "EVAL");
		arg_str(&a, pass == 0 && s->sha[id][0] != '\0' ? s->sha[id] :
		    scripts[id]);
		arg_str(&a, "0");
		arg_str(&a, s->conf->redis_prefix);
		for (int i = 0; i < tail->n; i++)
			if (tail->v[i] == NULL)
				arg_str(&a, tail->num[i]);
			else
				arg_bin(&a, tail->v[i], tail->len[i]);
		r = command(s, what, &a);
		a.n = 0;
		if (r == NULL || r->type != REDIS_REPLY_ERROR)
			break;
		/* NOSCRIPT: flushed or restarted; send the text */
		freeReplyObject(r);
		r = NULL;
		s->sha[id][0] = '\0';
	}
	args_free(&a);
	return r;
}

/* Read the password file: owner-only, one line. */
static int
read_password(struct rd *s, const char *path, char *err, size_t errsz)
{
	struct stat sb;
	ssize_t n;
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	int rc = -1;

	if (fd == -1) {
		(void)snprintf(err, errsz, "redis_password_file %s: %s", path,
		    strerror(errno));
		return -1;
	}
	if (fstat(fd, &sb) == -1 || !S_ISREG(sb.st_mode)) {
		(void)snprintf(err, errsz, "redis_password_file %s: not a "
		    "regular file", path);
		goto out;
	}
	if ((sb.st_mode & 0077) != 0) {
		(void)snprintf(err, errsz, "redis_password_file %s: mode %04o "
		    "lets others read it; chmod 600", path,
		    (unsigned)(sb.st_mode & 07777));
		goto out;
	}
	n = read(fd, s->pass, sizeof s->pass - 1);
	if (n < 0) {
		(void)snprintf(err, errsz, "redis_password_file %s: %s", path,
		    strerror(errno));
		goto out;
	}
	s->pass[n] = '\0';
	s->pass[strcspn(s->pass, "\r\n")] = '\0';
	if (s->pass[0] == '\0') {
		(void)snprintf(err, errsz, "redis_password_file %s: empty",
		    path);
		goto out;
	}
	rc = 0;
out:
	(void)close(fd);
	return rc;
}

static void rd_close(struct store *);

/*
 * Open does not connect: a gateway starts while Redis is down and fails
 * closed until it is up (the first call connects). Only the password
 * file is read now, before privileges are dropped.
 */
int
store_redis_open(struct store **out, const struct store_conf *conf,
    const struct store_opts *o, char *err, size_t errsz)
{
	struct rd *s;

	(void)o;
	*out = NULL;
	if ((s = calloc(1, sizeof *s)) == NULL) {
		(void)snprintf(err, errsz, "redis: out of memory");
		return -1;
	}
	s->base.ops = &redis_ops;
	s->conf = conf;
	if (conf->nredis_sentinels > 0)
		(void)snprintf(s->where, sizeof s->where, "sentinel %s",
		    conf->redis_master);
	else
		(void)snprintf(s->where, sizeof s->where, "%s", conf->redis);
	if (conf->redis_password_file[0] != '\0' &&
	    read_password(s, conf->redis_password_file, err, errsz) == -1) {
		rd_close(&s->base);
		return -1;
	}
	*out = &s->base;
	return 0;
}

static void
rd_close(struct store *sb)
{
	struct rd *s = rd(sb);

	disconnect(s);
	sodium_memzero(s->pass, sizeof s->pass);
	sodium_memzero(&s->user, sizeof s->user);
	free(s);
}

static const char *
rd_errmsg(const struct store *sb)
{
	return crd(sb)->err;
}

static enum store_fault
rd_fault(const struct store *sb)
{
	return crd(sb)->fault;
}

/* No writer locks to wait for; redis_timeout_ms bounds every call. */
static void
rd_set_wait(struct store *sb, int ms)
{
	(void)sb;
	(void)ms;
}

/* ---- reply helpers ---- */

static int64_t
rint64(const redisReply *r)
{
	if (r == NULL)
		return 0;
	if (r->type == REDIS_REPLY_INTEGER)
		return (int64_t)r->integer;
	if (r->type == REDIS_REPLY_STRING)
		return (int64_t)strtoll(r->str, NULL, 10);
	return 0;
}

static void
rstr(const redisReply *r, char *out, size_t outsz)
{
	if (r == NULL || r->type != REDIS_REPLY_STRING) {
		out[0] = '\0';
		return;
	}
	(void)snprintf(out, outsz, "%.*s", (int)r->len, r->str);
}

/* An integer reply, else a fault. */
static int
want_int(struct rd *s, redisReply *r, const char *what, int64_t *v)
{
	int rc = STORE_ERROR;

	if (r == NULL)
		return STORE_ERROR;
	if (r->type == REDIS_REPLY_INTEGER) {
		*v = (int64_t)r->integer;
		rc = STORE_OK;
	} else {
		set_fault(s, STORE_FAULT_OTHER, what, "unexpected reply");
	}
	freeReplyObject(r);
	return rc;
}

/* A script returning 0 (ok) or 1 (not found) or 2 (exists). */
static int
want_code(struct rd *s, redisReply *r, const char *what)
{
	int64_t v;

	if (want_int(s, r, what, &v) != STORE_OK)
		return STORE_ERROR;
	return v == 0 ? STORE_OK : v == 2 ? STORE_EXISTS : STORE_NOTFOUND;
}

static void
hex_of(const unsigned char hash[SESSION_HASH_BYTES],
    char out[2 * SESSION_HASH_BYTES + 1])
{
	(void)sodium_bin2hex(out, 2 * SESSION_HASH_BYTES + 1, hash,
	    SESSION_HASH_BYTES);
}

/*
 * A session is keyed by its hash in hex: write it into hex and append
 * that key to a. hex is the caller's and must outlive the command: args
 * keep pointers, not copies.
 */
static void
arg_hash(struct args *a, char hex[2 * SESSION_HASH_BYTES + 1],
    const unsigned char hash[SESSION_HASH_BYTES])
{
	hex_of(hash, hex);
	arg_str(a, hex);
}

/*
 * Run script id with args a (freed here) and map its 0/1/2 reply as
 * want_code does: the tail every single-key write shares.
 */
static int
script_code(struct rd *s, enum script id, const char *what, struct args *a)
{
	redisReply *r = script(s, id, what, a);

	args_free(a);
	return want_code(s, r, what);
}

/* e[0..9]: the SESSION_FIELDS, in order. hash may point into ss. */
static void
read_session(redisReply **e, const unsigned char hash[SESSION_HASH_BYTES],
    struct session *ss)
{
	unsigned char h[SESSION_HASH_BYTES];

	memcpy(h, hash, sizeof h);
	memset(ss, 0, sizeof *ss);
	memcpy(ss->hash, h, sizeof h);
	rstr(e[0], ss->handle, sizeof ss->handle);
	ss->user_id = rint64(e[1]);
	ss->created_at = rint64(e[2]);
	ss->last_seen = rint64(e[3]);
	ss->expires_at = rint64(e[4]);
	ss->pw_changed_at = rint64(e[5]);
	ss->request_count = rint64(e[6]);
	rstr(e[7], ss->ip, sizeof ss->ip);
	rstr(e[8], ss->user_agent, sizeof ss->user_agent);
	ss->remember = rint64(e[9]) != 0;
}

/* A binary string reply into buf; *len = 0 when nil or too long. */
static void
rbin(const redisReply *r, unsigned char *buf, size_t bufsz, size_t *len)
{
	*len = 0;
	if (r != NULL && r->type == REDIS_REPLY_STRING && r->len > 0 &&
	    (size_t)r->len <= bufsz) {
		memcpy(buf, r->str, (size_t)r->len);
		*len = (size_t)r->len;
	}
}

/* e[0..10]: the USER_FIELDS, in order. */
static void
read_user(redisReply **e, int64_t id, struct user *u)
{
	size_t n;

	memset(u, 0, sizeof *u);
	u->id = id;
	rstr(e[0], u->name, sizeof u->name);
	rstr(e[1], u->pwhash, sizeof u->pwhash);
	u->admin = rint64(e[2]) != 0;
	u->locked = rint64(e[3]) != 0;
	u->must_reset = rint64(e[4]) != 0;
	u->pw_changed_at = rint64(e[5]);
	u->created_at = rint64(e[6]);
	rbin(e[7], u->mfa.secret, sizeof u->mfa.secret, &u->mfa.secret_len);
	u->mfa.last_step = rint64(e[8]);
	/* a recovery blob of any other size is no recovery codes at all */
	rbin(e[9], u->mfa.recovery, sizeof u->mfa.recovery, &n);
	u->mfa.recovery_used = n == sizeof u->mfa.recovery ? rint64(e[10]) :
	    -1;
}

static const char *const session_fields[] = { SESSION_FIELDS(C_STR) };
static const char *const user_fields[] = { USER_FIELDS(C_STR) };
#define SF_N	((int)(sizeof session_fields / sizeof session_fields[0]))
#define UF_N	((int)(sizeof user_fields / sizeof user_fields[0]))
_Static_assert(sizeof session_fields / sizeof session_fields[0] == 10,
    "read_session reads e[0..9]");
_Static_assert(sizeof user_fields / sizeof user_fields[0] == 11,
    "read_user reads e[0..10]");

/* HMGET P PREFIX+ID FIELDS... into a (key is the caller's buffer). */
static void
arg_hmget(struct args *a, char *key, size_t keysz, const char *prefix,
    const char *what, const char *id, const char *const *fields, int n)
{
	(void)snprintf(key, keysz, "%s%s%s", prefix, what, id);
	arg_str(a, "HMGET");
	arg_str(a, key);
	for (int i = 0; i < n; i++)
		arg_str(a, fields[i]);
}

/*
 * Which user a session belongs to, by session hash: a hint that lets
 * validate read the session and its user in one pipelined round trip of
 * two HMGETs instead of a script (a script call cost Redis about three
 * times the two reads: 28 us against 2 x 5 us a call in INFO
 * commandstats on the bench machine). Only a hint: the session's own
 * user_id comes back in the same reply and wins, so a stale, torn or
 * colliding slot costs a second read, never a wrong answer. A session's
 * user never changes and the hashes are uniform: a direct-mapped table
 * of relaxed atomics, shared by every connection, is enough.
 */
#define UID_HINTS	65536	/* 1 MiB */
static struct uid_hint {
	_Atomic uint64_t	 tag;
	_Atomic int64_t		 uid;
} uid_hints[UID_HINTS];

static struct uid_hint *
uid_slot(const unsigned char hash[SESSION_HASH_BYTES], uint64_t *tag)
{
	uint32_t i;

	memcpy(&i, hash, sizeof i);
	memcpy(tag, hash + 8, sizeof *tag);
	return &uid_hints[i % UID_HINTS];
}

static int64_t
uid_hint_get(const unsigned char hash[SESSION_HASH_BYTES])
{
	uint64_t tag;
	struct uid_hint *h = uid_slot(hash, &tag);

	if (atomic_load_explicit(&h->tag, memory_order_relaxed) != tag)
		return 0;
	return atomic_load_explicit(&h->uid, memory_order_relaxed);
}

static void
uid_hint_put(const unsigned char hash[SESSION_HASH_BYTES], int64_t uid)
{
	uint64_t tag;
	struct uid_hint *h = uid_slot(hash, &tag);

	atomic_store_explicit(&h->uid, uid, memory_order_relaxed);
	atomic_store_explicit(&h->tag, tag, memory_order_relaxed);
}

static int
bad_reply(struct rd *s, redisReply *r, const char *what)
{
	set_fault(s, STORE_FAULT_OTHER, what, "unexpected reply");
	if (r != NULL)
		freeReplyObject(r);
	return STORE_ERROR;
}

/* ---- layout, health ---- */

static int
rd_layout_version(struct store *sb, int *version)
{
	struct rd *s = rd(sb);
	char key[128];
	struct args a = { 0 };
	redisReply *r;

	(void)snprintf(key, sizeof key, "%slayout", s->conf->redis_prefix);
	arg_str(&a, "GET");
	arg_str(&a, key);
	r = command(s, "read layout version", &a);
	args_free(&a);
	if (r == NULL)
		return STORE_ERROR;
	*version = r->type == REDIS_REPLY_NIL ? 0 : (int)rint64(r);
	freeReplyObject(r);
	return STORE_OK;
}

/* Nothing to create: keys appear when written. Record the version. */
static int
rd_prepare(struct store *sb, int *from, int *to)
{
	struct rd *s = rd(sb);
	char key[128];
	struct args a = { 0 };
	redisReply *r;
	int v;

	if (rd_layout_version(sb, &v) != STORE_OK)
		return STORE_ERROR;
	if (from != NULL)
		*from = v;
	if (v > RD_LAYOUT) {
		set_fault(s, STORE_FAULT_OTHER, "layout", "newer than this "
		    "program knows");
		return STORE_ERROR;
	}
	(void)snprintf(key, sizeof key, "%slayout", s->conf->redis_prefix);
	arg_str(&a, "SET");
	arg_str(&a, key);
	arg_int(&a, RD_LAYOUT);
	r = command(s, "write layout version", &a);
	args_free(&a);
	if (r == NULL)
		return STORE_ERROR;
	freeReplyObject(r);
	if (to != NULL)
		*to = RD_LAYOUT;
	return STORE_OK;
}

static int
simple(struct rd *s, const char *what, struct args *a)
{
	redisReply *r = command(s, what, a);

	args_free(a);
	if (r == NULL)
		return STORE_ERROR;
	freeReplyObject(r);
	return STORE_OK;
}

static int
rd_ping(struct store *sb)
{
	struct args a = { 0 };

	arg_str(&a, "PING");
	return simple(rd(sb), "ping", &a);
}

static int
rd_probe_write(struct store *sb)
{
	struct rd *s = rd(sb);
	char key[128];
	struct args a = { 0 };

	(void)snprintf(key, sizeof key, "%sprobe", s->conf->redis_prefix);
	arg_str(&a, "SET");
	arg_str(&a, key);
	arg_str(&a, "0");
	return simple(s, "write probe", &a);
}

/* "name:value" out of an INFO reply. */
static const char *
info_field(const char *info, const char *name, char *out, size_t outsz)
{
	size_t nl = strlen(name);

	for (const char *p = info; p != NULL && *p != '\0';) {
		if (strncmp(p, name, nl) == 0 && p[nl] == ':') {
			size_t vl = strcspn(p + nl + 1, "\r\n");

			(void)snprintf(out, outsz, "%.*s", (int)vl, p + nl + 1);
			return out;
		}
		p = strchr(p, '\n');
		if (p != NULL)
			p++;
	}
	out[0] = '\0';
	return NULL;
}

static int
rd_stats(struct store *sb, struct store_stats *out)
{
	struct rd *s = rd(sb);
	static const char *const sections[] = { "memory", "persistence" };
	char v[64];

	memset(out, 0, sizeof *out);
	out->backend = STORE_BACKEND_REDIS;
	for (size_t i = 0; i < sizeof sections / sizeof sections[0]; i++) {
		struct args a = { 0 };
		redisReply *r;

		arg_str(&a, "INFO");
		arg_str(&a, sections[i]);
		r = command(s, "INFO", &a);
		args_free(&a);
		if (r == NULL)
			return STORE_ERROR;
		if (r->type != REDIS_REPLY_STRING)
			return bad_reply(s, r, "INFO");
		if (info_field(r->str, "used_memory", v, sizeof v) != NULL)
			out->bytes = strtoll(v, NULL, 10);
		if (info_field(r->str, "maxmemory_policy", v, sizeof v) != NULL)
			out->evicts = strcmp(v, "noeviction") != 0;
		if (info_field(r->str, "aof_enabled", v, sizeof v) != NULL)
			out->persistent = strcmp(v, "1") == 0;
		freeReplyObject(r);
	}
	out->reconnects = atomic_load(&rd_reconnects);
	out->errors = atomic_load(&rd_errors);
	return STORE_OK;
}

/* ---- users ---- */

static int
check_user_args(struct rd *s, const char *name, const char *pwhash)
{
	if (name != NULL && (name[0] == '\0' ||
	    strlen(name) > USER_NAME_MAX)) {
		set_fault(s, STORE_FAULT_OTHER, "user", "user name empty or "
		    "too long");
		return -1;
	}
	if (pwhash != NULL && strlen(pwhash) >= PWHASH_MAX) {
		set_fault(s, STORE_FAULT_OTHER, "user", "password hash too "
		    "long");
		return -1;
	}
	return 0;
}

static int
rd_user_add(struct store *sb, const char *name, const char *pwhash,
    bool admin, int64_t now, int64_t *id)
{
	struct rd *s = rd(sb);
	struct args a = { 0 };
	redisReply *r;
	int rc;

	if (check_user_args(s, name, pwhash) == -1)
		return STORE_ERROR;
	arg_str(&a, name);
	arg_str(&a, pwhash);
	arg_int(&a, admin ? 1 : 0);
	arg_int(&a, now);
	r = script(s, SC_USER_ADD, "add user", &a);
	args_free(&a);
	if (r == NULL)
		return STORE_ERROR;
	if (r->type != REDIS_REPLY_ARRAY || r->elements < 1)
		return bad_reply(s, r, "add user");
	rc = rint64(r->element[0]) == 2 ? STORE_EXISTS : STORE_OK;
	if (rc == STORE_OK && id != NULL && r->elements == 2)
		*id = rint64(r->element[1]);
	freeReplyObject(r);
	return rc;
}

static int
rd_user_by_name(struct store *sb, const char *name, struct user *u)
{
	struct rd *s = rd(sb);
	struct args a = { 0 };
	redisReply *r;
	int rc = STORE_NOTFOUND;

	s->have_user = false;
	arg_str(&a, name);
	r = script(s, SC_USER_BY_NAME, "read user", &a);
	args_free(&a);
	if (r == NULL)
		return STORE_ERROR;
	if (r->type != REDIS_REPLY_ARRAY)
		return bad_reply(s, r, "read user");
	if (r->elements == 1 + UF_N) {
		read_user(&r->element[1], rint64(r->element[0]), u);
		rc = STORE_OK;
	}
	freeReplyObject(r);
	return rc;
}

static int
rd_user_by_id(struct store *sb, int64_t id, struct user *u)
{
	struct rd *s = rd(sb);
	char key[RD_KEY_MAX], num[24];
	struct args a = { 0 };
	redisReply *r;
	int rc = STORE_NOTFOUND;

	/* read together with the session just now (rd_session_get) */
	if (s->have_user && s->user.id == id) {
		s->have_user = false;
		if (s->user.name[0] == '\0')
			return STORE_NOTFOUND;
		*u = s->user;
		return STORE_OK;
	}
	s->have_user = false;
	(void)snprintf(num, sizeof num, "%lld", (long long)id);
	arg_hmget(&a, key, sizeof key, s->conf->redis_prefix, "user:", num,
	    user_fields, UF_N);
	r = command(s, "read user", &a);
	args_free(&a);
	if (r == NULL)
		return STORE_ERROR;
	if (r->type != REDIS_REPLY_ARRAY || r->elements != UF_N)
		return bad_reply(s, r, "read user");
	if (r->element[0]->type == REDIS_REPLY_STRING) {
		read_user(r->element, id, u);
		rc = STORE_OK;
	}
	freeReplyObject(r);
	return rc;
}

static int
rd_user_set_password(struct store *sb, int64_t id, const char *pwhash,
    int64_t now)
{
	struct rd *s = rd(sb);
	struct args a = { 0 };

	if (check_user_args(s, NULL, pwhash) == -1)
		return STORE_ERROR;
	arg_int(&a, id);
	arg_str(&a, pwhash);
	arg_int(&a, now);
	return script_code(s, SC_USER_SET_PW, "set password", &a);
}

static int
rd_user_rehash(struct store *sb, int64_t id, const char *old_hash,
    const char *new_hash)
{
	struct rd *s = rd(sb);
	struct args a = { 0 };

	if (check_user_args(s, NULL, new_hash) == -1)
		return STORE_ERROR;
	arg_int(&a, id);
	arg_str(&a, old_hash);
	arg_str(&a, new_hash);
	return script_code(s, SC_USER_REHASH, "rehash password", &a);
}

static int
rd_user_set_locked(struct store *sb, int64_t id, bool locked)
{
	struct rd *s = rd(sb);
	struct args a = { 0 };

	arg_int(&a, id);
	arg_int(&a, locked ? 1 : 0);
	return script_code(s, SC_USER_SET_LOCKED, "lock user", &a);
}

static int
rd_user_del(struct store *sb, int64_t id)
{
	struct rd *s = rd(sb);
	struct args a = { 0 };

	arg_int(&a, id);
	return script_code(s, SC_USER_DEL, "delete user", &a);
}

static int
rd_user_list(struct store *sb, store_user_cb cb, void *arg)
{
	struct rd *s = rd(sb);
	struct args a = { 0 };
	redisReply *r;
	struct user u;
	int rc = STORE_OK;

	r = script(s, SC_USER_LIST, "list users", &a);
	args_free(&a);
	if (r == NULL)
		return STORE_ERROR;
	if (r->type != REDIS_REPLY_ARRAY || r->elements % (1 + UF_N) != 0)
		return bad_reply(s, r, "list users");
	for (size_t i = 0; i < r->elements && rc == STORE_OK;
	    i += 1 + UF_N) {
		read_user(&r->element[i + 1], rint64(r->element[i]), &u);
		rc = cb(arg, &u);
	}
	sodium_memzero(&u, sizeof u);
	freeReplyObject(r);
	return rc;
}

static int
rd_user_import(struct store *sb, const struct user *users, size_t n,
    bool *inserted)
{
	struct rd *s = rd(sb);
	struct args a = { 0 };
	redisReply *r;

	for (size_t i = 0; i < n; i++)
		if (check_user_args(s, users[i].name, users[i].pwhash) == -1)
			return STORE_ERROR;
	for (size_t i = 0; i < n; i++) {
		const struct user *u = &users[i];

		arg_str(&a, u->name);
		arg_str(&a, u->pwhash);
		arg_int(&a, u->admin ? 1 : 0);
		arg_int(&a, u->locked ? 1 : 0);
		arg_int(&a, u->must_reset ? 1 : 0);
		arg_int(&a, u->pw_changed_at);
		arg_int(&a, u->created_at);
	}
	r = script(s, SC_USER_IMPORT, "import users", &a);
	args_free(&a);
	if (r == NULL)
		return STORE_ERROR;
	if (r->type != REDIS_REPLY_ARRAY || r->elements != n)
		return bad_reply(s, r, "import users");
	for (size_t i = 0; i < n; i++)
		inserted[i] = rint64(r->element[i]) == 1;
	freeReplyObject(r);
	return STORE_OK;
}

/* ---- sessions ---- */

static int
rd_session_create(struct store *sb, const struct session *ss)
{
	struct rd *s = rd(sb);
	struct args a = { 0 };
	char hex[2 * SESSION_HASH_BYTES + 1];

	arg_hash(&a, hex, ss->hash);
	arg_str(&a, ss->handle);
	arg_int(&a, ss->user_id);
	arg_int(&a, ss->created_at);
	arg_int(&a, ss->last_seen);
	arg_int(&a, ss->expires_at);
	arg_int(&a, ss->pw_changed_at);
	arg_int(&a, ss->request_count);
	arg_str(&a, ss->ip);
	arg_str(&a, ss->user_agent);
	arg_int(&a, ss->remember ? 1 : 0);
	return script_code(s, SC_SESSION_CREATE, "create session", &a);
}

/*
 * The session and, when uid_hint() knew its user, that user: two HMGETs
 * in one round trip. STORE_OK / STORE_NOTFOUND / STORE_ERROR; s->user
 * is kept only when the hint was right.
 */
static int
session_get_pipelined(struct rd *s, const char *hex,
    const unsigned char hash[SESSION_HASH_BYTES], struct session *ss,
    int64_t uid)
{
	struct args a[2] = { { 0 }, { 0 } };
	char skey[RD_KEY_MAX], ukey[RD_KEY_MAX], num[24];
	redisReply *r[2];
	int rc = STORE_ERROR;

	(void)snprintf(num, sizeof num, "%lld", (long long)uid);
	arg_hmget(&a[0], skey, sizeof skey, s->conf->redis_prefix, "s:", hex,
	    session_fields, SF_N);
	arg_hmget(&a[1], ukey, sizeof ukey, s->conf->redis_prefix, "user:",
	    num, user_fields, UF_N);
	if (pipeline(s, "read session", a, 2, r) == 0) {
		if (r[0]->type != REDIS_REPLY_ARRAY || r[0]->elements != SF_N ||
		    r[1]->type != REDIS_REPLY_ARRAY ||
		    r[1]->elements != UF_N) {
			freeReplyObject(r[1]);
			rc = bad_reply(s, r[0], "read session");
		} else if (r[0]->element[0]->type != REDIS_REPLY_STRING) {
			rc = STORE_NOTFOUND;
		} else {
			read_session(r[0]->element, hash, ss);
			if (ss->user_id == uid) {
				read_user(r[1]->element, uid, &s->user);
				s->have_user = true;
			} else {
				/* wrong: rd_user_by_id reads the user */
				uid_hint_put(hash, ss->user_id);
			}
			rc = STORE_OK;
		}
		if (rc != STORE_ERROR) {
			freeReplyObject(r[0]);
			freeReplyObject(r[1]);
		}
	}
	args_free(&a[0]);
	args_free(&a[1]);
	return rc;
}

/*
 * A session known to uid_hint: one pipelined round trip (above). Any
 * other: the session script, which finds the user itself, and the hint
 * learns it for next time.
 */
static int
rd_session_get(struct store *sb, const unsigned char hash[SESSION_HASH_BYTES],
    struct session *ss)
{
	struct rd *s = rd(sb);
	struct args a = { 0 };
	char hex[2 * SESSION_HASH_BYTES + 1];
	int64_t uid = uid_hint_get(hash);
	redisReply *r;
	int rc = STORE_NOTFOUND;

	s->have_user = false;
	if (uid > 0) {
		hex_of(hash, hex);
		return session_get_pipelined(s, hex, hash, ss, uid);
	}
	arg_hash(&a, hex, hash);
	r = script(s, SC_SESSION_GET, "read session", &a);
	args_free(&a);
	if (r == NULL)
		return STORE_ERROR;
	if (r->type != REDIS_REPLY_ARRAY)
		return bad_reply(s, r, "read session");
	if (r->elements >= SF_N) {
		read_session(r->element, hash, ss);
		/* the user, as of the same moment: see the file comment */
		if (r->elements == SF_N + UF_N) {
			read_user(&r->element[SF_N], ss->user_id, &s->user);
			s->have_user = true;
		}
		uid_hint_put(hash, ss->user_id);
		rc = STORE_OK;
	}
	freeReplyObject(r);
	return rc;
}

/* One round trip: rd_session_get reads the user with the session. */
static int
rd_session_get_with_user(struct store *sb,
    const unsigned char hash[SESSION_HASH_BYTES], struct session *ss,
    struct user *u, bool *user_found)
{
	int rc = rd_session_get(sb, hash, ss);

	*user_found = false;
	memset(u, 0, sizeof *u);
	if (rc != STORE_OK)
		return rc;
	rc = rd_user_by_id(sb, ss->user_id, u);
	if (rc == STORE_NOTFOUND) {
		memset(u, 0, sizeof *u);
		return STORE_OK;
	}
	if (rc == STORE_OK) {
		*user_found = true;
		sodium_memzero(u->pwhash, sizeof u->pwhash);
	}
	return rc;
}

/* Redis writes no WAL: nothing to checkpoint. */
static int
rd_checkpoint(struct store *sb, int *wal_frames, int *checkpointed)
{
	(void)sb;
	if (wal_frames != NULL)
		*wal_frames = 0;
	if (checkpointed != NULL)
		*checkpointed = 0;
	return STORE_OK;
}

static int
rd_session_touch(struct store *sb, const struct session *ss)
{
	struct rd *s = rd(sb);
	struct args a = { 0 };
	char hex[2 * SESSION_HASH_BYTES + 1];

	arg_hash(&a, hex, ss->hash);
	arg_int(&a, ss->last_seen);
	arg_int(&a, ss->expires_at);
	arg_str(&a, ss->ip);
	arg_str(&a, ss->user_agent);
	return script_code(s, SC_SESSION_TOUCH, "touch session", &a);
}

static int
rd_session_delete(struct store *sb,
    const unsigned char hash[SESSION_HASH_BYTES])
{
	struct rd *s = rd(sb);
	struct args a = { 0 };
	char hex[2 * SESSION_HASH_BYTES + 1];

	arg_hash(&a, hex, hash);
	return script_code(s, SC_SESSION_DELETE, "delete session", &a);
}

static int
unhex(const redisReply *r, unsigned char hash[SESSION_HASH_BYTES])
{
	size_t n = 0;

	if (r == NULL || r->type != REDIS_REPLY_STRING ||
	    sodium_hex2bin(hash, SESSION_HASH_BYTES, r->str, r->len, NULL, &n,
	    NULL) != 0 || n != SESSION_HASH_BYTES)
		return -1;
	return 0;
}

static int
rd_session_delete_handle(struct store *sb, const char *handle,
    int64_t user_id, struct session *deleted)
{
	struct rd *s = rd(sb);
	unsigned char hash[SESSION_HASH_BYTES];
	struct args a = { 0 };
	redisReply *r;
	int rc = STORE_NOTFOUND;

	if (strlen(handle) != SESSION_HANDLE_LEN)
		return STORE_NOTFOUND;
	arg_str(&a, handle);
	arg_int(&a, user_id > 0 ? user_id : 0);
	r = script(s, SC_SESSION_DELETE_HANDLE, "revoke session", &a);
	args_free(&a);
	if (r == NULL)
		return STORE_ERROR;
	if (r->type != REDIS_REPLY_ARRAY)
		return bad_reply(s, r, "revoke session");
	if (r->elements == SF_N + 1) {
		if (unhex(r->element[SF_N], hash) == -1)
			return bad_reply(s, r, "revoke session");
		if (deleted != NULL)
			read_session(r->element, hash, deleted);
		rc = STORE_OK;
	}
	freeReplyObject(r);
	return rc;
}

static int
count_script(struct rd *s, enum script id, const char *what,
    struct args *a, int64_t *count)
{
	redisReply *r = script(s, id, what, a);
	int64_t v = 0;

	args_free(a);
	if (want_int(s, r, what, &v) != STORE_OK)
		return STORE_ERROR;
	if (count != NULL)
		*count = v;
	return STORE_OK;
}

static int
rd_session_delete_user(struct store *sb, int64_t user_id, int64_t *count)
{
	struct args a = { 0 };

	arg_int(&a, user_id);
	return count_script(rd(sb), SC_SESSION_DELETE_USER,
	    "revoke user's sessions", &a, count);
}

static int
rd_session_delete_all(struct store *sb, int64_t *count)
{
	struct args a = { 0 };

	return count_script(rd(sb), SC_SESSION_DELETE_ALL,
	    "revoke all sessions", &a, count);
}

static int
rd_session_list(struct store *sb, int64_t user_id, store_session_cb cb,
    void *arg)
{
	struct rd *s = rd(sb);
	unsigned char hash[SESSION_HASH_BYTES];
	struct args a = { 0 };
	struct session ss;
	redisReply *r;
	int rc = STORE_OK;

	arg_int(&a, user_id > 0 ? user_id : 0);
	r = script(s, SC_SESSION_LIST, "list sessions", &a);
	args_free(&a);
	if (r == NULL)
		return STORE_ERROR;
	if (r->type != REDIS_REPLY_ARRAY || r->elements % (1 + SF_N) != 0)
		return bad_reply(s, r, "list sessions");
	for (size_t i = 0; i < r->elements && rc == STORE_OK;
	    i += 1 + SF_N) {
		if (unhex(r->element[i], hash) == -1)
			continue;
		read_session(&r->element[i + 1], hash, &ss);
		rc = cb(arg, &ss);
	}
	freeReplyObject(r);
	return rc;
}

static int
rd_session_count(struct store *sb, int64_t now, int64_t absolute_age,
    int64_t *count)
{
	struct args a = { 0 };

	arg_int(&a, now);
	arg_int(&a, absolute_age);
	return count_script(rd(sb), SC_SESSION_COUNT, "count sessions", &a,
	    count);
}

/* ---- login failures ---- */

static void
failure_key(enum login_kind kind, const char *key, char *out, size_t outsz)
{
	(void)snprintf(out, outsz, "f:%c:%s", kind == LOGIN_BY_USER ? 'u' :
	    'a', key);
}

static int
rd_failure_get(struct store *sb, enum login_kind kind, const char *key,
    struct login_failures *f)
{
	struct rd *s = rd(sb);
	char k[512];
	struct args a = { 0 };
	redisReply *r;
	int rc = STORE_NOTFOUND;

	memset(f, 0, sizeof *f);
	(void)snprintf(k, sizeof k, "%s", s->conf->redis_prefix);
	failure_key(kind, key, k + strlen(k), sizeof k - strlen(k));
	arg_str(&a, "HMGET");
	arg_str(&a, k);
	arg_str(&a, "count");
	arg_str(&a, "first_at");
	arg_str(&a, "last_at");
	r = command(s, "read login failures", &a);
	args_free(&a);
	if (r == NULL)
		return STORE_ERROR;
	if (r->type != REDIS_REPLY_ARRAY || r->elements != 3)
		return bad_reply(s, r, "read login failures");
	if (r->element[0]->type == REDIS_REPLY_STRING) {
		f->count = rint64(r->element[0]);
		f->first_at = rint64(r->element[1]);
		f->last_at = rint64(r->element[2]);
		rc = STORE_OK;
	}
	freeReplyObject(r);
	return rc;
}

static int
rd_failure_add(struct store *sb, enum login_kind kind, const char *key,
    int64_t now, int64_t window, int64_t keep)
{
	struct rd *s = rd(sb);
	char k[512];
	struct args a = { 0 };

	failure_key(kind, key, k, sizeof k);
	arg_str(&a, k);
	arg_int(&a, now);
	arg_int(&a, window);
	arg_int(&a, keep);
	return script_code(s, SC_FAILURE_ADD, "count login failure", &a);
}

static int
rd_failure_clear(struct store *sb, enum login_kind kind, const char *key)
{
	struct rd *s = rd(sb);
	char k[512];
	struct args a = { 0 };

	(void)snprintf(k, sizeof k, "%s", s->conf->redis_prefix);
	failure_key(kind, key, k + strlen(k), sizeof k - strlen(k));
	arg_str(&a, "DEL");
	arg_str(&a, k);
	return simple(s, "clear login failures", &a);
}

/* ---- cache ---- */

static int
rd_cache_get(struct store *sb, int64_t scope, const char *key, int64_t now,
    struct cache_entry *e)
{
	struct rd *s = rd(sb);
	char *k = NULL;
	struct args a = { 0 };
	redisReply *r;
	int rc = STORE_NOTFOUND;

	memset(e, 0, sizeof *e);
	if (asprintf(&k, "%sc:%lld:%s", s->conf->redis_prefix,
	    (long long)scope, key) < 0) {
		set_fault(s, STORE_FAULT_OTHER, "read cache", "out of memory");
		return STORE_ERROR;
	}
	arg_str(&a, "HMGET");
	arg_str(&a, k);
	arg_str(&a, "v");
	arg_str(&a, "ct");
	arg_str(&a, "exp");
	r = command(s, "read cache", &a);
	args_free(&a);
	free(k);
	if (r == NULL)
		return STORE_ERROR;
	if (r->type != REDIS_REPLY_ARRAY || r->elements != 3)
		return bad_reply(s, r, "read cache");
	e->expires_at = rint64(r->element[2]);
	if (r->element[0]->type == REDIS_REPLY_STRING &&
	    (e->expires_at == 0 || e->expires_at > now)) {
		size_t len = r->element[0]->len;

		if ((e->value = malloc(len > 0 ? len : 1)) == NULL) {
			freeReplyObject(r);
			set_fault(s, STORE_FAULT_OTHER, "read cache",
			    "out of memory");
			return STORE_ERROR;
		}
		memcpy(e->value, r->element[0]->str, len);
		e->len = len;
		rstr(r->element[1], e->content_type, sizeof e->content_type);
		rc = STORE_OK;
	}
	freeReplyObject(r);
	return rc;
}

static int
rd_cache_set(struct store *sb, int64_t scope, const char *key,
    const void *value, size_t len, const char *content_type, int64_t now,
    int64_t expires_at, const struct cache_limits *limits, int64_t *evicted,
    int64_t *culled)
{
	struct rd *s = rd(sb);
	static const struct cache_limits unlimited;
	const struct cache_limits *lim = limits != NULL ? limits : &unlimited;
	struct args a = { 0 };
	redisReply *r;

	if (strlen(content_type) >= CTYPE_MAX) {
		set_fault(s, STORE_FAULT_OTHER, "write cache", "content type "
		    "too long");
		return STORE_ERROR;
	}
	arg_int(&a, scope);
	arg_str(&a, key);
	arg_bin(&a, value, len);
	arg_str(&a, content_type);
	arg_int(&a, now);
	arg_int(&a, expires_at);
	arg_int(&a, lim->max_entries);
	arg_int(&a, lim->cull_frequency);
	arg_int(&a, lim->max_entries_per_user);
	r = script(s, SC_CACHE_SET, "write cache", &a);
	args_free(&a);
	if (r == NULL)
		return STORE_ERROR;
	if (r->type != REDIS_REPLY_ARRAY || r->elements != 2)
		return bad_reply(s, r, "write cache");
	if (evicted != NULL)
		*evicted = rint64(r->element[0]);
	if (culled != NULL)
		*culled = rint64(r->element[1]);
	freeReplyObject(r);
	return STORE_OK;
}

static int
rd_cache_delete(struct store *sb, int64_t scope, const char *key,
    int64_t now)
{
	struct rd *s = rd(sb);
	struct args a = { 0 };

	arg_int(&a, scope);
	arg_str(&a, key);
	arg_int(&a, now);
	return script_code(s, SC_CACHE_DELETE, "delete cache row", &a);
}

static int
rd_cache_count(struct store *sb, int64_t *count)
{
	struct args a = { 0 };

	return count_script(rd(sb), SC_CACHE_COUNT, "count cache rows", &a,
	    count);
}

/* ---- cleanup: Redis' TTLs do it ---- */

static int
rd_cleanup_sessions(struct store *sb, int64_t now, int64_t absolute_age,
    int64_t batch, int64_t *deleted)
{
	(void)sb;
	(void)now;
	(void)absolute_age;
	(void)batch;
	*deleted = 0;
	return STORE_OK;
}

static int
rd_cleanup_cache(struct store *sb, int64_t now, int64_t batch,
    int64_t *deleted)
{
	(void)sb;
	(void)now;
	(void)batch;
	*deleted = 0;
	return STORE_OK;
}

static int
rd_cleanup_failures(struct store *sb, int64_t now, int64_t keep,
    int64_t *deleted)
{
	(void)sb;
	(void)now;
	(void)keep;
	*deleted = 0;
	return STORE_OK;
}

/* ---- counters ---- */

static int
rd_counter_add(struct store *sb, const char *name, int64_t delta)
{
	struct rd *s = rd(sb);
	char k[256];
	struct args a = { 0 };

	(void)snprintf(k, sizeof k, "%sn:%s", s->conf->redis_prefix, name);
	arg_str(&a, "INCRBY");
	arg_str(&a, k);
	arg_int(&a, delta);
	return simple(s, "add counter", &a);
}

static int
rd_counter_get(struct store *sb, const char *name, int64_t *value)
{
	struct rd *s = rd(sb);
	char k[256];
	struct args a = { 0 };
	redisReply *r;

	(void)snprintf(k, sizeof k, "%sn:%s", s->conf->redis_prefix, name);
	arg_str(&a, "GET");
	arg_str(&a, k);
	r = command(s, "read counter", &a);
	args_free(&a);
	if (r == NULL)
		return STORE_ERROR;
	/* never added to: 0 (store.h) */
	*value = r->type == REDIS_REPLY_STRING ? rint64(r) : 0;
	freeReplyObject(r);
	return STORE_OK;
}

/* ---- second factor ---- */

static int
rd_user_set_mfa(struct store *sb, int64_t id, const struct user_mfa *m)
{
	struct rd *s = rd(sb);
	struct args a = { 0 };

	if (m != NULL && (m->secret_len == 0 ||
	    m->secret_len > sizeof m->secret)) {
		set_fault(s, STORE_FAULT_OTHER, "set second factor",
		    "second factor without a secret");
		return STORE_ERROR;
	}
	arg_int(&a, id);
	if (m != NULL) {
		arg_bin(&a, m->secret, m->secret_len);
		arg_int(&a, m->last_step);
		arg_bin(&a, m->recovery, sizeof m->recovery);
		arg_int(&a, m->recovery_used);
	}
	return script_code(s, SC_USER_SET_MFA, "set second factor", &a);
}

static int
rd_user_mfa_consume(struct store *sb, int64_t id, int64_t step,
    int recovery)
{
	struct rd *s = rd(sb);
	struct args a = { 0 };

	if (recovery >= MFA_RECOVERY_CODES) {
		set_fault(s, STORE_FAULT_OTHER, "spend a second-factor code",
		    "no such recovery code");
		return STORE_ERROR;
	}
	arg_int(&a, id);
	arg_int(&a, recovery < 0 ? step : recovery);
	return script_code(s, recovery < 0 ? SC_MFA_STEP : SC_MFA_RECOVERY,
	    "spend a second-factor code", &a);
}

static void
pending_key(const struct rd *s, const unsigned char hash[SESSION_HASH_BYTES],
    char *out, size_t outsz)
{
	char hex[2 * SESSION_HASH_BYTES + 1];

	hex_of(hash, hex);
	(void)snprintf(out, outsz, "%smp:%s", s->conf->redis_prefix, hex);
}

static int
rd_mfa_pending_put(struct store *sb, const struct mfa_pending *p,
    int64_t now)
{
	struct rd *s = rd(sb);
	char key[256], val[64];
	struct args a = { 0 };
	redisReply *r;
	int rc = STORE_ERROR;

	pending_key(s, p->hash, key, sizeof key);
	(void)snprintf(val, sizeof val, "%lld %lld %d", (long long)p->user_id,
	    (long long)p->expires_at, p->enrol ? 1 : 0);
	arg_str(&a, "SET");
	arg_str(&a, key);
	arg_str(&a, val);
	arg_str(&a, "EX");
	/* the expiry is checked on read; the TTL only frees memory */
	arg_int(&a, (p->expires_at > now ? p->expires_at - now : 0) + 60);
	r = command(s, "store a half-done sign-in", &a);
	args_free(&a);
	if (r == NULL)
		return STORE_ERROR;
	if (r->type == REDIS_REPLY_STATUS)
		rc = STORE_OK;
	else
		set_fault(s, STORE_FAULT_OTHER, "store a half-done sign-in",
		    "unexpected reply");
	freeReplyObject(r);
	return rc;
}

static int
rd_mfa_pending_get(struct store *sb,
    const unsigned char hash[SESSION_HASH_BYTES], int64_t now,
    struct mfa_pending *p)
{
	struct rd *s = rd(sb);
	char key[256], val[64];
	struct args a = { 0 };
	redisReply *r;
	long long uid, exp;
	int enrol, rc = STORE_NOTFOUND;

	pending_key(s, hash, key, sizeof key);
	arg_str(&a, "GET");
	arg_str(&a, key);
	r = command(s, "read a half-done sign-in", &a);
	args_free(&a);
	if (r == NULL)
		return STORE_ERROR;
	if (r->type == REDIS_REPLY_STRING) {
		rstr(r, val, sizeof val);
		if (sscanf(val, "%lld %lld %d", &uid, &exp, &enrol) == 3 &&
		    exp > now) {
			memcpy(p->hash, hash, SESSION_HASH_BYTES);
			p->user_id = uid;
			p->expires_at = exp;
			p->enrol = enrol != 0;
			rc = STORE_OK;
		}
	} else if (r->type != REDIS_REPLY_NIL) {
		set_fault(s, STORE_FAULT_OTHER, "read a half-done sign-in",
		    "unexpected reply");
		rc = STORE_ERROR;
	}
	freeReplyObject(r);
	return rc;
}

static int
rd_mfa_pending_del(struct store *sb,
    const unsigned char hash[SESSION_HASH_BYTES])
{
	struct rd *s = rd(sb);
	char key[256];
	struct args a = { 0 };
	int64_t n = 0;

	pending_key(s, hash, key, sizeof key);
	arg_str(&a, "DEL");
	arg_str(&a, key);
	if (want_int(s, command(s, "delete a half-done sign-in", &a),
	    "delete a half-done sign-in", &n) != STORE_OK) {
		args_free(&a);
		return STORE_ERROR;
	}
	args_free(&a);
	return n > 0 ? STORE_OK : STORE_NOTFOUND;
}

static const struct store_ops redis_ops = {
	.user_set_mfa = rd_user_set_mfa,
	.user_mfa_consume = rd_user_mfa_consume,
	.mfa_pending_put = rd_mfa_pending_put,
	.mfa_pending_get = rd_mfa_pending_get,
	.mfa_pending_del = rd_mfa_pending_del,
	.close = rd_close,
	.errmsg = rd_errmsg,
	.fault = rd_fault,
	.set_wait = rd_set_wait,
	.prepare = rd_prepare,
	.layout_version = rd_layout_version,
	.ping = rd_ping,
	.probe_write = rd_probe_write,
	.stats = rd_stats,
	.user_add = rd_user_add,
	.user_by_name = rd_user_by_name,
	.user_by_id = rd_user_by_id,
	.user_set_password = rd_user_set_password,
	.user_rehash = rd_user_rehash,
	.user_set_locked = rd_user_set_locked,
	.user_del = rd_user_del,
	.user_list = rd_user_list,
	.user_import = rd_user_import,
	.session_create = rd_session_create,
	.session_get = rd_session_get,
	.session_get_with_user = rd_session_get_with_user,
	.session_touch = rd_session_touch,
	.session_delete = rd_session_delete,
	.session_delete_handle = rd_session_delete_handle,
	.session_delete_user = rd_session_delete_user,
	.session_delete_all = rd_session_delete_all,
	.session_list = rd_session_list,
	.session_count = rd_session_count,
	.failure_get = rd_failure_get,
	.failure_add = rd_failure_add,
	.failure_clear = rd_failure_clear,
	.cache_get = rd_cache_get,
	.cache_set = rd_cache_set,
	.cache_delete = rd_cache_delete,
	.cache_count = rd_cache_count,
	.cleanup_sessions = rd_cleanup_sessions,
	.cleanup_cache = rd_cleanup_cache,
	.cleanup_failures = rd_cleanup_failures,
	.checkpoint = rd_checkpoint,
	.counter_add = rd_counter_add,
	.counter_get = rd_counter_get,
};
