/*
 * ep_pages.c - the HTML pages for people: sign-in, account, and the CSS.
 *
 * Plain HTML forms that work without JavaScript. Every piece of text put
 * into a page goes through buf_html_escape(); the pages forbid framing and
 * scripts through Content-Security-Policy (response.c).
 */
#include <sodium.h>
#include <string.h>
#include <time.h>

#include <cJSON.h>

#include "device.h"
#include "endpoints.h"
#include "mfa.h"
#include "pages.h"
#include "parse.h"
#include "response.h"
#include "server.h"
#include "session.h"
#include "session_ops.h"
#include "stage.h"

static const char stylesheet[] =
	"*{box-sizing:border-box}\n"
	"body{font-family:system-ui,sans-serif;background:#f4f5f7;color:#1d2330;"
	"margin:0;padding:2rem}\n"
	"main{max-width:60rem;margin:2rem auto;background:#fff;padding:2rem;"
	"border-radius:8px;box-shadow:0 1px 4px rgba(0,0,0,.12)}\n"
	"h1{font-size:1.4rem;margin-top:0}\n"
	"h2{font-size:1.1rem;margin-top:1.6rem}\n"
	"label{display:block;margin:.8rem 0 .2rem}\n"
	"label.check{display:flex;gap:.5rem;align-items:center}\n"
	"input[type=text],input[type=password]{width:100%;padding:.5rem;"
	"border:1px solid #b8bec9;border-radius:4px;font-size:1rem}\n"
	"button{margin-top:1rem;padding:.5rem 1rem;border:0;border-radius:4px;"
	"background:#2457c5;color:#fff;cursor:pointer;font-size:1rem}\n"
	"button.danger{background:#b3261e}\n"
	".msg{color:#b3261e;margin:.5rem 0}\n"
	".note{color:#4a5261;font-size:.9rem}\n"
	"table{border-collapse:collapse;width:100%;font-size:.9rem}\n"
	"td,th{text-align:left;padding:.4rem;border-bottom:1px solid #e2e5ea;"
	"vertical-align:top}\n"
	"td.act button{margin-top:0}\n"
	"tr.current{background:#eef3fd}\n"
	".badge{font-size:.75rem;background:#2457c5;color:#fff;"
	"border-radius:3px;padding:.05rem .35rem;white-space:nowrap}\n"
	"time{text-decoration:underline dotted}\n"
	"code{overflow-wrap:anywhere}\n"
	"svg.qr{display:block;max-width:100%;height:auto;margin:.5rem 0}\n"
	"ol.steps{padding-left:1.2rem}\n"
	"ul.codes{columns:2;list-style:none;padding:0;font-size:1.05rem}\n"
	"main.narrow{max-width:28rem}\n"
	"form.inline{display:inline}\n"
	"section{border-top:1px solid #e2e5ea;margin-top:1.5rem}\n"
	/* a phone: rows become cards, every cell labelled, nothing overflows */
	"@media (max-width:40rem){body{padding:0}"
	"main{margin:0;padding:1rem;border-radius:0;box-shadow:none}"
	"table.sessions thead{display:none}"
	"table.sessions,table.sessions tbody,table.sessions tr,"
	"table.sessions td{display:block;width:100%}"
	"table.sessions tr{border:1px solid #e2e5ea;border-radius:6px;"
	"margin:0 0 .8rem;padding:.4rem .6rem}"
	"table.sessions td{border:0;padding:.2rem 0}"
	"table.sessions td[data-label]::before{content:attr(data-label);"
	"display:block;font-size:.75rem;color:#4a5261}"
	"ul.codes{columns:1}}\n";

/*
 * The one rule for "answer this request with a page" (SPEC "Browser
 * sign-in"): a form body, as a browser's <form> posts it, that carries an
 * rd field or came with Accept: text/html. A JSON body, a request without
 * a body, or a script posting a bare form keep the JSON answers. The body
 * is read here when no endpoint has read it yet (a request refused before
 * its endpoint ran); a body that cannot be read has no rd. The body is not
 * read when Accept decides and the caller wants no rd.
 */
bool
wants_html(struct request *r, char *rd, size_t rdsz)
{
	char own[sizeof ((struct login_form *)0)->rd];
	bool want_rd = rd != NULL, html = false;

	if (!want_rd) {
		rd = own;
		rdsz = sizeof own;
	}
	rd[0] = '\0';
	if (body_kind_of(r->content_type) != BODY_FORM)
		goto out;
	html = strstr(r->accept, "text/html") != NULL;
	if ((html && !want_rd) || request_read_body(r, LOGIN_BODY_MAX) != 0)
		goto out;
	if (form_get(r->body.data, r->body.len, "rd", rd, rdsz) == 1)
		html = true;
	else
		rd[0] = '\0';
out:
	return html;
}

void
page_begin(struct request *r, int status, const char *heading, bool wide)
{
	const struct config *cfg = &r->w->srv->cfg;
	struct buf *b = &r->res.body;

	r->res.status = status;
	r->res.content_type = "text/html; charset=utf-8";
	r->res.html = true;
	buf_reset(b);
	buf_puts(b, "<!DOCTYPE html>\n<html lang=\"en\"><head>"
	    "<meta charset=\"utf-8\">"
	    "<meta name=\"viewport\" content=\"width=device-width\">"
	    "<title>");
	/* the page's own name first, then the site's ("Account — Sign in") */
	if (strcmp(heading, cfg->ui_title) != 0) {
		buf_html_escape(b, heading);
		buf_puts(b, " \xe2\x80\x94 ");
	}
	buf_html_escape(b, cfg->ui_title);
	buf_puts(b, "</title><link rel=\"stylesheet\" href=\"");
	buf_html_escape(b, cfg->route_prefix);
	buf_puts(b, wide ? "/static/style.css\"></head><body><main><h1>" :
	    "/static/style.css\"></head><body><main class=\"narrow\"><h1>");
	buf_html_escape(b, heading);
	buf_puts(b, "</h1>\n");
}

void
page_end(struct request *r)
{
	buf_puts(&r->res.body, "</main></body></html>\n");
}

void
form_open(struct request *r, const char *path, const char *cls)
{
	struct buf *b = &r->res.body;

	buf_puts(b, "<form method=\"post\"");
	if (cls != NULL)
		buf_printf(b, " class=\"%s\"", cls);
	buf_puts(b, " action=\"");
	buf_html_escape(b, r->w->srv->cfg.route_prefix);
	buf_html_escape(b, path);
	buf_puts(b, "\">");
}

void
page_login(struct request *r, int status, const char *rd, const char *message)
{
	page_login_user(r, status, rd, message, NULL);
}

void
page_login_user(struct request *r, int status, const char *rd,
    const char *message, const char *username)
{
	struct buf *b = &r->res.body;

	page_begin(r, status, r->w->srv->cfg.ui_title, false);
	if (message != NULL) {
		buf_puts(b, "<p class=\"msg\" role=\"alert\">");
		buf_html_escape(b, message);
		buf_puts(b, "</p>\n");
	}
	form_open(r, "/login", NULL);
	buf_puts(b, "<input type=\"hidden\" name=\"rd\" value=\"");
	buf_html_escape(b, rd != NULL ? rd : "");
	buf_puts(b, "\">\n<label for=\"username\">Username</label>"
	    "<input type=\"text\" id=\"username\" name=\"username\" "
	    "autocomplete=\"username\" required");
	if (username != NULL && username[0] != '\0') {
		buf_puts(b, " value=\"");
		buf_html_escape(b, username);
		buf_puts(b, "\">\n");
	} else {
		buf_puts(b, " autofocus>\n");
	}
	buf_puts(b, "<label for=\"password\">Password</label>"
	    "<input type=\"password\" id=\"password\" name=\"password\" "
	    "autocomplete=\"current-password\" required");
	buf_puts(b, username != NULL && username[0] != '\0' ?
	    " autofocus>\n" : ">\n");
	/* offered only when configured (SPEC [session] remember_age) */
	if (r->w->srv->cfg.remember_age > 0)
		buf_puts(b, "<label class=\"check\"><input type=\"checkbox\" "
		    "name=\"remember\" value=\"1\"> Keep me signed in</label>\n");
	buf_puts(b, "<button type=\"submit\">Sign in</button></form>\n");
	page_end(r);
}

void
page_locked(struct request *r, int64_t retry_after)
{
	page_begin(r, 429, "Too many attempts", false);
	buf_printf(&r->res.body, "<p>Too many failed sign-in attempts. "
	    "Try again in %lld seconds.</p>\n", (long long)retry_after);
	page_end(r);
}

void
page_error(struct request *r, int status, const char *message)
{
	struct buf *b = &r->res.body;

	page_begin(r, status, http_reason(status), false);
	buf_puts(b, "<p class=\"msg\" role=\"alert\">");
	buf_html_escape(b, message != NULL ? message : http_reason(status));
	buf_puts(b, "</p>\n<p><a href=\"");
	buf_html_escape(b, r->w->srv->cfg.route_prefix);
	buf_puts(b, "/login\">Back to the sign-in page</a></p>\n");
	page_end(r);
}

int
ep_login_page(struct request *r)
{
	char rd[2048];

	if (rd_from_query(r->query, rd, sizeof rd) != 0)
		rd[0] = '\0';
	page_login(r, 200, rd, NULL);
	r->res.no_store = true;
	return STAGE_DONE;
}

static void
format_time(char out[32], double t)
{
	time_t tt = (time_t)t;
	struct tm tm;

	gmtime_r(&tt, &tm);
	strftime(out, 32, "%Y-%m-%d %H:%M:%S UTC", &tm);
}

static const char *
field(const cJSON *o, const char *name)
{
	const char *v = cJSON_GetStringValue(cJSON_GetObjectItem(o, name));

	return v != NULL ? v : "";
}

/* <time> with the relative text, the exact UTC time on hover. */
static void
time_cell(struct request *r, const cJSON *s, const char *name)
{
	struct buf *b = &r->res.body;
	double t = cJSON_GetNumberValue(cJSON_GetObjectItem(s, name));
	char exact[32], ago[TIME_AGO_MAX];

	format_time(exact, t);
	time_ago(r->now, (int64_t)t, ago, sizeof ago);
	buf_puts(b, "<time title=\"");
	buf_html_escape(b, exact);
	buf_puts(b, "\">");
	buf_html_escape(b, ago);
	buf_puts(b, "</time>");
}

/*
 * One session: a row of the table on wide screens, a card on narrow ones
 * (the stylesheet stacks the cells; data-label names each one there).
 * The raw user agent stays in the device name's title and the JSON API.
 */
static void
session_row(struct request *r, const cJSON *s)
{
	struct buf *b = &r->res.body;
	const char *handle = field(s, "handle");
	bool current = cJSON_IsTrue(cJSON_GetObjectItem(s, "current"));
	char device[DEVICE_NAME_MAX];

	device_name(field(s, "user_agent"), device, sizeof device);
	buf_printf(b, "<tr%s><td data-label=\"Device\"><span class=\"device\" "
	    "title=\"", current ? " class=\"current\"" : "");
	buf_html_escape(b, field(s, "user_agent"));
	buf_puts(b, "\">");
	buf_html_escape(b, device);
	buf_puts(b, "</span>");
	if (current)
		buf_puts(b, " <strong class=\"badge\">This device</strong>");
	buf_puts(b, "</td><td data-label=\"Signed in\">");
	time_cell(r, s, "created_at");
	buf_puts(b, "</td><td data-label=\"Last active\">");
	time_cell(r, s, "last_seen");
	buf_puts(b, "</td><td data-label=\"IP address\">");
	buf_html_escape(b, field(s, "ip"));
	buf_puts(b, "</td><td data-label=\"Session\"><code>");
	buf_html_escape(b, handle);
	buf_puts(b, "</code></td><td class=\"act\">");
	buf_puts(b, "<form method=\"post\" class=\"inline\" action=\"");
	buf_html_escape(b, r->w->srv->cfg.route_prefix);
	buf_puts(b, "/sessions/");
	buf_html_escape(b, handle);
	buf_puts(b, "/revoke\"><button class=\"danger\" type=\"submit\">");
	buf_puts(b, "Revoke");
	buf_puts(b, "</button></form></td></tr>\n");
}

/* The second-factor part of the account page. */
static void
account_mfa(struct request *r, const char *message)
{
	struct buf *b = &r->res.body;
	struct mfa_enrolment e;

	if (r->w->srv->cfg.mfa_totp == MFA_OFF)
		return;
	if (mfa_enrolled(&r->user)) {
		int left = 0;

		for (int i = 0; i < MFA_RECOVERY_CODES; i++)
			if (!(r->user.mfa.recovery_used & (1LL << i)))
				left++;
		buf_printf(b, "<section id=\"mfa\"><h2>Two-step sign-in</h2>"
		    "<p>On. %d of %d recovery codes left. To turn it off or "
		    "move it to a new phone, ask an administrator.</p>"
		    "</section>\n", left, MFA_RECOVERY_CODES);
		return;
	}
	if (mfa_enrol_begin(r, &r->user, &e) == 0)
		page_enrol_section(r, &e, message);
	sodium_memzero(&e, sizeof e);
}

int
ep_account_page(struct request *r)
{
	return account_page(r, 200, NULL);
}

/* Change the password: current one, new one (min_password_length). */
static void
account_password(struct request *r, const char *message)
{
	struct buf *b = &r->res.body;

	buf_puts(b, "<section id=\"password\"><h2>Password</h2>\n");
	if (message != NULL) {
		buf_puts(b, "<p class=\"msg\" role=\"alert\">");
		buf_html_escape(b, message);
		buf_puts(b, "</p>\n");
	}
	form_open(r, "/password", NULL);
	/* for password managers: whose password this is */
	buf_puts(b, "<input type=\"text\" name=\"username\" "
	    "autocomplete=\"username\" hidden value=\"");
	buf_html_escape(b, r->user.name);
	buf_puts(b, "\">");
	buf_printf(b, "<label for=\"current_password\">Current password</label>"
	    "<input type=\"password\" id=\"current_password\" "
	    "name=\"current_password\" autocomplete=\"current-password\" "
	    "required>\n<label for=\"new_password\">New password (at least "
	    "%ld characters)</label><input type=\"password\" "
	    "id=\"new_password\" name=\"new_password\" "
	    "autocomplete=\"new-password\" minlength=\"%ld\" required>\n"
	    "<button type=\"submit\">Change password</button></form>"
	    "<p class=\"note\">This signs you out everywhere else.</p>"
	    "</section>\n", r->w->srv->cfg.login_min_password_length,
	    r->w->srv->cfg.login_min_password_length);
}

int
account_page(struct request *r, int status, const char *mfa_message)
{
	return account_page_msg(r, status, mfa_message, NULL);
}

int
account_page_msg(struct request *r, int status, const char *mfa_message,
    const char *password_message)
{
	struct buf *b = &r->res.body;
	cJSON *arr = cJSON_CreateArray(), *s;

	if (arr == NULL || session_list_json(r, arr) != 0) {
		cJSON_Delete(arr);
		return request_db_fail(r);
	}
	page_begin(r, status, "Your account", true);
	buf_puts(b, "<p>Signed in as <strong>");
	buf_html_escape(b, r->user.name);
	buf_puts(b, "</strong>.</p>\n<h2>Where you are signed in</h2>\n"
	    "<table class=\"sessions\"><thead><tr><th>Device</th>"
	    "<th>Signed in</th><th>Last active</th><th>IP address</th>"
	    "<th>Session</th><th></th></tr></thead><tbody>\n");
	cJSON_ArrayForEach(s, arr)
		session_row(r, s);
	buf_puts(b, "</tbody></table>\n");
	account_mfa(r, mfa_message);
	account_password(r, password_message);
	form_open(r, "/logout", "inline");
	buf_puts(b, "<button type=\"submit\">Sign out</button></form> ");
	form_open(r, "/logout-all", "inline");
	buf_puts(b, "<button class=\"danger\" type=\"submit\">"
	    "Sign out everywhere</button></form>\n");
	page_end(r);
	cJSON_Delete(arr);
	return STAGE_DONE;
}

int
ep_session_revoke_form(struct request *r)
{
	bool current = false;
	int rc = session_revoke_handle(r, &current);

	if (rc == 404) {
		/* a stale button (revoked in another tab): a page, not JSON */
		page_begin(r, 404, "Session not found", false);
		buf_puts(&r->res.body, "<p>That session does not exist any "
		    "more; nothing was revoked.</p>\n<p><a href=\"");
		buf_html_escape(&r->res.body, r->w->srv->cfg.route_prefix);
		buf_puts(&r->res.body, "/account\">Back to your account</a>"
		    "</p>\n");
		page_end(r);
		return STAGE_DONE;
	}
	if (rc != 0)
		return rc;
	if (current) {
		cookie_clear_header(r);
		response_redirect_login(r);
	} else {
		response_redirect_account(r);
	}
	return STAGE_DONE;
}

int
ep_static(struct request *r)
{
	if (r->arg_len != strlen("style.css") ||
	    strncmp(r->arg, "style.css", r->arg_len) != 0)
		return request_fail(r, 404, "not_found", "no such file");
	r->res.status = 200;
	r->res.content_type = "text/css; charset=utf-8";
	buf_append(&r->res.body, stylesheet, sizeof stylesheet - 1);
	(void)response_header(r, "Cache-Control", "public, max-age=3600");
	(void)response_header(r, "X-Content-Type-Options", "nosniff");
	return STAGE_DONE;
}
