import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { ErrorBody, intake, LEAD_FORM_CONSENT_TEXT } from '@trades/contracts';
import Type from 'typebox';
import { strictValidator } from '../booking/strict-validation.ts';
import { leadBody, leadFieldsOf, leadValidationFailed } from './lead-body.ts';

/** Per client address: a homeowner sends one form, a script many. */
const FORM_RATE_LIMIT = { rateLimit: { max: 20, timeWindow: '1 minute' } };

const FormBody = leadBody(
  Type.Literal(true, {
    description: 'The homeowner ticked the consent box (its text is LEAD_FORM_CONSENT_TEXT)',
  }),
);

/** The catalogue, and the consent sentence the form shows: the one the server records with each form lead. */
const FormCatalogue = Type.Object({
  items: intake.LeadServices.reply.properties.items,
  consentText: Type.String({ description: 'The text beside the consent box (LEAD_FORM_CONSENT_TEXT)' }),
});

/** The public plumbing form: GET /api/leads/services and POST /api/leads (intake). */
const routes: FastifyPluginAsyncTypebox = async (app) => {
  app.setValidatorCompiler(strictValidator);

  app.get(
    '/api/leads/services',
    {
      schema: {
        tags: ['leads'],
        summary: 'The plumbing catalogue a lead can ask for, and the consent text the public form shows',
        response: { 200: FormCatalogue, 503: ErrorBody },
      },
    },
    async () => ({
      ...(await app.callService(intake.LeadServices, {})),
      consentText: LEAD_FORM_CONSENT_TEXT,
    }),
  );

  app.post(
    '/api/leads',
    {
      config: FORM_RATE_LIMIT,
      attachValidation: true,
      schema: {
        tags: ['leads'],
        summary: 'A homeowner asks for a plumber (the public form; consent required)',
        description:
          "The server records the consent: the form's fixed text, the time, the client address, the user agent and the page (Referer). " +
          '400 VALIDATION_FAILED lists every bad field in details.fields; 409 DUPLICATE_LEAD (details.leadId) when the same phone or email asked for this service in the last 30 days; ' +
          '422 NOT_SERVED when no plumber takes this service in this ZIP code.',
        body: FormBody,
        response: {
          201: intake.LeadReceipt,
          400: ErrorBody,
          409: ErrorBody,
          422: ErrorBody,
          429: ErrorBody,
          503: ErrorBody,
        },
      },
    },
    async (request, reply) => {
      if (request.validationError) {
        throw leadValidationFailed(request.validationError.validation, {
          consent: 'Tick the box to agree to be contacted about this request.',
        });
      }
      const userAgent = request.headers['user-agent']?.slice(0, 1000);
      const referer = request.headers.referer?.slice(0, 2000);
      const receipt = await app.callService(intake.LeadSubmit, {
        lead: leadFieldsOf(request.body, false),
        consent: {
          text: LEAD_FORM_CONSENT_TEXT,
          capturedAt: new Date().toISOString(),
          ip: request.ip.slice(0, 100),
          ...(userAgent ? { userAgent } : {}),
          ...(referer ? { pageUrl: referer } : {}),
        },
        source: 'form',
      });
      return reply.status(201).send(receipt);
    },
  );
};

export default routes;
