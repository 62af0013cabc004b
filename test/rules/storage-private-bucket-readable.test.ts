// storage-private-bucket-readable on PostgreSQL (PGlite, Supabase's storage tables as a stub): a
// SELECT policy on storage.objects admitting anon to every object of a private bucket lets an anon
// request read every file's row; a policy tied to the owner's folder, or a public bucket, is not
// reported. Calibration: be-my-doctor's 'patient-documents'.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { closeAll, count, getDb, inRollback } from '../helpers/pg.js';
import { initParser, invalidFinding, lintDocExample, lintFiles, sqlOf, TENANT_A, TENANT_B, textAt } from '../helpers/rule-proof.js';
import { actAs, AUTH_STUB_SQL, STORAGE_STUB_SQL as STORAGE } from '../helpers/supabase.js';

const ID = 'storage-private-bucket-readable';
before(initParser);
after(closeAll);

const files = (sql: string) => `INSERT INTO storage.objects (bucket_id, name) VALUES ('patient-documents', '${TENANT_A}/scan.pdf'), ('patient-documents', '${TENANT_B}/scan.pdf');`;

test('err: anon reads every object of a private bucket (PGlite: both patients\' files); the owner-folder policy gives anon none and each patient their own', async () => {
  const { ws, finding } = invalidFinding(ID, 0);
  assert.equal(textAt(ws, finding), '"Patient documents are publicly accessible"');
  assert.match(finding.message, /^Policy "Patient documents are publicly accessible" on storage\.objects lets anon \(every request, signed in or not: it has no TO clause, so it applies to PUBLIC\) read every object of bucket 'patient-documents', which the migrations make private \(public = false, at 20250726182403_documents\.sql:1\)/);
  const db = await getDb();
  await inRollback(db, async (q) => {
    await q(AUTH_STUB_SQL);
    await q(STORAGE);
    await q(sqlOf(ws));
    await q(files(''));
    await q('SET ROLE anon');
    assert.equal(await count(q, 'storage.objects'), 2, 'anon reads every file of the private bucket');
  });
  const valid = lintDocExample(ID, 'valid', 0);
  assert.deepEqual(valid.mine, []);
  await inRollback(db, async (q) => {
    await q(AUTH_STUB_SQL);
    await q(STORAGE);
    await q(sqlOf(valid.ws));
    await q(files(''));
    await q('SET ROLE anon');
    assert.equal(await count(q, 'storage.objects'), 0, 'anon: none');
    await q('RESET ROLE');
    await q(actAs(TENANT_A));
    await q('SET ROLE authenticated');
    assert.equal(await count(q, 'storage.objects'), 1, 'a patient: their own');
  });
});

test('ok: a public bucket, a bucket made public later, a policy for authenticated only: not reported', () => {
  const policy = `CREATE POLICY docs_read ON storage.objects FOR SELECT USING (bucket_id = 'docs');\n`;
  const mk = (sql: string) => lintFiles([{ file: 'supabase/migrations/20250101000000_b.sql', text: sql }], ID).mine.length;
  assert.equal(mk(`INSERT INTO storage.buckets (id, name, public) VALUES ('docs', 'docs', false);\n${policy}`), 1);
  assert.equal(mk(`INSERT INTO storage.buckets (id, name) VALUES ('docs', 'docs');\n${policy}`), 1, 'public defaults to false');
  assert.equal(mk(`INSERT INTO storage.buckets (id, name, public) VALUES ('docs', 'docs', true);\n${policy}`), 0);
  assert.equal(mk(`INSERT INTO storage.buckets (id, name, public) VALUES ('docs', 'docs', false);\nUPDATE storage.buckets SET public = true WHERE id = 'docs';\n${policy}`), 0);
  assert.equal(mk(`INSERT INTO storage.buckets (id, name, public) VALUES ('docs', 'docs', false);\n${policy.replace('FOR SELECT', 'FOR SELECT TO authenticated')}`), 0);
});

test("err/ok: every signed-in user reads every object of a private bucket beside a SELECT policy admitting only some of them (stfrancis' chat files): reported, and PGlite shows a user the narrower policy refuses reading both files; a bucket-wide policy for authenticated alone is not", async () => {
  const file = 'supabase/migrations/20250101000000_chat.sql';
  const base = `INSERT INTO storage.buckets (id, name, public) VALUES ('chat-attachments', 'chat-attachments', false);
CREATE POLICY "Teachers can view chat files" ON storage.objects FOR SELECT TO authenticated
  USING (bucket_id = 'chat-attachments' AND (select auth.jwt() -> 'app_metadata' ->> 'staff') = 'teacher');
`;
  const wide = `${base}CREATE POLICY "Authenticated users can view chat files" ON storage.objects FOR SELECT TO authenticated USING (bucket_id = 'chat-attachments');\n`;
  const linted = lintFiles([{ file, text: wide }], ID);
  assert.equal(linted.mine.length, 1);
  assert.equal(textAt(linted.ws, linted.mine[0]!), '"Authenticated users can view chat files"');
  assert.match(
    linted.mine[0]!.message,
    /^Policy "Authenticated users can view chat files" on storage\.objects lets every signed-in user \(authenticated\) read every object of bucket 'chat-attachments', which the migrations make private .* while policy "Teachers can view chat files" admits only some of them to it: permissive policies are ORed/,
  );
  // (alone, a bucket every signed-in user reads may be what it is for)
  assert.equal(lintFiles([{ file, text: wide.replace(/CREATE POLICY "Teachers[\s\S]*?'teacher'\);\n/, '') }], ID).mine.length, 0);
  assert.equal(lintFiles([{ file, text: base }], ID).mine.length, 0);
  await inRollback(await getDb(), async (q) => {
    await q(AUTH_STUB_SQL);
    await q(STORAGE);
    await q(sqlOf(linted.ws));
    await q(`INSERT INTO storage.objects (bucket_id, name) VALUES ('chat-attachments', 'c1/a.png'), ('chat-attachments', 'c2/b.png')`);
    await q(actAs(TENANT_B, { app_metadata: { staff: 'parent' } }));
    await q('SET ROLE authenticated');
    assert.equal(await count(q, 'storage.objects'), 2, 'a user who is no teacher reads both files');
  });
  await inRollback(await getDb(), async (q) => {
    await q(AUTH_STUB_SQL);
    await q(STORAGE);
    await q(base);
    await q(`INSERT INTO storage.objects (bucket_id, name) VALUES ('chat-attachments', 'c1/a.png')`);
    await q(actAs(TENANT_B, { app_metadata: { staff: 'parent' } }));
    await q('SET ROLE authenticated');
    assert.equal(await count(q, 'storage.objects'), 0, 'without the wide policy: none');
  });
});

test("ok: a bucket made public, then inserted again without public under a DO block's IF NOT EXISTS guard (colorminds-style idempotent migration): PGlite shows the bucket stays public, so it is not reported as private; a plain re-insert fails (23505) and leaves it public too; after a DELETE the insert makes it anew", async () => {
  const a = { file: 'supabase/migrations/20250101000000_a.sql', text: `-- 公開バケット 🖼️\nINSERT INTO storage.buckets (id, name, public) VALUES ('pages', 'pages', true);\n` };
  const guarded = `DO $$\nBEGIN\n  IF NOT EXISTS (SELECT 1 FROM storage.buckets WHERE id = 'pages') THEN\n    INSERT INTO storage.buckets (id, name) VALUES ('pages', 'pages');\n  END IF;\nEND $$;\n`;
  const policy = `CREATE POLICY "Public can view pages" ON storage.objects FOR SELECT USING (bucket_id = 'pages');\n`;
  const b = { file: 'supabase/migrations/20250102000000_b.sql', text: guarded + policy };
  const linted = lintFiles([a, b], ID);
  assert.deepEqual(linted.mine, []);
  // (the bucket is public: storage-public-bucket-listable says so, at the insert that made it)
  const listable = lintFiles([a, b], 'storage-public-bucket-listable').mine;
  assert.equal(listable.length, 1);
  assert.match(listable[0]!.message, /public bucket 'pages' \(public = true, at 20250101000000_a\.sql:2\)/);
  await inRollback(await getDb(), async (q) => {
    await q(AUTH_STUB_SQL);
    await q(STORAGE);
    await q(sqlOf(linted.ws));
    assert.deepEqual(await q(`SELECT public FROM storage.buckets WHERE id = 'pages'`), [{ public: true }], 'the guarded insert was skipped: the bucket is still public');
  });
  const plain = `INSERT INTO storage.buckets (id, name) VALUES ('pages', 'pages');\n`;
  assert.equal(lintFiles([a, { file: b.file, text: plain + policy }], ID).mine.length, 0, 'a plain re-insert fails with 23505');
  await inRollback(await getDb(), async (q) => {
    await q(AUTH_STUB_SQL);
    await q(STORAGE);
    await q(a.text);
    await assert.rejects(q(plain), /duplicate key value violates unique constraint/);
  });
  const anew = `DELETE FROM storage.buckets WHERE id = 'pages';\n${plain}`;
  assert.equal(lintFiles([a, { file: b.file, text: anew + policy }], ID).mine.length, 1, 'deleted, then made anew private');
});

test('err: a SELECT policy that does not even name a bucket (USING (true), no TO) lets anon read every object of a private bucket: reported, and PGlite shows anon reading both files; a bucketless policy for signed-in users alone is not, unless a narrower policy of the bucket is beside it', async () => {
  const file = 'supabase/migrations/20250101000000_c.sql';
  const bucket = `INSERT INTO storage.buckets (id, name, public) VALUES ('patient-documents', 'patient-documents', false);\n`;
  const text = `${bucket}CREATE POLICY "Enable read access for all users" ON storage.objects AS PERMISSIVE FOR SELECT TO public USING (true);\n`;
  const linted = lintFiles([{ file, text }], ID);
  assert.deepEqual(linted.mine.map((f) => textAt(linted.ws, f)), ['"Enable read access for all users"']);
  assert.match(
    linted.mine[0]!.message,
    /^Policy "Enable read access for all users" on storage\.objects lets anon \(every request, signed in or not: it is TO PUBLIC\) read every object of bucket 'patient-documents', which the migrations make private \(public = false, at 20250101000000_c\.sql:1\), as its USING does not even ask for the bucket: /,
  );
  await inRollback(await getDb(), async (q) => {
    await q(AUTH_STUB_SQL);
    await q(STORAGE);
    await q(sqlOf(linted.ws));
    await q(files(''));
    await q('SET ROLE anon');
    assert.equal(await count(q, 'storage.objects'), 2, 'anon reads every file of the private bucket');
  });
  const mk = (sql: string) => lintFiles([{ file, text: sql }], ID).mine;
  const signedIn = `${bucket}CREATE POLICY "Signed-in users read" ON storage.objects FOR SELECT TO authenticated USING (true);\n`;
  assert.equal(mk(signedIn).length, 0, 'every signed-in user, nothing narrower beside');
  const beside = mk(`${signedIn}CREATE POLICY "Own documents" ON storage.objects FOR SELECT TO authenticated USING (bucket_id = 'patient-documents' AND (storage.foldername(name))[1] = (select auth.uid())::text);\n`);
  assert.equal(beside.length, 1);
  assert.match(beside[0]!.message, /lets every signed-in user \(authenticated\) read every object of bucket 'patient-documents', .*, as its USING does not even ask for the bucket, while policy "Own documents" admits only some of them/);
  assert.equal(mk(`${bucket}CREATE POLICY own ON storage.objects FOR SELECT USING (owner = (select auth.uid()));\n`).length, 0, 'an owner condition');
});

test("ok: UPDATE storage.buckets … WHERE id IN (…) makes the buckets it lists private, so a later plain re-insert (23505) is not where they are made private (calibration cal110: Real-estate-Crm's 'property-images'); PGlite: the re-insert fails, the bucket is private from the UPDATE", async () => {
  const a = { file: 'supabase/migrations/20250101000000_a.sql', text: `INSERT INTO storage.buckets (id, name, public) VALUES ('avatars', 'avatars', true), ('images', 'images', true) ON CONFLICT (id) DO NOTHING;\n` };
  const b = { file: 'supabase/migrations/20250102000000_b.sql', text: `UPDATE storage.buckets SET public = false WHERE id IN ('avatars', 'images');\n` };
  const c = { file: 'supabase/migrations/20250103000000_c.sql', text: `INSERT INTO storage.buckets (id, name, public) VALUES ('images', 'images', false), ('docs', 'docs', false);\nCREATE POLICY "Anyone reads images" ON storage.objects FOR SELECT USING (bucket_id = 'images');\n` };
  const { mine } = lintFiles([a, b, c], ID);
  assert.equal(mine.length, 1);
  assert.match(mine[0]!.message, /read every object of bucket 'images', which the migrations make private \(public = false, at 20250102000000_b\.sql:1\)/);
  await inRollback(await getDb(), async (q) => {
    await q(AUTH_STUB_SQL);
    await q(STORAGE);
    await q(a.text);
    await q(b.text);
    await q('SAVEPOINT reinsert');
    await assert.rejects(q(c.text), /duplicate key value violates unique constraint/);
    await q('ROLLBACK TO SAVEPOINT reinsert');
    assert.deepEqual(await q(`SELECT id, public FROM storage.buckets ORDER BY id`), [{ id: 'avatars', public: false }, { id: 'images', public: false }], "the UPDATE made both private; the re-insert made nothing ('docs' neither)");
  });
  // (an UPDATE whose WHERE names buckets otherwise: which buckets it changes is not known, as before)
  const other = { ...b, text: `UPDATE storage.buckets SET public = false WHERE name LIKE 'im%';\n` };
  assert.match(lintFiles([a, other, c], ID).mine[0]?.message ?? '', /at 20250103000000_c\.sql:1\)/);
});
