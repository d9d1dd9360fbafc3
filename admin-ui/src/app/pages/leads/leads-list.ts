import { DatePipe } from '@angular/common';
import { Component, computed, effect, inject, untracked } from '@angular/core';
import { toSignal } from '@angular/core/rxjs-interop';
import { FormsModule } from '@angular/forms';
import { MatButtonModule } from '@angular/material/button';
import type { MatChipListboxChange } from '@angular/material/chips';
import { MatChipsModule } from '@angular/material/chips';
import { MatDatepickerModule } from '@angular/material/datepicker';
import { MatFormFieldModule } from '@angular/material/form-field';
import { MatIconModule } from '@angular/material/icon';
import { MatInputModule } from '@angular/material/input';
import { MatProgressBarModule } from '@angular/material/progress-bar';
import { MatSelectModule } from '@angular/material/select';
import { MatTableModule } from '@angular/material/table';
import { Router, RouterLink } from '@angular/router';
import { catchError, of } from 'rxjs';

import { AdminApi } from '../../core/admin-api';
import type { LeadPartnerRef, LeadService, LeadSummary } from '../../core/api-types';
import { LEAD_STATUSES, LEAD_URGENCIES, LEAD_URGENCY_LABELS } from '../../core/api-types';
import { CursorList } from '../../shared/cursor-list';
import { CentsPipe, HumanizePipe } from '../../shared/format';
import { columnsFor, injectScreenSize } from '../../shared/screen';
import { StateBadge } from '../../shared/state-badge';
import { StatePanel } from '../../shared/state-panel';
import { LeadsFilters } from './leads-filters';

@Component({
  selector: 'app-leads-list',
  imports: [
    CentsPipe,
    DatePipe,
    FormsModule,
    HumanizePipe,
    MatButtonModule,
    MatChipsModule,
    MatDatepickerModule,
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
  templateUrl: './leads-list.html',
  styleUrl: './leads-list.scss',
})
export class LeadsList {
  private readonly api = inject(AdminApi);
  private readonly router = inject(Router);
  protected readonly filters = inject(LeadsFilters);

  protected readonly allStatuses = LEAD_STATUSES;
  protected readonly urgencies = LEAD_URGENCIES;
  protected readonly urgencyLabels = LEAD_URGENCY_LABELS;

  // The pickers' options; without them the other filters still work.
  protected readonly services = toSignal(
    this.api.leadServices().pipe(catchError(() => of<LeadService[]>([]))),
    { initialValue: [] },
  );
  protected readonly partners = toSignal(
    this.api.leadPartners().pipe(catchError(() => of<LeadPartnerRef[]>([]))),
    { initialValue: [] },
  );
  private readonly partnerNames = computed(
    () => new Map(this.partners().map((partner) => [partner.id, partner.name])),
  );

  private readonly screen = injectScreenSize();
  /** Fewer columns on small screens; the lead's page has everything. */
  protected readonly columns = computed(() =>
    columnsFor(this.screen(), {
      phone: ['homeowner', 'status', 'service'],
      tablet: ['homeowner', 'status', 'service', 'urgency', 'price', 'createdAt'],
      wide: ['homeowner', 'status', 'service', 'urgency', 'zip', 'price', 'source', 'createdAt'],
    }),
  );

  protected readonly list = new CursorList<LeadSummary>((page) =>
    this.api.leads({ ...this.filters.query(), ...page }),
  );
  protected readonly trackById = (_index: number, lead: LeadSummary): string => lead.id;

  constructor() {
    // Any filter change starts the list over.
    effect(() => {
      this.filters.query();
      untracked(() => this.list.reload());
    });
  }

  protected sourceOf(lead: LeadSummary): string {
    if (lead.source === 'form') return 'Web form';
    return (lead.partnerId && this.partnerNames().get(lead.partnerId)) || 'Partner';
  }

  protected urgencyLabel(lead: LeadSummary): string {
    return LEAD_URGENCY_LABELS[lead.urgency];
  }

  protected statusChanged(change: MatChipListboxChange): void {
    const value: unknown = change.value;
    const status = LEAD_STATUSES.find((candidate) => candidate === value);
    this.filters.status.set(status ?? null);
  }

  protected open(lead: LeadSummary): void {
    void this.router.navigate(['/leads', lead.id]);
  }
}
