// The JSON schema of .pg-rls-lint.json (docs/pg-rls-lint.schema.json): generated and up to date,
// shipped where the extension points to it, and agreeing with the engine's own check of a config
// (validateConfig): what one accepts, the other does.
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { CONFIG_KEYS, parseConfigText } from '../server/src/analysis/config.js';
import { rules } from '../server/src/rules/lib/catalog.js';
import { renderConfigSchema, SCHEMA_PATH } from '../scripts/config-schema.js';

const ROOT = join(__dirname, '..');
const schema = JSON.parse(readFileSync(SCHEMA_PATH, 'utf8'));
const knownRules = new Set(rules.map((r) => r.meta.id));

type S = Record<string, any>;
/** The errors of `value` against `s`: the part of JSON Schema (draft-07) the config's schema uses, enough to test it. */
function errors(s: S, value: unknown, at = '$'): string[] {
  const out: string[] = [];
  if (s.oneOf) {
    const ok = (s.oneOf as S[]).filter((x) => errors(x, value, at).length === 0).length;
    if (ok !== 1) out.push(`${at}: matches ${ok} of oneOf`);
  }
  if (s.enum && !s.enum.some((e: unknown) => e === value)) out.push(`${at}: not one of ${JSON.stringify(s.enum)}`);
  const type = s.type as string | undefined;
  const isObject = typeof value === 'object' && value !== null && !Array.isArray(value);
  if (type === 'object' && !isObject) return [...out, `${at}: not an object`];
  if (type === 'array' && !Array.isArray(value)) return [...out, `${at}: not an array`];
  if (type === 'string' && typeof value !== 'string') return [...out, `${at}: not a string`];
  if (type === 'integer' && !Number.isInteger(value)) return [...out, `${at}: not an integer`];
  if (typeof value === 'string' && s.minLength !== undefined && value.length < s.minLength) out.push(`${at}: too short`);
  if (typeof value === 'number' && ((s.minimum !== undefined && value < s.minimum) || (s.maximum !== undefined && value > s.maximum))) out.push(`${at}: out of range`);
  if (Array.isArray(value)) {
    if (s.minItems !== undefined && value.length < s.minItems) out.push(`${at}: too few items`);
    if (s.items) value.forEach((v, i) => out.push(...errors(s.items, v, `${at}[${i}]`)));
  }
  if (isObject && (type === 'object' || s.properties || s.additionalProperties !== undefined)) {
    const o = value as Record<string, unknown>;
    if (s.minProperties !== undefined && Object.keys(o).length < s.minProperties) out.push(`${at}: too few properties`);
    for (const [k, v] of Object.entries(o)) {
      const p = s.properties?.[k];
      if (p) out.push(...errors(p, v, `${at}.${k}`));
      else if (s.additionalProperties === false) out.push(`${at}: unknown property ${k}`);
      else if (typeof s.additionalProperties === 'object') out.push(...errors(s.additionalProperties, v, `${at}.${k}`));
    }
  }
  return out;
}

describe('.pg-rls-lint.json schema', () => {
  test('ok: generated from the config keys, the settings and the catalog, and up to date (npm run docs:rules)', () => {
    assert.equal(readFileSync(SCHEMA_PATH, 'utf8'), renderConfigSchema(), 'run `npm run docs:rules`');
    assert.deepEqual(Object.keys(schema.properties).sort(), [...CONFIG_KEYS].sort());
    assert.deepEqual(Object.keys(schema.properties.rules.properties).sort(), [...knownRules].sort());
    for (const [key, p] of Object.entries(schema.properties) as Array<[string, S]>) assert.ok(p.markdownDescription, `${key} has a description`);
  });

  test("ok: VS Code validates the file with it (jsonValidation, the build's copy, kept in the .vsix) and reads it as JSON with comments; the npm package ships it", () => {
    const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8'));
    assert.deepEqual(pkg.contributes.jsonValidation, [{ fileMatch: '.pg-rls-lint.json', url: './dist/pg-rls-lint.schema.json' }]);
    assert.ok(pkg.contributes.languages.some((l: S) => l.id === 'jsonc' && l.filenames.includes('.pg-rls-lint.json')));
    assert.ok(readFileSync(join(ROOT, 'scripts/build.mjs'), 'utf8').includes("copyFileSync('docs/pg-rls-lint.schema.json', 'dist/pg-rls-lint.schema.json')"));
    assert.match(readFileSync(join(ROOT, '.vscodeignore'), 'utf8'), /^!dist\/pg-rls-lint\.schema\.json$/m);
    if (existsSync(join(ROOT, 'dist/pg-rls-lint.schema.json'))) assert.equal(readFileSync(join(ROOT, 'dist/pg-rls-lint.schema.json'), 'utf8'), readFileSync(SCHEMA_PATH, 'utf8'));
  });

  test("ok: the README's example config, and what the engine accepts, validate; what the engine refuses does not", () => {
    const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
    const example = /## Configuration[\s\S]*?```json\n([\s\S]*?)```/.exec(readme)![1]!;
    assert.deepEqual(errors(schema, JSON.parse(example)), []);
    const accepted = [
      { $schema: './node_modules/pg-rls-lint/dist/pg-rls-lint.schema.json', rules: { 'rls-not-forced': 'info', 'policy-applies-to-public': 'off' } },
      { definerOwnerBypassesRls: true, anonymousSignIns: 'false' },
      { databases: 'one' },
      { databases: { registry: 'db/registry/**', tenant: ['db/tenant/**', 'db/shared/**'] } },
      { order: ['sql/tables/**', 'sql/policies/**'], postgresVersion: 15, exposedSchemas: ['public', 'api'], defaultSchema: 'app' },
    ];
    for (const c of accepted) {
      assert.deepEqual(parseConfigText(JSON.stringify(c), knownRules).problems, [], JSON.stringify(c));
      assert.deepEqual(errors(schema, c), [], JSON.stringify(c));
    }
    const refused = [
      { rules: { 'no-such-rule': 'error' } },
      { rules: { 'rls-not-forced': 'loud' } },
      { include: 'migrations/**' },
      { defaultSchema: '' },
      { definerOwnerBypassesRls: 'yes' },
      { postgresVersion: 9 },
      { postgresVersion: 15.5 },
      { databases: 'two' },
      { databases: { tenant: [] } },
      { databases: {} },
      { order: [''] },
      { exposedschemas: ['api'] },
    ];
    for (const c of refused) {
      assert.notDeepEqual(parseConfigText(JSON.stringify(c), knownRules).problems, [], JSON.stringify(c));
      assert.notDeepEqual(errors(schema, c), [], JSON.stringify(c));
    }
  });
});
