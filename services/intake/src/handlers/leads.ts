import {
  AppError,
  badRequest,
  intake,
  PLUMBING_SERVICES,
  plumbingService,
  registry,
  unavailable,
} from '@trades/contracts';
import type { ErrorBody } from '@trades/contracts';
import { usZips } from '@trades/geo';
import { endpoint, type EndpointBinding, type EntityManager, type ServiceContext } from '@trades/runtime';
import { requestHash } from '../domain/lead-keys.ts';
import { rejectionReason } from '../domain/partner-webhooks.ts';
import { validateLead, validationFailed, type ValidLead } from '../domain/lead-validation.ts';
import { keysetPage, resumeAfter } from '../domain/keyset.ts';
import {
  findDuplicate,
  findIdempotentAnswer,
  findLead,
  insertLead,
  insertRejection,
  leadNotFound,
  listLeads,
  lockDuplicateKeys,
  priceFor,
  purgeExpiredIdempotencyKeys,
  saveIdempotentAnswer,
  toLeadSummary,
  toLeadView,
  type StoredAnswer,
} from '../store/leads.ts';
import { enqueueDelivery } from '../store/webhooks.ts';

/** An answer to a submitted lead: the receipt (201) or the error a partner codes against. */
interface Outcome {
  status: number;
  body: intake.LeadReceipt | ErrorBody;
}

/** Another request with the same Idempotency-Key committed first: roll back and give its answer. */
class KeyTakenByConcurrentRequest extends Error {}

function fromError(error: AppError): Outcome {
  return { status: error.status, body: error.toBody() };
}

/** The stored answer as the reply (or the error) of this request. */
function answer(outcome: Outcome): intake.LeadReceipt {
  if (outcome.status === 201 && 'leadId' in outcome.body) return outcome.body;
  const body = outcome.body;
  if ('code' in body) throw new AppError(outcome.status, body.code, body.message, body.details);
  throw new AppError(500, 'INTERNAL', 'A stored answer could not be read.');
}

function replay(stored: StoredAnswer, hash: string): intake.LeadReceipt {
  if (stored.requestHash !== hash) {
    throw new AppError(
      422,
      'IDEMPOTENCY_KEY_REUSED',
      'This Idempotency-Key was used with a different body; use a new key for a new lead.',
    );
  }
  return answer({ status: stored.status, body: stored.body });
}

const centroidOf = (zip: string): { lat: number; lng: number } | null => {
  const found = usZips().lookup(zip);
  return found ? { lat: found.lat, lng: found.lng } : null;
};

/** What to do with a submitted lead once its fields and coverage are known. */
type Plan = { answer: Outcome } | { take: ValidLead };

/** Where a lead came from and what the homeowner agreed to. */
interface LeadOrigin {
  consent: intake.LeadConsent;
  source: intake.LeadSource;
  partnerId: string | null;
  partnerKeyId: string | null;
  test: boolean;
}

function notServed(lead: ValidLead): AppError {
  return new AppError(
    422,
    'NOT_SERVED',
    `No plumber takes ${lead.service.name.toLowerCase()} leads in ${lead.zipCode} yet, so we cannot take this lead.`,
    { serviceNeeded: lead.service.code, zipCode: lead.zipCode },
  );
}

/**
 * Counts a refused submission (invalid, duplicate, not served) for the stats, in the transaction that
 * answers it. A test key's submissions are not counted; other errors are not refusals of the lead.
 */
async function countRejection(
  em: EntityManager,
  outcome: Outcome,
  origin: LeadOrigin,
  serviceCode: string | null,
): Promise<void> {
  if (origin.test || !('code' in outcome.body)) return;
  const reason = rejectionReason(outcome.status, outcome.body.code);
  if (reason)
    await insertRejection(em, { source: origin.source, partnerId: origin.partnerId, reason, serviceCode });
}

/** Inside the insert transaction: the duplicate rule under its locks, the price, the row and the event. */
async function takeLead(
  ctx: ServiceContext<unknown>,
  em: EntityManager,
  lead: ValidLead,
  origin: LeadOrigin,
): Promise<Outcome> {
  await lockDuplicateKeys(em, lead.service.code, lead.phone, lead.email);
  const duplicate = await findDuplicate(em, lead.service.code, lead.phone, lead.email);
  if (duplicate) {
    return fromError(
      new AppError(
        409,
        'DUPLICATE_LEAD',
        `This homeowner already asked for ${lead.service.name.toLowerCase()} in the last 30 days.`,
        { leadId: duplicate },
      ),
    );
  }
  const priceCents = await priceFor(em, lead.service.code, lead.urgency, lead.zipCode);
  if (priceCents === null)
    throw unavailable('PRICE_NOT_SET', 'This service has no lead price yet; nothing was stored.');
  const row = await insertLead(
    em,
    { lead, ...origin, priceCents },
    origin.partnerId ? `partner:${origin.partnerId}` : 'public form',
  );
  if (!origin.test) {
    await ctx.publish(em, intake.LeadAccepted, {
      leadId: row.id,
      serviceCode: lead.service.code,
      serviceName: lead.service.name,
      urgency: lead.urgency,
      zipCode: lead.zipCode,
      lat: lead.centroid.lat,
      lng: lead.centroid.lng,
      priceCents,
      homeowner: { firstName: lead.firstName, lastName: lead.lastName, email: lead.email, phone: lead.phone },
      description: lead.description,
      source: origin.source,
      partnerId: origin.partnerId,
      acceptedAt: new Date(row.created_at).toISOString(),
    });
    if (origin.partnerId)
      await enqueueDelivery(em, {
        partnerId: origin.partnerId,
        outcome: 'accepted',
        outcomeKey: `lead:${row.id}:accepted`,
        lead: {
          leadId: row.id,
          externalId: row.external_id,
          status: row.status,
          priceCents,
          creditedCents: 0,
        },
      });
  }
  const receipt: intake.LeadReceipt = { leadId: row.id, status: 'accepted', priceCents };
  return { status: 201, body: origin.test ? { ...receipt, test: true } : receipt };
}

/** Leads in: validation, coverage, the duplicate rule, the price, idempotency, the accepted event. */
export function leadEndpoints(ctx: ServiceContext<unknown>): EndpointBinding[] {
  const readOnly = (): EntityManager => ctx.orm.em.fork();

  async function isServed(lead: ValidLead): Promise<boolean> {
    try {
      const coverage = await ctx.call(registry.PlumberCoverage, {
        serviceCode: lead.service.code,
        zipCode: lead.zipCode,
      });
      return coverage.served;
    } catch (error) {
      if (error instanceof AppError && error.status >= 500) {
        ctx.log.error({ err: error }, 'plumber coverage unavailable');
        throw unavailable(
          'COVERAGE_UNAVAILABLE',
          'We cannot check which plumbers serve this area right now; nothing was stored. Try again in a minute.',
        );
      }
      throw error;
    }
  }

  return [
    endpoint(intake.LeadServices, async () => ({
      items: PLUMBING_SERVICES.map(({ code, name }) => ({ code, name })),
    })),

    endpoint(intake.LeadSubmit, async (request) => {
      const { source, partnerId, idempotencyKey } = request;
      const test = request.test ?? false;
      if ((source === 'partner') !== (partnerId !== undefined))
        throw badRequest('INVALID_SOURCE', 'A partner lead names its partner, and only a partner lead does.');
      if (idempotencyKey !== undefined && partnerId === undefined)
        throw badRequest('INVALID_SOURCE', 'Idempotency keys are for partner leads.');

      const key =
        partnerId !== undefined && idempotencyKey !== undefined ? { partnerId, idempotencyKey } : null;
      const hash = requestHash({ lead: request.lead, consent: request.consent, test });
      if (key) {
        const stored = await findIdempotentAnswer(readOnly(), key.partnerId, key.idempotencyKey);
        if (stored) return replay(stored, hash);
      }

      // Decided before any transaction: what the fields say, then (a network call) what the registry says.
      const { lead, problems } = validateLead(request.lead, request.consent, centroidOf);
      const plan: Plan = !lead
        ? { answer: fromError(validationFailed(problems)) }
        : (await isServed(lead))
          ? { take: lead }
          : { answer: fromError(notServed(lead)) };
      const origin: LeadOrigin = {
        consent: request.consent,
        source,
        partnerId: partnerId ?? null,
        partnerKeyId: request.partnerKeyId ?? null,
        test,
      };
      const serviceCode = lead?.service.code ?? plumbingService(request.lead.serviceNeeded)?.code ?? null;
      // Without a key only the refusal is stored: count it and answer.
      if ('answer' in plan && !key) {
        const refused = plan.answer;
        await ctx.transaction((em) => countRejection(em, refused, origin, serviceCode));
        return answer(refused);
      }

      try {
        const outcome = await ctx.transaction(async (em): Promise<Outcome> => {
          const result = 'take' in plan ? await takeLead(ctx, em, plan.take, origin) : plan.answer;
          await countRejection(em, result, origin, serviceCode);
          const saved =
            !key ||
            (await saveIdempotentAnswer(em, key.partnerId, key.idempotencyKey, {
              requestHash: hash,
              ...result,
            }));
          if (!saved) throw new KeyTakenByConcurrentRequest();
          return result;
        });
        return answer(outcome);
      } catch (error) {
        if (!(error instanceof KeyTakenByConcurrentRequest) || !key) throw error;
        const stored = await findIdempotentAnswer(readOnly(), key.partnerId, key.idempotencyKey);
        if (!stored)
          throw unavailable('IDEMPOTENCY_CONFLICT', 'Another request with this key is in progress; retry.');
        return replay(stored, hash);
      }
    }),

    endpoint(intake.LeadGet, async ({ id, partnerId }) => {
      const em = readOnly();
      const row = await findLead(em, id);
      if (!row || (partnerId !== undefined && row.partner_id !== partnerId)) leadNotFound();
      return toLeadView(em, row);
    }),

    endpoint(intake.LeadList, async ({ cursor, limit, ...filter }) => {
      const pageSize = limit ?? 50;
      const after = resumeAfter(cursor);
      if (
        filter.from !== undefined &&
        filter.to !== undefined &&
        Date.parse(filter.from) > Date.parse(filter.to)
      )
        throw badRequest('INVALID_PERIOD', '"from" must be before "to".');
      const rows = await listLeads(readOnly(), { ...filter, ...(after ? { after } : {}) }, pageSize);
      return keysetPage(rows, pageSize, toLeadSummary);
    }),
  ];
}

/** Idempotency keys older than 24 hours are deleted (their answers can no longer be replayed anyway). */
export async function purgeIdempotencyKeys(ctx: ServiceContext<unknown>): Promise<void> {
  let purged: number;
  do {
    purged = await ctx.transaction((em) => purgeExpiredIdempotencyKeys(em));
  } while (purged > 0);
}
