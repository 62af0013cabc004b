// The workspace model: every file's statements replayed in migration order, giving the
// schema as it stands after the last migration. Each fact keeps the location of the
// statement that caused it. Pure: takes parsed files, returns data.
import { callsIn, census, conjuncts, literalText, searchPathSetting, dmlTargetsIn, fitted, foldIdent, identEnd, plainCreate, relationsIn, roleName, stringConst, typeName, type RelationRef } from './ast.js';
import type { Config } from './config.js';
import type { SqitchPlan } from './sqitch-plan.js';
import { journalRanks, type DrizzleJournal } from './drizzle-journal.js';
import { graphileRanks, type GraphileMigrate } from './graphile-migrate.js';
import { liquibaseRanks, liquibaseSkipped, type LiquibaseChangelog } from './liquibase-changelog.js';
import { foreignDialect } from './dialect.js';
import { bodyReturnMismatch, parameterRejection, replaceRejection, type ReplaceRejection } from './function-replace.js';
import { graphileDumps, historyInArchives, isSupabaseArchivedMigration, migrationCopies, schemaSnapshots, SUPABASE_MIGRATION } from './snapshot.js';
import { defElems, nameParts, sval, walk } from './parse.js';
import { CATALOG_DROP_POLICIES_KIND, CATALOG_LOOP_KIND, catalogReaches, informationSchemaType, instantiate, instantiateCall, literalLoopRls, FORMAT_RLS, type CatalogLoopReplay } from './catalog-loops.js';
import { inlineIndexes } from './inline-index.js';
import type { DynamicExecute, FunctionBody, Include, Loc, Node, ParsedFile, Statement } from './types.js';
import { folderOf, lastColumn, mayDropUnseen, policyCallWraps, policyDropLoops, type PolicyCallWrap, type PolicyDropLoop, type UnseenLookup, type WrappedCall } from './unseen.js';

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
  /**
   * calls of `using` that a later dynamic rewrite wrapped in sub-selects (PolicyCallWrap): the
   * policy PostgreSQL holds is this one with those calls as `(select …)`
   */
  wrapped?: { using: Node; calls: WrappedCall[] };
}

/** The type names (last part, as written) of a CREATE TABLE's columns. */
function columnTypeNames(stmt: Statement): Set<string> {
  const out = new Set<string>();
  for (const e of stmt.node?.tableElts ?? []) {
    const names: Node[] | undefined = e?.ColumnDef?.typeName?.names;
    const last = names && sval(names[names.length - 1]);
    if (last) out.add(last);
  }
  return out;
}

/** information_schema's data_type of a table's column: an ALTER TABLE's (columnTypes), or its CREATE TABLE's; undefined where neither says. */
export function columnDataType(t: Pick<Table, 'stmt' | 'columnTypes'>, column: string): string | undefined {
  if (t.columnTypes?.has(column)) return t.columnTypes.get(column);
  if (t.stmt.kind !== 'CreateStmt') return undefined;
  for (const e of t.stmt.node?.tableElts ?? []) if (e?.ColumnDef?.colname === column) return informationSchemaType(e.ColumnDef.typeName);
  return undefined;
}

/** The name (last part) of the type a CREATE TYPE / DOMAIN statement makes. */
export function createdTypeName(stmt: Statement): string | undefined {
  const n = stmt.node;
  switch (stmt.kind) {
    case 'CreateEnumStmt':
    case 'CreateRangeStmt':
      return n?.typeName ? sval(n.typeName[n.typeName.length - 1]) : undefined;
    case 'CreateDomainStmt':
      return n?.domainname ? sval(n.domainname[n.domainname.length - 1]) : undefined;
    case 'CompositeTypeStmt':
      return n?.typevar?.relname;
    default:
      return undefined;
  }
}

/** The overloads a name as written calls: `schema.name`, or an unqualified name in the default schema, else in pg_catalog. */
function functionsNamed(functions: ReadonlyMap<string, Func[]>, parts: string[], defaultSchema: string): Func[] | undefined {
  const list = functions.get(plainKey(parts, defaultSchema));
  return list === undefined && parts.length === 1 ? functions.get(`pg_catalog.${parts[0]}`) : list;
}

/** A CREATE OR REPLACE FUNCTION / PROCEDURE (`stmt`, at `loc`, naming it at `nameLoc`) PostgreSQL rejects (function-replace.ts): `replaced` stays as it was. */
export interface RejectedReplacement {
  stmt: Statement;
  loc: Loc;
  nameLoc: Loc;
  replaced: Func;
  rejection: ReplaceRejection;
}

/** A plain CREATE TABLE (`stmt`, at `loc`, naming it at `nameLoc`) of a table that existed (`table`: what it was then). */
export interface TableRecreation {
  table: { key: string; name: string; created: Loc; columns: readonly string[] };
  stmt: Statement;
  loc: Loc;
  nameLoc: Loc;
  /**
   * a CREATE TABLE IF NOT EXISTS, skipped with a notice, that writes a column the table does not
   * have (recorded only then): the column is never added
   */
  ifNotExists?: true;
}

/** A CREATE POLICY (`by`) of a name its table already had a policy of (`replaced`, as it was then). */
export interface PolicyReplacement {
  replaced: Policy;
  /** the CREATE POLICY of the same name that replaced it; undefined: a DROP POLICY removed it */
  by: Policy | undefined;
}

export interface Index {
  name?: string;
  columns: string[];
  loc: Loc;
  /**
   * a partial unique index whose WHERE is one `column = constant` (`… (organization_id) WHERE role =
   * 'owner'`): its columns are unique among the rows with that value (one owner per organization)
   */
  uniqueWhere?: { col: string; value: string };
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
  /** the events it fires on: TRIGGER_INSERT, TRIGGER_UPDATE, TRIGGER_DELETE, TRIGGER_TRUNCATE bits (PostgreSQL's TRIGGER_TYPE_ values) */
  events: number;
  /** FOR EACH ROW (else FOR EACH STATEMENT) */
  row: boolean;
  /** BEFORE (else AFTER, or INSTEAD OF on a view) */
  before: boolean;
  /**
   * the transition tables its `REFERENCING OLD TABLE AS a NEW TABLE AS b` declares (names as
   * parsed: folded unless quoted); PostgreSQL resolves such a name, written without a schema in a
   * query of its function, to the transition table before any schema. Shared: do not mutate.
   */
  transitionTables: readonly string[];
  loc: Loc;
}

// Trigger.events bits
export const TRIGGER_INSERT = 4;
export const TRIGGER_DELETE = 8;
export const TRIGGER_UPDATE = 16;
export const TRIGGER_TRUNCATE = 32;

export interface Table {
  key: string;
  schema: string;
  name: string;
  partitioned: boolean;
  temp: boolean;
  created: Loc;
  nameLoc: Loc;
  /** the last ALTER TABLE … RENAME TO of the table: statements after it name it by its new name */
  renamed?: Loc;
  stmt: Statement;
  columns: string[];
  /**
   * information_schema's data_type of the columns an ALTER TABLE added, retyped or renamed
   * (undefined: one catalog-loops.ts informationSchemaType does not know); the others' are their
   * CREATE TABLE's (columnDataType). Names, not TypeName nodes: nothing kept holds an offset.
   */
  columnTypes?: ReadonlyMap<string, string | undefined>;
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
  /** values as written, e.g. ['public', 'pg_temp'] or [''] (`['<from current>']` for FROM CURRENT) */
  values: string[];
  loc: Loc;
  /**
   * `SET search_path FROM CURRENT`: the value PostgreSQL stores, the session's search_path where
   * the replay created or altered the function — `path` as the session's SET wrote it ([] for
   * '', undefined when the session has the server's default), `set` that statement (undefined: none
   * in the psql session; a RESET or SET … DEFAULT otherwise).
   */
  current?: { path: string[] | undefined; set: Loc | undefined };
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
  /** The return type (typeName), `setof …` for a set (RETURNS TABLE: `setof record`, or of its type for one column); '' for none (a procedure). */
  returnType: string;
  owner?: { role: string; loc?: Loc };
  body?: FunctionBody;
  /**
   * tables/views read by the body, and those it inserts, updates, deletes or merges rows into
   * (keys); an unqualified name of a system catalog or view (pg_class, pg_policies) is
   * pg_catalog's, searched first unless the search_path lists it after another schema
   */
  reads: Set<string>;
  writes: Set<string>;
  /**
   * tables the body empties with TRUNCATE, static or a constant EXECUTE (keys, in source order:
   * those of `truncations`; with CASCADE, the tables referencing them go too: the model's foreign
   * keys say which). Not in `writes`, unless the body also writes rows of them: TRUNCATE is no row
   * write, and row-level security does not apply to it (every row goes, whatever the policies)
   */
  truncates: Set<string>;
  /** each TRUNCATE of the body, in source order (shared: never written to) */
  truncations: readonly FuncTruncation[];
  /**
   * The keys the body's relation names (RangeVar nodes: the tables it reads, the targets of its
   * INSERT / UPDATE / DELETE / MERGE, those its TRUNCATEs name) resolve to in the function, where
   * that is not what Model.key gives them: an unqualified name under the function's own `SET
   * search_path` of one schema, or the session's where it was created, or a system catalog's
   * (bodyFacts' relKey, as `reads` and `writes` have them). Ask Model.funcRelKey, not this map
   * (shared: never written to; most bodies have no entry)
   */
  relKeys: ReadonlyMap<Node, string>;
  /** function keys called by the body */
  calls: Set<string>;
  created: Loc;
  nameLoc: Loc;
  stmt: Statement;
  /** PUBLIC can execute (the default) until revoked */
  publicExecute: boolean;
  /** the roles holding EXECUTE directly: granted, or by default privileges when it was made (executeByDefault) */
  executeGrants: Set<string>;
  /**
   * The roles `ALTER DEFAULT PRIVILEGES … GRANT EXECUTE ON FUNCTIONS` granted EXECUTE on it
   * when it was made (`made`: kept by CREATE OR REPLACE), each with the statement that did (kept
   * after a REVOKE; executeGrants says who still holds it).
   */
  executeByDefault?: ReadonlyArray<{ role: string; loc: Loc; made: Loc }>;
  /**
   * Where the function was first made, when a CREATE OR REPLACE has replaced it since (`created` is
   * the replacing statement's): its privileges, default ones included, are those it got there, as
   * PostgreSQL keeps a replaced function's ACL.
   */
  made?: Loc;
  /**
   * A CREATE OR REPLACE that PostgreSQL refuses over the function it replaces, unless something
   * between them dropped that one unseen (a DO block's EXECUTE of text the replay cannot read): the
   * replay takes this definition, but whether it exists is not known, so a later replace is not
   * said to be refused for what this one declares (rejectsReplace)
   */
  replaceUncertain?: true;
  /** ALTER FUNCTION statements that changed it */
  alters: Loc[];
}

/**
 * One TRUNCATE of a function body (Func.truncations): a TRUNCATE statement, or an EXECUTE of a
 * constant string naming its table (dynamicFixedWrites).
 */
export interface FuncTruncation {
  /**
   * the tables it names, in the order written, resolved as PostgreSQL does in the function: an
   * unqualified name in the schema of its own `SET search_path` (bodyFacts' relKey), so that under
   * `SET search_path = app` a `TRUNCATE audit` is app.audit's, as PostgreSQL runs it
   */
  keys: readonly string[];
  /** TRUNCATE … CASCADE (for an EXECUTE, as far as its string shows it) */
  cascade: boolean;
  /** the TRUNCATE statement, or the EXECUTE's expression */
  loc: Loc;
  /** the body statement, for a static TRUNCATE (undefined for an EXECUTE) */
  stmt?: Statement;
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
  /**
   * A foreign table (CREATE FOREIGN TABLE): a relation with no query and no row-level security of
   * its own (PostgreSQL rejects ENABLE ROW LEVEL SECURITY and CREATE POLICY on it, 42809), read
   * through its server by every role with SELECT on it; kept with the views, which are alike.
   */
  foreign?: true;
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
  /** object keys; for ALL … IN SCHEMA, the schema name prefixed with `schema:`; for a schema's own grant, its name */
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
  /** the files of `files` the replay leaves out, and why: a schema snapshot, or a copy of a migration (snapshot.ts) */
  notReplayed: ReadonlyMap<ParsedFile, 'snapshot' | 'copy' | 'graphile-dump'>;
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
  /**
   * Each CREATE POLICY of a name its table already had a policy of, in replay order: the model
   * keeps the new policy (what the statement means once the old one is dropped first), where
   * PostgreSQL rejects the statement with 42710 unless something the migrations do not show
   * dropped the old one (policy-already-exists tells which). And each policy a DROP POLICY
   * removed (`by` undefined).
   */
  replacedPolicies: PolicyReplacement[];
  /**
   * Each plain CREATE TABLE of a table that exists, which the model leaves alone as PostgreSQL
   * does (it rejects the statement with 42P07): both top-level statements of files in one folder,
   * with nothing between that may drop the table unseen (analysis/unseen.ts). Otherwise (a
   * schema dump or declarative schema beside the migrations, say) the model takes the new table.
   */
  recreatedTables: TableRecreation[];
  /**
   * Each CREATE OR REPLACE FUNCTION / PROCEDURE that PostgreSQL rejects over the routine of the same
   * argument types (function-replace.ts), which the model leaves as it was: both top-level
   * statements of files in one folder, with nothing between that may drop it unseen.
   */
  rejectedReplacements: RejectedReplacement[];
  /** the workspace looks like a Supabase project (supabase/migrations/ or supabase/schemas/) */
  supabase: boolean;
  /** The owner of SECURITY DEFINER functions and tables with no known owner (the role that ran the migrations) is assumed to bypass RLS. */
  assumeUnknownOwnerBypassesRls: boolean;
  /** resolves name parts to a relation key using the default schema */
  key(parts: Array<string | undefined>): string;
  /**
   * The key of a relation a policy's expression names (its RangeVar node, or a RelationRef): an
   * unqualified one as it resolved through the `SET search_path` the policy was created under,
   * else key(). Any other relation: key().
   */
  relKey(rel: Node | RelationRef): string;
  /**
   * The key of a relation f's body names (its RangeVar node, or a RelationRef of it) as the model
   * resolves it in the function, with its own `SET search_path` (Func.relKeys), as `f.reads`,
   * `f.writes` and `f.truncations` have it. What rules ask of names taken from function bodies.
   */
  funcRelKey(f: Func, rel: Node | RelationRef): string;
  findFunction(parts: string[], argCount?: number): Func | undefined;
  /**
   * The key of the workspace function an unqualified call of a policy's expression (its FuncCall
   * node) resolved to through the `SET search_path` the policy was created under, if one did.
   */
  callPathKey(call: Node): string | undefined;
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

/** The last order computed: the positions of the files in order, for the paths joined by NUL. */
let lastOrder: { paths: string; order: number[] } | undefined;

/**
 * A file of a Supabase project's declarative schema: its `supabase/schemas/` folder (with the
 * separator) and its path inside it.
 */
const SUPABASE_DECLARATIVE = /^(.*(?:^|[\\/])supabase[\\/]schemas[\\/])(.+)$/;

/**
 * The order in which the Supabase CLI applies the files of `supabase/schemas/` when no
 * `schema_paths` names them (`supabase db diff` loads the declarative schema with afero.Walk):
 * each folder's names sorted byte by byte (Go's sort.Strings), a folder's files where its name
 * sorts. So `schema-production.sql` runs before `schema.sql` (`-` before `.`), `10_x.sql` before
 * `2_x.sql`, `Users.sql` before `roles.sql`, which the natural order puts the other way round.
 */
function compareWalked(a: string, b: string): number {
  const pa = a.split(/[\\/]/);
  const pb = b.split(/[\\/]/);
  for (let i = 0; i < pa.length && i < pb.length; i++) {
    if (pa[i] !== pb[i]) return pa[i]! < pb[i]! ? -1 : 1;
  }
  return pa.length - pb.length;
}

/** One whose name starts with a timestamp version (8 digits or more): its folder. */
const SUPABASE_STAMPED = /^(.*(?:^|[\\/])supabase[\\/]migrations[\\/])\d{8,}[^\\/]*$/;
/** A Prisma Migrate migration, `<…>/migrations/<name>/migration.sql`: its `migrations/` folder (with the separator) and its name. */
const PRISMA_MIGRATION = /^(.*(?:^|[\\/])migrations[\\/])([^\\/]+)[\\/]migration\.sql$/;
/** One whose folder name starts with a timestamp (8 digits or more): its `migrations/` folder. */
const PRISMA_STAMPED = /^(.*(?:^|[\\/])migrations[\\/])\d{8,}[^\\/]*[\\/]migration\.sql$/;

/**
 * The order of two paths: natural (`2_x.sql` before `10_x.sql`), except for two files right in
 * one `supabase/migrations/` folder with timestamp versions (`stamped`: one file's at least). The
 * Supabase CLI applies its migrations in file name order (Go's fs.ReadDir, byte by byte), where a
 * version of a day (`20251216_x.sql`) comes after the timestamps of the days before
 * (`20251115150428_y.sql`), which the numeric order puts after it (7 of the 46 calibration
 * projects mix such versions), and `999_x.sql` after `20250127_y.sql` (boothbrain). A name the
 * CLI skips (`20250812b_x.sql`: supabase-migration-skipped) takes its place in that order too.
 * (A folder of short sequence numbers only, `1_x` … `10_x`, keeps the natural order its authors
 * mean; one rule per folder keeps the order transitive.) So do two folders of one Prisma Migrate
 * `migrations/` folder with timestamp names (its listMigrations sorts them by name). Two files of one `supabase/schemas/`
 * folder run in the order the CLI applies its declarative schema (compareWalked).
 */
function compareMigrations(a: string, b: string, stamped: ReadonlySet<string>): number {
  if (stamped.size) {
    const sa = SUPABASE_MIGRATION.exec(a);
    const sb = sa && stamped.has(sa[1]!) && SUPABASE_MIGRATION.exec(b);
    if (sa && sb && sa[1] === sb[1]) return sa[2]! < sb[2]! ? -1 : sa[2]! > sb[2]! ? 1 : 0;
    // (Prisma Migrate's folders too: listMigrations sorts them by name, so `20260427_x` runs after
    // `20260426230000_y`, where the numeric order runs it before `20260317000000_baseline`, whose
    // tables it alters: IntelliFlow-CRM's add_account_to_lead)
    const pa = !sa ? PRISMA_MIGRATION.exec(a) : null;
    const pb = pa && stamped.has(pa[1]!) ? PRISMA_MIGRATION.exec(b) : null;
    if (pa && pb && pa[1] === pb[1]) return pa[2]! < pb[2]! ? -1 : pa[2]! > pb[2]! ? 1 : 0;
  }
  const da = SUPABASE_DECLARATIVE.exec(a);
  const db = da && SUPABASE_DECLARATIVE.exec(b);
  if (da && db && da[1] === db[1]) return compareWalked(da[2]!, db[2]!);
  // (names without their extension first: the collator puts `_` before `.`, which would run
  // `table_note_policy.sql` before `table_note.sql`, where every tool's byte order runs the table first)
  return collator.compare(a.replace(SQL_EXTENSION, ''), b.replace(SQL_EXTENSION, '')) || collator.compare(a, b);
}
const SQL_EXTENSION = /\.(?:sql|pgsql|psql)$/i;

/**
 * Migration order: natural sort of paths (`2_x.sql` before `10_x.sql`; Supabase's timestamps as
 * its CLI orders them: compareMigrations), Flyway's versioned migrations by version across folders
 * (flywayVersionOrder), its repeatable ones after them (flywayRepeatablesLast) and its callbacks
 * where migrate runs them (flywayCallbacks), then sqitch's dependencies: a deploy script runs
 * after the changes its `-- requires:` header names (sqitchOrder); a sqitch plan's and a Drizzle
 * Kit journal's files in the order they list them (planOrder, journalOrder); a graphile-migrate
 * project's files in the order reset and watch run them (graphileOrder); a Liquibase project's
 * SQL files in the order its master changelog runs them (liquibaseOrder).
 */
export function migrationOrder<T extends { file: string; text?: string }>(
  files: T[],
  plans: readonly SqitchPlan[] = NO_PLANS,
  ranks?: ReadonlyMap<string, number>,
  journals: readonly DrizzleJournal[] = NO_JOURNALS,
  graphile: readonly GraphileMigrate[] = NO_GRAPHILE,
  seeds?: ReadonlyMap<string, number>,
  liquibase: readonly LiquibaseChangelog[] = NO_LIQUIBASE,
  schemas?: ReadonlyMap<string, number>,
  initdb?: ReadonlyMap<string, number>,
): T[] {
  // the sort is stable, so the same paths in the same order sort the same (a workspace rebuilds with its files in one order)
  let paths = files.map((f) => f.file).join('\0');
  if (ranks?.size) paths += `\0order\u0001${files.map((f) => ranks.get(f.file) ?? '').join('\0')}`;
  // (a project with a plan deploys in the plan's order: sqitch reads no `-- requires:` header, a comment
  // its `add` writes; read as a constraint, seattleflu/id3c-customizations' `policies@2020-03-09.sql`,
  // whose header requires `roles/hcov19-visibility/create` — the change's first place, a script as of
  // a tag — was put after `create.sql`, its current script, which the plan deploys 250 changes later)
  const planned = (f: { file: string }) => plans.some((p) => {
    const path = f.file.replace(/\\/g, '/');
    return path.startsWith(`${p.folder}deploy/`) || (p.reworkedDeploy !== undefined && path.startsWith(p.reworkedDeploy));
  });
  const requires = files.map((f) => (f.text !== undefined && SQITCH_DEPLOY.test(f.file) && !planned(f) ? sqitchRequires(f as { text: string }) : NO_REQUIRES));
  const sqitch = requires.some((r) => r.length);
  if (sqitch) paths += `\0${requires.map((r) => r.join(' ')).join('\0')}`;
  if (plans.length) paths += `\0${plans.map((p) => `${p.folder}\u0001${p.reworkedDeploy ?? ''}\u0001${p.project ?? ''}\u0001${p.requires?.join(' ') ?? ''}\u0001${p.changes.join(' ')}`).join('\0')}`;
  if (journals.length) paths += `\0drizzle\u0001${journals.map((j) => `${j.folder}\u0001${j.tags.join(' ')}`).join('\0')}`;
  if (graphile.length) paths += `\0graphile\u0001${graphile.map((g) => `${g.folder}\u0001${g.afterReset.join('\u0001')}`).join('\0')}`;
  if (seeds?.size) paths += `\0seeds\u0001${files.map((f) => seeds.get(f.file) ?? '').join('\0')}`;
  if (schemas?.size) paths += `\0schemas\u0001${files.map((f) => schemas.get(f.file) ?? '').join('\0')}`;
  if (initdb?.size) paths += `\0initdb\u0001${files.map((f) => initdb.get(f.file) ?? '').join('\0')}`;
  if (liquibase.length) paths += `\0liquibase\u0001${liquibase.map((c) => `${c.folder}\u0001${c.unread ? '?' : c.files.join('\u0001')}`).join('\0')}`;
  if (lastOrder?.paths !== paths) {
    let order = files.map((_, i) => i);
    const stamped = new Set<string>();
    for (const f of files) {
      const m = SUPABASE_STAMPED.exec(f.file) ?? PRISMA_STAMPED.exec(f.file);
      if (m) stamped.add(m[1]!);
    }
    order.sort((a, b) => compareMigrations(files[a]!.file, files[b]!.file, stamped));
    // (Flyway: versioned migrations by version across folders, in a database mostly of them; repeatables after; callbacks where they run)
    const flyway = isFlywayDatabase(files);
    if (flyway) order = flywayCallbacks(flywayRepeatablesLast(flywayVersionOrder(order, files), files), files);
    order = dumpSectionOrder(order, files);
    // (the `order` setting: the files of its first glob first, each group in the order above, then those of none)
    if (ranks?.size) {
      const rank = (i: number) => ranks.get(files[i]!.file) ?? Infinity;
      order.sort((a, b) => rank(a) - rank(b));
    }
    if (plans.length) order = planOrder(order, files, plans);
    if (journals.length) order = journalOrder(order, files, journals);
    if (graphile.length) order = graphileOrder(order, files, graphile);
    if (liquibase.length) order = liquibaseOrder(order, files, liquibase);
    order = reworkedFirst(order, files);
    if (sqitch) order = sqitchOrder(order, files, requires);
    if (schemas?.size) order = declaredOrder(order, files, schemas);
    // (Supabase's seed files, [db.seed] sql_paths: after every migration, the first glob's first — the sort is stable)
    if (seeds?.size) {
      const seed = (i: number) => seeds.get(files[i]!.file) ?? -1;
      order.sort((a, b) => seed(a) - seed(b));
    }
    // (docker compose's mounts into the postgres image's /docker-entrypoint-initdb.d/: run when the
    // database is made, before any migration tool connects — first of all, in the entrypoint's order)
    if (initdb?.size) {
      const init = (i: number) => initdb.get(files[i]!.file) ?? Number.MAX_SAFE_INTEGER;
      order.sort((a, b) => init(a) - init(b));
    }
    lastOrder = { paths, order };
  }
  return lastOrder.order.map((i) => files[i]!);
}

/** migrationOrder with what a database's config says of it (sqitch plans, the `order` setting, Drizzle journals, graphile-migrate, Supabase's listed seeds and declarative schema files). */
export function migrationOrderOf<T extends { file: string; text?: string }>(files: T[], c: Config): T[] {
  return migrationOrder(files, c.sqitchPlans, c.orderRanks, c.drizzleJournals, c.graphileMigrate, c.seedRanks, c.liquibaseChangelogs, c.schemaRanks, c.initdbRanks);
}

/**
 * `order` with the declarative schema files of Supabase projects whose config.toml lists them
 * (`[db.migrations] schema_paths`, `ranks`) in the order `supabase db diff` loads them: the
 * files of the first glob first, each glob's in byte order (Go's sort.Strings), at the places
 * those files had (after the migrations: `schemas/` sorts after `migrations/`).
 */
function declaredOrder(order: number[], files: ReadonlyArray<{ file: string }>, ranks: ReadonlyMap<string, number>): number[] {
  const places: number[] = [];
  const listed: number[] = [];
  order.forEach((i, at) => {
    if (ranks.has(files[i]!.file)) {
      places.push(at);
      listed.push(i);
    }
  });
  const rank = (i: number) => ranks.get(files[i]!.file)!;
  listed.sort((a, b) => rank(a) - rank(b) || (files[a]!.file < files[b]!.file ? -1 : files[a]!.file > files[b]!.file ? 1 : 0));
  const out = [...order];
  places.forEach((at, k) => (out[at] = listed[k]!));
  return out;
}

const NO_PLANS: readonly SqitchPlan[] = [];
const NO_JOURNALS: readonly DrizzleJournal[] = [];
const NO_GRAPHILE: readonly GraphileMigrate[] = [];
const NO_LIQUIBASE: readonly LiquibaseChangelog[] = [];

/**
 * `order` with each graphile-migrate project's files in the order `graphile-migrate reset` and
 * `watch` run them (`.gmrc`, read by the caller): the places its migrations folder's files (and
 * the afterReset files, wherever they are) hold are given to its afterReset files first, in their
 * actions' order, then committed/ by number, then the current migration (current.sql, or
 * current/ by number), then the folder's other files in the order they had (regen-server's
 * afterReset dump `migrations/initial_schema.sql`, which path order put after `committed/`, makes
 * the tables the committed migrations' policies are on). Files outside stay where they are.
 */
/**
 * `order` with the places the files `inGroup` picks hold given to them in `compare`'s order (a
 * stable sort: ties keep their order); every other file keeps its place. `order` itself when fewer
 * than two are picked. What a tool's own list (a plan, a journal, a .gmrc, Flyway's versions) does
 * to the path order.
 */
function sortInPlaces(order: number[], inGroup: (i: number) => boolean, compare: (a: number, b: number) => number): number[] {
  const slots: number[] = [];
  const mine: number[] = [];
  order.forEach((i, at) => {
    if (inGroup(i)) {
      slots.push(at);
      mine.push(i);
    }
  });
  if (mine.length < 2) return order;
  mine.sort(compare);
  const out = order.slice();
  slots.forEach((at, k) => (out[at] = mine[k]!));
  return out;
}

/**
 * `order` with the SQL files each Liquibase master changelog runs (followed by the caller:
 * includes, includeAll folders, sqlFile) in its order: the places they hold are given to them in
 * the changelog's order (a policy file sorting before its table's file, included after it).
 * Every other file keeps its place.
 */
function liquibaseOrder(order: number[], files: ReadonlyArray<{ file: string }>, changelogs: readonly LiquibaseChangelog[]): number[] {
  const ranks = liquibaseRanks(files, changelogs);
  let out = order;
  for (const c of changelogs) out = sortInPlaces(out, (i) => ranks[i]?.changelog === c, (a, b) => ranks[a]!.place - ranks[b]!.place);
  return out;
}

function graphileOrder(order: number[], files: ReadonlyArray<{ file: string }>, projects: readonly GraphileMigrate[]): number[] {
  const ranks = graphileRanks(files, projects);
  let out = order;
  // (stable: the folder's other files, and files of one place, keep their order)
  for (const g of projects) out = sortInPlaces(out, (i) => ranks[i]?.project === g, (a, b) => ranks[a]!.group - ranks[b]!.group || ranks[a]!.place - ranks[b]!.place);
  return out;
}

/** A Flyway versioned migration (`V1__x.sql`, `V1.2__x.sql`, `V20240101120000__x.sql`, its version) and a repeatable one (`R__x.sql`). */
const FLYWAY_VERSIONED = /(?:^|[\\/])V(\d+(?:[._]\d+)*)__[^\\/]+\.sql$/;
const FLYWAY_REPEATABLE = /(?:^|[\\/])R__([^\\/]+)\.sql$/;
/** A Flyway undo migration (`U1.2__x.sql`): `flyway undo` runs it, migrate never (isRollbackFile: not replayed). */
const FLYWAY_UNDO = /(?:^|[\\/])U\d+(?:[._]\d+)*__[^\\/]+\.sql$/;
/**
 * A Flyway SQL callback (`afterMigrate.sql`, `beforeEachMigrate__set_role.sql`: the event, then
 * an optional `__description`), with its event.
 */
const FLYWAY_CALLBACK = /(?:^|[\\/])([a-z][A-Za-z]+)(?:__[^\\/]*)?\.sql$/;
/**
 * Where a migrate run fires the callbacks of the events it fires: before the first migration
 * (`beforeMigrate`, then around the first one `beforeEachMigrate` and, Teams, its statements'
 * `beforeEachMigrateStatement`), after the versioned ones (`afterVersioned`, `beforeRepeatables`),
 * or after the last migration (`afterEachMigrateStatement`, `afterEachMigrate`, then `afterMigrate`,
 * `afterMigrateApplied`, `afterMigrateOperationFinish`); the rank orders events of one place. The
 * error events (`afterMigrateError` …) never fire on a migrate that succeeds, and the other
 * commands' ones (`beforeClean`, `afterUndo`, `beforeValidate`, `createSchema` …) are not placed
 * by this order: those files keep their path order.
 */
const FLYWAY_CALLBACK_PLACES: ReadonlyMap<string, { place: 'first' | 'versioned' | 'last'; rank: number }> = new Map([
  ['beforeMigrate', { place: 'first', rank: 0 }],
  ['beforeEachMigrate', { place: 'first', rank: 1 }],
  ['beforeEachMigrateStatement', { place: 'first', rank: 2 }],
  ['afterVersioned', { place: 'versioned', rank: 0 }],
  ['beforeRepeatables', { place: 'versioned', rank: 1 }],
  ['afterEachMigrateStatement', { place: 'last', rank: 0 }],
  ['afterEachMigrate', { place: 'last', rank: 1 }],
  ['afterMigrate', { place: 'last', rank: 2 }],
  ['afterMigrateApplied', { place: 'last', rank: 3 }],
  ['afterMigrateOperationFinish', { place: 'last', rank: 4 }],
]);

function flywayCallbackPlace(file: string): { place: 'first' | 'versioned' | 'last'; rank: number } | undefined {
  const m = FLYWAY_CALLBACK.exec(file);
  return m ? FLYWAY_CALLBACK_PLACES.get(m[1]!) : undefined;
}

/**
 * Whether a database's files are a Flyway project's: its versioned migrations (`V<version>__x.sql`)
 * are most of its files that are not Flyway's repeatable, undo or callback files (a seed or a
 * test beside them leaves them so; another tool's files, `001_x.sql` or a timestamp, are not), so
 * that only Flyway's order is applied to Flyway's files.
 */
function isFlywayDatabase(files: ReadonlyArray<{ file: string }>): boolean {
  let versioned = 0;
  let others = 0;
  for (const f of files) {
    if (FLYWAY_VERSIONED.test(f.file)) versioned++;
    else if (!FLYWAY_REPEATABLE.test(f.file) && !FLYWAY_UNDO.test(f.file) && !flywayCallbackPlace(f.file)) others++;
  }
  return versioned > others;
}

/**
 * Whether `file` is a versioned (`V<version>__x.sql`) or repeatable (`R__x.sql`) migration of a
 * Flyway project, among the files of its database (isFlywayDatabase).
 */
export function isFlywayMigration(files: ReadonlyArray<{ file: string }>, file: string): boolean {
  return (FLYWAY_VERSIONED.test(file) || FLYWAY_REPEATABLE.test(file)) && isFlywayDatabase(files);
}

/** A Flyway version's parts as Flyway compares them (MigrationVersion): `_` read as `.`, each part a number (leading zeros dropped), trailing zero parts dropped (`1.0` is `1`). */
function flywayVersion(file: string): string[] | undefined {
  const m = FLYWAY_VERSIONED.exec(file);
  if (!m) return undefined;
  const parts = m[1]!.split(/[._]/).map((p) => p.replace(/^0+(?=\d)/, ''));
  while (parts.length > 1 && parts[parts.length - 1] === '0') parts.pop();
  return parts;
}

/** Flyway's order of two versions: part by part, numerically, a missing part 0 (`1.2` < `1.10` < `2`). */
function compareFlywayVersions(a: readonly string[], b: readonly string[]): number {
  for (let k = 0; k < Math.max(a.length, b.length); k++) {
    const x = a[k] ?? '0';
    const y = b[k] ?? '0';
    if (x.length !== y.length) return x.length - y.length;
    if (x !== y) return x < y ? -1 : 1;
  }
  return 0;
}

/**
 * `order` with a Flyway project's versioned migrations (`V<version>__x.sql`) in the order of their
 * versions, as `flyway migrate` applies them whatever their locations (folders): the places they
 * hold are given to them by version. The path order ran `common/V2__x.sql` before
 * `postgres/V1__y.sql` (a policy before its table: 42P01), and `V1.10__x.sql` or `V1_10__x.sql`
 * beside `V1.2__y.sql` by their names. Two files of one version (`V1_1__a.sql` and `V1.1__b.sql`
 * are both 1.1) make Flyway's validation fail before it applies anything; they keep their path
 * order. The other files keep their places.
 */
function flywayVersionOrder(order: number[], files: ReadonlyArray<{ file: string }>): number[] {
  const versions = new Map<number, string[]>();
  for (const i of order) {
    const v = flywayVersion(files[i]!.file);
    if (v) versions.set(i, v);
  }
  // (stable: files of one version keep their path order)
  return sortInPlaces(order, (i) => versions.has(i), (a, b) => compareFlywayVersions(versions.get(a)!, versions.get(b)!));
}

/**
 * `order` with Flyway's repeatable migrations (`R__<description>.sql`) after its versioned ones
 * (`V<version>__x.sql`): within a run Flyway applies every pending versioned migration first,
 * then the repeatable ones, in the order of their descriptions, whatever their folders. The path
 * order would run `R__policies.sql` before `V1__tables.sql` (`R` sorts before `V`), and a
 * `functions/R__x.sql` before the `V…` files beside the folder: on a new database those fail with
 * 42P01 / 42704 (sqoop's `R__sign_in.sql` returns a type a `V` migration creates). The
 * repeatables move to just after the last versioned migration; without one they stay where they are.
 */
function flywayRepeatablesLast(order: number[], files: ReadonlyArray<{ file: string }>): number[] {
  let lastVersioned = -1;
  let repeatables = 0;
  order.forEach((i, at) => {
    if (FLYWAY_VERSIONED.test(files[i]!.file)) lastVersioned = at;
    else if (FLYWAY_REPEATABLE.test(files[i]!.file)) repeatables++;
  });
  if (!repeatables || lastVersioned < 0) return order;
  const description = (i: number) => FLYWAY_REPEATABLE.exec(files[i]!.file)![1]!.replace(/_/g, ' ');
  const moved = order.filter((i) => FLYWAY_REPEATABLE.test(files[i]!.file));
  // (Java's String.compareTo: UTF-16 code units)
  moved.sort((a, b) => {
    const da = description(a);
    const db = description(b);
    return da < db ? -1 : da > db ? 1 : 0;
  });
  const out: number[] = [];
  order.forEach((i, at) => {
    if (!FLYWAY_REPEATABLE.test(files[i]!.file)) out.push(i);
    if (at === lastVersioned) out.push(...moved);
  });
  return out;
}

/**
 * `order` with a Flyway project's SQL callbacks where `flyway migrate` runs them on a new
 * database (FLYWAY_CALLBACK_PLACES): `beforeMigrate.sql` (and `beforeEachMigrate`'s first run)
 * just before the first migration, `beforeRepeatables.sql` after the versioned ones, and
 * `afterMigrate.sql` (and `afterEachMigrate`'s last run) after the last migration, repeatable
 * ones included. The path order ran `afterMigrate.sql` (`a` sorts before `V`) first: its GRANTs
 * on the tables, or a REFRESH of a view, on tables not made yet (42P01). A callback of an event
 * that runs several times is replayed once, at that place. Events of one place run in their
 * order, callbacks of one event in path order; other callbacks keep their places.
 */
function flywayCallbacks(order: number[], files: ReadonlyArray<{ file: string }>): number[] {
  const places = new Map<number, { place: 'first' | 'versioned' | 'last'; rank: number }>();
  let first = -1;
  let lastVersioned = -1;
  let last = -1;
  order.forEach((i, at) => {
    const f = files[i]!.file;
    const p = flywayCallbackPlace(f);
    if (p) places.set(i, p);
    else if (FLYWAY_VERSIONED.test(f)) {
      if (first < 0) first = at;
      lastVersioned = last = at;
    } else if (FLYWAY_REPEATABLE.test(f)) last = at;
  });
  if (!places.size || first < 0) return order;
  const at = (place: 'first' | 'versioned' | 'last') =>
    order.filter((i) => places.get(i)?.place === place).sort((a, b) => places.get(a)!.rank - places.get(b)!.rank);
  const out: number[] = [];
  order.forEach((i, k) => {
    if (k === first) out.push(...at('first'));
    if (!places.has(i)) out.push(i);
    if (k === lastVersioned) out.push(...at('versioned'));
    if (k === last) out.push(...at('last'));
  });
  return out;
}

/**
 * `order` with each Drizzle Kit folder's migrations in its journal's order (meta/_journal.json,
 * read by the caller): the places its listed files hold are given to them as the journal lists
 * them (drizzle's migrator runs `entries` in array order, whatever the files' names). A file the
 * journal does not list stays where it is (it is not replayed: Workspace marks it not applied).
 */
function journalOrder(order: number[], files: ReadonlyArray<{ file: string }>, journals: readonly DrizzleJournal[]): number[] {
  const ranks = journalRanks(files, journals);
  let out = order;
  for (const j of journals) out = sortInPlaces(out, (i) => ranks[i]?.journal === j, (a, b) => ranks[a]!.rank - ranks[b]!.rank);
  return out;
}

/**
 * `order` with each sqitch project's deploy scripts in its plan's order (sqitch.plan, read by
 * the caller): the places the scripts of its changes hold are given to them as the plan lists
 * them (maevsi: `privilege_execute_revoke`, first in the plan, revokes EXECUTE on functions
 * from PUBLIC before the `function_*` scripts the path order put first). A script the plan does
 * not name stays where it is; a change's script as of a tag (`x@v1.sql`) goes before it then.
 */
function planOrder(order: number[], files: ReadonlyArray<{ file: string }>, plans: readonly SqitchPlan[]): number[] {
  const rank = new Map<string, number>();
  // (the language server's ids are URIs: `@` is `%40` there)
  const pathOf = (i: number) => files[i]!.file.replace(/\\/g, '/').replace(/%40/g, '@');
  // (an earlier place of a reworked change names its candidate scripts, one per tag before the
  // change's next place: sqitch runs the first that exists — planChanges)
  let present: Set<string> | undefined;
  const exists = (path: string) => (present ??= new Set(order.map(pathOf))).has(path);
  // (several projects: each deploys whole, one after another — sqitch deploys one project at a time —
  // in the order of their first files, a project requiring another's change after that project;
  // ranked by their change's place alone, the projects' changes were interleaved: sqitch-phile's
  // auth_fn functions came before auth's app_user and jwt_token types, which they return)
  const plansInOrder = projectOrder(order, pathOf, plans);
  let base = 0;
  for (const p of plansInOrder) {
    p.changes.forEach((c, i) => {
      // (a reworked change's earlier places: in reworked_deploy_dir, where sqitch.conf names one)
      const candidates = c.split(' ').map((x) => (x.includes('@') && p.reworkedDeploy !== undefined ? `${p.reworkedDeploy}${x}.sql` : `${p.folder}deploy/${x}.sql`));
      rank.set(candidates.length === 1 ? candidates[0]! : (candidates.find(exists) ?? candidates[0]!), base + i);
    });
    base += p.changes.length;
  }
  return sortInPlaces(order, (i) => rank.has(pathOf(i)), (a, b) => rank.get(pathOf(a))! - rank.get(pathOf(b))!);
}

/**
 * The plans in the order their projects deploy: by the place of each one's first deploy script in
 * `order`, then a project after the projects whose changes it requires (`[auth:structure/schema]`:
 * a stable topological sort; a cycle, or a project no plan here is, leaves the order as it was).
 */
function projectOrder(order: number[], pathOf: (i: number) => string, plans: readonly SqitchPlan[]): SqitchPlan[] {
  if (plans.length < 2) return [...plans];
  const first = new Map<SqitchPlan, number>();
  order.forEach((i, at) => {
    const path = pathOf(i);
    for (const p of plans) if (!first.has(p) && (path.startsWith(`${p.folder}deploy/`) || (p.reworkedDeploy !== undefined && path.startsWith(p.reworkedDeploy)))) first.set(p, at);
  });
  const sorted = [...plans].sort((a, b) => (first.get(a) ?? Infinity) - (first.get(b) ?? Infinity));
  const byProject = new Map(sorted.filter((p) => p.project !== undefined).map((p) => [p.project!, p]));
  const out: SqitchPlan[] = [];
  const placed = new Set<SqitchPlan>();
  const visiting = new Set<SqitchPlan>();
  const place = (p: SqitchPlan) => {
    if (placed.has(p) || visiting.has(p)) return;
    visiting.add(p);
    for (const r of p.requires ?? []) {
      const q = byProject.get(r);
      if (q && q !== p) place(q);
    }
    visiting.delete(p);
    placed.add(p);
    out.push(p);
  };
  for (const p of sorted) place(p);
  return out;
}

/** A file named for a pg_dump section (`--section=pre-data` / `post-data`): `predata.sql`, `schema_post-data.sql` (its folder and name without the section, and the section). */
const DUMP_SECTION = /^(.*[\\/])?([^\\/]*?)(pre|post)[-_]?data([^\\/]*)$/i;

/**
 * `order` with the files of a pg_dump split by section (`pg_dump --section=pre-data -f
 * predata.sql`, then `--section=post-data -f postdata.sql`: tables, functions and types first;
 * constraints, indexes, triggers, policies and ENABLE ROW LEVEL SECURITY after the data) in the
 * order pg_restore runs them: the post-data file after its pre-data file, where the path order puts
 * `postdata.sql` first (ohrrkan/brainlan-db-chemistry). A pair is two files of one folder whose names
 * differ only in `pre`/`post`; every other file keeps its place.
 */
function dumpSectionOrder(order: number[], files: ReadonlyArray<{ file: string }>): number[] {
  let pairs: Map<string, { pre: number[]; post: number[] }> | undefined;
  for (const i of order) {
    const m = DUMP_SECTION.exec(files[i]!.file);
    if (!m) continue;
    const key = `${m[1] ?? ''}\u0001${m[2]!.toLowerCase()}\u0001${m[4]!.toLowerCase()}`;
    pairs ??= new Map();
    let g = pairs.get(key);
    if (!g) pairs.set(key, (g = { pre: [], post: [] }));
    (m[3]!.toLowerCase() === 'pre' ? g.pre : g.post).push(i);
  }
  if (!pairs) return order;
  let out = order;
  for (const g of pairs.values()) {
    if (!g.pre.length || !g.post.length) continue;
    const pre = new Set(g.pre);
    const mine = new Set([...g.pre, ...g.post]);
    out = sortInPlaces(out, (i) => mine.has(i), (a, b) => (pre.has(a) ? 0 : 1) - (pre.has(b) ? 0 : 1));
  }
  return out;
}

/** A sqitch deploy script of a reworked change as of a tag: `…/deploy/<change>@<tag>.sql` (the change and the tag). */
const SQITCH_REWORKED = /^(.*(?:^|[\\/])deploy[\\/].+?)@[^\\/@]+\.sql$/i;

/**
 * `order` with each sqitch script of a change as of a tag (`deploy/x@v1.2.sql`, what `sqitch
 * rework` keeps of the change's earlier version) before the change's current script
 * (`deploy/x.sql`, which the plan deploys later): the path order puts `x.sql` first.
 */
function reworkedFirst(order: number[], files: ReadonlyArray<{ file: string }>): number[] {
  let out = order;
  // (the language server's ids are URIs: `@` is `%40` there)
  const path = (f: { file: string }) => (f.file.includes('%40') ? f.file.replace(/%40/g, '@') : f.file);
  for (let k = 0; k < out.length; k++) {
    const m = SQITCH_REWORKED.exec(path(files[out[k]!]!));
    if (!m) continue;
    const current = `${m[1]}.sql`;
    const at = out.findIndex((i) => path(files[i]!) === current);
    if (at < 0 || at > k) continue;
    if (out === order) out = order.slice();
    const [moved] = out.splice(k, 1);
    out.splice(at, 0, moved!);
  }
  return out;
}

/** A sqitch deploy script: `…/deploy/<change>.sql`, its change named by its path under `deploy/`. */
const SQITCH_DEPLOY = /^(.*(?:^|[\\/])deploy[\\/])(.+)\.sql$/i;
const NO_REQUIRES: string[] = [];
const requiresCache = new WeakMap<object, string[]>();

/** The changes a deploy script's header requires (`-- requires: change`, sqitch's template), in its project (`proj:change` of another project is not followed; `@tag` dropped). */
function sqitchRequires(f: { text: string }): string[] {
  const hit = requiresCache.get(f);
  if (hit) return hit;
  const out: string[] = [];
  // (the header: the comments and blank lines before the first statement)
  for (const line of f.text.slice(0, 4000).split('\n')) {
    const t = line.trim();
    if (t === '') continue;
    if (!t.startsWith('--')) break;
    const m = /^--\s*requires:\s*(\S+)\s*$/i.exec(t);
    if (m && !m[1]!.includes(':')) out.push(m[1]!.replace(/@.*$/, ''));
  }
  const list = out.length ? out : NO_REQUIRES;
  requiresCache.set(f, list);
  return list;
}

/**
 * `order` (file positions, naturally sorted) with every sqitch deploy script after the deploy
 * scripts of its project that it requires: a stable topological sort, each file at the earliest
 * place its requirements allow (a cycle, or a change no file deploys, is left where it was).
 */
function sqitchOrder(order: number[], files: ReadonlyArray<{ file: string }>, requires: string[][]): number[] {
  const byPath = new Map<string, number>();
  for (const i of order) byPath.set(files[i]!.file.replace(/\\/g, '/'), i);
  const rank = new Map(order.map((i, r) => [i, r]));
  // edges: required file → requiring files; how many requirements each still waits for
  const after = new Map<number, number[]>();
  const waiting = new Map<number, number>();
  for (const i of order) {
    if (!requires[i]!.length) continue;
    const root = SQITCH_DEPLOY.exec(files[i]!.file.replace(/\\/g, '/'))![1]!;
    for (const change of requires[i]!) {
      const j = byPath.get(`${root}${change}.sql`);
      if (j === undefined || j === i) continue;
      const list = after.get(j);
      if (list) list.push(i);
      else after.set(j, [i]);
      waiting.set(i, (waiting.get(i) ?? 0) + 1);
    }
  }
  // Kahn's algorithm, always taking the ready file that comes first in the natural order (a
  // binary heap of ranks: a sqitch project has thousands of changes)
  const heap: number[] = [];
  const push = (r: number) => {
    heap.push(r);
    for (let c = heap.length - 1; c > 0; ) {
      const p = (c - 1) >> 1;
      if (heap[p]! <= heap[c]!) break;
      [heap[p], heap[c]] = [heap[c]!, heap[p]!];
      c = p;
    }
  };
  const pop = (): number => {
    const top = heap[0]!;
    const last = heap.pop()!;
    if (heap.length) {
      heap[0] = last;
      for (let c = 0; ; ) {
        const l = 2 * c + 1;
        const m = l + 1 < heap.length && heap[l + 1]! < heap[l]! ? l + 1 : l;
        if (l >= heap.length || heap[c]! <= heap[m]!) break;
        [heap[c], heap[m]] = [heap[m]!, heap[c]!];
        c = m;
      }
    }
    return top;
  };
  for (const i of order) if (!waiting.get(i)) push(rank.get(i)!);
  const out: number[] = [];
  const done = new Set<number>();
  while (heap.length) {
    const i = order[pop()]!;
    out.push(i);
    done.add(i);
    for (const k of after.get(i) ?? []) {
      const w = waiting.get(k)! - 1;
      waiting.set(k, w);
      if (w === 0) push(rank.get(k)!);
    }
  }
  // (a cycle: its files where the natural order puts them, after the rest)
  for (const i of order) if (!done.has(i)) out.push(i);
  return out;
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
export function replayOrder<F extends ReplayFile>(files: readonly F[]): Array<{ file: F; stmt: F['statements'][number]; entry: F }> {
  const out: Array<{ file: F; stmt: F['statements'][number]; entry: F }> = [];
  for (const { file, entry, from, to } of replaySegments(files)) {
    const sections = rollbackSections(file);
    for (let i = from; i < to; i++) {
      const stmt = file.statements[i]!;
      if (!inSections(sections, stmt.start)) out.push({ file, stmt, entry });
    }
  }
  return out;
}

type ReplayFile = { file: string; text: string; statements: readonly { start: number; end: number }[]; includes?: readonly Include[] };

/**
 * The files in the order replayOrder runs them: a file another one includes where it is
 * included (the first time), files with no statement too.
 */
export function replayFileOrder<F extends ReplayFile>(files: readonly F[]): F[] {
  const visited: F[] = [];
  replaySegments(files, visited);
  return visited;
}

/**
 * Where statements run relative to each other, for every "made before / only later" judgement:
 * the model's files cut into the runs psql executes without leaving them (replaySegments: a file
 * including another is two runs, before and after the include), numbered in replay order. Not the
 * files' path order: psql runs an included file where it is included (ludat/fulbo's db/main.sql
 * \i-ing schema/users.sql before schema/groups.sql, whose foreign keys reference users).
 */
export interface ReplayPlaces {
  /** the runs in replay order: a file's statements from offset `start` (inclusive) to `end` (exclusive); `entry` the file psql was started on */
  runs: ReadonlyArray<{ file: string; entry: string; start: number; end: number }>;
  /** the index of the run holding `loc` (-1: a file without statements) */
  runOf(loc: Loc): number;
  /** whether `a` runs before `b` (false where either is in no run) */
  before(a: Loc, b: Loc): boolean;
  /** whether runs `i` and `j` belong to one sequence of migrations: run under one psql entry file, or entry files of one folder (two folders are two sequences, whose order the paths do not tell) */
  oneSequence(i: number, j: number): boolean;
  /** each run as its file's index in the model's files and its first statement's: equal while the order is (results kept across models compare it) */
  key: readonly number[];
}

const placesOf = new WeakMap<Model, ReplayPlaces>();

/**
 * Whether one Liquibase master changelog runs both files (its changelog parts and the SQL files its
 * sqlFile and include changes name, in its order): one sequence of migrations, whatever their folders.
 */
export function oneChangelogRuns(model: Model, a: string, b: string): boolean {
  for (const c of model.config.liquibaseChangelogs ?? NO_LIQUIBASE) if (!c.unread && c.files.includes(a) && c.files.includes(b)) return true;
  return false;
}

/** The model's ReplayPlaces (once per model). */
export function replayPlaces(model: Model): ReplayPlaces {
  let out = placesOf.get(model);
  if (out) return out;
  const files = model.files;
  const index = new Map<ParsedFile, number>();
  for (let i = 0; i < files.length; i++) index.set(files[i]!, i);
  const runs: Array<{ file: string; entry: string; start: number; end: number }> = [];
  const key: number[] = [];
  const byFile = new Map<string, number[]>();
  for (const { file, entry, from, to } of replaySegments(files)) {
    const st = file.statements;
    const i = runs.length;
    runs.push({ file: file.file, entry: entry.file, start: from === 0 ? 0 : st[from]!.start, end: to === st.length ? Infinity : st[to]!.start });
    key.push(index.get(file)!, from);
    const list = byFile.get(file.file);
    if (list) list.push(i);
    else byFile.set(file.file, [i]);
  }
  const runOf = (loc: Loc): number => {
    const list = byFile.get(loc.file);
    if (!list) return -1;
    // (a file's runs are in the order of their offsets)
    let i = list.length - 1;
    while (i > 0 && runs[list[i]!]!.start > loc.start) i--;
    return list[i]!;
  };
  out = {
    runs,
    key,
    runOf,
    before(a, b) {
      if (a.file === b.file) return a.start < b.start;
      const i = runOf(a);
      const j = runOf(b);
      return i >= 0 && j >= 0 && i < j;
    },
    oneSequence(i, j) {
      const a = runs[i]?.entry;
      const b = runs[j]?.entry;
      return a !== undefined && b !== undefined && (a === b || folderOf(a) === folderOf(b) || oneChangelogRuns(model, a, b));
    },
  };
  placesOf.set(model, out);
  return out;
}

/** Whether two lists hold the same items (===) in the same order: ReplayPlaces keys, statement lists, kept facts. */
export function sameItems<T>(a: readonly T[], b: readonly T[]): boolean {
  if (a === b) return true;
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** The columns a CREATE TABLE writes that `columns` does not have, in its order. */
export function columnsBeyond(stmt: Statement, columns: readonly string[]): string[] {
  const out: string[] = [];
  for (const e of stmt.node?.tableElts ?? []) {
    const name: string | undefined = e?.ColumnDef?.colname;
    if (name && !columns.includes(name)) out.push(name);
  }
  return out;
}

/** Whether an offset lies in one of the (rollback) sections. */
const inSections = (sections: ReadonlyArray<{ start: number; end: number }>, at: number): boolean =>
  sections.length > 0 && sections.some((r) => r.start <= at && at < r.end);

/**
 * replayOrder as runs of statements: statements `from` (inclusive) to `to` (exclusive) of
 * `file`, rollback sections not yet left out; `visited` gets the files in the order they are
 * entered.
 */
function replaySegments<F extends ReplayFile>(files: readonly F[], visited?: F[]): Array<{ file: F; entry: F; from: number; to: number }> {
  const out: Array<{ file: F; entry: F; from: number; to: number }> = [];
  let byPath: Map<string, F> | undefined;
  const targets = new Map<F, Array<{ at: number; target: F }>>();
  const included = new Set<F>();
  for (const f of files) {
    if (!f.includes?.length) continue;
    byPath ??= new Map(files.map((x) => [normalPath(x.file), x]));
    const list: Array<{ at: number; target: F }> = [];
    for (const inc of f.includes) {
      const target = inSections(rollbackSections(f), inc.at) ? undefined : resolveInclude(byPath, f.file, inc.path, inc.relative);
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
    visited?.push(file);
    const stmts = file.statements;
    const incs = targets.get(file);
    if (!incs) {
      if (stmts.length) out.push({ file, entry, from: 0, to: stmts.length });
      return;
    }
    let k = 0;
    let from = 0;
    const upTo = (pos: number, i: number) => {
      if (k >= incs.length || incs[k]!.at >= pos) return;
      if (i > from) out.push({ file, entry, from, to: i });
      from = i;
      for (; k < incs.length && incs[k]!.at < pos; k++) if (!done.has(incs[k]!.target)) emit(incs[k]!.target, entry);
    };
    for (let i = 0; i < stmts.length; i++) upTo(stmts[i]!.start, i);
    upTo(Infinity, stmts.length);
    if (stmts.length > from) out.push({ file, entry, from, to: stmts.length });
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


/**
 * A call of auth.uid(), auth.jwt() or auth.role(), as written or quoted as a dump writes it:
 * `"auth"."uid"()` (elizaOS's adapter-postgres remote_schema.sql, outside a supabase/ folder).
 */
const SUPABASE_AUTH_CALL = /(?:\bauth|"auth")\s*\.\s*(?:(?:uid|jwt|role)|"(?:uid|jwt|role)")\s*\(/i;

/**
 * Supabase Storage's tables as a migration writes them: its bucket list (`insert into
 * storage.buckets …`), or its objects with their bucket (`create policy … on storage.objects …
 * (bucket_id = 'media')`), as written or quoted.
 */
const SUPABASE_STORAGE_BUCKETS = /(?:\bstorage|"storage")\s*\.\s*(?:buckets\b|"buckets")/i;
const SUPABASE_STORAGE_OBJECTS = /(?:\bstorage|"storage")\s*\.\s*(?:objects\b|"objects")/i;

/**
 * Whether the migrations call Supabase's auth.uid()/auth.jwt()/auth.role(), or use its Storage
 * (storage.buckets, storage.objects by bucket_id): they target a Supabase database (e.g.
 * migrations kept outside supabase/migrations/, perhaps with a local stub of auth.uid() for
 * tests; konstruct's supabase/0NN_x.sql, whose policies are all `USING (true)` for PUBLIC and
 * whose blog media bucket is public, with no auth call: the anon key reads and writes them). Roles
 * the workspace creates itself still override.
 */
const platformUseCache = new WeakMap<ParsedFile, boolean>();
function usesSupabasePlatform(files: ParsedFile[]): boolean {
  for (const f of files) {
    let c = platformUseCache.get(f);
    if (c === undefined) {
      const t = f.text;
      c = SUPABASE_AUTH_CALL.test(t) || SUPABASE_STORAGE_BUCKETS.test(t) || (SUPABASE_STORAGE_OBJECTS.test(t) && /\bbucket_id\b/i.test(t));
      platformUseCache.set(f, c);
    }
    if (c) return true;
  }
  return false;
}

/**
 * A file that only rolls a migration back: `…down.sql` beside its `…up.sql` (golang-migrate,
 * sqlx, diesel's `down.sql`), a Flyway undo migration (`U<version>__<name>.sql`), a postgrator
 * undo migration (`<version>.undo.<name>.sql`, beside its `.do.` twin), or a sqitch
 * `revert/` script (and its `verify/` one, which checks and changes nothing). It is parsed (a
 * syntax error is still reported) but not replayed. Of a sqitch project's folders, the one nearest
 * the file decides: `packages/verify/deploy/x.sql` is a deploy script of a project kept in a folder
 * named verify (a pgpm module's), which `sqitch deploy` runs. And a script named for a rollback
 * that no version orders (`rollback.sql`, `rollback_v2.sql`, `v2_rollback.sql`: not
 * `003_rollback_x.sql` nor `V3__rollback.sql`, migrations of their tool): someone runs it by hand
 * to undo the migrations (DRANTIQ/platform-db's `scripts/rollback_v2.sql` drops every schema they
 * make, CASCADE), never as one of them.
 */
export function isRollbackFile(file: string): boolean {
  const base = file.slice(Math.max(file.lastIndexOf('/'), file.lastIndexOf('\\')) + 1);
  if (/(^|\.)down\.sql$/i.test(base) || /^U\d+(?:[._]\d+)*__.+\.sql$/.test(base) || /^\d+\.undo(?:\..+)?\.sql$/i.test(base)) return true;
  if (!/\.sql$/i.test(base)) return false;
  const folders = file.split(/[\\/]/).slice(0, -1).map((d) => d.toLowerCase());
  const nearest = folders.reverse().find((d) => d === 'deploy' || d === 'revert' || d === 'verify');
  // (a sqitch change's deploy script is named for the change, whatever it is: its plan runs it)
  if (nearest !== 'deploy' && /^(?:rollback(?:[_.-].*)?|(?!\d|[VR]\d+(?:[._]\d+)*__|R__)[^_.-].*[_.-]rollback)\.sql$/i.test(base)) return true;
  return nearest === 'revert' || nearest === 'verify';
}

/**
 * The files named `<name>_down.sql` (or `-down.sql`, any case) whose folder holds `<name>_up.sql`
 * (the same separator): a migration's rollback beside it, in a hand-rolled runner's layout (a name
 * ending in `_down` alone may be a migration's: `0042_scale_down.sql`, so only beside its twin).
 * And `<name>_rollback.sql` (`-`, `.`) whose folder, or a folder inside it, holds `<name>.sql`: the
 * script undoing that migration (joseph-ehler/moto-mind-ai's database/supabase/migrations/
 * 20251014_fix_rls_policy_garages_rollback.sql, `DROP POLICY …; ALTER TABLE garages DISABLE ROW
 * LEVEL SECURITY;`, beside archive/20251014_fix_rls_policy_garages.sql, which it undoes). Not one
 * right in a Supabase migrations folder (moto-mind-ai's is one): the Supabase CLI applies every
 * file there, whatever its name, so such a file runs and is replayed.
 * And a change's `revert.sql` and `verify.sql` in the folder of its `deploy.sql` (a folder per
 * change, as Zapadka keeps them: kljensen/yelukerest's `migrations/<id>-<name>/`): deploying runs
 * deploy.sql alone; revert.sql undoes it, verify.sql checks it and is rolled back.
 */
export function rollbackTwins(files: Iterable<string>): string[] {
  const list = [...files];
  const all = new Set(list.map((f) => f.toLowerCase()));
  // (each file as if it were one folder up: `…/migrations/archive/x.sql` as `…/migrations/x.sql`)
  let archived: Set<string> | undefined;
  const up = () => (archived ??= new Set(list.flatMap((f) => {
    const m = /^(.*?)[^/\\]+[/\\]([^/\\]+)$/.exec(f);
    return m ? [`${m[1]}${m[2]}`.toLowerCase()] : [];
  })));
  const out: string[] = [];
  for (const f of list) {
    const m = /^(.*[^/\\])([_-])down\.sql$/i.exec(f);
    if (m && all.has(`${m[1]}${m[2]}up.sql`.toLowerCase())) out.push(f);
    const c = /^(|.*[/\\])(?:revert|verify)\.sql$/i.exec(f);
    if (c && all.has(`${c[1]}deploy.sql`.toLowerCase())) out.push(f);
    // (not right in a Supabase migrations folder, snapshot.ts SUPABASE_MIGRATION: the CLI applies every file there, this one too)
    const r = SUPABASE_MIGRATION.test(f) ? null : /^(.*[^/\\])[_.-]rollback\.sql$/i.exec(f);
    if (r && (all.has(`${r[1]}.sql`.toLowerCase()) || up().has(`${r[1]}.sql`.toLowerCase()))) out.push(f);
  }
  return out;
}

/** The words of a folder's name that say it keeps files out of use (`archive/`, `old-migrations/`, `migrations_backup/`, `_deprecated/`). */
const ARCHIVE_WORDS = new Set(['archive', 'archived', 'archives', 'deprecated', 'obsolete', 'unused', 'backup', 'backups', 'old', 'trash', 'attic', 'graveyard']);

/** Whether a folder's name says it keeps files out of use: one of its words (split at `-`, `_`, `.`, space) is ARCHIVE_WORDS', and it is no migration's own folder (`20240101000000_drop_old_columns/`, Prisma's: a version first). */
function isArchiveFolderName(name: string): boolean {
  if (/^\d/.test(name)) return false;
  return name.split(/[-_. ]+/).some((w) => ARCHIVE_WORDS.has(w.toLowerCase()));
}

/**
 * The files (`ids`, with their paths from the workspace root: `relPath`) in a folder named as an
 * archive — `archive/`, `archived/`, `old-migrations/`, `migrations_backup/`, `deprecated/` … at
 * any depth — where the workspace also has SQL files outside any such folder: kept for reference
 * beside the migrations, not applied with them. joseph-ehler/moto-mind-ai keeps 175 files of its
 * earlier histories and experiments in archive/ (development_history/, nuclear_rebuilds/,
 * sql/unsorted/ …): replayed in path order before its supabase/migrations/, they were one database
 * with it (60 findings of their own, and the live migrations judged after them);
 * AJamesPhillips/DataCurator's supabase_setup/archived/recursion_policy_problem.sql, an experiment
 * that drops and makes tables of its own, was replayed after the numbered folders. Not in a
 * Supabase project's `supabase/` folder, whose files its CLI's rules decide (databases.ts
 * unappliedSupabaseFiles, snapshot.ts historyInArchives: `supabase db diff` loads a
 * `schemas/old/` too), and not where every file is in one (a workspace that is the archive itself).
 * By path alone: a file whose folder's name starts with a digit is a migration's (Prisma's
 * `<version>_<name>/migration.sql`), whatever its words.
 */
export function archivedFolderFiles(ids: Iterable<string>, relPath: (id: string) => string | undefined): string[] {
  const inArchive: string[] = [];
  let live = false;
  for (const id of ids) {
    // (a file outside the root: its path says nothing of the folders the project keeps)
    const path = relPath(id);
    if (path === undefined || !/\.sql$/i.test(path)) continue;
    const folders = path.split(/[\\/]/).slice(0, -1);
    if (folders.some(isArchiveFolderName)) {
      // (a Supabase project's own folders: its CLI's rules, databases.ts and historyInArchives)
      if (!folders.some((d) => d.toLowerCase() === 'supabase')) inArchive.push(id);
    } else live = true;
  }
  return live ? inArchive : [];
}

/**
 * An extension's script: `<name>--<version>.sql` (the whole extension at that version) or
 * `<name>--<from>--<to>.sql` (an update); a name starting with a letter, versions with a digit
 * (`2024-01-01--init.sql` and `2024-01-01--seed.sql` are no versions of one extension).
 */
const EXTENSION_SCRIPT = /^(.*[/\\])?([A-Za-z_][^/\\]*?)--(\d[\w.]*)(?:--(\d[\w.]*))?\.sql$/i;
const compareVersions = (a: string, b: string) => a.localeCompare(b, 'en', { numeric: true });

/**
 * The scripts of an extension (`<name>--<version>.sql`, `<name>--<from>--<to>.sql`, in one folder:
 * usebasejump/supabase-test-helpers' supabase_test_helpers--0.0.1.sql … --0.0.6.sql and its
 * update scripts) that CREATE EXTENSION does not run when it installs the latest version: it runs
 * the script of that version, or, where there is none, the script of an earlier one and the
 * updates from it with the fewest steps (PostgreSQL's extension.c); every other version's script is
 * an alternative, run instead of it, never after it. Replayed in path order they re-ran each version over the last
 * (11 files: each finding reported once per version). The latest version is the highest a script
 * names, numbers compared as numbers (the control file's default_version is not read). Only where
 * an extension has two scripts or more.
 */
export function extensionVersionScripts(files: Iterable<string>): string[] {
  const groups = new Map<string, Array<{ file: string; from: string; to?: string }>>();
  for (const f of files) {
    const m = EXTENSION_SCRIPT.exec(f);
    if (!m) continue;
    const key = `${m[1] ?? ''}\u0001${m[2]!}`;
    const list = groups.get(key) ?? [];
    list.push({ file: f, from: m[3]!, ...(m[4] !== undefined ? { to: m[4] } : {}) });
    groups.set(key, list);
  }
  const out: string[] = [];
  for (const list of groups.values()) {
    const full = list.filter((s) => s.to === undefined);
    if (list.length < 2 || full.length === 0) continue;
    const target = list.map((s) => s.to ?? s.from).sort(compareVersions).pop()!;
    let run: string[] | undefined;
    const exact = full.find((s) => s.from === target);
    if (exact) run = [exact.file];
    else {
      // (breadth first from every version with a script of its own: the fewest updates to the target)
      const updates = list.filter((s) => s.to !== undefined);
      let paths = full.map((s) => ({ at: s.from, files: [s.file] }));
      const seen = new Set(paths.map((p) => p.at));
      while (paths.length && !run) {
        const next: typeof paths = [];
        for (const p of paths) {
          for (const u of updates) {
            if (u.from !== p.at || seen.has(u.to!)) continue;
            const files = [...p.files, u.file];
            if (u.to === target) run ??= files;
            seen.add(u.to!);
            next.push({ at: u.to!, files });
          }
        }
        paths = next;
      }
    }
    if (!run) continue;
    for (const s of list) if (!run.includes(s.file)) out.push(s.file);
  }
  return out;
}

/**
 * A pgTAP test of a Supabase project (`supabase/tests/`): `supabase test db` runs it against the
 * migrated database, never as a migration, so what it creates (test helpers, fixtures) is not
 * the schema. Parsed (a syntax error is still reported) but not replayed, like a rollback file.
 */
export function isSupabaseTestFile(file: string): boolean {
  return /(^|[\\/])supabase[\\/]tests[\\/]/.test(file);
}

/** A file the Supabase CLI never applies though it sits with the migrations (snapshot.ts, where copies of migrations are told apart too). */
export { historyInArchives, isSupabaseArchivedMigration };

/**
 * A pgTAP test anywhere (`schema/test/*.sql` of a sqitch project): it plans its tests and
 * finishes them (`SELECT plan(n)` or `no_plan()`, then `finish()`). `pg_prove` runs it against
 * the migrated database, never as a migration, like a Supabase test (isSupabaseTestFile).
 */
const PGTAP_ASSERTION = /^[ \t]*select[ \t]+(?:\*[ \t]+from[ \t]+)?(?:has_table|hasnt_table|has_column|columns_are|lives_ok|throws_ok|throws_like|throws_matching|results_eq|set_eq|bag_eq|is_empty|isnt_empty|policies_are|policy_roles_are|policy_cmd_is|has_function|function_returns|row_eq|is_deeply)[ \t]*\(/im;

export function isPgTapTest(text: string): boolean {
  // (statements of their own at a line's start: `SELECT plan(3);` / `SELECT no_plan();`, then
  // `SELECT * FROM finish();` or `select finish();`, or — a test cut short before its finish():
  // cas-cif's form_test.sql — a pgTAP assertion such as `select has_table(…`, `select lives_ok(`)
  return (/^[ \t]*select[ \t]+(?:\*[ \t]+from[ \t]+)?finish[ \t]*\([ \t]*\)[ \t]*;/im.test(text) || PGTAP_ASSERTION.test(text)) && /^[ \t]*select[ \t]+(?:\*[ \t]+from[ \t]+)?(?:no_)?plan[ \t]*\([^)]*\)[ \t]*;/im.test(text);
}

/** sqlc's annotation of a query: `-- name: GetUser :one` (its commands: docs.sqlc.dev, "Query annotations"). */
const SQLC_QUERY = /^[ \t]*--[ \t]*name:[ \t]*[\w$]+[ \t]+:(?:one|many|exec|execrows|execresult|execlastid|copyfrom|batchexec|batchmany|batchone)\b/im;

/**
 * A file of sqlc queries (`queries: "db/query"` of sqlc.yaml): each query under its
 * `-- name: X :one` annotation, with `$1` parameters. sqlc compiles them into code that runs
 * them against the migrated database; they are never migrations. Parsed, not replayed.
 */
export function isSqlcQueryFile(text: string): boolean {
  return text.includes('name:') && SQLC_QUERY.test(text);
}

/**
 * A schema written out for reading, headed `-- WARNING: This schema is for context only and is not
 * meant to be run.` (as the Supabase dashboard copies a schema as SQL): CREATE TABLE statements
 * listing each table's columns as information_schema.columns types them (`USER-DEFINED` for an
 * enum, `ARRAY` for an array, which PostgreSQL cannot parse), in no order that runs, and without
 * the row-level security, policies and grants of the tables. Never a migration: parsed, not
 * replayed (IntelliFlow-CRM's infra/supabase/schema-snapshots/: 51 syntax errors, and read as
 * migrations, tables said to be without row-level security that the listing only leaves out).
 */
export function isContextOnlySchema(text: string): boolean {
  return CONTEXT_ONLY.test(text.slice(0, 300));
}
const CONTEXT_ONLY = /^\uFEFF?\s*--[ \t]*WARNING:[ \t]*This schema is for context only and is not meant to be run\b/i;

/** Why no migration tool applies a file (markNotApplied), as notReplayedReason says it. */
const notApplied = new WeakMap<object, string>();

/** What a file no migration tool applies is, as notReplayedReason words it for each tool. */
export const NOT_APPLIED = {
  supabase: "of a Supabase project's that are neither its migrations, declarative schema files (those config.toml's [db.migrations] schema_paths lists, where it lists them), seeds (those its [db.seed] sql_paths lists, where it lists them) nor tests: the Supabase CLI never applies them",
  drizzle: (journal: string) => `of a Drizzle Kit migrations folder that its ${journal} does not list: drizzle-kit migrate never applies them`,
  sqitch: 'of a sqitch project\'s deploy folder that its plan (sqitch.plan) does not name: sqitch deploy never runs them',
  graphile: (gmrc: string) => `of a graphile-migrate migrations folder that are neither its committed or current migration, a fixture nor a file an afterReset action of its ${gmrc} names: graphile-migrate never runs them`,
  rollback: 'that only roll back, named `…_down.sql` beside their `…_up.sql` (or `-down`, `-up`), or `…_rollback.sql` beside the migration of the same name (or its archived copy in a folder inside theirs), or revert or verify a change, `revert.sql` and `verify.sql` beside its `deploy.sql`: migrating up never runs them',
  mirror: (folder: string) =>
    `of a migration sequence that repeats the Supabase project's history in ${folder} under other names (most of its files have the statements of the migration of the same name there): the Supabase CLI applies that folder's, and this copy, replayed as a database of its own, would repeat their findings without the migrations it lacks`,
  extension: "of an extension's other versions (`<name>--<version>.sql`) or updates (`<name>--<from>--<to>.sql`): CREATE EXTENSION runs the script of the latest version (or an earlier one's and the updates from it), never these after it",
  archive:
    'in a folder named as an archive (`archive/`, `archived/`, `old/`, `backup/`, `deprecated/` …) beside migrations outside it: taken as kept for reference, not applied with them (where a tool does apply them, the config\'s "databases" setting names the files of each database, and an archive\'s files are then replayed as it says)',
  liquibase: (changelog: string) =>
    `of a Liquibase project that no include, includeAll or sqlFile of its changelog ${changelog} runs (or only with ignore, or a dbms that leaves PostgreSQL out): liquibase update never runs them`,
} as const;

/**
 * Marks a parsed file as one no migration tool applies (a Supabase project's file outside its
 * migrations, schemas, seeds and tests: databases.ts; a Drizzle Kit folder's file its journal
 * does not list; a Liquibase project's file its changelog does not run), with why (NOT_APPLIED):
 * parsed (a syntax error is still reported), not replayed, like a rollback file. Mark a file
 * before anything is computed from it (the workspace parses a file again when its mark changes).
 */
export function markNotApplied(file: ParsedFile, reason: string = NOT_APPLIED.supabase): void {
  const had = notApplied.has(file);
  notApplied.set(file, reason);
  if (!had) rollbackCache.delete(file);
}

/**
 * Why no statement of a file is replayed, as a phrase naming the kind of file (for a file the
 * lint parses but does not replay as a whole: rollbackSections), or undefined. A file whose
 * sections are left out (a rollback section, a transaction rolled back) is replayed in part: undefined.
 */
export function notReplayedReason(file: ParsedFile): string | undefined {
  const why = wholeFileSkip(file);
  if (why !== undefined) return WHOLE_FILE_SKIPS[why];
  return notApplied.get(file);
}

const WHOLE_FILE_SKIPS = {
  rollback: 'that only roll back (down.sql, Flyway undo, postgrator .undo., sqitch revert/ and verify/, a rollback script that no version orders): migrating up never runs them',
  'supabase-test': 'of pgTAP tests in supabase/tests/: supabase test db runs them on the migrated database, never as migrations',
  archived: 'in a folder inside supabase/migrations/ (or a copy of that folder): the Supabase CLI applies only the files directly in supabase/migrations/',
  pgtap: 'of pgTAP tests (plan() … finish()): pg_prove runs them on the migrated database, never as migrations',
  sqlc: 'of sqlc queries (-- name: … :one): the application runs them on the migrated database, never as migrations',
  context: 'of a schema written out for reading ("-- WARNING: This schema is for context only and is not meant to be run.", as the Supabase dashboard copies a schema as SQL): its tables listed without their row-level security, policies and grants, never run as migrations',
  dialect: 'written for another database (MySQL, SQL Server, SQLite …): PostgreSQL cannot run them',
  teardown: 'named for emptying the database or uninstalling (clear_all.sql, drop_all.sql, teardown.sql, uninstall.sql), with no version, that only drop what the migrations make: run by hand to start over or to remove it all, never as a migration after them',
} as const;

/**
 * A script run by hand to empty the database: named for it with no version (`clear_all.sql`,
 * `drop_all.sql`, `drop_tables.sql`, `teardown.sql`, `nuke.sql`, `wipe_db.sql`), dropping tables or
 * schemas and creating nothing. Replayed in path order after the migrations, it took every table
 * they make: AJamesPhillips/DataCurator's supabase_setup/clear_all.sql (DROP TABLE IF EXISTS
 * knowledge_views, wcomponents, access_controls, bases, users) left none of them, and no finding
 * on them. And an uninstall script (`uninstall.sql`, `uninstall_pgtap.sql`) dropping what an install
 * script made: supabase-community/supabase-custom-claims' uninstall.sql, its DROP FUNCTIONs replayed
 * after install.sql, left only the one function it forgets (get_claim), and no finding on the
 * others (set_claim, SECURITY DEFINER, callable by PUBLIC). Not a sqitch change's deploy script
 * (its plan runs it, whatever its name).
 */
function isTeardownScript(file: { file: string; text: string }): boolean {
  const base = file.file.slice(Math.max(file.file.lastIndexOf('/'), file.file.lastIndexOf('\\')) + 1);
  if (!/^(?:(?:clear|drop|wipe|nuke|teardown|tear[_-]down|destroy|purge)(?:[_-](?:all|everything|db|database|tables|schemas?|data))?|uninstall(?:[_-][\w-]+)?)\.sql$/i.test(base)) return false;
  if (file.file.split(/[\\/]/).slice(0, -1).some((d) => d.toLowerCase() === 'deploy')) return false;
  const code = file.text.replace(/--[^\n]*/g, '').replace(/\/\*[\s\S]*?\*\//g, '');
  return /\bdrop\s+(?:table|schema|function|procedure|view|materialized\s+view|type|domain|extension|sequence)\b/i.test(code) && !/\bcreate\s/i.test(code);
}

/** The kind of a file no statement of which is replayed (rollbackSections), by its path and text. */
function wholeFileSkip(file: { file: string; text: string; statements: readonly SectionStatement[] }): keyof typeof WHOLE_FILE_SKIPS | undefined {
  // (a rollback file's name in supabase/migrations/, `<digits>_x.down.sql`, is a migration to the Supabase CLI: it runs it)
  if (isRollbackFile(file.file) && !isSupabaseCliMigration(file.file)) return 'rollback';
  if (isSupabaseTestFile(file.file)) return 'supabase-test';
  if (isSupabaseArchivedMigration(file.file) && !archiveReplayed.has(file)) return 'archived';
  const byText = textSkip(file);
  if (byText) return byText;
  // (a file written for another database, as the lint's parse shows: PostgreSQL cannot run it, dialect.ts)
  if ('errors' in file && foreignDialect(file as ParsedFile)) return 'dialect';
  if (isTeardownScript(file)) return 'teardown';
  return undefined;
}

const archiveReplayed = new WeakSet<object>();

/**
 * Whether a file's text is pgTAP tests or sqlc queries, kept per file object (its text does not
 * change): both search the whole text, and a rule asking notReplayedReason of every file on every
 * re-lint (migration-numbers-unpadded) spent 8 ms of the bench's re-lint on it.
 */
function textSkip(file: { text: string }): 'pgtap' | 'sqlc' | 'context' | undefined {
  let kept = textSkips.get(file);
  if (kept === undefined) textSkips.set(file, (kept = isPgTapTest(file.text) ? 'pgtap' : isSqlcQueryFile(file.text) ? 'sqlc' : isContextOnlySchema(file.text) ? 'context' : null));
  return kept ?? undefined;
}
const textSkips = new WeakMap<object, 'pgtap' | 'sqlc' | 'context' | null>();

/**
 * Marks a file in a folder inside supabase/migrations/ as part of the history its project
 * replays (historyInArchives: nothing is right in the folder), or unmarks it: an archive again,
 * not replayed. Mark before anything is computed from the file (the workspace parses a file
 * again when its mark changes); verify marks its own split of the file.
 */
export function markArchiveReplayed(file: object, replayed: boolean): void {
  if (archiveReplayed.has(file) === replayed) return;
  if (replayed) archiveReplayed.add(file);
  else archiveReplayed.delete(file);
  rollbackCache.delete(file);
}

/** Whether `file` is in a folder inside supabase/migrations/ and replayed as its project's history (markArchiveReplayed). */
export function isArchiveReplayed(file: object): boolean {
  return archiveReplayed.has(file);
}

// (the last form: node-pg-migrate's SQL migrations, `-- Up Migration` / `-- Down Migration`; its
// sqlMigration.js finds them as /^\s*--[\s-]*down\s+migration/im, and runs the whole file when it has
// no up marker: markedSections counts them only beside one)
const MIGRATION_MARKER = /^[ \t]*--[ \t]*(?:migrate:(up|down)|\+(?:goose|migrate)[ \t]+(up|down))\b|^[ \t]*--[ \t-]*(up|down)[ \t]+migration\b/gim;
const NODE_PG_MIGRATE_UP = /^[ \t]*--[ \t-]*up[ \t]+migration\b/im;
const rollbackCache = new WeakMap<object, Array<{ start: number; end: number }>>();

/**
 * Whether a text may hold a migration marker: `--`, spaces or tabs, then `migrate:`, `+goose`,
 * `+migrate` or `up`/`down` and `migration` in any case, as every marker does. Each `--` is looked at: a case-insensitive
 * search of the whole text took ≈ 7 ns a character (≈ 25 ms on the bench's 4 MB), and
 * `/migrate|goose/i` matched its `-- migration N` headers, so that each file was searched for
 * markers line by line.
 */
function mayHoldMarker(text: string): boolean {
  for (let i = text.indexOf('--'); i >= 0; i = text.indexOf('--', i + 1)) {
    let j = i + 2;
    while (text.charCodeAt(j) === 32 || text.charCodeAt(j) === 9) j++;
    MARKER_WORD.lastIndex = j;
    if (MARKER_WORD.test(text)) return true;
  }
  return false;
}

const MARKER_WORD = /migrate:|\+goose|\+migrate|[ \t-]*(?:up|down)[ \t]+migration/iy;

/** A statement as rollbackSections reads it: verify's own split has no kinds (PostgreSQL itself undoes its transactions). */
type SectionStatement = { start: number; end: number; kind?: string; node?: Node; origin?: Statement['origin'] };
/**
 * The parts of a file migrating up never runs: all of a rollback file, or the rollback
 * sections of a file that keeps both directions: from `-- migrate:down` (dbmate),
 * `-- +goose Down` (goose), `-- +migrate Down` (sql-migrate) or `-- Down Migration`
 * (node-pg-migrate, in a file with its `-- Up Migration`) to the next up marker or the end. A marker counts only as a comment between statements. Also the statements a transaction
 * rolls back (rolledBackTransactions). (`file` is a ParsedFile, or verify's own split of it.)
 */
export function rollbackSections(file: { file: string; text: string; statements: readonly SectionStatement[] }): Array<{ start: number; end: number }> {
  let sections = rollbackCache.get(file);
  if (sections) return sections;
  sections = [];
  // (a file no migration tool applies: a Supabase project's its CLI never applies, markNotApplied)
  if (notApplied.has(file)) {
    sections.push({ start: 0, end: file.text.length });
    rollbackCache.set(file, sections);
    return sections;
  }
  if (wholeFileSkip(file) !== undefined) sections.push({ start: 0, end: file.text.length });
  else {
    rolledBackTransactions(file.statements, sections);
    // (the Supabase CLI runs a migration's down section too: supabaseDownSections)
    if (mayHoldMarker(file.text) && !isSupabaseCliMigration(file.file)) markedSections(file, sections);
    const tern = isSupabaseCliMigration(file.file) ? undefined : ternDownSection(file);
    if (tern) sections.push(tern);
    liquibaseSkipped(file, sections);
  }
  rollbackCache.set(file, sections);
  return sections;
}

/**
 * The statements a transaction undoes: from BEGIN (or START TRANSACTION) to the ROLLBACK that
 * ends it, and from a SAVEPOINT to a ROLLBACK TO it. pgTAP test files (Supabase's
 * supabase/tests/) run in `begin; … rollback;`: nothing they create stays.
 */
function rolledBackTransactions(statements: readonly SectionStatement[], out: Array<{ start: number; end: number }>): void {
  let open: number | undefined;
  const savepoints: Array<{ name: string; start: number }> = [];
  for (const s of statements) {
    if (s.kind !== 'TransactionStmt' || s.origin !== 'file') continue;
    const n = s.node;
    switch (n?.kind) {
      case 'TRANS_STMT_BEGIN':
      case 'TRANS_STMT_START':
        open = s.start;
        savepoints.length = 0;
        break;
      case 'TRANS_STMT_ROLLBACK':
        if (open !== undefined) out.push({ start: open, end: s.end });
        open = undefined;
        savepoints.length = 0;
        break;
      case 'TRANS_STMT_COMMIT':
      case 'TRANS_STMT_PREPARE':
        open = undefined;
        savepoints.length = 0;
        break;
      case 'TRANS_STMT_SAVEPOINT':
        if (open !== undefined && n.savepoint_name) savepoints.push({ name: n.savepoint_name, start: s.start });
        break;
      case 'TRANS_STMT_ROLLBACK_TO':
      case 'TRANS_STMT_RELEASE': {
        let k = savepoints.length - 1;
        while (k >= 0 && savepoints[k]!.name !== n.savepoint_name) k--;
        if (k < 0) break;
        if (n.kind === 'TRANS_STMT_ROLLBACK_TO') {
          out.push({ start: savepoints[k]!.start, end: s.end });
          savepoints.length = k + 1; // (the savepoint stays, those after it go)
        } else savepoints.length = k;
        break;
      }
    }
  }
}

/**
 * tern's separator of a migration's two halves: tern (jackc/tern, a Go migrator) splits each file
 * at its first occurrence (`strings.SplitN(body, "---- create above / drop below ----", 2)`) and
 * runs what is above it when migrating up, what is below only to migrate down.
 */
const TERN_MARKER = '---- create above / drop below ----';

/** The down half of a tern migration (TERN_MARKER to the end), when the marker is a comment between statements. */
function ternDownSection(file: { text: string; statements: readonly { start: number; end: number }[] }): { start: number; end: number } | undefined {
  const at = file.text.indexOf(TERN_MARKER);
  if (at < 0 || file.statements.some((s) => s.start <= at && at < s.end)) return undefined;
  return { start: at, end: file.text.length };
}

/** The rollback sections of a file that keeps both directions of a migration (see rollbackSections). */
function markedSections(file: { text: string; statements: readonly { start: number; end: number }[] }, sections: Array<{ start: number; end: number }>): void {
  let downFrom: number | undefined;
  let nodePgMigrate: boolean | undefined;
  for (const m of file.text.matchAll(MIGRATION_MARKER)) {
    const at = m.index!;
    if (file.statements.some((s) => s.start <= at && at < s.end)) continue; // inside a statement or a body
    if (m[3] !== undefined && !(nodePgMigrate ??= NODE_PG_MIGRATE_UP.test(file.text))) continue;
    const down = (m[1] ?? m[2] ?? m[3])!.toLowerCase() === 'down';
    if (down && downFrom === undefined) downFrom = at;
    else if (!down && downFrom !== undefined) {
      sections.push({ start: downFrom, end: at });
      downFrom = undefined;
    }
  }
  if (downFrom !== undefined) sections.push({ start: downFrom, end: file.text.length });
}

/**
 * A file the Supabase CLI applies as a migration: right in `supabase/migrations/`, named
 * `<digits>_<name>.sql` (pkg/migration/file.go). It splits the file into statements and runs
 * every one (ExecBatch): a dbmate, goose or sql-migrate down marker is only a comment to it.
 */
export function isSupabaseCliMigration(file: string): boolean {
  return /(^|[\\/])supabase[\\/]migrations[\\/][0-9]+_[^\\/]*\.sql$/.test(file);
}

/**
 * The down sections (markedSections) of a file the Supabase CLI applies, with their marker as
 * written: the CLI runs them right after the up section, and so does the replay.
 */
export function supabaseDownSections(file: ParsedFile): Array<{ start: number; end: number; marker: string }> {
  if (!isSupabaseCliMigration(file.file) || !mayHoldMarker(file.text)) return [];
  const sections: Array<{ start: number; end: number }> = [];
  markedSections(file, sections);
  return sections.map((x) => ({ ...x, marker: new RegExp(MIGRATION_MARKER.source, 'i').exec(file.text.slice(x.start))![0].trim() }));
}

/**
 * The down marker (`-- migrate:down`, `-- +goose Down`, `-- +migrate Down`, `-- Down Migration`, as written, or tern's
 * `---- create above / drop below ----`) whose
 * section (markedSections) holds offset `at` of a file that keeps both directions, if any: what
 * runs there runs only when the migration is rolled back.
 */
export function downMarkerAt(file: ParsedFile, at: number): string | undefined {
  if (isSupabaseCliMigration(file.file)) return undefined;
  const tern = ternDownSection(file);
  if (tern && tern.start <= at && at < tern.end) return TERN_MARKER;
  if (!mayHoldMarker(file.text)) return undefined;
  const sections: Array<{ start: number; end: number }> = [];
  markedSections(file, sections);
  const s = sections.find((x) => x.start <= at && at < x.end);
  return s ? new RegExp(MIGRATION_MARKER.source, 'i').exec(file.text.slice(s.start))?.[0].trim() : undefined;
}

// ---- the replay ----
//
// Everything about a statement that does not depend on what the statements before it did is
// compiled once per statement (and default schema) into an op, kept per parsed file: names
// and their keys, locations, privilege lists, options, the prototype of the table, policy or
// function it creates, the reads of a view, the context writes it makes. Parsed files are
// cached per text, so after an edit only the edited file is compiled again and the replay of
// the others is little more than map operations. The replay itself then creates the mutable
// objects of the model (tables, policies, functions, views, triggers, roles) afresh, or,
// resumed from a saved state, copies those it writes to (see "sharing the replay's state");
// a segment after the edit that reads nothing the edit changed is not replayed but redone
// from the record of its last replay, with the same objects (see "redoing a segment").
//
// Names resolve to keys without the replay's state, except an unqualified name under a
// `SET search_path`: it is the first schema of the path that has an object of that name.
// A prototype computed under a search path records the names it resolved that way and is
// reused only while each still resolves to the same key.

/**
 * The keys the unqualified relations (RangeVar nodes) and function calls (FuncCall nodes) of policy
 * expressions resolved to through the `SET search_path` their CREATE POLICY ran under
 * (Model.relKey, Model.callPathKey), and those statements. Kept with the nodes (a re-lint's model
 * holds the statements of files it did not reparse): the prototype that notes them is computed
 * again whenever a name would resolve differently (its deps: throughSearchPath, functionThroughPath).
 */
const pathKeys = new WeakMap<Node, string>();
const pathResolved = new WeakSet<object>();
/** whether a policy was ever replayed under a search_path (most workspaces never are: then nothing is looked up) */
let anyPathResolved = false;

/**
 * Whether the names of a statement (a CREATE / ALTER POLICY), or of one of its policy
 * expressions, resolved through a SET search_path in the last replay that ran it: results kept
 * on it may not hold in the next.
 */
export function resolvedThroughPath(stmtOrExpr: Statement | Node): boolean {
  return anyPathResolved && pathResolved.has(stmtOrExpr);
}

const OP_OTHER = 0;
const OP_CREATE_TABLE = 1;
const OP_CREATE_TABLE_AS = 2;
const OP_VIEW = 3;
const OP_ALTER_TABLE = 4;
const OP_INDEX = 5;
const OP_CREATE_POLICY = 6;
const OP_ALTER_POLICY = 7;
const OP_CREATE_FUNCTION = 8;
const OP_ALTER_FUNCTION = 9;
const OP_ALTER_OWNER = 10;
const OP_CREATE_TRIGGER = 11;
const OP_CREATE_ROLE = 12;
const OP_ALTER_ROLE = 13;
const OP_GRANT = 14;
const OP_DEFAULT_PRIVILEGES = 15;
const OP_DROP = 16;
const OP_RENAME = 17;
const OP_SET = 18;
const OP_DYNAMIC = 19;
const OP_CATALOG_LOOP = 20;

/**
 * A dotted name: its last two non-empty parts, all its key is made of (plainKey), and its key
 * when no search_path is set (`schema.name`, default schema). (Not the parts as a list: an
 * array per name, ≈ 22,000 kept by the bench's cold build, 1.4 MB.)
 */
interface Name {
  schema: string | undefined;
  name: string | undefined;
  key: string;
}

/**
 * An op with a value computed from its statement and the keys of the names it resolved (the
 * prototype of what it creates, a view's reads), and what that value was computed under. (On
 * the op itself rather than in an object of their own with the value: one object fewer kept
 * per statement that creates something, ≈ 18,000 on the bench.)
 */
interface ResolvedOn {
  /** the default schema, and the search_path if one was set; undefined until the value is computed */
  tag: string | undefined;
  /** under a search_path: each unqualified name resolved through it, then its key (flat pairs) */
  deps: string[] | undefined;
}

/** A function named by ALTER FUNCTION, GRANT … ON FUNCTION, ALTER … OWNER TO. */
interface FuncRef {
  name: Name;
  /** argument types joined by `,`, or undefined when not given (all overloads) */
  argKey: string | undefined;
  argCount: number;
}

/** An effect of a function option (CREATE / ALTER FUNCTION), with its location. */
type FuncOption =
  | { kind: 'security'; definer: boolean; loc: Loc }
  | { kind: 'volatility'; value: Func['volatility']; loc: Loc }
  | { kind: 'language'; value: string }
  | { kind: 'set'; name: string; reset: boolean; resetAll: boolean; setting: FunctionSetting | undefined };

interface OpBase {
  stmt: Statement;
  pair: { file: ParsedFile; stmt: Statement };
  here: Loc;
  /** set_config() calls of the statement (not of a CREATE FUNCTION: its body's are in its prototype) */
  setConfig: ContextWrite[] | undefined;
}

interface TableProto {
  partitioned: boolean;
  columns: string[];
  keys: string[][];
  parents: Table['parents'];
  /** its column list has a LIKE clause: the columns (and keys, indexes) it copies are the source table's where the statement runs (likeColumns) */
  like: boolean;
}

interface NewRelation {
  rel: Name;
  /** the schema of rel.key */
  schema: string;
  relname: string;
  temp: boolean;
  created: Loc;
  nameLoc: Loc;
}

interface OpOther extends OpBase {
  kind: typeof OP_OTHER;
}
interface OpCreateTable extends OpBase, NewRelation, ResolvedOn {
  kind: typeof OP_CREATE_TABLE;
  ifNotExists: boolean;
  proto: TableProto | undefined;
  /** a MySQL index clause PostgreSQL reads as a column of an unknown type (inline-index.ts): the statement fails with 42704, unless IF NOT EXISTS finds the table */
  inlineIndex: boolean;
}
interface OpCreateTableAs extends OpBase, NewRelation, ResolvedOn {
  kind: typeof OP_CREATE_TABLE_AS;
  ifNotExists: boolean;
  matview: boolean;
  query: Node;
  reads: Set<string> | undefined;
}
interface OpView extends OpBase, NewRelation, ResolvedOn {
  kind: typeof OP_VIEW;
  replace: boolean;
  query: Node;
  securityInvoker: boolean;
  reads: Set<string> | undefined;
  /** CREATE FOREIGN TABLE (no query; IF NOT EXISTS: ifNotExists) */
  foreign?: { ifNotExists: boolean };
}
interface OpAlterTable extends OpBase {
  kind: typeof OP_ALTER_TABLE;
  rel: Name;
}
interface OpIndex extends OpBase {
  kind: typeof OP_INDEX;
  rel: Name;
  name: string | undefined;
  columns: string[];
  isKey: boolean;
  uniqueWhere: { col: string; value: string } | undefined;
}
interface OpCreatePolicy extends OpBase, ResolvedOn {
  kind: typeof OP_CREATE_POLICY;
  proto: Policy | undefined;
}
interface OpAlterPolicy extends OpBase {
  kind: typeof OP_ALTER_POLICY;
  table: Name;
  name: string;
  roles: string[] | undefined;
}
interface OpCreateFunction extends OpBase, ResolvedOn {
  kind: typeof OP_CREATE_FUNCTION;
  replace: boolean;
  /** PostgreSQL refuses the statement: a LANGUAGE sql body returning text for another declared type (function-replace.ts bodyReturnMismatch, 42P13) */
  bodyRejected: boolean;
  proto: Func | undefined;
  /** the context writes of the prototype's body (with it) */
  writes: ContextWrite[];
}
interface OpAlterFunction extends OpBase {
  kind: typeof OP_ALTER_FUNCTION;
  func: FuncRef;
  options: FuncOption[];
}
interface OpAlterOwner extends OpBase {
  kind: typeof OP_ALTER_OWNER;
  /** undefined unless the object is a function, procedure or routine */
  func: FuncRef | undefined;
  role: string;
}
interface OpCreateTrigger extends OpBase {
  kind: typeof OP_CREATE_TRIGGER;
  rel: Name;
  name: string;
  func: Name;
  events: number;
  row: boolean;
  before: boolean;
  transitionTables: readonly string[];
}
interface OpCreateRole extends OpBase {
  kind: typeof OP_CREATE_ROLE;
  name: string;
  bypassRls: boolean;
  superuser: boolean;
}
interface OpAlterRole extends OpBase {
  kind: typeof OP_ALTER_ROLE;
  name: string;
  /** in order: [attribute, value] */
  sets: Array<['bypassRls' | 'superuser', boolean]>;
}
interface OpGrant extends OpBase {
  kind: typeof OP_GRANT;
  isGrant: boolean;
  objectKind: GrantEvent['objectKind'];
  privileges: string[];
  grantees: string[];
  /** table privileges with ALL spelled out (a GRANT's column privileges too: they give the command) */
  expanded: string[];
  /** the column privileges (`GRANT SELECT (id) ON …`, `REVOKE SELECT (id) ON …`): applyColumnGrant */
  columns?: Array<{ priv: string; cols: string[] }>;
  /** ON ALL … IN SCHEMA: the schemas */
  schemas: string[] | undefined;
  /** ON TABLE: the relations named */
  relations: Name[];
  /** ON FUNCTION: the functions named */
  funcs: FuncRef[];
  execute: boolean;
  /** with `schemas`: only the SECURITY DEFINER functions of them (a DO block's loop over pg_proc keeping `prosecdef`) */
  definersOnly?: true;
  /** the event when it depends on the statement alone (no functions, no search_path) */
  event: GrantEvent | undefined;
}
interface DefaultTableGrant {
  schema?: string;
  expanded: string[];
  grantees: string[];
  isGrant: boolean;
  /**
   * The roles whose new tables it applies to: FOR ROLE's, else (once replayed) the current role
   * the statement ran as; undefined for the session's own role (the one running the migrations).
   */
  creators?: string[];
  /** EXECUTE ON FUNCTIONS (or ROUTINES): for the functions and procedures made afterwards, not relations; with its statement */
  functions?: Loc;
}
interface OpDefaultPrivileges extends OpBase {
  kind: typeof OP_DEFAULT_PRIVILEGES;
  revokesExecute: boolean;
  tableGrants: DefaultTableGrant[];
}
interface OpDrop extends OpBase {
  kind: typeof OP_DROP;
}
/**
 * What a DO block, SELECT or CALL does with dynamic SQL that the replay follows: drop every
 * policy of some tables, by a loop over pg_policies in the DO block (unseen.ts, PolicyDropLoop)
 * or by calls of functions that may hold one, with the string arguments that may name the tables
 * (looked up when replayed); and set the search_path of the functions a DO block's loop names
 * (`EXECUTE format('ALTER FUNCTION %s SET search_path = public, extensions', sig)` over
 * `ARRAY['public.f()']`, as projects fix Supabase's function_search_path_mutable advisory).
 */
interface OpDynamic extends OpBase {
  kind: typeof OP_DYNAMIC;
  loops: PolicyDropLoop[] | undefined;
  calls: Array<{ name: string[]; args: string[] }>;
  searchPaths: Array<{ name: string[]; argc: number; setting: FunctionSetting }>;
  /** a loop over a schema's functions (those named, or the SECURITY DEFINER ones) setting each one's search_path */
  searchPathLoops: Array<{ schema: string; names: string[] | undefined; definersOnly: boolean; withoutSetting: boolean; setting: FunctionSetting }>;
  /** a loop over a literal array of table names enabling, disabling, forcing or unforcing RLS on each: as ALTER TABLE */
  rls: Array<{ rel: Name; kind: RlsEvent['kind']; loc: Loc }>;
  /** a loop over a schema's tables in the catalog doing so to each (but those it leaves out by name) */
  rlsLoops: Array<{ schema: string; except: string[]; kind: RlsEvent['kind']; loc: Loc }>;
  /** a loop over a schema's tables in the catalog dropping each (but those it leaves out by name) */
  tableDrops: Array<{ schema: string; except: string[]; cascade: boolean; loc: Loc }>;
  /** a loop over a schema's functions granting or revoking EXECUTE on each: as GRANT … ON ALL FUNCTIONS IN SCHEMA */
  functionGrants: OpGrant[];
  /** a rewrite of the policies pg_policies returns wrapping calls in sub-selects */
  wraps: PolicyCallWrap[];
  /** a loop over pg_policies giving each policy it lists other roles (`ALTER POLICY %I ON public.%I TO authenticated`) */
  roleLoops: PolicyRoleLoop[];
  /** `SELECT f('users')`: a call with literal values, whose function's callTemplates the replay runs (replayCall) */
  call: LiteralCall | undefined;
}

/** A top-level `SELECT f('a', 'b')`: the one call, its name parts (lower-case) and its values. */
interface LiteralCall {
  node: Node;
  name: string[];
  values: string[];
}

/** The call of a top-level SELECT of one call with only literal string arguments (plain or cast: `'users'::regclass`). */
function literalCall(n: Node): LiteralCall | undefined {
  if (n?.fromClause || n?.whereClause || n?.targetList?.length !== 1) return undefined;
  const call = n.targetList[0]?.ResTarget?.val?.FuncCall;
  if (!call?.args?.length || call.agg_star || call.func_variadic || call.over || call.agg_order || call.agg_filter) return undefined;
  const values: string[] = [];
  for (const a of call.args) {
    const v: unknown = (a?.A_Const ?? a?.TypeCast?.arg?.A_Const)?.sval?.sval;
    if (typeof v !== 'string') return undefined;
    values.push(v);
  }
  return { node: call, name: nameParts(call.funcname).map((x) => x.toLowerCase()), values };
}
interface OpRename extends OpBase {
  kind: typeof OP_RENAME;
}
interface OpSet extends OpBase {
  kind: typeof OP_SET;
  /** SET ROLE: the role (undefined: RESET ROLE / SET ROLE NONE …); not a role setting: false */
  role: string | undefined | false;
  /** SET search_path: the path (undefined: back to none); not a search_path setting: false */
  searchPath: string[] | undefined | false;
  /** `set_config('search_path', '', …)`: the path is '' (searchPath undefined: names resolve as with none) */
  emptyPath?: true;
  write: ContextWrite | undefined;
}

/** A DO block's loop over the tables the catalog lists (catalog-loops.ts): its templates, run for each table it reaches. */
interface OpCatalogLoop extends OpBase {
  kind: typeof OP_CATALOG_LOOP;
  loop: CatalogLoopReplay;
}

type Op =
  | OpCatalogLoop
  | OpOther
  | OpCreateTable
  | OpCreateTableAs
  | OpView
  | OpAlterTable
  | OpIndex
  | OpCreatePolicy
  | OpAlterPolicy
  | OpCreateFunction
  | OpAlterFunction
  | OpAlterOwner
  | OpCreateTrigger
  | OpCreateRole
  | OpAlterRole
  | OpGrant
  | OpDefaultPrivileges
  | OpDrop
  | OpDynamic
  | OpRename
  | OpSet;

/** Whether an ALTER TABLE's RLS subcommands change the table's state (catalog loops: see applyCatalogLoop). */
function changesRls(n: Node, t: Table): boolean {
  let enabled = t.rlsEnabled;
  let forced = t.rlsForced;
  let changes = false;
  for (const c of (n?.cmds ?? []) as Node[]) {
    const sub = c?.AlterTableCmd?.subtype;
    const was = sub === 'AT_EnableRowSecurity' || sub === 'AT_DisableRowSecurity' ? enabled : forced;
    const now = sub === 'AT_EnableRowSecurity' || sub === 'AT_ForceRowSecurity';
    if (was !== now) changes = true;
    if (sub === 'AT_EnableRowSecurity' || sub === 'AT_DisableRowSecurity') enabled = now;
    else forced = now;
  }
  return changes;
}

/**
 * A call's value replayCall puts in a template: a plain lower-case name, not one of PostgreSQL's
 * reserved key words (format's %s puts `true` in as the constant, %I as a name: the template,
 * parsed with a placeholder, has a name there).
 */
const PLAIN_VALUE = /^[a-z_][a-z0-9_$]*$/;
const RESERVED = new Set(
  ('all analyse analyze and any array as asc asymmetric both case cast check collate column constraint create current_catalog ' +
    'current_date current_role current_time current_timestamp current_user default deferrable desc distinct do else end except ' +
    'false fetch for foreign from grant group having in initially intersect into lateral leading limit localtime localtimestamp ' +
    'not null offset on only or order placing primary references returning select session_user some symmetric system_user table ' +
    'then to trailing true union unique user using variadic when where window with').split(' '),
);
const plainValue = (v: string): boolean => PLAIN_VALUE.test(v) && !RESERVED.has(v);

/** The op of a catalog loop's statement for one table (kept per statement and default schema: instantiate keeps the statements). */
const catalogOps = new WeakMap<Statement, { ds: string; op: Op }>();
function catalogOp(file: ParsedFile, stmt: Statement, ds: string): Op | undefined {
  const hit = catalogOps.get(stmt);
  if (hit && hit.ds === ds) return hit.op;
  const op = compile(file, stmt, ds, []);
  catalogOps.set(stmt, { ds, op });
  return op;
}

/** A file's ops, one per statement (null: in a rollback section), for one default schema. */
interface FilePlan {
  defaultSchema: string;
  ops: Array<Op | null>;
  /** the footprints of its segments (see footprintOf), by from * 2^20 + to */
  footprints?: Map<number, Footprint | null>;
}

const plans = new WeakMap<ParsedFile, FilePlan>();

function planOf(file: ParsedFile, defaultSchema: string): FilePlan {
  const hit = plans.get(file);
  if (hit && hit.defaultSchema === defaultSchema) return hit;
  const sections = rollbackSections(file);
  const setConfigAt = setConfigOffsets(file);
  const ops: Array<Op | null> = [];
  const statements = file.statements;
  for (let i = 0; i < statements.length; i++) {
    const stmt = statements[i]!;
    const at = stmt.start;
    ops.push(sections.length > 0 && sections.some((r) => r.start <= at && at < r.end) ? null : compile(file, stmt, defaultSchema, setConfigAt));
  }
  const plan = { defaultSchema, ops };
  plans.set(file, plan);
  return plan;
}

/** The schema part lastName() found (a module variable: these run per name, an object each would be garbage). */
let lastSchema: string | undefined;

/** The last non-empty of name parts, and the one before it in lastSchema. */
function lastName(parts: ReadonlyArray<string | undefined>): string | undefined {
  let name: string | undefined;
  lastSchema = undefined;
  for (let i = parts.length - 1; i >= 0; i--) {
    const x = parts[i];
    if (!x) continue;
    if (name === undefined) name = x;
    else {
      lastSchema = x;
      break;
    }
  }
  return name;
}

/**
 * The key of name parts: the last two non-empty parts; a single name goes to `unqualified`
 * (a search_path lookup) or else to the default schema.
 */
function plainKey(parts: ReadonlyArray<string | undefined>, defaultSchema: string, unqualified?: (name: string) => string): string {
  const name = lastName(parts);
  const schema = lastSchema;
  if (name === undefined) return '';
  if (schema === undefined && unqualified) return unqualified(name);
  return `${schema ?? defaultSchema}.${name}`;
}

/** The Name of name parts. */
function nameOf(parts: ReadonlyArray<string | undefined>, defaultSchema: string): Name {
  const name = lastName(parts);
  return named(lastSchema, name, defaultSchema);
}

/** The Name of a RangeVar (nameOf its schema and relation names). */
function relName(rv: Node, defaultSchema: string): Name {
  const schema: string | undefined = rv?.schemaname || undefined;
  const rel: string | undefined = rv?.relname || undefined;
  return rel ? named(schema, rel, defaultSchema) : named(undefined, schema, defaultSchema);
}

const named = (schema: string | undefined, name: string | undefined, defaultSchema: string): Name => ({
  schema,
  name,
  key: name === undefined ? '' : `${schema ?? defaultSchema}.${name}`,
});

function funcRef(obj: Node, defaultSchema: string): FuncRef {
  const o = obj?.ObjectWithArgs ?? obj;
  const name = nameOf(nameParts(o?.objname), defaultSchema);
  if (o?.args_unspecified || !o?.objargs) return { name, argKey: undefined, argCount: 0 };
  const types: string[] = (o.objargs ?? []).map((t: Node) => argTypeName(t.TypeName ?? t, defaultSchema));
  return { name, argKey: types.join(','), argCount: types.length };
}

/**
 * An argument's type as a function's identity compares it: a type of the default schema without
 * it, as the unqualified name resolves through the search_path (`f(job public.import_job)` is
 * `f(job import_job)`: a CREATE OR REPLACE of one replaces the other).
 */
function argTypeName(t: Node, defaultSchema: string): string {
  const name = typeName(t);
  return name.length > defaultSchema.length && name.charCodeAt(defaultSchema.length) === 46 && name.startsWith(defaultSchema) ? name.slice(defaultSchema.length + 1) : name;
}

const argKeys = new WeakMap<string[], string>();
/** A function's argument types joined by `,` (the types array is shared by the copies of one prototype). */
function argKeyOf(f: Pick<Func, 'argTypes'>): string {
  let k = argKeys.get(f.argTypes);
  if (k === undefined) argKeys.set(f.argTypes, (k = f.argTypes.join(',')));
  return k;
}

/** The op of a statement; `setConfigAt`: where the file's text says `set_config`. */
function compile(file: ParsedFile, stmt: Statement, ds: string, setConfigAt: readonly number[]): Op {
  const n = stmt.node;
  const here = locOf(file, stmt.start, stmt.end);
  let setConfig: ContextWrite[] | undefined;
  try {
    if (stmt.kind !== 'CreateFunctionStmt' && hasSetConfig(setConfigAt, stmt)) setConfig = setConfigWrites(n, here, undefined);
  } catch {
    // (the replay skips the statement's set_config calls)
  }
  const pair = { file, stmt };
  try {
    switch (stmt.kind) {
      case 'CreateStmt':
      {
        const r = newRelation(file, stmt, n.relation, ds, here);
        // (one in a DO block never replaces a table that exists either: it sits under IF NOT EXISTS
        // (… information_schema.tables …) most often, and otherwise fails with 42P07 and its DO block
        // with it; the model replaced the table, and reported RLS never enabled on it)
        return { kind: OP_CREATE_TABLE, stmt, pair, here, setConfig, rel: r.rel, schema: r.schema, relname: r.relname, temp: r.temp, created: r.created, nameLoc: r.nameLoc, ifNotExists: !!n.if_not_exists || stmt.origin === 'do', tag: undefined, deps: undefined, proto: undefined, inlineIndex: inlineIndexes(n).length !== 0 };
      }
      case 'CreateTableAsStmt': {
        const into = n.into?.rel;
        if (!into) break;
        const r = newRelation(file, stmt, into, ds, here);
        return {
          kind: OP_CREATE_TABLE_AS,
          stmt,
          pair,
          here,
          setConfig,
          ...r,
          ifNotExists: !!n.if_not_exists,
          matview: n.objtype === 'OBJECT_MATVIEW',
          query: n.query,
          tag: undefined,
          deps: undefined,
          reads: undefined,
        };
      }
      case 'ViewStmt': {
        let securityInvoker = false;
        for (const o of n.options ?? []) if (o.DefElem?.defname === 'security_invoker') securityInvoker = boolOption(o.DefElem);
        return viewOp({ stmt, pair, here, setConfig }, newRelation(file, stmt, n.view, ds, here), !!n.replace, n.query, securityInvoker, undefined);
      }
      case 'CreateForeignTableStmt': {
        const rv = n.base?.relation;
        if (!rv?.relname) break;
        return viewOp({ stmt, pair, here, setConfig }, newRelation(file, stmt, rv, ds, here), false, undefined, false, { ifNotExists: !!n.base.if_not_exists });
      }
      case 'AlterTableStmt':
        return { kind: OP_ALTER_TABLE, stmt, pair, here, setConfig, rel: relName(n.relation, ds) };
      case 'IndexStmt':
        return {
          kind: OP_INDEX,
          stmt,
          pair,
          here,
          setConfig,
          rel: relName(n.relation, ds),
          name: n.idxname,
          columns: (n.indexParams ?? []).map((p: Node) => p.IndexElem?.name ?? '(expression)'),
          // (a partial unique index, `… (user_id) WHERE status = 'active'`, is no key: other rows may
          // share the value, journeys-tribe's one active trip per user)
          isKey: !!(n.unique || n.primary) && !n.whereClause,
          uniqueWhere: n.unique && n.whereClause ? uniqueWhereOf(n.whereClause) : undefined,
        };
      case 'CreatePolicyStmt':
        return { kind: OP_CREATE_POLICY, stmt, pair, here, setConfig, tag: undefined, deps: undefined, proto: undefined };
      case 'AlterPolicyStmt':
        return { kind: OP_ALTER_POLICY, stmt, pair, here, setConfig, table: relName(n.table, ds), name: n.policy_name, roles: n.roles ? n.roles.map(roleName) : undefined };
      case 'CreateFunctionStmt':
        return { kind: OP_CREATE_FUNCTION, stmt, pair, here, setConfig, replace: !!n.replace, bodyRejected: bodyReturnMismatch(file, stmt) !== undefined || parameterRejection(file, stmt) !== undefined, tag: undefined, deps: undefined, proto: undefined, writes: NO_WRITES };
      case 'AlterFunctionStmt':
        return { kind: OP_ALTER_FUNCTION, stmt, pair, here, setConfig, func: funcRef(n.func, ds), options: functionOptions(n.actions, file, stmt) };
      case 'AlterOwnerStmt': {
        const isFunc = n.objectType === 'OBJECT_FUNCTION' || n.objectType === 'OBJECT_PROCEDURE' || n.objectType === 'OBJECT_ROUTINE';
        return { kind: OP_ALTER_OWNER, stmt, pair, here, setConfig, role: roleName(n.newowner), func: isFunc ? funcRef(n.object, ds) : undefined };
      }
      case 'CreateTrigStmt':
        return { kind: OP_CREATE_TRIGGER, stmt, pair, here, setConfig, rel: relName(n.relation, ds), name: n.trigname, func: nameOf(nameParts(n.funcname), ds), events: Number(n.events) || 0, row: !!n.row, before: Number(n.timing) === 2, transitionTables: transitionTablesOf(n) };
      case 'CreateRoleStmt': {
        const opts = defElems(n.options);
        return {
          kind: OP_CREATE_ROLE,
          stmt,
          pair,
          here,
          setConfig,
          name: String(n.role),
          bypassRls: !!opts.get('bypassrls')?.arg?.Boolean?.boolval,
          superuser: !!opts.get('superuser')?.arg?.Boolean?.boolval,
        };
      }
      case 'AlterRoleStmt': {
        const sets: OpAlterRole['sets'] = [];
        for (const o of n.options ?? []) {
          const d = o.DefElem;
          if (d?.defname === 'bypassrls') sets.push(['bypassRls', !!d.arg?.Boolean?.boolval]);
          if (d?.defname === 'superuser') sets.push(['superuser', !!d.arg?.Boolean?.boolval]);
        }
        return { kind: OP_ALTER_ROLE, stmt, pair, here, setConfig, name: roleName(n.role), sets };
      }
      case 'GrantStmt':
        return compileGrant({ stmt, pair, here, setConfig }, n, ds);
      case 'AlterDefaultPrivilegesStmt': {
        const a = n.action;
        if (!a) break;
        const privs: string[] = (a.privileges ?? []).map((p: Node) => String(p.AccessPriv?.priv_name ?? '').toLowerCase());
        const grantees: string[] = (a.grantees ?? []).map(roleName);
        // IN SCHEMA: per-schema defaults only add to the global ones, so a per-schema REVOKE of PUBLIC's EXECUTE does nothing (measured on PGlite)
        const options = defElems(n.options);
        const inSchema = options.has('schemas');
        const revokesExecute = a.objtype === 'OBJECT_FUNCTION' && !a.is_grant && !inSchema && grantees.includes('public') && (privs.length === 0 || privs.includes('execute'));
        const tableGrants: DefaultTableGrant[] = [];
        const schemaList: string[] = (options.get('schemas')?.arg?.List?.items ?? []).map((x: Node) => sval(x)!);
        const forRoles = options.get('roles')?.arg?.List?.items?.map(roleName) as string[] | undefined;
        const creators = forRoles?.length ? forRoles : undefined;
        if (a.objtype === 'OBJECT_TABLE') {
          const expanded = expandPrivileges(privs.length ? privs : ['all']);
          for (const schema of schemaList.length ? schemaList : [undefined]) tableGrants.push({ schema, expanded, grantees, isGrant: !!a.is_grant, creators });
        }
        // (EXECUTE for roles other than PUBLIC, whose default is revokesExecute's; REVOKE GRANT OPTION FOR keeps the privilege)
        if (a.objtype === 'OBJECT_FUNCTION' && (privs.length === 0 || privs.includes('execute') || privs.includes('all')) && (a.is_grant || !a.grant_option) && grantees.some((g) => g !== 'public')) {
          for (const schema of schemaList.length ? schemaList : [undefined]) tableGrants.push({ schema, expanded: ['execute'], grantees, isGrant: !!a.is_grant, creators, functions: here });
        }
        return { kind: OP_DEFAULT_PRIVILEGES, stmt, pair, here, setConfig, revokesExecute, tableGrants };
      }
      case 'DropStmt':
        return { kind: OP_DROP, stmt, pair, here, setConfig };
      case CATALOG_LOOP_KIND:
        // (its footprint is every table: computeFootprint's default, never recorded)
        if (stmt.catalog) return { kind: OP_CATALOG_LOOP, stmt, pair, here, setConfig, loop: stmt.catalog };
        break;
      case 'DoStmt':
      case 'SelectStmt':
      case 'CallStmt': {
        // `SELECT pg_catalog.set_config('search_path', 'app', false)` (pg_dump's, debate-map's): as SET search_path
        const path = stmt.kind === 'SelectStmt' && setConfig?.some((w) => w.name === 'search_path') ? setConfigSearchPath(n) : undefined;
        if (path) return { kind: OP_SET, stmt, pair, here, setConfig, role: false, searchPath: path.length ? path : undefined, ...(path.length ? {} : { emptyPath: true as const }), write: undefined };
        // (a loop dropping every policy of some tables, or a call of a function that may hold one)
        const body = stmt.kind === 'DoStmt' ? stmt.body : undefined;
        const found = body ? policyDropLoops(body) : undefined;
        // (a loop that drops each policy to create it again with its calls wrapped, ft's batch-1
        // initplan fix: the policies stay, wrapped — `wraps` below)
        const wraps = (body && stmt.kind === 'DoStmt' && policyCallWraps(body)) || [];
        const loops = found && !found.some((l) => l.byParameter) && !wraps.length ? found : undefined;
        const calls: OpDynamic['calls'] = [];
        if (body) for (const b of body.statements) tableNamingCalls(b.node, calls);
        else tableNamingCalls(n, calls);
        const searchPaths = body ? dynamicSearchPaths(file, body) : [];
        const searchPathLoops = body && stmt.kind === 'DoStmt' ? dynamicSearchPathLoops(file, body) : [];
        const functionGrants = body ? [...dynamicFunctionGrants(body), ...dynamicFunctionListGrants(body, ds)].map((g): OpGrant => ({ kind: OP_GRANT, stmt, pair, here, setConfig, objectKind: 'function', expanded: [], relations: [], funcs: [], event: undefined, ...g })) : [];
        const rls = body && stmt.kind === 'DoStmt' ? dynamicRlsChanges(file, body, ds) : [];
        const rlsLoops = body && stmt.kind === 'DoStmt' ? dynamicRlsCatalogLoops(file, body) : [];
        const tableDrops = body && stmt.kind === 'DoStmt' ? dynamicTableDropLoops(file, body) : [];
        const call = stmt.kind === 'SelectStmt' && stmt.origin === 'file' ? literalCall(n) : undefined;
        const roleLoops = body && stmt.kind === 'DoStmt' ? dynamicPolicyRoleLoops(body) : [];
        if (loops || calls.length || searchPaths.length || searchPathLoops.length || functionGrants.length || rls.length || rlsLoops.length || wraps.length || tableDrops.length || roleLoops.length || call)
          return { kind: OP_DYNAMIC, stmt, pair, here, setConfig, loops, calls, searchPaths, searchPathLoops, rls, rlsLoops, tableDrops, functionGrants, wraps, roleLoops, call };
        break;
      }
      case 'RenameStmt':
      case 'AlterObjectSchemaStmt': // (ALTER … SET SCHEMA: a move, as a rename of the schema part)
        return { kind: OP_RENAME, stmt, pair, here, setConfig };
      case 'VariableSetStmt': {
        const name = String(n.name ?? '').toLowerCase();
        let role: OpSet['role'] = false;
        // (SET SESSION AUTHORIZATION: the session's user, and its current role, until the next one)
        const roleSetting = name === 'role' || name === 'session_authorization';
        if (roleSetting && n.kind === 'VAR_SET_VALUE') role = String(sval(n.args?.[0]?.A_Const?.sval) ?? '') || undefined; // (`SET ROLE App` comes folded, `SET ROLE 'App'` keeps its case, as PostgreSQL reads them)
        else if (roleSetting) role = undefined;
        // SET search_path TO a, b / SET SCHEMA 'a' (RESET / DEFAULT: back to the default)
        let searchPath: OpSet['searchPath'] = false;
        if (name === 'search_path') searchPath = n.kind === 'VAR_SET_VALUE' ? (n.args ?? []).map((a: Node) => String(sval(a?.A_Const?.sval) ?? sval(a) ?? '')).filter((x: string) => x) : undefined;
        const write: ContextWrite | undefined = name.includes('.') || name === 'row_security' ? { name, local: !!n.is_local, via: 'set', loc: here, node: n } : undefined;
        return { kind: OP_SET, stmt, pair, here, setConfig, role, searchPath, write };
      }
    }
  } catch {
    // a statement of an unexpected shape changes nothing (the replay skips it)
  }
  return { kind: OP_OTHER, stmt, pair, here, setConfig };
}

/** What creating a relation names; `here`: the statement's location (its `created`). */
const DYNAMIC_SEARCH_PATH = /^\s*format\s*\(\s*'ALTER\s+(?:FUNCTION|ROUTINE|PROCEDURE)\s+(?:%[sI]|(?:%I|[A-Za-z_][\w$]*)\s*\.\s*%I\s*\(\s*%s\s*\))\s+SET\s+(search_path\s*(?:=|TO)\s*([^'%]*?))\s*'\s*,/i;
const SIGNATURE = /^\s*((?:[A-Za-z_][\w$]*\.)?[A-Za-z_][\w$]*)\s*\(([^()]*)\)\s*$/;

/** `'ALTER FUNCTION ' || f.sig || ' SET search_path = public'`: the setting (group 1) and its values (group 2). */
const CONCAT_SEARCH_PATH = /^\s*'\s*ALTER\s+(?:FUNCTION|ROUTINE|PROCEDURE)\s+'\s*\|\|\s*[\w.]+(?:\s*::\s*\w+)?\s*\|\|\s*'\s*SET\s+(search_path\s*(?:=|TO)\s*([^'%]*?))\s*;?\s*'\s*$/i;

/** The setting a dynamic `ALTER FUNCTION … SET search_path = …` of a DO block writes, located in the file (where a fix appends to it), or undefined. */
function dynamicSetting(file: ParsedFile, d: DynamicExecute): FunctionSetting | undefined {
  const m = DYNAMIC_SEARCH_PATH.exec(d.text) ?? CONCAT_SEARCH_PATH.exec(d.text);
  if (!m) return undefined;
  const at = d.start + d.text.indexOf(m[1]!);
  if (file.text.slice(at, at + m[1]!.length) !== m[1]) return undefined;
  const values = m[2]!.split(',').map((v) => v.trim().replace(/^"(.*)"$/, '$1'));
  if (values.some((v) => v === '' || /["\s]/.test(v))) return undefined;
  return { name: 'search_path', values, loc: locOf(file, at, at + m[1]!.length) };
}

/**
 * A DO block's loop over pg_proc setting each function's search_path with dynamic ALTER FUNCTION
 * (kitloop: `FOR f IN SELECT oid::regprocedure::text FROM pg_proc … WHERE nspname = 'public' AND
 * prosecdef LOOP EXECUTE 'ALTER FUNCTION ' || f || ' SET search_path = public'`; or `… AND
 * proname = name` inside a FOREACH over a list of names): the functions of that schema it reaches,
 * when its query filters on nothing else (an owner other than supabase_admin is every workspace
 * function). One such query and statement per block.
 */
function dynamicSearchPathLoops(file: ParsedFile, body: FunctionBody): OpDynamic['searchPathLoops'] {
  const settings = body.dynamicExecutes.map((d) => dynamicSetting(file, d)).filter((x): x is FunctionSetting => !!x);
  if (settings.length !== 1) return [];
  const queries = body.statements.filter((b) => b.kind === 'SelectStmt' && relationsIn(b.node).some((r) => r.name === 'pg_proc'));
  if (queries.length !== 1) return [];
  let schema: string | undefined;
  let names: string[] | undefined;
  let definersOnly = false;
  let withoutSetting = false;
  let other = false;
  const literals = () => {
    // (`proname = func_name`, the variable of a FOREACH over the block's list: the names the block writes in strings)
    const out: string[] = [];
    for (const b of body.statements) walk(b.node, (k, c) => void (k === 'A_Const' && typeof c.sval?.sval === 'string' && /^[A-Za-z_][\w$]*$/.test(c.sval.sval) && out.push(c.sval.sval.toLowerCase())));
    return out;
  };
  for (const c of conjuncts(queries[0]!.node?.whereClause)) {
    const e = c?.A_Expr;
    const col = e ? lastColumn(e.lexpr) : c?.ColumnRef ? lastColumn(c) : undefined;
    const op = e ? sval(e.name?.[0]) : undefined;
    const v = e?.kind === 'AEXPR_OP' && op === '=' ? stringConst(e.rexpr) ?? stringConst(e.rexpr?.TypeCast?.arg) : undefined;
    if ((col === 'nspname' || col === 'pronamespace') && v !== undefined) schema = v.toLowerCase();
    else if (col === 'prosecdef' && (!e || (op === '=' && e.rexpr?.A_Const?.boolval?.boolval === true))) definersOnly = true;
    else if (col === 'proname' && e?.kind === 'AEXPR_OP' && op === '=') names = v !== undefined ? [v.toLowerCase()] : e.rexpr?.ColumnRef ? literals() : undefined;
    else if (col === 'proname' && e?.kind === 'AEXPR_IN' && op === '=') {
      // (`proname IN ('f', 'g')`: those names, each a string)
      const items: Node[] = e.rexpr?.List?.items ?? [];
      const list = items.map((x) => stringConst(x));
      names = items.length && list.every((x) => x !== undefined) ? list.map((x) => x!.toLowerCase()) : undefined;
    }
    else if (col === 'prokind' || col === 'proisagg') continue;
    else if (withoutSearchPath(c)) withoutSetting = true;
    else if (e && (op === '<>' || op === '!=') && callsIn(e.lexpr).some((x) => x.name[x.name.length - 1] === 'pg_get_userbyid') && stringConst(e.rexpr) === 'supabase_admin') continue;
    else other = true;
    if (col === 'proname' && !names) other = true;
  }
  if (!schema || other) return [];
  // (`format('ALTER FUNCTION public.%I(%s) …', proname, args)`: the schema it writes must be the one the query keeps)
  const written = body.dynamicExecutes.map((d) => /^\s*format\s*\(\s*'ALTER\s+(?:FUNCTION|ROUTINE|PROCEDURE)\s+([A-Za-z_][\w$]*)\s*\./i.exec(d.text)?.[1]).find((x) => x !== undefined);
  if (written !== undefined && written.toLowerCase() !== schema) return [];
  return [{ schema, names, definersOnly, withoutSetting, setting: settings[0]! }];
}

/**
 * A DO block's loop over pg_policies giving every policy it lists other roles by dynamic SQL:
 * `FOR pol IN SELECT tablename, policyname FROM pg_policies WHERE schemaname = 'public' AND roles @>
 * ARRAY['public'::name] AND tablename IN (…) LOOP EXECUTE format('ALTER POLICY %I ON public.%I TO
 * authenticated;', pol.policyname, pol.tablename)` (rifkiri/betterme's last migration, moving its
 * policies for PUBLIC to authenticated). `schemas`, `tables`: what its WHERE keeps (undefined: any);
 * `except`: the policies it leaves out by name; `withRoles`: the roles a policy must have among its
 * own (`roles @> ARRAY['public'::name]`, `'public' = ANY (roles)`); `roles`: the ones it gets.
 */
export interface PolicyRoleLoop {
  schemas: string[] | undefined;
  tables: string[] | undefined;
  except: string[];
  withRoles: string[];
  roles: string[];
}

/** `format('ALTER POLICY %I ON public.%I TO authenticated', …)` or `ON %I.%I`: the schema written (group 1, none for %I), the roles (group 2), the arguments (group 3). */
const DYNAMIC_ALTER_POLICY_TO = /^\s*format\s*\(\s*'ALTER\s+POLICY\s+%I\s+ON\s+(?:([A-Za-z_][\w$]*)|%I)\s*\.\s*%I\s+TO\s+([^';%]+?)\s*;?\s*'\s*,([^()]*)\)\s*$/i;

/** The block's policy role loops (see PolicyRoleLoop): one EXECUTE altering the roles of what one query of pg_policies lists, every condition of its WHERE understood; else none. */
function dynamicPolicyRoleLoops(body: FunctionBody): PolicyRoleLoop[] {
  const alters = body.dynamicExecutes.filter((d) => /\balter\s+policy\b/i.test(d.text));
  if (alters.length !== 1) return [];
  const m = DYNAMIC_ALTER_POLICY_TO.exec(alters[0]!.text);
  if (!m) return [];
  // (the arguments in the placeholders' order: the policy's name, the schema's when %I writes it, the table's)
  const args = m[3]!.split(',').map((a) => a.trim().toLowerCase().replace(/^.*\./, ''));
  const wanted = m[1] === undefined ? ['policyname', 'schemaname', 'tablename'] : ['policyname', 'tablename'];
  if (args.length !== wanted.length || args.some((a, i) => a !== wanted[i])) return [];
  const roles: string[] = [];
  for (const r of m[2]!.split(',')) {
    const t = r.trim();
    const q = /^"((?:[^"]|"")+)"$/.exec(t);
    if (q) roles.push(q[1]!.replace(/""/g, '"'));
    else if (/^[A-Za-z_][\w$]*$/.test(t)) roles.push(t.toLowerCase());
    else return [];
  }
  const isCatalog = (rv: Node) => rv?.relname === 'pg_policies' && (rv.schemaname === undefined || rv.schemaname === 'pg_catalog');
  const queries = body.statements.filter((b) => b.kind === 'SelectStmt' && census(b.node).rangeVars.some(isCatalog));
  if (queries.length !== 1 || queries[0]!.assigns) return [];
  const q = queries[0]!.node;
  const from: Node[] = q?.fromClause ?? [];
  if (from.length !== 1 || !isCatalog(from[0]?.RangeVar)) return [];
  const loop: PolicyRoleLoop = { schemas: m[1] === undefined ? undefined : [m[1].toLowerCase()], tables: undefined, except: [], withRoles: [], roles };
  const strings = (values: Node[] | undefined): string[] | undefined => {
    if (!Array.isArray(values) || !values.length) return undefined;
    const out = values.map((v) => stringConst(v) ?? stringConst(v?.TypeCast?.arg));
    return out.every((x) => typeof x === 'string') ? (out as string[]) : undefined;
  };
  for (const c of conjuncts(q.whereClause)) {
    const e = c?.A_Expr;
    if (!e) return [];
    const op = sval(e.name?.[0]);
    const col = lastColumn(e.lexpr);
    const values = e.kind === 'AEXPR_IN' ? (e.rexpr?.List?.items ?? e.rexpr) : e.kind === 'AEXPR_OP_ANY' ? e.rexpr?.A_ArrayExpr?.elements : e.kind === 'AEXPR_OP' ? [e.rexpr] : undefined;
    if ((col === 'schemaname' || col === 'tablename') && op === '=') {
      const v = strings(values);
      if (!v) return [];
      if (col === 'tablename') loop.tables = v;
      // (a schema the EXECUTE does not write is one its ALTER POLICY does not reach)
      else if (loop.schemas && !v.every((x) => loop.schemas!.includes(x))) return [];
      else loop.schemas = v;
    } else if (col === 'policyname' && op === '<>') {
      const v = strings(values);
      if (!v) return [];
      loop.except.push(...v);
    } else if (col === 'roles' && op === '@>' && e.kind === 'AEXPR_OP') {
      const v = strings(e.rexpr?.A_ArrayExpr?.elements ?? e.rexpr?.TypeCast?.arg?.A_ArrayExpr?.elements);
      if (!v) return [];
      loop.withRoles.push(...v);
    } else if (e.kind === 'AEXPR_OP_ANY' && op === '=' && lastColumn(e.rexpr) === 'roles') {
      const v = stringConst(e.lexpr) ?? stringConst(e.lexpr?.TypeCast?.arg);
      if (v === undefined) return [];
      loop.withRoles.push(v);
    } else return [];
  }
  return [loop];
}

/** A condition keeping the functions with no search_path setting: `proconfig IS NULL OR NOT EXISTS (… option_name = 'search_path')` (camerpulse), `NOT (proconfig::text LIKE '%search_path%')`. */
function withoutSearchPath(c: Node): boolean {
  let proconfig = false;
  let named = false;
  walk(c, (k, v) => {
    if (k === 'ColumnRef' && lastColumn({ ColumnRef: v }) === 'proconfig') proconfig = true;
    if (k === 'A_Const' && typeof v.sval?.sval === 'string' && /search_path/i.test(v.sval.sval)) named = true;
  });
  return proconfig && (named || !!c?.NullTest);
}

/** OpDynamic's searchPaths: the signatures a DO block names in strings, each set the search_path its dynamic ALTER FUNCTION writes. */
function dynamicSearchPaths(file: ParsedFile, body: FunctionBody): OpDynamic['searchPaths'] {
  const out: OpDynamic['searchPaths'] = [];
  for (const d of body.dynamicExecutes) {
    // (format('ALTER FUNCTION %s SET …', f) only: a concatenation names no signature in a string)
    const setting = DYNAMIC_SEARCH_PATH.test(d.text) ? dynamicSetting(file, d) : undefined;
    if (!setting) continue;
    for (const b of body.statements) {
      walk(b.node, (k, c) => {
        const sig = k === 'A_Const' && typeof c.sval?.sval === 'string' ? SIGNATURE.exec(c.sval.sval) : null;
        if (!sig) return;
        const args = sig[2]!.trim();
        out.push({ name: sig[1]!.split('.').map((x) => x.toLowerCase()), argc: args ? args.split(',').length : 0, setting });
      });
    }
  }
  return out;
}

/**
 * The path a `SELECT set_config('search_path', '<constant>', …)` with nothing else (no FROM) sets,
 * as SET search_path writes it (an empty one: none, the default), or undefined (also where
 * PostgreSQL rejects the value: searchPathSetting).
 */
function setConfigSearchPath(n: Node): string[] | undefined {
  if (n.fromClause || n.whereClause || n.targetList?.length !== 1) return undefined;
  const call = n.targetList[0]?.ResTarget?.val?.FuncCall;
  const name = nameParts(call?.funcname ?? []).join('.');
  if (name !== 'set_config' && name !== 'pg_catalog.set_config') return undefined;
  if (stringConst(call.args?.[0])?.toLowerCase() !== 'search_path') return undefined;
  const value = stringConst(call.args?.[1]);
  return value === undefined ? undefined : searchPathSetting(value);
}


/** The subcommand of FORMAT_RLS's match as an RLS event. */
function rlsKindOf(word: string): RlsEvent['kind'] {
  const w = word.toUpperCase().replace(/\s+/g, ' ');
  return w === 'ENABLE' ? 'enable' : w === 'DISABLE' ? 'disable' : w === 'FORCE' ? 'force' : 'no-force';
}

/**
 * A DO block's loop over a schema's tables in the catalog running `EXECUTE format('ALTER TABLE
 * public.%I DISABLE ROW LEVEL SECURITY', tbl.tablename)` (drive-247's "disable RLS on all public
 * tables"): what it does, to every table of the schema that exists when it runs but those its
 * query leaves out by name. Only a block with one such query (pg_tables, or information_schema.tables
 * of base tables) and one such statement; nothing when its query filters on anything else.
 */
function dynamicRlsCatalogLoops(file: ParsedFile, body: FunctionBody): OpDynamic['rlsLoops'] {
  const execs = body.dynamicExecutes.filter((d) => !d.each && !d.materialized).map((d) => ({ d, m: FORMAT_RLS.exec(d.text) })).filter((x) => x.m);
  if (execs.length !== 1 || body.dynamicExecutes.length !== 1) return [];
  const { d, m } = execs[0]! as { d: DynamicExecute; m: RegExpExecArray };
  // (the tables with, or without, RLS: the change is the same for the others)
  const loop = catalogTableLoop(body, true);
  if (!loop || (m[1] && m[1].toLowerCase() !== loop.schema.toLowerCase())) return [];
  return [{ schema: loop.schema, except: loop.except, kind: rlsKindOf(m[3]!), loc: locOf(file, d.start, d.end) }];
}

/**
 * The one query of a schema's tables in the catalog a DO block loops over (pg_tables, or
 * information_schema.tables of base tables): its schema and the tables its WHERE leaves out by
 * name. Undefined when the block has no such query or several, or the WHERE filters on anything
 * else (on `rowsecurity` only with `anyRowSecurity`).
 */
function catalogTableLoop(body: FunctionBody, anyRowSecurity: boolean): { schema: string; except: string[]; end: number } | undefined {
  const queries = body.statements.filter((b) => b.kind === 'SelectStmt' && relationsIn(b.node).some((r) => r.name === 'pg_tables' || (r.schema === 'information_schema' && r.name === 'tables')));
  if (queries.length !== 1) return undefined;
  let schema: string | undefined;
  const except: string[] = [];
  for (const c of conjuncts(queries[0]!.node?.whereClause)) {
    const e = c?.A_Expr;
    const col = e ? lastColumn(e.lexpr) : c?.ColumnRef ? lastColumn(c) : undefined;
    const op = e ? sval(e.name?.[0]) : undefined;
    const v = e?.kind === 'AEXPR_OP' ? stringConst(e.rexpr) : undefined;
    if ((col === 'schemaname' || col === 'table_schema') && op === '=' && v !== undefined) schema = v;
    else if (col === 'table_type' && op === '=' && v === 'BASE TABLE') continue;
    else if (col === 'rowsecurity' && anyRowSecurity) continue;
    else if ((col === 'tablename' || col === 'table_name') && e?.kind === 'AEXPR_OP' && (op === '<>' || op === '!=') && v !== undefined) except.push(v);
    else if ((col === 'tablename' || col === 'table_name') && e?.kind === 'AEXPR_IN' && op === '<>') {
      const vs = ((e.rexpr?.List?.items ?? e.rexpr) as Node[]).map(stringConst);
      if (!vs.every((x) => typeof x === 'string')) return undefined;
      except.push(...(vs as string[]));
    } else return undefined;
  }
  return schema ? { schema, except, end: queries[0]!.end } : undefined;
}

/** `format('DROP TABLE IF EXISTS public.%I CASCADE', r.tablename)`, or the same made with `||` and quote_ident. */
const DYNAMIC_DROP_TABLE = /^\s*(?:format\s*\(\s*)?'\s*DROP\s+TABLE\s+(?:IF\s+EXISTS\s+)?(?:"?([A-Za-z_][\w$]*)"?\s*\.\s*)?(?:%[Is]|'\s*\|\|)/i;

/**
 * A DO block's loop over a schema's tables in the catalog dropping each (`FOR r IN SELECT
 * tablename FROM pg_tables WHERE schemaname = 'public' LOOP EXECUTE format('DROP TABLE IF EXISTS
 * public.%I CASCADE', r.tablename)`, Mipos's "reset full schema"): every table of the schema that
 * exists when it runs is dropped, but those its query leaves out by name.
 */
function dynamicTableDropLoops(file: ParsedFile, body: FunctionBody): OpDynamic['tableDrops'] {
  const loop = catalogTableLoop(body, false);
  if (!loop) return [];
  const out: OpDynamic['tableDrops'] = [];
  for (const d of body.dynamicExecutes) {
    const m = d.each || d.start < loop.end ? null : DYNAMIC_DROP_TABLE.exec(d.text);
    if (!m || (m[1] && m[1].toLowerCase() !== loop.schema.toLowerCase())) continue;
    out.push({ schema: loop.schema, except: loop.except, cascade: /\bcascade\b/i.test(d.text), loc: locOf(file, d.start, d.end) });
  }
  return out;
}

/**
 * A DO block's loop over a literal array of table names running `EXECUTE format('ALTER TABLE %I
 * DISABLE ROW LEVEL SECURITY', t)` (ENABLE, FORCE, NO FORCE) for each: what ALTER TABLE would do to
 * each table, at the EXECUTE (trinketstore's V17 disables RLS on eight tables so).
 */
function dynamicRlsChanges(file: ParsedFile, body: FunctionBody, ds: string): OpDynamic['rls'] {
  const out: OpDynamic['rls'] = [];
  for (const d of body.dynamicExecutes) {
    const found = literalLoopRls(d);
    if (!found) continue;
    const kind = rlsKindOf(found.subcommand);
    const loc = locOf(file, d.start, d.end);
    for (const name of found.names) out.push({ rel: name.length === 2 ? named(name[0], name[1], ds) : named(found.schema, name[0], ds), kind, loc });
  }
  return out;
}

/** `format('REVOKE ALL ON FUNCTION %s FROM anon', f)`: a statement run on each function of a loop. */
const FUNCTION_GRANT = /^\s*(?:pg_catalog\s*\.\s*)?format\s*\(\s*'\s*(GRANT|REVOKE)\s+(ALL(?:\s+PRIVILEGES)?|EXECUTE)\s+ON\s+(?:FUNCTION|ROUTINE)\s+(?:%s|(?:[A-Za-z_][\w$]*\s*\.\s*)?%I\s*\(\s*%s\s*\))\s+(TO|FROM)\s+((?:"?[A-Za-z_][\w$]*"?\s*,\s*)*"?[A-Za-z_][\w$]*"?)\s*;?\s*'/i;

/**
 * A DO block's loop over the functions of one schema (`FOR f IN SELECT p.oid::regprocedure FROM
 * pg_proc p JOIN pg_namespace n ON … WHERE n.nspname = 'public' LOOP EXECUTE format('REVOKE ALL ON
 * FUNCTION %s FROM anon', f)`): what it grants or revokes, as GRANT … ON ALL FUNCTIONS IN SCHEMA
 * (it acts on the functions that exist when it runs). Only a block with one such query and
 * statement; nothing when its query filters on anything but the schema.
 */
function dynamicFunctionGrants(body: FunctionBody): Array<Pick<OpGrant, 'isGrant' | 'privileges' | 'grantees' | 'schemas' | 'execute' | 'definersOnly'>> {
  // (one EXECUTE, or several — rifkiri/betterme's REVOKE … FROM anon, public then GRANT … TO
  // authenticated of each SECURITY DEFINER function — each applied in turn to what the one query lists)
  const execs = body.dynamicExecutes.map((d) => ({ d, m: FUNCTION_GRANT.exec(d.text) }));
  const grants = execs.filter((x): x is { d: DynamicExecute; m: RegExpExecArray } => !!x.m);
  if (grants.length === 0 || (grants.length > 1 && grants.length !== execs.length)) return [];
  const queries = body.statements.filter((b) => b.kind === 'SelectStmt' && relationsIn(b.node).some((r) => r.name === 'pg_proc'));
  if (queries.length !== 1) return [];
  let schema: string | undefined;
  let other = false;
  let definersOnly = false;
  for (const c of conjuncts(queries[0]!.node?.whereClause)) {
    const e = c?.A_Expr;
    const col = e ? lastColumn(e.lexpr) : c?.ColumnRef ? lastColumn(c) : undefined;
    const v = e?.kind === 'AEXPR_OP' && sval(e.name?.[0]) === '=' ? stringConst(e.rexpr) ?? stringConst(e.rexpr?.TypeCast?.arg) : undefined;
    // (n.nspname = 'public', or p.pronamespace = 'public'::regnamespace)
    if ((col === 'nspname' || col === 'pronamespace') && v !== undefined) schema = v.toLowerCase();
    else if (col === 'prokind' || col === 'proisagg') continue; // (functions only: still every function)
    // (`p.prosecdef = true`, or `p.prosecdef` alone: the SECURITY DEFINER ones)
    else if (col === 'prosecdef' && (!e || (sval(e.name?.[0]) === '=' && e.rexpr?.A_Const?.boolval?.boolval === true))) definersOnly = true;
    else other = true;
  }
  if (!schema || other) return [];
  const out: Array<Pick<OpGrant, 'isGrant' | 'privileges' | 'grantees' | 'schemas' | 'execute' | 'definersOnly'>> = [];
  for (const { d, m } of grants) {
    // (`public.%I(%s)`: the schema it writes must be the one the query keeps)
    const written = /ON\s+(?:FUNCTION|ROUTINE)\s+([A-Za-z_][\w$]*)\s*\.\s*%I/i.exec(d.text)?.[1];
    if (written !== undefined && written.toLowerCase() !== schema) return [];
    const isGrant = m[1]!.toUpperCase() === 'GRANT';
    if (isGrant !== (m[3]!.toUpperCase() === 'TO')) return [];
    const grantees = m[4]!.split(',').map(foldIdent);
    out.push({ isGrant, privileges: [m[2]!.toUpperCase().startsWith('ALL') ? 'all' : 'execute'], grantees, schemas: [schema], execute: true, ...(definersOnly ? { definersOnly: true as const } : {}) });
  }
  return out;
}

/** A function as a string names it: `public.emails()`, `"My fn"(uuid, text)`, `f` (its name parts, and its argument types if listed). */
const FUNCTION_SIGNATURE = /^\s*((?:"[^"]+"|[A-Za-z_][\w$]*)(?:\s*\.\s*(?:"[^"]+"|[A-Za-z_][\w$]*))?)\s*(?:\(([^()]*)\))?\s*$/;

/**
 * A DO block's loop over a literal array of function signatures granting or revoking EXECUTE on
 * each (`FOREACH fn IN ARRAY ARRAY['public.emails()'] LOOP EXECUTE format('REVOKE ALL ON FUNCTION
 * %s FROM public, anon, authenticated', fn)`, sm-crm's): as a GRANT or REVOKE of those functions.
 */
function dynamicFunctionListGrants(body: FunctionBody, ds: string): Array<Pick<OpGrant, 'isGrant' | 'privileges' | 'grantees' | 'schemas' | 'execute' | 'funcs'>> {
  const out: Array<Pick<OpGrant, 'isGrant' | 'privileges' | 'grantees' | 'schemas' | 'execute' | 'funcs'>> = [];
  for (const d of body.dynamicExecutes) {
    const m = d.each ? FUNCTION_GRANT.exec(d.text) : null;
    if (!m || !new RegExp(String.raw`,\s*${d.each!.variable}\s*\)\s*$`, 'i').test(d.text.slice(m[0].length))) continue;
    const isGrant = m[1]!.toUpperCase() === 'GRANT';
    if (isGrant !== (m[3]!.toUpperCase() === 'TO')) continue;
    const funcs: FuncRef[] = [];
    for (const v of d.each!.values) {
      const sig = FUNCTION_SIGNATURE.exec(v);
      if (!sig) continue;
      const parts = sig[1]!.split(/\s*\.\s*/).map((x) => (x.startsWith('"') ? x.slice(1, -1) : x.toLowerCase()));
      const args = sig[2] === undefined ? undefined : sig[2].trim() === '' ? [] : sig[2].split(',').map((x) => x.trim().toLowerCase().replace(/\s+/g, ' '));
      funcs.push({ name: nameOf(parts, ds), argKey: args?.join(','), argCount: args?.length ?? 0 });
    }
    if (funcs.length === 0) continue;
    const grantees = m[4]!.split(',').map(foldIdent);
    out.push({ isGrant, privileges: [m[2]!.toUpperCase().startsWith('ALL') ? 'all' : 'execute'], grantees, schemas: undefined, execute: true, funcs });
  }
  return out;
}

/** Whether a policy depends on what `test` finds in one of its expressions (what DROP … CASCADE takes with the object). */
const dependsOn = (test: (expr: Node) => boolean) => (p: Policy): boolean => (!!p.using && test(p.using)) || (!!p.withCheck && test(p.withCheck));

/**
 * Drops the policies of table `t` (a table the replay owns) whose expressions name one of `cols`,
 * unqualified or qualified by the table's name: what DROP COLUMN … CASCADE, or DROP TYPE … CASCADE
 * of the columns' type, takes with them.
 */
function dropPoliciesNaming(t: Table, cols: readonly string[]): void {
  const gone = dependsOn((e: Node) =>
    census(e).columnRefs.some((r) => {
      const f: Node[] = r.fields ?? [];
      return cols.includes(sval(f[f.length - 1]) as string) && (f.length === 1 || (f.length === 2 && sval(f[0]) === t.name));
    }),
  );
  if (t.policies.some(gone)) t.policies = t.policies.filter((p) => !gone(p));
}

/** Whether an expression casts a value to a type `isType` holds for (`'x'::public.kind`, CAST(… AS kind)), in a sub-select too. */
function castsTo(e: Node, isType: (name: string) => boolean): boolean {
  if (!e || typeof e !== 'object') return false;
  if (Array.isArray(e)) return e.some((x) => castsTo(x, isType));
  for (const k in e) {
    const v = e[k];
    if (!v || typeof v !== 'object') continue;
    if (k === 'TypeCast' && isType(nameParts(v.typeName?.names ?? []).join('.'))) return true;
    if (castsTo(v, isType)) return true;
  }
  return false;
}

/** A name a string argument may give a table (`'public.news'`, `'news'`). */
const TABLE_NAME_ARG = /^[A-Za-z_][\w$]*(?:\.[A-Za-z_][\w$]*)?$/;

/** The calls of a node with string arguments that may name tables (not pg_catalog's, nor set_config()): for OpDynamic. */
function tableNamingCalls(n: Node, out: OpDynamic['calls']): void {
  for (const c of callsIn(n)) {
    const name = c.name.map((x) => x.toLowerCase());
    if (name[0] === 'pg_catalog' || (name.length === 1 && (name[0] === 'set_config' || name[0] === 'current_setting' || name[0] === 'format'))) continue;
    const args: string[] = [];
    for (const a of c.args) {
      const v = stringConst(a);
      if (typeof v === 'string' && TABLE_NAME_ARG.test(v)) args.push(v);
    }
    if (args.length) out.push({ name, args });
  }
}

/** The op of a CREATE VIEW, or of a CREATE FOREIGN TABLE (`foreign`: no query, nothing read). */
function viewOp(base: Pick<OpBase, 'stmt' | 'pair' | 'here' | 'setConfig'>, r: NewRelation, replace: boolean, query: Node, securityInvoker: boolean, foreign: OpView['foreign']): OpView {
  return {
    kind: OP_VIEW,
    stmt: base.stmt,
    pair: base.pair,
    here: base.here,
    setConfig: base.setConfig,
    ...r, // (rel, schema, relname, temp, created, nameLoc, in that order: the ops of a kind keep one shape)
    replace,
    query,
    securityInvoker,
    tag: undefined,
    deps: undefined,
    reads: foreign ? NO_READS : undefined,
    ...(foreign ? { foreign } : {}),
  };
}

function newRelation(file: ParsedFile, stmt: Statement, rv: Node, ds: string, here: Loc): NewRelation {
  const start = rv.location ?? stmt.start;
  const rel = relName(rv, ds);
  return {
    rel,
    schema: rel.key.slice(0, rel.key.indexOf('.')),
    relname: rv.relname,
    temp: rv.relpersistence === 't',
    created: here,
    nameLoc: locOf(file, start, identEnd(file.text, start)),
  };
}

/** What GRANT ALL on a table grants. */
export const ALL_TABLE_PRIVILEGES: readonly string[] = ['select', 'insert', 'update', 'delete', 'truncate', 'references', 'trigger'];
/** Table privileges with ALL spelled out (a loop: flatMap, an array per privilege, took ≈ 2 % of the bench's cold model build in a profile). */
function expandPrivileges(privileges: string[]): string[] {
  // (of the exact size: it is kept in the op)
  let n = 0;
  for (let i = 0; i < privileges.length; i++) n += privileges[i] === 'all' ? ALL_TABLE_PRIVILEGES.length : 1;
  const out: string[] = new Array(n);
  let k = 0;
  for (let i = 0; i < privileges.length; i++) {
    const p = privileges[i]!;
    if (p === 'all') for (let j = 0; j < ALL_TABLE_PRIVILEGES.length; j++) out[k++] = ALL_TABLE_PRIVILEGES[j]!;
    else out[k++] = p;
  }
  return out;
}

function compileGrant(base: OpBase, n: Node, ds: string): OpGrant {
  // A column privilege's REVOKE (`REVOKE SELECT (password_hash) ON users FROM app`) takes nothing
  // from a privilege granted on the whole table: PostgreSQL keeps it, and the role still reads
  // every column (measured). Its GRANT does give the role the command, on those columns.
  const privileges: string[] = n.privileges
    ? (n.privileges as Node[]).filter((p) => n.is_grant || !p.AccessPriv?.cols?.length).map((p: Node) => String(p.AccessPriv?.priv_name ?? '').toLowerCase())
    : ['all'];
  const grantees: string[] = (n.grantees ?? []).map(roleName);
  const isGrant = !!n.is_grant;
  let objectKind: GrantEvent['objectKind'] = 'other';
  let schemas: string[] | undefined;
  // (lists kept in the op: of the exact size, made by map(), not grown by push() and copied)
  let relations: Name[] = [];
  let funcs: FuncRef[] = [];
  const allInSchema = n.targtype === 'ACL_TARGET_ALL_IN_SCHEMA';
  const objects: Node[] = n.objects ?? [];
  if (n.objtype === 'OBJECT_TABLE') {
    objectKind = 'table';
    if (allInSchema) schemas = objects.map((s: Node) => sval(s)!);
    else relations = (objects.every((o) => o.RangeVar) ? objects : objects.filter((o) => o.RangeVar)).map((o) => relName(o.RangeVar, ds));
  } else if (n.objtype === 'OBJECT_FUNCTION' || n.objtype === 'OBJECT_PROCEDURE' || n.objtype === 'OBJECT_ROUTINE') {
    objectKind = 'function';
    if (allInSchema) schemas = objects.map((s: Node) => sval(s)!);
    else funcs = objects.map((o) => funcRef(o, ds));
  } else if (n.objtype === 'OBJECT_SCHEMA') objectKind = 'schema';
  else if (n.objtype === 'OBJECT_SEQUENCE') objectKind = 'sequence';
  const columns: Array<{ priv: string; cols: string[] }> = [];
  if (n.objtype === 'OBJECT_TABLE') {
    for (const p of (n.privileges ?? []) as Node[]) {
      const a = p.AccessPriv;
      if (a?.cols?.length) columns.push({ priv: String(a.priv_name ?? '').toLowerCase(), cols: (a.cols as Node[]).map((c) => String(sval(c) ?? '')) });
    }
  }
  const op: OpGrant = {
    kind: OP_GRANT,
    stmt: base.stmt,
    pair: base.pair,
    here: base.here,
    setConfig: base.setConfig,
    isGrant,
    objectKind,
    privileges,
    grantees,
    expanded: objectKind === 'table' ? expandPrivileges(privileges) : [],
    schemas,
    relations,
    funcs,
    execute: privileges.includes('execute') || privileges.includes('all'),
    event: undefined,
    ...(columns.length ? { columns } : {}),
  };
  if (objectKind !== 'function') {
    // (a schema's grant: the schema names)
    const names = objectKind === 'schema' ? objects.map((s: Node) => sval(s) ?? '') : schemas ? schemas.map((s) => `schema:${s}`) : relations.map((r) => r.key);
    op.event = { isGrant, objectKind, objects: names, privileges, grantees, loc: base.here };
  }
  return op;
}

/**
 * The execute grants of a function none were granted to: applyGrant gives a function its own
 * Set when it grants the first one (NO_GRANTS itself is never written to), and a copy keeps
 * it. A Set per function made and kept by the bench's cold build: 9,000 (≈ 1.3 MB).
 */
const NO_GRANTS = new Set<string>();

/** A function no ALTER FUNCTION changed, and one without SET options: shared, never written to (ALTER FUNCTION's first makes its own list; applyFunctionOptions replaces the settings). */
const NO_ALTERS: Loc[] = Object.freeze([]) as unknown as Loc[];
const NO_SETTINGS: FunctionSetting[] = Object.freeze([]) as unknown as FunctionSetting[];

/** The keys of a function body's facts that found none: shared, never written to (like all the facts' Sets). */
const NO_KEYS = new Set<string>();
/** A function body without TRUNCATE: shared, never written to. */
const NO_TRUNCATIONS: FuncTruncation[] = [];
/** No relation of a body resolving otherwise than Model.key says (Func.relKeys: most bodies). */
const NO_REL_KEYS: Map<Node, string> = new Map();

/** No context writes (a function op's before its prototype is computed). */
const NO_WRITES: ContextWrite[] = [];

/** A function's execute grants for a copy of it: its own Set (NO_GRANTS stays). */
const copyGrantSet = (grants: Set<string>): Set<string> => (grants === NO_GRANTS ? NO_GRANTS : new Set(grants));

/** The effects of CREATE / ALTER FUNCTION options, in order. */
function functionOptions(options: Node[] | undefined, file: ParsedFile, stmt: Statement): FuncOption[] {
  const out: FuncOption[] = [];
  const n = options ? options.length : 0;
  for (let i = 0; i < n; i++) {
    const d = options![i]?.DefElem;
    if (!d) continue;
    const start = d.location ?? stmt.start;
    switch (d.defname) {
      case 'security':
        out.push({ kind: 'security', definer: !!d.arg?.Boolean?.boolval, loc: locOf(file, start, securityEnd(file.text, start, stmt.end)) });
        break;
      case 'volatility':
        out.push({ kind: 'volatility', value: String(sval(d.arg) ?? 'volatile') as Func['volatility'], loc: locOf(file, start, identEnd(file.text, start)) });
        break;
      case 'language':
        out.push({ kind: 'language', value: String(sval(d.arg) ?? 'sql').toLowerCase() });
        break;
      case 'set': {
        const v = d.arg?.VariableSetStmt;
        if (!v) break;
        const name = String(v.name ?? '').toLowerCase();
        const reset = v.kind === 'VAR_RESET' || v.kind === 'VAR_RESET_ALL';
        let setting: FunctionSetting | undefined;
        if (!reset) {
          const values = v.kind === 'VAR_SET_CURRENT' ? ['<from current>'] : (v.args ?? []).map((a: Node) => String(a?.A_Const?.sval?.sval ?? a?.A_Const?.ival?.ival ?? sval(a) ?? ''));
          setting = { name, values, loc: locOf(file, start, settingEnd(file.text, start, stmt.end)) };
        }
        out.push({ kind: 'set', name, reset, resetAll: v.kind === 'VAR_RESET_ALL', setting });
        break;
      }
    }
  }
  return out;
}

/**
 * Applies function options to a function (one of this replay's own). The locations and
 * settings of the options go into the function as they are: like the replay's other
 * locations, nothing writes to them (three copies per option before).
 */
function applyFunctionOptions(f: Func, options: FuncOption[]): void {
  for (let i = 0; i < options.length; i++) {
    const o = options[i]!;
    switch (o.kind) {
      case 'security':
        f.securityDefiner = o.definer;
        f.securityLoc = o.loc;
        break;
      case 'volatility':
        f.volatility = o.value;
        f.volatilityLoc = o.loc;
        break;
      case 'language':
        f.language = o.value;
        break;
      case 'set': {
        // (a new list: the function's may be shared with its prototype and copies; of the exact size, as it is kept)
        const settings: FunctionSetting[] = [];
        if (!o.resetAll) for (let j = 0; j < f.settings.length; j++) if (f.settings[j]!.name !== o.name) settings.push(f.settings[j]!);
        if (o.setting) settings.push(o.setting);
        f.settings = fitted(settings);
        break;
      }
    }
  }
}

/** Whether a function setting is `SET search_path FROM CURRENT`. */
function pathFromCurrent(s: FunctionSetting): boolean {
  return s.name === 'search_path' && s.values[0] === '<from current>';
}

/** set_config() calls in a statement or a body statement: the context writes they make. */
function setConfigWrites(node: Node, at: Loc, inFunction: string | undefined): ContextWrite[] {
  const out: ContextWrite[] = [];
  if (!node) return out;
  for (const c of callsIn(node)) {
    const name = c.name[c.name.length - 1];
    if (name !== 'set_config' || c.args.length < 1) continue;
    const setting = stringConst(c.args[0]);
    if (setting === undefined) continue;
    const localArg = c.args[2]?.A_Const;
    const local = localArg ? !!localArg.boolval?.boolval : undefined;
    out.push({
      name: setting.toLowerCase(),
      local,
      via: 'set_config',
      loc: { file: at.file, start: c.location, end: c.location + 10 },
      inFunction,
      node: c.node,
    });
  }
  return out;
}

/**
 * Replays the files and returns the model. With `previous`, what the build before left (its
 * resumePointOf), from (mostly) the same parsed files, the replay may resume where the files
 * first differ: from the state that build saved there (see ResumePoint), shared; the model
 * is the same as a replay from the start. The previous model itself is not needed, so it can
 * be gone before the next one is built.
 */
/**
 * The model of a workspace's migrations, replayed in migration order. `failing`: top-level CREATE
 * TABLE statements PostgreSQL rejects for a reason the replay cannot see where it stands (a FOREIGN
 * KEY naming a table made only later: columns.ts createsReferencingLater), which make no table;
 * by default those of the previous build (engine/workspace.ts builds again when they changed).
 */
export function buildModel(parsed: ParsedFile[], config: Config, previous?: ResumePoint, failing: readonly Statement[] = previous?.failing ?? NO_STATEMENTS): Model {
  const files = migrationOrderOf(parsed, config);
  const supabase = config.supabaseLayout === true || files.some((f) => isSupabaseLayout(f.file));
  // Supabase's platform roles exist in a Supabase layout, and wherever the migrations call auth.uid() & co. or use its Storage
  const supabasePlatform = supabase || usesSupabasePlatform(files);
  const defaultSchema = config.defaultSchema || 'public';
  // (a pg_dump of what the migrations before it made, or a copy of an earlier file, is not replayed: snapshot.ts)
  const snapshots = new Map<ParsedFile, 'snapshot' | 'copy' | 'graphile-dump'>();
  for (const f of schemaSnapshots(files)) snapshots.set(f, 'snapshot');
  for (const f of graphileDumps(files, config.graphileMigrate).keys()) snapshots.set(f, 'graphile-dump');
  for (const c of migrationCopies(files)) snapshots.set(c, 'copy');
  const segments = replaySegments(snapshots.size ? files.filter((f) => !snapshots.has(f)) : files);
  const r = new Replay(defaultSchema);
  if (failing.length) r.failing = new Set(failing);
  const startPaths = sessionStartPaths(files, config.graphileMigrate);
  if (startPaths) r.startPaths = startPaths;
  const pathsTag = startPaths ? [...startPaths].map(([f, p]) => `${f}\u0001${p.join(',')}`).join('\0') : '';
  const schemaInfo: SchemaInfo = { files, segments, supabasePlatform, asked: new Map() };

  // Where the segments first differ from the previous build's: the state there is saved (the
  // next edit is likely in the same file), and resumed from if the previous build saved one at or before it.
  const before = previous;
  let saveAt = -1;
  let saved: ResumePoint['saved'];
  let start = 0;
  let restored = false;
  let oldRecords: ResumePoint['records'] | undefined;
  if (before && before.defaultSchema === defaultSchema && before.supabasePlatform === supabasePlatform && (before.pathsTag ?? '') === pathsTag && sameItems(before.failing, failing) && sameSchemaFacts(before.schemaFacts, schemaInfo)) {
    const old = before.segments;
    let c = 0;
    while (c < segments.length && c < old.length && sameSegment(segments[c]!, old[c]!)) c++;
    saveAt = c;
    oldRecords = before.records;
    if (before.saved && before.saved.at <= c) {
      shareState(before.saved.state, r);
      restored = true;
      start = before.saved.at;
      if (before.saved.at === c) saved = before.saved; // the same state: keep it
    }
  }
  if (!restored && supabasePlatform) {
    // Roles the Supabase platform creates; `postgres` and `service_role` have BYPASSRLS.
    for (const [name, bypass, su] of [
      ['postgres', true, false],
      ['service_role', true, false],
      ['supabase_admin', true, true],
      ['authenticated', false, false],
      ['anon', false, false],
    ] as const) {
      r.roles.set(name, { name, bypassRls: bypass, superuser: su, declared: false });
    }
  }
  // (set after a restore: a saved state holds the previous build's)
  r.schemaInfo = schemaInfo;
  // segments redone from the previous build's records where they can be (see "redoing a segment"), else replayed, and
  // recorded in a rebuild or a first build given recordFromStart() (a first build, e.g. the CLI's only one, records
  // nothing otherwise: recording costs ≈ 10 % of its replay)
  const records: ResumePoint['records'] = [];
  for (let i = 0; i < start; i++) records.push(oldRecords![i]); // (restored: the same segments)
  let recordsByFile: Map<ParsedFile, SegmentRecord[]> | undefined;
  for (let i = start; i <= segments.length; i++) {
    if (i === saveAt && !saved) saved = { at: i, state: r.save() };
    if (i === segments.length) break;
    const seg = segments[i]!;
    let old: SegmentRecord | undefined;
    if (oldRecords) {
      if (i < saveAt) old = oldRecords[i];
      else {
        recordsByFile ??= byFile(oldRecords);
        old = recordsByFile.get(seg.file)?.find((x) => x.entry === seg.entry && x.from === seg.from && x.to === seg.to);
      }
    }
    if (old) {
      const scratch = redoCheck ? r.fork() : undefined;
      if (r.redo(old)) {
        if (scratch) {
          scratch.run(seg.file, seg.entry, seg.from, seg.to);
          redoCheck!(stateOf(r), stateOf(scratch));
        }
        records.push(old);
        continue;
      }
    }
    if (previous) records.push(r.record(seg.file, seg.entry, seg.from, seg.to));
    else {
      r.run(seg.file, seg.entry, seg.from, seg.to);
      records.push(undefined);
    }
  }
  r.setSearchPath(undefined); // after the replay, names resolve to the default schema

  // Policies on tables the workspace never created are still policies (e.g. storage.objects);
  // keep them reachable from `policies` but not attached to a table.
  const allPolicies: Policy[] = [];
  r.tables.forEach((t) => {
    for (let i = 0; i < t.policies.length; i++) allPolicies.push(t.policies[i]!);
  });
  for (let i = 0; i < r.orphanPolicies.length; i++) allPolicies.push(r.orphanPolicies[i]!);
  const model = new ReplayedModel(config, files, r, allPolicies, supabase, defaultSchema, snapshots);
  resumePoints.set(model, { defaultSchema, supabasePlatform, ...(pathsTag ? { pathsTag } : {}), segments, saved, records, failing, ...(schemaInfo.asked.size ? { schemaFacts: schemaInfo.asked } : {}) });
  return model;
}

const NO_STATEMENTS: readonly Statement[] = Object.freeze([]);


type Segment = { file: ParsedFile; entry: ParsedFile; from: number; to: number };

const sameSegment = (a: Segment, b: Segment): boolean => a.file === b.file && a.entry === b.entry && a.from === b.from && a.to === b.to;

/**
 * What a build leaves for the next one: its segments, and the replay's state (see
 * Replay.save) before segment `at` (where its segments first differed from those of the
 * build before).
 * The replay of the segments before `at` depends on nothing else than them (the same parsed
 * files, so the same statements), the default schema and whether Supabase's roles exist.
 */
export interface ResumePoint {
  defaultSchema: string;
  supabasePlatform: boolean;
  /** the search_paths sessions start with (sessionStartPaths), as text: a build with others resumes nothing */
  pathsTag?: string;
  segments: Segment[];
  saved: { at: number; state: Replay } | undefined;
  /** what the replay of each segment did, if recorded (see "redoing a segment") */
  records: Array<SegmentRecord | undefined>;
  /** buildModel's `failing`: a build with others resumes nothing (its records and state hold what those did) */
  failing: readonly Statement[];
  /**
   * What Replay.schemaState asked of the whole workspace (SchemaInfo.asked: a schema a CREATE SCHEMA
   * makes somewhere, or one named elsewhere), which an edit of any file may change, even of one
   * replayed after: a build where one answers otherwise resumes nothing.
   */
  schemaFacts?: ReadonlyMap<string, string>;
}

/**
 * The search_path each file's session starts with where it is not the server's default: a file of
 * a graphile-migrate project whose `.gmrc` sets one in pgSettings (GraphileMigrate.searchPath:
 * graphile-migrate sets it on each connection before it runs a migration). Undefined: none. The
 * replay and verify (cli/verify.ts) both start each file's session so.
 */
export function sessionStartPaths(files: ReadonlyArray<{ file: string }>, projects: readonly GraphileMigrate[] | undefined): Map<string, string[]> | undefined {
  if (!projects?.some((p) => p.searchPath)) return undefined;
  const ranks = graphileRanks(files, projects);
  let out: Map<string, string[]> | undefined;
  files.forEach((f, i) => {
    const path = ranks[i]?.project.searchPath;
    if (path) (out ??= new Map()).set(f.file, path);
  });
  return out;
}

/** Records by file. */
function byFile(records: ReadonlyArray<SegmentRecord | undefined>): Map<ParsedFile, SegmentRecord[]> {
  const out = new Map<ParsedFile, SegmentRecord[]>();
  for (const x of records) {
    if (!x) continue;
    const list = out.get(x.file);
    if (list) list.push(x);
    else out.set(x.file, [x]);
  }
  return out;
}

const resumePoints = new WeakMap<Model, ResumePoint>();

/** What the build of `model` leaves for the next build (buildModel's `previous`). */
export function resumePointOf(model: Model): ResumePoint | undefined {
  return resumePoints.get(model);
}

/**
 * A resume point with nothing to resume from, for a first build whose next one matters (the
 * language server's: the first edit after a workspace opens): given as `previous`, it makes
 * the build record its segments, so the next build redoes them from their records instead of
 * replaying the whole workspace. Its default schema matches none, so nothing is restored.
 */
export function recordFromStart(): ResumePoint {
  return { defaultSchema: '', supabasePlatform: false, segments: [], saved: undefined, records: [], failing: NO_STATEMENTS };
}

// ---- sharing the replay's state ----
//
// A saved state and the replays resumed from it share the objects of the state (tables,
// views, functions, policies, triggers, roles) instead of each having a copy: a replay copies
// an object the first time it writes to it (Replay.own…), so a resumed replay copies the
// top-level maps and arrays and what the files it replays change, not the whole schema. The
// objects of a state are put in `shared` when it is saved (Replay.save): the ownership check.
// They are not frozen (a frozen object has another hidden class: the rules' property reads of
// tables and policies, some frozen and some not, measured slower), except under
// guardSharedState() (the test suite).

/** The objects of saved states: never written to again (their arrays, Maps and Sets neither). */
const shared = new WeakSet<object>();

let guarding = false;

/**
 * For the test suite: shared objects and their arrays are frozen, their Maps and Sets refuse
 * writes, and the replay rethrows a write to them instead of skipping its statement, so that
 * a write that missed its ownership check fails a test instead of changing the next build.
 */
export function guardSharedState(): void {
  guarding = true;
}

/** Whether an error is a write to a frozen object or a guarded Map or Set (V8's messages). */
const isSharedWrite = (e: unknown): boolean =>
  e instanceof TypeError && /read only property|not extensible|frozen|sealed|Cannot delete property|saved replay state/.test(e.message);

function refuseWrite(): never {
  throw new TypeError('write to a Map or Set of a saved replay state');
}

function guard(x: Map<unknown, unknown> | Set<unknown>): void {
  for (const m of ['set', 'add', 'delete', 'clear']) if (m in x) Object.defineProperty(x, m, { value: refuseWrite });
}

function guardGrants(grants: Map<string, Set<string>>): void {
  guard(grants);
  for (const s of grants.values()) guard(s);
}

/** Gives `to` the state of `from`: copies of its top-level maps and arrays, the objects in them shared. */
function shareState(from: Replay, to: Replay): void {
  // (forEach: for…of a Map's entries makes an array per entry, ≈ 0.4 MB per bench rebuild)
  for (let m = 0; m < from.maps.length; m++) {
    const into = to.maps[m]!;
    from.maps[m]!.forEach((v, k) => into.set(k, v));
  }
  append(to.triggers, from.triggers);
  append(to.orphanPolicies, from.orphanPolicies);
  to.grantEvents = from.grantEvents.slice();
  to.contextWrites = from.contextWrites.slice();
  to.statements = from.statements.slice();
  to.defaultTableGrants = from.defaultTableGrants.slice();
  to.replacedPolicies = from.replacedPolicies.slice();
  to.recreatedTables = from.recreatedTables.slice();
  to.rejectedReplacements = from.rejectedReplacements.slice();
  to.defaultExecuteRevoked = from.defaultExecuteRevoked;
  to.searchPath = from.searchPath;
  to.pathSet = from.pathSet;
  to.schemaTag = from.schemaTag;
  to.currentRole = from.currentRole;
  to.lastEntry = from.lastEntry;
  to.startPaths = from.startPaths;
  to.schemaInfo = from.schemaInfo;
}

/**
 * Puts the objects of a state about to be saved in `shared`. Those shared already (with an
 * earlier saved state) are skipped: a copy made since then is a new object.
 */
function shareObjects(r: Replay): void {
  for (const t of r.tables.values()) shareEntry(M_TABLES, t);
  for (const v of r.views.values()) shareEntry(M_VIEWS, v);
  for (const list of r.functions.values()) shareEntry(M_FUNCTIONS, list);
  for (const role of r.roles.values()) shareEntry(M_ROLES, role);
  for (const tr of r.triggers) share(tr); // (those of tables dropped since)
  for (const p of r.orphanPolicies) share(p, freezeRoles);
  if (guarding) for (const events of r.rlsEventsOfUncreatedTables.values()) shareEntry(M_RLS_UNCREATED, events);
}

/** The state's maps, by index (footprints and segment records name a map by its index). */
const M_TABLES = 0;
const M_VIEWS = 1;
const M_FUNCTIONS = 2;
const M_ROLES = 3;
const M_RLS_UNCREATED = 4;

/** Puts a value of one of the state's maps (`m`: its index) in `shared`, with what it holds. */
function shareEntry(m: number, x: unknown): void {
  switch (m) {
    case M_TABLES: {
      const t = x as Table;
      if (!share(t, guardTableParts)) return;
      for (const p of t.policies) share(p, freezeRoles);
      for (const tr of t.triggers) share(tr);
      return;
    }
    case M_VIEWS:
      share(x as View, guardViewParts);
      return;
    case M_FUNCTIONS:
      for (const f of x as Func[]) share(f, guardFuncParts);
      if (guarding) Object.freeze(x); // (only ever replaced)
      return;
    case M_ROLES:
      share(x as Role);
      return;
    case M_RLS_UNCREATED:
      if (guarding) Object.freeze(x); // (only ever replaced)
      return;
  }
}

/**
 * Puts `x` in `shared`; false when it was already. Under guardSharedState, `parts` first makes
 * what `x` holds refuse writes, then `x` is frozen.
 */
function share<T extends object>(x: T, parts?: (x: T) => void): boolean {
  if (shared.has(x)) return false;
  shared.add(x);
  if (guarding) {
    parts?.(x);
    Object.freeze(x);
  }
  return true;
}

function guardTableParts(t: Table): void {
  Object.freeze(t.columns);
  Object.freeze(t.keys);
  for (const i of t.indexes) Object.freeze(i);
  Object.freeze(t.indexes);
  Object.freeze(t.rlsEvents);
  for (const p of t.parents) Object.freeze(p);
  Object.freeze(t.parents);
  Object.freeze(t.policies);
  Object.freeze(t.triggers);
  guardGrants(t.grants);
}

const guardViewParts = (v: View): void => guardGrants(v.grants);
const freezeRoles = (p: Policy): void => void Object.freeze(p.roles);

function guardFuncParts(f: Func): void {
  Object.freeze(f.settings);
  Object.freeze(f.alters);
  guard(f.executeGrants);
}

// Copies are written out field by field: a spread of objects of several shapes is slow and
// may give objects in dictionary mode, slow for the replay and the rules alike. A copy has
// its own arrays, Maps and Sets (index and parent entries too, which are written in place);
// the policies and triggers in its lists stay shared until written to themselves. Arrays
// only ever replaced (a policy's roles, a function's settings, a table's columns, keys and
// RLS events) are shared. The replay adds to a table's lists with concat(), a new list of the
// exact size, rather than push(), which gives a list room for 16 more: lists that are kept,
// short (a table's policies, triggers, indexes, events) and grown a few times (≈ 1 MB of the
// bench's cold build kept as room).

function copyTable(t: Table): Table {
  const c: Table = {
    key: t.key,
    schema: t.schema,
    name: t.name,
    partitioned: t.partitioned,
    temp: t.temp,
    created: t.created,
    nameLoc: t.nameLoc,
    stmt: t.stmt,
    columns: t.columns,
    keys: t.keys,
    indexes: t.indexes.map((i) => makeIndex(i.name, i.columns, i.loc, i.uniqueWhere)),
    rlsEnabled: t.rlsEnabled,
    rlsForced: t.rlsForced,
    rlsEvents: t.rlsEvents,
    parents: copyParents(t.parents),
    policies: t.policies.slice(),
    triggers: t.triggers.slice(),
    grants: copyGrants(t.grants),
  };
  if ('owner' in t) c.owner = t.owner;
  if ('renamed' in t) c.renamed = t.renamed;
  if ('columnTypes' in t) c.columnTypes = t.columnTypes;
  return c;
}

function copyView(v: View): View {
  const c: View = {
    key: v.key,
    schema: v.schema,
    name: v.name,
    materialized: v.materialized,
    securityInvoker: v.securityInvoker,
    reads: v.reads,
    created: v.created,
    nameLoc: v.nameLoc,
    stmt: v.stmt,
    grants: copyGrants(v.grants),
  };
  if ('owner' in v) c.owner = v.owner;
  if (v.foreign) c.foreign = true;
  return c;
}

function copyRole(r: Role): Role {
  const c: Role = { name: r.name, bypassRls: r.bypassRls, superuser: r.superuser, declared: r.declared };
  if ('loc' in r) c.loc = r.loc;
  return c;
}

function copyPolicy(p: Policy): Policy {
  return {
    name: p.name,
    table: p.table,
    command: p.command,
    permissive: p.permissive,
    roles: p.roles,
    implicitPublic: p.implicitPublic,
    using: p.using,
    withCheck: p.withCheck,
    loc: p.loc,
    nameLoc: p.nameLoc,
    stmt: p.stmt,
    created: p.created,
    ...(p.wrapped ? { wrapped: p.wrapped } : {}),
  };
}

const copyTrigger = (tr: Trigger): Trigger => ({ name: tr.name, table: tr.table, func: tr.func, events: tr.events, row: tr.row, before: tr.before, transitionTables: tr.transitionTables, loc: tr.loc });

const NO_TRANSITION_TABLES: readonly string[] = Object.freeze([]);

/** The transition table names a CREATE TRIGGER's REFERENCING clause declares (`TriggerTransition`s that are tables; OLD/NEW ROW is rejected by PostgreSQL). */
function transitionTablesOf(n: Node): readonly string[] {
  const rels: Node[] = n?.transitionRels ?? [];
  const names = rels.map((x) => x?.TriggerTransition).filter((t) => t?.isTable && typeof t.name === 'string').map((t) => t.name as string);
  return names.length ? Object.freeze(names) : NO_TRANSITION_TABLES;
}

function copyFunc(f: Func): Func {
  const c: Func = {
    key: f.key,
    schema: f.schema,
    name: f.name,
    argTypes: f.argTypes,
    signature: f.signature,
    language: f.language,
    isProcedure: f.isProcedure,
    securityDefiner: f.securityDefiner,
    volatility: f.volatility,
    settings: f.settings, // (replaced, never written to: applyFunctionOptions)
    returnsTrigger: f.returnsTrigger,
    returnType: f.returnType,
    body: f.body,
    reads: f.reads,
    writes: f.writes,
    truncates: f.truncates,
    truncations: f.truncations,
    relKeys: f.relKeys,
    calls: f.calls,
    created: f.created,
    nameLoc: f.nameLoc,
    stmt: f.stmt,
    publicExecute: f.publicExecute,
    executeGrants: copyGrantSet(f.executeGrants),
    alters: f.alters.length ? f.alters.slice() : NO_ALTERS,
  };
  if ('owner' in f) c.owner = f.owner;
  if ('executeByDefault' in f) c.executeByDefault = f.executeByDefault;
  if ('made' in f) c.made = f.made;
  if ('securityLoc' in f) c.securityLoc = f.securityLoc;
  if ('volatilityLoc' in f) c.volatilityLoc = f.volatilityLoc;
  return c;
}

/**
 * The grants of a table or view none were granted on: applyTableGrant gives it its own Map
 * when it grants or revokes something (NO_TABLE_GRANTS itself is never written to), and a
 * copy keeps it. A Map per relation made and kept by the bench's cold build: 4,470 (≈ 1.2
 * MB), half of them (the views') empty.
 */
const NO_TABLE_GRANTS = new Map<string, Set<string>>();
/** What a foreign table reads: nothing (it has no query). Shared: never mutated. */
const NO_READS: Set<string> = new Set();

/**
 * A table made again by a plain CREATE TABLE in another folder than the one that made it (a
 * declarative schema, `supabase/schemas/`, or a schema file beside the migrations): the replay
 * takes its columns, as the later statement of what the table is, and keeps what the migrations
 * gave the table: in PostgreSQL that CREATE fails (42P07) and the table keeps its row-level
 * security, policies, triggers, indexes, owner and grants; a file that restates some of them
 * (ENABLE, a CREATE POLICY of the same name) sets them again.
 */
function keepStateOf(t: Table, before: Table): void {
  t.rlsEnabled = before.rlsEnabled;
  t.rlsForced = before.rlsForced;
  t.rlsEvents = before.rlsEvents;
  t.policies = before.policies;
  t.triggers = before.triggers;
  t.indexes = before.indexes;
  if (before.owner) t.owner = before.owner;
  if (before.grants !== NO_TABLE_GRANTS) {
    // (with what default privileges gave the new one)
    const fresh = t.grants;
    t.grants = copyGrants(before.grants);
    for (const [role, privileges] of fresh) applyTableGrant(t, [...privileges], [role], true);
  }
}

function copyGrants(grants: Map<string, Set<string>>): Map<string, Set<string>> {
  if (grants === NO_TABLE_GRANTS) return grants;
  const out = new Map<string, Set<string>>();
  for (const [role, privileges] of grants) out.set(role, new Set(privileges));
  return out;
}

// ---- redoing a segment ----
//
// A rebuild after an edit replays the segments after it, most of them unchanged, and each
// of those would make the same objects again (every table, policy, function … of the files
// after the edited one, each rebuild). Instead, a segment whose ops touch known keys only
// (its footprint: each op's keys are in its op, see footprintOf) is recorded when replayed:
// the values of its footprint's keys before and after it, what it appended to the state's
// lists and the session and default privileges before and after it. A later build that
// reaches the same segment (same parsed file, entry and statements, so the same ops) with
// the same values at those keys (===), the same session and the same default privileges
// redoes it from the record: it sets the keys to the values they had after it and appends
// the same elements, so the objects of the files after an edit are the same objects from
// one build to the next. That is the replay's result because the replay of such a segment
// reads nothing else of the state (footprintOf lists every key each op's replay looks up or
// writes; an op that reads more, e.g. GRANT … ON ALL TABLES IN SCHEMA, DROP TABLE or any DROP … CASCADE, RENAME,
// ALTER POLICY or a search_path, makes its segment unrecorded), and the values a record
// holds are never written to again: a recorded segment shares (see "sharing the replay's
// state") the values at its keys before it runs, so it copies those it writes to, and before
// an unrecorded segment runs, the values of the records since the last time are shared (not
// at the end of each segment: that was a WeakSet entry for every object of a replay). No op
// of a footprint removes a key but DROP FUNCTION and DROP VIEW (a record keeps what it removed), and
// the keys a segment adds are redone in the order it last added them (the maps' order is the model's). A change to what an op's replay reads or writes
// must change computeFootprint with it: the equivalence tests replay every segment they
// redo and compare (checkRedoWith).
// On the bench (an edit in file 100 of 200, whose segments all record), a rebuild's model
// takes ≈ 14–31 ms instead of 47–77 ms (medians ≈ 20 and 63, a loaded 2-CPU VM) and
// allocates 3.9 MB instead of 9.8 MB.

/** The keys of the state's maps a segment's ops read or write: map index (M_…) and key. */
interface Footprint {
  maps: number[];
  keys: string[];
  /** whether an op reads the default table privileges (it creates a table or view) */
  readsDefaults: boolean;
  /** whether there is an op (one not in a rollback section): the first starts a session if the segment's entry is not the last one's */
  hasOps: boolean;
  /**
   * the policies its CREATE POLICY and DROP POLICY statements make or drop: table key, name, …
   * On a table the workspace does not create, the replay looks them up in orphanPolicies (a
   * CREATE replaces one of its name, one in a DO block keeps it, a DROP removes it): the record
   * keeps those the list held (SegmentRecord.orphanMatches), and a redo requires the same.
   */
  policyNames: string[];
  /** the triggers its DROP TRIGGER statements drop: table key, name, … (removed from the state's list of triggers: see SegmentRecord.removedTriggers) */
  droppedTriggers: string[];
}

const NO_DROPS: string[] = [];
const NO_TRIGGERS: Trigger[] = [];
const NO_POLICIES: Policy[] = [];

/**
 * How a list of the state changed while a segment ran, when it is the list before it without some
 * elements (each one `named` lets the segment remove), then the elements it appended: those
 * removed and those appended (undefined when it changed otherwise: not recorded).
 */
function listChange<T>(before: readonly T[], after: readonly T[], named: (x: T) => boolean): { removed: T[]; added: T[] } | undefined {
  const now = new Set(after);
  const removed = before.filter((x) => !now.has(x));
  for (const x of removed) if (!named(x)) return undefined;
  let k = 0;
  for (let j = 0; j < before.length; j++) {
    if (removed.length && !now.has(before[j]!)) continue;
    if (after[k++] !== before[j]) return undefined;
  }
  return { removed, added: after.slice(k) };
}

/** Whether a CREATE POLICY or DROP POLICY of the segment names the policy (its table key and name). */
function namesPolicy(fp: Footprint, x: Policy): boolean {
  const d = fp.policyNames;
  for (let k = 0; k < d.length; k += 2) if (x.table === d[k] && x.name === d[k + 1]) return true;
  return false;
}

/**
 * The elements of a list by table key, in list order (a segment's policies are mostly on tables
 * the list has none of: one lookup each; a table has few triggers or orphan policies).
 */
type ByTable<T> = Map<string, T[]>;

function indexByTable<T extends { table: string }>(list: readonly T[]): ByTable<T> {
  const out: ByTable<T> = new Map();
  for (let i = 0; i < list.length; i++) addByTable(out, list[i]!);
  return out;
}

function addByTable<T extends { table: string }>(index: ByTable<T>, x: T): void {
  const at = index.get(x.table);
  if (at === undefined) index.set(x.table, [x]);
  else at.push(x);
}

/** What redo does to a list, done to its index: `removed` taken out, `added` appended (in list order). */
function updateIndex<T extends { table: string }>(index: ByTable<T>, removed: readonly T[], added: readonly T[]): void {
  for (let i = 0; i < removed.length; i++) {
    const x = removed[i]!;
    const at = index.get(x.table);
    const j = at === undefined ? -1 : at.indexOf(x);
    if (j < 0) continue;
    if (at!.length > 1) at!.splice(j, 1);
    else index.delete(x.table);
  }
  for (let i = 0; i < added.length; i++) addByTable(index, added[i]!);
}

/** Whether pair k (table key, name) of a footprint's list came earlier in it. */
function pairBefore(d: readonly string[], k: number): boolean {
  for (let i = 0; i < k; i += 2) if (d[i] === d[k] && d[i + 1] === d[k + 1]) return true;
  return false;
}

/**
 * Whether the orphan policies the segment's CREATE and DROP POLICY statements name are, in list
 * order, those it found when recorded (SegmentRecord.orphanMatches).
 */
function sameOrphanMatches(fp: Footprint, index: ByTable<Policy>, list: readonly Policy[], was: readonly Policy[]): boolean {
  const d = fp.policyNames;
  let found: Policy[] | undefined;
  for (let k = 0; k < d.length; k += 2) {
    const on = index.get(d[k]!);
    if (on === undefined) continue;
    for (let j = 0; j < on.length; j++) {
      const x = on[j]!;
      if (x.name === d[k + 1] && (found === undefined || !found.includes(x))) (found ??= []).push(x);
    }
  }
  if (found === undefined) return was.length === 0;
  if (found.length !== was.length) return false;
  // (of two names or more: in the order the list holds them)
  if (found.length > 1) found.sort((a, b) => list.indexOf(a) - list.indexOf(b));
  for (let i = 0; i < found.length; i++) if (found[i] !== was[i]) return false;
  return true;
}

/** Whether a DROP TRIGGER of the segment names the trigger (its table key and name: as applyDrop removes it from the list). */
function dropsTrigger(fp: Footprint, x: Trigger): boolean {
  const d = fp.droppedTriggers;
  for (let k = 0; k < d.length; k += 2) if (x.table === d[k] && x.name === d[k + 1]) return true;
  return false;
}

/** The footprint of statements `from` to `to` of a plan (kept on it), or null if one of them reads or writes more. */
function footprintOf(plan: FilePlan, from: number, to: number): Footprint | null {
  const id = from * 1048576 + to;
  let all = plan.footprints;
  if (!all) plan.footprints = all = new Map();
  else {
    const hit = all.get(id);
    if (hit !== undefined) return hit;
  }
  let fp: Footprint | null;
  try {
    fp = computeFootprint(plan.ops, from, to, plan.defaultSchema);
  } catch {
    fp = null;
  }
  all.set(id, fp);
  return fp;
}

/**
 * The keys each op's replay (Replay.apply) looks up or writes when no search_path is set (the
 * key of a name is then its compiled key, or plainKey of its parts with the default schema).
 */
function computeFootprint(ops: ReadonlyArray<Op | null>, from: number, to: number, ds: string): Footprint | null {
  const fp: Footprint = { maps: [], keys: [], readsDefaults: false, hasOps: false, policyNames: NO_DROPS, droppedTriggers: NO_DROPS };
  // the maps each key was added for, as bits (no string per map and key)
  const seen = new Map<string, number>();
  const add = (m: number, key: string) => {
    const bits = seen.get(key) ?? 0;
    if (bits & (1 << m)) return;
    seen.set(key, bits | (1 << m));
    fp.maps.push(m);
    fp.keys.push(key);
  };
  for (let i = from; i < to; i++) {
    const op = ops[i];
    if (!op) continue;
    fp.hasOps = true;
    switch (op.kind) {
      case OP_OTHER:
      case OP_DEFAULT_PRIVILEGES:
        break;
      case OP_CREATE_TABLE:
      case OP_CREATE_TABLE_AS: {
        // (IF NOT EXISTS looks both up)
        const view = op.kind === OP_CREATE_TABLE_AS && op.matview;
        if (!view || op.ifNotExists) add(M_TABLES, op.rel.key);
        if (view || op.ifNotExists) add(M_VIEWS, op.rel.key);
        // (the tables its LIKE clauses copy: likeColumns reads them)
        if (op.kind === OP_CREATE_TABLE) {
          const elts: Node[] = op.stmt.node?.tableElts ?? [];
          for (let j = 0; j < elts.length; j++) {
            const rv = elts[j]?.TableLikeClause?.relation;
            if (rv) add(M_TABLES, plainKey([rv.schemaname, rv.relname], ds));
          }
        }
        fp.readsDefaults = true;
        break;
      }
      case OP_VIEW:
        add(M_VIEWS, op.rel.key);
        if (op.foreign?.ifNotExists) add(M_TABLES, op.rel.key); // (relationExists)
        fp.readsDefaults = true;
        break;
      case OP_ALTER_TABLE:
        add(M_TABLES, op.rel.key);
        add(M_VIEWS, op.rel.key);
        add(M_RLS_UNCREATED, op.rel.key);
        for (const c of op.stmt.node.cmds ?? []) {
          const cmd = c.AlterTableCmd;
          if (cmd?.subtype === 'AT_AttachPartition' || cmd?.subtype === 'AT_DetachPartition') {
            const prv = cmd.def?.PartitionCmd?.name;
            if (prv) add(M_TABLES, plainKey([prv.schemaname, prv.relname], ds));
          }
        }
        break;
      case OP_INDEX:
      case OP_CREATE_TRIGGER:
        add(M_TABLES, op.rel.key);
        break;
      case OP_CREATE_POLICY: {
        const n = op.stmt.node;
        const tk = plainKey([n.table?.schemaname, n.table?.relname], ds);
        add(M_TABLES, tk);
        if (fp.policyNames === NO_DROPS) fp.policyNames = [];
        fp.policyNames.push(tk, String(n.policy_name));
        break;
      }
      case OP_CREATE_FUNCTION:
        add(M_FUNCTIONS, plainKey(nameParts(op.stmt.node.funcname), ds));
        fp.readsDefaults = true; // (default privileges on functions)
        break;
      case OP_ALTER_FUNCTION:
        add(M_FUNCTIONS, op.func.name.key);
        break;
      case OP_ALTER_OWNER:
        if (op.func) add(M_FUNCTIONS, op.func.name.key);
        break;
      case OP_CREATE_ROLE:
      case OP_ALTER_ROLE:
        add(M_ROLES, op.name);
        break;
      case OP_GRANT:
        if (op.schemas) return null; // every table, view or function of the schemas
        for (const r of op.relations) {
          add(M_TABLES, r.key);
          add(M_VIEWS, r.key);
        }
        for (const ref of op.funcs) add(M_FUNCTIONS, ref.name.key);
        break;
      case OP_SET:
        if (op.searchPath) return null; // names resolve through the state
        break;
      case OP_DROP: {
        // (DROP POLICY [IF EXISTS] p ON t, before its CREATE POLICY again: the idiom of migrations
        // that can run twice; LanternOps/breeze has 2,600 of them. It reads and writes the table
        // at its key, or removes a policy of a table not created from orphanPolicies: policyNames)
        // (DROP TRIGGER [IF EXISTS] t ON x likewise, 239 per breeze re-lint: it also removes the
        // trigger from the state's list, which the record keeps: SegmentRecord.removedTriggers)
        const n = op.stmt.node;
        // (DROP FUNCTION and DROP VIEW without CASCADE: the function's or view's key, removed or
        // made again by a CREATE after it; circulate-black-wealth-hub has 67 DROP VIEW and 40 DROP
        // FUNCTION, echo-social 121 DROP FUNCTION. With CASCADE they drop the policies that use them.)
        if (n?.behavior !== 'DROP_CASCADE' && (n?.removeType === 'OBJECT_FUNCTION' || n?.removeType === 'OBJECT_PROCEDURE' || n?.removeType === 'OBJECT_ROUTINE')) {
          for (const o of (n.objects ?? []) as Node[]) add(M_FUNCTIONS, plainKey(nameParts((o?.ObjectWithArgs ?? o)?.objname), ds));
          break;
        }
        if (n?.behavior !== 'DROP_CASCADE' && (n?.removeType === 'OBJECT_VIEW' || n?.removeType === 'OBJECT_MATVIEW')) {
          for (const o of (n.objects ?? []) as Node[]) {
            const parts: string[] = o?.List ? nameParts(o.List.items) : sval(o) ? [sval(o)!] : [];
            if (parts.length === 0) return null;
            add(M_VIEWS, plainKey(parts, ds));
          }
          break;
        }
        const policy = n?.removeType === 'OBJECT_POLICY';
        if (!policy && n?.removeType !== 'OBJECT_TRIGGER') return null;
        for (const o of (n.objects ?? []) as Node[]) {
          const parts: string[] = o?.List ? nameParts(o.List.items) : [];
          if (parts.length < 2) return null;
          const tk = plainKey(parts.slice(0, -1), ds);
          add(M_TABLES, tk);
          if (policy) {
            if (fp.policyNames === NO_DROPS) fp.policyNames = [];
            fp.policyNames.push(tk, parts[parts.length - 1]!);
          } else {
            if (fp.droppedTriggers === NO_DROPS) fp.droppedTriggers = [];
            fp.droppedTriggers.push(tk, parts[parts.length - 1]!);
          }
        }
        break;
      }
      default:
        // ALTER POLICY (looks through the policies of tables not created), other DROPs, RENAME
        return null;
    }
  }
  fp.maps = fitted(fp.maps);
  fp.keys = fitted(fp.keys);
  return fp;
}

/** What the replay of a segment did (see "redoing a segment"). */
interface SegmentRecord {
  file: ParsedFile;
  entry: ParsedFile;
  from: number;
  to: number;
  footprint: Footprint;
  /** the values at the footprint's keys before the segment */
  before: unknown[];
  /** the keys the segment added to the maps, in order, and their values after it: map index, key, value */
  added: unknown[];
  /** the other keys whose values it changed: map index, key, value */
  changed: unknown[];
  /** the keys it removed (DROP FUNCTION, DROP VIEW): map index, key */
  removed: unknown[];
  /** the role of the session it ran in (undefined in a new session: its entry is not the last segment's) */
  role: string | undefined;
  /** whether PUBLIC's EXECUTE on new functions was revoked before it (what CREATE FUNCTION reads of it) */
  executeRevoked: boolean;
  /** the default table privileges before it, when it reads them */
  defaults: DefaultTableGrant[] | undefined;
  /** the role and the statement setting the search_path after it (Replay.pathSet: one of its own); where it revoked PUBLIC's EXECUTE by default if it did */
  after: { role: string | undefined; pathSet: OpSet | undefined; defaultExecuteRevoked: Loc | undefined };
  /** what it appended to the state's lists */
  statements: Array<{ file: ParsedFile; stmt: Statement }>;
  grantEvents: GrantEvent[];
  contextWrites: ContextWrite[];
  triggers: Trigger[];
  /**
   * the triggers of the state's list before it that its DROP TRIGGERs removed, in list order (a
   * redo removes the same objects, and refuses unless they are all the list holds of those names)
   */
  removedTriggers: Trigger[];
  /** the policies orphanPolicies held before it of the names it makes or drops (policyNames), in list order */
  orphanMatches: Policy[];
  /** those of them it removed (replaced or dropped) */
  removedOrphans: Policy[];
  orphanPolicies: Policy[];
  defaultTableGrants: DefaultTableGrant[];
  replacedPolicies: PolicyReplacement[];
}

/** Appends the elements of `from` to `to`: one push of them all, or a push each for a list too long to be arguments. */
function append<T>(to: T[], from: readonly T[]): void {
  if (from.length === 0) return;
  if (from.length <= 4096) to.push(...from);
  else for (const x of from) to.push(x);
}

let redoCheck: ((redone: object, replayed: object) => void) | undefined;

/**
 * For the test suite: each segment redone from its record is also replayed on a copy of the
 * state, and `check` compares the two states (as plain data, with the maps' entries in order).
 */
export function checkRedoWith(check: (redone: object, replayed: object) => void): void {
  redoCheck = check;
}

function stateOf(r: Replay): object {
  return {
    maps: r.maps.map((m) => [...m]),
    lists: [r.statements, r.grantEvents, r.contextWrites, r.triggers, r.orphanPolicies, r.defaultTableGrants, r.replacedPolicies, r.recreatedTables, r.rejectedReplacements],
    session: [r.lastEntry, r.currentRole, r.searchPath, r.pathSet, r.schemaTag, r.defaultExecuteRevoked],
  };
}

/** Whether two lists of default privileges are the same (what addTable, addView and createFunction read of them). */
function sameDefaults(a: readonly DefaultTableGrant[], b: readonly DefaultTableGrant[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) {
    const x = a[i]!;
    const y = b[i]!;
    if (x !== y && (x.schema !== y.schema || x.isGrant !== y.isGrant || !sameStrings(x.expanded, y.expanded) || !sameStrings(x.grantees, y.grantees) || !sameStrings(x.creators ?? [], y.creators ?? []) || !x.creators !== !y.creators || x.functions !== y.functions)) return false;
  }
  return true;
}

const sameStrings = (a: readonly string[], b: readonly string[]): boolean => a.length === b.length && a.every((x, i) => x === b[i]);

/** The model a replay leaves (a class, so that the resolvers are one function for every model). */
class ReplayedModel implements Model {
  config: Config;
  files: ParsedFile[];
  notReplayed: ReadonlyMap<ParsedFile, 'snapshot' | 'copy' | 'graphile-dump'>;
  tables: Map<string, Table>;
  views: Map<string, View>;
  functions: Map<string, Func[]>;
  roles: Map<string, Role>;
  policies: Policy[];
  triggers: Trigger[];
  grantEvents: GrantEvent[];
  contextWrites: ContextWrite[];
  rlsEventsOfUncreatedTables: Map<string, RlsEvent[]>;
  defaultExecuteRevoked: Loc | undefined;
  statements: Array<{ file: ParsedFile; stmt: Statement }>;
  replacedPolicies: PolicyReplacement[];
  recreatedTables: TableRecreation[];
  rejectedReplacements: RejectedReplacement[];
  supabase: boolean;
  assumeUnknownOwnerBypassesRls: boolean;
  readonly #defaultSchema: string;
  /** built on first use; the model is immutable once returned */
  #allFunctions: Func[] | undefined;

  constructor(config: Config, files: ParsedFile[], r: Replay, policies: Policy[], supabase: boolean, defaultSchema: string, notReplayed: ReadonlyMap<ParsedFile, 'snapshot' | 'copy' | 'graphile-dump'>) {
    this.config = config;
    this.files = files;
    this.notReplayed = notReplayed;
    this.tables = r.tables;
    this.views = r.views;
    this.functions = r.functions;
    this.roles = r.roles;
    this.policies = policies;
    this.triggers = r.triggers;
    this.grantEvents = r.grantEvents;
    this.contextWrites = r.contextWrites;
    this.rlsEventsOfUncreatedTables = r.rlsEventsOfUncreatedTables;
    this.defaultExecuteRevoked = r.defaultExecuteRevoked;
    this.statements = r.statements;
    this.replacedPolicies = r.replacedPolicies;
    this.recreatedTables = r.recreatedTables;
    this.rejectedReplacements = r.rejectedReplacements;
    this.supabase = supabase;
    this.assumeUnknownOwnerBypassesRls = config.definerOwnerBypassesRls === 'true' || (config.definerOwnerBypassesRls === 'auto' && supabase);
    this.#defaultSchema = defaultSchema;
  }

  key(parts: Array<string | undefined>): string {
    return plainKey(parts, this.#defaultSchema);
  }

  relKey(rel: Node | RelationRef): string {
    if ('inSubLink' in rel) return (anyPathResolved && rel.schema === undefined && pathKeys.get(rel.node)) || plainKey([rel.schema, rel.name], this.#defaultSchema);
    return (anyPathResolved && rel.schemaname === undefined && pathKeys.get(rel)) || plainKey([rel.schemaname, rel.relname], this.#defaultSchema);
  }

  /**
   * The key of a relation name of f's body (its RangeVar node, or relationsIn's RelationRef of it)
   * as the model resolves it in the function (Func.relKeys): with its own `SET search_path`, as
   * PostgreSQL runs it, as `f.reads` / `f.writes` / `f.truncations` have it. Rules ask this of the
   * names they take from function bodies, never Model.key (the default schema's).
   */
  funcRelKey(f: Func, rel: Node | RelationRef): string {
    const node = 'inSubLink' in rel ? rel.node : rel;
    const k = f.relKeys.size === 0 ? undefined : f.relKeys.get(node);
    return k ?? ('inSubLink' in rel ? plainKey([rel.schema, rel.name], this.#defaultSchema) : plainKey([rel.schemaname, rel.relname], this.#defaultSchema));
  }

  callPathKey(call: Node): string | undefined {
    return anyPathResolved ? pathKeys.get(call) : undefined;
  }

  findFunction(parts: string[], argCount?: number): Func | undefined {
    const list = functionsNamed(this.functions, parts, this.#defaultSchema);
    if (!list || list.length === 0) return undefined;
    if (argCount !== undefined) return list.find((f) => f.argTypes.length === argCount) ?? list[0];
    return list[list.length - 1];
  }

  allFunctions(): Func[] {
    if (!this.#allFunctions) {
      // (a plain loop: flat() over thousands of one-function lists is several times slower)
      const out: Func[] = [];
      for (const list of this.functions.values()) for (const f of list) out.push(f);
      this.#allFunctions = out;
    }
    return this.#allFunctions;
  }

  roleBypassesRls(role: string | undefined): boolean | undefined {
    if (!role) return undefined;
    const r = this.roles.get(role);
    // (postgres: the superuser initdb makes, and Supabase's BYPASSRLS migration role, unless the migrations make it otherwise)
    if (!r) return role === 'postgres' ? true : undefined;
    return r.bypassRls || r.superuser;
  }
}

/** The state of a replay, and the statements' effects on it. */
class Replay {
  readonly tables = new Map<string, Table>();
  readonly views = new Map<string, View>();
  readonly functions = new Map<string, Func[]>();
  readonly roles = new Map<string, Role>();
  readonly triggers: Trigger[] = [];
  grantEvents: GrantEvent[] = [];
  contextWrites: ContextWrite[] = [];
  readonly rlsEventsOfUncreatedTables = new Map<string, RlsEvent[]>();
  statements: Array<{ file: ParsedFile; stmt: Statement }> = [];
  /** policies on tables the workspace never creates (e.g. storage.objects) */
  readonly orphanPolicies: Policy[] = [];
  /** CREATE POLICY statements that replaced a policy of the same name (Model.replacedPolicies) */
  replacedPolicies: PolicyReplacement[] = [];
  /** Model.recreatedTables: a segment that adds to it is not recorded (whether one is depends on all the statements before it) */
  recreatedTables: TableRecreation[] = [];
  /** Model.rejectedReplacements: a segment that adds to it is not recorded (as recreatedTables) */
  rejectedReplacements: RejectedReplacement[] = [];
  /** CREATE TABLE statements that make no table (buildModel's `failing`) */
  failing: ReadonlySet<Statement> | undefined;
  /**
   * triggers and orphanPolicies by table key (ByTable), in list order, for redo's
   * checks: made by the first redo that asks, kept up to date by redo, dropped by run. Asked by a
   * scan of the lists instead, each redo of the bench's re-lint looked at ≈ 1,600 triggers and 100
   * policies: two thirds of redo's time, ≈ 7 ms of each re-lint.
   */
  triggersByTable: ByTable<Trigger> | undefined;
  orphansByTable: ByTable<Policy> | undefined;
  /** how many orphan policies a CREATE POLICY of the same name replaced or a DROP POLICY removed: a segment doing so is recorded only with its policyNames (SegmentRecord.orphanMatches) */
  orphansReplaced = 0;
  /** how many times default privileges were decided by the roles the migrations made (defaultsReach: a segment doing so is not recorded, its footprint does not name them) */
  rolesConsulted = 0;
  /** CREATEs of an unqualified name the search_path put in another schema than the one holding it (createKeyOf): a segment making one is not recorded */
  createdThroughPath = 0;
  /** What schemaState asks of the build beyond the state: its files and segments, whether the database is Supabase's (set by buildModel, for each build) */
  schemaInfo: SchemaInfo | undefined;
  defaultExecuteRevoked: Loc | undefined;
  defaultTableGrants: DefaultTableGrant[] = [];
  /**
   * The session's search_path while replaying (`SET search_path` / `SET SCHEMA`; a new psql
   * session starts without one): an unqualified name is the first object of that name in its
   * schemas, or a new one in the first schema. Otherwise, and after the replay, the default schema.
   */
  searchPath: string[] | undefined;
  /**
   * The statement that last set the search_path in this psql session (a RESET too; undefined:
   * none since the session started): what `SET search_path FROM CURRENT` stores. A segment that
   * starts with one in a session that goes on is neither recorded nor redone, like one under a
   * search_path.
   */
  pathSet: OpSet | undefined;
  /** the default schema and the search_path: the tag of prototypes resolved under them */
  schemaTag: string;
  /** while a prototype is computed under a search_path: the names it resolves through it, and their keys */
  deps: string[] | undefined;
  currentRole: string | undefined;
  lastEntry: ParsedFile | undefined;
  /** the search_path a session started on a file begins with, where not the default (sessionStartPaths); such sessions are neither recorded nor redone */
  startPaths: ReadonlyMap<string, string[]> | undefined;
  /** the copies of shared objects this replay made since it was saved, by original: one copy however the original is reached */
  copies = new Map<object, object>();
  /** the policies this replay copied (ownPolicy): the only ones it writes to, when not shared since */
  readonly madePolicies = new Set<Policy>();
  /** the records of the segments recorded or redone since their values were last shared (see "redoing a segment") */
  pending: SegmentRecord[] = [];
  /** the maps by index (M_…) */
  readonly maps: ReadonlyArray<Map<string, unknown>> = [this.tables, this.views, this.functions, this.roles, this.rlsEventsOfUncreatedTables];
  /** while a segment is recorded (see SegmentRecord): the keys added to the maps, as map index and key pairs */
  added: Array<number | string> | undefined;

  constructor(readonly defaultSchema: string) {
    this.schemaTag = defaultSchema;
  }

  /**
   * The state as it stands, to resume from later: it shares this replay's objects, so this
   * replay copies those it writes to from now on (see "sharing the replay's state").
   */
  save(): Replay {
    const state = this.sharedCopy();
    if (guarding) {
      for (const a of [state.triggers, state.orphanPolicies, state.grantEvents, state.contextWrites, state.statements, state.defaultTableGrants, state.replacedPolicies, state.recreatedTables, state.rejectedReplacements]) Object.freeze(a);
      for (const m of [state.tables, state.views, state.functions, state.roles, state.rlsEventsOfUncreatedTables]) guard(m);
    }
    return state;
  }

  /** For redoCheck: a replay in the same state (sharing its objects: each copies what it writes to from now on). */
  fork(): Replay {
    return this.sharedCopy();
  }

  /** A replay in this one's state, sharing its objects: from now on each copies those it writes to. */
  private sharedCopy(): Replay {
    shareObjects(this);
    this.pending.length = 0; // (shared with the rest)
    this.copies = new Map();
    const other = new Replay(this.defaultSchema);
    shareState(this, other);
    return other;
  }

  // A write to an object of the state goes through own…: the object itself if this replay
  // made it (not shared), else its copy, put in the original's place in this replay's state.

  ownTable(t: Table): Table {
    return this.ownIn(t, copyTable, this.tables, t.key);
  }

  ownView(v: View): View {
    return this.ownIn(v, copyView, this.views, v.key);
  }

  ownRole(r: Role): Role {
    return this.ownIn(r, copyRole, this.roles, r.name);
  }

  /** An object that `map` holds under `key`: the copy takes its place there. */
  private ownIn<T extends object>(x: T, copy: (x: T) => T, map: Map<string, T>, key: string): T {
    if (!shared.has(x)) return x;
    let c = this.copies.get(x) as T | undefined;
    if (!c) {
      this.copies.set(x, (c = copy(x)));
      if (map.get(key) === x) map.set(key, c);
    }
    return c;
  }

  /** (a function is in the list of its key: a copy goes in a copy of that list) */
  ownFunc(f: Func): Func {
    if (!shared.has(f)) return f;
    let c = this.copies.get(f) as Func | undefined;
    if (!c) {
      this.copies.set(f, (c = copyFunc(f)));
      const list = this.functions.get(f.key);
      const i = list ? list.indexOf(f) : -1;
      if (i >= 0) {
        const copy = list!.slice();
        copy[i] = c;
        this.functions.set(f.key, copy);
      }
    }
    return c;
  }

  /**
   * A policy of `list`: its table's (owned), or orphanPolicies. A policy is its CREATE POLICY's
   * prototype (createPolicy), which its op keeps for the next builds: one is written to only
   * once this replay has copied it (madePolicies), not merely when it is not shared.
   */
  ownPolicy(p: Policy, list: Policy[]): Policy {
    if (!shared.has(p) && this.madePolicies.has(p)) return p;
    let c = this.copies.get(p) as Policy | undefined;
    if (!c) {
      this.copies.set(p, (c = copyPolicy(p)));
      this.madePolicies.add(c);
      const i = list.indexOf(p);
      if (i >= 0) list[i] = c;
    }
    return c;
  }

  /** A trigger of `list`, its table's (owned): one copy, in that list and in `triggers`. */
  ownTrigger(tr: Trigger, list: Trigger[]): Trigger {
    const first = shared.has(tr) && !this.copies.has(tr);
    const c = this.ownInList(tr, copyTrigger, list);
    if (first) {
      const j = this.triggers.indexOf(tr);
      if (j >= 0) this.triggers[j] = c;
    }
    return c;
  }

  /** An object of `list` (an owned one): the copy takes its place there. */
  private ownInList<T extends object>(x: T, copy: (x: T) => T, list: T[]): T {
    if (!shared.has(x)) return x;
    let c = this.copies.get(x) as T | undefined;
    if (!c) {
      this.copies.set(x, (c = copy(x)));
      const i = list.indexOf(x);
      if (i >= 0) list[i] = c;
    }
    return c;
  }

  /**
   * A `SET search_path FROM CURRENT` setting with the value it stores here (FunctionSetting.current);
   * another setting as it is. (zeebonk/database: 13 definers created FROM CURRENT after `SET
   * search_path TO app_public, …, public`, which lacks pg_temp.)
   */
  currentOf(s: FunctionSetting): FunctionSetting {
    if (!pathFromCurrent(s)) return s;
    const set = this.pathSet;
    const path = !set ? undefined : set.emptyPath ? [] : set.searchPath || undefined;
    return { name: s.name, values: s.values, loc: s.loc, current: { path, set: set?.here } };
  }

  /** Function options with their `SET search_path FROM CURRENT` given the value it stores here (currentOf); the same list when none has one. */
  fromCurrent(options: FuncOption[]): FuncOption[] {
    if (!options.some((o) => o.kind === 'set' && o.setting && pathFromCurrent(o.setting))) return options;
    return options.map((o) => (o.kind === 'set' && o.setting ? { ...o, setting: this.currentOf(o.setting) } : o));
  }

  /** Sets a key of one of the state's maps (`id`: its M_… index), noting it while a segment is recorded if the key is new. */
  insert<T>(map: Map<string, T>, id: number, key: string, value: T): void {
    const n = map.size;
    map.set(key, value);
    if (this.added && map.size !== n) this.added.push(id, key);
  }

  setSearchPath(path: string[] | undefined): void {
    this.searchPath = path;
    this.schemaTag = path ? `${this.defaultSchema}|${path.join(',')}` : this.defaultSchema;
  }

  throughSearchPath(path: string[], name: string): string {
    let first: string | undefined;
    let found: string | undefined;
    for (const s of path) {
      if (s === '$user' || s === 'pg_temp' || s === 'pg_catalog') continue;
      const k = `${s}.${name}`;
      if (this.tables.has(k) || this.views.has(k) || this.functions.has(k)) {
        found = k;
        break;
      }
      first ??= s;
    }
    const k = found ?? `${first ?? this.defaultSchema}.${name}`;
    if (this.deps) this.deps.push(name, k);
    return k;
  }

  /**
   * The key of the workspace function an unqualified call of `name` resolves to under `path`: in
   * the first schema listed that has a function of that name ($user, pg_temp and pg_catalog
   * aside), '' when none has. Noted in the deps of the value being computed (FUNCTION_DEP and the
   * name: holds() asks again), so a policy prototype whose calls resolved so (Model.callPathKey)
   * is computed again when an edit elsewhere moves, adds or drops such a function.
   */
  functionThroughPath(path: readonly string[], name: string): string {
    let k = '';
    // (on Supabase, auth.uid(), auth.jwt(), auth.role() and auth.email() are the platform's, made
    // outside the migrations: `uid()` under `SET search_path = auth, public` is auth.uid())
    const platform = this.schemaInfo?.supabasePlatform === true && SUPABASE_AUTH_NAMES.has(name);
    for (const s of path) {
      if (s === '$user' || s === 'pg_temp' || s === 'pg_catalog') continue;
      if (this.functions.has(`${s}.${name}`) || (platform && s === 'auth')) {
        k = `${s}.${name}`;
        break;
      }
    }
    if (this.deps) this.deps.push(FUNCTION_DEP + name, k);
    return k;
  }

  /**
   * Under a search_path, notes the key each unqualified relation of the statement's expressions
   * resolves to (Model.relKey); otherwise forgets what an earlier replay under one noted.
   */
  resolveThroughPath(stmt: Statement, exprs: Node[]): void {
    const path = this.searchPath;
    if (path) anyPathResolved = true;
    for (const x of [stmt, ...exprs]) if (x) path ? pathResolved.add(x) : pathResolved.delete(x);
    for (const e of exprs) {
      if (!e) continue;
      for (const r of relationsIn(e)) {
        if (r.schema !== undefined) continue;
        if (path) pathKeys.set(r.node, this.throughSearchPath(path, r.name));
        else pathKeys.delete(r.node);
      }
      // (an unqualified call: the first schema of the path with a workspace function of its
      // name, debate-map's is_user_admin() in app; none, a built-in's or the default schema's)
      for (const c of callsIn(e)) {
        if (c.name.length !== 1) continue;
        const k = path ? this.functionThroughPath(path, c.name[0]!.toLowerCase()) : '';
        if (k && !k.startsWith(`${this.defaultSchema}.`)) pathKeys.set(c.node, k);
        else pathKeys.delete(c.node);
      }
    }
  }

  /** The key of name parts: the last two non-empty parts; a single name resolves through the search_path or to the default schema. */
  key(parts: ReadonlyArray<string | undefined>): string {
    const path = this.searchPath;
    return path ? plainKey(parts, this.defaultSchema, (name) => this.throughSearchPath(path, name)) : plainKey(parts, this.defaultSchema);
  }

  /** The key of a compiled name where the replay stands. */
  keyOf(name: Name): string {
    return this.searchPath ? this.key([name.schema, name.name]) : name.key;
  }

  /**
   * The key of the relation a CREATE of an unqualified name makes: under a search_path, in
   * PostgreSQL's creation namespace, the first schema listed that exists ($user, pg_temp and
   * pg_catalog aside), not the first one that already holds the name (keyOf): with
   * `SET search_path = data, public`, `CREATE TABLE uisetup` makes data.uisetup beside an
   * existing public.uisetup (PGlite). A schema listed that does not exist is skipped (PostgreSQL
   * leaves it out of the path): with no schema data, `CREATE TABLE notes` makes public.notes
   * (PGlite; schemaState says which schemas exist). A schema the model cannot know about
   * ('unknown') is passed over only when another schema already holds the name, as before: see
   * schemaState for why. A segment making one so, or asking whether a schema exists, is not
   * recorded (see record()): what it made depends on statements outside it. ($user, pg_temp and
   * pg_catalog are still passed over: listed first, pg_temp makes a temporary table and pg_catalog,
   * for a superuser, a table there (PGlite), which no key of the model stands for; a path of
   * schemas none of which exists fails with 3F000, and the model keeps keyOf's.)
   */
  createKeyOf(name: Name): string {
    const k = this.keyOf(name);
    const path = this.searchPath;
    if (!path || name.schema !== undefined || name.name === undefined) return k;
    let asked = false;
    try {
      for (const s of path) {
        if (s === '$user' || s === 'pg_temp' || s === 'pg_catalog') continue;
        const state = this.schemaState(s);
        if (state !== 'builtin') asked = true;
        if (state === 'missing') continue;
        const here = `${s}.${name.name}`;
        if (here === k) return k;
        if (state !== 'unknown') {
          asked = true;
          return here;
        }
      }
      return k;
    } finally {
      if (asked) this.createdThroughPath++;
    }
  }

  /**
   * Whether a schema exists where the replay stands: 'builtin' (public and information_schema,
   * and the schemas of the Supabase platform on one), 'exists' (schemaExists: made by a replayed
   * CREATE SCHEMA, or holding an object), 'missing' (a CREATE SCHEMA of the migrations makes it only
   * later in replay order, or the workspace never names it: PostgreSQL skips it in the path), or
   * 'unknown': never made by a CREATE SCHEMA the replay sees, yet named elsewhere in the workspace
   * (a qualified name, `ON SCHEMA` / `IN SCHEMA`, a string literal of its name): it may be made
   * outside the migrations (the platform, an init script, an extension's script) or by dynamic SQL
   * (`EXECUTE 'CREATE SCHEMA ' || …`). For such a schema the safe choice is the schema the migration
   * writes first, where its author meant the object: taking it for missing would move the object into
   * a later schema (public, often exposed through the API) and make claims about a public table that
   * PostgreSQL can disprove; the cost is at most a finding missed where the schema really is missing.
   */
  schemaState(schema: string): 'builtin' | 'exists' | 'missing' | 'unknown' {
    if (BUILTIN_SCHEMAS.has(schema)) return 'builtin';
    const info = this.schemaInfo;
    if (info?.supabasePlatform && SUPABASE_SCHEMAS.has(schema)) return 'builtin';
    if (this.schemaExists(schema)) return 'exists';
    if (!info) return 'unknown';
    const fact = workspaceSchemaFact(info, schema);
    return fact === 'named' ? 'unknown' : 'missing';
  }

  /** Whether a schema exists for certain here: public, one a replayed CREATE SCHEMA made, or one holding a relation or function. */
  schemaExists(schema: string): boolean {
    if (schema === 'public') return true;
    const prefix = `${schema}.`;
    for (const m of [this.tables, this.views, this.functions] as Array<Map<string, unknown>>) for (const key of m.keys()) if (key.startsWith(prefix)) return true;
    return this.statements.some((p) => p.stmt.kind === 'CreateSchemaStmt' && String(p.stmt.node?.schemaname ?? '').toLowerCase() === schema);
  }

  /** Whether the value of an op computed earlier holds here: same schemas, and its names resolve the same. */
  holds(op: ResolvedOn): boolean {
    if (op.tag !== this.schemaTag) return false;
    const d = op.deps;
    if (d) {
      for (let i = 0; i < d.length; i += 2) {
        const name = d[i]!;
        // (a system catalog's name, looked up by catalogKey: CATALOG_DEP and the name; a
        // called function's, by functionThroughPath: FUNCTION_DEP and the name)
        const c = name.charCodeAt(0);
        const k = c === 0 ? this.sessionCatalogKey(this.searchPath!, name.slice(1)) : c === 1 ? this.functionThroughPath(this.searchPath!, name.slice(1)) : this.throughSearchPath(this.searchPath!, name);
        if (k !== d[i + 1]) return false;
      }
    }
    return true;
  }

  /** Starts computing an op's value: under a search_path, the names it resolves are recorded (returns the outer record). */
  beginResolve(): string[] | undefined {
    const outer = this.deps;
    this.deps = this.searchPath ? [] : undefined;
    return outer;
  }

  /** Notes on the op what its value, just computed, was computed under. */
  resolved(op: ResolvedOn): void {
    op.tag = this.schemaTag;
    op.deps = this.deps;
  }

  tableProtoOf(op: OpCreateTable): TableProto {
    if (this.holds(op)) return op.proto!;
    const outer = this.beginResolve();
    try {
      const proto = this.tableProto(op.stmt.node, op.here);
      this.resolved(op);
      return (op.proto = proto);
    } finally {
      this.deps = outer;
    }
  }

  policyProtoOf(op: OpCreatePolicy): Policy {
    if (this.holds(op)) return op.proto!;
    const outer = this.beginResolve();
    try {
      const proto = this.policyProto(op.pair.file, op.stmt, op.here);
      this.resolved(op);
      return (op.proto = proto);
    } finally {
      this.deps = outer;
    }
  }

  /** The prototype of the function (its body's context writes in op.writes). */
  functionProtoOf(op: OpCreateFunction): Func {
    if (this.holds(op)) return op.proto!;
    const outer = this.beginResolve();
    try {
      const writes: ContextWrite[] = [];
      const proto = this.functionProto(op.pair.file, op.stmt, op.here, writes);
      this.resolved(op);
      op.writes = fitted(writes);
      return (op.proto = proto);
    } finally {
      this.deps = outer;
    }
  }

  viewReadsOf(op: OpView | OpCreateTableAs): Set<string> {
    if (op.kind === OP_VIEW && op.foreign) return NO_READS;
    if (this.holds(op)) return op.reads!;
    const outer = this.beginResolve();
    try {
      const reads = new Set<string>();
      const rels = relationsIn(op.query);
      for (let i = 0; i < rels.length; i++) reads.add(this.key([rels[i]!.schema, rels[i]!.name]));
      this.resolved(op);
      return (op.reads = reads);
    } finally {
      this.deps = outer;
    }
  }

  /**
   * Replays statements `from` to `to` of a file as run() does, and records what they did
   * when their footprint allows (see "redoing a segment").
   */
  record(file: ParsedFile, entry: ParsedFile, from: number, to: number): SegmentRecord | undefined {
    const fp = footprintOf(planOf(file, this.defaultSchema), from, to);
    // (a session that goes on keeps its search_path: names resolve through the state)
    const goesOn = this.lastEntry === entry || !fp?.hasOps;
    if (!fp || (goesOn && (this.searchPath || this.pathSet)) || this.startPaths?.has(entry.file)) {
      this.sharePending(); // (it may write to any of their values)
      this.run(file, entry, from, to);
      return undefined;
    }
    const maps = this.maps;
    const n = fp.keys.length;
    const before: unknown[] = new Array(n);
    let recordable = true;
    for (let j = 0; j < n; j++) {
      const v = maps[fp.maps[j]!]!.get(fp.keys[j]!);
      before[j] = v;
      if (v === undefined) continue;
      // written to by copies only; one copied before (its copy elsewhere in the state) is not recorded (redo refuses it too)
      shareEntry(fp.maps[j]!, v);
      if (this.copies.has(v as object)) recordable = false;
    }
    const role = goesOn ? this.currentRole : undefined;
    const revokedBefore = this.defaultExecuteRevoked;
    const defaults = fp.readsDefaults ? this.defaultTableGrants.slice() : undefined;
    const { statements, grantEvents, contextWrites, triggers, orphanPolicies, defaultTableGrants, replacedPolicies } = this;
    const lengths = [statements.length, grantEvents.length, contextWrites.length, triggers.length, orphanPolicies.length, defaultTableGrants.length, replacedPolicies.length];
    const added: Array<number | string> = (this.added = []);
    const replacedBefore = this.orphansReplaced;
    const consultedBefore = this.rolesConsulted;
    const throughPathBefore = this.createdThroughPath;
    const recreatedBefore = this.recreatedTables.length;
    const rejectedBefore = this.rejectedReplacements.length;
    // (a DROP TRIGGER removes from the list: what it held before, to tell removed from appended)
    const triggersBefore = fp.droppedTriggers.length ? triggers.slice() : undefined;
    // (and a CREATE or DROP POLICY on a table not created, from orphanPolicies)
    const orphansBefore = fp.policyNames.length ? orphanPolicies.slice() : undefined;
    try {
      this.run(file, entry, from, to);
    } finally {
      this.added = undefined;
    }
    let triggersAdded: Trigger[];
    let removedTriggers: Trigger[] = NO_TRIGGERS;
    if (triggersBefore) {
      const c = listChange(triggersBefore, triggers, (x) => dropsTrigger(fp, x));
      if (c) ({ removed: removedTriggers, added: triggersAdded } = c);
      else {
        recordable = false;
        triggersAdded = NO_TRIGGERS;
      }
    } else triggersAdded = triggers.slice(lengths[3]);
    let orphansAdded: Policy[];
    let orphanMatches: Policy[] = NO_POLICIES;
    let removedOrphans: Policy[] = NO_POLICIES;
    if (orphansBefore) {
      orphanMatches = orphansBefore.filter((x) => namesPolicy(fp, x));
      const c = listChange(orphansBefore, orphanPolicies, (x) => namesPolicy(fp, x));
      if (c) ({ removed: removedOrphans, added: orphansAdded } = c);
      else {
        recordable = false;
        orphansAdded = NO_POLICIES;
      }
    } else {
      orphansAdded = orphanPolicies.slice(lengths[4]);
      if (this.orphansReplaced !== replacedBefore) recordable = false;
    }
    if (this.recreatedTables.length !== recreatedBefore || this.rejectedReplacements.length !== rejectedBefore || this.rolesConsulted !== consultedBefore || this.createdThroughPath !== throughPathBefore) recordable = false;
    // the keys it added, each once where it was last added (a DROP FUNCTION or DROP VIEW before
    // the CREATE again removes the key and adds it at the end of the map), with its value after
    // it; a key it removed for good is in `removed`
    const lastAdded = new Map<string, number>();
    for (let k = 0; k < added.length; k += 2) lastAdded.set(`${added[k]}\u0000${added[k + 1]}`, k);
    const addedOut: unknown[] = [];
    for (let k = 0; k < added.length; k += 2) {
      if (lastAdded.get(`${added[k]}\u0000${added[k + 1]}`) !== k) continue;
      const v = maps[added[k] as number]!.get(added[k + 1] as string);
      if (v !== undefined) addedOut.push(added[k], added[k + 1], v);
    }
    const changed: unknown[] = [];
    const removed: unknown[] = [];
    let inFootprint = 0;
    for (let j = 0; j < n; j++) {
      const v = maps[fp.maps[j]!]!.get(fp.keys[j]!);
      if (lastAdded.has(`${fp.maps[j]}\u0000${fp.keys[j]}`)) {
        inFootprint++;
        if (v === undefined && before[j] !== undefined) removed.push(fp.maps[j], fp.keys[j]);
        continue;
      }
      if (v === before[j]) continue;
      if (v === undefined) removed.push(fp.maps[j], fp.keys[j]);
      else if (before[j] === undefined) recordable = false; // (added without insert(): not followed)
      else changed.push(fp.maps[j], fp.keys[j], v);
    }
    // every key added is in the footprint
    if (!recordable || inFootprint !== lastAdded.size) return undefined;
    const rec: SegmentRecord = {
      file,
      entry,
      from,
      to,
      footprint: fp,
      before,
      added: addedOut,
      changed,
      removed,
      role,
      executeRevoked: !!revokedBefore,
      defaults,
      after: { role: this.currentRole, pathSet: this.pathSet, defaultExecuteRevoked: this.defaultExecuteRevoked === revokedBefore ? undefined : this.defaultExecuteRevoked },
      statements: statements.slice(lengths[0]),
      grantEvents: grantEvents.slice(lengths[1]),
      contextWrites: contextWrites.slice(lengths[2]),
      triggers: triggersAdded,
      removedTriggers,
      orphanMatches,
      removedOrphans,
      orphanPolicies: orphansAdded,
      defaultTableGrants: defaultTableGrants.slice(lengths[5]),
      replacedPolicies: replacedPolicies.slice(lengths[6]),
    };
    this.pending.push(rec);
    return rec;
  }

  /** Puts the values the pending records left in `shared` (see "redoing a segment"). */
  sharePending(): void {
    for (const rec of this.pending) {
      for (const list of [rec.added, rec.changed]) for (let k = 0; k < list.length; k += 3) shareEntry(list[k] as number, list[k + 2]);
      for (const tr of rec.triggers) share(tr);
      for (const p of rec.orphanPolicies) share(p, freezeRoles);
    }
    this.pending.length = 0;
  }

  /**
   * Redoes a recorded segment if the state holds what it read (see "redoing a segment"):
   * its keys set to the values they had after it, its list elements appended. False (and
   * nothing changed) otherwise.
   */
  redo(rec: SegmentRecord): boolean {
    const fp = rec.footprint;
    const goesOn = this.lastEntry === rec.entry || !fp.hasOps;
    if ((goesOn && (this.searchPath || this.pathSet)) || this.startPaths?.has(rec.entry.file)) return false;
    if ((goesOn ? this.currentRole : undefined) !== rec.role || !this.defaultExecuteRevoked !== !rec.executeRevoked) return false;
    if (rec.defaults && !sameDefaults(rec.defaults, this.defaultTableGrants)) return false;
    const maps = this.maps;
    const before = rec.before;
    for (let j = 0; j < before.length; j++) {
      const v = maps[fp.maps[j]!]!.get(fp.keys[j]!);
      if (v !== before[j] || (v !== undefined && this.copies.has(v as object))) return false;
    }
    // a policy it makes on a table the workspace does not create replaces one of the same name
    // (createPolicy; one in a DO block keeps it), one it drops there is removed (applyDrop): the
    // list must hold of those names what it held when the segment was recorded
    if (fp.policyNames.length) {
      if (!sameOrphanMatches(fp, (this.orphansByTable ??= indexByTable(this.orphanPolicies)), this.orphanPolicies, rec.orphanMatches)) return false;
    } else if (rec.orphanPolicies.length) return false; // (a record without names appends none)
    // (the triggers its DROP TRIGGERs would remove: exactly those it removed when recorded)
    if (fp.droppedTriggers.length) {
      const d = fp.droppedTriggers;
      const index = (this.triggersByTable ??= indexByTable(this.triggers));
      let matching = 0;
      for (let k = 0; k < d.length; k += 2) {
        const on = index.get(d[k]!);
        if (on === undefined || (k > 0 && pairBefore(d, k))) continue; // (a name dropped twice: its triggers counted once)
        for (let j = 0; j < on.length; j++) {
          if (on[j]!.name !== d[k + 1]) continue;
          if (!rec.removedTriggers.includes(on[j]!)) return false;
          matching++;
        }
      }
      if (matching !== rec.removedTriggers.length) return false;
    }
    const { added, changed, removed } = rec;
    for (let k = 0; k < removed.length; k += 2) maps[removed[k] as number]!.delete(removed[k + 1] as string);
    // (a key it removed and added again goes to the end of the map, as in the replay)
    for (let k = 0; k < added.length; k += 3) {
      const map = maps[added[k] as number]!;
      map.delete(added[k + 1] as string);
      map.set(added[k + 1] as string, added[k + 2]);
    }
    for (let k = 0; k < changed.length; k += 3) maps[changed[k] as number]!.set(changed[k + 1] as string, changed[k + 2]);
    // (one push per list: a push per element was a fifth of redo's time on the bench)
    append(this.statements, rec.statements);
    append(this.grantEvents, rec.grantEvents);
    append(this.contextWrites, rec.contextWrites);
    for (const x of rec.removedTriggers) this.triggers.splice(this.triggers.indexOf(x), 1);
    append(this.triggers, rec.triggers);
    if (this.triggersByTable !== undefined) updateIndex(this.triggersByTable, rec.removedTriggers, rec.triggers);
    for (const x of rec.removedOrphans) this.orphanPolicies.splice(this.orphanPolicies.indexOf(x), 1);
    append(this.orphanPolicies, rec.orphanPolicies);
    if (this.orphansByTable !== undefined) updateIndex(this.orphansByTable, rec.removedOrphans, rec.orphanPolicies);
    append(this.defaultTableGrants, rec.defaultTableGrants);
    append(this.replacedPolicies, rec.replacedPolicies);
    this.pending.push(rec);
    if (fp.hasOps) {
      // (as run() leaves the session)
      if (this.lastEntry !== rec.entry) this.setSearchPath(undefined);
      this.lastEntry = rec.entry;
      this.currentRole = rec.after.role;
      this.pathSet = rec.after.pathSet;
    }
    if (rec.after.defaultExecuteRevoked) this.defaultExecuteRevoked = rec.after.defaultExecuteRevoked;
    return true;
  }

  /** Replays statements `from` to `to` (exclusive) of a file, run in the psql session of `entry`. */
  run(file: ParsedFile, entry: ParsedFile, from: number, to: number): void {
    // (the statements change the lists and the objects in them as they please: redo indexes them again)
    this.triggersByTable = undefined;
    this.orphansByTable = undefined;
    const ops = planOf(file, this.defaultSchema).ops;
    for (let i = from; i < to; i++) {
      const op = ops[i];
      if (!op) continue; // in a rollback section
      if (entry !== this.lastEntry) {
        this.currentRole = undefined; // a new psql session
        this.setSearchPath(this.startPaths?.get(entry.file));
        this.pathSet = undefined;
        this.lastEntry = entry;
      }
      this.statements.push(op.pair);
      try {
        this.apply(op);
        if (op.setConfig) for (const w of op.setConfig) this.contextWrites.push(w);
      } catch (e) {
        // a statement of an unexpected shape must not stop the replay of the others
        if (guarding && isSharedWrite(e)) throw e;
      }
    }
  }

  apply(op: Op): void {
    const here = op.here;
    switch (op.kind) {
      case OP_CREATE_TABLE: {
        if (this.failing?.has(op.stmt)) break;
        const k = this.createKeyOf(op.rel);
        // IF NOT EXISTS on an existing relation only gives a NOTICE: the table keeps its columns, RLS state, policies and grants
        if (op.ifNotExists && this.relationExists(k)) {
          this.existsForCertain(op, k);
          break;
        }
        // (PostgreSQL looks up the column types before it makes the table: 42704, whether or not the table exists)
        if (op.inlineIndex) break;
        if (this.existsForCertain(op, k)) break;
        const before = this.tables.get(k);
        const proto = this.tableProtoOf(op);
        const t = this.addTable(op, k, proto);
        if (proto.like) this.likeColumns(t, op.stmt.node, here);
        if (this.currentRole) t.owner = { role: this.currentRole };
        if (before && !before.temp && !op.temp && folderOf(before.created.file) !== folderOf(op.here.file)) keepStateOf(t, before);
        break;
      }
      case OP_CREATE_TABLE_AS: {
        const k = this.createKeyOf(op.rel);
        if (op.ifNotExists && this.relationExists(k)) break;
        if (op.matview) {
          const v = this.addView(op, k, true, false);
          if (this.currentRole) v.owner = { role: this.currentRole };
        } else {
          const t = this.addTable(op, k, undefined);
          if (this.currentRole) t.owner = { role: this.currentRole };
        }
        break;
      }
      case OP_VIEW: {
        const k = this.createKeyOf(op.rel);
        if (op.foreign?.ifNotExists && this.relationExists(k)) break;
        // CREATE OR REPLACE VIEW keeps the view's owner and privileges (a copy of a shared view's)
        const prev = op.replace ? this.views.get(k) : undefined;
        const v = this.addView(op, k, false, op.securityInvoker);
        if (prev) Object.assign(v, { owner: prev.owner, grants: shared.has(prev) ? copyGrants(prev.grants) : prev.grants });
        else if (this.currentRole) v.owner = { role: this.currentRole };
        break;
      }
      case OP_ALTER_TABLE:
        this.alterTable(op, here);
        break;
      case OP_INDEX: {
        const shared = this.tables.get(this.keyOf(op.rel));
        if (!shared) break;
        const t = this.ownTable(shared);
        t.indexes = t.indexes.concat(makeIndex(op.name, op.columns, here, op.uniqueWhere));
        if (op.isKey) t.keys = t.keys.concat([op.columns]);
        break;
      }
      case OP_CREATE_POLICY:
        this.createPolicy(op);
        break;
      case OP_ALTER_POLICY:
        this.alterPolicy(op);
        break;
      case OP_CREATE_FUNCTION:
        this.createFunction(op);
        break;
      case OP_ALTER_FUNCTION:
        for (const g of this.funcsOf(op.func)) {
          const f = this.ownFunc(g);
          applyFunctionOptions(f, this.fromCurrent(op.options));
          if (f.alters === NO_ALTERS) f.alters = [here];
          else f.alters.push(here);
        }
        break;
      case OP_ALTER_OWNER:
        if (op.func) for (const f of this.funcsOf(op.func)) this.ownFunc(f).owner = this.newOwner(op.role, here);
        break;
      case OP_CREATE_TRIGGER: {
        const tk = this.keyOf(op.rel);
        const tr: Trigger = { name: op.name, table: tk, func: this.keyOf(op.func), events: op.events, row: op.row, before: op.before, transitionTables: op.transitionTables, loc: here };
        this.triggers.push(tr);
        const t = this.tables.get(tk);
        if (t) {
          const owned = this.ownTable(t);
          owned.triggers = owned.triggers.concat(tr);
        }
        break;
      }
      case OP_CREATE_ROLE:
        // (in a DO block, a role that exists already keeps what it is: that CREATE ROLE is behind
        // `IF NOT EXISTS (… pg_roles …)` or an EXCEPTION handler, or fails. sheenapps' CI baseline
        // stubs Supabase's roles so; on Supabase, service_role keeps its BYPASSRLS)
        if (op.stmt.origin === 'do' && this.roles.get(op.name)) break;
        this.insert(this.roles, M_ROLES, op.name, { name: op.name, bypassRls: op.bypassRls, superuser: op.superuser, declared: true, loc: here });
        break;
      case OP_ALTER_ROLE: {
        const known = this.roles.get(op.name);
        const r = known ? this.ownRole(known) : { name: op.name, bypassRls: false, superuser: false, declared: false, loc: here };
        for (const [attr, value] of op.sets) r[attr] = value;
        this.insert(this.roles, M_ROLES, op.name, r);
        break;
      }
      case OP_GRANT:
        this.applyGrant(op);
        break;
      case OP_DEFAULT_PRIVILEGES:
        if (op.revokesExecute) this.defaultExecuteRevoked = here;
        // (without FOR ROLE: the role it runs as, after a SET ROLE)
        for (const g of op.tableGrants) this.defaultTableGrants.push(g.creators || this.currentRole === undefined ? g : { ...g, creators: [this.currentRole] });
        break;
      case OP_DROP:
        this.applyDrop(op.stmt.node, op.stmt.origin === 'do' && !!op.stmt.mayNotRun);
        break;
      case OP_DYNAMIC:
        this.applyDynamic(op);
        break;
      case OP_CATALOG_LOOP:
        this.applyCatalogLoop(op);
        break;
      case OP_RENAME:
        this.applyRename(op.stmt.node, op.here);
        break;
      case OP_SET:
        if (op.role !== false) this.currentRole = op.role;
        if (op.searchPath !== false) {
          this.setSearchPath(op.searchPath);
          this.pathSet = op;
        }
        if (op.write) this.contextWrites.push(op.write);
        break;
    }
  }

  /**
   * Whether the table a CREATE TABLE makes exists for certain (Model.recreatedTables), recording
   * it if so: a plain one then fails; one with IF NOT EXISTS is skipped, and recorded only when it
   * writes a column the table does not have. A redone segment does not add to the list, so one
   * that does is never recorded (see record()), and it is replayed with whatever came before it now.
   */
  existsForCertain(op: OpCreateTable, k: string): boolean {
    const t = this.tables.get(k);
    // (a temporary table lasts for its session: psql's session of one migration file)
    if (!t || t.temp || op.temp || op.stmt.origin !== 'file' || t.stmt.origin !== 'file' || t.stmt.kind !== 'CreateStmt' || folderOf(t.created.file) !== folderOf(op.here.file)) return false;
    if (op.ifNotExists && columnsBeyond(op.stmt, t.columns).length === 0) return false;
    // nothing since it was created may have dropped it unseen (this statement is the last one)
    const list = this.statements;
    const look = this.unseenLookup();
    // nor does a type of its columns come after it (then it failed with 42704 and this one creates
    // the table), unless that type was made before it too (the later CREATE TYPE is the one that fails, 42710)
    const types = columnTypeNames(t.stmt);
    let later: Set<string> | undefined;
    let i = list.length - 2;
    while (i >= 0 && list[i]!.stmt !== t.stmt) {
      const s = list[i]!.stmt;
      if (mayDropUnseen(s, list[i]!.file.file, look, 'table')) return false;
      const made = types.size !== 0 ? createdTypeName(s) : undefined;
      if (made !== undefined && types.has(made)) (later ??= new Set()).add(made);
      i--;
    }
    if (i < 0) return false;
    if (later) {
      for (let j = 0; j < i && later.size; j++) {
        const made = createdTypeName(list[j]!.stmt);
        if (made !== undefined) later.delete(made);
      }
      if (later.size) return false;
    }
    this.recreatedTables.push({ table: { key: t.key, name: t.name, created: t.created, columns: t.columns.slice() }, stmt: op.stmt, loc: op.here, nameLoc: op.nameLoc, ...(op.ifNotExists ? { ifNotExists: true as const } : {}) });
    return true;
  }

  /** What mayDropUnseen asks of the replay: its functions, and the text of the files replayed so far (gathered when first asked). */
  unseenLookup(): UnseenLookup {
    const list = this.statements;
    let texts: Map<string, string> | undefined;
    return {
      func: (parts) => functionsNamed(this.functions, parts, this.defaultSchema)?.[0],
      text: (file) => {
        if (!texts) {
          texts = new Map();
          for (const x of list) texts.set(x.file.file, x.file.text);
        }
        return texts.get(file) ?? '';
      },
    };
  }

  relationExists(k: string): boolean {
    return this.tables.has(k) || this.views.has(k);
  }

  /** The overloads a function reference names: the exact argument types, else the same number of arguments, else (no types given) all. */
  funcsOf(ref: FuncRef): Func[] {
    const list = this.functions.get(this.keyOf(ref.name)) ?? [];
    if (ref.argKey === undefined) return list;
    // (the list itself when its one function is the one named: callers only read what this returns)
    if (list.length === 1 && argKeyOf(list[0]!) === ref.argKey) return list;
    const exact = list.filter((f) => argKeyOf(f) === ref.argKey);
    return exact.length ? exact : list.filter((f) => f.argTypes.length === ref.argCount);
  }

  funcFromObject(obj: Node): Func[] {
    return this.funcsOf(funcRef(obj, this.defaultSchema));
  }

  addTable(op: OpCreateTable | OpCreateTableAs, k: string, proto: TableProto | undefined): Table {
    const t: Table = {
      key: k,
      schema: this.searchPath ? k.split('.')[0]! : op.schema,
      name: op.relname,
      partitioned: proto ? proto.partitioned : false,
      temp: op.temp,
      created: op.created,
      nameLoc: op.nameLoc,
      stmt: op.stmt,
      columns: proto ? proto.columns : [],
      keys: proto ? proto.keys : [],
      indexes: [],
      rlsEnabled: false,
      rlsForced: false,
      rlsEvents: [],
      parents: proto ? copyParents(proto.parents) : [],
      policies: [],
      triggers: [],
      grants: NO_TABLE_GRANTS,
    };
    this.insert(this.tables, M_TABLES, k, t);
    // default privileges apply to tables created afterwards
    for (let i = 0; i < this.defaultTableGrants.length; i++) {
      const g = this.defaultTableGrants[i]!;
      if (g.functions || (g.schema && g.schema !== t.schema) || !this.defaultsReach(g)) continue;
      applyTableGrant(t, g.expanded, g.grantees, g.isGrant);
      if (!g.isGrant) this.defaultRevoke(t, g);
    }
    return t;
  }

  /**
   * A default REVOKE that reaches a new table or view, as a REVOKE on it where it is made: what
   * privilegesOf subtracts from the platform's own defaults too (Solara's `ALTER DEFAULT PRIVILEGES
   * FOR ROLE postgres IN SCHEMA public REVOKE ALL ON TABLES FROM anon, authenticated`: the views
   * made afterwards are readable by neither, 42501).
   */
  private defaultRevoke(rel: Table | View, g: DefaultTableGrant): void {
    this.grantEvents.push({ isGrant: false, objectKind: 'table', objects: [rel.key], privileges: g.expanded, grantees: g.grantees, loc: rel.created });
  }

  /**
   * Whether default privileges reach a table made now: PostgreSQL applies them to the objects
   * the roles they were set for create (FOR ROLE, else the role that ran ALTER DEFAULT
   * PRIVILEGES). Left out only where that is certain: the creating role (the current role) is
   * known and is not one of them, or one side is the session's role and the other a role the
   * migrations created (which cannot be the role that ran the statements before it existed).
   */
  private defaultsReach(g: DefaultTableGrant): boolean {
    const creator = this.currentRole;
    const made = (r: string) => (this.rolesConsulted++, this.roles.get(r)?.declared === true);
    if (g.creators) return creator !== undefined ? g.creators.includes(creator) : !g.creators.every(made);
    return creator === undefined || !made(creator);
  }

  addView(op: OpView | OpCreateTableAs, k: string, materialized: boolean, securityInvoker: boolean): View {
    const reads = this.viewReadsOf(op);
    const v: View = {
      key: k,
      schema: this.searchPath ? k.split('.')[0]! : op.schema,
      name: op.relname,
      materialized,
      securityInvoker,
      reads,
      created: op.created,
      nameLoc: op.nameLoc,
      stmt: op.stmt,
      grants: NO_TABLE_GRANTS,
      ...(op.kind === OP_VIEW && op.foreign ? { foreign: true as const } : {}),
    };
    this.insert(this.views, M_VIEWS, k, v);
    // default privileges ON TABLES apply to views and materialized views too
    for (let i = 0; i < this.defaultTableGrants.length; i++) {
      const g = this.defaultTableGrants[i]!;
      if (g.functions || (g.schema && g.schema !== v.schema) || !this.defaultsReach(g)) continue;
      applyTableGrant(v, g.expanded, g.grantees, g.isGrant);
      if (!g.isGrant) this.defaultRevoke(v, g);
    }
    return v;
  }

  /**
   * A CREATE POLICY in a DO block of a name its table already has a policy of does not replace
   * it: in PostgreSQL it never does, being most often under IF NOT EXISTS (…
   * pg_policies …), and otherwise failing with 42710 and its DO block with it.
   */
  createPolicy(op: OpCreatePolicy): void {
    // The policy is the prototype itself, never written to (see ownPolicy): a copy of it per
    // build was 8,938 objects kept by the bench's cold build (≈ 1.1 MB), the same in each
    // field. The same policy object in consecutive models is what a redone segment gives too.
    const p = this.policyProtoOf(op);
    const shared = this.tables.get(p.table);
    if (shared) {
      const t = this.ownTable(shared);
      let i = 0;
      while (i < t.policies.length && t.policies[i]!.name !== p.name) i++;
      if (i < t.policies.length) {
        if (op.stmt.origin === 'do') return; // (kept: see above)
        this.replacedPolicies.push({ replaced: t.policies[i]!, by: p });
        t.policies = t.policies.filter((x) => x.name !== p.name);
      }
      t.policies = t.policies.concat(p);
    } else {
      // policy on a table the workspace does not create (e.g. storage.objects); one of the same
      // name is replaced, as on a created table (a record only appends: see orphansReplaced)
      const orphans = this.orphanPolicies;
      if (op.stmt.origin === 'do' && findPolicy(orphans, p.table, p.name)) return; // (kept: see above)
      for (let i = orphans.length - 1; i >= 0; i--) {
        if (orphans[i]!.table === p.table && orphans[i]!.name === p.name) {
          this.replacedPolicies.push({ replaced: orphans[i]!, by: p });
          orphans.splice(i, 1);
          this.orphansReplaced++;
        }
      }
      orphans.push(p);
    }
  }

  alterPolicy(op: OpAlterPolicy): void {
    const tk = this.keyOf(op.table);
    const t = this.tables.get(tk);
    let p = t && findPolicy(t.policies, tk, op.name);
    if (p) p = this.ownPolicy(p, this.ownTable(t!).policies);
    else {
      p = findPolicy(this.orphanPolicies, tk, op.name);
      if (p) p = this.ownPolicy(p, this.orphanPolicies);
    }
    if (!p) return;
    const n = op.stmt.node;
    if (op.roles) {
      p.roles = op.roles.slice();
      p.implicitPublic = false;
    }
    if (this.searchPath || resolvedThroughPath(op.stmt)) this.resolveThroughPath(op.stmt, [n.qual, n.with_check]);
    if (n.qual) p.using = n.qual;
    if (n.with_check) p.withCheck = n.with_check;
    p.loc = op.here;
    p.stmt = op.stmt;
  }

  createFunction(op: OpCreateFunction): void {
    let pf = this.functionProtoOf(op);
    // (an unqualified name under a search_path: made in the creation namespace, as a table is —
    // the first schema listed that exists, createKeyOf —, not where keyOf finds the name; the
    // prototype keeps keyOf's, which its deps follow, and the function made here takes this one)
    if (this.searchPath && nameParts(op.stmt.node.funcname).length === 1) {
      const k = this.createKeyOf({ schema: undefined, name: pf.name, key: pf.key });
      if (k !== pf.key) pf = { ...pf, key: k, schema: k.slice(0, k.indexOf('.')), signature: `${k}(${pf.argTypes.join(', ')})` };
    }
    // (made under IF NOT EXISTS (… pg_proc …) in a DO block: where the function exists, the branch
    // does not run and it keeps what it was — Rochthii/secure-multitenant-saas's is_within_business_hours,
    // whose SET search_path the DO block's version lacks; PGlite)
    if (op.stmt.whenNoFunction && this.functions.get(pf.key)?.some((g) => g.name === pf.name)) return;
    const refused = op.replace && op.stmt.origin === 'file' ? this.rejectsReplace(op, pf) : false;
    if (refused === true) return;
    // (a SQL body returning text for a uuid, integer, boolean… PostgreSQL refuses, 42P13: no
    // function is made, and one of these arguments made before stays as it was — ContemplaHub's
    // auth.org_id(); function-replace-rejected reports it)
    // (so for two parameters of one name, 42P13 parameter name "email" used more than once: cdos'
    // verify_password(email text, …) RETURNS TABLE (…, email text) LANGUAGE plpgsql)
    if (op.bodyRejected) return;
    const f: Func = {
      key: pf.key,
      schema: pf.schema,
      name: pf.name,
      argTypes: pf.argTypes,
      signature: pf.signature,
      language: pf.language,
      isProcedure: pf.isProcedure,
      securityDefiner: pf.securityDefiner,
      volatility: pf.volatility,
      settings: pf.settings, // (replaced, never written to: applyFunctionOptions)
      returnsTrigger: pf.returnsTrigger,
      returnType: pf.returnType,
      body: pf.body,
      reads: pf.reads,
      writes: pf.writes,
      truncates: pf.truncates,
      truncations: pf.truncations,
      relKeys: pf.relKeys,
      calls: pf.calls,
      created: pf.created,
      nameLoc: pf.nameLoc,
      stmt: op.stmt,
      publicExecute: !this.defaultExecuteRevoked,
      executeGrants: NO_GRANTS,
      alters: NO_ALTERS,
      owner: this.currentRole ? { role: this.currentRole } : undefined,
    };
    if ('securityLoc' in pf) f.securityLoc = pf.securityLoc;
    if ('volatilityLoc' in pf) f.volatilityLoc = pf.volatilityLoc;
    if (refused === 'uncertain') f.replaceUncertain = true;
    if (pf.settings.some(pathFromCurrent)) f.settings = pf.settings.map((s) => this.currentOf(s));
    for (let i = 0; i < op.writes.length; i++) this.contextWrites.push(op.writes[i]!);
    const argKey = argKeyOf(f);
    const existing = this.functions.get(f.key);
    // CREATE OR REPLACE keeps the function's owner and privileges (a copy of a shared function's)
    let replaced: Func | undefined;
    if (op.replace && existing) {
      for (const g of existing) {
        if (argKeyOf(g) === argKey) {
          replaced = g;
          break;
        }
      }
    }
    if (replaced) {
      const executeGrants = shared.has(replaced) ? copyGrantSet(replaced.executeGrants) : replaced.executeGrants;
      Object.assign(f, { publicExecute: replaced.publicExecute, executeGrants, owner: replaced.owner ?? f.owner });
      if (replaced.executeByDefault) f.executeByDefault = replaced.executeByDefault;
      f.made = replaced.made ?? replaced.created;
    } else {
      const byDefault = this.defaultExecute(f.schema, f.created);
      if (byDefault) {
        f.executeGrants = new Set(byDefault.map((d) => d.role));
        f.executeByDefault = byDefault;
      }
    }
    const list: Func[] = [];
    if (existing) for (const g of existing) if (argKeyOf(g) !== argKey) list.push(g);
    list.push(f);
    this.insert(this.functions, M_FUNCTIONS, f.key, list);
  }

  /**
   * The roles default privileges grant EXECUTE on a function made now in `schema`, directly
   * (abhiguru/SSBackend's `ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT EXECUTE ON FUNCTIONS
   * TO anon, authenticated`: a REVOKE … FROM PUBLIC leaves them, measured on PGlite), each with
   * the statement that granted it. Those set for the creating role (defaultsReach); the
   * global defaults and the schema's are two entries in PostgreSQL, each a REVOKE changes only its
   * own, and a new function gets both.
   */
  private defaultExecute(schema: string, made: Loc): Array<{ role: string; loc: Loc; made: Loc }> | undefined {
    let global: Map<string, Loc> | undefined;
    let inSchema: Map<string, Loc> | undefined;
    const list = this.defaultTableGrants;
    for (let i = 0; i < list.length; i++) {
      const g = list[i]!;
      if (!g.functions || (g.schema && g.schema !== schema) || !this.defaultsReach(g)) continue;
      const held = g.schema ? (inSchema ??= new Map()) : (global ??= new Map());
      for (const r of g.grantees) if (r !== 'public') g.isGrant ? held.set(r, g.functions) : held.delete(r);
    }
    if (!global?.size && !inSchema?.size) return undefined;
    const out: Array<{ role: string; loc: Loc; made: Loc }> = [];
    for (const held of [global, inSchema]) for (const [role, loc] of held ?? []) if (!out.some((d) => d.role === role)) out.push({ role, loc, made });
    return out;
  }

  /**
   * Whether PostgreSQL rejects a top-level CREATE OR REPLACE over the routine of the same argument
   * types (function-replace.ts), recording it if so: that routine was made by a top-level statement
   * of the same folder, and nothing since may have dropped it unseen (unseen.ts: a DO block's
   * dynamic DROP, a call of a function that may drop it, DROP OWNED, DROP SCHEMA … CASCADE).
   * 'uncertain' where it would be refused but for such a statement between, or replaces one that
   * was (Func.replaceUncertain): the replay takes it, and says nothing of a refusal.
   */
  rejectsReplace(op: OpCreateFunction, pf: { key: string; argTypes: string[]; nameLoc: Loc }): boolean | 'uncertain' {
    const existing = this.functions.get(pf.key);
    if (!existing) return false;
    const argKey = argKeyOf(pf);
    const old = existing.find((g) => argKeyOf(g) === argKey);
    // (over one whose own CREATE OR REPLACE PostgreSQL may have refused: which definition this
    // replaces is not known, nor whether PostgreSQL takes it — longsangsabo/sabo-pool-v8-76's
    // sync_spa_wallet_data(), RETURNS jsonb, then integer after a DO block's EXECUTE of text, then
    // jsonb again, said to be refused for changing integer: PostgreSQL had refused the integer one)
    if (old?.replaceUncertain) return 'uncertain';
    if (!old || old.stmt.origin !== 'file' || old.stmt.kind !== 'CreateFunctionStmt' || folderOf(old.created.file) !== folderOf(op.here.file)) return false;
    const rejection = replaceRejection(old.stmt.node, op.stmt.node, this.defaultSchema);
    if (!rejection) return false;
    // nothing since it was created may have dropped it unseen (this statement is the last one)
    const list = this.statements;
    const look = this.unseenLookup();
    let i = list.length - 2;
    for (; i >= 0 && list[i]!.stmt !== old.stmt; i--) if (mayDropUnseen(list[i]!.stmt, list[i]!.file.file, look, 'function')) return 'uncertain';
    if (i < 0) return false;
    this.rejectedReplacements.push({ stmt: op.stmt, loc: op.here, nameLoc: pf.nameLoc, replaced: old, rejection });
    return true;
  }

  /** ALTER TABLE's ENABLE, DISABLE, FORCE or NO FORCE ROW LEVEL SECURITY on `t`: the table owned. */
  setRls(t: Table, kind: RlsEvent['kind'], here: Loc): Table {
    const owned = this.ownTable(t);
    if (kind === 'enable' || kind === 'disable') owned.rlsEnabled = kind === 'enable';
    else owned.rlsForced = kind === 'force';
    owned.rlsEvents = owned.rlsEvents.concat({ kind, loc: here });
    return owned;
  }

  alterTable(op: OpAlterTable, here: Loc): void {
    const n = op.stmt.node;
    const k = this.keyOf(op.rel);
    // (owned before each write: a command may change nothing)
    let t = this.tables.get(k);
    let v = this.views.get(k);
    const cmds: Node[] = n.cmds ?? [];
    for (let i = 0; i < cmds.length; i++) {
      const cmd = cmds[i].AlterTableCmd;
      if (!cmd) continue;
      if (v && cmd.subtype === 'AT_SetRelOptions') {
        for (const o of cmd.def?.List?.items ?? []) {
          if (o.DefElem?.defname === 'security_invoker') (v = this.ownView(v)).securityInvoker = boolOption(o.DefElem);
        }
      }
      if (v && cmd.subtype === 'AT_ResetRelOptions') {
        for (const o of cmd.def?.List?.items ?? []) if (o.DefElem?.defname === 'security_invoker') (v = this.ownView(v)).securityInvoker = false;
      }
      if (v && cmd.subtype === 'AT_ChangeOwner') (v = this.ownView(v)).owner = this.newOwner(roleName(cmd.newowner), here);
      if (!t && !v && n.objtype === 'OBJECT_TABLE') {
        const kind = RLS_EVENT_KINDS[cmd.subtype as string];
        if (kind) this.insert(this.rlsEventsOfUncreatedTables, M_RLS_UNCREATED, k, [...(this.rlsEventsOfUncreatedTables.get(k) ?? []), { kind, loc: here }]);
      }
      if (!t) continue;
      const rls = RLS_EVENT_KINDS[cmd.subtype as string];
      if (rls) {
        t = this.setRls(t, rls, here);
        continue;
      }
      switch (cmd.subtype) {
        case 'AT_ChangeOwner':
          t = this.ownTable(t);
          t.owner = this.newOwner(roleName(cmd.newowner), here);
          break;
        case 'AT_AddColumn':
          // (a column it has already: IF NOT EXISTS skips it with a notice, without it 42701; once either way)
          if (cmd.def?.ColumnDef && !t.columns.includes(cmd.def.ColumnDef.colname)) {
            t = this.ownTable(t);
            t.columns = t.columns.concat(cmd.def.ColumnDef.colname);
            t.columnTypes = new Map(t.columnTypes ?? []).set(cmd.def.ColumnDef.colname, informationSchemaType(cmd.def.ColumnDef.typeName));
            for (const ct of cmd.def.ColumnDef.constraints ?? []) {
              const ty = ct.Constraint?.contype;
              if (ty === 'CONSTR_PRIMARY' || ty === 'CONSTR_UNIQUE') t.keys = t.keys.concat([[cmd.def.ColumnDef.colname]]);
            }
          }
          break;
        case 'AT_AlterColumnType':
          if (typeof cmd.name === 'string' && t.columns.includes(cmd.name)) {
            t = this.ownTable(t);
            t.columnTypes = new Map(t.columnTypes ?? []).set(cmd.name, informationSchemaType(cmd.def?.ColumnDef?.typeName));
          }
          break;
        case 'AT_DropColumn':
          t = this.ownTable(t);
          t.columns = t.columns.filter((c2) => c2 !== cmd.name);
          // (CASCADE drops the table's policies whose expressions name the column with it; without,
          // PostgreSQL refuses the DROP with 2BP01 while one does)
          if (cmd.behavior === 'DROP_CASCADE' && typeof cmd.name === 'string' && t.policies.length) dropPoliciesNaming(t, [cmd.name]);
          break;
        case 'AT_AddConstraint': {
          const ct = cmd.def?.Constraint;
          if (ct && (ct.contype === 'CONSTR_PRIMARY' || ct.contype === 'CONSTR_UNIQUE')) {
            const owned = this.ownTable(t);
            owned.keys = owned.keys.concat([(ct.keys ?? []).map((x: Node) => sval(x)!)]);
          }
          break;
        }
        case 'AT_AttachPartition': {
          const prv = cmd.def?.PartitionCmd?.name;
          const child: Table | undefined = prv ? this.tables.get(this.key([prv.schemaname, prv.relname])) : undefined;
          if (child) this.ownTable(child).parents.push({ key: t.key, kind: 'partition', loc: here });
          break;
        }
        case 'AT_DetachPartition': {
          const prv = cmd.def?.PartitionCmd?.name;
          const child: Table | undefined = prv ? this.tables.get(this.key([prv.schemaname, prv.relname])) : undefined;
          const parent = t.key;
          if (child) {
            const owned = this.ownTable(child);
            owned.parents = owned.parents.filter((p) => p.key !== parent);
          }
          break;
        }
        case 'AT_AddInherit': {
          const prv = cmd.def?.RangeVar;
          if (prv) this.ownTable(t).parents.push({ key: this.key([prv.schemaname, prv.relname]), kind: 'inherits', loc: here });
          break;
        }
        case 'AT_DropInherit': {
          const prv = cmd.def?.RangeVar;
          if (prv) {
            const owned = this.ownTable(t);
            owned.parents = owned.parents.filter((p) => p.key !== this.key([prv.schemaname, prv.relname]));
          }
          break;
        }
      }
    }
  }

  /** Everything about a CREATE FUNCTION that depends on the statement (and the keys of the names it resolves) alone. */
  functionProto(file: ParsedFile, stmt: Statement, here: Loc, writes: ContextWrite[]): Func {
    const n = stmt.node;
    const parts = nameParts(n.funcname);
    const k = this.key(parts);
    const argTypes: string[] = [];
    for (const x of n.parameters ?? []) {
      const p = x.FunctionParameter;
      if (p && p.mode !== 'FUNC_PARAM_OUT' && p.mode !== 'FUNC_PARAM_TABLE') argTypes.push(argTypeName(p.argType, this.defaultSchema));
    }
    const nameStart = firstNameLocation(file.text, stmt);
    const returns = typeName(n.returnType);
    // the body's facts are the function's sets themselves (they are never written to once made)
    const body = stmt.body;
    // (an unqualified name of the body is looked up in the function's own search_path when it
    // sets one of a single schema: toit_artemis.update_state's `devices`, with SET search_path =
    // toit_artemis, pg_temp, is toit_artemis.devices, not public's)
    const options = functionOptions(n.options, file, stmt);
    const own = body ? ownPathSchema(options) : undefined;
    const key = own ? (names: Array<string | undefined>) => (names.length === 1 || names[0] === undefined ? plainKey([own, names[names.length - 1]], this.defaultSchema) : this.key(names)) : (names: Array<string | undefined>) => this.key(names);
    // (an unqualified pg_class or pg_policies is pg_catalog's: catalogKey)
    const relKey = (names: Array<string | undefined>) => {
      const name = names[names.length - 1];
      return (names.length === 1 || names[0] === undefined) && name !== undefined && PG_CATALOG_RELATIONS.has(name) ? this.catalogKey(name, options) : key(names);
    };
    const facts = body ? bodyFacts(file, body, key, relKey, this.defaultSchema) : undefined;
    const f: Func = {
      key: k,
      schema: k.slice(0, k.indexOf('.')),
      name: parts[parts.length - 1]!,
      argTypes: fitted(argTypes),
      signature: `${k}(${argTypes.join(', ')})`,
      language: 'sql',
      isProcedure: !!n.is_procedure,
      securityDefiner: false,
      volatility: 'volatile',
      settings: NO_SETTINGS,
      returnsTrigger: returns === 'trigger' || returns === 'event_trigger',
      returnType: n.returnType?.setof ? `setof ${returns}` : returns,
      body,
      reads: facts ? facts.reads : NO_KEYS,
      writes: facts ? facts.writes : NO_KEYS,
      truncates: facts ? facts.truncates : NO_KEYS,
      truncations: facts ? facts.truncations : NO_TRUNCATIONS,
      relKeys: facts ? facts.relKeys : NO_REL_KEYS,
      calls: facts ? facts.calls : NO_KEYS,
      created: here,
      nameLoc: locOf(file, nameStart, identEnd(file.text, nameStart)),
      stmt,
      publicExecute: true,
      executeGrants: NO_GRANTS,
      alters: NO_ALTERS,
    };
    applyFunctionOptions(f, options);
    if (body) this.bodyWrites(f, body, facts!.setConfig, writes);
    return f;
  }

  /**
   * The key of an unqualified name of a system catalog or view (PG_CATALOG_RELATIONS) in the body
   * of a function with `options`. PostgreSQL searches pg_catalog first unless the search_path lists
   * it (then where it is listed): pg_catalog.<name>, also where the migrations make a relation of
   * that name in public (PGlite: a `public.pg_class` table is not what `FROM pg_class` reads). Under
   * a path listing it after another schema (`public, pg_catalog`, as pg_dump once wrote), a relation
   * of that name the migrations made in a schema before it: the session's path is looked up in the
   * state (sessionCatalogKey notes it for the prototype's reuse); a function's own SET search_path
   * is not (the prototype depends on its statement alone): pg_catalog's.
   */
  catalogKey(name: string, options: readonly FuncOption[]): string {
    const catalog = `pg_catalog.${name}`;
    let own: string[] | undefined;
    for (const o of options) {
      const values = o.kind === 'set' && o.name === 'search_path' ? o.setting?.values : undefined;
      if (values && values[0] !== '<from current>') own = values.flatMap((v) => v.split(',')).map((v) => v.trim().replace(/^"(.*)"$/, '$1'));
    }
    const path = own ?? this.searchPath;
    const at = path ? path.indexOf('pg_catalog') : -1;
    if (!path || at <= 0) return catalog;
    return own ? catalog : this.sessionCatalogKey(path, name);
  }

  /**
   * Under the session's search_path `path`: the relation `name` in a schema listed before
   * pg_catalog that the state holds, else pg_catalog's. Noted in the deps of the value being
   * computed (as CATALOG_DEP and the name; holds() asks again).
   */
  sessionCatalogKey(path: readonly string[], name: string): string {
    const at = path.indexOf('pg_catalog');
    let k = `pg_catalog.${name}`;
    for (let i = 0; i < at; i++) {
      const s = path[i]!;
      if (s === '$user' || s === 'pg_temp' || s === '') continue;
      const here = `${s}.${name}`;
      if (this.tables.has(here) || this.views.has(here)) {
        k = here;
        break;
      }
    }
    if (this.deps) this.deps.push(CATALOG_DEP + name, k);
    return k;
  }

  /** The context writes of a function body: SET statements of custom settings or row_security, set_config() calls. */
  bodyWrites(f: Func, body: FunctionBody, setConfig: boolean, writes: ContextWrite[]): void {
    for (let i = 0; i < body.statements.length; i++) {
      const s = body.statements[i]!;
      const n = s.node;
      if (s.kind === 'VariableSetStmt') {
        const name = String(n.name ?? '').toLowerCase();
        if (name.includes('.') || name === 'row_security') {
          writes.push({ name, local: !!n.is_local, via: 'set', loc: { file: f.created.file, start: s.start, end: s.end }, inFunction: f.key, node: n });
        }
      }
      if (setConfig) for (const w of setConfigWrites(n, { file: f.created.file, start: s.start, end: s.end }, f.key)) writes.push(w);
    }
  }

  /**
   * A CREATE TABLE … (LIKE src …)'s columns, in order: each LIKE gives the columns src has where
   * the statement runs (PostgreSQL copies them then), and INCLUDING INDEXES (or ALL) its primary
   * key, unique constraints and indexes, made anew on the new table. A source the model does not
   * hold as a table (a view, one made elsewhere) gives none: its columns are not known.
   */
  private likeColumns(t: Table, n: Node, here: Loc): void {
    const columns: string[] = [];
    let keys = t.keys;
    const elts: Node[] = n.tableElts ?? [];
    for (let i = 0; i < elts.length; i++) {
      const el = elts[i];
      if (el.ColumnDef) {
        if (!columns.includes(el.ColumnDef.colname)) columns.push(el.ColumnDef.colname);
        continue;
      }
      const like = el.TableLikeClause;
      const rv = like?.relation;
      const src = rv ? this.tables.get(this.key([rv.schemaname, rv.relname])) : undefined;
      if (!src) continue;
      for (const c of src.columns) if (!columns.includes(c)) columns.push(c);
      // (CREATE_TABLE_LIKE_INDEXES, 1 << 6; ALL sets every bit)
      if ((like.options ?? 0) & 64) {
        keys = keys.concat(src.keys);
        t.indexes = t.indexes.concat(src.indexes.map((x) => makeIndex(undefined, x.columns, here, x.uniqueWhere)));
      }
    }
    t.columns = columns;
    t.keys = keys;
  }

  tableProto(n: Node, here: Loc): TableProto {
    const columns: string[] = [];
    const keys: string[][] = [];
    const parents: Table['parents'] = [];
    const elts: Node[] = n.tableElts ?? [];
    let like = false;
    for (let i = 0; i < elts.length; i++) {
      const el = elts[i];
      if (el.TableLikeClause) like = true;
      if (el.ColumnDef) {
        columns.push(el.ColumnDef.colname);
        const constraints: Node[] = el.ColumnDef.constraints ?? [];
        for (let j = 0; j < constraints.length; j++) {
          const ct = constraints[j].Constraint?.contype;
          if (ct === 'CONSTR_PRIMARY' || ct === 'CONSTR_UNIQUE') keys.push([el.ColumnDef.colname]);
        }
      } else if (el.Constraint) {
        const ct = el.Constraint.contype;
        if (ct === 'CONSTR_PRIMARY' || ct === 'CONSTR_UNIQUE') keys.push((el.Constraint.keys ?? []).map((x: Node) => sval(x)!));
      }
    }
    for (const p of n.inhRelations ?? []) {
      const prv = p.RangeVar;
      if (prv) parents.push({ key: this.key([prv.schemaname, prv.relname]), kind: n.partbound ? 'partition' : 'inherits', loc: here });
    }
    // (of the exact size: a prototype is kept with its op, and addTable copies its lists)
    return { partitioned: !!n.partspec, columns: fitted(columns), keys: fitted(keys), parents: fitted(parents), like };
  }

  policyProto(file: ParsedFile, stmt: Statement, here: Loc): Policy {
    const n = stmt.node;
    if (this.searchPath || resolvedThroughPath(stmt)) this.resolveThroughPath(stmt, [n.qual, n.with_check]);
    const ns = matchEnd(CREATE_POLICY, file.text, stmt.start, Math.min(stmt.end, stmt.start + 64)) ?? stmt.start;
    const roleList: string[] = (n.roles ?? []).map(roleName);
    // Without a TO clause PostgreSQL's grammar supplies PUBLIC with location -1.
    const implicit = (n.roles ?? []).length === 0 || ((n.roles ?? []).length === 1 && (n.roles[0]?.RoleSpec?.location ?? -1) < 0);
    return {
      name: n.policy_name,
      table: this.key([n.table?.schemaname, n.table?.relname]),
      command: (n.cmd_name ?? 'all') as PolicyCommand,
      permissive: !!n.permissive, // libpg-query omits false booleans
      roles: roleList.length ? roleList : ['public'],
      implicitPublic: implicit,
      using: n.qual,
      withCheck: n.with_check,
      loc: here,
      // (the name as written: PostgreSQL keeps only its first 63 bytes, 21 CJK characters, and a
      // quoted one may hold doubled quotes, so the stored name's length is not the written one's;
      // but a dynamic statement's text is the string it runs, mapped back to where that string is
      // written: there the stored name's length)
      nameLoc: locOf(file, ns, stmt.dynamic ? ns + String(n.policy_name).length + (file.text[ns] === '"' ? 2 : 0) : identEnd(file.text, ns)),
      stmt,
      created: here,
    };
  }

  applyGrant(op: OpGrant): void {
    const { isGrant, grantees } = op;
    if (op.objectKind === 'table') {
      if (op.schemas) {
        for (const schema of op.schemas) {
          for (const t of this.tables.values()) if (t.schema === schema) applyTableGrant(this.ownTable(t), op.expanded, grantees, isGrant);
          for (const v of this.views.values()) if (v.schema === schema) applyTableGrant(this.ownView(v), op.expanded, grantees, isGrant);
        }
        this.grantEvents.push(op.event!);
      } else {
        const objects: string[] | undefined = this.searchPath ? [] : undefined;
        const relations = op.relations;
        for (let i = 0; i < relations.length; i++) {
          const k = this.keyOf(relations[i]!);
          objects?.push(k);
          const t = this.tables.get(k);
          const v = t ? undefined : this.views.get(k);
          if (t) applyTableGrant(this.ownTable(t), op.expanded, grantees, isGrant, op.columns);
          else if (v) applyTableGrant(this.ownView(v), op.expanded, grantees, isGrant, op.columns);
        }
        this.grantEvents.push(objects ? { isGrant, objectKind: 'table', objects, privileges: op.privileges, grantees, loc: op.here } : op.event!);
      }
    } else if (op.objectKind === 'function') {
      let targets: Func[];
      let objects: string[];
      if (op.funcs.length === 1 && !op.schemas) {
        // (one function named, the usual GRANT / REVOKE: its overloads' list as it is, and the
        // signatures in a list of the exact size, as it is kept: two lists grown by push were ≈ 1.3 MB of the bench's cold build)
        targets = this.funcsOf(op.funcs[0]!);
        objects = targets.map((f) => f.signature);
      } else {
        targets = [];
        objects = [];
        if (op.schemas) {
          for (const schema of op.schemas) {
            // (only its SECURITY DEFINER functions: those, by signature, not the whole schema)
            if (!op.definersOnly) objects.push(`schema:${schema}`);
            for (const list of this.functions.values()) {
              for (const f of list) {
                if (f.schema !== schema || (op.definersOnly && !f.securityDefiner)) continue;
                targets.push(f);
                if (op.definersOnly) objects.push(f.signature);
              }
            }
          }
        } else {
          for (let i = 0; i < op.funcs.length; i++) {
            const list = this.funcsOf(op.funcs[i]!);
            for (let j = 0; j < list.length; j++) {
              targets.push(list[j]!);
              objects.push(list[j]!.signature);
            }
          }
        }
        objects = fitted(objects);
      }
      if (op.execute) {
        for (let i = 0; i < targets.length; i++) {
          const f = this.ownFunc(targets[i]!);
          for (let j = 0; j < grantees.length; j++) {
            const g = grantees[j]!;
            if (g === 'public') f.publicExecute = isGrant;
            else if (isGrant) (f.executeGrants === NO_GRANTS ? (f.executeGrants = new Set()) : f.executeGrants).add(g);
            else if (f.executeGrants !== NO_GRANTS) f.executeGrants.delete(g);
          }
        }
      }
      this.grantEvents.push({ isGrant, objectKind: 'function', objects, privileges: op.privileges, grantees, loc: op.here });
    } else this.grantEvents.push(op.event!);
  }

  /**
   * A catalog loop: the tables its query lists where it runs (those the state holds: catalogReaches),
   * then for each, in the state's order, its templates made for that table (instantiate), each
   * replayed as a statement of the block (listed in the model's statements after the loop's).
   */
  applyCatalogLoop(op: OpCatalogLoop): void {
    const file = op.pair.file;
    const reached: Table[] = [];
    this.tables.forEach((t) => {
      if (catalogReaches(op.loop.query, t, !plainCreate(t.stmt), (c) => columnDataType(t, c))) reached.push(t);
    });
    for (const t of reached) {
      for (const template of op.loop.templates) {
        // (an ALTER TABLE that changes nothing of the table's RLS is left out, with no event: a
        // loop making every table NO FORCE is not an event of each that was never forced)
        if (template.kind === 'AlterTableStmt' && !changesRls(template.node, this.tables.get(t.key) ?? t)) continue;
        // (a loop over pg_policies dropping each policy of the table: all of them)
        if (template.kind === CATALOG_DROP_POLICIES_KIND) {
          const { schemaname, relname } = instantiate(template, t.schema, t.name).node;
          this.dropPoliciesOf((schema, name) => schema === schemaname && name === relname);
          continue;
        }
        this.runMade(file, instantiate(template, t.schema, t.name));
      }
    }
  }

  /** Replays a statement a loop or a call makes (instantiate, instantiateCall) where the replay stands: a statement of the file that runs it. */
  runMade(file: ParsedFile, stmt: Statement): void {
    const inner = catalogOp(file, stmt, this.defaultSchema);
    if (!inner) return;
    this.statements.push(inner.pair);
    try {
      this.apply(inner);
    } catch (e) {
      if (guarding && isSharedWrite(e)) throw e;
    }
  }

  /**
   * `SELECT enable_rls('orders')`: the statements the function's EXECUTEs make with the call's
   * values (its callTemplates: parse.ts callTemplatesOf), run at the call, as a DO block's would be.
   * The function is the one of that name and number of arguments the replay holds there, made in
   * the same file; each value a plain lower-case name that is no reserved key word (another is
   * formatted by %I and %s differently: not replayed, its table stays "may be dynamic", dynamic-rls.ts).
   */
  replayCall(op: OpDynamic, call: LiteralCall): void {
    const f = functionsNamed(this.functions, call.name, this.defaultSchema)?.find((g) => g.argTypes.length === call.values.length);
    const t = f?.stmt.callTemplates;
    const file = op.pair.file;
    // (only where the function is made in the call's file: the statements' nodes are where its
    // strings have their text, which rules read; at the call they would read the call's)
    if (!t || t.params !== call.values.length || f!.created.file !== file.file || !call.values.every(plainValue)) return;
    for (const template of t.templates) this.runMade(file, instantiateCall(template, call.values, call.node, op.stmt));
  }

  /**
   * What OpDynamic does: the search_path it sets; every policy of the tables its loop names, and
   * of those the string arguments of its calls name where the function called holds a loop over
   * its parameters, dropped.
   */
  applyDynamic(op: OpDynamic): void {
    if (op.call) this.replayCall(op, op.call);
    for (const g of op.functionGrants) this.applyGrant(g);
    for (const c of op.rls) {
      const t = this.tables.get(this.keyOf(c.rel));
      if (t) this.setRls(t, c.kind, c.loc);
    }
    for (const l of op.rlsLoops) {
      // (each table of the schema it changes: one already so is left as it is, with no event)
      const on = l.kind === 'enable' || l.kind === 'force';
      for (const t of [...this.tables.values()]) {
        if (t.schema !== l.schema || l.except.includes(t.name) || (l.kind === 'enable' || l.kind === 'disable' ? t.rlsEnabled : t.rlsForced) === on) continue;
        this.setRls(t, l.kind, l.loc);
      }
    }
    for (const l of op.tableDrops) {
      const dropped = (schema: string, name: string) => schema === l.schema && !l.except.includes(name);
      for (const t of [...this.tables.values()]) if (dropped(t.schema, t.name)) this.dropTable(t.key, l.cascade);
      // (a policy the workspace made on a table it never creates: the table was there, made
      // outside the migrations, and the loop drops it too)
      this.dropOrphanPolicies(dropped);
    }
    for (const l of op.searchPathLoops) {
      for (const list of this.functions.values()) {
        for (const f of list) {
          if (f.schema !== l.schema || (l.names && !l.names.includes(f.name)) || (l.definersOnly && !f.securityDefiner)) continue;
          if (l.withoutSetting && f.settings.some((x) => x.name === 'search_path')) continue;
          applyFunctionOptions(this.ownFunc(f), [{ kind: 'set', name: 'search_path', reset: false, resetAll: false, setting: l.setting }]);
        }
      }
    }
    for (const p of op.searchPaths) {
      for (const f of functionsNamed(this.functions, p.name, this.defaultSchema) ?? []) {
        if (f.argTypes.length === p.argc) applyFunctionOptions(this.ownFunc(f), [{ kind: 'set', name: 'search_path', reset: false, resetAll: false, setting: p.setting }]);
      }
    }
    for (const w of op.wraps) {
      for (const t of this.tables.values()) {
        if ((w.schemas && !w.schemas.includes(t.schema)) || (w.tables && !w.tables.includes(t.name))) continue;
        for (const p of t.policies) {
          if (!p.using || (w.names && !w.names.includes(p.name))) continue;
          const before = p.wrapped && p.wrapped.using === p.using ? p.wrapped.calls : undefined;
          if (before === w.calls) continue;
          this.ownPolicy(p, this.ownTable(t).policies).wrapped = { using: p.using, calls: before ? [...before, ...w.calls] : w.calls };
        }
      }
    }
    for (const l of op.roleLoops) {
      // (each policy pg_policies lists then: on a table it keeps, not left out by name, holding the roles its WHERE asks for)
      const reaches = (p: Policy) => {
        const dot = p.table.indexOf('.');
        const schema = p.table.slice(0, dot);
        const name = p.table.slice(dot + 1);
        return (!l.schemas || l.schemas.includes(schema)) && (!l.tables || l.tables.includes(name)) && !l.except.includes(p.name) && l.withRoles.every((r) => p.roles.includes(r));
      };
      const give = (p: Policy, list: Policy[]) => {
        const own = this.ownPolicy(p, list);
        own.roles = l.roles.slice();
        own.implicitPublic = false;
      };
      for (const t of [...this.tables.values()]) {
        if (!t.policies.some(reaches)) continue;
        const owned = this.ownTable(t);
        for (const p of [...owned.policies]) if (reaches(p)) give(p, owned.policies);
      }
      for (const p of [...this.orphanPolicies]) if (reaches(p)) give(p, this.orphanPolicies);
    }
    for (const loop of op.loops ?? []) {
      const of = (schema: string, name: string) => (!loop.tables || loop.tables.includes(name)) && (!loop.schemas || loop.schemas.includes(schema));
      const except = loop.except;
      // (pg_policies' cmd is the command in capitals: 'ALL' for FOR ALL)
      const commands = loop.commands;
      if (!except && !commands) this.dropPoliciesOf(of);
      else
        this.dropPolicies((p) => {
          const dot = p.table.indexOf('.');
          return !except?.includes(p.name) && (!commands || commands.includes(p.command.toUpperCase())) && of(p.table.slice(0, dot), p.table.slice(dot + 1));
        });
    }
    for (const c of op.calls) {
      const f = functionsNamed(this.functions, c.name, this.defaultSchema)?.[0];
      const loops = f?.body && f.language === 'plpgsql' ? policyDropLoops(f.body) : undefined;
      if (!loops || !loops.every((l) => l.byParameter && !l.commands)) continue; // (one keeping some commands' policies: not followed)
      const keys = new Set(c.args.map((a) => this.key(a.split('.'))));
      this.dropPoliciesOf((schema, name) => keys.has(`${schema}.${name}`));
    }
  }

  /**
   * The owner `OWNER TO role` gives: CURRENT_USER and CURRENT_ROLE name the role the migration runs
   * as (after a SET ROLE, that role), SESSION_USER the role it logged in as: unknown, as the owner
   * of an object created without OWNER TO is (towdispatch's `ALTER FUNCTION fn_audit_log() OWNER TO
   * CURRENT_USER`, run by the bootstrap superuser, was reported as owned by a role that is "neither
   * a superuser nor BYPASSRLS").
   */
  newOwner(role: string, here: Loc): { role: string; loc: Loc } | undefined {
    if (role === 'current_user' || role === 'current_role') return this.currentRole ? { role: this.currentRole, loc: here } : undefined;
    if (role === 'session_user') return undefined;
    return { role, loc: here };
  }

  /** Drops every policy of the tables `of` holds for (by the schema and name of its table's key). */
  dropPoliciesOf(of: (schema: string, name: string) => boolean): void {
    this.dropPolicies((p) => {
      const dot = p.table.indexOf('.');
      return of(p.table.slice(0, dot), p.table.slice(dot + 1));
    });
  }

  /** Whether an expression reads the relation `k` (for DROP TABLE / VIEW … CASCADE). */
  readsRelation(k: string): (expr: Node) => boolean {
    return (e) => relationsIn(e).some((r) => this.key([r.schema, r.name]) === k);
  }

  /** Drops the policies (of tables, and orphans) `gone` holds for. */
  dropPolicies(gone: (p: Policy) => boolean): void {
    for (const t of this.tables.values()) {
      if (!t.policies.some(gone)) continue;
      const owned = this.ownTable(t);
      owned.policies = owned.policies.filter((p) => !gone(p));
    }
    const orphans = this.orphanPolicies;
    for (let i = orphans.length - 1; i >= 0; i--) if (gone(orphans[i]!)) orphans.splice(i, 1);
  }

  /** Drops the policies on tables the workspace never creates whose schema and name `of` holds for. */
  dropOrphanPolicies(of: (schema: string, name: string) => boolean): void {
    const orphans = this.orphanPolicies;
    for (let i = orphans.length - 1; i >= 0; i--) {
      const k = orphans[i]!.table;
      const dot = k.indexOf('.');
      if (of(k.slice(0, dot), k.slice(dot + 1))) orphans.splice(i, 1);
    }
  }

  /**
   * For DROP TYPE `k`: the name the type had before the last ALTER TYPE … RENAME TO that gave it
   * `k`, and the statements replayed before that rename (those naming the old name meant this type).
   */
  private typeBeforeRename(k: string): { key: string; bare: string; before: ReadonlySet<Statement> } | undefined {
    const list = this.statements;
    for (let i = list.length - 1; i >= 0; i--) {
      const n = list[i]!.stmt.node;
      if (list[i]!.stmt.kind !== 'RenameStmt' || n?.renameType !== 'OBJECT_TYPE' || typeof n.newname !== 'string') continue;
      const parts = nameParts(n.object?.List?.items ?? []);
      if (parts.length === 0 || this.key([...parts.slice(0, -1), n.newname]) !== k) continue;
      return { key: this.key(parts), bare: parts[parts.length - 1]!.toLowerCase(), before: new Set(list.slice(0, i).map((x) => x.stmt)) };
    }
    return undefined;
  }

  /** DROP TABLE `k` (CASCADE: and the policies of other tables that read it). */
  dropTable(k: string, cascade: boolean): void {
    this.tables.delete(k);
    // (its triggers go with it: a table made again under that name has none of them)
    this.dropTriggers((tr) => tr.table === k);
    const orphans = this.orphanPolicies;
    for (let i = orphans.length - 1; i >= 0; i--) if (orphans[i]!.table === k) orphans.splice(i, 1);
    if (cascade) this.dropPolicies(dependsOn(this.readsRelation(k)));
  }

  /** Removes the triggers `gone` picks from the state's list (their tables' own lists: the caller's). */
  dropTriggers(gone: (tr: Trigger) => boolean): void {
    const triggers = this.triggers;
    for (let i = triggers.length - 1; i >= 0; i--) if (gone(triggers[i]!)) triggers.splice(i, 1);
  }

  /**
   * `uncertain`: a DO block's statement that may not run (after an early exit, `IF col_type =
   * 'tenant_role_enum' THEN RETURN; END IF;`, or in a loop): its DROP VIEW or DROP FUNCTION is
   * applied, but the policies a CASCADE would take with the object are kept, as the replay cannot
   * tell whether the block got there (Lekbanken/lekbanken-main's role migration, whose guard
   * returns on the baseline it follows, was taken to drop badge_presets' SELECT policy reading the
   * tenant_memberships view it drops and makes again).
   */
  applyDrop(n: Node, uncertain = false): void {
    const objs: Node[] = n.objects ?? [];
    const cascade = n.behavior === 'DROP_CASCADE';
    for (const o of objs) {
      const parts: string[] = o.List ? nameParts(o.List.items) : sval(o) ? [sval(o)!] : [];
      switch (n.removeType) {
        case 'OBJECT_SCHEMA': {
          // (without CASCADE it fails unless the schema is empty, 2BP01; with it, everything in
          // it goes, and what elsewhere depends on that: `DROP SCHEMA public CASCADE; CREATE
          // SCHEMA public;` before a project's schema is made again)
          const schema = parts[0];
          if (!cascade || schema === undefined) break;
          for (const t of [...this.tables.values()]) if (t.schema === schema) this.dropTable(t.key, true);
          this.dropOrphanPolicies((s) => s === schema);
          for (const v of [...this.views.values()]) {
            if (v.schema !== schema) continue;
            this.views.delete(v.key);
            this.dropPolicies(dependsOn(this.readsRelation(v.key)));
          }
          for (const [k, list] of [...this.functions]) {
            if (list[0]?.schema !== schema) continue;
            this.functions.delete(k);
            this.dropPolicies(dependsOn((e) => callsIn(e).some((c) => this.key(c.name) === k)));
          }
          break;
        }
        case 'OBJECT_TABLE':
          this.dropTable(this.key(parts), cascade);
          break;
        case 'OBJECT_FOREIGN_TABLE': {
          const k = this.key(parts);
          if (this.views.get(k)?.foreign) this.views.delete(k);
          else this.dropTable(k, cascade);
          break;
        }
        case 'OBJECT_VIEW':
        case 'OBJECT_MATVIEW': {
          const k = this.key(parts);
          this.views.delete(k);
          if (cascade && !uncertain) this.dropPolicies(dependsOn(this.readsRelation(k)));
          break;
        }
        case 'OBJECT_POLICY': {
          const pname = parts[parts.length - 1];
          const tk = this.key(parts.slice(0, -1));
          const t = this.tables.get(tk);
          if (t && t.policies.some((p) => p.name === pname)) {
            const owned = this.ownTable(t);
            // (recorded: PostgreSQL may have rejected its CREATE POLICY, which the model does not
            // tell once it is gone — rejected.ts rejectedWithReplaced)
            for (const p of owned.policies) if (p.name === pname) this.replacedPolicies.push({ replaced: p, by: undefined });
            owned.policies = owned.policies.filter((p) => p.name !== pname);
          }
          const orphans = this.orphanPolicies;
          for (let i = orphans.length - 1; i >= 0; i--) {
            if (orphans[i]!.table === tk && orphans[i]!.name === pname) {
              this.replacedPolicies.push({ replaced: orphans[i]!, by: undefined });
              orphans.splice(i, 1);
              this.orphansReplaced++; // (a record only appends: see orphansReplaced)
            }
          }
          break;
        }
        case 'OBJECT_TRIGGER': {
          const tname = parts[parts.length - 1];
          const tk = this.key(parts.slice(0, -1));
          const t = this.tables.get(tk);
          if (t && t.triggers.some((x) => x.name === tname)) {
            const owned = this.ownTable(t);
            owned.triggers = owned.triggers.filter((x) => x.name !== tname);
          }
          const triggers = this.triggers;
          for (let i = triggers.length - 1; i >= 0; i--) if (triggers[i]!.table === tk && triggers[i]!.name === tname) triggers.splice(i, 1);
          break;
        }
        case 'OBJECT_FUNCTION':
        case 'OBJECT_PROCEDURE':
        case 'OBJECT_ROUTINE': {
          const drop = new Set(this.funcFromObject(o));
          const k = this.key(nameParts((o.ObjectWithArgs ?? o).objname));
          const list = (this.functions.get(k) ?? []).filter((f) => !drop.has(f));
          if (list.length) this.functions.set(k, list);
          else this.functions.delete(k);
          // (CASCADE drops the policies whose expressions call it: one of that name, when its overloads are all gone)
          if (cascade && !uncertain && drop.size && !list.length) this.dropPolicies(dependsOn((e) => callsIn(e).some((c) => this.key(c.name) === k)));
          // (and the triggers that run it, a trigger function taking no arguments: CASCADE drops
          // them, without it the DROP fails with 2BP01 while one is left)
          if (cascade && [...drop].some((f) => f.returnsTrigger)) {
            const gone = (tr: Trigger) => tr.func === k;
            for (const t of this.tables.values()) {
              if (t.triggers.some(gone)) this.ownTable(t).triggers = t.triggers.filter((tr) => !gone(tr));
            }
            this.dropTriggers(gone);
          }
          break;
        }
        case 'OBJECT_TYPE':
        case 'OBJECT_DOMAIN': {
          // (CASCADE drops the columns of that type, as its CREATE TABLE lists them, and so the
          // policies naming those columns)
          const names: string[] = o.TypeName ? nameParts(o.TypeName.names) : [];
          if (!cascade || names.length === 0) break;
          const k = this.key(names);
          const named = (key: string, bare: string) => (x: string) => {
            const t = x.toLowerCase().replace(/\[\]$/, '').replace(/^setof\s+/, '');
            return t === bare || t === key || t.endsWith(`.${bare}`) && this.key(t.split('.')) === key;
          };
          const isK = named(k, names[names.length - 1]!.toLowerCase());
          // (a type renamed before it is dropped — ALTER TYPE a RENAME TO a_old; CREATE TYPE a …;
          // DROP TYPE a_old CASCADE, the idiom that removes values from an enum — takes what named
          // it `a` before the rename; hivecom's app_permission)
          const old = this.typeBeforeRename(k);
          const isOld = old && named(old.key, old.bare);
          const ofType = (x: string, s: Statement) => isK(x) || (!!isOld && old!.before.has(s) && isOld(x));
          const dropped: Array<{ key: string; cols: string[] }> = [];
          for (const t of this.tables.values()) {
            const cols: string[] = [];
            for (const e of t.stmt.node?.tableElts ?? []) {
              const c = e?.ColumnDef;
              if (!c?.colname || !c.typeName?.names || !t.columns.includes(c.colname)) continue;
              const ck = this.key(nameParts(c.typeName.names));
              // (a column of the old name: unless an ALTER COLUMN … TYPE changed it since, as the idiom does first)
              if (ck === k || (old && ck === old.key && old.before.has(t.stmt) && !t.columnTypes?.has(c.colname))) cols.push(c.colname);
            }
            if (cols.length) dropped.push({ key: t.key, cols });
          }
          for (const { key, cols } of dropped) {
            const owned = this.ownTable(this.tables.get(key)!);
            owned.columns = owned.columns.filter((c) => !cols.includes(c));
            dropPoliciesNaming(owned, cols);
            // (and the policies of other tables whose sub-selects read those columns: a policy
            // depends on every column it names; k-connection's `EXISTS (… profiles.role = 'admin')`)
            const reads = this.readsRelation(key);
            this.dropPolicies(dependsOn((e) => reads(e) && census(e).columnRefs.some((r) => cols.includes(String(sval((r.fields ?? [])[(r.fields ?? []).length - 1]))))));
          }
          // (the functions taking or returning the type, and the policies calling them: those that
          // call a name with no overload left, or cast an argument to the type; k-connection's
          // has_role(uuid, user_role), beside a has_role(uuid, text) that stays)
          for (const [fk, list] of [...this.functions]) {
            const keep = list.filter((f) => !f.argTypes.some((x) => ofType(x, f.stmt)) && !ofType(f.returnType ?? '', f.stmt));
            if (keep.length === list.length) continue;
            if (keep.length) this.functions.set(fk, keep);
            else this.functions.delete(fk);
            const castsToType = (a: Node, s: Statement) => !!a?.TypeCast && ofType(nameParts(a.TypeCast.typeName?.names ?? []).join('.'), s);
            this.dropPolicies((p) => dependsOn((e) => callsIn(e).some((c) => this.key(c.name) === fk && (!keep.length || c.args.some((a) => castsToType(a, p.stmt)))))(p));
          }
          // (and the policies casting a value to the type anywhere in their expressions: a policy
          // depends on every type its expressions name; hivecom's `has_permission('x'::app_permission)`)
          this.dropPolicies((p) => dependsOn((e) => castsTo(e, (x) => ofType(x, p.stmt)))(p));
          break;
        }
        case 'OBJECT_INDEX': {
          const iname = parts[parts.length - 1];
          for (const t of this.tables.values()) {
            if (!t.indexes.some((i) => i.name === iname)) continue;
            const owned = this.ownTable(t);
            owned.indexes = owned.indexes.filter((i) => i.name !== iname);
          }
          break;
        }
      }
    }
  }

  applyRename(n: Node, here: Loc): void {
    // ALTER TABLE / VIEW / FUNCTION … SET SCHEMA: the same object, keyed by its new schema
    if (typeof n.newschema === 'string') {
      const type = n.objectType;
      this.moveObject(type === 'OBJECT_TABLE' || type === 'OBJECT_FOREIGN_TABLE' ? 'table' : type === 'OBJECT_VIEW' || type === 'OBJECT_MATVIEW' ? 'view' : type === 'OBJECT_FUNCTION' || type === 'OBJECT_PROCEDURE' || type === 'OBJECT_ROUTINE' ? 'function' : undefined, n, n.newschema, here);
      return;
    }
    const newname = n.newname;
    if (!newname) return;
    const { tables, views } = this;
    if (n.renameType === 'OBJECT_TABLE' && n.relation) {
      const k = this.key([n.relation.schemaname, n.relation.relname]);
      const shared = tables.get(k);
      if (!shared) return;
      const t = this.ownTable(shared);
      this.rekeyTable(t, k, t.schema, newname, here);
    } else if (n.renameType === 'OBJECT_POLICY' && n.relation) {
      const t = tables.get(this.key([n.relation.schemaname, n.relation.relname]));
      const p = t?.policies.find((x) => x.name === n.subname);
      if (p) this.ownPolicy(p, this.ownTable(t!).policies).name = newname;
    } else if (n.renameType === 'OBJECT_COLUMN' && n.relation) {
      const shared = tables.get(this.key([n.relation.schemaname, n.relation.relname]));
      if (shared) {
        const t = this.ownTable(shared);
        if (t.columns.includes(n.subname)) t.columnTypes = new Map(t.columnTypes ?? []).set(newname, columnDataType(t, n.subname));
        t.columns = t.columns.map((c) => (c === n.subname ? newname : c));
        t.keys = t.keys.map((ks) => ks.map((c) => (c === n.subname ? newname : c)));
        t.indexes.forEach((i) => (i.columns = i.columns.map((c) => (c === n.subname ? newname : c))));
      }
    } else if (n.renameType === 'OBJECT_FUNCTION') {
      for (const g of this.funcFromObject(n.object)) this.rekeyFunc(this.ownFunc(g), g.schema, newname);
    } else if ((n.renameType === 'OBJECT_VIEW' || n.renameType === 'OBJECT_MATVIEW') && n.relation) {
      const k = this.key([n.relation.schemaname, n.relation.relname]);
      const shared = views.get(k);
      if (!shared) return;
      this.rekeyView(this.ownView(shared), k, shared.schema, newname);
    } else if (n.renameType === 'OBJECT_ROLE' && typeof n.subname === 'string' && n.subname !== newname) {
      this.renameRole(n.subname, newname);
    }
  }

  /**
   * ALTER ROLE `from` RENAME TO `to` (ALTER USER / GROUP too): PostgreSQL keeps a role by OID,
   * so what was granted to it, the policies for it, what it owns and the default privileges for
   * it are the renamed role's from then on, and `from` names no role (42704) until one is made
   * again. Every name the state holds of it is rewritten (GitGazer's `gitgazer_user`, renamed
   * `gitgazer_writer`: its policies and grants were left under a role that no longer exists).
   */
  private renameRole(from: string, to: string): void {
    const ren = (list: string[]): string[] => (list.includes(from) ? list.map((r) => (r === from ? to : r)) : list);
    const moveGrants = (grants: Map<string, Set<string>>) => {
      const held = grants.get(from);
      if (!held) return;
      grants.delete(from);
      grants.set(to, new Set([...(grants.get(to) ?? []), ...held]));
    };
    const role = this.roles.get(from);
    if (role) {
      const c = copyRole(role);
      c.name = to;
      this.roles.delete(from);
      this.insert(this.roles, M_ROLES, to, c);
    }
    const renamePolicies = (list: Policy[]) => {
      for (const p of list.slice()) if (p.roles.includes(from)) this.ownPolicy(p, list).roles = ren(p.roles);
    };
    for (const shared of [...this.tables.values()]) {
      if (shared.owner?.role !== from && !shared.grants.has(from) && !shared.policies.some((p) => p.roles.includes(from))) continue;
      const t = this.ownTable(shared);
      if (t.owner?.role === from) t.owner = { ...t.owner, role: to };
      moveGrants(t.grants);
      renamePolicies(t.policies);
    }
    renamePolicies(this.orphanPolicies);
    for (const shared of [...this.views.values()]) {
      if (shared.owner?.role !== from && !shared.grants.has(from)) continue;
      const v = this.ownView(shared);
      if (v.owner?.role === from) v.owner = { ...v.owner, role: to };
      moveGrants(v.grants);
    }
    for (const list of [...this.functions.values()]) {
      for (const g of list) {
        if (g.owner?.role !== from && !g.executeGrants.has(from) && !g.executeByDefault?.some((d) => d.role === from)) continue;
        const f = this.ownFunc(g);
        if (f.owner?.role === from) f.owner = { ...f.owner, role: to };
        if (f.executeGrants.has(from)) f.executeGrants = new Set([...f.executeGrants].map((r) => (r === from ? to : r)));
        if (f.executeByDefault?.some((d) => d.role === from)) f.executeByDefault = f.executeByDefault.map((d) => (d.role === from ? { ...d, role: to } : d));
      }
    }
    const defaults = this.defaultTableGrants;
    for (let i = 0; i < defaults.length; i++) {
      const g = defaults[i]!;
      if (g.grantees.includes(from) || g.creators?.includes(from)) defaults[i] = { ...g, grantees: ren(g.grantees), ...(g.creators ? { creators: ren(g.creators) } : {}) };
    }
    const events = this.grantEvents;
    for (let i = 0; i < events.length; i++) if (events[i]!.grantees.includes(from)) events[i] = { ...events[i]!, grantees: ren(events[i]!.grantees) };
    if (this.currentRole === from) this.currentRole = to;
  }

  /** ALTER TABLE / VIEW / FUNCTION … SET SCHEMA `schema` (applyRename): the object keyed by its new schema. */
  private moveObject(kind: 'table' | 'view' | 'function' | undefined, n: Node, schema: string, here: Loc): void {
    if (kind === 'function') {
      for (const g of this.funcFromObject(n.object)) this.rekeyFunc(this.ownFunc(g), schema, g.name);
      return;
    }
    if (!kind || !n.relation) return;
    const k = this.key([n.relation.schemaname, n.relation.relname]);
    if (kind === 'table') {
      const shared = this.tables.get(k);
      if (shared) this.rekeyTable(this.ownTable(shared), k, schema, shared.name, here);
    } else {
      const shared = this.views.get(k);
      if (shared) this.rekeyView(this.ownView(shared), k, schema, shared.name);
    }
  }

  /** The table `t` (keyed `k`) as `schema`.`name`: its policies, triggers and children follow. */
  private rekeyTable(t: Table, k: string, schema: string, name: string, here: Loc): void {
    const { tables } = this;
    tables.delete(k);
    const nk = `${schema}.${name}`;
    t.key = nk;
    t.schema = schema;
    t.name = name;
    t.renamed = here;
    for (const p of t.policies) this.ownPolicy(p, t.policies).table = nk;
    for (const tr of t.triggers) this.ownTrigger(tr, t.triggers).table = nk;
    tables.set(nk, t);
    for (const other of tables.values()) {
      if (other.parents.some((p) => p.key === k)) for (const p of this.ownTable(other).parents) if (p.key === k) p.key = nk;
    }
  }

  /** The view `v` (keyed `k`) as `schema`.`name`. */
  private rekeyView(v: View, k: string, schema: string, name: string): void {
    this.views.delete(k);
    v.schema = schema;
    v.name = name;
    v.key = `${schema}.${name}`;
    this.views.set(v.key, v);
  }

  /** The function `f` as `schema`.`name` (its overloads stay under the old key). */
  private rekeyFunc(f: Func, schema: string, name: string): void {
    const { functions } = this;
    const oldKey = f.key;
    const list = (functions.get(oldKey) ?? []).filter((x) => x !== f);
    if (list.length) functions.set(oldKey, list);
    else functions.delete(oldKey);
    f.schema = schema;
    f.name = name;
    f.key = `${schema}.${name}`;
    f.signature = `${f.key}(${f.argTypes.join(', ')})`;
    functions.set(f.key, [...(functions.get(f.key) ?? []), f]);
    // (a trigger runs the same function, whatever its name: PostgreSQL keeps it by OID; a trigger function takes no arguments)
    if (f.returnsTrigger && !list.some((x) => x.returnsTrigger)) {
      for (const shared of this.tables.values()) {
        if (!shared.triggers.some((tr) => tr.func === oldKey)) continue;
        const t = this.ownTable(shared);
        for (const tr of t.triggers.slice()) if (tr.func === oldKey) this.ownTrigger(tr, t.triggers).func = f.key;
      }
    }
  }
}

/** The policy on table `tk` named `name` in a list. */
function findPolicy(list: Policy[], tk: string, name: string): Policy | undefined {
  for (const x of list) if (x.table === tk && x.name === name) return x;
  return undefined;
}

/** An Index (uniqueWhere only where it has one: no undefined-valued key on the others). */
function makeIndex(name: string | undefined, columns: string[], loc: Loc, uniqueWhere: Index['uniqueWhere']): Index {
  return uniqueWhere ? { name, columns, loc, uniqueWhere } : { name, columns, loc };
}

const copyParents = (parents: Table['parents']): Table['parents'] => parents.map((p) => ({ key: p.key, kind: p.kind, loc: p.loc }));

interface BodyFacts {
  reads: Set<string>;
  writes: Set<string>;
  truncates: Set<string>;
  truncations: FuncTruncation[];
  relKeys: Map<Node, string>;
  calls: Set<string>;
  setConfig: boolean;
}

/**
 * The tables and views of pg_catalog (PostgreSQL 18's, as PGlite 0.5.16 lists them: pg_class where
 * relnamespace is pg_catalog): an unqualified one of these names is pg_catalog's unless the
 * search_path lists pg_catalog after another schema (Replay.catalogKey). Extensions' views
 * (pg_stat_statements) live in the extension's schema: not listed.
 */
export const PG_CATALOG_RELATIONS: ReadonlySet<string> = new Set(
  (
    'pg_aggregate pg_aios pg_am pg_amop pg_amproc pg_attrdef pg_attribute pg_auth_members pg_authid pg_available_extension_versions ' +
    'pg_available_extensions pg_backend_memory_contexts pg_cast pg_class pg_collation pg_config pg_constraint pg_conversion pg_cursors ' +
    'pg_database pg_db_role_setting pg_default_acl pg_depend pg_description pg_enum pg_event_trigger pg_extension pg_file_settings ' +
    'pg_foreign_data_wrapper pg_foreign_server pg_foreign_table pg_group pg_hba_file_rules pg_ident_file_mappings pg_index pg_indexes ' +
    'pg_inherits pg_init_privs pg_language pg_largeobject pg_largeobject_metadata pg_locks pg_matviews pg_namespace pg_opclass ' +
    'pg_operator pg_opfamily pg_parameter_acl pg_partitioned_table pg_policies pg_policy pg_prepared_statements pg_prepared_xacts ' +
    'pg_proc pg_publication pg_publication_namespace pg_publication_rel pg_publication_tables pg_range pg_replication_origin ' +
    'pg_replication_origin_status pg_replication_slots pg_rewrite pg_roles pg_rules pg_seclabel pg_seclabels pg_sequence pg_sequences ' +
    'pg_settings pg_shadow pg_shdepend pg_shdescription pg_shmem_allocations pg_shmem_allocations_numa pg_shseclabel pg_stat_activity ' +
    'pg_stat_all_indexes pg_stat_all_tables pg_stat_archiver pg_stat_bgwriter pg_stat_checkpointer pg_stat_database ' +
    'pg_stat_database_conflicts pg_stat_gssapi pg_stat_io pg_stat_progress_analyze pg_stat_progress_basebackup ' +
    'pg_stat_progress_cluster pg_stat_progress_copy pg_stat_progress_create_index pg_stat_progress_vacuum pg_stat_recovery_prefetch ' +
    'pg_stat_replication pg_stat_replication_slots pg_stat_slru pg_stat_ssl pg_stat_subscription pg_stat_subscription_stats ' +
    'pg_stat_sys_indexes pg_stat_sys_tables pg_stat_user_functions pg_stat_user_indexes pg_stat_user_tables pg_stat_wal ' +
    'pg_stat_wal_receiver pg_stat_xact_all_tables pg_stat_xact_sys_tables pg_stat_xact_user_functions pg_stat_xact_user_tables ' +
    'pg_statio_all_indexes pg_statio_all_sequences pg_statio_all_tables pg_statio_sys_indexes pg_statio_sys_sequences ' +
    'pg_statio_sys_tables pg_statio_user_indexes pg_statio_user_sequences pg_statio_user_tables pg_statistic pg_statistic_ext ' +
    'pg_statistic_ext_data pg_stats pg_stats_ext pg_stats_ext_exprs pg_subscription pg_subscription_rel pg_tables pg_tablespace ' +
    'pg_timezone_abbrevs pg_timezone_names pg_transform pg_trigger pg_ts_config pg_ts_config_map pg_ts_dict pg_ts_parser ' +
    'pg_ts_template pg_type pg_user pg_user_mapping pg_user_mappings pg_views pg_wait_events'
  ).split(' '),
);

/** Schemas every PostgreSQL database has, where a CREATE can make an object (pg_catalog and pg_temp aside: Replay.createKeyOf skips them). */
const BUILTIN_SCHEMAS: ReadonlySet<string> = new Set(['public', 'information_schema']);
/** The functions of Supabase's auth schema a policy calls (Replay.functionThroughPath; policy-exprs' SUPABASE_AUTH_FUNCTIONS). */
const SUPABASE_AUTH_NAMES: ReadonlySet<string> = new Set(['uid', 'jwt', 'role', 'email']);
/** Schemas the Supabase platform makes in its database (Replay.schemaState). */
const SUPABASE_SCHEMAS: ReadonlySet<string> = new Set(['auth', 'extensions', 'storage', 'realtime', 'graphql', 'graphql_public', 'vault', 'pgbouncer']);

/** What Replay.schemaState asks of a build: its files (their text), its segments (their CREATE SCHEMAs, found once), whether the database is Supabase's, and what it said of each schema asked. */
interface SchemaInfo {
  files: readonly ParsedFile[];
  segments: ReadonlyArray<{ file: ParsedFile; from: number; to: number }>;
  supabasePlatform: boolean;
  created?: Set<string>;
  /** workspaceSchemaFact's answers, by schema */
  asked: Map<string, string>;
}

/**
 * What the whole workspace says of a schema (Replay.schemaState), whatever the replay holds:
 * 'created' (a top-level CREATE SCHEMA of the replay makes it), 'named' (not so, but a file names
 * it: a qualified name, `SCHEMA <name>`, a string of its name) or 'none'. Noted in info.asked.
 */
function workspaceSchemaFact(info: SchemaInfo, schema: string): string {
  let fact = info.asked.get(schema);
  if (fact !== undefined) return fact;
  if (!info.created) {
    info.created = new Set();
    for (const seg of info.segments) {
      for (let i = seg.from; i < seg.to; i++) {
        const st = seg.file.statements[i]!;
        if (st.kind === 'CreateSchemaStmt' && st.node?.schemaname) info.created.add(String(st.node.schemaname).toLowerCase());
      }
    }
  }
  if (info.created.has(schema)) fact = 'created';
  else {
    let re: RegExp | undefined;
    fact = 'none';
    for (const f of info.files) {
      // (kept per parsed file, which the next builds share while its text is the same: an edit asks its own file only)
      let m = schemasNamedIn.get(f);
      if (!m) schemasNamedIn.set(f, (m = new Map()));
      let named = m.get(schema);
      if (named === undefined) {
        if (!re) {
          const n = schema.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
          re = new RegExp(`(?:^|[^\\w$."])"?${n}"?\\.["\\w]|\\bschema\\s+(?:if\\s+not\\s+exists\\s+)?"?${n}"?(?![\\w$])|'${n}'`, 'i');
        }
        m.set(schema, (named = re.test(f.text)));
      }
      if (named) {
        fact = 'named';
        break;
      }
    }
  }
  info.asked.set(schema, fact);
  return fact;
}

/** workspaceSchemaFact's answers per parsed file: whether its text names a schema. */
const schemasNamedIn = new WeakMap<ParsedFile, Map<string, boolean>>();

/** Whether the workspace says of each schema a previous build asked about what it said then (ResumePoint.schemaFacts). */
function sameSchemaFacts(before: ReadonlyMap<string, string> | undefined, info: SchemaInfo): boolean {
  if (!before) return true;
  for (const [schema, fact] of before) if (workspaceSchemaFact(info, schema) !== fact) return false;
  return true;
}

/** What marks a system catalog's name in a value's deps (Replay.sessionCatalogKey): no name starts with NUL. */
const CATALOG_DEP = '\u0000';
/** What marks the name of a function called unqualified in a value's deps (Replay.functionThroughPath). */
const FUNCTION_DEP = '\u0001';

/**
 * The relations of PG_CATALOG_RELATIONS a role gets no SELECT on by default (PGlite: has_table_privilege
 * false for a new role): pg_authid's password hashes, pg_statistic's sampled values, … The others
 * every role reads.
 */
export const PG_CATALOG_NOT_PUBLIC: ReadonlySet<string> = new Set(
  'pg_aios pg_authid pg_backend_memory_contexts pg_config pg_file_settings pg_hba_file_rules pg_ident_file_mappings pg_largeobject pg_replication_origin_status pg_shadow pg_shmem_allocations pg_shmem_allocations_numa pg_statistic pg_statistic_ext_data pg_subscription pg_user_mapping'.split(' '),
);

/** The one schema of a CREATE FUNCTION's `SET search_path` (besides $user, pg_temp and pg_catalog), if it sets one so. */
function ownPathSchema(options: readonly FuncOption[]): string | undefined {
  for (const o of options) {
    const values = o.kind === 'set' && o.name === 'search_path' ? o.setting?.values : undefined;
    if (!values || values[0] === '<from current>') continue;
    const real = values.filter((x) => !['$user', 'pg_temp', 'pg_catalog', '"$user"'].includes(x.toLowerCase()));
    return real.length === 1 && real[0] && !real[0].includes(',') && !/\s/.test(real[0]) ? real[0] : undefined;
  }
  return undefined;
}

/**
 * What a function body reads, writes, truncates and calls (kept in the function's prototype):
 * `key` gives the key of a function's name, `relKey` of a relation's. Each TRUNCATE (static, or a
 * constant EXECUTE) is recorded once, with the keys relKey gives its tables, in source order
 * (`truncations`); `truncates` is their keys.
 */
function bodyFacts(file: ParsedFile, body: FunctionBody, key: (parts: Array<string | undefined>) => string, relKey: (parts: Array<string | undefined>) => string, defaultSchema: string): BodyFacts {
  // (a Set made when it gets its first key: most bodies write nothing, and NO_KEYS is shared)
  const facts: BodyFacts = { reads: NO_KEYS, writes: NO_KEYS, truncates: NO_KEYS, truncations: NO_TRUNCATIONS, relKeys: NO_REL_KEYS, calls: NO_KEYS, setConfig: false };
  // (the key of a RangeVar node, noted in relKeys where it is not the default schema's, Model.key's)
  const rvKey = (rv: Node): string => {
    const k = relKey([rv.schemaname, rv.relname]);
    if (k !== plainKey([rv.schemaname, rv.relname], defaultSchema)) (facts.relKeys === NO_REL_KEYS ? (facts.relKeys = new Map()) : facts.relKeys).set(rv, k);
    return k;
  };
  // the keys a statement writes, in order, each once: one array for all the statements, not a
  // Set and its iterators per statement
  const written: string[] = [];
  // what one statement reads, writes and calls (`s`: a statement of the body, whose TRUNCATE and
  // set_config() calls are noted too; none for an EXECUTE's constant, whose TRUNCATEs are
  // dynamicFixedWrites' below)
  const account = (kind: string, n: Node, s: Statement | undefined): void => {
    written.length = 0;
    const rels = relationsIn(n); // (first: its walk finds the DML targets too)
    const targets = dmlTargetsIn(n);
    for (let i = 0; i < targets.length; i++) addOnce(written, rvKey(targets[i]));
    if ((kind === 'InsertStmt' || kind === 'UpdateStmt' || kind === 'DeleteStmt' || kind === 'MergeStmt') && n?.relation) {
      addOnce(written, rvKey(n.relation));
    }
    // TRUNCATE removes every row of the tables it names and reads none (with CASCADE, of the
    // tables referencing them too: which those are, the model's foreign keys say where a rule asks);
    // no row write: kept apart, for the rules to choose (row-level security does not apply to it)
    if (kind === 'TruncateStmt' && s) {
      const list: Node[] = n?.relations ?? [];
      const keys: string[] = [];
      for (let i = 0; i < list.length; i++) if (list[i]?.RangeVar?.relname) addOnce(keys, rvKey(list[i].RangeVar));
      if (keys.length > 0) (facts.truncations === NO_TRUNCATIONS ? (facts.truncations = []) : facts.truncations).push({ keys, cascade: n?.behavior === 'DROP_CASCADE', loc: locOf(file, s.start, s.end), stmt: s });
    }
    if (written.length > 0 && facts.writes === NO_KEYS) facts.writes = new Set();
    for (let i = 0; i < written.length; i++) facts.writes.add(written[i]!);
    const select = kind === 'SelectStmt';
    for (let i = 0; i < rels.length; i++) {
      const rk = rvKey(rels[i]!.node);
      if (kind === 'TruncateStmt') continue;
      if (select || !written.includes(rk)) (facts.reads === NO_KEYS ? (facts.reads = new Set()) : facts.reads).add(rk);
    }
    // UPDATE/DELETE also read the rows they touch
    if ((kind === 'UpdateStmt' || kind === 'DeleteStmt') && written.length > 0) {
      if (facts.reads === NO_KEYS) facts.reads = new Set();
      for (let i = 0; i < written.length; i++) facts.reads.add(written[i]!);
    }
    const calls = callsIn(n);
    for (let i = 0; i < calls.length; i++) {
      const name = calls[i]!.name;
      (facts.calls === NO_KEYS ? (facts.calls = new Set()) : facts.calls).add(key(name));
      if (s && name[name.length - 1] === 'set_config') facts.setConfig = true;
    }
  };
  for (let k = 0; k < body.statements.length; k++) {
    const s = body.statements[k]!;
    account(s.kind, s.node, s);
  }
  // an EXECUTE of one string constant runs known SQL: what it reads and writes, as the static
  // statement's (restaurant-copilot's get_employee_bank_encryption_key(): EXECUTE 'SELECT
  // decrypted_secret::text FROM vault.decrypted_secrets WHERE name = $1' INTO key_value USING …)
  for (let i = 0; i < body.dynamicExecutes.length; i++) {
    const nodes = body.dynamicExecutes[i]!.constant;
    if (!nodes) continue;
    for (let j = 0; j < nodes.length; j++) {
      const kind = Object.keys(nodes[j]!)[0]!;
      if (kind !== 'TruncateStmt') account(kind, nodes[j]![kind], undefined);
    }
  }
  // dynamic SQL writing a table it names as written (circle-marketplace's svc_save_core_patch:
  // EXECUTE 'UPDATE services SET ' || …): as the static statement would
  const dynamic = dynamicFixedWrites(body);
  const statics = facts.truncations.length;
  for (let i = 0; i < dynamic.length; i++) {
    const d = dynamic[i]!;
    const k = relKey(d.parts);
    if (d.command === 'truncate') {
      (facts.truncations === NO_TRUNCATIONS ? (facts.truncations = []) : facts.truncations).push({ keys: [k], cascade: d.cascade, loc: locOf(file, d.start, d.end) });
      continue;
    }
    (facts.writes === NO_KEYS ? (facts.writes = new Set()) : facts.writes).add(k);
    if (d.command !== 'insert') (facts.reads === NO_KEYS ? (facts.reads = new Set()) : facts.reads).add(k);
  }
  // (the statements and the EXECUTEs are each in source order: merged, when the body has both)
  if (statics > 0 && facts.truncations.length > statics) facts.truncations.sort((a, b) => a.loc.start - b.loc.start);
  for (let i = 0; i < facts.truncations.length; i++) {
    const keys = facts.truncations[i]!.keys;
    for (let j = 0; j < keys.length; j++) (facts.truncates === NO_KEYS ? (facts.truncates = new Set()) : facts.truncates).add(keys[j]!);
  }
  return facts;
}

/** A body's EXECUTE of a string naming the table it writes (see dynamicFixedWrites). */
export interface DynamicWrite {
  command: 'insert' | 'update' | 'delete' | 'truncate';
  /** the table's name parts as written (schema undefined when unqualified) */
  parts: [string | undefined, string];
  /** TRUNCATE … CASCADE, as far as the text shows it */
  cascade: boolean;
  /** the EXECUTE's expression */
  start: number;
  end: number;
}

/**
 * The body's EXECUTEs of a string starting with the command and a fixed table name: `'UPDATE
 * services SET ' || …`, `'TRUNCATE public.sessions CASCADE'`, format() of such a string, or a
 * variable declared with that text first (update_stmt text := 'UPDATE services SET '). A table
 * name built at run time (`'TRUNCATE ' || quote_ident(t)`) is no fixed name: not listed.
 */
export function dynamicFixedWrites(body: FunctionBody): DynamicWrite[] {
  if (body.dynamicExecutes.length === 0) return NO_DYNAMIC_WRITES;
  const out: DynamicWrite[] = [];
  for (let i = 0; i < body.dynamicExecutes.length; i++) {
    const x = body.dynamicExecutes[i]!;
    const text = x.text;
    const v = /^\s*([A-Za-z_][\w$]*)\s*(?:\|\||$)/.exec(text)?.[1]?.toLowerCase();
    const declared = v ? body.statements.find((x) => x.assigns?.length === 1 && x.assigns[0] === v && x.kind === 'SelectStmt' && !x.node?.fromClause) : undefined;
    const init = declared ? stringConst(declared.node?.targetList?.[0]?.ResTarget?.val) : undefined;
    const src = init !== undefined ? `'${init}'` : text;
    const m = DYNAMIC_FIXED_WRITE.exec(src);
    if (!m) continue;
    const names = m[2]!.split('.').map((x) => x.trim().replace(/^"(.*)"$/, '$1'));
    const verb = m[1]!.slice(0, 2).toLowerCase();
    const command = verb === 'up' ? 'update' : verb === 'de' ? 'delete' : verb === 'in' ? 'insert' : 'truncate';
    // (CASCADE within the same string: `'TRUNCATE public.a CASCADE'`)
    const cascade = command === 'truncate' && /^[^']*'(?:[^']|'')*?\bcascade\b/i.test(src);
    out.push({ command, parts: names.length === 2 ? [names[0], names[1]!] : [undefined, names[0]!], cascade, start: x.start, end: x.end });
  }
  return out;
}
const NO_DYNAMIC_WRITES: DynamicWrite[] = [];

/** An EXECUTE of `'UPDATE services SET ' || …` (or format() of such a string): the command and the table as written. */
const DYNAMIC_FIXED_WRITE = /^\s*(?:format\s*\(\s*)?'\s*(UPDATE|DELETE\s+FROM|INSERT\s+INTO|TRUNCATE(?:\s+TABLE)?(?:\s+ONLY)?)\s+((?:"?[A-Za-z_][\w$]*"?\s*\.\s*)?"?[A-Za-z_][\w$]*"?)(?=[\s(',;]|$)/i;

function addOnce(list: string[], x: string): void {
  if (!list.includes(x)) list.push(x);
}

/** Where a file's text says `set_config` (compile's check of each statement, without a lookup per statement). */
function setConfigOffsets(file: ParsedFile): number[] {
  const offsets: number[] = [];
  for (let i = file.text.indexOf('set_config'); i >= 0; i = file.text.indexOf('set_config', i + 1)) offsets.push(i);
  return offsets;
}

/** Whether the statement's text mentions set_config. */
function hasSetConfig(offsets: readonly number[], stmt: Statement): boolean {
  for (let i = 0; i < offsets.length; i++) if (offsets[i]! >= stmt.start && offsets[i]! < stmt.end) return true;
  return false;
}

/** GRANT / REVOKE of table privileges (ALL spelled out) to / from roles on a table or view (one of the replay's own). */
function applyTableGrant(on: { grants: Map<string, Set<string>> }, expanded: string[], grantees: string[], isGrant: boolean, columns?: OpGrant['columns']) {
  if (grantees.length === 0) return;
  if (on.grants === NO_TABLE_GRANTS) on.grants = new Map();
  const grants = on.grants;
  // (indexed loops, here and in the replay's other loops over short lists: for…of makes an iterator and a result
  // per element until the loop is optimised, ≈ 9 MB of the bench's cold model build)
  for (let i = 0; i < grantees.length; i++) {
    const g = grantees[i]!;
    const set = grants.get(g) ?? new Set<string>();
    for (let j = 0; j < expanded.length; j++) {
      const p = expanded[j]!;
      if (columns?.some((c) => c.priv === p)) continue; // (a column privilege: below)
      if (isGrant) set.add(p);
      else set.delete(p);
      if (columnMarks) dropColumnMarks(set, p);
    }
    if (columns) applyColumnGrant(set, columns, isGrant);
    grants.set(g, set);
  }
}

// A privilege held through column GRANTs only is marked in the role's set with one `priv(col)`
// entry per column (never a privilege name, so no test of one sees them; privilegesOf leaves them
// out): a REVOKE of those columns then takes the privilege, as PostgreSQL does (e2b's trigger_user:
// GRANT SELECT (id) … REVOKE SELECT (id) leaves it nothing). A table GRANT or REVOKE of the privilege
// drops the marks; a column REVOKE of a privilege granted on the table takes nothing (measured).
let columnMarks = false;

function dropColumnMarks(set: Set<string>, priv: string): void {
  for (const x of set) if (x.startsWith(`${priv}(`)) set.delete(x);
}

function applyColumnGrant(set: Set<string>, columns: NonNullable<OpGrant['columns']>, isGrant: boolean): void {
  const marked = (priv: string) => {
    for (const x of set) if (x.startsWith(`${priv}(`)) return true;
    return false;
  };
  for (const { priv, cols } of columns) {
    const privs = priv === 'all' ? ['select', 'insert', 'update', 'references'] : [priv];
    for (const p of privs) {
      if (isGrant) {
        if (set.has(p) && !marked(p)) continue; // (held on the whole table already)
        set.add(p);
        for (const c of cols) set.add(`${p}(${c})`);
        columnMarks = true;
      } else if (marked(p)) {
        for (const c of cols) set.delete(`${p}(${c})`);
        if (!marked(p)) set.delete(p);
      }
    }
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
  return matchEnd(SECURITY_CLAUSE, text, at, Math.min(limit, at + 60)) ?? at + 8;
}

/** End of a `SET name = value, value` / `SET name TO …` / `SET name FROM CURRENT` clause. */
function settingEnd(text: string, at: number, limit: number): number {
  const src = text.slice(at, limit);
  const m = /^SET\s+("[^"]*"|[\w.]+)\s*(=|TO\b)?\s*(FROM\s+CURRENT|(?:'(?:[^']|'')*'|"[^"]*"|[\w.$-]+)(?:\s*,\s*(?:'(?:[^']|'')*'|"[^"]*"|[\w.$-]+))*)/i.exec(src);
  return m ? at + m[0].length : at + 3;
}

/** Start of the function name in CREATE [OR REPLACE] FUNCTION name. */
function firstNameLocation(text: string, stmt: Statement): number {
  return matchEnd(CREATE_FUNCTION, text, stmt.start, stmt.end) ?? stmt.start;
}

const CREATE_POLICY = /CREATE\s+POLICY\s+/iy;
const SECURITY_CLAUSE = /(?:EXTERNAL\s+)?SECURITY\s+(?:DEFINER|INVOKER)/iy;
const CREATE_FUNCTION = /CREATE\s+(?:OR\s+REPLACE\s+)?(?:FUNCTION|PROCEDURE)\s+/iy;

/**
 * Where a match of the sticky `re` at `at` ends, if it ends by `limit`: what the match of the
 * anchored pattern in `text.slice(at, limit)` gives (these patterns end with a word or `\s+`,
 * so a match that ends by `limit` is the one in the slice), without the slice and the match
 * array (≈ 1.5 MB of the bench's cold model build). Past `limit`, the slice decides.
 */
function matchEnd(re: RegExp, text: string, at: number, limit: number): number | undefined {
  re.lastIndex = at;
  if (!re.test(text)) return undefined;
  if (re.lastIndex <= limit) return re.lastIndex;
  const m = new RegExp(`^(?:${re.source})`, 'i').exec(text.slice(at, limit));
  return m ? at + m[0].length : undefined;
}

/** A partial index's WHERE that is one `column = constant` (either side, the constant cast or not), as column and the constant's text (literalText); else undefined. */
function uniqueWhereOf(w: Node): { col: string; value: string } | undefined {
  const e = w?.A_Expr;
  if (!e || e.kind !== 'AEXPR_OP' || e.name?.length !== 1 || sval(e.name[0]) !== '=') return undefined;
  const colOf = (n: Node) => {
    const f = n?.ColumnRef?.fields as Node[] | undefined;
    return f?.length === 1 ? sval(f[0]) : undefined;
  };
  const col = colOf(e.lexpr) ?? colOf(e.rexpr);
  const value = colOf(e.lexpr) !== undefined ? literalText(e.rexpr) : literalText(e.lexpr);
  return col !== undefined && value !== undefined ? { col: col.toLowerCase(), value } : undefined;
}
