// Re-lint consistency on real migrations: lints each workspace given on the command line,
// then applies seeded random edits to its files one by one (delete, duplicate or change a
// line, drop or restore a file) and compares each re-lint of the same Workspace (which keeps
// parses, a model resume point and rule results across lints) with a fresh Workspace's lint.
// Usage: node --import tsx bench/consistency.ts [--edits N] [--seed S] <dir> …  (exit 1 on a difference)
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { DEFAULT_CONFIG } from '../server/src/analysis/config.js';
import { discoverFiles, fileUri } from '../server/src/io/files.js';
import { initParser, Workspace } from '../server/src/engine/workspace.js';

const args = process.argv.slice(2);
const opt = (name: string, dflt: number) => {
  const i = args.indexOf(name);
  if (i < 0) return dflt;
  const v = Number(args[i + 1]);
  args.splice(i, 2);
  return v;
};
const edits = opt('--edits', 40);
let seed = opt('--seed', 1);
const random = () => ((seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648);
const pick = <T>(xs: readonly T[]): T => xs[Math.floor(random() * xs.length)]!;

function summary(ws: Workspace): string[] {
  const out: string[] = [];
  for (const [file, list] of [...ws.lint().byFile].sort((a, b) => a[0].localeCompare(b[0]))) {
    for (const f of list) out.push(`${file}|${f.rule}|${f.severity}|${f.start}|${f.end}|${f.message}|${JSON.stringify(f.fixes)}|${JSON.stringify(f.related)}`);
  }
  return out;
}

function fresh(ws: Workspace): Workspace {
  const w = new Workspace(ws.getConfig());
  for (const f of ws.files()) w.setFile(f, ws.text(f)!);
  return w;
}

function edit(text: string): string {
  const lines = text.split('\n');
  const i = Math.floor(random() * lines.length);
  const r = random();
  if (r < 0.3) lines.splice(i, 1);
  else if (r < 0.5) lines.splice(i, 0, lines[i] ?? '');
  else {
    const words = text.match(/[A-Za-z_][A-Za-z0-9_]{2,}/g) ?? ['x'];
    const line = lines[i] ?? '';
    const m = [...line.matchAll(/[A-Za-z_][A-Za-z0-9_]{2,}/g)];
    if (m.length) {
      const w = pick(m);
      lines[i] = line.slice(0, w.index) + pick(words) + line.slice(w.index! + w[0].length);
    } else lines[i] = `${line} ${pick(words)}`;
  }
  return lines.join('\n');
}

async function main() {
  await initParser();
  let failed = 0;
  for (const dir of args) {
    const root = resolve(dir);
    const paths = await discoverFiles(root, DEFAULT_CONFIG, () => undefined);
    const original = new Map(paths.map((p) => [fileUri(p), readFileSync(p, 'utf8')]));
    const ws = new Workspace(undefined, undefined, { editing: true }); // as the language server makes it
    for (const [f, t] of original) ws.setFile(f, t);
    ws.lint();
    const ids = [...original.keys()];
    let diffs = 0;
    for (let n = 0; n < edits && ids.length; n++) {
      const f = pick(ids);
      const r = random();
      let what: string;
      if (r < 0.08 && ws.has(f)) {
        ws.removeFile(f);
        what = 'removed';
      } else if (r < 0.2) {
        ws.setFile(f, original.get(f)!);
        what = 'restored';
      } else {
        ws.setFile(f, edit(ws.text(f) ?? original.get(f)!));
        what = 'edited';
      }
      const a = summary(ws);
      const b = summary(fresh(ws));
      if (a.join('\n') !== b.join('\n')) {
        diffs++;
        const only = (x: string[], y: string[]) => x.filter((l) => !y.includes(l)).slice(0, 3);
        console.log(`DIFF ${dir} after edit ${n + 1} (${what} ${f}):\n  re-lint only: ${only(a, b).join('\n    ')}\n  fresh only:   ${only(b, a).join('\n    ')}`);
      }
    }
    console.log(`${dir}: ${paths.length} files, ${edits} edits, ${diffs ? `${diffs} DIFFERENCES` : 'the same as fresh lints'}`);
    failed += diffs;
  }
  process.exit(failed ? 1 : 0);
}
main();
