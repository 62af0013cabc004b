// policy-only-restrictive on PostgreSQL (PGlite): with only restrictive policies for a role and
// command, SELECT returns 0 rows, UPDATE/DELETE change none and INSERT fails with 42501 (T17);
// made permissive, the policy admits exactly the rows its expression allows.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { closeAll, count, ensureRoles, expectPgError, getDb, inRollback, type Q } from '../helpers/pg.js';
import { applyFix, findingsOf, initParser, invalidFinding, lintDocExample, lintFiles, sqlOf, TENANT_A, textAt } from '../helpers/rule-proof.js';
import { actAs, AUTH_STUB_SQL } from '../helpers/supabase.js';

const ID = 'policy-only-restrictive';
before(initParser);
after(closeAll);

const ORG_A = '0000000a-0000-0000-0000-000000000000';
const ORG_B = '0000000b-0000-0000-0000-000000000000';

async function projects(q: Q, sql: string, claims: Record<string, unknown>, grants = 'SELECT'): Promise<void> {
  await q(AUTH_STUB_SQL);
  await q(sql); // run as the superuser: roles and membership come from the example
  await q(`INSERT INTO projects (id, org_id) VALUES (1, '${ORG_A}'), (2, '${ORG_B}'); GRANT ${grants} ON projects TO PUBLIC`);
  await q(actAs(TENANT_A, claims));
}

test('err: restrictive FOR SELECT alone: 0 rows (T17); made permissive: the org’s row', async () => {
  const { ws, finding } = invalidFinding(ID, 0);
  assert.equal(textAt(ws, finding), 'projects_org');
  assert.match(finding.message, /no permissive policy applies to authenticated for SELECT.*SELECT returns no rows \(T17\)/);
  const db = await getDb();
  await inRollback(db, async (q) => {
    await projects(q, sqlOf(ws), { org_id: ORG_A });
    await q('SET ROLE authenticated');
    assert.equal(await count(q, 'projects'), 0);
  });
  const fixed = applyFix(ws, finding);
  assert.match(sqlOf(fixed), /AS PERMISSIVE FOR SELECT/);
  assert.equal(findingsOf(fixed, ID).length, 0);
  await inRollback(db, async (q) => {
    await projects(q, sqlOf(fixed), { org_id: ORG_A });
    await q('SET ROLE authenticated');
    assert.equal(await count(q, 'projects'), 1);
  });
});

test('err: restrictive FOR ALL, permissive only for another role: no rows, no updates, INSERT 42501; fixed: rows with aal2', async () => {
  const { ws, finding } = invalidFinding(ID, 1);
  assert.match(finding.message, /for any command.*SELECT returns no rows, UPDATE and DELETE change no rows and INSERT fails with 42501/);
  const db = await getDb();
  await ensureRoles(db, ['support']);
  await inRollback(db, async (q) => {
    await projects(q, sqlOf(ws), { aal: 'aal2' }, 'SELECT, INSERT, UPDATE, DELETE');
    await q('SET ROLE authenticated');
    assert.equal(await count(q, 'projects'), 0);
    const upd = await q(`WITH u AS (UPDATE projects SET org_id = org_id RETURNING 1) SELECT count(*)::int AS n FROM u`);
    assert.equal(upd[0]!.n, 0, 'UPDATE changes no rows');
    const del = await q(`WITH d AS (DELETE FROM projects RETURNING 1) SELECT count(*)::int AS n FROM d`);
    assert.equal(del[0]!.n, 0, 'DELETE removes no rows');
    await expectPgError(q(`INSERT INTO projects (id, org_id) VALUES (3, '${ORG_A}')`), '42501', 'new row violates row-level security policy');
  });
  const fixed = applyFix(ws, finding);
  await inRollback(db, async (q) => {
    await projects(q, sqlOf(fixed), { aal: 'aal2' });
    await q('SET ROLE authenticated');
    assert.equal(await count(q, 'projects'), 2);
  });
});

test('ok: a permissive policy for a group role applies to its members (Valid example)', async () => {
  const valid = lintDocExample(ID, 'valid', 2);
  assert.equal(valid.mine.length, 0);
  const db = await getDb();
  await inRollback(db, async (q) => {
    await projects(q, sqlOf(valid.ws), {});
    await q(`UPDATE projects SET archived = true WHERE id = 2`);
    await q('SET ROLE alice');
    assert.equal(await count(q, 'projects'), 1, 'permissive via members, narrowed by the restrictive policies');
  });
});

test('ok: a restrictive deny-all (USING (false) WITH CHECK (false)) admits nothing by intent: not reported (capgo: 48 such tables)', async () => {
  const sql = `CREATE TABLE settings (id int PRIMARY KEY, v text);
ALTER TABLE settings ENABLE ROW LEVEL SECURITY;
ALTER TABLE settings FORCE ROW LEVEL SECURITY;
CREATE POLICY "Deny all settings access" ON settings AS RESTRICTIVE USING (false) WITH CHECK (false);
`;
  const { mine } = lintFiles([{ file: 'm/1.sql', text: sql }], ID);
  assert.deepEqual(mine, []);
  await inRollback(await getDb(), async (q) => {
    await q(sql);
    await q(`INSERT INTO settings VALUES (1, 'x'); GRANT SELECT ON settings TO authenticated; SET ROLE authenticated`);
    assert.equal(await count(q, 'settings'), 0);
  });
});

test('ok: a restrictive policy PostgreSQL rejects (USING on FOR INSERT, 42601) never exists: not reported', () => {
  const sql = `CREATE TABLE orders (id bigint PRIMARY KEY, livemode boolean NOT NULL);
ALTER TABLE orders ENABLE ROW LEVEL SECURITY;
GRANT SELECT, INSERT ON orders TO authenticated;
CREATE POLICY check_mode ON orders AS RESTRICTIVE FOR INSERT TO authenticated USING (livemode);`;
  const { mine } = lintFiles([{ file: 'db/1.sql', text: sql }], ID);
  assert.deepEqual(mine, []);
});
