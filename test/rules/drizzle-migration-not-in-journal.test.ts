// drizzle-migration-not-in-journal: drizzle-kit migrate and drizzle-orm's migrate() share one
// migrator (drizzle-orm/src/migrator.ts, readMigrationFiles): it reads <folder>/meta/_journal.json
// and runs, for each entry in the array's order, <folder>/<tag>.sql split at
// `--> statement-breakpoint`; it never lists the folder. What the rule says is about that
// migrator, not PostgreSQL. Run on PostgreSQL (PGlite) as the migrator picks the files, the
// Invalid example's table keeps no row-level security (user A reads user B's note); listed in
// the journal (Valid), A reads only its own. The engine replays what the migrator runs: the
// journal's files in its order, not the others (parsed, a syntax error still reported).
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { journalTags, unlistedFiles, type DrizzleJournal } from '../../server/src/analysis/drizzle-journal.js';
import { migrationOrder } from '../../server/src/analysis/model.js';
import { Workspace } from '../../server/src/engine/workspace.js';
import { readDrizzleJournals } from '../../server/src/io/files.js';
import type { DocExample } from '../helpers/docs.js';
import { closeAll, getDb, inRollback, type Q } from '../helpers/pg.js';
import { findingsOf, initParser, invalidFinding, lintDocExample, lintFiles, TENANT_A, TENANT_B, textAt } from '../helpers/rule-proof.js';
import { actAs, AUTH_STUB_SQL, notesReadByA } from '../helpers/supabase.js';

const ID = 'drizzle-migration-not-in-journal';
before(initParser);
after(closeAll);

/** What drizzle's migrator runs of an example: each journal entry's <tag>.sql, in the journal's order, split at its breakpoints. */
const appliedByMigrator = (ex: DocExample) =>
  ex.journals
    .flatMap((j) => j.tags.map((t) => ex.files.find((f) => f.file === `${j.folder}${t}.sql`)!.text.split('--> statement-breakpoint')))
    .flat()
    .join('\n;\n');

/** How many notes user A reads, the notes being A's and B's. */
const readsA = (q: Q, sql: string) => notesReadByA(q, sql, TENANT_A, TENANT_B);

const journal = (folder: string, tags: string[]): DrizzleJournal => ({ folder, source: `${folder}meta/_journal.json`, tags });

test("err: a file the journal does not list: drizzle's migrator never runs it, the table it would protect stays open (A reads B's note); not replayed, said on its first statement", async () => {
  const { ws, finding, ex } = invalidFinding(ID, 0);
  assert.equal(finding.file, 'drizzle/0001_notes_rls.sql');
  assert.equal(finding.severity, 'warning');
  assert.equal(textAt(ws, finding), 'ALTER TABLE "notes" ENABLE ROW LEVEL SECURITY');
  assert.equal(
    finding.message,
    "drizzle-kit migrate never applies 0001_notes_rls.sql: drizzle/meta/_journal.json does not list it, and drizzle's migrator (drizzle-kit migrate, drizzle-orm's migrate()) runs only the files the journal's entries name, <tag>.sql in the journal's order (its last entry is 0000_init). " +
      'Its 3 statements (3 of them policies, row-level security switches, grants or SECURITY DEFINER functions) never reach a database migrated with it, and pg-rls-lint does not replay them either: what they would change is not linted. ' +
      'If the file must run, make it a migration the journal lists (drizzle-kit generate --custom --name=<name> adds an empty one to the journal: move the statements there); if it is run by other means or not at all, move it out of the migrations folder.',
  );
  // (not replayed: the model's notes has no RLS and no policy, as in the database the migrator builds)
  const notes = ws.lint().model.tables.get('public.notes')!;
  assert.equal(notes.rlsEnabled, false);
  assert.deepEqual(notes.policies, []);
  assert.equal(await inRollback(await getDb(), (q) => readsA(q, appliedByMigrator(ex))), 2);
});

test('ok: listed in the journal (Valid), the migrator runs it: A reads only its note; replayed, no finding', async () => {
  const { ws, mine, ex } = lintDocExample(ID, 'valid', 0);
  assert.deepEqual(mine, []);
  const notes = ws.lint().model.tables.get('public.notes')!;
  assert.equal(notes.rlsEnabled, true);
  assert.deepEqual(notes.policies.map((p) => p.name), ['notes_owner']);
  assert.equal(await inRollback(await getDb(), (q) => readsA(q, appliedByMigrator(ex))), 1);
});

test("ok: the journal's files replay in its order, not their names' (a renamed migration); unlisted files keep their place, not replayed", () => {
  const files = [
    { file: 'src/db/migrations/a_enable_rls.sql', text: 'ALTER TABLE notes ENABLE ROW LEVEL SECURITY;\nALTER TABLE notes FORCE ROW LEVEL SECURITY;\n' },
    { file: 'src/db/migrations/b_notes.sql', text: 'CREATE TABLE notes (id bigint PRIMARY KEY, body text);\n' },
    { file: 'src/db/migrations/c_draft.sql', text: 'ALTER TABLE notes DISABLE ROW LEVEL SECURITY;\n' },
  ];
  const j = journal('src/db/migrations/', ['b_notes', 'a_enable_rls']);
  assert.deepEqual(migrationOrder(files, undefined, undefined, [j]).map((f) => f.file), ['src/db/migrations/b_notes.sql', 'src/db/migrations/a_enable_rls.sql', 'src/db/migrations/c_draft.sql']);
  const { ws, mine } = lintFiles(files, ID, undefined, [j]);
  assert.deepEqual(mine.map((f) => [f.file, textAt(ws, f)]), [['src/db/migrations/c_draft.sql', 'ALTER TABLE notes DISABLE ROW LEVEL SECURITY']]);
  assert.match(mine[0]!.message, /Its statement \(a policy, row-level security switch, grant or SECURITY DEFINER function\) never reaches a database migrated with it, and pg-rls-lint does not replay it either: what it would change is not linted\./);
  // (in journal order the table exists when RLS is enabled; the draft's DISABLE does not count)
  assert.equal(ws.lint().model.tables.get('public.notes')!.rlsEnabled, true);
  assert.deepEqual(findingsOf(ws, 'rls-not-enabled'), []);
  // without the journal: path order, every file replayed, no finding of this rule
  const none = lintFiles(files, ID);
  assert.deepEqual(none.mine, []);
  assert.equal(none.ws.lint().model.tables.get('public.notes')!.rlsEnabled, false);
});

test("ok: only files right in the journal's folder count: its subfolders, other folders and a file without a statement are not reported; a syntax error in an unlisted file still is", () => {
  const files = [
    { file: 'drizzle/0000_init.sql', text: 'CREATE TABLE notes (id bigint PRIMARY KEY, body text);\n' },
    { file: 'drizzle/archive/0001_old.sql', text: 'ALTER TABLE notes ENABLE ROW LEVEL SECURITY;\n' },
    { file: 'db/seed.sql', text: 'INSERT INTO notes VALUES (1, $$x$$);\n' },
    { file: 'drizzle/0002_empty.sql', text: '-- nothing yet\n' },
    { file: 'drizzle/0003_broken.sql', text: 'CREATE TABLE broken (id int;\n' },
  ];
  const j = journal('drizzle/', ['0000_init']);
  assert.deepEqual([...unlistedFiles(files.map((f) => f.file), [j]).keys()], ['drizzle/0002_empty.sql', 'drizzle/0003_broken.sql']);
  const { findings, mine } = lintFiles(files, ID, undefined, [j]);
  assert.deepEqual(mine, []);
  assert.deepEqual(findings.filter((f) => f.rule === 'syntax-error').map((f) => f.file), ['drizzle/0003_broken.sql']);
});

test("ok: the language server's ids (file URIs, percent-encoded): the same files are left out; a journal that comes to list the file replays it (the workspace parses it again)", () => {
  const ws = new Workspace();
  ws.setFile('file:///w/drizzle/0000_init.sql', 'CREATE TABLE notes (id bigint PRIMARY KEY, body text);\n');
  ws.setFile('file:///w/drizzle/0001_my%20rls.sql', 'ALTER TABLE notes ENABLE ROW LEVEL SECURITY;\n');
  ws.setDrizzleJournals([journal('file:///w/drizzle/', ['0000_init'])]);
  assert.deepEqual(findingsOf(ws, ID).map((f) => f.file), ['file:///w/drizzle/0001_my%20rls.sql']);
  assert.match(findingsOf(ws, ID)[0]!.message, /^drizzle-kit migrate never applies 0001_my rls\.sql: file:\/\/\/w\/drizzle\/meta\/_journal\.json does not list it/);
  assert.equal(ws.lint().model.tables.get('public.notes')!.rlsEnabled, false);
  ws.setDrizzleJournals([journal('file:///w/drizzle/', ['0000_init', '0001_my rls'])]);
  assert.deepEqual(findingsOf(ws, ID), []);
  assert.equal(ws.lint().model.tables.get('public.notes')!.rlsEnabled, true);
  // (and back: left out again)
  ws.setDrizzleJournals([journal('file:///w/drizzle/', ['0000_init'])]);
  assert.equal(findingsOf(ws, ID).length, 1);
  assert.equal(ws.lint().model.tables.get('public.notes')!.rlsEnabled, false);
});

test("ok: a journal naming a file its folder does not have (midday: only 0000_silly_sage, gone, beside 39 migrations): drizzle's migrator throws before applying any, so the journal is not used (said once) and every file is replayed in path order: the RLS file protects the notes on PostgreSQL", async () => {
  const dir = mkdtempSync(join(tmpdir(), 'pg-rls-lint-journal-'));
  try {
    const folder = join(dir, 'migrations');
    mkdirSync(join(folder, 'meta'), { recursive: true });
    const files = [
      { file: '0001_notes.sql', text: 'CREATE TABLE notes (id bigint PRIMARY KEY, owner_id uuid NOT NULL, body text);\n' },
      { file: '0002_notes_rls.sql', text: 'ALTER TABLE notes ENABLE ROW LEVEL SECURITY;\nCREATE POLICY notes_owner ON notes FOR SELECT TO authenticated USING (owner_id = (select auth.uid()));\n' },
    ];
    for (const f of files) writeFileSync(join(folder, f.file), f.text);
    const entry = (tag: string) => ({ idx: 0, version: '7', when: 1760882469701, tag, breakpoints: true });
    writeFileSync(join(folder, 'meta', '_journal.json'), JSON.stringify({ version: '7', dialect: 'postgresql', entries: [entry('0000_silly_sage')] }));
    const ids = () => ({ prefix: 'migrations/', shown: 'migrations/' });
    const logged: string[] = [];
    const read = () => readDrizzleJournals(files.map((f) => join(folder, f.file)), ids, (path, problem) => logged.push(`${path}: ${problem}`));
    assert.deepEqual(await read(), []);
    assert.deepEqual(logged, [
      `${join(folder, 'meta', '_journal.json')}: entry 0 names 0000_silly_sage.sql, which is not in its folder, so drizzle's migrator (drizzle-kit migrate, drizzle-orm's migrate()) stops with "No file … found" before it applies any migration; its list of migrations is not used: every .sql file of its folder is replayed, in path order, as without a journal`,
    ]);
    const { ws, mine } = lintFiles(files.map((f) => ({ file: `migrations/${f.file}`, text: f.text })), ID);
    assert.deepEqual(mine, []);
    assert.equal(ws.lint().model.tables.get('public.notes')!.rlsEnabled, true);
    // (the files as they are run, in path order: A reads only its own note)
    assert.equal(await inRollback(await getDb(), (q) => readsA(q, files.map((f) => f.text).join('\n'))), 1);
    // the same journal once its file is there: used, and the files it does not list are reported
    writeFileSync(join(folder, '0000_silly_sage.sql'), 'SELECT 1;\n');
    logged.length = 0;
    const journals = await read();
    assert.deepEqual(logged, []);
    assert.deepEqual(journals, [{ folder: 'migrations/', source: 'migrations/meta/_journal.json', tags: ['0000_silly_sage'] }]);
    assert.deepEqual(lintFiles(files.map((f) => ({ file: `migrations/${f.file}`, text: f.text })), ID, undefined, journals).mine.map((f) => f.file), ['migrations/0001_notes.sql', 'migrations/0002_notes_rls.sql']);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('ok: journalTags reads entries[].tag in array order (as the migrator does), and says what keeps a journal from being read', () => {
  assert.deepEqual(journalTags('{"version":"7","dialect":"postgresql","entries":[{"idx":1,"tag":"0001_b"},{"idx":0,"tag":"0000_a"}]}'), ['0001_b', '0000_a']);
  assert.deepEqual(journalTags('{"entries":[]}'), []);
  assert.match((journalTags('{"entries": [') as { problem: string }).problem, /^not valid JSON \(/);
  assert.deepEqual(journalTags('{"version":"7"}'), { problem: 'no "entries" array' });
  assert.deepEqual(journalTags('{"entries":[{"idx":0}]}'), { problem: 'entry 0 has no "tag" string' });
});
