// The enum types of a workspace, their values as the migrations change them, and the CREATE
// POLICY and ALTER POLICY statements PostgreSQL rejects with 22P02 because a string compared with
// an enum column, or cast to an enum type, is not one of its values (event-spark-plan's
// 'usuario', cavity-care-pro's 'admin'::app_role). policy-invalid-enum-value reports them;
// rejected.ts counts such a CREATE POLICY among those that never make a policy. Pure: reads the model.
import { bodiesUncheckedBefore, census, memoStmt } from './ast.js';
import { isFlywayMigration, isSupabaseCliMigration, type Func, type Model, type Table } from './model.js';
import { nameParts, sval, walk } from './parse.js';
import { anyStatementIn, memoModel, orderOf } from './policy-exprs.js';
import type { Node, ParsedFile, Statement } from './types.js';

/** An enum type of the workspace: its values as each statement leaves them, in replay order. */
export interface EnumType {
  name: string;
  /** [replay position, values from then on] */
  states: Array<[number, ReadonlySet<string>]>;
  /** the replay position of its CREATE TYPE */
  made: number;
  /** value → the replay position of the ALTER TYPE … ADD VALUE that added it (the last) */
  added: Map<string, number>;
}

interface EnumFacts {
  /** enum types by key */
  types: Map<string, EnumType>;
  /**
   * table key → column → its types, in replay order: [replay position from which it holds (-1: as
   * the table is made), enum type key, or undefined once it is of another type]
   */
  columns: Map<string, Map<string, Array<[number, string | undefined]>>>;
  /**
   * table key → the replay position of the CREATE TABLE that made it (the model's table): an ALTER
   * before it changed no column of this table (it failed with 42P01, or changed a table dropped since)
   */
  made: Map<string, number>;
}

/** The enum type key of a column when the statement at replay position `at` runs. */
function typeAt(facts: EnumFacts, table: string, column: string, at: number): string | undefined {
  let out: string | undefined;
  const made = facts.made.get(table) ?? -1;
  // (at or after the table's CREATE TABLE, what an ALTER before it did is not this table's)
  for (const [i, k] of facts.columns.get(table)?.get(column) ?? []) if (i < at && (i === -1 || i > made || at <= made)) out = k;
  return out;
}

const NO_FACTS: EnumFacts = { types: new Map(), columns: new Map(), made: new Map() };

const makesEnum = anyStatementIn((s) => s.kind === 'CreateEnumStmt' || !!s.body?.statements.some((b) => b.kind === 'CreateEnumStmt'));

/** The workspace's enum types and the table columns typed with one (none: NO_FACTS), once per model. */
function enumFacts(model: Model): EnumFacts {
  return memoModel(model, 'rules:enumFacts', (m) => {
    // (most workspaces make no enum type: their files say so once, kept per parsed file)
    if (!m.files.some(makesEnum)) return NO_FACTS;
    let types: Map<string, EnumType> | undefined;
    for (let i = 0; i < m.statements.length; i++) {
      const stmt = m.statements[i]!.stmt;
      const n = stmt.node;
      if (stmt.kind === 'CreateEnumStmt') {
        const parts = nameParts(n?.typeName);
        const values = new Set(((n?.vals ?? []) as Node[]).map((v) => sval(v) ?? ''));
        (types ??= new Map()).set(m.key(parts.length === 1 ? [undefined, parts[0]] : parts), { name: parts.join('.'), states: [[i, values]], made: i, added: new Map() });
      } else if (stmt.kind === 'AlterEnumStmt' && types) {
        const parts = nameParts(n?.typeName);
        const t = types.get(m.key(parts.length === 1 ? [undefined, parts[0]] : parts));
        if (!t) continue;
        const before = t.states[t.states.length - 1]![1];
        let next = new Set(before);
        if (n.oldVal !== undefined && n.newVal !== undefined) {
          // (in its place: RENAME VALUE keeps the value's sort order, which the message lists them in)
          next = new Set([...before].map((v) => (v === n.oldVal ? n.newVal : v)));
          next.add(n.newVal);
          // (a renamed value is as safe to use as it was: RENAME VALUE is no new value, measured)
          const added = t.added.get(n.oldVal);
          t.added.delete(n.oldVal);
          if (added !== undefined) t.added.set(n.newVal, added);
        } else if (n.newVal !== undefined) {
          // (ADD VALUE IF NOT EXISTS of a value it has adds nothing)
          if (!before.has(n.newVal)) t.added.set(n.newVal, i);
          next.add(n.newVal);
        }
        t.states.push([i, next]);
      }
    }
    if (!types) return NO_FACTS;
    const columns = new Map<string, Map<string, Array<[number, string | undefined]>>>();
    const made = new Map<string, number>();
    // (a column of another type is recorded only where it was of an enum type before: ALTER COLUMN … TYPE)
    const typed = (table: string, name: string | undefined, typeName: Node, at: number) => {
      const names = nameParts(typeName?.names);
      if (!name || names.length === 0) return;
      const k = typeName.arrayBounds ? undefined : m.key(names.length === 1 ? [undefined, names[0]] : names);
      const enumKey = k !== undefined && types!.has(k) ? k : undefined;
      let cols = columns.get(table);
      if (!enumKey && !cols?.has(name)) return;
      if (!cols) columns.set(table, (cols = new Map()));
      let states = cols.get(name);
      if (!states) cols.set(name, (states = []));
      states.push([at, enumKey]);
    };
    // (a table's columns of a type named as no enum type is are passed over: the last part of
    // each column's type name is kept per statement, and most columns are of built-in types)
    const typeNames = new Set<string>();
    types.forEach((_, k) => typeNames.add(k.slice(k.lastIndexOf('.') + 1).toLowerCase()));
    m.tables.forEach((t) => {
      const cols = columnTypeNames(t.stmt);
      for (let i = 0; i < cols.length; i++) {
        const c = cols[i]!;
        if (typeNames.has(c.last)) typed(t.key, c.def.colname, c.def.typeName, -1);
      }
    });
    // (where each table the model has was made: prisma/migrations/0007_…'s ALTER COLUMN role TYPE
    // "ProfileRole", replayed before supabase/migrations/000_…'s CREATE TABLE profiles (role text),
    // made lms-beyond-v3's 50 policies comparing role with 'admin' look rejected with 22P02)
    const makers = new Map<Statement, string>();
    m.tables.forEach((t) => makers.set(t.stmt, t.key));
    for (let i = 0; i < m.statements.length; i++) {
      const stmt = m.statements[i]!.stmt;
      const maker = stmt.kind === 'CreateStmt' ? makers.get(stmt) : undefined;
      if (maker !== undefined) made.set(maker, i);
      if (stmt.kind !== 'AlterTableStmt' || !stmt.node?.relation) continue;
      const changes = columnChanges(stmt);
      let key: string | undefined;
      for (let j = 0; j < changes.length; j++) {
        const c = changes[j]!;
        key ??= m.relKey(stmt.node.relation);
        // (a type named as no enum type is, on a table none of whose columns was of one: nothing to record)
        if (typeNames.has(c.last) || columns.has(key)) typed(key, c.name, c.typeName, i);
      }
    }
    return { types, columns, made };
  });
}

/** The column definitions of a CREATE TABLE, each with the last part of its type's name, lower-case (kept per statement). */
function columnTypeNames(stmt: Statement): ReadonlyArray<{ def: Node; last: string }> {
  return memoStmt(stmt, 'enum-values:columnTypes', () => {
    const out: Array<{ def: Node; last: string }> = [];
    for (const e of (stmt.node?.tableElts ?? []) as Node[]) {
      const def = e?.ColumnDef;
      if (def) out.push({ def, last: (nameParts(def.typeName?.names).pop() ?? '').toLowerCase() });
    }
    return out;
  });
}

/**
 * The columns an ALTER TABLE adds or changes the type of (ADD COLUMN, ALTER COLUMN … TYPE:
 * zen-demand's team_members), with the last part of the type's name, lower-case (kept per statement).
 */
function columnChanges(stmt: Statement): ReadonlyArray<{ name: string | undefined; typeName: Node; last: string }> {
  return memoStmt(stmt, 'enum-values:columnChanges', () => {
    const out: Array<{ name: string | undefined; typeName: Node; last: string }> = [];
    for (const c of (stmt.node?.cmds ?? []) as Node[]) {
      const cmd = c?.AlterTableCmd;
      const name = cmd?.subtype === 'AT_AddColumn' ? cmd.def?.ColumnDef?.colname : cmd?.subtype === 'AT_AlterColumnType' ? cmd.name : undefined;
      if (cmd?.subtype !== 'AT_AddColumn' && cmd?.subtype !== 'AT_AlterColumnType') continue;
      const typeName = cmd.def?.ColumnDef?.typeName;
      out.push({ name, typeName, last: (nameParts(typeName?.names).pop() ?? '').toLowerCase() });
    }
    return out;
  });
}

/**
 * Whether a policy statement's expressions may hold a string an enum rejects: a string constant
 * cast to a type, passed to a function, or compared (=, <>, IN) with a column (kept per statement: most policies compare
 * strings with calls, `scope() = 'system'`, or none at all).
 */
function mayHoldEnumString(stmt: Statement): boolean {
  return memoStmt(stmt, 'enum-values:candidate', () => {
    let found = false;
    for (const node of [stmt.node?.qual, stmt.node?.with_check]) {
      if (!node || found || !census(node).aConst) continue;
      walk(node, (k, v) => {
        if (found) return false;
        if (k === 'TypeCast' && (stringConst({ TypeCast: v }) || (v.typeName?.arrayBounds && v.arg?.A_ArrayExpr))) found = true;
        else if (k === 'A_Expr' && (v.kind === 'AEXPR_OP_ANY' || v.kind === 'AEXPR_OP_ALL') && v.lexpr?.ColumnRef && stringConst(v.rexpr)) found = true;
        else if (k === 'FuncCall' && hasStringArgument(v)) found = true;
        else if (k === 'A_Expr' && (v.kind === 'AEXPR_OP' || v.kind === 'AEXPR_IN')) {
          const sides = [v.lexpr, ...(v.kind === 'AEXPR_IN' ? (((v.rexpr?.List?.items ?? v.rexpr) as Node[]) ?? []) : [v.rexpr])];
          if (sides.some((x) => x?.ColumnRef) && sides.some((x) => stringConst(x))) found = true;
        }
        return found ? false : undefined;
      });
    }
    return found;
  });
}

/** The values of an enum type when the statement at replay position `at` runs. */
function valuesAt(t: EnumType, at: number): ReadonlySet<string> | undefined {
  let out: ReadonlySet<string> | undefined;
  for (const [i, v] of t.states) if (i < at) out = v;
  return out;
}

/** The key of the type a cast names. */
function castKey(model: Model, typeName: Node): string | undefined {
  const names = nameParts(typeName?.names);
  if (names.length === 0 || typeName.arrayBounds) return undefined;
  return model.key(names.length === 1 ? [undefined, names[0]] : names);
}

/** A string constant (`'x'`, or `'x'::type`) and its location. */
function stringConst(n: Node): { value: string; location: number } | undefined {
  const c = n?.A_Const ?? n?.TypeCast?.arg?.A_Const;
  const v = c?.sval?.sval;
  return typeof v === 'string' ? { value: v, location: c.location ?? -1 } : undefined;
}

export interface BadValue {
  file: string;
  value: string;
  location: number;
  column: string;
  type: EnumType;
  values: ReadonlySet<string>;
  /** the length of the text reported (the value and its quotes; the value alone in an array literal) */
  length?: number;
  /** the function parameter the string is passed for (`has_role's parameter _role`), when it is an argument */
  param?: string;
  /**
   * The value is one of the type's, added by an ALTER TYPE … ADD VALUE of the same transaction
   * (55P04 unsafe use of new value: uncommittedAdd): that statement, and the BEGIN that opened the
   * transaction, or (none) how the migration tool runs the whole file as one (fileTransaction).
   */
  uncommitted?: { add: Statement; begin?: Statement; tool?: string };
}

/**
 * The ALTER TYPE … ADD VALUE that added `value` to `type` in the transaction the statement at
 * replay position `at` runs in, when PostgreSQL refuses to use it there (55P04 unsafe use of new
 * value: "New enum values must be committed before they can be used"; measured: a policy's
 * comparison or cast, an ADD VALUE … BEFORE, one in a DO block, after a RELEASE SAVEPOINT). Not
 * when the type was made in that transaction too (allowed, measured), nor after a RENAME VALUE.
 * The transaction is one the lint is sure of: a BEGIN (START TRANSACTION) before both in their
 * file with no COMMIT, ROLLBACK or PREPARE TRANSACTION between, or the whole file where the
 * migration tool its layout names runs each file as one transaction (fileTransaction); a plain
 * file is not assumed to be one (psql -f commits each statement).
 */
function uncommittedAdd(model: Model, type: EnumType, value: string, at: number): BadValue['uncommitted'] {
  const p = type.added.get(value);
  if (p === undefined || p >= at) return undefined;
  const add = model.statements[p]!;
  const use = model.statements[at]!;
  if (add.file !== use.file) return undefined;
  const list = add.file.statements;
  let begin: Statement | undefined;
  for (let i = 0; i < list.length; i++) {
    const s = list[i]!;
    if (s.start >= use.stmt.start) break;
    if (s.kind !== 'TransactionStmt' || s.origin !== 'file') continue;
    const k = s.node?.kind;
    if (k === 'TRANS_STMT_BEGIN' || k === 'TRANS_STMT_START') {
      if (s.start < add.stmt.start) begin = s;
    } else if (k === 'TRANS_STMT_COMMIT' || k === 'TRANS_STMT_ROLLBACK' || k === 'TRANS_STMT_PREPARE') {
      if (s.start > add.stmt.start) return undefined;
      begin = undefined;
    }
  }
  const tool = begin ? undefined : fileTransaction(model, add.file);
  if (!begin && !tool) return undefined;
  // (the type made in the same transaction: its new values may be used)
  const made = model.statements[type.made]!;
  if (made.file === add.file && (!begin || made.stmt.start > begin.start)) return undefined;
  return begin ? { add: add.stmt, begin } : { add: add.stmt, tool };
}

/** dbmate's up marker, with its options (`transaction:false`), as its parser reads it: a line of its own. */
const DBMATE_UP = /^--[ \t]*migrate:up\b(.*)$/m;
/** goose's up annotation, and the one that runs the file outside a transaction (case-insensitive, at the start of a line). */
const GOOSE_UP = /^--[ \t]*\+goose[ \t]+up\b/im;
const GOOSE_NO_TRANSACTION = /^--[ \t]*\+goose[ \t]+no[ \t]+transaction\b/im;
/** sql-migrate's up command, with its options (`notransaction`): the line starts with exactly `-- +migrate ` (its sqlparse). */
const SQL_MIGRATE_UP = /^-- \+migrate Up\b(.*)$/m;
/** golang-migrate's up migration, `<version>_<title>.up.sql`. */
const GOLANG_MIGRATE_UP = /(?:^|[\\/])[0-9]+_[^\\/]*\.up\.sql$/i;
/** What Flyway's PostgreSQL parser runs outside a transaction (PostgreSQLParser.detectCanExecuteInTransaction): a file holding one is not run in one. */
const FLYWAY_NON_TRANSACTIONAL = /^\s*(?:(?:CREATE|DROP)\s+(?:DATABASE|TABLESPACE|SUBSCRIPTION)\b|ALTER\s+SYSTEM\b|(?:CREATE|DROP)(?:\s+UNIQUE)?\s+INDEX\s+CONCURRENTLY\b|REINDEX(?:\s+VERBOSE)?\s+(?:SCHEMA|DATABASE|SYSTEM)\b|VACUUM\b|DISCARD\s+ALL\b)/i;

const LEADING_COMMENTS = /^(?:\s+|--[^\n]*(?:\n|$)|\/\*[\s\S]*?\*\/)*/;

/**
 * How the migration tool a file's layout names runs the whole file as one transaction, as a
 * phrase for the message, or undefined where the lint does not know it does (measured on PGlite:
 * one multi-statement query is one transaction, and an ADD VALUE in it is refused to the later
 * statements with 55P04; run statement by statement, it is not):
 * - the Supabase CLI's migration (`supabase/migrations/<digits>_x.sql`): one pgx batch;
 * - dbmate's (`-- migrate:up`): each migration in a transaction unless that line says
 *   `transaction:false`;
 * - goose's (`-- +goose Up`): in a transaction unless annotated `-- +goose NO TRANSACTION`;
 * - sql-migrate's (`-- +migrate Up`): in a transaction unless that line says `notransaction`;
 * - golang-migrate's (`<version>_<title>.up.sql`): its postgres driver sends the whole file in one
 *   Exec (the simple query protocol: one implicit transaction) unless the database URL sets
 *   x-multi-statement; not with sqlx's `-- no-transaction` first line;
 * - Flyway's versioned or repeatable migration in a Flyway project: executeInTransaction is true by
 *   default, unless the file holds a statement Flyway runs outside one (CREATE INDEX CONCURRENTLY,
 *   VACUUM …) or the PostgreSQL version is below 12 (it runs ADD VALUE outside one then).
 * Not Prisma Migrate (its issues report both a failing deploy and a passing one), node-pg-migrate
 * (its SQL files are not told apart), sqitch (psql: statement by statement), nor a file the lint
 * cannot tie to a tool.
 */
function fileTransaction(model: Model, file: ParsedFile): string | undefined {
  const name = file.file;
  if (isSupabaseCliMigration(name)) return 'the Supabase CLI runs each migration file as one transaction';
  const text = file.text;
  const dbmate = DBMATE_UP.exec(text);
  if (dbmate) return /\btransaction:false\b/.test(dbmate[1]!) ? undefined : 'dbmate runs each migration in one transaction (its `-- migrate:up` line does not say `transaction:false`)';
  if (GOOSE_UP.test(text)) return GOOSE_NO_TRANSACTION.test(text) ? undefined : 'goose runs each migration in one transaction (the file has no `-- +goose NO TRANSACTION` annotation)';
  const sqlMigrate = SQL_MIGRATE_UP.exec(text);
  if (sqlMigrate) return sqlMigrate[1]!.trim().split(/\s+/).includes('notransaction') ? undefined : 'sql-migrate runs each migration in one transaction (its `-- +migrate Up` line does not say `notransaction`)';
  if (GOLANG_MIGRATE_UP.test(name)) {
    if (/^\s*--\s*no-transaction\b/.test(text)) return undefined;
    return "golang-migrate's postgres driver sends the whole `.up.sql` file in one query, which PostgreSQL runs as one transaction (unless the database URL sets x-multi-statement)";
  }
  if (isFlywayMigration(model.files, name)) {
    const version = model.config.postgresVersion;
    if (version !== undefined && version < 12) return undefined;
    if (file.statements.some((s) => s.origin === 'file' && FLYWAY_NON_TRANSACTIONAL.test(text.slice(s.start, Math.min(s.end, s.start + 200)).replace(LEADING_COMMENTS, '')))) return undefined;
    return 'Flyway runs each migration in one transaction (executeInTransaction is true by default: unless a script configuration file `<migration>.sql.conf` or the project configuration turns it off)';
  }
  return undefined;
}

/**
 * The enum-typed column a column reference names in a policy's expressions when the statement at
 * replay position `at` runs, with its enum type's key: a column of the policy's table, or of a
 * table its sub-selects read under that name or alias (unqualified: every table in reach with that
 * name types it alike).
 */
function columnResolver(model: Model, table: string, at: number, exprs: ReadonlyArray<{ node: Node; file: string }>, facts: EnumFacts, params?: ReadonlyMap<string, string>): (n: Node) => { column: string; type: string } | undefined {
  const tables = new Map<string, string>(); // alias or name → table key
  tables.set(table.slice(table.indexOf('.') + 1), table);
  for (const e of exprs) {
    for (const rv of census(e.node).rangeVars) {
      const key = model.relKey(rv);
      tables.set(String(rv.alias?.aliasname ?? rv.relname), key);
    }
  }
  return (n: Node): { column: string; type: string } | undefined => {
    const fields: Node[] | undefined = n?.ColumnRef?.fields;
    if (!fields || fields.length === 0 || fields.length > 2) return undefined;
    const parts = fields.map((f) => sval(f));
    if (parts.some((x) => x === undefined)) return undefined;
    const column = parts[parts.length - 1]!;
    if (parts.length === 2) {
      const k = tables.get(parts[0]!);
      const type = k ? typeAt(facts, k, column, at) : undefined;
      return type ? { column: `${parts[0]}.${column}`, type } : undefined;
    }
    // (unqualified: every table in reach with such a column must agree on its type)
    const found = new Set<string | undefined>();
    for (const k of new Set(tables.values())) {
      const t: Table | undefined = model.tables.get(k);
      if (t?.columns.includes(column)) found.add(typeAt(facts, k, column, at));
    }
    // (no table in reach has it: a SQL function's parameter of that name, of an enum type)
    if (found.size === 0 && params?.has(column)) return { column, type: params.get(column)! };
    const type = found.size === 1 ? [...found][0] : undefined;
    return type ? { column, type } : undefined;
  };
}

/**
 * The first string a policy's expressions compare (=, <>, IN) with a column of an enum type that
 * is not one of its values when the policy is made: the column of the policy's table, or of a
 * table its sub-selects read under that name or alias (unqualified: the one table in reach with it).
 */
function badValue(model: Model, table: string, at: number, exprs: ReadonlyArray<{ node: Node; file: string }>, facts: EnumFacts, params?: ReadonlyMap<string, string>): BadValue | undefined {
  if (facts.types.size === 0) return undefined;
  const columnOf = columnResolver(model, table, at, exprs, facts, params);
  let out: BadValue | undefined;
  for (const e of exprs) {
    walk(e.node, (k, v) => {
      if (out) return false;
      // (a string passed where the called function takes an enum type: `has_role(auth.uid(), 'advisor')`,
      // the usual Supabase helper of `_role app_role`; PostgreSQL converts it as it resolves the call)
      if (k === 'FuncCall') {
        const bad = badArgument(model, v, at, facts);
        if (bad) {
          out = { file: e.file, ...bad };
          return false;
        }
        return undefined;
      }
      // (a string cast to an enum type it is no value of, wherever it stands: `has_role(auth.uid(),
      // 'admin'::app_role)`, cavity-care-pro's policies, whose app_role has no 'admin')
      if (k === 'TypeCast' && v.typeName?.arrayBounds) {
        // (an array of strings cast to an array of an enum type: `ARRAY['admin', 'advisor']::app_role[]`, `'{admin,advisor}'::app_role[]`)
        const key = castKey(model, { ...v.typeName, arrayBounds: undefined });
        const type = key ? facts.types.get(key) : undefined;
        const values = type ? valuesAt(type, at) : undefined;
        const bad = values ? firstBad(model, type!, values, arrayStrings(v.arg), at) : undefined;
        if (bad) {
          out = { file: e.file, ...bad, column: '' };
          return false;
        }
        return undefined;
      }
      if (k === 'TypeCast') {
        const key = castKey(model, v.typeName);
        const type = key ? facts.types.get(key) : undefined;
        const values = type ? valuesAt(type, at) : undefined;
        const s = values ? stringConst({ TypeCast: v }) : undefined;
        const bad = s && s.location >= 0 ? badString(model, type!, values!, s, at) : undefined;
        if (bad) {
          out = { file: e.file, ...bad, column: '' };
          return false;
        }
        return undefined;
      }
      if (k !== 'A_Expr') return;
      const op = sval(v.name?.[0]);
      // (`role = ANY ('{admin,advisor}')`: the array literal is converted to the column's type's array)
      if ((v.kind === 'AEXPR_OP_ANY' || v.kind === 'AEXPR_OP_ALL') && (op === '=' || op === '<>' || op === '!=') && v.rexpr?.A_Const) {
        const col = columnOf(v.lexpr);
        const type = col ? facts.types.get(col.type) : undefined;
        const values = type ? valuesAt(type, at) : undefined;
        const bad = values ? firstBad(model, type!, values, arrayStrings(v.rexpr), at) : undefined;
        if (bad) {
          out = { file: e.file, ...bad, column: col!.column };
          return false;
        }
        return undefined;
      }
      let pairs: Array<[Node, Node[]]> = [];
      if (v.kind === 'AEXPR_OP' && (op === '=' || op === '<>' || op === '!=')) pairs = [[v.lexpr, [v.rexpr]], [v.rexpr, [v.lexpr]]];
      else if (v.kind === 'AEXPR_IN') pairs = [[v.lexpr, ((v.rexpr?.List?.items ?? v.rexpr) as Node[]) ?? []]];
      for (const [side, others] of pairs) {
        const col = columnOf(side);
        if (!col) continue;
        const type = facts.types.get(col.type)!;
        const values = valuesAt(type, at);
        if (!values) continue;
        for (const o of Array.isArray(others) ? others : []) {
          // (a string cast to another type, `'owner'::public.team_membership_role`, is of that type:
          // comparing it with the column fails otherwise, 42883 operator does not exist, when it does)
          if (o?.TypeCast && castKey(model, o.TypeCast.typeName) !== col.type) continue;
          const s = stringConst(o);
          const bad = s && s.location >= 0 ? badString(model, type, values, s, at) : undefined;
          if (bad) {
            out = { file: e.file, ...bad, column: col.column };
            return false;
          }
        }
      }
      return undefined;
    });
    if (out) break;
  }
  return out;
}


/** The strings of an array expression of string constants (`ARRAY['a', 'b']`), or of an array literal without quotes or escapes (`'{a,b}'`: each at its place in the literal). */
function arrayStrings(n: Node): Array<{ value: string; location: number; length: number }> {
  const items = n?.A_ArrayExpr?.elements as Node[] | undefined;
  if (items) {
    const out: Array<{ value: string; location: number; length: number }> = [];
    for (const x of items) {
      const c = x?.A_Const;
      if (typeof c?.sval?.sval === 'string' && c.location >= 0) out.push({ value: c.sval.sval, location: c.location, length: c.sval.sval.length + 2 });
    }
    return out;
  }
  const c = n?.A_Const;
  const text = c?.sval?.sval;
  if (typeof text !== 'string' || !(c.location >= 0) || !/^\{[^{}"'\\]*\}$/.test(text.trim())) return [];
  const out: Array<{ value: string; location: number; length: number }> = [];
  const open = text.indexOf('{');
  let from = open + 1;
  for (const raw of text.slice(open + 1, text.lastIndexOf('}')).split(',')) {
    const value = raw.trim();
    // (the literal's text as written: its quote, then the characters of the string)
    if (value !== '' && value.toUpperCase() !== 'NULL') out.push({ value, location: c.location + 1 + from + raw.indexOf(value), length: value.length });
    from += raw.length + 1;
  }
  return out;
}

/** The first of `strings` that is no value of `type` when the statement at `at` runs, or one its transaction added (uncommittedAdd). */
function firstBad(model: Model, type: EnumType, values: ReadonlySet<string>, strings: ReadonlyArray<{ value: string; location: number; length: number }>, at: number): Omit<BadValue, 'file' | 'column'> | undefined {
  for (const s of strings) {
    const bad = badString(model, type, values, s, at);
    if (bad) return bad;
  }
  return undefined;
}

/** `s` as a BadValue of `type` when it is no value of it when the statement at `at` runs, or one its transaction added (uncommittedAdd). */
function badString(model: Model, type: EnumType, values: ReadonlySet<string>, s: { value: string; location: number; length?: number }, at: number): Omit<BadValue, 'file' | 'column'> | undefined {
  const uncommitted = values.has(s.value) ? uncommittedAdd(model, type, s.value, at) : undefined;
  if (values.has(s.value) && !uncommitted) return undefined;
  return { value: s.value, location: s.location, ...(s.length !== undefined ? { length: s.length } : {}), type, values, ...(uncommitted ? { uncommitted } : {}) };
}

/** Whether a call passes a string constant (positionally or by name). */
function hasStringArgument(call: Node): boolean {
  return ((call.args ?? []) as Node[]).some((a) => a?.A_Const?.sval !== undefined || a?.NamedArgExpr?.arg?.A_Const?.sval !== undefined);
}

/**
 * The first string constant (untyped) a call passes for a parameter of an enum type that is no
 * value of it when the statement at `at` runs, or one the same transaction added (uncommittedAdd).
 * Only where the call resolves for certain: one function of that name in the workspace takes that
 * many arguments (defaults counted; an overload taking text would take the string as text), made
 * before the statement. `column` names the parameter.
 */
function badArgument(model: Model, call: Node, at: number, facts: EnumFacts): Omit<BadValue, 'file'> | undefined {
  const args: Node[] = call.args ?? [];
  if (args.length === 0 || call.agg_star || call.agg_distinct || call.over) return undefined;
  if (!hasStringArgument(call)) return undefined;
  const parts = nameParts(call.funcname);
  if (parts.length === 0 || parts.length > 2) return undefined;
  const key = model.callPathKey(call) ?? model.key(parts.length === 1 ? [undefined, parts[0]] : parts);
  const fits = (functionsByKey(model).get(key) ?? []).filter((f) => takes(f, args.length));
  if (fits.length !== 1) return undefined;
  const f = fits[0]!;
  const made = orderOf(model, f.created);
  if (made < 0 || made >= at) return undefined;
  const params = inputParameters(f);
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    const named = a?.NamedArgExpr;
    const param = named ? params.find((p) => p.name === named.name) : params[i];
    const arg = named ? named.arg : a;
    if (!param || arg?.A_Const?.sval === undefined) continue;
    const typeKey = castKey(model, param.argType);
    const type = typeKey ? facts.types.get(typeKey) : undefined;
    const values = type ? valuesAt(type, at) : undefined;
    const s = values ? stringConst(arg) : undefined;
    const bad = s && s.location >= 0 ? badString(model, type!, values!, s, at) : undefined;
    if (bad) return { ...bad, column: '', param: `${f.name}'s ${param.name ? `parameter ${param.name}` : `argument ${i + 1}`}` };
  }
  return undefined;
}

/** The workspace's functions by key (overloads together), once per model. */
function functionsByKey(model: Model): Map<string, Func[]> {
  return memoModel(model, 'enum-values:functions', (m) => {
    const out = new Map<string, Func[]>();
    for (const f of m.allFunctions()) {
      const list = out.get(f.key);
      if (list) list.push(f);
      else out.set(f.key, [f]);
    }
    return out;
  });
}

/** A function's input parameters (IN, INOUT, VARIADIC), as its CREATE FUNCTION writes them. */
function inputParameters(f: Func): Array<{ name?: string; argType: Node; defexpr?: Node }> {
  const ps: Node[] = f.stmt.node?.parameters ?? [];
  const out: Array<{ name?: string; argType: Node; defexpr?: Node }> = [];
  for (const p of ps) {
    const fp = p?.FunctionParameter;
    if (!fp || fp.mode === 'FUNC_PARAM_OUT' || fp.mode === 'FUNC_PARAM_TABLE') continue;
    out.push({ name: fp.name, argType: fp.argType, defexpr: fp.defexpr });
  }
  return out;
}

/** Whether a call with `n` arguments may be of `f` (its input parameters, those after the n-th with defaults; no VARIADIC). */
function takes(f: Func, n: number): boolean {
  if (f.stmt.kind !== 'CreateFunctionStmt') return false;
  const ps = inputParameters(f);
  if (ps.length < n) return false;
  for (let i = n; i < ps.length; i++) if (!ps[i]!.defexpr) return false;
  return !(f.stmt.node?.parameters ?? []).some((p: Node) => p?.FunctionParameter?.mode === 'FUNC_PARAM_VARIADIC');
}

/** A CREATE POLICY or ALTER POLICY PostgreSQL rejects with 22P02 (invalidEnumValues). */
export interface InvalidEnumValue {
  file: ParsedFile;
  stmt: Statement;
  bad: BadValue;
}

const NO_INVALID: readonly InvalidEnumValue[] = Object.freeze([]);

/**
 * The CREATE POLICY and ALTER POLICY statements, where each runs in the replay, that compare an
 * enum column with a string that is none of its values, or cast such a string to an enum type,
 * with the first such string (in replay order, once per model; none in a workspace that makes
 * no enum type).
 */
export function invalidEnumValues(model: Model): readonly InvalidEnumValue[] {
  return memoModel(model, 'enum-values:invalid', (m) => {
    const facts = enumFacts(m);
    if (facts.types.size === 0) return NO_INVALID;
    let out: InvalidEnumValue[] | undefined;
    // (each CREATE POLICY and ALTER POLICY where it runs: one a later statement replaces failed all the same)
    for (let i = 0; i < m.statements.length; i++) {
      const { file, stmt } = m.statements[i]!;
      if (stmt.kind !== 'CreatePolicyStmt' && stmt.kind !== 'AlterPolicyStmt') continue;
      const n = stmt.node;
      if (!n?.table || !mayHoldEnumString(stmt)) continue;
      const exprs = [n.qual, n.with_check].filter(Boolean).map((node: Node) => ({ node, file: file.file }));
      const bad = badValue(m, m.relKey(n.table), i, exprs, facts);
      if (bad) (out ??= []).push({ file, stmt, bad });
    }
    return out ?? NO_INVALID;
  });
}

// ---- a view or a SQL function using a value its transaction added (55P04) ----

/** A CREATE VIEW or CREATE FUNCTION … LANGUAGE sql PostgreSQL rejects with 55P04 (uncommittedOutsidePolicies). */
export interface UncommittedUse {
  file: ParsedFile;
  stmt: Statement;
  what: 'view' | 'function';
  /** the view's key, or the function's name as written */
  name: string;
  bad: BadValue & { uncommitted: NonNullable<BadValue['uncommitted']> };
}

const NO_USES: readonly UncommittedUse[] = Object.freeze([]);

/**
 * The CREATE VIEW and CREATE FUNCTION … LANGUAGE sql statements that compare an enum column (or
 * a SQL function's parameter of an enum type) with, or cast to the type, a value an ALTER TYPE …
 * ADD VALUE of the same transaction added (uncommittedAdd): PostgreSQL analyses a view's query and,
 * with check_function_bodies on (the default), a SQL function's body when it creates them, and
 * refuses the value with 55P04 (PGlite: `CREATE VIEW … WHERE role = 'x5'`, `AS $$ SELECT r = 'x1'
 * $$`, BEGIN ATOMIC, `'x2'::app_role`). Not a PL/pgSQL body: it is analysed only when it runs
 * (created, measured). Once per model; only in the files holding an ADD VALUE.
 */
export function uncommittedOutsidePolicies(model: Model): readonly UncommittedUse[] {
  return memoModel(model, 'enum-values:uncommittedOutside', (m) => {
    const facts = enumFacts(m);
    if (facts.types.size === 0) return NO_USES;
    const files = new Set<ParsedFile>();
    facts.types.forEach((t) => t.added.forEach((p) => files.add(m.statements[p]!.file)));
    if (files.size === 0) return NO_USES;
    let out: UncommittedUse[] | undefined;
    for (let i = 0; i < m.statements.length; i++) {
      const { file, stmt } = m.statements[i]!;
      if (!files.has(file)) continue;
      const n = stmt.node;
      let found: UncommittedUse | undefined;
      if (stmt.kind === 'ViewStmt' && n?.query && n.view) {
        const bad = badValue(m, '\u0000', i, [{ node: n.query, file: file.file }], facts);
        if (bad?.uncommitted) found = { file, stmt, what: 'view', name: m.relKey(n.view), bad: bad as UncommittedUse['bad'] };
      } else if (stmt.kind === 'CreateFunctionStmt' && stmt.body?.language === 'sql' && stmt.body.statements.length !== 0 && !bodiesUncheckedBefore(file, stmt)) {
        const params = new Map<string, string>();
        for (const p of (n?.parameters ?? []) as Node[]) {
          const fp = p?.FunctionParameter;
          const key = fp?.name && fp.mode !== 'FUNC_PARAM_OUT' && fp.mode !== 'FUNC_PARAM_TABLE' ? castKey(m, fp.argType) : undefined;
          if (key && facts.types.has(key)) params.set(fp.name, key);
        }
        const exprs = stmt.body.statements.map((b) => ({ node: b.node, file: file.file }));
        const bad = badValue(m, '\u0000', i, exprs, facts, params);
        if (bad?.uncommitted) found = { file, stmt, what: 'function', name: nameParts(n?.funcname).join('.'), bad: bad as UncommittedUse['bad'] };
      }
      if (found) (out ??= []).push(found);
    }
    return out ?? NO_USES;
  });
}

// ---- an enum column compared with an array of strings (42883) ----

/**
 * A column of an enum type compared with an ARRAY[…] of untyped strings: `role = ANY
 * (ARRAY['admin', 'advisor'])`. The strings give the array no type of their own, so PostgreSQL
 * resolves it as text[], has no operator app_role = text, and rejects the CREATE POLICY with 42883
 * operator does not exist: app_role = text (PGlite; so for `<> ALL`, `= SOME`, an ARRAY of one
 * string or of NULLs). Not `IN ('a', 'b')`, `= ANY ('{a,b}')` (an untyped literal, converted to
 * app_role[]), an element or the array cast to the type, nor `role::text = ANY (…)` (measured).
 */
export interface EnumArrayMismatch {
  file: string;
  /** the comparison (A_Expr), its operator's location and operator (`<>` for `!=`), ANY (SOME) or ALL */
  node: Node;
  location: number;
  op: string;
  form: 'ANY' | 'ALL';
  /** the column as written (`role`, `p.role`) and its enum type */
  column: string;
  type: EnumType;
  /** the ARRAY[…] expression */
  array: Node;
  /** the first string of the array that is no value of the type when the policy is made, or one its transaction adds (cast to the type's array, it fails: 22P02, 55P04); none: cast, the policy is created */
  bad?: { value: string; uncommitted: boolean };
}

/** Whether a node is `ARRAY[…]` of untyped string constants and NULLs, one string at least. */
function untypedStringArray(n: Node): boolean {
  const items = n?.A_ArrayExpr?.elements as Node[] | undefined;
  if (!items || items.length === 0) return false;
  let strings = 0;
  for (const x of items) {
    const c = x?.A_Const;
    if (!c) return false;
    if (typeof c.sval?.sval === 'string') strings++;
    else if (!c.isnull) return false;
  }
  return strings !== 0;
}

/** Whether a policy statement's expressions compare something with `ANY`/`ALL` of an ARRAY[…] of strings (kept per statement: few do). */
function mayCompareStringArray(stmt: Statement): boolean {
  return memoStmt(stmt, 'enum-values:arrayCandidate', () => {
    let found = false;
    for (const node of [stmt.node?.qual, stmt.node?.with_check]) {
      if (!node || found || !census(node).aConst) continue;
      walk(node, (k, v) => {
        if (found) return false;
        if (k === 'A_Expr' && (v.kind === 'AEXPR_OP_ANY' || v.kind === 'AEXPR_OP_ALL') && v.lexpr?.ColumnRef && untypedStringArray(v.rexpr)) found = true;
        return found ? false : undefined;
      });
    }
    return found;
  });
}

export interface EnumArrayStatement {
  file: ParsedFile;
  stmt: Statement;
  mismatch: EnumArrayMismatch;
}

const NO_ARRAY_MISMATCHES: readonly EnumArrayStatement[] = Object.freeze([]);

/**
 * The CREATE POLICY statements, where each runs in the replay, that compare a column of an enum
 * type with an ARRAY[…] of untyped strings (EnumArrayMismatch), with the first such comparison
 * (once per model; none in a workspace that makes no enum type).
 */
export function enumArrayMismatches(model: Model): readonly EnumArrayStatement[] {
  return memoModel(model, 'enum-values:arrays', (m) => {
    const facts = enumFacts(m);
    if (facts.types.size === 0) return NO_ARRAY_MISMATCHES;
    let out: EnumArrayStatement[] | undefined;
    for (let i = 0; i < m.statements.length; i++) {
      const { file, stmt } = m.statements[i]!;
      if (stmt.kind !== 'CreatePolicyStmt') continue;
      const n = stmt.node;
      if (!n?.table || !mayCompareStringArray(stmt)) continue;
      const exprs = [n.qual, n.with_check].filter(Boolean).map((node: Node) => ({ node, file: file.file }));
      const columnOf = columnResolver(m, m.relKey(n.table), i, exprs, facts);
      let found: EnumArrayMismatch | undefined;
      for (const e of exprs) {
        walk(e.node, (k, v) => {
          if (found) return false;
          if (k !== 'A_Expr' || (v.kind !== 'AEXPR_OP_ANY' && v.kind !== 'AEXPR_OP_ALL') || (v.name?.length ?? 0) !== 1) return undefined;
          const op = sval(v.name[0]);
          if ((op !== '=' && op !== '<>' && op !== '!=') || !untypedStringArray(v.rexpr)) return undefined;
          const col = columnOf(v.lexpr);
          const type = col ? facts.types.get(col.type) : undefined;
          const values = type ? valuesAt(type, i) : undefined;
          if (!col || !type || !values) return undefined;
          const bad = firstBad(m, type, values, arrayStrings(v.rexpr), i);
          found = {
            file: e.file,
            node: v,
            location: typeof v.location === 'number' ? v.location : -1,
            op: op === '!=' ? '<>' : op,
            form: v.kind === 'AEXPR_OP_ALL' ? 'ALL' : 'ANY',
            column: col.column,
            type,
            array: v.rexpr,
            ...(bad ? { bad: { value: bad.value, uncommitted: !!bad.uncommitted } } : {}),
          };
          return false;
        });
        if (found) break;
      }
      if (found) (out ??= []).push({ file, stmt, mismatch: found });
    }
    return out ?? NO_ARRAY_MISMATCHES;
  });
}

/**
 * What invalidEnumValues depends on beyond the statements it finds, as one string: the enum
 * types with their values and where each set of values starts to hold ('' without enum types).
 */
export function enumSignature(model: Model): string {
  return memoModel(model, 'enum-values:sig', (m) => {
    const facts = enumFacts(m);
    if (facts.types.size === 0) return '';
    const parts: string[] = [];
    facts.types.forEach((t, k) => {
      parts.push(k);
      for (const [at, values] of t.states) parts.push(String(at), [...values].join('\u0001'));
    });
    return parts.join('\u0000');
  });
}

/**
 * The enum type (key) a table's column is of once every migration has run, or undefined (not an
 * enum type of the workspace, or not known). A function's statements run after the migrations:
 * what a trigger writes into the column is coerced to this type.
 */
export function enumTypeOfColumn(model: Model, table: string, column: string): string | undefined {
  const facts = enumFacts(model);
  return facts.types.size === 0 ? undefined : typeAt(facts, table, column, Infinity);
}

/**
 * The values of an enum type of the workspace (its name's parts, as written) once the migrations
 * have run, or undefined when the migrations make no such enum type.
 */
export function enumValuesOf(model: Model, parts: readonly string[]): ReadonlySet<string> | undefined {
  const facts = enumFacts(model);
  if (facts.types.size === 0) return undefined;
  const t = facts.types.get(model.key(parts.length === 1 ? [undefined, parts[0]] : [...parts]));
  return t?.states[t.states.length - 1]![1];
}
