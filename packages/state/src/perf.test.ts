import { lastValueFrom, toArray } from 'rxjs';
import { describe, expect, it } from 'vitest';
import { compileSls } from './compile/compile.js';
import { createRenderSession } from './render/render-session.js';
import type { StateFunctionRegistry } from './run/registry.js';
import { runStates$ } from './run/run-states.js';
import { fakeCaller, memoryReader } from './testing-tree.fixture.js';

/** Issue #17's benchmark SLS: 150 file.managed, 100 file.directory, 50 cmd.run with creates. */
const SLS = [
  "{% set root = '/srv/bench/' ~ grains['id'] %}",
  '{% for i in range(150) %}',
  'file-{{ i }}:',
  '  file.managed:',
  '    - name: {{ root }}/files/f{{ i }}.conf',
  '    - contents: "value {{ i }}"',
  '    - mode: "0644"',
  '    - makedirs: True',
  '{% endfor %}',
  '{% for i in range(100) %}',
  'dir-{{ i }}:',
  '  file.directory:',
  '    - name: {{ root }}/dirs/d{{ i }}',
  '    - makedirs: True',
  '{% endfor %}',
  '{% for i in range(50) %}',
  'cmd-{{ i }}:',
  '  cmd.run:',
  '    - name: touch {{ root }}/dirs/d{{ i }}/done',
  '    - creates: {{ root }}/dirs/d{{ i }}/done',
  '    - require:',
  '      - file: dir-{{ i }}',
  '{% endfor %}',
].join('\n');

const instant: StateFunctionRegistry = {
  has: () => true,
  call: (call) => [{ name: String(call.args['name']), result: true, comment: 'ok', changes: {} }],
};

async function once(): Promise<{ ms: number; cpuMs: number; states: number }> {
  const grains = { id: 'bench1' };
  const session = createRenderSession({
    readFile: memoryReader({ base: { 'bench.sls': SLS } }),
    call: fakeCaller({ grains, pillar: {} }),
    grains,
  });
  const t0 = performance.now();
  const cpu0 = process.cpuUsage();
  const compiled = await compileSls(session, [{ env: 'base', sls: 'bench' }]);
  if (!compiled.ok) throw new Error(compiled.problems[0]!.message);
  const events = await lastValueFrom(runStates$(compiled.plan, instant).pipe(toArray()));
  const ms = performance.now() - t0;
  const cpu = process.cpuUsage(cpu0);
  const last = events.at(-1)!;
  return {
    ms,
    cpuMs: (cpu.user + cpu.system) / 1000,
    states: last.type === 'return' ? Object.keys(last.results).length : 0,
  };
}

describe('performance', () => {
  it('renders, compiles and runs 300 states with instant functions in well under 100 ms', async () => {
    const cold = await once();
    const warm: Array<Awaited<ReturnType<typeof once>>> = [];
    for (let i = 0; i < 10; i++) warm.push(await once());
    const best = (key: 'ms' | 'cpuMs') => Math.min(...warm.map((w) => w[key]));
    console.log(
      `300 states: first ${cold.ms.toFixed(1)} ms; warm best ${best('ms').toFixed(1)} ms wall, ${best('cpuMs').toFixed(1)} ms CPU`,
    );
    expect(cold.states).toBe(300);
    // CPU time of the best warm run: wall time on a box shared with other builds measures the load.
    expect(best('cpuMs')).toBeLessThan(100);
  });
});
