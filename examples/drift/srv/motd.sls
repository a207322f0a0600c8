{#- The managed file; pillar `motd_path` moves it (the cross-process test points it at a temp dir). #}
{{ salt['pillar.get']('motd_path', '/etc/motd') }}:
  file.managed:
    - source: brine://motd
