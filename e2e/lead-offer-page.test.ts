// A plumber opens the accept link of a lead offer email (/lead-offer/<offerId>.<signature>) in headless
// Chromium on a phone-sized viewport, as scripts/serve-ui.ts serves the built customer UI. The lead-offer
// API (GET /api/lead-offers/:token, POST …/accept) is answered by the test itself with the contract's
// shapes: what is tested here is the page and the link, not the sale (e2e of the sale: dispatch's tests).
// Screenshots under test-artifacts/e2e/lead-offer-*.png, checked with axe.
import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import type { leads } from '@trades/contracts';
import type { Page } from 'playwright-core';
import { openPhoneBrowser, type PhoneBrowser } from './phone-browser.ts';

jest.setTimeout(120_000);

const OFFER_ID = '3f7c1a52-5d8e-4a47-9b43-0f6f0e1f2a10';
const TOKEN = `${OFFER_ID}.AbCdEfGhIjKlMnOpQrStUvWxYz012345678_-ab`;

const OFFER: leads.LeadOfferView = {
  offerId: OFFER_ID,
  leadCode: '4821',
  serviceName: 'Drain cleaning',
  urgency: 'day',
  zipCode: '94105',
  priceCents: 4500,
  expiresAt: new Date(Date.now() + 5 * 60_000).toISOString(),
  status: 'PENDING',
  open: true,
  plumber: { firstName: 'Rosa' },
};

describe('the lead offer accept page in the browser', () => {
  let phone: PhoneBrowser;
  let page: Page;
  const calls: string[] = [];
  const axeFindings: string[] = [];

  beforeAll(async () => {
    // No gateway: every API call of this page is answered below, any other would fail.
    phone = await openPhoneBrowser('http://127.0.0.1:9');
    page = phone.page;
    await page.route('**/api/lead-offers/**', async (route) => {
      const request = route.request();
      calls.push(`${request.method()} ${new URL(request.url()).pathname}`);
      if (request.method() === 'POST')
        await route.fulfill({ json: { outcome: 'charging', leadCode: '4821' } });
      else await route.fulfill({ json: OFFER });
    });
  }, 60_000);

  afterAll(async () => {
    await phone?.close();
  });

  const check = async (name: string) => axeFindings.push(...(await phone.check(`lead-offer-${name}`)));

  it('opens the link with its signature (a dot in the path), shows the offer, and buys only on the button', async () => {
    await page.goto(`${phone.baseUrl}/lead-offer/${TOKEN}`);
    await page.getByRole('heading', { level: 1, name: 'Lead 4821' }).waitFor();
    const buy = page.getByRole('button', { name: 'Buy this lead for $45' });
    await buy.waitFor();
    await check('01-offer');
    const path = `/api/lead-offers/${TOKEN}`;
    // Opening the link only read the offer: mail scanners open links too.
    expect(calls).toEqual([`GET ${path}`]);

    await buy.click();
    await page.getByText("It's yours if your card goes through").waitFor();
    await check('02-charging');
    expect(calls).toEqual([`GET ${path}`, `POST ${path}/accept`]);
    expect(axeFindings).toEqual([]);
  });
});
