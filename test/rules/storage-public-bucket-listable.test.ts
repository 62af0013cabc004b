// storage-public-bucket-listable on PostgreSQL (PGlite, Supabase's storage tables as a stub): a
// SELECT policy on storage.objects admitting anon to every object of a public bucket lets an anon
// request list every file's name (the Storage API's list is this SELECT); without it, anon lists
// none — the public URL needs no policy. Calibration: sprintable's 'recordings' and
// 'memo-attachments' (029_meetings_recording.sql, 20260410093000_memo_collaboration_parity.sql).
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { closeAll, getDb, inRollback } from '../helpers/pg.js';
import { initParser, invalidFinding, lintDocExample, lintFiles, sqlOf, TENANT_A, TENANT_B, textAt, nestedParentheses } from '../helpers/rule-proof.js';
import { actAs, AUTH_STUB_SQL, STORAGE_STUB_SQL } from '../helpers/supabase.js';

const ID = 'storage-public-bucket-listable';
before(initParser);
after(closeAll);

const FILE = 'supabase/migrations/029_meetings_recording.sql';
// (two users' recordings, each in their own folder, as an app uploads them)
const OBJECTS = `INSERT INTO storage.objects (bucket_id, name) VALUES ('recordings', '${TENANT_A}/standup.webm'), ('recordings', '${TENANT_B}/retro.webm');`;
const LIST = `SELECT name FROM storage.objects WHERE bucket_id = 'recordings' ORDER BY name`;
const mine = (text: string) => lintFiles([{ file: FILE, text }], ID).mine;

test("err: anon lists every object of a public bucket (PGlite: both users' recordings); without the SELECT policy anon lists none, and the owner-folder policy gives each user their own", async () => {
  const { ws, finding } = invalidFinding(ID, 0);
  assert.equal(textAt(ws, finding), '"recordings_select"');
  assert.match(
    finding.message,
    /^Policy "recordings_select" on storage\.objects lets anon \(any request with the project's public anon key alone: it has no TO clause, so it applies to PUBLIC\) list every object of public bucket 'recordings' \(public = true, at 029_meetings_recording\.sql:1\): its USING asks only for the bucket, /,
  );
  assert.match(finding.message, /Listing a bucket through the Storage API is a SELECT on storage\.objects that these policies filter/);
  assert.match(finding.message, /Public URLs need no SELECT policy: drop "recordings_select"/);
  assert.match(finding.message, /scope it to the caller \(e\.g\. `TO authenticated USING \(bucket_id = 'recordings' AND \(storage\.foldername\(name\)\)\[1\] = \(select auth\.uid\(\)\)::text\)`\)\.$/);
  assert.equal(nestedParentheses(finding.message), undefined, 'SQL in backticks: no parenthesis inside another');
  assert.deepEqual(finding.related?.map((r) => r.message), ["bucket 'recordings' is made public here"]);
  const db = await getDb();
  await inRollback(db, async (q) => {
    await q(AUTH_STUB_SQL);
    await q(STORAGE_STUB_SQL);
    await q(sqlOf(ws));
    await q(OBJECTS);
    await q('SET ROLE anon');
    assert.deepEqual((await q(LIST)).map((r) => r.name), [`${TENANT_A}/standup.webm`, `${TENANT_B}/retro.webm`], 'anon lists every recording');
  });
  // Valid 1: the same bucket without a SELECT policy
  const none = lintDocExample(ID, 'valid', 0);
  assert.deepEqual(none.mine, []);
  await inRollback(db, async (q) => {
    await q(AUTH_STUB_SQL);
    await q(STORAGE_STUB_SQL);
    await q(sqlOf(none.ws));
    await q(OBJECTS);
    await q('SET ROLE anon');
    assert.deepEqual(await q(LIST), [], 'anon: none');
  });
  // Valid 2: listing scoped to the caller's folder
  const own = lintDocExample(ID, 'valid', 1);
  assert.deepEqual(own.mine, []);
  await inRollback(db, async (q) => {
    await q(AUTH_STUB_SQL);
    await q(STORAGE_STUB_SQL);
    await q(sqlOf(own.ws));
    await q(OBJECTS);
    await q('SET ROLE anon');
    assert.deepEqual(await q(LIST), [], 'anon: none');
    await q('RESET ROLE');
    await q(actAs(TENANT_A));
    await q('SET ROLE authenticated');
    assert.deepEqual((await q(LIST)).map((r) => r.name), [`${TENANT_A}/standup.webm`], 'a user: their own');
  });
});

test("err: sprintable's migration as written (ON CONFLICT DO NOTHING, the writes for auth.role() = 'authenticated'): only the SELECT policy, and PGlite shows anon listing", async () => {
  const text = `INSERT INTO storage.buckets (id, name, public, file_size_limit, allowed_mime_types)
VALUES (
  'recordings',
  'recordings',
  true,
  52428800, -- 50 MB
  ARRAY['audio/webm', 'audio/wav', 'audio/mp4', 'audio/mpeg', 'audio/ogg']
)
ON CONFLICT (id) DO NOTHING;

CREATE POLICY "recordings_select" ON storage.objects FOR SELECT
  USING (bucket_id = 'recordings');

CREATE POLICY "recordings_insert" ON storage.objects FOR INSERT
  WITH CHECK (
    bucket_id = 'recordings'
    AND auth.role() = 'authenticated'
  );

CREATE POLICY "recordings_update" ON storage.objects FOR UPDATE
  USING (
    bucket_id = 'recordings'
    AND auth.role() = 'authenticated'
  );
`;
  const linted = lintFiles([{ file: FILE, text }], ID);
  assert.deepEqual(linted.mine.map((f) => textAt(linted.ws, f)), ['"recordings_select"']);
  assert.match(linted.mine[0]!.message, /public = true, at 029_meetings_recording\.sql:1\)/);
  await inRollback(await getDb(), async (q) => {
    await q(AUTH_STUB_SQL);
    await q(`CREATE FUNCTION auth.role() RETURNS text LANGUAGE sql STABLE AS $$ SELECT nullif(current_setting('request.jwt.claim.role', true), '') $$`);
    await q(STORAGE_STUB_SQL);
    await q(text);
    await q(OBJECTS);
    await q('SET ROLE anon');
    assert.equal((await q(LIST)).length, 2, 'anon lists both recordings');
  });
});

test('err: every signed-in user lists a public bucket (TO authenticated, or a check of auth.role()): said so; PGlite shows a user listing the other user\'s file', async () => {
  const bucket = `INSERT INTO storage.buckets (id, name, public) VALUES ('recordings', 'recordings', true);\n`;
  const wide = `${bucket}CREATE POLICY rec_read ON storage.objects FOR SELECT TO authenticated USING (bucket_id = 'recordings');\n`;
  const linted = lintFiles([{ file: FILE, text: wide }], ID);
  assert.equal(linted.mine.length, 1);
  assert.match(
    linted.mine[0]!.message,
    /^Policy "rec_read" on storage\.objects lets every signed-in user \(authenticated: anyone who signs up, where sign-ups are open\) list every object of public bucket 'recordings' .*its USING asks only for the bucket and that the request is signed in/,
  );
  const role = mine(`${bucket}CREATE POLICY rec_read ON storage.objects FOR SELECT USING (bucket_id = 'recordings' AND auth.role() = 'authenticated');\n`);
  assert.equal(role.length, 1);
  assert.match(role[0]!.message, /lets every signed-in user/);
  await inRollback(await getDb(), async (q) => {
    await q(AUTH_STUB_SQL);
    await q(STORAGE_STUB_SQL);
    await q(sqlOf(linted.ws));
    await q(OBJECTS);
    await q(actAs(TENANT_B));
    await q('SET ROLE authenticated');
    assert.deepEqual((await q(LIST)).map((r) => r.name), [`${TENANT_A}/standup.webm`, `${TENANT_B}/retro.webm`], "a user lists the other user's recording too");
    await q('RESET ROLE');
    await q('SET ROLE anon');
    assert.deepEqual(await q(LIST), [], 'anon: none (the policy is for authenticated)');
  });
});

test('err/ok: TO anon, FOR ALL, one policy for two public buckets; quiet for a private bucket, a bucket made private later, TO service_role, an owner condition, a RESTRICTIVE policy, INSERT only, a bucket the migrations do not make', async () => {
  const pub = (id: string) => `INSERT INTO storage.buckets (id, name, public) VALUES ('${id}', '${id}', true);\n`;
  const anon = mine(`${pub('recordings')}CREATE POLICY r ON storage.objects FOR SELECT TO anon USING (bucket_id = 'recordings');\n`);
  assert.equal(anon.length, 1);
  assert.match(anon[0]!.message, /lets anon \(any request with the project's public anon key alone\) list/);
  // (hps' "Anyone can read org logos": TO public written out)
  const toPublic = mine(`${pub('recordings')}CREATE POLICY r ON storage.objects FOR SELECT TO public USING (bucket_id = 'recordings');\n`);
  assert.equal(toPublic.length, 1);
  assert.match(toPublic[0]!.message, /lets anon \(any request with the project's public anon key alone: it is TO PUBLIC\) list/);
  assert.equal(mine(`${pub('recordings')}CREATE POLICY r ON storage.objects FOR ALL USING (bucket_id = 'recordings'::text);\n`).length, 1, 'FOR ALL, the literal cast as pg_dump writes it');
  const two = mine(`${pub('recordings')}${pub('memo-attachments')}CREATE POLICY r ON storage.objects FOR SELECT USING (bucket_id IN ('recordings', 'memo-attachments'));\n`);
  assert.equal(two.length, 1);
  assert.match(two[0]!.message, /public buckets 'recordings', 'memo-attachments'/);
  assert.equal(two[0]!.related?.length, 2);
  const policy = `CREATE POLICY r ON storage.objects FOR SELECT USING (bucket_id = 'recordings');\n`;
  assert.equal(mine(`INSERT INTO storage.buckets (id, name, public) VALUES ('recordings', 'recordings', false);\n${policy}`).length, 0, 'private: the other rule');
  assert.equal(mine(`INSERT INTO storage.buckets (id, name) VALUES ('recordings', 'recordings');\n${policy}`).length, 0, 'public defaults to false');
  assert.equal(mine(`${pub('recordings')}UPDATE storage.buckets SET public = false WHERE id = 'recordings';\n${policy}`).length, 0);
  assert.equal(mine(`INSERT INTO storage.buckets (id, name) VALUES ('recordings', 'recordings');\nUPDATE storage.buckets SET public = true WHERE id = 'recordings';\n${policy}`).length, 1, 'made public later');
  assert.equal(mine(policy).length, 0, 'a bucket the migrations do not make');
  assert.equal(mine(`${pub('recordings')}${policy.replace('FOR SELECT', 'FOR SELECT TO service_role')}`).length, 0);
  assert.equal(mine(`${pub('recordings')}CREATE POLICY r ON storage.objects FOR SELECT USING (bucket_id = 'recordings' AND owner = (select auth.uid()));\n`).length, 0);
  assert.equal(mine(`${pub('recordings')}CREATE POLICY r ON storage.objects FOR SELECT TO authenticated USING (bucket_id = 'recordings' AND (storage.foldername(name))[1] = auth.uid()::text);\n`).length, 0);
  assert.equal(mine(`${pub('recordings')}CREATE POLICY r ON storage.objects FOR INSERT WITH CHECK (bucket_id = 'recordings');\n`).length, 0);
  assert.equal(
    mine(`${pub('recordings')}${policy}CREATE POLICY own ON storage.objects AS RESTRICTIVE FOR SELECT USING (owner = (select auth.uid()));\n`).length,
    0,
    'a RESTRICTIVE policy for the role',
  );
  // (TO service_role on PGlite: anon lists none)
  await inRollback(await getDb(), async (q) => {
    await q(AUTH_STUB_SQL);
    await q(STORAGE_STUB_SQL);
    await q(`${pub('recordings')}${policy.replace('FOR SELECT', 'FOR SELECT TO service_role')}`);
    await q(OBJECTS);
    await q('SET ROLE anon');
    assert.deepEqual(await q(LIST), []);
  });
});

test("err: a SELECT policy that does not even name a bucket (godel-law-site's USING (auth.role() = 'authenticated'), a USING (true)) lists every public bucket: reported, and PGlite shows a user listing the other user's file; a bucketless owner condition is not", async () => {
  const text = `INSERT INTO storage.buckets (id, name, public) VALUES ('recordings', 'recordings', true);
INSERT INTO storage.buckets (id, name, public) VALUES ('drafts', 'drafts', false);
CREATE POLICY "Authenticated users can select objects" ON storage.objects FOR SELECT
  USING (auth.role() = 'authenticated');
`;
  const linted = lintFiles([{ file: FILE, text }], ID);
  assert.deepEqual(linted.mine.map((f) => textAt(linted.ws, f)), ['"Authenticated users can select objects"']);
  assert.match(
    linted.mine[0]!.message,
    /lets every signed-in user \(authenticated: anyone who signs up, where sign-ups are open\) list every object of public bucket 'recordings' \(public = true, at 029_meetings_recording\.sql:1\): its USING does not even ask for the bucket, only that the request is signed in, let alone who uploaded an object/,
  );
  const all = mine(text.replace("USING (auth.role() = 'authenticated')", 'USING (true)'));
  assert.equal(all.length, 1);
  assert.match(all[0]!.message, /lets anon \(any request with the project's public anon key alone: it has no TO clause, so it applies to PUBLIC\) list every object of public bucket 'recordings' .*its USING does not even ask for the bucket, let alone who/);
  assert.equal(mine(text.replace("USING (auth.role() = 'authenticated')", 'USING (owner = (select auth.uid()))')).length, 0, 'an owner condition');
  assert.equal(mine(text.replace("USING (auth.role() = 'authenticated')", "USING (bucket_id = 'drafts' AND auth.role() = 'authenticated')")).length, 0, 'a private bucket named');
  await inRollback(await getDb(), async (q) => {
    await q(AUTH_STUB_SQL);
    await q(`CREATE FUNCTION auth.role() RETURNS text LANGUAGE sql STABLE AS $$ SELECT auth.jwt() ->> 'role' $$`);
    await q(STORAGE_STUB_SQL);
    await q(text);
    await q(OBJECTS);
    await q(actAs(TENANT_B, { role: 'authenticated' }));
    await q('SET ROLE authenticated');
    assert.deepEqual((await q(LIST)).map((r) => r.name), [`${TENANT_A}/standup.webm`, `${TENANT_B}/retro.webm`], "a user lists the other user's recording too");
  });
});
