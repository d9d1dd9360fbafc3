import { DatePipe } from '@angular/common';
import { Component, DestroyRef, computed, effect, inject, input, signal, untracked } from '@angular/core';
import { takeUntilDestroyed, toSignal } from '@angular/core/rxjs-interop';
import { MatButtonModule } from '@angular/material/button';
import { MatCardModule } from '@angular/material/card';
import { MatDialog } from '@angular/material/dialog';
import { MatIconModule } from '@angular/material/icon';
import { MatProgressBarModule } from '@angular/material/progress-bar';
import { RouterLink } from '@angular/router';
import type { Subscription } from 'rxjs';
import { EMPTY, catchError, filter, interval, of, switchMap } from 'rxjs';

import { AdminApi } from '../../core/admin-api';
import { apiErrorMessage } from '../../core/api-error';
import type {
  LeadCredit,
  LeadDetail,
  LeadOffer,
  LeadPartnerRef,
  LeadSaleState,
  NewLeadCredit,
  PlumberForLead,
} from '../../core/api-types';
import { CREDIT_CHANNEL_LABELS, CREDIT_REASON_LABELS, LEAD_URGENCY_LABELS } from '../../core/api-types';
import type { ConfirmData } from '../../shared/confirm-dialog';
import { ConfirmDialog } from '../../shared/confirm-dialog';
import { CentsPipe, HumanizePipe, SecondsPipe, formatCents } from '../../shared/format';
import { Notifier } from '../../shared/notifier';
import { StateBadge } from '../../shared/state-badge';
import { StatePanel } from '../../shared/state-panel';
import { groupByWave } from '../jobs/job-detail';
import type { CreditData } from './dialogs/credit-dialog';
import { CreditDialog } from './dialogs/credit-dialog';
import type { SellData } from './dialogs/sell-dialog';
import { SellDialog } from './dialogs/sell-dialog';

/** How often a lead's page re-reads itself while the tab is visible (a sale completes on its own). */
export const LEAD_REFRESH_MS = 10_000;

/** A sale in these states can still be sold by an operator. */
const FOR_SALE: readonly LeadSaleState[] = ['NEW', 'DISPATCHING', 'OFFERED', 'UNSOLD'];
/** A sale in these states was paid for and can be credited. */
const SOLD: readonly LeadSaleState[] = ['ASSIGNED', 'COMPLETED'];
/** Credits that took (or are taking) money back: what is left to credit excludes them. */
const COUNTED: readonly LeadCredit['status'][] = ['approved', 'credited'];

/** Seconds from the offer to the plumber's answer; null while they have not answered. */
export function responseSeconds(offer: Pick<LeadOffer, 'sentAt' | 'respondedAt'>): number | null {
  if (!offer.respondedAt) return null;
  return Math.max(0, (Date.parse(offer.respondedAt) - Date.parse(offer.sentAt)) / 1000);
}

/** What can still be credited on a lead: the price less the credits approved or refunded. */
export function creditLeft(priceCents: number, credits: readonly LeadCredit[]): number {
  const taken = credits
    .filter((credit) => COUNTED.includes(credit.status))
    .reduce((sum, credit) => sum + credit.amountCents, 0);
  return Math.max(priceCents - taken, 0);
}

export interface LeadEvent {
  /** Intake's status (lowercase) or dispatch's sale state (uppercase). */
  state: string;
  at: string;
  cause: string;
  actor: string;
  by: 'intake' | 'dispatch';
}

/** Intake's steps and dispatch's sale steps in one list, newest first. */
export function leadEvents(lead: LeadDetail): LeadEvent[] {
  const events: LeadEvent[] = [
    ...lead.timeline.map((entry) => ({ ...entry, state: entry.status, by: 'intake' as const })),
    ...(lead.sale?.timeline ?? []).map((entry) => ({ ...entry, by: 'dispatch' as const })),
  ];
  // Entries with the same time keep their recorded order, reversed.
  return events.reverse().sort((a, b) => b.at.localeCompare(a.at));
}

/** A plumber's id as an actor reads as their name (offers and the buyer); operators and services as they are. */
function actorNames(lead: LeadDetail | null): (actor: string) => string {
  const names = new Map<string, string>();
  for (const offer of lead?.offers ?? []) names.set(offer.plumberId, offer.plumberName);
  const buyer = lead?.sale?.buyer;
  if (buyer) names.set(buyer.id, buyer.name);
  return (actor) => names.get(actor) ?? actor;
}

@Component({
  selector: 'app-lead-detail',
  imports: [
    CentsPipe,
    DatePipe,
    HumanizePipe,
    MatButtonModule,
    MatCardModule,
    MatIconModule,
    MatProgressBarModule,
    RouterLink,
    SecondsPipe,
    StateBadge,
    StatePanel,
  ],
  templateUrl: './lead-detail.html',
  styleUrl: './lead-detail.scss',
})
export class LeadDetailPage {
  private readonly api = inject(AdminApi);
  private readonly dialog = inject(MatDialog);
  private readonly notifier = inject(Notifier);

  /** Route parameter `:id`. */
  readonly id = input.required<string>();

  protected readonly urgencyLabels = LEAD_URGENCY_LABELS;
  protected readonly reasonLabels = CREDIT_REASON_LABELS;
  protected readonly channelLabels = CREDIT_CHANNEL_LABELS;
  protected readonly responseSeconds = responseSeconds;

  protected readonly lead = signal<LeadDetail | null>(null);
  protected readonly loading = signal(false);
  protected readonly error = signal<string | null>(null);
  /** An action is in flight: the action buttons wait for it. */
  protected readonly busy = signal(false);

  protected readonly credits = signal<LeadCredit[]>([]);
  protected readonly creditsLoading = signal(false);
  protected readonly creditsError = signal<string | null>(null);
  protected readonly creditsLoaded = signal(false);

  private readonly partners = toSignal(
    this.api.leadPartners().pipe(catchError(() => of<LeadPartnerRef[]>([]))),
    { initialValue: [] },
  );

  protected readonly label = computed(() => {
    const lead = this.lead();
    if (!lead) return 'Lead';
    return lead.sale ? `Lead ${lead.sale.code}` : `Lead of ${lead.firstName} ${lead.lastName}`;
  });
  protected readonly source = computed(() => {
    const lead = this.lead();
    if (!lead) return '';
    if (lead.source === 'form') return 'Web form';
    const name = this.partners().find((partner) => partner.id === lead.partnerId)?.name;
    return `Partner ${name ?? lead.partnerId ?? ''}`.trim();
  });
  protected readonly waves = computed(() => groupByWave(this.lead()?.offers ?? []));
  protected readonly events = computed(() => {
    const lead = this.lead();
    return lead ? leadEvents(lead) : [];
  });
  protected readonly actorName = computed(() => actorNames(this.lead()));
  protected readonly messages = computed(() =>
    [...(this.lead()?.messages ?? [])].sort((a, b) => b.createdAt.localeCompare(a.createdAt)),
  );
  protected readonly left = computed(() => creditLeft(this.lead()?.priceCents ?? 0, this.credits()));
  protected readonly creditedCents = computed(() => (this.lead()?.priceCents ?? 0) - this.left());

  protected readonly canSell = computed(() => {
    const lead = this.lead();
    return !!lead?.sale && !lead.test && FOR_SALE.includes(lead.sale.state);
  });
  protected readonly canComplete = computed(() => this.lead()?.sale?.state === 'ASSIGNED');
  protected readonly canCredit = computed(() => {
    const state = this.lead()?.sale?.state;
    return !!state && SOLD.includes(state) && this.creditsLoaded() && this.left() > 0;
  });

  private request: Subscription | undefined;
  private creditsRequest: Subscription | undefined;

  constructor() {
    effect(() => {
      const id = this.id();
      untracked(() => {
        this.load(id);
        this.loadCredits(id);
      });
    });

    interval(LEAD_REFRESH_MS)
      .pipe(
        filter(
          () => document.visibilityState !== 'hidden' && !this.busy() && !this.loading() && !!this.lead(),
        ),
        // A failed refresh keeps what is on screen; the next tick tries again.
        switchMap(() => this.api.lead(this.id()).pipe(catchError(() => EMPTY))),
        takeUntilDestroyed(),
      )
      .subscribe((lead) => {
        this.lead.set(lead);
        // An approved credit is being refunded: read it again until it says how that went.
        if (this.credits().some((credit) => credit.status === 'approved')) this.loadCredits();
      });
    inject(DestroyRef).onDestroy(() => {
      this.request?.unsubscribe();
      this.creditsRequest?.unsubscribe();
    });
  }

  protected load(id = this.id()): void {
    this.request?.unsubscribe();
    this.loading.set(true);
    this.error.set(null);
    this.request = this.api.lead(id).subscribe({
      next: (lead) => {
        this.lead.set(lead);
        this.loading.set(false);
      },
      error: (error: unknown) => {
        this.loading.set(false);
        this.error.set(apiErrorMessage(error));
      },
    });
  }

  protected loadCredits(id = this.id()): void {
    this.creditsRequest?.unsubscribe();
    this.creditsLoading.set(true);
    this.creditsError.set(null);
    this.creditsRequest = this.api.credits({ leadId: id, limit: 100 }).subscribe({
      next: (page) => {
        this.credits.set(page.items);
        this.creditsLoading.set(false);
        this.creditsLoaded.set(true);
      },
      error: (error: unknown) => {
        this.creditsLoading.set(false);
        this.creditsError.set(apiErrorMessage(error));
      },
    });
  }

  protected sell(): void {
    const lead = this.lead();
    if (!lead) return;
    this.dialog
      .open<SellDialog, SellData, PlumberForLead>(SellDialog, {
        data: {
          leadId: lead.id,
          leadLabel: this.label(),
          serviceName: lead.serviceName,
          zipCode: lead.zipCode,
          priceCents: lead.priceCents,
        },
        width: '560px',
        autoFocus: 'input',
      })
      .afterClosed()
      .subscribe((plumber) => {
        if (!plumber) return;
        this.busy.set(true);
        this.api.sellLead(lead.id, plumber.plumberId).subscribe({
          next: (updated) => {
            this.lead.set(updated);
            this.busy.set(false);
            this.notifier.info(`Charging ${plumber.name}'s card for ${formatCents(lead.priceCents)}.`);
          },
          error: (error: unknown) => this.failed(error),
        });
      });
  }

  protected complete(): void {
    const lead = this.lead();
    if (!lead) return;
    const buyer = lead.sale?.buyer?.name;
    this.dialog
      .open<ConfirmDialog, ConfirmData, boolean>(ConfirmDialog, {
        data: {
          title: `Mark ${this.label()} completed?`,
          message: buyer
            ? `Use this when ${buyer} did the work (they can also text DONE ${lead.sale?.code ?? ''}).`
            : 'Use this when the plumber did the work.',
          confirm: 'Mark completed',
        },
        width: '440px',
      })
      .afterClosed()
      .subscribe((confirmed) => {
        if (!confirmed) return;
        this.busy.set(true);
        this.api.completeLead(lead.id).subscribe({
          next: (updated) => {
            this.lead.set(updated);
            this.busy.set(false);
            this.notifier.info('Lead marked completed.');
          },
          error: (error: unknown) => this.failed(error),
        });
      });
  }

  protected credit(): void {
    const lead = this.lead();
    if (!lead) return;
    this.dialog
      .open<CreditDialog, CreditData, NewLeadCredit>(CreditDialog, {
        data: {
          leadLabel: this.label(),
          buyerName: lead.sale?.buyer?.name ?? 'The buyer',
          priceCents: lead.priceCents,
          leftCents: this.left(),
        },
        width: '480px',
      })
      .afterClosed()
      .subscribe((request) => {
        if (!request) return;
        this.busy.set(true);
        this.api.creditLead(lead.id, request).subscribe({
          next: (credit) => {
            this.busy.set(false);
            this.credits.update((credits) => [credit, ...credits.filter((c) => c.id !== credit.id)]);
            this.notifier.info(`Credit of ${formatCents(credit.amountCents)} ${credit.status}.`);
            this.load(lead.id);
          },
          error: (error: unknown) => this.failed(error),
        });
      });
  }

  private failed(error: unknown): void {
    this.busy.set(false);
    this.notifier.error(error);
  }
}
