// supabase-migration-skipped: the Supabase CLI (pkg/migration/list.go) applies only the files of
// supabase/migrations/ named `^[0-9]+_.*\.sql$`, in file name order. Replayed on PostgreSQL
// (PGlite) as the CLI picks them, the Invalid example's table keeps no row-level security (user A
// reads user B's note); renamed (the Valid example), A reads only its own. The finding says how
// many statements, and which about RLS, are lost, and where the name puts the file.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { migrationOrder } from '../../server/src/analysis/model.js';
import { closeAll, getDb, inRollback, type Q } from '../helpers/pg.js';
import { findingsOf, initParser, invalidFinding, lintDocExample, lintFiles, TENANT_A, TENANT_B } from '../helpers/rule-proof.js';
import { actAs, AUTH_STUB_SQL, notesReadByA } from '../helpers/supabase.js';

const ID = 'supabase-migration-skipped';
before(initParser);
after(closeAll);

/** What `supabase db reset` runs of the files: those named as its pattern wants, in file name order. */
const appliedByCli = (files: ReadonlyArray<{ file: string; text: string }>) =>
  files
    .filter((f) => /^[0-9]+_.*\.sql$/.test(f.file.split('/').pop()!))
    .sort((a, b) => (a.file < b.file ? -1 : 1))
    .map((f) => f.text)
    .join('\n;\n');

/** How many notes user A reads, the notes being A's and B's. */
const readsA = (q: Q, sql: string) => notesReadByA(q, sql, TENANT_A, TENANT_B);

test("err: a migration named 20250102b_…: the CLI skips it, and the table it would protect stays open (A reads B's note)", async () => {
  const { ws, finding, ex } = invalidFinding(ID, 0);
  assert.equal(finding.file, 'supabase/migrations/20250102b_notes_rls.sql');
  // (on its first statement)
  assert.equal((ws.text(finding.file) ?? '').slice(finding.start, finding.end), 'ALTER TABLE notes ENABLE ROW LEVEL SECURITY');
  assert.match(finding.message, /^The Supabase CLI skips 20250102b_notes_rls\.sql: it applies a migration only when its file name is digits, an underscore and a name ending in \.sql \(<timestamp>_name\.sql\)/);
  assert.match(finding.message, /they print "Skipping migration 20250102b_notes_rls\.sql\.\.\. \(file name must match pattern "<timestamp>_name\.sql"\)"/);
  assert.match(finding.message, /Its 3 statements \(3 of them policies, row-level security switches, grants or SECURITY DEFINER functions\) never reach a database built with the CLI\./);
  assert.match(finding.message, /\(by name it comes after 20250101000000_notes\.sql\)/);
  assert.equal(await inRollback(await getDb(), (q) => readsA(q, appliedByCli(ex.files))), 2);
});

test('ok: renamed <timestamp>_name.sql (Valid), the CLI runs it: A reads only its note; no finding', async () => {
  const { mine, ex } = lintDocExample(ID, 'valid', 0);
  assert.deepEqual(mine, []);
  assert.equal(await inRollback(await getDb(), (q) => readsA(q, appliedByCli(ex.files))), 1);
});

test('ok: a file in a folder inside supabase/migrations (an archive: the CLI reads no folder), files elsewhere and a file without a statement are not reported; one statement, and the neighbours on both sides', () => {
  const files = [
    { file: 'supabase/migrations/20240101000000_a.sql', text: 'CREATE TABLE a (id int);' },
    { file: 'supabase/migrations/20240201000000_c.sql', text: 'CREATE TABLE c (id int);' },
    { file: 'supabase/migrations/archive/old.sql', text: 'CREATE TABLE old (id int);' },
    { file: 'db/migrations/policies.sql', text: 'CREATE TABLE p (id int);' },
    { file: 'supabase/migrations/20240115x-b.sql', text: '-- « b »\nCREATE TABLE b (id int);' },
    // (a generator's hyphen where the underscore goes: the rename keeps the version)
    { file: 'supabase/migrations/20240301000000-e90b636c.sql', text: 'CREATE TABLE d (id int);' },
    // (nothing in it: nothing lost)
    { file: 'supabase/migrations/notes.sql', text: '-- see the README\n' },
  ];
  const { mine } = lintFiles(files, ID);
  assert.deepEqual(mine.map((f) => f.file), ['supabase/migrations/20240115x-b.sql', 'supabase/migrations/20240301000000-e90b636c.sql']);
  assert.match(mine[0]!.message, /Its statement never reaches a database built with the CLI\. Rename it to a version that sorts where it must run \(by name it comes between 20240101000000_a\.sql and 20240201000000_c\.sql\)/);
  assert.match(mine[1]!.message, /Rename it 20240301000000_e90b636c\.sql: the same version, followed by the underscore the CLI looks for, so it keeps its place \(after 20240201000000_c\.sql\)\./);
});

test('ok: the model replays a skipped file where its name puts it among the migrations (file name order), not by the number before its letter', () => {
  const order = migrationOrder(
    ['supabase/migrations/20250812b_org.sql', 'supabase/migrations/20240321000006_rls.sql', 'supabase/migrations/20250812_plan.sql', 'supabase/migrations/20250813_next.sql'].map((file) => ({ file })),
  ).map((f) => f.file.split('/').pop());
  assert.deepEqual(order, ['20240321000006_rls.sql', '20250812_plan.sql', '20250812b_org.sql', '20250813_next.sql']);
  // (the lint too: a table the skipped file makes is there for the migrations after it)
  const ws = lintFiles(
    [
      { file: 'supabase/migrations/20240101000000_t.sql', text: 'CREATE TABLE t (id int);' },
      { file: 'supabase/migrations/20250101b_rls.sql', text: 'ALTER TABLE t ENABLE ROW LEVEL SECURITY;' },
    ],
    ID,
  );
  assert.equal(findingsOf(ws.ws, 'rls-not-enabled').length, 0);
});

test('ok: a folder inside supabase/migrations/ (an archive) or a copy beside it is not replayed: the CLI never applies it (chess-map migrations__backup_*)', () => {
  const init = `CREATE TABLE public.notes (id int PRIMARY KEY, owner_id uuid);
ALTER TABLE public.notes ENABLE ROW LEVEL SECURITY;
CREATE POLICY notes_all ON public.notes FOR ALL TO authenticated USING (owner_id = (select auth.uid()));
`;
  const old = 'ALTER TABLE public.notes DISABLE ROW LEVEL SECURITY;\n';
  for (const archived of ['supabase/migrations/archive/old_policies.sql', 'supabase/migrations__backup_2024/20240101000000_old.sql']) {
    const { findings } = lintFiles([{ file: 'supabase/migrations/20250101000000_init.sql', text: init }, { file: archived, text: old }], ID);
    assert.deepEqual(findings.filter((f) => f.file === archived || f.rule === 'rls-disabled').map((f) => `${f.rule} ${f.file}`), [], archived);
  }
});

// Calibration cal29 (coach-os' all_migrations.sql: every migration in one file, for the SQL
// editor): the CLI skips it, and replayed after the migrations it would fail on each statement
// and set back what they changed (its invoker is_org_member() over the migrations' definer one).
test('ok: a skipped bundle of the migrations (three tables or more, at least half of them made before it) is left out of the replay, and the message says so; PGlite, as the CLI runs the folder: the definer helper stays, authenticated reads its rows', async () => {
  const init = `CREATE TABLE public.orgs (id uuid PRIMARY KEY);
CREATE TABLE public.coaches (id uuid PRIMARY KEY);
CREATE TABLE public.org_members (org_id uuid NOT NULL, user_id uuid NOT NULL, PRIMARY KEY (org_id, user_id));
ALTER TABLE public.org_members ENABLE ROW LEVEL SECURITY;
CREATE OR REPLACE FUNCTION public.is_org_member(_org uuid) RETURNS boolean LANGUAGE sql STABLE AS $$
  SELECT EXISTS (SELECT 1 FROM public.org_members m WHERE m.org_id = _org AND m.user_id = auth.uid());
$$;
CREATE POLICY "members read by members" ON public.org_members FOR SELECT TO authenticated USING (public.is_org_member(org_id));
`;
  const fix = `CREATE OR REPLACE FUNCTION public.is_org_member(_org uuid) RETURNS boolean LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
  SELECT EXISTS (SELECT 1 FROM public.org_members m WHERE m.org_id = _org AND m.user_id = auth.uid());
$$;
`;
  const files = [
    { file: 'supabase/migrations/0001_init.sql', text: init },
    { file: 'supabase/migrations/0025_fix_recursion.sql', text: fix },
    { file: 'supabase/migrations/all_migrations.sql', text: `-- « naïve » 日本語 😀 all migrations combined, for the SQL editor\n${init}` },
  ];
  const { findings, mine } = lintFiles(files, ID);
  assert.equal(mine.length, 1);
  assert.match(mine[0]!.message, /leaves it out of its replay, as the CLI does: it makes again what the migrations before it make/);
  // nothing else about the bundle: no 42P07, 42710 or recursion from replaying it again
  assert.deepEqual(findings.filter((f) => f.file.endsWith('all_migrations.sql') && f.rule !== ID).map((f) => f.rule), []);
  assert.ok(!findings.some((f) => f.rule === 'policy-recursion'), 'the definer helper of 0025 is the one the policy calls');
  await inRollback(await getDb(), async (q: Q) => {
    await q(AUTH_STUB_SQL);
    for (const f of files.slice(0, 2)) await q(f.text);
    await q(`INSERT INTO public.org_members VALUES ('${TENANT_B}', '${TENANT_A}'); GRANT SELECT ON public.org_members TO authenticated`);
    await q(`${actAs(TENANT_A)} SET ROLE authenticated`);
    assert.deepEqual(await q('SELECT count(*)::int AS n FROM public.org_members'), [{ n: 1 }]);
  });
});
