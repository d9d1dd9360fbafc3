import { Component, inject, signal } from '@angular/core';
import { takeUntilDestroyed } from '@angular/core/rxjs-interop';
import { MatButtonModule } from '@angular/material/button';
import { MAT_DIALOG_DATA, MatDialogModule, MatDialogRef } from '@angular/material/dialog';
import { MatFormFieldModule } from '@angular/material/form-field';
import { MatIconModule } from '@angular/material/icon';
import { MatInputModule } from '@angular/material/input';
import { MatListModule } from '@angular/material/list';
import type { MatSelectionListChange } from '@angular/material/list';
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
import type { Locksmith } from '../../../core/api-types';

import { ServiceNamePipe } from '../../../shared/service-names';

export interface AssignData {
  jobCode: string;
  serviceCode: string;
}

/** Picks a locksmith for a manual assignment; closes with the chosen locksmith. */
@Component({
  selector: 'app-assign-dialog',
  imports: [
    ServiceNamePipe,
    MatButtonModule,
    MatDialogModule,
    MatFormFieldModule,
    MatIconModule,
    MatInputModule,
    MatListModule,
    MatProgressBarModule,
  ],
  template: `
    <h2 mat-dialog-title>Assign job {{ data.jobCode }}</h2>
    <mat-dialog-content>
      <p class="muted">
        The locksmith gets the job directly, without an offer. Service: {{ data.serviceCode | serviceName }}.
      </p>
      <mat-form-field appearance="outline" subscriptSizing="dynamic" class="search">
        <mat-label>Find a locksmith</mat-label>
        <mat-icon matPrefix aria-hidden="true">search</mat-icon>
        <input matInput #query type="search" (input)="search.next(query.value)" placeholder="Name or phone" />
      </mat-form-field>
      @if (loading()) {
        <mat-progress-bar mode="indeterminate" aria-label="Searching locksmiths" />
      }
      @if (error(); as error) {
        <p class="error" role="alert">{{ error }}</p>
      } @else if (!loading() && results().length === 0) {
        <p class="muted">No active locksmith matches.</p>
      }
      <mat-selection-list
        [multiple]="false"
        hideSingleSelectionIndicator
        aria-label="Locksmiths"
        (selectionChange)="selected($event)"
      >
        @for (locksmith of results(); track locksmith.id) {
          <mat-list-option [value]="locksmith.id" [selected]="locksmith.id === chosen()?.id">
            <span matListItemTitle>{{ locksmith.name }}</span>
            <span matListItemLine>
              {{ locksmith.phone }} · {{ locksmith.available ? 'Available' : 'Unavailable' }} ·
              {{ serves(locksmith) ? 'Offers this service' : 'Does not list this service' }}
            </span>
          </mat-list-option>
        }
      </mat-selection-list>
    </mat-dialog-content>
    <mat-dialog-actions align="end">
      <button matButton type="button" mat-dialog-close>Keep as is</button>
      <button matButton="filled" type="button" [disabled]="!chosen()" (click)="confirm()">
        @if (chosen(); as locksmith) {
          Assign to {{ locksmith.name }}
        } @else {
          Assign
        }
      </button>
    </mat-dialog-actions>
  `,
  styles: `
    .search {
      width: 100%;
    }
    mat-selection-list {
      max-height: 320px;
      overflow: auto;
    }
    .error {
      color: var(--mat-sys-error);
    }
  `,
})
export class AssignDialog {
  protected readonly data = inject<AssignData>(MAT_DIALOG_DATA);
  private readonly dialog = inject<MatDialogRef<AssignDialog, Locksmith>>(MatDialogRef);
  private readonly api = inject(AdminApi);

  protected readonly search = new Subject<string>();
  protected readonly results = signal<Locksmith[]>([]);
  protected readonly loading = signal(false);
  protected readonly error = signal<string | null>(null);
  protected readonly chosen = signal<Locksmith | null>(null);

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
          this.api.locksmiths({ q: q || undefined, status: 'active' }).pipe(
            map((page) => page.items),
            catchError((error: unknown) => {
              this.error.set(apiErrorMessage(error));
              return of<Locksmith[]>([]);
            }),
          ),
        ),
        takeUntilDestroyed(),
      )
      .subscribe((locksmiths) => {
        this.loading.set(false);
        this.results.set(locksmiths);
      });
  }

  protected serves(locksmith: Locksmith): boolean {
    return locksmith.services.includes(this.data.serviceCode);
  }

  protected selected(change: MatSelectionListChange): void {
    const id: unknown = change.options[0]?.value;
    this.chosen.set(this.results().find((locksmith) => locksmith.id === id) ?? null);
  }

  protected confirm(): void {
    const chosen = this.chosen();
    if (chosen) this.dialog.close(chosen);
  }
}
