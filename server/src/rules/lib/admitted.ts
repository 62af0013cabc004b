// Rows a query reads that a role may read itself: a permissive SELECT policy comparing columns
// with constants only (`USING (status = 'published')`) and a query whose WHERE asks at least as
// much (`WHERE status = 'published' AND …`). Shared by definer-bypasses-rls (a function's reads)
// and view-bypasses-rls (a view's query).
import type { Func, Model, Policy, Table } from '../../analysis/model.js';
import { constBool } from '../../analysis/policy-exprs.js';
import type { Node } from '../../analysis/types.js';
import { conjuncts, constValue, disjuncts } from '../../analysis/ast.js';
import { walk } from '../../analysis/parse.js';
import { appliesToRole } from '../../analysis/policies.js';

/**
 * A condition as a comparable key, when it compares a column of the relation (`alias`, or no
 * qualifier) with a constant: `is_active = true` (also written `is_active`), `status <> 'x'`,
 * `deleted_at IS NULL`. Undefined for anything else.
 */
export function conditionKey(n: Node, alias: string): string | undefined {
  const col = (x: Node) => {
    const f: Node[] | undefined = x?.ColumnRef?.fields;
    if (!f?.length || f.some((p) => p?.A_Star)) return undefined;
    const names = f.map((p) => String(p?.String?.sval ?? '').toLowerCase());
    return names.length === 1 || (names.length === 2 && names[0] === alias) ? names[names.length - 1] : undefined;
  };
  const value = (x: Node) => {
    const v = constValue(x?.TypeCast ? x.TypeCast.arg : x);
    return v === undefined || v === null ? undefined : JSON.stringify(v);
  };
  const bare = col(n);
  if (bare) return `${bare} = true`;
  if (n?.BoolExpr?.boolop === 'NOT_EXPR' && col(n.BoolExpr.args?.[0])) return `${col(n.BoolExpr.args[0])} = false`;
  if (n?.NullTest && col(n.NullTest.arg)) return `${col(n.NullTest.arg)} ${n.NullTest.nulltesttype}`;
  const e = n?.A_Expr;
  if (!e || e.kind !== 'AEXPR_OP' || e.name?.length !== 1) return undefined;
  const op = String(e.name[0]?.String?.sval ?? '');
  const FLIP: Record<string, string> = { '=': '=', '<>': '<>', '!=': '<>', '<': '>', '>': '<', '<=': '>=', '>=': '<=' };
  if (!(op in FLIP)) return undefined;
  const [c, v, o] = col(e.lexpr) && value(e.rexpr) !== undefined ? [col(e.lexpr), value(e.rexpr), op === '!=' ? '<>' : op] : [col(e.rexpr), value(e.lexpr), FLIP[op]];
  return c && v !== undefined ? `${c} ${o} ${v}` : undefined;
}

/** Whether a permissive policy of `policies` (the table's, by default) for SELECT (or ALL) applies to `role` with USING (true). */
export function readsAll(model: Model, t: Table, role: string, policies: readonly Policy[] = t.policies): boolean {
  return policies.some((p) => p.permissive && (p.command === 'select' || p.command === 'all') && appliesToRole(model, p, role) && constBool(p.using) === true);
}

/**
 * The condition keys of each permissive SELECT (or ALL) policy of `t` for `role` that compares
 * columns with constants only (conditionKey); of a USING that ORs branches, of each branch that
 * does (`status = 'active' OR is_superadmin(auth.uid())` admits every active row whoever asks:
 * true OR anything is true).
 */
export function constantPolicies(model: Model, t: Table, role: string): string[][] {
  return t.policies
    .filter((p) => p.permissive && (p.command === 'select' || p.command === 'all') && p.using && appliesToRole(model, p, role))
    .flatMap((p) => disjuncts(p.using).map((d) => conjuncts(d).map((c) => conditionKey(c, t.name.toLowerCase()))))
    .filter((keys): keys is string[] => keys.length > 0 && keys.every((k) => k !== undefined));
}

/**
 * Counts into `seen` the SELECTs under `root` that read `t` (`reads`), and clears `admitted` for
 * one whose WHERE does not ask every key of one of `policies` (a constant-only policy the reader
 * has), or that reads `t` more than once in its FROM. `root` in the body of `f`: its names as the
 * model resolves them in the function (model.funcRelKey); else (a view's query) model.key.
 * Joined with other tables (JOIN of any kind, or a list), `t` is still read only where the WHERE
 * admits it: PostgreSQL applies the WHERE to the joined rows, so a row of `t` reaches the result
 * only when it meets each condition on its columns (a row an outer join pads with NULLs for `t`
 * holds none of its values: `NULL = 'x'` is not true). There a condition counts only qualified by
 * `t`'s name or alias (`s.status = 'APPROVED'`): a bare column may be another table's
 * (guzellik-randevu-ui's salons_within_radius, `FROM salons s LEFT JOIN cities c … WHERE
 * s.status = 'APPROVED'`, over the policy USING (status = 'APPROVED')).
 */
export function selectsAdmitted(model: Model, root: Node, t: Table, policies: readonly string[][], seen: { reads: number; admitted: boolean }, f?: Func): void {
  walk(root, (k, q) => {
    if (k !== 'SelectStmt' || !seen.admitted) return;
    const from: Node[] = q.fromClause ?? [];
    // (the relations of the FROM list and of its joins, not of sub-selects: each is a SELECT of its own)
    const items: Node[] = [];
    const collect = (x: Node): void => {
      if (x?.JoinExpr) {
        collect(x.JoinExpr.larg);
        collect(x.JoinExpr.rarg);
      } else if (x) items.push(x);
    };
    for (const x of from) collect(x);
    const rvs = items.map((x) => x?.RangeVar).filter((rv) => rv && (f ? model.funcRelKey(f, rv) : model.key([rv.schemaname, rv.relname])) === t.key);
    if (rvs.length === 0) return;
    seen.reads++;
    if (rvs.length !== 1) {
      seen.admitted = false;
      return;
    }
    const alias = String(rvs[0].alias?.aliasname ?? rvs[0].relname).toLowerCase();
    // (joined: only conditions qualified by the alias, a bare name may be a column of another relation)
    const qualified = (c: Node): boolean => items.length === 1 || columnQualified(c);
    const asked = new Set(conjuncts(q.whereClause).filter(qualified).map((c) => conditionKey(c, alias)).filter((x): x is string => !!x));
    if (!policies.some((keys) => keys.every((key) => asked.has(key)))) seen.admitted = false;
  });
}

/** Whether every column a condition (conditionKey's forms) names is written with a qualifier. */
function columnQualified(n: Node): boolean {
  let ok = true;
  walk(n, (k, c) => {
    if (k === 'ColumnRef' && (c.fields?.length ?? 0) < 2) ok = false;
  });
  return ok;
}
