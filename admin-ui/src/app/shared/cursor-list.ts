import { DestroyRef, inject, signal } from '@angular/core';
import type { Observable, Subscription } from 'rxjs';

import { apiErrorMessage } from '../core/api-error';
import type { Page } from '../core/api-types';

/** Fetches one page: `cursor` is the previous page's `nextCursor`, absent for the first page. */
export type PageFetcher<T> = (page: { cursor?: string; limit?: number }) => Observable<Page<T>>;

/**
 * A keyset-paginated list: first page, "Load more", and a quiet refresh that keeps as
 * many rows as are on screen. Create it in an injection context (a field initializer);
 * in-flight requests are dropped when the owner is destroyed.
 */
export class CursorList<T> {
  readonly items = signal<T[]>([]);
  readonly nextCursor = signal<string | null>(null);
  /** First page is loading (the list is replaced). */
  readonly loading = signal(false);
  readonly loadingMore = signal(false);
  /** The last load failed; shown inline, with a retry. */
  readonly error = signal<string | null>(null);
  /** At least one page has arrived since the last reset. */
  readonly loaded = signal(false);

  private readonly fetch: PageFetcher<T>;
  private readonly pageSize: number;
  private request: Subscription | undefined;
  /** Kept apart so that a user's reload or "Load more" can drop a stale refresh. */
  private refreshing: Subscription | undefined;

  constructor(fetch: PageFetcher<T>, pageSize = 50) {
    this.fetch = fetch;
    this.pageSize = pageSize;
    inject(DestroyRef).onDestroy(() => {
      this.request?.unsubscribe();
      this.refreshing?.unsubscribe();
    });
  }

  /** Starts over from the first page, e.g. after a filter changed. */
  reload(): void {
    this.request?.unsubscribe();
    this.refreshing?.unsubscribe();
    this.loading.set(true);
    this.loadingMore.set(false);
    this.error.set(null);
    this.request = this.fetch({ limit: this.pageSize }).subscribe({
      next: (page) => {
        this.items.set(page.items);
        this.nextCursor.set(page.nextCursor);
        this.loading.set(false);
        this.loaded.set(true);
      },
      error: (error: unknown) => {
        this.items.set([]);
        this.nextCursor.set(null);
        this.loading.set(false);
        this.loaded.set(false);
        this.error.set(apiErrorMessage(error));
      },
    });
  }

  loadMore(): void {
    const cursor = this.nextCursor();
    if (!cursor || this.loading() || this.loadingMore()) return;
    this.refreshing?.unsubscribe();
    this.loadingMore.set(true);
    this.request = this.fetch({ cursor, limit: this.pageSize }).subscribe({
      next: (page) => {
        this.items.update((items) => [...items, ...page.items]);
        this.nextCursor.set(page.nextCursor);
        this.loadingMore.set(false);
      },
      error: (error: unknown) => {
        this.loadingMore.set(false);
        this.error.set(apiErrorMessage(error));
      },
    });
  }

  /**
   * Re-reads the rows on screen without a spinner (auto-refresh). Skipped while another
   * request is in flight; a failure keeps the old rows and reports the error.
   */
  refresh(maxRows = 500): void {
    if (this.loading() || this.loadingMore() || !this.loaded()) return;
    if (this.refreshing && !this.refreshing.closed) return;
    const limit = Math.min(Math.max(this.items().length, this.pageSize), maxRows);
    this.refreshing = this.fetch({ limit }).subscribe({
      next: (page) => {
        this.items.set(page.items);
        this.nextCursor.set(page.nextCursor);
        this.error.set(null);
      },
      error: (error: unknown) => this.error.set(apiErrorMessage(error)),
    });
  }
}
