import type { messaging } from '@trades/contracts';

type SmsCommand = messaging.SmsCommand;
type SmsCommandKind = messaging.SmsCommandKind;

/**
 * How a locksmith's text becomes a command. Forgiving by design — they type on a phone, often in a hurry:
 *
 * - case, punctuation and extra spaces do not matter: "yes", "Yes!", " YES 20 " are all YES;
 * - short synonyms work: Y / YEP / YEAH / YUP / ACCEPT = YES; N / NOPE / DECLINE / PASS = NO;
 *   AVAIL / ONLINE = AVAILABLE; UNAVAIL / OFFLINE / "NOT AVAILABLE" = UNAVAILABLE;
 *   "ON MY WAY" / ENROUTE / "EN ROUTE" = OMW; COMPLETE / COMPLETED / FINISHED = DONE; INFO = HELP;
 * - PAUSE and RESUME are UNAVAILABLE and AVAILABLE, with the word kept as `alias` so the confirmation can
 *   answer in the plumber's own words ("paused", "resumed");
 * - `CREDIT <code> <reason>` (or CREDITS / REFUND) asks for a credit on a bought lead: the first 4-digit
 *   number is the lead's code, the rest is the reason as typed (`text`, for dispatch to read); the code
 *   may be missing (dispatch answers how to ask);
 * - every keyword Twilio itself treats as an opt-out (STOP, STOPALL, UNSUBSCRIBE, CANCEL, END, QUIT,
 *   REVOKE, OPTOUT) is STOP, and its opt-ins START / UNSTOP are START, but only as the whole message,
 *   exactly as Twilio applies them — otherwise our opt-out table and Twilio's would disagree;
 * - after YES, NO, OMW or DONE a number of 1–3 digits is an ETA in minutes ("YES 20", "YES 20min"),
 *   a 4-digit number is the job code from the offer ("YES 4821"); both may be given ("YES 4821 20");
 *   other words after the keyword ("yes please", "20 mins") are ignored;
 * - anything else is UNKNOWN, which is answered with HELP.
 */
export function parseCommand(text: string): SmsCommand {
  const words = normalise(text);
  const whole = words.join(' ');
  if (OPT_OUT.has(whole)) return { kind: 'STOP' };
  if (OPT_IN.has(whole)) return { kind: 'START' };
  const credit = parseCredit(text, words[0]);
  if (credit) return credit;

  for (const [phrase, kind] of PHRASES) {
    if (whole === phrase || whole.startsWith(`${phrase} `)) {
      return withArguments(kind, words.slice(phrase.split(' ').length));
    }
  }
  const [first, ...rest] = words;
  const alias = first === undefined ? undefined : ALIASES.get(first);
  if (alias) return { kind: alias, alias: first };
  const kind = first === undefined ? undefined : KEYWORDS.get(first);
  if (kind === undefined) return { kind: 'UNKNOWN' };
  return withArguments(kind, rest);
}

/** Words that stand for a command but are answered in their own terms (the word is kept as `alias`). */
const ALIASES = new Map<string, SmsCommandKind>([
  ['PAUSE', 'UNAVAILABLE'],
  ['RESUME', 'AVAILABLE'],
]);

const CREDIT_WORDS = new Set(['CREDIT', 'CREDITS', 'REFUND']);

/** The keyword at the start of the raw text, its punctuation and spaces before it included. */
const CREDIT_KEYWORD = /^[^A-Za-z0-9]*[A-Za-z]+/;
/** The lead's code: the first number of exactly four digits, with a `#` or "lead" before it if any. */
const LEAD_CODE = /(?:\blead\b[\s:#-]*)?#?(?<![0-9])([0-9]{4})(?![0-9])/i;
/** What may separate the keyword, the code and the reason: spaces and punctuation, not words. */
const EDGE_PUNCTUATION = /^[\s:;,.#!?-]+|[\s:;,-]+$/g;
const MAX_CREDIT_TEXT = 1600;

/**
 * `CREDIT 4821 wrong number` → code 4821, text "wrong number". The reason is taken from the message as
 * typed (case and punctuation kept: an operator may read it), not from the normalised words.
 */
function parseCredit(text: string, firstWord: string | undefined): SmsCommand | null {
  if (firstWord === undefined || !CREDIT_WORDS.has(firstWord)) return null;
  const afterKeyword = text.normalize('NFKC').replace(CREDIT_KEYWORD, '');
  const command: SmsCommand = { kind: 'CREDIT' };
  const code = LEAD_CODE.exec(afterKeyword);
  let reason = afterKeyword;
  if (code?.[1] !== undefined) {
    command.jobCode = code[1];
    reason = `${afterKeyword.slice(0, code.index)} ${afterKeyword.slice(code.index + code[0].length)}`;
  }
  reason = reason.replace(/\s+/g, ' ').replace(EDGE_PUNCTUATION, '').slice(0, MAX_CREDIT_TEXT);
  if (reason.length > 0) command.text = reason;
  return command;
}

const OPT_OUT = new Set(['STOP', 'STOPALL', 'UNSUBSCRIBE', 'CANCEL', 'END', 'QUIT', 'REVOKE', 'OPTOUT']);
const OPT_IN = new Set(['START', 'UNSTOP']);

const PHRASES: [string, SmsCommandKind][] = [
  ['NOT AVAILABLE', 'UNAVAILABLE'],
  ['ON MY WAY', 'OMW'],
  ['EN ROUTE', 'OMW'],
];

const KEYWORDS = new Map<string, SmsCommandKind>([
  ...['YES', 'Y', 'YEP', 'YEAH', 'YUP', 'ACCEPT'].map((w): [string, SmsCommandKind] => [w, 'YES']),
  ...['NO', 'N', 'NOPE', 'DECLINE', 'PASS'].map((w): [string, SmsCommandKind] => [w, 'NO']),
  ...['AVAILABLE', 'AVAIL', 'ONLINE'].map((w): [string, SmsCommandKind] => [w, 'AVAILABLE']),
  ...['UNAVAILABLE', 'UNAVAIL', 'OFFLINE'].map((w): [string, SmsCommandKind] => [w, 'UNAVAILABLE']),
  ...['OMW', 'ENROUTE'].map((w): [string, SmsCommandKind] => [w, 'OMW']),
  ...['DONE', 'COMPLETE', 'COMPLETED', 'FINISHED'].map((w): [string, SmsCommandKind] => [w, 'DONE']),
  ...['HELP', 'INFO'].map((w): [string, SmsCommandKind] => [w, 'HELP']),
]);

/** Commands that may carry a job code and an ETA. */
const TAKES_ARGUMENTS = new Set<SmsCommandKind>(['YES', 'NO', 'OMW', 'DONE']);

const MAX_ETA_MINUTES = 600;

function withArguments(kind: SmsCommandKind, rest: string[]): SmsCommand {
  const command: SmsCommand = { kind };
  if (!TAKES_ARGUMENTS.has(kind)) return command;
  for (const word of rest) {
    if (!/^[0-9]+$/.test(word)) continue;
    if (word.length === 4 && command.jobCode === undefined) {
      command.jobCode = word;
    } else if (word.length <= 3 && command.etaMinutes === undefined) {
      const minutes = Number(word);
      if (minutes >= 1 && minutes <= MAX_ETA_MINUTES) command.etaMinutes = minutes;
    }
  }
  return command;
}

/** Upper case words; punctuation dropped; digits split from letters ("20MIN" → "20", "MIN"). */
function normalise(text: string): string[] {
  return text
    .normalize('NFKC')
    .toUpperCase()
    .replace(/[’']/g, '')
    .replace(/([0-9])([A-Z])/g, '$1 $2')
    .replace(/([A-Z])([0-9])/g, '$1 $2')
    .replace(/[^A-Z0-9]+/g, ' ')
    .trim()
    .split(' ')
    .filter((word) => word.length > 0);
}
