{{%AUTOESCAPE context="HTML"}}<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<link rel="icon" href="data:image/svg+xml,%3Csvg xmlns='http://www.w3.org/2000/svg' viewBox='0 0 32 32'%3E%3Crect width='32' height='32' rx='8' fill='%234f46e5'/%3E%3Cpath d='M7 21l6-7 5 4 7-9' fill='none' stroke='%23fff' stroke-width='3' stroke-linecap='round' stroke-linejoin='round'/%3E%3C/svg%3E">
<title>Ingest API · apimon</title>
<link rel="stylesheet" href="../assets/style.css">
</head>
<body class="page docs">
<header class="top">
  <a class="brand" href="../index.html">apimon</a>
  {{>NAV}}
</header>
<main>
<h1>Ingest API</h1>
<p><code>POST /api/log-request</code> stores one record, a JSON array of records, or NDJSON
(<code>Content-Type: application/x-ndjson</code>). Send <code>Authorization: Bearer TOKEN</code>
when the server has <code>ingest.token</code> set. <code>GET /api/health</code> says whether the
database takes writes. Every answer is JSON.</p>

<section class="panel">
<h2>Fields</h2>
<div class="scroll"><table class="data stack" id="fields">
<thead><tr><th>Field</th><th>Type</th><th>Required</th><th>Rules</th></tr></thead>
<tbody>
<tr><td><code>request_id</code></td><td>string</td><td>yes</td><td>1–128 characters; unique: a retried id is stored once and counted as a duplicate</td></tr>
<tr><td><code>source</code></td><td>string</td><td>yes</td><td>1–32 characters of a–z, 0–9, _ and - (web, telegram, discord, wechat, …)</td></tr>
<tr><td><code>status</code></td><td>string</td><td>yes</td><td><code>success</code>, <code>error</code>, <code>timeout</code> or <code>rate_limited</code></td></tr>
<tr><td><code>execution_time</code></td><td>number</td><td>yes</td><td>seconds, 0–86400</td></tr>
<tr><td><code>user_id</code></td><td>string</td><td>no</td><td>at most 128 characters</td></tr>
<tr><td><code>command</code></td><td>string</td><td>no</td><td>cut to the configured length (200 characters by default), never inside a character</td></tr>
<tr><td><code>tokens_used</code></td><td>integer</td><td>no</td><td>≥ 0; default input_tokens + output_tokens</td></tr>
<tr><td><code>cost</code></td><td>number</td><td>no</td><td>USD ≥ 0; when absent and the model has a price, computed from the tokens</td></tr>
<tr><td><code>timestamp</code></td><td>string or number</td><td>no</td><td>RFC 3339 or Unix seconds; default: time received; more than 5 minutes in the future is rejected</td></tr>
<tr><td><code>model</code>, <code>provider</code></td><td>string</td><td>no</td><td>at most 64 characters</td></tr>
<tr><td><code>input_tokens</code>, <code>output_tokens</code></td><td>integer</td><td>no</td><td>≥ 0</td></tr>
<tr><td><code>time_to_first_token</code></td><td>number</td><td>no</td><td>seconds ≥ 0, for streaming calls</td></tr>
<tr><td><code>error</code></td><td>string</td><td>no</td><td>at most 500 characters</td></tr>
<tr><td><code>metadata</code></td><td>object</td><td>no</td><td>at most 4 KiB as JSON</td></tr>
</tbody></table></div>
<p>Strings must be valid UTF-8. <code>null</code> means absent. Unknown fields are ignored.</p>
</section>

<section class="panel">
<h2>Answers</h2>
<div class="scroll"><table class="data stack" id="statuses">
<thead><tr><th>Status</th><th>When</th><th>Body</th></tr></thead>
<tbody>
<tr><td>200</td><td>stored (a batch answers 200 even when every item was rejected)</td><td><code>{"accepted":1,"duplicates":0,"rejected":[]}</code>; rejects: <code>{"index":0,"field":"cost","error":"…"}</code></td></tr>
<tr><td>400</td><td>a single record failed validation, or the body is not JSON — nothing stored</td><td><code>{"error":"…","field":"cost"}</code></td></tr>
<tr><td>401</td><td>token missing or wrong</td><td><code>{"error":"…"}</code></td></tr>
<tr><td>404</td><td>unknown path</td><td><code>{"error":"not found"}</code></td></tr>
<tr><td>405</td><td>wrong method (see <code>Allow</code>)</td><td><code>{"error":"method not allowed"}</code></td></tr>
<tr><td>413</td><td>body or batch too large — nothing stored</td><td><code>{"error":"…"}</code></td></tr>
<tr><td>415</td><td>Content-Type other than JSON or NDJSON</td><td><code>{"error":"…"}</code></td></tr>
<tr><td>503</td><td>database busy, full or read-only — nothing stored; retry after <code>Retry-After</code> seconds</td><td><code>{"error":"…"}</code></td></tr>
</tbody></table></div>
</section>

<section class="panel">
<h2>Examples</h2>
<h3>curl</h3>
<pre><code>curl -s -H 'Content-Type: application/json' \
  -d '{"request_id":"r-1","source":"web","status":"success","execution_time":1.2,"model":"gpt-4o-mini","input_tokens":900,"output_tokens":300}' \
  http://localhost:8001/api/log-request</code></pre>
<h3>Python (standard library)</h3>
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
        pass  # monitoring must never break the caller</code></pre>
<h3>JavaScript (Node 18+, browsers)</h3>
<pre><code>await fetch("http://localhost:8001/api/log-request", {
  method: "POST",
  headers: { "Content-Type": "application/json" },
  body: JSON.stringify({ request_id: crypto.randomUUID(), source: "web",
                         status: "success", execution_time: 1.2 }),
  signal: AbortSignal.timeout(2000),
}).catch(() =&gt; {});</code></pre>
<h3>Batch as NDJSON</h3>
<pre><code>printf '%s\n' '{"request_id":"a","source":"web","status":"success","execution_time":0.4}' \
              '{"request_id":"b","source":"web","status":"error","execution_time":2.1}' |
  curl -s -H 'Content-Type: application/x-ndjson' --data-binary @- http://localhost:8001/api/log-request</code></pre>
</section>
</main>
</body>
</html>
