#!/usr/bin/env node
/*
 * Unit tests of the site's JavaScript that needs no browser: the words,
 * numbers and dates of site/format.js (cards, tooltips, axis ticks,
 * changes) in English and Traditional Chinese, and the "js" section of
 * the catalogues (locales/*.json) that the scripts read their words from.
 *
 *     node tests/js/run.mjs [-k PATTERN]...
 *
 * The last line of output is always "js: N passed, N failed"; the exit
 * status is 1 when anything failed.
 */

import assert from 'node:assert/strict';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const ROOT = path.resolve(HERE, '..', '..');
const require = createRequire(import.meta.url);
/* format.js as a page without a catalogue has it (an older report page) */
const BARE = require(path.join(ROOT, 'site', 'format.js'));
const LOCALES = path.join(ROOT, 'locales');
const catalogue = (name) => JSON.parse(fs.readFileSync(path.join(LOCALES, `${name}.json`), 'utf8'));
const EN = catalogue('en');
const ZH_CAT = catalogue('zh-TW');
/* The formatters of an en and a zh-TW page: their words are the catalogue's. */
const F = BARE.forLocale('en', EN.js, EN.source);
const ZH = BARE.forLocale('zh-TW', ZH_CAT.js, ZH_CAT.source);

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

/* ---- times (the zone of the data; a "YYYY-MM-DD" day is in no zone) ---- */

const THU = Date.parse('2026-11-26T10:00:05Z');    /* 18:00:05 in Taipei */
/* Intl may join a date and a time with a thin space (U+2009): any space. */
const sp = (s) => s.replace(/\s/g, ' ');

test('dates and times in English: full dates, 24-hour clocks', () => {
	assert.equal(F.dateFull('2026-11-30'), 'Monday, November 30, 2026');
	assert.equal(F.dateFull(THU, 'Asia/Taipei'), 'Thursday, November 26, 2026');
	assert.equal(sp(F.dateTimeFull(THU, 'Asia/Taipei')), 'Thursday, November 26, 2026 at 18:00');
	assert.equal(F.dayShort('2026-11-26'), 'Nov 26');
	assert.equal(F.dayShort(THU, 'America/New_York'), 'Nov 26');
	assert.equal(F.time(THU, 'Asia/Taipei'), '18:00');
	assert.equal(F.time(THU, 'Asia/Taipei', true), '18:00:05');
	assert.equal(F.time(THU, 'UTC'), '10:00');
	/* a day is the calendar's, whatever the zone */
	assert.equal(F.dateFull('2026-11-30', 'Pacific/Auckland'), 'Monday, November 30, 2026');
	assert.equal(F.time(NaN, 'UTC'), '');
});

test('a zone the browser does not know falls back to its own', () => {
	assert.match(F.time(THU, 'Nowhere/Atlantis'), /^[0-2][0-9]:[0-5][0-9]$/);
});

test('relative times and durations follow the locale', () => {
	table(F.ago, [[30000, '30 seconds ago'], [3 * 60000, '3 minutes ago'],
		[2 * 3600000, '2 hours ago'], [3 * 86400000, '3 days ago']]);
	table(F.duration, [[60000, '60 seconds'], [5 * 60000, '5 minutes'], [3600000, '60 minutes'],
		[3 * 3600000, '3 hours']]);
	table(ZH.ago, [[30000, '30 秒前'], [3 * 60000, '3 分鐘前'], [2 * 3600000, '2 小時前'],
		[3 * 86400000, '3 天前']]);
	table(ZH.duration, [[5 * 60000, '5 分鐘'], [3 * 3600000, '3 小時']]);
});

/* ---- Traditional Chinese (zh-TW) ---- */

test('zh-TW: dates as Taiwan writes them, 2026年11月30日 星期一', () => {
	assert.equal(ZH.dateFull('2026-11-30'), '2026年11月30日 星期一');
	assert.equal(ZH.dateFull(THU, 'Asia/Taipei'), '2026年11月26日 星期四');
	assert.equal(sp(ZH.dateTimeFull(THU, 'Asia/Taipei')), '2026年11月26日 星期四 18:00');
	assert.equal(sp(ZH.dateTimeFull(THU, 'Asia/Taipei', true)), '2026年11月26日 星期四 18:00:05');
	assert.equal(ZH.dayShort('2026-11-26'), '11月26日');
	/* a 24-hour clock, not 下午6:00 */
	assert.equal(ZH.time(THU, 'Asia/Taipei'), '18:00');
});

test('zh-TW: the same digits and separators, 萬 億 兆 for compact numbers', () => {
	table(ZH.integer, [[0, '0'], [1406, '1,406'], [1605796, '1,605,796'], [-0.4, '0']]);
	table(ZH.fixed, [[1234.5, 2, '1,234.50'], [-0.04, 1, '0.0']]);
	table(ZH.compact, [
		[9999, '9,999'], [10000, '1萬'], [12345, '1.2萬'], [123456, '12.3萬'],
		[1605796, '161萬'], [37876603, '3788萬'], [2.5e9, '25億'], [4e12, '4兆'],
		[999999, '100萬'], [-12345, '-1.2萬'],
	]);
	for (let v = 1; v < 1e12; v = Math.ceil(v * 1.37))
		assert.ok(ZH.compact(v).length <= 5, `compact(${v}) = "${ZH.compact(v)}"`);
});

test('zh-TW: cost stays in US dollars, written US$ (never NT$)', () => {
	table(ZH.usd, [[0, 'US$0.00'], [0.0012, 'US$0.0012'], [0.00001234, 'US$0.000012'],
		[0.4241, 'US$0.4241'], [1.5, 'US$1.50'], [1234.567, 'US$1,234.57'], [-2.5, '-US$2.50']]);
	/* between $1,000 and $10,000 the locale has no shorter form: whole dollars */
	table(ZH.usdCompact, [[999.99, 'US$999.99'], [1000, 'US$1,000'], [1234.57, 'US$1,235'],
		[12400, 'US$1.2萬'], [124000, 'US$12.4萬'], [1.2e6, 'US$120萬'],
		[0.00001234, '<US$0.0001']]);
	table(ZH.usdExact, [[2.3192, 'US$2.3192'], [1.5, 'US$1.50']]);
	table(ZH.usdTick, [[1.5, 0.5, 'US$1.50'], [2, 1, 'US$2'], [20000, 5000, 'US$20,000']]);
	for (let v = 0.000000001; v < 1e12; v *= 1.37) {
		const s = ZH.usdCompact(v);
		assert.ok(s.startsWith('US$') || s.startsWith('<US$'), s);
		assert.ok(!s.includes('NT'), s);
		assert.ok(s.length <= 10, `usdCompact(${v}) = "${s}"`);
	}
});

test('zh-TW: rates, seconds and changes in the catalogue\'s words', () => {
	table(ZH.percent, [[96.4321, '96.4%'], [0, '0.0%']]);
	table(ZH.seconds, [[0.854, '0.85 秒'], [123.4, '123 秒']]);
	assert.equal(ZH.seconds(2.1234567, 6), '2.123457 秒');
	table(ZH.changePct, [[1406, 2234, '-37.1%'], [2.17, 2.11, '+2.8%'], [5, 0, null]]);
	table(ZH.changePp, [[96.4, 97.1, '-0.7 個百分點'], [50, 50, '0.0 個百分點']]);
});

/* ---- words: the catalogue ---- */

test('t() fills {placeholders}; a key no catalogue has is shown as it is', () => {
	assert.equal(ZH.t('vs_until', { time: '14:37' }), '與昨天 14:37 前相比');
	assert.equal(F.t('vs_until', { time: '14:37' }), 'vs yesterday until 14:37');
	assert.equal(F.t('refreshed', { time: '{zone}' }), 'Refreshed {zone}');
	assert.equal(F.t('hour_note'), 'Local hours, {zone}');
	assert.equal(F.t('no_such_key'), 'no_such_key');
	assert.equal(F.has('no_such_key'), false);
	assert.equal(F.has('cost'), true);
});

test('a page without a catalogue (a report rendered before it) still names its chart in English', () => {
	const report = fs.readFileSync(path.join(ROOT, 'site', 'report.js'), 'utf8');
	const keys = [...report.matchAll(/\bT\('([a-z0-9_]+)'/g)].map((m) => m[1]);
	assert.ok(keys.length >= 3, `report.js asks for ${keys}`);
	for (const k of keys)
		assert.equal(BARE.t(k), EN.js[k], `js.${k} without a catalogue`);
	/* every English fallback is en.json's text */
	for (const [k, v] of Object.entries(BARE.EN))
		assert.equal(v, EN.js[k], `the fallback of js.${k}`);
	assert.equal(BARE.t('series_tip', { series: 'Requests', value: '1,234' }), 'Requests: 1,234');
});

test('plural() picks the locale\'s plural form', () => {
	assert.equal(F.plural('requests_n', 1, { count: 1 }), '1 request');
	assert.equal(F.plural('requests_n', 7, { count: 7 }), '7 requests');
	assert.equal(ZH.plural('requests_n', 1, { count: 1 }), '1 筆請求');
});

test('a page without a known language speaks English', () => {
	for (const tag of [undefined, '', 'xx-invalid-tag-!', null])
		assert.equal(BARE.forLocale(tag).locale, 'en', String(tag));
	assert.equal(BARE.forLocale('zh-TW').usd(1), 'US$1.00');
	assert.equal(BARE.sourceName('wechat'), 'wechat');
	assert.equal(F.sourceName('wechat'), 'WeChat');
	assert.equal(ZH.sourceName('wechat'), '微信');
});

/* Every {name} in a text. */
const holes = (text) => (text.match(/\{[a-z_]+\}/g) || []).sort();

test('every locale has every "js" key of en.json, with the same placeholders', () => {
	const files = fs.readdirSync(LOCALES).filter((f) => f.endsWith('.json'));
	assert.ok(files.includes('zh-TW.json'), files.join(' '));
	for (const f of files) {
		const js = JSON.parse(fs.readFileSync(path.join(LOCALES, f), 'utf8')).js || {};
		assert.deepEqual(Object.keys(js).sort(), Object.keys(EN.js).sort(), `${f}: "js" keys`);
		for (const [k, v] of Object.entries(js)) {
			assert.equal(typeof v, 'string', `${f}: js.${k}`);
			assert.ok(v.trim(), `${f}: js.${k} is empty`);
			assert.deepEqual(holes(v), holes(EN.js[k]), `${f}: js.${k} placeholders`);
		}
	}
});

test('zh-TW keeps the words the old dashboard\'s team knew', () => {
	const js = ZH_CAT.js;
	assert.equal(js.requests, '請求數');
	assert.equal(js.cost, '費用');
	assert.equal(ZH.sourceName('wechat'), '微信');
	/* no Latin word in a Chinese text but names (apimon, cron) */
	for (const [k, v] of Object.entries(js))
		for (const w of v.replace(/\{[a-z_]+\}/g, '').match(/[A-Za-z]{2,}/g) || [])
			assert.ok(['apimon', 'cron'].includes(w), `zh-TW js.${k}: "${w}" in "${v}"`);
});

/*
 * The keys the scripts ask for: T('key'), F.t('key'), F.has('key'),
 * F.plural('key', …); a key built as 'prefix_' + x counts as every key
 * of that prefix.
 */
function keysUsed() {
	const used = new Set(), prefixes = new Set();
	for (const f of ['dashboard.js', 'report.js', 'format.js', 'charts.js', 'explorer.js']) {
		const src = fs.readFileSync(path.join(ROOT, 'site', f), 'utf8');
		for (const m of src.matchAll(/\b(?:T|t|has|plural)\(\s*(?:[a-z]+ \? )?'([a-z0-9_]+)'(\s*\+)?/g))
			(m[2] ? prefixes : used).add(m[1]);
		for (const m of src.matchAll(/\bT\([^'()]*\? '([a-z0-9_]+)' :\s*'([a-z0-9_]+)'/g))
			used.add(m[1]).add(m[2]);
	}
	return { used, prefixes };
}

test('the scripts ask only for keys en.json has, and en.json has no unused "js" or "xp" key', () => {
	const { used, prefixes } = keysUsed();
	/* the explorer's words ("xp") are only on its page, with "js" */
	const words = { ...EN.js, ...EN.xp };
	const keys = Object.keys(words);
	for (const k of used)
		if (!/_$/.test(k))
			assert.ok(k in words || keys.some((x) => x.startsWith(k + '_')), `the scripts use js.${k}, en.json lacks it`);
	for (const k of keys)
		assert.ok(used.has(k) || [...used, ...prefixes].some((p) => k.startsWith(p.endsWith('_') ? p : p + '_')),
		    `en.json ${k in EN.js ? 'js' : 'xp'}.${k} is used by no script`);
	/* no words of their own left in the scripts */
	for (const f of ['dashboard.js', 'report.js'])
		assert.ok(!/\bTEXT\b/.test(fs.readFileSync(path.join(ROOT, 'site', f), 'utf8')), `${f}: a TEXT table`);
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
