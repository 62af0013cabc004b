// The editor's verify: runs the CLI's `verify --format json` on a project's folder in a child
// process (PGlite and its memory live and die with it, not in the language server) and reads
// which lint findings the engine showed, for the diagnostics to say so (server.ts).
import { spawn } from 'node:child_process';
import { resolve } from 'node:path';

/** A lint finding the engine showed: where (absolute path, 1-based line and column), and how. */
export interface ShownNote {
  path: string;
  rule: string;
  line: number;
  column: number;
  text: string;
}

/** A statement of the migrations that failed in verify's replay: where (absolute path, 1-based line and column), and PostgreSQL's error. */
export interface StatementError {
  path: string;
  line: number;
  column: number;
  code: string;
  message: string;
  /** the failing statement (1-based lines and columns; its end exclusive) */
  statement?: { start: { line: number; column: number }; end: { line: number; column: number } };
  /** why it failed, where the other statements tell (the CLI's `cause`; paths as the CLI prints them) */
  cause?: StatementCause;
}

/** verify/causes.ts's Cause as the CLI's JSON gives it. */
export type StatementCause =
  | { kind: 'follows'; missing: { kind: string; name: string }; follows: { path: string; line: number; column: number } }
  | { kind: 'never'; missing: { kind: string; name: string }; notRunAt?: { path: string; line: number; column: number } }
  | { kind: 'later'; missing: { kind: string; name: string }; madeAt: { path: string; line: number; column: number } };

export interface VerifyRun {
  pgVersion: string;
  shown: ShownNote[];
  /** the statements that failed in the replay (their number: `statementErrors`) */
  errors: StatementError[];
  statementErrors: number;
  /** probes that recursed or did not finish (42P17, 54001, the engine lost) */
  failingProbes: number;
  timedOut: boolean;
}

/** What the CLI's JSON holds that the editor uses. */
interface VerifyJson {
  pgVersion?: string;
  timedOut?: boolean;
  statementErrors?: Array<{ path?: string; line?: number; column?: number; code?: string; message?: string; statement?: StatementError['statement']; cause?: StatementCause }>;
  probes?: Array<{ outcome?: string; code?: string }>;
  shown?: Array<{ rule?: string; path?: string; line?: number; column?: number; text?: string }>;
}

/**
 * Runs `node <cli> verify --format json .` in `folder` (the files as saved on disk, the
 * folder's `.pg-rls-lint.json` applied as the CLI applies it). Rejects with the CLI's own
 * error when it could not verify (no SQL files, a bad config…), or with `cancelled` when
 * `onCancel`'s callback is called (the child is killed).
 */
export function runVerify(cli: string, folder: string, onCancel?: (stop: () => void) => void): Promise<VerifyRun> {
  const args = [cli, 'verify', '--format', 'json', '.'];
  return new Promise((done, fail) => {
    // (in VS Code the server runs on the editor's Electron as node: so does the CLI)
    const child = spawn(process.execPath, args, { cwd: folder, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ELECTRON_RUN_AS_NODE: '1' } });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (b: Buffer) => out.push(b));
    child.stderr.on('data', (b: Buffer) => err.push(b));
    child.on('error', fail);
    let cancelled = false;
    onCancel?.(() => {
      cancelled = true;
      child.kill();
    });
    child.on('close', (code) => {
      if (cancelled) return fail(new Error('cancelled'));
      const stderr = Buffer.concat(err).toString('utf8').trim();
      // (exit 1: statement errors or failing probes, still a verify)
      if (code !== 0 && code !== 1) return fail(new Error(stderr.split('\n').pop() || `pg-rls-lint verify exited with ${code}`));
      let json: VerifyJson;
      try {
        json = JSON.parse(Buffer.concat(out).toString('utf8')) as VerifyJson;
      } catch {
        return fail(new Error(`pg-rls-lint verify printed no JSON${stderr ? `: ${stderr.split('\n').pop()}` : ''}`));
      }
      done({
        pgVersion: json.pgVersion ?? 'PostgreSQL',
        shown: (json.shown ?? []).flatMap((s) =>
          s.rule && s.path && s.line && s.column ? [{ path: resolve(folder, s.path), rule: s.rule, line: s.line, column: s.column, text: s.text ?? '' }] : [],
        ),
        errors: (json.statementErrors ?? []).flatMap((e) =>
          e.path && e.line && e.column
            ? [{ path: resolve(folder, e.path), line: e.line, column: e.column, code: e.code ?? 'XX000', message: e.message ?? '', ...(e.statement ? { statement: e.statement } : {}), ...(e.cause ? { cause: e.cause } : {}) }]
            : [],
        ),
        statementErrors: json.statementErrors?.length ?? 0,
        failingProbes: (json.probes ?? []).filter((p) => p.outcome === 'dead' || p.code === '42P17' || p.code === '54001').length,
        timedOut: !!json.timedOut,
      });
    });
  });
}

/** The key of a finding's place: the shown notes are looked up by it. */
export const noteKey = (id: string, rule: string, line: number, column: number) => `${id}\u0000${rule}\u0000${line}\u0000${column}`;
