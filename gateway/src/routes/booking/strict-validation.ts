import type { FastifySchemaCompiler, FastifySchemaValidationError } from 'fastify';
import type { TSchema } from 'typebox';
import { Compile } from 'typebox/compile';

/**
 * The booking routes validate exactly, without the gateway's type coercion: a customer's name sent as
 * a number, or notes sent as null, is a 400 that says so rather than a "123" or "" stored in the
 * booking. A missing body counts as an empty one, so its required fields are reported by name.
 * Errors keep Ajv's shape (instancePath, message) for the gateway's one error handler.
 */
export const strictValidator: FastifySchemaCompiler<TSchema> = ({ schema, httpPart }) => {
  const check = Compile(schema);
  return (data: unknown) => {
    const value = httpPart === 'body' && data === undefined ? {} : data;
    if (check.Check(value)) return { value };
    const problems: FastifySchemaValidationError[] = check.Errors(value).map((problem) => ({
      keyword: problem.keyword,
      instancePath: problem.instancePath,
      schemaPath: problem.schemaPath,
      params: { ...problem.params },
      message: problem.message,
    }));
    return {
      error:
        problems.length > 0
          ? problems
          : [{ keyword: 'type', instancePath: '', schemaPath: '#', params: {}, message: 'is invalid' }],
    };
  };
};
