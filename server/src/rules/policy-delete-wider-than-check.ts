// policy-delete-wider-than-check: a permissive FOR ALL policy whose WITH CHECK asks of the caller
// what its USING does not (`USING (is_member(school_id)) WITH CHECK (is_admin(school_id))`), read
// as "members read, admins write". DELETE has no new row to check: it is filtered by USING alone,
// so every member deletes every row USING admits, while an UPDATE of those rows fails WITH CHECK
// (42501). Found in Delibrium/delibrium-postgrest (model/{school,user,idea_space,topic,category,
// user_group}/permissions.sql: a student deletes the school's admin user). Measured on PGlite
// (test/rules/policy-delete-wider-than-check.test.ts): a member's DELETE removes the rows, their
// UPDATE fails with 42501; after the split fix their DELETE removes nothing, and they still read.
//
// Reported when a branch of the USING (a top-level OR part) looks at who is asking and no branch
// of the WITH CHECK asks of the caller only what that branch asks too (the WITH CHECK's parts that
// look at the caller, looksAtCaller, among the branch's AND-ed parts); parts on the row's own
// columns (`status = 'draft'`) are not asked of the caller, nor is a stamp of the new row with
// the caller's id next to the branch's own condition (`is_member(ws_id) AND created_by =
// auth.uid()`: in whose name a row is written, tutur3u). A branch that looks at no one is
// policy-shared-rows-writable's (the policy is left to it), an always-true one policy-always-true's.
// Not reported when no role of the policy may DELETE, a restrictive policy also decides DELETE for
// its roles, or a trigger or rule refuses DELETE on the table.
import type { Model, Policy, Table } from '../analysis/model.js';
import { census, conjuncts, disjuncts } from '../analysis/ast.js';
import { activePoliciesWithKey, activeRows, constBool, exprClauseSpan, textOfFile, type PolicyExpr } from '../analysis/policy-exprs.js';
import { roleList } from '../analysis/policies.js';
import { LOCATION_KEYS, nameParts, sqlOneLine, sval } from '../analysis/parse.js';
import type { Node } from '../analysis/types.js';
import { defineRule, type Fix } from './types.js';
import { bareValue, looksAtCaller, quoteIdent, refusedWrites, tableName } from './lib/util.js';
import { replacePolicyStatement, toClause, topLevelOr, unwrap, writers } from './policy-shared-rows-writable.js';

/**
 * A condition written down as a string that is the same for the same condition written
 * differently in the USING and the WITH CHECK: offsets dropped, `(select x)` and casts left aside
 * (bareValue), a call named by the function it resolves to, a column qualified by the policy's
 * table taken unqualified, a table by its key, the operands of `=` and of AND / OR in a fixed
 * order. Conditions that mean the same but are written apart (a helper and its body) count as
 * different: such a policy is reported.
 */
function shape(model: Model, n: Node, table: string): string {
  return JSON.stringify(canon(model, n, table));
}
function canon(model: Model, n: Node, table: string): unknown {
  if (Array.isArray(n)) return n.map((x) => canon(model, x, table));
  if (n === null || typeof n !== 'object') return n;
  const e = bareValue(n);
  if (e !== n) return canon(model, e, table);
  if (n.FuncCall) {
    const parts = nameParts(n.FuncCall.funcname);
    const f = model.findFunction(parts, n.FuncCall.args?.length ?? 0);
    return { call: f?.key ?? parts.join('.').toLowerCase(), args: canon(model, n.FuncCall.args ?? [], table), star: !!n.FuncCall.agg_star };
  }
  if (n.RangeVar) return { rel: model.key([n.RangeVar.schemaname, n.RangeVar.relname]), alias: n.RangeVar.alias?.aliasname };
  if (n.ColumnRef) {
    const fields: Node[] = n.ColumnRef.fields ?? [];
    return { column: ownColumn(n, table) ? canon(model, fields[fields.length - 1], table) : canon(model, fields, table) };
  }
  if (n.A_Expr?.kind === 'AEXPR_OP' && nameParts(n.A_Expr.name).join('.') === '=' && n.A_Expr.lexpr && n.A_Expr.rexpr) {
    return { eq: [shape(model, n.A_Expr.lexpr, table), shape(model, n.A_Expr.rexpr, table)].sort() };
  }
  if (n.BoolExpr && n.BoolExpr.boolop !== 'NOT_EXPR') return { [n.BoolExpr.boolop]: (n.BoolExpr.args ?? []).map((a: Node) => shape(model, a, table)).sort() };
  const out: Record<string, unknown> = {};
  for (const k in n) if (!LOCATION_KEYS.has(k)) out[k] = canon(model, n[k], table);
  return out;
}

/** Whether a column reference is one of the policy's row (unqualified, or qualified by the table's name). */
function ownColumn(n: Node, table: string): boolean {
  const fields: Node[] | undefined = n?.ColumnRef?.fields;
  return !!fields && (fields.length === 1 || (fields.length === 2 && sval(fields[0])?.toLowerCase() === table)) && !!sval(fields[fields.length - 1]);
}

/**
 * Whether a condition stamps the new row with who is asking: a column of the row equal to a value
 * of the caller's that reads no column (`created_by = auth.uid()`, `tenant_id = current_setting(…)`).
 */
function stamp(model: Model, n: Node, table: string): boolean {
  const e = n?.A_Expr;
  if (e?.kind !== 'AEXPR_OP' || nameParts(e.name).join('.') !== '=' || !e.lexpr || !e.rexpr) return false;
  const [l, r] = [bareValue(e.lexpr), bareValue(e.rexpr)];
  const value = ownColumn(l, table) ? r : ownColumn(r, table) ? l : undefined;
  return !!value && census(value).columnRefs.length === 0 && looksAtCaller(model, value);
}

/** Whether another policy of the table, restrictive or not, for `command` (or ALL) applies to one of the policy's roles (any, for a policy TO PUBLIC). */
function otherPolicyFor(model: Model, p: Policy, command: 'delete' | 'update', permissive: boolean): boolean {
  for (const q of activePoliciesWithKey(model, p.table)) {
    if (q === p || q.permissive !== permissive || (q.command !== command && q.command !== 'all')) continue;
    if (p.roles.includes('public') || q.roles.includes('public') || q.roles.some((r) => p.roles.includes(r))) return true;
  }
  return false;
}

/**
 * The split fix: a SELECT policy keeping the name and the USING; INSERT with the WITH CHECK;
 * UPDATE and DELETE reaching only the rows both admit (`(<using>) AND (<check>)`: the WITH CHECK
 * alone as their USING would reach rows the USING never admitted, another tenant's when the check
 * is a role of the caller only), UPDATE checking its new row with the WITH CHECK as before.
 */
function splitFix(model: Model, p: Policy, t: Table | undefined, using: PolicyExpr, check: PolicyExpr): Fix | undefined {
  if (!t || using.stmt.start !== p.created.start || using.stmt.file !== p.created.file || check.stmt.start !== p.created.start || check.stmt.file !== p.created.file) return undefined; // (changed by ALTER POLICY since)
  const text = textOfFile(model, using.file);
  const usingSpan = exprClauseSpan(model, using);
  const checkSpan = exprClauseSpan(model, check);
  if (!usingSpan || !checkSpan) return undefined;
  const named = (suffix: string) => `${p.name.slice(0, 63 - suffix.length)}${suffix}`;
  // (a name taken by another policy of the table: CREATE POLICY would fail with 42710)
  const taken = new Set(activePoliciesWithKey(model, p.table).filter((q) => q !== p).map((q) => q.name));
  if (['_insert', '_update', '_delete'].some((s) => taken.has(named(s)))) return undefined;
  const usingText = unwrap(text.slice(usingSpan.start, usingSpan.end));
  const checkText = unwrap(text.slice(checkSpan.start, checkSpan.end));
  const both = `(${usingText}) AND (${checkText})`;
  const on = tableName(model, t, p.created);
  const to = toClause(p, text.slice(p.nameLoc.end, Math.min(usingSpan.start, checkSpan.start)));
  const statements = [
    `CREATE POLICY ${quoteIdent(p.name)} ON ${on} FOR SELECT${to}\n  USING (${usingText});`,
    `CREATE POLICY ${quoteIdent(named('_insert'))} ON ${on} FOR INSERT${to}\n  WITH CHECK (${checkText});`,
    `CREATE POLICY ${quoteIdent(named('_update'))} ON ${on} FOR UPDATE${to}\n  USING (${both})\n  WITH CHECK (${checkText});`,
    `CREATE POLICY ${quoteIdent(named('_delete'))} ON ${on} FOR DELETE${to}\n  USING (${both});`,
  ];
  return {
    title: `Split policy "${p.name}": FOR SELECT keeps its USING; INSERT, UPDATE and DELETE get its WITH CHECK`,
    kind: 'unsafe',
    edits: [replacePolicyStatement(model, p, statements)],
  };
}

export const policyDeleteWiderThanCheck = defineRule({
  meta: {
    id: 'policy-delete-wider-than-check',
    description: 'A FOR ALL policy whose WITH CHECK asks of the caller more than its USING ("members read, admins write"): DELETE is filtered by USING alone, so whoever passes the USING deletes the rows it admits.',
    severity: 'warning',
    category: 'security',
    fixKind: 'unsafe',
    guards:
      'A deleted row has no new row to check: DELETE is filtered by USING alone, and WITH CHECK applies only to INSERT and to the new row of UPDATE. A FOR ALL policy whose WITH CHECK asks more of the caller than its USING lets every role passing the USING delete the rows it admits.',
  },
  check({ model, report }) {
    for (const row of activeRows(model)) {
      const p = row.policy;
      if (p.command !== 'all' || !p.permissive) continue;
      const using = row.using;
      const check = row.check;
      if (!using?.node || !check?.node) continue;
      const args = using.node.BoolExpr?.boolop === 'OR_EXPR' ? (using.node.BoolExpr.args as Node[]) : [using.node];
      const branches = args.filter((a) => constBool(a) !== false);
      // (OR true: policy-always-true's; a branch on no caller, OR is_public: policy-shared-rows-writable's)
      if (branches.length === 0 || branches.some((a) => constBool(a) === true || !looksAtCaller(model, a))) continue;
      const checks = disjuncts(check.node).filter((c) => constBool(c) !== false);
      // (WITH CHECK (false) asks nothing of the caller: it admits no new row, the usual way to let
      // a FOR ALL policy read and delete but not write — vibetype's friendship, unfriending by
      // DELETE; taking it into DELETE's USING would forbid that)
      if (checks.length === 0 || checks.some((c) => constBool(c) === true)) continue;
      const table = (row.table?.name ?? p.table.slice(p.table.lastIndexOf('.') + 1)).toLowerCase();
      // (what each WITH CHECK branch asks of the caller: its AND-ed parts that look at who is asking)
      const asks = checks.map((c) => conjuncts(c).flatMap((x) => (looksAtCaller(model, x) ? [{ key: shape(model, x, table), stamp: stamp(model, x, table) }] : [])));
      // (a USING branch is covered by a WITH CHECK branch asking of the caller only what it asks
      // too; or that and a stamp of the new row, `is_member(ws_id) AND created_by = auth.uid()`
      // after `is_member(ws_id)`, which says whose name a row is written in, not who may write:
      // tutur3u's task_progress_*_member_write, left alone)
      const wider = args.flatMap((a, i) => {
        if (constBool(a) === false) return [];
        const has = new Set([shape(model, a, table), ...conjuncts(a).map((x) => shape(model, x, table))]);
        const covered = asks.some((parts) => {
          const rest = parts.filter((x) => !has.has(x.key));
          return rest.length === 0 || (rest.length < parts.length && rest.every((x) => x.stamp));
        });
        return covered ? [] : [i];
      });
      if (wider.length === 0) continue;
      const roles = writers(model, p, row.table, ['delete']);
      // (a restrictive policy for DELETE decides it too)
      if (roles.length === 0 || otherPolicyFor(model, p, 'delete', false)) continue;
      // (a trigger raising on DELETE, a rule DO INSTEAD NOTHING: no DELETE reaches a row)
      if (refusedWrites(model, row.table, 'may').has('delete')) continue;
      const text = textOfFile(model, using.file);
      const span = exprClauseSpan(model, using);
      const usingText = span ? unwrap(text.slice(span.start, span.end)) : undefined;
      const parts = usingText === undefined ? undefined : args.length === 1 ? [usingText] : topLevelOr(usingText);
      const branchText = parts && parts.length === args.length ? wider.map((i) => `\`${sqlOneLine(parts[i]!)}\``).join(', ') : undefined;
      const checkSpan = exprClauseSpan(model, check);
      const checkText = checkSpan ? sqlOneLine(unwrap(textOfFile(model, check.file).slice(checkSpan.start, checkSpan.end))) : undefined;
      // (another permissive UPDATE policy's WITH CHECK may admit the row: not said that UPDATE fails)
      const updateFails = !otherPolicyFor(model, p, 'update', true);
      // (not in parentheses: the table's forced owner, as writers() names it, has its own)
      const who = roles.includes('public') ? 'every role (PUBLIC)' : roleList([...new Set(roles)]);
      const branch = args.length === 1 ? 'its USING' : `its USING branch${wider.length > 1 ? 'es' : ''}`;
      report({
        file: p.nameLoc.file,
        start: span?.start ?? p.nameLoc.start,
        end: span?.end ?? p.nameLoc.end,
        message:
          `Policy "${p.name}" on ${p.table} is FOR ALL, and its WITH CHECK${checkText ? ` \`${checkText}\`` : ''} asks more of the caller than ${branch}${branchText ? ` ${branchText}` : ''}. ` +
          'DELETE is filtered by USING alone (a deleted row has no new row to check; WITH CHECK applies to INSERT and to the new row of UPDATE), ' +
          `so ${who} may still delete a row when they pass ${args.length === 1 ? 'the USING' : wider.length > 1 ? 'one of those branches' : 'that branch'} on it but not the WITH CHECK${updateFails ? ', while an UPDATE leaving it as it is fails WITH CHECK (42501)' : ''}. ` +
          "Split it: a FOR SELECT policy with this USING, and FOR INSERT, UPDATE and DELETE policies with the WITH CHECK's condition (in UPDATE's and DELETE's USING too).",
        fixes: [splitFix(model, p, row.table, using, check)].filter((f): f is Fix => !!f),
      });
    }
  },
});
