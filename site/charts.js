/*
 * charts.js: the "more charts" of the dashboard and of the weekly and
 * monthly reports, drawn with Chart.js from one per-day series (render/
 * charts.c: days, requests, failures, input_tokens, output_tokens,
 * p95_s, cost_by_model, and error_rate, the alert threshold):
 *   #chart-tokens      tokens per day, input and output stacked
 *   #chart-model-cost  cost per day by model: the 5 costliest and the rest
 *   #chart-p95         p95 latency per day
 *   #chart-error-rate  failures of requests per day, with the threshold
 * window.apimonCharts.draw(series[, from, to]) draws the days [from, to)
 * of it (all of them by default), and again in place; .charts holds the
 * Chart objects, .data what each one was given, for tests.
 */
(function () {
	'use strict';

	var F = window.apimonFormat;
	var T = F.t;
	var TOP = 5;
	var IN = '#4f46e5', OUT = '#0ea5e9', P95 = '#f59e0b', ERR = '#ef4444';
	var LIMIT = '#64748b';
	var MODELS = ['#4f46e5', '#0ea5e9', '#10b981', '#f59e0b', '#ec4899'];
	var OTHER = '#94a3b8';
	var C = { charts: {}, data: {} };

	window.apimonCharts = C;

	function num(x) {
		return typeof x === 'number' && isFinite(x) ? x : 0;
	}

	function slice(a, from, to) {
		return (Array.isArray(a) ? a : []).slice(from, to);
	}

	/* The 5 costliest models of the days, then the rest as one. */
	function topModels(by, from, to) {
		var names = Object.keys(by || {}), sums = {}, top, rest;

		names.forEach(function (m) {
			sums[m] = slice(by[m], from, to).reduce(function (a, v) {
				return a + num(v);
			}, 0);
		});
		names = names.filter(function (m) { return sums[m] > 0; })
		    .sort(function (a, b) {
			return sums[b] - sums[a] || (a < b ? -1 : a > b ? 1 : 0);
		    });
		top = names.slice(0, TOP).map(function (m) {
			return { label: m === '' ? T('no_model') : m, model: m,
			    data: slice(by[m], from, to).map(num) };
		});
		rest = names.slice(TOP);
		if (rest.length > 0)
			top.push({ label: T('other_models'), other: rest,
			    data: slice(by[rest[0]], from, to).map(function (v, i) {
				return rest.reduce(function (a, m) {
					return a + num(by[m][from + i]);
				}, 0);
			    }) });
		return top;
	}

	function options(stacked, tick) {
		return {
			responsive: true,
			maintainAspectRatio: false,
			animation: false,
			interaction: { mode: 'index', intersect: false },
			plugins: { legend: { display: true, position: 'bottom',
			    labels: { boxWidth: 12, boxHeight: 12 } },
			    tooltip: { callbacks: {
				title: function (items) {
					return items[0] ? F.dateFull(items[0].label) : '';
				},
				label: function (ctx) {
					return ' ' + T('series_tip', { series:
					    ctx.dataset.label, value: tick(ctx.parsed.y) });
				} } } },
			scales: {
				x: { stacked: stacked, grid: { display: false },
				    ticks: { maxRotation: 0, autoSkipPadding: 14,
				    callback: function (v) {
					return F.dayShort(this.getLabelForValue(v));
				    } } },
				y: { stacked: stacked, beginAtZero: true,
				    ticks: { maxTicksLimit: 6, callback: tick } }
			}
		};
	}

	/* Make chart id of type with its datasets, or give it new data. */
	function put(id, type, labels, sets, opts) {
		var canvas = document.getElementById(id), ch = C.charts[id];

		if (!canvas)
			return;
		C.data[id] = { labels: labels, datasets: sets.map(function (s) {
			return { label: s.label, data: s.data.slice() };
		}) };
		if (ch) {
			ch.data.labels = labels;
			ch.data.datasets = sets;
			ch.update('none');
			return;
		}
		C.charts[id] = new Chart(canvas, { type: type,
		    data: { labels: labels, datasets: sets }, options: opts });
	}

	C.draw = function (s, from, to) {
		var labels, rate, limit, pct;

		if (!s || typeof Chart !== 'function')
			return;
		from = from || 0;
		to = to === undefined ? (s.days || []).length : to;
		labels = slice(s.days, from, to);
		if (F.font)
			Chart.defaults.font.family = F.font;
		put('chart-tokens', 'bar', labels, [
			{ label: T('tokens_in'), data: slice(s.input_tokens, from, to)
			    .map(num), backgroundColor: IN, stack: 't' },
			{ label: T('tokens_out'), data: slice(s.output_tokens, from, to)
			    .map(num), backgroundColor: OUT, stack: 't' }],
		    options(true, function (v) { return F.compact(v); }));
		put('chart-model-cost', 'bar', labels, topModels(s.cost_by_model,
		    from, to).map(function (m, i) {
			m.backgroundColor = m.other ? OTHER : MODELS[i];
			m.stack = 'c';
			return m;
		    }), options(true, function (v) { return F.usd(v); }));
		put('chart-p95', 'line', labels, [{ label: T('p95'),
		    data: slice(s.p95_s, from, to).map(function (v) {
			return typeof v === 'number' ? v : null;
		    }), borderColor: P95, backgroundColor: P95, spanGaps: false,
		    pointRadius: 3, tension: 0.2 }],
		    options(false, function (v) { return F.seconds(v); }));
		rate = slice(s.requests, from, to).map(function (n, i) {
			return num(n) > 0 ? num(s.failures[from + i]) / n * 100 : null;
		});
		limit = num(s.error_rate) > 0 ? num(s.error_rate) * 100 : null;
		pct = function (v) { return F.percent(v, 1); };
		put('chart-error-rate', 'line', labels, [{ label: T('error_rate'),
		    data: rate, borderColor: ERR, backgroundColor: ERR,
		    pointRadius: 3, tension: 0.2 }].concat(limit === null ? [] : [{
		    label: T('threshold'), data: labels.map(function () {
			return limit;
		    }), borderColor: LIMIT, borderDash: [6, 4], borderWidth: 1.5,
		    pointRadius: 0 }]), options(false, pct));
	};
}());
