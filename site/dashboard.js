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
 * textContent, createTextNode or setAttribute, never innerHTML.
 *
 * window.apimon = { data, state: { range, source }, charts, ... } for tests.
 */
(function () {
	'use strict';

	var RANGES = { today: 1, '7d': 7, '30d': 30 };
	var VS = { today: 'vs yesterday', '7d': 'vs previous 7 days',
	    '30d': 'vs previous 30 days' };
	var REFRESH_MS = 60000;
	var HOUR_MS = 3600000;
	var BUCKETS = ['0–1 s', '1–2 s', '2–3 s', '3–5 s', '> 5 s'];
	var PALETTE = ['#4f46e5', '#0ea5e9', '#10b981', '#f59e0b', '#ef4444',
	    '#8b5cf6', '#ec4899', '#14b8a6', '#84cc16', '#f97316'];
	var ACCENT = '#4f46e5';
	var FONT = 'system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", ' +
	    'Arial, "Noto Sans", sans-serif';
	/* For each card: which way of the change is good news. */
	var CARDS = [
		{ id: 'card-requests', key: 'requests', good: 0 },
		{ id: 'card-success-rate', key: 'success_rate', good: 1 },
		{ id: 'card-avg-latency', key: 'avg_latency', good: -1 },
		{ id: 'card-tokens', key: 'tokens', good: 0 },
		{ id: 'card-cost', key: 'cost', good: -1 },
		{ id: 'card-failures', key: 'failures', good: -1 }
	];

	var nfInt = new Intl.NumberFormat('en-US', { maximumFractionDigits: 0 });
	var nf1 = new Intl.NumberFormat('en-US',
	    { minimumFractionDigits: 1, maximumFractionDigits: 1 });
	var nf2 = new Intl.NumberFormat('en-US',
	    { minimumFractionDigits: 2, maximumFractionDigits: 2 });

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

	function pad(n) { return (n < 10 ? '0' : '') + n; }

	function clear(el) {
		while (el.firstChild)
			el.removeChild(el.firstChild);
	}

	function el(tag, cls, text) {
		var e = document.createElement(tag);

		if (cls)
			e.className = cls;
		if (text !== undefined && text !== null)
			e.textContent = String(text);
		return e;
	}

	/* A class name made from data: only a fixed set of characters. */
	function token(s, dflt) {
		return typeof s === 'string' && /^[a-z0-9_-]{1,32}$/.test(s) ? s : dflt;
	}

	function localDate(ms) {
		var d = new Date(ms);

		return d.getFullYear() + '-' + pad(d.getMonth() + 1) + '-' +
		    pad(d.getDate());
	}

	function localTime(ms, secs) {
		var d = new Date(ms);

		return pad(d.getHours()) + ':' + pad(d.getMinutes()) +
		    (secs ? ':' + pad(d.getSeconds()) : '');
	}

	function ago(ms) {
		var s = Math.max(0, Math.round(ms / 1000));

		if (s < 90)
			return s + ' s';
		if (s < 90 * 60)
			return Math.round(s / 60) + ' min';
		if (s < 48 * 3600)
			return Math.round(s / 3600) + ' h';
		return Math.round(s / 86400) + ' days';
	}

	function fmtInt(v) { return nfInt.format(Math.round(v)); }

	function fmtCost(v) {
		if (v < 1)
			return '$' + v.toFixed(4);
		return '$' + nf2.format(v);
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

	function fmtMetric(key, v) {
		if (v === null)
			return '—';
		switch (key) {
		case 'success_rate':
			return v.toFixed(1) + '%';
		case 'avg_latency':
			return v.toFixed(2) + ' s';
		case 'cost':
			return fmtCost(v);
		default:
			return fmtInt(v);
		}
	}

	/* ---------- cards ---------- */

	function renderCards(d) {
		var sp = spans(d);
		var srcs = selected(d);
		var cur = totals(d, srcs, sp.a, sp.b);
		var prev = totals(d, srcs, sp.pa, sp.pb);

		CARDS.forEach(function (c) {
			var card = document.getElementById(c.id);
			var value, change, delta, vs, pct, dir;

			if (!card)
				return;
			value = card.querySelector('.value');
			change = card.querySelector('.change');
			value.textContent = fmtMetric(c.key, cur[c.key]);
			value.title = c.key === 'cost' && cur.cost !== null ?
			    '$' + cur.cost.toFixed(6) : '';

			clear(change);
			if (cur[c.key] === null || prev[c.key] === null ||
			    prev[c.key] === 0) {
				pct = null;
				delta = el('span', 'delta', '—');
				delta.title = 'nothing to compare with in the previous period';
				dir = 'none';
			} else {
				pct = (cur[c.key] - prev[c.key]) / prev[c.key] * 100;
				if (pct > 0)
					dir = 'up';
				else if (pct < 0)
					dir = 'down';
				else
					dir = 'flat';
				delta = el('span', 'delta', (dir === 'up' ? '▲ ' :
				    dir === 'down' ? '▼ ' : '') +
				    nf1.format(Math.abs(pct)) + '%');
				delta.title = 'previous: ' + fmtMetric(c.key, prev[c.key]);
			}
			vs = el('span', 'vs', ' ' + VS[apimon.state.range]);
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

	function hourlySeries(d, sp) {
		var h = d.hourly || {};
		var start = num(h.start_ms);
		var hours = Math.floor(num(h.hours));
		var reqs = h.requests || {};
		var from = Array.isArray(d.day_start_ms) ? num(d.day_start_ms[sp.a]) : 0;
		var srcs = selected(d);
		var oneDay = apimon.state.range === 'today';
		var labels = [], values = [];
		var i, t, v;

		for (i = 0; i < hours; i++) {
			t = start + i * HOUR_MS;
			if (t < from)
				continue;
			v = 0;
			srcs.forEach(function (s) { v += at(reqs[s], i); });
			labels.push(oneDay ? localTime(t, false) :
			    localDate(t).slice(5) + ' ' + localTime(t, false));
			values.push(v);
		}
		return { labels: labels, values: values };
	}

	function setEmpty(canvasId, empty) {
		var c = document.getElementById(canvasId);
		var p = c && c.parentNode.querySelector('.chart-empty');

		if (p)
			p.hidden = !empty;
	}

	function sum(a) {
		return a.reduce(function (x, y) { return x + y; }, 0);
	}

	function baseOptions() {
		return {
			responsive: true,
			maintainAspectRatio: false,
			animation: { duration: 300 },
			interaction: { mode: 'index', intersect: false },
			plugins: { legend: { display: false } },
			scales: {
				x: { grid: { display: false },
				    ticks: { maxRotation: 0, autoSkipPadding: 14 } },
				y: { beginAtZero: true, grace: '5%',
				    ticks: { precision: 0, maxTicksLimit: 6 } }
			}
		};
	}

	function makeCharts() {
		var o;

		if (typeof window.Chart !== 'function')
			return false;
		Chart.defaults.font.family = FONT;
		Chart.defaults.font.size = 12;
		Chart.defaults.color = '#64748b';
		Chart.defaults.borderColor = '#eef0f4';
		Chart.defaults.plugins.tooltip.backgroundColor = '#0f172a';
		Chart.defaults.plugins.tooltip.padding = 10;
		Chart.defaults.plugins.tooltip.cornerRadius = 8;

		o = baseOptions();
		apimon.charts.hourly = new Chart(
		    document.getElementById('chart-hourly'), {
			type: 'line',
			data: { labels: [], datasets: [{ label: 'Requests', data: [],
			    borderColor: ACCENT, backgroundColor: withAlpha(ACCENT, 0.12),
			    borderWidth: 2, fill: true, tension: 0.3,
			    pointRadius: 0, pointHoverRadius: 4 }] },
			options: o
		});

		o = baseOptions();
		o.scales.y.ticks = { maxTicksLimit: 6, callback: function (v) {
			return '$' + (v < 1 && v > 0 ? v.toFixed(2) : nfInt.format(v));
		} };
		o.plugins.tooltip = { callbacks: { label: function (ctx) {
			return ' ' + fmtCost(num(ctx.parsed.y));
		} } };
		apimon.charts.cost = new Chart(
		    document.getElementById('chart-cost'), {
			type: 'bar',
			data: { labels: [], datasets: [{ label: 'Cost', data: [],
			    backgroundColor: withAlpha(ACCENT, 0.8),
			    borderRadius: 4, maxBarThickness: 48 }] },
			options: o
		});

		apimon.charts.sources = new Chart(
		    document.getElementById('chart-sources'), {
			type: 'doughnut',
			data: { labels: [], datasets: [{ label: 'Requests', data: [],
			    backgroundColor: [], borderColor: '#fff', borderWidth: 2,
			    offset: [], hoverOffset: 6 }] },
			options: {
				responsive: true,
				maintainAspectRatio: false,
				animation: { duration: 300 },
				cutout: '62%',
				layout: { padding: 8 },
				plugins: {
					legend: { position: 'bottom', labels: {
					    boxWidth: 12, boxHeight: 12, padding: 14 } },
					tooltip: { callbacks: { label: function (ctx) {
						var all = sum(ctx.dataset.data.map(num));
						var v = num(ctx.parsed);

						return ' ' + ctx.label + ': ' + fmtInt(v) +
						    (all ? ' (' + (v / all * 100).toFixed(1) +
						    '%)' : '');
					} } }
				}
			}
		});

		o = baseOptions();
		apimon.charts.latency = new Chart(
		    document.getElementById('chart-latency'), {
			type: 'bar',
			data: { labels: BUCKETS.slice(), datasets: [{ label: 'Requests',
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
		var hs, ds, cost, labels, all, reqs, buckets, i;

		if (!ch.hourly)
			return;

		/* requests per hour */
		hs = hourlySeries(d, sp);
		ds = ch.hourly.data.datasets[0];
		ch.hourly.data.labels = hs.labels;
		ds.data = hs.values;
		ds.borderColor = color;
		ds.backgroundColor = withAlpha(color, 0.12);
		ds.pointRadius = hs.values.length <= 48 ? 2.5 : 0;
		ds.borderWidth = hs.values.length <= 48 ? 2 : 1.5;
		ds.tension = hs.values.length <= 48 ? 0.3 : 0;
		ch.hourly.update(mode);
		setEmpty('chart-hourly', sum(hs.values) === 0);

		/* cost per day */
		labels = [];
		cost = [];
		for (i = sp.a; i < sp.b; i++) {
			labels.push(String(days[i]).slice(5));
			cost.push(srcs.reduce(function (x, s) {
				return x + at(daily[s] && daily[s].cost_usd, i);
			}, 0));
		}
		ch.cost.data.labels = labels;
		ch.cost.data.datasets[0].data = cost;
		ch.cost.data.datasets[0].backgroundColor = withAlpha(color, 0.8);
		ch.cost.update(mode);
		setEmpty('chart-cost', sum(cost) === 0);

		/* share by source: every source, the selected one stands out */
		all = sourcesOf(d);
		reqs = all.map(function (s) {
			var x = daily[s], v = 0, j;

			for (j = sp.a; j < sp.b; j++)
				v += at(x && x.requests, j);
			return v;
		});
		ds = ch.sources.data.datasets[0];
		ch.sources.data.labels = all.slice();
		ds.data = reqs;
		ds.backgroundColor = all.map(function (s, j) {
			var c = PALETTE[j % PALETTE.length];

			return !one || s === apimon.state.source ? c : withAlpha(c, 0.25);
		});
		ds.offset = all.map(function (s) {
			return one && s === apimon.state.source ? 12 : 0;
		});
		ch.sources.update(mode);
		setEmpty('chart-sources', sum(reqs) === 0);

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
		ch.latency.update(mode);
		setEmpty('chart-latency', sum(buckets) === 0);
	}

	/* ---------- recent requests ---------- */

	function cell(tr, cls, text, title) {
		var td = el('td', cls);

		if (text === null || text === undefined || text === '') {
			td.appendChild(el('span', 'none', '—'));
		} else {
			td.textContent = String(text);
			if (title)
				td.title = String(text);
		}
		tr.appendChild(td);
		return td;
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
			    r.status === undefined ? '' : r.status);

			if (!isNaN(x.t)) {
				tm.setAttribute('datetime', String(r.time));
				tm.textContent = (localDate(x.t) === today ? '' :
				    localDate(x.t).slice(5) + ' ') + localTime(x.t, true);
				tm.title = localDate(x.t) + ' ' + localTime(x.t, true) +
				    ' (' + String(r.time) + ')';
			} else {
				tm.textContent = String(r.time);
			}
			td.appendChild(tm);
			tr.appendChild(td);
			cell(tr, 'source', r.source);
			cell(tr, 'user', r.user_id, true);
			cell(tr, 'command', r.command, true);
			cell(tr, 'model', r.model, true);
			td = el('td');
			td.appendChild(st);
			tr.appendChild(td);
			cell(tr, 'num', typeof r.latency_s === 'number' ?
			    r.latency_s.toFixed(3) : null);
			cell(tr, 'num', typeof r.tokens === 'number' ?
			    fmtInt(r.tokens) : null);
			cell(tr, 'num', typeof r.cost_usd === 'number' ?
			    r.cost_usd.toFixed(6) : null);
			frag.appendChild(tr);
		});
		if (rows.length === 0) {
			var tr = el('tr', 'empty');
			var td = el('td', 'empty', src === 'all' ?
			    'No requests yet.' : 'No recent requests from ' + src + '.');

			td.colSpan = 9;
			tr.appendChild(td);
			frag.appendChild(tr);
		}
		clear(tbody);
		tbody.appendChild(frag);
		$('#recent-note').textContent = (rows.length === 50 ? '50 most recent' :
		    rows.length + (rows.length === 1 ? ' request' : ' requests')) +
		    ' · times in your local time';
	}

	/* ---------- alerts, header ---------- */

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

			div.appendChild(el('span', 'alert-sev', sev));
			div.appendChild(el('span', 'alert-msg', a.message));
			meta.appendChild(el('span', 'alert-scope', a.scope));
			meta.appendChild(document.createTextNode(' · '));
			meta.appendChild(el('span', 'alert-day', a.day));
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
		var nav = $('nav.links');
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
		a.appendChild(document.createTextNode('Latest report'));
		if (m)
			a.appendChild(el('span', 'report-date', ' · ' + m[1]));
	}

	function renderClock() {
		var d = apimon.data || {};
		var t = Date.parse(d.generated);
		var cron = num(d.cron_interval_s) > 0 ? num(d.cron_interval_s) : 60;
		var limit = 3 * cron * 1000;
		var age = Date.now() - t;
		var u = $('#updated'), ua = $('#updated-ago'), st = $('#stale');
		var stale = isNaN(t) || age > limit;

		if (u) {
			if (!isNaN(t)) {
				u.setAttribute('datetime', String(d.generated));
				u.textContent = localDate(t) + ' ' + localTime(t, false);
				u.title = String(d.generated);
			} else {
				u.textContent = 'never';
			}
		}
		if (ua)
			ua.textContent = isNaN(t) ? '' : age < 0 ? '' :
			    '(' + ago(age) + ' ago)';
		if (st) {
			st.hidden = !stale;
			document.body.classList.toggle('is-stale', stale);
			if (stale)
				$('#stale-text').textContent = isNaN(t) ?
				    'The data has no valid time.' :
				    'Last updated ' + ago(age) + ' ago; apimon-render ' +
				    'runs every ' + ago(cron * 1000) + '. Check its cron job.';
		}
	}

	function renderSourceSelect(d) {
		var sel = $('#source');
		var all = sourcesOf(d);
		var have = Array.prototype.map.call(sel ? sel.options : [],
		    function (o) { return o.value; });
		var want = ['all'].concat(all);

		if (!sel)
			return;
		if (have.join('\n') !== want.join('\n')) {
			clear(sel);
			want.forEach(function (s) {
				var o = el('option', null, s === 'all' ? 'All sources' : s);

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

	/* ---------- state ---------- */

	function render(mode) {
		var d = apimon.data || {};

		renderSourceSelect(d);
		renderRange();
		renderCards(d);
		renderCharts(d, mode);
		renderTable(d);
		renderAlerts(d);
		renderReportLink(d);
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

	/* Fetch data/dashboard.json; resolves true when new data was drawn. */
	apimon.refresh = function () {
		if (location.protocol === 'file:' || typeof fetch !== 'function')
			return Promise.resolve(false);
		if (inflight)
			return inflight;
		inflight = fetch('data/dashboard.json', { cache: 'no-store' })
		    .then(function (r) {
			if (!r.ok)
				throw new Error('HTTP ' + r.status);
			return r.text();
		    }).then(function (text) {
			apimon.lastFetch = Date.now();
			apimon.lastFetchOk = true;
			var d;

			if (text === lastText)
				return false;
			d = JSON.parse(text);
			lastText = text;
			return apimon.update(d);
		    }).catch(function () {
			apimon.lastFetchOk = false;
			return false;
		    }).then(function (v) {
			inflight = null;
			renderClock();
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
		document.documentElement.classList.add('js');
		makeCharts();
		render();

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
