// Policies PostgreSQL rejects when the migrations create them, so that they never exist: one
// that names a column no table in its reach has (42703, columns.ts), one on a view or a
// materialized view (42809 "v" is not a table: a view has no row-level security of its own),
// and one whose clauses its command does not take (42601: USING on FOR INSERT, WITH CHECK on
// FOR SELECT or DELETE).
// The policy index leaves them out of the active policies; policy-unknown-column and
// rls-on-view report them. Pure: reads the model.
import { clauseStatements, createdAsTable, missingRelationOf, type MissingRelation, unknownColumnOf, viewAt, workspaceFacts, type UnknownColumn, type WorkspaceColumnFacts } from './columns.js';
import type { Model, Policy, View } from './model.js';
import { memoModel } from './policy-exprs.js';
import type { Loc } from './types.js';
import { clauseError } from './clauses.js';

export { clauseError };

export type Rejection =
  | { code: '42703'; column: UnknownColumn }
  | { code: '42809'; view: View }
  | { code: '42601'; message: string }
  | { code: '42P01'; relation: MissingRelation };

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
      const r = rejectionIn(m, p, ws, views.size !== 0 && views.has(p.table), badClauses.size !== 0 && badClauses.has(p.stmt));
      if (r) out.set(p, r);
    }
    return out;
  });
}

/** Why PostgreSQL rejects a policy's CREATE POLICY (as rejectedPolicies), for one the model no longer holds too. */
export function rejectionOf(model: Model, p: Policy): Rejection | undefined {
  if (p.stmt.kind !== 'CreatePolicyStmt') return undefined;
  const n = p.stmt.node;
  return rejectionIn(model, p, workspaceFacts(model), model.views.has(p.table), !!(n?.qual || n?.with_check));
}

/** Why PostgreSQL rejects the policy; `mayBeView` and `mayHaveBadClause` say which checks may apply (rejectedPolicies knows them for many policies at once). */
function rejectionIn(model: Model, p: Policy, ws: WorkspaceColumnFacts, mayBeView: boolean, mayHaveBadClause: boolean): Rejection | undefined {
  // (one in a DO block may not run, but then it does not exist either)
  const view = mayBeView ? onView(model, p.table, p.loc) : undefined;
  if (view) return { code: '42809', view };
  const clause = mayHaveBadClause ? clauseError(p.stmt.node) : undefined;
  if (clause) return { code: '42601', message: clause };
  // (PostgreSQL looks up the relations of the FROM lists before the columns)
  const relation = missingRelationOf(model, p, ws);
  if (relation) return { code: '42P01', relation };
  const column = unknownColumnOf(model, p, ws);
  return column ? { code: '42703', column } : undefined;
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
