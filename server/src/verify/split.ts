// Statement splitter for the verify engine: the statements PostgreSQL would receive from psql.
//
// - Splits at top-level semicolons, honouring '…' (and E'…' backslash escapes), "…", $tag$…$tag$,
//   -- and nested /* */ comments, parentheses, and BEGIN ATOMIC … END bodies.
// - psql meta-commands (a backslash outside quotes, to the end of the line) are blanked with
//   spaces; \g, \gx, \gset, \gexec end the statement like a semicolon.
// - COPY … FROM stdin: the data lines up to `\.` are returned as `copyData`, not as SQL.
// - Offsets are UTF-16 offsets into the original text; `text` has the same length as the
//   original slice, so positions inside it map back by adding `start`.

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

const IDENT_CHAR = /[A-Za-z0-9_$\u0080-\uffff]/;
const IDENT_START = /[A-Za-z_\u0080-\uffff]/;

export function splitSql(text: string): SqlStatement[] {
  const out: SqlStatement[] = [];
  const n = text.length;
  // ranges [from, to) to blank (psql meta-commands)
  const blanks: Array<[number, number]> = [];
  let i = 0;
  let stmtStart = -1; // offset of the first token of the current statement
  let depth = 0;
  let atomic = 0;
  let prevWord = '';
  const lineEnd = (from: number) => {
    const k = text.indexOf('\n', from);
    return k < 0 ? n : k;
  };
  const finish = (end: number): SqlStatement | undefined => {
    let s: SqlStatement | undefined;
    if (stmtStart >= 0) {
      let e = end;
      for (;;) {
        while (e > stmtStart && /\s/.test(text[e - 1]!)) e--;
        // a trailing meta-command (blanked) is not part of the statement
        const b = blanks.find(([from, to]) => to === e && from >= stmtStart);
        if (!b) break;
        e = b[0];
      }
      s = { start: stmtStart, end: e, text: blankOut(text, stmtStart, e, blanks) };
      out.push(s);
    }
    stmtStart = -1;
    depth = 0;
    atomic = 0;
    prevWord = '';
    return s;
  };
  while (i < n) {
    const c = text[i]!;
    const next = text[i + 1];
    if (c === ' ' || c === '\n' || c === '\t' || c === '\r' || c === '\f') {
      i++;
      continue;
    }
    if (c === '-' && next === '-') {
      i = lineEnd(i);
      continue;
    }
    if (c === '/' && next === '*') {
      let nest = 1;
      i += 2;
      while (i < n && nest > 0) {
        if (text[i] === '/' && text[i + 1] === '*') {
          nest++;
          i += 2;
        } else if (text[i] === '*' && text[i + 1] === '/') {
          nest--;
          i += 2;
        } else i++;
      }
      continue;
    }
    if (c === '\\') {
      const e = lineEnd(i);
      blanks.push([i, e]);
      const isGo = /^\\(g|gx|gset|gexec)(?![A-Za-z])/.test(text.slice(i, i + 8));
      i = e;
      if (isGo) finish(i);
      continue;
    }
    if (stmtStart < 0) stmtStart = i;
    if (c === "'") {
      const escape = i > 0 && /[eE]/.test(text[i - 1]!) && !IDENT_CHAR.test(text[i - 2] ?? ' ');
      i++;
      while (i < n) {
        if (escape && text[i] === '\\') i += 2;
        else if (text[i] === "'" && text[i + 1] === "'") i += 2;
        else if (text[i] === "'") break;
        else i++;
      }
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
    if (c === '$' && !IDENT_CHAR.test(text[i - 1] ?? ' ')) {
      const m = /^\$([A-Za-z_\u0080-\uffff][A-Za-z0-9_\u0080-\uffff]*)?\$/.exec(text.slice(i, i + 80));
      if (m) {
        const close = text.indexOf(m[0], i + m[0].length);
        i = close < 0 ? n : close + m[0].length;
        prevWord = '';
        continue;
      }
    }
    if (c === '(') depth++;
    else if (c === ')') depth = Math.max(0, depth - 1);
    else if (c === ';' && depth === 0 && atomic === 0) {
      const s = finish(i);
      i++;
      if (s && /^copy\b[\s\S]*\bfrom\s+stdin\b/i.test(stripComments(s.text))) {
        // data rows start on the next line and end at a line that is exactly `\.`
        let k = lineEnd(i) + 1;
        const dataStart = Math.min(k, n);
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
        s.copyData = text.slice(dataStart, dataEnd);
        i = resume;
      }
      continue;
    } else if (IDENT_START.test(c) && !IDENT_CHAR.test(text[i - 1] ?? ' ')) {
      let k = i + 1;
      while (k < n && IDENT_CHAR.test(text[k]!)) k++;
      const w = text.slice(i, k).toUpperCase();
      if (w === 'ATOMIC' && prevWord === 'BEGIN') atomic = 1;
      else if (atomic > 0 && w === 'CASE') atomic++;
      else if (atomic > 0 && w === 'END') atomic--;
      prevWord = w;
      i = k;
      continue;
    }
    i++;
  }
  finish(n);
  return out;
}

function blankOut(text: string, from: number, to: number, blanks: Array<[number, number]>): string {
  let s = text.slice(from, to);
  for (const [a, b] of blanks) {
    if (b <= from || a >= to) continue;
    const x = Math.max(a, from) - from;
    const y = Math.min(b, to) - from;
    s = s.slice(0, x) + s.slice(x, y).replace(/[^\r\n]/g, ' ') + s.slice(y);
  }
  return s;
}

export function stripComments(s: string): string {
  return s.replace(/--[^\n]*/g, ' ').replace(/\/\*[\s\S]*?\*\//g, ' ').trim();
}

/** The first keyword(s) of a statement, upper-case, e.g. "CREATE POLICY". */
export function leadingWords(stmt: string, count = 2): string {
  return stripComments(stmt)
    .split(/[^A-Za-z_]+/)
    .filter(Boolean)
    .slice(0, count)
    .join(' ')
    .toUpperCase();
}

/** Maps a 1-based PostgreSQL error position (in characters = code points) in `s` to a
 * 0-based UTF-16 index into `s`. */
export function codePointPosToUtf16(s: string, pos: number): number {
  let cp = 0;
  let i = 0;
  while (i < s.length && cp < pos - 1) {
    const code = s.charCodeAt(i);
    i += code >= 0xd800 && code <= 0xdbff && i + 1 < s.length ? 2 : 1;
    cp++;
  }
  return i;
}
