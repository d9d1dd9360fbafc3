import type { ServiceConfig, ServiceContext } from '@trades/runtime';
import Type from 'typebox';

/** A lead's wave policy by urgency: plumbers per wave, offer TTL, waves before UNSOLD. */
function leadPolicy<U extends string>(urgency: U, what: string, size: number, ttl: number, waves: number) {
  return {
    [`DISPATCH_LEAD_${urgency}_WAVE_SIZE`]: Type.Integer({
      minimum: 1,
      maximum: 100,
      default: size,
      description: `Plumbers offered ${what} per wave`,
    }),
    [`DISPATCH_LEAD_${urgency}_OFFER_TTL_SECONDS`]: Type.Number({
      exclusiveMinimum: 0,
      default: ttl,
      description: `How long an offer of ${what} waits for a YES`,
    }),
    [`DISPATCH_LEAD_${urgency}_MAX_WAVES`]: Type.Integer({
      minimum: 1,
      maximum: 50,
      default: waves,
      description: `Waves before ${what} is UNSOLD`,
    }),
  } as Record<`DISPATCH_LEAD_${U}_${'WAVE_SIZE' | 'MAX_WAVES'}`, ReturnType<typeof Type.Integer>> &
    Record<`DISPATCH_LEAD_${U}_OFFER_TTL_SECONDS`, ReturnType<typeof Type.Number>>;
}

export const dispatchConfig = {
  DISPATCH_WAVE_SIZE: Type.Integer({
    minimum: 1,
    maximum: 100,
    default: 3,
    description: 'Locksmiths offered a job per wave',
  }),
  DISPATCH_OFFER_TTL_SECONDS: Type.Number({
    exclusiveMinimum: 0,
    default: 120,
    description: 'How long an offer waits for a reply',
  }),
  DISPATCH_MAX_WAVES: Type.Integer({
    minimum: 1,
    maximum: 50,
    default: 4,
    description: 'Waves per dispatch round before the job fails',
  }),
  DISPATCH_INITIAL_RADIUS_KM: Type.Number({
    exclusiveMinimum: 0,
    default: 5,
    description: 'Search radius of the first wave',
  }),
  DISPATCH_RADIUS_STEP_KM: Type.Number({
    minimum: 0,
    default: 5,
    description: 'How much the radius widens each wave',
  }),
  DISPATCH_TICK_MS: Type.Integer({
    minimum: 10,
    default: 250,
    description: 'How often due offers and waves are looked at',
  }),
  DISPATCH_AUTO_START: Type.Boolean({
    default: true,
    description: 'Start dispatching a job as soon as it is created',
  }),
  DISPATCH_LINK_SECRET: Type.String({
    minLength: 16,
    description: "Signs lead offers' accept links (HMAC-SHA256); required in production",
  }),
  DISPATCH_CREDIT_REVIEW_RATE: Type.Number({
    minimum: 0,
    maximum: 1,
    default: 0.25,
    description:
      'Return rate (credited ÷ bought, last 30 days) above which a plumber is flagged: their credit requests go to an operator',
  }),
  ...leadPolicy('DAY', 'a lead needed today', 3, 300, 4),
  ...leadPolicy('WEEK', 'a lead needed this week', 5, 1800, 4),
  ...leadPolicy('MONTH', 'a lead needed this month', 8, 7200, 3),
};

export type DispatchConfig = ServiceConfig<typeof dispatchConfig>;
export type DispatchContext = ServiceContext<DispatchConfig>;
