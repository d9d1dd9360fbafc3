import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from '@jest/globals';
import { ALL_CONSUMERS, ALL_ENDPOINTS, ALL_EVENTS, buildAsyncApi } from '@trades/contracts';

const root = resolve(import.meta.dirname, '../../..');

describe('the AsyncAPI document', () => {
  const doc = buildAsyncApi('0.0.0') as {
    asyncapi: string;
    channels: Record<string, { address: string | null }>;
    operations: Record<string, { action: string; channel: { $ref: string } }>;
  };

  it('is AsyncAPI 3 and names every event and endpoint subject as a channel', () => {
    expect(doc.asyncapi).toBe('3.0.0');
    const addresses = new Set(Object.values(doc.channels).map((c) => c.address));
    for (const contract of [...ALL_EVENTS, ...ALL_ENDPOINTS]) expect(addresses).toContain(contract.subject);
  });

  it('has a publishing operation per event and a receiving operation per consumer of it', () => {
    const operations = Object.values(doc.operations);
    expect(operations.filter((o) => o.action === 'send')).toHaveLength(ALL_EVENTS.length);
    const receives = ALL_CONSUMERS.reduce((n, c) => n + c.events.length, 0) + ALL_ENDPOINTS.length;
    expect(operations.filter((o) => o.action === 'receive')).toHaveLength(receives);
  });

  it('only references channels that exist', () => {
    for (const op of Object.values(doc.operations)) {
      const id = op.channel.$ref.replace('#/channels/', '');
      expect(doc.channels[id]).toBeDefined();
    }
  });

  it('is committed as generated (run `npm run asyncapi` after changing a contract)', () => {
    const version = JSON.parse(readFileSync(resolve(root, 'package.json'), 'utf8')).version as string;
    const committed = readFileSync(resolve(root, 'docs/asyncapi.json'), 'utf8');
    expect(committed).toBe(`${JSON.stringify(buildAsyncApi(version), null, 2)}\n`);
  });
});
