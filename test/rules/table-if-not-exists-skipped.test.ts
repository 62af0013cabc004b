// table-if-not-exists-skipped on PostgreSQL (PGlite): CREATE TABLE IF NOT EXISTS of a table that
// exists is skipped with a notice, whatever columns it writes: the new column is never added, and
// a policy naming it fails with 42703. The fix (ALTER TABLE … ADD COLUMN IF NOT EXISTS after it)
// re-lints clean, runs, and adds the column. Only where the table exists for certain, and only when
// the statement writes a column the table does not have by then.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { closeAll, getDb, inRollback, runEachStatement, type Q } from '../helpers/pg.js';
import { applyFix, findingsOf, initParser, invalidFinding, lintFiles, sqlOf, textAt, validExampleRuns } from '../helpers/rule-proof.js';
import { AUTH_STUB_SQL } from '../helpers/supabase.js';
import { migrationRunner } from '../helpers/sql-fixtures.js';

const ID = 'table-if-not-exists-skipped';
before(initParser);
after(closeAll);

const runEach = async (q: Q, sql: string) => (await runEachStatement(q, sql)).map((e) => `${e.code} ${e.message}`);
const columns = async (q: Q) => (await q(`SELECT string_agg(attname, ',' ORDER BY attnum) AS c FROM pg_attribute WHERE attrelid = 'notes'::regclass AND attnum > 0 AND NOT attisdropped`))[0]!.c;
const SHARED_POLICY = 'CREATE POLICY notes_shared ON notes FOR SELECT TO authenticated USING (shared)';

test('err: a later migration "creates" the table again with IF NOT EXISTS to add a column: skipped, the column never exists (42703)', async () => {
  const { ws, finding } = invalidFinding(ID, 0);
  assert.equal(textAt(ws, finding), 'notes');
  assert.equal(finding.file, 'supabase/migrations/20250102000000_notes_shared.sql');
  assert.match(finding.message, /^The table notes already exists: it is created at 20250101000000_notes\.sql:1 \(an earlier migration\)/);
  assert.match(finding.message, /skips CREATE TABLE IF NOT EXISTS with a notice \(relation "notes" already exists, skipping\) without comparing columns, so the column shared written here is never added: a policy, index or query naming it fails with 42703/);
  // not table-already-exists: this statement does not fail
  assert.deepEqual(findingsOf(ws, 'table-already-exists'), []);
  await inRollback(await getDb(), async (q) => {
    await q(AUTH_STUB_SQL);
    assert.deepEqual(await runEach(q, sqlOf(ws)), []);
    assert.equal(await columns(q), 'id,owner_id,body');
    assert.deepEqual(await runEach(q, SHARED_POLICY), ['42703 column "shared" does not exist']);
  });
});

test('err→ok: the fix adds the column after the statement; re-lints clean, runs, and the policy naming it is created', async () => {
  const { ws, finding } = invalidFinding(ID, 0);
  assert.deepEqual(finding.fixes.map((f) => [f.title, f.kind]), [['Add the column shared with ALTER TABLE … ADD COLUMN IF NOT EXISTS after this statement', 'unsafe']]);
  const fixed = applyFix(ws, finding, /ADD COLUMN/);
  assert.match(fixed.text('supabase/migrations/20250102000000_notes_shared.sql')!, /\n\);\nALTER TABLE notes ADD COLUMN IF NOT EXISTS shared boolean NOT NULL DEFAULT false;$/);
  assert.deepEqual(findingsOf(fixed, ID), []);
  await inRollback(await getDb(), async (q) => {
    await q(AUTH_STUB_SQL);
    assert.deepEqual(await runEach(q, sqlOf(fixed)), []);
    assert.equal(await columns(q), 'id,owner_id,body,shared');
    assert.deepEqual(await runEach(q, SHARED_POLICY), []);
  });
});

test('ok: the Valid example (IF NOT EXISTS, then ADD COLUMN) runs and adds the column', async () => {
  await validExampleRuns(ID, 0, async (q) => {
    assert.equal(await columns(q), 'id,owner_id,body,shared');
  });
});

const TABLE = 'CREATE TABLE notes (id bigint PRIMARY KEY, owner_id uuid NOT NULL, body text);\n';

test('ok: left alone: the same columns, a column added before, a dynamic DROP between, another folder; a plain CREATE is table-already-exists', () => {
  const again = 'CREATE TABLE IF NOT EXISTS notes (id bigint PRIMARY KEY, owner_id uuid NOT NULL, body text, shared boolean);\n';
  const cases: Array<Array<{ file: string; text: string }>> = [
    [{ file: 'm/1.sql', text: TABLE }, { file: 'm/2.sql', text: 'CREATE TABLE IF NOT EXISTS notes (id bigint PRIMARY KEY, body text);\n' }],
    [{ file: 'm/1.sql', text: TABLE }, { file: 'm/2.sql', text: 'ALTER TABLE notes ADD COLUMN shared boolean;\n' }, { file: 'm/3.sql', text: again }],
    [{ file: 'm/1.sql', text: TABLE }, { file: 'm/2.sql', text: "DO $$ BEGIN EXECUTE 'DROP TABLE ' || 'notes'; END $$;\n" }, { file: 'm/3.sql', text: again }],
    [{ file: 'supabase/migrations/1_notes.sql', text: TABLE }, { file: 'supabase/schema.sql', text: again }],
  ];
  for (const files of cases) assert.deepEqual(lintFiles(files, ID).mine, [], files.map((f) => f.text).join(''));
  const plain = lintFiles([{ file: 'm/1.sql', text: TABLE }, { file: 'm/2.sql', text: again.replace(' IF NOT EXISTS', '') }], ID);
  assert.deepEqual(plain.mine, []);
  assert.deepEqual(findingsOf(plain.ws, 'table-already-exists').length, 1);
});

test("err (message)→ok: columns a later migration adds are named too (we-community's trail_badges: the file's own INSERT fails with 42703 on them); the fix adds them all, and the file's INSERT then runs", async () => {
  const files = [
    { file: 'supabase/migrations/20250730203452_trails.sql', text: 'CREATE TABLE public.trail_badges (id int PRIMARY KEY, name text NOT NULL, created_at timestamptz NOT NULL DEFAULT now());\n' },
    {
      file: 'supabase/migrations/20250731145401_badges.sql',
      text: `CREATE TABLE IF NOT EXISTS public.trail_badges (
  id int PRIMARY KEY, name text NOT NULL, icon_color text DEFAULT '#FFD700',
  created_at timestamptz NOT NULL DEFAULT now(), updated_at timestamptz NOT NULL DEFAULT now());
INSERT INTO public.trail_badges (id, name, icon_color) VALUES (1, 'Desperta', '#FFD700');
`,
    },
    { file: 'supabase/migrations/20250731145428_fix_columns.sql', text: "ALTER TABLE public.trail_badges ADD COLUMN IF NOT EXISTS icon_color text DEFAULT '#FFD700';\n" },
  ];
  const { ws, mine } = lintFiles(files, ID);
  assert.equal(mine.length, 1);
  assert.match(mine[0]!.message, /the column updated_at written here is never added \(the column icon_color written here is missing too, until a later statement adds it: a statement using it before that fails with 42703\)/);
  await inRollback(await getDb(), async (q) => {
    const errors = await runEach(q, files.map((f) => f.text).join('\n'));
    assert.deepEqual(errors.map((e) => e.split(' ')[0]), ['42703'], 'the INSERT of the file');
  });
  const fixed = applyFix(ws, mine[0]!, /ADD COLUMN/);
  assert.match(mine[0]!.fixes[0]!.title, /the columns updated_at, icon_color/);
  assert.deepEqual(findingsOf(fixed, ID), []);
  await inRollback(await getDb(), async (q) => {
    assert.deepEqual(await runEach(q, sqlOf(fixed)), []);
  });
});

// Calibration (cal162, Munkhjavkhlann/mongolec-backend): database-migrations.sql makes tenants
// through its runner (apply_migration EXECUTEs the `$migration$ CREATE TABLE IF NOT EXISTS tenants
// (… timezone …) $migration$` it is handed), before database-schema.sql's plain CREATE TABLE
// tenants without timezone (42P07) and postgresql-schema-comprehensive.sql's IF NOT EXISTS with it.
// The rule said timezone was never added and a statement naming it failed with 42703: the
// runner's table has it. Where dynamic SQL may make tables, which columns a table has first is not
// known: nothing is said.
test('ok: a table a migration runner function may have made first (EXECUTE of the CREATE TABLE it is handed): its columns are not known, nothing is said; PGlite: the runner\'s table has the column', async () => {
  const runner = migrationRunner([['001_tenants', "CREATE TABLE IF NOT EXISTS tenants (id uuid PRIMARY KEY, name text NOT NULL, timezone text NOT NULL DEFAULT 'UTC')"]]);
  const schema = 'CREATE TABLE tenants (id uuid PRIMARY KEY, name text NOT NULL);\n';
  const comprehensive = 'CREATE TABLE IF NOT EXISTS tenants (id uuid PRIMARY KEY, name text NOT NULL, timezone text NOT NULL);\nCREATE INDEX tenants_timezone ON tenants (timezone);\n';
  const files = [
    { file: 'db/a_migrations.sql', text: runner },
    { file: 'db/b_schema.sql', text: schema },
    { file: 'db/c_schema_comprehensive.sql', text: comprehensive },
  ];
  assert.deepEqual(lintFiles(files, ID).mine.map((f) => f.message), []);
  await inRollback(await getDb(), async (q) => {
    assert.deepEqual(await runEach(q, runner + schema + comprehensive), ['42P07 relation "tenants" already exists'], 'the plain CREATE TABLE fails; the index on timezone is made');
  });
  // without the runner's EXECUTE (it only records the text), the table is the plain CREATE TABLE's: reported, and PostgreSQL agrees
  const inert = runner.replace('EXECUTE migration_sql;', 'INSERT INTO schema_migrations VALUES (migration_version || migration_sql);');
  const mine = lintFiles([{ ...files[0]!, text: inert }, files[1]!, files[2]!], ID).mine;
  assert.equal(mine.length, 1);
  assert.match(mine[0]!.message, /the column timezone written here is never added/);
  await inRollback(await getDb(), async (q) => {
    assert.deepEqual(await runEach(q, inert + schema + comprehensive), ['42703 column "timezone" does not exist']);
  });
});
