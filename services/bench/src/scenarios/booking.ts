// Booking: simulated customers arrive at a fixed 50 per second and each walks the booking flow through
// the gateway as the customer UI does — start → location → service → payment intent → test confirm →
// complete — each step sent as soon as the previous one answered. Per-step latency; the first step's
// counts from the customer's due arrival time, so a stalled gateway cannot hide arrivals.
import { httpJson } from '../lib/http.ts';
import { openLoop } from '../lib/open-loop.ts';
import { atMost, exactly, type LatencyRow, type ScenarioReport } from '../lib/report.ts';
import { UsageSampler, type ProcessUsage } from '../lib/rss.ts';
import { startStack } from '../lib/stack.ts';
import { summarize } from '../lib/stats.ts';
import type { Scenario, ScenarioContext } from '../scenario.ts';

const NOMINAL_RATE = 50;
const WARMUP_MS = 3_000;
const MEASURE_MS = 20_000;
const STEP_P99_MS = 50;
const ADDRESS = '1 Market St, San Francisco, CA 94105';

const STEPS = ['start', 'location', 'service', 'payment-intent', 'test-confirm', 'complete'] as const;
type Step = (typeof STEPS)[number];

interface StepStats {
  sent: number;
  errors: number;
  latencies: number[];
}

function field(value: unknown, name: string): unknown {
  return typeof value === 'object' && value !== null && name in value
    ? (value as Record<string, unknown>)[name]
    : undefined;
}

/** One customer's booking, recording each step into `stats`; throws at the first failed step. */
async function book(
  gatewayUrl: string,
  customer: number,
  dueAt: number,
  stats: Map<Step, StepStats>,
): Promise<void> {
  // Each simulated customer comes from their own address, as real ones do: the gateway trusts
  // X-Forwarded-For (it runs behind a proxy) and rate-limits per client address.
  const headers = {
    'x-forwarded-for': `10.${(customer >> 16) & 255}.${(customer >> 8) & 255}.${customer & 255}`,
    'user-agent': 'Mozilla/5.0 (trades-bench simulated customer)',
  };
  let sentAt = dueAt;
  const step = async (name: Step, path: string, body: unknown): Promise<unknown> => {
    const s = stats.get(name);
    if (!s) throw new Error(`no stats for ${name}`);
    s.sent++;
    try {
      const reply = await httpJson(gatewayUrl, path, { method: 'POST', body, headers });
      const now = performance.now();
      s.latencies.push(now - sentAt);
      sentAt = now;
      return reply;
    } catch (error) {
      s.errors++;
      throw new Error(`${name}: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
    }
  };
  const started = await step('start', '/api/request/start', {});
  const id = field(started, 'id');
  if (typeof id !== 'string') throw new Error(`start: no session id in ${JSON.stringify(started)}`);
  const located = await step('location', `/api/request/${id}/location`, { address: ADDRESS });
  if (field(located, 'served') !== true) throw new Error(`location: not served: ${JSON.stringify(located)}`);
  await step('service', `/api/request/${id}/service`, {
    serviceCode: 'home_lockout',
    name: `Bench Customer ${customer}`,
    phone: '+14155550123',
  });
  await step('payment-intent', `/api/request/${id}/payment-intent`, {});
  await step('test-confirm', `/api/request/${id}/test-confirm`, { paymentMethod: 'pm_card_visa' });
  await step('complete', `/api/request/${id}/complete`, {});
}

async function run(ctx: ScenarioContext): Promise<ScenarioReport> {
  const RATE = Math.max(1, Math.round(NOMINAL_RATE * ctx.rateScale));
  const startedAt = new Date().toISOString();
  const stack = await startStack(ctx, { seed: true });
  const errorSamples: string[] = [];
  const rows: LatencyRow[] = [];
  let processes: ProcessUsage[];
  let cpuPerUnit: ScenarioReport['cpuPerUnit'];
  try {
    const sampler = new UsageSampler([
      { name: 'bench (load generator)', pid: process.pid },
      ...(ctx.nats.process ? [{ name: 'nats-server', pid: ctx.nats.process.pid }] : []),
      ...[...stack.processes.values()].map((p) => ({ name: p.name, pid: p.pid })),
    ]);
    sampler.start();
    const fresh = (): Map<Step, StepStats> =>
      new Map(STEPS.map((s) => [s, { sent: 0, errors: 0, latencies: [] }]));
    let customers = 0;
    const warm = fresh();
    await openLoop({
      ratePerSecond: RATE,
      durationMs: WARMUP_MS * ctx.timeScale,
      fire: (_i, due) => book(stack.gatewayUrl, customers++, due, warm),
    });
    const stats = fresh();
    sampler.markWindow();
    const measured = await openLoop({
      ratePerSecond: RATE,
      durationMs: MEASURE_MS * ctx.timeScale,
      fire: (_i, due) => book(stack.gatewayUrl, customers++, due, stats),
    });
    sampler.endWindow(measured.ok);
    const postgresMs = sampler.postgresMsPerUnit() ?? 0;
    processes = sampler.stop();
    cpuPerUnit = {
      unit: 'booking',
      postgresMs,
      totalMs: processes.reduce((sum, p) => sum + (p.cpuMsPerUnit ?? 0), postgresMs),
    };
    errorSamples.push(...measured.errorSamples);
    for (const name of STEPS) {
      const s = stats.get(name) ?? { sent: 0, errors: 0, latencies: [] };
      const latency = summarize(s.latencies);
      rows.push({
        name: `POST ${name}`,
        rate: RATE,
        sent: s.sent,
        errors: s.errors,
        throughput: (s.latencies.length * 1000) / measured.elapsedMs,
        latency,
        lagP99: name === 'start' ? measured.lag.p99 : null,
        fromSend: null,
        checks: [atMost(`${name} p99`, latency.p99, STEP_P99_MS), exactly(`${name} errors`, s.errors, 0)],
      });
    }
    rows.push({
      name: 'whole booking (6 steps)',
      rate: RATE,
      sent: measured.sent,
      errors: measured.errors,
      throughput: measured.throughput,
      latency: measured.latency,
      lagP99: measured.lag.p99,
      fromSend: { p50: measured.service.p50, p99: measured.service.p99 },
      checks: [exactly('bookings failed', measured.errors, 0)],
    });
  } finally {
    await stack.stop();
  }
  return {
    scenario: 'booking',
    startedAt,
    finishedAt: new Date().toISOString(),
    environment: {
      nats: ctx.nats.source,
      database: stack.databaseUrl.replace(/:[^:@/]*@/, ':***@'),
      warmupMs: String(WARMUP_MS * ctx.timeScale),
      measureMs: String(MEASURE_MS * ctx.timeScale),
    },
    rows,
    checks: [],
    processes,
    ...(cpuPerUnit ? { cpuPerUnit } : {}),
    notes: [
      `${RATE} new customers per second (open loop); each step is sent when the previous one answered; ` +
        `a step's latency runs from its send (the first step's from the customer's due arrival)`,
      'each customer has its own X-Forwarded-For address, so the per-address rate limits apply per customer',
      'CPU ms / booking: CPU time (user + system, from /proc) each process used during the measured window, ' +
        'divided by the bookings completed in it; it includes the dispatch work each booking sets off',
    ],
    errorSamples,
  };
}

export const booking: Scenario = {
  name: 'booking',
  description: 'simulated customers booking through the gateway at 50 new bookings per second',
  run,
};
