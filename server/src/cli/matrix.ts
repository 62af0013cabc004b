// `pg-rls-lint matrix [paths]`: the RLS matrix of the migrations (tables × roles × commands →
// allow / filtered / deny / rls-off / bypass), as text or JSON. The cells are computed by
// analysis/matrix.ts (the editor's "Show RLS matrix" renders the same data as Markdown).
import { rlsMatrix, type MatrixCell, type RlsMatrix } from '../analysis/matrix.js';
import { initParser, Workspace } from '../engine/workspace.js';
import { idBase, readBeside, collectFiles, loadConfig, readAllFiles, rootRelative } from './run.js';
import { counted } from '../analysis/words.js';

export interface MatrixOptions {
  paths: string[];
  cwd: string;
  configPath?: string;
  rules: string[];
  warn?: (message: string) => void;
}

/** The matrix of each database the files make (one, named '', unless they make several: analysis/databases.ts). */
export type Matrices = Array<{ name: string; matrix: RlsMatrix }>;

export async function matrixOf(options: MatrixOptions): Promise<Matrices> {
  const config = await loadConfig(options.cwd, options.configPath, options.rules);
  const { files, changelogs } = await collectFiles(options.paths, options.cwd, config);
  await initParser();
  const ws = new Workspace(config, undefined, { relPath: rootRelative(options.cwd, idBase(options.cwd), options.paths) });
  const read = await readAllFiles(options.cwd, files, options.warn, idBase(options.cwd));
  for (const f of read) ws.setFile(f.path, f.text);
  await readBeside(ws, options.cwd, read.map((f) => f.absolute), options.warn, idBase(options.cwd), changelogs);
  return ws.databases().map((d) => ({ name: d.name, matrix: rlsMatrix(ws.model(d.files[0])) }));
}

export const LEGEND =
  'allow: a permissive policy that is true (no restrictive policy) · filtered: rows filtered by policy conditions · ' +
  'deny: no row (no permissive policy, or no GRANT) · rls-off: RLS disabled, every row · bypass: superuser, BYPASSRLS or owner (RLS not forced) · ' +
  'unknown: policies made by dynamic SQL, not read';

export function cellText(c: MatrixCell): string {
  switch (c.access) {
    case 'allow':
    case 'filtered':
      return `${c.access} (${c.policies.join(', ')})`;
    case 'deny':
    case 'bypass':
    case 'unknown':
      return c.reason ? `${c.access} (${c.reason})` : c.access;
    case 'rls-off':
      return 'rls-off';
  }
}

/** One database's matrix as it is; several, each under its name (`database <name>`). */
export function formatMatricesText(ms: Matrices): string {
  if (ms.length === 1) return formatMatrixText(ms[0]!.matrix);
  return ms.map((m) => `== database ${m.name} ==\n${formatMatrixText(m.matrix)}`).join('\n\n');
}

/** JSON: one database's matrix as formatMatrixJson; several as `{ databases: [{ name, roles, commands, tables }] }`. */
export function formatMatricesJson(ms: Matrices): string {
  if (ms.length === 1) return formatMatrixJson(ms[0]!.matrix);
  return JSON.stringify({ databases: ms.map((m) => ({ name: m.name, ...m.matrix })) }, null, 2);
}

export function formatMatrixText(m: RlsMatrix): string {
  if (m.tables.length === 0) return 'No tables.';
  const out: string[] = [`RLS matrix: ${counted(m.tables.length, 'table')} × ${counted(m.roles.length, 'role')} × ${counted(m.commands.length, 'command')}`, LEGEND];
  const roleLabel = (r: string) => (r === 'public' ? 'PUBLIC' : r);
  for (const row of m.tables) {
    const state = row.rlsEnabled ? `RLS on, ${row.rlsForced ? 'forced' : 'not forced'}` : 'RLS off';
    out.push('', `${row.table}  ${state}, ${row.policyCount} ${row.policyCount === 1 ? 'policy' : 'policies'}`);
    const grid = [['command', ...m.roles.map(roleLabel)], ...m.commands.map((cmd) => [cmd.toUpperCase(), ...m.roles.map((r) => cellText(row.cells[r]![cmd]))])];
    const widths = grid[0]!.map((_, i) => Math.max(...grid.map((line) => line[i]!.length)));
    for (const line of grid) out.push(`  ${line.map((c, i) => (i === line.length - 1 ? c : c.padEnd(widths[i]!))).join('  ')}`);
  }
  return out.join('\n');
}

/** JSON: `{ roles, commands, tables: [{ table, rlsEnabled, rlsForced, policyCount, cells: { role: { command: { access, policies, reason? } } } }] }` */
export function formatMatrixJson(m: RlsMatrix): string {
  return JSON.stringify(m, null, 2);
}
