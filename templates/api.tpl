{{%AUTOESCAPE context="HTML"}}{{!
  api.tpl: docs/api.html, the ingest API reference.  Every word comes from
  the catalogue (ui.api_*); R_ includes are texts with `code` in them
  (see page() in render/pages.c).  Code stays code in every locale.
}}<!doctype html>
<html lang="{{LANG}}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<link rel="icon" href="data:image/svg+xml,%3Csvg xmlns='http://www.w3.org/2000/svg' viewBox='0 0 32 32'%3E%3Crect width='32' height='32' rx='8' fill='%234f46e5'/%3E%3Cpath d='M7 21l6-7 5 4 7-9' fill='none' stroke='%23fff' stroke-width='3' stroke-linecap='round' stroke-linejoin='round'/%3E%3C/svg%3E">
<title>{{L_api_title}} · apimon</title>
<link rel="stylesheet" href="../assets/style.css">
</head>
<body class="page docs">
<header class="top">
  <a class="brand" href="../index.html">apimon</a>
  {{>NAV}}
</header>
<main>
<h1>{{L_api_title}}</h1>
<p>{{>R_api_intro}}</p>

<section class="panel">
<h2>{{L_api_fields}}</h2>
<div class="scroll"><table class="data stack" id="fields">
<thead><tr><th>{{L_api_col_field}}</th><th>{{L_api_col_type}}</th><th>{{L_api_col_required}}</th><th>{{L_api_col_rules}}</th></tr></thead>
<tbody>
<tr><td><code>request_id</code></td><td>{{L_api_type_string}}</td><td>{{L_api_yes}}</td><td>{{L_api_rule_request_id}}</td></tr>
<tr><td><code>source</code></td><td>{{L_api_type_string}}</td><td>{{L_api_yes}}</td><td>{{L_api_rule_source}}</td></tr>
<tr><td><code>status</code></td><td>{{L_api_type_string}}</td><td>{{L_api_yes}}</td><td>{{>R_api_rule_status}}</td></tr>
<tr><td><code>execution_time</code></td><td>{{L_api_type_number}}</td><td>{{L_api_yes}}</td><td>{{L_api_rule_execution_time}}</td></tr>
<tr><td><code>user_id</code></td><td>{{L_api_type_string}}</td><td>{{L_api_no}}</td><td>{{L_api_rule_user_id}}</td></tr>
<tr><td><code>command</code></td><td>{{L_api_type_string}}</td><td>{{L_api_no}}</td><td>{{>R_api_rule_command}}</td></tr>
<tr><td><code>tokens_used</code></td><td>{{L_api_type_integer}}</td><td>{{L_api_no}}</td><td>{{>R_api_rule_tokens_used}}</td></tr>
<tr><td><code>cost</code></td><td>{{L_api_type_number}}</td><td>{{L_api_no}}</td><td>{{L_api_rule_cost}}</td></tr>
<tr><td><code>timestamp</code></td><td>{{L_api_type_string_or_number}}</td><td>{{L_api_no}}</td><td>{{L_api_rule_timestamp}}</td></tr>
<tr><td><code>model</code>, <code>provider</code></td><td>{{L_api_type_string}}</td><td>{{L_api_no}}</td><td>{{L_api_rule_model}}</td></tr>
<tr><td><code>input_tokens</code>, <code>output_tokens</code></td><td>{{L_api_type_integer}}</td><td>{{L_api_no}}</td><td>{{L_api_rule_input_tokens}}</td></tr>
<tr><td><code>time_to_first_token</code></td><td>{{L_api_type_number}}</td><td>{{L_api_no}}</td><td>{{L_api_rule_time_to_first_token}}</td></tr>
<tr><td><code>error</code></td><td>{{L_api_type_string}}</td><td>{{L_api_no}}</td><td>{{L_api_rule_error}}</td></tr>
<tr><td><code>metadata</code></td><td>{{L_api_type_object}}</td><td>{{L_api_no}}</td><td>{{L_api_rule_metadata}}</td></tr>
</tbody></table></div>
<p>{{>R_api_fields_note}}</p>
</section>

<section class="panel">
<h2>{{L_api_answers}}</h2>
<div class="scroll"><table class="data stack" id="statuses">
<thead><tr><th>{{L_api_col_status}}</th><th>{{L_api_col_when}}</th><th>{{L_api_col_body}}</th></tr></thead>
<tbody>
<tr><td>200</td><td>{{L_api_when_200}}</td><td><code>{"accepted":1,"duplicates":0,"rejected":[]}</code>{{L_api_rejects}} <code>{"index":0,"field":"cost","error":"…"}</code></td></tr>
<tr><td>400</td><td>{{L_api_when_400}}</td><td><code>{"error":"…","field":"cost"}</code></td></tr>
<tr><td>401</td><td>{{L_api_when_401}}</td><td><code>{"error":"…"}</code></td></tr>
<tr><td>404</td><td>{{L_api_when_404}}</td><td><code>{"error":"not found"}</code></td></tr>
<tr><td>405</td><td>{{>R_api_when_405}}</td><td><code>{"error":"method not allowed"}</code></td></tr>
<tr><td>413</td><td>{{L_api_when_413}}</td><td><code>{"error":"…"}</code></td></tr>
<tr><td>415</td><td>{{>R_api_when_415}}</td><td><code>{"error":"…"}</code></td></tr>
<tr><td>503</td><td>{{>R_api_when_503}}</td><td><code>{"error":"…"}</code></td></tr>
</tbody></table></div>
</section>

<section class="panel">
<h2>{{L_api_otlp}}</h2>
<p>{{>R_api_otlp_intro}}</p>
<pre><code>OTEL_EXPORTER_OTLP_TRACES_ENDPOINT=http://localhost:8001/v1/traces
OTEL_EXPORTER_OTLP_HEADERS=Authorization=Bearer%20TOKEN</code></pre>
</section>

<section class="panel">
<h2>{{L_api_examples}}</h2>
<h3>curl</h3>
<pre><code>curl -s -H 'Content-Type: application/json' \
  -d '{"request_id":"r-1","source":"web","status":"success","execution_time":1.2,"model":"gpt-4o-mini","input_tokens":900,"output_tokens":300}' \
  http://localhost:8001/api/log-request</code></pre>
<h3>{{L_api_example_python}}</h3>
<pre><code>import json, urllib.request, uuid

def log_request(source, status, seconds, **fields):
    body = dict(request_id=str(uuid.uuid4()), source=source, status=status,
                execution_time=seconds, **fields)
    req = urllib.request.Request("http://localhost:8001/api/log-request",
                                 data=json.dumps(body).encode(),
                                 headers={"Content-Type": "application/json"})
    try:
        urllib.request.urlopen(req, timeout=2).read()
    except OSError:
        pass  # {{L_api_example_python_comment}}</code></pre>
<h3>{{L_api_example_js}}</h3>
<pre><code>await fetch("http://localhost:8001/api/log-request", {
  method: "POST",
  headers: { "Content-Type": "application/json" },
  body: JSON.stringify({ request_id: crypto.randomUUID(), source: "web",
                         status: "success", execution_time: 1.2 }),
  signal: AbortSignal.timeout(2000),
}).catch(() =&gt; {});</code></pre>
<h3>{{L_api_example_ndjson}}</h3>
<pre><code>printf '%s\n' '{"request_id":"a","source":"web","status":"success","execution_time":0.4}' \
              '{"request_id":"b","source":"web","status":"error","execution_time":2.1}' |
  curl -s -H 'Content-Type: application/x-ndjson' --data-binary @- http://localhost:8001/api/log-request</code></pre>
</section>
</main>
</body>
</html>
