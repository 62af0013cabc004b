// A baseline: the findings a project accepts for now (`--update-baseline` writes them), left out of
// later runs (`--baseline <file>`), so that CI fails on new findings only while the old ones are
// worked off. A finding is recognised by its rule, its file, the SQL it points at and the
// statement that SQL is in (whitespace and comments aside), not by its line or message: a
// migration edited above it, or a message reworded by a new version of pg-rls-lint, keeps it
// recognised; a change to that statement makes it new.
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { readTextFile } from '../io/files.js';
import { lex } from '../analysis/parse.js';
import { CliError, toDisplay, writeIfUnchanged, type LintedFile, type LintRun } from './run.js';
import type { Finding } from '../engine/workspace.js';

export interface BaselineEntry {
  rule: string;
  /** the file, relative to the folder the CLI runs in, `/`-separated (as the CLI shows it) */
  path: string;
  /** the first 16 hex digits of the SHA-256 of the SQL the finding points at and of its statement, whitespace and comments aside */
  hash: string;
  /** how many findings of the rule point at that SQL in that file */
  count: number;
  /** the start of that SQL, for a reader of the file (not compared) */
  sql: string;
}

interface BaselineFile {
  version: 1;
  findings: BaselineEntry[];
}

/** What a run left out because of the baseline, and the entries it no longer finds (fixed, or their SQL changed). */
export interface BaselineOutcome {
  path: string;
  suppressed: number;
  stale: number;
}

const fold = (sql: string) => sql.replace(/\s+/g, ' ').trim();
// (what is compared: no comment, no whitespace — `CREATE TABLE t (\n  id int\n)` is `CREATE TABLE t (id int)`)
const bare = (sql: string) => sql.replace(/--[^\n]*/g, '').replace(/\/\*[\s\S]*?\*\//g, '').replace(/\s+/g, '');
const keyOf = (rule: string, path: string, hash: string) => `${rule}\u0000${path}\u0000${hash}`;

/** Each file's statements (as psql splits them), to find the one a finding is in. */
const chunksOf = new WeakMap<LintedFile, Array<{ start: number; end: number }>>();

/**
 * The SQL a finding points at and the statement it is in: the hash of both, whitespace and
 * comments aside (the statement's keeps findings of one rule on the same words apart: each
 * policy's `auth.uid()`), and the start of the pointed SQL for a reader.
 */
export function identify(f: LintedFile, d: Finding): { hash: string; sql: string } {
  let chunks = chunksOf.get(f);
  if (!chunks) chunksOf.set(f, (chunks = lex(f.text).chunks));
  const chunk = chunks.find((c) => c.start <= d.start && d.start < c.end);
  const pointed = f.text.slice(d.start, d.end);
  const statement = chunk ? f.text.slice(chunk.start, chunk.end) : '';
  return { hash: createHash('sha256').update(`${bare(statement)}\u0000${bare(pointed)}`).digest('hex').slice(0, 16), sql: fold(pointed).slice(0, 80) };
}

/** The baseline of a run's findings, by rule, file and SQL, in file and rule order. */
export function baselineOf(files: readonly LintedFile[]): BaselineEntry[] {
  const out = new Map<string, BaselineEntry>();
  for (const f of files) {
    for (const d of f.findings) {
      const { hash, sql } = identify(f, d);
      const key = keyOf(d.rule, f.path, hash);
      const e = out.get(key);
      if (e) e.count++;
      else out.set(key, { rule: d.rule, path: f.path, hash, count: 1, sql });
    }
  }
  return [...out.values()];
}

/** Reads a baseline file; a missing or malformed one is a usage error naming what to do. */
export async function readBaseline(cwd: string, path: string): Promise<BaselineEntry[]> {
  const abs = resolve(cwd, path);
  const shown = toDisplay(cwd, abs);
  if (!existsSync(abs)) throw new CliError(`baseline ${shown} does not exist: create it with --update-baseline (it records the findings of this run)`);
  const read = await readTextFile(abs, 'config');
  if (!read.ok) throw new CliError(`cannot read baseline ${shown}: ${read.reason}`);
  let parsed: unknown;
  try {
    parsed = JSON.parse(read.text);
  } catch (e) {
    throw new CliError(`invalid baseline ${shown}: ${(e as Error).message}; write it again with --update-baseline`);
  }
  const b = parsed as Partial<BaselineFile>;
  const ok =
    b !== null &&
    typeof b === 'object' &&
    b.version === 1 &&
    Array.isArray(b.findings) &&
    b.findings.every((e) => e && typeof e.rule === 'string' && typeof e.path === 'string' && typeof e.hash === 'string' && Number.isInteger(e.count) && e.count > 0);
  if (!ok) throw new CliError(`invalid baseline ${shown}: expected {"version": 1, "findings": [{"rule", "path", "hash", "count", "sql"}, …]} as --update-baseline writes it`);
  return b.findings!;
}

/**
 * The baseline as a filter: each call takes one run's (or one --fix pass's) files and returns, per
 * file, the findings the baseline does not hold (up to each entry's count, the first ones in file
 * order), with how many it left out and the entries it found no finding for.
 */
function filterOf(entries: readonly BaselineEntry[]) {
  return (files: readonly LintedFile[]) => {
    const left = new Map(entries.map((e) => [keyOf(e.rule, e.path, e.hash), e.count]));
    let suppressed = 0;
    const kept = files.map((f) =>
      f.findings.filter((d) => {
        const key = keyOf(d.rule, f.path, identify(f, d).hash);
        const n = left.get(key) ?? 0;
        if (n === 0) return true;
        left.set(key, n - 1);
        suppressed++;
        return false;
      }),
    );
    // (entries of files this run did not lint, e.g. --workspace naming other files: not stale)
    const linted = new Set(files.map((f) => f.path));
    let stale = 0;
    for (const e of entries) if (linted.has(e.path)) stale += Math.min(e.count, left.get(keyOf(e.rule, e.path, e.hash)) ?? 0);
    return { kept, suppressed, stale };
  };
}

/** Leaves out of the run's files the findings the baseline holds, and counts what it left out and the entries it found no finding for. */
export function applyBaseline(run: LintRun, entries: readonly BaselineEntry[], path: string): BaselineOutcome {
  const { kept, suppressed, stale } = filterOf(entries)(run.files);
  run.files.forEach((f, i) => (f.findings = kept[i]!));
  return { path, suppressed, stale };
}

/**
 * What `--fix` with `--baseline` may fix: the findings the baseline does not hold. The baseline's
 * findings are accepted for now, often in migrations a database has already run, where an edit
 * changes nothing but the history: they are left as they are, as they are left out of the report.
 */
export function fixableOutside(entries: readonly BaselineEntry[]): (files: readonly LintedFile[]) => Finding[][] {
  const filter = filterOf(entries);
  return (files) => filter(files).kept;
}

/**
 * Writes the run's findings as the baseline (atomically), keeping the entries of files the run did
 * not lint (a run with --workspace naming some files updates theirs only). Returns how many findings it holds.
 */
export async function writeBaseline(cwd: string, path: string, run: LintRun, previous: readonly BaselineEntry[]): Promise<number> {
  const abs = resolve(cwd, path);
  const linted = new Set(run.files.map((f) => f.path));
  const findings = [...previous.filter((e) => !linted.has(e.path)), ...baselineOf(run.files)].sort(
    (a, b) => a.path.localeCompare(b.path, 'en', { numeric: true }) || a.rule.localeCompare(b.rule) || a.hash.localeCompare(b.hash),
  );
  const text = `${JSON.stringify({ version: 1, findings } satisfies BaselineFile, null, 2)}\n`;
  const before = existsSync(abs) ? await readFile(abs, 'utf8') : undefined;
  if (before === undefined) {
    await writeFile(abs, text, { flag: 'wx' }).catch((e: Error) => {
      throw new CliError(`cannot write baseline ${toDisplay(cwd, abs)}: ${e.message}`);
    });
  } else if (before !== text && !(await writeIfUnchanged(abs, before, text))) throw new CliError(`baseline ${toDisplay(cwd, abs)} changed on disk during the run: not written`);
  return findings.reduce((n, e) => n + e.count, 0);
}

/**
 * Each finding's fingerprint for code scanning (SARIF partialFingerprints): its rule and identity
 * as the baseline knows it, with the occurrence among findings alike (`…:2` for the second), so
 * that an alert keeps its identity when lines move and a changed statement's alert is new.
 */
export function fingerprints(f: LintedFile): string[] {
  const seen = new Map<string, number>();
  return f.findings.map((d) => {
    const key = `${d.rule}:${identify(f, d).hash}`;
    const n = (seen.get(key) ?? 0) + 1;
    seen.set(key, n);
    return `${key}:${n}`;
  });
}
