import { Component, inject } from '@angular/core';
import type { AbstractControl, ValidationErrors } from '@angular/forms';
import { NonNullableFormBuilder, ReactiveFormsModule, Validators } from '@angular/forms';
import { MatButtonModule } from '@angular/material/button';
import { MAT_DIALOG_DATA, MatDialogModule, MatDialogRef } from '@angular/material/dialog';
import { MatFormFieldModule } from '@angular/material/form-field';
import { MatInputModule } from '@angular/material/input';

import type { Payment } from '../../../core/api-types';
import { CentsPipe, parseDollars } from '../../../shared/format';

export { parseDollars };

export interface RefundData {
  jobCode: string;
  payment: Payment;
}

export interface RefundRequest {
  /** Absent: refund everything still refundable. */
  amountCents?: number;
  reason: string;
}

/** Confirms a refund: optional partial amount (at most what is still refundable) and a mandatory reason. */
@Component({
  selector: 'app-refund-dialog',
  imports: [
    CentsPipe,
    MatButtonModule,
    MatDialogModule,
    MatFormFieldModule,
    MatInputModule,
    ReactiveFormsModule,
  ],
  template: `
    <h2 mat-dialog-title>Refund job {{ data.jobCode }}</h2>
    <form [formGroup]="form" (ngSubmit)="submit()" novalidate>
      <mat-dialog-content>
        <p>
          Paid {{ paid | cents }}, already refunded {{ data.payment.refundedCents | cents }}.
          <strong>Up to {{ refundable | cents }} can be refunded.</strong>
        </p>
        <mat-form-field appearance="outline" floatLabel="always">
          <mat-label>Amount (USD)</mat-label>
          <span matTextPrefix>$&nbsp;</span>
          <input matInput formControlName="amount" inputmode="decimal" autocomplete="off" />
          <mat-hint>Leave empty to refund {{ refundable | cents }}</mat-hint>
          @if (form.controls.amount.hasError('amount')) {
            <mat-error>Enter an amount like 25 or 25.50.</mat-error>
          } @else if (form.controls.amount.hasError('max')) {
            <mat-error>At most {{ refundable | cents }} can be refunded.</mat-error>
          } @else if (form.controls.amount.hasError('min')) {
            <mat-error>The amount must be more than zero.</mat-error>
          }
        </mat-form-field>
        <mat-form-field appearance="outline">
          <mat-label>Reason</mat-label>
          <textarea matInput formControlName="reason" rows="3" required></textarea>
          <mat-hint>Kept in the job's history</mat-hint>
          @if (form.controls.reason.hasError('required')) {
            <mat-error>Say why the customer is refunded.</mat-error>
          }
        </mat-form-field>
      </mat-dialog-content>
      <mat-dialog-actions align="end">
        <button matButton type="button" mat-dialog-close>Keep as is</button>
        <button matButton="filled" type="submit" class="destructive">Refund</button>
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
export class RefundDialog {
  protected readonly data = inject<RefundData>(MAT_DIALOG_DATA);
  private readonly dialog = inject<MatDialogRef<RefundDialog, RefundRequest>>(MatDialogRef);

  protected readonly paid = this.data.payment.capturedCents || this.data.payment.amountCents;
  protected readonly refundable = Math.max(this.paid - this.data.payment.refundedCents, 0);

  protected readonly form = inject(NonNullableFormBuilder).group({
    amount: ['', (control: AbstractControl<string>) => this.validateAmount(control)],
    reason: ['', [Validators.required, Validators.maxLength(500)]],
  });

  private validateAmount(control: AbstractControl<string>): ValidationErrors | null {
    if (!control.value.trim()) return null;
    const cents = parseDollars(control.value);
    if (cents === null) return { amount: true };
    if (cents <= 0) return { min: true };
    if (cents > this.refundable) return { max: true };
    return null;
  }

  protected submit(): void {
    if (this.form.invalid) {
      this.form.markAllAsTouched();
      return;
    }
    const { amount, reason } = this.form.getRawValue();
    const cents = amount.trim() ? parseDollars(amount) : null;
    this.dialog.close(
      cents === null ? { reason: reason.trim() } : { amountCents: cents, reason: reason.trim() },
    );
  }
}
