// `pg-rls-lint verify`: replays the migrations on an embedded PostgreSQL (PGlite) and probes
// every RLS table as each role, so a finding can be shown to really fail.
import { homedir } from 'node:os';
import { join } from 'node:path';
import { anonymousSignInsOn } from '../analysis/supabase-config.js';
import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';
import { formatExposure } from '../verify/exposures.js';
import { formatOutcome, SEED_USER, verify, type VerifyFile, type VerifyOptions, type VerifyProgress, type VerifyResult } from '../verify/pglite.js';
import { idBase, readBeside, collectFiles, loadConfig, readAllFiles, rootRelative, type LintOptions } from './run.js';
import { describeDatabases, unappliedWhere, type Database } from '../analysis/databases.js';
import { asWritten, makePositionAt } from '../analysis/parse.js';
import { isSupabaseLayout, migrationOrderOf, NOT_APPLIED, notReplayedReason, rollbackSections, sessionStartPaths } from '../analysis/model.js';
import { foreignDialect } from '../analysis/dialect.js';
import { graphileDumps, migrationCopies, schemaSnapshots } from '../analysis/snapshot.js';
import { counted } from '../analysis/words.js';
import { confirm } from '../verify/confirm.js';
import { causes, rootsOf, type Cause } from '../verify/causes.js';
import { environmentNotes, restatedByDeclarativeSchema, type EnvironmentNote } from '../verify/environment.js';
import { initParser, ruleById, Workspace, type Finding } from '../engine/workspace.js';
import { unlistedFiles, type DrizzleJournal } from '../analysis/drizzle-journal.js';
import { unrunGraphileFiles, type GraphileMigrate } from '../analysis/graphile-migrate.js';
import { unrunFiles } from '../analysis/liquibase-changelog.js';

/** How long a statement may outlast the budget before its worker is stopped. */
const GRACE_MS = 1_000;
/** How long PGlite may take to start (not part of the budget) before verify gives up. */
const START_LIMIT_MS = 120_000;
const WORKER_DATA_KEY = 'pg-rls-lint:verify';

type FromWorker = { kind: 'progress'; event: VerifyProgress } | { kind: 'done'; result: VerifyResult } | { kind: 'fail'; message: string };

/**
 * Runs verify() in a worker thread. PGlite cannot cancel a running statement (statement_timeout
 * does not fire in it), so a statement or probe still running `GRACE_MS` after the budget is
 * stopped by terminating the worker: it is reported as PostgreSQL's statement_timeout would be
 * (57014), with everything found before it.
 */
export function verifyInWorker(files: VerifyFile[], opts: Omit<VerifyOptions, 'onProgress'> & { timeoutMs: number }): Promise<VerifyResult> {
  return new Promise((resolve, reject) => {
    // the bundle (dist/cli.js) is its own worker; from the TypeScript sources, through tsx
    const worker = new Worker(__filename, { workerData: { [WORKER_DATA_KEY]: { files, opts } }, execArgv: __filename.endsWith('.ts') ? ['--import', 'tsx'] : [] });
    let settled = false;
    let pgVersion = '';
    let errors: VerifyResult['statementErrors'] = [];
    const probes: VerifyResult['probes'] = [];
    const exposures: NonNullable<VerifyResult['exposures']> = [];
    /** the statement, probe or exposure running now, if any */
    let running: Extract<VerifyProgress, { kind: 'statement' | 'probe' | 'exposure' }> | undefined;
    const settle = (f: () => void) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      f();
    };
    // the budget starts when the replay does (PGlite has started: 0.7 s cached, 2–4 s cold)
    let timer = setTimeout(() => {
      settle(() => {
        void worker.terminate();
        reject(new Error(`PGlite did not start within ${START_LIMIT_MS / 1000} s`));
      });
    }, START_LIMIT_MS);
    let started = false;
    const budgetOver = () => {
      settle(() => {
        void worker.terminate();
        const seconds = Math.round(opts.timeoutMs / 1000);
        const message = `still running after the ${seconds} s budget; PGlite cannot cancel a statement, so verify stopped it here (a real server's statement_timeout raises 57014 query_canceled): what follows was not run`;
        if (running?.kind === 'statement') errors.push({ file: running.file, offset: running.start, code: '57014', message, statementStart: running.start, statementEnd: running.end });
        if (running?.kind === 'probe') probes.push({ table: running.probe.table, role: running.probe.role, command: running.command, outcome: 'error', code: '57014', message });
        if (running?.kind === 'exposure') exposures.push({ ...running.exposure, code: '57014', message, shown: false });
        resolve({ statementErrors: errors, probes, pgVersion, timedOut: true, ...(exposures.length ? { exposures } : {}) });
      });
    };
    worker.on('message', (m: FromWorker) => {
      if (m.kind === 'done') settle(() => resolve(m.result));
      else if (m.kind === 'fail') settle(() => reject(new Error(m.message)));
      else {
        const e = m.event;
        if (e.kind === 'replay') {
          pgVersion = e.pgVersion;
          errors = [];
          if (!started) {
            started = true;
            clearTimeout(timer);
            timer = setTimeout(budgetOver, opts.timeoutMs + GRACE_MS);
          }
        } else if (e.kind === 'error') errors.push(e.error);
        else if (e.kind === 'probed') {
          probes.push(e.result);
          running = undefined;
        } else if (e.kind === 'exposed') {
          exposures.push(e.result);
          running = undefined;
        } else if (e.kind === 'replayed') running = undefined;
        else running = e;
      }
    });
    worker.on('error', (e) => settle(() => reject(e)));
    worker.on('exit', (code) => settle(() => reject(new Error(`the verify worker exited with code ${code} before it finished`))));
  });
}

if (!isMainThread && workerData?.[WORKER_DATA_KEY]) {
  const { files, opts } = workerData[WORKER_DATA_KEY] as { files: VerifyFile[]; opts: VerifyOptions };
  const post = (m: FromWorker) => parentPort!.postMessage(m);
  // (tests only: PG_RLS_LINT_TEST_START_DELAY_MS makes PGlite's start that much slower, to show
  // that the budget does not count it whatever the machine's load)
  const delay = Number(process.env.PG_RLS_LINT_TEST_START_DELAY_MS) || 0;
  new Promise((r) => setTimeout(r, delay)).then(() => verify(files, { ...opts, onProgress: (event) => post({ kind: 'progress', event }) })).then(
    (result) => post({ kind: 'done', result }),
    (e) => post({ kind: 'fail', message: String((e as Error)?.stack ?? e) }),
  );
}

/**
 * The report's statement errors: those that follow from an earlier failure are counted, not
 * listed; those failing on what no statement of the files makes are one line per name; the
 * others one line each, with how many later errors follow from them.
 */
function statementErrorLines(
  errors: VerifyResult['statementErrors'],
  found: ReadonlyArray<Cause | undefined>,
  roots: readonly number[],
  where: (file: string, offset: number) => { line: number; column: number },
): string[] {
  if (!errors.length) return [];
  const at = (file: string, offset: number) => {
    const w = where(file, offset);
    return `${file}:${w.line}:${w.column}`;
  };
  const followers = new Map<number, number>();
  roots.forEach((r, i) => r !== i && followers.set(r, (followers.get(r) ?? 0) + 1));
  const following = roots.filter((r, i) => r !== i).length;
  const follow = (n: number, from: string) => `${counted(n, 'later error')} follow${n === 1 ? 's' : ''} from ${from}`;
  const never = new Map<string, number[]>();
  const others: number[] = [];
  errors.forEach((_, i) => {
    if (roots[i] !== i) return;
    const c = found[i];
    if (c?.kind === 'never' && !c.notRun) {
      const k = `${c.missing.kind} ${c.missing.name}`;
      never.set(k, [...(never.get(k) ?? []), i]);
    } else others.push(i);
  });
  // (a name written unqualified and as public.name in others: one line, for the schema it most often is)
  for (const [k, list] of [...never]) {
    const [kind, name] = [k.slice(0, k.indexOf(' ')), k.slice(k.indexOf(' ') + 1)];
    const qualified = never.get(`${kind} public.${name}`);
    if (name.includes('.') || !qualified) continue;
    never.set(`${kind} public.${name}`, [...qualified, ...list].sort((a, b) => a - b));
    never.delete(k);
  }
  const lines: string[] = [];
  if (following || never.size) {
    lines.push('', `statement errors: ${errors.length}${following ? `, of which ${following} follow from an earlier failure (they use what a failed statement would have made)` : ''}; --format json lists each, with the failure it follows`);
  }
  if (never.size) {
    lines.push('no statement of these files makes (none creates them, dynamic SQL aside: the history lacks what makes them, an earlier baseline, an ORM\'s schema push, another service\'s migrations…):');
    // (the names that explain the most errors first: those failing on them and those following)
    const after = (list: number[]) => list.reduce((n, i) => n + (followers.get(i) ?? 0), 0);
    for (const [what, list] of [...never].map(([k, l]) => [k, l, l.length + after(l)] as const).sort((x, y) => y[2] - x[2])) {
      const first = errors[list[0]!]!;
      const later = after(list);
      lines.push(`  ${what}: ${counted(list.length, 'statement')} fail${list.length === 1 ? 's' : ''} on it (the first at ${at(first.file, first.offset)})${later ? `, and ${follow(later, list.length === 1 ? 'it' : 'them')}` : ''}`);
    }
    if (others.length) lines.push('the other failures:');
  }
  for (const i of others) {
    const e = errors[i]!;
    const c = found[i];
    const later =
      c?.kind === 'later'
        ? `${c.missing.kind} ${c.missing.name} is made later, at ${at(c.file, c.offset)}`
        : c?.kind === 'never' && c.notRun
          ? `${c.missing.kind} ${c.missing.name} is made only at ${at(c.notRun.file, c.notRun.offset)}, which is not run: a file or section that migrating up never applies, as the lint does not replay it`
          : '';
    const n = followers.get(i) ?? 0;
    const tail = [later, n ? follow(n, 'it') : ''].filter(Boolean).join('; ');
    lines.push(`${never.size ? '  ' : ''}${at(e.file, e.offset)}  ${e.code} ${e.message}${tail ? `  (${tail})` : ''}`);
  }
  return lines;
}

const DEFAULTS_NOT_IN_EFFECT = 'the session defaults it sets are not in effect in the probes';

/** What became of a statement naming a database the embedded server does not have. */
function environmentNote(n: EnvironmentNote): string {
  return `database "${n.database}" does not exist in the embedded server, so the statement was skipped${n.setsDefaults ? `; ${DEFAULTS_NOT_IN_EFFECT}` : ''}`;
}

export async function lintVerify(options: LintOptions, format: 'text' | 'json', timeoutMs = 60_000, seed = true): Promise<{ text: string; exitCode: number }> {
  const config = await loadConfig(options.cwd, options.configPath, options.rules);
  const { files: absolute, changelogs: found } = await collectFiles(options.paths, options.cwd, config);
  // the lint of the same files: which of its findings the engine showed
  await initParser();
  const ws = new Workspace(config, undefined, { relPath: rootRelative(options.cwd, idBase(options.cwd), options.paths) });
  const given = await readAllFiles(options.cwd, absolute, options.warn, idBase(options.cwd));
  const all = given.map((f) => ({ file: f.path, text: f.text }));
  for (const f of all) ws.setFile(f.file, f.text);
  const changelogs = await readBeside(ws, options.cwd, given.map((f) => f.absolute), options.warn, idBase(options.cwd), found);
  // (what Liquibase runs: a changelog's own SQL, and a plain SQL file a sqlFile runs split at its delimiters, as statements ended by semicolons)
  for (const c of changelogs) for (const part of c.parts) all.push({ file: part, text: ws.text(part)! });
  for (const f of all) f.text = ws.runText(f.file) ?? f.text;
  // each database the files make on a PostgreSQL of its own (analysis/databases.ts), one after the other
  const dbs = ws.databases();
  // each database's files in the lint's order (natural sort of paths, Flyway's versions, the order setting, sqitch plans,
  // Drizzle Kit journals, graphile-migrate's .gmrc, Liquibase changelogs; psql includes and rollbacks are handled by verify), as the lint orders them: one database at a time
  const read = (database: Database) => {
    const mine = new Set(database.files);
    const c = ws.configOf(database.files[0]);
    const ordered = migrationOrderOf(all.filter((f) => mine.has(f.file)), c);
    // (a graphile-migrate project's files start with its .gmrc's pgSettings search_path)
    const starts = sessionStartPaths(ordered, c.graphileMigrate);
    return starts ? ordered.map((f) => (starts.has(f.file) ? { ...f, startPath: starts.get(f.file)! } : f)) : ordered;
  };
  const runs: Array<{ database: Database; run: DatabaseVerify }> = [];
  for (const database of dbs) {
    // (files a Supabase project holds that its CLI never applies: not run; run by hand, if ever, on a database the migrations made)
    if (database.kind === 'unapplied') continue;
    runs.push({ database, run: await verifyDatabase(read(database), ws, format, timeoutMs, seed) });
  }
  const notRun = dbs.flatMap((d) => (d.kind === 'unapplied' ? d.files : []));
  if (runs.length === 1) {
    const only = runs[0]!.run;
    if (format === 'json') return { text: JSON.stringify(notRun.length ? { ...only.json, notApplied: notRun } : only.json, null, 2), exitCode: only.exitCode };
    // (where they are as the lint's summary says it: rjsanjaymandal/lovabel-money-flow's create_budgets_table.sql, at the
    // root, was said to be "under supabase/")
    const note = notRun.length ? `not run: ${unappliedWhere(dbs)} (${notRun.slice(0, 3).join(', ')}${notRun.length > 3 ? ', …' : ''})\n` : '';
    return { text: note + only.text, exitCode: only.exitCode };
  }
  const exitCode = Math.max(...runs.map((r) => r.run.exitCode));
  if (format === 'json') {
    // the lists of every database, each entry with its database's name, and each database's own report
    const merged: Record<string, unknown> = { pgVersion: runs[0]!.run.json.pgVersion, timedOut: runs.some((r) => r.run.json.timedOut) };
    for (const key of ['leftOut', 'environment', 'standIns', 'restated', 'statementErrors', 'seeded', 'probes', 'exposures', 'shown']) {
      const all = runs.flatMap((r) => ((r.run.json[key] as unknown[] | undefined) ?? []).map((x) => ({ database: r.database.name, ...(x as object) })));
      if (all.length || key === 'statementErrors' || key === 'probes' || key === 'shown') merged[key] = all;
    }
    merged.databases = runs.map((r) => ({ name: r.database.name, kind: r.database.kind, files: r.database.files, ...r.run.json }));
    return { text: JSON.stringify(merged, null, 2), exitCode };
  }
  const text = [describeDatabases(dbs), ...runs.map((r) => `\n== database ${r.database.name} ==\n${r.run.text}`)].join('\n');
  return { text, exitCode };
}

interface DatabaseVerify {
  json: Record<string, unknown>;
  text: string;
  exitCode: number;
}

/** Verify of one database's files (in migration order), with the lint of the workspace they are in. */
async function verifyDatabase(read: Array<{ file: string; text: string }>, ws: Workspace, format: 'text' | 'json', timeoutMs: number, seed: boolean): Promise<DatabaseVerify> {
  // (files the lint does not replay either: one written for another database, not-postgresql;
  // a pg_dump of what the migrations before it made, snapshot.ts)
  const snapshots = schemaSnapshots(read.map((f) => ws.parsed(f.file)!));
  // (and the pg_dump a graphile-migrate project's afterAllMigrations writes, before its migrations in path order)
  if (read.length) for (const f of graphileDumps(read.map((f) => ws.parsed(f.file)!), ws.configOf(read[0]!.file).graphileMigrate).keys()) snapshots.add(f);
  const copies = migrationCopies(read.map((f) => ws.parsed(f.file)!));
  // (a file of a Drizzle Kit migrations folder its journal does not list: drizzle's migrator never applies it)
  const unlisted = read.length ? unlistedFiles(read.map((f) => f.file), ws.configOf(read[0]!.file).drizzleJournals ?? []) : new Map<string, DrizzleJournal>();
  // (a file under a Liquibase master changelog's folder that no changelog runs: liquibase update never runs it)
  const unrun = read.length ? unrunFiles(read.map((f) => f.file), ws.configOf(read[0]!.file).liquibaseChangelogs ?? [], (id) => ws.text(id)) : undefined;
  // (a file of a graphile-migrate migrations folder that is no migration, fixture or afterReset file: graphile-migrate never runs it)
  const unrunGraphile = read.length ? unrunGraphileFiles(read.map((f) => f.file), ws.configOf(read[0]!.file).graphileMigrate ?? []) : new Map<string, GraphileMigrate>();
  const leftOut = read.flatMap((f): Array<{ path: string; dialect?: string; snapshot?: true; copy?: true; notInJournal?: string; notInChangelog?: string; notRunByGmrc?: string; rollback?: true; notReplayed?: string }> => {
    const parsed = ws.parsed(f.file)!;
    const reason = notReplayedReason(parsed);
    const d = foreignDialect(parsed);
    const journal = unlisted.get(f.file);
    const changelog = unrun?.get(f.file);
    const gmrc = unrunGraphile.get(f.file);
    // (a hand-rolled runner's x_down.sql beside its x_up.sql, which the workspace marks: a rollback, never run migrating up)
    return reason === NOT_APPLIED.rollback
      ? [{ path: f.file, rollback: true }]
      : journal
      ? [{ path: f.file, notInJournal: journal.source }]
      : changelog
        ? [{ path: f.file, notInChangelog: changelog.source }]
        : gmrc
        ? [{ path: f.file, notRunByGmrc: gmrc.source }]
        : d
          ? [{ path: f.file, dialect: d.dialect }]
          : snapshots.has(parsed)
            ? [{ path: f.file, snapshot: true }]
            : // (a copy no tool runs anyway — sqitch's verify/ templates, the same in two folders — is left out as such: below)
              copies.has(parsed) && reason === undefined
              ? [{ path: f.file, copy: true }]
              : reason !== undefined
                ? // (any other file the lint does not replay: pgTAP tests, a folder inside supabase/migrations/, sqlc queries…)
                  [{ path: f.file, notReplayed: reason }]
                : [];
  });
  const files = leftOut.length ? read.filter((f) => !leftOut.some((x) => x.path === f.file)) : read;
  const supabase = files.some((f) => isSupabaseLayout(f.file));
  // (anonymous sessions are looked at where the lint takes anonymous sign-ins to be on)
  const anonymousSignIns = files.length > 0 && anonymousSignInsOn(ws.configOf(files[0]!.file)) !== undefined;
  const replayed = await verifyInWorker(files, { cacheDir: join(process.env.XDG_CACHE_HOME ?? join(homedir(), '.cache'), 'pg-rls-lint'), supabaseDefaultPrivileges: supabase, timeoutMs, seed, anonymousSignIns });
  // (with the parts of each file the replay does not run, as the lint does not replay them: what they would make explains no failure)
  const parsedFiles = files.map((f) => {
    const parsed = ws.parsed(f.file);
    return { file: f.file, statements: parsed?.statements ?? [], notRun: parsed ? rollbackSections(parsed) : [] };
  });
  // (statements the embedded server cannot run for want of what only the deployment has, a
  // database named as the deployment's: notes, not statement errors)
  const noted = environmentNotes(replayed.statementErrors, parsedFiles);
  const environment = noted.filter((n): n is EnvironmentNote => n !== undefined);
  // (a Supabase declarative schema's CREATE of what the migrations made: "already exists", a note too)
  const restatedAt = restatedByDeclarativeSchema(replayed.statementErrors, files.map((f) => f.file));
  const restated = replayed.statementErrors.filter((_, i) => restatedAt[i] && !noted[i]);
  const result: VerifyResult =
    environment.length || restated.length ? { ...replayed, statementErrors: replayed.statementErrors.filter((_, i) => !noted[i] && !restatedAt[i]) } : replayed;
  const lintedAll = ws.lint();
  const mine = new Set(read.map((f) => f.file));
  const linted = { byFile: new Map([...lintedAll.byFile].filter(([f]) => mine.has(f))), model: ws.model(read[0]?.file) };
  // why statements failed, where another failed statement or the files' order tells
  const found = causes(result.statementErrors, parsedFiles);
  const roots = rootsOf(found);
  const shownBy = (rule: string) => ruleById.get(rule)?.meta.shownBy;
  const findings: Finding[] = [...linted.byFile.values()].flat().filter((f) => shownBy(f.rule));
  const shown = confirm(findings, linted.model, result, shownBy);
  const texts = new Map(files.map((f) => [f.file, f.text]));
  const where = (file: string, offset: number) => {
    const p = makePositionAt(texts.get(file) ?? '').positionAt(offset);
    return { line: p.line + 1, column: p.character + 1 };
  };
  const span = (e: VerifyResult['statementErrors'][number]) =>
    e.statementStart !== undefined && e.statementEnd !== undefined ? { statement: { start: where(e.file, e.statementStart), end: where(e.file, e.statementEnd) } } : {};
  const errorAt = (i: number) => {
    const e = result.statementErrors[i]!;
    return { path: e.file, ...where(e.file, e.offset) };
  };
  const causeJson = (c: Cause) =>
    c.kind === 'follows'
      ? { kind: c.kind, missing: c.missing, follows: errorAt(c.follows) }
      : c.kind === 'later'
        ? { kind: c.kind, missing: c.missing, madeAt: { path: c.file, ...where(c.file, c.offset) } }
        : { kind: c.kind, missing: c.missing, ...(c.notRun ? { notRunAt: { path: c.notRun.file, ...where(c.notRun.file, c.notRun.offset) } } : {}) };
  /** how the engine showed a finding, as the report says it */
  const how = (c: (typeof shown)[number]) =>
    c.statement
      ? `the statement raised ${c.code}`
      : c.exposure
        ? formatExposure(c.exposure)
        : `${c.probe!.role} ${c.probe!.command.toUpperCase()} ${c.probe!.table} → ${c.code ?? `${c.probe!.rows ?? 0} rows, the table holding the row verify put in`}`;
  const failing = result.probes.filter((p) => p.outcome === 'dead' || p.code === '42P17' || p.code === '54001');
  // a probe stopped at the time budget: every such query hangs on a server without statement_timeout
  const stopped = result.probes.filter((p) => p.code === '57014');
  const exitCode = result.statementErrors.length > 0 || failing.length > 0 || stopped.length > 0 ? 1 : 0;
  // names the lint reads with a placeholder filled in (Flyway's `${APP_USER}`, run as the role
  // __app_user_; a psql variable) are shown as written, as the lint shows them
  const written = asWritten(files.map((f) => ws.parsed(f.file)));
  if (format === 'json') {
    return {
      exitCode,
      text: '',
      json: writtenIn(written, {
          pgVersion: result.pgVersion,
          timedOut: !!result.timedOut,
          ...(leftOut.length ? { leftOut } : {}),
          ...(environment.length
            ? {
                environment: environment.map((n) => ({
                  path: n.error.file,
                  ...where(n.error.file, n.error.offset),
                  code: n.error.code,
                  message: n.error.message,
                  ...span(n.error),
                  database: n.database,
                  note: environmentNote(n),
                })),
              }
            : {}),
          ...(result.standIns?.length ? { standIns: result.standIns.map((x) => ({ path: x.file, ...where(x.file, x.offset), extension: x.extension, provides: x.provides })) } : {}),
          ...(restated.length ? { restated: restated.map((e) => ({ path: e.file, ...where(e.file, e.offset), code: e.code, message: e.message, ...span(e) })) } : {}),
          statementErrors: result.statementErrors.map((e, i) => ({
            path: e.file,
            ...where(e.file, e.offset),
            code: e.code,
            message: e.message,
            ...span(e),
            ...(found[i] ? { cause: causeJson(found[i]!) } : {}),
          })),
          ...(result.seeded ? { seeded: result.seeded } : {}),
          probes: result.probes,
          ...(result.exposures ? { exposures: result.exposures } : {}),
          shown: shown.map((c) => ({
            rule: c.finding.rule,
            path: c.finding.file,
            line: c.finding.range.start.line + 1,
            column: c.finding.range.start.character + 1,
            ...(c.code ? { code: c.code } : {}),
            by: c.statement ? { statement: { path: c.statement.file, ...where(c.statement.file, c.statement.offset) } } : c.exposure ? { exposure: c.exposure } : { probe: c.probe },
            text: how(c),
          })),
        }),
    };
  }
  const lines = [`verified on ${result.pgVersion}: ${counted(files.length, 'file')}`];
  const listed = (l: string[]) => `${l.slice(0, 5).join(', ')}${l.length > 5 ? `, and ${l.length - 5} more` : ''}`;
  const foreign = leftOut.flatMap((x) => (x.dialect ? [`${x.path} (${x.dialect})`] : []));
  if (foreign.length) lines.push(`left out: ${counted(foreign.length, 'file')} written for another database (not-postgresql): ${listed(foreign)}`);
  const unjournaled = leftOut.flatMap((x) => (x.notInJournal ? [x.path] : []));
  if (unjournaled.length) lines.push(`left out: ${counted(unjournaled.length, 'file')} of a Drizzle Kit migrations folder that its meta/_journal.json does not list (drizzle-kit migrate never applies ${unjournaled.length === 1 ? 'it' : 'them'}; drizzle-migration-not-in-journal): ${listed(unjournaled)}`);
  const unrunBy = new Map<string, string[]>();
  for (const x of leftOut) if (x.notInChangelog) unrunBy.set(x.notInChangelog, [...(unrunBy.get(x.notInChangelog) ?? []), x.path]);
  for (const [source, paths] of unrunBy) lines.push(`left out: ${counted(paths.length, 'file')} of a Liquibase project that no include, includeAll or sqlFile of its changelog ${source} runs (liquibase update never runs ${paths.length === 1 ? 'it' : 'them'}): ${listed(paths)}`);
  const unrunByGmrc = new Map<string, string[]>();
  for (const x of leftOut) if (x.notRunByGmrc) unrunByGmrc.set(x.notRunByGmrc, [...(unrunByGmrc.get(x.notRunByGmrc) ?? []), x.path]);
  for (const [source, paths] of unrunByGmrc) lines.push(`left out: ${counted(paths.length, 'file')} of the graphile-migrate migrations folder of ${source} that ${paths.length === 1 ? 'is' : 'are'} neither a committed or current migration, a fixture nor an afterReset file (graphile-migrate never runs ${paths.length === 1 ? 'it' : 'them'}): ${listed(paths)}`);
  const rollbacks = leftOut.flatMap((x) => (x.rollback ? [x.path] : []));
  if (rollbacks.length) {
    // (a hand-rolled runner's x_down.sql beside its x_up.sql; a change's revert.sql or verify.sql beside its deploy.sql: rollbackTwins)
    const one = rollbacks.length === 1;
    const kinds = [
      ...(rollbacks.some((p) => !/(^|[/\\])(revert|verify)\.sql$/i.test(p) && !/[_.-]rollback\.sql$/i.test(p)) ? [`\`…_down.sql\` beside ${one ? 'its' : 'their'} \`…_up.sql\``] : []),
      ...(rollbacks.some((p) => /[_.-]rollback\.sql$/i.test(p)) ? [`\`…_rollback.sql\` beside the migration ${one ? 'it undoes' : 'they undo'}`] : []),
      ...(rollbacks.some((p) => /(^|[/\\])(revert|verify)\.sql$/i.test(p)) ? [`a change's \`revert.sql\` or \`verify.sql\` beside its \`deploy.sql\``] : []),
    ];
    lines.push(`left out: ${counted(rollbacks.length, 'rollback file')} (${kinds.join(', or ')}: migrating up never runs ${one ? 'it' : 'them'}): ${listed(rollbacks)}`);
  }
  const copied = leftOut.flatMap((x) => (x.copy ? [x.path] : []));
  if (copied.length) lines.push(`left out: ${counted(copied.length, 'copy', 'copies')} of another file (the same statements under the same name, but for its version, in another folder: run once, as the lint replays it): ${listed(copied)}`);
  const dumps = leftOut.flatMap((x) => (x.snapshot ? [x.path] : []));
  if (dumps.length) {
    const it = dumps.length === 1 ? 'it' : 'them';
    lines.push(`left out: ${counted(dumps.length, 'schema snapshot')} (a pg_dump or extension script re-creating what the migrations before ${it} make; not a migration, the lint does not replay ${it} either): ${listed(dumps)}`);
  }
  const unreplayedBy = new Map<string, string[]>();
  for (const x of leftOut) if (x.notReplayed) unreplayedBy.set(x.notReplayed, [...(unreplayedBy.get(x.notReplayed) ?? []), x.path]);
  for (const [reason, paths] of unreplayedBy) lines.push(`left out: ${counted(paths.length, 'file')} ${reason} (the lint does not replay ${paths.length === 1 ? 'it' : 'them'} either): ${listed(paths)}`);
  if (environment.length) {
    const one = environment.length === 1;
    lines.push(`skipped: ${counted(environment.length, 'statement')} naming a database that does not exist in the embedded server (${one ? 'not a statement error' : 'not statement errors'} of the migrations):`);
    for (const n of environment) {
      const w = where(n.error.file, n.error.offset);
      lines.push(`  ${n.error.file}:${w.line}:${w.column}  ${n.error.code} ${n.error.message}${n.setsDefaults ? `  (${DEFAULTS_NOT_IN_EFFECT})` : ''}`);
    }
  }
  const standIns = result.standIns ?? [];
  if (standIns.length) {
    const byExtension = new Map<string, typeof standIns>();
    for (const x of standIns) byExtension.set(x.extension, [...(byExtension.get(x.extension) ?? []), x]);
    lines.push(`stand-ins: PGlite does not ship ${[...byExtension.keys()].join(', ')}; each CREATE EXTENSION of ${byExtension.size === 1 ? 'it' : 'them'} made a stand-in of what migrations call instead of failing (not statement errors; a stand-in does nothing of consequence: no job runs, no request is sent):`);
    for (const [ext, list] of byExtension) {
      const w = where(list[0]!.file, list[0]!.offset);
      lines.push(`  ${ext}: ${list[0]!.provides} (${list[0]!.file}:${w.line}:${w.column}${list.length > 1 ? `, and ${counted(list.length - 1, 'more CREATE EXTENSION')}` : ''})`);
    }
  }
  if (restated.length) {
    const codes = [...new Set(restated.map((e) => e.code))].join(', ');
    const inFiles = new Set(restated.map((e) => e.file)).size;
    lines.push(
      `restated: ${counted(restated.length, 'statement')} of supabase/schemas/ (in ${counted(inFiles, 'file')}) create what the migrations already made (${codes}: already exists): a declarative schema is what \`supabase db diff\` writes migrations from, not applied on top of them, so these are not statement errors; --format json lists each`,
    );
  }
  const errorLines = statementErrorLines(result.statementErrors, found, roots, where);
  // (the statement errors apart from the skipped statements' list)
  if (environment.length && errorLines.length && errorLines[0] !== '') lines.push('');
  lines.push(...errorLines);
  const seeded = result.seeded ?? [];
  const refused = seeded.filter((s) => s.outcome === 'error');
  if (seeded.length) {
    lines.push('', `seeded: ${counted(seeded.length - refused.length, 'empty RLS table')} got one row (as the superuser, foreign keys and triggers off), so the probes evaluate their policies on a row`);
    if (result.probes.some((p) => p.signedIn)) {
      const anon = result.probes.some((p) => p.role === 'anon') ? '; anon reads as a request without a signed-in user, its JWT claims {"role":"anon"}' : '';
      lines.push(`  (a uuid column without a default, and a uuid primary key, holds ${SEED_USER}, and authenticated reads signed in as that user: auth.uid() returns it${anon})`);
    }
    for (const s of refused) lines.push(`  ${s.table} left empty: ${s.code} ${s.message}`);
  }
  if (result.probes.length) lines.push('', 'probes (each in a rolled-back transaction):');
  const standIn = result.probes.find((p) => p.grantedInProbe)?.role;
  if (standIn) lines.push(`  (no policy names a role and nothing is granted: the probes read as ${standIn}, a stand-in role granted each table inside its probe; the policies for PUBLIC apply to it)`);
  // (a write made only to look for recursion is listed when it found some)
  // (and a read made again after the settings' local set ended, when it fails)
  let quietWrites = 0;
  let quietAgain = 0;
  // (one recursing policy fails the probes of every table whose policies read its table: past the
  // first few of one error, the others are counted, with their tables)
  const SAME_SHOWN = 4;
  const sameError = new Map<string, typeof result.probes>();
  for (const p of result.probes) if (p.code === '42P17' && p.message) sameError.set(p.message, [...(sameError.get(p.message) ?? []), p]);
  for (const p of result.probes) {
    if (p.recursionOnly && !failing.includes(p) && p.code !== '57014') quietWrites++;
    else if (p.settingsEnded && p.outcome === 'ok') quietAgain++;
    else {
      const same = p.code === '42P17' && p.message ? sameError.get(p.message)! : undefined;
      const at = same ? same.indexOf(p) : -1;
      if (at < SAME_SHOWN) lines.push(`  ${formatOutcome(p)}`);
      if (same && at === same.length - 1 && same.length > SAME_SHOWN) {
        const rest = same.slice(SAME_SHOWN);
        const tables = [...new Set(rest.map((q) => q.table))];
        lines.push(`  (and ${counted(rest.length, 'more probe')} failing with the same ${p.code} ${p.message}, of ${tables.length <= 6 ? tables.join(', ') : `${tables.slice(0, 6).join(', ')} and ${tables.length - 6} more tables`}; --format json lists each)`);
      }
    }
  }
  if (quietWrites) lines.push(`  (and ${counted(quietWrites, 'write')} — INSERT, UPDATE, DELETE changing nothing — whose policies do not recurse)`);
  if (quietAgain) lines.push(`  (and ${counted(quietAgain, 'read')} made again after a transaction set the settings the policies read locally, which still pass)`);
  const exposures = result.exposures ?? [];
  const exposed = exposures.filter((e) => e.shown);
  if (exposed.length) {
    const sessions = exposures.some((e) => e.kind === 'session');
    lines.push('', `exposures: what roles get that findings say they should not, and how PostgreSQL runs what findings say it runs (each in a rolled-back transaction${sessions ? "; a session look's call commits, and the setting is set back after" : ''}):`);
    for (const e of exposed) lines.push(`  ${formatExposure(e)}`);
  }
  if (exposures.length > exposed.length) lines.push(`  (and ${counted(exposures.length - exposed.length, 'look')} that showed nothing: the role got no more than after the fix, or the read or write failed; --format json lists them)`);
  if (shown.length) {
    lines.push('', `lint findings the engine showed (${shown.length} of the ${counted(findings.length, 'finding')} of rules it can show):`);
    for (const c of shown) {
      const at = `${c.finding.file}:${c.finding.range.start.line + 1}:${c.finding.range.start.character + 1}`;
      lines.push(`  ${at}  ${c.finding.rule}  (${how(c)})`);
    }
  } else if (findings.length) lines.push('', `none of the ${counted(findings.length, 'lint finding')} of rules the engine can show was shown by this replay and these probes`);
  if (result.timedOut) lines.push('', 'time budget exhausted: the remaining statements or probes were not run');
  lines.push('', exitCode ? `✖ ${counted(result.statementErrors.length, 'statement error')}, ${counted(failing.length, 'failing probe')} (recursion)${stopped.length ? `, ${counted(stopped.length, 'probe')} still running at the time budget` : ''}` : '✔ migrations replay cleanly and no probe recurses');
  const text = lines.join('\n');
  return { text: written ? written(text) : text, exitCode, json: {} };
}

/** `v` with `written` applied to its strings, file paths apart (verifyDatabase's JSON). */
function writtenIn<T>(written: ((s: string) => string) | undefined, v: T): T {
  if (!written) return v;
  const map = (x: unknown, key?: string): unknown => {
    if (typeof x === 'string') return key === 'path' || key === 'file' ? x : written(x);
    if (Array.isArray(x)) return x.map((y) => map(y, key === 'files' ? 'file' : undefined));
    if (x && typeof x === 'object') return Object.fromEntries(Object.entries(x).map(([k, y]) => [k, map(y, k)]));
    return x;
  };
  return map(v) as T;
}
