// A homeowner asks for a plumber on the public form (`/plumbing`) in headless Chromium on a phone-sized
// viewport, against the real gateway and intake: the empty form, its own field checks, a field the
// server refuses, a ZIP code nobody covers, the request sent, and the same request again (duplicate).
// Every state is screenshotted under test-artifacts/e2e/ (plumbing-*.png) and checked with axe.
//
// The stack runs without the registry; the test answers the registry's coverage question itself
// (served ZIPs 94105, 94103, 94110), like the lead intake tests. The UI must be built
// (`npm run build -w customer-ui`; CI does it before the tests).
import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import type { Service } from '@nats-io/services';
import { LEAD_FORM_CONSENT_TEXT } from '@trades/contracts';
import type { NatsConnection } from '@trades/runtime';
import { startStack, type Stack } from '@trades/testkit/stack';
import type { Page } from 'playwright-core';
import { connectTestNats } from '../services/intake/test/booking-client.ts';
import { serveTestCoverage, UNSERVED_ZIP } from '../services/intake/test/lead-client.ts';
import { openPhoneBrowser, type PhoneBrowser } from './phone-browser.ts';

jest.setTimeout(120_000);

// A phone number and email of this run only: the duplicate rule spans 30 days of one database.
const RUN = String(Date.now() % 10_000).padStart(4, '0');
const HOMEOWNER = {
  firstName: 'Dana',
  lastName: 'Whitfield',
  phone: `(415) 555-${RUN}`,
  email: `dana.${RUN}@example.com`,
};

describe('the public plumbing form in the browser', () => {
  let stack: Stack;
  let nc: NatsConnection;
  let coverage: Service;
  let phone: PhoneBrowser;
  let page: Page;
  let baseUrl = '';
  const otherHosts: string[] = [];
  const axeFindings: string[] = [];

  beforeAll(async () => {
    stack = await startStack({ without: ['dispatch', 'registry', 'messaging', 'payments'] });
    ({ nc } = await connectTestNats());
    coverage = await serveTestCoverage(nc);
    phone = await openPhoneBrowser(stack.gatewayUrl);
    ({ page, baseUrl } = phone);
    page.on('request', (request) => {
      if (new URL(request.url()).origin !== baseUrl && !request.url().startsWith('data:')) {
        otherHosts.push(request.url());
      }
    });
  }, 120_000);

  afterAll(async () => {
    await phone?.close();
    await coverage?.stop();
    await nc?.close();
    await stack?.stop();
  }, 60_000);

  /** Saves the page as `plumbing-<name>.png` and records every axe violation on it. */
  const check = async (name: string) => axeFindings.push(...(await phone.check(`plumbing-${name}`)));

  /**
   * Waits until Material shows this error under the field with this label. Waiting for the text, not
   * reading it once: an error the field had before can still be fading out when the next one is due.
   */
  const fieldError = (label: string, text: string) =>
    page
      .locator('mat-form-field', { has: page.getByLabel(label) })
      .locator('mat-error', { hasText: text })
      .waitFor();
  /** The same for the error under a group of choices or the consent box (`#<id>`). */
  const groupError = (id: string, text: string) => page.locator(`#${id}`, { hasText: text }).waitFor();

  async function fillAll(zipCode: string): Promise<void> {
    await page.getByRole('radio', { name: 'Leak repair' }).check();
    await page.getByRole('radio', { name: /This week/ }).check();
    await page.getByLabel('ZIP code of the job').fill(zipCode);
    await page.getByLabel("What's going on? (optional)").fill('Water drips under the kitchen sink.');
    await page.getByLabel('First name').fill(HOMEOWNER.firstName);
    await page.getByLabel('Last name').fill(HOMEOWNER.lastName);
    await page.getByLabel('Mobile number').fill(HOMEOWNER.phone);
    await page.getByRole('textbox', { name: 'Email' }).fill(HOMEOWNER.email);
    const consent = page.getByRole('checkbox');
    if (!(await consent.isChecked())) await consent.check();
  }

  const send = () => page.getByRole('button', { name: 'Find me a plumber' }).click();

  it('walks a homeowner through every answer the form can get', async () => {
    await page.goto(`${baseUrl}/plumbing`);
    await page.getByRole('heading', { level: 1, name: 'Need a plumber?' }).waitFor();
    await page.getByRole('radio', { name: 'Drain cleaning' }).waitFor();
    // The sentence beside the box is, character for character, the one the server records.
    await expect(page.locator('.consent__text').textContent()).resolves.toBe(LEAD_FORM_CONSENT_TEXT);
    await check('01-empty');

    // Sent empty: the form's own checks, each beside its field, and nothing reaches the server.
    await send();
    await fieldError('First name', 'Enter your first name.');
    await fieldError('ZIP code of the job', 'Enter the ZIP code where the work is.');
    await groupError('service-error', 'Choose what you need done.');
    await groupError('consent-error', 'Tick the box so a plumber may contact you.');
    await check('02-errors');

    // A ZIP code of the right shape that does not exist: the server's 400 names the field, shown beside it.
    await fillAll('00000');
    await send();
    await fieldError('ZIP code of the job', 'There is no US ZIP code 00000.');
    await check('03-server-errors');

    // A real ZIP code no plumber covers.
    await page.getByLabel('ZIP code of the job').fill(UNSERVED_ZIP);
    await send();
    const notServed = page.getByRole('status').filter({ hasText: `No plumber covers ${UNSERVED_ZIP} yet` });
    await notServed.waitFor();
    await check('04-not-served');

    await page.getByLabel('ZIP code of the job').fill('94110');
    await send();
    await page.getByRole('heading', { level: 1, name: 'Request sent' }).waitFor();
    await expect(page.getByRole('status').first().textContent()).resolves.toContain(HOMEOWNER.email);
    await check('05-success');

    // The same request again: we already have it.
    await page.getByRole('button', { name: 'Ask for other work' }).click();
    await page.getByRole('heading', { level: 1, name: 'Need a plumber?' }).waitFor();
    await fillAll('94110');
    await send();
    await page.getByRole('heading', { level: 1, name: 'We already have your request' }).waitFor();
    await check('06-duplicate');

    expect(axeFindings).toEqual([]);
    expect(otherHosts).toEqual([]);
  });
});
