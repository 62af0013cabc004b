// rls-on-view on PostgreSQL (PGlite): a policy on a view or materialized view, and ENABLE ROW
// LEVEL SECURITY on a view, fail with 42809; the view then shows what its tables' policies give
// its owner (all rows for a superuser owner), not the caller's rows. The fixes remove the
// statement (and make the view security_invoker), re-lint clean, and run: each user then sees
// its own rows through the view once the policy is on the table.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { closeAll, count, getDb, inRollback, runEachStatement, type Q } from '../helpers/pg.js';
import { applyFix, findingsOf, initParser, invalidFinding, lintFiles, sqlOf, TENANT_A, TENANT_B, textAt, validExampleRuns } from '../helpers/rule-proof.js';
import { actAs, AUTH_STUB_SQL } from '../helpers/supabase.js';

const ID = 'rls-on-view';
before(initParser);
after(closeAll);

/** The codes of the statements that fail (psql without ON_ERROR_STOP goes on). */
const runEach = async (q: Q, sql: string) => (await runEachStatement(q, sql)).map((e) => e.code);

const DOCS = `INSERT INTO documents (id, owner_id, title) VALUES (1, '${TENANT_A}', 'a'), (2, '${TENANT_B}', 'b')`;

test("err: a policy on a view fails with 42809; the view (the superuser's) shows user A both users' rows", async () => {
  const { ws, finding } = invalidFinding(ID, 0);
  assert.equal(textAt(ws, finding), 'document_titles');
  assert.match(finding.message, /^Policy "own_titles" is created on public\.document_titles, a view: PostgreSQL rejects it with 42809 "document_titles" is not a table/);
  const db = await getDb();
  await inRollback(db, async (q) => {
    await q(AUTH_STUB_SQL);
    assert.deepEqual(await runEach(q, sqlOf(ws)), ['42809']);
    assert.equal(await count(q, "SELECT * FROM pg_policies WHERE policyname = 'own_titles'"), 0);
    await q(DOCS);
    await q('GRANT SELECT ON document_titles TO authenticated');
    await q(actAs(TENANT_A));
    await q('SET ROLE authenticated');
    assert.equal(await count(q, 'document_titles'), 2, "B's row too");
  });
});

test('err: ENABLE ROW LEVEL SECURITY on a view, and a policy on a materialized view: 42809', async () => {
  for (const n of [1, 2]) {
    const { ws, finding } = invalidFinding(ID, n);
    assert.match(finding.message, n === 1 ? /42809 ALTER action ENABLE ROW SECURITY cannot be performed on relation "document_titles"/ : /a materialized view: PostgreSQL rejects it with 42809 "document_counts" is not a table/);
    const db = await getDb();
    await inRollback(db, async (q) => {
      await q(AUTH_STUB_SQL);
      assert.deepEqual(await runEach(q, sqlOf(ws)), ['42809'], `Invalid #${n + 1}`);
    });
  }
});

test('err→ok: the fixes remove the statement (and make the view security_invoker): re-lint clean, no error; with the policy on the table, user A sees its own row', async () => {
  const { ws, finding } = invalidFinding(ID, 0);
  assert.deepEqual(
    finding.fixes?.map((f) => f.title),
    ['Remove this CREATE POLICY (PostgreSQL rejects it)', 'Remove this CREATE POLICY and make public.document_titles security_invoker (PostgreSQL 15+)'],
  );
  const fixed = applyFix(ws, finding, /security_invoker/);
  assert.deepEqual(findingsOf(fixed, ID), []);
  assert.doesNotMatch(sqlOf(fixed), /CREATE POLICY own_titles/);
  assert.match(sqlOf(fixed), /CREATE VIEW document_titles WITH \(security_invoker = true\) AS/);
  const onTable = `${sqlOf(fixed)}\nCREATE POLICY own_documents ON documents FOR SELECT TO authenticated USING (owner_id = (select auth.uid()));`;
  assert.deepEqual(findingsOf(lintFiles([{ file: 'm/1.sql', text: onTable }], ID).ws, ID), []);
  const db = await getDb();
  await inRollback(db, async (q) => {
    await q(AUTH_STUB_SQL);
    assert.deepEqual(await runEach(q, onTable), []);
    await q(DOCS);
    await q('GRANT SELECT ON documents, document_titles TO authenticated');
    await q(actAs(TENANT_A));
    await q('SET ROLE authenticated');
    assert.deepEqual((await q('SELECT title FROM document_titles')).map((r) => r.title), ['a']);
  });
  for (const n of [1, 2]) {
    const inv = invalidFinding(ID, n);
    const removed = applyFix(inv.ws, inv.finding, /^Remove this (CREATE POLICY|statement) \(/);
    assert.deepEqual(findingsOf(removed, ID), [], `Invalid #${n + 1}`);
    await inRollback(db, async (q) => {
      await q(AUTH_STUB_SQL);
      assert.deepEqual(await runEach(q, sqlOf(removed)), [], `Invalid #${n + 1} after the fix`);
    });
  }
});

test('ok: the policy on the table with a security_invoker view, and a view replaced by a table, run without error', async () => {
  for (const n of [0, 1]) await validExampleRuns(ID, n);
});

test('ok: other rules say nothing of a policy PostgreSQL rejects (no per-row, no PUBLIC finding on it)', () => {
  const table = 'CREATE TABLE documents (id bigint PRIMARY KEY, owner_id uuid NOT NULL);\nALTER TABLE documents ENABLE ROW LEVEL SECURITY;\nALTER TABLE documents FORCE ROW LEVEL SECURITY;\n';
  const policy = 'CREATE POLICY own ON docs USING (owner_id = auth.uid());\n';
  // on a table, the same policy gets both
  const onTable = lintFiles([{ file: 'm/1.sql', text: `${table}CREATE TABLE docs (id bigint PRIMARY KEY, owner_id uuid NOT NULL);\nALTER TABLE docs ENABLE ROW LEVEL SECURITY;\nALTER TABLE docs FORCE ROW LEVEL SECURITY;\n${policy}` }], ID);
  assert.deepEqual(onTable.findings.map((f) => f.rule).sort(), ['policy-applies-to-public', 'policy-column-not-indexed', 'policy-per-row-function']);
  const onView = lintFiles([{ file: 'm/1.sql', text: `${table}CREATE VIEW docs WITH (security_invoker = true) AS SELECT * FROM documents;\n${policy}` }], ID);
  assert.deepEqual(onView.findings.map((f) => f.rule), [ID]);
});

test('err: ENABLE, DISABLE, FORCE and NO FORCE ROW LEVEL SECURITY on a view, by ALTER TABLE or ALTER VIEW: each reported, each 42809', async () => {
  const base = 'CREATE TABLE documents (id bigint PRIMARY KEY);\nCREATE VIEW document_ids AS SELECT id FROM documents;\n';
  const actions = ['ALTER TABLE document_ids ENABLE ROW LEVEL SECURITY;', 'ALTER TABLE document_ids DISABLE ROW LEVEL SECURITY;', 'ALTER VIEW document_ids FORCE ROW LEVEL SECURITY;', 'ALTER TABLE document_ids NO FORCE ROW LEVEL SECURITY;'];
  const sql = base + actions.join('\n') + '\n';
  assert.deepEqual(
    lintFiles([{ file: 'm/1.sql', text: sql }], ID).mine.map((f) => /ALTER action ([A-Z ]+) cannot/.exec(f.message)?.[1]),
    ['ENABLE ROW SECURITY', 'DISABLE ROW SECURITY', 'FORCE ROW SECURITY', 'NO FORCE ROW SECURITY'],
  );
  const db = await getDb();
  await inRollback(db, async (q) => {
    assert.deepEqual(await runEach(q, sql), ['42809', '42809', '42809', '42809']);
  });
});
