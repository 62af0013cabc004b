import type { FunctionSetting, Model } from '../analysis/model.js';
import { defineRule, type Fix } from './types.js';
import { quoteIdent, textOf, functionLists, settingOf } from './lib/util.js';

/** Why a search_path setting of a definer function is unsafe, or undefined when it is safe (or unknown). */
export function unsafeSearchPath(s: FunctionSetting): 'no-pg-temp' | 'one-quoted-list' | undefined {
  const v = s.values;
  if (v.length === 0 || v[0] === '<from current>') return undefined; // FROM CURRENT: not known here
  if (v.length === 1 && v[0] === '') return undefined; // '' : only pg_catalog (and pg_temp last, for relations)
  if (v[v.length - 1] === 'pg_temp') return undefined;
  // `SET search_path = 'public, pg_temp'`: one string is one schema name, "public, pg_temp"
  if (v.length === 1 && v[0]!.includes(',')) return 'one-quoted-list';
  return 'no-pg-temp';
}

function fixesFor(model: Model, s: FunctionSetting, why: 'no-pg-temp' | 'one-quoted-list'): Fix[] {
  const text = textOf(model, s.loc);
  if (why === 'no-pg-temp') {
    return [{ title: 'Append pg_temp to the search_path', kind: 'safe', edits: [{ file: s.loc.file, start: s.loc.end, end: s.loc.end, newText: ', pg_temp' }] }];
  }
  // Replace the one quoted string with the list it was meant to be, ending with pg_temp.
  const lit = /'(?:[^']|'')*'\s*$/.exec(text);
  if (!lit) return [];
  const items = s.values[0]!.split(',').map((x) => x.trim()).filter((x) => x && x !== 'pg_temp');
  const list = [...items.map((x) => (/^".*"$/.test(x) ? x : x === '$user' ? '"$user"' : quoteIdent(x))), 'pg_temp'].join(', ');
  const start = s.loc.start + lit.index;
  return [
    {
      title: `Write the search_path as a list: ${list}`,
      kind: 'unsafe',
      edits: [{ file: s.loc.file, start, end: s.loc.end, newText: list }],
    },
  ];
}

export const definerSearchPathUnsafe = defineRule({
  meta: {
    id: 'definer-search-path-unsafe',
    description: "A SECURITY DEFINER function whose SET search_path neither ends with pg_temp nor is ''.",
    severity: 'error',
    category: 'security',
    fixKind: 'safe',
    guards:
      'pg_temp is searched first for relations unless the search_path lists it: SET search_path = public does not stop a temp table from shadowing the tables a definer function reads (F3).',
    truths: ['F3', 'T19', 'T19b', 'T19c'],
    sources: ['splinter 0011 function_search_path_mutable', 'pgspot PS004'],
    shownBy: { exposure: 'search-path' },
  },
  check({ model, report }) {
    const definers = functionLists(model).definers;
    for (let i = 0; i < definers.length; i++) {
      const f = definers[i]!;
      if (!f.securityDefiner) continue;
      const s = settingOf(f, 'search_path');
      if (!s) continue; // definer-search-path-missing reports it
      const why = unsafeSearchPath(s);
      if (!why) continue;
      const written = textOf(model, s.loc).replace(/\s+/g, ' ');
      const what =
        why === 'one-quoted-list'
          ? `${written} names ONE schema, "${s.values[0]}" (a quoted string is a single name), and does not list pg_temp`
          : `${written} does not end with pg_temp`;
      report({
        ...s.loc,
        message:
          `SECURITY DEFINER function ${f.signature}: ${what}. PostgreSQL searches pg_temp first for relations and types unless the search_path lists it, ` +
          'so any role that can create temporary objects (PUBLIC can, by default) can shadow a table or type the function names without a schema (text too; not keyword types such as int, nor functions) with a temporary one of the same name: ' +
          `the function then reads the attacker's table, or runs the attacker's code (e.g. a temporary domain's CHECK), with the owner's rights (F3, T19). ` +
          (why === 'one-quoted-list'
            ? 'Write the schemas as a list that ends with pg_temp (e.g. SET search_path = public, pg_temp).'
            : "Append pg_temp (e.g. SET search_path = public, pg_temp), or use SET search_path = '' with schema-qualified names."),
        fixes: fixesFor(model, s, why),
      });
    }
  },
});
