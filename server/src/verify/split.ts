// Statement splitter for the verify engine: the statements PostgreSQL would receive from psql.
//
// The lint's own lexer (analysis/parse.ts `lex`) finds the boundaries: top-level semicolons,
// honouring quotes, dollar quotes, comments, parentheses and BEGIN ATOMIC … END bodies; psql
// meta-commands are blanked (\g, \gx, \gset, \gexec end a statement) and COPY … FROM stdin
// data comes back as `copyData`, not as SQL. Offsets are UTF-16 offsets into the original
// text; `text` has the same length as the original slice, so positions inside it map back by
// adding `start`.
import { codePointToUtf16Mapper, lex, skipTrivia, stripComments } from '../analysis/parse.js';
import type { Include } from '../analysis/types.js';

export interface SqlStatement {
  /** UTF-16 offset of the statement's first token */
  start: number;
  /** UTF-16 offset just past its last character (the semicolon is not included) */
  end: number;
  /** the statement, psql meta-commands blanked */
  text: string;
  /** for COPY … FROM stdin: the data lines (without the terminating `\.` line) */
  copyData?: string;
}

/** The statements of a migration file, in order, as psql would send them. */
export function splitSql(text: string): SqlStatement[] {
  return splitSqlWithIncludes(text).statements;
}

/** The statements, and the psql `\i` / `\ir` includes between them. */
export function splitSqlWithIncludes(text: string): { statements: SqlStatement[]; includes: Include[] } {
  const { clean, chunks, includes } = lex(text);
  const out: SqlStatement[] = [];
  for (const ch of chunks) {
    const start = skipTrivia(clean, ch.start, ch.end);
    let end = ch.end;
    while (end > start && /\s/.test(clean[end - 1]!)) end--;
    if (start >= end) continue;
    out.push({ start, end, text: clean.slice(start, end), ...(ch.copyData ? { copyData: text.slice(ch.copyData.start, ch.copyData.end) } : {}) });
  }
  return { statements: out, includes };
}

/** The statement without comments, trimmed. */
export function withoutComments(s: string): string {
  return stripComments(s).trim();
}

/** The first keyword(s) of a statement, upper-case, e.g. "CREATE POLICY". */
export function leadingWords(stmt: string, count = 2): string {
  return withoutComments(stmt)
    .split(/[^A-Za-z_]+/)
    .filter(Boolean)
    .slice(0, count)
    .join(' ')
    .toUpperCase();
}

/** Maps a 1-based PostgreSQL error position (in characters = code points) in `s` to a
 * 0-based UTF-16 index into `s`. */
export function codePointPosToUtf16(s: string, pos: number): number {
  return codePointToUtf16Mapper(s)(Math.max(0, pos - 1));
}
