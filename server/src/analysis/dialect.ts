// Files written for another database. A repository often holds SQL for more than PostgreSQL (a
// Tauri or mobile app's SQLite migrations, a MySQL dump, SQL Server scripts, an observability
// app's ClickHouse migrations, dbt's Jinja-templated
// models, even a Kysely migration in TypeScript saved as .sql, or a shell script); PostgreSQL rejects
// their statements with 42601 at words of the other dialect. Such a file is not a migration of
// this database: the model leaves it out (its tables, grants and policies are not PostgreSQL's)
// and one finding says so (rules/not-postgresql.ts) instead of a syntax error per statement. Pure.
import { liquibaseSkippedAt } from './liquibase-changelog.js';
import type { Node, ParsedFile, ParseError } from './types.js';

export type Dialect = 'SQLite' | 'MySQL' | 'MySQL or SQLite' | 'SQL Server' | 'ClickHouse' | 'dbt' | 'JavaScript/TypeScript' | 'a shell' | 'JSON';

/** A word PostgreSQL rejected that belongs to another dialect. */
interface Marker {
  dialect: Dialect;
  /** the word as the message names it */
  word: string;
  /** what PostgreSQL writes instead, or has in its place */
  instead: string;
  /** the error's text must be followed by this (after the word), or preceded by `before` */
  after?: RegExp;
  before?: RegExp;
  /** and the whole text must pass this */
  whole?: (text: string) => boolean;
  /** another dialect that has the word too: a file with a word of that dialect's own is that dialect's */
  also?: Dialect;
}

// By the word PostgreSQL names in `syntax error at or near "…"` (upper-cased). Only words no
// PostgreSQL statement has where the error is: each is checked in its context where the word
// alone is a PostgreSQL word too (OR, IDENTITY, GO, ENGINE are valid names).
const JS = { dialect: 'JavaScript/TypeScript', instead: 'no such statement: program code is run by its tool (a query builder makes the SQL), not by PostgreSQL' } as const;

/**
 * JSON saved as .sql, first in the file (lms-beyond-v3's supabase/FIX_CONTENTIN_SUPER_ADMIN_ROLE.sql
 * and FIX_CATALOG_ITEMS_CREATOR_ID.sql: a query's result rows, `[ { "Info": …, "email": … } ]`,
 * copied out of the SQL editor): the whole text is a JSON object or array.
 */
const JSON_DATA: Marker = { dialect: 'JSON', word: 'JSON text', instead: 'data, such as the result rows of a query', before: /^\uFEFF?\s*$/, whole: isJsonText };

function isJsonText(text: string): boolean {
  try {
    const v: unknown = JSON.parse(text.replace(/^\uFEFF/, ''));
    return typeof v === 'object' && v !== null;
  } catch {
    return false;
  }
}

const CLICKHOUSE = { dialect: 'ClickHouse' } as const;
/**
 * ClickHouse's words further in a statement PostgreSQL rejects earlier (at a backquoted column of
 * a CREATE TABLE): a MergeTree engine, a column codec, its own types.
 */
const CLICKHOUSE_TEXT = /\bENGINE\s*=?\s*(?:Replicated|Shared)?\w*MergeTree\b|\bCODEC\s*\(|\b(?:LowCardinality|DateTime64|FixedString)\s*\(/;

/**
 * Backquoted names are MySQL's and SQLite's alike (drizzle-kit writes `CREATE TABLE \`users\``
 * for both; yverek/kit-saas-starter's and brandhaug/b2b-saas-starter's migrations are SQLite's,
 * for Turso and Cloudflare D1). PostgreSQL stops a statement at its first backquote, so the
 * words further on tell which: MySQL's own (AUTO_INCREMENT, ENGINE=, UNSIGNED, a CHARSET) or
 * SQLite's (its date functions, AUTOINCREMENT, WITHOUT ROWID); with neither, both are named.
 */
/** SQL Server's words further in a file PostgreSQL stops reading earlier (at its first USE): a GO line, a [bracketed] dbo name, IDENTITY(…), NVARCHAR. */
const SQL_SERVER_TEXT = /^[ \t]*GO[ \t]*$|\[dbo\]|\bIDENTITY\s*\(\s*\d|\bNVARCHAR\b/im;
const MYSQL_TEXT = /\bAUTO_INCREMENT\b|\bENGINE\s*=|\bUNSIGNED\b|\b(?:DEFAULT\s+)?CHARSET\s*=|\bCHARACTER\s+SET\s+utf8/i;
const SQLITE_TEXT = /\bunixepoch\s*\(|\bstrftime\s*\(|\bjulianday\s*\(|\bdatetime\s*\(\s*'now'|\bAUTOINCREMENT\b|\bWITHOUT\s+ROWID\b/i;

/** Words only PostgreSQL's files have: a file with one is PostgreSQL's, whatever stray word of another dialect it holds (see USE). */
const POSTGRES_OWN = /\bCREATE\s+POLICY\b|\bROW\s+LEVEL\s+SECURITY\b|\bLANGUAGE\s+plpgsql\b/i;

const SHELL: Marker = { dialect: 'a shell', word: '#! line', instead: 'no such statement: the script runs psql, which runs the SQL it is given; lint that SQL in a file of its own', before: /^\s*$/ };

/** `const x = …` at the start of a line. */
function declaration(word: string): Marker {
  return { ...JS, word, before: /(^|\n)[ \t]*$/, after: /^[ \t]+[A-Za-z_$][\w$]*[ \t]*(?::[^=\n]*)?=/ };
}

const BACKQUOTED = '`quoted`';

const MARKERS: Record<string, Marker[]> = {
  AUTOINCREMENT: [{ dialect: 'SQLite', word: 'AUTOINCREMENT', instead: 'GENERATED ALWAYS AS IDENTITY or bigserial' }],
  PRAGMA: [{ dialect: 'SQLite', word: 'PRAGMA', instead: 'SET or ALTER SYSTEM for a setting', after: /^\s+\w+\s*(=|\(|;|$)/ }],
  ROWID: [{ dialect: 'SQLite', word: 'WITHOUT ROWID', instead: 'no such option', before: /\bWITHOUT\s+$/i }],
  OR: [{ dialect: 'SQLite', word: 'INSERT OR …', instead: 'INSERT … ON CONFLICT', before: /\b(INSERT|REPLACE)\s+$/i, after: /^\s*(IGNORE|REPLACE|ABORT|FAIL|ROLLBACK)\b/i }],
  // a trigger whose body follows its header (`CREATE TRIGGER t AFTER UPDATE ON a BEGIN … END`):
  // SQLite's; MySQL's has FOR EACH ROW before its BEGIN, so a header with FOR EACH is left alone
  BEGIN: [{ dialect: 'SQLite', word: 'CREATE TRIGGER … BEGIN … END', instead: 'CREATE TRIGGER … EXECUTE FUNCTION, the body in a trigger function', before: /\bCREATE\s+(?:TEMP(?:ORARY)?\s+)?TRIGGER\b(?:(?!\bFOR\s+EACH\b|\bEXECUTE\b)[^;])*$/i }],
  // (a name in backquotes, closed on its line: not a stray backquote before a comment or alone on a
  // line, a Markdown code fence's remains — recogito-server's SQL Scripts/table population/create_test_users.sql)
  // (ClickHouse quotes names so too: a file with one of its own words as well is ClickHouse's, `also`)
  '`': [{ dialect: 'MySQL', word: BACKQUOTED, instead: '"double quotes"', after: /^[^`\s][^`\n]*`/, also: 'ClickHouse' }],
  AUTO_INCREMENT: [{ dialect: 'MySQL', word: 'AUTO_INCREMENT', instead: 'GENERATED ALWAYS AS IDENTITY or bigserial' }],
  UNSIGNED: [{ dialect: 'MySQL', word: 'UNSIGNED', instead: 'a CHECK constraint' }],
  // (ClickHouse's engines before MySQL's ENGINE=: lmnr-ai/lmnr keeps its ClickHouse migrations,
  // `ENGINE = MergeTree() ORDER BY …`, beside its PostgreSQL ones; they were said to be MySQL's)
  ENGINE: [
    { ...CLICKHOUSE, word: 'ENGINE = MergeTree', instead: 'no table engine: a table is a heap, and CREATE INDEX makes its indexes', after: /^\s*=?\s*(?:(?:Replicated|Shared)?(?:Replacing|Summing|Aggregating|Collapsing|VersionedCollapsing|Graphite|Coalescing)?MergeTree|(?:Tiny|Stripe)?Log|Distributed|Kafka)\b/ },
    { dialect: 'MySQL', word: 'ENGINE=', instead: 'no storage engine option', after: /^\s*=/ },
  ],
  // (teaching01-netizen/IELTS-LMS' backend/migrations/, moved to MySQL: a column's `DEFAULT
  // CURRENT_TIMESTAMP ON UPDATE CURRENT_TIMESTAMP`, `SET @sql = (…)` then `PREPARE stmt FROM @sql`
  // for a conditional ALTER, `ALTER TABLE … MODIFY`, `ADD COLUMN … AFTER c`, `REGEXP`, `UNIQUE KEY`:
  // 60 syntax errors in 16 files, and the tables of those without one taken for PostgreSQL's)
  ON: [{ dialect: 'MySQL', word: 'ON UPDATE CURRENT_TIMESTAMP', instead: 'no such column option: a BEFORE UPDATE trigger sets the column', after: /^\s+UPDATE\s+(?:CURRENT_TIMESTAMP|NOW\s*\(|LOCALTIMESTAMP)/i }],
  '@': [{ dialect: 'MySQL', word: '@variables', instead: 'no user variables: a PL/pgSQL variable in a DO block', before: /\bSET\s+$/i, after: /^[A-Za-z_][\w$]*\s*:?=/ }],
  FROM: [{ dialect: 'MySQL', word: 'PREPARE … FROM @variable', instead: 'PREPARE name AS a statement, or EXECUTE of a string in a DO block', before: /\bPREPARE\s+[A-Za-z_][\w$]*\s+$/i, after: /^\s+@/ }],
  MODIFY: [{ dialect: 'MySQL', word: 'ALTER TABLE … MODIFY', instead: 'ALTER TABLE … ALTER COLUMN … TYPE, SET or DROP', before: /\bALTER\s+TABLE\s+(?:IF\s+EXISTS\s+)?(?:ONLY\s+)?[\w.$"`]+\s+$/i }],
  AFTER: [{ dialect: 'MySQL', word: 'ADD COLUMN … AFTER', instead: 'no column position: a column added comes last', before: /\bADD\s+(?:COLUMN\s+)?[^;]*\s$/i, after: /^\s+[\w$"`]+\s*(?:,|;|$)/ }],
  REGEXP: [{ dialect: 'MySQL', word: 'REGEXP', instead: 'the ~ operator', after: /^\s+(?:BINARY\s+)?'/i }],
  KEY: [{ dialect: 'MySQL', word: 'UNIQUE KEY', instead: 'UNIQUE (…) or CREATE UNIQUE INDEX', before: /\bUNIQUE\s+$/i }],
  // a MySQL source's setup for a replication service (powersync-ja/self-host-demo's
  // services/mysql/init-scripts/mysql.sql, beside its PostgreSQL and SQL Server ones:
  // `CREATE USER 'repl_user'@'%' …`, `GRANT REPLICATION SLAVE, REPLICATION CLIENT ON *.* …`,
  // `FLUSH PRIVILEGES;`): its accounts (a string: looked up as "'"), replication privileges, FLUSH
  "'": [{ dialect: 'MySQL', word: "'user'@'host' accounts", instead: 'roles named without a host, CREATE ROLE name LOGIN, and pg_hba.conf saying which hosts may connect', before: /\b(?:CREATE|ALTER|DROP|RENAME)\s+USER\s+(?:IF\s+(?:NOT\s+)?EXISTS\s+)?$/i, after: /^@/ }],
  SLAVE: [{ dialect: 'MySQL', word: 'REPLICATION SLAVE', instead: "the REPLICATION attribute of a role (ALTER ROLE name REPLICATION)", before: /\bREPLICATION\s+$/i }],
  FLUSH: [{ dialect: 'MySQL', word: 'FLUSH PRIVILEGES', instead: 'no such statement: a GRANT takes effect at once', before: /(?:^|[;\n])\s*$/, after: /^\s+(?:PRIVILEGES|TABLES|LOGS|HOSTS|STATUS)\b/i }],
  // `USE astricord;` first in each migration of a MySQL backend beside the project's Supabase ones
  // (AstromanXD/Astricord's server/migrations/, a Discord clone's Express server on mysql2:
  // `DATETIME(3) … DEFAULT CURRENT_TIMESTAMP(3)`, CHAR(36) ids). SQL Server has USE too (with GO:
  // its own word decides, `also`). Not in a file that is PostgreSQL's by its own words (a policy,
  // row-level security, a PL/pgSQL body): a stray USE there is a mistake of a PostgreSQL file
  USE: [{ dialect: 'MySQL', word: 'USE database', instead: 'no such statement: a connection is to one database, chosen when it connects (psql -d, or \\connect)', before: /(?:^|[;\n])\s*$/, after: /^[ \t]+[`"[]?[A-Za-z_][\w$-]*[`"\]]?[ \t]*(?:;|\r?\n|$)/, whole: (t) => !POSTGRES_OWN.test(t), also: 'SQL Server' }],
  // ClickHouse (lmnr-ai/lmnr's frontend/lib/clickhouse/migrations/: 150 syntax errors in 50 files)
  // its default database, `default.spans` (DEFAULT is reserved in PostgreSQL: no schema has that name unquoted)
  DEFAULT: [{ ...CLICKHOUSE, word: 'default.table names', instead: 'schemas, and default is a reserved word: a schema of that name is written "default"', before: /\b(?:TABLE|VIEW|DICTIONARY|EXISTS|FROM|JOIN|INTO|ON|TO|UPDATE)\s+$/i, after: /^\.[A-Za-z_`"]/ }],
  CODEC: [{ ...CLICKHOUSE, word: 'CODEC(…)', instead: "a column's COMPRESSION pglz or lz4 for large values", after: /^\s*\(/ }],
  ARRAY: [{ ...CLICKHOUSE, word: 'Array(T)', instead: 'T[] for an array of T', after: /^\s*\(\s*(?:Nullable|LowCardinality|U?Int(?:8|16|32|64|128|256)|Float(?:32|64)|String|FixedString|UUID|Date(?:Time)?(?:32|64)?|Array|Tuple|Map|Decimal(?:32|64|128|256)?|Bool|Enum(?:8|16)?|IPv[46])\b/ }],
  MATERIALIZE: [{ ...CLICKHOUSE, word: 'ALTER TABLE … MATERIALIZE', instead: 'CREATE INDEX, which builds the index at once', before: /\bALTER\s+TABLE\s+(?:IF\s+EXISTS\s+)?[\w.$"`]+\s+$/i, after: /^\s+(?:INDEX|PROJECTION|COLUMN|TTL|STATISTICS)\b/i }],
  DICTIONARY: [{ ...CLICKHOUSE, word: 'DICTIONARY', instead: 'no dictionaries: a table, read with a join', before: /\b(?:CREATE(?:\s+OR\s+REPLACE)?|DROP|ATTACH|DETACH)\s+$/i }],
  PREWHERE: [{ ...CLICKHOUSE, word: 'PREWHERE', instead: 'WHERE', after: /^\s/ }],
  NOT: [{ ...CLICKHOUSE, word: 'CREATE VIEW IF NOT EXISTS … SQL SECURITY', instead: 'CREATE OR REPLACE VIEW … WITH (security_invoker = true)', before: /\bCREATE\s+(?:OR\s+REPLACE\s+)?VIEW\s+IF\s+$/i, after: /^\s+EXISTS\s+[\w.$"`]+\s+SQL\s+SECURITY\s+(?:INVOKER|DEFINER|NONE)\b/i }],
  // a data-skipping index, `ALTER TABLE t ADD INDEX IF NOT EXISTS i col TYPE bloom_filter`
  EXISTS: [{ ...CLICKHOUSE, word: 'ADD INDEX … TYPE', instead: 'CREATE INDEX … USING a method (btree, gin, brin…)', before: /\bADD\s+INDEX\s+IF\s+NOT\s+$/i, after: /^\s+[\w$"`]+\s+[^;]*?\bTYPE\s+(?:bloom_filter|minmax|set|tokenbf_v1|ngrambf_v1|text|vector_similarity)\b/i }],
  SQL: [{ ...CLICKHOUSE, word: 'CREATE VIEW … SQL SECURITY', instead: 'CREATE VIEW … WITH (security_invoker = true)', before: /\bVIEW\s+(?:IF\s+NOT\s+EXISTS\s+)?[\w.$"`]+\s+$/i, after: /^\s+SECURITY\s+(?:INVOKER|DEFINER|NONE)\b/i }],
  IDENTITY: [{ dialect: 'SQL Server', word: 'IDENTITY(…)', instead: 'GENERATED ALWAYS AS IDENTITY', after: /^\s*\(/ }],
  GO: [{ dialect: 'SQL Server', word: 'GO', instead: 'a semicolon', before: /(^|\n)[ \t]*$/, after: /^[ \t]*(\r?\n|$)/ }],
  // a dbt model or macro: a Jinja template (`{{ config(…) }}`, `{{ ref('x') }}`, `{% if … %}`) that dbt compiles to SQL.
  // Only dbt's own words: a Go template of a migration tool (tern's `{{ env "PGUSER" }}`) is
  // rendered into a PostgreSQL migration, whose other statements the model keeps
  '{': [
    { dialect: 'dbt', word: 'Jinja {{ … }}', instead: 'no templates: dbt compiles the file to SQL first', after: /^\{-?\s*(?:config|ref|source|var|is_incremental|this|adapter|dbt_utils|dbt)\b|^%-?\s*(?:if|for|set|macro|call|do|snapshot|materialization|test)\b/ },
    { ...JS, word: 'import { … }', before: /(^|\n)[ \t]*import[ \t]+(?:type[ \t]+)?$/ },
    // ClickHouse's query parameter, `{project_id:UUID}`
    { ...CLICKHOUSE, word: '{name:Type} parameters', instead: '$1 parameters of a prepared statement', after: /^[A-Za-z_]\w*\s*:\s*[A-Za-z]\w*(?:\([^(){};]*\))?\s*\}/ },
    JSON_DATA,
  ],
  '[': [JSON_DATA],
  // program code saved as .sql (a query builder's migration, Kysely's or Knex's): its first words
  // at the start of a line; IMPORT alone is PostgreSQL's (IMPORT FOREIGN SCHEMA)
  '*': [{ ...JS, word: 'import * as', before: /(^|\n)[ \t]*import[ \t]+$/ }],
  EXPORT: [{ ...JS, word: 'export', before: /(^|\n)[ \t]*$/, after: /^[ \t]+(?:default|async|function|const|let|class|type|interface|enum|\{|\*)/ }],
  CONST: [declaration('const')],
  LET: [declaration('let')],
  VAR: [declaration('var')],
  MODULE: [{ ...JS, word: 'module.exports', before: /(^|\n)[ \t]*$/, after: /^\.exports\b/ }],
  // a shell script saved as .sql (a Docker entrypoint's init script running psql with a heredoc):
  // its `#!` line, first in the file
  '#!/': [SHELL],
  '#!': [SHELL],
};

const NEAR = /^syntax error at or near "(.*)"$/s;

export interface ForeignDialect {
  dialect: Dialect;
  /** the first error at a word of the dialect */
  first: ParseError;
  word: string;
  instead: string;
  /** the file's syntax errors, and those at words of the dialect */
  errors: number;
  marked: number;
  /** the statements PostgreSQL parses in it (left out all the same) */
  parsed: number;
  /**
   * What PostgreSQL says when the dialect's word is no syntax error but a type it does not have
   * (`42704 type "datetime" does not exist`): then `first` is where the type is written, `marked`
   * counts such columns, and `errors` are the file's syntax errors alone. Else 42601 at `first`.
   */
  rejection?: string;
}

const cache = new WeakMap<ParsedFile, ForeignDialect | null>();

/** The dialect a file is written in when PostgreSQL rejects a word of another one in it (see MARKERS); else undefined. */
export function foreignDialect(f: Pick<ParsedFile, 'text' | 'errors' | 'statements'>): ForeignDialect | undefined {
  const hit = cache.get(f as ParsedFile);
  if (hit !== undefined) return hit ?? undefined;
  const found = (f.errors.length ? byErrors(f) : undefined) ?? byColumnTypes(f);
  cache.set(f as ParsedFile, found ?? null);
  return found;
}

/** foreignDialect by the words PostgreSQL rejects with 42601 (MARKERS). */
function byErrors(f: Pick<ParsedFile, 'text' | 'errors' | 'statements'>): ForeignDialect | undefined {
  // (a Liquibase changeset for another database, or one it ignores: the file's own SQL is the rest)
  const elsewhere = liquibaseSkippedAt(f);
  const marks: Array<[ParseError, Marker]> = [];
  for (const e of f.errors) {
    if (elsewhere(e.start)) continue;
    const m = markerOf(f.text, e);
    if (m) marks.push([e, m]);
  }
  // the dialect of the first word of one dialect only, else of the first word (see `also`)
  const dialects = new Set(marks.filter(([, m]) => !m.also).map(([, m]) => m.dialect));
  const chosen = marks.find(([, m]) => !m.also || !dialects.has(m.also)) ?? marks[0];
  let found: ForeignDialect | undefined;
  if (chosen) {
    const [e, m] = chosen;
    const dialect = m.also && (dialects.has(m.also) || (m.also === 'ClickHouse' && CLICKHOUSE_TEXT.test(f.text)) || (m.also === 'SQL Server' && SQL_SERVER_TEXT.test(f.text))) ? m.also : m.dialect;
    const marked = marks.filter(([, x]) => x.dialect === dialect || x.also === dialect).length;
    // (backquotes, and no word of MySQL's own where PostgreSQL stopped: SQLite's too, see MYSQL_TEXT)
    const label: Dialect = dialect === 'MySQL' && m.word === BACKQUOTED && !dialects.has('MySQL') && !MYSQL_TEXT.test(f.text) ? (SQLITE_TEXT.test(f.text) ? 'SQLite' : 'MySQL or SQLite') : dialect;
    found = { dialect: label, first: e, word: m.word, instead: m.instead, errors: f.errors.length, marked, parsed: f.statements.filter((s) => s.origin === 'file').length };
  }
  return found;
}

/**
 * MySQL's column types PostgreSQL does not have: it parses `created_at DATETIME(3)` as a type name
 * and rejects the CREATE TABLE or ADD COLUMN with 42704 type "datetime" does not exist. A MySQL
 * migration with no word PostgreSQL's grammar refuses is one by these (AstromanXD/Astricord's
 * server/migrations/002_audit_log_invites_roles.sql, `details JSON, created_at DATETIME(3) NOT NULL
 * DEFAULT CURRENT_TIMESTAMP(3)`, beside its `USE astricord;` siblings: its audit_log, server_id
 * CHAR(36), made the Supabase migration's CREATE TABLE IF NOT EXISTS audit_log a no-op for the
 * model, and its policy was said to compare uuid = character).
 */
const MYSQL_TYPES = new Set(['datetime', 'tinyint', 'mediumint', 'tinytext', 'mediumtext', 'longtext', 'tinyblob', 'mediumblob', 'longblob']);
const MYSQL_TYPE_TEXT = /\b(?:datetime|tinyint|mediumint|tinytext|mediumtext|longtext|tinyblob|mediumblob|longblob)\b/i;

/** foreignDialect by MySQL's column types (MYSQL_TYPES), in a file that is not PostgreSQL's by its own words nor makes a type of that name. */
function byColumnTypes(f: Pick<ParsedFile, 'text' | 'errors' | 'statements'>): ForeignDialect | undefined {
  if (!MYSQL_TYPE_TEXT.test(f.text) || POSTGRES_OWN.test(f.text)) return undefined;
  const uses: Array<{ name: string; at: number; mods: boolean }> = [];
  const column = (d: Node | undefined) => {
    const names = (d?.ColumnDef?.typeName?.names ?? []) as Node[];
    const name = names.length === 1 ? String(names[0]?.String?.sval ?? '').toLowerCase() : '';
    if (MYSQL_TYPES.has(name)) uses.push({ name, at: Number(d!.ColumnDef.typeName.location ?? d!.ColumnDef.location ?? -1), mods: !!d!.ColumnDef.typeName.typmods?.length });
  };
  for (const st of f.statements) {
    if (st.origin !== 'file') continue;
    if (st.kind === 'CreateStmt') for (const e of (st.node?.tableElts ?? []) as Node[]) column(e);
    else if (st.kind === 'AlterTableStmt') for (const c of (st.node?.cmds ?? []) as Node[]) if (c?.AlterTableCmd?.subtype === 'AT_AddColumn') column(c.AlterTableCmd.def);
  }
  const first = uses.find((u) => u.at >= 0);
  if (!first) return undefined;
  // (a bare name may be a PostgreSQL domain another file makes — Kill Bill's DDL makes datetime and
  // mediumtext domains before the tables that use them —, which this file alone cannot tell: it is
  // another dialect's only with a modifier, DATETIME(3) or TINYINT(1), which no domain takes, or
  // beside that dialect's own words)
  if (!uses.some((u) => u.mods) && !MYSQL_TEXT.test(f.text) && !SQLITE_TEXT.test(f.text)) return undefined;
  // (a PostgreSQL file making a domain or type of that name uses its own)
  if (new RegExp(`\\bCREATE\\s+(?:DOMAIN|TYPE)\\s+(?:[\\w"]+\\.)?"?${first.name}\\b`, 'i').test(f.text)) return undefined;
  const word = first.name.toUpperCase();
  // (SQLite takes any type name, and its schemas often write DATETIME: MySQL's by its own words or a
  // DATETIME(3) fraction, SQLite's by its own, else both named)
  const dialect: Dialect = MYSQL_TEXT.test(f.text) || /\bDATETIME\s*\(\s*\d/i.test(f.text) ? 'MySQL' : SQLITE_TEXT.test(f.text) ? 'SQLite' : 'MySQL or SQLite';
  return {
    dialect,
    first: { message: `type "${first.name}" does not exist`, start: first.at, end: first.at + word.length },
    word,
    instead: first.name === 'datetime' ? 'timestamp or timestamptz' : first.name.endsWith('int') ? 'smallint or integer' : first.name.endsWith('text') ? 'text' : 'bytea',
    errors: f.errors.length,
    marked: uses.length,
    parsed: f.statements.filter((s) => s.origin === 'file').length,
    rejection: `42704 type "${first.name}" does not exist`,
  };
}

function markerOf(text: string, e: ParseError): Marker | undefined {
  const near = NEAR.exec(e.message)?.[1];
  if (near === undefined) return undefined;
  // (a string PostgreSQL rejected: its text varies, its markers are "'"'s)
  const list = MARKERS[near.toUpperCase()] ?? (near.startsWith("'") ? MARKERS["'"] : undefined);
  if (!list) return undefined;
  const before = text.slice(Math.max(0, e.start - 200), e.start);
  const after = text.slice(e.start + near.length, e.start + near.length + 200);
  return list.find((m) => (!m.before || m.before.test(before)) && (!m.after || m.after.test(after)) && (!m.whole || m.whole(text)));
}
