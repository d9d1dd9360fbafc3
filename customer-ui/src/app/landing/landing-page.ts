import { ChangeDetectionStrategy, Component, inject, signal } from '@angular/core';
import { MatButton } from '@angular/material/button';
import { MatIcon } from '@angular/material/icon';
import { RouterLink } from '@angular/router';

import type { ServiceOffer } from '../api/booking-api';
import { BookingFlow } from '../booking/booking-flow';
import { formatCents, formatPriceRange } from '../shared/money';

/** What the service is and one big way in; prices come from the live catalog when it answers. */
@Component({
  selector: 'app-landing-page',
  imports: [MatButton, MatIcon, RouterLink],
  changeDetection: ChangeDetectionStrategy.OnPush,
  templateUrl: './landing-page.html',
  styleUrl: './landing-page.scss',
})
export class LandingPage {
  private readonly flow = inject(BookingFlow);

  protected readonly formatCents = formatCents;
  protected readonly formatPriceRange = formatPriceRange;
  protected readonly services = signal<readonly ServiceOffer[] | null>(null);
  protected readonly activeBooking = this.flow.lastTrackingToken();

  constructor() {
    this.flow.services().then(
      (offers) => this.services.set(offers),
      // The prices also show on the service step; the landing page is fine without them.
      () => this.services.set([]),
    );
  }
}
