// storage-bucket-named-not-id on PostgreSQL (PGlite, Supabase's storage tables as a stub): a bucket
// inserted as (id 'media', name 'Media Library') holds objects with bucket_id = 'media', so a policy
// on bucket_id = 'Media Library' reads none of them and refuses their uploads (42501); with the id
// (the fix, the Valid example) the same user reads and uploads. Calibration: time-traveler.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { closeAll, count, expectPgError, getDb, inRollback, type Q } from '../helpers/pg.js';
import { applyFix, findingsOf, initParser, invalidFinding, lintDocExample, lintFiles, sqlOf, TENANT_A, textAt } from '../helpers/rule-proof.js';
import { actAs, AUTH_STUB_SQL, STORAGE_STUB_SQL } from '../helpers/supabase.js';
import type { Workspace } from '../../server/src/engine/workspace.js';

const ID = 'storage-bucket-named-not-id';
before(initParser);
after(closeAll);

const FILE = 'supabase/migrations/20240101000000_media.sql';

/** The stubs, the migrations, user A's file in the bucket (as the Storage API stores it: bucket_id the id); then act as user A. */
async function media(q: Q, ws: Workspace): Promise<void> {
  await q(AUTH_STUB_SQL);
  await q(STORAGE_STUB_SQL);
  await q('GRANT INSERT ON storage.objects TO authenticated');
  await q(sqlOf(ws));
  await q(`INSERT INTO storage.objects (bucket_id, name) VALUES ('media', '${TENANT_A}/song.mp3')`);
  await q(actAs(TENANT_A));
  await q('SET ROLE authenticated');
}

test("err: bucket_id = 'Media Library' (the bucket's name): user A reads none of its own files (PGlite); the fix compares with 'media', re-lints clean and reads it", async () => {
  const { ws, finding } = invalidFinding(ID, 0);
  assert.equal(textAt(ws, finding), "'Media Library'");
  assert.match(
    finding.message,
    /^Policy "members read media" on storage\.objects compares bucket_id with 'Media Library', the name of bucket 'media' \(inserted at 20240101000000_media\.sql:1\), not its id: .* a read returns none of them through it\. The migrations make no bucket with the id 'Media Library'\. Compare bucket_id with 'media'\.$/,
  );
  assert.equal(finding.related[0]!.message, "bucket 'media' is named 'Media Library' here");
  await inRollback(await getDb(), async (q) => {
    await media(q, ws);
    assert.equal(await count(q, 'storage.objects'), 0, 'none through the name');
  });
  const fixed = applyFix(ws, finding);
  assert.match(fixed.text(FILE)!, /USING \(bucket_id = 'media' AND/);
  assert.equal(findingsOf(fixed, ID).length, 0);
  await inRollback(await getDb(), async (q) => {
    await media(q, fixed);
    assert.equal(await count(q, 'storage.objects'), 1, 'its file through the id');
  });
});

test("err: an upload policy on the name refuses the upload with 42501 (PGlite); on the id it passes", async () => {
  const sql = (bucket: string) =>
    `INSERT INTO storage.buckets (id, name) VALUES ('media', 'Media Library');\nCREATE POLICY "members upload media" ON storage.objects FOR INSERT TO authenticated\n  WITH CHECK (bucket_id IN ('avatars', ${bucket}) AND (storage.foldername(name))[1] = (select auth.uid()::text));\n`;
  const bad = lintFiles([{ file: FILE, text: sql("'Media Library'") }], ID);
  assert.equal(bad.mine.length, 1);
  assert.match(bad.mine[0]!.message, /an upload of one is refused through it \(42501 new row violates row-level security policy for table "objects", unless another policy admits it\)/);
  const good = lintFiles([{ file: FILE, text: sql("'media'") }], ID);
  assert.equal(good.mine.length, 0);
  const upload = `INSERT INTO storage.objects (bucket_id, name) VALUES ('media', '${TENANT_A}/new.mp3')`;
  await inRollback(await getDb(), async (q) => {
    await media(q, bad.ws);
    await expectPgError(q(upload), '42501', 'new row violates row-level security policy for table "objects"');
  });
  await inRollback(await getDb(), async (q) => {
    await media(q, good.ws);
    await q(upload);
  });
});

test('err (lint): on a public bucket the message says its public URLs ask no policy, while listing and reading through the API find none', () => {
  const text = "INSERT INTO storage.buckets (id, name, public) VALUES ('media', 'Media Library', true);\nCREATE POLICY p ON storage.objects FOR SELECT USING (bucket_id = 'Media Library');\n";
  const { mine } = lintFiles([{ file: FILE, text }], ID);
  assert.equal(mine.length, 1);
  assert.match(mine[0]!.message, /a read returns none of them through it \(the bucket is public: its files' public URLs serve them without asking any policy, but listing them, and reading them through the API or SQL, does\)/);
});

test('ok: the Valid example; a bucket whose name is its id; a value that is also the id of another bucket the migrations make; no bucket inserted', () => {
  assert.equal(lintDocExample(ID, 'valid', 0).mine.length, 0);
  const policy = `CREATE POLICY p ON storage.objects FOR SELECT TO authenticated USING (bucket_id = 'Media Library');\n`;
  for (const buckets of [
    "INSERT INTO storage.buckets (id, name) VALUES ('Media Library', 'Media Library');\n",
    "INSERT INTO storage.buckets (id, name) VALUES ('media', 'Media Library'), ('Media Library', 'old media');\n",
    '',
  ]) {
    assert.equal(lintFiles([{ file: FILE, text: buckets + policy }], ID).mine.length, 0, buckets);
  }
});
