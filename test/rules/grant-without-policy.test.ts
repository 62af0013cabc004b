// grant-without-policy on PostgreSQL (PGlite): a role with the INSERT privilege but no INSERT
// policy gets 42501 "new row violates row-level security policy"; with UPDATE but no UPDATE
// policy its UPDATE changes no row, silently. After the fix's REVOKE the INSERT fails with
// "permission denied", and with the missing policy (Valid example) the UPDATE works.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { affected, closeAll, expectPgError, getDb, inRollback } from '../helpers/pg.js';
import { applyFix, findingsOf, initParser, invalidFinding, lintDocExample, lintFiles, sqlOf, textAt } from '../helpers/rule-proof.js';

const ID = 'grant-without-policy';
before(initParser);
after(closeAll);

const TENANT = '00000000-0000-0000-0000-00000000000a';

test('err: INSERT granted to anonymous, no INSERT policy: 42501 new row violates row-level security policy; after the REVOKE, permission denied', async () => {
  const { ws, finding } = invalidFinding(ID, 0);
  assert.match(textAt(ws, finding), /^GRANT INSERT \(id, tenant_id, client_name\) ON booking TO anonymous/);
  assert.match(finding.message, /^anonymous is granted INSERT on public\.booking, which has row-level security, but no permissive policy for that command applies to it: row-level security denies by default, so every INSERT fails with 42501 new row violates row-level security policy\./);
  const insert = `INSERT INTO booking (id, tenant_id, client_name) VALUES (1, '${TENANT}', 'x')`;
  const db = await getDb();
  await inRollback(db, async (q) => {
    await q(sqlOf(ws));
    await q('SET ROLE anonymous');
    await expectPgError(q(insert), '42501', 'new row violates row-level security policy');
  });
  const fixed = applyFix(ws, finding);
  assert.match(sqlOf(fixed), /REVOKE INSERT ON booking FROM anonymous;/);
  assert.equal(findingsOf(fixed, ID).length, 0);
  await inRollback(db, async (q) => {
    await q(sqlOf(fixed));
    await q('SET ROLE anonymous');
    await expectPgError(q(insert), '42501', 'permission denied for table booking');
  });
});

test('err: UPDATE granted, only a SELECT policy: the UPDATE changes no row, without an error; with the UPDATE policy (Valid example) it does', async () => {
  const { ws, finding } = invalidFinding(ID, 1);
  assert.match(finding.message, /app_user is granted UPDATE on public\.notes.*every UPDATE changes no row, without an error/);
  const db = await getDb();
  await inRollback(db, async (q) => {
    await q(sqlOf(ws));
    await q(`INSERT INTO notes VALUES (1, 'app_user', 'a')`);
    await q('SET ROLE app_user');
    assert.deepEqual(await q('SELECT body FROM notes'), [{ body: 'a' }], 'it reads its note');
    assert.equal(await affected(q, `UPDATE notes SET body = 'b' WHERE id = 1`), 0, 'and updates nothing');
  });
  const valid = lintDocExample(ID, 'valid', 0);
  assert.equal(valid.mine.length, 0);
  await inRollback(db, async (q) => {
    await q(sqlOf(valid.ws));
    await q(`INSERT INTO notes VALUES (1, 'app_user', 'a')`);
    await q('SET ROLE app_user');
    assert.equal(await affected(q, `UPDATE notes SET body = 'b' WHERE id = 1`), 1);
  });
  assert.equal(lintDocExample(ID, 'valid', 1).mine.length, 0, 'all four granted: not reported');
});

test("err: a role whose only member bypasses row-level security (GamingPlatform's manager and its login m1 BYPASSRLS): still reported, for the role itself and members to come, and the message says the member sees every row", async () => {
  const text = `CREATE ROLE gwp_manager;
CREATE ROLE gwp_m1 BYPASSRLS;
GRANT gwp_manager TO gwp_m1;
CREATE TABLE public.member (username text PRIMARY KEY, balance int);
ALTER TABLE public.member ENABLE ROW LEVEL SECURITY;
CREATE ROLE gwp_player;
CREATE POLICY own ON public.member FOR SELECT TO gwp_player USING (username = current_user);
GRANT SELECT ON public.member TO gwp_manager, gwp_player;
`;
  const { mine } = lintFiles([{ file: 'db/1.sql', text }], ID);
  assert.equal(mine.length, 1);
  assert.match(mine[0]!.message, /every SELECT returns no row \(so for gwp_manager itself, after SET ROLE, and for members added later; its member gwp_m1 bypasses row-level security and sees every row\)/);
  await inRollback(await getDb(), async (q) => {
    await q(text);
    await q(`INSERT INTO public.member VALUES ('a', 1), ('b', 2)`);
    await q('SET ROLE gwp_m1');
    assert.equal((await q('SELECT count(*)::int AS n FROM public.member'))[0]!.n, 2);
    await q('SET ROLE gwp_manager');
    assert.equal((await q('SELECT count(*)::int AS n FROM public.member'))[0]!.n, 0);
  });
});
