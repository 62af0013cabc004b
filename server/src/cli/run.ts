// CLI orchestration without printing: arguments → files → findings (→ fixes written).
import { existsSync, readdirSync, statSync } from 'node:fs';
import { readFile, rename, unlink, writeFile } from 'node:fs/promises';
import { dirname, basename, isAbsolute, join, relative, resolve, sep } from 'node:path';
import { glob, isDynamicPattern } from 'tinyglobby';
import picomatch from 'picomatch';
import { CONFIG_FILE_NAME, mergeConfig, parseConfigText, parseRuleFlag, type Config, type RuleSetting } from '../analysis/config.js';
import { applyEdits, initParser, ruleIds, safeFixEdits, Workspace, type Finding } from '../engine/workspace.js';
import { changelogsUnder, discoverFiles, otherLanguageMigrations, otherLanguageOf, readApiSchemas, readDrizzleJournals, readGraphileMigrate, readInitdbScripts, readLiquibaseChangelogs, readPostgrestSchemas, readSqitchPlans, readTextFile, relativeTo, SQL_FILE_NAME } from '../io/files.js';
import type { Database } from '../analysis/databases.js';
import { isArchiveReplayed, migrationOrderOf, notReplayedReason, replayFileOrder } from '../analysis/model.js';
import { lex } from '../analysis/parse.js';
import { counted } from '../analysis/words.js';

/** A usage or I/O problem: exit code 2 with one clear line. */
export class CliError extends Error {}

export interface LintOptions {
  paths: string[];
  cwd: string;
  configPath?: string;
  rules: string[];
  fix: boolean;
  /**
   * `--workspace <dir>`: the folder (or file, or glob) replayed as the workspace beside `paths`,
   * whose findings alone are then reported (and fixed): a pre-commit hook or a CI step that passes
   * the changed files gets them linted against every migration, not alone
   */
  workspace?: string;
  /**
   * `--fix` with `--baseline`: of each file's findings (path as shown, text as the pass sees it),
   * the ones whose fixes may be applied (baseline.ts fixableOutside); every finding without it
   */
  fixable?: (files: readonly LintedFile[]) => Finding[][];
  /** told what is wrong with a file read beside the SQL (a Supabase config.toml that cannot be parsed); the run goes on */
  warn?: (message: string) => void;
}

export interface LintedFile {
  /** relative to cwd, forward slashes */
  path: string;
  absolute: string;
  text: string;
  findings: Finding[];
}

export interface LintRun {
  files: LintedFile[];
  config: Config;
  /** files rewritten by --fix, and files left alone because they changed on disk */
  fixed: string[];
  skipped: string[];
  /** files that could not be read (binary, not UTF-8, too large, no permission): not linted */
  unreadable: Array<{ path: string; reason: string }>;
  /** the databases the files make, each replayed on its own (one, named '', unless they make several: analysis/databases.ts) */
  databases: Database[];
  /** files parsed (a syntax error is reported) but not replayed at all, with why (model.ts notReplayedReason): their statements reach no rule */
  notReplayed: Array<{ path: string; reason: string }>;
  /** files in folders inside a supabase/migrations/ that holds no file itself, replayed as the project's history in path order (snapshot.ts historyInArchives) */
  historyInFolders: string[];
  /** with --baseline: the findings it left out, and its entries no finding matched (baseline.ts) */
  baseline?: { path: string; suppressed: number; stale: number };
}

/**
 * The folder the CLI's file ids are relative to: `cwd`, unless `cwd` is in a Supabase project's
 * `supabase/` folder (one holding config.toml or migrations/, or a folder below it): then the folder
 * holding that one, so that ids keep the `supabase/migrations/…` the analysis knows the layout by
 * (its Supabase roles, the CLI's file-name rules and order) wherever the CLI is run from. Paths
 * shown are relative to `cwd` either way.
 */
export function idBase(cwd: string): string {
  for (let dir = resolve(cwd); ; ) {
    if (basename(dir) === 'supabase' && (existsSync(join(dir, 'config.toml')) || existsSync(join(dir, 'migrations')))) return dirname(dir);
    const up = dirname(dir);
    if (up === dir) return cwd;
    dir = up;
  }
}

export const toDisplay = (cwd: string, abs: string) => {
  const rel = relative(cwd, abs) || basename(abs);
  return sep === '\\' ? rel.split(sep).join('/') : rel;
};

export async function loadConfig(cwd: string, configPath: string | undefined, ruleFlags: string[]): Promise<Config> {
  let fileConfig = {};
  const path = configPath ? resolve(cwd, configPath) : join(cwd, CONFIG_FILE_NAME);
  if (configPath || existsSync(path)) {
    const read = await readTextFile(path, 'config');
    if (!read.ok) throw new CliError(`cannot read config ${toDisplay(cwd, path)}: ${read.reason}`);
    const { config, problems } = parseConfigText(read.text, ruleIds);
    const fatal = problems.find((p) => p.message.startsWith('invalid JSON') || p.message.includes('must be a JSON object'));
    if (fatal) throw new CliError(`invalid config ${toDisplay(cwd, path)}: ${fatal.message}`);
    if (problems.length) throw new CliError(`invalid config ${toDisplay(cwd, path)}: ${problems.map((p) => p.message).join('; ')}`);
    fileConfig = config;
  }
  const rules: Record<string, RuleSetting> = {};
  for (const flag of ruleFlags) {
    const r = parseRuleFlag(flag);
    if (typeof r === 'string') throw new CliError(r);
    if (!ruleIds.has(r.id)) throw new CliError(`--rule: unknown rule "${r.id}" (known: ${[...ruleIds].sort().join(', ')})`);
    rules[r.id] = r.setting;
  }
  return mergeConfig(fileConfig, { rules });
}

/**
 * The files of a directory the command line names: the config's globs are relative to the root
 * (`cwd`, where its .pg-rls-lint.json is read), as the README says — `pg-rls-lint db` with
 * `"exclude": ["db/sub/**"]` leaves db/sub out, and `"include": ["db/**\/*.sql"]` finds db's files —
 * and, as they were matched before, relative to the directory itself too.
 */
async function directoryFiles(abs: string, cwd: string, config: Config, log: (message: string) => void): Promise<string[]> {
  const found = await discoverFiles(abs, config, log);
  if (relativeTo(cwd, abs) === undefined) return found;
  const out = new Set(found);
  // (patterns written from the root's top: a `**/` one finds the same files either way)
  if (config.include.some((p) => !p.startsWith('**'))) for (const f of await discoverFiles(cwd, config, log)) if (relativeTo(abs, f) !== undefined) out.add(f);
  if (config.exclude.length === 0) return [...out];
  const excluded = picomatch(config.exclude, { dot: false });
  return [...out].filter((f) => !excluded(relativeTo(cwd, f) ?? ''));
}

/**
 * Expands the command line's paths: directories are walked like a workspace; globs expand.
 * `changelogs`: the Liquibase changelogs under the directories (readBeside follows them): a
 * project whose SQL is all in its changelogs' <sql> changes, alone or beside SQL files that are
 * not its own (test fixtures, init scripts) in folders far from its changelogs.
 */
export async function collectFiles(paths: string[], cwd: string, config: Config): Promise<{ files: string[]; changelogs: string[]; dirs: string[] }> {
  const out = new Set<string>();
  const dirs: string[] = [];
  const given = paths.length ? paths : ['.'];
  for (const p of given) {
    const abs = resolve(cwd, p);
    if (existsSync(abs)) {
      const st = statSync(abs);
      if (st.isDirectory()) {
        dirs.push(abs);
        const errors: string[] = [];
        for (const f of await directoryFiles(abs, cwd, config, (m) => errors.push(m))) out.add(f);
        if (errors.length) throw new CliError(errors[0]!);
      } else out.add(abs); // an explicit file is linted whatever its extension
      continue;
    }
    if (isDynamicPattern(p)) {
      const found = await glob(p, { cwd, absolute: true, onlyFiles: true, ignore: ['**/node_modules/**', '**/.git/**'] });
      if (found.length === 0) throw new CliError(`no files match ${p}`);
      found.forEach((f) => out.add(f));
      continue;
    }
    throw new CliError(`no such file or directory: ${p}`);
  }
  // (the Liquibase changelogs under the directories, followed wherever they are: a project whose
  // SQL is all in its changelogs may sit beside SQL files that are not its own, test fixtures or
  // init scripts, in folders its changelogs are not near)
  const changelogs: string[] = [];
  for (const d of dirs) changelogs.push(...(await changelogsUnder(d)));
  // (directories only, as a glob that matches nothing is refused above: a wrong path or include
  // must not pass as a clean lint)
  if (out.size === 0) {
    if (changelogs.length === 0) throw noSqlFiles(given, config, [], await otherMigrations(cwd, dirs));
    return { files: [], changelogs, dirs };
  }
  return { files: [...out], changelogs, dirs };
}

/** The migrations under the directories written in another language that set up row-level security (io/files.ts otherLanguageMigrations), as shown. */
async function otherMigrations(cwd: string, dirs: readonly string[]): Promise<string[]> {
  const out = new Set<string>();
  for (const d of dirs) for (const f of await otherLanguageMigrations(d)) out.add(toDisplay(cwd, f));
  return [...out];
}

/** What the CLI says of migrations in another language that set up row-level security (otherMigrations): not linted, and what to do. */
function otherMigrationsText(others: readonly string[]): string {
  const shown = others.length > 3 ? `${others.slice(0, 3).join(', ')} …` : others.join(', ');
  return `${counted(others.length, 'migration')} written in another language ${others.length === 1 ? 'sets' : 'set'} up row-level security (${shown}), and pg-rls-lint reads SQL files only: ${others.length === 1 ? 'its' : 'their'} policies are not linted. Lint a schema dump of the migrated database (pg_dump --schema-only > schema.sql), or keep that SQL in .sql files`;
}

/** The usage error for paths that give no SQL to lint (`changelogs`: the Liquibase changelogs found, none holding SQL of its own). */
export function noSqlFiles(given: readonly string[], config: Config, changelogs: readonly string[] = [], others: readonly string[] = []): CliError {
  const also = (changelogs.length ? `; nor SQL of their own in the Liquibase changelogs ${changelogs.join(', ')}` : '') + (others.length ? `; ${otherMigrationsText(others)}` : '');
  return new CliError(`no SQL files in ${given.length ? given.join(', ') : '.'} (include: ${config.include.join(', ') || 'none'}${config.exclude.length ? `; exclude: ${config.exclude.join(', ')}` : ''}; node_modules and .git are skipped)${also}`);
}

/** Reads the files; those that cannot be read are returned apart, with the reason. */
export async function readFiles(cwd: string, absolute: string[], base = cwd): Promise<{ files: Array<{ path: string; absolute: string; text: string }>; unreadable: LintRun['unreadable'] }> {
  const files: Array<{ path: string; absolute: string; text: string }> = [];
  const unreadable: LintRun['unreadable'] = [];
  for (const abs of absolute) {
    const language = otherLanguageOf(abs);
    if (language) {
      unreadable.push({ path: toDisplay(cwd, abs), reason: `${/^[AEIOU]/.test(language) ? 'an' : 'a'} ${language} file, not SQL: pg-rls-lint reads SQL files only` });
      continue;
    }
    const read = await readTextFile(abs);
    if (read.ok) files.push({ path: toDisplay(base, abs), absolute: abs, text: read.text });
    else unreadable.push({ path: toDisplay(cwd, abs), reason: read.reason });
  }
  return { files, unreadable };
}

/**
 * For commands that need every file (a replay with one missing would mislead), with the files
 * they include (readIncluded; the parser must be ready): the first unreadable one is an error.
 */
export async function readAllFiles(cwd: string, absolute: string[], warn?: (message: string) => void, base = cwd): Promise<Array<{ path: string; absolute: string; text: string }>> {
  const { files, unreadable } = await readFiles(cwd, absolute, base);
  const included = await readIncluded(cwd, files, warn, base);
  files.push(...included.files);
  unreadable.push(...included.unreadable);
  if (unreadable.length) throw new CliError(`cannot read ${unreadable[0]!.path}: ${unreadable[0]!.reason}`);
  return files;
}

/**
 * The files that psql's `\i` / `\ir` in `files` include, transitively, and that are not among
 * them, read: a `main.sql` of `\ir tables.sql` lines given alone is linted with what it runs.
 * `\ir` is relative to the including file's folder; `\i` to psql's working directory, which is not
 * known: `cwd`, else the including file's folder or one of its ancestors (the first that holds
 * the file, as the model resolves it). An include found nowhere is told to `warn`.
 */
export async function readIncluded(
  cwd: string,
  files: ReadonlyArray<{ absolute: string; text: string }>,
  warn: (message: string) => void = () => undefined,
  base = cwd,
): Promise<{ files: Array<{ path: string; absolute: string; text: string }>; unreadable: LintRun['unreadable'] }> {
  const known = new Set(files.map((f) => resolve(f.absolute)));
  const out: Awaited<ReturnType<typeof readIncluded>> = { files: [], unreadable: [] };
  const queue = [...files];
  const isFile = (p: string) => existsSync(p) && statSync(p).isFile();
  for (let i = 0; i < queue.length; i++) {
    const from = queue[i]!;
    for (const inc of lex(from.text).includes) {
      const path = inc.path.replace(/\\/g, '/');
      const candidates: string[] = [];
      if (isAbsolute(path)) candidates.push(path);
      else if (inc.relative) candidates.push(resolve(dirname(from.absolute), path));
      else {
        candidates.push(resolve(cwd, path));
        for (let dir = dirname(from.absolute); ; dir = dirname(dir)) {
          candidates.push(resolve(dir, path));
          if (dirname(dir) === dir) break;
        }
      }
      const found = candidates.find(isFile);
      if (!found) {
        warn(`${toDisplay(cwd, from.absolute)}: cannot find the file \\${inc.relative ? 'ir' : 'i'} ${inc.path} includes (looked for ${toDisplay(cwd, candidates[0]!)}): what it runs is not linted`);
        continue;
      }
      if (known.has(found)) continue;
      known.add(found);
      const read = await readTextFile(found);
      if (!read.ok) {
        out.unreadable.push({ path: toDisplay(cwd, found), reason: read.reason });
        continue;
      }
      const f = { path: toDisplay(base, found), absolute: found, text: read.text };
      out.files.push(f);
      queue.push(f);
    }
  }
  return out;
}

export async function lint(options: LintOptions): Promise<LintRun> {
  const config = await loadConfig(options.cwd, options.configPath, options.rules);
  const base = idBase(options.cwd);
  const given = options.workspace === undefined ? options.paths : [options.workspace, ...options.paths];
  const { collected, reported } = await collectWithWorkspace(options, config);
  const read = await readFiles(options.cwd, collected.files, base);
  await initParser();
  const included = await readIncluded(options.cwd, read.files, options.warn, base);
  read.files.push(...included.files);
  read.unreadable.push(...included.unreadable);
  if (options.workspace === undefined) warnAlone(options, read.files.map((f) => f.absolute));
  const files: LintedFile[] = read.files.map((f) => ({ ...f, findings: [] }));
  const ws = new Workspace(config, undefined, { relPath: rootRelative(options.cwd, base, given) });
  for (const f of files) ws.setFile(f.path, f.text);
  const changelogs = await readBeside(ws, options.cwd, files.map((f) => f.absolute), options.warn, base, collected.changelogs);
  // (a changelog holding SQL of its own is linted too: its parts' findings are its)
  for (const c of changelogs) if (!files.some((f) => f.path === c.path)) files.push({ path: c.path, absolute: c.absolute, text: c.text, findings: [] });
  const others = await otherMigrations(options.cwd, collected.dirs);
  if (files.length === 0 && read.unreadable.length === 0) throw noSqlFiles(options.paths, config, collected.changelogs.map((c) => toDisplay(options.cwd, c)), others);
  if (others.length) options.warn?.(otherMigrationsText(others));
  const fixed = new Set<string>();
  const skipped = new Set<string>();
  // (ids relative to the project's folder: shown relative to cwd)
  const shown = (id: string) => (base === options.cwd ? id : toDisplay(options.cwd, resolve(base, id)));
  if (options.fix) {
    // one fix can enable another (e.g. ENABLE then FORCE): repeat while something changes
    for (let pass = 0; pass < 10; pass++) {
      const result = ws.lint();
      // (a fix of a finding in one file may edit another: the FORCE for a table made in 1_tables.sql
      // goes after its ENABLE in 2_rls.sql; each file takes the fixes whose edits are all its own)
      const byFile = [...ws.onChangelogs(result.byFile)];
      const all = options.fixable
        ? options.fixable(byFile.map(([id, findings]) => ({ path: shown(id), absolute: resolve(base, id), text: ws.text(id) ?? '', findings }))).flat()
        : byFile.flatMap(([, findings]) => findings);
      let changed = false;
      for (const f of files) {
        if (skipped.has(f.path) || !isReported(reported, f.absolute)) continue;
        const edits = safeFixEdits(all, f.path);
        if (edits.length === 0) continue;
        ws.setFile(f.path, applyEdits(ws.text(f.path)!, edits));
        changed = true;
      }
      if (!changed) break;
    }
    for (const f of files) {
      const next = ws.text(f.path)!;
      if (next === f.text) continue;
      if (await writeIfUnchanged(f.absolute, f.text, next)) {
        fixed.add(f.path);
        f.text = next;
      } else {
        skipped.add(f.path);
        ws.setFile(f.path, f.text); // report what is on disk
      }
    }
  }
  const result = ws.lint();
  // (a changelog's parts' findings are its own)
  const byFile = ws.onChangelogs(result.byFile);
  for (const f of files) f.findings = byFile.get(f.path) ?? [];
  // (each database's files in the order they are replayed: natural path order, sqitch's plan and
  // requires, a Drizzle Kit journal's order, a graphile-migrate project's, a Liquibase changelog's, psql's includes where they are included)
  const databases = ws.databases().map((d) => {
    const c = ws.configOf(d.files[0]);
    const ordered = migrationOrderOf(d.files.map((file) => ({ file, text: ws.text(file) })), c);
    return { ...d, files: replayFileOrder(ordered.map((f) => ws.parsed(f.file)!)).map((f) => f.file) };
  });
  // (files with statements none of which is replayed: told, so that a clean run is not taken for a clean history)
  const notReplayed: LintRun['notReplayed'] = [];
  const historyInFolders: string[] = [];
  for (const f of files) {
    const pf = ws.parsed(f.path);
    const reason = pf && pf.statements.some((st) => st.origin === 'file') ? notReplayedReason(pf) : undefined;
    if (reason !== undefined) notReplayed.push({ path: f.path, reason });
    else if (pf && isArchiveReplayed(pf)) historyInFolders.push(f.path);
  }
  // (in the order they are replayed, as the output says)
  const place = new Map(databases.flatMap((d) => d.files).map((id, i) => [id, i]));
  historyInFolders.sort((a, b) => (place.get(a) ?? 0) - (place.get(b) ?? 0));
  if (base !== options.cwd) {
    for (const f of files) {
      f.path = shown(f.path);
      f.findings = f.findings.map((d) => (d.fixes.length ? { ...d, fixes: d.fixes.map((x) => ({ ...x, edits: x.edits.map((e) => ({ ...e, file: shown(e.file) })) })) } : d));
    }
    for (const d of databases) d.files = d.files.map(shown);
    for (const n of notReplayed) n.path = shown(n.path);
    historyInFolders.forEach((p, i) => (historyInFolders[i] = shown(p)));
  }
  // (in path order, as the files: the walk finds them in no set order, and a run must print what the run before printed)
  const byPath = (a: { path: string }, b: { path: string }) => a.path.localeCompare(b.path, 'en', { numeric: true });
  files.sort(byPath);
  notReplayed.sort(byPath);
  // (--workspace: the workspace's other files were replayed, not reported)
  return { files: reported ? files.filter((f) => isReported(reported, f.absolute)) : files, config, fixed: [...fixed].map(shown), skipped: [...skipped].map(shown), unreadable: read.unreadable, databases, notReplayed, historyInFolders };
}

/** Whether a file is reported: every file without --workspace (`reported` undefined), else the ones the paths name. */
const isReported = (reported: ReadonlySet<string> | undefined, absolute: string): boolean => !reported || reported.has(resolve(absolute));

/**
 * The files to replay and, with --workspace, the ones to report: the workspace's files and the
 * paths' (a path outside the workspace is replayed too); no paths report the whole workspace.
 */
async function collectWithWorkspace(options: LintOptions, config: Config): Promise<{ collected: Awaited<ReturnType<typeof collectFiles>>; reported?: Set<string> }> {
  if (options.workspace === undefined) return { collected: await collectFiles(options.paths, options.cwd, config) };
  const ws = await collectFiles([options.workspace], options.cwd, config);
  if (options.paths.length === 0) return { collected: ws };
  const own = await collectFiles(options.paths, options.cwd, config);
  const union = (a: readonly string[], b: readonly string[]) => [...new Set([...a, ...b])];
  return {
    collected: { files: union(ws.files, own.files), changelogs: union(ws.changelogs, own.changelogs), dirs: union(ws.dirs, own.dirs) },
    reported: new Set([...own.files, ...own.changelogs].map((f) => resolve(f))),
  };
}

/**
 * Tells `warn` when the command line names files only and SQL files beside them are left out (a
 * pre-commit hook passing one changed migration): what those do — RLS enabled, policies, grants
 * made there — is not seen, so findings that depend on it may be wrong or missing.
 */
function warnAlone(options: LintOptions, replayed: readonly string[]): void {
  if (!options.warn || options.paths.length === 0) return;
  const abs = options.paths.map((p) => resolve(options.cwd, p));
  if (!abs.every((p) => existsSync(p) && statSync(p).isFile())) return;
  const known = new Set(replayed.map((f) => resolve(f)));
  const left = new Map<string, string[]>();
  for (const dir of new Set(abs.map((p) => dirname(p)))) {
    let names: string[];
    try {
      names = readdirSync(dir).filter((n) => SQL_FILE_NAME.test(n)).sort();
    } catch {
      continue;
    }
    const others = names.filter((n) => !known.has(join(dir, n)));
    if (others.length) left.set(dir, others);
  }
  if (left.size === 0) return;
  const [dir, others] = [...left][0]!;
  const where = toDisplay(options.cwd, dir);
  const n = [...left.values()].reduce((k, o) => k + o.length, 0);
  const named = abs.length === 1 ? `${toDisplay(options.cwd, abs[0]!)} is` : `these ${abs.length} files are`;
  options.warn(
    `${named} linted without the ${counted(n, 'other SQL file')} in ${left.size === 1 ? 'the same folder' : 'the same folders'} (${where}/: ${others.slice(0, 2).join(', ')}${n > 2 ? ' …' : ''}): ` +
      `what they do (RLS enabled, policies, grants) is not seen, so findings that depend on it may be wrong or missing. ` +
      `Lint the folder, or pass --workspace ${where} to replay it and report only the files named.`,
  );
}

/**
 * A file id's path relative to the config's root (the CLI's ids are paths relative to `cwd`,
 * where its `.pg-rls-lint.json` is read: the `databases` globs are relative to it), `/`-separated.
 * A file outside it, under a folder given on the command line (`pg-rls-lint ../other/repo`), is
 * given its path from that folder's parent, the folder's name first (`repo/svc_a/…`,
 * `supabase/migrations/…`): the layout the analysis reads (one database per migration sequence, a
 * Supabase project's folders) is then the same wherever the CLI runs from. Undefined for any
 * other file (one a psql include reaches elsewhere), which joins the rest.
 */
export function rootRelative(cwd: string, base = cwd, given: readonly string[] = []): (id: string) => string | undefined {
  // (the given folders outside cwd, a file's own folder for a file, the deepest first)
  const roots = given
    .map((p) => resolve(cwd, p))
    .map((p) => (existsSync(p) && statSync(p).isFile() ? dirname(p) : p))
    .filter((p) => relativeTo(cwd, p) === undefined && resolve(cwd) !== p)
    .sort((a, b) => b.length - a.length);
  return (id) => {
    const abs = resolve(base, id);
    const inside = relativeTo(cwd, abs);
    if (inside !== undefined || roots.length === 0) return inside;
    const root = roots.find((r) => relativeTo(r, abs) !== undefined);
    return root === undefined ? undefined : relativeTo(dirname(root), abs);
  };
}

/**
 * What the files' projects keep beside them, read into the workspace: the `supabase/config.toml`
 * of each Supabase project (the schemas its Data API serves), the `postgrest.conf` (or
 * PGRST_DB_SCHEMAS) of a plain PostgREST project (the schemas it serves), the `sqitch.plan` of each sqitch
 * project (its replay order), the `meta/_journal.json` of each Drizzle Kit migrations folder
 * (its replay order, and the files it never applies), the `.gmrc` of each graphile-migrate
 * project (its replay order) and the master changelog of each Liquibase project (its replay order,
 * and the files it never runs), with the CLI's file ids (paths relative to `cwd`). A file that
 * cannot be read or parsed is told to `warn`; the run goes on.
 */
export async function readBeside(ws: Workspace, cwd: string, absolute: readonly string[], warn: (message: string) => void = () => undefined, base = cwd, found: readonly string[] = []): Promise<ChangelogSql[]> {
  const ids = (folder: string) => {
    // (a folder that is the ids' base, or holds it, holds every file: the prefix of their ids is '')
    const rel = relative(base, folder);
    const prefix = rel === '' || /^\.\.(?:[\\/]\.\.)*$/.test(rel) ? '' : `${toDisplay(base, folder)}/`;
    return { prefix, shown: relative(cwd, folder) === '' ? '' : `${toDisplay(cwd, folder)}/` };
  };
  const problem = (path: string, text: string) => warn(`${toDisplay(cwd, path)}: ${text}`);
  ws.setApiSchemas([...(await readApiSchemas(absolute, ids, problem)), ...(await readPostgrestSchemas(absolute, ids, problem))]);
  ws.setSqitchPlans(await readSqitchPlans(absolute, ids, problem));
  ws.setDrizzleJournals(await readDrizzleJournals(absolute, ids, problem));
  ws.setGraphileMigrate(await readGraphileMigrate(absolute, ids, problem));
  ws.setLiquibaseChangelogs(await readLiquibaseChangelogs(found.length ? [...absolute, ...found] : absolute, ids, problem, { top: cwd }));
  ws.setInitdbScripts(await readInitdbScripts(absolute, ids, problem));
  // (the Liquibase changelogs holding SQL of their own: each part given its changelog's text)
  const changelogs = new Map<string, ChangelogSql>();
  for (const [part, changelog] of ws.liquibaseParts()) {
    let c = changelogs.get(changelog);
    if (!c) {
      const abs = resolve(base, changelog);
      const read = await readTextFile(abs);
      if (!read.ok) {
        problem(abs, `cannot be read (${read.reason}): the SQL it holds is not linted`);
        continue;
      }
      changelogs.set(changelog, (c = { path: changelog, absolute: abs, text: read.text, parts: [] }));
    }
    c.parts.push(part);
    ws.setFile(part, c.text);
  }
  return [...changelogs.values()];
}

/** A Liquibase changelog holding SQL of its own (a changeSet's <sql>): its file id, path and text, and its parts' ids (Workspace.liquibaseParts). */
export interface ChangelogSql {
  path: string;
  absolute: string;
  text: string;
  parts: string[];
}

/**
 * Writes `next` to `path` atomically (temp file in the same folder, then rename), only if the
 * file still holds `expected`. Returns false (and writes nothing) when it changed meanwhile.
 */
export async function writeIfUnchanged(path: string, expected: string, next: string): Promise<boolean> {
  // the text was read without its UTF-8 byte order mark (as editors show it); a file that has
  // one keeps it
  const onDisk = async () => {
    const raw = await readFile(path, 'utf8');
    return raw.charCodeAt(0) === 0xfeff ? { bom: true, text: raw.slice(1) } : { bom: false, text: raw };
  };
  let current: { bom: boolean; text: string };
  try {
    current = await onDisk();
  } catch {
    return false;
  }
  if (current.text !== expected) return false;
  const tmp = join(dirname(path), `.${basename(path)}.pg-rls-lint-${process.pid}.tmp`);
  try {
    await writeFile(tmp, current.bom ? `\ufeff${next}` : next, { flag: 'wx' });
    // last check right before the rename: another writer may have been faster
    if ((await onDisk()).text !== expected) {
      await unlink(tmp);
      return false;
    }
    await rename(tmp, path);
    return true;
  } catch (e) {
    await unlink(tmp).catch(() => undefined);
    throw new CliError(`cannot write ${path}: ${(e as Error).message}`);
  }
}

export interface Counts {
  errors: number;
  warnings: number;
  infos: number;
  fixable: number;
}

export function countFindings(files: readonly LintedFile[]): Counts {
  const c: Counts = { errors: 0, warnings: 0, infos: 0, fixable: 0 };
  for (const f of files) {
    for (const d of f.findings) {
      if (d.severity === 'error') c.errors++;
      else if (d.severity === 'warning') c.warnings++;
      else c.infos++;
      // (what --fix applies: the first safe fix, when its edits are all in one file, as safeFixEdits takes them)
      const fix = d.fixes.find((x) => x.kind === 'safe');
      if (fix && fix.edits.every((e) => e.file === fix.edits[0]!.file)) c.fixable++;
    }
  }
  return c;
}
