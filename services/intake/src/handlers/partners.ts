import { AppError, badRequest, intake } from '@trades/contracts';
import { endpoint, type EndpointBinding, type EntityManager, type ServiceContext } from '@trades/runtime';
import { hashApiKey, looksLikeApiKey, newApiKey } from '../domain/lead-keys.ts';
import { normaliseEmail } from '../domain/lead-validation.ts';
import { resumeAfter, keysetPage } from '../domain/keyset.ts';
import {
  findLiveKey,
  findPartner,
  insertPartner,
  insertPartnerKey,
  listPartners,
  partnerNotFound,
  revokePartnerKey,
  toPartners,
  touchKey,
} from '../store/partners.ts';

function invalidKey(): never {
  throw new AppError(401, 'INVALID_API_KEY', 'The API key is missing, unknown or revoked.');
}

/** Partners and their API keys: created by operators, checked on every partner request. */
export function partnerEndpoints(ctx: ServiceContext<unknown>): EndpointBinding[] {
  const readOnly = (): EntityManager => ctx.orm.em.fork();

  async function partnerView(em: EntityManager, id: string): Promise<intake.Partner> {
    const row = await findPartner(em, id);
    if (!row) partnerNotFound();
    const [partner] = await toPartners(em, [row]);
    return partner ?? partnerNotFound();
  }

  return [
    endpoint(intake.PartnerCreate, async ({ name, email, rateLimitPerMinute }) => {
      const trimmed = name.trim();
      if (!trimmed)
        throw badRequest('VALIDATION_FAILED', 'Give the partner a name.', {
          fields: [{ field: 'name', message: 'Give the partner a name.' }],
        });
      let normalised: string | null = null;
      if (email !== undefined && email.trim() !== '') {
        normalised = normaliseEmail(email);
        if (!normalised)
          throw badRequest('VALIDATION_FAILED', 'Check the email address.', {
            fields: [{ field: 'email', message: 'Enter an email address like api@partner.com.' }],
          });
      }
      return ctx.transaction(async (em) => {
        const row = await insertPartner(em, { name: trimmed, email: normalised, rateLimitPerMinute });
        const [partner] = await toPartners(em, [row]);
        if (!partner) throw new Error('a new partner could not be read back');
        return partner;
      });
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
