// What the replay hands out without a copy of its own is never written to: a policy is its
// CREATE POLICY's prototype (kept with the op for the next builds), a function or relation
// none were granted to shares one empty grants Set / Map, a table shares its prototype's
// columns and keys. An edit in another file that alters them, then takes that back, must give
// the objects as they were created, in the same parsed file's next builds.
import assert from 'node:assert/strict';
import { before, test } from 'node:test';
import { Workspace, initParser } from '../../server/src/engine/workspace.js';

before(async () => {
  await initParser();
});

const CREATE = `
CREATE TABLE t (id int, owner uuid);
CREATE VIEW v AS SELECT id FROM t;
CREATE POLICY p ON t FOR SELECT TO authenticated USING (owner = auth.uid());
CREATE FUNCTION f(x int) RETURNS int LANGUAGE sql AS 'select x';
`;

const ALTER = `
ALTER POLICY p ON t TO anon USING (true);
ALTER POLICY p ON t RENAME TO q;
GRANT EXECUTE ON FUNCTION f(int) TO anon;
GRANT SELECT ON t, v TO anon;
ALTER TABLE t ADD COLUMN extra text UNIQUE;
CREATE UNIQUE INDEX t_owner ON t (owner);
`;

function facts(ws: Workspace) {
  const m = ws.model();
  const t = m.tables.get('public.t')!;
  const p = t.policies[0]!;
  const f = m.functions.get('public.f')![0]!;
  return {
    policy: [p.name, p.roles.join(','), JSON.stringify(p.using).includes('true')],
    table: [t.columns.join(','), t.keys.map((k) => k.join('+')).join(','), [...t.grants.keys()].join(',')],
    view: [...m.views.get('public.v')!.grants.keys()].join(','),
    func: [...f.executeGrants].join(','),
  };
}

test('ok: altering in a later file, then not, gives the objects as created', () => {
  const ws = new Workspace();
  ws.setFile('1_create.sql', CREATE);
  ws.setFile('2_alter.sql', '-- nothing yet');
  const created = facts(ws);
  assert.deepEqual(created, { policy: ['p', 'authenticated', false], table: ['id,owner', '', ''], view: '', func: '' });
  ws.setFile('2_alter.sql', ALTER);
  assert.deepEqual(facts(ws), { policy: ['q', 'anon', true], table: ['id,owner,extra', 'extra,owner', 'anon'], view: 'anon', func: 'anon' });
  ws.setFile('2_alter.sql', '-- taken back');
  assert.deepEqual(facts(ws), created);
  // and again, from the other side: the alterations each time on what the first file created
  ws.setFile('2_alter.sql', ALTER);
  assert.deepEqual(facts(ws), { policy: ['q', 'anon', true], table: ['id,owner,extra', 'extra,owner', 'anon'], view: 'anon', func: 'anon' });
});

test('ok: altered in the first build (nothing saved yet), then not', () => {
  const ws = new Workspace();
  ws.setFile('1_create.sql', CREATE);
  ws.setFile('2_alter.sql', ALTER);
  assert.deepEqual(facts(ws), { policy: ['q', 'anon', true], table: ['id,owner,extra', 'extra,owner', 'anon'], view: 'anon', func: 'anon' });
  ws.setFile('2_alter.sql', '-- taken back');
  assert.deepEqual(facts(ws), { policy: ['p', 'authenticated', false], table: ['id,owner', '', ''], view: '', func: '' });
});

test('ok: alterations in the same file as the creations, then an edit before them', () => {
  const ws = new Workspace();
  ws.setFile('1_create.sql', CREATE + ALTER);
  const altered = facts(ws);
  assert.deepEqual(altered, { policy: ['q', 'anon', true], table: ['id,owner,extra', 'extra,owner', 'anon'], view: 'anon', func: 'anon' });
  ws.setFile('0_first.sql', 'CREATE TABLE other (id int);');
  assert.deepEqual(facts(ws), altered);
  ws.setFile('1_create.sql', CREATE);
  assert.deepEqual(facts(ws), { policy: ['p', 'authenticated', false], table: ['id,owner', '', ''], view: '', func: '' });
});
