import { ChangeDetectionStrategy, Component, computed, inject, signal, viewChild } from '@angular/core';
import { form, FormField, FormRoot, required } from '@angular/forms/signals';
import { MatButton } from '@angular/material/button';
import { MatProgressSpinner } from '@angular/material/progress-spinner';
import { Router } from '@angular/router';

import { toApiError } from '../api/api-error';
import type { PaymentIntent } from '../api/booking-api';
import { Alert } from '../shared/alert';
import { formatCents } from '../shared/money';
import { PageHeading } from '../shared/page-heading';
import { formatPhone } from '../shared/phone';
import { BookingFlow } from './booking-flow';
import { BookingProgress } from './booking-progress';
import { StripeCard } from './stripe-card';

/** Stripe's test payment methods offered in test mode; the backend relays the choice to the emulator. */
export const TEST_CARDS = [
  { paymentMethod: 'pm_card_visa', label: 'Visa, approved', number: '4242 4242 4242 4242' },
  { paymentMethod: 'pm_card_chargeDeclined', label: 'Card that is declined', number: '4000 0000 0000 0002' },
] as const;

type Phase = 'loading' | 'ready' | 'authorizing' | 'booking';

/** Step 3: hold the deposit on a card, then submit the booking and go to its live status. */
@Component({
  selector: 'app-payment-step',
  imports: [
    Alert,
    BookingProgress,
    FormField,
    FormRoot,
    MatButton,
    MatProgressSpinner,
    PageHeading,
    StripeCard,
  ],
  changeDetection: ChangeDetectionStrategy.OnPush,
  templateUrl: './payment-step.html',
  styleUrl: './booking-step.scss',
})
export class PaymentStep {
  private readonly flow = inject(BookingFlow);
  private readonly router = inject(Router);

  protected readonly formatCents = formatCents;
  protected readonly formatPhone = formatPhone;
  protected readonly testCards = TEST_CARDS;
  protected readonly draft = this.flow.draft;
  protected readonly notice = signal(this.flow.notice());
  protected readonly intent = signal<PaymentIntent | null>(null);
  protected readonly phase = signal<Phase>('loading');
  protected readonly loadError = signal<string | null>(null);
  protected readonly payError = signal<string | null>(null);
  protected readonly busy = computed(() => this.phase() === 'authorizing' || this.phase() === 'booking');
  /** Live mode needs Stripe's publishable key; without one, no card can be taken. */
  protected readonly liveKey = computed(() => {
    const intent = this.intent();
    return intent?.mode === 'stripe' ? (intent.publishableKey ?? null) : null;
  });
  protected readonly busyMessage = computed(() =>
    this.phase() === 'authorizing'
      ? 'Authorizing your card…'
      : this.phase() === 'booking'
        ? 'Card authorized. Booking your locksmith…'
        : '',
  );
  private readonly stripeCard = viewChild(StripeCard);

  protected readonly testCardModel = signal<{ paymentMethod: string }>({
    paymentMethod: TEST_CARDS[0].paymentMethod,
  });
  protected readonly testCardForm = form(
    this.testCardModel,
    (path) => required(path.paymentMethod, { message: 'Choose a test card.' }),
    {
      submission: {
        action: async () => {
          await this.payWithTestCard();
          return undefined;
        },
      },
    },
  );

  constructor() {
    this.flow.notice.set(null);
    void this.load();
  }

  protected buttonLabel(amountCents: number): string {
    return this.busyMessage() || `Hold ${formatCents(amountCents)} and book`;
  }

  protected async load(): Promise<void> {
    this.loadError.set(null);
    this.phase.set('loading');
    if (!(await this.flow.resume())) return;
    if (!this.flow.requestId()) {
      await this.router.navigateByUrl('/book/location', { replaceUrl: true });
      return;
    }
    try {
      this.intent.set(await this.flow.preparePayment());
      this.phase.set('ready');
    } catch (error) {
      if (!(await this.flow.redirectFor(error))) this.loadError.set(toApiError(error).message);
    }
  }

  protected async payWithCard(): Promise<void> {
    const intent = this.intent();
    const card = this.stripeCard();
    if (!intent || !card || this.busy()) return;
    this.payError.set(null);
    this.phase.set('authorizing');
    const declined = await card.confirm(intent.clientSecret, this.flow.draft().name ?? '');
    if (declined) {
      this.payError.set(declined);
      this.phase.set('ready');
      return;
    }
    await this.book();
  }

  private async payWithTestCard(): Promise<void> {
    if (this.busy()) return;
    this.payError.set(null);
    this.phase.set('authorizing');
    try {
      await this.flow.confirmWithTestCard(this.testCardModel().paymentMethod);
    } catch (error) {
      this.phase.set('ready');
      if (!(await this.flow.redirectFor(error))) this.payError.set(toApiError(error).message);
      return;
    }
    await this.book();
  }

  private async book(): Promise<void> {
    this.phase.set('booking');
    try {
      const trackingToken = await this.flow.complete();
      await this.router.navigate(['/status', trackingToken], { replaceUrl: true });
    } catch (error) {
      this.phase.set('ready');
      if (!(await this.flow.redirectFor(error))) this.payError.set(toApiError(error).message);
    }
  }
}
