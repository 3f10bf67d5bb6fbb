/*
 * report.js: the chart of a report page, from the JSON embedded in it
 * (#report-series): the requests as bars on the left axis and, for a week
 * or a month, the cost per day as a line drawn above the bars, on the
 * right axis.  Words come from the page's catalogue and numbers and days
 * are written by format.js (window.apimonFormat), in the page's language.
 */
(function () {
	'use strict';

	var BAR = '#4f7cff';
	var LINE = '#f59e0b';
	/* A dataset of lower order is drawn later: above the others. */
	var ORDER = { cost: 1, requests: 2 };
	var DAY = /^[0-9]{4}-[0-9]{2}-[0-9]{2}$/;

	function byDataset(a, b) {
		return a.datasetIndex - b.datasetIndex;
	}

	var el = document.getElementById('report-series');
	var canvas = document.getElementById('chart-series');
	var F = window.apimonFormat;
	var T = F && F.t;
	var s, sets, scales, days;

	if (!el || !canvas || typeof Chart === 'undefined' || !F)
		return;
	s = JSON.parse(el.textContent);
	/* the days of a week or month ("YYYY-MM-DD"), else the hours */
	days = Array.isArray(s.labels) && s.labels.every(function (l) {
		return DAY.test(l);
	}) ? s.labels : null;
	sets = [{ label: T('requests'), data: s.requests, backgroundColor: BAR,
	    yAxisID: 'y', order: ORDER.requests }];
	scales = {
		x: { ticks: { callback: function (v, i) {
			return days ? F.dayShort(days[i]) : this.getLabelForValue(v);
		} } },
		y: { beginAtZero: true, position: 'left',
		    title: { display: true, text: T('requests') },
		    ticks: { precision: 0, callback: function (v) {
			return F.integer(v);
		    } } }
	};
	if (Array.isArray(s.cost_usd)) {
		sets.push({ label: T('cost_usd'), data: s.cost_usd, type: 'line',
		    borderColor: LINE, backgroundColor: LINE, borderWidth: 2,
		    pointRadius: 3, yAxisID: 'y1', order: ORDER.cost });
		scales.y1 = { beginAtZero: true, position: 'right',
		    grid: { drawOnChartArea: false },
		    title: { display: true, text: T('cost_usd') },
		    ticks: { callback: function (v, i, ticks) {
			return F.usdTick(v, F.tickStep(ticks));
		    } } };
	}
	if (F.font)	/* the page's: CJK fonts too */
		Chart.defaults.font.family = F.font;
	/* a week or a month: the more charts (charts.js) */
	if (s.more && window.apimonCharts)
		window.apimonCharts.draw(s.more);
	new Chart(canvas, {
		type: 'bar',
		data: { labels: s.labels, datasets: sets },
		options: {
			locale: F.locale,
			responsive: true,
			maintainAspectRatio: false,
			animation: false,
			interaction: { mode: 'index', intersect: false },
			scales: scales,
			plugins: {
				/* requests first, whatever the drawing order */
				legend: { labels: { sort: byDataset } },
				tooltip: { itemSort: byDataset, callbacks: {
					/* a day in full */
					title: function (items) {
						var it = items[0];

						return !it ? '' : days ?
						    F.dateFull(days[it.dataIndex]) : it.label;
					},
					label: function (ctx) {
						var v = ctx.parsed.y;

						return ' ' + T('series_tip', {
						    series: ctx.dataset.label,
						    value: ctx.dataset.yAxisID === 'y1' ?
						    F.usd(v) : F.integer(v) });
					} } }
			}
		}
	});
}());
