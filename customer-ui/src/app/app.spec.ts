import { Component } from '@angular/core';
import { TestBed } from '@angular/core/testing';
import { describe, expect, it } from '@jest/globals';

import { setUpBooking } from '../testing/booking';
import { App } from './app';

@Component({ template: '' })
class Blank {}

describe('App', () => {
  async function barAfter(url: string) {
    const { router } = setUpBooking();
    router.resetConfig([...router.config, { path: 'plumber/card/:token', component: Blank }]);
    const fixture = TestBed.createComponent(App);
    await router.navigateByUrl(url);
    await fixture.whenStable();
    const brand = (fixture.nativeElement as HTMLElement).querySelector<HTMLAnchorElement>('.app-bar__brand');
    return { text: brand?.textContent?.replace(/\s+/g, ' ').trim(), href: brand?.getAttribute('href') };
  }

  it('names the locksmith service on its pages', async () => {
    await expect(barAfter('/book/location')).resolves.toEqual({ text: 'key Locksmith Now', href: '/' });
  });

  it('names the plumbing side on the plumbing pages, and leads home to the plumbing form', async () => {
    await expect(barAfter('/plumber/card/abc')).resolves.toEqual({
      text: 'plumbing Trades Marketplace',
      href: '/plumbing',
    });
  });
});
