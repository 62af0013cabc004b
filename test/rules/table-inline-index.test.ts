// table-inline-index on PostgreSQL (PGlite): MySQL's `INDEX name (columns)` (or `KEY name (…)`)
// inside CREATE TABLE is parsed as a column named index of a type named after the index, so the
// statement fails with 42704 and the table, its RLS and its policies are never made. The fix
// (CREATE INDEX statements after the table) re-lints clean and runs. A column named key of a real
// type, and a CREATE TABLE IF NOT EXISTS of a table made before (a notice, no type looked up),
// are not reported.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { closeAll, getDb, inRollback, runEachStatement } from '../helpers/pg.js';
import { applyFix, findingsOf, initParser, invalidFinding, lintFiles, sqlOf, textAt, validExampleRuns } from '../helpers/rule-proof.js';

const ID = 'table-inline-index';
before(initParser);
after(closeAll);

test('err: the Invalid example: one finding on the first clause; PGlite: 42704, the table, its RLS and its policy are never made', async () => {
  const { ws, finding } = invalidFinding(ID, 0);
  assert.equal(textAt(ws, finding), 'INDEX idx_workflow_events_tenant_type (tenant_id, event_type)');
  assert.equal(
    finding.message,
    "2 clauses here (`INDEX idx_workflow_events_tenant_type (tenant_id, event_type)`, …) are MySQL's index clauses: PostgreSQL has no index clause in CREATE TABLE and reads each as a column named index whose type is the index's name, " +
      'so it rejects the statement with 42704 type "idx_workflow_events_tenant_type" does not exist and the table workflow_events is never created; a migration tool applying the files in order stops here, before the 4 statements after it in this file, among them ENABLE ROW LEVEL SECURITY on workflow_events, FORCE ROW LEVEL SECURITY on workflow_events, a GRANT and 1 more such. ' +
      'Write each index as a statement of its own after the table: `CREATE INDEX idx_workflow_events_tenant_type ON workflow_events (tenant_id, event_type);`, and so on.',
  );
  // (the model makes no table of it: no rule reports RLS on a table that never exists)
  assert.equal(ws.model().tables.get('public.workflow_events'), undefined);
  await inRollback(await getDb(), async (q) => {
    const errors = await runEachStatement(q, sqlOf(ws));
    assert.deepEqual(errors.map((e) => e.code), ['42704', '42P01', '42P01', '42P01', '42P01']);
    assert.equal(errors[0]!.message, 'type "idx_workflow_events_tenant_type" does not exist');
    assert.equal(((await q(`SELECT to_regclass('workflow_events') IS NULL AS gone`)) as Array<{ gone: boolean }>)[0]!.gone, true);
  });
});

test('err→ok: the fix moves the clauses into CREATE INDEX statements after the table: re-lints clean, runs, and the indexes exist', async () => {
  const { ws, finding } = invalidFinding(ID, 0);
  assert.deepEqual(finding.fixes.map((f) => [f.title, f.kind]), [['Move the index clauses out of CREATE TABLE into CREATE INDEX statements', 'unsafe']]);
  const fixed = applyFix(ws, finding);
  const text = fixed.text('backend/migrations/073_workflow.sql')!;
  assert.match(text, /^CREATE ROLE app_user NOLOGIN;\nCREATE TABLE workflow_events \(\n  id uuid PRIMARY KEY,\n  tenant_id uuid NOT NULL,\n  event_type text NOT NULL,\n  created_at timestamptz DEFAULT now\(\)\n\);\nCREATE INDEX idx_workflow_events_tenant_type ON workflow_events \(tenant_id, event_type\);\nCREATE INDEX idx_workflow_events_created ON workflow_events \(tenant_id, created_at\);\nALTER TABLE workflow_events ENABLE/);
  assert.deepEqual(findingsOf(fixed, ID), []);
  assert.deepEqual(findingsOf(fixed, 'syntax-error'), []);
  await inRollback(await getDb(), async (q) => {
    assert.deepEqual(await runEachStatement(q, sqlOf(fixed)), []);
    const idx = (await q(`SELECT string_agg(indexname, ',' ORDER BY indexname) AS i FROM pg_indexes WHERE tablename = 'workflow_events'`)) as Array<{ i: string }>;
    assert.equal(idx[0]!.i, 'idx_workflow_events_created,idx_workflow_events_tenant_type,workflow_events_pkey');
  });
});

test('err→ok: KEY, a clause between columns, quoted and schema-qualified names: the fix keeps the other columns and runs', async () => {
  const text = 'CREATE TABLE app."Audit Log" (\n  id bigint PRIMARY KEY,\n  KEY k_actor (actor_id), actor_id uuid,\n  "Order" int,\n  INDEX "Idx Order" ("Order")\n);\n';
  const { ws, mine } = lintFiles([{ file: 'db/001.sql', text: 'CREATE SCHEMA app;\n' + text }], ID);
  assert.equal(mine.length, 1);
  assert.equal(textAt(ws, mine[0]!), 'KEY k_actor (actor_id)');
  assert.match(mine[0]!.message, /reads each as a column named key whose type is the index's name, so it rejects the statement with 42704 type "k_actor" does not exist and the table app\."Audit Log"|the table app\.Audit Log/);
  // (the advice is SQL that runs: the names quoted as the statement writes them)
  assert.match(mine[0]!.message, /the table app\."Audit Log" is never created; .* `CREATE INDEX k_actor ON app\."Audit Log" \(actor_id\);`, and so on\.$/);
  const fixed = applyFix(ws, mine[0]!);
  assert.equal(fixed.text('db/001.sql'), 'CREATE SCHEMA app;\nCREATE TABLE app."Audit Log" (\n  id bigint PRIMARY KEY,\n  actor_id uuid,\n  "Order" int\n);\nCREATE INDEX k_actor ON app."Audit Log" (actor_id);\nCREATE INDEX "Idx Order" ON app."Audit Log" ("Order");\n');
  assert.deepEqual(findingsOf(fixed, ID), []);
  await inRollback(await getDb(), async (q) => {
    assert.deepEqual((await runEachStatement(q, 'CREATE SCHEMA app;\n' + text)).map((e) => e.code), ['42704']);
  });
  await inRollback(await getDb(), async (q) => {
    assert.deepEqual(await runEachStatement(q, fixed.text('db/001.sql')!), []);
  });
});

test('ok: the Valid examples run and give no finding; a column named key or index of a real type, and CREATE TABLE IF NOT EXISTS of a table made before, are not reported (PGlite: the latter is a notice)', async () => {
  await validExampleRuns(ID, 0);
  await validExampleRuns(ID, 1);
  const again = 'CREATE TABLE events (id int PRIMARY KEY, tenant_id int);\nCREATE TABLE IF NOT EXISTS events (id int PRIMARY KEY, tenant_id int, INDEX idx_events_tenant (tenant_id));\nCREATE TABLE t2 (id int, index int, key numeric(10, 2));\n';
  assert.deepEqual(lintFiles([{ file: 'm.sql', text: again }], ID).mine, []);
  await inRollback(await getDb(), async (q) => {
    assert.deepEqual(await runEachStatement(q, again), []);
  });
});
