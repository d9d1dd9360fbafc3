import { AppError, type ErrorBody } from '@trades/contracts';
import type { FastifyError, FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';

/** Fastify's own 4xx errors, in the project's stable codes and plain sentences. */
const FRAMEWORK_ERRORS: Record<string, ErrorBody> = {
  FST_ERR_CTP_INVALID_MEDIA_TYPE: {
    code: 'UNSUPPORTED_MEDIA_TYPE',
    message: 'Send the body as application/json.',
  },
  FST_ERR_CTP_EMPTY_JSON_BODY: {
    code: 'INVALID_JSON',
    message: 'The request body is empty; send a JSON object.',
  },
  FST_ERR_CTP_INVALID_JSON_BODY: { code: 'INVALID_JSON', message: 'The request body is not valid JSON.' },
  FST_ERR_CTP_BODY_TOO_LARGE: { code: 'BODY_TOO_LARGE', message: 'The request body is too large.' },
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: {
    code: 'BAD_REQUEST',
    message: 'The Content-Length does not match the body.',
  },
};

/**
 * The one error handler: an AppError keeps its status, code and sentence; a schema violation is a 400
 * that says which field is wrong; anything else is a 500 whose detail stays in the log, never in the body.
 */
async function errorsPlugin(app: FastifyInstance): Promise<void> {
  app.setErrorHandler((error: FastifyError | AppError | Error, request, reply) => {
    if (error instanceof AppError) {
      if (error.status >= 500) request.log.error({ err: error }, 'service error');
      return reply.status(error.status).send(error.toBody());
    }
    const fastifyError = error as FastifyError;
    if (fastifyError.validation) {
      const details = fastifyError.validation.map((v) => ({
        field: `${fastifyError.validationContext ?? 'body'}${v.instancePath || ''}`,
        problem: v.message ?? 'is invalid',
      }));
      const body: ErrorBody = {
        code: 'VALIDATION_FAILED',
        message: `Check these fields: ${details.map((d) => `${d.field} ${d.problem}`).join('; ')}.`,
        details,
      };
      return reply.status(400).send(body);
    }
    const status = fastifyError.statusCode ?? 500;
    if (status === 429) {
      return reply
        .status(429)
        .send({ code: 'RATE_LIMITED', message: 'Too many requests; wait a moment and try again.' });
    }
    if (status >= 400 && status < 500) {
      const known = FRAMEWORK_ERRORS[fastifyError.code ?? ''];
      const body: ErrorBody = known ?? {
        code: fastifyError.code?.replace(/^FST_ERR_/, '') ?? 'BAD_REQUEST',
        message: fastifyError.message,
      };
      return reply.status(status).send(body);
    }
    request.log.error({ err: error }, 'unhandled error');
    return reply
      .status(500)
      .send({ code: 'INTERNAL', message: 'Something went wrong on our side; it has been logged.' });
  });

  app.setNotFoundHandler((request, reply) => {
    reply.status(404).send({
      code: 'NOT_FOUND',
      message: `There is no route ${request.method} ${request.url.split('?')[0]}.`,
    });
  });
}

export default fp(errorsPlugin, { name: 'errors' });
