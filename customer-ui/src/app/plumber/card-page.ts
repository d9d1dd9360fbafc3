import {
  ChangeDetectionStrategy,
  Component,
  computed,
  inject,
  input,
  type OnInit,
  signal,
  viewChild,
} from '@angular/core';
import { form, FormField, FormRoot, required } from '@angular/forms/signals';
import { MatButton } from '@angular/material/button';
import { MatIcon } from '@angular/material/icon';
import { MatProgressSpinner } from '@angular/material/progress-spinner';

import { type ApiError, toApiError } from '../api/api-error';
import { StripeCard } from '../booking/stripe-card';
import { Alert } from '../shared/alert';
import { PageHeading } from '../shared/page-heading';
import { type CardSession, parseCard, PlumberCardApi, type SavedCard } from './plumber-card-api';

/** What is charged and when: the promise this page makes, word for word. */
export const CHARGE_TERMS =
  'Each lead you accept is charged to this card at the price in the offer, once, when you accept. Never for a lead you don’t get.';

/** Stripe's test payment methods offered in test mode; the backend confirms the choice at the emulator. */
export const PLUMBER_TEST_CARDS = [
  { paymentMethod: 'pm_card_visa', label: 'Visa', number: '4242 4242 4242 4242' },
  { paymentMethod: 'pm_card_mastercard', label: 'Mastercard', number: '5555 5555 5555 4444' },
  {
    paymentMethod: 'pm_card_chargeDeclinedInsufficientFunds',
    label: 'Visa that saves, then declines lead charges',
    number: '4000 0000 0000 9995',
  },
  { paymentMethod: 'pm_card_chargeDeclined', label: 'Card that is declined', number: '4000 0000 0000 0002' },
] as const;

const BRANDS: Readonly<Record<string, string>> = {
  visa: 'Visa',
  mastercard: 'Mastercard',
  amex: 'American Express',
  discover: 'Discover',
};

/** `{ brand: 'visa', last4: '4242' }` → `Visa ending in 4242`. */
export function describeCard(card: SavedCard): string {
  const brand = card.brand ? (BRANDS[card.brand] ?? card.brand) : 'Card';
  return card.last4 ? `${brand} ending in ${card.last4}` : brand;
}

type Phase = 'loading' | 'ready' | 'saving' | 'saved' | 'refused' | 'not-found' | 'failed';

/**
 * A plumber saves the card their leads are charged to, from the single-use link texted and emailed to
 * them: a SetupIntent confirmed with the emulator's test cards, or Stripe's card field in live mode.
 */
@Component({
  selector: 'app-card-page',
  imports: [Alert, FormField, FormRoot, MatButton, MatIcon, MatProgressSpinner, PageHeading, StripeCard],
  changeDetection: ChangeDetectionStrategy.OnPush,
  templateUrl: './card-page.html',
  styleUrls: ['../booking/booking-step.scss', './card-page.scss'],
})
export class CardPage implements OnInit {
  /** From the route `/plumber/card/:token`. */
  readonly token = input.required<string>();

  private readonly api = inject(PlumberCardApi);

  protected readonly terms = CHARGE_TERMS;
  protected readonly testCards = PLUMBER_TEST_CARDS;
  protected readonly describeCard = describeCard;
  protected readonly phase = signal<Phase>('loading');
  protected readonly session = signal<CardSession | null>(null);
  protected readonly saved = signal<SavedCard | null>(null);
  /** Why the link cannot be used, in the server's words. */
  protected readonly problem = signal<string | null>(null);
  protected readonly saveError = signal<string | null>(null);
  protected readonly busy = computed(() => this.phase() === 'saving');
  protected readonly liveKey = computed(() => {
    const session = this.session();
    return session?.mode === 'stripe' ? (session.publishableKey ?? null) : null;
  });
  private readonly stripeCard = viewChild(StripeCard);

  protected readonly testCardModel = signal<{ paymentMethod: string }>({
    paymentMethod: PLUMBER_TEST_CARDS[0].paymentMethod,
  });
  protected readonly testCardForm = form(
    this.testCardModel,
    (path) => required(path.paymentMethod, { message: 'Choose a test card.' }),
    {
      submission: {
        action: async () => {
          await this.saveTestCard();
          return undefined;
        },
      },
    },
  );

  ngOnInit(): void {
    void this.load();
  }

  protected async load(): Promise<void> {
    this.phase.set('loading');
    this.problem.set(null);
    try {
      this.session.set(await this.api.session(this.token()));
      this.phase.set('ready');
    } catch (error) {
      this.showLinkProblem(toApiError(error));
    }
  }

  protected async saveWithCard(): Promise<void> {
    const session = this.session();
    const card = this.stripeCard();
    if (!session || !card || this.busy()) return;
    this.saveError.set(null);
    this.phase.set('saving');
    const refused = await card.confirmSetup(session.clientSecret, session.firstName);
    if (refused) {
      this.saveError.set(refused);
      this.phase.set('ready');
      return;
    }
    await this.complete();
  }

  private async saveTestCard(): Promise<void> {
    if (this.busy()) return;
    this.saveError.set(null);
    this.phase.set('saving');
    try {
      await this.api.testConfirm(this.token(), this.testCardModel().paymentMethod);
    } catch (error) {
      this.afterSaveFailed(toApiError(error));
      return;
    }
    await this.complete();
  }

  private async complete(): Promise<void> {
    try {
      this.saved.set(await this.api.complete(this.token()));
      this.phase.set('saved');
    } catch (error) {
      this.afterSaveFailed(toApiError(error));
    }
  }

  private afterSaveFailed(error: ApiError): void {
    if (error.status === 404 || error.status === 410) {
      this.showLinkProblem(error);
      return;
    }
    this.saveError.set(error.message);
    this.phase.set('ready');
  }

  private showLinkProblem(error: ApiError): void {
    this.problem.set(error.message);
    if (error.status === 410) {
      const card = error.details?.['card'];
      this.saved.set(card === undefined ? null : safeCard(card));
      this.phase.set('refused');
    } else if (error.status === 404) {
      this.phase.set('not-found');
    } else {
      this.phase.set('failed');
    }
  }
}

function safeCard(value: unknown): SavedCard | null {
  try {
    return parseCard(value);
  } catch {
    return null;
  }
}
