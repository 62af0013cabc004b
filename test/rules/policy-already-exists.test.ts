// policy-already-exists on PostgreSQL (PGlite): a CREATE POLICY of a name the table already has
// fails with 42710 and the table keeps the old policy (user A still cannot read shared notes); the
// fixes (DROP POLICY IF EXISTS first; the statement removed) re-lint clean and run. What the rule
// leaves alone runs: a re-creation in a DO block under IF NOT EXISTS, one after a function that
// drops the table's policies with dynamic SQL, and a schema file of another folder.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { closeAll, getDb, inRollback, type Q, runEachStatement, runFilesInTransactions, tryQuery } from '../helpers/pg.js';
import { applyFix, findingsOf, initParser, invalidFinding, lintFiles, nestedParentheses, sqlOf, TENANT_A, TENANT_B, textAt, validExampleRuns } from '../helpers/rule-proof.js';
import { actAs, AUTH_STUB_SQL } from '../helpers/supabase.js';
import { migrationRunner } from '../helpers/sql-fixtures.js';

const ID = 'policy-already-exists';
before(initParser);
after(closeAll);

const runEach = async (q: Q, sql: string) => (await runEachStatement(q, sql)).map((e) => `${e.code} ${e.message}`);

/** As user A: the notes it reads (its own, and B's shared one if the new policy is in place). */
async function readsAsUserA(q: Q): Promise<number> {
  await q(`INSERT INTO notes VALUES (1, '${TENANT_A}', false, 'a'), (2, '${TENANT_B}', true, 'shared by b'), (3, '${TENANT_B}', false, 'b')`);
  await q('GRANT SELECT ON notes TO authenticated');
  await q(actAs(TENANT_A));
  await q('SET ROLE authenticated');
  const rows = await q('SELECT id FROM notes ORDER BY id');
  await q('RESET ROLE');
  return rows.length;
}

const TABLE = `CREATE TABLE notes (id bigint PRIMARY KEY, owner_id uuid NOT NULL, shared boolean NOT NULL DEFAULT false, body text);
CREATE INDEX ON notes (owner_id);
ALTER TABLE notes ENABLE ROW LEVEL SECURITY;
ALTER TABLE notes FORCE ROW LEVEL SECURITY;
CREATE POLICY "Users read own notes" ON notes FOR SELECT TO authenticated
  USING (owner_id = (select auth.uid()));
`;
const AGAIN = `CREATE POLICY "Users read own notes" ON notes FOR SELECT TO authenticated
  USING (owner_id = (select auth.uid()) OR shared);
`;

test('err: a later migration writes the policy again: 42710, and the table keeps the old policy (user A does not see the shared note)', async () => {
  const { ws, finding } = invalidFinding(ID, 0);
  assert.equal(textAt(ws, finding), '"Users read own notes"');
  assert.equal(finding.file, 'migrations/2_shared_notes.sql');
  assert.match(finding.message, /^The policy "Users read own notes" already exists on notes: it is created at 1_notes\.sql:5 \(an earlier migration\)/);
  assert.match(finding.message, /PostgreSQL rejects this CREATE POLICY with 42710 \(policy "Users read own notes" for table "notes" already exists\)/);
  assert.deepEqual(finding.related?.map((r) => [r.file, r.message]), [['migrations/1_notes.sql', 'the policy "Users read own notes" is created here']]);
  await inRollback(await getDb(), async (q) => {
    await q(AUTH_STUB_SQL);
    assert.deepEqual(await runEach(q, sqlOf(ws)), ['42710 policy "Users read own notes" for table "notes" already exists']);
    const [p] = await q(`SELECT qual FROM pg_policies WHERE tablename = 'notes'`);
    assert.doesNotMatch(String(p!.qual), /shared/);
    assert.equal(await readsAsUserA(q), 1);
  });
});

test('err→ok: DROP POLICY IF EXISTS first (the new policy replaces the old), or the statement removed (the old stays): both re-lint clean and run', async () => {
  const { ws, finding } = invalidFinding(ID, 0);
  assert.deepEqual(
    finding.fixes.map((f) => [f.title, f.kind]),
    [
      ['Drop the earlier policy "Users read own notes" first (DROP POLICY IF EXISTS), so that this one replaces it', 'unsafe'],
      ['Remove this CREATE POLICY (the earlier "Users read own notes" stays)', 'unsafe'],
    ],
  );
  const dropped = applyFix(ws, finding, /^Drop/);
  assert.match(dropped.text('migrations/2_shared_notes.sql')!, /^-- users may now read shared notes too\nDROP POLICY IF EXISTS "Users read own notes" ON notes;\nCREATE POLICY "Users read own notes" ON notes/);
  assert.deepEqual(findingsOf(dropped, ID), []);
  const removed = applyFix(ws, finding, /^Remove/);
  assert.equal(removed.text('migrations/2_shared_notes.sql'), '-- users may now read shared notes too\n');
  assert.deepEqual(findingsOf(removed, ID), []);
  const db = await getDb();
  await inRollback(db, async (q) => {
    await q(AUTH_STUB_SQL);
    assert.deepEqual(await runEach(q, sqlOf(dropped)), []);
    assert.equal(await readsAsUserA(q), 2);
  });
  await inRollback(db, async (q) => {
    await q(AUTH_STUB_SQL);
    assert.deepEqual(await runEach(q, sqlOf(removed)), []);
    assert.equal(await readsAsUserA(q), 1);
  });
});

test('ok: the Valid example (DROP POLICY IF EXISTS, ALTER POLICY, a DO block under IF NOT EXISTS) runs', async () => {
  await validExampleRuns(ID, 0);
});

test('err: re-created in a DO block under IF NOT EXISTS, then written again at the top level: still 42710', async () => {
  const guarded = `DO $$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_policies WHERE tablename = 'notes' AND policyname = 'Users read own notes') THEN
    CREATE POLICY "Users read own notes" ON notes FOR SELECT TO authenticated USING (owner_id = (select auth.uid()));
  END IF;
END $$;
`;
  const files = [
    { file: 'supabase/migrations/1_notes.sql', text: TABLE },
    { file: 'supabase/migrations/2_again.sql', text: guarded },
    { file: 'supabase/migrations/3_shared.sql', text: AGAIN },
  ];
  const { ws, mine } = lintFiles(files, ID);
  assert.deepEqual(
    mine.map((f) => f.file),
    ['supabase/migrations/3_shared.sql'],
  );
  assert.match(mine[0]!.message, /it is created at 1_notes\.sql:5/);
  await inRollback(await getDb(), async (q) => {
    await q(AUTH_STUB_SQL);
    assert.deepEqual(await runEach(q, sqlOf(ws)), ['42710 policy "Users read own notes" for table "notes" already exists']);
  });
});

test('ok: left alone where the old policy may be gone: a function dropping policies with dynamic SQL called between, a DO block running dynamic SQL; and a schema of another folder', async () => {
  const dropAll = `CREATE FUNCTION drop_policies(tbl text) RETURNS void LANGUAGE plpgsql AS $$
DECLARE p record;
BEGIN
  FOR p IN SELECT policyname FROM pg_policies WHERE tablename = tbl LOOP
    EXECUTE format('DROP POLICY %I ON %I', p.policyname, tbl);
  END LOOP;
END $$;
SELECT drop_policies('notes');
`;
  const viaFunction = [
    { file: 'm/1_notes.sql', text: TABLE },
    { file: 'm/2_reset.sql', text: dropAll },
    { file: 'm/3_shared.sql', text: AGAIN },
  ];
  const { ws, mine } = lintFiles(viaFunction, ID);
  assert.deepEqual(mine, []);
  await inRollback(await getDb(), async (q) => {
    await q(AUTH_STUB_SQL);
    assert.deepEqual(await runEach(q, sqlOf(ws)), []);
    assert.equal(await readsAsUserA(q), 2);
  });
  const dynamicDo = `DO $$ BEGIN EXECUTE 'DROP POLICY "Users read own notes" ON notes'; END $$;\n`;
  assert.deepEqual(lintFiles([{ file: 'm/1_notes.sql', text: TABLE }, { file: 'm/2_reset.sql', text: dynamicDo }, { file: 'm/3_shared.sql', text: AGAIN }], ID).mine, []);
  // a declarative schema beside the migrations (supabase/schemas/) states what they create
  const declarative = [
    { file: 'supabase/migrations/1_notes.sql', text: TABLE },
    { file: 'supabase/schemas/notes.sql', text: TABLE.replace('CREATE TABLE notes', 'CREATE TABLE IF NOT EXISTS notes') },
  ];
  assert.deepEqual(lintFiles(declarative, ID).mine, []);
  // in one file too
  assert.equal(lintFiles([{ file: 'm/1.sql', text: TABLE + AGAIN }], ID).mine.length, 1);
});

test('err: written a third time: the finding names the first maker (the second failed too), as PostgreSQL finds it', async () => {
  const third = AGAIN.replace('OR shared', 'OR shared OR body IS NULL');
  const { ws, mine } = lintFiles(
    [
      { file: 'migrations/1_notes.sql', text: TABLE },
      { file: 'migrations/2_again.sql', text: AGAIN },
      { file: 'migrations/3_again.sql', text: third },
    ],
    ID,
  );
  assert.deepEqual(mine.map((f) => `${f.file}: ${/created at ([^ ]+)/.exec(f.message)![1]}`), ['migrations/2_again.sql: 1_notes.sql:5', 'migrations/3_again.sql: 1_notes.sql:5']);
  await inRollback(await getDb(), async (q) => {
    await q(AUTH_STUB_SQL);
    assert.deepEqual(await runEach(q, sqlOf(ws)), ['42710 policy "Users read own notes" for table "notes" already exists', '42710 policy "Users read own notes" for table "notes" already exists']);
    const [p] = await q(`SELECT qual FROM pg_policies WHERE tablename = 'notes'`);
    assert.doesNotMatch(String(p!.qual), /shared/, "the first maker's policy is the one in place");
  });
});

test('ok: left alone when the first maker\'s file has a statement PostgreSQL rejects: run in one transaction (the Supabase CLI, most tools), it made nothing', async () => {
  const broken = `${TABLE}CREATE POLICY "Users read own notes" ON notes FOR INSERT TO authenticated USING (true);\n`.replace('CREATE POLICY "Users read own notes" ON notes FOR INSERT', 'CREATE POLICY "Users insert notes" ON notes FOR INSERT');
  // (an error in a section migrating up never runs does not count: the finding stays)
  const down = lintFiles([{ file: 'db/migrations/20240101000000_notes.sql', text: `-- migrate:up\n${TABLE}-- migrate:down\nDROP TABEL notes;\n` }, { file: 'db/migrations/20240102000000_again.sql', text: AGAIN }], ID);
  assert.equal(down.mine.length, 1);
  for (const first of [`${TABLE}SELEC 1;\n`, broken]) {
    const { mine } = lintFiles([{ file: 'supabase/migrations/20240101000000_notes.sql', text: first }, { file: 'supabase/migrations/20240102000000_again.sql', text: AGAIN }], ID);
    assert.deepEqual(mine, [], first);
  }
  // the first file run in one transaction: its rejected CREATE POLICY (USING on FOR INSERT, 42601) undoes the whole file,
  // so the policy the second file writes again does not exist (no 42710 there)
  await inRollback(await getDb(), async (q) => {
    await q(AUTH_STUB_SQL);
    await q('SAVEPOINT first_file');
    const failed = await q(broken).then(() => '', (e: { code?: string }) => e.code);
    assert.equal(failed, '42601');
    await q('ROLLBACK TO SAVEPOINT first_file');
    assert.deepEqual(await q(`SELECT count(*)::int AS n FROM pg_policies WHERE policyname = 'Users read own notes'`), [{ n: 0 }]);
  });
});

test("ok (message): a re-creation in a file the Supabase CLI skips does not say supabase db reset stops there", () => {
  const { mine } = lintFiles(
    [
      { file: 'supabase/migrations/20240101000000_notes.sql', text: TABLE },
      // (not the same text as the applied one: a skipped copy of it is not replayed)
      { file: 'supabase/migrations/20240102000000-again.sql', text: `-- first try\n${AGAIN}` },
      { file: 'supabase/migrations/20240103000000_again.sql', text: AGAIN },
    ],
    ID,
  );
  const byFile = new Map(mine.map((f) => [f.file, f.message]));
  assert.doesNotMatch(byFile.get('supabase/migrations/20240102000000-again.sql')!, /supabase db reset/);
  assert.match(byFile.get('supabase/migrations/20240102000000-again.sql')!, /a migration tool applying them in order \(a new database, CI\) stops here/);
  assert.match(byFile.get('supabase/migrations/20240103000000_again.sql')!, /\(a new database, supabase db reset, CI\)/);
});

test("ok (message): a re-creation whose earlier maker is a file the Supabase CLI skips (circle-marketplace's hyphenated files) does not say supabase db reset stops there either", () => {
  const { mine } = lintFiles(
    [
      { file: 'supabase/migrations/20240101000000-notes.sql', text: TABLE },
      { file: 'supabase/migrations/20240103000000_again.sql', text: AGAIN },
    ],
    ID,
  );
  assert.equal(mine.length, 1);
  assert.doesNotMatch(mine[0]!.message, /supabase db reset/);
});

// Calibration (papafreshceo/dalaremarket.com: its database/migrations/ scripts, beside a
// supabase/migrations/ folder; walfro90-gorilla/donna-app's supabase_scripts/): supabase db reset
// runs only supabase/migrations/<timestamp>_name.sql, so of a re-creation in other files the
// message names no supabase db reset; where both files are ones it applies, it still does.
test("ok (message): a re-creation in files outside supabase/migrations/ does not say supabase db reset stops there", () => {
  const { mine } = lintFiles(
    [
      { file: 'database/migrations/fix_all_organization_errors.sql', text: TABLE },
      { file: 'database/migrations/fix_sub_accounts_rls_policies.sql', text: AGAIN },
    ],
    ID,
  );
  assert.equal(mine.length, 1);
  assert.doesNotMatch(mine[0]!.message, /supabase db reset/);
  assert.match(mine[0]!.message, /a migration tool applying them in order \(a new database, CI\) stops here/);
});

test('ok: DROP FUNCTION … CASCADE (or DROP TABLE / VIEW … CASCADE) drops the policies that call (or read) it: writing one again is no 42710 (regen-server)', async () => {
  const setup = `CREATE TABLE public.party (id uuid PRIMARY KEY, name text);
CREATE TABLE public.admins (party_id uuid PRIMARY KEY);
ALTER TABLE public.party ENABLE ROW LEVEL SECURITY;
ALTER TABLE public.party FORCE ROW LEVEL SECURITY;
CREATE FUNCTION public.current_party() RETURNS uuid LANGUAGE sql STABLE AS $$ SELECT nullif(current_setting('party.id', true), '')::uuid $$;
CREATE POLICY party_own ON public.party FOR UPDATE TO authenticated USING (id = (SELECT public.current_party()));
CREATE POLICY party_admin ON public.party FOR DELETE TO authenticated USING (EXISTS (SELECT 1 FROM public.admins a WHERE a.party_id = party.id));
`;
  const again = `DROP FUNCTION IF EXISTS current_party() CASCADE;
DROP TABLE public.admins CASCADE;
CREATE FUNCTION public.current_party() RETURNS uuid LANGUAGE sql STABLE AS $$ SELECT nullif(current_setting('party.uid', true), '')::uuid $$;
CREATE POLICY party_own ON public.party FOR UPDATE TO authenticated USING (id = (SELECT public.current_party()));
CREATE POLICY party_admin ON public.party FOR DELETE TO authenticated USING (false);
`;
  const files = [
    { file: 'migrations/000001.sql', text: setup },
    { file: 'migrations/000002.sql', text: again },
  ];
  assert.deepEqual(lintFiles(files, ID).mine, []);
  // without CASCADE (PostgreSQL refuses the DROP FUNCTION: 2BP01), the policy calling it is reported
  const plain = again.replace('current_party() CASCADE;', 'current_party();');
  assert.deepEqual(lintFiles([files[0]!, { file: 'migrations/000002.sql', text: plain }], ID).mine.map((f) => f.message.slice(0, 32)), ['The policy "party_own" already e']);
  await inRollback(await getDb(), async (q) => {
    await q(setup);
    await q(again);
    const rows = await q(`SELECT policyname, qual FROM pg_policies WHERE tablename = 'party' ORDER BY 1`);
    assert.deepEqual(rows.map((r) => r.policyname), ['party_admin', 'party_own']);
    assert.equal(rows[0]!.qual, 'false', 'the new party_admin');
  });
});

test('ok: a file that fails with 42710 made nothing (one transaction): its retry, written without the colliding statement, collides with nothing; the 42710 itself is reported (abelv-integra)', async () => {
  const EXTRA = `CREATE POLICY "Users add notes" ON notes FOR INSERT TO authenticated WITH CHECK (owner_id = (select auth.uid()));\n`;
  const files = [
    { file: 'supabase/migrations/20240101000000_notes.sql', text: TABLE },
    { file: 'supabase/migrations/20240102000000_fix.sql', text: AGAIN + EXTRA },
    { file: 'supabase/migrations/20240102000100_fix_retry.sql', text: EXTRA },
  ];
  const { mine } = lintFiles(files, ID);
  assert.deepEqual(
    mine.map((f) => `${f.file}:${f.range.start.line + 1}`),
    ['supabase/migrations/20240102000000_fix.sql:1'],
  );
  // a policy written again in a later file still meets the first maker's, the failed file between left out
  const third = lintFiles([...files, { file: 'supabase/migrations/20240103000000_again.sql', text: AGAIN }], ID).mine;
  assert.deepEqual(third.map((f) => `${f.file}: ${/created at ([^ ]+)/.exec(f.message)![1]}`), ['supabase/migrations/20240102000000_fix.sql: 20240101000000_notes.sql:5', 'supabase/migrations/20240103000000_again.sql: 20240101000000_notes.sql:5']);
  // each file in one transaction, as the Supabase CLI runs them: the second fails and makes nothing, the retry runs
  await inRollback(await getDb(), async (q) => {
    await q(AUTH_STUB_SQL);
    const codes = await runFilesInTransactions(q, files);
    assert.deepEqual(codes, ['ok', '42710', 'ok']);
    assert.deepEqual(await q(`SELECT policyname FROM pg_policies WHERE tablename = 'notes' ORDER BY 1`), [{ policyname: 'Users add notes' }, { policyname: 'Users read own notes' }]);
  });
});

test('ok: a DO block dropping the policies of one named table with dynamic SQL hides no collision on another table', () => {
  const other = `DO $$
DECLARE r record;
BEGIN
  FOR r IN SELECT policyname FROM pg_policies WHERE schemaname = 'public' AND tablename = 'profiles' LOOP
    EXECUTE format('DROP POLICY IF EXISTS %I ON public.profiles', r.policyname);
  END LOOP;
END $$;
`;
  const files = (between: string) => [
    { file: 'supabase/migrations/20240101000000_notes.sql', text: TABLE },
    { file: 'supabase/migrations/20240101000100_profiles.sql', text: between },
    { file: 'supabase/migrations/20240102000000_again.sql', text: AGAIN },
  ];
  assert.equal(lintFiles(files(other), ID).mine.length, 1);
  // on notes, or with DROP TABLE among its statements, it may: left alone
  assert.equal(lintFiles(files(other.replaceAll('profiles', 'notes')), ID).mine.length, 0);
  assert.equal(lintFiles(files(other.replace("EXECUTE format('DROP POLICY", "EXECUTE format('DROP TABLE %I', r.policyname); EXECUTE format('DROP POLICY")), ID).mine.length, 0);
});

test("err (message): a file that fails earlier (a CREATE INDEX or CREATE TRIGGER of a name an earlier migration made: mail-management-system) says it stops there, and here too once it gets this far", async () => {
  const table = TABLE.replace('CREATE INDEX ON notes (owner_id);', () => `CREATE INDEX notes_owner ON notes (owner_id);
CREATE FUNCTION touch() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RETURN NEW; END $$;
CREATE TRIGGER notes_touch BEFORE UPDATE ON notes FOR EACH ROW EXECUTE FUNCTION touch();`);
  const lint = (again: string) => lintFiles([{ file: 'migrations/1_notes.sql', text: table }, { file: 'migrations/2_again.sql', text: again }], ID);
  const index = `CREATE INDEX notes_owner ON notes (owner_id);\n${AGAIN}`;
  const byIndex = lint(index);
  assert.equal(byIndex.mine.length, 1);
  assert.match(byIndex.mine[0]!.message, /CI\) stops before it, at 2_again\.sql:1 \(CREATE INDEX notes_owner, which an earlier migration made: 42P07\), and here too once it gets this far; either way the table keeps the earlier policy\./);
  assert.equal(nestedParentheses(byIndex.mine[0]!.message), undefined);
  const trigger = lint(`CREATE TRIGGER notes_touch BEFORE UPDATE ON notes FOR EACH ROW EXECUTE FUNCTION touch();\n${AGAIN}`);
  assert.match(trigger.mine[0]!.message, /stops before it, at 2_again\.sql:1 \(CREATE TRIGGER notes_touch, which an earlier migration made: 42710\)/);
  // (fix63: with a second failure between, fixing the first does not bring the tool here: no "would stop here once that is fixed")
  const twice = lint(`CREATE INDEX notes_owner ON notes (owner_id);\nCREATE TRIGGER notes_touch BEFORE UPDATE ON notes FOR EACH ROW EXECUTE FUNCTION touch();\n${AGAIN}`);
  assert.doesNotMatch(twice.mine[0]!.message, /once that is fixed/);
  assert.match(twice.mine[0]!.message, /stops before it, at 2_again\.sql:1 \(CREATE INDEX notes_owner, which an earlier migration made: 42P07\), and here too once it gets this far;/);
  for (const ok of [`CREATE INDEX IF NOT EXISTS notes_owner ON notes (owner_id);\n${AGAIN}`, `CREATE OR REPLACE TRIGGER notes_touch BEFORE UPDATE ON notes FOR EACH ROW EXECUTE FUNCTION touch();\n${AGAIN}`, `DROP INDEX notes_owner;\nCREATE INDEX notes_owner ON notes (owner_id);\n${AGAIN}`]) {
    assert.match(lint(ok).mine[0]!.message, /CI\) stops here, and the table keeps the earlier policy\./, ok);
  }
  await inRollback(await getDb(), async (q) => {
    await q(AUTH_STUB_SQL);
    assert.deepEqual(await runFilesInTransactions(q, [{ text: table }, { text: index }]), ['ok', '42P07']);
  });
});

test('err (message): a trigger or index a later migration drops and makes again still exists when this file runs: it stops at that CREATE TRIGGER / CREATE INDEX', async () => {
  const table = TABLE.replace('CREATE INDEX ON notes (owner_id);', () => `CREATE INDEX notes_owner ON notes (owner_id);
CREATE FUNCTION touch() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RETURN NEW; END $$;
CREATE TRIGGER notes_touch BEFORE UPDATE ON notes FOR EACH ROW EXECUTE FUNCTION touch();`);
  // (a later migration remakes both: the model's trigger and index are then that migration's)
  const remake = `DROP TRIGGER IF EXISTS notes_touch ON notes;
CREATE TRIGGER notes_touch BEFORE UPDATE ON notes FOR EACH ROW EXECUTE FUNCTION touch();
DROP INDEX IF EXISTS notes_owner;
CREATE INDEX notes_owner ON notes (owner_id);
`;
  const trigger = `CREATE TRIGGER notes_touch BEFORE UPDATE ON notes FOR EACH ROW EXECUTE FUNCTION touch();\n${AGAIN}`;
  const index = `CREATE INDEX notes_owner ON notes (owner_id);\n${AGAIN}`;
  const lint = (again: string) =>
    lintFiles(
      [
        { file: 'migrations/1_notes.sql', text: table },
        { file: 'migrations/2_again.sql', text: again },
        { file: 'migrations/3_remake.sql', text: remake },
      ],
      ID,
    ).mine;
  assert.match(lint(trigger)[0]!.message, /stops before it, at 2_again\.sql:1 \(CREATE TRIGGER notes_touch, which an earlier migration made: 42710\), and here too once it gets this far;/);
  assert.match(lint(index)[0]!.message, /stops before it, at 2_again\.sql:1 \(CREATE INDEX notes_owner, which an earlier migration made: 42P07\), and here too once it gets this far;/);
  // dropped before it in its own file, or by a migration between: it stops at the policy
  for (const ok of [`DROP TRIGGER notes_touch ON notes;\n${trigger}`]) assert.match(lint(ok)[0]!.message, /CI\) stops here, and the table keeps the earlier policy\./, ok);
  const between = lintFiles(
    [
      { file: 'migrations/1_notes.sql', text: table },
      { file: 'migrations/2_drop.sql', text: 'DROP TRIGGER notes_touch ON notes;\nDROP INDEX notes_owner;\n' },
      { file: 'migrations/3_again.sql', text: trigger },
    ],
    ID,
  ).mine;
  assert.match(between[0]!.message, /CI\) stops here, and the table keeps the earlier policy\./);
  await inRollback(await getDb(), async (q) => {
    await q(AUTH_STUB_SQL);
    await q(table);
    // the first statement of the file fails, before its CREATE POLICY
    assert.deepEqual(await runEach(q, trigger), ['42710 trigger "notes_touch" for relation "notes" already exists', '42710 policy "Users read own notes" for table "notes" already exists']);
    assert.deepEqual(await runEach(q, index), ['42P07 relation "notes_owner" already exists', '42710 policy "Users read own notes" for table "notes" already exists']);
    assert.deepEqual(await runFilesInTransactions(q, [{ text: trigger }, { text: remake }]), ['42710', 'ok']);
  });
});

test("ok: a file that fails on a CREATE TYPE of a type an earlier migration made (42710: camerpulse's payment_status) made nothing: its retry's policies collide with nothing there", async () => {
  const first = `CREATE TYPE payment_status AS ENUM ('open', 'paid');\n`;
  const failing = `${TABLE}CREATE TYPE payment_status AS ENUM ('open', 'paid');\n`;
  const retry = TABLE;
  const files = [
    { file: 'migrations/1_types.sql', text: first },
    { file: 'migrations/2_notes.sql', text: failing },
    { file: 'migrations/3_notes_again.sql', text: retry },
  ];
  const { mine } = lintFiles(files, ID);
  assert.deepEqual(mine, []);
  await inRollback(await getDb(), async (q) => {
    await q(AUTH_STUB_SQL);
    assert.deepEqual(await runFilesInTransactions(q, files), ['ok', '42710', 'ok']);
  });
});

// Calibration cal28 (g3, replay focus): a policy depends on the columns its expressions name;
// DROP COLUMN … CASCADE drops it with the column (without CASCADE PostgreSQL refuses, 2BP01).
test('ok: DROP COLUMN … CASCADE takes the policies naming the column with it: written again after it, no 42710', async () => {
  const files = [
    {
      file: 'supabase/migrations/20250101000000_a.sql',
      text: `-- « naïve » 日本語 😀
CREATE TABLE public.docs (id uuid PRIMARY KEY, owner_id uuid, org_id uuid);
ALTER TABLE public.docs ENABLE ROW LEVEL SECURITY;
CREATE POLICY "by org" ON public.docs FOR SELECT TO authenticated USING (docs.org_id IS NOT NULL);
CREATE POLICY "by owner" ON public.docs FOR SELECT TO authenticated USING (owner_id IS NOT NULL);
`,
    },
    { file: 'supabase/migrations/20250102000000_b.sql', text: 'ALTER TABLE public.docs DROP COLUMN org_id CASCADE;\n' },
    {
      file: 'supabase/migrations/20250103000000_c.sql',
      text: `CREATE POLICY "by org" ON public.docs FOR SELECT TO authenticated USING (owner_id = (select auth.uid()));
CREATE POLICY "by owner" ON public.docs FOR SELECT TO authenticated USING (owner_id = (select auth.uid()));
`,
    },
  ];
  const { ws, mine } = lintFiles(files, ID);
  assert.equal(mine.length, 1, 'the policy not naming the column stays: its CREATE again fails');
  assert.equal(textAt(ws, mine[0]!), '"by owner"');
  await inRollback(await getDb(), async (q) => {
    await q(AUTH_STUB_SQL);
    assert.deepEqual(await runFilesInTransactions(q, files), ['ok', 'ok', '42710']);
  });
  await inRollback(await getDb(), async (q) => {
    await q(AUTH_STUB_SQL);
    assert.deepEqual(await runFilesInTransactions(q, [files[0]!, files[1]!, { ...files[2]!, text: files[2]!.text.split('\n')[0]! }]), ['ok', 'ok', 'ok']);
    assert.deepEqual(await q(`SELECT policyname, qual FROM pg_policies WHERE tablename = 'docs' ORDER BY 1`), [
      { policyname: 'by org', qual: '(owner_id = ( SELECT auth.uid() AS uid))' },
      { policyname: 'by owner', qual: '(owner_id IS NOT NULL)' },
    ]);
  });
  // (without CASCADE PostgreSQL refuses the DROP COLUMN while the policy names the column)
  await inRollback(await getDb(), async (q) => {
    await q(AUTH_STUB_SQL);
    assert.deepEqual(await runFilesInTransactions(q, [files[0]!, { ...files[1]!, text: 'ALTER TABLE public.docs DROP COLUMN org_id;\n' }]), ['ok', '2BP01']);
  });
});

test('ok: DROP TYPE … CASCADE drops the columns of that type, and the policies naming them with those: written again after it, no 42710', async () => {
  const files = [
    {
      file: 'supabase/migrations/20250101000000_a.sql',
      text: `CREATE TYPE public.kind AS ENUM ('a', 'b');
CREATE TABLE public.items (id uuid PRIMARY KEY, owner_id uuid, k public.kind);
ALTER TABLE public.items ENABLE ROW LEVEL SECURITY;
CREATE POLICY "by kind" ON public.items FOR SELECT TO authenticated USING (k = 'a');
`,
    },
    { file: 'supabase/migrations/20250102000000_b.sql', text: 'DROP TYPE public.kind CASCADE;\n' },
    { file: 'supabase/migrations/20250103000000_c.sql', text: 'CREATE POLICY "by kind" ON public.items FOR SELECT TO authenticated USING (owner_id = (select auth.uid()));\n' },
  ];
  assert.deepEqual(lintFiles(files, ID).mine, []);
  await inRollback(await getDb(), async (q) => {
    await q(AUTH_STUB_SQL);
    assert.deepEqual(await runFilesInTransactions(q, files), ['ok', 'ok', 'ok']);
    assert.deepEqual(await q(`SELECT column_name FROM information_schema.columns WHERE table_name = 'items' ORDER BY ordinal_position`), [{ column_name: 'id' }, { column_name: 'owner_id' }]);
  });
});

// Calibration cal95 (hivecom): `has_permission('complaints.create'::app_permission)` in a policy;
// a later DROP TYPE … CASCADE of the enum took the policy (a policy depends on every type its
// expressions cast to, not only on the columns and functions of that type), and a later migration
// wrote it again: no 42710 on PostgreSQL, while the lint said the policy still existed.
test('ok: DROP TYPE … CASCADE drops the policies casting a value to the type (in a sub-select too): written again after it, no 42710; one casting to no such type stays, and is reported', async () => {
  const setup = `CREATE TYPE public.perm AS ENUM ('notes.read', 'notes.write');
CREATE TABLE public.members (user_id uuid PRIMARY KEY, perm text NOT NULL);
CREATE TABLE public.notes (id uuid PRIMARY KEY, owner_id uuid, label text);
ALTER TABLE public.members ENABLE ROW LEVEL SECURITY;
ALTER TABLE public.notes ENABLE ROW LEVEL SECURITY;
CREATE POLICY "by cast" ON public.notes FOR SELECT TO authenticated USING (label::public.perm = 'notes.read');
CREATE POLICY "by cast in a sub-select" ON public.notes FOR UPDATE TO authenticated
  USING (EXISTS (SELECT 1 FROM public.members m WHERE m.user_id = (select auth.uid()) AND m.perm::public.perm = 'notes.write'));
CREATE POLICY "by owner" ON public.notes FOR DELETE TO authenticated USING (owner_id = (select auth.uid()));
`;
  const again = (names: string[]) =>
    names.map((name) => `CREATE POLICY "${name}" ON public.notes FOR ${name === 'by owner' ? 'DELETE' : name === 'by cast' ? 'SELECT' : 'UPDATE'} TO authenticated USING (owner_id = (select auth.uid()));\n`).join('');
  const files = (names: string[]) => [
    { file: 'supabase/migrations/20250101000000_a.sql', text: setup },
    { file: 'supabase/migrations/20250102000000_b.sql', text: 'DROP TYPE public.perm CASCADE;\n' },
    { file: 'supabase/migrations/20250103000000_c.sql', text: again(names) },
  ];
  const all = ['by cast', 'by cast in a sub-select', 'by owner'];
  assert.deepEqual(lintFiles(files(all), ID).mine.map((f) => /^The policy "([^"]+)"/.exec(f.message)![1]), ['by owner']);
  assert.deepEqual(lintFiles(files(all.slice(0, 2)), ID).mine, []);
  const db = await getDb();
  await inRollback(db, async (q) => {
    await q(AUTH_STUB_SQL);
    assert.deepEqual(await runFilesInTransactions(q, files(all.slice(0, 2))), ['ok', 'ok', 'ok']);
    assert.deepEqual(await q(`SELECT policyname FROM pg_policies WHERE tablename = 'notes' ORDER BY policyname`), [{ policyname: 'by cast' }, { policyname: 'by cast in a sub-select' }, { policyname: 'by owner' }]);
  });
  await inRollback(db, async (q) => {
    await q(AUTH_STUB_SQL);
    assert.deepEqual(await runFilesInTransactions(q, files(all)), ['ok', 'ok', '42710']);
  });
});

// The same calibration: the enum was recreated with fewer values by the usual idiom (ALTER TYPE a RENAME
// TO a_old; CREATE TYPE a …; DROP TYPE a_old CASCADE, in a DO block): the DROP takes what named the
// type before the rename, the policies casting to it and calling its functions.
test('ok: ALTER TYPE … RENAME TO x_old, CREATE TYPE, DROP TYPE x_old CASCADE (in a DO block) drops the policies that named the type before the rename: written again, no 42710; one made after it with the new type stays, and is reported', async () => {
  const setup = `CREATE TYPE public.perm AS ENUM ('notes.read', 'notes.delete', 'servers.read');
CREATE FUNCTION public.has_permission(p public.perm) RETURNS boolean LANGUAGE sql STABLE AS 'SELECT true';
CREATE TABLE public.notes (id uuid PRIMARY KEY, owner_id uuid, label text);
ALTER TABLE public.notes ENABLE ROW LEVEL SECURITY;
CREATE POLICY "by function" ON public.notes FOR DELETE TO authenticated USING (public.has_permission('notes.delete'::public.perm));
CREATE POLICY "by cast" ON public.notes FOR SELECT TO authenticated USING (label::public.perm = 'notes.read');
`;
  // (top level, with a policy made between the rename and the DROP, on the new type; and in a DO block, as hivecom)
  const recreate = `ALTER TYPE public.perm RENAME TO perm_old;
CREATE TYPE public.perm AS ENUM ('notes.read', 'notes.delete');
CREATE POLICY "after" ON public.notes FOR UPDATE TO authenticated USING (label::public.perm = 'notes.read');
DROP TYPE public.perm_old CASCADE;
CREATE FUNCTION public.has_permission(p public.perm) RETURNS boolean LANGUAGE sql STABLE AS 'SELECT true';
`;
  const inDoBlock = `DO $$
BEGIN
  ALTER TYPE public.perm RENAME TO perm_old;
  CREATE TYPE public.perm AS ENUM ('notes.read', 'notes.delete');
  DROP TYPE public.perm_old CASCADE;
END;
$$;
`;
  const again = (names: string[]) =>
    names.map((name) => `CREATE POLICY "${name}" ON public.notes FOR ${name === 'by function' ? 'DELETE' : name === 'by cast' ? 'SELECT' : 'UPDATE'} TO authenticated USING (owner_id = (select auth.uid()));\n`).join('');
  const files = (names: string[], between = recreate) => [
    { file: 'supabase/migrations/20250101000000_a.sql', text: setup },
    { file: 'supabase/migrations/20250102000000_b.sql', text: between },
    { file: 'supabase/migrations/20250103000000_c.sql', text: again(names) },
  ];
  const all = ['by function', 'by cast', 'after'];
  assert.deepEqual(lintFiles(files(all), ID).mine.map((f) => /^The policy "([^"]+)"/.exec(f.message)![1]), ['after']);
  assert.deepEqual(lintFiles(files(all.slice(0, 2)), ID).mine, []);
  assert.deepEqual(lintFiles(files(all.slice(0, 2), inDoBlock), ID).mine, []);
  // (without the rename, DROP TYPE of a type nothing names takes no policy)
  const noRename = inDoBlock.replace('  ALTER TYPE public.perm RENAME TO perm_old;\n', '').replace("CREATE TYPE public.perm AS", "CREATE TYPE public.perm_old AS");
  assert.deepEqual(lintFiles(files(all.slice(0, 2), noRename), ID).mine.map((f) => /^The policy "([^"]+)"/.exec(f.message)![1]), ['by function', 'by cast']);
  const db = await getDb();
  await inRollback(db, async (q) => {
    await q(AUTH_STUB_SQL);
    assert.deepEqual(await runFilesInTransactions(q, files(all.slice(0, 2))), ['ok', 'ok', 'ok']);
    assert.deepEqual(await q(`SELECT policyname FROM pg_policies WHERE tablename = 'notes' ORDER BY policyname`), [{ policyname: 'after' }, { policyname: 'by cast' }, { policyname: 'by function' }]);
  });
  await inRollback(db, async (q) => {
    await q(AUTH_STUB_SQL);
    assert.deepEqual(await runFilesInTransactions(q, files(all)), ['ok', 'ok', '42710']);
  });
  await inRollback(db, async (q) => {
    await q(AUTH_STUB_SQL);
    assert.deepEqual(await runFilesInTransactions(q, files(all.slice(0, 2), inDoBlock)), ['ok', 'ok', 'ok']);
  });
  await inRollback(db, async (q) => {
    await q(AUTH_STUB_SQL);
    assert.deepEqual(await runFilesInTransactions(q, files(all.slice(0, 2), noRename)), ['ok', 'ok', '42710']);
  });
});

test("err: after a CREATE TABLE IF NOT EXISTS that PostgreSQL skips, with columns the table lacks (ANTON.IA's profiles), a CREATE POLICY naming only columns the table has meets the name (42710) and is reported; one naming a missing column fails with 42703 first and is left to policy-unknown-column", async () => {
  const first = `CREATE TABLE public.profiles (id uuid PRIMARY KEY, signature text);
ALTER TABLE public.profiles ENABLE ROW LEVEL SECURITY;
CREATE POLICY "sel own" ON public.profiles FOR SELECT TO authenticated USING (id = (select auth.uid()));
CREATE POLICY "upd own" ON public.profiles FOR UPDATE TO authenticated USING (id = (select auth.uid()));
`;
  const again = `CREATE TABLE IF NOT EXISTS profiles (id uuid PRIMARY KEY, email text);
CREATE POLICY "upd own" ON profiles FOR UPDATE TO authenticated USING (id = (select auth.uid()));
CREATE POLICY "sel own" ON profiles FOR SELECT TO authenticated USING (email = 'x');
`;
  const { mine } = lintFiles([{ file: '001_a.sql', text: first }, { file: '002_b.sql', text: again }], ID);
  assert.deepEqual(mine.map((f) => /^The policy "([^"]+)"/.exec(f.message)?.[1]), ['upd own']);
  await inRollback(await getDb(), async (q) => {
    await q(AUTH_STUB_SQL);
    await q(first);
    await q(again.split('\n')[0]!);
    const upd = await tryQuery(q, again.split('\n')[1]!);
    assert.equal(upd.ok ? 'created' : upd.error.code, '42710');
    const sel = await tryQuery(q, again.split('\n')[2]!);
    assert.equal(sel.ok ? 'created' : sel.error.code, '42703');
  });
});

// Calibration cal46 (vip-drive-florida): DO blocks looping over pg_views with `EXECUTE
// format('DROP VIEW IF EXISTS %I.%I CASCADE', …)` take the views and what depends on them, not
// every policy: its storage.objects and user_roles policies written again failed with 42710.
test("err: a loop dropping the views of a schema with CASCADE (vip-drive-florida) takes only the policies reading one, directly or through a RETURN-bodied or SETOF-view function: the others written again fail with 42710", async () => {
  const setup = `CREATE SCHEMA other;
CREATE TABLE public.t (id int PRIMARY KEY, owner uuid);
ALTER TABLE public.t ENABLE ROW LEVEL SECURITY;
CREATE VIEW public.v AS SELECT 1 AS x;
CREATE VIEW other.w AS SELECT 1 AS x;
CREATE FUNCTION public.via_plpgsql() RETURNS boolean LANGUAGE plpgsql STABLE AS $$ BEGIN RETURN EXISTS (SELECT 1 FROM public.v); END $$;
CREATE FUNCTION public.via_return() RETURNS boolean LANGUAGE sql STABLE RETURN EXISTS (SELECT 1 FROM public.v);
CREATE FUNCTION public.v_rows() RETURNS SETOF public.v LANGUAGE sql STABLE AS $$ SELECT * FROM public.v $$;
CREATE POLICY plain ON public.t FOR SELECT TO authenticated USING (owner IS NOT NULL);
CREATE POLICY reads_view ON public.t FOR UPDATE TO authenticated USING (EXISTS (SELECT 1 FROM public.v));
CREATE POLICY reads_other ON public.t FOR DELETE TO authenticated USING (EXISTS (SELECT 1 FROM other.w));
CREATE POLICY calls_plpgsql ON public.t FOR INSERT TO authenticated WITH CHECK (public.via_plpgsql());
CREATE POLICY calls_return ON public.t FOR SELECT TO authenticated USING (public.via_return());
CREATE POLICY calls_setof ON public.t FOR SELECT TO authenticated USING (EXISTS (SELECT 1 FROM public.v_rows()));
`;
  const loop = (where: string, drop = 'DROP VIEW IF EXISTS %I.%I CASCADE') => `DO $$
DECLARE r record;
BEGIN
  FOR r IN SELECT schemaname, viewname FROM pg_views ${where} LOOP
    EXECUTE format('${drop}', r.schemaname, r.viewname);
  END LOOP;
END $$;
`;
  const again = ['plain', 'reads_view', 'reads_other', 'calls_plpgsql', 'calls_return', 'calls_setof']
    .map((name) => `CREATE POLICY ${name} ON public.t FOR ${name === 'calls_plpgsql' ? 'INSERT' : 'SELECT'} TO authenticated ${name === 'calls_plpgsql' ? 'WITH CHECK' : 'USING'} (owner = '${TENANT_A}');\n`)
    .join('');
  const files = (between: string) => [
    { file: 'supabase/migrations/20250101000000_a.sql', text: setup },
    { file: 'supabase/migrations/20250102000000_b.sql', text: between },
    { file: 'supabase/migrations/20250103000000_c.sql', text: again },
  ];
  const reported = (between: string) => lintFiles(files(between), ID).mine.map((f) => /^The policy "([^"]+)"/.exec(f.message)![1]);
  const publicViews = loop(`WHERE schemaname = 'public'`);
  assert.deepEqual(reported(publicViews), ['plain', 'reads_other', 'calls_plpgsql']);
  // (the views of another schema: public.v stays, and the policies reading it; of any schema: other.w goes too)
  assert.deepEqual(reported(loop(`WHERE schemaname = 'other'`)), ['plain', 'reads_view', 'calls_plpgsql', 'calls_return', 'calls_setof']);
  assert.deepEqual(reported(loop(`WHERE schemaname NOT IN ('pg_catalog', 'information_schema')`)), ['plain', 'calls_plpgsql']);
  // (the same loop in a function the migrations call)
  const viaFunction = publicViews.replace('DO $$', () => 'CREATE FUNCTION public.drop_views() RETURNS void LANGUAGE plpgsql AS $$').replace('END $$;', () => 'END $$;\nSELECT public.drop_views();');
  assert.deepEqual(reported(viaFunction), ['plain', 'reads_other', 'calls_plpgsql']);
  // (a dynamic DROP TABLE, DROP POLICY or DROP SCHEMA … CASCADE may take any policy: left alone, as before)
  for (const drop of ['DROP TABLE IF EXISTS %I.%I CASCADE', 'DROP POLICY IF EXISTS %I ON public.t', 'DROP SCHEMA IF EXISTS %I CASCADE']) {
    assert.deepEqual(reported(loop(`WHERE schemaname = 'public'`, drop)), [], drop);
  }
  // on PostgreSQL: after each loop, the policies reported fail with 42710, the others are made again
  const failing = async (between: string) =>
    inRollback(await getDb(), async (q) => {
      const errors = await runEachStatement(q, files(between).map((f) => f.text).join('\n'));
      return errors.map((e) => `${e.code} ${/policy "([^"]+)"/.exec(e.message)?.[1] ?? e.message}`);
    });
  assert.deepEqual(await failing(publicViews), ['42710 plain', '42710 reads_other', '42710 calls_plpgsql']);
  assert.deepEqual(await failing(viaFunction), ['42710 plain', '42710 reads_other', '42710 calls_plpgsql']);
  assert.deepEqual(await failing(loop(`WHERE schemaname = 'other'`)), ['42710 plain', '42710 reads_view', '42710 calls_plpgsql', '42710 calls_return', '42710 calls_setof']);
  assert.deepEqual(await failing(loop(`WHERE schemaname NOT IN ('pg_catalog', 'information_schema')`)), ['42710 plain', '42710 calls_plpgsql']);
});

test("err (message): a table no statement makes (azr18's saved_invoices, whose CREATE TABLE migration was deleted): the message says both CREATE POLICY statements fail with 42P01 on a database the migrations make, and the second with 42710 where the table was made elsewhere (PGlite, both); made by a CREATE TABLE in dynamic SQL or a RENAME TO, or in a platform schema, the plain message", async () => {
  const POLICY = 'CREATE POLICY "own invoices" ON public.saved_invoices FOR SELECT TO authenticated USING (user_id = (select auth.uid()));\n';
  const files = [
    { file: 'supabase/migrations/20250101000000_a.sql', text: POLICY },
    { file: 'supabase/migrations/20250102000000_b.sql', text: POLICY },
  ];
  const mine = lintFiles(files, ID).mine;
  assert.equal(mine.length, 1);
  assert.match(mine[0]!.message, /^The policy "own invoices" is created on saved_invoices a second time: .*No migration makes public\.saved_invoices: on a database these migrations make, both CREATE POLICY statements fail with 42P01 \(relation does not exist\); where the table was made elsewhere \(the dashboard, a migration no longer here\), this one fails with 42710/);
  await inRollback(await getDb(), async (q) => {
    await q(AUTH_STUB_SQL);
    assert.deepEqual(await runFilesInTransactions(q, files), ['42P01', '42P01']);
  });
  await inRollback(await getDb(), async (q) => {
    await q(AUTH_STUB_SQL);
    await q('CREATE TABLE public.saved_invoices (id uuid PRIMARY KEY, user_id uuid)'); // (made elsewhere)
    assert.deepEqual(await runFilesInTransactions(q, files), ['ok', '42710']);
  });
  // (a text that makes the table, anywhere: the finding stays)
  const dynamic = { file: 'supabase/migrations/20240101000000_t.sql', text: `DO $$ BEGIN EXECUTE 'CREATE TABLE IF NOT EXISTS public.saved_invoices (id uuid PRIMARY KEY, user_id uuid)'; END $$;\n` };
  assert.match(lintFiles([dynamic, ...files], ID).mine[0]?.message ?? '', /^The policy "own invoices" already exists on saved_invoices/);
  const renamed = { file: 'supabase/migrations/20240101000000_t.sql', text: 'CREATE TABLE public.invoices (id uuid PRIMARY KEY, user_id uuid);\nALTER TABLE public.invoices RENAME TO saved_invoices;\n' };
  assert.equal(lintFiles([renamed, ...files], ID).mine.length, 1);
  await inRollback(await getDb(), async (q) => {
    await q(AUTH_STUB_SQL);
    assert.deepEqual(await runFilesInTransactions(q, [renamed, ...files]), ['ok', 'ok', '42710']);
  });
  const storage = 'CREATE POLICY "own files" ON storage.objects FOR SELECT TO authenticated USING (owner = (select auth.uid()));\n';
  assert.equal(lintFiles([{ file: 'supabase/migrations/20250101000000_a.sql', text: storage }, { file: 'supabase/migrations/20250102000000_b.sql', text: storage }], ID).mine.length, 1);
});

// Calibration (cal162, Munkhjavkhlann/mongolec-backend): database-migrations.sql makes its tables
// through a runner (apply_migration EXECUTEs the `$migration$ CREATE TABLE IF NOT EXISTS users (…)
// $migration$` it is handed); database-schema.sql, after it in path order, makes them again with
// plain CREATE TABLEs and creates tenant_isolation_users; postgresql-rls-policies.sql creates it
// again. The rule said a migration tool stops at the second with 42710: run file by file in
// transactions, database-schema.sql fails at its CREATE TABLE (42P07, the runner made the table)
// and applies nothing, and the second CREATE POLICY succeeds. Where dynamic SQL may make tables, a
// file with a plain CREATE TABLE may fail unseen: its policies are not taken as certainly there.
test('ok: the first policy in a file whose plain CREATE TABLE a migration runner (EXECUTE of the CREATE TABLE it is handed) may have made fail: not said to collide; PGlite: file by file, that file fails with 42P07 and the later CREATE POLICY succeeds', async () => {
  const runner = migrationRunner([['003_users', 'CREATE TABLE IF NOT EXISTS users (id uuid PRIMARY KEY, tenant_id uuid NOT NULL)']]);
  const schema = `CREATE TABLE users (id uuid PRIMARY KEY, tenant_id uuid NOT NULL);
ALTER TABLE users ENABLE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation_users ON users USING (tenant_id = nullif(current_setting('app.current_tenant_id', true), '')::uuid);
`;
  const again = `CREATE POLICY tenant_isolation_users ON users FOR ALL TO authenticated USING (tenant_id = nullif(current_setting('app.current_tenant_id', true), '')::uuid);
`;
  const files = [
    { file: 'db/a_migrations.sql', text: runner },
    { file: 'db/b_schema.sql', text: schema },
    { file: 'db/c_rls_policies.sql', text: again },
  ];
  assert.deepEqual(lintFiles(files, ID).mine.map((f) => f.message), []);
  await inRollback(await getDb(), async (q) => {
    assert.deepEqual(await runFilesInTransactions(q, files), ['ok', '42P07', 'ok']);
    assert.deepEqual((await q(`SELECT roles::text FROM pg_policies WHERE policyname = 'tenant_isolation_users'`)).map((r) => r.roles), ['{authenticated}']);
  });
  // a runner that only records the text: the schema's table is made there, the second CREATE POLICY collides (reported; PostgreSQL agrees)
  const inert = runner.replace('EXECUTE migration_sql;', 'INSERT INTO schema_migrations VALUES (migration_version || migration_sql);');
  const mine = lintFiles([{ ...files[0]!, text: inert }, files[1]!, files[2]!], ID).mine;
  assert.equal(mine.length, 1);
  assert.match(mine[0]!.message, /^The policy "tenant_isolation_users" already exists on users: it is created at b_schema\.sql:3/);
  await inRollback(await getDb(), async (q) => {
    assert.deepEqual(await runFilesInTransactions(q, [{ text: inert }, files[1]!, files[2]!]), ['ok', 'ok', '42710']);
  });
});
