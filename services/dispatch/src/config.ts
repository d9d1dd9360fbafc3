import type { ServiceConfig, ServiceContext } from '@trades/runtime';
import Type from 'typebox';

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
};

export type DispatchConfig = ServiceConfig<typeof dispatchConfig>;
export type DispatchContext = ServiceContext<DispatchConfig>;
