import { Component, computed, input } from '@angular/core';

import { humanize } from './format';

type Tone = 'neutral' | 'active' | 'progress' | 'success' | 'danger';

const TONES: Record<string, Tone> = {
  CREATED: 'neutral',
  DISPATCHING: 'active',
  OFFERED: 'active',
  PENDING: 'active',
  ASSIGNED: 'progress',
  EN_ROUTE: 'progress',
  ACCEPTED: 'success',
  COMPLETED: 'success',
  CANCELED: 'neutral',
  EXPIRED: 'neutral',
  DECLINED: 'danger',
  FAILED: 'danger',
  // Locksmiths
  ACTIVE: 'success',
  PAUSED: 'neutral',
  DEACTIVATED: 'danger',
  // Payments
  REQUIRES_CAPTURE: 'active',
  AUTHORIZED: 'active',
  CAPTURED: 'success',
  SUCCEEDED: 'success',
  PARTIALLY_REFUNDED: 'progress',
  REFUNDED: 'neutral',
  RELEASED: 'neutral',
  // SMS delivery
  QUEUED: 'active',
  SENDING: 'active',
  SENT: 'progress',
  DELIVERED: 'success',
  RECEIVED: 'success',
  UNDELIVERED: 'danger',
  SUPPRESSED: 'neutral',
  // Leads and their sale
  NEW: 'neutral',
  CHARGING: 'active',
  UNSOLD: 'neutral',
  REJECTED: 'danger',
  CREDITED: 'neutral',
  // Lead credits
  REVIEW: 'active',
  APPROVED: 'progress',
  DENIED: 'danger',
  // Plumbers' cards, partners, webhook deliveries
  SAVED: 'success',
  NONE: 'neutral',
  NEEDS_UPDATE: 'danger',
  SUSPENDED: 'danger',
};

/** A job, lead, offer, credit, payment, locksmith or SMS status as a coloured pill; colour is never the only cue (the label is). */
@Component({
  selector: 'app-state-badge',
  template: '{{ label() }}',
  host: { '[class]': '"badge " + tone()' },
  styles: `
    :host {
      display: inline-block;
      padding: 2px 10px;
      border-radius: 999px;
      font: var(--mat-sys-label-medium);
      white-space: nowrap;
      background: var(--mat-sys-surface-container-highest);
      color: var(--mat-sys-on-surface);
    }
    :host(.active) {
      background: var(--app-waiting-container);
      color: var(--app-on-waiting-container);
    }
    :host(.progress) {
      background: var(--mat-sys-primary-container);
      color: var(--mat-sys-on-primary-container);
    }
    :host(.success) {
      background: var(--app-success-container);
      color: var(--app-on-success-container);
    }
    :host(.danger) {
      background: var(--mat-sys-error-container);
      color: var(--mat-sys-on-error-container);
    }
  `,
})
export class StateBadge {
  readonly state = input.required<string>();
  /** Words for the state when its code does not read well on its own (e.g. `none` → "No card"). */
  readonly text = input<string>();
  protected readonly label = computed(() => this.text() ?? humanize(this.state()));
  protected readonly tone = computed<Tone>(() => TONES[this.state().toUpperCase()] ?? 'neutral');
}
