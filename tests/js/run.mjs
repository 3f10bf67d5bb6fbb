#!/usr/bin/env node
/*
 * Unit tests of the site's JavaScript that needs no browser: the number
 * formatting of site/format.js (cards, tooltips, axis ticks, changes).
 *
 *     node tests/js/run.mjs [-k PATTERN]...
 *
 * The last line of output is always "js: N passed, N failed"; the exit
 * status is 1 when anything failed.
 */

import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const ROOT = path.resolve(HERE, '..', '..');
const require = createRequire(import.meta.url);
const F = require(path.join(ROOT, 'site', 'format.js'));

const TESTS = [];
function test(name, fn) { TESTS.push({ name, fn }); }

/* Each [input..., expected] row through fn. */
function table(fn, rows) {
	for (const row of rows) {
		const want = row[row.length - 1], args = row.slice(0, -1);
		assert.equal(fn(...args), want, `${fn.name}(${args.map((a) =>
		    JSON.stringify(a)).join(', ')})`);
	}
}

/* ---- whole numbers ---- */

test('integer groups thousands and rounds', () => table(F.integer, [
	[0, '0'], [7, '7'], [1406, '1,406'], [1605796, '1,605,796'],
	[37876603, '37,876,603'], [2.5, '3'], [-1234, '-1,234'], [-0.4, '0'],
	[NaN, ''], [null, ''], [undefined, ''],
]));

test('fixed keeps its decimals and never writes -0.0', () => table(F.fixed, [
	[1234.5, 2, '1,234.50'], [0, 1, '0.0'], [-0.04, 1, '0.0'],
	[-0.05, 1, '-0.1'], [-0.0, 2, '0.00'], [96.4321, 1, '96.4'],
	[1e6, 0, '1,000,000'],
]));

test('compact writes counts below 10,000 in full', () => table(F.compact, [
	[0, '0'], [51, '51'], [1406, '1,406'], [9999, '9,999'],
]));

test('compact uses K, M, B with one decimal below 100 of the unit', () => table(F.compact, [
	[10000, '10K'], [12345, '12.3K'], [37876, '37.9K'], [99949, '99.9K'],
	[123456, '123K'], [999499, '999K'], [1234567, '1.2M'], [1605796, '1.6M'],
	[37876603, '37.9M'], [2.5e9, '2.5B'], [4e12, '4T'],
]));

test('compact carries a rounding into the next unit', () => table(F.compact, [
	[99960, '100K'], [999600, '1M'], [999999, '1M'], [999.96e6, '1B'],
]));

test('compact is at most 5 characters from 0 to a trillion', () => {
	for (let v = 1; v < 1e12; v = Math.ceil(v * 1.37))
		assert.ok(F.compact(v).length <= 5, `compact(${v}) = "${F.compact(v)}"`);
});

/* ---- money ---- */

test('usd: 2 significant digits below a cent, 4 decimals below $1, else 2', () => table(F.usd, [
	[0, '$0.00'], [0.0012, '$0.0012'], [0.00001234, '$0.000012'],
	[0.000000001, '$0.000000001'], [0.4241, '$0.4241'], [0.05, '$0.0500'],
	[1.5, '$1.50'], [2.3192, '$2.32'], [1234.567, '$1,234.57'],
	[-2.5, '-$2.50'],
]));

test('usdCompact shortens $1,000 and more', () => table(F.usdCompact, [
	[0, '$0.00'], [2.3192, '$2.32'], [999.99, '$999.99'], [1000, '$1K'],
	[1234.57, '$1.2K'], [12400, '$12.4K'], [124000, '$124K'],
	[1.2e6, '$1.2M'], [0.0012, '$0.0012'], [0.0001, '$0.0001'],
	[0.00001234, '<$0.0001'],
]));

test('usdCompact is at most 8 characters', () => {
	for (let v = 0.000000001; v < 1e12; v *= 1.37)
		assert.ok(F.usdCompact(v).length <= 8, `usdCompact(${v}) = "${F.usdCompact(v)}"`);
});

test('usdExact keeps every decimal the data has, at least 2', () => table(F.usdExact, [
	[0, '$0.00'], [2.3192, '$2.3192'], [1.5, '$1.50'], [0.000012, '$0.000012'],
	[12400.123456789, '$12,400.123456789'], [0.1 + 0.2, '$0.30'],
]));

test('usdTick keeps the decimals its step needs ($1.50, not "$2")', () => {
	table(F.usdTick, [
		[0, 0.5, '$0.00'], [1.5, 0.5, '$1.50'], [2, 0.5, '$2.00'],
		[2, 1, '$2'], [0.0012, 0.0002, '$0.0012'], [0.3, 0.1, '$0.30'],
		[7.5, 2.5, '$7.50'], [20000, 5000, '$20,000'],
	]);
	/* a step just below 1e-6 (floating point) is not "no decimals" */
	table(F.usdTick, [[0.000001, 9.999999999999997e-7, '$0.000001'],
		[0.000003, 9.999999999999997e-7, '$0.000003']]);
	/* steps Chart.js gives, with their floating-point noise */
	const ticks = [0, 0.1, 0.2, 0.30000000000000004, 0.4].map((value) => ({ value }));
	const step = F.tickStep(ticks);
	assert.deepEqual(ticks.map((t) => F.usdTick(t.value, step)),
	    ['$0.00', '$0.10', '$0.20', '$0.30', '$0.40']);
});

test('the ticks of one axis are all different', () => {
	for (const step of [0.000001, 9.999999999999997e-7, 0.0001, 0.0005, 0.001, 0.002, 0.025, 0.1, 0.25, 0.5, 1, 2.5, 5, 100]) {
		const labels = [0, 1, 2, 3, 4, 5].map((i) => F.usdTick(i * step, step));
		assert.equal(new Set(labels).size, labels.length, `step ${step}: ${labels}`);
		labels.forEach((l, i) => assert.ok(Math.abs(Number(l.replace(/[$,]/g, '')) - i * step) < 1e-12,
		    `step ${step}: "${l}" is not ${i * step}`));
	}
});

test('tickStep is the smallest gap between ticks', () => {
	assert.equal(F.tickStep([{ value: 0 }, { value: 0.5 }, { value: 1 }]), 0.5);
	assert.equal(F.tickStep([{ value: 3 }]), 0);
	assert.equal(F.tickStep(undefined), 0);
});

/* ---- rates, times, changes ---- */

test('percent and seconds', () => {
	table(F.percent, [[96.4321, '96.4%'], [100, '100.0%'], [0, '0.0%'], [12.345, 2, '12.35%']]);
	table(F.seconds, [[0.854, '0.85 s'], [2.166, '2.17 s'], [9.996, '10.0 s'],
		[12.34, '12.3 s'], [123.4, '123 s'], [1234.5, '1,235 s']]);
});

test('changePct: signed, one decimal, no "-0.0%", none without a base', () => table(F.changePct, [
	[1406, 2234, '-37.1%'], [2.17, 2.11, '+2.8%'], [100, 100, '0.0%'],
	[99999, 100000, '0.0%'], [100001, 100000, '0.0%'], [5, 0, null],
	[null, 3, null], [0, 5, '-100.0%'],
]));

test('changePp: percentage points, no "-0.0 pp"', () => table(F.changePp, [
	[96.4, 97.1, '-0.7 pp'], [97.1, 95.9, '+1.2 pp'], [50, 50, '0.0 pp'],
	[96.44, 96.46, '0.0 pp'], [null, 50, null],
]));

test('every UI word is in TEXT', () => {
	for (const k of ['locale', 'currency', 'percent', 'pp', 'seconds', 'units'])
		assert.ok(k in F.TEXT, k);
});

/* ---- runner ---- */

const K = [];
for (let i = 2; i < process.argv.length; i++)
	if (process.argv[i] === '-k')
		K.push(process.argv[++i].toLowerCase());
let passed = 0, failed = 0;
for (const t of TESTS) {
	if (K.length && !K.some((k) => t.name.toLowerCase().includes(k)))
		continue;
	try {
		await t.fn();
		passed++;
		console.log(`ok   ${t.name}`);
	} catch (e) {
		failed++;
		console.log(`FAIL ${t.name}\n    ${String(e.message).split('\n').join('\n    ')}`);
	}
}
console.log(`js: ${passed} passed, ${failed} failed`);
process.exit(failed || !passed ? 1 : 0);
