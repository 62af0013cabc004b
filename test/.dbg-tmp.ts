import { readFileSync } from 'node:fs';
import { initParser, parseFile } from '../server/src/analysis/parse.js';
import { buildModel } from '../server/src/analysis/model.js';
import { mergeConfig } from '../server/src/analysis/config.js';
void (async () => {
await initParser();
const f = process.argv[2]!;
const m = buildModel([parseFile('supabase/migrations/1_x.sql', readFileSync(f, 'utf8'))], mergeConfig({}));
for (const list of m.functions.values()) for (const fn of list) console.log(fn.signature, [...fn.writes], fn.body?.dynamicExecutes.map((d) => d.text), fn.body?.statements.filter((s) => s.assigns).map((s) => [s.assigns, s.kind]));
})();
