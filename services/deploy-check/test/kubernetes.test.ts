import { describe, expect, it } from '@jest/globals';
import { AUTOSCALED, DEPLOYABLES, EMULATORS, SERVING, deployable } from '../src/deployables.ts';
import { at, isRecord, list, record, text, type Dict } from '../src/guards.ts';
import {
  asResource,
  containersOf,
  hasKubectl,
  kustomizations,
  manifestDocuments,
  named,
  ofKind,
  podSpec,
  referencedPath,
  renderKustomization,
  schemaProblems,
  yamlDocumentsOf,
  type Resource,
} from '../src/kubernetes.ts';
import { existsInRepo } from '../src/repo.ts';

const WORKLOAD_KINDS = ['Deployment', 'StatefulSet', 'Job'];
const manifests = manifestDocuments();
const resources = manifests.map(({ file, document }, index) => ({
  file,
  resource: asResource(document, `${file}[${String(index)}]`),
}));
const base = resources.filter(({ file }) => file.startsWith('k8s/base/')).map(({ resource }) => resource);
const emulatorResources = resources
  .filter(({ file }) => file.startsWith('k8s/components/emulators/'))
  .map(({ resource }) => resource);

/** Checks one workload's pod template against the hardening every pod here follows. */
function hardeningProblems(workload: Resource): string[] {
  const where = `${workload.kind} ${workload.metadata.name}`;
  const pod = podSpec(workload);
  if (!pod) return [`${where}: no pod template`];
  const problems: string[] = [];
  if (at(pod, 'securityContext.runAsNonRoot') !== true) problems.push(`${where}: runAsNonRoot is not true`);
  const uid = at(pod, 'securityContext.runAsUser');
  if (typeof uid !== 'number' || uid === 0) problems.push(`${where}: runAsUser is not a non-zero uid`);
  if (at(pod, 'securityContext.seccompProfile.type') !== 'RuntimeDefault') problems.push(`${where}: seccomp`);
  if (pod['automountServiceAccountToken'] !== false)
    problems.push(`${where}: mounts a service account token`);
  for (const container of containersOf(pod, where)) {
    const name = `${where} container ${String(container['name'])}`;
    const security = record(container['securityContext'] ?? {}, name);
    if (security['readOnlyRootFilesystem'] !== true) problems.push(`${name}: root filesystem is writable`);
    if (security['allowPrivilegeEscalation'] !== false)
      problems.push(`${name}: privilege escalation allowed`);
    const dropped = at(security, 'capabilities.drop');
    if (!Array.isArray(dropped) || !dropped.includes('ALL'))
      problems.push(`${name}: capabilities not dropped`);
    for (const kind of ['requests', 'limits']) {
      for (const resourceName of ['cpu', 'memory']) {
        if (at(container, `resources.${kind}.${resourceName}`) === undefined) {
          problems.push(`${name}: no ${resourceName} ${kind.slice(0, -1)}`);
        }
      }
    }
    if (String(container['image']).endsWith(':latest')) problems.push(`${name}: image tag latest`);
  }
  return problems;
}

function httpProbe(container: Dict, probe: string): { path: string; port: number } | undefined {
  const path = at(container, `${probe}.httpGet.path`);
  const port = at(container, `${probe}.httpGet.port`);
  if (typeof path !== 'string') return undefined;
  const ports = list(container['ports'] ?? [], 'ports').map((entry) => record(entry, 'port'));
  const numeric =
    typeof port === 'number' ? port : ports.find((entry) => entry['name'] === port)?.['containerPort'];
  return typeof numeric === 'number' ? { path, port: numeric } : undefined;
}

function mainContainer(workload: Resource): Dict {
  const [first] = containersOf(podSpec(workload) ?? {}, workload.metadata.name);
  if (!first) throw new Error(`${workload.metadata.name}: no container`);
  return first;
}

describe('kustomization files', () => {
  const all = kustomizations();

  it('has a base, the two overlays and the four components', () => {
    expect(all.map(({ path, kind }) => `${kind} ${path}`).sort()).toEqual([
      'Component k8s/components/alerts/kustomization.yaml',
      'Component k8s/components/emulators/kustomization.yaml',
      'Component k8s/components/nats-cluster/kustomization.yaml',
      'Component k8s/components/network-policies/kustomization.yaml',
      'Kustomization k8s/base/kustomization.yaml',
      'Kustomization k8s/overlays/local/kustomization.yaml',
      'Kustomization k8s/overlays/production/kustomization.yaml',
    ]);
  });

  it.each(all.map((kustomization) => [kustomization.path, kustomization] as const))(
    '%s: every file and folder it names exists',
    (_path, kustomization) => {
      const named = [...kustomization.resources, ...kustomization.components, ...kustomization.patches];
      expect(named.length).toBeGreaterThan(0);
      const missing = named.filter((reference) => !existsInRepo(referencedPath(kustomization, reference)));
      expect(missing).toEqual([]);
    },
  );

  it('lists every manifest of the base and the components, so none is silently left out', () => {
    const listed = new Set(
      all.flatMap((kustomization) =>
        [...kustomization.resources, ...kustomization.patches].map((reference) =>
          referencedPath(kustomization, reference),
        ),
      ),
    );
    const unlisted = [...new Set(manifests.map(({ file }) => file))].filter((file) => !listed.has(file));
    expect(unlisted).toEqual([]);
  });
});

describe('manifests under k8s/', () => {
  it('parse, and every object is valid against the Kubernetes schema of its kind', () => {
    const problems = resources.flatMap(({ file, resource }) =>
      schemaProblems(resource).map(
        (problem) => `${file} ${resource.kind}/${resource.metadata.name}: ${problem}`,
      ),
    );
    expect(problems).toEqual([]);
  });

  it('the schema check is not vacuous: a malformed Deployment is rejected', () => {
    const intake = named(base, 'Deployment', 'intake');
    expect(intake).toBeDefined();
    if (!intake) return;
    const broken = structuredClone(intake);
    const container = mainContainer(broken);
    container['resources'] = { limits: { memory: 'a lot' } };
    container['ports'] = [{ containerPort: 'http' }];
    expect(schemaProblems(broken).length).toBeGreaterThan(0);
  });

  it('keeps one manifest per deployable: its Deployment, Service and ServiceAccount in one file', () => {
    for (const target of [...SERVING, ...EMULATORS]) {
      const folder = target.kind === 'emulator' ? 'k8s/components/emulators' : 'k8s/base';
      const inFile = yamlDocumentsOf(`${folder}/${target.name}.yaml`).map((document) =>
        asResource(document, target.name),
      );
      const kinds = inFile
        .filter((resource) => resource.metadata.name === target.name)
        .map(({ kind }) => kind);
      expect(kinds).toEqual(expect.arrayContaining(['Deployment', 'Service', 'ServiceAccount']));
    }
  });

  it.each(SERVING.map(({ name }) => name))(
    '%s: Deployment, Service and ServiceAccount agree on names, labels and ports',
    (name) => {
      const target = deployable(name);
      const deployment = named(base, 'Deployment', name);
      const service = named(base, 'Service', name);
      const account = named(base, 'ServiceAccount', name);
      expect(deployment && service && account).toBeTruthy();
      if (!deployment || !service) return;
      expect(at(deployment, 'spec.selector.matchLabels')).toEqual({ app: name });
      expect(at(deployment, 'spec.template.metadata.labels.app')).toBe(name);
      expect(at(service, 'spec.selector')).toEqual({ app: name });
      expect(at(deployment, 'spec.template.spec.serviceAccountName')).toBe(name);
      expect(at(account, 'automountServiceAccountToken')).toBe(false);
      const container = mainContainer(deployment);
      expect(container['image']).toBe(`trades/${name}`);
      expect(at(container, 'ports')).toEqual([{ name: 'http', containerPort: target.port }]);
      expect(at(service, 'spec.ports')).toEqual([{ name: 'http', port: target.port, targetPort: 'http' }]);
    },
  );

  it.each(SERVING.map(({ name }) => name))(
    '%s: liveness and readiness probes on its health paths',
    (name) => {
      const target = deployable(name);
      const deployment = named(base, 'Deployment', name);
      if (!deployment) throw new Error(`no Deployment ${name}`);
      const container = mainContainer(deployment);
      expect(httpProbe(container, 'livenessProbe')).toEqual({ path: target.livePath, port: target.port });
      expect(httpProbe(container, 'readinessProbe')).toEqual({ path: target.readyPath, port: target.port });
    },
  );

  it('services are told their HTTP_PORT, the gateway its PORT, matching their container ports', () => {
    for (const target of AUTOSCALED) {
      const deployment = named(base, 'Deployment', target.name);
      if (!deployment) throw new Error(`no Deployment ${target.name}`);
      const env = list(mainContainer(deployment)['env'], 'env').map((entry) => record(entry, 'env'));
      const variable = target.kind === 'gateway' ? 'PORT' : 'HTTP_PORT';
      expect(env).toContainEqual({ name: variable, value: String(target.port) });
    }
  });

  it('every workload runs non-root, on a read-only root filesystem, without capabilities, with limits', () => {
    const workloads = resources
      .map(({ resource }) => resource)
      .filter(({ kind }) => WORKLOAD_KINDS.includes(kind));
    expect(workloads.length).toBeGreaterThanOrEqual(SERVING.length + EMULATORS.length + 3);
    expect(workloads.flatMap(hardeningProblems)).toEqual([]);
  });

  it('every workload that writes has a writable volume for it (a read-only root is otherwise fatal)', () => {
    for (const { resource } of resources.filter(({ resource: r }) => WORKLOAD_KINDS.includes(r.kind))) {
      const mounts = list(mainContainer(resource)['volumeMounts'] ?? [], 'volumeMounts').map((mount) =>
        text(record(mount, 'mount')['mountPath'], 'mountPath'),
      );
      expect(mounts.length).toBeGreaterThan(0);
    }
  });

  it.each(AUTOSCALED.map(({ name }) => name))(
    '%s: has a HorizontalPodAutoscaler on its Deployment',
    (name) => {
      const hpa = named(base, 'HorizontalPodAutoscaler', name);
      expect(at(hpa, 'spec.scaleTargetRef')).toEqual({ apiVersion: 'apps/v1', kind: 'Deployment', name });
      const deployment = named(base, 'Deployment', name);
      expect(at(deployment, 'spec.replicas')).toBeUndefined();
    },
  );

  it('runs setup as a Job with the setup image, and it serves nothing', () => {
    const job = named(base, 'Job', 'setup');
    expect(job).toBeDefined();
    if (!job) return;
    expect(mainContainer(job)['image']).toBe('trades/setup');
    expect(at(job, 'spec.template.spec.restartPolicy')).toBe('OnFailure');
    expect(named(base, 'ServiceAccount', 'setup')).toBeDefined();
  });

  it('refers only to ConfigMaps and Secrets that the base defines', () => {
    const defined = new Set(
      base
        .filter(({ kind }) => kind === 'ConfigMap' || kind === 'Secret')
        .map(({ metadata }) => metadata.name),
    );
    const referenced = JSON.stringify([...base, ...emulatorResources]).matchAll(
      /"(?:configMapRef|secretRef|secretKeyRef|configMap)":\{"name":"([^"]+)"/g,
    );
    const names = [...referenced].map(([, name]) => name ?? '');
    expect(names.length).toBeGreaterThan(0);
    expect(names.filter((name) => !defined.has(name))).toEqual([]);
  });

  it('marks the Secret of the base as example values, which the services accept at boot', () => {
    const secret = named(base, 'Secret', 'trades-secrets');
    expect(at(secret, 'metadata.annotations')).toEqual({ 'trades.example.com/example-values': 'true' });
    const data = record(at(secret, 'stringData'), 'stringData');
    expect(data).toMatchObject({
      DATABASE_URL: expect.stringMatching(/^postgres:\/\/trades:[^@]+@postgres:5432\/trades$/),
      STRIPE_SECRET_KEY: expect.stringMatching(/^sk_test_/),
      STRIPE_WEBHOOK_SECRET: expect.stringMatching(/^whsec_/),
      TWILIO_ACCOUNT_SID: expect.stringMatching(/^AC\w{32}$/),
      TWILIO_AUTH_TOKEN: expect.stringMatching(/^.{8,}$/),
      ADMIN_EMAIL: expect.stringMatching(/@/),
      ADMIN_PASSWORD: expect.any(String),
      ADMIN_SESSION_SECRET: expect.stringMatching(/^.{32,}$/),
    });
    expect(String(data['DATABASE_URL'])).toContain(`:${String(data['POSTGRES_PASSWORD'])}@`);
  });

  it('runs NATS 2.12.3 or a later 2.12 with JetStream on a persistent volume', () => {
    const nats = named(base, 'StatefulSet', 'nats');
    if (!nats) throw new Error('no NATS StatefulSet');
    const [, patch] = /^nats:2\.12\.(\d+)-alpine$/.exec(text(mainContainer(nats)['image'], 'image')) ?? [];
    expect(Number(patch)).toBeGreaterThanOrEqual(3);
    const config = text(
      record(at(named(base, 'ConfigMap', 'nats-config'), 'data'), 'data')['nats.conf'],
      'nats.conf',
    );
    expect(config).toMatch(/jetstream \{\s*store_dir: \/data/);
    expect(config).toContain('include ./cluster.conf');
    const mounts = list(mainContainer(nats)['volumeMounts'], 'volumeMounts');
    expect(mounts).toContainEqual({ name: 'data', mountPath: '/data' });
    const claims = list(at(nats, 'spec.volumeClaimTemplates'), 'volumeClaimTemplates');
    expect(claims.map((claim) => at(claim, 'metadata.name'))).toEqual(['data']);
  });

  it('routes /api to the gateway and everything else to each app, on two hosts', () => {
    const ingress = named(base, 'Ingress', 'trades');
    const rules = list(at(ingress, 'spec.rules'), 'rules').map((rule) => record(rule, 'rule'));
    const routes = rules.map((rule) =>
      list(at(rule, 'http.paths'), 'paths').map(
        (path) => `${String(at(path, 'path'))} -> ${String(at(path, 'backend.service.name'))}`,
      ),
    );
    expect(routes).toEqual([
      ['/api -> gateway', '/ -> customer-ui'],
      ['/api -> gateway', '/ -> admin-ui'],
    ]);
  });
});

// Rendering needs kubectl (kustomize is built in); without it these are skipped, not passed.
const describeRendered = hasKubectl() ? describe : describe.skip;

describeRendered('rendered overlays (kubectl kustomize)', () => {
  const rendered = {
    base: hasKubectl() ? renderKustomization('k8s/base') : [],
    local: hasKubectl() ? renderKustomization('k8s/overlays/local') : [],
    production: hasKubectl() ? renderKustomization('k8s/overlays/production') : [],
  };

  const overlays = Object.entries(rendered);

  it.each(overlays)('%s: every object is valid against the Kubernetes schema', (_name, objects) => {
    expect(objects.length).toBeGreaterThan(20);
    expect(objects.flatMap((resource) => schemaProblems(resource))).toEqual([]);
  });

  it.each(overlays)('%s: everything lives in the trades namespace', (_name, objects) => {
    const outside = objects.filter(
      ({ kind, metadata }) => kind !== 'Namespace' && metadata['namespace'] !== 'trades',
    );
    expect(outside).toEqual([]);
  });

  it.each(overlays)(
    '%s: each Deployment has its Service and ServiceAccount, and is hardened',
    (_name, objects) => {
      for (const deployment of ofKind(objects, 'Deployment')) {
        const service = named(objects, 'Service', deployment.metadata.name);
        expect(service).toBeDefined();
        expect(
          named(objects, 'ServiceAccount', String(at(deployment, 'spec.template.spec.serviceAccountName'))),
        ).toBeDefined();
        expect(hardeningProblems(deployment)).toEqual([]);
      }
    },
  );

  it('local: runs the emulators, points the SDKs at them, and uses the images built as :dev', () => {
    const objects = rendered.local;
    for (const emulator of EMULATORS) expect(named(objects, 'Deployment', emulator.name)).toBeDefined();
    const config = record(at(named(objects, 'ConfigMap', 'trades-config'), 'data'), 'data');
    expect(config).toMatchObject({
      APP_ENV: 'development',
      STRIPE_API_BASE: 'http://stripe-emulator:12111',
      TWILIO_API_BASE: 'http://twilio-emulator:12112',
      BASE_URL: 'http://gateway:8000',
    });
    const images = objects.flatMap((resource) => {
      const pod = podSpec(resource);
      return pod
        ? containersOf(pod, resource.metadata.name).map((container) => String(container['image']))
        : [];
    });
    expect(images.filter((image) => image.startsWith('trades/') && !image.endsWith(':dev'))).toEqual([]);
    expect(named(objects, 'Secret', 'trades-secrets')).toBeDefined();
  });

  it('production: no emulator, no demo database, no example secret; a NATS cluster of three', () => {
    const objects = rendered.production;
    for (const emulator of EMULATORS) expect(named(objects, 'Deployment', emulator.name)).toBeUndefined();
    expect(named(objects, 'StatefulSet', 'postgres')).toBeUndefined();
    expect(named(objects, 'Service', 'postgres')).toBeUndefined();
    expect(named(objects, 'Secret', 'trades-secrets')).toBeUndefined();
    expect(at(named(objects, 'StatefulSet', 'nats'), 'spec.replicas')).toBe(3);
    const natsConfig = record(at(named(objects, 'ConfigMap', 'nats-config'), 'data'), 'data');
    expect(natsConfig['cluster.conf']).toContain('nats://nats-2.nats-headless:6222');
    const config = record(at(named(objects, 'ConfigMap', 'trades-config'), 'data'), 'data');
    expect(config['APP_ENV']).toBe('production');
    expect(config['NATS_STREAM_REPLICAS']).toBe('3');
    expect(config).not.toHaveProperty(['STRIPE_API_BASE']);
    expect(config).not.toHaveProperty(['TWILIO_API_BASE']);
  });

  it('production: default-deny network policies with an allow-list for every deployable', () => {
    const policies = ofKind(rendered.production, 'NetworkPolicy');
    const selected = policies.map((policy) => at(policy, 'spec.podSelector.matchLabels.app'));
    expect(named(policies, 'NetworkPolicy', 'deny-all')).toBeDefined();
    for (const target of [...SERVING, deployable('setup')]) expect(selected).toContain(target.name);
    expect(selected).toEqual(expect.arrayContaining(['nats', 'postgres']));
  });

  it('production: two replicas at least of everything that serves, and a disruption budget for each', () => {
    const objects = rendered.production;
    for (const target of AUTOSCALED) {
      expect(at(named(objects, 'HorizontalPodAutoscaler', target.name), 'spec.minReplicas')).toBe(2);
    }
    for (const target of SERVING.filter(({ kind }) => kind === 'ui')) {
      expect(at(named(objects, 'Deployment', target.name), 'spec.replicas')).toBe(2);
    }
    for (const target of SERVING) expect(named(objects, 'PodDisruptionBudget', target.name)).toBeDefined();
  });

  it('production: every image of ours comes from a registry, with a version tag', () => {
    const images = rendered.production.flatMap((resource) => {
      const pod = podSpec(resource);
      return pod
        ? containersOf(pod, resource.metadata.name).map((container) => String(container['image']))
        : [];
    });
    const ours = images.filter((image) => image.includes('/trades/') || image.startsWith('trades/'));
    expect(ours).toHaveLength(SERVING.length + 1);
    for (const image of ours) expect(image).toMatch(/^[a-z0-9.-]+\.[a-z]+\/trades\/[a-z-]+:\d+\.\d+\.\d+$/);
  });

  it('production: TLS on both hosts', () => {
    const tls = at(named(rendered.production, 'Ingress', 'trades'), 'spec.tls');
    expect(tls).toEqual([
      { hosts: ['app.trades.example.com', 'admin.trades.example.com'], secretName: 'trades-tls' },
    ]);
  });
});

describe('every deployable is deployed somewhere', () => {
  it('has a workload in the base or, for the emulators, in their component', () => {
    const workloads = resources
      .map(({ resource }) => resource)
      .filter(({ kind }) => WORKLOAD_KINDS.includes(kind))
      .map(({ metadata }) => metadata.name);
    for (const target of DEPLOYABLES) expect(workloads).toContain(target.name);
    expect(isRecord(named(base, 'StatefulSet', 'postgres'))).toBe(true);
  });
});
