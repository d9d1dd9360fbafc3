// Realistic API answers for screenshots and accessibility checks of the built console.
// Times are relative to now so that ages ("waiting 12 min") look like a live night shift.
import type {
  BookingSession,
  Dashboard,
  Funnel,
  JobDetail,
  JobSummary,
  LeadPrice,
  LeadPriceChange,
  LeadService,
  Locksmith,
  Message,
  Partner,
  PartnerStats,
  Plumber,
  Service,
  WebhookDelivery,
} from '../src/app/core/api-types.ts';

const now = Date.now();
const ago = (minutes: number): string => new Date(now - minutes * 60_000).toISOString();

export const operator = { email: 'night.ops@trades.example', via: 'local' };

export const services: Service[] = [
  {
    code: 'lockout_home',
    name: 'Home lockout',
    depositCents: 4900,
    priceMinCents: 9900,
    priceMaxCents: 19900,
  },
  { code: 'lockout_car', name: 'Car lockout', depositCents: 4900, priceMinCents: 8900, priceMaxCents: 17900 },
  { code: 'rekey', name: 'Rekey locks', depositCents: 2900, priceMinCents: 7900, priceMaxCents: 24900 },
  {
    code: 'lock_change',
    name: 'Lock change',
    depositCents: 2900,
    priceMinCents: 12900,
    priceMaxCents: 34900,
  },
];

const names = ['Maria Lopez', 'Dan Whitaker', 'Priya Raman', 'Tom Becker', 'Aisha Khan', 'Luis Ortega'];
const streets = [
  '1420 Mission St, San Francisco, CA 94103',
  '88 Castro St, Mountain View, CA 94041',
  '2301 Telegraph Ave, Oakland, CA 94612',
  '455 Market St, San Francisco, CA 94105',
  '17 Park Ave, Daly City, CA 94015',
  '3900 Geary Blvd, San Francisco, CA 94118',
];
const states = [
  'OFFERED',
  'DISPATCHING',
  'ASSIGNED',
  'EN_ROUTE',
  'CREATED',
  'COMPLETED',
  'COMPLETED',
  'CANCELED',
  'FAILED',
] as const;

export const jobs: JobSummary[] = Array.from({ length: 60 }, (_, i) => {
  const state = states[i % states.length] ?? 'CREATED';
  const assigned = ['ASSIGNED', 'EN_ROUTE', 'COMPLETED'].includes(state);
  return {
    id: `job-${1000 + i}`,
    code: String(4821 - i * 7),
    state,
    serviceCode: services[i % services.length]?.code ?? 'lockout_home',
    customerName: names[i % names.length] ?? 'Customer',
    address: {
      formatted: `${streets[i % streets.length]}, San Francisco, CA 94110`,
      lat: 37.75,
      lng: -122.41,
      zip: '94110',
    },
    ...(assigned
      ? { locksmithId: 'ls-2', locksmithName: 'Kevin Tran' }
      : { locksmithId: null, locksmithName: null }),
    createdAt: ago(3 + i * 17),
    updatedAt: ago(1 + i * 15),
  };
});

export const jobDetail: JobDetail = {
  ...(jobs[0] as JobSummary),
  state: 'OFFERED',
  timeline: [
    { state: 'CREATED', at: ago(14), cause: 'deposit_authorized', actor: 'payments' },
    { state: 'DISPATCHING', at: ago(14), cause: 'dispatch_started', actor: 'dispatch' },
    { state: 'OFFERED', at: ago(13.9), cause: 'wave_sent', actor: 'dispatch' },
    { state: 'DISPATCHING', at: ago(8.9), cause: 'wave_exhausted', actor: 'dispatch' },
    { state: 'OFFERED', at: ago(8.8), cause: 'wave_sent', actor: 'dispatch' },
  ],
  offers: [
    {
      locksmithId: 'ls-1',
      locksmithName: 'Sam Okafor',
      wave: 1,
      status: 'DECLINED',
      sentAt: ago(13.9),
      respondedAt: ago(13.2),
      responseSeconds: 42,
    },
    { locksmithId: 'ls-3', locksmithName: 'Elena Petrova', wave: 1, status: 'EXPIRED', sentAt: ago(13.9) },
    { locksmithId: 'ls-4', locksmithName: 'Marcus Hill', wave: 1, status: 'EXPIRED', sentAt: ago(13.9) },
    { locksmithId: 'ls-2', locksmithName: 'Kevin Tran', wave: 2, status: 'PENDING', sentAt: ago(8.8) },
    {
      locksmithId: 'ls-5',
      locksmithName: 'Jorge Alvarez',
      wave: 2,
      status: 'DECLINED',
      sentAt: ago(8.8),
      respondedAt: ago(6.5),
      responseSeconds: 138,
    },
  ],
  messages: [
    {
      sid: 'SM01',
      direction: 'outbound',
      from: '+14155550100',
      to: '+14155550111',
      body: 'New job 4821: Home lockout at 1420 Mission St, SF. Reply YES 4821 to accept or NO.',
      status: 'delivered',
      jobId: 'job-1000',
      providerId: null,
      createdAt: ago(13.9),
    },
    {
      sid: 'SM02',
      direction: 'inbound',
      from: '+14155550111',
      to: '+14155550100',
      body: 'NO',
      status: 'received',
      jobId: 'job-1000',
      providerId: null,
      createdAt: ago(13.2),
    },
    {
      sid: 'SM03',
      direction: 'outbound',
      from: '+14155550100',
      to: '+14155550122',
      body: 'New job 4821: Home lockout at 1420 Mission St, SF. Reply YES 4821 to accept or NO.',
      status: 'delivered',
      jobId: 'job-1000',
      providerId: null,
      createdAt: ago(8.8),
    },
  ],
  payment: { status: 'requires_capture', amountCents: 4900, capturedCents: 0, refundedCents: 0 },
};

export const completedJob: JobDetail = {
  ...(jobs[5] as JobSummary),
  timeline: [
    { state: 'CREATED', at: ago(180), cause: 'deposit_authorized', actor: 'payments' },
    { state: 'ASSIGNED', at: ago(176), cause: 'offer_accepted', actor: 'locksmith:ls-2' },
    { state: 'COMPLETED', at: ago(120), cause: 'done_received', actor: 'locksmith:ls-2' },
  ],
  offers: [
    {
      locksmithId: 'ls-2',
      locksmithName: 'Kevin Tran',
      wave: 1,
      status: 'ACCEPTED',
      sentAt: ago(179),
      respondedAt: ago(176),
      responseSeconds: 181,
    },
  ],
  messages: [],
  payment: { status: 'captured', amountCents: 4900, capturedCents: 4900, refundedCents: 1000 },
};

export const locksmiths: Locksmith[] = [
  ['Kevin Tran', '+14155550122', 'active', true, 0.82, 48],
  ['Sam Okafor', '+14155550111', 'active', true, 0.61, 95],
  ['Elena Petrova', '+14155550133', 'active', false, 0.4, 240],
  ['Marcus Hill', '+15105550144', 'paused', false, 0.25, 410],
  ['Jorge Alvarez', '+16505550155', 'active', true, 0.7, 130],
  ['Nina Brooks', '+14155550166', 'deactivated', false, 0, null],
].map(([name, phone, status, available, rate, median], i) => ({
  id: `ls-${i + 1}`,
  name: String(name),
  phone: String(phone),
  email: i % 2 === 0 ? `${String(name).split(' ')[0]?.toLowerCase()}@keys.example` : null,
  services: services.slice(0, 2 + (i % 3)).map((s) => s.code),
  status: status as Locksmith['status'],
  available: Boolean(available),
  lat: 37.77,
  lng: -122.42,
  radiusKm: 10 + i * 3,
  address: streets[i % streets.length] ?? null,
  stats: {
    offers: i === 5 ? 0 : 20 + i * 7,
    accepted: Math.round((20 + i * 7) * Number(rate)),
    declined: 4,
    expired: 3,
    acceptanceRate: Number(rate),
    medianResponseSeconds: median === null ? null : Number(median),
  },
}));

export const messages: Message[] = Array.from({ length: 30 }, (_, i) => {
  const inbound = i % 3 === 1;
  const phone = locksmiths[i % locksmiths.length]?.phone ?? '+14155550122';
  return {
    sid: `SM${String(i).padStart(30, '0')}`,
    direction: inbound ? 'inbound' : 'outbound',
    from: inbound ? phone : '+14155550100',
    to: inbound ? '+14155550100' : phone,
    body: inbound
      ? (['YES 4821', 'NO', 'AVAILABLE'][i % 3] ?? 'YES')
      : `New job ${4821 - i}: Home lockout at ${streets[i % streets.length]}. Reply YES ${4821 - i} to accept or NO.`,
    status: inbound ? 'received' : i % 7 === 0 ? 'undelivered' : 'delivered',
    jobId: i % 4 === 3 ? null : `job-${1000 + (i % 10)}`,
    providerId: null,
    createdAt: ago(i * 4),
  };
});

const steps = ['start', 'location', 'service', 'payment', 'complete'] as const;
export const sessions: BookingSession[] = Array.from({ length: 25 }, (_, i) => {
  const furthest = steps[(i * 3) % 5] ?? 'start';
  return {
    id: `sess-${i}`,
    step: furthest,
    furthestStep: furthest,
    ...(furthest !== 'start' ? { address: streets[i % streets.length] } : {}),
    ...(['service', 'payment', 'complete'].includes(furthest) ? { serviceCode: 'lockout_home' } : {}),
    ...(furthest !== 'start' ? { served: i % 6 !== 1 } : {}),
    completed: furthest === 'complete',
    createdAt: ago(i * 11 + 2),
    updatedAt: ago(i * 11),
    ...(i % 3 === 0
      ? { utm: { source: 'google', medium: 'cpc' } }
      : i % 3 === 1
        ? { referrer: 'https://www.yelp.com/biz/x' }
        : {}),
  };
});

export const funnel: Funnel = {
  steps: [
    { step: 'start', sessions: 1240 },
    { step: 'location', sessions: 902 },
    { step: 'service', sessions: 715 },
    { step: 'payment', sessions: 468 },
    { step: 'complete', sessions: 301 },
  ],
};

export const dashboard: Dashboard = {
  openJobs: 7,
  jobsByState: {
    CREATED: 1,
    DISPATCHING: 1,
    OFFERED: 3,
    ASSIGNED: 1,
    EN_ROUTE: 1,
    COMPLETED: 24,
    CANCELED: 2,
    FAILED: 1,
  },
  availableLocksmiths: 14,
  activeLocksmiths: 23,
  smsLastHour: 41,
  failedJobsToday: 1,
};

// --- Plumbers, Partners and Prices pages (ui-ops) ---

export const leadServices: LeadService[] = [
  { code: 'drain_cleaning', name: 'Drain cleaning' },
  { code: 'leak_repair', name: 'Leak repair' },
  { code: 'water_heater', name: 'Water heater' },
  { code: 'sewer_line', name: 'Sewer line' },
];

const plumberNames = [
  'Dana Whitfield',
  'Marco Ruiz',
  'Priya Shah',
  'Tom Becker',
  'Aisha Grant',
  'Luis Ortega',
];

export const plumbers: Plumber[] = plumberNames.map((name, i) => {
  const [firstName = name, lastName = ''] = name.split(' ');
  const id = `00000000-0000-4000-8000-0000000002${String(i).padStart(2, '0')}`;
  return {
    id,
    firstName,
    lastName,
    email: `${firstName.toLowerCase()}@${lastName.toLowerCase()}plumbing.example`,
    phone: `+1415555020${i}`,
    zipCode: ['94103', '94110', '94601', '94704', '95112', '94015'][i] ?? '94103',
    services: i % 2 ? ['drain_cleaning', 'leak_repair'] : ['water_heater', 'drain_cleaning', 'sewer_line'],
    coverageZips: i === 1 ? ['94110', '94112', '94114', '94131'] : [],
    radiusKm: 20 + i * 5,
    status: i === 5 ? 'paused' : 'active',
    available: i !== 3 && i !== 5,
    stripeCustomerId: i === 4 ? null : `cus_${i}`,
    card:
      i === 4
        ? { status: 'none' }
        : i === 2
          ? { status: 'needs_update', brand: 'visa', last4: '0341' }
          : { status: 'saved', brand: 'visa', last4: '4242' },
    dailyCap: i === 0 ? 3 : i === 1 ? 5 : 0,
    weeklyCap: i === 1 ? 20 : 0,
    monthlyCap: i === 0 ? 40 : 0,
    monthlySpendCapCents: i === 0 ? 150_000 : 0,
    timeZone: 'America/Los_Angeles',
    createdAt: ago(60 * 24 * (30 + i)),
    updatedAt: ago(60 * (i + 1)),
    leadStats:
      i === 4
        ? null
        : {
            plumberId: id,
            offered: 30 - i * 4,
            bought: 12 - i,
            credited: i === 2 ? 4 : 1,
            acceptanceRate: 0.8 - i * 0.1,
            medianReplySeconds: 40 + i * 25,
            returnRate: i === 2 ? 0.4 : 1 / (12 - i),
            flagged: i === 2,
            usage: {
              today: i === 0 ? 3 : 1,
              thisWeek: 4,
              thisMonth: 12 - i,
              spendThisMonthCents: (12 - i) * 4500,
              atCap: i === 0 ? 'daily' : null,
            },
          },
  };
});

export const partner: Partner = {
  id: '00000000-0000-4000-8000-000000000301',
  name: 'HomeLeads',
  email: 'ops@homeleads.example',
  contactName: 'Robin Vendor',
  phone: '+14155550399',
  status: 'active',
  rateLimitPerMinute: 120,
  payoutCentsPerLead: 1250,
  webhookUrl: 'https://homeleads.example/hooks/trades',
  webhookSecretSet: true,
  keys: [
    {
      id: '00000000-0000-4000-8000-0000000003a1',
      name: 'Production',
      test: false,
      prefix: 'tk_live_',
      createdAt: ago(60 * 24 * 20),
      lastUsedAt: ago(4),
      revokedAt: null,
    },
    {
      id: '00000000-0000-4000-8000-0000000003a2',
      name: 'Old server',
      test: false,
      prefix: 'tk_live9',
      createdAt: ago(60 * 24 * 60),
      lastUsedAt: ago(60 * 24 * 21),
      revokedAt: ago(60 * 24 * 20),
    },
  ],
  createdAt: ago(60 * 24 * 60),
  updatedAt: ago(60 * 24 * 2),
};

export const partners: Partner[] = [
  partner,
  {
    ...partner,
    id: '00000000-0000-4000-8000-000000000302',
    name: 'FixItNow Media',
    email: null,
    contactName: null,
    phone: null,
    status: 'suspended',
    payoutCentsPerLead: null,
    webhookUrl: null,
    webhookSecretSet: false,
    keys: [],
  },
];

export const partnerStats: PartnerStats = {
  partnerId: partner.id,
  from: ago(60 * 24 * 30),
  to: null,
  posted: 412,
  accepted: 371,
  rejected: { invalid: 22, duplicate: 14, notServed: 5 },
  sold: 298,
  unsold: 61,
  credited: 9,
  revenueCents: 1_318_500,
  creditedCents: 40_500,
  payoutCents: 463_750,
};

export const deliveries: WebhookDelivery[] = (['sold', 'accepted', 'credited', 'unsold'] as const).map(
  (outcome, i) => ({
    id: `00000000-0000-4000-8000-0000000003d${i}`,
    partnerId: partner.id,
    leadId: `5a1e${i}d00-0000-4000-8000-000000000001`,
    outcome,
    url: partner.webhookUrl ?? '',
    status: i === 0 ? 'failed' : i === 1 ? 'pending' : 'delivered',
    attempts: i === 0 ? 8 : i === 1 ? 2 : 1,
    lastStatusCode: i === 0 ? 500 : i === 1 ? null : 200,
    lastError: i === 0 ? 'Internal Server Error' : i === 1 ? 'connect ETIMEDOUT' : null,
    nextAttemptAt: i === 1 ? new Date(now + 5 * 60_000).toISOString() : null,
    createdAt: ago(30 * (i + 1)),
    deliveredAt: i > 1 ? ago(30 * (i + 1) - 1) : null,
  }),
);

const basePrices: [string, string, number, number, number][] = [
  ['drain_cleaning', 'Drain cleaning', 4500, 3500, 2500],
  ['leak_repair', 'Leak repair', 5000, 4000, 3000],
  ['water_heater', 'Water heater', 6500, 5000, 4000],
  ['sewer_line', 'Sewer line', 8000, 6500, 5000],
];

export const leadPrices: LeadPrice[] = [
  ...basePrices.flatMap(([serviceCode, serviceName, day, week, month]) =>
    (
      [
        ['day', day],
        ['week', week],
        ['month', month],
      ] as const
    ).map(([urgency, priceCents]) => ({
      serviceCode,
      serviceName,
      urgency,
      zipPrefix: null,
      priceCents,
      updatedAt: ago(60 * 24 * 10),
      updatedBy: 'night.ops@trades.example',
    })),
  ),
  {
    serviceCode: 'drain_cleaning',
    serviceName: 'Drain cleaning',
    urgency: 'day',
    zipPrefix: '941',
    priceCents: 6000,
    updatedAt: ago(60 * 24 * 3),
    updatedBy: 'night.ops@trades.example',
  },
];

export const leadPriceHistory: LeadPriceChange[] = [
  {
    id: 'h2',
    serviceCode: 'drain_cleaning',
    urgency: 'day',
    zipPrefix: '941',
    oldPriceCents: null,
    newPriceCents: 6000,
    actor: 'night.ops@trades.example',
    at: ago(60 * 24 * 3),
  },
  {
    id: 'h1',
    serviceCode: 'water_heater',
    urgency: 'day',
    zipPrefix: null,
    oldPriceCents: 6000,
    newPriceCents: 6500,
    actor: 'day.ops@trades.example',
    at: ago(60 * 24 * 10),
  },
];
