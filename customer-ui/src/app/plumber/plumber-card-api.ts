import { HttpClient } from '@angular/common/http';
import { inject, Injectable } from '@angular/core';
import { firstValueFrom, type Observable } from 'rxjs';

import { toApiError } from '../api/api-error';
import { asObject, JsonShapeError, type JsonObject, optionalString, readString } from '../api/json';

export interface CardSession {
  readonly setupIntentId: string;
  readonly clientSecret: string;
  readonly firstName: string;
  readonly mode: 'stripe' | 'emulator';
  readonly publishableKey?: string;
  readonly expiresAt: string;
}

export type CardStatus = 'none' | 'saved' | 'needs_update';

export interface SavedCard {
  readonly status: CardStatus;
  readonly brand?: string;
  readonly last4?: string;
}

function parseStatus(o: JsonObject, what: string): CardStatus {
  const status = o['status'];
  if (status === 'none' || status === 'saved' || status === 'needs_update') return status;
  throw new JsonShapeError(`${what}.status is not a card status`);
}

/** A card as the API reports it (`{ status, brand, last4 }`). */
export function parseCard(value: unknown, what = 'card'): SavedCard {
  const o = asObject(value, what);
  const brand = optionalString(o, 'brand', what);
  const last4 = optionalString(o, 'last4', what);
  return {
    status: parseStatus(o, what),
    ...(brand ? { brand } : {}),
    ...(last4 ? { last4 } : {}),
  };
}

function parseSession(value: unknown): CardSession {
  const what = 'card session';
  const o = asObject(value, what);
  const mode = o['mode'];
  if (mode !== 'stripe' && mode !== 'emulator') throw new JsonShapeError(`${what}.mode is unknown`);
  const publishableKey = optionalString(o, 'publishableKey', what);
  return {
    setupIntentId: readString(o, 'setupIntentId', what),
    clientSecret: readString(o, 'clientSecret', what),
    firstName: readString(asObject(o['plumber'], `${what}.plumber`), 'firstName', `${what}.plumber`),
    mode,
    ...(publishableKey ? { publishableKey } : {}),
    expiresAt: readString(o, 'expiresAt', what),
  };
}

const cardUrl = (token: string): string => `/api/plumber-card/${encodeURIComponent(token)}`;

/** A plumber's card link: open it, confirm a test card (emulator), save the card. Same origin. */
@Injectable({ providedIn: 'root' })
export class PlumberCardApi {
  private readonly http = inject(HttpClient);

  session(token: string): Promise<CardSession> {
    return this.call(this.http.get<unknown>(cardUrl(token)), parseSession);
  }

  testConfirm(token: string, paymentMethod: string): Promise<string> {
    return this.call(this.http.post<unknown>(`${cardUrl(token)}/test-confirm`, { paymentMethod }), (body) =>
      readString(asObject(body, 'confirmation'), 'status', 'confirmation'),
    );
  }

  complete(token: string): Promise<SavedCard> {
    return this.call(this.http.post<unknown>(`${cardUrl(token)}/complete`, {}), (body) =>
      parseCard(asObject(body, 'completion')['card']),
    );
  }

  private async call<T>(request: Observable<unknown>, parse: (body: unknown) => T): Promise<T> {
    try {
      return parse(await firstValueFrom(request));
    } catch (error) {
      throw toApiError(error);
    }
  }
}
