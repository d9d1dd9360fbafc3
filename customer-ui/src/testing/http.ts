import type { HttpTestingController, TestRequest } from '@angular/common/http/testing';

/**
 * Waits until the code under test has sent the request (it may first await other requests or
 * a navigation), then returns it. Uses only microtasks and zero-delay macrotasks.
 */
export async function nextRequest(
  http: HttpTestingController,
  method: string,
  url: string,
): Promise<TestRequest> {
  for (let attempt = 0; attempt < 100; attempt++) {
    const [request] = http.match({ method, url });
    if (request) return request;
    await settle();
  }
  throw new Error(`Expected a ${method} ${url} request, but none was sent.`);
}

/** Lets pending promise callbacks run. */
export async function settle(): Promise<void> {
  for (let i = 0; i < 10; i++) await Promise.resolve();
}

/** An error response the way the API sends one. */
export function apiError(
  request: TestRequest,
  status: number,
  code: string,
  message: string,
  details?: Record<string, unknown>,
): void {
  request.flush({ code, message, ...(details ? { details } : {}) }, { status, statusText: 'Error' });
}

/** Retries an assertion while the app finishes what it started (requests, navigation). */
export async function eventually(assertion: () => void, attempts = 50): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    try {
      assertion();
      return;
    } catch (error) {
      if (attempt >= attempts) throw error;
      await new Promise((resolve) => setTimeout(resolve, 0));
    }
  }
}

/** The text a screen reader would read: without anything marked aria-hidden. */
export function spokenText(element: Element | null): string {
  if (!element) return '';
  const copy = element.cloneNode(true);
  if (!(copy instanceof Element)) return '';
  copy.querySelectorAll('[aria-hidden=true]').forEach((hidden) => hidden.remove());
  return (copy.textContent ?? '').replace(/\s+/g, ' ').trim();
}
