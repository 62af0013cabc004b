import { defineRule } from './types.js';
import { supabaseMigration } from './lib/util.js';

// The Supabase CLI records each migration it applies in supabase_migrations.schema_migrations,
// whose primary key is the version: the digits before the first underscore of the file name
// (pkg/migration: `^([0-9]+)_(.*)\.sql$`). Two files of one version: the second one's
// `INSERT INTO supabase_migrations.schema_migrations(version, name, statements)` fails with 23505
// duplicate key value violates unique constraint "schema_migrations_pkey" (Key (version)=(…)
// already exists), and supabase db reset / start / db push stop there (supabase/cli#2564, #1844;
// supabase/supabase#9811).

export const supabaseMigrationVersionDuplicate = defineRule({
  meta: {
    id: 'supabase-migration-version-duplicate',
    description: 'Two files in supabase/migrations/ with the same version (the digits before the first underscore): the Supabase CLI fails on the second one.',
    severity: 'error',
    category: 'correctness',
    fixKind: 'none',
    guards:
      'The Supabase CLI records every migration by its version in supabase_migrations.schema_migrations, whose primary key is the version: the second file of a version fails with 23505 (schema_migrations_pkey), and supabase db reset, start and db push stop there, leaving the migrations after it (their policies and grants) unapplied.',
    sources: ['supabase/cli pkg/migration (migrateFilePattern; INSERT INTO supabase_migrations.schema_migrations)', 'supabase/cli#2564', 'supabase/supabase#9811'],
  },
  check({ model, report }) {
    // per folder and version, the files the CLI applies, in its order (file name order)
    const byVersion = new Map<string, Array<{ file: string; name: string }>>();
    for (const f of model.files) {
      const m = supabaseMigration(f.file);
      if (!m?.applied) continue;
      const version = m.name.slice(0, m.name.indexOf('_'));
      const key = `${m.folder}\0${version}`;
      const list = byVersion.get(key) ?? [];
      list.push({ file: f.file, name: m.name });
      byVersion.set(key, list);
    }
    for (const list of byVersion.values()) {
      if (list.length < 2) continue;
      list.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
      const first = list[0]!;
      const version = first.name.slice(0, first.name.indexOf('_'));
      for (const later of list.slice(1)) {
        const parsed = model.files.find((f) => f.file === later.file)!;
        const s = parsed.statements.find((x) => x.origin === 'file');
        report({
          file: later.file,
          start: s?.start ?? 0,
          end: s?.end ?? 0,
          message:
            `${later.name} has the version ${version}, as ${first.name} has: the Supabase CLI records each migration by its version (the digits before the first underscore) in supabase_migrations.schema_migrations, whose primary key is the version, ` +
            `so recording this file fails with 23505 duplicate key value violates unique constraint "schema_migrations_pkey" (Key (version)=(${version}) already exists), and supabase db reset, start and db push stop there: the migrations after it, with their policies and grants, are not applied. ` +
            `Rename it with a version of its own that sorts where it must run (e.g. a 14-digit timestamp). pg-rls-lint replays both, in file name order.`,
          related: [{ file: first.file, start: 0, end: 0, message: `${first.name} has the version ${version}` }],
          fixes: [],
        });
      }
    }
  },
});
