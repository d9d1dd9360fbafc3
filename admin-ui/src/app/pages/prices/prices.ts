import { DatePipe } from '@angular/common';
import type { ElementRef } from '@angular/core';
import { Component, DestroyRef, computed, effect, inject, signal, viewChild } from '@angular/core';
import { MatButtonModule } from '@angular/material/button';
import { MatDialog } from '@angular/material/dialog';
import { MatFormFieldModule } from '@angular/material/form-field';
import { MatIconModule } from '@angular/material/icon';
import { MatInputModule } from '@angular/material/input';
import { MatProgressBarModule } from '@angular/material/progress-bar';
import { MatSelectModule } from '@angular/material/select';
import { MatTooltipModule } from '@angular/material/tooltip';
import type { Subscription } from 'rxjs';

import { AdminApi } from '../../core/admin-api';
import { apiErrorMessage } from '../../core/api-error';
import type { LeadPrice, LeadPriceChange, LeadService, LeadUrgency } from '../../core/api-types';
import { LEAD_URGENCIES } from '../../core/api-types';
import type { ConfirmData } from '../../shared/confirm-dialog';
import { ConfirmDialog } from '../../shared/confirm-dialog';
import { CursorList } from '../../shared/cursor-list';
import { CentsPipe, centsToDollarsText, formatCents, humanize, parseDollars } from '../../shared/format';
import { Notifier } from '../../shared/notifier';
import { StatePanel } from '../../shared/state-panel';
import type { PriceDialogData } from './price-dialog';
import { PriceDialog } from './price-dialog';
import { URGENCY_LABELS } from './urgency';

interface Cell {
  serviceCode: string;
  urgency: LeadUrgency;
}

/** The price table by service (rows) and urgency (columns), base prices only. */
export interface PriceRow {
  service: LeadService;
  base: Partial<Record<LeadUrgency, LeadPrice>>;
  zipPrices: Partial<Record<LeadUrgency, number>>;
}

export function priceGrid(prices: readonly LeadPrice[]): PriceRow[] {
  const rows = new Map<string, PriceRow>();
  for (const price of prices) {
    const row = rows.get(price.serviceCode) ?? {
      service: { code: price.serviceCode, name: price.serviceName },
      base: {},
      zipPrices: {},
    };
    if (price.zipPrefix === null) row.base[price.urgency] = price;
    else row.zipPrices[price.urgency] = (row.zipPrices[price.urgency] ?? 0) + 1;
    rows.set(price.serviceCode, row);
  }
  return [...rows.values()].sort((a, b) => a.service.name.localeCompare(b.service.name));
}

const URGENCY_ORDER: Record<LeadUrgency, number> = { day: 0, week: 1, month: 2 };

@Component({
  selector: 'app-prices',
  imports: [
    CentsPipe,
    DatePipe,
    MatButtonModule,
    MatFormFieldModule,
    MatIconModule,
    MatInputModule,
    MatProgressBarModule,
    MatSelectModule,
    MatTooltipModule,
    StatePanel,
  ],
  templateUrl: './prices.html',
  styleUrl: './prices.scss',
})
export class PricesPage {
  private readonly api = inject(AdminApi);
  private readonly dialog = inject(MatDialog);
  private readonly notifier = inject(Notifier);

  protected readonly urgencies = LEAD_URGENCIES;
  protected readonly urgencyLabels = URGENCY_LABELS;

  protected readonly prices = signal<LeadPrice[] | null>(null);
  protected readonly loading = signal(false);
  protected readonly error = signal<string | null>(null);
  protected readonly busy = signal(false);

  protected readonly rows = computed(() => priceGrid(this.prices() ?? []));
  protected readonly services = computed(() => this.rows().map((row) => row.service));

  protected readonly overrideService = signal<string>('any');
  protected readonly overrideUrgency = signal<LeadUrgency | 'any'>('any');
  protected readonly overrides = computed(() => {
    const service = this.overrideService();
    const urgency = this.overrideUrgency();
    return (this.prices() ?? [])
      .filter(
        (price) =>
          price.zipPrefix !== null &&
          (service === 'any' || price.serviceCode === service) &&
          (urgency === 'any' || price.urgency === urgency),
      )
      .sort(
        (a, b) =>
          a.serviceName.localeCompare(b.serviceName) ||
          URGENCY_ORDER[a.urgency] - URGENCY_ORDER[b.urgency] ||
          (a.zipPrefix ?? '').localeCompare(b.zipPrefix ?? ''),
      );
  });
  protected readonly hasOverrides = computed(() => (this.prices() ?? []).some((p) => p.zipPrefix !== null));

  /** The base price being edited in place, and what is typed. */
  protected readonly editing = signal<Cell | null>(null);
  protected readonly editText = signal('');
  protected readonly editError = signal<string | null>(null);
  private readonly amountInput = viewChild<ElementRef<HTMLInputElement>>('amount');

  protected readonly history = new CursorList<LeadPriceChange>((page) => this.api.leadPriceHistory(page), 25);

  private request: Subscription | undefined;

  constructor() {
    this.load();
    this.history.reload();
    // The price field takes the focus when a cell opens for editing.
    effect(() => this.amountInput()?.nativeElement.focus());
    inject(DestroyRef).onDestroy(() => this.request?.unsubscribe());
  }

  protected load(quiet = false): void {
    this.request?.unsubscribe();
    if (!quiet) {
      this.loading.set(true);
      this.error.set(null);
    }
    this.request = this.api.leadPrices().subscribe({
      next: (prices) => {
        this.prices.set(prices);
        this.loading.set(false);
        this.error.set(null);
      },
      error: (error: unknown) => {
        this.loading.set(false);
        if (quiet) this.notifier.error(error);
        else this.error.set(apiErrorMessage(error));
      },
    });
  }

  protected serviceName(code: string): string {
    return this.services().find((service) => service.code === code)?.name ?? humanize(code);
  }

  protected isEditing(serviceCode: string, urgency: LeadUrgency): boolean {
    const cell = this.editing();
    return cell?.serviceCode === serviceCode && cell.urgency === urgency;
  }

  protected startEdit(serviceCode: string, urgency: LeadUrgency, price: LeadPrice | undefined): void {
    this.editing.set({ serviceCode, urgency });
    this.editText.set(price ? centsToDollarsText(price.priceCents) : '');
    this.editError.set(null);
  }

  protected cancelEdit(): void {
    this.editing.set(null);
    this.editError.set(null);
  }

  /** Saves the base price typed in place, after the operator confirms the change. */
  protected saveEdit(before: LeadPrice | undefined): void {
    const cell = this.editing();
    if (!cell) return;
    const cents = parseDollars(this.editText());
    if (cents === null || cents > 1_000_000) {
      this.editError.set('Enter an amount up to $10,000, like 45 or 45.50.');
      return;
    }
    if (before && cents === before.priceCents) {
      this.cancelEdit();
      return;
    }
    const what = `${this.serviceName(cell.serviceCode)}, ${URGENCY_LABELS[cell.urgency].toLowerCase()}`;
    this.confirm(
      {
        title: 'Change the base price?',
        message: `${what}: ${before ? formatCents(before.priceCents) : 'not set'} → ${formatCents(cents)}. Applies to leads accepted from now on, where no ZIP price applies.`,
        confirm: 'Change price',
      },
      () => {
        this.busy.set(true);
        this.api.setLeadPrice({ ...cell, zipPrefix: null, priceCents: cents }).subscribe({
          next: () => {
            this.busy.set(false);
            this.cancelEdit();
            this.changed(`${what} now costs ${formatCents(cents)}.`);
          },
          error: (error: unknown) => {
            this.busy.set(false);
            this.notifier.error(error);
          },
        });
      },
    );
  }

  protected addZipPrice(): void {
    const service = this.overrideService();
    const urgency = this.overrideUrgency();
    this.openDialog({
      services: this.services(),
      ...(service === 'any' ? {} : { serviceCode: service }),
      ...(urgency === 'any' ? {} : { urgency }),
    });
  }

  protected editZipPrice(price: LeadPrice): void {
    this.openDialog({ services: this.services(), price });
  }

  private openDialog(data: PriceDialogData): void {
    this.dialog
      .open<PriceDialog, PriceDialogData, LeadPrice>(PriceDialog, { data, width: '560px', maxWidth: '95vw' })
      .afterClosed()
      .subscribe((saved) => {
        if (!saved) return;
        this.changed(
          `${saved.serviceName}, ZIP ${saved.zipPrefix ?? ''}…: ${formatCents(saved.priceCents)} ${URGENCY_LABELS[saved.urgency].toLowerCase()}.`,
        );
      });
  }

  protected removeZipPrice(price: LeadPrice): void {
    const zipPrefix = price.zipPrefix;
    if (zipPrefix === null) return;
    this.confirm(
      {
        title: `Remove the ZIP ${zipPrefix}… price?`,
        message: `${price.serviceName}, ${URGENCY_LABELS[price.urgency].toLowerCase()}: leads there cost the base price again (or a shorter prefix's) from now on.`,
        confirm: 'Remove price',
        destructive: true,
      },
      () => {
        this.busy.set(true);
        this.api
          .removeLeadPrice({ serviceCode: price.serviceCode, urgency: price.urgency, zipPrefix })
          .subscribe({
            next: () => {
              this.busy.set(false);
              this.changed(`The ZIP ${zipPrefix}… price is removed.`);
            },
            error: (error: unknown) => {
              this.busy.set(false);
              this.notifier.error(error);
            },
          });
      },
    );
  }

  private changed(message: string): void {
    this.notifier.info(message);
    this.load(true);
    this.history.reload();
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
