// Liquibase's change types (`<createTable>`, `<addColumn>`, `- renameTable:` …) as the SQL
// liquibase update runs for them on PostgreSQL (what `liquibase update-sql` prints: its
// CreateTableGenerator and the like, the types as its PostgreSQL data types write them), so that
// the model and every rule see the tables a changelog makes without SQL. The SQL is made of
// fragments, each standing at a place of the changelog (the element's start tag, the attribute
// that names what it says): liquibase-inline.ts lints it there, and no fix is offered in it. A
// change it cannot write for certain (no table name, a column with no type, a changelog property
// `${…}` in a value) is none, as before.
// Pure.

/** A change type's element (XML) or map (YAML, JSON), read alike. */
export interface ChangeNode {
  /** its attributes' values (YAML and JSON scalars as text) */
  attrs: Record<string, string>;
  /** where each attribute's value is written, where known */
  at: Record<string, number>;
  /** where it starts: its start tag (YAML, JSON: its first value placed) */
  start: number;
  /** its columns (`<column>`, `columns: [- column: …]`), each with its `<constraints>`' attributes among its own */
  columns: ChangeNode[];
  /** its text's pieces (createView's query: the element's text, `selectQuery`) */
  text?: Array<{ start: number; end: number; decode?: 'xml' | 'json' }>;
}

/** A piece of the SQL a change runs: `made` text standing at `start`, or a piece of the changelog's text (createView's query). */
export interface MadePiece {
  start: number;
  end: number;
  decode?: 'xml' | 'json';
  made?: string;
}

/** The change types whose SQL the lint writes (the others are passed over, as before). */
export const CHANGE_TYPES: ReadonlySet<string> = new Set([
  'createTable', 'addColumn', 'dropColumn', 'renameColumn', 'renameTable', 'dropTable', 'createIndex', 'addPrimaryKey', 'addForeignKeyConstraint', 'createView',
]);

/** A pattern that finds a change type's name in a changelog's text (a cheap look before reading it). */
export const CHANGE_TYPE_NAMES = [...CHANGE_TYPES].join('|');

const isTrue = (v: string | undefined): boolean => v !== undefined && /^\s*true\s*$/i.test(v);
const nonEmpty = (v: string | undefined): v is string => v !== undefined && v.trim() !== '';

/**
 * A name as Liquibase writes it for PostgreSQL (objectQuotingStrategy LEGACY: AbstractPostgresDatabase
 * escapeObjectName): in double quotes when it mixes upper and lower case, or is a key word, starts
 * with a digit or holds other characters than letters, digits and `_`; else bare, as written.
 */
export function liquibaseName(name: string): string {
  const n = name.trim();
  if ((/[A-Z]/.test(n) && /[a-z]/.test(n)) || !/^[A-Za-z_][A-Za-z0-9_]*$/.test(n) || KEY_WORDS.has(n.toLowerCase())) return `"${n.replace(/"/g, '""')}"`;
  return n;
}

/** PostgreSQL's reserved key words and those that cannot name a table or column (type_func_name): quoted (read before the parser is loaded: no scanner). */
const KEY_WORDS = new Set(
  ('all analyse analyze and any array as asc asymmetric both case cast check collate column constraint create current_catalog current_date ' +
    'current_role current_time current_timestamp current_user default deferrable desc distinct do else end except false fetch for foreign from ' +
    'grant group having in initially intersect into lateral leading limit localtime localtimestamp not null offset on only or order placing ' +
    'primary references returning select session_user some symmetric system_user table then to trailing true union unique user using variadic ' +
    'when where window with authorization binary collation concurrently cross current_schema freeze full ilike inner is isnull join left like ' +
    'natural notnull outer overlaps right similar tablesample verbose').split(' '),
);

const qualified = (schema: string | undefined, name: string): string => (nonEmpty(schema) ? `${liquibaseName(schema)}.${liquibaseName(name)}` : liquibaseName(name));

/** Types PostgresDatabase sends as written (its unmodifiableDataTypes). */
const AS_WRITTEN = new Set(['bool', 'int4', 'int8', 'float4', 'float8', 'bigserial', 'serial', 'oid', 'bytea', 'date', 'timestamptz', 'text']);

/**
 * A column's type as Liquibase writes it for PostgreSQL (liquibase.datatype.core): BOOLEAN, INT →
 * INTEGER, TINYINT → SMALLINT, DATETIME and TIMESTAMP → TIMESTAMP WITHOUT TIME ZONE (WITH TIME
 * ZONE for one with `tz` or "with time zone"), TIME → TIME WITHOUT TIME ZONE, DOUBLE → DOUBLE
 * PRECISION, CLOB (LONGTEXT…) → TEXT, BLOB → OID, VARBINARY (BINARY, IMAGE…) → BYTEA, NVARCHAR
 * (VARCHAR2) → VARCHAR, NUMBER → numeric, UNIQUEIDENTIFIER → UUID. Any other type, and the types
 * PostgresDatabase leaves alone (text, serial, int8, timestamptz, an array…), as written; Java's
 * names (`java.sql.Types.VARCHAR(255)`, `java.util.UUID`) as the type they name (undefined: one
 * the lint does not know).
 */
export function liquibaseType(written: string): string | undefined {
  let t = written.trim();
  // (Java's names of a type, as Liquibase's aliases read them)
  if (/^java\./i.test(t)) {
    const java = JAVA_TYPES[t.toLowerCase().replace(/\(.*$/, '').trim()];
    if (!java) return undefined;
    t = java + t.slice(t.search(/\(|$/));
  }
  const lower = t.toLowerCase();
  if (AS_WRITTEN.has(lower) || lower.endsWith('[]')) return t;
  const m = /^([a-z][a-z0-9 ]*?)\s*(?:\(\s*([^()]*?)\s*\))?(?:\s+([a-z][a-z ]*))?$/.exec(lower);
  if (!m) return t;
  const base = m[1]!.trim();
  const params = m[2] !== undefined ? t.slice(t.indexOf('(') + 1, t.lastIndexOf(')')).trim() : undefined;
  const after = (m[3] ?? '').trim();
  const p = (s: string) => (params !== undefined && params !== '' ? `${s}(${params})` : s);
  const zone = (s: string, precise: boolean) => {
    const tz = base.endsWith('tz') || /with time ?zone/.test(`${base} ${after}`);
    const digits = params !== undefined && /^\d+$/.test(params) && (!precise || Number(params) <= 6) ? `(${params})` : '';
    return `${s}${digits} ${tz ? 'WITH' : 'WITHOUT'} TIME ZONE`;
  };
  if (after !== '' && !/^with(?:out)? time ?zone$/.test(after)) return t;
  switch (base) {
    case 'boolean':
      return after ? t : 'BOOLEAN';
    case 'tinyint':
      return 'SMALLINT';
    case 'int':
    case 'integer':
      return 'INTEGER';
    case 'bigint':
      return 'BIGINT';
    case 'smallint':
    case 'int2':
      return 'SMALLINT';
    case 'double':
      return 'DOUBLE PRECISION';
    case 'datetime':
    case 'timestamp':
    case 'timestamp with time zone':
    case 'timestamp without time zone':
      return zone('TIMESTAMP', true);
    case 'time':
    case 'timetz':
      return zone('TIME', true);
    case 'clob':
    case 'longtext':
    case 'longvarchar':
    case 'nclob':
    case 'ntext':
    case 'tinytext':
    case 'mediumtext':
    case 'longnvarchar':
      return 'TEXT';
    case 'blob':
      return 'OID';
    case 'binary':
    case 'varbinary':
    case 'longvarbinary':
    case 'image':
    case 'tinyblob':
    case 'mediumblob':
    case 'longblob':
      return 'BYTEA';
    case 'varchar':
    case 'varchar2':
    case 'nvarchar':
    case 'nvarchar2':
    case 'character varying':
      return p('VARCHAR').replace(/(\d+)\s*char\)$/i, '$1)');
    case 'number':
    case 'numeric':
      return params !== undefined && /^\d+$/.test(params) && Number(params) > 1000 ? 'numeric' : p('numeric');
    case 'uuid':
    case 'uniqueidentifier':
      return 'UUID';
    case 'xml':
    case 'xmltype':
      return 'XML';
    default:
      return t;
  }
}

/** The Java names of types Liquibase reads (its data types' aliases), as its own. */
const JAVA_TYPES: Record<string, string> = {
  'java.lang.boolean': 'boolean', 'java.sql.types.boolean': 'boolean', 'java.lang.integer': 'int', 'java.sql.types.integer': 'int', 'java.lang.long': 'bigint',
  'java.math.biginteger': 'bigint', 'java.sql.types.bigint': 'bigint', 'java.sql.types.smallint': 'smallint', 'java.sql.types.tinyint': 'tinyint',
  'java.lang.string': 'varchar', 'java.sql.types.varchar': 'varchar', 'java.sql.types.nvarchar': 'nvarchar', 'java.sql.types.char': 'char',
  'java.sql.types.clob': 'clob', 'java.sql.types.longvarchar': 'longvarchar', 'java.sql.types.blob': 'blob', 'java.sql.types.varbinary': 'varbinary',
  'java.sql.types.binary': 'binary', 'java.math.bigdecimal': 'decimal', 'java.sql.types.decimal': 'decimal', 'java.sql.types.numeric': 'numeric',
  'java.lang.double': 'double', 'java.sql.types.double': 'double', 'java.lang.float': 'float', 'java.sql.types.float': 'float', 'java.sql.types.real': 'float',
  'java.util.uuid': 'uuid', 'java.sql.date': 'date', 'java.sql.types.date': 'date', 'java.sql.time': 'time', 'java.sql.types.time': 'time',
  'java.sql.timestamp': 'timestamp', 'java.sql.types.timestamp': 'timestamp', 'java.sql.types.timestamp_with_timezone': 'timestamptz',
};

/** What a column type written for PostgreSQL looks like (a name or two, a schema's, parameters, array brackets, a time zone): anything else is no type the lint writes. */
const TYPE_SHAPE = /^(?:[A-Za-z_][\w$]*\.)?(?:[A-Za-z_][\w$]*|"[^"]+")(?:\s+[A-Za-z_]\w*)*(?:\s*\(\s*[\w\s,]*\))?(?:\s+[A-Za-z_]\w*)*(?:\s*\[\s*\d*\s*\])*$/;

/** A string as an SQL literal. */
const literal = (s: string): string => `'${s.replace(/'/g, "''")}'`;

/** The attributes that give a column its DEFAULT. */
const DEFAULTS = ['defaultValueComputed', 'defaultValueNumeric', 'defaultValueBoolean', 'defaultValueDate', 'defaultValueSequenceNext', 'defaultValue'];

/** A column's DEFAULT as Liquibase writes it (defaultValue a string, …Numeric and …Computed as written, …Boolean TRUE/FALSE, …Date quoted, …SequenceNext nextval). */
function defaultOf(a: Record<string, string>): string | undefined {
  if (a.defaultValueComputed !== undefined) return a.defaultValueComputed.trim();
  if (a.defaultValueNumeric !== undefined) return a.defaultValueNumeric.trim();
  if (a.defaultValueBoolean !== undefined) return isTrue(a.defaultValueBoolean) ? 'TRUE' : 'FALSE';
  if (a.defaultValueDate !== undefined) return literal(a.defaultValueDate.trim());
  if (a.defaultValueSequenceNext !== undefined) return `nextval('${a.defaultValueSequenceNext.trim().replace(/'/g, "''")}')`;
  if (a.defaultValue !== undefined) return literal(a.defaultValue);
  return undefined;
}

/** `a, b` of a comma-separated list of names (baseColumnNames, columnNames). */
const nameList = (s: string): string => s.split(',').map((n) => liquibaseName(n)).join(', ');

/** A column's REFERENCES target (`references="users(id)"`, or referencedTableName and referencedColumnNames). */
function referencesOf(a: Record<string, string>): string | undefined {
  if (nonEmpty(a.references)) return a.references.trim();
  if (nonEmpty(a.referencedTableName) && nonEmpty(a.referencedColumnNames)) return `${qualified(a.referencedTableSchemaName, a.referencedTableName)}(${nameList(a.referencedColumnNames)})`;
  return undefined;
}

/**
 * The SQL liquibase update runs for a change on PostgreSQL, as pieces standing at places of the
 * changelog, each statement ended by a semicolon; undefined when the lint cannot tell it for
 * certain (a name or a type missing).
 */
export function madeSql(kind: string, n: ChangeNode): MadePiece[] | undefined {
  const a = n.attrs;
  // (a changelog property, `${uuidType}`: Liquibase puts in a value the lint does not read)
  if ([n, ...n.columns].some((x) => Object.values(x.attrs).some((v) => v.includes('${')))) return undefined;
  const out: MadePiece[] = [];
  let last = n.start;
  /** text standing at `at` (never before the text before it: positions keep the changelog's order) */
  const put = (text: string, at: number = last) => {
    at = Math.max(at, last);
    // (on one line: the part's lines stay the changelog's)
    out.push({ start: at, end: at, made: text.replace(/[\r\n]+/g, ' ') });
    last = at;
  };
  const table = (name = 'tableName', schema = 'schemaName'): boolean => {
    if (!nonEmpty(a[name])) return false;
    put(qualified(a[schema], a[name]), n.at[name] ?? n.at[schema]);
    return true;
  };
  /** a column's definition (name, type, DEFAULT, NOT NULL, PRIMARY KEY, UNIQUE); false when it has no name or type */
  const column = (c: ChangeNode, inline: boolean): boolean => {
    const ca = c.attrs;
    if (!nonEmpty(ca.name) || !nonEmpty(ca.type)) return false;
    put(liquibaseName(ca.name), c.at.name ?? c.start);
    const type = liquibaseType(ca.type);
    if (type === undefined || !TYPE_SHAPE.test(type)) return false;
    put(' ');
    put(type, c.at.type);
    if (isTrue(ca.autoIncrement)) put(` GENERATED ${nonEmpty(ca.generationType) ? ca.generationType.trim().toUpperCase() : 'BY DEFAULT'} AS IDENTITY`);
    const d = isTrue(ca.autoIncrement) ? undefined : defaultOf(ca);
    if (d !== undefined) put(` DEFAULT ${d}`, DEFAULTS.map((k) => c.at[k]).find((x) => x !== undefined));
    if (isTrue(ca.primaryKey) || (ca.nullable !== undefined && !isTrue(ca.nullable))) put(' NOT NULL', c.at.nullable ?? c.at.primaryKey);
    if (inline && isTrue(ca.primaryKey)) put(`${nonEmpty(ca.primaryKeyName) ? ` CONSTRAINT ${liquibaseName(ca.primaryKeyName)}` : ''} PRIMARY KEY`, c.at.primaryKey);
    if (inline && isTrue(ca.unique)) put(`${nonEmpty(ca.uniqueConstraintName) ? ` CONSTRAINT ${liquibaseName(ca.uniqueConstraintName)}` : ''} UNIQUE`, c.at.unique);
    return true;
  };
  const fk = (c: ChangeNode, ref: string) =>
    `CONSTRAINT ${liquibaseName(c.attrs.foreignKeyName!)} FOREIGN KEY (${liquibaseName(c.attrs.name!)}) REFERENCES ${ref}${isTrue(c.attrs.deleteCascade) ? ' ON DELETE CASCADE' : ''}`;
  // (a column's references with no foreignKeyName: Liquibase stops, "createTable with references requires foreignKeyName")
  if (n.columns.some((c) => referencesOf(c.attrs) !== undefined && !nonEmpty(c.attrs.foreignKeyName))) return undefined;
  switch (kind) {
    case 'createTable': {
      if (n.columns.length === 0) return undefined;
      // (tableType: TEMPORARY, UNLOGGED…, as written; ifNotExists: Liquibase 4.26's)
      const type = nonEmpty(a.tableType) && /^[A-Za-z ]+$/.test(a.tableType) ? `${a.tableType.trim().toUpperCase()} ` : '';
      put(`CREATE ${type}TABLE ${isTrue(a.ifNotExists) ? 'IF NOT EXISTS ' : ''}`, n.start);
      if (!table()) return undefined;
      put(' (');
      for (const [i, c] of n.columns.entries()) {
        if (i) put(', ');
        if (!column(c, false)) return undefined;
      }
      const pk = n.columns.filter((c) => isTrue(c.attrs.primaryKey));
      if (pk.length) {
        const name = pk.map((c) => c.attrs.primaryKeyName).find(nonEmpty) ?? `${a.tableName!.trim()}_pkey`;
        put(`, CONSTRAINT ${liquibaseName(name)} PRIMARY KEY (${pk.map((c) => liquibaseName(c.attrs.name!)).join(', ')})`, pk[0]!.at.primaryKey);
      }
      for (const c of n.columns) {
        const ref = referencesOf(c.attrs);
        if (ref) put(`, ${fk(c, ref)}`, c.at.references ?? c.at.referencedTableName);
      }
      // (the unnamed UNIQUE constraints, then the named ones, the columns of one name together: CreateTableGenerator)
      const unique = n.columns.filter((c) => isTrue(c.attrs.unique));
      const named = new Map<string, ChangeNode[]>();
      for (const c of unique) if (nonEmpty(c.attrs.uniqueConstraintName)) (named.get(c.attrs.uniqueConstraintName.trim()) ?? named.set(c.attrs.uniqueConstraintName.trim(), []).get(c.attrs.uniqueConstraintName.trim())!).push(c);
      for (const c of unique) if (!nonEmpty(c.attrs.uniqueConstraintName)) put(`, UNIQUE (${liquibaseName(c.attrs.name!)})`, c.at.unique);
      for (const [name, cols] of named) put(`, CONSTRAINT ${liquibaseName(name)} UNIQUE (${cols.map((c) => liquibaseName(c.attrs.name!)).join(', ')})`, cols[0]!.at.unique);
      put(');');
      return out;
    }
    case 'addColumn': {
      if (n.columns.length === 0) return undefined;
      for (const c of n.columns) {
        put(`${out.length ? ' ' : ''}ALTER TABLE `, c.start);
        if (!table()) return undefined;
        put(' ADD ');
        if (!column(c, true)) return undefined;
        put(';');
        const ref = referencesOf(c.attrs);
        if (ref) {
          put(' ALTER TABLE ');
          table();
          put(` ADD ${fk(c, ref)};`, c.at.references ?? c.at.referencedTableName);
        }
      }
      return out;
    }
    case 'dropColumn': {
      const names = nonEmpty(a.columnName) ? [{ name: a.columnName, at: n.at.columnName }] : n.columns.filter((c) => nonEmpty(c.attrs.name)).map((c) => ({ name: c.attrs.name!, at: c.at.name ?? c.start }));
      if (names.length === 0) return undefined;
      for (const c of names) {
        put(`${out.length ? ' ' : ''}ALTER TABLE `, n.start);
        if (!table()) return undefined;
        put(` DROP COLUMN ${liquibaseName(c.name)};`, c.at);
      }
      return out;
    }
    case 'renameColumn': {
      if (!nonEmpty(a.oldColumnName) || !nonEmpty(a.newColumnName)) return undefined;
      put('ALTER TABLE ', n.start);
      if (!table()) return undefined;
      put(` RENAME COLUMN ${liquibaseName(a.oldColumnName)}`, n.at.oldColumnName);
      put(` TO ${liquibaseName(a.newColumnName)};`, n.at.newColumnName);
      return out;
    }
    case 'renameTable': {
      if (!nonEmpty(a.newTableName)) return undefined;
      put('ALTER TABLE ', n.start);
      if (!table('oldTableName')) return undefined;
      put(` RENAME TO ${liquibaseName(a.newTableName)};`, n.at.newTableName);
      return out;
    }
    case 'dropTable': {
      put('DROP TABLE ', n.start);
      if (!table()) return undefined;
      put(`${isTrue(a.cascadeConstraints) ? ' CASCADE' : ''};`);
      return out;
    }
    case 'createIndex': {
      const cols = n.columns.filter((c) => nonEmpty(c.attrs.name));
      if (cols.length === 0 || cols.length !== n.columns.length) return undefined;
      put(`CREATE ${isTrue(a.unique) ? 'UNIQUE ' : ''}INDEX ${nonEmpty(a.indexName) ? `${liquibaseName(a.indexName)} ` : ''}ON `, n.at.indexName ?? n.start);
      if (!table()) return undefined;
      put('(');
      for (const [i, c] of cols.entries()) put(`${i ? ', ' : ''}${isTrue(c.attrs.computed) ? c.attrs.name! : liquibaseName(c.attrs.name!)}${isTrue(c.attrs.descending) ? ' DESC' : ''}`, c.at.name ?? c.start);
      put(');');
      return out;
    }
    case 'addPrimaryKey': {
      if (!nonEmpty(a.columnNames)) return undefined;
      put('ALTER TABLE ', n.start);
      if (!table()) return undefined;
      put(` ADD ${nonEmpty(a.constraintName) ? `CONSTRAINT ${liquibaseName(a.constraintName)} ` : ''}PRIMARY KEY (${nameList(a.columnNames)});`, n.at.columnNames);
      return out;
    }
    case 'addForeignKeyConstraint': {
      // (each required: Liquibase's validation stops on one missing)
      if (!nonEmpty(a.baseColumnNames) || !nonEmpty(a.referencedTableName) || !nonEmpty(a.referencedColumnNames) || !nonEmpty(a.constraintName)) return undefined;
      put('ALTER TABLE ', n.start);
      if (!table('baseTableName', 'baseTableSchemaName')) return undefined;
      put(` ADD CONSTRAINT ${liquibaseName(a.constraintName)} FOREIGN KEY (${nameList(a.baseColumnNames)}) REFERENCES `, n.at.baseColumnNames);
      put(`${qualified(a.referencedTableSchemaName, a.referencedTableName)} (${nameList(a.referencedColumnNames)})`, n.at.referencedTableName);
      const action = (v: string | undefined) => (nonEmpty(v) && /^(?:CASCADE|SET NULL|SET DEFAULT|RESTRICT|NO ACTION)$/i.test(v.trim()) ? v.trim().toUpperCase() : undefined);
      const upd = action(a.onUpdate);
      const del = isTrue(a.deleteCascade) ? 'CASCADE' : action(a.onDelete);
      put(`${upd ? ` ON UPDATE ${upd}` : ''}${del ? ` ON DELETE ${del}` : ''};`);
      return out;
    }
    case 'createView': {
      const text = (n.text ?? []).filter((p) => p.end > p.start);
      if (text.length === 0 || !nonEmpty(a.viewName)) return undefined;
      if (!isTrue(a.fullDefinition)) {
        put(`CREATE ${isTrue(a.replaceIfExists) ? 'OR REPLACE ' : ''}VIEW `, n.start);
        // (before the query: a YAML map may name the view after it)
        put(qualified(a.schemaName, a.viewName), (n.at.viewName ?? n.start) < text[0]!.start ? n.at.viewName : n.start);
        put(' AS ');
      }
      out.push(...text);
      // (the statement's end, after the query)
      out.push({ start: text[text.length - 1]!.end, end: text[text.length - 1]!.end, made: ';' });
      return out;
    }
  }
  return undefined;
}
