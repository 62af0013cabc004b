// policy-soft-delete-denied on PostgreSQL (PGlite): where every SELECT policy for a role admits
// only rows whose deleted_at is NULL, the role's soft delete `UPDATE … SET deleted_at = now() WHERE
// id = …` fails with 42501 (PostgreSQL checks the new row of an UPDATE reading a column against the
// SELECT policies too), while the same without a WHERE passes; where the UPDATE policy's check
// (its USING, without WITH CHECK) requires the mark unset, every UPDATE setting it fails. The Valid
// examples (a second SELECT policy for the author's own rows; a SECURITY DEFINER delete function)
// let the author soft-delete.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { closeAll, getDb, inRollback, tryQuery, type Q } from '../helpers/pg.js';
import { initParser, invalidFinding, lintDocExample, lintFiles, nestedParentheses, sqlOf, TENANT_A, textAt } from '../helpers/rule-proof.js';
import { actAs, AUTH_STUB_SQL } from '../helpers/supabase.js';

const ID = 'policy-soft-delete-denied';
before(initParser);
after(closeAll);

/** Runs `sql` as user A (the author of note 1) and returns the error code, or 'ok'. */
async function asA(q: Q, setup: string, sql: string): Promise<string> {
  await q(AUTH_STUB_SQL);
  await q(setup);
  await q(`INSERT INTO notes (id, author_id, body) VALUES (1, '${TENANT_A}', 'a')`);
  await q(actAs(TENANT_A));
  await q('SET ROLE authenticated');
  const r = await tryQuery(q, sql);
  await q('RESET ROLE');
  return r.ok ? 'ok' : `${r.error.code} ${r.error.message}`;
}

const DENIED = '42501 new row violates row-level security policy for table "notes"';

test('err: every SELECT policy requires deleted_at IS NULL: the soft delete with a WHERE fails with 42501, without one it passes', async () => {
  const { ws, finding } = invalidFinding(ID, 0);
  assert.equal(textAt(ws, finding), 'notes_update');
  assert.match(finding.message, /^Policy "notes_update" lets authenticated update rows of public\.notes, but every SELECT policy for authenticated — "notes_read" — admits only rows whose deleted_at is NULL/);
  assert.match(finding.message, /`UPDATE notes SET deleted_at = now\(\) WHERE id = …`, fails with 42501 new row violates row-level security policy for table "notes"\./);
  assert.equal(nestedParentheses(finding.message), undefined);
  const db = await getDb();
  for (const [sql, want] of [
    ['UPDATE notes SET deleted_at = now() WHERE id = 1', DENIED],
    ['UPDATE notes SET deleted_at = now() WHERE id = 1 RETURNING id', DENIED],
    ['UPDATE notes SET deleted_at = now() RETURNING id', DENIED],
    ['UPDATE notes SET deleted_at = now()', 'ok'],
  ] as const) {
    await inRollback(db, async (q) => assert.equal(await asA(q, sqlOf(ws), sql), want, sql));
  }
});

test('err: the UPDATE policy has no WITH CHECK and its USING requires NOT is_deleted: every soft delete fails, with a WHERE or without', async () => {
  const { ws, finding } = invalidFinding(ID, 1);
  assert.match(finding.message, /the check of the new row — the USING of "notes_update", which stands for the WITH CHECK it lacks — requires is_deleted to be false, so PostgreSQL refuses every UPDATE of authenticated that sets it/);
  assert.match(finding.message, /`UPDATE notes SET is_deleted = true WHERE id = …`/);
  assert.match(finding.message, /give the policy a WITH CHECK that does not require is_deleted unset\./);
  const db = await getDb();
  for (const sql of ['UPDATE notes SET is_deleted = true WHERE id = 1', 'UPDATE notes SET is_deleted = true']) {
    await inRollback(db, async (q) => assert.equal(await asA(q, sqlOf(ws), sql), DENIED, sql));
  }
  // a WITH CHECK without the test, as the message says: the soft delete passes
  const fixed = sqlOf(ws).replace('AND NOT is_deleted);', 'AND NOT is_deleted) WITH CHECK (author_id = (select auth.uid()));');
  assert.deepEqual(lintFiles([{ file: 'm.sql', text: fixed }], ID).mine, []);
  await inRollback(db, async (q) => assert.equal(await asA(q, fixed, 'UPDATE notes SET is_deleted = true WHERE id = 1'), 'ok'));
});

test('ok: the Valid examples let the author soft-delete (a SELECT policy for its own rows; a definer delete function)', async () => {
  const db = await getDb();
  const own = lintDocExample(ID, 'valid', 0);
  assert.deepEqual(own.mine, []);
  await inRollback(db, async (q) => assert.equal(await asA(q, sqlOf(own.ws), 'UPDATE notes SET deleted_at = now() WHERE id = 1 RETURNING id'), 'ok'));
  const definer = lintDocExample(ID, 'valid', 1);
  assert.deepEqual(definer.mine, []);
  await inRollback(db, async (q) => {
    assert.equal(await asA(q, sqlOf(definer.ws), 'SELECT delete_note(1)'), 'ok');
    assert.equal((await q('SELECT deleted_at IS NOT NULL AS gone FROM notes'))[0]!.gone, true);
  });
});

test('ok: not reported: a role that may not update, a BEFORE UPDATE trigger, RLS off, a SELECT policy not testing the column, a column the table lacks', () => {
  const base = lintDocExample(ID, 'invalid', 0).ex.sql;
  const mine = (text: string) => lintFiles([{ file: 'm.sql', text }], ID).mine.length;
  assert.equal(mine(base), 1);
  // (on Supabase, authenticated holds every privilege on a new table of public unless revoked)
  assert.equal(mine(base.replace('GRANT SELECT, UPDATE ON notes TO authenticated;', 'REVOKE ALL ON notes FROM authenticated;\nGRANT SELECT ON notes TO authenticated;')), 0);
  assert.equal(mine(`${base}CREATE FUNCTION keep() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RETURN NEW; END $$;\nCREATE TRIGGER keep BEFORE UPDATE ON notes FOR EACH ROW EXECUTE FUNCTION keep();\n`), 0);
  assert.equal(mine(base.replace('ALTER TABLE notes ENABLE ROW LEVEL SECURITY;', '')), 0);
  assert.equal(mine(base.replace('AND deleted_at IS NULL', 'AND body IS NOT NULL')), 0);
  assert.equal(mine(base.replace('AND deleted_at IS NULL', 'AND archived_at IS NULL')), 0);
  // (a WITH CHECK written to require the mark unset: by intent; a column of another name kept false: an invariant, use60's enable_copilot_sharing)
  const second = lintDocExample(ID, 'invalid', 1).ex.sql;
  assert.equal(mine(second.replace('AND NOT is_deleted);', 'AND NOT is_deleted) WITH CHECK (author_id = (select auth.uid()) AND NOT is_deleted);')), 0);
  assert.equal(mine(second.replaceAll('is_deleted', 'enable_sharing')), 0);
  // (a restrictive SELECT policy requiring it is enough, beside a permissive one that does not)
  assert.equal(mine(base.replace('AND deleted_at IS NULL);', ');\nCREATE POLICY live_only ON notes AS RESTRICTIVE FOR SELECT TO authenticated USING (deleted_at IS NULL);')), 1);
});

test('err: a restrictive SELECT policy requiring deleted_at IS NULL, beside a permissive one that does not, refuses the soft delete too, and PostgreSQL names it (PGlite)', async () => {
  const base = lintDocExample(ID, 'invalid', 0).ex.sql;
  const restrictive = base.replace('AND deleted_at IS NULL);', ');\nCREATE POLICY live_only ON notes AS RESTRICTIVE FOR SELECT TO authenticated USING (deleted_at IS NULL);');
  const [f] = lintFiles([{ file: 'm.sql', text: restrictive }], ID).mine;
  assert.match(f!.message, /every SELECT policy for authenticated — "live_only" \(restrictive\) — admits only rows whose deleted_at is NULL/);
  // (PostgreSQL names a restrictive policy that refuses the row, and so does the message)
  const named = '42501 new row violates row-level security policy "live_only" for table "notes"';
  assert.ok(f!.message.includes(`fails with ${named}.`));
  await inRollback(await getDb(), async (q) => assert.equal(await asA(q, restrictive, 'UPDATE notes SET deleted_at = now() WHERE id = 1'), named));
  // (the same for a restrictive UPDATE policy whose USING stands for its WITH CHECK: every soft delete, no WHERE needed)
  const update = base.replace('AND deleted_at IS NULL);', ');\nCREATE POLICY live_writes ON notes AS RESTRICTIVE FOR UPDATE TO authenticated USING (deleted_at IS NULL);');
  const [u] = lintFiles([{ file: 'm.sql', text: update }], ID).mine;
  const namedU = '42501 new row violates row-level security policy "live_writes" for table "notes"';
  assert.ok(u!.message.includes(`the USING of "live_writes", which stands for the WITH CHECK it lacks (restrictive) — requires deleted_at to be NULL`));
  assert.ok(u!.message.includes(`fails with ${namedU}.`));
  await inRollback(await getDb(), async (q) => assert.equal(await asA(q, update, 'UPDATE notes SET deleted_at = now()'), namedU));
});
