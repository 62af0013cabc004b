// A policy comparing a column of its table with a text value, where PostgreSQL has no operator
// for the pair: `tenant_id = auth.jwt() ->> 'tenant_id'` with tenant_id uuid. Text does not cast
// to uuid, integer, boolean, a date or jsonb implicitly, so PostgreSQL rejects the CREATE POLICY
// with 42883 operator does not exist: uuid = text (measured on PGlite, top-level and in a DO
// block). Only what the text tells for certain: a column of the policy's own table, typed by its
// first CREATE TABLE (no plain CREATE TABLE of it after, no column of that name retyped, dropped or
// renamed anywhere; renamed before the policy for certain: its CREATE TABLE type, columns.ts
// renamedFromAt), compared with `=` or `<>` to `->>`, current_setting(…), a cast to text, or a
// one-value sub-select of those; or, inside a sub-select reading tables (its WHERE, a join's ON, a
// CTE's query, a UNION's arms), a column of one of them resolved as PostgreSQL does and typed where
// the migrations leave no doubt (columnTypeOf) — compared with text, or with another such column of
// a type of another kind (noOperatorBetween).
// And a value compared with the rows of a sub-select whose one column is an array:
// `name = ANY (SELECT specialties FROM profiles WHERE …)` compares name with each row's value, the
// whole array (text = text[]), not with its elements, and PostgreSQL rejects the CREATE POLICY with
// 42883 operator does not exist: text = text[] (PGlite; so for `<> ALL`, `IN`, and with the
// sub-select in a second pair of parentheses, which the grammar reads as the same sub-select:
// andrew12-circle/circle-marketplace's `vendor_id IN (SELECT id FROM vendors WHERE name = ANY(SELECT
// specialties FROM profiles …))`). Pure: reads the model.
// Neon Authorize's auth.user_id() (the pg_session_jwt extension) is text too, where the workspace
// shows it is Neon's (neonUserIdIsText): Drizzle's `(select auth.user_id() = "notes"."user_id")`
// with user_id uuid fails with 42883 operator does not exist: text = uuid (kekubhai/ynotnow).
import { callsIn, census, plainCreate, typeName, type Census } from './ast.js';
import { changedColumn, madeBefore, ownColumnOf, recreatedKeptForCertain, renamedFromAt, writtenBefore, type WorkspaceColumnFacts } from './columns.js';
import { journalOf } from './drizzle-journal.js';
import { functionOrder } from './function-order.js';
import type { Model, Policy, Table } from './model.js';
import { nameParts, sval } from './parse.js';
import { fileByName, memoModel } from './policy-exprs.js';
import type { Loc, Node, ParsedFile } from './types.js';

export interface OperatorMismatch {
  /** the comparison (A_Expr), its operator's location, the column and the text operand */
  node: Node;
  location: number;
  column: string;
  columnType: string;
  text: Node;
  op: string;
  /** the column is written on the left */
  columnFirst: boolean;
  /** the text is Neon Authorize's auth.user_id() (pg_session_jwt), or a one-value sub-select of it */
  userId: boolean;
  /** in a sub-select reading tables: the column's table (its key) and the name it is written with there (its alias, else its name), when it is not the policy's own table */
  table?: string;
  relation?: string;
  /** the other operand is a column too (`text` is its reference), of a type in another category than the column's: none casts to the other by itself */
  other?: ComparedColumn;
}

/** A column a comparison names, resolved (its table's key, the name written for the relation, its type). */
export interface ComparedColumn {
  column: string;
  type: string;
  table: string;
  relation: string;
}

/**
 * The category of a built-in type for comparisons: two types of one category compare (integer =
 * numeric, date = timestamp, text = character varying); of two categories, PostgreSQL has no
 * operator and casts neither implicitly (42883, measured on PGlite for each pair). Undefined for
 * any other type (a domain, an enum, citext: not told).
 */
const COMPARED_CATEGORY = new Map<string, string>([
  ['text', 'string'], ['character varying', 'string'], ['character', 'string'],
  ['integer', 'number'], ['bigint', 'number'], ['smallint', 'number'], ['numeric', 'number'], ['real', 'number'], ['double precision', 'number'],
  ['date', 'datetime'], ['timestamp', 'datetime'], ['timestamp with time zone', 'datetime'],
  ['uuid', 'uuid'], ['boolean', 'boolean'], ['jsonb', 'jsonb'],
]);

/** Whether a type is one of text's kind (text, character varying, character). */
export function isStringType(t: string): boolean {
  return COMPARED_CATEGORY.get(t) === 'string';
}

/** Whether PostgreSQL has no `=` / `<>` operator for two column types (both built-in, of two categories). */
export function noOperatorBetween(a: string, b: string): boolean {
  const x = COMPARED_CATEGORY.get(a);
  const y = COMPARED_CATEGORY.get(b);
  return x !== undefined && y !== undefined && x !== y;
}

/**
 * A value compared with the rows of a sub-select whose one column is an array (`x = ANY (SELECT
 * arr …)`, `x <> ALL (…)`, `x IN (…)`): PostgreSQL has no operator for the value's type and the
 * array's.
 */
export interface ArraySubselectMismatch {
  /** the SubLink, its location (the operator's, or IN's) and operator (`=` for IN, `<>` for `!=`) */
  node: Node;
  location: number;
  op: string;
  /** as written: `op ANY (…)` (or SOME), `op ALL (…)`, `IN (…)` */
  form: 'ANY' | 'ALL' | 'IN';
  /** the compared value and its type, as PostgreSQL names it; for a column, the name of the relation it is of where it is written (its alias, else its name) */
  left: Node;
  leftType: string;
  leftRelation?: string;
  /** the sub-select's column (a ColumnRef node), its table's key and its name, and its type (`text[]`) */
  target: Node;
  table: string;
  column: string;
  arrayType: string;
}

/**
 * Built-in scalar types (as typeName gives them, PostgreSQL's names) that have no comparison
 * operator with an array: a value of one compared with an array fails with 42883.
 */
const SCALAR_TYPES = new Set(['text', 'character varying', 'character', 'uuid', 'integer', 'bigint', 'smallint', 'numeric', 'boolean', 'date', 'timestamp', 'timestamp with time zone', 'real', 'double precision', 'jsonb']);

/** Types with no operator against text and no implicit cast from it (PostgreSQL's names, as typeName gives them). */
const NO_TEXT_OPERATOR = new Set(['uuid', 'integer', 'bigint', 'smallint', 'numeric', 'boolean', 'date', 'timestamp', 'timestamp with time zone', 'jsonb', 'real', 'double precision']);

// ---- Neon Authorize's auth.user_id() ----

/** Whether a call is `auth.user_id()`, written so: schema-qualified, no arguments. */
function isUserIdCall(f: Node): boolean {
  const name = nameParts(f?.funcname);
  return name.length === 2 && name[0] === 'auth' && name[1] === 'user_id' && !f.args?.length && !f.agg_star && !f.func_variadic && !f.over;
}

/** Whether an expression calls `auth.user_id()` (isUserIdCall) anywhere. */
export function callsUserId(node: Node): boolean {
  return callsIn(node).some((c) => isUserIdCall(c.node));
}

/** Per parsed file: whether its text names pg_session_jwt or calls auth.user_id() (most files do neither: nothing more is looked at). */
const mentionsNeonAuth = new WeakMap<ParsedFile, boolean>();
const NEON_AUTH_TEXT = /pg_session_jwt|\bauth"?\s*\.\s*"?user_id"?\s*\(/i;

/** A Drizzle Kit migration: its folder's meta/_journal.json lists it, or it has drizzle-kit's `--> statement-breakpoint` markers. */
function isDrizzleMigration(model: Model, file: ParsedFile): boolean {
  return file.text.includes('--> statement-breakpoint') || journalOf(file.file, model.config.drizzleJournals ?? []) !== undefined;
}

/**
 * Whether `auth.user_id()` in the workspace's policies is Neon Authorize's: the pg_session_jwt
 * extension's, which returns the JWT's `sub` as text (`CREATE FUNCTION auth."user_id"() RETURNS
 * TEXT` in its sql/pg_session_jwt--0.1.0--0.1.1.sql; its README: `auth.user_id() → text`). Only
 * where nothing else can have made it and the workspace shows Neon Authorize:
 * - not a Supabase project (there auth.user_id() does not exist: the call fails with 42883
 *   function auth.user_id() does not exist, another error);
 * - no migration creates, renames or moves a function named user_id (in any schema: an
 *   unqualified CREATE FUNCTION may make it in auth), and no dynamic SQL may create a function:
 *   a workspace's own auth.user_id() keeps its own type;
 * - and a migration runs `CREATE EXTENSION pg_session_jwt`, or Drizzle Kit generated a policy with
 *   drizzle-orm/neon's helpers: a CREATE POLICY of a Drizzle Kit migration (isDrizzleMigration),
 *   TO authenticated or anonymous (its authenticatedRole, anonymousRole: the roles Neon makes),
 *   calling auth.user_id() (its authUid, `(select auth.user_id() = col)`, as crudPolicy writes it).
 *   Neon enables the extension outside the migrations (the console), so Drizzle's policies are
 *   often all there is to see.
 * Once per model; the verdicts rejected.ts keeps across models are kept with it.
 */
export function neonUserIdIsText(model: Model): boolean {
  return memoModel(model, 'operators:neonUserId', (m) => {
    if (m.supabase) return false;
    let mentioned = false;
    for (const f of m.files) {
      let hit = mentionsNeonAuth.get(f);
      if (hit === undefined) mentionsNeonAuth.set(f, (hit = NEON_AUTH_TEXT.test(f.text)));
      if (hit) mentioned = true;
    }
    if (!mentioned) return false;
    const order = functionOrder(m);
    if (order.dynamic || order.renamed.has('user_id') || order.creationsOf('user_id') !== undefined || m.functions.has('auth.user_id')) return false;
    for (const { file, stmt } of m.statements) {
      if (stmt.kind === 'CreateExtensionStmt' && String(stmt.node?.extname ?? '') === 'pg_session_jwt' && mentionsNeonAuth.get(file)) return true;
    }
    const drizzle = new Map<string, boolean>();
    for (const p of m.policies) {
      if (!p.roles.includes('authenticated') && !p.roles.includes('anonymous')) continue;
      let d = drizzle.get(p.created.file);
      if (d === undefined) {
        const file = fileByName(m, p.created.file);
        drizzle.set(p.created.file, (d = !!file && mentionsNeonAuth.get(file) === true && isDrizzleMigration(m, file)));
      }
      if (!d) continue;
      for (const e of [p.using, p.withCheck]) if (e && callsIn(e).some((c) => isUserIdCall(c.node))) return true;
    }
    return false;
  });
}

/**
 * Whether an expression is text for certain: `x ->> 'k'`, current_setting(…), `…::text`, Neon's
 * auth.user_id() (`userIdText`: neonUserIdIsText), or a sub-select of one such value.
 */
function isText(n: Node, userIdText: boolean): boolean {
  if (!n || typeof n !== 'object') return false;
  const e = n.A_Expr;
  if (e && e.kind === 'AEXPR_OP' && sval(e.name?.[e.name.length - 1]) === '->>') return true;
  const f = n.FuncCall;
  if (f) {
    if (userIdText && isUserIdCall(f)) return true;
    const name = nameParts(f.funcname);
    return name.length <= 2 && name[name.length - 1] === 'current_setting' && (name.length === 1 || name[0] === 'pg_catalog') && (f.args?.length === 1 || f.args?.length === 2);
  }
  const c = n.TypeCast;
  if (c) return typeName(c.typeName) === 'text';
  const s = n.SubLink;
  if (s && s.subLinkType === 'EXPR_SUBLINK') {
    const sel = s.subselect?.SelectStmt;
    const targets = sel?.targetList ?? [];
    if (!sel || sel.fromClause?.length || targets.length !== 1) return false;
    return isText(targets[0]?.ResTarget?.val, userIdText);
  }
  return false;
}

/** Whether a text operand is auth.user_id(), or a one-value sub-select of it. */
function isUserIdValue(n: Node): boolean {
  if (n?.FuncCall) return isUserIdCall(n.FuncCall);
  const sel = n?.SubLink?.subLinkType === 'EXPR_SUBLINK' ? n.SubLink.subselect?.SelectStmt : undefined;
  return !!sel && !sel.fromClause?.length && sel.targetList?.length === 1 && isUserIdValue(sel.targetList[0]?.ResTarget?.val);
}

/** The first comparison of a column of the policy's table with a text value PostgreSQL has no operator for. */
export function operatorMismatchOf(model: Model, p: Policy, ws: WorkspaceColumnFacts): OperatorMismatch | undefined {
  // (one in a DO block fails there if it runs, and its block with it: either way it does not exist)
  if (p.stmt.kind !== 'CreatePolicyStmt' || ws.dynamic) return undefined;
  const t = model.tables.get(p.table);
  // (a table made IF NOT EXISTS is the one written, where the migrations make it first: kan01's
  // idempotent `create table if not exists public.kanban_stages (… org_id uuid …)`; one a later
  // plain CREATE TABLE makes again is the first, when each of those fails for certain, 42P07:
  // b2b-materialidad-v2's profiles, whose `id uuid` a policy compares with auth.jwt() ->> 'sub')
  if (!t || t.stmt.kind !== 'CreateStmt' || (ws.recreated.has(t.key) && !recreatedKeptForCertain(model, ws, t))) return undefined;
  // (no column, nothing to compare; no text operand — isText: `->>`, a cast, current_setting(),
  // auth.user_id() — no comparison with text: most policies' census says so without a walk)
  const using = p.stmt.node?.qual;
  const check = p.stmt.node?.with_check;
  // (a column compared with another: only where a sub-select reads a table — at the top, two
  // columns of the policy's own table, which its CREATE TABLE types alike in practice)
  const cu = using ? census(using) : undefined;
  const cc = check ? census(check) : undefined;
  const pairsInUsing = !!cu && comparesColumns(cu);
  const pairsInCheck = !!cc && comparesColumns(cc);
  const inUsing = !!cu && (pairsInUsing || mayCompareText(cu));
  const inCheck = !!cc && (pairsInCheck || mayCompareText(cc));
  if (!inUsing && !inCheck) return undefined;
  let types: Map<string, string> | undefined;
  // (the type of a column of the policy's table, as its CREATE TABLE writes it, for certain)
  const typeOf = (column: string): string | undefined => {
    if (!types) {
      types = new Map();
      for (const el of t.stmt.node?.tableElts ?? []) if (el?.ColumnDef?.colname) types.set(el.ColumnDef.colname, typeName(el.ColumnDef.typeName));
    }
    const type = types.get(column);
    // (a column a RENAME COLUMN before the policy gave this name keeps its type: the name its CREATE TABLE wrote, for certain)
    if (type === undefined && ws.changed.size !== 0 && t.columns.includes(column) && !changedColumn(ws, column, t.name) && ws.changedOn.get(column) !== null) {
      const from = renamedFromAt(model, ws, t, column, p.created);
      return from !== undefined ? types.get(from) : undefined;
    }
    return type !== undefined && !changedColumn(ws, column, t.name) ? type : undefined;
  };
  // (a column reference resolved where it is written, with its type for certain)
  const columnAt = (ref: Node, scopes: readonly Scope[]): ComparedColumn | undefined => {
    if (scopes.length === 0) {
      const column = ownColumnOf(t, ref);
      const type = column !== undefined ? typeOf(column) : undefined;
      return type !== undefined ? { column: column!, type, table: t.key, relation: t.name } : undefined;
    }
    const r = resolveColumn(model, ref, scopes, t);
    const type = r ? columnTypeOf(model, ws, r.table, r.column, p.created) : undefined;
    return type !== undefined ? { column: r!.column, type, table: r!.table.key, relation: r!.refname } : undefined;
  };
  let found: OperatorMismatch | undefined;
  let userIdText: boolean | undefined;
  const text = (n: Node) => isText(n, (userIdText ??= neonUserIdIsText(model)));
  let pairs = false;
  // (`scopes`: the FROM lists of the sub-selects around, innermost first; none at the top;
  // `ctes`: the names the WITH clauses around give, which no FROM list in their reach resolves to a table)
  const visitSelect = (sel: Node, scopes: Scope[], ctes: ReadonlySet<string> | undefined): void => {
    if (found || !sel) return;
    // (a UNION's arms, each a SELECT of its own; a CTE's query, where the names before it are in reach)
    if (sel.larg || sel.rarg) {
      visitSelect(sel.larg, scopes, ctes);
      visitSelect(sel.rarg, scopes, ctes);
      return;
    }
    // (every name the WITH clause gives, for each of its queries too: a CTE may read the ones
    // before it, and a recursive one itself; taken as CTEs where they may be, a name is never a table it is not)
    let names = ctes;
    const list: Node[] = sel.withClause?.ctes ?? [];
    if (list.length !== 0) {
      names = new Set(ctes ?? []);
      for (const c of list) if (c?.CommonTableExpr?.ctename) (names as Set<string>).add(c.CommonTableExpr.ctename);
      for (const c of list) visitSelect(c?.CommonTableExpr?.ctequery?.SelectStmt, scopes, names);
    }
    // (a sub-select without a FROM list has no tables of its own: its columns are those in reach,
    // the policy's table's at the top (Drizzle's `(select auth.user_id() = "notes"."user_id")`);
    // one with a FROM list: its names resolved against its tables, then those around, as
    // PostgreSQL does (resolveColumn), typed where the migrations leave no doubt (columnTypeOf))
    const inner = sel.fromClause?.length ? [scopeOf(sel, false, names), ...scopes] : scopes;
    visit(sel.targetList, inner, names);
    visit(sel.whereClause, inner, names);
    visit(sel.havingClause, inner, names);
    // (a join's ON condition: its names resolve against the FROM list too)
    for (const item of sel.fromClause ?? []) visitJoins(item, inner, names);
  };
  const visitJoins = (item: Node, scopes: Scope[], ctes: ReadonlySet<string> | undefined): void => {
    const j = item?.JoinExpr;
    if (!j) return;
    visitJoins(j.larg, scopes, ctes);
    visitJoins(j.rarg, scopes, ctes);
    visit(j.quals, scopes, ctes);
  };
  const visit = (n: Node, scopes: Scope[], ctes: ReadonlySet<string> | undefined): void => {
    if (found || !n || typeof n !== 'object') return;
    if (Array.isArray(n)) {
      for (const x of n) visit(x, scopes, ctes);
      return;
    }
    if (n.SubLink) {
      visit(n.SubLink.testexpr, scopes, ctes);
      visitSelect(n.SubLink.subselect?.SelectStmt, scopes, ctes);
      return;
    }
    const e = n.A_Expr;
    if (e && e.kind === 'AEXPR_OP' && (e.name?.length ?? 0) === 1) {
      const op = sval(e.name[0]);
      if (op === '=' || op === '<>' || op === '!=') {
        for (const [col, other, columnFirst] of [
          [e.lexpr, e.rexpr, true],
          [e.rexpr, e.lexpr, false],
        ] as const) {
          const ref = col?.ColumnRef;
          // (the text operand first: cheap, and most comparisons have none)
          if (!ref || !text(other)) continue;
          const c = columnAt(ref, scopes);
          if (c !== undefined && NO_TEXT_OPERATOR.has(c.type)) {
            found = { node: n, location: typeof e.location === 'number' ? e.location : -1, column: c.column, columnType: c.type, text: other, op: op === '!=' ? '<>' : op, columnFirst, userId: userIdText === true && isUserIdValue(other), ...(c.table !== t.key ? { table: c.table, relation: c.relation } : undefined) };
            return;
          }
        }
        // (two columns: in a sub-select, of types PostgreSQL has no operator for)
        if (pairs && scopes.length !== 0 && e.lexpr?.ColumnRef && e.rexpr?.ColumnRef) {
          const a = columnAt(e.lexpr.ColumnRef, scopes);
          const b = a ? columnAt(e.rexpr.ColumnRef, scopes) : undefined;
          if (a && b && noOperatorBetween(a.type, b.type)) {
            found = { node: n, location: typeof e.location === 'number' ? e.location : -1, column: a.column, columnType: a.type, text: e.rexpr, op: op === '!=' ? '<>' : op, columnFirst: true, userId: false, table: a.table, relation: a.relation, other: b };
            return;
          }
        }
      }
    }
    for (const k in n) {
      const v = n[k];
      if (v && typeof v === 'object') visit(v, scopes, ctes);
    }
  };
  if (inUsing) {
    pairs = pairsInUsing;
    visit(using, [], undefined);
  }
  if (inCheck && !found) {
    pairs = pairsInCheck;
    visit(check, [], undefined);
  }
  return found;
}

/** Whether a tree of this census may compare two columns in a sub-select reading a table (a superset). */
function comparesColumns(c: Census): boolean {
  return c.columnRefs.length >= 2 && c.rangeVars.length !== 0;
}

/** Whether a tree of this census may hold an operand isText takes for text (a superset: its `->>`, cast, current_setting() or auth.user_id() call is somewhere in the tree). */
function mayCompareText(c: Census): boolean {
  if (c.columnRefs.length === 0) return false;
  if (c.typeCast || c.currentSetting || c.arrowText) return true;
  for (let i = 0; i < c.funcCalls.length; i++) if (isUserIdCall(c.funcCalls[i]!)) return true;
  return false;
}

// ---- a value compared with a sub-select's array column ----

/** A SELECT's FROM list (RangeVars), or null where it may name what is not a table column (a sub-query or function in FROM, an aliased join, column aliases, a CTE). */
type Scope = Node[] | null;

function scopeOf(sel: Node, cte: boolean, ctes?: ReadonlySet<string>): Scope {
  if (cte) return null;
  const out: Node[] = [];
  const add = (item: Node): boolean => {
    const rv = item?.RangeVar;
    if (rv) {
      // (a name a WITH clause gives is its CTE's rows, not a table)
      if (rv.alias?.colnames?.length || (ctes !== undefined && !rv.schemaname && ctes.has(rv.relname))) return false;
      out.push(rv);
      return true;
    }
    const j = item?.JoinExpr;
    return !!j && !j.alias && add(j.larg) && add(j.rarg);
  };
  for (const item of sel.fromClause ?? []) if (!add(item)) return null;
  return out;
}

/**
 * Calls `f` with each SubLink of an expression and the FROM lists in its reach, innermost first
 * (a join's ON condition and what a FROM list holds are not looked into); stops when `f` returns true.
 */
function eachSubLink(n: Node, scopes: Scope[], cte: boolean, f: (s: Node, scopes: Scope[]) => boolean): boolean {
  if (!n || typeof n !== 'object') return false;
  if (Array.isArray(n)) {
    for (let i = 0; i < n.length; i++) if (eachSubLink(n[i], scopes, cte, f)) return true;
    return false;
  }
  for (const k in n) {
    const v = n[k];
    if (!v || typeof v !== 'object') continue;
    if (k === 'SubLink') {
      if (f(v, scopes) || eachSubLink(v.testexpr, scopes, cte, f) || eachSubLink(v.subselect, scopes, cte, f)) return true;
    } else if (k === 'SelectStmt' || k === 'larg' || k === 'rarg') {
      if (eachSelect(v, scopes, cte, f)) return true;
    } else if (eachSubLink(v, scopes, cte, f)) return true;
  }
  return false;
}

function eachSelect(sel: Node, scopes: Scope[], cte: boolean, f: (s: Node, scopes: Scope[]) => boolean): boolean {
  const withCte = cte || !!sel.withClause;
  if (sel.larg || sel.rarg) return eachSelect(sel.larg, scopes, withCte, f) || eachSelect(sel.rarg, scopes, withCte, f);
  const inner = [scopeOf(sel, withCte), ...scopes];
  for (const k in sel) {
    if (k === 'fromClause' || k === 'withClause') continue;
    if (eachSubLink(sel[k], inner, withCte, f)) return true;
  }
  return false;
}

/**
 * The table column a column reference (a ColumnRef's inner object) names, resolved as PostgreSQL
 * does: the FROM lists in reach, innermost first, then the policy's table (`own`). Undefined
 * where that is not certain: a relation the model does not hold as a table, a name two tables of
 * one FROM list have (42702), a FROM list that may name other things.
 */
function resolveColumn(model: Model, ref: Node, scopes: readonly Scope[], own: Table | undefined): { table: Table; column: string; refname: string } | undefined {
  const fields: Node[] = ref?.fields ?? [];
  if (fields.length === 0 || fields.length > 2) return undefined;
  const names: string[] = [];
  for (let i = 0; i < fields.length; i++) {
    const x = sval(fields[i]);
    if (x === undefined) return undefined; // (`*`)
    names.push(x);
  }
  const column = names[names.length - 1]!;
  for (const scope of scopes) {
    if (scope === null) return undefined;
    let found: Table | undefined;
    let refname = '';
    let count = 0;
    for (const rv of scope) {
      if (names.length === 2 && (rv.alias?.aliasname ?? rv.relname) !== names[0]) continue;
      const t = model.tables.get(model.relKey(rv));
      if (!t) return undefined;
      if (names.length === 2) {
        // (the relation the name qualifies: it has the column, or PostgreSQL fails otherwise)
        if (count++ !== 0) return undefined;
        found = t.columns.includes(column) ? t : undefined;
        if (!found) return undefined;
        refname = names[0]!;
      } else if (t.columns.includes(column)) {
        if (count++ !== 0) return undefined;
        found = t;
        refname = rv.alias?.aliasname ?? rv.relname;
      }
    }
    if (found) return { table: found, column, refname };
  }
  if (!own) return undefined;
  const c = ownColumnOf(own, ref);
  return c === undefined ? undefined : { table: own, column: c, refname: own.name };
}

/** The type of the column of a CREATE TABLE statement, if it lists it. */
function defType(cols: Node[] | undefined, column: string): string | undefined {
  for (const e of cols ?? []) if (e?.ColumnDef?.colname === column) return typeName(e.ColumnDef.typeName);
  return undefined;
}

/**
 * The type of a table's column where the migrations leave no doubt, when a statement written before
 * `at` gives it: every CREATE TABLE of the table and ALTER TABLE … ADD COLUMN of the column gives
 * the same type (a plain column list; no ALTER TABLE retyping, dropping or renaming a column of that
 * name; not a table made before its CREATE TABLE IF NOT EXISTS). Undefined otherwise.
 */
function columnTypeOf(model: Model, ws: WorkspaceColumnFacts, t: Table, column: string, at: Loc): string | undefined {
  if (!plainCreate(t.stmt) || changedColumn(ws, column, t.name)) return undefined;
  let type = defType(t.stmt.node?.tableElts, column);
  let before = type !== undefined && writtenBefore(model, t.created, at);
  const adds = ws.adds.get(t.key);
  for (const a of adds ?? []) {
    if (a.column !== column) continue;
    const stmt = fileByName(model, a.loc.file)?.statements.find((s) => s.start === a.loc.start && s.kind === 'AlterTableStmt');
    let added: string | undefined;
    for (const c of stmt?.node?.cmds ?? []) {
      const cmd = c?.AlterTableCmd;
      if (cmd?.subtype === 'AT_AddColumn' && cmd.def?.ColumnDef?.colname === column) added = typeName(cmd.def.ColumnDef.typeName);
    }
    if (added === undefined || (type !== undefined && added !== type)) return undefined;
    type = added;
    if (writtenBefore(model, a.loc, at)) before = true;
  }
  if (type === undefined || !before || madeBefore(model, t)) return undefined;
  // (a table a plain CREATE TABLE makes again: PostgreSQL keeps the first, the model may hold
  // another; each that lists the column must agree — circle-marketplace's profiles)
  if (ws.recreated.has(t.key)) {
    for (const f of model.files) {
      for (const s of f.statements) {
        if (s.kind !== 'CreateStmt') continue;
        const rel = s.node?.relation;
        if (!rel?.relname || model.key([rel.schemaname, rel.relname]) !== t.key) continue;
        if (!plainCreate(s)) return undefined;
        const other = defType(s.node.tableElts, column);
        if (other !== undefined && other !== type) return undefined;
      }
    }
  }
  return type;
}

/** The type of a value compared with an array (a column resolved in reach, `->>` or another text value, a cast), when it is a built-in scalar. */
function scalarTypeOf(model: Model, ws: WorkspaceColumnFacts, n: Node, scopes: readonly Scope[], own: Table | undefined, at: Loc): { type: string; relation?: string } | undefined {
  if (n?.ColumnRef) {
    const r = resolveColumn(model, n.ColumnRef, scopes, own);
    const type = r ? columnTypeOf(model, ws, r.table, r.column, at) : undefined;
    return type !== undefined && SCALAR_TYPES.has(type) ? { type, relation: r!.refname } : undefined;
  }
  if (isText(n, neonUserIdIsText(model))) return { type: 'text' };
  const cast = n?.TypeCast ? typeName(n.TypeCast.typeName) : undefined;
  return cast !== undefined && SCALAR_TYPES.has(cast) ? { type: cast } : undefined;
}

/** The operator and form of `x = ANY (SELECT …)` (`IN`, `<> ALL`, `!= ALL`: an ANY or ALL sub-link with `=`, `<>` or `!=`). */
function subLinkOperator(s: Node): { op: '=' | '<>'; form: 'IN' | 'ANY' | 'ALL' } | undefined {
  if (s.subLinkType !== 'ANY_SUBLINK' && s.subLinkType !== 'ALL_SUBLINK') return undefined;
  const opName: Node[] | undefined = s.operName;
  if (opName && opName.length !== 1) return undefined;
  const written = opName ? sval(opName[0]) : '=';
  if (written !== '=' && written !== '<>' && written !== '!=') return undefined;
  return { op: written === '=' ? '=' : '<>', form: !opName ? 'IN' : s.subLinkType === 'ALL_SUBLINK' ? 'ALL' : 'ANY' };
}

/**
 * The sub-select of `x = ANY (SELECT y …)` (subLinkOperator) when it is one plain SELECT of one
 * value: it and that value's expression.
 */
function comparedSubselect(s: Node): { sel: Node; target: Node | undefined; op: '=' | '<>'; form: 'IN' | 'ANY' | 'ALL' } | undefined {
  const operator = subLinkOperator(s);
  if (!operator) return undefined;
  const sel = s.subselect?.SelectStmt;
  const targets: Node[] = sel?.targetList ?? [];
  if (!sel || sel.larg || sel.rarg || targets.length !== 1) return undefined;
  return { sel, target: targets[0]?.ResTarget?.val, ...operator };
}

/** comparedSubselect's sub-select when it is a UNION (`UNION ALL`) of plain SELECTs of one value each, with its arms (`target`: the first arm's). */
function comparedUnion(s: Node): (NonNullable<ReturnType<typeof comparedSubselect>> & { arms: Array<{ sel: Node; target: Node | undefined }> }) | undefined {
  const operator = subLinkOperator(s);
  const top = s.subselect?.SelectStmt;
  if (!operator || !top || top.op !== 'SETOP_UNION' || top.withClause) return undefined;
  const arms: Array<{ sel: Node; target: Node | undefined }> = [];
  const add = (sel: Node): boolean => {
    if (!sel) return false;
    if (sel.op === 'SETOP_UNION' && !sel.withClause) return add(sel.larg?.SelectStmt ?? sel.larg) && add(sel.rarg?.SelectStmt ?? sel.rarg);
    if (sel.op && sel.op !== 'SETOP_NONE') return false;
    const targets: Node[] = sel.targetList ?? [];
    if (targets.length !== 1) return false;
    arms.push({ sel, target: targets[0]?.ResTarget?.val });
    return true;
  };
  return add(top) ? { sel: top, target: arms[0]!.target, ...operator, arms } : undefined;
}

function comparesSubselect(c: Census): boolean {
  return c.anyAllSubLink && c.rangeVars.length !== 0;
}

/**
 * At one SubLink (its FROM lists in reach: `scopes`): a `x = ANY (SELECT arr …)` (`<> ALL`, `IN`)
 * where x is a built-in scalar and arr an array column of a built-in type: PostgreSQL compares x
 * with each row's whole array and has no operator for the pair (42883).
 */
function arrayMismatchAt(model: Model, ws: WorkspaceColumnFacts, p: Policy, own: Table | undefined, s: Node, scopes: Scope[]): ArraySubselectMismatch | undefined {
  const one = comparedSubselect(s);
  if (!one) return undefined;
  const { sel, target, op, form } = one;
  if (!target?.ColumnRef) return undefined;
  const inner = [scopeOf(sel, !!sel.withClause), ...scopes];
  const col = resolveColumn(model, target.ColumnRef, inner, own);
  const type = col ? columnTypeOf(model, ws, col.table, col.column, p.created) : undefined;
  if (!col || type === undefined || !type.endsWith('[]')) return undefined;
  const base = type.slice(0, type.indexOf('['));
  if (!SCALAR_TYPES.has(base)) return undefined;
  const left = scalarTypeOf(model, ws, s.testexpr, scopes, own, p.created);
  if (left === undefined) return undefined;
  return {
    node: s,
    location: typeof s.location === 'number' ? s.location : -1,
    op,
    form,
    left: s.testexpr,
    leftType: left.type,
    leftRelation: left.relation,
    target,
    table: col.table.key,
    column: col.column,
    arrayType: `${base}[]`,
  };
}

/**
 * The first of each kind in walk order of a policy's sub-select comparisons PostgreSQL has no
 * operator for (arrayMismatchAt, textMismatchAt), from one walk of its SubLinks (it stops once both
 * are found); not kept.
 */
export function subselectMismatchesOf(model: Model, p: Policy, ws: WorkspaceColumnFacts): { arraySubselect: ArraySubselectMismatch | undefined; subselectText: SubselectTextMismatch | undefined } {
  const out: { arraySubselect: ArraySubselectMismatch | undefined; subselectText: SubselectTextMismatch | undefined } = { arraySubselect: undefined, subselectText: undefined };
  if (p.stmt.kind !== 'CreatePolicyStmt' || ws.dynamic) return out;
  const node = p.stmt.node;
  const using = node?.qual;
  const check = node?.with_check;
  // (no FROM list, no sub-select reading a column; no IN / ANY / ALL of a sub-select, nothing
  // comparedSubselect takes: most policies' census says so without a walk)
  const inUsing = !!using && comparesSubselect(census(using));
  const inCheck = !!check && comparesSubselect(census(check));
  if (!inUsing && !inCheck) return out;
  const own = model.tables.get(p.table);
  const visit = (s: Node, scopes: Scope[]): boolean => {
    if (out.arraySubselect === undefined) out.arraySubselect = arrayMismatchAt(model, ws, p, own, s, scopes);
    if (out.subselectText === undefined) out.subselectText = textMismatchAt(model, ws, p, own, s, scopes);
    return out.arraySubselect !== undefined && out.subselectText !== undefined;
  };
  if (inUsing && eachSubLink(using, [], false, visit)) return out;
  if (inCheck) eachSubLink(check, [], false, visit);
  return out;
}

// ---- a value compared with a sub-select's text, or text with a sub-select's value ----

/**
 * A value compared with the rows of a sub-select whose one column is text where the value is a
 * uuid, integer, boolean, date or jsonb (or text with a sub-select of such a column):
 * `(storage.foldername(name))[1]::uuid IN (SELECT id::text FROM properties …)` looks for an
 * operator uuid = text, finds none, and PostgreSQL rejects the CREATE POLICY with 42883 (PGlite;
 * `= ANY`, `<> ALL` and NOT IN alike).
 */
export interface SubselectTextMismatch {
  /** the SubLink, its location (the operator's, or IN's) and operator (`=` for IN, `<>` for `!=`) */
  node: Node;
  location: number;
  op: string;
  form: 'ANY' | 'ALL' | 'IN';
  /** the compared value and its type */
  left: Node;
  leftType: string;
  /** the sub-select's one value and its type (one of them is text) */
  target: Node;
  targetType: string;
}

/** The type of a sub-select's one value when it is certain: text (`x::text`, `->>`, current_setting(), a text column), a cast to a type with no text operator, or a column of such a type. */
function subselectValueType(model: Model, ws: WorkspaceColumnFacts, target: Node, scopes: readonly Scope[], own: Table | undefined, at: Loc): string | undefined {
  if (isText(target, neonUserIdIsText(model))) return 'text';
  if (target?.TypeCast) {
    const cast = typeName(target.TypeCast.typeName);
    return NO_TEXT_OPERATOR.has(cast) ? cast : undefined;
  }
  if (target?.ColumnRef) {
    const col = resolveColumn(model, target.ColumnRef, scopes, own);
    const type = col ? columnTypeOf(model, ws, col.table, col.column, at) : undefined;
    return type !== undefined && (type === 'text' || NO_TEXT_OPERATOR.has(type)) ? type : undefined;
  }
  return undefined;
}

/**
 * At one SubLink (its FROM lists in reach: `scopes`): a `x IN (SELECT y …)` (`= ANY`, `<> ALL`)
 * where one of x and y is text and the other a uuid, integer, boolean, date or jsonb, each for
 * certain (a cast, `->>`, a column whose type the migrations leave no doubt about): 42883.
 */
function textMismatchAt(model: Model, ws: WorkspaceColumnFacts, p: Policy, own: Table | undefined, s: Node, scopes: Scope[]): SubselectTextMismatch | undefined {
  const one: (ReturnType<typeof comparedSubselect> & { arms?: Array<{ sel: Node; target: Node | undefined }> }) | undefined = comparedSubselect(s) ?? comparedUnion(s);
  if (!one) return undefined;
  const { sel, target, op, form } = one;
  if (!target) return undefined;
  const left = scalarTypeOf(model, ws, s.testexpr, scopes, own, p.created)?.type;
  if (left === undefined || (left !== 'text' && !NO_TEXT_OPERATOR.has(left))) return undefined;
  // (a UNION's rows are of the type its arms agree on: each arm's one value of one type, for certain —
  // arms of two types fail otherwise, 42804, which is not this)
  let type: string | undefined;
  for (const arm of one.arms ?? [{ sel, target }]) {
    const t = arm.target ? subselectValueType(model, ws, arm.target, [scopeOf(arm.sel, !!arm.sel.withClause), ...scopes], own, p.created) : undefined;
    if (t === undefined || (type !== undefined && t !== type)) return undefined;
    type = t;
  }
  if (type === undefined || (left === 'text') === (type === 'text')) return undefined;
  return {
    node: s,
    location: typeof s.location === 'number' ? s.location : -1,
    op,
    form,
    left: s.testexpr,
    leftType: left,
    target,
    targetType: type,
  };
}
