import type { Model, Policy, Table } from '../analysis/model.js';
import { nameParts } from '../analysis/parse.js';
import { appliesToRole, commandList, coversCommand, type Command } from '../analysis/policies.js';
import { constBool, exprText, policiesWithKey, policyRows } from '../analysis/policy-exprs.js';
import { groupsOf } from '../analysis/privileges.js';
import { raisesIn } from '../analysis/unset-context.js';
import type { Node } from '../analysis/types.js';
import { defineRule } from './types.js';
import { mayHoldPrivilege, PF_ALL, PF_ANON, PF_DELETE, PF_PERMISSIVE, PF_PUBLIC, PF_UPDATE, PF_USING, policyFacts, toPublic } from './lib/util.js';

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
function storagePathCall(model: Model, v: Node): boolean {
  const parts = nameParts(v.funcname);
  if (parts.length !== 2 || parts[0]!.toLowerCase() !== 'storage' || !STORAGE_PATH_FUNCTIONS.has(parts[1]!.toLowerCase())) return false;
  if ((v.args?.length ?? 0) !== 1 || v.agg_star || v.agg_distinct || v.over || v.agg_filter || v.agg_order || v.func_variadic) return false;
  const f = model.findFunction(parts, 1);
  if (f && (f.volatility !== 'immutable' || f.securityDefiner)) return false;
  return rowOnly(model, v.args);
}

/**
 * Whether an expression can only depend on the row, never on who runs the query: it is made of
 * columns, constants, casts, unqualified operators, AND / OR / NOT, IS [NOT] NULL / TRUE …, IN
 * lists, arrays and subscripts, CASE and COALESCE, and Supabase Storage's path helpers.
 * Anything else may look at the caller and is taken to: every other function call (auth.uid(),
 * a helper, even a built-in one), a sub-select, current_user / session_user
 * (SQLValueFunction), a qualified operator (OPERATOR(s.op)), a parameter.
 */
function rowOnly(model: Model, n: Node): boolean {
  if (n === null || typeof n !== 'object') return true;
  if (Array.isArray(n)) {
    for (let i = 0; i < n.length; i++) if (!rowOnly(model, n[i])) return false;
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
        if (!rowOnly(model, v.arg)) return false;
        continue;
      case 'A_Expr':
        if (!PLAIN_EXPR_KINDS.has(v.kind) || nameParts(v.name).length !== 1 || !rowOnly(model, v.lexpr) || !rowOnly(model, v.rexpr)) return false;
        continue;
      case 'BoolExpr':
      case 'CoalesceExpr':
      case 'MinMaxExpr':
        if (!rowOnly(model, v.args)) return false;
        continue;
      case 'NullTest':
      case 'BooleanTest':
        if (!rowOnly(model, v.arg)) return false;
        continue;
      case 'List':
        if (!rowOnly(model, v.items)) return false;
        continue;
      case 'A_ArrayExpr':
        if (!rowOnly(model, v.elements)) return false;
        continue;
      case 'CaseExpr':
        if (!rowOnly(model, v.arg) || !rowOnly(model, v.args) || !rowOnly(model, v.defresult)) return false;
        continue;
      case 'A_Indirection':
        if (!rowOnly(model, v.arg) || !rowOnly(model, v.indirection)) return false;
        continue;
      case 'A_Indices':
        if (!rowOnly(model, v.lidx) || !rowOnly(model, v.uidx)) return false;
        continue;
      case 'String': // a field name in an indirection
        continue;
      case 'FuncCall':
        if (!storagePathCall(model, v)) return false;
        continue;
      case 'CaseWhen':
        if (!rowOnly(model, v.expr) || !rowOnly(model, v.result)) return false;
        continue;
      default:
        // SubLink, SQLValueFunction, ParamRef, …
        return false;
    }
  }
  return true;
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

/** A restrictive policy that applies to anon for the command and may depend on the caller: it may stop anon. */
function restrictedForAnon(model: Model, p: Policy, cmd: Command): boolean {
  const list = policiesWithKey(model, p.table);
  for (let i = 0; i < list.length; i++) {
    const q = list[i]!;
    if (q.permissive || !coversCommand(q, cmd) || !appliesToRole(model, q, ANON)) continue;
    if (!q.using || !rowOnly(model, q.using) || (cmd === 'update' && q.withCheck && !rowOnly(model, q.withCheck))) return true;
  }
  return false;
}

export const policyAnonWrite = defineRule({
  meta: {
    id: 'policy-anon-write',
    description: "A permissive UPDATE, DELETE or ALL policy lets anon (unauthenticated requests) change or delete rows with a condition that does not depend on who is asking.",
    severity: 'warning',
    category: 'security',
    fixKind: 'none',
    guards:
      "A permissive policy admits every row its USING admits: when it applies to anon (TO anon, or PUBLIC where anon exists, as on Supabase) and its condition tests only the row (bucket_id = 'avatars'), any unauthenticated request — on Supabase, anyone with the public anon key — can UPDATE and DELETE all those rows.",
    truths: ['T26', 'T27'],
    shownBy: { exposure: 'anon-write' },
  },
  check({ model, report }) {
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
      const whole = rowOnly(model, using.node);
      if (!whole && !rowOnlyBranch(model, using.node)) continue;
      // UPDATE: new rows are checked by WITH CHECK (by USING without one, T14c)
      const updates = !check || (constBool(check.node) === undefined && (rowOnly(model, check.node) || rowOnlyBranch(model, check.node)));
      const cmds: Command[] = [];
      if (coversCommand(p, 'update') && updates && anonMay(model, t, 'update') && !restrictedForAnon(model, p, 'update')) cmds.push('update');
      if (coversCommand(p, 'delete') && anonMay(model, t, 'delete') && !restrictedForAnon(model, p, 'delete')) cmds.push('delete');
      if (cmds.length === 0) continue;
      const what = commandList(cmds);
      const cond = exprText(model, using);
      const checkText = check && cmds.includes('update') ? exprText(model, check) : undefined;
      const who = named
        ? `is TO ${ANON}`
        : p.roles.includes('public')
          ? `${toPublic(p)}, anon included`
          : `applies to ${ANON} through a role it is a member of (${p.roles.join(', ')})`;
      const verbs = cmds.length === 2 ? 'update and delete' : cmds[0] === 'update' ? 'update' : 'delete';
      report({
        ...p.nameLoc,
        message:
          `Policy "${p.name}" on ${p.table} (FOR ${p.command.toUpperCase()}) ${who}, and its condition ` +
          `${cond ? `USING (${cond})` : 'USING'}${checkText ? ` WITH CHECK (${checkText})` : ''} ${whole ? 'tests' : 'has an OR branch that tests'} only the row, not who is asking: ` +
          `anon is the role of requests without a signed-in user — on Supabase, anyone with the project's anon key, which every web client ships — ` +
          `so anyone can ${verbs} every row ${whole ? 'it admits' : 'that branch admits'} (given the ${what} privilege${cmds.length > 1 ? 's' : ''}): ` +
          `a statement that reads no column (${cmds.includes('delete') ? `e.g. DELETE FROM ${p.table}` : `e.g. UPDATE ${p.table} SET … to constants`}, with no WHERE) reaches all of them; one that reads columns, the rows the SELECT policies also let anon see (T26, T27)` +
          `${cmds.includes('update') ? '; updated rows must still pass the condition' : ''}. ` +
          'Scope the policy to the row\'s owner (e.g. TO authenticated … USING (owner_id = (select auth.uid()))), or drop it and make this change on the server with the service role.',
      });
    }
  },
});
