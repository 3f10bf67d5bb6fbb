/*
 * dashboard.js: the apimon dashboard (index.html).
 *
 * Reads the data embedded in <script type="application/json" id="apimon-data">,
 * draws the cards, the four charts, the recent-requests table and the alert
 * strip for the chosen range (today / 7d / 30d) and source, and fetches
 * data/dashboard.json every 60 s to redraw them in place.  When the fetch
 * fails (file://, server down) the data it has stays, silently.
 *
 * Every string that comes from the data goes into the page through
 * textContent, createTextNode or setAttribute, never innerHTML, and a
 * cell of data says dir="auto" (a command may be Arabic or Hebrew).  The
 * words a reader sees come from the page's catalogue (F.t(), the "js"
 * section of locales/LOCALE.json), and numbers and times are written by
 * format.js (window.apimonFormat) in the page's language.
 *
 * window.apimon = { data, state: { range, source }, charts, ... } for tests.
 */
(function () {
	'use strict';

	var F = window.apimonFormat;
	var T = F.t;
	/* Signs, not words: the same in every language. */
	var NONE = '—', UP = '▲ ', DOWN = '▼ ', DOT = ' · ';
	/* The record of the first-run example (format of docs/api.md): code. */
	var FIRST_RUN_ID = 'hello-';
	var FIRST_RUN_RECORD = { source: 'web', status: 'success',
	    execution_time: 1.2, model: 'gpt-4o-mini',
	    input_tokens: 900, output_tokens: 300 };
	var RANGES = { today: 1, '7d': 7, '30d': 30 };
	var REFRESH_MS = 60000;
	var HOUR_MS = 3600000;
	/* The latency histogram's buckets, in seconds (apimon-render's). */
	var BUCKETS = [[0, 1], [1, 2], [2, 3], [3, 5], [5, null]];
	var PALETTE = ['#4f46e5', '#0ea5e9', '#10b981', '#f59e0b', '#ef4444',
	    '#8b5cf6', '#ec4899', '#14b8a6', '#84cc16', '#f97316'];
	var ACCENT = '#4f46e5';
	/* The charts' font: the page's (F.font: style.css --font, CJK too). */
	var FONT_FALLBACK = 'system-ui, sans-serif';
	/* For each card: which way of the change is good news. */
	var CARDS = [
		{ id: 'card-requests', key: 'requests', good: 0 },
		{ id: 'card-success-rate', key: 'success_rate', good: 1 },
		{ id: 'card-avg-latency', key: 'avg_latency', good: -1 },
		{ id: 'card-tokens', key: 'tokens', good: 0 },
		{ id: 'card-cost', key: 'cost', good: -1 },
		{ id: 'card-failures', key: 'failures', good: -1 }
	];

	var apimon = {
		data: null,
		state: { range: 'today', source: 'all' },
		charts: { hourly: null, cost: null, sources: null, latency: null },
		lastFetch: 0,
		lastFetchOk: null
	};
	window.apimon = apimon;

	var lastText = null;	/* the last fetched JSON text, to skip no-op redraws */
	var inflight = null;

	/* ---------- small helpers ---------- */

	function $(sel) { return document.querySelector(sel); }

	function num(x) {
		return typeof x === 'number' && isFinite(x) ? x : 0;
	}

	function at(arr, i) {
		return Array.isArray(arr) ? num(arr[i]) : 0;
	}

	var clear = F.clear, el = F.el, cell = F.cell;

	/* A class name made from data: only a fixed set of characters. */
	function token(s, dflt) {
		return typeof s === 'string' && /^[a-z0-9_-]{1,32}$/.test(s) ? s : dflt;
	}

	/*
	 * The config's zone: times on every page are the zone's, as in the
	 * reports (else the browser's).
	 */
	function zone() {
		return apimon.data && typeof apimon.data.timezone === 'string' ?
		    apimon.data.timezone : undefined;
	}

	/* The local day of ms, "YYYY-MM-DD": to compare days, not to read. */
	function localDate(ms) {
		return F.isoDay(ms, zone());
	}

	/* "18:05" (secs: "18:05:09") in the zone. */
	function clock(ms, secs) {
		return F.time(ms, zone(), secs);
	}

	/* data/status.json: when apimon last ran, and today's comparison. */
	function status() {
		return apimon.status && typeof apimon.status === 'object' ?
		    apimon.status : {};
	}

	/*
	 * Now: the clock, but the time the site was rendered for when that is
	 * long past (a stopped cron job, or a site rendered with --now).
	 */
	function nowMs() {
		var t = Date.parse(status().now);

		return isNaN(t) || Date.now() - t < 10 * 60 * 1000 ? Date.now() : t;
	}

	/* A source's display name: the data's, else the catalogue's. */
	function nameOf(d, s) {
		var n = d.source_names && d.source_names[s];

		return typeof n === 'string' && n ? n : F.sourceName(s);
	}

	function reduceMotion() {
		return typeof window.matchMedia === 'function' &&
		    window.matchMedia('(prefers-reduced-motion: reduce)').matches;
	}

	function withAlpha(hex, a) {
		var n = parseInt(hex.slice(1), 16);

		return 'rgba(' + (n >> 16) + ',' + ((n >> 8) & 255) + ',' +
		    (n & 255) + ',' + a + ')';
	}

	/* ---------- the numbers ---------- */

	function sourcesOf(d) {
		if (Array.isArray(d.sources))
			return d.sources.filter(function (s) {
				return typeof s === 'string';
			});
		return Object.keys(d.daily || {});
	}

	function selected(d) {
		return apimon.state.source === 'all' ? sourcesOf(d) :
		    [apimon.state.source];
	}

	function colorOf(d, s) {
		var i = sourcesOf(d).indexOf(s);

		return i < 0 ? ACCENT : PALETTE[i % PALETTE.length];
	}

	/* [a, b) index ranges into days[] of the range and of the one before. */
	function spans(d) {
		var n = Array.isArray(d.days) ? d.days.length : 0;
		var k = RANGES[apimon.state.range] || 1;
		var a = Math.max(0, n - k);

		return { a: a, b: n, pa: Math.max(0, n - 2 * k), pb: a };
	}

	/* The card values of summed raw totals (status.json's comparison). */
	function totalsOf(list) {
		var t = { requests: 0, successes: 0, latency_us: 0, tokens: 0,
		    cost: 0, failures: 0 };

		list.forEach(function (x) {
			t.requests += num(x.requests);
			t.successes += num(x.successes);
			t.failures += num(x.failures);
			t.latency_us += num(x.latency_sum_us);
			t.tokens += num(x.tokens);
			t.cost += num(x.cost_usd);
		});
		return {
			requests: t.requests,
			success_rate: t.requests ? t.successes / t.requests * 100 : null,
			avg_latency: t.requests ? t.latency_us / t.requests / 1e6 : null,
			tokens: t.tokens,
			cost: t.cost,
			failures: t.failures
		};
	}

	function totals(d, srcs, a, b) {
		var t = { requests: 0, successes: 0, failures: 0, latency_us: 0,
		    tokens: 0, cost: 0 };
		var daily = d.daily || {};

		srcs.forEach(function (s) {
			var x = daily[s];
			var i;

			if (!x)
				return;
			for (i = a; i < b; i++) {
				t.requests += at(x.requests, i);
				t.successes += at(x.successes, i);
				t.failures += at(x.failures, i);
				t.latency_us += at(x.latency_sum_us, i);
				t.tokens += at(x.tokens, i);
				t.cost += at(x.cost_usd, i);
			}
		});
		return {
			requests: t.requests,
			success_rate: t.requests ? t.successes / t.requests * 100 : null,
			avg_latency: t.requests ? t.latency_us / t.requests / 1e6 : null,
			tokens: t.tokens,
			cost: t.cost,
			failures: t.failures
		};
	}

	/* A card's value as it fits on the card: compact. */
	function fmtMetric(key, v) {
		if (v === null)
			return NONE;
		switch (key) {
		case 'success_rate':
			return F.percent(v, 1);
		case 'avg_latency':
			return F.seconds(v);
		case 'cost':
			return F.usdCompact(v);
		default:
			return F.compact(v);
		}
	}

	/* A card's value in full, for its title (hover). */
	function fmtExact(key, v) {
		if (v === null)
			return '';
		switch (key) {
		case 'success_rate':
			return F.percent(v, 3);
		case 'avg_latency':
			return F.seconds(v, 6);
		case 'cost':
			return F.usdExact(v);
		default:
			return F.integer(v);
		}
	}

	/*
	 * A card's value; a currency before the number ("$", "US$") in a
	 * smaller type, so that the number keeps the card's width.
	 */
	function showValue(e, text) {
		var m = /^([<+-]?)([^0-9<+-]+)([0-9].*)$/.exec(text);

		clear(e);
		if (!m) {
			e.textContent = text;
			return;
		}
		e.appendChild(document.createTextNode(m[1]));
		e.appendChild(el('span', 'unit', m[2]));
		e.appendChild(document.createTextNode(m[3]));
	}

	/* The change of a card: in per cent, or points for a rate. */
	function fmtChange(key, cur, prev) {
		return key === 'success_rate' ? F.changePp(cur, prev) :
		    F.changePct(cur, prev);
	}

	/*
	 * Nothing at all to show: no source has a day of data, and there is
	 * no report either (an empty database, as apimon-render's HAS_DATA).
	 */
	function isEmpty(d) {
		return sourcesOf(d).length === 0 && !safeReport(d.latest_report);
	}

	/* ---------- cards ---------- */

	function renderCards(d) {
		var sp = spans(d);
		var srcs = selected(d);
		var empty = isEmpty(d);
		var cur = totals(d, srcs, sp.a, sp.b);
		var prev = totals(d, srcs, sp.pa, sp.pb);
		var y = status().same_time_yesterday;
		var vsText = T('vs_' + apimon.state.range);

		/* Today so far against yesterday until the same time of day. */
		if (apimon.state.range === 'today' && y && y.by_source &&
		    isFinite(y.until_ms)) {
			prev = totalsOf(srcs.map(function (s) {
				return y.by_source[s] || {};
			}));
			vsText = T('vs_until', { time: clock(num(y.until_ms)) });
		}

		CARDS.forEach(function (c) {
			var card = document.getElementById(c.id);
			var value, change, delta, vs, pct, dir, text, v, p;

			if (!card)
				return;
			v = empty ? null : cur[c.key];
			p = empty ? null : prev[c.key];
			value = card.querySelector('.value');
			change = card.querySelector('.change');
			showValue(value, fmtMetric(c.key, v));
			value.title = fmtExact(c.key, v);

			clear(change);
			text = v === null || p === null ? null :
			    fmtChange(c.key, v, p);
			if (text === null) {
				pct = null;
				delta = el('span', 'delta', NONE);
				delta.title = T('no_compare');
				dir = 'none';
			} else {
				/* the direction is that of the number shown */
				pct = c.key === 'success_rate' ? v - p :
				    (v - p) / p * 100;
				dir = /^[+-]?[0.,]+[^0-9]*$/.test(text) ? 'flat' :
				    pct > 0 ? 'up' : 'down';
				delta = el('span', 'delta', (dir === 'up' ? UP :
				    dir === 'down' ? DOWN : '') +
				    text.replace(/^[+-]/, ''));
				delta.title = T('previous', { value: fmtExact(c.key, p) });
			}
			vs = el('span', 'vs', ' ' + vsText);
			change.appendChild(delta);
			change.appendChild(vs);
			change.className = 'change ' + dir + ' ' +
			    (dir === 'up' || dir === 'down' ?
			    (c.good === 0 ? 'neutral' :
			    (dir === 'up') === (c.good > 0) ? 'good' : 'bad') : 'neutral');
			change.setAttribute('data-change',
			    pct === null ? '' : pct.toFixed(4));
		});
	}

	/* ---------- charts ---------- */

	/* The starts of the data's local hours: an hour apart but for jumps. */
	function hourStarts(h) {
		var n = Math.floor(num(h.hours)), out = [], jumps = {}, i;

		(Array.isArray(h.jumps) ? h.jumps : []).forEach(function (j) {
			if (Array.isArray(j))
				jumps[num(j[0])] = num(j[1]);
		});
		for (i = 0; i < n; i++)
			out.push(i in jumps ? jumps[i] : i ? out[i - 1] + HOUR_MS :
			    num(h.start_ms));
		return out;
	}

	/*
	 * Requests per local hour from the first day of the range; the hour
	 * that holds now is partial.
	 */
	function hourlySeries(d, sp) {
		var h = d.hourly || {};
		var starts = hourStarts(h);
		var reqs = h.requests || {};
		var from = Array.isArray(d.day_start_ms) ? num(d.day_start_ms[sp.a]) : 0;
		var srcs = selected(d);
		var oneDay = apimon.state.range === 'today';
		var now = nowMs();
		var labels = [], values = [], partial = -1;

		starts.forEach(function (t, i) {
			var v = 0;

			if (t < from)
				return;
			srcs.forEach(function (s) { v += at(reqs[s], i); });
			if (i === starts.length - 1 && now - t < HOUR_MS)
				partial = labels.length;
			labels.push(oneDay ? clock(t) :
			    F.dayShort(t, zone()) + ' ' + clock(t));
			values.push(v);
		});
		return { labels: labels, values: values, partial: partial };
	}

	/*
	 * Draw chart with its new data; an empty chart shows neither axes
	 * (no made-up values such as "$2") nor a line along zero, but the
	 * note of its box instead.
	 */
	function draw(chart, empty, mode) {
		var p = chart.canvas.parentNode.querySelector('.chart-empty');
		var sc = chart.options.scales || {};

		Object.keys(sc).forEach(function (k) {
			sc[k].display = !empty;
		});
		chart.data.datasets.forEach(function (ds) {
			ds.hidden = empty;
		});
		chart.update(mode);
		if (p)
			p.hidden = !empty;
	}

	/* The point i of the cost chart is today's: not a whole day yet. */
	function isPartial(chart, i) {
		return chart.$partial === i;
	}

	function sum(a) {
		return a.reduce(function (x, y) { return x + y; }, 0);
	}

	/* A tooltip's line: "Requests: 1,234" in the page's language. */
	function tipLine(ctx) {
		return ' ' + T('series_tip', { series: ctx.dataset.label,
		    value: F.integer(num(ctx.parsed.y)) });
	}

	function baseOptions() {
		return {
			responsive: true,
			maintainAspectRatio: false,
			animation: reduceMotion() ? false : { duration: 300 },
			interaction: { mode: 'index', intersect: false },
			plugins: { legend: { display: false },
			    tooltip: { callbacks: { label: tipLine } } },
			scales: {
				x: { grid: { display: false },
				    ticks: { maxRotation: 0, autoSkipPadding: 14 } },
				y: { beginAtZero: true, grace: '5%',
				    ticks: { precision: 0, maxTicksLimit: 6,
				    callback: function (v) { return F.integer(v); } } }
			}
		};
	}

	/* "0–1 s" … "> 5 s": the latency buckets in the page's language. */
	function bucketLabels() {
		return BUCKETS.map(function (b) {
			return b[1] === null ? T('bucket_over', { from: F.integer(b[0]) }) :
			    T('bucket', { from: F.integer(b[0]), to: F.integer(b[1]) });
		});
	}

	function makeCharts() {
		var o;

		if (typeof window.Chart !== 'function')
			return false;
		Chart.defaults.locale = F.locale;
		Chart.defaults.font.family = F.font || FONT_FALLBACK;
		Chart.defaults.font.size = 12;
		Chart.defaults.color = '#64748b';
		Chart.defaults.borderColor = '#eef0f4';
		Chart.defaults.plugins.tooltip.backgroundColor = '#0f172a';
		Chart.defaults.plugins.tooltip.padding = 10;
		Chart.defaults.plugins.tooltip.cornerRadius = 8;

		/* requests per hour; the hour under way is partial */
		o = baseOptions();
		o.plugins.tooltip.callbacks.title = function (items) {
			var it = items[0];

			return !it ? '' : isPartial(it.chart, it.dataIndex) ?
			    T('so_far', { label: it.label }) : it.label;
		};
		apimon.charts.hourly = new Chart(
		    document.getElementById('chart-hourly'), {
			type: 'line',
			data: { labels: [], datasets: [{ label: T('requests'), data: [],
			    borderColor: ACCENT, backgroundColor: withAlpha(ACCENT, 0.12),
			    borderWidth: 2, fill: true, tension: 0.3,
			    pointRadius: 0, pointHoverRadius: 4 }] },
			options: o
		});

		/* the cost per day: a line; today's point is hollow, partial */
		o = baseOptions();
		o.scales.y.ticks = { maxTicksLimit: 6,
		    callback: function (v, i, ticks) {
			return F.usdTick(v, F.tickStep(ticks));
		    } };
		o.plugins.tooltip = { callbacks: {
			/* the day in full; today's is not over */
			title: function (items) {
				var it = items[0], day, label;

				if (!it)
					return '';
				day = (it.chart.$days || [])[it.dataIndex];
				label = day ? F.dateFull(day) : it.label;
				return isPartial(it.chart, it.dataIndex) ?
				    T('today_so_far', { label: label }) : label;
			},
			label: function (ctx) {
				return ' ' + F.usd(num(ctx.parsed.y));
			}
		} };
		o.scales.x.offset = true;	/* one day (Today) in the middle */
		apimon.charts.cost = new Chart(
		    document.getElementById('chart-cost'), {
			type: 'line',
			data: { labels: [], datasets: [{ label: T('cost'), data: [],
			    borderColor: ACCENT, backgroundColor: withAlpha(ACCENT, 0.1),
			    borderWidth: 2, fill: true, tension: 0.25,
			    pointRadius: 3, pointHoverRadius: 5,
			    pointBackgroundColor: ACCENT,
			    segment: { borderDash: function (ctx) {
				return isPartial(ctx.chart, ctx.p1DataIndex) ?
				    [4, 4] : undefined;
			    } } }] },
			options: o
		});

		apimon.charts.sources = new Chart(
		    document.getElementById('chart-sources'), {
			type: 'doughnut',
			data: { labels: [], datasets: [{ label: T('requests'), data: [],
			    backgroundColor: [], borderColor: '#fff', borderWidth: 2,
			    offset: [], hoverOffset: 6 }] },
			options: {
				responsive: true,
				maintainAspectRatio: false,
				animation: reduceMotion() ? false : { duration: 300 },
				cutout: '62%',
				layout: { padding: 8 },
				plugins: {
					legend: { position: 'bottom', labels: {
					    boxWidth: 12, boxHeight: 12, padding: 14 } },
					tooltip: { callbacks: { label: function (ctx) {
						var all = sum(ctx.dataset.data.map(num));
						var v = num(ctx.parsed);

						return ' ' + T('share_tip', { source: ctx.label,
						    count: F.integer(v), share: all ?
						    F.percent(v / all * 100, 1) : NONE });
					} } }
				}
			}
		});

		o = baseOptions();
		o.scales.x.ticks.autoSkip = false;	/* five buckets: each named */
		apimon.charts.latency = new Chart(
		    document.getElementById('chart-latency'), {
			type: 'bar',
			data: { labels: bucketLabels(), datasets: [{ label: T('requests'),
			    data: [0, 0, 0, 0, 0],
			    backgroundColor: ['#10b981', '#22c55e', '#f59e0b', '#f97316',
			    '#ef4444'].map(function (c) { return withAlpha(c, 0.85); }),
			    borderRadius: 4, maxBarThickness: 56 }] },
			options: o
		});
		return true;
	}

	function renderCharts(d, mode) {
		var ch = apimon.charts;
		var sp = spans(d);
		var srcs = selected(d);
		var one = apimon.state.source !== 'all';
		var color = one ? colorOf(d, apimon.state.source) : ACCENT;
		var daily = d.daily || {};
		var days = Array.isArray(d.days) ? d.days : [];
		var hs, ds, cost, labels, all, reqs, buckets, note, i;

		if (!ch.hourly)
			return;

		/* requests per hour */
		hs = hourlySeries(d, sp);
		ds = ch.hourly.data.datasets[0];
		ch.hourly.data.labels = hs.labels;
		ds.data = hs.values;
		ds.borderColor = color;
		ds.backgroundColor = withAlpha(color, 0.12);
		ds.pointRadius = hs.values.map(function (v, j) {
			return j === hs.partial ? 4 : hs.values.length <= 48 ? 2.5 : 0;
		});
		ds.pointBackgroundColor = hs.values.map(function (v, j) {
			return j === hs.partial ? '#fff' : color;
		});
		ds.pointBorderColor = color;
		ds.borderWidth = hs.values.length <= 48 ? 2 : 1.5;
		ds.tension = hs.values.length <= 48 ? 0.3 : 0;
		ch.hourly.$partial = hs.partial;
		draw(ch.hourly, sum(hs.values) === 0, mode);
		note = document.getElementById('hourly-note');
		if (note)
			note.textContent = T('hour_note', { zone: d.timezone || '' }) +
			    (hs.partial >= 0 ? DOT + T('partial_hour') : '');

		/* cost per day; the last day of the data is today: partial */
		labels = [];
		cost = [];
		for (i = sp.a; i < sp.b; i++) {
			labels.push(F.dayShort(String(days[i])));
			cost.push(srcs.reduce(function (x, s) {
				return x + at(daily[s] && daily[s].cost_usd, i);
			}, 0));
		}
		ch.cost.$partial = sp.b === days.length && days.length > 0 ?
		    labels.length - 1 : -1;
		ch.cost.data.labels = labels;
		ch.cost.$days = days.slice(sp.a, sp.b).map(String);
		ds = ch.cost.data.datasets[0];
		ds.data = cost;
		ds.borderColor = color;
		ds.backgroundColor = withAlpha(color, 0.1);
		ds.pointRadius = labels.length <= 7 ? 4.5 : 2.5;
		ds.pointBackgroundColor = labels.map(function (x, j) {
			return j === ch.cost.$partial ? '#fff' : color;
		});
		ds.pointBorderColor = color;
		draw(ch.cost, sum(cost) === 0, mode);
		note = document.getElementById('cost-note');
		if (note)
			note.textContent = ch.cost.$partial >= 0 && sum(cost) > 0 ?
			    T('cost_note') : '';

		/* share by source: every source, the selected one stands out */
		all = sourcesOf(d);
		reqs = all.map(function (s) {
			var x = daily[s], v = 0, j;

			for (j = sp.a; j < sp.b; j++)
				v += at(x && x.requests, j);
			return v;
		});
		ds = ch.sources.data.datasets[0];
		ch.sources.data.labels = all.map(function (s) {
			return nameOf(d, s);
		});
		ds.data = reqs;
		ds.backgroundColor = all.map(function (s, j) {
			var c = PALETTE[j % PALETTE.length];

			return !one || s === apimon.state.source ? c : withAlpha(c, 0.25);
		});
		ds.offset = all.map(function (s) {
			return one && s === apimon.state.source ? 12 : 0;
		});
		draw(ch.sources, sum(reqs) === 0, mode);

		/* latency histogram */
		buckets = [0, 0, 0, 0, 0];
		srcs.forEach(function (s) {
			var lb = daily[s] && daily[s].latency_buckets;
			var j, k;

			if (!Array.isArray(lb))
				return;
			for (j = sp.a; j < sp.b; j++)
				for (k = 0; k < 5; k++)
					buckets[k] += at(lb[j], k);
		});
		ch.latency.data.datasets[0].data = buckets;
		draw(ch.latency, sum(buckets) === 0, mode);
	}

	/* ---------- recent requests ---------- */

	/* A status in the page's language; one the catalogue lacks as it is. */
	function statusText(s) {
		if (s === undefined || s === null)
			return '';
		return F.has('status_' + s) ? T('status_' + s) : String(s);
	}

	function renderTable(d) {
		var tbody = $('#recent tbody');
		var src = apimon.state.source;
		var rows = (Array.isArray(d.recent) ? d.recent : []).filter(function (r) {
			return r && (src === 'all' || r.source === src);
		});
		var today = localDate(Date.now());
		var frag = document.createDocumentFragment();

		if (!tbody)
			return;
		rows = rows.map(function (r, i) {
			return { r: r, t: Date.parse(r.time), i: i };
		}).sort(function (x, y) {
			return (isNaN(y.t) ? 0 : y.t) - (isNaN(x.t) ? 0 : x.t) ||
			    x.i - y.i;
		}).slice(0, 50);

		rows.forEach(function (x) {
			var r = x.r;
			var tr = el('tr');
			var td = el('td', 'time');
			var tm = el('time');
			var st = el('span', 'status ' + token(r.status, 'other'),
			    statusText(r.status));

			if (!isNaN(x.t)) {
				tm.setAttribute('datetime', String(r.time));
				tm.textContent = (localDate(x.t) === today ? '' :
				    F.dayShort(x.t, zone()) + ' ') + clock(x.t, true);
				tm.title = F.dateTimeFull(x.t, zone(), true) +
				    ' (' + String(r.time) + ')';
			} else {
				tm.textContent = String(r.time);
			}
			td.appendChild(tm);
			tr.appendChild(td);
			/* the request in the explorer */
			td = el('td');
			if (typeof r.request_id === 'string') {
				tm = el('a', 'rid', r.request_id);
				tm.setAttribute('href', 'requests.html#id=' +
				    encodeURIComponent(r.request_id));
				td.appendChild(tm);
			}
			tr.appendChild(td);
			cell(tr, 'source', nameOf(d, r.source), true);
			cell(tr, 'user', r.user_id, true);
			cell(tr, 'command', r.command, true);
			cell(tr, 'model', r.model, true);
			td = el('td');
			td.appendChild(st);
			tr.appendChild(td);
			cell(tr, 'num', typeof r.latency_s === 'number' ?
			    F.fixed(r.latency_s, 3) : null);
			cell(tr, 'num', typeof r.tokens === 'number' ?
			    F.integer(r.tokens) : null);
			cell(tr, 'num', typeof r.cost_usd === 'number' ?
			    F.fixed(r.cost_usd, 6) : null);
			frag.appendChild(tr);
		});
		if (rows.length === 0) {
			var tr = el('tr', 'empty');
			var td = el('td', 'empty', src === 'all' ? T('no_requests') :
			    T('no_recent_from', { source: nameOf(d, src) }));

			td.colSpan = 10;
			tr.appendChild(td);
			frag.appendChild(tr);
		}
		clear(tbody);
		tbody.appendChild(frag);
		$('#recent-note').textContent = (rows.length === 50 ?
		    T('most_recent', { count: F.integer(50) }) :
		    F.plural('requests_n', rows.length,
		    { count: F.integer(rows.length) })) + DOT +
		    T('times_in', { zone: d.timezone || '' });
	}

	/* ---------- alerts, header ---------- */

	/*
	 * What an alert is about: "all", "source:NAME", "model:NAME" or
	 * "more:KIND" (the scopes past alerts.max_scopes), for a reader.
	 */
	function scopeText(d, scope) {
		var m = /^(source|model|more|user):(.*)$/.exec(String(scope));

		if (scope === 'all')
			return T('scope_all');
		if (!m)
			return scope;
		if (m[1] === 'source')
			return nameOf(d, m[2]);
		if (m[1] === 'user')
			return T('scope_user', { name: m[2] });
		if (m[1] === 'more' && F.has('scope_more_' + m[2]))
			return T('scope_more_' + m[2]);
		return m[2];
	}

	function renderAlerts(d) {
		var box = $('#alerts');
		var list = (Array.isArray(d.alerts) ? d.alerts : []).filter(Boolean);

		if (!box)
			return;
		list = list.map(function (a, i) { return { a: a, i: i }; })
		    .sort(function (x, y) {
			return (y.a.severity === 'critical') -
			    (x.a.severity === 'critical') || x.i - y.i;
		    });
		clear(box);
		list.forEach(function (x) {
			var a = x.a;
			var sev = a.severity === 'critical' ? 'critical' : 'warning';
			var div = el('div', 'alert ' + sev);
			var meta = el('span', 'alert-meta');

			var scope = el('span', 'alert-scope', scopeText(d, a.scope));
			var day = el('span', 'alert-day', typeof a.day === 'string' &&
			    F.dateFull(a.day) || a.day);

			scope.setAttribute('dir', 'auto');
			div.appendChild(el('span', 'alert-sev', T('severity_' + sev)));
			div.appendChild(el('span', 'alert-msg', a.message));
			meta.appendChild(scope);
			meta.appendChild(document.createTextNode(DOT));
			meta.appendChild(day);
			/* A silenced alert shows, marked: it sends nothing. */
			if (typeof a.silenced_until === 'string')
				meta.appendChild(el('span', 'silenced', DOT +
				    T('silenced_until', { time: clock(
				    Date.parse(a.silenced_until)) })));
			div.appendChild(meta);
			box.appendChild(div);
		});
		box.hidden = list.length === 0;
	}

	function safeReport(p) {
		return typeof p === 'string' &&
		    /^reports\/[A-Za-z0-9._\/-]+\.html$/.test(p) &&
		    p.indexOf('..') < 0 ? p : null;
	}

	function renderReportLink(d) {
		var a = document.getElementById('latest-report');
		var p = safeReport(d.latest_report);
		var nav = $('.header-links');
		var m;

		if (!p) {
			if (a)
				a.hidden = true;
			return;
		}
		if (!a && nav) {
			a = el('a', 'primary');
			a.id = 'latest-report';
			nav.insertBefore(a, nav.firstChild);
		}
		if (!a)
			return;
		a.hidden = false;
		a.setAttribute('href', p);
		m = /([0-9]{4}-(?:[0-9]{2}(?:-[0-9]{2})?|W[0-9]{2}))\.html$/.exec(p);
		clear(a);
		a.appendChild(document.createTextNode(T('latest_report')));
		if (m)
			a.appendChild(el('span', 'report-date', ' · ' + m[1]));
	}

	/*
	 * "Data of 14:05 · apimon ran 14:37": when the rollups last changed,
	 * and when apimon last ran.  Quiet traffic is not stale: only a run
	 * missed three cron intervals running is (status.json's last run).
	 */
	function renderClock() {
		var d = apimon.data || {}, st = status();
		var t = Date.parse(d.generated);
		var run = Date.parse(st.last_run);
		var cron = num(st.cron_interval_s) > 0 ? num(st.cron_interval_s) :
		    num(d.cron_interval_s) > 0 ? num(d.cron_interval_s) : 60;
		var seen = isNaN(run) ? t : run;
		var age = Date.now() - seen;
		var u = $('#updated'), ua = $('#updated-ago'), box = $('#stale');
		var stale = isNaN(seen) || age > 3 * cron * 1000;

		if (u) {
			if (!isNaN(t)) {
				u.setAttribute('datetime', String(d.generated));
				u.textContent = F.dateTimeFull(t, zone());
				u.title = T('data_at', { time: F.dateTimeFull(t, zone(),
				    true) }) + ' (' + String(d.generated) + ')';
			} else {
				u.textContent = T('never');
			}
		}
		if (ua)
			ua.textContent = isNaN(run) ? '' : DOT + (age >= 60000 ?
			    T('ran_at_ago', { time: clock(run), ago: F.ago(age) }) :
			    T('ran_at', { time: clock(run) }));
		if (box) {
			box.hidden = !stale;
			document.body.classList.toggle('is-stale', stale);
			if (stale)
				$('#stale-text').textContent = isNaN(seen) ?
				    T('stale_no_time') : T('stale_no_run', {
				    duration: F.duration(age),
				    interval: F.duration(cron * 1000) });
		}
	}

	function renderSourceSelect(d) {
		var sel = $('#source');
		var all = sourcesOf(d);
		var have = Array.prototype.map.call(sel ? sel.options : [],
		    function (o) { return o.value; });
		var want = ['all'].concat(all);
		/* the page's own "All sources" too: it may be another language's */
		var names = want.map(function (s) {
			return s === 'all' ? T('all_sources') : nameOf(d, s);
		});

		if (!sel)
			return;
		if (have.join('\n') !== want.join('\n') ||
		    Array.prototype.map.call(sel.options, function (o) {
			return o.textContent;
		    }).join('\n') !== names.join('\n')) {
			clear(sel);
			want.forEach(function (s, i) {
				var o = el('option', null, names[i]);

				o.value = s;
				sel.appendChild(o);
			});
		}
		if (want.indexOf(apimon.state.source) < 0)
			apimon.state.source = 'all';
		sel.value = apimon.state.source;
	}

	function renderRange() {
		var btns = document.querySelectorAll('#range [data-range]');

		Array.prototype.forEach.call(btns, function (b) {
			var on = b.getAttribute('data-range') === apimon.state.range;

			b.classList.toggle('active', on);
			b.setAttribute('aria-pressed', on ? 'true' : 'false');
		});
	}

	/* ---------- the first visit ---------- */

	/*
	 * The curl command that sends a first record to this very site (its
	 * origin: scheme, host and port), with a request id of its own so
	 * that a second try is not a duplicate.
	 */
	function firstRunCommand(origin, now) {
		var rec = { request_id: FIRST_RUN_ID + now.toString(36) };

		Object.keys(FIRST_RUN_RECORD).forEach(function (k) {
			rec[k] = FIRST_RUN_RECORD[k];
		});
		return 'curl -s -H \'Content-Type: application/json\' \\\n' +
		    '  -d \'' + JSON.stringify(rec) + '\' \\\n' +
		    '  \'' + origin + '/api/log-request\'';
	}

	function prepareFirstRun() {
		var code = document.getElementById('first-run-curl');
		var site = document.getElementById('first-run-site');

		if (!code || !/^https?:$/.test(location.protocol))
			return;	/* file://: keep the SITE placeholder */
		code.textContent = firstRunCommand(location.origin, Date.now());
		if (site)
			site.hidden = true;
	}

	function renderFirstRun(d) {
		var box = document.getElementById('first-run');

		if (box)
			box.hidden = !isEmpty(d);
	}

	/* ---------- refresh ---------- */

	function renderRefreshed() {
		var s = document.getElementById('refreshed');

		if (!s || apimon.lastFetchOk === null)
			return;
		s.textContent = T(apimon.lastFetchOk ? 'refreshed' :
		    'refresh_failed', { time: clock(Date.now(), true) });
	}

	/* The Refresh button: fetch the data now, and say when it did. */
	apimon.refreshNow = function () {
		var b = document.getElementById('refresh');
		var s = document.getElementById('refreshed');

		if (b)
			b.disabled = true;
		if (s)
			s.textContent = T('refreshing');
		return apimon.refresh().then(function (v) {
			if (b)
				b.disabled = false;
			if (apimon.lastFetchOk === null)
				apimon.lastFetchOk = false;	/* file:// */
			renderRefreshed();
			return v;
		});
	};

	/* ---------- the more charts ---------- */

	/*
	 * assets/charts.js and data/charts.json, loaded when #more-charts
	 * comes near the screen: the page itself stays light.
	 */
	var more = { data: null, loading: null };

	function drawMore() {
		var all = more.data, s, n, k;

		if (!all || !window.apimonCharts)
			return;
		s = apimon.state.source === 'all' ? all.all :
		    (all.by_source || {})[apimon.state.source];
		s = Object.assign({ days: [] }, s, { error_rate: all.error_rate });
		n = s.days.length;
		k = RANGES[apimon.state.range] || 1;
		window.apimonCharts.draw(s, Math.max(0, n - k), n);
	}

	function fetchMore() {
		return fetch('data/charts.json', { cache: 'no-store' })
		    .then(function (r) {
			if (!r.ok)
				throw new Error('HTTP ' + r.status);
			return r.json();
		    }).then(function (c) {
			more.data = c;
			drawMore();
		    });
	}

	apimon.loadMore = function () {
		if (more.loading || location.protocol === 'file:')
			return more.loading || Promise.resolve();
		more.loading = new Promise(function (ok, fail) {
			var sc = document.createElement('script');

			sc.src = 'assets/charts.js';
			sc.onload = ok;
			sc.onerror = fail;
			document.body.appendChild(sc);
		}).then(fetchMore).catch(function () { /* the data stays */ });
		return more.loading;
	};

	function watchMore() {
		var box = document.getElementById('more-charts');

		if (!box)
			return;
		if (typeof IntersectionObserver !== 'function')
			return apimon.loadMore();
		new IntersectionObserver(function (seen, io) {
			if (seen.some(function (e) { return e.isIntersecting; })) {
				io.disconnect();
				apimon.loadMore();
			}
		}, { rootMargin: '300px' }).observe(box);
	}

	/* ---------- state ---------- */

	function render(mode) {
		var d = apimon.data || {};

		renderSourceSelect(d);
		renderRange();
		renderCards(d);
		renderCharts(d, mode);
		renderTable(d);
		drawMore();
		renderAlerts(d);
		renderReportLink(d);
		renderFirstRun(d);
		if (typeof d.timezone === 'string' && $('#timezone'))
			$('#timezone').textContent = d.timezone;
		renderClock();
	}

	function saveHash() {
		var h = '#range=' + apimon.state.range + '&source=' +
		    encodeURIComponent(apimon.state.source);

		try {
			if (location.hash !== h)
				history.replaceState(null, '', h);
		} catch (e) { /* file:// in some browsers */ }
	}

	function loadHash() {
		var m = /range=([a-z0-9]+)/.exec(location.hash);
		var s = /source=([^&]+)/.exec(location.hash);

		if (m && RANGES[m[1]])
			apimon.state.range = m[1];
		if (s) {
			try {
				apimon.state.source = decodeURIComponent(s[1]);
			} catch (e) { /* keep all */ }
		}
	}

	apimon.setRange = function (r) {
		if (!RANGES[r])
			return;
		apimon.state.range = r;
		saveHash();
		render();
	};

	apimon.setSource = function (s) {
		apimon.state.source = typeof s === 'string' ? s : 'all';
		saveHash();
		render();
	};

	/* Replace the data and redraw in place (no new Chart objects). */
	apimon.update = function (d, mode) {
		if (!d || typeof d !== 'object' || !Array.isArray(d.days))
			return false;
		apimon.data = d;
		render(mode === undefined ? 'none' : mode);
		return true;
	};

	apimon.render = render;

	/* data/status.json, rewritten every run; its failure is not fatal. */
	function fetchStatus() {
		return fetch('data/status.json', { cache: 'no-store' })
		    .then(function (r) {
			if (!r.ok)
				throw new Error('HTTP ' + r.status);
			return r.json();
		    }).then(function (st) {
			if (st && typeof st === 'object')
				apimon.status = st;
		    }).catch(function () { /* keep the last one */ });
	}

	/* Fetch data/dashboard.json; resolves true when new data was drawn. */
	apimon.refresh = function () {
		if (location.protocol === 'file:' || typeof fetch !== 'function')
			return Promise.resolve(false);
		if (inflight)
			return inflight;
		inflight = fetchStatus().then(function () {
			return fetch('data/dashboard.json', { cache: 'no-store' });
		    })
		    .then(function (r) {
			if (!r.ok)
				throw new Error('HTTP ' + r.status);
			return r.text();
		    }).then(function (text) {
			apimon.lastFetch = Date.now();
			apimon.lastFetchOk = true;
			var d;

			if (text === lastText) {
				/* the comparison in status.json moves on */
				renderCards(apimon.data);
				return false;
			}
			d = JSON.parse(text);
			lastText = text;
			if (more.data)
				fetchMore().catch(function () {});
			return apimon.update(d);
		    }).catch(function () {
			apimon.lastFetchOk = false;
			return false;
		    }).then(function (v) {
			inflight = null;
			renderClock();
			renderRefreshed();
			return v;
		    });
		return inflight;
	};

	function embedded() {
		var s = document.getElementById('apimon-data');

		try {
			return JSON.parse(s ? s.textContent : '');
		} catch (e) {
			return null;
		}
	}

	function init() {
		var d = embedded() || { days: [], sources: [], daily: {},
		    recent: [], alerts: [] };
		var range = $('#range'), source = $('#source');
		var refresh = $('#refresh');

		apimon.data = d;
		loadHash();
		if (range)
			range.addEventListener('click', function (ev) {
				var b = ev.target.closest('[data-range]');

				if (b)
					apimon.setRange(b.getAttribute('data-range'));
			});
		if (range && range.tagName === 'SELECT')
			range.addEventListener('change', function () {
				apimon.setRange(range.value);
			});
		if (source)
			source.addEventListener('change', function () {
				apimon.setSource(source.value);
			});
		if (refresh) {
			refresh.hidden = false;
			refresh.addEventListener('click', function () {
				apimon.refreshNow();
			});
		}
		document.documentElement.classList.add('js');
		prepareFirstRun();
		makeCharts();
		render();
		watchMore();

		setInterval(apimon.refresh, REFRESH_MS);
		setInterval(renderClock, 15000);
		document.addEventListener('visibilitychange', function () {
			if (document.visibilityState === 'visible' &&
			    Date.now() - apimon.lastFetch > REFRESH_MS)
				apimon.refresh();
		});
		/* The page may come from a cache: look for newer data now. */
		apimon.refresh();
	}

	if (document.readyState === 'loading')
		document.addEventListener('DOMContentLoaded', init);
	else
		init();
}());
