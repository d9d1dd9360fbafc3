import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { postWebhook } from '@trades/webhook-client';

interface Received {
  method: string | undefined;
  url: string | undefined;
  headers: IncomingMessage['headers'];
  body: string;
  socket: number;
}

let server: Server;
let base: string;
const received: Received[] = [];
const sockets = new Map<unknown, number>();

beforeAll(async () => {
  server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      if (!sockets.has(req.socket)) sockets.set(req.socket, sockets.size + 1);
      received.push({
        method: req.method,
        url: req.url,
        headers: req.headers,
        body: Buffer.concat(chunks).toString('utf8'),
        socket: sockets.get(req.socket) ?? 0,
      });
      if (req.url === '/slow') return; // never answers
      res.statusCode = req.url === '/broken' ? 503 : 200;
      res.end(req.url === '/broken' ? 'try later' : '{"received":true}');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

describe('postWebhook', () => {
  it('posts the body with its headers and returns the answer, reusing the connection', async () => {
    const first = await postWebhook(`${base}/hooks/stripe?x=1`, {
      headers: { 'content-type': 'application/json', 'stripe-signature': 't=1,v1=abc' },
      body: '{"id":"evt_1","note":"café"}',
      timeoutMs: 2_000,
    });
    expect(first).toEqual({ status: 200, body: '{"received":true}' });
    const second = await postWebhook(`${base}/hooks/stripe`, {
      headers: { 'content-type': 'application/json' },
      body: '{}',
      timeoutMs: 2_000,
    });
    expect(second.status).toBe(200);
    const [a, b] = received.slice(-2);
    expect(a).toMatchObject({
      method: 'POST',
      url: '/hooks/stripe?x=1',
      body: '{"id":"evt_1","note":"café"}',
    });
    expect(a?.headers['stripe-signature']).toBe('t=1,v1=abc');
    expect(a?.headers['content-length']).toBe(String(Buffer.byteLength('{"id":"evt_1","note":"café"}')));
    expect(b?.socket).toBe(a?.socket);
  });

  it('resolves with an error status rather than rejecting', async () => {
    await expect(
      postWebhook(`${base}/broken`, { headers: {}, body: 'a=1', timeoutMs: 2_000 }),
    ).resolves.toEqual({ status: 503, body: 'try later' });
  });

  it('rejects when the answer does not come in time, or the request is aborted', async () => {
    await expect(postWebhook(`${base}/slow`, { headers: {}, body: '', timeoutMs: 200 })).rejects.toThrow(
      'no answer within 200 ms',
    );
    const controller = new AbortController();
    const pending = postWebhook(`${base}/slow`, {
      headers: {},
      body: '',
      timeoutMs: 5_000,
      signal: controller.signal,
    });
    controller.abort();
    await expect(pending).rejects.toThrow(/abort/i);
  });

  it('rejects a URL that is not http(s) and a server that is not there', async () => {
    await expect(postWebhook('ftp://127.0.0.1/x', { headers: {}, body: '', timeoutMs: 200 })).rejects.toThrow(
      'must be http(s)',
    );
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise((resolve) => closed.close(resolve));
    await expect(
      postWebhook(`http://127.0.0.1:${port}/`, { headers: {}, body: '', timeoutMs: 1_000 }),
    ).rejects.toThrow(/ECONNREFUSED/);
  });

  it('refuses, before connecting, an address the caller refuses: as written, or a name resolving to it', async () => {
    const refuseLoopback = (address: string): string | null =>
      address.startsWith('127.') || address === '::1' ? `${address} is loopback` : null;
    const before = received.length;
    const port = new URL(base).port;
    await expect(
      postWebhook(`http://127.0.0.1:${port}/`, {
        headers: {},
        body: '',
        timeoutMs: 1_000,
        refuseAddress: refuseLoopback,
      }),
    ).rejects.toThrow('webhook URL refused: 127.0.0.1 is loopback');
    await expect(
      postWebhook(`http://localhost:${port}/`, {
        headers: {},
        body: '',
        timeoutMs: 1_000,
        refuseAddress: refuseLoopback,
      }),
    ).rejects.toThrow(/localhost resolves to (127\.0\.0\.1|::1) is loopback/);
    expect(received.length).toBe(before);
    // A name whose addresses are all allowed is posted to as before.
    const answer = await postWebhook(`http://localhost:${port}/allowed`, {
      headers: {},
      body: 'x',
      timeoutMs: 1_000,
      refuseAddress: () => null,
    });
    expect(answer.status).toBe(200);
  });
});
