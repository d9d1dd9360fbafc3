// A plumber saves their card from the link they were sent, in the real browser app on a phone-sized
// screen, against the whole platform (testkit's startStack, the Stripe emulator) and the built customer
// UI served by scripts/serve-ui.ts. Each state is screenshotted under test-artifacts/e2e/ and checked
// with axe. The UI must be built (`npm run build -w customer-ui`; CI does it before the tests).
import { existsSync, mkdirSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';

import { AxeBuilder } from '@axe-core/playwright';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { payments, registry } from '@trades/contracts';
import { REPO_ROOT, waitFor } from '@trades/testkit';
import { startStack, type Stack } from '@trades/testkit/stack';
import type { FastifyInstance } from 'fastify';
import { type Browser, chromium, type Page } from 'playwright-core';
import { buildServer as buildUiServer } from '../scripts/serve-ui.ts';

const CHROMIUM = process.env['CHROMIUM_PATH'] ?? '/usr/bin/chromium';
const ARTIFACTS = join('test-artifacts', 'e2e');

let stack: Stack;
let uiServer: FastifyInstance | undefined;
let uiBase = '';
let browser: Browser | undefined;
let page: Page;
const axeFindings: string[] = [];

beforeAll(async () => {
  const root = join(REPO_ROOT, 'customer-ui', 'dist', 'customer-ui', 'browser');
  if (!existsSync(join(root, 'index.html'))) {
    throw new Error(
      'customer-ui is not built: run `npm run build -w customer-ui` (CI builds it before the tests).',
    );
  }
  mkdirSync(ARTIFACTS, { recursive: true });
  stack = await startStack({ without: ['dispatch'] });
  uiServer = await buildUiServer({ app: 'customer-ui', root, gateway: stack.gatewayUrl, logger: false });
  await uiServer.listen({ port: 0, host: '127.0.0.1' });
  uiBase = `http://127.0.0.1:${(uiServer.server.address() as AddressInfo).port}`;
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
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await uiServer?.close();
  await stack?.stop();
}, 60_000);

/** Saves the page as `<name>.png` and records every axe violation on it. */
async function check(name: string): Promise<void> {
  await page.evaluate(`(async () => {
    await document.fonts.ready;
    const finite = document.getAnimations().filter((a) => a.effect?.getTiming().iterations !== Infinity);
    await Promise.all(finite.map((a) => a.finished));
  })()`);
  await page.screenshot({ path: join(ARTIFACTS, `${name}.png`), fullPage: true });
  const { violations } = await new AxeBuilder({ page })
    .withTags(['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa', 'best-practice'])
    .analyze();
  for (const violation of violations) {
    const where = violation.nodes.map((node) => node.target.join(' ')).join(', ');
    axeFindings.push(`${name}: ${violation.id} (${violation.help}) at ${where}`);
  }
}

/** Waits for a heading; if the app shows something else, fails saying what (with a screenshot). */
async function expectHeading(name: string): Promise<void> {
  const heading = page.getByRole('heading', { name });
  try {
    await heading.waitFor({ timeout: 30_000 });
  } catch (error) {
    await page.screenshot({ path: join(ARTIFACTS, 'plumber-card-failure.png'), fullPage: true });
    const shown = (await page.locator('body').textContent())?.replace(/\s+/g, ' ').trim();
    throw new Error(`Expected the heading "${name}", but the page said: ${shown}`, { cause: error });
  }
}

describe("a plumber's card page in the browser", () => {
  it('saves a test card from the link, shows it, and shows it again on the used link', async () => {
    const services = stack.services.get('registry')?.[0];
    if (!services) throw new Error('the stack has no registry service');
    const plumber = await services.ctx.call(registry.PlumberCreate, {
      firstName: 'Teresa',
      lastName: 'Okafor',
      email: 'teresa@okafor-plumbing.example',
      phone: '+14155550391',
      zipCode: '94110',
      services: ['drain_cleaning'],
      actor: 'test',
    });
    const { url } = await services.ctx.call(payments.ProviderCardLink, {
      providerId: plumber.id,
      firstName: plumber.firstName,
      email: plumber.email,
      phone: plumber.phone,
    });
    const token = url.slice(url.lastIndexOf('/') + 1);

    await page.goto(`${uiBase}/plumber/card/${token}`);
    await expectHeading('Save your card, Teresa');
    await expect(page.locator('main').textContent()).resolves.toContain(
      'Each lead you accept is charged to this card at the price in the offer, once, when you accept. Never for a lead you don’t get.',
    );
    await page.getByText('TEST MODE — no real card is saved').waitFor();
    await page.getByRole('radio', { name: /^Visa 4242/ }).check();
    await check('plumber-card-01-form');

    await page.getByRole('button', { name: 'Save card' }).click();
    await expectHeading('Your card is saved');
    await page.getByText('Visa ending in 4242').waitFor();
    await check('plumber-card-02-saved');

    // The registry hears of it: the plumber can now be offered leads.
    await waitFor(
      async () => (await services.ctx.call(registry.PlumberGet, { id: plumber.id })).card.status === 'saved',
      { what: 'the registry to show the saved card' },
    );

    await page.reload();
    await expectHeading('Your card is already saved');
    await page.getByText('Card on file: Visa ending in 4242').waitFor();
    await check('plumber-card-03-used-link');

    // A link replaced by a newer one says so, and offers no form.
    const recipient = {
      providerId: plumber.id,
      firstName: plumber.firstName,
      email: plumber.email,
      phone: plumber.phone,
    };
    const older = await services.ctx.call(payments.ProviderCardLink, recipient);
    await services.ctx.call(payments.ProviderCardLink, recipient);
    await page.goto(older.url.replace(/^.*(?=\/plumber\/card\/)/, uiBase));
    await expectHeading('This link no longer works');
    await page
      .getByText('A newer link was sent to you. Use the latest link in your texts or email.')
      .waitFor();
    await expect(page.getByRole('button', { name: 'Save card' }).count()).resolves.toBe(0);
    await check('plumber-card-04-superseded-link');

    expect(axeFindings).toEqual([]);
  }, 120_000);
});
