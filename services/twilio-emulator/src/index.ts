export { createTwilioEmulator, DEFAULT_PHONE_NUMBER } from './emulator.ts';
export type { TwilioEmulator, TwilioEmulatorOptions } from './emulator.ts';
export type { InboundResult } from './inbound.ts';
export { readTwimlMessages } from './twiml.ts';
export type { TwimlMessage } from './twiml.ts';
