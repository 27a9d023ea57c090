// signin.test.mjs - sessiongw's sign-in pages, driven as a person would in a
// real headless Chromium (playwright-core + Debian's /usr/bin/chromium).
// Started by run.sh, which provides a sessiongw + nginx at $BASE_URL with
// users $USER1 / $USER2. The last line printed is "N passed, N failed".
import { chromium } from 'playwright-core';
import { copyFileSync } from 'node:fs';
import { join } from 'node:path';

import { BASE, COOKIE, EXE, SHOTS, T, assert, count, eq, requireEnv, tester } from './harness.mjs';

const U1 = process.env.USER1 || 'alice', P1 = process.env.PASS1;
const U2 = process.env.USER2 || 'bob', P2 = process.env.PASS2;
const TITLE = process.env.UI_TITLE || 'Sign in';

requireEnv(P1, P2);
const test = tester('signin.test.mjs');

const shots = [];
async function shot(page, name) {
	const p = join(SHOTS, name);
	await page.screenshot({ path: p, fullPage: true });
	shots.push(p);
	return p;
}

// Every console message, page error and failed request, from every page.
const consoleLog = [];
const offsite = [];
function watch(ctx, label) {
	ctx.on('page', (page) => watchPage(page, label));
	ctx.on('request', (req) => {
		const u = new URL(req.url());
		if (u.origin !== BASE) offsite.push(`${label}: ${req.url()}`);
	});
}
function watchPage(page, label) {
	page.setDefaultTimeout(T);
	page.setDefaultNavigationTimeout(T);
	page.on('console', (m) => consoleLog.push(`${label} console.${m.type()}: ${m.text()}`));
	page.on('pageerror', (e) => consoleLog.push(`${label} pageerror: ${e.message}`));
	page.on('requestfailed', (r) => consoleLog.push(`${label} requestfailed: ${r.url()} ${r.failure()?.errorText}`));
}

const path = (page) => { const u = new URL(page.url()); return u.pathname + u.search; };
const isLogin = (rd) => (u) => u.origin === BASE && u.pathname === '/session/login' &&
	(rd === undefined || u.search === `?rd=${rd}`);

// The CSS really applied: body background from style.css.
async function assertStyled(page, what) {
	const bg = await page.evaluate(() => getComputedStyle(document.body).backgroundColor);
	eq(bg, 'rgb(244, 245, 247)', `${what}: style.css not applied (body background)`);
}

// Fill the sign-in form and submit it; returns the POST's response.
async function signIn(page, user, pass) {
	await page.waitForSelector('form input#username', { timeout: T });
	await page.fill('#username', user);
	await page.fill('#password', pass);
	const [resp] = await Promise.all([
		page.waitForResponse((r) => r.request().method() === 'POST' &&
			new URL(r.url()).pathname === '/session/login', { timeout: T }),
		page.click('form button[type=submit]'),
	]);
	return resp;
}

async function sessionRows(page) {
	await page.waitForSelector('table', { timeout: T });
	return page.$$eval('table.sessions tbody tr', (trs) => trs.filter((tr) => tr.querySelector('td')).map((tr) => ({
		text: tr.textContent,
		current: tr.classList.contains('current'),
		handle: tr.querySelector('td code').textContent.trim(),
		ua: tr.querySelector('.device').getAttribute('title'),
		revoke: !!tr.querySelector('form[action$="/revoke"] button'),
	})));
}

const browser = await chromium.launch({
	executablePath: EXE,
	headless: true,
	timeout: 30000,
	args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
		'--disable-background-networking', '--disable-component-update', '--disable-sync'],
});
const hardStop = setTimeout(() => {
	console.log('FAIL overall time limit (100 s) exceeded');
	console.log(`${count.passed} passed, ${count.failed + 1} failed`);
	process.exit(1);
}, 100000);

const ctxA = await browser.newContext();
watch(ctxA, 'A');
const A = await ctxA.newPage();
let loginShot, accountShot;

try {
	await test('1. /app/ without a session goes to the sign-in page (rd=/app/), which shows the title and a form', async () => {
		const resp = await A.goto(`${BASE}/app/`, { waitUntil: 'load' });
		await A.waitForURL(isLogin('/app/'), { timeout: T });
		const first = resp.request().redirectedFrom();
		assert(first, 'no redirect recorded');
		eq((await first.response()).status(), 302, '/app/ status');
		eq(resp.status(), 200, 'sign-in page status');
		eq(await A.title(), TITLE, '<title>');
		eq((await A.textContent('h1')).trim(), TITLE, '<h1>');
		eq(await A.getAttribute('form', 'method'), 'post', 'form method');
		eq(await A.getAttribute('form', 'action'), '/session/login', 'form action');
		eq(await A.inputValue('form input[type=hidden][name=rd]'), '/app/', 'hidden rd');
		assert(await A.isVisible('input#username[name=username]'), 'username field');
		assert(await A.isVisible('input#password[type=password][name=password]'), 'password field');
		assert(await A.isVisible('form button[type=submit]'), 'submit button');
		eq(await A.locator('.msg').count(), 0, 'error message on a fresh form');
		const h = resp.headers();
		assert((h['content-security-policy'] || '').includes("default-src 'none'"), `CSP header: ${h['content-security-policy']}`);
		eq(h['x-content-type-options'], 'nosniff', 'X-Content-Type-Options');
		await assertStyled(A, 'sign-in page');
		loginShot = await shot(A, 'login.png');
	});

	let genericMsg;
	await test('2. a wrong password: 401, the form again with one generic error', async () => {
		const resp = await signIn(A, U1, 'not-the-password');
		eq(resp.status(), 401, 'status');
		await A.waitForSelector('.msg[role=alert]', { timeout: T });
		eq(await A.locator('.msg').count(), 1, 'number of error messages');
		genericMsg = (await A.textContent('.msg')).trim();
		assert(genericMsg.length > 0, 'empty message');
		assert(!genericMsg.includes(U1), `message names the user: ${genericMsg}`);
		eq(await A.inputValue('form input[type=hidden][name=rd]'), '/app/', 'hidden rd kept');
		eq(await A.inputValue('#password'), '', 'password field refilled');
		await assertStyled(A, 'error page');
		await shot(A, 'login-error.png');
		// an unknown user gets the very same message
		const resp2 = await signIn(A, 'no-such-user', 'whatever');
		eq(resp2.status(), 401, 'unknown user status');
		await A.waitForSelector('.msg[role=alert]', { timeout: T });
		eq(await A.locator('.msg').count(), 1, 'number of error messages (unknown user)');
		eq((await A.textContent('.msg')).trim(), genericMsg, 'unknown-user message differs');
	});

	await test('3. the right password lands on /app/; the cookie is HttpOnly and SameSite=Lax', async () => {
		const resp = await signIn(A, U1, P1);
		eq(resp.status(), 303, 'POST status');
		eq(resp.headers()['location'], '/app/', 'Location');
		await A.waitForURL((u) => u.origin === BASE && u.pathname === '/app/', { timeout: T });
		await A.waitForSelector('#protected', { timeout: T });
		eq((await A.textContent('#protected')).trim(), 'Protected page', 'protected content');
		const c = (await ctxA.cookies(BASE)).find((x) => x.name === COOKIE);
		assert(c, `no ${COOKIE} cookie in the browser`);
		eq(c.httpOnly, true, 'HttpOnly');
		eq(c.sameSite, 'Lax', 'SameSite');
		eq(c.path, '/', 'Path');
		eq(c.secure, false, 'Secure (cookie_secure=false)');
		const dc = await A.evaluate(() => document.cookie);
		assert(!dc.includes(COOKIE) && !dc.includes(c.value), `document.cookie shows it: ${dc}`);
		await shot(A, 'app.png');
	});

	await test('4. /session/account shows the user and the sessions table, this one marked', async () => {
		const resp = await A.goto(`${BASE}/session/account`);
		eq(resp.status(), 200, 'status');
		eq(path(A), '/session/account', 'URL');
		eq(await A.title(), `Your account — ${TITLE}`, '<title>');
		eq((await A.textContent('h1')).trim(), 'Your account', '<h1>');
		eq((await A.textContent('main p strong')).trim(), U1, 'signed-in user');
		const rows = await sessionRows(A);
		eq(rows.length, 1, 'session rows');
		assert(rows[0].current && rows[0].text.includes('This device'), `row not marked: ${rows[0].text}`);
		assert(/ on /.test(rows[0].text) && rows[0].text.includes('just now'), `device name / relative time: ${rows[0].text}`);
		assert(rows[0].revoke, 'no revoke button');
		assert(/^[0-9a-f]{12}$/.test(rows[0].handle), `handle: ${rows[0].handle}`);
		assert(await A.isVisible('button:text-is("Sign out")'), 'Sign out button');
		assert(await A.isVisible('button:text-is("Sign out everywhere")'), 'Sign out everywhere button');
		const h = resp.headers();
		assert((h['cache-control'] || '').includes('no-store'), `Cache-Control: ${h['cache-control']}`);
		assert((h['content-security-policy'] || '').includes("style-src 'self'"), 'CSP');
		await assertStyled(A, 'account page');
		accountShot = await shot(A, 'account.png');
	});

	const ctxB = await browser.newContext({
		userAgent: (await A.evaluate(() => navigator.userAgent)) + ' second-context',
	});
	watch(ctxB, 'B');
	const B = await ctxB.newPage();

	await test('5. a second browser signs in; the first sees two sessions, revokes the other; it is signed out', async () => {
		await B.goto(`${BASE}/app/`);
		await B.waitForURL(isLogin('/app/'), { timeout: T });
		const r = await signIn(B, U1, P1);
		eq(r.status(), 303, 'B sign-in status');
		await B.waitForURL((u) => u.pathname === '/app/', { timeout: T });
		await B.waitForSelector('#protected', { timeout: T });

		await A.reload();
		let rows = await sessionRows(A);
		eq(rows.length, 2, 'rows after the second sign-in');
		eq(rows.filter((x) => x.current).length, 1, 'rows marked current');
		const other = rows.find((x) => !x.current);
		assert(other.ua.includes('second-context'), `other row does not carry B's user agent: ${other.ua}`);
		await shot(A, 'account-two-sessions.png');

		const row = A.locator('table tr', { hasText: other.handle });
		const [rev] = await Promise.all([
			A.waitForResponse((x) => x.request().method() === 'POST' && x.url().endsWith('/revoke'), { timeout: T }),
			row.locator('form[action$="/revoke"] button').click(),
		]);
		eq(rev.status(), 303, 'revoke status');
		await A.waitForURL((u) => u.origin === BASE && u.pathname === '/session/account', { timeout: T });
		await A.waitForLoadState('load');
		rows = await sessionRows(A);
		eq(rows.length, 1, 'rows after revoke');
		assert(rows[0].current, 'the remaining row is not this one');
		assert(rows[0].handle !== other.handle, 'revoked row still listed');
		await shot(A, 'account-after-revoke.png');

		await B.goto(`${BASE}/app/`);
		await B.waitForURL(isLogin('/app/'), { timeout: T });
		eq(await B.locator('#protected').count(), 0, 'B still sees the protected page');
		const a = await A.goto(`${BASE}/app/`);
		eq(a.status(), 200, 'A lost its session too');
		eq(path(A), '/app/', 'A URL');
	});

	await test('6. "Sign out" goes to the sign-in page; /app/ sends to sign-in again', async () => {
		await A.goto(`${BASE}/session/account`);
		await A.waitForSelector('button:text-is("Sign out")', { timeout: T });
		const [resp] = await Promise.all([
			A.waitForResponse((x) => x.request().method() === 'POST' &&
				new URL(x.url()).pathname === '/session/logout', { timeout: T }),
			A.click('button:text-is("Sign out")'),
		]);
		eq(resp.status(), 303, 'logout status');
		await A.waitForURL(isLogin(), { timeout: T });
		await A.waitForSelector('form input#username', { timeout: T });
		const c = (await ctxA.cookies(BASE)).find((x) => x.name === COOKIE && x.value !== '');
		assert(!c, 'cookie still set after sign out');
		await A.goto(`${BASE}/app/`);
		await A.waitForURL(isLogin('/app/'), { timeout: T });
		const acc = await A.goto(`${BASE}/session/account`);
		await A.waitForURL(isLogin(), { timeout: T });
		eq(acc.request().redirectedFrom() && (await acc.request().redirectedFrom().response()).status(), 303,
			'/session/account without a session');
	});

	await test('7a. rd with a query string (& included) survives the round trip', async () => {
		await A.goto(`${BASE}/app/?x=1&y=two`);
		await A.waitForURL(isLogin('/app/?x=1&y=two'), { timeout: T });
		eq(await A.inputValue('form input[type=hidden][name=rd]'), '/app/?x=1&y=two', 'hidden rd');
		const r = await signIn(A, U2, P2);
		eq(r.status(), 303, 'status');
		await A.waitForURL((u) => u.pathname === '/app/' && u.search === '?x=1&y=two', { timeout: T });
		await A.waitForSelector('#protected', { timeout: T });
	});

	await test('7. an unsafe rd (//evil.example/) lands on / after sign-in, not off-site', async () => {
		const ctxC = await browser.newContext();
		watch(ctxC, 'C');
		const C = await ctxC.newPage();
		await C.goto(`${BASE}/session/login?rd=//evil.example/`);
		eq(await C.inputValue('form input[type=hidden][name=rd]'), '//evil.example/', 'hidden rd');
		const r = await signIn(C, U2, P2);
		eq(r.status(), 303, 'status');
		eq(r.headers()['location'], '/', 'Location');
		await C.waitForURL((u) => u.pathname === '/', { timeout: T });
		const u = new URL(C.url());
		eq(u.origin, BASE, 'origin after sign-in');
		eq(u.pathname + u.search, '/', 'path after sign-in');
		// signed in all the same
		await C.goto(`${BASE}/app/`);
		await C.waitForSelector('#protected', { timeout: T });
		await ctxC.close();
	});

	await test('8. no CSP violations, page errors or failed requests; nothing left the site', async () => {
		const bad = consoleLog.filter((m) => /Content Security Policy|Content-Security-Policy/i.test(m));
		eq(bad.length, 0, `CSP messages:\n${bad.join('\n')}`);
		const errs = consoleLog.filter((m) => / pageerror: | requestfailed: /.test(m));
		eq(errs.length, 0, `errors:\n${errs.join('\n')}`);
		eq(offsite.length, 0, `off-site requests:\n${offsite.join('\n')}`);
	});
	await ctxB.close();
} catch (e) {
	count.failed++;
	console.log(`FAIL setup: ${e && e.stack || e}`);
} finally {
	await browser.close().catch(() => {});
	clearTimeout(hardStop);
}

if (consoleLog.length) console.log(`console/page messages (${consoleLog.length}):\n  ${consoleLog.join('\n  ')}`);
if (loginShot) { copyFileSync(loginShot, '/tmp/sessiongw-login.png'); shots.push('/tmp/sessiongw-login.png'); }
if (accountShot) { copyFileSync(accountShot, '/tmp/sessiongw-account.png'); shots.push('/tmp/sessiongw-account.png'); }
console.log(`screenshots:\n  ${shots.join('\n  ')}`);
if (count.failed && process.env.LOG_DIR) console.log(`logs kept in ${process.env.LOG_DIR} (sessiongw.log, audit.log, nginx/)`);
console.log(`${count.passed} passed, ${count.failed} failed`);
process.exit(count.failed === 0 && count.passed > 0 ? 0 : 1);
