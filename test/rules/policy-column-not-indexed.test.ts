// policy-column-not-indexed on PostgreSQL (PGlite): with 2,000 rows (1% visible) and
// statistics, a policy column without an index is read by a Seq Scan that filters every row;
// with the index the fix adds, the planner uses it (Index/Bitmap scan with the policy as Index
// Cond). `IN (SELECT …)` is not reported: it stays a hashed sub-plan filter even with an index.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { asOwner, closeAll, count, getDb, inRollback, type Q } from '../helpers/pg.js';
import { applyFix, findingsOf, initParser, invalidFinding, lintDocExample, lintFiles, sqlOf, TENANT_A, textAt } from '../helpers/rule-proof.js';
import { actAs, AUTH_STUB_SQL } from '../helpers/supabase.js';

const ID = 'policy-column-not-indexed';
before(initParser);
after(closeAll);

async function plan(q: Q, sql: string): Promise<string> {
  return (await q(`EXPLAIN (COSTS OFF) ${sql}`)).map((r) => r['QUERY PLAN']).join('\n');
}

/** 2,000 rows of which A's are 1%; statistics gathered; acting as A. */
async function load(q: Q, sql: string, table: 'documents' | 'invoices'): Promise<void> {
  await q(AUTH_STUB_SQL);
  await asOwner(q, sql);
  const col = table === 'documents' ? 'owner_id' : 'tenant_id';
  const extra = sql.includes('created_at timestamptz') ? ', created_at' : '';
  await q(`INSERT INTO ${table} (id, ${col}${extra}) SELECT g, CASE WHEN g % 100 = 0 THEN '${TENANT_A}'::uuid ELSE gen_random_uuid() END${extra ? ", now() - g * interval '1 minute'" : ''} FROM generate_series(1, 2000) g`);
  if (sql.includes('CREATE TABLE members')) {
    await q(`INSERT INTO members SELECT gen_random_uuid(), gen_random_uuid() FROM generate_series(1, 300); INSERT INTO members VALUES ('${TENANT_A}', '${TENANT_A}'); ANALYZE members; GRANT SELECT ON members TO authenticated`);
  }
  await q(`ANALYZE ${table}; GRANT SELECT ON ${table} TO authenticated`);
  await q(actAs(TENANT_A));
  await q('SET ROLE authenticated');
}

test('err: owner_id without an index: Seq Scan filtering every row; with the index the fix adds: an index scan on it', async () => {
  const { ws, finding } = invalidFinding(ID, 0);
  assert.equal(textAt(ws, finding), 'owner_id');
  assert.match(finding.message, /Column owner_id of public\.documents is compared in policy "documents_own".*no index, primary key or unique constraint on public\.documents starts with it/);
  assert.equal(finding.fixes[0]!.kind, 'unsafe');
  const fixed = applyFix(ws, finding);
  assert.match(sqlOf(fixed), /USING \(owner_id = \(select auth\.uid\(\)\)\);\nCREATE INDEX ON documents \(owner_id\);/);
  assert.equal(findingsOf(fixed, ID).length, 0);
  const db = await getDb();
  await inRollback(db, async (q) => {
    await load(q, sqlOf(ws), 'documents');
    const p = await plan(q, 'SELECT * FROM documents');
    assert.match(p, /^Seq Scan on documents\n\s+Filter: \(owner_id = \(InitPlan 1\)\.col1\)/, p);
    assert.equal(await count(q, 'documents'), 20);
  });
  await inRollback(db, async (q) => {
    await load(q, sqlOf(fixed), 'documents');
    const p = await plan(q, 'SELECT * FROM documents');
    assert.match(p, /(Index|Bitmap Index) Scan (using|on) documents_owner_id_idx/, p);
    assert.match(p, /Index Cond: \(owner_id = \(InitPlan 1\)\.col1\)/, p);
    assert.equal(await count(q, 'documents'), 20);
  });
});

test('err: = ANY (ARRAY(sub-select)) with an index that does not start with tenant_id: Seq Scan; fixed: Bitmap Index Scan', async () => {
  const { ws, finding } = invalidFinding(ID, 1);
  assert.match(finding.message, /Column tenant_id of public\.invoices is compared in policy "invoices_member"/);
  const fixed = applyFix(ws, finding);
  assert.equal(findingsOf(fixed, ID).length, 0);
  const db = await getDb();
  await inRollback(db, async (q) => {
    await load(q, sqlOf(ws), 'invoices');
    assert.match(await plan(q, 'SELECT * FROM invoices'), /^Seq Scan on invoices\n\s+Filter: \(tenant_id = ANY/);
    assert.equal(await count(q, 'invoices'), 20);
  });
  await inRollback(db, async (q) => {
    await load(q, sqlOf(fixed), 'invoices');
    const p = await plan(q, 'SELECT * FROM invoices');
    assert.match(p, /Index Cond: \(tenant_id = ANY \(\(InitPlan \d\)\.col1\)\)/, p);
    assert.equal(await count(q, 'invoices'), 20);
  });
});

test('ok: IN (SELECT …) is not reported: even with an index on tenant_id the plan is a Seq Scan with a hashed sub-plan filter', async () => {
  const valid = lintDocExample(ID, 'valid', 2);
  assert.equal(valid.mine.length, 0);
  const db = await getDb();
  await inRollback(db, async (q) => {
    await load(q, `${sqlOf(valid.ws)}\nCREATE INDEX ON invoices (tenant_id);`, 'invoices');
    const p = await plan(q, 'SELECT * FROM invoices');
    assert.match(p, /^Seq Scan on invoices\n\s+Filter: \(ANY \(tenant_id = \(hashed SubPlan \d\)\.col1\)\)/, p);
    assert.equal(await count(q, 'invoices'), 20);
  });
});

test('ok: keys, leading index columns, partitioned parents and constant comparisons are not reported; a second index column is', () => {
  const base = (extra: string, using: string) =>
    `CREATE TABLE d (id bigint PRIMARY KEY, owner_id uuid NOT NULL, status text, org_id uuid);\n${extra}\nALTER TABLE d ENABLE ROW LEVEL SECURITY;\nALTER TABLE d FORCE ROW LEVEL SECURITY;\nCREATE POLICY p ON d FOR SELECT TO authenticated USING (${using});`;
  const clean = [
    base('CREATE INDEX ON d (owner_id, status);', 'owner_id = (select auth.uid())'),
    base('ALTER TABLE d ADD CONSTRAINT d_owner UNIQUE (owner_id);', 'owner_id = auth.uid()'),
    base('', "status = 'published'"),
    base('', 'id = (select 1)'),
    base('', "org_id IN (SELECT org_id FROM d)"),
  ];
  for (const sql of clean) assert.equal(lintFiles([{ file: 'm.sql', text: sql }], ID).mine.length, 0, sql);
  const second = lintFiles([{ file: 'm.sql', text: base('CREATE INDEX ON d (status, owner_id);', '(select auth.uid()) = owner_id') }], ID);
  assert.equal(second.mine.length, 1);
  const partition = `CREATE TABLE d (id bigint, owner_id uuid NOT NULL) PARTITION BY HASH (id);
CREATE INDEX ON d (owner_id);
CREATE TABLE d0 PARTITION OF d FOR VALUES WITH (MODULUS 1, REMAINDER 0);
ALTER TABLE d0 ENABLE ROW LEVEL SECURITY;
ALTER TABLE d0 FORCE ROW LEVEL SECURITY;
CREATE POLICY p ON d0 FOR SELECT TO authenticated USING (owner_id = (select auth.uid()));`;
  assert.equal(lintFiles([{ file: 'm.sql', text: partition }], ID).mine.length, 0);
  // one finding per column, however many policies compare it
  const two = `CREATE TABLE d (id bigint PRIMARY KEY, owner_id uuid NOT NULL);
ALTER TABLE d ENABLE ROW LEVEL SECURITY;
ALTER TABLE d FORCE ROW LEVEL SECURITY;
CREATE POLICY p1 ON d FOR SELECT TO authenticated USING (owner_id = (select auth.uid()));
CREATE POLICY p2 ON d FOR DELETE TO authenticated USING (owner_id = (select auth.uid()));`;
  assert.equal(lintFiles([{ file: 'm.sql', text: two }], ID).mine.length, 1);
});

// Calibration (onlook, nuxtsupabucket, fastnd): the compared column is ORed with a condition no
// index serves, in the policy or through another permissive policy; an index would not be used.
for (const [n, what] of [
  [3, 'OR in the policy'],
  [4, 'another permissive policy ORed with it'],
] as const) {
  test(`ok: ${what}: even with an index on owner_id the plan is a Seq Scan, so not reported`, async () => {
    const { ws, mine } = lintDocExample(ID, 'valid', n);
    assert.equal(mine.length, 0);
    const db = await getDb();
    await inRollback(db, async (q) => {
      await load(q, `${sqlOf(ws)};\nCREATE INDEX ON documents (owner_id);`, 'documents');
      const p = await plan(q, 'SELECT * FROM documents');
      assert.match(p, /^Seq Scan on documents\n\s+Filter: /, p);
      assert.equal(await count(q, 'documents'), 20);
    });
    // without the other condition the same index is used (what the rule would ask for)
    await inRollback(db, async (q) => {
      const own = sqlOf(ws).replace(/ OR is_public/, '').replace(/CREATE POLICY documents_admin[\s\S]*?;/, '');
      await load(q, `${own};\nCREATE INDEX ON documents (owner_id);`, 'documents');
      assert.match(await plan(q, 'SELECT * FROM documents'), /(Index|Bitmap Index) Scan (using|on) documents_owner_id_idx/);
    });
  });
}

test('ok (fix): after ALTER TABLE … RENAME, the CREATE INDEX the fix adds after the policy names the table by its new name, and runs', async () => {
  const sql = [
    'CREATE TABLE docs (id bigint PRIMARY KEY, owner_id uuid NOT NULL);',
    'ALTER TABLE docs RENAME TO documents;',
    'ALTER TABLE documents ENABLE ROW LEVEL SECURITY;',
    'CREATE POLICY documents_own ON documents FOR SELECT TO authenticated USING (owner_id = (select auth.uid()));',
    '',
  ].join('\n');
  const { ws, mine } = lintFiles([{ file: '1.sql', text: sql }], ID);
  assert.equal(mine.length, 1);
  const fixed = applyFix(ws, mine[0]!);
  assert.match(sqlOf(fixed), /\(select auth\.uid\(\)\)\);\nCREATE INDEX ON documents \(owner_id\);/);
  assert.equal(findingsOf(fixed, ID).length, 0);
  const db = await getDb();
  await inRollback(db, async (q) => {
    await q(AUTH_STUB_SQL);
    await q(sqlOf(fixed));
    assert.equal((await q(`SELECT count(*)::int AS n FROM pg_indexes WHERE tablename = 'documents' AND indexdef LIKE '%(owner_id)%'`))[0]!.n, 1);
  });
});

test('ok: a boolean column (two values) compared in a policy is not advised an index', () => {
  const sql = `CREATE TABLE api_keys (id bigint PRIMARY KEY, livemode boolean NOT NULL, org_id uuid NOT NULL);
ALTER TABLE api_keys ENABLE ROW LEVEL SECURITY;
CREATE POLICY mode ON api_keys AS RESTRICTIVE FOR ALL TO authenticated USING (livemode = (select current_setting('app.livemode', true)::boolean));
CREATE POLICY own ON api_keys FOR ALL TO authenticated USING (org_id = (select nullif(current_setting('app.org', true), '')::uuid));`;
  const { ws, mine } = lintFiles([{ file: 'db/1.sql', text: sql }], ID);
  assert.deepEqual(mine.map((f) => textAt(ws, f)), ['org_id']);
});

// Calibration (qs-pro, ceqy/init's iam-identity: `tenant_id::text = current_setting(…)` on tables
// with an index on tenant_id): the cast keeps the index from serving the policy; the rule skipped
// cast columns.
test('err: a uuid column compared through a text cast: the index on it cannot serve the policy (PGlite: a Seq Scan with sequential scans disabled); compared as uuid, an index scan; varchar::text is not reported', async () => {
  const schema = (using: string, column = 'tenant_id uuid NOT NULL') => `CREATE TABLE notes (id bigint PRIMARY KEY, ${column}, body text);
CREATE INDEX notes_tenant_idx ON notes (tenant_id);
ALTER TABLE notes ENABLE ROW LEVEL SECURITY;
ALTER TABLE notes FORCE ROW LEVEL SECURITY;
GRANT SELECT ON notes TO authenticated;
CREATE POLICY notes_tenant ON notes FOR SELECT TO authenticated USING (${using});
`;
  const cast = schema("tenant_id::text = (select current_setting('app.tenant_id', true))");
  const { ws, mine } = lintFiles([{ file: 'db/1.sql', text: cast }], ID);
  assert.equal(mine.length, 1);
  assert.equal(textAt(ws, mine[0]!), 'tenant_id::text');
  assert.match(mine[0]!.message, /^Column tenant_id of public\.notes \(uuid\) is compared in policy "notes_tenant" as tenant_id::text: the index of public\.notes on tenant_id cannot serve that comparison/);
  const plain = schema("tenant_id = nullif((select current_setting('app.tenant_id', true)), '')::uuid");
  assert.deepEqual(lintFiles([{ file: 'db/1.sql', text: plain }], ID).mine, []);
  assert.deepEqual(lintFiles([{ file: 'db/1.sql', text: schema("tenant_id::text = (select current_setting('app.tenant_id', true))", 'tenant_id varchar(40) NOT NULL') }], ID).mine, []);
  const plan = async (sql: string) =>
    inRollback(await getDb(), async (q) => {
      await q(sql);
      await q(`INSERT INTO notes SELECT g, ('00000000-0000-0000-0000-' || lpad(to_hex(g % 50), 12, '0'))::uuid, 'x' FROM generate_series(1, 2000) g; ANALYZE notes`);
      await q(`SELECT set_config('app.tenant_id', '00000000-0000-0000-0000-000000000007', true)`);
      await q('SET LOCAL enable_seqscan = off');
      await q('SET ROLE authenticated');
      return (await q('EXPLAIN (COSTS OFF) SELECT * FROM notes')).map((r) => r['QUERY PLAN']).join('\n');
    });
  assert.match(await plan(cast), /Seq Scan on notes/);
  assert.match(await plan(plain), /Index (Only )?Scan|Bitmap Index Scan/);
});

// Calibration (Rails RLS gems: `tenant_id = NULLIF(current_setting('rls.tenant_id', TRUE), '')::uuid`
// on a table with no index on tenant_id): NULLIF(…) and COALESCE(…) of a setting were taken for
// row values, so the form policy-current-setting-unsafe advises was never checked for an index.
test('err: a column compared to NULLIF(setting) or COALESCE(setting) with no index: Seq Scan (PGlite); with the index the fix adds, an index scan', async () => {
  const schema = (using: string) => `CREATE TABLE notes (id bigint PRIMARY KEY, tenant_id uuid NOT NULL, body text);
ALTER TABLE notes ENABLE ROW LEVEL SECURITY;
ALTER TABLE notes FORCE ROW LEVEL SECURITY;
GRANT SELECT ON notes TO authenticated;
CREATE POLICY notes_tenant ON notes FOR SELECT TO authenticated USING (${using});
`;
  const nullif = schema("tenant_id = NULLIF(current_setting('app.tenant_id', TRUE), '')::uuid");
  const coalesce = schema("tenant_id = coalesce(nullif(current_setting('app.tenant_id', true), ''), '00000000-0000-0000-0000-000000000000')::uuid");
  for (const sql of [nullif, coalesce]) {
    const { ws, mine } = lintFiles([{ file: 'db/1.sql', text: sql }], ID);
    assert.equal(mine.length, 1, sql);
    assert.equal(textAt(ws, mine[0]!), 'tenant_id');
    assert.match(mine[0]!.message, /^Column tenant_id of public\.notes is compared in policy "notes_tenant" to a value that is the same for every row, but no index/);
  }
  // a part that depends on the row keeps the value a row value: not reported
  assert.deepEqual(lintFiles([{ file: 'db/1.sql', text: schema("tenant_id = NULLIF(current_setting('app.tenant_id', TRUE), body)::uuid") }], ID).mine, []);
  const { ws, mine } = lintFiles([{ file: 'db/1.sql', text: nullif }], ID);
  const fixed = applyFix(ws, mine[0]!);
  assert.match(sqlOf(fixed), /\n\s*CREATE INDEX ON notes \(tenant_id\);/);
  assert.equal(findingsOf(fixed, ID).length, 0);
  const plan = async (sql: string) =>
    inRollback(await getDb(), async (q) => {
      await q(sql);
      await q(`INSERT INTO notes SELECT g, ('00000000-0000-0000-0000-' || lpad(to_hex(g % 100), 12, '0'))::uuid, 'x' FROM generate_series(1, 2000) g; ANALYZE notes`);
      await q(`SELECT set_config('app.tenant_id', '00000000-0000-0000-0000-000000000007', true)`);
      await q('SET ROLE authenticated');
      const p = (await q('EXPLAIN (COSTS OFF) SELECT * FROM notes')).map((r) => r['QUERY PLAN']).join('\n');
      return { p, n: await count(q, 'notes') };
    });
  const before = await plan(nullif);
  assert.match(before.p, /^Seq Scan on notes\n\s+Filter: \(tenant_id = \(NULLIF\(current_setting/, before.p);
  assert.equal(before.n, 20);
  const after = await plan(sqlOf(fixed));
  assert.match(after.p, /(Index|Bitmap Index) Scan (using|on) notes_tenant_id_idx/, after.p);
  assert.match(after.p, /Index Cond: \(tenant_id = \(NULLIF\(current_setting/, after.p);
  assert.equal(after.n, 20);
});

// Calibration (a Django app: BigAutoField is `bigserial`, its policy `tenant_id::text = current_user`
// on the table keyed by tenant_id): a serial column was not known as an integer, so its text cast
// was not reported.
test('err: a bigserial key compared through a text cast: its primary key cannot serve the policy (PGlite: a Seq Scan with sequential scans disabled); compared as bigint, an index scan', async () => {
  const schema = (using: string) => `CREATE ROLE "7";
CREATE TABLE tenants (tenant_id bigserial NOT NULL PRIMARY KEY, name text);
ALTER TABLE tenants ENABLE ROW LEVEL SECURITY;
GRANT SELECT ON tenants TO "7";
CREATE POLICY tenants_own ON tenants USING (${using});
`;
  const cast = schema('tenant_id::text = current_user');
  const { ws, mine } = lintFiles([{ file: 'db/1.sql', text: cast }], ID);
  assert.equal(mine.length, 1);
  assert.equal(textAt(ws, mine[0]!), 'tenant_id::text');
  assert.match(mine[0]!.message, /^Column tenant_id of public\.tenants \(bigint\) is compared in policy "tenants_own" as tenant_id::text: the index of public\.tenants on tenant_id cannot serve that comparison/);
  const plain = schema('tenant_id = current_user::text::bigint');
  assert.deepEqual(lintFiles([{ file: 'db/1.sql', text: plain }], ID).mine, []);
  const plan = async (sql: string) =>
    inRollback(await getDb(), async (q) => {
      await q(sql);
      await q(`INSERT INTO tenants (name) SELECT 'x' FROM generate_series(1, 2000); ANALYZE tenants`);
      await q('SET LOCAL enable_seqscan = off');
      await q('SET ROLE "7"');
      const p = (await q('EXPLAIN (COSTS OFF) SELECT * FROM tenants')).map((r) => r['QUERY PLAN']).join('\n');
      return { p, n: await count(q, 'tenants') };
    });
  const before = await plan(cast);
  assert.match(before.p, /Seq Scan on tenants/, before.p);
  assert.equal(before.n, 1);
  const after = await plan(plain);
  assert.match(after.p, /Index (Only )?Scan|Bitmap Index Scan/, after.p);
  assert.equal(after.n, 1);
});
