// Engine findings and config problems → LSP diagnostics. The one place that turns the
// engine's types into LSP's (code actions reuse `toLspEdit` and the data shape from here).
import { DiagnosticSeverity, type Diagnostic, type TextEdit } from 'vscode-languageserver/node';
import { makePositionAt } from '../analysis/parse.js';
import type { Range, Severity } from '../analysis/types.js';
import type { EditWithRange, Finding, FixWithRanges } from '../engine/workspace.js';
import type { FixKind } from '../rules/types.js';
import type { ConfigIssue } from './settings.js';
import type { StatementCause } from './verify.js';

export const SOURCE = 'pg-rls-lint';
/** Diagnostic code of a problem in `.pg-rls-lint.json`. */
export const INVALID_CONFIG = 'invalid-config';

export interface DiagnosticCaps {
  relatedInformation: boolean;
  codeDescription: boolean;
}

/** `Diagnostic.data` of a finding: its fixes, ready to replay as workspace edits. */
export interface DiagnosticData {
  rule: string;
  fixes: FixData[];
}

export interface FixData {
  title: string;
  kind: FixKind;
  edits: Array<{ uri: string; range: Range; newText: string }>;
}

const SEVERITY: Record<Severity, DiagnosticSeverity> = {
  error: DiagnosticSeverity.Error,
  warning: DiagnosticSeverity.Warning,
  info: DiagnosticSeverity.Information,
  hint: DiagnosticSeverity.Hint,
};

export function severityOf(s: Severity): DiagnosticSeverity {
  return SEVERITY[s] ?? DiagnosticSeverity.Warning;
}

/** `uriOf` maps an engine file id to the URI the client knows the file by; `note`, a paragraph added to the message (what verify showed). */
export function toDiagnostic(f: Finding, caps: DiagnosticCaps, uriOf: (id: string) => string, note?: string): Diagnostic {
  const data: DiagnosticData = {
    rule: f.rule,
    fixes: f.fixes.map((fix) => ({
      title: fix.title,
      kind: fix.kind,
      edits: fix.edits.map((e) => ({ uri: uriOf(e.file), range: copyRange(e.range), newText: e.newText })),
    })),
  };
  const d: Diagnostic = {
    range: copyRange(f.range),
    severity: severityOf(f.severity),
    code: f.rule,
    source: SOURCE,
    message: note ? `${f.message}\n\n${note}` : f.message,
    data,
  };
  if (caps.codeDescription) d.codeDescription = { href: f.docs };
  if (caps.relatedInformation && f.related.length > 0) {
    d.relatedInformation = f.related.map((r) => ({ location: { uri: uriOf(r.file), range: copyRange(r.range) }, message: r.message }));
  }
  return d;
}

/** The code of a statement error of verify's replay (statementErrorDiagnostic): not a rule's. */
export const VERIFY_CODE = 'verify';

/** What the other statements tell of a failure (verify/causes.ts), as a sentence or two. */
function causeText(c: StatementCause | undefined): string {
  if (!c) return '';
  const what = `${c.missing.kind} ${c.missing.name}`;
  if (c.kind === 'follows') return `It follows from an earlier failure, at ${c.follows.path}:${c.follows.line}:${c.follows.column}: the statement that would have made ${what} (or what it is renamed from) failed there. `;
  if (c.kind === 'later') return `${what} is made later in migration order, at ${c.madeAt.path}:${c.madeAt.line}:${c.madeAt.column}: this statement runs before it. `;
  if (c.notRunAt) return `${what} is made only at ${c.notRunAt.path}:${c.notRunAt.line}:${c.notRunAt.column}, which is not run: a file or section that migrating up never applies, as the lint does not replay it. `;
  return `No statement of the project's files makes ${what} (none creates it, dynamic SQL aside): the history lacks what makes it (an earlier baseline, an ORM's schema push, another service's migrations…). `;
}

/**
 * A statement that failed when `pg-rls-lint verify` replayed the migrations, as a warning at
 * the place PostgreSQL's error names (the word there, in `text`, the file's verified text), or
 * on the whole statement when the error names no place in it (it is then at its start).
 */
export function statementErrorDiagnostic(
  e: { line: number; column: number; code: string; message: string; statement?: { start: { line: number; column: number }; end: { line: number; column: number } }; cause?: StatementCause },
  pgVersion: string,
  text: string,
): Diagnostic {
  const start = { line: e.line - 1, character: e.column - 1 };
  const rest = (text.split('\n')[start.line] ?? '').slice(start.character);
  const word = /^(?:"(?:[^"]|"")*"|[\p{L}\p{N}_$]+|\S)/u.exec(rest)?.[0].length ?? 0;
  const st = e.statement;
  const whole = st && st.start.line === e.line && st.start.column === e.column;
  return {
    range: { start, end: whole ? { line: st.end.line - 1, character: st.end.column - 1 } : { line: start.line, character: start.character + Math.max(1, word) } },
    severity: DiagnosticSeverity.Warning,
    code: VERIFY_CODE,
    source: SOURCE,
    message:
      `This statement failed when pg-rls-lint verify replayed the migrations in order on ${pgVersion}: ${e.code} ${e.message}. ` +
      causeText(e.cause) +
      'A migration tool stops at such an error; verify went on without what the statement makes.',
  };
}

/**
 * Whether two lists of findings make the same diagnostics (every field compared; test/lsp
 * checks that a change to any field of a real finding is seen). The server republishes a
 * file only when they differ: serialising every finding to compare them cost more than the
 * re-lint's rules (4.6 MB of JSON on the bench workspace).
 */
export function sameFindings(a: readonly Finding[], b: readonly Finding[]): boolean {
  return sameList(a, b, sameFinding);
}

function sameFinding(a: Finding, b: Finding): boolean {
  return (
    a === b ||
    (a.start === b.start &&
      a.end === b.end &&
      a.rule === b.rule &&
      a.severity === b.severity &&
      a.file === b.file &&
      a.message === b.message &&
      a.docs === b.docs &&
      sameRange(a.range, b.range) &&
      sameList(a.fixes, b.fixes, sameFix) &&
      sameList(a.related, b.related, sameRelated))
  );
}

function sameFix(a: FixWithRanges, b: FixWithRanges): boolean {
  return a.title === b.title && a.kind === b.kind && sameList(a.edits, b.edits, sameEdit);
}

function sameEdit(a: EditWithRange, b: EditWithRange): boolean {
  return a.start === b.start && a.end === b.end && a.file === b.file && a.newText === b.newText && sameRange(a.range, b.range);
}

function sameRelated(a: Finding['related'][number], b: Finding['related'][number]): boolean {
  return a.start === b.start && a.end === b.end && a.file === b.file && a.message === b.message && sameRange(a.range, b.range);
}

function sameList<T>(a: readonly T[], b: readonly T[], same: (x: T, y: T) => boolean): boolean {
  if (a === b) return true;
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (!same(a[i]!, b[i]!)) return false;
  return true;
}

/** Diagnostics on `.pg-rls-lint.json` itself, one per problem of the file (invalid JSON: exactly one). */
export function configDiagnostics(issues: readonly ConfigIssue[], text: string | undefined): Diagnostic[] {
  const out: Diagnostic[] = [];
  for (const i of issues) {
    if (i.origin !== 'file') continue;
    const start = { line: i.line ?? 0, character: i.character ?? 0 };
    let end = start;
    if (text !== undefined && i.start !== undefined && i.end !== undefined && i.end > i.start) {
      end = makePositionAt(text).positionAt(i.end);
    }
    out.push({
      range: { start, end },
      severity: i.fatal ? DiagnosticSeverity.Error : DiagnosticSeverity.Warning,
      code: INVALID_CONFIG,
      source: SOURCE,
      message: i.message + (i.fatal ? ' — the file is ignored; linting with the defaults.' : ''),
    });
  }
  return out;
}

export function isOurs(d: Diagnostic): boolean {
  return d.source === SOURCE && typeof d.code === 'string' && d.code !== INVALID_CONFIG;
}

export function sameRange(a: Range, b: Range): boolean {
  return a.start.line === b.start.line && a.start.character === b.start.character && a.end.line === b.end.line && a.end.character === b.end.character;
}

export function toLspEdit(range: Range, newText: string): TextEdit {
  return { range: copyRange(range), newText };
}

function copyRange(r: Range): Range {
  return { start: { line: r.start.line, character: r.start.character }, end: { line: r.end.line, character: r.end.character } };
}

