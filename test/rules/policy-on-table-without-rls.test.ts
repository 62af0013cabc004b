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

// Calibration (QA-Localization-tool's audit_logs): enabled on a first table of that name, which a
// later migration drops and makes again (partitioned). The ENABLE is not rejected: it enabled the
// table that is gone. "Never enabled" holds for the table that stands; "runs before" would be false.
test('err (message): an ENABLE on an earlier table of the same name, dropped and made again, is named as such, not as rejected (PGlite: the ENABLE runs, the new table has no RLS)', async () => {
  const first = 'CREATE TABLE public.audit_logs (id uuid PRIMARY KEY, tenant_id uuid NOT NULL);\n';
  const enable = `ALTER TABLE public.audit_logs ENABLE ROW LEVEL SECURITY;
CREATE POLICY audit_select ON public.audit_logs FOR SELECT TO authenticated USING (tenant_id = (select auth.uid()));
`;
  const again = `DROP TABLE IF EXISTS public.audit_logs CASCADE;
CREATE TABLE public.audit_logs (id uuid, tenant_id uuid NOT NULL, created_at timestamptz NOT NULL) PARTITION BY RANGE (created_at);
CREATE POLICY audit_select ON public.audit_logs FOR SELECT TO authenticated USING (tenant_id = (select auth.uid()));
`;
  const { mine } = lintFiles(
    [
      { file: 'supabase/migrations/00000_schema.sql', text: first },
      { file: 'supabase/migrations/00002_rls.sql', text: enable },
      { file: 'supabase/migrations/00004_partition.sql', text: again },
    ],
    ID,
  );
  assert.equal(mine.length, 1);
  assert.match(mine[0]!.message, /row-level security is never enabled on the table \(the ALTER TABLE … ENABLE ROW LEVEL SECURITY at 00002_rls\.sql:1 enabled it on an earlier table of that name, which the DROP TABLE at 00004_partition\.sql:1 removed, its policies with it; the CREATE TABLE at 00004_partition\.sql:2 makes a new one, with row-level security off\)/);
  assert.doesNotMatch(mine[0]!.message, /runs before|42P01/);
  await inRollback(await getDb(), async (q) => {
    await q(AUTH_STUB_SQL);
    await q(first + enable + again);
    const rows = (await q(`SELECT relrowsecurity FROM pg_class WHERE oid = 'public.audit_logs'::regclass`)) as Array<{ relrowsecurity: boolean }>;
    assert.equal(rows[0]!.relrowsecurity, false);
  });
});
