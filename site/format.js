/*
 * format.js: how apimon's pages write numbers.  Small named functions
 * without any DOM, shared by dashboard.js and report.js and unit-tested
 * under Node (tests/js/run.mjs).  In a browser they are
 * window.apimonFormat; under Node, module.exports.
 *
 * The rules:
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
 *   seconds(v)      0.85 s  12.3 s  123 s
 *   changePct(c, p) +37.1%  -0.5%  0.0%  null when p is 0 or either null
 *   changePp(c, p)  +1.2 pp  0.0 pp      difference of two percentages
 *
 * A value that rounds to zero is written without a sign.
 */
(function (root, factory) {
	'use strict';
	var f = factory();

	if (typeof module === 'object' && module.exports)
		module.exports = f;
	else
		root.apimonFormat = f;
}(this, function () {
	'use strict';

	/* Every word and symbol a reader sees, for a message catalogue. */
	var TEXT = {
		locale: 'en-US',
		currency: '$',
		percent: '%',
		pp: ' pp',
		seconds: ' s',
		plus: '+',
		minus: '-',
		below: '<',
		/* compact() units, largest first */
		units: [[1e12, 'T'], [1e9, 'B'], [1e6, 'M'], [1e3, 'K']]
	};

	var COMPACT_FROM = 10000;	/* counts below this are written out */
	var USD_COMPACT_FROM = 1000;	/* money below this is written out */
	var USD_SMALLEST = 0.0001;	/* usdCompact() writes less as "<$0.0001" */
	var cache = {};

	function finite(v) {
		return typeof v === 'number' && isFinite(v);
	}

	function nf(decimals) {
		if (!cache[decimals])
			cache[decimals] = new Intl.NumberFormat(TEXT.locale, {
				minimumFractionDigits: decimals,
				maximumFractionDigits: decimals
			});
		return cache[decimals];
	}

	/* |v| grouped with n decimals, and the sign it keeps after rounding. */
	function signed(v, n, plus) {
		var s = nf(n).format(Math.abs(v));
		var zero = /^[0.,]*$/.test(s);

		if (zero)
			return s;
		return (v < 0 ? TEXT.minus : plus ? TEXT.plus : '') + s;
	}

	function fixed(v, n) {
		return finite(v) ? signed(v, n || 0, false) : '';
	}

	function integer(v) {
		return fixed(v, 0);
	}

	/* v scaled to the largest unit it reaches, as "12.3K" or "123K". */
	function scaled(v) {
		var a = Math.abs(v), i, u, x, n, s;

		for (i = 0; i < TEXT.units.length; i++) {
			u = TEXT.units[i];
			if (a < u[0] && i < TEXT.units.length - 1)
				continue;
			x = a / u[0];
			n = x < 99.95 ? 1 : 0;
			s = nf(n).format(x);
			/* 999.6K rounds to "1,000K": that is 1M */
			if (i > 0 && Number(x.toFixed(n)) >= 1000)
				return scaled((v < 0 ? -1 : 1) * TEXT.units[i - 1][0]);
			s = s.replace(/\.0$/, '');
			return (v < 0 ? TEXT.minus : '') + s + u[1];
		}
		return '';
	}

	function compact(v) {
		if (!finite(v))
			return '';
		if (Math.abs(v) < COMPACT_FROM)
			return integer(v);
		return scaled(v);
	}

	/* Decimals to show 2 significant digits of a (0 < a < 1). */
	function sigDecimals(a, digits) {
		return Math.max(0, digits - 1 - Math.floor(Math.log10(a)));
	}

	function usd(v) {
		var a;

		if (!finite(v))
			return '';
		a = Math.abs(v);
		if (a === 0)
			return TEXT.currency + nf(2).format(0);
		if (a < 0.01)	/* "$0.0012", "$0.0001" */
			return money(v, Math.min(9, sigDecimals(a, 2))).
			    replace(/(\.[0-9]*[1-9])0+$/, '$1');
		return money(v, a < 1 ? 4 : 2);
	}

	function money(v, n) {
		var s = signed(v, n, false);

		return s.charAt(0) === TEXT.minus ? TEXT.minus + TEXT.currency +
		    s.slice(1) : TEXT.currency + s;
	}

	function usdCompact(v) {
		var s;

		if (!finite(v))
			return '';
		if (v > 0 && v < USD_SMALLEST)
			return TEXT.below + usd(USD_SMALLEST);
		if (Math.abs(v) < USD_COMPACT_FROM)
			return usd(v);
		s = scaled(v);
		return s.charAt(0) === TEXT.minus ? TEXT.minus + TEXT.currency +
		    s.slice(1) : TEXT.currency + s;
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

	function percent(v, n) {
		return finite(v) ? fixed(v, n === undefined ? 1 : n) + TEXT.percent :
		    '';
	}

	function seconds(v) {
		var a;

		if (!finite(v))
			return '';
		a = Math.abs(v);
		return fixed(v, a < 9.995 ? 2 : a < 99.95 ? 1 : 0) + TEXT.seconds;
	}

	function changePct(cur, prev) {
		if (!finite(cur) || !finite(prev) || prev === 0)
			return null;
		return signed((cur - prev) / Math.abs(prev) * 100, 1, true) +
		    TEXT.percent;
	}

	function changePp(cur, prev) {
		if (!finite(cur) || !finite(prev))
			return null;
		return signed(cur - prev, 1, true) + TEXT.pp;
	}

	return {
		TEXT: TEXT,
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
		changePp: changePp
	};
}));
