// Loops over pg_policies that rewrite or merge policies with dynamic SQL (analysis/unseen.ts
// policyCallWraps, analysis/dynamic-rls.ts withPoliciesUntil), as ft (footy-trainer) fixed
// Supabase's advisories: a loop dropping each policy of some tables to create it again with
// auth.uid() wrapped keeps the policies (wrapped); a loop merging a table's duplicate permissive
// policies into one `mp_…` policy leaves which policies remain unknown. Executed on PGlite.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { closeAll, getDb, inRollback } from '../helpers/pg.js';
import { initParser, lintFiles, TENANT_A } from '../helpers/rule-proof.js';
import { actAs, AUTH_STUB_SQL } from '../helpers/supabase.js';

before(initParser);
after(closeAll);

const BASE = `create table public.categories (id int primary key, user_id uuid not null, name text);
create index on public.categories (user_id);
alter table public.categories enable row level security;
create policy "own categories" on public.categories for select using (user_id = auth.uid());
create policy "shared categories" on public.categories for select using (name = 'shared');
grant select, insert, update, delete on table public.categories to anon, authenticated;
`;
// ft's batch 1: each policy of the table dropped and created again with auth.uid() wrapped
const WRAP = `do $$
declare pol record; new_qual text; create_sql text;
begin
  for pol in select p.schemaname, p.tablename, p.policyname, p.permissive, p.cmd, p.roles, p.qual from pg_policies p
    where p.schemaname = 'public' and p.tablename in ('categories')
  loop
    new_qual := replace(pol.qual, 'auth.uid()', '(select auth.uid())');
    if new_qual is not distinct from pol.qual then continue; end if;
    execute format('drop policy %I on %I.%I', pol.policyname, pol.schemaname, pol.tablename);
    create_sql := format('create policy %I on %I.%I as %s for %s to %s using (%s)', pol.policyname, pol.schemaname, pol.tablename,
      pol.permissive, upper(pol.cmd), array_to_string(pol.roles, ', '), new_qual);
    execute create_sql;
  end loop;
end $$;
`;
// ft's batch 5: a table's permissive policies of one command and roles merged into one
const MERGE = `do $$
declare grp record; pol record;
begin
  for grp in
    with groups as (
      select p.schemaname, p.tablename, p.cmd, p.roles, string_agg('(' || p.qual || ')', ' OR ') as using_or
      from pg_policies p where p.schemaname = 'public' and p.permissive = 'PERMISSIVE' and p.tablename in ('categories')
      group by p.schemaname, p.tablename, p.cmd, p.roles having count(*) > 1)
    select * from groups
  loop
    for pol in select p.policyname from pg_policies p
      where p.schemaname = grp.schemaname and p.tablename = grp.tablename and p.cmd = grp.cmd and p.roles = grp.roles
    loop
      execute format('drop policy %I on %I.%I', pol.policyname, grp.schemaname, grp.tablename);
    end loop;
    execute format('create policy %I on %I.%I for %s to %s using (%s)', 'mp_' || grp.tablename || '_' || lower(grp.cmd), grp.schemaname, grp.tablename,
      grp.cmd, array_to_string(grp.roles, ', '), grp.using_or);
  end loop;
end $$;
`;
const DELETE = `create policy "delete own categories" on public.categories for delete to public using (user_id = (select auth.uid()));
`;
const files = (...texts: string[]) => texts.map((text, i) => ({ file: `supabase/migrations/2026021100000${i}_m.sql`, text }));
const rulesOf = (fs: Array<{ file: string; text: string }>) => lintFiles(fs, 'policy-missing-select-companion').findings.map((f) => `${f.rule} ${/Policy "([^"]+)"/.exec(f.message)?.[1] ?? ''}`.trim()).sort();

test('ok: a loop dropping each policy to create it again wrapped keeps the policies (not dropped, not reported per row); a later loop merging duplicate policies leaves them unknown: no missing SELECT companion, no duplicate permissive policies claimed', async () => {
  const wrapped = rulesOf(files(BASE, WRAP));
  assert.ok(wrapped.includes('policy-multiple-permissive'), `the two SELECT policies are still there: ${wrapped.join(', ')}`);
  assert.ok(!wrapped.some((r) => r.startsWith('policy-per-row-function')), wrapped.join(', '));
  assert.ok(wrapped.includes('policy-applies-to-public own categories'), 'created again TO public: still reported');
  const merged = rulesOf(files(BASE, WRAP, MERGE, DELETE));
  assert.ok(!merged.some((r) => r.startsWith('policy-missing-select-companion') || r.startsWith('policy-multiple-permissive')), merged.join(', '));
  assert.ok(merged.includes('policy-applies-to-public delete own categories'));
  await inRollback(await getDb(), async (q) => {
    await q(AUTH_STUB_SQL);
    await q([BASE, WRAP].join('\n'));
    const after1 = await q(`SELECT policyname, qual FROM pg_policies WHERE tablename = 'categories' ORDER BY policyname`);
    assert.deepEqual(after1.map((r) => r.policyname), ['own categories', 'shared categories'], 'the wrap loop keeps both');
    assert.match(String(after1[0]!.qual), /SELECT auth\.uid\(\)/);
    await q([MERGE, DELETE].join('\n'));
    const after2 = await q(`SELECT policyname, cmd FROM pg_policies WHERE tablename = 'categories' ORDER BY policyname`);
    assert.deepEqual(after2.map((r) => [r.policyname, r.cmd]), [['delete own categories', 'DELETE'], ['mp_categories_select', 'SELECT']], 'merged into one SELECT policy');
    await q(`INSERT INTO public.categories VALUES (1, '${TENANT_A}', 'x'); ${actAs(TENANT_A)}; SET ROLE authenticated`);
    assert.equal((await q('DELETE FROM public.categories WHERE id = 1 RETURNING id')).length, 1, 'the merged SELECT policy lets the WHERE reach the row: not 0 rows');
  });
});
