// supabase-migration-down-section: the Supabase CLI (pkg/migration/file.go) runs every statement of
// a file in supabase/migrations/; a goose / dbmate / sql-migrate down marker is a comment to it. Run
// so on PostgreSQL (PGlite), the Invalid example's table is gone after its migration, and a down
// section disabling row-level security leaves the table open (user A reads user B's note): the lint
// replays the down section of such a file too, and says where it is. Elsewhere (db/migrations/) a
// down section is still a rollback, which migrating up does not run.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { closeAll, getDb, inRollback } from '../helpers/pg.js';
import { findingsOf, initParser, invalidFinding, lintDocExample, lintFiles, TENANT_A, TENANT_B, textAt } from '../helpers/rule-proof.js';
import { actAs, AUTH_STUB_SQL } from '../helpers/supabase.js';

const ID = 'supabase-migration-down-section';
before(initParser);
after(closeAll);

test('err: a `-- +goose Down` section in a Supabase migration: reported on the marker; run as the CLI runs the file, the table the up section made is gone', async () => {
  const { ws, ex, finding } = invalidFinding(ID);
  assert.equal(textAt(ws, finding), '-- +goose Down');
  assert.match(finding.message, /only a comment to the Supabase CLI.*the statement after it \(`DROP TABLE public\.notes`\) runs right after the ones before it/);
  const exists = await inRollback(await getDb(), async (q) => {
    await q(AUTH_STUB_SQL);
    await q(ex.files[0]!.text); // (every statement, as ExecBatch runs them)
    return (await q(`SELECT to_regclass('public.notes') IS NOT NULL AS e`))[0]!.e as boolean;
  });
  assert.equal(exists, false, 'the down section ran: no table public.notes');
  assert.equal(ws.model().tables.has('public.notes'), false, 'the replay drops it too');
  assert.equal(lintDocExample(ID, 'valid').mine.length, 0);
});

test('err: a down section disabling row-level security leaves the table open on a database the CLI builds: the replay sees it (rls-disabled); in db/migrations/ it stays a rollback', async () => {
  const text = `-- migrate:up
CREATE TABLE public.notes (id bigint PRIMARY KEY, owner_id uuid NOT NULL, body text);
ALTER TABLE public.notes ENABLE ROW LEVEL SECURITY;
CREATE POLICY notes_owner ON public.notes FOR SELECT TO authenticated USING (owner_id = (select auth.uid()));
GRANT SELECT ON public.notes TO authenticated;

-- migrate:down
ALTER TABLE public.notes DISABLE ROW LEVEL SECURITY;
DROP POLICY notes_owner ON public.notes;
`;
  const reads = await inRollback(await getDb(), async (q) => {
    await q(AUTH_STUB_SQL);
    await q(text);
    await q(`INSERT INTO public.notes VALUES (1, '${TENANT_A}', 'a'), (2, '${TENANT_B}', 'b')`);
    await q(actAs(TENANT_A));
    await q('SET ROLE authenticated');
    const n = (await q('SELECT count(*)::int AS n FROM public.notes'))[0]!.n as number;
    await q('RESET ROLE');
    return n;
  });
  assert.equal(reads, 2, "user A reads B's note too: the down section ran");
  const supa = lintFiles([{ file: 'supabase/migrations/20250101000000_notes.sql', text }], ID);
  assert.equal(supa.mine.length, 1);
  assert.match(supa.mine[0]!.message, /`-- migrate:down` is only a comment.*the 2 statements after it \(`ALTER TABLE public\.notes DISABLE ROW LEVEL SECURITY`, `DROP POLICY notes_owner ON public\.notes`\) run/);
  assert.equal(supa.ws.model().tables.get('public.notes')?.rlsEnabled, false, 'the replay runs the down section');
  assert.ok(supa.findings.some((f) => f.rule === 'rls-disabled' || f.rule === 'rls-not-enabled'), 'the open table is reported');
  const dbmate = lintFiles([{ file: 'db/migrations/20250101000000_notes.sql', text }], ID);
  assert.equal(dbmate.mine.length, 0, 'dbmate runs only the up section');
  assert.equal(dbmate.ws.model().tables.get('public.notes')?.rlsEnabled, true);
  // a file the CLI skips (not <digits>_name.sql) and an empty down section: no finding
  assert.equal(lintFiles([{ file: 'supabase/migrations/notes.sql', text }], ID).mine.length, 0);
  assert.equal(lintFiles([{ file: 'supabase/migrations/20250101000000_notes.sql', text: text.replace(/-- migrate:down[\s\S]*$/, '-- migrate:down\n') }], ID).mine.length, 0);
});

test("ok: a syntax error in a Supabase migration's down section is not said to run only on rollback", () => {
  const text = `-- +goose Up\nCREATE TABLE public.t (id int);\n-- +goose Down\nDROP TABLE public.t CASCADE oops;\n`;
  const supa = findingsOf(lintFiles([{ file: 'supabase/migrations/20250101000000_t.sql', text }], ID).ws, 'syntax-error');
  assert.equal(supa.length, 1);
  assert.doesNotMatch(supa[0]!.message, /migrating up does not run/);
  const goose = findingsOf(lintFiles([{ file: 'db/migrations/20250101000000_t.sql', text }], ID).ws, 'syntax-error');
  assert.match(goose[0]!.message, /migrating up does not run/);
});

test('ok: a rollback file named as a Supabase migration (`<digits>_x.down.sql` in supabase/migrations/) is replayed, as the CLI applies it; in db/migrations/ it stays a rollback', () => {
  const up = 'CREATE TABLE public.notes (id bigint PRIMARY KEY);\nALTER TABLE public.notes ENABLE ROW LEVEL SECURITY;\n';
  const down = 'ALTER TABLE public.notes DISABLE ROW LEVEL SECURITY;\n';
  const supa = lintFiles(
    [
      { file: 'supabase/migrations/20240101000000_notes.sql', text: up },
      { file: 'supabase/migrations/20240102000000_notes.down.sql', text: down },
    ],
    'rls-disabled',
  );
  assert.equal(supa.mine.length, 1, 'the CLI runs it (its name matches <digits>_<name>.sql): RLS ends disabled');
  assert.equal(supa.ws.model().tables.get('public.notes')?.rlsEnabled, false);
  const migrate = lintFiles(
    [
      { file: 'db/migrations/000001_notes.up.sql', text: up },
      { file: 'db/migrations/000002_notes.down.sql', text: down },
    ],
    'rls-disabled',
  );
  assert.equal(migrate.mine.length, 0, 'golang-migrate runs a .down.sql only to roll back');
});

test("err: node-pg-migrate's `-- Down Migration` in a Supabase migration is reported on the marker; in a node-pg-migrate folder it is a rollback (migrations/<timestamp>_x.sql)", () => {
  const text = `-- Up Migration
CREATE TABLE public.notes (id bigint PRIMARY KEY, owner_id uuid NOT NULL);
ALTER TABLE public.notes ENABLE ROW LEVEL SECURITY;

-- Down Migration
DROP TABLE public.notes;
`;
  const supa = lintFiles([{ file: 'supabase/migrations/20250101000000_notes.sql', text }], ID);
  assert.equal(supa.mine.length, 1);
  assert.equal(textAt(supa.ws, supa.mine[0]!), '-- Down Migration');
  assert.equal(supa.ws.model().tables.has('public.notes'), false, 'the Supabase CLI runs the DROP too');
  const npm = lintFiles([{ file: 'migrations/1700000000000_notes.sql', text }], ID);
  assert.equal(npm.mine.length, 0);
  assert.equal(npm.ws.model().tables.get('public.notes')?.rlsEnabled, true, 'node-pg-migrate up runs only the up section');
});
