import { Injectable, inject } from '@angular/core';
import { MatSnackBar } from '@angular/material/snack-bar';

import { apiErrorMessage } from '../core/api-error';

/** Snackbar messages: the server's `message` for failures, a short line for successes. */
@Injectable({ providedIn: 'root' })
export class Notifier {
  private readonly snackBar = inject(MatSnackBar);

  info(message: string): void {
    this.snackBar.open(message, 'OK');
  }

  error(error: unknown): void {
    this.snackBar.open(apiErrorMessage(error), 'Dismiss', { duration: 10_000, politeness: 'assertive' });
  }
}
