/** How waves are planned: k locksmiths per wave, a radius that widens each wave, a bounded number of waves. */
export interface WavePolicy {
  waveSize: number;
  maxWaves: number;
  initialRadiusKm: number;
  radiusStepKm: number;
}

/** Where a job stands in its current dispatch round (a re-dispatch starts a new round). */
export interface WaveProgress {
  /** The last wave number used for this job (0 before the first). Wave numbers keep counting across rounds. */
  wave: number;
  /** The wave number the current round started after (0 for the first round). */
  roundStartWave: number;
}

export type WavePlan =
  { kind: 'wave'; wave: number; radiusKm: number; size: number } | { kind: 'exhausted'; reason: string };

/** The search radius of the n-th wave of a round (1-based). */
export function radiusForRoundWave(policy: WavePolicy, roundWave: number): number {
  return policy.initialRadiusKm + policy.radiusStepKm * (roundWave - 1);
}

/** The next wave to send, or why there is none. */
export function planNextWave(policy: WavePolicy, progress: WaveProgress): WavePlan {
  const roundWave = progress.wave - progress.roundStartWave + 1;
  if (roundWave > policy.maxWaves) {
    return {
      kind: 'exhausted',
      reason: `no locksmith accepted after ${policy.maxWaves} wave${policy.maxWaves === 1 ? '' : 's'}`,
    };
  }
  return {
    kind: 'wave',
    wave: progress.wave + 1,
    radiusKm: radiusForRoundWave(policy, roundWave),
    size: policy.waveSize,
  };
}
