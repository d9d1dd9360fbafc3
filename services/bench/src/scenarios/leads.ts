// Leads (issues 13 and 14): the plumber lead sale and its operations on the whole stack, plumbers created
// through the registry and their test cards saved through payments' card links against the Stripe
// emulator (as scripts/seed.ts does for the demo plumbers), emails to an SMTP sink in the bench's process:
//  1. the partner API, POST /api/partner/v1/leads at a fixed rate, distinct homeowners (no
//     DUPLICATE_LEAD), in ZIPs the demo plumbers cover;
//  2. lead accepted (its 201) → the first offer SMS at the Twilio emulator and the first offer email at
//     the SMTP sink, at 20 leads/s, to a few hundred plumbers around one ZIP (each holds one offer);
//  3. YES <code> by SMS → charge → the buyer's "you bought it" SMS (the homeowner's contact details);
//     for the first sales of part 5 the homeowner's number is made undeliverable at the emulator first;
//  4. 10-way YES races through the signed Twilio webhook: double sales (lead.assigned per lead, in the
//     events and dispatch's outbox) and double charges (PaymentIntents per lead at the Stripe emulator);
//  5–7. credits and caps (`lead-operations.ts`): CREDIT <code> wrong number and the homeowner's NO to the
//     refund and the buyer's text; a burst of YES and operator sales against plumbers near their caps.
import { connect } from '@nats-io/transport-node';
import { intake, leads } from '@trades/contracts';
import { call } from '@trades/runtime';
import pg from 'pg';
import { startSmtpSink } from '../../../testkit/src/smtp-sink.ts';
import { httpJson } from '../lib/http.ts';
import { openLoop } from '../lib/open-loop.ts';
import {
  atMost,
  exactly,
  rowFromRun,
  type Check,
  type LatencyRow,
  type ScenarioReport,
} from '../lib/report.ts';
import { UsageSampler, type ProcessUsage } from '../lib/rss.ts';
import { startStack } from '../lib/stack.ts';
import { summarize } from '../lib/stats.ts';
import { inbound, listMessages, undeliverable, watchQueued, type SentSms } from '../lib/twilio.ts';
import { waitUntil } from '../lib/wait.ts';
import type { Scenario, ScenarioContext } from '../scenario.ts';
import {
  cardsSaved,
  createPlumbers,
  derivedRow,
  now,
  observeLeads,
  paymentIntents,
  RUN_TAG,
  SERVICE,
  settle,
  watchRefunds,
  type OfferSeen,
  type PaymentIntentSeen,
  type RefundWatch,
} from './lead-harness.ts';
import {
  capsBurst,
  creditHomeownerNo,
  creditWrongNumbers,
  type LeadBench,
  type PostedLead,
  type Sale,
} from './lead-operations.ts';

const NOMINAL_PARTNER_RATE = 100;
const PARTNER_MS = 20_000;
const WARMUP_MS = 2_000;
const NOMINAL_OFFER_RATE = 20;
const OFFER_MS = 10_000;
const NOMINAL_YES_RATE = 10;
const RACES = 100;
const RACE_WAVE = 10;
/** The gateway allows 1,200 Twilio webhooks a minute per address (all from 127.0.0.1): 10 every 1 s. */
const RACE_SPACING_MS = 1_000;
const LATENCY_WAVE = 3;
const MAX_IN_FLIGHT = 400;
/** Part 1: the demo plumbers' San Francisco (scripts/seed.ts saves four of their cards). */
const PARTNER_ZIPS = ['94110', '94103', '94114', '94117'];
/** Parts 2 and 3: a few hundred bench plumbers around Chicago's Loop; part 4: ten in lower Manhattan. */
const OFFER_ZIP = '60602';
const RACE_ZIP = '10007';
/** Parts 5 and 6: sales credited of each kind (from part 3's sales), SMS per second. */
const NOMINAL_CREDITS = 100;
const NOMINAL_CREDIT_RATE = 5;
/** Part 7: plumbers one sale short of a cap. */
const NOMINAL_CAP_PLUMBERS = 60;
const CONSENT = { text: 'I agree to be contacted by a plumber about my request.' };

async function run(ctx: ScenarioContext): Promise<ScenarioReport> {
  const scaled = (rate: number): number => Math.max(1, Math.round(rate * ctx.rateScale));
  const PARTNER_RATE = scaled(NOMINAL_PARTNER_RATE);
  const OFFER_RATE = scaled(NOMINAL_OFFER_RATE);
  const YES_RATE = scaled(NOMINAL_YES_RATE);
  const offerLeads = Math.max(1, Math.round((OFFER_RATE * OFFER_MS * ctx.timeScale) / 1000));
  const races = Math.max(1, Math.round(RACES * ctx.timeScale));
  const CREDIT_RATE = scaled(NOMINAL_CREDIT_RATE);
  const creditsEach = Math.max(10, Math.round(NOMINAL_CREDITS * ctx.timeScale));
  const capPlumbers = Math.max(20, Math.round(NOMINAL_CAP_PLUMBERS * ctx.timeScale));
  const startedAt = new Date().toISOString();
  const began = performance.now();
  /** A line per part as it starts, so a long run shows where it is. */
  const progress = (what: string): void =>
    console.log(`bench: leads: +${((performance.now() - began) / 1000).toFixed(0)} s ${what}`);
  const smtp = await startSmtpSink();
  const stack = await startStack(ctx, {
    seed: true,
    env: {
      SMTP_URL: smtp.url,
      DISPATCH_LEAD_DAY_WAVE_SIZE: String(LATENCY_WAVE),
      DISPATCH_LEAD_DAY_OFFER_TTL_SECONDS: '3600',
      DISPATCH_LEAD_DAY_MAX_WAVES: '1',
      // Part 7's week leads: one plumber a wave, so each offer goes to the one plumber it is meant for.
      DISPATCH_LEAD_WEEK_WAVE_SIZE: '1',
      DISPATCH_LEAD_WEEK_OFFER_TTL_SECONDS: '3600',
      DISPATCH_LEAD_WEEK_MAX_WAVES: '1',
    },
  });
  const twilio = stack.processes.get('twilio-emulator');
  if (!twilio) throw new Error('no Twilio emulator in the stack');
  const queued = watchQueued(twilio);
  const pool = new pg.Pool({ connectionString: stack.databaseUrl, max: 2 });
  const nc = await connect({ servers: ctx.nats.url, name: 'bench-leads' });
  const observed = observeLeads(nc);
  let refunds: RefundWatch | undefined;
  const rows: LatencyRow[] = [];
  const checks: Check[] = [];
  const notes: string[] = [];
  const errorSamples: string[] = [];
  let processes: ProcessUsage[];
  let cpuPerUnit: ScenarioReport['cpuPerUnit'];
  const sampler = new UsageSampler([
    { name: 'bench (load generator)', pid: process.pid },
    ...(ctx.nats.process ? [{ name: 'nats-server', pid: ctx.nats.process.pid }] : []),
    ...[...stack.processes.values()].map((p) => ({ name: p.name, pid: p.pid })),
  ]);
  try {
    refunds = await watchRefunds(stack.stripeUrl);
    // The partner and its live key, with a rate limit that is not what is measured.
    const partner = await call(nc, intake.PartnerCreate, {
      name: `Bench partner ${RUN_TAG}`,
      rateLimitPerMinute: 100_000,
    });
    const { key } = await call(nc, intake.PartnerKeyCreate, { partnerId: partner.id, name: 'bench' });
    const authorization = `Bearer ${key}`;
    let homeowner = 0;
    const postLead = async (zipCode: string, urgency: 'day' | 'week' = 'day'): Promise<PostedLead> => {
      const n = homeowner++;
      const homeownerPhone = `+1646${String(2_000_000 + n)}`;
      const reply = await httpJson(stack.gatewayUrl, '/api/partner/v1/leads', {
        headers: { authorization },
        body: {
          firstName: 'Bench',
          lastName: 'Homeowner',
          email: `home.${RUN_TAG}.${n}@example.test`,
          phone: homeownerPhone,
          serviceNeeded: SERVICE,
          urgency,
          zipCode,
          description: 'Kitchen sink backs up',
          externalId: `bench-${RUN_TAG}-${n}`,
          consent: { ...CONSENT, capturedAt: new Date().toISOString() },
        },
      });
      const leadId =
        typeof reply === 'object' && reply !== null && 'leadId' in reply ? String(reply.leadId) : '';
      if (!leadId) throw new Error(`partner API: no leadId in ${JSON.stringify(reply).slice(0, 200)}`);
      return { leadId, acceptedAt: now(), homeownerPhone };
    };
    const bench: LeadBench = {
      stack,
      nc,
      pool,
      observed,
      queued,
      smtp,
      refunds,
      postLead,
      rows,
      checks,
      notes,
      errorSamples,
      progress,
    };

    // Plumbers for parts 2 and 3 (each holds at most one pending offer) and for the races.
    const needed = offerLeads * LATENCY_WAVE + 10;
    const setupStarted = performance.now();
    const offerPlumbers = await createPlumbers(nc, needed, '312', OFFER_ZIP);
    const racePlumbers = await createPlumbers(nc, RACE_WAVE, '212', RACE_ZIP);
    const saved = await cardsSaved(nc, [...offerPlumbers, ...racePlumbers]);
    notes.push(
      `${offerPlumbers.length} plumbers around ZIP ${OFFER_ZIP} and ${racePlumbers.length} around ${RACE_ZIP} ` +
        `created through the registry with test cards saved through card links (${saved} saved) in ` +
        `${((performance.now() - setupStarted) / 1000).toFixed(1)} s`,
    );
    await settle(observed, queued, smtp, 2_000, 30_000);
    sampler.start();

    // 1. The partner API.
    progress('1. partner API');
    const partnerFire = async (): Promise<void> => {
      await postLead(PARTNER_ZIPS[homeowner % PARTNER_ZIPS.length] ?? '94110');
    };
    await openLoop({
      ratePerSecond: PARTNER_RATE,
      durationMs: WARMUP_MS * ctx.timeScale,
      maxInFlight: MAX_IN_FLIGHT,
      fire: partnerFire,
    });
    sampler.markWindow();
    const partnerRun = await openLoop({
      ratePerSecond: PARTNER_RATE,
      durationMs: PARTNER_MS * ctx.timeScale,
      maxInFlight: MAX_IN_FLIGHT,
      fire: partnerFire,
    });
    rows.push(
      rowFromRun('POST /api/partner/v1/leads (201)', PARTNER_RATE, partnerRun, { p99: 50, errors: 0 }),
    );
    errorSamples.push(...partnerRun.errorSamples.map((e) => `partner API: ${e}`));
    // Dispatch takes every one of those leads for sale: let it finish before the next part.
    await settle(observed, queued, smtp, 3_000, 120_000);
    sampler.endWindow(partnerRun.ok);

    // 2. Lead accepted → first offer SMS at Twilio and first offer email at the SMTP sink.
    progress('2. lead accepted → offer SMS and email');
    const acceptedAt = new Map<string, number>();
    const homeownerOf = new Map<string, string>();
    const offerRun = await openLoop({
      ratePerSecond: OFFER_RATE,
      durationMs: (offerLeads * 1000) / OFFER_RATE,
      maxInFlight: MAX_IN_FLIGHT,
      fire: async () => {
        const { leadId, acceptedAt: at, homeownerPhone } = await postLead(OFFER_ZIP);
        acceptedAt.set(leadId, at);
        homeownerOf.set(leadId, homeownerPhone);
      },
    });
    rows.push(rowFromRun(`POST lead in ${OFFER_ZIP} (201)`, OFFER_RATE, offerRun, { errors: 0 }));
    await settle(observed, queued, smtp, 2_000, 60_000);
    let messages = await listMessages(stack.twilioUrl, queued);
    const toOfferEvent: number[] = [];
    const toSms: number[] = [];
    const toEmail: number[] = [];
    let noOffer = 0;
    let noSms = 0;
    let noEmail = 0;
    const firstOffers: OfferSeen[] = [];
    for (const [leadId, at] of acceptedAt) {
      const offers = observed.offers.get(leadId) ?? [];
      const first = offers[0];
      const offerAt = observed.firstOfferAt.get(leadId);
      if (!first || offerAt === undefined) {
        noOffer++;
        continue;
      }
      firstOffers.push(first);
      toOfferEvent.push(offerAt - at);
      const phones = new Set(offers.map((o) => o.phone));
      const emails = new Set(offers.map((o) => o.email));
      const sms = messages
        .filter(
          (m) =>
            phones.has(m.to) &&
            m.body.includes(first.code) &&
            m.queuedAt !== undefined &&
            m.queuedAt >= offerAt - 50,
        )
        .map((m) => m.queuedAt ?? 0);
      if (sms.length > 0) toSms.push(Math.min(...sms) - at);
      else noSms++;
      const mail = smtp.emails
        .filter(
          (e) =>
            e.receivedAt.getTime() >= offerAt - 50 &&
            e.to.some((to) => emails.has(to)) &&
            (e.subject.includes(first.code) || e.text.includes(first.code)),
        )
        .map((e) => e.receivedAt.getTime());
      if (mail.length > 0) toEmail.push(Math.min(...mail) - at);
      else noEmail++;
    }
    const smsLatency = summarize(toSms);
    const emailLatency = summarize(toEmail);
    rows.push(
      {
        ...derivedRow('lead accepted → first offer SMS at Twilio', OFFER_RATE, toSms, noOffer + noSms),
        checks: [
          atMost('accepted → offer SMS p99', smsLatency.p99, 100),
          exactly('leads without an offer SMS', noOffer + noSms, 0),
        ],
      },
      {
        ...derivedRow('lead accepted → first offer email at SMTP', OFFER_RATE, toEmail, noOffer + noEmail),
        checks: [
          atMost('accepted → offer email p99', emailLatency.p99, 250),
          exactly('leads without an offer email', noOffer + noEmail, 0),
        ],
      },
      derivedRow('  of which: accepted → first lead.offer_sent event', OFFER_RATE, toOfferEvent, noOffer),
    );

    // 3. YES <code> by SMS → charge → the buyer's "you bought it" SMS. Parts 5 and 6 credit these sales;
    // the homeowners of part 5's are dead numbers at the Twilio emulator before the sale.
    const yesCount = Math.max(1, Math.round(YES_RATE * 10 * ctx.timeScale), 2 * creditsEach);
    const yesTargets = firstOffers.slice(0, yesCount);
    const wrongNumberLeads = new Set(yesTargets.slice(0, creditsEach).map((t) => t.leadId));
    for (const leadId of wrongNumberLeads) {
      const phone = homeownerOf.get(leadId);
      if (phone) await undeliverable(stack.twilioUrl, phone);
    }
    progress(`3. YES → bought SMS (${yesTargets.length} sales)`);
    const yesDue = new Map<string, number>();
    const yes = await openLoop({
      ratePerSecond: YES_RATE,
      durationMs: (yesTargets.length * 1000) / YES_RATE,
      maxInFlight: MAX_IN_FLIGHT,
      fire: async (i, dueAt) => {
        const target = yesTargets[i];
        if (!target) return;
        yesDue.set(target.leadId, performance.timeOrigin + dueAt);
        await inbound(stack.twilioUrl, target.phone, `YES ${target.code}`);
      },
    });
    rows.push(rowFromRun('YES inbound webhook (emulator → gateway)', YES_RATE, yes, { errors: 0 }));
    await settle(observed, queued, smtp, 2_000, 60_000);
    messages = await listMessages(stack.twilioUrl, queued);
    const toCharging: number[] = [];
    const toAssigned: number[] = [];
    const toBought: number[] = [];
    let notAssigned = 0;
    let noBought = 0;
    for (const target of yesTargets) {
      const due = yesDue.get(target.leadId);
      if (due === undefined) continue;
      const charging = observed.chargingAt.get(target.leadId);
      if (charging !== undefined) toCharging.push(charging - due);
      const assignedAt = observed.assignedAt.get(target.leadId);
      if (assignedAt === undefined) {
        notAssigned++;
        continue;
      }
      toAssigned.push(assignedAt - due);
      // The buyer's SMS about this lead after it was sold to them: the homeowner's contact details.
      const bought = messages
        .filter(
          (m: SentSms) =>
            m.to === target.phone &&
            m.body.includes(target.code) &&
            m.queuedAt !== undefined &&
            m.queuedAt >= assignedAt - 50,
        )
        .map((m) => m.queuedAt ?? 0);
      if (bought.length > 0) toBought.push(Math.min(...bought) - due);
      else noBought++;
    }
    const boughtLatency = summarize(toBought);
    rows.push(
      {
        ...derivedRow('YES → "you bought it" SMS at Twilio', YES_RATE, toBought, notAssigned + noBought),
        checks: [
          atMost('YES → bought SMS p99', boughtLatency.p99, 200),
          exactly('YES without a bought SMS', notAssigned + noBought, 0),
        ],
      },
      derivedRow('  of which: YES → lead.charging event', YES_RATE, toCharging),
      derivedRow('  of which: YES → lead.assigned event (charged)', YES_RATE, toAssigned, notAssigned),
    );

    // 5 and 6. Credits without an operator: a dead homeowner's number, and the homeowner's NO.
    const sales: Sale[] = yesTargets
      .filter((t: OfferSeen) => observed.buyer.get(t.leadId) === t.providerId)
      .map((t) => ({
        leadId: t.leadId,
        code: t.code,
        plumberPhone: t.phone,
        homeownerPhone: homeownerOf.get(t.leadId) ?? '',
      }));
    progress(`5. CREDIT <code> wrong number (${wrongNumberLeads.size})`);
    await creditWrongNumbers(
      bench,
      sales.filter((s) => wrongNumberLeads.has(s.leadId)),
      CREDIT_RATE,
    );
    progress(`6. homeowner NO (${creditsEach})`);
    await creditHomeownerNo(
      bench,
      sales.filter((s) => !wrongNumberLeads.has(s.leadId)).slice(0, creditsEach),
      CREDIT_RATE,
    );

    // 4. 10-way YES races through the signed Twilio webhook.
    progress(`4. ${races} ${RACE_WAVE}-way YES races`);
    const dispatchProcess = await stack.restart('dispatch', {
      DISPATCH_LEAD_DAY_WAVE_SIZE: String(RACE_WAVE),
    });
    sampler.add('dispatch (wave size 10)', dispatchProcess.pid);
    const raceLeads: string[] = [];
    const settleTimes: number[] = [];
    let shortWaves = 0;
    let unsold = 0;
    const racesStarted = performance.now();
    for (let r = 0; r < races; r++) {
      const wait = racesStarted + r * RACE_SPACING_MS - performance.now();
      if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
      if (r > 0 && r % 25 === 0) progress(`4. race ${r} of ${races}`);
      let leadId: string;
      try {
        ({ leadId } = await postLead(RACE_ZIP));
      } catch (error) {
        unsold++;
        errorSamples.push(`race ${r}: ${String(error)}`);
        continue;
      }
      raceLeads.push(leadId);
      // The nine who lost the previous race are freed by events: wait for a whole wave.
      await waitUntil(() => (observed.offers.get(leadId)?.length ?? 0) >= RACE_WAVE, 10_000);
      const offers = observed.offers.get(leadId) ?? [];
      if (offers.length < RACE_WAVE) shortWaves++;
      const burstAt = now();
      const replies = await Promise.allSettled(
        offers.map((o) => inbound(stack.twilioUrl, o.phone, `YES ${o.code}`)),
      );
      for (const reply of replies) {
        if (reply.status === 'rejected' && errorSamples.length < 15)
          errorSamples.push(`race ${r}: ${String(reply.reason)}`);
      }
      if (await waitUntil(() => observed.assignedAt.has(leadId), 15_000)) {
        settleTimes.push((observed.assignedAt.get(leadId) ?? burstAt) - burstAt);
      } else {
        unsold++;
      }
    }
    await settle(observed, queued, smtp, 2_000, 30_000);
    const intents = await paymentIntents(stack.stripeUrl);
    const intentsByLead = new Map<string, PaymentIntentSeen[]>();
    for (const intent of intents) {
      const list = intentsByLead.get(intent.leadId) ?? [];
      list.push(intent);
      intentsByLead.set(intent.leadId, list);
    }
    const doubleCharges = raceLeads.filter((id) => (intentsByLead.get(id)?.length ?? 0) > 1).length;
    const doubleSucceeded = raceLeads.filter(
      (id) => (intentsByLead.get(id) ?? []).filter((i) => i.status === 'succeeded').length > 1,
    ).length;
    const doubleByEvents = raceLeads.filter((id) => (observed.assigned.get(id) ?? 0) > 1).length;
    const { rows: outboxDoubles } = await pool.query<{ lead: string }>(
      `select payload->'data'->>'leadId' as lead from dispatch.outbox
       where subject = $1 and payload->'data'->>'leadId' = any($2::text[])
       group by 1 having count(*) > 1`,
      [leads.LeadAssigned.subject, raceLeads],
    );
    const raceSettle = summarize(settleTimes);
    rows.push({
      name: `${RACE_WAVE}-way YES race → lead.assigned (${races} races)`,
      rate: null,
      sent: races,
      errors: unsold,
      throughput: null,
      latency: raceSettle,
      lagP99: null,
      fromSend: null,
      checks: [exactly('races without a sale', unsold, 0)],
    });
    checks.push(
      exactly('double sales (lead.assigned events per lead)', doubleByEvents, 0),
      exactly("double sales (lead.assigned in dispatch's outbox)", outboxDoubles.length, 0),
      exactly('double charges (PaymentIntents per lead at Stripe)', doubleCharges, 0),
      exactly('double charges (succeeded PaymentIntents per lead)', doubleSucceeded, 0),
    );
    if (shortWaves > 0) notes.push(`${shortWaves} race(s) had fewer than ${RACE_WAVE} offers in their wave`);

    // 7. Caps under a burst of YES and operator sales.
    progress(`7. cap burst (${capPlumbers} plumbers)`);
    await capsBurst(bench, capPlumbers);

    if (toSms.length === 0 && toBought.length === 0)
      notes.push(
        'no lead SMS reached Twilio at all: this build of messaging may not send lead offers or the ' +
          "buyer's contact details yet (the offer.sent / assigned event rows show dispatch's part)",
      );
    if (toEmail.length === 0) notes.push('no offer email reached the SMTP sink');
    notes.push(
      'latency of part 2 runs from the instant the partner API answered 201 (the lead accepted); part 3 ' +
        "from each YES's due time at a fixed rate (open loop); SMS instants are the Twilio emulator's log " +
        "timestamps, email instants the SMTP sink's (after parsing the message)",
      `offer SMS / email matched by the offered plumbers' phone / email and the lead code; the bought SMS ` +
        'by the buyer, the code and being queued after lead.assigned',
      'parts 5 and 6 from each SMS’s due time at a fixed rate; the refund instant is when the Stripe ' +
        "emulator's refund.created webhook reached the bench's own endpoint; the credited SMS is the buyer's " +
        'first text naming the lead and "credited"',
    );
  } finally {
    const postgresMs = sampler.postgresMsPerUnit();
    processes = sampler.stop();
    if (postgresMs !== undefined) {
      cpuPerUnit = {
        unit: 'lead',
        postgresMs,
        totalMs: processes.reduce((sum, p) => sum + (p.cpuMsPerUnit ?? 0), postgresMs),
      };
      notes.push(
        'CPU ms / lead: CPU time (user + system, from /proc) each process used from the first partner lead ' +
          'of the measured run until dispatch had taken them all for sale, divided by the leads accepted',
      );
    }
    await nc.close();
    await pool.end();
    await stack.stop();
    await smtp.close();
    await refunds?.close();
  }
  return {
    scenario: 'leads',
    startedAt,
    finishedAt: new Date().toISOString(),
    environment: {
      nats: ctx.nats.source,
      waveSize: `${LATENCY_WAVE} (latency runs), ${RACE_WAVE} (races)`,
      offerLeads: String(offerLeads),
      credits: `${creditsEach} of each kind at ${CREDIT_RATE}/s`,
      capPlumbers: String(capPlumbers),
    },
    rows,
    checks,
    processes,
    ...(cpuPerUnit ? { cpuPerUnit } : {}),
    notes,
    errorSamples,
  };
}

export const leadsScenario: Scenario = {
  name: 'leads',
  description:
    'partner API at 100/s, lead → offer SMS and email, YES → charge → bought SMS, 10-way YES races (double sales and charges), credits (wrong number, homeowner NO) → refund and SMS, a burst of YES and operator sales against caps',
  run,
};
