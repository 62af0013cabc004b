import type { Model, Policy } from '../analysis/model.js';
import { constBool, policyRows, exprSql, policyExprs, readsTable, unsafeContent, policiesWithKey } from '../analysis/policy-exprs.js';
import { appliesToRole, coversCommand, roleList, rolesSubjectToRls } from '../analysis/policies.js';
import { defineRule, type Fix } from './types.js';
import { PF_CHECK, PF_INSERT, PF_PERMISSIVE, policyFacts } from './lib/util.js';


/**
 * The condition a sibling policy already uses for the same roles: a permissive FOR ALL
 * policy's WITH CHECK (or USING), else a permissive FOR SELECT policy's USING. Only an
 * expression that does not read the table itself (that could create recursion, T31) and that
 * no other expression rule would report.
 */
function siblingCondition(model: Model, p: Policy, roles: readonly string[]): { text: string; from: Policy } | undefined {
  const siblings = policiesWithKey(model, p.table).filter((q) => q !== p && q.permissive && (q.command === 'all' || q.command === 'select'));
  const ordered = [...siblings.filter((q) => q.command === 'all'), ...siblings.filter((q) => q.command === 'select')];
  for (const q of ordered) {
    if (!roles.every((r) => appliesToRole(model, q, r))) continue;
    const exprs = policyExprs(q);
    const e = (q.command === 'all' ? exprs.find((x) => x.clause === 'check') : undefined) ?? exprs.find((x) => x.clause === 'using');
    if (!e) continue;
    if (constBool(e.node) !== undefined) continue;
    if (readsTable(model, e.node, p.table)) continue;
    if (unsafeContent(model, e.node)) continue;
    // (as PostgreSQL runs it: a sibling a DO block's EXECUTE makes has it in a string, with its escapes)
    const text = exprSql(model, e);
    if (text) return { text, from: q };
  }
  return undefined;
}

export const policyInsertWithoutCheck = defineRule({
  meta: {
    id: 'policy-insert-without-check',
    description: 'A permissive FOR INSERT policy without WITH CHECK admits no row.',
    severity: 'warning',
    category: 'correctness',
    fixKind: 'unsafe',
    guards: 'For INSERT, new rows are checked only against WITH CHECK; a permissive INSERT policy without one admits nothing, so without another INSERT policy every insert fails with 42501.',
    truths: ['T14', 'T14b', 'T14c'],
    shownBy: { exposure: 'insert-check' },
  },
  check({ model, report }) {
    // permissive INSERT policies without WITH CHECK (policyFacts: the others are not read)
    const facts = policyFacts(model);
    const rows = policyRows(model);
    for (let i = 0; i < rows.length; i++) {
      if ((facts[i]! & (PF_INSERT | PF_PERMISSIVE | PF_CHECK)) !== (PF_INSERT | PF_PERMISSIVE) || !rows[i]!.active) continue;
      const p = rows[i]!.policy;
      const roles = rolesSubjectToRls(model, p);
      if (roles.length === 0) continue;
      const t = model.tables.get(p.table);
      const others = (r: string) => (t?.policies ?? policiesWithKey(model, p.table)).filter((q) => q !== p && q.permissive && coversCommand(q, 'insert') && (q.withCheck || q.using) && appliesToRole(model, q, r));
      const uncovered = roles.filter((r) => others(r).length === 0);
      const who = roleList(roles);
      const effect = uncovered.length
        ? `unless another permissive INSERT policy applies, every INSERT by ${roleList(uncovered)} fails with 42501 new row violates row-level security policy (T14)`
        : `inserts by ${who} are admitted only by ${[...new Set(roles.flatMap(others))].map((q) => `"${q.name}"`).join(', ')}`;
      const sibling = siblingCondition(model, p, roles);
      const at = p.created;
      const fix: Fix = sibling
        ? {
            title: `Add WITH CHECK (${sibling.text}) to "${p.name}" (the condition of "${sibling.from.name}")`,
            kind: 'unsafe',
            edits: [{ file: at.file, start: at.end, end: at.end, newText: `\n  WITH CHECK (${sibling.text})` }],
          }
        : {
            title: `Add WITH CHECK (false) to "${p.name}": a placeholder that admits no row, as today; replace false with the condition new rows must meet`,
            kind: 'unsafe',
            edits: [{ file: at.file, start: at.end, end: at.end, newText: '\n  WITH CHECK (false)' }],
          };
      report({
        ...p.nameLoc,
        message:
          `Policy "${p.name}" on ${p.table} is FOR INSERT without WITH CHECK, so it admits no row: PostgreSQL checks new rows only against WITH CHECK expressions ` +
          `(an INSERT policy cannot have USING: 42601, T14b), and a permissive policy without one allows nothing; ${effect}. ` +
          `Add WITH CHECK (…) with the condition a new row must meet${sibling ? `, e.g. the one of "${sibling.from.name}"` : ''}.`,
        fixes: [fix],
      });
    }
  },
});
