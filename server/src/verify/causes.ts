// Why the statements of verify's replay failed, where one failure explains another: a migration
// history that lacks the statement making a table (an ORM's schema push, a baseline kept
// elsewhere) fails there, and then every statement using what the failed one would have made.
// Pure: reads verify's statement errors and the lint's parsed statements; runs nothing.
import type { Statement } from '../analysis/types.js';
import type { VerifyStatementError } from './pglite.js';

/** What an error says is missing, as PostgreSQL names it in the message. */
export type MissingKind = 'relation' | 'type' | 'function' | 'schema' | 'column';

/** Why a statement failed, as far as the other statements tell. */
export type Cause =
  /** it uses what an earlier statement would have made, and that statement failed: `errors[follows]` */
  | { kind: 'follows'; follows: number; missing: { kind: MissingKind; name: string } }
  /**
   * no statement of the files that the replay runs makes what it uses; `notRun`: the first that makes it
   * among those it does not run (a file or section the migration tool never applies: model.ts rollbackSections)
   */
  | { kind: 'never'; missing: { kind: MissingKind; name: string }; notRun?: { file: string; offset: number } }
  /** a statement makes it, but only after this one in migration order */
  | { kind: 'later'; missing: { kind: MissingKind; name: string }; file: string; offset: number };

/** A statement error of verify's replay (the DO block holding a statement, when that fails, spans it). */
export type FailedStatement = VerifyStatementError;

/** A statement that makes a named object, where it stands in migration order. */
interface Maker {
  file: number;
  start: number;
  end: number;
  schema: string | undefined;
  name: string;
  /** a rename: the name it takes the object from (it makes the new name only if the old one exists) */
  from?: { schema: string | undefined; name: string };
}

const PATTERNS: Array<[string, RegExp, MissingKind]> = [
  ['42P01', /^relation "(.+)" does not exist$/, 'relation'],
  ['42704', /^type "(.+?)(?:\[\])*" does not exist$/, 'type'],
  ['42883', /^function (.+?)\(.*\) does not exist$/, 'function'],
  ['3F000', /^schema "(.+)" does not exist$/, 'schema'],
];

/** `column "x" of relation "y" does not exist` (the table named), or `column "x" does not exist` (the statement's table). */
const COLUMN_OF = /^column "(.+)" of relation "(.+)" does not exist$/;
const COLUMN = /^column "(.+)" does not exist$/;
/** `column a.x does not exist`: `a` a table or its alias in the statement */
const COLUMN_QUALIFIED = /^column ([^".\s]+)\.([^".\s]+) does not exist$/;

/** The table the statement reads as `alias` (its alias, or its own name), found in its tree. */
function aliased(node: unknown, alias: string): string | undefined {
  if (!node || typeof node !== 'object') return undefined;
  if (Array.isArray(node)) {
    for (const x of node) {
      const t = aliased(x, alias);
      if (t) return t;
    }
    return undefined;
  }
  const rv = (node as { RangeVar?: { relname?: string; alias?: { aliasname?: string } } }).RangeVar;
  if (rv?.relname && (rv.alias?.aliasname ?? rv.relname) === alias) return rv.relname;
  for (const v of Object.values(node)) {
    const t = aliased(v, alias);
    if (t) return t;
  }
  return undefined;
}

/** What an error's message says does not exist (schema part split off), when it says so. */
export function missingOf(code: string, message: string): { kind: MissingKind; name: string; schema?: string } | undefined {
  for (const [c, re, kind] of PATTERNS) {
    if (c !== code) continue;
    const m = re.exec(message);
    if (!m) return undefined;
    const full = m[1]!;
    // (a schema name has no dot in the messages looked at here, and "schema" has no schema part)
    const dot = kind === 'schema' ? -1 : full.indexOf('.');
    return dot > 0 ? { kind, name: full, schema: full.slice(0, dot) } : { kind, name: full };
  }
  return undefined;
}

/**
 * Types and functions of common extensions, by extension name: a failed CREATE EXTENSION (not
 * available on the server, as pgvector or PostGIS on PGlite) explains the errors on them.
 * Names with a trailing `*` are prefixes (PostGIS's `st_` functions).
 */
const EXTENSION_MAKES: Record<string, Array<[MissingKind, string]>> = {
  vector: [['type', 'vector'], ['type', 'halfvec'], ['type', 'sparsevec']],
  postgis: [['type', 'geometry'], ['type', 'geography'], ['type', 'box2d'], ['type', 'box3d'], ['function', 'st_*']],
  citext: [['type', 'citext']],
  hstore: [['type', 'hstore']],
  ltree: [['type', 'ltree'], ['type', 'lquery'], ['type', 'ltxtquery']],
  cube: [['type', 'cube']],
  earthdistance: [['type', 'earth'], ['function', 'earth_distance'], ['function', 'll_to_earth']],
  'uuid-ossp': [['function', 'uuid_generate_v1'], ['function', 'uuid_generate_v1mc'], ['function', 'uuid_generate_v3'], ['function', 'uuid_generate_v4'], ['function', 'uuid_generate_v5'], ['function', 'uuid_nil']],
  pgcrypto: [['function', 'crypt'], ['function', 'gen_salt'], ['function', 'digest'], ['function', 'hmac'], ['function', 'gen_random_bytes'], ['function', 'pgp_sym_encrypt'], ['function', 'pgp_sym_decrypt']],
  pg_trgm: [['function', 'similarity'], ['function', 'word_similarity'], ['function', 'show_trgm']],
  unaccent: [['function', 'unaccent']],
  moddatetime: [['function', 'moddatetime']],
  pg_cron: [['schema', 'cron']],
  pg_net: [['schema', 'net']],
  supabase_vault: [['schema', 'vault']],
  pg_jsonschema: [['function', 'json_matches_schema'], ['function', 'jsonb_matches_schema'], ['function', 'jsonschema_is_valid'], ['function', 'jsonschema_validation_errors']],
  pg_graphql: [['schema', 'graphql']],
  pgsodium: [['schema', 'pgsodium']],
  // (its event trigger functions, in the schema it is created in: a Supabase dump's `CREATE EXTENSION
  // "pgaudit" WITH SCHEMA "public"` then `GRANT ALL ON FUNCTION "public"."pgaudit_ddl_command_end"() …`;
  // NorwoodAndBrixtonFoodbank/nbf-website's initial schema)
  pgaudit: [['function', 'pgaudit_ddl_command_end'], ['function', 'pgaudit_sql_drop']],
};

const RELATION_RENAMES = new Set(['OBJECT_TABLE', 'OBJECT_VIEW', 'OBJECT_MATVIEW', 'OBJECT_FOREIGN_TABLE', 'OBJECT_SEQUENCE']);

/** The object a statement makes (or names anew), if any: its kind, schema as written and name. */
type Made = { kind: MissingKind; schema?: string; name: string; from?: { schema: string | undefined; name: string } };

/** What a statement makes (or names anew): one object, or those of a known extension. */
function madeBy(s: Statement): Made[] {
  if (s.kind === 'CreateExtensionStmt') {
    const makes = EXTENSION_MAKES[String(s.node?.extname ?? '').toLowerCase()] ?? [];
    return makes.map(([kind, name]) => ({ kind, name }));
  }
  const one = madeOne(s);
  return [...(one ? [one] : []), ...columnsMadeBy(s)];
}

/** The columns a statement makes (`table.column`, the table's schema as written): CREATE TABLE's, ADD COLUMN's, RENAME COLUMN's new name. */
function columnsMadeBy(s: Statement): Made[] {
  const n = s.node;
  const col = (r: { schemaname?: string; relname?: string } | undefined, c: unknown, from?: string): Made[] =>
    r?.relname && typeof c === 'string' && c ? [{ kind: 'column', schema: r.schemaname, name: `${r.relname}.${c}`, ...(from ? { from: { schema: r.schemaname, name: `${r.relname}.${from}` } } : {}) }] : [];
  switch (s.kind) {
    case 'CreateStmt':
      return ((n?.tableElts ?? []) as Array<{ ColumnDef?: { colname?: string } }>).flatMap((e) => col(n.relation, e.ColumnDef?.colname));
    case 'AlterTableStmt':
      return ((n?.cmds ?? []) as Array<{ AlterTableCmd?: { subtype?: string; def?: { ColumnDef?: { colname?: string } } } }>).flatMap((c) =>
        c.AlterTableCmd?.subtype === 'AT_AddColumn' ? col(n.relation, c.AlterTableCmd.def?.ColumnDef?.colname) : [],
      );
    case 'RenameStmt':
      return n?.renameType === 'OBJECT_COLUMN' ? col(n.relation, n.newname, n.subname) : [];
    default:
      return [];
  }
}

/** The table a statement is about, for a column it names without one (`column "x" does not exist`). */
function tableOf(s: Statement): string | undefined {
  const n = s.node;
  switch (s.kind) {
    case 'IndexStmt':
    case 'AlterTableStmt':
    case 'CreateTrigStmt':
      return n?.relation?.relname;
    case 'CreatePolicyStmt':
    case 'AlterPolicyStmt':
      return n?.table?.relname;
    default:
      return undefined;
  }
}

function madeOne(s: Statement): Made | undefined {
  const n = s.node;
  const rel = (r: { schemaname?: string; relname?: string } | undefined) => (r?.relname ? { kind: 'relation' as const, schema: r.schemaname, name: r.relname } : undefined);
  const qualified = (kind: MissingKind, parts: unknown) => {
    const names = Array.isArray(parts) ? parts.map((p: { String?: { sval?: string } }) => p?.String?.sval ?? '') : [];
    const name = names[names.length - 1];
    return name ? { kind, schema: names.length > 1 ? names[names.length - 2] : undefined, name } : undefined;
  };
  switch (s.kind) {
    case 'CreateStmt':
    case 'CreateForeignTableStmt':
      return rel(n?.relation ?? n?.base?.relation);
    case 'CreateTableAsStmt':
      return rel(n?.into?.rel);
    case 'ViewStmt':
      return rel(n?.view);
    case 'CreateSeqStmt':
      return rel(n?.sequence);
    case 'CreateEnumStmt':
    case 'CreateRangeStmt':
      return qualified('type', n?.typeName);
    case 'CompositeTypeStmt':
      return n?.typevar?.relname ? { kind: 'type', schema: n.typevar.schemaname, name: n.typevar.relname } : undefined;
    case 'CreateDomainStmt':
      return qualified('type', n?.domainname);
    case 'CreateFunctionStmt':
      return qualified('function', n?.funcname);
    case 'CreateSchemaStmt':
      return n?.schemaname ? { kind: 'schema', name: n.schemaname } : undefined;
    case 'RenameStmt':
      if (!n?.newname) return undefined;
      if (RELATION_RENAMES.has(n.renameType) && !n.subname && n.relation?.relname) {
        return { kind: 'relation', schema: n.relation.schemaname, name: n.newname, from: { schema: n.relation.schemaname, name: n.relation.relname } };
      }
      if (n.renameType === 'OBJECT_TYPE' || n.renameType === 'OBJECT_DOMAIN') return { kind: 'type', name: n.newname };
      if (n.renameType === 'OBJECT_SCHEMA') return { kind: 'schema', name: n.newname };
      return undefined;
    default:
      return undefined;
  }
}

/**
 * The cause of each error, where the statements tell one (undefined where they do not: the
 * error is the statement's own). `files` are the replayed files in migration order, each with
 * the lint's statements of it; an error's statement is the one whose span holds its offset.
 *
 * An error saying a relation, type, function or schema does not exist follows from an earlier
 * failed statement when the last statement before it making that name failed; it has cause
 * `never` when no statement makes the name, and `later` when the first that does comes after it.
 * A name made before it by a statement that succeeded explains nothing (dropped since, another
 * schema, other argument types): no cause.
 */
export function causes(
  errors: readonly FailedStatement[],
  files: ReadonlyArray<{ file: string; statements: readonly Statement[]; notRun?: ReadonlyArray<{ start: number; end: number }> }>,
): Array<Cause | undefined> {
  const fileIndex = new Map(files.map((f, i) => [f.file, i]));
  const makers = new Map<string, Maker[]>();
  // (what the statements the replay does not run would make — a file inside supabase/migrations/, which the CLI never
  // applies, a rollback section: no answer to what a statement ran later makes; DSciAILab/TatamiPro_V3's policies on
  // public.athletes were said to fail on a table "made later, at supabase/migrations/legacy/0005_…", which nothing runs)
  const unrunMakers = new Map<string, Maker[]>();
  files.forEach((f, i) => {
    for (const s of f.statements) {
      const into = f.notRun?.some((r) => r.start <= s.start && s.start < r.end) ? unrunMakers : makers;
      for (const m of madeBy(s)) {
        const key = `${m.kind}:${m.name}`;
        const list = into.get(key) ?? [];
        list.push({ file: i, start: s.start, end: s.end, schema: m.schema, name: m.name, ...(m.from ? { from: m.from } : {}) });
        into.set(key, list);
      }
    }
  });
  // the errors of each file, to find the one (if any) of a maker's statement
  const byFile = new Map<number, number[]>();
  errors.forEach((e, i) => {
    const f = fileIndex.get(e.file);
    if (f !== undefined) byFile.set(f, [...(byFile.get(f) ?? []), i]);
  });
  // (the error is in the maker, or the maker in the failed statement: a DO block holding it fails as a whole)
  const failureOf = (m: Maker) =>
    byFile.get(m.file)?.find((i) => {
      const e = errors[i]!;
      return (e.offset >= m.start && e.offset <= m.end) || (e.statementStart !== undefined && e.statementEnd !== undefined && e.statementStart <= m.start && m.end <= e.statementEnd);
    });
  const before = (m: Maker, file: number, offset: number) => m.file < file || (m.file === file && m.end < offset);
  type Found = { kind: 'follows'; follows: number } | { kind: 'never'; name: string; notRun?: { file: string; offset: number } } | { kind: 'later'; file: string; offset: number } | undefined;
  /** what became of `kind name` by (file, offset), for the error `self` */
  const resolve = (kind: MissingKind, name: string, schema: string | undefined, file: number, offset: number, self: number, depth: number): Found => {
    // (a maker naming no schema makes the name in the schema of its search_path, most often the one asked)
    const named = makers.get(`${kind}:${name}`) ?? [];
    // (a prefix an extension's functions share: PostGIS's st_…)
    const prefixed = kind === 'function' && name.includes('_') ? (makers.get(`${kind}:${name.slice(0, name.indexOf('_') + 1)}*`) ?? []) : [];
    const list = (prefixed.length ? [...named, ...prefixed].sort((a, b) => a.file - b.file || a.start - b.start) : named).filter((m) => !schema || !m.schema || m.schema === schema);
    let last: Maker | undefined;
    for (const m of list) if (before(m, file, offset)) last = m;
    if (last) {
      const failed = failureOf(last);
      if (failed !== undefined) return failed !== self ? { kind: 'follows', follows: failed } : undefined;
      // a rename that ran made the new name only if the old one was there (ALTER … IF EXISTS … RENAME passes without it)
      if (last.from && depth < 20) {
        const old = resolve(kind, last.from.name, last.from.schema, last.file, last.start, self, depth + 1);
        return old?.kind === 'follows' ? old : undefined;
      }
      return undefined;
    }
    const next = list.find((m) => !before(m, file, offset) && !(m.file === file && m.start <= offset && offset <= m.end));
    if (next) return { kind: 'later', file: files[next.file]!.file, offset: next.start };
    const unrun = (unrunMakers.get(`${kind}:${name}`) ?? []).find((m) => !schema || !m.schema || m.schema === schema);
    return { kind: 'never', name, ...(unrun ? { notRun: { file: files[unrun.file]!.file, offset: unrun.start } } : {}) };
  };
  /**
   * What became of column `table.column` by (file, offset): as resolve(), and when no statement
   * makes it under that name, under the name the table had before a rename that made it (its
   * columns went with it).
   */
  const resolveColumn = (table: string, column: string, file: number, offset: number, self: number, depth: number): Found => {
    const r = resolve('column', `${table}.${column}`, undefined, file, offset, self, depth);
    if (r?.kind !== 'never' || depth >= 20) return r;
    let renamed: Maker | undefined;
    for (const m of makers.get(`relation:${table}`) ?? []) if (before(m, file, offset)) renamed = m;
    return renamed?.from ? resolveColumn(renamed.from.name, column, renamed.file, renamed.start, self, depth + 1) : r;
  };
  /** the innermost statement of a file holding an offset */
  const statementAt = (file: number, offset: number) => {
    let best: Statement | undefined;
    for (const s of files[file]!.statements) if (s.start <= offset && offset <= s.end && (!best || s.end - s.start < best.end - best.start)) best = s;
    return best;
  };
  return errors.map((e, self) => {
    const file = fileIndex.get(e.file);
    if (file === undefined) return undefined;
    if (e.code === '42703') {
      // a column: of the relation the message names; else of the statement's table, where only an earlier failure
      // adding it is taken (the column may be a sub-select's: nothing else is said)
      const named = COLUMN_OF.exec(e.message);
      const bare = named ? undefined : COLUMN.exec(e.message);
      const qualified = named || bare ? undefined : COLUMN_QUALIFIED.exec(e.message);
      const st = named ? undefined : statementAt(file, e.offset);
      const table = named ? named[2] : bare ? st && tableOf(st) : qualified ? st && aliased(st.node, qualified[1]!) : undefined;
      const column = named ? named[1] : bare ? bare[1] : qualified?.[2];
      if (!table || !column) return undefined;
      const said = { kind: 'column' as const, name: `${table}.${column}` };
      const r = resolveColumn(table, column, file, e.offset, self, 0);
      if (r?.kind === 'follows') return { kind: 'follows', follows: r.follows, missing: said };
      // (the table the message or the alias names: what became of its column is told; the statement's own table, only an earlier failure)
      if ((!named && !qualified) || !r) return undefined;
      return r.kind === 'later' ? { kind: 'later', missing: said, file: r.file, offset: r.offset } : { kind: 'never', missing: said, ...(r.notRun ? { notRun: r.notRun } : {}) };
    }
    const missing = missingOf(e.code, e.message);
    if (!missing) return undefined;
    const bare = missing.schema ? missing.name.slice(missing.schema.length + 1) : missing.name;
    const said = { kind: missing.kind, name: missing.name };
    const r = resolve(missing.kind, bare, missing.schema, file, e.offset, self, 0);
    if (!r) return undefined;
    return r.kind === 'follows'
      ? { kind: 'follows', follows: r.follows, missing: said }
      : r.kind === 'later'
        ? { kind: 'later', missing: said, file: r.file, offset: r.offset }
        : { kind: 'never', missing: said, ...(r.notRun ? { notRun: r.notRun } : {}) };
  });
}

/** The error each error's failure comes down to: itself, or the root of the chain it follows. */
export function rootsOf(found: ReadonlyArray<Cause | undefined>): number[] {
  const roots: number[] = new Array(found.length);
  const rootOf = (i: number, depth: number): number => {
    if (roots[i] !== undefined) return roots[i]!;
    const c = found[i];
    // (a chain goes back in migration order, so it ends; the depth guards against a cycle all the same)
    const r = c?.kind === 'follows' && depth < found.length ? rootOf(c.follows, depth + 1) : i;
    roots[i] = r;
    return r;
  };
  for (let i = 0; i < found.length; i++) rootOf(i, 0);
  return roots;
}
