import { TestBed } from '@angular/core/testing';
import { afterEach, beforeEach, describe, expect, it, jest } from '@jest/globals';

import { type BookingTestBed, setUpBooking } from '../../testing/booking';
import { nextRequest, settle, spokenText } from '../../testing/http';
import { POLL_INTERVAL_MS } from './status-feed';
import { StatusPage } from './status-page';

/** Stands in for the browser's EventSource: the test emits events and errors by hand. */
class FakeEventSource extends EventTarget {
  static last: FakeEventSource | null = null;
  closed = false;

  constructor(readonly url: string) {
    super();
    FakeEventSource.last = this;
  }

  open(): void {
    this.dispatchEvent(new Event('open'));
  }

  status(body: unknown): void {
    this.dispatchEvent(new MessageEvent('status', { data: JSON.stringify(body) }));
  }

  fail(): void {
    this.dispatchEvent(new Event('error'));
  }

  reconnect(): void {
    this.dispatchEvent(new MessageEvent('reconnect', { data: JSON.stringify({ reason: 'lifetime' }) }));
  }

  close(): void {
    this.closed = true;
  }
}

const base = {
  id: 'req-1',
  step: 'done',
  state: 'BOOKED',
  trackingToken: 'trk',
  address: '1 Market St, San Francisco',
};

describe('StatusPage', () => {
  let bed: BookingTestBed;

  beforeEach(() => {
    FakeEventSource.last = null;
    bed = setUpBooking({ eventSource: (url) => new FakeEventSource(url) as unknown as EventSource });
  });

  afterEach(() => {
    jest.useRealTimers();
  });

  async function open(initial: object) {
    const fixture = TestBed.createComponent(StatusPage);
    fixture.componentRef.setInput('token', 'trk');
    await fixture.whenStable();
    (await nextRequest(bed.http, 'GET', '/api/track/trk')).flush(initial);
    await settle();
    await fixture.whenStable();
    const element: HTMLElement = fixture.nativeElement;
    const live = () => spokenText(element.querySelector('[aria-live=polite]'));
    return { fixture, element, live };
  }

  it('shows that nearby locksmiths are being contacted, in a region screen readers announce', async () => {
    const { live } = await open({ ...base, job: { id: 'j1', state: 'OFFERED' } });

    expect(live()).toContain('Contacting nearby locksmiths');
    expect(FakeEventSource.last?.url).toBe('/api/track/trk/events');
  });

  it('follows the live stream: locksmith name and arrival time once assigned', async () => {
    const { fixture, element, live } = await open({ ...base, job: { id: 'j1', state: 'DISPATCHING' } });
    FakeEventSource.last?.open();
    FakeEventSource.last?.status({
      ...base,
      job: { id: 'j1', state: 'ASSIGNED', locksmith: { name: 'Maria G.', etaMinutes: 25 } },
    });
    await fixture.whenStable();

    expect(live()).toContain('Maria G. is taking your job');
    expect(live()).toContain('Expected to arrive in about 25 minutes.');
    expect(element.textContent).toContain('This page updates live');
    expect(element.querySelector('[aria-current=step]')?.textContent).toContain('Locksmith assigned');
  });

  it('tells a customer whose job failed that the deposit hold is released, and stops listening', async () => {
    const { fixture, live } = await open({ ...base, job: { id: 'j1', state: 'OFFERED' } });
    FakeEventSource.last?.status({ ...base, job: { id: 'j1', state: 'FAILED' } });
    await fixture.whenStable();

    expect(live()).toContain("We couldn't find a locksmith");
    expect(live()).toContain('The deposit hold on your card is released — you are not charged.');
    expect(FakeEventSource.last?.closed).toBe(true);
  });

  it('falls back to asking every 5 seconds when the stream fails', async () => {
    const { fixture, element, live } = await open({
      ...base,
      job: { id: 'j1', state: 'ASSIGNED', locksmith: { name: 'Maria G.' } },
    });
    // Fake clock that still moves on its own, so Angular's rendering is not held up.
    jest.useFakeTimers({ advanceTimers: true });
    FakeEventSource.last?.fail();
    await fixture.whenStable();

    expect(FakeEventSource.last?.closed).toBe(true);
    expect(element.textContent).toContain('checks for news every few seconds');
    bed.http.expectNone('/api/track/trk');

    jest.advanceTimersByTime(POLL_INTERVAL_MS);
    bed.http.expectOne('/api/track/trk').flush({
      ...base,
      job: { id: 'j1', state: 'EN_ROUTE', locksmith: { name: 'Maria G.', etaMinutes: 12 } },
    });
    await settle();
    await fixture.whenStable();

    expect(live()).toContain('Maria G. is on the way');
    expect(live()).toContain('about 12 minutes');
  });

  it('opens the stream again when the server ends it, and stays live instead of polling', async () => {
    const { fixture, element, live } = await open({ ...base, job: { id: 'j1', state: 'OFFERED' } });
    const first = FakeEventSource.last;
    first?.open();
    first?.reconnect();
    await fixture.whenStable();

    expect(first?.closed).toBe(true);
    const second = FakeEventSource.last;
    expect(second).not.toBe(first);
    expect(second?.url).toBe('/api/track/trk/events');
    second?.open();
    second?.status({
      ...base,
      job: { id: 'j1', state: 'ASSIGNED', locksmith: { name: 'Maria G.', etaMinutes: 25 } },
    });
    await fixture.whenStable();

    expect(live()).toContain('Maria G. is taking your job');
    expect(element.textContent).toContain('This page updates live');
    bed.http.expectNone('/api/track/trk');
  });

  it('does not listen for updates to a booking that is already finished', async () => {
    const { live } = await open({
      ...base,
      job: { id: 'j1', state: 'COMPLETED', locksmith: { name: 'Maria G.' } },
    });

    expect(live()).toContain('Job done');
    expect(FakeEventSource.last).toBeNull();
  });

  it('says the booking cannot be found for an unknown link', async () => {
    const fixture = TestBed.createComponent(StatusPage);
    fixture.componentRef.setInput('token', 'trk');
    await fixture.whenStable();
    (await nextRequest(bed.http, 'GET', '/api/track/trk')).flush(
      { code: 'TRACKING_NOT_FOUND', message: 'No such booking.' },
      { status: 404, statusText: 'Not Found' },
    );
    await settle();
    await fixture.whenStable();

    expect(fixture.nativeElement.querySelector('[role=alert]')?.textContent).toContain(
      "We can't find this booking",
    );
    expect(FakeEventSource.last).toBeNull();
  });
});
