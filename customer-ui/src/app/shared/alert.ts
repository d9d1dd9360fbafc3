import { ChangeDetectionStrategy, Component, computed, input } from '@angular/core';
import { MatIcon } from '@angular/material/icon';

/**
 * A message box in the flow of the page. Errors are announced at once (`role="alert"`),
 * information politely (`role="status"`).
 */
@Component({
  selector: 'app-alert',
  imports: [MatIcon],
  changeDetection: ChangeDetectionStrategy.OnPush,
  host: {
    class: 'app-alert',
    '[class]': '"app-alert app-alert--" + kind()',
    '[attr.role]': 'kind() === "error" ? "alert" : "status"',
  },
  template: `
    <mat-icon aria-hidden="true">{{ icon() }}</mat-icon>
    <div class="app-alert__body"><ng-content /></div>
  `,
  styles: `
    :host {
      display: flex;
      gap: 12px;
      align-items: flex-start;
      padding: 12px 16px;
      border-radius: var(--mat-sys-corner-medium);
      font: var(--mat-sys-body-medium);
    }
    :host(.app-alert--error) {
      background: var(--mat-sys-error-container);
      color: var(--mat-sys-on-error-container);
    }
    :host(.app-alert--info) {
      background: var(--mat-sys-secondary-container);
      color: var(--mat-sys-on-secondary-container);
    }
    :host(.app-alert--warning) {
      background: var(--mat-sys-tertiary-container);
      color: var(--mat-sys-on-tertiary-container);
    }
    .app-alert__body {
      flex: 1;
      min-width: 0;
      padding-top: 2px;
    }
  `,
})
export class Alert {
  readonly kind = input<'error' | 'info' | 'warning'>('error');
  protected readonly icon = computed(
    () => ({ error: 'error', info: 'info', warning: 'warning' })[this.kind()],
  );
}
