import { HttpErrorResponse } from '@angular/common/http';
import type { HttpInterceptorFn } from '@angular/common/http';
import { inject } from '@angular/core';
import { Router } from '@angular/router';
import { catchError, throwError } from 'rxjs';

import { Auth } from './auth';

// A wrong password (login) or the guard's own probe (me) are not "session expired".
const SELF_HANDLED = ['/api/admin/login', '/api/admin/me'];

/** Any 401 from the API means the session is gone: back to sign-in, then back here. */
export const authInterceptor: HttpInterceptorFn = (request, next) => {
  const router = inject(Router);
  const auth = inject(Auth);
  return next(request).pipe(
    catchError((error: unknown) => {
      const selfHandled = SELF_HANDLED.some((path) => request.url.startsWith(path));
      if (error instanceof HttpErrorResponse && error.status === 401 && !selfHandled) {
        auth.forget();
        const here = router.url;
        if (!here.startsWith('/login')) {
          void router.navigate(['/login'], { queryParams: { returnUrl: here, expired: 1 } });
        }
      }
      return throwError(() => error);
    }),
  );
};
