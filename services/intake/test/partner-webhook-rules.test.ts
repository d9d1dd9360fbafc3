import { describe, expect, it } from '@jest/globals';
import {
  isDelivered,
  MAX_DELIVERY_ATTEMPTS,
  normaliseWebhookUrl,
  rejectionReason,
  retryDelaySeconds,
} from '../src/domain/partner-webhooks.ts';
import { newWebhookSecret, signWebhook, verifyWebhookSignature } from '../src/domain/webhook-signature.ts';
import { refusedAddress, webhookTargetPolicy } from '../src/domain/webhook-targets.ts';

const DEV = webhookTargetPolicy('development');
const PRODUCTION = webhookTargetPolicy('production');

const BODY = '{"id":"d1","type":"lead.sold","data":{"leadId":"l1"}}';
const NOW = 1_780_000_000;

describe('webhook signatures', () => {
  it('sign "<t>.<body>" with HMAC-SHA256 and verify with the same secret', () => {
    const secret = newWebhookSecret();
    expect(secret).toMatch(/^whsec_[A-Za-z0-9_-]{43}$/);
    const header = signWebhook(secret, BODY, NOW);
    expect(header).toMatch(/^t=1780000000,v1=[0-9a-f]{64}$/);
    expect(verifyWebhookSignature(secret, BODY, header, NOW + 10)).toEqual({ valid: true, timestamp: NOW });
  });

  it('refuse another body, another secret, an old timestamp and a header without parts', () => {
    const secret = newWebhookSecret();
    const header = signWebhook(secret, BODY, NOW);
    expect(verifyWebhookSignature(secret, `${BODY} `, header, NOW).valid).toBe(false);
    expect(verifyWebhookSignature(newWebhookSecret(), BODY, header, NOW).valid).toBe(false);
    expect(verifyWebhookSignature(secret, BODY, header, NOW + 301).valid).toBe(false);
    expect(verifyWebhookSignature(secret, BODY, 'v1=abc', NOW).valid).toBe(false);
    expect(verifyWebhookSignature(secret, BODY, `t=${NOW}`, NOW).valid).toBe(false);
  });

  it('accept any of several v1 signatures (a secret being rolled)', () => {
    const secret = newWebhookSecret();
    const good = signWebhook(secret, BODY, NOW).split(',')[1];
    const other = signWebhook(newWebhookSecret(), BODY, NOW).split(',')[1];
    expect(verifyWebhookSignature(secret, BODY, `t=${NOW},${other},${good}`, NOW).valid).toBe(true);
  });
});

describe('webhook deliveries', () => {
  it('back off 10 s, 1 min, 5 min, 30 min, 2 h, then 5 h, and give up at the tenth failure, within about a day', () => {
    const delays: number[] = [];
    for (let attempts = 1; ; attempts++) {
      const delay = retryDelaySeconds(attempts);
      if (delay === null) break;
      delays.push(delay);
    }
    expect(delays.slice(0, 5)).toEqual([10, 60, 300, 1800, 7200]);
    expect(delays.length + 1).toBe(MAX_DELIVERY_ATTEMPTS);
    expect(MAX_DELIVERY_ATTEMPTS).toBe(10);
    const total = delays.reduce((a, b) => a + b, 0);
    expect(total).toBeGreaterThan(20 * 3600);
    expect(total).toBeLessThanOrEqual(24 * 3600);
  });

  it('count only a 2xx as delivered', () => {
    expect([200, 204, 299].map(isDelivered)).toEqual([true, true, true]);
    expect([0, 301, 400, 410, 500].map(isDelivered)).toEqual([false, false, false, false, false]);
  });

  it('take absolute http(s) URLs without credentials', () => {
    expect(normaliseWebhookUrl(' https://partner.example/hooks?x=1 ', PRODUCTION)).toBe(
      'https://partner.example/hooks?x=1',
    );
    expect(normaliseWebhookUrl('http://127.0.0.1:8080/h', DEV)).toBe('http://127.0.0.1:8080/h');
    for (const bad of [
      'ftp://partner.example',
      '/hooks',
      'https://user:pw@partner.example/',
      'javascript:alert(1)',
    ])
      expect(normaliseWebhookUrl(bad, DEV)).toBeNull();
  });

  it('never take a link-local or metadata target (SSRF); loopback and private ones only outside production', () => {
    for (const metadata of [
      'http://169.254.169.254/latest/meta-data/',
      'http://0xa9fea9fe/', // the same address, written as a number
      'http://[::ffff:169.254.169.254]/',
      'http://[fe80::1]/',
      'http://metadata.google.internal/computeMetadata/v1/',
      'http://0.0.0.0:8080/',
    ]) {
      expect(normaliseWebhookUrl(metadata, DEV)).toBeNull();
      expect(normaliseWebhookUrl(metadata, PRODUCTION)).toBeNull();
    }
    for (const inside of [
      'http://127.0.0.1:8080/h',
      'http://localhost:4222/',
      'http://10.0.0.5/',
      'http://192.168.1.1/',
      'http://[::1]/',
    ]) {
      expect(normaliseWebhookUrl(inside, DEV)).not.toBeNull();
      expect(normaliseWebhookUrl(inside, PRODUCTION)).toBeNull();
    }
    expect(refusedAddress('169.254.169.254', DEV)).toMatch(/link-local/);
    expect(refusedAddress('172.20.0.3', PRODUCTION)).toMatch(/private/);
    expect(refusedAddress('93.184.216.34', PRODUCTION)).toBeNull();
  });

  it('name the reason of each refusal, and nothing else', () => {
    expect(rejectionReason(400, 'VALIDATION_FAILED')).toBe('invalid');
    expect(rejectionReason(409, 'DUPLICATE_LEAD')).toBe('duplicate');
    expect(rejectionReason(422, 'NOT_SERVED')).toBe('not_served');
    expect(rejectionReason(422, 'IDEMPOTENCY_KEY_REUSED')).toBeNull();
    expect(rejectionReason(503, 'PRICE_NOT_SET')).toBeNull();
  });
});
