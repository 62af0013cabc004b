// policy-storage-name-shadowed on PostgreSQL (PGlite): storage.foldername(name) inside a storage
// policy's sub-select reading a table with a name column of its own is that table's name:
// pg_policies shows storage.foldername(projects.name), the project's owner gets none of its
// files and cannot upload; the safe fix (objects.name) re-lints clean and admits them.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { closeAll, count, getDb, inRollback, tryQuery, type Q } from '../helpers/pg.js';
import { applyFix, findingsOf, initParser, invalidFinding, lintDocExample, lintFiles, sqlOf, TENANT_A, TENANT_B, textAt } from '../helpers/rule-proof.js';
import { actAs, AUTH_STUB_SQL } from '../helpers/supabase.js';

const ID = 'policy-storage-name-shadowed';
before(initParser);
after(closeAll);

const PROJECT = '11111111-1111-1111-1111-111111111111';

/** Supabase Storage's table and path helper, the migration, A's project with one file (and B's file elsewhere); then act as A. */
async function asOwnerOfProject(q: Q, sql: string): Promise<void> {
  await q(AUTH_STUB_SQL);
  await q(`CREATE SCHEMA storage; GRANT USAGE ON SCHEMA storage TO anon, authenticated;
CREATE TABLE storage.objects (id bigserial PRIMARY KEY, bucket_id text NOT NULL, name text NOT NULL, owner uuid);
ALTER TABLE storage.objects ENABLE ROW LEVEL SECURITY;
GRANT SELECT, INSERT, UPDATE, DELETE ON storage.objects TO anon, authenticated;
GRANT USAGE ON SEQUENCE storage.objects_id_seq TO authenticated;
CREATE FUNCTION storage.foldername(name text) RETURNS text[] LANGUAGE sql IMMUTABLE AS $$ SELECT (string_to_array(name, '/'))[1:array_length(string_to_array(name, '/'), 1) - 1] $$;`);
  await q(sql);
  await q('GRANT SELECT ON public.projects TO authenticated');
  await q(`INSERT INTO public.projects VALUES ('${PROJECT}', 'My thesis', '${TENANT_A}')`);
  await q(`INSERT INTO storage.objects (bucket_id, name, owner) VALUES ('project-files', '${PROJECT}/report.pdf', '${TENANT_A}'), ('project-files', 'other/secret.pdf', '${TENANT_B}')`);
  await q(`${actAs(TENANT_A)} SET ROLE authenticated`);
}

const UPLOAD = `CREATE POLICY "project uploads" ON storage.objects FOR INSERT TO authenticated
  WITH CHECK (bucket_id = 'project-files' AND EXISTS (
    SELECT 1 FROM public.projects WHERE projects.id::text = (storage.foldername(name))[1] AND projects.owner_id = (select auth.uid())));
`;

test("err: storage.foldername(name) in the sub-select is projects.name: A reads none of its project's files (pg_policies shows projects.name); fixed (objects.name): its file, not B's", async () => {
  const { ws, finding } = invalidFinding(ID, 0);
  assert.equal(textAt(ws, finding), 'name');
  assert.match(finding.message, /^In policy "project files" on storage\.objects, storage\.foldername\(name\) is inside a sub-select reading public\.projects, which has a column "name" of its own: .* so this is projects\.name .* the files the policy should admit through it are not returned; .* Write objects\.name\.$/);
  const db = await getDb();
  await inRollback(db, async (q) => {
    await asOwnerOfProject(q, sqlOf(ws));
    assert.equal(await count(q, 'storage.objects'), 0, "A's own file is not admitted");
    await q('RESET ROLE');
    const [row] = await q(`SELECT qual FROM pg_policies WHERE policyname = 'project files'`);
    assert.match(String((row as { qual: string }).qual), /storage\.foldername\(projects\.name\)/);
  });
  const fixed = applyFix(ws, finding);
  assert.equal(finding.fixes[0]!.kind, 'safe');
  assert.match(sqlOf(fixed), /\(storage\.foldername\(objects\.name\)\)\[1\]/);
  assert.deepEqual(findingsOf(fixed, ID), []);
  await inRollback(db, async (q) => {
    await asOwnerOfProject(q, sqlOf(fixed));
    assert.deepEqual(await q('SELECT name FROM storage.objects'), [{ name: `${PROJECT}/report.pdf` }]);
  });
});

test('ok: the Valid example (objects.name) runs and admits A its file', async () => {
  const { ws, mine } = lintDocExample(ID, 'valid', 0);
  assert.deepEqual(mine, []);
  await inRollback(await getDb(), async (q) => {
    await asOwnerOfProject(q, sqlOf(ws));
    assert.equal(await count(q, 'storage.objects'), 1);
  });
});

test('err: in an INSERT policy\'s WITH CHECK the upload to A\'s own project fails with 42501; fixed, it succeeds', async () => {
  const base = sqlOf(lintDocExample(ID, 'valid', 0).ws);
  const file = 'supabase/migrations/20240101000000_project_files.sql';
  const { ws, mine } = lintFiles([{ file, text: `${base}${UPLOAD}` }], ID);
  assert.equal(mine.length, 1);
  assert.match(mine[0]!.message, /are refused \(an upload of one fails with 42501 new row violates row-level security policy\)/);
  const db = await getDb();
  const upload = `INSERT INTO storage.objects (bucket_id, name, owner) VALUES ('project-files', '${PROJECT}/new.pdf', '${TENANT_A}')`;
  await inRollback(db, async (q) => {
    await asOwnerOfProject(q, sqlOf(ws));
    const r = await tryQuery(q, upload);
    assert.equal(!r.ok && r.error.code, '42501');
  });
  const fixed = applyFix(ws, mine[0]!);
  assert.deepEqual(findingsOf(fixed, ID), []);
  await inRollback(db, async (q) => {
    await asOwnerOfProject(q, sqlOf(fixed));
    assert.ok((await tryQuery(q, upload)).ok);
  });
});

test('ok: not reported when the table read has no name column, names it qualified, when two tables of the FROM list have one (42702), or for a table the migrations do not show; storage.buckets has one', () => {
  const file = 'supabase/migrations/20240101000000_x.sql';
  const lint = (text: string) => lintFiles([{ file, text }], ID).mine.length;
  const table = (cols: string) => `CREATE TABLE public.projects (id uuid PRIMARY KEY, ${cols}owner_id uuid NOT NULL);\n`;
  const policy = (from: string, arg = 'name') =>
    `CREATE POLICY p ON storage.objects FOR SELECT TO authenticated USING (EXISTS (SELECT 1 FROM ${from} WHERE projects.id::text = (storage.foldername(${arg}))[1]));\n`;
  assert.equal(lint(table('name text, ') + policy('public.projects')), 1);
  assert.equal(lint(table('') + policy('public.projects')), 0);
  assert.equal(lint(table('name text, ') + policy('public.projects', 'objects.name')), 0);
  assert.equal(lint(`${table('name text, ')}CREATE TABLE public.teams (id int, name text);\n${policy('public.projects JOIN public.teams ON true')}`), 0);
  assert.equal(lint(policy('public.projects')), 0);
  assert.equal(lint(`${table('')}${policy('public.projects JOIN storage.buckets b ON b.id = projects.id::text')}`), 1);
});

// Calibration cal33 (PostgreSQL binds the name when CREATE POLICY runs)
test("ok: a name column the table gets only after the policy (ALTER TABLE … ADD COLUMN name) is not the one the policy read: not reported (pg_policies keeps objects.name), nor when one is renamed to or from name", async () => {
  const file = 'supabase/migrations/20240101000000_project_files.sql';
  const base = `CREATE TABLE public.projects (id uuid PRIMARY KEY, owner_id uuid NOT NULL);
ALTER TABLE public.projects ENABLE ROW LEVEL SECURITY;
CREATE POLICY "project files" ON storage.objects FOR SELECT TO authenticated
  USING (bucket_id = 'project-files' AND EXISTS (
    SELECT 1 FROM public.projects WHERE projects.id::text = (storage.foldername(name))[1] AND projects.owner_id = (select auth.uid())));
`;
  const lint = (text: string) => lintFiles([{ file, text }], ID).mine.length;
  const added = `${base}ALTER TABLE public.projects ADD COLUMN name text;\n`;
  assert.equal(lint(added), 0);
  assert.equal(lint(`${base}ALTER TABLE public.projects ADD COLUMN title text;\nALTER TABLE public.projects RENAME COLUMN title TO name;\n`), 0);
  assert.equal(lint(base.replace('owner_id uuid NOT NULL)', 'owner_id uuid NOT NULL, name text)') + 'ALTER TABLE public.projects RENAME COLUMN name TO title;\n'), 0);
  await inRollback(await getDb(), async (q) => {
    await q(AUTH_STUB_SQL);
    await q(`CREATE SCHEMA storage; CREATE TABLE storage.objects (id bigserial PRIMARY KEY, bucket_id text NOT NULL, name text NOT NULL, owner uuid);
CREATE FUNCTION storage.foldername(name text) RETURNS text[] LANGUAGE sql IMMUTABLE AS $$ SELECT string_to_array(name, '/') $$;`);
    await q(added);
    const [row] = await q(`SELECT qual FROM pg_policies WHERE policyname = 'project files'`);
    assert.match(String((row as { qual: string }).qual), /storage\.foldername\(objects\.name\)/);
  });
});
