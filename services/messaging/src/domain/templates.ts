import { credits, type leads } from '@trades/contracts';

// Every text the platform sends, in one place: short (one SMS segment where possible), plain ASCII,
// and always saying what the reader can reply.

const firstName = (fullName: string): string => fullName.trim().split(/\s+/)[0] ?? fullName;
const km = (distance: number): string => `${distance.toFixed(1)} km`;

export interface OfferText {
  jobCode: string;
  serviceName: string;
  area: string;
  distanceKm: number;
  expiresInMinutes: number;
}

export const templates = {
  offer: (o: OfferText): string =>
    `Job ${o.jobCode}: ${o.serviceName} near ${o.area}, ${km(o.distanceKm)}. ` +
    `Reply YES ${o.jobCode} (or YES 20 for a 20 min ETA) or NO. Expires in ${o.expiresInMinutes} min.`,

  jobAssignedToLocksmith: (j: {
    jobCode: string;
    serviceName: string;
    address: string;
    customerName: string;
    customerPhone: string;
    notes: string | null;
  }): string =>
    `You got job ${j.jobCode}: ${j.serviceName} at ${j.address}. Customer: ${firstName(j.customerName)} ${j.customerPhone}.` +
    (j.notes ? ` Notes: ${j.notes}.` : '') +
    ` Reply OMW when on your way, DONE when finished.`,

  enRouteConfirmed: (jobCode: string, customerName: string): string =>
    `Thanks. ${firstName(customerName)} knows you're on the way to job ${jobCode}. Reply DONE when finished.`,

  completedConfirmed: (jobCode: string): string => `Job ${jobCode} is marked complete. Thanks for your work!`,

  jobTaken: (jobCode: string): string =>
    `Job ${jobCode} was taken by another locksmith. Thanks for the quick look!`,

  offerExpired: (jobCode: string): string =>
    `Job ${jobCode} offer expired. Reply UNAVAILABLE if you can't take jobs right now.`,

  jobCanceledForLocksmith: (jobCode: string): string => `Job ${jobCode} was canceled. No need to go.`,

  customerLocksmithOnTheWay: (locksmithName: string, etaMinutes: number | null): string =>
    `Your locksmith ${locksmithName} is on the way` + (etaMinutes ? `, ETA ${etaMinutes} min.` : '.'),

  customerLocksmithEnRoute: (locksmithName: string): string => `${locksmithName} is driving to you now.`,

  customerJobCompleted: (): string => `Your locksmith job is complete. Thank you for booking with us!`,

  customerJobFailed: (): string =>
    `Sorry, we couldn't find an available locksmith near you. Your card hold is released; you have not been charged.`,

  cardLink: (firstName: string, url: string): string =>
    `Hi ${firstName}, save the card you'll pay for plumbing leads with: ${url} ` +
    `You're only charged for a lead you accept. The link works once, for 7 days.`,

  nowAvailable: (): string => `You are now available for jobs. Reply UNAVAILABLE to pause.`,
  nowUnavailable: (): string => `You are now unavailable; no job offers until you reply AVAILABLE.`,
  /** The confirmations of PAUSE and RESUME, in the words the provider used. */
  paused: (): string => `Offers paused: we'll send you none until you reply RESUME.`,
  resumed: (): string => `Offers resumed: we'll text you the next one. Reply PAUSE to stop them again.`,

  stopConfirmation: (): string =>
    `You are unsubscribed and will get no more job offers. Reply START to subscribe again.`,
  startConfirmation: (): string => `Welcome back! You can receive job offers again. Reply HELP for commands.`,

  help: (): string =>
    `Commands: YES (or YES 20 for ETA), NO, OMW, DONE, AVAILABLE, UNAVAILABLE, STOP. Questions? Call dispatch.`,

  plumberHelp: (): string =>
    `Commands: YES <code> to buy a lead, NO to pass, DONE <code> when the job is done, ` +
    `CREDIT <code> <reason> for a bad lead (within 7 days), PAUSE / RESUME offers, STOP. Questions? Call us.`,

  /** The answer to a homeowner who replied NO to the sale's confirmation: they never asked for a plumber. */
  homeownerThanks: (): string =>
    `Thanks for telling us. We won't share your request further, and we're sorry for the trouble.`,

  notRegistered: (): string =>
    `This number isn't registered as a locksmith with us. To join, contact our operations team.`,

  offerDeclined: (jobCode: string): string =>
    `OK, you passed on job ${jobCode}. We'll text you when the next one comes in.`,

  replyRejected: (
    reason:
      | 'job_taken'
      | 'no_pending_offer'
      | 'no_active_job'
      | 'wrong_job_code'
      | 'offer_expired'
      | 'on_another_job',
    jobCode: string | null,
    command = 'YES',
  ) => {
    switch (reason) {
      case 'job_taken':
        return jobCode
          ? `Sorry, job ${jobCode} was already taken by another locksmith.`
          : `Sorry, that job was already taken by another locksmith.`;
      case 'no_pending_offer':
        return `You have no open job offer right now. We'll text you when one comes in.`;
      case 'no_active_job':
        return `You have no active job right now.`;
      case 'offer_expired':
        return jobCode
          ? `Sorry, the offer for job ${jobCode} expired before your reply reached us.`
          : `Sorry, that offer expired before your reply reached us.`;
      case 'on_another_job':
        return jobCode
          ? `You are already on another job, so job ${jobCode} can't be yours too. Reply DONE when you finish.`
          : `You are already on another job. Reply DONE when you finish.`;
      case 'wrong_job_code':
        if (command === 'NO')
          return jobCode
            ? `That job code doesn't match your offer. Reply NO ${jobCode} to pass on job ${jobCode}.`
            : `That job code doesn't match your offer. Reply NO to pass on it.`;
        return jobCode
          ? `That job code doesn't match your offer. Reply YES ${jobCode} to accept it.`
          : `That job code doesn't match your offer. Reply YES to accept it.`;
    }
  },
};

// ---------------------------------------------------------------------------------------------------
// Plumber leads. An offer names the service, when, the ZIP code and the price, never the homeowner: their
// name, phone, email and description reach the one plumber who bought the lead, after the charge.

export type LeadUrgency = 'day' | 'week' | 'month';

const URGENCY_WORDS: Record<LeadUrgency, string> = {
  day: 'within a day',
  week: 'within a week',
  month: 'within a month',
};

/** Cents as dollars: 4500 → `$45.00`. */
export const dollars = (cents: number): string => `$${(cents / 100).toFixed(2)}`;

/** A North American E.164 number the way people write it (`+14155550123` → `(415) 555-0123`), else as is. */
export function phoneWords(e164: string): string {
  const match = /^\+1(\d{3})(\d{3})(\d{4})$/.exec(e164);
  return match ? `(${match[1]}) ${match[2]}-${match[3]}` : e164;
}

/** A wait in words: `5 min`, `2 h`, `1 h 30 min`. */
export function durationWords(minutes: number): string {
  if (minutes < 60) return `${minutes} min`;
  const hours = Math.floor(minutes / 60);
  const rest = minutes % 60;
  return rest === 0 ? `${hours} h` : `${hours} h ${rest} min`;
}

/** At most `max` characters, cut at a word with `...` when longer (an SMS stays a few segments). */
function clip(text: string, max: number): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  if (flat.length <= max) return flat;
  const cut = flat.slice(0, max - 3);
  const atWord = cut.lastIndexOf(' ');
  return `${(atWord > max / 2 ? cut.slice(0, atWord) : cut).trimEnd()}...`;
}

export interface Email {
  subject: string;
  /** The plain-text part; the HTML part is made from it (escaped, links clickable). */
  text: string;
}

export interface LeadOfferText {
  leadCode: string;
  serviceName: string;
  urgency: LeadUrgency;
  zipCode: string;
  priceCents: number;
  distanceKm: number;
  expiresInMinutes: number;
}

export interface SoldLead {
  leadCode: string;
  serviceName: string;
  urgency: LeadUrgency;
  zipCode: string;
  priceCents: number;
  homeowner: { firstName: string; lastName: string; email: string; phone: string };
  description: string | null;
  buyer: { name: string; phone: string; email: string };
  /** The buyer's signed link to ask for a credit (`/lead-credit/<token>`), when dispatch gave one. */
  creditUrl?: string | null;
}

export type LeadReplyRejection =
  'lead_sold' | 'offer_expired' | 'offer_closed' | 'no_pending_offer' | 'wrong_lead_code' | 'cap_reached';

export const leadTemplates = {
  offer: (o: LeadOfferText): string =>
    `Lead ${o.leadCode}: ${o.serviceName}, needed ${URGENCY_WORDS[o.urgency]}, ZIP ${o.zipCode}. ` +
    `Price ${dollars(o.priceCents)}. Reply YES ${o.leadCode} to buy it (charged to your card on file), ` +
    `NO to pass. Expires in ${durationWords(o.expiresInMinutes)}.`,

  offerEmail: (o: LeadOfferText & { acceptUrl: string }): Email => ({
    subject: `Lead ${o.leadCode}: ${o.serviceName} in ${o.zipCode}, ${dollars(o.priceCents)}`,
    text: [
      `A homeowner in ZIP ${o.zipCode} needs ${o.serviceName.toLowerCase()}, ${URGENCY_WORDS[o.urgency]}.`,
      [
        `Lead: ${o.leadCode}`,
        `Service: ${o.serviceName}`,
        `Needed: ${URGENCY_WORDS[o.urgency]}`,
        `Area: ZIP ${o.zipCode}, ${km(o.distanceKm)} from you`,
        `Price: ${dollars(o.priceCents)}`,
      ].join('\n'),
      `Buy it: ${o.acceptUrl}`,
      `Or reply YES ${o.leadCode} to our text message (NO ${o.leadCode} to pass). The offer expires in ` +
        `${durationWords(o.expiresInMinutes)}.`,
      `The first plumber to accept buys the lead, and only they are charged: ${dollars(o.priceCents)} to ` +
        `the card on file. The buyer gets the homeowner's name, phone, email and description at once.`,
    ].join('\n\n'),
  }),

  soldToAnother: (leadCode: string): string =>
    `Lead ${leadCode} was sold to another plumber. No need to reply; we'll text you the next one.`,

  soldAheadOfYou: (leadCode: string): string =>
    `Lead ${leadCode} was sold: the plumber ahead of you completed the purchase. Your card was not charged.`,

  offerExpired: (leadCode: string): string =>
    `Lead ${leadCode} offer expired. Reply UNAVAILABLE to pause lead offers.`,

  offerDeclined: (leadCode: string): string =>
    `OK, you passed on lead ${leadCode}. We'll text you the next one.`,

  nextInLine: (leadCode: string, position: number): string =>
    (position <= 1
      ? `You're next in line for lead ${leadCode}: `
      : `You're number ${position} in line for lead ${leadCode}: `) +
    `another plumber accepted first and their card is being charged. If it doesn't go through, the lead ` +
    `is yours at the price we texted. No need to reply.`,

  cardFailed: (leadCode: string): string =>
    `Your card did not go through for lead ${leadCode}, so you did not get it and were not charged. ` +
    `We'll text you a link to update your card.`,

  bought: (lead: SoldLead): string =>
    `You bought lead ${lead.leadCode} (${dollars(lead.priceCents)} charged): ${lead.serviceName}, ZIP ` +
    `${lead.zipCode}. Homeowner: ${lead.homeowner.firstName} ${lead.homeowner.lastName}, ` +
    `${phoneWords(lead.homeowner.phone)}, ${lead.homeowner.email}.` +
    (lead.description ? ` "${clip(lead.description, 200)}"` : '') +
    ` Call them soon. Reply DONE ${lead.leadCode} when the job is done.`,

  boughtEmail: (lead: SoldLead): Email => ({
    subject: `Lead ${lead.leadCode} is yours: ${lead.homeowner.firstName} ${lead.homeowner.lastName}, ${lead.serviceName}`,
    text: [
      `You bought lead ${lead.leadCode}. Your card was charged ${dollars(lead.priceCents)}.`,
      [
        `Homeowner: ${lead.homeowner.firstName} ${lead.homeowner.lastName}`,
        `Phone: ${phoneWords(lead.homeowner.phone)}`,
        `Email: ${lead.homeowner.email}`,
        `Service: ${lead.serviceName}`,
        `Needed: ${URGENCY_WORDS[lead.urgency]}`,
        `ZIP code: ${lead.zipCode}`,
      ].join('\n'),
      lead.description ? `What they wrote:\n${lead.description}` : 'They did not describe the job.',
      `Call or text them soon: they know a plumber will contact them, and they have your name. ` +
        `When the job is done, reply DONE ${lead.leadCode} to our text message.`,
      ...(lead.creditUrl ? [creditParagraph(lead.leadCode, lead.creditUrl)] : []),
    ].join('\n\n'),
  }),

  homeowner: (lead: SoldLead): string =>
    `Hi ${lead.homeowner.firstName}, ${lead.buyer.name}, a local plumber, will call you about your ` +
    `${lead.serviceName.toLowerCase()} request. Their number: ${phoneWords(lead.buyer.phone)}. Reply STOP to opt out. ` +
    `Reply NO if you did not ask for a plumber.`,

  homeownerEmail: (lead: SoldLead): Email => ({
    subject: `${lead.buyer.name} will contact you about your plumbing request`,
    text: [
      `Hi ${lead.homeowner.firstName},`,
      `${lead.buyer.name}, a local plumber, has taken your request for ${lead.serviceName.toLowerCase()} ` +
        `in ${lead.zipCode} and will call or text you soon.`,
      [`Phone: ${phoneWords(lead.buyer.phone)}`, `Email: ${lead.buyer.email}`].join('\n'),
      `Only ${lead.buyer.name} has your details. If you don't hear from them, call them at ` +
        `${phoneWords(lead.buyer.phone)}.`,
    ].join('\n\n'),
  }),

  completed: (leadCode: string): string => `Lead ${leadCode} is marked complete. Thanks for your work!`,

  replyRejected: (reason: LeadReplyRejection, leadCode: string | null): string => {
    const lead = leadCode ? `lead ${leadCode}` : 'that lead';
    switch (reason) {
      case 'lead_sold':
        return `Sorry, ${lead} was already sold to another plumber. Your card was not charged.`;
      case 'offer_expired':
        return `Sorry, the offer for ${lead} expired before your reply reached us. Your card was not charged.`;
      case 'offer_closed':
        return `The offer for ${lead} is closed. Your card was not charged.`;
      case 'no_pending_offer':
        return `You have no open lead offer right now. We'll text you when one comes in.`;
      case 'wrong_lead_code':
        return leadCode
          ? `That code doesn't match your lead offer. Reply YES ${leadCode} to buy lead ${leadCode}.`
          : `That code doesn't match your lead offer. Reply YES with the lead's code to buy it.`;
      case 'cap_reached':
        return `You have reached one of your lead caps, so ${lead} was not sold to you and your card was not charged.`;
    }
  },
};

/** The sale email's paragraph on credits: the link, the window and the reasons. */
function creditParagraph(leadCode: string, creditUrl: string): string {
  const reasons = credits.CREDIT_REASONS.filter((reason) => reason !== 'other')
    .map((reason) => lowerFirst(credits.CREDIT_REASON_LABELS[reason]))
    .join('; ');
  return (
    `Bad lead? Ask for a credit within ${credits.CREDIT_WINDOW_DAYS} days of the sale: ${creditUrl}\n` +
    `(or reply CREDIT ${leadCode} and the reason to our text message). Reasons: ${reasons}. ` +
    `Most are checked and refunded to your card automatically, within seconds.`
  );
}

type Credit = credits.LeadCredit;

const lowerFirst = (words: string): string => words.charAt(0).toLowerCase() + words.slice(1);

const reasonWords = (credit: Credit): string => credits.CREDIT_REASON_LABELS[credit.reason];

/** A plumber's credit requests and their outcomes, by SMS and email. Never the card: the events do not carry it. */
export const creditTemplates = {
  received: (credit: Credit): string =>
    `We got your credit request for lead ${credit.leadCode} (${lowerFirst(reasonWords(credit))}). ` +
    `We're still checking it: the homeowner's reply or a bounced number credits it at once; otherwise an operator decides today. We'll text you the outcome.`,

  refunded: (credit: Credit): string =>
    `Lead ${credit.leadCode} credited: ${dollars(credit.amountCents)} refunded to your card. ` +
    `Banks take 5-10 days to show it.`,

  refundedEmail: (credit: Credit, leadCreditedCents: number): Email => ({
    subject: `Lead ${credit.leadCode} credited: ${dollars(credit.amountCents)} refunded`,
    text: [
      `We refunded ${dollars(credit.amountCents)} for lead ${credit.leadCode} to the card you paid with.`,
      [
        `Lead: ${credit.leadCode}, ${credit.serviceName}, ZIP ${credit.zipCode}`,
        `Reason: ${reasonWords(credit)}`,
        `Refunded: ${dollars(credit.amountCents)}`,
        `Credited on this lead in all: ${dollars(leadCreditedCents)} of ${dollars(credit.priceCents)}`,
      ].join('\n'),
      `Your bank shows the refund within 5-10 business days.`,
    ].join('\n\n'),
  }),

  denied: (credit: Credit): string =>
    `Your credit request for lead ${credit.leadCode} was declined` +
    (credit.decisionNote ? `: ${clip(credit.decisionNote, 300)}` : '.') +
    ` Questions? Reply HELP.`,

  deniedEmail: (credit: Credit): Email => ({
    subject: `Lead ${credit.leadCode}: your credit request was declined`,
    text: [
      `An operator reviewed your credit request for lead ${credit.leadCode} ` +
        `(${credit.serviceName}, ZIP ${credit.zipCode}) and declined it.`,
      [`Your reason: ${reasonWords(credit)}`, ...(credit.note ? [`Your note: ${credit.note}`] : [])].join(
        '\n',
      ),
      credit.decisionNote ? `The operator's note:\n${credit.decisionNote}` : 'The operator left no note.',
      `Your card was not refunded for this lead. If you think this is wrong, reply to our text message.`,
    ].join('\n\n'),
  }),
};

const CAP_WORDS: Record<leads.CapKind, string> = {
  daily: 'daily',
  weekly: 'weekly',
  monthly: 'monthly',
  monthly_spend: 'monthly spend',
};

/** A moment in words in a time zone: `Tue, Mar 5, 12:00 AM CST`; UTC when the zone is unknown. */
export function momentIn(at: string, timeZone: string): string {
  const format = (zone: string): string =>
    new Intl.DateTimeFormat('en-US', {
      timeZone: zone,
      weekday: 'short',
      month: 'short',
      day: 'numeric',
      hour: 'numeric',
      minute: '2-digit',
      timeZoneName: 'short',
    }).format(new Date(at));
  let words: string;
  try {
    words = format(timeZone);
  } catch {
    words = format('UTC');
  }
  // ICU puts a narrow no-break space before AM/PM: texts stay plain ASCII.
  return words.replace(/[\u202f\u00a0]/g, ' ');
}

export const capTemplates = {
  reached: (cap: { cap: leads.CapKind; limit: number; resetsAt: string; timeZone: string }): string => {
    const limit =
      cap.cap === 'monthly_spend'
        ? `${dollars(cap.limit)} monthly spend cap`
        : `${CAP_WORDS[cap.cap]} cap of ${cap.limit} lead${cap.limit === 1 ? '' : 's'}`;
    return (
      `You've reached your ${limit}, so we'll send you no lead offers until ${momentIn(cap.resetsAt, cap.timeZone)}. ` +
      `No need to reply.`
    );
  },
};

/** Whole minutes from now until `expiresAt`, at least 1. */
export function minutesUntil(expiresAt: string, now: Date = new Date()): number {
  return Math.max(1, Math.round((Date.parse(expiresAt) - now.getTime()) / 60_000));
}

/** Every email the platform sends, in one place: a subject and a plain-text body (the HTML is made from it). */
export const emails = {
  cardLink: (firstName: string, url: string, expiresAt: string): { subject: string; text: string } => ({
    subject: 'Save the card you pay for plumbing leads with',
    text:
      `Hi ${firstName},\n\n` +
      `Save the card you'll pay for plumbing leads with here:\n${url}\n\n` +
      `Each lead you accept is charged to this card at the price in the offer, once, when you accept. ` +
      `Never for a lead you don't get.\n\n` +
      `The link works once and until ${new Date(expiresAt).toUTCString()}. ` +
      `If it has expired, reply to us for a new one.`,
  }),
};
