// The RLS matrix (command `pgRlsLint.server.rlsMatrix`): one Markdown table per project,
// tables × RLS enabled / forced × policy count, from the workspace model.
import type { Model } from '../analysis/model.js';

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
  }
  return parts.join('\n');
}

function escape(s: string): string {
  return s.replace(/[|\\`*_[\]<>]/g, (c) => `\\${c}`);
}
