import { HttpErrorResponse } from '@angular/common/http';

import { isJsonObject, JsonShapeError } from './json';

/** Error codes the customer flow reacts to; any other code is shown as the server's message. */
export type KnownErrorCode =
  'STEP_OUT_OF_ORDER' | 'DEPOSIT_NOT_AUTHORIZED' | 'CARD_DECLINED' | 'NOT_FOUND' | 'NETWORK' | 'BAD_RESPONSE';

/** An error as the API reports it (`{ code, message, details? }`), plus the HTTP status. */
export class ApiError extends Error {
  override name = 'ApiError';

  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details?: Readonly<Record<string, unknown>>,
  ) {
    super(message);
  }

  is(code: KnownErrorCode): boolean {
    return this.code === code;
  }
}

const NETWORK_MESSAGE = "We couldn't reach our server. Check your connection and try again.";
const SERVER_MESSAGE = 'Something went wrong on our side. Please try again in a moment.';

/** Turns whatever a request threw into an ApiError whose message can be shown as is. */
export function toApiError(error: unknown): ApiError {
  if (error instanceof ApiError) return error;
  if (error instanceof JsonShapeError) {
    return new ApiError(
      200,
      'BAD_RESPONSE',
      `We got an unexpected answer from the server (${error.message}). Please try again.`,
    );
  }
  if (!(error instanceof HttpErrorResponse) || error.status === 0) {
    return new ApiError(0, 'NETWORK', NETWORK_MESSAGE);
  }
  const body: unknown = error.error;
  if (isJsonObject(body) && typeof body['code'] === 'string' && typeof body['message'] === 'string') {
    const details = isJsonObject(body['details']) ? body['details'] : undefined;
    return new ApiError(error.status, body['code'], body['message'], details);
  }
  if (error.status === 404) {
    return new ApiError(404, 'NOT_FOUND', 'We could not find that booking.');
  }
  // A proxy or crash page instead of the API's JSON error: its text means nothing to a customer.
  return new ApiError(error.status, `HTTP_${error.status}`, SERVER_MESSAGE);
}
