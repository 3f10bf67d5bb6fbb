/*
 * report.js: the chart of a report page, from the JSON embedded in it
 * (#report-series): the requests as bars on the left axis and, for a week
 * or a month, the cost per day as a line drawn above the bars, on the
 * right axis.  Numbers are written by format.js (window.apimonFormat).
 */
(function () {
	'use strict';

	/* Every string a reader sees, for a message catalogue. */
	var TEXT = {
		requests: 'Requests',
		cost: 'Cost (USD)'
	};
	var BAR = '#4f7cff';
	var LINE = '#f59e0b';
	/* A dataset of lower order is drawn later: above the others. */
	var ORDER = { cost: 1, requests: 2 };

	function byDataset(a, b) {
		return a.datasetIndex - b.datasetIndex;
	}

	var el = document.getElementById('report-series');
	var canvas = document.getElementById('chart-series');
	var F = window.apimonFormat;
	var s, sets, scales;

	if (!el || !canvas || typeof Chart === 'undefined' || !F)
		return;
	s = JSON.parse(el.textContent);
	sets = [{ label: TEXT.requests, data: s.requests, backgroundColor: BAR,
	    yAxisID: 'y', order: ORDER.requests }];
	scales = {
		y: { beginAtZero: true, position: 'left',
		    title: { display: true, text: TEXT.requests },
		    ticks: { precision: 0, callback: function (v) {
			return F.integer(v);
		    } } }
	};
	if (Array.isArray(s.cost_usd)) {
		sets.push({ label: TEXT.cost, data: s.cost_usd, type: 'line',
		    borderColor: LINE, backgroundColor: LINE, borderWidth: 2,
		    pointRadius: 3, yAxisID: 'y1', order: ORDER.cost });
		scales.y1 = { beginAtZero: true, position: 'right',
		    grid: { drawOnChartArea: false },
		    title: { display: true, text: TEXT.cost },
		    ticks: { callback: function (v, i, ticks) {
			return F.usdTick(v, F.tickStep(ticks));
		    } } };
	}
	new Chart(canvas, {
		type: 'bar',
		data: { labels: s.labels, datasets: sets },
		options: {
			responsive: true,
			maintainAspectRatio: false,
			animation: false,
			interaction: { mode: 'index', intersect: false },
			scales: scales,
			plugins: {
				/* requests first, whatever the drawing order */
				legend: { labels: { sort: byDataset } },
				tooltip: { itemSort: byDataset, callbacks: {
					label: function (ctx) {
						var v = ctx.parsed.y;

						return ' ' + ctx.dataset.label + ': ' +
						    (ctx.dataset.yAxisID === 'y1' ?
						    F.usd(v) : F.integer(v));
					} } }
			}
		}
	});
}());
