// The admin HTTP API as the gateway serves it (JSON, camelCase).

export const JOB_STATES = [
  'CREATED',
  'DISPATCHING',
  'OFFERED',
  'ASSIGNED',
  'EN_ROUTE',
  'COMPLETED',
  'CANCELED',
  'FAILED',
] as const;
export type JobState = (typeof JOB_STATES)[number];

/** States in which a job still needs the operations team to keep an eye on it. */
export const OPEN_JOB_STATES: readonly JobState[] = [
  'CREATED',
  'DISPATCHING',
  'OFFERED',
  'ASSIGNED',
  'EN_ROUTE',
];

export interface Page<T> {
  items: T[];
  nextCursor: string | null;
}

export interface ApiErrorBody {
  code: string;
  message: string;
  details?: unknown;
}

export interface Operator {
  email: string;
  via: 'local' | 'cloudflare';
}

/** Where the job is, as geocoded at booking. */
export interface JobAddress {
  formatted: string;
  lat: number;
  lng: number;
  zip: string;
}

export interface JobSummary {
  id: string;
  code: string;
  state: JobState;
  serviceCode: string;
  serviceName?: string;
  locksmithId: string | null;
  locksmithName: string | null;
  etaMinutes?: number | null;
  customerName: string;
  customerPhone?: string;
  address: JobAddress | null;
  notes?: string | null;
  paused?: boolean;
  createdAt: string;
  updatedAt: string;
}

export interface TimelineEntry {
  state: JobState;
  at: string;
  cause: string;
  actor: string;
}

export type OfferStatus = 'PENDING' | 'ACCEPTED' | 'DECLINED' | 'EXPIRED' | 'CANCELED' | 'FAILED';

export interface Offer {
  locksmithId: string;
  locksmithName?: string;
  wave: number;
  status: OfferStatus;
  sentAt: string;
  respondedAt?: string;
  responseSeconds?: number;
}

export interface Payment {
  status: string;
  amountCents: number;
  capturedCents: number;
  refundedCents: number;
}

export type MessageDirection = 'inbound' | 'outbound';

export interface Message {
  sid: string | null;
  direction: MessageDirection;
  from: string;
  to: string;
  body: string;
  status: string;
  jobId: string | null;
  providerId: string | null;
  createdAt: string;
}

export interface JobDetail extends JobSummary {
  timeline: TimelineEntry[];
  offers: Offer[];
  messages: Message[];
  payment: Payment | null;
}

export type DispatchAction = 'start' | 'pause' | 'resume' | 'cancel' | 'redispatch';

export interface JobQuery {
  state?: readonly JobState[];
  from?: string;
  to?: string;
  q?: string;
  sort?: string;
  limit?: number;
  cursor?: string;
}

export type LocksmithStatus = 'active' | 'paused' | 'deactivated';

export interface LocksmithStats {
  offers: number;
  accepted: number;
  declined: number;
  expired: number;
  /** Null until the locksmith has answered or let expire at least one offer. */
  acceptanceRate: number | null;
  medianResponseSeconds: number | null;
}

export interface Locksmith {
  id: string;
  name: string;
  phone: string;
  email: string | null;
  services: string[];
  status: LocksmithStatus;
  available: boolean;
  lat: number;
  lng: number;
  radiusKm: number;
  address: string | null;
  stats: LocksmithStats;
}

export interface LocksmithQuery {
  q?: string;
  status?: LocksmithStatus;
  available?: boolean;
  cursor?: string;
}

export interface NewLocksmith {
  name: string;
  phone: string;
  email?: string;
  services: string[];
  address: string;
  radiusKm?: number;
}

export type LocksmithPatch = Partial<
  Pick<Locksmith, 'name' | 'email' | 'services' | 'address' | 'radiusKm' | 'status' | 'available'>
>;

export interface Service {
  code: string;
  name: string;
  depositCents: number;
  priceMinCents: number;
  priceMaxCents: number;
}

export interface MessageQuery {
  phone?: string;
  direction?: MessageDirection;
  status?: string;
  jobId?: string;
  cursor?: string;
}

export const FUNNEL_STEPS = ['start', 'location', 'service', 'payment', 'complete'] as const;
export type FunnelStep = (typeof FUNNEL_STEPS)[number];

export interface BookingSession {
  id: string;
  step: FunnelStep;
  furthestStep: FunnelStep;
  serviceCode?: string;
  address?: string;
  served?: boolean;
  completed: boolean;
  createdAt: string;
  updatedAt: string;
  utm?: Record<string, string>;
  referrer?: string;
}

export interface SessionQuery {
  step?: FunnelStep;
  cursor?: string;
}

export interface Funnel {
  steps: { step: FunnelStep; sessions: number }[];
}

export interface Dashboard {
  openJobs: number;
  jobsByState: Partial<Record<JobState, number>>;
  availableLocksmiths: number;
  activeLocksmiths: number;
  smsLastHour: number;
  failedJobsToday: number;
}

// ---------------------------------------------------------------------------------------------------
// Leads, Credits and Lead analytics pages (ui-leads). Mirrors the contracts in
// services/contracts/src/{intake,leads,lead-credits,lead-pricing,registry}.ts as the gateway serves them.

export const LEAD_STATUSES = [
  'new',
  'offered',
  'assigned',
  'completed',
  'unsold',
  'rejected',
  'credited',
] as const;
export type LeadStatus = (typeof LEAD_STATUSES)[number];

export const LEAD_URGENCIES = ['day', 'week', 'month'] as const;
export type LeadUrgency = (typeof LEAD_URGENCIES)[number];

/** How urgency reads to a person. */
export const LEAD_URGENCY_LABELS: Record<LeadUrgency, string> = {
  day: 'Within a day',
  week: 'Within a week',
  month: 'Within a month',
};

export type LeadSource = 'form' | 'partner';

export type LeadSaleState =
  'NEW' | 'DISPATCHING' | 'OFFERED' | 'CHARGING' | 'ASSIGNED' | 'COMPLETED' | 'UNSOLD' | 'CREDITED';

export interface LeadSummary {
  id: string;
  status: LeadStatus;
  serviceNeeded: string;
  serviceName: string;
  urgency: LeadUrgency;
  zipCode: string;
  priceCents: number;
  firstName: string;
  lastName: string;
  source: LeadSource;
  partnerId: string | null;
  externalId: string | null;
  test: boolean;
  plumberId: string | null;
  createdAt: string;
  updatedAt: string;
}

export interface LeadQuery {
  status?: LeadStatus;
  service?: string;
  urgency?: LeadUrgency;
  zip?: string;
  partnerId?: string;
  from?: string;
  to?: string;
  cursor?: string;
  limit?: number;
}

/** What the homeowner agreed to, where and when. */
export interface LeadConsent {
  text: string;
  capturedAt: string;
  ip?: string;
  userAgent?: string;
  pageUrl?: string;
}

export interface LeadTimelineEntry {
  status: LeadStatus;
  at: string;
  cause: string;
  actor: string;
}

export interface LeadSaleTimelineEntry {
  state: LeadSaleState;
  at: string;
  cause: string;
  actor: string;
}

export interface LeadOffer {
  plumberId: string;
  plumberName: string;
  wave: number;
  status: OfferStatus;
  reason: string | null;
  sentAt: string;
  respondedAt?: string;
  /** Their YES arrived while someone ahead of them was being charged (they were next in line). */
  yesAt?: string;
}

export type LeadChargeStatus = 'succeeded' | 'failed' | 'refunded';

export interface LeadCharge {
  paymentIntentId: string | null;
  status: LeadChargeStatus;
  amountCents: number;
  plumberId: string;
  code: string | null;
}

export interface LeadBuyer {
  id: string;
  name: string;
  phone: string;
  email: string;
}

export interface LeadSale {
  code: string;
  state: LeadSaleState;
  buyer: LeadBuyer | null;
  chargeAttempt: number;
  timeline: LeadSaleTimelineEntry[];
}

/** One SMS or email of the message log (messaging's `Message`). */
export interface LeadMessage {
  channel: 'sms' | 'email';
  sid: string | null;
  direction: MessageDirection;
  from: string;
  to: string;
  body: string;
  subject: string | null;
  status: string;
  purpose: string | null;
  jobId: string | null;
  leadId: string | null;
  providerId: string | null;
  errorCode: string | null;
  createdAt: string;
  updatedAt: string;
}

/** GET /api/admin/leads/:id: intake's lead joined with dispatch's sale, payments' charge and the messages. */
export interface LeadDetail extends LeadSummary {
  email: string;
  phone: string;
  description: string | null;
  lat: number;
  lng: number;
  partnerKeyId: string | null;
  rejectionReason: string | null;
  consent: LeadConsent;
  timeline: LeadTimelineEntry[];
  offers: LeadOffer[];
  charge?: LeadCharge;
  sale?: LeadSale;
  messages: LeadMessage[];
}

/** The plumbing catalogue (GET /api/leads/services). */
export interface LeadService {
  code: string;
  name: string;
}

/** A partner as the lead filters need it (GET /api/admin/partners). */
export interface LeadPartnerRef {
  id: string;
  name: string;
}

export type CardStatus = 'none' | 'saved' | 'needs_update';
export type CapKind = 'daily' | 'weekly' | 'monthly' | 'monthly_spend';

export interface PlumberLeadUsage {
  today: number;
  thisWeek: number;
  thisMonth: number;
  spendThisMonthCents: number;
  /** The cap they are at now, if any. */
  atCap: CapKind | null;
}

/** A plumber an operator may sell a lead to (GET /api/admin/leads/:id/plumbers). */
export interface PlumberForLead {
  plumberId: string;
  name: string;
  phone: string;
  distanceKm: number;
  cardStatus: CardStatus;
  status: LocksmithStatus;
  available: boolean;
  covers: boolean;
  buysService: boolean;
  dailyCap: number;
  weeklyCap: number;
  monthlyCap: number;
  monthlySpendCapCents: number;
  timeZone: string;
  usage: PlumberLeadUsage | null;
}

export const CREDIT_REASONS = [
  'wrong_number',
  'duplicate',
  'outside_area',
  'not_my_service',
  'not_real',
  'could_not_reach',
  'other',
] as const;
export type CreditReason = (typeof CREDIT_REASONS)[number];

/** How each reason reads to a person (the same labels as the contract's CREDIT_REASON_LABELS). */
export const CREDIT_REASON_LABELS: Record<CreditReason, string> = {
  wrong_number: 'Wrong or disconnected number',
  duplicate: 'Duplicate of a lead I bought',
  outside_area: 'Outside my area',
  not_my_service: 'Not a service I buy',
  not_real: 'Not a real request',
  could_not_reach: 'Could not reach after trying',
  other: 'Other',
};

export const CREDIT_STATUSES = ['review', 'approved', 'credited', 'denied', 'failed'] as const;
export type CreditStatus = (typeof CREDIT_STATUSES)[number];
export type CreditChannel = 'sms' | 'email' | 'console' | 'homeowner';

/** Where a credit request came from, as a person reads it. */
export const CREDIT_CHANNEL_LABELS: Record<CreditChannel, string> = {
  sms: 'SMS',
  email: 'Email link',
  console: 'Console',
  homeowner: "Homeowner's NO",
};

export interface LeadCredit {
  id: string;
  leadId: string;
  leadCode: string;
  serviceName: string;
  zipCode: string;
  priceCents: number;
  plumberId: string;
  plumberName: string;
  plumberPhone: string;
  plumberEmail: string;
  reason: CreditReason;
  /** The plumber's own words; null when none. */
  note: string | null;
  channel: CreditChannel;
  status: CreditStatus;
  amountCents: number;
  /** Approved by the automatic checks, with no operator. */
  automatic: boolean;
  /** What the automatic check found, as a sentence. */
  evidence: string | null;
  /** The plumber's return rate (last 30 days) when they asked, and whether it put them under review. */
  returnRate: number | null;
  flagged: boolean;
  requestedBy: string;
  decidedBy: string | null;
  decisionNote: string | null;
  refundId: string | null;
  failure: string | null;
  requestedAt: string;
  decidedAt: string | null;
  creditedAt: string | null;
}

export interface CreditQuery {
  status?: CreditStatus;
  plumberId?: string;
  leadId?: string;
  cursor?: string;
  limit?: number;
}

export interface NewLeadCredit {
  amountCents: number;
  reason: CreditReason;
  note?: string;
}

export interface CreditDecision {
  /** Approve only: less than asked for; absent, the amount asked. */
  amountCents?: number;
  /** Required to deny. */
  note?: string;
}

export interface LeadAnalyticsCounts {
  received: number;
  accepted: number;
  sold: number;
  revenueCents: number;
}

export interface LeadAnalytics {
  from: string;
  to: string;
  funnel: {
    received: number;
    accepted: number;
    offered: number;
    sold: number;
    completed: number;
    credited: number;
  };
  rejected: { invalid: number; duplicate: number; notServed: number };
  bySource: (LeadAnalyticsCounts & {
    source: LeadSource;
    partnerId: string | null;
    partnerName: string | null;
  })[];
  byService: (LeadAnalyticsCounts & { serviceCode: string; serviceName: string })[];
  byDay: {
    day: string;
    received: number;
    accepted: number;
    sold: number;
    completed: number;
    revenueCents: number;
    creditedCents: number;
  }[];
  timeToSale: { count: number; p50Seconds: number | null; p90Seconds: number | null };
  revenueCents: number;
  creditedCents: number;
}

// ---------------------------------------------------------------------------------------------------
// Plumbers, Partners and Prices pages (ui-ops). Mirrors services/contracts/src/{registry,leads,
// intake,partners,lead-pricing}.ts as the gateway serves them under /api/admin.

export const CARD_STATUSES: readonly CardStatus[] = ['saved', 'none', 'needs_update'];

/** Last 30 days. */
export interface PlumberLeadStats {
  plumberId: string;
  offered: number;
  bought: number;
  credited: number;
  acceptanceRate: number | null;
  medianReplySeconds: number | null;
  /** Credited ÷ bought; null with no sale. */
  returnRate: number | null;
  /** Above the review rate: their credit requests go to an operator. */
  flagged: boolean;
  usage: PlumberLeadUsage;
}

export interface PlumberCard {
  status: CardStatus;
  brand?: string;
  last4?: string;
}

/** Lead counts and spend a plumber is willing to buy; 0 = no cap. */
export interface PlumberCaps {
  dailyCap: number;
  weeklyCap: number;
  monthlyCap: number;
  monthlySpendCapCents: number;
  /** IANA zone the caps are counted in. */
  timeZone: string;
}

export interface Plumber extends PlumberCaps {
  id: string;
  firstName: string;
  lastName: string;
  email: string;
  phone: string;
  zipCode: string;
  services: string[];
  /** Empty: every ZIP within radiusKm of their base ZIP. */
  coverageZips: string[];
  radiusKm: number;
  status: LocksmithStatus;
  available: boolean;
  stripeCustomerId: string | null;
  card: PlumberCard;
  createdAt: string;
  updatedAt: string;
  /** Null when dispatch could not be asked; absent from an older gateway. */
  leadStats?: PlumberLeadStats | null;
}

export interface PlumberQuery {
  q?: string;
  status?: LocksmithStatus;
  available?: boolean;
  cardStatus?: CardStatus;
  cursor?: string;
  limit?: number;
}

export interface NewPlumber extends Partial<PlumberCaps> {
  firstName: string;
  lastName: string;
  email: string;
  phone: string;
  zipCode: string;
  services: string[];
  coverageZips?: string[];
  radiusKm?: number;
}

export type PlumberPatch = Partial<NewPlumber> & {
  status?: LocksmithStatus;
  available?: boolean;
};

export interface CardLink {
  url: string;
  expiresAt: string;
}

export type PartnerStatus = 'active' | 'suspended';

export interface PartnerKey {
  id: string;
  name: string | null;
  test: boolean;
  /** The key's first 8 characters, to tell keys apart. */
  prefix: string;
  createdAt: string;
  lastUsedAt: string | null;
  revokedAt: string | null;
}

export interface Partner {
  id: string;
  name: string;
  email: string | null;
  contactName: string | null;
  phone: string | null;
  status: PartnerStatus;
  rateLimitPerMinute: number;
  /** Null: no payout. */
  payoutCentsPerLead: number | null;
  /** Null: no webhook. */
  webhookUrl: string | null;
  webhookSecretSet: boolean;
  keys: PartnerKey[];
  createdAt: string;
  updatedAt: string;
}

export interface NewPartner {
  name: string;
  email?: string;
  contactName?: string;
  phone?: string;
  rateLimitPerMinute?: number;
  payoutCentsPerLead?: number;
  webhookUrl?: string;
}

export interface PartnerPatch {
  name?: string;
  email?: string | null;
  contactName?: string | null;
  phone?: string | null;
  status?: PartnerStatus;
  rateLimitPerMinute?: number;
  payoutCentsPerLead?: number | null;
  webhookUrl?: string | null;
}

/** The reply to issuing a key: `key` is in this reply only. */
export interface CreatedPartnerKey {
  id: string;
  key: string;
  prefix: string;
  name: string | null;
  test: boolean;
}

export type WebhookOutcome = 'accepted' | 'sold' | 'unsold' | 'credited';
export type WebhookDeliveryStatus = 'pending' | 'delivered' | 'failed';
export const WEBHOOK_DELIVERY_STATUSES: readonly WebhookDeliveryStatus[] = ['pending', 'delivered', 'failed'];

export interface WebhookDelivery {
  id: string;
  partnerId: string;
  leadId: string;
  outcome: WebhookOutcome;
  url: string;
  /** pending: tried again at nextAttemptAt; delivered: a 2xx came back; failed: given up. */
  status: WebhookDeliveryStatus;
  attempts: number;
  lastStatusCode: number | null;
  lastError: string | null;
  nextAttemptAt: string | null;
  createdAt: string;
  deliveredAt: string | null;
}

export interface DeliveryQuery {
  status?: WebhookDeliveryStatus;
  cursor?: string;
  limit?: number;
}

export interface PartnerStats {
  partnerId: string;
  from: string | null;
  to: string | null;
  posted: number;
  accepted: number;
  rejected: { invalid: number; duplicate: number; notServed: number };
  sold: number;
  unsold: number;
  credited: number;
  /** Sold leads' prices less credits. */
  revenueCents: number;
  creditedCents: number;
  /** Accepted leads × payout per lead. */
  payoutCents: number;
}

export interface LeadPrice {
  serviceCode: string;
  serviceName: string;
  urgency: LeadUrgency;
  /** Null: the base price of the service and urgency, anywhere. */
  zipPrefix: string | null;
  priceCents: number;
  updatedAt: string | null;
  updatedBy: string | null;
}

export interface LeadPriceInput {
  serviceCode: string;
  urgency: LeadUrgency;
  zipPrefix: string | null;
  priceCents: number;
}

export interface LeadPriceChange {
  id: string;
  serviceCode: string;
  urgency: LeadUrgency;
  zipPrefix: string | null;
  /** Null: the row was created. */
  oldPriceCents: number | null;
  /** Null: the row was removed. */
  newPriceCents: number | null;
  actor: string;
  at: string;
}
