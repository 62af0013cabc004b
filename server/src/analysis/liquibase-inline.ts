// The SQL a Liquibase changelog holds itself: a changeSet's `<sql>` and `<createProcedure>` changes
// (XML; YAML and JSON `- sql: {sql: …}`), which liquibase update runs in the changelog's order with
// the SQL files it includes (liquibase-changelog.ts followChangelog). A changelog's run of such
// changes between two references is one "part": linted as a SQL text of its own, the changelog's
// text with everything but those changes' SQL blanked (the line breaks kept) and XML's entity and
// character references decoded (`&lt;` is `<`), with a map from its offsets back to the
// changelog's: findings stand where the SQL is written in the changelog. A `<rollback>`'s SQL
// never runs on update: it is none. Pure.
import { getNodeValue, parseTree, type Node as JsonNode, type ParseError } from 'jsonc-parser';
import { makePositionAt, type LiquibaseSplit } from './parse.js';
import type { Position } from './types.js';
import { parseYaml, runsOnPostgres, XML_REFERENCE, xmlElements, xmlReference, yamlPieces, type SqlFileSplit, type XmlElement } from './liquibase-changelog.js';
import { CHANGE_TYPE_NAMES, CHANGE_TYPES, madeSql, type ChangeNode, type MadePiece } from './liquibase-changes.js';

/** One change of a changelog holding SQL (`<sql>`, `<createProcedure>`) or making it (a change type: liquibase-changes.ts), where it is in the changelog's text. */
export interface InlineSql {
  /** how many of the changelog's references (changelogRefs) come before it */
  after: number;
  /**
   * its text's pieces, as offsets in the changelog: XML character data (`decode` xml: its references
   * decoded) or a CDATA section, a YAML scalar's lines, a JSON string's content (`decode` json: its
   * escapes decoded); for a change type, the SQL Liquibase makes for it (`made`, standing at `start`)
   */
  pieces: MadePiece[];
  /** the change type whose SQL Liquibase makes (`createTable` …): its pieces end its statements themselves */
  change?: string;
  /** how Liquibase splits it (AbstractSQLChange; a createProcedure is one statement) */
  split: SqlFileSplit;
  /** why Liquibase never runs it on PostgreSQL (its changeSet's ignore or dbms, the change's dbms) */
  skipped?: string;
  /** Set when its SQL is written so that the lint cannot tell where each character stands (a YAML scalar with escapes, a flow collection): neither replayed nor linted, and told */
  unplaced?: true;
}

/** Whether a changelog's text (XML) may hold SQL of its own (a cheap look before reading it). */
export function mayHoldSql(text: string): boolean {
  return XML_HOLDS_SQL.test(text);
}

const XML_HOLDS_SQL = new RegExp(`<(?:[\\w.-]+:)?(?:sql|createProcedure|${CHANGE_TYPE_NAMES})[\\s/>]`);
const TEXT_HOLDS_SQL = new RegExp(`\\b(?:sql|procedureBody|${CHANGE_TYPE_NAMES})"?\\s*:`);

/** Why a change with these attributes, in a changeSet with those, never runs on PostgreSQL (ignore, dbms), or undefined. */
function skipOf(set: Record<string, unknown>, change: Record<string, unknown>): string | undefined {
  const ignore = set.ignore;
  if (ignore === true || /^\s*true\s*$/i.test(typeof ignore === 'string' ? ignore : '')) return 'ignore: true';
  if (!runsOnPostgres(set.dbms)) return `dbms: ${String(set.dbms).trim()}`;
  if (!runsOnPostgres(change.dbms)) return `dbms: ${String(change.dbms).trim()}`;
  return undefined;
}

/** How Liquibase splits a sql change with these attributes (a createProcedure: one statement). */
function splitOf(a: Record<string, unknown>, procedure: boolean): SqlFileSplit {
  if (procedure) return { split: false };
  const end = a.endDelimiter;
  const split = a.splitStatements;
  return { split: !(split === false || /^\s*false\s*$/i.test(typeof split === 'string' ? split : '')), ...(typeof end === 'string' && end !== '' ? { endDelimiter: end } : {}) };
}

const isMap = (v: unknown): v is Record<string, unknown> => !!v && typeof v === 'object' && !Array.isArray(v);

/**
 * A YAML changelog's changes holding SQL (`- sql: {sql: …}`, `- createProcedure: {procedureBody: …}`),
 * in its order (rollbacks' left out); undefined when it is no YAML changelog or cannot be read. A
 * change whose SQL is written with escapes (a double-quoted scalar with `\`, a single-quoted one
 * with `''`) or in a flow collection has no pieces: the lint cannot show where it stands.
 */
export function yamlInline(text: string): InlineSql[] | undefined {
  if (!TEXT_HOLDS_SQL.test(text)) return [];
  const y = parseYaml(text);
  if ('problem' in y || !isMap(y.value) || !Array.isArray(y.value.databaseChangeLog)) return undefined;
  const out: InlineSql[] = [];
  let refs = 0;
  // (counted as changelogRefs counts the references: treeRefs)
  for (const item of y.value.databaseChangeLog) {
    if (!isMap(item)) continue;
    for (const [name, v] of Object.entries(item)) {
      if (name === 'include' || name === 'includeAll') refs++;
      else if (name === 'modifyChangeSets') {
        for (const m of Array.isArray(v) ? v : [v]) if (isMap(m)) for (const [k, x] of Object.entries(m)) if (k === 'include' || k === 'includeAll') refs += Array.isArray(x) ? x.length : 1;
      } else if (name === 'changeSet' && isMap(v)) {
        for (const c of Array.isArray(v.changes) ? v.changes : []) {
          if (!isMap(c)) continue;
          if ('sqlFile' in c) refs++;
          for (const [kind, change] of Object.entries(c)) {
            if (!CHANGE_TYPES.has(kind) || !isMap(change)) continue;
            const node = yamlNode(change);
            const pieces = node && madeSql(kind, node);
            const skipped = skipOf(v, change);
            if (node === undefined || pieces) out.push({ after: refs, pieces: pieces ?? [], change: kind, split: { split: false }, ...(skipped ? { skipped } : {}), ...(pieces ? {} : { unplaced: true as const }) });
          }
          for (const [kind, key] of [['sql', 'sql'], ['createProcedure', 'procedureBody']] as const) {
            if (!(kind in c)) continue;
            const change = c[kind];
            // (`- sql: SELECT 1`, or a map with its sql and attributes)
            const [holder, k, attrs]: [Record<string, unknown>, string, Record<string, unknown>] = isMap(change) ? [change, key, change] : [c, kind, {}];
            if (typeof holder[k] !== 'string') continue;
            if (kind === 'createProcedure' && typeof attrs.path === 'string' && attrs.path.trim() !== '') continue;
            const pieces = yamlPieces(holder, k);
            const skipped = skipOf(v, attrs);
            out.push({ after: refs, pieces: (pieces ?? []).map((p) => ({ start: p.start, end: p.end })), split: splitOf(attrs, kind === 'createProcedure'), ...(skipped ? { skipped } : {}), ...(pieces ? {} : { unplaced: true as const }) });
          }
        }
      }
    }
  }
  return out;
}

/** A changelog's (XML) changes holding SQL, in its order (rollbacks' left out); undefined when the text is no XML changelog or is malformed. */
export function xmlInline(text: string): InlineSql[] | undefined {
  if (!mayHoldSql(text)) return [];
  const els = xmlElements(text);
  if (!Array.isArray(els) || els[0]!.name !== 'databaseChangeLog') return undefined;
  const out: InlineSql[] = [];
  let refs = 0;
  let kids: Map<XmlElement, XmlElement[]> | undefined;
  for (const el of els) {
    const parent = el.parent?.name;
    // (counted as changelogRefs counts the references)
    if ((el.name === 'include' || el.name === 'includeAll') && (parent === 'databaseChangeLog' || parent === 'modifyChangeSets')) refs++;
    else if (el.name === 'sqlFile' && parent === 'changeSet') refs++;
    else if ((el.name === 'sql' || el.name === 'createProcedure') && parent === 'changeSet') {
      const set = el.parent!.attrs;
      const a = el.attrs;
      // (a createProcedure with a path reads a file: not followed)
      if (el.name === 'createProcedure' && typeof a.path === 'string' && a.path.trim() !== '') continue;
      const split = splitOf(a, el.name === 'createProcedure');
      const skipped = skipOf(set, a);
      const pieces = (el.texts ?? []).map((t) => ({ start: t.start, end: t.end, ...(t.cdata ? {} : { decode: 'xml' as const }) }));
      out.push({ after: refs, pieces, split, ...(skipped ? { skipped } : {}) });
    } else if (parent === 'changeSet' && CHANGE_TYPES.has(el.name)) {
      kids ??= childrenOf(els);
      const pieces = madeSql(el.name, xmlNode(el, kids));
      const skipped = skipOf(el.parent!.attrs, el.attrs);
      if (pieces) out.push({ after: refs, pieces, change: el.name, split: { split: false }, ...(skipped ? { skipped } : {}) });
    }
  }
  return out;
}

/** Each element's children, in order. */
function childrenOf(els: readonly XmlElement[]): Map<XmlElement, XmlElement[]> {
  const out = new Map<XmlElement, XmlElement[]>();
  for (const el of els) if (el.parent) (out.get(el.parent) ?? out.set(el.parent, []).get(el.parent)!).push(el);
  return out;
}

const textOf = (attrs: Record<string, unknown>): Record<string, string> => Object.fromEntries(Object.entries(attrs).filter(([, v]) => v !== null && typeof v !== 'object').map(([k, v]) => [k, String(v)]));

/** A change type's element as liquibase-changes.ts reads it: its attributes, its `<column>`s with their `<constraints>`' attributes, its text. */
function xmlNode(el: XmlElement, kids: Map<XmlElement, XmlElement[]>): ChangeNode {
  const columns = (kids.get(el) ?? []).filter((c) => c.name === 'column').map((c): ChangeNode => {
    const node: ChangeNode = { attrs: textOf(c.attrs), at: { ...c.attrAt }, start: c.start, columns: [] };
    for (const k of kids.get(c) ?? []) if (k.name === 'constraints') {
      Object.assign(node.attrs, textOf(k.attrs));
      for (const [name, at] of Object.entries(k.attrAt)) node.at[name] = at;
    }
    return node;
  });
  return { attrs: textOf(el.attrs), at: el.attrAt, start: el.start, columns, text: (el.texts ?? []).map((t) => ({ start: t.start, end: t.end, ...(t.cdata ? {} : { decode: 'xml' as const }) })) };
}

/**
 * A YAML change type's map as liquibase-changes.ts reads it (its scalars, `columns: [- column: …]`
 * with their `constraints`, createView's `selectQuery`); undefined when the lint cannot tell where
 * it is written (no string of it placed: a flow collection, escapes).
 */
function yamlNode(m: Record<string, unknown>): ChangeNode | undefined {
  const read = (x: Record<string, unknown>, start?: number): ChangeNode | undefined => {
    const at: Record<string, number> = {};
    for (const k of Object.keys(x)) {
      const p = typeof x[k] === 'string' ? yamlPieces(x, k) : undefined;
      if (p?.length) at[k] = p[0]!.start;
    }
    const first = Math.min(...Object.values(at));
    const node: ChangeNode = { attrs: textOf(x), at, start: Number.isFinite(first) ? first : (start ?? NaN), columns: [] };
    const cons = x.constraints;
    if (isMap(cons)) {
      Object.assign(node.attrs, textOf(cons));
      for (const k of Object.keys(cons)) {
        const p = typeof cons[k] === 'string' ? yamlPieces(cons, k) : undefined;
        if (p?.length) node.at[k] = p[0]!.start;
      }
    }
    return Number.isNaN(node.start) ? undefined : node;
  };
  const columns: Array<Record<string, unknown>> = [];
  for (const c of Array.isArray(m.columns) ? m.columns : []) if (isMap(c) && isMap(c.column)) columns.push(c.column);
  const node = read(m);
  if (!node) return undefined;
  for (const c of columns) {
    const col = read(c, node.start);
    if (!col) return undefined;
    node.columns.push(col);
  }
  if (typeof m.selectQuery === 'string') {
    const q = yamlPieces(m, 'selectQuery');
    if (!q) return undefined;
    node.text = q.map((p) => ({ start: p.start, end: p.end }));
  }
  return node;
}

/** A JSON change type's object as liquibase-changes.ts reads it (its scalars, `columns` with their `constraints`, createView's `selectQuery`). */
function jsonNode(n: JsonNode): ChangeNode {
  const node: ChangeNode = { attrs: {}, at: {}, start: n.offset, columns: [] };
  const scalars = (o: JsonNode | undefined) => {
    for (const p of o?.type === 'object' ? (o.children ?? []) : []) {
      const key = p.children?.[0]?.value;
      const v = p.children?.[1];
      if (typeof key !== 'string' || !v || (v.type !== 'string' && v.type !== 'number' && v.type !== 'boolean')) continue;
      node.attrs[key] = String(v.value);
      node.at[key] = v.type === 'string' ? v.offset + 1 : v.offset;
    }
  };
  scalars(n);
  for (const p of n.children ?? []) {
    const key = p.children?.[0]?.value;
    const v = p.children?.[1];
    if (key === 'constraints') scalars(v);
    else if (key === 'columns' && v?.type === 'array') {
      for (const c of v.children ?? []) {
        const col = c.type === 'object' ? c.children?.find((x) => x.children?.[0]?.value === 'column')?.children?.[1] : undefined;
        if (col?.type === 'object') node.columns.push(jsonNode(col));
      }
    } else if (key === 'selectQuery' && v?.type === 'string') node.text = [{ start: v.offset + 1, end: v.offset + v.length - 1, decode: 'json' }];
  }
  return node;
}

/** A JSON string's escape (`\n`, `\"`, `\u00e9`). */
const JSON_ESCAPE = /\\(?:u[0-9a-fA-F]{4}|["\\/bfnrt])/g;
const JSON_SIMPLE: Record<string, string> = { '"': '"', '\\': '\\', '/': '/', b: '\b', f: '\f', n: '\n', r: '\r', t: '\t' };
const jsonEscape = (e: string): string => (e[1] === 'u' ? String.fromCharCode(parseInt(e.slice(2), 16)) : JSON_SIMPLE[e[1]!]!);

/**
 * A JSON changelog's changes holding SQL (`{"sql": {"sql": "…"}}`, `{"createProcedure": {"procedureBody": "…"}}`),
 * in its order (rollbacks' left out), each string's content with its escapes to decode; undefined
 * when it is no JSON changelog (one Liquibase reads with its YAML parser, not JSON: none read).
 */
export function jsonInline(text: string): InlineSql[] | undefined {
  if (!TEXT_HOLDS_SQL.test(text)) return [];
  const errors: ParseError[] = [];
  const root = parseTree(text, errors, { disallowComments: true });
  if (!root || errors.length || root.type !== 'object') return undefined;
  const prop = (n: JsonNode | undefined, key: string) => n?.type === 'object' ? n.children?.find((c) => c.children?.[0]?.value === key)?.children?.[1] : undefined;
  const list = prop(root, 'databaseChangeLog');
  if (list?.type !== 'array') return undefined;
  const out: InlineSql[] = [];
  let refs = 0;
  for (const item of list.children ?? []) {
    for (const entry of item.type === 'object' ? (item.children ?? []) : []) {
      const name = entry.children?.[0]?.value;
      const v = entry.children?.[1];
      if (name === 'include' || name === 'includeAll') refs++;
      else if (name === 'modifyChangeSets') {
        for (const m of v?.type === 'array' ? (v.children ?? []) : [v]) for (const k of ['include', 'includeAll']) {
          const x = prop(m, k);
          if (x) refs += x.type === 'array' ? (x.children?.length ?? 0) : 1;
        }
      } else if (name === 'changeSet' && v?.type === 'object') {
        const set = getNodeValue(v) as Record<string, unknown>;
        const changes = prop(v, 'changes');
        for (const c of changes?.type === 'array' ? (changes.children ?? []) : []) {
          if (c.type !== 'object') continue;
          for (const e of c.children ?? []) {
            const kind = e.children?.[0]?.value;
            const change = e.children?.[1];
            if (kind === 'sqlFile') refs++;
            if (typeof kind === 'string' && CHANGE_TYPES.has(kind) && change?.type === 'object') {
              const pieces = madeSql(kind, jsonNode(change));
              const skipped = skipOf(set, getNodeValue(change) as Record<string, unknown>);
              if (pieces) out.push({ after: refs, pieces, change: kind, split: { split: false }, ...(skipped ? { skipped } : {}) });
              continue;
            }
            if (kind !== 'sql' && kind !== 'createProcedure') continue;
            const str = change?.type === 'string' ? change : prop(change, kind === 'sql' ? 'sql' : 'procedureBody');
            if (str?.type !== 'string') continue;
            const attrs = change?.type === 'object' ? (getNodeValue(change) as Record<string, unknown>) : {};
            if (kind === 'createProcedure' && typeof attrs.path === 'string' && attrs.path.trim() !== '') continue;
            const skipped = skipOf(set, attrs);
            out.push({ after: refs, pieces: [{ start: str.offset + 1, end: str.offset + str.length - 1, decode: 'json' }], split: splitOf(attrs, kind === 'createProcedure'), ...(skipped ? { skipped } : {}) });
          }
        }
      }
    }
  }
  return out;
}

/** A part's SQL text (the changelog's length, its line breaks kept, but for the SQL Liquibase makes for a change type), where Liquibase splits it, and its map back to the changelog (InlineMap). */
export interface InlineText {
  text: string;
  split: LiquibaseSplit;
  map: InlineMap;
}

/**
 * Offsets of a part's text → the changelog's: pairs (at, source), sorted: from `at` on (up to the
 * next pair) an offset is `source + (offset - at)`. Each reference decoded to fewer characters
 * starts a pair after it; a piece's end restores the identity; the SQL made for a change type
 * (InlineSql.change) starts a pair at each of its fragments, and one after it (the text after it
 * is that much further on in the part than in the changelog).
 */
export type InlineMap = number[];

/**
 * The SQL text of a part made of `changes` of a changelog's `source`: blanks but for the changes'
 * pieces (each reference decoded in place, the characters it saves left blank at the piece's
 * end, so that every offset outside a piece stays the changelog's and each line its line, but
 * where a JSON string's `\n` makes one: its suppression comments' lines are the part's; the SQL
 * made for a change type written where its element starts, the changelog's text after it that
 * much further on); a semicolon just after each `<sql>` change (where its XML element closes,
 * first on the line after a YAML scalar's last line) ends its last statement, as Liquibase runs
 * each on its own.
 */
export function inlineText(source: string, changes: readonly InlineSql[]): InlineText {
  const out: string[] = [];
  const map: number[] = [];
  const split: Array<{ start: number; end: number; endDelimiter?: string }> = [];
  /** how far the changelog is written into the part */
  let at = 0;
  /** the part's length */
  let len = 0;
  /** `text`, standing at the changelog's `from` (a pair where the map would say otherwise) */
  const put = (text: string, from: number) => {
    if (text === '') return;
    const mapped = map.length ? map[map.length - 1]! + (len - map[map.length - 2]!) : len;
    if (mapped !== from) {
      if (map.length && map[map.length - 2] === len) map.splice(-2, 2);
      map.push(len, from);
    }
    out.push(text);
    len += text.length;
  };
  const blankTo = (to: number) => {
    if (to > at) put(source.slice(at, to).replace(/[^\r\n]/g, ' '), at);
    at = Math.max(at, to);
  };
  const next = (k: number) => changes.slice(k + 1).find((c) => c.pieces.length)?.pieces[0]!.start ?? source.length;
  for (const [k, c] of changes.entries()) {
    if (c.pieces.length === 0) continue;
    const last = c.pieces[c.pieces.length - 1]!.end;
    let first: number | undefined;
    // (the SQL made for a change type: all of it, or none where its place is taken)
    if (c.change && c.pieces[0]!.start < at) continue;
    for (const p of c.pieces) {
      if (p.made !== undefined) {
        // (the SQL Liquibase makes, each fragment at its place, the changelog's text between them left out but for its line breaks: each line stays its line)
        if (first === undefined) blankTo(p.start);
        else if (p.start > at) put(source.slice(at, p.start).replace(/[^\r\n]/g, ''), at);
        first ??= len;
        at = Math.max(at, p.start);
        put(p.made, at);
        continue;
      }
      if (p.start < at) continue;
      blankTo(p.start);
      first ??= len;
      const raw = source.slice(p.start, p.end);
      if (!p.decode || !raw.includes(p.decode === 'xml' ? '&' : '\\')) put(raw, p.start);
      else {
        let s = p.start;
        let saved = 0;
        for (const m of raw.matchAll(p.decode === 'xml' ? XML_REFERENCE : JSON_ESCAPE)) {
          const ref = p.start + m.index!;
          let decoded = p.decode === 'xml' ? xmlReference(m[0], m[1], m[2], m[3]) : jsonEscape(m[0]);
          // (a line break written as an XML reference would move the lines after it: a space; JSON's `\n` is the line break SQL needs, a comment's end)
          if (p.decode === 'xml' && /[\r\n]/.test(decoded)) decoded = decoded.replace(/[\r\n]/g, ' ');
          put(source.slice(s, ref), s);
          put(decoded, ref);
          saved += m[0].length - decoded.length;
          s = ref + m[0].length;
        }
        put(source.slice(s, p.end), s);
        // (the characters the references saved, blank: the text after the piece keeps its offsets)
        if (saved > 0) {
          out.push(' '.repeat(saved));
          len += saved;
        }
      }
      at = p.end;
    }
    if (first === undefined) continue;
    if (c.split.split) split.push({ start: first, end: len, ...(c.split.endDelimiter !== undefined ? { endDelimiter: c.split.endDelimiter } : {}) });
    if (c.change) continue;
    // (the change ends its statement: a semicolon where its element closes, or first on the line after its last one)
    let end = last;
    while (end < source.length && (source[end] === '\n' || source[end] === '\r')) end++;
    if (at === last && end < next(k)) {
      blankTo(end);
      put(';', end);
      at = end + 1;
    }
  }
  blankTo(source.length);
  return { text: out.join(''), split, map };
}

/** A part's offset as the changelog's (InlineMap). */
export function sourceOffset(map: InlineMap, offset: number): number {
  let k = -1;
  for (let i = 0; i < map.length && map[i]! <= offset; i += 2) k = i;
  return k < 0 ? offset : map[k + 1]! + (offset - map[k]!);
}

/** A changelog's offset as the part's: inside a reference, its decoded character's. */
export function partOffset(map: InlineMap, source: number): number {
  let k = -1;
  for (let i = 0; i < map.length && map[i + 1]! <= source; i += 2) k = i;
  if (k < 0) return Math.min(source, map.length ? map[0]! - 1 : source);
  const v = map[k]! + (source - map[k + 1]!);
  return k + 2 < map.length ? Math.min(v, map[k + 2]! - 1) : v;
}

/** positionAt and offsetAt of a part of a changelog: in the changelog's lines and columns. */
export function inlinePositions(source: string, map: InlineMap): { positionAt(offset: number): Position; offsetAt(p: Position): number } {
  const at = makePositionAt(source);
  if (map.length === 0) return at;
  return { positionAt: (offset) => at.positionAt(sourceOffset(map, offset)), offsetAt: (p) => partOffset(map, at.offsetAt(p)) };
}
