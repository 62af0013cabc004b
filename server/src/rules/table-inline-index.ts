import type { Model } from '../analysis/model.js';
import type { Loc, ParsedFile, Statement } from '../analysis/types.js';
import { matchParen } from '../analysis/ast.js';
import { inlineIndexes, type InlineIndex } from '../analysis/inline-index.js';
import { memoModel, orderOf } from '../analysis/policy-exprs.js';
import { defineRule, type Edit, type Fix } from './types.js';
import { stopsAt, whatIsLost } from './policy-already-exists.js';
import { fileOf, insertAfter, quoteIdent } from './lib/util.js';

// MySQL's `INDEX name (columns)` (or `KEY name (columns)`) inside CREATE TABLE: PostgreSQL reads
// it as a column named index of a type named after the index, and the CREATE TABLE fails with 42704
// (analysis/inline-index.ts; the model makes no table of it). dermatology-ehr's
// backend/migrations/073_workflow_orchestration.sql and 074_patient_engagement.sql wrote them in
// most of their tables (those with DESC in one are syntax errors), use60's reconciliation audit log
// too.

/** A replayed CREATE TABLE PostgreSQL rejects for its inline index clauses. */
export interface InlineIndexCreate {
  stmt: Statement;
  loc: Loc;
  key: string;
  clauses: InlineIndex[];
}

/**
 * The replayed CREATE TABLE statements with inline index clauses that PostgreSQL runs and rejects
 * (42704): not one whose IF NOT EXISTS finds the table made before (a notice; PostgreSQL looks up
 * no column type then). Per model.
 */
export function inlineIndexCreates(model: Model): readonly InlineIndexCreate[] {
  return memoModel(model, 'table-inline-index', (m) => {
    const out: InlineIndexCreate[] = [];
    for (let i = 0; i < m.files.length; i++) {
      const f = m.files[i]!;
      const list = withInlineIndexes(f);
      for (let j = 0; j < list.length; j++) {
        const stmt = list[j]!;
        const loc: Loc = { file: f.file, start: stmt.start, end: stmt.end };
        // (a statement the replay runs: not one of a file or section it leaves out)
        const at = orderOf(m, loc);
        if (at < 0) continue;
        const rel = stmt.node.relation;
        const key = m.key([rel?.schemaname, rel?.relname]);
        if (stmt.node.if_not_exists || stmt.origin === 'do') {
          const t = m.tables.get(key);
          if (t && orderOf(m, t.created) < at) continue;
        }
        out.push({ stmt, loc, key, clauses: inlineIndexes(stmt.node) });
      }
    }
    return out;
  });
}

/**
 * A parsed file's CREATE TABLE statements with inline index clauses, kept per parsed file (a
 * re-lint parses again the edited file only: a pass over every replayed statement at each re-lint
 * was ≈ 2–3 ms of the bench's).
 */
function withInlineIndexes(f: ParsedFile): readonly Statement[] {
  let list = perFile.get(f);
  if (list === undefined) {
    const found = f.statements.filter((s) => s.kind === 'CreateStmt' && inlineIndexes(s.node).length !== 0);
    perFile.set(f, (list = found.length ? found : NO_STATEMENTS));
  }
  return list;
}
const perFile = new WeakMap<ParsedFile, readonly Statement[]>();
const NO_STATEMENTS: readonly Statement[] = [];

export const tableInlineIndex = defineRule({
  meta: {
    id: 'table-inline-index',
    description: "A CREATE TABLE with MySQL's index clause (`INDEX name (columns)`, `KEY name (columns)`): PostgreSQL reads it as a column of an unknown type, rejects the statement (42704) and never creates the table.",
    severity: 'error',
    category: 'correctness',
    fixKind: 'unsafe',
    guards:
      "PostgreSQL has no index clause in CREATE TABLE: `INDEX idx (a)` is read as a column named index whose type is idx, so the statement fails with 42704 (type \"idx\" does not exist) and the table, its row-level security and its policies are never made.",
    shownBy: { statement: ['42704'] },
  },
  check({ model, report }) {
    for (const c of inlineIndexCreates(model)) {
      const first = c.clauses[0]!;
      const text = fileOf(model, c.loc.file)?.text ?? '';
      const span = clauseSpan(text, first);
      if (!span) continue;
      const table = tableWritten(c);
      const written = c.clauses.map((x) => `${x.column.colname === 'key' ? 'KEY' : 'INDEX'} ${x.name} (${x.columns.join(', ')})`);
      const fix = fixOf(model, text, c);
      report({
        file: c.loc.file,
        start: span.start,
        end: span.end,
        message:
          `${written.length === 1 ? `\`${written[0]}\` is MySQL's index clause` : `${written.length} clauses here (\`${written[0]}\`, …) are MySQL's index clauses`}: PostgreSQL has no index clause in CREATE TABLE and reads ${written.length === 1 ? 'it' : 'each'} as a column named ${first.column.colname} whose type is the index's name, ` +
          `so it rejects the statement with 42704 type "${first.name}" does not exist and the table ${table} is never created; a migration tool applying the files in order ${stopsAt(model, c.loc)}${whatIsLost(model, c.loc, c.loc.file, 'this file')}` +
          `Write each index as a statement of its own after the table: \`${createIndex(first, table)}\`${written.length > 1 ? ', and so on' : ''}.`,
        fixes: fix ? [fix] : undefined,
      });
    }
  },
});

/** The table's name as the CREATE TABLE writes it (its schema only where it names one), quoted where SQL needs it. */
function tableWritten(c: InlineIndexCreate): string {
  const rel = c.stmt.node.relation;
  return `${rel?.schemaname ? `${quoteIdent(rel.schemaname)}.` : ''}${quoteIdent(String(rel?.relname ?? ''))}`;
}

/** The CREATE INDEX statement a clause stands for (the message's advice and the fix's). */
function createIndex(x: InlineIndex, table: string): string {
  return `CREATE INDEX ${quoteIdent(x.name)} ON ${table} (${x.columns.map(quoteIdent).join(', ')});`;
}

/** Where a clause is written: from INDEX (or KEY) to its closing parenthesis; undefined when the text does not hold it there. */
function clauseSpan(text: string, c: InlineIndex): { start: number; end: number } | undefined {
  const start = c.column.location;
  if (typeof start !== 'number' || start < 0 || !/^(?:index|key)\b/i.test(text.slice(start, start + 6))) return undefined;
  const open = text.indexOf('(', start);
  const close = open < 0 ? -1 : matchParen(text, open);
  return close < 0 ? undefined : { start, end: close + 1 };
}

/** Blank characters, and whole lines of `--` comments, before `at`: where they start. */
function blankBefore(text: string, at: number): number {
  let i = at;
  for (;;) {
    while (i > 0 && /\s/.test(text[i - 1]!)) i--;
    const lineStart = text.lastIndexOf('\n', i - 1) + 1;
    if (i > lineStart && /^\s*--/.test(text.slice(lineStart, i))) i = lineStart;
    else return i;
  }
}

/**
 * The fix: each run of clauses out of the column list (with the comma after it, or, for the run at
 * the end of the list, the comma before it and the comment lines between), and a CREATE INDEX per
 * clause after the statement. Undefined where the text is not as expected.
 */
function fixOf(model: Model, text: string, c: InlineIndexCreate): Fix | undefined {
  const spans = c.clauses.map((x) => clauseSpan(text, x));
  if (spans.some((s) => !s)) return undefined;
  const edits: Edit[] = [];
  // (runs of clauses with nothing but blanks, commas and comment lines between them)
  let i = 0;
  while (i < spans.length) {
    let j = i;
    while (j + 1 < spans.length && /^[\s,]*$/.test(text.slice(spans[j]!.end, blankBefore(text, spans[j + 1]!.start)))) j++;
    const from = spans[i]!.start, to = spans[j]!.end;
    let k = to;
    while (k < text.length && /\s/.test(text[k]!)) k++;
    if (text[k] === ',') {
      // (the run and the comma after it, and the blanks up to the next element's line)
      let end = k + 1;
      while (end < text.length && (text[end] === ' ' || text[end] === '\t')) end++;
      if (text[end] === '\r') end++;
      if (text[end] === '\n') end++;
      const lineStart = text.lastIndexOf('\n', from - 1) + 1;
      edits.push({ file: c.loc.file, start: /^\s*$/.test(text.slice(lineStart, from)) && text[end - 1] === '\n' ? lineStart : from, end, newText: '' });
    } else if (text[k] === ')') {
      const before = blankBefore(text, from);
      if (text[before - 1] !== ',') return undefined;
      edits.push({ file: c.loc.file, start: before - 1, end: to, newText: '' });
    } else return undefined;
    i = j + 1;
  }
  const table = tableWritten(c);
  edits.push(insertAfter(model, c.loc, c.clauses.map((x) => createIndex(x, table))));
  return { title: `Move the index clause${c.clauses.length > 1 ? 's' : ''} out of CREATE TABLE into CREATE INDEX statement${c.clauses.length > 1 ? 's' : ''}`, kind: 'unsafe', edits };
}
