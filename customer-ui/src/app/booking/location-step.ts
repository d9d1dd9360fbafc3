import {
  ChangeDetectionStrategy,
  Component,
  inject,
  signal,
  viewChild,
  type ElementRef,
} from '@angular/core';
import { form, FormField, FormRoot, required, validate } from '@angular/forms/signals';
import { MatButton } from '@angular/material/button';
import { MatError, MatFormField, MatHint, MatLabel } from '@angular/material/form-field';
import { MatIcon } from '@angular/material/icon';
import { MatInput } from '@angular/material/input';
import { MatProgressSpinner } from '@angular/material/progress-spinner';
import { Router } from '@angular/router';

import { toApiError } from '../api/api-error';
import type { ResolvedAddress } from '../api/booking-api';
import { Alert } from '../shared/alert';
import { GEOLOCATION } from '../shared/browser';
import { firstError } from '../shared/forms';
import { PageHeading } from '../shared/page-heading';
import { BookingFlow } from './booking-flow';
import { BookingProgress } from './booking-progress';

interface Position {
  readonly lat: number;
  readonly lng: number;
  readonly accuracyMeters: number;
}

/** Step 1: where the customer is. Typed address, optionally helped by the browser's location. */
@Component({
  selector: 'app-location-step',
  imports: [
    Alert,
    BookingProgress,
    FormField,
    FormRoot,
    MatButton,
    MatError,
    MatFormField,
    MatHint,
    MatIcon,
    MatInput,
    MatLabel,
    MatProgressSpinner,
    PageHeading,
  ],
  changeDetection: ChangeDetectionStrategy.OnPush,
  templateUrl: './location-step.html',
  styleUrl: './booking-step.scss',
})
export class LocationStep {
  private readonly flow = inject(BookingFlow);
  private readonly router = inject(Router);
  private readonly geolocation = inject(GEOLOCATION);

  protected readonly firstError = firstError;
  protected readonly canLocate = this.geolocation !== null;
  protected readonly position = signal<Position | null>(null);
  protected readonly locating = signal(false);
  protected readonly locationMessage = signal('');
  protected readonly serverError = signal<string | null>(null);
  protected readonly notServed = signal<ResolvedAddress | null>(null);
  protected readonly notice = signal(this.flow.notice());
  private readonly addressInput = viewChild<ElementRef<HTMLInputElement>>('addressInput');

  protected readonly model = signal({ address: this.flow.draft().address ?? '' });
  protected readonly form = form(
    this.model,
    (path) => {
      required(path.address, {
        message: 'Enter the address where you need the locksmith, or use your current location.',
        when: () => this.position() === null,
      });
      validate(path.address, ({ value }) => {
        const text = value().trim();
        return text.length > 0 && (text.length < 5 || !/\d/.test(text) || !/[a-z]/i.test(text))
          ? {
              kind: 'incomplete',
              message: 'Enter a full street address with a number, e.g. "1 Market St, San Francisco".',
            }
          : null;
      });
    },
    {
      submission: {
        action: async () => {
          await this.send();
          return undefined;
        },
        onInvalid: (field) => field.address().focusBoundControl(),
      },
    },
  );

  constructor() {
    this.flow.notice.set(null);
    // Register the visit as a booking as soon as the form shows; a failure here is retried
    // when the customer continues, where it can be reported.
    void this.flow
      .resume()
      .then((stayed) => (stayed ? this.flow.ensureStarted() : undefined))
      .catch(() => undefined);
  }

  protected useMyLocation(): void {
    const geolocation = this.geolocation;
    if (!geolocation) return;
    this.locating.set(true);
    this.locationMessage.set('Finding your location…');
    geolocation.getCurrentPosition(
      (found) => {
        this.locating.set(false);
        const accuracyMeters = Math.round(found.coords.accuracy);
        this.position.set({ lat: found.coords.latitude, lng: found.coords.longitude, accuracyMeters });
        const accuracy = accuracyMeters >= 1 ? `, accurate to about ${accuracyMeters} m` : '';
        this.locationMessage.set(
          `Location found${accuracy}. Add your street address too if you know it: it helps the locksmith find you.`,
        );
      },
      (failure) => {
        this.locating.set(false);
        this.position.set(null);
        this.locationMessage.set(
          failure.code === failure.PERMISSION_DENIED
            ? 'Location access is turned off for this site. Please type your address instead.'
            : "We couldn't find your location. Please type your address instead.",
        );
      },
      { enableHighAccuracy: true, timeout: 15_000, maximumAge: 60_000 },
    );
  }

  protected clearPosition(): void {
    this.position.set(null);
    this.locationMessage.set('');
  }

  protected tryAnotherAddress(): void {
    this.notServed.set(null);
    this.model.set({ address: '' });
    this.position.set(null);
    this.locationMessage.set('');
    queueMicrotask(() => this.addressInput()?.nativeElement.focus());
  }

  private async send(): Promise<void> {
    this.serverError.set(null);
    const address = this.model().address.trim();
    const position = this.position();
    try {
      const result = await this.flow.submitLocation({
        address: address || 'My current location',
        ...(position ? { lat: position.lat, lng: position.lng } : {}),
      });
      if (result.served) {
        await this.router.navigateByUrl('/book/service');
      } else {
        this.notServed.set(result.address);
      }
    } catch (error) {
      if (!(await this.flow.redirectFor(error))) this.serverError.set(toApiError(error).message);
    }
  }
}
