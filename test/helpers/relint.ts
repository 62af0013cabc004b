// Re-lint checks shared by the tests of results kept across lints: a workspace's findings as
// comparable data, a fresh workspace with the same files, and a run of edits each compared
// with a fresh lint.
import assert from 'node:assert/strict';
import { Workspace } from '../../server/src/engine/workspace.js';

/** Every finding of a workspace (files in name order): rule, range, message, fixes and related places. */
export function summary(ws: Workspace): unknown {
  return [...ws.lint().byFile]
    .sort((a, b) => a[0].localeCompare(b[0]))
    .map(([file, list]) => [file, list.map((x) => [x.rule, x.start, x.end, x.message, JSON.stringify(x.fixes), JSON.stringify(x.related)])]);
}

/** A new workspace with the same files and settings (nothing kept from earlier lints). */
export function fresh(ws: Workspace): Workspace {
  const w = new Workspace(ws.getConfig());
  for (const f of ws.files()) w.setFile(f, ws.text(f)!);
  return w;
}

/** Lints, applies each edit to the same workspace, checks it against a fresh one; returns the counts of `rule` per step. */
export function steps(files: Record<string, string>, rule: string, edits: Array<[string, string]>): number[] {
  const ws = new Workspace();
  for (const [f, t] of Object.entries(files)) ws.setFile(f, t);
  const count = () => [...ws.lint().byFile.values()].flat().filter((x) => x.rule === rule).length;
  const counts = [count()];
  for (const [i, [file, text]] of edits.entries()) {
    ws.setFile(file, text);
    assert.deepEqual(summary(ws), summary(fresh(ws)), `step ${i + 1} (${file}) differs from a fresh lint`);
    counts.push(count());
  }
  return counts;
}
