// policy-on-table-without-rls on PostgreSQL (PGlite): the policy is ignored until ENABLE ROW
// LEVEL SECURITY: a granted role sees other users' rows; after the fix only its own.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { asOwner, closeAll, count, getDb, inRollback, type Q } from '../helpers/pg.js';
import { applyFix, findingsOf, initParser, invalidFinding, sqlOf, TENANT_A, TENANT_B, textAt } from '../helpers/rule-proof.js';
import { actAs, AUTH_STUB_SQL } from '../helpers/supabase.js';

const ID = 'policy-on-table-without-rls';
before(initParser);
after(closeAll);

async function notes(q: Q, sql: string): Promise<number> {
  await q(AUTH_STUB_SQL);
  await asOwner(q, sql);
  await q(`INSERT INTO notes VALUES (1, '${TENANT_A}'), (2, '${TENANT_B}'); GRANT SELECT ON notes TO authenticated`);
  await q(actAs(TENANT_A));
  await q('SET ROLE authenticated');
  return count(q, 'notes');
}

for (const n of [0, 1]) {
  test(`err: Invalid example ${n + 1}: the policy is ignored (2 rows); after ENABLE + FORCE only the user’s own row`, async () => {
    const { ws, finding } = invalidFinding(ID, n);
    assert.equal(textAt(ws, finding), n === 0 ? 'notes_author' : 'notes_read');
    const db = await getDb();
    await inRollback(db, async (q) => assert.equal(await notes(q, sqlOf(ws)), 2));
    const fixed = applyFix(ws, finding);
    assert.equal(findingsOf(fixed, ID).length, 0);
    await inRollback(db, async (q) => assert.equal(await notes(q, sqlOf(fixed)), 1));
  });
}
