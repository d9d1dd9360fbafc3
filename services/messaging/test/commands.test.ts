import { describe, expect, it } from '@jest/globals';
import type { messaging } from '@trades/contracts';
import { parseCommand } from '../src/domain/commands.ts';

const cases: [string, messaging.SmsCommand][] = [
  ['YES', { kind: 'YES' }],
  ['yes', { kind: 'YES' }],
  ['Yes!', { kind: 'YES' }],
  ['  YES  ', { kind: 'YES' }],
  ['Y', { kind: 'YES' }],
  ['yep', { kind: 'YES' }],
  ['yes please', { kind: 'YES' }],
  [' YES 20 ', { kind: 'YES', etaMinutes: 20 }],
  ['yes 20min', { kind: 'YES', etaMinutes: 20 }],
  ['Yes, 15 mins', { kind: 'YES', etaMinutes: 15 }],
  ['yes 4821', { kind: 'YES', jobCode: '4821' }],
  ['YES 4821 25', { kind: 'YES', jobCode: '4821', etaMinutes: 25 }],
  ['YES #4821', { kind: 'YES', jobCode: '4821' }],
  ['yes 0', { kind: 'YES' }],
  ['yes 999', { kind: 'YES' }],
  ['yes 123456', { kind: 'YES' }],
  ['NO', { kind: 'NO' }],
  ['no.', { kind: 'NO' }],
  ['n', { kind: 'NO' }],
  ['No 4821', { kind: 'NO', jobCode: '4821' }],
  ['AVAILABLE', { kind: 'AVAILABLE' }],
  ['available!!', { kind: 'AVAILABLE' }],
  ['avail', { kind: 'AVAILABLE' }],
  ['UNAVAILABLE', { kind: 'UNAVAILABLE' }],
  ['not available', { kind: 'UNAVAILABLE' }],
  ['Offline', { kind: 'UNAVAILABLE' }],
  ['STOP', { kind: 'STOP' }],
  ['stop.', { kind: 'STOP' }],
  ['Unsubscribe', { kind: 'STOP' }],
  ['cancel', { kind: 'STOP' }],
  ['START', { kind: 'START' }],
  ['unstop', { kind: 'START' }],
  ['HELP', { kind: 'HELP' }],
  ['info', { kind: 'HELP' }],
  ['OMW', { kind: 'OMW' }],
  ['on my way 10', { kind: 'OMW', etaMinutes: 10 }],
  ['en route', { kind: 'OMW' }],
  ['DONE', { kind: 'DONE' }],
  ['completed', { kind: 'DONE' }],
  ['', { kind: 'UNKNOWN' }],
  ['?', { kind: 'UNKNOWN' }],
  ['maybe later', { kind: 'UNKNOWN' }],
  ['stop sending me jobs at night', { kind: 'UNKNOWN' }],
  ['yesterday', { kind: 'UNKNOWN' }],
];

describe('parseCommand', () => {
  it.each(cases)('reads %j as %j', (text, expected) => {
    expect(parseCommand(text)).toEqual(expected);
  });
});
