import Type, { type Static } from 'typebox';

/** The one error shape, over HTTP and over NATS: a stable code, a sentence, optional details. */
export const ErrorBody = Type.Object(
  {
    code: Type.String({ description: 'Stable machine-readable code, e.g. STEP_OUT_OF_ORDER' }),
    message: Type.String({ description: 'A sentence a person can act on' }),
    details: Type.Optional(Type.Unknown()),
  },
  { title: 'ErrorBody' },
);
export type ErrorBody = Static<typeof ErrorBody>;

/**
 * An error a caller can act on. `status` is the HTTP status the gateway answers with; over NATS it
 * travels as the `Nats-Service-Error-Code` header and the body carries `{ code, message, details }`.
 */
export class AppError extends Error {
  readonly status: number;
  readonly code: string;
  readonly details: unknown;

  constructor(status: number, code: string, message: string, details?: unknown) {
    super(message);
    this.name = 'AppError';
    this.status = status;
    this.code = code;
    this.details = details;
  }

  toBody(): ErrorBody {
    return this.details === undefined
      ? { code: this.code, message: this.message }
      : { code: this.code, message: this.message, details: this.details };
  }
}

export const badRequest = (code: string, message: string, details?: unknown): AppError =>
  new AppError(400, code, message, details);
export const notFound = (code: string, message: string, details?: unknown): AppError =>
  new AppError(404, code, message, details);
export const conflict = (code: string, message: string, details?: unknown): AppError =>
  new AppError(409, code, message, details);
export const unavailable = (code: string, message: string, details?: unknown): AppError =>
  new AppError(503, code, message, details);
