// Demo locksmiths around San Francisco for local runs (`npm start` seeds them). Phone numbers are
// in the 555-01xx range, which North American numbering reserves for fiction.
import { AppError, registry } from '@trades/contracts';
import type { ReplyOf, RequestOf } from '@trades/contracts';

export interface DemoLocksmith {
  name: string;
  phone: string;
  email: string;
  address: string;
  services: string[];
  radiusKm: number;
}

const ALL = ['home_lockout', 'car_lockout', 'business_lockout', 'lock_change', 'key_replacement'];
const HOME = ['home_lockout', 'lock_change', 'key_replacement'];
const CAR = ['car_lockout', 'key_replacement'];
const COMMERCIAL = ['business_lockout', 'lock_change', 'home_lockout'];

export const DEMO_LOCKSMITHS: DemoLocksmith[] = [
  {
    name: 'Mission Lock & Key',
    phone: '+14155550101',
    email: 'dispatch@missionlock.example',
    address: '2128 Mission St, San Francisco, CA 94110',
    services: ALL,
    radiusKm: 12,
  },
  {
    name: 'Castro Keys',
    phone: '+14155550102',
    email: 'hello@castrokeys.example',
    address: '4100 18th St, San Francisco, CA 94114',
    services: HOME,
    radiusKm: 8,
  },
  {
    name: 'SoMa Security Locksmiths',
    phone: '+14155550103',
    email: 'ops@somasecurity.example',
    address: '888 Brannan St, San Francisco, CA 94103',
    services: COMMERCIAL,
    radiusKm: 15,
  },
  {
    name: 'Marina Auto Locksmith',
    phone: '+14155550104',
    email: 'marina@autolock.example',
    address: '2001 Chestnut St, San Francisco, CA 94123',
    services: CAR,
    radiusKm: 20,
  },
  {
    name: 'Sunset Lock Service',
    phone: '+14155550105',
    email: 'sunsetlock@example.com',
    address: '1900 Irving St, San Francisco, CA 94122',
    services: ALL,
    radiusKm: 10,
  },
  {
    name: 'Richmond Rekey',
    phone: '+14155550106',
    email: 'rekey@richmond.example',
    address: '5500 Geary Blvd, San Francisco, CA 94121',
    services: HOME,
    radiusKm: 9,
  },
  {
    name: 'Nob Hill Locksmiths',
    phone: '+14155550107',
    email: 'nobhill@locks.example',
    address: '1000 California St, San Francisco, CA 94108',
    services: ALL,
    radiusKm: 6,
  },
  {
    name: 'Financial District Lock Co.',
    phone: '+14155550108',
    email: 'fidi@lockco.example',
    address: '101 California St, San Francisco, CA 94111',
    services: COMMERCIAL,
    radiusKm: 7,
  },
  {
    name: 'Noe Valley Keyworks',
    phone: '+14155550109',
    email: 'keys@noevalley.example',
    address: '3900 24th St, San Francisco, CA 94114',
    services: HOME,
    radiusKm: 7,
  },
  {
    name: 'Bernal Heights Lock',
    phone: '+14155550110',
    email: 'bernal@locks.example',
    address: '500 Cortland Ave, San Francisco, CA 94110',
    services: ALL,
    radiusKm: 11,
  },
  {
    name: 'Potrero Car Keys',
    phone: '+14155550111',
    email: 'cars@potrerokeys.example',
    address: '1600 20th St, San Francisco, CA 94107',
    services: CAR,
    radiusKm: 18,
  },
  {
    name: 'Dogpatch Door & Lock',
    phone: '+14155550112',
    email: 'door@dogpatch.example',
    address: '900 Minnesota St, San Francisco, CA 94107',
    services: COMMERCIAL,
    radiusKm: 12,
  },
  {
    name: 'Haight Street Locksmith',
    phone: '+14155550113',
    email: 'haight@locksmith.example',
    address: '1500 Haight St, San Francisco, CA 94117',
    services: ALL,
    radiusKm: 8,
  },
  {
    name: 'Pacific Heights Security',
    phone: '+14155550114',
    email: 'security@pacheights.example',
    address: '2400 Fillmore St, San Francisco, CA 94115',
    services: HOME,
    radiusKm: 10,
  },
  {
    name: 'North Beach Keys',
    phone: '+14155550115',
    email: 'nb@keys.example',
    address: '500 Columbus Ave, San Francisco, CA 94133',
    services: ALL,
    radiusKm: 6,
  },
  {
    name: 'Excelsior Lock & Safe',
    phone: '+14155550116',
    email: 'excelsior@lockandsafe.example',
    address: '4600 Mission St, San Francisco, CA 94112',
    services: ALL,
    radiusKm: 14,
  },
  {
    name: 'Bayview Emergency Locksmith',
    phone: '+14155550117',
    email: 'bayview@emergency.example',
    address: '4900 3rd St, San Francisco, CA 94124',
    services: ['home_lockout', 'car_lockout', 'business_lockout'],
    radiusKm: 16,
  },
  {
    name: 'Glen Park Lockworks',
    phone: '+14155550118',
    email: 'glenpark@lockworks.example',
    address: '2800 Diamond St, San Francisco, CA 94131',
    services: HOME,
    radiusKm: 9,
  },
  {
    name: 'Hayes Valley Locks',
    phone: '+14155550119',
    email: 'hayes@locks.example',
    address: '500 Hayes St, San Francisco, CA 94102',
    services: ALL,
    radiusKm: 7,
  },
  {
    name: 'Tenderloin 24h Locksmith',
    phone: '+14155550120',
    email: '24h@tlocksmith.example',
    address: '600 Ellis St, San Francisco, CA 94109',
    services: ['home_lockout', 'business_lockout', 'car_lockout'],
    radiusKm: 8,
  },
  {
    name: 'Outer Sunset Auto Keys',
    phone: '+14155550121',
    email: 'autokeys@outersunset.example',
    address: '3900 Judah St, San Francisco, CA 94122',
    services: CAR,
    radiusKm: 15,
  },
  {
    name: 'West Portal Lock Shop',
    phone: '+14155550122',
    email: 'shop@westportal.example',
    address: '100 West Portal Ave, San Francisco, CA 94127',
    services: ALL,
    radiusKm: 10,
  },
  {
    name: 'Embarcadero Commercial Locks',
    phone: '+14155550123',
    email: 'commercial@embarcadero.example',
    address: '1 Ferry Building, San Francisco, CA 94111',
    services: COMMERCIAL,
    radiusKm: 9,
  },
  {
    name: 'Presidio Key & Lock',
    phone: '+14155550124',
    email: 'presidio@keylock.example',
    address: '3200 Sacramento St, San Francisco, CA 94115',
    services: HOME,
    radiusKm: 11,
  },
  {
    name: 'Visitacion Valley Locksmith',
    phone: '+14155550125',
    email: 'visval@locksmith.example',
    address: '100 Leland Ave, San Francisco, CA 94134',
    services: ALL,
    radiusKm: 13,
  },
];

type CreateProvider = (
  contract: typeof registry.ProviderCreate,
  request: RequestOf<typeof registry.ProviderCreate>,
) => Promise<ReplyOf<typeof registry.ProviderCreate>>;

/**
 * Creates the demo locksmiths through the registry's own endpoint, so they are geocoded and announced
 * like any other. Idempotent: one already registered (PHONE_TAKEN) is skipped.
 */
export async function seedDemoLocksmiths(
  call: CreateProvider,
): Promise<{ created: number; skipped: number }> {
  let created = 0;
  let skipped = 0;
  for (const locksmith of DEMO_LOCKSMITHS) {
    try {
      await call(registry.ProviderCreate, { ...locksmith, trade: 'locksmith', actor: 'seed' });
      created += 1;
    } catch (error) {
      if (error instanceof AppError && error.code === 'PHONE_TAKEN') {
        skipped += 1;
        continue;
      }
      throw error;
    }
  }
  return { created, skipped };
}
