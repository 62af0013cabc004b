// policy-invalid-clause on PostgreSQL (PGlite): CREATE POLICY … FOR INSERT USING, and FOR SELECT
// … WITH CHECK, fail with 42601 and create no policy (T14b), so user A's insert (or read) is
// refused; the fixes (WITH CHECK instead of USING; the clause removed) re-lint clean and run, and
// the policy then does what it meant to. No other rule reports on the policy that never exists.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { closeAll, count, getDb, inRollback, runEachStatement, tryQuery, type Q } from '../helpers/pg.js';
import { applyFix, findingsOf, initParser, invalidFinding, lintDocExample, lintFiles, sqlOf, TENANT_A, TENANT_B, textAt } from '../helpers/rule-proof.js';
import { actAs, AUTH_STUB_SQL } from '../helpers/supabase.js';

const ID = 'policy-invalid-clause';
before(initParser);
after(closeAll);

/** The statements that fail (psql without ON_ERROR_STOP goes on), as `code message`. */
const runEach = async (q: Q, sql: string) => (await runEachStatement(q, sql)).map((e) => `${e.code} ${e.message}`);

/** As user A: how many of its notes it may insert (1 or 42501) and read. */
async function asUserA(q: Q): Promise<{ insert: string; read: number }> {
  await q(`INSERT INTO notes VALUES (1, '${TENANT_A}', 'a'), (2, '${TENANT_B}', 'b')`);
  await q('GRANT SELECT, INSERT ON notes TO authenticated');
  await q(actAs(TENANT_A));
  await q('SET ROLE authenticated');
  await q('SAVEPOINT i');
  const r = await tryQuery(q, `INSERT INTO notes VALUES (3, '${TENANT_A}', 'mine')`);
  if (!r.ok) await q('ROLLBACK TO SAVEPOINT i');
  const insert = r.ok ? 'ok' : r.error.code;
  return { insert, read: await count(q, 'notes') };
}

test('err: FOR INSERT … USING: 42601 only WITH CHECK expression allowed for INSERT; no policy, so user A cannot insert its own note', async () => {
  const { ws, finding } = invalidFinding(ID, 0);
  assert.equal(textAt(ws, finding), 'USING');
  assert.match(finding.message, /^PostgreSQL rejects this CREATE POLICY with 42601 only WITH CHECK expression allowed for INSERT/);
  const db = await getDb();
  await inRollback(db, async (q) => {
    await q(AUTH_STUB_SQL);
    assert.deepEqual(await runEach(q, sqlOf(ws)), ['42601 only WITH CHECK expression allowed for INSERT']);
    assert.deepEqual(await asUserA(q), { insert: '42501', read: 0 });
  });
  // policy-insert-without-check does not report a policy that does not exist
  assert.deepEqual(lintDocExample(ID, 'invalid', 0).findings.map((f) => f.rule), [ID]);
});

test('err: FOR SELECT … WITH CHECK: 42601 WITH CHECK cannot be applied to SELECT or DELETE; user A reads nothing', async () => {
  const { ws, finding } = invalidFinding(ID, 1);
  assert.equal(textAt(ws, finding), 'WITH CHECK');
  const db = await getDb();
  await inRollback(db, async (q) => {
    await q(AUTH_STUB_SQL);
    assert.deepEqual(await runEach(q, sqlOf(ws)), ['42601 WITH CHECK cannot be applied to SELECT or DELETE']);
    assert.equal((await asUserA(q)).read, 0);
  });
});

test('err→ok: the fixes re-lint clean and run; user A then inserts its note, or reads its own row', async () => {
  const db = await getDb();
  const insert = invalidFinding(ID, 0);
  assert.deepEqual(insert.finding.fixes?.map((f) => f.title), ['Write WITH CHECK instead of USING (the condition new rows must meet)']);
  const fixedInsert = applyFix(insert.ws, insert.finding);
  assert.match(sqlOf(fixedInsert), /FOR INSERT TO authenticated\n {2}WITH CHECK \(owner_id = \(select auth\.uid\(\)\)\);/);
  assert.deepEqual(findingsOf(fixedInsert, ID), []);
  await inRollback(db, async (q) => {
    await q(AUTH_STUB_SQL);
    assert.deepEqual(await runEach(q, sqlOf(fixedInsert)), []);
    assert.equal((await asUserA(q)).insert, 'ok');
  });
  const read = invalidFinding(ID, 1);
  const fixedRead = applyFix(read.ws, read.finding);
  assert.match(sqlOf(fixedRead), /USING \(owner_id = \(select auth\.uid\(\)\)\);/);
  assert.deepEqual(findingsOf(fixedRead, ID), []);
  await inRollback(db, async (q) => {
    await q(AUTH_STUB_SQL);
    assert.deepEqual(await runEach(q, sqlOf(fixedRead)), []);
    assert.equal((await asUserA(q)).read, 1);
  });
});

test('ok: the Valid example runs; an ALTER POLICY adding WITH CHECK to a SELECT policy is reported, and fails', async () => {
  const { ws, mine } = lintDocExample(ID, 'valid', 0);
  assert.equal(mine.length, 0);
  const alter = `${sqlOf(ws)}\nALTER POLICY notes_read ON notes WITH CHECK (true);\n`;
  const found = lintFiles([{ file: 'm/1.sql', text: alter }], ID).mine;
  assert.equal(found.length, 1);
  assert.match(found[0]!.message, /^PostgreSQL rejects this ALTER POLICY with 42601 only USING expression allowed for SELECT, DELETE/);
  const db = await getDb();
  await inRollback(db, async (q) => {
    await q(AUTH_STUB_SQL);
    assert.deepEqual(await runEach(q, alter), ['42601 only USING expression allowed for SELECT, DELETE']);
  });
});

// Calibration (organizacao10x's srv01_services): in a DO block, the statements after one that
// fails never run; the tool reported three findings on the write policy after the rejected one.
test('ok: a policy after a rejected one in the same DO block is never created: no other rule reports it (PGlite: the block fails with 42601, no policy exists)', async () => {
  const sql = `create table public.services (id uuid primary key, org_id text not null);
alter table public.services enable row level security;
do $$ begin
  create policy services_select on public.services for select
    using (org_id = auth.jwt() ->> 'org_id') with check (true);
  create policy services_write on public.services for all
    using (org_id = auth.jwt() ->> 'org_id' and (auth.jwt() ->> 'role') in ('admin','manager'));
end $$;
`;
  const { findings } = lintFiles([{ file: 'supabase/migrations/20250101000000_services.sql', text: sql }], ID);
  assert.deepEqual(findings.map((f) => f.rule), [ID]);
  // (the write policy alone in its block is reported on)
  const alone = lintFiles([{ file: 'supabase/migrations/20250101000000_services.sql', text: sql.replace(' with check (true)', '') }], ID).findings;
  assert.ok(alone.some((f) => f.rule === 'policy-applies-to-public' && /services_write/.test(f.message)));
  await inRollback(await getDb(), async (q) => {
    await q(AUTH_STUB_SQL);
    const errors = await runEachStatement(q, sql);
    assert.deepEqual(errors.map((e) => e.code), ['42601']);
    assert.equal((await q(`SELECT count(*)::int AS n FROM pg_policy WHERE polrelid = 'public.services'::regclass`))[0]!.n, 0);
  });
});
