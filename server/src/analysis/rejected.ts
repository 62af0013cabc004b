// Policies PostgreSQL rejects when the migrations create them, so that they never exist: one
// that names a column no table in its reach has (42703, columns.ts), one on a view or a
// materialized view (42809 "v" is not a table: a view has no row-level security of its own),
// and one whose clauses its command does not take (42601: USING on FOR INSERT, WITH CHECK on
// FOR SELECT or DELETE).
// The policy index leaves them out of the active policies; policy-unknown-column and
// rls-on-view report them. Pure: reads the model.
import { createdAsTable, unknownColumnOf, viewAt, type UnknownColumn } from './columns.js';
import type { Model, Policy, View } from './model.js';
import { memoModel } from './policy-exprs.js';
import type { Loc } from './types.js';

export type Rejection = { code: '42703'; column: UnknownColumn } | { code: '42809'; view: View } | { code: '42601'; message: string };

/** The policies PostgreSQL rejects, with why, once per model (in model order). Shared: do not mutate. */
export function rejectedPolicies(model: Model): ReadonlyMap<Policy, Rejection> {
  return memoModel(model, 'rejected:policies', (m) => {
    const out = new Map<Policy, Rejection>();
    const list = m.policies;
    for (let i = 0; i < list.length; i++) {
      const p = list[i]!;
      // (one in a DO block may not run, but then it does not exist either)
      const view = onView(m, p.table, p.loc);
      const clause = p.stmt.kind === 'CreatePolicyStmt' ? clauseError(p.stmt.node) : undefined;
      if (view) out.set(p, { code: '42809', view });
      else if (clause) out.set(p, { code: '42601', message: clause });
      else {
        const column = unknownColumnOf(m, p);
        if (column) out.set(p, { code: '42703', column });
      }
    }
    return out;
  });
}

/**
 * PostgreSQL's error for a CREATE POLICY (`alter`: an ALTER POLICY of a policy for `command`)
 * whose clauses its command does not take, if any: FOR INSERT takes only WITH CHECK, FOR
 * SELECT and DELETE only USING (measured on PGlite, PostgreSQL 18).
 */
export function clauseError(n: { cmd_name?: string; qual?: unknown; with_check?: unknown } | undefined, alter?: { command: string }): string | undefined {
  const cmd = alter ? alter.command : (n?.cmd_name ?? 'all');
  if (cmd === 'insert' && n?.qual) return 'only WITH CHECK expression allowed for INSERT';
  if ((cmd === 'select' || cmd === 'delete') && n?.with_check) return alter ? 'only USING expression allowed for SELECT, DELETE' : 'WITH CHECK cannot be applied to SELECT or DELETE';
  return undefined;
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
