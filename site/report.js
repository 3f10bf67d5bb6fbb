// report.js — the chart of a report page, from the JSON embedded in it.
(function () {
  'use strict';
  var el = document.getElementById('report-series');
  var canvas = document.getElementById('chart-series');
  if (!el || !canvas || typeof Chart === 'undefined') return;
  var s = JSON.parse(el.textContent);
  var sets = [{ label: 'Requests', data: s.requests, backgroundColor: '#4f7cff', yAxisID: 'y' }];
  if (s.cost_usd) {
    sets.push({ label: 'Cost $', data: s.cost_usd, type: 'line', borderColor: '#f59e0b',
                backgroundColor: '#f59e0b', yAxisID: 'y1' });
  }
  var scales = { y: { beginAtZero: true, position: 'left' } };
  if (s.cost_usd) scales.y1 = { beginAtZero: true, position: 'right', grid: { drawOnChartArea: false } };
  new Chart(canvas, {
    type: 'bar',
    data: { labels: s.labels, datasets: sets },
    options: { responsive: true, maintainAspectRatio: false, animation: false, scales: scales }
  });
})();
