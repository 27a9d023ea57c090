/*
 * stage_handoff.c - moves requests that check a password off the FastCGI
 * workers (see stage.h and pwpool.h).
 *
 * The stage only decides; the worker does the handing over once chain_run
 * has returned, so nothing here touches a request another thread may
 * already be running. When the password queue is full the worker runs
 * this stage again with r->handoff_refused set, and the sign-in is
 * answered 503 + Retry-After at once: a browser form gets the sign-in page
 * again (rd kept), anything else the JSON error.
 */
#include <stdatomic.h>

#include "endpoints.h"
#include "metrics.h"
#include "pages.h"
#include "parse.h"
#include "response.h"
#include "server.h"
#include "stage.h"

static int
refuse_busy(struct request *r)
{
	char rd[sizeof ((struct login_form *)0)->rd] = "";
	int rc;

	atomic_fetch_add(&r->w->srv->metrics.logins[LR_BUSY], 1);
	(void)response_header(r, "Retry-After", "1");
	if (wants_html(r, rd, sizeof rd)) {
		page_login(r, 503, rd, "Many people are signing in right "
		    "now. Please try again in a moment.");
		rc = STAGE_DONE;
	} else {
		rc = request_fail(r, 503, "busy",
		    "too many sign-ins at once; retry in a second");
	}
	return rc;
}

int
stage_handoff(struct request *r)
{
	if (r->route == NULL || !(r->route->flags & RF_PASSWORD) ||
	    r->w->password_thread)
		return STAGE_NEXT;
	if (r->handoff_refused)
		return refuse_busy(r);
	return STAGE_HANDOFF;
}
