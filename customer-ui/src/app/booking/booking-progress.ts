import { ChangeDetectionStrategy, Component, computed, input } from '@angular/core';
import { MatIcon } from '@angular/material/icon';
import { RouterLink } from '@angular/router';

export type ProgressStep = 'location' | 'service' | 'payment';

const STEPS: readonly { key: ProgressStep; label: string; path: string }[] = [
  { key: 'location', label: 'Where', path: '/book/location' },
  { key: 'service', label: 'What', path: '/book/service' },
  { key: 'payment', label: 'Deposit', path: '/book/payment' },
];

/** The three booking steps; done ones can link back so the customer can change an answer. */
@Component({
  selector: 'app-booking-progress',
  imports: [MatIcon, RouterLink],
  changeDetection: ChangeDetectionStrategy.OnPush,
  templateUrl: './booking-progress.html',
  styleUrl: './booking-progress.scss',
})
export class BookingProgress {
  readonly current = input.required<ProgressStep>();
  /** Whether done steps link back; not once the deposit exists, as the server then fixes them. */
  readonly linkBack = input(true);
  protected readonly steps = STEPS;
  protected readonly currentIndex = computed(() => STEPS.findIndex((step) => step.key === this.current()));
}
