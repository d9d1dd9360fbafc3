// Twilio's REST error body; the SDK turns it into a RestException with the same fields.

export interface TwilioErrorBody {
  code: number;
  message: string;
  more_info: string;
  status: number;
}

export function twilioError(status: number, code: number, message: string): TwilioErrorBody {
  return { code, message, more_info: `https://www.twilio.com/docs/errors/${code}`, status };
}

export class TwilioApiError extends Error {
  readonly body: TwilioErrorBody;

  constructor(status: number, code: number, message: string) {
    super(message);
    this.name = 'TwilioApiError';
    this.body = twilioError(status, code, message);
  }
}

/** Twilio's magic test numbers (https://www.twilio.com/docs/iam/test-credentials). */
export function magicToNumberError(to: string): TwilioApiError | undefined {
  switch (to) {
    case '+15005550001':
      return new TwilioApiError(400, 21211, `The 'To' number ${to} is not a valid phone number.`);
    case '+15005550002':
      return new TwilioApiError(400, 21612, `The 'To' phone number: ${to}, is not currently reachable.`);
    case '+15005550003':
      return new TwilioApiError(
        400,
        21408,
        `Permission to send an SMS has not been enabled for the region indicated by the 'To' number: ${to}.`,
      );
    case '+15005550004':
      return new TwilioApiError(400, 21610, 'Attempt to send to unsubscribed recipient');
    case '+15005550009':
      return new TwilioApiError(400, 21614, `'To' number ${to} is not a valid mobile number`);
    default:
      return undefined;
  }
}

export function magicFromNumberError(from: string): TwilioApiError | undefined {
  switch (from) {
    case '+15005550001':
      return new TwilioApiError(
        400,
        21212,
        `The 'From' number ${from} is not a valid phone number, shortcode, or alphanumeric sender ID.`,
      );
    case '+15005550007':
      return new TwilioApiError(
        400,
        21606,
        `The From phone number ${from} is not a valid, SMS-capable inbound phone number or short code for your account.`,
      );
    case '+15005550008':
      return new TwilioApiError(
        400,
        21611,
        `This 'From' number ${from} has exceeded the maximum number of queued messages`,
      );
    default:
      return undefined;
  }
}
