// statement-not-analysed: a statement pg-rls-lint leaves out of its analysis (parse.ts TooDeep: a
// syntax tree deeper than its walkers go), or a function or DO body it could not analyse. Without a
// word, what the statement makes would silently be missing from the model, and a rule walking it
// would overflow the stack and lose its findings on every file (a policy of 1,000 nested NOTs did
// that to 32 rules). PostgreSQL itself runs such a statement: PGlite runs the doc's example.
import { defineRule } from './types.js';

export const statementNotAnalysed = defineRule({
  meta: {
    id: 'statement-not-analysed',
    description: 'A statement (or a function or DO body) nested too deeply for pg-rls-lint to analyse: it is left out of the workspace model.',
    severity: 'warning',
    category: 'correctness',
    fixKind: 'none',
    guards:
      "Not a PostgreSQL error: PostgreSQL runs the statement, but pg-rls-lint does not know what it makes or does, so findings that depend on it may be missing, or follow from its absence.",
  },
  check({ model, report }) {
    for (const f of model.files) {
      for (const e of f.errors) {
        if (!e.limit) continue;
        report({
          file: f.file,
          start: e.start,
          end: Math.max(e.end, e.start + 1),
          message:
            `pg-rls-lint could not analyse this statement: ${e.message}. This is a limit of the linter, not an error of PostgreSQL, which may well run it; ` +
            'but the workspace model leaves out what it makes or does (a table, a policy, a grant, what a function body reads), so findings that depend on it may be missing, or follow from its absence. ' +
            'If the statement is generated, split it (a long chain of || or UNION ALL into several, a deep expression into a function); otherwise review what it does by hand.',
        });
      }
    }
  },
});
