// The kustomize tree under k8s/: its kustomization files, its manifests checked against the
// Kubernetes OpenAPI schemas (kubernetes-models), and overlays rendered with `kubectl kustomize`.
import { spawnSync } from 'node:child_process';
import { dirname, join, normalize } from 'node:path';
import { validate as validateDeployment } from 'kubernetes-models/_schemas/IoK8sApiAppsV1Deployment';
import { validate as validateStatefulSet } from 'kubernetes-models/_schemas/IoK8sApiAppsV1StatefulSet';
import { validate as validateHpa } from 'kubernetes-models/_schemas/IoK8sApiAutoscalingV2HorizontalPodAutoscaler';
import { validate as validateJob } from 'kubernetes-models/_schemas/IoK8sApiBatchV1Job';
import { validate as validateConfigMap } from 'kubernetes-models/_schemas/IoK8sApiCoreV1ConfigMap';
import { validate as validateNamespace } from 'kubernetes-models/_schemas/IoK8sApiCoreV1Namespace';
import { validate as validateSecret } from 'kubernetes-models/_schemas/IoK8sApiCoreV1Secret';
import { validate as validateService } from 'kubernetes-models/_schemas/IoK8sApiCoreV1Service';
import { validate as validateServiceAccount } from 'kubernetes-models/_schemas/IoK8sApiCoreV1ServiceAccount';
import { validate as validateIngress } from 'kubernetes-models/_schemas/IoK8sApiNetworkingV1Ingress';
import { validate as validateNetworkPolicy } from 'kubernetes-models/_schemas/IoK8sApiNetworkingV1NetworkPolicy';
import { validate as validatePdb } from 'kubernetes-models/_schemas/IoK8sApiPolicyV1PodDisruptionBudget';
import { at, isRecord, list, record, text, type Dict } from './guards.ts';
import { findFilesNamed, findFilesUnder, readRepoFile, repoPath } from './repo.ts';
import { parseYamlDocuments } from './yaml.ts';

type SchemaValidator = (data: unknown) => boolean;

/**
 * The OpenAPI schema of every kind the manifests may use, by `apiVersion/kind` (compiled by
 * kubernetes-models from Kubernetes' own OpenAPI document). A new kind must be added here.
 */
const SCHEMAS: Readonly<Record<string, SchemaValidator>> = {
  'v1/Namespace': validateNamespace,
  'v1/ConfigMap': validateConfigMap,
  'v1/Secret': validateSecret,
  'v1/Service': validateService,
  'v1/ServiceAccount': validateServiceAccount,
  'apps/v1/Deployment': validateDeployment,
  'apps/v1/StatefulSet': validateStatefulSet,
  'batch/v1/Job': validateJob,
  'autoscaling/v2/HorizontalPodAutoscaler': validateHpa,
  'networking.k8s.io/v1/Ingress': validateIngress,
  'networking.k8s.io/v1/NetworkPolicy': validateNetworkPolicy,
  'policy/v1/PodDisruptionBudget': validatePdb,
};

export interface Resource extends Dict {
  readonly apiVersion: string;
  readonly kind: string;
  readonly metadata: Dict & { readonly name: string };
}

export function asResource(value: unknown, where: string): Resource {
  const object = record(value, where);
  const metadata = record(object['metadata'], `${where}: metadata`);
  const name = text(metadata['name'], `${where}: metadata.name`);
  return {
    ...object,
    apiVersion: text(object['apiVersion'], `${where}: apiVersion`),
    kind: text(object['kind'], `${where}: kind`),
    metadata: { ...metadata, name },
  };
}

/**
 * Problems the Kubernetes schema finds in one complete object ([] when it is valid): wrong
 * types, malformed quantities, missing required fields. (The schemas allow unknown fields, so a
 * misspelt field name is caught by the checks that look for the right one.)
 */
export function schemaProblems(resource: Resource): string[] {
  const validate = SCHEMAS[`${resource.apiVersion}/${resource.kind}`];
  if (!validate)
    return [`${resource.apiVersion} ${resource.kind} is not a kind these manifests are expected to use`];
  if (validate(resource)) return [];
  // The compiled validators leave their errors on the function, as Ajv's do.
  const errors: unknown = Reflect.get(validate, 'errors');
  return Array.isArray(errors)
    ? errors.map((error: unknown) => `${String(at(error, 'instancePath'))} ${String(at(error, 'message'))}`)
    : ['invalid'];
}

export const K8S_ROOT = 'k8s';

export interface Kustomization {
  /** Repository-relative path of the kustomization.yaml. */
  readonly path: string;
  readonly kind: 'Kustomization' | 'Component';
  readonly resources: readonly string[];
  readonly components: readonly string[];
  readonly patches: readonly string[];
}

export function kustomizations(): Kustomization[] {
  return findFilesNamed('kustomization.yaml', K8S_ROOT).map((path) => {
    const document = record(parseYamlDocuments(readRepoFile(path), path)[0], path);
    const kind = document['kind'];
    if (kind !== 'Kustomization' && kind !== 'Component') throw new Error(`${path}: kind ${String(kind)}`);
    const paths = (field: string): string[] =>
      document[field] === undefined
        ? []
        : list(document[field], `${path}: ${field}`).map((item) => text(item, field));
    const patches =
      document['patches'] === undefined
        ? []
        : list(document['patches'], `${path}: patches`).flatMap((patch) => {
            const file = record(patch, 'patch')['path'];
            return typeof file === 'string' ? [file] : [];
          });
    return { path, kind, resources: paths('resources'), components: paths('components'), patches };
  });
}

/** A path named in a kustomization, relative to the repository root. */
export function referencedPath(kustomization: Kustomization, reference: string): string {
  return normalize(join(dirname(kustomization.path), reference));
}

/**
 * Every YAML document of the manifests under k8s/, except the kustomization files and the patches
 * (which are fragments, not objects), each with the file it came from.
 */
export function manifestDocuments(): { file: string; document: unknown }[] {
  const patchFiles = new Set(
    kustomizations().flatMap((kustomization) =>
      kustomization.patches.map((patch) => referencedPath(kustomization, patch)),
    ),
  );
  return findFilesUnder(K8S_ROOT, ['.yaml', '.yml'])
    .filter((file) => !file.endsWith('kustomization.yaml') && !patchFiles.has(file))
    .flatMap((file) => parseYamlDocuments(readRepoFile(file), file).map((document) => ({ file, document })));
}

export function yamlDocumentsOf(file: string): unknown[] {
  return parseYamlDocuments(readRepoFile(file), file);
}

let kubectlAvailable: boolean | undefined;

/** kubectl has kustomize built in; it renders an overlay without any cluster. */
export function hasKubectl(): boolean {
  kubectlAvailable ??= spawnSync('kubectl', ['version', '--client'], { timeout: 10_000 }).status === 0;
  return kubectlAvailable;
}

export function renderKustomization(folder: string): Resource[] {
  const result = spawnSync('kubectl', ['kustomize', repoPath(folder)], { encoding: 'utf8', timeout: 60_000 });
  if (result.status !== 0)
    throw new Error(`kubectl kustomize ${folder} failed: ${result.stderr || String(result.error)}`);
  return parseYamlDocuments(result.stdout, folder).map((document, index) =>
    asResource(document, `${folder}[${index}]`),
  );
}

/** The pod template of a workload (Deployment, StatefulSet, Job), or undefined for other kinds. */
export function podSpec(resource: Resource): Dict | undefined {
  const spec = at(resource, 'spec.template.spec');
  return isRecord(spec) ? spec : undefined;
}

export function containersOf(pod: Dict, where: string): Dict[] {
  return list(pod['containers'], `${where}: containers`).map((container, index) =>
    record(container, `${where}: containers[${index}]`),
  );
}

export function ofKind(resources: readonly Resource[], kind: string): Resource[] {
  return resources.filter((resource) => resource.kind === kind);
}

export function named(resources: readonly Resource[], kind: string, name: string): Resource | undefined {
  return resources.find((resource) => resource.kind === kind && resource.metadata.name === name);
}
