// drizzle-migration-not-in-journal: a .sql file right in a Drizzle Kit migrations folder that the
// folder's meta/_journal.json does not list. drizzle-kit migrate and drizzle-orm's migrate() use
// one migrator (drizzle-orm/src/migrator.ts, readMigrationFiles): it reads the journal and, for
// each of its `entries` in order, the file `<folder>/<tag>.sql`; it never lists the folder, so a
// file no entry names is never read, let alone run (rushinski/sneakereco's
// 0005_add_is_super_admin.sql, 0009 and 0010 beside a journal ending at 0008). The engine leaves
// such a file out of the replay (Workspace, analysis/drizzle-journal.ts); this says so on it.
// What it claims is about drizzle's migrator, not PostgreSQL: the file's statements never reach
// the database, so PostgreSQL never sees them.
import { journalOf } from '../analysis/drizzle-journal.js';
import { defineRule } from './types.js';
import { statementsNeverRun } from './lib/util.js';

export const drizzleMigrationNotInJournal = defineRule({
  meta: {
    id: 'drizzle-migration-not-in-journal',
    description: "A .sql file in a Drizzle Kit migrations folder that its meta/_journal.json does not list: drizzle-kit migrate never applies it, and pg-rls-lint does not replay it.",
    severity: 'warning',
    category: 'correctness',
    fixKind: 'none',
    guards:
      "drizzle-kit migrate and drizzle-orm's migrate() apply the files meta/_journal.json lists, and only those: the policies, RLS switches and grants of a file it does not list never reach the database.",
    sources: ['drizzle-orm/src/migrator.ts (readMigrationFiles)', 'https://orm.drizzle.team/docs/kit-custom-migrations'],
  },
  check({ model, report }) {
    const journals = model.config.drizzleJournals;
    if (!journals?.length) return;
    for (const f of model.files) {
      const hit = journalOf(f.file, journals);
      if (!hit || hit.journal.tags.includes(hit.tag)) continue;
      // (a file with no statement loses nothing by not being applied)
      const top = f.statements.filter((s) => s.origin === 'file');
      if (top.length === 0) continue;
      const { journal, tag } = hit;
      const name = `${tag}.sql`;
      const one = top.length === 1;
      const last = journal.tags[journal.tags.length - 1];
      const first = top[0]!;
      report({
        file: f.file,
        start: first.start,
        end: first.end,
        message:
          `drizzle-kit migrate never applies ${name}: ${journal.source} does not list it, and drizzle's migrator (drizzle-kit migrate, drizzle-orm's migrate()) runs only the files the journal's entries name, <tag>.sql in the journal's order${last ? ` (its last entry is ${last})` : ' (it has no entries)'}. ` +
          `${statementsNeverRun(top, 'a database migrated with it')}, and pg-rls-lint does not replay ${one ? 'it' : 'them'} either: what ${one ? 'it' : 'they'} would change is not linted. ` +
          `If the file must run, make it a migration the journal lists (drizzle-kit generate --custom --name=<name> adds an empty one to the journal: move the statements there); if it is run by other means or not at all, move it out of the migrations folder.`,
      });
    }
  },
});
