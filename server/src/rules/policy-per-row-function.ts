import type { Policy } from '../analysis/model.js';
import { activeRowsWith, FLAG_CALL_OUTSIDE_SELECT, keptOnCalls, perRowCalls, selectSubLinkWouldRecurse, textOfFile, type RowIndependentCall } from '../analysis/policy-exprs.js';
import { defineRule, type Fix, type Report } from './types.js';
import { fileId, reportKeeper } from './util.js';

/** Reports kept on the USING node (what they are made of: the deps in check). */
const kept = reportKeeper();

/** The call's name as written, e.g. `auth.uid`. */
function nameOf(c: RowIndependentCall, text: string): { text: string; end: number } {
  const open = text.indexOf('(', c.span.start);
  const name = text.slice(c.span.start, open).trimEnd();
  return { text: name, end: c.span.start + name.length };
}

function describe(c: RowIndependentCall, text: string): string {
  const name = `${nameOf(c, text).text}()`;
  return c.via === 'workspace' ? `the STABLE function ${name}` : name;
}

export const policyPerRowFunction = defineRule({
  meta: {
    id: 'policy-per-row-function',
    description: 'A policy USING calls a row-independent function (auth.uid(), current_setting(), a STABLE helper) outside a sub-select, so it runs for every row.',
    severity: 'warning',
    category: 'performance',
    fixKind: 'safe',
    guards:
      'A STABLE call that does not depend on the row is still evaluated for each row a scan filters; wrapped in a scalar sub-select it becomes an InitPlan evaluated once per statement (measured with a PL/pgSQL helper: 152 ms → 11 ms on 200,000 rows).',
    sources: ['splinter 0003 auth_rls_initplan'],
  },
  check({ model, report }) {
    const recursion = new Map<string, Policy | undefined>();
    for (const row of activeRowsWith(model, FLAG_CALL_OUTSIDE_SELECT)) {
      const p = row.policy;
      const e = row.using;
      if (!(row.usingFlags & FLAG_CALL_OUTSIDE_SELECT)) continue; // no call outside a SELECT: perRowCalls finds none
      if (!e) continue;
      // kept on the node across lints (without `func`, an object of the model it was computed in)
      const calls: RowIndependentCall[] = keptOnCalls(model, e.node, 'per-row-function:calls', () =>
        perRowCalls(model, textOfFile(model, e.file), e.node).map(({ func: _func, ...c }) => c),
      );
      if (calls.length === 0) continue;
      // A sub-select in a SELECT policy can create 42P17 when the table is read in a
      // sub-select while its own policies are being expanded (T31).
      let closer: Policy | undefined;
      if (p.command === 'select' || p.command === 'all') {
        if (!recursion.has(p.table)) recursion.set(p.table, selectSubLinkWouldRecurse(model, p.table));
        closer = recursion.get(p.table);
      }
      const deps = [e.file, fileId(model, e.file), calls, p.name, p.table, closer?.name, closer?.table];
      report(kept(e.node, '', deps, () => reportOf(textOfFile(model, e.file), e.file, calls, p.name, p.table, closer && { name: closer.name, table: closer.table })));
    }
  },
});

/** The finding: made of the file's text, the calls found, the policy's name and table, and the name and table of the policy that closes a 42P17 cycle. */
function reportOf(text: string, file: string, calls: RowIndependentCall[], name: string, table: string, closer: { name: string; table: string } | undefined): Report {
  const first = calls[0]!;
  const wrapped = calls.map((c) => `(select ${text.slice(c.span.start, c.span.end)})`);
  const fixes: Fix[] = closer
    ? []
    : [
        {
          title: calls.length === 1 ? `Wrap ${text.slice(first.span.start, first.span.end)} in a sub-select: ${wrapped[0]}` : `Wrap ${calls.length} row-independent calls in sub-selects`,
          kind: 'safe',
          edits: calls.map((c, i) => ({ file, start: c.span.start, end: c.span.end, newText: wrapped[i]! })),
        },
      ];
  const more = calls.length > 1 ? ` (and ${calls.length - 1} more such call${calls.length > 2 ? 's' : ''})` : '';
  const recursionNote = closer
    ? ` Not wrapped automatically: policy "${closer.name}" on ${closer.table} reads ${table} inside a sub-select while ${table}'s policies are being expanded, so a sub-select in ${table}'s SELECT policies would make PostgreSQL raise 42P17 infinite recursion (T31); keep the call, or have "${closer.name}" read ${table} through a SECURITY DEFINER function.`
    : '';
  // The range and message name the function only, so that other fixes that rewrite its
  // arguments (e.g. policy-current-setting-unsafe) leave this finding as it is.
  return {
    file,
    start: first.span.start,
    end: nameOf(first, text).end,
    message:
      `Policy "${name}" on ${table} calls ${describe(first, text)} in its USING outside any sub-select${more}: its value is the same for every row, ` +
      'but PostgreSQL evaluates it again for each row a scan filters with the policy (the plan shows it in the Filter). ' +
      `Wrapped in a scalar sub-select, (select ${nameOf(first, text).text}(${(first.node.args ?? []).length ? '…' : ''})), it is evaluated once per statement as an InitPlan (measured with a PL/pgSQL helper: 152 ms → 11 ms on 200,000 rows).${recursionNote}`,
    fixes,
  };
}
