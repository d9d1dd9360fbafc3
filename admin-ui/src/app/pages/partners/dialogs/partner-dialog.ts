import { Component, inject, signal } from '@angular/core';
import type { AbstractControl, ValidationErrors } from '@angular/forms';
import { NonNullableFormBuilder, ReactiveFormsModule, Validators } from '@angular/forms';
import { MatButtonModule } from '@angular/material/button';
import { MAT_DIALOG_DATA, MatDialogModule, MatDialogRef } from '@angular/material/dialog';
import { MatFormFieldModule } from '@angular/material/form-field';
import { MatIconModule } from '@angular/material/icon';
import { MatInputModule } from '@angular/material/input';
import { MatProgressBarModule } from '@angular/material/progress-bar';
import type { Observable } from 'rxjs';
import { of } from 'rxjs';

import { AdminApi } from '../../../core/admin-api';
import { apiErrorMessage } from '../../../core/api-error';
import type { NewPartner, Partner, PartnerPatch } from '../../../core/api-types';
import { centsToDollarsText, parseDollars } from '../../../shared/format';

export interface PartnerDialogData {
  /** Absent: a new partner. */
  partner?: Partner;
}

function payoutValidator(control: AbstractControl<string>): ValidationErrors | null {
  if (!control.value.trim()) return null;
  const cents = parseDollars(control.value);
  if (cents === null) return { amount: true };
  return cents > 1_000_000 ? { max: true } : null;
}

function webhookValidator(control: AbstractControl<string>): ValidationErrors | null {
  const text = control.value.trim();
  if (!text) return null;
  try {
    const url = new URL(text);
    return url.protocol === 'https:' || url.protocol === 'http:' ? null : { url: true };
  } catch {
    return { url: true };
  }
}

const OPTIONAL_TEXT = ['contactName', 'email', 'phone', 'webhookUrl'] as const;

/** Creates or edits a lead partner's profile; closes with the saved partner. */
@Component({
  selector: 'app-partner-dialog',
  imports: [
    MatButtonModule,
    MatDialogModule,
    MatFormFieldModule,
    MatIconModule,
    MatInputModule,
    MatProgressBarModule,
    ReactiveFormsModule,
  ],
  template: `
    <h2 mat-dialog-title>{{ existing ? 'Edit ' + existing.name : 'New partner' }}</h2>
    <form [formGroup]="form" (ngSubmit)="submit()" novalidate>
      <mat-dialog-content>
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
          <mat-form-field appearance="outline" class="wide">
            <mat-label>Name</mat-label>
            <input matInput formControlName="name" autocomplete="off" required />
            @if (form.controls.name.hasError('required')) {
              <mat-error>Enter the partner's name.</mat-error>
            }
          </mat-form-field>
          <mat-form-field appearance="outline">
            <mat-label>Contact name (optional)</mat-label>
            <input matInput formControlName="contactName" autocomplete="off" />
          </mat-form-field>
          <mat-form-field appearance="outline">
            <mat-label>Email (optional)</mat-label>
            <input matInput formControlName="email" type="email" autocomplete="off" />
            @if (form.controls.email.hasError('email')) {
              <mat-error>This is not an email address.</mat-error>
            }
          </mat-form-field>
          <mat-form-field appearance="outline">
            <mat-label>Phone (optional)</mat-label>
            <input matInput formControlName="phone" type="tel" autocomplete="off" />
          </mat-form-field>
          <mat-form-field appearance="outline">
            <mat-label>Rate limit (leads a minute)</mat-label>
            <input matInput formControlName="rateLimitPerMinute" inputmode="numeric" autocomplete="off" />
            <mat-hint>{{ existing ? '1 to 100,000' : 'Empty: 120' }}</mat-hint>
            @if (form.controls.rateLimitPerMinute.invalid) {
              <mat-error>A whole number from 1 to 100,000.</mat-error>
            }
          </mat-form-field>
          <mat-form-field appearance="outline" floatLabel="always">
            <mat-label>Payout per accepted lead (USD)</mat-label>
            <span matTextPrefix>$&nbsp;</span>
            <input matInput formControlName="payout" inputmode="decimal" autocomplete="off" />
            <mat-hint>Empty: no payout</mat-hint>
            @if (form.controls.payout.hasError('amount')) {
              <mat-error>Enter an amount like 12 or 12.50.</mat-error>
            } @else if (form.controls.payout.hasError('max')) {
              <mat-error>At most $10,000.</mat-error>
            }
          </mat-form-field>
          <mat-form-field appearance="outline" class="wide">
            <mat-label>Webhook URL (optional)</mat-label>
            <input matInput formControlName="webhookUrl" type="url" autocomplete="off" />
            <mat-hint>Every outcome of its leads is POSTed here, signed</mat-hint>
            @if (form.controls.webhookUrl.hasError('url')) {
              <mat-error>Enter a full http(s) address, e.g. https://partner.example/hooks.</mat-error>
            }
          </mat-form-field>
        </div>
      </mat-dialog-content>
      <mat-dialog-actions align="end">
        <button matButton type="button" mat-dialog-close>Cancel</button>
        <button matButton="filled" type="submit" [disabled]="saving()">
          {{ existing ? 'Save' : 'Create' }}
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
    .wide {
      grid-column: 1 / -1;
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
export class PartnerDialog {
  private readonly api = inject(AdminApi);
  private readonly dialog = inject<MatDialogRef<PartnerDialog, Partner>>(MatDialogRef);
  protected readonly existing = inject<PartnerDialogData>(MAT_DIALOG_DATA).partner;

  protected readonly saving = signal(false);
  protected readonly error = signal<string | null>(null);

  protected readonly form = inject(NonNullableFormBuilder).group({
    name: [this.existing?.name ?? '', [Validators.required, Validators.maxLength(120)]],
    contactName: [this.existing?.contactName ?? '', Validators.maxLength(120)],
    email: [this.existing?.email ?? '', [Validators.email, Validators.maxLength(254)]],
    phone: [this.existing?.phone ?? '', Validators.maxLength(40)],
    rateLimitPerMinute: [
      this.existing ? String(this.existing.rateLimitPerMinute) : '',
      [Validators.pattern(/^\d+$/), Validators.min(1), Validators.max(100_000)].concat(
        this.existing ? [Validators.required] : [],
      ),
    ],
    payout: [
      this.existing?.payoutCentsPerLead !== null && this.existing?.payoutCentsPerLead !== undefined
        ? centsToDollarsText(this.existing.payoutCentsPerLead)
        : '',
      payoutValidator,
    ],
    webhookUrl: [this.existing?.webhookUrl ?? '', [webhookValidator, Validators.maxLength(2000)]],
  });

  protected submit(): void {
    if (this.form.invalid) {
      this.form.markAllAsTouched();
      return;
    }
    this.saving.set(true);
    this.error.set(null);
    this.save().subscribe({
      next: (partner) => this.dialog.close(partner),
      error: (error: unknown) => {
        this.saving.set(false);
        this.error.set(apiErrorMessage(error));
      },
    });
  }

  private save(): Observable<Partner> {
    const value = this.form.getRawValue();
    const text = (field: string): string | null => field.trim() || null;
    const rate = value.rateLimitPerMinute.trim() ? Number(value.rateLimitPerMinute) : null;
    const payout = value.payout.trim() ? parseDollars(value.payout) : null;

    if (!this.existing) {
      const created: NewPartner = { name: value.name.trim() };
      for (const key of OPTIONAL_TEXT) {
        const field = text(value[key]);
        if (field !== null) created[key] = field;
      }
      if (rate !== null) created.rateLimitPerMinute = rate;
      if (payout !== null) created.payoutCentsPerLead = payout;
      return this.api.createPartner(created);
    }

    const before = this.existing;
    const patch: PartnerPatch = {};
    if (value.name.trim() !== before.name) patch.name = value.name.trim();
    // An emptied field clears the value (null).
    for (const key of OPTIONAL_TEXT) {
      const field = text(value[key]);
      if (field !== before[key]) patch[key] = field;
    }
    if (rate !== null && rate !== before.rateLimitPerMinute) patch.rateLimitPerMinute = rate;
    if (payout !== before.payoutCentsPerLead) patch.payoutCentsPerLead = payout;
    if (Object.keys(patch).length === 0) return of(before);
    return this.api.updatePartner(before.id, patch);
  }
}
