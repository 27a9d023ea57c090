/*
 * test_password_import.c - Django password hashes: classification (with
 * the cost bounds) and verification through password_verify().
 *
 * The vectors were made by Django 3.2 itself (make_password with a fixed
 * salt; argon2 through argon2-cffi, as Django's Argon2PasswordHasher
 * does), and one PBKDF2 vector by Python's hashlib.pbkdf2_hmac, so they
 * check our reading of the formats, not our own output.
 */
#include <string.h>

#include "password.h"
#include "password_import.h"
#include "unit.h"

#define PW	"correct horse 1"

static const char *const dj_pbkdf2_sha256 =
    "pbkdf2_sha256$260000$saltsaltsalt1234$"
    "U2MPgWxtdan9MYKojs/vDjqUhY+v2yNCLyAhmStmVsw=";
static const char *const dj_pbkdf2_sha1 =
    "pbkdf2_sha1$260000$saltsaltsalt1234$ScQVpuhtEfYVFKH8RwCvmt4/cnM=";
/* Django's defaults: m=102400 (100 MiB), t=2, p=8 (libsodium: p=1 only). */
static const char *const dj_argon2id =
    "argon2$argon2id$v=19$m=102400,t=2,p=8$c2FsdHNhbHRzYWx0MTIzNA"
    "$IMQUdAiOKA/h9v/Aq+mV2w";
static const char *const dj_argon2i =
    "argon2$argon2i$v=19$m=512,t=2,p=2$c2FsdHNhbHRzYWx0"
    "$4CP2udLMd1QoXB5fmxNCfg";
/* hashlib.pbkdf2_hmac('sha256', 'päss'.encode(), b'NaCl', 1000) */
static const char *const py_utf8 =
    "pbkdf2_sha256$1000$NaCl$SZRD3jbJAwdjqWWU8224bnGYsPoq7bI+4QIsUsuxVTA=";

UNIT_TEST(password_import_django_vectors_verify)
{
	CHECK(password_verify(dj_pbkdf2_sha256, PW));
	CHECK(!password_verify(dj_pbkdf2_sha256, PW "x"));
	CHECK(!password_verify(dj_pbkdf2_sha256, "correct horse "));
	CHECK(!password_verify(dj_pbkdf2_sha256, ""));
	CHECK(!password_verify(dj_pbkdf2_sha256, NULL));
	CHECK(password_verify(dj_pbkdf2_sha1, PW));
	CHECK(!password_verify(dj_pbkdf2_sha1, "Correct horse 1"));
	CHECK(password_verify(dj_argon2id, PW));
	CHECK(!password_verify(dj_argon2id, PW " "));
	CHECK(password_verify(dj_argon2i, PW));
	CHECK(!password_verify(dj_argon2i, "wrong"));
	CHECK(password_verify(py_utf8, "p\xc3\xa4ss"));
	CHECK(!password_verify(py_utf8, "pass"));
}

UNIT_TEST(password_import_tampered_hash_fails)
{
	char h[256];

	/* One bit of the stored key, the salt, or the count changed. */
	snprintf(h, sizeof h, "%s", dj_pbkdf2_sha256);
	h[strlen(h) - 3] = h[strlen(h) - 3] == 'A' ? 'B' : 'A';
	CHECK(!password_verify(h, PW));
	CHECK(!password_verify("pbkdf2_sha256$260000$saltsaltsalt1235$"
	    "U2MPgWxtdan9MYKojs/vDjqUhY+v2yNCLyAhmStmVsw=", PW));
	CHECK(!password_verify("pbkdf2_sha256$260001$saltsaltsalt1234$"
	    "U2MPgWxtdan9MYKojs/vDjqUhY+v2yNCLyAhmStmVsw=", PW));
	snprintf(h, sizeof h, "%s", dj_argon2id);
	h[strlen(h) - 2] = h[strlen(h) - 2] == 'A' ? 'B' : 'A';
	CHECK(!password_verify(h, PW));
}

UNIT_TEST(password_import_kind_table)
{
	static const struct { const char *h; enum pwhash_kind k; } cases[] = {
		{ "pbkdf2_sha256$260000$saltsaltsalt1234$"
		  "U2MPgWxtdan9MYKojs/vDjqUhY+v2yNCLyAhmStmVsw=",
		  PWHASH_PBKDF2 },
		{ "pbkdf2_sha256$1000000$s$AAAA", PWHASH_PBKDF2 },
		{ "pbkdf2_sha256$10000000$s$AAAA", PWHASH_PBKDF2 },
		/* cost and shape bounds */
		{ "pbkdf2_sha256$10000001$s$AAAA", PWHASH_UNKNOWN },
		{ "pbkdf2_sha256$0$s$AAAA", PWHASH_UNKNOWN },
		{ "pbkdf2_sha256$-1$s$AAAA", PWHASH_UNKNOWN },
		{ "pbkdf2_sha256$+5$s$AAAA", PWHASH_UNKNOWN },
		{ "pbkdf2_sha256$ 5$s$AAAA", PWHASH_UNKNOWN },
		{ "pbkdf2_sha256$99999999999999999999999$s$AAAA",
		  PWHASH_UNKNOWN },
		{ "pbkdf2_sha256$1000$$AAAA", PWHASH_UNKNOWN },
		{ "pbkdf2_sha256$1000$s$", PWHASH_UNKNOWN },
		{ "pbkdf2_sha256$1000$s$AAAA$", PWHASH_UNKNOWN },
		{ "pbkdf2_sha256$1000$s$AA!A", PWHASH_UNKNOWN },
		{ "pbkdf2_sha256$1000$s", PWHASH_UNKNOWN },
		{ "pbkdf2_sha256$1000", PWHASH_UNKNOWN },
		{ "pbkdf2_sha512$1000$s$AAAA", PWHASH_UNKNOWN },
		{ "argon2$argon2id$v=19$m=102400,t=2,p=8$c2FsdA$AAAAAAAA",
		  PWHASH_ARGON2 },
		{ "argon2$argon2i$m=512,t=2,p=2$c2FsdA$AAAAAAAA",
		  PWHASH_ARGON2 },
		{ "argon2$argon2id$v=19$m=262145,t=2,p=8$c2FsdA$AAAAAAAA",
		  PWHASH_UNKNOWN },
		{ "argon2$argon2id$v=19$m=1024,t=17,p=8$c2FsdA$AAAAAAAA",
		  PWHASH_UNKNOWN },
		{ "argon2$argon2id$v=19$m=1024,t=2,p=65$c2FsdA$AAAAAAAA",
		  PWHASH_UNKNOWN },
		{ "argon2$argon2id$v=19$m=1024,t=2,p=0$c2FsdA$AAAAAAAA",
		  PWHASH_UNKNOWN },
		{ "argon2$argon2id$v=19$t=2,m=1024,p=8$c2FsdA$AAAAAAAA",
		  PWHASH_UNKNOWN },
		{ "argon2$argon2id$v=19$m=1024,t=2,p=8$c2FsdA", PWHASH_UNKNOWN },
		{ "argon2$argon2id$v=19$m=1024,t=2,p=8$$AAAA", PWHASH_UNKNOWN },
		{ "argon2$argon2d$v=19$m=1024,t=2,p=8$c2FsdA$AAAAAAAA",
		  PWHASH_UNKNOWN },
		{ "$argon2id$v=19$m=65536,t=2,p=1$00UrUvfp/lHu2iu0XBalCw"
		  "$j+h0fbse0PSVyPvbB8NPrkXbZj76VWLvTETb7Nro7E8",
		  PWHASH_NATIVE },
		{ "md5$saltsaltsalt1234$15371b92c09a53b0007922eae3cb63a4",
		  PWHASH_UNKNOWN },
		{ "bcrypt_sha256$$2b$12$abcdefghijklmnopqrstuu", PWHASH_UNKNOWN },
		{ "!8gEsVd8JUz3OItFSVQnpZCQxHlfWC231tcxjqvNl", PWHASH_UNKNOWN },
		{ "", PWHASH_UNKNOWN },
	};

	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		CHECK_INT(password_hash_kind(cases[i].h), cases[i].k);
		CHECK_INT(password_needs_upgrade(cases[i].h),
		    cases[i].k == PWHASH_PBKDF2 || cases[i].k == PWHASH_ARGON2);
	}
	CHECK_INT(password_hash_kind(NULL), PWHASH_UNKNOWN);
}

UNIT_TEST(password_import_unverifiable_never_matches)
{
	/* A format we cannot verify never lets anybody in, even "". */
	CHECK(!password_verify("md5$saltsaltsalt1234$"
	    "15371b92c09a53b0007922eae3cb63a4", PW));
	CHECK(!password_verify("!8gEsVd8JUz3OItFSVQnpZCQxHlfWC231tcxjqvNl",
	    ""));
	CHECK(!password_verify("pbkdf2_sha256$10000001$s$AAAA", PW));
}
