// One line per finding, `path:line:column: severity [rule] message`: what editors' error parsers
// read (Vim's default errorformat `%f:%l:%c: %m` with :cfile / :make, Emacs' compilation mode),
// and what grep, sort and a diff of two runs handle line by line. Lines and columns count from 1
// (columns in UTF-16 code units, as the text format's).
import type { LintRun } from '../run.js';

export function formatCompact(run: LintRun): string {
  const out: string[] = [];
  for (const f of run.files) {
    for (const d of f.findings) {
      out.push(`${f.path}:${d.range.start.line + 1}:${d.range.start.character + 1}: ${d.severity} [${d.rule}] ${d.message.replace(/\s*\n\s*/g, ' ')}`);
    }
  }
  return out.join('\n');
}
