// The language server over stdio, spoken to as an editor does: capabilities, diagnostics
// with exact UTF-16 ranges, quick fixes, suppression actions, fix all, stale results, exit.
import assert from 'node:assert/strict';
import { before, test } from 'node:test';
import { ensureServerBuilt, LspClient, rangeOf } from './client.js';
import { byRule, Doc, has, lacks, SOURCE, start } from './helpers.js';
import { UNSAFE_SUFFIX } from '../../server/src/lsp/codeActions.js';

before(() => ensureServerBuilt());

test('ok: initialize → capabilities (incremental sync, code action kinds, commands)', async (t) => {
  const { client, init: result } = await start(t);
  const caps = result.capabilities;
  assert.equal(caps.textDocumentSync.change, 2); // Incremental
  assert.equal(caps.textDocumentSync.openClose, true);
  assert.deepEqual(caps.codeActionProvider.codeActionKinds, ['quickfix', 'source.fixAll.pg-rls-lint']);
  assert.ok(caps.executeCommandProvider.commands.includes('pgRlsLint.server.fixAll'));
  assert.ok(caps.executeCommandProvider.commands.includes('pgRlsLint.server.rlsMatrix'));
  assert.ok(caps.executeCommandProvider.commands.includes('pgRlsLint.server.verify'));
  assert.equal(result.serverInfo.name, 'pg-rls-lint');
  // watchers for SQL files and the config file are registered dynamically
  const deadline = Date.now() + 30_000;
  while (!client.serverRequests.some((r) => r.method === 'client/registerCapability' && r.params.registrations.some((x: { method: string }) => x.method === 'workspace/didChangeWatchedFiles'))) {
    assert.ok(Date.now() < deadline, 'no watcher registration');
    await new Promise((r) => setTimeout(r, 20));
  }
  const reg = client.serverRequests
    .filter((r) => r.method === 'client/registerCapability')
    .flatMap((r) => r.params.registrations)
    .find((x: { method: string }) => x.method === 'workspace/didChangeWatchedFiles');
  assert.deepEqual(
    reg.registerOptions.watchers.map((w: { globPattern: string }) => w.globPattern),
    ['**/*.{sql,pgsql,psql}', '**/.pg-rls-lint.json', '**/supabase/config.toml', '**/sqitch.plan', '**/*.conf', '**/meta/_journal.json', '**/.gmrc', '**/{docker-compose,compose}.{yml,yaml}', '**/.env', '**/*.{xml,yaml,yml,json}'],
  );
});

const NON_ASCII =
  '-- Crème brûlée, 日本語のテーブル, emoji 😀👍🏽 and 𝒳\n' +
  "SELECT 'ünïcödé 漢字 😀😀' AS x, '🏳️‍🌈' AS y; CREATE TABLE notes (id int, body text);\n";

test('ok: didOpen with non-ASCII text → rls-not-enabled at the exact UTF-16 range, with docs and fixes', async (t) => {
  const { client, uri } = await start(t);
  const doc = new Doc(client, uri('notes.sql'), NON_ASCII);
  const diags = await doc.diagnostics(has('rls-not-enabled'));
  const [d] = byRule(diags, 'rls-not-enabled');
  assert.deepEqual(d.range, rangeOf(NON_ASCII, 'notes', 0));
  assert.equal(d.range.start.line, 1);
  assert.equal(d.source, SOURCE);
  assert.equal(d.severity, 2);
  assert.equal(d.codeDescription.href, 'https://github.com/pg-rls-lint/pg-rls-lint/blob/main/docs/rules/rls-not-enabled.md');
  assert.equal(d.data.rule, 'rls-not-enabled');
  assert.ok(d.data.fixes.length >= 1);
  const fix = d.data.fixes[0];
  assert.equal(fix.kind, 'unsafe'); // until policies exist it denies the application's roles
  assert.equal(fix.edits[0].uri, doc.uri);
  assert.match(fix.edits[0].newText, /ENABLE ROW LEVEL SECURITY/);
});

test('ok: codeAction → the quick fix; applying it with a range change clears the finding', async (t) => {
  const { client, uri } = await start(t);
  const doc = new Doc(client, uri('notes.sql'), NON_ASCII);
  const diags = byRule(await doc.diagnostics(has('rls-not-enabled')), 'rls-not-enabled');
  const actions = await doc.codeActions(diags);
  const fix = actions.find((a) => a.kind === 'quickfix' && /Enable and force/.test(a.title));
  assert.ok(fix, JSON.stringify(actions.map((a) => a.title)));
  assert.ok(fix.title.endsWith(UNSAFE_SUFFIX), fix.title);
  assert.notEqual(fix.isPreferred, true, 'an unsafe fix is never the preferred one');
  assert.deepEqual(fix.diagnostics, diags);
  assert.equal(fix.edit.documentChanges[0].textDocument.version, 1);
  const titles = actions.map((a) => a.title);
  assert.ok(titles.includes('Disable rls-not-enabled for this line'));
  assert.ok(titles.includes('Disable rls-not-enabled for this file'));
  doc.applyWorkspaceEdit(fix.edit);
  assert.match(doc.text, /ALTER TABLE notes ENABLE ROW LEVEL SECURITY/);
  const after = await doc.diagnostics();
  assert.deepEqual(byRule(after, 'rls-not-enabled'), []);
  assert.deepEqual(byRule(after, 'rls-not-forced'), []);
  assert.deepEqual(byRule(after, 'syntax-error'), []);
  // the old diagnostic is stale now: no action is offered for it
  assert.deepEqual(await doc.codeActions(diags), []);
});

test('ok: "Disable for this line" keeps the indentation and removes the finding', async (t) => {
  const { client, uri } = await start(t);
  const text = 'BEGIN;\n    CREATE TABLE t (id int);\nCOMMIT;\n';
  const doc = new Doc(client, uri('a.sql'), text);
  const diags = byRule(await doc.diagnostics(has('rls-not-enabled')), 'rls-not-enabled');
  const action = (await doc.codeActions(diags)).find((a) => a.title === 'Disable rls-not-enabled for this line');
  assert.ok(action);
  doc.applyWorkspaceEdit(action.edit);
  assert.equal(doc.text, 'BEGIN;\n    -- pg-rls-lint-disable-next-line rls-not-enabled\n    CREATE TABLE t (id int);\nCOMMIT;\n');
  await doc.diagnostics(lacks('rls-not-enabled'));
});

test('ok: "Disable for this line" extends a suppression comment already above', async (t) => {
  const { client, uri } = await start(t);
  const text = '-- pg-rls-lint-disable-next-line syntax-error\nCREATE TABLE t (id int);\n';
  const doc = new Doc(client, uri('a.sql'), text);
  const diags = byRule(await doc.diagnostics(has('rls-not-enabled')), 'rls-not-enabled');
  const action = (await doc.codeActions(diags)).find((a) => a.title === 'Disable rls-not-enabled for this line');
  doc.applyWorkspaceEdit(action.edit);
  assert.equal(doc.text, '-- pg-rls-lint-disable-next-line syntax-error rls-not-enabled\nCREATE TABLE t (id int);\n');
  await doc.diagnostics(lacks('rls-not-enabled'));
});

test('ok: "Disable for this file" inserts the first line and removes the finding', async (t) => {
  const { client, uri } = await start(t);
  const text = 'CREATE TABLE a (id int);\r\nCREATE TABLE b (id int);\r\n';
  const doc = new Doc(client, uri('a.sql'), text);
  const diags = byRule(await doc.diagnostics((d) => byRule(d, 'rls-not-enabled').length === 2), 'rls-not-enabled');
  const action = (await doc.codeActions([diags[1]])).find((a) => a.title === 'Disable rls-not-enabled for this file');
  doc.applyWorkspaceEdit(action.edit);
  assert.ok(doc.text.startsWith('-- pg-rls-lint-disable-file rls-not-enabled\r\nCREATE TABLE a'));
  await doc.diagnostics(lacks('rls-not-enabled'));
});

test('ok: an unsafe fix is offered for review, not preferred; related information points into other files', async (t) => {
  const { client, uri } = await start(t, { '1_tables.sql': 'CREATE TABLE t (id int);\n' });
  const fn =
    'CREATE POLICY p ON t USING (true);\n' +
    'CREATE FUNCTION is_member(tid uuid) RETURNS boolean\nLANGUAGE sql STABLE SECURITY DEFINER AS $$ SELECT true $$;\n' +
    'REVOKE EXECUTE ON FUNCTION is_member(uuid) FROM PUBLIC;\n';
  const doc = new Doc(client, uri('2_policies.sql'), fn);
  const diags = await doc.diagnostics(has('definer-search-path-missing'));
  const actions = await doc.codeActions(byRule(diags, 'definer-search-path-missing'));
  const fixes = actions.filter((a) => /search_path/.test(a.title));
  assert.equal(fixes.length, 2, JSON.stringify(actions.map((a) => a.title)));
  assert.equal(fixes[0].isPreferred, true);
  assert.ok(!fixes[1].isPreferred);
  assert.ok(fixes[1].title.endsWith(' (review: changes behaviour)'), fixes[1].title);
  // the policy without effect points at its table, created in 1_tables.sql (not open)
  const d = byRule(diags, 'policy-on-table-without-rls')[0];
  assert.equal(d.relatedInformation[0].location.uri, uri('1_tables.sql'));
  assert.match(d.relatedInformation[0].message, /created here/);
});

const TWO_PROBLEMS = 'CREATE TABLE a (id int);\nCREATE TABLE b (id int);\nALTER TABLE b ENABLE ROW LEVEL SECURITY;\nCREATE POLICY p ON b USING (true);\n';

test('ok: source.fixAll.pg-rls-lint applies every safe fix of the file (and no unsafe one)', async (t) => {
  const { client, uri } = await start(t);
  const doc = new Doc(client, uri('a.sql'), TWO_PROBLEMS);
  await doc.diagnostics((d) => has('rls-not-enabled')(d) && has('rls-not-forced')(d));
  const actions = await doc.codeActions([], ['source.fixAll.pg-rls-lint']);
  assert.equal(actions.length, 1);
  assert.equal(actions[0].kind, 'source.fixAll.pg-rls-lint');
  // VS Code asks for the parent kind on save
  assert.equal((await doc.codeActions([], ['source.fixAll'])).length, 1);
  // quick fixes only when asked for
  assert.ok((await doc.codeActions([], ['quickfix'])).every((a: { kind: string }) => a.kind === 'quickfix'));
  doc.applyWorkspaceEdit(actions[0].edit);
  const after = await doc.diagnostics();
  assert.equal(byRule(after, 'rls-not-enabled').length, 1, 'its fix is unsafe: left to the user');
  assert.deepEqual(byRule(after, 'rls-not-forced'), []);
  assert.deepEqual(byRule(after, 'syntax-error'), []);
});

test('ok: pgRlsLint.server.fixAll sends workspace/applyEdit and reports applied', async (t) => {
  const { client, uri } = await start(t);
  const doc = new Doc(client, uri('a.sql'), TWO_PROBLEMS);
  await doc.diagnostics(has('rls-not-enabled'));
  // a stale version is refused
  assert.deepEqual(await client.request('workspace/executeCommand', { command: 'pgRlsLint.server.fixAll', arguments: [doc.uri, 99] }), { applied: false });
  const result = await client.request('workspace/executeCommand', { command: 'pgRlsLint.server.fixAll', arguments: [doc.uri, doc.version] });
  assert.deepEqual(result, { applied: true });
  const req = client.serverRequests.find((r) => r.method === 'workspace/applyEdit');
  assert.ok(req);
  assert.equal(req.params.edit.documentChanges[0].textDocument.version, 1);
  doc.applyWorkspaceEdit(req.params.edit);
  const after = await doc.diagnostics();
  assert.equal(byRule(after, 'rls-not-enabled').length, 1, 'its fix is unsafe: left to the user');
  assert.deepEqual(byRule(after, 'rls-not-forced'), []);
  // nothing left to fix
  assert.deepEqual(await client.request('workspace/executeCommand', { command: 'pgRlsLint.server.fixAll', arguments: [doc.uri] }), { applied: false });
});

test('ok: pgRlsLint.server.rlsMatrix returns a Markdown table of the tables', async (t) => {
  const { client, uri } = await start(t);
  const doc = new Doc(client, uri('a.sql'), TWO_PROBLEMS);
  await doc.diagnostics(has('rls-not-enabled'));
  const md: string = await client.request('workspace/executeCommand', { command: 'pgRlsLint.server.rlsMatrix', arguments: [] });
  assert.match(md, /\| Table \| RLS enabled \| RLS forced \| Policies \|/);
  assert.match(md, /\| public\.a \| \*\*no\*\* \| no \| 0 \|/);
  assert.match(md, /\| public\.b \| yes \| no \| 1 \|/);
});

test('ok: two quick changes → diagnostics only for the latest version', async (t) => {
  const { client, uri } = await start(t);
  const doc = new Doc(client, uri('a.sql'), 'CREATE TABLE t (id int);\n');
  await doc.diagnostics(has('rls-not-enabled'));
  const mark = client.mark();
  doc.append('ALTER TABLE t ENABLE ROW LEVEL SECURITY;\n');
  doc.append('ALTER TABLE t FORCE ROW LEVEL SECURITY;\n');
  assert.equal(doc.version, 3);
  const diags = await doc.diagnostics(lacks('rls-not-enabled'), mark);
  assert.deepEqual(byRule(diags, 'rls-not-forced'), []);
  const versions = client.published(doc.uri, mark).map((p) => p.version);
  assert.deepEqual(versions, [3]);
});

test('err: bad requests are answered with empty results and the server keeps linting', async (t) => {
  const { client, uri } = await start(t);
  assert.deepEqual(
    await client.request('textDocument/codeAction', { textDocument: { uri: 'file:///nowhere/x.sql' }, range: { start: { line: 0, character: 0 }, end: { line: 0, character: 0 } }, context: { diagnostics: [] } }),
    [],
  );
  assert.deepEqual(await client.request('textDocument/codeAction', { textDocument: { uri: 'file:///nowhere/x.sql' } }), []);
  assert.deepEqual(await client.request('workspace/executeCommand', { command: 'pgRlsLint.server.fixAll', arguments: [42] }), { applied: false });
  assert.equal(await client.request('workspace/executeCommand', { command: 'pgRlsLint.server.nope', arguments: [] }), null);
  const doc = new Doc(client, uri('a.sql'), 'CREATE TABLE t (id int);\nCREATE TABLE (;\n');
  const diags = await doc.diagnostics((d) => has('rls-not-enabled')(d) && has('syntax-error')(d));
  assert.equal(byRule(diags, 'syntax-error')[0].severity, 1);
});

test('ok: shutdown → exit → the process exits with code 0', async () => {
  const client = new LspClient();
  await client.initialize();
  assert.equal(await client.request('shutdown', null), null);
  client.notify('exit', null);
  assert.equal(await client.exited, 0);
});

// ---------------------------------------------------------------------------------------
// Fixes are checked like code; workspace-wide fix all per rule

test('ok: fix all of one rule across the workspace', async (t) => {
  const enabled = (name: string) => `CREATE TABLE ${name} (id int PRIMARY KEY);\nALTER TABLE ${name} ENABLE ROW LEVEL SECURITY;\nCREATE POLICY ${name}_read ON ${name} FOR SELECT USING (true);\n`;
  const { client, uri } = await start(t, { '1_a.sql': enabled('a'), '2_b.sql': enabled('b') });
  const doc = new Doc(client, uri('1_a.sql'), enabled('a'));
  const diags = byRule(await doc.diagnostics(has('rls-not-forced')), 'rls-not-forced');
  const actions = await doc.codeActions(diags, ['quickfix']);
  const all = actions.find((a) => a.title === 'Fix all 2 rls-not-forced problems in the workspace');
  assert.ok(all, actions.map((a) => a.title).join(' | '));
  const uris = Object.keys(all.edit.changes ?? {}).concat((all.edit.documentChanges ?? []).map((d: { textDocument: { uri: string } }) => d.textDocument.uri));
  assert.deepEqual(new Set(uris), new Set([uri('1_a.sql'), uri('2_b.sql')]));
  assert.ok(actions.some((a) => a.title === 'Force row-level security on a' && a.isPreferred), 'the clean fix stays preferred');
});

test('ok: a fix is re-linted and its title warns about a finding it would introduce', async (t) => {
  const text = 'CREATE TABLE t (id int PRIMARY KEY);\nGRANT SELECT ON t TO authenticated;\n';
  const { client, uri } = await start(t, { 'a.sql': text });
  const doc = new Doc(client, uri('a.sql'), text);
  const diags = byRule(await doc.diagnostics(has('rls-not-enabled')), 'rls-not-enabled');
  const actions = await doc.codeActions(diags, ['quickfix']);
  const fix = actions.find((a) => a.title.startsWith('Enable and force row-level security on t'));
  assert.ok(fix, actions.map((a) => a.title).join(' | '));
  // enabling RLS with no policy leaves the granted role with no rows: the title says so
  assert.match(fix.title, /\(warning: introduces rls-enabled-without-policy\)$/);
  assert.ok(!fix.isPreferred);
});
