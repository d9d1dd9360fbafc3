export { openLoop, type OpenLoopOptions, type OpenLoopResult } from './lib/open-loop.ts';
export { summarize, percentile, type Summary } from './lib/stats.ts';
export { SCENARIOS } from './scenarios/index.ts';
