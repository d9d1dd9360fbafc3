// Memory and CPU of every process of a scenario, sampled with pidusage while the load runs. The peak
// is the highest sample, checked against the kernel's own high-water mark (VmHWM) where /proc has it.
import { readFileSync } from 'node:fs';
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
    }));
  }
}
