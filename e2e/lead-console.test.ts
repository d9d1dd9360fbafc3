// An operator runs the lead business from the admin console in headless Chromium, against the whole
// platform in this process (testkit's startStack: every service, the Stripe and Twilio emulators, an SMTP
// sink) with the built admin UI served by scripts/serve-ui.ts in front of it: a plumber is registered and
// saves a test card, a homeowner's lead appears, the operator sells it by hand and credits part of it (the
// refund read back from the Stripe emulator), then looks at Credits, Lead analytics and Plumbers, gives a
// partner an API key and revokes it (the partner API tried with it before and after), and changes a price.
// Every page and dialog is screenshotted under test-artifacts/e2e/lead-console-*.png and checked with axe.
// The UI must be built (`npm run build -w admin-ui`; CI does it before the tests).
import { existsSync, mkdirSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { DEMO_PARTNERS, seedDemoPartners } from '@trades/intake';
import { DEVELOPMENT_DEFAULTS } from '@trades/runtime';
import { REPO_ROOT, waitFor } from '@trades/testkit';
import { startStack, type Stack } from '@trades/testkit/stack';
import type { FastifyInstance } from 'fastify';
import { type Browser, chromium, type Locator, type Page } from 'playwright-core';
import type Stripe from 'stripe';
import { buildServer as buildUiServer } from '../scripts/serve-ui.ts';
import { createStripeClient } from '../services/payments/src/adapters/stripe-client.ts';
import { ARTIFACTS, checkPage } from './phone-browser.ts';

const CHROMIUM = process.env['CHROMIUM_PATH'] ?? '/usr/bin/chromium';
const VIEWPORT = { width: 1440, height: 900 };
const OPERATOR = {
  email: DEVELOPMENT_DEFAULTS['ADMIN_EMAIL'] ?? '',
  password: DEVELOPMENT_DEFAULTS['ADMIN_PASSWORD'] ?? '',
};

const PLUMBER = {
  firstName: 'Paula',
  lastName: 'Pipes',
  name: 'Paula Pipes',
  email: 'paula@pipes-e2e.example',
  phone: '(415) 555-0190',
  zipCode: '94110',
};
const HOMEOWNER = {
  firstName: 'Hana',
  lastName: 'Homeowner',
  email: 'hana@homeowner-e2e.example',
  phone: '+14155550199',
};
const PARTNER = 'Leadflow E2E';

let stack: Stack;
let uiServer: FastifyInstance | undefined;
let base = '';
let browser: Browser | undefined;
let page: Page;
let stripe: Stripe;
const axeFindings: string[] = [];
const pageErrors: string[] = [];
const serverErrors: string[] = [];

beforeAll(async () => {
  const root = join(REPO_ROOT, 'admin-ui', 'dist', 'admin-ui', 'browser');
  if (!existsSync(join(root, 'index.html'))) {
    throw new Error(
      'admin-ui is not built: run `npm run build -w admin-ui` (CI builds it before the tests).',
    );
  }
  mkdirSync(ARTIFACTS, { recursive: true });
  stack = await startStack();
  const intake = stack.services.get('intake')?.[0];
  if (!intake) throw new Error('the stack has no intake service');
  // What `npm start` seeds, so the Partners page has a partner before the operator adds one; twice, as the
  // seed runs on every start.
  const seed = () => seedDemoPartners((contract, request) => intake.ctx.call(contract, request));
  await expect(seed()).resolves.toEqual({ created: DEMO_PARTNERS.length, skipped: 0 });
  await expect(seed()).resolves.toEqual({ created: 0, skipped: DEMO_PARTNERS.length });

  stripe = createStripeClient({
    secretKey: stack.env['STRIPE_SECRET_KEY'] ?? '',
    apiBase: stack.stripe.url,
    maxNetworkRetries: 0,
  });
  uiServer = await buildUiServer({ app: 'admin-ui', root, gateway: stack.gatewayUrl, logger: false });
  await uiServer.listen({ port: 0, host: '127.0.0.1' });
  base = `http://127.0.0.1:${(uiServer.server.address() as AddressInfo).port}`;
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
  const context = await browser.newContext({
    viewport: VIEWPORT,
    locale: 'en-US',
    timezoneId: 'America/Los_Angeles',
  });
  page = await context.newPage();
  page.setDefaultTimeout(20_000);
  page.on('pageerror', (error) => pageErrors.push(error.message));
  page.on('response', (response) => {
    if (response.status() >= 500) serverErrors.push(`${response.status()} ${response.url()}`);
  });
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await uiServer?.close();
  await stack?.stop();
}, 60_000);

/**
 * Saves the page as `lead-console-<name>.png` and records axe's violations on it. The console scrolls
 * inside its sidenav content, so the window is made as tall as that content for the shot.
 */
async function check(name: string): Promise<void> {
  const height = await page.evaluate<number>(`(() => {
    const scroller = document.querySelector('mat-sidenav-content');
    return scroller ? scroller.scrollHeight + scroller.getBoundingClientRect().top : document.body.scrollHeight;
  })()`);
  const tall = height > VIEWPORT.height;
  if (tall) await page.setViewportSize({ width: VIEWPORT.width, height: Math.min(height, 4000) });
  try {
    axeFindings.push(...(await checkPage(page, `lead-console-${name}`)));
  } finally {
    if (tall) await page.setViewportSize(VIEWPORT);
  }
}

/** The open dialog (Material's dialogs are role dialog, named by their title). */
function dialog(title: string | RegExp): Locator {
  return page.getByRole('dialog', { name: title });
}

/**
 * The dialog once it is open: Material moves the focus into it when its opening animation ends, and
 * text typed before that would land in whichever field the focus moves to.
 */
async function opened(title: string | RegExp, { focused = true } = {}): Promise<Locator> {
  const found = dialog(title);
  await found.waitFor();
  if (focused) await page.waitForFunction(`document.activeElement?.closest('[role=dialog]') != null`);
  await page.evaluate(`(async () => {
    const finite = document.getAnimations().filter((a) => a.effect?.getTiming().iterations !== Infinity);
    await Promise.allSettled(finite.map((a) => a.finished));
  })()`);
  return found;
}

/** Goes to a section by the side navigation, as an operator does, and waits for its heading. */
async function open(section: string, heading = section): Promise<void> {
  await page.getByRole('navigation').getByRole('link', { name: section, exact: true }).click();
  await page.getByRole('heading', { level: 1, name: heading, exact: true }).waitFor();
}

/** A JSON request to the gateway, as a client (not the console) sends it. */
async function api(
  path: string,
  init: { method?: string; body?: unknown; headers?: Record<string, string> } = {},
): Promise<{ status: number; body: Record<string, unknown> }> {
  const response = await fetch(`${stack.gatewayUrl}${path}`, {
    method: init.method ?? (init.body === undefined ? 'GET' : 'POST'),
    headers: { ...(init.body === undefined ? {} : { 'content-type': 'application/json' }), ...init.headers },
    ...(init.body === undefined ? {} : { body: JSON.stringify(init.body) }),
  });
  const text = await response.text();
  const body: unknown = text ? JSON.parse(text) : {};
  return {
    status: response.status,
    body: typeof body === 'object' && body !== null && !Array.isArray(body) ? { ...body } : {},
  };
}

/** The operator's API, with the browser's session cookie (through the UI server, as the console calls it). */
async function consoleApi(path: string): Promise<Record<string, unknown>> {
  const response = await page.request.get(`${base}/api/admin${path}`);
  expect(response.status()).toBe(200);
  const body: unknown = await response.json();
  if (typeof body !== 'object' || body === null) throw new Error(`${path} answered ${String(body)}`);
  return { ...body };
}

const itemsOf = (page: Record<string, unknown>): Record<string, unknown>[] =>
  Array.isArray(page['items'])
    ? page['items'].filter(
        (item): item is Record<string, unknown> => typeof item === 'object' && item !== null,
      )
    : [];

describe('the lead console in the browser', () => {
  let plumberId = '';
  let leadCode = '';
  let paymentIntent = '';
  let partnerKey = '';
  let priceCents = 0;

  it('signs the operator in and lands on the leads they asked for', async () => {
    await page.goto(`${base}/leads`);
    await page.waitForURL(/\/login\?returnUrl=%2Fleads/);
    await page.getByLabel('Email').fill(OPERATOR.email);
    await page.getByLabel('Password', { exact: true }).fill(OPERATOR.password);
    await check('01-login');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('heading', { level: 1, name: 'Leads' }).waitFor();
    await page.getByText('No leads yet.').waitFor();
    await check('02-leads-empty');
  }, 60_000);

  it('registers a plumber who then saves a test card from the link they were sent', async () => {
    await open('Plumbers');
    await page.getByRole('button', { name: 'New plumber' }).click();
    const form = await opened('New plumber');
    await form.getByLabel('First name').fill(PLUMBER.firstName);
    await form.getByLabel('Last name').fill(PLUMBER.lastName);
    await form.getByLabel('Email').fill(PLUMBER.email);
    await form.getByLabel('Mobile phone').fill(PLUMBER.phone);
    await form.getByRole('combobox', { name: 'Services' }).click();
    await page.getByRole('option', { name: 'Drain cleaning' }).click();
    await page.getByRole('option', { name: 'Leak repair' }).click();
    await page.keyboard.press('Escape');
    await form.getByLabel('Base ZIP code').fill(PLUMBER.zipCode);
    await form.getByLabel('Leads a day').fill('5');
    await check('03-plumber-new-dialog');
    await form.getByRole('button', { name: 'Create' }).click();
    await form.waitFor({ state: 'detached' });
    await page.getByRole('row', { name: new RegExp(PLUMBER.name) }).waitFor();

    // Payments sends a new plumber their first card link by SMS and email; the plumber saves the Stripe
    // test card through it (the routes the card page calls).
    const email = await stack.smtp.waitForEmail(
      (e) => e.to.includes(PLUMBER.email) && /\/plumber\/card\/[\w-]+/.test(e.text),
      20_000,
    );
    const token = /\/plumber\/card\/([\w-]+)/.exec(email.text)?.[1] ?? '';
    const confirmed = await api(`/api/plumber-card/${token}/test-confirm`, {
      body: { paymentMethod: 'pm_card_visa' },
    });
    expect(confirmed.status).toBe(200);
    expect((await api(`/api/plumber-card/${token}/complete`, { method: 'POST' })).status).toBe(200);

    const saved = await waitFor(
      async () => {
        const list = await consoleApi(`/plumbers?q=${encodeURIComponent(PLUMBER.email)}`);
        const plumber = itemsOf(list)[0];
        const card = plumber?.['card'];
        return typeof card === 'object' && card !== null && 'status' in card && card.status === 'saved'
          ? plumber
          : undefined;
      },
      { what: "the plumber's saved card in the registry", timeoutMs: 20_000 },
    );
    plumberId = String(saved['id']);
    await page.reload();
    const row = page.getByRole('row', { name: new RegExp(PLUMBER.name) });
    await row.getByText('4242').waitFor();
    await check('04-plumbers');
  }, 90_000);

  it('shows a homeowner’s lead in the list and sells it by hand to the plumber, charging their card', async () => {
    const submitted = await api('/api/leads', {
      body: {
        ...HOMEOWNER,
        serviceNeeded: 'drain_cleaning',
        urgency: 'week',
        zipCode: PLUMBER.zipCode,
        description: 'Kitchen sink backs up into the dishwasher.',
        consent: true,
      },
    });
    expect(submitted).toMatchObject({ status: 201, body: { status: 'accepted' } });
    const leadId = String(submitted.body['leadId']);

    await open('Leads');
    const link = page.getByRole('link', { name: `${HOMEOWNER.firstName} ${HOMEOWNER.lastName}` });
    await link.waitFor();
    await check('05-leads');
    await link.click();
    await page.waitForURL(new RegExp(`/leads/${leadId}$`));
    // Dispatch opens the sale a moment after intake accepts the lead; the page re-reads itself meanwhile.
    const sell = page.getByRole('button', { name: 'Sell to a plumber…' });
    await sell.waitFor({ timeout: 30_000 });
    await page.getByRole('heading', { level: 2, name: 'Consent proof' }).waitFor();
    await check('06-lead-for-sale');

    await sell.click();
    const sale = await opened(/^Sell Lead /);
    await sale.getByRole('combobox', { name: 'Plumber' }).fill(PLUMBER.firstName);
    const option = page.getByRole('option', { name: new RegExp(PLUMBER.name) });
    await expect(option.textContent()).resolves.toContain('Card on file');
    await option.click();
    await sale.getByRole('region', { name: 'Chosen plumber' }).getByText(PLUMBER.name).waitFor();
    await check('07-sell-dialog');
    await sale.getByRole('button', { name: new RegExp(`^Sell to ${PLUMBER.name} for \\$`) }).click();
    await sale.waitFor({ state: 'detached' });

    // The sale charges the card at the Stripe emulator; the page shows it once payments has answered.
    const heading = page.getByRole('heading', { level: 1, name: /^Lead \S+$/ });
    const credit = page.getByRole('button', { name: 'Credit…' });
    await credit.waitFor({ timeout: 30_000 });
    leadCode = ((await heading.textContent()) ?? '').replace(/^Lead /, '').trim();
    expect(leadCode).not.toBe('');
    const charge = page.locator('.charge');
    await charge.getByText('Succeeded').waitFor();
    paymentIntent = ((await charge.getByText(/^pi_/).textContent()) ?? '').trim();
    expect(paymentIntent).toMatch(/^pi_/);
    await expect(page.locator('dd', { hasText: PLUMBER.name }).count()).resolves.toBe(1);
    await page.locator('.detail-header').getByText('Assigned').first().waitFor();
    await check('08-lead-sold');

    priceCents = Number((await consoleApi(`/leads/${leadId}`))['priceCents']);
    const intent = await stripe.paymentIntents.retrieve(paymentIntent);
    expect(intent).toMatchObject({ status: 'succeeded', amount: priceCents });
  }, 120_000);

  it('credits part of the sale: the refund is made at Stripe and shown on the lead', async () => {
    await page.getByRole('button', { name: 'Credit…' }).click();
    const form = await opened(`Credit Lead ${leadCode}`);
    await form.getByLabel('Amount (USD)').fill('20');
    await form.getByRole('combobox', { name: 'Reason' }).click();
    await page.getByRole('option', { name: 'Could not reach after trying' }).click();
    await form
      .getByLabel('Note (optional)')
      .fill('Three calls, no answer; the homeowner texted back a day later.');
    await check('09-credit-dialog');
    await form.getByRole('button', { name: 'Credit', exact: true }).click();
    await form.waitFor({ state: 'detached' });
    await page.getByText(/^\s*Credit of \$20\.00 (approved|credited)\.\s*$/).waitFor();

    const refunds = await waitFor(
      async () => {
        const list = await stripe.refunds.list({ payment_intent: paymentIntent });
        return list.data.length > 0 && list.data;
      },
      { what: 'the refund at the Stripe emulator', timeoutMs: 20_000 },
    );
    expect(refunds.map((r) => [r.amount, r.status])).toEqual([[2000, 'succeeded']]);
    await waitFor(
      async () => {
        const credits = itemsOf(await consoleApi(`/credits?plumberId=${plumberId}`));
        return credits.length === 1 && credits[0]?.['status'] === 'credited';
      },
      { what: 'the credit recorded as refunded', timeoutMs: 20_000 },
    );
    await page
      .getByRole('toolbar', { name: 'Lead actions' })
      .getByRole('button', { name: 'Refresh' })
      .click();
    const credits = page.getByRole('region', { name: 'Credits of this lead' });
    const row = credits.getByRole('row', { name: /Could not reach after trying/ });
    await row.getByText('Credited').waitFor();
    await expect(row.textContent()).resolves.toContain('$20.00');
    await expect(row.textContent()).resolves.toContain(OPERATOR.email);
    const left = `$${((priceCents - 2000) / 100).toFixed(2)}`;
    await page.getByText(`$20.00 credited · ${left} left to credit`).waitFor();
    await check('10-lead-credited');
  }, 90_000);

  it('shows the credit in the Credits history, with an empty review queue', async () => {
    await open('Credits');
    await page.getByText('No credit is waiting for review.').waitFor();
    await check('11-credits-queue');
    await page.getByRole('radio', { name: 'History' }).click();
    const history = page.getByRole('region', { name: 'Credit history' });
    const row = history.getByRole('row', { name: new RegExp(`^${leadCode} `) });
    await row.getByText('Credited').waitFor();
    await expect(row.textContent()).resolves.toContain('$20.00');
    await check('12-credits-history');
  }, 60_000);

  it('shows the lead in the analytics', async () => {
    await open('Lead analytics');
    await page.getByRole('heading', { level: 2, name: 'Funnel' }).waitFor();
    await page.getByRole('heading', { level: 2, name: 'By day' }).waitFor();
    await check('13-lead-analytics');
  }, 60_000);

  it("opens the plumber's edit dialog with their caps and what they bought", async () => {
    await open('Plumbers');
    const row = page.getByRole('row', { name: new RegExp(PLUMBER.name) });
    // Dispatch's lead statistics: the one lead offered, bought and credited.
    await row.getByText('1 bought').waitFor();
    await check('14-plumbers-after-sale');
    await page.getByRole('button', { name: `Edit ${PLUMBER.name}` }).click();
    const form = await opened(new RegExp(PLUMBER.name));
    await expect(form.getByLabel('Leads a day').inputValue()).resolves.toBe('5');
    await expect(form.getByLabel('Base ZIP code').inputValue()).resolves.toBe(PLUMBER.zipCode);
    await check('15-plumber-edit-dialog');
    await form.getByRole('button', { name: 'Cancel' }).click();
    await form.waitFor({ state: 'detached' });
  }, 60_000);

  it('creates a partner and issues it a key, shown once, that the partner API takes', async () => {
    await open('Partners');
    await page.getByRole('link', { name: DEMO_PARTNERS[0]?.name ?? '' }).waitFor();
    await check('16-partners');
    await page.getByRole('button', { name: 'New partner' }).click();
    const form = await opened('New partner');
    await form.getByRole('textbox', { name: 'Name', exact: true }).fill(PARTNER);
    await form.getByLabel('Contact name (optional)').fill('Lee Flow');
    await form.getByLabel('Email (optional)').fill('ops@leadflow-e2e.example');
    await check('17-partner-new-dialog');
    await form.getByRole('button', { name: 'Create' }).click();
    await form.waitFor({ state: 'detached' });
    await page.getByRole('link', { name: PARTNER }).click();
    await page.getByRole('heading', { level: 1, name: PARTNER }).waitFor();
    await page.getByText('No keys yet').waitFor();
    await check('18-partner');

    await page.getByRole('button', { name: 'Issue a key…' }).click();
    const issue = await opened(`Issue a key for ${PARTNER}`);
    await issue.getByRole('textbox', { name: 'Name', exact: true }).fill('Production server');
    await check('19-partner-key-dialog');
    await issue.getByRole('button', { name: 'Issue key' }).click();
    const shown = await opened(`API key for ${PARTNER}`, { focused: false });
    await shown.getByText('it will not be shown again').waitFor();
    partnerKey = ((await shown.getByLabel('API key').textContent()) ?? '').trim();
    expect(partnerKey.length).toBeGreaterThan(20);
    await check('20-partner-key-once');
    await shown.getByRole('button', { name: 'I have copied the key' }).click();
    await shown.waitFor({ state: 'detached' });
    const keys = page.getByRole('region', { name: 'API keys' });
    await keys
      .getByRole('row', { name: /Production server/ })
      .getByText('Active')
      .waitFor();
    // Only the first characters are kept on screen once the dialog is closed.
    await expect(page.getByText(partnerKey).count()).resolves.toBe(0);

    const posted = await partnerLead(partnerKey, '+14155550177');
    expect(posted).toMatchObject({ status: 201, body: { status: 'accepted' } });
  }, 60_000);

  it('revokes the key after a confirmation, and the partner API refuses it from then on', async () => {
    await page.getByRole('button', { name: 'Revoke key Production server' }).click();
    const confirm = await opened('Revoke key Production server?');
    await check('21-partner-revoke-confirm');
    await confirm.getByRole('button', { name: 'Revoke key' }).click();
    await confirm.waitFor({ state: 'detached' });
    const keys = page.getByRole('region', { name: 'API keys' });
    await keys
      .getByRole('row', { name: /Production server/ })
      .getByText(/^\s*Revoked /)
      .waitFor();
    await expect(page.getByRole('button', { name: 'Revoke key Production server' }).count()).resolves.toBe(0);
    await check('22-partner-key-revoked');

    const refused = await partnerLead(partnerKey, '+14155550178');
    expect(refused).toEqual({
      status: 401,
      body: { code: 'INVALID_API_KEY', message: expect.stringContaining('revoked') },
    });
  }, 60_000);

  it('changes a price after a confirmation and shows it in the history', async () => {
    await open('Prices');
    await page.getByText('No price has been changed yet.').waitFor();
    await check('23-prices');
    await page
      .getByRole('button', { name: /^Change the base price, Drain cleaning, Within a week:/ })
      .click();
    const amount = page.getByLabel('Base price, Drain cleaning, Within a week');
    await amount.fill('52.50');
    await check('24-price-edit');
    await page.getByRole('button', { name: 'Save price' }).click();
    const confirm = await opened('Change the base price?');
    await expect(confirm.textContent()).resolves.toContain('→ $52.50');
    await check('25-price-confirm');
    await confirm.getByRole('button', { name: 'Change price' }).click();
    await confirm.waitFor({ state: 'detached' });
    await page
      .getByRole('button', { name: /^Change the base price, Drain cleaning, Within a week: \$52\.50$/ })
      .waitFor();
    const history = page.getByRole('region', { name: 'Price changes' });
    await history
      .getByRole('row', { name: /\$52\.50/ })
      .getByText(OPERATOR.email)
      .waitFor();
    await check('26-prices-changed');
  }, 60_000);

  it('found no accessibility violation, script error or server error on any page', () => {
    expect(axeFindings).toEqual([]);
    expect(pageErrors).toEqual([]);
    expect(serverErrors).toEqual([]);
  });

  /** A lead posted with a partner's API key, from a homeowner of this phone number. */
  function partnerLead(key: string, phone: string) {
    return api('/api/partner/v1/leads', {
      headers: { authorization: `Bearer ${key}` },
      body: {
        firstName: 'Pat',
        lastName: 'Partnerlead',
        email: `pat.${phone.slice(-4)}@homeowner-e2e.example`,
        phone,
        serviceNeeded: 'leak_repair',
        urgency: 'month',
        zipCode: PLUMBER.zipCode,
        consent: {
          text: 'I agree to be contacted by plumbers about this request.',
          capturedAt: new Date().toISOString(),
          ip: '203.0.113.7',
        },
      },
    });
  }
});
