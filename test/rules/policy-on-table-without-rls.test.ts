// policy-on-table-without-rls on PostgreSQL (PGlite): the policy is ignored until ENABLE ROW
// LEVEL SECURITY: a granted role sees other users' rows; after the fix only its own.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { asOwner, closeAll, count, expectPgError, getDb, inRollback, type Q } from '../helpers/pg.js';
import { applyFix, findingsOf, initParser, invalidFinding, lintFiles, sqlOf, TENANT_A, TENANT_B, textAt } from '../helpers/rule-proof.js';
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

// Calibration (property-manager's journal_entries): the ENABLE is there, in a migration that sorts
// before the one creating the table; it fails, and the message says so instead of "never enabled" alone.
test('err (message): an ALTER TABLE … ENABLE ROW LEVEL SECURITY in an earlier migration than the CREATE TABLE is named: PostgreSQL rejects it (42P01, PGlite)', async () => {
  const early = 'ALTER TABLE public.journal_entries ENABLE ROW LEVEL SECURITY;\n';
  const create = `CREATE TABLE public.journal_entries (id uuid PRIMARY KEY, org_id uuid NOT NULL);
CREATE POLICY je_select ON public.journal_entries FOR SELECT TO authenticated USING (org_id = (select auth.uid()));
`;
  const { mine } = lintFiles(
    [
      { file: 'supabase/migrations/20250101000000_rls.sql', text: early },
      { file: 'supabase/migrations/20250201000000_create.sql', text: create },
    ],
    ID,
  );
  assert.equal(mine.length, 1);
  assert.match(mine[0]!.message, /row-level security is never enabled on the table \(the ALTER TABLE … ENABLE ROW LEVEL SECURITY at 20250101000000_rls\.sql:1 runs before the CREATE TABLE at 20250201000000_create\.sql:1: PostgreSQL rejects it, 42P01 relation does not exist/);
  await inRollback(await getDb(), async (q) => {
    await expectPgError(q(early), '42P01', 'relation "public.journal_entries" does not exist');
  });
});
