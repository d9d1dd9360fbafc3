import type { Scenario } from '../scenario.ts';
import { booking } from './booking.ts';
import { dispatchScenario } from './dispatch.ts';
import { foundation } from './foundation.ts';
import { leadsScenario } from './leads.ts';

/** Every scenario, in the order `npm run bench` runs them. */
export const SCENARIOS: Scenario[] = [foundation, booking, dispatchScenario, leadsScenario];
