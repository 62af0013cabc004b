// Columns a policy names that no table it reads has: PostgreSQL analyses a CREATE POLICY's
// expressions when it runs it and rejects the statement (42703 column "x" does not exist), so
// the policy never exists. Pure: reads the model and the policies' trees.
//
// Sound, not complete: a column is reported only when every relation in the name's reach (the
// FROM lists of the sub-selects around it, then the policy's table) is a table the migrations
// create with a plain column list (no LIKE, inheritance, partition or typed table) and the name
// is a column of none of them, nor a relation's name (a whole-row reference) nor a system
// column. The tables' columns are those at the end of the migrations,
// so a column added after the policy is not reported, and a name some ALTER TABLE drops or
// renames is reported only where the table's columns replayed up to the policy show it gone for
// certain (removedBefore, columnsAt: top-level statements only). Expressions with sub-queries
// in FROM, set-returning functions in FROM, CTEs, VALUES or column aliases are not looked at
// (their names are not table columns); nor is anything when a DO block runs dynamic SQL that
// may add columns the model cannot see (ALTER TABLE … ADD/DROP/RENAME, CREATE TABLE, RENAME),
// but OLD.x / NEW.x, which no column change makes valid.
import { census, memoStmt, PLATFORM_SCHEMAS, plainCreate } from './ast.js';
import { clauseError } from './clauses.js';
import { replayPlaces, resolvedThroughPath, rollbackSections, sameItems, type Model, type Policy, type Table, type View } from './model.js';
import { nameParts, stripComments, sval, walk } from './parse.js';
import { memoModel, RunIndex, statementRuns, type StatementRun } from './policy-exprs.js';
import type { Loc, Node, ParsedFile, Statement } from './types.js';

/** A column reference and the FROM lists it may be resolved in: the innermost SELECT's first, the policy's table after the last. */
export interface ScopedRef {
  ref: Node;
  /** RangeVar nodes of each enclosing SELECT's FROM, innermost first */
  scopes: Node[][];
  /** a column of an INSERT's ON CONFLICT (…) target: a bare name there, which cannot be written qualified (42601) */
  conflictTarget?: true;
}

/** What a policy expression names, walked once per tree. */
interface ColumnFacts {
  /** ColumnRef nodes, outside ORDER BY / GROUP BY / DISTINCT ON (which may name output columns) */
  refs: ScopedRef[];
  /** it has what makes names other than table columns: a sub-query or function in FROM, a CTE, VALUES, column aliases */
  opaque: boolean;
  /**
   * a JOIN's ON condition gets the tables of that join alone (and the outer scopes), as
   * PostgreSQL resolves it, not every table of the FROM list (the wider reach: a name found in
   * more tables is reported less, as policy-unknown-column wants)
   */
  exactJoins?: boolean;
}

const OPAQUE_KEYS = new Set(['RangeSubselect', 'RangeFunction', 'RangeTableFunc', 'withClause', 'CommonTableExpr', 'valuesLists', 'JsonTable']);
const SKIPPED_KEYS = new Set(['sortClause', 'groupClause', 'distinctClause']);
const NO_SCOPES: Node[][] = [];

/** The ColumnRefs of an expression with their scopes (walked when a policy is checked: its result is kept, not this). */
function columnFacts(node: Node): ColumnFacts {
  const out: ColumnFacts = { refs: [], opaque: false };
  if (node && typeof node === 'object') visit(node, NO_SCOPES, out);
  return out;
}

function visit(n: Node, scopes: Node[][], out: ColumnFacts): void {
  if (out.opaque) return;
  if (Array.isArray(n)) {
    for (let i = 0; i < n.length; i++) if (n[i] && typeof n[i] === 'object') visit(n[i], scopes, out);
    return;
  }
  for (const k in n) {
    const v = n[k];
    if (!v || typeof v !== 'object') continue;
    if (OPAQUE_KEYS.has(k) || (k === 'Alias' && v.colnames?.length) || (k === 'JoinExpr' && v.alias)) {
      out.opaque = true;
      return;
    }
    if (SKIPPED_KEYS.has(k)) continue;
    if (k === 'ColumnRef') out.refs.push({ ref: v, scopes });
    else if (k === 'SelectStmt' || k === 'larg' || k === 'rarg') visitSelect(v, scopes, out);
    else visit(v, scopes, out);
  }
}

/** A SELECT: its FROM list is the innermost scope of what it holds (a UNION's arms are SELECTs of their own). */
function visitSelect(sel: Node, scopes: Node[][], out: ColumnFacts): void {
  if (sel.larg || sel.rarg) {
    if (sel.larg) visitSelect(sel.larg, scopes, out);
    if (sel.rarg) visitSelect(sel.rarg, scopes, out);
    return;
  }
  const ranges: Node[] = [];
  const quals: Array<{ node: Node; ranges: Node[] }> = [];
  const from = (item: Node): void => {
    if (item?.RangeVar) ranges.push(item.RangeVar);
    else if (item?.JoinExpr && !item.JoinExpr.alias) {
      const at = ranges.length;
      from(item.JoinExpr.larg);
      from(item.JoinExpr.rarg);
      if (item.JoinExpr.quals) quals.push({ node: item.JoinExpr.quals, ranges: ranges.slice(at) });
    } else out.opaque = true;
  };
  for (const item of sel.fromClause ?? []) from(item);
  if (out.opaque) return;
  const inner = ranges.length ? [ranges, ...scopes] : scopes;
  // (in PostgreSQL's order: the FROM list's join conditions, then the target list, WHERE… as
  // the tree holds them; the first name it cannot find is the one its error names)
  for (const q of quals) visit(q.node, out.exactJoins ? [q.ranges, ...scopes] : inner, out);
  for (const k in sel) {
    if (k === 'fromClause' || k === 'larg' || k === 'rarg') continue;
    const v = sel[k];
    if (!v || typeof v !== 'object') continue;
    if (OPAQUE_KEYS.has(k)) {
      out.opaque = true;
      return;
    }
    if (!SKIPPED_KEYS.has(k)) visit(v, inner, out);
  }
}

/**
 * The ColumnRefs of a SELECT, INSERT, UPDATE or DELETE statement with the FROM lists in their
 * reach (innermost first): an UPDATE's or DELETE's table and its FROM / USING list reach its SET
 * values, WHERE and RETURNING; an INSERT's table reaches its ON CONFLICT (whose inferred columns
 * come as ColumnRefs of their own, at the clause; its DO UPDATE SET values) and RETURNING, not
 * the rows it inserts. A JOIN's ON condition reaches that join's tables alone.
 * Undefined where names other than table columns may be in reach (columnFacts' opaque cases) or
 * for another kind of statement.
 */
export function statementColumnRefs(kind: string, n: Node): ScopedRef[] | undefined {
  if (!n || typeof n !== 'object') return undefined;
  const out: ColumnFacts = { refs: [], opaque: false, exactJoins: true };
  const ranges = (items: Node[] | undefined): Node[] | undefined => {
    const rs: Node[] = [];
    for (const item of items ?? []) {
      if (item?.RangeVar) rs.push(item.RangeVar);
      else return undefined;
    }
    return rs;
  };
  if (kind === 'SelectStmt') visitSelect(n, NO_SCOPES, out);
  else if (kind === 'UpdateStmt' || kind === 'DeleteStmt') {
    const more = ranges(kind === 'UpdateStmt' ? n.fromClause : n.usingClause);
    if (!more || !n.relation || n.withClause) return undefined;
    const scopes = [[n.relation, ...more]];
    for (const k of ['targetList', 'whereClause', 'returningClause']) if (n[k]) visit(n[k], scopes, out);
  } else if (kind === 'InsertStmt') {
    if (!n.relation || n.withClause) return undefined;
    const sel = n.selectStmt?.SelectStmt;
    if (sel && !sel.valuesLists) visitSelect(sel, NO_SCOPES, out);
    const scopes = [[n.relation]];
    const conflict = n.onConflictClause;
    for (const e of conflict?.infer?.indexElems ?? []) {
      const name = e?.IndexElem?.name;
      // (its location read from the clause when asked: kept results must follow the clause when an edit moves it)
      const infer = conflict.infer;
      if (typeof name === 'string') out.refs.push({ ref: { fields: [{ String: { sval: name } }], get location() { return infer.location ?? conflict.location; } }, scopes, conflictTarget: true });
    }
    if (conflict?.whereClause) visit(conflict.whereClause, scopes, out);
    // (DO UPDATE SET's values: the table's row and EXCLUDED, which is written qualified)
    if (conflict?.targetList) visit(conflict.targetList, scopes, out);
    if (n.returningClause) visit(n.returningClause, scopes, out);
  } else return undefined;
  return out.opaque ? undefined : out.refs;
}

/** Columns every table has. */
const SYSTEM_COLUMNS = new Set(['ctid', 'xmin', 'xmax', 'cmin', 'cmax', 'tableoid', 'oid']);

export interface UnknownColumn {
  /** the ColumnRef node (its `location` is where it is written) */
  ref: Node;
  /** the name as PostgreSQL reports it (`x` or `t.x`) */
  column: string;
  /** the tables the policy reads, its own first */
  tables: Table[];
  /** `old.x` / `new.x`: a trigger's rows, which a policy has not (42P01 missing FROM-clause entry for table "old") */
  missingFrom?: boolean;
  /** the table (addedTo, else the policy's) has the column only from this later ALTER TABLE … ADD COLUMN on */
  addedLater?: Loc;
  /** the key of the table addedLater adds the column to, when it is not the policy's */
  addedTo?: string;
  /** `t.x`: the table t names (or aliases), which has no column x */
  qualifiedBy?: Table;
  /** the table (removedFrom, else the policy's) had the column, but this earlier ALTER TABLE … DROP COLUMN or RENAME COLUMN (to `renamedTo`) took it away */
  removedAt?: Loc;
  renamedTo?: string;
  removedFrom?: string;
}

/**
 * Whether the table's columns are all the model knows of: made by a CREATE TABLE with a plain
 * column list, run for certain (not in a DO block, where it may sit in an IF), not made again by
 * a plain CREATE TABLE while it existed (PostgreSQL rejects that one, 42P07, and keeps the first;
 * the model keeps the last unless it fails for certain: keptTable), and not in a schema of
 * the platform (PLATFORM_SCHEMAS).
 */
function plainTable(model: Model, t: Table, ws: WorkspaceColumnFacts): boolean {
  if (VIEW_RELATIONS.has(t)) return true; // (a view whose columns are known: viewRelation)
  return t.parents.length === 0 && !PLATFORM_SCHEMAS.has(t.schema) && plainCreate(t.stmt) && (!ws.recreated.has(t.key) || keptForCertain(model, ws).keys.has(t.key)) && !madeBefore(model, t);
}

/**
 * Whether the model's table is the one PostgreSQL has, though a plain CREATE TABLE makes it again:
 * each of those fails for certain (42P07, keptTable), so its columns are the first CREATE TABLE's.
 */
export function recreatedKeptForCertain(model: Model, ws: WorkspaceColumnFacts, t: Table): boolean {
  return ws.recreated.has(t.key) && keptForCertain(model, ws).keys.has(t.key);
}

const certainCache = new WeakMap<Model, { ws: WorkspaceColumnFacts; keys: Set<string>; sig: string }>();
/**
 * The keys of ws.recreated whose table the model keeps for certain (keptTable), and them as a
 * string: of the model, not of the workspace facts (kept across models while the statements they
 * read are the same), since whether a CREATE TABLE fails for certain depends on any statement
 * between; a policy's kept result holds while it is the same (unknownColumnOf).
 */
function keptForCertain(model: Model, ws: WorkspaceColumnFacts): { keys: Set<string>; sig: string } {
  const hit = certainCache.get(model);
  if (hit?.ws === ws) return hit;
  const keys = new Set<string>();
  for (const k of ws.recreated) {
    const t = model.tables.get(k);
    if (t && keptTable(model, t, ws)) keys.add(k);
  }
  const out = { ws, keys, sig: [...keys].sort().join(',') };
  certainCache.set(model, out);
  return out;
}

/**
 * Whether every plain CREATE TABLE that made the table again while it existed fails for certain
 * (Model.recreatedTables: nothing between may have dropped it), so that the model kept the table
 * they found, whose columns are then PostgreSQL's: MosesSupposes/ihp-blog's posts, made again
 * with user_id by later migrations that fail (42P07), whose policy naming user_id PostgreSQL
 * rejects with 42703 before it looks up the function called after it.
 */
function keptTable(model: Model, t: Table, ws: WorkspaceColumnFacts): boolean {
  let certain = 0;
  for (const r of model.recreatedTables) {
    if (r.ifNotExists || r.table.key !== t.key) continue;
    if (r.table.created.file !== t.created.file || r.table.created.start !== t.created.start) return false;
    certain++;
  }
  return certain !== 0 && certain === ws.recreatedTimes.get(t.key);
}

/** Whether a RangeVar names the table (unqualified: as the table's schema). */
const namesTable = (rv: Node | undefined, t: Table): boolean => rv?.relname === t.name && (rv.schemaname ?? t.schema) === t.schema;

/**
 * Whether a CREATE TABLE IF NOT EXISTS comes after statements naming the table (a policy, an ALTER
 * TABLE, an index, a trigger): the table was made before, outside the migrations (mtkcx's
 * site_settings, made in Supabase's dashboard with other columns), so PostgreSQL skipped this
 * CREATE and its columns are not known. Kept per model.
 */
export function madeBefore(model: Model, t: Table): boolean {
  if (!t.stmt.node?.if_not_exists) return false;
  // (per model, not on the statement: an edit of an earlier file may add or remove such a statement)
  return tablesMadeBefore(model).has(t.stmt);
}

/** The CREATE TABLE IF NOT EXISTS statements madeBefore answers yes for (per model). */
export function tablesMadeBefore(model: Model): ReadonlySet<Statement> {
  return memoModel(model, 'columns:madeBefore', namedBefore);
}

/**
 * The CREATE TABLE IF NOT EXISTS statements of the model's tables that come after a statement
 * naming their table (one that never runs: after any statement naming it). An unqualified name
 * names a table of that name in any schema (as namesTable). Asked per table, each was a pass of
 * its own (LanternOps/breeze: 479 such tables); one pass over the statements was then ≈ 5 ms of
 * each bench re-lint (≈ 37,000 statements): the model's statements come in runs of one file's
 * (statementRuns), what a run names is kept per run (runNames), and the runs naming each name
 * are an index updated at the runs that changed (RunIndex), so a re-lint looks at the statements
 * of the files parsed again only, and at each run's CREATE TABLE IF NOT EXISTS statements.
 */
function namedBefore(model: Model): Set<Statement> {
  const out = new Set<Statement>();
  const wanted = new Map<Statement, Table>();
  model.tables.forEach((t) => {
    if (t.stmt.node?.if_not_exists) wanted.set(t.stmt, t);
  });
  if (wanted.size === 0) return out;
  // (the runs naming each name: an earlier run names it if the first is before this one)
  const naming = (runsNaming ??= new RunIndex((r, m) => runNames(m.statements, r).names)).of(model);
  const before = (name: string, r: number) => {
    const runs = naming.get(name);
    return runs !== undefined && runs[0]! < r;
  };
  const parts = runsOf(model);
  for (let r = 0; r < parts.length; r++) {
    const run = parts[r]!;
    for (let k = 0; k < run.creates.length; k++) {
      const c = run.creates[k]!;
      const t = wanted.get(c.stmt);
      if (t === undefined) continue;
      const q = `${t.schema}\u0000${t.name}`;
      // (named by an earlier run, or earlier in this one)
      if (before(t.name, r) || before(q, r) || (run.bare.get(t.name) ?? Infinity) < c.bare || (run.qualified.get(q) ?? Infinity) < c.qualified) out.add(c.stmt);
      wanted.delete(c.stmt);
    }
  }
  // (a table whose CREATE the replay does not hold: named by any statement)
  wanted.forEach((t, stmt) => {
    if (naming.has(t.name) || naming.has(`${t.schema}\u0000${t.name}`)) out.add(stmt);
  });
  return out;
}

/** The runs naming each relation name (RunNames' bare names and `schema\0name`); made on first use (policy-exprs.ts imports this module). */
let runsNaming: RunIndex | undefined;

/**
 * What a run of the model's statements (statementRuns) names (a relation a policy, ALTER TABLE,
 * index or trigger is on), each name with the order it was first named in (bare names, and
 * `schema\0name`), and its CREATE TABLE IF NOT EXISTS statements with how many names of each kind
 * came before them; and its top-level UPDATE, INSERT, DELETE, CREATE INDEX and ALTER TABLE
 * statements by the relation they name (namesColumnOf). Kept per run (StatementRun.key).
 */
interface RunNames {
  /** the keys of `bare` and of `qualified` (`schema\0name`: no bare name holds a NUL) */
  names: string[];
  bare: Map<string, number>;
  qualified: Map<string, number>;
  creates: Array<{ stmt: Statement; bare: number; qualified: number }>;
  byRelation: Map<string, Statement[]> | undefined;
}
const runsNamed = new WeakMap<object, RunNames>();
const NO_CREATES: RunNames['creates'] = [];
const COLUMN_NAMING = new Set(['UpdateStmt', 'InsertStmt', 'DeleteStmt', 'IndexStmt', 'AlterTableStmt']);

function runNames(list: ReadonlyArray<{ file: ParsedFile; stmt: Statement }>, r: StatementRun): RunNames {
  const kept = runsNamed.get(r.key);
  if (kept !== undefined) return kept;
  const run: RunNames = { names: [], bare: new Map(), qualified: new Map(), creates: NO_CREATES, byRelation: undefined };
  for (let i = r.from; i < r.to; i++) {
    const stmt = list[i]!.stmt;
    const kind = stmt.kind;
    const n = stmt.node;
    if (kind === 'CreateStmt') {
      if (n?.if_not_exists) {
        if (run.creates === NO_CREATES) run.creates = [];
        run.creates.push({ stmt, bare: run.bare.size, qualified: run.qualified.size });
      }
      continue;
    }
    if (stmt.origin === 'file' && COLUMN_NAMING.has(kind)) {
      const rel: unknown = n?.relation?.relname;
      if (typeof rel === 'string') {
        const byRel = (run.byRelation ??= new Map());
        const at = byRel.get(rel);
        if (at === undefined) byRel.set(rel, [stmt]);
        else at.push(stmt);
      }
    }
    const rv = kind === 'CreatePolicyStmt' || kind === 'AlterPolicyStmt' ? n?.table : kind === 'AlterTableStmt' || kind === 'IndexStmt' || kind === 'CreateTrigStmt' ? n?.relation : undefined;
    if (rv?.relname === undefined) continue;
    if (rv.schemaname === undefined) {
      if (!run.bare.has(rv.relname)) {
        run.bare.set(rv.relname, run.bare.size);
        run.names.push(rv.relname);
      }
    } else {
      const k = `${rv.schemaname}\u0000${rv.relname}`;
      if (!run.qualified.has(k)) {
        run.qualified.set(k, run.qualified.size);
        run.names.push(k);
      }
    }
  }
  runsNamed.set(r.key, run);
  return run;
}

/** What each run of the model's statements names (runNames), in order (per model). */
function runsOf(model: Model): RunNames[] {
  return memoModel(model, 'columns:runs', (m) => {
    const list = m.statements;
    return statementRuns(m).map((r) => runNames(list, r));
  });
}

/** Each run of the model's statements, in order, until `f` returns false. */
function eachRun(model: Model, f: (run: RunNames) => boolean | void): void {
  const runs = runsOf(model);
  for (let i = 0; i < runs.length; i++) if (f(runs[i]!) === false) return;
}

export interface WorkspaceColumnFacts {
  /** a DO block runs dynamic SQL: nothing is reported */
  dynamic: boolean;
  /** names some ALTER TABLE drops, retypes or renames (any table) */
  changed: Set<string>;
  /** the same by name: the names of the tables it is changed on, or null where that is not known (a function's body) */
  changedOn: Map<string, Set<string> | null>;
  /** keys of tables a plain CREATE TABLE creates again while they exist */
  recreated: Set<string>;
  /** how many times, in the files the replay runs (plainTable: when the model records each as failing for certain, the columns are known) */
  recreatedTimes: Map<string, number>;
  /** all of the above as a string: a policy's result kept from an earlier model holds while it is the same */
  sig: string;
  /** by table key, the top-level ALTER TABLE … ADD COLUMN statements on it, in replay order (not part of `sig`: addedLater reads them afresh) */
  adds: Map<string, ColumnAdd[]>;
  /** by relation key, the replay run (model.ts ReplayPlaces) of its first CREATE TABLE / VIEW in replay order (firstMadeAt: where) */
  firstMade: Map<string, number>;
  /** the names tables and views are renamed to anywhere */
  renamedTo: Set<string>;
  /** the key an unqualified name gets (its default schema), which the keys above were made for */
  probe: string;
  /** the replay order they were made for (ReplayPlaces' key) */
  order: readonly number[];
}

export interface ColumnAdd {
  column: string;
  loc: Loc;
  /** in a DO block (it may not run) */
  inDo: boolean;
}

function changedOn(out: FileColumnFacts, name: string, rel: string | undefined): void {
  out.changed.push(name);
  out.changedRel.push(rel);
}

/** Whether a column `name` of table `rel` (bare name) is dropped, retyped or renamed somewhere (workspaceFacts' changedOn). */
export function changedColumn(ws: WorkspaceColumnFacts, name: string, rel: string): boolean {
  if (!ws.changed.has(name)) return false;
  const on = ws.changedOn.get(name);
  return on === null || on === undefined || on.has(rel);
}

/** What workspaceFacts takes from one parsed file (kept per parsed file: re-lints parse only the edited one). */
interface FileColumnFacts {
  dynamic: boolean;
  changed: string[];
  /** for each of `changed`, the bare name of the table it is changed on (undefined: not known) */
  changedRel: Array<string | undefined>;
  /**
   * its CREATE TABLEs (`ine`: IF NOT EXISTS, in a DO block, or a table moved in by SET SCHEMA;
   * `written`: a top-level CREATE TABLE, IF NOT EXISTS or not) and DROP TABLEs, and (`view`) its
   * CREATE [OR REPLACE] [MATERIALIZED] VIEWs and DROP VIEWs, in order, by [schema, name], with the
   * statement's offset
   */
  events: Array<{ create: boolean; ine: boolean; written?: boolean; view: boolean; name: [string | undefined, string]; at: number }>;
  /** their keys, made for the default schema `keysFor` stands for (workspaceFacts) */
  keys: string[];
  keysFor: string | undefined;
  /** its CREATE POLICY and ALTER TABLE … [NO] FORCE / ENABLE / DISABLE ROW LEVEL SECURITY statements, and (`targets`) the relation each names (without schema) */
  rls: Statement[];
  targets: string[];
  /** its ALTER POLICY statements, and the CREATE POLICY ones whose clauses their command does not take (clauseError) */
  clauses: Statement[];
  /** its ALTER TABLE … ADD COLUMN commands (top-level or in a DO block), in order, by [schema, name]; `addKeys` their keys as `keys` */
  adds: Array<ColumnAdd & { name: [string | undefined, string] }>;
  addKeys: string[];
  /** the names tables or views are renamed to (ALTER TABLE / VIEW … RENAME TO) */
  renamedTo: string[];
  /** the functions (bare names) a DO block or a top-level SELECT calls with the text of a CREATE TABLE as an argument (sqlHandedTo) */
  handsSqlTo: string[];
  /** the functions (bare names) it creates whose body EXECUTEs text it does not spell out (a parameter, a variable) */
  executors: string[];
}

const RLS_SUBTYPES = new Set(['AT_EnableRowSecurity', 'AT_DisableRowSecurity', 'AT_ForceRowSecurity', 'AT_NoForceRowSecurity']);

const fileFacts = new WeakMap<ParsedFile, FileColumnFacts>();

/** Dynamic SQL that may add, drop, rename or retype a column (not `ALTER TABLE %I ENABLE ROW LEVEL SECURITY`). */
const ALTER_TABLE = /\balter\s+table\b/i;
const COLUMN_CHANGE = /\b(?:add|drop|rename|alter)\s+(?:column\b|(?!table\b|constraint\b|primary\b|unique\b|foreign\b|check\b|index\b|row\b|policy\b|owner\b)[a-z_"])/i;

/** Whether a DO block's text may change a table's columns where the replay cannot see it. */
function mayChangeColumns(text: string): boolean {
  return (ALTER_TABLE.test(text) && COLUMN_CHANGE.test(text)) || CREATE_TABLE.test(text) || /\brename\b/i.test(text);
}
const CREATE_TABLE = /\bcreate\s+(?:(?:global\s+|local\s+)?(?:temp|temporary)\s+|unlogged\s+)?table\b/i;

/**
 * The functions a statement calls with the text of a CREATE TABLE as an argument (a string
 * constant), into `out`: Munkhjavkhlann/mongolec-backend's `PERFORM apply_migration('004_…', '…',
 * $migration$ CREATE TABLE IF NOT EXISTS categories (…) … $migration$, …)` in DO blocks, whose
 * apply_migration EXECUTEs it. Where the workspace creates such a function, the tables are made
 * where the replay cannot see them (workspaceFacts: dynamic).
 */
function sqlHandedTo(node: Node, out: string[]): void {
  walk(node, (k, v) => {
    if (k !== 'FuncCall') return;
    let hands = false;
    walk(v.args, (k2, c) => {
      if (hands) return false;
      if (k2 === 'A_Const' && typeof c.sval?.sval === 'string' && CREATE_TABLE.test(c.sval.sval)) hands = true;
    });
    const name = nameParts(v.funcname).pop()?.toLowerCase();
    if (hands && name && !out.includes(name)) out.push(name);
  });
}

function factsOfFile(file: ParsedFile): FileColumnFacts {
  let out = fileFacts.get(file);
  if (out) return out;
  out = { dynamic: false, changed: [], changedRel: [], events: [], keys: [], keysFor: undefined, rls: [], targets: [], clauses: [], adds: [], addKeys: [], renamedTo: [], handsSqlTo: [], executors: [] };
  const list = file.statements;
  for (let i = 0; i < list.length; i++) {
    const s = list[i]!;
    const n = s.node;
    if (s.kind === 'CreateStmt') out.events.push({ create: true, ine: !!n?.if_not_exists || s.origin === 'do', written: s.origin === 'file', view: false, name: [n?.relation?.schemaname, n?.relation?.relname], at: s.start });
    else if (s.kind === 'ViewStmt') out.events.push({ create: true, ine: false, view: true, name: [n?.view?.schemaname, n?.view?.relname], at: s.start });
    // (a foreign table: kept with the views, a relation with no row-level security of its own: model.ts View.foreign)
    else if (s.kind === 'CreateForeignTableStmt') out.events.push({ create: true, ine: !!n?.base?.if_not_exists, view: true, name: [n?.base?.relation?.schemaname, n?.base?.relation?.relname], at: s.start });
    else if (s.kind === 'CreateTableAsStmt') {
      if (n?.objtype === 'OBJECT_MATVIEW') out.events.push({ create: true, ine: !!n?.if_not_exists, view: true, name: [n?.into?.rel?.schemaname, n?.into?.rel?.relname], at: s.start });
    } else if (s.kind === 'DropStmt') {
      const view = n?.removeType === 'OBJECT_VIEW' || n?.removeType === 'OBJECT_MATVIEW' || n?.removeType === 'OBJECT_FOREIGN_TABLE';
      if (!view && n?.removeType !== 'OBJECT_TABLE') continue;
      for (const o of n.objects ?? []) {
        const parts: string[] = (o?.List?.items ?? []).map((x: Node) => sval(x) ?? '');
        if (parts.length) out.events.push({ create: false, ine: false, view, name: [parts.length > 1 ? parts[parts.length - 2] : undefined, parts[parts.length - 1]!], at: s.start });
      }
    } else if (s.kind === 'AlterObjectSchemaStmt') {
      // (ALTER TABLE / VIEW … SET SCHEMA: the old name is free, the new one taken)
      const view = n?.objectType === 'OBJECT_VIEW' || n?.objectType === 'OBJECT_MATVIEW';
      if ((view || n?.objectType === 'OBJECT_TABLE') && n.relation?.relname && typeof n.newschema === 'string') {
        out.events.push({ create: false, ine: false, view, name: [n.relation.schemaname, n.relation.relname], at: s.start });
        out.events.push({ create: true, ine: true, view, name: [n.newschema, n.relation.relname], at: s.start });
      }
    } else if (s.kind === 'DoStmt') {
      // (one whose dynamic SQL may add, drop, rename or retype a column, or create a table: not
      // fantastic-auth's EXECUTE 'DROP VIEW users_admin', a loop creating policies or enabling RLS)
      if (s.body?.dynamicExecutes.length && mayChangeColumns(file.text.slice(s.body.start, s.body.end))) out.dynamic = true;
      if (s.body) for (const b of s.body.statements) sqlHandedTo(b.node, out.handsSqlTo);
    } else if (s.kind === 'SelectStmt' && s.origin === 'file') {
      sqlHandedTo(n, out.handsSqlTo);
    } else if (s.kind === 'CreateFunctionStmt' && s.body) {
      // (one that EXECUTEs what it is given: a migration runner, apply_migration(version, sql))
      const name = nameParts(n?.funcname).pop()?.toLowerCase();
      if (name && s.body.dynamicExecutes.some((d) => !/^\s*(?:'|\$[A-Za-z_0-9]*\$|[eE]')/.test(d.text))) out.executors.push(name);
      // (a function the migrations call may add or rename columns: regen-server's
      // temp_migration_helper() renames admin_party_id to admin_account_id; with dynamic SQL, any)
      for (const b of s.body.statements) {
        const bn = b.node;
        if (b.kind === 'RenameStmt' && bn?.renameType === 'OBJECT_COLUMN') {
          for (const x of [bn.subname, bn.newname]) if (typeof x === 'string') changedOn(out, x, undefined);
        } else if (b.kind === 'AlterTableStmt') {
          for (const c of bn?.cmds ?? []) {
            const cmd = c?.AlterTableCmd;
            const name = cmd?.subtype === 'AT_AddColumn' ? cmd.def?.ColumnDef?.colname : cmd?.name;
            if (typeof name === 'string' && (cmd.subtype === 'AT_AddColumn' || cmd.subtype === 'AT_DropColumn' || cmd.subtype === 'AT_AlterColumnType')) changedOn(out, name, undefined);
          }
        }
      }
      if (s.body.dynamicExecutes.some((d) => ALTER_TABLE.test(d.text) && COLUMN_CHANGE.test(d.text))) out.dynamic = true;
    } else if (s.kind === 'RenameStmt') {
      if (n?.renameType === 'OBJECT_COLUMN' && n.subname) changedOn(out, n.subname, n.relation?.relname);
      else if ((n?.renameType === 'OBJECT_TABLE' || n?.renameType === 'OBJECT_VIEW' || n?.renameType === 'OBJECT_MATVIEW') && typeof n.newname === 'string') out.renamedTo.push(n.newname);
    } else if (s.kind === 'AlterTableStmt') {
      let rls = false;
      for (const c of n?.cmds ?? []) {
        const cmd = c?.AlterTableCmd;
        if ((cmd?.subtype === 'AT_DropColumn' || cmd?.subtype === 'AT_AlterColumnType') && cmd.name) changedOn(out, cmd.name, n?.relation?.relname);
        const added = cmd?.subtype === 'AT_AddColumn' ? cmd.def?.ColumnDef?.colname : undefined;
        if (typeof added === 'string' && n?.relation?.relname) out.adds.push({ name: [n.relation.schemaname, n.relation.relname], column: added, loc: { file: file.file, start: s.start, end: s.end }, inDo: s.origin !== 'file' });
        if (RLS_SUBTYPES.has(cmd?.subtype)) rls = true;
      }
      if (rls) {
        out.rls.push(s);
        out.targets.push(n?.relation?.relname ?? '');
      }
    } else if (s.kind === 'CreatePolicyStmt') {
      out.rls.push(s);
      out.targets.push(n?.table?.relname ?? '');
      if ((n?.qual || n?.with_check) && clauseError(n)) out.clauses.push(s);
    } else if (s.kind === 'AlterPolicyStmt') out.clauses.push(s);
  }
  fileFacts.set(file, out);
  return out;
}

/**
 * The workspace facts of the last model, with its files and their facts: the next model's are
 * the same object when the files it parsed again have the same facts (the same tables made and
 * dropped, in the same order, the same columns changed, no ADD COLUMN, whose locations would have
 * moved): an edit inside a statement, as when typing. Making them again was ≈ 1.5 ms and 0.6 MB
 * of each bench re-lint. A file replayed whole whose ADD COLUMN commands are alike but moved gives
 * a copy with its new commands in their places in `adds` (ws.adds: the lists of other keys shared).
 */
let lastFacts: { files: readonly ParsedFile[]; facts: FileColumnFacts[]; ws: WorkspaceColumnFacts } | undefined;

/** Whether two files' facts give the same workspace facts (their keys made for the same default schema). */
function sameFileFacts(a: FileColumnFacts, b: FileColumnFacts, addsAlike = false): boolean {
  if (a === b) return true;
  if (a.dynamic !== b.dynamic || a.keysFor !== b.keysFor || (addsAlike ? !alikeAdds(a, b) : a.adds.length !== 0 || b.adds.length !== 0)) return false;
  if (!sameItems(a.changed, b.changed) || !sameItems(a.changedRel, b.changedRel) || !sameItems(a.renamedTo, b.renamedTo) || !sameItems(a.keys, b.keys)) return false;
  if (!sameItems(a.handsSqlTo, b.handsSqlTo) || !sameItems(a.executors, b.executors)) return false;
  for (let i = 0; i < a.events.length; i++) {
    const x = a.events[i]!;
    const y = b.events[i]!;
    if (x.create !== y.create || x.ine !== y.ine || x.view !== y.view) return false;
  }
  return true;
}


/** Whether two files' ADD COLUMN commands are alike but for where they are: the same columns of the same names (and keys), in or out of DO blocks, in order. */
function alikeAdds(a: FileColumnFacts, b: FileColumnFacts): boolean {
  if (a.adds.length !== b.adds.length || !sameItems(a.addKeys, b.addKeys)) return false;
  for (let i = 0; i < a.adds.length; i++) {
    const x = a.adds[i]!;
    const y = b.adds[i]!;
    if (x.column !== y.column || x.inDo !== y.inDo || x.loc.file !== y.loc.file || x.name[0] !== y.name[0] || x.name[1] !== y.name[1]) return false;
  }
  return true;
}

/** The file's facts with their keys made for `probe` (the default schema's key of an unqualified name). */
function keyedFacts(m: Model, file: ParsedFile, probe: string): FileColumnFacts {
  const f = factsOfFile(file);
  if (f.keysFor !== probe) {
    f.keys = f.events.map((e) => m.key(e.name));
    f.addKeys = f.adds.map((a) => m.key(a.name));
    f.keysFor = probe;
  }
  return f;
}

/** The last model's workspace facts, when they hold for this one (see lastFacts). */
function keptFacts(m: Model, probe: string): WorkspaceColumnFacts | undefined {
  const last = lastFacts;
  // (and the same replay order: firstMade and adds follow it)
  if (!last || last.ws.probe !== probe || last.files.length !== m.files.length || !sameItems(last.ws.order, replayPlaces(m).key)) return undefined;
  const facts: FileColumnFacts[] = [];
  // (the ADD COLUMN commands of files parsed again, alike, each old one with its new one)
  let moved: Map<ColumnAdd, ColumnAdd> | undefined;
  for (let i = 0; i < m.files.length; i++) {
    const file = m.files[i]!;
    // (keyed again if another default schema's model re-keyed them since: firstMadeAt reads the keys)
    if (file === last.files[i]) {
      facts.push(keyedFacts(m, file, probe));
      continue;
    }
    if (file.file !== last.files[i]!.file) return undefined;
    const f = keyedFacts(m, file, probe);
    const was = last.facts[i]!;
    if (!sameFileFacts(f, was)) {
      // (alike but for where its ADD COLUMN commands are, in a file replayed whole as one run: its
      // commands each take the old one's place in the lists; bench: every eighth block adds one)
      if (!sameFileFacts(f, was, true) || !wholeRun(m, i)) return undefined;
      moved ??= new Map();
      for (let j = 0; j < f.adds.length; j++) moved.set(was.adds[j]!, f.adds[j]!);
    }
    facts.push(f);
  }
  let ws = last.ws;
  if (moved !== undefined) {
    const adds = new Map<string, ColumnAdd[]>();
    ws.adds.forEach((list, k) => {
      let out = list;
      for (let j = 0; j < list.length; j++) {
        const a = moved!.get(list[j]!);
        if (a !== undefined) (out === list ? (out = list.slice()) : out)[j] = a;
      }
      adds.set(k, out);
    });
    ws = { ...ws, adds };
  }
  lastFacts = { files: m.files, facts, ws };
  return ws;
}

/** Whether the file m.files[i] is replayed as one run, from its first statement to its end (replayPlaces: no include cuts it). */
function wholeRun(m: Model, i: number): boolean {
  const key = replayPlaces(m).key;
  let n = 0;
  for (let r = 0; r < key.length; r += 2) {
    if (key[r] !== i) continue;
    if (key[r + 1] !== 0 || ++n > 1) return false;
  }
  return n === 1;
}

export function workspaceFacts(model: Model): WorkspaceColumnFacts {
  return memoModel(model, 'columns:workspace', (m) => {
    // (the keys of a file's tables are kept with it, for the default schema they were made under)
    const probe = m.key([undefined, '']);
    const kept = keptFacts(m, probe);
    if (kept) return kept;
    const places = replayPlaces(m);
    const out: WorkspaceColumnFacts = { dynamic: false, changed: new Set(), changedOn: new Map(), recreated: new Set(), recreatedTimes: new Map(), sig: '', adds: new Map(), firstMade: new Map(), renamedTo: new Set(), probe: '', order: places.key };
    // A plain CREATE TABLE of a table that exists fails in PostgreSQL (42P07), which keeps the
    // first one, where the model keeps the last unless that is certain (Model.recreatedTables):
    // its columns are not certain. (CREATE TABLE IF NOT EXISTS keeps the first in both; a DROP
    // TABLE between makes the next one certain.)
    const exists = new Set<string>();
    out.probe = probe;
    const facts: FileColumnFacts[] = [];
    const handed = new Set<string>();
    const executors = new Set<string>();
    for (const file of m.files) {
      const f = keyedFacts(m, file, probe);
      facts.push(f);
      if (f.dynamic) out.dynamic = true;
      for (const h of f.handsSqlTo) handed.add(h);
      for (const e of f.executors) executors.add(e);
      for (let i = 0; i < f.renamedTo.length; i++) out.renamedTo.add(f.renamedTo[i]!);
      for (let i = 0; i < f.changed.length; i++) {
        const name = f.changed[i]!;
        out.changed.add(name);
        const rel = f.changedRel[i];
        const on = out.changedOn.get(name);
        if (rel === undefined) out.changedOn.set(name, null);
        else if (on === undefined) out.changedOn.set(name, new Set([rel]));
        else if (on !== null) on.add(rel);
      }
    }
    // (a CREATE TABLE handed to a function of the workspace that EXECUTEs what it is given: a table
    // made by dynamic SQL, as a DO block's EXECUTE makes one)
    for (const h of handed) if (executors.has(h)) out.dynamic = true;
    // (what follows the order: in replay order, run by run — a file included by another runs
    // where it is included, ludat/fulbo's schema/*.sql)
    // (recreatedTimes without the files the replay leaves out, a schema snapshot: MosesSupposes/ihp-blog's Schema.sql)
    const replayedExists = new Set<string>();
    for (let r = 0; r < places.runs.length; r++) {
      const run = places.runs[r]!;
      const f = facts[places.key[2 * r]!]!;
      const replayed = !m.notReplayed.has(m.files[places.key[2 * r]!]!);
      for (let i = 0; i < f.adds.length; i++) {
        const a = f.adds[i]!;
        if (a.loc.start < run.start || a.loc.start >= run.end) continue;
        const k = f.addKeys[i]!;
        const list = out.adds.get(k);
        if (list) list.push(a);
        else out.adds.set(k, [a]);
      }
      for (let i = 0; i < f.keys.length; i++) {
        const k = f.keys[i]!;
        const e = f.events[i]!;
        if (e.at < run.start || e.at >= run.end) continue;
        if (e.create && !out.firstMade.has(k)) out.firstMade.set(k, r);
        if (e.view) continue;
        if (!e.create) exists.delete(k);
        else if (!exists.has(k)) exists.add(k);
        else if (!e.ine) out.recreated.add(k);
        if (!replayed) continue;
        if (!e.create) replayedExists.delete(k);
        else if (!replayedExists.has(k)) replayedExists.add(k);
        else if (!e.ine) out.recreatedTimes.set(k, (out.recreatedTimes.get(k) ?? 0) + 1);
      }
    }
    // (with the default schema: the keys of the tables a result looked at were made under it)
    out.sig = out.dynamic || out.changed.size || out.recreated.size ? `${probe}|${out.dynamic}|${[...out.changed].sort().join(',')}|${[...out.recreated].sort().join(',')}` : probe;
    lastFacts = { files: m.files, facts, ws: out };
    return out;
  });
}

/** The first column a policy's USING or WITH CHECK names that none of the tables in its reach has, if it can be told. */
export function unknownColumnOf(model: Model, p: Policy, ws: WorkspaceColumnFacts = workspaceFacts(model)): UnknownColumn | undefined {
  // (a statement of a DO block may sit in an IF: PostgreSQL analyses it only if it runs; and a
  // failing ALTER POLICY leaves the policy with its former expressions, where the model has the new)
  if (p.stmt.origin !== 'file' || p.stmt.kind !== 'CreatePolicyStmt') return undefined;
  const own = model.tables.get(p.table);
  if (!own) return undefined;
  // (OLD.x / NEW.x need no column facts: no dynamic SQL puts a relation named old or new in the
  // policy's scope, so PostgreSQL rejects them whatever columns the tables get; fms' FOR ALL
  // policies checking NEW.tenant_id beside a DO block altering columns)
  if (ws.dynamic) return triggerRowRef(model, own, p);
  // kept from an earlier model while the tables it looked at are the same objects (a re-lint's
  // model shares the policies of the files it did not parse again, and the tables no statement
  // changed) and the workspace facts are the same; on the policy's statement, as its row is
  // (policy-exprs.ts rowFrom: a property read, where a WeakMap lookup per policy was ≈ 2 ms of
  // each bench re-lint)
  const memo = (p.stmt.memo ??= {});
  const hit = memo[KEPT] as Kept | undefined;
  // (and while statements before the table's CREATE TABLE IF NOT EXISTS still name it, or not: madeBefore)
  const before = madeBefore(model, own);
  let result: UnknownColumn | undefined;
  const certain = ws.recreated.size === 0 ? '' : keptForCertain(model, ws).sig;
  if (hit !== undefined && hit.policy === p && hit.own === own && hit.sig === ws.sig && hit.certain === certain && hit.before === before && sameTables(model, hit)) result = hit.result;
  else {
    const rec: Kept = { policy: p, own, sig: ws.sig, certain, before, keys: undefined, tables: undefined, befores: undefined, result: undefined };
    rec.result = result = uncached(model, ws, own, p, rec);
    memo[KEPT] = rec;
  }
  // (a column the table has at the end but gets only later: read afresh, from the few tables with ADD COLUMNs)
  if (result === undefined && ws.adds.size !== 0) {
    const adds = ws.adds.get(own.key);
    if (adds !== undefined || readsTableWithAdds(model, p, ws)) result = addedLater(model, ws, own, p);
  }
  // (a column an earlier DROP COLUMN or RENAME COLUMN took away for certain: read afresh, only for
  // a policy naming a name some statement drops or renames, which the walk above leaves alone)
  if (result === undefined && ws.changed.size !== 0) result = removedBefore(model, ws, own, p);
  // (a table first made with IF NOT EXISTS whose column other statements of the migrations use:
  // the table was made elsewhere with it, and that CREATE skipped; inpersonmarketplace's markets,
  // whose market_type an UPDATE uses long before the policy)
  if (result !== undefined && !result.missingFrom && result.addedLater === undefined && usedElsewhere(model, result)) result = undefined;
  return result;
}

/** The first OLD.x / NEW.x of the policy's expressions that no relation in its reach is named or aliased as (42P01), when dynamic SQL leaves the columns unknown. */
function triggerRowRef(model: Model, own: Table, p: Policy): UnknownColumn | undefined {
  for (const e of [p.using, p.withCheck]) {
    if (!e) continue;
    const f = columnFacts(e);
    if (f.opaque) continue;
    for (const r of f.refs) {
      const fields: Node[] = r.ref.fields ?? [];
      if (fields.length !== 2) continue;
      const q = sval(fields[0]);
      const name = sval(fields[1]);
      if ((q !== 'old' && q !== 'new') || name === undefined || q === own.name) continue;
      if (r.scopes.some((scope) => scope.some((rv) => (rv.alias ? rv.alias.aliasname === q : rv.relname === q)))) continue;
      const tables: Table[] = [own];
      for (const scope of r.scopes) for (const rv of scope) {
        const t = model.tables.get(model.relKey(rv));
        if (t && !tables.includes(t)) tables.push(t);
      }
      return { ref: r.ref, column: `${q}.${name}`, tables, missingFrom: true };
    }
  }
  return undefined;
}

/**
 * Whether a table of the policy's reach that its first CREATE TABLE makes with IF NOT EXISTS has
 * the missing column named by a top-level UPDATE, INSERT, DELETE, CREATE INDEX or ALTER TABLE of
 * it (kept per model).
 */
function usedElsewhere(model: Model, u: UnknownColumn): boolean {
  const name = u.column.slice(u.column.lastIndexOf('.') + 1);
  for (const t of u.tables) if (columnUsedElsewhere(model, t, name)) return true;
  return false;
}

/**
 * Whether a table its first CREATE TABLE makes with IF NOT EXISTS has a column `name` it lacks
 * named by a top-level UPDATE, INSERT, DELETE, CREATE INDEX or ALTER TABLE of it: the table was
 * made elsewhere with it (kept per model). Also for policy-subquery-self-comparison, which says a
 * table has no such column.
 */
export function columnUsedElsewhere(model: Model, t: Table, name: string): boolean {
  if (!t.stmt.node?.if_not_exists) return false;
  const kept = memoModel(model, 'columns:usedElsewhere', () => new Map<string, boolean>());
  const key = `${t.key}\u0000${name}`;
  let v = kept.get(key);
  if (v === undefined) kept.set(key, (v = namesColumnOf(model, t, name)));
  return v;
}

/** Whether a top-level UPDATE, INSERT, DELETE, CREATE INDEX or ALTER TABLE of the table names the column (the runs' statements by relation: runNames). */
function namesColumnOf(model: Model, t: Table, name: string): boolean {
  let found = false;
  eachRun(model, (run) => {
    const list = run.byRelation?.get(t.name);
    if (list === undefined) return;
    for (const stmt of list) {
      const n = stmt.node;
      if (!namesTable(n?.relation, t)) continue;
      if (
        (stmt.kind === 'IndexStmt' && (n.indexParams ?? []).some((x: Node) => x?.IndexElem?.name === name)) ||
        (stmt.kind === 'InsertStmt' && (n.cols ?? []).some((x: Node) => x?.ResTarget?.name === name)) ||
        (stmt.kind === 'UpdateStmt' && (n.targetList ?? []).some((x: Node) => x?.ResTarget?.name === name)) ||
        (stmt.kind === 'AlterTableStmt' && (n.cmds ?? []).some((c: Node) => c?.AlterTableCmd?.name === name && c.AlterTableCmd.subtype !== 'AT_AddColumn')) ||
        census(n).columnRefs.some((r) => {
          const f: Node[] = r.fields ?? [];
          return sval(f[f.length - 1]) === name;
        })
      ) {
        found = true;
        return false;
      }
    }
  });
  return found;
}

/**
 * The first column the policy names, unqualified or qualified by its table's name, that its table
 * gets only from an ALTER TABLE … ADD COLUMN after the policy (circle-marketplace's listings
 * policies, written before the migration adding the column): PostgreSQL rejects the CREATE POLICY
 * with 42703 on a database these migrations make. Only where the name cannot be another table's:
 * an expression without sub-selects (its only relation is the policy's table), the table's
 * columns known (plainTable: not made elsewhere, not inherited), the column's every ADD a
 * top-level statement (one in a DO block may sit in an IF) of this table (after its CREATE TABLE),
 * and no statement dropping, renaming or retyping a column of that name (ws.changed).
 */
function addedLater(model: Model, ws: WorkspaceColumnFacts, own: Table, p: Policy): UnknownColumn | undefined {
  // (with sub-selects: the names looked up in their scopes as for a missing column, each table's
  // columns as they are when the policy is created — coach-os' checkin photos policy reading
  // clients.auth_user_id, which the same file adds only after it)
  if ((p.using && census(p.using).rangeVars.length) || (p.withCheck && census(p.withCheck).rangeVars.length)) {
    const first = new Map<string, Loc | null>();
    const madeLater = (t: Table, name: string): Loc | undefined => {
      const k = `${t.key}\u0000${name}`;
      let v = first.get(k);
      if (v === undefined) first.set(k, (v = firstAddAfter(model, ws, t, p, name) ?? null));
      return v ?? undefined;
    };
    const u = check(model, ws, own, p, (rv) => model.tables.get(model.relKey(rv)), (t, name) => t.columns.includes(name) && !madeLater(t, name));
    if (!u) return undefined;
    const name = u.column.slice(u.column.lastIndexOf('.') + 1);
    const to = u.tables.find((t) => madeLater(t, name));
    return to ? { ...u, addedLater: madeLater(to, name), addedTo: to === own ? undefined : to.key } : undefined;
  }
  // (without: the names of its own table, unqualified or qualified by its name)
  for (const e of [p.using, p.withCheck]) {
    if (!e) continue;
    for (const ref of census(e).columnRefs) {
      const fields: Node[] = ref.fields ?? [];
      if (fields.length === 0 || fields.length > 2) continue;
      if (fields.length === 2 && sval(fields[0]) !== own.name) continue;
      const name = sval(fields[fields.length - 1]);
      const at = name === undefined ? undefined : firstAddAfter(model, ws, own, p, name);
      if (at) return { ref, column: fields.length === 2 ? `${own.name}.${name}` : name!, tables: [own], addedLater: at };
    }
  }
  return undefined;
}

/**
 * The first ADD COLUMN of `name` to `t`, when the table gets the column only from top-level ADD
 * COLUMNs (after its CREATE TABLE, none in a DO block, none renaming, dropping or retyping a column
 * of that name) and the first comes after the policy; undefined otherwise.
 */
function firstAddAfter(model: Model, ws: WorkspaceColumnFacts, t: Table, p: Policy, name: string): Loc | undefined {
  const adds = ws.adds.get(t.key);
  if (!adds || !t.columns.includes(name) || ws.changed.has(name) || createdWith(t, name) || !plainTable(model, t, ws)) return undefined;
  let first: ColumnAdd | undefined;
  for (const a of adds) {
    if (a.column !== name || !writtenBefore(model, t.created, a.loc)) continue;
    if (a.inDo) return undefined;
    first ??= a;
  }
  return first && writtenBefore(model, p.created, first.loc) ? first.loc : undefined;
}

/**
 * The first column the policy names that a table in its reach had but lost before the policy, for
 * certain: a top-level ALTER TABLE … DROP COLUMN or ALTER TABLE … RENAME COLUMN between the table's
 * CREATE TABLE and the policy took it away (PGlite: the CREATE POLICY fails with 42703 column "x"
 * does not exist). Only where the replay tells each table's columns at the policy for certain
 * (columnsAt); a name a function's body or a DO block may drop, add or rename (changedOn null) is
 * never reported.
 */
function removedBefore(model: Model, ws: WorkspaceColumnFacts, own: Table, p: Policy): UnknownColumn | undefined {
  let names = false;
  for (const e of [p.using, p.withCheck]) {
    if (!e || names) continue;
    for (const ref of census(e).columnRefs) {
      const f: Node[] = ref.fields ?? [];
      const last = f.length ? sval(f[f.length - 1]) : undefined;
      if (last !== undefined && ws.changed.has(last) && ws.changedOn.get(last) !== null) {
        names = true;
        break;
      }
    }
  }
  if (!names || !writtenBefore(model, own.created, p.created)) return undefined;
  const at = new Map<Table, ColumnsAt | null>();
  const columnsOf = (t: Table): ColumnsAt | undefined => {
    let v = at.get(t);
    if (v === undefined) at.set(t, (v = columnsAt(model, ws, t, p.created) ?? null));
    return v ?? undefined;
  };
  // (a table whose columns at the policy are not known for certain has every name: nothing is reported through it)
  const u = check(model, ws, own, p, (rv) => model.tables.get(model.relKey(rv)), (t, name) => columnsOf(t)?.columns.has(name) ?? true, true);
  if (!u || u.missingFrom) return undefined;
  const name = u.column.slice(u.column.lastIndexOf('.') + 1);
  if (ws.changedOn.get(name) === null) return undefined;
  for (const t of u.qualifiedBy ? [u.qualifiedBy] : u.tables) {
    const gone = columnsOf(t)?.removed.get(name);
    if (gone) return { ...u, removedAt: gone.loc, ...(gone.to !== undefined ? { renamedTo: gone.to } : {}), ...(t === own ? {} : { removedFrom: t.key }) };
  }
  return undefined;
}

/** A table's columns where a statement runs, and the columns a DROP or RENAME COLUMN took away before it (by name: where, and the new name). */
interface ColumnsAt {
  columns: Set<string>;
  removed: Map<string, { loc: Loc; to?: string }>;
  /** for a column its CREATE TABLE made, renamed or not, never retyped: the name it was made with */
  made: Map<string, string>;
}

/**
 * The table's columns when the statement at `here` runs, replaying its CREATE TABLE's column list
 * and the top-level ALTER TABLE … ADD / DROP COLUMN and RENAME COLUMN statements on it between;
 * undefined where that is not certain: the columns not known (plainTable), the CREATE TABLE not
 * before, the table renamed or another renamed to its name, an unqualified name that another
 * table of the model has too, a statement on it in a DO block or a function's body (it may sit in an
 * IF), or one that fails (a column dropped or renamed that it has not, added that it has: the
 * statement fails and changes nothing, as PostgreSQL does, only if nothing else is uncertain —
 * taken as uncertain).
 */
function columnsAt(model: Model, ws: WorkspaceColumnFacts, t: Table, here: Loc): ColumnsAt | undefined {
  if (!plainTable(model, t, ws) || t.renamed || ws.renamedTo.has(t.name) || t.stmt.kind !== 'CreateStmt' || !writtenBefore(model, t.created, here)) return undefined;
  const columns = new Set<string>();
  for (const e of t.stmt.node?.tableElts ?? []) if (typeof e?.ColumnDef?.colname === 'string') columns.add(e.ColumnDef.colname);
  const removed = new Map<string, { loc: Loc; to?: string }>();
  const made = new Map<string, string>();
  for (const c of columns) made.set(c, c);
  const runs = statementRuns(model);
  const list = model.statements;
  let others: boolean | undefined;
  for (let i = 0; i < runs.length; i++) {
    const r = runs[i]!;
    const stmts = columnEventsOf(list, r).get(t.name);
    if (stmts === undefined) continue;
    for (const stmt of stmts) {
      const n = stmt.node;
      const loc: Loc = { file: r.file.file, start: stmt.start, end: stmt.end };
      if (!writtenBefore(model, t.created, loc)) continue;
      if (!writtenBefore(model, loc, here)) return { columns, removed, made };
      if (n.relation.schemaname !== undefined) {
        if (model.key([n.relation.schemaname, n.relation.relname]) !== t.key) continue;
      } else {
        // (an unqualified name: the search_path decides which table of that name it is)
        others ??= [...model.tables.values()].some((x) => x !== t && x.name === t.name);
        if (others || model.relKey(n.relation) !== t.key) return undefined;
      }
      if (stmt.origin !== 'file') return undefined;
      if (stmt.kind === 'RenameStmt') {
        const from = n.subname;
        const to = n.newname;
        if (typeof from !== 'string' || typeof to !== 'string' || !columns.has(from) || columns.has(to)) return undefined;
        columns.delete(from);
        columns.add(to);
        const was = made.get(from);
        made.delete(from);
        if (was !== undefined) made.set(to, was);
        removed.set(from, { loc, to });
        removed.delete(to);
        continue;
      }
      for (const c of n.cmds ?? []) {
        const cmd = c?.AlterTableCmd;
        if (cmd?.subtype === 'AT_AddColumn') {
          const name = cmd.def?.ColumnDef?.colname;
          if (typeof name !== 'string' || (columns.has(name) && !cmd.missing_ok)) return undefined;
          columns.add(name);
          removed.delete(name);
        } else if (cmd?.subtype === 'AT_AlterColumnType') {
          if (typeof cmd.name !== 'string' || !columns.has(cmd.name)) return undefined;
          made.delete(cmd.name);
        } else if (cmd?.subtype === 'AT_DropColumn') {
          if (typeof cmd.name !== 'string') return undefined;
          if (columns.has(cmd.name)) {
            // (without CASCADE, PostgreSQL refuses it with 2BP01 while something outside the table depends on the column)
            if (cmd.behavior !== 'DROP_CASCADE' && mayDependOn(model, t, cmd.name, stmt)) return undefined;
            columns.delete(cmd.name);
            made.delete(cmd.name);
            removed.set(cmd.name, { loc });
          } else if (!cmd.missing_ok) return undefined;
        }
      }
    }
  }
  return { columns, removed, made };
}

/**
 * The name the table's CREATE TABLE gave the column `column` has when the statement at `here`
 * runs, where a top-level RENAME COLUMN before it renamed it (columnsAt: for certain), and nothing
 * retyped it before: its type is still the one written there (PGlite: the renamed column keeps
 * it). Undefined otherwise (the column not renamed, added by an ALTER TABLE, not known).
 */
export function renamedFromAt(model: Model, ws: WorkspaceColumnFacts, t: Table, column: string, here: Loc): string | undefined {
  const at = columnsAt(model, ws, t, here);
  const from = at?.made.get(column);
  return from !== undefined && from !== column ? from : undefined;
}

/** Kinds of statements that make nothing depending on a column (a DROP COLUMN without CASCADE goes through them). */
const NO_DEPENDENTS = new Set(['InsertStmt', 'UpdateStmt', 'DeleteStmt', 'SelectStmt', 'IndexStmt', 'GrantStmt', 'CommentStmt', 'VariableSetStmt', 'TransactionStmt', 'RenameStmt']);

/**
 * Whether something made between the table's CREATE TABLE and `drop` may depend on its column
 * `name` (a view, a policy, a foreign key, a function's body, a trigger, a rule…: its text names
 * the word), or its CREATE TABLE names it twice (a generated column, a constraint on it): then
 * ALTER TABLE … DROP COLUMN without CASCADE may fail (2BP01) and the column stay. Text, not trees:
 * over-cautious, and read only where a policy names a dropped column.
 */
function mayDependOn(model: Model, t: Table, name: string, drop: Statement): boolean {
  const word = new RegExp(`(?<![\\w$])"?${name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}"?(?![\\w$])`, 'gi');
  const list = model.statements;
  let started = false;
  for (let i = 0; i < list.length; i++) {
    const { file, stmt } = list[i]!;
    if (stmt === drop) return false;
    if (stmt === t.stmt) {
      started = true;
      if ((file.text.slice(stmt.start, stmt.end).match(word)?.length ?? 0) > 1) return true;
      continue;
    }
    if (!started || NO_DEPENDENTS.has(stmt.kind)) continue;
    word.lastIndex = 0;
    if (word.test(file.text.slice(stmt.start, stmt.end))) return true;
  }
  return true;
}

/**
 * A run's ALTER TABLE statements adding or dropping a column and its RENAME COLUMN statements, by
 * the bare name of the relation they name (any origin: columnsAt gives up at one in a DO block).
 * Kept per run.
 */
const COLUMN_EVENTS = new Set(['AT_AddColumn', 'AT_DropColumn', 'AT_AlterColumnType']);
const runColumnEvents = new WeakMap<object, Map<string, Statement[]>>();
const NO_EVENTS = new Map<string, Statement[]>();
function columnEventsOf(list: Model['statements'], r: StatementRun): Map<string, Statement[]> {
  const kept = runColumnEvents.get(r.key);
  if (kept !== undefined) return kept;
  let out = NO_EVENTS;
  for (let i = r.from; i < r.to; i++) {
    const stmt = list[i]!.stmt;
    const n = stmt.node;
    const rel: unknown = n?.relation?.relname;
    if (typeof rel !== 'string') continue;
    const event =
      stmt.kind === 'RenameStmt'
        ? n.renameType === 'OBJECT_COLUMN'
        : stmt.kind === 'AlterTableStmt' && (n.cmds ?? []).some((c: Node) => COLUMN_EVENTS.has(c?.AlterTableCmd?.subtype));
    if (!event) continue;
    if (out === NO_EVENTS) out = new Map();
    const at = out.get(rel);
    if (at === undefined) out.set(rel, [stmt]);
    else at.push(stmt);
  }
  runColumnEvents.set(r.key, out);
  return out;
}

/**
 * A relation a policy's expressions read that the migrations create only after it (no CREATE
 * TABLE / VIEW of it before the policy, one after): PostgreSQL rejects the CREATE POLICY with 42P01
 * relation "x" does not exist on a database the migrations make (chess-map-frontend's policy
 * reading a table a later migration makes). Not a relation they never create (made elsewhere, or
 * by the platform), one made in another folder (another sequence of migrations), one a table or
 * view is renamed to, one a DO block's dynamic SQL may make, nor a policy in a DO block.
 */
/** A relation a policy names that does not exist when it is created (missingRelationOf). */
export interface MissingRelation {
  rv: Node;
  key: string;
  /** the statement that makes it, later (undefined: none does) */
  made: Loc | undefined;
  /** the policy's own table's CREATE TABLE, which fails (42P01 on the table it references, made only later) */
  failed?: { loc: Loc; references: string };
}

export function missingRelationOf(model: Model, p: Policy, ws: WorkspaceColumnFacts = workspaceFacts(model)): MissingRelation | undefined {
  if (p.stmt.origin !== 'file' || p.stmt.kind !== 'CreatePolicyStmt' || ws.dynamic || ws.firstMade.size === 0) return undefined;
  let at: number | undefined;
  // (its own table first: PostgreSQL looks it up before the expressions; gantt-flow's fix_rls
  // migration, a policy on public.tasks that only the later baseline migration creates)
  const own = ownTableMadeLater(model, p, ws);
  if (own) return own;
  const { rvs, keys } = relationsRead(model, p, ws.probe);
  for (let i = 0; i < rvs.length; i++) {
    {
      const rv = rvs[i]!;
      const key = keys[i]!;
      const fi = ws.firstMade.get(key);
      if (fi === undefined || ws.renamedTo.has(rv.relname)) continue;
      at ??= replayPlaces(model).runOf(p.created);
      if (at < 0) return undefined;
      if (fi < at) continue;
      // (not one first made IF NOT EXISTS, or in a DO block: written for a table that may exist
      // already, as the policy's own table below; ng-alain-gighub's team_bots — unless further on
      // in the policy's own file: madeLaterAt)
      const made = madeLaterAt(model, fi, at, key);
      // (in the same folder: two folders are two sequences of migrations, whose order the paths do not tell)
      if (made && madeLaterThan(model, made, fi, at, p.created)) return { rv, key, made };
    }
  }
  return undefined;
}

/** The policy's own table when the migrations create it only after the policy, in the same folder, by a plain CREATE TABLE (as missingRelationOf). */
function ownTableMadeLater(model: Model, p: Policy, ws: WorkspaceColumnFacts): MissingRelation | undefined {
  const fi = ws.firstMade.get(p.table);
  const rv: Node | undefined = p.stmt.node?.table;
  if (fi === undefined || !rv?.relname || ws.renamedTo.has(rv.relname)) return undefined;
  // (made by a CREATE TABLE that fails, referencing a table made only later: the table exists
  // only from a later CREATE TABLE (IF NOT EXISTS) of it, if one comes; vitaluxe-flow's easypost tables)
  const failing = createsReferencingLater(model);
  if (failing.length !== 0) {
    const failed = (at: Loc) => failing.find((x) => x.loc.file === at.file && x.loc.start === at.start);
    // (the model makes no table of a failing CREATE: the first CREATE of the name in the workspace)
    const first = firstMadeAt(model, fi, p.table);
    let f = first ? failed(first) : undefined;
    if (first && f && writtenBefore(model, first, p.created)) {
      // (the last CREATE of it before the policy decides: one that succeeds makes it)
      for (let next = createdAfter(model, ws, p.table, f.loc); next && writtenBefore(model, next, p.created); next = createdAfter(model, ws, p.table, next)) {
        const g = failed(next);
        if (!g) {
          f = undefined;
          break;
        }
        f = g;
      }
      // (made where a CREATE after the policy succeeds: not at one that fails too)
      let made = createdAfter(model, ws, p.table, p.created);
      while (made && failed(made)) made = createdAfter(model, ws, p.table, made);
      if (f) return { rv, key: p.table, made, failed: { loc: f.loc, references: f.key } };
    }
  }
  const at = replayPlaces(model).runOf(p.created);
  if (at < 0 || fi < at) return undefined;
  // (not when that CREATE is IF NOT EXISTS, or in a DO block: the table may have been made
  // elsewhere before the policy, as mtkcx's site_settings and gantt-flow's baseline show)
  const made = firstMadeAt(model, fi, p.table, true);
  if (made && madeLaterThan(model, made, fi, at, p.created)) return { rv, key: p.table, made };
  return undefined;
}

/**
 * The first of the relations `keys` (those a statement at `stmt` reads) that the migrations create
 * only after that statement, in the same folder, by a plain CREATE TABLE / VIEW (not IF NOT EXISTS,
 * nor in a DO block: a table that may exist already, as missingRelationOf): PostgreSQL rejects the
 * statement with 42P01 on a database these migrations make. A view reading one is never created
 * (wana-connect-civic's user_activity_context, a materialized view over user_follows, made a month
 * later). Undefined when dynamic SQL may make tables.
 */
export function relationMadeOnlyAfter(model: Model, keys: Iterable<string>, stmt: Loc): { key: string; made: Loc } | undefined {
  const ws = workspaceFacts(model);
  if (ws.dynamic || ws.firstMade.size === 0) return undefined;
  let at: number | undefined;
  for (const key of keys) {
    const fi = ws.firstMade.get(key);
    if (fi === undefined || ws.renamedTo.has(key.slice(key.lastIndexOf('.') + 1))) continue;
    at ??= replayPlaces(model).runOf(stmt);
    if (at < 0) return undefined;
    if (fi < at) continue;
    const made = firstMadeAt(model, fi, key, 'ine');
    if (made && madeLaterThan(model, made, fi, at, stmt)) return { key, made };
  }
  return undefined;
}

/**
 * Whether `made`, in replay run `fi`, comes after the statement `stmt` of run `at`: later in the
 * same run, or in a later run of the same sequence of migrations (ReplayPlaces.oneSequence: two
 * folders are two sequences, whose order the paths do not tell; files one psql entry file
 * includes are one).
 */
function madeLaterThan(model: Model, made: Loc, fi: number, at: number, stmt: Loc): boolean {
  return (fi > at && replayPlaces(model).oneSequence(fi, at)) || (fi === at && made.start > stmt.start);
}

/**
 * The first CREATE TABLE / VIEW of `key` after `at` in replay order (from what workspaceFacts keeps
 * per file), in a file the replay runs: not one it leaves out (Model.notReplayed: a copy of earlier
 * migrations the Supabase CLI skips, a snapshot), which no migration tool runs either.
 */
function createdAfter(model: Model, ws: WorkspaceColumnFacts, key: string, at: Loc): Loc | undefined {
  const places = replayPlaces(model);
  const from = Math.max(places.runOf(at), 0);
  for (let r = from; r < places.runs.length; r++) {
    const run = places.runs[r]!;
    const file = model.files[places.key[2 * r]!]!;
    // (dental-clinic-manager's add_protocol_enhancements.sql, a bundle the CLI skips: the only file
    // whose CREATE TABLE of protocol_steps succeeds, said to make it though nothing runs it)
    if (model.notReplayed.size !== 0 && model.notReplayed.has(file)) continue;
    const f = factsOfFile(file);
    for (let i = 0; i < f.keys.length; i++) {
      const e = f.events[i]!;
      if (e.at < run.start || e.at >= run.end) continue;
      if (e.create && f.keys[i] === key && (r > from || e.at > at.start)) return { file: file.file, start: e.at, end: e.at };
    }
  }
  return undefined;
}

/** The top-level CREATE TABLE statements of a file with the tables their FOREIGN KEYs reference (kept per parsed file). */
const fkByFile = new WeakMap<ParsedFile, Array<{ s: Statement; refs: Node[] }>>();
function foreignKeysOf(file: ParsedFile): Array<{ s: Statement; refs: Node[] }> {
  let out = fkByFile.get(file);
  if (out) return out;
  out = [];
  for (const s of file.statements) {
    if (s.kind !== 'CreateStmt' || s.origin !== 'file') continue;
    const refs: Node[] = [];
    for (const e of s.node?.tableElts ?? []) {
      if (e?.ColumnDef) for (const c of e.ColumnDef.constraints ?? []) if (c?.Constraint?.contype === 'CONSTR_FOREIGN' && c.Constraint.pktable) refs.push(c.Constraint.pktable);
      if (e?.Constraint?.contype === 'CONSTR_FOREIGN' && e.Constraint.pktable) refs.push(e.Constraint.pktable);
    }
    if (refs.length) out.push({ s, refs });
  }
  fkByFile.set(file, out);
  return out;
}

/**
 * The top-level CREATE TABLE statements whose FOREIGN KEY (REFERENCES) names a table the
 * migrations of the same folder create only after them: PostgreSQL rejects them with 42P01
 * relation "x" does not exist (vitaluxe-flow's first migration, whose easypost tables reference
 * order_lines, made months later). Per model.
 */
export function createsReferencingLater(model: Model): ReadonlyArray<{ loc: Loc; key: string; made: Loc; stmt: Statement }> {
  return memoModel(model, 'columns:referencingLater', (m) => {
    const ws = workspaceFacts(m);
    const out: Array<{ loc: Loc; key: string; made: Loc; stmt: Statement }> = [];
    if (ws.firstMade.size === 0) return out;
    const places = replayPlaces(m);
    m.files.forEach((file) => {
      for (const { s, refs } of foreignKeysOf(file)) {
        const loc = { file: file.file, start: s.start, end: s.end };
        // (its place in replay order: a file psql includes runs where it is included; ludat/fulbo's
        // schema/groups.sql, \i'd from db/main.sql after schema/users.sql, whose users it references)
        const at = places.runOf(loc);
        for (const rv of refs) {
          if (!rv.relname || ws.renamedTo.has(rv.relname)) continue;
          const key = m.key([rv.schemaname, rv.relname]);
          const fi = ws.firstMade.get(key);
          if (fi === undefined || fi < at) continue;
          const made = firstMadeAt(m, fi, key);
          if (made && madeLaterThan(m, made, fi, at, loc)) {
            out.push({ loc, key, made, stmt: s });
            break;
          }
        }
      }
    });
    return out;
  });
}

/**
 * What a CREATE TABLE at `loc` whose FOREIGN KEY names `key`, made only later
 * (createsReferencingLater), fails with: where `key` names its schema, the migrations make that
 * schema only later too (a CREATE SCHEMA of it, none replayed before `loc`) and nothing before
 * holds a relation of it, PostgreSQL looks the schema up first and fails with 3F000 schema "s"
 * does not exist (PGlite); else 42P01 relation "key" does not exist.
 */
export function referenceFailure(model: Model, loc: Loc, key: string): { code: '42P01' | '3F000'; text: string } {
  const dot = key.indexOf('.');
  const schema = dot > 0 ? key.slice(0, dot) : undefined;
  const relation = { code: '42P01' as const, text: `relation "${key}" does not exist` };
  if (!schema || schema === 'public') return relation;
  const places = replayPlaces(model);
  let later = false;
  for (const { file, stmt } of model.statements) {
    if (stmt.kind !== 'CreateSchemaStmt' || String(stmt.node?.schemaname ?? '').toLowerCase() !== schema) continue;
    const at = { file: file.file, start: stmt.start, end: stmt.end };
    if (stmt.origin !== 'file' || places.before(at, loc)) return relation;
    later = true;
  }
  if (!later) return relation;
  // (a relation of it made before: its schema exists)
  const ws = workspaceFacts(model);
  const at = places.runOf(loc);
  for (const [k, fi] of ws.firstMade) {
    if (!k.startsWith(`${schema}.`) || fi > at) continue;
    const made = fi === at ? firstMadeAt(model, fi, k) : undefined;
    if (fi < at || !made || made.start < loc.start) return relation;
  }
  return { code: '3F000', text: `schema "${schema}" does not exist` };
}

/**
 * The first CREATE TABLE / VIEW of `key` in replay run `fi` (workspaceFacts' firstMade), for a
 * statement of run `at` that reads it, when it may be taken as what makes the relation: not one
 * IF NOT EXISTS or in a DO block, written for a table that may have been made before, outside the
 * migrations (ng-alain-gighub's team_bots, made by its base dump) — except a top-level CREATE TABLE
 * IF NOT EXISTS further on in the reading statement's own run (its file, or its part of a file
 * psql includes others in): the file makes the table itself after it reads it, and run on a
 * database these migrations make from scratch the read fails with 42P01 (crm-eco's
 * team_collaboration migration, whose policies read channel_members 70 lines before its CREATE
 * TABLE IF NOT EXISTS: supabase db reset stops there).
 */
function madeLaterAt(model: Model, fi: number, at: number, key: string): Loc | undefined {
  return firstMadeAt(model, fi, key, 'ine', fi === at);
}

/**
 * The first CREATE TABLE / VIEW of `key` in replay run `fi` (workspaceFacts' firstMade); undefined
 * when it is IF NOT EXISTS or in a DO block and `plainOnly` (true: or a view) — but a top-level
 * IF NOT EXISTS one where `written` is allowed.
 */
function firstMadeAt(model: Model, fi: number, key: string, plainOnly: boolean | 'ine' = false, written = false): Loc | undefined {
  const places = replayPlaces(model);
  const run = places.runs[fi];
  if (!run) return undefined;
  const file = model.files[places.key[2 * fi]!]!;
  const f = factsOfFile(file);
  for (let i = 0; i < f.keys.length; i++) {
    const e = f.events[i]!;
    if (e.at < run.start || e.at >= run.end) continue;
    if (e.create && f.keys[i] === key) return plainOnly && ((e.ine && !(written && e.written)) || (e.view && plainOnly === true)) ? undefined : { file: file.file, start: e.at, end: e.at };
  }
  return undefined;
}

/**
 * The relations a policy's expressions read (RangeVars) and their keys, kept on its statement for
 * the default schema they were made under (`probe`): a re-lint looks them up, where resolving
 * every policy's names again was ≈ 10 ms of each bench re-lint. Not kept when a SET search_path
 * resolved its names (a later replay may resolve them otherwise).
 */
function relationsRead(model: Model, p: Policy, probe: string): { rvs: readonly Node[]; keys: readonly string[] } {
  const m = p.stmt.memo;
  const hit = m?.[READ_KEYS] as { policy: Policy; probe: string; rvs: readonly Node[]; keys: readonly string[] } | undefined;
  if (hit !== undefined && hit.policy === p && hit.probe === probe) return hit;
  // (census' own list where one expression reads relations, the empty one where none does: most
  // policies read none, and each made two empty lists)
  const u = p.using ? census(p.using).rangeVars : NO_NODES;
  const w = p.withCheck ? census(p.withCheck).rangeVars : NO_NODES;
  const rvs: readonly Node[] = w.length === 0 ? u : u.length === 0 ? w : [...u, ...w];
  const out = { policy: p, probe, rvs, keys: rvs.length === 0 ? NO_KEYS : rvs.map((rv) => model.relKey(rv)) };
  if (!resolvedThroughPath(p.stmt)) (p.stmt.memo ??= {})[READ_KEYS] = out;
  return out;
}
const READ_KEYS = 'columns:readKeys';
const NO_NODES: readonly Node[] = Object.freeze([]);
const NO_KEYS: readonly string[] = Object.freeze([]);

/** The keys of the relations a policy's expressions read (relationsRead), or undefined when a SET search_path resolved its names (a later model may resolve them otherwise). */
export function readKeysOf(model: Model, p: Policy, ws: WorkspaceColumnFacts): readonly string[] | undefined {
  return resolvedThroughPath(p.stmt) ? undefined : relationsRead(model, p, ws.probe).keys;
}

/** Whether a sub-select of the policy reads a table some ALTER TABLE … ADD COLUMN adds to. */
function readsTableWithAdds(model: Model, p: Policy, ws: WorkspaceColumnFacts): boolean {
  const { keys } = relationsRead(model, p, ws.probe);
  for (let i = 0; i < keys.length; i++) if (ws.adds.has(keys[i]!)) return true;
  return false;
}

/** Whether the table's CREATE TABLE lists the column. */
function createdWith(t: Table, name: string): boolean {
  for (const e of t.stmt.node?.tableElts ?? []) if (e?.ColumnDef?.colname === name) return true;
  return false;
}

/**
 * Whether `a` comes before `b` in replay order: in one file by offset, else by the replay runs
 * holding them (ReplayPlaces: a file included by another runs where it is included), rather than
 * statementOrder's index of every statement, which a re-lint would build again: 20 ms on the bench.
 */
export function writtenBefore(model: Model, a: Loc, b: Loc): boolean {
  return replayPlaces(model).before(a, b);
}

interface Kept {
  policy: Policy;
  own: Table;
  sig: string;
  /** keptForCertain's sig */
  certain: string;
  /** madeBefore of `own` */
  before: boolean;
  /** keys of the other tables looked at, what they were, and their madeBefore (a statement naming one may come or go before its CREATE TABLE IF NOT EXISTS) */
  keys: string[] | undefined;
  tables: Array<Table | undefined> | undefined;
  befores: boolean[] | undefined;
  result: UnknownColumn | undefined;
}
const KEPT = 'unknownColumn';

/** Whether unknownColumnOf, asked of this policy in the last model, found a column missing (before usedElsewhere, which reads statements anywhere, let it go). */
export function foundMissingColumn(p: Policy): boolean {
  const k = p.stmt.memo?.[KEPT] as Kept | undefined;
  return k !== undefined && k.policy === p && k.result !== undefined;
}

function sameTables(model: Model, k: Kept): boolean {
  if (!k.keys) return true;
  for (let i = 0; i < k.keys.length; i++) {
    const t = model.tables.get(k.keys[i]!) ?? viewRelation(model, k.keys[i]!);
    if (t !== k.tables![i] || (t !== undefined && !VIEW_RELATIONS.has(t) && madeBefore(model, t) !== k.befores![i])) return false;
  }
  return true;
}

function uncached(model: Model, ws: WorkspaceColumnFacts, own: Table, p: Policy, rec: Kept): UnknownColumn | undefined {
  // First without scopes, from what census keeps on the expression (every policy's is asked
  // anyway): a name that is a column of the policy's table or of a table the expression reads
  // is taken as found (most policies name only their table's columns). Only a policy with a
  // name found nowhere is walked with its scopes.
  const u = p.using ? namesBeyond(p.using, own) : NO_NAMES;
  const c = p.withCheck ? namesBeyond(p.withCheck, own) : NO_NAMES;
  if ((u.length === 0 && c.length === 0) || !plainTable(model, own, ws)) return undefined;
  // (the tables of the expressions' FROM lists: what the answer depends on besides `own`)
  const looked = (rv: Node): Table | undefined => {
    const key = model.relKey(rv);
    const t = model.tables.get(key) ?? viewRelation(model, key);
    rec.keys ??= [];
    rec.tables ??= [];
    rec.befores ??= [];
    if (!rec.keys.includes(key)) {
      rec.keys.push(key);
      rec.tables.push(t);
      rec.befores.push(t !== undefined && !VIEW_RELATIONS.has(t) && madeBefore(model, t));
    }
    return t;
  };
  if (!(u.length && mayMiss(model, ws, u, p.using, looked)) && !(c.length && mayMiss(model, ws, c, p.withCheck, looked))) return undefined;
  return check(model, ws, own, p, looked);
}

/**
 * Whether one of `names` (those of the expression's ColumnRefs its policy's table does not have;
 * `q\u0000x` for `q.x` with a qualifier other than the policy's table) is a column of no table the
 * migrations show the expression reads (for `q.x`, of no relation it reads named or aliased q).
 */
function mayMiss(model: Model, ws: WorkspaceColumnFacts, names: readonly string[], e: Node, tableOf: (rv: Node) => Table | undefined): boolean {
  const ranges = census(e).rangeVars;
  for (let i = 0; i < names.length; i++) {
    const entry = names[i]!;
    const cut = entry.indexOf('\u0000');
    const q = cut < 0 ? undefined : entry.slice(0, cut);
    const name = cut < 0 ? entry : entry.slice(cut + 1);
    if (ws.changed.has(name)) continue;
    let found = false;
    // (q.x where no relation it reads is named or aliased q: a composite column's field, or 42P01; the walk tells)
    if (q !== undefined && !ranges.some((rv) => (rv.alias ? rv.alias.aliasname === q : rv.relname === q))) continue;
    for (let j = 0; j < ranges.length && !found; j++) {
      const rv = ranges[j];
      if (q !== undefined && (rv.alias ? rv.alias.aliasname !== q : rv.relname !== q)) continue;
      if (q === undefined && (rv.relname === name || rv.alias?.aliasname === name)) found = true; // a whole-row reference
      else {
        // (a relation whose columns are not known leaves it to the walk: it may be out of the name's reach)
        const t = tableOf(rv);
        found = !!t && plainTable(model, t, ws) && t.columns.includes(name);
      }
    }
    if (!found) return true;
  }
  return false;
}

/**
 * The names an expression's ColumnRefs end with that are not columns of the policy's table `own`
 * (nor system columns): a name qualified by another relation (`c.user_id`, c a table the
 * expression reads) whatever `own` has, as `c\u0000user_id` (Fiich's `(select c.user_id from
 * companies c …)` on company_members, which has a user_id: 42703).
 */
const NO_NAMES: readonly string[] = Object.freeze([]);
function namesBeyond(e: Node, own: Table): readonly string[] {
  let names: string[] | undefined;
  const refs = census(e).columnRefs;
  for (let i = 0; i < refs.length; i++) {
    const fields: Node[] = refs[i].fields ?? [];
    if (fields.length > 2) continue;
    const last = fields[fields.length - 1];
    const q = fields.length === 2 ? sval(fields[0]) : undefined;
    // (OLD.x / NEW.x: looked at by the walk whatever x is, as resolve tells them)
    const bare = last ? sval(last) : undefined;
    const other = q !== undefined && q !== 'old' && q !== 'new' && q !== own.name;
    const name = q === 'old' || q === 'new' ? `${q}.${bare ?? ''}` : other && bare !== undefined ? `${q}\u0000${bare}` : bare;
    if (name === undefined || (!other && own.columns.includes(name)) || SYSTEM_COLUMNS.has(other ? bare! : name)) continue;
    if (!names) names = [name];
    else if (!names.includes(name)) names.push(name);
  }
  return names ?? NO_NAMES;
}

/** unknownColumnOf's walk, with the scopes of the names. */
type HasColumn = (t: Table, name: string) => boolean;
const hasAtEnd: HasColumn = (t, name) => t.columns.includes(name);

function check(model: Model, ws: WorkspaceColumnFacts, own: Table, p: Policy, tableOf: (rv: Node) => Table | undefined, has: HasColumn = hasAtEnd, changedToo = false): UnknownColumn | undefined {
  for (const e of [p.using, p.withCheck]) {
    if (!e) continue;
    const f = columnFacts(e);
    if (f.opaque) continue;
    for (const r of f.refs) {
      const u = resolve(model, ws, own, r, tableOf, has, changedToo);
      if (u) return u;
    }
  }
  return undefined;
}

/** An UnknownColumn when no relation in reach of the reference has the column (and every one in reach is known). */
function resolve(model: Model, ws: WorkspaceColumnFacts, own: Table, r: ScopedRef, tableOf: (rv: Node) => Table | undefined, has: HasColumn, changedToo: boolean): UnknownColumn | undefined {
  const fields: Node[] = r.ref.fields ?? [];
  if (fields.length === 0 || fields.length > 2) return undefined;
  const known = (rv: Node): Table | undefined => {
    const t = tableOf(rv);
    return t && plainTable(model, t, ws) ? t : undefined;
  };
  const reach = (): Table[] => {
    const out: Table[] = [];
    for (const scope of r.scopes) for (const rv of scope) {
      const t = tableOf(rv);
      if (t && !out.includes(t)) out.push(t);
    }
    if (!out.includes(own)) out.push(own);
    return out;
  };
  if (fields.length === 1) {
    const name = sval(fields[0]);
    if (name === undefined || SYSTEM_COLUMNS.has(name) || (!changedToo && ws.changed.has(name)) || name === own.name) return undefined;
    for (const scope of r.scopes) {
      for (const rv of scope) {
        if (rv.relname === name || rv.alias?.aliasname === name) return undefined; // a whole-row reference
        const t = known(rv);
        if (!t || has(t, name)) return undefined;
      }
    }
    if (has(own, name)) return undefined;
    return { ref: r.ref, column: name, tables: reach() };
  }
  const q = sval(fields[0]);
  const name = sval(fields[1]);
  if (q === undefined || name === undefined || SYSTEM_COLUMNS.has(name) || (!changedToo && ws.changed.has(name))) return undefined;
  let t: Table | undefined;
  let found = false;
  for (const scope of r.scopes) {
    for (const rv of scope) {
      if (rv.alias?.aliasname === q || (!rv.alias && rv.relname === q)) {
        t = known(rv);
        found = true;
        break;
      }
    }
    if (found) break;
  }
  if (!found && q === own.name) {
    t = own;
    found = true;
  }
  // (OLD.x / NEW.x, as a trigger writes them: no relation of that name in reach, 42P01; circle-marketplace, bolt-test)
  if (!found && (q === 'old' || q === 'new')) return { ref: r.ref, column: `${q}.${name}`, tables: reach(), missingFrom: true };
  // (not a relation's name: a composite column's field, or a missing FROM entry, 42P01)
  if (!found || !t || has(t, name)) return undefined;
  return { ref: r.ref, column: `${q}.${name}`, tables: reach(), qualifiedBy: t };
}

/** The column of `t` a column reference (a ColumnRef's inner object) names: unqualified or qualified by the table's name (and schema). */
export function ownColumnOf(t: Table, ref: Node): string | undefined {
  const fields: Node[] = ref.fields ?? [];
  const n = fields.length;
  for (let i = 0; i < n; i++) if (sval(fields[i]) === undefined) return undefined; // `*`
  if (n === 0) return undefined;
  if (n === 2 && sval(fields[0]) !== t.name) return undefined;
  if (n > 2 && (sval(fields[n - 2]) !== t.name || sval(fields[n - 3]) !== t.schema)) return undefined;
  const name = sval(fields[n - 1])!;
  return t.columns.includes(name) ? name : undefined;
}

/** Whether the migrations ever create `key` with CREATE TABLE (from what workspaceFacts keeps per file). */
export function createdAsTable(model: Model, key: string): boolean {
  return createdTableKeys(model).has(key);
}

/**
 * Whether the migrations write a CREATE TABLE of `key` that PostgreSQL rejects with a syntax error
 * (ceqy/init's `CONSTRAINT uk UNIQUE (material_id, COALESCE(plant, ''))`) and no CREATE TABLE of it
 * that parses: the table never exists, nor do the policies written for it (42P01).
 */
export function createFailsToParse(model: Model, key: string): boolean {
  return memoModel(model, 'columns:unparsedCreates', (m) => {
    const out = new Set<string>();
    for (const file of m.files) for (const name of unparsedCreatesOf(file)) out.add(m.key(name));
    return out;
  }).has(key) && !createdAsTable(model, key);
}

const CREATE_TABLE_HEAD = /^\s*create\s+(?:(?:global|local)\s+)?(?:(?:temporary|temp|unlogged)\s+)?table\s+(?:if\s+not\s+exists\s+)?("(?:[^"]|"")+"|[a-z_][\w$]*)(?:\s*\.\s*("(?:[^"]|"")+"|[a-z_][\w$]*))?/i;
const unparsed = new WeakMap<ParsedFile, Array<[string | undefined, string]>>();

/** The names of the CREATE TABLE statements of a file that do not parse (the text from the statement before each syntax error). */
function unparsedCreatesOf(file: ParsedFile): Array<[string | undefined, string]> {
  let out = unparsed.get(file);
  if (out) return out;
  out = [];
  const ident = (x: string) => (x.startsWith('"') ? x.slice(1, -1).replace(/""/g, '"') : x.toLowerCase());
  for (const e of file.errors) {
    let from = 0;
    for (const s of file.statements) if (s.origin === 'file' && s.end <= e.start && s.end > from) from = s.end;
    const m = CREATE_TABLE_HEAD.exec(stripComments(file.text.slice(from, e.start)).replace(/^[\s;]+/, ''));
    if (m) out.push(m[2] !== undefined ? [ident(m[1]!), ident(m[2])] : [undefined, ident(m[1]!)]);
  }
  unparsed.set(file, out);
  return out;
}

/** The keys the migrations ever create with CREATE TABLE, once per model. */
function createdTableKeys(model: Model): ReadonlySet<string> {
  return memoModel(model, 'columns:createdTableKeys', (m) => {
    workspaceFacts(m); // (the files' keys, for this model's default schema)
    const out = new Set<string>();
    for (const file of m.files) {
      const f = factsOfFile(file);
      for (let i = 0; i < f.keys.length; i++) if (f.events[i]!.create && !f.events[i]!.view) out.add(f.keys[i]!);
    }
    return out;
  });
}

/** Whether `key` is a view (or materialized view) when the statement at `at` runs: its CREATE VIEWs and DROP VIEWs before it, in migration order. */
export function viewAt(model: Model, key: string, at: { file: string; start: number }): boolean {
  workspaceFacts(model); // (the files' keys, for this model's default schema)
  let exists = false;
  for (const file of model.files) {
    const f = factsOfFile(file);
    const same = file.file === at.file;
    for (let i = 0; i < f.keys.length; i++) {
      const e = f.events[i]!;
      if (same && e.at >= at.start) return exists;
      if (e.view && f.keys[i] === key) exists = e.create;
    }
    if (same) return exists;
  }
  return exists;
}

/** Whether the statement is in a part of the file migrating up never runs (model.ts rollbackSections). */
function rolledBack(file: ParsedFile, stmt: Statement): boolean {
  const sections = rollbackSections(file);
  return sections.length !== 0 && sections.some((r) => r.start <= stmt.start && stmt.start < r.end);
}

/** The CREATE POLICY and ALTER TABLE … ROW LEVEL SECURITY statements the migrations run on a relation named one of `names` (without schema), by file in migration order. */
export function rlsStatementsOn(model: Model, names: ReadonlySet<string>): Array<{ file: ParsedFile; stmt: Statement }> {
  const out: Array<{ file: ParsedFile; stmt: Statement }> = [];
  for (const file of model.files) {
    const f = factsOfFile(file);
    for (let i = 0; i < f.targets.length; i++) if (names.has(f.targets[i]!) && !rolledBack(file, f.rls[i]!)) out.push({ file, stmt: f.rls[i]! });
  }
  return out;
}

/** The ALTER POLICY statements the migrations run, and the CREATE POLICY ones whose clauses their command does not take, by file in migration order. */
export function clauseStatements(model: Model): Array<{ file: ParsedFile; stmt: Statement }> {
  const out: Array<{ file: ParsedFile; stmt: Statement }> = [];
  for (const file of model.files) {
    const list = factsOfFile(file).clauses;
    for (let i = 0; i < list.length; i++) if (!rolledBack(file, list[i]!)) out.push({ file, stmt: list[i]! });
  }
  return out;
}

// ---- a view's columns, for the column walk ----
//
// A policy's sub-select may read a view (neondatabase-labs/social-network-drizzle-rls, Neon's Drizzle
// example: `select user_id from my_chats_participants where chat_id = …` over a view whose
// columns are "chatId" and "userId"): PostgreSQL resolves the names against the view's output
// columns as against a table's, and rejects the CREATE POLICY with 42703 when none has it. The
// walk takes a view as a relation with those columns when they are certain: made by one top-level
// CREATE [MATERIALIZED] VIEW, never dropped, made again, renamed nor given a renamed column, its
// columns named by the statement's column list or each output a name or a plain column
// reference (no `*`, no unnamed expression, whose name PostgreSQL makes up).

/** The relations viewRelation makes: views, not tables (plainTable, madeBefore do not apply). */
const VIEW_RELATIONS = new WeakSet<Table>();
const viewRelations = new WeakMap<View, Table | null>();

/** Whether `t` is a view viewRelation stands in as a table for (a policy reading it says "view", not "table"). */
export function isViewRelation(t: Table): boolean {
  return VIEW_RELATIONS.has(t);
}

/**
 * The view `key` as a table with its output columns, for the column walk, when the migrations make
 * it once at top level and its columns are certain (the same object for the same view: a kept
 * result holds while it is).
 */
export function viewRelation(model: Model, key: string): Table | undefined {
  const v = model.views.get(key);
  if (v === undefined || !stableViews(model).has(key)) return undefined;
  let t = viewRelations.get(v);
  if (t === undefined) {
    const columns = v.foreign || v.stmt.origin !== 'file' ? undefined : viewColumns(v.stmt.node);
    t = columns === undefined ? null : ({ key: v.key, schema: v.schema, name: v.name, columns, created: v.created, nameLoc: v.nameLoc, stmt: v.stmt, parents: [], policies: [] } as unknown as Table);
    if (t !== null) VIEW_RELATIONS.add(t);
    viewRelations.set(v, t);
  }
  return t ?? undefined;
}

/** The keys of the views one CREATE VIEW makes, which no statement drops, makes again or renames, nor renames or drops a column of (once per model). */
function stableViews(model: Model): ReadonlySet<string> {
  return memoModel(model, 'columns:stableViews', (m) => {
    const ws = workspaceFacts(m); // (the files' keys, for this model's default schema)
    const out = new Set<string>();
    if (m.views.size === 0) return out;
    const events = new Map<string, number>();
    for (const file of m.files) {
      const f = factsOfFile(file);
      for (let i = 0; i < f.keys.length; i++) if (m.views.has(f.keys[i]!)) events.set(f.keys[i]!, (events.get(f.keys[i]!) ?? 0) + (f.events[i]!.create && f.events[i]!.view ? 1 : 2));
    }
    // (a column renamed or dropped on it, or on a relation a function's body does not tell)
    const changedOn = new Set<string>();
    let unknownRel = false;
    ws.changedOn.forEach((rels) => {
      if (rels === null) unknownRel = true;
      else rels.forEach((r) => changedOn.add(r));
    });
    if (unknownRel) return out;
    m.views.forEach((v, key) => {
      if (events.get(key) === 1 && !ws.renamedTo.has(v.name) && !changedOn.has(v.name)) out.add(key);
    });
    return out;
  });
}

/** A view's output column names (CREATE VIEW or CREATE MATERIALIZED VIEW … AS SELECT), or undefined where one is not certain. */
function viewColumns(n: Node | undefined): string[] | undefined {
  let q: Node | undefined = n?.query?.SelectStmt;
  // (a UNION's columns are its first branch's)
  while (q?.larg) q = q.larg;
  const targets: Node[] | undefined = q?.targetList;
  if (!targets?.length) return undefined;
  const named: Node[] = n?.aliases ?? n?.into?.colNames ?? [];
  const out: string[] = [];
  for (let i = 0; i < targets.length; i++) {
    const alias = named[i] !== undefined ? sval(named[i]) : undefined;
    if (alias !== undefined) {
      out.push(alias);
      continue;
    }
    const r = targets[i]?.ResTarget;
    if (typeof r?.name === 'string') {
      out.push(r.name);
      continue;
    }
    const fields: Node[] | undefined = r?.val?.ColumnRef?.fields;
    const last = fields?.length ? sval(fields[fields.length - 1]) : undefined;
    if (last === undefined) return undefined; // (`*`, or an expression PostgreSQL names itself)
    out.push(last);
  }
  return out;
}
