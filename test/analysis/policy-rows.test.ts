// The policy index's rows (kept on their policy's statement) and what the index and the
// recursion graph find by walks of their own (exprFlags' call outside a SELECT, readsOf's calls
// and sub-select relations): the same as callsIn / relationsIn, and kept results that follow
// edits in other files.
import assert from 'node:assert/strict';
import { before, test } from 'node:test';
import { callsIn } from '../../server/src/analysis/ast.js';
import { activeRowsWith, FLAG_CALL_OUTSIDE_SELECT, policyRows } from '../../server/src/analysis/policy-exprs.js';
import { policyCallNames } from '../../server/src/analysis/recursion.js';
import { initParser, Workspace } from '../../server/src/engine/workspace.js';
import { steps } from '../helpers/relint.js';

before(initParser);

const EXPRS = [
  'owner_id = auth.uid()',
  'owner_id = (select auth.uid())',
  'tenant_id IN (SELECT tenant_id FROM members WHERE user_id = (select auth.uid()))',
  'f_outer(f_inner(owner_id), 1)',
  '(SELECT count(*) FILTER (WHERE f_filter(x)) FROM members) > 0',
  'count(*) FILTER (WHERE f_filter2(owner_id)) > 0',
  'array_agg(owner_id ORDER BY f_order(owner_id)) IS NOT NULL',
  'row_number() OVER (PARTITION BY f_window(owner_id)) > 0',
  'EXISTS (SELECT 1 FROM (SELECT f_from() AS y) s)',
  'coalesce(auth.uid(), public.auth_fallback(), auth.uid()) = owner_id',
  "owner_id = '00000000-0000-0000-0000-000000000001' OR true",
  'true',
];

test('exprFlags (call outside a SELECT) and the functions policies call are those callsIn finds', () => {
  const sql = [
    'CREATE TABLE docs (id int, owner_id uuid, tenant_id uuid);',
    'CREATE TABLE members (tenant_id uuid, user_id uuid, x int);',
    'ALTER TABLE docs ENABLE ROW LEVEL SECURITY;',
    ...EXPRS.map((e, i) => `CREATE POLICY p${i} ON docs FOR UPDATE USING (${e}) WITH CHECK (${EXPRS[EXPRS.length - 1 - i]});`),
  ].join('\n');
  const ws = new Workspace();
  ws.setFile('1.sql', sql);
  const model = ws.model();
  const rows = policyRows(model);
  assert.equal(rows.length, EXPRS.length);
  const flagged = new Set(activeRowsWith(model, FLAG_CALL_OUTSIDE_SELECT));
  const names = new Set<string>();
  for (const row of rows) {
    const outside = row.exprs.some((e) => callsIn(e.node).some((c) => !c.inSelect && c.location >= 0));
    assert.equal(flagged.has(row), outside, row.policy.name);
    for (const e of row.exprs) for (const c of callsIn(e.node)) if (c.location >= 0) names.add(c.name.length > 1 ? c.name.slice(-2).join('.') : c.name[0]!);
  }
  assert.deepEqual([...policyCallNames(model)].sort(), [...names].sort());
  assert.ok(!names.has('f_order') && names.has('f_filter') && names.has('f_filter2') && names.has('f_from'), [...names].join());
});

test('policy-recursion: a relation read in a sub-select is the table, unless a CTE of the expression has its name', () => {
  const table = 'CREATE TABLE members (id int, user_id uuid);\nALTER TABLE members ENABLE ROW LEVEL SECURITY;\n';
  const counts = steps({ '1.sql': `${table}CREATE POLICY m ON members FOR SELECT USING (id IN (SELECT id FROM members));` }, 'policy-recursion', [
    ['1.sql', `${table}CREATE POLICY m ON members FOR SELECT USING (id IN (WITH members AS (SELECT 1 AS id) SELECT id FROM members));`],
    ['1.sql', `${table}CREATE POLICY m ON members FOR SELECT USING (id IN (WITH members AS (SELECT 1 AS id) SELECT id FROM public.members));`],
    ['1.sql', `${table}CREATE POLICY m ON members FOR SELECT USING (id IN (SELECT id FROM members));`],
  ]);
  assert.deepEqual(counts, [1, 0, 1, 1]);
});

test('rows kept on the policy statement follow its table in another file (RLS off and on, the table dropped)', () => {
  const table = (rls: string) => `CREATE TABLE docs (id int, owner_id uuid);\n${rls}GRANT SELECT, UPDATE ON docs TO authenticated;`;
  const on = table('ALTER TABLE docs ENABLE ROW LEVEL SECURITY;\n');
  const counts = steps({ '1_table.sql': on, '2_policy.sql': 'CREATE POLICY open ON docs FOR UPDATE TO authenticated USING (true);' }, 'policy-always-true', [
    ['1_table.sql', table('')],
    ['1_table.sql', on],
    ['1_table.sql', 'SELECT 1;'],
    ['1_table.sql', on],
  ]);
  assert.deepEqual(counts, [1, 0, 1, counts[3], 1]);
});

test('a policy made again on its statement (its table renamed in another file, RLS there) gets a row of its own', () => {
  const counts = steps(
    {
      '1_table.sql': 'CREATE TABLE docs (id int, owner_id uuid);\nGRANT SELECT, UPDATE ON docs TO authenticated;',
      '2_policy.sql': 'ALTER TABLE docs ENABLE ROW LEVEL SECURITY;\nCREATE POLICY open ON docs FOR UPDATE TO authenticated USING (true);',
      '3_rename.sql': 'SELECT 1;',
    },
    'policy-always-true',
    [
      ['3_rename.sql', 'ALTER TABLE docs RENAME TO old_docs;'],
      ['3_rename.sql', 'ALTER TABLE docs RENAME TO old_docs;\nALTER TABLE old_docs DISABLE ROW LEVEL SECURITY;'],
      ['3_rename.sql', 'ALTER TABLE docs RENAME TO old_docs;'],
      ['3_rename.sql', 'SELECT 1;'],
    ],
  );
  assert.deepEqual(counts, [1, 1, 0, 1, 1]);
});

test('an ALTER POLICY statement kept while the CREATE POLICY it alters changes in another file: the expressions are the new ones', () => {
  const table = 'CREATE TABLE docs (id int, owner_id uuid);\nALTER TABLE docs ENABLE ROW LEVEL SECURITY;\nGRANT SELECT, INSERT, UPDATE ON docs TO authenticated, anon;\n';
  const create = (using: string, check: string) => `${table}CREATE POLICY p ON docs FOR ALL TO authenticated USING (${using}) WITH CHECK (${check});`;
  const counts = steps({ '1_create.sql': create('true', 'true'), '2_alter.sql': 'ALTER POLICY p ON docs TO authenticated, anon;' }, 'policy-always-true', [
    ['1_create.sql', create('owner_id = auth.uid()', 'owner_id = auth.uid()')],
    ['1_create.sql', create('true', 'owner_id = auth.uid()')],
    ['1_create.sql', create('owner_id = auth.uid()', 'true')],
    ['1_create.sql', create('true', 'true')],
  ]);
  assert.equal(counts[0], 1);
  assert.equal(counts[1], 0);
  assert.equal(counts[4], 1);
});
