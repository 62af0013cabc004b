// The disk side shared by the language server and the CLI: URIs ↔ paths, which files of a workspace folder
// are linted (the config's include/exclude globs), discovery and reading. No LSP types here.
import { existsSync, mkdirSync, readdirSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { basename, dirname, join, relative, resolve, sep } from 'node:path';
import picomatch from 'picomatch';
import { glob } from 'tinyglobby';
import { URI } from 'vscode-uri';
import { ALWAYS_EXCLUDED, type Config } from '../analysis/config.js';
import { apiSchemasOf, type ApiSchemas } from '../analysis/supabase-config.js';
import { planChanges, planProjects, sqitchLayout, type SqitchPlan } from '../analysis/sqitch-plan.js';
import { journalTags, type DrizzleJournal } from '../analysis/drizzle-journal.js';
import { gmrcSettings, type GraphileMigrate } from '../analysis/graphile-migrate.js';
import { changelogFormat, followChangelog, mayBeChangelog, type ChangelogDisk, type ChangelogRun, type LiquibaseChangelog, type SqlFileSplit } from '../analysis/liquibase-changelog.js';
import { dotenvVars, envSchemas, isPostgrestConf, postgrestConfSchemas, type PostgrestRead } from '../analysis/postgrest-config.js';
import { composeInitdbMounts, initdbRunOrder, type InitdbScripts } from '../analysis/docker-initdb.js';

/** Files larger than this are not read into the editor's workspace (logged). */
export const MAX_FILE_BYTES = 8 * 1024 * 1024;

/** A SQL file's name, as the extension activates on it: `.sql`, `.pgsql`, `.psql`. */
export const SQL_FILE_NAME = /\.(?:sql|pgsql|psql)$/i;

/**
 * The URI string of a disk path, exactly as VS Code spells it for an open document
 * (`URI.file(path).toString()`: lower-case drive letter, `%3A`, percent-encoded spaces).
 */
export function fileUri(path: string): string {
  return URI.file(path).toString();
}

/** One spelling per URI, so a document and its disk file share one engine id. */
export function canonicalUri(uri: string): string {
  try {
    return URI.parse(uri).toString();
  } catch {
    return uri;
  }
}

/** The file-system path of a `file:` URI, else undefined (untitled:, vscode-notebook-cell:, …). */
export function uriToPath(uri: string): string | undefined {
  try {
    const u = URI.parse(uri);
    return u.scheme === 'file' ? u.fsPath : undefined;
  } catch {
    return undefined;
  }
}

/** `/` separated path of `path` relative to `root`, or undefined when it is outside `root`. */
export function relativeTo(root: string, path: string): string | undefined {
  const rel = relative(root, path);
  if (rel === '' || rel.startsWith('..') || /^[a-zA-Z]:/.test(rel) || rel.startsWith(sep)) return undefined;
  return sep === '\\' ? rel.split(sep).join('/') : rel;
}

/** Whether a path (relative to its workspace folder, `/` separated) is linted under a config. */
export function fileMatcher(config: Config): (relPath: string) => boolean {
  if (config.include.length === 0) return () => false;
  const include = picomatch(config.include, { dot: false });
  const exclude = picomatch([...config.exclude, ...ALWAYS_EXCLUDED], { dot: false });
  return (rel) => include(rel) && !exclude(rel);
}

/** Every file of `root` matching the config, as absolute paths. Never throws (logs). */
export async function discoverFiles(root: string, config: Config, log: (message: string) => void): Promise<string[]> {
  if (config.include.length === 0) return [];
  try {
    const match = fileMatcher(config);
    const found = await glob(config.include, {
      cwd: root,
      ignore: [...config.exclude, ...ALWAYS_EXCLUDED],
      absolute: true,
      onlyFiles: true,
      dot: false,
      expandDirectories: false,
      followSymbolicLinks: false,
    });
    // picomatch decides, so discovery and single-file events agree
    return found.filter((p) => {
      const rel = relativeTo(root, p);
      return rel !== undefined && match(rel);
    });
  } catch (e) {
    log(`cannot list the files of ${root}: ${(e as Error)?.message ?? e}`);
    return [];
  }
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

export type ReadResult = { ok: true; text: string } | { ok: false; missing: boolean; reason: string; utf16?: string };

/**
 * Reads a text file as strict UTF-8 (BOM dropped, as editors do). Never throws. A UTF-16 file
 * (a byte-order mark) is not read; its text comes back decoded as `utf16`, only for a reader of a
 * configuration file to tell whether the file concerns it at all. `what` says whether the file is
 * SQL (the reason then says psql cannot run it either) or a configuration file, which psql never runs.
 */
export async function readTextFile(path: string, what: 'sql' | 'config' = 'sql'): Promise<ReadResult> {
  let bytes: Buffer;
  try {
    bytes = await readFile(path);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException)?.code;
    return { ok: false, missing: code === 'ENOENT' || code === 'ENOTDIR', reason: (e as Error)?.message ?? String(e) };
  }
  if (bytes.length > MAX_FILE_BYTES) {
    return { ok: false, missing: false, reason: `larger than ${MAX_FILE_BYTES / 1024 / 1024} MiB` };
  }
  if (bytes.length >= 2 && ((bytes[0] === 0xff && bytes[1] === 0xfe) || (bytes[0] === 0xfe && bytes[1] === 0xff))) {
    let utf16: string | undefined;
    try {
      utf16 = new TextDecoder(bytes[0] === 0xff ? 'utf-16le' : 'utf-16be').decode(bytes);
    } catch {
      utf16 = undefined;
    }
    const reason =
      what === 'sql'
        ? 'UTF-16 text (byte-order mark): PostgreSQL has no UTF-16 client encoding, so psql cannot run it either; save it as UTF-8'
        : 'UTF-16 text (byte-order mark), which the lint does not read; save it as UTF-8';
    return { ok: false, missing: false, reason, ...(utf16 !== undefined ? { utf16 } : {}) };
  }
  if (bytes.includes(0)) return { ok: false, missing: false, reason: 'binary file (contains NUL bytes)' };
  try {
    return { ok: true, text: utf8.decode(bytes) };
  } catch {
    return { ok: false, missing: false, reason: 'not valid UTF-8' };
  }
}

/**
 * Writes `data` to `path` through a temporary file and a rename, so concurrent processes never
 * read a half-written file. Returns false when it cannot (a read-only checkout, say).
 */
export function writeFileAtomic(path: string, data: Uint8Array): boolean {
  try {
    mkdirSync(dirname(path), { recursive: true });
    const tmp = `${path}.${process.pid}.tmp`;
    writeFileSync(tmp, data);
    renameSync(tmp, path);
    return true;
  } catch {
    return false;
  }
}

/** The prefix of a project's file ids, and its folder as shown to the user (`/`-terminated; '' for the root), or undefined to leave it out. */
export type ProjectIds = (folder: string) => { prefix: string; shown: string } | undefined;

/**
 * For each project folder `files` (absolute paths) are in (`folderOf` finds it from a path), the
 * file `name` beside them, read and turned into a value by `parse` (or a problem). A project
 * without the file is left out; one whose file cannot be read or parsed is told to `log` with
 * `what` is not used, and left out. Never throws.
 */
async function readBesideFiles<T>(
  files: Iterable<string>,
  folderOf: RegExp,
  name: string,
  what: string,
  parse: (text: string, names: { prefix: string; shown: string }, folder: string) => T | { problem: string } | undefined,
  ids: ProjectIds,
  log: (path: string, problem: string) => void,
  /** what follows from it, said after "not used" */
  then = '',
): Promise<T[]> {
  const folders = new Set<string>();
  for (const f of files) {
    const m = folderOf.exec(f);
    if (m) folders.add(m[1]!);
  }
  const out: T[] = [];
  for (const folder of [...folders].sort()) {
    const names = ids(folder);
    if (!names) continue;
    const path = join(folder, name);
    const read = await readTextFile(path, 'config');
    if (!read.ok) {
      if (!read.missing) log(path, `${read.reason}; ${what} not used${then}`);
      continue;
    }
    const v = parse(read.text, names, folder);
    if (v && typeof v === 'object' && 'problem' in v) log(path, `${v.problem}; ${what} not used${then}`);
    else if (v !== undefined) out.push(v as T);
  }
  return out;
}

/**
 * The Data API schemas (and whether anyone may sign in anonymously, the custom access token hook, and the PostgreSQL major version) of the Supabase projects `files` belong to: each project's
 * `supabase/config.toml` (found from a file of its `migrations/` or `schemas/`), parsed; a file
 * that cannot be parsed is told to `log`, as `supabase start` would refuse it.
 */
export function readApiSchemas(files: Iterable<string>, ids: ProjectIds, log: (path: string, problem: string) => void): Promise<ApiSchemas[]> {
  return readBesideFiles(files, /^(.*[\\/]supabase)[\\/](?:migrations|schemas)[\\/]/, 'config.toml', 'its [api] schemas, [auth] enable_anonymous_sign_ins, [auth.hook.custom_access_token], [db] major_version, [db.seed] sql_paths and [db.migrations] schema_paths are', (text, names) => {
    const api = apiSchemasOf(text);
    return 'problem' in api
      ? api
      : { folder: names.prefix, source: `${names.shown}config.toml`, schemas: api.schemas, ...(api.anonymousSignIns ? { anonymousSignIns: true } : {}), ...(api.majorVersion !== undefined ? { majorVersion: api.majorVersion } : {}), ...(api.accessTokenHook ? { accessTokenHook: api.accessTokenHook } : {}), ...(api.seedPaths ? { seedPaths: api.seedPaths } : {}), ...(api.schemaPaths ? { schemaPaths: api.schemaPaths } : {}) };
  }, ids, log);
}

/**
 * The plans of the sqitch projects `files` belong to: each `sqitch.plan` beside a `deploy/` folder
 * (the folder holding it); for a `deploy/` folder without one, the plan a `sqitch.conf` in a
 * folder above names when its deploy folder is that one (`top_dir = db/sqitch`, `plan_file =
 * sqitch.plan`: sqitch run from the repository's root).
 */
export async function readSqitchPlans(files: Iterable<string>, ids: ProjectIds, log: (path: string, problem: string) => void): Promise<SqitchPlan[]> {
  const list = [...files];
  const DEPLOY = /^(.*)[\\/]deploy[\\/]/;
  const plan = (text: string, prefix: string) => {
    const changes = planChanges(text);
    if (!changes.length) return undefined;
    const { project, requires } = planProjects(text);
    return { folder: prefix, changes, ...(project !== undefined ? { project } : {}), ...(requires.length ? { requires } : {}) };
  };
  const out = await readBesideFiles(list, DEPLOY, 'sqitch.plan', 'its order is', (text, names) => plan(text, names.prefix), ids, log);
  const folders = new Set<string>();
  for (const f of list) {
    const m = DEPLOY.exec(f);
    if (m) folders.add(m[1]!);
  }
  /** Where `layout` (sqitch.conf's, in `dir`) puts a reworked change's earlier scripts, when not in the deploy folder. */
  const reworked = (dir: string, layout: ReturnType<typeof sqitchLayout>) => {
    const at = resolve(dir, layout.reworkedDeployDir);
    if (at === resolve(dir, layout.deployDir)) return {};
    const names = ids(at);
    return names ? { reworkedDeploy: names.prefix } : {};
  };
  for (const folder of [...folders].sort()) {
    const names = ids(folder);
    if (!names) continue;
    const beside = out.findIndex((p) => p.folder === names.prefix);
    if (beside >= 0) {
      // (its sqitch.conf, beside it as `sqitch init` writes it: reworked_dir = reworked puts a
      // reworked change's earlier scripts in reworked/deploy/ — avi2008rai/parkhands)
      const conf = await readTextFile(join(folder, 'sqitch.conf'), 'config');
      if (conf.ok) {
        const layout = sqitchLayout(conf.text);
        if (resolve(folder, layout.deployDir) === resolve(folder, 'deploy')) out[beside] = { ...out[beside]!, ...reworked(folder, layout) };
      }
      continue;
    }
    // (a few folders up at most: sqitch runs where its configuration is, usually the repository's root)
    for (let dir = folder, up = 0; up < 5; dir = dirname(dir), up++) {
      const conf = await readTextFile(join(dir, 'sqitch.conf'), 'config');
      if (conf.ok) {
        const layout = sqitchLayout(conf.text);
        if (resolve(dir, layout.deployDir) !== resolve(folder, 'deploy')) break;
        const path = resolve(dir, layout.planFile);
        const read = await readTextFile(path, 'config');
        if (!read.ok) {
          if (!read.missing) log(path, `${read.reason}; its order is not used`);
          break;
        }
        const p = plan(read.text, names.prefix);
        if (p) out.push({ ...p, ...reworked(dir, layout) });
        break;
      }
      if (dirname(dir) === dir) break;
    }
  }
  return out;
}

/**
 * The journals of the Drizzle Kit migrations folders `files` belong to: each folder holding .sql
 * files and a `meta/_journal.json` (drizzle-kit generate's `out`, often drizzle/ or
 * src/db/migrations/). A journal that cannot be parsed is told to `log` and left out: the
 * folder's files are then replayed as any others are. So is one with an entry whose `<tag>.sql`
 * is not in the folder: drizzle's migrator (readMigrationFiles) reads every entry's file before
 * it applies any, and throws `No file … found` on that one, so it applies nothing of the folder,
 * whose files are then run by other means (midday's journal names only a 0000 file the
 * repository no longer has, beside 39 migrations).
 */
export function readDrizzleJournals(files: Iterable<string>, ids: ProjectIds, log: (path: string, problem: string) => void): Promise<DrizzleJournal[]> {
  return readBesideFiles(files, /^(.*)[\\/][^\\/]+\.sql$/i, join('meta', '_journal.json'), 'its list of migrations is', (text, names, folder) => {
    const tags = journalTags(text);
    if (!Array.isArray(tags)) return tags;
    const missing = tags.findIndex((tag) => !existsSync(join(folder, `${tag}.sql`)));
    if (missing >= 0) {
      return {
        problem: `entry ${missing} names ${tags[missing]}.sql, which is not in its folder, so drizzle's migrator (drizzle-kit migrate, drizzle-orm's migrate()) stops with "No file … found" before it applies any migration`,
      };
    }
    return { folder: names.prefix, source: `${names.shown}meta/_journal.json`, tags };
  }, ids, log, ': every .sql file of its folder is replayed, in path order, as without a journal');
}

/**
 * The folders `starts` are and those a few above them (five levels at most), not past the one
 * holding `.git` (as readPostgrestSchemas): where a project's configuration beside its SQL files
 * may be. Each once, in the order met.
 */
function foldersAbove(starts: Iterable<string>): string[] {
  const seen = new Set<string>();
  for (const start of starts) {
    for (let dir = start, up = 0; up < 5; dir = dirname(dir), up++) {
      if (seen.has(dir)) break;
      seen.add(dir);
      if (existsSync(join(dir, '.git')) || dirname(dir) === dir) break;
    }
  }
  return [...seen];
}

/**
 * The graphile-migrate projects `files` belong to: each `.gmrc` (JSON5) in a folder up to a few
 * above them (graphile-migrate reads `./.gmrc` where it runs, at the project's root) whose
 * migrations folder (`migrationsFolder`, `migrations` by default, relative to that root) holds
 * some of them, with the files its afterReset actions run (relative to the migrations folder). A
 * `.gmrc` that cannot be read or parsed is told to `log` and left out: the files are then
 * replayed in path order. A `.gmrc.js` is not read.
 */
export function readGraphileMigrate(files: Iterable<string>, ids: ProjectIds, log: (path: string, problem: string) => void): Promise<GraphileMigrate[]> {
  const list = [...files];
  // (migrations/committed/000001.sql is two below the root)
  const roots = foldersAbove(list.map((f) => dirname(f)));
  const ROOT = /^(.*)$/s;
  return readBesideFiles(
    roots.filter((r) => existsSync(join(r, '.gmrc'))),
    ROOT,
    '.gmrc',
    'its replay order (afterReset files, then committed/ by number, then the current migration) is',
    (text, names, root) => {
      const settings = gmrcSettings(text);
      if ('problem' in settings) return settings;
      const folder = resolve(root, settings.migrationsFolder ?? 'migrations');
      if (!list.some((f) => f.startsWith(folder + sep))) return undefined;
      const prefix = ids(folder)?.prefix;
      if (prefix === undefined) return undefined;
      const afterReset = settings.afterReset.flatMap((name) => {
        const path = resolve(folder, name);
        const at = ids(dirname(path));
        return at ? [`${at.prefix}${basename(path)}`] : [];
      });
      return { folder: prefix, source: `${names.shown}.gmrc`, afterReset, ...(settings.searchPath ? { searchPath: settings.searchPath } : {}) };
    },
    ids,
    log,
    ': the migrations are replayed in path order',
  );
}

/** A disk path with `/` separators (the changelog reader's), and back. */
const posix = (p: string) => (sep === '\\' ? p.split(sep).join('/') : p);
const native = (p: string) => (sep === '\\' ? p.split('/').join(sep) : p);

/** The folders from `dir` up to the one holding `.git` (or the file system's root), at most `max`, nearest first. */
function foldersUp(dir: string, max: number): string[] {
  const out: string[] = [];
  for (let d = dir, up = 0; up < max; d = dirname(d), up++) {
    out.push(d);
    if (existsSync(join(d, '.git')) || dirname(d) === d) break;
  }
  return out;
}

/** The entries of a folder, or none when it cannot be listed. */
function entriesOf(dir: string): import('node:fs').Dirent[] {
  try {
    return readdirSync(dir, { withFileTypes: true });
  } catch {
    return [];
  }
}

/** A file's text: its open buffer's (`buffers`, by path) when there is one, else its text on disk. */
export async function readBuffered(path: string, buffers: ReadonlyMap<string, string> | undefined): Promise<ReadResult> {
  const text = buffers?.get(path);
  return text !== undefined ? { ok: true, text } : readTextFile(path);
}

/** Whether a folder entry is a folder (a symbolic link followed, as Liquibase's includeAll follows them). */
function isDir(dir: string, e: import('node:fs').Dirent): boolean {
  if (e.isDirectory()) return true;
  if (!e.isSymbolicLink()) return false;
  try {
    return statSync(join(dir, e.name)).isDirectory();
  } catch {
    return false;
  }
}

/** The disk as following a changelog reads it, a changelog's open buffer (`buffers`) over its file; `read` collects the changelogs read. */
function changelogDisk(read?: Set<string>, buffers?: ReadonlyMap<string, string>): ChangelogDisk {
  return {
    async read(p) {
      const r = await readBuffered(native(p), buffers);
      if (r.ok) {
        read?.add(native(p));
        return r.text;
      }
      return r.missing ? undefined : { problem: r.reason };
    },
    async isFile(p) {
      try {
        return statSync(native(p)).isFile();
      } catch {
        return false;
      }
    },
    async list(p) {
      const root = native(p);
      try {
        if (!statSync(root).isDirectory()) return undefined;
      } catch {
        return undefined;
      }
      const out: string[] = [];
      const walk = (dir: string, rel: string, depth: number) => {
        if (depth > 32) return;
        for (const e of entriesOf(dir)) {
          const r = rel ? `${rel}/${e.name}` : e.name;
          if (isDir(dir, e)) walk(join(dir, e.name), r, depth + 1);
          else out.push(r);
        }
      };
      walk(root, '', 0);
      return out;
    },
  };
}

/** Whether a file is a Liquibase changelog (XML, YAML or JSON whose root names databaseChangeLog, at a look). Never throws. */
export async function isChangelogFile(path: string): Promise<boolean> {
  const format = changelogFormat(path);
  if (!format) return false;
  const r = await readTextFile(path);
  return r.ok && mayBeChangelog(r.text, format);
}

/** The names changelogsUnder looks for, in any case. */
const CHANGELOG_NAMES = ['*changelog*.{xml,yaml,yml,json}', '*master*.{xml,yaml,yml,json}'];
const changelogName = picomatch(CHANGELOG_NAMES, { nocase: true, dot: true });

/** Whether a file is named as changelogsUnder finds changelogs (its content aside). */
export function namedLikeChangelog(path: string): boolean {
  return changelogName(basename(path));
}

/** The languages of migration files written in something else than SQL, by extension (otherLanguageMigrations). */
const OTHER_LANGUAGES: Readonly<Record<string, string>> = {
  exs: 'Elixir (Ecto)',
  ex: 'Elixir',
  py: 'Python (Django, Alembic)',
  rb: 'Ruby (Rails)',
  js: 'JavaScript',
  mjs: 'JavaScript',
  cjs: 'JavaScript',
  ts: 'TypeScript',
  go: 'Go',
  java: 'Java',
  kt: 'Kotlin',
  cs: 'C#',
  php: 'PHP',
};

/** The language a file is written in when its extension names one other than SQL (a migration of Ecto, Django, Rails, knex …). */
export function otherLanguageOf(file: string): string | undefined {
  const dot = file.lastIndexOf('.');
  if (dot < 0 || /\.d\.ts$/i.test(file)) return undefined;
  return OTHER_LANGUAGES[file.slice(dot + 1).toLowerCase()];
}

/**
 * The migrations under `dir` written in another language that set up row-level security (their
 * text says CREATE POLICY or ROW LEVEL SECURITY: Ecto's execute("…"), Django's RunSQL, Rails'
 * execute, knex's raw, a TypeORM queryRunner.query): SQL the lint never sees, which the CLI
 * tells of. Files in a `migrations`, `migrate` or Alembic `versions` folder; at most `limit` read.
 */
export async function otherLanguageMigrations(dir: string, limit = 2000): Promise<string[]> {
  const exts = Object.keys(OTHER_LANGUAGES).join(',');
  const found = await glob([`**/migrations/**/*.{${exts}}`, `**/migrate/**/*.{${exts}}`, '**/versions/**/*.py'], { cwd: dir, absolute: true, onlyFiles: true, ignore: ['**/node_modules/**', '**/.git/**', '**/*.d.ts'] });
  const out: string[] = [];
  for (const f of found.sort().slice(0, limit)) {
    const text = await readFile(f, 'utf8').catch(() => '');
    if (/\bcreate\s+policy\b|\brow\s+level\s+security\b/i.test(text)) out.push(f);
  }
  return out;
}

/**
 * The Liquibase changelogs under a directory: files named like one (`*changelog*`, `*master*`:
 * Spring Boot's db.changelog-master.yaml, JHipster's master.xml) whose root is databaseChangeLog,
 * node_modules and .git left out. What the CLI and the language server follow beside the SQL
 * files (readLiquibaseChangelogs): a project's changelogs may lie far from the other SQL of its
 * repository (test fixtures, init scripts), or hold all of its SQL.
 */
export async function changelogsUnder(dir: string): Promise<string[]> {
  const names = await glob(CHANGELOG_NAMES.map((n) => `**/${n}`), { cwd: dir, absolute: true, onlyFiles: true, caseSensitiveMatch: false, ignore: ['**/node_modules/**', '**/.git/**'] });
  const out: string[] = [];
  for (const f of names.sort()) if (await isChangelogFile(f)) out.push(f);
  return out;
}

/**
 * The Liquibase projects `files` belong to, each master changelog followed (analysis/
 * liquibase-changelog.ts): the changelogs (XML, YAML or JSON whose root is databaseChangeLog) in
 * the files' folders, in the folders above them (up to the one holding `.git`) and right under
 * those (`db/changelog/` beside `db/sql/`); a master is one no other of them includes (Spring
 * Boot's db.changelog-master.yaml, JHipster's master.xml). A path not relative to its changelog
 * is looked for under the master's folder and each folder above it (the classpath root,
 * src/main/resources/, or where the CLI runs). A changelog that cannot be followed (malformed, a
 * property `${…}` in a path, a file that is not found) is told to `log` and orders nothing: its
 * files are replayed in path order, and none under its folder is said not to run. `top`: the
 * folder linted (the CLI's working directory, the editor's workspace folder): folders are looked
 * at up to the repository holding it (its `.git`), or up to it outside one. `read` collects the
 * changelogs read (the language server re-reads them when one changes); `buffers` (text by path):
 * the editor's open changelogs, read instead of their files (their edits count before a save).
 */
export async function readLiquibaseChangelogs(
  files: Iterable<string>,
  ids: ProjectIds,
  log: (path: string, problem: string) => void,
  options: { top?: string; read?: Set<string>; buffers?: ReadonlyMap<string, string> } = {},
): Promise<LiquibaseChangelog[]> {
  const { read, buffers } = options;
  const sqlFolders = new Set<string>();
  // (and the folders of changelogs given: a project whose SQL is all in its changelogs)
  for (const f of files) if (SQL_FILE_NAME.test(f) || changelogFormat(f)) sqlFolders.add(dirname(f));
  if (sqlFolders.size === 0) return [];
  // (not above the repository holding `top`, or `top` itself outside one: a temporary folder's files never make it read /tmp or /)
  const limit = options.top ? (foldersUp(resolve(options.top), 12).find((d) => existsSync(join(d, '.git'))) ?? resolve(options.top)) : undefined;
  const up = (start: string, max: number) => {
    const all = foldersUp(start, max);
    const inside = limit !== undefined && (start === limit || start.startsWith(limit.endsWith(sep) ? limit : limit + sep));
    return inside ? all.slice(0, all.indexOf(limit!) + 1 || all.length) : all;
  };
  const above = new Set<string>();
  for (const start of [...sqlFolders].sort()) for (const d of up(start, 8)) above.add(d);
  // (the folders above the files and those right under them: db/changelog/ beside db/migration/)
  const scanned = new Set<string>(above);
  for (const d of above) for (const e of entriesOf(d)) if (!e.name.startsWith('.') && e.name !== 'node_modules' && isDir(d, e)) scanned.add(join(d, e.name));
  const candidates: string[] = [];
  for (const d of [...scanned].sort()) {
    for (const e of entriesOf(d)) {
      const format = changelogFormat(e.name);
      if (!format || isDir(d, e)) continue;
      const path = join(d, e.name);
      const r = await readBuffered(path, buffers);
      if (r.ok && mayBeChangelog(r.text, format)) candidates.push(path);
    }
  }
  if (candidates.length === 0) return [];
  const shown = (p: string) => {
    const at = ids(dirname(p));
    return at ? `${at.shown}${basename(p)}` : p;
  };
  const disk = changelogDisk(read, buffers);
  const runs = new Map<string, ChangelogRun>();
  for (const c of candidates) {
    // (the search path: the changelog's folder and those above it, nearest first)
    const search = up(dirname(c), 12).map(posix);
    runs.set(c, await followChangelog(posix(c), search, disk, (p) => shown(native(p))));
  }
  const out: LiquibaseChangelog[] = [];
  for (const [master, run] of runs) {
    // (a master: a changelog no other one includes)
    const included = [...runs].some(([other, r]) => other !== master && r.changelogs.includes(posix(master)));
    if (included) continue;
    const names = ids(dirname(master));
    if (!names) continue;
    const source = `${names.shown}${basename(master)}`;
    if (run.problem) {
      log(native(run.problem.path), `${run.problem.text}; the Liquibase changelog ${source} is not followed: its files are replayed in path order, and none is said not to run`);
      out.push({ source, folder: names.prefix, files: [], unread: true });
      continue;
    }
    for (const m of run.missing ?? []) log(native(m.path), `${m.text}; the Liquibase changelog ${source} is followed without it: the files it finds are replayed in its order, and none is said not to run`);
    for (const u of run.unplaced ?? []) log(native(u.path), u.text);
    const idOf = (p: string) => {
      const at = ids(dirname(native(p)));
      return at ? `${at.prefix}${basename(native(p))}` : undefined;
    };
    const ranIds = run.sql.flatMap((p) => idOf(p) ?? []);
    // (the files a sqlFile runs: split as Liquibase splits them)
    let sqlFiles: Record<string, SqlFileSplit> | undefined;
    for (const [p, split] of Object.entries(run.sqlFiles ?? {})) {
      const id = idOf(p);
      if (id !== undefined) (sqlFiles ??= {})[id] = split;
    }
    // (a changelog's own SQL: its parts)
    let inline: LiquibaseChangelog['inline'];
    for (const [p, part] of Object.entries(run.inline ?? {})) {
      const id = idOf(p);
      const changelog = idOf(part.changelog);
      if (id !== undefined && changelog !== undefined) (inline ??= {})[id] = { changelog, changes: part.changes };
    }
    out.push({ source, folder: names.prefix, files: ranIds, ...(run.missing ? { partial: true as const } : {}), ...(sqlFiles ? { sqlFiles } : {}), ...(inline ? { inline } : {}) });
  }
  return out;
}

/** The files a plain PostgREST project configures its schemas in: docker compose's, its `.env`, and `*.conf`. */
export const COMPOSE_FILES = ['compose.yaml', 'compose.yml', 'docker-compose.yaml', 'docker-compose.yml'];

/**
 * The schemas the plain PostgREST projects `files` belong to serve: in the files' folders and
 * up to a few above them (not past the one holding `.git`), the nearest folder with a PostgREST
 * configuration — a `*.conf` with PostgREST's keys (`postgrest.conf` first, else the first by
 * name) whose `db-schemas` (or `db-schema`) names them, PGRST_DB_SCHEMAS (or PGRST_DB_SCHEMA) in
 * a docker compose file's environment, or in a `.env` — gives them to the files under it. The
 * environment variable wins over the file, as PostgREST reads them. A file that cannot be read,
 * or whose value PostgREST refuses or the lint cannot see, is told to `log` and left out: the
 * setting `exposedSchemas` alone decides.
 */
export async function readPostgrestSchemas(files: Iterable<string>, ids: ProjectIds, log: (path: string, problem: string) => void): Promise<ApiSchemas[]> {
  const NOT_USED = '; its schemas are not used: the setting exposedSchemas decides';
  const out: ApiSchemas[] = [];
  // (`concerns`: whether a file the lint cannot read would configure PostgREST if it could: a
  // UTF-16 .env of a Vite app, or an nginx.conf, is none of its business, and is not told about)
  const read = async (path: string, concerns: (text: string) => boolean): Promise<string | undefined> => {
    const r = await readTextFile(path, 'config');
    if (r.ok) return r.text;
    if (!r.missing && (r.utf16 === undefined || concerns(r.utf16))) log(path, `${r.reason}${NOT_USED}`);
    return undefined;
  };
  const mentionsPgrst = (text: string) => /\bPGRST_/.test(text);
  /** the folder's configuration: schemas, or null when it has none (or one not used) */
  const configOf = async (dir: string): Promise<ApiSchemas | null | 'none'> => {
    let names: string[];
    try {
      names = readdirSync(dir).sort();
    } catch {
      return 'none';
    }
    type Got = { path: string; r: NonNullable<PostgrestRead> };
    let conf: Got | undefined;
    let confFound = false;
    const confs = names.filter((n) => n.endsWith('.conf'));
    for (const n of ['postgrest.conf', ...confs.filter((c) => c !== 'postgrest.conf')]) {
      if (!confs.includes(n)) continue;
      const path = join(dir, n);
      const text = await read(path, isPostgrestConf);
      if (text === undefined || !isPostgrestConf(text)) continue;
      confFound = true;
      const r = postgrestConfSchemas(text);
      if (r) conf = { path, r };
      break;
    }
    let env: Got | undefined;
    let envFound = false;
    const dotenv = names.includes('.env') ? await read(join(dir, '.env'), mentionsPgrst) : undefined;
    for (const n of COMPOSE_FILES) {
      if (!names.includes(n)) continue;
      const path = join(dir, n);
      const text = await read(path, mentionsPgrst);
      if (text === undefined || !/\bPGRST_/.test(text)) continue;
      envFound = true;
      const r = envSchemas(text, dotenv === undefined ? {} : dotenvVars(dotenv));
      if (r) env = { path, r };
      break;
    }
    if (!env && dotenv !== undefined && /^[ \t]*(?:export[ \t]+)?PGRST_/m.test(dotenv)) {
      envFound = true;
      const r = envSchemas(dotenv);
      if (r) env = { path: join(dir, '.env'), r };
    }
    if (!confFound && !envFound) return 'none';
    // (PostgREST reads PGRST_DB_SCHEMAS, then the file's db-schemas, then PGRST_DB_SCHEMA, then
    // db-schema: the first that is set decides, a value the lint cannot read too)
    const rank = (g: Got) => ['PGRST_DB_SCHEMAS', 'db-schemas', 'PGRST_DB_SCHEMA', 'db-schema'].indexOf(g.r.key ?? '') >>> 0;
    const first = [env, conf].filter((g): g is Got => !!g).sort((x, y) => rank(x) - rank(y))[0];
    if (!first) return null;
    if ('problem' in first.r) {
      log(first.path, `${first.r.problem}${NOT_USED}`);
      return null;
    }
    const shown = ids(dir);
    if (!shown) return null;
    return { folder: shown.prefix, source: `${shown.shown}${basename(first.path)}`, schemas: first.r.schemas, postgrest: { key: first.r.key } };
  };
  const folders = new Set<string>();
  for (const f of files) folders.add(dirname(f));
  const cache = new Map<string, ApiSchemas | null | 'none'>();
  for (const start of [...folders].sort()) {
    // (a few folders up at most: db/deploy/tables/x.sql is three below a repository's postgrest.conf)
    for (let dir = start, up = 0; up < 5; dir = dirname(dir), up++) {
      let c = cache.get(dir);
      if (c === undefined) {
        c = await configOf(dir);
        cache.set(dir, c);
        if (c && c !== 'none') out.push(c);
      }
      if (c !== 'none') break;
      if (existsSync(join(dir, '.git')) || dirname(dir) === dir) break;
    }
  }
  return out;
}

/**
 * The SQL files the docker compose files near `files` (in their folders and up to a few above,
 * not past the one holding `.git`, as readPostgrestSchemas) mount into the postgres image's
 * `/docker-entrypoint-initdb.d/`, as file ids (`ids`), in the order its entrypoint runs them when
 * it makes the database (docker-initdb.ts). Only files of the workspace count; a compose file that
 * cannot be read is told to `log` and left out. Never throws.
 */
export async function readInitdbScripts(files: Iterable<string>, ids: ProjectIds, log: (path: string, problem: string) => void): Promise<InitdbScripts[]> {
  const out: InitdbScripts[] = [];
  const known = new Set<string>();
  const folders = new Set<string>();
  for (const f of files) {
    known.add(resolve(f));
    folders.add(dirname(f));
  }
  for (const dir of foldersAbove([...folders].sort())) {
    for (const n of COMPOSE_FILES) {
      const path = join(dir, n);
      if (!existsSync(path)) continue;
      const r = await readTextFile(path, 'config');
      if (!r.ok) {
        if (!r.missing && (r.utf16 === undefined || r.utf16.includes('docker-entrypoint-initdb.d'))) log(path, `${r.reason}; the files it mounts into /docker-entrypoint-initdb.d/ are replayed in path order`);
        continue;
      }
      const mounts = composeInitdbMounts(r.text);
      if (!mounts.length) continue;
      const filesOf = (source: string): string[] | undefined => {
        const p = resolve(dir, source);
        try {
          return statSync(p).isDirectory() ? readdirSync(p).sort() : undefined;
        } catch {
          return undefined;
        }
      };
      const run = initdbRunOrder(mounts, filesOf).map((s) => resolve(dir, s)).filter((p) => known.has(p));
      const runIds = run.flatMap((p) => {
        const at = ids(dirname(p));
        return at ? [`${at.prefix}${basename(p)}`] : [];
      });
      const shown = ids(dir);
      if (runIds.length) out.push({ source: `${shown?.shown ?? ''}${n}`, files: runIds });
    }
  }
  return out;
}
