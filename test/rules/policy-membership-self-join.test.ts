// policy-membership-self-join on PostgreSQL (PGlite): a write policy on a membership table that
// checks only the user column lets a user add themselves to any org (INSERT), or move their own
// membership to another zone (UPDATE), and then read that group's rows through the policies that
// trust the membership table. An invitation check in WITH CHECK refuses it.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { closeAll, count, expectPgError, getDb, inRollback, type Q } from '../helpers/pg.js';
import { initParser, invalidFinding, lintDocExample, lintFiles, sqlOf, TENANT_A, textAt } from '../helpers/rule-proof.js';
import { actAs, AUTH_STUB_SQL } from '../helpers/supabase.js';
import type { Workspace } from '../../server/src/engine/workspace.js';

const ID = 'policy-membership-self-join';
before(initParser);
after(closeAll);

/** Supabase's platform defaults, the migrations, org 1 (A is a member) and org 2 (A is not), one document each; then act as user A. */
async function orgs(q: Q, ws: Workspace): Promise<void> {
  await q(AUTH_STUB_SQL);
  await q('ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT ALL ON TABLES TO anon, authenticated, service_role');
  await q(sqlOf(ws));
  await q(`INSERT INTO public.org_members VALUES (1, '${TENANT_A}'); INSERT INTO public.documents VALUES (10, 1, 'ours'), (20, 2, 'theirs')`);
  await q(actAs(TENANT_A, { email: 'a@example.com' }));
  await q('SET ROLE authenticated');
}

test("err: INSERT WITH CHECK (user_id = auth.uid()): user A joins org 2 and reads its documents", async () => {
  const { ws, finding } = invalidFinding(ID, 0);
  assert.equal(textAt(ws, finding), 'members_join');
  assert.match(
    finding.message,
    /^Policy "members_join" on public\.org_members lets authenticated write rows of it checking only their user_id against who the caller is: public\.org_members is a membership table that policy "documents_member" on public\.documents trusts .* a user can insert a row of public\.org_members with their own user_id and any org_id, and then get the rows of public\.documents that policy admits for that org_id, which they were never given\./,
  );
  await inRollback(await getDb(), async (q) => {
    await orgs(q, ws);
    assert.deepEqual(await q('SELECT title FROM public.documents'), [{ title: 'ours' }]);
    await q(`INSERT INTO public.org_members VALUES (2, '${TENANT_A}')`);
    assert.equal(await count(q, 'public.documents'), 2, "org 2's document too");
  });
});

test('err: FOR ALL USING (user_id = …): app_user moves its membership to zone z2 and reads it', async () => {
  const { ws, finding } = invalidFinding(ID, 1);
  assert.match(finding.message, /a user can change the zone_id of their own row of public\.zone_user to any value/);
  assert.doesNotMatch(finding.message, /insert a row/, 'app_user has no INSERT privilege');
  await inRollback(await getDb(), async (q) => {
    await q(sqlOf(ws));
    await q(`INSERT INTO zone VALUES ('z1', 'mine'), ('z2', 'theirs'); INSERT INTO zone_user VALUES ('z1', 'u1'), ('z2', 'u2')`);
    await q(`SELECT set_config('app.user_id', 'u1', true)`);
    await q('SET ROLE app_user');
    assert.deepEqual(await q('SELECT name FROM zone'), [{ name: 'mine' }]);
    await q(`UPDATE zone_user SET zone_id = 'z2' WHERE user_id = 'u1'`);
    assert.deepEqual(await q('SELECT name FROM zone'), [{ name: 'theirs' }]);
  });
});

test('ok: with an invitation check in WITH CHECK (Valid example), joining org 2 uninvited fails with 42501', async () => {
  const { ws, mine } = lintDocExample(ID, 'valid', 0);
  assert.equal(mine.length, 0);
  const db = await getDb();
  await inRollback(db, async (q) => {
    await orgs(q, ws);
    await expectPgError(q(`INSERT INTO public.org_members VALUES (2, '${TENANT_A}')`), '42501', 'row-level security');
  });
  await inRollback(db, async (q) => {
    await orgs(q, ws);
    await q('RESET ROLE');
    await q(`INSERT INTO public.invitations VALUES (2, 'a@example.com')`);
    await q('SET ROLE authenticated');
    await q(`INSERT INTO public.org_members VALUES (2, '${TENANT_A}')`);
    assert.equal(await count(q, 'public.documents'), 2, 'invited: joins');
  });
});

test("ok: an owner's row (a unique group column) is not a membership: taking another store's id fails with 23505", async () => {
  const { ws, mine } = lintDocExample(ID, 'valid', 1);
  assert.equal(mine.length, 0);
  await inRollback(await getDb(), async (q) => {
    await q(AUTH_STUB_SQL);
    await q('ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT ALL ON TABLES TO anon, authenticated, service_role');
    await q(sqlOf(ws));
    await q(`INSERT INTO public.stores VALUES ('00000000-0000-0000-0000-0000000000b1', '00000000-0000-0000-0000-00000000000b')`);
    await q(actAs(TENANT_A));
    await q('SET ROLE authenticated');
    await expectPgError(q(`INSERT INTO public.stores VALUES ('00000000-0000-0000-0000-0000000000b1', '${TENANT_A}')`), '23505');
  });
});

test('err (lint): a check that only says the group column IS NOT NULL does not limit it', () => {
  const { ws } = invalidFinding(ID, 0);
  const sql = sqlOf(ws).replace('WITH CHECK (user_id = (select auth.uid()));', 'WITH CHECK (user_id = (select auth.uid()) AND org_id IS NOT NULL);');
  assert.notEqual(sql, sqlOf(ws));
  assert.equal(lintFiles([{ file: 'supabase/migrations/20240101000000_orgs.sql', text: sql }], ID).mine.length, 1);
});
