{{%AUTOESCAPE context="HTML"}}{{!
  nav.tpl: the navigation of every page, included as NAV by page()
  (render/pages.c), which sets ROOT to the way back to the site's root
  ("", "../" or "../../") and shows the AT_ section of the page itself.
}}<nav class="site-nav" aria-label="{{L_nav_label}}">
  <a id="nav-dashboard" href="{{ROOT}}index.html"{{#AT_DASHBOARD}} aria-current="page"{{/AT_DASHBOARD}}>{{L_nav_dashboard}}</a>
  <a id="nav-requests" href="{{ROOT}}requests.html"{{#AT_REQUESTS}} aria-current="page"{{/AT_REQUESTS}}>{{L_nav_requests}}</a>
  <a id="nav-reports" href="{{ROOT}}reports/index.html"{{#AT_REPORTS}} aria-current="page"{{/AT_REPORTS}}>{{L_nav_reports}}</a>
  <a id="nav-alerts" href="{{ROOT}}alerts.html"{{#AT_ALERTS}} aria-current="page"{{/AT_ALERTS}}>{{L_nav_alerts}}</a>
  <a id="nav-api" href="{{ROOT}}docs/api.html"{{#AT_API}} aria-current="page"{{/AT_API}}>{{L_nav_api}}</a>
</nav>
