// Helpers for the rule proof tests (test/rules/<id>.test.ts): lint a rule's doc example,
// take its one finding, apply a fix, and get the SQL to execute on PGlite.
import assert from 'node:assert/strict';
import { migrationOrder } from '../../server/src/analysis/model.js';
import { applyFixToWorkspace, type Finding, initParser, Workspace } from '../../server/src/engine/workspace.js';
import { loadRuleDoc, type DocExample } from './docs.js';
import { getDb, inRollback, runEachStatement, type Q } from './pg.js';
import { AUTH_STUB_SQL } from './supabase.js';

export { initParser };

export interface Linted {
  ex: DocExample;
  ws: Workspace;
  findings: Finding[];
  /** the findings of the rule under test */
  mine: Finding[];
}

export function lintFiles(files: ReadonlyArray<{ file: string; text: string }>, id: string, config?: DocExample['config'], journals: DocExample['journals'] = []): Omit<Linted, 'ex'> {
  const ws = new Workspace(config);
  for (const f of files) ws.setFile(f.file, f.text);
  if (journals.length) ws.setDrizzleJournals(journals);
  const findings = [...ws.lint().byFile.values()].flat();
  return { ws, findings, mine: findings.filter((f) => f.rule === id) };
}

/** Lints the n-th Invalid (or Valid) example of docs/rules/<id>.md. */
export function lintDocExample(id: string, kind: 'invalid' | 'valid', n = 0): Linted {
  const doc = loadRuleDoc(id);
  const ex = (kind === 'invalid' ? doc.invalid : doc.valid)[n];
  assert.ok(ex, `docs/rules/${id}.md has no ${kind} example #${n + 1}`);
  return { ex, ...lintFiles(ex.files, id, ex.config, ex.journals) };
}

/** The one finding of the rule in the n-th Invalid example (asserted). */
export function invalidFinding(id: string, n = 0): Linted & { finding: Finding } {
  const l = lintDocExample(id, 'invalid', n);
  assert.equal(l.mine.length, 1, `expected one ${id} finding in Invalid example #${n + 1}, got ${l.mine.length}`);
  return { ...l, finding: l.mine[0]! };
}

/** The workspace with the finding's fix applied (the first fix unless a title pattern is given). */
export function applyFix(ws: Workspace, finding: Finding, title?: RegExp): Workspace {
  const fix = title ? finding.fixes.find((f) => title.test(f.title)) : finding.fixes[0];
  assert.ok(fix, `no fix${title ? ` matching ${title}` : ''} on the finding`);
  return applyFixToWorkspace(ws, fix);
}

/** Findings of a rule in a workspace. */
export function findingsOf(ws: Workspace, id: string): Finding[] {
  return [...ws.lint().byFile.values()].flat().filter((f) => f.rule === id);
}

/** Every file of the workspace in migration order, joined: what PostgreSQL would run. */
export function sqlOf(ws: Workspace): string {
  return migrationOrder(ws.files().map((file) => ({ file })))
    .map(({ file }) => ws.text(file) ?? '')
    .join('\n;\n');
}

/** The text a finding's range covers. */
export function textAt(ws: Workspace, f: Finding): string {
  return (ws.text(f.file) ?? '').slice(f.start, f.end);
}

/**
 * The first parenthesis of a message's prose opened inside another ("a caller (the table's owner
 * (whom …))"), with what precedes it; undefined when none nests. Code in backticks is skipped.
 */
export function nestedParentheses(message: string): string | undefined {
  const prose = message.replace(/`[^`]*`/g, '`…`');
  let depth = 0;
  for (let i = 0; i < prose.length; i++) {
    if (prose[i] === '(' && ++depth > 1) return prose.slice(Math.max(0, i - 60), i + 1);
    if (prose[i] === ')') depth = Math.max(0, depth - 1);
  }
  return undefined;
}

export const TENANT_A = '00000000-0000-0000-0000-00000000000a';
export const TENANT_B = '00000000-0000-0000-0000-00000000000b';

/**
 * The n-th Valid example of a rule's doc gives no finding of the rule, and each of its
 * statements runs on PGlite (after Supabase's auth stub), in a transaction rolled back; `then`
 * looks further inside it.
 */
export async function validExampleRuns(id: string, n: number, then?: (q: Q) => Promise<void>): Promise<void> {
  const { ws, mine } = lintDocExample(id, 'valid', n);
  assert.equal(mine.length, 0, `Valid #${n + 1} of ${id}`);
  await inRollback(await getDb(), async (q) => {
    await q(AUTH_STUB_SQL);
    assert.deepEqual(await runEachStatement(q, sqlOf(ws)), [], `Valid #${n + 1} of ${id} runs`);
    await then?.(q);
  });
}
