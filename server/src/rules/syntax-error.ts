import { foreignDialect } from '../analysis/dialect.js';
import type { Node, ParsedFile } from '../analysis/types.js';
import { defineRule } from './types.js';

export const syntaxError = defineRule({
  meta: {
    id: 'syntax-error',
    description: 'A statement PostgreSQL cannot parse.',
    severity: 'error',
    category: 'syntax',
    fixKind: 'none',
    guards: 'PostgreSQL rejects the statement (SQLSTATE 42601) and a migration stops there.',
    shownBy: { statement: ['42601'] },
  },
  check({ model, report }) {
    for (const f of model.files) {
      // (a file written for another database: not-postgresql says so, once)
      if (foreignDialect(f)) continue;
      for (const e of f.errors) {
        const off = bodyUnchecked(f, e.start);
        report({
          file: f.file,
          start: e.start,
          end: Math.max(e.end, e.start + 1),
          message:
            off === undefined
              ? `${shortened(e.message)} (SQLSTATE 42601). PostgreSQL would reject this statement; the other statements of the file are still checked.`
              : `${shortened(e.message)} (SQLSTATE 42601). check_function_bodies is off (line ${lineOf(f.text, off)}): PostgreSQL creates the function without parsing its body, and every call of it fails with this error.`,
        });
      }
    }
  },
});

/**
 * When the error at `at` is in the body of a CREATE FUNCTION / PROCEDURE that the file creates
 * with check_function_bodies off (pg_dump's `SET check_function_bodies = false;`): the offset of
 * that SET. PostgreSQL then does not parse the body at CREATE (a DO block is always parsed).
 */
function bodyUnchecked(f: ParsedFile, at: number): number | undefined {
  let off: number | undefined;
  for (const s of f.statements) {
    if (s.origin !== 'file' || s.start > at) continue;
    if (s.kind === 'VariableSetStmt' && s.node.name === 'check_function_bodies') off = setsOff(s.node) ? s.start : undefined;
    else if (s.kind === 'CreateFunctionStmt' && s.body && at >= s.body.start && at <= s.body.end) return off;
  }
  return undefined;
}

/** Whether `SET check_function_bodies …` sets it off (PostgreSQL's boolean spellings: false, off, no, 0, and their prefixes). */
function setsOff(n: Node): boolean {
  if (n.kind !== 'VAR_SET_VALUE') return false;
  const c = n.args?.[0]?.A_Const;
  if (!c) return false;
  if (c.ival !== undefined) return !c.ival.ival;
  const v = String(c.sval?.sval ?? '').toLowerCase();
  return v === '0' || v === 'off' || v === 'of' || (v.length > 0 && ('false'.startsWith(v) || 'no'.startsWith(v)));
}

function lineOf(text: string, offset: number): number {
  let line = 1;
  for (let i = text.indexOf('\n'); i >= 0 && i < offset; i = text.indexOf('\n', i + 1)) line++;
  return line;
}

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
