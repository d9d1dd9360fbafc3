import { DOCUMENT } from '@angular/common';
import { ChangeDetectionStrategy, Component, computed, inject } from '@angular/core';
import { toSignal } from '@angular/core/rxjs-interop';
import { MatIcon } from '@angular/material/icon';
import { NavigationEnd, Router, RouterLink, RouterOutlet } from '@angular/router';
import { filter, map } from 'rxjs';

import { BookingFlow } from './booking/booking-flow';
import { BRAND, PLUMBING_BRAND } from './routes';

const PLUMBING_PAGES = /^\/(plumbing|plumber|lead-offer)(\/|$|\?)/;

@Component({
  selector: 'app-root',
  imports: [MatIcon, RouterLink, RouterOutlet],
  changeDetection: ChangeDetectionStrategy.OnPush,
  template: `
    <a class="skip-link" href="#main">Skip to content</a>
    <header class="app-bar">
      <a class="app-bar__brand" [routerLink]="bar().home">
        <mat-icon aria-hidden="true">{{ bar().icon }}</mat-icon>
        {{ bar().brand }}
      </a>
    </header>
    <main id="main" class="app-main">
      <router-outlet />
    </main>
  `,
  styles: `
    :host {
      display: flex;
      flex-direction: column;
      min-height: 100dvh;
    }
    .app-bar {
      display: flex;
      align-items: center;
      min-height: 56px;
      padding: 0 16px;
      background: var(--mat-sys-surface-container);
      border-bottom: 1px solid var(--mat-sys-outline-variant);
    }
    .app-bar__brand {
      display: inline-flex;
      align-items: center;
      gap: 8px;
      min-height: 48px;
      color: var(--mat-sys-on-surface);
      font: var(--mat-sys-title-large);
      text-decoration: none;
      mat-icon {
        color: var(--mat-sys-primary);
      }
    }
    .app-main {
      flex: 1;
      width: 100%;
      max-width: 560px;
      margin: 0 auto;
      padding: 16px 16px 48px;
      box-sizing: border-box;
    }
  `,
})
export class App {
  private readonly url = toSignal(
    inject(Router).events.pipe(
      filter((event) => event instanceof NavigationEnd),
      map((event) => event.urlAfterRedirects),
    ),
    { initialValue: inject(DOCUMENT).location.pathname },
  );
  /** The plumbing pages (the homeowner's form, a plumber's card and offer pages) are not the locksmith's. */
  protected readonly bar = computed(() =>
    PLUMBING_PAGES.test(this.url())
      ? { brand: PLUMBING_BRAND, icon: 'plumbing', home: '/plumbing' }
      : { brand: BRAND, icon: 'key', home: '/' },
  );

  constructor() {
    const document = inject(DOCUMENT);
    inject(BookingFlow).rememberOrigin(document.location.search, document.referrer);
  }
}
