// Verify's exposures: what a role gets that a finding says it should not, each looked at in a
// transaction verify() rolls back (a `session` look's call commits: see sessionSpecs), and compared with the same read or write after the finding's
// fix (see ExposureResult). Called by verify() after the probes; runs PostgreSQL, prints nothing.
import type { PGlite } from '@electric-sql/pglite';
import { KEYWORD_TYPES, searchPathSetting } from '../analysis/ast.js';
import { appSetting } from '../analysis/policies.js';
import type { ExposureKind } from '../rules/types.js';
import { createRoleSqlIfMissing, InstanceDead, insertSql, isDead, markDead, OTHER_USER, pgErrorOf, quoteIdent, quoteLiteral, SEED_USER, seedRows, seedTable, STAND_IN_ROLE, type ProbeCommand, type SeedRow } from './pglite.js';

/**
 * What a role can get that a finding says it should not, made visible on the engine (each in a
 * rolled-back transaction, after the probes):
 * - `view`: a role's read through a view that is not security_invoker (an empty table without RLS
 *   behind it gets a row first), then the same read with the view made security_invoker (the
 *   finding's fix);
 * - `no-rls`: a role's read and update of a table without row-level security that it holds
 *   privileges on (a row is put in first if the table is empty);
 * - `owner`: a read as the owner of an RLS table that is not forced, the owner being OWNER_ROLE
 *   (neither superuser nor BYPASSRLS), then the same read with FORCE ROW LEVEL SECURITY (not in
 *   a Supabase project, whose tables postgres owns, a BYPASSRLS role);
 * - `execute`: a SECURITY DEFINER function PUBLIC may execute (PostgreSQL's
 *   has_function_privilege('public', …));
 * - `policy`: a write a permissive policy whose USING or WITH CHECK is `true` admits, made as a
 *   role it applies to with a statement that reads no column (`DELETE FROM t`, `UPDATE t SET c =
 *   DEFAULT`, an INSERT of a row naming another user), then made again with the policy dropped;
 * - `anon-write`: for a write policy anon is among the roles of, anon's DELETE or UPDATE reading
 *   no column, then made again with the policy dropped;
 * - `companion`: for an UPDATE or DELETE policy, the write made as a role it applies to and no
 *   permissive SELECT (or ALL) policy does, reading no column, then with a WHERE that reads one
 *   and matches every row: such a role reaches no row then (T26, T27);
 * - `search-path`: a SECURITY DEFINER function whose search_path does not end with pg_temp (or
 *   is not set) and that reads or writes a table, or casts to or declares a type, by an
 *   unqualified name: as a role that may execute it, a temporary view of that table's name or a
 *   temporary domain of that type's (each raising a marked error when used), then a call with
 *   NULL arguments, or for a trigger function a write of the role's that fires one of its
 *   triggers; the marked error shows the function used the role's object with its owner's
 *   rights (T19, T19c);
 * - `session`: a function setting a dotted setting, and changing nothing else, called in a
 *   transaction that commits; the next transaction still reading the value shows it was set for
 *   the session (T15b);
 * - `row-security`: a function with `SET row_security = off` (or setting it in its body), owned
 *   by OWNER_ROLE, run: called by OWNER_ROLE, or, a SECURITY DEFINER trigger function, fired by
 *   a write of the superuser's; 42501 "query would be affected by row-level security policy"
 *   shows the setting made a query RLS would filter fail rather than bypass RLS (T08); then the
 *   same with the setting reset;
 * - `trigger-force`: a SECURITY DEFINER trigger function inserting into a FORCE'd table, it and
 *   the table owned by OWNER_ROLE, fired by a write of the superuser's: 42501 "new row violates
 *   row-level security policy" shows every statement firing it fails (T07); then the same with
 *   a policy admitting inserts from triggers (pg_trigger_depth() > 0, T10);
 * - `definer-call`: a SECURITY DEFINER function that names an RLS table, called with the seeded
 *   row's values by a role that may execute it, signed in as another user than the row's
 *   (OTHER_USER); then the same call with the function SECURITY INVOKER: fewer rows, another
 *   result or an error show its owner's rights chose what the caller got;
 * - `auth-users`: the same for a SECURITY DEFINER function naming Supabase's auth.users, which
 *   holds the seeded user for the look; the call changing auth.users counts as what it gave;
 * (`row-security` and `trigger-force` are not looked at in a Supabase project, whose functions
 *   postgres owns, a BYPASSRLS role);
 * - `public`: a permissive policy for PUBLIC, put to work by STAND_IN_ROLE, a role no policy
 *   names (as one created later), granted the command's privilege for the look: a read, a write
 *   reading no column, or an INSERT of the seeded row; then the same with the policy dropped;
 * - `anonymous`: a permissive SELECT policy for authenticated read by an anonymous session of
 *   Supabase Auth (signed in as a user the seeded row does not name, JWT claim is_anonymous true):
 *   it reads the row, and reads it no longer once the policy's USING asks is_anonymous IS NOT TRUE;
 * - `insert-check`: a permissive INSERT policy without WITH CHECK, put to work by a role it
 *   applies to (granted INSERT for the look when it holds none): an INSERT of the seeded row is
 *   refused (42501), and passes once the policy has WITH CHECK (true) (T14);
 * - `setting-switch`: a permissive SELECT or ALL policy whose USING reads a custom setting, read
 *   as a role it applies to with no setting, then after the role itself set the setting to a value
 *   the USING compares with (set_config(…, true), which no privilege governs): more rows show the
 *   setting is a switch any role turns on (see switchSpecs);
 * - `plan`: for a table whose policies' USING calls a function outside a sub-select, the plan
 *   (EXPLAIN) of a read, UPDATE or DELETE as a role they apply to: a call in the Filter of the
 *   table's scan is evaluated for each row the scan reads; wrapped in a sub-select it would be an
 *   InitPlan, evaluated once;
 * - `filter`: for a table with two or more permissive policies of a command for one role, the
 *   plan of that command as the role: the policies whose USING is in the Filter of the table's
 *   scan, ORed (see planSpecs);
 * - `auth-signup`: a trigger function of an INSERT trigger on Supabase's auth.users, fired by a
 *   sign-up as Supabase's Auth server makes it: as supabase_auth_admin (granted INSERT on
 *   auth.users for the look), with its search_path, auth, the seeded user inserted into
 *   auth.users; 42P01 or 42883 shows a name the function writes without a schema is not found
 *   there; then the same with the function's search_path set to the migrations' schemas and
 *   pg_temp (auth-trigger-unqualified-name's fix); `auth-signup-rights`, for a SECURITY INVOKER
 *   function, the same sign-up failing with 42501 permission denied (supabase_auth_admin holds no
 *   privilege on the table), then with the function made SECURITY DEFINER (auth-trigger-invoker-denied's fix);
 *   an Auth hook (a function of one jsonb argument returning jsonb granted EXECUTE to
 *   supabase_auth_admin) gets both looks too, called with an event of the seeded user;
 * - `injection`: a SECURITY DEFINER PL/pgSQL function running dynamic SQL, called by a role that
 *   may execute it with SQL in one text argument (the others seeded), in each of the places a
 *   string can be spliced into a query (a whole statement, inside a quoted literal, an
 *   expression, a FROM item): SQL naming current_user in an error shows the text ran as SQL, and
 *   as whom — the function's owner, not the caller (see injectionSpecs).
 */
export interface ExposureResult {
  kind: ExposureKind;
  /** the relation (`schema.name`, quoted where needed), or the function (`schema.name(types)`) */
  object: string;
  /** who reads: a role, OWNER_ROLE, or PUBLIC */
  role: string;
  /** the rows the role read (view: through the view; no-rls: of the table; owner: as its owner, not forced), or wrote (policy) */
  rows?: number;
  /** the rows in the table (no-rls) */
  total?: number;
  /** no-rls: the rows an `UPDATE … SET c = c` as the role changed (when it holds UPDATE) */
  updated?: number;
  /** the same read after the fix (view: security_invoker = true; owner: FORCE ROW LEVEL SECURITY; policy: the write without the policy; companion: the write with a WHERE reading a column): rows, or what PostgreSQL raised */
  fixedRows?: number;
  fixedCode?: string;
  fixedMessage?: string;
  /** the read itself failed: nothing is shown */
  code?: string;
  message?: string;
  /** the function, for `execute` */
  function?: { schema: string; name: string; args: number };
  /** search-path: the name the role's temporary object took (`pg_temp.<name>`), and what it was: a view for a table's name, a domain for a type's */
  hijacked?: string;
  shadow?: 'view' | 'domain';
  /** session: the setting the call left set, and the value the next transaction read (when shown: the call's) */
  setting?: string;
  value?: string;
  /** search-path, of a trigger function: the trigger a write of the role's fired (its table, and the write) */
  trigger?: { name: string; table: string; command: ProbeCommand };
  /** auth-signup: the search_path the function was given for the second sign-up */
  fixedPath?: string;
  /** trigger-force: the FORCE'd tables the function inserts into, owned by OWNER_ROLE for the look */
  written?: string[];
  /** row-security: the setting is the function's (SET row_security = off), reset for the second run; else its body sets it */
  option?: boolean;
  /** auth-users: the call changed auth.users (before it was undone) */
  usersChanged?: boolean;
  /** definer-call of a function writing RLS tables: those it names in a write, and whether the call changed their rows (before it was undone) */
  watched?: string[];
  changed?: boolean;
  /** definer-call with `watched`, auth-users: whether the same call as SECURITY INVOKER changed them */
  fixedChanged?: boolean;
  /** definer-call, auth-users: the call made, signed in as `user` (when the role reads auth.uid()); and its results (JSON, cut), before and as SECURITY INVOKER; `rows`, `fixedRows`: the rows holding something (not NULL, nor a lone false) */
  call?: string;
  user?: string;
  result?: string;
  fixedResult?: string;
  /** plan, filter: the Filter of the table's scan (cut), the policies whose USING it holds (plan: that put calls in it), and (plan) the functions it calls (last name part, lower-case): each evaluated per row */
  filter?: string;
  policies?: string[];
  perRow?: string[];
  /** plan: the plan with index scans calls nothing in the scan's Filter (the policy's condition is an index condition, evaluated once per scan); this one was made with them off, as for a table where the condition matches too many rows for an index */
  seqScan?: boolean;
  /** plan, filter, insert-check: the role holds no privilege for the command, and was granted it for the look */
  granted?: boolean;
  /** companion: the role is STAND_IN_ROLE, for PUBLIC, granted SELECT and the write's privilege for the look */
  standIn?: boolean;
  /** injection: the argument the SQL went in (its name, or $n), and whom PostgreSQL ran it as (current_user inside) */
  argument?: string;
  ranAs?: string;
  /** the policy, for `policy`; and the write made (`command`) */
  policy?: string;
  command?: ProbeCommand;
  /** the exposure shows: the role read rows it reads no longer after the fix, fewer or none or an error where the read passed (view, owner); read the table's rows (no-rls); PUBLIC may execute (execute) */
  shown: boolean;
}

/** The owner the `owner` exposures give a table: an ordinary role, neither superuser nor BYPASSRLS. */
export const OWNER_ROLE = 'rls_owner';

/** One exposure to look at, and how (in a transaction the caller rolls back). */
interface ExposureSpec {
  kind: ExposureResult['kind'];
  object: string;
  role: string;
  run(db: PGlite): Promise<Omit<ExposureResult, 'kind' | 'object' | 'role'>>;
}

type Read = { rows: number } | { code: string; message: string };

/**
 * `query` as `role` (the superuser when undefined; reading with `settings`) inside the caller's transaction, undone after (a
 * savepoint): the count it returns, or what PostgreSQL raised.
 */
async function runAs(db: PGlite, role: string | undefined, settings: Record<string, string> | undefined, query: () => Promise<number | undefined>): Promise<Read> {
  await db.exec('SAVEPOINT exposure');
  try {
    if (role !== undefined) await db.exec(`SET LOCAL ROLE ${quoteIdent(role)}`);
    for (const [k, v] of Object.entries(settings ?? {})) await db.query('SELECT set_config($1, $2, true)', [k, v]);
    const n = await query();
    // (nothing at all: PGlite's instance died in the query, and must not be asked anything more)
    if (n === undefined) throw markDead(db);
    return { rows: n };
  } catch (e) {
    if (e instanceof InstanceDead) throw e;
    return pgErrorOf(e);
  } finally {
    if (!isDead(db)) await db.exec('ROLLBACK TO SAVEPOINT exposure; RESET ROLE').catch(() => undefined);
  }
}

/** `count(*)` of `rel` as `role` (see runAs). */
const readAs = (db: PGlite, rel: string, role: string, settings?: Record<string, string>) =>
  runAs(db, role, settings, async () => (await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM ${rel}`)).rows[0]?.n);

/** A write as `role` (see runAs): the rows it changed. */
const writeAs = (db: PGlite, sql: string, role: string, settings?: Record<string, string>) => runAs(db, role, settings, async () => (await db.query(sql)).affectedRows ?? 0);

/**
 * `before` (a read or write as a role), then `after` (the same after the finding's fix, or a
 * variant of it): the rows of the first, what the second gave (ExposureResult's fixed* fields),
 * and whether the second took rows away: fewer rows, or an error where the first passed (the
 * policies or privileges that now apply refuse: `42501 permission denied` for a table behind a
 * view, `42704` for a setting the owner never set, `42P17`…). Nothing when the first failed.
 */
async function compared(before: () => Promise<Read>, after: () => Promise<Read>): Promise<Omit<ExposureResult, 'kind' | 'object' | 'role'>> {
  const first = await before();
  if (!('rows' in first)) return { ...first, shown: false };
  const second = await after();
  const fixed = 'rows' in second ? { fixedRows: second.rows } : { fixedCode: second.code, fixedMessage: second.message };
  return { rows: first.rows, ...fixed, shown: first.rows > 0 && ('rows' in second ? second.rows < first.rows : true) };
}

/** The roles that hold `privilege` on the relation (PUBLIC's and their groups' included), in order. */
async function holding(db: PGlite, roles: string[], rel: string, privilege: string): Promise<string[]> {
  const out: string[] = [];
  for (const role of roles) if ((await db.query<{ ok: boolean }>('SELECT has_table_privilege($1, $2, $3) AS ok', [role, rel, privilege])).rows[0]?.ok) out.push(role);
  return out;
}

/** The first of `roles` that may execute the function `oid`. */
async function executor(db: PGlite, roles: string[], oid: number): Promise<string | undefined> {
  for (const role of roles) if ((await db.query<{ ok: boolean }>(`SELECT has_function_privilege($1, $2::oid, 'EXECUTE') AS ok`, [role, oid])).rows[0]?.ok) return role;
  return undefined;
}

/** STAND_IN_ROLE (created if missing), when PUBLIC may execute the function `oid`: a call any role can make. */
async function standInExecutor(db: PGlite, oid: number): Promise<string | undefined> {
  if (!(await db.query<{ ok: boolean }>(`SELECT has_function_privilege('public', $1::oid, 'EXECUTE') AS ok`, [oid])).rows[0]?.ok) return undefined;
  await db.exec(createRoleSqlIfMissing(STAND_IN_ROLE));
  return STAND_IN_ROLE;
}

/** Those of `roles` that may create temporary objects (TEMP on the database: PUBLIC's by default). */
async function mayTemp(db: PGlite, roles: string[]): Promise<string[]> {
  const out: string[] = [];
  for (const role of roles) if ((await db.query<{ ok: boolean }>(`SELECT has_database_privilege($1, current_database(), 'TEMP') AS ok`, [role])).rows[0]?.ok) out.push(role);
  return out;
}

/** Puts a row into the table inside the caller's transaction (see seedTable) when it has none; what PostgreSQL refused. */
/** The seed rows of the tables with row-level security (`all`: of every table), by relation (pg_class's regclass text). */
async function seedsByRel(db: PGlite, stubSchemas: string[], all = false): Promise<Map<string, SeedRow>> {
  const rows = all ? [...(await seedRows(db, stubSchemas, true)), ...(await seedRows(db, stubSchemas, false))] : await seedRows(db, stubSchemas, true);
  return new Map(rows.map((r) => [r.rel, r]));
}

async function seedIfEmpty(db: PGlite, t: SeedRow): Promise<{ code: string; message: string } | undefined> {
  if ((await db.query(`SELECT 1 AS one FROM ${t.rel} LIMIT 1`)).rows.length > 0) return undefined;
  return seedTable(db, t, true);
}

/** A function's `SET search_path` (its proconfig entry) as a list of schema names, lower-case unless quoted; undefined when not set. */
function searchPathOf(config: string[] | null): string[] | undefined {
  const entry = (config ?? []).find((c) => c.toLowerCase().startsWith('search_path='));
  if (entry === undefined) return undefined;
  const value = entry.slice('search_path='.length).trim();
  // (SET search_path = '' is stored as `search_path=""`; a stored list is one PostgreSQL accepted)
  if (value === '' || value === '""') return [];
  return searchPathSetting(value) ?? [];
}

/** Words after FROM, JOIN, INTO or UPDATE that are not table names. */
const SQL_WORDS = new Set(['select', 'lateral', 'only', 'unnest', 'generate_series', 'jsonb_array_elements', 'json_array_elements', 'jsonb_each', 'json_each', 'jsonb_to_recordset', 'rows', 'each', 'the', 'a', 'an', 'set', 'of', 'skip', 'nowait', 'strict', 'temp', 'temporary', 'unlogged']);

/** What a role puts in pg_temp to take the place of a name a function's body uses without a schema. */
interface Shadow {
  name: string;
  shadow: 'view' | 'domain';
  /** the name is a table's (a write into the view then fails with `cannot insert into view`) */
  table: boolean;
  /** the statement that makes it, raising an error with `marker` when a query using it is planned */
  create: string;
  marker: string;
}

/** The most type names a function is tried with. */
const MAX_TYPE_SHADOWS = 2;

/**
 * What can take the place of the names a definer function's body uses without a schema, with
 * `path` its search_path: a temporary view for the first table it reads or writes so, then
 * temporary domains for the types it casts to or declares (pg_temp is searched first for
 * relations and types alike, T19): a domain's CHECK runs when a value is made of it.
 */
async function shadowsOf(db: PGlite, src: string, path: string[]): Promise<Shadow[]> {
  const out: Shadow[] = [];
  // the first table the body reads or writes by an unqualified name that resolves in the path
  // (a name FROM or JOIN followed by `(` is a function's; INTO or UPDATE, a table's with its column list)
  for (const m of src.matchAll(/\b(?:(?:from|join)\s+([a-z_][a-z0-9_$]*)\b(?!\s*[.(])|(?:into|update)\s+([a-z_][a-z0-9_$]*)\b(?!\s*\.))/gi)) {
    const name = (m[1] ?? m[2])!.toLowerCase();
    if (SQL_WORDS.has(name)) continue;
    const rel = (
      await db.query<{ cols: string | null; table: boolean }>(
        `SELECT string_agg(format('NULL::%s AS %I', format_type(a.atttypid, a.atttypmod), a.attname), ', ' ORDER BY a.attnum) AS cols,
                bool_and(c.relkind IN ('r', 'p')) AS table
         FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
         WHERE c.relname = $1 AND c.relkind IN ('r', 'p', 'v', 'm', 'f') AND n.nspname = ANY($2::text[])`,
        [name, path],
      )
    ).rows[0];
    if (rel?.cols) {
      const marker = `pg_rls_lint: pg_temp.${name} read`;
      // (a query reading it fails with an error carrying the marker: PostgreSQL folds the constant
      // cast while it plans the query, before any condition of the query, e.g. on a NULL
      // argument, can make the scan unneeded)
      out.push({ name, shadow: 'view', table: rel.table, marker, create: `CREATE TEMP VIEW ${quoteIdent(name)} AS SELECT ${rel.cols} WHERE (${quoteLiteral(marker)} || '')::int IS NOT NULL` });
      break;
    }
  }
  // the types it casts to (`::text`) or declares (a PL/pgSQL DECLARE section), in that order
  const words: string[] = [];
  for (const m of src.matchAll(/::\s*([a-z_][a-z0-9_$]*)\b(?!\s*\.)/gi)) words.push(m[1]!.toLowerCase());
  const declare = /\bdeclare\b([\s\S]*?)\bbegin\b/i.exec(src)?.[1] ?? '';
  for (const d of declare.split(';')) {
    const m = /^\s*[a-z_][a-z0-9_$]*\s+(?:constant\s+)?([a-z_][a-z0-9_$]*)\b(?!\s*\.)/i.exec(d.replace(/--[^\n]*/g, ''));
    if (m) words.push(m[1]!.toLowerCase());
  }
  const names = [...new Set(words)].filter((w) => !KEYWORD_TYPES.has(w) && w !== 'setof');
  if (names.length === 0) return out;
  // (pg_catalog is searched before the path's schemas unless the path lists it)
  const order = path.includes('pg_catalog') ? path : ['pg_catalog', ...path];
  const types = (
    await db.query<{ name: string; qualified: string }>(
      `SELECT DISTINCT ON (t.typname) t.typname AS name, quote_ident(n.nspname) || '.' || quote_ident(t.typname) AS qualified
       FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace
       WHERE t.typname = ANY($1::text[]) AND n.nspname = ANY($2::text[]) AND t.typtype IN ('b', 'e', 'd', 'r', 'm') AND t.typcategory <> 'A'
       ORDER BY t.typname, array_position($2::text[], n.nspname::text)`,
      [names, order],
    )
  ).rows;
  const qualified = new Map(types.map((t) => [t.name, t.qualified]));
  for (const name of names.filter((x) => qualified.has(x)).slice(0, MAX_TYPE_SHADOWS)) {
    const marker = `pg_rls_lint: pg_temp.${name} used`;
    out.push({ name, shadow: 'domain', table: false, marker, create: `CREATE DOMAIN pg_temp.${quoteIdent(name)} AS ${qualified.get(name)} CHECK ((${quoteLiteral(marker)} || '')::pg_catalog.int4 IS NOT NULL)` });
  }
  return out;
}

/** pg_trigger.tgtype's bits for the events (PostgreSQL's catalog/pg_trigger.h) */
const TRIGGER_EVENTS = [
  [4, 'insert'],
  [16, 'update'],
  [8, 'delete'],
] as const;

/** The most writes a trigger function is fired with (each trigger and event of it a role may write, in turn). */
const MAX_FIRINGS = 3;

/** firingWrites' role for writes made as the superuser, who verify runs as (no SET ROLE). */
const SUPERUSER = '';

/** A write that fires a trigger: what to do first as the superuser, and the write (see firingWrites). */
interface Firing {
  sql: string;
  prepare: (db: PGlite) => Promise<void>;
  trigger: { name: string; table: string; command: ProbeCommand };
}

/**
 * Writes of one role of `roles` that fire a trigger of the function `oid`: for each trigger and
 * event the first role holding a privilege for may write (that role's only, up to MAX_FIRINGS)
 * an INSERT of the table's seeded row, an UPDATE setting a column to itself, or a DELETE; what
 * to do first as the superuser (the table holds the seeded row, or none before an INSERT; and
 * only this trigger fires: `session_replication_role = replica` with the trigger enabled
 * ALWAYS, so no foreign key or other trigger stops the write first); and the write, with the
 * table's name schema-qualified (a temporary view of the same name must not take the write
 * itself). An INSERT an AFTER trigger's policy refuses, or an UPDATE reaching no row, fires
 * nothing: the next write may. With no `roles`, the writes are the superuser's (SUPERUSER), which
 * no policy refuses: for a look at what the function does, whoever fires it.
 */
async function firingWrites(db: PGlite, oid: number, roles: string[] | undefined, rowOf: ReadonlyMap<string, SeedRow>): Promise<{ role: string; firings: Firing[] } | undefined> {
  const triggers = (
    await db.query<{ tg: string; name: string; table: string; rel: string; type: number; col: string | null }>(
      `SELECT quote_ident(t.tgname) AS tg, t.tgname AS name, quote_ident(n.nspname) || '.' || quote_ident(c.relname) AS table, c.oid::regclass::text AS rel, t.tgtype::int AS type,
              (SELECT quote_ident(a.attname) FROM pg_attribute a WHERE a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped AND a.attgenerated = '' AND a.attidentity <> 'a' ORDER BY a.attnum LIMIT 1) AS col
       FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid JOIN pg_namespace n ON n.oid = c.relnamespace
       WHERE t.tgfoid = $1 AND NOT t.tgisinternal AND c.relkind IN ('r', 'p') ORDER BY 3, 2`,
      [oid],
    )
  ).rows;
  let role: string | undefined;
  const firings: Firing[] = [];
  for (const t of triggers) {
    const row = rowOf.get(t.rel);
    for (const [bit, command] of TRIGGER_EVENTS) {
      if (firings.length >= MAX_FIRINGS) break;
      if (!(t.type & bit) || (command === 'insert' && !row) || (command === 'update' && !t.col)) continue;
      const [who] = roles ? await holding(db, role !== undefined ? [role] : roles, t.table, command.toUpperCase()) : [SUPERUSER];
      if (who === undefined) continue;
      role = who;
      const sql = command === 'insert' ? insertSql({ ...row!, rel: t.table }, undefined, false) : command === 'update' ? `UPDATE ${t.table} SET ${t.col} = ${t.col}` : `DELETE FROM ${t.table}`;
      const prepare = async (db: PGlite) => {
        await db.exec('SET LOCAL session_replication_role = replica');
        if (command === 'insert') await db.exec(`DELETE FROM ${t.table}`);
        else if (row) await seedIfEmpty(db, row);
        await db.exec(`ALTER TABLE ${t.table} ENABLE ALWAYS TRIGGER ${t.tg}`);
      };
      firings.push({ sql, prepare, trigger: { name: t.name, table: t.table, command } });
    }
  }
  return role !== undefined ? { role, firings } : undefined;
}

/** A function's signature as verify names it (`schema.name(args)`), of `p` (pg_proc) and `n` (its pg_namespace). */
const FUNCTION_SIG = `quote_ident(n.nspname) || '.' || quote_ident(p.proname) || '(' || pg_get_function_identity_arguments(p.oid) || ')'`;

/**
 * The statement calling the function `p` (pg_proc, `n` its pg_namespace): each argument the SQL
 * text `value` makes of `ty` (its pg_type), cast to its type schema-qualified, so that a
 * temporary type of the same name cannot catch the call's own casts.
 */
const callOf = (value: string) => `CASE WHEN p.prokind = 'p' THEN 'CALL ' ELSE 'SELECT ' END || ${callExpr(value)}`;

/** callOf's call itself (`schema.name(args…)`), without SELECT or CALL. */
const callExpr = (value: string) =>
  `quote_ident(n.nspname) || '.' || quote_ident(p.proname) || '(' ||
     coalesce((SELECT string_agg(${value} || '::' || quote_ident(tn.nspname) || '.' || quote_ident(ty.typname), ', ' ORDER BY a.i)
               FROM unnest(p.proargtypes) WITH ORDINALITY AS a(t, i) JOIN pg_type ty ON ty.oid = a.t JOIN pg_namespace tn ON tn.oid = ty.typnamespace), '') || ')'`;

/**
 * The event Supabase Auth passes a custom access token hook (`(event jsonb) RETURNS jsonb`), for
 * the seeded user (SEED_USER, $2): its user_id and the claims of the token being made.
 */
const HOOK_EVENT = `jsonb_build_object('user_id', $2::text, 'authentication_method', 'password',
  'claims', jsonb_build_object('sub', $2::text, 'role', 'authenticated', 'aud', 'authenticated', 'app_metadata', '{}'::jsonb, 'user_metadata', '{}'::jsonb))`;

/**
 * For callOf: a value of each argument's type `ty` that the seeded rows hold (SEED_USER, bound
 * as $2, for a uuid; `text` for one of the string category; an auth hook's event for the one
 * jsonb argument of a function returning jsonb), else NULL.
 */
const seededArg = (text: string) =>
  `CASE WHEN ty.oid = 'uuid'::regtype THEN quote_literal($2) WHEN ty.typcategory = 'S' THEN quote_literal(${quoteLiteral(text)})
        WHEN ty.oid = 'jsonb'::regtype AND p.pronargs = 1 AND p.prorettype = 'jsonb'::regtype THEN quote_literal((${HOOK_EVENT})::text)
        WHEN ty.typcategory = 'N' THEN '1' WHEN ty.typcategory = 'B' THEN 'true' ELSE 'NULL' END`;

/** ExposureResult's `function`, of a function verify queried. */
const functionOf = (f: { schema: string; name: string; args: number }) => ({ function: { schema: f.schema, name: f.name, args: f.args } });

/** A condition on `n` (pg_namespace) keeping the schemas the migrations made: not PostgreSQL's, not verify's stubs ($1). */
const MIGRATIONS_SCHEMA = `n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg\\_%' AND NOT (n.nspname = ANY($1::text[]))`;

/**
 * Creates OWNER_ROLE (committed: roles are the cluster's) with what the role that ran the
 * migrations holds besides superuser: USAGE on every schema, SELECT on every table, EXECUTE on
 * every function (a policy it becomes subject to may read other tables and call functions).
 */
export async function ownerRole(db: PGlite): Promise<void> {
  await db.exec(createRoleSqlIfMissing(OWNER_ROLE));
  const schemas = (await db.query<{ s: string }>(`SELECT quote_ident(nspname) AS s FROM pg_namespace WHERE nspname NOT IN ('pg_catalog', 'information_schema', 'pg_toast') AND nspname NOT LIKE 'pg\\_%' ORDER BY 1`)).rows.map((r) => r.s);
  if (schemas.length === 0) return;
  const list = schemas.join(', ');
  await db.exec(`GRANT USAGE ON SCHEMA ${list} TO ${OWNER_ROLE}; GRANT SELECT ON ALL TABLES IN SCHEMA ${list} TO ${OWNER_ROLE}; GRANT EXECUTE ON ALL FUNCTIONS IN SCHEMA ${list} TO ${OWNER_ROLE};`);
}

/**
 * The exposures to look at after the probes (see ExposureResult). `roles`: the probes' roles
 * (never a superuser or BYPASSRLS role); `settingsOf`: what a role reads with (Supabase's
 * authenticated, signed in); `anonymous`: Supabase Auth's anonymous sign-ins are on.
 */
export async function exposureSpecs(
  db: PGlite,
  stubSchemas: string[],
  roles: string[],
  settingsOf: (role: string) => Record<string, string> | undefined,
  owners: boolean,
  anonymous = false,
): Promise<ExposureSpec[]> {
  const specs: ExposureSpec[] = [];
  // (what a row is put into a table without RLS with: every schema's, for the tables behind views)
  const plainAll = await seedRows(db, [], false);
  // views that are not security_invoker, as each role that may select from them: each empty
  // table without RLS behind one gets a row first (the RLS tables have theirs, when seeded)
  const views = (
    await db.query<{ name: string; tables: string[] | null }>(
      `SELECT quote_ident(n.nspname) || '.' || quote_ident(c.relname) AS name,
              array_agg(DISTINCT t.oid::regclass::text) FILTER (WHERE t.relkind IN ('r', 'p') AND NOT t.relrowsecurity) AS tables
       FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
       JOIN pg_rewrite r ON r.ev_class = c.oid
       JOIN pg_depend d ON d.classid = 'pg_rewrite'::regclass AND d.objid = r.oid AND d.refclassid = 'pg_class'::regclass
       JOIN pg_class t ON t.oid = d.refobjid AND t.oid <> c.oid
       WHERE c.relkind = 'v' AND ${MIGRATIONS_SCHEMA}
         AND NOT coalesce((SELECT option_value::bool FROM pg_options_to_table(c.reloptions) WHERE option_name = 'security_invoker'), false)
       GROUP BY c.oid, n.nspname, c.relname ORDER BY 1`,
      [stubSchemas],
    )
  ).rows;
  for (const v of views) {
    const behind = plainAll.filter((t) => (v.tables ?? []).includes(t.rel));
    for (const role of await holding(db, roles, v.name, 'SELECT')) {
      specs.push({
        kind: 'view',
        object: v.name,
        role,
        run: async (db) => {
          await db.exec('SET LOCAL session_replication_role = replica');
          for (const t of behind) await seedIfEmpty(db, t);
          const read = () => readAs(db, v.name, role, settingsOf(role));
          return compared(read, async () => {
            await db.exec(`ALTER VIEW ${v.name} SET (security_invoker = true)`);
            return read();
          });
        },
      });
    }
  }
  // tables without row-level security, as each role that may select from them
  const plain = plainAll.filter((t) => !stubSchemas.includes(t.schema));
  for (const t of plain) {
    for (const role of await holding(db, roles, t.rel, 'SELECT')) {
      specs.push({
        kind: 'no-rls',
        object: t.name,
        role,
        run: async (db) => {
          // (foreign keys and triggers off for what follows, as for the seeded rows)
          await db.exec('SET LOCAL session_replication_role = replica');
          const err = await seedIfEmpty(db, t);
          if (err) return { code: err.code, message: `the table is empty and PostgreSQL refused a row for it: ${err.message}`, shown: false };
          const total = (await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM ${t.rel}`)).rows[0]?.n ?? 0;
          const read = await readAs(db, t.rel, role, settingsOf(role));
          if (!('rows' in read)) return { ...read, shown: false };
          let updated: number | undefined;
          const col = (await db.query<{ col: string | null }>(`SELECT quote_ident(a.attname) AS col FROM pg_attribute a WHERE a.attrelid = $1::regclass AND a.attnum > 0 AND NOT a.attisdropped AND a.attidentity = '' AND a.attgenerated = '' ORDER BY a.attnum LIMIT 1`, [t.rel])).rows[0]?.col;
          if (col && (await holding(db, [role], t.rel, 'UPDATE')).length) {
            const w = await writeAs(db, `UPDATE ${t.rel} SET ${col} = ${col}`, role, settingsOf(role));
            if ('rows' in w) updated = w.rows;
          }
          return { rows: read.rows, total, ...(updated !== undefined ? { updated } : {}), shown: read.rows > 0 && read.rows === total };
        },
      });
    }
  }
  // RLS tables that are not forced, as their owner: an ordinary role holding what the migrations'
  // role would (not on Supabase, whose migrations run as postgres, a BYPASSRLS role: forced or not,
  // it reads every row)
  const unforced = owners
    ? (
        await db.query<{ name: string }>(
          `SELECT quote_ident(n.nspname) || '.' || quote_ident(c.relname) AS name FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
           WHERE c.relkind IN ('r', 'p') AND c.relrowsecurity AND NOT c.relforcerowsecurity AND NOT c.relispartition AND ${MIGRATIONS_SCHEMA} ORDER BY 1`,
          [stubSchemas],
        )
      ).rows
    : [];
  if (unforced.length) await ownerRole(db);
  for (const { name } of unforced) {
    specs.push({
      kind: 'owner',
      object: name,
      role: OWNER_ROLE,
      run: async (db) => {
        await db.exec(`ALTER TABLE ${name} OWNER TO ${OWNER_ROLE}`);
        const read = () => readAs(db, name, OWNER_ROLE);
        return compared(read, async () => {
          await db.exec(`ALTER TABLE ${name} FORCE ROW LEVEL SECURITY`);
          return read();
        });
      },
    });
  }
  // permissive write policies whose USING or WITH CHECK is `true`: the write each admits, as a
  // role it applies to, with and without it
  const open = (
    await db.query<{ schema: string; table: string; rel: string; policy: string; cmd: string; roles: string[]; using_true: boolean; check_true: boolean; col: string | null; set: string | null; any: string | null }>(
      `SELECT quote_ident(p.schemaname) AS schema, quote_ident(p.schemaname) || '.' || quote_ident(p.tablename) AS table, (quote_ident(p.schemaname) || '.' || quote_ident(p.tablename))::regclass::text AS rel,
              p.policyname AS policy, p.cmd, p.roles::text[] AS roles, coalesce(p.qual = 'true', false) AS using_true, coalesce(p.with_check = 'true', false) AS check_true,
              settable.col, settable.set,
              (SELECT quote_ident(a.attname) FROM pg_attribute a WHERE a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped ORDER BY a.attnum LIMIT 1) AS any
       FROM pg_policies p JOIN pg_namespace n ON n.nspname = p.schemaname JOIN pg_class c ON c.relnamespace = n.oid AND c.relname = p.tablename
       -- (the first column an UPDATE may set without reading a column: to its default, or NULL)
       LEFT JOIN LATERAL (SELECT quote_ident(a.attname) AS col, CASE WHEN a.atthasdef THEN 'DEFAULT' ELSE 'NULL' END AS set FROM pg_attribute a
                          WHERE a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped AND a.attidentity = '' AND a.attgenerated = '' AND (a.atthasdef OR NOT a.attnotnull)
                          ORDER BY a.attnum LIMIT 1) settable ON true
       WHERE p.permissive = 'PERMISSIVE' AND p.cmd <> 'SELECT'
         AND c.relrowsecurity AND NOT (p.schemaname = ANY($1::text[]))
       ORDER BY 2, 4`,
      [stubSchemas],
    )
  ).rows;
  const seedOf = open.length ? await seedsByRel(db, stubSchemas) : new Map<string, SeedRow>();
  const candidatesOf = (p: (typeof open)[number]) => roles.filter((r) => covers(p.roles, r));
  // the roles of each table's permissive SELECT (or ALL) policies
  const readers = new Map<string, string[][]>();
  for (const p of open) if (p.cmd === 'ALL') readers.set(p.table, [...(readers.get(p.table) ?? []), p.roles]);
  for (const r of (await db.query<{ table: string; roles: string[] }>(
    `SELECT quote_ident(schemaname) || '.' || quote_ident(tablename) AS table, roles::text[] AS roles FROM pg_policies WHERE permissive = 'PERMISSIVE' AND cmd = 'SELECT'`,
  )).rows) readers.set(r.table, [...(readers.get(r.table) ?? []), r.roles]);
  const hasSelectPolicy = (table: string, role: string) => (readers.get(table) ?? []).some((list) => covers(list, role));
  for (const p of open) {
    // an UPDATE or DELETE policy: the write reading no column, then with a WHERE reading one (a
    // role without a SELECT policy of its own reaches no row then, T26/T27)
    const blind = p.cmd === 'DELETE' ? `DELETE FROM ${p.table}` : p.cmd === 'UPDATE' && p.col ? `UPDATE ${p.table} SET ${p.col} = ${p.set}` : undefined;
    if (blind && p.any) {
      // (as a role the policy applies to that no SELECT policy does: whom the finding is about; for
      // a policy for PUBLIC with no such role among the probes', the stand-in role, granted the
      // privileges such a role would hold for the look)
      let [as] = await holding(db, candidatesOf(p).filter((r) => !hasSelectPolicy(p.table, r)), p.table, p.cmd);
      const standIn = !as && p.roles.includes('public') && !hasSelectPolicy(p.table, STAND_IN_ROLE);
      if (standIn) {
        await db.exec(createRoleSqlIfMissing(STAND_IN_ROLE));
        as = STAND_IN_ROLE;
      }
      const command = p.cmd.toLowerCase() as ProbeCommand;
      if (as) {
        const role = as;
        specs.push({
          kind: 'companion',
          object: p.table,
          role,
          run: async (db) => {
            if (standIn) await db.exec(`GRANT USAGE ON SCHEMA ${p.schema} TO ${STAND_IN_ROLE}; GRANT SELECT, ${p.cmd} ON ${p.table} TO ${STAND_IN_ROLE}`);
            await db.exec('SET LOCAL session_replication_role = replica');
            const write = (sql: string) => () => writeAs(db, sql, role, settingsOf(role));
            return { policy: p.policy, command, ...(standIn ? { standIn } : {}), ...(await compared(write(blind), write(`${blind} WHERE ${p.any} IS NOT DISTINCT FROM ${p.any}`))) };
          },
        });
      }
    }
    // the writes to look at: what an always-true USING or WITH CHECK admits (`policy`: a DELETE, an
    // UPDATE setting a column to its default or NULL, an INSERT of the seeded row naming another
    // user), as a role it applies to; and for a policy anon is among the roles of, anon's DELETE or
    // UPDATE reading no column (`anon-write`)
    const row = seedOf.get(p.rel);
    const noColumn: [ProbeCommand, string] | undefined =
      p.cmd === 'DELETE' || p.cmd === 'ALL' ? ['delete', `DELETE FROM ${p.table}`] : p.cmd === 'UPDATE' && p.col ? ['update', `UPDATE ${p.table} SET ${p.col} = ${p.set}`] : undefined;
    const looks: Array<{ kind: 'policy' | 'anon-write'; command: ProbeCommand; sql: string; roles: string[] }> = [];
    if (p.using_true && noColumn) looks.push({ kind: 'policy', command: noColumn[0], sql: noColumn[1], roles: candidatesOf(p) });
    else if (p.check_true && (p.cmd === 'INSERT' || p.cmd === 'ALL') && row) looks.push({ kind: 'policy', command: 'insert', sql: insertSql(row, (v) => v.replace(SEED_USER, OTHER_USER)), roles: candidatesOf(p) });
    if (noColumn && roles.includes('anon') && covers(p.roles, 'anon')) looks.push({ kind: 'anon-write', command: noColumn[0], sql: noColumn[1], roles: ['anon'] });
    for (const look of looks) {
      const [as] = await holding(db, look.roles, p.table, look.command.toUpperCase());
      if (!as) continue;
      const { command, sql: write } = look;
      specs.push({
        kind: look.kind,
        object: p.table,
        role: as,
        run: async (db) => {
          await db.exec('SET LOCAL session_replication_role = replica');
          // (an INSERT into a table holding the seeded row would collide with it)
          if (command === 'insert') await db.exec(`DELETE FROM ${p.table}`);
          const made = () => writeAs(db, write, as, settingsOf(as));
          const withoutPolicy = async () => {
            await db.exec(`DROP POLICY ${quoteIdent(p.policy)} ON ${p.table}`);
            return made();
          };
          return { policy: p.policy, command, ...(await compared(made, withoutPolicy)) };
        },
      });
    }
  }
  // SECURITY DEFINER functions a temporary object can hijack: a role's temporary view of a
  // table the body names without a schema, or its temporary domain of a type it names so; then a
  // call, or for a trigger function a write of the role's that fires one of its triggers
  const open2 = (
    await db.query<{ oid: number; sig: string; schema: string; name: string; args: number; src: string; config: string[] | null; cost: string; call: string; trigger: boolean }>(
      `SELECT p.oid::int AS oid, ${FUNCTION_SIG} AS sig,
              n.nspname AS schema, p.proname AS name, p.pronargs::int AS args, p.prosrc AS src, p.proconfig AS config, p.procost::text AS cost,
              ${callOf("'NULL'")} AS call,
              p.prorettype = 'trigger'::regtype AS trigger
       FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace JOIN pg_language l ON l.oid = p.prolang
       WHERE p.prosecdef AND NOT p.proisstrict AND l.lanname IN ('sql', 'plpgsql') AND p.prokind IN ('f', 'p')
         AND p.prorettype <> 'event_trigger'::regtype
         AND ${MIGRATIONS_SCHEMA}
       ORDER BY 2`,
      [stubSchemas],
    )
  ).rows;
  const hijackers = open2.length ? [...roles, STAND_IN_ROLE] : [];
  if (open2.length) await db.exec(createRoleSqlIfMissing(STAND_IN_ROLE));
  // (the roles that may make temporary objects: those a shadow can be made by)
  const tempers = open2.length ? await mayTemp(db, hijackers) : [];
  const rowOf = open2.some((f) => f.trigger) ? await seedsByRel(db, stubSchemas, true) : new Map<string, SeedRow>();
  for (const f of open2) {
    const path = searchPathOf(f.config);
    // (safe: '' with qualified names, or a list ending with pg_temp; pg_temp listed first is searched first)
    if (path !== undefined && (path.length === 0 || path[path.length - 1] === 'pg_temp')) continue;
    const shadows = await shadowsOf(db, f.src, path ?? ['public']);
    if (shadows.length === 0) continue;
    // (a role that may make temporary objects, and fire one of its triggers or else execute it)
    const fired = f.trigger ? await firingWrites(db, f.oid, tempers, rowOf) : undefined;
    const as = f.trigger ? fired?.role : await executor(db, tempers, f.oid);
    if (!as) continue;
    // how the function runs: a call, or each write firing one of its triggers
    const runs: Array<Firing | undefined> = fired ? fired.firings : [undefined];
    specs.push({
      kind: 'search-path',
      object: f.sig,
      role: as,
      run: async (db) => {
        const fn = functionOf(f);
        let last: Omit<ExposureResult, 'kind' | 'object' | 'role'> | undefined;
        // each way it runs with each shadow in turn, until one is used (each undone before the next)
        for (const w of runs) {
          for (const s of shadows) {
            await db.exec('SAVEPOINT shadow');
            // (the probes may have run the function in this session already: DISCARD PLANS makes it plan
            // its queries again, as a new session would, whatever its cached plans resolved names to)
            await db.exec('DISCARD PLANS');
            // (a no-op ALTER gives the function a new catalog row for the look: PL/pgSQL compiles it
            // again, with the shadow's types, and again after the rollback, without them; else the
            // session keeps the compiled function naming the domain the rollback dropped, and later
            // calls fail with XX000 cache lookup failed for type)
            await db.exec(`ALTER ROUTINE ${f.sig} COST ${f.cost}`);
            if (w) await w.prepare(db);
            await db.exec(`SET LOCAL ROLE ${quoteIdent(as)}`);
            const base = { ...fn, ...(w ? { trigger: w.trigger } : {}), hijacked: s.name, shadow: s.shadow };
            let call: Read;
            try {
              await db.exec(s.create);
              // (a SELECT of the function answering no row at all: the instance died in it)
              call = await runAs(db, as, settingsOf(as), async () => (w ? ((await db.query(w.sql)).affectedRows ?? 0) : ((await db.query(f.call)).rows.length || (f.call.startsWith('SELECT ') ? undefined : 0))));
            } catch (e) {
              if (e instanceof InstanceDead) throw e;
              // (PostgreSQL refused the shadow itself: nothing was tried with it)
              last ??= { ...base, ...pgErrorOf(e), shown: false };
              continue;
            } finally {
              if (!isDead(db)) await db.exec('ROLLBACK TO SAVEPOINT shadow; RESET ROLE');
            }
            if ('rows' in call) {
              last = { ...base, rows: call.rows, shown: false };
              continue;
            }
            // (the marked error, or a write into the view where the name is a table's: the temporary
            // view, which takes no writes, was the one written to)
            const written = s.table && call.code === '55000' && new RegExp(`^cannot (?:insert into|update|delete from) view "${s.name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}"`).test(call.message);
            last = { ...base, code: call.code, message: call.message, shown: (call.code === '22P02' && call.message.includes(s.marker)) || written };
            if (last.shown) return last;
          }
        }
        return last!;
      },
    });
  }
  // SECURITY DEFINER functions PUBLIC may execute
  const definers = (
    await db.query<{ sig: string; schema: string; name: string; args: number }>(
      `SELECT ${FUNCTION_SIG} AS sig,
              n.nspname AS schema, p.proname AS name, p.pronargs::int AS args
       FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
       WHERE p.prosecdef AND ${MIGRATIONS_SCHEMA}
         AND has_function_privilege('public', p.oid, 'EXECUTE') AND p.prorettype NOT IN ('trigger'::regtype, 'event_trigger'::regtype)
       ORDER BY 1`,
      [stubSchemas],
    )
  ).rows;
  for (const f of definers) {
    specs.push({ kind: 'execute', object: f.sig, role: 'PUBLIC', run: async () => ({ ...functionOf(f), shown: true }) });
  }
  // policies for PUBLIC, as a role no policy names; INSERT policies without WITH CHECK
  specs.push(...(await publicSpecs(db, stubSchemas)));
  // SELECT policies for authenticated, as an anonymous session of Supabase Auth (where anonymous sign-ins are on)
  if (anonymous) specs.push(...(await anonymousSpecs(db, stubSchemas, settingsOf)));
  specs.push(...(await insertCheckSpecs(db, stubSchemas, roles, settingsOf)));
  // the plans of reads and writes whose policies call functions
  specs.push(...(await planSpecs(db, stubSchemas, roles, settingsOf)));
  // functions run with row_security = off, definer triggers inserting into FORCE'd tables, definer functions' results
  specs.push(...(await definerSpecs(db, stubSchemas, roles, settingsOf, owners)));
  // definer functions running dynamic SQL: SQL in a text argument
  specs.push(...(await injectionSpecs(db, stubSchemas, roles, settingsOf)));
  // triggers on Supabase's auth.users, fired by a sign-up in the Auth server's session
  specs.push(...(await authSignupSpecs(db, stubSchemas)));
  // permissive read policies with a switch on a custom setting, turned on by a role they apply to:
  // late, as a setting once set in a session reads '' ever after, rolled back or not (T15b), which
  // would change what the looks before read (a cast of it: 22P02)
  specs.push(...(await switchSpecs(db, stubSchemas, roles)));
  // last (their calls commit): functions that set a request setting for the session
  specs.push(...(await sessionSpecs(db, stubSchemas, [...roles, STAND_IN_ROLE], settingsOf)));
  return specs;
}

/** The role Supabase's Auth server connects as, and the search_path the platform sets for it (ALTER ROLE supabase_auth_admin SET search_path TO 'auth'). */
const AUTH_ROLE = 'supabase_auth_admin';

/**
 * `auth-signup` looks (see ExposureResult): each function of an INSERT trigger on auth.users
 * (Supabase's, from verify's stub), fired by an INSERT of the seeded user into auth.users as
 * AUTH_ROLE with search_path auth, as the Auth server signs a user up; then the same with the
 * function's search_path set to the migrations' schemas (those of its triggers' functions and
 * the tables the migrations made), pg_temp last.
 */
async function authSignupSpecs(db: PGlite, stubSchemas: string[]): Promise<ExposureSpec[]> {
  const users = (await db.query<{ ok: boolean }>(`SELECT to_regclass('auth.users') IS NOT NULL AS ok`)).rows[0]?.ok;
  type Fn = { sig: string; schema: string; name: string; args: number; definer: boolean; triggers: string[] | null; call: string | null };
  const fns = !users ? [] : (
    await db.query<Fn>(
      `SELECT ${FUNCTION_SIG} AS sig, n.nspname AS schema, p.proname AS name, p.pronargs::int AS args, p.prosecdef AS definer, array_agg(tg.tgname::text ORDER BY tg.tgname) AS triggers, NULL AS call
       FROM pg_trigger tg JOIN pg_proc p ON p.oid = tg.tgfoid JOIN pg_namespace n ON n.oid = p.pronamespace
       WHERE tg.tgrelid = 'auth.users'::regclass AND NOT tg.tgisinternal AND tg.tgenabled <> 'D' AND (tg.tgtype & 4) <> 0 AND ${MIGRATIONS_SCHEMA}
       GROUP BY p.oid, n.nspname, p.proname ORDER BY 1`,
      [stubSchemas],
    )
  ).rows;
  // Auth hooks: functions of one jsonb argument returning jsonb granted EXECUTE to AUTH_ROLE by name (Supabase's hook guides)
  const hooks = (await db.query<{ ok: boolean }>(`SELECT to_regrole(${quoteLiteral(AUTH_ROLE)}) IS NOT NULL AS ok`)).rows[0]?.ok
    ? (
        await db.query<Fn>(
          `SELECT ${FUNCTION_SIG} AS sig, n.nspname AS schema, p.proname AS name, p.pronargs::int AS args, p.prosecdef AS definer, NULL AS triggers,
                  quote_ident(n.nspname) || '.' || quote_ident(p.proname) AS call
           FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace JOIN pg_language l ON l.oid = p.prolang
           WHERE l.lanname IN ('sql', 'plpgsql') AND p.prokind = 'f' AND p.pronargs = 1 AND p.proargtypes[0] = 'jsonb'::regtype AND p.prorettype = 'jsonb'::regtype AND ${MIGRATIONS_SCHEMA}
             AND EXISTS (SELECT 1 FROM aclexplode(p.proacl) a WHERE a.grantee = ${quoteLiteral(AUTH_ROLE)}::regrole AND a.privilege_type = 'EXECUTE')
           ORDER BY 1`,
          [stubSchemas],
        )
      ).rows
    : [];
  if (fns.length === 0 && hooks.length === 0) return [];
  // (every trigger on auth.users the migrations made: a look fires its function's alone, the others disabled for it)
  const all = fns.length ? (await db.query<{ t: string }>(`SELECT quote_ident(tgname) AS t FROM pg_trigger WHERE tgrelid = 'auth.users'::regclass AND NOT tgisinternal AND tgenabled <> 'D'`)).rows.map((r) => r.t) : [];
  const row = fns.length ? (await seedRows(db, [], false)).find((r) => r.rel === 'auth.users') : undefined;
  // (the schemas the migrations made tables in, public first: where the fix's search_path looks)
  const schemas = (
    await db.query<{ s: string }>(
      `SELECT DISTINCT quote_ident(n.nspname) AS s, n.nspname = 'public' AS pub FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
       WHERE c.relkind IN ('r', 'p', 'v', 'm') AND ${MIGRATIONS_SCHEMA} ORDER BY pub DESC, s`,
      [stubSchemas],
    )
  ).rows.map((r) => r.s);
  const path = [...(schemas.length ? schemas : ['public']), 'pg_temp'].join(', ');
  // (a user the seeded rows do not name, whose rows the trigger's inserts do not meet; the insert
  // names only auth.users' columns and built-in types: it runs with search_path auth)
  const insert = row ? insertSql(row, (v) => v.split(SEED_USER).join(OTHER_USER), true) : undefined;
  // (a hook is called with an event as the Auth server makes one: the seeded user's, HOOK_EVENT)
  const run = async (db: PGlite, f: Fn): Promise<Read> => {
    await db.exec('SAVEPOINT signup');
    try {
      await db.exec(`SET LOCAL search_path = auth; SET LOCAL ROLE ${AUTH_ROLE}`);
      if (f.call) {
        await db.query(`SELECT ${f.call}(${HOOK_EVENT.replace(/\$2/g, '$1')})`, [SEED_USER]);
        return { rows: 1 };
      }
      const r = await db.query(insert!);
      return { rows: r.affectedRows ?? 0 };
    } catch (e) {
      return pgErrorOf(e);
    } finally {
      await db.exec('ROLLBACK TO SAVEPOINT signup; RELEASE SAVEPOINT signup');
    }
  };
  // (`auth-signup`: a name not found with search_path auth, fixed by a search_path; `auth-signup-rights`,
  // for a SECURITY INVOKER function: a table supabase_auth_admin holds no privilege on, fixed by SECURITY DEFINER)
  const look = (f: Fn, kind: 'auth-signup' | 'auth-signup-rights'): ExposureSpec => ({
    kind,
    object: f.sig,
    role: AUTH_ROLE,
    run: async (db: PGlite) => {
      if (!f.call) {
        await db.exec(`${createRoleSqlIfMissing(AUTH_ROLE)} GRANT USAGE ON SCHEMA auth TO ${AUTH_ROLE}; GRANT SELECT, INSERT ON auth.users TO ${AUTH_ROLE};`);
        const mine = new Set((f.triggers ?? []).map((t) => quoteIdent(t)));
        for (const t of all) if (!mine.has(t)) await db.exec(`ALTER TABLE auth.users DISABLE TRIGGER ${t}`);
      }
      const first = await run(db, f);
      const shown =
        !('rows' in first) && (kind === 'auth-signup' ? first.code === '42P01' || first.code === '42883' : first.code === '42501' && /^permission denied for (table|view|sequence) /.test(first.message));
      await alter(db, f, kind === 'auth-signup' ? `SET search_path = ${path}` : `SECURITY DEFINER SET search_path = ${path}`);
      const fixed = await run(db, f);
      const how = f.call ? { call: `${f.call}(<an event of the seeded user>)` } : { trigger: { name: (f.triggers ?? []).join(', '), table: 'auth.users', command: 'insert' as const } };
      return { ...functionOf(f), ...how, fixedPath: path, ...outcome(first, fixed), shown };
    },
  });
  const list = [...(insert ? fns : []), ...hooks];
  return list.flatMap((f) => (f.definer ? [look(f, 'auth-signup')] : [look(f, 'auth-signup'), look(f, 'auth-signup-rights')]));
}

/** The anonymous-session look's JWT claims mark: what Supabase Auth puts in an anonymous user's JWT. */
const NOT_ANONYMOUS = "(select (auth.jwt() ->> 'is_anonymous')::boolean) IS NOT TRUE";

/**
 * `anonymous` looks (see ExposureResult): each permissive SELECT policy for authenticated (or
 * PUBLIC) on an RLS table whose USING does not name is_anonymous, where Supabase's auth.jwt()
 * exists: a read as authenticated signed in as OTHER_USER (not the user the seeded row names)
 * with the claim `is_anonymous: true`, as an anonymous session of Supabase Auth reads; then the
 * same with the policy's USING ANDed with `is_anonymous IS NOT TRUE` (the rule's fix).
 */
async function anonymousSpecs(db: PGlite, stubSchemas: string[], settingsOf: (role: string) => Record<string, string> | undefined): Promise<ExposureSpec[]> {
  const signedIn = settingsOf('authenticated');
  if (!signedIn) return [];
  const ready = await db.query<{ ok: boolean }>(`SELECT to_regprocedure('auth.jwt()') IS NOT NULL AND EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'authenticated') AS ok`);
  if (!ready.rows[0]?.ok) return [];
  const policies = (
    await db.query<{ table: string; rel: string; policy: string; qual: string }>(
      `SELECT quote_ident(p.schemaname) || '.' || quote_ident(p.tablename) AS table, c.oid::regclass::text AS rel, p.policyname AS policy, p.qual
       FROM pg_policies p JOIN pg_namespace n ON n.nspname = p.schemaname JOIN pg_class c ON c.relnamespace = n.oid AND c.relname = p.tablename
       WHERE p.permissive = 'PERMISSIVE' AND p.cmd = 'SELECT' AND p.roles && '{public,authenticated}'::name[] AND p.qual IS NOT NULL AND p.qual !~* 'is_anonymous'
         AND c.relrowsecurity AND c.relkind IN ('r', 'p') AND NOT (p.schemaname = ANY($1::text[]))
       ORDER BY 1, 3`,
      [stubSchemas],
    )
  ).rows;
  if (policies.length === 0) return [];
  const settings = {
    ...signedIn,
    'request.jwt.claim.sub': OTHER_USER,
    'request.jwt.claims': JSON.stringify({ sub: OTHER_USER, role: 'authenticated', aud: 'authenticated', is_anonymous: true }),
  };
  const seedOf = await seedsByRel(db, stubSchemas);
  return policies.map((p) => ({
    kind: 'anonymous' as const,
    object: p.table,
    role: 'authenticated',
    run: async (db: PGlite) => {
      const row = seedOf.get(p.rel);
      if (row) await seedIfEmpty(db, row);
      const read = () => readAs(db, p.table, 'authenticated', settings);
      return {
        policy: p.policy,
        command: 'select' as const,
        ...(await compared(read, async () => {
          await db.exec(`ALTER POLICY ${quoteIdent(p.policy)} ON ${p.table} USING ((${p.qual}) AND ${NOT_ANONYMOUS})`);
          return read();
        })),
      };
    },
  }));
}

/**
 * `public` looks (see ExposureResult): each permissive policy for PUBLIC on an RLS table, its
 * command made by STAND_IN_ROLE, granted USAGE on the schema, SELECT on its tables and the
 * command's privilege on the table inside the look, then made again with the policy dropped.
 */
async function publicSpecs(db: PGlite, stubSchemas: string[]): Promise<ExposureSpec[]> {
  const policies = (
    await db.query<{ schema: string; table: string; rel: string; policy: string; cmd: string; col: string | null; set: string | null }>(
      `SELECT quote_ident(p.schemaname) AS schema, quote_ident(p.schemaname) || '.' || quote_ident(p.tablename) AS table, c.oid::regclass::text AS rel, p.policyname AS policy, p.cmd,
              settable.col, settable.set
       FROM pg_policies p JOIN pg_namespace n ON n.nspname = p.schemaname JOIN pg_class c ON c.relnamespace = n.oid AND c.relname = p.tablename
       LEFT JOIN LATERAL (SELECT quote_ident(a.attname) AS col, CASE WHEN a.atthasdef THEN 'DEFAULT' ELSE 'NULL' END AS set FROM pg_attribute a
                          WHERE a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped AND a.attidentity = '' AND a.attgenerated = '' AND (a.atthasdef OR NOT a.attnotnull)
                          ORDER BY a.attnum LIMIT 1) settable ON true
       WHERE p.permissive = 'PERMISSIVE' AND p.roles = '{public}' AND c.relrowsecurity AND c.relkind IN ('r', 'p') AND NOT (p.schemaname = ANY($1::text[]))
       ORDER BY 2, 4`,
      [stubSchemas],
    )
  ).rows;
  if (policies.length === 0) return [];
  await db.exec(createRoleSqlIfMissing(STAND_IN_ROLE));
  const seedOf = await seedsByRel(db, stubSchemas);
  const specs: ExposureSpec[] = [];
  for (const p of policies) {
    const row = seedOf.get(p.rel);
    let command: ProbeCommand | undefined;
    let sql: string | undefined;
    if (p.cmd === 'SELECT' || p.cmd === 'ALL') [command, sql] = ['select', `SELECT count(*)::int AS n FROM ${p.table}`];
    else if (p.cmd === 'DELETE') [command, sql] = ['delete', `DELETE FROM ${p.table}`];
    else if (p.cmd === 'UPDATE' && p.col) [command, sql] = ['update', `UPDATE ${p.table} SET ${p.col} = ${p.set}`];
    else if (p.cmd === 'INSERT' && row) [command, sql] = ['insert', insertSql(row)];
    if (!command || !sql) continue;
    const run = sql;
    const privilege = command.toUpperCase();
    specs.push({
      kind: 'public',
      object: p.table,
      role: STAND_IN_ROLE,
      run: async (db) => {
        // (and SELECT on the schema's tables, which a policy's sub-select may read: as a role granted what the app's roles are)
        await db.exec(`GRANT USAGE ON SCHEMA ${p.schema} TO ${STAND_IN_ROLE}; GRANT SELECT ON ALL TABLES IN SCHEMA ${p.schema} TO ${STAND_IN_ROLE}; GRANT ${privilege} ON ${p.table} TO ${STAND_IN_ROLE}`);
        await db.exec('SET LOCAL session_replication_role = replica');
        // (an INSERT into a table holding the seeded row would collide with it)
        if (command === 'insert') await db.exec(`DELETE FROM ${p.table}`);
        else if (row) await seedIfEmpty(db, row);
        const made = () => (command === 'select' ? readAs(db, p.table, STAND_IN_ROLE) : writeAs(db, run, STAND_IN_ROLE));
        return {
          policy: p.policy,
          command,
          ...(await compared(made, async () => {
            await db.exec(`DROP POLICY ${quoteIdent(p.policy)} ON ${p.table}`);
            return made();
          })),
        };
      },
    });
  }
  return specs;
}

/** Whether a policy's roles (pg_policies.roles) take in `role`: they name it, or are PUBLIC's. */
const covers = (list: readonly string[], role: string) => list.includes('public') || list.includes(role) || list.includes(quoteIdent(role));

/** The probe roles a look at a policy for `list` may be made as (lookRole): those it names; for PUBLIC each, then the stand-in. */
const lookCandidates = (list: readonly string[], roles: string[]) => (list.includes('public') ? [...roles, STAND_IN_ROLE] : roles.filter((r) => covers(list, r)));

/** What a role `lookRole` picks to be granted for a look is granted (inside the look's transaction): USAGE on the schema, the privilege on the table. */
const lookGrant = (schema: string, table: string, role: string, privilege: string): string =>
  `GRANT USAGE ON SCHEMA ${schema} TO ${quoteIdent(role)}; GRANT ${privilege} ON ${table} TO ${quoteIdent(role)}`;

/**
 * The role a look of `command` on `table` is made as: the first of `candidates` holding the
 * privilege; else the first of them, to be granted it for the look (`granted`).
 */
async function lookRole(db: PGlite, candidates: string[], table: string, command: ProbeCommand): Promise<{ as: string; granted: boolean } | undefined> {
  const [held] = await holding(db, candidates, table, command.toUpperCase());
  if (held) return { as: held, granted: false };
  if (!candidates[0]) return undefined;
  if (candidates[0] === STAND_IN_ROLE) await db.exec(createRoleSqlIfMissing(STAND_IN_ROLE));
  return { as: candidates[0], granted: true };
}

/**
 * `insert-check` looks (see ExposureResult): each permissive INSERT policy without WITH CHECK on
 * an RLS table, as the first probe role it applies to (for PUBLIC: the stand-in), granted USAGE
 * and INSERT for the look when it holds none: an INSERT of the seeded row (the table emptied
 * first), then the same once the policy has WITH CHECK (true).
 */
async function insertCheckSpecs(db: PGlite, stubSchemas: string[], roles: string[], settingsOf: (role: string) => Record<string, string> | undefined): Promise<ExposureSpec[]> {
  const policies = (
    await db.query<{ schema: string; table: string; rel: string; policy: string; roles: string[] }>(
      `SELECT quote_ident(p.schemaname) AS schema, quote_ident(p.schemaname) || '.' || quote_ident(p.tablename) AS table, c.oid::regclass::text AS rel, p.policyname AS policy, p.roles::text[] AS roles
       FROM pg_policies p JOIN pg_namespace n ON n.nspname = p.schemaname JOIN pg_class c ON c.relnamespace = n.oid AND c.relname = p.tablename
       WHERE p.permissive = 'PERMISSIVE' AND p.cmd = 'INSERT' AND p.with_check IS NULL AND c.relrowsecurity AND NOT (p.schemaname = ANY($1::text[]))
       ORDER BY 2, 4`,
      [stubSchemas],
    )
  ).rows;
  if (policies.length === 0) return [];
  const seedOf = await seedsByRel(db, stubSchemas);
  const specs: ExposureSpec[] = [];
  for (const p of policies) {
    const row = seedOf.get(p.rel);
    if (!row) continue;
    const role = await lookRole(db, lookCandidates(p.roles, roles), p.table, 'insert');
    if (!role) continue;
    const { as, granted } = role;
    specs.push({
      kind: 'insert-check',
      object: p.table,
      role: as,
      run: async (db) => {
        if (granted) await db.exec(lookGrant(p.schema, p.table, as, 'INSERT'));
        await db.exec('SET LOCAL session_replication_role = replica');
        // (an INSERT into a table holding the seeded row would collide with it)
        await db.exec(`DELETE FROM ${p.table}`);
        const insert = () => writeAs(db, insertSql(row), as, settingsOf(as));
        const first = await insert();
        const refused = !('rows' in first) && first.code === '42501' && /^new row violates row-level security policy/.test(first.message);
        await db.exec(`ALTER POLICY ${quoteIdent(p.policy)} ON ${p.table} WITH CHECK (true)`);
        const fixed = await insert();
        return { policy: p.policy, command: 'insert' as const, ...(granted ? { granted } : {}), ...outcome(first, fixed), shown: refused && 'rows' in fixed && fixed.rows > 0 };
      },
    });
  }
  return specs;
}

/**
 * `setting-switch` looks (see ExposureResult): each permissive SELECT or ALL policy on an RLS
 * table whose USING reads a custom setting (`current_setting('app.x', …)`, a dotted name but
 * PostgREST's request.* and the like), read as the first probe role it applies to (for PUBLIC:
 * the stand-in; granted SELECT for the look when it holds none) with no setting of the probes,
 * the table holding the seeded row: then the same read after the role itself ran
 * set_config(setting, value, true) — no privilege allows or denies it — for each value the
 * USING compares with (and 'on', 'true'), until one admits more rows.
 */
async function switchSpecs(db: PGlite, stubSchemas: string[], roles: string[]): Promise<ExposureSpec[]> {
  const policies = (
    await db.query<{ schema: string; table: string; rel: string; policy: string; roles: string[]; qual: string }>(
      `SELECT quote_ident(p.schemaname) AS schema, quote_ident(p.schemaname) || '.' || quote_ident(p.tablename) AS table, c.oid::regclass::text AS rel, p.policyname AS policy, p.roles::text[] AS roles, p.qual
       FROM pg_policies p JOIN pg_namespace n ON n.nspname = p.schemaname JOIN pg_class c ON c.relnamespace = n.oid AND c.relname = p.tablename
       WHERE p.permissive = 'PERMISSIVE' AND p.cmd IN ('SELECT', 'ALL') AND p.qual ~* 'current_setting\\(''[^'']+\\.' AND c.relrowsecurity AND c.relkind IN ('r', 'p')
         AND NOT (p.schemaname = ANY($1::text[]))
       ORDER BY 2, 4`,
      [stubSchemas],
    )
  ).rows;
  if (policies.length === 0) return [];
  const seedOf = await seedsByRel(db, stubSchemas);
  const specs: ExposureSpec[] = [];
  for (const p of policies) {
    const settings = [...new Set([...p.qual.matchAll(/current_setting\('([^']+)'/gi)].map((m) => m[1]!))].filter(appSetting);
    const row = seedOf.get(p.rel);
    if (settings.length === 0 || !row) continue;
    // (the literals the USING compares with, as pg_get_expr writes them: 'on'::text; the settings' names are not values)
    const literals = [...p.qual.matchAll(/'((?:[^']|'')*)'/g)].map((m) => m[1]!.replace(/''/g, "'")).filter((v) => v !== '' && !settings.includes(v));
    const values = [...new Set([...literals, 'on', 'true'])].slice(0, 8);
    const role = await lookRole(db, lookCandidates(p.roles, roles), p.table, 'select');
    if (!role) continue;
    const { as, granted } = role;
    specs.push({
      kind: 'setting-switch',
      object: p.table,
      role: as,
      run: async (db) => {
        if (granted) await db.exec(lookGrant(p.schema, p.table, as, 'SELECT'));
        await seedIfEmpty(db, row);
        const without = await readAs(db, p.table, as);
        const base = { policy: p.policy, command: 'select' as const, ...(granted ? { granted } : {}) };
        if (!('rows' in without)) return { ...base, setting: settings[0], ...without, shown: false };
        for (const setting of settings) {
          for (const value of values) {
            // (a value the setting's casts refuse raises, 22P02: no rows, and the next value is tried)
            const read = await readAs(db, p.table, as, { [setting]: value });
            if ('rows' in read && read.rows > without.rows) return { ...base, setting, value, rows: read.rows, fixedRows: without.rows, shown: true };
          }
        }
        // (no value tried admits more rows than none: the read without, both ways)
        return { ...base, setting: settings[0], rows: without.rows, fixedRows: without.rows, shown: false };
      },
    });
  }
  return specs;
}

/** Words EXPLAIN writes before `(` that are no function's. */
const NOT_CALLS = new Set(['exists', 'any', 'all', 'array', 'row', 'coalesce', 'nullif', 'greatest', 'least', 'subplan', 'initplan', 'in', 'not', 'and', 'or', 'varying', 'numeric', 'char', 'character', 'varchar', 'time', 'timestamp', 'interval', 'bit']);

/**
 * The Filter of the first scan of `rel` (its name unqualified, as EXPLAIN writes it) in a plan's
 * lines: the condition tested on each row the scan reads.
 */
export function scanFilter(lines: readonly string[], rel: string): string | undefined {
  const scan = new RegExp(`(?:Seq Scan|Index Scan|Index Only Scan|Bitmap Heap Scan|Tid Scan|Tid Range Scan|Sample Scan)(?: Backward)?(?: using \\S+)? on ${rel.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}(?:\\s|$)`);
  const at = lines.findIndex((l) => scan.test(l));
  if (at < 0) return undefined;
  for (let i = at + 1; i < lines.length; i++) {
    const l = lines[i]!.trim();
    if (l.startsWith('->') || /^(?:InitPlan|SubPlan)\b/.test(l)) return undefined;
    if (l.startsWith('Filter: ')) return l.slice('Filter: '.length);
  }
  return undefined;
}

/** Settings that keep the planner from index scans: the plan of a scan of every row (`plan` looks, ExposureResult.seqScan). */
const SEQ_SCAN = { enable_indexscan: 'off', enable_indexonlyscan: 'off', enable_bitmapscan: 'off', enable_tidscan: 'off' };

/** The functions a plan's condition calls (last name part, lower-case), in order, once each (`all`: each call). */
export function callsOfFilter(filter: string, all = false): string[] {
  const out: string[] = [];
  for (const m of filter.matchAll(/(?<![\w$."])((?:[A-Za-z_][\w$]*\.)?([A-Za-z_][\w$]*))\(/g)) {
    const name = m[2]!.toLowerCase();
    if (!NOT_CALLS.has(name) && (all || !out.includes(name))) out.push(name);
  }
  return out;
}

/**
 * `plan` and `filter` looks (see ExposureResult), from the plans of each RLS table's commands (a
 * read, an UPDATE, a DELETE) that permissive policies are for (FOR ALL: each), as a probe role
 * they apply to (or the stand-in, for PUBLIC), granted the command's privilege for the look when
 * it holds none: privileges are checked before a plan is made and change nothing in it.
 * - `plan`, when a policy's USING calls a function: a policy puts calls in the Filter of the
 *   table's scan (each evaluated per row) when the same plan with its USING `true` has fewer
 *   (the planner inlines SQL functions: auth.uid() shows as its body; and may fold a condition
 *   into a one-time filter or a sub-plan instead);
 * - `filter`, when two or more of them apply to one role: a policy is in the Filter when the same
 *   plan with its USING `false` has another (PostgreSQL ORs the permissive policies into it).
 */
async function planSpecs(db: PGlite, stubSchemas: string[], roles: string[], settingsOf: (role: string) => Record<string, string> | undefined): Promise<ExposureSpec[]> {
  const policies = (
    await db.query<{ schema: string; table: string; rel: string; policy: string; cmd: string; roles: string[]; calls: boolean; col: string | null }>(
      `SELECT quote_ident(p.schemaname) AS schema, quote_ident(p.schemaname) || '.' || quote_ident(p.tablename) AS table, quote_ident(p.tablename) AS rel, p.policyname AS policy, p.cmd, p.roles::text[] AS roles,
              p.qual ~ '[A-Za-z_][(]' AS calls,
              (SELECT quote_ident(a.attname) FROM pg_attribute a WHERE a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped AND a.attidentity = '' AND a.attgenerated = '' ORDER BY a.attnum LIMIT 1) AS col
       FROM pg_policies p JOIN pg_namespace n ON n.nspname = p.schemaname JOIN pg_class c ON c.relnamespace = n.oid AND c.relname = p.tablename
       WHERE p.permissive = 'PERMISSIVE' AND p.cmd IN ('ALL', 'SELECT', 'UPDATE', 'DELETE') AND p.qual IS NOT NULL AND c.relrowsecurity AND NOT (p.schemaname = ANY($1::text[]))
       ORDER BY 1, 4, 3`,
      [stubSchemas],
    )
  ).rows;
  type Row = (typeof policies)[number];
  const appliesTo = (q: Row, role: string) => covers(q.roles, role);
  /** the Filter of the table's scan in the plan of `sql`, as `as` (each look's `db`: verify restarts a dead instance) */
  const explain = async (db: PGlite, as: string, sql: string, rel: string, seq = false): Promise<Read & { filter?: string }> => {
    let lines: string[] = [];
    const r = await runAs(db, as, seq ? { ...settingsOf(as), ...SEQ_SCAN } : settingsOf(as), async () => {
      lines = (await db.query<{ 'QUERY PLAN': string }>(`EXPLAIN (COSTS OFF) ${sql}`)).rows.map((x) => x['QUERY PLAN']);
      return lines.length || undefined; // (a plan has a line at least: none, the instance died)
    });
    return 'rows' in r ? { ...r, filter: scanFilter(lines, rel) } : r;
  };
  /** the policies of `mine` whose USING set to `to` makes `changed` true of the plan's Filter */
  const whose = async (db: PGlite, mine: Row[], to: string, as: string, sql: string, rel: string, changed: (filter: string) => boolean, seq = false): Promise<string[]> => {
    const out: string[] = [];
    for (const q of mine) {
      await db.exec('SAVEPOINT plan');
      try {
        await db.exec(`ALTER POLICY ${quoteIdent(q.policy)} ON ${q.table} USING (${to})`);
        const other = await explain(db, as, sql, rel, seq);
        if ('rows' in other && changed(other.filter ?? '')) out.push(q.policy);
      } finally {
        if (!isDead(db)) await db.exec('ROLLBACK TO SAVEPOINT plan');
      }
    }
    return out;
  };
  const cut = (filter: string) => (filter ? { filter: filter.length > 200 ? `${filter.slice(0, 199)}…` : filter } : {});
  /**
   * a look's run: the plan of `sql` as `as` (granted `grant` first when `granted`), then what `then` finds of its Filter;
   * `seqFallback`: when the scan's Filter calls nothing, the plan with index scans off if its Filter does (ExposureResult.seqScan)
   */
  const planned =
    (
      command: ProbeCommand,
      as: string,
      granted: boolean,
      grant: string,
      sql: string,
      rel: string,
      then: (db: PGlite, filter: string, seq: boolean) => Promise<{ policies: string[]; perRow?: string[]; shown: boolean }>,
      seqFallback = false,
    ) =>
    async (db: PGlite) => {
      if (granted) await db.exec(grant);
      let plan = await explain(db, as, sql, rel);
      let seq = false;
      if (seqFallback && 'rows' in plan && callsOfFilter(plan.filter ?? '').length === 0) {
        const scan = await explain(db, as, sql, rel, true);
        if ('rows' in scan && callsOfFilter(scan.filter ?? '').length > 0) [plan, seq] = [scan, true];
      }
      if (!('rows' in plan)) return { command, ...(granted ? { granted } : {}), ...plan, shown: false };
      const filter = plan.filter ?? '';
      return { command, ...(granted ? { granted } : {}), ...(seq ? { seqScan: true } : {}), ...cut(filter), ...(await then(db, filter, seq)) };
    };
  const specs: ExposureSpec[] = [];
  const tables = [...new Set(policies.map((q) => q.table))];
  for (const table of tables) {
    const all = policies.filter((q) => q.table === table);
    const { schema, rel, col } = all[0]!;
    for (const command of ['select', 'update', 'delete'] as const) {
      const sql = command === 'select' ? `SELECT * FROM ${table}` : command === 'delete' ? `DELETE FROM ${table}` : col ? `UPDATE ${table} SET ${col} = ${col}` : undefined;
      const own = all.filter((q) => q.cmd === command.toUpperCase());
      if (!sql || own.length + all.filter((q) => q.cmd === 'ALL').length === 0) continue;
      const grant = (as: string) => lookGrant(schema, table, as, command.toUpperCase());
      // (the table's policies calling a function: any of them may be in the plan's Filter, a SELECT policy's in an UPDATE's too)
      const calling = all.filter((q) => q.calls);
      // (a look as a role each policy of the command calling a function applies to: one per role, as few as cover them; FOR ALL: the read)
      const chosen = new Map<string, { as: string; granted: boolean }>();
      for (const q of [...own, ...(command === 'select' ? all.filter((x) => x.cmd === 'ALL') : [])]) {
        if (!q.calls || [...chosen.keys()].some((r) => appliesTo(q, r))) continue;
        const r = await lookRole(db, lookCandidates(q.roles, roles), table, command);
        if (r) chosen.set(r.as, r);
      }
      for (const { as, granted } of chosen.values()) {
        const run = planned(
          command,
          as,
          granted,
          grant(as),
          sql,
          rel,
          async (db, filter, seq) => {
            const calls = callsOfFilter(filter, true).length;
            // (dropped, a policy the command needs would take the whole scan away)
            const found = calls ? await whose(db, calling, 'true', as, sql, rel, (f) => callsOfFilter(f, true).length < calls, seq) : [];
            return { policies: found, perRow: callsOfFilter(filter), shown: found.length > 0 };
          },
          true,
        );
        specs.push({ kind: 'plan', object: table, role: as, run });
      }
      // two or more permissive policies of the command (FOR ALL ones count for every command) for one role
      const mine = [...own, ...all.filter((q) => q.cmd === 'ALL')];
      // (one look per set of such policies: roles with different sets are different findings)
      const bySet = new Map<string, string[]>();
      for (const r of [...roles, STAND_IN_ROLE]) {
        const theirs = mine.filter((q) => appliesTo(q, r));
        if (theirs.length < 2) continue;
        const key = theirs.map((q) => q.policy).join('\u0000');
        bySet.set(key, [...(bySet.get(key) ?? []), r]);
      }
      for (const group of bySet.values()) {
        const filterRole = await lookRole(db, group, table, command);
        if (!filterRole) continue;
        const { as, granted } = filterRole;
        const theirs = mine.filter((q) => appliesTo(q, as));
        const run = planned(command, as, granted, grant(as), sql, rel, async (db, filter) => {
          const found = filter ? await whose(db, theirs, 'false', as, sql, rel, (f) => f !== filter) : [];
          return { policies: found, shown: found.length >= 2 };
        });
        specs.push({ kind: 'filter', object: table, role: as, run });
      }
    }
  }
  return specs;
}

/** PostgreSQL's spellings of `off` for a boolean setting (as proconfig keeps what was written). */
const OFF = `(off|of|false|fals|fal|fa|f|no|n|0)`;

/** `name` (a relation's, unquoted) as a whole word of a function's text, `schema.`-qualified or not. */
const wordOf = (name: string) => `(?<![\\w$])"?${name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}"?(?![\\w$])`;

/** A function text looking at who calls it (as the lint's definer-bypasses-rls asks). */
const CALLER = /\b(?:auth\.(?:uid|jwt|role|email)|current_user|session_user|current_role|current_setting|request\.jwt)\b/i;

/** What an invoker's call fails with when the caller may not read what the definer did: no privilege or a policy's refusal, a policy recursing. */
const REFUSED = ['42501', '42P17', '54001'];

/** The longest result (JSON) an exposure keeps of a call. */
const MAX_RESULT = 160;

/**
 * `row-security`, `trigger-force` and `definer-call` looks (see ExposureResult): functions run
 * with their owner's rights, or settings, where the lint says what PostgreSQL then does.
 */
async function definerSpecs(db: PGlite, stubSchemas: string[], roles: string[], settingsOf: (role: string) => Record<string, string> | undefined, owners: boolean): Promise<ExposureSpec[]> {
  const fns = (
    await db.query<{ oid: number; sig: string; schema: string; name: string; args: number; src: string; definer: boolean; trigger: boolean; void: boolean; kind: string; off: boolean; call: string; expr: string }>(
      `SELECT p.oid::int AS oid, ${FUNCTION_SIG} AS sig, n.nspname AS schema, p.proname AS name, p.pronargs::int AS args, p.prosrc AS src,
              p.prosecdef AS definer, p.prorettype = 'trigger'::regtype AS trigger, p.prorettype = 'void'::regtype AS void, p.prokind::text AS kind,
              coalesce((SELECT bool_or(lower(c) ~ '^row_security=${OFF}$') FROM unnest(p.proconfig) c), false) AS off,
              ${callOf(seededArg('seed'))} AS call, ${callExpr(seededArg('seed'))} AS expr
       FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace JOIN pg_language l ON l.oid = p.prolang
       WHERE l.lanname IN ('sql', 'plpgsql') AND p.prokind IN ('f', 'p') AND p.prorettype <> 'event_trigger'::regtype AND ${MIGRATIONS_SCHEMA}
       ORDER BY 2`,
      [stubSchemas, SEED_USER],
    )
  ).rows;
  const tables = (
    await db.query<{ name: string; schema: string; rel: string; forced: boolean }>(
      `SELECT quote_ident(n.nspname) || '.' || quote_ident(c.relname) AS name, quote_ident(n.nspname) AS schema, c.relname AS rel, c.relforcerowsecurity AS forced
       FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
       WHERE c.relrowsecurity AND c.relkind IN ('r', 'p') AND ${MIGRATIONS_SCHEMA} ORDER BY 1`,
      [stubSchemas],
    )
  ).rows;
  const named = new Map(tables.map((t) => [t.name, new RegExp(wordOf(t.rel), 'i')]));
  // (what a function writes: a table named by INSERT, UPDATE or DELETE, or anywhere in a TRUNCATE's list,
  // static or in an EXECUTE's string, which the model keeps apart as Func.truncates: row-level security
  // does not apply to it, and the call empties the table)
  const qualified = `(?:[\\w$"]+\\s*\\.\\s*)?`;
  const written = new Map(
    tables.map((t) => [
      t.name,
      new RegExp(`\\b(?:(?:insert\\s+into|update|delete\\s+from)\\s+(?:only\\s+)?|truncate\\s+(?:table\\s+)?(?:only\\s+)?(?:${qualified}[\\w$"]+\\s*\\*?\\s*,\\s*(?:only\\s+)?)*)${qualified}${wordOf(t.rel)}`, 'i'),
    ]),
  );
  const inserted = new Map(tables.filter((t) => t.forced).map((t) => [t.name, new RegExp(`\\binsert\\s+into\\s+(?:[\\w$"]+\\s*\\.\\s*)?${wordOf(t.rel)}`, 'i')]));
  const specs: ExposureSpec[] = [];
  const bodyOff = new RegExp(`\\bset\\s+(?:local\\s+|session\\s+)?row_security\\s*(?:=|to)\\s*'?${OFF}\\b|set_config\\s*\\(\\s*'row_security'\\s*,\\s*'${OFF}'`, 'i');
  const setting = owners ? fns.filter((f) => f.off || bodyOff.test(f.src)) : [];
  const forcing = owners ? fns.filter((f) => f.definer && f.trigger && !f.off && !bodyOff.test(f.src) && [...inserted.values()].some((re) => re.test(f.src))) : [];
  if (setting.length || forcing.length) await ownerRole(db);
  const rowOf = setting.some((f) => f.trigger) || forcing.length ? await seedsByRel(db, stubSchemas, true) : new Map<string, SeedRow>();
  /** each way the function runs (a call as `role`, or each firing as the superuser) until one fails: what the last gave (each look's `db`: verify restarts a dead instance) */
  const runs = async (db: PGlite, f: (typeof fns)[number], firings: Firing[] | undefined, role: string | undefined): Promise<Read & { trigger?: Firing['trigger'] }> => {
    if (!firings) return runAs(db, role, undefined, async () => (await db.query(f.call)).rows.length);
    let last: (Read & { trigger?: Firing['trigger'] }) | undefined;
    for (const w of firings) {
      await db.exec('SAVEPOINT firing');
      try {
        await w.prepare(db);
        last = { ...(await runAs(db, undefined, undefined, async () => (await db.query(w.sql)).affectedRows ?? 0)), trigger: w.trigger };
      } finally {
        if (!isDead(db)) await db.exec('ROLLBACK TO SAVEPOINT firing');
      }
      if (!('rows' in last)) break;
    }
    return last!;
  };
  // row_security = off: owned (and, called, run) by OWNER_ROLE, who may write every table for the look
  const schemas = [...new Set(tables.map((t) => t.schema))];
  const mayWrite = async (db: PGlite) => {
    if (schemas.length) await db.exec(`GRANT INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA ${schemas.join(', ')} TO ${OWNER_ROLE}`);
  };
  for (const f of setting) {
    const fired = f.trigger ? (f.definer ? await firingWrites(db, f.oid, undefined, rowOf) : undefined) : undefined;
    if (f.trigger && !fired?.firings.length) continue;
    specs.push({
      kind: 'row-security',
      object: f.sig,
      role: OWNER_ROLE,
      run: async (db) => {
        await mayWrite(db);
        await alter(db, f, `OWNER TO ${OWNER_ROLE}`);
        const as = f.trigger ? undefined : OWNER_ROLE;
        const first = await runs(db, f, fired?.firings, as);
        const shown = !('rows' in first) && first.code === '42501' && /^query would be affected by row-level security policy/.test(first.message);
        let fixed: Read | undefined;
        if (f.off) {
          await alter(db, f, 'RESET row_security');
          fixed = await runs(db, f, fired?.firings, as);
        }
        return { ...functionOf(f), option: f.off, ...(first.trigger ? { trigger: first.trigger } : {}), ...outcome(first, fixed), shown };
      },
    });
  }
  // definer trigger functions inserting into FORCE'd tables: it and the tables owned by OWNER_ROLE
  for (const f of forcing) {
    const fired = await firingWrites(db, f.oid, undefined, rowOf);
    if (!fired?.firings.length) continue;
    const written = [...inserted].filter(([, re]) => re.test(f.src)).map(([name]) => name);
    specs.push({
      kind: 'trigger-force',
      object: f.sig,
      role: OWNER_ROLE,
      run: async (db) => {
        await alter(db, f, `OWNER TO ${OWNER_ROLE}`);
        for (const t of written) await db.exec(`ALTER TABLE ${t} OWNER TO ${OWNER_ROLE}`);
        const first = await runs(db, f, fired.firings, undefined);
        const shown = !('rows' in first) && first.code === '42501' && /^new row violates row-level security policy/.test(first.message);
        for (const t of written) await db.exec(`CREATE POLICY pg_rls_lint_from_trigger ON ${t} FOR INSERT TO ${OWNER_ROLE} WITH CHECK (pg_trigger_depth() > 0)`);
        const fixed = await runs(db, f, fired.firings, undefined);
        return { ...functionOf(f), written, ...(first.trigger ? { trigger: first.trigger } : {}), ...outcome(first, fixed), shown };
      },
    });
  }
  // definer functions naming an RLS table, or auth.users: their result for another user than the
  // seeded rows' (and what became of auth.users), then as SECURITY INVOKER
  const other = (s: Record<string, string> | undefined) => (s ? Object.fromEntries(Object.entries(s).map(([k, v]) => [k, v.split(SEED_USER).join(OTHER_USER)])) : undefined);
  const users = (await db.query<{ ok: boolean }>(`SELECT to_regclass('auth.users') IS NOT NULL AS ok`)).rows[0]?.ok ? await seedRows(db, [], false) : [];
  const usersRow = users.find((r) => r.rel === 'auth.users');
  for (const f of fns) {
    if (!f.definer || f.trigger || f.kind !== 'f' || f.off || CALLER.test(f.src)) continue;
    const kinds: Array<'definer-call' | 'auth-users'> = [];
    // (a function returning nothing is looked at for what it writes: the RLS tables it names in an INSERT, UPDATE or DELETE)
    const writes = tables.filter((t) => written.get(t.name)!.test(f.src)).map((t) => t.name);
    if ((!f.void || writes.length) && tables.some((t) => named.get(t.name)!.test(f.src))) kinds.push('definer-call');
    if (usersRow && AUTH_USERS_NAMED.test(f.src)) kinds.push('auth-users');
    if (kinds.length === 0) continue;
    // (none of the probes' roles: STAND_IN_ROLE, which holds only PUBLIC's privileges, when PUBLIC may execute it)
    const as = (await executor(db, roles, f.oid)) ?? (await standInExecutor(db, f.oid));
    if (!as) continue;
    for (const kind of kinds) specs.push(callLook(kind, f, as, as === STAND_IN_ROLE ? undefined : other(settingsOf(as)), kind === 'auth-users' ? usersRow : undefined, kind === 'definer-call' ? writes : []));
  }
    return specs;
}

/** `ALTER ROUTINE` of a function verify queried (`sig`: FUNCTION_SIG), inside a look. */
const alter = (db: PGlite, f: { sig: string }, what: string) => db.exec(`ALTER ROUTINE ${f.sig} ${what}`);

/** A look's outcome fields: the rows of a read or write, or what PostgreSQL raised; and the same after the fix (fixed*). */
const outcome = (r: Read, fixed?: Read) => ({
  ...('rows' in r ? { rows: r.rows } : { code: r.code, message: r.message }),
  ...(fixed ? ('rows' in fixed ? { fixedRows: fixed.rows } : { fixedCode: fixed.code, fixedMessage: fixed.message }) : {}),
});

/** A function's text naming Supabase's auth.users. */
const AUTH_USERS_NAMED = /\bauth\s*\.\s*"?users"?(?![\w$])/i;

/**
 * A `definer-call` or `auth-users` look (see ExposureResult) of the definer function `f`, called
 * by `as` reading with `settings`, then as SECURITY INVOKER. With `users` (auth.users' seed row):
 * auth.users holds that row for the look, and what the call did to auth.users is looked at too.
 */
function callLook(
  kind: 'definer-call' | 'auth-users',
  f: { sig: string; schema: string; name: string; args: number; call: string; expr: string },
  as: string,
  settings: Record<string, string> | undefined,
  users: SeedRow | undefined,
  watched: readonly string[] = [],
): ExposureSpec {
  // (the rows holding something: not NULL, nor a lone false, 0 or '', as an is_admin() check or a count of nothing gives anyone)
  const query = `SELECT count(*) FILTER (WHERE NOT (r IS NULL) AND r::text NOT IN ('false', '0', ''))::int AS n, left(coalesce(json_agg(r)::text, '[]'), ${MAX_RESULT}) AS v FROM ${f.expr} AS r`;
  // (what the call may change, read as the superuser: auth.users, or the RLS tables the function writes)
  const fingerprint = (rel: string) => `SELECT md5(coalesce(string_agg(u::text, ',' ORDER BY u::text), '')) AS h FROM ${rel} u`;
  const rels = users ? ['auth.users'] : watched;
  const print = async (db: PGlite) => {
    let h = '';
    for (const rel of rels) h += (await db.query<{ h: string }>(fingerprint(rel))).rows[0]!.h;
    return h;
  };
  return {
    kind,
    object: f.sig,
    role: as,
    run: async (db) => {
      if (users) {
        await seedIfEmpty(db, users);
        // (an account has an email: what a lookup by id would give away)
        await db.exec(`UPDATE auth.users SET email = 'user@example.com' WHERE email IS NULL`).catch(() => undefined);
      }
      const before = await print(db);
      const once = async () => {
        let v = '';
        let changed = false;
        const r = await runAs(db, as, settings, async () => {
          // (no row at all: PGlite's instance died in the call, as runAs reports)
          const row = (await db.query<{ n: number; v: string }>(query)).rows[0];
          if (!row) return undefined;
          v = row.v ?? '[]';
          // (read as the superuser, before the call is undone)
          if (rels.length) {
            await db.exec('RESET ROLE');
            changed = (await print(db)) !== before;
          }
          return row.n;
        });
        return { r, v, changed };
      };
      const first = await once();
      const base = {
        ...functionOf(f),
        call: f.call,
        ...(settings && Object.values(settings).some((v) => v.includes(OTHER_USER)) ? { user: OTHER_USER } : {}),
        ...(users && 'rows' in first.r ? { usersChanged: first.changed } : {}),
        ...(!users && rels.length ? { watched: [...rels], ...('rows' in first.r ? { changed: first.changed } : {}) } : {}),
      };
      if (!('rows' in first.r)) return { ...base, ...outcome(first.r), shown: false };
      if (first.r.rows === 0 && !first.changed) return { ...base, ...outcome(first.r), result: first.v, shown: false };
      await alter(db, f, 'SECURITY INVOKER');
      const second = await once();
      // (as the invoker: fewer rows, another result, the tables left as they were, or refused: no
      // privilege or a policy's refusal, 42501, or a policy recursing)
      const differs = 'rows' in second.r ? second.r.rows < first.r.rows || second.v !== first.v || (first.changed && !second.changed) : REFUSED.includes(second.r.code);
      return { ...base, ...outcome(first.r, second.r), result: first.v, ...('rows' in second.r ? { fixedResult: second.v, ...(rels.length ? { fixedChanged: second.changed } : {}) } : {}), shown: differs };
    },
  };
}

/** What injectionSpecs' SQL raises: current_user, then this marker, as an integer's invalid input. */
const INJECTED = 'pg_rls_lint_injected';
const WHO = `(current_user || ':${INJECTED}')::int`;
/** SQL for each place a string can be spliced into a query: a whole statement, inside a quoted literal, an expression, a FROM item. */
// (as a FROM item, a WHERE: a column nobody reads is never computed, a condition always is)
const PAYLOADS = [`SELECT ${WHO}`, `x' || ${WHO} || '`, WHO, `(SELECT WHERE ${WHO} > 0) AS pg_rls_lint`];

/**
 * `injection` looks (see ExposureResult): each SECURITY DEFINER PL/pgSQL function whose body runs
 * dynamic SQL (EXECUTE) and that takes text, called by a role that may execute it, signed in as
 * the seeded user where the role reads auth.uid(), with each payload in each text argument in
 * turn (the others seeded) until PostgreSQL raises the payload's error: its text names
 * current_user where the SQL ran, the function's owner. A function that quotes its arguments
 * (quote_literal, format's %L / %I) or checks the caller first raises no such error: nothing shown.
 */
async function injectionSpecs(db: PGlite, stubSchemas: string[], roles: string[], settingsOf: (role: string) => Record<string, string> | undefined): Promise<ExposureSpec[]> {
  const args = `unnest(p.proargtypes) WITH ORDINALITY AS a(t, i) JOIN pg_type ty ON ty.oid = a.t JOIN pg_namespace tn ON tn.oid = ty.typnamespace`;
  const fns = (
    await db.query<{ oid: number; sig: string; schema: string; name: string; args: number; fn: string; proc: boolean; types: string[]; seeded: string[]; texts: number[]; names: string[] | null }>(
      `SELECT p.oid::int AS oid, ${FUNCTION_SIG} AS sig, n.nspname AS schema, p.proname AS name, p.pronargs::int AS args,
              quote_ident(n.nspname) || '.' || quote_ident(p.proname) AS fn, p.prokind = 'p' AS proc,
              (SELECT array_agg(quote_ident(tn.nspname) || '.' || quote_ident(ty.typname) ORDER BY a.i) FROM ${args}) AS types,
              (SELECT array_agg(${seededArg('seed')} ORDER BY a.i) FROM ${args}) AS seeded,
              (SELECT array_agg(a.i::int - 1 ORDER BY a.i) FROM ${args} WHERE ty.typcategory = 'S') AS texts,
              p.proargnames AS names
       FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace JOIN pg_language l ON l.oid = p.prolang
       WHERE p.prosecdef AND l.lanname = 'plpgsql' AND p.prokind IN ('f', 'p') AND p.prorettype NOT IN ('trigger'::regtype, 'event_trigger'::regtype)
         AND p.prosrc ~* '\\mexecute\\M' AND ${MIGRATIONS_SCHEMA}
       ORDER BY 2`,
      [stubSchemas, SEED_USER],
    )
  ).rows.filter((f) => f.texts?.length);
  const specs: ExposureSpec[] = [];
  if (fns.length) await db.exec(createRoleSqlIfMissing(STAND_IN_ROLE));
  for (const f of fns) {
    const as = await executor(db, [...roles, STAND_IN_ROLE], f.oid);
    if (!as) continue;
    const callWith = (at: number, sql: string) =>
      `${f.proc ? 'CALL' : 'SELECT'} ${f.fn}(${f.types.map((t, i) => `${i === at ? quoteLiteral(sql) : f.seeded[i]}::${t}`).join(', ')})`;
    specs.push({
      kind: 'injection',
      object: f.sig,
      role: as,
      run: async (db) => {
        let last: Omit<ExposureResult, 'kind' | 'object' | 'role'> | undefined;
        for (const at of f.texts) {
          const argument = f.names?.[at] || `$${at + 1}`;
          for (const payload of PAYLOADS) {
            const call = callWith(at, payload);
            const r = await runAs(db, as, settingsOf(as), async () => (await db.query(call)).rows.length);
            const who = 'code' in r ? new RegExp(`"([^"]*):${INJECTED}"`).exec(r.message)?.[1] : undefined;
            last = { ...functionOf(f), call, argument, ...outcome(r), ...(who !== undefined ? { ranAs: who } : {}), shown: who !== undefined && who !== as };
            if (who !== undefined) return last;
          }
        }
        return last!;
      },
    });
  }
  return specs;
}

/** A function body's statements that change more than settings (a `session` look commits its call). */
const WRITES = /\b(?:insert|update|delete|truncate|merge|execute|create|drop|alter|grant|revoke|call|copy|lock|notify|nextval|setval|pg_notify|dblink\w*|lo_\w+)\b/i;

/**
 * `session` looks: each function whose body sets a dotted setting with `set_config(…)` or `SET`
 * (and changes nothing else, as far as its text shows), called with a value for each argument by
 * a role that may execute it, in a read-only transaction that commits (a write would fail);
 * then the setting is read in the next transaction, and set back. Still holding the value (set_config(…, false), SET without LOCAL)
 * shows it outlives the transaction, as the next client's requests on a pooled connection
 * would read it (T15b); set for the transaction only, it reads '' (or NULL) then.
 */
async function sessionSpecs(db: PGlite, stubSchemas: string[], roles: string[], settingsOf: (role: string) => Record<string, string> | undefined): Promise<ExposureSpec[]> {
  const fns = (
    await db.query<{ oid: number; sig: string; schema: string; name: string; args: number; src: string; call: string }>(
      `SELECT p.oid::int AS oid, ${FUNCTION_SIG} AS sig,
              n.nspname AS schema, p.proname AS name, p.pronargs::int AS args, p.prosrc AS src,
              ${callOf(seededArg('pg-rls-lint'))} AS call
       FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace JOIN pg_language l ON l.oid = p.prolang
       WHERE l.lanname IN ('sql', 'plpgsql') AND p.prokind IN ('f', 'p') AND p.prorettype NOT IN ('trigger'::regtype, 'event_trigger'::regtype)
         AND (p.prosrc ~* 'set_config\\s*\\(' OR p.prosrc ~* '\\mset\\s+(session\\s+)?"?[a-z_][a-z0-9_$]*"?\\.')
         AND ${MIGRATIONS_SCHEMA}
       ORDER BY 2`,
      [stubSchemas, SEED_USER],
    )
  ).rows;
  const specs: ExposureSpec[] = [];
  if (fns.length) await db.exec(createRoleSqlIfMissing(STAND_IN_ROLE));
  for (const f of fns) {
    // the settings the body names: set_config('a.b', …) or SET [SESSION] a.b
    const names = new Set<string>();
    for (const m of f.src.matchAll(/set_config\s*\(\s*'([^']+)'/gi)) names.add(m[1]!.toLowerCase());
    for (const m of f.src.matchAll(/\bset\s+(?:session\s+)?([a-z_][a-z0-9_$]*\.[a-z_][a-z0-9_$]*)/gi)) names.add(m[1]!.toLowerCase());
    const settings = [...names].filter((n) => n.includes('.'));
    if (settings.length === 0 || WRITES.test(f.src.replace(/set_config|--[^\n]*/gi, ''))) continue;
    const as = await executor(db, roles, f.oid);
    if (!as) continue;
    specs.push({
      kind: 'session',
      object: f.sig,
      role: as,
      run: async (db) => {
        const fn = functionOf(f);
        const read = async () => {
          const out: Record<string, string | null> = {};
          for (const k of settings) out[k] = (await db.query<{ v: string | null }>('SELECT current_setting($1, true) AS v', [k])).rows[0]?.v ?? null;
          return out;
        };
        // (verify opened a transaction for the look: this one must commit, so it ends it, and opens one again for verify to roll back)
        await db.exec('ROLLBACK');
        const before = await read();
        try {
          // (read only: whatever else the call would do fails, 25006, and nothing of it commits)
          await db.exec(`BEGIN READ ONLY; SET LOCAL ROLE ${quoteIdent(as)}`);
          for (const [k, v] of Object.entries(settingsOf(as) ?? {})) await db.query('SELECT set_config($1, $2, true)', [k, v]);
          await db.query(f.call);
          await db.exec('COMMIT');
        } catch (e) {
          await db.exec('ROLLBACK').catch(() => undefined);
          await db.exec('BEGIN');
          return { ...fn, ...pgErrorOf(e), shown: false };
        }
        const after = await read();
        // (set back: the settings are the session's, and later looks must not read them)
        for (const k of settings) await db.query('SELECT set_config($1, $2, false)', [k, before[k] ?? '']);
        await db.exec('BEGIN');
        const kept = settings.find((k) => after[k] !== null && after[k] !== '' && after[k] !== before[k]);
        return { ...fn, setting: kept ?? settings[0], value: kept ? after[kept]! : (after[settings[0]!] ?? undefined), shown: kept !== undefined };
      },
    });
  }
  return specs;
}

/** The write that fired a trigger, e.g. `an INSERT into public.t`. */
const writing = (t: { table: string; command: ProbeCommand }) => `${t.command === 'insert' ? 'an INSERT into' : t.command === 'update' ? 'an UPDATE of' : 'a DELETE from'} ${t.table}`;

/** One line for an exposure, e.g. `anon SELECT public.profile_cards → 1 row; with security_invoker = true: 0 rows`. */
export function formatExposure(e: ExposureResult): string {
  const rows = (n: number | undefined) => `${n ?? 0} row${n === 1 ? '' : 's'}`;
  const fixed = e.fixedCode ? `${e.fixedCode} ${e.fixedMessage ?? ''}`.trimEnd() : rows(e.fixedRows);
  const failed = e.code ? `${e.code} ${e.message ?? ''}`.trimEnd() : undefined;
  switch (e.kind) {
    case 'view':
      return `${e.role} SELECT ${e.object} → ${failed ?? `${rows(e.rows)}; with security_invoker = true: ${fixed}`}`;
    case 'no-rls':
      return `${e.role} SELECT ${e.object} (no row-level security) → ${failed ?? `${e.rows ?? 0} of ${rows(e.total)}${e.updated !== undefined ? `; UPDATE of every row → ${rows(e.updated)}` : ''}`}`;
    case 'owner':
      return `${e.role} (neither superuser nor BYPASSRLS) owning ${e.object}, SELECT → ${failed ?? `${rows(e.rows)}; with FORCE ROW LEVEL SECURITY: ${fixed}`}`;
    case 'execute':
      return `PUBLIC may EXECUTE ${e.object} (SECURITY DEFINER)`;
    case 'injection':
      return e.shown
        ? `${e.role}: ${e.call} (SECURITY DEFINER) → ${e.code} ${e.message ?? ''}: the text of its argument ${e.argument} ran as SQL, as ${e.ranAs}, not as ${e.role}`
        : e.ranAs !== undefined
          ? `${e.role}: ${e.call} → ${e.code} ${e.message ?? ''}: the text of its argument ${e.argument} ran as SQL, as the caller`
          : `${e.role}: ${e.object} (SECURITY DEFINER) called with SQL in each text argument → ${failed ?? rows(e.rows)}; none of it ran as SQL`;
    case 'search-path': {
      const [made, of] = e.shadow === 'domain' ? ['domain', 'type'] : ['view', 'table'];
      const t = e.trigger;
      const ran = t
        ? `${writing(t)} fired trigger ${t.name}, whose function ${e.object} (SECURITY DEFINER)`
        : `a call of ${e.object} (SECURITY DEFINER${e.function?.args ? ', with NULL arguments' : ''})`;
      return e.shown
        ? `${e.role} made a temporary ${made} pg_temp.${e.hijacked}; ${ran} used it instead of the ${of} ${e.hijacked}, running as its owner (${e.code} ${e.message ?? ''})`
        : `${e.role} made a temporary ${made} pg_temp.${e.hijacked}; ${ran} → ${failed ?? `${rows(e.rows)}, without using it`}`;
    }
    case 'row-security': {
      const set = e.option ? 'SET row_security = off' : 'setting row_security = off in its body';
      const ran = e.trigger
        ? `${writing(e.trigger)} as the superuser fired trigger ${e.trigger.name}, whose function ${e.object} (SECURITY DEFINER, ${set}) runs as its owner ${e.role}`
        : `${e.role} called ${e.object} (${set}), owning it`;
      return `${ran} (neither superuser nor BYPASSRLS) → ${failed ?? rows(e.rows)}${e.option ? `; with row_security reset: ${fixed}` : ''}`;
    }
    case 'auth-signup':
    case 'auth-signup-rights': {
      const invoker = e.kind === 'auth-signup-rights' ? ', SECURITY INVOKER' : '';
      const what = e.trigger
        ? `INSERT INTO auth.users of a user signing up, firing trigger ${e.trigger.name} (${e.object}${invoker})`
        : `calls its hook ${e.call ?? e.object}${invoker ? ` (${invoker.slice(2)})` : ''}`;
      const done = (n: number | undefined) => (e.trigger ? rows(n) : 'answered');
      const after = e.fixedCode ? fixed : done(e.fixedRows);
      return `${e.role} (Supabase's Auth server) with search_path auth ${what} → ${failed ?? done(e.rows)}; with the function${invoker ? ' made SECURITY DEFINER and its' : "'s"} search_path set to ${e.fixedPath ?? ''}: ${after}`;
    }
    case 'trigger-force': {
      const t = e.trigger!;
      const into = (e.written ?? []).join(', ');
      return (
        `${writing(t)} as the superuser fired trigger ${t.name}, whose function ${e.object} (SECURITY DEFINER) inserts into ${into} (FORCE ROW LEVEL SECURITY), ` +
        `it and ${e.written?.length === 1 ? 'the table' : 'the tables'} owned by ${e.role} (neither superuser nor BYPASSRLS) → ${failed ?? rows(e.rows)}; ` +
        `with an INSERT policy for ${e.role} WITH CHECK (pg_trigger_depth() > 0): ${fixed}`
      );
    }
    case 'definer-call':
    case 'auth-users': {
      // (rows as a count; a scalar result as itself, e.g. [5] or [false])
      const got = (v: string | undefined, n: number | undefined) => (v === undefined || v.startsWith('[{') || v === '[]' ? rows(n) : v.length > 80 ? `${v.slice(0, 79)}…` : v);
      const who = `${e.role}${e.user ? `, signed in as a user the seeded rows do not name (${e.user})` : ''}`;
      // (a call returning nothing, void, that changed auth.users: what it did)
      const changedWhat = e.usersChanged ? 'auth.users' : e.changed ? (e.watched ?? []).join(', ') : '';
      const gave = changedWhat && !e.rows ? `${changedWhat} changed` : `${got(e.result, e.rows)}${changedWhat ? `, ${changedWhat} changed` : ''}`;
      // (as many rows both ways, told as counts: say that they hold something else)
      const other = !e.fixedCode && e.rows === e.fixedRows && e.result !== e.fixedResult && got(e.result, e.rows) === got(e.fixedResult, e.fixedRows) ? ', holding another result' : '';
      // (a call that changed what it writes, returning nothing: whether the invoker's changed it too)
      const invoker = e.fixedCode ? fixed : changedWhat && !e.rows && !e.fixedRows && e.fixedChanged !== undefined ? `${changedWhat} ${e.fixedChanged ? 'changed' : 'unchanged'}` : `${got(e.fixedResult, e.fixedRows)}${other}`;
      return `${who}: ${e.call} (SECURITY DEFINER) → ${failed ?? `${gave}; as SECURITY INVOKER: ${invoker}`}`;
    }
    case 'anonymous':
      return `authenticated as an anonymous session of Supabase Auth (JWT claim is_anonymous: true, a user no row names) SELECT ${e.object} → ${failed ?? `${rows(e.rows)} through policy "${e.policy}"; with its USING ANDed with is_anonymous IS NOT TRUE: ${fixed}`}`;
    case 'public': {
      const what = e.command === 'insert' ? `INSERT INTO ${e.object} of the seeded row` : e.command === 'delete' ? `DELETE FROM ${e.object} (no WHERE)` : e.command === 'update' ? `UPDATE ${e.object} (every row, reading no column)` : `SELECT ${e.object}`;
      const who = `${e.role} (a role no policy names, granted ${e.command && e.command !== 'select' ? `SELECT on the schema's tables and ${e.command.toUpperCase()}` : "SELECT on the schema's tables"} for the look)`;
      return `${who} ${what} → ${failed ?? `${rows(e.rows)} through policy "${e.policy}" (for PUBLIC); without it: ${fixed}`}`;
    }
    case 'setting-switch': {
      const who = `${e.role}${e.granted ? ' (granted SELECT for the look)' : ''}`;
      return e.shown
        ? `${who} ran set_config('${e.setting}', ${quoteLiteral(e.value ?? '')}, true) itself (no privilege needed), then SELECT ${e.object} → ${rows(e.rows)} through policy "${e.policy}"; without it: ${fixed}`
        : `${who} SELECT ${e.object} after setting ${e.setting} itself → ${failed ?? `${rows(e.rows)}, as many as without it (${fixed})`}`;
    }
    case 'insert-check': {
      const who = `${e.role}${e.granted ? ' (granted INSERT for the look)' : ''}`;
      return `${who} INSERT INTO ${e.object} of the seeded row (policy "${e.policy}", no WITH CHECK) → ${failed ?? rows(e.rows)}; with WITH CHECK (true): ${fixed}`;
    }
    case 'plan': {
      const command = (e.command ?? 'select').toUpperCase();
      const scan = e.seqScan ? " with index scans off (as when the condition matches too many rows for an index; as an index condition it is evaluated once)" : '';
      const head = `${e.role}${e.granted ? ` (granted ${command} for the look)` : ''} ${command} ${e.object}${scan}`;
      if (failed) return `${head} → EXPLAIN: ${failed}`;
      const calls = (e.perRow ?? []).map((n) => `${n}()`).join(', ');
      const of = (e.policies ?? []).map((x) => `"${x}"`).join(', ');
      if (e.policies?.length) return `${head}: the plan calls ${calls} in the Filter of its scan, for each row it reads (from the USING of ${e.policies.length === 1 ? 'policy' : 'policies'} ${of}; Filter: ${e.filter})`;
      return `${head}: the plan calls ${e.perRow?.length ? `${calls}, from no policy found,` : 'no function'} in the Filter of its scan${e.filter ? ` (Filter: ${e.filter})` : ''}`;
    }
    case 'filter': {
      const command = (e.command ?? 'select').toUpperCase();
      const head = `${e.role}${e.granted ? ` (granted ${command} for the look)` : ''} ${command} ${e.object}`;
      if (failed) return `${head} → EXPLAIN: ${failed}`;
      const of = (e.policies ?? []).map((x) => `"${x}"`).join(', ');
      return e.policies?.length
        ? `${head}: the Filter of the plan's scan holds the USING of ${e.policies.length === 1 ? 'policy' : 'policies'} ${of} (each made false changes it; Filter: ${e.filter})`
        : `${head}: the Filter of the plan's scan holds no policy's USING found${e.filter ? ` (Filter: ${e.filter})` : ''}`;
    }
    case 'session':
      return e.shown
        ? `${e.role}: ${e.object} called in a transaction that committed; the next transaction still reads ${e.setting} = ${quoteLiteral(e.value ?? '')} (set for the session, not the transaction)`
        : `${e.role}: ${e.object} called in a transaction that committed → ${failed ?? `the next transaction reads ${e.setting} = ${e.value === undefined ? 'NULL' : quoteLiteral(e.value)}`}`;
    case 'companion': {
      const write = e.command === 'delete' ? `DELETE FROM ${e.object}` : `UPDATE ${e.object}`;
      const who = e.standIn ? `${e.role} (standing in for PUBLIC, granted SELECT and ${e.command === 'delete' ? 'DELETE' : 'UPDATE'})` : e.role;
      return `${who} ${write} (policy "${e.policy}") → ${failed ?? `${rows(e.rows)} reading no column; with a WHERE reading one, matching every row: ${fixed}`}`;
    }
    case 'anon-write':
    case 'policy': {
      const write = e.command === 'insert' ? `INSERT INTO ${e.object} of a row naming another user` : e.command === 'delete' ? `DELETE FROM ${e.object} (no WHERE)` : `UPDATE ${e.object} (every row, reading no column)`;
      return `${e.role} ${write} → ${failed ?? `${rows(e.rows)}; without policy "${e.policy}": ${fixed}`}`;
    }
  }
}
