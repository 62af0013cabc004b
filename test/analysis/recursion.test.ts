// The recursion graph (recursion.ts) on shapes the rule proofs do not cover.
import assert from 'node:assert/strict';
import { before, test } from 'node:test';
import { initParser, Workspace } from '../../server/src/engine/workspace.js';
import { steps } from '../helpers/relint.js';

before(initParser);

function rulesOf(files: Record<string, string>): string[] {
  const ws = new Workspace();
  for (const [f, t] of Object.entries(files)) ws.setFile(f, t);
  return [...ws.lint().byFile.values()].flat().map((x) => x.rule);
}

test('a recursive helper (a function that calls itself) ends: its reads are followed once', () => {
  const sql = `CREATE ROLE app_owner;
CREATE TABLE members (tenant_id int, parent int);
ALTER TABLE members ENABLE ROW LEVEL SECURITY;
ALTER TABLE members FORCE ROW LEVEL SECURITY;
CREATE FUNCTION in_tree(t int) RETURNS boolean LANGUAGE sql STABLE SECURITY DEFINER
  AS $$ SELECT EXISTS (SELECT 1 FROM members m WHERE m.tenant_id = t) OR in_tree(t - 1) $$;
ALTER FUNCTION in_tree(int) OWNER TO app_owner;
CREATE POLICY m ON members FOR SELECT USING (in_tree(tenant_id));`;
  const rules = rulesOf({ '1.sql': sql });
  assert.ok(rules.includes('policy-recursion'), `findings: ${rules}`);
});

test('the functions active policies call (per model, from reads kept per statement) follow RLS, the policies and the helper schema in other files', () => {
  const helper = (schema: string) => `CREATE SCHEMA IF NOT EXISTS app;
CREATE FUNCTION ${schema}.is_member(t uuid) RETURNS boolean LANGUAGE sql STABLE SECURITY DEFINER AS $$ SELECT EXISTS (SELECT 1 FROM members WHERE tenant_id = t) $$;`;
  const files = {
    '1_helper.sql': helper('public'),
    '2_tables.sql': `CREATE TABLE members (tenant_id uuid, user_id uuid);
ALTER TABLE members ENABLE ROW LEVEL SECURITY;
ALTER TABLE members FORCE ROW LEVEL SECURITY;
CREATE POLICY m ON members FOR SELECT TO authenticated USING (is_member(tenant_id));
CREATE POLICY n ON members FOR UPDATE TO authenticated USING (user_id = auth.uid());`,
    '3_other.sql': 'SELECT 1;',
  };
  const counts = steps(files, 'definer-helper-under-force-rls', [
    // the only policy that calls it on a table whose RLS is off: not active, so nothing calls it
    ['3_other.sql', 'ALTER TABLE members DISABLE ROW LEVEL SECURITY;'],
    ['3_other.sql', 'SELECT 1;'],
    // the policy dropped, then another one that calls it too (the same reads as the first)
    ['3_other.sql', 'DROP POLICY m ON members;'],
    ['3_other.sql', 'CREATE POLICY o ON members FOR DELETE TO authenticated USING (is_member(tenant_id));'],
    ['3_other.sql', 'SELECT 1;'],
    // the helper in another schema: the unqualified call resolves to no function
    ['1_helper.sql', helper('app')],
    ['1_helper.sql', helper('public')],
  ]);
  // (one finding per helper and table: the first policy that calls it)
  assert.deepEqual(counts, [1, 0, 1, 0, 1, 1, 0, 1]);
});
