// Screenshots and accessibility checks of the built console, with the API answered by
// fixtures (no gateway needed):
//
//   npm run build -w admin-ui && npm run screens -w admin-ui
//
// Serves admin-ui/dist through scripts/serve-ui.ts, drives the machine's Chromium
// (CHROMIUM_PATH, default /usr/bin/chromium), writes PNGs to admin-ui/test-artifacts/screens
// and fails when axe finds any violation.
import { mkdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

import { AxeBuilder } from '@axe-core/playwright';
import type { Browser, Page, Route } from 'playwright-core';
import { chromium } from 'playwright-core';

import { buildServer } from '../../scripts/serve-ui.ts';
import * as fx from './fixtures.ts';
import * as lfx from './lead-fixtures.ts';

const here = dirname(fileURLToPath(import.meta.url));
const root = resolve(here, '../dist/admin-ui/browser');
const out = resolve(here, '../test-artifacts/screens');
mkdirSync(out, { recursive: true });

interface ApiState {
  signedIn: boolean;
  failJobs: boolean;
}

function json(route: Route, status: number, body?: unknown): Promise<void> {
  return route.fulfill({
    status,
    contentType: 'application/json',
    body: body === undefined ? '' : JSON.stringify(body),
  });
}

function paginate<T>(items: T[], url: URL): { items: T[]; nextCursor: string | null } {
  const start = Number(url.searchParams.get('cursor') ?? '0');
  const limit = Number(url.searchParams.get('limit') ?? '25');
  const end = start + limit;
  return { items: items.slice(start, end), nextCursor: end < items.length ? String(end) : null };
}

async function answer(route: Route, state: ApiState): Promise<void> {
  const request = route.request();
  const url = new URL(request.url());
  const path = url.pathname;
  const method = request.method();

  if (path === '/api/admin/login') {
    const body: unknown = request.postDataJSON();
    const password =
      typeof body === 'object' && body !== null ? (body as Record<string, unknown>)['password'] : '';
    if (password !== 'correct horse') {
      return json(route, 401, { code: 'INVALID_CREDENTIALS', message: 'Email or password is incorrect.' });
    }
    state.signedIn = true;
    return json(route, 204);
  }
  if (path === '/api/admin/logout') {
    state.signedIn = false;
    return json(route, 204);
  }
  if (!state.signedIn) return json(route, 401, { code: 'UNAUTHENTICATED', message: 'Sign in first.' });

  if (path === '/api/admin/me') return json(route, 200, fx.operator);
  if (path === '/api/admin/dashboard') return json(route, 200, fx.dashboard);
  if (path === '/api/services') return json(route, 200, { items: fx.services });
  if (path === '/api/admin/analytics/funnel') return json(route, 200, fx.funnel);
  if (path === '/api/admin/sessions') return json(route, 200, paginate(fx.sessions, url));
  if (path === '/api/admin/messages') {
    const direction = url.searchParams.get('direction');
    return json(
      route,
      200,
      paginate(
        fx.messages.filter((m) => !direction || m.direction === direction),
        url,
      ),
    );
  }
  if (path === '/api/admin/jobs') {
    if (state.failJobs) {
      return json(route, 503, {
        code: 'DISPATCH_UNAVAILABLE',
        message: 'Dispatch is not answering. Try again in a moment.',
      });
    }
    const wanted = url.searchParams.get('state')?.split(',') ?? [];
    const q = url.searchParams.get('q')?.toLowerCase() ?? '';
    const items = fx.jobs.filter(
      (job) =>
        (wanted.length === 0 || wanted.includes(job.state)) &&
        (!q || `${job.code} ${job.customerName} ${job.address}`.toLowerCase().includes(q)),
    );
    if (url.searchParams.get('sort') === 'createdAt:asc') items.reverse();
    return json(route, 200, paginate(items, url));
  }
  const job = /^\/api\/admin\/jobs\/([^/]+)(?:\/(\w+))?$/.exec(path);
  if (job) {
    const detail = job[1] === fx.completedJob.id ? fx.completedJob : fx.jobDetail;
    if (job[2] === 'dispatch') {
      return json(route, 409, {
        code: 'INVALID_STATE',
        message: 'Dispatch cannot be paused while offers are out.',
      });
    }
    return json(route, 200, detail);
  }
  if (path === '/api/admin/locksmiths' && method === 'GET') {
    const q = url.searchParams.get('q')?.toLowerCase() ?? '';
    const status = url.searchParams.get('status');
    const items = fx.locksmiths.filter(
      (l) => (!q || `${l.name} ${l.phone}`.toLowerCase().includes(q)) && (!status || l.status === status),
    );
    return json(route, 200, paginate(items, url));
  }
  const leads = leadAnswer(path, url, method);
  if (leads) return json(route, leads.status, leads.body);
  // Plumbers, Partners, Prices (ui-ops)
  if (path === '/api/leads/services') return json(route, 200, { items: fx.leadServices, consentText: '' });
  if (path === '/api/admin/plumbers' && method === 'GET') return json(route, 200, paginate(fx.plumbers, url));
  if (path === '/api/admin/partners' && method === 'GET') return json(route, 200, paginate(fx.partners, url));
  const partner = /^\/api\/admin\/partners\/([^/]+)(?:\/([\w-]+))?$/.exec(path);
  if (partner) {
    if (partner[2] === 'stats') return json(route, 200, fx.partnerStats);
    if (partner[2] === 'deliveries') return json(route, 200, paginate(fx.deliveries, url));
    if (partner[2] === 'keys' && method === 'POST') {
      return json(route, 201, {
        id: '00000000-0000-4000-8000-0000000003a9',
        key: 'tk_test_9f2c1e7a4b8d6035e1f4a7c2b9d8e6f1',
        prefix: 'tk_test_',
        name: 'Staging',
        test: true,
      });
    }
    return json(route, 200, fx.partners.find((p) => p.id === partner[1]) ?? fx.partner);
  }
  if (path === '/api/admin/lead-prices') return json(route, 200, { items: fx.leadPrices });
  if (path === '/api/admin/lead-prices/history') return json(route, 200, paginate(fx.leadPriceHistory, url));
  return json(route, 404, { code: 'NOT_FOUND', message: `No fixture for ${method} ${path}` });
}

/** The Leads, Credits and Lead analytics pages' routes; null for any other path. */
function leadAnswer(path: string, url: URL, method: string): { status: number; body: unknown } | null {
  const ok = (body: unknown) => ({ status: 200, body });
  if (path === '/api/leads/services') return ok({ items: lfx.leadServices, consentText: 'I agree.' });
  if (path === '/api/admin/partners' && method === 'GET')
    return ok({ items: lfx.partners, nextCursor: null });
  if (path === '/api/admin/lead-analytics') return ok(lfx.leadAnalytics);
  if (path === '/api/admin/leads') {
    const status = url.searchParams.get('status');
    return ok(
      paginate(
        lfx.leads.filter((lead) => !status || lead.status === status),
        url,
      ),
    );
  }
  const lead = /^\/api\/admin\/leads\/([^/]+)(?:\/(\w+))?$/.exec(path);
  if (lead) {
    if (lead[2] === 'plumbers') return ok({ items: lfx.plumbersForLead });
    if (lead[2] === 'assign') {
      return {
        status: 409,
        body: {
          code: 'PLUMBER_AT_CAP',
          message: 'Kim Flow is at their daily cap of 3 leads until midnight.',
        },
      };
    }
    return ok(lead[1] === lfx.openLead.id ? lfx.openLead : lfx.soldLead);
  }
  if (path === '/api/admin/credits') {
    const status = url.searchParams.get('status');
    const leadId = url.searchParams.get('leadId');
    const items = lfx.creditHistory.filter(
      (credit) => (!status || credit.status === status) && (!leadId || credit.leadId === leadId),
    );
    return ok(paginate(items, url));
  }
  return null;
}

interface Viewport {
  name: string;
  width: number;
  height: number;
}

const VIEWPORTS: Viewport[] = [
  { name: 'desktop', width: 1440, height: 900 },
  { name: 'phone', width: 390, height: 844 },
];

const violations: string[] = [];

async function settle(page: Page): Promise<void> {
  await page.waitForLoadState('networkidle');
  await page.evaluate(() => document.fonts.ready.then(() => undefined));
  // Material's enter animations.
  await page.waitForTimeout(400);
}

async function check(page: Page, label: string): Promise<void> {
  const result = await new AxeBuilder({ page }).analyze();
  for (const violation of result.violations) {
    const targets = violation.nodes.map((node) => node.target.join(' ')).slice(0, 5);
    violations.push(
      `${label}: ${violation.id} (${violation.impact}) ${violation.help} → ${targets.join(' | ')}`,
    );
  }
}

async function shoot(page: Page, viewport: Viewport, name: string, axe = true): Promise<void> {
  await settle(page);
  if (axe) await check(page, `${viewport.name}/${name}`);
  // The page scrolls inside the sidenav content, so a "full page" shot needs a taller window.
  const contentHeight = await page.evaluate(() => {
    const scroller = document.querySelector('mat-sidenav-content');
    return scroller
      ? scroller.scrollHeight + scroller.getBoundingClientRect().top
      : document.body.scrollHeight;
  });
  const tall = viewport.name.startsWith('desktop') && contentHeight > viewport.height;
  if (tall) await page.setViewportSize({ width: viewport.width, height: Math.min(contentHeight, 4000) });
  await page.screenshot({ path: join(out, `${viewport.name}-${name}.png`) });
  if (tall) await page.setViewportSize({ width: viewport.width, height: viewport.height });
}

async function run(
  browser: Browser,
  base: string,
  viewport: Viewport,
  scheme: 'light' | 'dark',
): Promise<void> {
  const context = await browser.newContext({
    viewport: { width: viewport.width, height: viewport.height },
    colorScheme: scheme,
    locale: 'en-US',
    timezoneId: 'America/Los_Angeles',
  });
  const state: ApiState = { signedIn: false, failJobs: false };
  await context.route('**/api/**', (route) => answer(route, state));
  const page = await context.newPage();
  page.on('pageerror', (error) => violations.push(`${viewport.name}: page error ${error.message}`));
  const v: Viewport = scheme === 'dark' ? { ...viewport, name: `${viewport.name}-dark` } : viewport;

  // The guard sends a signed-out operator to /login and back to the wanted page afterwards.
  await page.goto(`${base}/jobs/job-1000`);
  await page.waitForURL(/\/login\?returnUrl=/);
  await shoot(page, v, 'login');
  if (scheme === 'dark') {
    state.signedIn = true;
    for (const path of [
      'dashboard',
      'jobs',
      'jobs/job-1000',
      'locksmiths',
      'analytics',
      'leads',
      `leads/${lfx.soldLead.id}`,
      'credits',
      'lead-analytics',
      'plumbers',
      'partners',
      `partners/${fx.partner.id}`,
      'prices',
    ]) {
      await page.goto(`${base}/${path}`);
      await shoot(page, v, path.startsWith('leads/') ? 'lead-detail' : path.replace('/', '-'));
    }
    await context.close();
    return;
  }
  await page.getByLabel('Email').fill('night.ops@trades.example');
  await page.getByLabel('Password', { exact: true }).fill('wrong');
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByText('Email or password is incorrect.').waitFor();
  await shoot(page, v, 'login-error');
  await page.getByLabel('Password', { exact: true }).fill('correct horse');
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.waitForURL(/\/jobs\/job-1000$/);

  await page.goto(`${base}/dashboard`);
  await shoot(page, v, 'dashboard');
  if (viewport.name === 'phone') {
    await page.getByRole('button', { name: 'Open navigation' }).click();
    await shoot(page, v, 'nav-open');
    await page.keyboard.press('Escape');
  }

  await page.goto(`${base}/jobs`);
  await shoot(page, v, 'jobs');
  await page.getByRole('button', { name: 'Load more' }).click();
  await shoot(page, v, 'jobs-more', false);

  await page.goto(`${base}/jobs/job-1000`);
  await shoot(page, v, 'job-detail');
  await page.getByRole('button', { name: 'Assign…' }).click();
  await page.getByRole('option', { name: /Kevin Tran/ }).click();
  await shoot(page, v, 'assign-dialog');
  await page.keyboard.press('Escape');
  await page.getByRole('button', { name: 'Cancel job…' }).click();
  await shoot(page, v, 'cancel-dialog');
  await page.keyboard.press('Escape');
  await page.getByRole('button', { name: 'Pause' }).click();
  await page.getByText('Dispatch cannot be paused while offers are out.').waitFor();
  await shoot(page, v, 'action-409', false);

  await page.goto(`${base}/jobs/job-1005`);
  await shoot(page, v, 'job-completed', false);
  await page.getByRole('button', { name: 'Refund…' }).click();
  await page.getByLabel('Amount (USD)').fill('50');
  await page.getByRole('button', { name: 'Refund', exact: true }).click();
  await shoot(page, v, 'refund-dialog');
  await page.keyboard.press('Escape');

  await page.goto(`${base}/locksmiths`);
  await shoot(page, v, 'locksmiths');
  await page.getByRole('button', { name: 'New locksmith' }).click();
  await page.getByLabel('Mobile phone').fill('555-01');
  await page.getByRole('button', { name: 'Create' }).click();
  await shoot(page, v, 'locksmith-dialog');
  await page.keyboard.press('Escape');

  await page.goto(`${base}/messages`);
  await shoot(page, v, 'messages');
  await page.goto(`${base}/sessions`);
  await shoot(page, v, 'sessions');
  await page.goto(`${base}/analytics`);
  await shoot(page, v, 'analytics');

  await page.goto(`${base}/leads`);
  await shoot(page, v, 'leads');
  await page.goto(`${base}/leads/${lfx.soldLead.id}`);
  await shoot(page, v, 'lead-detail');
  await page.getByRole('button', { name: 'Credit…' }).click();
  await shoot(page, v, 'lead-credit-dialog');
  await page.keyboard.press('Escape');
  await page.goto(`${base}/leads/${lfx.openLead.id}`);
  await page.getByRole('button', { name: 'Sell to a plumber…' }).click();
  await page.getByLabel('Plumber').click();
  await page.getByRole('option', { name: /Kim Flow/ }).click();
  await shoot(page, v, 'lead-sell-dialog');
  await page.getByRole('button', { name: /Sell to Kim Flow/ }).click();
  await page.getByText('Kim Flow is at their daily cap').waitFor();
  await shoot(page, v, 'lead-sell-409', false);
  await page.goto(`${base}/credits`);
  await shoot(page, v, 'credits');
  await page.getByRole('button', { name: 'Deny…' }).first().click();
  await page.getByRole('button', { name: 'Deny credit' }).click();
  await shoot(page, v, 'credit-deny-dialog');
  await page.keyboard.press('Escape');
  await page.getByRole('radio', { name: 'History' }).click();
  await shoot(page, v, 'credits-history');
  await page.goto(`${base}/lead-analytics`);
  await shoot(page, v, 'lead-analytics');
  await page.goto(`${base}/plumbers`);
  await shoot(page, v, 'plumbers');
  await page.getByRole('button', { name: 'New plumber' }).click();
  await page.getByRole('radio', { name: 'ZIP list' }).click();
  await page.getByRole('button', { name: 'Create' }).click();
  await shoot(page, v, 'plumber-dialog');
  await page.keyboard.press('Escape');

  await page.goto(`${base}/partners`);
  await shoot(page, v, 'partners');
  await page.goto(`${base}/partners/${fx.partner.id}`);
  await shoot(page, v, 'partner-detail');
  await page.getByRole('button', { name: 'Issue a key…' }).click();
  await page.getByLabel('Name').fill('Staging');
  await page.getByRole('button', { name: 'Issue key' }).click();
  await page.getByText('it will not be shown again').waitFor();
  await shoot(page, v, 'partner-key-once');
  await page.getByRole('button', { name: 'I have copied the key' }).click();

  await page.goto(`${base}/prices`);
  await shoot(page, v, 'prices');
  await page.getByRole('button', { name: /^Change the base price, Drain cleaning, Within a day/ }).click();
  await shoot(page, v, 'prices-inline-edit');

  state.failJobs = true;
  await page.goto(`${base}/jobs`);
  await page.getByText('Dispatch is not answering').waitFor();
  await shoot(page, v, 'jobs-error');
  state.failJobs = false;

  // A 401 on any call sends the operator back to sign-in, remembering the page.
  state.signedIn = false;
  await page.getByRole('button', { name: 'Try again' }).click();
  await page.waitForURL(/\/login\?returnUrl=%2Fjobs&expired=1/);
  await shoot(page, v, 'session-expired', false);

  await context.close();
}

const server = await buildServer({ app: 'admin-ui', root, gateway: 'http://127.0.0.1:9', logger: false });
await server.listen({ port: 0, host: '127.0.0.1' });
const address = server.server.address();
const base = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
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
try {
  for (const viewport of VIEWPORTS) {
    await run(browser, base, viewport, 'light');
    await run(browser, base, viewport, 'dark');
  }
} finally {
  await browser.close();
  await server.close();
}

process.stdout.write(`screenshots in ${out}\n`);
if (violations.length > 0) {
  process.stderr.write(`${violations.length} accessibility problem(s):\n${violations.join('\n')}\n`);
  process.exitCode = 1;
} else {
  process.stdout.write('axe: 0 violations\n');
}
