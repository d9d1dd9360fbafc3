// API answers for the Leads, Credits and Lead analytics pages (screenshots and axe), relative to now.
import type {
  LeadAnalytics,
  LeadCredit,
  LeadDetail,
  LeadPartnerRef,
  LeadService,
  LeadSummary,
  PlumberForLead,
} from '../src/app/core/api-types.ts';

const now = Date.now();
const ago = (minutes: number): string => new Date(now - minutes * 60_000).toISOString();
const uuid = (n: number): string => `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`;

export const leadServices: LeadService[] = [
  { code: 'water_heater', name: 'Water heater' },
  { code: 'drain_cleaning', name: 'Drain cleaning' },
  { code: 'leak_repair', name: 'Leak repair' },
];

export const partners: LeadPartnerRef[] = [{ id: uuid(900), name: 'HomeLeads Co' }];

const homeowners = ['Dana Reyes', 'Sam Patel', 'Ona Berg', 'Ravi Shah', 'Cleo Park', 'Ines Duarte'];
const statuses = ['offered', 'assigned', 'completed', 'unsold', 'new', 'rejected', 'credited'] as const;
const urgencies = ['day', 'week', 'month'] as const;

export const leads: LeadSummary[] = Array.from({ length: 40 }, (_, i) => {
  const [firstName = 'Dana', lastName = 'Reyes'] = (homeowners[i % homeowners.length] ?? '').split(' ');
  const service = leadServices[i % leadServices.length] ?? { code: 'water_heater', name: 'Water heater' };
  return {
    id: uuid(100 + i),
    status: statuses[i % statuses.length] ?? 'new',
    serviceNeeded: service.code,
    serviceName: service.name,
    urgency: urgencies[i % urgencies.length] ?? 'day',
    zipCode: ['94103', '94110', '94612'][i % 3] ?? '94103',
    priceCents: [4500, 3500, 2500][i % 3] ?? 4500,
    firstName,
    lastName,
    source: i % 4 === 1 ? 'partner' : 'form',
    partnerId: i % 4 === 1 ? uuid(900) : null,
    externalId: i % 4 === 1 ? `HL-${7000 + i}` : null,
    test: false,
    plumberId: null,
    createdAt: ago(8 + i * 37),
    updatedAt: ago(4 + i * 37),
  };
});

const KIM = uuid(501);
const LEE = uuid(502);

export const soldLead: LeadDetail = {
  ...(leads[1] ?? leads[0]!),
  id: uuid(101),
  status: 'assigned',
  plumberId: KIM,
  email: 'sam.patel@example.com',
  phone: '+14155550123',
  description: 'Water heater leaking in the garage, about 10 years old.',
  lat: 37.77,
  lng: -122.42,
  partnerKeyId: uuid(901),
  rejectionReason: null,
  consent: {
    text: 'By submitting, I agree that one licensed plumber may call, text or email me about this request.',
    capturedAt: ago(45),
    ip: '203.0.113.7',
    userAgent: 'Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15',
    pageUrl: 'https://homeleads.example/plumbing?utm_source=search',
  },
  timeline: [{ status: 'new', at: ago(45), cause: 'accepted', actor: 'partner' }],
  offers: [
    {
      plumberId: LEE,
      plumberName: 'Lee Pipes',
      wave: 1,
      status: 'DECLINED',
      reason: null,
      sentAt: ago(44),
      respondedAt: ago(43),
    },
    {
      plumberId: uuid(503),
      plumberName: 'Ana Drains',
      wave: 1,
      status: 'EXPIRED',
      reason: null,
      sentAt: ago(44),
    },
    {
      plumberId: KIM,
      plumberName: 'Kim Flow',
      wave: 2,
      status: 'ACCEPTED',
      reason: null,
      sentAt: ago(34),
      respondedAt: ago(31),
    },
  ],
  charge: {
    paymentIntentId: 'pi_3QxLeadCharge',
    status: 'succeeded',
    amountCents: 3500,
    plumberId: KIM,
    code: null,
  },
  sale: {
    code: '4821',
    state: 'ASSIGNED',
    buyer: { id: KIM, name: 'Kim Flow', phone: '+14155550188', email: 'kim@flowplumbing.example' },
    chargeAttempt: 1,
    timeline: [
      { state: 'NEW', at: ago(45), cause: 'lead_accepted', actor: 'intake' },
      { state: 'OFFERED', at: ago(44), cause: 'wave_sent', actor: 'dispatch' },
      { state: 'CHARGING', at: ago(31), cause: 'Kim Flow replied YES', actor: KIM },
      { state: 'ASSIGNED', at: ago(31), cause: 'charge_succeeded', actor: 'payments' },
    ],
  },
  messages: [
    {
      channel: 'sms',
      sid: 'SM1',
      direction: 'outbound',
      from: '+14155550100',
      to: '+14155550188',
      body: 'New lead 4821: Water heater in 94110, within a week, $35.00. Reply YES 4821 to buy.',
      subject: null,
      status: 'delivered',
      purpose: 'lead-offer',
      jobId: null,
      leadId: uuid(101),
      providerId: KIM,
      errorCode: null,
      createdAt: ago(34),
      updatedAt: ago(34),
    },
    {
      channel: 'sms',
      sid: 'SM2',
      direction: 'inbound',
      from: '+14155550188',
      to: '+14155550100',
      body: 'YES 4821',
      subject: null,
      status: 'received',
      purpose: null,
      jobId: null,
      leadId: uuid(101),
      providerId: KIM,
      errorCode: null,
      createdAt: ago(31),
      updatedAt: ago(31),
    },
    {
      channel: 'email',
      sid: '<lead-4821@trades.example>',
      direction: 'outbound',
      from: 'leads@trades.example',
      to: 'kim@flowplumbing.example',
      body: 'Lead 4821 is yours: Sam Patel, +14155550123, sam.patel@example.com.',
      subject: 'Lead 4821 is yours',
      status: 'sent',
      purpose: 'lead-sold',
      jobId: null,
      leadId: uuid(101),
      providerId: KIM,
      errorCode: null,
      createdAt: ago(30),
      updatedAt: ago(30),
    },
  ],
};

export const openLead: LeadDetail = {
  ...soldLead,
  id: uuid(100),
  status: 'offered',
  plumberId: null,
  charge: undefined,
  sale: {
    ...soldLead.sale!,
    code: '4822',
    state: 'OFFERED',
    buyer: null,
    chargeAttempt: 0,
    timeline: soldLead.sale!.timeline.slice(0, 2),
  },
  offers: soldLead.offers.slice(0, 2),
  messages: soldLead.messages.slice(0, 1),
};

const caps = {
  dailyCap: 3,
  weeklyCap: 10,
  monthlyCap: 30,
  monthlySpendCapCents: 100000,
  timeZone: 'America/Los_Angeles',
};
export const plumbersForLead: PlumberForLead[] = [
  {
    plumberId: KIM,
    name: 'Kim Flow',
    phone: '+14155550188',
    distanceKm: 3.2,
    cardStatus: 'saved',
    status: 'active',
    available: true,
    covers: true,
    buysService: true,
    ...caps,
    usage: { today: 1, thisWeek: 4, thisMonth: 9, spendThisMonthCents: 31500, atCap: null },
  },
  {
    plumberId: LEE,
    name: 'Lee Pipes',
    phone: '+14155550177',
    distanceKm: 5.8,
    cardStatus: 'none',
    status: 'active',
    available: true,
    covers: true,
    buysService: true,
    ...caps,
    usage: null,
  },
  {
    plumberId: uuid(503),
    name: 'Ana Drains',
    phone: '+14155550166',
    distanceKm: 7.1,
    cardStatus: 'saved',
    status: 'active',
    available: true,
    covers: false,
    buysService: true,
    ...caps,
    usage: { today: 3, thisWeek: 5, thisMonth: 12, spendThisMonthCents: 42000, atCap: 'daily' },
  },
];

function credit(n: number, overrides: Partial<LeadCredit>): LeadCredit {
  return {
    id: uuid(700 + n),
    leadId: uuid(101 + n),
    leadCode: String(4821 + n),
    serviceName: 'Water heater',
    zipCode: '94110',
    priceCents: 3500,
    plumberId: KIM,
    plumberName: 'Kim Flow',
    plumberPhone: '+14155550188',
    plumberEmail: 'kim@flowplumbing.example',
    reason: 'could_not_reach',
    note: null,
    channel: 'sms',
    status: 'review',
    amountCents: 3500,
    automatic: false,
    evidence: null,
    returnRate: 0.12,
    flagged: false,
    requestedBy: KIM,
    decidedBy: null,
    decisionNote: null,
    refundId: null,
    failure: null,
    requestedAt: ago(20 + n * 90),
    decidedAt: null,
    creditedAt: null,
    ...overrides,
  };
}

export const creditQueue: LeadCredit[] = [
  credit(0, { note: 'Called 4 times over two days, voicemail full.' }),
  credit(1, {
    plumberId: LEE,
    plumberName: 'Lee Pipes',
    reason: 'duplicate',
    note: 'Same house as 4790',
    channel: 'email',
    evidence: 'No earlier sale of this phone or email and service to Lee Pipes.',
    returnRate: 0.4,
    flagged: true,
  }),
];

export const creditHistory: LeadCredit[] = [
  ...creditQueue,
  credit(2, {
    status: 'credited',
    reason: 'wrong_number',
    automatic: true,
    evidence: 'The confirmation SMS came back undelivered (30003).',
    decidedBy: 'system',
    refundId: 're_1',
    decidedAt: ago(200),
    creditedAt: ago(199),
  }),
  credit(3, {
    status: 'denied',
    reason: 'other',
    note: 'Customer chose another plumber',
    decidedBy: 'night.ops@trades.example',
    decisionNote: 'The homeowner was reached; a lost bid is not a bad lead.',
    decidedAt: ago(400),
  }),
  credit(4, {
    status: 'credited',
    channel: 'homeowner',
    reason: 'not_real',
    automatic: true,
    evidence: 'The homeowner replied NO to the confirmation SMS.',
    requestedBy: 'homeowner',
    decidedBy: 'system',
    decidedAt: ago(600),
    creditedAt: ago(599),
  }),
];

const day = (offset: number): string => new Date(now - offset * 86_400_000).toISOString().slice(0, 10);
export const leadAnalytics: LeadAnalytics = {
  from: ago(30 * 24 * 60),
  to: ago(0),
  funnel: { received: 412, accepted: 351, offered: 344, sold: 287, completed: 140, credited: 19 },
  rejected: { invalid: 27, duplicate: 22, notServed: 12 },
  bySource: [
    {
      source: 'form',
      partnerId: null,
      partnerName: null,
      received: 240,
      accepted: 214,
      sold: 180,
      revenueCents: 684000,
    },
    {
      source: 'partner',
      partnerId: uuid(900),
      partnerName: 'HomeLeads Co',
      received: 172,
      accepted: 137,
      sold: 107,
      revenueCents: 392500,
    },
  ],
  byService: leadServices.map((service, i) => ({
    serviceCode: service.code,
    serviceName: service.name,
    received: 160 - i * 40,
    accepted: 140 - i * 35,
    sold: 120 - i * 30,
    revenueCents: (120 - i * 30) * 3750,
  })),
  byDay: Array.from({ length: 10 }, (_, i) => ({
    day: day(9 - i),
    received: 12 + (i % 4) * 3,
    accepted: 10 + (i % 4) * 2,
    sold: 8 + (i % 3) * 2,
    completed: 4 + (i % 2),
    revenueCents: (8 + (i % 3) * 2) * 3750,
    creditedCents: i % 3 === 0 ? 3500 : 0,
  })),
  timeToSale: { count: 287, p50Seconds: 212, p90Seconds: 1870 },
  revenueCents: 1076500,
  creditedCents: 66500,
};
