import { afterNextRender, Directive, ElementRef, inject } from '@angular/core';
import { Router } from '@angular/router';

/**
 * Marks a page's `<h1>`. After an in-app navigation, focus moves to it so that screen reader
 * and keyboard users start reading the new page from its top, as on a full page load.
 */
@Directive({
  selector: 'h1[appPageHeading]',
  host: { tabindex: '-1', class: 'page-heading' },
})
export class PageHeading {
  constructor() {
    const element = inject<ElementRef<HTMLElement>>(ElementRef).nativeElement;
    // The first page of a visit keeps the browser's own focus handling.
    const afterNavigation = inject(Router).navigated;
    afterNextRender(() => {
      if (afterNavigation) element.focus({ preventScroll: false });
    });
  }
}
