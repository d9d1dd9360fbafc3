// `npm run bench [-- <scenario>… ] [--quick]`: brings up what each scenario needs, drives it at a fixed
// arrival rate, prints p50 / p99 / max, throughput, errors and peak RSS per process, and writes
// bench-results/<scenario>.json. Missing a target is a finding, not a failure: the exit code is non-zero
// only when the harness itself could not run.
import { availableParallelism, loadavg } from 'node:os';
import { createBenchDatabase, ensureNats, type BenchDatabase } from './lib/infra.ts';
import { stopAll } from './lib/processes.ts';
import { render, save } from './lib/report.ts';
import type { Scenario } from './scenario.ts';
import { SCENARIOS } from './scenarios/index.ts';

const args = process.argv.slice(2);
const quick = args.includes('--quick');
const rateScaleArg = args.find((a) => a.startsWith('--rate-scale='));
const rateScale = rateScaleArg ? Number(rateScaleArg.slice('--rate-scale='.length)) : 1;
if (!(rateScale > 0)) {
  console.error('--rate-scale must be a positive number');
  process.exit(2);
}
const names = args.filter((a) => !a.startsWith('--'));
const unknown = names.filter((n) => !SCENARIOS.some((s) => s.name === n));
if (unknown.length > 0) {
  console.error(
    `unknown scenario(s): ${unknown.join(', ')}; choose from ${SCENARIOS.map((s) => s.name).join(', ')}`,
  );
  process.exit(2);
}
const selected: Scenario[] = names.length ? SCENARIOS.filter((s) => names.includes(s.name)) : SCENARIOS;

let database: BenchDatabase | undefined;
let cleaningUp: Promise<void> | undefined;
const nats = await ensureNats();
console.log(
  `bench: NATS ${nats.source} (${nats.url}); scenarios: ${selected.map((s) => s.name).join(', ')}${quick ? ' (quick)' : ''}${rateScale !== 1 ? ` (rates × ${rateScale})` : ''}`,
);

function cleanup(): Promise<void> {
  cleaningUp ??= (async () => {
    await stopAll().catch((error: unknown) => console.error('bench: stopping processes failed', error));
    if (database) {
      await database
        .drop()
        .catch((error: unknown) => console.error(`bench: could not drop ${database?.name}`, error));
      console.log(`bench: dropped database ${database.name}`);
    }
    await nats.stop();
  })();
  return cleaningUp;
}
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => void cleanup().then(() => process.exit(130)));
}

let failed = false;
try {
  for (const scenario of selected) {
    console.log(`\nbench: ${scenario.name}: ${scenario.description}`);
    try {
      const loadBefore = loadavg()[0] ?? 0;
      const report = await scenario.run({
        nats,
        timeScale: quick ? 0.2 : 1,
        rateScale,
        database: async () => {
          if (!database) {
            database = await createBenchDatabase();
            console.log(`bench: created database ${database.name}`);
          }
          return database;
        },
      });
      // Other work on the machine inflates every figure; say so beside them.
      const loadAfter = loadavg()[0] ?? 0;
      const cores = availableParallelism();
      report.environment['cores'] = String(cores);
      if (rateScale !== 1) {
        report.environment['rateScale'] = String(rateScale);
        report.notes.push(`every rate × ${rateScale}: the targets are defined at the nominal rates`);
      }
      report.environment['loadAverage1m'] = `${loadBefore.toFixed(1)} before, ${loadAfter.toFixed(1)} after`;
      if (Math.max(loadBefore, loadAfter) > cores) {
        report.notes.push(
          `the machine was busy (1-minute load ${loadBefore.toFixed(1)} → ${loadAfter.toFixed(1)} on ${cores} cores): ` +
            'latencies include waiting for a CPU and are upper bounds',
        );
      }
      console.log(render(report));
      console.log(`bench: wrote ${save(report)}`);
    } catch (error) {
      failed = true;
      console.error(`bench: ${scenario.name} could not run:`, error instanceof Error ? error.message : error);
      await stopAll();
    }
  }
} finally {
  await cleanup();
}
process.exit(failed ? 1 : 0);
