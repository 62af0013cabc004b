// file-not-replayed: a file the workspace model leaves out of its replay (analysis/snapshot.ts),
// said on the file itself. A schema snapshot beside the migrations (pg_dump's output,
// `supabase db dump`, graphile-migrate's schema.sql, Rails' structure.sql) or a copy of a
// migrations folder (a Docker build context's docker/migrations/) re-makes what the migrations
// before it make: PostgreSQL rejects it after them (42P07, 42710), and replaying it would report
// every finding twice or set back what later migrations changed. Without a word the file shows no
// findings at all, which reads as "nothing wrong here" — or hides a file taken for a snapshot that
// is in fact applied (InventoryManagment's dump-like migration, which the model now replays).
import { CLI_APPLIED, firstCollision, graphileDumps, sameMigration, SUPABASE_MIGRATION, type Collision } from '../analysis/snapshot.js';
import { notReplayedReason, type Model } from '../analysis/model.js';
import { defineRule } from './types.js';

const segments = (path: string) => path.replace(/^file:\/\//, '').split(/[\\/]/);
const baseName = (path: string) => segments(path).pop()!;

/** The file's shortest path suffix no other file of the workspace ends with: `001.sql`, or `docker/migrations/001.sql` beside `db/migrations/001.sql`. */
function label(model: Model, file: string): string {
  const own = segments(file);
  const others = model.files.filter((g) => g.file !== file && baseName(g.file) === own[own.length - 1]).map((g) => segments(g.file));
  for (let n = 1; n < own.length; n++) {
    const tail = own.slice(-n).join('/');
    if (!others.some((o) => o.slice(-n).join('/') === tail)) return tail;
  }
  return own.join('/');
}

/** What PostgreSQL answers to the colliding statement, as it words it, and where the object is made. */
function rejected(model: Model, c: Collision): string {
  const madeIn = label(model, c.made.file);
  const name = c.relation.slice(c.relation.lastIndexOf('.') + 1);
  const line = c.made.positionAt(c.madeBy.start).line + 1;
  const makes = c.madeBy.kind === 'RenameStmt' ? 'renames a table to it' : 'makes it';
  return c.code === '42P07'
    ? `its CREATE TABLE ${c.relation} fails (42P07: relation "${name}" already exists: ${madeIn}:${line} ${makes})`
    : `its CREATE POLICY "${c.policy}" ON ${c.relation} fails (42710: policy "${c.policy}" for table "${name}" already exists: ${madeIn}:${line} makes it)`;
}

export const fileNotReplayed = defineRule({
  meta: {
    id: 'file-not-replayed',
    description:
      'A file that re-makes what the migrations before it make (a schema snapshot such as a pg_dump or schema.sql, or a copy of a migrations folder) is left out of the replay: its objects are linted where the migrations make them.',
    severity: 'info',
    category: 'correctness',
    fixKind: 'none',
    guards:
      'Run after the migrations it copies, PostgreSQL rejects a snapshot (42P07 relation already exists, 42710 policy already exists): it is not a migration, so pg-rls-lint does not replay it and says so on the file instead of showing no findings.',
  },
  check({ model, report }) {
    const left = model.notReplayed;
    if (left.size === 0) return;
    for (const f of model.files) {
      if (!left.has(f)) continue;
      // (a supabase/migrations/ file the CLI skips: supabase-migration-skipped says it, and that it is left out)
      const sb = SUPABASE_MIGRATION.exec(f.file);
      if (sb && !CLI_APPLIED.test(sb[2]!)) continue;
      // (a file no migration tool runs anyway — a sqitch verify/ or revert/ script, a down.sql — is
      // left out as such and said in the run's summary: two of sqitch add's verify templates, the same
      // `BEGIN; ROLLBACK;` under one change name in two folders, are no copy "linted" in the other,
      // which is not replayed either: nullachtvierzehn/community-management-software)
      if (notReplayedReason(f) !== undefined) continue;
      const top = f.statements.filter((s) => s.origin === 'file');
      if (top.length === 0) continue;
      const first = top[0]!;
      const collision = firstCollision(model.files, f, left);
      const original = left.get(f) === 'copy' ? model.files.find((g) => !left.has(g) && g !== f && sameMigration(g, f)) : undefined;
      const self = label(model, f.file);
      const other = original ? label(model, original.file) : '';
      const fails = collision ? `; run after ${original ? 'it' : 'them'}, ${rejected(model, collision)}` : '';
      const related = collision
        ? [{ file: f.file, start: collision.stmt.start, end: collision.stmt.end, message: collision.code === '42P07' ? `42P07 here: ${collision.relation} already exists` : `42710 here: policy "${collision.policy}" already exists` }]
        : [];
      // (the pg_dump a graphile-migrate project's afterAllMigrations writes, before its migrations in path order: snapshot.ts graphileDumps)
      const gmrc = left.get(f) === 'graphile-dump' ? graphileDumps(model.files, model.config.graphileMigrate).get(f) : undefined;
      if (gmrc) {
        report({
          file: f.file,
          start: first.start,
          end: first.end,
          message:
            `pg-rls-lint does not replay ${self}: it re-makes the tables of the graphile-migrate project of ${gmrc.source}, as the pg_dump its afterAllMigrations actions write after each migration does. ` +
            'graphile-migrate never runs it: reset makes the database anew and runs only the afterReset files, committed/ and the current migration, so it is no baseline they run on, though it comes first in path order (run first, its CREATE TABLEs would make theirs fail with 42P07). ' +
            'What it holds is linted where the migrations make it. Nothing to do if it is that dump.',
        });
        continue;
      }
      const message = original
        ? `pg-rls-lint does not replay ${self}: it is a copy of ${other} (${original.text === f.text && baseName(original.file) === baseName(f.file) ? 'the same name and text' : 'the same statements under the same name after its version'}, in a folder holding copies of that folder's other files too), and migrations run once${fails}. ` +
          `Its statements are linted in ${other}. Nothing to do if the copy is deliberate (a Docker build context, a backup); leave its folder out of the linted files (pgRlsLint.include) to drop this note.`
        : `pg-rls-lint does not replay ${self}: it re-makes what the migrations before it make, as a schema snapshot does (a pg_dump, supabase db dump or a kept schema.sql)${fails}. ` +
          `What it holds is linted where the migrations make it. Nothing to do if it is a snapshot; if it is a migration that must run, make it one PostgreSQL runs after them (no table or policy made again, or IF NOT EXISTS): pg-rls-lint then replays it, where it changes what they left.`;
      report({ file: f.file, start: first.start, end: first.end, message, related });
    }
  },
});
