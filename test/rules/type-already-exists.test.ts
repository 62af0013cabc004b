// type-already-exists on PostgreSQL (PGlite): a CREATE TYPE of a type an earlier migration made
// fails with 42710; run as the Supabase CLI runs a file (one transaction), the whole file is
// rolled back: its DROP POLICY is undone (Reparalo: the FOR ALL USING (true) policy stays, anon
// writes), its tables are never made. The Valid forms run; the fix re-lints clean and runs.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { closeAll, count, getDb, inRollback, runFilesInTransactions, tryQuery } from '../helpers/pg.js';
import { applyFix, findingsOf, initParser, invalidFinding, lintDocExample, lintFiles, textAt } from '../helpers/rule-proof.js';
import { AUTH_STUB_SQL } from '../helpers/supabase.js';

const ID = 'type-already-exists';
before(initParser);
after(closeAll);

const filesOf = (ws: { files(): string[]; text(f: string): string | undefined }) => ws.files().sort().map((file) => ({ file, text: ws.text(file)! }));

test('err: the enum made again in a later migration: 42710, the file fails; the fix removes it, re-lints clean, and every file runs', async () => {
  const { ws, finding } = invalidFinding(ID, 0);
  assert.equal(textAt(ws, finding), 'public.app_role');
  assert.match(finding.message, /^The type public\.app_role already exists: it is created at 20250101000000_base\.sql:1 \(an earlier migration\) .*42710 type "app_role" already exists.*the Supabase CLI runs each file in one transaction, so none of this file's statements is applied/);
  const fixed = applyFix(ws, finding);
  assert.deepEqual(findingsOf(fixed, ID), []);
  await inRollback(await getDb(), async (q) => {
    assert.deepEqual(await runFilesInTransactions(q, filesOf(ws)), ['ok', '42710']);
  });
  await inRollback(await getDb(), async (q) => {
    assert.deepEqual(await runFilesInTransactions(q, filesOf(fixed)), ['ok', 'ok']);
  });
});

test('ok: ALTER TYPE … ADD VALUE, a CREATE TYPE guarded by EXCEPTION WHEN duplicate_object, and a type of that name in another schema: not reported, and every file runs', async () => {
  const { ws, mine } = lintDocExample(ID, 'valid', 0);
  assert.deepEqual(mine, []);
  await inRollback(await getDb(), async (q) => {
    assert.deepEqual(await runFilesInTransactions(q, filesOf(ws)), ['ok', 'ok']);
  });
});

test("err: Reparalo's second migration drops the FOR ALL USING (true) policy and then makes app_role again: the file is rolled back, the policy stays and anon writes; the type is reported, and nothing drops it unseen", async () => {
  const files = [
    {
      file: 'supabase/migrations/20250101000000_base.sql',
      text: `CREATE TYPE public.app_role AS ENUM ('customer', 'workshop');
CREATE TABLE public.profiles (id uuid PRIMARY KEY, user_id uuid NOT NULL);
ALTER TABLE public.profiles ENABLE ROW LEVEL SECURITY;
CREATE POLICY "Enable all" ON public.profiles FOR ALL TO anon, authenticated USING (true) WITH CHECK (true);
GRANT ALL ON public.profiles TO anon, authenticated;
`,
    },
    {
      file: 'supabase/migrations/20250103000000_roles.sql',
      text: `DROP POLICY IF EXISTS "Enable all" ON public.profiles;
CREATE TYPE public.app_role AS ENUM ('customer', 'workshop');
CREATE TABLE public.user_roles (id uuid PRIMARY KEY, user_id uuid NOT NULL, role public.app_role NOT NULL);
`,
    },
  ];
  const { ws, mine } = lintFiles(files, ID);
  assert.equal(mine.length, 1);
  assert.equal(mine[0]!.file, files[1]!.file);
  assert.equal(textAt(ws, mine[0]!), 'public.app_role');
  assert.match(mine[0]!.message, /none of this file's statements is applied \(the 1 after this one included\)/);
  await inRollback(await getDb(), async (q) => {
    await q(AUTH_STUB_SQL);
    assert.deepEqual(await runFilesInTransactions(q, files), ['ok', '42710']);
    assert.deepEqual((await q(`SELECT policyname FROM pg_policies WHERE tablename = 'profiles'`)).map((r) => r.policyname), ['Enable all']);
    assert.equal((await q(`SELECT to_regclass('public.user_roles') AS t`))[0]!.t, null);
    await q('SET ROLE anon');
    await q(`INSERT INTO public.profiles VALUES (gen_random_uuid(), gen_random_uuid())`);
    assert.equal(await count(q, 'public.profiles'), 1);
  });
  // a DROP TYPE between: the second one makes it again, not reported
  const dropped = [files[0]!, { ...files[1]!, text: files[1]!.text.replace('CREATE TYPE public.app_role', 'DROP TYPE IF EXISTS public.app_role;\nCREATE TYPE public.app_role') }];
  assert.deepEqual(lintFiles(dropped, ID).mine, []);
});

test("ok: a type renamed (or moved to another schema) before the new one is made (credivio's interval_unit_type, renamed to …__old_version_to_be_dropped): not reported, and the file runs", async () => {
  const files = [
    { file: 'supabase/migrations/20240719210951_remote_schema.sql', text: "CREATE TYPE public.interval_unit_type AS ENUM ('day', 'month');\nCREATE TABLE public.recurring_payments (id bigint PRIMARY KEY, interval_unit public.interval_unit_type NOT NULL);\n" },
    {
      file: 'supabase/migrations/20240903010906_recurring_payments.sql',
      text: `ALTER TYPE public.interval_unit_type RENAME TO interval_unit_type__old_version_to_be_dropped;
CREATE TYPE public.interval_unit_type AS ENUM ('day', 'month', 'year', 'week');
ALTER TABLE public.recurring_payments ALTER COLUMN interval_unit TYPE public.interval_unit_type USING interval_unit::text::public.interval_unit_type;
DROP TYPE public.interval_unit_type__old_version_to_be_dropped;
`,
    },
  ];
  assert.deepEqual(lintFiles(files, ID).mine, []);
  const moved = [files[0]!, { ...files[1]!, text: 'CREATE SCHEMA old_types;\nALTER TYPE public.interval_unit_type SET SCHEMA old_types;\nCREATE TYPE public.interval_unit_type AS ENUM (\'day\');\n' }];
  assert.deepEqual(lintFiles(moved, ID).mine, []);
  // renamed, then made again under the new name: that one exists
  const again = [files[0]!, { ...files[1]!, text: "ALTER TYPE public.interval_unit_type RENAME TO unit_old;\nCREATE TYPE public.unit_old AS ENUM ('x');\n" }];
  assert.equal(lintFiles(again, ID).mine.length, 1);
  await inRollback(await getDb(), async (q) => {
    assert.deepEqual(await runFilesInTransactions(q, files), ['ok', 'ok']);
  });
  await inRollback(await getDb(), async (q) => {
    assert.deepEqual(await runFilesInTransactions(q, again), ['ok', '42710']);
  });
});

test("err/ok: a DO block making the type where it does not exist (IF NOT EXISTS … pg_type, or EXCEPTION WHEN duplicate_object: stratevo's app_role) leaves it made, and a later plain CREATE fails (42710); an unqualified CREATE after SET search_path makes another schema's type: not reported", async () => {
  const guarded = [
    { file: 'supabase/migrations/20250122000004_crm.sql', text: "DO $$\nBEGIN\n  IF NOT EXISTS (SELECT 1 FROM pg_type WHERE typname = 'app_role') THEN\n    CREATE TYPE public.app_role AS ENUM ('admin', 'sales');\n  END IF;\nEND $$;\n" },
    { file: 'supabase/migrations/20251021030035_roles.sql', text: "CREATE TYPE public.app_role AS ENUM ('admin', 'sales');\nCREATE TABLE public.user_roles (user_id uuid, role public.app_role);\n" },
  ];
  const { mine } = lintFiles(guarded, ID);
  assert.equal(mine.length, 1);
  assert.equal(mine[0]!.file, guarded[1]!.file);
  const handler = [{ ...guarded[0]!, text: "DO $$ BEGIN\n  CREATE TYPE public.app_role AS ENUM ('admin');\nEXCEPTION WHEN duplicate_object THEN NULL;\nEND $$;\n" }, guarded[1]!];
  assert.equal(lintFiles(handler, ID).mine.length, 1);
  await inRollback(await getDb(), async (q) => {
    assert.deepEqual(await runFilesInTransactions(q, guarded), ['ok', '42710']);
  });
  const path = [
    { file: 'db/1_types.sql', text: "CREATE TYPE status AS ENUM ('a');\n" },
    { file: 'db/2_billing.sql', text: "CREATE SCHEMA billing;\nSET search_path TO billing;\nCREATE TYPE status AS ENUM ('b');\n" },
  ];
  assert.deepEqual(lintFiles(path, ID).mine, []);
  await inRollback(await getDb(), async (q) => {
    assert.deepEqual(await runFilesInTransactions(q, path), ['ok', 'ok']);
    await q('SET search_path TO public');
  });
});

test('err (message): a file the Supabase CLI skips (a hyphen in its name) is not said to be run by it in one transaction', () => {
  const files = [
    { file: 'supabase/migrations/20250101000000_a.sql', text: "CREATE TYPE public.status AS ENUM ('a');\n" },
    { file: 'supabase/migrations/20250201000000-b.sql', text: "CREATE TYPE public.status AS ENUM ('a', 'b');\n" },
  ];
  const { mine } = lintFiles(files, ID);
  assert.equal(mine.length, 1);
  assert.doesNotMatch(mine[0]!.message, /runs each file in one transaction/);
  assert.match(mine[0]!.message, /the Supabase CLI skips this file: supabase-migration-skipped/);
  // (calibration, be-my-doctor: both files named with a hyphen: the CLI skips both, not one)
  const both = lintFiles([{ ...files[0]!, file: 'supabase/migrations/20250101000000-a.sql' }, files[1]!], ID).mine;
  assert.equal(both.length, 1);
  assert.match(both[0]!.message, /the Supabase CLI skips both files: supabase-migration-skipped/);
  const first = lintFiles([{ ...files[0]!, file: 'supabase/migrations/20250101000000-a.sql' }, { ...files[1]!, file: 'supabase/migrations/20250201000000_b.sql' }], ID).mine;
  assert.match(first[0]!.message, /the Supabase CLI skips the file of the first CREATE TYPE: supabase-migration-skipped/);
});

test("err: a DO block running EXECUTE whose comment says 'Drop …' drops nothing (betterbooks: `-- Drop existing function if it exists` hid eight CREATE TYPE failures); PGlite: 42710", async () => {
  const files = [
    { file: 'supabase/migrations/20250101000000_enums.sql', text: `CREATE TYPE public.account_type AS ENUM ('ASSET', 'LIABILITY');\n` },
    { file: 'supabase/migrations/20250102000000_fn.sql', text: `DO $$\nBEGIN\n  -- Drop existing function if it exists\n  EXECUTE 'SELECT 1';\nEND $$;\n` },
    { file: 'supabase/migrations/20250730000000_remote_schema.sql', text: `CREATE TYPE "public"."account_type" AS ENUM ('ASSET', 'LIABILITY');\n` },
  ];
  assert.equal(lintFiles(files, 'type-already-exists').mine.length, 1);
  // (a DROP TYPE in the EXECUTE'd text itself still may drop it: nothing said)
  const dropping = files.map((f, i) => (i === 1 ? { ...f, text: `DO $$ BEGIN EXECUTE 'DROP TYPE IF EXISTS public.account_type'; END $$;\n` } : f));
  assert.equal(lintFiles(dropping, 'type-already-exists').mine.length, 0);
  await inRollback(await getDb(), async (q) => {
    await q(files[0]!.text + files[1]!.text);
    const r = await tryQuery(q, files[2]!.text);
    assert.equal(r.ok ? 'created' : r.error.code, '42710');
  });
});

test("err: two files of supabase/schemas/ making one type run in the Supabase CLI's order (afero.Walk, byte order: schema-production.sql before schema.sql): the later one, schema.sql, is reported; PGlite, in that order: ok, then 42710", async () => {
  const files = [
    {
      file: 'supabase/schemas/schema.sql',
      text: `CREATE TYPE public.estado_mesa AS ENUM ('disponible', 'ocupada');
CREATE TABLE public.mesas (id uuid PRIMARY KEY, estado public.estado_mesa NOT NULL);
`,
    },
    {
      file: 'supabase/schemas/schema-production.sql',
      text: `CREATE TYPE public.estado_mesa AS ENUM ('disponible', 'ocupada');
CREATE TABLE public.zonas (id uuid PRIMARY KEY, estado public.estado_mesa NOT NULL);
`,
    },
  ];
  const { mine } = lintFiles(files, ID);
  assert.equal(mine.length, 1);
  assert.equal(mine[0]!.file, 'supabase/schemas/schema.sql');
  assert.match(mine[0]!.message, /^The type public\.estado_mesa already exists: it is created at schema-production\.sql:1 /);
  // the order `supabase db diff` loads the declarative schema in (Go's sort.Strings: '-' before '.')
  const cliOrder = [...files].sort((a, b) => (Buffer.compare(Buffer.from(a.file), Buffer.from(b.file))));
  assert.deepEqual(cliOrder.map((f) => f.file), ['supabase/schemas/schema-production.sql', 'supabase/schemas/schema.sql']);
  await inRollback(await getDb(), async (q) => {
    assert.deepEqual(await runFilesInTransactions(q, cliOrder), ['ok', '42710']);
  });
});
