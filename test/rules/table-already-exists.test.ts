// table-already-exists on PostgreSQL (PGlite): a plain CREATE TABLE of a table that exists fails
// with 42P07, and the table keeps its columns (not the new one), row-level security and policies:
// user A still reads only its own notes, and the statements written for the new table meet the
// old one (a CREATE POLICY of a name it has fails with 42710). The fixes (IF NOT EXISTS, the new
// column added after it; the statement removed) re-lint clean and run. The model keeps the first table, as PostgreSQL does,
// only where that is certain; a DO block running dynamic DROP between leaves it alone.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { closeAll, getDb, inRollback, type Q, runEachStatement, runFilesInTransactions } from '../helpers/pg.js';
import { applyFix, findingsOf, initParser, invalidFinding, lintFiles, nestedParentheses, sqlOf, TENANT_A, TENANT_B, textAt, validExampleRuns } from '../helpers/rule-proof.js';
import { actAs, AUTH_STUB_SQL } from '../helpers/supabase.js';
import { fresh, summary } from '../helpers/relint.js';
import { Workspace } from '../../server/src/engine/workspace.js';

const ID = 'table-already-exists';
before(initParser);
after(closeAll);

const runEach = async (q: Q, sql: string) => (await runEachStatement(q, sql)).map((e) => `${e.code} ${e.message}`);

/** The columns of notes, whether RLS is on, its policies, and how many notes user A reads. */
async function state(q: Q): Promise<{ columns: string; rls: boolean; policies: string; readsA: number }> {
  const columns = (await q(`SELECT string_agg(attname, ',' ORDER BY attnum) AS c FROM pg_attribute WHERE attrelid = 'notes'::regclass AND attnum > 0 AND NOT attisdropped`))[0]!.c;
  const rls = (await q(`SELECT relrowsecurity AS r FROM pg_class WHERE oid = 'notes'::regclass`))[0]!.r;
  const policies = (await q(`SELECT string_agg(policyname, ',' ORDER BY policyname) AS p FROM pg_policies WHERE tablename = 'notes'`))[0]!.p ?? '';
  await q(`INSERT INTO notes (id, owner_id, body) VALUES (1, '${TENANT_A}', 'a'), (2, '${TENANT_B}', 'b')`);
  await q('GRANT SELECT ON notes TO authenticated');
  await q(actAs(TENANT_A));
  await q('SET ROLE authenticated');
  const readsA = (await q('SELECT id FROM notes')).length;
  await q('RESET ROLE');
  return { columns, rls, policies, readsA };
}

test('err: a later migration creates the table again to add a column: 42P07; the table keeps its columns, RLS and policy', async () => {
  const { ws, finding } = invalidFinding(ID, 0);
  assert.equal(textAt(ws, finding), 'notes');
  assert.equal(finding.file, 'supabase/migrations/20250102000000_notes_shared.sql');
  assert.match(finding.message, /^The table notes already exists: it is created at 20250101000000_notes\.sql:1 \(an earlier migration\)/);
  assert.match(finding.message, /PostgreSQL rejects this CREATE TABLE with 42P07 \(relation "notes" already exists\)/);
  assert.match(finding.message, /keeps its columns, row-level security, policies and grants — not the column shared written here/);
  await inRollback(await getDb(), async (q) => {
    await q(AUTH_STUB_SQL);
    assert.deepEqual(await runEach(q, sqlOf(ws)), ['42P07 relation "notes" already exists']);
    assert.deepEqual(await state(q), { columns: 'id,owner_id,body', rls: true, policies: 'notes_owner', readsA: 1 });
  });
  // the model keeps the first table: no rls-not-enabled or missing policy is reported on the second
  assert.deepEqual(lintFiles([...invalidFinding(ID, 0).ex.files], ID).findings.map((f) => f.rule), [ID]);
});

test('err→ok: IF NOT EXISTS, or the statement removed: both re-lint clean and run, the table as it was', async () => {
  const { ws, finding } = invalidFinding(ID, 0);
  assert.deepEqual(
    finding.fixes.map((f) => [f.title, f.kind]),
    [
      ['Write CREATE TABLE IF NOT EXISTS (the existing table stays as it is), then add the column shared with ALTER TABLE … ADD COLUMN IF NOT EXISTS', 'unsafe'],
      ['Remove this CREATE TABLE (the existing table stays as it is)', 'unsafe'],
    ],
  );
  const ine = applyFix(ws, finding, /IF NOT EXISTS/);
  assert.match(ine.text('supabase/migrations/20250102000000_notes_shared.sql')!, /^-- notes can now be shared\nCREATE TABLE IF NOT EXISTS notes \(.*\);\nALTER TABLE notes ADD COLUMN IF NOT EXISTS shared boolean NOT NULL DEFAULT false;$/);
  assert.deepEqual(findingsOf(ine, ID), []);
  assert.deepEqual(findingsOf(ine, 'table-if-not-exists-skipped'), []);
  const removed = applyFix(ws, finding, /^Remove/);
  assert.equal(removed.text('supabase/migrations/20250102000000_notes_shared.sql'), '-- notes can now be shared\n');
  assert.deepEqual(findingsOf(removed, ID), []);
  const db = await getDb();
  for (const [fixed, columns] of [[ine, 'id,owner_id,body,shared'], [removed, 'id,owner_id,body']] as const) {
    await inRollback(db, async (q) => {
      await q(AUTH_STUB_SQL);
      assert.deepEqual(await runEach(q, sqlOf(fixed)), []);
      assert.deepEqual(await state(q), { columns, rls: true, policies: 'notes_owner', readsA: 1 });
    });
  }
});

test('ok: the Valid example (IF NOT EXISTS, then ADD COLUMN) runs and adds the column', async () => {
  await validExampleRuns(ID, 0, async (q) => {
    assert.deepEqual(await state(q), { columns: 'id,owner_id,body,shared', rls: true, policies: 'notes_owner', readsA: 1 });
  });
});

const TABLE = `CREATE TABLE notes (id bigint PRIMARY KEY, owner_id uuid NOT NULL, body text);
ALTER TABLE notes ENABLE ROW LEVEL SECURITY;
CREATE POLICY notes_owner ON notes FOR ALL TO authenticated USING (owner_id = (select auth.uid()));
`;

test('err: the statements written for the new table meet the old one: its policies, written again, are reported (42710)', async () => {
  const again = `CREATE TABLE notes (id bigint PRIMARY KEY, owner_id uuid NOT NULL, body text);
ALTER TABLE notes ENABLE ROW LEVEL SECURITY;
CREATE POLICY notes_owner ON notes FOR ALL TO authenticated USING (owner_id = (select auth.uid()));
`;
  const { ws, findings } = lintFiles([{ file: 'm/1.sql', text: TABLE }, { file: 'm/2.sql', text: again }], ID);
  assert.deepEqual(findings.filter((f) => f.file === 'm/2.sql' && f.rule.endsWith('-already-exists')).map((f) => f.rule).sort(), ['policy-already-exists', ID]);
  await inRollback(await getDb(), async (q) => {
    await q(AUTH_STUB_SQL);
    assert.deepEqual(await runEach(q, sqlOf(ws)), ['42P07 relation "notes" already exists', '42710 policy "notes_owner" for table "notes" already exists']);
  });
});

test('ok: left alone where the first table may be gone or never made: dynamic DROP between, a type created after it, another folder', async () => {
  const dynamicDrop = `DO $$ BEGIN EXECUTE 'DROP TABLE ' || 'notes'; END $$;\n`;
  const viaDo = [
    { file: 'm/1.sql', text: TABLE },
    { file: 'm/2.sql', text: dynamicDrop },
    { file: 'm/3.sql', text: 'CREATE TABLE notes (id bigint PRIMARY KEY, owner_id uuid NOT NULL, body text);\n' },
  ];
  const linted = lintFiles(viaDo, ID);
  assert.deepEqual(linted.mine, []);
  await inRollback(await getDb(), async (q) => {
    await q(AUTH_STUB_SQL);
    assert.deepEqual(await runEach(q, sqlOf(linted.ws)), []);
  });
  // the first CREATE TABLE uses a type made after it: it fails (42704) and the second makes the table
  const typeLater = [
    { file: 'm/1.sql', text: "CREATE TABLE notes (id bigint PRIMARY KEY, kind note_kind);\nCREATE TYPE note_kind AS ENUM ('a', 'b');\n" },
    { file: 'm/2.sql', text: 'CREATE TABLE notes (id bigint PRIMARY KEY, kind note_kind);\n' },
  ];
  const later = lintFiles(typeLater, ID);
  assert.deepEqual(later.mine, []);
  await inRollback(await getDb(), async (q) => {
    assert.deepEqual(await runEach(q, sqlOf(later.ws)), ['42704 type "note_kind" does not exist']);
  });
  // a dump beside the migrations: the later table is taken, nothing reported
  const dump = [
    { file: 'supabase/migrations/1_notes.sql', text: TABLE },
    { file: 'supabase/schema.sql', text: 'CREATE TABLE notes (id bigint PRIMARY KEY, owner_id uuid NOT NULL, body text, shared boolean);\n' },
  ];
  assert.deepEqual(lintFiles(dump, ID).mine, []);
});

test("ok: left alone when the first CREATE TABLE's file has a statement PostgreSQL rejects: run in one transaction (the Supabase CLI), it made nothing, and the later file (the retry) makes the table", async () => {
  const broken = `${TABLE}INSERT INTO notes (body) VALUES ('it'\\''s');\n`;
  const files = [
    { file: 'supabase/migrations/20240101000000_notes.sql', text: broken },
    { file: 'supabase/migrations/20240101000100_notes_retry.sql', text: 'CREATE TABLE notes (id bigint PRIMARY KEY, owner_id uuid NOT NULL, body text, title text);\n' },
  ];
  const { mine, findings } = lintFiles(files, ID);
  assert.deepEqual(mine, []);
  assert.equal(findings.filter((f) => f.rule === 'syntax-error').length, 1);
  await inRollback(await getDb(), async (q) => {
    await q(AUTH_STUB_SQL);
    const codes = await runFilesInTransactions(q, files);
    assert.deepEqual(codes, ['42601', 'ok']);
    assert.deepEqual(await q(`SELECT count(*)::int AS n FROM information_schema.columns WHERE table_name = 'notes' AND column_name = 'title'`), [{ n: 1 }]);
  });
  // in one file, or with the first file sound, it is reported
  assert.equal(lintFiles([{ file: files[0]!.file, text: TABLE }, files[1]!], ID).mine.length, 1);
});

test('err: a type of its columns created again before the second CREATE TABLE (42710) does not make the first one fail: the first table stays, with its RLS (legaltech-mvp)', async () => {
  const first = "CREATE TYPE task_status AS ENUM ('open', 'done');\nCREATE TABLE tasks (id bigint PRIMARY KEY, owner_id uuid NOT NULL, status task_status NOT NULL DEFAULT 'open');\nALTER TABLE tasks ENABLE ROW LEVEL SECURITY;\n";
  const again = "CREATE TYPE task_status AS ENUM ('open', 'done');\nCREATE TABLE tasks (id bigint PRIMARY KEY, owner_id uuid NOT NULL, status task_status NOT NULL DEFAULT 'open');\n";
  const files = [
    { file: 'db/migrations/1_tasks.sql', text: first },
    { file: 'db/migrations/2_tasks_again.sql', text: again },
  ];
  const { ws, mine, findings } = lintFiles(files, ID);
  assert.equal(mine.length, 1);
  assert.equal(mine[0]!.file, 'db/migrations/2_tasks_again.sql');
  assert.equal(findings.filter((f) => f.rule === 'rls-not-enabled').length, 0, 'the first table, with RLS, is the one kept');
  await inRollback(await getDb(), async (q) => {
    assert.deepEqual(await runEach(q, sqlOf(ws)), ['42710 type "task_status" already exists', '42P07 relation "tasks" already exists']);
    assert.deepEqual(await q(`SELECT relrowsecurity FROM pg_class WHERE relname = 'tasks'`), [{ relrowsecurity: true }]);
  });
});

test('err: two names longer than 63 bytes that PostgreSQL cuts to the same 63: the message says so and offers no IF NOT EXISTS (it would skip the table meant); in a file the Supabase CLI skips, no "supabase db reset"', async () => {
  const long = (suffix: string) => `client_workflow_optimizations_history_views_history_views_history_${suffix}`;
  const files = [
    { file: 'supabase/migrations/20240101000000_a.sql', text: `CREATE TABLE ${long('alpha')} (id int PRIMARY KEY);\n` },
    { file: 'supabase/migrations/20240102000000_b.sql', text: `CREATE TABLE ${long('beta')} (id int PRIMARY KEY, note text);\n` },
  ];
  const { ws, mine } = lintFiles(files, ID);
  assert.equal(mine.length, 1);
  assert.match(mine[0]!.message, /^The table name client_workflow_\w+_beta is longer than 63 bytes: PostgreSQL truncates identifiers to 63 bytes \(NOTICE 42622\), to client_workflow_optimizations_history_views_history_views_histo,/);
  assert.deepEqual(mine[0]!.fixes, []);
  await inRollback(await getDb(), async (q) => {
    assert.deepEqual(await runEach(q, sqlOf(ws)), ['42P07 relation "client_workflow_optimizations_history_views_history_views_histo" already exists']);
  });
  // (not the same text: a skipped file that is a copy of an applied one is not replayed, snapshot.ts skippedCopies)
  const skipped = lintFiles([{ file: 'supabase/migrations/20240101000000_notes.sql', text: TABLE }, { file: 'supabase/migrations/20240102000000-again.sql', text: `-- again\n${TABLE}` }], ID).mine;
  assert.equal(skipped.length, 1);
  assert.doesNotMatch(skipped[0]!.message, /supabase db reset/);
});

test('err: a DO block whose only DROP is one of its own statements (DROP TRIGGER, replayed) beside an EXECUTE hides nothing: the table made again is reported (fit-pathway-organizer); a DROP in the EXECUTEd text still may', async () => {
  const trigger = (execute: string) => `CREATE TABLE people (id int);
CREATE FUNCTION touch() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RETURN NEW; END $$;
DO $$
BEGIN
  IF EXISTS (SELECT 1 FROM information_schema.triggers WHERE trigger_name = 'people_touch') THEN
    DROP TRIGGER people_touch ON people;
  END IF;
  EXECUTE '${execute}';
END $$;
`;
  const files = (execute: string) => [
    { file: 'db/migrations/1_notes.sql', text: TABLE },
    { file: 'db/migrations/2_trigger.sql', text: trigger(execute) },
    { file: 'db/migrations/3_notes_again.sql', text: 'CREATE TABLE notes (id bigint PRIMARY KEY, owner_id uuid NOT NULL, body text);\n' },
  ];
  const { ws, mine } = lintFiles(files('CREATE TRIGGER people_touch BEFORE INSERT ON people FOR EACH ROW EXECUTE FUNCTION touch()'), ID);
  assert.equal(mine.length, 1);
  await inRollback(await getDb(), async (q) => {
    await q(AUTH_STUB_SQL);
    assert.deepEqual(await runEach(q, sqlOf(ws)), ['42P07 relation "notes" already exists']);
  });
  assert.equal(lintFiles(files('DROP TABLE notes'), ID).mine.length, 0);
});

// fix63: "would stop here once that is fixed" overstated where another failure lies between (local-marketplace's security_boundaries.sql: line 6 fails, line 9 too)
test("err (message): a file failing twice before the CREATE TABLE says the tool stops before it, at the first, and here too once it gets this far, not 'once that is fixed' (PGlite: fixing line 1 still stops at line 2); a CREATE OR REPLACE it names has its signature in backticks, no nested parentheses", async () => {
  const first = 'CREATE TABLE notes (id bigint PRIMARY KEY, owner_id uuid NOT NULL);\nCREATE INDEX notes_owner ON notes (owner_id);\nCREATE FUNCTION note_count(u uuid) RETURNS int LANGUAGE sql AS $$ SELECT 1 $$;\n';
  const again = 'CREATE INDEX notes_owner ON notes (owner_id);\nCREATE OR REPLACE FUNCTION note_count(u uuid) RETURNS bigint LANGUAGE sql AS $$ SELECT 1::bigint $$;\nCREATE TABLE notes (id bigint PRIMARY KEY, owner_id uuid NOT NULL, body text);\n';
  const lint = (text: string) => lintFiles([{ file: 'db/migrations/1_notes.sql', text: first }, { file: 'db/migrations/2_again.sql', text }], ID).mine;
  const both = lint(again);
  assert.equal(both.length, 1);
  assert.doesNotMatch(both[0]!.message, /once that is fixed/);
  assert.match(both[0]!.message, /CI\) stops before it, at 2_again\.sql:1 \(CREATE INDEX notes_owner, which an earlier migration made: 42P07\), and here too once it gets this far, and the table keeps/);
  const fn = lint(again.replace('CREATE INDEX notes_owner ON notes (owner_id);\n', ''));
  assert.match(fn[0]!.message, /stops before it, at 2_again\.sql:1 \(a CREATE OR REPLACE of `[\w.]*note_count\(uuid\)` that changes the return type: 42P13\), and here too once it gets this far/);
  assert.equal(nestedParentheses(fn[0]!.message), undefined);
  await inRollback(await getDb(), async (q) => {
    await q(first);
    // (without the CREATE INDEX, line 1, a tool still stops at line 2)
    assert.deepEqual((await runEachStatement(q, again)).map((e) => e.code), ['42P07', '42P13', '42P07']);
  });
});

// Calibration cal104 (lunatic's data/schema.sql: `set search_path = data, public;` then
// `create table "uisetup"`, where an earlier file made public.uisetup): PostgreSQL creates an
// unqualified table in the first schema of the search_path that exists, not in the one already
// holding the name, so nothing fails. Only a schema listed first that does not exist sends it on.
test("ok: under SET search_path = data, public an unqualified CREATE TABLE of a name public has makes data's own table (PGlite: no 42P07, both tables); the model keeps both, with their own RLS; a first schema that does not exist still fails (42P07)", async () => {
  const publicFirst = { file: 'db/migrations/1_public.sql', text: 'CREATE TABLE uisetup (name text PRIMARY KEY);\n' };
  const inData = `CREATE SCHEMA data;
SET search_path = data, public;
CREATE TABLE "uisetup" (name varchar(64) PRIMARY KEY, details jsonb NOT NULL);
ALTER TABLE uisetup ENABLE ROW LEVEL SECURITY;
CREATE TABLE IF NOT EXISTS uisetup_log (id bigint PRIMARY KEY);
`;
  const files = [publicFirst, { file: 'db/migrations/2_data.sql', text: inData }];
  const { ws, findings, mine } = lintFiles(files, ID);
  assert.deepEqual(mine, []);
  // (the data table has RLS: rls-not-enabled names the public one only, where it is made)
  const notEnabled = findings.filter((f) => f.rule === 'rls-not-enabled');
  assert.deepEqual(notEnabled.map((f) => [f.file, /Table (\S+) /.exec(f.message)?.[1]]), [['db/migrations/1_public.sql', 'public.uisetup']]);
  assert.deepEqual(findings.filter((f) => f.rule === 'table-if-not-exists-skipped'), []);
  await inRollback(await getDb(), async (q) => {
    assert.deepEqual(await runEach(q, sqlOf(ws)), []);
    const made = await q(`SELECT n.nspname || '.' || c.relname AS t, c.relrowsecurity AS rls FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE c.relname = 'uisetup' ORDER BY 1`);
    assert.deepEqual(made, [{ t: 'data.uisetup', rls: true }, { t: 'public.uisetup', rls: false }]);
  });
  // a schema listed first that no statement makes: PostgreSQL skips it, the table exists in public
  const missing = inData.replace('CREATE SCHEMA data;\n', '').replace('data, public', 'nosuch, public');
  const skipped = lintFiles([publicFirst, { file: 'db/migrations/2_data.sql', text: missing }], ID);
  assert.equal(skipped.mine.length, 1);
  await inRollback(await getDb(), async (q) => {
    assert.deepEqual(await runEach(q, sqlOf(skipped.ws)), ['42P07 relation "uisetup" already exists']);
  });
});

// A schema listed first that the workspace never makes (no CREATE SCHEMA, nothing in it, never
// named elsewhere) does not exist: PostgreSQL skips it and creates an unqualified table, view or
// function in the first schema of the path that exists. A schema the migrations make only later
// (replay order) is skipped the same way until its CREATE SCHEMA. One the workspace names
// elsewhere without making it (made outside the migrations, or by dynamic SQL) stays where the
// migration puts it: the model cannot know it is missing.
test('ok: under SET search_path = data, public, with no schema data, an unqualified CREATE TABLE / VIEW makes public\'s (PGlite); data made only later counts from its CREATE SCHEMA on; a schema named elsewhere is kept', async () => {
  const text = `SET search_path = data, public;
CREATE TABLE notes (id int PRIMARY KEY, owner_id uuid);
CREATE VIEW notes_v AS SELECT id FROM notes;
ALTER TABLE public.notes ENABLE ROW LEVEL SECURITY;
CREATE POLICY own ON public.notes USING (owner_id = auth.uid());
`;
  const { ws, findings } = lintFiles([{ file: 'supabase/migrations/20250101000000_notes.sql', text }], ID);
  const model = ws.model();
  assert.deepEqual([...model.tables.keys()].filter((k) => k.endsWith('.notes')), ['public.notes']);
  assert.deepEqual([...model.views.keys()].filter((k) => k.endsWith('.notes_v')), ['public.notes_v']);
  assert.equal(model.tables.get('public.notes')?.rlsEnabled, true);
  assert.deepEqual(findings.filter((f) => f.rule === 'rls-not-enabled'), []);
  await inRollback(await getDb(), async (q) => {
    await q(AUTH_STUB_SQL);
    assert.deepEqual(await runEach(q, text), []);
    const made = await q(`SELECT n.nspname || '.' || c.relname AS t, c.relrowsecurity AS rls FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE c.relname IN ('notes', 'notes_v') ORDER BY 1`);
    assert.deepEqual(made, [{ t: 'public.notes', rls: true }, { t: 'public.notes_v', rls: false }]);
    assert.deepEqual(await q(`SELECT nspname FROM pg_namespace WHERE nspname = 'data'`), []);
  });
  // data made by a later migration: still public's here (PostgreSQL), data's after it
  const later = `SET search_path = data, public;\nCREATE SCHEMA data;\nCREATE TABLE later_t (id int);\n`;
  const two = lintFiles([{ file: 'db/migrations/1_notes.sql', text: text.replace(/ALTER TABLE[^]*$/, '') }, { file: 'db/migrations/2_data.sql', text: later }], ID);
  assert.deepEqual([...two.ws.model().tables.keys()].filter((k) => /\.(notes|later_t)$/.test(k)).sort(), ['data.later_t', 'public.notes']);
  await inRollback(await getDb(), async (q) => {
    assert.deepEqual(await runEach(q, sqlOf(two.ws)), []);
    const made = await q(`SELECT n.nspname || '.' || c.relname AS t FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE c.relname IN ('notes', 'later_t') ORDER BY 1`);
    assert.deepEqual(made.map((r) => r.t), ['data.later_t', 'public.notes']);
  });
  // data never made, but named elsewhere (a GRANT on it: made outside the migrations): kept in data
  const named = lintFiles([{ file: 'db/migrations/1_notes.sql', text: `${text.replace(/ALTER TABLE[^]*$/, '')}GRANT USAGE ON SCHEMA data TO PUBLIC;\n` }], ID);
  assert.deepEqual([...named.ws.model().tables.keys()].filter((k) => k.endsWith('.notes')), ['data.notes']);
});

// Functions are made in the same creation namespace: the first schema of the path that exists,
// not the first holding the name (keyOf), and not a schema the workspace never makes.
test('ok: under SET search_path = data, public a CREATE FUNCTION of an unqualified name is made in the first schema that exists (PGlite): public without schema data, data\'s own beside public\'s with it', async () => {
  const text = `SET search_path = data, public;
CREATE FUNCTION is_member() RETURNS boolean LANGUAGE sql STABLE AS $$ SELECT true $$;
`;
  const none = lintFiles([{ file: 'db/migrations/1_f.sql', text }], ID);
  assert.deepEqual([...none.ws.model().functions.keys()].filter((k) => k.endsWith('.is_member')), ['public.is_member']);
  const publicFirst = { file: 'db/migrations/1_public.sql', text: 'CREATE FUNCTION is_member() RETURNS boolean LANGUAGE sql STABLE AS $$ SELECT false $$;\n' };
  const both = lintFiles([publicFirst, { file: 'db/migrations/2_data.sql', text: `CREATE SCHEMA data;\n${text}` }], ID);
  assert.deepEqual([...both.ws.model().functions.keys()].filter((k) => k.endsWith('.is_member')).sort(), ['data.is_member', 'public.is_member']);
  await inRollback(await getDb(), async (q) => {
    assert.deepEqual(await runEach(q, sqlOf(none.ws)), []);
    const made = await q(`SELECT n.nspname || '.' || p.proname AS f FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace WHERE p.proname = 'is_member' ORDER BY 1`);
    assert.deepEqual(made.map((r) => r.f), ['public.is_member']);
  });
  await inRollback(await getDb(), async (q) => {
    assert.deepEqual(await runEach(q, sqlOf(both.ws)), []);
    const made = await q(`SELECT n.nspname || '.' || p.proname AS f, pg_get_functiondef(p.oid) ~ 'true' AS mine FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace WHERE p.proname = 'is_member' ORDER BY 1`);
    assert.deepEqual(made, [{ f: 'data.is_member', mine: true }, { f: 'public.is_member', mine: false }]);
  });
});

// Where a CREATE under a search_path puts the object depends on files replayed after it (a
// CREATE SCHEMA there, a file naming the schema): the editor's re-lint, which resumes from a state
// saved before the edited file, must not keep what an earlier text of a later file decided.
test('relint: an edit of a later file that names schema data, or of an earlier one that makes it, moves notes as a fresh lint does (and the policy\'s unqualified call with it)', () => {
  const notes = `SET search_path = data, public;\nCREATE TABLE notes (id int, owner_id uuid);\nALTER TABLE notes ENABLE ROW LEVEL SECURITY;\nCREATE POLICY p ON notes USING (owner_id = is_me());\n`;
  const ws = new Workspace(undefined, undefined, { editing: true });
  for (const [f, t] of Object.entries({ 'db/1_a.sql': 'CREATE TABLE a (id int);\n', 'db/2_notes.sql': notes, 'db/3_c.sql': 'CREATE TABLE c (id int);\n' })) ws.setFile(f, t);
  ws.lint();
  const where: string[] = [];
  const fn = (v: string) => `CREATE FUNCTION public.is_me() RETURNS uuid LANGUAGE sql ${v === 'public' ? 'STABLE' : 'VOLATILE'} AS $$ select null::uuid $$;\nCREATE SCHEMA data;\nCREATE FUNCTION data.is_me() RETURNS uuid LANGUAGE sql ${v === 'data' ? 'STABLE' : 'VOLATILE'} AS $$ select null::uuid $$;\n`;
  for (const [file, text] of [
    ['db/3_c.sql', 'GRANT USAGE ON SCHEMA data TO PUBLIC;\n'],
    ['db/3_c.sql', 'CREATE TABLE c (id int);\n'],
    ['db/1_a.sql', 'CREATE SCHEMA data;\n'],
    ['db/1_a.sql', 'CREATE TABLE a (id int);\n'],
    ['db/1_a.sql', fn('public')],
    ['db/1_a.sql', 'CREATE FUNCTION public.is_me() RETURNS uuid LANGUAGE sql STABLE AS $$ select null::uuid $$;\n'],
    ['db/1_a.sql', fn('data')],
  ] as const) {
    ws.setFile(file, text);
    assert.deepEqual(summary(ws), summary(fresh(ws)), `${file}: ${text}`);
    const perRow = [...ws.lint().byFile.values()].flat().filter((f) => f.rule === 'policy-per-row-function').length;
    where.push(`${[...ws.model().tables.keys()].filter((k) => k.endsWith('.notes'))} ${perRow}`);
  }
  assert.deepEqual(where, ['data.notes 0', 'public.notes 0', 'data.notes 0', 'public.notes 0', 'data.notes 0', 'public.notes 1', 'data.notes 1']);
});

// Calibration (walfro90-gorilla/donna-app: DATABASE_SCHEMA.sql and 2025-10-12_user_preferences_onboarding.sql
// in supabase_scripts/, run by hand): supabase db reset runs only supabase/migrations/<timestamp>_name.sql,
// so of files elsewhere the message names no supabase db reset.
test('ok (message): a table made again in files outside supabase/migrations/: no "supabase db reset"', () => {
  const { mine } = lintFiles([{ file: 'supabase_scripts/2025-10-12_notes.sql', text: TABLE }, { file: 'supabase_scripts/DATABASE_SCHEMA.sql', text: `-- again\n${TABLE}` }], ID);
  assert.equal(mine.length, 1);
  assert.doesNotMatch(mine[0]!.message, /supabase db reset/);
  assert.match(mine[0]!.message, /\(a new database, CI\)/);
});

// Calibration (cal206: victordoui/app.regua, a barbershop booking app): its first migration,
// 20250723234238-dc1e….sql (an app generator's name, a hyphen where the CLI wants `_`), makes clients;
// 20250825123641_a8eb….sql makes it again with user_id. The hosted project that applied both stops
// there (42P07), but the Supabase CLI skips the first file, so supabase db reset makes the table at
// the second, with user_id: the message says both.
test("err (message): the table made first in a migration the Supabase CLI skips: 42P07 where that file ran, and the CLI's supabase db reset makes the table here instead", () => {
  const first = 'CREATE TABLE public.clients (id uuid PRIMARY KEY, name text NOT NULL);';
  const again = 'CREATE TABLE public.clients (id uuid PRIMARY KEY, user_id uuid NOT NULL, name text NOT NULL);';
  const { mine } = lintFiles([
    { file: 'supabase/migrations/20250723234238-dc1e70d4-f66b-4462-9d9e-7c789177c070.sql', text: first },
    { file: 'supabase/migrations/20250825123641_a8eb17ce-e055-48e3-8f03-5c1b563d0993.sql', text: again },
  ], ID);
  assert.equal(mine.length, 1);
  const m = mine[0]!.message;
  assert.match(m, /Where that migration ran \(a hosted project that applied it, or a tool that runs every file\): PostgreSQL rejects this CREATE TABLE with 42P07/);
  assert.ok(m.includes('The Supabase CLI, though, skips 20250723234238-dc1e70d4-f66b-4462-9d9e-7c789177c070.sql (its name is not <timestamp>_name.sql: supabase-migration-skipped), so supabase db reset makes the table here, as written'), m);
  // (both applied by the CLI: no such note)
  const both = lintFiles([
    { file: 'supabase/migrations/20250723234238_first.sql', text: first },
    { file: 'supabase/migrations/20250825123641_again.sql', text: again },
  ], ID).mine;
  assert.equal(both.length, 1);
  assert.doesNotMatch(both[0]!.message, /Where that migration ran|The Supabase CLI, though/);
  assert.match(both[0]!.message, /\(a new database, supabase db reset, CI\)/);
});
