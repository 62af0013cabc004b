import type { Model, View } from '../analysis/model.js';
import { memoModel } from '../analysis/policy-exprs.js';
import { onView } from '../analysis/rejected.js';
import { rlsStatementsOn } from '../analysis/columns.js';
import type { Loc } from '../analysis/types.js';
import { defineRule, type Edit, type Fix } from './types.js';
import { removeStatement } from './lib/util.js';
import { invokerFix } from './lib/views.js';

const RLS_SUBTYPES: Record<string, string> = {
  AT_EnableRowSecurity: 'ENABLE ROW SECURITY',
  AT_DisableRowSecurity: 'DISABLE ROW SECURITY',
  AT_ForceRowSecurity: 'FORCE ROW SECURITY',
  AT_NoForceRowSecurity: 'NO FORCE ROW SECURITY',
};

/** The names (without schema) of the model's views. */
function viewNames(model: Model): ReadonlySet<string> {
  return memoModel(model, 'rls-on-view:names', (m) => {
    const out = new Set<string>();
    for (const v of m.views.values()) out.add(v.name);
    return out;
  });
}

/** What a view's readers see instead, and what to do (the messages' second half). */
function instead(v: View): string {
  if (v.foreign)
    return `A foreign table reads its rows through its server (with the credentials of its user mapping, where its wrapper uses one), and nothing filters them: every role with SELECT on ${v.key} reads all the rows the server returns. ` +
      "Keep it out of the schemas an API exposes and out of reach of the roles that must not read it (REVOKE ALL ON it FROM them), or serve what each user may see through a function that checks the caller; or copy the rows into a table with row-level security.";
  return v.materialized
    ? `A materialized view stores what its owner could read when it was created or refreshed, and has neither row-level security nor security_invoker: every role with SELECT on ${v.key} reads all of it. ` +
        'Put the policy on the table it reads, and keep the materialized view out of exposed schemas (revoke SELECT from the roles that must not read it), or serve it through a security_invoker view or a function that filters.'
    : `What ${v.key} shows is decided by the policies of the tables it reads: applied as its owner — who bypasses them as a superuser, a BYPASSRLS role or the tables' owner without FORCE — ` +
        `unless the view is security_invoker (PostgreSQL 15+), when they apply to the role querying it (T18, T18b). Put the policy on the table the view reads${v.securityInvoker ? '' : ', and make the view security_invoker'}.`;
}

/** What the relation is, in a message. */
const kindOf = (v: View): string => (v.foreign ? 'foreign table' : v.materialized ? 'materialized view' : 'view');

/** The fixes: remove the statement PostgreSQL rejects, and for a plain view, also make it security_invoker. */
function fixesFor(model: Model, at: Loc, v: View, what: string): Fix[] {
  const removal: Edit = removeStatement(model, at);
  const fixes: Fix[] = [{ title: `Remove this ${what} (PostgreSQL rejects it)`, kind: 'unsafe', edits: [removal] }];
  if (!v.materialized && !v.securityInvoker && !v.foreign) {
    fixes.push({ title: `Remove this ${what} and make ${v.key} security_invoker (PostgreSQL 15+)`, kind: 'unsafe', edits: [removal, ...invokerFix(model, v)] });
  }
  return fixes;
}

export const rlsOnView = defineRule({
  meta: {
    id: 'rls-on-view',
    description: 'A CREATE POLICY, or an ALTER … ENABLE / FORCE ROW LEVEL SECURITY, on a view, materialized view or foreign table: PostgreSQL rejects it (42809).',
    severity: 'error',
    category: 'correctness',
    fixKind: 'unsafe',
    guards:
      'A view has no row-level security of its own: PostgreSQL rejects a policy on it ("v" is not a table) and ENABLE / FORCE ROW LEVEL SECURITY on it (42809), so the migration stops there and the view shows what its tables\' policies give its owner, or with security_invoker the querying role.',
    truths: ['T18', 'T18b'],
    shownBy: { statement: ['42809'] },
  },
  check({ model, report }) {
    if (model.views.size === 0) return;
    // (the names of the views: a statement on another name is passed over without building its key)
    const names = viewNames(model);
    // every statement, not the model's policies: a policy made again under the same name keeps
    // only its last CREATE POLICY in the model, and each of them fails
    const list = rlsStatementsOn(model, names);
    for (let i = 0; i < list.length; i++) {
      const { file, stmt } = list[i]!;
      if (stmt.origin !== 'file') continue; // (a statement of a DO block may sit in an IF)
      const n = stmt.node;
      if (stmt.kind === 'CreatePolicyStmt') {
        const rv = n?.table;
        if (!rv || !names.has(rv.relname)) continue;
        const at: Loc = { file: file.file, start: stmt.start, end: stmt.end };
        const v = onView(model, model.key([rv.schemaname, rv.relname]), at);
        if (!v) continue;
        const kind = kindOf(v);
        const start: number = rv.location >= 0 ? rv.location : stmt.start;
        const m = /^[\w$"\u0080-\uffff]+(?:\s*\.\s*[\w$"\u0080-\uffff]+)?/.exec(file.text.slice(start, start + 300));
        report({
          file: file.file,
          start,
          end: start + (m ? m[0].length : 1),
          message:
            `Policy "${n.policy_name}" is created on ${v.key}, a ${kind}: PostgreSQL rejects it with 42809 "${v.name}" is not a table — a ${kind} has no row-level security of its own — so the policy never exists (a migration tool stops here). ` +
            instead(v),
          fixes: fixesFor(model, at, v, 'CREATE POLICY'),
        });
        continue;
      }
      if (stmt.kind !== 'AlterTableStmt' || !names.has(n?.relation?.relname)) continue;
      const cmds: Array<{ AlterTableCmd?: { subtype?: string } }> = n?.cmds ?? [];
      const action = cmds.map((c) => RLS_SUBTYPES[c.AlterTableCmd?.subtype ?? '']).find((x) => x);
      if (!action) continue;
      const at: Loc = { file: file.file, start: stmt.start, end: stmt.end };
      const v = onView(model, model.key([n.relation?.schemaname, n.relation?.relname]), at);
      if (!v) continue;
      const kind = kindOf(v);
      report({
        ...at,
        message:
          `${v.key} is a ${kind}: PostgreSQL rejects this statement with 42809 ALTER action ${action} cannot be performed on relation "${v.name}" — a ${kind} has no row-level security of its own (a migration tool stops here). ` +
          instead(v),
        fixes: cmds.length === 1 ? fixesFor(model, at, v, 'statement') : [],
      });
    }
  },
});
