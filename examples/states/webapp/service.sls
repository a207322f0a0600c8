{%- from "webapp/map.jinja" import webapp with context %}

include:
  - .config

webapp-service:
  service.running:
    - name: {{ webapp.service }}
    - enable: True
    - watch:
      - file: webapp-config
