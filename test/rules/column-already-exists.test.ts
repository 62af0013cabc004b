// column-already-exists on PostgreSQL (PGlite): an ALTER TABLE … ADD COLUMN of a column the table
// has fails with 42701, all of the ALTER TABLE with it, and with each file in one transaction (the
// Supabase CLI) the policy written after it in the file is never made: the shared notes stay
// unreadable. IF NOT EXISTS (the safe fix where the statement writes the column as it is) runs,
// re-lints clean and leaves the column as it was. Columns that something takes away between (DROP
// COLUMN, a DO block, CREATE TABLE IF NOT EXISTS, dynamic SQL) are not reported.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { closeAll, getDb, inRollback, type Q, runEachStatement, runFilesInTransactions } from '../helpers/pg.js';
import { applyFix, findingsOf, initParser, invalidFinding, lintFiles, nestedParentheses, TENANT_A, TENANT_B, textAt, validExampleRuns } from '../helpers/rule-proof.js';
import { actAs, AUTH_STUB_SQL } from '../helpers/supabase.js';

const ID = 'column-already-exists';
before(initParser);
after(closeAll);

const filesOf = (ws: { files(): string[]; text(f: string): string | undefined }) => ws.files().sort().map((file) => ({ file, text: ws.text(file)! }));

/** The columns of notes, its policies, and how many notes user B reads (A's shared one, once its policy exists). */
async function state(q: Q): Promise<{ columns: string; policies: string; readsB: number }> {
  const columns = (await q(`SELECT string_agg(attname || ' ' || format_type(atttypid, atttypmod) || CASE WHEN attnotnull THEN ' not null' ELSE '' END, ', ' ORDER BY attnum) AS c FROM pg_attribute WHERE attrelid = 'notes'::regclass AND attnum > 0 AND NOT attisdropped`))[0]!.c;
  const policies = (await q(`SELECT string_agg(policyname, ',' ORDER BY policyname) AS p FROM pg_policies WHERE tablename = 'notes'`))[0]!.p ?? '';
  await q(`INSERT INTO notes (id, owner_id, body, shared) VALUES (1, '${TENANT_A}', 'a', true)`);
  await q('GRANT SELECT ON notes TO authenticated');
  await q(actAs(TENANT_B));
  await q('SET ROLE authenticated');
  const readsB = (await q('SELECT id FROM notes')).length;
  await q('RESET ROLE');
  return { columns, policies, readsB };
}

test('err: a later migration adds the column again: 42701, its file is not applied, the policy after it never exists', async () => {
  const { ws, finding } = invalidFinding(ID, 0);
  assert.equal(textAt(ws, finding), 'shared');
  assert.equal(finding.file, 'supabase/migrations/20250103000000_sharing_read.sql');
  assert.equal(
    finding.message,
    'The table notes already has the column shared: it is made at 20250102000000_sharing.sql:1 (an earlier migration) and nothing drops it before this statement. ' +
      'PostgreSQL rejects the whole ALTER TABLE with 42701 column "shared" of relation "notes" already exists, so a migration tool applying the files in order stops here: ' +
      'the Supabase CLI runs each file in one transaction, so none of this file\'s statements is applied (the 1 after this one included: CREATE POLICY "notes_shared_read"), and no later migration runs. ' +
      'The other rules read the migrations as if it had run. Write ADD COLUMN IF NOT EXISTS (the existing column stays as it is, as this statement writes it), or remove it from this statement.',
  );
  assert.equal(nestedParentheses(finding.message), undefined);
  assert.deepEqual(finding.related?.map((r) => [r.file, r.message]), [['supabase/migrations/20250102000000_sharing.sql', 'the column shared of notes is made here']]);
  await inRollback(await getDb(), async (q) => {
    await q(AUTH_STUB_SQL);
    assert.deepEqual(await runFilesInTransactions(q, filesOf(ws)), ['ok', 'ok', '42701']);
    assert.deepEqual(await state(q), { columns: 'id bigint not null, owner_id uuid not null, body text, shared boolean not null', policies: 'notes_owner', readsB: 0 });
  });
});

test('err→ok: ADD COLUMN IF NOT EXISTS (safe: the same definition) re-lints clean and runs; removing the statement too', async () => {
  const { ws, finding } = invalidFinding(ID, 0);
  assert.deepEqual(
    finding.fixes.map((f) => [f.title, f.kind]),
    [
      ['Write ADD COLUMN IF NOT EXISTS shared (the existing column stays as it is)', 'safe'],
      ['Remove this ALTER TABLE (the existing column stays as it is)', 'unsafe'],
    ],
  );
  const ine = applyFix(ws, finding, /IF NOT EXISTS/);
  assert.match(ine.text('supabase/migrations/20250103000000_sharing_read.sql')!, /^ALTER TABLE notes ADD COLUMN IF NOT EXISTS shared boolean NOT NULL DEFAULT false;\n/);
  assert.deepEqual(findingsOf(ine, ID), []);
  const removed = applyFix(ws, finding, /^Remove/);
  assert.match(removed.text('supabase/migrations/20250103000000_sharing_read.sql')!, /^CREATE POLICY notes_shared_read/);
  assert.deepEqual(findingsOf(removed, ID), []);
  const db = await getDb();
  for (const fixed of [ine, removed]) {
    await inRollback(db, async (q) => {
      await q(AUTH_STUB_SQL);
      assert.deepEqual(await runFilesInTransactions(q, filesOf(fixed)), ['ok', 'ok', 'ok']);
      assert.deepEqual(await state(q), { columns: 'id bigint not null, owner_id uuid not null, body text, shared boolean not null', policies: 'notes_owner,notes_shared_read', readsB: 1 });
    });
  }
});

const base = {
  file: 'migrations/001_notes.sql',
  text: 'CREATE TABLE notes (id bigint PRIMARY KEY, owner_id uuid NOT NULL, body text, shared text);\nALTER TABLE notes ENABLE ROW LEVEL SECURITY;\n',
};

test('err: another type or a default: the fix is offered only, and the message says the column keeps its own', async () => {
  const files = [base, { file: 'migrations/002_sharing.sql', text: 'ALTER TABLE notes ADD COLUMN pinned boolean, ADD COLUMN shared boolean NOT NULL DEFAULT false;\nGRANT SELECT ON notes TO PUBLIC;\nSELECT 1;\n' }];
  const { ws, mine } = lintFiles(files, ID);
  assert.equal(mine.length, 1);
  const [f] = mine;
  assert.equal(textAt(ws, f!), 'shared');
  assert.match(f!.message, /made at 001_notes\.sql:1 \(an earlier migration\)/);
  assert.match(f!.message, /stops here, before the 2 statements after it in this file, among them a GRANT\. /);
  assert.match(f!.message, /the existing column stays as it is: its type is text, not the boolean written here, with its own default and constraints, not those written here\), or remove it from this statement; to change a column, use ALTER COLUMN\.$/);
  assert.deepEqual(f!.fixes.map((x) => [x.title, x.kind]), [['Write ADD COLUMN IF NOT EXISTS shared (the existing column stays as it is)', 'unsafe']]);
  await inRollback(await getDb(), async (q) => {
    // (the whole ALTER TABLE fails: pinned is not added either)
    assert.deepEqual((await runEachStatement(q, files.map((x) => x.text).join('\n'))).map((e) => e.code), ['42701']);
    const cols = (await q(`SELECT string_agg(attname, ',' ORDER BY attnum) AS c FROM pg_attribute WHERE attrelid = 'notes'::regclass AND attnum > 0`))[0]!.c;
    assert.equal(cols, 'id,owner_id,body,shared');
  });
  const fixed = applyFix(ws, f!);
  assert.deepEqual(findingsOf(fixed, ID), []);
  await inRollback(await getDb(), async (q) => {
    assert.deepEqual(await runEachStatement(q, filesOf(fixed).map((x) => x.text).join('\n')), []);
    const t = (await q(`SELECT format_type(atttypid, atttypmod) AS t, attnotnull AS n FROM pg_attribute WHERE attrelid = 'notes'::regclass AND attname = 'shared'`))[0]!;
    assert.deepEqual([t.t, t.n], ['text', false]);
  });
});

test('err: the same type, nothing else written: safe; in the same file as the CREATE TABLE', async () => {
  const files = [{ file: 'migrations/001_notes.sql', text: `${base.text}ALTER TABLE public.notes ADD shared text;\n` }];
  const { ws, mine } = lintFiles(files, ID);
  assert.equal(mine.length, 1);
  assert.match(mine[0]!.message, /made at 001_notes\.sql:1 and nothing drops it/);
  assert.match(mine[0]!.message, /stops here\. The other rules/);
  assert.deepEqual(mine[0]!.fixes.map((x) => x.kind), ['safe', 'unsafe']);
  const fixed = applyFix(ws, mine[0]!);
  assert.equal(fixed.text('migrations/001_notes.sql')!.split('\n')[2], 'ALTER TABLE public.notes ADD IF NOT EXISTS shared text;');
  assert.deepEqual(findingsOf(fixed, ID), []);
  await inRollback(await getDb(), async (q) => {
    assert.deepEqual((await runEachStatement(q, files[0]!.text)).map((e) => `${e.code} ${e.message}`), ['42701 column "shared" of relation "notes" already exists']);
  });
});

test('err: an ALTER TABLE adding several columns the table has is one finding, and its fix writes IF NOT EXISTS on each (putuporshutup\'s wagers)', async () => {
  const add = 'ALTER TABLE public.wagers\nADD COLUMN wager_type text NOT NULL DEFAULT \'1v1\',\nADD COLUMN team_size integer;\n';
  const files = [
    { file: 'supabase/migrations/20250727005346_wagers.sql', text: `CREATE TABLE public.wagers (id uuid PRIMARY KEY DEFAULT gen_random_uuid());\nALTER TABLE public.wagers ENABLE ROW LEVEL SECURITY;\n${add}` },
    { file: 'supabase/migrations/20250727011801_wagers_again.sql', text: `-- Enhance wagers table to support multiple wager types\n${add}CREATE TABLE public.wager_teams (id uuid PRIMARY KEY);\nALTER TABLE public.wager_teams ENABLE ROW LEVEL SECURITY;\n` },
  ];
  const { ws, mine } = lintFiles(files, ID);
  assert.equal(mine.length, 1);
  const [f] = mine;
  assert.equal(textAt(ws, f!), 'wager_type');
  assert.match(f!.message, /^The table wagers already has the columns wager_type and team_size: they are made at 20250727005346_wagers\.sql:3 \(an earlier migration\) and nothing drops them before this statement\. PostgreSQL rejects the whole ALTER TABLE with 42701 column "wager_type" of relation "wagers" already exists/);
  assert.match(f!.message, /none of this file's statements is applied \(the 2 after this one included, among them ENABLE ROW LEVEL SECURITY on wager_teams\)/);
  assert.match(f!.message, /the existing columns stay as they are, as this statement writes them\), or remove them from this statement\.$/);
  assert.equal(f!.related?.length, 2);
  assert.deepEqual(f!.fixes.map((x) => [x.title, x.kind]), [
    ['Write ADD COLUMN IF NOT EXISTS wager_type, team_size (the existing columns stay as they are)', 'safe'],
    ['Remove this ALTER TABLE (the existing columns stay as they are)', 'unsafe'],
  ]);
  const fixed = applyFix(ws, f!);
  assert.match(fixed.text(files[1]!.file)!, /ADD COLUMN IF NOT EXISTS wager_type text NOT NULL DEFAULT '1v1',\nADD COLUMN IF NOT EXISTS team_size integer;/);
  assert.deepEqual(findingsOf(fixed, ID), []);
  await inRollback(await getDb(), async (q) => {
    assert.deepEqual(await runFilesInTransactions(q, files), ['ok', '42701']);
    assert.equal((await q(`SELECT count(*)::int AS n FROM pg_class WHERE relname = 'wager_teams'`))[0]!.n, 0);
  });
  await inRollback(await getDb(), async (q) => {
    assert.deepEqual(await runFilesInTransactions(q, filesOf(fixed)), ['ok', 'ok']);
    assert.equal((await q(`SELECT relrowsecurity AS r FROM pg_class WHERE relname = 'wager_teams'`))[0]!.r, true);
  });
});

test('ok: the column taken away or not known between: DROP COLUMN, DROP TABLE, RENAME, CREATE TABLE IF NOT EXISTS, a DO block, dynamic SQL, another folder, another table', () => {
  const again = (between: string, file = 'migrations/003_again.sql') => lintFiles([base, { file: 'migrations/002_between.sql', text: between }, { file, text: 'ALTER TABLE notes ADD COLUMN shared text;\n' }], ID).mine.length;
  assert.equal(again('SELECT 1;\n'), 1);
  assert.equal(again('ALTER TABLE notes DROP COLUMN shared;\n'), 0);
  assert.equal(again('DROP TABLE notes;\nCREATE TABLE notes (id bigint PRIMARY KEY, owner_id uuid NOT NULL);\n'), 0);
  assert.equal(again('ALTER TABLE notes RENAME COLUMN shared TO shared_old;\n'), 0);
  assert.equal(again('ALTER TABLE notes RENAME TO notes_old;\nCREATE TABLE notes (id bigint);\n'), 0);
  assert.equal(again('CREATE TABLE IF NOT EXISTS notes (id bigint);\n'), 0);
  assert.equal(again("DO $$ BEGIN ALTER TABLE notes DROP COLUMN shared; EXCEPTION WHEN others THEN NULL; END $$;\n"), 0);
  assert.equal(again("DO $$ BEGIN EXECUTE 'ALTER TABLE notes DROP COLUMN ' || 'shared'; END $$;\n"), 0);
  assert.equal(again('DROP TYPE IF EXISTS mood CASCADE;\n'), 0);
  assert.equal(again('SELECT 1;\n', 'other/003_again.sql'), 0);
  assert.equal(lintFiles([base, { file: 'migrations/002.sql', text: 'CREATE TABLE other (id int);\nALTER TABLE other ADD COLUMN shared text;\nALTER TABLE notes ADD COLUMN IF NOT EXISTS shared text;\n' }], ID).mine.length, 0);
  // (made in a file PostgreSQL rejects a statement of: that file made nothing, this is the retry)
  assert.equal(lintFiles([{ ...base, text: `${base.text}CREATE POLICY p ON notes FOR SELECT USING (nope = 1);\n` }, { file: 'migrations/002.sql', text: 'ALTER TABLE notes ADD COLUMN shared text;\n' }], ID).mine.length, 0);
});

test('ok: the Valid example runs (IF NOT EXISTS, a column dropped then added, a guarded DO block)', async () => {
  await validExampleRuns(ID, 0, async (q) => {
    const cols = (await q(`SELECT string_agg(attname, ',' ORDER BY attnum) AS c FROM pg_attribute WHERE attrelid = 'notes'::regclass AND attnum > 0 AND NOT attisdropped`))[0]!.c;
    assert.equal(cols, 'id,owner_id,shared,body');
  });
});
