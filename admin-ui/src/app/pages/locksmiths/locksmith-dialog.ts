import { Component, computed, inject, signal } from '@angular/core';
import { toSignal } from '@angular/core/rxjs-interop';
import type { AbstractControl, ValidationErrors } from '@angular/forms';
import { NonNullableFormBuilder, ReactiveFormsModule, Validators } from '@angular/forms';
import { MatButtonModule } from '@angular/material/button';
import { MAT_DIALOG_DATA, MatDialogModule, MatDialogRef } from '@angular/material/dialog';
import { MatFormFieldModule } from '@angular/material/form-field';
import { MatIconModule } from '@angular/material/icon';
import { MatInputModule } from '@angular/material/input';
import { MatProgressBarModule } from '@angular/material/progress-bar';
import { MatSelectModule } from '@angular/material/select';
import { MatSlideToggleModule } from '@angular/material/slide-toggle';
import type { Observable } from 'rxjs';
import { catchError, map, of } from 'rxjs';

import { AdminApi } from '../../core/admin-api';
import { apiErrorMessage } from '../../core/api-error';
import type { Locksmith, LocksmithPatch, LocksmithStatus, NewLocksmith, Service } from '../../core/api-types';
import { toE164 } from './phone';

export interface LocksmithDialogData {
  /** Absent: a new locksmith. */
  locksmith?: Locksmith;
}

function phoneValidator(control: AbstractControl<string>): ValidationErrors | null {
  return !control.value.trim() || toE164(control.value) ? null : { phone: true };
}

type ServicesState =
  { status: 'loading' } | { status: 'ok'; items: Service[] } | { status: 'error'; message: string };

/** Creates or edits a locksmith; closes with the saved locksmith. */
@Component({
  selector: 'app-locksmith-dialog',
  imports: [
    MatButtonModule,
    MatDialogModule,
    MatFormFieldModule,
    MatIconModule,
    MatInputModule,
    MatProgressBarModule,
    MatSelectModule,
    MatSlideToggleModule,
    ReactiveFormsModule,
  ],
  templateUrl: './locksmith-dialog.html',
  styleUrl: './locksmith-dialog.scss',
})
export class LocksmithDialog {
  private readonly api = inject(AdminApi);
  private readonly dialog = inject<MatDialogRef<LocksmithDialog, Locksmith>>(MatDialogRef);
  protected readonly existing = inject<LocksmithDialogData>(MAT_DIALOG_DATA).locksmith;

  protected readonly statuses: readonly LocksmithStatus[] = ['active', 'paused', 'deactivated'];
  protected readonly saving = signal(false);
  protected readonly error = signal<string | null>(null);

  protected readonly services = toSignal(
    this.api.services().pipe(
      map((items): ServicesState => ({ status: 'ok', items })),
      catchError((error: unknown) => of<ServicesState>({ status: 'error', message: apiErrorMessage(error) })),
    ),
    { initialValue: { status: 'loading' } satisfies ServicesState },
  );

  protected readonly servicesList = computed(() => {
    const state = this.services();
    return state.status === 'ok' ? state.items : [];
  });
  protected readonly servicesError = computed(() => {
    const state = this.services();
    return state.status === 'error' ? state.message : '';
  });

  protected readonly form = inject(NonNullableFormBuilder).group({
    name: [this.existing?.name ?? '', [Validators.required, Validators.maxLength(120)]],
    phone: [
      { value: this.existing?.phone ?? '', disabled: !!this.existing },
      [Validators.required, phoneValidator],
    ],
    email: [this.existing?.email ?? '', Validators.email],
    services: [this.existing?.services ?? [], Validators.required],
    address: [this.existing?.address ?? '', [Validators.required, Validators.maxLength(200)]],
    radiusKm: [
      this.existing ? String(this.existing.radiusKm) : '',
      [Validators.pattern(/^\d+(\.\d+)?$/), Validators.min(1), Validators.max(100)],
    ],
    status: [this.existing?.status ?? ('active' as LocksmithStatus)],
    available: [this.existing?.available ?? true],
  });

  protected submit(): void {
    if (this.form.invalid) {
      this.form.markAllAsTouched();
      return;
    }
    this.saving.set(true);
    this.error.set(null);
    this.save().subscribe({
      next: (locksmith) => this.dialog.close(locksmith),
      error: (error: unknown) => {
        this.saving.set(false);
        this.error.set(apiErrorMessage(error));
      },
    });
  }

  private save(): Observable<Locksmith> {
    const value = this.form.getRawValue();
    const radiusKm = value.radiusKm.trim() ? Number(value.radiusKm) : undefined;
    const email = value.email.trim() || undefined;
    if (!this.existing) {
      const created: NewLocksmith = {
        name: value.name.trim(),
        phone: toE164(value.phone) ?? value.phone,
        services: value.services,
        address: value.address.trim(),
        ...(email ? { email } : {}),
        ...(radiusKm !== undefined ? { radiusKm } : {}),
      };
      return this.api.createLocksmith(created);
    }
    const before = this.existing;
    const patch: LocksmithPatch = {};
    if (value.name.trim() !== before.name) patch.name = value.name.trim();
    if (email && email !== before.email) patch.email = email;
    if ([...value.services].sort().join() !== [...before.services].sort().join())
      patch.services = value.services;
    if (value.address.trim() !== (before.address ?? '')) patch.address = value.address.trim();
    if (radiusKm !== undefined && radiusKm !== before.radiusKm) patch.radiusKm = radiusKm;
    if (value.status !== before.status) patch.status = value.status;
    if (value.available !== before.available) patch.available = value.available;
    if (Object.keys(patch).length === 0) return of(before);
    return this.api.updateLocksmith(before.id, patch);
  }
}
