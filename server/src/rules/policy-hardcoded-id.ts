import { activeRowsWith, FLAG_HARDCODED_ID, hardcodedIds, textOfFile } from '../analysis/policy-exprs.js';
import type { Span } from '../analysis/types.js';
import { defineRule } from './types.js';

/** Span of the literal starting at `at`: a quoted string (with '' escapes) or a number. */
function literalSpan(text: string, at: number): Span {
  if (text[at] === "'" || ((text[at] === 'E' || text[at] === 'e') && text[at + 1] === "'")) {
    let i = text[at] === "'" ? at + 1 : at + 2;
    while (i < text.length && !(text[i] === "'" && text[i + 1] !== "'")) i += text[i] === "'" ? 2 : 1;
    return { start: at, end: Math.min(i + 1, text.length) };
  }
  const m = /^[-+]?[\w.]+/.exec(text.slice(at, at + 64));
  return { start: at, end: at + (m ? m[0].length : 1) };
}

export const policyHardcodedId = defineRule({
  meta: {
    id: 'policy-hardcoded-id',
    description: 'A policy compares with a literal id (a uuid, or a literal compared to an id column).',
    severity: 'warning',
    category: 'security',
    fixKind: 'none',
    guards: 'A literal id ties access to one row or user of one database: in another environment the same literal names nobody or someone else, so the policy silently denies or grants access there.',
  },
  check({ model, report }) {
    for (const row of activeRowsWith(model, FLAG_HARDCODED_ID)) {
      const p = row.policy;
      const found = row.exprs.flatMap((e) => hardcodedIds(e.node).map((h) => ({ ...h, file: e.file, clause: e.clause })));
      const first = found[0]!;
      const text = textOfFile(model, first.file);
      const span = literalSpan(text, first.location);
      const lit = text.slice(span.start, span.end);
      const more = found.length > 1 ? ` (and ${found.length - 1} more literal id${found.length > 2 ? 's' : ''})` : '';
      report({
        file: first.file,
        ...span,
        message:
          `Policy "${p.name}" on ${p.table} ${first.column ? `compares ${first.column} with the literal ${lit}` : `contains the literal id ${lit}`} in its ${first.clause === 'using' ? 'USING' : 'WITH CHECK'}${more}: ` +
          'access is tied to one specific row or user of one database. Ids are generated per database, so in another environment (local, staging, production, a restored copy) ' +
          'the same literal names nobody or someone else, and the policy silently denies or grants access there. ' +
          'Keep such ids in data the policy looks up (e.g. EXISTS (SELECT 1 FROM admins WHERE user_id = (select auth.uid()))) or in a claim only the server sets (app_metadata).',
      });
    }
  },
});
