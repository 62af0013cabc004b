// A CPU profile of re-lints alone, for finding where they go (npm run bench gives the figures):
//   npx esbuild bench/relint-profile.ts --bundle --platform=node --target=node20 --format=cjs \
//     --alias:jsonc-parser=./node_modules/jsonc-parser/lib/esm/main.js --outfile=bench/.cache/relint-profile.js
//   node bench/.cache/relint-profile.js [out.cpuprofile] [rounds]   (SAME_LENGTH=1: an edit keeping the text's length)
// Lints the bench workspace as the language server does, then profiles `rounds` (100) re-lints of
// the bench's edit (a column renamed in the 2,000-line file) and prints the median and each rule's
// mean time. The profile (default /tmp/relint.cpuprofile) opens in Chrome's DevTools.
import { idleCollect, settleHeap } from '../server/src/lsp/runtime.js';
import { initParser } from '../server/src/analysis/parse.js';
import { Workspace } from '../server/src/engine/workspace.js';
import { generateWorkspace } from './generate.js';
import { Session } from 'node:inspector';
import { writeFileSync } from 'node:fs';

async function main(out: string, rounds: number): Promise<void> {
  await initParser();
  const files = generateWorkspace();
  const big = files.find((f) => f.text.split('\n').length >= 1800)!;
  // (SAME_LENGTH=1: the bench's edit that keeps the text's length, so that no statement after it moves)
  const edit = (i: number) => big.text.replace('status text NOT NULL', process.env.SAME_LENGTH ? `statu${i % 2 ? 's' : 'z'} text NOT NULL` : `status${i % 2 ? '' : '_x'} text NOT NULL`);
  const ws = new Workspace(undefined, undefined, { editing: true });
  for (const f of files) ws.setFile(f.file, f.text);
  ws.lint();
  settleHeap();
  for (let i = 0; i < 5; i++) {
    ws.setFile(big.file, edit(i));
    ws.lint();
  }
  const session = new Session();
  session.connect();
  const post = (method: string, params: object = {}) =>
    new Promise<unknown>((resolve, reject) => session.post(method, params, (e, r) => (e ? reject(e) : resolve(r))));
  await post('Profiler.enable');
  await post('Profiler.setSamplingInterval', { interval: 100 });
  await post('Profiler.start');
  const times: number[] = [];
  const perRule = new Map<string, number>();
  for (let i = 0; i < rounds; i++) {
    const t0 = performance.now();
    ws.setFile(big.file, edit(i));
    const result = ws.lint();
    times.push(performance.now() - t0);
    for (const [id, t] of result.timings) perRule.set(id, (perRule.get(id) ?? 0) + t / rounds);
    idleCollect();
  }
  const { profile } = (await post('Profiler.stop')) as { profile: unknown };
  writeFileSync(out, JSON.stringify(profile));
  times.sort((a, b) => a - b);
  process.stdout.write(`re-lint median ${times[Math.floor(rounds / 2)]!.toFixed(1)} ms of ${rounds}; profile: ${out}\n`);
  for (const [id, t] of [...perRule].sort((a, b) => b[1] - a[1]).slice(0, Number(process.env.TOP ?? 20))) process.stdout.write(`  ${id.padEnd(40)} ${t.toFixed(2)} ms\n`);
}

main(process.argv[2] ?? '/tmp/relint.cpuprofile', Number(process.argv[3] ?? 100)).catch((e) => {
  console.error(e);
  process.exit(1);
});
