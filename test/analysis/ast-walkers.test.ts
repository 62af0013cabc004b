// relationsIn collects the CTE names in the walk that finds the relations and drops those named
// like one at the end (it used to walk the tree once for the names first): a CTE named after its
// use, or in a sub-select, still hides the unqualified relations of its name, never a qualified one.
// The same walk finds the DML statements' targets (dmlTargetsIn): those a walk of its own finds,
// in its order. typeName reads the names in one pass.
import assert from 'node:assert/strict';
import { before, test } from 'node:test';
import { clauseSpan, dmlTargetsIn, relationsIn, typeName } from '../../server/src/analysis/ast.js';
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

/** The walk dmlTargetsIn replaced (model.ts dmlTargets): every DML key's relation, in key order. */
function dmlTargetsWalk(node: unknown, out: unknown[] = []): unknown[] {
  if (Array.isArray(node)) {
    for (const x of node) if (x && typeof x === 'object') dmlTargetsWalk(x, out);
    return out;
  }
  for (const [k, v] of Object.entries(node as Record<string, any>)) {
    if (v && typeof v === 'object') {
      if ((k === 'InsertStmt' || k === 'UpdateStmt' || k === 'DeleteStmt' || k === 'MergeStmt') && v.relation) out.push(v.relation);
      dmlTargetsWalk(v, out);
    }
  }
  return out;
}

test('dmlTargetsIn: the nested DML statements, as a walk of its own finds them', () => {
  const cases: Array<[string, string[]]> = [
    ['WITH a AS (INSERT INTO t1 VALUES (1) RETURNING *), b AS (DELETE FROM s.t2 RETURNING *) SELECT * FROM a, b', ['t1', 't2']],
    ['INSERT INTO t (a) SELECT 1', []],
    ['UPDATE t SET a = 1 WHERE b IN (SELECT b FROM u)', []],
    ['WITH x AS (UPDATE t3 SET a = 1 RETURNING a) INSERT INTO t4 SELECT a FROM x', ['t3']],
    // a SubLink's testexpr before its subselect
    ['SELECT 1 WHERE (WITH x AS (INSERT INTO a VALUES (1) RETURNING 1) SELECT 1) IN (WITH y AS (DELETE FROM b RETURNING 1) SELECT 1)', ['a', 'b']],
    ['SELECT 1 WHERE EXISTS (WITH y AS (DELETE FROM c RETURNING 1) SELECT 1 FROM y) AND (WITH x AS (INSERT INTO d VALUES (1) RETURNING 1) SELECT 1) = 1', ['c', 'd']],
    ['SELECT 1', []],
  ];
  for (const [sql, names] of cases) {
    const node = first(sql).node;
    const walked = dmlTargetsWalk(node);
    assert.deepEqual(walked.map((r: any) => r.relname), names, sql);
    // before relationsIn is asked, and after
    const fresh = first(sql).node;
    assert.deepEqual(dmlTargetsIn(fresh), dmlTargetsWalk(fresh), sql);
    relationsIn(node);
    assert.deepEqual(dmlTargetsIn(node), walked, sql);
  }
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

test("clauseSpan: the policy's USING and WITH CHECK, not one a comment holds, nor one a comment's unbalanced parenthesis hides", () => {
  const span = (sql: string, clause: 'using' | 'check') => {
    const s = first(sql);
    const at = clauseSpan(sql, s, clause);
    return at && sql.slice(at.start, at.end);
  };
  const commented = "CREATE POLICY p ON t FOR UPDATE\n  -- using (owner = auth.uid())\n  /* WITH CHECK (true) */\n  USING (bucket = 'a') WITH CHECK (bucket = 'b');";
  assert.equal(span(commented, 'using'), "(bucket = 'a')");
  assert.equal(span(commented, 'check'), "(bucket = 'b')");
  const paren = "CREATE POLICY p ON t\n  -- note (see the ticket\n  USING (owner = current_user);";
  assert.equal(span(paren, 'using'), '(owner = current_user)');
  assert.equal(span("CREATE POLICY p ON t USING (id IN (SELECT id FROM u JOIN v USING (k)));", 'using'), '(id IN (SELECT id FROM u JOIN v USING (k)))');
});
