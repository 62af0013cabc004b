// The RLS matrix (command `pgRlsLint.server.rlsMatrix`): one section per project: a summary
// (tables × RLS enabled / forced × policy count) and the access grid (tables × commands ×
// roles: allow / filtered / deny / RLS off / bypass) computed by analysis/matrix.ts.
import { rlsMatrix as computeMatrix, type MatrixCell } from '../analysis/matrix.js';
import type { Model } from '../analysis/model.js';

export const ACCESS_LEGEND =
  '✅ allow: a permissive policy that is `true` (no restrictive policy) · 🔍 filtered: rows filtered by policy conditions · ' +
  '⛔ deny: no row (no permissive policy, or no GRANT) · ⚠️ RLS off: every row · ⏩ bypass: superuser, BYPASSRLS or owner (RLS not forced)';

export function rlsMatrix(projects: ReadonlyArray<{ name: string; model: Model }>): string {
  const parts: string[] = ['# Row-level security matrix', ''];
  const titled = projects.length > 1;
  for (const { name, model } of projects) {
    if (titled) parts.push(`## ${escape(name || 'Files outside the workspace folders')}`, '');
    const tables = [...model.tables.values()].filter((t) => !t.temp).sort((a, b) => a.key.localeCompare(b.key));
    if (tables.length === 0) {
      parts.push('_No tables._', '');
      continue;
    }
    parts.push('| Table | RLS enabled | RLS forced | Policies |', '|---|:---:|:---:|---:|');
    for (const t of tables) {
      parts.push(`| ${escape(t.key)} | ${t.rlsEnabled ? 'yes' : '**no**'} | ${t.rlsForced ? 'yes' : 'no'} | ${t.policies.length} |`);
    }
    parts.push('');
    const m = computeMatrix(model);
    parts.push(`${titled ? '###' : '##'} Access by role and command`, '', ACCESS_LEGEND, '');
    parts.push(`| Table | Command | ${m.roles.map((r) => escape(r === 'public' ? 'PUBLIC' : r)).join(' | ')} |`, `|---|---|${m.roles.map(() => '---').join('|')}|`);
    for (const row of m.tables) {
      for (const cmd of m.commands) {
        parts.push(`| ${escape(row.table)} | ${cmd.toUpperCase()} | ${m.roles.map((r) => markdownCell(row.cells[r]![cmd])).join(' | ')} |`);
      }
    }
    parts.push('');
  }
  return parts.join('\n');
}

export function markdownCell(c: MatrixCell): string {
  switch (c.access) {
    case 'allow':
      return `✅ allow (${c.policies.map(escape).join(', ')})`;
    case 'filtered':
      return `🔍 filtered (${c.policies.map(escape).join(', ')})`;
    case 'deny':
      return `⛔ deny${c.reason ? ` (${escape(c.reason)})` : ''}`;
    case 'rls-off':
      return '⚠️ RLS off';
    case 'bypass':
      return `⏩ bypass (${escape(c.reason ?? '')})`;
    case 'unknown':
      return `❔ unknown (${escape(c.reason ?? '')})`;
  }
}

function escape(s: string): string {
  return s.replace(/[|\\`*_[\]<>]/g, (c) => `\\${c}`);
}
