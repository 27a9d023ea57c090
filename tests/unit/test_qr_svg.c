/*
 * test_qr_svg.c - the enrolment QR code: inline SVG made from libqrencode's
 * modules, square, with the quiet zone, nothing but markup (no script, no
 * style attribute the pages' CSP would refuse, no outside reference).
 */
#include <stdio.h>
#include <string.h>

#include "buf.h"
#include "pages.h"
#include "unit.h"

UNIT_TEST(qr_svg_markup)
{
	const char *uri = "otpauth://totp/sessiongw:alice?secret="
	    "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ&issuer=sessiongw&algorithm=SHA1"
	    "&digits=6&period=30";
	struct buf b;
	int w = 0, h = 0, modules = 0;
	const char *p;

	buf_init(&b);
	CHECK_INT(qr_svg(&b, uri), 0);
	CHECK(!buf_failed(&b));
	CHECK(strncmp(b.data, "<svg ", 5) == 0);
	CHECK(strstr(b.data, "</svg>") != NULL);
	CHECK(sscanf(strstr(b.data, "viewBox=\"") + 9, "0 0 %d %d", &w, &h)
	    == 2);
	CHECK_INT(w, h);
	/* version 1..40 is 21..177 modules, plus 4 of quiet zone each side */
	CHECK(w >= 29 && w <= 185 && (w - 8 - 21) % 4 == 0);
	for (p = b.data; (p = strstr(p, "h1v1h-1z")) != NULL; p++)
		modules++;
	CHECK(modules > (w - 8) * (w - 8) / 4);
	CHECK(strstr(b.data, "<script") == NULL);
	CHECK(strstr(b.data, "style=") == NULL);
	CHECK(strstr(b.data, "href") == NULL);
	/* the first module row starts inside the quiet zone's border */
	CHECK(strstr(b.data, "M4 4h1v1h-1z") != NULL);
	buf_free(&b);
}
