import type { Model, Policy, Table } from '../analysis/model.js';
import { nameParts, sqlOneLine } from '../analysis/parse.js';
import { appliesToRole, commandList, coversCommand, roleList, type Command } from '../analysis/policies.js';
import { activeRuns, constBool, exprText, policiesWithKey, policyRows, rowOf, type ActiveRun, type PolicyRow } from '../analysis/policy-exprs.js';
import { groupsOf, membersOf } from '../analysis/privileges.js';
import { policyHasSubLink } from '../analysis/recursion.js';
import { isRejected } from '../analysis/rejected.js';
import { raisesIn } from '../analysis/unset-context.js';
import type { Node } from '../analysis/types.js';
import { memoised, roleText } from '../analysis/ast.js';
import { defineRule, type Report } from './types.js';
import { reportsBucketWideUsing } from './policy-always-true.js';
import { grantedToRlsSubject, mayHoldPrivilege, PF_ALL, PF_ANON, PF_DELETE, PF_PERMISSIVE, PF_PUBLIC, PF_UPDATE, PF_USING, policyFacts, toPublic } from './lib/util.js';

/** Supabase's (and PostgREST's) role for requests without a signed-in user. */
const ANON = 'anon';

/** Kinds of A_Expr over built-in operators and constructs (no function of the workspace's). */
const PLAIN_EXPR_KINDS = new Set([
  'AEXPR_OP',
  'AEXPR_OP_ANY',
  'AEXPR_OP_ALL',
  'AEXPR_DISTINCT',
  'AEXPR_NOT_DISTINCT',
  'AEXPR_NULLIF',
  'AEXPR_IN',
  'AEXPR_LIKE',
  'AEXPR_ILIKE',
  'AEXPR_SIMILAR',
  'AEXPR_BETWEEN',
  'AEXPR_NOT_BETWEEN',
  'AEXPR_BETWEEN_SYM',
  'AEXPR_NOT_BETWEEN_SYM',
]);

/** Supabase Storage's path helpers (split an object's name): IMMUTABLE on the platform. */
const STORAGE_PATH_FUNCTIONS = new Set(['foldername', 'filename', 'extension']);

/**
 * A call of storage.foldername / filename / extension on what depends on the row only, that
 * the workspace leaves to the platform or defines IMMUTABLE and SECURITY INVOKER.
 */
function storagePathCall(model: Model | undefined, v: Node, reads: Table[] | undefined): boolean {
  const parts = nameParts(v.funcname);
  if (parts.length !== 2 || parts[0]!.toLowerCase() !== 'storage' || !STORAGE_PATH_FUNCTIONS.has(parts[1]!.toLowerCase())) return false;
  if ((v.args?.length ?? 0) !== 1 || v.agg_star || v.agg_distinct || v.over || v.agg_filter || v.agg_order || v.func_variadic) return false;
  const f = model?.findFunction(parts, 1);
  if (f && (f.volatility !== 'immutable' || f.securityDefiner)) return false;
  return rowOnlyWalk(model, v.args, reads);
}

/**
 * Whether an expression can only depend on the row, never on who runs the query: it is made of
 * columns, constants, casts, unqualified operators, AND / OR / NOT, IS [NOT] NULL / TRUE …, IN
 * lists, arrays and subscripts, CASE and COALESCE, and Supabase Storage's path helpers.
 * Anything else may look at the caller and is taken to: every other function call (auth.uid(),
 * a helper, even a built-in one), a sub-select, current_user / session_user
 * (SQLValueFunction), a qualified operator (OPERATOR(s.op)), a parameter. With `reads`, a
 * sub-select whose rows are the same whoever asks (sameForAnyone) counts as the row too, and the
 * tables it reads are added to `reads`.
 */
function rowOnly(model: Model, n: Node, reads?: Table[]): boolean {
  // (the shape first, kept on the node across lints: most policies call auth.uid() or a helper)
  if (!reads && n !== null && typeof n === 'object' && !Array.isArray(n) && !rowOnlyShape(n)) return false;
  return rowOnlyWalk(model, n, reads);
}

/** rowOnly without the model: Storage's path helpers taken as the immutable functions Supabase makes them, no sub-select let through. */
const rowOnlyShape = memoised((n: Node) => rowOnlyWalk(undefined, n));

/** rowOnly's walk; without a model (rowOnlyShape), Storage's path helpers are not looked up. */
function rowOnlyWalk(model: Model | undefined, n: Node, reads?: Table[]): boolean {
  if (n === null || typeof n !== 'object') return true;
  if (Array.isArray(n)) {
    for (let i = 0; i < n.length; i++) if (!rowOnlyWalk(model, n[i], reads)) return false;
    return true;
  }
  for (const k in n) {
    const v = n[k];
    if (v === null || typeof v !== 'object') continue;
    switch (k) {
      case 'ColumnRef':
      case 'A_Const':
        continue;
      case 'TypeCast':
        if (!rowOnlyWalk(model, v.arg, reads)) return false;
        continue;
      case 'A_Expr':
        if (!PLAIN_EXPR_KINDS.has(v.kind) || nameParts(v.name).length !== 1 || !rowOnlyWalk(model, v.lexpr, reads) || !rowOnlyWalk(model, v.rexpr, reads)) return false;
        continue;
      case 'BoolExpr':
      case 'CoalesceExpr':
      case 'MinMaxExpr':
        if (!rowOnlyWalk(model, v.args, reads)) return false;
        continue;
      case 'NullTest':
      case 'BooleanTest':
        if (!rowOnlyWalk(model, v.arg, reads)) return false;
        continue;
      case 'List':
        if (!rowOnlyWalk(model, v.items, reads)) return false;
        continue;
      case 'A_ArrayExpr':
        if (!rowOnlyWalk(model, v.elements, reads)) return false;
        continue;
      case 'CaseExpr':
        if (!rowOnlyWalk(model, v.arg, reads) || !rowOnlyWalk(model, v.args, reads) || !rowOnlyWalk(model, v.defresult, reads)) return false;
        continue;
      case 'A_Indirection':
        if (!rowOnlyWalk(model, v.arg, reads) || !rowOnlyWalk(model, v.indirection, reads)) return false;
        continue;
      case 'A_Indices':
        if (!rowOnlyWalk(model, v.lidx, reads) || !rowOnlyWalk(model, v.uidx, reads)) return false;
        continue;
      case 'String': // a field name in an indirection
        continue;
      case 'FuncCall':
        if (!storagePathCall(model, v, reads)) return false;
        continue;
      case 'CaseWhen':
        if (!rowOnlyWalk(model, v.expr, reads) || !rowOnlyWalk(model, v.result, reads)) return false;
        continue;
      case 'SubLink':
        // only where the caller collects what sub-selects read (rowOnlyReading)
        if (!reads || !model || !sameForAnyone(model, v, reads)) return false;
        continue;
      default:
        // SQLValueFunction, ParamRef, …
        return false;
    }
  }
  return true;
}

/**
 * rowOnly, also letting through the sub-selects whose rows are the same whoever asks
 * (sameForAnyone): the tables they read ([] when none), or undefined when the expression may
 * depend on the caller.
 */
function rowOnlyReading(model: Model, n: Node, reads: Table[] = []): Table[] | undefined {
  return rowOnly(model, n, reads) ? reads : undefined;
}

/** The parts a sub-select's SELECT may have (each checked with rowOnly); any other (WITH, WINDOW, FOR UPDATE, VALUES…) makes it count as depending on the caller. */
const PLAIN_SELECT_KEYS = new Set(['targetList', 'fromClause', 'whereClause', 'groupClause', 'havingClause', 'sortClause', 'limitCount', 'limitOffset', 'distinctClause']);

/**
 * Whether a sub-select gives anon the same rows as anyone (hashpass's `speaker_id IN (SELECT id
 * FROM bsl_speakers WHERE id = speaker_id)`: "this block's speaker exists", for anon as for
 * anyone): a plain SELECT of one or more tables, every expression in it row-only (rowOnly, its
 * own sub-selects included), each table one the migrations create (not a view, a function, a
 * temporary table), that anon may SELECT from (else the statement fails with 42501 for anon)
 * and whose rows anon sees whoever asks (readsAll). The tables go to `reads`.
 */
function sameForAnyone(model: Model, v: Node, reads: Table[]): boolean {
  const s = v.subselect?.SelectStmt;
  if (!s || !s.fromClause?.length || (s.op && s.op !== 'SETOP_NONE')) return false;
  if (nameParts(v.operName).length > 1 || !rowOnly(model, v.testexpr, reads)) return false;
  for (const k in s) {
    const x = s[k];
    if (x === null || typeof x !== 'object' || k === 'fromClause') continue;
    if (!PLAIN_SELECT_KEYS.has(k)) return false;
    for (const item of (Array.isArray(x) ? x : [x]) as Node[]) {
      // a target's value, a sort key (not USING an operator), or an expression
      const e = item?.ResTarget ? item.ResTarget.val : item?.SortBy ? (item.SortBy.useOp ? undefined : item.SortBy.node) : item;
      if (e === undefined || !rowOnly(model, e, reads)) return false;
    }
  }
  for (const item of s.fromClause as Node[]) {
    const rv = item?.RangeVar;
    const t = rv?.relname ? model.tables.get(model.relKey(rv)) : undefined;
    if (!t || t.temp || !anonMay(model, t, 'select') || !readsAll(model, t)) return false;
    if (!reads.includes(t)) reads.push(t);
  }
  return true;
}

/**
 * Whether anon sees every row of the table whoever asks: its row-level security is off, or a
 * permissive SELECT (or ALL) policy for anon is always true (USING (true)), and no restrictive
 * one applies to anon. None of its policies for anon may have a sub-select: reading the table
 * from another policy's sub-select could then raise 42P17 (infinite recursion, TRUTHS T31).
 */
function readsAll(model: Model, t: Table): boolean {
  return openTo(model, t) !== undefined;
}

/** readsAll's answer: `true` when the table's row-level security is off, the first always-true permissive policy for anon when it is on, undefined when anon may not see every row. */
function openTo(model: Model, t: Table): Policy | true | undefined {
  if (!t.rlsEnabled) return true;
  let open: Policy | undefined;
  for (const q of t.policies) {
    if (!coversCommand(q, 'select') || !appliesToRole(model, q, ANON) || isRejected(model, q)) continue;
    if (!q.permissive || policyHasSubLink(q)) return undefined;
    if (q.using && constBool(q.using) === true) open ??= q;
  }
  return open;
}

/** Why the sub-selects reading these tables give anon the same rows as anyone, for the message. */
function sameRowsNote(model: Model, tables: readonly Table[]): string {
  const each = tables.map((t) => {
    const open = openTo(model, t);
    if (open === true || open === undefined) return `${t.key}, which has no row-level security`;
    // (the condition as written, without its comments: hashpass's `-- Everyone can see all speakers` before `true`)
    const text = sqlOneLine(exprText(model, rowOf(model, open).using!) ?? '');
    return `${t.key}, whose SELECT policy "${open.name}" for anon is USING (${text || 'true'})${text.toLowerCase() === 'true' ? '' : ', always true'}`;
  });
  const many = tables.length > 1;
  return ` (its sub-select${many ? 's read' : ' reads'} ${each.join('; ')}, and anon may read ${many ? 'them' : 'it'}: the sub-select${many ? 's give' : ' gives'} the same rows for anon as for anyone)`;
}

/** Whether one branch of a top-level OR tests only the row (rowOnly), and the others raise no error without a signed-in user (an error would stop the statement). */
function rowOnlyBranch(model: Model, n: Node): boolean {
  const b = n?.BoolExpr;
  if (b?.boolop !== 'OR_EXPR' || !(b.args as Node[]).some((a) => constBool(a) === undefined && rowOnly(model, a))) return false;
  return !raisesIn(model, n, 'auth.uid', 'no-user', { mode: 'filter' });
}

/**
 * Whether anon may run the command on the table as far as the workspace shows: granted (on the
 * table, through PUBLIC or a group, or by Supabase's platform defaults), or its grants are
 * managed elsewhere (no table grant to anon here, no REVOKE naming it). A table the workspace
 * does not create (storage.objects) counts as granted: Supabase grants its API roles on it.
 */
function anonMay(model: Model, t: Table | undefined, cmd: Command): boolean {
  return !t || mayHoldPrivilege(model, t, ANON, [cmd]);
}

/** A restrictive policy that applies to `role` for the command and may depend on the caller: it may stop the role. */
function restrictedFor(model: Model, p: Policy, cmd: Command, role: string): boolean {
  const list = policiesWithKey(model, p.table);
  for (let i = 0; i < list.length; i++) {
    const q = list[i]!;
    if (q.permissive || !coversCommand(q, cmd) || !appliesToRole(model, q, role)) continue;
    if (!q.using || !rowOnly(model, q.using) || (cmd === 'update' && q.withCheck && !rowOnly(model, q.withCheck))) return true;
  }
  return false;
}

/** "update and delete", "update" or "delete": what the roles may do to rows. */
const verbsOf = (cmds: readonly Command[]): string => (cmds.length === 2 ? 'update and delete' : cmds[0] === 'update' ? 'update' : 'delete');

/** Which rows the policy's roles reach (`who`: how the message names them) by the statements they may run (T26, T27). */
function reachSentence(p: Policy, cmds: readonly Command[], who: string): string {
  return (
    `a statement that reads no column (${cmds.includes('delete') ? `e.g. DELETE FROM ${p.table}` : `e.g. UPDATE ${p.table} SET … to constants`}, with no WHERE) reaches all of them; one that reads columns, the rows the SELECT policies also let ${who} see (T26, T27)` +
    `${cmds.includes('update') ? '; updated rows must still pass the condition' : ''}. `
  );
}

/** Supabase's (and PostgREST's) role for requests of a signed-in user. */
const AUTHENTICATED = 'authenticated';

/** Whether some policy PostgreSQL applies in the workspace looks at who is asking (a condition that is not row-only: auth.uid(), a helper, a sub-select…). */
function tellsCallersApart(model: Model): boolean {
  const rows = policyRows(model);
  for (let i = 0; i < rows.length; i++) {
    const row = rows[i]!;
    if (!row.active) continue;
    for (const e of [row.using, row.check]) if (e && constBool(e.node) === undefined && !rowOnly(model, e.node)) return true;
  }
  return false;
}

/** The roles other than the table's owner, subject to row-level security, that the workspace grants the command on the table to (PUBLIC included). */
function grantedRoles(model: Model, t: Table, cmd: Command): string[] {
  const out: string[] = [];
  for (const [role, privileges] of t.grants) {
    if (role === t.owner?.role || model.roleBypassesRls(role) === true || (role !== 'public' && (role === ANON || role === AUTHENTICATED))) continue;
    if (privileges.has(cmd) || privileges.has('all')) out.push(role);
  }
  return out;
}

/** Who the policy lets change rows for signedInWrites: the phrase after its name, and who "can update …". */
interface SignedIn {
  who: string;
  users: string;
  cmds: Command[];
}

/**
 * The roles every signed-in user has that the policy applies to, and the commands they may run
 * (privilege held, no restrictive policy that may look at the caller): `authenticated`, named or
 * through PUBLIC where it exists (Supabase); elsewhere, for PUBLIC, the roles the workspace grants
 * the command to (grantedToRlsSubject: none granted here, nothing is said); or a role the
 * workspace grants to other roles (GRANT app_user TO authenticator): every user given it.
 */
function signedInRoles(model: Model, p: Policy, t: Table | undefined, cmds: readonly Command[]): SignedIn | undefined {
  const free = (role: string, cmd: Command) => !restrictedFor(model, p, cmd, role) && (role === 'public' || !t || mayHoldPrivilege(model, t, role, [cmd]));
  const isPublic = p.roles.includes('public');
  if ((p.roles.includes(AUTHENTICATED) || (isPublic && model.supabase && model.roles.has(AUTHENTICATED))) && model.roleBypassesRls(AUTHENTICATED) !== true && t?.owner?.role !== AUTHENTICATED) {
    const ok = cmds.filter((c) => free(AUTHENTICATED, c));
    if (ok.length === 0) return undefined;
    return {
      who: p.roles.includes(AUTHENTICATED) ? `is TO ${AUTHENTICATED}` : `${toPublic(p)}, ${AUTHENTICATED} included`,
      users: `every signed-in user (${AUTHENTICATED} is the role of every request with a user's session — on Supabase, anyone who signs up)`,
      cmds: ok,
    };
  }
  if (isPublic) {
    if (!t) return undefined;
    const ok = cmds.filter((c) => grantedToRlsSubject(model, t, [c]) && grantedRoles(model, t, c).some((r) => free(r, c)));
    if (ok.length === 0) return undefined;
    const roles = [...new Set(ok.flatMap((c) => grantedRoles(model, t, c)))];
    return { who: toPublic(p), users: roles.includes('public') ? 'every role' : `every user of the roles granted ${commandList(ok)} on ${p.table} here (${roleList(roles)})`, cmds: ok };
  }
  for (const g of p.roles) {
    if (g === ANON || g === AUTHENTICATED || model.roleBypassesRls(g) === true || t?.owner?.role === g) continue;
    const members = membersOf(model, g);
    if (members.length === 0) continue;
    const ok = cmds.filter((c) => free(g, c));
    if (ok.length) return { who: `is TO ${roleText(g)}, a role the migrations grant to other roles (${roleList(members)})`, users: `every user given ${roleText(g)}`, cmds: ok };
  }
  return undefined;
}

/**
 * The signed-in half of the rule: a permissive UPDATE, DELETE or ALL policy for a role every
 * signed-in user has (signedInRoles) whose USING (and, for UPDATE, WITH CHECK) is row-only as a
 * whole (rowOnly: no call, no sub-select, no current_user) and not constant (always true:
 * policy-always-true; false: admits nothing). Not where no policy of the workspace looks at who is
 * asking (tellsCallersApart): there every signed-in user is trusted alike on purpose (an internal
 * tool). Policies anonWrites reported are left out.
 */
function signedInWrites(model: Model, report: (r: Report) => void, reported: ReadonlySet<Policy>): void {
  const runs = activeRuns(model);
  let apart: boolean | undefined;
  for (let i = 0; i < runs.length; i++) {
    const list = signedInCandidates(runs[i]!);
    for (let j = 0; j < list.length; j++) {
      const row = list[j]!;
      const p = row.policy;
      const using = row.using!;
      const check = row.check;
      if (reported.has(p) || !rowOnly(model, using.node)) continue;
      // (on Supabase Storage, a USING asking only for a bucket: policy-always-true's finding, every object of
      // the bucket for every signed-in user — the same policy, the same reason; anon's case stays this rule's)
      if (reportsBucketWideUsing(model, row)) continue;
      const wanted: Command[] = [];
      // UPDATE: new rows are checked by WITH CHECK (by USING without one, T14c): one that looks at
      // the caller (WITH CHECK (assignee = auth.uid()): claiming an open task) is not reported
      if (coversCommand(p, 'update') && (!check || (constBool(check.node) === undefined && rowOnly(model, check.node)))) wanted.push('update');
      if (coversCommand(p, 'delete')) wanted.push('delete');
      if (wanted.length === 0) continue;
      const t = row.table;
      const s = signedInRoles(model, p, t, wanted);
      if (!s) continue;
      if ((apart ??= tellsCallersApart(model)) === false) return;
      const cmds = s.cmds;
      const cond = exprText(model, using);
      const checkText = check && cmds.includes('update') ? exprText(model, check) : undefined;
      const verbs = verbsOf(cmds);
      report({
        ...p.nameLoc,
        message:
          `Policy "${p.name}" on ${p.table} (FOR ${p.command.toUpperCase()}) ${s.who}, and its condition ` +
          `${cond ? `USING (${cond})` : 'USING'}${checkText ? ` WITH CHECK (${checkText})` : ''} tests only the row, not who is asking: ` +
          `PostgreSQL admits to the policy's roles every row the USING admits, with no check on the caller, ` +
          `so ${s.users} can ${verbs} every row it admits, other users' rows included (given the ${commandList(cmds)} privilege${cmds.length > 1 ? 's' : ''}): ` +
          reachSentence(p, cmds, 'them') +
          (p.table === 'storage.objects'
            ? "Add a condition on the caller — the object's owner or path (AND owner_id = (select auth.uid()::text), storage.objects' owner_id being text, or AND (storage.foldername(name))[1] = (select auth.uid()::text)) — or make the policy TO a narrower role."
            : model.supabase || s.users.startsWith('every signed-in')
              ? 'Add a condition on the caller (e.g. AND user_id = (select auth.uid())), or make the policy TO a narrower role.'
              : "Add a condition on the caller (e.g. AND user_id = the current user's id, as the workspace's other policies ask it), or make the policy TO a narrower role."),
      });
    }
  }
}

/**
 * The rows of a run of active policies signedInWrites looks at further, from the policies alone: a
 * permissive UPDATE, DELETE or ALL policy with a USING that is neither constant nor anything but
 * the row in its shape (rowOnlyShape: no call but Storage's path helpers, no sub-select), and no
 * WITH CHECK that is always true, not TO anon alone. Kept on the run, which the policy index keeps
 * on its table across models (activeRuns): each of the bench's 2,235 UPDATE policies, which call a
 * helper, was looked at again at every re-lint (≈ 2 ms).
 */
function signedInCandidates(run: ActiveRun): readonly PolicyRow[] {
  let list = candidatesByRun.get(run);
  if (list !== undefined) return list;
  const rows = run.active;
  let out: PolicyRow[] | undefined;
  for (let i = 0; i < rows.length; i++) {
    const row = rows[i]!;
    const p = row.policy;
    if (!p.permissive || !row.using || (p.command !== 'update' && p.command !== 'delete' && p.command !== 'all')) continue;
    if (p.roles.length === 1 && p.roles[0] === ANON) continue;
    if (constBool(row.using.node) !== undefined || (row.check && constBool(row.check.node) === true) || !rowOnlyShape(row.using.node)) continue;
    (out ??= []).push(row);
  }
  list = out ?? NO_ROWS;
  if (run.kept) candidatesByRun.set(run, list);
  return list;
}
const candidatesByRun = new WeakMap<ActiveRun, readonly PolicyRow[]>();
const NO_ROWS: readonly PolicyRow[] = [];

/** The anon half of the rule: policies that let requests without a signed-in user change rows (each reported goes to `reported`). */
function anonWrites(model: Model, report: (r: Report) => void, reported: Set<Policy>): void {
  // an explicit TO anon names the role whatever the workspace declares; PUBLIC and groups
  // only reach it where it is known to exist (Supabase's platform roles, or declared here)
  const anonKnown = model.roles.has(ANON);
  if (model.roleBypassesRls(ANON)) return;
  // the policies whose roles may include anon: TO anon, TO PUBLIC, and when anon is a member of
  // other roles, any (policyFacts' bits: on the bench, TO authenticated alone, none is read)
  const mask = PF_ANON | (anonKnown ? PF_PUBLIC : 0);
  const inGroups = anonKnown && groupsOf(model, ANON) !== undefined;
  // permissive UPDATE / DELETE / ALL policies with a USING (without one they admit no row to
  // change: policy-without-condition); policyFacts: the others are not read
  const facts = policyFacts(model);
  const rows = policyRows(model);
  for (let i = 0; i < rows.length; i++) {
    const f = facts[i]!;
    if ((f & (PF_PERMISSIVE | PF_USING)) !== (PF_PERMISSIVE | PF_USING) || (f & (PF_UPDATE | PF_DELETE | PF_ALL)) === 0) continue;
    if ((f & mask) === 0 && !inGroups) continue;
    const row = rows[i]!;
    if (!row.active) continue; // RLS off: policy-on-table-without-rls / rls-disabled
    const p = row.policy;
    const named = (f & PF_ANON) !== 0;
    if (!named && !(anonKnown && appliesToRole(model, p, ANON))) continue;
    const t = row.table;
    if (t?.owner?.role === ANON) continue; // the owner may switch RLS off for its table
    const using = row.using!;
    const check = row.check;
    // always true: policy-always-true's finding (the same policy, the same reason); false or
    // NULL: it admits no row
    if (constBool(using.node) !== undefined || (check && constBool(check.node) === true)) continue;
    // (or one branch of an OR does, and anon passes it whatever the others ask: ft's player_invitations
    // `admin_id = (select auth.uid()) OR (status = 'pending' AND invitation_code IS NOT NULL)`)
    // (a sub-select counts when anon sees the same rows of its tables as anyone: hashpass's
    // `speaker_id IN (SELECT id FROM bsl_speakers WHERE id = speaker_id)`, sameForAnyone)
    const reads = rowOnlyReading(model, using.node);
    const whole = reads !== undefined;
    if (!whole && !rowOnlyBranch(model, using.node)) continue;
    // UPDATE: new rows are checked by WITH CHECK (by USING without one, T14c)
    const checkReads = check ? rowOnlyReading(model, check.node) : [];
    const updates = !check || (constBool(check.node) === undefined && (checkReads !== undefined || rowOnlyBranch(model, check.node)));
    const cmds: Command[] = [];
    if (coversCommand(p, 'update') && updates && anonMay(model, t, 'update') && !restrictedFor(model, p, 'update', ANON)) cmds.push('update');
    if (coversCommand(p, 'delete') && anonMay(model, t, 'delete') && !restrictedFor(model, p, 'delete', ANON)) cmds.push('delete');
    if (cmds.length === 0) continue;
    const what = commandList(cmds);
    const subReads = [...(reads ?? [])];
    if (cmds.includes('update')) for (const x of checkReads ?? []) if (!subReads.includes(x)) subReads.push(x);
    const cond = exprText(model, using);
    const checkText = check && cmds.includes('update') ? exprText(model, check) : undefined;
    const who = named
      ? `is TO ${ANON}`
      : p.roles.includes('public')
        ? `${toPublic(p)}, anon included`
        : `applies to ${ANON} through a role it is a member of (${p.roles.map(roleText).join(', ')})`;
    const verbs = verbsOf(cmds);
    reported.add(p);
    report({
      ...p.nameLoc,
      message:
        `Policy "${p.name}" on ${p.table} (FOR ${p.command.toUpperCase()}) ${who}, and its condition ` +
        `${cond ? `USING (${cond})` : 'USING'}${checkText ? ` WITH CHECK (${checkText})` : ''} ${whole ? 'tests' : 'has an OR branch that tests'} only the row, not who is asking${subReads.length ? sameRowsNote(model, subReads) : ''}: ` +
        `anon is the role of requests without a signed-in user — on Supabase, anyone with the project's anon key, which every web client ships — ` +
        `so anyone can ${verbs} every row ${whole ? 'it admits' : 'that branch admits'} (given the ${what} privilege${cmds.length > 1 ? 's' : ''}): ` +
        reachSentence(p, cmds, 'anon') +
        (p.table === 'storage.objects'
          ? // (storage.objects' owner_id is text: `owner_id = (select auth.uid())` is text = uuid, 42883 at CREATE POLICY)
            "Scope the policy to the object's owner or path (e.g. TO authenticated … USING (bucket_id = … AND owner_id = (select auth.uid()::text)), storage.objects' owner_id being text, or (storage.foldername(name))[1] = (select auth.uid()::text)), or drop it and make this change on the server with the service role."
          : 'Scope the policy to the row\'s owner (e.g. TO authenticated … USING (owner_id = (select auth.uid()))), or drop it and make this change on the server with the service role.'),
    });
  }
}

export const policyAnonWrite = defineRule({
  meta: {
    id: 'policy-anon-write',
    description: 'A permissive UPDATE, DELETE or ALL policy lets anon (unauthenticated requests), or every signed-in user, change or delete rows with a condition that does not depend on who is asking.',
    severity: 'warning',
    category: 'security',
    fixKind: 'none',
    guards:
      "A permissive policy admits every row its USING admits: when it applies to anon (TO anon, or PUBLIC where anon exists, as on Supabase) and its condition tests only the row (bucket_id = 'avatars'), any unauthenticated request — on Supabase, anyone with the public anon key — can UPDATE and DELETE all those rows. The same for a role every signed-in user has (authenticated, a role granted to other roles, PUBLIC for the roles granted the command): any user changes other users' rows.",
    truths: ['T26', 'T27'],
    shownBy: { exposure: 'anon-write' },
  },
  check({ model, report }) {
    const reported = new Set<Policy>();
    anonWrites(model, report, reported);
    signedInWrites(model, report, reported);
  },
});
