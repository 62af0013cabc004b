// Which files make up which database. A repository may hold the migrations of several databases
// (one per service, a registry and a tenant database, a test fixture next to the app): each is
// replayed into a model of its own, so that a table of one never answers for another. The
// config's `databases` names them (globs per database); without it, they are found where the
// evidence is certain: two or more folders that each start their own numbered sequence
// (`000001_init.up.sql`, `001_tables.sql`, `V1__init.sql`, drizzle's `0000_x.sql`), a migration
// history each, and a Supabase project's `supabase/migrations/` (timestamped, but one history
// by its place). Pure: paths in, groups out.
import picomatch from 'picomatch';
import { isRollbackFile, isSupabaseTestFile } from './model.js';
import { madeRelation } from './ast.js';
import { nameParts } from './parse.js';
import { counted } from './words.js';
import type { Node, ParsedFile } from './types.js';

/** `auto`: found from the folders (see above); `one`: every file one database; or names → globs. */
export type DatabasesSetting = 'auto' | 'one' | Record<string, string[]>;

export interface Database {
  /** the config's name, or the folder of a found migration sequence ('' when there is one database) */
  name: string;
  /**
   * how it was made: one database, the config's globs, a migration sequence found, the files no
   * database claims, or the files of a Supabase project that its CLI never applies (parsed, not
   * replayed: unappliedSupabaseFiles)
   */
  kind: 'one' | 'config' | 'sequence' | 'rest' | 'unapplied';
  /** its files' ids, in the order given */
  files: string[];
}

/** The name of the database of the files that no other claims. */
export const REST_DATABASE = 'other files';

/**
 * A version number that starts a migration sequence: 0 or 1, written as the name's first part
 * (`1_x`, `001-x`, `000001_init.up`, `0000_x`), or Flyway's `V1__x`. Timestamps (8 digits and
 * more) never start one: they tell nothing about where a history begins.
 */
const SEQUENCE_START = /^(?:V0*[01](?:[._]0+)*__|0{0,7}[01][._-])/;

/** A Supabase project's migrations folder: its history whatever its versions (the Supabase CLI applies exactly that folder). */
const SUPABASE_MIGRATIONS = /(^|\/)supabase\/migrations$/;
/** A found database that is a Supabase project's `supabase/` folder. */
const SUPABASE_PROJECT = /(^|\/)supabase$/;
/** A folder of a Supabase project (`…/supabase/…`): the project's folder is its database's (migrations, declarative schemas, seed, tests). */
const IN_SUPABASE = /^((?:.*\/)?supabase)(?:\/|$)/;

/**
 * The files of each database, given file ids and their paths relative to the workspace root
 * (`relPath`, `/`-separated; undefined for a file outside it, which joins the rest). With one
 * database, one group holding every file. Files keep their given order in each group.
 */
export function databasesOf(
  ids: readonly string[],
  relPath: (id: string) => string | undefined,
  setting: DatabasesSetting = 'auto',
  refsOf: (id: string) => RelationRefs = NO_REFS,
  seeded: (id: string) => boolean | undefined = () => undefined,
): Database[] {
  if (setting === 'one') return [{ name: '', kind: 'one', files: [...ids] }];
  const paths = ids.map((id) => relPath(id));
  if (setting !== 'auto') return byConfig(ids, paths, setting);
  const unapplied = unappliedSupabaseFiles(paths);
  // (the seed files a project's config.toml lists in [db.seed] sql_paths: supabase db reset runs them, as it runs seed.sql;
  // a seed the list leaves out, where the project has one, it never runs)
  ids.forEach((id, i) => {
    const s = seeded(id);
    if (s === true) unapplied.delete(i);
    else if (s === false) unapplied.add(i);
  });
  const ties = new Map<string, string[]>();
  const homes = new Map<string, string>();
  if (unapplied.size === 0) return settledTies(merged(bySequence(ids, paths, ties, homes), refsOf), ties, homes, ids);
  const keep = ids.filter((_, i) => !unapplied.has(i));
  const dbs = keep.length ? settledTies(merged(bySequence(keep, keep.map(relPath), ties, homes), refsOf), ties, homes, keep) : [];
  return [...dbs, { name: UNAPPLIED_DATABASE, kind: 'unapplied', files: ids.filter((_, i) => unapplied.has(i)) }];
}

/** The name of the database of the files a Supabase project holds that its CLI never applies. */
export const UNAPPLIED_DATABASE = 'files the Supabase CLI does not apply';

/**
 * The files (indexes of `paths`) that a Supabase project — a `supabase/` folder with a
 * `migrations/` folder — holds but that `supabase db reset` / `db push` never run: the CLI applies
 * the files of `migrations/`, then the seed files (`seed.sql` by default; `seed*.sql`, `seed/`,
 * `seeds/` as projects list them in `[db.seed] sql_paths`) and its custom roles (`roles.sql`);
 * `schemas/` holds the declarative schemas the migrations are diffed from (the same database),
 * `tests/` its pgTAP tests (parsed, not replayed). Anything else there — scripts run by hand in
 * the SQL editor, drafts in `policies/` or `tables/`, a `_backup/` copy, Studio's `snippets/` —
 * is not part of the history `supabase db reset` builds: replayed with the migrations, it changed
 * the model their findings were judged on (a draft's REVOKE made a migration's trigger fail) and
 * made findings about statements that never run there; replayed on their own, without the
 * migrations' tables and the project's settings, they were judged out of context. They are parsed
 * (a syntax error is still reported), not replayed, like an archived migration.
 */
function unappliedSupabaseFiles(paths: ReadonlyArray<string | undefined>): Set<number> {
  const out = new Set<number>();
  const projects = new Set<string>();
  for (const p of paths) {
    const m = p === undefined ? null : SUPABASE_MIGRATION_FILE.exec(p);
    if (m) projects.add(m[1]!);
  }
  if (projects.size === 0) return out;
  // (a folder named supabase that is no Supabase project — no migrations/ of its own — is not one the CLI
  // reads: Lovable's src/integrations/supabase/, which holds the app's client.ts and types.ts, beside which
  // rjsanjaymandal/lovabel-money-flow kept uno_schema.sql, a script run by hand; taken for a project's
  // folder, it was neither such a script nor a stray file of a project, and was replayed first, before
  // every migration: a migration's CREATE TABLE uno_rooms then failed in verify with 42P07. Its files are
  // judged as those outside every supabase/ folder, but what a project's folder holds, a declarative schema's
  // schemas/, seeds, tests, which stay as before.)
  const inProject = (p: string): RegExpExecArray | null => {
    const m = IN_SUPABASE.exec(p);
    return m && (projects.has(m[1]!) || APPLIED_IN_SUPABASE.test(p.slice(m[1]!.length + 1))) ? m : null;
  };
  // (the folders that start a numbered migration sequence of their own: another database's files, which bySequence splits off)
  const found = new Set<string>();
  for (const p of paths) {
    const folder = p === undefined || inProject(p) || backupOfHistory(p) ? undefined : sequenceFolder(p);
    if (folder !== undefined) found.add(folder);
  }
  const sequences = [...found];
  const unversioned = unversionedMigrationFolders(paths, inProject);
  paths.forEach((p, i) => {
    if (p === undefined) return;
    const m = inProject(p);
    if (!m) {
      // (beside a Supabase project, a file outside every supabase/ folder and every other migration
      // sequence: a script run by hand in the SQL editor, if ever, at a time its path does not tell
      // (fashionistas100's create-missing-tables.sql and fix-*.sql at the root: replayed first, before
      // every migration, its payments table without booking_id made a migration's policy "rejected")
      // (nor one of another tool's history: a folder named as migrations are, whatever their versions:
      // prisma/migrations/<timestamp>_x/migration.sql, db/migrate/, sqitch's deploy/, drizzle/)
      // (but not a migrations folder none of whose files carries a version: no tool orders
      // add_preferences_table.sql before disable_all_rls_for_development.sql, they are scripts run by
      // hand — supabase-learning-hub's database/migrations/, replayed before the CLI's history, made a
      // script's DISABLE ROW LEVEL SECURITY "the last word" on tables the history creates)
      // (nor a copy of a history kept in a backup folder: growly-foundation/suite-os's
      // backups/20250724_180446/migrations/20250724110446_remote_schema.sql, the CLI's history as it
      // stood that day, was replayed first, before supabase/migrations/, and its CREATE TABLEs got the
      // findings on tables the CLI's history makes)
      const kept = MIGRATION_FOLDER.test(p) && !unversioned.has(migrationFolderOf(p) ?? '') && !backupOfHistory(p);
      if (!kept && !sequences.some((f) => f === '' || p.startsWith(`${f}/`))) out.add(i);
      return;
    }
    if (!projects.has(m[1]!)) return;
    const rest = p.slice(m[1]!.length + 1);
    if (!APPLIED_IN_SUPABASE.test(rest)) out.add(i);
  });
  return out;
}
/**
 * The folders named `migrations/` or `migrate/` (outside `supabase/`) that hold no file whose path
 * below the folder carries a version (`0001_x.sql`, `20240101_x/`, Flyway's `V1__x.sql`, `R__x.sql`;
 * graphile-migrate's `current.sql`, whose commits are numbered):
 * a set of scripts named by what they do, which no migration tool orders. (sqitch's `deploy/` is
 * ordered by its plan, liquibase's changelogs by their master file: not these.)
 */
function unversionedMigrationFolders(paths: ReadonlyArray<string | undefined>, inProject: (p: string) => unknown): Set<string> {
  const versioned = new Map<string, boolean>();
  for (const p of paths) {
    if (p === undefined || inProject(p)) continue;
    const folder = migrationFolderOf(p);
    if (folder === undefined) continue;
    versioned.set(folder, (versioned.get(folder) ?? false) || VERSIONED.test(p.slice(folder.length)));
  }
  return new Set([...versioned].filter(([, v]) => !v).map(([f]) => f));
}
/** The path of the innermost `migrations/` (or `migrate/`) folder `p` is in, with its trailing slash. */
function migrationFolderOf(p: string): string | undefined {
  let at = -1;
  for (const m of p.matchAll(/(?:^|\/)(?:migrations?|migrate)\//gi)) at = m.index + m[0].length;
  return at < 0 ? undefined : p.slice(0, at);
}
/** A path (below its migrations folder) with a segment that starts with a version (or graphile-migrate's `current.sql` / `current/`, the next one). */
const VERSIONED = /(?:^|\/)(?:\d|[VUR]\d|R__|current(?:\.sql$|\/))/i;

/** A path with a folder named for a backup (`backups/`, `_backup/`, `db_backup_2024/`, `migrations.bak/`). */
const BACKUP_FOLDER = /(?:^|\/)(?:[^/]*[_.-])?(?:backups?|bak)(?:[_.-][^/]*)?\//i;

/**
 * A file of a migration history copied into a backup folder (`backups/<date>/migrations/…`): a
 * copy, which no tool applies. (A numbered backup of policies with no migrations folder,
 * controle-de-pacientes' `backup-rls/01-rls.sql`, stays a sequence of its own, as before.)
 */
function backupOfHistory(p: string): boolean {
  return BACKUP_FOLDER.test(p) && MIGRATION_FOLDER.test(p);
}

/** A path with a folder named as migration histories are. */
const MIGRATION_FOLDER = /(?:^|\/)(?:migrations?|migrate|deploy|drizzle|changelogs?|flyway)\//i;

/** A file right in (or in a folder of) a Supabase project's `migrations/`, with the project's folder. */
const SUPABASE_MIGRATION_FILE = /^((?:.*\/)?supabase)\/migrations\/[^/]+/;
/** What the Supabase CLI applies, or what is the same database, of a project's folder (paths relative to it). */
const APPLIED_IN_SUPABASE = /^(?:(?:migrations|schemas|tests|seeds?)\/|seed[^/]*\.sql$|roles\.sql$)/i;

/**
 * What a file creates and names, as keys: `t:name` a table or view (lower-case, no schema),
 * `s:name` a schema, `f:name` a function, `r:name` a role, `y:name` a type or domain.
 */
export interface RelationRefs {
  creates: ReadonlySet<string>;
  uses: ReadonlySet<string>;
}
const NO_REFS = (): RelationRefs => ({ creates: new Set(), uses: new Set() });

const refsCache = new WeakMap<ParsedFile, RelationRefs>();

/**
 * What a parsed file creates and names (its statements' trees, function bodies left aside):
 * CREATE TABLE / VIEW / TABLE AS / FOREIGN TABLE and RENAME TO make a relation, CREATE SCHEMA a schema, CREATE
 * FUNCTION a function, CREATE ROLE a role; every other relation, a relation's schema, a called
 * function and a role a policy or GRANT names is used (ALTER TABLE, CREATE POLICY ON … TO r,
 * REFERENCES, a view's query, INSERT INTO, `app.tenant()`…).
 */
export function relationRefs(file: ParsedFile): RelationRefs {
  let hit = refsCache.get(file);
  if (hit) return hit;
  const creates = new Set<string>();
  const uses = new Set<string>();
  for (const s of file.statements) {
    const n = s.node as Node;
    const made = madeRelation(s);
    if (made?.relname) creates.add(`t:${made.relname}`);
    // (ALTER TABLE … RENAME TO makes a name: `"Organizations"` renamed `organizations`)
    if (s.kind === 'RenameStmt' && (n?.renameType === 'OBJECT_TABLE' || n?.renameType === 'OBJECT_VIEW' || n?.renameType === 'OBJECT_MATVIEW') && n?.newname) creates.add(`t:${n.newname}`);
    if (s.kind === 'CreateSchemaStmt' && n?.schemaname) creates.add(`s:${n.schemaname}`);
    if (s.kind === 'CreateFunctionStmt') {
      const name = nameParts(n?.funcname).pop();
      if (name) creates.add(`f:${name}`);
    }
    if (s.kind === 'CreateRoleStmt' && n?.role) creates.add(`r:${n.role}`);
    // (CREATE TYPE … AS ENUM / AS RANGE / AS (…) / (INPUT = …), CREATE DOMAIN: a type the tables of another folder may use)
    const madeType =
      s.kind === 'CreateEnumStmt' || s.kind === 'CreateRangeStmt' ? nameParts(n?.typeName).pop()
      : s.kind === 'CreateDomainStmt' ? nameParts(n?.domainname).pop()
      : s.kind === 'CompositeTypeStmt' ? n?.typevar?.relname
      : s.kind === 'DefineStmt' && n?.kind === 'OBJECT_TYPE' ? nameParts(n?.defnames).pop()
      : undefined;
    if (madeType) creates.add(`y:${madeType}`);
    namedRelations(n, s.kind === 'CompositeTypeStmt' ? n?.typevar : made, uses);
  }
  refsCache.set(file, (hit = { creates, uses }));
  return hit;
}

/** The fields of a statement's tree that hold a TypeName (CREATE ENUM's `typeName` is a list of names, not one). */
const TYPE_KEYS = ['typeName', 'argType', 'returnType'] as const;

/** Adds what `n` names but `except`: relations (and their schemas), called functions, roles of policies and grants, types. */
function namedRelations(n: Node, except: Node, out: Set<string>): void {
  if (Array.isArray(n)) {
    for (const x of n) if (x && typeof x === 'object') namedRelations(x, except, out);
    return;
  }
  if (!n || typeof n !== 'object') return;
  if (typeof n.relname === 'string' && n !== except) {
    out.add(`t:${n.relname}`);
    if (typeof n.schemaname === 'string') out.add(`s:${n.schemaname}`);
  }
  if (n.FuncCall) {
    const name = nameParts(n.FuncCall.funcname).pop();
    if (name) out.add(`f:${name}`);
  }
  if (n.RoleSpec?.rolename) out.add(`r:${n.RoleSpec.rolename}`);
  // (a column's, cast's, parameter's or result's type: `status status NOT NULL`, `'x'::reaction`, `RETURNS SETOF reaction`)
  for (const k of TYPE_KEYS) {
    const t = n[k];
    if (t && !Array.isArray(t) && Array.isArray(t.names)) {
      const name = nameParts(t.names).pop();
      if (name) out.add(`y:${name}`);
    }
  }
  for (const k in n) {
    const v = n[k];
    if (v && typeof v === 'object') namedRelations(v, except, out);
  }
}

/**
 * Found databases joined again where their files say they are one: a database naming a table,
 * schema, function or role it never creates that exactly one other creates (policies in one
 * folder on the tables of another, a helper or schema made in a folder of its own, a seed
 * filling them) is the same database as that one. A name several others create (each service's
 * own `users`, `CREATE USER user_a` in three services) tells nothing.
 */
function merged(dbs: Database[], refsOf: (id: string) => RelationRefs): Database[] {
  if (dbs.length < 2) return dbs;
  const creates = dbs.map((d) => new Set(d.files.flatMap((f) => [...refsOf(f).creates])));
  const parent = dbs.map((_, i) => i);
  const root = (i: number): number => (parent[i] === i ? i : (parent[i] = root(parent[i]!)));
  dbs.forEach((d, i) => {
    for (const f of d.files) {
      for (const name of refsOf(f).uses) {
        if (creates[i]!.has(name)) continue;
        let maker = -1;
        for (let j = 0; j < creates.length && maker !== -2; j++) if (j !== i && creates[j]!.has(name)) maker = maker === -1 ? j : -2;
        // (two Supabase projects are two databases, whatever names they share: coreframe's legacy
        // project names a table only its target project makes)
        if (maker >= 0 && !(SUPABASE_PROJECT.test(d.name) && SUPABASE_PROJECT.test(dbs[maker]!.name))) parent[root(maker)] = root(i);
      }
    }
  });
  // A found sequence that makes no table or view is no database of its own but a part of the one
  // whose tables it serves — its extensions, types, schemas, or the policies it puts on tables
  // nobody here makes (dooduel's db/extensions/000-…, db/types/000-…, db/policies/000-… beside
  // db/tables/1XX-…): joined to it when exactly one makes tables.
  const makesTables = (i: number) => [...creates[i]!].some((k) => k.startsWith('t:'));
  const makers = new Set(dbs.map((_, i) => i).filter(makesTables).map(root));
  const home = makers.size === 1 ? [...makers][0]! : -1;
  // (a Supabase project's database is the history its CLI applies: nothing joins it this way, nor it anything)
  if (home >= 0 && !dbs.some((e, j) => root(j) === home && SUPABASE_PROJECT.test(e.name))) {
    dbs.forEach((d, i) => {
      // (the rest's files stay where they are, and a Supabase project's history is its own)
      if (!makers.has(root(i)) && d.kind === 'sequence' && !SUPABASE_PROJECT.test(d.name)) parent[root(i)] = home;
    });
  }
  if (dbs.every((_, i) => root(i) === i)) return dbs;
  const groups = new Map<number, Database[]>();
  dbs.forEach((d, i) => groups.set(root(i), [...(groups.get(root(i)) ?? []), d]));
  if (groups.size === 1) return [{ name: '', kind: 'one', files: dbs.flatMap((d) => d.files) }];
  // (joined: named after its sequences; the model orders the files)
  return [...groups.values()].map((g): Database => {
    if (g.length === 1) return g[0]!;
    const named = g.filter((d) => d.kind !== 'rest');
    return { name: named.map((d) => d.name).join(' + ') || REST_DATABASE, kind: named.length ? 'sequence' : 'rest', files: g.flatMap((d) => d.files) };
  });
}

/**
 * The files of the rest that were as near to two or more found folders (bySequence: `ties`, each
 * file's nearest folders) moved to the database those folders were joined into (merged): a file
 * as near to two folders that are one database is no longer in doubt. dropway's `db/sqlc/schema.sql`,
 * sqlc's copy of the schema `db/migrations/app/` and `db/migrations/billing/` build (the billing
 * tables reference the app's), then reads as the snapshot it is (after them, re-making their
 * tables: not replayed) instead of a database of its own, whose functions — no REVOKE there, the
 * migrations' is omitted — read as executable by PUBLIC. `homes`: a file of each folder.
 */
function settledTies(dbs: Database[], ties: ReadonlyMap<string, string[]>, homes: ReadonlyMap<string, string>, ids: readonly string[]): Database[] {
  const rest = dbs.find((d) => d.kind === 'rest');
  if (!rest || ties.size === 0) return dbs;
  const dbOf = (folder: string) => {
    const home = homes.get(folder);
    return home === undefined ? undefined : dbs.find((d) => d.kind !== 'rest' && d.files.includes(home));
  };
  const moved = new Map<Database, string[]>();
  for (const f of rest.files) {
    const folders = ties.get(f);
    if (!folders) continue;
    const targets = new Set(folders.map(dbOf));
    const [only] = targets;
    if (targets.size !== 1 || only === undefined) continue;
    moved.set(only, [...(moved.get(only) ?? []), f]);
  }
  if (moved.size === 0) return dbs;
  const place = new Map(ids.map((id, i) => [id, i]));
  const gone = new Set([...moved.values()].flat());
  const out = dbs
    .map((d): Database => {
      if (d === rest) return { ...d, files: d.files.filter((f) => !gone.has(f)) };
      const add = moved.get(d);
      return add ? { ...d, files: [...d.files, ...add].sort((a, b) => place.get(a)! - place.get(b)!) } : d;
    })
    .filter((d) => d.files.length > 0);
  return out.length === 1 ? [{ name: '', kind: 'one', files: out[0]!.files }] : out;
}

/** The config's databases (the first whose globs match a file has it), then the files none matches. */
function byConfig(ids: readonly string[], paths: ReadonlyArray<string | undefined>, setting: Record<string, string[]>): Database[] {
  const names = Object.keys(setting);
  const matchers = names.map((n) => picomatch(setting[n]!, { dot: true }));
  const groups = names.map((name): Database => ({ name, kind: 'config', files: [] }));
  const rest: Database = { name: REST_DATABASE, kind: 'rest', files: [] };
  ids.forEach((id, i) => {
    const p = paths[i];
    const at = p === undefined ? -1 : matchers.findIndex((m) => m(p));
    (at < 0 ? rest : groups[at]!).files.push(id);
  });
  return withRest(groups.filter((g) => g.files.length > 0), rest);
}

/** The folder of a file that starts a numbered migration sequence (`''` at the root), else undefined; not a rollback file. */
function sequenceFolder(p: string): string | undefined {
  const slash = p.lastIndexOf('/');
  if (!SEQUENCE_START.test(p.slice(slash + 1)) || isRollbackFile(p)) return undefined;
  return slash < 0 ? '' : p.slice(0, slash);
}

/**
 * Databases found from migration sequences: the folders holding a file that starts one (not a
 * rollback, not a Supabase test), and Supabase's `supabase/migrations/` (a Supabase project's
 * folders are its `supabase/` folder: its declarative schemas are the same database), when there are two or more and none is inside another (a
 * sequence inside another's folder is no certain evidence: one database, as before). Each file
 * belongs to the folder it is in, else to the one whose path shares the most folders with its
 * own (a service's seed files beside its migrations); a file as near to two, or near none, is
 * in the rest.
 */
function bySequence(ids: readonly string[], paths: ReadonlyArray<string | undefined>, ties?: Map<string, string[]>, homes?: Map<string, string>): Database[] {
  const one = (): Database[] => [{ name: '', kind: 'one', files: [...ids] }];
  const folders = new Set<string>();
  for (const p of paths) {
    if (p === undefined || isRollbackFile(p) || isSupabaseTestFile(p)) continue;
    const folder = p.slice(0, Math.max(0, p.lastIndexOf('/')));
    if (sequenceFolder(p) !== undefined || SUPABASE_MIGRATIONS.test(folder)) folders.add(IN_SUPABASE.exec(folder)?.[1] ?? folder);
  }
  // (graphile-migrate's `current/` is the next migration of its `committed/` sequence)
  for (const f of folders) {
    const committed = f.replace(/(^|\/)current$/, '$1committed');
    if (committed !== f && folders.has(committed)) folders.delete(f);
  }
  if (folders.size < 2) return one();
  const list = [...folders].sort();
  // (a folder at the root, or one inside another: no certain split)
  if (list.some((f) => f === '' || list.some((g) => g !== f && f.startsWith(`${g}/`)))) return one();
  const groups = new Map(list.map((f): [string, Database] => [f, { name: f, kind: 'sequence', files: [] }]));
  const rest: Database = { name: REST_DATABASE, kind: 'rest', files: [] };
  const parts = list.map((f) => f.split('/'));
  ids.forEach((id, i) => {
    const p = paths[i];
    const home = p === undefined ? undefined : nearest(p, list, parts, (tied) => ties?.set(id, tied));
    (home === undefined ? rest : groups.get(home)!).files.push(id);
    if (home !== undefined && !homes?.has(home)) homes?.set(home, id);
  });
  return withRest([...groups.values()], rest);
}

/**
 * The folder of `list` that `path` is in, or that shares the most leading folders with it (one
 * only; none when no folder is shared, or when several share as many: `onTie` gets them).
 */
function nearest(path: string, list: readonly string[], parts: readonly string[][], onTie?: (folders: string[]) => void): string | undefined {
  const own = path.split('/').slice(0, -1);
  let best: string[] = [];
  let bestShared = 0;
  for (let i = 0; i < list.length; i++) {
    const f = parts[i]!;
    let shared = 0;
    while (shared < f.length && shared < own.length && f[shared] === own[shared]) shared++;
    if (shared === f.length) return list[i]; // in it
    if (shared > bestShared) {
      bestShared = shared;
      best = [list[i]!];
    } else if (shared === bestShared && shared > 0) best.push(list[i]!);
  }
  if (best.length > 1) onTie?.(best);
  return best.length === 1 ? best[0] : undefined;
}

/** The groups, then the rest when it holds any file; one group of all when nothing was split. */
function withRest(groups: Database[], rest: Database): Database[] {
  const all = rest.files.length ? [...groups, rest] : groups;
  if (all.length === 0) return [{ name: '', kind: 'one', files: [] }];
  if (all.length === 1) return [{ ...all[0]!, name: all[0]!.kind === 'rest' ? '' : all[0]!.name, kind: all[0]!.kind === 'rest' ? 'one' : all[0]!.kind }];
  return all;
}

/** The names of the config's databases that got none of the files (globs matching none, a typo, a path linted alone, or an earlier database's globs took them). */
export function unmatchedDatabases(setting: DatabasesSetting, dbs: readonly Database[]): string[] {
  if (typeof setting === 'string') return [];
  return Object.keys(setting).filter((name) => !dbs.some((d) => d.kind === 'config' && d.name === name));
}

/**
 * The databases with a file replayed: a database all of whose files are not replayed (a folder
 * repeating a Supabase project's history: snapshot.ts mirroredHistories) is no database of the
 * run's, and its files are told with their reason.
 */
export function replayedDatabases(dbs: readonly Database[], notReplayed: ReadonlySet<string>): Database[] {
  return dbs.filter((d) => d.kind === 'unapplied' || d.files.length === 0 || !d.files.every((f) => notReplayed.has(f)));
}

/** The databases in a few words: `3 databases: a (2 files), b (1 file), other files (4 files)`. */
export function describeDatabases(dbs: readonly Database[]): string {
  const replayed = dbs.filter((d) => d.kind !== 'unapplied');
  const unapplied = dbs.filter((d) => d.kind === 'unapplied');
  const list = replayed.map((d) => `${d.name || 'the migrations'} (${counted(d.files.length, 'file')})`).join(', ');
  const head = replayed.length > 1 ? `${replayed.length} databases, each replayed on its own: ${list}` : replayed.length ? `one database: ${list}` : 'no database';
  if (!unapplied.length) return head;
  return `${head}; ${unappliedWhere(dbs)}: checked for syntax only, not replayed`;
}

/**
 * The files of `dbs` that the Supabase CLI does not apply, counted, and where they are: in a Supabase
 * project's folder (a `supabase/` holding `migrations/`), or outside every such folder — a folder merely
 * named supabase that is no project (Lovable's `src/integrations/supabase/`) is outside, as
 * unappliedSupabaseFiles judges it. (describeDatabases; verify's note of the files it does not run)
 */
export function unappliedWhere(dbs: readonly Database[]): string {
  const slashed = (f: string) => f.replace(/\\/g, '/');
  const files = dbs.flatMap((d) => (d.kind === 'unapplied' ? d.files : []));
  const projects = new Set(dbs.flatMap((d) => d.files.flatMap((f) => SUPABASE_MIGRATION_FILE.exec(slashed(f))?.[1] ?? [])));
  const inside = files.filter((f) => {
    const m = IN_SUPABASE.exec(slashed(f));
    return !!m && projects.has(m[1]!);
  }).length;
  const where =
    inside === files.length
      ? 'under supabase/ that the Supabase CLI does not apply (not migrations, listed schemas, seeds or tests)'
      : inside === 0
        ? 'that the Supabase CLI does not apply (scripts outside supabase/ and any migrations folder)'
        : `that the Supabase CLI does not apply (${inside} under supabase/: not migrations, listed schemas, seeds or tests; ${files.length - inside} outside supabase/ and any migrations folder)`;
  return `${counted(files.length, 'file')} ${where}`;
}

/**
 * Each file's place in the `order` setting: the index of the first glob its path (relative to the
 * workspace root) matches; a file none matches, or outside the root, is not in the map (it comes
 * after those that are).
 */
export function orderRanks(ids: readonly string[], relPath: (id: string) => string | undefined, globs: readonly string[]): Map<string, number> {
  const matchers = globs.map((g) => picomatch(g, { dot: true }));
  const out = new Map<string, number>();
  for (const id of ids) {
    const p = relPath(id);
    const at = p === undefined ? -1 : matchers.findIndex((m) => m(p));
    if (at >= 0) out.set(id, at);
  }
  return out;
}

/** The globs of the `order` setting that match none of the paths (relative to the workspace root): a typo, or files not given. */
export function unmatchedOrderGlobs(globs: readonly string[] | undefined, paths: readonly string[]): string[] {
  if (!globs?.length) return [];
  return globs.filter((g) => {
    const m = picomatch(g, { dot: true });
    return !paths.some((p) => m(p.replace(/\\/g, '/')));
  });
}
