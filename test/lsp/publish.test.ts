// The server republishes a file's diagnostics only when its findings differ from the last
// published ones (lsp/diagnostics.ts sameFindings): every field of a finding must count.
import assert from 'node:assert/strict';
import { before, test } from 'node:test';
import { initParser, Workspace, type Finding } from '../../server/src/engine/workspace.js';
import { sameFindings } from '../../server/src/lsp/diagnostics.js';

before(initParser);

/** Findings with fixes, related locations and every field set, from a real lint. */
function realFindings(): Finding[] {
  const ws = new Workspace();
  ws.setFile('file:///w/1.sql', `CREATE TABLE docs (id int PRIMARY KEY, owner_id uuid);
CREATE POLICY p ON docs USING (owner_id = auth.uid());
CREATE FUNCTION f() RETURNS int LANGUAGE sql SECURITY DEFINER AS $$ SELECT 1 $$;`);
  ws.setFile('file:///w/2.sql', `CREATE TABLE a (id int); ALTER TABLE a ENABLE ROW LEVEL SECURITY;
CREATE TABLE b (id int); ALTER TABLE b ENABLE ROW LEVEL SECURITY;
CREATE POLICY pa ON a USING (EXISTS (SELECT 1 FROM b));
CREATE POLICY pb ON b USING (EXISTS (SELECT 1 FROM a));`);
  return [...ws.lint().byFile.values()].flat();
}

/** Every path to a leaf (string, number, boolean) of a value. */
function leaves(v: unknown, path: Array<string | number> = []): Array<Array<string | number>> {
  if (v === null || typeof v !== 'object') return [path];
  return Object.entries(v).flatMap(([k, x]) => leaves(x, [...path, Array.isArray(v) ? Number(k) : k]));
}

test('sameFindings: equal copies are the same; a change to any leaf of any finding is a difference', () => {
  const findings = realFindings();
  assert.ok(findings.some((f) => f.fixes.length && f.fixes.some((x) => x.edits.length)), 'a finding with fix edits');
  assert.ok(findings.some((f) => f.related.length), 'a finding with related locations');
  assert.equal(sameFindings(findings, structuredClone(findings)), true);
  let checked = 0;
  for (const path of leaves(findings)) {
    const copy = structuredClone(findings);
    const parent = path.slice(0, -1).reduce<any>((o, k) => o[k], copy);
    const key = path[path.length - 1]!;
    const v = parent[key];
    parent[key] = typeof v === 'number' ? v + 1 : typeof v === 'boolean' ? !v : `${v}x`;
    assert.equal(sameFindings(findings, copy), false, `a change at ${path.join('.')} went unseen`);
    checked++;
  }
  assert.ok(checked > 50, `${checked} leaves`);
  assert.equal(sameFindings(findings, findings.slice(1)), false);
  assert.equal(sameFindings([], []), true);
});
