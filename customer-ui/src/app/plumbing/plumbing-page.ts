import { ChangeDetectionStrategy, Component, computed, inject, signal } from '@angular/core';
import {
  form,
  FormField,
  FormRoot,
  type FieldTree,
  maxLength,
  required,
  type TreeValidationResult,
  validate,
  type ValidationError,
} from '@angular/forms/signals';
import { MatButton } from '@angular/material/button';
import { MatError, MatFormField, MatHint, MatLabel } from '@angular/material/form-field';
import { MatIcon } from '@angular/material/icon';
import { MatInput } from '@angular/material/input';
import { MatProgressSpinner } from '@angular/material/progress-spinner';

import { toApiError } from '../api/api-error';
import {
  fieldProblems,
  type LeadFormCatalogue,
  type LeadRequest,
  type LeadUrgency,
  LeadsApi,
} from '../api/leads-api';
import { Alert } from '../shared/alert';
import { firstError } from '../shared/forms';
import { PageHeading } from '../shared/page-heading';
import { toE164 } from '../shared/phone';

export const NAME_MAX = 80;
export const DESCRIPTION_MAX = 2000;

/** The three answers to "when do you need it?", in the homeowner's words. */
export const URGENCY_CHOICES: readonly { value: LeadUrgency; label: string; hint: string }[] = [
  { value: 'day', label: 'Today or tomorrow', hint: 'It is urgent' },
  { value: 'week', label: 'This week', hint: 'Soon, but not an emergency' },
  { value: 'month', label: 'This month', hint: 'I am planning ahead' },
];

const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;
const ZIP = /^\d{5}$/;

/** How the page ends when the server has answered something other than a field problem. */
export type Outcome =
  | { readonly kind: 'sent'; readonly firstName: string; readonly zipCode: string; readonly email: string }
  | { readonly kind: 'duplicate'; readonly serviceName: string };

type LeadModel = {
  firstName: string;
  lastName: string;
  email: string;
  phone: string;
  zipCode: string;
  serviceNeeded: string;
  urgency: LeadUrgency | '';
  description: string;
  consent: boolean;
};

const EMPTY: LeadModel = {
  firstName: '',
  lastName: '',
  email: '',
  phone: '',
  zipCode: '',
  serviceNeeded: '',
  urgency: '',
  description: '',
  consent: false,
};

/**
 * The public plumbing form (`/plumbing`): a homeowner asks for a plumber. One page, a single column
 * sized for a phone; the server's answers — field problems, a request we already have, a ZIP code
 * nobody covers, too many requests — each get their own clear message.
 */
@Component({
  selector: 'app-plumbing-page',
  imports: [
    Alert,
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
  templateUrl: './plumbing-page.html',
  styleUrls: ['../booking/booking-step.scss', './plumbing-page.scss'],
})
export class PlumbingPage {
  private readonly api = inject(LeadsApi);

  protected readonly firstError = firstError;
  protected readonly urgencies = URGENCY_CHOICES;
  protected readonly descriptionMax = DESCRIPTION_MAX;
  protected readonly catalogue = signal<LeadFormCatalogue | null>(null);
  protected readonly catalogueError = signal<string | null>(null);
  /** The server's answer when it is about the whole request rather than one field. */
  protected readonly serverError = signal<{ kind: 'error' | 'warning'; title: string; text: string } | null>(
    null,
  );
  protected readonly outcome = signal<Outcome | null>(null);
  protected readonly sent = computed(() => {
    const outcome = this.outcome();
    return outcome?.kind === 'sent' ? outcome : null;
  });
  protected readonly duplicate = computed(() => {
    const outcome = this.outcome();
    return outcome?.kind === 'duplicate' ? outcome : null;
  });

  protected readonly model = signal<LeadModel>({ ...EMPTY });

  protected readonly form = form(
    this.model,
    (path) => {
      required(path.firstName, { message: 'Enter your first name.' });
      maxLength(path.firstName, NAME_MAX, { message: `Shorten your first name to ${NAME_MAX} characters.` });
      required(path.lastName, { message: 'Enter your last name.' });
      maxLength(path.lastName, NAME_MAX, { message: `Shorten your last name to ${NAME_MAX} characters.` });
      required(path.email, { message: 'Enter your email address.' });
      validate(path.email, ({ value }) =>
        value().trim() && !EMAIL.test(value().trim())
          ? { kind: 'email', message: 'Enter an email address like name@example.com.' }
          : null,
      );
      required(path.phone, { message: 'Enter your mobile number.' });
      validate(path.phone, ({ value }) =>
        value().trim() && toE164(value()) === null
          ? { kind: 'phone', message: 'Add the area code, e.g. (415) 555-0123.' }
          : null,
      );
      required(path.zipCode, { message: 'Enter the ZIP code where the work is.' });
      validate(path.zipCode, ({ value }) =>
        value().trim() && !ZIP.test(value().trim())
          ? { kind: 'zip', message: 'Enter a 5-digit ZIP code, e.g. 94110.' }
          : null,
      );
      required(path.serviceNeeded, { message: 'Choose what you need done.' });
      required(path.urgency, { message: 'Choose when you need it.' });
      maxLength(path.description, DESCRIPTION_MAX, {
        message: ({ value }) =>
          `Shorten the description to ${DESCRIPTION_MAX} characters (now ${value().length}).`,
      });
      validate(path.consent, ({ value }) =>
        value() ? null : { kind: 'consent', message: 'Tick the box so a plumber may contact you.' },
      );
    },
    {
      submission: {
        action: async (field) => this.send(field),
        onInvalid: (field) =>
          [
            field.firstName,
            field.lastName,
            field.email,
            field.phone,
            field.zipCode,
            field.serviceNeeded,
            field.urgency,
            field.description,
            field.consent,
          ]
            .find((f) => f().invalid())?.()
            .focusBoundControl(),
      },
    },
  );

  constructor() {
    void this.load();
  }

  protected async load(): Promise<void> {
    this.catalogueError.set(null);
    try {
      this.catalogue.set(await this.api.catalogue());
    } catch (error) {
      this.catalogueError.set(toApiError(error).message);
    }
  }

  /** Back to an empty form, e.g. to ask for another kind of work. */
  protected startOver(): void {
    this.model.set({ ...EMPTY });
    this.form().reset();
    this.outcome.set(null);
    this.serverError.set(null);
  }

  /** Whether a radio group's error shows: after a visit or a submit, like Material's fields. */
  protected showGroupError(field: FieldTree<string> | FieldTree<boolean>): boolean {
    return field().touched() && field().invalid();
  }

  private async send(field: FieldTree<LeadModel>): Promise<TreeValidationResult> {
    this.serverError.set(null);
    const value = this.model();
    if (value.urgency === '') return undefined;
    const description = value.description.trim();
    const lead: LeadRequest = {
      firstName: value.firstName.trim(),
      lastName: value.lastName.trim(),
      email: value.email.trim(),
      phone: toE164(value.phone) ?? value.phone.trim(),
      serviceNeeded: value.serviceNeeded,
      urgency: value.urgency,
      zipCode: value.zipCode.trim(),
      ...(description ? { description } : {}),
    };
    try {
      await this.api.submit(lead);
      this.outcome.set({ kind: 'sent', firstName: lead.firstName, zipCode: lead.zipCode, email: lead.email });
      return undefined;
    } catch (caught) {
      const error = toApiError(caught);
      switch (error.status === 429 ? 'RATE_LIMITED' : error.code) {
        case 'VALIDATION_FAILED': {
          const onFields = this.fieldErrors(field, error.details);
          if (onFields.length > 0) return onFields;
          break;
        }
        case 'DUPLICATE_LEAD':
          this.outcome.set({ kind: 'duplicate', serviceName: this.serviceName(lead.serviceNeeded) });
          return undefined;
        case 'NOT_SERVED':
          this.serverError.set({
            kind: 'warning',
            title: `No plumber covers ${lead.zipCode} yet`,
            text:
              `None of our plumbers takes ${this.serviceName(lead.serviceNeeded).toLowerCase()} work in ZIP code ` +
              `${lead.zipCode} yet, so we have not kept your request. Check the ZIP code, or try again in a few weeks: ` +
              'we are adding plumbers.',
          });
          return undefined;
        case 'RATE_LIMITED':
          this.serverError.set({
            kind: 'error',
            title: 'Too many requests',
            text: 'We have received several requests from your connection in a short time. Wait a minute, then send the form again.',
          });
          return undefined;
      }
      this.serverError.set({ kind: 'error', title: 'Your request was not sent', text: error.message });
      return undefined;
    }
  }

  /** The server's field problems, each on the field it names; the rest go into the page's message. */
  private fieldErrors(
    field: FieldTree<LeadModel>,
    details: Readonly<Record<string, unknown>> | undefined,
  ): ValidationError.WithOptionalFieldTree[] {
    const byName: Record<string, FieldTree<unknown>> = {
      firstName: field.firstName,
      lastName: field.lastName,
      email: field.email,
      phone: field.phone,
      zipCode: field.zipCode,
      serviceNeeded: field.serviceNeeded,
      urgency: field.urgency,
      description: field.description,
      consent: field.consent,
    };
    const placed: ValidationError.WithOptionalFieldTree[] = [];
    const elsewhere: string[] = [];
    for (const problem of fieldProblems(details)) {
      const target = byName[problem.field.split('.')[0] ?? ''];
      if (target) placed.push({ kind: 'server', message: problem.message, fieldTree: target });
      else elsewhere.push(problem.message);
    }
    if (elsewhere.length > 0) {
      this.serverError.set({ kind: 'error', title: 'Your request was not sent', text: elsewhere.join(' ') });
    }
    return placed;
  }

  private serviceName(code: string): string {
    return this.catalogue()?.services.find((s) => s.code === code)?.name ?? 'plumbing';
  }
}
