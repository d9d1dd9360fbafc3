import { Component } from '@angular/core';
import { TestBed } from '@angular/core/testing';
import { Subject } from 'rxjs';

import type { Page } from '../core/api-types';
import { CursorList } from './cursor-list';

interface Call {
  cursor?: string;
  limit?: number;
  reply: Subject<Page<number>>;
}

@Component({ template: '' })
class Host {
  readonly calls: Call[] = [];
  readonly list = new CursorList<number>((page) => {
    const reply = new Subject<Page<number>>();
    this.calls.push({ ...page, reply });
    return reply;
  }, 2);
}

function answer(call: Call | undefined, items: number[], nextCursor: string | null): void {
  call?.reply.next({ items, nextCursor });
  call?.reply.complete();
}

describe('CursorList', () => {
  let host: Host;

  beforeEach(() => {
    host = TestBed.createComponent(Host).componentInstance;
  });

  it('pages forward by cursor and stops when there is no next cursor', () => {
    host.list.reload();
    answer(host.calls[0], [1, 2], 'c2');
    host.list.loadMore();
    expect(host.calls[1]).toMatchObject({ cursor: 'c2', limit: 2 });
    answer(host.calls[1], [3], null);

    expect(host.list.items()).toEqual([1, 2, 3]);
    host.list.loadMore();
    expect(host.calls).toHaveLength(2);
  });

  it('refreshes as many rows as are shown, from the first page', () => {
    host.list.reload();
    answer(host.calls[0], [1, 2], 'c2');
    host.list.loadMore();
    answer(host.calls[1], [3, 4], 'c4');

    host.list.refresh();
    expect(host.calls[2]).toEqual(expect.objectContaining({ limit: 4 }));
    expect(host.calls[2]?.cursor).toBeUndefined();
    answer(host.calls[2], [0, 1, 2, 3], 'c3');
    expect(host.list.items()).toEqual([0, 1, 2, 3]);
  });

  it('drops a refresh that a "Load more" overtook', () => {
    host.list.reload();
    answer(host.calls[0], [1, 2], 'c2');
    host.list.refresh();
    host.list.loadMore();
    answer(host.calls[2], [3, 4], null);
    answer(host.calls[1], [1, 2], 'c2');

    expect(host.list.items()).toEqual([1, 2, 3, 4]);
  });

  it('keeps the rows and reports the error when a refresh fails', () => {
    host.list.reload();
    answer(host.calls[0], [1, 2], null);
    host.list.refresh();
    host.calls[1]?.reply.error(new Error('offline'));

    expect(host.list.items()).toEqual([1, 2]);
    expect(host.list.error()).toBe('offline');
  });
});
