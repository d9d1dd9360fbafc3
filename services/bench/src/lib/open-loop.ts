// Fixed-arrival-rate load: request i is due at start + i / rate whatever happened to the ones before it
// (nothing waits for a response before sending the next), and its latency is counted from that due
// time, not from when it left. A stalled system therefore shows up as long latencies for every request
// that was due meanwhile, instead of as fewer requests (coordinated omission). Due instants come from
// a metronome thread (sub-millisecond); the generator's own lateness is included and reported apart.
import { startMetronome } from './metronome.ts';
import { summarize, type Summary } from './stats.ts';

export interface OpenLoopOptions {
  ratePerSecond: number;
  durationMs: number;
  /**
   * Sends request `index`, due at `dueAt` (a performance.now() instant); resolves when its answer is
   * complete, rejects on any error.
   */
  fire: (index: number, dueAt: number) => Promise<void>;
  /** Requests in flight above which the run is abandoned (the system cannot keep up at all). */
  maxInFlight?: number;
}

export interface OpenLoopResult {
  sent: number;
  ok: number;
  errors: number;
  errorSamples: string[];
  /** Milliseconds from due time to complete answer, successful requests only. */
  latency: Summary;
  /** Milliseconds from due time to actually sending (the generator's own lateness). */
  lag: Summary;
  /** Milliseconds from actually sending to complete answer (what a closed-loop tool would report). */
  service: Summary;
  /** Completed requests per second over the measured window (first due time to last answer). */
  throughput: number;
  elapsedMs: number;
  abandoned: boolean;
}

export async function openLoop(options: OpenLoopOptions): Promise<OpenLoopResult> {
  const { ratePerSecond, durationMs, fire } = options;
  const maxInFlight = options.maxInFlight ?? 20_000;
  const total = Math.max(1, Math.round((ratePerSecond * durationMs) / 1000));
  const intervalMs = 1000 / ratePerSecond;
  const latencies: number[] = [];
  const lags: number[] = [];
  const services: number[] = [];
  const errorSamples: string[] = [];
  let errors = 0;
  let inFlight = 0;
  let abandoned = false;
  let lastDone = 0;
  const pending = new Set<Promise<void>>();

  // Due instants in performance.now() units; the metronome wakes this thread at each of them.
  let start = Number.POSITIVE_INFINITY;
  let next = 0;
  const sendDue = (): void => {
    const now = performance.now();
    while (!abandoned && next < total && start + next * intervalMs <= now) {
      const due = start + next * intervalMs;
      lags.push(now - due);
      if (inFlight >= maxInFlight) {
        abandoned = true;
        errorSamples.push(`gave up at request ${next} of ${total}: ${inFlight} requests in flight`);
        return;
      }
      inFlight++;
      const index = next;
      const sentAt = performance.now();
      const work = fire(index, due).then(
        () => {
          const done = performance.now();
          lastDone = Math.max(lastDone, done);
          latencies.push(done - due);
          services.push(done - sentAt);
        },
        (error: unknown) => {
          lastDone = Math.max(lastDone, performance.now());
          errors++;
          if (errorSamples.length < 5)
            errorSamples.push(error instanceof Error ? error.message : String(error));
        },
      );
      const tracked = work.finally(() => {
        inFlight--;
        pending.delete(tracked);
      });
      pending.add(tracked);
      next++;
    }
  };
  const clock = await startMetronome(intervalMs, total, () => {
    sendDue();
    if (abandoned) clock.stop();
  });
  start = clock.startAt - performance.timeOrigin;
  await clock.done;
  // The last tick may have landed a hair before its due instant.
  while (!abandoned && next < total) {
    await new Promise((resolve) => setTimeout(resolve, 1));
    sendDue();
  }
  await Promise.all(pending);
  const elapsedMs = Math.max(1, lastDone - start);
  return {
    sent: next,
    ok: latencies.length,
    errors: errors + (abandoned ? total - next : 0),
    errorSamples,
    latency: summarize(latencies),
    lag: summarize(lags),
    service: summarize(services),
    throughput: (latencies.length * 1000) / elapsedMs,
    elapsedMs,
    abandoned,
  };
}
