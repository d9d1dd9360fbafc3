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
import { MatFormField, MatHint, MatLabel } from '@angular/material/form-field';
import { MatIcon } from '@angular/material/icon';
import { MatInput } from '@angular/material/input';
import { MatProgressSpinner } from '@angular/material/progress-spinner';

import { toApiError } from '../api/api-error';
import {
  CREDIT_REASON_LABELS,
  CREDIT_REASONS,
  type CreditLinkView,
  type CreditReason,
  type CreditRequest,
  LeadCreditsApi,
} from '../api/lead-credits-api';
import { URGENCY_WORDS } from '../lead-offer/lead-offer-page';
import { Alert } from '../shared/alert';
import { formatCents } from '../shared/money';
import { PageHeading } from '../shared/page-heading';

export const NOTE_MAX = 1000;

const isReason = (value: string): value is CreditReason => CREDIT_REASONS.some((r) => r === value);

/** A moment as the plumber reads it ("Dec 4, 2026, 3:15 PM"), in their browser's time zone. */
export const formatMoment = (at: string): string =>
  new Date(at).toLocaleString('en-US', { dateStyle: 'medium', timeStyle: 'short' });

/** Where a request stands, in words. */
export function creditStatusText(credit: CreditRequest): string {
  const amount = formatCents(credit.amountCents);
  switch (credit.status) {
    case 'review':
      return `Under review: an operator will look at it today and we'll text and email you the answer.`;
    case 'approved':
      return `Approved: ${amount} goes back to your card within minutes.`;
    case 'credited':
      return `Credited: ${amount} refunded to your card.`;
    case 'denied':
      return credit.decisionNote ? `Not credited: ${credit.decisionNote}` : 'Not credited.';
    case 'failed':
      return 'Approved, but the refund did not go through; an operator is looking at it.';
    default:
      return 'We are working on it.';
  }
}

/** What the page says right after a request was sent. */
export function outcomeText(credit: CreditRequest): { kind: 'info' | 'warning'; text: string } {
  const amount = formatCents(credit.amountCents);
  if (credit.status === 'approved' || credit.status === 'credited') {
    return {
      kind: 'info',
      text: `Credited: ${amount} goes back to your card within minutes. We'll text and email you when it's refunded.`,
    };
  }
  if (credit.status === 'review') {
    return {
      kind: 'info',
      text: "We got your request. An operator will look at it today; we'll text and email you the answer.",
    };
  }
  return { kind: 'warning', text: creditStatusText(credit) };
}

/** Why the form is not shown, in words. */
export function closedText(view: CreditLinkView): string {
  if (view.creditedCents >= view.priceCents)
    return 'This lead was credited in full. There is nothing left to credit.';
  if (view.credits.some((c) => c.status === 'review' || c.status === 'approved')) {
    return 'Your request for this lead is being handled; see below.';
  }
  if (Date.parse(view.deadline) < Date.now()) {
    return `Credits can be asked for within 7 days of the sale; this lead's window closed on ${formatMoment(view.deadline)}.`;
  }
  return 'A credit cannot be asked for this lead now.';
}

/**
 * The credit page a sale email links to (`/lead-credit/:token`): the lead bought, a reason and a note,
 * the answer at once (credited when the reason checks out, else under review) and earlier requests.
 */
@Component({
  selector: 'app-lead-credit-page',
  imports: [
    Alert,
    MatButton,
    MatFormField,
    MatHint,
    MatIcon,
    MatInput,
    MatLabel,
    MatProgressSpinner,
    PageHeading,
  ],
  changeDetection: ChangeDetectionStrategy.OnPush,
  templateUrl: './lead-credit-page.html',
  styleUrls: ['../booking/booking-step.scss', './lead-credit-page.scss'],
})
export class LeadCreditPage implements OnInit {
  /** From the route `/lead-credit/:token`. */
  readonly token = input.required<string>();

  private readonly api = inject(LeadCreditsApi);

  protected readonly formatCents = formatCents;
  protected readonly formatMoment = formatMoment;
  protected readonly urgencyWords = URGENCY_WORDS;
  protected readonly reasons = CREDIT_REASONS.map((value) => ({ value, label: CREDIT_REASON_LABELS[value] }));
  protected readonly reasonLabels = CREDIT_REASON_LABELS;
  protected readonly creditStatusText = creditStatusText;
  protected readonly closedText = closedText;
  protected readonly noteMax = NOTE_MAX;

  protected readonly view = signal<CreditLinkView | null>(null);
  protected readonly loadError = signal<{ notFound: boolean; message: string } | null>(null);
  protected readonly reason = signal<CreditReason | ''>('');
  protected readonly note = signal('');
  protected readonly reasonMissing = signal(false);
  protected readonly sending = signal(false);
  protected readonly sent = signal<CreditRequest | null>(null);
  protected readonly sendError = signal<string | null>(null);
  protected readonly answer = computed(() => {
    const sent = this.sent();
    return sent ? outcomeText(sent) : null;
  });

  ngOnInit(): void {
    void this.load();
  }

  protected async load(): Promise<void> {
    this.loadError.set(null);
    try {
      this.view.set(await this.api.get(this.token()));
    } catch (caught) {
      const error = toApiError(caught);
      this.loadError.set({ notFound: error.status === 404 || error.status === 400, message: error.message });
    }
  }

  protected chooseReason(value: string): void {
    this.reason.set(isReason(value) ? value : '');
    if (isReason(value)) this.reasonMissing.set(false);
  }

  protected typeNote(value: string): void {
    this.note.set(value.slice(0, NOTE_MAX));
  }

  protected async send(): Promise<void> {
    const reason = this.reason();
    if (reason === '') {
      this.reasonMissing.set(true);
      return;
    }
    if (this.sending()) return;
    this.sending.set(true);
    this.sendError.set(null);
    try {
      const credit = await this.api.request(this.token(), reason, this.note());
      this.sent.set(credit);
      const view = this.view();
      if (view) this.view.set({ ...view, open: false, credits: [credit, ...view.credits] });
    } catch (caught) {
      this.sendError.set(toApiError(caught).message);
    } finally {
      this.sending.set(false);
    }
  }
}
