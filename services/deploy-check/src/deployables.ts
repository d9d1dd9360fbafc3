// The deployables of the platform and the conventions each one's artefacts must agree on:
// Dockerfile, docker-compose.yml service, Kubernetes manifest. One table, so that removing or
// renaming a deployable in one place and not the others fails a test.

export type DeployableKind = 'service' | 'gateway' | 'ui' | 'setup' | 'emulator';

export interface Deployable {
  /** Compose service, Kubernetes object names and `app` label, image `trades/<name>`. */
  readonly name: string;
  readonly kind: DeployableKind;
  /** The folder whose Dockerfile builds it (context: the repository root). */
  readonly folder: string;
  /** The port it listens on, in the container. Setup listens on none. */
  readonly port?: number;
  /** Liveness path: the Docker HEALTHCHECK and the Kubernetes liveness probe. */
  readonly livePath?: string;
  /** Readiness path: the Compose health check (what `service_healthy` waits for) and the readiness probe. */
  readonly readyPath?: string;
  /** The file the image's CMD runs with node. */
  readonly main?: string;
}

function service(name: string, port: number): Deployable {
  return {
    name,
    kind: 'service',
    folder: `services/${name}`,
    port,
    livePath: '/livez',
    readyPath: '/readyz',
    main: `services/${name}/src/main.ts`,
  };
}

export const DEPLOYABLES: readonly Deployable[] = [
  service('intake', 9101),
  service('dispatch', 9102),
  service('messaging', 9103),
  service('payments', 9104),
  service('locksmith-registry', 9105),
  {
    name: 'gateway',
    kind: 'gateway',
    folder: 'gateway',
    port: 8000,
    // /health aggregates every service's discovery status (503 while one is down): not a probe.
    livePath: '/livez',
    readyPath: '/livez',
    main: 'gateway/src/main.ts',
  },
  {
    name: 'customer-ui',
    kind: 'ui',
    folder: 'customer-ui',
    port: 3000,
    livePath: '/healthz',
    readyPath: '/healthz',
  },
  {
    name: 'admin-ui',
    kind: 'ui',
    folder: 'admin-ui',
    port: 3001,
    livePath: '/healthz',
    readyPath: '/healthz',
  },
  { name: 'setup', kind: 'setup', folder: 'scripts' },
  {
    name: 'stripe-emulator',
    kind: 'emulator',
    folder: 'services/stripe-emulator',
    port: 12111,
    livePath: '/__emulator/health',
    readyPath: '/__emulator/health',
    main: 'services/stripe-emulator/src/main.ts',
  },
  {
    name: 'twilio-emulator',
    kind: 'emulator',
    folder: 'services/twilio-emulator',
    port: 12112,
    livePath: '/__emulator/health',
    readyPath: '/__emulator/health',
    main: 'services/twilio-emulator/src/main.ts',
  },
];

export const SERVICES = DEPLOYABLES.filter((deployable) => deployable.kind === 'service');

/** Long-running processes that serve traffic in every environment (not setup, not the emulators). */
export const SERVING = DEPLOYABLES.filter((deployable) =>
  ['service', 'gateway', 'ui'].includes(deployable.kind),
);

/** Autoscaled in Kubernetes: the services and the gateway. */
export const AUTOSCALED = DEPLOYABLES.filter((deployable) =>
  ['service', 'gateway'].includes(deployable.kind),
);

export const EMULATORS = DEPLOYABLES.filter((deployable) => deployable.kind === 'emulator');

export function deployable(name: string): Deployable {
  const found = DEPLOYABLES.find((candidate) => candidate.name === name);
  if (!found) throw new Error(`no deployable named ${name}`);
  return found;
}
