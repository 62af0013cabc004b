// A pg_dump split by section: `pg_dump --section=pre-data -f predata.sql` (schemas, tables,
// functions), the data, then `--section=post-data -f postdata.sql` (constraints, indexes,
// policies, ENABLE ROW LEVEL SECURITY). Restored in that order; path order puts postdata.sql
// first. Calibration: ohrrkan/brainlan-db-chemistry keeps predata.sql, data/ and postdata.sql of
// its chemistry schema (a GitHub workflow dumps them nightly): the policy of postdata.sql was said
// to be "created on chemistry.periodic, which the migrations create only later" (42P01).
// PGlite: predata then postdata runs; postdata first fails (3F000 schema "chemistry" does not exist).
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { migrationOrder } from '../../server/src/analysis/model.js';
import { closeAll, getDb, inRollback, tryQuery } from '../helpers/pg.js';
import { initParser, lintFiles } from '../helpers/rule-proof.js';

before(initParser);
after(closeAll);

const PRE = `--
-- PostgreSQL database dump
--

SET check_function_bodies = false;
SET row_security = off;

CREATE SCHEMA chemistry;

CREATE TABLE chemistry.periodic (
    id bigint NOT NULL,
    element text
);

GRANT USAGE ON SCHEMA chemistry TO anon;
GRANT SELECT ON TABLE chemistry.periodic TO anon;
`;
const POST = `--
-- PostgreSQL database dump
--

SET check_function_bodies = false;
SET row_security = off;

ALTER TABLE ONLY chemistry.periodic
    ADD CONSTRAINT periodic_pkey PRIMARY KEY (id);

CREATE POLICY "read all" ON chemistry.periodic FOR SELECT TO anon USING (true);

ALTER TABLE chemistry.periodic ENABLE ROW LEVEL SECURITY;
`;

test('ok: a post-data file runs after its pre-data file of the same folder; other files keep their places', () => {
  const order = (files: string[]) => migrationOrder(files.map((file) => ({ file }))).map((f) => f.file);
  assert.deepEqual(order(['db/postdata.sql', 'db/predata.sql']), ['db/predata.sql', 'db/postdata.sql']);
  assert.deepEqual(order(['a.sql', 'dump/schema_post-data.sql', 'dump/schema_pre-data.sql', 'z.sql']), ['a.sql', 'dump/schema_pre-data.sql', 'dump/schema_post-data.sql', 'z.sql']);
  assert.deepEqual(order(['x/POST_DATA.SQL', 'x/pre_data.sql']), ['x/pre_data.sql', 'x/POST_DATA.SQL']);
  // (no pair: in other folders, or a lone post-data file, the path order stays)
  assert.deepEqual(order(['a/postdata.sql', 'b/predata.sql']), ['a/postdata.sql', 'b/predata.sql']);
  assert.deepEqual(order(['m/postdata.sql', 'm/zz.sql']), ['m/postdata.sql', 'm/zz.sql']);
});

test('ok: no finding says the policy of postdata.sql is created before its table (brainlan-db-chemistry)', () => {
  const { findings } = lintFiles(
    [
      { file: 'postdata.sql', text: POST },
      { file: 'predata.sql', text: PRE },
    ],
    'policy-unknown-column',
  );
  assert.deepEqual(
    findings.filter((f) => /only later|does not exist|42P01/.test(f.message)).map((f) => `${f.rule}: ${f.message.slice(0, 120)}`),
    [],
  );
});

test('PGlite: pre-data then post-data runs; post-data first fails (3F000: its schema is made by pre-data)', async () => {
  const db = await getDb();
  await inRollback(db, async (q) => {
    await q(PRE);
    await q(POST);
    assert.equal((await q(`SELECT count(*)::int AS n FROM pg_policies WHERE tablename = 'periodic'`))[0]!.n, 1);
  });
  await inRollback(db, async (q) => {
    const r = await tryQuery(q, POST);
    assert.equal(r.ok ? 'ran' : r.error.code, '3F000');
    // (the CREATE POLICY alone: 3F000 while the schema is missing, 42P01 once it exists)
    const p = `CREATE POLICY "read all" ON chemistry.periodic FOR SELECT TO anon USING (true)`;
    const a = await tryQuery(q, p);
    assert.equal(a.ok ? 'ran' : `${a.error.code} ${a.error.message}`, '3F000 schema "chemistry" does not exist');
    await q('CREATE SCHEMA chemistry');
    const b = await tryQuery(q, p);
    assert.equal(b.ok ? 'ran' : `${b.error.code} ${b.error.message}`, '42P01 relation "chemistry.periodic" does not exist');
  });
});

test('policy-unknown-column: a policy on a table whose schema too is made only later is rejected with 3F000, as PostgreSQL says (not 42P01)', () => {
  const { mine } = lintFiles(
    [
      { file: 'a_post.sql', text: POST },
      { file: 'b_pre.sql', text: PRE },
    ],
    'policy-unknown-column',
  );
  assert.equal(mine.length, 1);
  assert.match(mine[0]!.message, /rejects this CREATE POLICY with 3F000 schema "chemistry" does not exist/);
  // (the schema made before, the table after: 42P01, as before)
  const later = lintFiles(
    [
      { file: 'a.sql', text: 'CREATE SCHEMA chemistry;\n' },
      { file: 'b_post.sql', text: POST },
      { file: 'c_pre.sql', text: PRE.replace('CREATE SCHEMA chemistry;', '') },
    ],
    'policy-unknown-column',
  ).mine;
  assert.equal(later.length, 1);
  assert.match(later[0]!.message, /with 42P01 relation "chemistry.periodic" does not exist/);
});
