// Memory and CPU of every process of a scenario, sampled with pidusage while the load runs. The peak
// is the highest sample, checked against the kernel's own high-water mark (VmHWM) where /proc has it.
import { readdirSync, readFileSync } from 'node:fs';
import pidusage from 'pidusage';

export interface ProcessUsage {
  name: string;
  pid: number;
  /** RSS at the first sample, before the load (booted and idle). */
  startRssMb: number;
  peakRssMb: number;
  /** Highest RSS since the process started, from /proc (includes boot and warm-up). */
  hwmRssMb: number | null;
  meanCpuPercent: number;
  /**
   * CPU time (user + system) the process spent inside the measured window, in milliseconds per unit
   * of work (a booking, a job), when the scenario marked the window; see {@link UsageSampler.markWindow}.
   */
  cpuMsPerUnit?: number;
}

const CLOCK_TICKS_PER_SECOND = 100;

/** CPU time (user + system) a process has used, in milliseconds, from /proc; null once it is gone. */
export function cpuTimeMs(pid: number): number | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name (which may hold spaces): state is field 3, utime 14, stime 15.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / CLOCK_TICKS_PER_SECOND;
  } catch {
    return null;
  }
}

/** CPU time of every PostgreSQL process on this machine (the server and all its backends), in ms. */
export function postgresCpuTimeMs(): number {
  let total = 0;
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (readFileSync(`/proc/${entry}/comm`, 'utf8').trim() !== 'postgres') continue;
    } catch {
      continue;
    }
    total += cpuTimeMs(Number(entry)) ?? 0;
  }
  return total;
}

function highWaterMarkMb(pid: number): number | null {
  try {
    const match = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match?.[1] ? Number(match[1]) / 1024 : null;
  } catch {
    return null;
  }
}

export class UsageSampler {
  readonly #processes: {
    name: string;
    pid: number;
    first: number;
    peak: number;
    hwm: number;
    cpu: number[];
  }[];
  #timer: NodeJS.Timeout | undefined;
  #window: { startedAt: Map<number, number>; postgresStartedAt: number } | undefined;
  #windowResult: { perPid: Map<number, number>; postgres: number; units: number } | undefined;

  constructor(processes: { name: string; pid: number }[]) {
    this.#processes = processes.map((p) => ({ ...p, first: 0, peak: 0, hwm: 0, cpu: [] }));
  }

  /** Starts sampling another process (e.g. a service restarted with other settings). */
  add(name: string, pid: number): void {
    this.#processes.push({ name, pid, first: 0, peak: 0, hwm: 0, cpu: [] });
  }

  start(intervalMs = 250): void {
    const sample = async (): Promise<void> => {
      await Promise.all(
        this.#processes.map(async (p) => {
          try {
            const status = await pidusage(p.pid);
            if (p.first === 0) p.first = status.memory;
            p.peak = Math.max(p.peak, status.memory);
            p.hwm = Math.max(p.hwm, highWaterMarkMb(p.pid) ?? 0);
            p.cpu.push(status.cpu);
          } catch {
            // the process ended; its last samples stand
          }
        }),
      );
    };
    void sample();
    this.#timer = setInterval(() => void sample(), intervalMs);
  }

  /** Marks the start of the measured window: CPU time used from here on is reported per unit. */
  markWindow(): void {
    const startedAt = new Map<number, number>();
    for (const p of this.#processes) startedAt.set(p.pid, cpuTimeMs(p.pid) ?? 0);
    this.#window = { startedAt, postgresStartedAt: postgresCpuTimeMs() };
  }

  /** Ends the measured window, `units` pieces of work done in it (bookings, jobs). */
  endWindow(units: number): void {
    if (!this.#window) throw new Error('endWindow() without markWindow()');
    const perPid = new Map<number, number>();
    for (const [pid, from] of this.#window.startedAt) {
      const now = cpuTimeMs(pid);
      if (now !== null) perPid.set(pid, now - from);
    }
    this.#windowResult = { perPid, postgres: postgresCpuTimeMs() - this.#window.postgresStartedAt, units };
  }

  /** PostgreSQL's CPU time per unit inside the window (every backend on the machine), if marked. */
  postgresMsPerUnit(): number | undefined {
    const w = this.#windowResult;
    return w && w.units > 0 ? w.postgres / w.units : undefined;
  }

  stop(): ProcessUsage[] {
    if (this.#timer) clearInterval(this.#timer);
    pidusage.clear();
    return this.#processes.map((p) => ({
      name: p.name,
      pid: p.pid,
      startRssMb: p.first / 1024 / 1024,
      peakRssMb: p.peak / 1024 / 1024,
      hwmRssMb: Math.max(p.hwm, highWaterMarkMb(p.pid) ?? 0) || null,
      meanCpuPercent: p.cpu.length ? p.cpu.reduce((a, b) => a + b, 0) / p.cpu.length : 0,
      ...(this.#windowResult?.perPid.has(p.pid) && this.#windowResult.units > 0
        ? { cpuMsPerUnit: (this.#windowResult.perPid.get(p.pid) ?? 0) / this.#windowResult.units }
        : {}),
    }));
  }
}
