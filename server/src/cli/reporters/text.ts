// eslint "stylish"-like output: grouped by file, `line:col  severity  message  rule`.
import { countFindings, type LintRun } from '../run.js';
import { counted } from '../../analysis/words.js';
import { describeDatabases, replayedDatabases } from '../../analysis/databases.js';
import { mergeRepeated } from '../../engine/merge-repeated.js';

export function formatText(run: LintRun, color: boolean): string {
  const c = (code: string, s: string) => (color ? `\u001b[${code}m${s}\u001b[0m` : s);
  const sev = { error: c('31', 'error'), warning: c('33', 'warning'), info: c('36', 'info'), hint: c('2', 'hint') };
  const lines: string[] = [];
  // (findings a loop gives on each table, at one place: one line naming the others, as the editor shows them)
  let folded = 0;
  for (const f of run.files) {
    if (f.findings.length === 0) continue;
    lines.push(c('4', f.path));
    const shown = mergeRepeated(f.findings);
    folded += f.findings.length - shown.length;
    for (const d of shown) {
      const pos = `${d.range.start.line + 1}:${d.range.start.character + 1}`;
      lines.push(`  ${pos.padEnd(8)} ${sev[d.severity].padEnd(color ? 16 : 7)}  ${d.message}  ${c('2', d.rule)}`);
    }
    lines.push('');
  }
  // (several databases: said, since each is replayed on its own and a finding is about its database)
  // (not one none of whose files is replayed: replayLines tells why)
  const dbs = replayedDatabases(run.databases, new Set(run.notReplayed.map((n) => n.path)));
  if (dbs.length > 1) lines.push(c('2', `${describeDatabases(dbs)} (the config's "databases" setting decides: see the README)`));
  const n = countFindings(run.files);
  const total = n.errors + n.warnings + n.infos;
  for (const p of run.fixed) lines.push(`fixed: ${p}`);
  for (const p of run.skipped) lines.push(c('33', `not fixed (changed on disk during the run): ${p}`));
  lines.push(...replayLines(run, c));
  if (total === 0) lines.push(c('32', `✔ no problems in ${counted(run.files.length, 'file')}${allSkipped(run) ? ` (none of them replayed: only syntax was checked)` : ''}`));
  else {
    lines.push(c(n.errors ? '31' : '33', `✖ ${counted(total, 'problem')} (${counted(n.errors, 'error')}, ${counted(n.warnings, 'warning')}, ${n.infos} info) in ${counted(run.files.length, 'file')}`));
    if (n.fixable) lines.push(`  ${n.fixable} fixable with --fix`);
    if (folded) lines.push(c('2', `  ${counted(folded, 'finding')} of one rule at one place (a loop over tables, or a function called for each) shown in the line naming them; --format json lists each`));
  }
  const b = run.baseline;
  if (b?.suppressed) lines.push(c('2', `  ${counted(b.suppressed, 'finding')} recorded in the baseline ${b.path} not shown`));
  if (b?.stale) lines.push(c('2', `  ${counted(b.stale, 'finding')} of the baseline ${b.path} no longer found (fixed, or the SQL changed): --update-baseline drops ${b.stale === 1 ? 'it' : 'them'}`));
  return lines.join('\n');
}

/** Whether no file with statements was replayed (every file with statements is in run.notReplayed). */
function allSkipped(run: LintRun): boolean {
  return run.notReplayed.length > 0 && run.notReplayed.length === run.files.filter((f) => /\S/.test(f.text)).length;
}

/**
 * The files parsed but not replayed, one line per reason, with up to three of them named (a
 * clean run over files no rule saw is not a clean history), and the files of folders inside a
 * supabase/migrations/ holding no file itself, replayed on an assumption the run states.
 */
function replayLines(run: LintRun, c: (code: string, s: string) => string): string[] {
  // (a Supabase project's files its CLI never applies are told with the databases already)
  const told = new Set(run.databases.flatMap((d) => (d.kind === 'unapplied' ? d.files : [])));
  const byReason = new Map<string, string[]>();
  for (const n of run.notReplayed) if (!told.has(n.path)) byReason.set(n.reason, [...(byReason.get(n.reason) ?? []), n.path]);
  const named = (paths: readonly string[]) => `${paths.slice(0, 3).join(', ')}${paths.length > 3 ? `, and ${paths.length - 3} more` : ''}; --format json lists each`;
  const lines = [...byReason].map(([reason, paths]) => c('2', `not replayed (only their syntax is checked): ${counted(paths.length, 'file')} ${reason} (${named(paths)})`));
  const h = run.historyInFolders;
  if (h.length) lines.push(c('2', `replayed as the history, in path order: ${counted(h.length, 'file')} in folders inside a supabase/migrations/ that holds no file itself — the Supabase CLI applies none of them, so they are taken as run by hand or by another tool (${named(h)})`));
  return lines;
}
