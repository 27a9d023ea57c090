/*
 * mfa_pages.c - the second factor's HTML: the code page of a sign-in, the
 * enrolment (a QR code drawn here as inline SVG with libqrencode, plus
 * the otpauth:// text for typing it in), and the recovery codes page.
 *
 * No script and no outside service: the QR code is SVG markup inside the
 * page, which the pages' strict Content-Security-Policy allows as it is
 * (presentation attributes are not styles). Every text is escaped.
 */
#include <string.h>

#include <qrencode.h>

#include "mfa.h"
#include "pages.h"
#include "server.h"

#define QR_QUIET	4	/* modules of white border the spec asks for */

int
qr_svg(struct buf *b, const char *text)
{
	QRcode *q = QRcode_encodeString(text, 0, QR_ECLEVEL_M, QR_MODE_8, 1);
	int w, x, y;

	if (q == NULL)
		return -1;
	w = q->width + 2 * QR_QUIET;
	buf_printf(b, "<svg class=\"qr\" xmlns=\"http://www.w3.org/2000/svg\" "
	    "viewBox=\"0 0 %d %d\" width=\"%d\" height=\"%d\" role=\"img\" "
	    "aria-label=\"QR code for your authenticator app\" "
	    "shape-rendering=\"crispEdges\"><rect width=\"%d\" height=\"%d\" "
	    "fill=\"#fff\"/><path fill=\"#000\" d=\"", w, w, w * 5, w * 5, w,
	    w);
	/* one 1x1 square per dark module (bit 0 of each byte) */
	for (y = 0; y < q->width; y++)
		for (x = 0; x < q->width; x++)
			if (q->data[y * q->width + x] & 1)
				buf_printf(b, "M%d %dh1v1h-1z", x + QR_QUIET,
				    y + QR_QUIET);
	buf_puts(b, "\"/></svg>");
	QRcode_free(q);
	return 0;
}

static void
message_line(struct buf *b, const char *message)
{
	if (message == NULL)
		return;
	buf_puts(b, "<p class=\"msg\" role=\"alert\">");
	buf_html_escape(b, message);
	buf_puts(b, "</p>\n");
}

static void
hidden(struct buf *b, const char *name, const char *value)
{
	buf_printf(b, "<input type=\"hidden\" name=\"%s\" value=\"", name);
	buf_html_escape(b, value != NULL ? value : "");
	buf_puts(b, "\">\n");
}

static void
code_field(struct buf *b, const char *label)
{
	buf_puts(b, "<label for=\"otp\">");
	buf_html_escape(b, label);
	buf_puts(b, "</label><input type=\"text\" id=\"otp\" name=\"otp\" "
	    "inputmode=\"numeric\" autocomplete=\"one-time-code\" "
	    "maxlength=\"24\" required autofocus>\n");
}

void
page_otp(struct request *r, int status, const char *rd, const char *message)
{
	struct buf *b = &r->res.body;

	page_begin(r, status, "Enter your code", false);
	message_line(b, message);
	buf_puts(b, "<p>Open your authenticator app and enter the six-digit "
	    "code it shows for this site. Lost your phone? A recovery code "
	    "works here too, once.</p>\n");
	form_open(r, "/login/otp", NULL);
	hidden(b, "rd", rd);
	code_field(b, "Code");
	buf_puts(b, "<button type=\"submit\">Sign in</button></form>\n"
	    "<p><a href=\"");
	buf_html_escape(b, r->w->srv->cfg.route_prefix);
	buf_puts(b, "/login\">Start again</a></p>\n");
	page_end(r);
}

/* The QR code, the secret as text, and the fields of the enrol form. */
static void
enrol_body(struct request *r, const struct mfa_enrolment *e)
{
	struct buf *b = &r->res.body;

	buf_puts(b, "<ol class=\"steps\"><li>Scan this code with an "
	    "authenticator app (any TOTP app).</li>\n<li class=\"qrbox\">");
	if (qr_svg(b, e->uri) != 0)
		buf_puts(b, "(The QR code could not be drawn; type the key "
		    "below.)");
	buf_puts(b, "</li>\n<li>Or type this key in: <code class=\"secret\">");
	buf_html_escape(b, e->b32);
	buf_puts(b, "</code><details><summary>Setup link</summary>"
	    "<code class=\"uri\">");
	buf_html_escape(b, e->uri);
	buf_puts(b, "</code></details></li>\n<li>Enter the code the app "
	    "shows.</li></ol>\n");
}

void
page_enrol_signin(struct request *r, int status, const char *rd,
    const char *message, const struct mfa_enrolment *e)
{
	struct buf *b = &r->res.body;

	page_begin(r, status, "Set up two-step sign-in", false);
	message_line(b, message);
	buf_puts(b, "<p>This site asks for a code from an authenticator app "
	    "at every sign-in. Set it up now to continue.</p>\n");
	enrol_body(r, e);
	form_open(r, "/login/otp", NULL);
	hidden(b, "rd", rd);
	hidden(b, "enrolment", e->token);
	code_field(b, "Code from the app");
	buf_puts(b, "<button type=\"submit\">Turn on and sign in</button>"
	    "</form>\n");
	page_end(r);
}

void
page_enrol_section(struct request *r, const struct mfa_enrolment *e,
    const char *message)
{
	struct buf *b = &r->res.body;

	buf_puts(b, "<section id=\"mfa\"><h2>Two-step sign-in</h2>\n");
	message_line(b, message);
	buf_puts(b, "<p>Off. Turn it on to ask for a code from your phone "
	    "after your password.</p>\n");
	enrol_body(r, e);
	form_open(r, "/mfa", NULL);
	hidden(b, "enrolment", e->token);
	code_field(b, "Code from the app");
	buf_puts(b, "<button type=\"submit\">Turn on</button></form>"
	    "</section>\n");
}

void
page_recovery_codes(struct request *r, const char *next, char codes[][20])
{
	struct buf *b = &r->res.body;

	page_begin(r, 200, "Your recovery codes", false);
	buf_puts(b, "<p>Two-step sign-in is on. If you lose your phone, each "
	    "of these codes signs you in once instead of a code from the "
	    "app. Keep them somewhere safe: they are shown only now.</p>\n"
	    "<ul class=\"codes\">");
	for (int i = 0; i < MFA_RECOVERY_CODES; i++) {
		buf_puts(b, "<li><code>");
		buf_html_escape(b, codes[i]);
		buf_puts(b, "</code></li>");
	}
	buf_puts(b, "</ul>\n<p><a href=\"");
	buf_html_escape(b, next);
	buf_puts(b, "\">Continue</a></p>\n");
	page_end(r);
}
