import { describe, expect, it } from '@jest/globals';
import twilio from 'twilio';
import { maskPhonesIn } from '../src/phone.ts';
import { countSegments } from '../src/sms-encoding.ts';
import { readTwimlMessages } from '../src/twiml.ts';

describe('reading TwiML replies', () => {
  it('reads what the SDK MessagingResponse writes, entities decoded', () => {
    const response = new twilio.twiml.MessagingResponse();
    response.message('Job #42 <Elm St> & "ETA" 20\'');
    response.message({ to: '+15557654321', from: '+15005550006' }, 'second');
    response.message({ action: 'https://x.test/status?replyTo=SM1&a=b' }, 'tracked');

    expect(readTwimlMessages(response.toString())).toEqual([
      { body: 'Job #42 <Elm St> & "ETA" 20\'' },
      { body: 'second', to: '+15557654321', from: '+15005550006' },
      { body: 'tracked', statusCallback: 'https://x.test/status?replyTo=SM1&a=b' },
    ]);
  });

  it('reads a <Body> child and ignores <Media>', () => {
    const twiml =
      '<Response><Message><Body>See photo</Body><Media>https://x.test/a.jpg</Media></Message></Response>';

    expect(readTwimlMessages(twiml)).toEqual([{ body: 'See photo' }]);
  });

  it('finds nothing in an empty response or in something that is not TwiML', () => {
    expect(readTwimlMessages('<Response/>')).toEqual([]);
    expect(readTwimlMessages('<Response></Response>')).toEqual([]);
    expect(readTwimlMessages('{"ok":true}')).toEqual([]);
  });
});

describe('masking phone numbers in log text', () => {
  it('keeps the last four digits of plain and URL-encoded numbers', () => {
    expect(maskPhonesIn('/Messages.json?To=%2B15551234567&From=+15005550006')).toBe(
      '/Messages.json?To=***4567&From=***0006',
    );
  });

  it('leaves SIDs and short numbers alone', () => {
    const sid = 'SM00000000001234567890abcdef123456';

    expect(maskPhonesIn(`/Messages/${sid}.json?PageSize=50&Page=2`)).toBe(
      `/Messages/${sid}.json?PageSize=50&Page=2`,
    );
  });
});

describe('counting SMS segments', () => {
  it.each([
    ['160 GSM characters', 'a'.repeat(160), 1],
    ['161 GSM characters', 'a'.repeat(161), 2],
    ['extension characters counting twice', '€'.repeat(81), 2],
    ['70 UCS-2 characters', 'é'.repeat(69) + 'ł', 1],
    ['71 UCS-2 characters', 'ł'.repeat(71), 2],
  ])('%s', (_case, body, segments) => {
    expect(countSegments(body)).toBe(segments);
  });
});
