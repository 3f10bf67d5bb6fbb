{{%AUTOESCAPE context="HTML"}}<!doctype html>
<html lang="{{LANG}}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<link rel="icon" href="data:image/svg+xml,%3Csvg xmlns='http://www.w3.org/2000/svg' viewBox='0 0 32 32'%3E%3Crect width='32' height='32' rx='8' fill='%234f46e5'/%3E%3Cpath d='M7 21l6-7 5 4 7-9' fill='none' stroke='%23fff' stroke-width='3' stroke-linecap='round' stroke-linejoin='round'/%3E%3C/svg%3E">
<title>{{L_reports_title}} · apimon</title>
<link rel="stylesheet" href="../assets/style.css">
</head>
<body class="page reports">
<header class="top">
  <a class="brand" href="../index.html">apimon</a>
  {{>NAV}}
</header>
<main>
<h1>{{L_reports_title}}</h1>
<p class="meta">{{META}}</p>
{{#EMPTY}}<p>{{L_reports_empty}}</p>{{/EMPTY}}
<div class="report-columns">
<section class="panel"><h2>{{L_reports_daily}}</h2><ul id="daily">
{{#DAILY}}<li><a href="{{URL}}">{{LABEL}}</a></li>
{{/DAILY}}</ul></section>
<section class="panel"><h2>{{L_reports_weekly}}</h2><ul id="weekly">
{{#WEEKLY}}<li><a href="{{URL}}">{{LABEL}}</a></li>
{{/WEEKLY}}</ul></section>
<section class="panel"><h2>{{L_reports_monthly}}</h2><ul id="monthly">
{{#MONTHLY}}<li><a href="{{URL}}">{{LABEL}}</a></li>
{{/MONTHLY}}</ul></section>
</div>
</main>
</body>
</html>
