/*
 * format.js: the words, numbers and dates of apimon's pages, in the page's
 * language (<html lang>; Intl), for dashboard.js and report.js.  It reads
 * the page's catalogue (#apimon-i18n: locales/LOCALE.json's "js" and
 * "source" over en) and font (style.css --font); its only other DOM work
 * is the cells of the tables (el, cell, clear), made as text, never as
 * markup.  window.apimonFormat in a browser; under Node module.exports
 * (en) and forLocale(tag, js, source).  tests/js/run.mjs is the specification:
 *   t(key, {name: v}) has(key) plural(key, n, vars) sourceName(id)
 *   integer 1,605,796  fixed 1,234.50  compact 9,999 12.3K 123K (zh-TW 萬)
 *   usd $0.0012 $0.4241 $1,234.57 (zh-TW US$)  usdCompact $1.2K <$0.0001
 *   usdExact $0.000012  usdTick $0.50  percent 96.4%  seconds 0.85 s
 *   changePct +37.1%  changePp +1.2 pp (a number rounded to 0 has no sign)
 *   isoDay 2026-11-26  time 18:05  dayShort Nov 26  dateFull 2026年11月30日
 *   星期一  dateTimeFull  ago 3 minutes ago  duration 3 minutes (zone z)
 */
(function (root, factory) {
	'use strict';
	var f = factory();

	/* The page's catalogue: {} when the page has none (an older page). */
	function catalogue(doc) {
		var el = doc.getElementById('apimon-i18n');

		try {
			return (el && JSON.parse(el.textContent)) || {};
		} catch (e) {
			return {};
		}
	}

	/* The page's font stack (style.css --font), for the charts. */
	function font(doc) {
		var s = root.getComputedStyle ? root.getComputedStyle(
		    doc.documentElement).getPropertyValue('--font') : '';

		return s.trim().replace(/\s+/g, ' ');
	}

	if (typeof module === 'object' && module.exports) {
		module.exports = f;
	} else {
		var cat = catalogue(root.document);

		root.apimonFormat = f.forLocale(
		    root.document.documentElement.getAttribute('lang'),
		    cat.js, cat.source);
		root.apimonFormat.font = font(root.document);
	}
}(this, function () {
	'use strict';

	/*
	 * The English words a page without a catalogue needs: a report page
	 * rendered before it had one (unchanged since, it is not rewritten).
	 * A unit test keeps them equal to locales/en.json's.
	 */
	var EN = {
		requests: 'Requests',
		cost_usd: 'Cost (USD)',
		series_tip: '{series}: {value}'
	};

	var COMPACT_FROM = 10000;	/* counts below this are written out */
	var USD_COMPACT_FROM = 1000;	/* money below this is written out */
	var USD_SMALLEST = 0.0001;	/* usdCompact() writes less as "<$0.0001" */
	var MINUS = '-', PLUS = '+', BELOW = '<';
	var NONE_SIGN = '\u2014';	/* a cell with nothing in it */
	var USD = { style: 'currency', currency: 'USD' };
	var PERCENT = { style: 'percent' };
	var DAY_RE = /^([0-9]{4})-([0-9]{2})-([0-9]{2})$/;

	function finite(v) {
		return typeof v === 'number' && isFinite(v);
	}

	/* The options of a and b in a new object. */
	function merge(a, b) {
		var o = {}, k;

		for (k in a)
			o[k] = a[k];
		for (k in b)
			o[k] = b[k];
		return o;
	}

	/* "{a} and {b}" with vars.a and vars.b; an unknown {name} stays. */
	function fill(text, vars) {
		return vars ? text.replace(/\{([a-z_]+)\}/g, function (m, k) {
			return Object.prototype.hasOwnProperty.call(vars, k) ?
			    String(vars[k]) : m;
		}) : text;
	}

	/*
	 * The decimals that write x exactly, up to max, forgiving only the
	 * noise of floating point (0.1 + 0.2, a step of 9.999999999999997e-7).
	 */
	function decimalsOf(x, max) {
		var n, y;

		for (n = 0; n < max; n++) {
			y = Math.abs(x) * Math.pow(10, n);
			if (Math.abs(y - Math.round(y)) < 1e-12 + 1e-14 * y)
				return n;
		}
		return max;
	}

	/* Decimals to show 2 significant digits of a (0 < a < 1). */
	function sigDecimals(a, digits) {
		return Math.max(0, digits - 1 - Math.floor(Math.log10(a)));
	}

	/* The step between Chart.js ticks [{ value }], for usdTick(). */
	function tickStep(ticks) {
		var i, d, step = 0;

		if (!Array.isArray(ticks))
			return 0;
		for (i = 1; i < ticks.length; i++) {
			d = Math.abs(ticks[i].value - ticks[i - 1].value);
			if (d > 0 && (step === 0 || d < step))
				step = d;
		}
		return step;
	}

	/* An element with a class and a text (never markup). */
	function el(tag, cls, text) {
		var e = document.createElement(tag);

		if (cls)
			e.className = cls;
		if (text !== undefined && text !== null)
			e.textContent = String(text);
		return e;
	}

	function clear(e) {
		while (e.firstChild)
			e.removeChild(e.firstChild);
	}

	/*
	 * A cell of the row tr; "—" for nothing.  One of data (a user,
	 * command, model, source) has its text as its title too, and the
	 * direction of its own text (dir="auto": Arabic or Hebrew reads from
	 * the right).
	 */
	function cell(tr, cls, text, data) {
		var td = el('td', cls);

		if (text === null || text === undefined || text === '') {
			td.appendChild(el('span', 'none', NONE_SIGN));
		} else {
			td.textContent = String(text);
			if (data) {
				td.title = String(text);
				td.setAttribute('dir', 'auto');
			}
		}
		tr.appendChild(td);
		return td;
	}

	/* A locale tag Intl knows, else English. */
	function known(tag) {
		try {
			return typeof tag === 'string' && tag &&
			    Intl.NumberFormat.supportedLocalesOf([tag]).length ?
			    tag : 'en';
		} catch (e) {
			return 'en';
		}
	}

	/*
	 * The formatter of locale tag with the catalogue's words (its "js"
	 * section) and source display names (its "source" section).
	 */
	function forLocale(tag, words, sources) {
		var locale = known(tag);
		var W = words && typeof words === 'object' ? words : {};
		var S = sources && typeof sources === 'object' ? sources : {};
		var cache = {};
		var plurals = new Intl.PluralRules(locale);

		/* Whether the catalogue (or the English fallback) has key. */
		function has(key) {
			return typeof W[key] === 'string' ||
			    Object.prototype.hasOwnProperty.call(EN, key);
		}

		function t(key, vars) {
			return fill(typeof W[key] === 'string' ? W[key] :
			    has(key) ? EN[key] : key, vars);
		}

		function plural(key, n, vars) {
			var k = key + '_' + plurals.select(n);

			return t(has(k) ? k : key + '_other', vars);
		}

		function sourceName(id) {
			return typeof S[id] === 'string' && S[id] ? S[id] : id;
		}

		/* One Intl formatter per options, made once. */
		function intl(Kind, opts) {
			var k = Kind.name + JSON.stringify(opts);

			if (!cache[k]) {
				try {
					cache[k] = new Kind(locale, opts);
				} catch (e) {	/* a zone this browser lacks */
					delete opts.timeZone;
					cache[k] = new Kind(locale, opts);
				}
			}
			return cache[k];
		}

		/* n decimals in style: undefined (plain), USD or PERCENT */
		function nf(n, style) {
			return intl(Intl.NumberFormat, merge(style, {
			    minimumFractionDigits: n, maximumFractionDigits: n }));
		}

		/*
		 * |v| with n decimals in style (plain, usd, percent), and the
		 * sign it keeps after rounding ("+" too when plus).
		 */
		function signed(v, n, plus, style) {
			var s = nf(n, style).format(Math.abs(style === PERCENT ?
			    v / 100 : v));

			if (!/[1-9]/.test(s))
				return s;
			return (v < 0 ? MINUS : plus ? PLUS : '') + s;
		}

		function fixed(v, n) {
			return finite(v) ? signed(v, n || 0, false) : '';
		}

		function integer(v) {
			return fixed(v, 0);
		}

		/*
		 * v in the locale's compact notation ("12.3K", "1.2萬"): one
		 * decimal below 100 of its unit, none from 100; null when the
		 * locale has no shorter form of v.
		 */
		function short(v, style) {
			var parts = function (n) {
				return intl(Intl.NumberFormat, merge(style, {
				    notation: 'compact', minimumFractionDigits: 0,
				    maximumFractionDigits: n })).formatToParts(Math.abs(v));
			};
			var p = parts(1);
			var of = function (type) {
				return p.filter(function (x) { return x.type === type; })
				    .map(function (x) { return x.value; }).join('');
			};

			if (!of('compact'))
				return null;
			if (Number(of('integer')) >= 100)
				p = parts(0);
			return (v < 0 ? MINUS : '') + p.map(function (x) {
				return x.value;
			}).join('');
		}

		function compact(v) {
			if (!finite(v))
				return '';
			if (Math.abs(v) < COMPACT_FROM)
				return integer(v);
			return short(v) || integer(v);
		}

		function money(v, n) {
			return signed(v, n, false, USD);
		}

		function usd(v) {
			var a;

			if (!finite(v))
				return '';
			a = Math.abs(v);
			if (a === 0)
				return money(0, 2);
			if (a < 0.01)	/* "$0.0012", "$0.0001": no trailing 0 */
				return (v < 0 ? MINUS : '') + usdBelowCent(a);
			return money(v, a < 1 ? 4 : 2);
		}

		function usdBelowCent(a) {
			return intl(Intl.NumberFormat, merge(USD, {
			    minimumFractionDigits: 2,
			    maximumFractionDigits: Math.min(9, sigDecimals(a, 2)) }))
			    .format(a);
		}

		function usdCompact(v) {
			if (!finite(v))
				return '';
			if (v > 0 && v < USD_SMALLEST)
				return BELOW + usd(USD_SMALLEST);
			if (Math.abs(v) < USD_COMPACT_FROM)
				return usd(v);
			/* whole dollars where the locale has no shorter form */
			return short(v, USD) || money(v, 0);
		}

		function usdExact(v) {
			if (!finite(v))
				return '';
			return money(v, Math.max(2, decimalsOf(v, 9)));
		}

		/* A tick of a money axis whose ticks are step apart. */
		function usdTick(v, step) {
			var n;

			if (!finite(v))
				return '';
			n = finite(step) && step > 0 ? decimalsOf(step, 9) :
			    decimalsOf(v, 9);
			return money(v, n > 0 ? Math.max(2, n) : 0);
		}

		function percent(v, n) {
			return finite(v) ? signed(v, n === undefined ? 1 : n, false,
			    PERCENT) : '';
		}

		function seconds(v, n) {
			var a;

			if (!finite(v))
				return '';
			a = Math.abs(v);
			if (n === undefined)
				n = a < 9.995 ? 2 : a < 99.95 ? 1 : 0;
			return t('seconds', { n: fixed(v, n) });
		}

		function changePct(cur, prev) {
			if (!finite(cur) || !finite(prev) || prev === 0)
				return null;
			return signed((cur - prev) / Math.abs(prev) * 100, 1, true,
			    PERCENT);
		}

		function changePp(cur, prev) {
			if (!finite(cur) || !finite(prev))
				return null;
			return t('pp', { n: signed(cur - prev, 1, true) });
		}

		/* ---- times ---- */

		function dtf(opts, zone) {
			return intl(Intl.DateTimeFormat, zone ?
			    merge(opts, { timeZone: zone }) : opts);
		}

		/* x as an instant and its zone: a "YYYY-MM-DD" day is in UTC. */
		function when(x, zone, opts) {
			var m = typeof x === 'string' ? DAY_RE.exec(x) : null;

			if (m)
				return dtf(opts, 'UTC').format(Date.UTC(+m[1], m[2] - 1,
				    +m[3], 12));
			return finite(x) ? dtf(opts, zone).format(x) : '';
		}

		/* "2026-11-26": the day of ms in zone, for a program */
		function isoDay(ms, zone) {
			var o = {};

			dtf({ year: 'numeric', month: '2-digit', day: '2-digit',
			    numberingSystem: 'latn' }, zone).formatToParts(ms)
			    .forEach(function (p) { o[p.type] = p.value; });
			return o.year + '-' + o.month + '-' + o.day;
		}

		function time(ms, zone, secs) {
			return when(ms, zone, secs ? { hour: '2-digit',
			    minute: '2-digit', second: '2-digit', hourCycle: 'h23' } :
			    { hour: '2-digit', minute: '2-digit', hourCycle: 'h23' });
		}

		function dayShort(x, zone) {
			return when(x, zone, { month: 'short', day: 'numeric' });
		}

		function dateFull(x, zone) {
			return when(x, zone, { dateStyle: 'full' });
		}

		function dateTimeFull(ms, zone, secs) {
			return when(ms, zone, { dateStyle: 'full',
			    timeStyle: secs ? 'medium' : 'short', hourCycle: 'h23' });
		}

		/* The unit a person reads ms in: [count, unit]. */
		function unitOf(ms) {
			var s = Math.max(0, Math.round(Math.abs(ms) / 1000));

			if (s < 90)
				return [s, 'second'];
			if (s < 90 * 60)
				return [Math.round(s / 60), 'minute'];
			if (s < 48 * 3600)
				return [Math.round(s / 3600), 'hour'];
			return [Math.round(s / 86400), 'day'];
		}

		function ago(ms) {
			var u = unitOf(ms);

			return intl(Intl.RelativeTimeFormat, { numeric: 'always',
			    style: 'long' }).format(-u[0], u[1]);
		}

		function duration(ms) {
			var u = unitOf(ms);

			return intl(Intl.NumberFormat, { style: 'unit', unit: u[1],
			    unitDisplay: 'long' }).format(u[0]);
		}

		return {
			locale: locale,
			forLocale: forLocale,
			el: el,
			cell: cell,
			clear: clear,
			t: t,
			has: has,
			plural: plural,
			sourceName: sourceName,
			integer: integer,
			fixed: fixed,
			compact: compact,
			usd: usd,
			usdCompact: usdCompact,
			usdExact: usdExact,
			usdTick: usdTick,
			tickStep: tickStep,
			percent: percent,
			seconds: seconds,
			changePct: changePct,
			changePp: changePp,
			isoDay: isoDay,
			time: time,
			dayShort: dayShort,
			dateFull: dateFull,
			dateTimeFull: dateTimeFull,
			ago: ago,
			duration: duration,
			EN: EN
		};
	}

	return forLocale('en');
}));
