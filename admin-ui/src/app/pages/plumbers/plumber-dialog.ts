import { Component, computed, inject, signal } from '@angular/core';
import { takeUntilDestroyed, toSignal } from '@angular/core/rxjs-interop';
import type { AbstractControl, ValidationErrors } from '@angular/forms';
import { NonNullableFormBuilder, ReactiveFormsModule, Validators } from '@angular/forms';
import { MatAutocompleteModule } from '@angular/material/autocomplete';
import { MatButtonModule } from '@angular/material/button';
import { MatButtonToggleModule } from '@angular/material/button-toggle';
import { MAT_DIALOG_DATA, MatDialogModule, MatDialogRef } from '@angular/material/dialog';
import { MatFormFieldModule } from '@angular/material/form-field';
import { MatIconModule } from '@angular/material/icon';
import { MatInputModule } from '@angular/material/input';
import { MatProgressBarModule } from '@angular/material/progress-bar';
import { MatSelectModule } from '@angular/material/select';
import { MatSlideToggleModule } from '@angular/material/slide-toggle';
import type { Observable } from 'rxjs';
import { of } from 'rxjs';

import { AdminApi } from '../../core/admin-api';
import { apiErrorMessage } from '../../core/api-error';
import type { LocksmithStatus, NewPlumber, Plumber, PlumberCaps, PlumberPatch } from '../../core/api-types';
import { centsToDollarsText, parseDollars } from '../../shared/format';
import { LeadServices } from '../../shared/lead-services';
import { toE164 } from '../locksmiths/phone';
import { plumberName } from './plumber-format';
import { COMMON_TIME_ZONES, isTimeZone, parseZipList } from './time-zones';

export interface PlumberDialogData {
  /** Absent: a new plumber. */
  plumber?: Plumber;
}

type CoverageMode = 'zips' | 'radius';

const DEFAULT_TIME_ZONE = 'America/New_York';

function phoneValidator(control: AbstractControl<string>): ValidationErrors | null {
  return !control.value.trim() || toE164(control.value) ? null : { phone: true };
}

function timeZoneValidator(control: AbstractControl<string>): ValidationErrors | null {
  return isTimeZone(control.value.trim()) ? null : { timeZone: true };
}

function spendValidator(control: AbstractControl<string>): ValidationErrors | null {
  if (!control.value.trim()) return null;
  const cents = parseDollars(control.value);
  if (cents === null) return { amount: true };
  return cents > 1_000_000_00 ? { max: true } : null;
}

function capValidator(max: number) {
  return (control: AbstractControl<string>): ValidationErrors | null => {
    const text = control.value.trim();
    if (!text) return null;
    if (!/^\d+$/.test(text)) return { integer: true };
    return Number(text) > max ? { max: true } : null;
  };
}

const capText = (cap: number | undefined): string => (cap ? String(cap) : '');
const capNumber = (text: string): number => (text.trim() ? Number(text.trim()) : 0);

/** Creates or edits a plumber; closes with the saved plumber. */
@Component({
  selector: 'app-plumber-dialog',
  imports: [
    MatAutocompleteModule,
    MatButtonModule,
    MatButtonToggleModule,
    MatDialogModule,
    MatFormFieldModule,
    MatIconModule,
    MatInputModule,
    MatProgressBarModule,
    MatSelectModule,
    MatSlideToggleModule,
    ReactiveFormsModule,
  ],
  templateUrl: './plumber-dialog.html',
  styleUrl: './plumber-dialog.scss',
})
export class PlumberDialog {
  private readonly api = inject(AdminApi);
  private readonly dialog = inject<MatDialogRef<PlumberDialog, Plumber>>(MatDialogRef);
  protected readonly existing = inject<PlumberDialogData>(MAT_DIALOG_DATA).plumber;
  protected readonly catalogue = inject(LeadServices);
  protected readonly title = this.existing ? `Edit ${plumberName(this.existing)}` : 'New plumber';

  protected readonly statuses: readonly LocksmithStatus[] = ['active', 'paused', 'deactivated'];
  protected readonly saving = signal(false);
  protected readonly error = signal<string | null>(null);

  protected readonly form = inject(NonNullableFormBuilder).group({
    firstName: [this.existing?.firstName ?? '', [Validators.required, Validators.maxLength(60)]],
    lastName: [this.existing?.lastName ?? '', [Validators.required, Validators.maxLength(60)]],
    email: [this.existing?.email ?? '', [Validators.required, Validators.email, Validators.maxLength(254)]],
    phone: [this.existing?.phone ?? '', [Validators.required, phoneValidator]],
    zipCode: [this.existing?.zipCode ?? '', [Validators.required, Validators.pattern(/^\d{5}$/)]],
    services: [this.existing?.services ?? [], Validators.required],
    coverageMode: [(this.existing?.coverageZips.length ? 'zips' : 'radius') as CoverageMode],
    coverageZips: [this.existing?.coverageZips.join(', ') ?? ''],
    radiusKm: [
      this.existing ? String(this.existing.radiusKm) : '',
      [Validators.pattern(/^\d+(\.\d+)?$/), Validators.min(1), Validators.max(200)],
    ],
    dailyCap: [capText(this.existing?.dailyCap), capValidator(1000)],
    weeklyCap: [capText(this.existing?.weeklyCap), capValidator(100_000)],
    monthlyCap: [capText(this.existing?.monthlyCap), capValidator(100_000)],
    monthlySpendCap: [
      this.existing?.monthlySpendCapCents ? centsToDollarsText(this.existing.monthlySpendCapCents) : '',
      spendValidator,
    ],
    timeZone: [this.existing?.timeZone ?? DEFAULT_TIME_ZONE, [Validators.required, timeZoneValidator]],
    status: [this.existing?.status ?? ('active' as LocksmithStatus)],
    available: [this.existing?.available ?? true],
  });

  protected readonly coverageMode = toSignal(this.form.controls.coverageMode.valueChanges, {
    initialValue: this.form.controls.coverageMode.value,
  });

  private readonly typedZone = toSignal(this.form.controls.timeZone.valueChanges, {
    initialValue: this.form.controls.timeZone.value,
  });
  /** The common zones matching what is typed; all of them while the field is empty or holds one. */
  protected readonly zoneOptions = computed(() => {
    const typed = this.typedZone().trim().toLowerCase();
    if (!typed || COMMON_TIME_ZONES.some((option) => option.zone.toLowerCase() === typed)) {
      return COMMON_TIME_ZONES;
    }
    return COMMON_TIME_ZONES.filter(
      (option) => option.zone.toLowerCase().includes(typed) || option.label.toLowerCase().includes(typed),
    );
  });

  constructor() {
    this.catalogue.load();
    const zips = this.form.controls.coverageZips;
    zips.setValidators((control: AbstractControl<string>) => this.validateZips(control));
    zips.updateValueAndValidity();
    this.form.controls.coverageMode.valueChanges
      .pipe(takeUntilDestroyed())
      .subscribe(() => zips.updateValueAndValidity());
  }

  private validateZips(control: AbstractControl<string>): ValidationErrors | null {
    if (this.form.controls.coverageMode.value !== 'zips') return null;
    const list = parseZipList(control.value);
    if (list === null) return { zip: true };
    if (list.length === 0) return { required: true };
    return list.length > 500 ? { max: true } : null;
  }

  protected submit(): void {
    if (this.form.invalid) {
      this.form.markAllAsTouched();
      return;
    }
    this.saving.set(true);
    this.error.set(null);
    this.save().subscribe({
      next: (plumber) => this.dialog.close(plumber),
      error: (error: unknown) => {
        this.saving.set(false);
        this.error.set(apiErrorMessage(error));
      },
    });
  }

  private save(): Observable<Plumber> {
    const value = this.form.getRawValue();
    const zipMode = value.coverageMode === 'zips';
    const coverageZips = zipMode ? (parseZipList(value.coverageZips) ?? []) : [];
    const radiusKm = value.radiusKm.trim() ? Number(value.radiusKm) : undefined;
    const caps: PlumberCaps = {
      dailyCap: capNumber(value.dailyCap),
      weeklyCap: capNumber(value.weeklyCap),
      monthlyCap: capNumber(value.monthlyCap),
      monthlySpendCapCents: value.monthlySpendCap.trim() ? (parseDollars(value.monthlySpendCap) ?? 0) : 0,
      timeZone: value.timeZone.trim(),
    };
    const phone = toE164(value.phone) ?? value.phone.trim();

    if (!this.existing) {
      const created: NewPlumber = {
        firstName: value.firstName.trim(),
        lastName: value.lastName.trim(),
        email: value.email.trim(),
        phone,
        zipCode: value.zipCode,
        services: value.services,
        ...(zipMode ? { coverageZips } : {}),
        ...(!zipMode && radiusKm !== undefined ? { radiusKm } : {}),
        ...caps,
      };
      return this.api.createPlumber(created);
    }

    const before = this.existing;
    const patch: PlumberPatch = {};
    if (value.firstName.trim() !== before.firstName) patch.firstName = value.firstName.trim();
    if (value.lastName.trim() !== before.lastName) patch.lastName = value.lastName.trim();
    if (value.email.trim() !== before.email) patch.email = value.email.trim();
    if (phone !== before.phone) patch.phone = phone;
    if (value.zipCode !== before.zipCode) patch.zipCode = value.zipCode;
    if (!sameSet(value.services, before.services)) patch.services = value.services;
    if (!sameSet(coverageZips, before.coverageZips)) patch.coverageZips = coverageZips;
    if (!zipMode && radiusKm !== undefined && radiusKm !== before.radiusKm) patch.radiusKm = radiusKm;
    for (const key of ['dailyCap', 'weeklyCap', 'monthlyCap', 'monthlySpendCapCents'] as const) {
      if (caps[key] !== before[key]) patch[key] = caps[key];
    }
    if (caps.timeZone !== before.timeZone) patch.timeZone = caps.timeZone;
    if (value.status !== before.status) patch.status = value.status;
    if (value.available !== before.available) patch.available = value.available;
    if (Object.keys(patch).length === 0) return of(before);
    return this.api.updatePlumber(before.id, patch);
  }
}

function sameSet(a: readonly string[], b: readonly string[]): boolean {
  return [...a].sort().join() === [...b].sort().join();
}
