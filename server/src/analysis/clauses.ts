// Which expressions a policy's command takes (PostgreSQL's CreatePolicy / AlterPolicy checks).

/**
 * PostgreSQL's error for a CREATE POLICY (`alter`: an ALTER POLICY of a policy for `command`)
 * whose clauses its command does not take, if any: FOR INSERT takes only WITH CHECK, FOR
 * SELECT and DELETE only USING (measured on PGlite, PostgreSQL 18).
 */
export function clauseError(n: { cmd_name?: string; qual?: unknown; with_check?: unknown } | undefined, alter?: { command: string }): string | undefined {
  const cmd = alter ? alter.command : (n?.cmd_name ?? 'all');
  if (cmd === 'insert' && n?.qual) return 'only WITH CHECK expression allowed for INSERT';
  if ((cmd === 'select' || cmd === 'delete') && n?.with_check) return alter ? 'only USING expression allowed for SELECT, DELETE' : 'WITH CHECK cannot be applied to SELECT or DELETE';
  return undefined;
}
