import { BreakpointObserver } from '@angular/cdk/layout';
import type { Signal } from '@angular/core';
import { inject } from '@angular/core';
import { toSignal } from '@angular/core/rxjs-interop';
import { map } from 'rxjs';

export type ScreenSize = 'phone' | 'tablet' | 'wide';

const PHONE = '(max-width: 599.98px)';
const TABLET = '(max-width: 1199.98px)';

/** The screen class, for tables that drop columns on small screens. Call in an injection context. */
export function injectScreenSize(): Signal<ScreenSize> {
  return toSignal(
    inject(BreakpointObserver)
      .observe([PHONE, TABLET])
      .pipe(
        map((state): ScreenSize =>
          state.breakpoints[PHONE] ? 'phone' : state.breakpoints[TABLET] ? 'tablet' : 'wide',
        ),
      ),
    { initialValue: 'wide' },
  );
}

/** Picks the column list for the current screen size. */
export function columnsFor(size: ScreenSize, columns: Record<ScreenSize, string[]>): string[] {
  return columns[size];
}
