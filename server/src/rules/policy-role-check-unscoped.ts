// policy-role-check-unscoped: a policy that ANDs a role check through a helper reading a per-group
// role table without its group column (`has_role(auth.uid(), 'admin')`, where user_roles has a
// condominium_id) with a membership test of the row's group (`condominium_id IN (SELECT
// user_condominium_ids(auth.uid()))`). The two are asked of different rows: the role of any
// group, the membership in any role, so an admin of one group who is a mere member of another
// passes both for the other group's rows (measured on PGlite: kickstart-hub's user_roles, an
// admin of condominium A and doorman of B makes himself admin of B and deletes B's admin).
import type { Func, Model, Policy, Table } from '../analysis/model.js';
import { callsIn, conjuncts } from '../analysis/ast.js';
import { activeRowsWith, exprFlags, FLAG_CONST_ARG_CALL, isConstant, textOfFile } from '../analysis/policy-exprs.js';
import type { Node } from '../analysis/types.js';
import { defineRule } from './types.js';
import { isIdentity, readsOfHelper } from './policy-membership-self-join.js';
import { constantText, uniqueColumn } from './lib/util.js';
import { groupColumns } from './policy-update-moves-row.js';

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
