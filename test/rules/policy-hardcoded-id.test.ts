// policy-hardcoded-id on PostgreSQL (PGlite): a literal id means one row or user of one
// database. The same migrations in two environments whose ids were generated differently:
// the admin of "staging" is denied what the admin of "production" sees, and org 42 — the demo
// org in production — is a customer's org in staging, whose projects anon then reads.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { asOwner, closeAll, count, getDb, inRollback, type Q } from '../helpers/pg.js';
import { initParser, invalidFinding, lintDocExample, lintFiles, sqlOf, TENANT_A, textAt } from '../helpers/rule-proof.js';
import { actAs, AUTH_STUB_SQL } from '../helpers/supabase.js';

const ID = 'policy-hardcoded-id';
before(initParser);
after(closeAll);

const PROD_ADMIN = 'd7bed83c-44a0-4a4f-925f-efc384ea1e50';

async function migrate(q: Q, sql: string): Promise<void> {
  await q(AUTH_STUB_SQL);
  await asOwner(q, sql);
}

test('err: a uuid literal: production’s admin sees every document; staging’s admin (another generated id) sees only their own', async () => {
  const { ws, finding } = invalidFinding(ID, 0);
  assert.equal(textAt(ws, finding), `'${PROD_ADMIN}'`);
  assert.match(finding.message, /contains the literal id 'd7bed83c-.*' in its USING: access is tied to one specific row or user of one database/);
  assert.equal(finding.fixes.length, 0);
  const db = await getDb();
  const seen = (admin: string) =>
    inRollback(db, async (q) => {
      await migrate(q, sqlOf(ws));
      await q(`INSERT INTO documents VALUES (1, '${admin}', 'admin note'), (2, '${TENANT_A}', 'a'), (3, gen_random_uuid(), 'b'); GRANT SELECT ON documents TO authenticated`);
      await q(actAs(admin));
      await q('SET ROLE authenticated');
      return count(q, 'documents');
    });
  assert.equal(await seen(PROD_ADMIN), 3, 'production: the admin whose id is in the policy');
  assert.equal(await seen('5a0c9e3b-7d4f-4e1a-8b2c-1f6e9d3a7c55'), 1, 'staging: the admin has another id and is silently denied');
});

test('err: org_id = 42: in an environment seeded in another order, org 42 is a customer whose projects anon reads', async () => {
  const { ws, finding } = invalidFinding(ID, 1);
  assert.equal(textAt(ws, finding), '42');
  assert.match(finding.message, /compares org_id with the literal 42/);
  const db = await getDb();
  await inRollback(db, async (q) => {
    await migrate(q, sqlOf(ws));
    await q(`INSERT INTO projects VALUES (1, 42, 'customer roadmap'), (2, 7, 'demo'); GRANT SELECT ON projects TO anon`);
    await q('SET ROLE anon');
    assert.deepEqual(await q('SELECT name FROM projects'), [{ name: 'customer roadmap' }]);
  });
});

test('ok: ids looked up in data, status and role literals, the nil uuid are not reported; literals in IN lists and sub-selects are', () => {
  for (let i = 0; i < 2; i++) assert.equal(lintDocExample(ID, 'valid', i).mine.length, 0);
  const base = 'CREATE TABLE t (id bigint PRIMARY KEY, user_id uuid, org_id bigint, kind text); ALTER TABLE t ENABLE ROW LEVEL SECURITY; ALTER TABLE t FORCE ROW LEVEL SECURITY;';
  const lint = (e: string) => lintFiles([{ file: 'm.sql', text: `${base} CREATE POLICY p ON t FOR SELECT TO authenticated USING (${e});` }], ID).mine;
  for (const e of ["kind = 'public'", "user_id <> '00000000-0000-0000-0000-000000000000'", 'org_id > 0', 'user_id = (select auth.uid())']) assert.equal(lint(e).length, 0, e);
  for (const e of ['org_id IN (1, 2)', 'org_id = ANY (ARRAY[3])', `EXISTS (SELECT 1 FROM t x WHERE x.user_id = '${PROD_ADMIN}')`, '7 = id']) assert.equal(lint(e).length, 1, e);
  // (a literal under a cast, on either side: exprFlags' pre-check looks past the cast)
  for (const e of ["org_id = '42'::bigint", "'42'::bigint <> org_id", "org_id = ANY ('{5}'::bigint[]) OR id = ANY (ARRAY['6']::bigint[])", 'NOT (org_id = 8)']) assert.equal(lint(e).length, 1, e);
  const many = lint(`org_id IN (1, 2) OR user_id = '${PROD_ADMIN}'`);
  assert.equal(many.length, 1, 'one finding per policy');
  assert.match(many[0]!.message, /\(and 2 more literal ids\)/);
});
