import { HttpErrorResponse } from '@angular/common/http';

import type { ApiErrorBody } from './api-types';

function isApiErrorBody(value: unknown): value is ApiErrorBody {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as Record<string, unknown>)['code'] === 'string' &&
    typeof (value as Record<string, unknown>)['message'] === 'string'
  );
}

/** The `{ code, message }` body of a failed API call, when the server sent one. */
export function apiErrorBody(error: unknown): ApiErrorBody | null {
  if (error instanceof HttpErrorResponse && isApiErrorBody(error.error)) return error.error;
  return null;
}

/** A sentence an operator can act on, whatever went wrong. */
export function apiErrorMessage(error: unknown): string {
  const body = apiErrorBody(error);
  if (body) return body.message;
  if (error instanceof HttpErrorResponse) {
    if (error.status === 0) return 'The server cannot be reached. Check the connection and try again.';
    if (error.status === 429) return 'Too many attempts. Wait a minute and try again.';
    if (error.status >= 500) return `The server failed (${error.status}). Try again in a moment.`;
    return `The request failed (${error.status} ${error.statusText}).`;
  }
  if (error instanceof Error) return error.message;
  return 'Something went wrong.';
}
