import { DatePipe } from '@angular/common';
import { Component, DestroyRef, computed, effect, inject, input, signal, untracked } from '@angular/core';
import { MatButtonModule } from '@angular/material/button';
import { MatCardModule } from '@angular/material/card';
import { MatDialog } from '@angular/material/dialog';
import { MatFormFieldModule } from '@angular/material/form-field';
import { MatIconModule } from '@angular/material/icon';
import { MatProgressBarModule } from '@angular/material/progress-bar';
import { MatSelectModule } from '@angular/material/select';
import { MatTooltipModule } from '@angular/material/tooltip';
import { RouterLink } from '@angular/router';
import type { Subscription } from 'rxjs';

import { AdminApi } from '../../core/admin-api';
import { apiErrorMessage } from '../../core/api-error';
import type {
  CreatedPartnerKey,
  Partner,
  PartnerKey,
  PartnerStats,
  WebhookDelivery,
  WebhookDeliveryStatus,
} from '../../core/api-types';
import type { ConfirmData } from '../../shared/confirm-dialog';
import { ConfirmDialog } from '../../shared/confirm-dialog';
import { CursorList } from '../../shared/cursor-list';
import { CentsPipe, HumanizePipe } from '../../shared/format';
import { Notifier } from '../../shared/notifier';
import { StateBadge } from '../../shared/state-badge';
import { StatePanel } from '../../shared/state-panel';
import type { KeyDialogData } from './dialogs/key-dialog';
import { KeyDialog } from './dialogs/key-dialog';
import type { PartnerDialogData } from './dialogs/partner-dialog';
import { PartnerDialog } from './dialogs/partner-dialog';
import type { SecretDialogData } from './dialogs/secret-dialog';
import { SecretDialog } from './dialogs/secret-dialog';

export type StatsPeriod = '7' | '30' | '90' | 'all';

export const STATS_PERIODS: readonly { value: StatsPeriod; label: string }[] = [
  { value: '7', label: 'Last 7 days' },
  { value: '30', label: 'Last 30 days' },
  { value: '90', label: 'Last 90 days' },
  { value: 'all', label: 'All time' },
];

/** The `from` of a period ending now; none for all time. */
export function periodStart(period: StatsPeriod, now: Date): string | undefined {
  if (period === 'all') return undefined;
  return new Date(now.getTime() - Number(period) * 86_400_000).toISOString();
}

type StatsState =
  { status: 'loading' } | { status: 'ok'; stats: PartnerStats } | { status: 'error'; message: string };

@Component({
  selector: 'app-partner-detail',
  imports: [
    CentsPipe,
    DatePipe,
    HumanizePipe,
    MatButtonModule,
    MatCardModule,
    MatFormFieldModule,
    MatIconModule,
    MatProgressBarModule,
    MatSelectModule,
    MatTooltipModule,
    RouterLink,
    StateBadge,
    StatePanel,
  ],
  templateUrl: './partner-detail.html',
  styleUrl: './partner-detail.scss',
})
export class PartnerDetailPage {
  private readonly api = inject(AdminApi);
  private readonly dialog = inject(MatDialog);
  private readonly notifier = inject(Notifier);

  /** Route parameter `:id`. */
  readonly id = input.required<string>();

  protected readonly partner = signal<Partner | null>(null);
  protected readonly loading = signal(false);
  protected readonly error = signal<string | null>(null);
  /** An action on the partner is in flight. */
  protected readonly busy = signal(false);

  protected readonly keys = computed(() =>
    [...(this.partner()?.keys ?? [])].sort((a, b) => b.createdAt.localeCompare(a.createdAt)),
  );

  protected readonly periods = STATS_PERIODS;
  protected readonly period = signal<StatsPeriod>('30');
  protected readonly stats = signal<StatsState>({ status: 'loading' });

  protected readonly deliveryStatus = signal<WebhookDeliveryStatus | 'any'>('any');
  protected readonly deliveries = new CursorList<WebhookDelivery>((page) => {
    const status = this.deliveryStatus();
    return this.api.partnerDeliveries(this.id(), { ...page, ...(status === 'any' ? {} : { status }) });
  }, 25);
  /** Deliveries being sent again. */
  protected readonly retrying = signal<ReadonlySet<string>>(new Set());

  private request: Subscription | undefined;
  private statsRequest: Subscription | undefined;

  constructor() {
    effect(() => {
      const id = this.id();
      untracked(() => this.load(id));
    });
    effect(() => {
      const id = this.id();
      const period = this.period();
      untracked(() => this.loadStats(id, period));
    });
    effect(() => {
      this.id();
      this.deliveryStatus();
      untracked(() => this.deliveries.reload());
    });
    inject(DestroyRef).onDestroy(() => {
      this.request?.unsubscribe();
      this.statsRequest?.unsubscribe();
    });
  }

  protected load(id = this.id(), quiet = false): void {
    this.request?.unsubscribe();
    if (!quiet) {
      this.loading.set(true);
      this.error.set(null);
    }
    this.request = this.api.partner(id).subscribe({
      next: (partner) => {
        this.partner.set(partner);
        this.loading.set(false);
      },
      error: (error: unknown) => {
        this.loading.set(false);
        if (quiet) this.notifier.error(error);
        else this.error.set(apiErrorMessage(error));
      },
    });
  }

  protected loadStats(id = this.id(), period = this.period()): void {
    this.statsRequest?.unsubscribe();
    this.stats.set({ status: 'loading' });
    const from = periodStart(period, new Date());
    this.statsRequest = this.api.partnerStats(id, from ? { from } : {}).subscribe({
      next: (stats) => this.stats.set({ status: 'ok', stats }),
      error: (error: unknown) => this.stats.set({ status: 'error', message: apiErrorMessage(error) }),
    });
  }

  protected edit(): void {
    const partner = this.partner();
    if (!partner) return;
    this.dialog
      .open<PartnerDialog, PartnerDialogData, Partner>(PartnerDialog, {
        data: { partner },
        width: '640px',
        maxWidth: '95vw',
      })
      .afterClosed()
      .subscribe((saved) => {
        if (!saved) return;
        this.partner.set(saved);
        this.notifier.info(`${saved.name} saved.`);
      });
  }

  protected setStatus(status: Partner['status']): void {
    const partner = this.partner();
    if (!partner) return;
    const suspend = status === 'suspended';
    const data: ConfirmData = suspend
      ? {
          title: `Suspend ${partner.name}?`,
          message:
            'Its API keys stop working at once: every lead it posts is refused until it is reactivated. Leads already taken are not affected.',
          confirm: 'Suspend',
          destructive: true,
        }
      : {
          title: `Reactivate ${partner.name}?`,
          message: 'Its keys that are not revoked work again at once.',
          confirm: 'Reactivate',
        };
    this.confirm(data, () => {
      this.busy.set(true);
      this.api.updatePartner(partner.id, { status }).subscribe({
        next: (saved) => {
          this.busy.set(false);
          this.partner.set(saved);
          this.notifier.info(`${saved.name} is ${suspend ? 'suspended' : 'active again'}.`);
        },
        error: (error: unknown) => {
          this.busy.set(false);
          this.notifier.error(error);
        },
      });
    });
  }

  protected issueKey(): void {
    const partner = this.partner();
    if (!partner) return;
    this.dialog
      .open<KeyDialog, KeyDialogData, CreatedPartnerKey>(KeyDialog, {
        data: { partnerId: partner.id, partnerName: partner.name },
        width: '560px',
        maxWidth: '95vw',
      })
      .afterClosed()
      .subscribe((key) => {
        if (!key) return;
        this.load(partner.id, true);
      });
  }

  protected revoke(key: PartnerKey): void {
    const partner = this.partner();
    if (!partner) return;
    this.confirm(
      {
        title: `Revoke key ${key.name ?? key.prefix}?`,
        message: `Leads posted with the key starting ${key.prefix} are refused from now on. This cannot be undone; issue a new key if the partner still needs one.`,
        confirm: 'Revoke key',
        destructive: true,
      },
      () => {
        this.busy.set(true);
        this.api.revokePartnerKey(partner.id, key.id).subscribe({
          next: () => {
            this.busy.set(false);
            this.notifier.info(`Key ${key.name ?? key.prefix} revoked.`);
            this.load(partner.id, true);
          },
          error: (error: unknown) => {
            this.busy.set(false);
            this.notifier.error(error);
          },
        });
      },
    );
  }

  protected rotateSecret(): void {
    const partner = this.partner();
    if (!partner) return;
    this.confirm(
      {
        title: 'Rotate the webhook signing secret?',
        message: partner.webhookSecretSet
          ? 'The current secret stops signing at once: the partner must switch to the new one, or it will reject the next webhooks.'
          : 'A secret is made to sign every webhook; the partner verifies signatures with it.',
        confirm: partner.webhookSecretSet ? 'Rotate secret' : 'Make secret',
        destructive: partner.webhookSecretSet,
      },
      () => {
        this.busy.set(true);
        this.api.rotateWebhookSecret(partner.id).subscribe({
          next: ({ secret }) => {
            this.busy.set(false);
            this.partner.update((current) => (current ? { ...current, webhookSecretSet: true } : current));
            this.dialog.open<SecretDialog, SecretDialogData>(SecretDialog, {
              data: { partnerName: partner.name, secret },
              width: '560px',
              maxWidth: '95vw',
              disableClose: true,
            });
          },
          error: (error: unknown) => {
            this.busy.set(false);
            this.notifier.error(error);
          },
        });
      },
    );
  }

  protected retry(delivery: WebhookDelivery): void {
    this.retrying.update((ids) => new Set([...ids, delivery.id]));
    const done = (): void =>
      this.retrying.update((ids) => new Set([...ids].filter((other) => other !== delivery.id)));
    this.api.retryDelivery(delivery.partnerId, delivery.id).subscribe({
      next: (saved) => {
        done();
        this.deliveries.items.update((items) => items.map((item) => (item.id === saved.id ? saved : item)));
        this.notifier.info(
          saved.status === 'delivered' ? 'Delivered.' : 'Sent again; the partner has not accepted it yet.',
        );
      },
      error: (error: unknown) => {
        done();
        this.notifier.error(error);
      },
    });
  }

  private confirm(data: ConfirmData, then: () => void): void {
    this.dialog
      .open<ConfirmDialog, ConfirmData, boolean>(ConfirmDialog, { data, width: '440px' })
      .afterClosed()
      .subscribe((confirmed) => {
        if (confirmed) then();
      });
  }
}
