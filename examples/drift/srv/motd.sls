/etc/motd:
  file.managed:
    - source: brine://motd
