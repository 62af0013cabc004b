// Rule documentation shipped with the extension: `dist/docs/rules/<id>.md`, copied there from
// `docs/rules/` by scripts/build.mjs. No `vscode` import, so tests can load this module.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

/** Same as DOCS_BASE in server/src/rules/types.ts (a test keeps them equal). */
export const DOCS_BASE = 'https://github.com/pg-rls-lint/pg-rls-lint/blob/main/docs/rules/';

export interface RuleDoc {
  id: string;
  file: string;
  /** The doc's one-line summary (its first paragraph line), or ''. */
  summary: string;
}

/** Rule ids are kebab-case; anything else is not looked up on disk. */
export function isRuleId(id: string): boolean {
  return /^[a-z0-9]+(?:-[a-z0-9]+)*$/.test(id);
}

/** The doc file of a rule, or undefined when the extension does not ship one. */
export function ruleDocFile(docsDir: string, id: string): string | undefined {
  if (!isRuleId(id)) return undefined;
  const file = join(docsDir, `${id}.md`);
  return existsSync(file) ? file : undefined;
}

/** First non-heading, non-empty line of a Markdown doc. */
function summaryOf(file: string): string {
  try {
    const lines = readFileSync(file, 'utf8').split(/\r?\n/);
    return lines.find((l) => l.trim() !== '' && !l.startsWith('#'))?.trim() ?? '';
  } catch {
    return '';
  }
}

/** Every rule doc in `docsDir`, sorted by id; [] when the folder is missing. */
export function listRuleDocs(docsDir: string): RuleDoc[] {
  let names: string[];
  try {
    names = readdirSync(docsDir);
  } catch {
    return [];
  }
  return names
    .filter((n) => n.endsWith('.md') && isRuleId(n.slice(0, -3)))
    .sort()
    .map((n) => {
      const file = join(docsDir, n);
      return { id: n.slice(0, -3), file, summary: summaryOf(file) };
    });
}

/** A diagnostic's `code` as VS Code delivers it: a string, a number or `{ value, target }`. */
export type DiagnosticCode = string | number | { value: string | number; target?: { toString(): string } } | undefined;

/** Rule id and (when given) documentation URL of a diagnostic code. */
export function ruleOfCode(code: DiagnosticCode): { id: string; url?: string } | undefined {
  if (code === undefined || code === null) return undefined;
  if (typeof code === 'string' || typeof code === 'number') return { id: String(code) };
  return { id: String(code.value), url: code.target?.toString() };
}
