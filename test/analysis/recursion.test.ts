// The recursion graph (recursion.ts) on shapes the rule proofs do not cover.
import assert from 'node:assert/strict';
import { before, test } from 'node:test';
import { initParser, Workspace } from '../../server/src/engine/workspace.js';

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
