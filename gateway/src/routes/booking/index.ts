import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Address, badRequest, ErrorBody, intake, notFound } from '@trades/contracts';
import Type from 'typebox';
import { LatestEventStream } from './event-stream.ts';
import { StreamSlots } from './stream-slots.ts';
import { strictValidator } from './strict-validation.ts';
import { BookingUpdates, type BookingView } from './updates.ts';

const SESSION_ID = /^[A-Za-z0-9_-]{16,64}$/;
const TRACKING_TOKEN = /^[A-Za-z0-9_-]{16,64}$/;
const HEARTBEAT_MS = 15_000;
/** A lease outlives its stream's longest life by this much (clock skew between replicas, a slow end). */
const LEASE_MARGIN_MS = 60_000;

export interface BookingRoutesOptions {
  streams: {
    /** Open live-status streams per tracking token, across replicas. */
    perToken: number;
    /** Open live-status streams per client address, across replicas. */
    perClient: number;
    /** The server ends a stream after this long, less up to a tenth at random; the page reconnects. */
    maxLifetimeMs: number;
  };
}

/** Per client address and route: generous for a person on a phone, tight for a script. */
const limit = (max: number) => ({ rateLimit: { max, timeWindow: '1 minute' } });

const IdParams = Type.Object({ id: Type.String({ maxLength: 200 }) });
const TokenParams = Type.Object({ trackingToken: Type.String({ maxLength: 200 }) });
const Errors = { 400: ErrorBody, 404: ErrorBody, 409: ErrorBody, 429: ErrorBody, 503: ErrorBody };

const View = Type.Object({
  id: Type.String(),
  step: intake.FunnelStep,
  state: intake.BookingState,
  trackingToken: Type.Optional(Type.String()),
  serviceCode: Type.Optional(Type.String()),
  address: Type.Optional(Address),
  served: Type.Optional(Type.Boolean()),
  depositCents: Type.Optional(Type.Integer()),
  depositStatus: Type.Optional(Type.String()),
  job: Type.Optional(intake.JobSummaryForCustomer),
  createdAt: Type.String(),
  updatedAt: Type.String(),
});

function sessionId(id: string): string {
  if (!SESSION_ID.test(id))
    throw notFound('SESSION_NOT_FOUND', 'This booking was not found or has expired; start a new one.');
  return id;
}

function trackingToken(token: string): string {
  if (!TRACKING_TOKEN.test(token)) throw notFound('BOOKING_NOT_FOUND', 'No booking has this tracking link.');
  return token;
}

/** Customer booking flow: /api/request/* and /api/track/* (intake, payments). */
const routes: FastifyPluginAsyncTypebox<BookingRoutesOptions> = async (app, { streams }) => {
  app.setValidatorCompiler(strictValidator);
  const updates = new BookingUpdates(app.log);
  updates.start(app.nats);
  const slots = new StreamSlots(app.shared, {
    perToken: streams.perToken,
    perClient: streams.perClient,
    leaseMs: streams.maxLifetimeMs + LEASE_MARGIN_MS,
  });
  const openStreams = new Set<(reason: string) => void>();
  // Before the server stops listening: an open event stream would otherwise hold the close forever.
  // The pages are told to reconnect (to another replica) rather than left to see an error.
  app.addHook('preClose', async () => {
    for (const end of openStreams) end('shutdown');
    await slots.settled();
  });
  app.addHook('onClose', async () => updates.stop());

  app.post(
    '/api/request/start',
    {
      config: limit(30),
      schema: {
        tags: ['booking'],
        summary: 'Start a booking (no account); records where the visit came from',
        body: Type.Object({
          referrer: Type.Optional(Type.String({ maxLength: 2000 })),
          utm: Type.Optional(intake.Utm),
        }),
        response: { 201: Type.Object({ id: Type.String() }), ...Errors },
      },
    },
    async (request, reply) => {
      const body = request.body;
      const userAgent = request.headers['user-agent']?.slice(0, 1000);
      const started = await app.callService(intake.SessionStart, {
        ...(body.referrer !== undefined ? { referrer: body.referrer } : {}),
        ...(body.utm !== undefined ? { utm: body.utm } : {}),
        ...(userAgent ? { userAgent } : {}),
      });
      return reply.status(201).send(started);
    },
  );

  app.post(
    '/api/request/:id/location',
    {
      config: limit(60),
      schema: {
        tags: ['booking'],
        summary: 'Step 1: where. Geocodes the address and says whether the area is served',
        params: IdParams,
        body: Type.Object({
          address: Type.String({ minLength: 3, maxLength: 300 }),
          lat: Type.Optional(Type.Number({ minimum: -90, maximum: 90 })),
          lng: Type.Optional(Type.Number({ minimum: -180, maximum: 180 })),
        }),
        response: {
          200: Type.Object({
            served: Type.Boolean(),
            address: Address,
            message: Type.Optional(Type.String()),
          }),
          422: ErrorBody,
          ...Errors,
        },
      },
    },
    async (request) => {
      const { address, lat, lng } = request.body;
      return app.callService(intake.SessionLocation, {
        id: sessionId(request.params.id),
        address,
        ...(lat !== undefined && lng !== undefined ? { lat, lng } : {}),
      });
    },
  );

  app.post(
    '/api/request/:id/service',
    {
      config: limit(60),
      schema: {
        tags: ['booking'],
        summary: 'Step 2: what. The service, your name and mobile number',
        params: IdParams,
        body: Type.Object({
          serviceCode: Type.String({ minLength: 1, maxLength: 60 }),
          name: Type.String({ minLength: 1, maxLength: 120 }),
          phone: Type.String({ minLength: 1, maxLength: 40 }),
          notes: Type.Optional(Type.String({ maxLength: 1000 })),
        }),
        response: { 200: Type.Object({ depositCents: Type.Integer() }), ...Errors },
      },
    },
    async (request) => {
      const { serviceCode, name, phone, notes } = request.body;
      // Shapes the intake contract would reject, answered with the sentences a customer can act on.
      if (!/^[a-z][a-z0-9_]{1,40}$/.test(serviceCode)) {
        throw badRequest('UNKNOWN_SERVICE', 'Choose a service from the list.', {
          serviceCode: serviceCode.slice(0, 60),
        });
      }
      if (phone.trim().length < 4)
        throw badRequest('INVALID_PHONE', 'Enter a mobile number like (415) 555-0123');
      const { depositCents } = await app.callService(intake.SessionService, {
        id: sessionId(request.params.id),
        serviceCode,
        name,
        phone,
        ...(notes !== undefined ? { notes } : {}),
      });
      return { depositCents };
    },
  );

  app.post(
    '/api/request/:id/payment-intent',
    {
      config: limit(30),
      schema: {
        tags: ['booking'],
        summary: 'Step 3: the deposit. Creates (or returns) the card hold to confirm in the browser',
        params: IdParams,
        response: { 200: intake.DepositIntent, ...Errors },
      },
    },
    async (request) => app.callService(intake.SessionPaymentIntent, { id: sessionId(request.params.id) }),
  );

  app.post(
    '/api/request/:id/test-confirm',
    {
      config: limit(30),
      schema: {
        tags: ['booking'],
        summary:
          'Local emulator only: confirm the deposit with a Stripe test payment method (pm_card_visa, …)',
        params: IdParams,
        body: Type.Object({ paymentMethod: Type.String({ pattern: '^pm_[A-Za-z0-9_]{1,100}$' }) }),
        response: { 200: Type.Object({ status: Type.String() }), 402: ErrorBody, ...Errors },
      },
    },
    async (request) =>
      app.callService(intake.SessionTestConfirm, {
        id: sessionId(request.params.id),
        paymentMethod: request.body.paymentMethod,
      }),
  );

  app.post(
    '/api/request/:id/complete',
    {
      config: limit(30),
      schema: {
        tags: ['booking'],
        summary: 'Finish the booking once the card is authorized; returns the tracking token (idempotent)',
        params: IdParams,
        response: {
          200: Type.Object({ state: intake.BookingState, trackingToken: Type.String() }),
          ...Errors,
        },
      },
    },
    async (request) => app.callService(intake.SessionComplete, { id: sessionId(request.params.id) }),
  );

  app.get(
    '/api/request/:id',
    {
      config: limit(120),
      schema: {
        tags: ['booking'],
        summary: 'Where a booking stands',
        params: IdParams,
        response: { 200: View, ...Errors },
      },
    },
    async (request) => app.callService(intake.SessionGet, { id: sessionId(request.params.id) }),
  );

  app.get(
    '/api/track/:trackingToken',
    {
      config: limit(120),
      schema: {
        tags: ['booking'],
        summary: 'The live status of a booking, by its public tracking token',
        params: TokenParams,
        response: { 200: View, ...Errors },
      },
    },
    async (request) =>
      app.callService(intake.SessionGet, { trackingToken: trackingToken(request.params.trackingToken) }),
  );

  app.get(
    '/api/track/:trackingToken/events',
    {
      config: limit(30),
      schema: {
        tags: ['booking'],
        summary:
          'Server-Sent Events: `event: status` with the booking view on connect and on every change; `event: reconnect` when the server ends the stream (open it again)',
        params: TokenParams,
        response: { 200: Type.String({ description: 'text/event-stream' }), ...Errors },
      },
    },
    async (request, reply) => {
      const token = trackingToken(request.params.trackingToken);
      const release = await slots.acquire(token, request.ip);
      // Listen before reading the current view, so a change in between is not lost.
      const early: BookingView[] = [];
      const sink: { send: (booking: BookingView) => void } = { send: (booking) => early.push(booking) };
      const unlisten = updates.listen(token, (booking) => sink.send(booking));
      let current: BookingView;
      try {
        current = await app.callService(intake.SessionGet, { trackingToken: token });
      } catch (error) {
        unlisten();
        release();
        throw error;
      }

      reply.hijack();
      const raw = reply.raw;
      // Hijacked, so the headers other plugins set (CORS, correlation id, helmet) are copied by hand.
      for (const [name, value] of Object.entries(reply.getHeaders())) {
        if (value !== undefined) raw.setHeader(name, value);
      }
      raw.writeHead(200, {
        'content-type': 'text/event-stream; charset=utf-8',
        'cache-control': 'no-cache, no-transform',
        connection: 'keep-alive',
        'x-accel-buffering': 'no',
      });
      const stream = new LatestEventStream(raw);
      let lastUpdatedAt = '';
      const write = (booking: BookingView): void => {
        // Updates can arrive out of order across replicas; the page never goes back in time.
        if (booking.updatedAt < lastUpdatedAt) return;
        lastUpdatedAt = booking.updatedAt;
        stream.send('status', booking);
      };
      write(current);
      for (const booking of early) write(booking);
      sink.send = write;
      const heartbeat = setInterval(() => stream.heartbeat(), HEARTBEAT_MS);
      heartbeat.unref();
      // Spread over the last tenth, so the pages of a busy moment do not all reconnect at once.
      const expiry = setTimeout(() => end('lifetime'), streams.maxLifetimeMs * (1 - Math.random() / 10));
      expiry.unref();
      let ended = false;
      function end(reason: string): void {
        // Once: ending the response closes it, and its close comes back here.
        if (ended) return;
        ended = true;
        clearInterval(heartbeat);
        clearTimeout(expiry);
        unlisten();
        release();
        openStreams.delete(end);
        stream.end({ event: 'reconnect', data: { reason } });
      }
      openStreams.add(end);
      raw.once('close', () => end('closed'));
      // The page went away while the view was being read: nothing will close it again.
      if (raw.socket === null || raw.socket.destroyed) end('closed');
    },
  );
};

export default routes;
