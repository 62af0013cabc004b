import { defineRule } from './types.js';
import { enableRlsStatements, insertAfter, rlsAncestor, tableName, tableList } from './lib/util.js';
import { mayBeDynamic } from '../analysis/dynamic-rls.js';
import { exposedWhy } from '../analysis/supabase-config.js';

export const rlsNotEnabled = defineRule({
  meta: {
    id: 'rls-not-enabled',
    description: 'A table in an exposed schema never gets ENABLE ROW LEVEL SECURITY.',
    severity: 'warning',
    category: 'security',
    fixKind: 'unsafe',
    guards: 'Without RLS, any role granted access to the table reads and writes every row; no policy filters them.',
    sources: ['splinter 0013 rls_disabled_in_public', 'pgrls'],
    shownBy: { exposure: 'no-rls' },
  },
  check({ model, config, report }) {
    const tables = tableList(model);
    for (let ti = 0; ti < tables.length; ti++) {
      const t = tables[ti]!;
      if (t.temp || !config.exposedSchemas.includes(t.schema)) continue;
      if (t.rlsEnabled || t.rlsEvents.some((e) => e.kind === 'enable')) continue;
      if (t.policies.length > 0) continue; // policy-on-table-without-rls reports it
      if (t.rlsEvents.some((e) => e.kind === 'disable')) continue; // rls-disabled reports the DISABLE
      if (rlsAncestor(model, t)) continue; // partition-without-rls reports a child of an RLS table
      if (mayBeDynamic(model, 'enable', t)) continue; // (dynamic SQL may enable it: analysis/dynamic-rls.ts)
      const name = tableName(model, t);
      report({
        file: t.nameLoc.file,
        start: t.nameLoc.start,
        end: t.nameLoc.end,
        message:
          `Table ${t.key} is in the exposed schema "${t.schema}"${exposedWhy(config, t.schema)} but row-level security is never enabled: ` +
          'every role granted access to it reads and writes all rows, and no policy can filter them. ' +
          `Add ALTER TABLE ${name} ENABLE ROW LEVEL SECURITY (and FORCE), then policies for the roles that need access.`,
        fixes: [
          {
            // not applied by --fix or "fix all": until policies exist, every role but superusers
            // and BYPASSRLS roles (the owner too, once forced) gets no row and every write fails
            title: `Enable and force row-level security on ${name}`,
            kind: 'unsafe',
            edits: [insertAfter(model, t.created, enableRlsStatements(name))],
          },
        ],
      });
    }
  },
});
