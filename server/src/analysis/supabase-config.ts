// Supabase's project config (`supabase/config.toml`): the schemas its Data API serves, whether
// its Auth lets anyone sign in anonymously, and the PostgreSQL major version it runs. Pure: the
// file's text in, its `[api]` schemas, `[auth] enable_anonymous_sign_ins`, `[db] major_version`,
// the seed files and declarative schema files it lists (or one clear problem) out. Never throws.
import { parse, TomlError } from 'smol-toml';
import type { Config } from './config.js';

/** What a Supabase project's config.toml says its Data API (PostgREST) serves. */
export interface ApiSchemas {
  /** the file ids of the project's migrations start with this (its `supabase/` folder, `/`-terminated; '' for all) */
  folder: string;
  /** the config file, as shown to the user (`supabase/config.toml`) */
  source: string;
  /** `[api] schemas`, lower-cased (none when `[api] enabled = false`) */
  schemas: string[];
  /** `[auth] enable_anonymous_sign_ins = true`: anyone may sign in anonymously */
  anonymousSignIns?: boolean;
  /** `[db] major_version`: the PostgreSQL major version the project runs (15) */
  majorVersion?: number;
  /** `[auth.hook.custom_access_token]`, enabled, with a `pg-functions://…/<schema>/<name>` uri: the function (`schema.name`, lower-case) */
  accessTokenHook?: string;
  /** `[db.seed] sql_paths`: globs relative to the `supabase/` folder (`./` dropped) of the files `supabase db reset` runs after the migrations, and only those (none when `[db.seed] enabled = false`) */
  seedPaths?: string[];
  /** `[db.migrations] schema_paths`: globs relative to the `supabase/` folder (`./` dropped) of the declarative schema's files, in the order `supabase db diff` loads them (instead of every file of `schemas/`) */
  schemaPaths?: string[];
  /**
   * A plain PostgREST project's configuration instead (postgrest-config.ts): `source` is its
   * postgrest.conf, docker-compose file or .env, `key` what named the schemas there
   * (`db-schemas`, `PGRST_DB_SCHEMAS`…), `schemas` exactly the schemas it serves (as written).
   */
  postgrest?: { key: string };
}

/**
 * The schemas `[api]` serves: its `schemas` list, nothing when `enabled = false`, and
 * Supabase's default (`public`, `graphql_public`) when the file names none. A file that is
 * not TOML, or a `schemas` that is not a list of names, is one problem (the Supabase CLI
 * refuses such a file too).
 */
export function apiSchemasOf(text: string): { schemas: string[]; anonymousSignIns?: boolean; majorVersion?: number; accessTokenHook?: string; seedPaths?: string[]; schemaPaths?: string[] } | { problem: string } {
  let doc: Record<string, unknown>;
  try {
    doc = parse(text) as Record<string, unknown>;
  } catch (e) {
    if (e instanceof TomlError) return { problem: `not valid TOML at line ${e.line}, column ${e.column}: ${e.message.split('\n')[0]}` };
    return { problem: `not valid TOML: ${(e as Error)?.message ?? e}` };
  }
  const auth = doc.auth as Record<string, unknown> | undefined;
  const anonymous = typeof auth === 'object' && auth !== null && auth.enable_anonymous_sign_ins === true ? { anonymousSignIns: true } : {};
  // (a major_version that is not a whole number: not used, the rest of the file still is)
  const db = doc.db as Record<string, unknown> | undefined;
  const v = typeof db === 'object' && db !== null ? db.major_version : undefined;
  const version = (typeof v === 'number' || typeof v === 'bigint') && Number.isInteger(Number(v)) && Number(v) >= 10 && Number(v) < 100 ? { majorVersion: Number(v) } : {};
  const served = apiSchemasIn(doc);
  const hook = accessTokenHookIn(auth);
  const seeds = seedPathsIn(db);
  const schemas = schemaPathsIn(db);
  return 'problem' in served ? served : { ...served, ...anonymous, ...version, ...(hook ? { accessTokenHook: hook } : {}), ...(seeds ? { seedPaths: seeds } : {}), ...(schemas ? { schemaPaths: schemas } : {}) };
}

/**
 * `[db.seed] sql_paths`: the seed files `supabase db reset` (and `supabase start`) run after the
 * migrations, and only those, as globs relative to the `supabase/` folder; none (an empty list)
 * when `[db.seed] enabled = false`. Without the entry (or anything but a list of strings), the
 * `seed*.sql`, `seed/`, `seeds/` names the workspace counts as seeds.
 */
function seedPathsIn(db: Record<string, unknown> | undefined): string[] | undefined {
  const seed = typeof db === 'object' && db !== null ? (db.seed as Record<string, unknown> | undefined) : undefined;
  if (typeof seed !== 'object' || seed === null) return undefined;
  // (seeding off: no seed file runs)
  if (seed.enabled === false) return [];
  if (!Array.isArray(seed.sql_paths)) return undefined;
  const paths = globsIn(seed.sql_paths);
  return paths.length ? paths : undefined;
}

/**
 * `[db.migrations] schema_paths`: the declarative schema's files, as globs relative to the
 * `supabase/` folder, in the order `supabase db diff` loads them; without the entry (or an empty
 * list, or anything but a list of strings) it loads every file of `schemas/`.
 */
function schemaPathsIn(db: Record<string, unknown> | undefined): string[] | undefined {
  const migrations = typeof db === 'object' && db !== null ? (db.migrations as Record<string, unknown> | undefined) : undefined;
  if (typeof migrations !== 'object' || migrations === null || !Array.isArray(migrations.schema_paths)) return undefined;
  const paths = globsIn(migrations.schema_paths);
  return paths.length ? paths : undefined;
}

/** A list of glob strings as config.toml gives them: trimmed, `./` dropped, blank ones left out. */
function globsIn(list: unknown[]): string[] {
  return list.filter((p): p is string => typeof p === 'string' && p.trim() !== '').map((p) => p.trim().replace(/^(?:\.\/)+/, ''));
}

/**
 * The Postgres function `[auth.hook.custom_access_token]` names, when enabled: its uri is
 * `pg-functions://<database>/<schema>/<name>` (Supabase's config template); `schema.name`,
 * lower-case. Anything else (an http hook, a uri not of that form): undefined.
 */
function accessTokenHookIn(auth: Record<string, unknown> | undefined): string | undefined {
  const hook = typeof auth === 'object' && auth !== null ? (auth.hook as Record<string, unknown> | undefined) : undefined;
  const h = typeof hook === 'object' && hook !== null ? (hook.custom_access_token as Record<string, unknown> | undefined) : undefined;
  if (typeof h !== 'object' || h === null || h.enabled !== true || typeof h.uri !== 'string') return undefined;
  const m = /^pg-functions:\/\/[^/]+\/([^/]+)\/([^/]+)$/.exec(h.uri.trim());
  return m ? `${m[1]!.toLowerCase()}.${m[2]!.toLowerCase()}` : undefined;
}

function apiSchemasIn(doc: Record<string, unknown>): { schemas: string[] } | { problem: string } {
  const api = doc.api;
  if (api === undefined) return { schemas: ['public', 'graphql_public'] };
  if (typeof api !== 'object' || api === null || Array.isArray(api)) return { problem: '"api" must be a table ([api])' };
  const { enabled, schemas } = api as Record<string, unknown>;
  if (enabled === false) return { schemas: [] };
  if (schemas === undefined) return { schemas: ['public', 'graphql_public'] };
  if (!Array.isArray(schemas) || !schemas.every((s) => typeof s === 'string' && s.length > 0)) {
    return { problem: '[api] "schemas" must be a list of schema names' };
  }
  return { schemas: [...new Set(schemas.map((s) => (s as string).toLowerCase()))] };
}

/**
 * The config a database is linted with: `config` with the schemas its Supabase project's Data
 * API serves added to `exposedSchemas` (a table there is reachable through the API whatever the
 * setting says), each with the file that exposes it (`exposedBy`, for the messages). The
 * project is the `api` entry most of the database's files are under; `config` itself when none.
 */
export function configWithApi(config: Config, files: readonly string[], api: readonly ApiSchemas[]): Config {
  const pick = (list: readonly ApiSchemas[]) => {
    let best: ApiSchemas | undefined;
    let most = 0;
    for (const a of list) {
      let n = 0;
      for (const f of files) if (f.startsWith(a.folder)) n++;
      if (n > most) [best, most] = [a, n];
    }
    return best;
  };
  // (a Supabase project's config.toml first: its Data API is PostgREST, configured there)
  const best = pick(api.filter((a) => !a.postgrest));
  if (!best) {
    const rest = pick(api.filter((a) => a.postgrest));
    return rest ? configWithPostgrest(config, rest) : config;
  }
  // (a config.toml beside their migrations or schemas: a Supabase project, whatever the ids say)
  let out: Config = { ...config, supabaseLayout: true };
  const added = best.schemas.filter((s) => !config.exposedSchemas.includes(s));
  if (added.length) {
    const exposedBy = { ...config.exposedBy };
    for (const s of added) exposedBy[s] = best.source;
    out = { ...out, exposedSchemas: [...config.exposedSchemas, ...added], exposedBy };
  }
  // (and whether its Auth lets anyone sign in anonymously, where the setting leaves it to the file)
  if (best.anonymousSignIns && config.anonymousSignIns === 'auto') out = { ...out, anonymousSignInsBy: best.source };
  // (the PostgreSQL it runs on, unless the setting says)
  if (best.majorVersion !== undefined && config.postgresVersion === undefined) out = { ...out, postgresVersion: best.majorVersion, postgresVersionBy: best.source };
  // (the custom access token hook it configures: Supabase's Auth server calls it for every token)
  if (best.accessTokenHook) out = { ...out, accessTokenHook: best.accessTokenHook, accessTokenHookBy: best.source };
  return out;
}

/**
 * The config of a database a plain PostgREST serves (its postgrest.conf `db-schemas`, or
 * PGRST_DB_SCHEMAS): those schemas are the ones exposed, in place of the setting's default
 * (`public`, PostgREST's own default, which a configured `db-schemas = "api"` no longer serves);
 * a setting naming other schemas keeps them and gets PostgREST's added.
 */
function configWithPostgrest(config: Config, pg: ApiSchemas): Config {
  const isDefault = config.exposedSchemas.length === 1 && config.exposedSchemas[0] === 'public';
  const kept = isDefault ? [] : config.exposedSchemas;
  const added = pg.schemas.filter((s) => !kept.includes(s));
  const exposedBy = { ...(isDefault ? {} : config.exposedBy) };
  const exposedVia = { ...(isDefault ? {} : config.exposedVia) };
  for (const s of added) {
    exposedBy[s] = pg.source;
    exposedVia[s] = pg.postgrest!.key;
  }
  return { ...config, exposedSchemas: [...kept, ...added], exposedBy, exposedVia };
}

/** Whether anyone may sign in anonymously (setting anonymousSignIns, or the project's config.toml under 'auto'); the file saying so, or 'setting'. */
export function anonymousSignInsOn(config: Config): string | undefined {
  if (config.anonymousSignIns === 'true') return 'setting';
  return config.anonymousSignIns === 'auto' ? config.anonymousSignInsBy : undefined;
}

/**
 * Why `schema` is exposed, for a message: ` (its Data API serves it: supabase/config.toml [api]
 * schemas)`, ` (PostgREST serves it: postgrest.conf db-schemas)`, or '' when the setting names it.
 */
export function exposedWhy(config: Config, schema: string): string {
  const by = config.exposedBy?.[schema];
  if (!by) return '';
  const via = config.exposedVia?.[schema];
  return via ? ` (PostgREST serves it: ${by} ${via})` : ` (its Data API serves it: ${by} [api] schemas)`;
}
