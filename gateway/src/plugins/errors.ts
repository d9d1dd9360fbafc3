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

/** One schema violation as the validator reports it (ajv's shape, as Fastify passes it on). */
export interface SchemaIssue {
  keyword?: string;
  instancePath?: string;
  message?: string;
  params?: Record<string, unknown>;
}

interface ValidationDetail {
  field: string;
  problem: string;
}

/**
 * A field's problems in a sentence each. A choice of literals (`Type.Union` of `Type.Literal`s, or an
 * enum) fails with one "must be equal to constant" per choice and a "must match a schema in anyOf":
 * those read as "must be one of: start, pause, …". Repeats are dropped.
 */
export function describeIssues(context: string, issues: readonly SchemaIssue[]): ValidationDetail[] {
  const fields = new Map<string, { choices: unknown[]; problems: string[] }>();
  for (const issue of issues) {
    const field = `${context}${issue.instancePath || ''}`;
    const entry = fields.get(field) ?? { choices: [], problems: [] };
    fields.set(field, entry);
    const { keyword, params = {} } = issue;
    if (keyword === 'const' && 'allowedValue' in params) entry.choices.push(params['allowedValue']);
    else if (keyword === 'enum' && Array.isArray(params['allowedValues']))
      entry.choices.push(...(params['allowedValues'] as unknown[]));
    else entry.problems.push(issue.message ?? 'is invalid');
  }
  return [...fields].flatMap(([field, { choices, problems }]) => {
    const sentences =
      choices.length > 0
        ? [
            `must be one of: ${[...new Set(choices)].map(String).join(', ')}`,
            ...problems.filter((p) => p !== 'must match a schema in anyOf'),
          ]
        : problems;
    return [...new Set(sentences)].map((problem) => ({ field, problem }));
  });
}

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
      const details = describeIssues(fastifyError.validationContext ?? 'body', fastifyError.validation);
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
