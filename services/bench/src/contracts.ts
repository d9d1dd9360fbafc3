// Bench-only subjects. The echo endpoint is owned by "intake" only because a contract must name a known
// service; it is served by the bench's own echo process, never by the real intake service.
import { defineEndpoint } from '@trades/contracts';
import Type from 'typebox';

export const BenchEcho = defineEndpoint(
  'svc.intake.bench_echo',
  'Bench only: answers with the word it was given.',
  Type.Object({ word: Type.String({ minLength: 1, maxLength: 64 }) }),
  Type.Object({ echo: Type.String() }),
);

/** Plain NATS request/reply, no framework: the floor under every hop. */
export const RAW_ECHO_SUBJECT = 'bench.raw.echo';

/** Printed by a bench helper process once it serves. */
export const READY_LINE = 'bench-process-ready';
