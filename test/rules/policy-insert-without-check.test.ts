// policy-insert-without-check on PostgreSQL (PGlite): a permissive FOR INSERT policy without
// WITH CHECK admits no row, every insert fails with 42501 (T14); an INSERT policy with USING is
// rejected with 42601 (T14b). The fix proposes the sibling SELECT policy's condition (own rows
// only), or a WITH CHECK (false) placeholder that keeps today's behaviour.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { affected, asOwner, closeAll, expectPgError, getDb, inRollback, type Q, tryQuery } from '../helpers/pg.js';
import { applyFix, findingsOf, initParser, invalidFinding, lintDocExample, lintFiles, sqlOf, TENANT_A, TENANT_B, textAt } from '../helpers/rule-proof.js';
import { actAs, AUTH_STUB_SQL } from '../helpers/supabase.js';

const ID = 'policy-insert-without-check';
before(initParser);
after(closeAll);

async function setup(q: Q, sql: string, table: string): Promise<void> {
  await q(AUTH_STUB_SQL);
  await asOwner(q, sql);
  await q(`GRANT SELECT, INSERT ON ${table} TO authenticated`);
  await q(actAs(TENANT_A));
  await q('SET ROLE authenticated');
}

test('err: FOR INSERT without WITH CHECK: even the user’s own row is refused with 42501 (T14); fixed with the SELECT policy’s condition: own rows in, others’ out', async () => {
  const { ws, finding } = invalidFinding(ID, 0);
  assert.equal(textAt(ws, finding), 'documents_insert');
  assert.match(finding.message, /without WITH CHECK, so it admits no row.*every INSERT by authenticated fails with 42501 new row violates row-level security policy \(T14\)/);
  const db = await getDb();
  await inRollback(db, async (q) => {
    await setup(q, sqlOf(ws), 'documents');
    await expectPgError(q(`INSERT INTO documents VALUES (1, '${TENANT_A}', 'mine')`), '42501', 'new row violates row-level security policy');
  });
  assert.equal(finding.fixes[0]!.kind, 'unsafe');
  const fixed = applyFix(ws, finding);
  assert.match(sqlOf(fixed), /FOR INSERT TO authenticated\n {2}WITH CHECK \(owner_id = \(select auth\.uid\(\)\)\);/);
  assert.equal(findingsOf(fixed, ID).length, 0);
  await inRollback(db, async (q) => {
    await setup(q, sqlOf(fixed), 'documents');
    assert.equal(await affected(q, `INSERT INTO documents VALUES (1, '${TENANT_A}', 'mine')`), 1);
    await expectPgError(q(`INSERT INTO documents VALUES (2, '${TENANT_B}', 'forged')`), '42501');
  });
});

test('err: no sibling policy: the placeholder WITH CHECK (false) keeps the behaviour (still 42501) and re-lints clean', async () => {
  const { ws, finding } = invalidFinding(ID, 1);
  assert.match(finding.fixes[0]!.title, /WITH CHECK \(false\).*placeholder that admits no row, as today/);
  const fixed = applyFix(ws, finding);
  assert.equal(findingsOf(fixed, ID).length, 0);
  assert.equal(findingsOf(fixed, 'policy-always-true').length, 0);
  const db = await getDb();
  for (const sql of [sqlOf(ws), sqlOf(fixed)]) {
    await inRollback(db, async (q) => {
      await setup(q, sql, 'feedback');
      await expectPgError(q(`INSERT INTO feedback VALUES (1, '${TENANT_A}', 'hi')`), '42501');
    });
  }
});

test('err: another permissive INSERT policy admits the inserts; the message says this one is dead weight', async () => {
  const sql = `CREATE TABLE feedback (id bigint PRIMARY KEY, author uuid NOT NULL, body text);
ALTER TABLE feedback ENABLE ROW LEVEL SECURITY;
ALTER TABLE feedback FORCE ROW LEVEL SECURITY;
CREATE POLICY feedback_insert ON feedback FOR INSERT TO authenticated;
CREATE POLICY feedback_own ON feedback FOR INSERT TO authenticated WITH CHECK (author = (select auth.uid()));`;
  const { mine } = lintFiles([{ file: 'm.sql', text: sql }], ID);
  assert.equal(mine.length, 1);
  assert.match(mine[0]!.message, /inserts by authenticated are admitted only by "feedback_own"/);
  const db = await getDb();
  await inRollback(db, async (q) => {
    await setup(q, sql, 'feedback');
    assert.equal(await affected(q, `INSERT INTO feedback VALUES (1, '${TENANT_A}', 'hi')`), 1);
    await expectPgError(q(`INSERT INTO feedback VALUES (2, '${TENANT_B}', 'hi')`), '42501');
  });
});

test('ok: an INSERT policy with USING is rejected at CREATE with 42601 (T14b), so the message does not suggest USING', async () => {
  const db = await getDb();
  await inRollback(db, async (q) => {
    await q('CREATE TABLE t (id int)');
    await expectPgError(q('CREATE POLICY p ON t FOR INSERT TO authenticated USING (true)'), '42601', 'only WITH CHECK expression allowed for INSERT');
  });
});

test('ok: FOR ALL … USING without WITH CHECK (Valid example) checks new rows with USING (T14c); a restrictive INSERT policy without WITH CHECK restricts nothing (not reported)', async () => {
  const valid = lintDocExample(ID, 'valid', 1);
  assert.equal(valid.mine.length, 0);
  const db = await getDb();
  await inRollback(db, async (q) => {
    await setup(q, sqlOf(valid.ws), 'documents');
    assert.equal(await affected(q, `INSERT INTO documents VALUES (1, '${TENANT_A}', 'mine')`), 1);
    await expectPgError(q(`INSERT INTO documents VALUES (2, '${TENANT_B}', 'forged')`), '42501');
  });
  const restrictive = `CREATE TABLE t (id int PRIMARY KEY);
ALTER TABLE t ENABLE ROW LEVEL SECURITY;
ALTER TABLE t FORCE ROW LEVEL SECURITY;
CREATE POLICY t_pos ON t FOR INSERT TO authenticated WITH CHECK (id > 0);
CREATE POLICY t_none ON t AS RESTRICTIVE FOR INSERT TO authenticated;`;
  assert.equal(lintFiles([{ file: 'm.sql', text: restrictive }], ID).mine.length, 0);
  await inRollback(db, async (q) => {
    await setup(q, restrictive, 't');
    assert.equal(await affected(q, 'INSERT INTO t VALUES (1)'), 1, 'the restrictive policy without WITH CHECK does not block');
    const neg = await tryQuery(q, 'INSERT INTO t VALUES (-1)');
    assert.equal(neg.ok ? 'ok' : neg.error.code, '42501', 'the permissive policy alone decides');
  });
});

test('ok: the sibling condition is not copied when it reads the table itself or holds a literal id', () => {
  const base = `CREATE TABLE m (org_id uuid NOT NULL, user_id uuid NOT NULL, PRIMARY KEY (user_id, org_id));
ALTER TABLE m ENABLE ROW LEVEL SECURITY;
ALTER TABLE m FORCE ROW LEVEL SECURITY;
CREATE POLICY m_ins ON m FOR INSERT TO authenticated;`;
  const selfRead = `${base}\nCREATE POLICY m_read ON m FOR SELECT TO authenticated USING (org_id IN (SELECT org_id FROM m WHERE user_id = (select auth.uid())));`;
  const literal = `${base}\nCREATE POLICY m_read ON m FOR SELECT TO authenticated USING (org_id = '6f1c2a8e-0d1b-4f52-9a51-6b1e0f8d2c11');`;
  for (const sql of [selfRead, literal]) {
    const { mine } = lintFiles([{ file: 'm.sql', text: sql }], ID);
    assert.equal(mine.length, 1);
    assert.match(mine[0]!.fixes[0]!.title, /WITH CHECK \(false\)/);
  }
});
