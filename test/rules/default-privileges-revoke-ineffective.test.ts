// default-privileges-revoke-ineffective on PostgreSQL (PGlite): after ALTER DEFAULT PRIVILEGES
// IN SCHEMA billing REVOKE EXECUTE ON FUNCTIONS FROM PUBLIC, the SECURITY DEFINER function
// created next is still executable by PUBLIC: authenticated (USAGE on billing, no grant on the
// function) adds credits to an organization whose row it cannot read. The fix (no IN SCHEMA)
// re-lints clean: authenticated gets 42501, service_role (granted) still calls it. A per-schema
// REVOKE after a global one undoes a per-schema GRANT, and is not reported.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { closeAll, expectPgError, getDb, inRollback, tryQuery, type Q } from '../helpers/pg.js';
import { applyFix, findingsOf, initParser, invalidFinding, lintFiles, sqlOf, TENANT_A, validExampleRuns } from '../helpers/rule-proof.js';
import { AUTH_STUB_SQL } from '../helpers/supabase.js';
import { verified } from '../helpers/verified.js';
import { lintDocExample } from '../helpers/rule-proof.js';

const ID = 'default-privileges-revoke-ineffective';
before(initParser);
after(closeAll);

const add = (q: Q) => q(`SELECT billing.add_credits('${TENANT_A}', 100)`);

/** authenticated's call is refused: 42501 (the transaction goes on: tryQuery's savepoint). */
async function refused(q: Q): Promise<void> {
  const r = await tryQuery(q, `SELECT billing.add_credits('${TENANT_A}', 100)`);
  assert.equal(!r.ok && `${r.error.code} ${r.error.message}`, '42501 permission denied for function add_credits');
}

/** Runs the migrations, puts in the organization's row, and acts as `role`. */
async function setup(q: Q, sql: string, role: string): Promise<void> {
  await q(AUTH_STUB_SQL);
  await q(sql);
  await q(`INSERT INTO billing.credits VALUES ('${TENANT_A}', 0)`);
  await q(`SET ROLE ${role}`);
}

test('err: the per-schema REVOKE leaves PUBLIC its EXECUTE: authenticated runs the definer function and changes a row it cannot read; fixed, 42501', async () => {
  const { ws, finding } = invalidFinding(ID, 0);
  assert.equal(finding.file, 'supabase/migrations/20250101000000_billing.sql');
  assert.match(finding.message, /^This per-schema REVOKE of EXECUTE on functions from PUBLIC revokes nothing in schema billing: PostgreSQL adds per-schema default privileges to the global ones/);
  assert.match(finding.message, /So PUBLIC may execute the function the migrations create there after it, a SECURITY DEFINER one: billing\.add_credits\(uuid, integer\)\./);
  const db = await getDb();
  await inRollback(db, async (q) => {
    await setup(q, sqlOf(ws), 'authenticated');
    const direct = await tryQuery(q, 'SELECT amount FROM billing.credits');
    assert.equal(!direct.ok && direct.error.code, '42501', 'authenticated cannot read the table itself');
    await add(q);
    await q('RESET ROLE');
    assert.equal((await q('SELECT amount FROM billing.credits'))[0]!.amount, 100, 'the call changed the row');
  });
  const fixed = applyFix(ws, finding);
  assert.equal(finding.fixes[0]!.kind, 'unsafe');
  assert.match(sqlOf(fixed), /\nALTER DEFAULT PRIVILEGES REVOKE EXECUTE ON FUNCTIONS FROM PUBLIC;\n/);
  assert.equal(findingsOf(fixed, ID).length, 0);
  await inRollback(db, async (q) => {
    await setup(q, sqlOf(fixed), 'authenticated');
    await refused(q);
    await q('RESET ROLE; SET ROLE service_role');
    await add(q);
  });
});

test('ok: Valid (the global REVOKE) runs: authenticated gets 42501, service_role calls it', async () => {
  await validExampleRuns(ID, 0, async (q) => {
    await q(`INSERT INTO billing.credits VALUES ('${TENANT_A}', 0)`);
    await q('SET ROLE authenticated');
    await refused(q);
    await q('RESET ROLE; SET ROLE service_role');
    await add(q);
    await q('RESET ROLE');
  });
});

test('ok: after a global REVOKE a per-schema GRANT and REVOKE pair is not reported (the REVOKE undoes the GRANT: measured); a per-schema GRANT alone neither', async () => {
  const sql = `CREATE SCHEMA s;
GRANT USAGE ON SCHEMA s TO authenticated;
ALTER DEFAULT PRIVILEGES REVOKE EXECUTE ON FUNCTIONS FROM PUBLIC;
ALTER DEFAULT PRIVILEGES IN SCHEMA s GRANT EXECUTE ON FUNCTIONS TO PUBLIC;
ALTER DEFAULT PRIVILEGES IN SCHEMA s REVOKE EXECUTE ON FUNCTIONS FROM PUBLIC;
CREATE FUNCTION s.f() RETURNS int LANGUAGE sql AS 'SELECT 1';
`;
  assert.deepEqual(lintFiles([{ file: 'm/1.sql', text: sql }], ID).mine, []);
  await inRollback(await getDb(), async (q) => {
    await q(sql);
    await q('SET ROLE authenticated');
    await expectPgError(q('SELECT s.f()'), '42501', 'permission denied for function f');
  });
  // (and with a per-schema GRANT to PUBLIC before the REVOKE but no global one: still executable, and reported)
  const open = sql.replace('ALTER DEFAULT PRIVILEGES REVOKE EXECUTE ON FUNCTIONS FROM PUBLIC;\n', '');
  assert.equal(lintFiles([{ file: 'm/1.sql', text: open }], ID).mine.length, 1);
  await inRollback(await getDb(), async (q) => {
    await q(open);
    await q('SET ROLE authenticated');
    assert.equal((await q('SELECT s.f() AS x'))[0]!.x, 1);
  });
});

test("ok: verify shows the finding by its EXECUTE look of the function created after it (a related place of the finding)", async () => {
  const { ex } = lintDocExample(ID, 'invalid', 0);
  const { shown } = await verified(ex.files, { seed: true });
  const c = shown.find((x) => x.finding.rule === ID);
  assert.ok(c, 'not shown');
  assert.equal(c.exposure?.kind, 'execute');
  assert.equal(c.exposure?.object, 'billing.add_credits(p_org uuid, p_amount integer)');
});

// Calibration cal194 (reabal-n/instantmed): 20260713085920's `ALTER DEFAULT PRIVILEGES FOR ROLE
// postgres IN SCHEMA public REVOKE EXECUTE ON FUNCTIONS FROM PUBLIC, …` was said to leave PUBLIC
// EXECUTE on "the function the migrations create there after it: public.increment_cron_run_count()",
// which the baseline made a year before and a later CREATE OR REPLACE only replaces: PostgreSQL keeps
// a replaced function's ACL, so no default privilege, effective or not, decides it.
test('ok/err: a function made before the per-schema REVOKE and replaced after it is not one it leaves executable (its ACL is the one it got when made); one first made after it still is', async () => {
  const fn = (name: string) => `CREATE OR REPLACE FUNCTION s.${name}() RETURNS int LANGUAGE sql AS 'SELECT 1';\n`;
  const head = 'CREATE SCHEMA s;\nGRANT USAGE ON SCHEMA s TO authenticated;\n';
  const revoke = (inSchema: boolean) => `ALTER DEFAULT PRIVILEGES${inSchema ? ' IN SCHEMA s' : ''} REVOKE EXECUTE ON FUNCTIONS FROM PUBLIC;\n`;
  const sql = head + fn('tick') + revoke(true) + fn('tick');
  const { mine } = lintFiles([{ file: 'm/1.sql', text: sql }], ID);
  assert.equal(mine.length, 1, 'the REVOKE itself is still ineffective');
  assert.match(mine[0]!.message, /So every function created there after it is executable by PUBLIC\./);
  assert.doesNotMatch(mine[0]!.message, /tick/);
  assert.equal(mine[0]!.related?.length ?? 0, 0);
  // PGlite: replaced after the per-schema REVOKE, or after a global one (which the fix writes), PUBLIC keeps EXECUTE alike
  for (const text of [sql, head + fn('tick') + revoke(false) + fn('tick')]) {
    await inRollback(await getDb(), async (q) => {
      await q(text);
      await q('SET ROLE authenticated');
      assert.equal((await q('SELECT s.tick() AS x'))[0]!.x, 1);
    });
  }
  // a function first made after it: named, and executable (after a global REVOKE it would not be: 42501)
  const later = sql + fn('fresh');
  const named = lintFiles([{ file: 'm/1.sql', text: later }], ID).mine;
  assert.match(named[0]!.message, /So PUBLIC may execute the function the migrations create there after it: s\.fresh\(\)\./);
  await inRollback(await getDb(), async (q) => {
    await q(later);
    await q('SET ROLE authenticated');
    assert.equal((await q('SELECT s.fresh() AS x'))[0]!.x, 1);
  });
  await inRollback(await getDb(), async (q) => {
    await q(head + fn('tick') + revoke(false) + fn('tick') + fn('fresh'));
    await q('SET ROLE authenticated');
    await expectPgError(q('SELECT s.fresh()'), '42501', 'permission denied for function fresh');
  });
});
