// Every rule exported by index.ts, in export order, checked for unique ids.
import * as exported from '../index.js';
import type { Rule } from '../types.js';

function isRule(x: unknown): x is Rule {
  return !!x && typeof x === 'object' && 'meta' in x && 'check' in x;
}

export const rules: readonly Rule[] = Object.values(exported).filter(isRule);

const seen = new Set<string>();
for (const r of rules) {
  if (seen.has(r.meta.id)) throw new Error(`duplicate rule id ${r.meta.id}`);
  seen.add(r.meta.id);
}
