import { ClipboardModule } from '@angular/cdk/clipboard';
import { Component, input, signal } from '@angular/core';
import { MatButtonModule } from '@angular/material/button';
import { MatIconModule } from '@angular/material/icon';

/** A secret shown once: the value, a copy button and a warning that it cannot be shown again. */
@Component({
  selector: 'app-one-time-secret',
  imports: [ClipboardModule, MatButtonModule, MatIconModule],
  template: `
    <p class="warning" role="alert">
      <mat-icon aria-hidden="true">warning</mat-icon>
      <span
        ><strong>Copy it now: it will not be shown again.</strong> {{ what() }} Only its hash is kept; if it
        is lost, make a new one.</span
      >
    </p>
    <div class="secret">
      <code class="value" [attr.aria-label]="label()">{{ secret() }}</code>
      <button
        matButton="tonal"
        type="button"
        [cdkCopyToClipboard]="secret()"
        (cdkCopyToClipboardCopied)="copied.set($event)"
      >
        <mat-icon>{{ copied() ? 'check' : 'content_copy' }}</mat-icon>
        {{ copied() ? 'Copied' : 'Copy' }}
      </button>
    </div>
    <p class="visually-hidden" aria-live="polite">{{ copied() ? 'Copied to the clipboard.' : '' }}</p>
  `,
  styles: `
    :host {
      display: block;
    }
    .warning {
      display: flex;
      align-items: flex-start;
      gap: 8px;
      margin: 0 0 12px;
      padding: 8px 12px;
      border-radius: var(--mat-sys-corner-small);
      background: var(--app-waiting-container);
      color: var(--app-on-waiting-container);

      mat-icon {
        // Beside a long sentence a flex item shrinks: keep the icon whole.
        flex: none;
      }
    }
    .secret {
      display: flex;
      flex-wrap: wrap;
      align-items: center;
      gap: 8px;
    }
    .value {
      flex: 1 1 240px;
      padding: 8px 12px;
      border-radius: var(--mat-sys-corner-small);
      background: var(--mat-sys-surface-container-highest);
      color: var(--mat-sys-on-surface);
      font-family: ui-monospace, monospace;
      overflow-wrap: anywhere;
      user-select: all;
    }
  `,
})
export class OneTimeSecret {
  readonly secret = input.required<string>();
  /** What the secret is for, one sentence. */
  readonly what = input('');
  readonly label = input('Secret');
  protected readonly copied = signal(false);
}
