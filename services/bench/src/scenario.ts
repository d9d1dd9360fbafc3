import type { BenchDatabase, NatsTarget } from './lib/infra.ts';
import type { ScenarioReport } from './lib/report.ts';

export interface ScenarioContext {
  nats: NatsTarget;
  /** A fresh database for the run (created on first use, dropped at the end). */
  database(): Promise<BenchDatabase>;
  /** Multiplies every warm-up and measuring window (`--quick` = 0.2, for trying the harness out). */
  timeScale: number;
  /** Multiplies every arrival rate (`--rate-scale=0.2`, to find where the system stops keeping up). */
  rateScale: number;
}

export interface Scenario {
  name: string;
  description: string;
  run(ctx: ScenarioContext): Promise<ScenarioReport>;
}
