import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from '@jest/globals';
import { createMetrics } from '@trades/runtime';
import { stringify } from 'yaml';
import { at, list, record, text } from '../src/guards.ts';
import { asResource, kustomizations, yamlDocumentsOf } from '../src/kubernetes.ts';
import { parseYaml } from '../src/yaml.ts';

const COMPONENT = 'k8s/components/alerts';
const RULES_KEY = 'trades.rules.yml';

const [configMap] = yamlDocumentsOf(`${COMPONENT}/alert-rules.yaml`).map((document) =>
  asResource(document, 'alert-rules'),
);
const rulesText = text(record(at(configMap, 'data'), 'data')[RULES_KEY], RULES_KEY);
const groups = list(record(parseYaml(rulesText, RULES_KEY), RULES_KEY)['groups'], 'groups');
const rules = groups
  .flatMap((group) => list(record(group, 'group')['rules'], 'rules'))
  .map((rule) => record(rule, 'rule'));

const hasPromtool = spawnSync('promtool', ['--version'], { timeout: 10_000 }).status === 0;
const scratch = mkdtempSync(join(tmpdir(), 'alert-rules-'));

afterAll(() => {
  rmSync(scratch, { recursive: true, force: true });
});

describe('alert rules (k8s/components/alerts)', () => {
  it('ship with production as a ConfigMap holding one rules file', () => {
    expect(configMap?.kind).toBe('ConfigMap');
    const production = kustomizations().find(
      ({ path }) => path === 'k8s/overlays/production/kustomization.yaml',
    );
    expect(production?.components).toContain('../../components/alerts');
    expect(rules.map((rule) => rule['alert'])).toEqual([
      'EventsRetryingTooLong',
      'EventsDeadLetteredAfterRetries',
      'EventsRejected',
    ]);
  });

  it('watch only metrics the services export', async () => {
    const exported = new Set(
      (await createMetrics('check').registry.getMetricsAsJSON()).map((metric) => metric.name),
    );
    for (const rule of rules) {
      const names = text(rule['expr'], 'expr').match(/\b(?:jetstream|runtime|outbox|nats)_[a-z_]+\b/g) ?? [];
      expect(names.length).toBeGreaterThan(0);
      for (const name of names) expect(exported).toContain(name);
    }
  });
});

// promtool comes with Prometheus (Debian: `apt-get install prometheus`); without it these are skipped.
const describePromtool = hasPromtool ? describe : describe.skip;

/**
 * The rules without their annotations: promtool compares annotations word for word, and what is tested
 * here is when each alert fires and with which labels.
 */
function writeBareRules(): void {
  const bare = {
    groups: groups.map((group) => ({
      ...record(group, 'group'),
      rules: list(record(group, 'group')['rules'], 'rules').map((rule) => {
        const { annotations: _annotations, ...rest } = record(rule, 'rule');
        return rest;
      }),
    })),
  };
  writeFileSync(join(scratch, 'bare.rules.yml'), stringify(bare));
}

describePromtool('alert rules, checked by promtool', () => {
  it('are valid rules', () => {
    const file = join(scratch, RULES_KEY);
    writeFileSync(file, rulesText);
    const result = spawnSync('promtool', ['check', 'rules', file], { encoding: 'utf8', timeout: 30_000 });
    expect(result.stderr + result.stdout).toContain('SUCCESS: 3 rules found');
    expect(result.status).toBe(0);
  });

  it('fire when events keep failing or are dead-lettered, and stay quiet otherwise', () => {
    writeBareRules();
    const labels = 'service="payments",consumer="payments-jobs"';
    const tests = {
      rule_files: ['bare.rules.yml'],
      evaluation_interval: '1m',
      tests: [
        {
          interval: '1m',
          input_series: [
            // Retries past the threshold from minute 2 to 4, then the dependency is back.
            {
              series: `jetstream_event_retries_overdue_total{${labels}}`,
              values: '0 0 1 3 5 5 5 5 5 5 5 5 5 5',
            },
            // One event given up on at minute 3; nothing rejected.
            {
              series: `jetstream_messages_dead_lettered_total{${labels},outcome="exhausted"}`,
              values: '0 0 0 1 1 1 1 1 1 1 1 1 1 1 1 1 1 1 1 1 1 1 1 1',
            },
            {
              series: `jetstream_messages_dead_lettered_total{${labels},outcome="rejected"}`,
              values: '0x20',
            },
          ],
          alert_rule_test: [
            {
              eval_time: '4m',
              alertname: 'EventsRetryingTooLong',
              exp_alerts: [
                { exp_labels: { severity: 'warning', service: 'payments', consumer: 'payments-jobs' } },
              ],
            },
            { eval_time: '12m', alertname: 'EventsRetryingTooLong', exp_alerts: [] },
            {
              eval_time: '5m',
              alertname: 'EventsDeadLetteredAfterRetries',
              exp_alerts: [
                { exp_labels: { severity: 'critical', service: 'payments', consumer: 'payments-jobs' } },
              ],
            },
            { eval_time: '20m', alertname: 'EventsDeadLetteredAfterRetries', exp_alerts: [] },
            { eval_time: '5m', alertname: 'EventsRejected', exp_alerts: [] },
          ],
        },
      ],
    };
    const testFile = join(scratch, 'rules.test.yml');
    writeFileSync(testFile, stringify(tests));
    const result = spawnSync('promtool', ['test', 'rules', testFile], { encoding: 'utf8', timeout: 30_000 });
    expect(result.stderr + result.stdout).toContain('SUCCESS');
    expect(result.status).toBe(0);
  });

  it('the test above is not vacuous: an alert expected but not firing is reported', () => {
    writeBareRules();
    const quiet = {
      rule_files: ['bare.rules.yml'],
      evaluation_interval: '1m',
      tests: [
        {
          interval: '1m',
          input_series: [{ series: 'jetstream_event_retries_overdue_total{consumer="x"}', values: '0x10' }],
          alert_rule_test: [
            {
              eval_time: '5m',
              alertname: 'EventsRetryingTooLong',
              exp_alerts: [{ exp_labels: { severity: 'warning', consumer: 'x' } }],
            },
          ],
        },
      ],
    };
    const testFile = join(scratch, 'quiet.test.yml');
    writeFileSync(testFile, stringify(quiet));
    const result = spawnSync('promtool', ['test', 'rules', testFile], { encoding: 'utf8', timeout: 30_000 });
    expect(result.status).not.toBe(0);
  });
});
