import type { Writable } from 'node:stream';

/**
 * One Server-Sent Events response that never buffers without bound. Each event replaces the previous
 * one (a status page needs only the latest view), so while the client is not reading — the socket's
 * buffer is full and a write has returned false — only the newest event waits, and it is written when
 * the socket drains; heartbeats are skipped meanwhile. What stays buffered is at most the socket's
 * high-water mark and one event.
 */
export class LatestEventStream {
  readonly #out: Writable;
  #waiting: string | undefined;

  constructor(out: Writable) {
    this.#out = out;
    out.on('drain', () => {
      const waiting = this.#waiting;
      this.#waiting = undefined;
      if (waiting !== undefined && this.open) this.#out.write(waiting);
    });
  }

  get open(): boolean {
    return !this.#out.writableEnded && !this.#out.destroyed;
  }

  /** True while the client has not read what was already sent. */
  get congested(): boolean {
    return this.#out.writableNeedDrain;
  }

  /** An event; replaces one still waiting for the client to read. */
  send(event: string, data: unknown): void {
    if (!this.open) return;
    const frame = `event: ${event}\ndata: ${JSON.stringify(data)}\n\n`;
    if (this.congested) this.#waiting = frame;
    else this.#out.write(frame);
  }

  /** A comment line that keeps proxies from closing an idle connection; pointless while congested. */
  heartbeat(): void {
    if (this.open && !this.congested) this.#out.write(': keep-alive\n\n');
  }

  /**
   * Ends the stream with a last event (the page reconnects when it sees it). A client that is not
   * reading would hold the socket until it did: it is cut off instead.
   */
  end(last?: { event: string; data: unknown }): void {
    if (!this.open) return;
    if (this.congested) {
      this.#out.destroy();
      return;
    }
    if (last) this.#out.write(`event: ${last.event}\ndata: ${JSON.stringify(last.data)}\n\n`);
    this.#out.end();
  }
}
