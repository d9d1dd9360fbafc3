import { DecimalPipe } from '@angular/common';
import { Component, computed, inject, signal } from '@angular/core';
import { takeUntilDestroyed } from '@angular/core/rxjs-interop';
import { MatAutocompleteModule } from '@angular/material/autocomplete';
import type { MatAutocompleteSelectedEvent } from '@angular/material/autocomplete';
import { MatButtonModule } from '@angular/material/button';
import { MAT_DIALOG_DATA, MatDialogModule, MatDialogRef } from '@angular/material/dialog';
import { MatFormFieldModule } from '@angular/material/form-field';
import { MatIconModule } from '@angular/material/icon';
import { MatInputModule } from '@angular/material/input';
import { MatProgressBarModule } from '@angular/material/progress-bar';
import {
  Subject,
  catchError,
  debounceTime,
  distinctUntilChanged,
  map,
  of,
  startWith,
  switchMap,
  tap,
} from 'rxjs';

import { AdminApi } from '../../../core/admin-api';
import { apiErrorMessage } from '../../../core/api-error';
import type { CapKind, CardStatus, PlumberForLead } from '../../../core/api-types';
import { CentsPipe } from '../../../shared/format';

export interface SellData {
  leadId: string;
  /** "Lead 4821" or the homeowner's name. */
  leadLabel: string;
  serviceName: string;
  zipCode: string;
  priceCents: number;
}

const CAP_LABELS: Record<CapKind, string> = {
  daily: 'daily lead cap',
  weekly: 'weekly lead cap',
  monthly: 'monthly lead cap',
  monthly_spend: 'monthly spend cap',
};

export const CARD_LABELS: Record<CardStatus, string> = {
  saved: 'Card on file',
  none: 'No card on file',
  needs_update: 'Card needs updating',
};

/** Why a plumber cannot buy a lead now (the sale would be refused); empty when they can. */
export function blockers(plumber: PlumberForLead): string[] {
  const reasons: string[] = [];
  if (plumber.status !== 'active') reasons.push(`Their account is ${plumber.status}.`);
  if (plumber.cardStatus === 'none') reasons.push('They have no card on file to charge.');
  if (plumber.cardStatus === 'needs_update') reasons.push('Their card failed and needs updating.');
  const cap = plumber.usage?.atCap;
  if (cap) reasons.push(`They are at their ${CAP_LABELS[cap]}.`);
  return reasons;
}

/** What the operator should know before selling to a plumber who can buy (the sale still goes through). */
export function warnings(plumber: PlumberForLead): string[] {
  const notes: string[] = [];
  if (!plumber.covers) notes.push("The lead's ZIP is outside their coverage.");
  if (!plumber.buysService) notes.push('They do not list this service.');
  if (!plumber.available) notes.push('They paused their lead offers.');
  return notes;
}

/**
 * Sell a lead to a named plumber: an autocomplete of the plumbers who could buy it (those who cover it
 * and buy its service first), then a summary to confirm. Closes with the chosen plumber.
 */
@Component({
  selector: 'app-sell-dialog',
  imports: [
    CentsPipe,
    DecimalPipe,
    MatAutocompleteModule,
    MatButtonModule,
    MatDialogModule,
    MatFormFieldModule,
    MatIconModule,
    MatInputModule,
    MatProgressBarModule,
  ],
  template: `
    <h2 mat-dialog-title>Sell {{ data.leadLabel }}</h2>
    <mat-dialog-content>
      <p class="muted">
        {{ data.serviceName }} in {{ data.zipCode }}. The plumber's card is charged
        {{ data.priceCents | cents }} now and they get the homeowner's details when it goes through.
      </p>
      <mat-form-field appearance="outline" subscriptSizing="dynamic" class="search">
        <mat-label>Plumber</mat-label>
        <mat-icon matPrefix aria-hidden="true">search</mat-icon>
        <input
          matInput
          #query
          type="search"
          placeholder="Name, phone or email"
          [matAutocomplete]="auto"
          (input)="search.next(query.value)"
        />
        <mat-autocomplete
          #auto="matAutocomplete"
          [displayWith]="nameOf"
          (optionSelected)="selected($event)"
          class="plumber-options"
        >
          @for (plumber of results(); track plumber.plumberId) {
            <mat-option [value]="plumber" [disabled]="blockers(plumber).length > 0">
              <span class="option-name">{{ plumber.name }}</span>
              <span class="option-line">
                {{ plumber.distanceKm | number: '1.0-1' }} km · {{ cardLabels[plumber.cardStatus] }} ·
                {{ plumber.covers ? 'Covers the ZIP' : 'Outside coverage' }} ·
                {{ plumber.buysService ? 'Buys this service' : 'Not their service' }}
                @if (plumber.usage?.atCap) {
                  · At cap
                }
              </span>
              @if (blockers(plumber)[0]; as why) {
                <span class="option-line why">{{ why }}</span>
              }
            </mat-option>
          }
        </mat-autocomplete>
      </mat-form-field>
      @if (loading()) {
        <mat-progress-bar mode="indeterminate" aria-label="Searching plumbers" />
      }
      @if (error(); as error) {
        <p class="error" role="alert">{{ error }}</p>
      } @else if (!loading() && results().length === 0) {
        <p class="muted">No plumber matches.</p>
      }

      @if (chosen(); as plumber) {
        <section class="chosen" aria-label="Chosen plumber">
          <h3>{{ plumber.name }}</h3>
          <p class="muted">
            {{ plumber.phone }} · {{ plumber.distanceKm | number: '1.0-1' }} km away ·
            {{ cardLabels[plumber.cardStatus] }}
          </p>
          @for (why of chosenBlockers(); track why) {
            <p class="error"><mat-icon aria-hidden="true">block</mat-icon>{{ why }}</p>
          }
          @for (note of chosenWarnings(); track note) {
            <p class="warning"><mat-icon aria-hidden="true">warning</mat-icon>{{ note }}</p>
          }
        </section>
      }
    </mat-dialog-content>
    <mat-dialog-actions align="end">
      <button matButton type="button" mat-dialog-close>Keep as is</button>
      <button matButton="filled" type="button" [disabled]="!canSell()" (click)="confirm()">
        @if (chosen(); as plumber) {
          Sell to {{ plumber.name }} for {{ data.priceCents | cents }}
        } @else {
          Sell
        }
      </button>
    </mat-dialog-actions>
  `,
  styles: `
    .search {
      width: 100%;
    }
    .option-name {
      display: block;
      font-weight: 500;
    }
    .option-line {
      display: block;
      font: var(--mat-sys-body-small);
      color: var(--mat-sys-on-surface-variant);
    }
    .why {
      color: var(--mat-sys-error);
    }
    .chosen {
      margin-top: 16px;
      padding: 12px 16px;
      border-radius: var(--mat-sys-corner-medium);
      background: var(--mat-sys-surface-container);
      h3 {
        margin: 0;
        font: var(--mat-sys-title-small);
      }
      p {
        display: flex;
        align-items: center;
        gap: 6px;
        margin: 4px 0 0;
      }
      mat-icon {
        font-size: 18px;
        width: 18px;
        height: 18px;
      }
    }
    .error {
      color: var(--mat-sys-error);
    }
  `,
})
export class SellDialog {
  protected readonly data = inject<SellData>(MAT_DIALOG_DATA);
  private readonly dialog = inject<MatDialogRef<SellDialog, PlumberForLead>>(MatDialogRef);
  private readonly api = inject(AdminApi);

  protected readonly cardLabels = CARD_LABELS;
  protected readonly blockers = blockers;
  protected readonly search = new Subject<string>();
  protected readonly results = signal<PlumberForLead[]>([]);
  protected readonly loading = signal(false);
  protected readonly error = signal<string | null>(null);
  protected readonly chosen = signal<PlumberForLead | null>(null);
  protected readonly chosenBlockers = computed(() => {
    const plumber = this.chosen();
    return plumber ? blockers(plumber) : [];
  });
  protected readonly chosenWarnings = computed(() => {
    const plumber = this.chosen();
    return plumber ? warnings(plumber) : [];
  });
  protected readonly canSell = computed(() => !!this.chosen() && this.chosenBlockers().length === 0);

  protected readonly nameOf = (plumber: PlumberForLead | string | null): string =>
    typeof plumber === 'string' ? plumber : (plumber?.name ?? '');

  constructor() {
    this.search
      .pipe(
        map((q) => q.trim()),
        debounceTime(250),
        startWith(''),
        distinctUntilChanged(),
        tap(() => {
          this.loading.set(true);
          this.error.set(null);
        }),
        switchMap((q) =>
          this.api.plumbersForLead(this.data.leadId, q).pipe(
            catchError((error: unknown) => {
              this.error.set(apiErrorMessage(error));
              return of<PlumberForLead[]>([]);
            }),
          ),
        ),
        takeUntilDestroyed(),
      )
      .subscribe((plumbers) => {
        this.loading.set(false);
        this.results.set(plumbers);
      });
  }

  protected selected(event: MatAutocompleteSelectedEvent): void {
    const value: unknown = event.option.value;
    this.chosen.set(this.results().find((plumber) => plumber === value) ?? null);
  }

  protected confirm(): void {
    const chosen = this.chosen();
    if (chosen && this.canSell()) this.dialog.close(chosen);
  }
}
