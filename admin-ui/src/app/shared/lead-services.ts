import { Injectable, Pipe, computed, inject, signal } from '@angular/core';
import type { PipeTransform } from '@angular/core';

import { AdminApi } from '../core/admin-api';
import { apiErrorMessage } from '../core/api-error';
import type { LeadService } from '../core/api-types';
import { humanize } from './format';

type CatalogueState =
  { status: 'loading' } | { status: 'ok'; items: LeadService[] } | { status: 'error'; message: string };

/**
 * The plumbing catalogue leads are sold for (`GET /api/leads/services`), fetched once on first use:
 * names for codes, and the options of the services pickers. A failure can be retried.
 */
@Injectable({ providedIn: 'root' })
export class LeadServices {
  private readonly api = inject(AdminApi);
  private readonly state = signal<CatalogueState>({ status: 'loading' });
  /** Kept out of the signal: `nameOf` asks for the catalogue while a template renders. */
  private requested = false;

  readonly items = computed(() => {
    const state = this.state();
    return state.status === 'ok' ? state.items : [];
  });
  readonly loading = computed(() => this.state().status === 'loading');
  readonly error = computed(() => {
    const state = this.state();
    return state.status === 'error' ? state.message : null;
  });
  private readonly names = computed(
    () => new Map(this.items().map((service) => [service.code, service.name] as const)),
  );

  /** Asks for the catalogue once. */
  load(): void {
    if (this.requested) return;
    this.requested = true;
    this.api.leadServices().subscribe({
      next: (items) => this.state.set({ status: 'ok', items }),
      error: (error: unknown) => this.state.set({ status: 'error', message: apiErrorMessage(error) }),
    });
  }

  /** Asks again after a failure (names stay humanized codes until then). */
  retry(): void {
    if (this.state().status !== 'error') return;
    this.requested = false;
    this.state.set({ status: 'loading' });
    this.load();
  }

  /** "drain_cleaning" → "Drain cleaning"; the humanized code until the catalogue has arrived. */
  nameOf(code: string | null | undefined): string {
    if (!code) return '—';
    this.load();
    return this.names().get(code) ?? humanize(code);
  }
}

@Pipe({ name: 'leadServiceName', pure: false })
export class LeadServiceNamePipe implements PipeTransform {
  private readonly services = inject(LeadServices);

  transform(code: string | null | undefined): string {
    return this.services.nameOf(code);
  }
}
