import type Stripe from 'stripe';
import { API_VERSION, type EmulatorCore } from '../domain/core.ts';
import { invalidParam, resourceMissing } from '../http/errors.ts';
import { LIST_PARAMS, paginate } from '../http/list.ts';
import { initialMetadata, mergeMetadata, type Params } from '../http/params.ts';
import type { StripeRoute } from '../http/router.ts';
import type { WebhookEndpointRecord } from '../webhooks/dispatcher.ts';

export function webhookEndpointRoutes(core: EmulatorCore): StripeRoute[] {
  return [
    {
      method: 'POST',
      path: '/webhook_endpoints',
      accepts: ['url', 'enabled_events', 'description', 'metadata', 'api_version'],
      handle: ({ params }) => {
        const url = readUrl(params, true) ?? '';
        const enabledEvents = readEnabledEvents(params, true) ?? ['*'];
        const description = params.nullableString('description');
        const metadata = initialMetadata(params.metadata());
        params.nonEmptyString('api_version');
        const record = core.webhooks.addEndpoint({ url, enabledEvents, description, metadata });
        // As in Stripe, the signing secret is shown only when the endpoint is created.
        return { ...toWire(record), secret: record.secret };
      },
    },
    {
      method: 'GET',
      path: '/webhook_endpoints/:id',
      accepts: [],
      handle: ({ path }) => toWire(requireEndpoint(core, path['id'] ?? '')),
    },
    {
      method: 'POST',
      path: '/webhook_endpoints/:id',
      accepts: ['url', 'enabled_events', 'description', 'metadata', 'disabled'],
      handle: ({ params, path }) => {
        const record = requireEndpoint(core, path['id'] ?? '');
        const url = readUrl(params, false);
        const enabledEvents = readEnabledEvents(params, false);
        const description = params.nullableString('description');
        const metadata = params.metadata();
        const disabled = params.boolean('disabled');
        if (url !== undefined) record.url = url;
        if (enabledEvents !== undefined) record.enabledEvents = enabledEvents;
        if (description !== undefined) record.description = description;
        record.metadata = mergeMetadata(record.metadata, metadata);
        if (disabled !== undefined) record.status = disabled ? 'disabled' : 'enabled';
        return toWire(record);
      },
    },
    {
      method: 'DELETE',
      path: '/webhook_endpoints/:id',
      accepts: [],
      handle: ({ path }) => {
        const record = requireEndpoint(core, path['id'] ?? '');
        core.webhooks.removeEndpoint(record.id);
        return { id: record.id, object: 'webhook_endpoint', deleted: true };
      },
    },
    {
      method: 'GET',
      path: '/webhook_endpoints',
      accepts: [...LIST_PARAMS],
      handle: ({ params }) =>
        paginate(
          core.webhooks.endpoints().map(toWire),
          params,
          '/v1/webhook_endpoints',
          core.store,
          'webhook_endpoint',
        ),
    },
  ];
}

function requireEndpoint(core: EmulatorCore, id: string): WebhookEndpointRecord {
  const record = core.webhooks.endpoint(id);
  if (record === undefined) throw resourceMissing('webhook_endpoint', id, 'id');
  return record;
}

function readUrl(params: Params, required: boolean): string | undefined {
  const url = required ? params.requiredString('url') : params.nonEmptyString('url');
  if (url === undefined) return undefined;
  if (!URL.canParse(url) || !/^https?:/.test(new URL(url).protocol)) {
    throw invalidParam(
      `Invalid URL: ${url}. URLs must begin with http:// or https://.`,
      'url',
      'url_invalid',
    );
  }
  return url;
}

function readEnabledEvents(params: Params, required: boolean): string[] | undefined {
  const events = params.stringList('enabled_events');
  if (events === undefined && required) {
    throw invalidParam('Missing required param: enabled_events.', 'enabled_events', 'parameter_missing');
  }
  if (events !== undefined && events.length === 0) {
    throw invalidParam('enabled_events must name at least one event type, or *.', 'enabled_events');
  }
  return events;
}

function toWire(record: WebhookEndpointRecord): Stripe.WebhookEndpoint {
  return {
    id: record.id,
    object: 'webhook_endpoint',
    api_version: API_VERSION,
    application: null,
    created: record.created,
    description: record.description,
    enabled_events: [...record.enabledEvents],
    livemode: false,
    metadata: { ...record.metadata },
    status: record.status,
    url: record.url,
  };
}
