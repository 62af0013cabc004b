import { defineRule } from './types.js';

export const syntaxError = defineRule({
  meta: {
    id: 'syntax-error',
    description: 'A statement PostgreSQL cannot parse.',
    severity: 'error',
    category: 'syntax',
    fixKind: 'none',
    guards: 'PostgreSQL rejects the statement (SQLSTATE 42601) and a migration stops there.',
  },
  check({ model, report }) {
    for (const f of model.files) {
      for (const e of f.errors) {
        report({
          file: f.file,
          start: e.start,
          end: Math.max(e.end, e.start + 1),
          message: `${e.message} (SQLSTATE 42601). PostgreSQL would reject this statement; the other statements of the file are still checked.`,
        });
      }
    }
  },
});
