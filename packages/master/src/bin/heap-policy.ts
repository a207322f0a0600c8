import { setFlagsFromString } from 'node:v8';

// Imported first by the brine-master binary, before the rest of the master is even evaluated.
//
// The master's working set grows with its fleet (about 10 KB of live heap per connected minion),
// and V8's default policy lets the old generation grow to a multiple of that before a full
// collection: after a few fan-outs to 10,000 minions, 60 KB of RSS per minion, of which a third
// was garbage from finished jobs (bench/memory-probe.mjs). With --optimize-for-size V8 collects
// sooner: 40 KB per minion after the same jobs, for 3% more time per 10,000-minion round trip and
// no loss in return ingest (both measured here, docs/performance.md). The heap's growth policy is
// read when it is applied, so setting the flag at start-up takes effect.
setFlagsFromString('--optimize-for-size');
