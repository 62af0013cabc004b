// column-revoke-ineffective on PostgreSQL (PGlite): a column REVOKE leaves a table-wide
// privilege in place, so the role still reads the column; the fix takes the table's privilege
// and grants the other columns.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { closeAll, expectPgError, getDb, inRollback, type Q } from '../helpers/pg.js';
import { applyFix, findingsOf, initParser, invalidFinding, lintDocExample, lintFiles, sqlOf, textAt } from '../helpers/rule-proof.js';

const ID = 'column-revoke-ineffective';
before(initParser);
after(closeAll);

/** The migrations as the superuser, an account of authenticated's and one of somebody else's; then as authenticated. */
async function asAuthenticated(q: Q, sql: string): Promise<void> {
  await q(sql);
  await q(`INSERT INTO accounts VALUES (1, 'authenticated', 'hash-1'), (2, 'somebody', 'hash-2')`);
  await q('SET ROLE authenticated');
}

test('err: authenticated still reads password_hash after the column REVOKE; after the fix it cannot (42501) and reads the other columns', async () => {
  const { ws, finding } = invalidFinding(ID, 0);
  assert.match(textAt(ws, finding), /^REVOKE SELECT \(password_hash\) ON accounts FROM authenticated$/);
  assert.match(finding.message, /takes nothing away: authenticated holds SELECT on the whole table \(a GRANT of SELECT on the table\).*still reads password_hash/);
  const db = await getDb();
  await inRollback(db, async (q) => {
    await asAuthenticated(q, sqlOf(ws));
    assert.deepEqual(await q('SELECT password_hash FROM accounts'), [{ password_hash: 'hash-1' }]);
  });
  const fixed = applyFix(ws, finding);
  assert.match(sqlOf(fixed), /REVOKE SELECT ON accounts FROM authenticated;\nGRANT SELECT \(id, owner\) ON accounts TO authenticated;/);
  assert.equal(findingsOf(fixed, ID).length, 0);
  assert.equal(findingsOf(fixed, 'policy-role-without-grant').length, 0);
  await inRollback(db, async (q) => {
    await asAuthenticated(q, sqlOf(fixed));
    assert.deepEqual(await q('SELECT id, owner FROM accounts'), [{ id: 1, owner: 'authenticated' }]);
    await expectPgError(q('SELECT password_hash FROM accounts'), '42501', 'permission denied for table accounts');
  });
});

test("err: Supabase's default privileges: anon reads the column the REVOKE names; fixed, it cannot", async () => {
  const { ws, finding } = invalidFinding(ID, 1);
  assert.match(finding.message, /anon holds SELECT on the whole table \(Supabase's default privileges, ALL on every table in public\)/);
  const platform = 'ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT ALL ON TABLES TO anon, authenticated, service_role;';
  const db = await getDb();
  const run = async (q: Q, sql: string) => {
    await q(platform);
    await q(sql);
    await q(`INSERT INTO public.profiles VALUES ('00000000-0000-0000-0000-000000000001', 'ann', 'ann@example.com')`);
    await q('SET ROLE anon');
  };
  await inRollback(db, async (q) => {
    await run(q, sqlOf(ws));
    assert.deepEqual(await q('SELECT email FROM public.profiles'), [{ email: 'ann@example.com' }]);
  });
  const fixed = applyFix(ws, finding);
  assert.equal(findingsOf(fixed, ID).length, 0);
  await inRollback(db, async (q) => {
    await run(q, sqlOf(fixed));
    assert.deepEqual(await q('SELECT username FROM public.profiles'), [{ username: 'ann' }]);
    await expectPgError(q('SELECT email FROM public.profiles'), '42501', 'permission denied for table profiles');
  });
});

test('ok: table-wide REVOKE then column GRANTs, and column privileges only (Valid examples): the column is hidden', async () => {
  const db = await getDb();
  for (const n of [0, 1]) {
    const valid = lintDocExample(ID, 'valid', n);
    assert.equal(valid.mine.length, 0);
    await inRollback(db, async (q) => {
      await asAuthenticated(q, sqlOf(valid.ws));
      await expectPgError(q('SELECT password_hash FROM accounts'), '42501', 'permission denied for table accounts');
    });
  }
});

test("err (message): a table-wide privilege from the schema's default privileges, no GRANT naming the table (grida's grida_library): the message names them, and anon still reads the column", async () => {
  const sql = `CREATE SCHEMA grida_library;
GRANT USAGE ON SCHEMA grida_library TO anon;
ALTER DEFAULT PRIVILEGES IN SCHEMA grida_library GRANT ALL ON TABLES TO anon;
CREATE TABLE grida_library.author (id int PRIMARY KEY, name text, user_id uuid);
REVOKE SELECT (user_id) ON grida_library.author FROM anon;
`;
  const { mine } = lintFiles([{ file: 'supabase/migrations/20250424104044_library.sql', text: sql }], ID);
  assert.equal(mine.length, 1);
  assert.match(mine[0]!.message, /anon holds SELECT on the whole table \(SELECT given by the default privileges of its schema when the table was created: ALTER DEFAULT PRIVILEGES … GRANT … ON TABLES\)/);
  await inRollback(await getDb(), async (q) => {
    await q(sql);
    await q(`INSERT INTO grida_library.author VALUES (1, 'ann', '00000000-0000-0000-0000-000000000001'); SET ROLE anon`);
    assert.deepEqual(await q('SELECT user_id FROM grida_library.author'), [{ user_id: '00000000-0000-0000-0000-000000000001' }]);
  });
});
