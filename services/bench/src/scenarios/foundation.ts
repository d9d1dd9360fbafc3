// Foundation: what one NATS request/reply hop costs. Four fixed-rate runs at 1,000/s, one after another:
// raw NATS request/reply, the runtime's call() to a served endpoint, and two gateway routes — one the
// gateway answers itself, one it answers through the same call() over NATS.
import { connect } from '@nats-io/transport-node';
import { call } from '@trades/runtime';
import { BenchEcho, RAW_ECHO_SUBJECT, READY_LINE } from '../contracts.ts';
import { httpJson } from '../lib/http.ts';
import { openLoop, type OpenLoopResult } from '../lib/open-loop.ts';
import { freePort, launch, waitForLine } from '../lib/processes.ts';
import { atMost, fmt, rowFromRun, type Check, type LatencyRow, type ScenarioReport } from '../lib/report.ts';
import { UsageSampler } from '../lib/rss.ts';
import type { Scenario, ScenarioContext } from '../scenario.ts';
import { DEVELOPMENT_DEFAULTS } from '@trades/runtime';

const NOMINAL_RATE = 1_000;
const WARMUP_MS = 3_000;
const MEASURE_MS = 10_000;
const SERVICE_RSS_LIMIT_MB = 150;

async function run(ctx: ScenarioContext): Promise<ScenarioReport> {
  const RATE = Math.max(1, Math.round(NOMINAL_RATE * ctx.rateScale));
  const startedAt = new Date().toISOString();
  const env: NodeJS.ProcessEnv = {
    PATH: process.env['PATH'],
    APP_ENV: 'development',
    LOG_LEVEL: 'warn',
    NATS_URL: ctx.nats.url,
  };
  const gatewayPort = await freePort();
  const echo = launch('bench-echo', 'services/bench/src/echo-service.ts', [], env);
  const gateway = launch('bench-gateway', 'services/bench/src/bench-gateway.ts', [], {
    ...env,
    PORT: String(gatewayPort),
    HOST: '127.0.0.1',
    BASE_URL: `http://127.0.0.1:${gatewayPort}`,
    ADMIN_EMAIL: DEVELOPMENT_DEFAULTS['ADMIN_EMAIL'],
    ADMIN_PASSWORD: DEVELOPMENT_DEFAULTS['ADMIN_PASSWORD'],
    ADMIN_SESSION_SECRET: DEVELOPMENT_DEFAULTS['ADMIN_SESSION_SECRET'],
  });
  await Promise.all([
    waitForLine(echo, new RegExp(READY_LINE)),
    waitForLine(gateway, new RegExp(READY_LINE)),
  ]);
  const nc = await connect({ servers: ctx.nats.url, name: 'bench-client' });
  const gatewayUrl = `http://127.0.0.1:${gatewayPort}`;

  const sampler = new UsageSampler([
    { name: 'bench (load generator)', pid: process.pid },
    ...(ctx.nats.process ? [{ name: 'nats-server', pid: ctx.nats.process.pid }] : []),
    { name: 'bench-echo (service)', pid: echo.pid },
    { name: 'bench-gateway (gateway)', pid: gateway.pid },
  ]);
  sampler.start();

  const payload = new TextEncoder().encode(JSON.stringify({ word: 'raw' }));
  const measurements: { name: string; fire: () => Promise<void>; hop: boolean }[] = [
    {
      name: 'NATS raw request/reply',
      fire: async () => void (await nc.request(RAW_ECHO_SUBJECT, payload, { timeout: 5_000 })),
      hop: true,
    },
    {
      name: 'NATS runtime call() → endpoint',
      fire: async () => void (await call(nc, BenchEcho, { word: 'call' })),
      hop: true,
    },
    {
      name: 'HTTP GET /bench/local (gateway)',
      fire: async () => void (await httpJson(gatewayUrl, '/bench/local')),
      hop: false,
    },
    {
      name: 'HTTP GET /bench/nats (gateway→NATS)',
      fire: async () => void (await httpJson(gatewayUrl, '/bench/nats')),
      hop: false,
    },
  ];

  const rows: LatencyRow[] = [];
  const runs = new Map<string, OpenLoopResult>();
  const errorSamples: string[] = [];
  try {
    for (const m of measurements) {
      await openLoop({ ratePerSecond: RATE, durationMs: WARMUP_MS * ctx.timeScale, fire: m.fire });
      const result = await openLoop({
        ratePerSecond: RATE,
        durationMs: MEASURE_MS * ctx.timeScale,
        fire: m.fire,
      });
      runs.set(m.name, result);
      rows.push(rowFromRun(m.name, RATE, result, m.hop ? { p50: 1, p99: 5, errors: 0 } : { errors: 0 }));
      errorSamples.push(...result.errorSamples.map((e) => `${m.name}: ${e}`));
    }
  } finally {
    await nc.close();
  }
  const processes = sampler.stop();
  await gateway.stop();
  await echo.stop();

  const local = runs.get('HTTP GET /bench/local (gateway)');
  const viaNats = runs.get('HTTP GET /bench/nats (gateway→NATS)');
  const checks: Check[] = [];
  const notes: string[] = [];
  if (local && viaNats) {
    const p50Ratio = viaNats.latency.p50 / local.latency.p50;
    const p99Ratio = viaNats.latency.p99 / local.latency.p99;
    notes.push(
      `ratio /bench/nats ÷ /bench/local: p50 ${fmt(p50Ratio)}×, p99 ${fmt(p99Ratio)}× ` +
        `(the hop adds ${fmt(viaNats.latency.p50 - local.latency.p50)} ms at p50, ${fmt(viaNats.latency.p99 - local.latency.p99)} ms at p99)`,
    );
    checks.push(
      atMost(
        'hop inside the gateway: p50 /bench/nats − p50 /bench/local',
        viaNats.latency.p50 - local.latency.p50,
        1,
      ),
    );
    checks.push(
      atMost(
        'hop inside the gateway: p99 /bench/nats − p99 /bench/local',
        viaNats.latency.p99 - local.latency.p99,
        5,
      ),
    );
  }
  for (const p of processes) {
    if (p.name.includes('(service)') || p.name.includes('(gateway)')) {
      checks.push(
        atMost(`${p.name} peak RSS`, Math.max(p.peakRssMb, p.hwmRssMb ?? 0), SERVICE_RSS_LIMIT_MB, 'MB'),
      );
    }
  }
  notes.push(
    `latency is counted from each request's due time at a fixed ${RATE}/s (open loop, no coordinated omission); ` +
      `'lag p99' is how late the generator itself sent, already included`,
  );
  return {
    scenario: 'foundation',
    startedAt,
    finishedAt: new Date().toISOString(),
    environment: {
      nats: ctx.nats.source,
      warmupMs: String(WARMUP_MS * ctx.timeScale),
      measureMs: String(MEASURE_MS * ctx.timeScale),
    },
    rows,
    checks,
    processes,
    notes,
    errorSamples,
  };
}

export const foundation: Scenario = {
  name: 'foundation',
  description:
    'gateway route answered over NATS vs by the gateway itself, raw NATS and call() round trips, at 1,000/s',
  run,
};
