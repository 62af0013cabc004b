// A frozen copy of server/src/analysis/model.ts's replay as it was before the replay was
// made incremental and allocation-light (perf-model): the reference the optimised model is
// compared with (test/analysis/model-equivalence.test.ts). Do not change it to follow
// model.ts; a change of what the model computes is made in model.ts and its tests.
import { callsIn, identEnd, memoStmt, relationsIn, typeName } from '../../server/src/analysis/ast.js';
import type { Config } from '../../server/src/analysis/config.js';
import { defElems, nameParts, sval, walk } from '../../server/src/analysis/parse.js';
import type { FunctionBody, Include, Loc, Node, ParsedFile, Statement } from '../../server/src/analysis/types.js';

export type PolicyCommand = 'all' | 'select' | 'insert' | 'update' | 'delete';

export interface Policy {
  name: string;
  /** key of the table, `schema.name` */
  table: string;
  command: PolicyCommand;
  permissive: boolean;
  /** lower-case role names; `public` when the policy has no TO clause or TO PUBLIC */
  roles: string[];
  /** true when written without a TO clause */
  implicitPublic: boolean;
  using?: Node;
  withCheck?: Node;
  /** the CREATE POLICY (or last ALTER POLICY) statement */
  loc: Loc;
  /** the policy's name in its CREATE POLICY */
  nameLoc: Loc;
  stmt: Statement;
  created: Loc;
}

export interface Index {
  name?: string;
  columns: string[];
  loc: Loc;
}

export interface RlsEvent {
  kind: 'enable' | 'disable' | 'force' | 'no-force';
  loc: Loc;
}

export interface Trigger {
  name: string;
  table: string;
  /** function key `schema.name` */
  func: string;
  loc: Loc;
}

export interface Table {
  key: string;
  schema: string;
  name: string;
  partitioned: boolean;
  temp: boolean;
  created: Loc;
  nameLoc: Loc;
  stmt: Statement;
  columns: string[];
  /** primary key and unique constraints, each a column list */
  keys: string[][];
  indexes: Index[];
  rlsEnabled: boolean;
  rlsForced: boolean;
  rlsEvents: RlsEvent[];
  owner?: { role: string; loc?: Loc };
  /** partition parent or inheritance parents */
  parents: Array<{ key: string; kind: 'partition' | 'inherits'; loc: Loc }>;
  policies: Policy[];
  triggers: Trigger[];
  /** role → privileges (lower-case: select, insert, update, delete, …) */
  grants: Map<string, Set<string>>;
}

export interface FunctionSetting {
  name: string;
  /** values as written, e.g. ['public', 'pg_temp'] or [''] */
  values: string[];
  loc: Loc;
}

export interface Func {
  key: string;
  schema: string;
  name: string;
  argTypes: string[];
  /** `schema.name(type, …)` as used in REVOKE / ALTER FUNCTION */
  signature: string;
  language: string;
  isProcedure: boolean;
  securityDefiner: boolean;
  securityLoc?: Loc;
  volatility: 'immutable' | 'stable' | 'volatile';
  volatilityLoc?: Loc;
  settings: FunctionSetting[];
  returnsTrigger: boolean;
  owner?: { role: string; loc?: Loc };
  body?: FunctionBody;
  /** tables/views read and written by the body (keys) */
  reads: Set<string>;
  writes: Set<string>;
  /** function keys called by the body */
  calls: Set<string>;
  created: Loc;
  nameLoc: Loc;
  stmt: Statement;
  /** PUBLIC can execute (the default) until revoked */
  publicExecute: boolean;
  executeGrants: Set<string>;
  /** ALTER FUNCTION statements that changed it */
  alters: Loc[];
}

export interface View {
  key: string;
  schema: string;
  name: string;
  materialized: boolean;
  securityInvoker: boolean;
  /** relation keys read by the query */
  reads: Set<string>;
  created: Loc;
  nameLoc: Loc;
  stmt: Statement;
  owner?: { role: string; loc?: Loc };
  grants: Map<string, Set<string>>;
}

export interface Role {
  name: string;
  bypassRls: boolean;
  superuser: boolean;
  /** created in the workspace (false for roles assumed from the platform) */
  declared: boolean;
  loc?: Loc;
}

export interface GrantEvent {
  isGrant: boolean;
  objectKind: 'table' | 'function' | 'schema' | 'sequence' | 'other';
  /** object keys; for ALL … IN SCHEMA, the schema name prefixed with `schema:` */
  objects: string[];
  privileges: string[];
  grantees: string[];
  loc: Loc;
}

/** A write of a session setting (tenant context): SET / SET LOCAL / set_config(). */
export interface ContextWrite {
  name: string;
  local: boolean | undefined;
  via: 'set' | 'set_config';
  loc: Loc;
  /** function key when inside a function body */
  inFunction?: string;
  /** the set_config call node or the VariableSetStmt */
  node: Node;
}

export interface Model {
  config: Config;
  files: ParsedFile[];
  tables: Map<string, Table>;
  views: Map<string, View>;
  /** overloads by `schema.name` */
  functions: Map<string, Func[]>;
  roles: Map<string, Role>;
  policies: Policy[];
  triggers: Trigger[];
  grantEvents: GrantEvent[];
  contextWrites: ContextWrite[];
  /** ENABLE/DISABLE/[NO] FORCE ROW LEVEL SECURITY on tables the workspace does not create (e.g. storage.objects), by key */
  rlsEventsOfUncreatedTables: Map<string, RlsEvent[]>;
  /** ALTER DEFAULT PRIVILEGES … REVOKE EXECUTE ON FUNCTIONS FROM PUBLIC seen (location) */
  defaultExecuteRevoked?: Loc;
  /** every statement in replay order */
  statements: Array<{ file: ParsedFile; stmt: Statement }>;
  /** the workspace looks like a Supabase project (supabase/migrations/ or supabase/schemas/) */
  supabase: boolean;
  /** The owner of SECURITY DEFINER functions and tables with no known owner (the role that ran the migrations) is assumed to bypass RLS. */
  assumeUnknownOwnerBypassesRls: boolean;
  /** resolves name parts to a relation key using the default schema */
  key(parts: Array<string | undefined>): string;
  findFunction(parts: string[], argCount?: number): Func | undefined;
  /** every function, all overloads */
  allFunctions(): Func[];
  /** Role attributes, if known. */
  roleBypassesRls(role: string | undefined): boolean | undefined;
}

const RLS_EVENT_KINDS: Record<string, RlsEvent['kind']> = {
  AT_EnableRowSecurity: 'enable',
  AT_DisableRowSecurity: 'disable',
  AT_ForceRowSecurity: 'force',
  AT_NoForceRowSecurity: 'no-force',
};

/**
 * A file of a Supabase project: its migrations (supabase/migrations/) or its declarative
 * schema (supabase/schemas/, from which `supabase db diff` writes migrations). Both are run on
 * the Supabase database as postgres, which has BYPASSRLS.
 */
export function isSupabaseLayout(file: string): boolean {
  return /(^|[\\/])supabase[\\/](migrations|schemas)[\\/]/.test(file);
}

const collator = new Intl.Collator('en', { numeric: true, sensitivity: 'base' });

/** Migration order: natural sort of paths (`2_x.sql` before `10_x.sql`). */
export function migrationOrder<T extends { file: string }>(files: T[]): T[] {
  return [...files].sort((a, b) => collator.compare(a.file, b.file));
}

const locOf = (file: ParsedFile, start: number, end: number): Loc => ({ file: file.file, start, end });

/**
 * The statements in the order psql runs them when migrating up: files in migration order,
 * except that a file another one includes (`\i`, `\ir` of a workspace file) runs where it is
 * included, once (e.g. an `init.sql` that includes `tables.sql`, then `policies.sql`); the
 * statements (and includes) of rollback files and sections are left out. `entry` is the file
 * psql was started on: `SET ROLE` and `SET search_path` last until the next one. Serves the
 * model (parsed files) and verify (its own split of the files).
 */
export function replayOrder<F extends { file: string; text: string; statements: readonly { start: number; end: number }[]; includes?: readonly Include[] }>(
  files: readonly F[],
): Array<{ file: F; stmt: F['statements'][number]; entry: F }> {
  const out: Array<{ file: F; stmt: F['statements'][number]; entry: F }> = [];
  const rolledBack = (f: F, at: number) => {
    const sections = rollbackSections(f);
    return sections.length > 0 && sections.some((r) => r.start <= at && at < r.end);
  };
  const byPath = new Map(files.map((f) => [normalPath(f.file), f]));
  const targets = new Map<F, Array<{ at: number; target: F }>>();
  const included = new Set<F>();
  for (const f of files) {
    const list: Array<{ at: number; target: F }> = [];
    for (const inc of f.includes ?? []) {
      const target = rolledBack(f, inc.at) ? undefined : resolveInclude(byPath, f.file, inc.path, inc.relative);
      if (target && target !== f) {
        list.push({ at: inc.at, target });
        included.add(target);
      }
    }
    if (list.length) targets.set(f, list);
  }
  const done = new Set<F>();
  const emit = (file: F, entry: F) => {
    done.add(file);
    const incs = targets.get(file) ?? [];
    let k = 0;
    const upTo = (pos: number) => {
      for (; k < incs.length && incs[k]!.at < pos; k++) if (!done.has(incs[k]!.target)) emit(incs[k]!.target, entry);
    };
    for (const stmt of file.statements) {
      upTo(stmt.start);
      if (!rolledBack(file, stmt.start)) out.push({ file, stmt, entry });
    }
    upTo(Infinity);
  };
  for (const f of files) if (!included.has(f) && !done.has(f)) emit(f, f);
  for (const f of files) if (!done.has(f)) emit(f, f); // included only by each other (a cycle)
  return out;
}

/** `scheme://authority` of a URI file id (the LSP's), or '' for a path (the CLI's). */
const uriPrefix = (id: string): string => /^[a-z][a-z0-9+.-]*:\/\/[^/]*/i.exec(id)?.[0] ?? '';

/** A file id (path or URI) as a normalised, decoded path, so includes resolve against it. */
function normalPath(id: string): string {
  const prefix = uriPrefix(id);
  if (!prefix) return normalSegments(id.replace(/\\/g, '/'));
  let rest = id.slice(prefix.length);
  try {
    rest = decodeURIComponent(rest);
  } catch {
    // keep it encoded
  }
  return prefix + normalSegments(rest);
}

/** `a/./b/../c` → `a/c` (a leading `/` and leading `..` stay). */
function normalSegments(path: string): string {
  const parts: string[] = [];
  for (const seg of path.split('/')) {
    if (seg === '.' || (seg === '' && parts.length > 0)) continue;
    if (seg === '..' && parts.length > 0 && parts[parts.length - 1] !== '..' && parts[parts.length - 1] !== '') parts.pop();
    else parts.push(seg);
  }
  return parts.join('/');
}

/**
 * The workspace file an include names: `\ir` relative to the including file's folder; `\i`
 * relative to psql's working directory, which is not known: the including file's folder or
 * one of its ancestors (the first that holds the file).
 */
function resolveInclude<F>(byPath: Map<string, F>, from: string, path: string, relative: boolean): F | undefined {
  const prefix = uriPrefix(from);
  const raw = path.replace(/\\/g, '/');
  if (raw.startsWith('/')) return byPath.get(prefix + normalSegments(raw));
  let dir = normalPath(from).slice(prefix.length).replace(/\/?[^/]*$/, '');
  for (;;) {
    const hit = byPath.get(prefix + normalSegments(dir ? `${dir}/${raw}` : raw));
    if (hit || relative || !dir || dir === '/') return hit;
    dir = dir.includes('/') ? dir.replace(/\/[^/]*$/, '') : '';
  }
}

function roleName(spec: Node): string {
  const r = spec?.RoleSpec ?? spec;
  switch (r?.roletype) {
    case 'ROLESPEC_PUBLIC':
      return 'public';
    case 'ROLESPEC_CURRENT_USER':
      return 'current_user';
    case 'ROLESPEC_SESSION_USER':
      return 'session_user';
    case 'ROLESPEC_CURRENT_ROLE':
      return 'current_role';
    default:
      return String(r?.rolename ?? '').toLowerCase();
  }
}

/**
 * Whether the migrations call Supabase's auth.uid()/auth.jwt()/auth.role(): they target a
 * Supabase database (e.g. migrations kept outside supabase/migrations/, perhaps with a local
 * stub of auth.uid() for tests). Roles the workspace creates itself still override.
 */
const authCallCache = new WeakMap<ParsedFile, boolean>();
function usesSupabaseAuth(files: ParsedFile[]): boolean {
  for (const f of files) {
    let c = authCallCache.get(f);
    if (c === undefined) authCallCache.set(f, (c = /\bauth\s*\.\s*(uid|jwt|role)\s*\(/i.test(f.text)));
    if (c) return true;
  }
  return false;
}

/**
 * A file that only rolls a migration back: `…down.sql` beside its `…up.sql` (golang-migrate,
 * sqlx, diesel's `down.sql`) or a Flyway undo migration (`U<version>__<name>.sql`). It is
 * parsed (a syntax error is still reported) but not replayed.
 */
export function isRollbackFile(file: string): boolean {
  const base = file.slice(Math.max(file.lastIndexOf('/'), file.lastIndexOf('\\')) + 1);
  return /(^|\.)down\.sql$/i.test(base) || /^U\d+(?:[._]\d+)*__.+\.sql$/.test(base);
}

const MIGRATION_MARKER = /^[ \t]*--[ \t]*(?:migrate:(up|down)|\+(?:goose|migrate)[ \t]+(up|down))\b/gim;
const rollbackCache = new WeakMap<object, Array<{ start: number; end: number }>>();
/**
 * The parts of a file migrating up never runs: all of a rollback file, or the rollback
 * sections of a file that keeps both directions: from `-- migrate:down` (dbmate),
 * `-- +goose Down` (goose) or `-- +migrate Down` (sql-migrate) to the next up marker or the
 * end. A marker counts only as a comment between statements. (`file` is a ParsedFile, or
 * verify's own split of it.)
 */
function rollbackSections(file: { file: string; text: string; statements: readonly { start: number; end: number }[] }): Array<{ start: number; end: number }> {
  let sections = rollbackCache.get(file);
  if (sections) return sections;
  sections = [];
  if (isRollbackFile(file.file)) sections.push({ start: 0, end: file.text.length });
  else if (/migrate|goose/i.test(file.text)) {
    let downFrom: number | undefined;
    for (const m of file.text.matchAll(MIGRATION_MARKER)) {
      const at = m.index!;
      if (file.statements.some((s) => s.start <= at && at < s.end)) continue; // inside a statement or a body
      const down = (m[1] ?? m[2])!.toLowerCase() === 'down';
      if (down && downFrom === undefined) downFrom = at;
      else if (!down && downFrom !== undefined) {
        sections.push({ start: downFrom, end: at });
        downFrom = undefined;
      }
    }
    if (downFrom !== undefined) sections.push({ start: downFrom, end: file.text.length });
  }
  rollbackCache.set(file, sections);
  return sections;
}

export function buildModel(parsed: ParsedFile[], config: Config): Model {
  const files = migrationOrder(parsed);
  const supabase = files.some((f) => isSupabaseLayout(f.file));
  // Supabase's platform roles exist in a Supabase layout, and wherever the migrations call auth.uid() & co.
  const supabasePlatform = supabase || usesSupabaseAuth(files);
  const defaultSchema = config.defaultSchema || 'public';
  /**
   * The session's search_path while replaying (`SET search_path` / `SET SCHEMA`; a new psql
   * session starts without one): an unqualified name is the first object of that name in its
   * schemas, or a new one in the first schema. Otherwise, and after the replay, the default schema.
   */
  let searchPath: string[] | undefined;
  /** what unqualified names resolve through, in the tags of per-statement memos */
  let schemaTag = defaultSchema;
  const setSearchPath = (path: string[] | undefined) => {
    searchPath = path;
    schemaTag = path ? `${defaultSchema}|${path.join(',')}` : defaultSchema;
  };
  const throughSearchPath = (path: string[], name: string): string => {
    let first: string | undefined;
    for (const s of path) {
      if (s === '$user' || s === 'pg_temp' || s === 'pg_catalog') continue;
      const k = `${s}.${name}`;
      if (tables.has(k) || views.has(k) || functions.has(k)) return k;
      first ??= s;
    }
    return `${first ?? defaultSchema}.${name}`;
  };
  const key = (parts: Array<string | undefined>): string => {
    // the last two non-empty parts; a single name resolves through the search_path or to the default schema
    let name: string | undefined;
    let schema: string | undefined;
    for (let i = parts.length - 1; i >= 0; i--) {
      const x = parts[i];
      if (!x) continue;
      if (name === undefined) name = x;
      else {
        schema = x;
        break;
      }
    }
    if (name === undefined) return '';
    if (schema === undefined && searchPath) return throughSearchPath(searchPath, name);
    return `${schema ?? defaultSchema}.${name}`;
  };
  const tables = new Map<string, Table>();
  const views = new Map<string, View>();
  const functions = new Map<string, Func[]>();
  const roles = new Map<string, Role>();
  const triggers: Trigger[] = [];
  const grantEvents: GrantEvent[] = [];
  const contextWrites: ContextWrite[] = [];
  const rlsEventsOfUncreatedTables = new Map<string, RlsEvent[]>();
  const statements: Model['statements'] = [];
  /** policies on tables the workspace never creates (e.g. storage.objects) */
  const orphanPolicies: Policy[] = [];
  let defaultExecuteRevoked: Loc | undefined;
  const defaultTableGrants: Array<{ schema?: string; privileges: string[]; grantees: string[]; isGrant: boolean }> = [];

  if (supabasePlatform) {
    // Roles the Supabase platform creates; `postgres` and `service_role` have BYPASSRLS.
    for (const [name, bypass, su] of [
      ['postgres', true, false],
      ['service_role', true, false],
      ['supabase_admin', true, true],
      ['authenticated', false, false],
      ['anon', false, false],
    ] as const) {
      roles.set(name, { name, bypassRls: bypass, superuser: su, declared: false });
    }
  }

  const findFunction = (parts: string[], argCount?: number): Func | undefined => {
    const list = parts.length === 1 ? (functions.get(key(parts)) ?? functions.get(`pg_catalog.${parts[0]}`)) : functions.get(key(parts));
    if (!list || list.length === 0) return undefined;
    if (argCount !== undefined) return list.find((f) => f.argTypes.length === argCount) ?? list[0];
    return list[list.length - 1];
  };

  const funcFromObject = (obj: Node): Func[] => {
    const o = obj?.ObjectWithArgs ?? obj;
    const parts = nameParts(o?.objname);
    const list = functions.get(key(parts)) ?? [];
    if (o?.args_unspecified || !o?.objargs) return list;
    const types = (o.objargs ?? []).map((t: Node) => typeName(t.TypeName ?? t));
    const exact = list.filter((f) => f.argTypes.join(',') === types.join(','));
    return exact.length ? exact : list.filter((f) => f.argTypes.length === types.length);
  };

  const applyFunctionOptions = (f: Func, options: Node[] | undefined, file: ParsedFile, stmt: Statement) => {
    for (const o of options ?? []) {
      const d = o?.DefElem;
      if (!d) continue;
      const at = locOf(file, d.location ?? stmt.start, identEnd(file.text, d.location ?? stmt.start));
      switch (d.defname) {
        case 'security':
          f.securityDefiner = !!d.arg?.Boolean?.boolval;
          f.securityLoc = { ...at, end: securityEnd(file.text, at.start, stmt.end) };
          break;
        case 'volatility':
          f.volatility = String(sval(d.arg) ?? 'volatile') as Func['volatility'];
          f.volatilityLoc = { ...at, end: identEnd(file.text, at.start) };
          break;
        case 'language':
          f.language = String(sval(d.arg) ?? 'sql').toLowerCase();
          break;
        case 'set': {
          const v = d.arg?.VariableSetStmt;
          if (!v) break;
          const name = String(v.name ?? '').toLowerCase();
          f.settings = f.settings.filter((s) => s.name !== name);
          if (v.kind === 'VAR_RESET' || v.kind === 'VAR_RESET_ALL') {
            if (v.kind === 'VAR_RESET_ALL') f.settings = [];
            break;
          }
          const values = (v.args ?? []).map((a: Node) => String(a?.A_Const?.sval?.sval ?? a?.A_Const?.ival?.ival ?? sval(a) ?? ''));
          f.settings.push({ name, values: v.kind === 'VAR_SET_CURRENT' ? ['<from current>'] : values, loc: { ...at, end: settingEnd(file.text, at.start, stmt.end) } });
          break;
        }
      }
    }
  };

  const addTable = (file: ParsedFile, stmt: Statement, rv: Node, extra: Partial<Table>): Table => {
    const k = key([rv.schemaname, rv.relname]);
    const start = rv.location ?? stmt.start;
    const t: Table = {
      key: k,
      schema: k.split('.')[0]!,
      name: rv.relname,
      partitioned: false,
      temp: rv.relpersistence === 't',
      created: locOf(file, stmt.start, stmt.end),
      nameLoc: locOf(file, start, identEnd(file.text, start)),
      stmt,
      columns: [],
      keys: [],
      indexes: [],
      rlsEnabled: false,
      rlsForced: false,
      rlsEvents: [],
      parents: [],
      policies: [],
      triggers: [],
      grants: new Map(),
      ...extra,
    };
    tables.set(k, t);
    // default privileges apply to tables created afterwards
    for (const g of defaultTableGrants) {
      if (g.schema && g.schema !== t.schema) continue;
      applyTableGrant(t.grants, g.privileges, g.grantees, g.isGrant);
    }
    return t;
  };

  const relationExists = (rv: Node): boolean => {
    const k = key([rv?.schemaname, rv?.relname]);
    return tables.has(k) || views.has(k);
  };

  let currentRole: string | undefined;
  let lastEntry: ParsedFile | undefined;
  for (const { file, stmt, entry } of replayOrder(files)) {
    if (entry !== lastEntry) {
      currentRole = undefined; // a new psql session
      setSearchPath(undefined);
      lastEntry = entry;
    }
    statements.push({ file, stmt });
    const n = stmt.node;
    const here = memoStmt(stmt, 'ref:loc', () => locOf(file, stmt.start, stmt.end));
    try {
      switch (stmt.kind) {
        case 'CreateStmt': {
          // IF NOT EXISTS on an existing relation only gives a NOTICE: the table keeps its RLS state, policies and grants
          if (n.if_not_exists && relationExists(n.relation)) break;
          const shape = memoStmt(stmt, `ref:table:${schemaTag}`, () => tableShape(n, here));
          const t = addTable(file, stmt, n.relation, { partitioned: shape.partitioned, columns: shape.columns.slice(), keys: shape.keys.slice(), parents: shape.parents.slice() });
          if (currentRole) t.owner = { role: currentRole };
          break;
        }
        case 'CreateTableAsStmt': {
          const into = n.into?.rel;
          if (!into) break;
          if (n.if_not_exists && relationExists(into)) break;
          if (n.objtype === 'OBJECT_MATVIEW') {
            addView(file, stmt, into, n.query, [], true);
            if (currentRole) views.get(key([into.schemaname, into.relname]))!.owner = { role: currentRole };
          } else {
            const t = addTable(file, stmt, into, {});
            if (currentRole) t.owner = { role: currentRole };
          }
          break;
        }
        case 'ViewStmt': {
          // CREATE OR REPLACE VIEW keeps the view's owner and privileges
          const prev = n.replace ? views.get(key([n.view?.schemaname, n.view?.relname])) : undefined;
          addView(file, stmt, n.view, n.query, n.options, false);
          const v = views.get(key([n.view?.schemaname, n.view?.relname]))!;
          if (prev) Object.assign(v, { owner: prev.owner, grants: prev.grants });
          else if (currentRole) v.owner = { role: currentRole };
          break;
        }
        case 'AlterTableStmt': {
          const k = key([n.relation?.schemaname, n.relation?.relname]);
          const t = tables.get(k);
          const v = views.get(k);
          for (const c of n.cmds ?? []) {
            const cmd = c.AlterTableCmd;
            if (!cmd) continue;
            if (v && cmd.subtype === 'AT_SetRelOptions') {
              for (const o of cmd.def?.List?.items ?? []) {
                if (o.DefElem?.defname === 'security_invoker') v.securityInvoker = boolOption(o.DefElem);
              }
            }
            if (v && cmd.subtype === 'AT_ResetRelOptions') {
              for (const o of cmd.def?.List?.items ?? []) if (o.DefElem?.defname === 'security_invoker') v.securityInvoker = false;
            }
            if (v && cmd.subtype === 'AT_ChangeOwner') v.owner = { role: roleName(cmd.newowner), loc: here };
            if (!t && !v && n.objtype === 'OBJECT_TABLE') {
              const kind = RLS_EVENT_KINDS[cmd.subtype as string];
              if (kind) rlsEventsOfUncreatedTables.set(k, [...(rlsEventsOfUncreatedTables.get(k) ?? []), { kind, loc: here }]);
            }
            if (!t) continue;
            switch (cmd.subtype) {
              case 'AT_EnableRowSecurity':
                t.rlsEnabled = true;
                t.rlsEvents.push({ kind: 'enable', loc: here });
                break;
              case 'AT_DisableRowSecurity':
                t.rlsEnabled = false;
                t.rlsEvents.push({ kind: 'disable', loc: here });
                break;
              case 'AT_ForceRowSecurity':
                t.rlsForced = true;
                t.rlsEvents.push({ kind: 'force', loc: here });
                break;
              case 'AT_NoForceRowSecurity':
                t.rlsForced = false;
                t.rlsEvents.push({ kind: 'no-force', loc: here });
                break;
              case 'AT_ChangeOwner':
                t.owner = { role: roleName(cmd.newowner), loc: here };
                break;
              case 'AT_AddColumn':
                if (cmd.def?.ColumnDef) {
                  t.columns.push(cmd.def.ColumnDef.colname);
                  for (const ct of cmd.def.ColumnDef.constraints ?? []) {
                    const ty = ct.Constraint?.contype;
                    if (ty === 'CONSTR_PRIMARY' || ty === 'CONSTR_UNIQUE') t.keys.push([cmd.def.ColumnDef.colname]);
                  }
                }
                break;
              case 'AT_DropColumn':
                t.columns = t.columns.filter((c2) => c2 !== cmd.name);
                break;
              case 'AT_AddConstraint': {
                const ct = cmd.def?.Constraint;
                if (ct && (ct.contype === 'CONSTR_PRIMARY' || ct.contype === 'CONSTR_UNIQUE')) {
                  t.keys.push((ct.keys ?? []).map((x: Node) => sval(x)!));
                }
                break;
              }
              case 'AT_AttachPartition': {
                const prv = cmd.def?.PartitionCmd?.name;
                const child: Table | undefined = prv ? tables.get(key([prv.schemaname, prv.relname])) : undefined;
                if (child) child.parents.push({ key: t.key, kind: 'partition', loc: here });
                break;
              }
              case 'AT_DetachPartition': {
                const prv = cmd.def?.PartitionCmd?.name;
                const child: Table | undefined = prv ? tables.get(key([prv.schemaname, prv.relname])) : undefined;
                if (child) child.parents = child.parents.filter((p) => p.key !== t.key);
                break;
              }
              case 'AT_AddInherit': {
                const prv = cmd.def?.RangeVar;
                if (prv) t.parents.push({ key: key([prv.schemaname, prv.relname]), kind: 'inherits', loc: here });
                break;
              }
              case 'AT_DropInherit': {
                const prv = cmd.def?.RangeVar;
                if (prv) t.parents = t.parents.filter((p) => p.key !== key([prv.schemaname, prv.relname]));
                break;
              }
            }
          }
          break;
        }
        case 'IndexStmt': {
          const t = tables.get(key([n.relation?.schemaname, n.relation?.relname]));
          if (!t) break;
          const cols = (n.indexParams ?? []).map((p: Node) => p.IndexElem?.name ?? '(expression)');
          t.indexes.push({ name: n.idxname, columns: cols, loc: here });
          if (n.unique || n.primary) t.keys.push(cols);
          break;
        }
        case 'CreatePolicyStmt': {
          const proto = memoStmt(stmt, `ref:policy:${schemaTag}`, () => policyProto(file, stmt, here));
          const p: Policy = { ...proto, roles: proto.roles.slice(), stmt, loc: here };
          const tk = p.table;
          const t = tables.get(tk);
          if (t) {
            if (t.policies.some((x) => x.name === p.name)) t.policies = t.policies.filter((x) => x.name !== p.name);
            t.policies.push(p);
          } else {
            // policy on a table the workspace does not create (e.g. storage.objects)
            orphanPolicies.push(p);
          }
          break;
        }
        case 'AlterPolicyStmt': {
          const tk = key([n.table?.schemaname, n.table?.relname]);
          const p = [...(tables.get(tk)?.policies ?? []), ...orphanPolicies].find((x) => x.table === tk && x.name === n.policy_name);
          if (!p) break;
          if (n.roles) {
            p.roles = n.roles.map(roleName);
            p.implicitPublic = false;
          }
          if (n.qual) p.using = n.qual;
          if (n.with_check) p.withCheck = n.with_check;
          p.loc = here;
          p.stmt = stmt;
          break;
        }
        case 'CreateFunctionStmt': {
          const proto = memoStmt(stmt, `ref:fn:${schemaTag}`, () => functionProto(file, stmt, here));
          const f: Func = {
            ...proto.func,
            settings: proto.func.settings.slice(),
            stmt,
            publicExecute: !defaultExecuteRevoked,
            executeGrants: new Set(),
            alters: [],
            owner: currentRole ? { role: currentRole } : undefined,
          };
          for (const w of proto.contextWrites) contextWrites.push(w);
          const argKey = f.argTypes.join(',');
          // CREATE OR REPLACE keeps the function's owner and privileges
          const replaced = n.replace ? (functions.get(f.key) ?? []).find((g) => g.argTypes.join(',') === argKey) : undefined;
          if (replaced) Object.assign(f, { publicExecute: replaced.publicExecute, executeGrants: replaced.executeGrants, owner: replaced.owner ?? f.owner });
          const list = (functions.get(f.key) ?? []).filter((g) => g.argTypes.join(',') !== argKey);
          list.push(f);
          functions.set(f.key, list);
          break;
        }
        case 'AlterFunctionStmt':
          for (const f of funcFromObject(n.func)) {
            applyFunctionOptions(f, n.actions, file, stmt);
            f.alters.push(here);
          }
          break;
        case 'AlterOwnerStmt': {
          const role = roleName(n.newowner);
          if (n.objectType === 'OBJECT_FUNCTION' || n.objectType === 'OBJECT_PROCEDURE' || n.objectType === 'OBJECT_ROUTINE') {
            for (const f of funcFromObject(n.object)) f.owner = { role, loc: here };
          }
          break;
        }
        case 'CreateTrigStmt': {
          const tk = key([n.relation?.schemaname, n.relation?.relname]);
          const tr: Trigger = { name: n.trigname, table: tk, func: key(nameParts(n.funcname)), loc: here };
          triggers.push(tr);
          tables.get(tk)?.triggers.push(tr);
          break;
        }
        case 'CreateRoleStmt': {
          const name = String(n.role).toLowerCase();
          const opts = defElems(n.options);
          roles.set(name, {
            name,
            bypassRls: !!opts.get('bypassrls')?.arg?.Boolean?.boolval,
            superuser: !!opts.get('superuser')?.arg?.Boolean?.boolval,
            declared: true,
            loc: here,
          });
          break;
        }
        case 'AlterRoleStmt': {
          const name = roleName(n.role);
          const r = roles.get(name) ?? { name, bypassRls: false, superuser: false, declared: false, loc: here };
          for (const o of n.options ?? []) {
            const d = o.DefElem;
            if (d?.defname === 'bypassrls') r.bypassRls = !!d.arg?.Boolean?.boolval;
            if (d?.defname === 'superuser') r.superuser = !!d.arg?.Boolean?.boolval;
          }
          roles.set(name, r);
          break;
        }
        case 'GrantStmt':
          applyGrant(file, stmt, here);
          break;
        case 'AlterDefaultPrivilegesStmt': {
          const a = n.action;
          if (!a) break;
          const privs = (a.privileges ?? []).map((p: Node) => String(p.AccessPriv?.priv_name ?? '').toLowerCase());
          const grantees = (a.grantees ?? []).map(roleName);
          // IN SCHEMA: per-schema defaults only add to the global ones, so a per-schema REVOKE of PUBLIC's EXECUTE does nothing (measured on PGlite)
          const inSchema = defElems(n.options).has('schemas');
          if (a.objtype === 'OBJECT_FUNCTION' && !a.is_grant && !inSchema && grantees.includes('public') && (privs.length === 0 || privs.includes('execute'))) {
            defaultExecuteRevoked = here;
          }
          if (a.objtype === 'OBJECT_TABLE') {
            const schemas = defElems(n.options).get('schemas');
            const schemaList: string[] = (schemas?.arg?.List?.items ?? []).map((x: Node) => sval(x)!);
            for (const schema of schemaList.length ? schemaList : [undefined]) {
              defaultTableGrants.push({ schema, privileges: privs.length ? privs : ['all'], grantees, isGrant: !!a.is_grant });
            }
          }
          break;
        }
        case 'DropStmt':
          applyDrop(n);
          break;
        case 'RenameStmt':
          applyRename(n);
          break;
        case 'VariableSetStmt': {
          const name = String(n.name ?? '').toLowerCase();
          if (name === 'role' && n.kind === 'VAR_SET_VALUE') currentRole = String(sval(n.args?.[0]?.A_Const?.sval) ?? '').toLowerCase() || undefined;
          else if (name === 'role') currentRole = undefined;
          // SET search_path TO a, b / SET SCHEMA 'a' (RESET / DEFAULT: back to the default)
          if (name === 'search_path') setSearchPath(n.kind === 'VAR_SET_VALUE' ? (n.args ?? []).map((a: Node) => String(sval(a?.A_Const?.sval) ?? sval(a) ?? '')).filter((x: string) => x) : undefined);
          if (name.includes('.') || name === 'row_security') {
            contextWrites.push({ name, local: !!n.is_local, via: 'set', loc: here, node: n });
          }
          break;
        }
        case 'VariableResetStmt':
          break;
        case 'CreateSchemaStmt':
          break;
      }
      if (stmt.kind !== 'CreateFunctionStmt' && hasSetConfig(file, stmt)) collectSetConfig(stmt.node, here, undefined);
    } catch {
      // a statement of an unexpected shape must not stop the replay of the others
    }
  }

  setSearchPath(undefined); // after the replay, names resolve to the default schema

  // Policies on tables the workspace never created are still policies (e.g. storage.objects);
  // keep them reachable from `policies` but not attached to a table.
  let allFunctionsList: Func[] | undefined; // built on first use; the model is immutable once returned
  const allPolicies = [...[...tables.values()].flatMap((t) => t.policies), ...orphanPolicies];

  // Reads of views: resolve nested view references to their tables later via model.views.
  const model: Model = {
    config,
    files,
    tables,
    views,
    functions,
    roles,
    policies: allPolicies,
    triggers,
    grantEvents,
    contextWrites,
    rlsEventsOfUncreatedTables,
    defaultExecuteRevoked,
    statements,
    supabase,
    assumeUnknownOwnerBypassesRls:
      config.definerOwnerBypassesRls === 'true' || (config.definerOwnerBypassesRls === 'auto' && supabase),
    key,
    findFunction,
    allFunctions: () => (allFunctionsList ??= [...functions.values()].flat()),
    roleBypassesRls(role) {
      if (!role) return undefined;
      const r = roles.get(role.toLowerCase());
      if (!r) return undefined;
      return r.bypassRls || r.superuser;
    },
  };
  return model;

  // ---- helpers (closures over the maps) ----

  function addView(file: ParsedFile, stmt: Statement, rv: Node, query: Node, options: Node[] | undefined, materialized: boolean) {
    const k = key([rv.schemaname, rv.relname]);
    const start = rv.location ?? stmt.start;
    const reads = new Set<string>();
    for (const r of relationsIn(query)) reads.add(key([r.schema, r.name]));
    let securityInvoker = false;
    for (const o of options ?? []) if (o.DefElem?.defname === 'security_invoker') securityInvoker = boolOption(o.DefElem);
    views.set(k, {
      key: k,
      schema: k.split('.')[0]!,
      name: rv.relname,
      materialized,
      securityInvoker,
      reads,
      created: locOf(file, stmt.start, stmt.end),
      nameLoc: locOf(file, start, identEnd(file.text, start)),
      stmt,
      grants: new Map(),
    });
    // default privileges ON TABLES apply to views and materialized views too
    for (const g of defaultTableGrants) {
      if (g.schema && g.schema !== k.split('.')[0]) continue;
      applyTableGrant(views.get(k)!.grants, g.privileges, g.grantees, g.isGrant);
    }
  }

  /** Everything about a CREATE FUNCTION that depends on the statement alone. */
  function functionProto(file: ParsedFile, stmt: Statement, here: Loc): { func: Func; contextWrites: ContextWrite[] } {
    const n = stmt.node;
    const parts = nameParts(n.funcname);
    const k = key(parts);
    const params = (n.parameters ?? []).map((p: Node) => p.FunctionParameter).filter((p: Node) => p && p.mode !== 'FUNC_PARAM_OUT' && p.mode !== 'FUNC_PARAM_TABLE');
    const argTypes = params.map((p: Node) => typeName(p.argType));
    const nameStart = firstNameLocation(file.text, stmt);
    const returns = typeName(n.returnType);
    const f: Func = {
      key: k,
      schema: k.split('.')[0]!,
      name: parts[parts.length - 1]!,
      argTypes,
      signature: `${k}(${argTypes.join(', ')})`,
      language: 'sql',
      isProcedure: !!n.is_procedure,
      securityDefiner: false,
      volatility: 'volatile',
      settings: [],
      returnsTrigger: returns === 'trigger' || returns === 'event_trigger',
      body: stmt.body,
      reads: new Set(),
      writes: new Set(),
      calls: new Set(),
      created: here,
      nameLoc: locOf(file, nameStart, identEnd(file.text, nameStart)),
      stmt,
      publicExecute: true,
      executeGrants: new Set(),
      alters: [],
    };
    applyFunctionOptions(f, n.options, file, stmt);
    const before = contextWrites.length;
    if (stmt.body) analyseBody(f, stmt.body);
    // the body's context writes are kept with the prototype and replayed on each build
    const writes = contextWrites.splice(before);
    return { func: f, contextWrites: writes };
  }

  function analyseBody(f: Func, body: FunctionBody) {
    const facts = bodyFacts(body, key);
    facts.reads.forEach((r) => f.reads.add(r));
    facts.writes.forEach((w) => f.writes.add(w));
    facts.calls.forEach((c) => f.calls.add(c));
    for (const s of body.statements) {
      const n = s.node;
      if (s.kind === 'VariableSetStmt') {
        const name = String(n.name ?? '').toLowerCase();
        if (name.includes('.') || name === 'row_security') {
          contextWrites.push({ name, local: !!n.is_local, via: 'set', loc: { file: f.created.file, start: s.start, end: s.end }, inFunction: f.key, node: n });
        }
      }
      if (facts.setConfig) collectSetConfig(n, { file: f.created.file, start: s.start, end: s.end }, f.key);
    }
  }

  function collectSetConfig(node: Node, at: Loc, inFunction: string | undefined) {
    if (!node || inFunction === undefined && at === undefined) return;
    for (const c of callsIn(node)) {
      const name = c.name[c.name.length - 1];
      if (name !== 'set_config' || c.args.length < 1) continue;
      const setting = c.args[0]?.A_Const?.sval?.sval;
      if (typeof setting !== 'string') continue;
      const localArg = c.args[2]?.A_Const;
      const local = localArg ? !!localArg.boolval?.boolval : undefined;
      contextWrites.push({
        name: setting.toLowerCase(),
        local,
        via: 'set_config',
        loc: { file: at.file, start: c.location, end: c.location + 10 },
        inFunction,
        node: c.node,
      });
    }
  }

  function tableShape(n: Node, here: Loc): Pick<Table, 'partitioned' | 'columns' | 'keys' | 'parents'> {
    const columns: string[] = [];
    const keys: string[][] = [];
    const parents: Table['parents'] = [];
    for (const el of n.tableElts ?? []) {
      if (el.ColumnDef) {
        columns.push(el.ColumnDef.colname);
        for (const c of el.ColumnDef.constraints ?? []) {
          const ct = c.Constraint?.contype;
          if (ct === 'CONSTR_PRIMARY' || ct === 'CONSTR_UNIQUE') keys.push([el.ColumnDef.colname]);
        }
      } else if (el.Constraint) {
        const ct = el.Constraint.contype;
        if (ct === 'CONSTR_PRIMARY' || ct === 'CONSTR_UNIQUE') keys.push((el.Constraint.keys ?? []).map((x: Node) => sval(x)!));
      }
    }
    for (const p of n.inhRelations ?? []) {
      const prv = p.RangeVar;
      if (prv) parents.push({ key: key([prv.schemaname, prv.relname]), kind: n.partbound ? 'partition' : 'inherits', loc: here });
    }
    return { partitioned: !!n.partspec, columns, keys, parents };
  }

  function policyProto(file: ParsedFile, stmt: Statement, here: Loc): Policy {
    const n = stmt.node;
    const m = /^CREATE\s+POLICY\s+/i.exec(file.text.slice(stmt.start, Math.min(stmt.end, stmt.start + 64)));
    const ns = m ? stmt.start + m[0].length : stmt.start;
    const roleList: string[] = (n.roles ?? []).map(roleName);
    // Without a TO clause PostgreSQL's grammar supplies PUBLIC with location -1.
    const implicit = (n.roles ?? []).length === 0 || ((n.roles ?? []).length === 1 && (n.roles[0]?.RoleSpec?.location ?? -1) < 0);
    return {
      name: n.policy_name,
      table: key([n.table?.schemaname, n.table?.relname]),
      command: (n.cmd_name ?? 'all') as PolicyCommand,
      permissive: !!n.permissive, // libpg-query omits false booleans
      roles: roleList.length ? roleList : ['public'],
      implicitPublic: implicit,
      using: n.qual,
      withCheck: n.with_check,
      loc: here,
      nameLoc: locOf(file, ns, ns + String(n.policy_name).length + (file.text[ns] === '"' ? 2 : 0)),
      stmt,
      created: here,
    };
  }

  function applyGrant(file: ParsedFile, stmt: Statement, here: Loc) {
    const n = stmt.node;
    const { privileges, grantees } = memoStmt(stmt, 'ref:grant', () => ({
      privileges: (n.privileges ? n.privileges.map((p: Node) => String(p.AccessPriv?.priv_name ?? '').toLowerCase()) : ['all']) as string[],
      grantees: (n.grantees ?? []).map(roleName) as string[],
    }));
    const isGrant = !!n.is_grant;
    let objectKind: GrantEvent['objectKind'] = 'other';
    const objects: string[] = [];
    if (n.objtype === 'OBJECT_TABLE') {
      objectKind = 'table';
      if (n.targtype === 'ACL_TARGET_ALL_IN_SCHEMA') {
        for (const s of n.objects ?? []) {
          const schema = sval(s)!;
          objects.push(`schema:${schema}`);
          for (const t of tables.values()) if (t.schema === schema) applyTableGrant(t.grants, privileges, grantees, isGrant);
          for (const v of views.values()) if (v.schema === schema) applyTableGrant(v.grants, privileges, grantees, isGrant);
        }
      } else {
        for (const o of n.objects ?? []) {
          const rv = o.RangeVar;
          if (!rv) continue;
          const k = key([rv.schemaname, rv.relname]);
          objects.push(k);
          const t = tables.get(k) ?? views.get(k);
          if (t) applyTableGrant(t.grants, privileges, grantees, isGrant);
        }
      }
    } else if (n.objtype === 'OBJECT_FUNCTION' || n.objtype === 'OBJECT_PROCEDURE' || n.objtype === 'OBJECT_ROUTINE') {
      objectKind = 'function';
      const targets: Func[] = [];
      if (n.targtype === 'ACL_TARGET_ALL_IN_SCHEMA') {
        for (const s of n.objects ?? []) {
          const schema = sval(s)!;
          objects.push(`schema:${schema}`);
          for (const list of functions.values()) for (const f of list) if (f.schema === schema) targets.push(f);
        }
      } else {
        for (const o of n.objects ?? []) {
          for (const f of funcFromObject(o)) {
            targets.push(f);
            objects.push(f.signature);
          }
        }
      }
      const execute = privileges.includes('execute') || privileges.includes('all');
      if (execute) {
        for (const f of targets) {
          for (const g of grantees) {
            if (g === 'public') f.publicExecute = isGrant;
            else if (isGrant) f.executeGrants.add(g);
            else f.executeGrants.delete(g);
          }
        }
      }
    } else if (n.objtype === 'OBJECT_SCHEMA') objectKind = 'schema';
    else if (n.objtype === 'OBJECT_SEQUENCE') objectKind = 'sequence';
    grantEvents.push({ isGrant, objectKind, objects, privileges, grantees, loc: here });
    void file;
  }

  function applyDrop(n: Node) {
    const objs: Node[] = n.objects ?? [];
    for (const o of objs) {
      const parts: string[] = o.List ? nameParts(o.List.items) : sval(o) ? [sval(o)!] : [];
      switch (n.removeType) {
        case 'OBJECT_TABLE':
        case 'OBJECT_FOREIGN_TABLE': {
          const k = key(parts);
          tables.delete(k);
          for (let i = orphanPolicies.length - 1; i >= 0; i--) if (orphanPolicies[i]!.table === k) orphanPolicies.splice(i, 1);
          break;
        }
        case 'OBJECT_VIEW':
        case 'OBJECT_MATVIEW':
          views.delete(key(parts));
          break;
        case 'OBJECT_POLICY': {
          const pname = parts[parts.length - 1];
          const tk = key(parts.slice(0, -1));
          const t = tables.get(tk);
          if (t) t.policies = t.policies.filter((p) => p.name !== pname);
          for (let i = orphanPolicies.length - 1; i >= 0; i--) {
            if (orphanPolicies[i]!.table === tk && orphanPolicies[i]!.name === pname) orphanPolicies.splice(i, 1);
          }
          break;
        }
        case 'OBJECT_TRIGGER': {
          const tname = parts[parts.length - 1];
          const tk = key(parts.slice(0, -1));
          const t = tables.get(tk);
          if (t) t.triggers = t.triggers.filter((x) => x.name !== tname);
          for (let i = triggers.length - 1; i >= 0; i--) if (triggers[i]!.table === tk && triggers[i]!.name === tname) triggers.splice(i, 1);
          break;
        }
        case 'OBJECT_FUNCTION':
        case 'OBJECT_PROCEDURE':
        case 'OBJECT_ROUTINE': {
          const drop = new Set(funcFromObject(o));
          const k = key(nameParts((o.ObjectWithArgs ?? o).objname));
          const list = (functions.get(k) ?? []).filter((f) => !drop.has(f));
          if (list.length) functions.set(k, list);
          else functions.delete(k);
          break;
        }
        case 'OBJECT_INDEX': {
          const iname = parts[parts.length - 1];
          for (const t of tables.values()) t.indexes = t.indexes.filter((i) => i.name !== iname);
          break;
        }
      }
    }
  }

  function applyRename(n: Node) {
    const newname = n.newname;
    if (!newname) return;
    if (n.renameType === 'OBJECT_TABLE' && n.relation) {
      const k = key([n.relation.schemaname, n.relation.relname]);
      const t = tables.get(k);
      if (!t) return;
      tables.delete(k);
      const nk = `${t.schema}.${newname}`;
      t.key = nk;
      t.name = newname;
      for (const p of t.policies) p.table = nk;
      for (const tr of t.triggers) tr.table = nk;
      tables.set(nk, t);
      for (const other of tables.values()) for (const p of other.parents) if (p.key === k) p.key = nk;
    } else if (n.renameType === 'OBJECT_POLICY' && n.relation) {
      const t = tables.get(key([n.relation.schemaname, n.relation.relname]));
      const p = t?.policies.find((x) => x.name === n.subname);
      if (p) p.name = newname;
    } else if (n.renameType === 'OBJECT_COLUMN' && n.relation) {
      const t = tables.get(key([n.relation.schemaname, n.relation.relname]));
      if (t) {
        t.columns = t.columns.map((c) => (c === n.subname ? newname : c));
        t.keys = t.keys.map((ks) => ks.map((c) => (c === n.subname ? newname : c)));
        t.indexes.forEach((i) => (i.columns = i.columns.map((c) => (c === n.subname ? newname : c))));
      }
    } else if (n.renameType === 'OBJECT_FUNCTION') {
      for (const f of funcFromObject(n.object)) {
        const oldKey = f.key;
        const list = (functions.get(oldKey) ?? []).filter((g) => g !== f);
        if (list.length) functions.set(oldKey, list);
        else functions.delete(oldKey);
        f.name = newname;
        f.key = `${f.schema}.${newname}`;
        f.signature = `${f.key}(${f.argTypes.join(', ')})`;
        functions.set(f.key, [...(functions.get(f.key) ?? []), f]);
      }
    } else if ((n.renameType === 'OBJECT_VIEW' || n.renameType === 'OBJECT_MATVIEW') && n.relation) {
      const k = key([n.relation.schemaname, n.relation.relname]);
      const v = views.get(k);
      if (!v) return;
      views.delete(k);
      v.name = newname;
      v.key = `${v.schema}.${newname}`;
      views.set(v.key, v);
    }
  }
}

interface BodyFacts {
  reads: Set<string>;
  writes: Set<string>;
  calls: Set<string>;
  setConfig: boolean;
}

const bodyFactsCache = new WeakMap<FunctionBody, { schemaKey: string; facts: BodyFacts }>();

/** What a function body reads, writes and calls (memoised: bodies of unchanged files are reused). */
function bodyFacts(body: FunctionBody, key: (parts: Array<string | undefined>) => string): BodyFacts {
  const schemaKey = key(['x']);
  const hit = bodyFactsCache.get(body);
  if (hit && hit.schemaKey === schemaKey) return hit.facts;
  const facts: BodyFacts = { reads: new Set(), writes: new Set(), calls: new Set(), setConfig: false };
  for (const s of body.statements) {
    const n = s.node;
    const written = new Set<string>();
    walk(n, (k2, v) => {
      if ((k2 === 'InsertStmt' || k2 === 'UpdateStmt' || k2 === 'DeleteStmt' || k2 === 'MergeStmt') && v.relation) {
        written.add(key([v.relation.schemaname, v.relation.relname]));
      }
    });
    if (['InsertStmt', 'UpdateStmt', 'DeleteStmt', 'MergeStmt'].includes(s.kind) && n.relation) {
      written.add(key([n.relation.schemaname, n.relation.relname]));
    }
    for (const w of written) facts.writes.add(w);
    for (const r of relationsIn(n)) {
      const rk = key([r.schema, r.name]);
      if (!written.has(rk) || s.kind === 'SelectStmt') facts.reads.add(rk);
    }
    // UPDATE/DELETE also read the rows they touch
    if (s.kind === 'UpdateStmt' || s.kind === 'DeleteStmt') for (const w of written) facts.reads.add(w);
    for (const c of callsIn(n)) {
      facts.calls.add(key(c.name));
      if (c.name[c.name.length - 1] === 'set_config') facts.setConfig = true;
    }
  }
  bodyFactsCache.set(body, { schemaKey, facts });
  return facts;
}

const setConfigOffsets = new WeakMap<ParsedFile, number[]>();

/** Whether the statement's text mentions set_config (occurrences found once per file). */
function hasSetConfig(file: ParsedFile, stmt: Statement): boolean {
  let offsets = setConfigOffsets.get(file);
  if (!offsets) {
    offsets = [];
    for (let i = file.text.indexOf('set_config'); i >= 0; i = file.text.indexOf('set_config', i + 1)) offsets.push(i);
    setConfigOffsets.set(file, offsets);
  }
  return offsets.some((o) => o >= stmt.start && o < stmt.end);
}

function applyTableGrant(grants: Map<string, Set<string>>, privileges: string[], grantees: string[], isGrant: boolean) {
  const expanded = privileges.flatMap((p) => (p === 'all' ? ['select', 'insert', 'update', 'delete', 'truncate', 'references', 'trigger'] : [p]));
  for (const g of grantees) {
    const set = grants.get(g) ?? new Set<string>();
    for (const p of expanded) {
      if (isGrant) set.add(p);
      else set.delete(p);
    }
    grants.set(g, set);
  }
}

function boolOption(d: Node): boolean {
  if (!d.arg) return true;
  const v = d.arg.Boolean?.boolval ?? sval(d.arg) ?? d.arg.Integer?.ival;
  if (typeof v === 'boolean') return v;
  if (typeof v === 'number') return v !== 0;
  return ['true', 'on', '1', 'yes'].includes(String(v).toLowerCase());
}

/** End of `SECURITY DEFINER` / `SECURITY INVOKER` / `EXTERNAL SECURITY …` starting at `at`. */
function securityEnd(text: string, at: number, limit: number): number {
  const m = /^(EXTERNAL\s+)?SECURITY\s+(DEFINER|INVOKER)/i.exec(text.slice(at, Math.min(limit, at + 60)));
  return m ? at + m[0].length : at + 8;
}

/** End of a `SET name = value, value` / `SET name TO …` / `SET name FROM CURRENT` clause. */
function settingEnd(text: string, at: number, limit: number): number {
  const src = text.slice(at, limit);
  const m = /^SET\s+("[^"]*"|[\w.]+)\s*(=|TO\b)?\s*(FROM\s+CURRENT|(?:'(?:[^']|'')*'|"[^"]*"|[\w.$-]+)(?:\s*,\s*(?:'(?:[^']|'')*'|"[^"]*"|[\w.$-]+))*)/i.exec(src);
  return m ? at + m[0].length : at + 3;
}

/** Start of the function name in CREATE [OR REPLACE] FUNCTION name. */
function firstNameLocation(text: string, stmt: Statement): number {
  const m = /^CREATE\s+(OR\s+REPLACE\s+)?(FUNCTION|PROCEDURE)\s+/i.exec(text.slice(stmt.start, stmt.end));
  return m ? stmt.start + m[0].length : stmt.start;
}
