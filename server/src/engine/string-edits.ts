// Fix edits inside a dynamic statement's string (a DO block's `EXECUTE 'CREATE POLICY …'` or
// `EXECUTE format('CREATE POLICY %I …', …)`): the statement's text is the string's value, written
// in the file with its quoting. A rule computes its edits as if the file held the statement's SQL:
// what it writes itself is SQL (`nullif(…, '')`), what it copies from the file (the call it wraps
// in `(select …)`) is the file's text, already written for the string. So an edit's new text is
// compared with the text it replaces: what it keeps of it stays as written, what it adds is
// escaped for the string (`'` doubled in a single-quoted string, and in an E'…' one `\` doubled
// too and `'` written as the string writes it, `''` or `\'`; `%` doubled in format()'s pattern;
// nothing in a dollar-quoted one, which must not contain its closing tag). In a chain of strings
// joined with `||` (Statement.pieces), each edit must fall inside one of its strings. An edit that
// cannot be written there is not offered: one reaching outside the string's content, cutting an
// escape (`''`, `\n`, `%%`) or touching a format() placeholder (the text there differs per value), one
// writing a value of the loop variable (it would stand in the string for every value), and a fix
// whose string, once edited, no longer holds one statement PostgreSQL parses.
import { escapeLength, eStringUnits, sqlTokens, stringValue, tryParseSql } from '../analysis/parse.js';
import type { StringLiteral } from '../analysis/types.js';

export interface LiteralEdit {
  start: number;
  end: number;
  newText: string;
}

/** A text a rule's fix title may quote as the file writes it (the text an edit replaces, or the edit's new text as the rule wrote it), and as SQL reads it. */
export interface ReadAs {
  written: string;
  sql: string;
}

/** The string's content as units: each an offset and a length (an escape `''`, `\n` or `%%` is one unit, a placeholder `%I` / `%1$s` one, marked). */
interface Unit {
  at: number;
  len: number;
  hole?: true;
}

function unitsOf(text: string, lit: StringLiteral): Unit[] | undefined {
  const out: Unit[] = [];
  // (an E'…' string's escapes, by where they start)
  const escapes = lit.escapes ? eStringUnits(text, lit.start, lit.end) : undefined;
  if (lit.escapes && !escapes) return undefined;
  const escapeAt = new Map(escapes?.filter((u) => u.len > 1).map((u) => [u.at, u]));
  for (let i = lit.start; i < lit.end; ) {
    const c = text[i]!;
    const esc = escapeAt.get(i);
    if (esc) {
      // (a `%` written as an escape in a format() pattern: which conversion it starts is not read here)
      if (lit.format && esc.value === '%') return undefined;
      out.push({ at: i, len: esc.len });
      i += esc.len;
    } else if (c === "'" && lit.quote === "'") {
      if (text[i + 1] !== "'") return undefined;
      out.push({ at: i, len: 2 });
      i += 2;
    } else if (c === '%' && lit.format) {
      if (text[i + 1] === '%') {
        out.push({ at: i, len: 2 });
        i += 2;
        continue;
      }
      const m = /^%(?:\d+\$)?[sIL]/.exec(text.slice(i, i + 12));
      if (!m) return undefined;
      out.push({ at: i, len: m[0].length, hole: true });
      i += m[0].length;
    } else {
      out.push({ at: i, len: 1 });
      i++;
    }
  }
  return out;
}

/** SQL written for the string: `'` doubled in a single-quoted one (in an E'…' one `\` doubled too, `'` as `quote` says), `%` doubled in a format() pattern. */
function escaped(sql: string, lit: StringLiteral, quote = "''"): string {
  let out = lit.escapes ? sql.replace(/\\/g, '\\\\') : sql;
  if (lit.quote === "'") out = out.replace(/'/g, quote);
  if (lit.format) out = out.replace(/%/g, '%%');
  return out;
}

/** How an E'…' string writes a quote: `\'` where it writes them so and never `''`, else `''`. */
function quoteOf(text: string, lit: StringLiteral): string {
  if (!lit.escapes) return "''";
  const units = eStringUnits(text, lit.start, lit.end) ?? [];
  const q = units.filter((u) => u.value === "'");
  return q.length > 0 && q.every((u) => text[u.at] === '\\') ? "\\'" : "''";
}

/** A text written for the string as SQL reads it (parse.ts stringValue). */
export const readAs = stringValue;

/**
 * The string constants and quoted names of the SQL the string's content holds (those of a
 * dollar-quoted body in it too: a function's), each as the string writes it and as SQL reads it
 * where the two differ (`''app.x''`, `\'app.x\'`: `'app.x'`): what a message quoting the
 * string's text says as PostgreSQL runs it. A chain's string is read with the SQL around it.
 */
export function readsOf(text: string, lit: StringLiteral): ReadAs[] {
  const units = unitsOf(text, lit);
  if (!units) return [];
  // (the content as SQL reads it, and for each of its characters the unit it is read from)
  let sql = '';
  const unitOf: number[] = [];
  for (let i = 0; i < units.length; i++) {
    const u = units[i]!;
    const w = text.slice(u.at, u.at + u.len);
    const r = u.hole ? w : readAs(w, lit);
    if (r === undefined) return [];
    sql += r;
    for (let k = 0; k < r.length; k++) unitOf.push(i);
  }
  const before = lit.around?.before ?? '';
  const out: ReadAs[] = [];
  const seen = new Set<string>();
  const collect = (whole: string, offset: number, depth: number): void => {
    for (const t of sqlTokens(whole) ?? []) {
      const from = t.start - offset;
      const to = t.end - offset;
      if (from < 0 || to > sql.length || from >= to) continue;
      const token = sql.slice(from, to);
      if (!/^(?:[eE]?'|"|\$)/.test(token)) continue;
      const first = units[unitOf[from]!]!;
      const last = units[unitOf[to - 1]!]!;
      const written = text.slice(first.at, last.at + last.len);
      if (written !== token && readAs(written, lit) === token && !seen.has(written)) {
        seen.add(written);
        out.push({ written, sql: token });
      }
      // (a dollar-quoted body: its own string constants)
      const tag = /^\$[^$]*\$/.exec(token)?.[0];
      if (tag && depth < 3 && token.endsWith(tag) && token.length >= 2 * tag.length) collect(token.slice(tag.length, token.length - tag.length), -(from + tag.length), depth + 1);
    }
  };
  collect(before + sql + (lit.around?.after ?? ''), before.length, 0);
  // (the longer first: one may hold another)
  return out.sort((a, b) => b.written.length - a.written.length);
}

/** A text written for the string split into units, as unitsOf (a lone `'` or `%` is a unit of its own). */
function splitWritten(s: string, lit: StringLiteral): string[] {
  const out: string[] = [];
  for (let i = 0; i < s.length; ) {
    const two = s.slice(i, i + 2);
    const n = lit.escapes && s[i] === '\\' ? Math.min(escapeLength(s, i), s.length - i) : (lit.quote === "'" && two === "''") || (lit.format && two === '%%') ? 2 : 1;
    out.push(s.slice(i, i + n));
    i += n;
  }
  return out;
}

/**
 * Which units of `added` are kept from `kept` (the text the edit replaces): the longest run of
 * units both hold, then the same on each side of it (what a rule copies is a run of the file's
 * text; what it writes around it is short). Returns a flag per unit of `added`.
 */
function keptUnits(added: string[], kept: string[]): boolean[] {
  const flags = new Array<boolean>(added.length).fill(false);
  const match = (a0: number, a1: number, k0: number, k1: number, depth: number): void => {
    if (a0 >= a1 || k0 >= k1 || depth > 64) return;
    let best = 0;
    let ba = 0;
    let bk = 0;
    // (the texts are a policy's clause or a function's header: a few hundred units at most)
    let prev = new Array<number>(k1 - k0 + 1).fill(0);
    for (let i = a0; i < a1; i++) {
      const row = new Array<number>(k1 - k0 + 1).fill(0);
      for (let j = k0; j < k1; j++) {
        if (added[i] !== kept[j]) continue;
        const n = prev[j - k0]! + 1;
        row[j - k0 + 1] = n;
        if (n > best) {
          best = n;
          ba = i - n + 1;
          bk = j - n + 1;
        }
      }
      prev = row;
    }
    if (best === 0) return;
    for (let i = ba; i < ba + best; i++) flags[i] = true;
    match(a0, ba, k0, bk, depth + 1);
    match(ba + best, a1, bk + best, k1, depth + 1);
  };
  if (added.length * kept.length <= 4_000_000) match(0, added.length, 0, kept.length, 0);
  return flags;
}

/**
 * An edit inside the string's content with its new text written for the string, or undefined
 * where it cannot be (see the file's comment). `text` is the file's text.
 */
export function editInLiteral(e: LiteralEdit, text: string, lit: StringLiteral): (LiteralEdit & { read?: ReadAs[] }) | undefined {
  if (e.start < lit.start || e.end > lit.end) return undefined;
  const units = unitsOf(text, lit);
  if (!units) return undefined;
  // (its ends at units' boundaries, no placeholder inside or cut)
  const starts = new Set(units.map((u) => u.at));
  starts.add(lit.end);
  if (!starts.has(e.start) || !starts.has(e.end)) return undefined;
  if (units.some((u) => u.hole && u.at < e.end && e.start < u.at + u.len)) return undefined;
  if (lit.quote !== "'" && e.newText.includes(lit.quote)) return undefined;
  const added = splitWritten(e.newText, lit);
  const kept = keptUnits(added, splitWritten(text.slice(e.start, e.end), lit));
  const quote = quoteOf(text, lit);
  let out = '';
  let written = '';
  // (the new text as SQL will read it: what it keeps of the string read, what it adds as is)
  let sql = '';
  for (let i = 0; i < added.length; i++) {
    if (kept[i]) {
      out += added[i];
      sql += readAs(added[i]!, lit) ?? added[i];
    } else {
      out += escaped(added[i]!, lit, quote);
      written += added[i];
      sql += added[i];
    }
  }
  if (lit.values?.length && lit.values.some((v) => v && new RegExp(`(^|[^\\w$])${v.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}($|[^\\w$])`, 'i').test(written))) return undefined;
  const old = text.slice(e.start, e.end);
  const oldSql = readAs(old, lit);
  // (the longer first: a title quoting the new text holds the old one)
  const read = [...(sql !== e.newText ? [{ written: e.newText, sql }] : []), ...(oldSql !== undefined && oldSql !== old && old ? [{ written: old, sql: oldSql }] : [])];
  return { start: e.start, end: e.end, newText: out, ...(read.length ? { read } : {}) };
}

/** The SQL a string's content runs (placeholders given a name, `%L` a literal), parsed as one statement or more. */
export function literalParses(content: string, lit: StringLiteral, before = '', after = ''): boolean {
  const read = lit.escapes ? eStringUnits(content, 0, content.length)?.map((u) => u.value).join('') : lit.quote === "'" ? content.replace(/''/g, "'") : content;
  if (read === undefined) return false;
  let sql = before + read + after;
  if (lit.format) sql = sql.replace(/%(?:%|(?:\d+\$)?([sIL]))/g, (m, conv: string | undefined) => (conv === undefined ? '%' : conv === 'L' ? "'x'" : 'x1'));
  return (tryParseSql(sql)?.stmts ?? []).length > 0;
}
