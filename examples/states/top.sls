# Which formulas each minion gets (`brine '*' state.apply`, no SLS named: the highstate).
base:
  '*':
    - motd
    - webapp
