import { PercentPipe } from '@angular/common';
import { Component, inject } from '@angular/core';
import type { AbstractControl, ValidationErrors } from '@angular/forms';
import { NonNullableFormBuilder, ReactiveFormsModule, Validators } from '@angular/forms';
import { MatButtonModule } from '@angular/material/button';
import { MAT_DIALOG_DATA, MatDialogModule, MatDialogRef } from '@angular/material/dialog';
import { MatFormFieldModule } from '@angular/material/form-field';
import { MatInputModule } from '@angular/material/input';

import type { CreditDecision, LeadCredit } from '../../core/api-types';
import { CREDIT_REASON_LABELS } from '../../core/api-types';
import { CentsPipe } from '../../shared/format';
import { parseDollars } from '../jobs/dialogs/refund-dialog';

export interface DecideData {
  credit: LeadCredit;
  decision: 'approve' | 'deny';
}

/**
 * Confirms an operator's decision on a credit waiting for review. Approve: optionally a smaller amount,
 * an optional note. Deny: a note is required (the plumber reads it). Closes with the decision to send.
 */
@Component({
  selector: 'app-decide-dialog',
  imports: [
    CentsPipe,
    MatButtonModule,
    MatDialogModule,
    MatFormFieldModule,
    MatInputModule,
    PercentPipe,
    ReactiveFormsModule,
  ],
  template: `
    <h2 mat-dialog-title>
      {{ approving ? 'Approve' : 'Deny' }} the credit for lead {{ data.credit.leadCode }}
    </h2>
    <form [formGroup]="form" (ngSubmit)="submit()" novalidate>
      <mat-dialog-content>
        <p>
          {{ data.credit.plumberName }} asks for {{ data.credit.amountCents | cents }}:
          {{ reasonLabels[data.credit.reason] }}.
          @if (data.credit.returnRate !== null) {
            Return rate {{ data.credit.returnRate | percent: '1.0-0' }} over 30 days.
          }
        </p>
        @if (approving) {
          <p>The refund goes back to their card at once and they are told by SMS and email.</p>
          <mat-form-field appearance="outline" floatLabel="always">
            <mat-label>Amount (USD)</mat-label>
            <span matTextPrefix>$&nbsp;</span>
            <input matInput formControlName="amount" inputmode="decimal" autocomplete="off" />
            <mat-hint>Leave empty to credit {{ data.credit.amountCents | cents }}</mat-hint>
            @if (form.controls.amount.hasError('amount')) {
              <mat-error>Enter an amount like 25 or 25.50.</mat-error>
            } @else if (form.controls.amount.hasError('max')) {
              <mat-error>At most {{ data.credit.amountCents | cents }}, what they asked for.</mat-error>
            } @else if (form.controls.amount.hasError('min')) {
              <mat-error>The amount must be more than zero.</mat-error>
            }
          </mat-form-field>
        } @else {
          <p>The plumber is told by SMS and email, with your note.</p>
        }
        <mat-form-field appearance="outline">
          <mat-label>{{ approving ? 'Note (optional)' : 'Why the credit is denied' }}</mat-label>
          <textarea matInput formControlName="note" rows="3" [required]="!approving"></textarea>
          @if (form.controls.note.hasError('required')) {
            <mat-error>Say why: the plumber reads this.</mat-error>
          } @else if (form.controls.note.hasError('maxlength')) {
            <mat-error>At most 1000 characters.</mat-error>
          }
        </mat-form-field>
      </mat-dialog-content>
      <mat-dialog-actions align="end">
        <button matButton type="button" mat-dialog-close>Keep as is</button>
        <button matButton="filled" type="submit" [class.destructive]="!approving">
          {{ approving ? 'Approve credit' : 'Deny credit' }}
        </button>
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
export class DecideDialog {
  protected readonly data = inject<DecideData>(MAT_DIALOG_DATA);
  private readonly dialog = inject<MatDialogRef<DecideDialog, CreditDecision>>(MatDialogRef);

  protected readonly approving = this.data.decision === 'approve';
  protected readonly reasonLabels = CREDIT_REASON_LABELS;

  protected readonly form = inject(NonNullableFormBuilder).group({
    amount: ['', (control: AbstractControl<string>) => this.validateAmount(control)],
    note: [
      '',
      this.approving ? [Validators.maxLength(1000)] : [Validators.required, Validators.maxLength(1000)],
    ],
  });

  private validateAmount(control: AbstractControl<string>): ValidationErrors | null {
    if (!control.value.trim()) return null;
    const cents = parseDollars(control.value);
    if (cents === null) return { amount: true };
    if (cents <= 0) return { min: true };
    if (cents > this.data.credit.amountCents) return { max: true };
    return null;
  }

  protected submit(): void {
    const note = this.form.controls.note.value.trim();
    if (!this.approving && !note) this.form.controls.note.setErrors({ required: true });
    if (this.form.invalid) {
      this.form.markAllAsTouched();
      return;
    }
    const amount = this.form.controls.amount.value.trim();
    const cents = this.approving && amount ? parseDollars(amount) : null;
    this.dialog.close({
      ...(cents !== null && cents !== this.data.credit.amountCents ? { amountCents: cents } : {}),
      ...(note ? { note } : {}),
    });
  }
}
