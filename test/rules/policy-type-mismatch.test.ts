// policy-type-mismatch on PostgreSQL (PGlite): a policy comparing a uuid column with text
// (`->>`, current_setting()) fails with 42883 operator does not exist: uuid = text (text = uuid
// written the other way round), top-level and in a DO block: the policy does not exist. The fix
// (the text cast to the column's type, through nullif for a setting) re-lints clean, and the
// policy it makes admits the tenant's rows only. Calibration: organizacao10x's invites, audit log
// and services (`tenant_id = auth.jwt() ->> 'tenant_id'`), where the tool used to report per-row
// and missing-index findings on policies that never exist.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { closeAll, count, expectPgError, getDb, inRollback, runEachStatement } from '../helpers/pg.js';
import { applyFix, findingsOf, initParser, invalidFinding, lintFiles, sqlOf, TENANT_A, TENANT_B, textAt, validExampleRuns } from '../helpers/rule-proof.js';
import { actAs, AUTH_STUB_SQL } from '../helpers/supabase.js';

const ID = 'policy-type-mismatch';
before(initParser);
after(closeAll);

test('err: uuid = text (a JWT claim): 42883, the policy is not created; the other rules say nothing of it; fixed: cast to uuid, re-lints clean, the tenant reads its rows only', async () => {
  const { ws, finding } = invalidFinding(ID, 0);
  assert.equal(textAt(ws, finding), '=');
  assert.match(finding.message, /^Policy "invites_tenant" on public\.invites compares tenant_id, a uuid column, with \(select auth\.jwt\(\) ->> 'tenant_id'\), which is text: PostgreSQL has no operator uuid = text .* 42883 operator does not exist: uuid = text\. The policy is never created/);
  // (no finding of another rule on the policy: it does not exist)
  assert.deepEqual(lintFiles([{ file: 'm.sql', text: sqlOf(ws) }], ID).findings.filter((f) => f.rule.startsWith('policy-')).map((f) => f.rule), [ID]);
  const db = await getDb();
  await inRollback(db, async (q) => {
    await q(AUTH_STUB_SQL);
    const errors = await runEachStatement(q, sqlOf(ws));
    assert.deepEqual(errors.map((e) => `${e.code} ${e.message}`), ['42883 operator does not exist: uuid = text']);
    assert.equal(await count(q, `(SELECT 1 FROM pg_policy WHERE polrelid = 'invites'::regclass) p`), 0);
  });
  // in a DO block too
  await inRollback(db, async (q) => {
    await q(AUTH_STUB_SQL);
    await q('CREATE TABLE invites (id uuid PRIMARY KEY, tenant_id uuid NOT NULL)');
    await expectPgError(q(`DO $$ BEGIN CREATE POLICY p ON invites USING (tenant_id = auth.jwt() ->> 'tenant_id'); END $$`), '42883', 'operator does not exist: uuid = text');
  });
  const fixed = applyFix(ws, finding);
  assert.match(sqlOf(fixed), /USING \(tenant_id = \(select auth\.jwt\(\) ->> 'tenant_id'\)::uuid\);/);
  assert.deepEqual(findingsOf(fixed, ID), []);
  await inRollback(db, async (q) => {
    await q(AUTH_STUB_SQL);
    assert.deepEqual(await runEachStatement(q, sqlOf(fixed)), []);
    await q(`INSERT INTO invites VALUES ('${TENANT_A}', '${TENANT_A}', 'a@x'), ('${TENANT_B}', '${TENANT_B}', 'b@x'); GRANT SELECT ON invites TO authenticated`);
    await q(actAs(TENANT_A, { tenant_id: TENANT_A }));
    await q('SET ROLE authenticated');
    assert.equal(await count(q, 'invites'), 1);
  });
});

test('err: text = uuid (a session setting, written first): 42883 text = uuid; fixed through nullif: re-lints clean, runs, and reads the tenant rows', async () => {
  const { ws, finding } = invalidFinding(ID, 1);
  assert.match(finding.message, /PostgreSQL has no operator text = uuid .* 42883 operator does not exist: text = uuid/);
  const db = await getDb();
  await inRollback(db, async (q) => {
    const errors = await runEachStatement(q, sqlOf(ws));
    assert.deepEqual(errors.map((e) => `${e.code} ${e.message}`), ['42883 operator does not exist: text = uuid']);
  });
  const fixed = applyFix(ws, finding);
  assert.match(sqlOf(fixed), /USING \(nullif\(\(select current_setting\('app\.tenant_id', true\)\), ''\)::uuid = tenant_id\);/);
  assert.deepEqual(findingsOf(fixed, ID), []);
  assert.deepEqual(findingsOf(fixed, 'policy-current-setting-unsafe'), []);
  await inRollback(db, async (q) => {
    assert.deepEqual(await runEachStatement(q, sqlOf(fixed)), []);
    await q(`INSERT INTO documents VALUES (1, '${TENANT_A}', 'a'), (2, '${TENANT_B}', 'b'); GRANT SELECT ON documents TO app_user`);
    await q(`SELECT set_config('app.tenant_id', '${TENANT_A}', true)`);
    await q('SET ROLE app_user');
    assert.equal(await count(q, 'documents'), 1);
  });
});

test('ok: the Valid examples run and give nothing', async () => {
  await validExampleRuns(ID, 0);
  await validExampleRuns(ID, 1);
});

test('ok: what the text does not tell for certain is not reported (an untyped literal, a text column, a column retyped later, a table made IF NOT EXISTS, a sub-select’s own column, a DO block); PGlite: each runs', async () => {
  const table = 'CREATE TABLE t (id int PRIMARY KEY, tenant_id uuid NOT NULL, code text, n int);\nALTER TABLE t ENABLE ROW LEVEL SECURITY;\n';
  const cases = [
    `CREATE POLICY p ON t USING (tenant_id = '${TENANT_A}');`,
    `CREATE POLICY p ON t USING (code = current_setting('app.code', true));`,
    `CREATE POLICY p ON t USING (tenant_id::text = current_setting('app.tenant_id', true));`,
    `CREATE POLICY p ON t USING (EXISTS (SELECT 1 FROM t x WHERE x.code = current_setting('app.code', true)));`,
  ];
  for (const c of cases) {
    assert.deepEqual(lintFiles([{ file: 'm.sql', text: table + c }], ID).mine, [], c);
    await inRollback(await getDb(), async (q) => assert.deepEqual(await runEachStatement(q, table + c), [], c));
  }
  const mismatch = `CREATE POLICY p ON t USING (n = current_setting('app.n', true));`;
  assert.equal(lintFiles([{ file: 'm.sql', text: table + mismatch }], ID).mine.length, 1);
  await inRollback(await getDb(), async (q) => assert.deepEqual((await runEachStatement(q, table + mismatch)).map((e) => e.message), ['operator does not exist: integer = text']));
  // the column retyped by a later migration: not said
  assert.deepEqual(lintFiles([{ file: '1.sql', text: table + mismatch }, { file: '2.sql', text: 'ALTER TABLE t ALTER COLUMN n TYPE text;' }], ID).mine, []);
  // (organizacao10x's kan01: a table made IF NOT EXISTS first, the policy in a DO block under IF NOT EXISTS (… pg_policies …): said; the DO block fails with it)
  const kan = `${table.replace('CREATE TABLE t', 'CREATE TABLE IF NOT EXISTS t')}DO $$ BEGIN IF NOT EXISTS (SELECT 1 FROM pg_policies WHERE tablename = 't') THEN ${mismatch} END IF; END $$;`;
  assert.equal(lintFiles([{ file: 'm.sql', text: kan }], ID).mine.length, 1);
  await inRollback(await getDb(), async (q) => assert.deepEqual((await runEachStatement(q, kan)).map((e) => `${e.code} ${e.message}`), ['42883 operator does not exist: integer = text']));
});
