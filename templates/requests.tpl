{{%AUTOESCAPE context="HTML"}}{{!
  requests.tpl: the request explorer, requests.html at the root of the site.

  The page has no data in it: assets/explorer.js reads
  data/requests/index.json and the chunks of each day as it needs them
  (render/explore.c writes them; docs/api.md describes them). Filters live
  in the URL's fragment (#source=web&status=error&model=...&user=...&q=...
  &page=2, or #id=REQUEST_ID). The exports of each day are plain links, so
  that they work without JavaScript. The ids are a contract with the
  browser tests: keep them.
}}<!doctype html>
<html lang="{{LANG}}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<link rel="icon" href="data:image/svg+xml,%3Csvg xmlns='http://www.w3.org/2000/svg' viewBox='0 0 32 32'%3E%3Crect width='32' height='32' rx='8' fill='%234f46e5'/%3E%3Cpath d='M7 21l6-7 5 4 7-9' fill='none' stroke='%23fff' stroke-width='3' stroke-linecap='round' stroke-linejoin='round'/%3E%3C/svg%3E">
<title>{{L_xp_title}} · apimon</title>
<link rel="stylesheet" href="assets/style.css">
<link rel="stylesheet" href="assets/explorer.css">
</head>
<body class="page explorer">
<header class="top">
  <a class="brand" href="index.html">apimon</a>
  {{>NAV}}
</header>
<main>
<h1>{{L_xp_title}}</h1>
<p class="meta" id="xp-meta">{{META}}</p>
{{#OFF}}<p id="xp-off" class="panel">{{>R_xp_off}}</p>{{/OFF}}
<noscript><p class="noscript">{{L_xp_noscript}}</p></noscript>

<form id="xp-filters" class="xp-filters panel" hidden>
  <label><span>{{L_col_source}}</span>
    <select id="xp-source" name="source"><option value="">{{L_dash_all_sources}}</option></select></label>
  <label><span>{{L_col_status}}</span>
    <select id="xp-status" name="status"><option value="">{{L_xp_all_statuses}}</option></select></label>
  <label><span>{{L_col_model}}</span>
    <select id="xp-model" name="model"><option value="">{{L_xp_all_models}}</option></select></label>
  <label><span>{{L_col_user}}</span>
    <input id="xp-user" name="user" type="search" autocomplete="off" placeholder="{{L_xp_user_hint}}"></label>
  <label class="xp-wide"><span>{{L_xp_search}}</span>
    <input id="xp-q" name="q" type="search" autocomplete="off" placeholder="{{L_xp_search_hint}}"></label>
  <span class="xp-buttons">
    <button type="submit" id="xp-apply" class="button primary">{{L_xp_apply}}</button>
    <button type="button" id="xp-clear" class="button">{{L_xp_clear}}</button>
  </span>
</form>

<form id="xp-lookup" class="xp-lookup panel" hidden>
  <label class="xp-wide"><span>{{L_col_request_id}}</span>
    <input id="xp-id" name="id" type="search" autocomplete="off" spellcheck="false"></label>
  <button type="submit" id="xp-find" class="button">{{L_xp_find}}</button>
</form>

<section id="xp-detail" class="panel xp-detail" hidden aria-labelledby="xp-detail-title">
  <h2 id="xp-detail-title">{{L_xp_detail}}</h2>
  <dl id="xp-detail-list">
    <dt>{{L_col_request_id}}</dt><dd data-f="request_id" dir="auto"></dd>
    <dt>{{L_col_time}}</dt><dd data-f="time"></dd>
    <dt>{{L_col_source}}</dt><dd data-f="source" dir="auto"></dd>
    <dt>{{L_col_user}}</dt><dd data-f="user_id" dir="auto"></dd>
    <dt>{{L_col_command}}</dt><dd data-f="command" dir="auto"></dd>
    <dt>{{L_col_model}}</dt><dd data-f="model" dir="auto"></dd>
    <dt>{{L_xp_provider}}</dt><dd data-f="provider" dir="auto"></dd>
    <dt>{{L_col_status}}</dt><dd data-f="status"></dd>
    <dt>{{L_col_latency_s}}</dt><dd data-f="latency_s"></dd>
    <dt>{{L_xp_ttft_s}}</dt><dd data-f="ttft_s"></dd>
    <dt>{{L_xp_input_tokens}}</dt><dd data-f="input_tokens"></dd>
    <dt>{{L_xp_output_tokens}}</dt><dd data-f="output_tokens"></dd>
    <dt>{{L_col_tokens}}</dt><dd data-f="tokens"></dd>
    <dt>{{L_col_cost_dollar}}</dt><dd data-f="cost_usd"></dd>
    <dt>{{L_xp_cost_source}}</dt><dd data-f="cost_source"></dd>
    <dt>{{L_xp_error}}</dt><dd data-f="error" dir="auto"></dd>
    <dt>{{L_xp_metadata}}</dt><dd data-f="metadata" dir="auto"></dd>
    <dt>{{L_xp_received}}</dt><dd data-f="received"></dd>
  </dl>
  <p class="muted">{{L_xp_detail_exports}} <a id="xp-detail-csv" href="#">CSV</a> · <a id="xp-detail-ndjson" href="#">NDJSON</a></p>
</section>

<section class="panel recent-panel" aria-labelledby="xp-list-title">
  <div class="panel-head">
    <h2 id="xp-list-title">{{L_xp_list}}</h2>
    <span id="xp-note" class="muted" role="status" aria-live="polite"></span>
  </div>
  <div class="table-wrap">
    <table id="xp-table" class="rows">
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
      <tbody></tbody>
    </table>
  </div>
  <nav id="xp-pager" class="xp-pager" aria-label="{{L_xp_pager}}" hidden>
    <button type="button" id="xp-newer" class="button">← {{L_xp_newer}}</button>
    <span id="xp-page" class="muted"></span>
    <button type="button" id="xp-older" class="button">{{L_xp_older}} →</button>
    <button type="button" id="xp-more" class="button" hidden>{{L_xp_more}}</button>
    <button type="button" id="xp-csv" class="button">{{L_xp_csv}}</button>
  </nav>
</section>

<section id="xp-exports" class="panel" aria-labelledby="xp-exports-title">
  <h2 id="xp-exports-title">{{L_xp_exports}}</h2>
  <p class="muted">{{>R_xp_exports_note}}</p>
  <ul class="xp-export-list">
{{#EXPORT}}    <li><span class="xp-export-day">{{DAY}}</span> <a href="{{DIR}}requests.csv" download="apimon-requests-{{DAY}}.csv">CSV</a> · <a href="{{DIR}}requests.ndjson" download="apimon-requests-{{DAY}}.ndjson">NDJSON</a></li>
{{/EXPORT}}  </ul>
</section>
</main>
{{! I18N_JSON: the locale's words for the scripts, escaped by esc_json_script(). }}
<script type="application/json" id="apimon-i18n">{{I18N_JSON:none}}</script>
<script src="assets/format.js"></script>
<script src="assets/explorer.js"></script>
</body>
</html>
