{{%AUTOESCAPE context="HTML"}}
{{!
  dashboard.tpl: the dashboard, index.html at the root of the site.

  Filled by apimon-render. ctemplate escapes every variable for the spot it
  lands in (HTML text, attribute, URL) because of the AUTOESCAPE line above;
  the only exception is DATA_JSON, see the comment next to it.

  assets/dashboard.js redraws everything below from the embedded JSON (and
  from data/dashboard.json every 60 s); the server-rendered table and alert
  strip are what a browser without JavaScript sees. The ids are a contract
  with the browser tests: keep them.
}}<!DOCTYPE html>
<html lang="{{LANG}}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="color-scheme" content="light">
<title>{{TITLE}}</title>
<link rel="icon" href="data:image/svg+xml,%3Csvg xmlns='http://www.w3.org/2000/svg' viewBox='0 0 32 32'%3E%3Crect width='32' height='32' rx='8' fill='%234f46e5'/%3E%3Cpath d='M7 21l6-7 5 4 7-9' fill='none' stroke='%23fff' stroke-width='3' stroke-linecap='round' stroke-linejoin='round'/%3E%3C/svg%3E">
<link rel="stylesheet" href="assets/style.css">
</head>
<body>
<header class="topbar">
  <div class="topbar-inner">
    <div class="brand">
      <h1><span class="logo" aria-hidden="true"></span>{{TITLE}}</h1>
      <p class="updated-line">{{L_dash_updated}} <time id="updated" datetime="{{UPDATED_AT}}">{{UPDATED_TEXT}}</time> <span id="updated-ago" class="muted"></span></p>
    </div>
    <div class="header-links">
      {{#HAS_REPORT}}<a id="latest-report" class="primary" href="{{LATEST_REPORT}}">{{L_dash_latest_report}}</a>{{/HAS_REPORT}}
      {{>NAV}}
    </div>
  </div>
</header>

<main class="dash">
  <p id="stale" class="stale" role="alert" hidden><strong>{{L_dash_stale}}</strong> <span id="stale-text">{{L_dash_stale_text}}</span></p>

  <section id="alerts" class="alert-strip" aria-label="{{L_dash_active_alerts}}">{{#ALERT}}
    <div class="alert {{SEVERITY}}"><span class="alert-sev">{{SEVERITY_TEXT}}</span><span class="alert-msg" dir="auto">{{MESSAGE}}</span><span class="alert-meta"><span class="alert-scope" dir="auto">{{SCOPE_TEXT}}</span> · <span class="alert-day">{{DAY}}</span></span></div>
  {{/ALERT}}</section>

  <div class="controls">
    <div id="range" class="segmented" role="group" aria-label="{{L_dash_range}}">
      <button type="button" value="today" data-range="today" class="active" aria-pressed="true">{{L_dash_today}}</button>
      <button type="button" value="7d" data-range="7d" aria-pressed="false">{{L_dash_7d}}</button>
      <button type="button" value="30d" data-range="30d" aria-pressed="false">{{L_dash_30d}}</button>
    </div>
    <label class="select-wrap">
      <span class="select-label">{{L_dash_source}}</span>
      <select id="source" name="source">
        <option value="all" selected>{{L_dash_all_sources}}</option>
      </select>
    </label>
    <span class="tz muted">{{L_dash_tz_before}}<span id="timezone">{{TIMEZONE}}</span>{{L_dash_tz_after}}</span>
    <span class="refresh">
      <button type="button" id="refresh" class="button" hidden>{{L_dash_refresh}}</button>
      <span id="refreshed" class="muted" role="status" aria-live="polite"></span>
    </span>
  </div>

  {{!
    The first visit: shown while the database has no data (HAS_DATA hides
    it; dashboard.js hides or shows it again from the data it fetches).
    The command is for this site: dashboard.js writes its own address
    into #first-run-curl; without JavaScript SITE stands for it.
  }}
  <section id="first-run" class="panel first-run" aria-labelledby="first-run-title"{{#HAS_DATA}} hidden{{/HAS_DATA}}>
    <h2 id="first-run-title">{{L_dash_first_title}}</h2>
    <p>{{>R_dash_first_intro}}</p>
    <pre><code id="first-run-curl">curl -s -H 'Content-Type: application/json' \
  -d '{"request_id":"hello-1","source":"web","status":"success","execution_time":1.2,"model":"gpt-4o-mini","input_tokens":900,"output_tokens":300}' \
  SITE/api/log-request</code></pre>
    <p id="first-run-site" class="muted">{{>R_dash_first_site}}</p>
    <p>{{>R_dash_first_answer}} {{L_dash_first_api_before}}<a id="first-run-api" href="docs/api.html">{{L_dash_first_api_link}}</a>{{L_dash_first_api_after}}</p>
  </section>

  <section class="cards" aria-label="{{L_dash_totals}}">
    <article id="card-requests" class="card" data-metric="requests">
      <h2 class="card-label">{{L_card_requests}}</h2>
      <p class="value">—</p>
      <p class="change">—</p>
    </article>
    <article id="card-success-rate" class="card" data-metric="success_rate">
      <h2 class="card-label">{{L_card_success_rate}}</h2>
      <p class="value">—</p>
      <p class="change">—</p>
    </article>
    <article id="card-avg-latency" class="card" data-metric="avg_latency">
      <h2 class="card-label">{{L_card_avg_latency}}</h2>
      <p class="value">—</p>
      <p class="change">—</p>
    </article>
    <article id="card-tokens" class="card" data-metric="tokens">
      <h2 class="card-label">{{L_card_tokens}}</h2>
      <p class="value">—</p>
      <p class="change">—</p>
    </article>
    <article id="card-cost" class="card" data-metric="cost">
      <h2 class="card-label">{{L_card_cost}}</h2>
      <p class="value">—</p>
      <p class="change">—</p>
    </article>
    <article id="card-failures" class="card" data-metric="failures">
      <h2 class="card-label">{{L_card_failures}}</h2>
      <p class="value">—</p>
      <p class="change">—</p>
    </article>
  </section>

  {{#HAS_BUDGETS}}<section id="budgets" class="panel budgets" aria-labelledby="budgets-title">
    <h2 id="budgets-title">{{L_budget_title}}</h2>
    {{#BUDGET}}<div class="budget {{STATE}}"><p class="budget-head"><span class="budget-scope" dir="auto">{{SCOPE_TEXT}}</span> <span class="budget-spent">{{SPENT_TEXT}}</span></p><meter min="0" max="100" low="80" high="99" optimum="0" value="{{PCT}}">{{PCT}}%</meter><p class="budget-note muted">{{NOTE}}</p></div>
  {{/BUDGET}}</section>{{/HAS_BUDGETS}}

  <noscript><p class="noscript">{{L_dash_noscript}}</p></noscript>

  <section class="charts" aria-label="{{L_dash_charts}}">
    <figure class="panel panel-wide">
      <figcaption><h2>{{L_chart_hourly}}</h2><span id="hourly-note" class="muted"></span></figcaption>
      <div class="chart-box"><canvas id="chart-hourly" role="img" aria-label="{{L_chart_hourly}}"></canvas><p class="chart-empty" hidden>{{L_chart_no_requests}}</p></div>
    </figure>
    <figure class="panel">
      <figcaption><h2>{{L_chart_cost}}</h2><span id="cost-note" class="muted"></span></figcaption>
      <div class="chart-box"><canvas id="chart-cost" role="img" aria-label="{{L_chart_cost_label}}"></canvas><p class="chart-empty" hidden>{{L_chart_no_cost}}</p></div>
    </figure>
    <figure class="panel">
      <figcaption><h2>{{L_chart_sources}}</h2><span class="muted">{{L_chart_sources_unit}}</span></figcaption>
      <div class="chart-box"><canvas id="chart-sources" role="img" aria-label="{{L_chart_sources_label}}"></canvas><p class="chart-empty" hidden>{{L_chart_no_requests}}</p></div>
    </figure>
    <figure class="panel">
      <figcaption><h2>{{L_chart_latency}}</h2><span class="muted">{{L_chart_latency_unit}}</span></figcaption>
      <div class="chart-box"><canvas id="chart-latency" role="img" aria-label="{{L_chart_latency_label}}"></canvas><p class="chart-empty" hidden>{{L_chart_no_requests}}</p></div>
    </figure>
  </section>

  {{! The more charts: assets/charts.js and data/charts.json load when
      this comes into view (dashboard.js), so that the page stays light. }}
  <section id="more-charts" class="more-charts" aria-label="{{L_dash_more_charts}}">
    <figure class="panel">
      <figcaption><h2>{{L_chart_tokens}}</h2><span class="muted">{{L_chart_tokens_unit}}</span></figcaption>
      <div class="chart-box"><canvas id="chart-tokens" role="img" aria-label="{{L_chart_tokens}}"></canvas></div>
    </figure>
    <figure class="panel">
      <figcaption><h2>{{L_chart_model_cost}}</h2><span class="muted">{{L_chart_model_cost_unit}}</span></figcaption>
      <div class="chart-box"><canvas id="chart-model-cost" role="img" aria-label="{{L_chart_model_cost}}"></canvas></div>
    </figure>
    <figure class="panel">
      <figcaption><h2>{{L_chart_p95}}</h2><span class="muted">{{L_chart_p95_unit}}</span></figcaption>
      <div class="chart-box"><canvas id="chart-p95" role="img" aria-label="{{L_chart_p95}}"></canvas></div>
    </figure>
    <figure class="panel">
      <figcaption><h2>{{L_chart_error_rate}}</h2><span class="muted">{{L_chart_error_rate_unit}}</span></figcaption>
      <div class="chart-box"><canvas id="chart-error-rate" role="img" aria-label="{{L_chart_error_rate}}"></canvas></div>
    </figure>
  </section>

  <section class="panel recent-panel" aria-labelledby="recent-title">
    <div class="panel-head">
      <h2 id="recent-title">{{L_dash_recent}}</h2>
      <span id="recent-note" class="muted">{{L_dash_recent_note}}</span>
    </div>
    <div class="table-wrap">
      <table id="recent" class="rows">
        <thead>
          <tr>
            <th scope="col">{{L_col_time}}</th>
            <th scope="col">{{L_col_request_id}}</th>
            <th scope="col">{{L_col_source}}</th>
            <th scope="col">{{L_col_user}}</th>
            <th scope="col">{{L_col_command}}</th>
            <th scope="col">{{L_col_model}}</th>
            <th scope="col">{{L_col_status}}</th>
            <th scope="col" class="num">{{L_col_latency_s}}</th>
            <th scope="col" class="num">{{L_col_tokens}}</th>
            <th scope="col" class="num">{{L_col_cost_dollar}}</th>
          </tr>
        </thead>
        <tbody>
{{#RECENT}}
          <tr><td class="time"><time datetime="{{TIME}}">{{TIME_TEXT}}</time></td><td><a class="rid" href="requests.html#id={{ID:u}}">{{ID}}</a></td><td class="source">{{SOURCE}}</td><td class="user" dir="auto">{{USER}}</td><td class="command" dir="auto">{{COMMAND}}</td><td class="model" dir="auto">{{MODEL}}</td><td><span class="status {{STATUS}}">{{STATUS_TEXT}}</span></td><td class="num">{{LATENCY}}</td><td class="num">{{TOKENS}}</td><td class="num">{{COST}}</td></tr>
{{/RECENT}}
        </tbody>
      </table>
    </div>
  </section>
</main>

<footer class="footer">
  <p>apimon · {{L_dash_footer}} · <a href="data/dashboard.json">data/dashboard.json</a></p>
</footer>

{{!
  DATA_JSON is emitted with :none on purpose: apimon-render escapes it for
  exactly this spot (a JSON text in which every "<" is written \u003c, so it
  cannot close the script element or open a comment), and ctemplate's own
  JavaScript escaping would corrupt the JSON. Nothing else may use :none.
}}
<script type="application/json" id="apimon-data">{{DATA_JSON:none}}</script>
{{! I18N_JSON: the locale's words for the scripts, escaped by esc_json_script(). }}
<script type="application/json" id="apimon-i18n">{{I18N_JSON:none}}</script>
<script src="assets/chart.min.js"></script>
<script src="assets/format.js"></script>
<script src="assets/dashboard.js"></script>
</body>
</html>
