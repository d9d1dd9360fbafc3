import { BreakpointObserver } from '@angular/cdk/layout';
import { Component, computed, inject } from '@angular/core';
import { toSignal } from '@angular/core/rxjs-interop';
import { MatButtonModule } from '@angular/material/button';
import { MatIconModule } from '@angular/material/icon';
import { MatListModule } from '@angular/material/list';
import { MatMenuModule } from '@angular/material/menu';
import { MatSidenavModule } from '@angular/material/sidenav';
import type { MatSidenav } from '@angular/material/sidenav';
import { MatToolbarModule } from '@angular/material/toolbar';
import { MatTooltipModule } from '@angular/material/tooltip';
import { Router, RouterLink, RouterLinkActive, RouterOutlet } from '@angular/router';
import { map } from 'rxjs';

import { Auth } from '../core/auth';

interface NavItem {
  path: string;
  label: string;
  icon: string;
}

// Below this width the navigation slides over the page instead of taking a column.
const NARROW = '(max-width: 959.98px)';

@Component({
  selector: 'app-shell',
  imports: [
    MatButtonModule,
    MatIconModule,
    MatListModule,
    MatMenuModule,
    MatSidenavModule,
    MatToolbarModule,
    MatTooltipModule,
    RouterLink,
    RouterLinkActive,
    RouterOutlet,
  ],
  templateUrl: './shell.html',
  styleUrl: './shell.scss',
})
export class Shell {
  private readonly auth = inject(Auth);
  private readonly router = inject(Router);

  protected readonly nav: readonly NavItem[] = [
    { path: '/dashboard', label: 'Dashboard', icon: 'space_dashboard' },
    { path: '/jobs', label: 'Jobs', icon: 'work' },
    { path: '/locksmiths', label: 'Locksmiths', icon: 'key' },
    { path: '/messages', label: 'Messages', icon: 'sms' },
    { path: '/sessions', label: 'Sessions', icon: 'timeline' },
    { path: '/analytics', label: 'Analytics', icon: 'bar_chart' },
    { path: '/leads', label: 'Leads', icon: 'assignment' },
    { path: '/plumbers', label: 'Plumbers', icon: 'plumbing' },
    { path: '/partners', label: 'Partners', icon: 'handshake' },
    { path: '/credits', label: 'Credits', icon: 'currency_exchange' },
    { path: '/prices', label: 'Prices', icon: 'sell' },
    { path: '/lead-analytics', label: 'Lead analytics', icon: 'query_stats' },
  ];

  protected readonly narrow = toSignal(
    inject(BreakpointObserver)
      .observe(NARROW)
      .pipe(map((state) => state.matches)),
    { initialValue: false },
  );
  protected readonly operator = this.auth.operator;
  protected readonly viaLabel = computed(() =>
    this.operator()?.via === 'cloudflare'
      ? 'Signed in through Cloudflare Access'
      : 'Signed in with a local account',
  );
  protected readonly initials = computed(() => (this.operator()?.email ?? '?').charAt(0).toUpperCase());

  protected navigated(sidenav: MatSidenav): void {
    if (this.narrow()) void sidenav.close();
  }

  protected signOut(): void {
    this.auth.signOut().subscribe(() => void this.router.navigate(['/login']));
  }
}
