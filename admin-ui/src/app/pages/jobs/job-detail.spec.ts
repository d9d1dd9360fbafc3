import { provideHttpClient } from '@angular/common/http';
import { HttpTestingController, provideHttpClientTesting } from '@angular/common/http/testing';
import type { ComponentFixture } from '@angular/core/testing';
import { TestBed } from '@angular/core/testing';
import { provideRouter } from '@angular/router';

import type { JobDetail, Offer } from '../../core/api-types';
import { JobDetailPage, groupByWave } from './job-detail';

const at = (minute: number): string => new Date(Date.UTC(2026, 10, 21, 3, minute)).toISOString();

function offer(
  wave: number,
  locksmithName: string,
  status: Offer['status'],
  minute: number,
  responseSeconds?: number,
): Offer {
  return {
    locksmithId: locksmithName.toLowerCase().replace(/\s/g, '-'),
    locksmithName,
    wave,
    status,
    sentAt: at(minute),
    ...(responseSeconds === undefined ? {} : { respondedAt: at(minute + 1), responseSeconds }),
  };
}

const detail: JobDetail = {
  id: 'job-1',
  code: '4821',
  state: 'OFFERED',
  serviceCode: 'lockout_home',
  customerName: 'Maria Lopez',
  locksmithId: null,
  locksmithName: null,
  address: { formatted: '1420 Mission St, San Francisco, CA 94103', lat: 37.77, lng: -122.42, zip: '94103' },
  createdAt: at(0),
  updatedAt: at(6),
  timeline: [
    { state: 'CREATED', at: at(0), cause: 'deposit_authorized', actor: 'payments' },
    { state: 'OFFERED', at: at(1), cause: 'wave_sent', actor: 'dispatch' },
    { state: 'DISPATCHING', at: at(2), cause: 'Sam Okafor declined', actor: 'sam-okafor' },
  ],
  offers: [
    offer(2, 'Kevin Tran', 'PENDING', 6),
    offer(1, 'Sam Okafor', 'DECLINED', 1, 42),
    offer(1, 'Elena Petrova', 'EXPIRED', 1),
    offer(2, 'Rui Costa', 'CANCELED', 6, 3),
  ],
  messages: [
    {
      sid: 'SM1',
      direction: 'inbound',
      from: '+14155550111',
      to: '+14155550100',
      body: 'NO',
      status: 'received',
      jobId: 'job-1',
      providerId: null,
      createdAt: at(2),
    },
  ],
  payment: { status: 'requires_capture', amountCents: 4900, capturedCents: 0, refundedCents: 0 },
};

describe('groupByWave', () => {
  it('groups offers by wave in wave order and counts outcomes', () => {
    const waves = groupByWave(detail.offers);
    expect(waves.map((wave) => wave.wave)).toEqual([1, 2]);
    expect(waves[0]).toMatchObject({ accepted: 0, declined: 1, expired: 1, pending: 0 });
    expect(waves[1]?.offers.map((o) => o.locksmithName)).toEqual(['Kevin Tran', 'Rui Costa']);
  });
});

describe('JobDetailPage', () => {
  let fixture: ComponentFixture<JobDetailPage>;
  let http: HttpTestingController;
  let element: HTMLElement;

  async function settle(): Promise<void> {
    fixture.detectChanges();
    await fixture.whenStable();
    for (const request of http.match('/api/services')) {
      request.flush({
        items: [
          {
            code: 'lockout_home',
            name: 'Home lockout',
            depositCents: 4900,
            priceMinCents: 0,
            priceMaxCents: 0,
          },
        ],
      });
    }
    fixture.detectChanges();
  }

  function button(label: string, root: ParentNode = element): HTMLButtonElement {
    const found = [...root.querySelectorAll('button')].find((b) => b.textContent?.includes(label));
    if (!found) throw new Error(`no button "${label}"`);
    return found;
  }

  beforeEach(async () => {
    TestBed.configureTestingModule({
      providers: [provideRouter([]), provideHttpClient(), provideHttpClientTesting()],
    });
    http = TestBed.inject(HttpTestingController);
    fixture = TestBed.createComponent(JobDetailPage);
    fixture.componentRef.setInput('id', 'job-1');
    element = fixture.nativeElement as HTMLElement;
    await settle();
  });

  afterEach(() => http.verify());

  it('shows the job, its offers by wave, timeline, messages and payment', async () => {
    expect(element.textContent).toContain('Loading job');
    http.expectOne('/api/admin/jobs/job-1').flush(detail);
    await settle();

    const text = element.textContent?.replace(/\s+/g, ' ') ?? '';
    expect(text).toContain('Job 4821');
    expect(text).toContain('Offered');
    expect(text).toContain('Home lockout');
    const waves = [...element.querySelectorAll('section.wave')];
    expect(waves.map((w) => w.querySelector('h3')?.textContent?.replace(/\s+/g, ' ').trim())).toEqual([
      'Wave 1 2 offered · 0 accepted · 1 declined · 1 expired',
      'Wave 2 2 offered · 0 accepted · 0 declined · 0 expired · 1 waiting',
    ]);
    // A locksmith whose YES came after the job was taken: canceled, but they did answer.
    const late = [...(waves[1]?.querySelectorAll('tr') ?? [])].find((row) =>
      row.textContent?.includes('Rui Costa'),
    );
    expect(late?.querySelector('app-state-badge')?.textContent?.trim()).toBe('Canceled');
    expect(late?.querySelector('.late')?.textContent?.trim()).toBe('replied too late');
    expect(element.querySelectorAll('.late')).toHaveLength(1);
    expect(waves[0]?.textContent).toContain('42 s');
    expect(text).toContain('Deposit authorized by payments');
    // A locksmith's own reply reads with their name, not their id.
    expect(text).toContain('Sam Okafor declined by Sam Okafor');
    expect(text).toContain('+14155550111');
    expect(text).toContain('$49.00');
  });

  it('cancels only after the operator confirms, then shows the new state', async () => {
    http.expectOne('/api/admin/jobs/job-1').flush(detail);
    await settle();

    button('Cancel job').click();
    await settle();
    const dialog = document.querySelector('mat-dialog-container');
    expect(dialog?.textContent).toContain('Cancel job 4821?');
    http.expectNone('/api/admin/jobs/job-1/dispatch');

    button('Cancel job', dialog ?? document).click();
    await settle();
    const request = http.expectOne('/api/admin/jobs/job-1/dispatch');
    expect(request.request.body).toEqual({ action: 'cancel' });
    request.flush({ ...detail, state: 'CANCELED' });
    await settle();

    expect(element.querySelector('app-state-badge')?.textContent).toBe('Canceled');
    expect(element.textContent).not.toContain('Cancel job');
  });

  it("shows the server's message when the state does not allow an action", async () => {
    http.expectOne('/api/admin/jobs/job-1').flush(detail);
    await settle();

    button('Pause').click();
    http
      .expectOne('/api/admin/jobs/job-1/dispatch')
      .flush(
        { code: 'INVALID_STATE', message: 'Dispatch cannot be paused while offers are out.' },
        { status: 409, statusText: 'Conflict' },
      );
    await settle();

    expect(document.querySelector('mat-snack-bar-container')?.textContent).toContain(
      'Dispatch cannot be paused while offers are out.',
    );
    expect(element.querySelector('app-state-badge')?.textContent).toBe('Offered');
  });

  it('shows why the job could not be loaded', async () => {
    http
      .expectOne('/api/admin/jobs/job-1')
      .flush({ code: 'NOT_FOUND', message: 'No job job-1.' }, { status: 404, statusText: 'Not Found' });
    await settle();
    expect(element.textContent).toContain('No job job-1.');
  });
});
