import { HttpClient } from '@angular/common/http';
import { inject, Injectable } from '@angular/core';

import { callApi } from './call';
import { asArray, asObject, isJsonObject, readString } from './json';

export interface PlumbingService {
  readonly code: string;
  readonly name: string;
}

/** What the public form needs from the server before it can be filled in. */
export interface LeadFormCatalogue {
  readonly services: readonly PlumbingService[];
  /** The sentence beside the consent box: the server records exactly this text with each lead. */
  readonly consentText: string;
}

export const LEAD_URGENCIES = ['day', 'week', 'month'] as const;
export type LeadUrgency = (typeof LEAD_URGENCIES)[number];

/** The form's fields as `POST /api/leads` takes them. */
export interface LeadRequest {
  readonly firstName: string;
  readonly lastName: string;
  readonly email: string;
  readonly phone: string;
  readonly serviceNeeded: string;
  readonly urgency: LeadUrgency;
  readonly zipCode: string;
  readonly description?: string;
}

/** One problem the server found with a field (`400 VALIDATION_FAILED`, `details.fields`). */
export interface FieldProblem {
  readonly field: string;
  readonly message: string;
}

/** The field problems of a `400 VALIDATION_FAILED`'s details; entries of another shape are skipped. */
export function fieldProblems(details: Readonly<Record<string, unknown>> | undefined): FieldProblem[] {
  const fields = details?.['fields'];
  if (!Array.isArray(fields)) return [];
  return fields.flatMap((entry: unknown) =>
    isJsonObject(entry) && typeof entry['field'] === 'string' && typeof entry['message'] === 'string'
      ? [{ field: entry['field'], message: entry['message'] }]
      : [],
  );
}

/** The homeowner's side of plumber leads, same origin; rejects with an ApiError a person can read. */
@Injectable({ providedIn: 'root' })
export class LeadsApi {
  private readonly http = inject(HttpClient);

  async catalogue(): Promise<LeadFormCatalogue> {
    return callApi(this.http.get<unknown>('/api/leads/services'), (body) => {
      const o = asObject(body, 'leadServices');
      const items = asArray(o['items'], 'leadServices.items');
      return {
        services: items.map((item, i) => {
          const what = `leadServices.items[${i}]`;
          const service = asObject(item, what);
          return { code: readString(service, 'code', what), name: readString(service, 'name', what) };
        }),
        consentText: readString(o, 'consentText', 'leadServices'),
      };
    });
  }

  /** Sends the form with the consent box ticked; resolves to the new lead's id. */
  async submit(lead: LeadRequest): Promise<string> {
    return callApi(this.http.post<unknown>('/api/leads', { ...lead, consent: true }), (body) =>
      readString(asObject(body, 'lead'), 'leadId', 'lead'),
    );
  }
}
