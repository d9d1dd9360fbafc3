import { DOCUMENT } from '@angular/common';
import { ChangeDetectionStrategy, Component, inject } from '@angular/core';
import { MatIcon } from '@angular/material/icon';
import { RouterLink, RouterOutlet } from '@angular/router';

import { BookingFlow } from './booking/booking-flow';
import { BRAND } from './routes';

@Component({
  selector: 'app-root',
  imports: [MatIcon, RouterLink, RouterOutlet],
  changeDetection: ChangeDetectionStrategy.OnPush,
  template: `
    <a class="skip-link" href="#main">Skip to content</a>
    <header class="app-bar">
      <a class="app-bar__brand" routerLink="/">
        <mat-icon aria-hidden="true">key</mat-icon>
        {{ brand }}
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
  protected readonly brand = BRAND;

  constructor() {
    const document = inject(DOCUMENT);
    inject(BookingFlow).rememberOrigin(document.location.search, document.referrer);
  }
}
