// relationsIn collects the CTE names in the walk that finds the relations and drops those named
// like one at the end (it used to walk the tree once for the names first): a CTE named after its
// use, or in a sub-select, still hides the unqualified relations of its name, never a qualified one.
// typeName reads the names in one pass.
import assert from 'node:assert/strict';
import { before, test } from 'node:test';
import { relationsIn, typeName } from '../../server/src/analysis/ast.js';
import { initParser, parseFile } from '../../server/src/analysis/parse.js';

before(async () => {
  await initParser();
});

const first = (sql: string) => parseFile('t.sql', sql).statements[0]!;
const rels = (sql: string) => relationsIn(first(sql).node).map((r) => `${r.schema ?? ''}.${r.name}${r.inSubLink ? ' (sub)' : ''}`);

test('relationsIn: CTE names hide unqualified relations wherever the CTE is', () => {
  // (in the tree's key order: a SELECT's FROM before its WITH)
  assert.deepEqual(rels('WITH x AS (SELECT 1 FROM a) SELECT * FROM x, b, s.x'), ['.b', 's.x', '.a']);
  // the CTE is in a sub-select met after the relation of its name
  assert.deepEqual(rels('SELECT * FROM x WHERE EXISTS (WITH x AS (SELECT 1 FROM c) SELECT 1 FROM x, d)'), ['.d (sub)', '.c (sub)']);
  assert.deepEqual(rels('SELECT * FROM a WHERE b.id IN (SELECT id FROM c) AND EXISTS (SELECT 1 FROM d)'), ['.a', '.c (sub)', '.d (sub)']);
  assert.deepEqual(rels('INSERT INTO t (a) SELECT a FROM u'), ['.t', '.u']);
  assert.deepEqual(rels('SELECT 1'), []);
  assert.deepEqual(rels('WITH RECURSIVE r AS (SELECT 1 FROM r UNION SELECT 2 FROM z) DELETE FROM r USING (SELECT * FROM r) q WHERE x IN (WITH r AS (SELECT 1) SELECT * FROM r)'), ['.z']);
});

test('typeName: aliases, pg_catalog left out, schemas and arrays kept', () => {
  const argType = (sig: string) => typeName(first(`CREATE FUNCTION f(${sig}) RETURNS int LANGUAGE sql AS 'select 1'`).node.parameters[0].FunctionParameter.argType);
  assert.equal(argType('a int'), 'integer');
  assert.equal(argType('a pg_catalog.int8'), 'bigint');
  assert.equal(argType('a timestamptz[][]'), 'timestamp with time zone[][]');
  assert.equal(argType('a app.money_t'), 'app.money_t');
  assert.equal(argType('a varchar(10)'), 'character varying');
  assert.equal(argType('a "constructor"'), 'constructor');
  assert.equal(typeName(undefined), '');
});
