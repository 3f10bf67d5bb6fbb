{{%AUTOESCAPE context="HTML"}}<p title="{{ATTR}}">{{TEXT}}</p>{{#ROW}}<i>{{V}}</i>{{/ROW}}<script type="application/json">{{JSON:none}}</script>
