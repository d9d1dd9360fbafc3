import { parsePhoneNumberFromString } from 'libphonenumber-js';
import { normaliseEmail, type FieldProblem } from './lead-validation.ts';
import { normaliseWebhookUrl } from './partner-webhooks.ts';
import type { WebhookTargetPolicy } from './webhook-targets.ts';

/** The profile fields an operator sends (create or update); undefined: not given, null: clear it. */
export interface ProfileInput {
  name?: string | undefined;
  email?: string | null | undefined;
  contactName?: string | null | undefined;
  phone?: string | null | undefined;
  webhookUrl?: string | null | undefined;
}

export interface NormalisedProfile {
  name?: string;
  email?: string | null;
  contactName?: string | null;
  phone?: string | null;
  webhookUrl?: string | null;
}

/** Trimmed; an empty text is the same as clearing the field. */
const text = (value: string | null): string | null => {
  const trimmed = value?.trim() ?? '';
  return trimmed === '' ? null : trimmed;
};

/**
 * The given fields normalised (email lower-cased, phone in E.164, webhook URL absolute http(s)), or every
 * problem in a sentence an operator can act on.
 */
export function normaliseProfile(
  input: ProfileInput,
  policy: WebhookTargetPolicy,
): {
  profile: NormalisedProfile;
  problems: FieldProblem[];
} {
  const profile: NormalisedProfile = {};
  const problems: FieldProblem[] = [];
  if (input.name !== undefined) {
    const name = text(input.name);
    if (name) profile.name = name;
    else problems.push({ field: 'name', message: 'Give the partner a name.' });
  }
  if (input.email !== undefined) {
    const email = text(input.email);
    const normalised = email === null ? null : normaliseEmail(email);
    if (email !== null && normalised === null)
      problems.push({ field: 'email', message: 'Enter an email address like api@partner.com.' });
    else profile.email = normalised;
  }
  if (input.contactName !== undefined) profile.contactName = text(input.contactName);
  if (input.phone !== undefined) {
    const phone = text(input.phone);
    const parsed = phone === null ? undefined : parsePhoneNumberFromString(phone, 'US');
    if (phone !== null && !parsed?.isValid())
      problems.push({
        field: 'phone',
        message: 'Enter a phone number like (415) 555-0100 or +44 20 7946 0000.',
      });
    else profile.phone = parsed ? parsed.number : null;
  }
  if (input.webhookUrl !== undefined) {
    const url = text(input.webhookUrl);
    const normalised = url === null ? null : normaliseWebhookUrl(url, policy);
    if (url !== null && normalised === null)
      problems.push({
        field: 'webhookUrl',
        message:
          'Enter an absolute http(s) URL on the public internet, without a user name or password, like https://partner.com/hooks/leads.',
      });
    else profile.webhookUrl = normalised;
  }
  return { profile, problems };
}
