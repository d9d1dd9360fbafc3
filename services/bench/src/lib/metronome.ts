// A precise clock for the load generator. Node's timers have 1 ms granularity, which at 1,000 requests
// a second would add up to a millisecond of the generator's own lateness to every latency. A worker
// thread sleeps with Atomics.wait (sub-millisecond, no CPU spent) until each due instant and posts a
// tick; the posted message wakes the main thread's event loop at once.
import { once } from 'node:events';
import { Worker } from 'node:worker_threads';

// control[0]: 0 = wait, 1 = run, 2 = stop; start[0]: the first due instant (epoch ms).
const WORKER = `
const { parentPort, workerData } = require('node:worker_threads');
const { intervalMs, count, controlBuffer, startBuffer } = workerData;
const control = new Int32Array(controlBuffer);
const startAt = new Float64Array(startBuffer);
const now = () => performance.timeOrigin + performance.now();
Atomics.wait(control, 0, 0);
for (let i = 0; i < count && Atomics.load(control, 0) === 1; i++) {
  const wait = startAt[0] + i * intervalMs - now();
  if (wait > 0) Atomics.wait(control, 0, 1, wait);
  if (Atomics.load(control, 0) !== 1) break;
  parentPort.postMessage(i);
}
parentPort.close();
`;

/** Absolute high-resolution time (epoch ms, sub-ms precision), the same in every thread. */
export const epochNow = (): number => performance.timeOrigin + performance.now();

export interface Metronome {
  /** The first due instant (epoch ms); tick i is due at startAt + i * intervalMs. */
  startAt: number;
  /** Resolves after the last tick (or after stop()). */
  done: Promise<void>;
  stop(): void;
}

/** Starts a metronome thread and, once it runs, ticks `count` times every `intervalMs`. */
export async function startMetronome(
  intervalMs: number,
  count: number,
  onTick: () => void,
): Promise<Metronome> {
  const controlBuffer = new SharedArrayBuffer(4);
  const startBuffer = new SharedArrayBuffer(8);
  const control = new Int32Array(controlBuffer);
  const worker = new Worker(WORKER, {
    eval: true,
    workerData: { intervalMs, count, controlBuffer, startBuffer },
  });
  worker.on('message', onTick);
  const done = new Promise<void>((resolve, reject) => {
    worker.once('error', reject);
    worker.once('exit', () => resolve());
  });
  await once(worker, 'online');
  const startAt = epochNow() + 5;
  new Float64Array(startBuffer)[0] = startAt;
  Atomics.store(control, 0, 1);
  Atomics.notify(control, 0);
  return {
    startAt,
    done,
    stop: () => {
      Atomics.store(control, 0, 2);
      Atomics.notify(control, 0);
    },
  };
}
