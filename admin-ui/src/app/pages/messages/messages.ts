import { DatePipe } from '@angular/common';
import { Component, computed, effect, inject, signal, untracked } from '@angular/core';
import { takeUntilDestroyed } from '@angular/core/rxjs-interop';
import { MatButtonModule } from '@angular/material/button';
import { MatFormFieldModule } from '@angular/material/form-field';
import { MatIconModule } from '@angular/material/icon';
import { MatInputModule } from '@angular/material/input';
import { MatProgressBarModule } from '@angular/material/progress-bar';
import { MatSelectModule } from '@angular/material/select';
import { MatTableModule } from '@angular/material/table';
import { RouterLink } from '@angular/router';
import { Subject, debounceTime } from 'rxjs';

import { AdminApi } from '../../core/admin-api';
import type { Message, MessageDirection, MessageQuery } from '../../core/api-types';
import { CursorList } from '../../shared/cursor-list';
import { humanize } from '../../shared/format';
import { columnsFor, injectScreenSize } from '../../shared/screen';
import { StateBadge } from '../../shared/state-badge';
import { StatePanel } from '../../shared/state-panel';

type TextFilter = 'phone' | 'jobId';

/** Every status a message can be in: ours before Twilio (pending, suppressed, canceled), Twilio's, and inbound. */
const STATUSES = [
  'pending',
  'queued',
  'sent',
  'delivered',
  'undelivered',
  'failed',
  'suppressed',
  'canceled',
  'received',
] as const;

@Component({
  selector: 'app-messages',
  imports: [
    DatePipe,
    MatButtonModule,
    MatFormFieldModule,
    MatIconModule,
    MatInputModule,
    MatProgressBarModule,
    MatSelectModule,
    MatTableModule,
    RouterLink,
    StateBadge,
    StatePanel,
  ],
  templateUrl: './messages.html',
  styleUrl: './messages.scss',
})
export class MessagesPage {
  private readonly api = inject(AdminApi);

  protected readonly statuses = STATUSES;
  /** Options read like the badges in the table. */
  protected readonly statusLabel = humanize;
  protected readonly phone = signal('');
  protected readonly jobId = signal('');
  protected readonly direction = signal<MessageDirection | 'any'>('any');
  protected readonly status = signal<string>('any');
  protected readonly filtered = computed(
    () => !!this.phone() || !!this.jobId() || this.direction() !== 'any' || this.status() !== 'any',
  );

  private readonly screen = injectScreenSize();
  protected readonly columns = computed(() =>
    columnsFor(this.screen(), {
      phone: ['createdAt', 'direction', 'body'],
      tablet: ['createdAt', 'direction', 'from', 'to', 'body', 'status'],
      wide: ['createdAt', 'direction', 'from', 'to', 'body', 'status', 'job'],
    }),
  );

  private readonly query = computed<MessageQuery>(() => {
    const direction = this.direction();
    const status = this.status();
    return {
      phone: this.phone() || undefined,
      jobId: this.jobId() || undefined,
      direction: direction === 'any' ? undefined : direction,
      status: status === 'any' ? undefined : status,
    };
  });

  protected readonly list = new CursorList<Message>(({ cursor }) =>
    this.api.messages({ ...this.query(), cursor }),
  );
  // A message Twilio refused outright never got a sid; its time and recipient still identify it.
  protected readonly trackBySid = (_index: number, message: Message): string =>
    message.sid ?? `${message.createdAt}:${message.to}`;

  private readonly typed = new Subject<{ filter: TextFilter; value: string }>();

  constructor() {
    effect(() => {
      this.query();
      untracked(() => this.list.reload());
    });
    this.typed.pipe(debounceTime(300), takeUntilDestroyed()).subscribe(({ filter, value }) => {
      this[filter].set(value.trim());
    });
  }

  protected type(filter: TextFilter, value: string): void {
    this.typed.next({ filter, value });
  }

  protected clearFilters(): void {
    this.phone.set('');
    this.jobId.set('');
    this.direction.set('any');
    this.status.set('any');
  }
}
