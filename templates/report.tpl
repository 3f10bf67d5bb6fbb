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
<p class="meta"><time id="period" datetime="{{START}}">{{PERIOD}}</time>{{L_comma}}{{TIMEZONE}} ·
  <a href="{{JSON_URL}}">JSON</a> · <a href="{{CSV_URL}}">CSV</a>{{#EXPORTS}}<br><span id="raw-exports">{{L_report_exports}} <a id="raw-csv" href="../../data/requests/{{DAY}}/requests.csv" download="apimon-requests-{{DAY}}.csv">CSV</a> · <a id="raw-ndjson" href="../../data/requests/{{DAY}}/requests.ndjson" download="apimon-requests-{{DAY}}.ndjson">NDJSON</a> · <a id="raw-explorer" href="../../requests.html">{{L_nav_requests}}</a></span>{{/EXPORTS}}</p>
<nav class="pager" aria-label="{{L_report_pager}}">{{#OLDER}}<a id="older-report" rel="prev" href="{{URL}}">← {{LABEL}}</a>{{/OLDER}} {{#NEWER}}<a id="newer-report" rel="next" href="{{URL}}">{{LABEL}} →</a>{{/NEWER}}</nav>

<section class="panel">
<h2>{{L_report_totals}}</h2>
<div class="scroll"><table class="data" id="totals">
<thead><tr><th></th><th class="num">{{L_report_this_period}}</th><th class="num">{{L_report_previous}}</th><th class="num">{{L_report_change}}</th></tr></thead>
<tbody>
{{#CMP}}<tr><th>{{LABEL}}</th><td class="num">{{CUR}}</td><td class="num">{{PREV}}</td><td class="num">{{CHANGE}}</td></tr>
{{/CMP}}</tbody></table></div>
</section>

{{#HAS_BUDGETS}}<section id="budgets" class="panel budgets">
<h2>{{L_budget_title}}</h2>
{{#BUDGET}}<div class="budget {{STATE}}"><p class="budget-head"><span class="budget-scope" dir="auto">{{SCOPE_TEXT}}</span> <span class="budget-spent">{{SPENT_TEXT}}</span></p><meter min="0" max="100" low="80" high="99" optimum="0" value="{{PCT}}">{{PCT}}%</meter><p class="budget-note muted">{{NOTE}}</p></div>
{{/BUDGET}}</section>{{/HAS_BUDGETS}}

<section class="panel">
<h2>{{L_report_chart}}</h2>
<div class="chart-box"><canvas id="chart-series" aria-label="{{L_report_chart_label}}"></canvas></div>
</section>

{{#MORE}}<section id="more-charts" class="more-charts" aria-label="{{L_dash_more_charts}}">
<figure class="panel"><figcaption><h2>{{L_chart_tokens}}</h2><span class="muted">{{L_chart_tokens_unit}}</span></figcaption><div class="chart-box"><canvas id="chart-tokens" role="img" aria-label="{{L_chart_tokens}}"></canvas></div></figure>
<figure class="panel"><figcaption><h2>{{L_chart_model_cost}}</h2><span class="muted">{{L_chart_model_cost_unit}}</span></figcaption><div class="chart-box"><canvas id="chart-model-cost" role="img" aria-label="{{L_chart_model_cost}}"></canvas></div></figure>
<figure class="panel"><figcaption><h2>{{L_chart_p95}}</h2><span class="muted">{{L_chart_p95_unit}}</span></figcaption><div class="chart-box"><canvas id="chart-p95" role="img" aria-label="{{L_chart_p95}}"></canvas></div></figure>
<figure class="panel"><figcaption><h2>{{L_chart_error_rate}}</h2><span class="muted">{{L_chart_error_rate_unit}}</span></figcaption><div class="chart-box"><canvas id="chart-error-rate" role="img" aria-label="{{L_chart_error_rate}}"></canvas></div></figure>
</section>{{/MORE}}

<section class="panel">
<h2>{{L_report_by_source}}</h2>
<div class="scroll"><table class="data" id="by-source">
<thead><tr><th>{{L_col_source}}</th><th class="num">{{L_col_requests}}</th><th class="num">{{L_col_success}}</th><th class="num">{{L_col_avg_s}}</th><th class="num">{{L_col_p95_s}}</th><th class="num">{{L_col_tokens}}</th><th class="num">{{L_col_cost_usd}}</th></tr></thead>
<tbody>
{{#SOURCE}}<tr><td dir="auto">{{NAME}}</td><td class="num">{{REQUESTS}}</td><td class="num">{{SUCCESS}}</td><td class="num">{{AVG}}</td><td class="num">{{P95}}</td><td class="num">{{TOKENS}}</td><td class="num">{{COST}}</td></tr>
{{/SOURCE}}</tbody></table></div>
</section>

<section class="panel">
<h2>{{L_report_by_model}}</h2>
<div class="scroll"><table class="data" id="by-model">
<thead><tr><th>{{L_col_model}}</th><th class="num">{{L_col_requests}}</th><th class="num">{{L_col_success}}</th><th class="num">{{L_col_avg_s}}</th><th class="num">{{L_col_p95_s}}</th><th class="num">{{L_col_tokens}}</th><th class="num">{{L_col_cost_usd}}</th></tr></thead>
<tbody>
{{#MODEL}}<tr><td dir="auto">{{NAME}}</td><td class="num">{{REQUESTS}}</td><td class="num">{{SUCCESS}}</td><td class="num">{{AVG}}</td><td class="num">{{P95}}</td><td class="num">{{TOKENS}}</td><td class="num">{{COST}}</td></tr>
{{/MODEL}}</tbody></table></div>
<p class="muted note" id="p95-note">{{L_report_p95_note}}</p>
</section>

<section class="panel">
<h2>{{L_report_alerts}}</h2>
{{#NO_ALERTS}}<p>{{L_report_no_alerts}}</p>{{/NO_ALERTS}}
<ul class="alert-list">
{{#ALERT}}<li class="alert {{SEVERITY}}"><strong>{{SEVERITY_TEXT}}</strong> <bdi>{{MESSAGE}}</bdi> <span class="muted">(<bdi>{{SCOPE_TEXT}}</bdi>{{L_comma}}{{DAY}}{{L_comma}}{{STATE_TEXT}})</span></li>
{{/ALERT}}</ul>
</section>
</main>
{{! SERIES_JSON is escaped by esc_json_script() for this spot: it holds no < > & /. }}
<script type="application/json" id="report-series">{{SERIES_JSON:none}}</script>
{{! I18N_JSON: the locale's words for the scripts, escaped by esc_json_script(). }}
<script type="application/json" id="apimon-i18n">{{I18N_JSON:none}}</script>
<script src="../../assets/chart.min.js"></script>
<script src="../../assets/format.js"></script>
{{#MORE}}<script src="../../assets/charts.js"></script>{{/MORE}}
<script src="../../assets/report.js"></script>
</body>
</html>
