{{%AUTOESCAPE context="HTML"}}<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<link rel="icon" href="data:image/svg+xml,%3Csvg xmlns='http://www.w3.org/2000/svg' viewBox='0 0 32 32'%3E%3Crect width='32' height='32' rx='8' fill='%234f46e5'/%3E%3Cpath d='M7 21l6-7 5 4 7-9' fill='none' stroke='%23fff' stroke-width='3' stroke-linecap='round' stroke-linejoin='round'/%3E%3C/svg%3E">
<title>Alerts · apimon</title>
<link rel="stylesheet" href="assets/style.css">
</head>
<body class="page alerts">
<header class="top">
  <a class="brand" href="index.html">apimon</a>
  {{>NAV}}
</header>
<main>
<h1>Alert history</h1>
<p class="meta">Days and times in {{TIMEZONE}}. Newest first.</p>
{{#OLDER}}<p id="older-alerts">Showing the newest {{SHOWN}} of {{TOTAL}} alerts: {{OLDER_ALERTS}} not listed here. The <a href="reports/index.html">daily, weekly and monthly reports</a> list every alert of their period.</p>{{/OLDER}}
{{#NO_ALERTS}}<p>No alert has fired yet.</p>{{/NO_ALERTS}}
<div class="scroll panel"><table class="data" id="alert-history">
<thead><tr><th>Day</th><th>Rule</th><th>Scope</th><th>Severity</th><th>State</th><th>Message</th><th>Fired</th><th>Updated</th><th>Resolved</th></tr></thead>
<tbody>
{{#ALERT}}<tr class="alert {{SEVERITY}} {{STATE}}"><td>{{DAY}}</td><td>{{RULE}}</td><td>{{SCOPE}}</td><td>{{SEVERITY}}</td><td>{{STATE}}{{#SILENCED}} <span class="silenced">silenced until <time datetime="{{SILENCED_ISO}}">{{SILENCED_UNTIL}}</time></span>{{/SILENCED}}</td><td>{{MESSAGE}}</td><td><time datetime="{{FIRED_ISO}}">{{FIRED}}</time></td><td><time datetime="{{UPDATED_ISO}}">{{UPDATED}}</time></td><td>{{#HAS_RESOLVED}}<time datetime="{{RESOLVED_ISO}}">{{RESOLVED}}</time>{{/HAS_RESOLVED}}</td></tr>
{{/ALERT}}</tbody></table></div>
</main>
</body>
</html>
