import { AppError, badRequest, intake, partners } from '@trades/contracts';
import { endpoint, type EndpointBinding, type EntityManager, type ServiceContext } from '@trades/runtime';
import { hashApiKey, looksLikeApiKey, newApiKey } from '../domain/lead-keys.ts';
import type { FieldProblem } from '../domain/lead-validation.ts';
import { normaliseProfile, type ProfileInput } from '../domain/partner-profile.ts';
import { newWebhookSecret } from '../domain/webhook-signature.ts';
import type { WebhookTargetPolicy } from '../domain/webhook-targets.ts';
import { resumeAfter, keysetPage } from '../domain/keyset.ts';
import {
  findLiveKey,
  findPartner,
  insertPartner,
  insertPartnerKey,
  listPartners,
  partnerNotFound,
  readPartnerStats,
  revokePartnerKey,
  setWebhookSecret,
  toPartners,
  touchKey,
  updatePartner,
} from '../store/partners.ts';
import { deliveryNotFound, listDeliveries, makeDueNow, toDelivery } from '../store/webhooks.ts';
import { sendDueWebhooks } from './webhooks.ts';

function invalidKey(): never {
  throw new AppError(401, 'INVALID_API_KEY', 'The API key is missing, unknown or revoked.');
}

/** The profile fields normalised, or 400 with every problem (INVALID_WEBHOOK_URL when the URL is one). */
function checkedProfile(
  input: ProfileInput,
  policy: WebhookTargetPolicy,
): ReturnType<typeof normaliseProfile>['profile'] {
  const { profile, problems } = normaliseProfile(input, policy);
  if (problems.length === 0) return profile;
  const fields: FieldProblem[] = problems;
  const url = problems.find((p) => p.field === 'webhookUrl');
  if (url) throw badRequest('INVALID_WEBHOOK_URL', url.message, { fields });
  throw badRequest('VALIDATION_FAILED', `Check these fields: ${problems.map((p) => p.field).join(', ')}.`, {
    fields,
  });
}

/**
 * Partners, their API keys, profile, webhook and stats: managed by operators, keys checked on every
 * partner request.
 */
export function partnerEndpoints(
  ctx: ServiceContext<unknown>,
  webhookTargets: WebhookTargetPolicy,
): EndpointBinding[] {
  const readOnly = (): EntityManager => ctx.orm.em.fork();

  async function partnerView(em: EntityManager, id: string): Promise<intake.Partner> {
    const row = await findPartner(em, id);
    if (!row) partnerNotFound();
    const [partner] = await toPartners(em, [row]);
    return partner ?? partnerNotFound();
  }

  return [
    endpoint(intake.PartnerCreate, async (request) => {
      const profile = checkedProfile(
        {
          name: request.name,
          email: request.email ?? null,
          contactName: request.contactName ?? null,
          phone: request.phone ?? null,
          webhookUrl: request.webhookUrl ?? null,
        },
        webhookTargets,
      );
      return ctx.transaction(async (em) => {
        const row = await insertPartner(em, {
          name: profile.name ?? request.name,
          email: profile.email ?? null,
          contactName: profile.contactName ?? null,
          phone: profile.phone ?? null,
          rateLimitPerMinute: request.rateLimitPerMinute,
          payoutCentsPerLead: request.payoutCentsPerLead ?? null,
          webhookUrl: profile.webhookUrl ?? null,
        });
        const [partner] = await toPartners(em, [row]);
        if (!partner) throw new Error('a new partner could not be read back');
        return partner;
      });
    }),

    endpoint(
      partners.PartnerUpdate,
      async ({ id, actor, status, rateLimitPerMinute, payoutCentsPerLead, ...fields }) => {
        const profile = checkedProfile(fields, webhookTargets);
        return ctx.transaction(async (em) => {
          const row = await updatePartner(em, id, {
            ...profile,
            ...(status !== undefined ? { status } : {}),
            ...(rateLimitPerMinute !== undefined ? { rateLimitPerMinute } : {}),
            ...(payoutCentsPerLead !== undefined ? { payoutCentsPerLead } : {}),
          });
          if (!row) partnerNotFound();
          ctx.log.info({ partnerId: id, actor, status }, 'partner updated');
          return (await toPartners(em, [row]))[0] ?? partnerNotFound();
        });
      },
    ),

    endpoint(partners.PartnerWebhookSecretRotate, async ({ id, actor }) => {
      const secret = newWebhookSecret();
      const rotated = await ctx.transaction((em) => setWebhookSecret(em, id, secret));
      if (!rotated) partnerNotFound();
      ctx.log.info({ partnerId: id, actor }, 'partner webhook secret rotated');
      return { secret };
    }),

    endpoint(partners.PartnerDeliveries, async ({ partnerId, status, cursor, limit }) => {
      const pageSize = limit ?? 50;
      const em = readOnly();
      if (!(await findPartner(em, partnerId))) partnerNotFound();
      const rows = await listDeliveries(em, partnerId, status, resumeAfter(cursor), pageSize);
      return keysetPage(rows, pageSize, toDelivery);
    }),

    endpoint(partners.PartnerDeliveryRetry, async ({ partnerId, deliveryId, actor }) => {
      const row = await ctx.transaction((em) => makeDueNow(em, partnerId, deliveryId));
      if (!row) deliveryNotFound();
      ctx.log.info({ partnerId, deliveryId, actor }, 'partner webhook delivery retried');
      // Sent now rather than at the next tick; the claim keeps it from being sent twice.
      void ctx
        .track(sendDueWebhooks(ctx, webhookTargets))
        .catch((error: unknown) => ctx.log.error({ err: error }, 'partner webhooks could not be sent'));
      return toDelivery(row);
    }),

    endpoint(partners.PartnerStatsGet, async ({ id, from, to }) => {
      if (from !== undefined && to !== undefined && Date.parse(from) > Date.parse(to))
        throw badRequest('INVALID_PERIOD', '"from" must be before "to".');
      const em = readOnly();
      const partner = await findPartner(em, id);
      if (!partner) partnerNotFound();
      const row = await readPartnerStats(em, id, from ?? null, to ?? null);
      const soldCents = Number(row.sold_cents);
      const creditedCents = Number(row.credited_cents);
      return {
        partnerId: id,
        from: from ?? null,
        to: to ?? null,
        posted: row.accepted + row.invalid + row.duplicate + row.not_served,
        accepted: row.accepted,
        rejected: { invalid: row.invalid, duplicate: row.duplicate, notServed: row.not_served },
        sold: row.sold,
        unsold: row.unsold,
        credited: row.credited,
        revenueCents: soldCents - creditedCents,
        creditedCents,
        payoutCents: row.accepted * (partner.payout_cents_per_lead ?? 0),
      };
    }),

    endpoint(intake.PartnerList, async ({ cursor, limit }) => {
      const pageSize = limit ?? 50;
      const em = readOnly();
      const rows = await listPartners(em, resumeAfter(cursor), pageSize);
      const page = keysetPage(rows, pageSize, (row) => row);
      return { items: await toPartners(em, page.items), nextCursor: page.nextCursor };
    }),

    endpoint(intake.PartnerGet, async ({ id }) => partnerView(readOnly(), id)),

    endpoint(intake.PartnerKeyCreate, async ({ partnerId, name, test }) => {
      const isTest = test ?? false;
      const keyName = name?.trim() || null;
      return ctx.transaction(async (em) => {
        if (!(await findPartner(em, partnerId))) partnerNotFound();
        const created = newApiKey(isTest);
        const id = await insertPartnerKey(em, {
          partnerId,
          name: keyName,
          test: isTest,
          hash: created.hash,
          prefix: created.prefix,
        });
        return { id, key: created.key, prefix: created.prefix, name: keyName, test: isTest };
      });
    }),

    endpoint(intake.PartnerKeyRevoke, async ({ partnerId, keyId }) =>
      ctx.transaction(async (em) => {
        const revoked = await revokePartnerKey(em, partnerId, keyId);
        if (!revoked) throw new AppError(404, 'KEY_NOT_FOUND', 'This partner has no key with this id.');
        return { id: keyId, revokedAt: new Date(revoked.revoked_at).toISOString() };
      }),
    ),

    endpoint(intake.PartnerAuthenticate, async ({ key }) => {
      if (!looksLikeApiKey(key)) invalidKey();
      const owner = await findLiveKey(readOnly(), hashApiKey(key));
      if (!owner) invalidKey();
      await ctx.transaction((em) => touchKey(em, owner.key_id));
      return {
        partnerId: owner.partner_id,
        keyId: owner.key_id,
        test: owner.test,
        rateLimitPerMinute: owner.rate_limit_per_minute,
      };
    }),
  ];
}
