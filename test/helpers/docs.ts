// Reads a rule's doc page (docs/rules/<id>.md) and returns its SQL examples.
// Format: code blocks (```sql) under `## Invalid` and `## Valid` headings. A block may hold
// several migration files, each starting with a `-- file: <name>.sql` line, and a
// `-- config: {json}` line to lint it with settings. A `-- file: <folder>/meta/_journal.json`
// part is a Drizzle Kit journal (JSON, not SQL): the example is linted with it.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { mergeConfig, type Config } from '../../server/src/analysis/config.js';
import { journalTags, type DrizzleJournal } from '../../server/src/analysis/drizzle-journal.js';

export interface DocExample {
  /** 1-based line of the code block in the doc, for messages */
  line: number;
  files: Array<{ file: string; text: string }>;
  config: Config;
  /** the Drizzle Kit journals of the example (`-- file: <folder>/meta/_journal.json` parts), given to the workspace as the CLI reads them */
  journals: DrizzleJournal[];
  /** all files joined, for executing on PostgreSQL */
  sql: string;
}

export interface RuleDoc {
  path: string;
  text: string;
  invalid: DocExample[];
  valid: DocExample[];
}

export const DOCS_DIR = join(__dirname, '..', '..', 'docs', 'rules');

export function loadRuleDoc(id: string): RuleDoc {
  const path = join(DOCS_DIR, `${id}.md`);
  const text = readFileSync(path, 'utf8');
  const invalid: DocExample[] = [];
  const valid: DocExample[] = [];
  let section: 'invalid' | 'valid' | undefined;
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const l = lines[i]!;
    const h = /^##\s+(.*)$/.exec(l);
    if (h) {
      const title = h[1]!.toLowerCase();
      section = title.startsWith('invalid') ? 'invalid' : title.startsWith('valid') ? 'valid' : undefined;
      continue;
    }
    if (section && /^```sql\s*$/.test(l)) {
      const start = i + 1;
      const body: string[] = [];
      i++;
      while (i < lines.length && !/^```\s*$/.test(lines[i]!)) body.push(lines[i++]!);
      (section === 'invalid' ? invalid : valid).push(toExample(body.join('\n'), start));
    }
  }
  return { path, text, invalid, valid };
}

function toExample(block: string, line: number): DocExample {
  let config = mergeConfig();
  const files: Array<{ file: string; text: string }> = [];
  let current: { file: string; lines: string[] } = { file: 'migration.sql', lines: [] };
  for (const l of block.split('\n')) {
    const f = /^--\s*file:\s*(\S+)\s*$/.exec(l);
    const c = /^--\s*config:\s*(\{.*\})\s*$/.exec(l);
    if (c) {
      config = mergeConfig(JSON.parse(c[1]!));
      continue;
    }
    if (f) {
      if (current.lines.some((x) => x.trim())) files.push({ file: current.file, text: current.lines.join('\n') });
      current = { file: f[1]!, lines: [] };
      continue;
    }
    current.lines.push(l);
  }
  if (current.lines.some((x) => x.trim()) || files.length === 0) files.push({ file: current.file, text: current.lines.join('\n') });
  const journals: DrizzleJournal[] = [];
  for (const f of files) {
    const j = /^(.*\/)meta\/_journal\.json$/.exec(f.file);
    if (!j) continue;
    const tags = journalTags(f.text);
    if (!Array.isArray(tags)) throw new Error(`${f.file}: ${tags.problem}`);
    journals.push({ folder: j[1]!, source: f.file, tags });
  }
  const sql = journals.length ? files.filter((f) => !f.file.endsWith('/meta/_journal.json')) : files;
  return { line, files: sql, config, journals, sql: sql.map((x) => x.text).join('\n') };
}
