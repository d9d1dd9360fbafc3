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
