// SARIF 2.1.0 for GitHub code scanning. SARIF columns are 1-based UTF-16 code units.
import { rules } from '../../rules/lib/catalog.js';
import { docsUrl } from '../../rules/types.js';
import type { LintRun } from '../run.js';
import { fingerprints } from '../baseline.js';

const level = (s: string) => (s === 'error' ? 'error' : s === 'warning' ? 'warning' : 'note');

export function toSarif(run: LintRun, version: string) {
  const ids = rules.map((r) => r.meta.id);
  return {
    $schema: 'https://json.schemastore.org/sarif-2.1.0.json',
    version: '2.1.0',
    runs: [
      {
        tool: {
          driver: {
            name: 'pg-rls-lint',
            informationUri: 'https://github.com/pg-rls-lint/pg-rls-lint',
            version,
            rules: rules.map((r) => ({
              id: r.meta.id,
              shortDescription: { text: r.meta.description },
              fullDescription: { text: r.meta.guards },
              helpUri: docsUrl(r.meta.id),
              defaultConfiguration: { level: level(configured(run, r.meta.id) ?? r.meta.severity), ...(run.config.rules[r.meta.id] === 'off' ? { enabled: false } : {}) },
              properties: { category: r.meta.category, fix: r.meta.fixKind },
            })),
          },
        },
        columnKind: 'utf16CodeUnits',
        // files that could not be read were not linted: the run is not a clean bill of health
        ...(run.unreadable.length
          ? {
              invocations: [
                {
                  executionSuccessful: false,
                  toolExecutionNotifications: run.unreadable.map((u) => ({
                    level: 'error',
                    message: { text: `cannot lint ${u.path}: ${u.reason}` },
                    locations: [{ physicalLocation: { artifactLocation: { uri: u.path } } }],
                  })),
                },
              ],
            }
          : {}),
        results: run.files.flatMap((f) => {
          const prints = fingerprints(f);
          return f.findings.map((d, i) => ({
            ruleId: d.rule,
            ruleIndex: Math.max(0, ids.indexOf(d.rule)),
            level: level(d.severity),
            message: { text: d.message },
            // (code scanning tracks an alert by it: the same across moved lines, new for a changed statement)
            partialFingerprints: { 'pgRlsLintFinding/v1': prints[i]! },
            locations: [
              {
                physicalLocation: {
                  artifactLocation: { uri: f.path },
                  region: {
                    startLine: d.range.start.line + 1,
                    startColumn: d.range.start.character + 1,
                    endLine: d.range.end.line + 1,
                    endColumn: d.range.end.character + 1,
                  },
                },
              },
            ],
          }));
        }),
      },
    ],
  };
}

export function formatSarif(run: LintRun, version: string): string {
  return JSON.stringify(toSarif(run, version), null, 2);
}

function configured(run: LintRun, id: string): string | undefined {
  const s = run.config.rules[id];
  return s === 'off' ? undefined : s;
}
