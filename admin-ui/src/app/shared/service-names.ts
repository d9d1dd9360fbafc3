import { Injectable, Pipe, inject, signal } from '@angular/core';
import type { PipeTransform } from '@angular/core';

import { AdminApi } from '../core/admin-api';
import { humanize } from './format';

/** The service catalog's display names, fetched once on first use. */
@Injectable({ providedIn: 'root' })
export class ServiceNames {
  private readonly api = inject(AdminApi);
  private readonly names = signal<ReadonlyMap<string, string>>(new Map());
  private requested = false;

  /** "lockout_home" → "Home lockout"; the humanized code until the catalog has arrived. */
  nameOf(code: string | null | undefined): string {
    if (!code) return '—';
    if (!this.requested) this.load();
    return this.names().get(code) ?? humanize(code);
  }

  private load(): void {
    this.requested = true;
    this.api.services().subscribe({
      next: (services) => this.names.set(new Map(services.map((service) => [service.code, service.name]))),
      // Codes stay readable without the catalog; a later page can try again.
      error: () => (this.requested = false),
    });
  }
}

@Pipe({ name: 'serviceName', pure: false })
export class ServiceNamePipe implements PipeTransform {
  private readonly names = inject(ServiceNames);

  transform(code: string | null | undefined): string {
    return this.names.nameOf(code);
  }
}
