import { HttpClient, HttpParams } from '@angular/common/http';
import { Injectable, inject } from '@angular/core';
import type { Observable } from 'rxjs';
import { map } from 'rxjs';

import type {
  BookingSession,
  Dashboard,
  DispatchAction,
  Funnel,
  JobDetail,
  JobQuery,
  JobSummary,
  Locksmith,
  LocksmithPatch,
  LocksmithQuery,
  Message,
  MessageQuery,
  NewLocksmith,
  Operator,
  Page,
  Service,
  SessionQuery,
} from './api-types';

type QueryValue = string | number | boolean | readonly string[] | undefined | null;

/** Drops empty values so the server sees only the filters the operator set. */
function toParams(query: Record<string, QueryValue>): HttpParams {
  let params = new HttpParams();
  for (const [key, value] of Object.entries(query)) {
    if (value === undefined || value === null || value === '') continue;
    if (Array.isArray(value)) {
      if (value.length > 0) params = params.set(key, value.join(','));
    } else {
      params = params.set(key, String(value));
    }
  }
  return params;
}

/**
 * Every call the console makes to the gateway. Same origin, relative URLs; the session
 * cookie rides along (`withCredentials`), and 401s are handled by the auth interceptor.
 */
@Injectable({ providedIn: 'root' })
export class AdminApi {
  private readonly http = inject(HttpClient);
  private readonly options = { withCredentials: true } as const;

  login(email: string, password: string): Observable<void> {
    return this.http.post<void>('/api/admin/login', { email, password }, this.options);
  }

  logout(): Observable<void> {
    return this.http.post<void>('/api/admin/logout', {}, this.options);
  }

  me(): Observable<Operator> {
    return this.http.get<Operator>('/api/admin/me', this.options);
  }

  dashboard(): Observable<Dashboard> {
    return this.http.get<Dashboard>('/api/admin/dashboard', this.options);
  }

  jobs(query: JobQuery): Observable<Page<JobSummary>> {
    const params = toParams({ sort: 'createdAt:desc', ...query });
    return this.http.get<Page<JobSummary>>('/api/admin/jobs', { ...this.options, params });
  }

  job(id: string): Observable<JobDetail> {
    return this.http.get<JobDetail>(`/api/admin/jobs/${encodeURIComponent(id)}`, this.options);
  }

  assign(jobId: string, locksmithId: string): Observable<JobDetail> {
    return this.http.post<JobDetail>(
      `/api/admin/jobs/${encodeURIComponent(jobId)}/assign`,
      { locksmithId },
      this.options,
    );
  }

  dispatch(jobId: string, action: DispatchAction): Observable<JobDetail> {
    return this.http.post<JobDetail>(
      `/api/admin/jobs/${encodeURIComponent(jobId)}/dispatch`,
      { action },
      this.options,
    );
  }

  refund(jobId: string, refund: { amountCents?: number; reason: string }): Observable<JobDetail> {
    return this.http.post<JobDetail>(
      `/api/admin/jobs/${encodeURIComponent(jobId)}/refund`,
      refund,
      this.options,
    );
  }

  locksmiths(query: LocksmithQuery): Observable<Page<Locksmith>> {
    return this.http.get<Page<Locksmith>>('/api/admin/locksmiths', {
      ...this.options,
      params: toParams({ ...query }),
    });
  }

  createLocksmith(locksmith: NewLocksmith): Observable<Locksmith> {
    return this.http.post<Locksmith>('/api/admin/locksmiths', locksmith, this.options);
  }

  updateLocksmith(id: string, patch: LocksmithPatch): Observable<Locksmith> {
    return this.http.patch<Locksmith>(`/api/admin/locksmiths/${encodeURIComponent(id)}`, patch, this.options);
  }

  services(): Observable<Service[]> {
    return this.http
      .get<{ items: Service[] }>('/api/services', this.options)
      .pipe(map((response) => response.items));
  }

  messages(query: MessageQuery): Observable<Page<Message>> {
    return this.http.get<Page<Message>>('/api/admin/messages', {
      ...this.options,
      params: toParams({ ...query }),
    });
  }

  sessions(query: SessionQuery): Observable<Page<BookingSession>> {
    return this.http.get<Page<BookingSession>>('/api/admin/sessions', {
      ...this.options,
      params: toParams({ ...query }),
    });
  }

  funnel(range: { from?: string; to?: string }): Observable<Funnel> {
    return this.http.get<Funnel>('/api/admin/analytics/funnel', {
      ...this.options,
      params: toParams({ ...range }),
    });
  }
}
