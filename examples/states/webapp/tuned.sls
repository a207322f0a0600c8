{#- A variant that extends the base formula: a tuning file the service also watches. #}
{%- from "webapp/map.jinja" import webapp with context %}

include:
  - webapp

webapp-tuning:
  file.managed:
    - name: {{ webapp.root }}/{{ webapp.config_dir }}/tuning.conf
    - contents:
      - workers={{ webapp.workers * 2 }}
    - require:
      - file: webapp-dirs

extend:
  webapp-service:
    service:
      - watch:
        - file: webapp-tuning
