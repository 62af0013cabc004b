import { defineRule } from './types.js';
import { enabledTooEarly, enableRlsFix, forceMatters, insertAfter, tableName, where, tableList } from './lib/util.js';
import { mayBeDynamic } from '../analysis/dynamic-rls.js';
import { helperForceWouldBreak } from './definer-helper-under-force-rls.js';
import { triggerForceWouldBreak } from './definer-trigger-blocked-by-force-rls.js';

export const policyOnTableWithoutRls = defineRule({
  meta: {
    id: 'policy-on-table-without-rls',
    description: 'Policies exist on a table whose row-level security is never enabled, so they do nothing.',
    severity: 'error',
    category: 'security',
    fixKind: 'safe',
    guards: 'PostgreSQL ignores policies until ENABLE ROW LEVEL SECURITY: every role with a grant sees and changes all rows.',
    sources: ['splinter 0007 policy_exists_rls_disabled'],
    shownBy: { exposure: 'no-rls' },
  },
  check({ model, report }) {
    const tables = tableList(model);
    for (let ti = 0; ti < tables.length; ti++) {
      const t = tables[ti]!;
      if (t.rlsEnabled || t.policies.length === 0) continue;
      if (t.rlsEvents.some((e) => e.kind === 'disable')) continue; // rls-disabled reports DISABLE
      if (mayBeDynamic(model, 'enable', t)) continue; // (dynamic SQL may enable it: analysis/dynamic-rls.ts)
      const first = t.policies[0]!;
      const name = tableName(model, t);
      const names = t.policies.map((p) => `"${p.name}"`).join(', ');
      // (FORCE only where it changes something for the owner: rls-not-forced; and not when a definer
      // helper its policies call reads the table as an owner not known to bypass RLS: FORCE would
      // break the helper, T06 / T06b; ENABLE alone leaves the owner's read whole)
      const matters = forceMatters(model, t);
      const helper = matters ? helperForceWouldBreak(model, t) : undefined;
      // (nor when a definer trigger function inserts into it as such an owner with no INSERT policy
      // admitting it: FORCE would make every statement firing the trigger fail, T07; daveyplate/pglofi)
      const trigger = matters && !helper ? triggerForceWouldBreak(model, t) : undefined;
      const force = matters && !helper && !trigger;
      const fix = enableRlsFix(name, force);
      report({
        file: first.nameLoc.file,
        start: first.nameLoc.start,
        end: first.nameLoc.end,
        message:
          `${t.policies.length === 1 ? 'Policy' : 'Policies'} ${names} on ${t.key} ${t.policies.length === 1 ? 'has' : 'have'} no effect: row-level security is never enabled on the table${enabledTooEarly(model, t)}, ` +
          'and PostgreSQL ignores policies until it is, so every role granted access sees and changes all rows. ' +
          `Add ALTER TABLE ${name} ENABLE ROW LEVEL SECURITY${force ? ' (and FORCE)' : ''} after the CREATE TABLE at ${where(model, t.created)}.` +
          (helper ? ` Not FORCE yet: policy "${helper.p.name}" calls ${helper.f.name}(), a SECURITY DEFINER function that reads ${t.key}, and nothing in the workspace shows its owner bypasses RLS; FORCE would filter its read by these policies (54001, T06; or no rows, T06b).` : '') +
          (trigger ? ` Not FORCE yet: SECURITY DEFINER trigger function ${trigger.f.signature} inserts into ${t.key}, no INSERT policy of it applies to the function's owner, and nothing in the workspace shows that owner bypasses RLS; FORCE would make that insert fail with 42501 and abort each statement that fires ${trigger.triggers.map((x) => `${x.name} on ${x.table}`).join(', ')} (T07).` : ''),
        related: [
          { file: t.nameLoc.file, start: t.nameLoc.start, end: t.nameLoc.end, message: `${t.key} is created here without RLS` },
          ...t.policies.slice(1).map((p) => ({ file: p.nameLoc.file, start: p.nameLoc.start, end: p.nameLoc.end, message: `policy "${p.name}" has no effect either` })),
        ],
        fixes: [
          {
            title: fix.title,
            kind: 'safe',
            edits: [insertAfter(model, t.created, fix.statements)],
          },
        ],
      });
    }
  },
});
