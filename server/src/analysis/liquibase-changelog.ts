// A Liquibase project's changelogs: the order `liquibase update` runs its SQL files in. The
// master changelog (XML, YAML or JSON whose root is `databaseChangeLog`; Spring Boot's
// `db/changelog/db.changelog-master.yaml`) lists, in order: `include file=…` (another changelog,
// or a .sql file — formatted SQL or plain, run as it is), `includeAll path=…` (every file of a
// folder and its subfolders, sorted by path as Java compares strings; .sql files and changelogs,
// other files skipped) and, inside a changeSet, `sqlFile path=…` (liquibase.changelog.
// DatabaseChangeLog: handleChildNode, include, includeAll, getStandardChangeLogComparator). A path
// is the changelog's sibling with relativeToChangelogFile="true" (resolveSibling), else it is
// found on the search path (the classpath root: src/main/resources/ for Spring Boot and Maven,
// the working directory for the CLI). A changeSet (or sqlFile) whose dbms leaves PostgreSQL out,
// or an include, includeAll or changeSet with ignore="true", is never run on PostgreSQL
// (DatabaseList.definitionMatches). Pure: a changelog's text in, its references out; following
// them takes a view of the disk the caller gives (io/files.ts readLiquibaseChangelogs). Never throws.
import { decodedId } from './file-id.js';
import { jsonInline, xmlInline, yamlInline, type InlineSql } from './liquibase-inline.js';

/** A Liquibase master changelog, followed: for the replay order (migrationOrder) and the files it never runs. */
export interface LiquibaseChangelog {
  /** the master changelog as shown to the user (`src/main/resources/db/changelog/db.changelog-master.yaml`) */
  source: string;
  /** the file ids of the folder holding the master start with this (`/`-terminated): its files that no changelog runs, liquibase update never runs */
  folder: string;
  /** the file ids of the SQL files liquibase update runs, in the order it runs them */
  files: string[];
  /**
   * Set when the changelog could not be followed (a property `${…}` in a path, a malformed
   * changelog: told by the caller): it orders nothing, and no file under its folder is said not to run.
   */
  unread?: true;
  /** Set when it names files the lint cannot find (ChangelogRun.missing: told by the caller): the files found keep its order, but none under its folder is said not to run. */
  partial?: true;
  /** the plain SQL files (no formatted SQL) among `files` that a changeSet's sqlFile runs, by file id: how Liquibase splits each (SqlFileSplit) */
  sqlFiles?: Record<string, SqlFileSplit>;
  /**
   * The parts among `files` that are a changelog's own SQL (ChangelogRun.inline), by file id: the
   * changelog's id (the first part's id; the next ones' add `#2`, `#3`…) and the changes. The
   * caller gives each part the changelog's text (Workspace.setFile).
   */
  inline?: Record<string, { changelog: string; changes: InlineSql[] }>;
}

/**
 * How Liquibase splits a plain SQL file a changeSet's sqlFile runs (AbstractSQLChange: splitStatements
 * true and no endDelimiter by default): at its endDelimiter; without one at a `;`, or a `/` or GO
 * alone on a line (StringUtil.isDelimiter); with splitStatements="false" not at all: the file is one
 * statement, which PostgreSQL's JDBC driver runs as psql would.
 */
export interface SqlFileSplit {
  split: boolean;
  endDelimiter?: string;
}

/** One reference of a changelog to a file or a folder, in the changelog's order. */
export interface ChangelogRef {
  kind: 'include' | 'includeAll' | 'sqlFile';
  /** the path as written */
  path: string;
  /** relativeToChangelogFile="true": the changelog's sibling, else found on the search path */
  relative: boolean;
  /** errorIfMissing (include) / errorIfMissingOrEmpty (includeAll), true by default: Liquibase stops when it finds nothing */
  required: boolean;
  /** why Liquibase never runs it on PostgreSQL (`ignore="true"`, `dbms="h2"`) */
  skipped?: string;
  /** a changeSet's runOrder (sqlFile): `first` or `last` moves it before or after every other changeset of the update */
  runOrder?: 'first' | 'last';
  /** sqlFile: how Liquibase splits the file's text (its splitStatements and endDelimiter), unless as by default (split, no endDelimiter) */
  split?: SqlFileSplit;
  /** includeAll: endsWithFilter, minDepth and maxDepth (the depth of a file right in the folder is 1) */
  endsWith?: string;
  minDepth?: number;
  maxDepth?: number;
}

export type ChangelogFormat = 'xml' | 'yaml' | 'json';

/** A changelog's format by its name (`.xml`, `.yaml` / `.yml`, `.json`); undefined for other files. */
export function changelogFormat(name: string): ChangelogFormat | undefined {
  const m = /\.(xml|ya?ml|json)$/i.exec(name);
  if (!m) return undefined;
  const ext = m[1]!.toLowerCase();
  return ext === 'xml' ? 'xml' : ext === 'json' ? 'json' : 'yaml';
}

/** Whether a text of that format may be a changelog (its root names databaseChangeLog): a cheap look before reading it. */
export function mayBeChangelog(text: string, format: ChangelogFormat): boolean {
  if (!text.includes('databaseChangeLog')) return false;
  if (format === 'xml') return /<(?:[\w.-]+:)?databaseChangeLog[\s>/]/.test(text);
  if (format === 'json') return /"databaseChangeLog"\s*:/.test(text);
  return /^(?:databaseChangeLog|"databaseChangeLog"|'databaseChangeLog')[ \t]*:/m.test(text);
}

/**
 * The references of a changelog's text, in its order; undefined when the text is no changelog
 * (its root is not databaseChangeLog); a problem when Liquibase could not read it or the lint
 * cannot follow it (a property `${…}` in a path, an includeAll ordered or filtered by a Java class).
 */
export function changelogRefs(text: string, format: ChangelogFormat): { refs: ChangelogRef[] } | { problem: string } | undefined {
  if (format === 'xml') return xmlRefs(text);
  let tree: unknown;
  if (format === 'json') {
    // (Liquibase reads a JSON changelog with its YAML parser, which takes what JSON.parse refuses
    // when it is YAML: `[ "changeSet": {…} ]`)
    try {
      tree = JSON.parse(text.replace(/^\uFEFF/, ''));
    } catch (e) {
      const y = parseYaml(text);
      if ('problem' in y) return { problem: `not valid JSON (${(e as Error).message})` };
      tree = y.value;
    }
  } else {
    const y = parseYaml(text);
    if ('problem' in y) return { problem: `not valid YAML (${y.problem})` };
    tree = y.value;
  }
  return treeRefs(tree);
}

// ---------------------------------------------------------------------------------------------
// What a reference says

/** Liquibase's reading of a boolean attribute (ObjectUtil.convert: Boolean.valueOf): "true" in any case; absent: the default. */
function bool(v: unknown, dflt: boolean): boolean {
  if (v === undefined || v === null || v === '') return dflt;
  if (typeof v === 'boolean') return v;
  return String(v).trim().toLowerCase() === 'true';
}

/** A depth attribute (includeAll's minDepth / maxDepth), or the default. */
function depth(v: unknown, dflt: number): number | undefined {
  if (v === undefined || v === null || v === '') return dflt;
  const n = typeof v === 'number' ? v : /^\s*\d+\s*$/.test(String(v)) ? parseInt(String(v), 10) : NaN;
  return Number.isInteger(n) && n >= 0 ? n : undefined;
}

/**
 * Whether Liquibase runs a changeset (or a change) with this `dbms` on PostgreSQL
 * (DatabaseList.definitionMatches with PostgreSQL's short name, `postgresql`): none, empty or
 * `all` does; `none` or `!postgresql` does not; else a list naming databases must name postgresql.
 * A property (`${…}`) is taken to run.
 */
export function runsOnPostgres(dbms: unknown): boolean {
  if (dbms === undefined || dbms === null) return true;
  const s = String(dbms).trim();
  if (s === '' || s.includes('${')) return true;
  const set = s.toLowerCase().split(',').map((x) => x.trim());
  if (set.includes('all')) return true;
  if (set.includes('none') || set.includes('!postgresql')) return false;
  const named = set.filter((x) => !x.startsWith('!'));
  return named.length === 0 || named.includes('postgresql');
}

/** A file of Liquibase's formatted SQL: `--liquibase formatted` on its first line that is not blank (FIRST_LINE_PATTERN: `formatted sql`, `formatted.sql`). */
const FORMATTED_SQL = /^\uFEFF?\s*--\s*liquibase\s+formatted/i;
export const isLiquibaseFormatted = (text: string): boolean => FORMATTED_SQL.test(text.slice(0, 200));

/** A changeset's line of Liquibase's formatted SQL (CHANGE_SET_PATTERN), and its `dbms:`, `ignore:` and `endDelimiter:` attributes (AbstractFormattedChangeLogParser's patterns). */
export const LIQUIBASE_CHANGESET = /^[ \t]*--[ \t]*changeset[ \t]+(?:"[^"\n]+"|[^:\n]+):[ \t]*(?:"[^"\n]+"|\S+).*$/gim;
const CHANGESET_LINE = new RegExp(LIQUIBASE_CHANGESET.source, 'i');

/**
 * Whether the line comment at text[at..end) is a changeset's line (LIQUIBASE_CHANGESET, as
 * Liquibase's CHANGE_SET_PATTERN matches a whole line: spaces or tabs before `--`, an author with
 * spaces or in double quotes, an id after the colon). Where the lexer ends a statement.
 */
export function isChangesetLine(text: string, at: number, end: number): boolean {
  let s = at;
  while (s > 0 && (text[s - 1] === ' ' || text[s - 1] === '\t')) s--;
  if (s > 0 && text[s - 1] !== '\n') return false;
  return CHANGESET_LINE.test(text.slice(s, end));
}
const LIQUIBASE_DBMS = /\bdbms:([^,\s][\w!,]*)/i;
const LIQUIBASE_IGNORE = /\bignore:(\w*)/i;
const LIQUIBASE_END_DELIMITER = /\bendDelimiter:(\S*)/i;

/** A changeset line's `endDelimiter:` (END_DELIMITER_PATTERN), or undefined: where parse.ts's lexer ends its statements. */
export function changesetEndDelimiter(line: string): string | undefined {
  const m = LIQUIBASE_END_DELIMITER.exec(line);
  return m && m[1] !== '' ? m[1] : undefined;
}
/** `--ignoreLines:start` … `--ignoreLines:end`, or `--ignoreLines:N` (the N lines after it). */
const LIQUIBASE_IGNORE_LINES = /^[ \t]*--[ \t]*ignoreLines:(\w+)[ \t]*$/gim;

/**
 * What Liquibase never runs of a file of its formatted SQL on PostgreSQL: a changeset whose
 * `dbms:` leaves PostgreSQL out or that says `ignore:true` (to the next changeset line), and the
 * lines `--ignoreLines` skips. Only markers between statements count.
 */
export function liquibaseSkipped(file: { text: string; statements: readonly { start: number; end: number }[] }, sections: Array<{ start: number; end: number }> = []): Array<{ start: number; end: number }> {
  const text = file.text;
  if (!isLiquibaseFormatted(text)) return sections;
  const between = (at: number) => !file.statements.some((s) => s.start <= at && at < s.end);
  const lines = [...text.matchAll(LIQUIBASE_CHANGESET)].filter((m) => between(m.index!));
  for (let k = 0; k < lines.length; k++) {
    const line = lines[k]![0];
    const dbms = LIQUIBASE_DBMS.exec(line)?.[1];
    const ignore = LIQUIBASE_IGNORE.exec(line)?.[1];
    if (ignore?.toLowerCase() === 'true' || (dbms !== undefined && !runsOnPostgres(dbms))) {
      sections.push({ start: lines[k]!.index!, end: k + 1 < lines.length ? lines[k + 1]!.index! : text.length });
    }
  }
  let open: number | undefined;
  for (const m of text.matchAll(LIQUIBASE_IGNORE_LINES)) {
    const at = m.index!;
    if (!between(at)) continue;
    const arg = m[1]!.toLowerCase();
    if (arg === 'start') open ??= at;
    else if (arg === 'end') {
      if (open !== undefined) sections.push({ start: open, end: at + m[0].length });
      open = undefined;
    } else if (/^\d+$/.test(arg) && open === undefined) {
      let end = at + m[0].length;
      for (let n = Number(arg); n > 0 && end < text.length; n--) {
        const nl = text.indexOf('\n', end + 1);
        end = nl < 0 ? text.length : nl;
      }
      sections.push({ start: at, end });
    }
  }
  return sections;
}

/** Whether Liquibase never runs the offset `at` of a file on PostgreSQL (liquibaseSkipped): a changeset for another database, one it ignores, lines it skips. */
export function liquibaseSkippedAt(file: { text: string; statements: readonly { start: number; end: number }[] }): (at: number) => boolean {
  const skipped = liquibaseSkipped(file);
  return skipped.length === 0 ? NEVER : (at) => skipped.some((r) => r.start <= at && at < r.end);
}
const NEVER = (): boolean => false;

/** How Liquibase splits the SQL of a sql or sqlFile change with these attributes (SqlFileSplit). */
function splitOf(a: Attrs): SqlFileSplit {
  const end = a.endDelimiter;
  const endDelimiter = end === undefined || end === null || String(end) === '' ? undefined : String(end);
  return { split: bool(a.splitStatements, true), ...(endDelimiter !== undefined ? { endDelimiter } : {}) };
}

/** Why a changeSet (or include, includeAll, sqlFile) never runs on PostgreSQL, or undefined. */
function skipOf(attrs: { dbms?: unknown; ignore?: unknown }): string | undefined {
  if (bool(attrs.ignore, false)) return 'ignore: true';
  if (!runsOnPostgres(attrs.dbms)) return `dbms: ${String(attrs.dbms).trim()}`;
  return undefined;
}

type Attrs = Record<string, unknown>;

/** One reference from an element's (or a YAML/JSON node's) attributes, or why it cannot be followed. */
function refOf(kind: ChangelogRef['kind'], a: Attrs, outer?: Attrs): ChangelogRef | { problem: string } {
  const attr = kind === 'include' ? 'file' : 'path';
  const raw = a[attr];
  if (typeof raw !== 'string' || raw.trim() === '') return { problem: `${kind} without "${attr}": Liquibase stops on it` };
  const path = raw.trim();
  const relative = bool(a.relativeToChangelogFile, false);
  const skipped = (outer && skipOf(outer)) ?? skipOf(kind === 'include' || kind === 'includeAll' ? { ignore: a.ignore } : { dbms: a.dbms });
  // (a skipped reference never runs, whatever it names)
  if (path.includes('${') && !skipped) return { problem: `${kind} ${attr}="${path}" uses a changelog property (\${…}), which the lint does not substitute` };
  const ref: ChangelogRef = { kind, path, relative, required: bool(kind === 'includeAll' ? a.errorIfMissingOrEmpty : a.errorIfMissing, true), ...(skipped ? { skipped } : {}) };
  if (kind === 'sqlFile' && outer) {
    const order = typeof outer.runOrder === 'string' ? outer.runOrder.trim() : undefined;
    if (order === 'first' || order === 'last') ref.runOrder = order;
  }
  if (kind === 'sqlFile') {
    const split = splitOf(a);
    if (!split.split || split.endDelimiter !== undefined) ref.split = split;
  }
  if (kind === 'includeAll') {
    const klass = ['resourceComparator', 'filter', 'resourceFilter'].find((k) => typeof a[k] === 'string' && (a[k] as string).trim() !== '');
    if (klass) return { problem: `includeAll path="${path}" has ${klass}="${a[klass]}", a Java class that orders or picks its files, which the lint cannot run` };
    const min = depth(a.minDepth, 1);
    const max = depth(a.maxDepth, Number.MAX_SAFE_INTEGER);
    if (min === undefined || max === undefined) return { problem: `includeAll path="${path}" has a minDepth or maxDepth that is not a number` };
    ref.minDepth = min;
    ref.maxDepth = max;
    const ends = a.endsWithFilter;
    if (typeof ends === 'string' && ends.trim() !== '') ref.endsWith = ends.trim();
  }
  return ref;
}

// ---------------------------------------------------------------------------------------------
// YAML and JSON changelogs: `databaseChangeLog:` a list of one-key maps

function isMap(v: unknown): v is Attrs {
  return !!v && typeof v === 'object' && !Array.isArray(v);
}

function treeRefs(tree: unknown): { refs: ChangelogRef[] } | { problem: string } | undefined {
  if (!isMap(tree) || !('databaseChangeLog' in tree)) return undefined;
  const list = tree.databaseChangeLog;
  const refs: ChangelogRef[] = [];
  if (list === null || list === undefined) return { refs };
  if (!Array.isArray(list)) return { problem: '"databaseChangeLog" is not a list' };
  const add = (kind: ChangelogRef['kind'], v: unknown, outer?: Attrs): string | undefined => {
    const r = refOf(kind, isMap(v) ? v : {}, outer);
    if ('problem' in r) return r.problem;
    refs.push(r);
    return undefined;
  };
  const node = (name: string, v: unknown): string | undefined => {
    if (name === 'include' || name === 'includeAll') return add(name, v);
    if (name === 'modifyChangeSets') {
      // (its includes, as a map's keys or a list's items)
      const items = Array.isArray(v) ? v : [v];
      for (const item of items) {
        if (!isMap(item)) continue;
        for (const [k, x] of Object.entries(item)) {
          if (k !== 'include' && k !== 'includeAll') continue;
          for (const one of Array.isArray(x) ? x : [x]) {
            const p = add(k, one);
            if (p) return p;
          }
        }
      }
      return undefined;
    }
    if (name === 'changeSet' && isMap(v)) {
      // (only its changes: a sqlFile of its rollback runs on rollback, never on update)
      const changes = Array.isArray(v.changes) ? v.changes : [];
      for (const c of changes) {
        if (isMap(c) && 'sqlFile' in c) {
          const p = add('sqlFile', c.sqlFile, v);
          if (p) return p;
        }
      }
    }
    return undefined;
  };
  for (const item of list) {
    if (!isMap(item)) continue;
    for (const [name, v] of Object.entries(item)) {
      const p = node(name, v);
      if (p) return { problem: p };
    }
  }
  return { refs };
}

// ---------------------------------------------------------------------------------------------
// XML changelogs

export interface XmlElement {
  /** the local name (without a namespace prefix) */
  name: string;
  attrs: Attrs;
  /** where its start tag starts (its `<`) */
  start: number;
  /** where each attribute's value is written (after its opening quote) */
  attrAt: Record<string, number>;
  parent?: XmlElement;
  /** its own text, in order: the character data right inside it (entities not decoded) and its CDATA sections, as offsets in the text */
  texts?: XmlText[];
  /** where its end tag starts (its own start for an empty element `<x/>`) */
  closeAt?: number;
}

/** A piece of an element's own text: character data (`cdata` unset: its entities are still to decode) or a CDATA section's content. */
export interface XmlText {
  start: number;
  end: number;
  cdata?: true;
}

const XML_ENTITIES: Record<string, string> = { lt: '<', gt: '>', amp: '&', quot: '"', apos: "'" };

/** An entity or character reference (`&lt;`, `&#60;`, `&#x3C;`). */
export const XML_REFERENCE = /&(?:#(\d+)|#x([0-9a-fA-F]+)|(\w+));/g;

/** What a reference stands for (the reference itself when it is none of XML's five nor a character). */
export function xmlReference(m: string, dec: string | undefined, hex: string | undefined, name: string | undefined): string {
  return dec ? String.fromCodePoint(parseInt(dec, 10)) : hex ? String.fromCodePoint(parseInt(hex, 16)) : (XML_ENTITIES[name!] ?? m);
}

function xmlText(s: string): string {
  return s.includes('&') ? s.replace(XML_REFERENCE, xmlReference) : s;
}

/** The elements of an XML text in document order (each with its parent), or what makes it malformed. */
export function xmlElements(text: string): XmlElement[] | { problem: string } {
  const out: XmlElement[] = [];
  const open: Array<{ qname: string; el: XmlElement }> = [];
  let rootClosed = false;
  const lineAt = (i: number) => text.slice(0, i).split('\n').length;
  const fail = (i: number, what: string) => ({ problem: `${what} at line ${lineAt(i)}` });
  const NAME = /[A-Za-z_][-\w.]*(?::[A-Za-z_][-\w.]*)?/y;
  const ATTR = /\s*([A-Za-z_][-\w.]*(?::[A-Za-z_][-\w.]*)?)\s*=\s*(?:"([^"<]*)"|'([^'<]*)')/y;
  let i = text.charCodeAt(0) === 0xfeff ? 1 : 0;
  /** the open element's own text from `from` to `to` (character data between its tags) */
  const own = (from: number, to: number, cdata?: true) => {
    const top = open[open.length - 1];
    if (top && to > from) (top.el.texts ??= []).push({ start: from, end: to, ...(cdata ? { cdata } : {}) });
  };
  for (;;) {
    const lt = text.indexOf('<', i);
    if (lt < 0) break;
    own(i, lt);
    if (text.startsWith('<!--', lt)) {
      const e = text.indexOf('-->', lt + 4);
      if (e < 0) return fail(lt, 'a comment (<!--) that never ends');
      i = e + 3;
      continue;
    }
    if (text.startsWith('<![CDATA[', lt)) {
      const e = text.indexOf(']]>', lt + 9);
      if (e < 0) return fail(lt, 'a CDATA section that never ends');
      own(lt + 9, e, true);
      i = e + 3;
      continue;
    }
    if (text.startsWith('<?', lt)) {
      const e = text.indexOf('?>', lt + 2);
      if (e < 0) return fail(lt, 'a processing instruction (<?) that never ends');
      i = e + 2;
      continue;
    }
    if (text.startsWith('<!', lt)) {
      // (a DOCTYPE, with its internal subset in brackets)
      let depth = 0;
      let j = lt + 2;
      for (; j < text.length; j++) {
        const c = text[j];
        if (c === '"' || c === "'") {
          const q = text.indexOf(c, j + 1);
          if (q < 0) break;
          j = q;
        } else if (c === '[') depth++;
        else if (c === ']') depth--;
        else if (c === '>' && depth <= 0) break;
      }
      if (j >= text.length) return fail(lt, 'a declaration (<!) that never ends');
      i = j + 1;
      continue;
    }
    if (text[lt + 1] === '/') {
      NAME.lastIndex = lt + 2;
      const m = NAME.exec(text);
      const gt = m ? text.indexOf('>', NAME.lastIndex) : -1;
      if (!m || gt < 0 || text.slice(NAME.lastIndex, gt).trim() !== '') return fail(lt, 'a malformed end tag');
      const top = open.pop();
      if (!top || top.qname !== m[0]) return fail(lt, top ? `</${m[0]}> where <${top.qname}> is open` : `</${m[0]}> with no element open`);
      top.el.closeAt = lt;
      if (open.length === 0) rootClosed = true;
      i = gt + 1;
      continue;
    }
    NAME.lastIndex = lt + 1;
    const m = NAME.exec(text);
    if (!m) return fail(lt, 'a "<" that starts no tag');
    if (rootClosed || (open.length === 0 && out.length > 0)) return fail(lt, 'a second root element');
    const attrs: Attrs = {};
    const attrAt: Record<string, number> = {};
    let j = NAME.lastIndex;
    let closed = false;
    for (;;) {
      ATTR.lastIndex = j;
      const a = ATTR.exec(text);
      if (a) {
        const raw = a[2] ?? a[3] ?? '';
        attrs[a[1]!] = xmlText(raw);
        attrAt[a[1]!] = ATTR.lastIndex - 1 - raw.length;
        j = ATTR.lastIndex;
        continue;
      }
      const rest = /\s*(\/?)>/y;
      rest.lastIndex = j;
      const r = rest.exec(text);
      if (!r) return fail(lt, `a malformed <${m[0]}> tag`);
      closed = r[1] === '/';
      j = rest.lastIndex;
      break;
    }
    const qname = m[0];
    const el: XmlElement = { name: qname.includes(':') ? qname.slice(qname.indexOf(':') + 1) : qname, attrs, start: lt, attrAt, ...(open.length ? { parent: open[open.length - 1]!.el } : {}) };
    out.push(el);
    if (closed) {
      el.closeAt = lt;
      if (open.length === 0) rootClosed = true;
    } else open.push({ qname, el });
    i = j;
  }
  if (open.length) return { problem: `<${open[open.length - 1]!.qname}> is never closed` };
  if (out.length === 0) return { problem: 'no element' };
  return out;
}

function xmlRefs(text: string): { refs: ChangelogRef[] } | { problem: string } | undefined {
  const els = xmlElements(text);
  if (!Array.isArray(els)) return { problem: `not valid XML (${els.problem})` };
  if (els[0]!.name !== 'databaseChangeLog') return undefined;
  const refs: ChangelogRef[] = [];
  for (const el of els) {
    const parent = el.parent?.name;
    let r: ChangelogRef | { problem: string } | undefined;
    if ((el.name === 'include' || el.name === 'includeAll') && (parent === 'databaseChangeLog' || parent === 'modifyChangeSets')) r = refOf(el.name, el.attrs);
    // (only a changeSet's own changes: a sqlFile inside its <rollback> runs on rollback, never on update)
    else if (el.name === 'sqlFile' && parent === 'changeSet') r = refOf('sqlFile', el.attrs, el.parent!.attrs);
    if (!r) continue;
    if ('problem' in r) return r;
    refs.push(r);
  }
  return { refs };
}

// ---------------------------------------------------------------------------------------------
// A YAML reader for changelogs: block mappings and sequences, plain, quoted and block scalars,
// flow collections; YAML 1.1's booleans (SnakeYAML, Liquibase's parser: yes/no/on/off). What it
// does not read (an alias, a complex key, a second document) is a problem, never a guess.

type YamlValue = string | number | boolean | null | YamlValue[] | { [key: string]: YamlValue };

/** A line of a string scalar as written in the text (offsets): a block scalar's lines past their indentation, a plain one's, a quoted one's content. */
export interface YamlPiece {
  start: number;
  end: number;
}

const YAML_PLACES = Symbol('places');

/** Where a map's string values are written (parseYaml records it, not enumerable: the map's keys are its keys alone). */
function yamlPlaces(m: object): Map<string, YamlPiece[]> {
  const o = m as { [YAML_PLACES]?: Map<string, YamlPiece[]> };
  if (!o[YAML_PLACES]) Object.defineProperty(o, YAML_PLACES, { value: new Map(), enumerable: false });
  return o[YAML_PLACES]!;
}

/** The lines a map's string value is written on (a map parseYaml read), undefined when not known (escapes, a flow collection, a multi-line quoted scalar). */
export function yamlPieces(m: unknown, key: string): YamlPiece[] | undefined {
  return m && typeof m === 'object' ? (m as { [YAML_PLACES]?: Map<string, YamlPiece[]> })[YAML_PLACES]?.get(key) : undefined;
}

class YamlError extends Error {}

/** A YAML text's (first and only) document, or what keeps it from being read. */
export function parseYaml(text: string): { value: YamlValue } | { problem: string } {
  const raw = text.replace(/^\uFEFF/, '').split(/\r\n|\r|\n/);
  /** where each line starts in the text */
  const lineAt = [text.charCodeAt(0) === 0xfeff ? 1 : 0];
  for (const m of text.matchAll(/\r\n|\r|\n/g)) lineAt.push(m.index! + m[0].length);
  /** the places in the text of the last string scalar's lines (yamlPieces), unless it is written with escapes or as a flow collection */
  let pieces: YamlPiece[] | undefined;
  /** the line a node's rest of line stands for (`- key: v`: `key: v` at its column) */
  const virtual = new Map<number, { indent: number; body: string }>();
  let at = 0;
  const err = (line: number, what: string): never => {
    throw new YamlError(`line ${line + 1}: ${what}`);
  };
  /** a line's indentation and content without its comment; undefined for a blank or comment line */
  const lineOf = (n: number): { indent: number; body: string } | undefined => {
    const v = virtual.get(n);
    if (v) return v;
    const s = raw[n]!;
    const m = /^( *)(.*)$/.exec(s)!;
    const body = stripComment(m[2]!).trimEnd();
    if (body === '') return undefined;
    if (body.startsWith('\t')) err(n, 'a tab indents it');
    return { indent: m[1]!.length, body };
  };
  let ended = false;
  /** the next line with content (skipping blank and comment lines), or undefined at the end of the document */
  const cur = (): { indent: number; body: string; n: number } | undefined => {
    if (ended) return undefined;
    for (; at < raw.length; at++) {
      const l = lineOf(at);
      if (!l) continue;
      if (l.indent === 0 && !virtual.has(at) && /^(?:---|\.\.\.)(?:\s|$)/.test(l.body)) {
        ended = true;
        return undefined;
      }
      return { ...l, n: at };
    }
    return undefined;
  };
  const isItem = (body: string) => /^-(?:\s|$)/.test(body);
  const keyOf = (body: string, n: number): { key: string; rest: string } | undefined => {
    if (body.startsWith('? ')) err(n, 'a complex key (?)');
    const q = /^(?:"((?:[^"\\]|\\.)*)"|'((?:[^']|'')*)')\s*:(?:\s+|$)(.*)$/.exec(body);
    if (q) return { key: q[1] !== undefined ? unescapeDouble(q[1], n) : q[2]!.replace(/''/g, "'"), rest: q[3]! };
    if (/^[\[{"'&*!|>%@`#,]/.test(body)) return undefined;
    const m = /^(.*?)\s*:(?:\s+|$)(.*)$/.exec(body);
    return m && m[1] !== '' ? { key: m[1]!, rest: m[2]! } : undefined;
  };
  const unescapeDouble = (s: string, n: number): string =>
    s.replace(/\\(?:x([0-9a-fA-F]{2})|u([0-9a-fA-F]{4})|U([0-9a-fA-F]{8})|(.))/g, (_, x, u, U, c) => {
      if (x || u || U) return String.fromCodePoint(parseInt(x ?? u ?? U, 16));
      const simple: Record<string, string> = { '0': '\0', a: '\x07', b: '\b', t: '\t', '\t': '\t', n: '\n', v: '\v', f: '\f', r: '\r', e: '\x1b', ' ': ' ', '"': '"', '/': '/', '\\': '\\', N: '\u0085', _: '\u00a0' };
      const r = simple[c];
      return r ?? err(n, `an unknown escape \\${c}`);
    });
  const plain = (s: string): YamlValue => {
    if (/^(?:true|True|TRUE|yes|Yes|YES|on|On|ON|y|Y)$/.test(s)) return true;
    if (/^(?:false|False|FALSE|no|No|NO|off|Off|OFF|n|N)$/.test(s)) return false;
    if (/^(?:null|Null|NULL|~)?$/.test(s)) return null;
    if (/^[-+]?(?:0|[1-9][0-9_]*)$/.test(s)) return Number(s.replace(/_/g, ''));
    if (/^[-+]?(?:[0-9][0-9_]*)?\.[0-9_]+(?:[eE][-+][0-9]+)?$/.test(s)) return Number(s.replace(/_/g, ''));
    return s;
  };
  /** a scalar (or flow collection) that starts a line's rest, with its continuation lines (more indented than `parent`) */
  const scalar = (first: string, parent: number, n: number, col?: number): YamlValue => {
    pieces = undefined;
    let s = first.replace(/^(?:!\S*|&\S+)\s+/, '').replace(/^(?:!\S*|&\S+)$/, '');
    if (s.length !== first.length) col = undefined;
    if (s.startsWith('*')) err(n, `an alias (${s.split(/\s/)[0]}), which the lint does not follow`);
    if (/^[|>]/.test(s)) {
      if (!/^[|>][-+1-9]{0,2}$/.test(s)) err(n, 'a malformed block scalar header');
      return block(s, parent);
    }
    if (s.startsWith('[') || s.startsWith('{')) {
      // (a flow collection may go on over the next lines)
      while (!balanced(s)) {
        const l = cur();
        if (!l) err(n, 'a flow collection that never ends');
        s += ` ${l!.body.trim()}`;
        at++;
      }
      const f = flow(s, 0, n);
      if (s.slice(f.end).trim() !== '') err(n, 'text after a flow collection');
      return f.value;
    }
    if (s.startsWith('"') || s.startsWith("'")) {
      const q = s[0] === '"' ? /^"((?:[^"\\]|\\.)*)"\s*$/.exec(s) : /^'((?:[^']|'')*)'\s*$/.exec(s);
      if (!q) err(n, 'a quoted scalar that does not end on its line');
      if (col !== undefined && !/[\\']/.test(q![1]!)) pieces = [{ start: col + 1, end: col + 1 + q![1]!.length }];
      return s[0] === '"' ? unescapeDouble(q![1]!, n) : q![1]!.replace(/''/g, "'");
    }
    const places: YamlPiece[] | undefined = col !== undefined ? [{ start: col, end: col + s.trimEnd().length }] : undefined;
    // (a plain scalar goes on over the more indented lines that follow)
    for (let l = cur(); l && l.indent > parent; l = cur()) {
      s += ` ${l.body.trim()}`;
      places?.push({ start: lineAt[l.n]! + l.indent, end: lineAt[l.n]! + l.indent + l.body.trim().length });
      at++;
    }
    pieces = places;
    return plain(s.trim());
  };
  /** a block scalar's value: its header (`|`, `>`, with chomping and indentation indicators) and lines (after the header's line, already passed) */
  const block = (header: string, parent: number): string => {
    const lines: string[] = [];
    const places: YamlPiece[] = [];
    const explicit = /[1-9]/.exec(header);
    let indent: number | undefined = explicit ? parent + parseInt(explicit[0], 10) : undefined;
    for (; at < raw.length; at++) {
      const s = raw[at]!;
      if (s.trim() === '') {
        lines.push('');
        continue;
      }
      const ind = /^ */.exec(s)![0].length;
      if (indent === undefined) {
        if (ind <= parent) break;
        indent = ind;
      }
      if (ind < indent) break;
      lines.push(s.slice(indent));
      places.push({ start: lineAt[at]! + indent, end: lineAt[at]! + s.length });
    }
    pieces = places;
    // (the blank lines after it belong to what follows, but for keep chomping)
    let trailing = 0;
    while (lines.length && lines[lines.length - 1] === '') {
      lines.pop();
      trailing++;
    }
    let text = '';
    if (header.startsWith('>')) {
      // (folded: a line break between two lines of text is a space, k blank lines between them k breaks; more indented lines keep theirs)
      let blanks = 0;
      let prevMore = false;
      let first = true;
      for (const l of lines) {
        if (l === '') {
          blanks++;
          continue;
        }
        const more = /^[ \t]/.test(l);
        text += first ? '\n'.repeat(blanks) : blanks === 0 && !more && !prevMore ? ' ' : '\n'.repeat(blanks + (more || prevMore ? 1 : 0));
        text += l;
        first = false;
        blanks = 0;
        prevMore = more;
      }
    } else text = lines.join('\n');
    if (lines.length === 0) return header.includes('+') ? '\n'.repeat(trailing) : '';
    return header.includes('-') ? text : header.includes('+') ? `${text}\n${'\n'.repeat(trailing)}` : `${text}\n`;
  };
  /** the node whose first line is the current one (its indentation `indent`), inside a node indented `parent` */
  const node = (indent: number, parent: number): YamlValue => {
    const l = cur()!;
    if (isItem(l.body)) return seq(indent);
    if (keyOf(l.body, l.n)) return map(indent);
    at++;
    return scalar(l.body, parent, l.n);
  };
  const seq = (indent: number): YamlValue[] => {
    const out: YamlValue[] = [];
    for (let l = cur(); l && l.indent === indent && isItem(l.body); l = cur()) {
      const rest = l.body.replace(/^-\s*/, '');
      if (rest === '') {
        at++;
        const next = cur();
        out.push(next && next.indent > indent ? node(next.indent, indent) : null);
        continue;
      }
      const column = indent + (l.body.length - rest.length);
      virtual.set(l.n, { indent: column, body: rest });
      out.push(node(column, indent));
    }
    const after = cur();
    if (after && after.indent > indent) err(after.n, 'an indentation that fits no node');
    return out;
  };
  const map = (indent: number): { [key: string]: YamlValue } => {
    const out: { [key: string]: YamlValue } = {};
    for (let l = cur(); l && l.indent === indent && !isItem(l.body); l = cur()) {
      const k = keyOf(l.body, l.n);
      if (!k) err(l.n, 'neither "key: value" nor a list item');
      at++;
      const rest = k!.rest.replace(/^(?:!\S*|&\S+)(?:\s+|$)/, '');
      let v: YamlValue;
      if (rest === '') {
        const next = cur();
        v = next && next.indent > indent ? node(next.indent, indent) : next && next.indent === indent && isItem(next.body) ? seq(indent) : null;
      } else v = scalar(rest, indent, l.n, lineAt[l.n]! + l.indent + l.body.length - rest.length);
      Object.defineProperty(out, k!.key, { value: v, enumerable: true, configurable: true, writable: true });
      // (where a string value is written: its lines)
      if (typeof v === 'string' && pieces && rest !== '') yamlPlaces(out).set(k!.key, pieces);
      pieces = undefined;
    }
    const after = cur();
    if (after && after.indent > indent) err(after.n, 'an indentation that fits no node');
    return out;
  };
  /** a flow collection or scalar at `i` of `s` */
  const flow = (s: string, i: number, n: number): { value: YamlValue; end: number } => {
    const ws = (j: number) => {
      while (j < s.length && /\s/.test(s[j]!)) j++;
      return j;
    };
    i = ws(i);
    const c = s[i];
    if (c === '[' || c === '{') {
      const close = c === '[' ? ']' : '}';
      const list: YamlValue[] = [];
      const m: { [key: string]: YamlValue } = {};
      i = ws(i + 1);
      while (s[i] !== close) {
        if (i >= s.length) err(n, 'a flow collection that never ends');
        const k = flow(s, i, n);
        let j = ws(k.end);
        if (c === '{') {
          let v: YamlValue = null;
          if (s[j] === ':') {
            const x = flow(s, j + 1, n);
            v = x.value;
            j = ws(x.end);
          }
          Object.defineProperty(m, String(k.value), { value: v, enumerable: true, configurable: true, writable: true });
        } else if (s[j] === ':') {
          // (a single pair in a flow sequence, `[ "changeSet": {…} ]`: a map of one key)
          const x = flow(s, j + 1, n);
          const pair: { [key: string]: YamlValue } = {};
          Object.defineProperty(pair, String(k.value), { value: x.value, enumerable: true, configurable: true, writable: true });
          list.push(pair);
          j = ws(x.end);
        } else list.push(k.value);
        if (s[j] === ',') j = ws(j + 1);
        else if (s[j] !== close) err(n, `a flow collection with "${s[j] ?? 'the end'}" where "," or "${close}" goes`);
        i = j;
      }
      return { value: c === '[' ? list : m, end: i + 1 };
    }
    if (c === '"' || c === "'") {
      const re = c === '"' ? /"((?:[^"\\]|\\.)*)"/y : /'((?:[^']|'')*)'/y;
      re.lastIndex = i;
      const q = re.exec(s);
      if (!q) err(n, 'a quoted scalar that never ends');
      return { value: c === '"' ? unescapeDouble(q![1]!, n) : q![1]!.replace(/''/g, "'"), end: re.lastIndex };
    }
    if (c === '*') err(n, 'an alias, which the lint does not follow');
    // (a plain scalar ends at , ] } or a ": ")
    let j = i;
    while (j < s.length && !/[,\]}]/.test(s[j]!) && !(s[j] === ':' && (j + 1 >= s.length || /[\s,\]}]/.test(s[j + 1]!)))) j++;
    return { value: plain(s.slice(i, j).trim()), end: j };
  };
  try {
    // (directives and the document's start)
    for (; at < raw.length; at++) {
      const l = lineOf(at);
      if (!l) continue;
      if (l.body.startsWith('%')) continue;
      if (/^---(?:\s|$)/.test(l.body)) {
        const rest = l.body.slice(3).trim();
        if (rest) virtual.set(at, { indent: 4, body: rest });
        else at++;
      }
      break;
    }
    const first = cur();
    const value = first ? node(first.indent, -1) : null;
    const left = cur();
    if (left) err(left.n, 'content after the document');
    // (a second document: SnakeYAML's load, as Liquibase reads a changelog, refuses it)
    if (ended && at < raw.length) {
      at++;
      ended = false;
      const more = cur();
      if (more) err(more.n, 'a second document');
    }
    return { value };
  } catch (e) {
    if (e instanceof YamlError) return { problem: e.message };
    throw e;
  }
}

/** A line's content without its comment: `#` at its start or after white space, outside quotes. */
function stripComment(s: string): string {
  let quote: string | undefined;
  for (let i = 0; i < s.length; i++) {
    const c = s[i]!;
    if (quote) {
      if (c === '\\' && quote === '"') i++;
      else if (c === quote) {
        if (quote === "'" && s[i + 1] === "'") i++;
        else quote = undefined;
      }
      continue;
    }
    // (a quote opens a scalar only where one starts: first, or after a space, "- ", ":", "[", "{", ",")
    if ((c === '"' || c === "'") && (i === 0 || /[\s\[{,:-]/.test(s[i - 1]!))) quote = c;
    else if (c === '#' && (i === 0 || /\s/.test(s[i - 1]!))) return s.slice(0, i);
  }
  return s;
}

/** Whether a flow collection's brackets all close (outside quotes). */
function balanced(s: string): boolean {
  let depth = 0;
  let quote: string | undefined;
  for (let i = 0; i < s.length; i++) {
    const c = s[i]!;
    if (quote) {
      if (c === '\\' && quote === '"') i++;
      else if (c === quote) quote = undefined;
      continue;
    }
    if (c === '"' || c === "'") quote = c;
    else if (c === '[' || c === '{') depth++;
    else if (c === ']' || c === '}') depth--;
  }
  return depth <= 0 && !quote;
}

// ---------------------------------------------------------------------------------------------
// Following a master changelog

/** What following a changelog reads of the disk (the caller's; `/`-separated absolute paths). */
export interface ChangelogDisk {
  /** a file's text; undefined when there is no such file; a problem when it cannot be read */
  read(path: string): Promise<string | undefined | { problem: string }>;
  isFile(path: string): Promise<boolean>;
  /** the files under a folder and its subfolders, as paths relative to it (`/`-separated); undefined when it is no folder */
  list(folder: string): Promise<string[] | undefined>;
}

/** A master changelog followed: the SQL files liquibase update runs in order, the changelogs read, and what stopped it. */
export interface ChangelogRun {
  /** the SQL files run, in order, each once (at its first place) */
  sql: string[];
  /** the files among `sql` a sqlFile runs at their first place, with how Liquibase splits them */
  sqlFiles?: Record<string, SqlFileSplit>;
  /**
   * The parts among `sql` that are a changelog's own SQL (liquibase-inline.ts): a run of its
   * changes holding SQL between two references, run where it stands. A changelog's first part is
   * named by its path, the next ones by its path and `#2`, `#3`…
   */
  inline?: Record<string, { changelog: string; changes: InlineSql[] }>;
  /** the changes holding SQL that the lint neither replays nor lints (InlineSql.unplaced), with their changelog: told by the caller */
  unplaced?: Array<{ path: string; text: string }>;
  /** the changelogs read, the master first */
  changelogs: string[];
  /** the files a changelog names that Liquibase never runs on PostgreSQL (an ignore, a dbms leaving it out) */
  skipped: string[];
  /** why it could not be followed (the changelog whose reference stops it, and the reference): then the rest is partial */
  problem?: { path: string; text: string };
  /**
   * The references to a file or folder the lint cannot find (Liquibase stops there unless it is on
   * a classpath the lint does not see, a file made at build time: ADAM's sqlFile of test tenants),
   * passed over: the files found are in order, but which files run is not certain.
   */
  missing?: Array<{ path: string; text: string }>;
}

/** `/`-separated path with `.` and `..` resolved (a leading `/` or drive kept). */
export function normalizePath(p: string): string {
  const s = p.replace(/\\/g, '/');
  const lead = /^(?:[A-Za-z]:)?\/*/.exec(s)![0];
  const out: string[] = [];
  for (const part of s.slice(lead.length).split('/')) {
    if (part === '' || part === '.') continue;
    if (part === '..' && out.length && out[out.length - 1] !== '..') out.pop();
    else if (part !== '..' || !lead) out.push(part);
  }
  return (lead.endsWith('/') ? lead.replace(/\/+$/, '/') : lead) + out.join('/');
}

export function parentOf(p: string): string {
  const i = p.lastIndexOf('/');
  return i <= 0 ? (i === 0 ? '/' : '.') : p.slice(0, i);
}

const SQL_FILE = /\.sql$/i;

/**
 * Follows a master changelog as liquibase update reads it: its references in order, each
 * include's changelog in its place, each includeAll folder's files by path, the SQL files
 * (include, includeAll, sqlFile) in the order their changesets run (a changeSet's runOrder
 * first / last moves its sqlFile before / after all the others). `searchPath`: the folders a
 * path not relative to its changelog may be found in, nearest first; a path found in none is
 * passed over and told (`missing`: Liquibase stops there, unless it is on a classpath the lint
 * does not see: a jar, another module, a file made at build time); one found in several stops it
 * (the lint cannot tell which one Liquibase reads).
 * `show` writes a path in a problem's words.
 */
export async function followChangelog(master: string, searchPath: readonly string[], disk: ChangelogDisk, show: (path: string) => string = (p) => p): Promise<ChangelogRun> {
  const first: string[] = [];
  const normal: string[] = [];
  const last: string[] = [];
  const changelogs: string[] = [];
  const skipped: string[] = [];
  const stack: string[] = [];
  type Problem = { path: string; text: string };
  const missed: Problem[] = [];
  const where = (ref: ChangelogRef) => `${ref.kind} ${ref.kind === 'include' ? 'file' : 'path'}="${ref.path}"`;

  /** the file or folder a reference names, undefined when there is none, or why it is not one */
  const locate = async (ref: ChangelogRef, from: string, folder: boolean): Promise<string | undefined | Problem> => {
    const exists = async (p: string) => (folder ? (await disk.list(p)) !== undefined : disk.isFile(p));
    const written = ref.path.replace(/\\/g, '/');
    if (ref.relative) {
      const p = normalizePath(`${parentOf(from)}/${written}`);
      return (await exists(p)) ? p : undefined;
    }
    const bare = written.replace(/^classpath\*?:/, '');
    if (/^[A-Za-z][-+.\w]+:/.test(bare)) return { path: from, text: `${where(ref)} names a location (${bare.split(':')[0]}:) the lint does not read` };
    const rel = bare.replace(/^(?:[A-Za-z]:)?\/+/, '').replace(/^(?:\.\/)+/, '');
    const candidates = [...new Set(searchPath.map((root) => normalizePath(`${root}/${rel}`)))];
    const found: string[] = [];
    for (const c of candidates) if (await exists(c)) found.push(c);
    // (an absolute path: itself too)
    if (found.length === 0 && /^(?:[A-Za-z]:)?\//.test(bare) && (await exists(normalizePath(bare)))) found.push(normalizePath(bare));
    if (found.length > 1) return { path: from, text: `${where(ref)} names ${found.map(show).join(' and ')}, one under each of two folders of the search path the lint assumes, and it cannot tell which one Liquibase reads` };
    return found[0];
  };

  /** per list (first, normal, last): how the sqlFile that runs a file at its first place there splits it (null: an include or includeAll) */
  const splits = [new Map<string, SqlFileSplit | null>(), new Map<string, SqlFileSplit | null>(), new Map<string, SqlFileSplit | null>()] as const;
  const inline: Record<string, { changelog: string; changes: InlineSql[] }> = {};
  const inlineRead = new Set<string>();
  const unplaced: Array<{ path: string; text: string }> = [];
  const addSql = (p: string, order?: 'first' | 'last', split?: SqlFileSplit) => {
    const k = order === 'first' ? 0 : order === 'last' ? 2 : 1;
    if (!splits[k].has(p)) splits[k].set(p, split ?? null);
    [first, normal, last][k]!.push(p);
  };

  const follow = async (path: string): Promise<Problem | undefined> => {
    if (stack.includes(path)) return { path: stack[stack.length - 1]!, text: `includes ${show(path)} again, inside itself: Liquibase never ends reading it` };
    const format = changelogFormat(path);
    const text = await disk.read(path);
    if (text === undefined) return { path, text: 'cannot be found' };
    if (typeof text !== 'string') return { path, text: text.problem };
    // (read, even if it cannot be followed: it is this master's, not a master of its own)
    if (!changelogs.includes(path)) changelogs.push(path);
    const refs = format ? changelogRefs(text, format) : undefined;
    if (!refs) return { path, text: 'is not a Liquibase changelog (no databaseChangeLog at its root): Liquibase stops on it' };
    if ('problem' in refs) return { path, text: refs.problem };
    // (its own SQL, the first time it is read: Liquibase runs a changeset once)
    const own = inlineRead.has(path) ? [] : ((format === 'xml' ? xmlInline(text) : format === 'yaml' ? yamlInline(text) : jsonInline(text)) ?? []);
    inlineRead.add(path);
    let part: string | undefined;
    let parts = 0;
    const ownBefore = (k: number) => {
      for (const c of own) {
        if (c.after === k && c.unplaced && !c.skipped && c.change) unplaced.push({ path, text: `has a ${c.change} change written so (in a flow collection, with escapes) that the lint cannot place it in the changelog: it is neither replayed nor linted` });
        else if (c.after === k && c.unplaced && !c.skipped) unplaced.push({ path, text: 'holds SQL written with escapes (a double-quoted scalar with \\, a single-quoted one with \'\') or in a flow collection, which the lint cannot place in the changelog: it is neither replayed nor linted' });
        if (c.after !== k || c.skipped || c.pieces.length === 0) continue;
        if (!part) {
          part = parts++ === 0 ? path : `${path}#${parts}`;
          inline[part] = { changelog: path, changes: [] };
          addSql(part);
        }
        inline[part]!.changes.push(c);
      }
    };
    stack.push(path);
    try {
      for (let k = 0; k < refs.refs.length; k++) {
        ownBefore(k);
        part = undefined;
        const p = await reference(refs.refs[k]!, path);
        if (p) return p;
      }
      ownBefore(refs.refs.length);
    } finally {
      stack.pop();
    }
    return undefined;
  };

  const reference = async (ref: ChangelogRef, from: string): Promise<Problem | undefined> => {
    // (passed over: missed, told by the caller)
    const missing = (what: string): undefined => {
      missed.push({
        path: from,
        text: `${where(ref)} names ${what} the lint cannot find${ref.relative ? ' beside the changelog' : ` on the search path it assumes (${searchPath.map(show).join(', ')})`}: Liquibase stops there, unless it is on a classpath the lint does not see (a jar, another module, a file made at build time)`,
      });
      return undefined;
    };
    if (ref.kind === 'includeAll') {
      const dir = await locate(ref, from, true);
      if (typeof dir === 'object') return dir;
      if (dir === undefined) return ref.required && !ref.skipped ? missing('a folder') : undefined;
      const entries = ((await disk.list(dir)) ?? [])
        .filter((rel) => {
          const d = rel.split('/').length;
          return d >= ref.minDepth! && d <= ref.maxDepth! && (!ref.endsWith || `${dir}/${rel}`.toLowerCase().endsWith(ref.endsWith.toLowerCase()));
        })
        // (Java's String.compareTo, as getStandardChangeLogComparator: UTF-16 code units, as JavaScript's < compares)
        .sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
      if (entries.length === 0 && ref.required && !ref.skipped) return { path: from, text: `${where(ref)} names a folder with no file in it: Liquibase stops there ("Could not find directory or directory was empty")` };
      for (const rel of entries) {
        const p = `${dir}/${rel}`;
        if (ref.skipped) {
          if (SQL_FILE.test(p)) skipped.push(p);
        } else if (SQL_FILE.test(p)) addSql(p);
        else if (changelogFormat(p)) {
          const problem = await follow(p);
          if (problem) return problem;
        }
        // (any other file: Liquibase's includeAll skips it with a warning)
      }
      return undefined;
    }
    const target = await locate(ref, from, false);
    if (typeof target === 'object') return target;
    if (target === undefined) return ref.kind === 'sqlFile' ? (ref.skipped ? undefined : missing('a file')) : ref.required && !ref.skipped ? missing('a file') : undefined;
    if (ref.skipped) {
      skipped.push(target);
      return undefined;
    }
    if (ref.kind === 'sqlFile' || SQL_FILE.test(target)) {
      addSql(target, ref.runOrder, ref.kind === 'sqlFile' ? (ref.split ?? { split: true }) : undefined);
      return undefined;
    }
    if (!changelogFormat(target)) return { path: from, text: `${where(ref)} names a file Liquibase reads as no changelog (not .sql, .xml, .yaml, .yml or .json): it stops there` };
    return follow(target);
  };

  const problem = await follow(master);
  const sql = [...new Set([...first, ...normal, ...last])];
  const ownSql = { ...(Object.keys(inline).length ? { inline } : {}), ...(unplaced.length ? { unplaced } : {}) };
  const sqlFiles: Record<string, SqlFileSplit> = {};
  for (const p of sql) {
    const split = splits.find((m) => m.has(p))!.get(p);
    if (split) sqlFiles[p] = split;
  }
  return { sql, ...(Object.keys(sqlFiles).length ? { sqlFiles } : {}), ...ownSql, changelogs, skipped: skipped.filter((s) => !sql.includes(s)), ...(problem ? { problem } : {}), ...(missed.length ? { missing: missed } : {}) };
}

// ---------------------------------------------------------------------------------------------
// What the replay does with it

/** Where each file runs in the Liquibase projects: its changelog and its place in that changelog's run; undefined for a file none runs. */
export function liquibaseRanks(files: ReadonlyArray<{ file: string }>, changelogs: readonly LiquibaseChangelog[]): Array<{ changelog: LiquibaseChangelog; place: number } | undefined> {
  const places = new Map<string, { changelog: LiquibaseChangelog; place: number }>();
  for (const c of changelogs) {
    if (c.unread) continue;
    // (a file two masters run: the first one's place)
    c.files.forEach((id, place) => {
      const k = decodedId(id);
      if (!places.has(k)) places.set(k, { changelog: c, place });
    });
  }
  return files.map(({ file }) => places.get(decodedId(file)));
}

/** Liquibase Pro's include lines in a formatted SQL changelog (`--include file:…`, `--includeAll path:…`), which Liquibase's open source edition refuses. */
const PRO_INCLUDE = /^[ \t]*--[ \t]*include(?:[ \t]+file:|All[ \t]+)/im;

/**
 * The files under the folder of a followed master changelog that no changelog runs, each with
 * the changelog whose folder holds it: liquibase update never runs them. Not those under the
 * folder of a changelog that could not be followed, nor under one whose SQL files include others
 * with Liquibase Pro's `--include` (not followed). `text` gives a file's text (undefined if unknown).
 */
export function unrunFiles(files: Iterable<string>, changelogs: readonly LiquibaseChangelog[], text: (file: string) => string | undefined): Map<string, LiquibaseChangelog> {
  const out = new Map<string, LiquibaseChangelog>();
  if (changelogs.length === 0) return out;
  const runBy = new Map<string, LiquibaseChangelog[]>();
  for (const c of changelogs) {
    for (const f of c.files) {
      const k = decodedId(f);
      runBy.set(k, [...(runBy.get(k) ?? []), c]);
    }
  }
  const list = [...files];
  const unsure = new Set(changelogs.filter((c) => c.unread || c.partial));
  for (const f of list) {
    const by = runBy.get(decodedId(f));
    const t = by && text(f);
    if (t && t.includes('include') && PRO_INCLUDE.test(t)) for (const c of by) unsure.add(c);
  }
  const unsureFolders = [...unsure].map((c) => decodedId(c.folder));
  const folders = changelogs.filter((c) => !unsure.has(c)).map((c) => ({ c, folder: decodedId(c.folder) }));
  for (const f of list) {
    const path = decodedId(f);
    if (runBy.has(path) || unsureFolders.some((u) => path.startsWith(u))) continue;
    // (the nearest master's folder)
    let best: { c: LiquibaseChangelog; folder: string } | undefined;
    for (const x of folders) if (path.startsWith(x.folder) && (!best || x.folder.length > best.folder.length)) best = x;
    if (best) out.set(f, best.c);
  }
  return out;
}
