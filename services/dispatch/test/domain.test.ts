import { describe, expect, it } from '@jest/globals';
import { dispatch } from '@trades/contracts';
import { areaOf } from '../src/domain/area.ts';
import { CLOSE_REASON, decideYes, offerEnd, type OfferEnd } from '../src/domain/replies.ts';
import { canTransition, OPEN_STATES, TRANSITIONS, transitionProblem } from '../src/domain/state-machine.ts';
import {
  heldRetrySeconds,
  planNextWave,
  radiusForRoundWave,
  searchLimit,
  type WavePolicy,
} from '../src/domain/waves.ts';

type JobState = dispatch.JobState;

/** The lifecycle as the product describes it, written out pair by pair. */
const LEGAL: [JobState, JobState][] = [
  ['CREATED', 'DISPATCHING'],
  ['DISPATCHING', 'OFFERED'],
  ['OFFERED', 'DISPATCHING'],
  ['OFFERED', 'ASSIGNED'],
  ['ASSIGNED', 'EN_ROUTE'],
  ['EN_ROUTE', 'COMPLETED'],
  ['ASSIGNED', 'DISPATCHING'],
  ['EN_ROUTE', 'DISPATCHING'],
  ...(['CREATED', 'DISPATCHING', 'OFFERED', 'ASSIGNED', 'EN_ROUTE'] as const).flatMap(
    (from): [JobState, JobState][] => [
      [from, 'CANCELED'],
      [from, 'FAILED'],
    ],
  ),
];

describe('job state machine', () => {
  const allPairs = dispatch.JOB_STATES.flatMap((from) =>
    dispatch.JOB_STATES.map((to): [JobState, JobState] => [from, to]),
  );

  it.each(allPairs)('%s → %s is legal exactly when the lifecycle allows it', (from, to) => {
    const expected = LEGAL.some(([f, t]) => f === from && t === to);
    expect(canTransition(from, to)).toBe(expected);
    const problem = transitionProblem(from, to);
    if (expected) expect(problem).toBeUndefined();
    else expect(problem).toMatch(/\.$/);
  });

  it('has an entry for every state and nothing leaves a final state', () => {
    expect(Object.keys(TRANSITIONS).sort()).toEqual([...dispatch.JOB_STATES].sort());
    for (const state of ['COMPLETED', 'CANCELED', 'FAILED'] as const) {
      expect(TRANSITIONS[state]).toEqual([]);
      expect(OPEN_STATES).not.toContain(state);
    }
  });

  it('explains an illegal move in a sentence naming what is allowed', () => {
    expect(transitionProblem('CREATED', 'ASSIGNED')).toBe(
      'A job that is CREATED cannot become ASSIGNED; from CREATED it can only become DISPATCHING, CANCELED, FAILED.',
    );
    expect(transitionProblem('COMPLETED', 'CANCELED')).toBe(
      'The job is already COMPLETED and cannot change any more.',
    );
  });
});

describe('wave planning', () => {
  const policy: WavePolicy = { waveSize: 3, maxWaves: 4, initialRadiusKm: 5, radiusStepKm: 5 };

  it('widens the radius by one step each wave, starting from the initial radius', () => {
    expect(planNextWave(policy, { wave: 0, roundStartWave: 0 })).toEqual({
      kind: 'wave',
      wave: 1,
      radiusKm: 5,
      size: 3,
    });
    expect(planNextWave(policy, { wave: 1, roundStartWave: 0 })).toEqual({
      kind: 'wave',
      wave: 2,
      radiusKm: 10,
      size: 3,
    });
    expect(planNextWave(policy, { wave: 3, roundStartWave: 0 })).toEqual({
      kind: 'wave',
      wave: 4,
      radiusKm: 20,
      size: 3,
    });
  });

  it('has no wave left after the maximum', () => {
    const plan = planNextWave(policy, { wave: 4, roundStartWave: 0 });
    expect(plan).toEqual({ kind: 'exhausted', reason: 'no locksmith accepted after 4 waves' });
  });

  it('starts a re-dispatch round at the initial radius with a full set of waves, numbering on', () => {
    expect(planNextWave(policy, { wave: 2, roundStartWave: 2 })).toEqual({
      kind: 'wave',
      wave: 3,
      radiusKm: 5,
      size: 3,
    });
    expect(planNextWave(policy, { wave: 5, roundStartWave: 2 })).toEqual({
      kind: 'wave',
      wave: 6,
      radiusKm: 20,
      size: 3,
    });
    expect(planNextWave(policy, { wave: 6, roundStartWave: 2 }).kind).toBe('exhausted');
  });

  it('keeps the radius fixed when the step is zero', () => {
    expect(radiusForRoundWave({ ...policy, radiusStepKm: 0 }, 4)).toBe(5);
  });

  it('asks for twice the offers wanted, doubling on each search past locksmiths other waves took', () => {
    expect([0, 1, 2].map((search) => searchLimit(3, search))).toEqual([6, 12, 24]);
    expect(searchLimit(40, 2)).toBe(100);
  });

  it('looks again 1 to 3 seconds later when everyone in range is holding another offer', () => {
    expect(heldRetrySeconds(0)).toBe(1);
    expect(heldRetrySeconds(0.5)).toBe(2);
    expect(heldRetrySeconds(0.999)).toBeLessThan(3);
  });
});

describe('a YES reply', () => {
  const pending = { jobCode: '4821' };
  const latest = (end: OfferEnd) => ({ jobCode: '4821', end });

  it('accepts a bare YES or one with the right code when an offer is pending', () => {
    expect(decideYes(undefined, pending, undefined, false)).toEqual({ kind: 'accept' });
    expect(decideYes('4821', pending, undefined, false)).toEqual({ kind: 'accept' });
  });

  it('rejects a code that is not the pending offer’s', () => {
    expect(decideYes('1234', pending, undefined, false)).toEqual({
      kind: 'reject',
      reason: 'wrong_job_code',
      jobCode: '4821',
    });
  });

  it('refuses a locksmith who is already on another job', () => {
    expect(decideYes('4821', pending, undefined, true)).toEqual({
      kind: 'reject',
      reason: 'on_another_job',
      jobCode: '4821',
    });
    expect(decideYes(undefined, undefined, latest('assigned_elsewhere'), true)).toEqual({
      kind: 'reject',
      reason: 'on_another_job',
      jobCode: '4821',
    });
  });

  it('says why a YES came too late: the job was taken, or the offer expired', () => {
    expect(decideYes(undefined, undefined, latest('taken'), false)).toEqual({
      kind: 'reject',
      reason: 'job_taken',
      jobCode: '4821',
    });
    expect(decideYes('4821', undefined, latest('expired'), false)).toEqual({
      kind: 'reject',
      reason: 'offer_expired',
      jobCode: '4821',
    });
  });

  it('says nothing is pending otherwise', () => {
    expect(decideYes(undefined, undefined, undefined, false)).toEqual({
      kind: 'reject',
      reason: 'no_pending_offer',
      jobCode: null,
    });
    expect(decideYes('1111', undefined, latest('taken'), false)).toEqual({
      kind: 'reject',
      reason: 'no_pending_offer',
      jobCode: '1111',
    });
    expect(decideYes(undefined, undefined, latest('other'), false).kind).toBe('reject');
  });

  it('reads why an offer closed from its status and reason', () => {
    expect(offerEnd('CANCELED', CLOSE_REASON.jobTaken)).toBe('taken');
    expect(offerEnd('CANCELED', CLOSE_REASON.assignedElsewhere)).toBe('assigned_elsewhere');
    expect(offerEnd('CANCELED', CLOSE_REASON.jobStopped)).toBe('other');
    expect(offerEnd('EXPIRED', CLOSE_REASON.expired)).toBe('expired');
    expect(offerEnd('DECLINED', CLOSE_REASON.declined)).toBe('other');
  });
});

describe('offer area', () => {
  it('shows the locality, never the street', () => {
    expect(areaOf('123 Main St, Springfield, IL 62701', '62701')).toBe('Springfield, IL 62701');
    expect(areaOf('Somewhere', '62701')).toBe('62701');
  });
});
