// policy-update-self-approves: an UPDATE (or ALL) policy whose check of the new row — its WITH
// CHECK, or its USING when it has none — admits the caller's own row whatever column C holds,
// beside another permissive SELECT policy that shows rows to its roles by comparing C with a
// constant and nothing else (`status = 'approved'`, `is_published = true`, `verified`). A user
// then sets C on their own row to that constant, and the SELECT policy shows it to everyone it is
// for: the writer flips the gate a moderator was meant to. Measured on PGlite
// (test/rules/policy-update-self-approves.test.ts, lebaneseweddingapp2's vendors): vendor A runs
// `UPDATE vendors SET status = 'approved'`, one row; anon then reads it. With `WITH CHECK
// (auth.uid() = user_id AND status = 'pending')` the UPDATE fails with 42501.
//
// Reported only where someone else may set C (an UPDATE policy with a branch on no column of the
// table that looks at the caller: an admin's), and the check's branch admitting the row compares a
// column with the caller's user id (auth.uid()). Not where that branch names C at all (`status =
// 'pending'`, `status IS NOT DISTINCT FROM …`), where a trigger of the table may reset or refuse C
// or a column GRANT of UPDATE leaves C out (policy-membership-self-join's guarded), nor where a
// RESTRICTIVE policy for the writer names C. Kept per table across lints (tableKeeper).
import type { Model, Policy, Table } from '../analysis/model.js';
import { roleList } from '../analysis/policies.js';
import { andOperandText, constBool, policyExprs, type PolicyRow } from '../analysis/policy-exprs.js';
import { conjuncts, constValue, disjuncts } from '../analysis/ast.js';
import type { Node } from '../analysis/types.js';
import { defineRule, type Report } from './types.js';
import { acceptedPolicies, reportPerTable, sameActiveRows, tableKeeper } from './lib/table-kept.js';
import { conditionKey } from './lib/admitted.js';
import { authCallOf, bareValue, columnRef, forWriter, looksAtCaller, reportKeeper } from './lib/util.js';
import { columnsIn, columnsOfTable } from './policy-update-moves-row.js';
import { guarded } from './policy-membership-self-join.js';
import { asksRole } from './policy-always-true.js';
import { writers } from './policy-shared-rows-writable.js';

const UPDATE: readonly string[] = ['update'];
const SELECT: readonly string[] = ['select'];

/** A branch of a SELECT policy that admits rows by constants alone: its columns and the condition's keys (`status = "approved"`). */
interface Gate {
  policy: Policy;
  columns: string[];
  /** the branch as written with SQL literals: status = 'approved' AND is_public = true */
  text: string;
}

/** Whether a policy is a permissive UPDATE (or ALL) policy: one whose check decides an UPDATE's new row. */
const updates = (q: Policy): boolean => q.permissive && (q.command === 'update' || q.command === 'all');

/**
 * The gates of a permissive SELECT (or ALL) policy of `t`: each OR branch of its USING whose
 * conjuncts all compare a column of the table with a constant by `=` (conditionKey: `status =
 * 'approved'`, `is_published = true`, a bare `verified`); not `IS NULL`, `<>` nor ranges.
 */
function gatesOf(t: Table, q: Policy): Gate[] {
  if (!q.permissive || (q.command !== 'select' && q.command !== 'all') || !q.using || constBool(q.using) !== undefined) return [];
  const alias = t.name.toLowerCase();
  const out: Gate[] = [];
  for (const d of disjuncts(q.using)) {
    const columns: string[] = [];
    const parts: string[] = [];
    let ok = true;
    for (const c of conjuncts(d)) {
      const key = conditionKey(c, alias);
      const m = key ? /^(.+?) = (.+)$/.exec(key) : null;
      if (!m || !t.columns.includes(m[1]!)) {
        ok = false;
        break;
      }
      const v = JSON.parse(m[2]!) as unknown;
      columns.push(m[1]!);
      parts.push(`${m[1]} = ${typeof v === 'string' ? `'${v.replace(/'/g, "''")}'` : String(v)}`);
    }
    if (ok && columns.length) out.push({ policy: q, columns, text: parts.join(' AND ') });
  }
  return out;
}

export const policyUpdateSelfApproves = defineRule({
  meta: {
    id: 'policy-update-self-approves',
    description:
      "An UPDATE or ALL policy checks the new row only through the caller's own row (auth.uid() = user_id), while another policy shows rows to everyone it is for by a column's value (status = 'approved'): a user can set that value on their own row.",
    severity: 'warning',
    category: 'security',
    fixKind: 'none',
    guards:
      "PostgreSQL checks an UPDATE's new row with the policy's WITH CHECK, or its USING when it has none: a check on the caller's own row admits any status the user writes, so a row a SELECT policy shows by status = 'approved' can be approved by its own writer.",
    truths: ['T14c'],
  },
  check({ model, report }) {
    reportPerTable(model, report, (t, rows) => tableReports(model, t, rows));
  },
});

/** What the check found on a table, kept on the table object across lints (tableKeeper), while its active policies and guarded's answers are the same. */
interface TableFindings {
  active: Policy[];
  /** guarded's answers, by column asked: column, answer, … */
  guards: Array<string | boolean>;
  reports: Report[];
}
const kept = tableKeeper<TableFindings>();
const NO_REPORTS: Report[] = [];
/** Whether a run of a table's rows (reportPerTable's) has a permissive UPDATE policy and a SELECT policy that may gate (mayGate). */
const mayReport = new WeakMap<readonly PolicyRow[], boolean>();
const NO_ANSWERS: never[] = [];

function tableReports(model: Model, t: Table, rows: readonly PolicyRow[]): Report[] {
  // (cheap first: most tables have no permissive UPDATE policy beside a SELECT policy: indexed
  // loops, nothing made; the answer kept on the run of rows, which the policy index keeps on
  // the table from one model to the next: the same array, the same table)
  let may = mayReport.get(rows);
  if (may === undefined) {
    let upd = false;
    let sel = false;
    for (let i = 0; i < rows.length; i++) {
      const q = rows[i]!.policy;
      if (updates(q)) upd = true;
      if (!sel && q.permissive && (q.command === 'select' || q.command === 'all') && q.using && mayGate(t, q)) sel = true;
    }
    may = upd && sel;
    mayReport.set(rows, may);
  }
  if (!may) return NO_REPORTS;
  const accepted = acceptedPolicies(model, t);
  const k = kept.get(model, t, accepted);
  if (k && sameActiveRows(k.active, rows) && guardsHold(model, t, k)) return k.reports;
  const found: TableFindings = { active: [], guards: NO_ANSWERS, reports: NO_REPORTS };
  for (let i = 0; i < rows.length; i++) found.active.push(rows[i]!.policy);
  const gates: Gate[] = [];
  for (const q of found.active) for (const g of gatesOf(t, q)) gates.push(g);
  // (only where someone else may set the column: a moderator's branch, an UPDATE policy admitting
  // any row for callers it picks out — `has_role(auth.uid(), 'admin')` —; without one, the gate is
  // the writers' own to set, an author publishing their post, a user sharing a preset)
  if (gates.length && found.active.some((q) => moderates(model, t, q))) {
    for (const p of found.active) {
      const r = checkPolicy(model, t, p, found.active, gates, found);
      if (r) (found.reports === NO_REPORTS ? (found.reports = []) : found.reports).push(r);
    }
  }
  kept.set(model, t, accepted, found);
  return found.reports;
}

/**
 * Whether a USING has an OR branch of `=` comparisons with constants only, whatever the table's
 * columns (gatesOf's question without the table), kept on its node across lints: most tables'
 * SELECT policies have none, and the re-lint of the bench's 2,234 tables stops here.
 */
function mayGate(t: Table, q: Policy): boolean {
  const using = q.using!;
  // (a column qualified with the table's name, `vendors.status`, as gatesOf reads it: kept with that name)
  const alias = t.name.toLowerCase();
  let k = mayGateOn.get(using);
  if (k === undefined || k.alias !== alias) {
    k = { alias, v: disjuncts(using).some((d) => conjuncts(d).every((c) => / = /.test(conditionKey(c, alias) ?? ''))) };
    mayGateOn.set(using, k);
  }
  return k.v;
}
const mayGateOn = new WeakMap<Node, { alias: string; v: boolean }>();

function guardsHold(model: Model, t: Table, k: TableFindings): boolean {
  for (let i = 0; i < k.guards.length; i += 2) if (guarded(model, t, 'update', k.guards[i] as string) !== k.guards[i + 1]) return false;
  return true;
}

/**
 * Whether a permissive UPDATE (or ALL) policy has a USING branch that names no column of the table
 * and looks at who calls (an admin check: `has_role(auth.uid(), 'admin')`): it lets the callers it
 * picks out update any row, whatever its columns hold.
 */
function moderates(model: Model, t: Table, q: Policy): boolean {
  if (!updates(q) || !q.using) return false;
  for (const d of disjuncts(q.using)) {
    if (constBool(d) !== undefined) continue;
    // (a branch for roles that bypass RLS only, `auth.role() = 'service_role'`: never consulted,
    // so no moderator — nextbase's content_blog_posts, whose authors publish their own posts)
    if (bypassersOnly(model, d)) continue;
    let names = false;
    for (const c of columnsOfTable(model, t, d)) if (t.columns.includes(c)) names = true;
    if (!names && looksAtCaller(model, d)) return true;
  }
  return false;
}

/**
 * Whether a condition is true only for requests of roles that bypass row-level security: one of
 * its conjuncts compares the request's role (auth.role(), auth.jwt() ->> 'role') with such roles
 * only (`= 'service_role'`, `IN ('service_role')`). PostgreSQL never applies a policy to them.
 */
function bypassersOnly(model: Model, d: Node): boolean {
  for (const c of conjuncts(d)) {
    const x = bareValue(c)?.A_Expr;
    if (!x || x.name?.length !== 1 || x.name[0]?.String?.sval !== '=') continue;
    const pairs: Array<[Node, Node[]]> =
      x.kind === 'AEXPR_OP' ? [[x.lexpr, [x.rexpr]], [x.rexpr, [x.lexpr]]] : x.kind === 'AEXPR_IN' && Array.isArray(x.rexpr?.List?.items ?? x.rexpr) ? [[x.lexpr, (x.rexpr?.List?.items ?? x.rexpr) as Node[]]] : [];
    for (const [ask, values] of pairs) {
      if (!values.length || !asksRole(ask)) continue;
      const roles = values.map((v) => constValue(v?.TypeCast ? v.TypeCast.arg : v));
      if (roles.every((r) => typeof r === 'string' && model.roleBypassesRls(r) === true)) return true;
    }
  }
  return false;
}

/** The report on UPDATE policy p, if its check lets a writer set a gate of another SELECT policy on their own row. */
function checkPolicy(model: Model, t: Table, p: Policy, policies: readonly Policy[], gates: readonly Gate[], found: TableFindings): Report | undefined {
  if (!updates(p)) return undefined;
  const check = p.withCheck ?? p.using;
  if (!check || constBool(check) !== undefined) return undefined;
  for (const g of gates) {
    if (g.policy === p) continue;
    // (the check admits the caller's own row through a branch naming none of the gate's columns)
    if (!ownBranch(model, t, check, g.columns)) continue;
    let guard = false;
    for (const c of g.columns) {
      const v = guarded(model, t, 'update', c);
      (found.guards === NO_ANSWERS ? (found.guards = []) : found.guards).push(c, v);
      if (v) guard = true;
    }
    if (guard) continue;
    // (the writers: roles of p subject to it that may update the table, for none of whom a RESTRICTIVE policy names a gate column)
    const who = writers(model, p, t, UPDATE).filter((r) => !restricted(model, policies, r, g.columns));
    if (!who.length) continue;
    // (who reads the flipped row: the gate policy's roles that may select from the table)
    const readers = writers(model, g.policy, t, SELECT);
    if (!readers.length) continue;
    // (an INSERT policy for a writer that admits the caller's own row whatever the gate holds: a row can be inserted with the gate's value too)
    const ins = policies.find((q) => q.permissive && (q.command === 'insert' || (q.command === 'all' && q !== p)) && who.some((r) => forWriter(model, q, r)) && insertCheck(q) !== undefined && ownBranch(model, t, insertCheck(q)!, g.columns));
    const n = p.nameLoc;
    const gn = g.policy.nameLoc;
    return keep(p, g.text, [p.name, t.key, roleList(who), roleList(readers), !!p.withCheck, g.policy.name, ins?.name, n.file, n.start, n.end, gn.file, gn.start, gn.end], () =>
      selfApproveReport(t, p, g, roleList(who), roleList(readers), ownText(model, p), ins?.name),
    );
  }
  return undefined;
}

/**
 * Whether a condition has an OR branch that admits the caller's own row and names none of `cols`
 * (any qualifier, sub-selects too): one of its top-level conjuncts compares a column of the table
 * with the caller's user id — `auth.uid()`, `(select auth.uid())`, a call of no argument named
 * for it (`current_user_id()`) — not a tenant, a membership or a helper taking the row's columns.
 */
function ownBranch(model: Model, t: Table, n: Node, cols: readonly string[]): boolean {
  for (const d of disjuncts(n)) {
    const named = columnsIn(d);
    if (cols.some((c) => named.has(c))) continue;
    for (const c of conjuncts(d)) {
      const x = c?.A_Expr;
      if (!x || x.kind !== 'AEXPR_OP' || x.name?.length !== 1 || x.name[0]?.String?.sval !== '=') continue;
      for (const [a, b] of [[x.lexpr, x.rexpr], [x.rexpr, x.lexpr]] as const) {
        const col = columnRef(bareValue(a));
        if (col && (col.qual === undefined || col.qual === t.name.toLowerCase()) && t.columns.includes(col.name) && userId(model, b)) return true;
      }
    }
  }
  return false;
}

/** Whether a value is the caller's user id: auth.uid(), or a call of no argument named for a user id that looks at the caller. */
function userId(model: Model, n: Node): boolean {
  if (authCallOf(n) === 'uid') return true;
  const f = bareValue(n)?.FuncCall;
  if (!f || f.args?.length) return false;
  const name = String((f.funcname as Node[]).at(-1)?.String?.sval ?? '').toLowerCase();
  const words = name.split('_');
  return (words.includes('uid') || (words.includes('user') && words.includes('id'))) && looksAtCaller(model, n);
}

/** The check of an INSERT (or ALL) policy's new row. */
const insertCheck = (q: Policy): Node | undefined => q.withCheck ?? (q.command === 'all' ? q.using : undefined);

/** Whether a RESTRICTIVE UPDATE (or ALL) policy for writer r names a column of `cols` (it may refuse the new value). */
function restricted(model: Model, policies: readonly Policy[], r: string, cols: readonly string[]): boolean {
  for (const q of policies) {
    if (q.permissive || (q.command !== 'update' && q.command !== 'all') || !forWriter(model, q, r)) continue;
    for (const e of [q.using, q.withCheck]) if (e && cols.some((c) => columnsIn(e).has(c))) return true;
  }
  return false;
}

const keep = reportKeeper();

/** The text of the policy's check of the new row (its WITH CHECK, else its USING), as written (an OR in parentheses: the advice ANDs a condition to it). */
function ownText(model: Model, p: Policy): string | undefined {
  const clause = p.withCheck ? 'check' : 'using';
  const e = policyExprs(p).find((x) => x.clause === clause);
  return e ? andOperandText(model, e) : undefined;
}

function selfApproveReport(t: Table, p: Policy, g: Gate, who: string, readers: string, own: string | undefined, ins: string | undefined): Report {
  const cols = g.columns.join(', ');
  const how = p.withCheck ? 'its WITH CHECK' : 'its USING (it has no WITH CHECK, so USING checks the new row too)';
  const set = g.text.replace(/ AND /g, ', ');
  const c = g.columns[0]!;
  const ownText = own && own.length <= 80 && !own.includes('\n') ? own : "<the own-row condition>";
  return {
    ...p.nameLoc,
    message:
      `Policy "${p.name}" on ${t.key} (UPDATE by ${who}) checks the new row with ${how}, which admits the caller's own row whatever its ${cols} is, ` +
      `while policy "${g.policy.name}" shows every row with ${g.text} to ${readers}: a user can run UPDATE ${t.key} SET ${set} on their own row, and policy "${g.policy.name}" then shows that row to ${readers}: ` +
      `the row's own writer, not a moderator, decides that it is shown. ` +
      (ins ? `(Policy "${ins}" admits an INSERT of the caller's own row whatever its ${cols} is, too: a row can be inserted with ${g.text}.) ` : '') +
      `If ${cols} is for someone else to set, pin it in a WITH CHECK (WITH CHECK (${ownText} AND ${c} = <the value a writer may leave>): rows holding another value are then no longer updatable by their writer), ` +
      `or revoke UPDATE on the table from ${who} and grant UPDATE on its other columns only, letting a privileged function or a moderator's policy set ${cols}, or add a BEFORE UPDATE trigger that refuses a change of ${cols} by anyone but a moderator.`,
    related: [{ ...g.policy.nameLoc, message: `policy "${g.policy.name}" shows every row with ${g.text} to ${readers}` }],
    fixes: [],
  };
}
