import {
  ChangeDetectionStrategy,
  Component,
  computed,
  inject,
  input,
  type OnInit,
  signal,
} from '@angular/core';
import { MatButton } from '@angular/material/button';
import { MatIcon } from '@angular/material/icon';
import { MatProgressSpinner } from '@angular/material/progress-spinner';

import { toApiError } from '../api/api-error';
import { type AcceptResult, type LeadOfferView, LeadOffersApi } from '../api/lead-offers-api';
import type { LeadUrgency } from '../api/leads-api';
import { Alert } from '../shared/alert';
import { formatCents } from '../shared/money';
import { PageHeading } from '../shared/page-heading';

export const URGENCY_WORDS: Record<LeadUrgency, string> = {
  day: 'within a day',
  week: 'within a week',
  month: 'within a month',
};

/** What the page says about an offer that can no longer be bought, by how it ended. */
export function closedOfferText(offer: LeadOfferView): string {
  switch (offer.status) {
    case 'ACCEPTED':
      return "You bought this lead. We've sent you the homeowner's details by text and email.";
    case 'EXPIRED':
      return 'This offer expired before you accepted it. You were not charged.';
    case 'CANCELED':
      return 'This lead was sold to another plumber. You were not charged.';
    case 'DECLINED':
      return 'You passed on this lead.';
    case 'FAILED':
      return 'Your card did not go through for this lead, so it went to another plumber. You were not charged.';
    default:
      return 'This lead is no longer for sale. You were not charged.';
  }
}

/** The answer to pressing the button, in words. */
export function acceptText(
  result: AcceptResult,
  priceCents: number,
): { kind: 'info' | 'warning'; text: string } {
  const price = formatCents(priceCents);
  switch (result.outcome) {
    case 'charging':
      return {
        kind: 'info',
        text: `It's yours if your card goes through: we're charging it ${price} now. We'll text and email you the homeowner's name, phone, email and description in a moment.`,
      };
    case 'queued':
      return {
        kind: 'info',
        text: "Another plumber accepted first and their card is being charged. You're next in line: if it doesn't go through, the lead is yours and we'll text you.",
      };
    case 'rejected':
      switch (result.reason) {
        case 'lead_sold':
          return {
            kind: 'warning',
            text: 'Sorry, this lead was already sold to another plumber. You were not charged.',
          };
        case 'offer_expired':
          return {
            kind: 'warning',
            text: 'Sorry, this offer expired before you accepted it. You were not charged.',
          };
        case 'cap_reached':
          return {
            kind: 'warning',
            text: "You've reached one of your lead caps, so this lead goes to another plumber. You were not charged; we'll offer you leads again when your cap resets.",
          };
        default:
          return { kind: 'warning', text: 'This offer is closed, so you were not charged.' };
      }
  }
}

/**
 * The accept page a lead offer's email links to (`/lead-offer/:token`). Opening it only shows the offer
 * (mail scanners open links); the button buys the lead, exactly as replying YES to the offer text does.
 */
@Component({
  selector: 'app-lead-offer-page',
  imports: [Alert, MatButton, MatIcon, MatProgressSpinner, PageHeading],
  changeDetection: ChangeDetectionStrategy.OnPush,
  templateUrl: './lead-offer-page.html',
  styleUrls: ['../booking/booking-step.scss', './lead-offer-page.scss'],
})
export class LeadOfferPage implements OnInit {
  /** From the route `/lead-offer/:token`. */
  readonly token = input.required<string>();

  private readonly api = inject(LeadOffersApi);

  protected readonly formatCents = formatCents;
  protected readonly urgencyWords = URGENCY_WORDS;
  protected readonly closedOfferText = closedOfferText;
  protected readonly offer = signal<LeadOfferView | null>(null);
  protected readonly loadError = signal<{ notFound: boolean; message: string } | null>(null);
  protected readonly accepting = signal(false);
  protected readonly result = signal<AcceptResult | null>(null);
  protected readonly acceptError = signal<string | null>(null);
  protected readonly answer = computed(() => {
    const result = this.result();
    const offer = this.offer();
    return result && offer ? acceptText(result, offer.priceCents) : null;
  });

  ngOnInit(): void {
    void this.load();
  }

  protected async load(): Promise<void> {
    this.loadError.set(null);
    try {
      this.offer.set(await this.api.get(this.token()));
    } catch (caught) {
      const error = toApiError(caught);
      const notFound = error.status === 404 || error.status === 400;
      this.loadError.set({ notFound, message: error.message });
    }
  }

  protected async accept(): Promise<void> {
    if (this.accepting()) return;
    this.accepting.set(true);
    this.acceptError.set(null);
    try {
      this.result.set(await this.api.accept(this.token()));
    } catch (caught) {
      this.acceptError.set(toApiError(caught).message);
    } finally {
      this.accepting.set(false);
    }
  }
}
