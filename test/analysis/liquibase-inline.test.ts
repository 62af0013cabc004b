// A Liquibase changelog runs SQL beyond its formatted SQL files: a changeSet's sqlFile of a plain
// .sql file, split at its endDelimiter (by default also at a `/` or GO alone on a line), and the
// SQL a changeSet holds itself (`<sql>`, `<createProcedure>`), run where the changelog stands. The
// lint replays both as liquibase update runs them, in the changelog's order, and reports on the
// changelog itself, at the line and column where its SQL is written (entities decoded: `&lt;`
// is `<` for PostgreSQL, one character, four in the file).
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { followChangelog, type ChangelogDisk, type LiquibaseChangelog } from '../../server/src/analysis/liquibase-changelog.js';
import { inlineText, partOffset, sourceOffset, xmlInline, yamlInline } from '../../server/src/analysis/liquibase-inline.js';
import { migrationOrderOf } from '../../server/src/analysis/model.js';
import { Workspace } from '../../server/src/engine/workspace.js';
import { closeAll, getDb, inRollback, tryQuery } from '../helpers/pg.js';
import { findingsOf, initParser } from '../helpers/rule-proof.js';

before(initParser);
after(closeAll);

const MASTER = `<?xml version="1.0" encoding="UTF-8"?>
<databaseChangeLog xmlns="http://www.liquibase.org/xml/ns/dbchangelog">
    <include file="sql/tables.sql" relativeToChangelogFile="true"/>
    <changeSet id="1" author="dev">
        <sqlFile path="sql/functions.sql" relativeToChangelogFile="true"/>
    </changeSet>
    <changeSet id="2" author="dev">
        <comment>RLS &amp; policies</comment>
        <sql>ALTER TABLE public.notes ENABLE ROW LEVEL SECURITY;
CREATE POLICY notes_read ON public.notes FOR SELECT USING (id &gt; 0 AND owner &lt;&gt; '' AND owner = current_user)</sql>
        <sql><![CDATA[CREATE POLICY notes_upd ON public.notes FOR UPDATE TO PUBLIC USING (id < 10 AND owner = current_user)]]></sql>
        <rollback><sql>ALTER TABLE public.notes DISABLE ROW LEVEL SECURITY</sql></rollback>
    </changeSet>
    <changeSet id="3" author="dev" dbms="oracle">
        <sql>ALTER TABLE public.notes DISABLE ROW LEVEL SECURITY; CREATE SEQUENCE notes_seq NOCACHE</sql>
    </changeSet>
    <include file="sql/later.sql" relativeToChangelogFile="true"/>
    <changeSet id="4" author="dev">
        <sql endDelimiter="/">CREATE POLICY notes_del ON public.notes FOR DELETE USING (owner = current_user)
/
</sql>
    </changeSet>
</databaseChangeLog>
`;

/** A Liquibase project under /p/db/: a formatted SQL file, a plain one a sqlFile runs (`/` delimiters), one included after the inline SQL. */
const FILES: Record<string, string> = {
  '/p/db/master.xml': MASTER,
  '/p/db/sql/tables.sql': '--liquibase formatted sql\n--changeset dev:t\nCREATE TABLE public.notes (id bigint PRIMARY KEY, owner text NOT NULL);\n',
  '/p/db/sql/functions.sql': 'CREATE FUNCTION public.is_owner(o text) RETURNS boolean LANGUAGE plpgsql STABLE AS $$\nBEGIN\n  RETURN o = current_user;\nEND;\n$$\n/\nGRANT SELECT, UPDATE, DELETE ON public.notes TO PUBLIC\n/\n',
  '/p/db/sql/later.sql': "COMMENT ON TABLE public.notes IS 'notes';\n",
};

const disk: ChangelogDisk = {
  read: async (p) => FILES[p],
  isFile: async (p) => p in FILES,
  list: async () => undefined,
};

async function project(): Promise<{ ws: Workspace; changelog: LiquibaseChangelog }> {
  const run = await followChangelog('/p/db/master.xml', ['/p/db', '/p'], disk);
  const changelog: LiquibaseChangelog = { source: 'db/master.xml', folder: '/p/db/', files: run.sql, ...(run.sqlFiles ? { sqlFiles: run.sqlFiles } : {}), ...(run.inline ? { inline: run.inline } : {}) };
  const ws = new Workspace();
  for (const [p, t] of Object.entries(FILES)) ws.setFile(p, t);
  ws.setLiquibaseChangelogs([changelog]);
  // (each part of the changelog's own SQL gets its text, as the CLI and the language server give it)
  for (const part of ws.liquibaseParts().keys()) ws.setFile(part, MASTER);
  return { ws, changelog };
}

/** Line and column (1-based, as an editor shows them) of an offset of the changelog's text. */
function at(text: string, offset: number): string {
  const before = text.slice(0, offset).split('\n');
  return `${before.length}:${before[before.length - 1]!.length + 1}`;
}

test("ok: a changelog's own SQL in its order: <sql> and CDATA kept, a <rollback>'s and a dbms=\"oracle\" changeset's left out; each run between two references a part", async () => {
  const changes = xmlInline(MASTER)!;
  assert.deepEqual(
    changes.map((c) => ({ after: c.after, skipped: c.skipped, split: c.split, text: c.pieces.map((p) => MASTER.slice(p.start, p.end)).join('') })),
    [
      { after: 2, skipped: undefined, split: { split: true }, text: "ALTER TABLE public.notes ENABLE ROW LEVEL SECURITY;\nCREATE POLICY notes_read ON public.notes FOR SELECT USING (id &gt; 0 AND owner &lt;&gt; '' AND owner = current_user)" },
      { after: 2, skipped: undefined, split: { split: true }, text: 'CREATE POLICY notes_upd ON public.notes FOR UPDATE TO PUBLIC USING (id < 10 AND owner = current_user)' },
      { after: 2, skipped: 'dbms: oracle', split: { split: true }, text: 'ALTER TABLE public.notes DISABLE ROW LEVEL SECURITY; CREATE SEQUENCE notes_seq NOCACHE' },
      { after: 3, skipped: undefined, split: { split: true, endDelimiter: '/' }, text: 'CREATE POLICY notes_del ON public.notes FOR DELETE USING (owner = current_user)\n/\n' },
    ],
  );
  const run = await followChangelog('/p/db/master.xml', ['/p/db', '/p'], disk);
  // (the part before later.sql, the part after it)
  assert.deepEqual(run.sql, ['/p/db/sql/tables.sql', '/p/db/sql/functions.sql', '/p/db/master.xml', '/p/db/sql/later.sql', '/p/db/master.xml#2']);
  assert.deepEqual(run.sqlFiles, { '/p/db/sql/functions.sql': { split: true } });
  assert.deepEqual(Object.keys(run.inline!), ['/p/db/master.xml', '/p/db/master.xml#2']);
  assert.equal(run.inline!['/p/db/master.xml']!.changes.length, 2);
  const { ws } = await project();
  const c = { file: '', text: '' };
  assert.deepEqual(
    migrationOrderOf(ws.files().map((file) => ({ ...c, file })), ws.configOf('/p/db/master.xml')).map((f) => f.file),
    ['/p/db/sql/tables.sql', '/p/db/sql/functions.sql', '/p/db/master.xml', '/p/db/sql/later.sql', '/p/db/master.xml#2'],
  );
});

test('ok: positions: the SQL text keeps every line, entities decoded in place; offsets map back to the changelog, exactly (before, inside and after a reference)', () => {
  const part = inlineText(MASTER, xmlInline(MASTER)!.slice(0, 2));
  assert.equal(part.text.length, MASTER.length);
  assert.equal(part.text.split('\n').length, MASTER.split('\n').length);
  const lines = part.text.split('\n');
  // (the characters the references saved, blank at the piece's end; the semicolon where </sql> was)
  assert.equal(lines[9], "CREATE POLICY notes_read ON public.notes FOR SELECT USING (id > 0 AND owner <> '' AND owner = current_user)         ;     ");
  assert.equal(lines[10]!.trim(), 'CREATE POLICY notes_upd ON public.notes FOR UPDATE TO PUBLIC USING (id < 10 AND owner = current_user);');
  // (what follows `&gt;`, `&lt;&gt;`: three, then nine characters on in the changelog)
  const v = part.text.indexOf("'' AND owner = current_user)");
  const s = MASTER.indexOf("'' AND owner = current_user)");
  assert.equal(s - v, 9);
  assert.equal(sourceOffset(part.map, v), s);
  assert.equal(partOffset(part.map, s), v);
  const gt = MASTER.indexOf('&gt;');
  assert.equal(sourceOffset(part.map, part.text.indexOf('> 0')), gt);
  // (inside `&gt;`: its character)
  assert.equal(partOffset(part.map, gt + 2), part.text.indexOf('> 0'));
  // (past the piece, and the CDATA: the changelog's own offsets)
  const cdata = MASTER.indexOf('CREATE POLICY notes_upd');
  assert.equal(part.text.indexOf('CREATE POLICY notes_upd'), cdata);
  assert.equal(sourceOffset(part.map, cdata), cdata);
});

test("err → ok: the lint replays what Liquibase runs: the plain SQL file split at its `/` lines (linted alone, still a syntax error), the changelog's <sql> (RLS enabled there counts), not the rollback's DISABLE nor the Oracle changeset's; findings stand on the changelog where the SQL is written", async () => {
  // (alone, no changelog: the plain file's `/` lines are a syntax error, as psql would find them)
  const alone = new Workspace();
  alone.setFile('/p/db/sql/functions.sql', FILES['/p/db/sql/functions.sql']!);
  assert.equal(findingsOf(alone, 'syntax-error').length, 1);

  const { ws } = await project();
  assert.deepEqual(findingsOf(ws, 'syntax-error'), []);
  const notes = ws.lint().model.tables.get('public.notes')!;
  assert.equal(notes.rlsEnabled, true);
  assert.deepEqual(notes.policies.map((p) => p.name), ['notes_read', 'notes_upd', 'notes_del']);
  assert.equal(ws.lint().model.tables.has('public.notes_seq'), false);
  assert.deepEqual(findingsOf(ws, 'rls-not-enabled'), []);
  // (each finding of the changelog's SQL, at its place in the changelog: after `&gt;` and `&lt;&gt;` too)
  const onChangelog = [...ws.lint().byFile].filter(([f]) => f.startsWith('/p/db/master.xml')).flatMap(([, list]) => list);
  const shown = onChangelog.map((f) => `${f.rule} ${f.range.start.line + 1}:${f.range.start.character + 1}-${f.range.end.line + 1}:${f.range.end.character + 1} ${f.fixes.length}`).sort();
  const span = (needle: string, from: number, length = needle.length) => `${at(MASTER, MASTER.indexOf(needle) + from)}-${at(MASTER, MASTER.indexOf(needle) + from + length)}`;
  assert.deepEqual(shown, [
    `policy-applies-to-public ${span('notes_read', 0)} 0`,
    `policy-applies-to-public ${span('notes_upd', 0)} 0`,
    `policy-applies-to-public ${span('notes_del', 0)} 0`,
    // (after `&gt;` and `&lt;&gt;` on its line: column 96 of the changelog, 87 of the SQL)
    `policy-column-not-indexed ${span("owner = current_user)</sql>", 0, 5)} 0`,
  ].sort());
  const column = onChangelog.find((f) => f.rule === 'policy-column-not-indexed')!;
  assert.deepEqual(column.range.start, { line: 9, character: 95 });
  assert.equal(MASTER.split('\n')[9]!.slice(95, 100), 'owner');
});

test("err → ok: PGlite runs what the lint replays, as Liquibase splits it: the plain file as psql reads it fails at its `/` (42601); split, the changelog's own SQL enables RLS and makes the three policies; the Oracle changeset's SQL would fail on PostgreSQL", async () => {
  const { ws } = await project();
  const order = ['/p/db/sql/tables.sql', '/p/db/sql/functions.sql', '/p/db/master.xml', '/p/db/sql/later.sql', '/p/db/master.xml#2'];
  const db = await getDb();
  const replay = (texts: string[]) =>
    inRollback(db, async (q) => {
      for (const [k, text] of texts.entries()) {
        const r = await tryQuery(q, text);
        if (!r.ok) return { failed: order[k], code: r.error.code };
      }
      const [t] = await q(`SELECT relrowsecurity, (SELECT array_agg(policyname::text ORDER BY policyname) FROM pg_policies WHERE tablename = 'notes') AS policies FROM pg_class WHERE oid = 'public.notes'::regclass`);
      return { rls: t!.relrowsecurity, policies: t!.policies };
    });
  // (the files' texts as psql would run them: the `/` is a syntax error)
  assert.deepEqual(await replay([FILES['/p/db/sql/tables.sql']!, FILES['/p/db/sql/functions.sql']!]), { failed: '/p/db/sql/functions.sql', code: '42601' });
  // (as the lint replays them)
  const texts = order.map((f) => ws.runText(f) ?? ws.text(f)!);
  assert.deepEqual(await replay(texts), { rls: true, policies: ['notes_del', 'notes_read', 'notes_upd'] });
  const model = ws.lint().model.tables.get('public.notes')!;
  assert.equal(model.rlsEnabled, true);
  assert.deepEqual(model.policies.map((p) => p.name).sort(), ['notes_del', 'notes_read', 'notes_upd']);
  // (the Oracle changeset: NOCACHE is no PostgreSQL)
  const oracle = await inRollback(db, (q) => tryQuery(q, 'CREATE SEQUENCE notes_seq NOCACHE'));
  assert.equal(oracle.ok ? '' : oracle.error.code, '42601');
});

test("ok: a YAML changelog's own SQL (`- sql: {sql: |-…}`, a plain scalar, `- createProcedure`): replayed after the file included before it, findings at their lines and columns; a rollback's and a dbms: h2 changeset's SQL are none; SQL written with escapes has no place to show (not replayed, and told)", async () => {
  const yaml = [
    'databaseChangeLog:',
    '  - include:',
    '      file: sql/tables.sql',
    '      relativeToChangelogFile: true',
    '  - changeSet:',
    '      id: 2',
    '      author: dev',
    '      changes:',
    '        - sql:',
    '            sql: |-',
    '              ALTER TABLE public.notes ENABLE ROW LEVEL SECURITY;',
    '              -- the policy, ended by the change',
    '              CREATE POLICY notes_read ON public.notes FOR SELECT USING (id > 0 AND owner = current_user)',
    '        - sql:',
    '            dbms: postgresql',
    '            sql: CREATE POLICY notes_upd ON public.notes FOR UPDATE TO PUBLIC USING (true)',
    '        - createProcedure:',
    '            procedureBody: CREATE FUNCTION public.f() RETURNS int LANGUAGE sql AS $$ SELECT 1; $$',
    '      rollback:',
    '        - sql:',
    '            sql: ALTER TABLE public.notes DISABLE ROW LEVEL SECURITY',
    '  - changeSet:',
    '      id: 3',
    '      author: dev',
    '      dbms: h2',
    '      changes:',
    '        - sql:',
    '            sql: ALTER TABLE public.notes DISABLE ROW LEVEL SECURITY',
    '  - changeSet:',
    '      id: 4',
    '      author: dev',
    '      changes:',
    '        - sql:',
    '            sql: "DROP POLICY notes_upd ON public.notes;\\nSELECT 1"',
    '',
  ].join('\n');
  const files: Record<string, string> = { '/p/db/master.yaml': yaml, '/p/db/sql/tables.sql': FILES['/p/db/sql/tables.sql']! };
  const run = await followChangelog('/p/db/master.yaml', ['/p/db', '/p'], { read: async (p) => files[p], isFile: async (p) => p in files, list: async () => undefined });
  assert.deepEqual(run.sql, ['/p/db/sql/tables.sql', '/p/db/master.yaml']);
  // (told: the caller logs it)
  assert.deepEqual(run.unplaced, [{ path: '/p/db/master.yaml', text: "holds SQL written with escapes (a double-quoted scalar with \\, a single-quoted one with '') or in a flow collection, which the lint cannot place in the changelog: it is neither replayed nor linted" }]);
  const changes = run.inline!['/p/db/master.yaml']!.changes;
  assert.deepEqual(changes.map((c) => c.split), [{ split: true }, { split: true }, { split: false }]);
  // (the rollback's none; the h2 changeset's skipped; the double-quoted scalar's escape: no place)
  assert.deepEqual(yamlInline(yaml)!.map((c) => [c.skipped, c.pieces.length]), [[undefined, 3], [undefined, 1], [undefined, 1], ['dbms: h2', 1], [undefined, 0]]);
  const ws = new Workspace();
  for (const [p, t] of Object.entries(files)) ws.setFile(p, t);
  ws.setLiquibaseChangelogs([{ source: 'db/master.yaml', folder: '/p/db/', files: run.sql, inline: run.inline! }]);
  const notes = ws.lint().model.tables.get('public.notes')!;
  assert.equal(notes.rlsEnabled, true);
  assert.deepEqual(notes.policies.map((p) => p.name), ['notes_read', 'notes_upd']);
  assert.ok(ws.lint().model.functions.has('public.f'));
  assert.deepEqual(findingsOf(ws, 'syntax-error'), []);
  const shown = (ws.lint().byFile.get('/p/db/master.yaml') ?? []).map((f) => `${f.rule} ${f.range.start.line + 1}:${f.range.start.character + 1}`).sort();
  const col = (line: number, needle: string) => `${line}:${yaml.split('\n')[line - 1]!.indexOf(needle) + 1}`;
  assert.deepEqual(shown, [`policy-always-true ${col(16, '(true)')}`, `policy-applies-to-public ${col(13, 'notes_read')}`, `policy-applies-to-public ${col(16, 'notes_upd')}`, `policy-column-not-indexed ${col(13, 'owner =')}`].sort());
});

test('ok: re-lint: the changelog edited (its ENABLE taken out, then put back) gives what a fresh lint of it gives, parts re-parsed from scratch', async () => {
  const summary = (ws: Workspace) => [...ws.lint().byFile].sort((a, b) => a[0].localeCompare(b[0])).flatMap(([file, list]) => list.map((f) => `${file}|${f.rule}|${f.start}|${f.end}|${JSON.stringify(f.range)}|${f.message}`));
  const load = async (ws: Workspace, master: string) => {
    const files: Record<string, string> = { ...FILES, '/p/db/master.xml': master };
    const run = await followChangelog('/p/db/master.xml', ['/p/db', '/p'], { read: async (p) => files[p], isFile: async (p) => p in files, list: async () => undefined });
    for (const [p, t] of Object.entries(files)) ws.setFile(p, t);
    ws.setLiquibaseChangelogs([{ source: 'db/master.xml', folder: '/p/db/', files: run.sql, ...(run.sqlFiles ? { sqlFiles: run.sqlFiles } : {}), ...(run.inline ? { inline: run.inline } : {}) }]);
    for (const part of ws.liquibaseParts().keys()) ws.setFile(part, master);
  };
  const edited = MASTER.replace('ALTER TABLE public.notes ENABLE ROW LEVEL SECURITY;\n', '');
  const ws = new Workspace(undefined, undefined, { editing: true });
  await load(ws, MASTER);
  const before = summary(ws);
  for (const [text, rls] of [[edited, false], [MASTER, true]] as const) {
    await load(ws, text);
    const fresh = new Workspace();
    await load(fresh, text);
    assert.deepEqual(summary(ws), summary(fresh));
    assert.equal(ws.lint().model.tables.get('public.notes')!.rlsEnabled, rls);
  }
  assert.deepEqual(summary(ws), before);
  assert.ok(findingsOf(ws, 'policy-on-table-without-rls').length === 0);
});

test("ok: a JSON changelog's own SQL (`{\"sql\": {\"sql\": \"…\"}}`): its escapes decoded (`\\n` ends a comment, `\\\"` a quote), replayed where it stands, findings at their columns in the JSON text", async () => {
  const json =
    '{ "databaseChangeLog": [\n' +
    '  { "include": { "file": "sql/tables.sql", "relativeToChangelogFile": true } },\n' +
    '  { "changeSet": { "id": "2", "author": "dev", "changes": [\n' +
    '    { "sql": { "sql": "-- on\\nALTER TABLE public.notes ENABLE ROW LEVEL SECURITY;\\nCREATE POLICY \\"notes_read\\" ON public.notes FOR SELECT USING (id > 0 AND owner = current_user)" } }\n' +
    '  ], "rollback": [ { "sql": { "sql": "ALTER TABLE public.notes DISABLE ROW LEVEL SECURITY" } } ] } },\n' +
    '  { "changeSet": { "id": "3", "author": "dev", "dbms": "h2", "changes": [ { "sql": { "sql": "ALTER TABLE public.notes DISABLE ROW LEVEL SECURITY" } } ] } }\n' +
    '] }\n';
  const files: Record<string, string> = { '/p/db/master.json': json, '/p/db/sql/tables.sql': FILES['/p/db/sql/tables.sql']! };
  const run = await followChangelog('/p/db/master.json', ['/p/db', '/p'], { read: async (p) => files[p], isFile: async (p) => p in files, list: async () => undefined });
  assert.deepEqual(run.sql, ['/p/db/sql/tables.sql', '/p/db/master.json']);
  assert.equal(run.inline!['/p/db/master.json']!.changes.length, 1);
  const ws = new Workspace();
  for (const [p, t] of Object.entries(files)) ws.setFile(p, t);
  ws.setLiquibaseChangelogs([{ source: 'db/master.json', folder: '/p/db/', files: run.sql, inline: run.inline! }]);
  const notes = ws.lint().model.tables.get('public.notes')!;
  assert.equal(notes.rlsEnabled, true);
  assert.deepEqual(notes.policies.map((p) => p.name), ['notes_read']);
  const line = json.split('\n')[3]!;
  const shown = (ws.lint().byFile.get('/p/db/master.json') ?? []).map((f) => `${f.rule} ${f.range.start.line}:${f.range.start.character}-${f.range.end.character}`).sort();
  // (the policy's name written `\"notes_read\"`: its range covers the escapes)
  assert.deepEqual(shown, [`policy-applies-to-public 3:${line.indexOf('\\"notes_read')}-${line.indexOf('\\" ON') + 2}`, `policy-column-not-indexed 3:${line.indexOf('owner =')}-${line.indexOf('owner =') + 5}`].sort());
});
