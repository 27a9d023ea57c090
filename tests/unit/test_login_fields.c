/*
 * test_login_fields.c - the login body's otp and remember fields, and
 * body_fields_parse (enrolment, password change): table-driven, valid and
 * invalid inputs, forms and JSON.
 */
#include <string.h>

#include "parse.h"
#include "unit.h"

UNIT_TEST(login_otp_and_remember)
{
	static const struct {
		enum body_kind kind;
		const char *body;
		int rc;
		const char *otp;
		bool remember;
	} t[] = {
		{ BODY_JSON, "{\"username\":\"a\",\"password\":\"b\"}", 0, "",
		    false },
		{ BODY_JSON, "{\"username\":\"a\",\"password\":\"b\","
		    "\"otp\":\"123456\",\"remember\":true}", 0, "123456", true },
		{ BODY_JSON, "{\"username\":\"a\",\"password\":\"b\","
		    "\"remember\":false}", 0, "", false },
		{ BODY_JSON, "{\"username\":\"a\",\"password\":\"b\","
		    "\"remember\":\"yes\"}", -1, "", false },
		{ BODY_JSON, "{\"username\":\"a\",\"password\":\"b\","
		    "\"otp\":123456}", -1, "", false },
		{ BODY_JSON, "{\"username\":\"a\",\"password\":\"b\","
		    "\"otp\":\"0123456789012345678901234567890123\"}", -1, "",
		    false },
		{ BODY_FORM, "username=a&password=b&otp=654321&remember=1", 0,
		    "654321", true },
		{ BODY_FORM, "username=a&password=b&remember=on", 0, "", true },
		{ BODY_FORM, "username=a&password=b&remember=0", 0, "", false },
		{ BODY_FORM, "username=a&password=b&otp=%zz", -1, "", false },
	};
	struct login_form f;
	char err[128];

	for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
		int rc = login_form_parse(t[i].kind, t[i].body,
		    strlen(t[i].body), &f, err, sizeof err);

		CHECK_INT(rc, t[i].rc);
		if (rc == 0) {
			CHECK_STR(f.otp, t[i].otp);
			CHECK(f.remember == t[i].remember);
		}
	}
}

UNIT_TEST(body_fields_required_and_types)
{
	static const struct {
		enum body_kind kind;
		const char *body;
		int rc;
		const char *cur, *new;
	} t[] = {
		{ BODY_JSON, "{\"current_password\":\"x\",\"new_password\":"
		    "\"yyyyyyyyyy\"}", 0, "x", "yyyyyyyyyy" },
		{ BODY_FORM, "current_password=x&new_password=a+b%21", 0, "x",
		    "a b!" },
		{ BODY_JSON, "{\"current_password\":\"x\"}", -1, "", "" },
		{ BODY_JSON, "{\"current_password\":\"x\",\"new_password\":\"\"}",
		    -1, "", "" },
		{ BODY_JSON, "{\"current_password\":\"x\",\"new_password\":7}",
		    -1, "", "" },
		{ BODY_JSON, "[\"current_password\",\"new_password\"]", -1, "",
		    "" },
		{ BODY_JSON, "{\"current_password\":\"x\\u0000\","
		    "\"new_password\":\"y\"}", -1, "", "" },
		{ BODY_OTHER, "current_password=x&new_password=y", -1, "", "" },
		{ BODY_FORM, "current_password=x&new_password=%", -1, "", "" },
	};
	char cur[16], new[16], err[128];
	struct body_field f[] = {
		{ "current_password", cur, sizeof cur, true },
		{ "new_password", new, sizeof new, true },
	};

	for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
		int rc = body_fields_parse(t[i].kind, t[i].body,
		    strlen(t[i].body), f, 2, err, sizeof err);

		CHECK_INT(rc, t[i].rc);
		CHECK_STR(cur, t[i].cur);
		CHECK_STR(new, t[i].new);
	}
	/* too long for its buffer (16 bytes with the NUL) */
	{
		const char *big = "current_password=x&"
		    "new_password=0123456789abcdef";

		CHECK_INT(body_fields_parse(BODY_FORM, big, strlen(big), f, 2,
		    err, sizeof err), -1);
	}
}
