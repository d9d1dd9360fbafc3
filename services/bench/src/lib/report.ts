// What a scenario found: latency rows, checks against the targets (PASS/MISS beside the figure), and the
// processes' memory. Printed as tables and written to bench-results/<scenario>.json.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { OpenLoopResult } from './open-loop.ts';
import { RESULTS_DIR } from './processes.ts';
import type { ProcessUsage } from './rss.ts';
import type { Summary } from './stats.ts';

export interface Check {
  what: string;
  /** e.g. "≤ 5 ms" */
  target: string;
  measured: string;
  pass: boolean;
}

export interface LatencyRow {
  name: string;
  /** Requests per second asked for (null when the row is not a fixed-rate run). */
  rate: number | null;
  sent: number;
  errors: number;
  throughput: number | null;
  latency: Summary;
  /** The generator's lateness p99 (ms), already inside the latency. */
  lagP99: number | null;
  /** p50 / p99 from the actual send (what a closed-loop tool would show), for comparison only. */
  fromSend: { p50: number; p99: number } | null;
  checks: Check[];
}

export interface ScenarioReport {
  scenario: string;
  startedAt: string;
  finishedAt: string;
  environment: Record<string, string>;
  rows: LatencyRow[];
  checks: Check[];
  processes: ProcessUsage[];
  /** CPU time per unit of work inside the measured window, when the scenario measured it. */
  cpuPerUnit?: { unit: string; postgresMs: number; totalMs: number };
  notes: string[];
  errorSamples: string[];
}

export const atMost = (what: string, value: number, limit: number, unit = 'ms'): Check => ({
  what,
  target: `≤ ${limit} ${unit}`.trim(),
  measured: `${fmt(value)} ${unit}`.trim(),
  pass: Number.isFinite(value) && value <= limit,
});

export const exactly = (what: string, value: number, wanted: number): Check => ({
  what,
  target: `= ${wanted}`,
  measured: String(value),
  pass: value === wanted,
});

export function fmt(value: number | null): string {
  if (value === null || !Number.isFinite(value)) return '—';
  if (Math.abs(value) >= 100) return value.toFixed(0);
  if (Math.abs(value) >= 10) return value.toFixed(1);
  return value.toFixed(2);
}

/** A latency row from an open-loop run, with the usual checks: p50, p99 and 0 errors. */
export function rowFromRun(
  name: string,
  rate: number,
  run: OpenLoopResult,
  targets: { p50?: number; p99?: number; errors?: number } = {},
): LatencyRow {
  const checks: Check[] = [];
  if (targets.p50 !== undefined) checks.push(atMost(`${name} p50`, run.latency.p50, targets.p50));
  if (targets.p99 !== undefined) checks.push(atMost(`${name} p99`, run.latency.p99, targets.p99));
  if (targets.errors !== undefined) checks.push(exactly(`${name} errors`, run.errors, targets.errors));
  return {
    name,
    rate,
    sent: run.sent,
    errors: run.errors,
    throughput: run.throughput,
    latency: run.latency,
    lagP99: run.lag.p99,
    fromSend: { p50: run.service.p50, p99: run.service.p99 },
    checks,
  };
}

function table(headers: string[], rows: string[][], rightAligned: Set<number>): string {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]): string =>
    cells
      .map((c, i) => (rightAligned.has(i) ? c.padStart(widths[i] ?? 0) : c.padEnd(widths[i] ?? 0)))
      .join('  ')
      .trimEnd();
  return [line(headers), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)].join('\n');
}

const verdict = (checks: Check[]): string =>
  checks.length === 0 ? '—' : checks.every((c) => c.pass) ? 'PASS' : 'MISS';

export function render(report: ScenarioReport): string {
  const out: string[] = [`\n=== ${report.scenario} ===`];
  if (report.rows.length > 0) {
    out.push(
      table(
        [
          'measurement',
          'rate/s',
          'sent',
          'errors',
          'thru/s',
          'p50 ms',
          'p95 ms',
          'p99 ms',
          'max ms',
          'lag p99',
          'send→p50',
          'send→p99',
          'verdict',
        ],
        report.rows.map((r) => [
          r.name,
          r.rate === null ? '—' : String(r.rate),
          String(r.sent),
          String(r.errors),
          fmt(r.throughput),
          fmt(r.latency.p50),
          fmt(r.latency.p95),
          fmt(r.latency.p99),
          fmt(r.latency.max),
          fmt(r.lagP99),
          fmt(r.fromSend?.p50 ?? null),
          fmt(r.fromSend?.p99 ?? null),
          verdict(r.checks),
        ]),
        new Set([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]),
      ),
    );
  }
  const checks = [...report.rows.flatMap((r) => r.checks), ...report.checks];
  if (checks.length > 0) {
    out.push('');
    out.push(
      table(
        ['target', 'wanted', 'measured', 'PASS/MISS'],
        checks.map((c) => [c.what, c.target, c.measured, c.pass ? 'PASS' : 'MISS']),
        new Set([1, 2]),
      ),
    );
  }
  if (report.processes.length > 0) {
    const perUnit = report.cpuPerUnit?.unit;
    out.push('');
    out.push(
      table(
        [
          'process',
          'pid',
          'RSS at start MB',
          'peak RSS MB',
          'VmHWM MB',
          'CPU % (mean)',
          ...(perUnit ? [`CPU ms / ${perUnit}`] : []),
        ],
        [
          ...report.processes.map((p) => [
            p.name,
            String(p.pid),
            fmt(p.startRssMb),
            fmt(p.peakRssMb),
            fmt(p.hwmRssMb),
            fmt(p.meanCpuPercent),
            ...(perUnit ? [p.cpuMsPerUnit === undefined ? '—' : fmt(p.cpuMsPerUnit)] : []),
          ]),
          ...(perUnit && report.cpuPerUnit
            ? [
                ['postgresql (all backends)', '', '', '', '', '', fmt(report.cpuPerUnit.postgresMs)],
                ['all of the above', '', '', '', '', '', fmt(report.cpuPerUnit.totalMs)],
              ]
            : []),
        ],
        new Set([1, 2, 3, 4, 5, 6]),
      ),
    );
  }
  for (const note of report.notes) out.push(`note: ${note}`);
  for (const sample of report.errorSamples) out.push(`error sample: ${sample}`);
  return out.join('\n');
}

export function save(report: ScenarioReport): string {
  mkdirSync(RESULTS_DIR, { recursive: true });
  const path = join(RESULTS_DIR, `${report.scenario}.json`);
  writeFileSync(path, `${JSON.stringify(report, null, 2)}\n`);
  return path;
}
