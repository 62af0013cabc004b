// The engine keeps what the next build resumes from, not the previous model: after an edit,
// the old model (its tables, policies, functions and per-model results) can be collected
// before the next one is built, so the two are never in memory together.
import assert from 'node:assert/strict';
import { before, test } from 'node:test';
import { initParser, Workspace } from '../../server/src/engine/workspace.js';

before(initParser);

const TABLE = `CREATE TABLE docs (id int PRIMARY KEY, owner_id uuid NOT NULL, tenant_id uuid);
ALTER TABLE docs ENABLE ROW LEVEL SECURITY;
GRANT SELECT, INSERT ON docs TO authenticated;
`;

function summary(ws: Workspace): unknown {
  return [...ws.lint().byFile].map(([file, list]) => [file, list.map((x) => [x.rule, x.start, x.end, x.message])]);
}

function fresh(ws: Workspace): Workspace {
  const w = new Workspace(ws.getConfig());
  for (const f of ws.files()) w.setFile(f, ws.text(f)!);
  return w;
}

test('an edit leaves the previous model to the garbage collector: it is not in memory beside the next one while that is built', async () => {
  const v8 = await import('node:v8');
  const vm = await import('node:vm');
  v8.setFlagsFromString('--expose-gc');
  const gc = vm.runInNewContext('gc') as () => void;
  const ws = new Workspace();
  ws.setFile('1.sql', `${TABLE}CREATE POLICY p ON docs FOR SELECT TO authenticated USING (tenant_id = current_setting('app.tenant_id')::uuid);`);
  const ref = new WeakRef(ws.lint().model);
  ws.setFile('2.sql', 'CREATE POLICY q ON docs FOR INSERT TO authenticated WITH CHECK (true);');
  // a WeakRef's target lives until the end of the job; a frame the runner left may hold it a little longer
  for (let i = 0; i < 3; i++) {
    await new Promise((resolve) => setImmediate(resolve));
    gc();
  }
  assert.equal(ref.deref(), undefined, 'the workspace still holds the previous model');
  // and the next build still resumes (the same findings as a fresh workspace)
  assert.deepEqual(summary(ws), summary(fresh(ws)));
});
