/*
 * format.js: the words, numbers and dates of apimon's pages, in the page's
 * language.  Small named functions without any DOM work, shared by
 * dashboard.js and report.js and unit-tested under Node (tests/js/run.mjs).
 * In a browser window.apimonFormat speaks the page's locale (<html lang>)
 * with the words of the catalogue the page embeds (#apimon-i18n: the "js"
 * and "source" sections of locales/LOCALE.json, merged over en); under
 * Node, module.exports speaks English and forLocale() makes the others.
 * In a browser, font is the page's font stack (style.css --font).
 *
 * Words:
 *   t(key, vars)        the catalogue's text of key, {name} filled from vars
 *   has(key)            whether there is such a text
 *   plural(key, n, v)   t(key + "_" + the locale's plural category of n)
 *   sourceName(id)      the catalogue's display name of a source, else id
 *
 * Numbers (Intl.NumberFormat of the locale; en shown, zh-TW alike but for
 * the currency, "US$", and compact units, 萬 億 兆):
 *   integer(v)      1,605,796            every digit, grouped
 *   fixed(v, n)     1,234.50             n decimals, grouped, never "-0.0"
 *   compact(v)      9,999  12.3K  37.9M  exact below 10,000; else one
 *                                        decimal below 100 of its unit,
 *                                        none from 100 ("123K"), no ".0"
 *   usd(v)          $0.00  $0.0012  $0.4241  $1,234.57
 *                                        2 significant digits below a
 *                                        cent, 4 decimals below $1, else 2
 *   usdCompact(v)   usd() from $0.0001 to $1,000, else <$0.0001 or
 *                                        $1.2K $12.4K $124K $1.2M
 *   usdExact(v)     $2.3192  $0.000012   every decimal the data has (up
 *                                        to 9: nano-dollars), at least 2
 *   usdTick(v, s)   $0.50 $1.00 $1.50    as many decimals as the step s
 *                                        between ticks needs (0, else >= 2)
 *   percent(v, n)   96.4%
 *   seconds(v, n)   0.85 s  12.3 s  123 s   (n: fixed decimals)
 *   changePct(c, p) +37.1%  -0.5%  0.0%  null when p is 0 or either null
 *   changePp(c, p)  +1.2 pp  0.0 pp      difference of two percentages
 *
 * Times (Intl.DateTimeFormat in the zone given, else the browser's; a day
 * "YYYY-MM-DD" is a calendar day, in no zone; clocks are 24-hour):
 *   time(ms, z, s)  18:05  18:05:09      s: with seconds
 *   dayShort(x, z)  Nov 26               11月26日
 *   dateFull(x, z)  Thursday, November 26, 2026   2026年11月26日 星期四
 *   dateTimeFull(ms, z, s)  ... at 18:05        2026年11月26日 星期四 18:05
 *   ago(ms)         3 minutes ago        3 分鐘前 (a past duration)
 *   duration(ms)    3 minutes            3 分鐘
 *
 * A number that rounds to zero is written without a sign.
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
	 * The English words, only for a page that embeds no catalogue (or an
	 * older one without a key): locales/en.json's "js" section, which a
	 * unit test keeps equal to this.
	 */
	var EN = {
		vs_today: 'vs yesterday',
		vs_7d: 'vs previous 7 days',
		vs_30d: 'vs previous 30 days',
		vs_until: 'vs yesterday until {time}',
		no_compare: 'nothing to compare with in the previous period',
		previous: 'previous: {value}',
		seconds: '{n} s',
		pp: '{n} pp',
		data_at: 'Data of {time}',
		ran_at: 'apimon ran {time}',
		ran_at_ago: 'apimon ran {time} ({ago})',
		never: 'never',
		stale_no_run: 'apimon has not run for {duration}; it should run every {interval}. Check its cron job.',
		stale_no_time: 'The data has no valid time.',
		refreshing: 'Refreshing…',
		refreshed: 'Refreshed {time}',
		refresh_failed: 'Could not refresh at {time}',
		latest_report: 'Latest report',
		all_sources: 'All sources',
		requests: 'Requests',
		cost: 'Cost',
		cost_usd: 'Cost (USD)',
		hour_note: 'Local hours, {zone}',
		partial_hour: 'the last hour so far',
		so_far: '{label} (so far)',
		today_so_far: '{label} (today, so far)',
		cost_note: 'USD · today is partial',
		series_tip: '{series}: {value}',
		share_tip: '{source}: {count} ({share})',
		bucket: '{from}–{to} s',
		bucket_over: '> {from} s',
		no_requests: 'No requests yet.',
		no_recent_from: 'No recent requests from {source}.',
		most_recent: '{count} most recent',
		requests_n_one: '{count} request',
		requests_n_other: '{count} requests',
		times_in: 'times in {zone}',
		status_success: 'success',
		status_error: 'error',
		status_timeout: 'timeout',
		status_rate_limited: 'rate limited',
		severity_warning: 'warning',
		severity_critical: 'critical',
		scope_all: 'all',
		scope_more_source: 'other sources',
		scope_more_model: 'other models'
	};

	var COMPACT_FROM = 10000;	/* counts below this are written out */
	var USD_COMPACT_FROM = 1000;	/* money below this is written out */
	var USD_SMALLEST = 0.0001;	/* usdCompact() writes less as "<$0.0001" */
	var MINUS = '-', PLUS = '+', BELOW = '<';
	var DAY_RE = /^([0-9]{4})-([0-9]{2})-([0-9]{2})$/;

	function finite(v) {
		return typeof v === 'number' && isFinite(v);
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

		function t(key, vars) {
			var s = typeof W[key] === 'string' ? W[key] :
			    Object.prototype.hasOwnProperty.call(EN, key) ? EN[key] :
			    key;

			return fill(s, vars);
		}

		/* Whether the catalogue (or the English base) has key. */
		function has(key) {
			return typeof W[key] === 'string' ||
			    Object.prototype.hasOwnProperty.call(EN, key);
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

		function nf(n, style) {
			var o = { minimumFractionDigits: n, maximumFractionDigits: n };

			if (style === 'usd') {
				o.style = 'currency';
				o.currency = 'USD';
			} else if (style === 'percent') {
				o.style = 'percent';
			}
			return intl(Intl.NumberFormat, o);
		}

		/*
		 * |v| with n decimals in style (plain, usd, percent), and the
		 * sign it keeps after rounding ("+" too when plus).
		 */
		function signed(v, n, plus, style) {
			var s = nf(n, style).format(Math.abs(style === 'percent' ?
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
		function short(v, usd) {
			var o = { notation: 'compact', minimumFractionDigits: 0,
			    maximumFractionDigits: 1 };
			var parts, whole;

			if (usd) {
				o.style = 'currency';
				o.currency = 'USD';
			}
			parts = intl(Intl.NumberFormat, o).formatToParts(Math.abs(v));
			if (!parts.some(function (p) { return p.type === 'compact'; }))
				return null;
			whole = Number(parts.filter(function (p) {
				return p.type === 'integer';
			}).map(function (p) { return p.value; }).join(''));
			if (whole >= 100) {
				o = JSON.parse(JSON.stringify(o));
				o.maximumFractionDigits = 0;
				parts = intl(Intl.NumberFormat, o).formatToParts(Math.abs(v));
			}
			return (v < 0 ? MINUS : '') + parts.map(function (p) {
				return p.value;
			}).join('');
		}

		function compact(v) {
			if (!finite(v))
				return '';
			if (Math.abs(v) < COMPACT_FROM)
				return integer(v);
			return short(v, false) || integer(v);
		}

		function money(v, n) {
			return signed(v, n, false, 'usd');
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
			return intl(Intl.NumberFormat, { style: 'currency',
			    currency: 'USD', minimumFractionDigits: 2,
			    maximumFractionDigits: Math.min(9, sigDecimals(a, 2)) })
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
			return short(v, true) || money(v, 0);
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
			    'percent') : '';
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
			    'percent');
		}

		function changePp(cur, prev) {
			if (!finite(cur) || !finite(prev))
				return null;
			return t('pp', { n: signed(cur - prev, 1, true) });
		}

		/* ---- times ---- */

		function dtf(opts, zone) {
			var o = {}, k;

			for (k in opts)
				o[k] = opts[k];
			if (zone)
				o.timeZone = zone;
			return intl(Intl.DateTimeFormat, o);
		}

		/* x as an instant and its zone: a "YYYY-MM-DD" day is in UTC. */
		function when(x, zone, opts) {
			var m = typeof x === 'string' ? DAY_RE.exec(x) : null;

			if (m)
				return dtf(opts, 'UTC').format(Date.UTC(+m[1], m[2] - 1,
				    +m[3], 12));
			return finite(x) ? dtf(opts, zone).format(x) : '';
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
