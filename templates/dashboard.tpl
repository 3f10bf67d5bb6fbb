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
      <p class="updated-line">Updated <time id="updated" datetime="{{UPDATED_AT}}">{{UPDATED_AT}}</time> <span id="updated-ago" class="muted"></span></p>
    </div>
    <div class="header-links">
      {{#HAS_REPORT}}<a id="latest-report" class="primary" href="{{LATEST_REPORT}}">Latest report</a>{{/HAS_REPORT}}
      {{>NAV}}
    </div>
  </div>
</header>

<main class="dash">
  <p id="stale" class="stale" role="alert" hidden><strong>Stale data.</strong> <span id="stale-text">The data has not been updated for longer than three cron intervals.</span></p>

  <section id="alerts" class="alert-strip" aria-label="Active alerts">{{#ALERT}}
    <div class="alert {{SEVERITY}}"><span class="alert-sev">{{SEVERITY}}</span><span class="alert-msg">{{MESSAGE}}</span><span class="alert-meta"><span class="alert-scope">{{SCOPE}}</span> · <span class="alert-day">{{DAY}}</span></span></div>
  {{/ALERT}}</section>

  <div class="controls">
    <div id="range" class="segmented" role="group" aria-label="Time range">
      <button type="button" value="today" data-range="today" class="active" aria-pressed="true">Today</button>
      <button type="button" value="7d" data-range="7d" aria-pressed="false">7 days</button>
      <button type="button" value="30d" data-range="30d" aria-pressed="false">30 days</button>
    </div>
    <label class="select-wrap">
      <span class="select-label">Source</span>
      <select id="source" name="source">
        <option value="all" selected>All sources</option>
      </select>
    </label>
    <span class="tz muted">Days in <span id="timezone">{{TIMEZONE}}</span></span>
    <span class="refresh">
      <button type="button" id="refresh" class="button" hidden>Refresh</button>
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
    <h2 id="first-run-title">No requests yet: send the first one</h2>
    <p>apimon shows what your services send to <code>POST /api/log-request</code>. Try it from a shell:</p>
    <pre><code id="first-run-curl">curl -s -H 'Content-Type: application/json' \
  -d '{"request_id":"hello-1","source":"web","status":"success","execution_time":1.2,"model":"gpt-4o-mini","input_tokens":900,"output_tokens":300}' \
  SITE/api/log-request</code></pre>
    <p id="first-run-site" class="muted">SITE is the address of this site, such as <code>https://apimon.example.com</code>.</p>
    <p>The answer is <code>{"accepted":1,"duplicates":0,"rejected":[]}</code>, and the request shows here after the next run of apimon (cron, every minute). Add <code>-H 'Authorization: Bearer TOKEN'</code> when the server has <code>ingest.token</code> set. <a id="first-run-api" href="docs/api.html">The API page</a> lists every field, batches and client examples in Python and JavaScript.</p>
  </section>

  <section class="cards" aria-label="Totals">
    <article id="card-requests" class="card" data-metric="requests">
      <h2 class="card-label">Requests</h2>
      <p class="value">—</p>
      <p class="change">—</p>
    </article>
    <article id="card-success-rate" class="card" data-metric="success_rate">
      <h2 class="card-label">Success rate</h2>
      <p class="value">—</p>
      <p class="change">—</p>
    </article>
    <article id="card-avg-latency" class="card" data-metric="avg_latency">
      <h2 class="card-label">Average latency</h2>
      <p class="value">—</p>
      <p class="change">—</p>
    </article>
    <article id="card-tokens" class="card" data-metric="tokens">
      <h2 class="card-label">Tokens</h2>
      <p class="value">—</p>
      <p class="change">—</p>
    </article>
    <article id="card-cost" class="card" data-metric="cost">
      <h2 class="card-label">Cost</h2>
      <p class="value">—</p>
      <p class="change">—</p>
    </article>
    <article id="card-failures" class="card" data-metric="failures">
      <h2 class="card-label">Failures</h2>
      <p class="value">—</p>
      <p class="change">—</p>
    </article>
  </section>

  <noscript><p class="noscript">The cards, charts and filters need JavaScript. The table below shows the most recent requests of every source.</p></noscript>

  <section class="charts" aria-label="Charts">
    <figure class="panel panel-wide">
      <figcaption><h2>Requests per hour</h2><span id="hourly-note" class="muted"></span></figcaption>
      <div class="chart-box"><canvas id="chart-hourly" role="img" aria-label="Requests per hour"></canvas><p class="chart-empty" hidden>No requests in this range</p></div>
    </figure>
    <figure class="panel">
      <figcaption><h2>Cost per day</h2><span id="cost-note" class="muted"></span></figcaption>
      <div class="chart-box"><canvas id="chart-cost" role="img" aria-label="Cost per day in US dollars"></canvas><p class="chart-empty" hidden>No cost in this range</p></div>
    </figure>
    <figure class="panel">
      <figcaption><h2>Share by source</h2><span class="muted">requests</span></figcaption>
      <div class="chart-box"><canvas id="chart-sources" role="img" aria-label="Requests by source"></canvas><p class="chart-empty" hidden>No requests in this range</p></div>
    </figure>
    <figure class="panel">
      <figcaption><h2>Latency</h2><span class="muted">requests per bucket</span></figcaption>
      <div class="chart-box"><canvas id="chart-latency" role="img" aria-label="Latency histogram"></canvas><p class="chart-empty" hidden>No requests in this range</p></div>
    </figure>
  </section>

  <section class="panel recent-panel" aria-labelledby="recent-title">
    <div class="panel-head">
      <h2 id="recent-title">Recent requests</h2>
      <span id="recent-note" class="muted">50 most recent · times in your local time</span>
    </div>
    <div class="table-wrap">
      <table id="recent">
        <thead>
          <tr>
            <th scope="col">Time</th>
            <th scope="col">Source</th>
            <th scope="col">User</th>
            <th scope="col">Command</th>
            <th scope="col">Model</th>
            <th scope="col">Status</th>
            <th scope="col" class="num">Latency (s)</th>
            <th scope="col" class="num">Tokens</th>
            <th scope="col" class="num">Cost ($)</th>
          </tr>
        </thead>
        <tbody>
{{#RECENT}}
          <tr><td class="time"><time datetime="{{TIME}}">{{TIME}}</time></td><td class="source">{{SOURCE}}</td><td class="user">{{USER}}</td><td class="command">{{COMMAND}}</td><td class="model">{{MODEL}}</td><td><span class="status {{STATUS}}">{{STATUS}}</span></td><td class="num">{{LATENCY}}</td><td class="num">{{TOKENS}}</td><td class="num">{{COST}}</td></tr>
{{/RECENT}}
        </tbody>
      </table>
    </div>
  </section>
</main>

<footer class="footer">
  <p>apimon · refreshes every 60 s without reloading · <a href="data/dashboard.json">data/dashboard.json</a></p>
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
