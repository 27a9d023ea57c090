/*
 * ep_mfa.c - enrolling a second factor while signed in.
 *
 *   GET  /session/mfa   JSON: enrolled or not; when not (and [mfa] totp is
 *                       not off) a new enrolment: secret, otpauth URI and
 *                       the token to hand back with the first code.
 *   POST /session/mfa   JSON {"enrolment","otp"} or the account page's
 *                       form: a valid code turns it on; the ten recovery
 *                       codes are in the answer, shown this once.
 *
 * Removing a factor is the operator's (`user mfa-reset`), so that a stolen
 * session alone can never turn it off.
 */
#include <sodium.h>
#include <string.h>

#include <cJSON.h>

#include "endpoints.h"
#include "mfa.h"
#include "pages.h"
#include "parse.h"
#include "response.h"
#include "server.h"
#include "stage.h"

static int
recovery_left(const struct user *u)
{
	int n = 0;

	for (int i = 0; i < MFA_RECOVERY_CODES; i++)
		if (!(u->mfa.recovery_used & (1LL << i)))
			n++;
	return n;
}

int
ep_mfa_info(struct request *r)
{
	const struct config *cfg = &r->w->srv->cfg;
	static const char *const modes[] = {
		[MFA_OFF] = "off", [MFA_OPTIONAL] = "optional",
		[MFA_REQUIRED] = "required",
	};
	struct mfa_enrolment e;
	cJSON *o = cJSON_CreateObject();
	int rc = STAGE_DONE;

	memset(&e, 0, sizeof e);
	if (o == NULL)
		return request_fail(r, 500, "internal_error", "out of memory");
	cJSON_AddStringToObject(o, "totp", modes[cfg->mfa_totp]);
	cJSON_AddBoolToObject(o, "enrolled", mfa_enrolled(&r->user));
	if (mfa_enrolled(&r->user)) {
		cJSON_AddNumberToObject(o, "recovery_codes_left",
		    recovery_left(&r->user));
	} else if (cfg->mfa_totp != MFA_OFF) {
		if (mfa_enrol_begin(r, &r->user, &e) != 0) {
			cJSON_Delete(o);
			rc = request_fail(r, 500, "internal_error",
			    "cannot start an enrolment");
			goto out;
		}
		cJSON_AddStringToObject(o, "secret", e.b32);
		cJSON_AddStringToObject(o, "otpauth", e.uri);
		cJSON_AddStringToObject(o, "enrolment", e.token);
	}
	r->res.no_store = true;
	response_json(r, 200, o);
out:
	sodium_memzero(&e, sizeof e);
	return rc;
}

static void
codes_json(struct request *r, char codes[][MFA_RECOVERY_TEXT])
{
	cJSON *o = cJSON_CreateObject(), *arr = cJSON_CreateArray();

	for (int i = 0; arr != NULL && i < MFA_RECOVERY_CODES; i++)
		cJSON_AddItemToArray(arr, cJSON_CreateString(codes[i]));
	if (o != NULL && arr != NULL)
		cJSON_AddItemToObject(o, "recovery_codes", arr);
	else
		cJSON_Delete(arr);
	response_json(r, 200, o);
}

int
ep_mfa_enrol(struct request *r)
{
	char token[MFA_ENROL_TOKEN_MAX], otp[32], err[128];
	char codes[MFA_RECOVERY_CODES][MFA_RECOVERY_TEXT];
	struct body_field f[] = {
		{ "enrolment", token, sizeof token, true },
		{ "otp", otp, sizeof otp, true },
	};
	enum body_kind kind = body_kind_of(r->content_type);
	bool html = kind == BODY_FORM && wants_html(r, NULL, 0);
	int rc;

	memset(codes, 0, sizeof codes);
	if ((rc = request_read_body(r, LOGIN_BODY_MAX)) != 0)
		return request_body_fail(r, rc);
	if (r->w->srv->cfg.mfa_totp == MFA_OFF) {
		rc = request_fail(r, 403, "mfa_off",
		    "second factors are turned off here");
		goto out;
	}
	if (body_fields_parse(kind, r->body.data, r->body.len, f,
	    sizeof f / sizeof f[0], err, sizeof err) != 0) {
		rc = html ? account_page(r, 400, "Enter the code from the "
		    "app.") : request_fail(r, 400, "bad_request",
		    "enrolment and otp are required");
		goto out;
	}
	rc = mfa_enrol_finish(r, &r->user, token, otp, codes);
	if (rc < 0) {
		rc = r->err_status != 0 ? r->err_status : 500;
	} else if (rc > 0) {
		rc = html ? account_page(r, 400, "That code is not right "
		    "(or the setup expired). Try again with the new code "
		    "below.") : request_fail(r, 400, "bad_code",
		    "wrong code, expired enrolment, or already enrolled");
	} else if (html) {
		char next[300];

		snprintf(next, sizeof next, "%s/account",
		    r->w->srv->cfg.route_prefix);
		page_recovery_codes(r, next, codes);
		r->res.no_store = true;
		rc = STAGE_DONE;
	} else {
		codes_json(r, codes);
		r->res.no_store = true;
		rc = STAGE_DONE;
	}
out:
	sodium_memzero(token, sizeof token);
	sodium_memzero(otp, sizeof otp);
	sodium_memzero(codes, sizeof codes);
	return rc;
}
