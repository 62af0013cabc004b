// pg-rls-lint: the command line. The only code that prints.
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { isMainThread } from 'node:worker_threads';
import { formatMatricesJson, formatMatricesText, matrixOf } from './matrix.js';
import { lintVerify } from './verify.js';
import { CliError, countFindings, lint, type LintRun } from './run.js';
import { applyBaseline, fixableOutside, readBaseline, writeBaseline } from './baseline.js';
import { formatCompact } from './reporters/compact.js';
import { formatGithub } from './reporters/github.js';
import { formatGitlab } from './reporters/gitlab.js';
import { formatJson } from './reporters/json.js';
import { formatSarif } from './reporters/sarif.js';
import { formatText } from './reporters/text.js';
import { rules } from '../rules/lib/catalog.js';
import { docsUrl } from '../rules/types.js';
import { unmatchedDatabases, unmatchedOrderGlobs } from '../analysis/databases.js';
import { listOr } from '../analysis/words.js';
import { version } from '../../../package.json';

const USAGE = `Usage: pg-rls-lint [options] [paths or globs …]      lint migrations (default: .)
       pg-rls-lint verify [options] [paths …]         run them on an embedded PostgreSQL and probe each RLS table as each role
       pg-rls-lint matrix [options] [paths …]         print the RLS matrix: tables × roles × commands → allow / filtered / deny / rls-off / bypass

Finds PostgreSQL Row-Level Security mistakes in .sql migrations. Directories are walked
like a workspace (include/exclude globs of the config; node_modules and .git skipped);
files are replayed in natural path order (2_x.sql before 10_x.sql).

Options:
  -f, --format <text|compact|json|sarif|github|gitlab>   output format (default: text; compact: path:line:col: … a line each; gitlab: a code quality report)
      --fix                  apply safe fixes in place (atomic writes; files changed meanwhile are left alone)
  -w, --workspace <dir>      replay <dir> as the workspace and report (and --fix) only the paths given:
                             a pre-commit hook or CI step passing changed files lints them against every migration
      --baseline <file>      leave out the findings recorded in <file> (CI fails on new ones only)
      --update-baseline      record this run's findings in the --baseline file instead of reporting them
  -c, --config <path>        config file (default: ./.pg-rls-lint.json when present)
      --rule <id=severity>   override a rule: error, warning, info, hint or off (repeatable)
      --max-warnings <n>     exit 1 when there are more than n warnings
      --timeout <seconds>    verify: time budget of the replay and probes (default 60, per database; PGlite's start not included); a statement still running then is stopped, reported as 57014
      --no-seed              verify: probe the tables as the migrations leave them (by default each empty RLS table gets one row first, so policies run on a row)
  -q, --quiet                report errors only
      --list-rules           print the rule catalog
      --explain <rule>       print a rule's documentation (what PostgreSQL does, Invalid and Valid SQL, the fix)
  -h, --help                 show this help
  -v, --version              print the version

Exit codes: 0 no errors, 1 errors (or more than --max-warnings warnings), 2 usage or I/O error (or no SQL files).`;

/** A problem that does not stop the run (a Supabase config.toml that cannot be parsed), on stderr. */
function warn(message: string): void {
  process.stderr.write(`pg-rls-lint: ${message}\n`);
}

/** A usage or I/O problem, on stderr: exit code 2. */
function fail(message: string): number {
  warn(message);
  return 2;
}

export async function main(argv: string[]): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        format: { type: 'string', short: 'f', default: 'text' },
        fix: { type: 'boolean', default: false },
        config: { type: 'string', short: 'c' },
        workspace: { type: 'string', short: 'w' },
        baseline: { type: 'string' },
        'update-baseline': { type: 'boolean', default: false },
        rule: { type: 'string', multiple: true, default: [] },
        'max-warnings': { type: 'string' },
        timeout: { type: 'string' },
        'no-seed': { type: 'boolean', default: false },
        quiet: { type: 'boolean', short: 'q', default: false },
        'list-rules': { type: 'boolean', default: false },
        explain: { type: 'string' },
        help: { type: 'boolean', short: 'h', default: false },
        version: { type: 'boolean', short: 'v', default: false },
      },
    });
  } catch (e) {
    return fail(`${(e as Error).message.split('\n')[0]} (see --help)`);
  }
  const { values: o, positionals } = parsed;
  if (o.help) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  if (o.version) {
    process.stdout.write(`${version}\n`);
    return 0;
  }
  if (o['list-rules']) {
    for (const r of [...rules].sort((a, b) => a.meta.id.localeCompare(b.meta.id))) {
      const m = r.meta;
      process.stdout.write(`${m.id.padEnd(38)} ${m.severity.padEnd(8)} ${m.category.padEnd(12)} ${m.fixKind.padEnd(7)} ${m.description}\n`);
    }
    return 0;
  }
  if (o.explain !== undefined) return explain(o.explain);
  const format = o.format!;
  let maxWarnings: number | undefined;
  if (o['max-warnings'] !== undefined) {
    maxWarnings = Number(o['max-warnings']);
    if (!Number.isInteger(maxWarnings) || maxWarnings < 0) return fail(`--max-warnings expects a non-negative integer, got "${o['max-warnings']}"`);
  }
  const [first, ...rest] = positionals;
  try {
    for (const [flag, given] of [['--workspace', o.workspace !== undefined], ['--baseline', o.baseline !== undefined], ['--update-baseline', o['update-baseline']]] as const) {
      if ((first === 'verify' || first === 'matrix') && given) return fail(`${first}: ${flag} is for lint runs`);
    }
    if (o['update-baseline'] && o.baseline === undefined) return fail('--update-baseline needs --baseline <file>: the file to write');
    if (o['update-baseline'] && o.fix) return fail('--update-baseline records findings; run --fix on its own first');
    if (first === 'verify') {
      if (!['text', 'json'].includes(format)) return fail(`verify: --format must be text or json, got "${format}"`);
      const seconds = o.timeout === undefined ? 60 : Number(o.timeout);
      if (!(seconds > 0) || !Number.isFinite(seconds)) return fail(`verify: --timeout expects a positive number of seconds, got "${o.timeout}"`);
      const out = await lintVerify({ paths: rest, cwd: process.cwd(), configPath: o.config, rules: o.rule ?? [], fix: false, warn }, format as 'text' | 'json', seconds * 1000, !o['no-seed']);
      process.stdout.write(`${out.text}\n`);
      return out.exitCode;
    }
    if (first === 'matrix') {
      if (!['text', 'json'].includes(format)) return fail(`matrix: --format must be text or json, got "${format}"`);
      const m = await matrixOf({ paths: rest, cwd: process.cwd(), configPath: o.config, rules: o.rule ?? [], warn });
      process.stdout.write(`${format === 'json' ? formatMatricesJson(m) : formatMatricesText(m)}\n`);
      return 0;
    }
    const reporter = REPORTERS.get(format);
    if (!reporter) return fail(`--format must be ${listOr([...REPORTERS.keys()], 'or')}, got "${format}"`);
    const cwd = process.cwd();
    const update = !!o['update-baseline'];
    // (read before the run: a missing or malformed baseline is a usage error, unless it is being written)
    const recorded = o.baseline === undefined ? [] : update && !existsSync(resolve(cwd, o.baseline)) ? [] : await readBaseline(cwd, o.baseline);
    // (--fix with --baseline fixes what the baseline does not hold: its findings are left as they are)
    const fixable = o.fix && o.baseline !== undefined ? fixableOutside(recorded) : undefined;
    const run = await lint({ paths: positionals, workspace: o.workspace, cwd, configPath: o.config, rules: o.rule ?? [], fix: !!o.fix, fixable, warn });
    if (update) {
      const n = await writeBaseline(cwd, o.baseline!, run, recorded);
      process.stdout.write(`pg-rls-lint: ${o.baseline} records ${n === 1 ? '1 finding' : `${n} findings`}; runs with --baseline ${o.baseline} leave them out\n`);
      return run.unreadable.length ? 2 : 0;
    }
    if (o.baseline !== undefined) run.baseline = applyBaseline(run, recorded, o.baseline);
    if (o.quiet) for (const f of run.files) f.findings = f.findings.filter((d) => d.severity === 'error');
    const text = reporter(run, format === 'text' && !!process.stdout.isTTY && !process.env.NO_COLOR);
    if (text) process.stdout.write(`${text}\n`);
    // the other files were linted and reported; the run still fails: a file went unchecked
    for (const u of run.unreadable) process.stderr.write(`pg-rls-lint: cannot lint ${u.path}: ${u.reason}; the other files were linted\n`);
    // (a database of the config no file went to: its globs are wrong, or its files were not given)
    for (const name of unmatchedDatabases(run.config.databases, run.databases)) process.stderr.write(`pg-rls-lint: the config's database "${name}" gets none of the files linted: its globs match none (they are relative to the current directory), or an earlier database's took them\n`);
    for (const g of unmatchedOrderGlobs(run.config.order, run.files.map((f) => f.path))) process.stderr.write(`pg-rls-lint: the config's "order" glob "${g}" matches none of the files linted (globs are relative to the current directory): it orders nothing\n`);
    if (run.unreadable.length) return 2;
    const n = countFindings(run.files);
    if (n.errors > 0) return 1;
    if (maxWarnings !== undefined && n.warnings > maxWarnings) {
      if (format === 'text') process.stderr.write(`pg-rls-lint: ${n.warnings} warnings exceed --max-warnings ${maxWarnings}\n`);
      return 1;
    }
    return 0;
  } catch (e) {
    if (e instanceof CliError) return fail(e.message);
    return fail(`internal error: ${(e as Error)?.stack ?? e}`);
  }
}

/** The lint's output formats (`--format`), each run's text (`color`: the terminal takes ANSI colors). */
const REPORTERS = new Map<string, (run: LintRun, color: boolean) => string>([
  ['text', (run, color) => formatText(run, color)],
  ['compact', (run) => formatCompact(run)],
  ['json', (run) => formatJson(run)],
  ['sarif', (run) => formatSarif(run, version)],
  ['github', (run) => formatGithub(run)],
  ['gitlab', (run) => formatGitlab(run)],
]);

/** Prints a rule's doc page (dist/docs/rules/<id>.md beside the bundle; docs/rules/ when run from the sources). */
function explain(id: string): number {
  const known = rules.map((r) => r.meta.id);
  if (!known.includes(id)) {
    const close = known.filter((k) => k.includes(id) || id.includes(k) || sharedWords(k, id) >= 2);
    return fail(`--explain: unknown rule "${id}"${close.length ? ` (did you mean ${close.slice(0, 3).join(', ')}?)` : ''}; --list-rules prints them all`);
  }
  for (const dir of [join(__dirname, 'docs', 'rules'), join(__dirname, '..', '..', '..', 'docs', 'rules')]) {
    const file = join(dir, `${id}.md`);
    if (existsSync(file)) {
      process.stdout.write(readFileSync(file, 'utf8'));
      return 0;
    }
  }
  return fail(`--explain: the documentation of ${id} is not beside the CLI (${join(__dirname, 'docs', 'rules')}); it is at ${docsUrl(id)}`);
}

/** How many of the dash-separated words of two rule ids are the same. */
const sharedWords = (a: string, b: string): number => {
  const words = new Set(a.split('-'));
  return b.split('-').filter((w) => words.has(w)).length;
};

// (the bundle also runs as verify's worker thread: see cli/verify.ts)
if (require.main === module && isMainThread) {
  main(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code;
    },
    (e) => {
      process.stderr.write(`pg-rls-lint: internal error: ${(e as Error)?.stack ?? e}\n`);
      process.exitCode = 2;
    },
  );
}
