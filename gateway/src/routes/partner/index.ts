import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { AppError, ErrorBody, intake, notFound } from '@trades/contracts';
import type { FastifyRequest } from 'fastify';
import Type from 'typebox';
import { strictValidator } from '../booking/strict-validation.ts';
import { consentOf, leadBody, leadFieldsOf, leadValidationFailed } from '../leads/lead-body.ts';

declare module 'fastify' {
  interface FastifyRequest {
    /** The partner whose API key authenticated this request (partner routes only). */
    partner?: { partnerId: string; keyId: string; test: boolean; rateLimitPerMinute: number };
  }
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const BEARER = /^Bearer ([^\s]{1,200})$/;

const PartnerBody = leadBody(intake.LeadConsent);
const Errors = { 401: ErrorBody, 429: ErrorBody, 503: ErrorBody };

/**
 * One counter per partner (not per address: a partner posts from many), as large as the partner's own
 * limit. The partner is known by then: authentication runs first, as this scope's onRequest hook.
 */
const perPartner = {
  rateLimit: {
    timeWindow: '1 minute',
    keyGenerator: (request: FastifyRequest) => `partner:${request.partner?.partnerId ?? request.ip}`,
    max: (request: FastifyRequest) => request.partner?.rateLimitPerMinute ?? 1,
  },
};

function invalidKey(): AppError {
  return new AppError(
    401,
    'INVALID_API_KEY',
    'Send your API key as "Authorization: Bearer <key>"; this one is missing, unknown or revoked.',
  );
}

/** The partner API, v1: POST /api/partner/v1/leads and GET /api/partner/v1/leads/{id} (intake). */
const routes: FastifyPluginAsyncTypebox = async (app) => {
  app.setValidatorCompiler(strictValidator);

  app.addHook('onRequest', async (request, reply) => {
    const match = BEARER.exec(request.headers.authorization ?? '');
    if (!match?.[1]) {
      reply.header('www-authenticate', 'Bearer');
      throw invalidKey();
    }
    try {
      request.partner = await app.callService(intake.PartnerAuthenticate, { key: match[1] });
    } catch (error) {
      if (error instanceof AppError && error.status === 401) reply.header('www-authenticate', 'Bearer');
      throw error;
    }
  });

  app.post(
    '/api/partner/v1/leads',
    {
      config: perPartner,
      attachValidation: true,
      schema: {
        tags: ['partner'],
        summary: 'Submit a lead (Authorization: Bearer <API key>; optional Idempotency-Key)',
        description:
          'Answers: 201 { leadId, status: "accepted", priceCents } (a test key adds test: true: validated, stored as rejected, never offered); ' +
          '400 VALIDATION_FAILED with details.fields [{ field, message }]; 401 INVALID_API_KEY; 409 DUPLICATE_LEAD with details.leadId ' +
          '(same phone or email and service in the last 30 days, any source); 422 NOT_SERVED (no plumber covers this ZIP and service); ' +
          '422 IDEMPOTENCY_KEY_REUSED (the key came with a different body); 429 RATE_LIMITED with Retry-After. ' +
          'A retry with the same Idempotency-Key (24 hours) gets the first answer again.',
        headers: Type.Object({
          'idempotency-key': Type.Optional(Type.String({ description: 'Up to 255 characters' })),
        }),
        body: PartnerBody,
        response: {
          201: intake.LeadReceipt,
          400: ErrorBody,
          409: ErrorBody,
          422: ErrorBody,
          ...Errors,
        },
      },
    },
    async (request, reply) => {
      const partner = request.partner;
      if (!partner) throw invalidKey();
      const idempotencyKey = request.headers['idempotency-key'];
      if (
        idempotencyKey !== undefined &&
        (typeof idempotencyKey !== 'string' || idempotencyKey.length === 0 || idempotencyKey.length > 255)
      ) {
        throw new AppError(
          400,
          'INVALID_IDEMPOTENCY_KEY',
          'Send one Idempotency-Key of 1 to 255 characters.',
        );
      }
      if (request.validationError) throw leadValidationFailed(request.validationError.validation);
      const receipt = await app.callService(intake.LeadSubmit, {
        lead: leadFieldsOf(request.body, true),
        consent: consentOf(request.body.consent),
        source: 'partner',
        partnerId: partner.partnerId,
        partnerKeyId: partner.keyId,
        ...(partner.test ? { test: true } : {}),
        ...(idempotencyKey !== undefined ? { idempotencyKey } : {}),
      });
      return reply.status(201).send(receipt);
    },
  );

  app.get(
    '/api/partner/v1/leads/:id',
    {
      config: perPartner,
      schema: {
        tags: ['partner'],
        summary: "A lead's outcome (only the calling partner's own leads)",
        params: Type.Object({ id: Type.String({ maxLength: 100 }) }),
        response: {
          200: Type.Object({
            leadId: Type.String(),
            status: intake.LeadStatus,
            priceCents: Type.Integer(),
            createdAt: Type.String(),
            test: Type.Boolean(),
          }),
          404: ErrorBody,
          ...Errors,
        },
      },
    },
    async (request) => {
      const partner = request.partner;
      if (!partner) throw invalidKey();
      if (!UUID.test(request.params.id)) throw notFound('LEAD_NOT_FOUND', 'There is no lead with this id.');
      const lead = await app.callService(intake.LeadGet, {
        id: request.params.id,
        partnerId: partner.partnerId,
      });
      return {
        leadId: lead.id,
        status: lead.status,
        priceCents: lead.priceCents,
        createdAt: lead.createdAt,
        test: lead.test,
      };
    },
  );
};

export default routes;
