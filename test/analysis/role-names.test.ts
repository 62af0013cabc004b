// Role names as PostgreSQL names them. The parser folds an UNQUOTED identifier to lower case and
// keeps a quoted one as written, so `CREATE ROLE "App_Visitor"` and `CREATE ROLE app_visitor` are
// two roles: a GRANT or a policy for one does nothing for the other (shown on PGlite below). The
// model keys roles the same way (roleName: no folding of its own), and messages write a role as
// SQL must to name it (roleText: `"App_Visitor"`, `"$DATABASE_VISITOR"`, PUBLIC, a plain
// lower-case name bare); psql variables stay as written (`:DATABASE_VISITOR`, `:"DATABASE_OWNER"`).
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { foldIdent, roleName, roleText } from '../../server/src/analysis/ast.js';
import { mergeConfig } from '../../server/src/analysis/config.js';
import { buildModel, type Model } from '../../server/src/analysis/model.js';
import { initParser, parseFile } from '../../server/src/analysis/parse.js';
import { groupsOf } from '../../server/src/analysis/privileges.js';
import { closeAll, getDb, inRollback, tryQuery } from '../helpers/pg.js';
import { lintFiles } from '../helpers/rule-proof.js';

before(initParser);
after(closeAll);

function model(files: Record<string, string>): Model {
  return buildModel(Object.entries(files).map(([f, t]) => parseFile(f, t)), mergeConfig({}));
}

test('ok: roleName keeps what the parser gives (quoted: its case; unquoted: folded); roleText writes it back as SQL names it; foldIdent folds SQL text', () => {
  assert.equal(roleName({ RoleSpec: { roletype: 'ROLESPEC_CSTRING', rolename: 'App_Visitor' } }), 'App_Visitor');
  assert.equal(roleName({ RoleSpec: { roletype: 'ROLESPEC_PUBLIC' } }), 'public');
  assert.equal(roleName({ RoleSpec: { roletype: 'ROLESPEC_CURRENT_USER' } }), 'current_user');
  assert.deepEqual(['app_visitor', 'App_Visitor', '$DATABASE_VISITOR', 'user', 'public', 'current_user', 'session_user', 'current_role'].map(roleText), [
    'app_visitor',
    '"App_Visitor"',
    '"$DATABASE_VISITOR"',
    '"user"',
    'PUBLIC',
    'CURRENT_USER',
    'SESSION_USER',
    'CURRENT_ROLE',
  ]);
  assert.deepEqual(['"App_Visitor"', 'App_Visitor', ' PUBLIC', '"a""b"'].map(foldIdent), ['App_Visitor', 'app_visitor', 'public', 'a"b']);
});

test('ok: the model keys a quoted role with its case in CREATE ROLE, GRANT, REVOKE, policies\' TO, GRANT role TO role, OWNER TO and SET ROLE; an unquoted one folded', () => {
  const m = model({
    '1.sql': `CREATE ROLE "App_Owner" BYPASSRLS;
CREATE ROLE app_owner;
CREATE ROLE "Admins";
CREATE ROLE App_Visitor;
CREATE ROLE "App_Visitor";
GRANT "Admins" TO app_visitor;
CREATE TABLE notes (id int PRIMARY KEY);
ALTER TABLE notes OWNER TO "App_Owner";
ALTER TABLE notes ENABLE ROW LEVEL SECURITY;
GRANT SELECT ON notes TO "App_Visitor", App_Visitor;
REVOKE SELECT ON notes FROM APP_VISITOR;
CREATE POLICY p ON notes FOR SELECT TO "App_Visitor", PUBLIC USING (true);
SET ROLE 'App_Owner';
CREATE TABLE owned (id int);
SET ROLE App_Owner;
CREATE TABLE owned2 (id int);
`,
  });
  assert.deepEqual([...m.roles.keys()].filter((r) => /owner|visitor|admins/i.test(r)).sort(), ['Admins', 'App_Owner', 'App_Visitor', 'app_owner', 'app_visitor']);
  const notes = m.tables.get('public.notes')!;
  assert.equal(notes.owner?.role, 'App_Owner');
  assert.equal(m.roleBypassesRls('App_Owner'), true);
  assert.equal(m.roleBypassesRls('app_owner'), false);
  assert.deepEqual([...(notes.grants.get('App_Visitor') ?? [])], ['select']);
  assert.equal(notes.grants.get('app_visitor')?.size ?? 0, 0, 'the REVOKE FROM APP_VISITOR took the unquoted grant back, not the quoted one');
  assert.deepEqual(m.policies.find((p) => p.name === 'p')?.roles, ['App_Visitor', 'public']);
  assert.ok(groupsOf(m, 'app_visitor')?.has('Admins'));
  assert.equal(groupsOf(m, 'App_Visitor')?.has('Admins') ?? false, false);
  assert.equal(m.tables.get('public.owned')?.owner?.role, 'App_Owner', "SET ROLE 'App_Owner' (a string: its case)");
  assert.equal(m.tables.get('public.owned2')?.owner?.role, 'app_owner', 'SET ROLE App_Owner (unquoted: folded)');
});

const TWO_ROLES = `CREATE ROLE "App_Visitor" NOLOGIN;
CREATE ROLE app_visitor NOLOGIN;
CREATE TABLE notes (id int PRIMARY KEY, body text);
ALTER TABLE notes ENABLE ROW LEVEL SECURITY;
CREATE TABLE tags (id int PRIMARY KEY);
ALTER TABLE tags ENABLE ROW LEVEL SECURITY;
CREATE POLICY tags_read ON tags FOR SELECT TO app_visitor USING (true);
GRANT SELECT ON tags TO app_visitor;
GRANT SELECT ON notes TO "App_Visitor";
CREATE POLICY notes_read ON notes FOR SELECT TO "App_Visitor", app_visitor USING (true);
`;

test('err: GRANT SELECT … TO "App_Visitor" grants app_visitor nothing: policy-role-without-grant names app_visitor; PGlite: app_visitor gets 42501 permission denied, "App_Visitor" reads the row', async () => {
  const { findings } = lintFiles([{ file: '1.sql', text: TWO_ROLES }], 'policy-role-without-grant');
  const missing = findings.filter((f) => f.rule === 'policy-role-without-grant');
  assert.equal(missing.length, 1, JSON.stringify(findings.map((f) => [f.rule, f.message])));
  assert.match(missing[0]!.message, /^Policy "notes_read" on public\.notes is for app_visitor, but that role has no SELECT privilege on public\.notes/);
  assert.equal(findings.filter((f) => f.rule === 'grant-without-policy').length, 0, '"App_Visitor" has its policy');
  await inRollback(await getDb(), async (q) => {
    await q(TWO_ROLES);
    await q(`INSERT INTO notes VALUES (1, 'a')`);
    await q('SET ROLE app_visitor');
    const denied = await tryQuery(q, 'SELECT body FROM notes');
    assert.ok(!denied.ok && denied.error.code === '42501' && denied.error.message === 'permission denied for table notes', JSON.stringify(denied));
    await q('RESET ROLE');
    await q('SET ROLE "App_Visitor"');
    assert.deepEqual(await q('SELECT body FROM notes'), [{ body: 'a' }]);
    await q('RESET ROLE');
    // and SET ROLE App_Visitor, unquoted, is app_visitor again
    await q('SET ROLE App_Visitor');
    assert.deepEqual(await q('SELECT current_user AS u'), [{ u: 'app_visitor' }]);
  });
});

const POLICY_FOR_ONE = `CREATE ROLE "App_Visitor" NOLOGIN;
CREATE ROLE app_visitor NOLOGIN;
CREATE TABLE notes (id int PRIMARY KEY, body text);
ALTER TABLE notes ENABLE ROW LEVEL SECURITY;
GRANT SELECT ON notes TO "App_Visitor", app_visitor;
CREATE POLICY notes_read ON notes FOR SELECT TO "App_Visitor" USING (true);
`;

test('err: a policy TO "App_Visitor" does not apply to app_visitor: grant-without-policy names app_visitor only; PGlite: app_visitor reads 0 rows, "App_Visitor" 1', async () => {
  const { mine } = lintFiles([{ file: '1.sql', text: POLICY_FOR_ONE }], 'grant-without-policy');
  assert.equal(mine.length, 1, JSON.stringify(mine.map((f) => f.message)));
  assert.match(mine[0]!.message, /^app_visitor is granted SELECT on public\.notes, which has row-level security, but no permissive policy for that command applies to it/);
  await inRollback(await getDb(), async (q) => {
    await q(POLICY_FOR_ONE);
    await q(`INSERT INTO notes VALUES (1, 'a')`);
    await q('SET ROLE app_visitor');
    assert.deepEqual(await q('SELECT count(*)::int AS n FROM notes'), [{ n: 0 }]);
    await q('RESET ROLE');
    await q('SET ROLE "App_Visitor"');
    assert.deepEqual(await q('SELECT count(*)::int AS n FROM notes'), [{ n: 1 }]);
  });
  // the same policy with the other role granted: the finding names "App_Visitor", quoted, in the message and its fix
  const other = POLICY_FOR_ONE.replace('TO "App_Visitor" USING', 'TO app_visitor USING');
  const swapped = lintFiles([{ file: '1.sql', text: other }], 'grant-without-policy').mine;
  assert.equal(swapped.length, 1);
  assert.match(swapped[0]!.message, /^"App_Visitor" is granted SELECT on public\.notes.*Add a policy FOR SELECT TO "App_Visitor"/);
});

const PLACEHOLDER_STYLE = `CREATE ROLE "$DATABASE_VISITOR" NOLOGIN;
CREATE TABLE docs (id int PRIMARY KEY);
GRANT SELECT ON docs TO "$DATABASE_VISITOR";
`;

test('err: a role named "$DATABASE_VISITOR" (quoted, a PostGraphile-style name) is written quoted in the message, as it must be to name it; PGlite: unquoted, $database_visitor is a syntax error (42601)', async () => {
  const { mine } = lintFiles([{ file: '1.sql', text: PLACEHOLDER_STYLE }], 'rls-not-enabled');
  assert.equal(mine.length, 1);
  assert.match(mine[0]!.message, /never enabled: "\$DATABASE_VISITOR" may read all of its rows/);
  await inRollback(await getDb(), async (q) => {
    await q(PLACEHOLDER_STYLE);
    await q('INSERT INTO docs VALUES (1)');
    const bare = await tryQuery(q, 'SET ROLE $DATABASE_VISITOR');
    assert.ok(!bare.ok && bare.error.code === '42601', JSON.stringify(bare));
    await q('SET ROLE "$DATABASE_VISITOR"');
    assert.deepEqual(await q('SELECT count(*)::int AS n FROM docs'), [{ n: 1 }], 'it reads every row: no RLS');
  });
});

test('ok: psql variables in role names keep working and are shown as written: :DATABASE_VISITOR (folded placeholder), :"DATABASE_OWNER" (quoted: its case)', () => {
  const text = `CREATE TABLE docs (id int PRIMARY KEY);
GRANT SELECT ON docs TO :DATABASE_VISITOR;
CREATE TABLE d2 (id int PRIMARY KEY);
GRANT SELECT ON d2 TO :"DATABASE_OWNER";
`;
  const { mine } = lintFiles([{ file: '1.sql', text }], 'rls-not-enabled');
  assert.deepEqual(
    mine.map((f) => /never enabled: (.*) may read/.exec(f.message)?.[1]),
    [':DATABASE_VISITOR', ':"DATABASE_OWNER"'],
  );
  const m = model({ '1.sql': text });
  assert.ok(m.tables.get('public.docs')?.grants.has('_database_visitor'));
  assert.ok(m.tables.get('public.d2')?.grants.has('DATABASE_OWNER'));
});
