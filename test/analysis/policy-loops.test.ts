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

// Calibration cal158 (rifkiri/betterme's last migration): a loop over pg_policies moving every
// policy for PUBLIC of some tables to authenticated with ALTER POLICY … TO. The replay did not follow
// it: those policies were still for PUBLIC, so anon, whose SELECT the project revokes, was said to
// fail every UPDATE with 42501 (policy-reads-without-grant) and the policies to have no TO clause.
const ROLE_LOOP_BASE = `create table public.goals (id int primary key, user_id uuid, title text);
create table public.goal_assignments (goal_id int, user_id uuid);
create table public.notes (id int primary key, user_id uuid);
alter table public.goals enable row level security;
alter table public.goal_assignments enable row level security;
alter table public.notes enable row level security;
create policy "assignees update goals" on public.goals for update using (user_id = auth.uid() or exists (select 1 from public.goal_assignments a where a.goal_id = goals.id and a.user_id = auth.uid()));
create policy "own assignments" on public.goal_assignments for select to authenticated using (user_id = auth.uid());
create policy "own notes" on public.notes for select using (user_id = auth.uid());
grant select, insert, update, delete on public.goals, public.goal_assignments, public.notes to anon, authenticated;
revoke select on table public.goals from anon;
revoke select on table public.goal_assignments from anon;
`;
const ROLE_LOOP = `do $$
declare pol record;
begin
  for pol in select tablename, policyname from pg_policies
    where schemaname = 'public' and roles @> array['public'::name] and tablename in ('goals', 'goal_assignments')
  loop
    execute format('ALTER POLICY %I ON public.%I TO authenticated;', pol.policyname, pol.tablename);
  end loop;
end $$;
`;

test("ok: a loop over pg_policies altering the listed tables' policies for PUBLIC TO authenticated is replayed: they no longer apply to anon (no 42501 claimed for it, no missing TO clause); a table it does not list keeps its PUBLIC policy (PGlite)", async () => {
  const files = [
    { file: 'supabase/migrations/20250101000000_schema.sql', text: ROLE_LOOP_BASE },
    { file: 'supabase/migrations/20250201000000_to_authenticated.sql', text: ROLE_LOOP },
  ];
  const { findings } = lintFiles(files, 'policy-reads-without-grant');
  assert.deepEqual(findings.filter((f) => f.rule === 'policy-reads-without-grant').map((f) => f.message.slice(0, 40)), []);
  assert.deepEqual(findings.filter((f) => f.rule === 'policy-applies-to-public').map((f) => f.message.match(/^Policy "([^"]+)"/)?.[1]), ['own notes']);
  // (before the loop, as the first migration leaves them: anon is said to fail, as it does)
  const before = lintFiles([files[0]!], 'policy-reads-without-grant');
  assert.equal(before.mine.length, 1);
  await inRollback(await getDb(), async (q) => {
    await q(AUTH_STUB_SQL);
    await q(ROLE_LOOP_BASE);
    await q(`insert into public.goals values (1, '${TENANT_A}', 'a')`);
    await q('savepoint before_loop');
    await q('set role anon');
    await assert.rejects(q(`update public.goals set title = 'x'`), /permission denied for table goal_assignments/);
    await q('rollback to savepoint before_loop');
    await q(ROLE_LOOP);
    const roles = await q(`select tablename, policyname, roles::text from pg_policies where schemaname = 'public' order by tablename, policyname`);
    assert.deepEqual(roles, [
      { tablename: 'goal_assignments', policyname: 'own assignments', roles: '{authenticated}' },
      { tablename: 'goals', policyname: 'assignees update goals', roles: '{authenticated}' },
      { tablename: 'notes', policyname: 'own notes', roles: '{public}' },
    ]);
    await q('set role anon');
    // (no policy applies to anon now: its UPDATE changes no row, and no privilege on goal_assignments is checked)
    const r = await q.db.query(`update public.goals set title = 'x'`);
    assert.equal(r.affectedRows, 0);
    await q('reset role');
    await q(actAs(TENANT_A));
    await q('set role authenticated');
    const mine = await q.db.query(`update public.goals set title = 'y'`);
    assert.equal(mine.affectedRows, 1);
  });
});
