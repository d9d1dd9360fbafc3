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

  stopConfirmation: (): string =>
    `You are unsubscribed and will get no more job offers. Reply START to subscribe again.`,
  startConfirmation: (): string => `Welcome back! You can receive job offers again. Reply HELP for commands.`,

  help: (): string =>
    `Commands: YES (or YES 20 for ETA), NO, OMW, DONE, AVAILABLE, UNAVAILABLE, STOP. Questions? Call dispatch.`,

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
