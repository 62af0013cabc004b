// Every rule's doc page is a test: each Invalid example gives exactly one finding of the
// rule, each Valid example none, and every fix of an Invalid finding re-lints clean
// (no new syntax error, no new finding, the finding gone).
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { before, describe, test } from 'node:test';
import { checkFix, initParser, Workspace } from '../server/src/engine/workspace.js';
import { rules } from '../server/src/rules/lib/catalog.js';
import { DOCS_DIR, loadRuleDoc, type DocExample } from './helpers/docs.js';

before(async () => {
  await initParser();
});

function lintExample(ex: DocExample) {
  const ws = new Workspace(ex.config);
  for (const f of ex.files) ws.setFile(f.file, f.text);
  ws.setDrizzleJournals(ex.journals);
  return { ws, findings: [...ws.lint().byFile.values()].flat() };
}

const show = (fs: Array<{ rule: string; message: string; file: string; range: { start: { line: number } } }>) =>
  fs.map((f) => `  ${f.file}:${f.range.start.line + 1} ${f.rule}: ${f.message}`).join('\n');

for (const rule of rules) {
  const id = rule.meta.id;
  describe(`rule ${id}`, () => {
    test(`ok: ${id} has a doc page with Invalid and Valid examples`, () => {
      assert.ok(existsSync(join(DOCS_DIR, `${id}.md`)), `docs/rules/${id}.md is missing`);
      const doc = loadRuleDoc(id);
      assert.ok(doc.invalid.length > 0, 'no Invalid example');
      assert.ok(doc.valid.length > 0, 'no Valid example');
      assert.ok(rule.meta.description && rule.meta.guards, 'metadata incomplete');
    });
    if (!existsSync(join(DOCS_DIR, `${id}.md`))) return;
    const doc = loadRuleDoc(id);
    doc.invalid.forEach((ex, i) => {
      test(`err: ${id} Invalid example ${i + 1} (line ${ex.line}) gives exactly one finding`, () => {
        const { ws, findings } = lintExample(ex);
        const mine = findings.filter((f) => f.rule === id);
        assert.equal(mine.length, 1, `expected one ${id} finding, got ${mine.length}:\n${show(findings)}`);
        if (id !== 'syntax-error') {
          const syntax = findings.filter((f) => f.rule === 'syntax-error');
          assert.equal(syntax.length, 0, `example has syntax errors:\n${show(syntax)}`);
        }
        const finding = mine[0]!;
        // (an example may say that its finding has no fix, where the rule has one for others: `-- No fix: why`)
        const noFix = ex.files.some((f) => /^-- No fix: /m.test(f.text));
        if (rule.meta.fixKind !== 'none' && !noFix) assert.ok(finding.fixes.length > 0, `${id} declares fixKind ${rule.meta.fixKind} but offered no fix`);
        if (noFix) assert.equal(finding.fixes.length, 0, `${id}: the example says "No fix" but a fix is offered`);
        for (const fix of finding.fixes) {
          const check = checkFix(ws, finding, fix);
          assert.ok(check.resolved, `fix "${fix.title}" leaves the finding in place`);
          assert.equal(check.introduced.length, 0, `fix "${fix.title}" introduces:\n${show(check.introduced)}`);
        }
      });
    });
    doc.valid.forEach((ex, i) => {
      test(`ok: ${id} Valid example ${i + 1} (line ${ex.line}) gives no finding`, () => {
        const { findings } = lintExample(ex);
        const mine = findings.filter((f) => f.rule === id || f.rule === 'syntax-error');
        assert.equal(mine.length, 0, `unexpected:\n${show(mine)}`);
      });
    });
  });
}
