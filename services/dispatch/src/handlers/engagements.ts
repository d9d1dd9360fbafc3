import { dispatch } from '@trades/contracts';
import { endpoint, type EndpointBinding } from '@trades/runtime';
import type { DispatchContext } from '../config.ts';
import { clockNow, engagedPage, jobsById, offersById } from '../store/engagements.ts';

/**
 * `svc.dispatch.providers.engaged`: what dispatch knows of who is on a job or holding an offer, for the
 * registry's reconciliation of its busy and pending-offer flags. Read-only, outside any transaction:
 * `asOf` is read first, so every row in the reply is at least that recent.
 */
export function engagementsEndpoint(ctx: DispatchContext): EndpointBinding {
  return endpoint(dispatch.ProvidersEngaged, async (request) => {
    const em = ctx.orm.em.fork();
    const asOf = await clockNow(em);
    const jobs = await jobsById(em, request.jobIds ?? []);
    const offers = await offersById(em, request.offerIds ?? []);
    let next: string | null = null;
    if (request.engaged) {
      const page = await engagedPage(em, request.engaged.after, request.engaged.limit);
      const seenJobs = new Set(jobs.map((j) => j.jobId));
      const seenOffers = new Set(offers.map((o) => o.offerId));
      jobs.push(...page.jobs.filter((j) => !seenJobs.has(j.jobId)));
      offers.push(...page.offers.filter((o) => !seenOffers.has(o.offerId)));
      next = page.next;
    }
    return { asOf, jobs, offers, next };
  });
}
