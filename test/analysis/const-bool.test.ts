// policy-exprs.ts constBool: SQL's three-valued AND / OR / NOT over constants (folded in one pass,
// stopping at the value that decides), whatever the order of the terms.
import assert from 'node:assert/strict';
import { before, test } from 'node:test';
import { constBool } from '../../server/src/analysis/policy-exprs.js';
import { initParser, Workspace } from '../../server/src/engine/workspace.js';

before(initParser);

const CASES: Array<[string, boolean | null | undefined]> = [
  ['true AND true', true],
  ['true AND false', false],
  ['flag AND false', false],
  ['false AND flag', false],
  ['flag AND true', undefined],
  ['NULL::boolean AND true', null],
  ['NULL::boolean AND false', false],
  ['NULL::boolean AND flag', undefined],
  ['false OR false', false],
  ['flag OR true', true],
  ['true OR flag', true],
  ['flag OR false', undefined],
  ['NULL::boolean OR false', null],
  ['NULL::boolean OR true', true],
  ['NOT (1 = 1)', false],
  ['NOT NULL::boolean', null],
  ['NOT flag', undefined],
  ["NOT (false OR 'a' = 'b')", true],
  ['(1 = 1 AND true) OR flag', true],
];

test('constBool folds AND, OR and NOT over constants, NULL and non-constant terms', () => {
  const ws = new Workspace();
  const text = ['CREATE TABLE t (id bigint, flag boolean);', ...CASES.map(([e], i) => `CREATE POLICY p${i} ON t FOR SELECT USING (${e});`)].join('\n');
  ws.setFile('m.sql', text);
  const policies = ws.model().policies;
  assert.equal(policies.length, CASES.length);
  CASES.forEach(([e, want], i) => assert.equal(constBool(policies[i]!.using), want, e));
});
