import type { Table } from '../analysis/model.js';
import { mayBeQueriedBySubjectRoles } from '../analysis/privileges.js';
import type { Loc } from '../analysis/types.js';
import { defineRule } from './types.js';
import { enableRlsFix, forceMatters, insertAfter, rlsAncestor, tableName, tableList } from './lib/util.js';

/** The last ENABLE ROW LEVEL SECURITY statement of a table. */
function enableOf(t: Table): Loc | undefined {
  return [...t.rlsEvents].reverse().find((e) => e.kind === 'enable')?.loc;
}

export const partitionWithoutRls = defineRule({
  meta: {
    id: 'partition-without-rls',
    description: 'A partition or inheritance child of a table with row-level security has no row-level security of its own.',
    severity: 'warning',
    category: 'security',
    fixKind: 'unsafe',
    guards: "A query on the partition itself applies none of the parent's policies: a role granted access to it reads all of its rows.",
    truths: ['T29'],
    shownBy: { exposure: 'no-rls' },
  },
  check({ model, report }) {
    const tables = tableList(model);
    for (let ti = 0; ti < tables.length; ti++) {
      const t = tables[ti]!;
      if (t.rlsEnabled || t.temp) continue;
      const anc = rlsAncestor(model, t);
      if (!anc) continue;
      if (t.policies.length > 0) continue; // policy-on-table-without-rls reports its ignored policies
      if (t.rlsEvents.some((e) => e.kind === 'disable')) continue; // rls-disabled reports the DISABLE
      // When the workspace manages the grants of the roles that query the parent and grants
      // none of them the child, a direct query fails with 42501 instead of leaking.
      const expected = [...new Set(anc.table.policies.flatMap((p) => p.roles))];
      if (!mayBeQueriedBySubjectRoles(model, t, expected)) continue;
      const name = tableName(model, t);
      const parent = anc.table.key;
      const relation = anc.kind === 'partition' ? `a partition of ${parent}` : `a child (INHERITS) of ${parent}`;
      const sameStmt = anc.loc.file === t.created.file && anc.loc.start === t.created.start;
      const at = sameStmt ? t.nameLoc : anc.loc;
      // (FORCE only where it changes something for the owner: rls-not-forced)
      const fix = enableRlsFix(name, forceMatters(model, t));
      report({
        ...at,
        message:
          `${t.key} is ${relation}, which has row-level security, but ${t.key} has none of its own: queries through ${parent} apply the policies of ${parent}, ` +
          `but a query on ${t.key} itself applies none, so every role granted access to ${t.key} reads and changes all of its rows (T29). ` +
          `${fix.title}; policies are not copied from ${parent}, so direct queries then see no rows until ${name} gets policies of its own.`,
        related: [
          { ...(enableOf(anc.table) ?? anc.table.nameLoc), message: `row-level security is enabled on ${parent} here` },
        ],
        fixes: [
          {
            title: fix.title,
            kind: 'unsafe',
            edits: [insertAfter(model, t.created, fix.statements)],
          },
        ],
      });
    }
  },
});
