// file-not-replayed on PostgreSQL (PGlite): a schema snapshot beside the migrations (schema.sql,
// a pg_dump), run after them, fails at its CREATE TABLE (42P07) and CREATE POLICY (42710); a copy
// of a migrations folder, run after the original, fails the same way. The model leaves both out
// and the note says so on the file, naming the statement PostgreSQL rejects and the migration
// that made the object first. A baseline dump that comes first, and a dump-like migration
// PostgreSQL runs after them (IF NOT EXISTS, changing what they left), are replayed: no note.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { closeAll, getDb, inRollback, runEachStatement, tryQuery } from '../helpers/pg.js';
import { findingsOf, initParser, invalidFinding, lintFiles, textAt, validExampleRuns } from '../helpers/rule-proof.js';
import { AUTH_STUB_SQL } from '../helpers/supabase.js';
import { notReplayedReason } from '../../server/src/analysis/model.js';

const ID = 'file-not-replayed';
before(initParser);
after(closeAll);

const NOTES = `CREATE TABLE notes (id bigint PRIMARY KEY, owner_id uuid NOT NULL, body text);
CREATE INDEX ON notes (owner_id);
ALTER TABLE notes ENABLE ROW LEVEL SECURITY;
ALTER TABLE notes FORCE ROW LEVEL SECURITY;
CREATE POLICY notes_owner ON notes FOR ALL TO authenticated
  USING (owner_id = (select auth.uid())) WITH CHECK (owner_id = (select auth.uid()));
`;
const TAGS = `CREATE TABLE tags (id bigint PRIMARY KEY, name text);
ALTER TABLE tags ENABLE ROW LEVEL SECURITY;
ALTER TABLE tags FORCE ROW LEVEL SECURITY;
`;

/** The errors of running `before` then `after`, each statement on its own (as psql without ON_ERROR_STOP). */
async function errorsOfRunning(first: string, then: string): Promise<string[]> {
  let out: string[] = [];
  await inRollback(await getDb(), async (q) => {
    await q(AUTH_STUB_SQL);
    assert.deepEqual(await runEachStatement(q, first), [], 'the migrations run');
    out = (await runEachStatement(q, then)).map((e) => `${e.code} ${e.message}`);
  });
  return out;
}

test('err: a schema.sql snapshot after the migrations: 42P07 at its CREATE TABLE and 42710 at its CREATE POLICY; left out, and said on the file', async () => {
  const { ws, finding, ex } = invalidFinding(ID, 0);
  assert.equal(finding.file, 'db/schema.sql');
  assert.match(textAt(ws, finding), /^CREATE TABLE public\.notes \(/);
  assert.match(finding.message, /^pg-rls-lint does not replay schema\.sql: it re-makes what the migrations before it make, as a schema snapshot does/);
  assert.match(finding.message, /run after them, its CREATE TABLE public\.notes fails \(42P07: relation "notes" already exists: 0001_notes\.sql:1 makes it\)/);
  assert.deepEqual(finding.related?.map((r) => [r.file, r.message]), [['db/schema.sql', '42P07 here: public.notes already exists']]);
  const [migration, snapshot] = ex.files;
  assert.deepEqual(await errorsOfRunning(migration!.text, snapshot!.text), ['42P07 relation "notes" already exists', '42710 policy "notes_owner" for table "notes" already exists']);
  // (left out: its policy is not linted a second time, nor its table reported as not forced)
  assert.deepEqual(
    lintFiles(ex.files, ID).findings.filter((f) => f.file === 'db/schema.sql').map((f) => f.rule),
    [ID],
  );
});

test('err: a snapshot whose tables are all made IF NOT EXISTS and that changes nothing: the note names its CREATE POLICY (42710)', async () => {
  const files = [
    { file: 'db/migrations/0001_notes.sql', text: NOTES },
    { file: 'db/migrations/0002_tags.sql', text: TAGS },
    {
      file: 'db/structure.sql',
      text: `CREATE TABLE IF NOT EXISTS public.notes (id bigint NOT NULL, owner_id uuid NOT NULL, body text);
CREATE TABLE IF NOT EXISTS public.tags (id bigint NOT NULL, name text);
CREATE POLICY notes_owner ON public.notes TO authenticated USING ((owner_id = ( SELECT auth.uid() AS uid)));
`,
    },
  ];
  const { mine } = lintFiles(files, ID);
  assert.equal(mine.length, 1);
  assert.match(mine[0]!.message, /its CREATE POLICY "notes_owner" ON public\.notes fails \(42710: policy "notes_owner" for table "notes" already exists: 0001_notes\.sql:5 makes it\)/);
  assert.deepEqual(await errorsOfRunning(NOTES + TAGS, files[2]!.text), ['42710 policy "notes_owner" for table "notes" already exists']);
});

test('err: a copy of a migrations folder: left out, the note names the original; run after it, the copy fails (42P07)', async () => {
  const files = [
    { file: 'db/migrations/20240101000000_notes.sql', text: NOTES },
    { file: 'db/migrations/20240102000000_tags.sql', text: TAGS },
    { file: 'db/migrations/20240103000000_more.sql', text: 'CREATE TABLE more_notes (id bigint PRIMARY KEY);\nALTER TABLE more_notes ENABLE ROW LEVEL SECURITY;\nALTER TABLE more_notes FORCE ROW LEVEL SECURITY;\n' },
    { file: 'docker/migrations/20240101000000_notes.sql', text: NOTES },
    { file: 'docker/migrations/20240102000000_tags.sql', text: TAGS },
  ];
  const { mine } = lintFiles(files, ID);
  // (the folder holding the most files is the one replayed)
  assert.deepEqual(mine.map((f) => f.file), ['docker/migrations/20240101000000_notes.sql', 'docker/migrations/20240102000000_tags.sql']);
  assert.match(mine[0]!.message, /^pg-rls-lint does not replay docker\/migrations\/20240101000000_notes\.sql: it is a copy of db\/migrations\/20240101000000_notes\.sql \(the same name and text/);
  assert.match(mine[0]!.message, /run after it, its CREATE TABLE notes fails \(42P07: relation "notes" already exists: db\/migrations\/20240101000000_notes\.sql:1 makes it\)\. Its statements are linted in db\/migrations\/20240101000000_notes\.sql\./);
  assert.deepEqual(await errorsOfRunning(NOTES, NOTES), ['42P07 relation "notes" already exists', '42710 policy "notes_owner" for table "notes" already exists']);
  // (each finding of the original is reported once, on the original)
  const all = lintFiles(files, 'rls-not-forced').findings;
  assert.equal(all.filter((f) => f.file.startsWith('docker/') && f.rule !== ID).length, 0);
});

test('err: a hand-run migrations folder converted for the Supabase CLI (new version prefixes, a header comment, the same statements): the old folder is a copy, left out; run after the converted files, it fails (42P07)', async () => {
  const header = (from: string) => `-- Adopted from legacy hand-run migration: ${from}\n-- STATUS: part of the baseline.\n\n`;
  const files = [
    { file: 'platform/src/lib/migrations/004_notes.sql', text: NOTES },
    { file: 'platform/src/lib/migrations/2026_07_05_tags.sql', text: TAGS },
    { file: 'platform/src/lib/migrations/2026_07_06_docs.sql', text: 'CREATE TABLE docs (id bigint PRIMARY KEY);\n' },
    { file: 'supabase/migrations/20260309195434_notes.sql', text: header('004_notes.sql') + NOTES },
    { file: 'supabase/migrations/20260705141328_tags.sql', text: header('2026_07_05_tags.sql') + TAGS },
    // (the same name after its version, other statements: a migration of its own)
    { file: 'supabase/migrations/20260706000000_docs.sql', text: 'CREATE TABLE IF NOT EXISTS docs (id bigint PRIMARY KEY, body text);\n' },
    { file: 'supabase/migrations/20260801000000_more.sql', text: 'CREATE TABLE more_notes (id bigint PRIMARY KEY);\nALTER TABLE more_notes ENABLE ROW LEVEL SECURITY;\n' },
  ];
  const { mine } = lintFiles(files, ID);
  assert.deepEqual(mine.map((f) => f.file), ['platform/src/lib/migrations/004_notes.sql', 'platform/src/lib/migrations/2026_07_05_tags.sql']);
  assert.match(mine[0]!.message, /^pg-rls-lint does not replay 004_notes\.sql: it is a copy of 20260309195434_notes\.sql \(the same statements under the same name after its version, in a folder holding copies/);
  assert.match(mine[0]!.message, /Its statements are linted in 20260309195434_notes\.sql\./);
  // (the converted files run after the hand-run ones in path order: what PostgreSQL says of the old file run after its copy)
  assert.deepEqual(await errorsOfRunning(header('004_notes.sql') + NOTES, NOTES), ['42P07 relation "notes" already exists', '42710 policy "notes_owner" for table "notes" already exists']);
  // (a finding of the migration is reported once, on the file the Supabase CLI applies)
  const empty = lintFiles(files, 'rls-enabled-without-policy').mine;
  assert.deepEqual(empty.map((f) => f.file), ['supabase/migrations/20260705141328_tags.sql', 'supabase/migrations/20260801000000_more.sql']);
});

test("err: hand-run scripts copied into the Supabase CLI's migrations: the copy the CLI applies is the one replayed, though the scripts' folder holds more files", () => {
  const files = [
    { file: 'db/migrations/001_docs.sql', text: 'CREATE TABLE docs (id bigint PRIMARY KEY);\n' },
    { file: 'db/migrations/002_more.sql', text: 'CREATE TABLE more_docs (id bigint PRIMARY KEY);\n' },
    { file: 'db/migrations/026_notes.sql', text: NOTES },
    { file: 'db/migrations/038_tags.sql', text: TAGS },
    { file: 'supabase/migrations/20260117142751_notes.sql', text: `-- copied from db/migrations/026_notes.sql\n${NOTES}` },
    { file: 'supabase/migrations/20260117200000_tags.sql', text: `-- copied from db/migrations/038_tags.sql\n${TAGS}` },
    // (a migration of the CLI's altering a table the scripts make: one database)
    { file: 'supabase/migrations/20260118000000_docs_body.sql', text: 'ALTER TABLE docs ADD COLUMN body text;\n' },
  ];
  const { mine } = lintFiles(files, ID);
  assert.deepEqual(mine.map((f) => f.file), ['db/migrations/026_notes.sql', 'db/migrations/038_tags.sql']);
  assert.match(mine[1]!.message, /^pg-rls-lint does not replay 038_tags\.sql: it is a copy of 20260117200000_tags\.sql \(the same statements under the same name after its version/);
  assert.deepEqual(lintFiles(files, 'rls-enabled-without-policy').mine.map((f) => f.file), ['supabase/migrations/20260117200000_tags.sql']);
});

test("err: a pg_dump of the schema written after the migrations (graphile-migrate's afterAllMigrations) that re-makes the tables of a baseline dump the migrations start from: left out, the note names the baseline; run after them, 42P07", async () => {
  const header = '--\n-- PostgreSQL database dump\n--\n\nSET statement_timeout = 0;\nSELECT pg_catalog.set_config(\'search_path\', \'\', false);\n\n';
  const docs = 'CREATE TABLE public.docs (id bigint NOT NULL, owner_id uuid NOT NULL);\n';
  const baseline = `${header}CREATE TABLE public.notes (id bigint NOT NULL, owner_id uuid NOT NULL, body text);\n${docs}ALTER TABLE public.notes ENABLE ROW LEVEL SECURITY;\nCREATE POLICY notes_owner ON public.notes TO authenticated USING ((owner_id = ( SELECT auth.uid() AS uid)));\n`;
  const files = [
    { file: 'migrations/000_baseline.sql', text: baseline },
    { file: 'migrations/001_tags.sql', text: TAGS },
    // (the dump of all three: two of its tables come from the baseline, a dump too, one from a migration)
    { file: 'migrations/schema_dump.sql', text: `${baseline}CREATE TABLE public.tags (id bigint NOT NULL, name text);\nALTER TABLE public.tags ENABLE ROW LEVEL SECURITY;\nALTER TABLE public.tags FORCE ROW LEVEL SECURITY;\n` },
  ];
  const { ws, mine } = lintFiles(files, ID);
  assert.deepEqual(mine.map((f) => f.file), ['migrations/schema_dump.sql']);
  assert.match(mine[0]!.message, /run after them, its CREATE TABLE public\.notes fails \(42P07: relation "notes" already exists: 000_baseline\.sql:\d+ makes it\)/);
  // (not replayed: no table-already-exists or policy-already-exists on it; the baseline is replayed, notes has RLS and its policy)
  assert.deepEqual(findingsOf(ws, 'table-already-exists'), []);
  assert.deepEqual(findingsOf(ws, 'policy-already-exists'), []);
  assert.equal(ws.model().tables.get('public.notes')?.rlsEnabled, true);
  assert.deepEqual(findingsOf(ws, 'rls-not-enabled').map((f) => f.message.match(/Table (\S+)/)?.[1]), ['public.docs']);
  assert.deepEqual((await errorsOfRunning(`${baseline}RESET search_path;\n${TAGS}`, files[2]!.text)).slice(0, 3), [
    '42P07 relation "notes" already exists',
    '42P07 relation "docs" already exists',
    '42710 policy "notes_owner" for table "notes" already exists',
  ]);
});

test('ok: a baseline dump first is replayed (no note), and the Valid example runs', async () => {
  await validExampleRuns(ID, 0);
});

test('ok: a dump-like migration PostgreSQL runs after the migrations and that changes what they left is replayed: no note', () => {
  const files = [
    { file: 'db/migrations/0001_notes.sql', text: 'CREATE TABLE notes (id bigint PRIMARY KEY, owner_id uuid NOT NULL, body text);\nCREATE TABLE tags (id bigint PRIMARY KEY);\nCREATE TABLE more_notes (id bigint PRIMARY KEY);\n' },
    {
      file: 'db/migrations/0002_rls.sql',
      text: `SET statement_timeout = 0;
SELECT pg_catalog.set_config('search_path', '', false);
CREATE TABLE IF NOT EXISTS public.notes (id bigint NOT NULL, owner_id uuid NOT NULL, body text);
CREATE TABLE IF NOT EXISTS public.tags (id bigint NOT NULL);
CREATE TABLE IF NOT EXISTS public.more_notes (id bigint NOT NULL);
ALTER TABLE public.notes ENABLE ROW LEVEL SECURITY;
`,
    },
  ];
  const { ws, mine } = lintFiles(files, ID);
  assert.deepEqual(mine, []);
  // (replayed: its ENABLE counts, so notes is reported as not forced, not as never enabled)
  assert.deepEqual(findingsOf(ws, 'rls-not-enabled').map((f) => textAt(ws, f)), ['tags', 'more_notes']);
});

test('ok: an idempotent baseline migration after the migrations (pg_dump preamble, tables IF NOT EXISTS, DROP POLICY IF EXISTS before each CREATE POLICY) that adds a policy is replayed: no note, and its policy counts; PGlite runs it after them without error', async () => {
  const members = `CREATE TABLE public.members (org_id uuid NOT NULL, user_id uuid NOT NULL);
ALTER TABLE public.members ENABLE ROW LEVEL SECURITY;
CREATE POLICY members_select ON public.members FOR SELECT TO authenticated USING (user_id = (select auth.uid()));
CREATE TABLE public.docs (id bigint PRIMARY KEY, org_id uuid NOT NULL);
ALTER TABLE public.docs ENABLE ROW LEVEL SECURITY;
GRANT SELECT ON public.members, public.docs TO authenticated;
`;
  const baseline = `SET statement_timeout = 0;
SELECT pg_catalog.set_config('search_path', '', false);
CREATE TABLE IF NOT EXISTS "public"."members" ("org_id" uuid NOT NULL, "user_id" uuid NOT NULL);
CREATE TABLE IF NOT EXISTS "public"."docs" ("id" bigint NOT NULL, "org_id" uuid NOT NULL);
DROP POLICY IF EXISTS "members_select" ON "public"."members";
CREATE POLICY "members_select" ON "public"."members" FOR SELECT TO "authenticated" USING (("user_id" = ( SELECT "auth"."uid"() AS "uid")));
DROP POLICY IF EXISTS "docs_select" ON "public"."docs";
CREATE POLICY "docs_select" ON "public"."docs" FOR SELECT TO "authenticated" USING ((EXISTS ( SELECT 1 FROM "public"."members" "m" WHERE (("m"."org_id" = "docs"."org_id") AND ("m"."user_id" = ( SELECT "auth"."uid"() AS "uid"))))));
`;
  const files = [
    { file: 'supabase/migrations/20250101000000_init.sql', text: members },
    { file: 'supabase/migrations/20250201000000_baseline.sql', text: baseline },
  ];
  const { ws, mine } = lintFiles(files, ID);
  assert.deepEqual(mine, []);
  // (replayed: docs has the baseline's policy, not "RLS enabled without policy")
  assert.deepEqual(ws.model().tables.get('public.docs')?.policies.map((p) => p.name), ['docs_select']);
  assert.deepEqual(findingsOf(ws, 'rls-enabled-without-policy'), []);
  assert.deepEqual(await errorsOfRunning(members, baseline), []);
  // (a snapshot that drops and makes again only the policies the migrations made, and adds
  // nothing, is still left out; but its CREATE POLICY is not said to fail with 42710)
  const again = baseline.slice(0, baseline.indexOf('DROP POLICY IF EXISTS "docs_select"'));
  const snap = lintFiles([files[0]!, { file: 'supabase/migrations/20250201000000_baseline.sql', text: again }], ID).mine;
  assert.equal(snap.length, 1);
  assert.doesNotMatch(snap[0]!.message, /42710/);
  assert.deepEqual(await errorsOfRunning(members, again), []);
});

test("ok: migrations copied into a folder inside supabase/migrations/ (inpersonmarketplace's applied/, the larger of the two): the copies the CLI applies are replayed, the archived ones are not, and no note; PGlite: the CLI's files alone enable RLS on notes and make tags", async () => {
  const rls = 'ALTER TABLE public.notes ENABLE ROW LEVEL SECURITY;\n';
  const tags = 'CREATE TABLE public.tags (id int PRIMARY KEY);\n';
  const files = [
    { file: 'supabase/migrations/20260101_001_notes.sql', text: 'CREATE TABLE public.notes (id int PRIMARY KEY, owner uuid);\n' },
    { file: 'supabase/migrations/20260102_002_rls.sql', text: rls },
    { file: 'supabase/migrations/20260103_003_tags.sql', text: tags },
    { file: 'supabase/migrations/applied/20260102_002_rls.sql', text: rls },
    { file: 'supabase/migrations/applied/20260103_003_tags.sql', text: tags },
    { file: 'supabase/migrations/applied/20260104_004_a.sql', text: 'SELECT 1;\n' },
    { file: 'supabase/migrations/applied/20260105_005_b.sql', text: 'SELECT 2;\n' },
  ];
  const { ws, mine } = lintFiles(files, ID);
  assert.deepEqual(mine, []);
  const model = ws.model();
  assert.equal(model.tables.get('public.notes')?.rlsEnabled, true);
  assert.ok(model.tables.get('public.tags'));
  assert.deepEqual(findingsOf(ws, 'rls-not-enabled').map((f) => f.message.match(/Table (\S+)/)?.[1]), ['public.tags']);
  await inRollback(await getDb(), async (q) => {
    // (what supabase db reset applies: the files right in supabase/migrations/, in name order)
    for (const f of files.filter((x) => !x.file.includes('/applied/'))) await q(f.text);
    assert.deepEqual(await q(`SELECT relname, relrowsecurity FROM pg_class WHERE relname IN ('notes', 'tags') ORDER BY 1`), [
      { relname: 'notes', relrowsecurity: true },
      { relname: 'tags', relrowsecurity: false },
    ]);
  });
});

test("ok: a pg_dump --clean style baseline after the migrations (DROP POLICY / DROP TABLE IF EXISTS before each CREATE) that adds a policy is replayed: no note; PGlite runs it after them without error. One that adds nothing is left out, its note claiming no 42P07; a DROP TABLE another table's policy still depends on fails (2BP01) and the CREATE TABLE then fails with 42P07, as the note says; with CASCADE it drops that policy too", async () => {
  const init = `CREATE TABLE public.members (org_id uuid NOT NULL, user_id uuid NOT NULL);
ALTER TABLE public.members ENABLE ROW LEVEL SECURITY;
CREATE POLICY members_select ON public.members FOR SELECT TO authenticated USING (user_id = (select auth.uid()));
CREATE TABLE public.docs (id bigint PRIMARY KEY, org_id uuid NOT NULL);
ALTER TABLE public.docs ENABLE ROW LEVEL SECURITY;
CREATE POLICY docs_select ON public.docs FOR SELECT TO authenticated USING (EXISTS (SELECT 1 FROM public.members m WHERE m.org_id = docs.org_id AND m.user_id = (select auth.uid())));
GRANT SELECT ON public.members, public.docs TO authenticated;
`;
  const drops = `SET statement_timeout = 0;
SELECT pg_catalog.set_config('search_path', '', false);
DROP POLICY IF EXISTS "docs_select" ON "public"."docs";
DROP POLICY IF EXISTS "members_select" ON "public"."members";
DROP TABLE IF EXISTS "public"."docs";
DROP TABLE IF EXISTS "public"."members";
`;
  const makes = `CREATE TABLE "public"."members" ("org_id" uuid NOT NULL, "user_id" uuid NOT NULL);
CREATE TABLE "public"."docs" ("id" bigint NOT NULL, "org_id" uuid NOT NULL);
ALTER TABLE "public"."members" ENABLE ROW LEVEL SECURITY;
ALTER TABLE "public"."docs" ENABLE ROW LEVEL SECURITY;
CREATE POLICY "members_select" ON "public"."members" FOR SELECT TO "authenticated" USING (("user_id" = ( SELECT "auth"."uid"() AS "uid")));
CREATE POLICY "docs_select" ON "public"."docs" FOR SELECT TO "authenticated" USING ((EXISTS ( SELECT 1 FROM "public"."members" "m" WHERE (("m"."org_id" = "docs"."org_id") AND ("m"."user_id" = ( SELECT "auth"."uid"() AS "uid"))))));
GRANT SELECT ON "public"."members", "public"."docs" TO "authenticated";
`;
  const adds = `CREATE POLICY "docs_insert" ON "public"."docs" FOR INSERT TO "authenticated" WITH CHECK ((EXISTS ( SELECT 1 FROM "public"."members" "m" WHERE (("m"."org_id" = "docs"."org_id") AND ("m"."user_id" = ( SELECT "auth"."uid"() AS "uid"))))));
`;
  const lint = (text: string) => lintFiles([
    { file: 'supabase/migrations/20250101000000_init.sql', text: init },
    { file: 'supabase/migrations/20250201000000_baseline.sql', text },
  ], ID);
  // (replayed: docs has the baseline's policies, the model's tables are its)
  const clean = drops + makes + adds;
  const { ws, mine } = lint(clean);
  assert.deepEqual(mine, []);
  assert.deepEqual(ws.model().tables.get('public.docs')?.policies.map((p) => [p.name, p.created.file]), [['docs_select', 'supabase/migrations/20250201000000_baseline.sql'], ['docs_insert', 'supabase/migrations/20250201000000_baseline.sql']]);
  assert.deepEqual(await errorsOfRunning(init, clean), []);
  // (the same adding nothing: a snapshot still, but no 42P07 nor 42710 claimed; PGlite runs it)
  const snap = lint(drops + makes).mine;
  assert.equal(snap.length, 1);
  assert.doesNotMatch(snap[0]!.message, /42P07|42710/);
  assert.deepEqual(await errorsOfRunning(init, drops + makes), []);
  // (it drops members but not docs_select, which reads it: the DROP fails, members stays, the CREATE TABLE fails with 42P07)
  const blocked = drops.replace(/DROP POLICY IF EXISTS "docs_select"[^\n]*\n/, '').replace(/DROP TABLE IF EXISTS "public"\."docs";\n/, '') + makes.replace(/CREATE TABLE "public"\."docs"[^\n]*\n/, '').replace(/CREATE POLICY "docs_select"[^\n]*\n/, '');
  const stuck = lint(blocked).mine;
  assert.equal(stuck.length, 1);
  assert.match(stuck[0]!.message, /its CREATE TABLE public\.members fails \(42P07: relation "members" already exists: 20250101000000_init\.sql:1 makes it\)/);
  const errors = await errorsOfRunning(init, blocked);
  assert.deepEqual(errors.map((e) => e.slice(0, 5)), ['2BP01', '42P07']);
  assert.match(errors[0]!, /cannot drop table public\.members because other objects depend on it/);
  // (with CASCADE: docs_select goes with members, and is made again without 42710)
  const cascade = `DROP TABLE IF EXISTS public.members CASCADE;\n${makes}${adds}`;
  assert.deepEqual(lint(cascade.replace(/CREATE TABLE "public"\."docs"[^\n]*\n/, '')).mine, []);
  assert.deepEqual(await errorsOfRunning(init, cascade.replace(/CREATE TABLE "public"\."docs"[^\n]*\n/, '')), []);
});

// Regression check of stop 57: the DROPs of rollback sections and files (a goose Down, dbmate's
// migrate:down, tern's drop-below half, sqitch revert/ and postgrator .undo. files) never run, so
// they do not make a schema snapshot after them look like it makes its tables again.
test('ok: a DROP in a goose Down section does not count: schema.sql re-making the Up\'s table is still not replayed; PGlite: the Up then schema.sql fails with 42P07', async () => {
  const up = 'CREATE TABLE t (id int PRIMARY KEY, owner text);\nALTER TABLE t ENABLE ROW LEVEL SECURITY;\nCREATE POLICY p ON t FOR SELECT USING (owner = current_user);\n';
  const migration = `-- +goose Up\n${up}-- +goose Down\nDROP TABLE t;\n`;
  const dump = up.replace(/\bt\b/g, 'public.t');
  for (const files of [
    [{ file: 'db/migrations/00001_init.sql', text: migration }, { file: 'db/schema.sql', text: dump }],
    [{ file: 'db/migrations/20240101000000_init.sql', text: `-- migrate:up\n${up}-- migrate:down\nDROP TABLE t;\n` }, { file: 'db/schema.sql', text: dump }],
    [{ file: 'migrations/001.do.init.sql', text: up }, { file: 'migrations/001.undo.init.sql', text: 'DROP TABLE t;\n' }, { file: 'schema.sql', text: dump }],
  ]) {
    const { mine } = lintFiles(files, ID);
    assert.deepEqual(mine.map((f) => f.file), [files[files.length - 1]!.file], files[0]!.file);
  }
  await inRollback(await getDb(), async (q) => {
    await q(migration.split('-- +goose Down')[0]!);
    const r = await tryQuery(q, dump);
    assert.equal(r.ok ? 'ran' : r.error.code, '42P07');
  });
});

test("ok: a Hasura / nhost migration (<version>_<name>/up.sql and down.sql) repeating an earlier version's files is a migration of its own, not a copy: hasura migrate apply runs both, in version order", async () => {
  // (aelmamclinic's nhost/migrations/default/20260102172446_fix_my_account_id_rpc_account_id_clean/, the up.sql and
  // down.sql of 20260102172058_fix_my_account_id_rpc_account_id/ again: Hasura applies each version folder once, so
  // both run, and the second one's CREATE OR REPLACE sets back what a version between them changed)
  const safe = `CREATE OR REPLACE FUNCTION public.my_account_id() RETURNS uuid
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp
AS $$ SELECT account_id FROM public.account_users WHERE user_uid = nullif(current_setting('hasura.user', true), '')::uuid LIMIT 1 $$;
`;
  const down = 'DROP FUNCTION IF EXISTS public.my_account_id();\n';
  const dir = 'nhost/migrations/default';
  const files = [
    { file: `${dir}/20260101000000_accounts/up.sql`, text: 'CREATE TABLE public.account_users (account_id uuid NOT NULL, user_uid uuid NOT NULL);\n' },
    { file: `${dir}/20260101000000_accounts/down.sql`, text: 'DROP TABLE public.account_users;\n' },
    { file: `${dir}/20260102172058_fix_my_account_id/up.sql`, text: safe },
    { file: `${dir}/20260102172058_fix_my_account_id/down.sql`, text: down },
    // (a version between them drops the SET clause)
    { file: `${dir}/20260102172300_my_account_id_no_path/up.sql`, text: safe.replace(' SET search_path = public, pg_temp', '') },
    { file: `${dir}/20260102172300_my_account_id_no_path/down.sql`, text: down },
    { file: `${dir}/20260102172446_fix_my_account_id_clean/up.sql`, text: safe },
    { file: `${dir}/20260102172446_fix_my_account_id_clean/down.sql`, text: down },
  ];
  const { ws, mine } = lintFiles(files, ID);
  assert.deepEqual(mine, [], 'no version folder is taken for a copy of another');
  // (the third version is replayed: the function has its SET search_path again, as on PostgreSQL)
  assert.deepEqual(ws.model().functions.get('public.my_account_id')?.map((f) => f.created.file), [`${dir}/20260102172446_fix_my_account_id_clean/up.sql`]);
  assert.deepEqual(findingsOf(ws, 'definer-search-path-missing'), []);
  let config: unknown;
  await inRollback(await getDb(), async (q) => {
    for (const f of files.filter((x) => x.file.endsWith('/up.sql'))) assert.deepEqual(await runEachStatement(q, f.text), [], f.file);
    config = (await q("SELECT proconfig FROM pg_proc WHERE proname = 'my_account_id'"))[0]?.proconfig;
  });
  assert.deepEqual(config, ['search_path=public, pg_temp']);
  // (a copy of such a folder elsewhere — the same version folder under another parent, a Docker build
  // context's — is still a copy; its down.sql, which no apply runs, copy or not, is left out as a rollback
  // file without this note)
  const copy = lintFiles([...files, ...files.slice(2, 4).map((f) => ({ file: `docker/${f.file}`, text: f.text }))], ID).mine;
  assert.deepEqual(copy.map((f) => f.file), [`docker/${dir}/20260102172058_fix_my_account_id/up.sql`]);
  // (under a folder named as an archive, backup/, it is left out as kept for reference: no note of a copy)
  const backup = lintFiles([...files, ...files.slice(2, 4).map((f) => ({ file: `backup/${f.file}`, text: f.text }))], ID);
  assert.deepEqual(backup.mine, []);
  assert.match(notReplayedReason(backup.ws.parsed(`backup/${dir}/20260102172058_fix_my_account_id/up.sql`)!) ?? '', /^in a folder named as an archive/);
});

test("err: a pg_dump whose tables the migrations make under other names and rename (useVenice/venice's apps/web/schema.sql: account renamed raw_account, institution renamed integration) is a snapshot: left out, its note names the first CREATE TABLE PostgreSQL rejects — the renamed table's, not one whose name a rename freed; PGlite agrees", async () => {
  const DUMP = '--\n-- PostgreSQL database dump\n--\n\nSET check_function_bodies = false;\n';
  const migrations = [
    { file: 'apps/web/migrations/1_create-table.sql', text: 'CREATE TABLE public.account (id text PRIMARY KEY);\nCREATE TABLE public.connection (id text PRIMARY KEY);\nCREATE TABLE public.institution (id text PRIMARY KEY);\nCREATE TABLE public.pipeline (id text PRIMARY KEY);\n' },
    { file: 'apps/web/migrations/2023-01-25_rename_to_raw.sql', text: 'ALTER TABLE public.account RENAME TO raw_account;\nALTER TABLE public.connection RENAME TO resource;\n' },
    { file: 'apps/web/migrations/2023-11-21_institution_to_integration.sql', text: 'ALTER TABLE institution RENAME TO integration;\n' },
  ];
  // (the dump: the migrator's own table first, then an older name a rename freed, then the renamed tables)
  const dump = `${DUMP}CREATE TABLE public._migrations (name text NOT NULL);\nCREATE TABLE public.institution (id text NOT NULL);\nCREATE TABLE public.raw_account (id text NOT NULL);\nCREATE TABLE public.resource (id text NOT NULL);\nCREATE TABLE public.pipeline (id text NOT NULL);\nALTER TABLE public.resource ENABLE ROW LEVEL SECURITY;\nCREATE POLICY dump_only ON public.resource USING (true);\n`;
  const files = [...migrations, { file: 'apps/web/schema.sql', text: dump }];
  const { mine, findings } = lintFiles(files, ID);
  assert.deepEqual(mine.map((f) => f.file), ['apps/web/schema.sql']);
  assert.match(mine[0]!.message, /its CREATE TABLE public\.raw_account fails \(42P07: relation "raw_account" already exists: 2023-01-25_rename_to_raw\.sql:1 renames a table to it\)/);
  // (left out: no finding of the dump's own, its _migrations not said to be without row-level security)
  assert.deepEqual(findings.filter((f) => f.file === 'apps/web/schema.sql').map((f) => f.rule), [ID]);
  await inRollback(await getDb(), async (q) => {
    for (const m of migrations) await q(m.text);
    // (institution's name is free again; raw_account is taken)
    const errors = await runEachStatement(q, dump);
    assert.deepEqual(errors.map((e) => `${e.code} ${e.message}`), ['42P07 relation "raw_account" already exists', '42P07 relation "resource" already exists', '42P07 relation "pipeline" already exists']);
  });
});

test("ok: a migration sequence repeating a Supabase project's history under other names (okpilot/lmsplus_v2's packages/db/migrations/001_initial_schema.sql … beside supabase/migrations/20260311000001_initial_schema.sql …, without the fix between them) is not replayed as a database of its own: the recursion only it has is not reported; PGlite: the copy alone fails with 42P17, the CLI's history does not", async () => {
  const schema = `CREATE TABLE public.users (id uuid PRIMARY KEY, organization_id uuid NOT NULL, deleted_at timestamptz);
ALTER TABLE public.users ENABLE ROW LEVEL SECURITY;
GRANT SELECT ON public.users TO authenticated;
CREATE POLICY "tenant_isolation" ON public.users
  USING (organization_id = (SELECT organization_id FROM public.users WHERE id = auth.uid()) AND deleted_at IS NULL);
`;
  const fix = `DROP POLICY IF EXISTS tenant_isolation ON public.users;
CREATE POLICY users_select ON public.users FOR SELECT USING (id = auth.uid() AND deleted_at IS NULL);
`;
  const files = [
    { file: 'packages/db/migrations/001_initial_schema.sql', text: schema },
    { file: 'packages/db/migrations/002_notes.sql', text: NOTES },
    { file: 'packages/db/migrations/003_tags.sql', text: `-- see 20260312000003\n${TAGS}` },
    { file: 'supabase/migrations/20260311000001_initial_schema.sql', text: schema },
    { file: 'supabase/migrations/20260311000002_notes.sql', text: NOTES },
    { file: 'supabase/migrations/20260311000004_users_self_read_policy.sql', text: fix },
    { file: 'supabase/migrations/20260312000003_tags.sql', text: TAGS },
  ];
  const { ws } = lintFiles(files, ID);
  assert.deepEqual(ws.databases().map((d) => `${d.kind}:${d.name}`), ['sequence:packages/db/migrations', 'sequence:supabase']);
  assert.deepEqual(lintFiles(files, 'policy-recursion').mine, []);
  for (const f of files.slice(0, 3)) assert.match(notReplayedReason(ws.parsed(f.file)!) ?? '', /^of a migration sequence that repeats the Supabase project's history in supabase\/migrations\/ under other names/);
  for (const f of files.slice(3)) assert.equal(notReplayedReason(ws.parsed(f.file)!), undefined);
  // (each finding once, on the file the CLI applies)
  assert.deepEqual(lintFiles(files, 'rls-enabled-without-policy').mine.map((f) => f.file), ['supabase/migrations/20260312000003_tags.sql']);
  // (without the Supabase project's copies — one file the same, the others its own — a sequence is a database of its own, replayed)
  const own = [{ file: 'db/migrations/001_initial_schema.sql', text: schema }, { file: 'db/migrations/002_docs.sql', text: 'CREATE TABLE docs (id bigint PRIMARY KEY);\n' }, { file: 'db/migrations/003_more.sql', text: 'CREATE TABLE more_docs (id bigint PRIMARY KEY);\n' }, ...files.slice(3)];
  assert.deepEqual(lintFiles(own, 'policy-recursion').mine.map((f) => f.file), ['db/migrations/001_initial_schema.sql']);

  const probe = `SET LOCAL ROLE authenticated; SELECT count(*)::int AS n FROM public.users;`;
  await inRollback(await getDb(), async (q) => {
    await q(AUTH_STUB_SQL);
    await q(schema);
    const r = await tryQuery(q, probe);
    assert.equal(r.ok ? 'ran' : `${r.error.code} ${r.error.message}`, '42P17 infinite recursion detected in policy for relation "users"');
  });
  await inRollback(await getDb(), async (q) => {
    await q(AUTH_STUB_SQL);
    await q(schema + NOTES + fix + TAGS);
    const r = await tryQuery(q, probe);
    assert.equal(r.ok ? 'ran' : r.error.code, 'ran');
  });
});

test('ok: sqitch verify/ scripts of the same name and text in two folders (the template sqitch add writes) are not called copies: no verify script runs on deploy, so neither is "linted" in the other', () => {
  // (nullachtvierzehn/community-management-software's @app/database/schema/verify/space-items/policies/ and
  // verify/space-submissions/policies/: select-approved.sql, select-own.sql… each `BEGIN; -- XXX Add verifications here. ROLLBACK;`)
  const verify = (change: string) => `-- Verify cms:${change} on pg\n\nBEGIN;\n\n-- XXX Add verifications here.\n\nROLLBACK;\n`;
  const deploy = (table: string, policy: string) => `-- Deploy cms:${table}/policies/${policy} to pg\nBEGIN;\nCREATE POLICY ${policy.replace(/-/g, '_')} ON app_public.${table.replace(/-/g, '_')} FOR SELECT USING (owner = current_user);\nCOMMIT;\n`;
  const files = [
    { file: 'schema/sqitch.plan', text: '' },
    { file: 'schema/deploy/tables.sql', text: 'BEGIN;\nCREATE SCHEMA app_public;\nCREATE TABLE app_public.space_items (id int PRIMARY KEY, owner text);\nCREATE TABLE app_public.space_submissions (id int PRIMARY KEY, owner text);\nALTER TABLE app_public.space_items ENABLE ROW LEVEL SECURITY;\nALTER TABLE app_public.space_submissions ENABLE ROW LEVEL SECURITY;\nCOMMIT;\n' },
    { file: 'schema/verify/tables.sql', text: verify('tables') },
  ];
  for (const table of ['space-items', 'space-submissions'])
    for (const policy of ['select-own', 'select-approved']) {
      files.push({ file: `schema/deploy/${table}/policies/${policy}.sql`, text: deploy(table, policy) });
      files.push({ file: `schema/verify/${table}/policies/${policy}.sql`, text: verify(`${table}/policies/${policy}`) });
    }
  const { ws, mine } = lintFiles(files, ID);
  assert.deepEqual(mine.map((f) => f.file), []);
  // (the verify scripts are left out as such, said once for all of them)
  for (const f of files.filter((x) => x.file.includes('/verify/'))) assert.match(notReplayedReason(ws.parsed(f.file)!) ?? '', /sqitch revert\/ and verify\//, f.file);
  // (the deploy scripts are all replayed: four policies)
  assert.equal(ws.model().policies.length, 4);
});
