import { HttpClient, HttpParams } from '@angular/common/http';
import { Injectable, inject } from '@angular/core';
import type { Observable } from 'rxjs';
import { map } from 'rxjs';

import type {
  BookingSession,
  CardLink,
  CreatedPartnerKey,
  CreditDecision,
  CreditQuery,
  Dashboard,
  DeliveryQuery,
  DispatchAction,
  Funnel,
  JobDetail,
  JobQuery,
  JobSummary,
  LeadAnalytics,
  LeadCredit,
  LeadDetail,
  LeadPartnerRef,
  LeadPrice,
  LeadPriceChange,
  LeadPriceInput,
  LeadQuery,
  LeadService,
  LeadSummary,
  LeadUrgency,
  Locksmith,
  LocksmithPatch,
  LocksmithQuery,
  Message,
  MessageQuery,
  NewLeadCredit,
  NewLocksmith,
  NewPartner,
  NewPlumber,
  Operator,
  Page,
  Partner,
  PartnerPatch,
  PartnerStats,
  Plumber,
  PlumberForLead,
  PlumberPatch,
  PlumberQuery,
  Service,
  SessionQuery,
  WebhookDelivery,
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

  // -------------------------------------------------------------------------------------------------
  // Leads, Credits and Lead analytics pages (ui-leads).

  leads(query: LeadQuery): Observable<Page<LeadSummary>> {
    return this.http.get<Page<LeadSummary>>('/api/admin/leads', {
      ...this.options,
      params: toParams({ ...query }),
    });
  }

  lead(id: string): Observable<LeadDetail> {
    return this.http.get<LeadDetail>(`/api/admin/leads/${encodeURIComponent(id)}`, this.options);
  }

  /** Plumbers an operator may sell the lead to, those who can buy it first. */
  plumbersForLead(leadId: string, q: string): Observable<PlumberForLead[]> {
    return this.http
      .get<{ items: PlumberForLead[] }>(`/api/admin/leads/${encodeURIComponent(leadId)}/plumbers`, {
        ...this.options,
        params: toParams({ q }),
      })
      .pipe(map((response) => response.items));
  }

  sellLead(leadId: string, plumberId: string): Observable<LeadDetail> {
    return this.http.post<LeadDetail>(
      `/api/admin/leads/${encodeURIComponent(leadId)}/assign`,
      { plumberId },
      this.options,
    );
  }

  completeLead(leadId: string): Observable<LeadDetail> {
    return this.http.post<LeadDetail>(
      `/api/admin/leads/${encodeURIComponent(leadId)}/complete`,
      {},
      this.options,
    );
  }

  creditLead(leadId: string, credit: NewLeadCredit): Observable<LeadCredit> {
    return this.http.post<LeadCredit>(
      `/api/admin/leads/${encodeURIComponent(leadId)}/credits`,
      credit,
      this.options,
    );
  }

  /** The plumbing catalogue leads ask for. */
  leadServices(): Observable<LeadService[]> {
    return this.http
      .get<{ items: LeadService[] }>('/api/leads/services', this.options)
      .pipe(map((response) => response.items));
  }

  /** Partners by name, for the leads filters (the first 200 are plenty for a picker). */
  leadPartners(): Observable<LeadPartnerRef[]> {
    return this.http
      .get<Page<LeadPartnerRef>>('/api/admin/partners', { ...this.options, params: toParams({ limit: 200 }) })
      .pipe(map((page) => page.items.map(({ id, name }) => ({ id, name }))));
  }

  credits(query: CreditQuery): Observable<Page<LeadCredit>> {
    return this.http.get<Page<LeadCredit>>('/api/admin/credits', {
      ...this.options,
      params: toParams({ ...query }),
    });
  }

  approveCredit(id: string, decision: CreditDecision): Observable<LeadCredit> {
    return this.http.post<LeadCredit>(
      `/api/admin/credits/${encodeURIComponent(id)}/approve`,
      decision,
      this.options,
    );
  }

  denyCredit(id: string, note: string): Observable<LeadCredit> {
    return this.http.post<LeadCredit>(
      `/api/admin/credits/${encodeURIComponent(id)}/deny`,
      { note },
      this.options,
    );
  }

  leadAnalytics(range: { from?: string; to?: string; timeZone?: string }): Observable<LeadAnalytics> {
    return this.http.get<LeadAnalytics>('/api/admin/lead-analytics', {
      ...this.options,
      params: toParams({ ...range }),
    });
  }

  // --- Plumbers, Partners and Prices pages (ui-ops) ---

  plumbers(query: PlumberQuery): Observable<Page<Plumber>> {
    return this.http.get<Page<Plumber>>('/api/admin/plumbers', {
      ...this.options,
      params: toParams({ ...query }),
    });
  }

  createPlumber(plumber: NewPlumber): Observable<Plumber> {
    return this.http.post<Plumber>('/api/admin/plumbers', plumber, this.options);
  }

  updatePlumber(id: string, patch: PlumberPatch): Observable<Plumber> {
    return this.http.patch<Plumber>(`/api/admin/plumbers/${encodeURIComponent(id)}`, patch, this.options);
  }

  /** Texts and emails the plumber a new single-use link to save their card. */
  sendCardLink(id: string): Observable<CardLink> {
    return this.http.post<CardLink>(
      `/api/admin/plumbers/${encodeURIComponent(id)}/card-link`,
      {},
      this.options,
    );
  }

  partners(query: { cursor?: string; limit?: number }): Observable<Page<Partner>> {
    return this.http.get<Page<Partner>>('/api/admin/partners', {
      ...this.options,
      params: toParams({ ...query }),
    });
  }

  partner(id: string): Observable<Partner> {
    return this.http.get<Partner>(`/api/admin/partners/${encodeURIComponent(id)}`, this.options);
  }

  createPartner(partner: NewPartner): Observable<Partner> {
    return this.http.post<Partner>('/api/admin/partners', partner, this.options);
  }

  updatePartner(id: string, patch: PartnerPatch): Observable<Partner> {
    return this.http.patch<Partner>(`/api/admin/partners/${encodeURIComponent(id)}`, patch, this.options);
  }

  /** The key itself is in this reply only. */
  issuePartnerKey(id: string, key: { name?: string; test?: boolean }): Observable<CreatedPartnerKey> {
    return this.http.post<CreatedPartnerKey>(
      `/api/admin/partners/${encodeURIComponent(id)}/keys`,
      key,
      this.options,
    );
  }

  revokePartnerKey(id: string, keyId: string): Observable<void> {
    return this.http.delete<void>(
      `/api/admin/partners/${encodeURIComponent(id)}/keys/${encodeURIComponent(keyId)}`,
      this.options,
    );
  }

  /** A new webhook signing secret, in this reply only; the old one stops signing at once. */
  rotateWebhookSecret(id: string): Observable<{ secret: string }> {
    return this.http.post<{ secret: string }>(
      `/api/admin/partners/${encodeURIComponent(id)}/webhook-secret`,
      {},
      this.options,
    );
  }

  partnerStats(id: string, range: { from?: string; to?: string }): Observable<PartnerStats> {
    return this.http.get<PartnerStats>(`/api/admin/partners/${encodeURIComponent(id)}/stats`, {
      ...this.options,
      params: toParams({ ...range }),
    });
  }

  partnerDeliveries(id: string, query: DeliveryQuery): Observable<Page<WebhookDelivery>> {
    return this.http.get<Page<WebhookDelivery>>(`/api/admin/partners/${encodeURIComponent(id)}/deliveries`, {
      ...this.options,
      params: toParams({ ...query }),
    });
  }

  retryDelivery(id: string, deliveryId: string): Observable<WebhookDelivery> {
    return this.http.post<WebhookDelivery>(
      `/api/admin/partners/${encodeURIComponent(id)}/deliveries/${encodeURIComponent(deliveryId)}/retry`,
      {},
      this.options,
    );
  }

  leadPrices(): Observable<LeadPrice[]> {
    return this.http
      .get<{ items: LeadPrice[] }>('/api/admin/lead-prices', this.options)
      .pipe(map((response) => response.items));
  }

  setLeadPrice(price: LeadPriceInput): Observable<LeadPrice> {
    return this.http.put<LeadPrice>('/api/admin/lead-prices', price, this.options);
  }

  /** Removes a ZIP-prefix price: the base price applies there again. */
  removeLeadPrice(price: { serviceCode: string; urgency: LeadUrgency; zipPrefix: string }): Observable<void> {
    return this.http.delete<void>('/api/admin/lead-prices', {
      ...this.options,
      params: toParams({ ...price }),
    });
  }

  leadPriceHistory(query: { cursor?: string; limit?: number }): Observable<Page<LeadPriceChange>> {
    return this.http.get<Page<LeadPriceChange>>('/api/admin/lead-prices/history', {
      ...this.options,
      params: toParams({ ...query }),
    });
  }
}
