// A graphile-migrate project (`.gmrc` at its root, JSON5): the order `graphile-migrate reset`
// (then `watch`) runs its migrations folder's files in. Reset creates the database, runs the
// `afterReset` actions (src/commands/reset.ts), then migrate runs `committed/` (src/migration.ts,
// getAllMigrations: the files named `<number>[-<slug>].sql`, by number); watch runs the current
// migration last: `current.sql`, or the `current/` folder's `<number>[-<slug>].sql` files by
// number (src/current.ts). An afterReset action is a string naming a SQL file of the migrations
// folder (`!file.sql`: run as the root user), or an object: `{"_": "sql", "file": "x.sql"}` names
// one, `{"_": "command", …}` runs a shell command (src/actions.ts). Pure: the `.gmrc`'s text in,
// the settings the replay order needs out. Never throws. (A `.gmrc.js` is not read.)
import JSON5 from 'json5';
import { decodedId } from './file-id.js';
import { searchPathSetting } from './ast.js';

/** A graphile-migrate project, for the replay order (migrationOrder). */
export interface GraphileMigrate {
  /** the file ids of its migrations folder's files start with this (`/`-terminated) */
  folder: string;
  /** the `.gmrc` as shown to the user */
  source: string;
  /** the file ids of the SQL files its afterReset actions run, in their order */
  afterReset: string[];
  /**
   * The search_path its `pgSettings` give (`"pgSettings": {"search_path": "app_public, app_private"}`):
   * graphile-migrate's withClient (src/pgReal.ts) runs `select pg_catalog.set_config(key, value,
   * false)` for each setting on every connection it opens, before the migration (and the
   * afterReset SQL) runs, so each of its files starts with this path. Unset: the server's default.
   */
  searchPath?: string[];
}

/** What the replay order needs of a `.gmrc`: its `migrationsFolder` (when set) and the files its afterReset actions run, as written (relative to the migrations folder). */
export interface GmrcSettings {
  migrationsFolder?: string;
  afterReset: string[];
  /** pgSettings.search_path as the server parses it (searchPathSetting) */
  searchPath?: string[];
}

/**
 * The settings of a `.gmrc`, or what keeps graphile-migrate from reading it (JSON5.parse, as its
 * getSettingsFromJSON; then the checks of its settings.ts and actions.ts on the two settings read
 * here). A single action is taken as a list of one, as graphile-migrate does.
 */
export function gmrcSettings(text: string): GmrcSettings | { problem: string } {
  let json: unknown;
  try {
    json = JSON5.parse(text);
  } catch (e) {
    return { problem: `not valid JSON5 (${(e as Error).message})` };
  }
  if (!json || typeof json !== 'object' || Array.isArray(json)) return { problem: 'not a JSON5 object' };
  const raw = json as { migrationsFolder?: unknown; afterReset?: unknown };
  if (raw.migrationsFolder !== undefined && typeof raw.migrationsFolder !== 'string') return { problem: '"migrationsFolder" is not a string' };
  const afterReset: string[] = [];
  const actions = !raw.afterReset ? [] : Array.isArray(raw.afterReset) ? raw.afterReset : [raw.afterReset];
  for (const [i, a] of actions.entries()) {
    if (typeof a === 'string' && a !== '') {
      afterReset.push(a.startsWith('!') ? a.slice(1) : a);
      continue;
    }
    const spec = a && typeof a === 'object' && !Array.isArray(a) ? (a as { _?: unknown; file?: unknown; command?: unknown }) : undefined;
    // (an object without "_" but with a command string: graphile-migrate 0.0.3's command action, still run)
    if (spec && (spec._ === 'command' || (!spec._ && typeof spec.command === 'string'))) continue;
    if (spec && spec._ === 'sql' && typeof spec.file === 'string') {
      afterReset.push(spec.file);
      continue;
    }
    return { problem: `"afterReset" action ${i} is neither a file name nor a {"_": "sql", "file": …} or {"_": "command", …} action` };
  }
  const settings = (json as { pgSettings?: unknown }).pgSettings;
  const path = settings && typeof settings === 'object' && typeof (settings as { search_path?: unknown }).search_path === 'string' ? searchPathSetting((settings as { search_path: string }).search_path) : undefined;
  return { ...(raw.migrationsFolder !== undefined ? { migrationsFolder: raw.migrationsFolder as string } : {}), afterReset, ...(path ? { searchPath: path } : {}) };
}

/** graphile-migrate's migration file names (committed/ and current/): a number, an optional `-slug`, `.sql`. */
const MIGRATION_NAME = /^([0-9]+)(?:-[-_a-zA-Z0-9]*)?\.sql$/;

/**
 * Where each file runs in its graphile-migrate project: `[group, place]`, group 0 for the
 * afterReset files (place: the action's index), 1 for committed/ (place: its number), 2 for the
 * current migration (current.sql; current/'s files by number), 3 for the other files of the
 * migrations folder (which keep their order); undefined for a file of no project.
 */
export function graphileRanks(files: ReadonlyArray<{ file: string }>, projects: readonly GraphileMigrate[]): Array<{ project: GraphileMigrate; group: number; place: number } | undefined> {
  const afterReset = new Map<string, { project: GraphileMigrate; place: number }>();
  for (const p of projects) {
    // (a file named twice runs twice; its first place is kept here)
    p.afterReset.forEach((id, place) => {
      const k = decodedId(id);
      if (!afterReset.has(k)) afterReset.set(k, { project: p, place });
    });
  }
  const folders = projects.map((p) => decodedId(p.folder));
  return files.map(({ file }) => {
    const path = decodedId(file);
    const first = afterReset.get(path);
    if (first) return { ...first, group: 0 };
    const at = folders.findIndex((f) => path.startsWith(f));
    if (at < 0) return undefined;
    const project = projects[at]!;
    const rel = path.slice(folders[at]!.length);
    const committed = /^committed\/([^/]+)$/.exec(rel);
    const numbered = committed && MIGRATION_NAME.exec(committed[1]!);
    if (numbered) return { project, group: 1, place: parseInt(numbered[1]!, 10) };
    if (rel === 'current.sql') return { project, group: 2, place: 0 };
    const current = /^current\/([^/]+)$/.exec(rel);
    const part = current && !current[1]!.startsWith('.') && MIGRATION_NAME.exec(current[1]!);
    if (part) return { project, group: 2, place: parseInt(part[1]!, 10) };
    return { project, group: 3, place: 0 };
  });
}

/**
 * The SQL files of graphile-migrate projects' migrations folders that graphile-migrate never
 * runs: neither an afterReset action's file, nor `committed/`'s numbered migrations, nor the
 * current migration (`current.sql`, `current/`), nor a fixture (`fixtures/`, whose text a
 * migration's `--! include` takes in where it stands). Reset and migrate read only those
 * (src/migration.ts getAllMigrations, src/current.ts); a scratch file kept beside them
 * (Soren-365/postgraphileStarter's `migrations/test.sql` and `test copy.sql`, which re-make
 * tables its current.sql makes) is never applied. With the project that leaves each out.
 */
export function unrunGraphileFiles(files: Iterable<string>, projects: readonly GraphileMigrate[]): Map<string, GraphileMigrate> {
  const out = new Map<string, GraphileMigrate>();
  if (projects.length === 0) return out;
  const list = [...files].filter((f) => /\.sql$/i.test(decodedId(f)));
  const ranks = graphileRanks(list.map((file) => ({ file })), projects);
  list.forEach((file, i) => {
    const r = ranks[i];
    if (r?.group !== 3) return;
    const rel = decodedId(file).slice(decodedId(r.project.folder).length);
    // (a fixture runs where a migration includes it; a current/ file without a number stops watch with an error)
    if (/^(?:fixtures|current)\//.test(rel)) return;
    out.set(file, r.project);
  });
  return out;
}
