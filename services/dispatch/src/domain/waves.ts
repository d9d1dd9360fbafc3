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

/** A wave to send: its number, search radius and how many to offer it to. */
export interface Wave {
  kind: 'wave';
  wave: number;
  radiusKm: number;
  size: number;
}

export type WavePlan = Wave | { kind: 'exhausted'; reason: string };

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

/** Times the registry is asked again within one wave, past the locksmiths other waves took meanwhile. */
export const WAVE_SEARCHES = 3;

/**
 * How many candidates to ask the registry for: twice the offers still wanted on the first search (some
 * will have been taken by another wave meanwhile), doubling on each search past the ones lost.
 */
export function searchLimit(wanted: number, search: number): number {
  return Math.min(100, wanted * 2 * 2 ** search);
}

/**
 * Seconds until a job whose locksmiths in range (or a lead whose plumbers) are all holding other offers
 * looks again: 1 to 3 s (`random` in [0, 1)), spread so the ones of a burst do not all ask at once.
 */
export function heldRetrySeconds(random: number): number {
  return 1 + 2 * random;
}
