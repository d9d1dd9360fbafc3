import type Stripe from 'stripe';
import type { EmulatorCore, RequestMeta } from '../domain/core.ts';
import { previousAttributes } from '../domain/changes.ts';
import { newId, nowSeconds, randomToken } from '../domain/ids.ts';
import { invalidRequest, resourceMissing } from '../http/errors.ts';
import { LIST_PARAMS, paginate } from '../http/list.ts';
import { initialMetadata, mergeMetadata, type Params } from '../http/params.ts';
import type { StripeRoute } from '../http/router.ts';
import { attachPaymentMethod, resolvePaymentMethod } from './payment-methods.ts';

const FIELDS = [
  'email',
  'name',
  'phone',
  'description',
  'metadata',
  'payment_method',
  'invoice_settings',
] as const;

export function customerRoutes(core: EmulatorCore): StripeRoute[] {
  return [
    {
      method: 'POST',
      path: '/customers',
      accepts: FIELDS,
      handle: ({ params, meta }) => createCustomer(core, params, meta),
    },
    {
      method: 'GET',
      path: '/customers/:id',
      accepts: [],
      handle: ({ path }) => {
        const id = path['id'] ?? '';
        if (core.store.deletedCustomers.has(id)) return { id, object: 'customer', deleted: true };
        return requireCustomer(core, id, 'id');
      },
    },
    {
      method: 'POST',
      path: '/customers/:id',
      accepts: FIELDS.filter((field) => field !== 'payment_method'),
      handle: ({ params, path, meta }) => updateCustomer(core, path['id'] ?? '', params, meta),
    },
    {
      method: 'DELETE',
      path: '/customers/:id',
      accepts: [],
      handle: ({ path, meta }) => deleteCustomer(core, path['id'] ?? '', meta),
    },
    {
      method: 'GET',
      path: '/customers',
      accepts: [...LIST_PARAMS, 'email'],
      handle: ({ params }) => {
        const email = params.string('email');
        const customers = [...core.store.customers.values()].filter(
          (customer) => email === undefined || customer.email === email,
        );
        return paginate(customers, params, '/v1/customers', core.store, 'customer');
      },
    },
    {
      method: 'GET',
      path: '/customers/:id/payment_methods',
      accepts: [...LIST_PARAMS, 'type', 'allow_redisplay'],
      handle: ({ params, path }) => {
        const customer = requireCustomer(core, path['id'] ?? '', 'customer');
        params.oneOf('type', ['card']);
        params.oneOf('allow_redisplay', ['always', 'limited', 'unspecified']);
        const methods = [...core.store.paymentMethods.values()]
          .map((record) => record.object)
          .filter((method) => method.customer === customer.id);
        return paginate(
          methods,
          params,
          `/v1/customers/${customer.id}/payment_methods`,
          core.store,
          'payment_method',
        );
      },
    },
    {
      method: 'GET',
      path: '/customers/:id/payment_methods/:paymentMethod',
      accepts: [],
      handle: ({ path }) => {
        const customer = requireCustomer(core, path['id'] ?? '', 'customer');
        const id = path['paymentMethod'] ?? '';
        const record = core.store.paymentMethods.get(id);
        if (record === undefined || record.object.customer !== customer.id) {
          throw resourceMissing('PaymentMethod', id, 'payment_method');
        }
        return record.object;
      },
    },
  ];
}

export function requireCustomer(core: EmulatorCore, id: string, param: string): Stripe.Customer {
  const customer = core.store.customers.get(id);
  if (customer === undefined) throw resourceMissing('customer', id, param);
  return customer;
}

function createCustomer(core: EmulatorCore, params: Params, meta: RequestMeta): Stripe.Customer {
  const customer: Stripe.Customer = {
    id: newId('cus'),
    object: 'customer',
    address: null,
    balance: 0,
    created: nowSeconds(),
    currency: null,
    default_source: null,
    delinquent: false,
    description: params.nullableString('description') ?? null,
    discount: null,
    email: params.nullableString('email', 512) ?? null,
    invoice_prefix: randomToken(8).toUpperCase(),
    invoice_settings: {
      custom_fields: null,
      default_payment_method: null,
      footer: null,
      rendering_options: null,
    },
    livemode: false,
    metadata: initialMetadata(params.metadata()),
    name: params.nullableString('name', 256) ?? null,
    next_invoice_sequence: 1,
    phone: params.nullableString('phone', 20) ?? null,
    preferred_locales: [],
    shipping: null,
    tax_exempt: 'none',
    test_clock: null,
  };
  const paymentMethodId = params.nonEmptyString('payment_method');
  const defaultPaymentMethod = readDefaultPaymentMethod(params);
  // A new customer has no cards yet, except the one this same call saves.
  if (typeof defaultPaymentMethod === 'string' && defaultPaymentMethod !== paymentMethodId) {
    throw noSuchDefault(defaultPaymentMethod);
  }
  const paymentMethod =
    paymentMethodId === undefined ? undefined : resolvePaymentMethod(core, paymentMethodId, 'payment_method');
  core.store.customers.set(customer.id, customer);
  core.store.track(customer.id);
  if (paymentMethod !== undefined) {
    try {
      attachPaymentMethod(core, paymentMethod, customer.id, meta, 'payment_method');
    } catch (error) {
      // Stripe creates nothing when the card it was asked to save is refused.
      core.store.customers.delete(customer.id);
      throw error;
    }
    if (typeof defaultPaymentMethod === 'string') {
      customer.invoice_settings.default_payment_method = paymentMethod.object.id;
    }
  }
  core.emit('customer.created', customer, meta);
  return customer;
}

function updateCustomer(core: EmulatorCore, id: string, params: Params, meta: RequestMeta): Stripe.Customer {
  const customer = requireCustomer(core, id, 'id');
  const before = structuredClone(customer);
  // Read (and so validate) every parameter before changing anything.
  const defaultPaymentMethod = readDefaultPaymentMethod(params);
  const description = params.nullableString('description');
  const email = params.nullableString('email', 512);
  const name = params.nullableString('name', 256);
  const phone = params.nullableString('phone', 20);
  const metadata = params.metadata();
  if (defaultPaymentMethod !== undefined) setDefaultPaymentMethod(core, customer, defaultPaymentMethod);
  if (description !== undefined) customer.description = description;
  if (email !== undefined) customer.email = email;
  if (name !== undefined) customer.name = name;
  if (phone !== undefined) customer.phone = phone;
  customer.metadata = mergeMetadata(customer.metadata, metadata);
  const changes = previousAttributes(before, customer);
  if (changes !== undefined) core.emit('customer.updated', customer, meta, changes);
  return customer;
}

function deleteCustomer(core: EmulatorCore, id: string, meta: RequestMeta): Stripe.DeletedCustomer {
  const customer = requireCustomer(core, id, 'id');
  core.store.customers.delete(id);
  core.store.deletedCustomers.add(id);
  for (const record of core.store.paymentMethods.values()) {
    if (record.object.customer === id) {
      record.object.customer = null;
      record.consumed = true;
      record.setUpForOffSession = false;
    }
  }
  core.emit('customer.deleted', customer, meta);
  return { id, object: 'customer', deleted: true };
}

function readDefaultPaymentMethod(params: Params): string | null | undefined {
  const settings = params.object('invoice_settings');
  if (settings === undefined) return undefined;
  settings.only(['default_payment_method']);
  return settings.nullableString('default_payment_method');
}

function setDefaultPaymentMethod(
  core: EmulatorCore,
  customer: Stripe.Customer,
  paymentMethodId: string | null,
): void {
  if (paymentMethodId !== null) {
    const record = core.store.paymentMethods.get(paymentMethodId);
    if (record === undefined || record.object.customer !== customer.id) throw noSuchDefault(paymentMethodId);
  }
  customer.invoice_settings.default_payment_method = paymentMethodId;
}

function noSuchDefault(paymentMethodId: string) {
  return invalidRequest(
    `The customer does not have a payment method with the ID ${paymentMethodId}. The payment method must be attached to the customer.`,
    { param: 'invoice_settings[default_payment_method]' },
  );
}
