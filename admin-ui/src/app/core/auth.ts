import { HttpErrorResponse } from '@angular/common/http';
import { Injectable, computed, inject, signal } from '@angular/core';
import type { Observable } from 'rxjs';
import { catchError, map, of, switchMap, tap } from 'rxjs';

import { AdminApi } from './admin-api';
import type { Operator } from './api-types';

/** Who is signed in. `undefined` until the server has been asked, `null` when nobody is. */
@Injectable({ providedIn: 'root' })
export class Auth {
  private readonly api = inject(AdminApi);
  private readonly current = signal<Operator | null | undefined>(undefined);

  readonly operator = this.current.asReadonly();
  private previousEmail = '';
  readonly signedIn = computed(() => !!this.current());

  /**
   * Resolves to whether an operator session exists. Only a 401 means "signed out"; when
   * the server cannot answer, the console lets the operator through so each page can
   * show its own error instead of a misleading sign-in form.
   */
  check(): Observable<boolean> {
    if (this.current()) return of(true);
    return this.api.me().pipe(
      tap((operator) => this.current.set(operator)),
      map(() => true),
      catchError((error: unknown) => {
        if (error instanceof HttpErrorResponse && error.status === 401) {
          this.current.set(null);
          return of(false);
        }
        return of(true);
      }),
    );
  }

  signIn(email: string, password: string): Observable<Operator> {
    return this.api.login(email, password).pipe(
      switchMap(() => this.api.me()),
      tap((operator) => this.current.set(operator)),
    );
  }

  signOut(): Observable<void> {
    return this.api.logout().pipe(
      catchError(() => of(undefined)),
      tap(() => this.current.set(null)),
      map(() => undefined),
    );
  }

  /** Who was signed in last, so a sign-in after an expired session needs only the password. */
  lastEmail(): string {
    return this.current()?.email ?? this.previousEmail;
  }

  /** The server said the session is gone (401 on some call). */
  forget(): void {
    this.previousEmail = this.current()?.email ?? this.previousEmail;
    this.current.set(null);
  }
}

/** Only same-app paths, so a crafted link cannot send an operator elsewhere after sign-in. */
export function safeReturnUrl(value: string | null | undefined): string {
  if (!value || !value.startsWith('/') || value.startsWith('//') || value.startsWith('/login')) return '/';
  return value;
}
