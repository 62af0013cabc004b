// policy-without-condition on PostgreSQL (PGlite): a permissive FOR ALL policy without USING or
// WITH CHECK admits nothing: SELECT 0 rows, UPDATE and DELETE 0 rows without an error, INSERT 42501.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { asOwner, closeAll, count, getDb, inRollback, tryQuery, type Q } from '../helpers/pg.js';
import { initParser, invalidFinding, lintDocExample, lintFiles, sqlOf, TENANT_A, textAt } from '../helpers/rule-proof.js';
import { actAs, AUTH_STUB_SQL } from '../helpers/supabase.js';

const ID = 'policy-without-condition';
before(initParser);
after(closeAll);

/** The migration run by the owner, user A's note and another's, then acting as A (authenticated). */
async function notesAsUserA(q: Q, sql: string): Promise<void> {
  await q(AUTH_STUB_SQL);
  await asOwner(q, sql);
  await q(`INSERT INTO notes VALUES (1, '${TENANT_A}'), (2, gen_random_uuid())`);
  await q(actAs(TENANT_A));
  await q('SET ROLE authenticated');
}

test('err: FOR ALL without USING or WITH CHECK: no row to read, update or delete, INSERT 42501; with USING the owner\'s row', async () => {
  const { ws, finding } = invalidFinding(ID, 0);
  assert.equal(textAt(ws, finding), 'notes_all');
  assert.match(finding.message, /admits no row at all/);
  const db = await getDb();
  await inRollback(db, async (q) => {
    await notesAsUserA(q, sqlOf(ws));
    assert.equal(await count(q, 'notes'), 0);
    assert.deepEqual(await q('WITH u AS (UPDATE notes SET owner_id = owner_id RETURNING 1) SELECT count(*)::int AS n FROM u'), [{ n: 0 }]);
    assert.deepEqual(await q('WITH d AS (DELETE FROM notes RETURNING 1) SELECT count(*)::int AS n FROM d'), [{ n: 0 }]);
    const ins = await tryQuery(q, `INSERT INTO notes VALUES (3, '${TENANT_A}')`);
    assert.equal(!ins.ok && ins.error.code, '42501');
  });
  const { ws: valid, mine } = lintDocExample(ID, 'valid', 0);
  assert.equal(mine.length, 0);
  await inRollback(db, async (q) => {
    await notesAsUserA(q, sqlOf(valid));
    assert.equal(await count(q, 'notes'), 1);
  });
});

test('err: FOR UPDATE with WITH CHECK only: the user reads its row but updates none (0 rows, no error)', async () => {
  const { ws, finding } = invalidFinding(ID, 1);
  assert.equal(textAt(ws, finding), 'notes_update');
  assert.match(finding.message, /admits no row to UPDATE.*often the condition of its WITH CHECK/);
  const db = await getDb();
  await inRollback(db, async (q) => {
    await notesAsUserA(q, sqlOf(ws));
    assert.equal(await count(q, 'notes'), 1, 'the SELECT policy shows its own row');
    assert.deepEqual(await q('WITH u AS (UPDATE notes SET owner_id = owner_id WHERE id = 1 RETURNING 1) SELECT count(*)::int AS n FROM u'), [{ n: 0 }]);
  });
});

test('ok: a policy only for a role that bypasses RLS (Supabase service_role) is not reported', () => {
  const { mine } = lintDocExample(ID, 'valid', 1);
  assert.equal(mine.length, 0);
});

test("err: a WITH CHECK-only UPDATE policy beside one with the USING for the same roles (COMP3122's material_processing_jobs): the finding says its check restricts nothing; the update it should refuse goes through, and AS RESTRICTIVE refuses it (PGlite)", async () => {
  const file = 'supabase/migrations/20240101000000_jobs.sql';
  const base = `CREATE TABLE notes (id int PRIMARY KEY, owner_id uuid NOT NULL, status text NOT NULL DEFAULT 'draft');
ALTER TABLE notes ENABLE ROW LEVEL SECURITY;
GRANT SELECT, UPDATE ON notes TO authenticated;
CREATE POLICY notes_select ON notes FOR SELECT TO authenticated USING (owner_id = (select auth.uid()));
CREATE POLICY notes_update ON notes FOR UPDATE TO authenticated USING (owner_id = (select auth.uid()));
`;
  const check = `CREATE POLICY notes_update_check ON notes FOR UPDATE TO authenticated WITH CHECK (status <> 'published');\n`;
  const split = lintFiles([{ file, text: base + check }], ID);
  assert.equal(split.mine.length, 1);
  assert.equal(textAt(split.ws, split.mine[0]!), 'notes_update_check');
  assert.match(split.mine[0]!.message, /beside policy "notes_update", which admits rows to UPDATE for these roles, its WITH CHECK restricts nothing: .*when it meets the USING of "notes_update"\. If it was meant to check the updates "notes_update" admits, make it AS RESTRICTIVE/);
  const restrictive = lintFiles([{ file, text: base + check.replace('ON notes FOR UPDATE', 'ON notes AS RESTRICTIVE FOR UPDATE') }], ID);
  assert.equal(restrictive.mine.length, 0);
  // (alone, the policy admits no row: the finding as before)
  const alone = lintFiles([{ file, text: base.replace(/CREATE POLICY notes_update .*\n/, '') + check }], ID);
  assert.equal(alone.mine.length, 1);
  assert.match(alone.mine[0]!.message, /admits no row to UPDATE\. Unless another permissive policy admits them/);
  const db = await getDb();
  await inRollback(db, async (q) => {
    await notesAsUserA(q, sqlOf(split.ws));
    assert.deepEqual(await q(`UPDATE notes SET status = 'published' WHERE id = 1 RETURNING status`), [{ status: 'published' }], 'the row fails notes_update_check and is written');
  });
  await inRollback(db, async (q) => {
    await notesAsUserA(q, sqlOf(restrictive.ws));
    const r = await tryQuery(q, `UPDATE notes SET status = 'published' WHERE id = 1`);
    assert.equal(!r.ok && r.error.code, '42501');
    assert.deepEqual(await q(`UPDATE notes SET status = 'final' WHERE id = 1 RETURNING status`), [{ status: 'final' }]);
  });
});
