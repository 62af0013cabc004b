// `pg-rls-lint verify`: replays the migrations on an embedded PostgreSQL (PGlite) and probes
// every RLS table as each role, so a finding can be shown to really fail.
import { homedir } from 'node:os';
import { join } from 'node:path';
import { formatOutcome, verify } from '../verify/pglite.js';
import { collectFiles, loadConfig, readAllFiles, type LintOptions } from './run.js';
import { makePositionAt } from '../analysis/parse.js';
import { isSupabaseLayout, migrationOrder } from '../analysis/model.js';
import { counted } from './words.js';

export async function lintVerify(options: LintOptions, format: 'text' | 'json'): Promise<{ text: string; exitCode: number }> {
  const config = await loadConfig(options.cwd, options.configPath, options.rules);
  const absolute = await collectFiles(options.paths, options.cwd, config);
  // the lint's order (natural sort of paths; psql includes and rollbacks are handled by verify)
  const files = migrationOrder((await readAllFiles(options.cwd, absolute)).map((f) => ({ file: f.path, text: f.text })));
  const supabase = files.some((f) => isSupabaseLayout(f.file));
  const result = await verify(files, { cacheDir: join(process.env.XDG_CACHE_HOME ?? join(homedir(), '.cache'), 'pg-rls-lint'), supabaseDefaultPrivileges: supabase });
  const texts = new Map(files.map((f) => [f.file, f.text]));
  const where = (file: string, offset: number) => {
    const p = makePositionAt(texts.get(file) ?? '').positionAt(offset);
    return { line: p.line + 1, column: p.character + 1 };
  };
  const failing = result.probes.filter((p) => p.outcome === 'dead' || p.code === '42P17' || p.code === '54001');
  const exitCode = result.statementErrors.length > 0 || failing.length > 0 ? 1 : 0;
  if (format === 'json') {
    return {
      exitCode,
      text: JSON.stringify(
        {
          pgVersion: result.pgVersion,
          timedOut: !!result.timedOut,
          statementErrors: result.statementErrors.map((e) => ({ path: e.file, ...where(e.file, e.offset), code: e.code, message: e.message })),
          probes: result.probes,
        },
        null,
        2,
      ),
    };
  }
  const lines = [`verified on ${result.pgVersion}: ${counted(files.length, 'file')}`];
  for (const e of result.statementErrors) {
    const w = where(e.file, e.offset);
    lines.push(`${e.file}:${w.line}:${w.column}  ${e.code} ${e.message}`);
  }
  if (result.probes.length) lines.push('', 'probes (each in a rolled-back transaction):');
  for (const p of result.probes) lines.push(`  ${formatOutcome(p)}`);
  if (result.timedOut) lines.push('', 'time budget exhausted: the remaining statements or probes were not run');
  lines.push('', exitCode ? `✖ ${counted(result.statementErrors.length, 'statement error')}, ${counted(failing.length, 'failing probe')} (recursion)` : '✔ migrations replay cleanly and no probe recurses');
  return { text: lines.join('\n'), exitCode };
}
