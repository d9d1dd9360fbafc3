import { DatePipe } from '@angular/common';
import { Component, computed, effect, inject, signal, untracked } from '@angular/core';
import { MatButtonModule } from '@angular/material/button';
import { MatFormFieldModule } from '@angular/material/form-field';
import { MatIconModule } from '@angular/material/icon';
import { MatProgressBarModule } from '@angular/material/progress-bar';
import { MatSelectModule } from '@angular/material/select';
import { MatTableModule } from '@angular/material/table';

import { AdminApi } from '../../core/admin-api';
import type { BookingSession, FunnelStep } from '../../core/api-types';
import { FUNNEL_STEPS } from '../../core/api-types';
import { CursorList } from '../../shared/cursor-list';
import { columnsFor, injectScreenSize } from '../../shared/screen';
import { HumanizePipe } from '../../shared/format';
import { StatePanel } from '../../shared/state-panel';
import { ServiceNamePipe } from '../../shared/service-names';

/** Where a visitor came from: the campaign source when tagged, else the referring site. */
export function sessionSource(session: BookingSession): string {
  const utm = session.utm;
  const source = utm?.['source'] ?? utm?.['utm_source'];
  if (source) {
    const medium = utm?.['medium'] ?? utm?.['utm_medium'];
    return medium ? `${source} / ${medium}` : source;
  }
  if (session.referrer) {
    try {
      return new URL(session.referrer).hostname;
    } catch {
      return session.referrer;
    }
  }
  return 'Direct';
}

@Component({
  selector: 'app-sessions',
  imports: [
    ServiceNamePipe,
    DatePipe,
    HumanizePipe,
    MatButtonModule,
    MatFormFieldModule,
    MatIconModule,
    MatProgressBarModule,
    MatSelectModule,
    MatTableModule,
    StatePanel,
  ],
  templateUrl: './sessions.html',
  styleUrl: './sessions.scss',
})
export class SessionsPage {
  private readonly api = inject(AdminApi);

  protected readonly steps = FUNNEL_STEPS;
  protected readonly step = signal<FunnelStep | 'any'>('any');
  private readonly screen = injectScreenSize();
  protected readonly columns = computed(() =>
    columnsFor(this.screen(), {
      phone: ['createdAt', 'furthest', 'served'],
      tablet: ['createdAt', 'furthest', 'service', 'served', 'source'],
      wide: ['createdAt', 'furthest', 'service', 'address', 'served', 'source', 'updatedAt'],
    }),
  );
  protected readonly source = sessionSource;

  protected readonly list = new CursorList<BookingSession>(({ cursor }) => {
    const step = this.step();
    return this.api.sessions({ step: step === 'any' ? undefined : step, cursor });
  });
  protected readonly trackById = (_index: number, session: BookingSession): string => session.id;

  constructor() {
    effect(() => {
      this.step();
      untracked(() => this.list.reload());
    });
  }

  protected stepIndex(step: FunnelStep): number {
    return FUNNEL_STEPS.indexOf(step);
  }
}
