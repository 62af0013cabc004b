// Parsing: libpg-query (PostgreSQL's own parser, WASM) → statements + errors.
//
// Invariants:
// - Never throws for any input text; every problem becomes a ParseError.
// - One broken statement never hides the others: a file that does not parse as a whole is
//   split into statements and each is parsed on its own. A statement being typed often runs
//   into the next ones (no `;` yet, an unclosed `(`, a body whose closing `$$` or END is not
//   written yet): it is cut where the next statement starts and the rest is lexed again
//   (see "Recovery" below), PostgreSQL's error kept for it.
// - This is the only module that knows libpg-query's UTF-8 byte offsets. Every AST
//   `location` is rewritten to an absolute UTF-16 offset into the file before it leaves.
// - Files are not pure SQL: psql meta-commands and COPY … FROM stdin data are blanked,
//   psql variables and extension-script placeholders are replaced by identifiers of the
//   same length, so every offset of the cleaned text is an offset of the original.
import * as pg from 'libpg-query';
import type { DynamicExecute, FunctionBody, IfGuard, Include, Node, ParseError, ParsedFile, Position, Span, Statement, StringLiteral } from './types.js';
import { conjuncts, stringConst } from './ast.js';
import { changesetEndDelimiter, isChangesetLine, isLiquibaseFormatted, LIQUIBASE_CHANGESET } from './liquibase-changelog.js';
import { argPlaceholder, CATALOG_DROP_POLICIES_KIND, CATALOG_LOOP_KIND, catalogQueryOf, SCHEMA_PLACEHOLDER, TABLE_PLACEHOLDER, type CatalogLoop } from './catalog-loops.js';

let ready: Promise<void> | undefined;

/** Loads the WASM parser once. Every other function here needs it to have resolved. */
export function initParser(): Promise<void> {
  ready ??= pg.loadModule();
  return ready;
}

/** `sql` parsed by PostgreSQL's parser (its raw tree: `stmts`), or undefined where it fails. The other modules ask libpg-query through here. */
export function tryParseSql(sql: string): Node | undefined {
  try {
    return pg.parseSync(sql);
  } catch {
    return undefined;
  }
}

/** The spans (UTF-16 offsets) of `sql`'s tokens as PostgreSQL's scanner reads them, its comments left out; undefined where it fails. */
export function sqlTokens(sql: string): Span[] | undefined {
  let tokens: pg.ScanToken[];
  try {
    tokens = pg.scanSync(sql).tokens ?? [];
  } catch {
    return undefined;
  }
  const map = byteToUtf16Mapper(sql);
  const out: Span[] = [];
  for (const t of tokens) if (t.tokenName !== 'SQL_COMMENT' && t.tokenName !== 'C_COMMENT') out.push({ start: map(t.start), end: map(t.end) });
  return out;
}

/** A CREATE FUNCTION's or DO block's text parsed by PostgreSQL's PL/pgSQL parser (`plpgsql_funcs`), or undefined where it fails. */
export function tryParsePlpgsql(text: string): Node | undefined {
  try {
    return pg.parsePlPgSQLSync(text);
  } catch {
    return undefined;
  }
}

// ---------------------------------------------------------------------------------------
// Byte ↔ UTF-16

/**
 * Maps UTF-8 byte offsets of `s` to UTF-16 offsets of `s`. Migration files are mostly ASCII:
 * only the non-ASCII characters are recorded (byte offset, UTF-16 offset, byte length), and
 * a lookup is a binary search over them.
 */
export function byteToUtf16Mapper(s: string): (byte: number) => number {
  // eslint-disable-next-line no-control-regex
  if (!/[^\x00-\x7f]/.test(s)) return (b) => b;
  const bytesAt: number[] = []; // byte offset where a non-ASCII character starts
  const unitsAt: number[] = []; // its UTF-16 offset
  const widths: number[] = []; // its UTF-8 length
  let byte = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x80) {
      byte++;
      continue;
    }
    const w = c < 0x800 ? 2 : c >= 0xd800 && c <= 0xdbff ? 4 : 3;
    bytesAt.push(byte);
    unitsAt.push(i);
    widths.push(w);
    byte += w;
    if (w === 4) i++;
  }
  const total = byte;
  return (b) => {
    if (b < 0) return b;
    if (b >= total) return s.length;
    // last non-ASCII character starting at or before b
    let lo = 0;
    let hi = bytesAt.length - 1;
    let k = -1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      if (bytesAt[mid]! <= b) {
        k = mid;
        lo = mid + 1;
      } else hi = mid - 1;
    }
    if (k < 0) return b; // only ASCII before b
    const start = bytesAt[k]!;
    const unit = unitsAt[k]!;
    if (b < start + widths[k]!) return unit; // inside that character
    return unit + (widths[k] === 4 ? 2 : 1) + (b - start - widths[k]!);
  };
}

/**
 * Maps code-point offsets of `s` to UTF-16 offsets. PostgreSQL reports a syntax error's
 * cursor in characters (pg_mbstrlen), unlike AST locations, which are bytes.
 */
export function codePointToUtf16Mapper(s: string): (cp: number) => number {
  if (!/[\ud800-\udbff]/.test(s)) return (c) => Math.min(c, s.length);
  const map: number[] = [];
  for (let i = 0; i < s.length; i++) {
    map.push(i);
    const c = s.charCodeAt(i);
    if (c >= 0xd800 && c <= 0xdbff) i++;
  }
  map.push(s.length);
  return (c) => (c < 0 ? c : c >= map.length ? s.length : map[c]!);
}

export function utf8Length(s: string): number {
  return Buffer.byteLength(s, 'utf8');
}

// ---------------------------------------------------------------------------------------
// Line index (UTF-16 offsets ↔ LSP positions)

export function lineStarts(text: string): number[] {
  const starts = [0];
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 10) starts.push(i + 1);
    else if (c === 13) {
      if (text.charCodeAt(i + 1) === 10) i++;
      starts.push(i + 1);
    }
  }
  return starts;
}

export function makePositionAt(text: string, starts = lineStarts(text)) {
  const positionAt = (offset: number): Position => {
    offset = Math.max(0, Math.min(offset, text.length));
    let lo = 0;
    let hi = starts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (starts[mid]! <= offset) lo = mid;
      else hi = mid - 1;
    }
    return { line: lo, character: offset - starts[lo]! };
  };
  const offsetAt = (p: Position): number => {
    if (p.line >= starts.length) return text.length;
    if (p.line < 0) return 0;
    const lineEnd = p.line + 1 < starts.length ? starts[p.line + 1]! : text.length;
    return Math.max(starts[p.line]!, Math.min(starts[p.line]! + p.character, lineEnd));
  };
  return { positionAt, offsetAt };
}

// ---------------------------------------------------------------------------------------
// Lexer: cleans psql syntax and finds statement boundaries in one linear pass.

export interface Chunk {
  start: number;
  end: number;
  /** for `COPY … FROM stdin`: the data lines after it, up to the `\.` line (blanked in `clean`) */
  copyData?: { start: number; end: number };
  /** semicolons inside parentheses: where to split the chunk if it does not parse (an unclosed `(`) */
  inner?: number[];
  /**
   * just past the opening tag of the first body of the chunk that is never closed (a dollar
   * quote, or BEGIN ATOMIC without its END), or whose closing tag directly follows AS or DO
   * (so it most likely opens a later body): where a body being typed starts
   */
  openBody?: number;
}

const IDENT_START = { test: (ch: string) => isIdentStart(ch.charCodeAt(0)) };
const IDENT_CHAR = { test: (ch: string) => isIdentChar(ch.charCodeAt(0)) };

function isIdentStart(c: number): boolean {
  return (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || c === 95 || c >= 128;
}

function isIdentChar(c: number): boolean {
  return isIdentStart(c) || (c >= 48 && c <= 57) || c === 36;
}

/**
 * Returns the text with psql-only syntax neutralised (same length, same offsets) and the
 * statement chunks (split at top-level semicolons, honouring quotes, dollar quotes,
 * comments, parentheses and BEGIN ATOMIC … END bodies).
 */
/** psql's `\\i file`, `\\ir file` (and their long names); the file name may be quoted. */
const INCLUDE = /^\\(include_relative|include|ir|i)[ \t]+(?:'((?:[^']|'')*)'|"([^"]*)"|(\S+))/;

/** The endDelimiter of the changeset a Liquibase formatted-SQL text is in at `at` (its last `--changeset` line before it). */
function liquibaseDelimiterBefore(text: string, at: number): string | undefined {
  if (at === 0) return undefined;
  const re = new RegExp(LIQUIBASE_CHANGESET.source, 'gim');
  let found: string | undefined;
  for (let m = re.exec(text); m && m.index < at; m = re.exec(text)) found = m[0];
  return found === undefined ? undefined : changesetEndDelimiter(found);
}

/**
 * The length of a Liquibase statement delimiter at `i`, 0 when there is none: without an
 * endDelimiter, a `/` (not opening a comment) or the word GO first on a line; with one, itself
 * (case-insensitively) first on a line or after a space; either when nothing but spaces or a
 * comment follows it on its line.
 */
function liquibaseDelimiterAt(text: string, i: number, delimiter: string | undefined, lineStart: boolean): number {
  let len = 0;
  if (delimiter === ';') return 0; // (only the semicolon, then)
  if (delimiter === undefined) {
    if (!lineStart) return 0;
    if (text[i] === '/' && text[i + 1] !== '*') len = 1;
    else if ((text[i] === 'g' || text[i] === 'G') && (text[i + 1] === 'o' || text[i + 1] === 'O') && !IDENT_CHAR.test(text[i + 2] ?? ' ')) len = 2;
  } else if (REGEX_META.test(delimiter)) {
    // (a regular expression, `\n\s*/\s*\n|\n\s*/\s*$`: Liquibase matches it against the token with what precedes it; here
    // against a line's one word, first on its line, with the line ends around it)
    if (!lineStart) return 0;
    const word = /\S+/y;
    word.lastIndex = i;
    const w = word.exec(text)?.[0];
    const re = delimiterRegex(delimiter);
    if (w !== undefined && re !== undefined && (re.test(w) || re.test(`\n${w}\n`) || re.test(`\n${w}`))) len = w.length;
  } else if (text.startsWith(delimiter, i) || text.slice(i, i + delimiter.length).toLowerCase() === delimiter.toLowerCase()) len = delimiter.length;
  if (len === 0) return 0;
  const rest = /[ \t\r]*(?:--[^\n]*)?(?:\n|$)/y;
  rest.lastIndex = i + len;
  return rest.test(text) ? len : 0;
}

const REGEX_META = /[\\|[\]()*+?^$]/;
const delimiterRegexes = new Map<string, RegExp | null>();
/** An endDelimiter taken as the regular expression Liquibase matches whole (Java's String.matches), or undefined when JavaScript cannot read it. */
function delimiterRegex(delimiter: string): RegExp | undefined {
  let re = delimiterRegexes.get(delimiter);
  if (re === undefined) {
    try {
      re = new RegExp(`^[\\s]*(?:${delimiter})$`, 'i');
    } catch {
      re = null;
    }
    delimiterRegexes.set(delimiter, re);
  }
  return re ?? undefined;
}

/**
 * Where Liquibase splits a text that is no formatted SQL as it runs it (a plain SQL file a
 * changelog's `sqlFile` runs, a changelog's inline `<sql>`): regions, each with its change's
 * endDelimiter (none: a `;`, or a `/` or GO alone on a line, StringUtil.isDelimiter). Outside
 * them, and with splitStatements="false" (no region), the text is split as psql splits it.
 */
export type LiquibaseSplit = ReadonlyArray<{ start: number; end: number; endDelimiter?: string }>;

export function lex(text: string, split?: LiquibaseSplit): { clean: string; chunks: Chunk[]; includes: Include[]; placeholders: Map<string, string> } {
  const { clean, chunks, includes, placeholders } = lexFrom(text, 0, undefined, split);
  return { clean, chunks, includes, placeholders };
}

/**
 * Puts psql variables and extension-script placeholders back, as written, into a text made from
 * the cleaned one (a message, a fix): `_schema.docs` → `:schema.docs`. Undefined when none of
 * the files has any.
 */
export function asWritten(files: Iterable<ParsedFile | undefined>): ((s: string) => string) | undefined {
  let all: Map<string, string> | undefined;
  for (const f of files) if (f?.placeholders) for (const [k, v] of f.placeholders) (all ??= new Map()).set(k, v);
  if (!all) return undefined;
  const names = all;
  const re = new RegExp(`(?<![A-Za-z0-9_$\\u0080-\\uffff])(?:${[...names.keys()].join('|')})(?![A-Za-z0-9_$\\u0080-\\uffff])`, 'gi');
  const quoted = [...names.keys()].some((k) => k.startsWith('"')); // (`:"Role"`: no `_` needed)
  return (s) => (s.includes('_') || (quoted && s.includes('"')) ? s.replace(re, (m) => names.get(m.toLowerCase())!) : s);
}

/**
 * Lexes `text` from offset `from` on, in the state at the start of a statement. Stops early
 * at the first statement start for which `resync` holds (where an earlier lexing is known
 * to be in that same state, so its chunks from there on stay valid): `stop` is that offset,
 * or the text's length. `clean` is the cleaned text of `from` … `stop` only.
 */
function lexFrom(
  text: string,
  from: number,
  resync?: (at: number) => boolean,
  split?: LiquibaseSplit,
): { clean: string; chunks: Chunk[]; stop: number; includes: Include[]; placeholders: Map<string, string> } {
  const includes: Include[] = [];
  const placeholders = new Map<string, string>(); // identifier put in for a psql variable → the variable as written
  const liquibase = isLiquibaseFormatted(text);
  // (a text that is no formatted SQL, split as Liquibase runs it: its regions, each with its endDelimiter)
  const regions = !liquibase && split?.length ? split : undefined;
  const regionAt = (at: number) => regions!.find((r) => r.start <= at && at < r.end);
  // (its changeset's endDelimiter, from the last `--changeset` line before `from`: liquibaseDelimiter)
  let delimiter = liquibase ? liquibaseDelimiterBefore(text, from) : undefined;
  // Replacements are recorded as [start, end, replacement] and applied once at the end.
  const subs: Array<[number, number, string]> = [];
  // (where a string constant closes, for blankContinuationComments: only there may a comment sit between two parts of one constant)
  const closes: number[] = [];
  const comments = text.includes('--');
  const chunks: Chunk[] = [];
  const n = text.length;
  let i = from;
  let stop = n;
  let stmtStart = from;
  let sawToken = false;
  let firstToken = from; // where the current chunk's first token starts (after comments and meta-commands)
  let depth = 0;
  let atomic = 0; // > 0 inside BEGIN ATOMIC … END (counts nested CASE … END)
  let prevWord = '';
  let inner: number[] = [];
  let openBody = -1;
  let atomicBody = -1; // just past the ATOMIC of the chunk's outermost BEGIN ATOMIC
  const blank = (from: number, to: number) => {
    if (to > from) subs.push([from, to, text.slice(from, to).replace(/[^\r\n]/g, ' ')]);
  };
  const lineEnd = (from: number) => {
    const k = text.indexOf('\n', from);
    return k < 0 ? n : k;
  };
  // CREATE EXTENSION puts the schema (and owner) in for these in the script's whole text,
  // quoted text too (`replace_text` in extension.c): a function body calling
  // `@extschema@.url_encode(…)` parses once they are names (delibrium-postgrest's pgjwt)
  const extensionPlaceholder = (at: number): number => {
    const m = /^@(extschema|extowner)(:[A-Za-z0-9_]+)?@/.exec(text.slice(at, at + 80));
    if (!m) return at;
    subs.push([at, at + m[0].length, m[0].replace(/[@:]/g, '_')]);
    placeholders.set(m[0].replace(/[@:]/g, '_').toLowerCase(), m[0]);
    return at + m[0].length;
  };
  let nextAt = -2; // the first '@' at or after the last search's start (-1: none): one search per '@', not per literal
  const extensionPlaceholdersIn = (from: number, to: number) => {
    for (;;) {
      if (nextAt !== -1 && nextAt < from) nextAt = text.indexOf('@', from);
      if (nextAt < 0 || nextAt >= to) return;
      from = Math.max(extensionPlaceholder(nextAt), nextAt + 1);
    }
  };
  const endChunk = (end: number) => {
    if (atomic > 0 && openBody < 0) openBody = atomicBody; // BEGIN ATOMIC without END
    if (sawToken) {
      const ch: Chunk = { start: stmtStart, end };
      if (inner.length) ch.inner = inner;
      if (openBody >= 0) ch.openBody = openBody;
      chunks.push(ch);
    }
    inner = [];
    openBody = -1;
    atomicBody = -1;
    stmtStart = end + 1;
    sawToken = false;
    depth = 0;
    atomic = 0;
    prevWord = '';
  };
  // psql ignores a UTF-8 byte order mark at the start of a file (editors hide it)
  if (from === 0 && text.charCodeAt(0) === 0xfeff) {
    subs.push([0, 1, ' ']);
    i = 1;
  }
  while (i < n) {
    const c = text[i]!;
    const next = text[i + 1];
    if (c === ' ' || c === '\n' || c === '\t' || c === '\r') {
      i++;
      continue;
    }
    // comments
    if (c === '-' && next === '-') {
      const e = commentEnd(text, i, n);
      // Liquibase runs each `-- changeset` of a `-- liquibase formatted sql` file on its own, so
      // its last statement needs no semicolon: the changeset line ends the statement, as a
      // semicolon would (the cleaned text has one there, for PostgreSQL's parser too)
      if (liquibase && isChangesetLine(text, i, e)) {
        delimiter = changesetEndDelimiter(text.slice(i, e));
        subs.push([i, e, ';'.padEnd(e - i, ' ')]);
        endChunk(i);
        i = e;
        if (resync?.(stmtStart)) {
          stop = stmtStart;
          break;
        }
        continue;
      }
      i = e;
      continue;
    }
    if (c === '/' && next === '*') {
      const e = blockCommentEnd(text, i, n);
      // an unterminated comment is PostgreSQL's error: keep it in a chunk, to be reported
      if (e < 0) sawToken = true;
      i = e < 0 ? n : e;
      continue;
    }
    // psql meta-command: from the backslash to the end of the line
    if (c === '\\') {
      const e = lineEnd(i);
      blank(i, e);
      // \g, \gx, \gexec, \gset send the statement buffer like a semicolon does
      if (/^\\(g|gx|gexec|gset)\b/.test(text.slice(i, i + 8))) endChunk(i);
      else if (text[i + 1] === 'i') {
        const m = INCLUDE.exec(text.slice(i, e));
        // psql drops the semicolons that end an unquoted file name (`\\ir schema/init.sql;`)
        if (m) includes.push({ at: i, path: m[2] !== undefined ? m[2].replace(/''/g, "'") : (m[3] ?? m[4]!.replace(/;+$/, '')), relative: m[1] === 'ir' || m[1] === 'include_relative' });
      }
      i = e;
      continue;
    }
    // Liquibase splits a changeset's SQL at its endDelimiter, by default also at a `/` or `GO`
    // first on a line (StringUtil.isDelimiter): a statement end, as a semicolon is
    const region = regions && depth === 0 && atomic === 0 ? regionAt(i) : undefined;
    if (region) delimiter = region.endDelimiter;
    if ((liquibase || region) && depth === 0 && atomic === 0 && (i === 0 || text[i - 1] === '\n' || (delimiter !== undefined && /\s/.test(text[i - 1]!)))) {
      const len = liquibaseDelimiterAt(text, i, delimiter, i === 0 || text[i - 1] === '\n');
      if (len > 0) {
        subs.push([i, i + len, ';'.padEnd(len, ' ')]);
        endChunk(i);
        i += len;
        if (resync?.(stmtStart)) {
          stop = stmtStart;
          break;
        }
        continue;
      }
    }
    if (!sawToken) firstToken = i;
    sawToken = true;
    // quoted literals and identifiers
    if (c === "'") {
      const escape = i > 0 && /[eE]/.test(text[i - 1]!) && !IDENT_CHAR.test(text[i - 2] ?? ' ');
      const open = i;
      i++;
      while (i < n) {
        if (escape && text[i] === '\\') i += 2;
        else if (text[i] === "'" && text[i + 1] === "'") i += 2;
        else if (text[i] === "'") break;
        else i++;
      }
      extensionPlaceholdersIn(open, Math.min(i, n));
      if (comments && i < n) closes.push(i);
      i++;
      prevWord = '';
      continue;
    }
    if (c === '"') {
      i++;
      while (i < n) {
        if (text[i] === '"' && text[i + 1] === '"') i += 2;
        else if (text[i] === '"') break;
        else i++;
      }
      i++;
      prevWord = '';
      continue;
    }
    if (c === '$') {
      const m = /^\$([A-Za-z_\u0080-\uffff][A-Za-z0-9_\u0080-\uffff]*)?\$/.exec(text.slice(i, i + 80));
      if (m && !IDENT_CHAR.test(text[i - 1] ?? ' ')) {
        const tag = m[0];
        const close = text.indexOf(tag, i + tag.length);
        if (openBody < 0 && (close < 0 || /^(AS|DO)$/i.test(wordBefore(text, close, i + tag.length)))) openBody = i + tag.length;
        extensionPlaceholdersIn(i + tag.length, close < 0 ? n : close);
        // (a body's string constants too: its text is SQL or PL/pgSQL, parsed later)
        if (comments) bodyCloses(text, i + tag.length, close < 0 ? n : close, closes);
        i = close < 0 ? n : close + tag.length;
        prevWord = '';
        continue;
      }
    }
    // psql variables :NAME, :'NAME', :"NAME" (not :: casts, not := assignments)
    if (c === ':' && next !== ':' && next !== '=' && text[i - 1] !== ':') {
      if ((next === "'" || next === '"') && IDENT_START.test(text[i + 2] ?? '')) {
        const close = text.indexOf(next, i + 2);
        if (close > 0 && close < lineEnd(i) && /^[A-Za-z0-9_]+$/.test(text.slice(i + 2, close))) {
          subs.push([i, i + 1, ' ']);
          // (`:"NAME"` is left a quoted identifier, NAME with its case: a message writing it
          // quoted, `"DATABASE_OWNER"`, shows it as written, `:"DATABASE_OWNER"`)
          if (next === '"') placeholders.set(text.slice(i + 1, close + 1).toLowerCase(), text.slice(i, close + 1));
          i = close + 1;
          continue;
        }
      } else if (next && IDENT_START.test(next) && !/[A-Za-z0-9_\])]/.test(text[i - 1] ?? ' ')) {
        subs.push([i, i + 1, '_']);
        let k = i + 1;
        while (k < n && isIdentChar(text.charCodeAt(k))) k++;
        placeholders.set(`_${text.slice(i + 1, k)}`.toLowerCase(), text.slice(i, k)); // (folded, as PostgreSQL folds the identifier)
        i++;
        continue;
      }
    }
    // extension script placeholders: @extschema@, @extowner@, @extschema:name@
    if (c === '@') {
      const e = extensionPlaceholder(i);
      if (e > i) {
        i = e;
        continue;
      }
    }
    if (c === '(') depth++;
    else if (c === ')') depth = Math.max(0, depth - 1);
    else if (c === ';' && depth === 0 && atomic === 0) {
      const copyFromStdin = sawToken && /^copy\b[\s\S]*\bfrom\s+stdin\b/i.test(stripComments(text.slice(firstToken, i)));
      // (the parentheses its inner semicolons were in closed before this one: psql sends the
      // chunk whole, and PostgreSQL reports one error in it — sae5-supabase's seed
      // `values (135;2,'Panier simple');` — so it is not split there)
      inner = [];
      endChunk(i);
      i++;
      if (copyFromStdin) {
        // data rows until a line that is exactly `\.` (as psql: to the end of the file without one)
        const dataStart = Math.min(lineEnd(i) + 1, n);
        let k = dataStart;
        let dataEnd = n;
        let resume = n;
        while (k < n) {
          const e = lineEnd(k);
          if (text.slice(k, e).replace(/\r$/, '') === '\\.') {
            dataEnd = k;
            resume = e + 1;
            break;
          }
          k = e + 1;
        }
        blank(dataStart, Math.min(resume, n));
        const copy = chunks[chunks.length - 1];
        if (copy) copy.copyData = { start: dataStart, end: dataEnd };
        i = stmtStart = resume;
      }
      if (resync?.(stmtStart)) {
        stop = stmtStart;
        break;
      }
      continue;
    } else if (c === ';' && atomic === 0) {
      inner.push(i);
    } else if (isIdentStart(c.charCodeAt(0)) && !(i > 0 && isIdentChar(text.charCodeAt(i - 1)))) {
      let k = i + 1;
      while (k < n && isIdentChar(text.charCodeAt(k))) k++;
      // only a few keywords matter for splitting: BEGIN ATOMIC … END (with CASE … END inside)
      const len = k - i;
      if (len === 3 || len === 4 || len === 5 || len === 6) {
        const w = text.slice(i, k).toUpperCase();
        if (w === 'ATOMIC' && prevWord === 'BEGIN') {
          // a body that opens inside another one: the other one's END is not written yet
          if (atomic > 0 && openBody < 0) openBody = atomicBody;
          if (atomic === 0) atomicBody = k;
          atomic = 1;
        }
        else if (atomic > 0 && w === 'CASE') atomic++;
        else if (atomic > 0 && w === 'END') atomic--;
        prevWord = w;
      } else prevWord = '';
      i = k;
      continue;
    }
    i++;
  }
  if (stop === n && stmtStart < n) endChunk(n);
  if (subs.length === 0) return { clean: blankContinuationComments(from === 0 && stop === n ? text : text.slice(from, stop), closes, from), chunks, stop, includes, placeholders };
  subs.sort((a, b) => a[0] - b[0]);
  const parts: string[] = [];
  let at = from;
  for (const [s, e, r] of subs) {
    if (s < at) continue;
    parts.push(text.slice(at, s), r);
    at = e;
  }
  parts.push(text.slice(at, stop));
  return { clean: blankContinuationComments(parts.join(''), closes, from), chunks, stop, includes, placeholders };
}

/**
 * A `--` comment between a string constant and the constant continuing it on a later line
 * (`'CHECK (action IN ('` / `-- REST actions` / `'''read'', …'`) is whitespace to PostgreSQL,
 * whose scanner joins the two (PostgreSQL 15 and PGlite 18.6: `SELECT 'a' -- c` newline `'b'`
 * is 'ab'), but libpg-query reports a syntax error at the second constant: such comments are
 * blanked (spaces, the newlines kept), in function bodies too. Only where the text between the
 * quotes is nothing but whitespace and comments, with a newline, and at least one comment.
 */
const CONTINUED = /'([ \t\f]*(?:--[^\n]*)?\r?\n(?:[ \t\f\r\n]|--[^\n]*\n)*)(?=')/y;
/**
 * `sql` (the text from `from`, of the same length) with those comments blanked, at the quotes in
 * `closes` (offsets of the text) that close a string constant: only there. Matched at any quote,
 * the opening one of `'---' as separator,` took `---' as separator,` for such a comment and blanked
 * the constant's end with it (mpbhealth/CTO-Dashboard's scripts/verify-migration.sql: a syntax
 * error on valid SQL).
 */
function blankContinuationComments(sql: string, closes: readonly number[], from: number): string {
  if (closes.length === 0) return sql;
  let out = '';
  let at = 0;
  for (const c of closes) {
    const k = c - from;
    if (k < at || k >= sql.length) continue;
    CONTINUED.lastIndex = k;
    const m = CONTINUED.exec(sql);
    if (!m || !m[1]!.includes('--')) continue;
    out += sql.slice(at, k + 1) + m[1]!.replace(/--[^\n]*/g, (x) => ' '.repeat(x.length));
    at = k + m[0].length;
  }
  return at === 0 ? sql : out + sql.slice(at);
}

/**
 * The closing quotes of the string constants in a dollar-quoted body (`start` to `end` of the
 * text), pushed onto `closes`: its `--` and `/* … *\/` comments and inner dollar-quoted strings
 * skipped. Only where the body has a `--`.
 */
function bodyCloses(text: string, start: number, end: number, closes: number[]): void {
  const dash = text.indexOf('--', start);
  if (dash < 0 || dash >= end) return;
  let i = start;
  while (i < end) {
    const c = text[i]!;
    if (c === '-' && text[i + 1] === '-') {
      const e = text.indexOf('\n', i);
      i = e < 0 || e > end ? end : e;
    } else if (c === '/' && text[i + 1] === '*') {
      const e = text.indexOf('*/', i + 2);
      i = e < 0 || e > end ? end : e + 2;
    } else if (c === "'") {
      i++;
      while (i < end && !(text[i] === "'" && text[i + 1] !== "'")) i += text[i] === "'" ? 2 : 1;
      if (i < end) closes.push(i);
      i++;
    } else if (c === '$') {
      const m = /^\$([A-Za-z_\u0080-\uffff][A-Za-z0-9_\u0080-\uffff]*)?\$/.exec(text.slice(i, i + 80));
      if (m && !IDENT_CHAR.test(text[i - 1] ?? ' ')) {
        const e = text.indexOf(m[0], i + m[0].length);
        i = e < 0 || e > end ? end : e + m[0].length;
      } else i++;
    } else i++;
  }
}

/** The identifier or keyword that ends just before `pos` (whitespace skipped), not before `limit`. */
function wordBefore(text: string, pos: number, limit: number): string {
  let e = pos;
  while (e > limit && /\s/.test(text[e - 1]!)) e--;
  let b = e;
  while (b > limit && isIdentChar(text.charCodeAt(b - 1))) b--;
  return b > limit && isIdentChar(text.charCodeAt(b - 1)) ? '' : text.slice(b, e);
}

/** The end of the `--` comment at `pos`: PostgreSQL ends it at a line feed or a carriage return. */
function commentEnd(text: string, pos: number, end: number): number {
  let k = pos + 2;
  while (k < end) {
    const c = text.charCodeAt(k);
    if (c === 10 || c === 13) break;
    k++;
  }
  return k;
}

/**
 * SQL text on one line, as a message or a fix quotes it: comments dropped and each run of white
 * space made one space, outside string constants and quoted identifiers, which stay as written (a
 * `--` comment collapsed into one line would swallow the rest of it; a constant's spaces are its
 * value).
 */
export function sqlOneLine(s: string): string {
  return s.replace(/'(?:[^']|'')*'|"(?:[^"]|"")*"|(?:\s|--[^\r\n]*|\/\*[\s\S]*?\*\/)+/g, (m) => (m[0] === "'" || m[0] === '"' ? m : ' ')).trim();
}

/** The text with line and block comments replaced by a space. */
export function stripComments(s: string): string {
  return s.replace(/--[^\r\n]*/g, ' ').replace(/\/\*[\s\S]*?\*\//g, ' ');
}

/**
 * Just past the block comment starting at `pos` (`/*`), or -1 when it is not closed before
 * `end`. PostgreSQL's block comments nest.
 */
function blockCommentEnd(text: string, pos: number, end: number): number {
  let nest = 1;
  let i = pos + 2;
  while (i < end && nest > 0) {
    if (text[i] === '/' && text[i + 1] === '*') {
      nest++;
      i += 2;
    } else if (text[i] === '*' && text[i + 1] === '/') {
      nest--;
      i += 2;
    } else i++;
  }
  return nest > 0 || i > end ? -1 : i;
}

/** Skips whitespace and comments from `pos`; stops at a block comment that is not closed. */
export function skipTrivia(text: string, pos: number, end = text.length): number {
  while (pos < end) {
    const c = text[pos]!;
    if (c === ' ' || c === '\t' || c === '\n' || c === '\r' || c === '\f') pos++;
    else if (c === '-' && text[pos + 1] === '-') {
      pos = commentEnd(text, pos, end);
    } else if (c === '/' && text[pos + 1] === '*') {
      const e = blockCommentEnd(text, pos, end);
      if (e < 0) break;
      pos = e;
    } else break;
  }
  return Math.min(pos, end);
}

function trimEnd(text: string, start: number, end: number): number {
  while (end > start && /[\s;]/.test(text[end - 1]!)) end--;
  return end;
}

// ---------------------------------------------------------------------------------------
// AST relocation

/** AST fields that hold an offset into the parsed text (PostgreSQL 18 added the list bounds). */
export const LOCATION_KEYS: ReadonlySet<string> = new Set(['location', 'name_location', 'list_start', 'list_end', 'rexpr_list_start', 'rexpr_list_end']);

/**
 * How deep (in objects and arrays) a statement's tree may be for pg-rls-lint to analyse it. The
 * rules walk trees recursively: a policy of 1,000 nested NOTs (a tree 3,000 deep) overflowed the
 * stack of 32 of them, and a 2,000-term `||` chain that of the parse. A statement deeper than this
 * (≈ 330 nested NOTs, a 500-term `||` chain, 1,000 UNION ALLs) is left out of the analysis
 * (TooDeep; rule statement-not-analysed says so).
 */
export const MAX_TREE_DEPTH = 1000;

/** A tree deeper than MAX_TREE_DEPTH (relocate). */
export class TooDeep extends Error {
  constructor() {
    super(`its syntax tree is nested more than ${MAX_TREE_DEPTH} levels deep`);
  }
}

/**
 * Rewrites every offset of the tree (LOCATION_KEYS) through `map`, and shares its names (in
 * place): its strings, its name nodes and its lists of name nodes (shared). Throws TooDeep for a
 * tree deeper than MAX_TREE_DEPTH.
 */
export function relocate(node: Node, map: (loc: number) => number, depth = 0): void {
  if (depth > MAX_TREE_DEPTH) throw new TooDeep();
  if (Array.isArray(node)) {
    for (let i = 0; i < node.length; i++) {
      const x = node[i];
      if (typeof x === 'string') node[i] = sharedString(x);
      else if (x?.String) node[i] = shared(x);
      else if (x?.AccessPriv) node[i] = sharedPriv(x);
      else if (Array.isArray(x)) node[i] = relocatedList(x, map, depth + 1);
      else relocate(x, map, depth + 1);
    }
    return;
  }
  if (node === null || typeof node !== 'object') return;
  for (const key in node) {
    const v = node[key];
    if (typeof v === 'number') {
      if (v >= 0 && LOCATION_KEYS.has(key)) node[key] = map(v);
    } else if (typeof v === 'string') node[key] = sharedString(v);
    else if (v !== null && typeof v === 'object') {
      if (v.String) node[key] = shared(v);
      else if (key === 'sval') node[key] = sharedValue(v); // (A_Const's)
      else if (Array.isArray(v)) node[key] = relocatedList(v, map, depth + 1);
      else relocate(v, map, depth + 1);
    }
  }
}

/** `list` relocated, or the one list of the same name nodes when it holds only names (`funcname`, `names`, a ColumnRef's `fields`). */
function relocatedList(list: Node[], map: (loc: number) => number, depth: number): Node[] {
  relocate(list, map, depth);
  if (list.length === 0 || list.length > 4) return list;
  for (let i = 0; i < list.length; i++) if (sharedStrings.get(list[i]?.String?.sval) !== list[i]) return list;
  return sharedList(list);
}

/**
 * One object for every `{String: {sval}}` node with the same text: a quarter of an AST's
 * objects are such names (columns, types, functions, roles), and they hold no location. One
 * string for each text the trees hold (JSON.parse makes a string per occurrence), and one array
 * for each list of the same name nodes (a qualified name, a column reference's fields): nodes
 * are never mutated after parsing, so sharing them changes nothing but memory. None of them
 * holds an offset: moving one (moveInPlace) changes nothing. (Not frozen: a frozen array or
 * object is of another kind to V8, and the walkers that meet both ran slower, ≈ 4 % more
 * instructions for a cold bench lint under cachegrind.) On the bench's workspace the parsed files kept went from 62 to
 * ≈ 49 MB. The tables are emptied when they grow large (names typed letter by letter), which
 * only ends sharing for the names seen before.
 */
const sharedStrings = new Map<string, Node>();
const sharedTexts = new Map<string, string>();
/** the shared lists, by their first name node, then the next… (`list`: the list that ends there) */
interface ListTrie {
  list?: readonly Node[];
  next?: Map<Node, ListTrie>;
}
const sharedLists = new Map<Node, ListTrie>();
let sharedListCount = 0;
const SHARED_MAX = 100_000;

function shared(n: Node): Node {
  const sval = n.String.sval;
  if (typeof sval !== 'string' || !isNameNode(n)) return n;
  const known = sharedStrings.get(sval);
  if (known) return known;
  if (sharedStrings.size >= SHARED_MAX) {
    sharedStrings.clear();
    sharedLists.clear(); // (keyed by the name nodes shared so far)
    sharedListCount = 0;
  }
  n.String.sval = sharedString(sval);
  sharedStrings.set(sval, n);
  return n;
}

function sharedString(s: string): string {
  if (s.length > 64) return s; // (a body, a comment: each its own)
  const known = sharedTexts.get(s);
  if (known !== undefined) return known;
  if (sharedTexts.size >= SHARED_MAX) sharedTexts.clear();
  sharedTexts.set(s, s);
  return s;
}

/** One object for every string constant's value with the same text (A_Const's `sval`, which holds no offset). */
const sharedValues = new Map<string, Node>();
function sharedValue(v: Node): Node {
  const text = v.sval;
  if (typeof text !== 'string' || text.length > 64) return v;
  for (const k in v) if (k !== 'sval') return v;
  const known = sharedValues.get(text);
  if (known) return known;
  if (sharedValues.size >= SHARED_MAX) sharedValues.clear();
  v.sval = sharedString(text);
  sharedValues.set(text, v);
  return v;
}

/** One node for every privilege of a GRANT or REVOKE (or role of a GRANT role) with the same name and no columns: `{AccessPriv: {priv_name}}`. */
const sharedPrivs = new Map<string, Node>();
function sharedPriv(n: Node): Node {
  const name = n.AccessPriv.priv_name;
  if (typeof name !== 'string') return n;
  for (const k in n) if (k !== 'AccessPriv') return n;
  for (const k in n.AccessPriv) if (k !== 'priv_name') return n;
  const known = sharedPrivs.get(name);
  if (known) return known;
  if (sharedPrivs.size >= SHARED_MAX) sharedPrivs.clear();
  n.AccessPriv.priv_name = sharedString(name);
  sharedPrivs.set(name, n);
  return n;
}

/** The one list holding the (shared) name nodes of `list`, in order. */
function sharedList(list: Node[]): Node[] {
  let at: ListTrie | undefined = sharedLists.get(list[0]);
  if (!at) {
    if (sharedListCount >= SHARED_MAX) {
      sharedLists.clear();
      sharedListCount = 0;
    }
    sharedLists.set(list[0], (at = {}));
  }
  for (let i = 1; i < list.length; i++) {
    const next: Map<Node, ListTrie> = (at.next ??= new Map());
    let t: ListTrie | undefined = next.get(list[i]);
    if (!t) next.set(list[i], (t = {}));
    at = t;
  }
  if (at.list) return at.list as Node[];
  sharedListCount++;
  at.list = list;
  return list;
}

function unwrap(stmt: Node): { kind: string; node: Node } {
  const kind = Object.keys(stmt)[0] ?? 'Unknown';
  return { kind, node: stmt[kind] };
}

function errorOf(e: unknown): { message: string; cursor: number } {
  const err = e as { message?: string; sqlDetails?: { cursorPosition?: number } };
  return { message: err?.message ?? String(e), cursor: err?.sqlDetails?.cursorPosition ?? -1 };
}

/** The offending token's extent at UTF-16 offset `at` of `text`. */
function tokenEnd(text: string, at: number, limit: number): number {
  if (at >= limit) return limit;
  const m = /^("([^"]|"")*"|'([^']|'')*'|\$[A-Za-z_]*\$|[A-Za-z0-9_$\u0080-\uffff]+|::|[^\s])/.exec(text.slice(at, Math.min(limit, at + 200)));
  return at + (m ? m[0].length : 1);
}

// ---------------------------------------------------------------------------------------
// Files

/** Parses a whole file. Synchronous; `initParser()` must have resolved. Never throws. */
/**
 * The lexer's chunks of each file whose text parsed as a whole without errors: what a later
 * version of the file can be re-parsed against (`reparse`).
 */
const wholeParses = new WeakMap<ParsedFile, Chunk[]>();

/**
 * Parses a file. With `previous` (the parse of an earlier version of the same file), only the
 * statements an edit touched are parsed again: the ones before it are reused as they are, the
 * ones after it are copied with their offsets moved; the result is the same as a full parse.
 */
export function parseFile(file: string, text: string, previous?: ParsedFile, opts?: ReparseOptions): ParsedFile {
  const { positionAt, offsetAt } = makePositionAt(text);
  const { disabledLines, disabledFile } = suppressions(text);
  const result: ParsedFile = { file, text, statements: [], errors: [], disabledLines, disabledFile, positionAt, offsetAt };
  let lexed: ReturnType<typeof lex>;
  try {
    lexed = lex(text, opts?.liquibase);
  } catch (e) {
    result.errors.push({ message: `internal lexer error: ${errorOf(e).message}`, start: 0, end: Math.min(text.length, 1) });
    return result;
  }
  const { clean, chunks } = lexed;
  if (lexed.includes.length) result.includes = lexed.includes;
  if (lexed.placeholders.size) result.placeholders = lexed.placeholders;
  if (previous && reparse(result, lexed, previous, opts?.consume === true)) return result;
  // Fast path: the whole file parses; statement boundaries come from PostgreSQL itself.
  const whole = /\S/.test(clean) ? tryParseSql(clean) : undefined;
  if (whole) {
    addTree(result, clean, whole, 0, clean.length, clean);
    if (result.errors.length === 0) wholeParses.set(result, chunks);
    return result;
  }
  const run: ChunkRun = {
    result,
    text,
    clean,
    pending: chunks.slice().reverse(),
    starts: new Set(chunks.map((c) => c.start)),
    budget: 4 * text.length + 100_000,
    ...(opts?.liquibase?.length ? { split: opts.liquibase } : {}),
  };
  for (let ch = run.pending.pop(); ch; ch = run.pending.pop()) {
    run.starts.delete(ch.start);
    parseChunk(run, ch, true);
  }
  return result;
}

export interface ReparseOptions {
  /**
   * The caller never uses `previous` again (nor anything it holds: its statements, their
   * nodes): the statements an edit moves are then moved where they are instead of copied, so
   * they keep their identity and what was computed from them (see moveInPlace).
   */
  consume?: boolean;
  /** where Liquibase splits the text, which is no formatted SQL (LiquibaseSplit): the same for `previous` */
  liquibase?: LiquibaseSplit;
}

/**
 * Re-parses an edited file (`result`, with its text lexed) against the parse of its previous
 * version, when that one parsed as a whole: the text both versions share at the start and at
 * the end is found, and the lexer's chunks (top-level statements) that lie in it and start and
 * end at the same places keep their statements; the chunks between are parsed together. False,
 * with `result` untouched (parse it all), when the previous parse had errors, a statement does
 * not fit the chunks, or the new chunks do not parse as a whole.
 */
function reparse(result: ParsedFile, lexed: ReturnType<typeof lex>, previous: ParsedFile, consume: boolean): boolean {
  const before = wholeParses.get(previous);
  if (!before || previous.file !== result.file) return false;
  const { text } = result;
  const old = previous.text;
  const max = Math.min(old.length, text.length);
  let p = 0;
  while (p < max && old.charCodeAt(p) === text.charCodeAt(p)) p++;
  let s = 0;
  while (s < max - p && old.charCodeAt(old.length - 1 - s) === text.charCodeAt(text.length - 1 - s)) s++;
  const delta = text.length - old.length;
  const { clean, chunks } = lexed;
  const same = (a: Chunk, b: Chunk, d: number) =>
    a.start === b.start + d && a.end === b.end + d && a.copyData?.start === (b.copyData ? b.copyData.start + d : undefined) && a.copyData?.end === (b.copyData ? b.copyData.end + d : undefined);
  // chunks [0, head) are unchanged; new chunks [tailNew, …) are old chunks [tailOld, …) moved by delta
  let head = 0;
  while (head < chunks.length && head < before.length && chunks[head]!.end < p && same(chunks[head]!, before[head]!, 0)) head++;
  let tailNew = chunks.length;
  let tailOld = before.length;
  while (tailNew > head && tailOld > head && before[tailOld - 1]!.start >= old.length - s && same(chunks[tailNew - 1]!, before[tailOld - 1]!, delta)) {
    tailNew--;
    tailOld--;
  }
  const kept: Statement[] = [];
  const moved: Statement[] = [];
  let c = 0;
  for (const st of previous.statements) {
    while (c < before.length && before[c]!.end < st.start) c++;
    const ch = before[c];
    if (!ch || st.start < ch.start || st.end > ch.end) return false;
    if (c < head) kept.push(st);
    else if (c >= tailOld) moved.push(st);
  }
  let tree: Node | undefined;
  const from = chunks[head]?.start ?? clean.length;
  const to = tailNew < chunks.length ? chunks[tailNew]!.start : clean.length;
  const sql = clean.slice(from, to);
  if (tailNew > head && /\S/.test(sql)) {
    tree = tryParseSql(sql);
    if (!tree) return false;
  }
  result.statements.push(...kept);
  if (tree) addTree(result, clean, tree, from, to, sql);
  if (delta === 0) result.statements.push(...moved);
  else if (consume) {
    const seen = new Set<object>();
    for (const st of moved) moveInPlace(st, delta, seen);
    result.statements.push(...moved);
  } else {
    const copies = new Map<object, unknown>();
    for (const st of moved) result.statements.push(movedBy(st, delta, copies) as Statement);
  }
  if (result.errors.length === 0) wholeParses.set(result, chunks);
  return true;
}

/**
 * For a FuncCall node: the setting a current_setting() call reads (lower-case; undefined when not
 * a constant), or null for a call of another function.
 */
export function settingRead(call: Node): string | null | undefined {
  const name = (call.funcname ?? []).map((n: Node) => sval(n) ?? '').join('.').toLowerCase();
  if (name !== 'current_setting' && name !== 'pg_catalog.current_setting') return null;
  const a = call.args?.[0];
  const v = a?.A_Const?.sval?.sval ?? a?.TypeCast?.arg?.A_Const?.sval?.sval;
  return typeof v === 'string' ? v.toLowerCase() : undefined;
}

function guardOf(cond: readonly Statement[], outer: IfGuard | undefined): IfGuard | undefined {
  const settings: string[] = outer ? [...outer.settings] : [];
  const calls: Array<{ parts: string[]; args: number }> = outer ? [...outer.calls] : [];
  for (const st of cond) {
    walk(st.node, (k, v) => {
      if (k !== 'FuncCall') return;
      const setting = settingRead(v);
      if (setting === null) calls.push({ parts: (v.funcname ?? []).map((n: Node) => sval(n) ?? ''), args: v.args?.length ?? 0 });
      else if (setting !== undefined) settings.push(setting);
    });
  }
  return settings.length || calls.length ? { settings, calls } : outer;
}

/**
 * A deep copy of a parsed statement with every offset (`start`, `end`, AST locations) moved
 * by `delta`. Statements shared by others (a DO block's inner statements are in the file's
 * list too) stay shared in the copy: `copies` holds the statements copied so far. Parts that
 * hold no offset are not copied: name nodes (`{String: {sval}}`, shared by parsing anyway)
 * and `caught` lists. Memos are left behind (a copy's nodes are new: nothing is kept on them).
 * For a previous parse somebody else still holds (a cloned Workspace); else moveInPlace.
 */
function movedBy(v: unknown, delta: number, copies: Map<object, unknown>): unknown {
  if (v === null || typeof v !== 'object') return v;
  if (Array.isArray(v)) {
    const out: unknown[] = new Array(v.length);
    for (let i = 0; i < v.length; i++) out[i] = movedBy(v[i], delta, copies);
    return out;
  }
  const o = v as Record<string, unknown>;
  if (o.String !== undefined && isNameNode(o)) return o;
  const statement = o.origin !== undefined && o.kind !== undefined;
  if (statement) {
    const known = copies.get(o);
    if (known !== undefined) return known;
  }
  const out: Record<string, unknown> = {};
  if (statement) copies.set(o, out);
  for (const k in o) {
    if (k === 'memo') continue;
    const x = o[k];
    if (typeof x === 'number' && (k === 'start' || k === 'end' || (x >= 0 && LOCATION_KEYS.has(k)))) out[k] = x + delta;
    else if (k === 'caught') out[k] = x;
    else out[k] = typeof x === 'object' && x !== null ? movedBy(x, delta, copies) : x;
  }
  return out;
}

/**
 * movedBy without a copy: every offset of a statement (`start`, `end`, AST locations) moved by
 * `delta` where it is, for a statement of a parse nobody uses any more (ReparseOptions.consume).
 * The statement and its nodes keep their identity, so what is kept on them (ast.ts's node
 * memos, statement memos) stays: everything kept there reads offsets from the nodes when it is
 * used, or checks them (nothing kept copies an offset unchecked). On the bench, an edit near
 * the top of its 2,000-line file moves ≈ 900 statements; copying them made ≈ 100,000 new
 * objects per keystroke and recomputed everything kept on them: re-lint ≈ 40 ms slower
 * (half of it garbage collection) than an edit that moves nothing.
 * `seen`: statements moved so far (a DO block's inner statements are in the file's list too).
 */
function moveInPlace(v: unknown, delta: number, seen: Set<object>): void {
  if (v === null || typeof v !== 'object') return;
  if (Array.isArray(v)) {
    for (let i = 0; i < v.length; i++) {
      const x = v[i];
      if (x !== null && typeof x === 'object') moveInPlace(x, delta, seen);
    }
    return;
  }
  const o = v as Record<string, unknown>;
  if (o.String !== undefined && isNameNode(o)) return;
  if (o.origin !== undefined && o.kind !== undefined) {
    if (seen.has(o)) return;
    seen.add(o);
  } else if (movesChecked) {
    if (isSharedLeaf(o)) return; // (shared by several trees: no offset)
    if (seen.has(o)) throw new Error('moveInPlace: an object reached twice would be moved twice');
    seen.add(o);
  }
  for (const k in o) {
    if (k === 'memo' || k === 'caught') continue;
    const x = o[k];
    if (typeof x === 'number') {
      if (k === 'start' || k === 'end' || (x >= 0 && LOCATION_KEYS.has(k))) o[k] = x + delta;
    } else if (x !== null && typeof x === 'object') moveInPlace(x, delta, seen);
  }
}

let movesChecked = false;
/** For tests: moveInPlace throws when one move reaches an object other than a statement or a name node twice (it would move its offsets twice). */
export function guardMoves(): void {
  movesChecked = true;
}

/** A string constant's value or a privilege node (shared: sharedValue, sharedPriv), which holds no offset. */
function isSharedLeaf(o: Record<string, unknown>): boolean {
  if (typeof o.sval === 'string') {
    for (const k in o) if (k !== 'sval') return false;
    return true;
  }
  const p = o.AccessPriv as Record<string, unknown> | undefined;
  if (p === undefined || p === null || typeof p !== 'object') return false;
  for (const k in o) if (k !== 'AccessPriv') return false;
  for (const k in p) if (k !== 'priv_name') return false;
  return true;
}

/** `{String: {sval}}` and nothing else: a name node, which holds no offset. */
function isNameNode(o: Record<string, unknown>): boolean {
  for (const k in o) if (k !== 'String') return false;
  const inner = o.String as Record<string, unknown> | null;
  if (inner === null || typeof inner !== 'object') return false;
  for (const k in inner) if (k !== 'sval') return false;
  return true;
}

/** The statement-by-statement parse of a file that does not parse as a whole. */
interface ChunkRun {
  result: ParsedFile;
  text: string;
  /** the cleaned text; recovery may re-lex a part of it */
  clean: string;
  /** the chunks still to parse, the next one last */
  pending: Chunk[];
  /** the starts of the pending chunks: where a re-lexing joins the lexing it replaces */
  starts: Set<number>;
  /** characters recovery may still re-lex or re-parse, so a file full of errors stays linear */
  budget: number;
  /** where Liquibase splits the text (parseFile's option) */
  split?: LiquibaseSplit;
}

function parseChunk(run: ChunkRun, ch: Chunk, recover: boolean): void {
  const { clean } = run;
  const start = skipTrivia(clean, ch.start, ch.end);
  const end = trimEnd(clean, start, ch.end);
  if (start >= end) return;
  // Parse with the terminating semicolon, so errors read as PostgreSQL reports them.
  const sql = clean.slice(start, clean[ch.end] === ';' ? ch.end + 1 : end);
  let tree: Node;
  try {
    tree = pg.parseSync(sql);
  } catch (e) {
    let error = syntaxError(clean, start, end, sql, e);
    if (placeholderAt(run, error.start) !== undefined || goActionAround(run.text, error.start)) {
      const filled = fillPlaceholders(run, start, end, sql, error);
      if ('tree' in filled) return addTree(run.result, run.clean, filled.tree, start, end, filled.sql);
      if ('unknown' in filled) return skipUnknown(run, ch, start, end, filled.unknown, error);
      error = filled.error;
    }
    if (!recover || !(resumeAtNextStatement(run, ch, start, error) || splitAtInnerSemicolons(run, ch))) run.result.errors.push(withNewerKeyword(run.clean, start, sql.length, error));
    return;
  }
  addTree(run.result, clean, tree, start, end, sql);
}

// ---------------------------------------------------------------------------------------
// Placeholders. A psql variable is put in as an identifier (`:school_path` → `_school_path`),
// but psql puts in its value as written, which may be a quoted string where the grammar wants a
// literal (`COPY school FROM :school_path`, after `\set school_path '\'' :base_dir '/s.csv\''`:
// delibrium-postgrest's data/init.sql) or SQL text (`:pgjwt_sql` alone on a line: a script that
// `\set` read from a sed command, in its libs/pgjwt/schema.sql). A migration tool that renders
// its files as Go templates (tern: `GRANT anon TO {{ env "PGUSER" }};`, ludat/fulbo) puts in
// text too, and so does Flyway (and Liquibase), whose placeholder replacement is on by default:
// `CREATE ROLE ${APP_USER} LOGIN;` (bless2n-food-system), and so does a Python program running a query
// file through psycopg (`%s`, `%(name)s`). PostgreSQL never sees any of them: when its error is at one, the statement is parsed
// again with a same-length name there, then with a literal; when neither parses, the value
// is SQL text and the statement is not known (no error: it is not PostgreSQL's).

/** A Go template action's argument: a string, a field or variable (`.x`, `$x`), a number or constant. */
const GO_ARG = String.raw`(?:"(?:[^"\\\n]|\\.)*"|\x60[^\x60\n]*\x60|[.$][\w.$]*|-?\d+(?:\.\d+)?|true|false|nil)`;
/**
 * A Go template action (text/template, as tern renders migrations): `{{ .prefix }}`,
 * `{{ env "PGUSER" }}`, `{{ template "shared/x.sql" . }}` — a field or variable, or a function
 * given arguments without parentheses. Never Jinja's `{{ ref('x') }}`, `{{ config(…) }}`,
 * `{{ this }}` (a dbt model: not-postgresql says so, from its syntax errors).
 */
/**
 * A word of a Go template control action's pipeline: an argument, a function's name (`eq`, `and`,
 * `not`), a parenthesized pipeline, a variable's declaration or assignment, a range's comma.
 */
const GO_WORD = String.raw`(?:${GO_ARG}|[A-Za-z_]\w*|\((?:[^()\n]|\([^()\n]*\))*\)|:?=|,)`;
/**
 * Go's control actions, which the template engine renders away (artifacthub/hub's tern migration
 * 001_initial_schema.sql: `{{ if eq .loadSampleData "true" }}` `{{ template "data/sample.sql" }}`
 * `{{ end }}`): `{{ if … }}`, `{{ else if … }}`, `{{ range $i, $x := … }}`, `{{ with … }}`,
 * `{{ else }}`, `{{ end }}`, `{{ break }}`, `{{ continue }}`, a comment `{{/* … *\/}}`. Jinja has
 * none of them between double braces (its are `{% if %}`, `{% endif %}`).
 */
const GO_CONTROL = String.raw`(?:(?:else[ \t]+)?(?:if|with)|range)[ \t]+${GO_WORD}(?:[ \t]*${GO_WORD})*|else|end|break|continue|\/\*[^\n]*?\*\/`;
const GO_ACTION = new RegExp(
  String.raw`\{\{-?[ \t]*(?:${GO_CONTROL}|[.$][\w.$]*(?:[ \t]+${GO_ARG})*|[A-Za-z_]\w*(?:[ \t]+${GO_ARG})+)(?:[ \t]*\|[ \t]*[A-Za-z_]\w*(?:[ \t]+${GO_ARG})*)*[ \t]*-?\}\}`,
  'y',
);

/**
 * A Flyway (or Liquibase) placeholder: `${app_user}`, `${flyway:defaultSchema}`. Outside a string
 * or a dollar-quoted body, `$` followed by `{` is never PostgreSQL.
 */
export const FLYWAY_PLACEHOLDER_SOURCE = String.raw`\$\{[A-Za-z_][\w.:-]*\}`;
const FLYWAY_PLACEHOLDER = new RegExp(FLYWAY_PLACEHOLDER_SOURCE, 'y');

/**
 * A format placeholder: `{0}`, `{schema}` — what a program fills in before it sends the file
 * (JavaScript's `format`, Python's str.format, .NET's String.Format: ronicos/postgraphql-starter's
 * table generator renders `ALTER TABLE {0}.{1} ENABLE ROW LEVEL SECURITY`). Outside a string or a
 * dollar-quoted body, `{` is never PostgreSQL.
 */
const FORMAT_PLACEHOLDER = /\{(?:\d+|[A-Za-z_]\w*)\}/y;

/**
 * A Python DB-API placeholder: `%s`, `%(name)s` — what psycopg (paramstyle format / pyformat)
 * fills in with a parameter's value when a program runs a query file
 * (niledatabase/niledatabase's examples/ai/graph_rag_tours/graph_rag.sql, `ORDER BY embedding <=>
 * %s`, read and run by the example's Python). Looked at only where PostgreSQL's syntax error falls
 * on its `%`: a `%` PostgreSQL parses is its modulo operator.
 */
const DBAPI_PLACEHOLDER = /%(?:\([A-Za-z_]\w*\))?s(?![\w$])/y;

/** The end of the psql variable (`:name`), Go template action, Flyway, format or DB-API placeholder that starts at `at` of the file, if one does. */
function placeholderAt(run: ChunkRun, at: number): number | undefined {
  const { text } = run;
  if (text[at] === ':' && (run.clean[at] === '_' || run.clean[at] === "'")) {
    let k = at + 1;
    while (k < text.length && isIdentChar(text.charCodeAt(k))) k++;
    return k > at + 1 ? k : undefined;
  }
  if (text[at] === '{' && text[at + 1] === '{') {
    GO_ACTION.lastIndex = at;
    return GO_ACTION.test(text) ? GO_ACTION.lastIndex : undefined;
  }
  if (text[at] === '$' && text[at + 1] === '{') {
    FLYWAY_PLACEHOLDER.lastIndex = at;
    return FLYWAY_PLACEHOLDER.test(text) ? FLYWAY_PLACEHOLDER.lastIndex : undefined;
  }
  if (text[at] === '{') {
    FORMAT_PLACEHOLDER.lastIndex = at;
    return FORMAT_PLACEHOLDER.test(text) ? FORMAT_PLACEHOLDER.lastIndex : undefined;
  }
  if (text[at] === '%') {
    DBAPI_PLACEHOLDER.lastIndex = at;
    return DBAPI_PLACEHOLDER.test(text) ? DBAPI_PLACEHOLDER.lastIndex : undefined;
  }
  return undefined;
}

/**
 * The Go template action `at` is inside (not at its start), as [start, end]: one with a quoted
 * argument written in a quoted identifier, `"{{ index .Options "Namespace" }}".users` (gobuffalo
 * pop, supabase/auth's migrations), is lexed as `"{{ index .Options "`, then `Namespace`, where
 * PostgreSQL's error falls.
 */
function goActionAround(text: string, at: number): [number, number] | undefined {
  const k = text.lastIndexOf('{{', at);
  if (k < 0 || k === at || text.slice(k, at).includes('\n')) return undefined;
  GO_ACTION.lastIndex = k;
  return GO_ACTION.test(text) && GO_ACTION.lastIndex > at ? [k, GO_ACTION.lastIndex] : undefined;
}

const GO_ACTIONS = new RegExp(GO_ACTION.source, 'g');

/** `text` with each Go template action replaced by a name of the same length (`{{ .prefix }}` → `___prefix___`), else undefined when it has none. */
function goActionsAsNames(text: string): string | undefined {
  if (!text.includes('{{')) return undefined;
  const out = text.replace(GO_ACTIONS, (m) => m.replace(/[^A-Za-z0-9_]/g, '_'));
  return out === text ? undefined : out;
}

/**
 * The statement at `start` … `end` of the cleaned text (`sql`, failing with `error` at a
 * placeholder) parsed with names, then literals, put in for the placeholders PostgreSQL's error
 * falls on: its tree (run.clean then holds what was put in), PostgreSQL's error elsewhere, or
 * the span of a placeholder that is neither a name nor a literal (SQL text).
 */
function fillPlaceholders(
  run: ChunkRun,
  start: number,
  end: number,
  sql: string,
  error: ParseError,
): { tree: Node; sql: string } | { error: ParseError } | { unknown: Span } {
  let clean = run.clean;
  for (let tries = 0; tries < 16; tries++) {
    let at = error.start;
    let stop = placeholderAt(run, at);
    if (stop === undefined) {
      const around = goActionAround(run.text, at);
      if (!around) break;
      [at, stop] = around;
    }
    if (clean[at] === "'") return { unknown: { start: at, end: stop } };
    // a name first (a template's is made of its words, for messages: asWritten), then a literal
    const name = run.text.slice(at, stop).replace(/[^A-Za-z0-9_]/g, '_');
    const put = clean[at] === '_' ? `'${name.slice(1, -1)}'` : name;
    if (put === name && (run.text[at] === '{' || run.text[at] === '$')) (run.result.placeholders ??= new Map()).set(name.toLowerCase(), run.text.slice(at, stop));
    clean = clean.slice(0, at) + put + clean.slice(stop);
    sql = clean.slice(start, start + sql.length);
    try {
      const tree = pg.parseSync(sql);
      run.clean = clean;
      return { tree, sql };
    } catch (e) {
      error = syntaxError(clean, start, end, sql, e);
    }
  }
  run.clean = clean;
  return { error };
}

/**
 * A statement whose placeholder at `unknown` is SQL text: no error. When the placeholder is
 * alone on its line at the start of the statement (`:pgjwt_sql`), the statements on the next
 * lines are parsed (psql ends the interpolated script's statements by its semicolons, which we
 * cannot see); else the statement runs to its semicolon, and only statements that a missing
 * one joined to it are looked for.
 */
function skipUnknown(run: ChunkRun, ch: Chunk, start: number, end: number, unknown: Span, error: ParseError): void {
  if (unknown.start === start) {
    if (skipTrivia(run.clean, unknown.end, end) >= end) return;
    if (/^[ \t]*(?:--[^\n]*)?\r?\n/.test(run.clean.slice(unknown.end, end))) {
      const fresh = relex(run, unknown.end);
      if (fresh) adopt(run, fresh, 0);
      return;
    }
  }
  resumeAtNextStatement(run, ch, start, error, false);
}

function addTree(result: ParsedFile, clean: string, tree: Node, start: number, end: number, sql: string): void {
  const map = byteToUtf16Mapper(sql);
  for (const raw of tree.stmts ?? []) {
    const s0 = start + map(raw.stmt_location ?? 0);
    const e0 = raw.stmt_len ? start + map((raw.stmt_location ?? 0) + raw.stmt_len) : end;
    const { kind, node } = unwrap(raw.stmt);
    const s1 = skipTrivia(clean, s0, e0);
    const e1 = trimEnd(clean, s0, e0);
    try {
      relocate(node, (b) => start + map(b));
    } catch (e) {
      // (a statement too deep to analyse: left out, and said so)
      if (!(e instanceof TooDeep)) throw e;
      result.errors.push({ message: e.message, start: s1, end: Math.min(e1, s1 + 1), limit: true });
      continue;
    }
    addStatement(result, clean, kind, node, s1, e1, 'file');
  }
}

/** PostgreSQL's error for `sql` (the statement at `start` of `clean`), located in the file. */
function syntaxError(clean: string, start: number, end: number, sql: string, e: unknown): ParseError {
  const { message, cursor } = errorOf(e);
  // PostgreSQL's cursor counts characters of this statement; it is at the end for "end of input".
  let at = start;
  for (let cp = 0; cp < cursor && at < start + sql.length; cp++) {
    const c = sql.charCodeAt(at - start);
    at += c >= 0xd800 && c <= 0xdbff ? 2 : 1;
  }
  if (at >= start + sql.length) at = lastTokenStart(clean, start, end);
  return { message, start: at, end: tokenEnd(clean, at, start + sql.length) };
}

// ---------------------------------------------------------------------------------------
// Keywords newer than the PostgreSQL a project runs. libpg-query is PostgreSQL 18's parser: a word
// that became a keyword in 16, 17 or 18, or a more reserved one, is a name to an older
// PostgreSQL. ilhamsa1/deploy-vercel (Supabase, `[db] major_version = 15`) creates a function
// `json(uuid_ulid)` and a cast `WITH FUNCTION json(uuid_ulid)`: PostgreSQL 15.18 runs both, while
// PGlite (18) fails at the `(` after json, a keyword that cannot name a function since 17 (the
// SQL/JSON constructor JSON(); in 16 json is an unreserved keyword, which still can).

/**
 * The words src/include/parser/kwlist.h gained since PostgreSQL 15, with the version since which
 * each is the kind of keyword PostgreSQL 18 takes it for (compared, per version, with 15's
 * pg_get_keywords() and libpg_query's kwlist.h of 16 and 17, and PGlite's 18). 16: JSON_ARRAY(),
 * JSON_OBJECT() and their aggregates, IS JSON, SYSTEM_USER; 17: JSON(), JSON_SCALAR(),
 * JSON_SERIALIZE(), JSON_EXISTS(), JSON_QUERY(), JSON_VALUE(), JSON_TABLE() and merge_action()
 * (the release notes of 16 and 17, "SQL/JSON"); 18: ENFORCED, OBJECTS, PERIOD, VIRTUAL.
 */
/** An IF condition testing that no function of a name exists: `NOT EXISTS (SELECT 1 FROM pg_proc … WHERE proname = 'f')`. */
const NO_FUNCTION_TEST = /^\s*not\s+exists\s*\([\s\S]*\bpg_proc\b/i;

const NEWER_KEYWORDS: ReadonlyMap<string, number> = new Map([
  ...['absent', 'format', 'indent', 'json_array', 'json_arrayagg', 'json_object', 'json_objectagg', 'keys', 'scalar', 'system_user'].map((w) => [w, 16] as const),
  // (json: an unreserved keyword in 16, a COL_NAME one, which cannot name a function, since 17)
  ...['json', 'json_exists', 'json_query', 'json_scalar', 'json_serialize', 'json_table', 'json_value', 'merge_action'].map((w) => [w, 17] as const),
  ...['conditional', 'empty', 'error', 'keep', 'nested', 'omit', 'path', 'plan', 'quotes', 'source', 'string', 'target', 'unconditional'].map((w) => [w, 17] as const),
  ...['enforced', 'objects', 'period', 'virtual'].map((w) => [w, 18] as const),
]);

/**
 * `error` of the statement at `start` of `clean` (`length` characters), marked `newerKeyword` when
 * it falls on a word of NEWER_KEYWORDS, or on the token after one, and the statement parses with
 * those words quoted (lower-cased, as PostgreSQL folds an unquoted name): where the word is no
 * such keyword, PostgreSQL does not raise this error.
 */
function withNewerKeyword(clean: string, start: number, length: number, error: ParseError): ParseError {
  let sql = clean.slice(start, start + length);
  const words: string[] = [];
  let since = Infinity;
  let at = error.start - start;
  for (let tries = 0; tries < 8 && at >= 0 && at <= sql.length; tries++) {
    const word = newerKeywordAt(sql, at);
    if (!word) return error;
    const name = sql.slice(word.start, word.end).toLowerCase();
    words.push(name);
    since = Math.min(since, NEWER_KEYWORDS.get(name)!);
    sql = `${sql.slice(0, word.start)}"${name}"${sql.slice(word.end)}`;
    try {
      pg.parseSync(sql);
      return { ...error, newerKeyword: { words, since } };
    } catch (e) {
      // (another such word further on: quoted too)
      const next = syntaxError(sql, 0, sql.length, sql, e).start;
      if (next <= word.end + 2) return error;
      at = next;
    }
  }
  return error;
}

/** The unquoted word of NEWER_KEYWORDS at `at` of `sql`, or just before the token there. */
function newerKeywordAt(sql: string, at: number): Span | undefined {
  const wordAt = (end: number): Span | undefined => {
    let s = end;
    while (s > 0 && /[A-Za-z_]/.test(sql[s - 1]!)) s--;
    if (s === end || (s > 0 && /[\w$"\u0080-\uffff.]/.test(sql[s - 1]!)) || /[\w$"\u0080-\uffff]/.test(sql[end] ?? '')) return undefined;
    return NEWER_KEYWORDS.has(sql.slice(s, end).toLowerCase()) ? { start: s, end } : undefined;
  };
  const m = /^[A-Za-z_]+/.exec(sql.slice(at, at + 20));
  if (m) {
    const own = wordAt(at + m[0].length);
    if (own && own.start === at) return own;
  }
  let k = at;
  while (k > 0 && /\s/.test(sql[k - 1]!)) k--;
  return k < at || !m ? wordAt(k) : undefined;
}

// Recovery. A chunk that does not parse is what psql would send as one statement; while a
// statement is being typed that is often the broken statement and the ones after it (no `;`
// yet, an unclosed `(`, a function body whose closing `$$` is not written yet). PostgreSQL's
// error is kept for the broken statement; the statements after it are found again:

/** Keywords that start a statement: PostgreSQL's error at such a token, first on its line, means the statement before lacks its `;`. */
const STATEMENT_START =
  /(?:ABORT|ALTER|ANALYZE|BEGIN|CALL|CHECKPOINT|CLOSE|CLUSTER|COMMENT|COMMIT|COPY|CREATE|DEALLOCATE|DECLARE|DELETE|DISCARD|DO|DROP|END|EXECUTE|EXPLAIN|FETCH|GRANT|IMPORT|INSERT|LISTEN|LOAD|LOCK|MERGE|MOVE|NOTIFY|PREPARE|REASSIGN|REFRESH|REINDEX|RELEASE|RESET|REVOKE|ROLLBACK|SAVEPOINT|SECURITY|SELECT|SET|SHOW|START|TABLE|TRUNCATE|UNLISTEN|UPDATE|VACUUM|VALUES|WITH)\b/iy;
/**
 * Keywords that, at the start of a line, begin a top-level statement of a migration and
 * rarely a line of a statement or a function body (unlike SELECT, INSERT, BEGIN, SET, …).
 */
const STATEMENT_LINE = /(?:ALTER|COMMENT|COMMIT|COPY|CREATE|DO|DROP|GRANT|REASSIGN|REFRESH|REVOKE|ROLLBACK|TRUNCATE)\b/iy;

/**
 * The broken statement ends where the next one starts: at PostgreSQL's error when it is a
 * statement keyword first on its line (a missing `;`), else at the first line after the
 * error — or after the opening tag of a body being typed — that starts with a statement
 * keyword (quotes and comments skipped). The text from there is lexed again and must parse;
 * then the error is reported for the text before it, and parsing goes on from there.
 */
function resumeAtNextStatement(run: ChunkRun, ch: Chunk, start: number, error: ParseError, report = true): boolean {
  if (run.budget <= 0) return false;
  const { clean } = run;
  let at = -1;
  // a body being typed: the first line in it that starts with a statement keyword
  if (ch.openBody !== undefined && ch.openBody > start) at = statementLineAfter(clean, ch.openBody, ch.end, true);
  const e = error.start;
  if (at < 0 && e >= start && e < ch.end) {
    let line = e;
    while (line > start && clean[line - 1] !== '\n') line--;
    STATEMENT_START.lastIndex = e;
    STATEMENT_LINE.lastIndex = line;
    if (line > start && /^[ \t]*$/.test(clean.slice(line, e)) && STATEMENT_START.test(clean)) at = e;
    else if (line > start && STATEMENT_LINE.test(clean)) at = line;
    else at = statementLineAfter(clean, e, ch.end, false);
  }
  if (at < 0) return false;
  // Between an inner semicolon (an unclosed `(`) and `at` there may be more statements.
  const semi = ch.inner?.[0];
  if (semi !== undefined && semi < at && skipTrivia(clean, semi + 1, at) < at) return false;
  const fresh = relex(run, at);
  const first = fresh?.chunks[0];
  if (!fresh || !first) return false;
  const fStart = skipTrivia(fresh.clean, first.start, first.end);
  const fEnd = trimEnd(fresh.clean, fStart, first.end);
  const fSql = fresh.clean.slice(fStart, fresh.clean[first.end] === ';' ? first.end + 1 : fEnd);
  run.budget -= fSql.length;
  const tree = tryParseSql(fSql);
  if (!tree) return false;
  // PostgreSQL's error, unless it lies in the statement after (then the error of the text
  // before `at`); an unterminated body's error is taken up to `at`, not to the end of the file
  const own = error.start === at || (error.start < at && !error.message.startsWith('unterminated'));
  if (report) {
    const pushed = withNewerKeyword(clean, start, trimEnd(clean, start, at) - start, own ? error : brokenBefore(clean, start, at, error));
    run.result.errors.push(error.start === at && !pushed.newerKeyword ? unterminatedBefore(run, start, at, pushed) : pushed);
  }
  adopt(run, fresh, 1);
  addTree(run.result, fresh.clean, tree, fStart, fEnd, fSql);
  return true;
}

/**
 * The error PostgreSQL raises at the first word of the statement at `at` (a statement keyword
 * first on its line), marked `unterminated` when the text from `start` up to it parses on its
 * own: the statement before has no `;` (aws-saas-factory-postgresql-rls's `DO $$ … $$` blocks,
 * a Studio export's `$function$` followed by CREATE TRIGGER).
 */
function unterminatedBefore(run: ChunkRun, start: number, at: number, error: ParseError): ParseError {
  const { clean } = run;
  const from = skipTrivia(clean, start, at);
  let end = trimEnd(clean, from, at);
  // (the comment lines between it and the next statement: the `;` goes before them)
  for (;;) {
    const line = clean.lastIndexOf('\n', end - 1) + 1;
    if (line <= from || !/^[ \t]*--/.test(clean.slice(line, end))) break;
    end = trimEnd(clean, from, line);
  }
  if (end <= from || run.budget <= 0) return error;
  const sql = clean.slice(from, end);
  run.budget -= sql.length;
  // (it parses on its own, and a `;` right after it ends it: not inside a comment ending its last line)
  const tree = tryParseSql(`${sql};\nSELECT 1`);
  if (tree?.stmts?.length !== 2) return error;
  // (a PL/pgSQL body that does not parse: a `$$` inside a `$$` body closed it early, and the `;` would
  // not help — the DO block or function still fails (cal106: MC-2's DO $$ … cron.schedule(…, $$ SELECT … $$) … $$))
  if (plpgsqlBodyBroken(sql, tree.stmts[0]?.stmt)) return error;
  return { ...error, unterminated: { start: from, end } };
}

/**
 * Whether `stmt` (parsed from `sql`) is a DO block or a CREATE FUNCTION / PROCEDURE in PL/pgSQL
 * whose body PostgreSQL cannot parse (a syntax error, an unterminated or unbalanced body): it
 * would fail when run (a DO block) or when created (a function, check_function_bodies on).
 */
function plpgsqlBodyBroken(sql: string, stmt: Node | undefined): boolean {
  if (!stmt) return false;
  let createText: string | undefined;
  if (stmt.DoStmt) {
    const opts = defElems(stmt.DoStmt.args);
    const language = String(opts.get('language')?.arg?.String?.sval ?? 'plpgsql').toLowerCase();
    const body = opts.get('as')?.arg?.String?.sval;
    if (language !== 'plpgsql' || typeof body !== 'string') return false;
    createText = `CREATE FUNCTION pg_rls_lint_do() RETURNS void LANGUAGE plpgsql AS ${dollarQuoted(body)}`;
  } else if (stmt.CreateFunctionStmt) {
    const language = String(defElems(stmt.CreateFunctionStmt.options).get('language')?.arg?.String?.sval ?? '').toLowerCase();
    if (language !== 'plpgsql') return false;
    createText = sql;
  } else return false;
  try {
    pg.parsePlPgSQLSync(createText);
    return false;
  } catch (e) {
    // (only a syntax error is PostgreSQL's: libpg-query, without a catalog, fails on some types)
    if (!/syntax error|unterminated|end of function|mismatched parentheses/i.test(errorOf(e).message)) return false;
    const neutral = withoutUnknownTypes(createText);
    return neutral === undefined || tryParsePlpgsql(neutral) === undefined;
  }
}

/**
 * The error of the broken statement when PostgreSQL's lies in the statement after it (a
 * body's closing tag taken from a later body, a `x.` before the next line's keyword):
 * PostgreSQL's error for the text before, unless that text parses on its own.
 */
function brokenBefore(clean: string, start: number, at: number, error: ParseError): ParseError {
  const end = trimEnd(clean, start, at);
  const sql = clean.slice(start, end);
  try {
    pg.parseSync(sql);
  } catch (e) {
    return syntaxError(clean, start, end, sql, e);
  }
  return error;
}

/**
 * An unclosed `(` kept the semicolons after it inside this chunk (psql, too, would send
 * everything up to the end as one statement). Split there, so the broken statement is one
 * error and every statement after it is still parsed and linted.
 */
function splitAtInnerSemicolons(run: ChunkRun, ch: Chunk): boolean {
  if (!ch.inner?.length) return false;
  let at = ch.start;
  for (const semi of [...ch.inner, ch.end]) {
    // COPY … FROM stdin is followed by data, not SQL: lex again from that statement on
    if (at > ch.start && /^\s*copy\b[\s\S]*\bfrom\s+stdin\b/i.test(stripComments(run.clean.slice(at, semi)))) {
      const fresh = relex(run, at);
      if (fresh) {
        adopt(run, fresh, 0);
        return true;
      }
    }
    parseChunk(run, { start: at, end: semi }, false);
    at = semi + 1;
  }
  return true;
}

/**
 * Lexes again from `at` (a statement start) up to where the new lexing joins the pending
 * chunks (or to the end); undefined when recovery is over its budget.
 */
function relex(run: ChunkRun, at: number): { chunks: Chunk[]; clean: string; stop: number } | undefined {
  if (run.budget <= 0) return undefined;
  const fresh = lexFrom(run.text, at, (k) => run.starts.has(k), run.split);
  run.budget -= fresh.stop - at;
  let { clean } = run;
  if (fresh.clean !== clean.slice(at, fresh.stop)) {
    clean = clean.slice(0, at) + fresh.clean + clean.slice(fresh.stop);
    run.budget -= clean.length;
  }
  return { chunks: fresh.chunks, clean, stop: fresh.stop };
}

/** Makes a re-lexing current: its chunks (from the `from`-th) replace the pending ones it covers. */
function adopt(run: ChunkRun, fresh: { chunks: Chunk[]; clean: string; stop: number }, from: number): void {
  run.clean = fresh.clean;
  while (run.pending.length && run.pending[run.pending.length - 1]!.start < fresh.stop) run.starts.delete(run.pending.pop()!.start);
  for (let k = fresh.chunks.length - 1; k >= from; k--) {
    run.pending.push(fresh.chunks[k]!);
    run.starts.add(fresh.chunks[k]!.start);
  }
}

/**
 * The start of the first line after `from` (and before `end`) that begins with one of the
 * STATEMENT_LINE keywords, outside quotes and comments — or, in a body being typed (`plain`),
 * anywhere: its quotes and comments may be unfinished too. -1 if none.
 */
function statementLineAfter(text: string, from: number, end: number, plain: boolean): number {
  if (plain) {
    for (let k = text.indexOf('\n', from); k >= 0 && k + 1 < end; k = text.indexOf('\n', k + 1)) {
      STATEMENT_LINE.lastIndex = k + 1;
      if (STATEMENT_LINE.test(text)) return k + 1;
    }
    return -1;
  }
  let i = from;
  while (i < end) {
    const c = text[i]!;
    if (c === '\n') {
      STATEMENT_LINE.lastIndex = i + 1;
      if (i + 1 < end && STATEMENT_LINE.test(text)) return i + 1;
      i++;
    } else if (c === "'" || c === '"') {
      const escape = c === "'" && /[eE]/.test(text[i - 1] ?? '') && !IDENT_CHAR.test(text[i - 2] ?? ' ');
      i++;
      while (i < end && text[i] !== c) i += escape && text[i] === '\\' ? 2 : 1;
      if (i >= end) return -1;
      i++; // a doubled quote reads as two strings, which is the same here
    } else if (c === '$' && !IDENT_CHAR.test(text[i - 1] ?? ' ')) {
      const m = /^\$([A-Za-z_\u0080-\uffff][A-Za-z0-9_\u0080-\uffff]*)?\$/.exec(text.slice(i, i + 80));
      if (!m) {
        i++;
        continue;
      }
      const close = text.indexOf(m[0], i + m[0].length);
      if (close < 0 || close >= end) return -1;
      i = close + m[0].length;
    } else if (c === '-' && text[i + 1] === '-') {
      i = commentEnd(text, i, end);
      if (i >= end) return -1;
    } else if (c === '/' && text[i + 1] === '*') {
      i = blockCommentEnd(text, i, end);
      if (i < 0) return -1;
    } else i++;
  }
  return -1;
}

function lastTokenStart(text: string, start: number, end: number): number {
  let k = end;
  while (k > start && /\s/.test(text[k - 1]!)) k--;
  let j = k - 1;
  // identifier characters; every non-ASCII character is one (both halves of a surrogate pair)
  while (j > start && /[A-Za-z0-9_$\u0080-\uffff]/.test(text[j - 1]!)) j--;
  return Math.max(start, j);
}

function addStatement(
  result: ParsedFile,
  clean: string,
  kind: string,
  node: Node,
  start: number,
  end: number,
  origin: Statement['origin'],
): void {
  const stmt: Statement = { kind, node, start, end, origin };
  result.statements.push(stmt);
  try {
    if (kind === 'CreateFunctionStmt') {
      stmt.body = parseFunctionBody(clean, stmt);
      for (const e of stmt.body?.errors ?? []) result.errors.push(e);
      if (stmt.body?.dynamicExecutes.length && stmt.node?.parameters?.length) {
        const templates = callTemplatesOf(clean, stmt);
        if (templates) stmt.callTemplates = templates;
      }
    } else if (kind === 'DoStmt') {
      stmt.body = parseDoBody(clean, stmt);
      for (const e of stmt.body?.errors ?? []) result.errors.push(e);
      // Static statements of the DO block are replayed like top-level ones.
      for (const inner of stmt.body?.statements ?? []) {
        if (inner.origin !== 'do') continue;
        result.statements.push(inner);
        // (a function the block creates: its body is analysed as a top-level one's, where the
        // block is dollar-quoted and the function's text is in the file as written)
        if (inner.kind === 'CreateFunctionStmt' && !inner.body && dollarDo.test(clean.slice(stmt.start, stmt.end))) {
          inner.body = parseFunctionBody(clean, inner);
          for (const e of inner.body?.errors ?? []) result.errors.push(e);
        }
      }
    }
  } catch (e) {
    // (pg-rls-lint's failure, not PostgreSQL's: a body too deep to analyse, or worse)
    const message = e instanceof TooDeep ? `a statement of its body has a syntax tree nested more than ${MAX_TREE_DEPTH} levels deep` : `analysing its body failed (${errorOf(e).message})`;
    result.errors.push({ message, start, end: Math.min(end, start + 1), limit: true });
  }
}

/** What a body's statements may be for a call of it to be replayed: only the EXECUTEs change the schema. */
const CALL_STATIC = new Set(['SelectStmt', 'InsertStmt', 'UpdateStmt', 'DeleteStmt']);

/**
 * What a call of a PL/pgSQL function whose EXECUTEs build their statements from its parameters
 * runs (telehealth's `apply_tenant_rls(target regclass)`: `EXECUTE format('ALTER TABLE %s ENABLE ROW
 * LEVEL SECURITY', target)`, then a CREATE POLICY): the body analysed as a DO block's with each
 * parameter holding its placeholder, every EXECUTE made (materialize), and no other statement of
 * the body changing the schema. The replay runs them for a call with literal values
 * (`SELECT apply_tenant_rls('users')`, model.ts); undefined for a function of another shape.
 */
function callTemplatesOf(clean: string, fn: Statement): Statement['callTemplates'] {
  if (fn.node?.is_procedure) return undefined;
  const params: Node[] = (fn.node.parameters ?? []).map((x: Node) => x?.FunctionParameter);
  const bound = new Map<string, string>();
  for (let i = 0; i < params.length; i++) {
    const p = params[i];
    const mode = p?.mode;
    if (typeof p?.name !== 'string' || p.defexpr || (mode !== undefined && mode !== 'FUNC_PARAM_IN' && mode !== 'FUNC_PARAM_DEFAULT')) return undefined;
    // (a regclass prints as regclass does)
    const regclass = nameParts(p.argType?.names).pop()?.toLowerCase() === 'regclass';
    bound.set(p.name.toLowerCase(), `'${argPlaceholder(i)}'${regclass ? '::regclass' : ''}`);
  }
  const body = parseFunctionBody(clean, fn, bound);
  if (!body || body.language !== 'plpgsql' || body.errors.length || body.lexical || !body.dynamicExecutes.every((d) => d.materialized)) return undefined;
  const templates: Statement[] = [];
  for (const s of body.statements) {
    if (s.origin !== 'do') continue;
    if (!s.dynamic) {
      if (CALL_STATIC.has(s.kind)) continue;
      return undefined;
    }
    if (s.kind === CATALOG_LOOP_KIND || s.kind === 'CreateFunctionStmt') return undefined;
    templates.push(s);
  }
  return templates.length ? { params: params.length, templates } : undefined;
}

// ---------------------------------------------------------------------------------------
// Function and DO bodies

export function defElems(options: Node[] | undefined): Map<string, Node> {
  const m = new Map<string, Node>();
  for (const o of options ?? []) if (o?.DefElem) m.set(o.DefElem.defname, o.DefElem);
  return m;
}

interface BodyText {
  /** the body as PostgreSQL sees it (quotes undone) */
  text: string;
  /** UTF-16 offset in `text` → UTF-16 offset in the file */
  toFile: (i: number) => number;
  start: number;
  end: number;
  /** where the literal's opening quote (`$tag$`, `'`, `E'`) starts and its closing quote ends */
  open: number;
  close: number;
  /** dollar-quoted: `text` is the file's text at `start` as written (toFile adds `start`) */
  verbatim?: true;
}

/** Finds the string literal that starts at or after `from` and returns its content. */
function findBodyLiteral(clean: string, from: number, limit: number): BodyText | undefined {
  let i = skipTrivia(clean, from, limit);
  // skip the AS keyword if we were pointed at it
  if (/^as\b/i.test(clean.slice(i, i + 3))) i = skipTrivia(clean, i + 2, limit);
  if (clean[i] === '$') {
    const m = /^\$([A-Za-z_\u0080-\uffff][A-Za-z0-9_\u0080-\uffff]*)?\$/.exec(clean.slice(i, i + 80));
    if (!m) return undefined;
    const s = i + m[0].length;
    const e = clean.indexOf(m[0], s);
    if (e < 0) return undefined;
    return { text: clean.slice(s, e), toFile: (k) => s + k, start: s, end: e, open: i, close: e + m[0].length, verbatim: true };
  }
  let escape = false;
  const open = i;
  if (/[eE]/.test(clean[i] ?? '') && clean[i + 1] === "'") {
    escape = true;
    i++;
  }
  if (clean[i] !== "'") return undefined;
  const s = i + 1;
  const offsets: number[] = [];
  let text = '';
  let k = s;
  while (k < limit) {
    if (clean[k] === "'" && clean[k + 1] === "'") {
      offsets.push(k);
      text += "'";
      k += 2;
    } else if (clean[k] === "'") break;
    else if (escape && clean[k] === '\\' && k + 1 < limit) {
      offsets.push(k);
      text += clean[k + 1];
      k += 2;
    } else {
      offsets.push(k);
      text += clean[k];
      k++;
    }
  }
  offsets.push(k);
  return { text, toFile: (x) => offsets[Math.max(0, Math.min(x, offsets.length - 1))]!, start: s, end: k, open, close: Math.min(k + 1, limit) };
}

/** A DO statement whose block is dollar-quoted (`DO $$ … $$`, `DO LANGUAGE plpgsql $body$ … $body$`). */
const dollarDo = /^\s*do\s+(?:language\s+\S+\s+)?\$[A-Za-z_0-9]*\$/i;

function parseFunctionBody(clean: string, stmt: Statement, bound?: ReadonlyMap<string, string>): FunctionBody | undefined {
  const opts = defElems(stmt.node.options);
  const language = String(opts.get('language')?.arg?.String?.sval ?? 'sql').toLowerCase();
  // SQL-standard bodies (BEGIN ATOMIC … END / RETURN expr) are already parsed in place.
  if (stmt.node.sql_body) {
    const inner = collectSqlBody(stmt.node.sql_body);
    return {
      language,
      start: stmt.start,
      end: stmt.end,
      statements: inner.map((n) => ({ ...unwrap(n), start: stmt.start, end: stmt.end, origin: 'file' as const })),
      dynamicExecutes: [],
      errors: [],
    };
  }
  const as = opts.get('as');
  if (!as) return undefined;
  const items = as.arg?.List?.items ?? [];
  if (items.length !== 1) return { language, start: stmt.start, end: stmt.end, statements: [], dynamicExecutes: [], errors: [] };
  const lit = findBodyLiteral(clean, as.location ?? stmt.start, stmt.end);
  if (!lit) return { language, start: stmt.start, end: stmt.end, statements: [], dynamicExecutes: [], errors: [] };
  if (language === 'sql') return parseSqlBody(lit, language);
  if (language === 'plpgsql') {
    const before = clean.slice(stmt.start, lit.open);
    const after = clean.slice(lit.close, stmt.end);
    // (run by a call, `bound`: as a DO block whose variables the parameters are, with the call's values)
    return parsePlpgsqlBody(lit, clean.slice(stmt.start, stmt.end), language, bound ? 'do' : 'function', (b) => before + dollarQuoted(b) + after, bound);
  }
  return { language, start: lit.start, end: lit.end, statements: [], dynamicExecutes: [], errors: [] };
}

function collectSqlBody(sqlBody: Node): Node[] {
  // RETURN expr → ReturnStmt; BEGIN ATOMIC → List of List of statements
  const out: Node[] = [];
  const walk = (n: Node) => {
    if (!n || typeof n !== 'object') return;
    if (Array.isArray(n)) return n.forEach(walk);
    if (n.List) return walk(n.List.items);
    out.push(n);
  };
  walk(sqlBody);
  return out;
}

function parseSqlBody(lit: BodyText, language: string): FunctionBody {
  const body: FunctionBody = { language, start: lit.start, end: lit.end, statements: [], dynamicExecutes: [], errors: [] };
  if (!/\S/.test(lit.text)) return body;
  const map = byteToUtf16Mapper(lit.text);
  let tree: Node;
  try {
    tree = pg.parseSync(lit.text);
  } catch (e) {
    const { message, cursor } = errorOf(e);
    const inBody = cursor >= 0 ? codePointToUtf16Mapper(lit.text)(cursor) : 0;
    const at = lit.toFile(inBody);
    body.errors.push({ message: `in function body: ${message}`, start: at, end: at + tokenEnd(lit.text, inBody, lit.text.length) - inBody });
    return body;
  }
  for (const raw of tree.stmts ?? []) {
    const { kind, node } = unwrap(raw.stmt);
    relocate(node, (b) => lit.toFile(map(b)));
    const s = lit.toFile(map(raw.stmt_location ?? 0));
    const e = raw.stmt_len ? lit.toFile(map((raw.stmt_location ?? 0) + raw.stmt_len)) : lit.end;
    body.statements.push({ kind, node, start: s, end: e, origin: 'file' });
  }
  return body;
}

function parseDoBody(clean: string, stmt: Statement): FunctionBody | undefined {
  const opts = defElems(stmt.node.args);
  const language = String(opts.get('language')?.arg?.String?.sval ?? 'plpgsql').toLowerCase();
  const as = opts.get('as');
  if (!as || language !== 'plpgsql') return undefined;
  // DO [LANGUAGE x] 'body' — the AS DefElem location points at the literal
  const lit = findBodyLiteral(clean, as.location ?? stmt.start, stmt.end);
  if (!lit) return undefined;
  const withBody = (b: string) => `CREATE FUNCTION pg_rls_lint_do() RETURNS void LANGUAGE plpgsql AS ${dollarQuoted(b)}`;
  return parsePlpgsqlBody(lit, withBody(lit.text), language, 'do', withBody);
}

const ASSIGN_RE = /^\s*[A-Za-z_][\w$.]*(\s*\[[^\]]*\])*\s*(:=|=)/;

/**
 * Parses a PL/pgSQL body: every embedded SQL statement or expression is parsed as SQL and
 * located in the file by searching its text forward from the previous one.
 */
function parsePlpgsqlBody(lit: BodyText, createText: string, language: string, kind: 'function' | 'do', withBody: (body: string) => string, bound?: ReadonlyMap<string, string>): FunctionBody {
  const body: FunctionBody = { language, start: lit.start, end: lit.end, statements: [], dynamicExecutes: [], errors: [] };
  let tree: Node;
  try {
    tree = pg.parsePlPgSQLSync(createText);
  } catch (e) {
    // Without a catalog, libpg-query takes a type it does not know (a domain, citext, an
    // extension's type) for a row type: `FOR a, b IN …` with such an `a` is then "a syntax
    // error", and `RETURNS citext[]` is "record[]". When the function parses with those types
    // read as text, the error was the catalog's, not PostgreSQL's: that parse is analysed.
    const neutral = withoutUnknownTypes(createText);
    const retried = neutral === undefined ? undefined : tryParsePlpgsql(neutral);
    if (retried) return analysePlpgsql(retried, lit, body, kind, bound);
    // A migration tool's Go template actions in the body (tern, gobuffalo pop: `CREATE TYPE
    // {{ index .Options "Namespace" }}.factor_type …` in a DO block) are rendered before
    // PostgreSQL sees it: the body is analysed with names of the same length in their place.
    const rendered = goActionsAsNames(lit.text);
    if (rendered !== undefined) return parsePlpgsqlBody({ ...lit, text: rendered }, withBody(rendered), language, kind, withBody, bound);
    const { message } = errorOf(e);
    // libpg-query parses PL/pgSQL without a catalog: errors such as `"x" is not a scalar
    // variable` (a variable of a user-defined type) are not errors PostgreSQL would raise.
    // Only syntax errors are reported; otherwise the body's SQL is found lexically.
    if (/syntax error|unterminated|end of function|mismatched parentheses/i.test(message)) {
      body.errors.push({ message: `in PL/pgSQL body: ${message}`, ...plpgsqlErrorSpan(lit, withBody, message) });
    } else {
      body.lexical = true;
      scanPlpgsqlLexically(lit, body);
    }
    return body;
  }
  return analysePlpgsql(tree, lit, body, kind, bound);
}

/** `body` in dollar quotes whose tag it does not contain. */
function dollarQuoted(body: string): string {
  let tag = '$pg_rls_lint$';
  for (let i = 0; body.includes(tag); i++) tag = `$pg_rls_lint${i}$`;
  return tag + body + tag;
}

/**
 * Where PostgreSQL puts a PL/pgSQL body's syntax error, in the file. libpg-query's PL/pgSQL
 * parser gives the message only; PostgreSQL points at the token it quotes (`at or near "x"`),
 * or at the body's closing quote (`at end of input`). The token is one of the places the body
 * has its text: the first of them such that the body up to the next one fails with the same
 * message (a parser stops at its first error: a part of the body that reaches the offending
 * token and the tokens it looks ahead at fails there, a shorter one elsewhere). Each part is
 * closed with `;`, so that an expression PL/pgSQL hands whole to the SQL parser
 * (`x := foo(1 2) + 2;`) fails at its own token rather than at its statement's end. A text the
 * body has once costs no parse; n places, about log2(n) parses (of broken bodies only). When
 * the body does not have the text, its first token, as before.
 */
function plpgsqlErrorSpan(lit: BodyText, withBody: (body: string) => string, message: string): Span {
  const { text } = lit;
  const near = /\bat or near "([\s\S]*)"$/.exec(message)?.[1];
  if (near === undefined && /at end of input|end of function/i.test(message)) {
    const at = /at end of input/i.test(message) ? expressionCutShort(text, withBody, message) : undefined;
    if (at !== undefined) return { start: lit.toFile(at), end: lit.toFile(at + 1) };
    return { start: lit.end, end: Math.max(lit.end + 1, lit.close) };
  }
  const places: number[] = [];
  if (near) for (let i = text.indexOf(near); i >= 0; i = text.indexOf(near, i + 1)) places.push(i);
  if (places.length === 0) return { start: lit.toFile(0), end: Math.min(lit.end, lit.toFile(tokenEnd(text, 0, text.length))) };
  const at = (i: number): Span => ({ start: lit.toFile(places[i]!), end: lit.toFile(places[i]! + near!.length) });
  if (places.length === 1) return at(0);
  const failsSo = (part: string) => {
    try {
      pg.parsePlPgSQLSync(withBody(part));
      return false;
    } catch (e) {
      return errorOf(e).message === message;
    }
  };
  // (without the `;`, the whole body: it fails so by definition)
  const suffix = near !== ';' && failsSo(`${text}\n;`) ? '\n;' : '';
  // (a part cut inside parentheses is closed before its `;`: PL/pgSQL reads a statement to its
  // `;` counting them, and would fail with "mismatched parentheses" before the SQL parser reaches
  // the error the part holds: `… (SELECT … WHERE a WHERE b) x CROSS JOIN (SELECT … WHERE c) y`)
  const part = (end: number) => {
    const head = text.slice(0, end);
    return suffix ? head + closersOf(head) + suffix : head;
  };
  let lo = 0;
  let hi = places.length - 1;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (failsSo(part(places[mid + 1]!))) hi = mid;
    else lo = mid + 1;
  }
  return at(lo);
}

/**
 * The `;` of a PL/pgSQL statement whose SQL expression or query ends too soon (`RETURN 1 +;`,
 * `x := a ||;`, `PERFORM … FROM;`): PL/pgSQL hands the text before its `;` to the SQL parser,
 * which fails "at end of input" there, and PostgreSQL points at that `;` — not at the body's
 * closing quote, where a body the PL/pgSQL grammar itself finds unfinished (no END) fails.
 * It is the first `;` (outside literals and comments) before which a name completes the body:
 * with it the body parses, or fails with another syntax error that is not at that name. Before
 * an earlier `;` the name fails at itself or leaves the error as it was (`RETURN x name;` reads
 * it as an alias). Undefined when no `;` is so: the error is the grammar's, at the end.
 */
function expressionCutShort(text: string, withBody: (body: string) => string, message: string): number | undefined {
  const name = 'pg_rls_lint_completes';
  // (only a `;` after a token an expression cannot end with — an operator, a comma, an open
  // parenthesis, a keyword awaiting more — is tried, and at most 64 of them: a body being typed
  // without its END fails so too, and is parsed again once per such `;`, not once per statement)
  let tries = 0;
  for (const at of semicolonsOf(text)) {
    if (!CUT_SHORT.test(text.slice(Math.max(0, at - 40), at).trimEnd())) continue;
    if (++tries > 64) break;
    try {
      pg.parsePlPgSQLSync(withBody(`${text.slice(0, at)} ${name}${text.slice(at)}`));
      return at;
    } catch (e) {
      const m = errorOf(e).message;
      if (m !== message && !m.includes(name) && /syntax error|mismatched parentheses/i.test(m)) return at;
    }
  }
  return undefined;
}

/** The end of a text that an SQL expression or query cannot end with (it awaits an operand or a clause). */
const CUT_SHORT = /(?:[-+*\/<>=~!@#%^&|`?,(]|\b(?:select|from|where|and|or|not|set|values|by|on|join|in|is|then|else|when|case|as|into|returning|having|limit|offset|like|ilike|between|distinct|union|except|intersect|all|any|some|with|using|update|delete|insert|perform|return|array|row|cast|interval|filter|over|partition|order|group))$/i;

/**
 * Calls `f` with each character of `sql` outside its string literals, quoted identifiers,
 * comments and dollar quotes, and its offset, until `f` returns false. False when `sql` ends
 * inside one of those or `f` stopped, true otherwise.
 */
function eachCodeChar(sql: string, f: (c: string, i: number) => boolean | void): boolean {
  let i = 0;
  const n = sql.length;
  while (i < n) {
    const c = sql[i]!;
    if (c === "'" || c === '"') {
      const close = sql.indexOf(c, i + 1);
      if (close < 0) return false;
      i = close + 1; // ('' and "" inside: two quotes in a row, read as two literals)
    } else if (c === '-' && sql[i + 1] === '-') {
      const nl = sql.indexOf('\n', i);
      if (nl < 0) return false;
      i = nl + 1;
    } else if (c === '/' && sql[i + 1] === '*') {
      const close = sql.indexOf('*/', i + 2);
      if (close < 0) return false;
      i = close + 2;
    } else if (c === '$' && !/[\w$]/.test(sql[i - 1] ?? '')) {
      const tag = /^\$(?:[A-Za-z_\u0080-\uffff][\w\u0080-\uffff]*)?\$/.exec(sql.slice(i, i + 64))?.[0];
      if (!tag) {
        i++;
        continue;
      }
      const close = sql.indexOf(tag, i + tag.length);
      if (close < 0) return false;
      i = close + tag.length;
    } else {
      if (f(c, i) === false) return false;
      i++;
    }
  }
  return true;
}

/** The offsets of the `;`s of `sql` outside its string literals, quoted identifiers, comments and dollar quotes (those before where one of them is left open). */
function semicolonsOf(sql: string): number[] {
  const out: number[] = [];
  eachCodeChar(sql, (c, i) => {
    if (c === ';') out.push(i);
  });
  return out;
}

/**
 * What closes the parentheses and brackets left open at the end of `sql`, in order (`)]` …),
 * outside its string literals, quoted identifiers, comments and dollar quotes; '' when it ends
 * inside one of those, or closes more than it opens (nothing to add that would help).
 */
function closersOf(sql: string): string {
  const open: string[] = [];
  const whole = eachCodeChar(sql, (c) => {
    if (c === '(') open.push(')');
    else if (c === '[') open.push(']');
    else if ((c === ')' || c === ']') && open.pop() !== c) return false;
  });
  return whole ? open.reverse().join('') : '';
}

/** Where a query of a PL/pgSQL body is in the body's text: `at`…`end`, and `to` maps an offset of the query's text to the body's. */
interface Placed {
  at: number;
  end: number;
  to: (q: number) => number;
}

/** White space, then the keyword INTO (sticky: tested at `lastIndex`). */
const INTO_NEXT = /\s*INTO\b/iy;
const INTO_AT = / *INTO\b/iy;

/**
 * The first place at or after `from` where `text` has the query text `needle` that PL/pgSQL keeps
 * for a statement of a body: its text as it is, except for a SQL statement with INTO (`into`).
 * PL/pgSQL's parser (make_execsql_stmt) hands such a statement to the SQL parser with its INTO
 * clause, from INTO to the next token, replaced by a space per byte (`SELECT role INTO v_role FROM
 * …` is kept as `SELECT role             FROM …`), and drops the white space the text ends with (INTO
 * written last: the text ends before it). So a run of spaces of `needle` may stand for spaces,
 * then INTO and what follows it, of as many UTF-8 bytes as the run has spaces (the clause's
 * UTF-16 length may differ: `to` shifts the offsets after it), with the rest of `needle` right
 * after; and a text found as it is must be followed by INTO. Exact: the run stands for an INTO
 * clause only where the body has one, and one only (PostgreSQL refuses a second).
 */
function placeIn(text: string, needle: string, from: number, into: boolean): Placed | undefined {
  if (!needle) return from <= text.length ? { at: from, end: from, to: (q) => from + q } : undefined;
  // (runs of spaces an INTO clause may have been: `INTO x` is 6 bytes, and one is never last)
  const runs = into ? [...needle.matchAll(/ {6,}/g)].filter((r) => r.index! + r[0].length < needle.length) : [];
  const anchor = runs.length ? needle.slice(0, runs[0]!.index!) : needle;
  const at = (k: number): Placed | undefined => {
    if (text.startsWith(needle, k)) {
      INTO_NEXT.lastIndex = k + needle.length;
      if (!into || INTO_NEXT.test(text)) return { at: k, end: k + needle.length, to: (q) => k + q };
    }
    for (const r of runs) {
      const s = r.index!;
      const bytes = r[0].length;
      // (the runs before it are as written)
      if (!text.startsWith(needle.slice(0, s), k)) return undefined;
      const j = k + s;
      INTO_AT.lastIndex = j;
      if (!INTO_AT.test(text)) continue;
      let e = j;
      let b = 0;
      while (b < bytes && e < text.length) {
        const c = text.codePointAt(e)!;
        b += c < 0x80 ? 1 : c < 0x800 ? 2 : c < 0x10000 ? 3 : 4;
        e += c > 0xffff ? 2 : 1;
      }
      const tail = needle.slice(s + bytes);
      if (b !== bytes || !text.startsWith(tail, e)) return undefined;
      const shift = e - j - bytes;
      const after = s + bytes;
      return { at: k, end: e + tail.length, to: (q) => (q < after ? Math.min(k + q, e) : k + q + shift) };
    }
    return undefined;
  };
  for (let k = text.indexOf(anchor, from); k >= 0; k = text.indexOf(anchor, k + 1)) {
    const p = at(k);
    if (p) return p;
  }
  return undefined;
}

/**
 * Whether a PL/pgSQL node is a FOR loop over a query (`FOR r IN SELECT …`, `FOR r IN EXECUTE …`,
 * `FOR r IN cur(…)`), to which libpg-query gives its `body` before its query.
 */
function loopOverQuery(n: Node): boolean {
  return 'body' in n && ('query' in n || 'argquery' in n);
}

/** A loopOverQuery node's keys in the order their parts are written: its body last. */
function inTextOrder(n: Node): string[] {
  const keys = Object.keys(n);
  const i = keys.indexOf('body');
  return [...keys.slice(0, i), ...keys.slice(i + 1), 'body'];
}

/** The SQL statements and expressions of a parsed PL/pgSQL body, located in the file. */
function analysePlpgsql(tree: Node, lit: BodyText, body: FunctionBody, kind: 'function' | 'do', bound?: ReadonlyMap<string, string>): FunctionBody {
  let cursor = 0;
  // Where a query's text is in the body: from the end of the previous one on, else the first
  // place it is, else where the previous one ended.
  const locate = (needle: string, into = false): Placed => {
    const found = placeIn(lit.text, needle, cursor, into);
    if (found) {
      cursor = found.end;
      return found;
    }
    const last = cursor;
    return placeIn(lit.text, needle, 0, into) ?? { at: last, end: last + needle.length, to: (q) => last + q };
  };
  // Visits a node's parts with `each`, a loopOverQuery's in the order written (its query is then
  // located before its body's statements, not after them); the statements of its query are then
  // put back after those of its body, where PL/pgSQL sets FOUND, when the loop ends (the order
  // definer-check-fails-open goes by).
  const inLoopOrder = (v: Node, each: (k: string) => void): void => {
    if (!loopOverQuery(v)) {
      for (const k of Object.keys(v)) each(k);
      return;
    }
    const from = body.statements.length;
    let bodyFrom = from;
    for (const k of inTextOrder(v)) {
      if (k === 'body') bodyFrom = body.statements.length;
      each(k);
    }
    if (bodyFrom > from) body.statements.push(...body.statements.splice(from, bodyFrom - from));
  };
  // conditions of the EXCEPTION clauses around the statements being visited
  let caught: string[] = [];
  // the blocks with an EXCEPTION clause whose body (tries) or handler (handlers) the statements being visited are in, innermost first, numbered in the body
  let tries: Array<{ block: number; conds: string[][] }> = [];
  let handlers: Array<{ block: number; branch: number }> = [];
  let blocks = 0;
  // the variables of the INTO clause of the statement being visited, and whether it is INTO STRICT
  let into: string[] | undefined;
  let intoStrict = false;
  // visiting the query of a SQL statement with INTO, whose text PL/pgSQL keeps without it (placeIn)
  let sqlInto = false;
  // the variables of the FOR loop whose query is being visited (Statement.loopInto)
  let loopInto: string[] | undefined;
  // visiting the condition of an IF (or ELSIF) whose branch raises an error, or only reports (inertIf)
  let raisesIf = false;
  let returnsIf = false;
  let inertIf = false;
  // visiting the arguments of a RAISE below ERROR
  let reported = false;
  // what the conditions of the IF (and ELSIF) branches around the statements being visited read
  let guard: IfGuard | undefined;
  // the IF branches around the statements being visited (Statement.arms), whether a branch's condition is visited, and the IFs numbered so far
  let arms: number[] = [];
  let armCond = false;
  let ifs = 0;
  // in the THEN branch of `IF NOT EXISTS (… pg_proc …)` (Statement.whenNoFunction)
  let whenNoFunction = false;
  // where the body's lines start (a FETCH's place: PL/pgSQL keeps only its line number)
  let starts: number[] | undefined;
  // visiting the query of a cursor (Statement.opens): OPEN cur FOR …, or a bound cursor's declaration
  let opening: string | undefined;
  // the bound cursors declared so far (lower-case names): their query, and where its search started (a `FOR r IN cur` runs it)
  const declaredCursors = new Map<string, { query: string; parseMode: number; from: number }>();
  // in a loop or a CASE statement, or after a statement of its list that may leave it (Statement.mayNotRun)
  let mayNotRun = 0;
  const regions = new WeakSet<object>();
  /** `placed`: where `query` is in the body, when the caller located it (an EXECUTE's string: an expression, not an assignment). */
  const addExpr = (query: string, parseMode: number, stmtType: string, placed?: Placed) => {
    let sql = query;
    let searchText = query;
    let prefix = 0;
    let assigns = into;
    if (stmtType === 'PLpgSQL_stmt_perform' && /^SELECT /.test(query)) {
      searchText = query.slice(7);
      prefix = 7;
    } else if (parseMode !== 0) {
      let expr = query;
      const m = parseMode >= 3 ? ASSIGN_RE.exec(query) : null;
      if (m) {
        expr = query.slice(m[0].length);
        assigns = [/^\s*([A-Za-z_][\w$]*)/.exec(m[0])![1]!.toLowerCase()];
      }
      searchText = expr.trim();
      sql = `SELECT ${searchText}`;
      prefix = 7;
    }
    // (the query's text: located once, an EXECUTE's string by its caller; PL/pgSQL keeps a
    // statement's without its INTO clause, sqlInto)
    const lead = placed ? query.length - query.trimStart().length : 0;
    const place: Placed = placed ? { at: placed.at + lead, end: placed.end, to: (q) => placed.to(lead + q) } : locate(searchText, sqlInto && parseMode === 0);
    const at = place.at;
    const parsed = tryParseSql(sql);
    if (!parsed) return undefined; // PL/pgSQL itself accepted it; don't second-guess odd forms
    const map = byteToUtf16Mapper(sql);
    const out: Statement[] = [];
    for (const raw of parsed.stmts ?? []) {
      const { kind: k, node } = unwrap(raw.stmt);
      relocate(node, (b) => lit.toFile(Math.max(at, place.to(map(b) - prefix))));
      out.push({
        kind: k,
        node,
        start: lit.toFile(at),
        end: lit.toFile(place.to(searchText.length)),
        origin: kind === 'do' && parseMode === 0 && stmtType === 'PLpgSQL_stmt_execsql' ? 'do' : 'file',
        ...(caught.length ? { caught } : {}),
        // (lists never changed once made: a block's visit makes new ones)
        ...(tries.length ? { tries } : {}),
        ...(handlers.length ? { handlerOf: handlers } : {}),
        ...(assigns ? { assigns } : {}),
        ...(intoStrict && assigns === into ? { intoStrict } : {}),
        ...(FOUND_SETTERS.has(stmtType) || (stmtType === 'PLpgSQL_stmt_execsql' && ((into && assigns === into) || DATA_CHANGES.has(k))) ? { setsFound: true as const } : {}),
        ...(loopInto ? { loopInto } : {}),
        ...(raisesIf ? { raisesIf } : {}),
        ...(returnsIf ? { returnsIf } : {}),
        ...(inertIf ? { inertIf } : {}),
        ...(guard ? { guard } : {}),
        ...(arms.length ? { arms: [...arms] } : {}),
        ...(armCond ? { armCond } : {}),
        ...(mayNotRun ? { mayNotRun: true as const } : {}),
        ...(reported || stmtType === 'PLpgSQL_stmt_return' ? { reported: true } : {}),
        ...(reported ? { notice: true as const } : {}),
        ...(opening ? { opens: opening } : {}),
      });
    }
    return out;
  };
  // visiting an EXECUTE that a loop over a literal array runs for each of its values
  let each: DynamicExecute['each'];
  // (a DO block's `FOR a, b IN SELECT … FROM (VALUES …) LOOP`: the values each EXECUTE of its body,
  // or of an IF branch there whose condition compares a loop variable with strings, runs for — the
  // rows it runs in — keyed by the EXECUTE's node: rowLoopExecutes)
  const rowEach = new WeakMap<object, NonNullable<DynamicExecute['each']>>();
  // In a DO block: the text of the value each variable certainly holds where the visit is (an
  // assignment `predicate := format('EXISTS (… %I.org_id …)', t)` not under an IF, a CASE or a
  // block with an EXCEPTION clause; or its declaration's default), for the EXECUTEs that use it
  // (LanternOps/breeze's `EXECUTE format('CREATE POLICY … USING (%s)', t, predicate)`); UNKNOWN
  // once anything else may have set it.
  // (a function's parameters, for the statements a call of it runs: their placeholders, callTemplatesOf)
  const known = new Map<string, string>(bound);
  const datums: Node[] = tree.plpgsql_funcs?.[0]?.PLpgSQL_function?.datums ?? [];
  let uncertain = 0;
  const setKnown = (varno: unknown, query: unknown) => {
    const name = typeof varno === 'number' ? datums[varno]?.PLpgSQL_var?.refname : undefined;
    if (typeof name !== 'string') return;
    const m = typeof query === 'string' ? ASSIGN_RE.exec(query) : null;
    known.set(name.toLowerCase(), uncertain === 0 && m ? (query as string).slice(m[0].length) : UNKNOWN);
  };
  // (what a statement of a loop or a conditional assigns is not certain after it, nor before it
  // in a loop: the iteration before may have set it)
  const forgetAssigned = (n: Node) => {
    for (const name of assignedIn(n, datums)) known.set(name, UNKNOWN);
  };
  const wrapped = new WeakSet<object>();
  const declaredType = (name: string): unknown => datums.find((d) => d?.PLpgSQL_var?.refname?.toLowerCase() === name)?.PLpgSQL_var?.datatype?.PLpgSQL_type?.typname;
  const valueText = (name: string): string | undefined => {
    const t = known.get(name);
    return t === UNKNOWN ? undefined : t;
  };
  // A DO block's EXECUTE of policy DDL it is certain of is replayed like a static statement of
  // the block, located at its string: a constant string (tetsos' `EXECUTE 'DROP POLICY "b" ON
  // public.employees'`), or format() of a constant pattern with the loop variable or constants
  // (finvy's `FOREACH table_name IN ARRAY ARRAY['accounts', …] LOOP EXECUTE format('CREATE POLICY
  // "%s_delete" ON public.%s …', table_name, table_name)`; also with variables whose value is
  // certain there, `known`), once per value of the loop; oppsera's
  // `IF NOT EXISTS (… pg_policies …) THEN EXECUTE 'CREATE POLICY …'`s as the static statements
  // under such an IF. Its nodes are where the string has their text; the statement's text is not
  // in the file: the statements are marked `dynamic` (the engine keeps a fix only where it edits their strings).
  // (the loops being visited hold the EXECUTEs to replay per value, in the loop's order)
  let pending: Array<(value: string) => Statement[]> | undefined;
  // visiting an EXECUTE of a loop over the tables the catalog lists (catalog-loops.ts), and the
  // templates that loop's EXECUTEs make, in its order
  let inCatalog: CatalogEach | undefined;
  let catalogPending: Statement[] | undefined;
  // visiting a loop of a catalog loop's body over pg_policies dropping each policy of the loop's
  // table (policyDropAllOf): its EXECUTE, and the catalog loop's templates, where it stands for one
  let droppingAll: { exec: Node; schema: string; into: Statement[] } | undefined;
  const materialize = (q: string, at: number, loop: DynamicExecute['each'], catalog?: CatalogEach): boolean => {
    const src = catalog
      ? dynamicSql(q, catalog.scalar, valueText, false, catalog.record, catalog.loop.fields)
      : dynamicSql(q, loop?.variable, valueText, !!loop && declaredType(loop.variable) === 'regclass');
    if (!src) return false;
    const quote = lit.toFile(at + src.quote);
    const end = lit.toFile(at + q.length);
    // (where its text is written as it is in the file, each offset where its character is: a fix
    // may edit it there, escaped for the string's quoting)
    const contents = lit.verbatim && src.literal ? contentsOf(q, src.quote) : undefined;
    const written = contents?.length === 1 ? contents[0] : undefined;
    const isFormat = /\S/.test(q.slice(0, src.quote));
    // (a constant or pattern written in several strings, contentsOf: each of them a piece, with
    // the text the others make before and after it — the pattern's, for format())
    const continued = contents && contents.length > 1 ? contents : undefined;
    const continuedValues = continued?.map((c) => contentValue(q, c));
    // (a fresh object per statement: moveInPlace moves each object it reaches once)
    const stringOf = (w: { start: number; end: number; quote: string; escapes?: true }, format: boolean): StringLiteral => ({
      start: lit.toFile(at + w.start),
      end: lit.toFile(at + w.end),
      quote: w.quote,
      format,
      ...(w.escapes ? { escapes: true as const } : {}),
      ...(src.usesVariable ? { values: catalog ? [TABLE_PLACEHOLDER] : loop?.values ?? [] } : {}),
    });
    const literalOf = (): StringLiteral | undefined => written && stringOf(written, isFormat);
    // (a chain of strings joined with ||, or a constant written in several: its strings, a fix may edit inside one of them)
    const piecesOf = (around: Array<{ before: string; after: string }> | undefined): StringLiteral[] | undefined => {
      if (continued)
        return continuedValues!.every((v) => v !== undefined)
          ? continued.map((p, i) => ({ ...stringOf(p, isFormat), around: { before: continuedValues!.slice(0, i).join(''), after: continuedValues!.slice(i + 1).join('') } }))
          : undefined;
      return lit.verbatim && src.pieces && around?.length === src.pieces.length ? src.pieces.map((p, i) => ({ ...stringOf(p, false), around: { ...around[i]! } })) : undefined;
    };
    // (the strings holding the SQL's text as written, in the expression: the string, its pieces, or the chain's string constants)
    const strings: WrittenString[] = written
      ? [{ ...written, format: isFormat }]
      : continued
        ? continued.map((p) => ({ ...p, format: isFormat }))
        : lit.verbatim
          ? (src.pieces ?? []).map((p) => ({ ...p, format: false }))
          : [];
    const made = (value: string | undefined): Statement[] | undefined => {
      const { sql, at: inExpr, around } = src.run(value);
      const parsed = tryParseSql(sql);
      if (!parsed) return undefined;
      const map = byteToUtf16Mapper(sql);
      // (where each character of the SQL is written in one of the strings, and where the text before an offset ends there)
      const places = writtenPlaces(q, strings, inExpr, sql.length);
      let tokens: Span[] | undefined;
      const out: Statement[] = [];
      const raws: Node[] = parsed.stmts ?? [];
      for (let i = 0; i < raws.length; i++) {
        const raw = raws[i]!;
        const { kind: k, node } = unwrap(raw.stmt);
        // (GRANT or REVOKE of table privileges; and in a catalog loop, ALTER TABLE … ENABLE /
        // FORCE ROW LEVEL SECURITY: breeze's — a literal loop's are model.ts dynamicRlsChanges')
        const grant = k === 'GrantStmt' && node.objtype === 'OBJECT_TABLE' && node.targtype === 'ACL_TARGET_OBJECT';
        const rls = catalog && k === 'AlterTableStmt' && rlsOnly(node);
        // (a string with no variable: the statement it holds, of the DDL the replay follows)
        const constant = !src.usesVariable && CONSTANT_EXECUTED.has(k);
        // (a function whose text is in the string, so that its body is analysed as a written one's:
        // dollar-quoted — Rifty's, agentopia's —, '…' with its quotes doubled, E'…', or the strings of a chain)
        const fn = !src.usesVariable && k === 'CreateFunctionStmt' && lit.verbatim;
        if (k !== 'CreatePolicyStmt' && !(k === 'DropStmt' && node.removeType === 'OBJECT_POLICY') && !grant && !rls && !constant && !fn) return undefined;
        // (the statement's own text in the SQL: from its first token to its last, comments and `;` left out)
        const loc = raw.stmt_location ?? 0;
        const s0 = map(loc);
        const e0 = raw.stmt_len ? map(loc + raw.stmt_len) : sql.length;
        tokens ??= sqlTokens(sql) ?? [];
        const own = tokens.filter((t) => t.start >= s0 && t.end <= e0 && sql.slice(t.start, t.end) !== ';');
        const first = own.length ? places?.startOf(own[0]!.start) : undefined;
        const last = own.length ? places?.endOf(own[own.length - 1]!.end) : undefined;
        // (each offset where the string has its text: a finding or a call found there reads it)
        relocate(node, (b) => lit.toFile(at + inExpr(map(b))));
        const literal = literalOf();
        const pieces = literal ? undefined : piecesOf(around);
        const made: Statement = {
          kind: k,
          node,
          start: quote,
          end,
          origin: 'do',
          dynamic: true,
          ...(literal ? { literal } : {}),
          ...(pieces ? { pieces } : {}),
          ...(first !== undefined && last !== undefined && first <= last ? { inString: { start: lit.toFile(at + first), end: lit.toFile(at + last) } } : {}),
          ...(caught.length ? { caught } : {}),
          ...(guard ? { guard } : {}),
          ...(arms.length ? { arms: [...arms] } : {}),
          ...(whenNoFunction ? { whenNoFunction } : {}),
        };
        if (fn) {
          const from = lit.toFile(at + inExpr(0));
          // (the file's text around the string, blank before the block: what the body's offsets are in)
          const text = ' '.repeat(lit.start) + lit.text;
          if (text.slice(from, from + sql.length) === sql) {
            // (written as it runs: the CREATE FUNCTION's own text, within the string's quotes)
            made.body = parseFunctionBody(text, { ...made, start: from, end: from + sql.length });
          } else {
            // (written with escapes or in pieces: its body parsed in the SQL the string runs, every
            // offset then put where the string writes its character; each must be in a string)
            const again: Node = places?.every() ? tryParseSql(sql)?.stmts?.[i]?.stmt : undefined;
            if (!again || !places) return undefined;
            // (a tree of its own in the SQL's offsets: `node`'s are the file's)
            const fresh = unwrap(again);
            relocate(fresh.node, map);
            made.body = parseFunctionBody(sql, { kind: k, node: fresh.node, start: s0, end: e0, origin: 'do' });
            if (made.body) placeInPlace(made.body, (x) => lit.toFile(at + places.startOf(x)!), (x) => lit.toFile(at + places.endOf(x)!), new Set());
          }
          for (const e of made.body?.errors ?? []) body.errors.push(e);
        }
        out.push(made);
      }
      return out.length ? out : undefined;
    };
    if (!src.usesVariable) {
      const out = made(undefined);
      if (!out) return false;
      body.statements.push(...out);
      return true;
    }
    // (a catalog loop's: made once, for the placeholder names, and run per table by the replay)
    if (catalog) {
      const out = catalogPending && made(TABLE_PLACEHOLDER);
      if (!out) return false;
      catalogPending!.push(...out);
      return true;
    }
    // (a loop's: every value must give policy DDL, or none is replayed)
    if (!loop || !pending) return false;
    const per = loop.values.map(made);
    if (per.some((x) => !x)) return false;
    pending.push((value) => per[loop.values.indexOf(value)]!);
    return true;
  };
  // (the query expressions of RETURN QUERY EXECUTE, FOR … IN EXECUTE and OPEN … FOR EXECUTE)
  const dynamicQueries = new WeakSet<object>();
  const visit = (n: Node, stmtType: string) => {
    if (Array.isArray(n)) {
      // (in a list of statements, those after one that may leave it may not run: mayNotRun)
      let left = false;
      for (const x of n) {
        visit(x, stmtType);
        if (!left && mayLeave(x)) {
          left = true;
          mayNotRun++;
        }
      }
      if (left) mayNotRun--;
      return;
    }
    if (!n || typeof n !== 'object') return;
    if (loopOverQuery(n)) {
      inLoopOrder(n, (k) => visit({ [k]: n[k] }, stmtType));
      return;
    }
    for (const key of Object.keys(n)) {
      const v = n[key];
      // (a function's RETURN QUERY EXECUTE, FOR … IN EXECUTE and OPEN … FOR EXECUTE run a string as
      // SQL as EXECUTE does: their query is a dynamic EXECUTE too, recorded where it is met below)
      if (kind !== 'do' && v && typeof v === 'object') {
        const dyn = key === 'PLpgSQL_stmt_return_query' || key === 'PLpgSQL_stmt_open' ? v.dynquery : key === 'PLpgSQL_stmt_dynfors' ? v.query : undefined;
        if (dyn?.PLpgSQL_expr) dynamicQueries.add(dyn.PLpgSQL_expr);
      }
      if ((LOOPS.has(key) || key === 'PLpgSQL_stmt_case') && v && typeof v === 'object' && !regions.has(v)) {
        // (a loop's statements, its header's too, and a CASE statement's may run not at all: mayNotRun)
        regions.add(v);
        mayNotRun++;
        visit({ [key]: v }, stmtType);
        mayNotRun--;
        regions.delete(v);
        continue;
      }
      if (kind === 'do' && key === 'PLpgSQL_stmt_assign') {
        visit(v, key);
        setKnown(v?.varno, v?.expr?.PLpgSQL_expr?.query);
        continue;
      }
      if (kind === 'do' && REGIONS.has(key) && v && typeof v === 'object' && !wrapped.has(v) && (key !== 'PLpgSQL_stmt_block' || v.exceptions)) {
        // a loop, a conditional (IF, CASE) or a block with an EXCEPTION clause: its statements are
        // visited as they are (below), with what a conditional assigns uncertain inside it; what
        // any of them assigns is uncertain after it (an error may have left the block), and in a
        // loop before its assignment too (the iteration before set it)
        const conditional = key === 'PLpgSQL_stmt_if' || key === 'PLpgSQL_stmt_case';
        wrapped.add(v);
        if (LOOPS.has(key)) forgetAssigned(v);
        if (conditional) uncertain++;
        // (an EXECUTE under an IF, a CASE or a loop of a loop's body is not run once per value)
        const outerEach = each;
        const outerCatalog = inCatalog;
        const outerDropping = droppingAll;
        // (`FOR p IN SELECT policyname FROM pg_policies WHERE schemaname = 'public' AND tablename =
        // r.table_name LOOP EXECUTE format('DROP POLICY IF EXISTS %I ON public.%I', p.policyname,
        // r.table_name)` in a catalog loop's body: every policy of that table dropped — tutur3u)
        const dropAll = key === 'PLpgSQL_stmt_fors' && inCatalog && catalogPending ? policyDropAllOf(v, inCatalog) : undefined;
        droppingAll = dropAll ? { ...dropAll, into: catalogPending! } : undefined;
        const firstInLoop = body.statements.length;
        if (key !== 'PLpgSQL_stmt_block') {
          each = undefined;
          inCatalog = undefined;
        }
        visit({ [key]: v }, stmtType);
        each = outerEach;
        inCatalog = outerCatalog;
        droppingAll = outerDropping;
        if (dropAll) for (let i = firstInLoop; i < body.statements.length; i++) body.statements[i]!.inCatalogLoop = true;
        if (conditional) uncertain--;
        wrapped.delete(v);
        forgetAssigned(v);
        continue;
      }
      if (kind === 'do' && key === 'PLpgSQL_stmt_execsql' && v?.into && v.target) forgetAssigned(v.target);
      // (or, of a DO block, a loop of its body does: a catalog loop's over pg_policies, policyDropAllOf)
      if ((key === 'PLpgSQL_stmt_fors' || key === 'PLpgSQL_stmt_foreach_a') && Array.isArray(v?.body) && (executesIn(v.body, kind === 'do') || (kind === 'do' && v.body.some((b: Node) => Array.isArray(b?.PLpgSQL_stmt_fors?.body) && executesIn(b.PLpgSQL_stmt_fors.body, false))))) {
        const values = literalLoop(tree, key, v);
        // (a DO block's loop over the tables the catalog lists: catalog-loops.ts)
        const catalog = !values && kind === 'do' && key === 'PLpgSQL_stmt_fors' ? catalogLoopOf(v) : undefined;
        if (!values && !catalog && kind === 'do' && key === 'PLpgSQL_stmt_fors') rowLoopExecutes(v, rowEach);
        const outer = pending;
        const outerCatalog = catalogPending;
        pending = kind === 'do' && values ? [] : undefined;
        catalogPending = catalog ? [] : undefined;
        const replay = pending;
        const templates = catalogPending;
        inLoopOrder(v, (k) => {
          if (k !== 'body') visit(v[k], key);
          else
            for (const b of v.body) {
              // (in a DO block, also those of a BEGIN … END in the body, EXCEPTION clause or not:
              // swanEPR's `BEGIN EXECUTE format('CREATE POLICY …', t); EXCEPTION WHEN
              // undefined_table THEN …`; not under an IF, a CASE or a loop in it: the REGIONS below)
              const direct = b?.PLpgSQL_stmt_dynexecute || (kind === 'do' && b?.PLpgSQL_stmt_block);
              each = values && direct ? values : undefined;
              // (and a loop of the body: one over pg_policies dropping each policy of the table is
              // replayed, policyDropAllOf; another's EXECUTEs are not run per table, REGIONS below)
              inCatalog = catalog && (direct || b?.PLpgSQL_stmt_fors) ? catalog : undefined;
              visit(b, key);
              each = undefined;
              inCatalog = undefined;
            }
        });
        pending = outer;
        catalogPending = outerCatalog;
        // (what the body's EXECUTEs make, value after value, in the loop's order)
        if (replay?.length) for (const value of values!.values) for (const g of replay) body.statements.push(...g(value));
        // (a catalog loop's: one statement standing for the loop, at its place, replayed per table)
        if (templates?.length) {
          const first = templates[0]!;
          body.statements.push({ kind: CATALOG_LOOP_KIND, node: {}, start: first.start, end: templates[templates.length - 1]!.end, origin: 'do', dynamic: true, ...(caught.length ? { caught } : {}), catalog: { query: catalog!.loop.query, fields: catalog!.loop.fields, templates } });
        }
        continue;
      }
      if (key === 'PLpgSQL_stmt_dynexecute') {
        const q = v?.query?.PLpgSQL_expr?.query;
        if (typeof q === 'string') {
          // (located once: searched again for its statements, from past itself, it would be
          // found at the next EXECUTE of the same string, and that one at the first)
          const placed = locate(q);
          const at = placed.at;
          const d: DynamicExecute = {
            start: lit.toFile(at),
            end: lit.toFile(at + q.length),
            text: q,
            concatenated: /\|\||\bconcat(_ws)?\s*\(/i.test(q),
            quoted: /\b(format|quote_ident|quote_literal|quote_nullable)\s*\(/i.test(q),
            // (one of a loop over VALUES rows is not materialized below: only its `each` is told)
            ...(each ? { each } : kind === 'do' && rowEach.has(v) ? { each: rowEach.get(v)! } : {}),
          };
          body.dynamicExecutes.push(d);
          const stmts = addExpr(q, 2, key, placed);
          if (stmts) body.statements.push(...stmts);
          // (a function's EXECUTE of one string constant: the SQL it runs is known, so is what it reads)
          if (kind !== 'do' && stmts?.length === 1) {
            const sql = stringConst(stmts[0]!.node?.targetList?.[0]?.ResTarget?.val);
            const parsed = sql !== undefined && stmts[0]!.node?.targetList?.length === 1 && !stmts[0]!.node?.fromClause ? tryParseSql(sql) : undefined;
            const nodes = ((parsed?.stmts ?? []) as Node[]).map((x) => x?.stmt).filter((x) => x && typeof x === 'object');
            if (nodes.length) d.constant = nodes;
          }
          // (USING params: the string does not hold the statement's values alone)
          if (kind === 'do' && !v?.params?.length && materialize(q, at, each, inCatalog)) d.materialized = true;
          else if (droppingAll?.exec === v) {
            const drop = droppingAll!;
            drop.into.push({ kind: CATALOG_DROP_POLICIES_KIND, node: { schemaname: drop.schema, relname: TABLE_PLACEHOLDER }, start: d.start, end: d.end, origin: 'do', dynamic: true, ...(caught.length ? { caught } : {}) });
            d.materialized = true;
          }
        }
        visit(v?.params, key);
        continue;
      }
      if (key === 'PLpgSQL_stmt_block' && v?.exceptions) {
        // the block's body runs under its handlers; the handlers' actions only under outer ones
        const outer = caught;
        const conds: string[] = [];
        const branches: string[][] = [];
        const list: Node[] = v.exceptions?.PLpgSQL_exception_block?.exc_list ?? [];
        for (const e of list) {
          const own: string[] = [];
          for (const c of e?.PLpgSQL_exception?.conditions ?? []) {
            const name = c?.PLpgSQL_condition?.condname;
            if (typeof name === 'string') own.push(name.toLowerCase());
          }
          conds.push(...own);
          branches.push(own);
        }
        caught = [...conds, ...outer];
        const id = blocks++;
        const outerTries = tries;
        const outerHandlers = handlers;
        tries = [{ block: id, conds: branches }, ...outerTries];
        visit(v.body, key);
        caught = outer;
        tries = outerTries;
        // (each WHEN branch's action on its own: an error runs the first branch whose conditions match it)
        list.forEach((e, branch) => {
          handlers = [{ block: id, branch }, ...outerHandlers];
          visit(e, key);
        });
        handlers = outerHandlers;
        continue;
      }
      if ((key === 'PLpgSQL_stmt_if' || key === 'PLpgSQL_if_elsif') && v?.cond) {
        // (a guard: IF cond THEN RAISE EXCEPTION …; elog_level 21 is ERROR, RAISE's default)
        const branch: Node[] = (key === 'PLpgSQL_stmt_if' ? v.then_body : v.stmts) ?? [];
        raisesIf = branch.some((b) => b?.PLpgSQL_stmt_raise && (b.PLpgSQL_stmt_raise.elog_level ?? 21) >= 21);
        // (an early exit: IF cond THEN RETURN …, what follows, or its ELSE, runs when cond is not true;
        // also a branch ending in an IF whose every branch, ELSE included, exits so: 99g0dx/dttracker-main's
        // can_trigger_scrape, `IF NOT v_has_subscription THEN … IF v.allowed THEN RETURN … ELSE RETURN … END IF; END IF;`)
        returnsIf = !raisesIf && branch.length !== 0 && exitsAtEnd(branch);
        // (an IF with no other branch whose branch only reports, RAISE NOTICE …: nothing depends on it)
        inertIf = key === 'PLpgSQL_stmt_if' && !v.elsif_list?.length && !v.else_body?.length && branch.length !== 0 && branch.every((b) => (b?.PLpgSQL_stmt_raise && (b.PLpgSQL_stmt_raise.elog_level ?? 21) < 21) || b?.PLpgSQL_stmt_null !== undefined);
        const type = key === 'PLpgSQL_stmt_if' ? key : stmtType;
        // (an IF's THEN branch is its branch 0, the ELSIFs 1…, the ELSE last: the ELSIF's own
        // number is set by the IF that visits it)
        const outerArms = arms;
        const id = ifs;
        if (key === 'PLpgSQL_stmt_if') arms = [...outerArms, ifs++, 0];
        const from = body.statements.length;
        armCond = true;
        visit(v.cond, type);
        armCond = false;
        raisesIf = false;
        returnsIf = false;
        inertIf = false;
        // (the branch runs only when its condition is true: its statements get what the condition reads)
        const outer = guard;
        const then = key === 'PLpgSQL_stmt_if' ? 'then_body' : 'stmts';
        guard = guardOf(body.statements.slice(from), outer);
        const outerAbsent = whenNoFunction;
        const query: unknown = v.cond?.PLpgSQL_expr?.query;
        if (typeof query === 'string' && NO_FUNCTION_TEST.test(query)) whenNoFunction = true;
        visit(v[then], type);
        whenNoFunction = outerAbsent;
        guard = outer;
        if (key === 'PLpgSQL_stmt_if') {
          const elsifs: Node[] = Array.isArray(v.elsif_list) ? v.elsif_list : [];
          elsifs.forEach((e, i) => {
            arms = [...outerArms, id, i + 1];
            visit(e, type);
          });
          arms = [...outerArms, id, elsifs.length + 1];
          visit(v.else_body, type);
          arms = outerArms;
          for (const k of Object.keys(v)) if (k !== 'cond' && k !== then && k !== 'elsif_list' && k !== 'else_body') visit(v[k], type);
        } else for (const k of Object.keys(v)) if (k !== 'cond' && k !== then) visit(v[k], type);
        continue;
      }
      if (key === 'PLpgSQL_stmt_raise' && (v?.elog_level ?? 21) < 21) {
        // (RAISE NOTICE 'approved by %', auth.uid(): its arguments are only reported)
        reported = true;
        visit(v, key);
        reported = false;
        continue;
      }
      if (key === 'PLpgSQL_var' && v?.default_val && typeof v.refname === 'string') {
        if (kind === 'do') known.set(v.refname.toLowerCase(), typeof v.default_val.PLpgSQL_expr?.query === 'string' ? v.default_val.PLpgSQL_expr.query : UNKNOWN);
        // (a declaration's default, `v_uid uuid := auth.uid();`, is assigned to its variable)
        into = [v.refname.toLowerCase()];
        visit(v.default_val, stmtType);
        into = undefined;
        continue;
      }
      if (key === 'PLpgSQL_stmt_fors' && v?.query && v.var) {
        // (`FOR r IN SELECT … LOOP`: each row of the query is assigned to the loop's variables)
        inLoopOrder(v, (k) => {
          if (k !== 'query') visit(v[k], key);
          else {
            loopInto = intoTargets(v.var);
            visit(v.query, key);
            loopInto = undefined;
          }
        });
        continue;
      }
      if (key === 'PLpgSQL_stmt_forc' && typeof v?.curvar === 'number') {
        // (`FOR r IN cur LOOP`, `FOR r IN cur(args) LOOP`: the loop opens the bound cursor and runs
        // its declared query, each row assigned to r: that query once more, located at its
        // declaration, after the loop's statements and its arguments, where FOUND is set)
        visit(v, key);
        const name = datums[v.curvar]?.PLpgSQL_var?.refname;
        const d = typeof name === 'string' ? declaredCursors.get(name.toLowerCase()) : undefined;
        const placed = d && placeIn(lit.text, d.query, d.from, false);
        if (d && placed) {
          loopInto = v.var ? intoTargets(v.var) : undefined;
          const stmts = addExpr(d.query, d.parseMode, key, placed);
          loopInto = undefined;
          if (stmts) body.statements.push(...stmts);
        }
        continue;
      }
      if ((key === 'PLpgSQL_stmt_open' && (v?.query || v?.dynquery)) || (key === 'PLpgSQL_var' && v?.cursor_explicit_expr)) {
        // (a cursor's query: `OPEN cur FOR SELECT …` / `FOR EXECUTE …`, or `cur CURSOR FOR SELECT …`
        // declared; what a FETCH of it reads, Statement.opens)
        const curvar = key === 'PLpgSQL_var' ? undefined : v.curvar;
        const name = key === 'PLpgSQL_var' ? v.refname : typeof curvar === 'number' ? datums[curvar]?.PLpgSQL_var?.refname : undefined;
        const query = key === 'PLpgSQL_var' ? 'cursor_explicit_expr' : v.query ? 'query' : 'dynquery';
        opening = typeof name === 'string' ? name.toLowerCase() : undefined;
        const expr = key === 'PLpgSQL_var' ? v[query]?.PLpgSQL_expr : undefined;
        if (opening && typeof expr?.query === 'string') declaredCursors.set(opening, { query: expr.query, parseMode: expr.parseMode ?? 0, from: cursor });
        visit(v[query], key);
        opening = undefined;
        for (const k of Object.keys(v)) if (k !== query) visit(v[k], key);
        continue;
      }
      if (key === 'PLpgSQL_stmt_fetch') {
        // (`FETCH cur INTO v` / `MOVE cur`: no query of its own, but it sets FOUND — true when FETCH
        // returns a row, MOVE moves the cursor — and FETCH its variables, NULL when no row comes:
        // a statement of kind FetchStmt standing for it, at its keyword on its line)
        visit(v?.expr, key);
        const curvar = v?.curvar;
        const cursorName = typeof curvar === 'number' ? datums[curvar]?.PLpgSQL_var?.refname : undefined;
        const targets = !v?.is_move && v?.target ? intoTargets(v.target) : undefined;
        starts ??= lineStarts(lit.text);
        const lineno = v?.lineno;
        const from = typeof lineno === 'number' && lineno >= 1 && lineno <= starts.length ? starts[lineno - 1]! : cursor;
        FETCH_OR_MOVE.lastIndex = from;
        const at = FETCH_OR_MOVE.exec(lit.text)?.index ?? from;
        const semi = lit.text.indexOf(';', at);
        body.statements.push({
          kind: 'FetchStmt',
          node: { ...(typeof cursorName === 'string' ? { portalname: cursorName.toLowerCase() } : {}), ismove: !!v?.is_move },
          start: lit.toFile(at),
          end: lit.toFile(semi < 0 ? at : semi),
          origin: 'file',
          ...(caught.length ? { caught } : {}),
          ...(tries.length ? { tries } : {}),
          ...(handlers.length ? { handlerOf: handlers } : {}),
          ...(targets ? { assigns: targets } : {}),
          setsFound: true as const,
          ...(guard ? { guard } : {}),
          ...(arms.length ? { arms: [...arms] } : {}),
        });
        continue;
      }
      if (key === 'PLpgSQL_stmt_execsql' && v?.into) {
        into = v.target ? intoTargets(v.target) : undefined;
        intoStrict = !!v.target && !!v.strict;
        sqlInto = true;
        visit(v.sqlstmt, key);
        into = undefined;
        intoStrict = false;
        sqlInto = false;
        continue;
      }
      if (key === 'PLpgSQL_expr') {
        const q = v?.query;
        if (typeof q === 'string' && dynamicQueries.has(v)) {
          const placed = locate(q);
          body.dynamicExecutes.push({
            start: lit.toFile(placed.at),
            end: lit.toFile(placed.at + q.length),
            text: q,
            concatenated: /\|\||\bconcat(_ws)?\s*\(/i.test(q),
            quoted: /\b(format|quote_ident|quote_literal|quote_nullable)\s*\(/i.test(q),
          });
          const stmts = addExpr(q, v.parseMode ?? 2, stmtType, placed);
          if (stmts) body.statements.push(...stmts);
        } else if (typeof q === 'string') {
          const stmts = addExpr(q, v.parseMode ?? 0, stmtType);
          if (stmts) body.statements.push(...stmts);
        }
        continue;
      }
      visit(v, key.startsWith('PLpgSQL_stmt_') ? key : stmtType);
    }
  };
  visit(tree.plpgsql_funcs ?? tree, '');
  // (the names of its variables: parameters, then FOUND and what its DECLARE sections declare)
  const variables: string[] = [];
  for (const d of tree.plpgsql_funcs?.[0]?.PLpgSQL_function?.datums ?? []) {
    const name = d?.PLpgSQL_var?.refname ?? d?.PLpgSQL_rec?.refname;
    if (typeof name === 'string' && name !== 'found') variables.push(name);
  }
  if (variables.length) body.variables = variables;
  return body;
}

/**
 * PL/pgSQL statements whose queries set FOUND (Statement.setsFound; PL/pgSQL's exec_set_found):
 * PERFORM, RETURN QUERY, a FOR or FOREACH loop's header (when the loop ends); and of the SQL
 * statements (PLpgSQL_stmt_execsql), one with INTO and the data changes (DATA_CHANGES). A cursor's
 * FETCH and MOVE set it too: they have no query, and get a FetchStmt of their own.
 */
const FOUND_SETTERS = new Set(['PLpgSQL_stmt_perform', 'PLpgSQL_stmt_return_query', 'PLpgSQL_stmt_fors', 'PLpgSQL_stmt_fori', 'PLpgSQL_stmt_forc', 'PLpgSQL_stmt_foreach_a', 'PLpgSQL_stmt_dynfors']);
const DATA_CHANGES = new Set(['InsertStmt', 'UpdateStmt', 'DeleteStmt', 'MergeStmt']);
/** The keyword a PL/pgSQL FETCH or MOVE starts with (searched from the start of its line). */
const FETCH_OR_MOVE = /\b(?:fetch|move)\b/gi;
/**
 * Whether a PL/pgSQL statement may leave the list it is in, so that the statements after it may
 * not run: a RETURN, a RAISE at ERROR (or above), an EXIT or CONTINUE (one without a label, in a
 * loop of the statement, leaves only that loop), or a statement holding one (an IF, a loop, a
 * block: what it holds may run).
 */
function mayLeave(x: Node): boolean {
  if (!x || typeof x !== 'object' || Array.isArray(x)) return false;
  const key = Object.keys(x)[0];
  if (key === undefined || !key.startsWith('PLpgSQL_stmt_')) return false;
  const holds = (v: Node, inLoop: boolean): boolean => {
    if (Array.isArray(v)) return v.some((y) => holds(y, inLoop));
    if (!v || typeof v !== 'object') return false;
    for (const k in v) {
      const c = v[k];
      if (k === 'PLpgSQL_stmt_return') return true;
      if (k === 'PLpgSQL_stmt_exit' && (!inLoop || c?.label)) return true;
      if (k === 'PLpgSQL_stmt_raise' && (c?.elog_level ?? 21) >= 21) return true;
      if (c && typeof c === 'object' && holds(c, inLoop || LOOPS.has(k))) return true;
    }
    return false;
  };
  return holds(x, false);
}

/** PL/pgSQL statements that run their body several times or not at all. */
const LOOPS = new Set(['PLpgSQL_stmt_loop', 'PLpgSQL_stmt_while', 'PLpgSQL_stmt_fori', 'PLpgSQL_stmt_fors', 'PLpgSQL_stmt_forc', 'PLpgSQL_stmt_foreach_a', 'PLpgSQL_stmt_dynfors']);
/** PL/pgSQL statements whose statements may not all run, or run several times: loops, IF, CASE, a block (with an EXCEPTION clause, after which an error may have skipped some). */
const REGIONS = new Set([...LOOPS, 'PLpgSQL_stmt_if', 'PLpgSQL_stmt_case', 'PLpgSQL_stmt_block']);
/** Whether PL/pgSQL statements hold an EXECUTE, or (`blocks`) one in a BEGIN … END among them. */
function executesIn(stmts: Node[], blocks: boolean): boolean {
  return stmts.some((b) => b?.PLpgSQL_stmt_dynexecute || (blocks && Array.isArray(b?.PLpgSQL_stmt_block?.body) && executesIn(b.PLpgSQL_stmt_block.body, true)));
}
/** A variable's value no EXECUTE may use (dynamicSql's `known`). */
const UNKNOWN = '\u0000';

/** The lower-case names of the variables the PL/pgSQL statements under `n` assign (`:=`, INTO, a loop's variable, GET DIAGNOSTICS, FETCH). */
function assignedIn(n: Node, datums: Node[]): string[] {
  const out: string[] = [];
  const nameOf = (varno: unknown) => {
    const d = typeof varno === 'number' ? datums[varno] : undefined;
    const name = d?.PLpgSQL_var?.refname ?? d?.PLpgSQL_rec?.refname;
    if (typeof name === 'string') out.push(name.toLowerCase());
  };
  const walk = (x: unknown): void => {
    if (!x || typeof x !== 'object') return;
    if (Array.isArray(x)) return x.forEach(walk);
    const o = x as Node;
    for (const k of Object.keys(o)) {
      const v = o[k];
      if (k === 'varno' && typeof v === 'number') nameOf(v);
      else if (k === 'fields' && Array.isArray(v)) {
        for (const f of v) if (typeof f?.name === 'string') out.push(f.name.toLowerCase());
      } else if ((k === 'PLpgSQL_var' || k === 'PLpgSQL_rec') && typeof v?.refname === 'string') out.push(v.refname.toLowerCase());
      walk(v);
    }
  };
  walk(n);
  return out;
}

/**
 * An EXECUTE's SQL when its expression is one constant string or format() of a constant pattern
 * whose arguments are constant strings, the loop variable `variable`, or them joined with `||`:
 * `run(value)` the text it runs for the variable's value, with where each of its offsets is in the
 * expression (the string's text for what is copied from it, a placeholder's `%` for what it puts
 * there; the string's start when the string is written with escapes), `quote` where the (pattern)
 * string starts in the expression. format() as PostgreSQL's: `%s` the value as is, `%I` a quoted
 * name, `%L` a quoted literal, `%%` a percent sign, `%n$…` the n-th argument; anything else (a
 * width, `-`, `*`): undefined.
 */
function dynamicSql(
  expr: string,
  variable: string | undefined,
  valueText: (name: string) => string | undefined = () => undefined,
  regclass = false,
  record?: string,
  fields?: ReadonlyMap<string, 'table' | 'schema'>,
): { run: (value: string | undefined) => { sql: string; at: (offset: number) => number; around?: Array<{ before: string; after: string }> }; quote: number; usesVariable: boolean; literal?: true; pieces?: ChainPiece[] } | undefined {
  const e = selectedExpr(expr);
  const str = (n: Node): string | undefined => n?.A_Const?.sval?.sval;
  const constant = str(e);
  if (typeof constant === 'string') {
    const quote = /^\s*/.exec(expr)![0].length;
    const pos = literalOffsets(expr, quote, constant);
    return { run: () => ({ sql: constant, at: (u) => pos?.[u] ?? quote }), quote, usesVariable: false, ...(pos ? { literal: true as const } : {}) };
  }
  const call = e?.FuncCall;
  // (or the string made with ||: `'ALTER TABLE ' || quote_ident(r.tablename) || ' ENABLE ROW LEVEL SECURITY'`)
  const joined = isConcat(e);
  if (!joined && (funcName(call) !== 'format' || !call.args?.length || call.agg_star || call.func_variadic)) return undefined;
  const pattern = joined ? '' : constantText(call.args[0]);
  if (typeof pattern !== 'string') return undefined;
  // each argument: a constant string, the loop variable, a variable whose value is certain there
  // (its text's value, read the same way: breeze's `predicate := format('EXISTS (… %I.org_id …)',
  // table_name)`), or them joined with || (oppsera's `format('CREATE POLICY %I ON %I …', tbl ||
  // '_select', tbl)`), format() of them, quote_ident() or quote_literal() of one: its text for the
  // loop variable's value
  let usesVariable = false;
  const valueOf = (a: Node, depth: number): ((value: string) => string) | undefined => {
    const c = str(a);
    if (typeof c === 'string') return () => c;
    // (a catalog loop's record: `r.table_name` the table's name, `r.table_schema` its schema)
    const rf: Node[] | undefined = record !== undefined && a?.ColumnRef?.fields?.length === 2 ? a.ColumnRef.fields : undefined;
    const held = rf && rf[0]?.String?.sval?.toLowerCase() === record ? fields?.get(String(rf[1]?.String?.sval).toLowerCase()) : undefined;
    if (held) {
      usesVariable = true;
      return held === 'table' ? (value) => value : () => SCHEMA_PLACEHOLDER;
    }
    const name: unknown = a?.ColumnRef?.fields?.length === 1 ? a.ColumnRef.fields[0]?.String?.sval : undefined;
    if (typeof name === 'string') {
      if (variable !== undefined && name === variable) {
        usesVariable = true;
        // (a regclass variable's value as regclass prints it)
        return regclass ? (value) => regclassName(value) : (value) => value;
      }
      const text = depth < 8 ? valueText(name) : undefined;
      return text === undefined ? undefined : valueOf(selectedExpr(text), depth + 1);
    }
    // (a cast to a text type or regclass: `t::text` over ohjay_dasboard's `ARRAY['connections'::regclass, …]`)
    const cast = a?.TypeCast;
    if (cast) {
      const to = cast.typeName?.names?.at(-1)?.String?.sval;
      const inner = to === 'text' || to === 'varchar' || to === 'name' || to === 'regclass' ? valueOf(cast.arg, depth) : undefined;
      if (!inner) return undefined;
      return to === 'regclass' ? (value) => regclassName(inner(value)) : inner;
    }
    const f = a?.FuncCall;
    if (f && f.args?.length && !f.agg_star && !f.func_variadic && !f.over) {
      const fn = funcName(f);
      const args: Array<(value: string) => string> = [];
      for (const x of f.args) {
        const v = valueOf(x, depth);
        if (!v) return undefined;
        args.push(v);
      }
      if (fn === 'format') {
        const p = constantText(f.args[0]);
        const pieces = typeof p === 'string' ? formatPieces(p, args.length - 1) : undefined;
        return pieces && ((value) => pieces.map((x) => ('text' in x ? x.text : formatted(x.conv, args[x.arg + 1]!(value)))).join(''));
      }
      if (args.length !== 1) return fn === 'concat' ? (value) => args.map((x) => x(value)).join('') : undefined;
      if (fn === 'quote_ident') return (value) => formatted('I', args[0]!(value));
      if (fn === 'quote_literal') return (value) => formatted('L', args[0]!(value));
      return undefined;
    }
    if (!isConcat(a)) return undefined;
    const x = a.A_Expr;
    const l = valueOf(x.lexpr, depth);
    const r = l && valueOf(x.rexpr, depth);
    return r && ((value) => l!(value) + r(value));
  };
  if (joined) {
    const whole = valueOf(e, 0);
    if (!whole) return undefined;
    const start = /^\s*/.exec(expr)![0].length;
    // (each operand of the chain: a string constant's characters where the file has them, the
    // others' at the expression's start — their text is not in the file)
    const operands = concatOperands(e);
    const prefixed = !/^\s*select\b/i.test(expr);
    const toExpr = byteToUtf16Mapper(prefixed ? `SELECT ${expr}` : expr);
    const parts = operands.map((op, i) => {
      const c = str(op);
      const from = typeof c === 'string' && typeof op.A_Const.location === 'number' ? toExpr(op.A_Const.location) - (prefixed ? 7 : 0) : -1;
      const offsets = from >= 0 ? literalOffsets(expr, from, c!) : undefined;
      // (a constant written in several strings, contentsOf: each of them a piece, with its value)
      const contents = offsets ? contentsOf(expr, from) : undefined;
      const values = contents?.map((x) => contentValue(expr, x) ?? '');
      return { value: valueOf(op, 0)!, offsets, pieces: (contents ?? []).map((x, k) => ({ ...x, last: i === operands.length - 1 && k === contents!.length - 1, value: values![k]! })) };
    });
    const pieces: ChainPiece[] = parts.flatMap((p) => p.pieces.map(({ value: _, ...x }) => x));
    const run = (value: string | undefined) => {
      let sql = '';
      const starts: number[] = [];
      for (const p of parts) {
        starts.push(sql.length);
        sql += p.value(value ?? '');
      }
      const at = (u: number) => {
        let j = starts.length - 1;
        while (j > 0 && starts[j]! > u) j--;
        return parts[j]?.offsets?.[u - starts[j]!] ?? start;
      };
      // (the SQL around each string constant: what the chain makes of the others, and of the
      // constant's other pieces where it is written in several)
      const around = parts.flatMap((p, j) =>
        p.pieces.map((_, k) => ({
          before: sql.slice(0, starts[j]) + p.pieces.slice(0, k).map((x) => x.value).join(''),
          after: p.pieces.slice(k + 1).map((x) => x.value).join('') + sql.slice(starts[j + 1] ?? sql.length),
        })),
      );
      return { sql, at, around };
    };
    return { run, quote: start, usesVariable, ...(pieces.length ? { pieces } : {}) };
  }
  const args: Array<(value: string) => string> = [];
  for (const a of call.args.slice(1)) {
    const f = valueOf(a, 0);
    if (!f) return undefined;
    args.push(f);
  }
  // the pattern's pieces, each with its offset in the pattern: text, or [argument index, conversion]
  const pieces = formatPieces(pattern, args.length);
  if (!pieces) return undefined;
  // (the pattern is format's first argument: the first text after its parenthesis)
  const open = expr.indexOf('(');
  const quote = open < 0 ? 0 : open + 1 + /^\s*/.exec(expr.slice(open + 1))![0].length;
  const pos = literalOffsets(expr, quote, pattern);
  const run = (value: string | undefined) => {
    let sql = '';
    // the SQL's pieces: [its offset in the SQL, the piece]
    const starts: number[] = [];
    for (const p of pieces) {
      starts.push(sql.length);
      sql += 'text' in p ? p.text : formatted(p.conv, args[p.arg]!(value ?? ''));
    }
    const at = (u: number) => {
      let j = starts.length - 1;
      while (j > 0 && starts[j]! > u) j--;
      const p = pieces[j];
      if (!p || !pos) return quote;
      return pos['text' in p ? p.from + Math.min(u - starts[j]!, p.text.length - 1) : p.from] ?? quote;
    };
    return { sql, at };
  };
  return { run, quote, usesVariable, ...(pos ? { literal: true as const } : {}) };
}

/** A string constant of a `||` chain, where its content is in the expression (contentOf), and whether it is the chain's last operand. */
type ChainPiece = { start: number; end: number; quote: string; escapes?: true; last: boolean };

/** The operands of a chain of `||` (`a || b || c`: a, b, c), or the expression itself. */
function concatOperands(n: Node): Node[] {
  return isConcat(n) ? [...concatOperands(n.A_Expr.lexpr), ...concatOperands(n.A_Expr.rexpr)] : [n];
}

/** Whether an expression is `a || b`. */
const isConcat = (n: Node): boolean => n?.A_Expr?.kind === 'AEXPR_OP' && n.A_Expr.name?.length === 1 && n.A_Expr.name[0]?.String?.sval === '||';

/** A string constant, or constants joined with `||` (a format() pattern written on several lines: breeze's), as its value; else undefined. */
function constantText(n: Node): string | undefined {
  const c: unknown = n?.A_Const?.sval?.sval;
  if (typeof c === 'string') return c;
  if (!isConcat(n)) return undefined;
  const x = n.A_Expr;
  const l = constantText(x.lexpr);
  const r = l === undefined ? undefined : constantText(x.rexpr);
  return r === undefined ? undefined : l! + r;
}

/**
 * A relation named by a regclass value as regclass prints it back: a name written without quotes
 * folded to lower case (`'Connections'::regclass` is connections), quoted where quote_ident would; one
 * with a schema, as written (regclass leaves the schema out when the search_path finds it: not
 * known here).
 */
function regclassName(v: string): string {
  if (/^[A-Za-z_][A-Za-z0-9_$]*$/.test(v)) return quoteIdent(v.toLowerCase());
  const q = /^"((?:[^"]|"")*)"$/.exec(v);
  return q ? quoteIdent(q[1]!.replace(/""/g, '"')) : v;
}

/** A call's function name, without a `pg_catalog.` schema (`schema.name` for another). */
export function funcName(call: Node): string {
  const parts: unknown[] = (call?.funcname ?? []).map((x: Node) => x?.String?.sval);
  return parts.length === 2 && parts[0] === 'pg_catalog' ? String(parts[1]) : parts.join('.');
}

type FormatPiece = { from: number; text: string } | { from: number; arg: number; conv: string };

/**
 * format()'s pattern as pieces, each with its offset in the pattern: text, or an argument (its
 * index among `argc`) and its conversion. format() as PostgreSQL's: `%s` the value as is, `%I` a
 * quoted name, `%L` a quoted literal, `%%` a percent sign, `%n$…` the n-th argument; anything else
 * (a width, `-`, `*`), or an argument beyond `argc` (PostgreSQL: "too few arguments for
 * format()"): undefined.
 */
function formatPieces(pattern: string, argc: number): FormatPiece[] | undefined {
  const pieces: FormatPiece[] = [];
  let next = 0;
  for (let i = 0; i < pattern.length; i++) {
    const k = pattern.indexOf('%', i);
    if (k < 0) {
      pieces.push({ from: i, text: pattern.slice(i) });
      break;
    }
    if (k > i) pieces.push({ from: i, text: pattern.slice(i, k) });
    const m = /^%(?:(\d+)\$)?([sIL%])/.exec(pattern.slice(k));
    if (!m) return undefined;
    if (m[2] === '%') {
      if (m[1]) return undefined;
      pieces.push({ from: k, text: '%' });
    } else {
      const at = m[1] ? Number(m[1]) - 1 : next;
      if (at < 0 || at >= argc) return undefined;
      pieces.push({ from: k, arg: at, conv: m[2]! });
      next = at + 1;
    }
    i = k + m[0].length - 1;
  }
  return pieces;
}

/**
 * A value as format() puts it for a conversion: `%I` a name as quote_ident writes it (bare when
 * it can be: `%I_admin_all` makes one name, hrds100/marketplace10's), `%L` a quoted literal, `%s`
 * as is.
 */
function formatted(conv: string, v: string): string {
  if (conv === 'I') return quoteIdent(v);
  if (conv === 'L') return v.includes('\\') ? `E'${v.replace(/\\/g, '\\\\').replace(/'/g, "''")}'` : `'${v.replace(/'/g, "''")}'`;
  return v;
}

/**
 * The length of the backslash escape at `text[i]` (a `\`) of an E'…' string, as PostgreSQL's
 * lexer reads it: `\ooo` (1-3 octal digits), `\xh` / `\xhh`, `\uXXXX`, `\UXXXXXXXX`, else the
 * backslash and the character after it.
 */
export function escapeLength(text: string, i: number): number {
  const rest = text.slice(i + 1, i + 10);
  const m = /^(?:[0-7]{1,3}|x[0-9A-Fa-f]{1,2}|u[0-9A-Fa-f]{4}|U[0-9A-Fa-f]{8})/.exec(rest);
  if (m) return 1 + m[0].length;
  const c = rest.codePointAt(0);
  return c === undefined ? 1 : 1 + (c > 0xffff ? 2 : 1);
}

const SIMPLE_ESCAPES: Readonly<Record<string, string>> = { b: '\b', f: '\f', n: '\n', r: '\r', t: '\t' };

/**
 * An E'…' string's content `text.slice(from, to)` as PostgreSQL reads it: each character, `''` or
 * backslash escape with where it is written, its length there and its value (`\n` a newline,
 * `\'` a quote, `\x41` A, `\u00e9` é, `\` before any other character that character). Undefined
 * for a lone quote, an unfinished escape, or an octal or hex escape of NUL or of a byte ≥ 0x80 (a
 * part of a multibyte character: its value is not one character).
 */
export function eStringUnits(text: string, from: number, to: number): Array<{ at: number; len: number; value: string }> | undefined {
  const out: Array<{ at: number; len: number; value: string }> = [];
  for (let i = from; i < to; ) {
    const c = text[i]!;
    if (c === "'") {
      if (text[i + 1] !== "'" || i + 2 > to) return undefined;
      out.push({ at: i, len: 2, value: "'" });
      i += 2;
      continue;
    }
    if (c !== '\\') {
      out.push({ at: i, len: 1, value: c });
      i++;
      continue;
    }
    const len = escapeLength(text, i);
    if (len === 1 || i + len > to) return undefined;
    const body = text.slice(i + 1, i + len);
    let value: string;
    if (/^[0-7]+$/.test(body) || /^x[0-9A-Fa-f]+$/.test(body)) {
      const code = body[0] === 'x' ? parseInt(body.slice(1), 16) : parseInt(body, 8);
      if (code === 0 || code >= 0x80) return undefined;
      value = String.fromCharCode(code);
    } else if (/^[uU][0-9A-Fa-f]+$/.test(body)) {
      const code = parseInt(body.slice(1), 16);
      if (code === 0 || code > 0x10ffff) return undefined;
      value = body[0] === 'u' ? String.fromCharCode(code) : String.fromCodePoint(code);
    } else value = SIMPLE_ESCAPES[body] ?? body;
    out.push({ at: i, len, value });
    i += len;
  }
  return out;
}

/** A text written inside a string (a dynamic statement's `literal` or piece) as SQL reads it: `''` a quote, an E'…' string's escapes, `%%` in a format() pattern; undefined where it does not read as one. */
export function stringValue(written: string, lit: StringLiteral): string | undefined {
  let sql: string;
  if (lit.escapes) {
    const units = eStringUnits(written, 0, written.length);
    if (!units) return undefined;
    sql = units.map((u) => u.value).join('');
  } else sql = lit.quote === "'" ? written.replace(/''/g, "'") : written;
  return lit.format ? sql.replace(/%%/g, '%') : sql;
}

/**
 * The content of the string starting at `start` in `expr` (`'…'`, `E'…'` or `$tag$…$tag$`): its
 * span in `expr`, its quote, and for an E'…' string `escapes`.
 */
function contentOf(expr: string, start: number, continuesE = false): { start: number; end: number; quote: string; escapes?: true } | undefined {
  const prefixed = (expr[start] === 'E' || expr[start] === 'e') && expr[start + 1] === "'";
  // (a piece continuing an E'…' string is read with its escapes: contentsOf)
  const e = prefixed || (continuesE && expr[start] === "'");
  if (expr[start] === "'" || e) {
    for (let j = start + (prefixed ? 2 : 1); j < expr.length; j++) {
      if (e && expr[j] === '\\') {
        j += escapeLength(expr, j) - 1;
        continue;
      }
      if (expr[j] !== "'") continue;
      if (expr[j + 1] === "'") j++;
      else return { start: start + (prefixed ? 2 : 1), end: j, quote: "'", ...(e ? { escapes: true as const } : {}) };
    }
    return undefined;
  }
  const tag = /^\$(?:[A-Za-z_][\w]*)?\$/.exec(expr.slice(start))?.[0];
  const close = tag ? expr.indexOf(tag, start + tag.length) : -1;
  return close < 0 ? undefined : { start: start + tag!.length, end: close, quote: tag! };
}

/**
 * The contents of the string constant starting at `start` in `expr` (contentOf), one per string
 * it is written in: PostgreSQL's lexer reads a `'…'` or `E'…'` string followed by whitespace holding
 * a newline (and `--` comments, each ending its line) and a `'` as one constant, the pieces read
 * alike (`E'a\t'` then `'b\n'`: a tab and a newline; PGlite). A `/* … *\/` comment, an `E'`
 * or a dollar quote after it, or no newline, ends it (42601 then, two constants).
 */
export function contentsOf(expr: string, start: number): Array<{ start: number; end: number; quote: string; escapes?: true }> | undefined {
  const first = contentOf(expr, start);
  if (!first) return undefined;
  const out = [first];
  if (first.quote !== "'") return out;
  for (let i = first.end + 1; ; ) {
    const next = continuedAt(expr, i);
    const c = next === undefined ? undefined : contentOf(expr, next, !!first.escapes);
    if (!c) return out;
    out.push(c);
    i = c.end + 1;
  }
}

/**
 * Where the next piece of a string constant continued after `i` (past a piece's closing quote)
 * starts (its `'`), as PostgreSQL's lexer reads `quotecontinue`: spaces, tabs and `--` comments,
 * a newline, then whitespace and `--` comments each ending with a newline; else undefined.
 */
function continuedAt(expr: string, i: number): number | undefined {
  let newline = false;
  while (i < expr.length) {
    const c = expr[i]!;
    if (c === '\n' || c === '\r') {
      newline = true;
      i++;
    } else if (c === ' ' || c === '\t' || c === '\f' || c === '\v') i++;
    else if (c === '-' && expr[i + 1] === '-') {
      const eol = expr.slice(i).search(/[\n\r]/);
      if (eol < 0) return undefined;
      i += eol;
    } else break;
  }
  return newline && expr[i] === "'" ? i : undefined;
}

/** A string of an EXECUTE's expression that holds SQL as written: its content's span there (contentOf), and whether it is format()'s pattern. */
type WrittenString = { start: number; end: number; quote: string; escapes?: true; format: boolean };

/**
 * Where the SQL an EXECUTE runs is written in the expression's strings, `inExpr` saying where each
 * of its characters is (dynamicSql's `at`): `startOf(u)` where character u is written, `endOf(u)`
 * where the text before offset u ends (past its last character's `''`, escape, `%%` or placeholder);
 * undefined outside the strings (a chain's operand that is no string constant: its text is not in
 * the file). `every()`: whether each character of the SQL is in a string.
 */
function writtenPlaces(
  expr: string,
  strings: readonly WrittenString[],
  inExpr: (u: number) => number,
  length: number,
): { startOf: (u: number) => number | undefined; endOf: (u: number) => number | undefined; every: () => boolean } | undefined {
  if (strings.length === 0 || length === 0) return undefined;
  const stringAt = (x: number) => strings.find((s) => s.start <= x && x < s.end);
  const endOf = (u: number): number | undefined => {
    if (u <= 0) return startOf(0);
    const x = inExpr(Math.min(u, length) - 1);
    const s = stringAt(x);
    return s && Math.min(x + writtenUnitLength(expr, x, s), s.end);
  };
  const startOf = (u: number): number | undefined => {
    if (u >= length) return endOf(length);
    const x = inExpr(u);
    return stringAt(x) ? x : undefined;
  };
  let every: boolean | undefined;
  const all = (): boolean => {
    if (every === undefined) {
      every = true;
      for (let u = 0; u < length && every; u++) every = startOf(u) !== undefined;
    }
    return every;
  };
  return { startOf, endOf, every: all };
}

/** How long the unit of a string's content written at `x` is: `''`, a backslash escape in E'…', `%%` or a placeholder in a format() pattern, else one character. */
function writtenUnitLength(expr: string, x: number, s: WrittenString): number {
  const c = expr[x];
  if (s.format && c === '%') return /^%(?:%|(?:\d+\$)?[sIL])/.exec(expr.slice(x, x + 12))?.[0].length ?? 1;
  if (s.quote !== "'") return 1;
  if (c === "'") return 2;
  return s.escapes && c === '\\' ? escapeLength(expr, x) : 1;
}

/**
 * Puts every offset under `v` — as moveInPlace reads them: `start`, `end` and LOCATION_KEYS — where
 * `start` (an offset where a character is) or `end` (where the text before an offset ends) say, each
 * object once: a function body parsed in the SQL a string runs, placed where the string writes it.
 */
function placeInPlace(v: unknown, start: (x: number) => number, end: (x: number) => number, seen: Set<object>): void {
  if (v === null || typeof v !== 'object' || seen.has(v)) return;
  seen.add(v);
  if (Array.isArray(v)) {
    for (const x of v) placeInPlace(x, start, end, seen);
    return;
  }
  const o = v as Record<string, unknown>;
  if (o.String !== undefined && isNameNode(o)) return;
  for (const k in o) {
    if (k === 'memo' || k === 'caught') continue;
    const x = o[k];
    if (typeof x === 'number') {
      if (k === 'end') o[k] = end(x);
      else if (k === 'start' || (x >= 0 && LOCATION_KEYS.has(k))) o[k] = start(x);
    } else if (x !== null && typeof x === 'object') placeInPlace(x, start, end, seen);
  }
}

/**
 * Where each character (UTF-16 unit) of a string constant's value is in `expr`, the constant
 * starting at `start`: a '…' string (a doubled quote is one character, at its first quote), an
 * E'…' one (an escape is its value's characters, at its backslash) or a dollar-quoted one, each
 * piece of one written in several (contentsOf) where it is; undefined for any other (U&'…') or
 * when `value` is not what it reads.
 */
function literalOffsets(expr: string, start: number, value: string): number[] | undefined {
  const cs = contentsOf(expr, start);
  if (!cs) return undefined;
  const out: number[] = [];
  let read = '';
  for (const c of cs) {
    const units = contentUnits(expr, c);
    if (!units) return undefined;
    for (const u of units) {
      for (let k = 0; k < u.value.length; k++) out.push(u.at);
      read += u.value;
    }
  }
  return read === value && out.length === value.length ? out : undefined;
}

/**
 * A string's content (contentOf) as SQL reads it, unit by unit, each where it is written: in a
 * '…' string `''` is one quote (at its first), an E'…' string's escapes are their values (at the
 * backslash), a dollar-quoted string is as written; undefined where it does not read.
 */
function contentUnits(expr: string, c: { start: number; end: number; quote: string; escapes?: true }): Array<{ at: number; value: string }> | undefined {
  if (c.escapes) return eStringUnits(expr, c.start, c.end);
  const out: Array<{ at: number; value: string }> = [];
  for (let j = c.start; j < c.end; j++) {
    out.push({ at: j, value: expr[j]! });
    if (c.quote === "'" && expr[j] === "'") j++;
  }
  return out;
}

/** A string's content (contentOf) as SQL reads it (contentUnits); undefined where it does not read. */
function contentValue(expr: string, c: { start: number; end: number; quote: string; escapes?: true }): string | undefined {
  return contentUnits(expr, c)?.map((u) => u.value).join('');
}

/** The strings of an array literal's node (`ARRAY['a','b']`, `'{a,b}'::text[]`), or undefined. */
function arrayStrings(n: Node): string[] | undefined {
  const elems: Node[] | undefined = n?.A_ArrayExpr?.elements;
  if (elems) {
    const out = elems.map((e) => e?.A_Const?.sval?.sval ?? e?.TypeCast?.arg?.A_Const?.sval?.sval);
    return out.length && out.every((x) => typeof x === 'string') ? out : undefined;
  }
  const lit: unknown = n?.TypeCast?.arg?.A_Const?.sval?.sval;
  const m = typeof lit === 'string' ? /^\{([^{}"\\]*)\}$/.exec(lit.trim()) : null;
  return m ? m[1]!.split(',').map((x) => x.trim()).filter(Boolean) : undefined;
}

/** The only expression of `SELECT <expr>` (no FROM, WHERE or anything else), or undefined. */
function selectedExpr(query: string): Node | undefined {
  const tree = tryParseSql(/^\s*select\b/i.test(query) ? query : `SELECT ${query}`);
  const s = tree?.stmts?.length === 1 ? tree.stmts[0].stmt?.SelectStmt : undefined;
  if (!s || s.fromClause || s.whereClause || s.groupClause || s.havingClause || s.limitCount || s.targetList?.length !== 1) return undefined;
  return s.targetList[0]?.ResTarget?.val;
}

/**
 * The loop variable and the values a PL/pgSQL loop goes through when they are a literal array:
 * `FOREACH t IN ARRAY ARRAY['a','b']`, `FOREACH t IN ARRAY tables` where `tables` is declared
 * with such a default and never assigned, `FOR t IN SELECT unnest(ARRAY['a','b'])`.
 */
function literalLoop(tree: Node, key: string, loop: Node): DynamicExecute['each'] {
  const datums: Node[] = tree.plpgsql_funcs?.[0]?.PLpgSQL_function?.datums ?? [];
  let variable: unknown;
  let values: string[] | undefined;
  if (key === 'PLpgSQL_stmt_foreach_a') {
    variable = datums[loop.varno]?.PLpgSQL_var?.refname;
    const expr = selectedExpr(String(loop.expr?.PLpgSQL_expr?.query ?? ''));
    values = arrayStrings(expr);
    const name: unknown = expr?.ColumnRef?.fields?.length === 1 ? expr.ColumnRef.fields[0]?.String?.sval : undefined;
    if (!values && typeof name === 'string') {
      const at = datums.findIndex((d) => d?.PLpgSQL_var?.refname === name);
      const init = at >= 0 ? datums[at].PLpgSQL_var.default_val?.PLpgSQL_expr?.query : undefined;
      let assigned = false;
      const seek = (n: unknown): void => {
        if (assigned || !n || typeof n !== 'object') return;
        if (Array.isArray(n)) return n.forEach(seek);
        const o = n as Node;
        if ((o.PLpgSQL_stmt_assign && o.PLpgSQL_stmt_assign.varno === at) || (o.fields && o.fields.some((f: Node) => f?.varno === at))) assigned = true;
        for (const k of Object.keys(o)) seek(o[k]);
      };
      seek(tree.plpgsql_funcs?.[0]?.PLpgSQL_function?.action);
      if (typeof init === 'string' && !assigned) values = arrayStrings(selectedExpr(init));
    }
  } else {
    const fields: Node[] | undefined = loop.var?.PLpgSQL_row?.fields;
    variable = fields?.length === 1 ? fields[0]?.name : loop.var?.PLpgSQL_var?.refname;
    const call = selectedExpr(String(loop.query?.PLpgSQL_expr?.query ?? ''))?.FuncCall;
    const fn = (call?.funcname ?? []).map((x: Node) => x?.String?.sval).join('.');
    if ((fn === 'unnest' || fn === 'pg_catalog.unnest') && call.args?.length === 1) values = arrayStrings(call.args[0]);
  }
  return typeof variable === 'string' && values?.length ? { variable: variable.toLowerCase(), values } : undefined;
}

/**
 * A DO block's `FOR a, b, c IN SELECT x, pg_catalog.to_regprocedure(x), y FROM (VALUES ('…', '…'), …)
 * AS t(x, y) LOOP`: the values each loop variable takes, row by row, where its column is a
 * VALUES column of string constants (as written, or through to_regprocedure(), to_regclass() or a
 * cast to regprocedure, regclass or text: the text is the name); undefined for any other loop.
 */
function rowLoopOf(loop: Node): { vars: string[]; rows: Array<Map<string, string>> } | undefined {
  const fields: Node[] | undefined = loop.var?.PLpgSQL_row?.fields;
  const vars = (fields ?? [loop.var?.PLpgSQL_var]).map((f) => (typeof f?.name === 'string' ? f.name : f?.refname)).map((x) => (typeof x === 'string' ? x.toLowerCase() : undefined));
  if (!vars.length || vars.some((x) => x === undefined)) return undefined;
  const q = loop.query?.PLpgSQL_expr?.query;
  if (typeof q !== 'string' || !/\bvalues\b/i.test(q)) return undefined;
  const tree = tryParseSql(q);
  const sel = tree?.stmts?.length === 1 ? tree.stmts[0].stmt?.SelectStmt : undefined;
  if (!sel || sel.whereClause || sel.groupClause || sel.havingClause || sel.limitCount || sel.fromClause?.length !== 1 || sel.targetList?.length !== vars.length) return undefined;
  const sub = sel.fromClause[0]?.RangeSubselect;
  const lists: Node[] | undefined = sub?.subquery?.SelectStmt?.valuesLists;
  const cols: string[] = (sub?.alias?.colnames ?? []).map((c: Node) => String(c?.String?.sval ?? '').toLowerCase());
  if (!lists?.length) return undefined;
  const NAME_FUNCS = new Set(['to_regprocedure', 'to_regclass', 'to_regproc']);
  const NAME_TYPES = new Set(['regprocedure', 'regclass', 'regproc', 'text']);
  const columnOf = (e: Node): number => {
    const call = e?.FuncCall;
    if (call) {
      const fn = (call.funcname ?? []).map((x: Node) => x?.String?.sval);
      return call.args?.length === 1 && NAME_FUNCS.has(fn[fn.length - 1]) && (fn.length === 1 || fn[0] === 'pg_catalog') ? columnOf(call.args[0]) : -1;
    }
    const cast = e?.TypeCast;
    if (cast) return NAME_TYPES.has(String((cast.typeName?.names ?? []).map((x: Node) => x?.String?.sval).pop())) ? columnOf(cast.arg) : -1;
    const f: Node[] | undefined = e?.ColumnRef?.fields;
    const name = f?.length ? f[f.length - 1]?.String?.sval : undefined;
    return typeof name === 'string' ? cols.indexOf(name.toLowerCase()) : -1;
  };
  const at = (sel.targetList as Node[]).map((t) => columnOf(t?.ResTarget?.val));
  const rows = (lists as Node[]).map((l) => {
    const items: Node[] = l?.List?.items ?? [];
    const row = new Map<string, string>();
    at.forEach((c, i) => {
      const v = c >= 0 ? stringConst(items[c]) : undefined;
      if (v !== undefined) row.set(vars[i]!, v);
    });
    return row;
  });
  return { vars: vars as string[], rows };
}

/**
 * The rows of a loop over VALUES (rowLoopOf) that `cond`, the condition of an IF of its body,
 * holds for: `v = 'x'`, `v <> 'x'`, `v IN ('x', …)`, `v NOT IN (…)` of a loop variable; undefined
 * for any other condition.
 */
function rowsWhere(cond: unknown, vars: readonly string[], rows: ReadonlyArray<Map<string, string>>): Set<number> | undefined {
  if (typeof cond !== 'string') return undefined;
  const tree = tryParseSql(`SELECT ${cond}`);
  const e = tree?.stmts?.length === 1 ? tree.stmts[0].stmt?.SelectStmt?.targetList?.[0]?.ResTarget?.val?.A_Expr : undefined;
  const f: Node[] | undefined = e?.lexpr?.ColumnRef?.fields;
  const name = f?.length === 1 ? String(f[0]?.String?.sval ?? '').toLowerCase() : undefined;
  if (!e || !name || !vars.includes(name)) return undefined;
  const op = String(e.name?.[0]?.String?.sval ?? '');
  const list: Node[] = e.kind === 'AEXPR_IN' ? e.rexpr?.List?.items ?? [] : [e.rexpr];
  const strings = list.map(stringConst);
  if (!strings.length || strings.some((x) => x === undefined)) return undefined;
  const negated = e.kind === 'AEXPR_IN' ? op === '<>' : op === '<>' || op === '!=';
  if (!(e.kind === 'AEXPR_IN' || (e.kind === 'AEXPR_OP' && (op === '=' || negated)))) return undefined;
  const out = new Set<number>();
  for (let i = 0; i < rows.length; i++) {
    const v = rows[i]!.get(name);
    if (v === undefined) return undefined;
    if (strings.includes(v) !== negated) out.add(i);
  }
  return out;
}

/**
 * For a DO block's loop over VALUES rows (rowLoopOf): each EXECUTE of its body, or of a branch of
 * an IF there whose conditions rowsWhere reads, that names one loop variable outside its strings,
 * with the values that variable takes in the rows it runs for (instantmed's ACL manifest: `FOR
 * function_signature, function_oid, function_policy IN SELECT …, to_regprocedure(…), … FROM (VALUES
 * …) LOOP EXECUTE format('REVOKE EXECUTE ON FUNCTION %s FROM PUBLIC, …', function_oid); IF
 * function_policy = 'service_role' THEN EXECUTE format('GRANT … TO service_role', function_oid);
 * ELSIF …`). An EXECUTE under any other IF, CASE, loop or block gets nothing.
 */
function rowLoopExecutes(loop: Node, into: WeakMap<object, NonNullable<DynamicExecute['each']>>): void {
  const r = rowLoopOf(loop);
  if (!r) return;
  const { vars, rows } = r;
  const all = new Set(rows.map((_, i) => i));
  const out = new Map<object, NonNullable<DynamicExecute['each']>>();
  const accounted = new Set<object>();
  const put = (stmts: Node[] | undefined, which: Set<number>) => {
    for (const b of stmts ?? []) {
      const x = b?.PLpgSQL_stmt_dynexecute;
      const q = x?.query?.PLpgSQL_expr?.query;
      if (!x || typeof q !== 'string' || x.params?.length) continue;
      // (the loop variables it names outside its strings: one)
      const bare = q.replace(/'(?:[^']|'')*'/g, "''").toLowerCase();
      const used = vars.filter((v) => new RegExp(String.raw`(^|[^\w$.])${v}($|[^\w$])`).test(bare));
      if (used.length !== 1) continue;
      const values: string[] = [];
      for (const i of which) {
        const v = rows[i]!.get(used[0]!);
        if (v === undefined) return;
        values.push(v);
      }
      // (one in a branch no row takes never runs: accounted for, with nothing to tell)
      accounted.add(x);
      if (values.length) out.set(x, { variable: used[0]!, values });
    }
  };
  for (const b of (loop.body ?? []) as Node[]) {
    if (b?.PLpgSQL_stmt_dynexecute) put([b], all);
    const i = b?.PLpgSQL_stmt_if;
    if (!i) continue;
    // (THEN where its condition holds, each ELSIF where it holds and none before did, ELSE where none did)
    const branches: Array<{ cond: unknown; stmts: Node[] | undefined }> = [{ cond: i.cond?.PLpgSQL_expr?.query, stmts: i.then_body }];
    for (const e of (i.elsif_list ?? []) as Node[]) branches.push({ cond: e?.PLpgSQL_if_elsif?.cond?.PLpgSQL_expr?.query, stmts: e?.PLpgSQL_if_elsif?.stmts });
    const held = branches.map((x) => rowsWhere(x.cond, vars, rows));
    if (held.some((h) => h === undefined)) continue;
    const taken = new Set<number>();
    branches.forEach((x, k) => {
      const which = new Set([...held[k]!].filter((n) => !taken.has(n)));
      for (const n of held[k]!) taken.add(n);
      put(x.stmts, which);
    });
    put(i.else_body, new Set([...all].filter((n) => !taken.has(n))));
  }
  // (all or nothing: an EXECUTE of the body left out — under another IF, a loop, a CASE — may undo
  // what those told do, a GRANT after a REVOKE; told without it, the REVOKE would stand alone)
  let left = false;
  const seek = (n: unknown): void => {
    if (left || !n || typeof n !== 'object') return;
    if (Array.isArray(n)) return n.forEach(seek);
    const o = n as Node;
    if (o.PLpgSQL_stmt_dynexecute && !accounted.has(o.PLpgSQL_stmt_dynexecute)) left = true;
    for (const k of Object.keys(o)) seek(o[k]);
  };
  seek(loop.body);
  if (!left) for (const [k, v] of out) into.set(k, v);
}

/** A catalog loop being visited: what its query lists, and its variable (a record, or a scalar holding the table's name). */
interface CatalogEach {
  loop: CatalogLoop;
  record: string | undefined;
  scalar: string | undefined;
}

/** A DO block's `FOR r IN SELECT … FROM pg_tables / pg_class / information_schema.… LOOP` over the tables the catalog lists (catalog-loops.ts catalogQueryOf). */
function catalogLoopOf(loop: Node): CatalogEach | undefined {
  const record: unknown = loop.var?.PLpgSQL_rec?.refname;
  const row: Node[] | undefined = loop.var?.PLpgSQL_row?.fields;
  const scalar: unknown = row?.length === 1 ? row[0]?.name : loop.var?.PLpgSQL_var?.refname;
  if (typeof record !== 'string' && typeof scalar !== 'string') return undefined;
  const q = loop.query?.PLpgSQL_expr?.query;
  if (typeof q !== 'string' || !/\b(?:pg_tables|pg_class|information_schema)\b/i.test(q)) return undefined;
  const tree = tryParseSql(q);
  if (tree?.stmts?.length !== 1) return undefined;
  const select = tree.stmts[0]?.stmt;
  const found = catalogQueryOf(select);
  if (!found) return undefined;
  if (typeof record === 'string') return { loop: found, record: record.toLowerCase(), scalar: undefined };
  // (a scalar: the query's one column is the table's name)
  if (select.SelectStmt.targetList?.length !== 1 || [...found.fields.values()][0] !== 'table') return undefined;
  return { loop: found, record: undefined, scalar: String(scalar).toLowerCase() };
}

/** `format('DROP POLICY [IF EXISTS] %I ON public.%I', p.policyname, r.table_name)` (or `ON %I.%I` with the schema's field): the schema, and the arguments. */
const DROP_EACH_POLICY = /^\s*format\s*\(\s*'\s*drop\s+policy\s+(?:if\s+exists\s+)?%I\s+on\s+(?:(%I|[A-Za-z_][\w$]*)\s*\.\s*)%I\s*;?\s*'\s*,\s*([A-Za-z_][\w$]*(?:\s*\.\s*[A-Za-z_][\w$]*)?)\s*,\s*(?:([A-Za-z_][\w$]*\s*\.\s*[A-Za-z_][\w$]*)\s*,\s*)?([A-Za-z_][\w$]*(?:\s*\.\s*[A-Za-z_][\w$]*)?)\s*\)\s*$/i;

/**
 * A loop of a catalog loop's body that drops every policy of the catalog loop's table: `FOR p IN
 * SELECT policyname FROM pg_policies WHERE schemaname = 'public' AND tablename = r.table_name LOOP
 * EXECUTE format('DROP POLICY IF EXISTS %I ON public.%I', p.policyname, r.table_name); END LOOP`
 * (the schema the same constant in both, or the catalog loop's schema field in both): its EXECUTE
 * node and the schema (SCHEMA_PLACEHOLDER for the field's).
 */
function policyDropAllOf(loop: Node, outer: CatalogEach): { exec: Node; schema: string } | undefined {
  const body: Node[] | undefined = loop?.body;
  const exec = body?.length === 1 ? body[0]?.PLpgSQL_stmt_dynexecute : undefined;
  if (!exec || exec.params?.length || exec.into) return undefined;
  const rec: unknown = loop.var?.PLpgSQL_rec?.refname;
  const row: Node[] | undefined = loop.var?.PLpgSQL_row?.fields;
  const scalar: unknown = row?.length === 1 ? row[0]?.name : loop.var?.PLpgSQL_var?.refname;
  const q = loop.query?.PLpgSQL_expr?.query;
  const m = typeof q === 'string' && typeof exec.query?.PLpgSQL_expr?.query === 'string' ? DROP_EACH_POLICY.exec(exec.query.PLpgSQL_expr.query) : null;
  if (!m) return undefined;
  const tree = tryParseSql(q);
  const sel = tree?.stmts?.length === 1 ? tree.stmts[0]?.stmt?.SelectStmt : undefined;
  const from: Node[] = sel?.fromClause ?? [];
  const rv = from.length === 1 ? from[0]?.RangeVar : undefined;
  if (!sel || sel.withClause || sel.op !== 'SETOP_NONE' || sel.limitCount || sel.groupClause || rv?.relname !== 'pg_policies' || (rv.schemaname !== undefined && rv.schemaname !== 'pg_catalog')) return undefined;
  const alias = String(rv.alias?.aliasname ?? 'pg_policies');
  // (a column of pg_policies, as `x` or `alias.x`; the catalog loop's field, as `r.x` or its scalar)
  const own = (n: Node): string | undefined => {
    const f: Node[] = n?.ColumnRef?.fields ?? [];
    const names = f.map((x) => x?.String?.sval);
    return names.length === 1 || (names.length === 2 && names[0] === alias) ? names.at(-1) : undefined;
  };
  const outerField = (text: string): 'table' | 'schema' | undefined => {
    const parts = text.split('.').map((x) => x.trim().toLowerCase());
    if (parts.length === 1) return outer.scalar !== undefined && parts[0] === outer.scalar ? 'table' : undefined;
    return outer.record !== undefined && parts[0] === outer.record ? outer.loop.fields.get(parts[1]!) : undefined;
  };
  const outerRef = (n: Node): 'table' | 'schema' | undefined => {
    const f: Node[] = n?.ColumnRef?.fields ?? [];
    return f.length && f.every((x) => typeof x?.String?.sval === 'string') ? outerField(f.map((x) => x.String.sval).join('.')) : undefined;
  };
  // what the query returns: the policy's name, as the loop's variable (or its field) holds it
  const targets: Node[] = sel.targetList ?? [];
  const names = targets.map((t) => (own(t?.ResTarget?.val) === 'policyname' ? (t.ResTarget.name ?? 'policyname') : undefined));
  const nameArg = m[2]!.split('.').map((x) => x.trim().toLowerCase());
  const policyName = typeof rec === 'string' ? nameArg.length === 2 && nameArg[0] === rec.toLowerCase() && names.includes(nameArg[1]) : typeof scalar === 'string' && targets.length === 1 && names[0] !== undefined && nameArg.length === 1 && nameArg[0] === scalar.toLowerCase();
  if (!policyName || outerField(m[4]!) !== 'table') return undefined;
  // the WHERE: that table's name, and the schema (a constant, or the catalog loop's schema field)
  let table = false;
  let schema: string | undefined;
  for (const c of conjuncts(sel.whereClause)) {
    const e = c?.A_Expr;
    const col = e?.kind === 'AEXPR_OP' && e.name?.[0]?.String?.sval === '=' ? own(e.lexpr) : undefined;
    if (col === 'tablename' && outerRef(e.rexpr) === 'table' && !table) table = true;
    else if (col === 'schemaname' && schema === undefined && typeof stringConst(e.rexpr) === 'string') schema = stringConst(e.rexpr)!;
    else if (col === 'schemaname' && schema === undefined && outerRef(e.rexpr) === 'schema') schema = SCHEMA_PLACEHOLDER;
    else return undefined;
  }
  const written = m[1] === '%I' ? (m[3] && outerField(m[3]) === 'schema' ? SCHEMA_PLACEHOLDER : undefined) : m[1]?.toLowerCase();
  if (!table || schema === undefined || written !== schema || (m[1] !== '%I') !== (m[3] === undefined)) return undefined;
  return { exec, schema };
}

/**
 * The statements a DO block's EXECUTE of a constant string (no variable: `EXECUTE 'CREATE TABLE …'`,
 * `EXECUTE $ddl$ … $ddl$`) is replayed as, like written ones: tables, indexes, triggers, views,
 * grants, roles, drops, renames (Rifty and agentopia make their tables so), an enum type's new or
 * renamed value (coach-house-lms' `EXECUTE 'alter type public.user_role rename value ''student''
 * to ''member'''`, under an IF that finds 'student' in pg_enum). A function too, but
 * only where its text is the file's as written (materialize: its body is analysed there); not a
 * DO block, whose EXECUTE stays "may be dynamic".
 */
const CONSTANT_EXECUTED = new Set(['CreateStmt', 'AlterTableStmt', 'IndexStmt', 'CreateTrigStmt', 'GrantStmt', 'GrantRoleStmt', 'CreateRoleStmt', 'AlterRoleStmt', 'DropStmt', 'ViewStmt', 'RenameStmt', 'CommentStmt', 'AlterEnumStmt']);

/** Whether an ALTER TABLE only enables, disables, forces or unforces row-level security. */
function rlsOnly(n: Node): boolean {
  const cmds: Node[] = n?.cmds ?? [];
  return n?.objtype === 'OBJECT_TABLE' && cmds.length !== 0 && cmds.every((c) => RLS_SUBTYPES.has(c?.AlterTableCmd?.subtype));
}
const RLS_SUBTYPES = new Set(['AT_EnableRowSecurity', 'AT_DisableRowSecurity', 'AT_ForceRowSecurity', 'AT_NoForceRowSecurity']);

/** The lower-case names of an INTO target: a row of variables (`INTO a, b`) or a record (`INTO r`). */
function intoTargets(target: Node): string[] | undefined {
  const fields: Node[] | undefined = target?.PLpgSQL_row?.fields;
  const names = fields ? fields.map((f) => f?.name) : [target?.PLpgSQL_rec?.refname ?? target?.PLpgSQL_var?.refname];
  return names.every((x) => typeof x === 'string') && names.length ? names.map((x: string) => x.toLowerCase()) : undefined;
}

/** Type names libpg-query's PL/pgSQL parser knows without a catalog (first words; `%TYPE`s and qualified names aside). */
const KNOWN_TYPES = new Set(
  (
    'text varchar character char bpchar int integer int2 int4 int8 smallint bigint serial bigserial numeric decimal real double float float4 float8 ' +
    'bool boolean uuid json jsonb date time timestamp timestamptz interval bytea inet cidr macaddr macaddr8 regclass regproc regprocedure regtype ' +
    'regrole regnamespace oid name money tsvector tsquery xml bit varbit point line lseg box path polygon circle record refcursor cursor alias void trigger event_trigger anyelement anyarray ' +
    'table setof scroll no'
  ).split(' '),
);

/**
 * The text of a CREATE FUNCTION with every declared variable type and the return type that
 * libpg-query would not know (KNOWN_TYPES) replaced by `text` (padded to the same length), or
 * undefined when there is none.
 */
function withoutUnknownTypes(createText: string): string | undefined {
  let out = createText;
  let changed = false;
  const neutral = (type: string) => (type.length >= 4 ? `text${' '.repeat(type.length - 4)}` : type);
  const replaceAt = (at: number, type: string) => {
    const by = neutral(type);
    if (by === type) return;
    out = out.slice(0, at) + by + out.slice(at + type.length);
    changed = true;
  };
  const unknown = (type: string, after: string) => !type.includes('.') && !KNOWN_TYPES.has(type.toLowerCase()) && !after.startsWith('%');
  // declarations: `name [CONSTANT] type …;` in each DECLARE … BEGIN section
  for (const sec of createText.matchAll(/\bDECLARE\b([\s\S]*?)\bBEGIN\b/gi)) {
    const base = sec.index! + 'DECLARE'.length;
    let from = 0;
    for (const decl of sec[1]!.split(';')) {
      // (DECLARE may be written again before a declaration: `DECLARE a t; DECLARE b u;`)
      const m = /^(\s*(?:DECLARE\s+)?(?:[A-Za-z_][\w$]*|"[^"]+")\s+(?:CONSTANT\s+)?)([A-Za-z_][\w$]*)/i.exec(decl);
      if (m && unknown(m[2]!, decl.slice(m[0].length).trimStart())) replaceAt(base + from + m[1]!.length, m[2]!);
      from += decl.length + 1;
    }
  }
  // the return type (before the body)
  const r = /\bRETURNS\s+(?:SETOF\s+)?([A-Za-z_][\w$]*)/i.exec(createText);
  if (r && unknown(r[1]!, createText.slice(r.index + r[0].length).trimStart())) replaceAt(r.index + r[0].length - r[1]!.length, r[1]!);
  return changed ? out : undefined;
}

const SQL_START = /\b(SELECT|INSERT\s+INTO|UPDATE|DELETE\s+FROM|WITH|PERFORM|SET|RETURN\s+QUERY)\b/i;

/**
 * Fallback when the PL/pgSQL parser needs a catalog: each `;`-terminated piece of the body
 * is searched for its first SQL keyword and parsed from there, best effort.
 */
function scanPlpgsqlLexically(lit: BodyText, body: FunctionBody): void {
  for (const ch of lex(lit.text).chunks) {
    const piece = lit.text.slice(ch.start, ch.end);
    const m = SQL_START.exec(piece);
    if (!m) continue;
    let at = ch.start + m.index;
    let sql = lit.text.slice(at, ch.end);
    if (/^PERFORM/i.test(sql)) {
      sql = `SELECT ${sql.slice(7)}`; // same length: PERFORM → SELECT + space
    } else if (/^RETURN\s+QUERY/i.test(sql)) {
      const k = sql.search(/QUERY/i) + 5;
      at += k;
      sql = sql.slice(k);
    }
    // PL/pgSQL's `SELECT … INTO a, b FROM` is not SQL: blank the INTO targets (same length)
    if (/^(SELECT|WITH)\b/i.test(sql)) {
      sql = sql.replace(/\bINTO\s+(STRICT\s+)?[\w.$"]+(\s*,\s*[\w.$"]+)*/i, (x) => ' '.repeat(x.length));
    }
    const tree = tryParseSql(sql);
    if (!tree) continue;
    const map = byteToUtf16Mapper(sql);
    for (const raw of tree.stmts ?? []) {
      const { kind, node } = unwrap(raw.stmt);
      relocate(node, (b) => lit.toFile(at + map(b)));
      body.statements.push({ kind, node, start: lit.toFile(at), end: lit.toFile(ch.end), origin: 'file' });
    }
  }
}

// ---------------------------------------------------------------------------------------
// Suppression comments

const DISABLE_RE = /--\s*pg-rls-lint-disable-(next-line|file)\b([^\r\n]*)/g;

function suppressions(text: string): { disabledLines: Map<number, Set<string>>; disabledFile: Set<string> } {
  const disabledLines = new Map<number, Set<string>>();
  const disabledFile = new Set<string>();
  if (!text.includes('pg-rls-lint-disable')) return { disabledLines, disabledFile };
  const starts = lineStarts(text);
  const { positionAt } = makePositionAt(text, starts);
  for (const m of text.matchAll(DISABLE_RE)) {
    const ids = m[2]!.split(/[\s,]+/).filter((s) => /^[a-z0-9-]+$/.test(s));
    const set = ids.length ? ids : ['*'];
    if (m[1] === 'file') set.forEach((id) => disabledFile.add(id));
    else {
      const line = positionAt(m.index!).line + 1;
      const s = disabledLines.get(line) ?? new Set<string>();
      set.forEach((id) => s.add(id));
      disabledLines.set(line, s);
    }
  }
  return { disabledLines, disabledFile };
}

// ---------------------------------------------------------------------------------------
// Small AST helpers shared by the model and the rules

/** The string value of a `String` node or a plain string. */
/** The DO block of the file (one of its own statements) whose text holds `start` … `end`: a statement its body runs or its EXECUTE makes. */
export function doBlockAround(pf: Pick<ParsedFile, 'statements'>, start: number, end = start): Statement | undefined {
  return pf.statements.find((s) => s.kind === 'DoStmt' && s.origin === 'file' && s.start <= start && end <= s.end);
}

export function sval(n: Node): string | undefined {
  if (typeof n === 'string') return n;
  return n?.String?.sval ?? n?.sval;
}

/** Dotted name parts of a `names`/`funcname` list. */
export function nameParts(list: Node[] | undefined): string[] {
  // Names have one to three parts: those written out as array literals (of the exact size, no
  // closure per call), the rest by a loop. A cold bench lint asks this ≈ 10^5 times.
  if (!list) return [];
  const n = list.length;
  if (n === 1) {
    const a = sval(list[0]);
    return a ? [a] : [];
  }
  if (n === 2) {
    const a = sval(list[0]);
    const b = sval(list[1]);
    return a ? (b ? [a, b] : [a]) : b ? [b] : [];
  }
  const parts: string[] = [];
  for (let i = 0; i < n; i++) {
    const x = sval(list[i]);
    if (x) parts.push(x);
  }
  return parts.slice(); // (an array of the exact size: names are kept)
}

/** Visits every object node of a tree; `fn` returning false stops the descent there. */
export function walk(node: Node, fn: (key: string, value: Node, parent: Node) => boolean | void, key = '', parent: Node = null): void {
  if (Array.isArray(node)) {
    // (indexed: for…of makes an iterator, and a result per element until walk is optimised)
    for (let i = 0; i < node.length; i++) walk(node[i], fn, key, parent);
    return;
  }
  if (!node || typeof node !== 'object') return;
  for (const k in node) {
    const v = node[k];
    if (v && typeof v === 'object') {
      if (fn(k, v, node) === false) continue;
      walk(v, fn, k, node);
    }
  }
}

const keywordCache = new Map<string, number>();

/** The keyword category of the scanner: not a keyword (0), unreserved (1), a column name's keyword (2: `position`, `values`), a type or function name's (3: `left`), reserved (4: `user`, `order`). */
export const KW_COL_NAME = 2;
export const KW_RESERVED = 4;

/** The keyword category of a lower-case word as the parser's scanner classifies it (0: not a keyword). */
export function keywordKind(word: string): number {
  let kind = keywordCache.get(word);
  if (kind === undefined) {
    try {
      kind = /^[a-z_][a-z0-9_]*$/.test(word) ? (pg.scanSync(word).tokens?.[0]?.keywordKind ?? 0) : 0;
    } catch {
      kind = 0;
    }
    keywordCache.set(word, kind!);
  }
  return kind!;
}

/**
 * An identifier as PostgreSQL's quote_ident writes it: bare when it is lower-case letters, digits
 * and `_` (no digit first) and no keyword but an unreserved one (`user`, `group`, `order` are
 * quoted), else in double quotes. Keywords as the parser's scanner classifies them.
 */
export function quoteIdent(name: string): string {
  if (!/^[a-z_][a-z0-9_]*$/.test(name)) return `"${name.replace(/"/g, '""')}"`;
  return keywordKind(name) >= KW_COL_NAME ? `"${name}"` : name;
}

/**
 * Whether a PL/pgSQL statement list never runs on past its end: its last statement is a RETURN or
 * a RAISE of an error, or an IF with an ELSE whose every branch is such a list.
 */
function exitsAtEnd(stmts: Node[]): boolean {
  const last = stmts[stmts.length - 1];
  if (!last) return false;
  if (last.PLpgSQL_stmt_return !== undefined) return true;
  if (last.PLpgSQL_stmt_raise) return (last.PLpgSQL_stmt_raise.elog_level ?? 21) >= 21;
  const i = last.PLpgSQL_stmt_if;
  if (!i || !Array.isArray(i.else_body) || !i.else_body.length) return false;
  const elsifs: Node[] = Array.isArray(i.elsif_list) ? i.elsif_list : [];
  return exitsAtEnd(i.then_body ?? []) && elsifs.every((e) => exitsAtEnd(e?.PLpgSQL_if_elsif?.stmts ?? [])) && exitsAtEnd(i.else_body);
}
