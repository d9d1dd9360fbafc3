import { Component, inject } from '@angular/core';
import { MatButtonModule } from '@angular/material/button';
import { MAT_DIALOG_DATA, MatDialogModule } from '@angular/material/dialog';

import { OneTimeSecret } from './one-time-secret';

export interface SecretDialogData {
  partnerName: string;
  secret: string;
}

/** The new webhook signing secret, shown this once. Open it with `disableClose`. */
@Component({
  selector: 'app-secret-dialog',
  imports: [MatButtonModule, MatDialogModule, OneTimeSecret],
  template: `
    <h2 mat-dialog-title>New signing secret for {{ data.partnerName }}</h2>
    <mat-dialog-content>
      <app-one-time-secret
        [secret]="data.secret"
        label="Webhook signing secret"
        what="The partner verifies the Trades-Signature header of every webhook with it; the old secret no longer signs."
      />
    </mat-dialog-content>
    <mat-dialog-actions align="end">
      <button matButton="filled" type="button" mat-dialog-close>I have copied the secret</button>
    </mat-dialog-actions>
  `,
})
export class SecretDialog {
  protected readonly data = inject<SecretDialogData>(MAT_DIALOG_DATA);
}
