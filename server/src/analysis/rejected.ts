// Policies PostgreSQL rejects when the migrations create them, so that they never exist: one
// that names a column no table in its reach has (42703, columns.ts), one on a view or a
// materialized view (42809 "v" is not a table: a view has no row-level security of its own),
// and one whose clauses its command does not take (42601: USING on FOR INSERT, WITH CHECK on
// FOR SELECT or DELETE).
// The policy index leaves them out of the active policies; policy-unknown-column and
// rls-on-view report them. Pure: reads the model.
import { clauseStatements, createdAsTable, unknownColumnOf, viewAt, workspaceFacts, type UnknownColumn } from './columns.js';
import type { Model, Policy, View } from './model.js';
import { memoModel } from './policy-exprs.js';
import type { Loc } from './types.js';
import { clauseError } from './clauses.js';

export { clauseError };

export type Rejection = { code: '42703'; column: UnknownColumn } | { code: '42809'; view: View } | { code: '42601'; message: string };

/** The policies PostgreSQL rejects, with why, once per model (in model order). Shared: do not mutate. */
export function rejectedPolicies(model: Model): ReadonlyMap<Policy, Rejection> {
  return memoModel(model, 'rejected:policies', (m) => {
    const out = new Map<Policy, Rejection>();
    const list = m.policies;
    const views = m.views;
    const ws = workspaceFacts(m);
    // (the CREATE POLICY statements whose clauses their command does not take: few, found per file)
    const badClauses = new Set<unknown>();
    for (const { stmt } of clauseStatements(m)) if (stmt.kind === 'CreatePolicyStmt') badClauses.add(stmt);
    for (let i = 0; i < list.length; i++) {
      const p = list[i]!;
      // (one in a DO block may not run, but then it does not exist either)
      const view = views.size !== 0 && views.has(p.table) ? onView(m, p.table, p.loc) : undefined;
      if (view) {
        out.set(p, { code: '42809', view });
        continue;
      }
      const clause = badClauses.size !== 0 && badClauses.has(p.stmt) ? clauseError(p.stmt.node) : undefined;
      if (clause) out.set(p, { code: '42601', message: clause });
      else {
        const column = unknownColumnOf(m, p, ws);
        if (column) out.set(p, { code: '42703', column });
      }
    }
    return out;
  });
}

/** Whether PostgreSQL rejects the policy (rejectedPolicies). */
export function isRejected(model: Model, p: Policy): boolean {
  const r = rejectedPolicies(model);
  return r.size !== 0 && r.has(p);
}

/**
 * The view (or materialized view) `key` names when the statement at `at` runs, as far as the
 * migrations tell for certain: a view at their end and at that point, never a table (no CREATE
 * TABLE of that name: a table dropped for a view takes its policies with it).
 */
export function onView(model: Model, key: string, at: Loc): View | undefined {
  const v = model.views.get(key);
  if (!v || model.tables.has(key) || createdAsTable(model, key) || !viewAt(model, key, at)) return undefined;
  return v;
}
