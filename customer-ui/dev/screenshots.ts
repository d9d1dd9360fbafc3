// Walks the customer app in headless Chromium at a phone's size, saves a screenshot of every page
// and state under test-artifacts/customer-ui/, and runs axe on each. Exits non-zero on any axe
// violation. Expects the app served with the mock API behind it:
//
//   node customer-ui/dev/mock-api.ts --port 8011 --step-ms 1500 &
//   node scripts/serve-ui.ts --app customer-ui --port 3999 --gateway http://127.0.0.1:8011 &
//   node customer-ui/dev/screenshots.ts [--base http://127.0.0.1:3999] [--dark]
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';

import { AxeBuilder } from '@axe-core/playwright';
import { chromium, type Page } from 'playwright-core';

const { values } = parseArgs({
  options: {
    base: { type: 'string', default: 'http://127.0.0.1:3999' },
    out: { type: 'string', default: 'test-artifacts/customer-ui' },
    dark: { type: 'boolean', default: false },
  },
});
const base = values.base;
const scheme = values.dark ? 'dark' : 'light';
const out = join(values.out, scheme);
mkdirSync(out, { recursive: true });

const browser = await chromium.launch({
  executablePath: process.env['CHROMIUM_PATH'] ?? '/usr/bin/chromium',
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
  viewport: { width: 390, height: 844 },
  deviceScaleFactor: 1,
  colorScheme: scheme,
  hasTouch: true,
  isMobile: true,
  geolocation: { latitude: 37.7941, longitude: -122.395 },
  permissions: ['geolocation'],
});
const page = await context.newPage();
const outside: string[] = [];
page.on('request', (request) => {
  const url = new URL(request.url());
  if (url.origin !== new URL(base).origin && url.protocol !== 'data:') outside.push(request.url());
});
page.on('console', (message) => {
  if (message.type() === 'error') process.stdout.write(`  console error: ${message.text()}\n`);
});

let violations = 0;
async function capture(name: string, target: Page = page): Promise<void> {
  // Fonts loaded and transitions (a message fading in) over, so colours are final.
  await target.evaluate(async () => {
    await document.fonts.ready;
    await Promise.all(
      document
        .getAnimations()
        .filter((a) => a.effect?.getTiming().iterations !== Infinity)
        .map((a) => a.finished),
    );
  });
  await target.screenshot({ path: join(out, `${name}.png`), fullPage: true });
  const result = await new AxeBuilder({ page: target })
    .withTags(['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa', 'best-practice'])
    .analyze();
  violations += result.violations.length;
  process.stdout.write(`${name}: ${result.violations.length} axe violations\n`);
  for (const violation of result.violations) {
    process.stdout.write(`  ${violation.id}: ${violation.help}\n`);
    for (const node of violation.nodes.slice(0, 3))
      process.stdout.write(`    ${node.target.join(' ')} ${node.failureSummary ?? ''}\n`);
  }
}

await page.goto(base);
await page.getByRole('heading', { level: 2, name: 'Typical prices' }).waitFor();
await page.locator('.prices__item').first().waitFor();
await capture('01-landing');

await page.getByRole('link', { name: 'Get a locksmith now' }).first().click();
await page.getByRole('heading', { name: 'Where do you need a locksmith?' }).waitFor();
await capture('02-location');

await page.getByRole('button', { name: 'Continue' }).click();
await page.locator('mat-error').waitFor();
await capture('03-location-error');

await page.getByLabel('Street address').fill('10 Main St, Nowhere, ND');
await page.getByRole('button', { name: 'Continue' }).click();
await page.getByText("We don't cover this area yet").waitFor();
await capture('04-location-not-served');

await page.getByRole('button', { name: 'Try a different address' }).click();
await page.getByRole('button', { name: 'Use my current location' }).click();
await page.getByText('Location found').waitFor();
await page.getByLabel('Street address').fill('1 Market St, San Francisco, CA 94105');
await capture('05-location-filled');
await page.getByRole('button', { name: 'Continue' }).click();

await page.getByRole('heading', { name: 'What do you need?' }).waitFor();
await page.locator('label.service-card').first().waitFor();
await capture('06-service');

await page.getByRole('button', { name: 'Continue to deposit' }).click();
await page.locator('.services__error').waitFor();
await page.getByLabel('Mobile number').fill('555-01');
await page.getByLabel('Your name').focus();
await capture('07-service-errors');

await page.getByRole('radio', { name: /Home lockout/ }).check();
await page.getByLabel('Your name').fill('Alex Doe');
await page.getByLabel('Mobile number').fill('(415) 555-0123');
await page.getByLabel('Notes for the locksmith (optional)').fill('Apartment 4B, buzzer broken');
await page.getByRole('button', { name: 'Continue to deposit' }).click();

await page.getByRole('heading', { name: 'Hold your deposit' }).waitFor();
await page.getByText('TEST MODE').waitFor();
await capture('08-payment');

await page.getByRole('radio', { name: /declined/ }).check();
await page.getByRole('button', { name: /Hold .* and book/ }).click();
await page.getByRole('alert').waitFor();
await capture('09-payment-declined');

await page.getByRole('radio', { name: /Visa/ }).check();
await page.getByRole('button', { name: /Hold .* and book/ }).click();
await page.waitForURL(/\/status\//);
await page.getByRole('heading', { level: 2 }).waitFor();
await capture('10-status-new');
await page.getByText('is taking your job').waitFor({ timeout: 15_000 });
await capture('11-status-assigned');
await page.getByText('is on the way').waitFor({ timeout: 15_000 });
await capture('12-status-en-route');
await page.getByText('Job done').waitFor({ timeout: 15_000 });
await capture('13-status-done');

// Keyboard: the first Tab on a fresh page reaches the skip link, and it is visible.
await page.goto(base);
await page.keyboard.press('Tab');
await capture('14-keyboard-skip-link');
await page.keyboard.press('Tab');
await page.keyboard.press('Tab');
await capture('15-keyboard-focus');

await page.goto(`${base}/status/does-not-exist`);
await page.getByText("We can't find this booking").waitFor();
await capture('16-status-not-found');

// A plumber's card page: the form, a declined card, the saved card, and the links that no longer work.
await page.goto(`${base}/plumber/card/mock-link-0123456789abcdefghijkl`);
await page.getByRole('heading', { name: 'Save your card, Rosa' }).waitFor();
await capture('17-plumber-card');
await page
  .getByRole('radio', { name: /declined/ })
  .first()
  .check();
await page.getByRole('button', { name: 'Save card' }).click();
await page.getByText('Your card was declined.').waitFor();
await capture('18-plumber-card-declined');
await page.getByRole('radio', { name: /^Visa 4242/ }).check();
await page.getByRole('button', { name: 'Save card' }).click();
await page.getByRole('heading', { name: 'Your card is saved' }).waitFor();
await capture('19-plumber-card-saved');
await page.goto(`${base}/plumber/card/used-link-0123456789abcdefghijkl`);
await page.getByRole('heading', { name: 'Your card is already saved' }).waitFor();
await capture('20-plumber-card-used-link');
await page.goto(`${base}/plumber/card/expired-link-0123456789abcdefghijkl`);
await page.getByRole('heading', { name: 'This link no longer works' }).waitFor();
await capture('21-plumber-card-expired-link');
await page.goto(`${base}/plumber/card/unknown-link-0123456789abcdefghijkl`);
await page.getByRole('heading', { name: 'We couldn’t find this link' }).waitFor();
await capture('22-plumber-card-unknown-link');

// The public plumbing form: empty, its own checks, a field the server refuses, not served, sent, duplicate.
await page.goto(`${base}/plumbing`);
await page.getByRole('radio', { name: 'Drain cleaning' }).waitFor();
await capture('23-plumbing');
await page.getByRole('button', { name: 'Find me a plumber' }).click();
await page.locator('#consent-error').waitFor();
await capture('24-plumbing-errors');
await page.getByRole('radio', { name: 'Leak repair' }).check();
await page.getByRole('radio', { name: /This week/ }).check();
await page.getByLabel('ZIP code of the job').fill('00000');
await page.getByLabel('First name').fill('Dana');
await page.getByLabel('Last name').fill('Whitfield');
await page.getByLabel('Mobile number').fill('(415) 555-0134');
await page.getByRole('textbox', { name: 'Email' }).fill('dana@example.com');
await page.getByRole('checkbox').check();
await page.getByRole('button', { name: 'Find me a plumber' }).click();
await page.getByText('There is no US ZIP code 00000.').waitFor();
await capture('25-plumbing-server-error');
await page.getByLabel('ZIP code of the job').fill('02108');
await page.getByRole('button', { name: 'Find me a plumber' }).click();
await page.getByText('No plumber covers 02108 yet').waitFor();
await capture('26-plumbing-not-served');
await page.getByLabel('ZIP code of the job').fill('94110');
await page.getByRole('button', { name: 'Find me a plumber' }).click();
await page.getByRole('heading', { name: 'Request sent' }).waitFor();
await capture('27-plumbing-sent');
await page.getByRole('button', { name: 'Ask for other work' }).click();
await page.getByRole('radio', { name: 'Leak repair' }).check();
await page.getByRole('radio', { name: /This week/ }).check();
await page.getByLabel('ZIP code of the job').fill('94110');
await page.getByLabel('First name').fill('Dana');
await page.getByLabel('Last name').fill('Whitfield');
await page.getByLabel('Mobile number').fill('(415) 555-0134');
await page.getByRole('textbox', { name: 'Email' }).fill('dup-dana@example.com');
await page.getByRole('checkbox').check();
await page.getByRole('button', { name: 'Find me a plumber' }).click();
await page.getByRole('heading', { name: 'We already have your request' }).waitFor();
await capture('28-plumbing-duplicate');

// A lead offer's accept page: the offer, bought, and a closed one.
const offerToken = '3f7c1a52-5d8e-4a47-9b43-0f6f0e1f2a10.AbCdEfGhIjKlMnOpQrStUvWxYz012345678_-ab';
await page.goto(`${base}/lead-offer/${offerToken}`);
await page.getByRole('button', { name: /Buy this lead/ }).waitFor();
await capture('29-lead-offer');
await page.getByRole('button', { name: /Buy this lead/ }).click();
await page.getByText("It's yours if your card goes through").waitFor();
await capture('30-lead-offer-charging');
await page.goto(`${base}/lead-offer/closed-${offerToken}`);
await page.getByText('This offer expired').waitFor();
await capture('31-lead-offer-expired');

await browser.close();
if (outside.length) process.stdout.write(`requests to other hosts:\n  ${outside.join('\n  ')}\n`);
process.stdout.write(`${violations} axe violations in total; screenshots in ${out}\n`);
process.exit(violations === 0 && outside.length === 0 ? 0 : 1);
