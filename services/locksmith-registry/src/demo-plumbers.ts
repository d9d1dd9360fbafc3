// Demo plumbers around San Francisco for local runs (`npm start` seeds them). Phone numbers are in the
// 555-01xx range North American numbering reserves for fiction, 0150–0159 (the locksmiths have 0101–0125).
import { AppError, registry } from '@trades/contracts';
import type { ReplyOf, RequestOf } from '@trades/contracts';

export type DemoPlumber = Omit<RequestOf<typeof registry.PlumberCreate>, 'actor'> & {
  /** A Stripe test payment method the seed saves as their card through payments (scripts/seed.ts). */
  testCard?: 'pm_card_visa' | 'pm_card_mastercard';
};

const EVERYTHING = [
  'drain_cleaning',
  'leak_repair',
  'water_heater',
  'toilet_repair',
  'sewer_line',
  'emergency_plumbing',
  'fixture_install',
  'repiping',
  'pipe_repair',
];
const REPAIRS = ['drain_cleaning', 'leak_repair', 'toilet_repair', 'pipe_repair'];
const INSTALLS = ['water_heater', 'fixture_install', 'repiping'];

export const DEMO_PLUMBERS: DemoPlumber[] = [
  {
    firstName: 'Rosa',
    lastName: 'Delgado',
    email: 'rosa@missionplumbing.example',
    phone: '+14155550150',
    zipCode: '94110',
    services: EVERYTHING,
    radiusKm: 10,
    dailyCap: 5,
    testCard: 'pm_card_visa',
  },
  {
    firstName: 'Marcus',
    lastName: 'Lee',
    email: 'marcus@castropipes.example',
    phone: '+14155550151',
    zipCode: '94114',
    services: REPAIRS,
    coverageZips: ['94114', '94110', '94117', '94131', '94103'],
    dailyCap: 3,
    testCard: 'pm_card_mastercard',
  },
  {
    firstName: 'Hannah',
    lastName: 'Okafor',
    email: 'hannah@somadrains.example',
    phone: '+14155550152',
    zipCode: '94103',
    services: ['drain_cleaning', 'sewer_line', 'emergency_plumbing'],
    radiusKm: 8,
    testCard: 'pm_card_visa',
  },
  {
    firstName: 'Tom',
    lastName: 'Nguyen',
    email: 'tom@sunsetwaterheaters.example',
    phone: '+14155550153',
    zipCode: '94122',
    services: INSTALLS,
    coverageZips: ['94122', '94116', '94121', '94118'],
    dailyCap: 2,
    testCard: 'pm_card_visa',
  },
  {
    firstName: 'Grace',
    lastName: 'Kim',
    email: 'grace@haightplumbing.example',
    phone: '+14155550154',
    zipCode: '94117',
    services: [...REPAIRS, 'emergency_plumbing'],
    radiusKm: 6,
  },
  {
    firstName: 'Diego',
    lastName: 'Ramirez',
    email: 'diego@excelsiorrooter.example',
    phone: '+14155550155',
    zipCode: '94112',
    services: ['drain_cleaning', 'sewer_line', 'repiping'],
    radiusKm: 12,
    dailyCap: 4,
  },
  {
    firstName: 'Priya',
    lastName: 'Shah',
    email: 'priya@bayviewplumbers.example',
    phone: '+14155550156',
    zipCode: '94124',
    services: EVERYTHING,
    coverageZips: ['94124', '94134', '94107', '94112'],
  },
  {
    firstName: 'Sam',
    lastName: 'Whitaker',
    email: 'sam@northbeachpipes.example',
    phone: '+14155550157',
    zipCode: '94133',
    services: ['leak_repair', 'fixture_install', 'toilet_repair', 'water_heater'],
    radiusKm: 5,
  },
  {
    firstName: 'Lena',
    lastName: 'Fischer',
    email: 'lena@richmondplumbing.example',
    phone: '+14155550158',
    zipCode: '94121',
    services: [...REPAIRS, 'water_heater'],
    radiusKm: 9,
    dailyCap: 6,
  },
  {
    firstName: 'Andre',
    lastName: 'Johnson',
    email: 'andre@dalycityplumbing.example',
    phone: '+14155550159',
    zipCode: '94014',
    services: ['emergency_plumbing', 'leak_repair', 'pipe_repair', 'sewer_line'],
    radiusKm: 15,
  },
];

type CreatePlumber = (
  contract: typeof registry.PlumberCreate,
  request: RequestOf<typeof registry.PlumberCreate>,
) => Promise<ReplyOf<typeof registry.PlumberCreate>>;

/**
 * Creates the demo plumbers through the registry's own endpoint, so they are checked and announced like
 * any other. Idempotent: one already registered (PHONE_TAKEN or EMAIL_TAKEN) is skipped.
 */
export async function seedDemoPlumbers(call: CreatePlumber): Promise<{ created: number; skipped: number }> {
  let created = 0;
  let skipped = 0;
  for (const { testCard: _card, ...plumber } of DEMO_PLUMBERS) {
    try {
      await call(registry.PlumberCreate, { ...plumber, actor: 'seed' });
      created += 1;
    } catch (error) {
      if (error instanceof AppError && (error.code === 'PHONE_TAKEN' || error.code === 'EMAIL_TAKEN')) {
        skipped += 1;
        continue;
      }
      throw error;
    }
  }
  return { created, skipped };
}
