// The editor's verify command: the server runs `pg-rls-lint verify` on the workspace folder
// (dist/cli.js in a child process) and republishes the diagnostics, a finding the engine
// showed saying how; an edit of the file drops the note (its text is no longer the verified one).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ensureServerBuilt } from './client.js';
import { statementErrorDiagnostic } from '../../server/src/lsp/diagnostics.js';
import { byRule, Doc, start } from './helpers.js';

ensureServerBuilt();

const MIGRATION = `CREATE ROLE app_user;
CREATE TABLE members (id bigint PRIMARY KEY, team_id bigint NOT NULL, user_name text NOT NULL);
ALTER TABLE members ENABLE ROW LEVEL SECURITY;
ALTER TABLE members FORCE ROW LEVEL SECURITY;
GRANT SELECT ON members TO app_user;
CREATE POLICY members_team ON members FOR SELECT TO app_user
  USING (team_id IN (SELECT team_id FROM members WHERE user_name = current_user));
`;

test('ok: pgRlsLint.server.verify runs verify on the folder: the recursion finding says the engine showed it (42P17); an edit drops the note', async (t) => {
  const s = await start(t, { '001_members.sql': MIGRATION }, { timeoutMs: 120_000 });
  const doc = new Doc(s.client, s.uri('001_members.sql'), MIGRATION);
  const before = byRule(await doc.diagnostics((d) => byRule(d, 'policy-recursion').length === 1), 'policy-recursion')[0];
  assert.doesNotMatch(before.message, /Shown on/);
  const since = Date.now();
  const result = await s.client.request('workspace/executeCommand', { command: 'pgRlsLint.server.verify', arguments: [] });
  assert.equal(result.projects.length, 1);
  const [summary] = result.projects;
  assert.equal(summary.error, undefined, summary.error);
  assert.match(summary.pgVersion, /^PostgreSQL \d+/);
  assert.ok(summary.shown >= 1);
  assert.equal(summary.failingProbes, 1);
  const shown = byRule(await doc.diagnostics((d) => /Shown on/.test(byRule(d, 'policy-recursion')[0]?.message ?? ''), 0), 'policy-recursion')[0];
  assert.ok(Date.now() >= since);
  assert.match(shown.message, /\n\nShown on PostgreSQL \d+[^:]* by pg-rls-lint verify: app_user SELECT public\.members → 42P17$/);
  // (the finding's own text and fixes are unchanged)
  assert.ok(shown.message.startsWith(before.message));
  assert.deepEqual(shown.data, before.data);
  // an edit: the file is no longer the one verified
  doc.append('\n-- edited\n');
  const edited = byRule(await doc.diagnostics((d) => byRule(d, 'policy-recursion').length === 1), 'policy-recursion')[0];
  assert.doesNotMatch(edited.message, /Shown on/);
});

test('ok: a statement that fails in the replay is a warning where PostgreSQL says (code verify), in a file with no finding too; an edit of the file drops it', async (t) => {
  const BAD = `-- « index » 日本語\nCREATE INDEX members_note ON members (no_such_column);\n`;
  const s = await start(t, { '001_members.sql': MIGRATION, '002_index.sql': BAD }, { timeoutMs: 120_000 });
  const doc = new Doc(s.client, s.uri('002_index.sql'), BAD);
  const result = await s.client.request('workspace/executeCommand', { command: 'pgRlsLint.server.verify', arguments: [] });
  assert.equal(result.projects[0].statementErrors, 1);
  const [d] = byRule(await doc.diagnostics((ds) => byRule(ds, 'verify').length === 1, 0), 'verify');
  assert.equal(d.severity, 2);
  assert.equal(d.source, 'pg-rls-lint');
  // (PostgreSQL names no place in it: the whole statement)
  assert.deepEqual(d.range, { start: { line: 1, character: 0 }, end: { line: 1, character: 53 } });
  assert.match(d.message, /^This statement failed when pg-rls-lint verify replayed the migrations in order on PostgreSQL \d+[^:]*: 42703 column "no_such_column" does not exist\. A migration tool stops/);
  doc.append('\n-- edited\n');
  assert.deepEqual(await doc.diagnostics((ds) => byRule(ds, 'verify').length === 0), []);
});

test("err: a folder whose config the CLI refuses: the command answers the CLI's error for that project", async (t) => {
  const s = await start(t, { '.pg-rls-lint.json': '{ "rules": 5 }', 'a.sql': 'SELECT 1;\n' }, { timeoutMs: 120_000 });
  const result = await s.client.request('workspace/executeCommand', { command: 'pgRlsLint.server.verify', arguments: [] });
  assert.equal(result.projects.length, 1);
  assert.match(result.projects[0].error, /invalid config \.pg-rls-lint\.json: "rules" must be an object/);
});

test('ok: $/cancelRequest stops a running verify: its child is killed and the command answers "cancelled"', async (t) => {
  const s = await start(t, { '001_members.sql': MIGRATION }, { timeoutMs: 120_000 });
  const id = (s.client as unknown as { nextId: number }).nextId;
  const pending = s.client.request('workspace/executeCommand', { command: 'pgRlsLint.server.verify', arguments: [] });
  setTimeout(() => s.client.notify('$/cancelRequest', { id }), 300);
  const result = await pending;
  // ('cancelled' only when the child was killed before it ended)
  assert.deepEqual(result.projects, [{ project: result.projects[0].project, error: 'cancelled' }]);
});

test('ok: a statement error at a place PostgreSQL names: the word there (a quoted name whole, after non-ASCII text)', () => {
  const text = '-- ü\nCREATE POLICY « p » ON t USING (true);\nSELECT "Tëam ""x""".id FROM x;\n';
  const at = (line: number, column: number) => statementErrorDiagnostic({ line, column, code: '42P01', message: 'relation does not exist' }, 'PostgreSQL 18', text).range;
  assert.deepEqual(at(3, 8), { start: { line: 2, character: 7 }, end: { line: 2, character: 19 } });
  assert.deepEqual(at(2, 15), { start: { line: 1, character: 14 }, end: { line: 1, character: 15 } });
  assert.deepEqual(at(3, 28), { start: { line: 2, character: 27 }, end: { line: 2, character: 28 } });
});

test('ok: a statement error says why when the other statements tell: an earlier failure, nothing making the name, the name made later', () => {
  const e = { line: 2, column: 1, code: '42P01', message: 'relation "orders" does not exist' };
  const msg = (cause: Parameters<typeof statementErrorDiagnostic>[0]['cause']) => statementErrorDiagnostic({ ...e, cause }, 'PostgreSQL 18', 'x\ny\n').message;
  assert.match(msg({ kind: 'follows', missing: { kind: 'relation', name: 'orders' }, follows: { path: '1.sql', line: 1, column: 1 } }), /does not exist\. It follows from an earlier failure, at 1\.sql:1:1: the statement that would have made relation orders \(or what it is renamed from\) failed there\. A migration tool stops/);
  assert.match(msg({ kind: 'never', missing: { kind: 'relation', name: 'orders' } }), /No statement of the project's files makes relation orders \(none creates it, dynamic SQL aside\): the history lacks what makes it/);
  assert.match(msg({ kind: 'later', missing: { kind: 'relation', name: 'orders' }, madeAt: { path: '2.sql', line: 4, column: 1 } }), /relation orders is made later in migration order, at 2\.sql:4:1: this statement runs before it\./);
  // (made only where the replay runs nothing: a file inside supabase/migrations/, cal184's TatamiPro_V3 legacy/)
  assert.match(
    msg({ kind: 'never', missing: { kind: 'relation', name: 'public.athletes' }, notRunAt: { path: 'supabase/migrations/legacy/0005_t.sql', line: 2, column: 1 } }),
    /relation public\.athletes is made only at supabase\/migrations\/legacy\/0005_t\.sql:2:1, which is not run: a file or section that migrating up never applies, as the lint does not replay it\./,
  );
  assert.doesNotMatch(msg(undefined), /follows|No statement|later/);
});
