// What the customer UI's browser tests share: the built app served by scripts/serve-ui.ts, headless
// Chromium as a phone (390x844, touch), and a screenshot of each state checked with axe.
import { existsSync, mkdirSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';

import { AxeBuilder } from '@axe-core/playwright';
import { REPO_ROOT } from '@trades/testkit';
import type { FastifyInstance } from 'fastify';
import { type Browser, chromium, type Page } from 'playwright-core';
import { buildServer as buildUiServer } from '../scripts/serve-ui.ts';

export const ARTIFACTS = join('test-artifacts', 'e2e');

export interface PhoneBrowser {
  readonly baseUrl: string;
  readonly page: Page;
  /** Saves the page as `<name>.png` under test-artifacts/e2e and returns axe's violations on it. */
  check(name: string): Promise<string[]>;
  close(): Promise<void>;
}

/**
 * Saves the page as `<name>.png` under test-artifacts/e2e once fonts are in and transitions over (so
 * colours are final), and returns axe's WCAG 2.2 AA violations on it, one line each.
 */
export async function checkPage(page: Page, name: string): Promise<string[]> {
  // A string, as this file is compiled without the DOM's types.
  await page.evaluate(`(async () => {
    await document.fonts.ready;
    const finite = document.getAnimations().filter((a) => a.effect?.getTiming().iterations !== Infinity);
    // A cancelled animation (a dialog closed mid-way) rejects its "finished": it is over all the same.
    await Promise.allSettled(finite.map((a) => a.finished));
  })()`);
  // A snack bar shows its message in an aria-hidden copy first and moves it into its live region a
  // moment later (so screen readers announce it): checked in between, its action button is "focusable
  // inside aria-hidden". Wait for the move; if it never comes, axe reports it.
  await page
    .waitForFunction(
      `!document.querySelector('.mat-mdc-snack-bar-container [aria-hidden="true"]')`,
      undefined,
      {
        timeout: 5_000,
      },
    )
    .catch(() => undefined);
  await page.screenshot({ path: join(ARTIFACTS, `${name}.png`), fullPage: true });
  const { violations } = await new AxeBuilder({ page })
    .withTags(['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa', 'best-practice'])
    .analyze();
  return violations.map(
    (v) => `${name}: ${v.id} (${v.help}) at ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`,
  );
}

/** Serves the built customer UI in front of `gateway` and opens it in a phone-sized headless Chromium. */
export async function openPhoneBrowser(gateway: string): Promise<PhoneBrowser> {
  const root = join(REPO_ROOT, 'customer-ui', 'dist', 'customer-ui', 'browser');
  if (!existsSync(join(root, 'index.html'))) {
    throw new Error('customer-ui is not built: run `npm run build -w customer-ui` first.');
  }
  mkdirSync(ARTIFACTS, { recursive: true });
  const uiServer: FastifyInstance = await buildUiServer({ app: 'customer-ui', root, gateway, logger: false });
  await uiServer.listen({ port: 0, host: '127.0.0.1' });
  const baseUrl = `http://127.0.0.1:${(uiServer.server.address() as AddressInfo).port}`;
  let browser: Browser | undefined;
  try {
    browser = await chromium.launch({
      executablePath: process.env['CHROMIUM_PATH'] ?? '/usr/bin/chromium',
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
    const page = await context.newPage();
    page.setDefaultTimeout(20_000);
    const opened = browser;
    return {
      baseUrl,
      page,
      check: (name) => checkPage(page, name),
      async close() {
        await opened.close();
        await uiServer.close();
      },
    };
  } catch (error) {
    await browser?.close();
    await uiServer.close();
    throw error;
  }
}
