import { firstValueFrom, type Observable } from 'rxjs';

import { toApiError } from './api-error';

/**
 * Runs one API request and checks its answer with `parse`: resolves to typed data, or rejects with an
 * ApiError whose message can be shown to the person (the server's, or ours for a lost connection or an
 * answer of the wrong shape).
 */
export async function callApi<T>(request: Observable<unknown>, parse: (body: unknown) => T): Promise<T> {
  try {
    return parse(await firstValueFrom(request));
  } catch (error) {
    throw toApiError(error);
  }
}
