{{%AUTOESCAPE context="HTML"}}<!doctype html>
<html lang="{{LANG}}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<link rel="icon" href="data:image/svg+xml,%3Csvg xmlns='http://www.w3.org/2000/svg' viewBox='0 0 32 32'%3E%3Crect width='32' height='32' rx='8' fill='%234f46e5'/%3E%3Cpath d='M7 21l6-7 5 4 7-9' fill='none' stroke='%23fff' stroke-width='3' stroke-linecap='round' stroke-linejoin='round'/%3E%3C/svg%3E">
<title>{{TITLE}} · apimon</title>
<link rel="stylesheet" href="../../assets/style.css">
</head>
<body class="page report">
<header class="top">
  <a class="brand" href="../../index.html">apimon</a>
  {{>NAV}}
</header>
<main>
<h1>{{TITLE}}</h1>
<p class="meta"><time id="period" datetime="{{START}}">{{PERIOD}}</time>, {{TIMEZONE}} ·
  <a href="{{JSON_URL}}">JSON</a> · <a href="{{CSV_URL}}">CSV</a></p>
<nav class="pager" aria-label="Other reports">{{#OLDER}}<a id="older-report" rel="prev" href="{{URL}}">← {{LABEL}}</a>{{/OLDER}} {{#NEWER}}<a id="newer-report" rel="next" href="{{URL}}">{{LABEL}} →</a>{{/NEWER}}</nav>

<section class="panel">
<h2>Totals</h2>
<div class="scroll"><table class="data" id="totals">
<thead><tr><th></th><th class="num">This period</th><th class="num">Previous</th><th class="num">Change</th></tr></thead>
<tbody>
{{#CMP}}<tr><th>{{LABEL}}</th><td class="num">{{CUR}}</td><td class="num">{{PREV}}</td><td class="num">{{CHANGE}}</td></tr>
{{/CMP}}</tbody></table></div>
</section>

<section class="panel">
<h2>Requests</h2>
<div class="chart-box"><canvas id="chart-series" aria-label="Requests over the period"></canvas></div>
</section>

<section class="panel">
<h2>By source</h2>
<div class="scroll"><table class="data" id="by-source">
<thead><tr><th>Source</th><th class="num">Requests</th><th class="num">Success</th><th class="num">Avg (s)</th><th class="num">p95 (s)</th><th class="num">Tokens</th><th class="num">Cost (USD)</th></tr></thead>
<tbody>
{{#SOURCE}}<tr><td>{{NAME}}</td><td class="num">{{REQUESTS}}</td><td class="num">{{SUCCESS}}</td><td class="num">{{AVG}}</td><td class="num">{{P95}}</td><td class="num">{{TOKENS}}</td><td class="num">{{COST}}</td></tr>
{{/SOURCE}}</tbody></table></div>
</section>

<section class="panel">
<h2>By model</h2>
<div class="scroll"><table class="data" id="by-model">
<thead><tr><th>Model</th><th class="num">Requests</th><th class="num">Success</th><th class="num">Avg (s)</th><th class="num">p95 (s)</th><th class="num">Tokens</th><th class="num">Cost (USD)</th></tr></thead>
<tbody>
{{#MODEL}}<tr><td>{{NAME}}</td><td class="num">{{REQUESTS}}</td><td class="num">{{SUCCESS}}</td><td class="num">{{AVG}}</td><td class="num">{{P95}}</td><td class="num">{{TOKENS}}</td><td class="num">{{COST}}</td></tr>
{{/MODEL}}</tbody></table></div>
<p class="muted note" id="p95-note">p95 latencies come from a histogram: each is within 2 % of the exact value.</p>
</section>

<section class="panel">
<h2>Alerts</h2>
{{#NO_ALERTS}}<p>No alerts in this period.</p>{{/NO_ALERTS}}
<ul class="alert-list">
{{#ALERT}}<li class="alert {{SEVERITY}}"><strong>{{SEVERITY}}</strong> {{MESSAGE}} <span class="muted">({{SCOPE}}, {{DAY}}, {{STATE}})</span></li>
{{/ALERT}}</ul>
</section>
</main>
{{! SERIES_JSON is escaped by esc_json_script() for this spot: it holds no < > & /. }}
<script type="application/json" id="report-series">{{SERIES_JSON:none}}</script>
{{! I18N_JSON: the locale's words for the scripts, escaped by esc_json_script(). }}
<script type="application/json" id="apimon-i18n">{{I18N_JSON:none}}</script>
<script src="../../assets/chart.min.js"></script>
<script src="../../assets/format.js"></script>
<script src="../../assets/report.js"></script>
</body>
</html>
