// mfa.test.mjs - the second factor, password change, "keep me signed in"
// and narrow screens, in a real headless Chromium (playwright-core +
// Debian's chromium), as a person would use them. Started by run.sh, which
// provides sessiongw + nginx at $BASE_URL with remember_age configured and
// a user $USER3 without a second factor. TOTP codes are computed here from
// the key the page shows (RFC 6238 with node's HMAC-SHA1), independently
// of the daemon. Screenshots go to $SHOT_DIR. Last line: "N passed, N failed".
import { chromium } from 'playwright-core';
import { createHmac } from 'node:crypto';
import { join } from 'node:path';

import { BASE, COOKIE, EXE, SHOTS, T, assert, count, eq, requireEnv, tester } from './harness.mjs';

const U = process.env.USER3 || 'carol', P = process.env.PASS3;
const U2 = process.env.USER2 || 'bob', P2 = process.env.PASS2;
const NEWP = 'a new passphrase for carol 77';

requireEnv(P, P2);
const test = tester('mfa.test.mjs');

function base32(s) {
	const abc = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
	let bits = 0, val = 0;
	const out = [];
	for (const c of s.replace(/=+$/, '')) {
		const i = abc.indexOf(c);
		if (i < 0) throw new Error(`not base32: ${c}`);
		val = (val << 5) | i;
		bits += 5;
		if (bits >= 8) { out.push((val >>> (bits - 8)) & 255); bits -= 8; }
	}
	return Buffer.from(out);
}
// RFC 6238: HMAC-SHA1 over the 8-byte big-endian step, dynamic truncation.
function totp(secret, offset = 0) {
	const step = Math.floor(Date.now() / 1000 / 30) + offset;
	const msg = Buffer.alloc(8);
	msg.writeBigUInt64BE(BigInt(step));
	const mac = createHmac('sha1', base32(secret)).update(msg).digest();
	const o = mac[19] & 15;
	const n = (mac.readUInt32BE(o) & 0x7fffffff) % 1000000;
	return String(n).padStart(6, '0');
}
// Not in the last seconds of a step: the codes used next must stay valid.
async function freshStep() {
	const left = 30 - (Date.now() / 1000) % 30;
	if (left < 5) await new Promise((r) => setTimeout(r, left * 1000 + 300));
}

const consoleLog = [];
function watch(ctx, label) {
	ctx.on('page', (page) => {
		page.setDefaultTimeout(T);
		page.on('console', (m) => consoleLog.push(`${label} console.${m.type()}: ${m.text()}`));
		page.on('pageerror', (e) => consoleLog.push(`${label} pageerror: ${e.message}`));
	});
}
const posted = (page, p) => page.waitForResponse((r) => r.request().method() === 'POST' &&
	new URL(r.url()).pathname === p, { timeout: T });
const at = (page, p) => page.waitForURL((u) => u.origin === BASE && u.pathname === p, { timeout: T });

async function passwordPage(page, user, pass, remember = false) {
	await page.goto(`${BASE}/app/`);
	await page.waitForSelector('form input#username');
	await page.fill('#username', user);
	await page.fill('#password', pass);
	if (remember) await page.check('input[name=remember]');
	const [resp] = await Promise.all([posted(page, '/session/login'),
		page.click('form button[type=submit]')]);
	return resp;
}
async function enterCode(page, code) {
	await page.fill('#otp', code);
	const [resp] = await Promise.all([posted(page, '/session/login/otp'),
		page.click('form button[type=submit]')]);
	return resp;
}
async function signOut(page) {
	await page.goto(`${BASE}/session/account`);
	await Promise.all([posted(page, '/session/logout'), page.click('button:text-is("Sign out")')]);
	await at(page, '/session/login');
}
async function noHorizontalScroll(page, what) {
	const [sw, iw] = await page.evaluate(() =>
		[document.documentElement.scrollWidth, window.innerWidth]);
	assert(sw <= iw, `${what}: scrollWidth ${sw} > innerWidth ${iw}`);
}

const browser = await chromium.launch({
	executablePath: EXE, headless: true, timeout: 30000,
	args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run',
		'--disable-background-networking', '--disable-component-update', '--disable-sync'],
});
const hardStop = setTimeout(() => {
	console.log('FAIL overall time limit (150 s) exceeded');
	console.log(`${count.passed} passed, ${count.failed + 1} failed`);
	process.exit(1);
}, 150000);

const ctx = await browser.newContext();
watch(ctx, 'D');
const D = await ctx.newPage();
let secret = '', codes = [];

try {
	await test('1. enrol on the account page: QR code (inline SVG) and key, a code from the key turns it on, ten recovery codes once', async () => {
		const r = await passwordPage(D, U, P);
		eq(r.status(), 303, 'password-only sign-in before enrolment');
		await D.goto(`${BASE}/session/account`);
		assert(await D.isVisible('section#mfa svg.qr'), 'no QR code');
		secret = (await D.textContent('code.secret')).trim();
		assert(/^[A-Z2-7]{32}$/.test(secret), `key: ${secret}`);
		const uri = await D.textContent('code.uri');
		assert(uri.startsWith('otpauth://totp/') && uri.includes(`secret=${secret}`), `uri: ${uri}`);
		await D.screenshot({ path: join(SHOTS, 'enrol.png'), fullPage: true });
		// a wrong code first: refused, still off
		await D.fill('section#mfa #otp', totp(secret) === '000000' ? '111111' : '000000');
		let [resp] = await Promise.all([posted(D, '/session/mfa'), D.click('section#mfa button[type=submit]')]);
		eq(resp.status(), 400, 'wrong enrolment code');
		assert((await D.textContent('section#mfa .msg')).includes('not right'), 'message');
		secret = (await D.textContent('code.secret')).trim();
		await freshStep();
		await D.fill('section#mfa #otp', totp(secret));
		[resp] = await Promise.all([posted(D, '/session/mfa'), D.click('section#mfa button[type=submit]')]);
		eq(resp.status(), 200, 'enrolment status');
		codes = await D.$$eval('ul.codes code', (els) => els.map((e) => e.textContent));
		eq(codes.length, 10, 'recovery codes');
		assert(codes.every((c) => /^[0-9a-f]{4}(-[0-9a-f]{4}){3}$/.test(c)), `codes: ${codes}`);
		await D.screenshot({ path: join(SHOTS, 'recovery-codes.png'), fullPage: true });
		await D.goto(`${BASE}/session/account`);
		assert((await D.textContent('section#mfa')).includes('10 of 10 recovery codes left'), 'account shows it on');
		eq(await D.locator('code.secret').count(), 0, 'the key is not shown again');
	});

	await test('2. sign out, sign in with password + code; the password is not in the code page', async () => {
		await signOut(D);
		const r = await passwordPage(D, U, P);
		eq(r.status(), 200, 'password page answer');
		await D.waitForSelector('#otp');
		eq(await D.locator('input[type=password]').count(), 0, 'password field on the code page');
		assert(!(await D.content()).includes(P), 'password in the page');
		const c = (await ctx.cookies(BASE)).find((x) => x.name === COOKIE && x.value);
		assert(!c, 'a session cookie before the code');
		const pend = (await ctx.cookies(`${BASE}/session/login/otp`)).find((x) => x.name === `${COOKIE}_mfa`);
		assert(pend && pend.httpOnly && pend.sameSite === 'Strict', `pending cookie: ${JSON.stringify(pend)}`);
		await D.screenshot({ path: join(SHOTS, 'code-page.png'), fullPage: true });
		await freshStep();
		const resp = await enterCode(D, totp(secret, 1));
		eq(resp.status(), 303, 'code accepted');
		await at(D, '/app/');
		await D.waitForSelector('#protected');
	});

	await test('3. a recovery code signs in once; the second use is refused', async () => {
		await signOut(D);
		await passwordPage(D, U, P);
		await D.waitForSelector('#otp');
		let resp = await enterCode(D, codes[0]);
		eq(resp.status(), 303, 'recovery code accepted');
		await at(D, '/app/');
		await signOut(D);
		await passwordPage(D, U, P);
		await D.waitForSelector('#otp');
		resp = await enterCode(D, codes[0]);
		eq(resp.status(), 401, 'second use');
		assert(await D.isVisible('.msg[role=alert]'), 'no message');
		resp = await enterCode(D, codes[1]);
		eq(resp.status(), 303, 'another recovery code');
		await at(D, '/app/');
	});

	await test('4. change the password on the account page; the new one signs in', async () => {
		await D.goto(`${BASE}/session/account`);
		await D.fill('#current_password', P);
		await D.fill('#new_password', NEWP);
		const [resp] = await Promise.all([posted(D, '/session/password'),
			D.click('section#password button[type=submit]')]);
		eq(resp.status(), 303, 'change status');
		await at(D, '/session/account');
		await signOut(D);
		const r = await passwordPage(D, U, P);
		eq(r.status(), 401, 'old password');
		await passwordPage(D, U, NEWP);
		await D.waitForSelector('#otp');
		eq((await enterCode(D, codes[2])).status(), 303, 'new password + recovery code');
		await at(D, '/app/');
	});

	await test('5. "Keep me signed in" gives a cookie with Max-Age; without it a browser-session cookie', async () => {
		const c2 = await browser.newContext();
		const E = await c2.newPage();
		E.setDefaultTimeout(T);
		let r = await passwordPage(E, U2, P2, true);
		eq(r.status(), 303, 'sign-in');
		const sc = (await r.headerValues('set-cookie')).find((v) => v.startsWith(`${COOKIE}=`));
		assert(sc && /Max-Age=\d+/.test(sc), `Set-Cookie: ${sc}`);
		let c = (await c2.cookies(BASE)).find((x) => x.name === COOKIE);
		assert(c && c.expires > Date.now() / 1000 + 3600, `cookie expires: ${c && c.expires}`);
		await c2.close();
		const c3 = await browser.newContext();
		const F = await c3.newPage();
		F.setDefaultTimeout(T);
		r = await passwordPage(F, U2, P2, false);
		c = (await c3.cookies(BASE)).find((x) => x.name === COOKIE);
		eq(c && c.expires, -1, 'session cookie without the box');
		await c3.close();
	});

	for (const width of [390, 1280]) {
		await test(`6. at ${width} px: sign-in, code and account pages have no horizontal scroll`, async () => {
			const c = await browser.newContext({ viewport: { width, height: 800 },
				userAgent: 'Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1' });
			watch(c, `W${width}`);
			const W = await c.newPage();
			await W.goto(`${BASE}/session/login?rd=/app/`);
			await noHorizontalScroll(W, 'sign-in page');
			await W.screenshot({ path: join(SHOTS, `login-${width}.png`), fullPage: true });
			await passwordPage(W, U, NEWP);
			await W.waitForSelector('#otp');
			await noHorizontalScroll(W, 'code page');
			await W.screenshot({ path: join(SHOTS, `code-${width}.png`), fullPage: true });
			eq((await enterCode(W, codes[width === 390 ? 3 : 4])).status(), 303, 'signed in');
			await W.goto(`${BASE}/session/account`);
			await W.waitForSelector('table.sessions');
			const rows = await W.locator('table.sessions tbody tr').count();
			assert(rows >= 2, `sessions listed: ${rows}`);
			assert((await W.textContent('table.sessions')).includes('Safari on iPhone'), 'device name');
			await noHorizontalScroll(W, 'account page');
			await W.screenshot({ path: join(SHOTS, `account-${width}.png`), fullPage: true });
			await c.close();
		});
	}

	await test('7. no CSP violations or page errors', async () => {
		const bad = consoleLog.filter((m) => /Content.Security.Policy|pageerror/i.test(m));
		eq(bad.length, 0, `messages:\n${bad.join('\n')}`);
	});
} catch (e) {
	count.failed++;
	console.log(`FAIL setup: ${e && e.stack || e}`);
} finally {
	await browser.close().catch(() => {});
	clearTimeout(hardStop);
}
if (consoleLog.length) console.log(`console/page messages (${consoleLog.length}):\n  ${consoleLog.join('\n  ')}`);
console.log(`screenshots in ${SHOTS}`);
console.log(`${count.passed} passed, ${count.failed} failed`);
process.exit(count.failed === 0 && count.passed > 0 ? 0 : 1);
