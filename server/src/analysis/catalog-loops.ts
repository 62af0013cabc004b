// A DO block's loop over the tables the catalog lists, running policy DDL for each through
// EXECUTE (LanternOps/breeze's 0008: `FOR r IN SELECT c.table_schema, c.table_name FROM
// information_schema.columns c … WHERE c.table_schema = 'public' AND c.column_name = 'org_id'
// LOOP EXECUTE format('ALTER TABLE %I.%I ENABLE ROW LEVEL SECURITY', …); EXECUTE format('CREATE
// POLICY … ON %I.%I …', …)`). parse.ts reads the loop's query (catalogQueryOf) and makes each
// EXECUTE's statement once, with placeholder names for the loop's table and schema (a template);
// the model's replay runs the templates for each table its state at that point holds that the
// query lists (catalogReaches, instantiate). Pure: no parser, no model.
import { conjuncts, stringConst, typeName } from './ast.js';
import type { DynamicExecute, Node, ParsedFile, Statement } from './types.js';

/** The names the templates hold for the loop's table and schema (format()'s `%I` leaves them bare). */
export const TABLE_PLACEHOLDER = 'zz_pgrls_loop_table_zz';
export const SCHEMA_PLACEHOLDER = 'zz_pgrls_loop_schema_zz';
/** The placeholder a call's i-th value stands in for in the statements its function's EXECUTEs make (parse.ts callTemplatesOf; instantiateCall puts the value in). */
export const argPlaceholder = (i: number): string => `zz_pgrls_arg${i}_zz`;

/** Which tables a loop's catalog query lists (every condition of its WHERE is one of these). */
export interface CatalogQuery {
  /** the source: pg_tables, information_schema.tables, information_schema.columns (with `column`), or pg_class (with pg_namespace) */
  source: 'pg_tables' | 'tables' | 'columns' | 'pg_class';
  /** `table_schema = 'public'` (or IN): the schemas listed; undefined for any */
  schemas?: string[];
  /** `table_schema NOT IN ('pg_catalog', 'information_schema', …)` (or <>), `NOT LIKE 'pg_%'`: not those */
  schemaExclude?: string[];
  schemaLike?: Array<{ pattern: string; negated: boolean }>;
  /**
   * `column_name = 'org_id'` (or IN, LIKE, several ORed: tutur3u's `c.column_name = 'description'
   * OR c.column_name LIKE '%\_content' ESCAPE '\' OR …`), with information_schema's `data_type IN
   * ('text', …)`: only tables with such a column
   */
  column?: ColumnMatch;
  /** `table_name = 'x'` or IN: only those */
  include?: string[];
  /** `table_name <> 'x'`, NOT IN: not those */
  exclude: string[];
  /** `table_name [NOT] LIKE 'p%'` */
  like: Array<{ pattern: string; negated: boolean }>;
  /** pg_tables' `rowsecurity = false` (or true), pg_class's `relrowsecurity`: only tables without (with) RLS enabled */
  rowSecurity?: boolean;
  /** pg_class's `relkind = 'r'` (or IN): the kinds listed, of 'r' (a table) and 'p' (a partitioned table) */
  kinds?: string[];
  /** pg_class's `NOT relispartition` (false) or `relispartition` (true) */
  partition?: boolean;
}

/** Which columns of information_schema.columns a loop's query keeps: by name (any of `names`, or any of the LIKE patterns), and by data_type. */
export interface ColumnMatch {
  names: string[];
  /** LIKE patterns, `\` their escape character (an ESCAPE clause's is rewritten so) */
  like: string[];
  /** `data_type IN ('text', 'character varying')`: information_schema's names of the column's type; undefined for any */
  types?: string[];
}

/** What the loop's variable holds: the table name itself (a scalar), or a record whose fields are the table's name or schema. */
export interface CatalogLoop {
  query: CatalogQuery;
  /** the record's field names (lower-case) and what each holds; for a scalar, its one column */
  fields: Map<string, 'table' | 'schema'>;
}

/** The statement a DO block's catalog loop stands for in the file's statements (kind CATALOG_LOOP_KIND), with its templates in the loop's order. */
export interface CatalogLoopReplay extends CatalogLoop {
  templates: Statement[];
}

export const CATALOG_LOOP_KIND = 'CatalogLoop';
/**
 * A template standing for a loop of the catalog loop's body over pg_policies dropping every policy
 * of its table (parse.ts policyDropAllOf): its node `{ schemaname, relname }`, the placeholders put in
 */
export const CATALOG_DROP_POLICIES_KIND = 'CatalogDropPolicies';

const sv = (n: Node): string | undefined => (typeof n?.String?.sval === 'string' ? n.String.sval : undefined);

/** A ColumnRef's last name, and its qualifier (an alias) if any. */
function column(n: Node): { name: string; qual: string | undefined } | undefined {
  const f: Node[] | undefined = n?.ColumnRef?.fields;
  if (!f?.length || f.length > 2) return undefined;
  const name = sv(f[f.length - 1]);
  return name === undefined ? undefined : { name: name.toLowerCase(), qual: f.length === 2 ? sv(f[0])?.toLowerCase() : undefined };
}

const TABLE_COLUMNS = new Set(['table_name', 'tablename', 'relname']);
const SCHEMA_COLUMNS = new Set(['table_schema', 'schemaname', 'nspname']);

type Source = CatalogQuery['source'] | 'pg_namespace';

/** pg_class's relkind of a table and of a partitioned table (the others are no table: ALTER TABLE … ROW LEVEL SECURITY fails on them) */
const TABLE_KINDS = new Set(['r', 'p']);

/** The catalog relation a RangeVar names, with the alias it goes by. */
function sourceOf(rv: Node): { source: Source; alias: string } | undefined {
  const schema = rv?.schemaname?.toLowerCase();
  const name = rv?.relname?.toLowerCase();
  const alias = (rv?.alias?.aliasname ?? rv?.relname ?? '').toLowerCase();
  if ((name === 'pg_tables' || name === 'pg_class' || name === 'pg_namespace') && (schema === undefined || schema === 'pg_catalog')) return { source: name, alias };
  if (schema === 'information_schema' && (name === 'tables' || name === 'columns')) return { source: name, alias };
  return undefined;
}

/** `n.oid = c.relnamespace` (either way round): how pg_class joins pg_namespace. */
function joinsNamespace(n: Node, aliases: Set<string>): boolean {
  const e = n?.A_Expr;
  if (e?.kind !== 'AEXPR_OP' || sv(e.name?.[0]) !== '=') return false;
  const names = [column(e.lexpr), column(e.rexpr)];
  if (!names[0] || !names[1] || names[0].qual === names[1].qual || !names.every((c) => aliases.has(c!.qual ?? ''))) return false;
  const set = new Set(names.map((c) => c!.name));
  return set.has('oid') && set.has('relnamespace');
}

/**
 * What a FROM list of catalog relations reads: one, or two joined as the catalog relates them
 * (their join conditions: `joins`; an inner join's other ON conditions, `on`, filter as the WHERE's do).
 */
function fromOf(from: Node[], where: Node[]): { source: CatalogQuery['source']; aliases: Set<string>; joins: (n: Node) => boolean; on: Node[] } | undefined {
  const one = from.length === 1 ? sourceOf(from[0]?.RangeVar) : undefined;
  if (one) return one.source === 'pg_namespace' ? undefined : { source: one.source, aliases: new Set([one.alias]), joins: () => false, on: [] };
  // (two: `a JOIN b ON …`, or `a, b WHERE …`)
  const j = from.length === 1 ? from[0]?.JoinExpr : undefined;
  const pair = j ? [sourceOf(j.larg?.RangeVar), sourceOf(j.rarg?.RangeVar)] : from.length === 2 ? [sourceOf(from[0]?.RangeVar), sourceOf(from[1]?.RangeVar)] : [];
  if (pair.length !== 2 || !pair[0] || !pair[1] || pair[0].alias === pair[1].alias) return undefined;
  if (j && (j.jointype !== 'JOIN_INNER' || j.isNatural || j.usingClause)) return undefined;
  const kinds = new Set(pair.map((x) => x!.source));
  const aliases = new Set(pair.map((x) => x!.alias));
  const joins = kinds.has('columns') && kinds.has('tables') ? (n: Node) => joinsOn(n, aliases) : kinds.has('pg_class') && kinds.has('pg_namespace') ? (n: Node) => joinsNamespace(n, aliases) : undefined;
  if (!joins) return undefined;
  const conds = j ? conjuncts(j.quals) : where;
  // (at least one condition joins them: not a cross join)
  if (!conds.some(joins)) return undefined;
  return { source: kinds.has('pg_class') ? 'pg_class' : 'columns', aliases, joins, on: j ? conds.filter((c) => !joins(c)) : [] };
}

/** A condition on a boolean column: `col`, `NOT col`, `col IS [NOT] TRUE / FALSE`, `col = true` / `<> false`: the column and the value asked. */
function boolCondition(c: Node): { col: { name: string; qual: string | undefined }; value: boolean } | undefined {
  const plain = column(c);
  if (plain) return { col: plain, value: true };
  const not = c?.BoolExpr?.boolop === 'NOT_EXPR' ? column(c.BoolExpr.args?.[0]) : undefined;
  if (not) return { col: not, value: false };
  const bt = c?.BooleanTest;
  const tested = column(bt?.arg);
  if (tested) {
    const v = ({ IS_TRUE: true, IS_NOT_FALSE: true, IS_FALSE: false, IS_NOT_TRUE: false } as Record<string, boolean>)[bt.booltesttype];
    return v === undefined ? undefined : { col: tested, value: v };
  }
  const e = c?.A_Expr;
  const op = sv(e?.name?.[0]);
  const compared = e?.kind === 'AEXPR_OP' && (op === '=' || op === '<>' || op === '!=') ? column(e.lexpr) : undefined;
  const b = e?.rexpr?.A_Const;
  if (!compared || !b || !('boolval' in b)) return undefined;
  return { col: compared, value: (b.boolval?.boolval === true) === (op === '=') };
}

/** `'public'::regnamespace`: the schema it names. */
function regnamespace(n: Node): string | undefined {
  const c = n?.TypeCast;
  const names: Node[] = c?.typeName?.names ?? [];
  return sv(names[names.length - 1])?.toLowerCase() === 'regnamespace' ? stringConst(c.arg) : undefined;
}

/** `a.x = b.x` (both sides the same column of the two catalog relations: how columns joins tables). */
function joinsOn(n: Node, aliases: Set<string>): boolean {
  const e = n?.A_Expr;
  if (e?.kind !== 'AEXPR_OP' || sv(e.name?.[0]) !== '=') return false;
  const l = column(e.lexpr);
  const r = column(e.rexpr);
  return !!l && !!r && l.name === r.name && (l.name === 'table_schema' || l.name === 'table_name') && l.qual !== r.qual && aliases.has(l.qual ?? '') && aliases.has(r.qual ?? '');
}

/**
 * The tables a loop's query lists and what its output columns hold, when it is a query of
 * pg_tables, information_schema.tables or information_schema.columns (that one alone, or joined
 * with information_schema.tables on schema and name), or of pg_class joined with pg_namespace,
 * whose WHERE only asks the schema (=, IN, or all but some: <>, NOT IN, [NOT] LIKE), the column
 * name, the table type (base tables), pg_class's relkind (tables, partitioned tables) and
 * relispartition, the table's name (=, <>, IN, NOT IN, LIKE) or pg_tables' rowsecurity
 * (pg_class's relrowsecurity). It must list the schemas, leave out pg_catalog and
 * information_schema, or ask the column; of pg_class, the relkind too. Undefined for anything else.
 */
export function catalogQueryOf(select: Node | undefined): CatalogLoop | undefined {
  const s = select?.SelectStmt;
  if (s?.withClause) return withQueryOf(s);
  if (!s || s.limitCount || s.op !== 'SETOP_NONE' || s.valuesLists || s.havingClause) return undefined;
  const where = conjuncts(s.whereClause);
  const f = fromOf(s.fromClause ?? [], where);
  if (!f) return undefined;
  const { source, aliases } = f;
  const q: CatalogQuery = { source, exclude: [], like: [] };
  const known = (c: { qual: string | undefined } | undefined) => !!c && (c.qual === undefined || aliases.has(c.qual));
  // (information_schema's data_type of the column asked: with column_name's, of the same row)
  let types: string[] | undefined;
  for (const c of [...f.on, ...where]) {
    if (f.joins(c)) continue;
    // (`column_name = 'a' OR column_name LIKE 'b\_%' ESCAPE '\' OR …`)
    if (c?.BoolExpr?.boolop === 'OR_EXPR' && source === 'columns' && q.column === undefined) {
      const names = columnNames(c, known);
      if (!names) return undefined;
      q.column = names;
      continue;
    }
    const e = c?.A_Expr;
    // (pg_tables.rowsecurity, pg_class.relrowsecurity and relispartition: `x = false`, `NOT x`, `x IS FALSE`…)
    const flag = boolCondition(c);
    if (flag && known(flag.col)) {
      if ((flag.col.name === 'rowsecurity' && source === 'pg_tables') || (flag.col.name === 'relrowsecurity' && source === 'pg_class')) q.rowSecurity = flag.value;
      else if (flag.col.name === 'relispartition' && source === 'pg_class') q.partition = flag.value;
      else return undefined;
      continue;
    }
    const col = e ? column(e.lexpr) : undefined;
    if (!e || !col || !known(col)) return undefined;
    const op = sv(e.name?.[0]);
    // (pg_class alone: `relnamespace = 'public'::regnamespace`)
    if (col.name === 'relnamespace' && source === 'pg_class' && e.kind === 'AEXPR_OP' && op === '=') {
      const ns = regnamespace(e.rexpr);
      if (ns === undefined) return undefined;
      q.schemas = q.schemas ? q.schemas.filter((x) => x === ns) : [ns];
      continue;
    }
    if (col.name === 'column_name' && source === 'columns') {
      const names = q.column === undefined ? columnNames(c, known) : undefined;
      if (!names) return undefined;
      q.column = names;
      continue;
    }
    const values = e.kind === 'AEXPR_IN' ? ((e.rexpr?.List?.items ?? e.rexpr) as Node[]).map(stringConst) : [stringConst(e.rexpr)];
    if (!Array.isArray(values) || values.length === 0 || !values.every((v) => typeof v === 'string')) return undefined;
    const vs = values as string[];
    const equal = (e.kind === 'AEXPR_OP' && op === '=') || (e.kind === 'AEXPR_IN' && op === '=');
    const unequal = (e.kind === 'AEXPR_OP' && (op === '<>' || op === '!=')) || (e.kind === 'AEXPR_IN' && op === '<>');
    if (SCHEMA_COLUMNS.has(col.name) && equal) q.schemas = q.schemas ? q.schemas.filter((x) => vs.includes(x)) : vs;
    else if (SCHEMA_COLUMNS.has(col.name) && unequal) (q.schemaExclude ??= []).push(...vs);
    else if (SCHEMA_COLUMNS.has(col.name) && e.kind === 'AEXPR_LIKE' && vs.length === 1 && (op === '~~' || op === '!~~')) (q.schemaLike ??= []).push({ pattern: vs[0]!, negated: op === '!~~' });
    else if (col.name === 'data_type' && source === 'columns' && equal) types = types ? types.filter((x) => vs.includes(x)) : vs;
    else if (col.name === 'table_type' && (source === 'tables' || source === 'columns') && equal && vs.length === 1 && vs[0] === 'BASE TABLE') continue;
    // (relkind: of tables only — a loop reaching views, sequences or indexes fails on them)
    else if (col.name === 'relkind' && source === 'pg_class' && equal && vs.every((k) => TABLE_KINDS.has(k))) q.kinds = q.kinds ? q.kinds.filter((x) => vs.includes(x)) : vs;
    else if (TABLE_COLUMNS.has(col.name) && equal) q.include = q.include ? q.include.filter((x) => vs.includes(x)) : vs;
    else if (TABLE_COLUMNS.has(col.name) && unequal) q.exclude.push(...vs);
    else if (TABLE_COLUMNS.has(col.name) && e.kind === 'AEXPR_LIKE' && vs.length === 1 && (op === '~~' || op === '!~~')) q.like.push({ pattern: vs[0]!, negated: op === '!~~' });
    else return undefined;
  }
  if (types) {
    // (a condition on the type alone: not replayed)
    if (!q.column) return undefined;
    q.column = { ...q.column, types };
  }
  if (source === 'pg_class' && q.kinds === undefined) return undefined;
  // (the schemas asked: some listed, or all but the system's — a loop reaching pg_catalog's tables fails there, 42501)
  if (q.schemas === undefined && (q.column === undefined || q.column.like.length !== 0) && !(excludesSchema(q, 'pg_catalog') && excludesSchema(q, 'information_schema'))) return undefined;
  // what the output columns hold (a record's fields by name; aliases as written)
  const fields = new Map<string, 'table' | 'schema'>();
  for (const t of s.targetList ?? []) {
    const r = t?.ResTarget;
    const c = column(r?.val);
    if (!c || !known(c)) continue;
    const what = TABLE_COLUMNS.has(c.name) ? 'table' : SCHEMA_COLUMNS.has(c.name) ? 'schema' : undefined;
    if (what) fields.set((r.name ?? c.name).toLowerCase(), what);
  }
  if (![...fields.values()].includes('table')) return undefined;
  return { query: q, fields };
}

/**
 * The names a condition on information_schema.columns' column_name keeps: `= 'x'`, `IN ('x', 'y')`,
 * `LIKE 'p'` (`ESCAPE 'e'`), or several of them ORed; undefined for anything else.
 */
function columnNames(c: Node, known: (col: { qual: string | undefined } | undefined) => boolean): { names: string[]; like: string[] } | undefined {
  const out = { names: [] as string[], like: [] as string[] };
  const add = (n: Node): boolean => {
    if (n?.BoolExpr?.boolop === 'OR_EXPR') return (n.BoolExpr.args ?? []).every(add);
    const e = n?.A_Expr;
    const col = e ? column(e.lexpr) : undefined;
    if (!col || col.name !== 'column_name' || !known(col)) return false;
    const op = sv(e.name?.[0]);
    if ((e.kind === 'AEXPR_OP' || e.kind === 'AEXPR_IN') && op === '=') {
      const items: Node[] = e.kind === 'AEXPR_IN' ? (e.rexpr?.List?.items ?? e.rexpr) : [e.rexpr];
      const vs = Array.isArray(items) ? items.map(stringConst) : [];
      if (vs.length === 0 || !vs.every((v) => typeof v === 'string')) return false;
      out.names.push(...(vs as string[]));
      return true;
    }
    if (e.kind !== 'AEXPR_LIKE' || op !== '~~') return false;
    const plain = stringConst(e.rexpr);
    if (typeof plain === 'string') {
      out.like.push(plain);
      return true;
    }
    // (`LIKE 'p' ESCAPE 'e'`: pg_catalog.like_escape('p', 'e'))
    const f = e.rexpr?.FuncCall;
    const fn = (f?.funcname ?? []).map(sv).join('.');
    const [pattern, escape] = (f?.args ?? []).map(stringConst);
    if ((fn !== 'pg_catalog.like_escape' && fn !== 'like_escape') || f.args.length !== 2 || typeof pattern !== 'string' || typeof escape !== 'string' || escape.length > 1) return false;
    out.like.push(withBackslashEscape(pattern, escape));
    return true;
  };
  return add(c) ? out : undefined;
}

/** A LIKE pattern whose escape character is `escape` ('' for none) written with `\` as its escape (likeRegExp's). */
function withBackslashEscape(pattern: string, escape: string): string {
  if (escape === '\\') return pattern;
  let out = '';
  for (let i = 0; i < pattern.length; i++) {
    const ch = pattern[i]!;
    if (escape !== '' && ch === escape && i + 1 < pattern.length) out += `\\${pattern[++i]!}`;
    else out += ch === '\\' ? '\\\\' : ch;
  }
  return out;
}

/**
 * `WITH x AS (<a catalog query>) SELECT table_name FROM x [ORDER BY …]` (tutur3u's protected_tables):
 * the CTE's query, its output columns as the outer SELECT names them.
 */
function withQueryOf(s: Node): CatalogLoop | undefined {
  const ctes: Node[] = s.withClause?.ctes ?? [];
  const cte = ctes.length === 1 && !s.withClause.recursive ? ctes[0]?.CommonTableExpr : undefined;
  if (!cte || cte.aliascolnames?.length || s.whereClause || s.groupClause || s.havingClause || s.limitCount || s.limitOffset || s.op !== 'SETOP_NONE' || s.valuesLists) return undefined;
  const from: Node[] = s.fromClause ?? [];
  const rv = from.length === 1 ? from[0]?.RangeVar : undefined;
  if (!rv || rv.schemaname !== undefined || rv.relname !== cte.ctename) return undefined;
  const inner = catalogQueryOf(cte.ctequery);
  if (!inner) return undefined;
  const alias = (rv.alias?.aliasname ?? rv.relname).toLowerCase();
  const fields = new Map<string, 'table' | 'schema'>();
  for (const t of s.targetList ?? []) {
    const r = t?.ResTarget;
    const c = column(r?.val);
    if (!c || (c.qual !== undefined && c.qual !== alias)) continue;
    const what = inner.fields.get(c.name);
    if (what) fields.set((r.name ?? c.name).toLowerCase(), what);
  }
  if (![...fields.values()].includes('table')) return undefined;
  return { query: inner.query, fields };
}

/** The LIKE pattern as a regular expression (`%` any text, `_` one character, `\` escapes). */
function likeRegExp(pattern: string): RegExp {
  let re = '';
  for (let i = 0; i < pattern.length; i++) {
    const ch = pattern[i]!;
    if (ch === '\\' && i + 1 < pattern.length) re += pattern[++i]!.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    else if (ch === '%') re += '[\\s\\S]*';
    else if (ch === '_') re += '[\\s\\S]';
    else re += ch.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  }
  return new RegExp(`^${re}$`);
}

/** Whether the query's conditions on the schema leave `schema` out (NOT IN, <>, [NOT] LIKE). */
function excludesSchema(q: CatalogQuery, schema: string): boolean {
  if (q.schemaExclude?.includes(schema)) return true;
  for (const l of q.schemaLike ?? []) if (likeRegExp(l.pattern).test(schema) === l.negated) return true;
  return false;
}

/**
 * Whether the query lists the table where the replay is: a table of its schemas (not a temporary
 * one), with the column it asks for — or one whose columns the replay does not know for certain
 * (`uncertainColumns`: made LIKE another, as a partition, through inheritance…), which it is
 * taken to reach: the loop's policies are then seen on it, as dynamic SQL that may reach a table
 * leaves it alone elsewhere.
 */
export function catalogReaches(
  q: CatalogQuery,
  t: { schema: string; name: string; temp: boolean; columns: readonly string[]; rlsEnabled: boolean; partitioned?: boolean; parents?: ReadonlyArray<{ kind: string }> },
  uncertainColumns: boolean,
  dataType: (column: string) => string | undefined = () => undefined,
): boolean {
  if (t.temp) return false;
  if (q.kinds && !q.kinds.includes(t.partitioned ? 'p' : 'r')) return false;
  if (q.partition !== undefined && (t.parents ?? []).some((p) => p.kind === 'partition') !== q.partition) return false;
  if (q.schemas ? !q.schemas.includes(t.schema) : t.schema === 'pg_catalog' || t.schema === 'information_schema') return false;
  if (excludesSchema(q, t.schema)) return false;
  if (q.include && !q.include.includes(t.name)) return false;
  if (q.exclude.includes(t.name)) return false;
  for (const l of q.like) if (likeRegExp(l.pattern).test(t.name) === l.negated) return false;
  if (q.rowSecurity !== undefined && t.rlsEnabled !== q.rowSecurity) return false;
  return q.column === undefined || uncertainColumns || t.columns.some((c) => columnMatches(q.column!, c, dataType));
}

/**
 * Whether information_schema.columns' row of the column passes the query's conditions on it: its
 * name, and its type (one whose data_type the replay does not know, a domain's or an extension's,
 * is taken to pass, as a table whose columns it does not know is taken to be reached).
 */
function columnMatches(m: ColumnMatch, name: string, dataType: (column: string) => string | undefined): boolean {
  if (!m.names.includes(name) && !m.like.some((p) => likeRegExp(p).test(name))) return false;
  if (!m.types) return true;
  const t = dataType(name);
  return t === undefined || m.types.includes(t);
}

/** The serial pseudo-types and the integer type their column really has (PostgreSQL makes the column that type, with a sequence default). */
export const SERIAL_TYPES: ReadonlyMap<string, string> = new Map([
  ['serial', 'integer'],
  ['serial4', 'integer'],
  ['bigserial', 'bigint'],
  ['serial8', 'bigint'],
  ['smallserial', 'smallint'],
  ['serial2', 'smallint'],
]);

/** information_schema.columns' data_type of the built-in types, by typeName's name (ast.ts). */
const DATA_TYPES = new Map<string, string>([
  ...['text', 'character varying', 'character', 'integer', 'bigint', 'smallint', 'boolean', 'double precision', 'real', 'numeric', 'date', 'interval', 'uuid', 'json', 'jsonb', 'bytea', 'inet', 'cidr', 'macaddr', 'money', 'tsvector', 'tsquery', 'xml', 'oid', 'name', 'bit', 'point', 'timestamp with time zone'].map((x): [string, string] => [x, x]),
  ['timestamp', 'timestamp without time zone'],
  ['time', 'time without time zone'],
  ['timetz', 'time with time zone'],
  ['varbit', 'bit varying'],
  ...SERIAL_TYPES,
  ['decimal', 'numeric'],
  ['citext', 'USER-DEFINED'],
]);

/**
 * The data_type information_schema.columns gives a column of this type (a TypeName node): the
 * built-in's name (`text`, `character varying`, `character`…), `ARRAY` for an array; undefined
 * for another type (a domain's is its base type's, an enum's `USER-DEFINED`: the replay does not
 * say which) and where the type is not known.
 */
export function informationSchemaType(t: Node | undefined): string | undefined {
  if (!t) return undefined;
  if (t.arrayBounds?.length) return 'ARRAY';
  return DATA_TYPES.get(typeName(t));
}

/** The statements made from a template, by what was put in (and where: see instantiate, instantiateCall). */
const made = new WeakMap<Statement, Map<string, { from: number; stmt: Statement }>>();

/**
 * The statement made from `template` with `put` applied to every name and string of its tree (its
 * own memo: none copied), kept per template and `key` (what was put in, and where the statement
 * stands) while the template is where it was (an edit before it moves it).
 */
function madeFrom(template: Statement, key: string, put: (s: string) => string, extra?: Partial<Statement>): Statement {
  // (a statement standing at a call is kept for that call node: a file parsed again has others)
  let byKey = made.get(template);
  if (!byKey) made.set(template, (byKey = new Map()));
  const hit = byKey.get(key);
  if (hit && hit.from === template.start && hit.stmt.madeByCall === extra?.madeByCall) return hit.stmt;
  const copy = (v: unknown): unknown => {
    if (typeof v === 'string') return put(v);
    if (Array.isArray(v)) return v.map(copy);
    if (!v || typeof v !== 'object') return v;
    const o: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) if (k !== 'memo') o[k] = copy(x);
    return o;
  };
  const { memo: _memo, ...rest } = template;
  const stmt: Statement = { ...rest, node: copy(template.node) as Node, ...extra };
  byKey.set(key, { from: template.start, stmt });
  return stmt;
}

/**
 * A template with the loop's table and schema put in for the placeholders (in every name and
 * string of its tree: `%I_select` made `orders_select`), a statement of its own, kept: the same
 * object while the template is the same and where it was.
 */
export function instantiate(template: Statement, schema: string, table: string): Statement {
  return madeFrom(template, `${schema}\u0000${table}`, (s) => (s.includes('zz_pgrls_loop_') ? s.split(TABLE_PLACEHOLDER).join(table).split(SCHEMA_PLACEHOLDER).join(schema) : s));
}

/**
 * A function's call template (parse.ts callTemplatesOf) with the call's values put in for the
 * placeholders, a statement of its own standing at the call (`at`: its span; `call`: its FuncCall
 * node), kept per template, values and place. Its nodes stay where the function's string has their
 * text (in the same file as the call: model.ts replayCall).
 */
export function instantiateCall(template: Statement, values: readonly string[], call: Node, at: { start: number; end: number }): Statement {
  const put = (s: string) => {
    if (!s.includes('zz_pgrls_arg')) return s;
    for (let i = 0; i < values.length; i++) s = s.split(argPlaceholder(i)).join(values[i]!);
    return s;
  };
  return madeFrom(template, `call\u0000${values.join('\u0000')}\u0000${at.start}\u0000${at.end}`, put, { start: at.start, end: at.end, madeByCall: call });
}

/**
 * The catalog loop of the file at `offset` (its EXECUTEs' span) and the tables the replay ran it
 * for, as `schema.name` in the order it did (editor insight: the model's statements after the
 * loop's own, made from its templates).
 */
export function catalogLoopAt(statements: ReadonlyArray<{ file: ParsedFile; stmt: Statement }>, file: string, offset: number): { loop: Statement; tables: string[] } | undefined {
  for (let i = 0; i < statements.length; i++) {
    const { file: f, stmt } = statements[i]!;
    if (stmt.kind !== CATALOG_LOOP_KIND || f.file !== file || offset < stmt.start || offset > stmt.end) continue;
    const tables: string[] = [];
    for (let j = i + 1; j < statements.length; j++) {
      const s = statements[j]!.stmt;
      if (statements[j]!.file !== f || !s.dynamic || s.start < stmt.start || s.end > stmt.end) break;
      const rv = s.node?.table ?? s.node?.relation ?? s.node?.objects?.[0]?.RangeVar;
      const name = rv?.relname ? `${rv.schemaname ?? 'public'}.${rv.relname}` : undefined;
      if (name && !tables.includes(name)) tables.push(name);
    }
    return { loop: stmt, tables };
  }
  return undefined;
}

/**
 * The statements the replay ran for the call at `offset` of the file (model.ts replayCall: those
 * standing at it), in its order, each with a few words saying what it is (editor insight).
 */
export function callReplayAt(statements: ReadonlyArray<{ file: ParsedFile; stmt: Statement }>, file: string, offset: number): Array<{ stmt: Statement; summary: string }> {
  const out: Array<{ stmt: Statement; summary: string }> = [];
  for (let i = 0; i < statements.length; i++) {
    const { file: f, stmt } = statements[i]!;
    if (stmt.madeByCall !== undefined && f.file === file && stmt.start <= offset && offset <= stmt.end) out.push({ stmt, summary: madeSummary(stmt) });
  }
  return out;
}

/** A statement a replayed call made, in a few words: `CREATE POLICY p ON public.t`, `ALTER TABLE public.t ENABLE ROW LEVEL SECURITY`. */
function madeSummary(s: Statement): string {
  const n = s.node;
  const rel = (rv: Node) => (rv?.relname ? `${rv.schemaname ? `${rv.schemaname}.` : ''}${rv.relname}` : '…');
  if (s.kind === 'CreatePolicyStmt') return `CREATE POLICY ${n.policy_name} ON ${rel(n.table)}`;
  if (s.kind === 'AlterTableStmt') {
    const words: Record<string, string> = { AT_EnableRowSecurity: 'ENABLE', AT_DisableRowSecurity: 'DISABLE', AT_ForceRowSecurity: 'FORCE', AT_NoForceRowSecurity: 'NO FORCE' };
    const subs = ((n.cmds ?? []) as Node[]).map((c) => words[c?.AlterTableCmd?.subtype]);
    return subs.length && subs.every(Boolean) ? `ALTER TABLE ${rel(n.relation)} ${subs.join(', ')} ROW LEVEL SECURITY` : `ALTER TABLE ${rel(n.relation)} …`;
  }
  if (s.kind === 'DropStmt' && n.removeType === 'OBJECT_POLICY') return `DROP POLICY ${(n.objects?.[0]?.List?.items ?? []).map((x: Node) => x?.String?.sval).filter(Boolean).join('.')}`;
  if (s.kind === 'GrantStmt') return `${n.is_grant ? 'GRANT' : 'REVOKE'} … ON ${((n.objects ?? []) as Node[]).map((o) => rel(o?.RangeVar)).join(', ')}`;
  return s.kind.replace(/Stmt$/, '');
}


/** `format('ALTER TABLE public.%I DISABLE ROW LEVEL SECURITY', t)`: the schema written, `%I` or `%s`, the subcommand, the argument (model.ts reads catalog loops' with it too). */
export const FORMAT_RLS = /^\s*format\s*\(\s*'\s*ALTER\s+TABLE\s+(?:IF\s+EXISTS\s+)?(?:ONLY\s+)?(?:([A-Za-z_][\w$]*)\s*\.\s*)?%([Is])\s+(ENABLE|DISABLE|FORCE|NO\s+FORCE)\s+ROW\s+LEVEL\s+SECURITY\s*;?\s*'\s*,\s*([A-Za-z_][\w$]*(?:\s*\.\s*[A-Za-z_][\w$]*)?)\s*\)\s*$/i;

/**
 * A DO block's loop over a literal array of table names running `EXECUTE format('ALTER TABLE %I
 * DISABLE ROW LEVEL SECURITY', t)` (ENABLE, FORCE, NO FORCE) for each (trinketstore's V17,
 * breeze's workspace tables): the schema written, the subcommand and each value's name parts, when
 * every value names a table (model.ts replays them as ALTER TABLEs at the EXECUTE, which a fix may
 * edit; dynamic-rls.ts takes nothing about them as unknown).
 */
export function literalLoopRls(d: DynamicExecute): { schema: string | undefined; subcommand: string; names: string[][]; complete: boolean } | undefined {
  const m = d.each ? FORMAT_RLS.exec(d.text) : null;
  if (!m || m[4]!.toLowerCase() !== d.each!.variable) return undefined;
  const names: string[][] = [];
  let complete = true;
  for (const v of d.each!.values) {
    // (%I quotes the value as one name; %s puts it as written: `public.t`, or `t`; a value that
    // is no name is left out: the loop is then not `complete`)
    const parts = m[2] === 'I' ? [v] : v.split('.').map((x) => x.trim().replace(/^"(.*)"$/, '$1'));
    if (m[2] === 's' && parts.some((x) => !/^[A-Za-z_][\w$]*$/.test(x))) complete = false;
    else names.push(m[2] === 's' ? parts.map((x) => x.toLowerCase()) : parts);
  }
  return { schema: m[1]?.toLowerCase(), subcommand: m[3]!, names, complete };
}
