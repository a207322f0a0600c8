{%- from "webapp/map.jinja" import webapp with context %}

webapp-dirs:
  file.directory:
    - names:
      - {{ webapp.root }}/{{ webapp.config_dir }}
      - {{ webapp.root }}/{{ webapp.log_dir }}
    - makedirs: True
    - user: {{ webapp.user }}
    - group: {{ webapp.group }}

webapp-config:
  file.managed:
    - name: {{ webapp.root }}/{{ webapp.config_dir }}/app.conf
    - source: salt://webapp/files/app.conf.j2
    - template: jinja
    - mode: '0640'
    - defaults:
        port: {{ webapp.port }}
        workers: {{ webapp.workers }}
        features: {{ webapp.features | tojson }}
    - require:
      - file: webapp-dirs

webapp-bootstrap:
  cmd.run:
    - name: echo bootstrapped > {{ webapp.root }}/{{ webapp.log_dir }}/bootstrap.log
    - creates: {{ webapp.root }}/{{ webapp.log_dir }}/bootstrap.log
    - require:
      - file: webapp-dirs
