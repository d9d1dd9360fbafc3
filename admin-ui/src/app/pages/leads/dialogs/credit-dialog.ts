import { Component, inject } from '@angular/core';
import type { AbstractControl, ValidationErrors } from '@angular/forms';
import { NonNullableFormBuilder, ReactiveFormsModule, Validators } from '@angular/forms';
import { MatButtonModule } from '@angular/material/button';
import { MAT_DIALOG_DATA, MatDialogModule, MatDialogRef } from '@angular/material/dialog';
import { MatFormFieldModule } from '@angular/material/form-field';
import { MatInputModule } from '@angular/material/input';
import { MatSelectModule } from '@angular/material/select';

import type { CreditReason, NewLeadCredit } from '../../../core/api-types';
import { CREDIT_REASONS, CREDIT_REASON_LABELS } from '../../../core/api-types';
import { CentsPipe } from '../../../shared/format';
import { parseDollars } from '../../jobs/dialogs/refund-dialog';

export interface CreditData {
  leadLabel: string;
  buyerName: string;
  priceCents: number;
  /** What is left to credit: the price less what was credited or approved already. */
  leftCents: number;
}

/** Dollars as a person types them, from cents: 4500 → "45.00". */
export function centsToDollars(cents: number): string {
  return (cents / 100).toFixed(2);
}

/**
 * Credits a sold lead from the console: the amount (prefilled with what is left), a reason and an optional
 * note. Approved at once and refunded on the sale's charge; closes with the request to send.
 */
@Component({
  selector: 'app-credit-dialog',
  imports: [
    CentsPipe,
    MatButtonModule,
    MatDialogModule,
    MatFormFieldModule,
    MatInputModule,
    MatSelectModule,
    ReactiveFormsModule,
  ],
  template: `
    <h2 mat-dialog-title>Credit {{ data.leadLabel }}</h2>
    <form [formGroup]="form" (ngSubmit)="submit()" novalidate>
      <mat-dialog-content>
        <p>
          {{ data.buyerName }} paid {{ data.priceCents | cents }}.
          <strong>Up to {{ data.leftCents | cents }} can be credited.</strong>
          The refund goes back to their card and they are told by SMS and email.
        </p>
        <mat-form-field appearance="outline" floatLabel="always">
          <mat-label>Amount (USD)</mat-label>
          <span matTextPrefix>$&nbsp;</span>
          <input matInput formControlName="amount" inputmode="decimal" autocomplete="off" required />
          @if (form.controls.amount.hasError('required')) {
            <mat-error>Enter the amount to credit.</mat-error>
          } @else if (form.controls.amount.hasError('amount')) {
            <mat-error>Enter an amount like 25 or 25.50.</mat-error>
          } @else if (form.controls.amount.hasError('max')) {
            <mat-error>At most {{ data.leftCents | cents }} can be credited.</mat-error>
          } @else if (form.controls.amount.hasError('min')) {
            <mat-error>The amount must be more than zero.</mat-error>
          }
        </mat-form-field>
        <mat-form-field appearance="outline">
          <mat-label>Reason</mat-label>
          <mat-select formControlName="reason" required>
            @for (reason of reasons; track reason) {
              <mat-option [value]="reason">{{ labels[reason] }}</mat-option>
            }
          </mat-select>
          @if (form.controls.reason.hasError('required')) {
            <mat-error>Choose why the lead is credited.</mat-error>
          }
        </mat-form-field>
        <mat-form-field appearance="outline">
          <mat-label>Note (optional)</mat-label>
          <textarea matInput formControlName="note" rows="3"></textarea>
          <mat-hint>Kept with the credit</mat-hint>
          @if (form.controls.note.hasError('maxlength')) {
            <mat-error>At most 1000 characters.</mat-error>
          }
        </mat-form-field>
      </mat-dialog-content>
      <mat-dialog-actions align="end">
        <button matButton type="button" mat-dialog-close>Keep as is</button>
        <button matButton="filled" type="submit" class="destructive">Credit</button>
      </mat-dialog-actions>
    </form>
  `,
  styles: `
    mat-form-field {
      display: block;
      margin-top: 8px;
    }
    .destructive {
      --mat-button-filled-container-color: var(--mat-sys-error);
      --mat-button-filled-label-text-color: var(--mat-sys-on-error);
    }
  `,
})
export class CreditDialog {
  protected readonly data = inject<CreditData>(MAT_DIALOG_DATA);
  private readonly dialog = inject<MatDialogRef<CreditDialog, NewLeadCredit>>(MatDialogRef);

  protected readonly reasons = CREDIT_REASONS;
  protected readonly labels = CREDIT_REASON_LABELS;

  private readonly fb = inject(NonNullableFormBuilder);
  protected readonly form = this.fb.group({
    amount: [
      centsToDollars(this.data.leftCents),
      [Validators.required, (control: AbstractControl<string>) => this.validateAmount(control)],
    ],
    reason: this.fb.control<CreditReason | ''>('', Validators.required),
    note: ['', Validators.maxLength(1000)],
  });

  private validateAmount(control: AbstractControl<string>): ValidationErrors | null {
    if (!control.value.trim()) return null;
    const cents = parseDollars(control.value);
    if (cents === null) return { amount: true };
    if (cents <= 0) return { min: true };
    if (cents > this.data.leftCents) return { max: true };
    return null;
  }

  protected submit(): void {
    if (this.form.invalid) {
      this.form.markAllAsTouched();
      return;
    }
    const { amount, reason, note } = this.form.getRawValue();
    const cents = parseDollars(amount);
    if (cents === null || reason === '') return;
    this.dialog.close({ amountCents: cents, reason, ...(note.trim() ? { note: note.trim() } : {}) });
  }
}
