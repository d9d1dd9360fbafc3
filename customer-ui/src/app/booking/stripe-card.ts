import {
  afterNextRender,
  ChangeDetectionStrategy,
  Component,
  DestroyRef,
  type ElementRef,
  inject,
  input,
  signal,
  viewChild,
} from '@angular/core';
import type { Stripe, StripeCardElement } from '@stripe/stripe-js';

/**
 * Stripe's card field. Stripe.js is fetched only when this component shows, i.e. only in live
 * `stripe` mode: the test mode and every other page never load it.
 */
@Component({
  selector: 'app-stripe-card',
  changeDetection: ChangeDetectionStrategy.OnPush,
  template: `
    <div class="stripe-card">
      <span class="stripe-card__label" id="card-label">Card details</span>
      <div
        #host
        class="card-element"
        role="group"
        aria-labelledby="card-label"
        [class.card-element--focused]="focused()"
        [attr.aria-describedby]="error() ? 'card-error' : null"
      ></div>
      @if (loading()) {
        <p class="stripe-card__status" role="status">Loading the secure card form…</p>
      }
      @if (error(); as message) {
        <p class="stripe-card__error" id="card-error" role="alert">{{ message }}</p>
      }
    </div>
  `,
  styles: `
    .stripe-card {
      display: flex;
      flex-direction: column;
      gap: 6px;
    }
    .stripe-card__label {
      font: var(--mat-sys-label-large);
    }
    .card-element {
      padding: 16px 14px;
      border: 1px solid var(--mat-sys-outline);
      border-radius: var(--mat-sys-corner-extra-small);
      background: var(--mat-sys-surface-container-lowest);
      min-height: 24px;
    }
    .card-element--focused {
      outline: 2px solid var(--mat-sys-primary);
      outline-offset: -1px;
    }
    .stripe-card__status,
    .stripe-card__error {
      margin: 0;
      font: var(--mat-sys-body-medium);
    }
    .stripe-card__error {
      color: var(--mat-sys-error);
    }
  `,
})
export class StripeCard {
  readonly publishableKey = input.required<string>();

  protected readonly loading = signal(true);
  protected readonly focused = signal(false);
  protected readonly error = signal<string | null>(null);
  readonly complete = signal(false);

  private readonly host = viewChild.required<ElementRef<HTMLElement>>('host');
  private stripe: Stripe | null = null;
  private card: StripeCardElement | null = null;

  constructor() {
    const destroyRef = inject(DestroyRef);
    afterNextRender(() => void this.mount());
    destroyRef.onDestroy(() => this.card?.destroy());
  }

  /** Confirms the deposit hold; resolves to an error message to show, or null when authorized. */
  async confirm(clientSecret: string, cardholderName: string): Promise<string | null> {
    if (!this.stripe || !this.card) return 'The card form is still loading. Please wait a moment.';
    const result = await this.stripe.confirmCardPayment(clientSecret, {
      payment_method: { card: this.card, billing_details: { name: cardholderName } },
    });
    if (result.error) return result.error.message ?? 'Your card was not accepted. Please try another card.';
    return null;
  }

  /** Saves the card for later off-session charges (a SetupIntent); resolves to an error message, or null. */
  async confirmSetup(clientSecret: string, cardholderName: string): Promise<string | null> {
    if (!this.stripe || !this.card) return 'The card form is still loading. Please wait a moment.';
    const result = await this.stripe.confirmCardSetup(clientSecret, {
      payment_method: { card: this.card, billing_details: { name: cardholderName } },
    });
    if (result.error) return result.error.message ?? 'Your card was not accepted. Please try another card.';
    return null;
  }

  private async mount(): Promise<void> {
    try {
      const { loadStripe } = await import('@stripe/stripe-js/pure');
      this.stripe = await loadStripe(this.publishableKey());
      if (!this.stripe) throw new Error('Stripe.js did not load');
      const style = getComputedStyle(this.host().nativeElement);
      this.card = this.stripe.elements().create('card', {
        style: {
          base: {
            fontFamily: 'Roboto, system-ui, sans-serif',
            fontSize: '16px',
            color: style.color,
            '::placeholder': { color: style.getPropertyValue('--mat-sys-on-surface-variant') || '#555' },
          },
        },
      });
      this.card.on('change', (event) => {
        this.error.set(event.error?.message ?? null);
        this.complete.set(event.complete);
      });
      this.card.on('focus', () => this.focused.set(true));
      this.card.on('blur', () => this.focused.set(false));
      this.card.mount(this.host().nativeElement);
    } catch {
      this.error.set("We couldn't load the secure card form. Check your connection and reload the page.");
    } finally {
      this.loading.set(false);
    }
  }
}
