// policy-user-metadata on PostgreSQL (PGlite): a user controls their own user_metadata (Supabase's
// updateUser writes auth.users.raw_user_meta_data and the next JWT carries it). Simulated here:
// the request's JWT claims / the user's auth.users row hold a user_metadata the user chose, and
// the policy lets them read every row. After the fix the same forged metadata gives nothing; a
// role in app_metadata (written by the service role) gives access.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { closeAll, count, getDb, inRollback, type Q } from '../helpers/pg.js';
import { applyFix, findingsOf, initParser, invalidFinding, lintDocExample, lintFiles, sqlOf, TENANT_A, textAt } from '../helpers/rule-proof.js';
import { actAs, AUTH_STUB_SQL } from '../helpers/supabase.js';

const ID = 'policy-user-metadata';
before(initParser);
after(closeAll);

/** auth.users as on Supabase: authenticated has no privilege on it. */
const AUTH_USERS = 'CREATE TABLE IF NOT EXISTS auth.users (id uuid PRIMARY KEY, raw_user_meta_data jsonb, raw_app_meta_data jsonb);';

async function reports(q: Q, sql: string, claims: Record<string, unknown>, userRow?: { user: object; app: object }): Promise<number> {
  await q(AUTH_STUB_SQL);
  await q(AUTH_USERS);
  await q(sql); // as the superuser, like Supabase's postgres role: it owns the definer helper
  await q(`INSERT INTO reports VALUES (1, 'q1'), (2, 'q2'); GRANT SELECT ON reports TO authenticated`);
  if (userRow) await q(`INSERT INTO auth.users VALUES ('${TENANT_A}', '${JSON.stringify(userRow.user)}', '${JSON.stringify(userRow.app)}')`);
  await q(actAs(TENANT_A, claims));
  await q('SET ROLE authenticated');
  return count(q, 'reports');
}

const FORGED = { user_metadata: { role: 'admin', is_admin: true } };
const GRANTED = { app_metadata: { role: 'admin', is_admin: true } };

for (const [n, label] of [
  [0, "auth.jwt() -> 'user_metadata' ->> 'role'"],
  [2, "auth.jwt() #>> '{user_metadata,is_admin}'"],
] as const) {
  test(`err: ${label}: a user who set their own user_metadata reads every report; fixed: only app_metadata counts`, async () => {
    const { ws, finding } = invalidFinding(ID, n);
    assert.equal(textAt(ws, finding), 'user_metadata');
    assert.match(finding.message, /trusts the JWT's user_metadata claim: every signed-in user can rewrite their own user_metadata with supabase\.auth\.updateUser/);
    const fixed = applyFix(ws, finding);
    assert.match(finding.fixes[0]!.title, /the data must be moved there by the server/);
    assert.equal(findingsOf(fixed, ID).length, 0);
    assert.match(sqlOf(fixed), /app_metadata/);
    const db = await getDb();
    const rows = (sql: string, claims: Record<string, unknown>) => inRollback(db, (q) => reports(q, sql, claims));
    assert.equal(await rows(sqlOf(ws), {}), 0, 'an ordinary user');
    assert.equal(await rows(sqlOf(ws), FORGED), 2, 'the same user after updateUser({ data: { role: "admin" } })');
    assert.equal(await rows(sqlOf(fixed), FORGED), 0, 'fixed: the forged user_metadata gives nothing');
    assert.equal(await rows(sqlOf(fixed), GRANTED), 2, 'fixed: app_metadata set by the service role gives access');
  });
}

test('err: a SECURITY DEFINER helper reading auth.users.raw_user_meta_data: the user’s own metadata row makes them admin; fixed: raw_app_meta_data', async () => {
  const { ws, finding } = invalidFinding(ID, 1);
  assert.equal(textAt(ws, finding), 'raw_user_meta_data');
  assert.match(finding.message, /^Function public\.is_admin\(\), called by policy "reports_admin" on public\.reports, trusts auth\.users\.raw_user_meta_data/);
  const fixed = applyFix(ws, finding);
  assert.match(sqlOf(fixed), /u\.raw_app_meta_data ->> 'role' = 'admin'/);
  assert.equal(findingsOf(fixed, ID).length, 0);
  const db = await getDb();
  const rows = (sql: string, row: { user: object; app: object }) => inRollback(db, (q) => reports(q, sql, {}, row));
  assert.equal(await rows(sqlOf(ws), { user: {}, app: {} }), 0);
  assert.equal(await rows(sqlOf(ws), { user: { role: 'admin' }, app: {} }), 2, 'user-written metadata grants access');
  assert.equal(await rows(sqlOf(fixed), { user: { role: 'admin' }, app: {} }), 0);
  assert.equal(await rows(sqlOf(fixed), { user: {}, app: { role: 'admin' } }), 2);
});

test('ok: app_metadata, a nested user_metadata key, and user_metadata outside policies are not reported', () => {
  for (let i = 0; i < 2; i++) assert.equal(lintDocExample(ID, 'valid', i).mine.length, 0);
  const base = 'CREATE TABLE r (id int PRIMARY KEY); ALTER TABLE r ENABLE ROW LEVEL SECURITY; ALTER TABLE r FORCE ROW LEVEL SECURITY;';
  for (const e of ["(select auth.jwt() -> 'app_metadata' -> 'user_metadata' ->> 'x') = 'y'", "(select auth.jwt() ->> 'role') = 'authenticated'"]) {
    assert.equal(lintFiles([{ file: 'm.sql', text: `${base} CREATE POLICY p ON r FOR SELECT TO authenticated USING (${e});` }], ID).mine.length, 0, e);
  }
  for (const e of [
    "(select jsonb_extract_path_text(auth.jwt(), 'user_metadata', 'role')) = 'admin'",
    "(select (current_setting('request.jwt.claims', true)::jsonb -> 'user_metadata' ->> 'role')) = 'admin'",
    "(select auth.jwt() #> ARRAY['user_metadata', 'role']) = '\"admin\"'",
  ]) {
    assert.equal(lintFiles([{ file: 'm.sql', text: `${base} CREATE POLICY p ON r FOR SELECT TO authenticated USING (${e});` }], ID).mine.length, 1, e);
  }
});
