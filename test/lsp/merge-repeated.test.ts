// The editor (and GitHub's annotations) show the findings of one rule at one place, with no fix,
// four or more, whose messages differ in a few words (a DO block's loop making a policy on each
// table it reaches) as one (engine/merge-repeated.ts); the CLI's text, JSON and SARIF keep each.
import assert from 'node:assert/strict';
import { before, test } from 'node:test';
import { initParser, Workspace, type Finding } from '../../server/src/engine/workspace.js';
import { mergeRepeated } from '../../server/src/engine/merge-repeated.js';
import { orgLoopFile } from '../helpers/catalog-loop.js';

before(initParser);

function lint(text: string): Finding[] {
  const ws = new Workspace();
  ws.setFile('file:///w/1.sql', text);
  return ws.lint().byFile.get('file:///w/1.sql') ?? [];
}

test("ok: a loop's policy-applies-to-public findings on twelve tables, at its EXECUTE, are one in the editor: the first's message, naming the others' tables", () => {
  const findings = lint(orgLoopFile(12));
  const mine = findings.filter((f) => f.rule === 'policy-applies-to-public');
  assert.equal(mine.length, 12);
  const shown = mergeRepeated(findings).filter((f) => f.rule === 'policy-applies-to-public');
  assert.equal(shown.length, 1);
  assert.equal(shown[0]!.start, mine[0]!.start);
  assert.match(shown[0]!.message, /^Policy "org_only" on public\.t0 \(and the same for public\.t1, public\.t2, public\.t3, public\.t4, public\.t5, public\.t6, public\.t7, public\.t8 and 3 more\) has no TO clause/);
  // (the other findings as they were, in order)
  const others = (fs: readonly Finding[]) => fs.filter((f) => f.rule !== 'policy-applies-to-public');
  assert.deepEqual(others(mergeRepeated(findings)), others(findings));
});

test('ok: three such findings, or findings with a fix, or messages differing in more than three words, are shown as they are', () => {
  const three = lint(orgLoopFile(3));
  assert.equal(three.filter((f) => f.rule === 'policy-applies-to-public').length, 3);
  assert.equal(mergeRepeated(three), three);
  const base = lint(orgLoopFile(12)).filter((f) => f.rule === 'policy-applies-to-public');
  const withFix = base.map((f) => ({ ...f, fixes: [{ title: 't', kind: 'safe' as const, edits: [] }] }));
  assert.equal(mergeRepeated(withFix).length, base.length);
  const different = base.map((f, i) => ({ ...f, message: `${'w '.repeat(i)}${f.message}` }));
  assert.equal(mergeRepeated(different).length, base.length);
});
