// The server's view of a workspace folder: files on disk that are not open, watched-file
// events, `.pg-rls-lint.json` and editor settings.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { before, test } from 'node:test';
import { parse as parseJsonc } from 'jsonc-parser';
import { applyTextEdits, editsFor, ensureServerBuilt, uriOf, VSCODE_CAPABILITIES } from './client.js';
import { byRule, Doc, has, lacks, start } from './helpers.js';

before(() => ensureServerBuilt());

const TABLE = 'CREATE TABLE t (id int);\n';
const RLS = 'ALTER TABLE t ENABLE ROW LEVEL SECURITY;\nALTER TABLE t FORCE ROW LEVEL SECURITY;\n';

test('ok: a change in one file updates the diagnostics of another file that is not open', async (t) => {
  const { client, uri } = await start(t, { '1_tables.sql': TABLE, '2_rls.sql': '' });
  const tables = uri('1_tables.sql');
  const doc = new Doc(client, uri('2_rls.sql'), '');
  const first = await client.waitForDiagnostics(tables, (p) => has('rls-not-enabled')(p.diagnostics));
  assert.equal(first.version, undefined); // not open
  const mark = client.mark();
  doc.append(RLS);
  const after = await client.waitForDiagnostics(tables, (p) => lacks('rls-not-enabled')(p.diagnostics), mark);
  assert.deepEqual(byRule(after.diagnostics, 'rls-not-forced'), []);
  // closing the buffer reloads the disk content (still empty): the finding comes back
  const mark2 = client.mark();
  doc.close();
  await client.waitForDiagnostics(tables, (p) => has('rls-not-enabled')(p.diagnostics), mark2);
});

test('ok: watched files: a new file on disk is linted, a deleted one gets empty diagnostics', async (t) => {
  const { client, write, path, uri } = await start(t, { 'a.sql': 'SELECT 1;\n' });
  mkdirSync(path('migrations'));
  const b = write('migrations/b.sql', TABLE);
  client.notify('workspace/didChangeWatchedFiles', { changes: [{ uri: b, type: 1 }] });
  const d = await client.waitForDiagnostics(b, (p) => has('rls-not-enabled')(p.diagnostics));
  assert.equal(byRule(d.diagnostics, 'rls-not-enabled')[0].range.start.character, 13);
  // changed on disk
  const mark = client.mark();
  writeFileSync(path('migrations/b.sql'), TABLE + RLS);
  client.notify('workspace/didChangeWatchedFiles', { changes: [{ uri: b, type: 2 }] });
  await client.waitForDiagnostics(b, (p) => lacks('rls-not-enabled')(p.diagnostics), mark);
  // a file that the workspace needs is deleted: the table is unprotected again elsewhere
  writeFileSync(path('c.sql'), TABLE.replace(' t ', ' u '));
  writeFileSync(path('d.sql'), RLS.replaceAll(' t ', ' u '));
  client.notify('workspace/didChangeWatchedFiles', {
    changes: [
      { uri: uri('c.sql'), type: 1 },
      { uri: uri('d.sql'), type: 1 },
    ],
  });
  // notifications are handled in order: no need to wait before the next one
  const mark2 = client.mark();
  unlinkSync(path('d.sql'));
  client.notify('workspace/didChangeWatchedFiles', { changes: [{ uri: uri('d.sql'), type: 3 }] });
  await client.waitForDiagnostics(uri('c.sql'), (p) => has('rls-not-enabled')(p.diagnostics), mark2);
  // delete b.sql after giving it a finding: its diagnostics are cleared
  const mark3 = client.mark();
  writeFileSync(path('migrations/b.sql'), TABLE);
  client.notify('workspace/didChangeWatchedFiles', { changes: [{ uri: b, type: 2 }] });
  await client.waitForDiagnostics(b, (p) => has('rls-not-enabled')(p.diagnostics), mark3);
  unlinkSync(path('migrations/b.sql'));
  client.notify('workspace/didChangeWatchedFiles', { changes: [{ uri: b, type: 3 }] });
  await client.waitForDiagnostics(b, (p) => p.diagnostics.length === 0, mark3);
});

test('ok: discovery follows include/exclude, skips node_modules and non-UTF-8 files', async (t) => {
  const { client, uri, path } = await start(t, { '.pg-rls-lint.json': '{ "exclude": ["skip/**"] }', 'ok.sql': TABLE });
  await client.waitForDiagnostics(uri('ok.sql'), (p) => has('rls-not-enabled')(p.diagnostics));
  // created after start: bad encoding, excluded folder, node_modules → never published
  mkdirSync(path('skip'));
  mkdirSync(path('node_modules'));
  writeFileSync(path('skip/x.sql'), TABLE);
  writeFileSync(path('node_modules/y.sql'), TABLE);
  writeFileSync(path('latin1.sql'), Buffer.from([...Buffer.from('-- caf'), 0xe9, ...Buffer.from('\n' + TABLE)]));
  const mark = client.mark();
  client.notify('workspace/didChangeWatchedFiles', {
    changes: ['skip/x.sql', 'node_modules/y.sql', 'latin1.sql'].map((n) => ({ uri: uri(n), type: 1 })),
  });
  // a file event after them proves they were processed
  writeFileSync(path('ok.sql'), TABLE + RLS);
  client.notify('workspace/didChangeWatchedFiles', { changes: [{ uri: uri('ok.sql'), type: 2 }] });
  await client.waitForDiagnostics(uri('ok.sql'), (p) => lacks('rls-not-enabled')(p.diagnostics), mark);
  const published = client.notifications.slice(mark).filter((n) => n.method === 'textDocument/publishDiagnostics').map((n) => n.params.uri);
  assert.deepEqual(
    published.filter((u: string) => u !== uri('ok.sql')),
    [],
  );
  const logs = client.notifications.filter((n) => n.method === 'window/logMessage').map((n) => n.params.message);
  assert.ok(logs.some((m: string) => m.includes('latin1.sql') && m.includes('UTF-8')), logs.join('\n'));
});

test('err: an invalid .pg-rls-lint.json → one warning naming the position, a diagnostic on the file, linting with defaults', async (t) => {
  const { client, uri, path } = await start(t, { '.pg-rls-lint.json': '{"rules": {', 'a.sql': TABLE });
  const config = uri('.pg-rls-lint.json');
  const warning = await client.waitFor('window/showMessage', (p) => p.type === 2);
  assert.match(warning.message, /\.pg-rls-lint\.json/);
  assert.match(warning.message, /line 1, column 12/);
  const diag = await client.waitForDiagnostics(config, (p) => p.diagnostics.length > 0);
  assert.equal(diag.diagnostics.length, 1);
  assert.equal(diag.diagnostics[0].code, 'invalid-config');
  assert.equal(diag.diagnostics[0].source, 'pg-rls-lint');
  assert.deepEqual(diag.diagnostics[0].range.start, { line: 0, character: 11 });
  await client.waitForDiagnostics(uri('a.sql'), (p) => has('rls-not-enabled')(p.diagnostics));
  // typing does not repeat the warning
  const doc = new Doc(client, uri('b.sql'), TABLE.replace(' t ', ' u '));
  doc.append('CREATE TABLE w (id int);\n');
  await doc.diagnostics((d) => byRule(d, 'rls-not-enabled').length === 2);
  assert.equal(client.notifications.filter((n) => n.method === 'window/showMessage').length, 1);
  // fixing the file: its diagnostic is cleared and its settings apply
  const mark = client.mark();
  writeFileSync(path('.pg-rls-lint.json'), '{ "rules": { "rls-not-enabled": "off" } }');
  client.notify('workspace/didChangeWatchedFiles', { changes: [{ uri: config, type: 2 }] });
  await client.waitForDiagnostics(config, (p) => p.diagnostics.length === 0, mark);
  await client.waitForDiagnostics(uri('a.sql'), (p) => lacks('rls-not-enabled')(p.diagnostics), mark);
});

test('err: a wrong value in .pg-rls-lint.json is reported at its key; the other keys apply', async (t) => {
  const { client, uri } = await start(t, {
    '.pg-rls-lint.json': '{\n  "exposedSchemas": 42,\n  "rules": { "rls-not-enabled": "error" }\n}\n',
    'a.sql': TABLE,
  });
  const diag = await client.waitForDiagnostics(uri('.pg-rls-lint.json'), (p) => p.diagnostics.length > 0);
  assert.equal(diag.diagnostics[0].range.start.line, 1);
  assert.match(diag.diagnostics[0].message, /exposedSchemas/);
  const warning = await client.waitFor('window/showMessage');
  assert.match(warning.message, /exposedSchemas/);
  assert.match(warning.message, /line 2, column 3/);
  const a = await client.waitForDiagnostics(uri('a.sql'), (p) => has('rls-not-enabled')(p.diagnostics));
  assert.equal(byRule(a.diagnostics, 'rls-not-enabled')[0].severity, 1);
});

test('err: editor settings with wrong types (workspace/configuration) → no crash, still lints', async (t) => {
  const { client, uri } = await start(t, { 'a.sql': TABLE }, { configuration: () => ({ exposedSchemas: 42, rules: 'nope', defaultSchema: null }) });
  await client.waitForDiagnostics(uri('a.sql'), (p) => has('rls-not-enabled')(p.diagnostics));
  const conf = client.serverRequests.find((r) => r.method === 'workspace/configuration');
  assert.equal(conf?.params.items[0].section, 'pgRlsLint');
  assert.equal(conf?.params.items[0].scopeUri, uri('').replace(/\/$/, ''));
  const warning = await client.waitFor('window/showMessage');
  assert.match(warning.message, /exposedSchemas/);
  assert.match(warning.message, /rules/);
});

test('ok: settings precedence: defaults < editor settings < .pg-rls-lint.json; re-read on didChangeConfiguration', async (t) => {
  let settings: Record<string, unknown> = { rules: { 'rls-not-enabled': 'error', 'rls-not-forced': 'error' } };
  const { client, uri, path } = await start(t, { '.pg-rls-lint.json': '{ "rules": { "rls-not-forced": "hint" } }', 'a.sql': TABLE, 'b.sql': 'CREATE TABLE v (id int);\nALTER TABLE v ENABLE ROW LEVEL SECURITY;\nCREATE POLICY p ON v FOR SELECT USING (true);\n' }, { configuration: () => settings });
  const a = await client.waitForDiagnostics(uri('a.sql'), (p) => has('rls-not-enabled')(p.diagnostics));
  assert.equal(byRule(a.diagnostics, 'rls-not-enabled')[0].severity, 1); // editor setting
  const b = await client.waitForDiagnostics(uri('b.sql'), (p) => has('rls-not-forced')(p.diagnostics));
  assert.equal(byRule(b.diagnostics, 'rls-not-forced')[0].severity, 4); // the file wins
  const mark = client.mark();
  settings = { rules: { 'rls-not-enabled': 'info' }, exposedSchemas: ['public', 'api'] };
  client.notify('workspace/didChangeConfiguration', { settings: null });
  const a2 = await client.waitForDiagnostics(uri('a.sql'), (p) => has('rls-not-enabled')(p.diagnostics), mark);
  assert.equal(byRule(a2.diagnostics, 'rls-not-enabled')[0].severity, 3);
  // include changes are applied to the files on disk too
  const mark2 = client.mark();
  writeFileSync(path('.pg-rls-lint.json'), '{ "include": ["b.sql"] }');
  client.notify('workspace/didChangeWatchedFiles', { changes: [{ uri: uri('.pg-rls-lint.json'), type: 2 }] });
  await client.waitForDiagnostics(uri('a.sql'), (p) => p.diagnostics.length === 0, mark2);
});

test('ok: without workspace/configuration, initializationOptions.settings are used', async (t) => {
  const capabilities = { ...VSCODE_CAPABILITIES, workspace: { ...VSCODE_CAPABILITIES.workspace, configuration: false } };
  const { client, uri } = await start(t, { 'a.sql': TABLE }, { init: { capabilities, initializationOptions: { settings: { rules: { 'rls-not-enabled': 'hint' } } } } });
  const a = await client.waitForDiagnostics(uri('a.sql'), (p) => has('rls-not-enabled')(p.diagnostics));
  assert.equal(byRule(a.diagnostics, 'rls-not-enabled')[0].severity, 4);
  assert.equal(client.serverRequests.filter((r) => r.method === 'workspace/configuration').length, 0);
  // pushed settings (didChangeConfiguration) replace them
  const mark = client.mark();
  client.notify('workspace/didChangeConfiguration', { settings: { pgRlsLint: { rules: { 'rls-not-enabled': 'error' } } } });
  const a2 = await client.waitForDiagnostics(uri('a.sql'), (p) => has('rls-not-enabled')(p.diagnostics), mark);
  assert.equal(byRule(a2.diagnostics, 'rls-not-enabled')[0].severity, 1);
});

test('ok: workspace folders added and removed; documents outside every folder are linted while open', async (t) => {
  const other = mkdtempSync(join(tmpdir(), 'pg-rls-lint-lsp-'));
  t.after(() => rmSync(other, { recursive: true, force: true }));
  writeFileSync(join(other, 'x.sql'), TABLE);
  const { client, uri, root } = await start(t, { 'a.sql': TABLE });
  await client.waitForDiagnostics(uri('a.sql'), (p) => has('rls-not-enabled')(p.diagnostics));
  const x = uriOf(join(other, 'x.sql'));
  const mark = client.mark();
  client.notify('workspace/didChangeWorkspaceFolders', {
    event: { added: [{ uri: uriOf(other), name: 'other' }], removed: [{ uri: uriOf(root), name: 'root' }] },
  });
  await client.waitForDiagnostics(x, (p) => has('rls-not-enabled')(p.diagnostics), mark);
  await client.waitForDiagnostics(uri('a.sql'), (p) => p.diagnostics.length === 0, mark);
  // an untitled buffer belongs to no folder: linted while open, cleared on close
  const doc = new Doc(client, 'untitled:Untitled-1', TABLE);
  await doc.diagnostics(has('rls-not-enabled'));
  const mark2 = client.mark();
  doc.close();
  await client.waitForDiagnostics(doc.uri, (p) => p.diagnostics.length === 0, mark2);
});

test('ok: one workspace folder is one database: migrations of two databases, each opened as its own folder (a multi-root workspace), are modelled apart', async (t) => {
  const { client, root } = await start(t, {});
  mkdirSync(join(root, 'registry'));
  mkdirSync(join(root, 'tenants'));
  writeFileSync(join(root, 'registry', '1_t.sql'), TABLE);
  // (in one database with registry's, this enables RLS on its t)
  writeFileSync(join(root, 'tenants', '1_rls.sql'), `CREATE TABLE u (id int);\n${RLS}`);
  const a = uriOf(join(root, 'registry', '1_t.sql'));
  const b = uriOf(join(root, 'tenants', '1_rls.sql'));
  const mark = client.mark();
  client.notify('workspace/didChangeWorkspaceFolders', {
    event: {
      added: [
        { uri: uriOf(join(root, 'registry')), name: 'registry' },
        { uri: uriOf(join(root, 'tenants')), name: 'tenants' },
      ],
      removed: [{ uri: uriOf(root), name: 'root' }],
    },
  });
  // (both folders linted; registry's t never gets RLS: the other folder is another database)
  await client.waitForDiagnostics(b, (p) => has('rls-not-enabled')(p.diagnostics), mark);
  await client.waitForDiagnostics(a, (p) => has('rls-not-enabled')(p.diagnostics), mark);
});

test('ok: one workspace folder holding two services\' migration histories: each is a database of its own (said in the output channel), and hover answers from the file\'s own', async (t) => {
  const { client, root } = await start(t, {});
  const a = join(root, 'svc', 'a', 'migrations', '000001_init.up.sql');
  const b = join(root, 'svc', 'b', 'migrations', '000001_init.up.sql');
  mkdirSync(join(a, '..'), { recursive: true });
  mkdirSync(join(b, '..'), { recursive: true });
  writeFileSync(a, `CREATE TABLE t (id int);\n${RLS}CREATE POLICY p ON t TO PUBLIC USING (id = 1);\n`);
  writeFileSync(b, 'CREATE TABLE t (id int, name text);\n');
  const mark = client.mark();
  client.notify('workspace/didChangeWatchedFiles', { changes: [{ uri: uriOf(a), type: 1 }, { uri: uriOf(b), type: 1 }] });
  // b's t is a table of its own: a's RLS does not cover it, and it is no "already exists"
  const d = await client.waitForDiagnostics(uriOf(b), (p) => has('rls-not-enabled')(p.diagnostics), mark);
  assert.deepEqual(byRule(d.diagnostics, 'table-already-exists'), []);
  await client.waitFor('window/logMessage', (p) => /2 databases, each replayed on its own: svc\/a\/migrations \(1 file\), svc\/b\/migrations \(1 file\)/.test(p.message), mark);
  // hover on b's t: its columns are b's
  new Doc(client, uriOf(b), 'CREATE TABLE t (id int, name text);\n');
  const hover = await client.request('textDocument/hover', { textDocument: { uri: uriOf(b) }, position: { line: 0, character: 13 } });
  assert.match(JSON.stringify(hover), /\*\*table\*\* `public\.t` · RLS \*\*off\*\*\\n\\n_No policies\._[^]*Created at \[svc\/b\//);
});

test("ok: a Supabase project's config.toml: the schemas its Data API serves are exposed; an edit of the file re-lints; a broken one is logged", async (t) => {
  const sql =
    'CREATE SCHEMA billing;\nCREATE TABLE billing.invoices (id bigint PRIMARY KEY, org_id uuid NOT NULL);\n' +
    'GRANT USAGE ON SCHEMA billing TO anon, authenticated;\nGRANT SELECT ON billing.invoices TO anon, authenticated;\n';
  const { client, path, uri } = await start(t, {
    'supabase/config.toml': '[api]\nschemas = ["public", "graphql_public", "billing"]\n',
    'supabase/migrations/20240101000000_billing.sql': sql,
  });
  const file = uri('supabase/migrations/20240101000000_billing.sql');
  const d = await client.waitForDiagnostics(file, (p) => has('rls-not-enabled')(p.diagnostics));
  assert.match(byRule(d.diagnostics, 'rls-not-enabled')[0].message, /exposed schema "billing" \(its Data API serves it: supabase\/config\.toml \[api\] schemas\)/);
  // the API no longer serves billing: the finding goes
  const mark = client.mark();
  writeFileSync(path('supabase/config.toml'), '[api]\nschemas = ["public", "graphql_public"]\n');
  client.notify('workspace/didChangeWatchedFiles', { changes: [{ uri: uri('supabase/config.toml'), type: 2 }] });
  await client.waitForDiagnostics(file, (p) => lacks('rls-not-enabled')(p.diagnostics), mark);
  // a broken file: logged with its place, the setting alone decides
  const mark2 = client.mark();
  writeFileSync(path('supabase/config.toml'), '[api]\nschemas = ["public", "billing"\n');
  client.notify('workspace/didChangeWatchedFiles', { changes: [{ uri: uri('supabase/config.toml'), type: 2 }] });
  await client.waitFor('window/logMessage', (p) => /supabase[\\/]config\.toml: not valid TOML at line \d+, column \d+/.test(p.message), mark2);
});

test("ok: a plain PostgREST's postgrest.conf: the schemas it serves are exposed; an edit of the file re-lints; one PostgREST refuses is logged", async (t) => {
  const { client, path, uri } = await start(t, {
    'postgrest.conf': 'db-schemas = "api"\n',
    'db/deploy/tables.sql': 'CREATE SCHEMA api;\nCREATE TABLE api.items (id bigint PRIMARY KEY, name text);\n',
  });
  const file = uri('db/deploy/tables.sql');
  const d = await client.waitForDiagnostics(file, (p) => has('rls-not-enabled')(p.diagnostics));
  assert.match(byRule(d.diagnostics, 'rls-not-enabled')[0].message, /exposed schema "api" \(PostgREST serves it: postgrest\.conf db-schemas\)/);
  // PostgREST serves another schema: the finding goes
  const mark = client.mark();
  writeFileSync(path('postgrest.conf'), 'db-schemas = "v2"\n');
  client.notify('workspace/didChangeWatchedFiles', { changes: [{ uri: uri('postgrest.conf'), type: 2 }] });
  await client.waitForDiagnostics(file, (p) => lacks('rls-not-enabled')(p.diagnostics), mark);
  const mark2 = client.mark();
  writeFileSync(path('postgrest.conf'), 'db-schemas = "api, information_schema"\n');
  client.notify('workspace/didChangeWatchedFiles', { changes: [{ uri: uri('postgrest.conf'), type: 2 }] });
  await client.waitFor('window/logMessage', (p) => /postgrest\.conf: db-schemas names information_schema, which PostgREST refuses/.test(p.message), mark2);
});

test("ok: a Drizzle Kit journal: a file it does not list gets drizzle-migration-not-in-journal and is not replayed; listing it (an edit of the journal) re-lints; a broken journal is logged and changes nothing", async (t) => {
  const journal = (tags: string[]) => JSON.stringify({ version: '7', dialect: 'postgresql', entries: tags.map((tag, idx) => ({ idx, version: '7', when: 1700000000000 + idx, tag, breakpoints: true })) });
  const { client, path, uri } = await start(t, {
    'drizzle/meta/_journal.json': journal(['0000_init']),
    'drizzle/0000_init.sql': 'CREATE TABLE notes (id bigint PRIMARY KEY, body text);\n',
    'drizzle/0001_rls.sql': 'ALTER TABLE notes ENABLE ROW LEVEL SECURITY;\nALTER TABLE notes FORCE ROW LEVEL SECURITY;\n',
  });
  const rls = uri('drizzle/0001_rls.sql');
  const init = uri('drizzle/0000_init.sql');
  const d = await client.waitForDiagnostics(rls, (p) => has('drizzle-migration-not-in-journal')(p.diagnostics));
  assert.match(byRule(d.diagnostics, 'drizzle-migration-not-in-journal')[0].message, /^drizzle-kit migrate never applies 0001_rls\.sql: drizzle\/meta\/_journal\.json does not list it/);
  await client.waitForDiagnostics(init, (p) => has('rls-not-enabled')(p.diagnostics));
  // listed: replayed, the finding goes and notes has RLS
  const mark = client.mark();
  writeFileSync(path('drizzle/meta/_journal.json'), journal(['0000_init', '0001_rls']));
  client.notify('workspace/didChangeWatchedFiles', { changes: [{ uri: uri('drizzle/meta/_journal.json'), type: 2 }] });
  await client.waitForDiagnostics(rls, (p) => lacks('drizzle-migration-not-in-journal')(p.diagnostics), mark);
  await client.waitForDiagnostics(init, (p) => lacks('rls-not-enabled')(p.diagnostics), mark);
  // a broken journal: logged with its place; every file replayed in path order, no finding of the rule
  const mark2 = client.mark();
  writeFileSync(path('drizzle/meta/_journal.json'), '{"entries": [');
  client.notify('workspace/didChangeWatchedFiles', { changes: [{ uri: uri('drizzle/meta/_journal.json'), type: 2 }] });
  await client.waitFor('window/logMessage', (p) => /drizzle[\\/]meta[\\/]_journal\.json: not valid JSON \(.+\); its list of migrations is not used/.test(p.message), mark2);
});

test("ok: a graphile-migrate .gmrc: its afterReset dump replays before committed/ (no rls-not-enabled); an edit of the .gmrc re-lints; a broken one is logged and the path order comes back", async (t) => {
  const gmrc = (afterReset: string[]) => `// Graphile Migrate configuration (JSON5)\n{\n  "afterReset": ${JSON.stringify(afterReset)},\n}\n`;
  const { client, path, uri } = await start(t, {
    '.gmrc': gmrc(['initial_schema.sql']),
    'migrations/committed/000001.sql': '--! Previous: -\n--! Hash: sha1:1\n\nALTER TABLE account ENABLE ROW LEVEL SECURITY;\nALTER TABLE account FORCE ROW LEVEL SECURITY;\n',
    // (note: a table the migrations never protect, reported in either order)
    'migrations/initial_schema.sql': 'CREATE TABLE public.account (id bigint PRIMARY KEY, name text);\nCREATE TABLE public.note (id bigint PRIMARY KEY);\n',
  });
  const dump = uri('migrations/initial_schema.sql');
  const notEnabled = (n: number) => (p: { diagnostics: Parameters<typeof byRule>[0] }) => byRule(p.diagnostics, 'rls-not-enabled').length === n;
  const d = await client.waitForDiagnostics(dump, (p) => has('rls-not-enabled')(p.diagnostics));
  assert.equal(byRule(d.diagnostics, 'rls-not-enabled').length, 1);
  assert.match(byRule(d.diagnostics, 'rls-not-enabled')[0].message, /^Table public\.note /);
  // afterReset no longer names the dump: graphile-migrate never runs it (a file of its migrations
  // folder that is neither a migration nor a fixture), so it is not replayed and nothing of it is reported
  const mark = client.mark();
  writeFileSync(path('.gmrc'), gmrc([]));
  client.notify('workspace/didChangeWatchedFiles', { changes: [{ uri: uri('.gmrc'), type: 2 }] });
  await client.waitForDiagnostics(dump, notEnabled(0), mark);
  // named again: the finding goes
  const mark2 = client.mark();
  writeFileSync(path('.gmrc'), gmrc(['initial_schema.sql']));
  client.notify('workspace/didChangeWatchedFiles', { changes: [{ uri: uri('.gmrc'), type: 2 }] });
  await client.waitForDiagnostics(dump, notEnabled(1), mark2);
  // broken: logged with its place, and the path order
  const mark3 = client.mark();
  writeFileSync(path('.gmrc'), '{ "afterReset": [');
  client.notify('workspace/didChangeWatchedFiles', { changes: [{ uri: uri('.gmrc'), type: 2 }] });
  await client.waitFor('window/logMessage', (p) => /\.gmrc: not valid JSON5 \(.+\); its replay order \(afterReset files, then committed\/ by number, then the current migration\) is not used: the migrations are replayed in path order/.test(p.message), mark3);
  await client.waitForDiagnostics(dump, notEnabled(2), mark3);
});

test("ok: a Liquibase master changelog: its files replay in its order (access.sql, sorting first, after tables.sql: no rls-not-enabled); an edit of the changelog re-orders; a broken one is logged and the path order comes back", async (t) => {
  const master = (files: string[]) => `databaseChangeLog:\n${files.map((f) => `  - include:\n      file: changes/${f}\n      relativeToChangelogFile: true\n`).join('')}`;
  const { client, path, uri } = await start(t, {
    'db/changelog/db.changelog-master.yaml': master(['tables.sql', 'access.sql']),
    'db/changelog/changes/access.sql': '--liquibase formatted sql\n--changeset dev:2\nALTER TABLE account ENABLE ROW LEVEL SECURITY;\nALTER TABLE account FORCE ROW LEVEL SECURITY;\n',
    // (note: a table the migrations never protect, reported in either order)
    'db/changelog/changes/tables.sql': '--liquibase formatted sql\n--changeset dev:1\nCREATE TABLE public.account (id bigint PRIMARY KEY, name text);\nCREATE TABLE public.note (id bigint PRIMARY KEY);\n',
  });
  const tables = uri('db/changelog/changes/tables.sql');
  const notEnabled = (n: number) => (p: { diagnostics: Parameters<typeof byRule>[0] }) => byRule(p.diagnostics, 'rls-not-enabled').length === n;
  const d = await client.waitForDiagnostics(tables, (p) => has('rls-not-enabled')(p.diagnostics));
  assert.equal(byRule(d.diagnostics, 'rls-not-enabled').length, 1);
  assert.match(byRule(d.diagnostics, 'rls-not-enabled')[0].message, /^Table public\.note /);
  // the changelog runs access.sql first: its ENABLE before the table
  const mark = client.mark();
  writeFileSync(path('db/changelog/db.changelog-master.yaml'), master(['access.sql', 'tables.sql']));
  client.notify('workspace/didChangeWatchedFiles', { changes: [{ uri: uri('db/changelog/db.changelog-master.yaml'), type: 2 }] });
  await client.waitForDiagnostics(tables, notEnabled(2), mark);
  // back: the finding goes
  const mark2 = client.mark();
  writeFileSync(path('db/changelog/db.changelog-master.yaml'), master(['tables.sql', 'access.sql']));
  client.notify('workspace/didChangeWatchedFiles', { changes: [{ uri: uri('db/changelog/db.changelog-master.yaml'), type: 2 }] });
  await client.waitForDiagnostics(tables, notEnabled(1), mark2);
  // broken: logged with its place, and the path order
  const mark3 = client.mark();
  writeFileSync(path('db/changelog/db.changelog-master.yaml'), 'databaseChangeLog:\n  - include:\n      file: changes/tables.sql\n     relativeToChangelogFile: true\n');
  client.notify('workspace/didChangeWatchedFiles', { changes: [{ uri: uri('db/changelog/db.changelog-master.yaml'), type: 2 }] });
  await client.waitFor('window/logMessage', (p) => /db[\\/]changelog[\\/]db\.changelog-master\.yaml: not valid YAML \(line 4: an indentation that fits no node\); the Liquibase changelog db\/changelog\/db\.changelog-master\.yaml is not followed/.test(p.message), mark3);
  await client.waitForDiagnostics(tables, notEnabled(2), mark3);
});

test("ok: a Liquibase changelog's own SQL (<sql>): its findings are published on the changelog, the part after an include too, at their lines and columns (after an entity); the changelog saved without its ENABLE re-lints (its policies then have no effect), and with it again", async (t) => {
  const master = (enable: string) =>
    '<databaseChangeLog>\n  <include file="sql/tables.sql" relativeToChangelogFile="true"/>\n' +
    `  <changeSet id="2" author="dev"><sql>${enable}CREATE POLICY notes_read ON public.notes FOR SELECT TO app USING (id &gt; 0 AND owner = current_user)</sql></changeSet>\n` +
    '  <include file="sql/later.sql" relativeToChangelogFile="true"/>\n' +
    '  <changeSet id="3" author="dev"><sql>CREATE POLICY notes_upd ON public.notes FOR UPDATE USING (owner = current_user)</sql></changeSet>\n</databaseChangeLog>\n';
  const ENABLE = 'ALTER TABLE public.notes ENABLE ROW LEVEL SECURITY; ';
  const { client, path, uri } = await start(t, {
    'db/master.xml': master(ENABLE),
    'db/sql/tables.sql': '--liquibase formatted sql\n--changeset dev:1\nCREATE ROLE app;\nCREATE TABLE public.notes (id bigint PRIMARY KEY, owner text NOT NULL);\nGRANT SELECT, UPDATE ON public.notes TO app;\n',
    'db/sql/later.sql': "COMMENT ON TABLE public.notes IS 'notes';\n",
  });
  const changelog = uri('db/master.xml');
  const placed = (p: { diagnostics: Array<{ code?: unknown; range: { start: { line: number; character: number } } }> }) => p.diagnostics.map((d) => `${d.code} ${d.range.start.line}:${d.range.start.character}`).sort();
  const d = await client.waitForDiagnostics(changelog, (p) => p.diagnostics.length >= 3);
  const line2 = master(ENABLE).split('\n')[2]!;
  const line4 = master(ENABLE).split('\n')[4]!;
  assert.deepEqual(placed(d), [`policy-applies-to-public 4:${line4.indexOf('notes_upd')}`, `policy-column-not-indexed 2:${line2.indexOf('owner =')}`, `policy-missing-select-companion 4:${line4.indexOf('notes_upd')}`].sort());
  // (no ENABLE: the policies have no effect, said on the changelog)
  const mark = client.mark();
  writeFileSync(path('db/master.xml'), master(''));
  client.notify('workspace/didChangeWatchedFiles', { changes: [{ uri: changelog, type: 2 }] });
  await client.waitForDiagnostics(changelog, (p) => has('policy-on-table-without-rls')(p.diagnostics), mark);
  const mark2 = client.mark();
  writeFileSync(path('db/master.xml'), master(ENABLE));
  client.notify('workspace/didChangeWatchedFiles', { changes: [{ uri: changelog, type: 2 }] });
  await client.waitForDiagnostics(changelog, (p) => lacks('policy-on-table-without-rls')(p.diagnostics) && p.diagnostics.length === 3, mark2);
});

test("ok: a Liquibase changelog open in the editor counts as its buffer holds it: its own SQL and its order re-lint as it is typed (unsaved), and its file's again once closed", async (t) => {
  const master = (enable: string, order: string[]) =>
    '<databaseChangeLog>\n' +
    order.map((f) => `  <include file="sql/${f}.sql" relativeToChangelogFile="true"/>\n`).join('') +
    `  <changeSet id="2" author="dev"><sql>${enable}CREATE POLICY notes_read ON public.notes FOR SELECT TO app USING (owner = current_user)</sql></changeSet>\n</databaseChangeLog>\n`;
  const ENABLE = 'ALTER TABLE public.notes ENABLE ROW LEVEL SECURITY; ';
  const { client, uri } = await start(t, {
    'db/master.xml': master(ENABLE, ['tables', 'access']),
    'db/sql/tables.sql': 'CREATE ROLE app;\nCREATE TABLE public.notes (id bigint PRIMARY KEY, owner text NOT NULL);\nGRANT SELECT ON public.notes TO app;\nCREATE TABLE public.tags (id bigint PRIMARY KEY);\n',
    'db/sql/access.sql': 'ALTER TABLE public.tags ENABLE ROW LEVEL SECURITY;\n',
  });
  const changelog = uri('db/master.xml');
  const tables = uri('db/sql/tables.sql');
  await client.waitForDiagnostics(changelog, (p) => has('policy-column-not-indexed')(p.diagnostics) && lacks('policy-on-table-without-rls')(p.diagnostics));
  await client.waitForDiagnostics(tables, (p) => lacks('rls-not-enabled')(p.diagnostics));
  const doc = new Doc(client, changelog, master(ENABLE, ['tables', 'access']), 'xml');
  // the ENABLE deleted in the buffer, not saved: the policy has no effect, said on the changelog
  const mark = client.mark();
  const at = doc.text.indexOf(ENABLE);
  const pos = (offset: number) => ({ line: doc.text.slice(0, offset).split('\n').length - 1, character: offset - doc.text.lastIndexOf('\n', offset - 1) - 1 });
  doc.edit([{ range: { start: pos(at), end: pos(at + ENABLE.length) }, newText: '' }]);
  await client.waitForDiagnostics(changelog, (p) => has('policy-on-table-without-rls')(p.diagnostics), mark);
  // the includes swapped in the buffer: access.sql's ENABLE now runs before its table (42P01), tags never protected
  const mark2 = client.mark();
  const lines = doc.text.split('\n');
  doc.edit([{ range: { start: { line: 1, character: 0 }, end: { line: 3, character: 0 } }, newText: `${lines[2]}\n${lines[1]}\n` }]);
  await client.waitForDiagnostics(tables, (p) => byRule(p.diagnostics, 'rls-not-enabled').some((d: { message: string }) => /public\.tags/.test(d.message)), mark2);
  // half typed (not valid XML): the file's text counts meanwhile (its order: tags protected), nothing logged
  const mark25 = client.mark();
  doc.edit([{ range: { start: { line: 1, character: 0 }, end: { line: 1, character: 0 } }, newText: '  <include file="sql/\n' }]);
  await client.waitForDiagnostics(tables, (p) => byRule(p.diagnostics, 'rls-not-enabled').length === 0, mark25);
  assert.ok(!client.notifications.slice(mark25).some((n) => n.method === 'window/logMessage' && /master\.xml/.test(n.params.message)));
  // typed on to a valid changelog again: its order counts again
  const mark26 = client.mark();
  doc.edit([{ range: { start: { line: 1, character: 0 }, end: { line: 2, character: 0 } }, newText: '' }]);
  await client.waitForDiagnostics(tables, (p) => byRule(p.diagnostics, 'rls-not-enabled').some((d: { message: string }) => /public\.tags/.test(d.message)), mark26);
  // closed unsaved: the file's text again
  const mark3 = client.mark();
  doc.close();
  await client.waitForDiagnostics(changelog, (p) => has('policy-column-not-indexed')(p.diagnostics) && lacks('policy-on-table-without-rls')(p.diagnostics), mark3);
  await client.waitForDiagnostics(tables, (p) => byRule(p.diagnostics, 'rls-not-enabled').length === 0, mark3);
});

test("ok: a Liquibase changelog whose tables are <createTable> changes: their findings on the changelog at the element (no fix); a <createTable> typed into the buffer re-lints before a save", async (t) => {
  const TABLE = (name: string) => `  <changeSet id="${name}" author="dev"><createTable tableName="${name}"><column name="id" type="uuid"><constraints primaryKey="true"/></column><column name="owner_id" type="uuid"/></createTable></changeSet>\n`;
  const master = (tables: string[]) =>
    '<databaseChangeLog>\n' + tables.map(TABLE).join('') +
    '  <changeSet id="rls" author="dev"><sql>ALTER TABLE notes ENABLE ROW LEVEL SECURITY; ALTER TABLE notes FORCE ROW LEVEL SECURITY;\n' +
    'CREATE POLICY notes_own ON notes FOR SELECT TO PUBLIC USING (owner_id = nullif(current_setting(\'app.uid\', true), \'\')::uuid)</sql></changeSet>\n</databaseChangeLog>\n';
  const { client, uri } = await start(t, { 'db/changelog/db.changelog-master.xml': master(['notes']) });
  const changelog = uri('db/changelog/db.changelog-master.xml');
  // (the policy's column: the createTable's, known, and not indexed)
  const first = await client.waitForDiagnostics(changelog, (p) => has('policy-column-not-indexed')(p.diagnostics));
  assert.deepEqual(byRule(first.diagnostics, 'rls-not-enabled'), []);
  assert.deepEqual(byRule(first.diagnostics, 'policy-unknown-column'), []);
  const doc = new Doc(client, changelog, master(['notes']), 'xml');
  const mark = client.mark();
  doc.edit([{ range: { start: { line: 2, character: 0 }, end: { line: 2, character: 0 } }, newText: TABLE('tags') }]);
  const after = await client.waitForDiagnostics(changelog, (p) => has('rls-not-enabled')(p.diagnostics), mark);
  const d = byRule(after.diagnostics, 'rls-not-enabled');
  assert.equal(d.length, 1);
  assert.match(d[0].message, /public\.tags/);
  assert.equal(d[0].range.start.line, 2);
  assert.deepEqual(d[0].data?.fixes ?? [], []);
});

test("ok: a Liquibase project whose SQL is all in its changelog, far from the repository's other SQL files (a test fixture): its SQL is linted and shown on the changelog; a changelog created later is followed too", async (t) => {
  const master = '<databaseChangeLog>\n  <changeSet id="1" author="dev"><sql>CREATE TABLE public.notes (id bigint PRIMARY KEY, owner text NOT NULL);\nCREATE POLICY notes_read ON public.notes FOR SELECT USING (owner = current_user);</sql></changeSet>\n</databaseChangeLog>\n';
  const { client, path, uri } = await start(t, {
    'server/src/main/resources/db/changelog/db.changelog-master.xml': master,
    'server/src/test/resources/fixtures/seed.sql': "SELECT 1;\n",
  });
  const changelog = uri('server/src/main/resources/db/changelog/db.changelog-master.xml');
  const d = await client.waitForDiagnostics(changelog, (p) => has('policy-on-table-without-rls')(p.diagnostics));
  assert.equal(byRule(d.diagnostics, 'policy-on-table-without-rls')[0].range.start.line, 2);
  // (a second Liquibase project appears: its master is found by its name)
  const mark = client.mark();
  writeFileSync(path('server/src/main/resources/db/changelog/db.changelog-master.xml'), master.replace('CREATE POLICY', 'ALTER TABLE public.notes ENABLE ROW LEVEL SECURITY; CREATE POLICY'));
  client.notify('workspace/didChangeWatchedFiles', { changes: [{ uri: changelog, type: 2 }] });
  await client.waitForDiagnostics(changelog, (p) => lacks('policy-on-table-without-rls')(p.diagnostics), mark);
  const other = 'tools/migrations/master.yaml';
  mkdirSync(path('tools/migrations'), { recursive: true });
  const mark2 = client.mark();
  writeFileSync(path(other), 'databaseChangeLog:\n  - changeSet:\n      id: 1\n      author: dev\n      changes:\n        - sql:\n            sql: CREATE POLICY p ON public.missing_table USING (true)\n');
  client.notify('workspace/didChangeWatchedFiles', { changes: [{ uri: uri(other), type: 1 }] });
  await client.waitForDiagnostics(uri(other), (p) => p.diagnostics.length > 0, mark2);
});

test("ok: turning anonymous sign-ins on in a Supabase project's config.toml re-lints: a SELECT policy that only asks for a signed-in user is then reported (policy-admits-anonymous-users), and goes when they are off again", async (t) => {
  const sql =
    'CREATE TABLE public.salaries (id bigint PRIMARY KEY, amount int);\nALTER TABLE public.salaries ENABLE ROW LEVEL SECURITY;\n' +
    'CREATE POLICY staff_read ON public.salaries FOR SELECT TO authenticated USING (true);\n' +
    'CREATE POLICY staff_insert ON public.salaries FOR INSERT TO authenticated WITH CHECK (true);\n';
  const { client, path, uri } = await start(t, {
    'supabase/config.toml': '[auth]\nenable_anonymous_sign_ins = false\n',
    'supabase/migrations/20240101000000_salaries.sql': sql,
  });
  const file = uri('supabase/migrations/20240101000000_salaries.sql');
  await client.waitForDiagnostics(file, (p) => has('policy-always-true')(p.diagnostics) && lacks('policy-admits-anonymous-users')(p.diagnostics));
  const mark = client.mark();
  writeFileSync(path('supabase/config.toml'), '[auth]\nenable_anonymous_sign_ins = true\n');
  client.notify('workspace/didChangeWatchedFiles', { changes: [{ uri: uri('supabase/config.toml'), type: 2 }] });
  const d = await client.waitForDiagnostics(file, (p) => has('policy-admits-anonymous-users')(p.diagnostics), mark);
  assert.match(byRule(d.diagnostics, 'policy-admits-anonymous-users')[0].message, /supabase\/config\.toml turns anonymous sign-ins on/);
  const mark2 = client.mark();
  writeFileSync(path('supabase/config.toml'), '[auth]\nenable_anonymous_sign_ins = false\n');
  client.notify('workspace/didChangeWatchedFiles', { changes: [{ uri: uri('supabase/config.toml'), type: 2 }] });
  await client.waitForDiagnostics(file, (p) => lacks('policy-admits-anonymous-users')(p.diagnostics), mark2);
});

test("ok: the first lint of the workspace is shown as the client's progress (reading, then linting N files), ended once its diagnostics are published; a client without progress gets none", async (t) => {
  const { client, uri } = await start(t, { '1_tables.sql': TABLE, '2_more.sql': 'CREATE TABLE u (id int);\n' });
  const end = await client.waitFor('$/progress', (p) => p.value?.kind === 'end');
  const create = client.serverRequests.find((r) => r.method === 'window/workDoneProgress/create');
  assert.ok(create, 'the progress was created by the server');
  const steps = client.notifications.filter((n) => n.method === '$/progress' && n.params.token === create.params.token).map((n) => n.params.value);
  assert.deepEqual(steps, [
    { kind: 'begin', title: 'pg-rls-lint', message: 'reading the SQL files', cancellable: false },
    { kind: 'report', message: 'linting 2 files' },
    { kind: 'end' },
  ]);
  assert.equal(end.token, create.params.token);
  // (the diagnostics of both files were published before the progress ended)
  const endAt = client.notifications.findIndex((n) => n.method === '$/progress' && n.params.value?.kind === 'end');
  for (const file of ['1_tables.sql', '2_more.sql']) {
    const at = client.notifications.findIndex((n) => n.method === 'textDocument/publishDiagnostics' && n.params.uri === uri(file) && has('rls-not-enabled')(n.params.diagnostics));
    assert.ok(at >= 0 && at < endAt, `${file}: published at ${at}, progress ended at ${endAt}`);
  }
  const { window: _, ...noProgress } = VSCODE_CAPABILITIES;
  const other = await start(t, { '1_tables.sql': TABLE }, { init: { capabilities: noProgress } });
  await other.client.waitForDiagnostics(other.uri('1_tables.sql'), (p) => has('rls-not-enabled')(p.diagnostics));
  assert.equal(other.client.serverRequests.filter((r) => r.method === 'window/workDoneProgress/create').length, 0);
  assert.equal(other.client.notifications.filter((n) => n.method === '$/progress').length, 0);
});

test('ok: "Turn off <rule> for the workspace": sets the rule to off in .pg-rls-lint.json (its comments kept), or makes the file where the client can create one; once saved, the findings go, the other rules stay', async (t) => {
  const CONFIG = '{\n  // the project\'s settings\n  "exposedSchemas": ["public"],\n  "rules": { "rls-not-forced": "info" }\n}\n';
  const { client, write, uri } = await start(t, { '1_tables.sql': TABLE, '.pg-rls-lint.json': CONFIG });
  const doc = new Doc(client, uri('1_tables.sql'), TABLE);
  const diags = byRule(await doc.diagnostics(has('rls-not-enabled')), 'rls-not-enabled');
  const actions = await doc.codeActions(diags);
  const title = 'Turn off rls-not-enabled for the workspace (.pg-rls-lint.json)';
  const off = actions.find((a) => a.title === title);
  assert.ok(off, JSON.stringify(actions.map((a) => a.title)));
  assert.equal(actions.filter((a) => a.title === title).length, 1);
  const edits = editsFor(off.edit, uri('.pg-rls-lint.json'));
  const next = applyTextEdits(CONFIG, edits);
  assert.match(next, /\/\/ the project's settings/, 'the comment is kept');
  assert.deepEqual(parseJsonc(next).rules, { 'rls-not-forced': 'info', 'rls-not-enabled': 'off' });
  // (the file open in the editor with unsaved text: the action edits that buffer, at its version)
  const buffer = new Doc(client, uri('.pg-rls-lint.json'), CONFIG.replace('"public"', '"public", "api"'), 'jsonc');
  const onBuffer = (await doc.codeActions(diags)).find((a) => a.title === title)!;
  assert.equal(onBuffer.edit.documentChanges[0].textDocument.version, buffer.version);
  assert.match(applyTextEdits(buffer.text, editsFor(onBuffer.edit, buffer.uri)), /"exposedSchemas": \["public", "api"\],[\s\S]*"rls-not-enabled": "off"/);
  buffer.close();
  const mark = client.mark();
  write('.pg-rls-lint.json', next);
  client.notify('workspace/didChangeWatchedFiles', { changes: [{ uri: uri('.pg-rls-lint.json'), type: 2 }] });
  const after = await client.waitForDiagnostics(doc.uri, (p) => lacks('rls-not-enabled')(p.diagnostics), mark);
  assert.deepEqual(byRule(after.diagnostics, 'rls-not-enabled'), []);
  // no config file: made by the action where the client creates files (VS Code), not offered otherwise
  const caps = { ...VSCODE_CAPABILITIES, workspace: { ...VSCODE_CAPABILITIES.workspace, workspaceEdit: { documentChanges: true, resourceOperations: ['create', 'rename', 'delete'] } } };
  const other = await start(t, { '1_tables.sql': TABLE }, { init: { capabilities: caps } });
  const d2 = new Doc(other.client, other.uri('1_tables.sql'), TABLE);
  const made = (await d2.codeActions(byRule(await d2.diagnostics(has('rls-not-enabled')), 'rls-not-enabled'))).find((a) => a.title === title);
  assert.ok(made);
  assert.deepEqual(made.edit.documentChanges[0], { kind: 'create', uri: other.uri('.pg-rls-lint.json'), options: { ignoreIfExists: true } });
  assert.deepEqual(parseJsonc(applyTextEdits('', made.edit.documentChanges[1].edits)), { rules: { 'rls-not-enabled': 'off' } });
  const plain = await start(t, { '1_tables.sql': TABLE });
  const d3 = new Doc(plain.client, plain.uri('1_tables.sql'), TABLE);
  const titles = (await d3.codeActions(byRule(await d3.diagnostics(has('rls-not-enabled')), 'rls-not-enabled'))).map((a) => a.title);
  assert.ok(!titles.includes(title) && titles.includes('Disable rls-not-enabled for this file'), titles.join(' | '));
});
