// unset-context.ts: the shapes failsOpen concludes from without evaluating (closedByShape) must
// agree with the evaluator (openIn) in every unset state of the key, both modes, and with the
// columns taken to be non-NULL; and the shapes it must leave to the evaluator are left to it.
import assert from 'node:assert/strict';
import { before, test } from 'node:test';
import { initParser, Workspace } from '../../server/src/engine/workspace.js';
import { activeRows } from '../../server/src/analysis/policy-exprs.js';
import { closedByShapeIn, contextKeys, failsOpen, openIn, unsetStates, type EvalMode } from '../../server/src/analysis/unset-context.js';
import type { Node } from '../../server/src/analysis/types.js';

before(initParser);

const T = "current_setting('app.tenant_id', true)";
const T0 = "current_setting('app.tenant_id')";
const O = "current_setting('app.org', true)";

/** The model of a table t with one SELECT policy per expression (and `extra` SQL first), and each policy's USING with its keys. */
function policies(exprs: string[], extra = ''): { model: ReturnType<Workspace['model']>; nodes: Array<{ expr: string; node: Node; keys: string[] }> } {
  const ws = new Workspace();
  const sql = [
    extra,
    'CREATE TABLE t (id int PRIMARY KEY, tenant_id uuid, owner_id uuid, org text, deleted_at timestamptz, status text);',
    'ALTER TABLE t ENABLE ROW LEVEL SECURITY;',
    'CREATE TABLE m (tenant_id uuid, user_id uuid);',
    ...exprs.map((e, i) => `CREATE POLICY p${i} ON t FOR SELECT TO authenticated USING (${e});`),
  ].join('\n');
  ws.setFile('m.sql', sql);
  const model = ws.model();
  const rows = activeRows(model).filter((r) => r.policy.table.endsWith('t') && /^p\d+$/.test(r.policy.name));
  const nodes = rows.map((r) => {
    const expr = exprs[Number(r.policy.name.slice(1))]!;
    const node = r.using!.node;
    return { expr, node, keys: contextKeys(model, node) };
  });
  assert.equal(nodes.length, exprs.length);
  return { model, nodes };
}

const MODES: EvalMode[] = ['filter', 'check'];

/** The evaluator's answer, without the shortcut: some unset state open, in some mode, with or without the columns taken to be non-NULL. */
function evaluatorOpens(model: Parameters<typeof openIn>[0], node: Node, key: string): boolean {
  for (const mode of MODES)
    for (const state of unsetStates(key)) {
      if (openIn(model, node, key, state, { mode })) return true;
      if (openIn(model, node, key, state, { mode }, new Set(['tenant_id', 'owner_id', 'org', 'id']))) return true;
    }
  return false;
}

const CLOSED = [
  `tenant_id = ${T}::uuid`,
  `tenant_id = (${T})::uuid`,
  `${T}::uuid = tenant_id`,
  `tenant_id::text = ${T}`,
  `org = ${T}`,
  `org <> ${T}`,
  `org || ${T}`,
  `tenant_id = ${T0}::uuid`,
  `tenant_id = (SELECT ${T}::uuid)`,
  `tenant_id = (SELECT ${T})::uuid`,
  `tenant_id = ${T}::text::uuid`,
  `tenant_id::text = ${T}::text`,
  `org::text::varchar = (SELECT ${T0})`,
  `owner_id = auth.uid()`,
  `owner_id = (select auth.uid())`,
  `auth.uid() = owner_id`,
  `owner_id = (select auth.uid()) AND status <> 'locked'`,
  `status <> 'locked' AND (deleted_at IS NULL AND owner_id = auth.uid())`,
  `owner_id = (select auth.uid()) AND (auth.uid() IS NULL OR true)`,
  `tenant_id IN (SELECT tenant_id FROM m WHERE user_id = (select auth.uid()))`,
  `EXISTS (SELECT 1 FROM m WHERE m.tenant_id = t.tenant_id AND m.tenant_id::text = ${T})`,
  `t.tenant_id = ${T}::uuid AND ${T} = ''`,
];

/** Shapes the shortcut must not conclude (for the keys they read): some are open, all are the evaluator's. */
const LEFT = [
  `${T} = ''`,
  `'' = ${T}`,
  `${T} IS NULL OR tenant_id = ${T}::uuid`,
  `tenant_id = ${T}::uuid OR ${T} IS NULL`,
  `NOT (tenant_id = ${T}::uuid)`,
  `NOT (owner_id = auth.uid())`,
  `owner_id = coalesce(auth.uid(), owner_id)`,
  `tenant_id = coalesce(${T}::uuid, tenant_id)`,
  `coalesce(${T}, '') = ''`,
  `auth.uid() IS NULL`,
  `${T} IS NULL AND deleted_at IS NULL`,
  `owner_id IS DISTINCT FROM auth.uid()`,
  `owner_id IS NOT DISTINCT FROM auth.uid()`,
  `CASE WHEN ${T} = '' THEN true ELSE tenant_id = nullif(${T}, '')::uuid END`,
  `tenant_id = nullif(${T}, '')::uuid`,
  `${T} IN ('', 'all')`,
  `length(${T}) = 0`,
  `tenant_id IN (SELECT ${T}::uuid)`,
  `${T} = '' OR tenant_id IN (SELECT ${T}::uuid)`,
  `(SELECT ${T} = '')`,
  `org = ${O} AND ${T} = ''`,
  `owner_id = ${T}::uuid OR ${T} = ''`,
];

test('closedByShape: every shape it concludes is closed for the evaluator too, in every unset state and mode', () => {
  const { model, nodes } = policies(CLOSED);
  for (const { expr, node, keys } of nodes) {
    assert.ok(keys.length > 0, `${expr}: reads a key`);
    const closed = keys.filter((k) => closedByShapeIn(model, node, k));
    assert.ok(closed.length > 0, `${expr}: concluded for some key`);
    for (const k of closed) {
      assert.equal(evaluatorOpens(model, node, k), false, `${expr} (${k}): the evaluator agrees`);
      for (const mode of MODES) assert.deepEqual(failsOpen(model, node, k, { mode }), [], `${expr} (${k})`);
    }
  }
});

test('closedByShape: it leaves OR, NOT, COALESCE, IS [NOT] NULL, IS DISTINCT FROM, CASE, constants and sub-select lists to the evaluator', () => {
  const { model, nodes } = policies(LEFT);
  let open = 0;
  for (const { expr, node, keys } of nodes) {
    // (the key the shape is about; `org = <app.org>` is concluded for app.org)
    const k = expr.includes('auth.uid') ? 'auth.uid' : 'setting:app.tenant_id';
    assert.ok(keys.includes(k), `${expr}: reads ${k}`);
    assert.equal(closedByShapeIn(model, node, k), false, `${expr} (${k}): not concluded`);
    if (evaluatorOpens(model, node, k)) open++;
  }
  // most of them do fail open (so a shortcut that concluded them would hide findings)
  assert.ok(open >= 12, `open: ${open}`);
});

test('closedByShape: a workspace auth.uid(), another key, a helper and a parameter are not the read', () => {
  const own = `CREATE FUNCTION auth.uid() RETURNS uuid LANGUAGE sql STABLE AS $$ SELECT coalesce(nullif(current_setting('request.jwt.claim.sub', true), '')::uuid, '00000000-0000-0000-0000-000000000000'::uuid) $$;`;
  const { model, nodes } = policies([`owner_id = auth.uid()`], `CREATE SCHEMA auth; ${own}`);
  for (const { node } of nodes) assert.equal(closedByShapeIn(model, node, 'auth.uid'), false, 'the workspace defines auth.uid(): not the platform read');
  const helper = `CREATE FUNCTION app_tenant() RETURNS uuid LANGUAGE sql STABLE AS $$ SELECT ${T}::uuid $$;`;
  const other = policies([`tenant_id = app_tenant()`, `org = ${O}`, `tenant_id = ${T}::uuid`], helper);
  const [viaHelper, otherKey, own2] = other.nodes;
  assert.equal(closedByShapeIn(other.model, viaHelper!.node, 'setting:app.tenant_id'), false, 'a helper call is evaluated');
  assert.equal(closedByShapeIn(other.model, otherKey!.node, 'setting:app.tenant_id'), false, 'another setting is not the read');
  assert.equal(closedByShapeIn(other.model, own2!.node, 'setting:app.org'), false, 'nor for another key');
  assert.equal(closedByShapeIn(other.model, own2!.node, 'setting:app.tenant_id'), true);
});
