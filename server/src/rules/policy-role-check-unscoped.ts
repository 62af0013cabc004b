// policy-role-check-unscoped: a policy that ANDs a role check through a helper reading a per-group
// role table without its group column (`has_role(auth.uid(), 'admin')`, where user_roles has a
// condominium_id) with a membership test of the row's group (`condominium_id IN (SELECT
// user_condominium_ids(auth.uid()))`). The two are asked of different rows: the role of any
// group, the membership in any role, so an admin of one group who is a mere member of another
// passes both for the other group's rows (measured on PGlite: kickstart-hub's user_roles, an
// admin of condominium A and doorman of B makes himself admin of B and deletes B's admin).
// Also the OR form: `is_company_admin(company_id) OR has_permission('settings:departments')`, where
// has_permission(p) compares roles.company_id with get_user_company_id(), the caller's own company:
// called with constants only it cannot see the row, so a manager of company A passes for company B's
// rows (Staff-Optima; PGlite: a manager of A deletes B's departments).
import type { Func, Model, Policy, Table } from '../analysis/model.js';
import { callsIn, conjuncts } from '../analysis/ast.js';
import { walk } from '../analysis/parse.js';
import { commandsOf } from '../analysis/policies.js';
import { activePoliciesWithKey, activeRowsWith, exprFlags, FLAG_CONST_ARG_CALL, isConstant, memoModel, textOfFile } from '../analysis/policy-exprs.js';
import type { Node } from '../analysis/types.js';
import { defineRule } from './types.js';
import { isIdentity, readsOfHelper } from './policy-membership-self-join.js';
import { columnRef, constantText, looksAtCaller, uniqueColumn } from './lib/util.js';
import { columnsOfTable, groupColumns } from './policy-update-moves-row.js';

/** A role check of a condition: the call, its helper, the role table, the user and role columns, and the role value. */
interface RoleCheck {
  call: { name: string[]; args: Node[]; location: number };
  f: Func;
  roles: Table;
  userCol: string;
  roleCol: string;
  value: string;
  /** the columns the helper's read compares */
  cols: string[];
}

/** The role checks among a conjunct's calls: a helper reading one table for a row of the caller and a constant role, in one read. */
function roleChecks(model: Model, p: Policy, c: Node): RoleCheck[] {
  const out: RoleCheck[] = [];
  const text = textOfFile(model, p.created.file);
  for (const call of callsIn(c)) {
    if (!call.args.some(isConstant)) continue;
    const f = model.findFunction(call.name, call.args.length);
    if (!f || f.reads.size === 0) continue;
    for (const r of readsOfHelper(model, f)) {
      const arg = (x: { param?: number }) => (x.param !== undefined ? call.args[x.param] : undefined);
      const user = r.sides.find((x) => x.identity || (arg(x) !== undefined && isIdentity(model, arg(x)!)));
      if (!user) continue;
      for (const x of r.sides) {
        if (x === user) continue;
        const v = x.value ?? (arg(x) !== undefined ? constantText(arg(x)!, text) : undefined);
        if (v !== undefined) out.push({ call, f, roles: r.member, userCol: user.col, roleCol: x.col, value: v, cols: r.sides.map((s) => s.col) });
      }
    }
  }
  return out;
}

/** A group column a helper's read compares with something of its own (`r.company_id = get_user_company_id()`). */
interface GroupRead {
  table: Table;
  col: string;
  /** what it is compared with, as a short name */
  with: string;
}

/**
 * The columns of the tables a helper's SELECTs read that a condition (WHERE or a JOIN's ON) compares
 * with `=` to something that is neither a constant nor a parameter: a call (`get_user_company_id()`)
 * or another relation's column. Only the helper's own statements, not the helpers it calls.
 */
function groupReads(model: Model, f: Func): GroupRead[] {
  // (kept per model and function)
  const byFunc = memoModel(model, 'policy-role-check-unscoped:groupReads', () => new Map<Func, GroupRead[]>());
  let out = byFunc.get(f);
  if (out) return out;
  out = [];
  byFunc.set(f, out);
  if (!f.body || f.body.lexical || (f.language !== 'sql' && f.language !== 'plpgsql')) return out;
  for (const s of f.body.statements) {
    walk(s.node, (k, q) => {
      if (k !== 'SelectStmt' || !q.fromClause) return;
      // (the relations of its FROM, by alias or name; its JOINs' ON conditions)
      const rels = new Map<string, Table>();
      const quals: Node[] = [];
      walk(q.fromClause, (k2, v) => {
        if (k2 === 'JoinExpr' && v.quals) quals.push(v.quals);
        if (k2 !== 'RangeVar' || !v.relname) return;
        const t = model.tables.get(model.funcRelKey(f, v));
        if (t) rels.set(String(v.alias?.aliasname ?? v.relname).toLowerCase(), t);
      });
      if (!rels.size) return;
      const resolve = (n: Node): { table: Table; col: string } | undefined => {
        const c = columnRef(n);
        if (!c) return undefined;
        if (c.qual !== undefined) {
          const t = rels.get(c.qual);
          return t && t.columns.includes(c.name) ? { table: t, col: c.name } : undefined;
        }
        const ts = [...rels.values()].filter((t) => t.columns.includes(c.name));
        return ts.length === 1 ? { table: ts[0]!, col: c.name } : undefined;
      };
      for (const e of [...quals, q.whereClause].flatMap((w) => conjuncts(w))) {
        const x = e?.A_Expr;
        if (!x || x.kind !== 'AEXPR_OP' || x.name?.length !== 1 || String(x.name[0]?.String?.sval) !== '=') continue;
        for (const [a, b] of [[x.lexpr, x.rexpr], [x.rexpr, x.lexpr]] as const) {
          const col = resolve(a);
          if (!col || isConstant(b) || b?.ParamRef || callerId(model, b)) continue;
          const other = resolve(b);
          const ref = columnRef(b);
          // (a bare name no relation here has: a parameter, which a constant argument fills)
          if (ref && !other) continue;
          // (a call, also as `(select f())`)
          const sub = b?.SubLink?.subselect?.SelectStmt;
          const fc = b?.FuncCall ?? (sub && !sub.fromClause && sub.targetList?.length === 1 ? sub.targetList[0]?.ResTarget?.val?.FuncCall : undefined);
          const name = fc ? `${(fc.funcname as Node[]).map((n) => n?.String?.sval).join('.')}()` : other ? `${ref!.qual ? `${ref!.qual}.` : ''}${other.col}` : 'a value of its own';
          out!.push({ ...col, with: name });
        }
      }
    });
  }
  return out;
}

/**
 * Whether a value is who calls (`auth.uid()`, `(select auth.uid())`, current_user, a helper returning
 * `auth.uid()`): it looks at the caller and reads no table, where the caller's group
 * (`get_user_company_id()`) is looked up in one. The column compared with it is the user's, not a group's.
 */
function callerId(model: Model, n: Node): boolean {
  if (!looksAtCaller(model, n)) return false;
  let reads = false;
  walk(n, (k) => {
    if (k === 'RangeVar' || k === 'RangeFunction') reads = true;
  });
  return !reads && callsIn(n).every((c) => !(model.findFunction(c.name, c.args.length)?.reads.size));
}

/**
 * A branch of an OR that names nothing of the row and calls a helper with constants only that reads
 * for the caller and compares a group column (`has_permission('user:add')`, reading roles where
 * company_id = get_user_company_id()): its answer is the same for every row.
 */
function rowIndependentCheck(model: Model, t: Table, branch: Node): { call: RoleCheck['call']; f: Func; read: GroupRead }[] {
  const out: { call: RoleCheck['call']; f: Func; read: GroupRead }[] = [];
  if (columnsOfTable(model, t, branch).size !== 0 || !looksAtCaller(model, branch)) return out;
  for (const call of callsIn(branch)) {
    if (!call.args.length || !call.args.every(isConstant)) continue;
    const f = model.findFunction(call.name, call.args.length);
    if (!f || f.reads.size === 0) continue;
    for (const read of groupReads(model, f)) out.push({ call, f, read });
  }
  return out;
}

export const policyRoleCheckUnscoped = defineRule({
  meta: {
    id: 'policy-role-check-unscoped',
    description:
      "A policy ANDs a role check that ignores the group (has_role(auth.uid(), 'admin') over a user_roles table that has a group column) with a membership test of the row's group: a role held in one group and a membership of another pass together.",
    severity: 'warning',
    category: 'security',
    fixKind: 'none',
    guards:
      "Each AND-ed condition is asked on its own: has_role(auth.uid(), 'admin') is true for an admin of any group, and group_id IN (SELECT my_groups(auth.uid())) for a member of the row's group in any role, so an admin elsewhere who is a mere member here passes both.",
  },
  check({ model, report }) {
    // (the active policies with a call taking a literal, the role: the index keeps them)
    for (const row of activeRowsWith(model, FLAG_CONST_ARG_CALL)) {
      const p = row.policy;
      const t = row.table;
      if (!t || !p.permissive) continue;
      let done = false;
      for (const e of row.exprs) {
        if (done) break;
        if (!(exprFlags(e.node) & FLAG_CONST_ARG_CALL)) continue;
        const branches: Node[] = e.node?.BoolExpr?.boolop === 'OR_EXPR' ? e.node.BoolExpr.args : [e.node];
        if (branches.length > 1 && !restricted(model, p)) {
          for (let i = 0; i < branches.length && !done; i++) {
            for (const { call, f, read } of rowIndependentCheck(model, t, branches[i]!)) {
              const g = read.col;
              // (the group column: the policy's table has it too, and it is no key of the role table of its own)
              if (!t.columns.includes(g) || uniqueColumn(read.table, g) || call.location < 0) continue;
              if (!groupColumns(model, t, branches.filter((_, j) => j !== i)).has(g)) continue;
              const text = textOfFile(model, e.file);
              const open = text.indexOf('(', call.location);
              const args = call.args.map((a) => constantText(a, text) ?? '…').join(', ');
              report({
                file: e.file,
                start: call.location,
                end: open > call.location ? open : call.location + 1,
                message:
                  `Policy "${p.name}" on ${t.key} ORs ${f.name}(${args}) with a branch that ties the row's ${g} to the caller, but ${f.name}() is called with constants only, so its answer is the same for every row: ${f.signature} looks at the caller and compares ${read.table.key}.${g} with ${read.with}, never with the row's ${g}. ` +
                  `A caller it admits for one ${g} passes this policy for the rows of every ${g}, not only those the other branch ties to them. Pass the row's ${g} to the check (a helper that also takes it and compares ${read.table.key}.${g} with it).`,
                related: [{ ...f.nameLoc, message: `${f.signature} compares ${read.table.key}.${g} with ${read.with}, not with the row's ${g}` }],
                fixes: [],
              });
              done = true;
              break;
            }
          }
        }
        for (const b of branches) {
          if (done) break;
          const cs = conjuncts(b);
          if (cs.length < 2) continue;
          for (let i = 0; i < cs.length && !done; i++) {
            for (const rc of roleChecks(model, p, cs[i]!)) {
              // (the group column: one the role table has and its read leaves out, that another conjunct ties to the caller's groups)
              // (not a key of the role table of its own, user_roles.id: the same name as the row's id by chance)
              const scope = rc.roles.columns.filter((c) => t.columns.includes(c) && !rc.cols.includes(c) && !uniqueColumn(rc.roles, c));
              if (!scope.length) continue;
              const bound = groupColumns(model, t, cs.filter((_, j) => j !== i));
              const g = scope.find((c) => bound.has(c));
              if (!g || rc.call.location < 0) continue;
              const text = textOfFile(model, e.file);
              const open = text.indexOf('(', rc.call.location);
              report({
                file: e.file,
                start: rc.call.location,
                end: open > rc.call.location ? open : rc.call.location + 1,
                message:
                  `Policy "${p.name}" on ${t.key} admits a row when ${rc.f.name}() finds the caller's role and, in another condition, ${g} is one of the caller's: ${rc.f.signature} reads ${rc.roles.key} for a row with the caller's ${rc.userCol} and ${rc.roleCol} = ${rc.value} but not its ${g}, so it asks whether the caller is ${rc.value} in any ${g}, while the other condition asks whether they belong to the row's ${g} in any role. ` +
                  `PostgreSQL asks each on its own: a ${rc.value} of one ${g} who is a mere member of another passes both for the other's rows. Check the role for the row's ${g} (a helper that also takes it: ${rc.roleCol} = ${rc.value} AND ${g} = <the row's ${g}> in one read).`,
                related: [{ ...rc.f.nameLoc, message: `${rc.f.signature} reads ${rc.roles.key} without its ${g}` }],
                fixes: [],
              });
              done = true;
              break;
            }
          }
        }
      }
    }
  },
});

/** Whether a restrictive policy of the table covers a command of the policy: it may tie the group itself (not followed). */
function restricted(model: Model, p: Policy): boolean {
  const cmds = commandsOf(p);
  return activePoliciesWithKey(model, p.table).some((q) => !q.permissive && commandsOf(q).some((c) => cmds.includes(c)));
}
