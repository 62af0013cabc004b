// rls-not-forced on PostgreSQL (PGlite): with ENABLE and no FORCE, the (non-superuser) table
// owner sees every row (T13); after the FORCE fix the owner, who has no policy, sees 0 (T13b).
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { asOwner, closeAll, count, getDb, inRollback, type Q } from '../helpers/pg.js';
import { applyFix, findingsOf, initParser, invalidFinding, sqlOf, TENANT_A, TENANT_B, textAt } from '../helpers/rule-proof.js';
import { actAs, AUTH_STUB_SQL } from '../helpers/supabase.js';

const ID = 'rls-not-forced';
before(initParser);
after(closeAll);

async function documents(q: Q, sql: string): Promise<void> {
  await q(AUTH_STUB_SQL);
  await asOwner(q, sql);
  await q(`INSERT INTO documents VALUES (1, '${TENANT_A}'), (2, '${TENANT_B}'), (3, '${TENANT_B}'); GRANT SELECT ON documents TO authenticated, bypass_owner`);
  await q(actAs(TENANT_A));
}

async function seen(q: Q, role: string): Promise<number> {
  await q(`SET ROLE ${role}`);
  const n = await count(q, 'documents');
  await q('RESET ROLE');
  return n;
}

test('err: ENABLE without FORCE: the owner sees all 3 rows (T13), authenticated its 1; FORCE: the owner 0 (T13b)', async () => {
  const { ws, finding } = invalidFinding(ID, 0);
  assert.equal(textAt(ws, finding), 'documents');
  assert.match(finding.message, /\(T13\)/);
  const db = await getDb();
  await inRollback(db, async (q) => {
    await documents(q, sqlOf(ws));
    assert.equal(await seen(q, 'app_owner'), 3);
    assert.equal(await seen(q, 'authenticated'), 1);
  });
  const fixed = applyFix(ws, finding);
  assert.equal(findingsOf(fixed, ID).length, 0);
  await inRollback(db, async (q) => {
    await documents(q, sqlOf(fixed));
    assert.equal(await seen(q, 'app_owner'), 0);
    assert.equal(await seen(q, 'authenticated'), 1);
    assert.equal(await seen(q, 'bypass_owner'), 3, 'a BYPASSRLS role bypasses RLS even when forced (as the message says)');
  });
});
