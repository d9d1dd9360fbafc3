import { Component, inject, signal } from '@angular/core';
import { NonNullableFormBuilder, ReactiveFormsModule, Validators } from '@angular/forms';
import { MatButtonModule } from '@angular/material/button';
import { MatCheckboxModule } from '@angular/material/checkbox';
import { MAT_DIALOG_DATA, MatDialogModule, MatDialogRef } from '@angular/material/dialog';
import { MatFormFieldModule } from '@angular/material/form-field';
import { MatIconModule } from '@angular/material/icon';
import { MatInputModule } from '@angular/material/input';
import { MatProgressBarModule } from '@angular/material/progress-bar';

import { AdminApi } from '../../../core/admin-api';
import { apiErrorMessage } from '../../../core/api-error';
import type { CreatedPartnerKey } from '../../../core/api-types';
import { OneTimeSecret } from './one-time-secret';

export interface KeyDialogData {
  partnerId: string;
  partnerName: string;
}

/**
 * Issues an API key: name and test flag, then the key itself, shown this once with a copy button.
 * Closes with the created key (without a way back to the form, so the key is not issued twice).
 */
@Component({
  selector: 'app-key-dialog',
  imports: [
    MatButtonModule,
    MatCheckboxModule,
    MatDialogModule,
    MatFormFieldModule,
    MatIconModule,
    MatInputModule,
    MatProgressBarModule,
    OneTimeSecret,
    ReactiveFormsModule,
  ],
  template: `
    @if (created(); as key) {
      <h2 mat-dialog-title>{{ key.test ? 'Test key' : 'API key' }} for {{ data.partnerName }}</h2>
      <mat-dialog-content>
        <app-one-time-secret
          [secret]="key.key"
          label="API key"
          what="Give it to the partner over a safe channel; they send it in the Authorization header."
        />
        <p class="muted">
          {{ key.name ?? 'Unnamed key' }} · starts with <span class="mono">{{ key.prefix }}</span>
          @if (key.test) {
            · test: its leads are checked and answered, never sold
          }
        </p>
      </mat-dialog-content>
      <mat-dialog-actions align="end">
        <button matButton="filled" type="button" (click)="done()">I have copied the key</button>
      </mat-dialog-actions>
    } @else {
      <h2 mat-dialog-title>Issue a key for {{ data.partnerName }}</h2>
      <form [formGroup]="form" (ngSubmit)="submit()" novalidate>
        <mat-dialog-content>
          @if (saving()) {
            <mat-progress-bar mode="indeterminate" aria-label="Issuing the key" />
          }
          @if (error(); as error) {
            <p class="error" role="alert">
              <mat-icon aria-hidden="true">error</mat-icon>
              {{ error }}
            </p>
          }
          <mat-form-field appearance="outline">
            <mat-label>Name</mat-label>
            <input matInput formControlName="name" autocomplete="off" required />
            <mat-hint>Where the partner uses it, e.g. "Production server"</mat-hint>
            @if (form.controls.name.hasError('required')) {
              <mat-error>Name the key so it can be told apart later.</mat-error>
            }
          </mat-form-field>
          <mat-checkbox formControlName="test"
            >Test key: leads are validated and answered, never sold</mat-checkbox
          >
        </mat-dialog-content>
        <mat-dialog-actions align="end">
          <button matButton type="button" mat-dialog-close>Cancel</button>
          <button matButton="filled" type="submit" [disabled]="saving()">Issue key</button>
        </mat-dialog-actions>
      </form>
    }
  `,
  styles: `
    mat-form-field {
      display: block;
      margin-top: 8px;
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
export class KeyDialog {
  protected readonly data = inject<KeyDialogData>(MAT_DIALOG_DATA);
  private readonly dialog = inject<MatDialogRef<KeyDialog, CreatedPartnerKey>>(MatDialogRef);
  private readonly api = inject(AdminApi);

  protected readonly saving = signal(false);
  protected readonly error = signal<string | null>(null);
  protected readonly created = signal<CreatedPartnerKey | null>(null);

  protected readonly form = inject(NonNullableFormBuilder).group({
    name: ['', [Validators.required, Validators.maxLength(120)]],
    test: [false],
  });

  protected submit(): void {
    if (this.form.invalid) {
      this.form.markAllAsTouched();
      return;
    }
    const { name, test } = this.form.getRawValue();
    this.saving.set(true);
    this.error.set(null);
    this.api.issuePartnerKey(this.data.partnerId, { name: name.trim(), test }).subscribe({
      next: (key) => {
        this.saving.set(false);
        this.created.set(key);
        // The key is on screen now: a stray click outside must not lose it.
        this.dialog.disableClose = true;
      },
      error: (error: unknown) => {
        this.saving.set(false);
        this.error.set(apiErrorMessage(error));
      },
    });
  }

  protected done(): void {
    const key = this.created();
    if (key) this.dialog.close(key);
  }
}
