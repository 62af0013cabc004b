// Configuration: defaults, the `.pg-rls-lint.json` file format, and editor settings.
// Pure: takes text and objects, returns a config and readable errors. Never throws.
import { parse as parseJsonc, printParseErrorCode, type ParseError as JsonError } from 'jsonc-parser';
import { makePositionAt } from './parse.js';
import type { Severity } from './types.js';
import type { DatabasesSetting } from './databases.js';
import type { SqitchPlan } from './sqitch-plan.js';
import type { DrizzleJournal } from './drizzle-journal.js';
import type { GraphileMigrate } from './graphile-migrate.js';
import type { LiquibaseChangelog } from './liquibase-changelog.js';

export type RuleSetting = Severity | 'off';
export type OwnerBypass = 'auto' | 'true' | 'false';

export interface Config {
  /** Per-rule severity override, or 'off'. */
  rules: Record<string, RuleSetting>;
  /** Globs (relative to the workspace root) of files to lint. */
  include: string[];
  /** Globs excluded in addition to node_modules and .git. */
  exclude: string[];
  /** Schemas whose tables are reachable by API roles and must have RLS. */
  exposedSchemas: string[];
  /**
   * Not a setting: the schemas of `exposedSchemas` that a Supabase project's `config.toml`
   * adds (its Data API serves them), each with that file (supabase-config.ts).
   */
  exposedBy?: Record<string, string>;
  /**
   * Not a setting: for the schemas of `exposedBy` a plain PostgREST's configuration serves, the
   * key that names them there (`db-schemas`, `PGRST_DB_SCHEMAS`…; postgrest-config.ts).
   */
  exposedVia?: Record<string, string>;
  /** Not a setting: the plans of the sqitch projects of the database (their sqitch.plan: the replay order), read by the caller. */
  sqitchPlans?: SqitchPlan[];
  /** Not a setting: the journals (meta/_journal.json) of the database's Drizzle Kit migrations folders: their replay order, and the files they leave out, read by the caller. */
  drizzleJournals?: DrizzleJournal[];
  /** Not a setting: the graphile-migrate projects (.gmrc) of the database: their replay order (afterReset, committed/, current), read by the caller. */
  graphileMigrate?: GraphileMigrate[];
  /** Not a setting: the Liquibase master changelogs of the database, followed (includes, includeAll, sqlFile): their replay order, and the files they never run, read by the caller. */
  liquibaseChangelogs?: LiquibaseChangelog[];
  /** Schema that unqualified names resolve to. */
  defaultSchema: string;
  /**
   * What to assume about the owner of a SECURITY DEFINER function or a table whose owner the
   * workspace does not show (the role that ran the migrations): whether it bypasses RLS.
   * 'auto' = true for a Supabase layout (supabase/migrations/ or supabase/schemas/).
   */
  definerOwnerBypassesRls: OwnerBypass;
  /**
   * Whether Supabase Auth lets anyone sign in anonymously (a session with the `authenticated`
   * role and the `is_anonymous` claim): 'auto' = what the project's `supabase/config.toml` says
   * (`[auth] enable_anonymous_sign_ins`), 'true' / 'false' for a project configured elsewhere.
   */
  anonymousSignIns: OwnerBypass;
  /** Not a setting: the Supabase config.toml that enables anonymous sign-ins (supabase-config.ts), under 'auto'. */
  anonymousSignInsBy?: string;
  /** Not a setting: the function (`schema.name`) the project's config.toml names as its custom access token hook, and that file (supabase-config.ts). */
  accessTokenHook?: string;
  accessTokenHookBy?: string;
  /**
   * Not a setting: the files are a Supabase project's (a `supabase/config.toml` beside their
   * `migrations/` or `schemas/`), whatever their ids say: the CLI run inside `supabase/` names them
   * `migrations/x.sql` (supabase-config.ts configWithApi).
   */
  supabaseLayout?: boolean;
  /**
   * Which files make up which database (databases.ts): 'auto' finds several where two or more
   * folders each start a numbered migration sequence; 'one' replays every file into one; an
   * object names each database with its globs (relative to the workspace root).
   */
  databases: DatabasesSetting;
  /**
   * Globs (relative to the workspace root) in the order the files they match are applied, where
   * the path order is not that order (a script running `tables/`, then `policies/`, then
   * `functions/`): the files the first matches come first, in path order, and so on; files none
   * matches come last.
   */
  order?: string[];
  /** Not a setting: each file's place in `order` (the index of the first glob matching it), computed by the caller. */
  orderRanks?: ReadonlyMap<string, number>;
  /** Not a setting: the seed files a Supabase project's config.toml lists (`[db.seed] sql_paths`), each with the index of the first glob matching it: replayed after every other file, in that order (computed by the caller). */
  seedRanks?: ReadonlyMap<string, number>;
  /** Not a setting: the declarative schema files of a Supabase project's `schemas/` its config.toml lists (`[db.migrations] schema_paths`), each with the index of the first glob matching it: replayed in that order where its declarative schema is (computed by the caller). */
  schemaRanks?: ReadonlyMap<string, number>;
  /** Not a setting: the files a docker compose file mounts into the postgres image's `/docker-entrypoint-initdb.d/`, each with its place in the order the entrypoint runs them: replayed before every other file (computed by the caller, docker-initdb.ts). */
  initdbRanks?: ReadonlyMap<string, number>;
  /**
   * The major version of the PostgreSQL the migrations run on (15), where a newer one's parser
   * rejects what it accepts (a word that is a keyword only since a later version: syntax-error);
   * without it, the Supabase project's `supabase/config.toml` `[db] major_version`.
   */
  postgresVersion?: number;
  /** Not a setting: the Supabase config.toml whose `[db] major_version` gave `postgresVersion` (supabase-config.ts). */
  postgresVersionBy?: string;
}

export const CONFIG_FILE_NAME = '.pg-rls-lint.json';

export const DEFAULT_CONFIG: Config = Object.freeze({
  rules: {},
  include: ['**/*.sql', '**/*.pgsql', '**/*.psql'],
  exclude: [],
  exposedSchemas: ['public'],
  defaultSchema: 'public',
  definerOwnerBypassesRls: 'auto',
  anonymousSignIns: 'auto',
  databases: 'auto',
}) as Config;

/** Folders never linted. */
export const ALWAYS_EXCLUDED = ['**/node_modules/**', '**/.git/**'];

export const RULE_SETTINGS: readonly RuleSetting[] = ['error', 'warning', 'info', 'hint', 'off'];

/** The keys of a `.pg-rls-lint.json` (its JSON schema, docs/pg-rls-lint.schema.json, describes each; `$schema` names that schema). */
export const CONFIG_KEYS = ['rules', 'include', 'exclude', 'exposedSchemas', 'defaultSchema', 'definerOwnerBypassesRls', 'anonymousSignIns', 'databases', 'order', 'postgresVersion', '$schema'] as const;

export interface ConfigProblem {
  message: string;
  /** 0-based line/character of the problem in the config text, when it comes from a file. */
  line?: number;
  character?: number;
  offset?: number;
}

export interface ConfigResult {
  config: Partial<Config>;
  problems: ConfigProblem[];
}

/**
 * Parses the text of a `.pg-rls-lint.json` (comments and trailing commas allowed).
 * Invalid JSON gives problems with positions and an empty config; invalid values are
 * dropped one by one with a problem each, the valid ones are kept.
 */
export function parseConfigText(text: string, knownRules?: ReadonlySet<string>): ConfigResult {
  const errors: JsonError[] = [];
  const value = parseJsonc(text, errors, { allowTrailingComma: true, disallowComments: false });
  if (errors.length > 0) {
    const e = errors[0]!;
    const lc = makePositionAt(text).positionAt(e.offset);
    return {
      config: {},
      problems: [
        {
          message: `invalid JSON: ${printParseErrorCode(e.error)} at line ${lc.line + 1}, column ${lc.character + 1}`,
          offset: e.offset,
          ...lc,
        },
      ],
    };
  }
  return validateConfig(value, knownRules);
}

/** Validates a settings object (from the config file or the editor's `pgRlsLint` section). */
export function validateConfig(value: unknown, knownRules?: ReadonlySet<string>): ConfigResult {
  const problems: ConfigProblem[] = [];
  const config: Partial<Config> = {};
  if (value === undefined || value === null) return { config, problems };
  if (typeof value !== 'object' || Array.isArray(value)) {
    return { config, problems: [{ message: 'configuration must be a JSON object' }] };
  }
  const v = value as Record<string, unknown>;
  const stringArray = (key: string): string[] | undefined => {
    const x = v[key];
    if (x === undefined) return undefined;
    if (Array.isArray(x) && x.every((s) => typeof s === 'string')) return x as string[];
    problems.push({ message: `"${key}" must be an array of strings; using the default` });
    return undefined;
  };
  for (const key of Object.keys(v)) {
    if (!(CONFIG_KEYS as readonly string[]).includes(key)) {
      problems.push({ message: `unknown setting "${key}" is ignored` });
    }
  }
  const include = stringArray('include');
  if (include) config.include = include;
  const exclude = stringArray('exclude');
  if (exclude) config.exclude = exclude;
  const order = stringArray('order');
  if (order && order.some((g) => !g.trim())) problems.push({ message: '"order" must list globs (non-empty strings); using the path order' });
  else if (order) config.order = order;
  const exposed = stringArray('exposedSchemas');
  if (exposed) config.exposedSchemas = exposed.map((s) => s.toLowerCase());
  if (v.defaultSchema !== undefined) {
    if (typeof v.defaultSchema === 'string' && v.defaultSchema.length > 0) config.defaultSchema = v.defaultSchema.toLowerCase();
    else problems.push({ message: '"defaultSchema" must be a non-empty string; using "public"' });
  }
  for (const key of ['definerOwnerBypassesRls', 'anonymousSignIns'] as const) {
    const d = v[key];
    if (d === undefined) continue;
    if (d === true || d === 'true') config[key] = 'true';
    else if (d === false || d === 'false') config[key] = 'false';
    else if (d === 'auto') config[key] = 'auto';
    else problems.push({ message: `"${key}" must be "auto", "true" or "false"; using "auto"` });
  }
  if (v.postgresVersion !== undefined) {
    const n = v.postgresVersion;
    if (typeof n === 'number' && Number.isInteger(n) && n >= 10 && n < 100) config.postgresVersion = n;
    else problems.push({ message: '"postgresVersion" must be a PostgreSQL major version (a whole number such as 15); not used' });
  }
  if (v.databases !== undefined) {
    const d = databasesSetting(v.databases);
    if (typeof d === 'string' && d !== 'auto' && d !== 'one') problems.push({ message: d });
    else config.databases = d;
  }
  if (v.rules !== undefined) {
    if (typeof v.rules !== 'object' || v.rules === null || Array.isArray(v.rules)) {
      problems.push({ message: '"rules" must be an object mapping rule ids to a severity or "off"' });
    } else {
      const rules: Record<string, RuleSetting> = {};
      for (const [id, sev] of Object.entries(v.rules as Record<string, unknown>)) {
        if (knownRules && !knownRules.has(id)) {
          problems.push({ message: `unknown rule "${id}" in "rules" is ignored` });
          continue;
        }
        if (typeof sev === 'string' && (RULE_SETTINGS as readonly string[]).includes(sev)) rules[id] = sev as RuleSetting;
        else problems.push({ message: `rule "${id}": severity must be one of ${RULE_SETTINGS.join(', ')}` });
      }
      config.rules = rules;
    }
  }
  return { config, problems };
}

/**
 * The `databases` setting, or the problem with it: "auto", "one", or an object mapping each
 * database's name to a glob or a list of globs.
 */
function databasesSetting(d: unknown): DatabasesSetting | string {
  if (d === 'auto' || d === 'one') return d;
  const usage = '"databases" must be "auto", "one", or an object mapping each database\'s name to a glob or a list of globs (relative to the workspace root); using "auto"';
  if (typeof d !== 'object' || d === null || Array.isArray(d)) return usage;
  const out: Record<string, string[]> = {};
  for (const [name, globs] of Object.entries(d as Record<string, unknown>)) {
    const list = typeof globs === 'string' ? [globs] : globs;
    if (!name.trim() || !Array.isArray(list) || list.length === 0 || !list.every((g) => typeof g === 'string' && g.length > 0)) {
      return `"databases": "${name}" must name a glob or a non-empty list of globs; using "auto"`;
    }
    out[name] = list as string[];
  }
  if (Object.keys(out).length === 0) return usage;
  return out;
}

/** Later layers win; `rules` are merged key by key. */
export function mergeConfig(...layers: Array<Partial<Config> | undefined>): Config {
  const out: Config = { ...DEFAULT_CONFIG, rules: {} };
  for (const layer of layers) {
    if (!layer) continue;
    for (const [k, val] of Object.entries(layer)) {
      if (val === undefined) continue;
      if (k === 'rules') out.rules = { ...out.rules, ...(val as Record<string, RuleSetting>) };
      else (out as unknown as Record<string, unknown>)[k] = val;
    }
  }
  return out;
}

/** Parses `id=severity` (CLI `--rule`). */
export function parseRuleFlag(flag: string): { id: string; setting: RuleSetting } | string {
  const m = /^([a-z0-9-]+)=(\w+)$/.exec(flag.trim());
  if (!m) return `--rule expects id=severity (one of ${RULE_SETTINGS.join(', ')}), got "${flag}"`;
  if (!(RULE_SETTINGS as readonly string[]).includes(m[2]!)) {
    return `--rule ${m[1]}: severity must be one of ${RULE_SETTINGS.join(', ')}, got "${m[2]}"`;
  }
  return { id: m[1]!, setting: m[2] as RuleSetting };
}
