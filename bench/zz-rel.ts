import { lint } from '../server/src/cli/run.js';
(async () => {
  const run = await lint({ paths: [process.argv[2]!], cwd: process.cwd(), rules: [], fix: false });
  for (const f of run.files) for (const d of f.findings) if (d.rule === process.argv[3]) console.log(d.file, d.start, d.related.map((r) => `${r.file}:${r.start} ${r.message}`));
})();
