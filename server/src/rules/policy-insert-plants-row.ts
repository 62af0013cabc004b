// policy-insert-plants-row: an INSERT (or ALL) policy whose check of the new row names columns of
// the table, but none of those the table's SELECT policies tie to the reader: the owner column
// (`user_id = auth.uid()`) or the group column bound through a membership (`tenant_id IN (SELECT
// tenant_id FROM memberships WHERE user_id = auth.uid())`). A user then inserts a row carrying
// another user's id (or into a tenant they are not in), and the SELECT policy shows it to that
// user as their own: a planted note, message, transaction. Measured on PGlite
// (test/rules/policy-insert-plants-row.test.ts): user A inserts a note whose user_id is B's; B
// reads it; with the fix, A's insert fails 42501 and their own still works.
//
// Not reported: a check that names one of the bound columns (`sender_id = auth.uid()` while the
// SELECT policy admits the sender or the recipient: sending to others is the point), or stamps a
// sender column while the SELECT policy admits the recipient alone (`from_uid = auth.uid()`,
// `to_uid = auth.uid()`: a friend request carrying its sender), a check on no
// column of the table (always true, or on who calls alone: policy-always-true's), a column a
// restrictive INSERT policy names, one a BEFORE INSERT trigger sets or the role may not insert
// (column privileges: guarded), roles that may not insert or bypass RLS.
import type { Model, Policy, Table } from '../analysis/model.js';
import { roleList } from '../analysis/policies.js';
import { constBool, exprClauseSpan, exprInDynamicSql, exprSql, exprText, policyExprs, textOfFile, type PolicyRow } from '../analysis/policy-exprs.js';
import { census, conjuncts } from '../analysis/ast.js';
import { nameParts, sqlOneLine } from '../analysis/parse.js';
import type { Node } from '../analysis/types.js';
import { defineRule, type Fix, type Report } from './types.js';
import { bareValue, columnRef, forWriter, looksAtCaller, quoteIdent, uniqueColumn } from './lib/util.js';
import { columnsOfTable, groupColumnsOf, kindOf } from './policy-update-moves-row.js';
import { guarded } from './policy-membership-self-join.js';
import { unwrap, writers } from './policy-shared-rows-writable.js';
import { acceptedPolicies, reportPerTable, tableKeeper } from './lib/table-kept.js';

/** A column of the table a SELECT policy ties to the reader, and how. */
interface Binding {
  column: string;
  /** the caller's own row (`user_id = auth.uid()`), or a group they are a member of */
  kind: 'own' | 'group';
  policy: Policy;
  /** for `own`, the value compared with is auth.uid() (plain or in a scalar sub-select): the fix may add the same test */
  uid: boolean;
}

/** A permissive SELECT (or ALL) policy with a USING: one that shows rows. */
const readsRows = (q: Policy): boolean => q.permissive && (q.command === 'select' || q.command === 'all') && q.using !== undefined;

/** The new-row check of an INSERT (or ALL) policy: its WITH CHECK, or an ALL policy's USING without one. */
const checkOf = (q: Policy): Node | undefined => (q.command === 'insert' ? q.withCheck : q.command === 'all' ? (q.withCheck ?? q.using) : undefined);

/** Whether a node is auth.uid(), bare or in a scalar sub-select (`(select auth.uid())`), under casts. */
function isAuthUid(n: Node): boolean {
  const b = bareValue(n);
  const c = b?.FuncCall;
  return !!c && nameParts(c.funcname).join('.').toLowerCase() === 'auth.uid' && !(c.args?.length);
}

/**
 * The columns of `t` a leaf (under AND and OR, not NOT) of a condition compares with `=` to a
 * value that reads no column and looks at who calls: `user_id = auth.uid()`, `owner = current_user`.
 */
function callerColumns(model: Model, t: Table, n: Node, out: Array<{ column: string; uid: boolean }>): void {
  const b = n?.BoolExpr;
  if (b) {
    if (b.boolop !== 'NOT_EXPR') for (const a of b.args as Node[]) callerColumns(model, t, a, out);
    return;
  }
  const x = n?.A_Expr;
  if (x?.kind !== 'AEXPR_OP' || nameParts(x.name).join('.') !== '=') return;
  // (either way round: the two sides asked in turn, no list of pairs per comparison)
  callerSide(model, t, x.lexpr, x.rexpr, out);
  callerSide(model, t, x.rexpr, x.lexpr, out);
}

/** callerColumns' test of one side of `=`: a column of `t` (bare or with the table's name) compared with `other`, a value of the caller's that reads no column. */
function callerSide(model: Model, t: Table, side: Node, other: Node, out: Array<{ column: string; uid: boolean }>): void {
  const c = columnRef(bareValue(side));
  if (!c || !t.columns.includes(c.name) || (c.qual !== undefined && c.qual !== t.name.toLowerCase())) return;
  if (census(other).columnRefs.length !== 0 || !looksAtCaller(model, other)) return;
  if (!out.some((o) => o.column === c.name)) out.push({ column: c.name, uid: isAuthUid(other) });
}

/** The columns each CHECK constraint of the table's CREATE TABLE names (a column's own CHECK names it too). */
function checkConstraints(t: Table): Array<Set<string>> {
  const out: Array<Set<string>> = [];
  const add = (expr: Node, own?: string) => {
    const cols = new Set<string>(own ? [own] : []);
    for (const r of census(expr).columnRefs) {
      const c = columnRef({ ColumnRef: r });
      if (c && t.columns.includes(c.name)) cols.add(c.name);
    }
    if (cols.size > 1) out.push(cols);
  };
  for (const e of (t.stmt.kind === 'CreateStmt' ? (t.stmt.node?.tableElts ?? []) : []) as Node[]) {
    if (e?.Constraint?.contype === 'CONSTR_CHECK') add(e.Constraint.raw_expr);
    const col = e?.ColumnDef;
    if (col) for (const c of (col.constraints ?? []) as Node[]) if (c?.Constraint?.contype === 'CONSTR_CHECK') add(c.Constraint.raw_expr, String(col.colname).toLowerCase());
  }
  return out;
}

/** A stamp of the new row with who calls: a column of the row equal to a value of the caller's that reads no column (`created_by = auth.uid()`). */
function stamp(model: Model, t: Table, n: Node): boolean {
  const own: Array<{ column: string; uid: boolean }> = [];
  if (n?.A_Expr) callerColumns(model, t, n, own);
  return own.length !== 0;
}

/**
 * The columns the SELECT policies of `t` for role `r` tie to the reader (not a key of the table:
 * a row planted with a key another row has is refused, 23505, and one no row has yet is no one's).
 * For a writer PUBLIC, every role's: GRANT INSERT … TO PUBLIC lets app_user, whose SELECT policy
 * ties user_id to them, plant rows through an INSERT policy for PUBLIC (forWriter).
 */
function bindings(model: Model, t: Table, policies: readonly Policy[], r: string): Binding[] {
  const out: Binding[] = [];
  for (const q of policies) {
    if (!readsRows(q) || !forWriter(model, q, r)) continue;
    const own: Array<{ column: string; uid: boolean }> = [];
    callerColumns(model, t, q.using!, own);
    for (const o of own) if (!uniqueColumn(t, o.column) && !out.some((b) => b.column === o.column)) out.push({ column: o.column, kind: 'own', policy: q, uid: o.uid });
    for (const g of groupColumnsOf(model, t, q.using!)) if (!uniqueColumn(t, g) && !out.some((b) => b.column === g)) out.push({ column: g, kind: 'group', policy: q, uid: false });
  }
  return out;
}

/** Whether a restrictive INSERT (or ALL) policy for `r` (any role's, for a writer PUBLIC: forWriter) names column `c` in its new-row check. */
function restricted(model: Model, t: Table, policies: readonly Policy[], r: string, c: string): boolean {
  for (const q of policies) {
    if (q.permissive) continue;
    const n = checkOf(q);
    if (n && forWriter(model, q, r) && columnsOfTable(model, t, n).has(c)) return true;
  }
  return false;
}

/**
 * The first word of a column's name (`from_uid` → from, `senderId` → sender), lower case.
 */
const firstWord = (c: string): string => (c.split(/_|(?=[A-Z])/)[0] ?? '').toLowerCase();
/** Words that name who sends a row, and who it is sent to: a request, a message, a follow. */
const SENDER_WORDS = new Set(['from', 'sender', 'sent', 'requester', 'requestor', 'inviter', 'follower', 'initiator']);
const RECIPIENT_WORDS = new Set(['to', 'recipient', 'receiver', 'requestee', 'addressee', 'invitee', 'followee', 'followed', 'following', 'target']);

/**
 * Whether the check stamps a sender column of the new row with the caller (`from_uid =
 * auth.uid()`) and `bound` names its recipient (`to_uid`): the row is sent, by the caller, whose
 * name it carries, to the user it names: a friend request, a message, a follow, which the
 * recipient is meant to read (Muzsy/tippmixapp's friend_requests, read by to_uid alone). As the
 * sender column a SELECT policy binds (sending to others is the point), it plants nothing.
 */
function addressed(stamped: ReadonlyArray<{ column: string }>, bound: string): boolean {
  return RECIPIENT_WORDS.has(firstWord(bound)) && stamped.some((s) => s.column !== bound && SENDER_WORDS.has(firstWord(s.column)));
}

/** What one INSERT policy leaves open: per role, the bound columns its check does not name. */
interface Open {
  roles: string[];
  missing: Binding[];
}

function openColumns(model: Model, t: Table, p: Policy, policies: readonly Policy[]): Open | undefined {
  const check = checkOf(p);
  if (!check || constBool(check) !== undefined) return undefined;
  // (a check that asks the caller for more than a stamp of the new row — a manager of the role, an
  // owner of the parent row — decides who may write rows for others: tutur3u's role managers add
  // members, whose rows those members then see, by design)
  const parts = conjuncts(check);
  for (let i = 0; i < parts.length; i++) if (!stamp(model, t, parts[i]!) && looksAtCaller(model, parts[i]!)) return undefined;
  const named = columnsOfTable(model, t, check);
  // (a check on no column of the table: always true, or on who calls alone — policy-always-true's)
  if (named.size === 0) return undefined;
  // (a CHECK constraint of the table naming a column the check names ties the others it names to
  // it: vibetype's friendship, CHECK (created_by = a_account_id OR created_by = b_account_id))
  for (const cols of checkConstraints(t)) if ([...cols].some((c) => named.has(c))) for (const c of cols) named.add(c);
  // (the columns the check stamps with the caller: a sender's, for rows addressed to a recipient)
  const stamped: Array<{ column: string; uid: boolean }> = [];
  for (const part of parts) if (stamp(model, t, part)) callerColumns(model, t, part, stamped);
  const roles: string[] = [];
  const missing: Binding[] = [];
  for (const r of writers(model, p, t, ['insert'])) {
    // (the table's forced owner, written as a sentence by writers(): its SELECT policies are asked as any role's)
    if (!/^[\w$]+$/.test(r)) continue;
    // (anon: a request without a signed-in user, whose rows name no caller to bind — a public form
    // filing a lead with the tenant it is for, vouti's leads_captacao — and inserts nothing through
    // a check that needs one)
    if (r === 'anon') continue;
    const bound = bindings(model, t, policies, r);
    if (bound.length === 0 || bound.some((b) => named.has(b.column))) continue;
    const open = bound.filter((b) => !(b.kind === 'own' && addressed(stamped, b.column)) && !restricted(model, t, policies, r, b.column) && !guarded(model, t, 'insert', b.column));
    if (open.length === 0) continue;
    roles.push(r);
    for (const b of open) if (!missing.some((m) => m.column === b.column)) missing.push(b);
  }
  return roles.length ? { roles, missing } : undefined;
}

/**
 * Fix: the own columns compared with auth.uid() added to the WITH CHECK, as the SELECT policy
 * asks; else, when one SELECT policy binds every column left open, its USING: the new row must
 * be one that policy shows its author.
 */
function addCheckFix(model: Model, p: Policy, open: Open): Fix | undefined {
  const check = policyExprs(p).find((e) => e.clause === 'check');
  if (!check) return undefined;
  const span = exprClauseSpan(model, check);
  if (!span) return undefined;
  const inner = unwrap(textOfFile(model, check.file).slice(span.start, span.end));
  let tests: string | undefined;
  if (open.missing.every((b) => b.kind === 'own' && b.uid)) tests = open.missing.map((b) => `${quoteIdent(b.column)} = (select auth.uid())`).join(' AND ');
  else {
    const q = open.missing[0]!.policy;
    const using = policyExprs(q).find((e) => e.clause === 'using');
    // (into a static WITH CHECK, the condition as PostgreSQL runs it: a SELECT policy a DO block's EXECUTE makes has it with the string's escapes)
    const text = using && open.missing.every((b) => b.policy === q) ? (exprInDynamicSql(model, check) ? exprText : exprSql)(model, using) : undefined;
    if (text) tests = `(${unwrap(text)})`;
  }
  if (!tests) return undefined;
  return {
    title: `Add ${sqlOneLine(tests)} to the WITH CHECK of policy "${p.name}"`,
    kind: 'unsafe',
    edits: [{ file: check.file, start: span.start, end: span.end, newText: `((${inner}) AND ${tests})` }],
  };
}

/**
 * A SELECT (or ALL) policy for one of the roles that may admit a row planted with any `g`: one not
 * every way of which names `g` (`USING (is_public)`, `true`, another column compared with who calls:
 * kindOf). An INSERT … RETURNING of such a row then passes (T30 asks the SELECT policies).
 */
function admitsOtherwise(model: Model, t: Table, policies: readonly Policy[], roles: readonly string[], g: string): Policy | undefined {
  for (const q of policies) if (readsRows(q) && roles.some((r) => forWriter(model, q, r)) && kindOf(model, t, q.using!, g) !== 'bound') return q;
  return undefined;
}

function reportOf(model: Model, p: Policy, t: Table, open: Open, policies: readonly Policy[]): Report {
  const cols = open.missing.map((b) => b.column);
  const who = roleList(open.roles);
  const first = open.missing[0]!;
  const otherwise = admitsOtherwise(model, t, policies, open.roles, first.column);
  const returning = otherwise
    ? `an INSERT … RETURNING also needs a SELECT policy to admit the new row, T30, which policy "${otherwise.name}" may do whatever its ${first.column}`
    : 'an INSERT … RETURNING also needs the SELECT policies to admit it, T30, and fails 42501 for such a row; one without RETURNING does not';
  const tie =
    first.kind === 'own'
      ? `admits a row by its ${first.column}, compared with who calls`
      : `admits a row to the members of its ${first.column} (a membership of the caller's)`;
  const effect =
    first.kind === 'own'
      ? `${who} can insert a row with any ${first.column}, one that is not theirs, and policy "${first.policy.name}" then shows it to the user (or group) that ${first.column} stands for as their own (a planted row)`
      : `${who} can insert a row into any ${first.column}, one they are not a member of, and policy "${first.policy.name}" then shows it to that ${first.column}'s members`;
  const how = p.command === 'insert' || p.withCheck ? 'its WITH CHECK' : 'its USING (it has no WITH CHECK, so USING checks the new row)';
  const add = open.missing.every((b) => b.kind === 'own' && b.uid) ? `\`${cols.map((c) => `${c} = (select auth.uid())`).join(' AND ')}\`` : `the condition policy "${first.policy.name}" puts on ${cols.join(', ')}`;
  return {
    ...p.nameLoc,
    message:
      `Policy "${p.name}" on ${t.key} lets ${who} insert rows and checks the new row with ${how}, which ${cols.length === 1 ? 'does not name its' : 'names none of its'} ${cols.join(', ')}, while policy "${first.policy.name}" ${tie}: ${effect}. ` +
      `PostgreSQL checks the row a plain INSERT adds only with the INSERT policies' WITH CHECK (${returning}). Add ${add} to ${how === 'its WITH CHECK' ? 'the WITH CHECK' : 'a WITH CHECK'}, or a BEFORE INSERT trigger that sets ${cols.join(', ')}.`,
    related: [{ ...first.policy.nameLoc, message: `policy "${first.policy.name}" ties ${t.key}.${first.column} to the reader` }],
    fixes: [addCheckFix(model, p, open)].filter((f): f is Fix => !!f),
  };
}

const kept = tableKeeper<Report[]>();
const NONE: Report[] = [];

export const policyInsertPlantsRow = defineRule({
  meta: {
    id: 'policy-insert-plants-row',
    description:
      "An INSERT (or ALL) policy checks the new row's columns but none of those the table's SELECT policies tie to the reader (user_id = auth.uid(), a tenant membership): a user can insert rows that show up as another user's, or in another tenant.",
    severity: 'warning',
    category: 'security',
    fixKind: 'unsafe',
    guards:
      "PostgreSQL checks the new row of an INSERT without RETURNING only with the INSERT policies' WITH CHECK: one that does not name the owner column lets a user insert a row with another user's id, which the SELECT policy keyed on that column then shows to that user as their own.",
  },
  check({ model, report }) {
    reportPerTable(model, report, (t, rows) => tableReports(model, t, rows));
  },
});

/** The reports on a table's INSERT policies (kept on the table: tableKeeper). */
function tableReports(model: Model, t: Table, rows: readonly PolicyRow[]): Report[] {
  const accepted = acceptedPolicies(model, t);
  const k = kept.get(model, t, accepted);
  if (k) return k;
  let out = NONE;
  // (the table's active policies: `rows`; a table without an INSERT policy and a SELECT policy has nothing to plant)
  let inserts = false;
  let reads = false;
  for (let i = 0; i < rows.length; i++) {
    const q = rows[i]!.policy;
    if (q.permissive && (q.command === 'insert' || q.command === 'all')) inserts = true;
    if (readsRows(q)) reads = true;
  }
  if (inserts && reads) {
    for (let i = 0; i < rows.length; i++) {
      const p = rows[i]!.policy;
      if (!p.permissive || (p.command !== 'insert' && p.command !== 'all')) continue;
      const open = openColumns(model, t, p, accepted);
      if (open) (out === NONE ? (out = []) : out).push(reportOf(model, p, t, open, accepted));
    }
  }
  kept.set(model, t, accepted, out);
  return out;
}
