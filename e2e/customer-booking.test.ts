// A customer books a locksmith in the real browser app against a running stack, with the
// emulated Stripe test card, and lands on the live status page. Every page is screenshotted
// under test-artifacts/e2e/ and checked with axe.
//
// With E2E_BASE_URL it tests that running stack (e.g. `npm start` → http://127.0.0.1:3000). Without it,
// it brings up its own: the whole platform in this process (testkit's startStack, demo locksmiths
// seeded) and the built customer UI served by scripts/serve-ui.ts in front of it. The UI must be built
// (`npm run build -w customer-ui`; CI does it before the tests).
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';

import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { type Browser, type BrowserContext, chromium, type Page } from 'playwright-core';
import { seedDemoLocksmiths } from '@trades/locksmith-registry';
import { REPO_ROOT } from '@trades/testkit';
import { startStack, type Stack } from '@trades/testkit/stack';
import type { FastifyInstance } from 'fastify';
import { buildServer as buildUiServer } from '../scripts/serve-ui.ts';
import { ARTIFACTS, checkPage } from './phone-browser.ts';

let BASE_URL = (process.env['E2E_BASE_URL'] ?? '').replace(/\/$/, '');
let stack: Stack | undefined;
let uiServer: FastifyInstance | undefined;

/** Our own platform and customer UI, for when no E2E_BASE_URL is given. */
async function startOwnStack(): Promise<string> {
  const root = join(REPO_ROOT, 'customer-ui', 'dist', 'customer-ui', 'browser');
  if (!existsSync(join(root, 'index.html'))) {
    throw new Error(
      'customer-ui is not built: run `npm run build -w customer-ui` (CI builds it before the tests).',
    );
  }
  stack = await startStack();
  const registry = stack.services.get('registry')?.[0];
  if (!registry) throw new Error('the stack has no registry service');
  await seedDemoLocksmiths((contract, request) =>
    registry.ctx.call(contract, request, { timeoutMs: 15_000 }),
  );
  uiServer = await buildUiServer({ app: 'customer-ui', root, gateway: stack.gatewayUrl, logger: false });
  await uiServer.listen({ port: 0, host: '127.0.0.1' });
  return `http://127.0.0.1:${(uiServer.server.address() as AddressInfo).port}`;
}
const CHROMIUM = process.env['CHROMIUM_PATH'] ?? '/usr/bin/chromium';

const CUSTOMER = {
  address: '1 Market St, San Francisco, CA 94105',
  service: /home lockout/i,
  name: 'E2E Customer',
  phone: '+14155550123',
};

/** Status headlines the page may show right after booking, whatever dispatch has done by then. */
const STATUS_TITLES =
  /Request received|Contacting nearby locksmiths|is taking your job|is on the way|Job done|Booking canceled|We couldn't find a locksmith|Your booking is in progress/;

/** fetch() says only "fetch failed"; its cause says why (ECONNREFUSED, a timeout…). */
function reason(error: unknown): string {
  // Jest runs tests in a realm of their own, where `instanceof Error` misses Node's errors: read by shape.
  const cause: unknown =
    typeof error === 'object' && error !== null && 'cause' in error ? error.cause : error;
  if (typeof cause === 'object' && cause !== null && 'message' in cause) return String(cause.message);
  return String(cause);
}

/** Why the stack at BASE_URL can't be used, or null when its UI and API both answer. */
async function stackProblem(): Promise<string | null> {
  for (const [what, path] of [
    ['the customer UI', '/'],
    ['the customer API', '/api/services'],
  ] as const) {
    try {
      const response = await fetch(`${BASE_URL}${path}`, { signal: AbortSignal.timeout(5_000) });
      if (!response.ok)
        return `${what} at ${BASE_URL}${path} answered ${response.status} ${response.statusText}`;
    } catch (error) {
      return `${what} at ${BASE_URL}${path} did not answer (${reason(error)})`;
    }
  }
  return null;
}

describe('customer booking in the browser', () => {
  let browser: Browser | undefined;
  let context: BrowserContext;
  let page: Page;
  const otherHosts: string[] = [];
  const axeFindings: string[] = [];

  beforeAll(async () => {
    mkdirSync(ARTIFACTS, { recursive: true });
    if (!BASE_URL) BASE_URL = await startOwnStack();
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
      ],
    });
    context = await browser.newContext({
      viewport: { width: 390, height: 844 },
      isMobile: true,
      hasTouch: true,
    });
    page = await context.newPage();
    page.setDefaultTimeout(20_000);
    page.on('request', (request) => {
      if (new URL(request.url()).origin !== new URL(BASE_URL).origin && !request.url().startsWith('data:')) {
        otherHosts.push(request.url());
      }
    });
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await uiServer?.close();
    await stack?.stop();
  });

  /** Saves the page as `<name>.png` and records every axe violation on it. */
  async function check(name: string): Promise<void> {
    axeFindings.push(...(await checkPage(page, name)));
  }

  /**
   * Waits for the next page's heading; if the app shows an error instead, fails with the app's
   * own message, which is the server's.
   */
  async function expectPage(heading: string): Promise<void> {
    const next = page.getByRole('heading', { name: heading });
    const alert = page.getByRole('alert');
    await next.or(alert).first().waitFor({ timeout: 30_000 });
    if (!(await next.isVisible())) {
      await page.screenshot({ path: join(ARTIFACTS, 'failure.png'), fullPage: true });
      // The alert's icon is decorative (aria-hidden); its text is the message.
      const message = await alert.first().locator(':not([aria-hidden=true])').last().textContent();
      throw new Error(`Expected the page "${heading}", but the app said: ${message?.trim()}`);
    }
  }

  it('books a home lockout with the test card and follows it on the live status page', async () => {
    const problem = await stackProblem();
    if (problem) {
      throw new Error(
        `No running stack to test against: ${problem}. Start the platform (npm start) and the customer UI ` +
          `(npm run build -w customer-ui && node scripts/serve-ui.ts --app customer-ui --port 3000), ` +
          `or set E2E_BASE_URL to one that runs.`,
      );
    }

    await page.goto(BASE_URL);
    await page.getByRole('heading', { level: 1 }).waitFor();
    await check('01-landing');

    await page.getByRole('link', { name: 'Get a locksmith now' }).first().click();
    await page.getByRole('heading', { name: 'Where do you need a locksmith?' }).waitFor();
    await page.getByLabel('Street address').fill(CUSTOMER.address);
    await check('02-location');
    await page.getByRole('button', { name: 'Continue' }).click();

    await expectPage('What do you need?');
    await page.getByRole('radio', { name: CUSTOMER.service }).check();
    await page.getByLabel('Your name').fill(CUSTOMER.name);
    await page.getByLabel('Mobile number').fill(CUSTOMER.phone);
    await check('03-service');
    await page.getByRole('button', { name: 'Continue to deposit' }).click();

    await expectPage('Hold your deposit');
    const testMode = page.getByText('TEST MODE — no real card is charged');
    await testMode.or(page.getByText('Card details')).first().waitFor();
    if (!(await testMode.isVisible())) {
      throw new Error(
        'The stack takes live Stripe payments; this test needs the Stripe emulator (TEST MODE).',
      );
    }
    await page.getByRole('radio', { name: /Visa/ }).check();
    await check('04-payment');
    await page.getByRole('button', { name: /^Hold .* and book$/ }).click();

    await expectPage('Your locksmith booking');
    expect(page.url()).toMatch(/\/status\/[^/]+$/);
    const status = page.locator('[aria-live=polite]');
    await status.getByRole('heading', { level: 2, name: STATUS_TITLES }).waitFor();
    await expect(status.textContent()).resolves.toMatch(STATUS_TITLES);
    await check('05-status');

    expect(axeFindings).toEqual([]);
    expect(otherHosts).toEqual([]);
  }, 120_000);
});
