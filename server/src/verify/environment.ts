// Statement errors of verify's replay that come from the embedded server, not from the
// migrations: a statement naming the deployment's database (`GRANT CONNECT ON DATABASE myapp`,
// `ALTER DATABASE myapp SET …`) fails there with 3D000 database "myapp" does not exist, since
// PGlite has only its own databases (postgres, template0, template1). Such an error is a note,
// not a statement error. Pure: reads verify's statement errors and the lint's parsed statements.
import type { Node, Statement } from '../analysis/types.js';
import type { VerifyStatementError } from './pglite.js';

/** A statement the embedded server could not run for want of what only the deployment has. */
export interface EnvironmentNote {
  error: VerifyStatementError;
  /** the database the statement names and the error says does not exist */
  database: string;
  /** the statement sets session defaults for that database (ALTER DATABASE … SET, ALTER ROLE … IN DATABASE … SET) */
  setsDefaults: boolean;
}

const sval = (n: Node): string | undefined => (typeof n?.String?.sval === 'string' ? n.String.sval : undefined);

/**
 * The databases a statement names, by its kind (measured on PGlite: each raises 3D000 for a
 * database it does not have). COMMENT ON DATABASE is not among them: PostgreSQL only warns
 * there (so that a dump restores under another database name).
 */
function databasesNamed(s: Statement): { names: string[]; setsDefaults: boolean } | undefined {
  const n = s.node;
  switch (s.kind) {
    case 'GrantStmt':
      return n?.objtype === 'OBJECT_DATABASE' ? { names: ((n.objects ?? []) as Node[]).flatMap((o) => sval(o) ?? []), setsDefaults: false } : undefined;
    case 'AlterDatabaseStmt':
    case 'AlterDatabaseRefreshCollStmt':
      return typeof n?.dbname === 'string' ? { names: [n.dbname], setsDefaults: false } : undefined;
    case 'AlterDatabaseSetStmt':
      return typeof n?.dbname === 'string' ? { names: [n.dbname], setsDefaults: true } : undefined;
    case 'AlterRoleSetStmt':
      return typeof n?.database === 'string' ? { names: [n.database], setsDefaults: true } : undefined;
    case 'AlterOwnerStmt': {
      const name = n?.objectType === 'OBJECT_DATABASE' ? sval(n.object) : undefined;
      return name !== undefined ? { names: [name], setsDefaults: false } : undefined;
    }
    case 'RenameStmt':
      return n?.renameType === 'OBJECT_DATABASE' && typeof n.subname === 'string' ? { names: [n.subname], setsDefaults: false } : undefined;
    default:
      return undefined;
  }
}

/** (PostgreSQL writes the name as it is, quotes unescaped) */
const MISSING_DATABASE = /^database "(.+)" does not exist$/;

/**
 * For each statement error, a note when it is a 3D000 on a statement naming the database the
 * message says does not exist (by the lint's parse of the statement, whose span holds the
 * error's offset), else undefined. `files`: the replayed files, each with its statements.
 */
export function environmentNotes(errors: readonly VerifyStatementError[], files: ReadonlyArray<{ file: string; statements: readonly Statement[] }>): Array<EnvironmentNote | undefined> {
  const byFile = new Map(files.map((f) => [f.file, f.statements]));
  return errors.map((e) => {
    if (e.code !== '3D000') return undefined;
    const m = MISSING_DATABASE.exec(e.message);
    if (!m) return undefined;
    const database = m[1]!;
    // (a statement of the file itself: a DO block failing on one it holds undid the rest of the block too)
    const st = byFile.get(e.file)?.find((s) => s.origin === 'file' && s.start <= e.offset && e.offset <= s.end);
    const named = st && databasesNamed(st);
    return named?.names.includes(database) ? { error: e, database, setsDefaults: named.setsDefaults } : undefined;
  });
}

// A Supabase project's declarative schema (supabase/schemas/) states the database the migrations
// are diffed from (`supabase db diff`): it is not applied on top of them. Replayed after them,
// as the lint replays it (its statements are the last word on what they restate), each CREATE
// of an object the migrations made fails with "already exists". Those errors are the replay's,
// not the project's: a note, not a statement error. Other errors of those files stay errors (an
// extension the embedded server lacks; a column the schema has and the migrations not yet).
const DECLARATIVE = /^(.*?)(?:^|[\\/])supabase[\\/]schemas[\\/]/;
const MIGRATION = /^(.*?)(?:^|[\\/])supabase[\\/]migrations[\\/]/;
/** duplicate_table, duplicate_object, duplicate_function, duplicate_column, duplicate_schema; 42P16 for "multiple primary keys" */
const ALREADY_EXISTS = new Set(['42P07', '42710', '42723', '42701', '42P06']);

/**
 * For each statement error, whether it is a statement of a Supabase project's declarative schema
 * failing on an object that already exists, in a project whose migrations are replayed too
 * (`files`: the replayed paths).
 */
export function restatedByDeclarativeSchema(errors: readonly VerifyStatementError[], files: readonly string[]): boolean[] {
  const projects = new Set<string>();
  for (const f of files) {
    const m = MIGRATION.exec(f);
    if (m) projects.add(m[1]!);
  }
  return errors.map((e) => {
    const m = projects.size ? DECLARATIVE.exec(e.file) : null;
    if (!m || !projects.has(m[1]!)) return false;
    return ALREADY_EXISTS.has(e.code) || (e.code === '42P16' && /^multiple primary keys for table /.test(e.message));
  });
}
