// partition-without-rls on PostgreSQL (PGlite): a query on the partition itself skips the
// parent's policies (T29); after the fix (ENABLE + FORCE on the child) a direct query sees no
// rows and queries through the parent are unchanged.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { asOwner, closeAll, count, expectPgError, getDb, inRollback, type Q } from '../helpers/pg.js';
import { applyFix, findingsOf, initParser, invalidFinding, lintDocExample, sqlOf, TENANT_A, TENANT_B, textAt } from '../helpers/rule-proof.js';
import { actAs, AUTH_STUB_SQL } from '../helpers/supabase.js';

const ID = 'partition-without-rls';
before(initParser);
after(closeAll);

async function events(q: Q, sql: string): Promise<void> {
  await q(AUTH_STUB_SQL);
  await asOwner(q, sql);
  // two tenants' events in the 2024 partition (inserted by the superuser)
  await q(`INSERT INTO events VALUES (1, '${TENANT_A}', '2024-03-01'), (2, '${TENANT_B}', '2024-04-01')`);
  await q(actAs(TENANT_A));
  await q('SET ROLE authenticated');
}

test('err: partition: through the parent 1 row, on the partition itself both tenants’ rows (T29); fixed: 0 direct, 1 through the parent', async () => {
  const { ws, finding } = invalidFinding(ID, 0);
  assert.equal(textAt(ws, finding), 'events_2024');
  assert.match(finding.message, /partition of public\.events.*\(T29\)/);
  const db = await getDb();
  await inRollback(db, async (q) => {
    await events(q, sqlOf(ws));
    assert.equal(await count(q, 'events'), 1, 'the parent applies its policy');
    assert.equal(await count(q, 'events_2024'), 2, 'the partition applies none: tenant B’s row leaks');
  });
  const fixed = applyFix(ws, finding);
  assert.equal(findingsOf(fixed, ID).length, 0);
  assert.equal(findingsOf(fixed, 'rls-enabled-without-policy').length, 0, 'a child with RLS and no policy is the intended state');
  await inRollback(db, async (q) => {
    await events(q, sqlOf(fixed));
    assert.equal(await count(q, 'events'), 1, 'through the parent: unchanged (the child’s RLS is not applied on that path)');
    assert.equal(await count(q, 'events_2024'), 0, 'directly: no policy of its own, no rows');
  });
});

test('err: inheritance child: the parent’s policy filters it through the parent, not directly', async () => {
  const { ws, finding } = invalidFinding(ID, 1);
  assert.match(finding.message, /child \(INHERITS\) of public\.documents/);
  const db = await getDb();
  const data = async (q: Q) => {
    await q(`INSERT INTO archived_documents (id, owner_id) VALUES (1, '${TENANT_A}'), (2, '${TENANT_B}');
      GRANT SELECT ON documents, archived_documents TO authenticated`);
    await q(actAs(TENANT_A));
    await q('SET ROLE authenticated');
  };
  await inRollback(db, async (q) => {
    await q(AUTH_STUB_SQL);
    await asOwner(q, sqlOf(ws));
    await data(q);
    assert.equal(await count(q, 'documents'), 1);
    assert.equal(await count(q, 'archived_documents'), 2);
  });
  await inRollback(db, async (q) => {
    await q(AUTH_STUB_SQL);
    await asOwner(q, sqlOf(applyFix(ws, finding)));
    await data(q);
    assert.equal(await count(q, 'documents'), 1);
    assert.equal(await count(q, 'archived_documents'), 0);
  });
});

test('err: a partition attached in a later file is reported at the ATTACH', () => {
  const { ws, finding } = invalidFinding(ID, 2);
  assert.match(textAt(ws, finding), /^ALTER TABLE events ATTACH PARTITION events_2023/);
  assert.equal(finding.fixes[0]!.edits[0]!.file, '1_events_2023.sql', 'the fix goes after the child’s CREATE TABLE');
});

test('ok: only the parent granted (grants managed here): a direct query fails with 42501, no finding', async () => {
  const valid = lintDocExample(ID, 'valid', 1);
  assert.equal(valid.mine.length, 0);
  const db = await getDb();
  await inRollback(db, async (q) => {
    await events(q, sqlOf(valid.ws));
    assert.equal(await count(q, 'events'), 1);
    await expectPgError(q('SELECT count(*) FROM events_2024'), '42501', 'permission denied for table events_2024');
  });
});

test('ok: no double report: rls-not-enabled and rls-enabled-without-policy leave children of RLS tables to this rule', () => {
  for (const n of [0, 1, 2]) {
    const { findings } = invalidFinding(ID, n);
    assert.deepEqual(findings.filter((f) => f.rule === 'rls-not-enabled' || f.rule === 'rls-enabled-without-policy'), [], `Invalid example ${n + 1}`);
  }
});
