import { ChangeDetectionStrategy, Component, computed, inject, input, type OnInit } from '@angular/core';
import { MatButton } from '@angular/material/button';
import { MatIcon } from '@angular/material/icon';
import { MatProgressSpinner } from '@angular/material/progress-spinner';
import { RouterLink } from '@angular/router';

import { Alert } from '../shared/alert';
import { PageHeading } from '../shared/page-heading';
import { isFinal, StatusFeed } from './status-feed';
import { describeStatus, MILESTONES } from './status-view';

/** The live status of a booking, opened from the booking flow or the link in the customer's text. */
@Component({
  selector: 'app-status-page',
  imports: [Alert, MatButton, MatIcon, MatProgressSpinner, PageHeading, RouterLink],
  providers: [StatusFeed],
  changeDetection: ChangeDetectionStrategy.OnPush,
  templateUrl: './status-page.html',
  styleUrl: './status-page.scss',
})
export class StatusPage implements OnInit {
  /** From the route `/status/:token`. */
  readonly token = input.required<string>();

  protected readonly feed = inject(StatusFeed);
  protected readonly milestones = MILESTONES;
  protected readonly view = computed(() => {
    const status = this.feed.status();
    return status ? describeStatus(status) : null;
  });
  protected readonly finished = computed(() => isFinal(this.feed.status()));
  protected readonly notFound = computed(() => this.feed.error()?.status === 404 && !this.feed.status());

  ngOnInit(): void {
    void this.feed.start(this.token());
  }
}
