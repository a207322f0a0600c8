{#- A state.apply return: count the states whose test run reports changes (Salt's shape:
    {"file_|-motd_|-/etc/motd_|-managed": {"result": null, "changes": {...}, ...}, ...}).
    Under test=True a state that would change has result null; a real run's changes (an
    operator's state.apply, or drift_fix below) have result true and are not drift: they set
    the metric to 0 and fire nothing, so drift_fix cannot trigger itself. -#}
{%- if data.fun == 'state.apply' and data.outcome == 'returned' and data.ret is mapping %}
{%- set changed = [] %}
{%- for key, state in data.ret %}
{%- if state.changes | length and state.result is none %}{% do changed.append(key) %}{% endif %}
{%- endfor %}
drift_metric:
  runner.metrics.drift:
    - minion: {{ data.id }}
    - changes: {{ changed | length }}
{%- if changed | length %}
drift_event:
  runner.event.send:
    - tag: drift/{{ data.id }}/detected
    - data:
        jid: '{{ data.jid }}'
        states: {{ changed | json }}
{#- Uncomment to fix the drift as soon as it is seen (a real state run, as the reactor identity):
drift_fix:
  local.state.apply:
    - tgt: {{ data.id }}
    - tgt_type: list
#}
{%- endif %}
{%- endif %}
