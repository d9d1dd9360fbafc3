import { ChangeDetectionStrategy, Component, inject, signal } from '@angular/core';
import { form, FormField, FormRoot, maxLength, required, validate } from '@angular/forms/signals';
import { MatButton } from '@angular/material/button';
import { MatError, MatFormField, MatHint, MatLabel } from '@angular/material/form-field';
import { MatInput } from '@angular/material/input';
import { MatProgressSpinner } from '@angular/material/progress-spinner';
import { Router, RouterLink } from '@angular/router';

import { toApiError } from '../api/api-error';
import type { ServiceOffer } from '../api/booking-api';
import { Alert } from '../shared/alert';
import { firstError } from '../shared/forms';
import { formatCents, formatPriceRange } from '../shared/money';
import { PageHeading } from '../shared/page-heading';
import { toE164 } from '../shared/phone';
import { BookingFlow } from './booking-flow';
import { BookingProgress } from './booking-progress';

export const NAME_MAX = 80;
export const NOTES_MAX = 500;

/** Step 2: what the customer needs, and how the locksmith reaches them. */
@Component({
  selector: 'app-service-step',
  imports: [
    Alert,
    BookingProgress,
    FormField,
    FormRoot,
    MatButton,
    MatError,
    MatFormField,
    MatHint,
    MatInput,
    MatLabel,
    MatProgressSpinner,
    PageHeading,
    RouterLink,
  ],
  changeDetection: ChangeDetectionStrategy.OnPush,
  templateUrl: './service-step.html',
  styleUrl: './booking-step.scss',
})
export class ServiceStep {
  private readonly flow = inject(BookingFlow);
  private readonly router = inject(Router);

  protected readonly firstError = firstError;
  protected readonly formatCents = formatCents;
  protected readonly formatPriceRange = formatPriceRange;
  protected readonly notesMax = NOTES_MAX;
  protected readonly address = this.flow.draft().formattedAddress ?? this.flow.draft().address;
  protected readonly services = signal<readonly ServiceOffer[] | null>(null);
  protected readonly catalogError = signal<string | null>(null);
  protected readonly serverError = signal<string | null>(null);
  protected readonly notice = signal(this.flow.notice());

  protected readonly model = signal({
    serviceCode: this.flow.draft().serviceCode ?? '',
    name: this.flow.draft().name ?? '',
    phone: this.flow.draft().phone ?? '',
    notes: this.flow.draft().notes ?? '',
  });

  protected readonly form = form(
    this.model,
    (path) => {
      required(path.serviceCode, { message: 'Choose the service you need.' });
      required(path.name, { message: 'Enter your name, so the locksmith knows who to ask for.' });
      maxLength(path.name, NAME_MAX, { message: `Shorten your name to ${NAME_MAX} characters or fewer.` });
      required(path.phone, { message: 'Enter your mobile number, so the locksmith can call or text you.' });
      validate(path.phone, ({ value }) =>
        value().trim() && toE164(value()) === null
          ? {
              kind: 'phone',
              message: 'Enter a mobile number with its area code, e.g. (415) 555-0123.',
            }
          : null,
      );
      maxLength(path.notes, NOTES_MAX, {
        message: ({ value }) => `Shorten the notes to ${NOTES_MAX} characters (now ${value().length}).`,
      });
    },
    {
      submission: {
        action: async () => {
          await this.send();
          return undefined;
        },
        onInvalid: (field) =>
          [field.serviceCode, field.name, field.phone, field.notes]
            .find((f) => f().invalid())?.()
            .focusBoundControl(),
      },
    },
  );

  constructor() {
    this.flow.notice.set(null);
    void this.load();
  }

  protected async load(): Promise<void> {
    this.catalogError.set(null);
    if (!(await this.flow.resume())) return;
    if (!this.flow.requestId()) {
      await this.router.navigateByUrl('/book/location', { replaceUrl: true });
      return;
    }
    try {
      this.services.set(await this.flow.services());
    } catch (error) {
      this.catalogError.set(toApiError(error).message);
    }
  }

  private async send(): Promise<void> {
    this.serverError.set(null);
    const { serviceCode, name, phone, notes } = this.model();
    try {
      const serviceName = this.services()?.find((offer) => offer.code === serviceCode)?.name ?? serviceCode;
      await this.flow.submitService(
        {
          serviceCode,
          name: name.trim(),
          phone: toE164(phone) ?? phone.trim(),
          ...(notes.trim() ? { notes: notes.trim() } : {}),
        },
        serviceName,
      );
      await this.router.navigateByUrl('/book/payment');
    } catch (error) {
      if (!(await this.flow.redirectFor(error))) this.serverError.set(toApiError(error).message);
    }
  }
}
