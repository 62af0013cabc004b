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
          message: `${shortened(e.message)} (SQLSTATE 42601). PostgreSQL would reject this statement; the other statements of the file are still checked.`,
        });
      }
    }
  },
});

/**
 * PostgreSQL quotes the text at the error (`at or near "…"`); for an unterminated quote that
 * is the rest of the file. Keep its first line, up to 60 characters, and mark the cut.
 */
function shortened(message: string): string {
  return message.replace(/( at or near ")([\s\S]*)"$/, (all, head: string, near: string) => {
    const firstLine = near.split(/\r\n|\r|\n/)[0]!;
    if (firstLine === near && near.length <= 60) return all;
    return `${head}${[...firstLine].slice(0, 60).join('')}…"`;
  });
}
