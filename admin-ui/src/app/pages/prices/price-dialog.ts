import { Component, inject, signal } from '@angular/core';
import type { AbstractControl, ValidationErrors } from '@angular/forms';
import { NonNullableFormBuilder, ReactiveFormsModule, Validators } from '@angular/forms';
import { MatButtonModule } from '@angular/material/button';
import { MAT_DIALOG_DATA, MatDialogModule, MatDialogRef } from '@angular/material/dialog';
import { MatFormFieldModule } from '@angular/material/form-field';
import { MatIconModule } from '@angular/material/icon';
import { MatInputModule } from '@angular/material/input';
import { MatProgressBarModule } from '@angular/material/progress-bar';
import { MatSelectModule } from '@angular/material/select';

import { AdminApi } from '../../core/admin-api';
import { apiErrorMessage } from '../../core/api-error';
import type { LeadPrice, LeadService, LeadUrgency } from '../../core/api-types';
import { LEAD_URGENCIES } from '../../core/api-types';
import { centsToDollarsText, parseDollars } from '../../shared/format';
import { URGENCY_LABELS } from './urgency';

export interface PriceDialogData {
  services: readonly LeadService[];
  /** Present: change this ZIP-prefix price (its service, urgency and prefix stay). */
  price?: LeadPrice;
  /** A new ZIP price starts with these picked. */
  serviceCode?: string;
  urgency?: LeadUrgency;
}

/** Most a lead may cost, in cents (the contract's bound). */
const MAX_PRICE_CENTS = 1_000_000;

function priceValidator(control: AbstractControl<string>): ValidationErrors | null {
  if (!control.value.trim()) return { required: true };
  const cents = parseDollars(control.value);
  if (cents === null) return { amount: true };
  return cents > MAX_PRICE_CENTS ? { max: true } : null;
}

/** Adds or changes a ZIP-prefix price; closes with the saved price. */
@Component({
  selector: 'app-price-dialog',
  imports: [
    MatButtonModule,
    MatDialogModule,
    MatFormFieldModule,
    MatIconModule,
    MatInputModule,
    MatProgressBarModule,
    MatSelectModule,
    ReactiveFormsModule,
  ],
  template: `
    <h2 mat-dialog-title>{{ existing ? 'Change ZIP price' : 'New ZIP price' }}</h2>
    <form [formGroup]="form" (ngSubmit)="submit()" novalidate>
      <mat-dialog-content>
        <p class="muted">
          Leads whose ZIP code starts with the prefix cost this instead of the base price; the longest
          matching prefix wins. Applies to leads accepted from now on.
        </p>
        @if (saving()) {
          <mat-progress-bar mode="indeterminate" aria-label="Saving" />
        }
        @if (error(); as error) {
          <p class="error" role="alert">
            <mat-icon aria-hidden="true">error</mat-icon>
            {{ error }}
          </p>
        }
        <div class="fields">
          <mat-form-field appearance="outline">
            <mat-label>Service</mat-label>
            <mat-select formControlName="serviceCode" required>
              @for (service of data.services; track service.code) {
                <mat-option [value]="service.code">{{ service.name }}</mat-option>
              }
            </mat-select>
            @if (form.controls.serviceCode.hasError('required')) {
              <mat-error>Pick a service.</mat-error>
            }
          </mat-form-field>
          <mat-form-field appearance="outline">
            <mat-label>Urgency</mat-label>
            <mat-select formControlName="urgency" required>
              @for (urgency of urgencies; track urgency) {
                <mat-option [value]="urgency">{{ urgencyLabels[urgency] }}</mat-option>
              }
            </mat-select>
          </mat-form-field>
          <mat-form-field appearance="outline">
            <mat-label>ZIP prefix</mat-label>
            <input
              matInput
              formControlName="zipPrefix"
              inputmode="numeric"
              maxlength="5"
              autocomplete="off"
              required
            />
            <mat-hint>1 to 5 digits, e.g. 941 for San Francisco</mat-hint>
            @if (form.controls.zipPrefix.hasError('required')) {
              <mat-error>Enter the first digits of the ZIP codes.</mat-error>
            } @else if (form.controls.zipPrefix.hasError('pattern')) {
              <mat-error>1 to 5 digits.</mat-error>
            }
          </mat-form-field>
          <mat-form-field appearance="outline" floatLabel="always">
            <mat-label>Price (USD)</mat-label>
            <span matTextPrefix>$&nbsp;</span>
            <input matInput formControlName="price" inputmode="decimal" autocomplete="off" required />
            @if (form.controls.price.hasError('required')) {
              <mat-error>Enter the price of a lead.</mat-error>
            } @else if (form.controls.price.hasError('amount')) {
              <mat-error>Enter an amount like 45 or 45.50.</mat-error>
            } @else if (form.controls.price.hasError('max')) {
              <mat-error>At most $10,000.</mat-error>
            }
          </mat-form-field>
        </div>
      </mat-dialog-content>
      <mat-dialog-actions align="end">
        <button matButton type="button" mat-dialog-close>Cancel</button>
        <button matButton="filled" type="submit" [disabled]="saving()">
          {{ existing ? 'Save' : 'Add price' }}
        </button>
      </mat-dialog-actions>
    </form>
  `,
  styles: `
    .fields {
      display: grid;
      grid-template-columns: repeat(2, minmax(0, 1fr));
      gap: 4px 16px;
      padding-top: 8px;

      @media (max-width: 599.98px) {
        grid-template-columns: minmax(0, 1fr);
      }
    }
    .error {
      display: flex;
      align-items: center;
      gap: 8px;
      padding: 8px 12px;
      border-radius: var(--mat-sys-corner-small);
      background: var(--mat-sys-error-container);
      color: var(--mat-sys-on-error-container);
    }
  `,
})
export class PriceDialog {
  protected readonly data = inject<PriceDialogData>(MAT_DIALOG_DATA);
  private readonly dialog = inject<MatDialogRef<PriceDialog, LeadPrice>>(MatDialogRef);
  private readonly api = inject(AdminApi);
  protected readonly existing = this.data.price;

  protected readonly urgencies = LEAD_URGENCIES;
  protected readonly urgencyLabels = URGENCY_LABELS;
  protected readonly saving = signal(false);
  protected readonly error = signal<string | null>(null);

  protected readonly form = inject(NonNullableFormBuilder).group({
    serviceCode: [
      { value: this.existing?.serviceCode ?? this.data.serviceCode ?? '', disabled: !!this.existing },
      Validators.required,
    ],
    urgency: [
      {
        value: this.existing?.urgency ?? this.data.urgency ?? ('day' as LeadUrgency),
        disabled: !!this.existing,
      },
      Validators.required,
    ],
    zipPrefix: [
      { value: this.existing?.zipPrefix ?? '', disabled: !!this.existing },
      [Validators.required, Validators.pattern(/^\d{1,5}$/)],
    ],
    price: [this.existing ? centsToDollarsText(this.existing.priceCents) : '', priceValidator],
  });

  protected submit(): void {
    if (this.form.invalid) {
      this.form.markAllAsTouched();
      return;
    }
    const value = this.form.getRawValue();
    const priceCents = parseDollars(value.price);
    if (priceCents === null) return;
    this.saving.set(true);
    this.error.set(null);
    this.api
      .setLeadPrice({
        serviceCode: value.serviceCode,
        urgency: value.urgency,
        zipPrefix: value.zipPrefix,
        priceCents,
      })
      .subscribe({
        next: (price) => this.dialog.close(price),
        error: (error: unknown) => {
          this.saving.set(false);
          this.error.set(apiErrorMessage(error));
        },
      });
  }
}
