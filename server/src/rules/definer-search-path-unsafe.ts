import type { Func, FunctionSetting, Model } from '../analysis/model.js';
import { callSpan, callsIn, identEnd, KEYWORD_TYPES, literalSpan } from '../analysis/ast.js';
import type { FunctionBody, Node, Statement } from '../analysis/types.js';
import { defineRule, type Fix, type Report } from './types.js';
import { authServiceFiring, dynamicTransitionTables, rlsBlockedFiring, fileOf, firingNote, quoteIdent, textOf, functionLists, settingOf, transitionTablesAlways, where, platformFunction } from './lib/util.js';
import { sqlOneLine } from '../analysis/parse.js';
import { listOr } from '../analysis/words.js';

/** PostgreSQL's default search_path, which a session has until it sets one (unless the database or role sets another). */
const DEFAULT_PATH = ['$user', 'public'];

/** Why a search_path setting of a definer function is unsafe, or undefined when it is safe (or unknown). */
export function unsafeSearchPath(s: FunctionSetting): 'no-pg-temp' | 'one-quoted-list' | 'from-current' | undefined {
  const v = s.values;
  if (v[0] === '<from current>') {
    // FROM CURRENT stores the session's search_path where the function is created (zeebonk/database:
    // after `SET search_path TO app_public, …, public`): judged as that value written out
    const path = s.current && (s.current.path ?? DEFAULT_PATH);
    return !path || path.length === 0 || path[path.length - 1] === 'pg_temp' ? undefined : 'from-current';
  }
  if (v.length === 0) return undefined;
  if (v.length === 1 && v[0] === '') return undefined; // '' : only pg_catalog (and pg_temp last, for relations)
  if (v[v.length - 1] === 'pg_temp') return undefined;
  // `SET search_path = 'public, pg_temp'`: one string is one schema name, "public, pg_temp"
  if (v.length === 1 && v[0]!.includes(',')) return 'one-quoted-list';
  return 'no-pg-temp';
}

/** A search_path as PostgreSQL shows it (`"$user", public`), pg_temp left out or not. */
function pathText(path: readonly string[], withTemp = true): string {
  return path
    .filter((x) => withTemp || x !== 'pg_temp')
    .map((x) => (x === '$user' ? '"$user"' : quoteIdent(x)))
    .join(', ');
}

function fixesFor(model: Model, s: FunctionSetting, why: 'no-pg-temp' | 'one-quoted-list' | 'from-current'): Fix[] {
  const text = textOf(model, s.loc);
  if (why === 'from-current') {
    // FROM CURRENT written out as the value it stores, pg_temp last: only where pg_temp is searched
    // changes. Safe when a SET in the migrations gave the session its path; the server's default
    // (no SET, or a RESET) may not be the deployment's (ALTER DATABASE / ROLE … SET search_path): unsafe then.
    const m = /\bfrom\s+current\s*$/i.exec(text);
    if (!m || !s.current) return [];
    const path = s.current.path ?? DEFAULT_PATH;
    const list = [pathText(path, false), 'pg_temp'].filter(Boolean).join(', ');
    const start = s.loc.start + m.index;
    return [
      {
        title: `Replace FROM CURRENT with = ${list}`,
        kind: s.current.path ? 'safe' : 'unsafe',
        edits: [{ file: s.loc.file, start, end: s.loc.end, newText: `= ${list}` }],
      },
    ];
  }
  if (why === 'no-pg-temp') {
    return [{ title: 'Append pg_temp to the search_path', kind: 'safe', edits: [{ file: s.loc.file, start: s.loc.end, end: s.loc.end, newText: ', pg_temp' }] }];
  }
  // Replace the one quoted string with the list it was meant to be, ending with pg_temp.
  const lit = /'(?:[^']|'')*'\s*$/.exec(text);
  if (!lit) return [];
  const items = s.values[0]!.split(',').map((x) => x.trim()).filter((x) => x && x !== 'pg_temp');
  const list = [...items.map((x) => (/^".*"$/.test(x) ? x : x === '$user' ? '"$user"' : quoteIdent(x))), 'pg_temp'].join(', ');
  const start = s.loc.start + lit.index;
  return [
    {
      title: `Write the search_path as a list: ${list}`,
      kind: 'unsafe',
      edits: [{ file: s.loc.file, start, end: s.loc.end, newText: list }],
    },
  ];
}

/**
 * Whether a parsed node holds a relation named without a schema or a type named by one word (a
 * keyword type is pg_catalog's). A name in `ctes`, the WITH queries of the statement, is read
 * from its WITH query, which no relation, temporary or not, shadows. A name in `transition`, read
 * (a FROM item: a wrapped RangeVar of a query or DML statement), is the firing trigger's
 * transition table, which PostgreSQL resolves before any schema: noted in `read`, not counted.
 */
/** Reports a body statement setting an unsafe search_path after a safe SET clause (bodyPathReset). */
function reportBodyReset(model: Model, f: Func, clause: FunctionSetting, report: (r: Report) => void): void {
  const r = bodyPathReset(model, f);
  if (!r) return;
  const text = fileOf(model, r.file)!.text;
  const written = sqlOneLine(text.slice(r.start, r.end));
  const fixed = sqlOneLine(text.slice(r.start, r.insertAt) + ', pg_temp' + text.slice(r.insertAt, r.end));
  report({
    file: r.file,
    start: r.start,
    end: r.end,
    message:
      `SECURITY DEFINER function ${f.signature}: its ${sqlOneLine(textOf(model, clause.loc))} ends with pg_temp, but its body's \`${written}\` then sets a search_path that does not (${r.values.map((v) => v || "''").join(', ')}), and a statement after it names a table or type without a schema. ` +
      'From that statement to the end of the call PostgreSQL searches pg_temp first for relations and types, so any role that can create temporary objects (PUBLIC can, by default) can shadow that table or type with a temporary one of the same name (a table granted to PUBLIC): ' +
      "the function then reads the attacker's table, or runs the attacker's code, with the owner's rights (F3, T19; PGlite: a temporary admins table made a definer's admin check pass). " +
      `Append pg_temp (\`${fixed}\`), or drop the statement: the SET clause already gives the call its search_path.`,
    fixes: [{ title: `Append pg_temp: ${fixed}`, kind: 'safe', edits: [{ file: r.file, start: r.insertAt, end: r.insertAt, newText: ', pg_temp' }] }],
  });
}

function holdsUnqualified(n: Node, ctes: ReadonlySet<string>, transition: ReadonlySet<string> = NO_NAMES, read?: Set<string>): boolean {
  if (Array.isArray(n)) return n.some((x) => x && typeof x === 'object' && holdsUnqualified(x, ctes, transition, read));
  for (const k in n) {
    const v = n[k];
    if (!v || typeof v !== 'object') continue;
    // (a RangeVar, or one unwrapped where a statement names its table: INSERT's, UPDATE's, DELETE's `relation`)
    if ((k === 'RangeVar' || k === 'relation') && v.relname && !v.schemaname && !ctes.has(v.relname)) {
      if (k === 'RangeVar' && transition.has(v.relname)) {
        read?.add(v.relname);
        continue;
      }
      return true;
    }
    // (a TypeName, or one unwrapped: a cast's or a column's `typeName`)
    if ((k === 'TypeName' || k === 'typeName') && Array.isArray(v.names) && v.names.length < 2) return true;
    if (holdsUnqualified(v, ctes, transition, read)) return true;
  }
  return false;
}

const NO_NAMES: ReadonlySet<string> = new Set();

/**
 * The statements whose wrapped RangeVars are read as FROM items (the parser resolves an
 * unqualified one to a transition table before any schema); a utility statement's (TRUNCATE, LOCK,
 * GRANT) are looked up in the search_path, and a DML statement's target (`relation`, unwrapped)
 * naming a transition table fails with 0A000.
 */
const READ_STATEMENTS: ReadonlySet<string> = new Set(['SelectStmt', 'InsertStmt', 'UpdateStmt', 'DeleteStmt', 'MergeStmt']);

/** The names of the WITH queries (CommonTableExpr) a parsed statement holds, as parsed (folded unless quoted). */
export function cteNames(n: Node, out = new Set<string>()): Set<string> {
  if (Array.isArray(n)) {
    for (const x of n) if (x && typeof x === 'object') cteNames(x, out);
    return out;
  }
  for (const k in n) {
    const v = n[k];
    if (!v || typeof v !== 'object') continue;
    if (k === 'CommonTableExpr' && typeof v.ctename === 'string') out.add(v.ctename);
    cteNames(v, out);
  }
  return out;
}

/**
 * Whether it is certain that the function's body names no relation and no type without a
 * schema, so that nothing of it can be shadowed from pg_temp today: its body parsed without
 * errors, runs no dynamic SQL (names in strings are resolved when it runs), and neither its
 * statements nor its PL/pgSQL declarations (DECLARE …, %TYPE, %ROWTYPE) name one. 'since-16'
 * when it names the type json without a schema: a keyword type from PostgreSQL 16 on (the
 * parser reads it as pg_catalog.json), looked up in the search_path like text before.
 */
export function namesNothingUnqualified(model: Model, f: Func): NothingNamed {
  return namedNothingOf(model, f).v;
}

/**
 * The transition tables (of transitionTablesAlways: every trigger running the function declares
 * them) that its body reads without a schema, where namesNothingUnqualified did not count them.
 */
export function transitionTablesRead(model: Model, f: Func): readonly string[] {
  return namedNothingOf(model, f).read;
}

/**
 * What a message adds after "Its body names every table and type with its schema today" when the
 * body reads, without a schema, transition tables that every trigger running it declares ('' when
 * it reads none): PostgreSQL resolves such a name to the firing trigger's transition table before
 * any schema (PGlite: a temporary table of that name does not change what the trigger reads).
 */
export function transitionAside(model: Model, f: Func): string {
  const read = transitionTablesRead(model, f).map((x) => quoteIdent(x));
  if (!read.length) return '';
  if (read.length === 1)
    return ` (except the transition table ${read[0]}, which every trigger that runs it declares with REFERENCING … TABLE AS ${read[0]}: PostgreSQL resolves that name to the firing trigger's transition table before any schema, pg_temp included, so no temporary table shadows it)`;
  const list = listOr(read, 'and');
  return ` (except the transition tables ${list}, which every trigger that runs it declares with REFERENCING … TABLE AS: PostgreSQL resolves those names to the firing trigger's transition tables before any schema, pg_temp included, so no temporary table shadows them)`;
}

/**
 * What definer-search-path-missing and definer-search-path-unsafe say of a trigger function whose
 * only names without a schema are transition tables (transitionOnlyReads), when a trigger that
 * leaves one undeclared may fire it: one a caller creates (a role other than the owner may execute
 * it) or one of the migrations' (not every trigger declares them). `firing` follows "Any role that
 * can create temporary objects (PUBLIC can, by default)"; `text` says why and what closes it.
 */
export function transitionWayIn(model: Model, f: Func): { firing: string; text: string } | undefined {
  const via = transitionOnlyReads(model, f);
  if (!via) return undefined;
  const runners = [...f.executeGrants].filter((r) => r !== f.owner?.role).sort();
  const ownTrigger = f.publicExecute || runners.length > 0;
  if (!ownTrigger && via.every) return undefined;
  const holders = f.publicExecute ? 'PUBLIC' : runners.map((r) => quoteIdent(r)).join(', ');
  const names = via.names.map((x) => quoteIdent(x));
  const nameList = listOr(names, 'or');
  // (the tables of its triggers that leave one of those names undeclared)
  const undeclaredOn = [...new Set(model.triggers.filter((t) => t.func === f.key && via.names.some((x) => !t.transitionTables.includes(x))).map((t) => t.table))].sort();
  const dynamic = dynamicTransitionTables(model, f);
  const which = [
    undeclaredOn.length ? `its ${undeclaredOn.length === 1 ? 'trigger' : 'triggers'} on ${undeclaredOn.join(', ')}` : '',
    dynamic && dynamic.each.some((d) => via.names.some((x) => !d.includes(x))) ? `the triggers dynamic SQL makes, the EXECUTE at ${where(model, dynamic.loc)}` : '',
  ].filter(Boolean);
  const firing =
    ` and then fire it in that session from a trigger that declares no transition table named ${nameList} (REFERENCING … TABLE AS)` +
    (ownTrigger ? `: one it creates on a table of its own (a temporary table will do: CREATE TRIGGER asks only for EXECUTE on the function, which ${holders} ${f.publicExecute || runners.length === 1 ? 'holds' : 'hold'}, and USAGE on its schema)` : '') +
    (via.every ? '' : `${ownTrigger ? ', or' : ':'} one of these migrations' that runs the part of the body reading a name it does not declare${which.length ? ` (${which.join('; ')})` : ''}`) +
    ',';
  // (no SET search_path keeps pg_temp out for a name no schema holds: pg_temp is first unless listed, last where listed)
  const made = via.names.some((x) => [...model.tables.values()].some((t) => t.name === x));
  const text =
    `The only ${names.length === 1 ? 'name its body reads without a schema is the transition table' : 'names its body reads without a schema are the transition tables'} ${names.join(' and ')}, which ${via.every ? 'every trigger of these migrations that runs it declares' : 'some of its triggers declare but not all'}: a trigger that declares ${names.length === 1 ? 'it' : 'one'} reads its own transition table by that name before any schema, pg_temp included, but a trigger that does not reads the name through the search_path` +
    (ownTrigger
      ? `${made ? '' : ', and no SET search_path keeps pg_temp out of that while no schema it lists holds a table of that name (these migrations make none): pg_temp is searched first unless listed, and last where listed'}. Revoke EXECUTE on it from ${holders} (a trigger fires its function without EXECUTE; CREATE TRIGGER asks for it); SET search_path still keeps the names written later from pg_temp. `
      : '. ');
  return { firing, text };
}

const NOTHING_CERTAIN = { v: false as const, read: [] as readonly string[] };

/**
 * The transition tables a trigger function's body reads without a schema, when they are all it
 * names without a schema and one of its triggers declares each (else undefined); `every`: every
 * trigger of the migrations that runs it declares them all. A trigger that declares such a name
 * reads its own transition table by it, before any schema; a trigger that does not — one a caller
 * creates on a table of its own, running the function (CREATE TRIGGER asks for EXECUTE on it and
 * USAGE on its schema), or one of the migrations' that runs the part of the body reading a name it
 * does not declare — reads the name through the search_path, and no SET search_path keeps pg_temp
 * out: no other schema holds a table of that name (PGlite: a temporary `new_table` changes nothing
 * when the function's INSERT trigger declares it, and is what the function reads, as its owner,
 * from a trigger of the caller's own on a temporary table, whatever its SET search_path).
 */
export function transitionOnlyReads(model: Model, f: Func): { names: readonly string[]; every: boolean } | undefined {
  const b = f.body;
  if (!f.returnsTrigger || !b || b.errors.length || b.dynamicExecutes.length) return undefined;
  const always = transitionTablesAlways(model, f);
  const some = new Set<string>(always);
  for (const t of model.triggers) if (t.func === f.key) for (const x of t.transitionTables) some.add(x);
  // (and those of the triggers dynamic SQL may create to run it: never every trigger's, transitionTablesAlways)
  for (const x of dynamicTransitionTables(model, f)?.names ?? []) some.add(x);
  if (!some.size) return undefined;
  const read = new Set<string>();
  if (namesNothingUnqualifiedIn(model, f, b, some, read) !== 'always' || !read.size) return undefined;
  const names = [...read].sort();
  // (every trigger declares them all: the static ones (transitionTablesAlways, empty where dynamic
  // SQL may make one) or, with dynamic ones, each static and each dynamic one)
  const dyn = dynamicTransitionTables(model, f);
  const every = dyn
    ? model.triggers.every((t) => t.func !== f.key || names.every((x) => t.transitionTables.includes(x))) && dyn.each.every((d) => names.every((x) => d.includes(x)))
    : names.every((x) => always.has(x));
  return { names, every };
}

function namedNothingOf(model: Model, f: Func): { v: NothingNamed; read: readonly string[] } {
  const b = f.body;
  if (!b || b.errors.length || b.dynamicExecutes.length) return NOTHING_CERTAIN;
  const transition = transitionTablesAlways(model, f);
  const key = [...transition].join('\0');
  const hit = namedNothing.get(b);
  if (hit && hit.stmt === f.stmt && hit.transition === key) return hit;
  const read = new Set<string>();
  const v = namesNothingUnqualifiedIn(model, f, b, transition, read);
  const entry = { stmt: f.stmt, transition: key, v, read: v ? [...read] : [] };
  namedNothing.set(b, entry);
  return entry;
}

/**
 * namesNothingUnqualified's answer, kept with the body (a re-lint keeps the bodies of the files it
 * did not parse again): it reads only the body (its statements, its language, its text in the
 * file of its CREATE FUNCTION, which a parsed statement keeps while its text is the same: an edit
 * before it only moves it), its statement's parameters, and the transition tables its triggers
 * declare (`transition`, their names joined: the triggers may be in another file). A flag and
 * names, no offset.
 */
const namedNothing = new WeakMap<FunctionBody, { stmt: Statement; transition: string; v: NothingNamed; read: readonly string[] }>();

/**
 * namesNothingUnqualified's answer: false (it names one, or it is not certain), 'always',
 * 'since-16' (json aside), or 'refresh': nothing but the materialized views its `REFRESH
 * MATERIALIZED VIEW` statements name without a schema. A temporary materialized view of that name
 * shadows such a one, but refreshing it runs no code of the caller's with the owner's rights:
 * PostgreSQL refreshes a materialized view as its owner, so the owner of the function, not owning
 * the caller's, fails with 42501 (PGlite), and a superuser owner refreshes the caller's one, whose
 * query runs as the caller; the real one is not refreshed by that call either way.
 */
export type NothingNamed = false | 'always' | 'since-16' | 'refresh';

function namesNothingUnqualifiedIn(model: Model, f: Func, b: FunctionBody, transition: ReadonlySet<string>, read: Set<string>): NothingNamed {
  // (`WITH updated AS (UPDATE public.t …) SELECT count(*) FROM updated` reads its WITH query)
  const ctes = new Set<string>();
  let refresh = false;
  for (const st of b.statements) {
    if (st.kind === 'RefreshMatViewStmt' && st.node?.relation?.relname && !st.node.relation.schemaname) {
      refresh = true;
      continue;
    }
    const own = st.node ? cteNames(st.node) : new Set<string>();
    if (holdsUnqualified(st.node, own, READ_STATEMENTS.has(st.kind) ? transition : NO_NAMES, read)) return false;
    for (const c of own) ctes.add(c);
  }
  if (b.language !== 'plpgsql' && b.language !== 'sql') return false;
  // its text, comments and string literals blanked (PL/pgSQL: its declarations' types are not
  // among its parsed statements, nor, in a body read lexically (FunctionBody.lexical), its
  // conditions, assignments and RAISE arguments; so its text is read too, erring towards "names one")
  const text = (fileOf(model, f.created.file)?.text ?? '')
    .slice(b.start, b.end)
    .replace(/--[^\n]*|\/\*[\s\S]*?\*\//g, ' ')
    .replace(/'(?:[^']|'')*'/g, "''");
  const json = /(?<![\w$."])json(?![\w$"])(?!\s*\()/i.test(text) ? 'since-16' : refresh ? 'refresh' : 'always';
  if (b.language === 'sql') return json;
  // %TYPE / %ROWTYPE of a name with its schema (`public.users%ROWTYPE`, `public.t.c%TYPE`) is looked up there; of another name, maybe not
  for (const m of text.matchAll(/((?:(?:"[^"]+"|[a-z_][a-z0-9_$]*)\s*\.\s*)*(?:"[^"]+"|[a-z_][a-z0-9_$]*))\s*%\s*(row)?type\b/gi)) {
    const parts = m[1]!.split('.').length;
    if (parts < (m[2] ? 2 : 3)) return false;
  }
  // (its variables and parameters: `SELECT … INTO v` names no table)
  const variables = new Set<string>(parameterNames(f));
  for (const m of text.matchAll(/\bdeclare\b([\s\S]*?)\bbegin\b/gi)) {
    for (const d of m[1]!.split(';')) {
      // (DECLARE may be written again before a declaration: `DECLARE a t; DECLARE b u;`)
      const decl = /^\s*(?:declare\s+)?("[^"]+"|[a-z_][a-z0-9_$]*)\s+(?:constant\s+)?(.*)$/is.exec(d);
      if (!decl) continue;
      variables.add(decl[1]!.toLowerCase());
      const type = decl[2]!.trim();
      // (a type with its schema, a keyword type, an alias or a cursor: nothing looked up in pg_temp)
      if (/^("[^"]+"|[a-z_][a-z0-9_$]*)\s*\./i.test(type) || /^(alias|cursor|refcursor)\b/i.test(type) || /^(no\s+)?scroll\b/i.test(type)) continue;
      const word = /^[a-z_]+/i.exec(type)?.[0]?.toLowerCase();
      if (!word || !KEYWORD_TYPES.has(word)) return false;
    }
  }
  // (a whole word: never a prefix of one, which a lookahead after it would let the match back off to)
  const IDENT = '("[^"]+"|[a-z_][a-z0-9_$]*(?![a-z0-9_$]))';
  // a cast to a type named by one word: `::text`, `CAST(… AS uuid)` (AS before `)` or `[`; an alias there counts too)
  for (const m of text.matchAll(new RegExp(`::\\s*${IDENT}(?!\\s*\\.)`, 'gi'))) if (!KEYWORD_TYPES.has(m[1]!.toLowerCase())) return false;
  for (const m of text.matchAll(new RegExp(`\\bas\\s+${IDENT}\\s*[)\\[]`, 'gi'))) if (!KEYWORD_TYPES.has(m[1]!.toLowerCase())) return false;
  // a relation named by one word after FROM, JOIN, INTO, UPDATE, TABLE (not a variable, a function, or a word of the syntax;
  // ON CONFLICT's DO UPDATE SET names none; a transition table read after FROM, JOIN or TABLE, not DELETE FROM, TRUNCATE or LOCK TABLE)
  const scan = text.replace(/\bdo\s+update\s+set\b/gi, ' ');
  for (const m of scan.matchAll(new RegExp(`(?:\\b(delete|truncate|lock)\\s+)?\\b(from|join|into|update|table)\\s+${IDENT}(?!\\s*[.(])`, 'gi'))) {
    const word = m[3]!.toLowerCase();
    if (variables.has(word) || NOT_RELATIONS.has(word) || ctes.has(word.startsWith('"') ? word.slice(1, -1) : word)) continue;
    // (FROM as a word of an expression, not of a FROM clause: `x IS [NOT] DISTINCT FROM y`, `EXTRACT(year FROM created_at)`,
    // `SUBSTRING(x FROM n FOR m)`, `TRIM(BOTH ' ' FROM name)`, `OVERLAY(x PLACING y FROM n)`)
    if (!m[1] && /^from$/i.test(m[2]!) && (EXPRESSION_FROM.test(scan.slice(Math.max(0, m.index! - 40), m.index!)) || EXPRESSION_FROM_CALL.test(openCall(scan, m.index!)))) continue;
    const name = m[3]!.startsWith('"') ? m[3]!.slice(1, -1) : word;
    if (!m[1] && /^(from|join|table)$/i.test(m[2]!) && transition.has(name)) {
      read.add(name);
      continue;
    }
    return false;
  }
  return json;
}

/** What precedes a FROM that is a word of an expression: `IS [NOT] DISTINCT FROM`, `EXTRACT(field FROM`. */
const EXPRESSION_FROM = /(?:\bis\s+(?:not\s+)?distinct|\bextract\s*\(\s*(?:"[^"]+"|[a-z_]+))\s*$/i;

/** The functions whose parentheses hold a FROM of their own syntax (SQL's special forms, parsed into substring, btrim/ltrim/rtrim, overlay and extract calls). */
const EXPRESSION_FROM_CALL = /\b(?:substring|trim|overlay|extract)\s*$/i;

/** The text before the innermost parenthesis still open at `at` (empty at depth 0): `SUBSTRING(x FROM` gives `SUBSTRING`,
 * `SUBSTRING((SELECT a FROM` gives `SUBSTRING(`. String constants and quoted identifiers are passed over. */
function openCall(text: string, at: number): string {
  let depth = 0;
  for (let i = at - 1; i >= 0; i--) {
    const c = text[i];
    if (c === "'" || c === '"') {
      const start = text.lastIndexOf(c, i - 1);
      if (start < 0) return '';
      i = start;
    } else if (c === ')') depth++;
    else if (c === '(') {
      if (depth === 0) return text.slice(Math.max(0, i - 40), i);
      depth--;
    }
  }
  return '';
}

/** Words that follow FROM, JOIN, INTO, UPDATE or TABLE in PL/pgSQL and SQL without naming a relation. */
const NOT_RELATIONS = new Set(['select', 'lateral', 'only', 'strict', 'skip', 'nowait', 'of', 'rows', 'each', 'unnest', 'generate_series']);

/** The names of a function's parameters (lower-cased), as its CREATE FUNCTION writes them. */
function parameterNames(f: Func): string[] {
  const params: Node[] = f.stmt.node?.parameters ?? [];
  return params.map((x) => String(x?.FunctionParameter?.name ?? '').toLowerCase()).filter(Boolean);
}


/** Whether a body has a statement setting search_path (bodyPathReset), by body. */
const setsPath = new WeakMap<FunctionBody, boolean>();

/** A string constant's value (A_Const sval), or undefined. */
const constText = (n: Node): string | undefined => (typeof n?.A_Const?.sval?.sval === 'string' ? n.A_Const.sval.sval : undefined);

/** The offset after a string constant or identifier written at `at` (a value of SET search_path, or set_config's). */
const valueEnd = (text: string, at: number): number => (text[at] === "'" ? literalSpan(text, at).end : identEnd(text, at));

/**
 * A statement of a definer's body that sets search_path to a path that does not end with pg_temp
 * (`SET [LOCAL] search_path = public`, or `set_config('search_path', 'public', …)` with constants),
 * followed by a statement that names a table or type without a schema: from there on, the
 * clause's safe path no longer holds for the rest of the call (PGlite: after `SET LOCAL
 * search_path = public` a caller's temporary table granted to PUBLIC shadows the table the next
 * statement reads). With the edit appending pg_temp to the value.
 */
function bodyPathReset(model: Model, f: Func): { start: number; end: number; file: string; values: string[]; insertAt: number } | undefined {
  const b = f.body;
  if (!b || b.errors.length) return undefined;
  // (whether the body sets search_path at all, kept with the body: most never do, and a re-lint keeps
  // the bodies of the files it did not parse again; the offsets below are read anew, as statements move)
  let sets = setsPath.get(b);
  const text = sets === false ? undefined : fileOf(model, f.created.file)?.text;
  // (its text names search_path: a slice of the body, not a walk of its statements' calls, ≈ 4 ms of the bench's first lint)
  if (sets === undefined) setsPath.set(b, (sets = text !== undefined && /search_path/i.test(text.slice(b.start, b.end))));
  if (!sets || text === undefined) return undefined;
  for (let i = 0; i < b.statements.length; i++) {
    const st = b.statements[i]!;
    let found: { values: string[]; insertAt: number; start: number; end: number } | undefined;
    const n = st.node;
    if (st.kind === 'VariableSetStmt' && String(n?.name).toLowerCase() === 'search_path' && n.kind === 'VAR_SET_VALUE') {
      const args: Node[] = n.args ?? [];
      const values = args.map((a) => constText(a) ?? '');
      const last = args[args.length - 1]?.A_Const?.location;
      if (args.length && typeof last === 'number' && last >= 0) found = { values, insertAt: valueEnd(text, last), start: st.start, end: st.end };
    } else if (st.kind === 'SelectStmt') {
      for (const c of callsIn(n)) {
        if (c.name[c.name.length - 1]?.toLowerCase() !== 'set_config' || c.args.length !== 3 || constText(c.args[0])?.toLowerCase() !== 'search_path') continue;
        const v = constText(c.args[1]);
        const at = c.args[1]?.A_Const?.location;
        if (v === undefined || typeof at !== 'number' || at < 0) continue;
        const end = valueEnd(text, at);
        // (set_config's value is the list as one string: `'public, extensions'`)
        const span = callSpan(text, c.location);
        found = { values: v.split(',').map((x) => x.trim().replace(/^"(.*)"$/, '$1')), insertAt: end - 1, start: c.location, end: span?.end ?? end };
        break;
      }
    }
    if (!found || unsafeSearchPath({ name: 'search_path', values: found.values, loc: f.created }) === undefined) continue;
    for (let j = i + 1; j < b.statements.length; j++) {
      const later = b.statements[j]!;
      if (later.node && holdsUnqualified(later.node, cteNames(later.node))) return { ...found, file: f.created.file };
    }
  }
  return undefined;
}

export const definerSearchPathUnsafe = defineRule({
  meta: {
    id: 'definer-search-path-unsafe',
    description: "A SECURITY DEFINER function whose SET search_path neither ends with pg_temp nor is ''.",
    severity: 'error',
    category: 'security',
    fixKind: 'safe',
    guards:
      'pg_temp is searched first for relations unless the search_path lists it: SET search_path = public does not stop a temp table from shadowing the tables a definer function reads (F3).',
    truths: ['F3', 'T19', 'T19b', 'T19c'],
    sources: ['splinter 0011 function_search_path_mutable', 'pgspot PS004'],
    shownBy: { exposure: 'search-path' },
  },
  check({ model, report }) {
    const definers = functionLists(model).definers;
    for (let i = 0; i < definers.length; i++) {
      const f = definers[i]!;
      if (!f.securityDefiner || platformFunction(model, f)) continue;
      const s = settingOf(f, 'search_path');
      if (!s) continue; // definer-search-path-missing reports it
      const why = unsafeSearchPath(s);
      if (!why) {
        reportBodyReset(model, f, s, report);
        continue;
      }
      const written = sqlOneLine(textOf(model, s.loc));
      const current = s.current;
      const what =
        why === 'one-quoted-list'
          ? `${written} names ONE schema, "${s.values[0]}" (a quoted string is a single name), and does not list pg_temp`
          : why === 'from-current' && current
            ? `${written} stores the session's search_path when it runs, here ` +
              (current.path
                ? `${pathText(current.path)} (set at ${where(model, current.set!)})`
                : `${pathText(DEFAULT_PATH)}: PostgreSQL's default (${current.set ? `reset at ${where(model, current.set)}` : 'no SET search_path precedes it in its psql session'}; ALTER DATABASE or ALTER ROLE … SET search_path may give the deployment's sessions another)`) +
              ', which does not end with pg_temp'
            : `${written} does not end with pg_temp`;
      // (a trigger only on Supabase's auth.users, or only where RLS admits none of the writes its
      // row triggers fire on: no role subject to RLS fires it in a session of its own)
      const authOnly = authServiceFiring(model, f) ?? rlsBlockedFiring(model, f);
      // (it names nothing without a schema but transition tables: shadowed from a trigger that leaves one undeclared)
      const via = authOnly ? undefined : transitionWayIn(model, f);
      // (its body names every table and type with a schema today: nothing to shadow yet, which the message says)
      const nothingYet = why !== 'one-quoted-list' && !via && namesNothingUnqualified(model, f);
      // (the transition tables it reads without a schema, which no temporary table shadows: the message says so)
      const aside = nothingYet ? transitionAside(model, f) : '';
      report({
        ...s.loc,
        // (a warning where no session can be the attacker's, or where the body gives a temporary
        // object nothing to shadow yet on any PostgreSQL: a hole the next unqualified name opens,
        // not one open today)
        ...(authOnly || nothingYet === 'always' || nothingYet === 'refresh' ? { severity: 'warning' as const } : {}),
        message:
          `SECURITY DEFINER function ${f.signature}: ${what}. PostgreSQL searches pg_temp first for relations and types unless the search_path lists it, ` +
          (nothingYet === 'refresh'
            ? `so a temporary materialized view of the same name as one the function refreshes without a schema (REFRESH MATERIALIZED VIEW) shadows it${authOnly ? ' in the session that fires the function' : ` for any role that can create temporary objects (PUBLIC can, by default)${firingNote(model, f) ?? ''}`}. That runs no code of the caller's with the owner's rights: PostgreSQL refreshes a materialized view as its owner, so the call fails with 42501 (the function's owner does not own the caller's), or, where that owner is a superuser, refreshes the caller's one as the caller; the real one is not refreshed by that call. ` +
              `Its body names every other table and type with its schema today${aside}, so nothing else can be shadowed yet: the first name written without a schema opens the hole (F3, T19). ${authOnly ?? ''}`
            : authOnly
            ? `so a temporary table or type of the same name as one the function ${nothingYet ? 'named' : 'names'} without a schema (text too; not keyword types such as int, nor functions) would shadow it in the session that fires the function, which would then read it, or run the code it holds, with the owner's rights (F3, T19). ${authOnly}` +
              (nothingYet ? `Its body names every table and type with its schema today${aside}, so nothing can be shadowed yet either. ` : '')
            : nothingYet
            ? `so any role that can create temporary objects (PUBLIC can, by default)${firingNote(model, f) ?? ''} could shadow a table or type the function named without a schema (text too; not keyword types such as int, nor functions) with a temporary one of the same name, and run code with the owner's rights (F3, T19). ` +
              (nothingYet === 'since-16'
                ? `Its body names every table and type with its schema today${aside}, json aside, which is a keyword type from PostgreSQL 16 on (before 16 it is looked up in the search_path like text, so a temporary type named json shadows it): on 16 and later nothing can be shadowed yet, the search_path protects nothing, and the first name written without a schema opens the hole. `
                : `Its body names every table and type with its schema today${aside}, so nothing can be shadowed yet: the search_path protects nothing, and the first name written without a schema opens the hole. `)
            : `so any role that can create temporary objects (PUBLIC can, by default)${via ? via.firing : firingNote(model, f) ?? ''} can shadow a table or type the function names without a schema (text too; not keyword types such as int, nor functions) with a temporary one of the same name: ` +
              `the function then reads the attacker's table, or runs the attacker's code (e.g. a temporary domain's CHECK), with the owner's rights (F3, T19). ${via?.text ?? ''}`) +
          (why === 'one-quoted-list'
            ? 'Write the schemas as a list that ends with pg_temp (e.g. SET search_path = public, pg_temp).'
            : why === 'from-current'
              ? `Replace FROM CURRENT with the list ending with pg_temp (SET search_path = ${[pathText(current?.path ?? DEFAULT_PATH, false), 'pg_temp'].filter(Boolean).join(', ')}), or use SET search_path = '' with schema-qualified names.`
              : `Append pg_temp (SET search_path = ${[pathText(s.values, false), 'pg_temp'].filter(Boolean).join(', ')}), or use SET search_path = '' with schema-qualified names.`),
        fixes: fixesFor(model, s, why),
      });
    }
  },
});
