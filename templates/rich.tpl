{{%AUTOESCAPE context="HTML"}}{{!
  rich.tpl: a catalogue text with `code` in it, included as R_key by
  page() (render/pages.c): one PART per piece, plain TEXT or CODE.
}}{{#PART}}{{TEXT}}{{#CODE}}<code>{{C}}</code>{{/CODE}}{{/PART}}