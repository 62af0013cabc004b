// Renders the JSON schema of `.pg-rls-lint.json` (docs/pg-rls-lint.schema.json) from the config's
// keys, the extension's settings (their descriptions) and the rule catalog (every rule id, with
// its description and default severity). `npm run docs:rules` rewrites it; test/readme.test.ts
// fails when it is out of date. The build ships it as dist/pg-rls-lint.schema.json: VS Code
// validates and completes the file with it (package.json jsonValidation), other editors through
// the file's "$schema".
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CONFIG_KEYS, DEFAULT_CONFIG, RULE_SETTINGS } from '../server/src/analysis/config.js';
import { rules } from '../server/src/rules/lib/catalog.js';
import { docsUrl } from '../server/src/rules/types.js';

export const SCHEMA_PATH = join(__dirname, '..', 'docs', 'pg-rls-lint.schema.json');

type Json = Record<string, unknown>;

let settings: Record<string, Json> | undefined;

/** The extension's setting of the same name: its description, without what it says of the file overriding it. */
function setting(key: string): Json {
  settings ??= JSON.parse(readFileSync(join(__dirname, '..', 'package.json'), 'utf8')).contributes.configuration.properties as Record<string, Json>;
  const p = settings[`pgRlsLint.${key}`] as Record<string, unknown> | undefined;
  if (!p) throw new Error(`package.json contributes no pgRlsLint.${key}`);
  const markdownDescription = String(p.markdownDescription ?? p.description).replace(/\s*A `\.pg-rls-lint\.json` at the workspace root overrides[^]*$/, '');
  const out: Json = { markdownDescription };
  for (const k of ['enumDescriptions', 'markdownEnumDescriptions'] as const) if (p[k]) out[k] = p[k];
  return out;
}

const STRINGS: Json = { type: 'array', items: { type: 'string', minLength: 1 } };
const globs = (description: string): Json => ({ ...STRINGS, markdownDescription: description });

/** The keys only `.pg-rls-lint.json` sets (README "Configuration" says more). */
const FILE_ONLY: Record<'databases' | 'order' | 'postgresVersion' | '$schema', Json> = {
  databases: {
    markdownDescription:
      'Which files make up which database: `auto` (several where two or more folders each start a numbered migration sequence), `one` (every file replayed into one), or an object naming each database with its globs relative to the root, e.g. `{ "registry": "db/registry/**", "tenant": ["db/tenant/**", "db/shared/**"] }` (a file goes to the first database whose globs match it).',
    default: DEFAULT_CONFIG.databases,
    oneOf: [
      { type: 'string', enum: ['auto', 'one'] },
      {
        type: 'object',
        minProperties: 1,
        additionalProperties: { oneOf: [{ type: 'string', minLength: 1 }, { type: 'array', minItems: 1, items: { type: 'string', minLength: 1 } }] },
      },
    ],
  },
  order: globs(
    'Globs (relative to the root) in the order the files are applied, where that is not their path order, e.g. `["sql/tables/**", "sql/policies/**", "sql/functions/**"]`: the files the first glob matches come first, in path order, then those of the next; files no glob matches come last.',
  ),
  postgresVersion: {
    type: 'integer',
    minimum: 10,
    maximum: 99,
    markdownDescription:
      "The major version of the PostgreSQL the migrations run on (e.g. `15`); without it, `[db] major_version` of the project's `supabase/config.toml`. A statement that fails only at a word that became a keyword after that version is a `syntax-error` warning saying which versions reject it.",
  },
  $schema: { type: 'string', markdownDescription: 'This schema: `./node_modules/pg-rls-lint/dist/pg-rls-lint.schema.json` where pg-rls-lint is installed from npm.' },
};

export function renderConfigSchema(): string {
  const ruleProps: Json = {};
  for (const r of [...rules].sort((a, b) => a.meta.id.localeCompare(b.meta.id))) {
    const m = r.meta;
    ruleProps[m.id] = { enum: [...RULE_SETTINGS], markdownDescription: `${m.description} Default: \`${m.severity}\`. [${m.id}](${docsUrl(m.id)})` };
  }
  const ownerLike = (key: 'definerOwnerBypassesRls' | 'anonymousSignIns'): Json => {
    const s = setting(key);
    const d = s.enumDescriptions as string[];
    // (true and false as JSON booleans too, as the file may write them)
    return { ...s, enum: ['auto', 'true', 'false', true, false], enumDescriptions: [...d, d[1], d[2]], default: DEFAULT_CONFIG[key] };
  };
  const properties: Record<(typeof CONFIG_KEYS)[number], Json> = {
    $schema: FILE_ONLY.$schema,
    rules: {
      type: 'object',
      markdownDescription: `Severity per rule id: ${RULE_SETTINGS.map((x) => `\`${x}\``).join(', ')}; rules not listed keep their default.`,
      properties: ruleProps,
      additionalProperties: false,
    },
    include: { ...STRINGS, ...setting('include'), default: DEFAULT_CONFIG.include },
    exclude: { ...STRINGS, ...setting('exclude'), default: DEFAULT_CONFIG.exclude },
    exposedSchemas: { ...STRINGS, ...setting('exposedSchemas'), default: DEFAULT_CONFIG.exposedSchemas },
    defaultSchema: { type: 'string', minLength: 1, ...setting('defaultSchema'), default: DEFAULT_CONFIG.defaultSchema },
    definerOwnerBypassesRls: ownerLike('definerOwnerBypassesRls'),
    anonymousSignIns: ownerLike('anonymousSignIns'),
    databases: FILE_ONLY.databases,
    order: FILE_ONLY.order,
    postgresVersion: FILE_ONLY.postgresVersion,
  };
  const schema = {
    $schema: 'http://json-schema.org/draft-07/schema#',
    $id: 'https://github.com/pg-rls-lint/pg-rls-lint/blob/main/docs/pg-rls-lint.schema.json',
    title: '.pg-rls-lint.json',
    description: "pg-rls-lint's configuration, read by the CLI and the editor alike (its keys override the editor's pgRlsLint.* settings). Comments and trailing commas are allowed.",
    type: 'object',
    properties,
    additionalProperties: false,
    allowComments: true,
    allowTrailingCommas: true,
  };
  return `${JSON.stringify(schema, null, 2)}\n`;
}

export function updateConfigSchema(path = SCHEMA_PATH): boolean {
  const next = renderConfigSchema();
  let text: string | undefined;
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    text = undefined;
  }
  if (text === next) return false;
  writeFileSync(path, next);
  return true;
}
