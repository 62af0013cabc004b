// Helpers over policy expressions (USING / WITH CHECK): where each expression's text is,
// constant folding of tautologies, row-independent calls, the functions policies call, and
// which relations policies read inside sub-selects. Pure: reads the model.
import { BUILTIN_SETTINGS } from './builtin-settings.js';
import { anchorAt, callSpan, callsIn, census, hasSubLink, clauseSpan, compareConstants, constValue, fitted, stringConst, TEXT_TYPES, memoised, memoisedAt, nodeFacts, nodeFactsFor, idOf, relationsIn, typeName, type NodeFacts } from './ast.js';
import type { Func, Model, Policy, Table } from './model.js';
import { isRejected, rejectedPolicies } from './rejected.js';
import { createdAsTable, createFailsToParse } from './columns.js';
import { nameParts, sqlOneLine, stringValue, sval } from './parse.js';
import type { Loc, Node, ParsedFile, Span, Statement } from './types.js';

export type Clause = 'using' | 'check';

export interface PolicyExpr {
  clause: Clause;
  node: Node;
  /** the file the node's locations refer to (the CREATE POLICY, or the ALTER POLICY that set it) */
  file: string;
  /** the statement the expression was written in */
  stmt: Loc;
}

/** A policy of the model with what rules ask of it first (built once per model, in model order). */
export interface PolicyRow {
  policy: Policy;
  /** its table, when the workspace creates it */
  table: Table | undefined;
  /** PostgreSQL applies it (see activePolicies) */
  active: boolean;
  exprs: PolicyExpr[];
  using?: PolicyExpr;
  check?: PolicyExpr;
  /** exprFlags of its USING and of its WITH CHECK (0 when there is none, or the row is not active) */
  usingFlags: number;
  checkFlags: number;
  /** clauseUses of the row, once asked (unset-context.ts rowUses) */
  uses?: import('./unset-context.js').ClauseUse[];
  /** the rules' bits of the row, once asked (rules/lib/util.ts policyFacts: made of its policy and its table's grants) */
  bits?: number;
  /** the last result of unset-context.ts policyKeeper, with its question and the functionsToken it holds under */
  kept?: { what: string; token: object; v: unknown };
}

/**
 * Rows are kept on their policy's statement (stmt.memo.policyRow), the last one made for it: a
 * row is made of its policy and table alone, and a re-lint's model holds the same policy and
 * table objects where its replay kept them (a file before the edited one, or a segment redone),
 * so the row found there is that policy's while `row.policy` and `row.table` are the model's.
 * A policy object of a replayed file is new while its statement, nodes and locations often are
 * not: its row is new, with the PolicyExpr records and flags of the row before (sameContent).
 * One record per policy: a row and a record of the statement's expressions apart, and the rows
 * in a WeakMap by policy, were ≈ 1.1 MB more of the bench's cold lint (measured with a gc before
 * and after the index: 4.9 → 3.8 MB with the PolicyExpr records and lists) and a WeakMap entry
 * each to make and look up.
 *
 * A statement is replayed once per model (model.ts replayOrder: a file included twice runs
 * once), so no two live policies share one; were they to, they would take turns on the memo and
 * each re-lint would make their rows again (correct, only slower). A statement an edit moves has its
 * file replayed: its policy is a new object, so its row is new, and nothing in a row is an offset
 * (PolicyExpr.stmt is the policy's own Loc, compared by identity in sameContent). What a
 * statement keeps of a policy that is gone from the model (dropped by a later edit) is its last
 * row: that policy, its table record and what rules kept on the row, until the next row.
 */
const ROW = 'policyRow';

/**
 * What the rows made before their model is known keep as their table (policyExprs, asked of a
 * policy alone): never a model's, so the index makes the policy's row again (from this one's
 * content).
 */
const NO_TABLE = {} as Table;

/** Whether a row made for `q` has the PolicyExpr records and flags of `p` (both on the same statement). */
function sameContent(q: Policy, p: Policy): boolean {
  return q.using === p.using && q.withCheck === p.withCheck && q.loc === p.loc && q.created === p.created;
}

/** The row kept on the policy's statement, when it is this policy's and table's. */
function keptRow(p: Policy): PolicyRow | undefined {
  const row = p.stmt.memo?.[ROW] as PolicyRow | undefined;
  return row !== undefined && row.policy === p ? row : undefined;
}

/**
 * A policy's row, made and kept on its statement. Flags are asked of active rows only
 * (activeRowsWith): an inactive row gets none.
 */
function rowFrom(p: Policy, table: Table | undefined, early = false): PolicyRow {
  const m = (p.stmt.memo ??= {});
  const before = m[ROW] as PolicyRow | undefined;
  const active = !early && table !== NO_TABLE && (!table || table.rlsEnabled);
  let using: PolicyExpr | undefined;
  let check: PolicyExpr | undefined;
  let exprs: PolicyExpr[];
  let usingFlags = 0;
  let checkFlags = 0;
  if (before !== undefined && sameContent(before.policy, p)) {
    using = before.using;
    check = before.check;
    exprs = before.exprs;
    // (flags an inactive row did not ask: exprFlags keeps them on the node)
    if (active && before.active) {
      usingFlags = before.usingFlags;
      checkFlags = before.checkFlags;
    } else if (active) {
      usingFlags = using ? exprFlags(using.node) : 0;
      checkFlags = check ? exprFlags(check.node) : 0;
    }
  } else {
    const alter = p.stmt.kind === 'AlterPolicyStmt';
    if (p.using) {
      const at = alter && p.stmt.node?.qual === p.using ? p.loc : p.created;
      using = { clause: 'using', node: p.using, file: at.file, stmt: at };
      if (active) usingFlags = exprFlags(p.using);
    }
    if (p.withCheck) {
      const at = alter && p.stmt.node?.with_check === p.withCheck ? p.loc : p.created;
      check = { clause: 'check', node: p.withCheck, file: at.file, stmt: at };
      if (active) checkFlags = exprFlags(p.withCheck);
    }
    // array literals: exact size (one built by push() has room for 17, and there is one per policy)
    exprs = using && check ? [using, check] : using ? [using] : check ? [check] : [];
  }
  // (the fields asked later too: a row of one shape, which they do not outgrow)
  const row: PolicyRow = { policy: p, table, active, exprs, using, check, usingFlags, checkFlags, uses: undefined, bits: undefined, kept: undefined };
  m[ROW] = row;
  return row;
}

/** The policy's USING and WITH CHECK expressions, each with the statement it comes from. */
export function policyExprs(p: Policy): PolicyExpr[] {
  const row = p.stmt.memo?.[ROW] as PolicyRow | undefined;
  if (row !== undefined && (row.policy === p || sameContent(row.policy, p))) return row.exprs;
  return rowFrom(p, NO_TABLE).exprs;
}
/** The per-model indexes over policies, built in one pass over model.policies. */
interface PolicyIndex {
  rows: PolicyRow[];
  active: PolicyRow[];
  activePolicies: Policy[];
  /** policies by table key, in model order */
  byKey: Map<string, Policy[]>;
  /** active rows by FLAG_ bit (1 << i), in model order */
  withFlag: PolicyRow[][];
  /** the runs of `active`, a table's (or a key's) after another, in model order (activeRuns) */
  activeRuns: ActiveRun[];
  /** rows by policy, once asked (rowOf) */
  byPolicy?: Map<Policy, PolicyRow>;
}

/**
 * The active rows of one run of the index (a table's policies, or those on a key the workspace
 * does not create), and what recursion.ts activeReads derives from them. `kept`: the run is a
 * table's own, kept on the table for the next models' indexes (tableRuns), and so is what is set
 * on it.
 */
export interface ActiveRun {
  active: PolicyRow[];
  /** the table of its rows (undefined: a key the workspace does not create) */
  table: Table | undefined;
  kept: boolean;
  /** recursion.ts activeReads' records of these rows, and the default schema they were read under */
  reads: readonly object[] | undefined;
  readsSchema: string | undefined;
}

/** A table's run of the index: the rows of its own policies (table.policies, in order), and the active ones. */
interface TableRun extends ActiveRun {
  rows: PolicyRow[];
}

/**
 * The runs of the tables whose policies PostgreSQL accepts, kept on the table object across
 * models. A re-lint's model holds the same table objects where its replay did not touch them
 * (model.ts "sharing the replay's state"), and a table's run of the index follows from the table
 * alone where none of its policies is rejected (the rows: its policies and itself; active: its
 * RLS enabled; a run of its own policies is never early nor on an uncreated key): the next
 * index takes such a run as it is, instead of looking up each policy's row again (bench: ≈ 2,200
 * tables, ≈ 9,000 policies, at every re-lint), and asks again only the tables the edit touched.
 */
const tableRuns = new WeakMap<Table, TableRun>();

function buildIndex(model: Model): PolicyIndex {
  const policies = model.policies;
  const rows: PolicyRow[] = new Array(policies.length);
  const active: PolicyRow[] = [];
  const activePolicies: Policy[] = [];
  const byKey = new Map<string, Policy[]>();
  const withFlag: PolicyRow[][] = [];
  const activeRuns: ActiveRun[] = [];
  for (let i = 0; i < FLAG_BITS; i++) withFlag.push([]);
  // a table's policies come one after the other in model.policies: its table is looked up once
  // per run, and its list is the run, sliced when the next one starts (a list grown by push()
  // has room for 17: bench cold lint, retained 51.9–52.1 → 51.6–52.0 MB over 3 × 6–8 runs, CPU
  // within the noise)
  let anyErrors: boolean | undefined;
  const rejected = rejectedPolicies(model);
  // (the keys of the tables some policy of which PostgreSQL rejects: their runs are made again)
  let rejectedKeys: Set<string> | undefined;
  if (rejected.size !== 0) {
    rejectedKeys = new Set();
    rejected.forEach((_, p) => rejectedKeys!.add(p.table));
  }
  for (let start = 0; start < policies.length; ) {
    const key = policies[start]!.table;
    let end = start + 1;
    while (end < policies.length && policies[end]!.table === key) end++;
    const table = model.tables.get(key);
    // (a table's own run: its policies, in order, and no other policy on its key next to them)
    const own = table?.policies;
    const whole = own !== undefined && own.length === end - start && own[0] === policies[start] && own[own.length - 1] === policies[end - 1];
    const keep = whole && (rejectedKeys === undefined || !rejectedKeys.has(key));
    const kept = keep ? tableRuns.get(table!) : undefined;
    if (kept !== undefined) {
      const list = kept.rows;
      for (let i = 0; i < list.length; i++) rows[start + i] = list[i]!;
      const on = kept.active;
      for (let i = 0; i < on.length; i++) {
        const row = on[i]!;
        active.push(row);
        activePolicies.push(row.policy);
        const f = row.usingFlags | row.checkFlags;
        if (f !== 0) for (let b = 0; b < FLAG_BITS; b++) if (f & (1 << b)) withFlag[b]!.push(row);
      }
      if (on.length !== 0) activeRuns.push(kept);
      addRun(byKey, key, policies, start, end, table);
      start = end;
      continue;
    }
    const disabled = table === undefined && disabledUncreated(model, key);
    // (a run of policies on a table the workspace creates that are not among its own: written
    // before its CREATE TABLE, or after a DROP, they are rejected with 42P01 and never exist;
    // rls-enabled-without-policy says so)
    // (nor a policy on a table the migrations make but that is gone where it is written: moved
    // by ALTER TABLE … SET SCHEMA, or dropped; Solara's public.app_admins, moved to archive)
    // (or one whose only CREATE TABLE has a syntax error: the table never exists)
    const p0 = policies[start]!;
    const early = table !== undefined ? !table.policies.includes(p0) : createdAsTable(model, key) || ((anyErrors ??= model.files.some((f) => f.errors.length !== 0)) && createFailsToParse(model, key));
    const from = active.length;
    // (what a row made now would say of it: a row kept on the statement was made under another
    // model, where the same policy may have been early — on a key a later CREATE TABLE makes — and
    // is not now, or the reverse)
    const act = !early && (table === undefined || table.rlsEnabled);
    for (let i = start; i < end; i++) {
      const p = policies[i]!;
      let row = keptRow(p);
      if (row === undefined || row.table !== table || row.active !== act) row = rowFrom(p, table, early);
      rows[i] = row;
      // (a policy PostgreSQL rejects when it is created never exists: rejected.ts)
      if (!row.active || disabled || (rejected.size !== 0 && rejected.has(p))) continue;
      active.push(row);
      activePolicies.push(p);
      const f = row.usingFlags | row.checkFlags;
      if (f !== 0) for (let b = 0; b < FLAG_BITS; b++) if (f & (1 << b)) withFlag[b]!.push(row);
    }
    if (keep && !early) {
      const run: TableRun = { active: active.slice(from), table, kept: true, reads: undefined, readsSchema: undefined, rows: rows.slice(start, end) };
      tableRuns.set(table!, run);
      if (run.active.length !== 0) activeRuns.push(run);
    } else if (active.length !== from) activeRuns.push({ active: active.slice(from), table, kept: false, reads: undefined, readsSchema: undefined });
    addRun(byKey, key, policies, start, end, table);
    start = end;
  }
  return { rows, active, activePolicies, byKey, withFlag, activeRuns };
}

/**
 * Whether the migrations' last word on the row-level security of a table they do not create (made
 * elsewhere: originDev's knex migrations) is DISABLE: PostgreSQL ignores its policies, as those of
 * a created table whose RLS is disabled (rls-disabled reports it).
 */
function disabledUncreated(model: Model, key: string): boolean {
  const events = model.rlsEventsOfUncreatedTables.get(key);
  if (!events) return false;
  for (let i = events.length - 1; i >= 0; i--) {
    const k = events[i]!.kind;
    if (k === 'enable') return false;
    if (k === 'disable') return true;
  }
  return false;
}

/**
 * Adds a run of a table's policies (policies[start..end)) to its list (keys in first-seen order).
 * A created table's run is its own list of policies (model.policies is made of them, in order),
 * which no one writes to once its model is built: the list itself, not a copy (2,200 copies per
 * bench re-lint).
 */
function addRun(byKey: Map<string, Policy[]>, key: string, policies: Policy[], start: number, end: number, table: Table | undefined): void {
  const l = byKey.get(key);
  const own = table?.policies;
  const run = !l && own && own.length === end - start && own[0] === policies[start] && own[own.length - 1] === policies[end - 1] ? own : policies.slice(start, end);
  byKey.set(key, l ? l.concat(run) : run);
}

const policyIndex = (model: Model): PolicyIndex => memoModel(model, 'policyIndex', buildIndex);

/** Every policy of the model as a row, in model order (tables' policies, then those on tables the workspace does not create). */
export function policyRows(model: Model): PolicyRow[] {
  return policyIndex(model).rows;
}

const NO_POLICIES: Policy[] = [];

/** The model's policies on a table key, in model order (model.policies filtered by table). */
export function policiesWithKey(model: Model, key: string): Policy[] {
  return policyIndex(model).byKey.get(key) ?? NO_POLICIES;
}

/** The model's policies by table key, keys in first-seen order (each list in model order). */
export function policiesWithKeys(model: Model): ReadonlyMap<string, Policy[]> {
  return policyIndex(model).byKey;
}

/** The policies PostgreSQL applies on a table key, in model order (those of policiesWithKey when they are active, and exist). */
export function activePoliciesWithKey(model: Model, key: string): Policy[] {
  const list = policiesWithKey(model, key);
  if (list.length === 0) return list;
  const t = model.tables.get(key);
  if (t ? !t.rlsEnabled : disabledUncreated(model, key)) return NO_POLICIES;
  // (not those PostgreSQL rejects when they are created: they never exist)
  const rejected = rejectedPolicies(model);
  return rejected.size && list.some((p) => rejected.has(p)) ? list.filter((p) => !rejected.has(p)) : list;
}

/** The row of a policy of the model. */
export function rowOf(model: Model, p: Policy): PolicyRow {
  const index = policyIndex(model);
  index.byPolicy ??= new Map(index.rows.map((r) => [r.policy, r]));
  const row = index.byPolicy.get(p);
  // (a policy the model does not hold: callers pass the model's own, so this is only a safeguard)
  return row ?? rowFrom(p, model.tables.get(p.table));
}

/** Syntactic facts of a policy expression that rules filter on (kept on the node). */
export const FLAG_HARDCODED_ID = 1;
export const FLAG_USER_METADATA = 2;
export const FLAG_UNSAFE_SETTING = 4;
export const FLAG_TAUTOLOGY = 8;
/** a call outside any SELECT (a candidate of perRowCalls) */
export const FLAG_CALL_OUTSIDE_SELECT = 16;
/** a relation named (in a sub-select: a policy expression has no FROM of its own) */
export const FLAG_READS_RELATION = 32;
/** a call with a literal argument (`has_role(auth.uid(), 'admin')`, `current_setting('app.x')`) */
export const FLAG_CONST_ARG_CALL = 64;
/** a literal next to a call of auth.role(), auth.jwt() or current_setting() (the request's role, compared with a name: policy-jwt-role-never-matches) */
export const FLAG_ROLE_ASK = 128;
/** a COALESCE and a literal (a fallback to a constant when the context is unset: policy-context-fails-open) */
export const FLAG_COALESCE_CONST = 256;
/** an OR at the top (`a OR b`: policy-shared-rows-writable looks at its branches) */
export const FLAG_TOP_OR = 512;
/** how many FLAG_ bits there are (the policy index keeps a list of active rows per bit) */
const FLAG_BITS = 10;

const ROLE_ASKS = new Set(['role', 'jwt', 'current_setting']);
/** A call (FuncCall's fields) named role, jwt or current_setting (any schema). */
const asksRoleByName = (x: Node): boolean => ROLE_ASKS.has(String(sval(x.funcname?.[x.funcname.length - 1])).toLowerCase());

/** A literal, or a literal cast: `'admin'`, `'admin'::app_role`. */
export function isConstant(n: Node): boolean {
  return !!(n?.A_Const || n?.TypeCast?.arg?.A_Const);
}

export function exprFlags(node: Node): number {
  if (!node || typeof node !== 'object') return 0;
  // constBool first: its slot is the highest one asked here, so the node's list of slots is
  // allocated once at its full size (ast.ts slotsOf copies it each time a higher slot is asked)
  const tautology = constBool(node) === true;
  const f = nodeFacts(node);
  if (f.flags === undefined) {
    // census' findings first: each helper below finds nothing without them, and asked anyway it
    // would walk the node for its anchor (memoisedAt) and keep an empty result on it; hardcodedIds
    // only where mayHoldHardcodedId finds a literal it could report (its own walk keeps an
    // ancestor record per node). Bench, the policy index of a fresh model (policyRows, with
    // constBool's loop below; 6 runs each, alternating): wall 116–180 → 88–132 ms (medians 147 →
    // 101), CPU medians 237 → 170; hardcodedIds is asked of no bench expression (none holds a
    // literal it reports; it was 50–117 ms of a cold lint's profile)
    const c = census(node);
    f.flags =
      (c.aConst && mayHoldHardcodedId(node) && hardcodedIds(node).length ? FLAG_HARDCODED_ID : 0) |
      (c.userMeta && userMetadataRefs(node).length ? FLAG_USER_METADATA : 0) |
      (c.currentSetting && unsafeSettingCalls(node).length ? FLAG_UNSAFE_SETTING : 0) |
      (tautology ? FLAG_TAUTOLOGY : 0) |
      (c.funcCalls.length !== 0 && callOutsideSelect(node) ? FLAG_CALL_OUTSIDE_SELECT : 0) |
      (c.rangeVars.length !== 0 ? FLAG_READS_RELATION : 0) |
      (c.aConst && c.funcCalls.some((x) => ((x.args ?? []) as Node[]).some(isConstant)) ? FLAG_CONST_ARG_CALL : 0) |
      (c.aConst && c.funcCalls.some(asksRoleByName) ? FLAG_ROLE_ASK : 0) |
      (c.aConst && c.coalesce ? FLAG_COALESCE_CONST : 0) |
      (node.BoolExpr?.boolop === 'OR_EXPR' ? FLAG_TOP_OR : 0);
  }
  return f.flags;
}

/**
 * `callsIn(node).some((k) => !k.inSelect && k.location >= 0)` without callsIn's records: its walk
 * (a SELECT, a SubLink or a sub-query in FROM puts what it holds in a SELECT; a call's arguments
 * and aggregate FILTER are looked into), stopping at the first call found. The policy index asks
 * this of every active policy expression, and callsIn kept a record and a name list per call on
 * each, which on the bench no other rule asks of most of them (per-row-function asks callsIn of
 * the 2,235 its flag selects, of the 11,172; recursion.ts readsOf reads census instead). Bench,
 * cold lint, 8 runs each alternating: retained by model + rules 55.2–55.6 → 52.1–52.3 MB (54.0–
 * 54.5 with callsIn here and census in readsOf), rules CPU median 855 → 789 ms (728–1029 →
 * 711–844; 790 with callsIn here).
 */
function callOutsideSelect(n: Node): boolean {
  if (Array.isArray(n)) {
    for (let i = 0; i < n.length; i++) {
      const x = n[i];
      if (x && typeof x === 'object' && callOutsideSelect(x)) return true;
    }
    return false;
  }
  for (const k in n) {
    const v = n[k];
    if (!v || typeof v !== 'object') continue;
    // (nothing under these is outside a SELECT, but a row sub-select's target: run for each row)
    if (k === 'SubLink') {
      // (its test expression is the outer query's: `auth.uid()` of `auth.uid() IN (SELECT …)`)
      if (v.testexpr && typeof v.testexpr === 'object' && callOutsideSelect(v.testexpr)) return true;
      const target = rowSubSelectTarget(v);
      if (target && callOutsideSelect(target.val)) return true;
      continue;
    }
    if (k === 'SelectStmt' || k === 'RangeSubselect') continue;
    if (k === 'FuncCall') {
      if ((v.location ?? -1) >= 0) return true;
      if (v.args && typeof v.args === 'object' && callOutsideSelect(v.args)) return true;
      if (v.agg_filter && typeof v.agg_filter === 'object' && callOutsideSelect(v.agg_filter)) return true;
    } else if (!leafKind(k) && callOutsideSelect(v)) return true;
  }
  return false;
}

/**
 * The target (ResTarget's fields) of a "row sub-select": a scalar sub-select with no FROM and
 * nothing but one target that names a column, `(select auth.uid() = user_id)` (drizzle-orm's
 * crudPolicy writes them). With no FROM, the column is the outer row's: the sub-select is
 * correlated, a SubPlan PostgreSQL runs again for each row the scan filters, the calls in it
 * included, and the condition cannot be an index condition. Undefined for any other SubLink
 * (a cheap test of its fields first: called for each SubLink of a policy expression).
 */
export function rowSubSelectTarget(subLink: Node): Node | undefined {
  if (subLink?.subLinkType !== 'EXPR_SUBLINK') return undefined;
  const s = subLink.subselect?.SelectStmt;
  if (!s || s.fromClause || s.whereClause || s.groupClause || s.havingClause || s.windowClause || s.valuesLists || s.distinctClause || s.withClause || s.limitCount || s.limitOffset || s.sortClause || s.larg) return undefined;
  const t = s.targetList;
  if (!Array.isArray(t) || t.length !== 1) return undefined;
  const target = t[0]?.ResTarget;
  return target && columnOutsideSubLink(target.val) ? target : undefined;
}

/** The first ColumnRef under `n` outside any SubLink (stops at it), or undefined. */
function columnOutsideSubLink(n: Node): Node | undefined {
  if (Array.isArray(n)) {
    for (let i = 0; i < n.length; i++) {
      const x = n[i];
      const c = x && typeof x === 'object' ? columnOutsideSubLink(x) : undefined;
      if (c) return c;
    }
    return undefined;
  }
  for (const k in n) {
    const v = n[k];
    if (!v || typeof v !== 'object') continue;
    if (k === 'ColumnRef') return v;
    if (k === 'SubLink' || leafKind(k)) continue;
    const c = columnOutsideSubLink(v);
    if (c) return c;
  }
  return undefined;
}

/**
 * The calls inside the row sub-selects (rowSubSelectTarget) of an expression that no other
 * SELECT holds, each with its sub-select: where `(` opens it and where its target starts.
 */
function rowSubSelectCalls(n: Node, sub: { open: number; target: number; column: number } | undefined, out: Array<{ node: Node; sub: { open: number; target: number; column: number } }>): void {
  if (Array.isArray(n)) {
    for (let i = 0; i < n.length; i++) {
      const x = n[i];
      if (x && typeof x === 'object') rowSubSelectCalls(x, sub, out);
    }
    return;
  }
  for (const k in n) {
    const v = n[k];
    if (!v || typeof v !== 'object') continue;
    if (k === 'SubLink') {
      const target = rowSubSelectTarget(v);
      if (target && (v.location ?? -1) >= 0 && (target.location ?? -1) >= 0) rowSubSelectCalls(target.val, { open: v.location, target: target.location, column: columnOutsideSubLink(target.val)?.location ?? -1 }, out);
      continue;
    }
    if (k === 'SelectStmt' || k === 'RangeSubselect') continue;
    if (k === 'FuncCall') {
      if (sub) out.push({ node: v, sub });
      if (v.args && typeof v.args === 'object') rowSubSelectCalls(v.args, sub, out);
      if (v.agg_filter && typeof v.agg_filter === 'object') rowSubSelectCalls(v.agg_filter, sub, out);
    } else if (!leafKind(k)) rowSubSelectCalls(v, sub, out);
  }
}

/** ast.ts isLeafKind: node kinds that hold no other node but names and values (no call, relation or sub-link under them). */
export function leafKind(k: string): boolean {
  return k === 'ColumnRef' || k === 'String' || k === 'A_Const' || k === 'ParamRef' || k === 'A_Star';
}

/** The active rows with a flag (one FLAG_ bit) on their USING or WITH CHECK (per model, in model order). */
export function activeRowsWith(model: Model, flag: number): PolicyRow[] {
  return policyIndex(model).withFlag[31 - Math.clz32(flag)]!;
}

/** The rows of the policies PostgreSQL applies (see activePolicies). */
export function activeRows(model: Model): PolicyRow[] {
  return policyIndex(model).active;
}

/** activeRows in runs, a table's rows (or a key's) after another's: what is set on a run kept on its table lasts while the run is the next models' too. */
export function activeRuns(model: Model): readonly ActiveRun[] {
  return policyIndex(model).activeRuns;
}

/**
 * Results computed once per model (the model is immutable once built). `fn` gets the model, so
 * that callers on hot paths pass a function made once (no closure per call).
 */
const perModel = new WeakMap<Model, unknown[]>();
// (on the model itself, under a symbol: ≈ 27,000 calls per bench re-lint, and a WeakMap lookup
// costs more than a property load; a module variable remembering the last model instead kept the
// previous model alive while the next one was built: model-lifetime.test.ts)
const MEMO = Symbol('memoModel');
/** each name's index in a model's list of results (one lookup by name, then an index: not a Map per model) */
const memoIndex = new Map<string, number>();
/** a result that is undefined */
const NONE = Symbol('memoModel:undefined');
export function memoModel<T>(model: Model, name: string, fn: (model: Model) => T): T {
  let m = (model as unknown as Record<symbol, unknown[] | undefined>)[MEMO];
  if (m === undefined) {
    m = perModel.get(model);
    if (m === undefined) {
      m = [];
      if (Object.isExtensible(model)) Object.defineProperty(model, MEMO, { value: m });
      else perModel.set(model, m);
    }
  }
  let i = memoIndex.get(name);
  if (i === undefined) memoIndex.set(name, (i = memoIndex.size));
  const hit = m[i];
  if (hit !== undefined) return (hit === NONE ? undefined : hit) as T;
  const v = fn(model);
  // (the list is as long as the highest index asked of this model: a name first asked of any model takes the next index)
  m[i] = v === undefined ? NONE : v;
  return v;
}

/**
 * A test of whether a parsed file has a statement `test` accepts, kept per parsed file: code
 * that looks at rare statements (GRANT of a role, a column REVOKE) skips the replayed
 * statements of a workspace that has none, at no cost per re-lint.
 */
export function anyStatementIn(test: (s: Statement) => boolean): (file: ParsedFile) => boolean {
  const kept = new WeakMap<ParsedFile, boolean>();
  return (file) => {
    let has = kept.get(file);
    if (has === undefined) kept.set(file, (has = file.statements.some(test)));
    return has;
  };
}

/** The functions (by key, in order) and the token of the last model functionsToken was asked about. */
let lastFunctions: { schema: string | undefined; keys: string[]; lists: Func[][]; members: Func[]; token: object } | undefined;

/**
 * A token two models share when every call resolves to functions that are the same in both:
 * the same keys in the same order (model.findFunction), the same default schema, and under each
 * key functions that are the same objects or have the same own facts (sameOwn: the same
 * statement object and what funcSig reads of the function itself; the functions its body calls
 * are then the same too, by the same test). Every signature made of funcSig (callSig, callListSig, the context
 * signatures of unset-context.ts) is then the same, so a result kept under one is valid under
 * the token. Consecutive models of a re-lint share it unless the edit changed a function.
 */
export function functionsToken(model: Model): object {
  return memoModel(model, 'functionsToken', makeFunctionsToken);
}

/**
 * Whether two functions have what funcSig reads of a function itself in common (its callees
 * aside): the same statement (so the same body and calls), key, volatility, kinds, language,
 * owner and SET clauses.
 */
function sameOwn(g: Func, f: Func): boolean {
  if (g.stmt !== f.stmt || g.key !== f.key || g.volatility !== f.volatility || g.securityDefiner !== f.securityDefiner) return false;
  if (g.isProcedure !== f.isProcedure || g.returnsTrigger !== f.returnsTrigger || g.language !== f.language || g.body !== f.body) return false;
  if (g.owner?.role !== f.owner?.role || g.settings.length !== f.settings.length) return false;
  for (let i = 0; i < f.settings.length; i++) {
    const a = g.settings[i]!;
    const b = f.settings[i]!;
    if (a.name !== b.name || a.values.length !== b.values.length || a.values.some((v, j) => v !== b.values[j])) return false;
  }
  return true;
}

function makeFunctionsToken(model: Model): object {
  const schema = model.config.defaultSchema;
  const last = lastFunctions;
  if (last && last.schema === schema && sameFunctions(model, last)) return last.token;
  const keys: string[] = [];
  const lists: Func[][] = [];
  // the lists' elements, one after the other
  const members: Func[] = [];
  model.functions.forEach((list, k) => {
    keys.push(k);
    lists.push(list);
    for (let j = 0; j < list.length; j++) members.push(list[j]!);
  });
  const token = {};
  lastFunctions = { schema, keys, lists, members, token };
  return token;
}

/**
 * Whether the model's functions are those of `last`, key by key in order, each the same object
 * or one with the same own facts (sameOwn). (Then `last` stands for them, its lists and members
 * replaced by this model's as it goes: nothing is allocated.)
 */
function sameFunctions(model: Model, last: NonNullable<typeof lastFunctions>): boolean {
  if (last.keys.length !== model.functions.size) return false;
  let i = 0;
  let m = 0;
  let same = true;
  model.functions.forEach((list, k) => {
    if (!same) return;
    const old = last.lists[i]!;
    if (last.keys[i] !== k || old.length !== list.length) {
      same = false;
      return;
    }
    for (let j = 0; j < list.length; j++) {
      const f = list[j]!;
      const g = last.members[m]!;
      if (g !== f && !sameOwn(g, f)) {
        same = false;
        return;
      }
      // this model's objects from now on: the next model, which shares most of them, compares by identity
      last.members[m++] = f;
    }
    last.lists[i++] = list;
  });
  return same;
}

const filesByName = (model: Model) => new Map(model.files.map((f) => [f.file, f]));

/** A parsed file of the model by its name (a per-model index). */
export function fileByName(model: Model, file: string): ParsedFile | undefined {
  return memoModel(model, 'filesByName', filesByName).get(file);
}

/** Replay position of the statement at `loc` (-1 for one the model does not hold). */
export function orderOf(model: Model, loc: Loc): number {
  const run = memoModel(model, 'statementOrder', statementOrder).get(loc.file);
  if (run === undefined) return -1;
  const i = run.local.get(loc.start);
  return i === undefined ? -1 : run.base + i;
}

/** A file's statements in the replay: where they start (`base`), and each one's place among them by start offset (the first, where one runs twice). */
interface OrderRun {
  base: number;
  local: Map<number, number>;
}

/** The places of a run's statements by start offset (the first of each), kept per run (StatementRun.key). */
const runPlaces = new WeakMap<object, Map<number, number>>();

/**
 * The replay position of each statement by file name and start offset (the first, where one runs
 * twice): per file, its run's first position and the places within it, kept per run (a re-lint
 * builds those of the runs of the files parsed again: ≈ 2 ms of the bench's re-lint was this
 * index over every statement). A file in several runs (run twice, or interleaved) gets one map
 * of positions from the start (`base` 0), the first of each.
 */
function statementOrder(model: Model): Map<string, OrderRun> {
  const out = new Map<string, OrderRun>();
  const list = model.statements;
  const runs = statementRuns(model);
  let split: Set<string> | undefined;
  for (let r = 0; r < runs.length; r++) {
    const run = runs[r]!;
    const name = run.file.file;
    if (out.has(name)) {
      (split ??= new Set()).add(name);
      continue;
    }
    let local = runPlaces.get(run.key);
    if (local === undefined) {
      local = new Map();
      for (let k = run.from; k < run.to; k++) {
        const start = list[k]!.stmt.start;
        if (!local.has(start)) local.set(start, k - run.from);
      }
      runPlaces.set(run.key, local);
    }
    out.set(name, { base: run.from, local });
  }
  // (files in several runs: their positions from the start, the first of each offset)
  if (split !== undefined) {
    for (const name of split) {
      const local = new Map<number, number>();
      for (const run of runs) {
        if (run.file.file !== name) continue;
        for (let k = run.from; k < run.to; k++) if (!local.has(list[k]!.stmt.start)) local.set(list[k]!.stmt.start, k);
      }
      out.set(name, { base: 0, local });
    }
  }
  return out;
}

/**
 * A run of the model's statements: consecutive statements of one parsed file, in replay order (a
 * file that includes another is two runs, one before the included file's and one after).
 */
export interface StatementRun {
  file: ParsedFile;
  /** the model's statements `from` (inclusive) to `to` (exclusive) */
  from: number;
  to: number;
  /**
   * The same object in every model whose run starting with this statement record holds the same
   * records (kept per parsed file): what is computed from a run's statements alone is kept on it
   * (a WeakMap by key), so a re-lint computes that of the runs of the files parsed again only. A
   * run that holds statements the replay made (a catalog loop's for each table it reaches, a
   * function call's: which ones depends on what ran before) gets a new key in each model.
   */
  key: object;
}

/** A run whose records are all the file's own (each statement's replay record, kept with its plan): its first and last record and length. */
interface KeptRun {
  first: object;
  last: object;
  length: number;
}
const keptRuns = new WeakMap<ParsedFile, KeptRun[]>();

/**
 * The model's statements as runs of one file's (StatementRun), in order; per model. A run kept from
 * an earlier model is known from its first record, its last `length - 1` places later and the
 * next record's file (no look at the records between): the replay appends a file's own records
 * in the file's order, each once, and every one of them whose statement is outside rollback
 * sections (replaySegments' segments cover the file), so records from the same first to the same
 * last record at the same distance are the same records, when the kept run held nothing else
 * (no record the replay made: those are only kept for runs of the file's own statements).
 */
export function statementRuns(model: Model): readonly StatementRun[] {
  return memoModel(model, 'statementRuns', runsOfStatements);
}

/** Whether records `from` to `to` are all of the file's own statements (they come in its order; a statement the replay made is none of them). */
function ownRecords(file: ParsedFile, list: Model['statements'], from: number, to: number): boolean {
  const own = file.statements;
  let p = 0;
  for (let k = from; k < to; k++) {
    const stmt = list[k]!.stmt;
    while (p < own.length && own[p] !== stmt) p++;
    if (p === own.length) return false;
    p++;
  }
  return true;
}

function runsOfStatements(model: Model): StatementRun[] {
  const out: StatementRun[] = [];
  const list = model.statements;
  const n = list.length;
  for (let i = 0; i < n; ) {
    const first = list[i]!;
    const file = first.file;
    const kept = keptRuns.get(file);
    let hit: KeptRun | undefined;
    if (kept !== undefined) {
      for (let k = 0; k < kept.length; k++) {
        if (kept[k]!.first === first) {
          hit = kept[k];
          break;
        }
      }
    }
    if (hit !== undefined) {
      const j = i + hit.length;
      if (j <= n && list[j - 1] === hit.last && (j === n || list[j]!.file !== file)) {
        out.push({ file, from: i, to: j, key: hit });
        i = j;
        continue;
      }
    }
    let j = i + 1;
    while (j < n && list[j]!.file === file) j++;
    if (ownRecords(file, list, i, j)) {
      const run: KeptRun = { first, last: list[j - 1]!, length: j - i };
      // (the file's runs of the last models: a few, unless its includes keep changing)
      const runs = kept === undefined || kept.length >= 8 ? [] : kept.filter((x) => x.first !== first);
      runs.push(run);
      keptRuns.set(file, runs);
      out.push({ file, from: i, to: j, key: run });
    } else out.push({ file, from: i, to: j, key: {} });
    i = j;
  }
  return out;
}

/**
 * Which runs of statements (statementRuns) name what: for each name, the indexes of the runs naming
 * it, in order; `namesOf` gives a run's names (each once), from its statements alone (kept by
 * the caller per run key: StatementRun.key). Combining every run's names per model was a pass
 * over every name (≈ 2,500 table names and 4,500 index and trigger names on the bench); this index
 * is of the model asked last, and for a model whose runs are the same but at a few places (an
 * edit: the edited file's run) it is updated at those places only, else built again. Read it at
 * once: asking for another model changes it.
 */
export class RunIndex {
  readonly #namesOf: (run: StatementRun, model: Model) => readonly string[];
  /** the runs it is of: their keys, and what each names */
  #keys: object[] = [];
  #names: Array<readonly string[]> = [];
  #runs = new Map<string, number[]>();
  /** the model it is of: the one whose token is this (a WeakMap, not a WeakRef, which keeps its model alive to the end of the job: a run of re-lints in one) */
  #token: object = {};
  readonly #tokens = new WeakMap<Model, object>();

  constructor(namesOf: (run: StatementRun, model: Model) => readonly string[]) {
    this.#namesOf = namesOf;
  }

  /** For each name, the indexes of the model's runs naming it, in order (none: not there). */
  of(model: Model): ReadonlyMap<string, readonly number[]> {
    if (this.#tokens.get(model) !== this.#token) this.#sync(model);
    return this.#runs;
  }

  #sync(model: Model): void {
    const runs = statementRuns(model);
    this.#token = {};
    this.#tokens.set(model, this.#token);
    const keys = this.#keys;
    if (keys.length === runs.length) {
      const changed: number[] = [];
      for (let i = 0; i < runs.length && changed.length <= 16; i++) if (runs[i]!.key !== keys[i]) changed.push(i);
      if (changed.length <= 16) {
        for (const i of changed) {
          this.#remove(i);
          keys[i] = runs[i]!.key;
          this.#names[i] = this.#namesOf(runs[i]!, model);
          this.#add(i);
        }
        return;
      }
    }
    this.#keys = runs.map((r) => r.key);
    this.#names = runs.map((r) => this.#namesOf(r, model));
    this.#runs = new Map();
    for (let i = 0; i < runs.length; i++) this.#add(i);
  }

  #add(i: number): void {
    const names = this.#names[i]!;
    for (let k = 0; k < names.length; k++) {
      const list = this.#runs.get(names[k]!);
      if (list === undefined) this.#runs.set(names[k]!, [i]);
      else {
        let at = list.length;
        while (at > 0 && list[at - 1]! > i) at--;
        list.splice(at, 0, i);
      }
    }
  }

  #remove(i: number): void {
    const names = this.#names[i]!;
    for (let k = 0; k < names.length; k++) {
      const list = this.#runs.get(names[k]!);
      if (list === undefined) continue;
      const at = list.indexOf(i);
      if (at >= 0) list.splice(at, 1);
      if (list.length === 0) this.#runs.delete(names[k]!);
    }
  }
}

export function textOfFile(model: Model, file: string): string {
  return fileByName(model, file)?.text ?? '';
}

/** Span of the parenthesised clause `( … )` of an expression (parentheses included). */
export function exprClauseSpan(model: Model, e: PolicyExpr): Span | undefined {
  return clauseSpan(textOfFile(model, e.file), e.stmt, e.clause);
}

/** The expression's source text without its enclosing parentheses. */
export function exprText(model: Model, e: PolicyExpr): string | undefined {
  const span = exprClauseSpan(model, e);
  if (!span) return undefined;
  return textOfFile(model, e.file).slice(span.start + 1, span.end - 1).trim();
}

/**
 * exprText as PostgreSQL runs it, for a fix that copies the condition into another statement: the
 * text of a policy a DO block's EXECUTE makes is in a string, written with its escapes (`''x''` in
 * '…', `\'x\'` in E'…'), and is read here as SQL reads it (a fix writing it in a string escapes
 * it again for that one). Undefined where it cannot be: in a format() pattern with a placeholder
 * (its text differs per value), or across the strings of a `||` chain.
 */
export function exprSql(model: Model, e: PolicyExpr): string | undefined {
  const text = exprText(model, e);
  const span = exprClauseSpan(model, e);
  if (text === undefined || !span) return undefined;
  const dyn = dynamicAt(fileByName(model, e.file), e.stmt);
  if (!dyn) return text;
  const inside = (l: { start: number; end: number }) => l.start <= span.start && span.end <= l.end;
  const lit = dyn.literal && inside(dyn.literal) ? dyn.literal : dyn.pieces?.find(inside);
  if (!lit || (lit.format && /%(?!%)/.test(text.replace(/%%/g, '')))) return undefined;
  return stringValue(text, lit)?.trim();
}

/** Whether the expression is in the string of a DO block's EXECUTE (its text written with the string's escapes). */
export function exprInDynamicSql(model: Model, e: PolicyExpr): boolean {
  return !!dynamicAt(fileByName(model, e.file), e.stmt);
}

/** The dynamic statement (a DO block's EXECUTE's: of its body, a catalog loop's or a called function's template) at `loc`, if one is. */
function dynamicAt(pf: ParsedFile | undefined, loc: Span): Statement | undefined {
  for (const s of pf?.statements ?? []) {
    if (!s.dynamic && !s.callTemplates) continue;
    for (const x of [s, ...(s.catalog?.templates ?? []), ...(s.callTemplates?.templates ?? [])]) if (x.dynamic && x.start === loc.start && x.end === loc.end) return x;
  }
  return undefined;
}

/**
 * exprText on one line, as an operand of an AND a fix or a message writes: an OR in parentheses
 * (`a OR b AND c` is `a OR (b AND c)`, which leaves c unasked on branch a: hrds100/marketplace10's
 * agt_update, `owner_agent_id = auth.uid() OR wk_is_admin()`, PGlite).
 */
export function andOperandText(model: Model, e: PolicyExpr): string | undefined {
  const raw = exprText(model, e);
  const text = raw === undefined ? undefined : sqlOneLine(raw);
  return text !== undefined && e.node?.BoolExpr?.boolop === 'OR_EXPR' ? `(${text})` : text;
}

/**
 * Policies PostgreSQL applies: those on tables with row-level security enabled, and those on
 * tables the workspace does not create (e.g. storage.objects, whose RLS is the platform's).
 */
export function activePolicies(model: Model): Policy[] {
  return policyIndex(model).activePolicies;
}

// ---------------------------------------------------------------------------------------
// Walking with ancestors

export interface Ancestor {
  /** node type, e.g. `A_Expr`, `FuncCall` */
  type: string;
  node: Node;
  /** the field of this ancestor that leads to the visited node (e.g. `lexpr`, `args`) */
  field: string;
}

/**
 * Visits every typed node (`{ A_Expr: {…} }` → type `A_Expr`) with its ancestors, outermost
 * first. `fn` returning false skips the node's children.
 */
export function visitTyped(root: Node, fn: (type: string, node: Node, ancestors: readonly Ancestor[]) => boolean | void): void {
  const stack: Ancestor[] = [];
  const visitValue = (v: Node, field: string): void => {
    if (Array.isArray(v)) {
      for (const x of v) visitValue(x, field);
      return;
    }
    if (!v || typeof v !== 'object') return;
    for (const k in v) {
      const child = v[k];
      if (!child || typeof child !== 'object') continue;
      const c0 = k.charCodeAt(0);
      if (c0 >= 65 && c0 <= 90 && !Array.isArray(child)) {
        if (fn(k, child, stack) === false) continue;
        stack.push({ type: k, node: child, field });
        for (const f in child) {
          const c = child[f];
          if (c && typeof c === 'object') {
            if (stack.length) stack[stack.length - 1]!.field = f;
            visitValue(c, f);
          }
        }
        stack.pop();
      } else visitValue(child, k);
    }
  };
  visitValue(root, '');
}

// ---------------------------------------------------------------------------------------
// Constant folding of boolean expressions

const TRUE_WORDS = new Set(['t', 'true', 'y', 'yes', 'on', '1']);
const FALSE_WORDS = new Set(['f', 'false', 'n', 'no', 'off', '0']);

/**
 * The value of an expression made of constants only: `true`, `1 = 1`, `'a' = 'a'`,
 * `NOT false`, `… OR true`, `'t'::boolean`, `NULL IS NULL`. `null` is SQL NULL; undefined
 * when the value depends on anything but constants (or is not understood). Kept on the node
 * asked (a whole expression): its sub-expressions are folded again with it, not kept each.
 */
export const constBool = memoised(constBoolUncached);
function constBoolUncached(n: Node): boolean | null | undefined {
  if (!n || typeof n !== 'object') return undefined;
  const c = constValue(n);
  if (c !== undefined) return typeof c === 'boolean' || c === null ? c : undefined;
  if (n.TypeCast) {
    const t = typeName(n.TypeCast.typeName);
    if (t !== 'boolean') return undefined;
    const inner = constValue(n.TypeCast.arg);
    if (typeof inner === 'boolean' || inner === null) return inner;
    if (typeof inner === 'string') {
      const w = inner.trim().toLowerCase();
      if (TRUE_WORDS.has(w)) return true;
      if (FALSE_WORDS.has(w)) return false;
    }
    return undefined;
  }
  if (n.BoolExpr) {
    const args: Node[] = n.BoolExpr.args ?? [];
    const op = n.BoolExpr.boolop;
    if (op === 'NOT_EXPR') {
      const v = args.length ? constBoolUncached(args[0]) : undefined;
      return v === undefined ? undefined : v === null ? null : !v;
    }
    if (op !== 'AND_EXPR' && op !== 'OR_EXPR') return undefined;
    // AND: false if any is false, true if all are true, NULL if all are known; OR the same with
    // true and false swapped. One pass with no list of values (this runs on every policy
    // expression, most of them an AND or OR of terms that are not constant)
    const decides = op === 'OR_EXPR';
    let all = true;
    let known = true;
    for (let i = 0; i < args.length; i++) {
      const v = constBoolUncached(args[i]);
      if (v === decides) return decides;
      if (v !== !decides) all = false;
      if (v === undefined) known = false;
    }
    return all ? !decides : known ? null : undefined;
  }
  // CASE … THEN true ELSE true END: every branch the same constant (versale's purchases policy,
  // `CASE WHEN auth.uid() = seller_id THEN true ELSE true END`); without ELSE, NULL when no WHEN holds
  if (n.CaseExpr) {
    const c = n.CaseExpr;
    const d = c.defresult ? constBoolUncached(c.defresult) : undefined;
    if (d === undefined || d === null) return undefined;
    for (const w of (c.args ?? []) as Node[]) if (constBoolUncached(w?.CaseWhen?.result) !== d) return undefined;
    return d;
  }
  if (n.A_Expr && n.A_Expr.kind === 'AEXPR_OP') {
    const l = constValue(n.A_Expr.lexpr);
    const r = constValue(n.A_Expr.rexpr);
    if (l === undefined || r === undefined) return undefined;
    if (l === null || r === null) return null;
    return compareConstants(sval(n.A_Expr.name?.[n.A_Expr.name.length - 1]) ?? '', l, r);
  }
  if (n.NullTest) {
    const v = constValue(n.NullTest.arg);
    if (v === undefined) return undefined;
    const isNull = v === null;
    return n.NullTest.nulltesttype === 'IS_NOT_NULL' ? !isNull : isNull;
  }
  if (n.BooleanTest) {
    const v = constBoolUncached(n.BooleanTest.arg);
    if (v === undefined) return undefined;
    switch (n.BooleanTest.booltesttype) {
      case 'IS_TRUE':
        return v === true;
      case 'IS_NOT_TRUE':
        return v !== true;
      case 'IS_FALSE':
        return v === false;
      case 'IS_NOT_FALSE':
        return v !== false;
      case 'IS_UNKNOWN':
        return v === null;
      case 'IS_NOT_UNKNOWN':
        return v !== null;
    }
  }
  return undefined;
}

// ---------------------------------------------------------------------------------------
// Row-independent calls

/** Supabase's auth helpers: STABLE SQL functions of the request's JWT, not of the row. */
export const SUPABASE_AUTH_FUNCTIONS = new Set(['auth.uid', 'auth.jwt', 'auth.role', 'auth.email']);

export interface RowIndependentCall {
  /** name as written, lower-case parts */
  name: string[];
  /** the call's source span */
  span: Span;
  node: Node;
  /** where the answer comes from: a Supabase auth helper, current_setting, or a workspace function */
  via: 'auth' | 'setting' | 'workspace';
  func?: Func;
  /**
   * For a call inside a row sub-select (rowSubSelectTarget), `(select auth.uid() = user_id)`:
   * the offset of the `(` that opens it, of its target (after `select`) and of the first column
   * it names (-1 if unknown)
   */
  sub?: { open: number; target: number; column: number };
}

/**
 * Whether a call's value is the same for every row of a statement and costs a function call:
 * Supabase's auth.uid()/jwt()/role()/email(), current_setting(…), or a STABLE workspace
 * function, all with row-independent arguments. VOLATILE functions (evaluating them once
 * would change results) and IMMUTABLE ones with constant arguments (folded at plan time)
 * are excluded. `neonUserId`: the workspace's auth.user_id() is Neon Authorize's
 * (operators.ts neonUserIdIsText), the pg_session_jwt extension's, `STRICT STABLE PARALLEL
 * SAFE` in its sql/pg_session_jwt--0.1.0--0.1.1.sql: no migration creates it, yet it is one.
 */
export function rowIndependentCall(model: Model, call: Node, neonUserId = false): Omit<RowIndependentCall, 'span'> | undefined {
  const parts = nameParts(call.funcname);
  if (!parts.length) return undefined;
  if (call.agg_star || call.agg_distinct || call.over || call.agg_filter || call.agg_order) return undefined;
  const args: Node[] = call.args ?? [];
  if (!args.every((a) => rowIndependentValue(model, a))) return undefined;
  // (a one-part name as PostgreSQL resolved it when the policy was made: through the SET
  // search_path it was created under, Model.callPathKey — `uid()` under `auth, public` is
  // auth.uid(), and `f()` under `app, public` is app.f, not public.f; PGlite, pg_depend)
  const func = resolveCall(model, parts, args.length, call);
  if (func) {
    if (func.volatility !== 'stable' || func.returnsTrigger || func.isProcedure) return undefined;
    const k = func.key;
    return { name: parts, node: call, via: SUPABASE_AUTH_FUNCTIONS.has(k) ? 'auth' : 'workspace', func };
  }
  const viaPath = parts.length === 1 ? model.callPathKey(call) : undefined;
  const k = viaPath ?? (parts.length === 1 ? parts[0]! : parts.slice(-2).join('.')).toLowerCase();
  if (SUPABASE_AUTH_FUNCTIONS.has(k)) return { name: parts, node: call, via: 'auth' };
  if (neonUserId && k === 'auth.user_id' && parts.length === 2 && args.length === 0) return { name: parts, node: call, via: 'auth' };
  if ((k === 'current_setting' || k === 'pg_catalog.current_setting') && args.length >= 1) return { name: parts, node: call, via: 'setting' };
  return undefined;
}

/** Constants, casts and operators over constants, and row-independent calls. */
export function rowIndependentValue(model: Model, n: Node): boolean {
  if (!n || typeof n !== 'object') return false;
  if (n.A_Const) return true;
  if (n.TypeCast) return rowIndependentValue(model, n.TypeCast.arg);
  if (n.A_Expr && (n.A_Expr.kind === 'AEXPR_OP' || n.A_Expr.kind === 'AEXPR_NULLIF')) {
    return (!n.A_Expr.lexpr || rowIndependentValue(model, n.A_Expr.lexpr)) && rowIndependentValue(model, n.A_Expr.rexpr);
  }
  if (n.FuncCall) return !!rowIndependentCall(model, n.FuncCall);
  if (n.SQLValueFunction) return true;
  if (n.A_ArrayExpr) return (n.A_ArrayExpr.elements ?? []).every((e: Node) => rowIndependentValue(model, e));
  return false;
}

/**
 * Row-independent calls of an expression that are not inside any SELECT (so evaluated per
 * row), outermost only (`f(auth.uid())` gives `f(…)`), in source order. Without `func` (an
 * object of the model): the caller keeps them across lints.
 */
export function perRowCalls(model: Model, text: string, node: Node, neonUserId = false): RowIndependentCall[] {
  const found: RowIndependentCall[] = [];
  const candidates = callCandidates(text, node);
  // (each record written out, no spread of rowIndependentCall's then a rest copy without func:
  // object spread and rest run in the runtime, slow while this is not optimised, as in a cold lint)
  for (let i = 0; i < candidates.length; i++) {
    const c = candidates[i]!;
    const info = rowIndependentCall(model, c.node, neonUserId);
    if (info) found.push(c.sub ? { name: info.name, node: info.node, via: info.via, span: c.span, sub: c.sub } : { name: info.name, node: info.node, via: info.via, span: c.span });
  }
  // (exact-size lists, fitted: the caller keeps them on the node)
  if (found.length < 2) return fitted(found);
  const outer = found.filter((c) => !found.some((o) => o !== c && o.span.start <= c.span.start && c.span.end <= o.span.end));
  return fitted(outer.sort((a, b) => a.span.start - b.span.start));
}

/**
 * Calls of an expression outside any SELECT, with their source spans. Memoised per node with
 * the node's first offset (see ast.ts memoisedAt): a node's locations always refer to the text
 * of the file it was parsed from, and move with it.
 */
interface CallCandidate {
  node: Node;
  span: Span;
  sub?: { open: number; target: number; column: number };
}
const candidateCache = new WeakMap<object, { at: number; calls: CallCandidate[] }>();
function callCandidates(text: string, node: Node): CallCandidate[] {
  const at = anchorAt(node);
  const hit = candidateCache.get(node);
  if (hit && hit.at === at) return hit.calls;
  const out: CallCandidate[] = [];
  for (const c of callsIn(node)) {
    if (c.inSelect || c.location < 0) continue;
    const span = callSpan(text, c.location);
    if (span) out.push({ node: c.node, span });
  }
  // (and those of row sub-selects, run for each row too; only where a sub-select is there at all)
  if (hasSubLink(node)) {
    const inRow: Array<{ node: Node; sub: { open: number; target: number; column: number } }> = [];
    rowSubSelectCalls(node, undefined, inRow);
    for (const c of inRow) {
      const span = (c.node.location ?? -1) >= 0 ? callSpan(text, c.node.location) : undefined;
      if (span) out.push({ node: c.node, span, sub: c.sub });
    }
  }
  candidateCache.set(node, { at, calls: out });
  return out;
}

// ---------------------------------------------------------------------------------------
// Relations read in sub-selects (the recursion condition, TRUTHS T31)

/**
 * Relation keys a relation read stands for: the relation, and for a view every table it reads
 * (transitively). A materialized view stands for itself only: a read of it scans its stored rows,
 * and the rewriter expands neither its query nor the policies of the tables that query reads
 * (PGlite: a FOR ALL policy on team_members reading a materialized view over team_members in a
 * sub-select, the calls wrapped in (select …), reads, inserts and updates without 42P17).
 */
export function expandViews(model: Model, key: string): Set<string> {
  const out = new Set<string>([key]);
  const stack = [key];
  while (stack.length) {
    const k = stack.pop()!;
    const v = model.views.get(k);
    if (!v || v.materialized) continue;
    for (const r of v.reads) {
      if (out.has(r)) continue;
      out.add(r);
      stack.push(r);
    }
  }
  return out;
}

/** Relation keys read inside sub-selects of an expression (views expanded to their tables). */
export function subSelectReads(model: Model, node: Node): Set<string> {
  const out = new Set<string>();
  for (const r of relationsIn(node)) if (r.inSubLink) for (const k of expandViews(model, model.relKey(r))) out.add(k);
  return out;
}

/**
 * Relation keys read inside sub-selects of an expression whose policies PostgreSQL expands for the
 * querying role. A view is expanded to its tables when it reads them as the caller
 * (security_invoker) or as a declared ordinary role that their policies apply to (not the
 * table's owner without FORCE); a plain view owned by a role the migrations do not declare
 * ordinary (Supabase's postgres) or one that bypasses RLS reads its tables with no policy
 * applied, so nothing behind it is expanded (mdsamialsohan/EmployeeManagementBackend's
 * admin_user_ids over profiles; PGlite: with the profiles policies wrapped in sub-selects, no
 * 42P17 through a view the superuser owns, 42P17 through one an ordinary role owns). As
 * recursion.ts expands the reads of policies.
 */
function subSelectReadsAsExpanded(model: Model, node: Node): Set<string> {
  const out = new Set<string>();
  const visit = (key: string, seen: Set<string>): void => {
    out.add(key);
    const v = model.views.get(key);
    if (!v || v.materialized || seen.has(key)) return;
    seen.add(key);
    const owner = v.owner?.role;
    const ordinary = !!owner && !!model.roles.get(owner)?.declared && !model.roles.get(owner)!.bypassRls && !model.roles.get(owner)!.superuser;
    for (const r of v.reads) {
      if (!v.securityInvoker) {
        if (!ordinary) continue;
        const t = model.tables.get(r);
        if (t && !t.rlsForced && !(t.owner && t.owner.role !== owner)) continue;
      }
      visit(r, seen);
    }
  };
  for (const r of relationsIn(node)) if (r.inSubLink) visit(model.relKey(r), new Set());
  return out;
}

/** The policies PostgreSQL applies on a relation (none when its RLS is off). */
function policiesOf(model: Model, tableKey: string): Policy[] {
  const t = model.tables.get(tableKey);
  if (t) return t.rlsEnabled ? t.policies : [];
  return policiesWithKey(model, tableKey);
}

/**
 * Whether giving `tableKey`'s SELECT policies a sub-select (e.g. `(select auth.uid())`) would
 * make PostgreSQL raise 42P17 (TRUTHS T31). While the policies of a relation are expanded and
 * contain a sub-select, the relation is active and every relation read in those sub-selects
 * gets its SELECT policies expanded in turn; meeting an active relation whose policies contain
 * a sub-select again is the error. So it recurses when `tableKey` is reachable from the
 * sub-select reads of its own policies (any command), following the sub-select reads of each
 * reached relation's SELECT/ALL policies. Returns the policy whose sub-select reads
 * `tableKey` and closes the cycle, or undefined.
 */
export function selectSubLinkWouldRecurse(model: Model, tableKey: string): Policy | undefined {
  const queue: Array<{ key: string; via: Policy }> = [];
  for (const p of policiesOf(model, tableKey)) for (const e of policyExprs(p)) for (const k of subSelectReadsAsExpanded(model, e.node)) queue.push({ key: k, via: p });
  const seen = new Set<string>();
  while (queue.length) {
    const { key, via } = queue.shift()!;
    if (key === tableKey) return via;
    if (seen.has(key)) continue;
    seen.add(key);
    for (const p of policiesOf(model, key)) {
      if (p.command !== 'select' && p.command !== 'all') continue;
      for (const e of policyExprs(p)) if (e.clause === 'using') for (const k of subSelectReadsAsExpanded(model, e.node)) queue.push({ key: k, via: p });
    }
  }
  return undefined;
}

/** Whether the expression reads `tableKey` (directly or through a view) anywhere. */
export function readsTable(model: Model, node: Node, tableKey: string): boolean {
  return relationsIn(node).some((r) => expandViews(model, model.relKey(r)).has(tableKey));
}

// ---------------------------------------------------------------------------------------
// Functions policies call

export interface PolicyFunction {
  func: Func;
  /** the first policy (in model order) that calls it, directly or through other functions */
  policy: Policy;
}

/**
 * Workspace functions that active policies call, directly or through the functions they
 * call, each with the first policy that reaches it. In model order; each function once.
 */
export function functionsCalledByPolicies(model: Model): PolicyFunction[] {
  return memoModel(model, 'functionsCalledByPolicies', () => functionsCalledByPoliciesUncached(model));
}
function functionsCalledByPoliciesUncached(model: Model): PolicyFunction[] {
  // (one stack for every policy, and no set of its own per policy: a function is followed the
  // first time any policy reaches it, and everything it calls is then in `out` too. Bench, per
  // re-lint: a Set and an array for each of ≈ 8,800 policies, 2.5 MB, most of them calling nothing)
  const out = new Map<Func, Policy>();
  const stack: Func[] = [];
  const rows = activeRows(model);
  for (let i = 0; i < rows.length; i++) {
    const row = rows[i]!;
    for (const e of row.exprs) {
      const calls = resolvedCalls(model, e.node);
      for (let j = 0; j < calls.length; j++) if (!out.has(calls[j]!)) stack.push(calls[j]!);
    }
    while (stack.length) {
      const f = stack.pop()!;
      if (out.has(f)) continue;
      out.set(f, row.policy);
      for (const k of f.calls) for (const g of model.functions.get(k) ?? []) if (!out.has(g)) stack.push(g);
    }
  }
  return [...out].map(([func, policy]) => ({ func, policy }));
}

/** Each call of callsIn(node), as a stable key. */
const callListKeys = memoised((node: Node): CallKey[] => callsIn(node).map((c) => ({ key: `${c.name.join('\u0000')}\u0000${c.args.length}`, parts: c.name, argc: c.args.length, node: c.node })));

const newResolvedMap = () => new Map<string, Func | null>();

/**
 * The workspace function a call (its name parts, argument count and FuncCall node) resolves to: a
 * one-part name through the SET search_path it was written under (Model.callPathKey), the
 * overload of its argument count or else the last one; otherwise model.findFunction. Callers
 * resolving many calls pass the call's CallKey.key and a map of the model's answers by key.
 */
export function resolveCall(model: Model, parts: string[], argc: number, node: Node | undefined, key?: string, byKey?: Map<string, Func | null>): Func | undefined {
  const viaPath = parts.length === 1 && node ? model.callPathKey(node) : undefined;
  if (viaPath) {
    const list = model.functions.get(viaPath);
    return list?.find((x) => x.argTypes.length === argc) ?? list?.[list.length - 1];
  }
  if (key === undefined || !byKey) return model.findFunction(parts, argc);
  let f = byKey.get(key);
  if (f === undefined) byKey.set(key, (f = model.findFunction(parts, argc) ?? null));
  return f ?? undefined;
}

/** The workspace functions the calls of callsIn(node) resolve to, in order (per model). */
export function resolvedCalls(model: Model, node: Node): readonly Func[] {
  if (!node || typeof node !== 'object') return NO_FUNCS;
  const facts = nodeFactsFor(node, model);
  if (facts.resolved) return facts.resolved as Func[];
  // (most policy expressions call no workspace function, only auth.uid() and the like: one
  // shared empty list for them, not one per expression per model, ≈ 0.6 MB per bench re-lint)
  let out: Func[] | undefined;
  const byKey = memoModel(model, 'resolvedCalls', newResolvedMap);
  for (const c of callListKeys(node)) {
    const f = resolveCall(model, c.parts, c.argc, c.node, c.key, byKey);
    if (f) (out ??= []).push(f);
  }
  facts.resolved = out ?? NO_FUNCS;
  return facts.resolved as readonly Func[];
}

const NO_FUNCS: readonly Func[] = Object.freeze([]);

/** Kinds of content somewhere in a function body of the workspace (census of each body statement). */
export const BODY_CURRENT_SETTING = 1;
export const BODY_USER_META = 2;
/** a call of role(), jwt() or current_setting() beside a literal (policy-jwt-role-never-matches' comparisons of the request's role) */
export const BODY_ROLE_ASK = 4;

const bodyFlagsByFile = new WeakMap<object, number>();
/**
 * The BODY_* kinds found in the function bodies of the model's files (kept per parsed file):
 * when a kind is absent, no function of the model has it in its body.
 */
export function bodyFlags(model: Model): number {
  return memoModel(model, 'bodyFlags', () => {
    let all = 0;
    for (const file of model.files) {
      let flags = bodyFlagsByFile.get(file);
      if (flags === undefined) {
        flags = 0;
        // a name or string can only read `current_setting` / `user_meta`, or call role() or jwt(),
        // if the text says so, unless written with escapes (E'…', U&"…"): then each body is looked at
        const text = file.text;
        const look = /current_setting|user_meta|role|jwt/i.test(text) || /(?<![\w$])[eE]'|[uU]&["']/.test(text);
        if (look) for (const stmt of file.statements) {
          for (const st of stmt.body?.statements ?? []) {
            const c = census(st.node);
            if (c.currentSetting) flags |= BODY_CURRENT_SETTING;
            if (c.userMeta) flags |= BODY_USER_META;
            if (c.aConst && c.funcCalls.some(asksRoleByName)) flags |= BODY_ROLE_ASK;
          }
        }
        bodyFlagsByFile.set(file, flags);
      }
      all |= flags;
    }
    return all;
  });
}

/** Whether a function body's text is dollar-quoted (so edits inside need no quote doubling). */
export function dollarQuotedBody(model: Model, f: Func): boolean {
  if (!f.body) return false;
  const text = textOfFile(model, f.created.file);
  return /\$([A-Za-z_]\w*)?\$$/.test(text.slice(Math.max(0, f.body.start - 64), f.body.start));
}

// ---------------------------------------------------------------------------------------
// Content other rules report (so fixes that copy an expression do not copy a finding)

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const NIL_UUID = '00000000-0000-0000-0000-000000000000';

/** Whether a column name looks like an identifier of a row or user: `id` or `…_id`. */
export function idLikeColumn(name: string): boolean {
  return /^(id|.*_id)$/i.test(name);
}

function columnName(n: Node): string | undefined {
  const f = n?.ColumnRef?.fields;
  return f ? sval(f[f.length - 1]) : undefined;
}

function literal(n: Node): { value: string | number; location: number } | undefined {
  const inner = n?.TypeCast ? n.TypeCast.arg : n;
  const v = constValue(inner);
  if (typeof v !== 'string' && typeof v !== 'number') return undefined;
  // Text that is neither a number nor a uuid is a chosen name (e.g. a storage bucket_id
  // 'avatars'), the same in every database: not a generated id.
  if (typeof v === 'string' && !/^\s*\d+\s*$/.test(v) && !UUID.test(v.trim())) return undefined;
  // 0 and below are no generated id: a sequence (serial, identity) starts at 1 and counts up, so
  // `assignment_group_id = 0` is a marker the schema gives a meaning (no group), the same in every
  // database (pawtograder's submission_ordinal_counters)
  if (Number(v) <= 0) return undefined;
  const c = inner.A_Const;
  return { value: v, location: c?.location ?? -1 };
}

/**
 * Whether hardcodedIds could find something in a tree: a string literal shaped like a uuid, or an
 * A_Expr with an id-like column on one side and, on the other, what its literals are read from
 * (a constant, a cast, an IN list, an array). A superset of hardcodedIds' conditions (the kind
 * and operator are not checked), without allocating: exprFlags asks hardcodedIds itself only
 * where this holds.
 */
function mayHoldHardcodedId(n: Node): boolean {
  if (Array.isArray(n)) {
    for (let i = 0; i < n.length; i++) {
      const x = n[i];
      if (x && typeof x === 'object' && mayHoldHardcodedId(x)) return true;
    }
    return false;
  }
  for (const k in n) {
    const v = n[k];
    if (!v || typeof v !== 'object') continue;
    if (k === 'A_Const') {
      const s = v.sval?.sval;
      // (a uuid is 36 characters once trimmed; an A_Const holds no other node)
      if (typeof s === 'string' && s.length >= 36 && UUID.test(s.trim())) return true;
      continue;
    }
    if (k === 'A_Expr' && (idColumnWithLiteral(v.lexpr, v.rexpr) || idColumnWithLiteral(v.rexpr, v.lexpr))) return true;
    // (names only under these)
    if (k === 'String' || k === 'ColumnRef') continue;
    if (mayHoldHardcodedId(v)) return true;
  }
  return false;
}

/** An id-like column compared with what hardcodedIds reads literals from (a constant, a cast, a list, an array). */
function idColumnWithLiteral(col: Node, other: Node): boolean {
  if (!other || typeof other !== 'object' || !(other.A_Const || other.TypeCast || other.List || other.A_ArrayExpr)) return false;
  const name = columnName(col);
  return name !== undefined && idLikeColumn(name);
}

export interface HardcodedId {
  value: string | number;
  /** the literal's location */
  location: number;
  /** the id-like column it is compared with, if any */
  column?: string;
}

/**
 * Literal ids in an expression: any uuid literal (except the nil uuid), and any number (or
 * numeric text) compared (=, <>, IN, = ANY) with a column named `id` or `…_id`. In source order.
 */
export const hardcodedIds = memoisedAt(hardcodedIdsUncached);
function hardcodedIdsUncached(node: Node): HardcodedId[] {
  if (!census(node).aConst) return []; // every literal is an A_Const
  const out = new Map<number, HardcodedId>();
  visitTyped(node, (type, n) => {
    if (type === 'A_Const') {
      const v = constValue({ A_Const: n });
      if (typeof v === 'string' && UUID.test(v.trim()) && v.trim() !== NIL_UUID && !out.has(n.location ?? -1)) out.set(n.location ?? -1, { value: v, location: n.location ?? -1 });
      return;
    }
    if (type !== 'A_Expr') return;
    const kind = n.kind;
    if (kind !== 'AEXPR_OP' && kind !== 'AEXPR_IN' && kind !== 'AEXPR_OP_ANY') return;
    const op = sval(n.name?.[n.name.length - 1]);
    if (op !== '=' && op !== '<>' && op !== '!=') return;
    const sides: Array<[Node, Node]> = [
      [n.lexpr, n.rexpr],
      [n.rexpr, n.lexpr],
    ];
    for (const [col, other] of sides) {
      const name = columnName(col);
      if (!name || !idLikeColumn(name)) continue;
      const items: Node[] = kind === 'AEXPR_IN' ? (other?.List?.items ?? []) : kind === 'AEXPR_OP_ANY' ? (other?.A_ArrayExpr?.elements ?? (other?.TypeCast?.arg?.A_ArrayExpr?.elements ?? [])) : [other];
      for (const it of items) {
        const lit = literal(it);
        if (!lit || lit.location < 0) continue;
        if (typeof lit.value === 'string' && lit.value.trim() === NIL_UUID) continue;
        out.set(lit.location, { value: lit.value, location: lit.location, column: name });
      }
    }
  });
  return [...out.values()].sort((a, b) => a.location - b.location);
}

export interface UserMetadataRef {
  /** where the reference starts (the literal or the column reference) */
  location: number;
  kind: 'claim' | 'column';
}

const JSON_STEP_OPS = new Set(['->', '->>']);
const JSON_PATH_OPS = new Set(['#>', '#>>']);

function isJsonAccess(n: Node): boolean {
  const a = n?.A_Expr;
  if (!a || a.kind !== 'AEXPR_OP') return false;
  const op = sval(a.name?.[a.name.length - 1]) ?? '';
  return JSON_STEP_OPS.has(op) || JSON_PATH_OPS.has(op);
}

/**
 * A JSON key as written: the literal, or the literal cast to a text type, as pg_dump writes every
 * key (`auth.jwt() ->> 'user_metadata'::text`: Inventory-System-Cainta's seed.sql, a dump).
 */
function jsonKey(n: Node): Node {
  const c = n?.TypeCast;
  return c && c.arg?.A_Const && TEXT_TYPES.has(typeName(c.typeName)) ? c.arg : n;
}

/**
 * References to Supabase's user-editable metadata: `… -> 'user_metadata'`, `… #>>
 * '{user_metadata,…}'`, `jsonb_extract_path(…, 'user_metadata', …)` (as the first step of a
 * JSON access, e.g. on auth.jwt()), and the auth.users column `raw_user_meta_data`.
 */
export const userMetadataRefs = memoisedAt(userMetadataRefsUncached);
function userMetadataRefsUncached(node: Node): UserMetadataRef[] {
  if (!census(node).userMeta) return []; // each kind of reference is a string that contains user_meta
  const out: UserMetadataRef[] = [];
  visitTyped(node, (type, n) => userMetadataRefsAt(type, n, out));
  return out.filter((r) => r.location >= 0).sort((a, b) => a.location - b.location);
}

/**
 * The references userMetadataRefs finds at one typed node (`{ [type]: n }`), not below it,
 * pushed to `out` (a location may be -1).
 */
export function userMetadataRefsAt(type: string, n: Node, out: UserMetadataRef[]): void {
  if (type === 'ColumnRef') {
    if (columnName({ ColumnRef: n })?.toLowerCase() === 'raw_user_meta_data') out.push({ location: n.location ?? -1, kind: 'column' });
    return;
  }
  if (type === 'A_Expr' && n.kind === 'AEXPR_OP') {
    const op = sval(n.name?.[n.name.length - 1]) ?? '';
    if (isJsonAccess(n.lexpr)) return; // a nested key, e.g. app_metadata -> 'user_metadata'
    if (JSON_STEP_OPS.has(op)) {
      const k = jsonKey(n.rexpr);
      if (constValue(k) === 'user_metadata') out.push({ location: k.A_Const.location ?? -1, kind: 'claim' });
    } else if (JSON_PATH_OPS.has(op)) {
      const r = n.rexpr?.TypeCast ? n.rexpr.TypeCast.arg : n.rexpr;
      const path = constValue(r);
      if (typeof path === 'string' && /^\s*\{\s*"?user_metadata"?\s*[,}]/.test(path)) out.push({ location: r.A_Const.location ?? -1, kind: 'claim' });
      const first = r?.A_ArrayExpr?.elements?.[0];
      if (first && constValue(first) === 'user_metadata') out.push({ location: first.A_Const.location ?? -1, kind: 'claim' });
    }
    return;
  }
  if (type === 'FuncCall') {
    const name = nameParts(n.funcname).pop()?.toLowerCase() ?? '';
    if (!/^jsonb?_extract_path(_text)?$/.test(name)) return;
    const args: Node[] = n.args ?? [];
    if (isJsonAccess(args[0])) return;
    const k = args[1] ? jsonKey(args[1]) : undefined;
    if (k && constValue(k) === 'user_metadata') out.push({ location: k.A_Const.location ?? -1, kind: 'claim' });
  }
}

export interface SettingCall {
  node: Node;
  location: number;
  /** the setting's name */
  setting: string;
  /** no missing_ok (or missing_ok false): 42704 when the setting was never set (T15) */
  missing: boolean;
  /** cast to a non-text type without nullif: 22P02 once a local set has ended (T15b) */
  castType?: string;
  /**
   * Replacing the call's value by NULL where it used to raise an error can only make the
   * expression admit rows it admits whatever the setting's value: the path from the call to
   * the expression's top is strict (casts, operators, IN, AND/OR/NOT) and crosses no sub-select.
   */
  strictPath: boolean;
  /**
   * The call sits in a branch the rest of the expression may decide without it: an operand of
   * AND / OR (evaluated left to right, stopping once decided), a CASE, COALESCE, NULLIF or
   * GREATEST/LEAST: a row decided first never evaluates it (T15b's failure is then per row).
   */
  conditional: boolean;
  /**
   * The call is the first argument of `coalesce(…, '')` (its other arguments '') under the cast:
   * the location of that coalesce, whose value is '' whenever the setting is unset, never set
   * included, so the cast fails then too.
   */
  emptyDefault?: number;
  /** the call is the first argument of a coalesce with constant defaults (not '') under the cast: '' passes through it to the cast */
  defaulted?: true;
  /** the call is the first argument of a nullif under the cast whose second is not '' (its value, when a constant): '' passes through it to the cast */
  keptNullif?: string | null;
  /** a name without a prefix that is no built-in parameter: it can never be set (42704 on SET and set_config) */
  undotted?: true;
  /**
   * The name parts (as written) of the function call the setting's value is an argument of, at
   * any depth but with no sub-select between: the planner does not evaluate the arguments of a
   * call it cannot inline (a PL/pgSQL function), so only a statement that evaluates the policy
   * for a row fails (PGlite: a SELECT of an empty table runs).
   */
  inCall?: string[];
  /**
   * The planner computes the value while planning the policy as a filter, so the error comes
   * even for a statement that reaches no row: only when it stands outside every sub-select in an
   * operand of a comparison whose other operand reads a column of the row (the selectivity
   * estimate of `tenant_id = current_setting(x, true)::uuid` computes the constant side). Inside
   * a sub-select it is an InitPlan or SubPlan, computed when a row's condition reaches it; compared
   * with no column (`current_setting(x, true)::json ->> 'role' = 'service_role'`, a bare
   * `current_setting(x, true)::boolean`) nothing is estimated from it (PGlite: a SELECT and a
   * DELETE of an empty table run; with one row both fail). False only when certain.
   */
  planned: boolean;
  /** the call is inside a sub-select of the expression */
  inSubSelect?: true;
}

/** Operators whose result the planner does not estimate: it goes on to the comparison they are an operand of. */
const VALUE_OPS = new Set(['->', '->>', '#>', '#>>', '||', '+', '-', '*', '/', '%']);

/** Whether `n` reads a column of the row outside any sub-select. */
function readsColumn(n: Node | undefined): boolean {
  if (!n) return false;
  let found = false;
  visitTyped(n, (type) => {
    if (found || type === 'SubLink') return false;
    if (type === 'ColumnRef') found = true;
  });
  return found;
}

/** See SettingCall.planned: walks from the call up to the comparison it is an operand of. */
function plannedCall(ancestors: readonly Ancestor[]): boolean {
  if (ancestors.some((a) => a.type === 'SubLink')) return false;
  for (let j = ancestors.length - 1; j >= 0; j--) {
    const a = ancestors[j]!;
    if (a.type === 'TypeCast' || a.type === 'List' || a.type === 'A_ArrayExpr' || a.type === 'A_Indirection' || a.type === 'FuncCall') continue;
    if (a.type === 'BoolExpr') {
      if (a.node.boolop === 'NOT_EXPR') continue;
      return false;
    }
    if (a.type === 'A_Expr') {
      const op = a.node.kind === 'AEXPR_OP' ? nameParts(a.node.name).pop() : undefined;
      if (op !== undefined && VALUE_OPS.has(op)) continue;
      if (a.node.kind === 'AEXPR_NULLIF') continue;
      const other = a.field === 'lexpr' ? a.node.rexpr : a.field === 'rexpr' ? a.node.lexpr : undefined;
      return other === undefined || readsColumn(other);
    }
    return true; // (anything else: as PostgreSQL may estimate it)
  }
  return false;
}

const STRICT_EXPR_KINDS = new Set(['AEXPR_OP', 'AEXPR_OP_ANY', 'AEXPR_OP_ALL', 'AEXPR_IN', 'AEXPR_LIKE', 'AEXPR_ILIKE', 'AEXPR_SIMILAR']);

/** `SELECT <one expression>` with no FROM, WHERE, grouping, set operation or limit. */
function valueOnlySelect(n: Node): boolean {
  return (
    (n.targetList?.length ?? 0) === 1 &&
    !n.fromClause && !n.whereClause && !n.groupClause && !n.havingClause && !n.limitCount && !n.limitOffset && !n.valuesLists && !n.withClause &&
    (!n.op || n.op === 'SETOP_NONE')
  );
}

function missingOkValue(n: Node | undefined): boolean | undefined {
  if (!n) return false;
  const v = constBool(n);
  if (typeof v === 'boolean') return v;
  const s = constValue(n);
  if (typeof s === 'string') {
    const w = s.trim().toLowerCase();
    if (TRUE_WORDS.has(w)) return true;
    if (FALSE_WORDS.has(w)) return false;
  }
  return undefined;
}

/**
 * current_setting() calls on custom settings (`app.x`, `request.jwt.claims`) that can raise
 * an error inside a policy: without missing_ok (42704 when never set, T15), or cast to a
 * non-text type without nullif(…, '') (22P02 after a transaction-local set has ended, T15b).
 */
export const unsafeSettingCalls = memoisedAt(unsafeSettingCallsUncached);
function unsafeSettingCallsUncached(node: Node): SettingCall[] {
  if (!census(node).currentSetting) return [];
  const out: SettingCall[] = [];
  visitTyped(node, (type, n, ancestors) => {
    if (type !== 'FuncCall') return;
    const parts = nameParts(n.funcname).map((s) => s.toLowerCase());
    const name = parts.join('.');
    if (name !== 'current_setting' && name !== 'pg_catalog.current_setting') return;
    const args: Node[] = n.args ?? [];
    const setting = stringConst(args[0]);
    if (setting === undefined) return;
    // (built-in settings always exist; a name without a prefix that is none of them can never be
    // set: SET and set_config() refuse it with 42704, so without missing_ok the call always fails)
    const undotted = !setting.includes('.');
    if (undotted && BUILTIN_SETTINGS.has(setting.toLowerCase())) return;
    const missingOk = missingOkValue(args[1]);
    if (missingOk === undefined || args.length > 2 || (undotted && missingOk)) return;
    // casts directly around the call; a nullif(…, '') around it makes '' harmless
    let castType: string | undefined;
    let i = ancestors.length - 1;
    let nullif = false;
    let emptyDefault: number | undefined;
    let emptyNode: Node | undefined;
    let defaulted = false;
    let keptNullif: string | null | undefined;
    for (; i >= 0; i--) {
      const a = ancestors[i]!;
      // (`coalesce(current_setting(x, true), '')`: '' when unset, passed on to the cast)
      if (a.type === 'CoalesceExpr' && a.field === 'args' && emptyDefault === undefined && castType === undefined) {
        const args: Node[] = a.node.args ?? [];
        if (args[0]?.FuncCall === n && args.length > 1 && args.slice(1).every((x) => stringConst(x) === '')) {
          emptyDefault = typeof a.node.location === 'number' ? a.node.location : -1;
          emptyNode = a.node;
          continue;
        }
        // (`coalesce(current_setting(x, true), 'false')::boolean`: a default only for NULL, never
        // set; after a transaction-local set has ended the call gives '', which the coalesce passes
        // on to the cast: roiheimen's jwt.claims.admin. Fixed in place: nullif around the call)
        if (args[0]?.FuncCall === n && args.length > 1 && args.slice(1).every((x) => stringConst(x) !== undefined)) {
          emptyNode = a.node;
          defaulted = true;
          continue;
        }
      }
      if (a.type === 'TypeCast' && a.field === 'arg') {
        const t = typeName(a.node.typeName);
        if (!TEXT_TYPES.has(t)) castType ??= t;
        continue;
      }
      // `(select current_setting(…))::uuid`: the value passes through the sub-select unchanged
      if (a.type === 'ResTarget' && a.field === 'val') continue;
      if (a.type === 'SelectStmt' && valueOnlySelect(a.node)) continue;
      if (a.type === 'SubLink' && a.node.subLinkType === 'EXPR_SUBLINK' && a.field === 'subselect') continue;
      // (only a nullif whose second argument is '' turns the '' a local set leaves into NULL; another,
      // `nullif(current_setting('jwt.claims.permissions', true), '[]')::json` (armand1m/golinks),
      // passes '' on to the cast, which fails with 22P02: go on to what is around it)
      const emptied = a.type === 'A_Expr' && a.node.kind === 'AEXPR_NULLIF' && a.field === 'lexpr' ? a.node.rexpr : a.type === 'FuncCall' && nameParts(a.node.funcname).pop()?.toLowerCase() === 'nullif' ? a.node.args?.[1] : undefined;
      if (emptied !== undefined && stringConst(emptied) !== '') {
        if (castType === undefined) keptNullif ??= stringConst(emptied) ?? null;
        continue;
      }
      if (emptied !== undefined) nullif = true;
      break;
    }
    if (nullif) castType = undefined;
    if (missingOk && !castType) return;
    // (the coalesce(…, '') a cast reads the call through is its value, replaced with it by the fix: neither a branch nor a break of the strict path)
    if (!castType) emptyNode = undefined;
    let strictPath = true;
    for (let j = ancestors.length - 1; j >= 0; j--) {
      const a = ancestors[j]!;
      if (a.node === emptyNode) continue;
      if (a.type === 'TypeCast' || a.type === 'BoolExpr' || a.type === 'List' || a.type === 'A_ArrayExpr') continue;
      if (a.type === 'A_Expr' && STRICT_EXPR_KINDS.has(a.node.kind)) continue;
      // a scalar sub-select that only computes a value, `(select <expr>)`, passes NULL through
      if (a.type === 'ResTarget' && a.field === 'val') continue;
      if (a.type === 'SelectStmt' && valueOnlySelect(a.node)) continue;
      if (a.type === 'SubLink' && a.node.subLinkType === 'EXPR_SUBLINK' && a.field === 'subselect') continue;
      strictPath = false;
      break;
    }
    let conditional = false;
    for (let j = ancestors.length - 1; j >= 0 && !conditional; j--) {
      if (ancestors[j]!.node === emptyNode) continue;
      const t = ancestors[j]!.type;
      conditional = t === 'BoolExpr' ? ancestors[j]!.node.boolop !== 'NOT_EXPR' : t === 'CaseExpr' || t === 'CoalesceExpr' || t === 'MinMaxExpr';
    }
    let inCall: string[] | undefined;
    for (let j = ancestors.length - 1; j >= 0; j--) {
      const t = ancestors[j]!.type;
      if (t === 'SubLink' || t === 'SelectStmt') break;
      if (t === 'FuncCall') {
        inCall = nameParts(ancestors[j]!.node.funcname);
        break;
      }
    }
    const planned = plannedCall(ancestors);
    const inSubSelect = ancestors.some((a) => a.type === 'SubLink');
    out.push({ node: n, location: n.location ?? -1, setting, missing: !missingOk, castType, strictPath, conditional, planned, ...(inSubSelect ? { inSubSelect: true as const } : {}), ...(emptyDefault !== undefined && castType ? { emptyDefault } : {}), ...(defaulted && castType ? { defaulted: true as const } : {}), ...(keptNullif !== undefined && castType ? { keptNullif } : {}), ...(undotted ? { undotted: true } : {}), ...(inCall ? { inCall } : {}) });
    return false;
  });
  return out.filter((c) => c.location >= 0);
}

/** True when copying the expression elsewhere would copy something an expression rule reports. */
export function unsafeContent(model: Model, node: Node): boolean {
  void model;
  return hardcodedIds(node).length > 0 || userMetadataRefs(node).length > 0 || unsafeSettingCalls(node).length > 0;
}

/** The source texts of a call's name and arguments (split at top-level commas). */
export function callParts(text: string, span: Span): { name: string; args: string[] } | undefined {
  const open = text.indexOf('(', span.start);
  if (open < 0 || open >= span.end) return undefined;
  const name = text.slice(span.start, open).trim();
  const inner = text.slice(open + 1, span.end - 1);
  const args: string[] = [];
  let depth = 0;
  let start = 0;
  for (let i = 0; i < inner.length; i++) {
    const c = inner[i];
    if (c === "'" || c === '"') {
      const q = c;
      i++;
      while (i < inner.length && !(inner[i] === q && inner[i + 1] !== q)) i += inner[i] === q ? 2 : 1;
    } else if (c === '(' || c === '[') depth++;
    else if (c === ')' || c === ']') depth--;
    else if (c === ',' && depth === 0) {
      args.push(inner.slice(start, i).trim());
      start = i + 1;
    }
  }
  if (inner.trim()) args.push(inner.slice(start).trim());
  return { name, args };
}

// ---------------------------------------------------------------------------------------
// Signatures of what calls resolve to (for results kept across lints)
//
// Parsed statements are cached per file text, so an expression is the same node after an edit
// elsewhere while the model is new. A result computed from a node and the functions its calls
// resolve to can be kept on the node under a signature of those resolutions: the statement
// each call resolves to (its identity), what ALTER FUNCTION may change (volatility, security,
// SET clauses, owner, kind), and the same of the functions its body calls, transitively.

export interface CallKey {
  /** name parts and argument count (NUL-separated), stable per node (so lookups hash nothing new) */
  key: string;
  parts: string[];
  argc: number;
  /** the FuncCall node (a one-part name may have resolved through a search_path: Model.callPathKey) */
  node?: Node;
}

/**
 * A call's key (CallKey.key) and that key with callKeyList's separator (the key of the list of
 * that call alone), made once per name and argument count: every policy's calls are asked
 * theirs (≈ 3 MB of strings built per cold bench lint otherwise). By first name part, then
 * second ('' for a one-part name), then argument count; bounded, as the interners below.
 */
interface CallKeyText {
  key: string;
  alone: string;
}
let callKeyTexts = new Map<string, Map<string, CallKeyText[]>>();
let callKeyTextCount = 0;

/** CallKey.key of a call, `${nameParts(v.funcname).join('\u0000')}\u0000${argc}`, with its separator. */
function callKeyTextOf(v: Node): CallKeyText {
  const list: Node[] | undefined = v.funcname;
  const argc: number = v.args?.length ?? 0;
  const n = list?.length ?? 0;
  const p0 = n === 1 || n === 2 ? sval(list![0]) : undefined;
  const p1 = n === 2 ? sval(list![1]) : '';
  if (!p0 || p1 === undefined || (n === 2 && !p1)) return makeCallKeyText(list, argc);
  let byFirst = callKeyTexts.get(p0);
  if (!byFirst) callKeyTexts.set(p0, (byFirst = new Map()));
  let byArgc = byFirst.get(p1);
  if (!byArgc) byFirst.set(p1, (byArgc = []));
  let t = byArgc[argc];
  if (t === undefined) {
    t = makeCallKeyText(list, argc);
    // when full, start over (the entry is then made again when asked, never wrong)
    if (++callKeyTextCount > 20000) {
      callKeyTexts = new Map();
      callKeyTextCount = 0;
    } else byArgc[argc] = t;
  }
  return t;
}

function makeCallKeyText(list: Node[] | undefined, argc: number): CallKeyText {
  const key = `${nameParts(list).join('\u0000')}\u0000${argc}`;
  return { key, alone: `${key}\u0001` };
}

/** Distinct calls anywhere in a node (sub-selects included), first-seen order. */
export const callKeysIn = memoised(callKeysInUncached);
function callKeysInUncached(node: Node): CallKey[] {
  const out: CallKey[] = [];
  const seen = new Set<string>();
  for (const v of census(node).funcCalls) {
    const parts = nameParts(v.funcname);
    const argc = (v.args ?? []).length;
    const key = `${parts.join('\u0000')}\u0000${argc}`;
    if (!seen.has(key)) {
      seen.add(key);
      out.push({ key, parts, argc });
    }
  }
  return out;
}

/**
 * One object per distinct content, for strings and call lists compared or looked up many times
 * per lint (signatures, the calls of a node): equal ones are then the same object, which compare
 * and hash as pointers. Bounded: when full it starts over (sharing is lost, never correctness).
 */
function interner<T, A = undefined>(limit = 20000): (key: string, make: (arg: A) => T, arg: A) => T {
  let m = new Map<string, T>();
  // (`make` gets `arg`: a caller passes a function made once, no closure per look-up)
  return (key, make, arg) => {
    let v = m.get(key);
    if (v === undefined) {
      if (m.size >= limit) m = new Map();
      m.set(key, (v = make(arg)));
    }
    return v;
  };
}

const internedSigs = interner<string, string>();
const itself = (s: string): string => s;
/** The signature string of this content that every lint shares (so kept results compare signatures as pointers). */
export function internSig(sig: string): string {
  return internedSigs(sig, itself, sig);
}

const internedLists = interner<CallKey[], Node>();
const callKeysOfNode = (node: Node): CallKey[] => fitted(callKeysInUncached(node));
/**
 * callKeysIn(node) as a list shared by every node with the same calls (what per-model signatures
 * are kept under), kept in the node's facts. Not through callKeysIn's memo: the shared list is
 * all the node keeps, not a list of its own as well.
 */
export function callKeyList(facts: NodeFacts, node: Node): CallKey[] {
  let list = facts.callList as CallKey[] | undefined;
  if (!list) {
    // the shared list's key from the calls' keys alone: its CallKey records (and their name
    // parts) are made only for a list not met before (most nodes share theirs: bench)
    const calls = census(node).funcCalls;
    let k = '';
    // the keys met (the first apart: most nodes have one call; no list grown by push())
    let first: string | undefined;
    let more: string[] | undefined;
    for (let i = 0; i < calls.length; i++) {
      const t = callKeyTextOf(calls[i]);
      if (t.key === first || more?.includes(t.key)) continue;
      if (first === undefined) first = t.key;
      else more = more ? [...more, t.key] : [t.key];
      k = k ? k + t.alone : t.alone;
    }
    facts.callList = list = internedLists(k, callKeysOfNode, node);
  }
  return list;
}

interface SigState {
  byCall: Map<string, string>;
  /** nodeCallSig per shared call list */
  byList: Map<CallKey[], string>;
  byFunc: Map<Func, string>;
  active: Set<Func>;
  /** set when a signature met a function still being signed (a cycle): such signatures are not memoised */
  cyclic: number;
}

const newSigState = (): SigState => ({ byCall: new Map(), byList: new Map(), byFunc: new Map(), active: new Set(), cyclic: 0 });

function sigState(model: Model): SigState {
  return memoModel(model, 'callSignatures', newSigState);
}

/** The signature of what a call resolves to ('0': no workspace function). */
export function callSig(model: Model, c: CallKey): string {
  const s = sigState(model);
  const hit = s.byCall.get(c.key);
  if (hit !== undefined) return hit;
  const f = model.findFunction(c.parts, c.argc);
  const before = s.cyclic;
  const sig = f ? funcSigIn(model, s, f) : '0';
  if (s.cyclic === before) s.byCall.set(c.key, sig);
  return sig;
}

/** The signature of a function: its statement, its alterable facts and those of the functions its body calls. */
export function funcSig(model: Model, f: Func): string {
  return funcSigIn(model, sigState(model), f);
}

function funcSigIn(model: Model, s: SigState, f: Func): string {
  const hit = s.byFunc.get(f);
  if (hit !== undefined) return hit;
  const id = idOf(f.stmt);
  if (s.active.has(f)) {
    s.cyclic++;
    return `^${id}`;
  }
  s.active.add(f);
  const before = s.cyclic;
  let sig = `${id}:${f.key}:${f.volatility[0]}${f.securityDefiner ? 'd' : ''}${f.isProcedure ? 'p' : ''}${f.returnsTrigger ? 't' : ''}${f.language}|${f.owner?.role ?? ''}`;
  for (const x of f.settings) sig += `|${x.name}=${x.values.join(',')}`;
  if (f.body) {
    sig += '{';
    for (const st of f.body.statements) for (const c of callKeysIn(st.node)) sig += `${c.key}=${callSig(model, c)};`;
    sig += '}';
  }
  s.active.delete(f);
  if (s.cyclic === before) s.byFunc.set(f, sig);
  return sig;
}

/** The signature of what the calls of a node resolve to (per model). */
export function nodeCallSig(model: Model, node: Node): string {
  if (!node || typeof node !== 'object') return '';
  return nodeCallSigOf(model, nodeFactsFor(node, model), node);
}

/** nodeCallSig, given the node's facts for this model (nodeFactsFor). */
export function nodeCallSigOf(model: Model, facts: NodeFacts, node: Node): string {
  if (facts.callSig !== undefined) return facts.callSig;
  return (facts.callSig = callListSig(model, callKeyList(facts, node)));
}

/** The signature of what the calls of a shared call list (callKeyList) resolve to (per model). */
export function callListSig(model: Model, list: CallKey[]): string {
  const s = sigState(model);
  let sig = s.byList.get(list);
  if (sig === undefined) {
    sig = '';
    for (const c of list) sig += `${callSig(model, c)},`;
    sig = internSig(sig);
    s.byList.set(list, sig);
  }
  return sig;
}

/**
 * A result computed from a node and the model, kept on the node across lints under `sign`'s
 * signature of what it depends on in the model; `what` names the question. The last result per
 * question and node is kept, with the last model it was found valid for and that model's
 * functionsToken: `sign` depends on what calls resolve to alone, so a model with the same token
 * has the same signature. `at`: the node's first offset, for a result that holds offsets (see
 * ast.ts memoisedAt).
 */
export function keptUnder<T>(model: Model, node: Node, what: string, sign: (model: Model, facts: NodeFacts, node: Node) => string, compute: () => T, at = -1): T {
  return keptUnderWith(model, node, what, sign, callThunk, compute, at) as T;
}
const callThunk = (_model: Model, _node: Node, compute: () => unknown): unknown => compute();

/**
 * keptUnder with `compute(model, node, arg)`: callers on hot paths pass a function made once
 * and its argument, so that asking a kept result makes no closure.
 */
export function keptUnderWith<T, A>(model: Model, node: Node, what: string, sign: (model: Model, facts: NodeFacts, node: Node) => string, compute: (model: Model, node: Node, arg: A) => T, arg: A, at = -1): T {
  if (!node || typeof node !== 'object') return compute(model, node, arg);
  const facts = nodeFactsFor(node, model);
  // the node's results, a list searched by question: a node is asked few (a Map per node cost
  // ≈ 170 bytes more, kept as long as the node, for the ≈ 18,000 policy nodes of the bench)
  const list = facts.results;
  let hit: KeptResult | undefined;
  if (list) {
    for (let i = 0; i < list.length; i++) {
      if (list[i]!.what === what) {
        hit = list[i];
        break;
      }
    }
  }
  const id = facts.model!;
  const token = functionsToken(model);
  if (hit && hit.at === at && (hit.model === id || hit.token === token)) {
    hit.model = id;
    hit.token = token;
    return hit.v as T;
  }
  const sig = sign(model, facts, node);
  if (hit && hit.sig === sig && hit.at === at) {
    hit.model = id;
    hit.token = token;
    return hit.v as T;
  }
  const v = compute(model, node, arg);
  if (hit) {
    hit.sig = sig;
    hit.v = v;
    hit.model = id;
    hit.at = at;
    hit.token = token;
  } else {
    const kept: KeptResult = { what, sig, v, model: id, at, token };
    // (an exact-size list: one built by push() has room for 17; read again, as computing may
    // have kept another question's result on the node)
    const now = facts.results;
    facts.results = now ? [...now, kept] : [kept];
  }
  return v;
}

type KeptResult = NonNullable<NodeFacts['results']>[number];

/**
 * A result computed from a node and what its calls resolve to, kept on the node across lints
 * under the signature of those resolutions (nodeCallSig); `what` names the question.
 */
/** keptUnder the signature of what the node's calls resolve to, for a result that holds offsets (checked with the node's first offset, as ast.ts memoisedAt). */
export function keptOnCalls<T>(model: Model, node: Node, what: string, compute: () => T): T {
  return keptUnder(model, node, what, nodeCallSigOf, compute, anchorAt(node));
}

/** The file a policy's USING is written in (the CREATE POLICY, or the ALTER POLICY that set it). */
export function usingFile(p: Policy): string {
  return p.stmt.kind === 'AlterPolicyStmt' && p.stmt.node?.qual === p.using ? p.loc.file : p.created.file;
}
