// A SECURITY DEFINER function whose query compares a column with itself (`WHERE id = id`: in a
// LANGUAGE sql function a column name takes precedence over a parameter of the same name, so the
// parameter is never read). The comparison is true for every row whose column is not null, and
// the function runs as its owner, whom the table's policies do not restrict: a DELETE or UPDATE
// meant for one row reaches every row, every user's. Functions a policy calls are
// policy-subquery-self-comparison's. Pure: reads the model.
import type { Func, Model, Table } from '../analysis/model.js';
import { policyCallNames } from '../analysis/recursion.js';
import { defineRule, type Fix } from './types.js';
import { callersOf, ownerText, unrestrictedFor } from './definer-bypasses-rls.js';
import { bodyTautologies, helperTautologies, shadowedNote, type HelperTautology } from './policy-subquery-self-comparison.js';
import { functionLists, quoteIdent, tableName } from './lib/util.js';

/** What the statement does to the rows it reaches, and what its callers do through it. */
const VERB = {
  select: ['reads', 'gets what it returns of them, rows its policies keep from the caller too'],
  update: ['changes', 'changes them all, rows its policies keep from the caller too'],
  delete: ['deletes', 'deletes them all, rows its policies keep from the caller too'],
} as const;

export const definerSelfComparison = defineRule({
  meta: {
    id: 'definer-self-comparison',
    description:
      "A SECURITY DEFINER function's query on a table with row-level security compares a column with itself (WHERE id = id, a LANGUAGE sql parameter shadowed by the column): it matches every row, and the policies do not restrict the function's owner.",
    severity: 'error',
    category: 'security',
    fixKind: 'safe',
    guards:
      'In a LANGUAGE sql function a column name takes precedence over a parameter of the same name, so WHERE id = id compares the column with itself and is true for every row; a SECURITY DEFINER function runs as its owner, whom the policies do not restrict, so the statement reaches every row of every user.',
    truths: ['T13'],
  },
  check({ model, report }) {
    const { definers } = functionLists(model);
    let called: ReadonlySet<string> | undefined;
    for (const f of definers) {
      // (syntax first, kept on the function's statement: most definers compare no column with itself)
      if (!f.body || bodyTautologies(f).length === 0) continue;
      // (a function a policy calls: policy-subquery-self-comparison reports it)
      called ??= policyCallNames(model);
      if (called.has(f.name) || called.has(`${f.schema}.${f.name}`)) continue;
      for (const x of helperTautologies(model, f)) {
        const t = unrestrictedFor(model, f, x.table.key);
        if (!t) continue;
        const callers = callersOf(model, f, [t]);
        if (!callers) continue;
        report({
          file: f.created.file,
          start: x.at,
          end: x.at + x.written.length,
          message: messageOf(model, f, x, t, callers.text),
          related: [{ ...f.nameLoc, message: `${f.name}() is SECURITY DEFINER` }],
          fixes: fixOf(f, x),
        });
      }
    }
  },
});

function messageOf(model: Model, f: Func, x: HelperTautology, t: Table, callers: string): string {
  const name = tableName(model, t, f.created);
  const cmd = x.query.command.toUpperCase();
  const reach = x.query.only
    ? `so this ${cmd} ${VERB[x.query.command][0]} every row of ${name}, not the one meant. The function runs as its owner, ${ownerText(model, f, 1)}, so a call by ${callers} ${VERB[x.query.command][1]}`
    : `so the rest of its WHERE alone chooses the rows this ${cmd} ${VERB[x.query.command][0]}, whatever ${x.column} it is called with. The function runs as its owner, ${ownerText(model, f, 1)}, so the policies of ${name} do not narrow it either`;
  return (
    `In SECURITY DEFINER function ${f.signature}, ${x.comparison} compares ${name}.${x.column} with itself` +
    (x.shadowed ? shadowedNote(x.column) : '') +
    `: it is true for every row whose ${x.column} is not null, ${reach}. ` +
    (x.shadowed && !x.qual
      ? `Qualify the parameter with the function's name (${quoteIdent(f.name)}.${x.column}) or give it a name no column has (p_${x.column}).`
      : `Compare the column with the value it is meant to match (a parameter with a name no column has, e.g. p_${x.column}).`)
  );
}

/** `id = id` with the parameter shadowed: its right side qualified with the function's name, which is the parameter. */
function fixOf(f: Func, x: HelperTautology): Fix[] {
  // (not where the function's name is also a table's alias in the query: the name would be the table's)
  if (!x.shadowed || x.qual !== undefined || x.from.some((r) => r.alias === f.name.toLowerCase())) return [];
  const text = `${quoteIdent(f.name)}.${x.column}`;
  return [{ title: `Read the parameter: ${x.column} = ${text}`, kind: 'safe', edits: [{ file: f.created.file, start: x.at, end: x.at + x.column.length, newText: text }] }];
}
