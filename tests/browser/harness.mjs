// harness.mjs - what signin.test.mjs and mfa.test.mjs share: the settings
// run.sh passes in the environment, the test runner with its pass/fail
// counts (a test file's last line is "N passed, N failed" from count), and
// assert/eq.
import { mkdirSync } from 'node:fs';

export const BASE = process.env.BASE_URL;
export const SHOTS = process.env.SHOT_DIR || '/tmp/sessiongw-browser-shots';
export const EXE = process.env.CHROMIUM || '/usr/bin/chromium';
export const COOKIE = 'sessiongw';
export const T = 10000;

// Stop (exit 2, counted as one failure) unless run.sh set BASE_URL and
// every password in `secrets`; then make the screenshot directory.
export function requireEnv(...secrets) {
	if (!BASE || secrets.some((s) => !s)) {
		console.error('run me through tests/browser/run.sh');
		console.log('0 passed, 1 failed');
		process.exit(2);
	}
	mkdirSync(SHOTS, { recursive: true });
}

export const count = { passed: 0, failed: 0 };

// The test(name, fn) of one file: a failure shows the first lines of its
// stack and the first two that name `file`.
export function tester(file) {
	return async function test(name, fn) {
		try {
			await fn();
			count.passed++;
			console.log(`ok   ${name}`);
		} catch (e) {
			count.failed++;
			const lines = String(e && e.stack || e).split('\n');
			const where = lines.filter((l) => l.includes(file)).slice(0, 2);
			console.log(`FAIL ${name}\n     ${[...lines.slice(0, 4), ...where].join('\n     ')}`);
		}
	};
}
export function assert(cond, msg) { if (!cond) throw new Error(msg); }
export function eq(a, b, msg) {
	if (a !== b) throw new Error(`${msg}: got ${JSON.stringify(a)}, want ${JSON.stringify(b)}`);
}
