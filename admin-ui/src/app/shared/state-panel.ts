import { Component, input, output } from '@angular/core';
import { MatButtonModule } from '@angular/material/button';
import { MatIconModule } from '@angular/material/icon';
import { MatProgressSpinnerModule } from '@angular/material/progress-spinner';

/** The loading, error and empty states every list and page shares. */
@Component({
  selector: 'app-state-panel',
  imports: [MatButtonModule, MatIconModule, MatProgressSpinnerModule],
  template: `
    @switch (kind()) {
      @case ('loading') {
        <mat-progress-spinner mode="indeterminate" diameter="40" aria-label="Loading" />
        <p>{{ message() || 'Loading…' }}</p>
      }
      @case ('error') {
        <mat-icon class="error-icon" aria-hidden="true">error</mat-icon>
        <p role="alert">{{ message() }}</p>
        <button matButton="outlined" type="button" (click)="retry.emit()">
          <mat-icon>refresh</mat-icon>
          Try again
        </button>
      }
      @case ('empty') {
        <mat-icon aria-hidden="true">{{ icon() }}</mat-icon>
        <p>{{ message() }}</p>
        <ng-content />
      }
    }
  `,
  styles: `
    :host {
      display: flex;
      flex-direction: column;
      align-items: center;
      justify-content: center;
      gap: 8px;
      padding: 48px 16px;
      text-align: center;
      color: var(--mat-sys-on-surface-variant);
    }
    p {
      margin: 0;
      max-width: 48ch;
      font: var(--mat-sys-body-large);
    }
    mat-icon {
      font-size: 40px;
      width: 40px;
      height: 40px;
    }
    .error-icon {
      color: var(--mat-sys-error);
    }
  `,
})
export class StatePanel {
  readonly kind = input.required<'loading' | 'error' | 'empty'>();
  readonly message = input('');
  readonly icon = input('inbox');
  readonly retry = output();
}
