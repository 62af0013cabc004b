// GitHub Actions workflow commands (annotations).
import { mergeRepeated } from '../../engine/merge-repeated.js';
import type { LintRun } from '../run.js';

const escapeData = (s: string) => s.replace(/%/g, '%25').replace(/\r/g, '%0D').replace(/\n/g, '%0A');
const escapeProperty = (s: string) => escapeData(s).replace(/:/g, '%3A').replace(/,/g, '%2C');

export function formatGithub(run: LintRun): string {
  const out: string[] = [];
  for (const f of run.files) {
    // (a loop's findings on each table as one: GitHub shows a few annotations per step)
    for (const d of mergeRepeated(f.findings)) {
      const kind = d.severity === 'error' ? 'error' : d.severity === 'warning' ? 'warning' : 'notice';
      const props = [
        `file=${escapeProperty(f.path)}`,
        `line=${d.range.start.line + 1}`,
        `col=${d.range.start.character + 1}`,
        `endLine=${d.range.end.line + 1}`,
        `endColumn=${d.range.end.character + 1}`,
        `title=${escapeProperty(d.rule)}`,
      ];
      out.push(`::${kind} ${props.join(',')}::${escapeData(d.message)}`);
    }
  }
  return out.join('\n');
}
