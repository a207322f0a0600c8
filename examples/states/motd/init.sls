{#- The message of the day, from a template, under the minion's own root. -#}
{%- from "webapp/map.jinja" import webapp with context %}

motd-file:
  file.managed:
    - name: {{ webapp.root }}/etc/motd
    - source: salt://motd/files/motd.j2
    - template: jinja
    - makedirs: True
    - mode: '0644'
    - context:
        minion: {{ grains['id'] }}
        banner: {{ salt['pillar.get']('motd:banner', 'Managed by Brine') | yaml_encode }}
