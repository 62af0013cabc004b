import { defineRule } from './types.js';
import { statementsNeverRun, supabaseMigration } from './lib/util.js';

// The Supabase CLI (pkg/migration/list.go, ListLocalMigrations) reads the files of
// supabase/migrations/ in file name order (Go's fs.ReadDir) and applies those whose name matches
// `^([0-9]+)_(.*)\.sql$`; it skips any other, printing "Skipping migration <name>... (file name
// must match pattern "<timestamp>_name.sql")". Subfolders are never read (an archive there is
// deliberate): only files right in the folder are looked at.

export const supabaseMigrationSkipped = defineRule({
  meta: {
    id: 'supabase-migration-skipped',
    description: 'A file in supabase/migrations/ whose name is not <timestamp>_name.sql: the Supabase CLI skips it.',
    severity: 'warning',
    category: 'correctness',
    fixKind: 'none',
    guards:
      'supabase db reset, db push and migration up apply only files named digits, an underscore and a name ending in .sql: the policies and grants of any other file never reach the database.',
    sources: ['supabase/cli pkg/migration/list.go (ListLocalMigrations, migrateFilePattern)'],
  },
  check({ model, report }) {
    // per folder, the names of the files the CLI applies, in its order (file name order, as fs.ReadDir gives them)
    const folders = new Map<string, string[]>();
    for (const f of model.files) {
      const m = supabaseMigration(f.file);
      if (!m) continue;
      const list = folders.get(m.folder) ?? [];
      folders.set(m.folder, list);
      if (m.applied) list.push(m.name);
    }
    for (const list of folders.values()) list.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
    for (const f of model.files) {
      const m = supabaseMigration(f.file);
      if (!m) continue;
      const name = m.name;
      // (a file with no statement loses nothing by being skipped)
      if (m.applied || !f.statements.some((s) => s.origin === 'file')) continue;
      // where it would run, among the files the CLI applies
      const applied = folders.get(m.folder)!;
      const placeOf = (as: string) => {
        const prev = applied.filter((n) => n < as).pop();
        const next = applied.find((n) => n > as);
        return prev && next ? `between ${prev} and ${next}` : prev ? `after ${prev}` : next ? `before ${next}` : undefined;
      };
      const place = placeOf(name);
      const top = f.statements.filter((s) => s.origin === 'file');
      const holds = ` ${statementsNeverRun(top, 'a database built with the CLI')}.`;
      // (digits, then a hyphen or a dot where the underscore goes, as some generators name them: the fix keeps the version)
      const sep = /^([0-9]+)[-.](.+\.sql)$/.exec(name);
      // (only where the new name sorts between the same migrations: two of one version may swap)
      const renamed = sep ? `${sep[1]}_${sep[2]}` : undefined;
      const same = renamed !== undefined && placeOf(renamed) === place ? renamed : undefined;
      const first = top[0]!;
      report({
        file: f.file,
        start: first.start,
        end: first.end,
        message:
          `The Supabase CLI skips ${name}: it applies a migration only when its file name is digits, an underscore and a name ending in .sql (<timestamp>_name.sql), so supabase db reset, db push and migration up never run this file (they print "Skipping migration ${name}... (file name must match pattern "<timestamp>_name.sql")").` +
          holds +
          (same
            ? ` Rename it ${same}: the same version, followed by the underscore the CLI looks for, so it keeps its place${place ? ` (${place})` : ''}.`
            : ` Rename it to a version that sorts where it must run${place ? ` (by name it comes ${place})` : ''}, e.g. a 14-digit timestamp and an underscore.`) +
          (model.notReplayed.get(f) === 'copy'
            ? ' pg-rls-lint leaves it out of its replay, as the CLI does: it makes again what the migrations before it make (a copy or a bundle of them), and run after them it would fail on each (42P07, 42710) and set back what later ones changed.'
            : ' pg-rls-lint replays it all the same, in file name order, as if it were run by other means.'),
      });
    }
  },
});
