// A homeowner asks for a plumber on the public form (`/plumbing`) in headless Chromium on a phone-sized
// viewport, against the real gateway and intake: the empty form, its own field checks, a field the
// server refuses, a ZIP code nobody covers, the request sent, and the same request again (duplicate).
// Every state is screenshotted under test-artifacts/e2e/ (plumbing-*.png) and checked with axe.
//
// The stack runs without the registry; the test answers the registry's coverage question itself
// (served ZIPs 94105, 94103, 94110), like the lead intake tests. The UI must be built
// (`npm run build -w customer-ui`; CI does it before the tests).
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';

import { AxeBuilder } from '@axe-core/playwright';
import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import type { Service } from '@nats-io/services';
import { LEAD_FORM_CONSENT_TEXT } from '@trades/contracts';
import type { NatsConnection } from '@trades/runtime';
import { REPO_ROOT } from '@trades/testkit';
import { startStack, type Stack } from '@trades/testkit/stack';
import type { FastifyInstance } from 'fastify';
import { type Browser, chromium, type Page } from 'playwright-core';
import { buildServer as buildUiServer } from '../scripts/serve-ui.ts';
import { connectTestNats } from '../services/intake/test/booking-client.ts';
import { serveTestCoverage, UNSERVED_ZIP } from '../services/intake/test/lead-client.ts';

jest.setTimeout(120_000);

const CHROMIUM = process.env['CHROMIUM_PATH'] ?? '/usr/bin/chromium';
const ARTIFACTS = join('test-artifacts', 'e2e');

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
  let uiServer: FastifyInstance;
  let browser: Browser;
  let page: Page;
  let baseUrl = '';
  const otherHosts: string[] = [];
  const axeFindings: string[] = [];

  beforeAll(async () => {
    const root = join(REPO_ROOT, 'customer-ui', 'dist', 'customer-ui', 'browser');
    if (!existsSync(join(root, 'index.html'))) {
      throw new Error('customer-ui is not built: run `npm run build -w customer-ui` first.');
    }
    mkdirSync(ARTIFACTS, { recursive: true });
    stack = await startStack({ without: ['dispatch', 'registry', 'messaging', 'payments'] });
    ({ nc } = await connectTestNats());
    coverage = await serveTestCoverage(nc);
    uiServer = await buildUiServer({ app: 'customer-ui', root, gateway: stack.gatewayUrl, logger: false });
    await uiServer.listen({ port: 0, host: '127.0.0.1' });
    baseUrl = `http://127.0.0.1:${(uiServer.server.address() as AddressInfo).port}`;
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-background-networking',
        '--disable-sync',
      ],
    });
    const context = await browser.newContext({
      viewport: { width: 390, height: 844 },
      isMobile: true,
      hasTouch: true,
    });
    page = await context.newPage();
    page.setDefaultTimeout(20_000);
    page.on('request', (request) => {
      if (new URL(request.url()).origin !== baseUrl && !request.url().startsWith('data:')) {
        otherHosts.push(request.url());
      }
    });
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await uiServer?.close();
    await coverage?.stop();
    await nc?.close();
    await stack?.stop();
  }, 60_000);

  /** Saves the page as `plumbing-<name>.png` and records every axe violation on it. */
  async function check(name: string): Promise<void> {
    await page.evaluate(`(async () => {
      await document.fonts.ready;
      const finite = document.getAnimations().filter((a) => a.effect?.getTiming().iterations !== Infinity);
      await Promise.all(finite.map((a) => a.finished));
    })()`);
    await page.screenshot({ path: join(ARTIFACTS, `plumbing-${name}.png`), fullPage: true });
    const { violations } = await new AxeBuilder({ page })
      .withTags(['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa', 'best-practice'])
      .analyze();
    for (const violation of violations) {
      const where = violation.nodes.map((node) => node.target.join(' ')).join(', ');
      axeFindings.push(`${name}: ${violation.id} (${violation.help}) at ${where}`);
    }
  }

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
