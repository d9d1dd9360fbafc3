// A demo lead partner for local runs (`npm start` seeds it), so the console's Partners page has one to
// open. No API key is made: a key is shown once, when an operator issues it from the partner's page.
import { intake } from '@trades/contracts';
import type { EndpointContract, ReplyOf, RequestOf } from '@trades/contracts';

export type DemoPartner = Omit<RequestOf<typeof intake.PartnerCreate>, 'actor'>;

export const DEMO_PARTNERS: DemoPartner[] = [
  {
    name: 'Bay Area Home Leads',
    contactName: 'Nora Quinn',
    email: 'nora@bayareahomeleads.example',
    phone: '+14155550170',
    rateLimitPerMinute: 60,
    payoutCentsPerLead: 1200,
  },
];

type Call = <E extends EndpointContract>(contract: E, request: RequestOf<E>) => Promise<ReplyOf<E>>;

/**
 * Creates the demo partners through intake's own endpoint. Idempotent: a partner of the same name is
 * skipped (partner names are not unique in intake, so the seed looks before it creates).
 */
export async function seedDemoPartners(call: Call): Promise<{ created: number; skipped: number }> {
  const names = new Set<string>();
  let cursor: string | undefined;
  do {
    const page = await call(intake.PartnerList, { limit: 200, ...(cursor ? { cursor } : {}) });
    for (const partner of page.items) names.add(partner.name);
    cursor = page.nextCursor ?? undefined;
  } while (cursor);
  let created = 0;
  let skipped = 0;
  for (const partner of DEMO_PARTNERS) {
    if (names.has(partner.name)) {
      skipped += 1;
      continue;
    }
    await call(intake.PartnerCreate, { ...partner, actor: 'seed' });
    created += 1;
  }
  return { created, skipped };
}
