// migration-numbers-unpadded: migrations numbered without zero padding, applied in name order as
// Prisma Migrate and the Supabase CLI apply them, run on PGlite: 10_posts_rls before 2_posts fails
// with 42P01; in numeric order (the Valid example's padded names sort the same way) they all run.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { closeAll, expectPgError, getDb, inRollback, type Q } from '../helpers/pg.js';
import { initParser, invalidFinding, lintDocExample, lintFiles, textAt } from '../helpers/rule-proof.js';
import type { Workspace } from '../../server/src/engine/workspace.js';

const ID = 'migration-numbers-unpadded';
before(initParser);
after(closeAll);

/** The rule's findings in a workspace of these files (path → text). */
function lintMigrations(files: Record<string, string>) {
  return lintFiles(Object.entries(files).map(([file, text]) => ({ file, text })), ID);
}

/** Runs the workspace's files in name order, compared character by character, as the tools do. */
async function runInNameOrder(q: Q, ws: Workspace): Promise<void> {
  await q('CREATE ROLE app_user_mnu NOLOGIN').catch(() => undefined);
  for (const file of ws.files().sort()) await q(ws.text(file)!.replaceAll('TO app_user', 'TO app_user_mnu'));
}

test('err: prisma applies 10_posts_rls before 2_posts: its ALTER TABLE fails with 42P01 on a new database (PGlite)', async () => {
  const { ws, finding } = invalidFinding(ID, 0);
  assert.equal(finding.file, 'prisma/migrations/10_posts_rls/migration.sql');
  assert.equal(finding.severity, 'error');
  assert.equal(textAt(ws, finding), 'public.posts');
  assert.match(finding.message, /^prisma migrate deploy .* applies the migration folders in name order, compared character by character .*: 10_posts_rls runs before 2_posts\. On a new database 10_posts_rls fails, here at the latest: this statement names public\.posts, which 2_posts creates only later, so PostgreSQL raises 42P01 relation "public\.posts" does not exist/);
  assert.match(finding.message, /pg-rls-lint replays them in numeric order/);
  assert.equal(finding.related[0]!.file, 'prisma/migrations/2_posts/migration.sql');
  assert.deepEqual(ws.files().sort(), ['prisma/migrations/10_posts_rls/migration.sql', 'prisma/migrations/1_init/migration.sql', 'prisma/migrations/2_posts/migration.sql']);
  await inRollback(await getDb(), async (q) => {
    await expectPgError(runInNameOrder(q, ws), '42P01', 'relation "public.posts" does not exist');
  });
});

test('ok: padded numbers (Valid example): name order is number order, and the migrations run (PGlite)', async () => {
  const { ws, mine } = lintDocExample(ID, 'valid', 0);
  assert.equal(mine.length, 0);
  await inRollback(await getDb(), async (q) => {
    await runInNameOrder(q, ws);
    assert.equal((await q(`SELECT count(*)::int AS n FROM pg_policies WHERE tablename = 'posts'`))[0]!.n, 1);
  });
});

test('err: the Supabase CLI too (file name order); with no dependency it is a warning on the first migration run early', () => {
  const dep = lintMigrations({
    'supabase/migrations/1_init.sql': 'CREATE TABLE public.a (id int PRIMARY KEY);',
    'supabase/migrations/2_b.sql': 'CREATE TABLE public.b (id int PRIMARY KEY);',
    'supabase/migrations/10_rls.sql': 'ALTER TABLE b ENABLE ROW LEVEL SECURITY;',
  });
  assert.equal(dep.mine.length, 1);
  assert.match(dep.mine[0]!.message, /^supabase db reset, start and db push apply the files of supabase\/migrations in file name order.*: 10_rls\.sql runs before 1_init\.sql and 2_b\.sql\. On a new database 10_rls\.sql fails, here at the latest: this statement names public\.b, which 2_b\.sql creates only later, so PostgreSQL raises 42P01 relation \"b\" does not exist/);
  const none = lintMigrations({
    'supabase/migrations/1_init.sql': 'CREATE TABLE public.a (id int PRIMARY KEY);',
    'supabase/migrations/2_b.sql': 'CREATE TABLE public.b (id int PRIMARY KEY);',
    'supabase/migrations/10_c.sql': 'CREATE TABLE public.c (id int PRIMARY KEY);',
  });
  assert.equal(none.mine.length, 1);
  assert.equal(none.mine[0]!.severity, 'warning');
  assert.equal(none.mine[0]!.file, 'supabase/migrations/10_c.sql');
  assert.match(none.mine[0]!.message, /10_c\.sql runs before 1_init\.sql and 2_b\.sql\. Where a migration run early uses what a lower-numbered one creates, a new database fails there \(42P01\)\./);
});

test('ok: not reported: names whose two Prisma orders disagree (1_rls, 10_x), a migration that creates what it names itself, an ALTER … IF EXISTS, other folders', async () => {
  const disagree = lintMigrations({
    'prisma/migrations/0_init/migration.sql': 'CREATE TABLE public.a (id int PRIMARY KEY);',
    'prisma/migrations/1_rls/migration.sql': 'ALTER TABLE public.a ENABLE ROW LEVEL SECURITY;',
    'prisma/migrations/10_x/migration.sql': 'ALTER TABLE public.a FORCE ROW LEVEL SECURITY;',
  });
  assert.equal(disagree.mine.length, 0);
  const own = lintMigrations({
    'supabase/migrations/1_init.sql': 'CREATE TABLE public.a (id int PRIMARY KEY);',
    'supabase/migrations/2_b.sql': 'CREATE TABLE IF NOT EXISTS public.b (id int PRIMARY KEY);',
    'supabase/migrations/10_c.sql': 'CREATE TABLE IF NOT EXISTS public.b (id int PRIMARY KEY);\nALTER TABLE public.b ENABLE ROW LEVEL SECURITY;',
  });
  assert.equal(own.mine.length, 1);
  assert.equal(own.mine[0]!.severity, 'warning');
  // (an ALTER … IF EXISTS of a table not made yet is skipped with a notice: PGlite below; the next statement fails)
  const ifExists = lintMigrations({
    'supabase/migrations/1_init.sql': 'CREATE TABLE public.a (id int PRIMARY KEY);',
    'supabase/migrations/2_b.sql': 'CREATE TABLE public.b (id int PRIMARY KEY);',
    'supabase/migrations/10_c.sql': 'ALTER TABLE IF EXISTS public.b ENABLE ROW LEVEL SECURITY;\nALTER TABLE public.b FORCE ROW LEVEL SECURITY;',
  });
  assert.equal(ifExists.mine.length, 1);
  assert.equal(ifExists.mine[0]!.range.start.line, 1);
  await inRollback(await getDb(), async (q) => {
    await q('ALTER TABLE IF EXISTS public.b ENABLE ROW LEVEL SECURITY');
    await expectPgError(q('ALTER TABLE public.b FORCE ROW LEVEL SECURITY'), '42P01');
  });
  const plain = lintMigrations({
    'db/1_init.sql': 'CREATE TABLE public.a (id int PRIMARY KEY);',
    'db/2_b.sql': 'CREATE TABLE public.b (id int PRIMARY KEY);',
    'db/10_c.sql': 'ALTER TABLE public.b ENABLE ROW LEVEL SECURITY;',
  });
  assert.equal(plain.mine.length, 0);
});

test('ok: a WITH query named like a table an overtaken migration creates is no use of that table (PGlite runs it first)', async () => {
  const files = {
    'supabase/migrations/1_init.sql': 'CREATE TABLE public.a (id int PRIMARY KEY);',
    'supabase/migrations/2_b.sql': 'CREATE TABLE public.b (id int PRIMARY KEY);',
    'supabase/migrations/10_c.sql': 'CREATE VIEW public.c AS WITH b AS (SELECT 1 AS id) SELECT id FROM (SELECT id FROM b) x;',
  };
  const { ws, mine } = lintMigrations(files);
  assert.equal(mine.length, 1);
  assert.equal(mine[0]!.severity, 'warning');
  assert.equal(mine[0]!.file, 'supabase/migrations/10_c.sql');
  await inRollback(await getDb(), async (q) => {
    await runInNameOrder(q, ws);
    assert.equal((await q('SELECT id FROM public.c'))[0]!.id, 1);
  });
});

test('ok: Prisma folders with timestamps of two lengths (20260427_x among 14-digit ones) are replayed in name order, as prisma migrate runs them, and not reported (IntelliFlow-CRM; PGlite)', async () => {
  const files = {
    'packages/db/prisma/migrations/20260317000000_baseline/migration.sql': 'CREATE TABLE public.leads (id text PRIMARY KEY, owner_id uuid);',
    'packages/db/prisma/migrations/20260427183000_audit/migration.sql': 'CREATE TABLE public.audit (id int PRIMARY KEY);',
    'packages/db/prisma/migrations/20260427_leads_rls/migration.sql': "ALTER TABLE public.leads ENABLE ROW LEVEL SECURITY;\nCREATE POLICY own ON public.leads FOR SELECT USING (owner_id = nullif(current_setting('app.user', true), '')::uuid);",
  };
  const { ws, mine, findings } = lintMigrations(files);
  assert.equal(mine.length, 0);
  // (the numeric order ran 20260427_leads_rls first, before public.leads existed: its ALTER and policy were lost, and leads read as a table without RLS)
  assert.deepEqual(
    ws.model().files.map((f) => f.file.split('/').at(-2)),
    ['20260317000000_baseline', '20260427183000_audit', '20260427_leads_rls'],
  );
  assert.equal(findings.filter((f) => f.rule === 'rls-not-enabled' && /public\.leads/.test(f.message)).length, 0);
  assert.equal(ws.model().tables.get('public.leads')?.policies.length, 1);
  await inRollback(await getDb(), async (q) => {
    await runInNameOrder(q, ws);
    assert.equal((await q(`SELECT relrowsecurity FROM pg_class WHERE oid = 'public.leads'::regclass`))[0]!.relrowsecurity, true);
  });
});
