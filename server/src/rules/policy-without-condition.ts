import { appliesToRole, roleList, rolesSubjectToRls } from '../analysis/policies.js';
import { policyRows } from '../analysis/policy-exprs.js';
import { defineRule } from './types.js';
import { PF_INSERT, PF_PERMISSIVE, PF_USING, policyFacts } from './lib/util.js';

export const policyWithoutCondition = defineRule({
  meta: {
    id: 'policy-without-condition',
    description: 'A permissive policy for SELECT, UPDATE, DELETE or ALL without USING admits no row to read, update or delete (and, for ALL without WITH CHECK, none to insert).',
    severity: 'warning',
    category: 'correctness',
    fixKind: 'none',
    guards:
      'PostgreSQL applies a permissive policy through its expressions only: one without USING admits no row to SELECT, UPDATE or DELETE, and a FOR ALL one without USING or WITH CHECK no row to INSERT either (measured: 0 rows, UPDATE 0, INSERT 42501). FOR INSERT is policy-insert-without-check.',
  },
  check({ model, report }) {
    // permissive policies but INSERT ones without USING (policyFacts: the others are not read)
    const facts = policyFacts(model);
    const rows = policyRows(model);
    for (let i = 0; i < rows.length; i++) {
      if ((facts[i]! & (PF_PERMISSIVE | PF_INSERT | PF_USING)) !== PF_PERMISSIVE || !rows[i]!.active) continue;
      const p = rows[i]!.policy;
      const roles = rolesSubjectToRls(model, p);
      if (roles.length === 0) continue; // roles that bypass RLS: the policy changes nothing for them
      // (an UPDATE check written as its own policy beside one with the USING, for the same roles:
      // the rows are admitted by the other, and the new row passes when either policy's check does
      // (the other's USING where it has no WITH CHECK), so this check restricts nothing; COMP3122's
      // material_processing_jobs_update_teacher_check, measured: the update it should refuse goes through)
      const partner =
        p.command === 'update' && p.withCheck
          ? rows.find((r) => r.active && r.policy !== p && r.policy.table === p.table && r.policy.permissive && (r.policy.command === 'update' || r.policy.command === 'all') && r.policy.using !== undefined && roles.some((x) => appliesToRole(model, r.policy, x)))?.policy
          : undefined;
      if (partner) {
        report({
          ...p.nameLoc,
          message:
            `Policy "${p.name}" on ${p.table} (FOR UPDATE, TO ${roleList(roles)}) has no USING, so it admits no row to UPDATE itself, and beside policy "${partner.name}", which admits rows to UPDATE for these roles, its WITH CHECK restricts nothing: ` +
            `PostgreSQL combines permissive policies with OR, for the new row too (it passes when it meets the WITH CHECK of one of them, or the USING of one that has none), ` +
            `so a new row that fails this WITH CHECK is still written when it meets ${partner.withCheck ? `the WITH CHECK of "${partner.name}"` : `the USING of "${partner.name}"`}. ` +
            `If it was meant to check the updates "${partner.name}" admits, make it AS RESTRICTIVE (every updated row must then pass it) or move its condition into "${partner.name}" as its WITH CHECK; ` +
            `if it was meant for other rows, add the USING it was meant to have (often the condition of its WITH CHECK).`,
        });
        continue;
      }
      const what =
        p.command === 'all'
          ? p.withCheck
            ? 'it admits no row to SELECT, UPDATE or DELETE (its WITH CHECK only admits new rows to INSERT)'
            : 'it admits no row at all: none to SELECT, UPDATE or DELETE, and every INSERT it is the only policy for fails with 42501'
          : `it admits no row to ${p.command.toUpperCase()}`;
      report({
        ...p.nameLoc,
        message:
          `Policy "${p.name}" on ${p.table} (FOR ${p.command.toUpperCase()}, TO ${roleList(roles)}) has no USING: PostgreSQL applies a permissive policy only through its expressions, so ${what}. ` +
          `Unless another permissive policy admits them, ${p.command === 'select' ? 'those roles read no row' : p.command === 'all' ? 'those roles read no row and their UPDATE and DELETE statements affect none, without an error' : `their ${p.command.toUpperCase()} statements affect no row, without an error`}. ` +
          (p.withCheck
            ? 'Add the USING the policy was meant to have, often the condition of its WITH CHECK (which only checks the new row); USING (true) admits every row.'
            : 'Write the condition the policy was meant to have (USING (…)); USING (true) admits every row.'),
      });
    }
  },
});
