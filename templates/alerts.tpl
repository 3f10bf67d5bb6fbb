{{%AUTOESCAPE context="HTML"}}<!doctype html>
<html lang="{{LANG}}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<link rel="icon" href="data:image/svg+xml,%3Csvg xmlns='http://www.w3.org/2000/svg' viewBox='0 0 32 32'%3E%3Crect width='32' height='32' rx='8' fill='%234f46e5'/%3E%3Cpath d='M7 21l6-7 5 4 7-9' fill='none' stroke='%23fff' stroke-width='3' stroke-linecap='round' stroke-linejoin='round'/%3E%3C/svg%3E">
<title>{{L_alerts_title}} · apimon</title>
<link rel="stylesheet" href="assets/style.css">
</head>
<body class="page alerts">
<header class="top">
  <a class="brand" href="index.html">apimon</a>
  {{>NAV}}
</header>
<main>
<h1>{{L_alerts_h1}}</h1>
<p class="meta">{{META}}</p>
{{#OLDER}}<p id="older-alerts">{{OLDER_TEXT}}{{L_alerts_older_before}}<a href="reports/index.html">{{L_alerts_older_link}}</a>{{L_alerts_older_after}}</p>{{/OLDER}}
{{#NO_ALERTS}}<p>{{L_alerts_none}}</p>{{/NO_ALERTS}}
<div class="scroll panel"><table class="data" id="alert-history">
<thead><tr><th>{{L_col_day}}</th><th>{{L_col_rule}}</th><th>{{L_col_scope}}</th><th>{{L_col_severity}}</th><th>{{L_col_state}}</th><th>{{L_col_message}}</th><th>{{L_col_fired}}</th><th>{{L_col_updated}}</th><th>{{L_col_resolved}}</th></tr></thead>
<tbody>
{{#ALERT}}<tr class="alert {{SEVERITY}} {{STATE}}"><td>{{DAY}}</td><td>{{RULE_TEXT}}</td><td dir="auto">{{SCOPE_TEXT}}</td><td>{{SEVERITY_TEXT}}</td><td>{{STATE_TEXT}}{{#SILENCED}} <span class="silenced">{{L_alert_silenced_until}} <time datetime="{{SILENCED_ISO}}">{{SILENCED_UNTIL}}</time></span>{{/SILENCED}}</td><td dir="auto">{{MESSAGE}}</td><td><time datetime="{{FIRED_ISO}}">{{FIRED}}</time></td><td><time datetime="{{UPDATED_ISO}}">{{UPDATED}}</time></td><td>{{#HAS_RESOLVED}}<time datetime="{{RESOLVED_ISO}}">{{RESOLVED}}</time>{{/HAS_RESOLVED}}</td></tr>
{{/ALERT}}</tbody></table></div>
</main>
</body>
</html>
