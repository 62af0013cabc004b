// policy-update-moves-row: an UPDATE (or ALL) policy whose check of the new row — its WITH CHECK,
// or its USING when it has none — admits a row through a condition on the caller's own row
// (`assignee_id = auth.uid()`) that says nothing of the row's group column (`workspace_id`), which
// the table's other policies bind to a membership (`EXISTS (… m.workspace_id = tasks.workspace_id
// AND m.user_id = auth.uid())`, `is_member(workspace_id)`). A user may then move such a row into
// any group, one they are not in, where the INSERT policies refuse to put it (measured on PGlite:
// agency-zen's tasks, an assignee plants a task in another workspace, whose members see it).
import type { Model, Policy, Table } from '../analysis/model.js';
import { roleList } from '../analysis/policies.js';
import { constBool, functionsToken, memoModel, type PolicyRow } from '../analysis/policy-exprs.js';
import { acceptedPolicies, reportPerTable, sameActiveRows, tableKeeper } from './lib/table-kept.js';
import { functionsFacts, keeper, modelToken, sameFacts, tablesHold, type TableDeps } from './lib/kept.js';
import { unreadableReads } from './lib/unreadable.js';
import { resolvedThroughPath } from '../analysis/model.js';
import { nameParts, sval, walk } from '../analysis/parse.js';
import { census, conjuncts, disjuncts } from '../analysis/ast.js';
import type { Node } from '../analysis/types.js';
import { defineRule, type Report } from './types.js';
import { columnRef, forWriter, looksAtCaller, mayHoldPrivilege, reportKeeper, uniqueColumn } from './lib/util.js';
import { guarded, guardedByTableAlone } from './policy-membership-self-join.js';
import { recursionCycles } from '../analysis/recursion.js';

/** How a condition admits a new row with respect to a group column. */
type Kind = 'own' | 'bound' | 'neutral' | 'other';

/** The names of the columns a node references (any qualifier), lower-case (from its census, kept per node). */
export function columnsIn(n: Node): Set<string> {
  const out = new Set<string>();
  for (const r of census(n).columnRefs) {
    const c = columnRef({ ColumnRef: r });
    if (c) out.add(c.name);
  }
  return out;
}

/**
 * What a condition of a policy of `t` admits with respect to group column `g`: `own` when it
 * admits a row through a test of one of the table's other columns against who calls (the caller's
 * own row), whatever `g` is; `bound` when every way it admits a row names `g`; `neutral` for a
 * condition on no column of the table (`auth.uid() IS NOT NULL`, an admin check); `other` else.
 */
export function kindOf(model: Model, t: Table, n: Node, g: string, exact = false): Kind {
  const k = keptOnNode(model, t, n);
  const list = exact ? k.exact : k.kinds;
  if (list !== undefined) for (let i = 0; i < list.length; i += 2) if (list[i] === g) return list[i + 1] as Kind;
  const deps: TableDeps = [];
  const kind = kindOfUncached(model, t, n, g, exact, deps);
  addTables(k, deps);
  if (exact) k.exact = k.exact === undefined ? [g, kind] : k.exact.concat(g, kind);
  else k.kinds = k.kinds === undefined ? [g, kind] : k.kinds.concat(g, kind);
  return kind;
}

/**
 * What is kept on a condition's node across lints, one record per node: kindOf's, groupColumnsOf's
 * and ownColumns' results, by group column, valid while calls resolve the same (functionsToken:
 * what looksAtCaller asks), the table has the same name and columns (columnsSig: a table made
 * again by a replay after an edit keeps them), and the tables its sub-selects read are the same
 * objects (those any of the results read: one that no longer holds drops them all). The bench's
 * 2,234 tables, each of whose policies the check asks these several times: ≈ 60 ms a re-lint.
 * One record of lists of the exact size, not a keeper entry and a Map per result, nor lists
 * grown by push (room for 17 elements, where most hold 2).
 */
interface OnNode {
  facts: readonly unknown[];
  sig: string;
  /** the relations the results read (undefined: none yet) */
  tables: TableDeps | undefined;
  /** kindOf's answers: group column, kind, group column, kind, … */
  kinds: string[] | undefined;
  /** the same with `exact` */
  exact: string[] | undefined;
  groups: Set<string> | undefined;
  /** ownColumns' answers: group column, columns, … */
  own: Array<string | string[]> | undefined;
}
const onNodes = new WeakMap<Node, OnNode>();

/** Adds the relations a result read to the node's record (a list of the exact size). */
function addTables(k: OnNode, deps: TableDeps): void {
  if (deps.length) k.tables = k.tables === undefined ? deps.slice() : k.tables.concat(deps);
}

function keptOnNode(model: Model, t: Table, n: Node): OnNode {
  const facts = functionsFacts(model);
  const sig = columnsSig(t);
  let k = onNodes.get(n);
  if (k !== undefined && k.sig === sig && sameFacts(k.facts, facts) && (k.tables === undefined || tablesHold(model, k.tables))) return k;
  k = { facts, sig, tables: undefined, kinds: undefined, exact: undefined, groups: undefined, own: undefined };
  onNodes.set(n, k);
  return k;
}

/** groupColumns of one condition, kept on its node (keptOnNode). */
export function groupColumnsOf(model: Model, t: Table, n: Node): Set<string> {
  const k = keptOnNode(model, t, n);
  if (k.groups) return k.groups;
  const deps: TableDeps = [];
  k.groups = groupColumns(model, t, [n], deps);
  addTables(k, deps);
  return k.groups;
}

/** A table's key and columns as one string, kept per table object: what the results kept on nodes depend on of it. */
function columnsSig(t: Table): string {
  let s = sigs.get(t);
  if (s === undefined) sigs.set(t, (s = `${t.key}\u0000${t.columns.join('\u0000')}`));
  return s;
}
const sigs = new WeakMap<Table, string>();

/**
 * The names of the columns a condition references (any qualifier, lower-case, as columnsIn), and
 * whether a call in it takes a column as an argument: one walk of its own, which keeps nothing on
 * the nodes (columnsIn's census is kept on each: the rule asks this of conditions' parts no other
 * rule looks at, and keeps its answers).
 */
interface Named {
  cols: Set<string>;
  columnArg: boolean;
}
function named(n: Node): Named {
  const out: Named = { cols: new Set(), columnArg: false };
  if (n && typeof n === 'object') namedIn(n, out);
  return out;
}
function namedIn(n: Node, out: Named): void {
  if (Array.isArray(n)) {
    for (let i = 0; i < n.length; i++) {
      const x = n[i];
      if (x && typeof x === 'object') namedIn(x, out);
    }
    return;
  }
  for (const k in n) {
    const v = n[k];
    if (!v || typeof v !== 'object' || k === 'String' || k === 'sval') continue;
    if (k === 'ColumnRef') {
      const name = columnName(v.fields);
      if (name !== undefined) out.cols.add(name);
      continue;
    }
    if (k === 'FuncCall' && !out.columnArg) {
      const args = v.args as Node[] | undefined;
      if (args) for (let i = 0; i < args.length; i++) if (args[i]?.ColumnRef) out.columnArg = true;
    }
    namedIn(v, out);
  }
}

/** The calls (FuncCall values) in a node, in the order census' funcCalls has them: one walk, nothing kept on the nodes (named). */
function callsOf(n: Node): Node[] {
  const out: Node[] = [];
  if (n && typeof n === 'object') callsIn(n, out);
  return out;
}
function callsIn(n: Node, out: Node[]): void {
  if (Array.isArray(n)) {
    for (let i = 0; i < n.length; i++) {
      const x = n[i];
      if (x && typeof x === 'object') callsIn(x, out);
    }
    return;
  }
  for (const k in n) {
    const v = n[k];
    if (!v || typeof v !== 'object' || k === 'String' || k === 'sval') continue;
    if (k === 'FuncCall') out.push(v);
    callsIn(v, out);
  }
}

/** columnRef's name of a ColumnRef's fields (one or two names), lower-case. */
function columnName(fields: Node[] | undefined): string | undefined {
  if (!fields || fields.length === 0 || fields.length > 2) return undefined;
  const a = sval(fields[0]);
  if (fields.length === 1) return a === undefined ? undefined : a.toLowerCase();
  const b = sval(fields[1]);
  return a === undefined || b === undefined ? undefined : b.toLowerCase();
}

function kindOfUncached(model: Model, t: Table, n: Node, g: string, exact: boolean, deps: TableDeps | undefined): Kind {
  const b = n?.BoolExpr;
  // (every branch asked, in order, as each records the relations it reads in `deps`; what they
  // answered counted in flags, no list of kinds per node)
  if (b?.boolop === 'OR_EXPR') {
    // own in some branch that is not constant false; else bound where every such branch is bound or neutral
    let own = false;
    let unbound = false;
    for (const a of b.args as Node[]) {
      if (constBool(a) === false) continue;
      const k = kindOfUncached(model, t, a, g, exact, deps);
      if (k === 'own') own = true;
      else if (k === 'other') unbound = true;
    }
    return own ? 'own' : unbound ? 'other' : 'bound';
  }
  if (b?.boolop === 'AND_EXPR') {
    // bound in some conjunct; else other in some; else own in some; else neutral
    let bound = false;
    let other = false;
    let own = false;
    for (const a of b.args as Node[]) {
      const k = kindOfUncached(model, t, a, g, exact, deps);
      if (k === 'bound') bound = true;
      else if (k === 'other') other = true;
      else if (k === 'own') own = true;
    }
    return bound ? 'bound' : other ? 'other' : own ? 'own' : 'neutral';
  }
  if (b) return 'other';
  const cols = exact ? columnsOfTable(model, t, n, deps) : named(n).cols;
  if (cols.has(g)) return 'bound';
  let mine = false;
  for (const c of cols) if (t.columns.includes(c)) mine = true;
  if (!mine) return 'neutral';
  if (!looksAtCaller(model, n)) return 'other';
  // (a test of the caller alone whose sub-select names a column of its own table that t has too —
  // `EXISTS (SELECT 1 FROM profiles WHERE id = auth.uid() AND role = 'admin')` on a table with an
  // id — names none of t's row: neutral, as is_admin() is; armando-cordero4050/clinica2026's orders)
  if (!exact && columnsOfTable(model, t, n, deps).size === 0) return 'neutral';
  return 'own';
}

/**
 * The columns of `t` a condition of its policy names: written with the table's name, or bare where
 * no relation of an enclosing sub-select's FROM has a column of that name (a relation the
 * workspace does not create may have any: its bare names are not counted). Not `p.organization_id`
 * of a projects row in `EXISTS (SELECT 1 FROM projects p … WHERE p.id = ncrs.project_id)`, which
 * ties the project, not the row's own organization_id.
 */
export function columnsOfTable(model: Model, t: Table, n: Node, deps?: TableDeps): Set<string> {
  const out = new Set<string>();
  const own = t.name.toLowerCase();
  const visit = (node: Node, scopes: Array<Set<string> | undefined>): void =>
    walk(node, (k, v) => {
      if (k === 'SelectStmt') {
        // the columns of its FROM's relations (undefined: one the workspace does not create, or not a plain relation)
        let cols: Set<string> | undefined = new Set<string>();
        walk(v.fromClause, (k2, r) => {
          if (k2 === 'RangeSubselect' || k2 === 'RangeFunction') cols = undefined;
          if (k2 !== 'RangeVar' || !cols) return;
          const key = model.key([r.schemaname, r.relname]);
          const rt = model.tables.get(key);
          deps?.push(key, rt);
          if (!rt) cols = undefined;
          else for (const c of rt.columns) cols.add(c);
        });
        const inner = [...scopes, cols];
        for (const part of ['targetList', 'fromClause', 'whereClause', 'havingClause', 'groupClause', 'larg', 'rarg']) if (v[part]) visit(v[part], inner);
        return false;
      }
      if (k !== 'ColumnRef') return;
      const c = columnRef({ ColumnRef: v });
      if (!c || !t.columns.includes(c.name)) return;
      if (c.qual !== undefined) {
        if (c.qual === own) out.add(c.name);
      } else if (scopes.every((cols) => cols !== undefined && !cols.has(c.name))) out.add(c.name);
    });
  visit(n, []);
  return out;
}

/** The sub-select a condition is (EXISTS (…), x IN (…), NOT of one is a BoolExpr), or undefined. */
function bareLink(n: Node): Node | undefined {
  return n?.SubLink;
}

/**
 * The table's group columns: those a condition of its policies binds through a membership test —
 * a sub-select of a membership table of the workspace that names the column and looks at who
 * calls (`EXISTS (… m.org_id = t.org_id AND m.user_id = auth.uid())`, `org_id IN (SELECT
 * m.org_id FROM m WHERE …)`), or a function of the workspace called with it that does
 * (`is_member(org_id)`). Not a plain comparison with the caller (`owner_id = auth.uid()`), nor a
 * sub-select matching the column with a key of its table (`created_by IN (SELECT id FROM profiles
 * WHERE user_id = auth.uid())`: the caller's own profile; `u.id = t.user_id`: the row's user).
 */
export function groupColumns(model: Model, t: Table, exprs: Node[], deps?: TableDeps): Set<string> {
  const out = new Set<string>();
  const t2 = t.name.toLowerCase();
  const ofTable = (c: { qual?: string; name: string } | undefined, qualified: boolean) => !!c && (qualified ? c.qual === t2 : c.qual === undefined || c.qual === t2) && t.columns.includes(c.name);
  const leaf = (n: Node): void => {
    const b = n?.BoolExpr;
    if (b) return (b.args as Node[]).forEach(leaf);
    // (the columns it would bind, found first: asking whether it looks at the caller costs more;
    // the sub-select's conjuncts, or the calls of one walk that keeps nothing on the nodes: callsOf)
    const found: string[] = [];
    const link = bareLink(n);
    if (link) {
      const q = link.subselect?.SelectStmt;
      const from = q?.fromClause as Node[] | undefined;
      const rv = from?.length === 1 ? from[0]?.RangeVar : undefined;
      const mk = rv?.relname ? model.relKey(rv) : undefined;
      const m = mk !== undefined ? model.tables.get(mk) : undefined;
      if (mk !== undefined) deps?.push(mk, m);
      // (`org_id IN (SELECT my_orgs(auth.uid()))`: a set-returning function of the workspace gives the caller's groups)
      const only = !from?.length && q?.targetList?.length === 1 ? q.targetList[0]?.ResTarget?.val?.FuncCall : undefined;
      const lc = only ? columnRef(link.testexpr) : undefined;
      if (only && ofTable(lc, false) && model.findFunction(nameParts(only.funcname), (only.args ?? []).length)) found.push(lc!.name);
      if (q && m && m !== t) {
        const key = (col: string | undefined) => uniqueColumn(m, col);
        let shared: boolean | undefined;
        // (the IN's own column, outside the sub-select, matched with the column it selects: a key of
        // m only where m's row holds several users, `conversation_id IN (SELECT id FROM conversations
        // WHERE participant1_id = auth.uid() OR participant2_id = auth.uid())`, as below)
        const c = columnRef(link.testexpr);
        if (ofTable(c, false) && q.targetList?.length === 1 && (!key(columnRef(q.targetList[0]?.ResTarget?.val)?.name) || (shared ??= sharedRow(model, m, rv, q.whereClause)))) found.push(c!.name);
        // (inside it: `m.x = t.c`, t's column qualified with the table's name, x no key of m)
        for (const e of conjuncts(q.whereClause)) {
          const x = e?.A_Expr;
          if (!x || x.kind !== 'AEXPR_OP' || String(x.name?.[0]?.String?.sval) !== '=') continue;
          const l = columnRef(x.lexpr);
          const r = columnRef(x.rexpr);
          for (const [a, other] of [[l, r], [r, l]] as const) if (ofTable(a, true) && other && other.qual !== t2 && (!key(other.name) || (shared ??= sharedRow(model, m, rv, q.whereClause)))) found.push(a!.name);
        }
      }
    } else {
      for (const v of callsOf(n)) {
        for (const a of (v.args ?? []) as Node[]) {
          const c = columnRef(a);
          if (ofTable(c, false) && model.findFunction(nameParts(v.funcname), (v.args ?? []).length)) found.push(c!.name);
        }
      }
    }
    if (found.length && looksAtCaller(model, n)) for (const c of found) out.add(c);
  };
  for (const e of exprs) leaf(e);
  return out;
}

/**
 * Whether a sub-select's condition compares who calls with two or more columns of its relation `m`
 * (`c.client_id = auth.uid() OR c.professional_id = auth.uid()`): a row of `m` then holds several
 * users, and `m.id = t.c` ties `c` to a group of them (ibiza-construct-flow's conversations, whose
 * messages their client and professional read), not to the caller's own row (`p.id = t.profile_id
 * AND p.user_id = auth.uid()`: the caller's profile).
 */
function sharedRow(model: Model, m: Table, rv: Node, where: Node): boolean {
  const names = new Set([m.name.toLowerCase(), String(rv?.alias?.aliasname ?? '').toLowerCase()]);
  const cols = new Set<string>();
  const visit = (n: Node): void => {
    const b = n?.BoolExpr;
    if (b) return b.boolop === 'NOT_EXPR' ? undefined : (b.args as Node[]).forEach(visit);
    const x = n?.A_Expr;
    if (!x || x.kind !== 'AEXPR_OP' || String(x.name?.[0]?.String?.sval) !== '=') return;
    for (const [side, other] of [[x.lexpr, x.rexpr], [x.rexpr, x.lexpr]] as const) {
      const c = columnRef(side);
      if (c && (c.qual === undefined || names.has(c.qual)) && m.columns.includes(c.name) && !columnRef(other) && looksAtCaller(model, other)) cols.add(c.name);
    }
  };
  visit(where);
  return cols.size >= 2;
}

/** The columns of `t` the conditions of `n` on the caller's own row name (kept on the node: keptOnNode). */
function ownColumns(model: Model, t: Table, n: Node, g: string): string[] {
  const k = keptOnNode(model, t, n);
  if (k.own !== undefined) for (let i = 0; i < k.own.length; i += 2) if (k.own[i] === g) return k.own[i + 1] as string[];
  const found: string[] = [];
  const deps: TableDeps = [];
  const visit = (x: Node): void => {
    const b = x?.BoolExpr;
    if (b) return (b.args as Node[]).forEach(visit);
    if (kindOf(model, t, x, g) !== 'own') return;
    // (the row's own columns: not `id` of auth.users in `(select email from auth.users where id = auth.uid())`)
    for (const c of columnsOfTable(model, t, x, deps)) if (!found.includes(c)) found.push(c);
  };
  visit(n);
  addTables(k, deps);
  const out = found.slice(); // (of the exact size: kept)
  k.own = k.own === undefined ? [g, out] : k.own.concat([g, out]);
  return out;
}

/** Whether a policy is a permissive SELECT (or ALL) policy with a USING: one that shows rows. */
const readsRows = (q: Policy): boolean => q.permissive && (q.command === 'select' || q.command === 'all') && q.using !== undefined;

/**
 * What a table's policies say before any role is looked at, kept on the table object across
 * lints: its group columns that a permissive SELECT (or ALL) policy, or the new-row check of a
 * permissive UPDATE (or ALL) policy, admits rows of through a condition on the caller's own row,
 * whatever the column. (Where no SELECT policy does, an UPDATE that reads a column fails on the
 * moved row, 42501, but one that reads none still moves it: check() says so.) Valid (lib/kept.ts)
 * while the calls resolve the same (functionsToken), the tables its sub-selects read are the same
 * objects, and no policy of it resolved names through a SET search_path.
 */
const keptOn = keeper<Table, string[]>();
const NOTHING: string[] = [];

function movableColumns(model: Model, t: Table): string[] {
  const facts = functionsFacts(model);
  const k = keptOn.get(model, t, facts);
  if (k) return k.value;
  const deps: TableDeps = [];
  // (first what is cheap to tell: a SELECT policy, or an UPDATE policy's new-row check, with a
  // condition on the caller's own row that is no membership test; the bench's tables, read and
  // updated through a membership only, stop here)
  const checks = (q: Policy) => (q.permissive && (q.command === 'update' || q.command === 'all') ? (q.withCheck ?? q.using) : undefined);
  if (!t.policies.some((q) => (readsRows(q) && hasOwnLeaf(model, t, q.using!)) || (checks(q) && hasOwnLeaf(model, t, checks(q)!)))) {
    if (!t.policies.some((q) => resolvedThroughPath(q.stmt))) keptOn.set(t, facts, undefined, NOTHING, deps.slice());
    return NOTHING;
  }
  const bindings: Node[] = [];
  for (const q of t.policies) {
    if (q.using) bindings.push(q.using);
    if (q.withCheck) bindings.push(q.withCheck);
  }
  const groups = bindings.length ? groupColumns(model, t, bindings, deps) : new Set<string>();
  let movable = NOTHING;
  for (const g of groups) {
    // (not the table's own key, teams.id of `id IN (SELECT team_id FROM team_members …)`: the row is
    // the group there; another group's id is taken (23505), and a fresh one has no members, whose
    // rows reference the key (23503 while the caller's own membership does) — axial's teams, PGlite)
    if (uniqueColumn(t, g)) continue;
    if (t.policies.some((q) => (readsRows(q) && kindOf(model, t, q.using!, g) === 'own') || (checks(q) && kindOf(model, t, checks(q)!, g) === 'own'))) {
      if (movable === NOTHING) movable = [];
      movable.push(g);
    }
  }
  if (movable !== NOTHING) movable = movable.slice(); // (lists kept of the exact size)
  if (!t.policies.some((q) => resolvedThroughPath(q.stmt))) keptOn.set(t, facts, undefined, movable, deps.slice());
  return movable;
}

/** Whether a condition has a leaf (under AND and OR) that names a column of the table, is no sub-select nor a call with a column argument, and looks at the caller. */
function hasOwnLeaf(model: Model, t: Table, n: Node): boolean {
  const b = n?.BoolExpr;
  if (b) return b.boolop !== 'NOT_EXPR' && (b.args as Node[]).some((a) => hasOwnLeaf(model, t, a));
  if (n?.SubLink) return false;
  const c = named(n);
  if (c.columnArg) return false;
  let names = false;
  for (const col of c.cols) if (t.columns.includes(col)) names = true;
  return names && looksAtCaller(model, n);
}

/**
 * The roles for which every UPDATE through the policy fails: its sub-selects read a table they may
 * not read (policy-reads-without-grant's gaps, 42501), or an UPDATE (or ALL) policy of its table
 * that applies to them recurses in the rewriter (42P17, policy-recursion's cycles): PostgreSQL
 * expands every UPDATE policy that applies to the role for each UPDATE, with or without a WHERE,
 * so none of them moves a row (measured on PGlite: c-breeze's employees, whose UPDATE policy
 * reads employees in a sub-select under a SELECT policy with one). '*': every role.
 */
function updateFails(model: Model, p: Policy): Set<string> | undefined {
  const gaps = gapsOf(model).get(p);
  const rec = recursingOf(model).get(p.table);
  if (!rec) return gaps;
  return gaps ? new Set([...gaps, ...rec]) : rec;
}

/** The roles whose sub-selects of a policy read a table they may not read, by policy (per model). */
const gapsOf = (model: Model): Map<Policy, Set<string>> =>
  memoModel(model, 'moves-row:gaps', (m) => {
    const out = new Map<Policy, Set<string>>();
    for (const gap of unreadableReads(m)) {
      let set = out.get(gap.policy);
      if (!set) out.set(gap.policy, (set = new Set()));
      for (const r of gap.roles) set.add(r);
    }
    return out;
  });

/** The roles whose UPDATE of a table meets a 42P17 recursion, by table key (per model). */
const recursingOf = (model: Model): Map<string, Set<string>> =>
  memoModel(model, 'moves-row:recursing', (m) => {
    const out = new Map<string, Set<string>>();
    for (const c of recursionCycles(m)) {
      const s = c.start;
      if (c.code !== '42P17' || (s.command !== 'update' && s.command !== 'all')) continue;
      let set = out.get(s.table);
      if (!set) out.set(s.table, (set = new Set()));
      // (the roles whose UPDATE meets the recursion: those of the cycle, or of its start policy)
      for (const r of c.roles ?? s.roles) set.add(r === 'public' ? '*' : r);
    }
    return out;
  });

/**
 * A token consecutive models share while updateFails answers the same for each policy object:
 * the same policies with the same roles in gapsOf, the same table keys with the same roles in
 * recursingOf, in the same order (on the bench both are empty). Kept findings made under it need
 * not ask updateFails again (answersHold).
 */
const failsToken = modelToken(
  'moves-row:fails',
  (m) => {
    const facts: unknown[] = [];
    gapsOf(m).forEach((roles, p) => facts.push(p, failingKey(roles)));
    facts.push(null);
    recursingOf(m).forEach((roles, key) => facts.push(key, failingKey(roles)));
    return facts;
  },
  () => ({}),
);

const UPDATE: readonly string[] = ['update'];

/**
 * Whether role r, updating rows of t, may move one into any `g` as far as the table's other
 * policies and its privileges tell: no RESTRICTIVE policy naming g applies to r, no INSERT
 * policy of r's asks more of g than a membership already does (INSERT would then put rows in
 * any group: nothing gained), r may update t and does not bypass RLS.
 */
function mayMove(model: Model, t: Table, policies: readonly Policy[], r: string, g: string): boolean {
  for (const q of policies) {
    if (q.permissive || q.command === 'insert' || q.command === 'delete') continue;
    // (a RESTRICTIVE policy naming the column may refuse the move)
    if (((q.using && columnsIn(q.using).has(g)) || (q.withCheck && columnsIn(q.withCheck).has(g))) && forWriter(model, q, r)) return false;
  }
  for (const q of policies) {
    if (!q.permissive || (q.command !== 'insert' && q.command !== 'all')) continue;
    const c = q.withCheck ?? (q.command === 'all' ? q.using : undefined);
    // (the check must name the row's own column: a membership tested through another table's, a project's organization, does not bind it)
    if (c !== undefined && forWriter(model, q, r) && kindOf(model, t, c, g, true) !== 'bound') return false;
  }
  return (r === 'public' || mayHoldPrivilege(model, t, r, UPDATE)) && model.roleBypassesRls(r) !== true;
}

/** readKinds' bits: some SELECT policy applies; one admits rows through the caller's own row; one admits rows otherwise than through g. */
const READS = 1;
const SEES_OWN = 2;
const NOT_BOUND = 4;

/** How the SELECT (or ALL) policies that apply to r admit rows of t with respect to g (READS, SEES_OWN, NOT_BOUND). */
function readKinds(model: Model, t: Table, policies: readonly Policy[], r: string, g: string): number {
  let bits = 0;
  for (const q of policies) {
    if (!readsRows(q) || !forWriter(model, q, r)) continue;
    const kind = kindOf(model, t, q.using!, g);
    bits |= READS | (kind === 'own' ? SEES_OWN : 0) | (kind === 'bound' ? 0 : NOT_BOUND);
  }
  return bits;
}

export const policyUpdateMovesRow = defineRule({
  meta: {
    id: 'policy-update-moves-row',
    description:
      "An UPDATE or ALL policy checks the new row only through a condition on the caller's own row (assignee_id = auth.uid()) that says nothing of the group column the other policies bind to a membership: a user can move the row into any group.",
    severity: 'warning',
    category: 'security',
    fixKind: 'none',
    guards:
      "PostgreSQL checks an UPDATE's new row with the policy's WITH CHECK, or its USING when it has none: a branch admitting the caller's own rows (OR assignee_id = auth.uid()) admits the row whatever its workspace_id is set to, so it can be moved into a workspace the caller is not in, where INSERT would refuse it.",
  },
  check({ model, report }) {
    // a table's policies come one after the other: each table's reports, kept on it (tableKeeper)
    reportPerTable(model, report, (t, rows) => tableReports(model, t, rows));
  },
});

/**
 * What the check found on a table, kept on the table object across lints (tableKeeper: the same
 * table, calls, privileges, accepted policies and named tables), while its active policies are
 * the same and the other answers its reports followed from (updateFails', guarded's) are the same
 * asked again. The bench's 2,234 tables, each asked again at every re-lint: ≈ 20 → 10 ms.
 */
interface TableFindings {
  /** the active rows' policies, in order */
  active: Policy[];
  /** the run of rows they were found on (reportPerTable: a run the index kept is the same array in the next models) */
  rows: readonly PolicyRow[];
  /** updateFails' answers, by policy asked, as `role,role` (or undefined) */
  failing: Array<Policy | string | undefined>;
  /** guarded's answers, by group column asked */
  guards: Array<string | boolean>;
  /** failsToken when updateFails was asked: its answers are the same while it is */
  fails: object | undefined;
  /** guardedByTableAlone when guarded was asked: its answers are the same while it holds (tableKeeper: the same table and functionsToken) */
  guardsByTable: boolean;
  reports: Report[];
}
const kept = tableKeeper<TableFindings>();
const NO_REPORTS: Report[] = [];
/** (most tables ask neither: one shared empty list, not two per table) */
const NO_ANSWERS: never[] = [];

function tableReports(model: Model, t: Table, rows: readonly PolicyRow[]): Report[] {
  // (the policies of the table PostgreSQL accepts: a re-lint's edit may make one of another table rejected, the bench's)
  const accepted = acceptedPolicies(model, t);
  const k = kept.get(model, t, accepted);
  if (k && (k.rows === rows || sameActiveRows(k.active, rows)) && answersHold(model, t, k)) return k.reports;
  const found: TableFindings = { active: [], rows, failing: NO_ANSWERS, guards: NO_ANSWERS, fails: undefined, guardsByTable: false, reports: NO_REPORTS };
  for (let i = 0; i < rows.length; i++) {
    found.active.push(rows[i]!.policy);
    const r = checkPolicy(model, t, rows[i]!.policy, accepted, found);
    if (r) (found.reports === NO_REPORTS ? (found.reports = []) : found.reports).push(r);
  }
  // (kept: lists of the exact size, not the room for 17 elements push makes)
  found.active = found.active.slice();
  if (found.failing !== NO_ANSWERS) found.failing = found.failing.slice();
  if (found.guards !== NO_ANSWERS) found.guards = found.guards.slice();
  if (found.reports !== NO_REPORTS) found.reports = found.reports.slice();
  kept.set(model, t, accepted, found);
  return found.reports;
}


/**
 * Whether updateFails and guarded answer as they did when `k` was found: asked again only where
 * a token says they may not (the bench's 2,188 kept tables each asked both at every re-lint).
 */
function answersHold(model: Model, t: Table, k: TableFindings): boolean {
  if (k.failing.length !== 0 && k.fails !== failsToken(model)) {
    for (let i = 0; i < k.failing.length; i += 2) if (failingKey(updateFails(model, k.failing[i] as Policy)) !== k.failing[i + 1]) return false;
  }
  if (k.guards.length !== 0 && !(k.guardsByTable && guardedByTableAlone(model))) {
    for (let i = 0; i < k.guards.length; i += 2) if (guarded(model, t, 'update', k.guards[i] as string) !== k.guards[i + 1]) return false;
  }
  return true;
}

const failingKey = (s: Set<string> | undefined): string | undefined => (s ? [...s].join(',') : undefined);

/** The report on policy p of t, if it lets a role move rows (the check's question, for one policy). */
function checkPolicy(model: Model, t: Table, p: Policy, policies: readonly Policy[], kept: TableFindings): Report | undefined {
  if (!p.permissive || (p.command !== 'update' && p.command !== 'all')) return undefined;
  const check = p.withCheck ?? p.using;
  if (!check || constBool(check) !== undefined) return undefined;
  // (the table's group columns a moved row stays visible through: most tables have none)
  const movable = movableColumns(model, t);
  if (movable.length === 0) return undefined;
  // (loops, no closure nor list per role)
  for (let j = 0; j < movable.length; j++) {
    const g = movable[j]!;
    if (kindOf(model, t, check, g) !== 'own') continue;
    let roles: string[] | undefined;
    for (let k = 0; k < p.roles.length; k++) if (mayMove(model, t, policies, p.roles[k]!, g)) (roles ??= []).push(p.roles[k]!);
    if (!roles) continue;
    // (not roles every UPDATE through this policy fails for: its USING reads a table they may not
    // read, 42501, or an UPDATE policy of the table recurses for them, 42P17)
    const failing = updateFails(model, p);
    if (kept.failing === NO_ANSWERS) {
      kept.failing = [];
      kept.fails = failsToken(model);
    }
    kept.failing.push(p, failingKey(failing));
    if (failing) roles = roles.filter((r) => !failing.has(r) && !failing.has('*'));
    if (!roles.length) continue;
    const isGuarded = guarded(model, t, 'update', g);
    if (kept.guards === NO_ANSWERS) {
      kept.guards = [];
      kept.guardsByTable = guardedByTableAlone(model);
    }
    kept.guards.push(g, isGuarded);
    if (isGuarded) continue;
    // (a SELECT policy admitting the moved row: UPDATE … WHERE id = … reaches it and leaves a
    // row it may see; as before the no-WHERE case was known, only where a SELECT policy has a
    // plain condition on the caller's own row)
    let plain = false;
    for (let k = 0; k < policies.length && !plain; k++) plain = readsRows(policies[k]!) && hasOwnLeaf(model, t, policies[k]!.using!);
    let seeing: string[] | undefined;
    if (plain) for (let k = 0; k < roles.length; k++) if (readKinds(model, t, policies, roles[k]!, g) & SEES_OWN) (seeing ??= []).push(roles[k]!);
    // (without one, an UPDATE reading a column has its new row checked against the SELECT
    // policies too and fails, 42501, where every one of them ties the column; one reading none
    // is not: `UPDATE messages SET conversation_id = …, content = '…'` with no WHERE moved the
    // row on PGlite — ibiza-construct-flow's messages, "Senders can update their own messages".
    // Not where a SELECT policy may admit the moved row otherwise (USING (true), is_public), nor
    // where none applies: UPDATE … WHERE then updates no row, T26)
    const blind = !seeing;
    if (blind) {
      const bound = roles.filter((r) => (readKinds(model, t, policies, r, g) & (READS | NOT_BOUND)) === READS);
      if (!bound.length) continue;
      roles = bound;
    } else roles = seeing!;
    const ownCols = ownColumns(model, t, check, g);
    const own = ownCols.join(', ');
    // (who sees the moved row: a SELECT policy that ties the column to a membership shows it to that group's members)
    const readers = policies.find((q) => readsRows(q) && showsToGroup(model, t, q.using!, g, ownCols));
    const who = roleList(roles);
    const n = p.nameLoc;
    const tn = t.nameLoc;
    // (the report kept on the condition's node while what it says and where are the same: the
    // bench's 2,234 messages, ≈ 1,000 characters each, were half of what a re-lint allocated)
    return keep(check, g, [p.name, t.key, who, !!p.withCheck, own, blind, readers?.name, n.file, n.start, n.end, tn.file, tn.start, tn.end], () => moveReport(p, t, g, who, own, blind, readers?.name));
  }
  return undefined;
}

/**
 * Whether a SELECT policy's USING shows a moved row to the members of its `g`: it ties `g` to a
 * membership, in a branch of its own that does not require the column the check tied to the
 * caller (`own`, one column) to be NULL. The moved row passed the check through that column, so it
 * is the caller's, not NULL: SixtySecondsApp/use60's agent_config_questions shows a row to the
 * org's members only `user_id IS NULL AND get_org_role(auth.uid(), org_id) IS NOT NULL`, and a
 * question its user moves keeps its user_id (PGlite: the other org's member reads none).
 */
function showsToGroup(model: Model, t: Table, using: Node, g: string, own: readonly string[]): boolean {
  if (!groupColumnsOf(model, t, using).has(g)) return false;
  if (own.length !== 1) return true;
  const branches = disjuncts(using);
  return branches.some((d) => (branches.length === 1 || groupColumnsOf(model, t, d).has(g)) && !requiresNull(t, d, own[0]!));
}

/** Whether a condition has `col IS NULL` (the table's column, bare or qualified with its name) among its AND-ed parts. */
function requiresNull(t: Table, n: Node, col: string): boolean {
  return conjuncts(n).some((c) => {
    const x = c?.NullTest;
    const r = x?.nulltesttype === 'IS_NULL' ? columnRef(x.arg) : undefined;
    return !!r && r.name === col && (r.qual === undefined || r.qual === t.name);
  });
}

const keep = reportKeeper();

/** The report of policy p of t, which lets `who` move a row into any `g`, through `own` (`readers`: a SELECT policy showing it to g's members). */
function moveReport(p: Policy, t: Table, g: string, who: string, own: string, blind: boolean, readers: string | undefined): Report {
  const then = readers
    ? `The row then belongs to that ${g}: policy "${readers}" shows it to its members.`
    : `The row then counts as that ${g}'s wherever ${g} decides (the INSERT policies tie it to a membership).`;
  const how = p.withCheck ? 'its WITH CHECK' : 'its USING (it has no WITH CHECK, so USING checks the new row too)';
  const move = blind
    ? `a user can move a row they reach that way into any ${g}, one they are not in, where the INSERT policies would refuse to put it — through an UPDATE that reads no column (UPDATE … SET ${g} = <another>, <column> = <constant> with no WHERE nor RETURNING), which moves every row the UPDATE policies let them update, e.g. from a fresh account with one row; ` +
      `an UPDATE that reads a column (a WHERE, RETURNING, or a SET reading the row) has its new row checked against the SELECT policies too, which admit a row through its ${g} only, not the moved row, and fails (42501). `
    : `a user can move a row they reach that way into any ${g}, one they are not in (UPDATE … SET ${g} = <another> WHERE id = …; a SELECT policy admits the moved row the same way), where the INSERT policies would refuse to put it. `;
  return {
    ...p.nameLoc,
    message:
      `Policy "${p.name}" on ${t.key} lets ${who} update rows and checks the new row with ${how}, which admits it through a condition on ${own} and the caller, whatever its ${g} is, ` +
      `while the table's other policies tie ${g} to a membership: ${move}` +
      `${then} Add a WITH CHECK that ties ${g} to the caller's membership as the INSERT policies do, or a trigger that keeps ${g} from changing.`,
    related: [{ ...t.nameLoc, message: `${t.key}.${g} is tied to a membership by its other policies` }],
    fixes: [],
  };
}
