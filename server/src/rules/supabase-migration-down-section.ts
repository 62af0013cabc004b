import { supabaseDownSections } from '../analysis/model.js';
import type { Statement } from '../analysis/types.js';
import { defineRule } from './types.js';

// The Supabase CLI (pkg/migration/file.go: NewMigrationFromFile, ExecBatch) splits a migration
// file into statements and runs every one of them in one batch: it knows no up or down marker.
// A file written for dbmate (`-- migrate:down`), goose (`-- +goose Down`), sql-migrate
// (`-- +migrate Down`) or node-pg-migrate (`-- Down Migration`) and put in supabase/migrations/ runs its rollback right after its up
// section. The replay does the same (model.ts, rollbackSections).

/** Whether a statement drops a table, view, policy or function, switches row-level security or revokes: quoted first. */
function weighty(s: Statement): boolean {
  if (s.kind === 'DropStmt') return /^OBJECT_(TABLE|VIEW|MATVIEW|POLICY|FUNCTION)$/.test(s.node?.removeType ?? '');
  if (s.kind === 'AlterTableStmt') return (s.node?.cmds ?? []).some((c: { AlterTableCmd?: { subtype?: string } }) => /RowSecurity$/.test(c.AlterTableCmd?.subtype ?? ''));
  return s.kind === 'GrantStmt' && s.node?.is_grant === false;
}

/** The first line of a statement's text, cut short. */
function firstLine(text: string): string {
  const line = text.trim().split('\n')[0]!.trim().replace(/;$/, '');
  return line.length > 70 ? `${line.slice(0, 69)}…` : line;
}

export const supabaseMigrationDownSection = defineRule({
  meta: {
    id: 'supabase-migration-down-section',
    description: 'A dbmate, goose, sql-migrate or node-pg-migrate down section in a Supabase migration: the Supabase CLI runs it right after the up section.',
    severity: 'warning',
    category: 'correctness',
    fixKind: 'none',
    guards:
      'The Supabase CLI runs every statement of a migration file; `-- +goose Down` and `-- migrate:down` are comments to it, so the rollback written after them runs on every database it builds.',
    sources: ['supabase/cli pkg/migration/file.go (NewMigrationFromFile, ExecBatch)'],
  },
  check({ model, report }) {
    for (const f of model.files) {
      for (const s of supabaseDownSections(f)) {
        const run = f.statements.filter((x) => x.origin === 'file' && x.kind !== 'TransactionStmt' && x.start >= s.start && x.start < s.end);
        if (run.length === 0) continue;
        const one = run.length === 1;
        // (those that drop tables, views, policies or functions, switch RLS or revoke first, then in file order)
        const shown = [...run.filter(weighty), ...run.filter((x) => !weighty(x))].slice(0, 3).map((x) => `\`${firstLine(f.text.slice(x.start, x.end))}\``);
        report({
          file: f.file,
          start: s.start,
          end: s.start + s.marker.length,
          message:
            `\`${s.marker}\` is only a comment to the Supabase CLI: supabase db reset, db push and migration up run every statement of a file in supabase/migrations/, so ${one ? 'the statement' : `the ${run.length} statements`} after it (${run.length > 3 ? 'among them ' : ''}${shown.join(', ')}${run.length > 3 ? ', …' : ''}) ${one ? 'runs' : 'run'} right after the ones before it, in the same migration, on every database the CLI builds: what ${one ? 'it drops or changes' : 'they drop or change'} is gone there. ` +
            'pg-rls-lint replays the file so too. Move the rollback out of supabase/migrations/ (the CLI has no down migrations: supabase migration down resets the database to an earlier version), or comment its statements out.',
        });
      }
    }
  },
});
