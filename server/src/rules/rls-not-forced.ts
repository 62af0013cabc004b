import { defineRule } from './types.js';
import { forceMatters, insertAfter, onSupabasePlatform, platformTable, tableName, tableList, where } from './lib/util.js';
import type { Func, Model, Table, Trigger } from '../analysis/model.js';
import type { Loc } from '../analysis/types.js';
import { mayBeDynamic } from '../analysis/dynamic-rls.js';
import { helperForceNote, helperForceWouldBreak } from './definer-helper-under-force-rls.js';
import { triggerForceWouldBreak } from './definer-trigger-blocked-by-force-rls.js';

export const rlsNotForced = defineRule({
  meta: {
    id: 'rls-not-forced',
    description: 'Row-level security is enabled but not forced, so the table owner bypasses every policy.',
    severity: 'warning',
    category: 'security',
    fixKind: 'safe',
    guards: 'ENABLE without FORCE: queries run as the table owner see and change all rows (T13).',
    truths: ['T13'],
    shownBy: { exposure: 'owner' },
  },
  check({ model, report }) {
    const tables = tableList(model);
    for (let ti = 0; ti < tables.length; ti++) {
      const t = tables[ti]!;
      if (!t.rlsEnabled || t.rlsForced) continue;
      if (t.rlsEvents.some((e) => e.kind === 'no-force')) continue; // rls-disabled reports NO FORCE
      if (mayBeDynamic(model, 'force', t)) continue; // (dynamic SQL may force it: analysis/dynamic-rls.ts)
      if (mayBeDynamic(model, 'dropTable', t)) continue; // (dynamic SQL may drop it: EXECUTE 'DROP TABLE …')
      if (platformTable(model, t)) continue; // (Supabase's own: not the project's to force)
      // No policy: only the owner (and BYPASSRLS roles) can read it, a service-only table
      // (rls-enabled-without-policy says so); FORCE would leave the owner no row either (T13b).
      // (policies only dynamic SQL makes count: Hoxtup's DO block creating each table's tenant
      // policy with EXECUTE format('CREATE POLICY … ON %I …') in a FOREACH over their names)
      const dynamicOnly = t.policies.length === 0 && mayBeDynamic(model, 'policy', t);
      if (t.policies.length === 0 && !dynamicOnly) continue;
      // FORCE changes nothing for an owner that bypasses RLS anyway (forceMatters)
      if (!forceMatters(model, t)) continue;
      const enable = [...t.rlsEvents].reverse().find((e) => e.kind === 'enable');
      const name = tableName(model, t, enable?.loc ?? t.created);
      // (a definer helper its policies call reads the table as an owner not known to bypass RLS:
      // FORCE would break it, T06 / T06b; the fix is then the editor's only, after a decision)
      const helper = helperForceWouldBreak(model, t);
      // (nor where a definer trigger function inserts into it as such an owner with no INSERT
      // policy admitting it: FORCE would make every statement firing the trigger fail, T07)
      const trigger = triggerForceWouldBreak(model, t);
      report({
        file: t.nameLoc.file,
        start: t.nameLoc.start,
        end: t.nameLoc.end,
        message:
          `Row-level security on ${t.key} is enabled but not forced: the table's owner bypasses every policy${dynamicOnly ? ' (here those the dynamic SQL of the migrations creates for it with EXECUTE)' : ''} and sees all rows (T13). ` +
          'This matters when the application, a job or a migration queries as the owner role; if only non-owner roles ' +
          `${onSupabasePlatform(model) ? '(e.g. anon/authenticated) ' : ''}ever query it, you can lower this rule knowingly. ` +
          `Add ALTER TABLE ${name} FORCE ROW LEVEL SECURITY${renamedNote(model, t, name, enable?.loc)}. (Superusers and BYPASSRLS roles bypass RLS even when forced.)` +
          (dynamicOnly ? ' Check first that the dynamic SQL does create a policy for the owner\'s use: with FORCE and no policy that applies, the owner sees no row (T13b).' : '') +
          (supabaseElsewhere(model, t) ? ` ${SUPABASE_ELSEWHERE}` : '') +
          (helper ? ` ${helperForceNote(helper, t)}` : '') +
          (trigger ? ` ${triggerForceNote(trigger, t)}` : ''),
        fixes: [
          {
            title: `Force row-level security on ${name}`,
            // (unsafe when its policies are dynamic SQL's: were there none, the owner would see no row, T13b)
            // (and when FORCE would break a definer helper of its policies, T06 / T06b)
            // (and when FORCE would make a definer trigger function's insert into it fail, T07)
            kind: dynamicOnly || helper || trigger ? 'unsafe' : 'safe',
            edits: [insertAfter(model, enable?.loc ?? t.created, [`ALTER TABLE ${name} FORCE ROW LEVEL SECURITY;`])],
          },
        ],
      });
    }
  },
});

/** What FORCE would do to a definer trigger function inserting into the table (triggerForceWouldBreak). */
function triggerForceNote(hit: { f: Func; triggers: Trigger[] }, t: Table): string {
  const firing = hit.triggers.map((x) => `${x.name} on ${x.table}`).join(', ');
  return (
    `But SECURITY DEFINER trigger function ${hit.f.signature} (${hit.triggers.length === 1 ? 'trigger' : 'triggers'} ${firing}) inserts into ${t.key}, no INSERT policy of ${t.key} applies to its owner, and nothing in the workspace shows that owner is a superuser or has BYPASSRLS: ` +
    `FORCE would apply the policies to that insert too, so it would fail with 42501 new row violates row-level security policy and abort each statement that fires the trigger (T07). ` +
    `First add an INSERT policy for the owner limited to trigger context (WITH CHECK (pg_trigger_depth() > 0), T10), or have the function owned by a BYPASSRLS role (T11; or set definerOwnerBypassesRls to true if its owner already bypasses RLS).`
  );
}

/**
 * Where the fix goes when the table has another name there (its ENABLE, or CREATE TABLE, comes
 * before an ALTER TABLE … RENAME TO): the statement the fix inserts names it as it is named there,
 * which the message says (regen-server's party, renamed account later).
 */
function renamedNote(model: Model, t: Table, name: string, enable: Loc | undefined): string {
  if (!t.renamed) return '';
  const now = tableName(model, t, t.renamed);
  return now === name ? '' : ` right after its ${enable ? 'ENABLE' : 'CREATE TABLE'} at ${where(model, enable ?? t.created)}, where it is still named ${name} (it is renamed ${now} later)`;
}

/**
 * Migrations that use Supabase (auth.uid(), Storage: the platform's roles are taken as there)
 * outside a supabase/ folder, the table's owner not shown: run on Supabase, they make their
 * tables as postgres, which has BYPASSRLS, and FORCE changes nothing for it. The setting
 * definerOwnerBypassesRls assumes so only for a Supabase layout (auto), so the finding stands,
 * with the way to say it (pajamasweb-freelance's docs/database/, roomah's docs/schema.sql).
 */
function supabaseElsewhere(model: Model, t: Table): boolean {
  return !model.supabase && !t.owner && model.config.definerOwnerBypassesRls === 'auto' && onSupabasePlatform(model);
}
const SUPABASE_ELSEWHERE =
  'These migrations use Supabase (its auth functions or Storage) outside a supabase/ folder: run on Supabase as its postgres role (as the Supabase CLI and the SQL editor run them), the tables they make are owned by postgres, which has BYPASSRLS, and FORCE changes nothing for it. If so, set definerOwnerBypassesRls to true in .pg-rls-lint.json (what a supabase/migrations/ layout assumes), and this rule leaves such tables alone.';
