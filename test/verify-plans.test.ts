// Verify's `plan` looks (verify/exposures.ts planSpecs): the plan of a read, UPDATE or DELETE as
// a role of the policies shows a USING's call in the Filter of the table's scan, evaluated for
// each row (policy-per-row-function); wrapped in a sub-select it is an InitPlan instead; its
// `filter` looks, several permissive policies ORed in one Filter (policy-multiple-permissive). And
// its `public` looks (publicSpecs): a policy for PUBLIC gives a role no policy names its rows
// (policy-applies-to-public); its `insert-check` looks: an INSERT policy without WITH CHECK
// refuses every row (policy-insert-without-check); its `anonymous` looks: a SELECT policy for every
// signed-in user admits an anonymous session of Supabase Auth (policy-admits-anonymous-users).
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { callsOfFilter, formatExposure, scanFilter } from '../server/src/verify/exposures.js';
import { STAND_IN_ROLE } from '../server/src/verify/pglite.js';
import type { VerifyFile } from '../server/src/verify/pglite.js';
import { verifiedBefore } from './helpers/verified.js';

const FILES: VerifyFile[] = [
  {
    file: 'migrations/001.sql',
    text: `-- « plans » 日本語 😀
CREATE ROLE authenticated;
CREATE SCHEMA auth;
CREATE FUNCTION auth.uid() RETURNS uuid LANGUAGE sql STABLE AS $$ SELECT nullif(current_setting('request.jwt.claim.sub', true), '')::uuid $$;
-- per row: auth.uid() unwrapped
CREATE TABLE notes (id bigint PRIMARY KEY, owner_id uuid NOT NULL);
ALTER TABLE notes ENABLE ROW LEVEL SECURITY;
CREATE POLICY notes_own ON notes FOR SELECT TO authenticated USING (owner_id = auth.uid());
GRANT SELECT ON notes TO authenticated;
-- per row, and no role holds SELECT: authenticated is granted it for the look (the plan is the same)
CREATE TABLE secrets (id bigint PRIMARY KEY, owner_id uuid NOT NULL);
ALTER TABLE secrets ENABLE ROW LEVEL SECURITY;
CREATE POLICY secrets_own ON secrets FOR SELECT TO authenticated USING (owner_id = auth.uid());
-- wrapped: an InitPlan, once per statement
CREATE TABLE docs (id bigint PRIMARY KEY, owner_id uuid NOT NULL);
ALTER TABLE docs ENABLE ROW LEVEL SECURITY;
CREATE POLICY docs_own ON docs FOR SELECT TO authenticated USING (owner_id = (select auth.uid()));
GRANT SELECT ON docs TO authenticated;
-- an UPDATE policy comparing the same column as the SELECT policy: the planner tests the two
-- values against each other once (a One-Time Filter), and only the SELECT policy's per row
CREATE TABLE projects (id bigint PRIMARY KEY, tenant_id uuid NOT NULL);
ALTER TABLE projects ENABLE ROW LEVEL SECURITY;
CREATE POLICY projects_read ON projects FOR SELECT TO authenticated USING (tenant_id = current_setting('app.tenant', true)::uuid);
CREATE POLICY projects_edit ON projects FOR UPDATE TO authenticated USING (tenant_id = nullif(current_setting('app.tenant', true), '')::uuid);
GRANT SELECT, UPDATE ON projects TO authenticated;
-- two permissive SELECT policies for authenticated: ORed into one Filter
CREATE TABLE boards (id bigint PRIMARY KEY, owner_id uuid NOT NULL, shared boolean NOT NULL);
ALTER TABLE boards ENABLE ROW LEVEL SECURITY;
CREATE POLICY boards_own ON boards FOR SELECT TO authenticated USING (owner_id = (select auth.uid()));
CREATE POLICY boards_shared ON boards FOR SELECT TO authenticated USING (shared);
GRANT SELECT ON boards TO authenticated;
-- the same last policy in two findings: SELECT by PUBLIC (cards_pub, cards_all) and SELECT by authenticated (those and
-- cards_team): one look for each set, as a role of it
CREATE TABLE cards (id bigint PRIMARY KEY, owner_id uuid NOT NULL, shared boolean NOT NULL, team boolean NOT NULL);
ALTER TABLE cards ENABLE ROW LEVEL SECURITY;
CREATE POLICY cards_team ON cards FOR SELECT TO authenticated USING (team);
CREATE POLICY cards_pub ON cards FOR SELECT USING (shared);
CREATE POLICY cards_all ON cards USING (owner_id = (select auth.uid()));
-- an index on the compared column: the plan of the read uses it (an Index Cond: the call evaluated once per scan); with index
-- scans off, as for a table where the condition matches too many rows for an index, the Filter calls it for each row
CREATE FUNCTION my_team() RETURNS bigint LANGUAGE plpgsql STABLE AS $$ BEGIN RETURN 1; END $$;
CREATE TABLE tasks (id bigint PRIMARY KEY, team_id bigint NOT NULL);
CREATE INDEX tasks_team ON tasks (team_id);
ALTER TABLE tasks ENABLE ROW LEVEL SECURITY;
CREATE POLICY tasks_team_read ON tasks FOR SELECT TO authenticated USING (team_id = my_team());
GRANT SELECT ON tasks TO authenticated;
-- an INSERT policy without WITH CHECK: authenticated's INSERT of the seeded row is refused; with WITH CHECK (true) it passes (T14)
CREATE TABLE inbox (id bigint PRIMARY KEY, body text);
ALTER TABLE inbox ENABLE ROW LEVEL SECURITY;
CREATE POLICY inbox_add ON inbox FOR INSERT TO authenticated;
GRANT INSERT ON inbox TO authenticated;
-- every signed-in user reads the bulletin: with anonymous sign-ins on, an anonymous session too
CREATE FUNCTION auth.jwt() RETURNS jsonb LANGUAGE sql STABLE AS $$ SELECT coalesce(nullif(current_setting('request.jwt.claims', true), ''), '{}')::jsonb $$;
CREATE TABLE bulletin (id bigint PRIMARY KEY, body text NOT NULL);
ALTER TABLE bulletin ENABLE ROW LEVEL SECURITY;
CREATE POLICY bulletin_read ON bulletin FOR SELECT TO authenticated USING ((select auth.uid()) IS NOT NULL);
GRANT SELECT ON bulletin TO authenticated;
-- a definer function recursing without end before it reads anything: its search-path look kills PGlite's instance, which verify
-- starts again (with the stand-in role the public looks after it are made as)
CREATE FUNCTION c_spin(p uuid) RETURNS bigint LANGUAGE plpgsql SECURITY DEFINER SET search_path = public AS $$
BEGIN IF public.c_spin(p) > 0 THEN RETURN 0; END IF; RETURN (SELECT count(*) FROM notes); END $$;
-- policies for PUBLIC (no TO): a role no policy names, granted SELECT, reads the published post;
-- granted DELETE, deletes none (it has no user id)
CREATE TABLE posts (id bigint PRIMARY KEY, owner_id uuid NOT NULL, published boolean NOT NULL);
ALTER TABLE posts ENABLE ROW LEVEL SECURITY;
CREATE POLICY posts_read ON posts FOR SELECT USING (published);
CREATE POLICY posts_delete ON posts FOR DELETE USING (owner_id = (select auth.uid()));
`,
  },
];

const v = verifiedBefore(FILES, { seed: true, anonymousSignIns: true }, { anonymousSignIns: 'true' });

const plan = (object: string, command: string) => v.exposures.find((e) => e.kind === 'plan' && e.object === object && e.command === command);

describe('verify: plans', () => {
  test("ok: a read as authenticated: notes' plan calls auth.uid()'s body (a SQL function, inlined) in the Filter of its scan, and not with notes_own's USING true; docs' (wrapped) calls none", () => {
    const notes = plan('public.notes', 'select');
    const filter = "(owner_id = (NULLIF(current_setting('request.jwt.claim.sub'::text, true), ''::text))::uuid)";
    assert.deepEqual({ perRow: notes?.perRow, policies: notes?.policies, filter: notes?.filter, shown: notes?.shown }, { perRow: ['current_setting'], policies: ['notes_own'], filter, shown: true });
    assert.equal(
      formatExposure(notes!),
      `authenticated SELECT public.notes: the plan calls current_setting() in the Filter of its scan, for each row it reads (from the USING of policy "notes_own"; Filter: ${filter})`,
    );
    const secrets = plan('public.secrets', 'select');
    assert.deepEqual({ granted: secrets?.granted, policies: secrets?.policies, shown: secrets?.shown }, { granted: true, policies: ['secrets_own'], shown: true });
    assert.match(formatExposure(secrets!), /^authenticated \(granted SELECT for the look\) SELECT public\.secrets: the plan calls current_setting\(\)/);
    const docs = plan('public.docs', 'select');
    assert.deepEqual({ perRow: docs?.perRow, shown: docs?.shown }, { perRow: [], shown: false });
    assert.match(docs!.filter!, /InitPlan/);
  });

  test("ok: an UPDATE: projects_edit's USING is folded into a one-time test against projects_read's, so either made true leaves one call in the Filter: neither is found, and projects_edit's finding is not shown (projects_read's is, by the read)", () => {
    const upd = plan('public.projects', 'update');
    assert.deepEqual({ policies: upd?.policies, perRow: upd?.perRow, shown: upd?.shown }, { policies: [], perRow: ['current_setting'], shown: false });
    assert.match(formatExposure(upd!), /^authenticated UPDATE public\.projects: the plan calls current_setting\(\), from no policy found, in the Filter of its scan \(Filter: /);
    const perRow = v.findings.filter((f) => f.rule === 'policy-per-row-function');
    assert.equal(perRow.length, 5);
    assert.deepEqual(
      v.shown.filter((c) => c.finding.rule === 'policy-per-row-function').map((c) => [c.finding.message.match(/Policy "(\w+)"/)?.[1], c.exposure?.command]).sort(),
      [
        ['notes_own', 'select'],
        ['projects_read', 'select'],
        ['secrets_own', 'select'],
        ['tasks_team_read', 'select'],
      ],
    );
  });

  test('ok: a read whose plan uses an index on the compared column calls nothing in a Filter; with index scans off it calls my_team() in the Filter for each row (seqScan), and policy-per-row-function is shown', () => {
    const tasks = plan('public.tasks', 'select');
    assert.deepEqual(
      { seqScan: tasks?.seqScan, perRow: tasks?.perRow, policies: tasks?.policies, filter: tasks?.filter, shown: tasks?.shown },
      { seqScan: true, perRow: ['my_team'], policies: ['tasks_team_read'], filter: '(team_id = my_team())', shown: true },
    );
    assert.equal(
      formatExposure(tasks!),
      'authenticated SELECT public.tasks with index scans off (as when the condition matches too many rows for an index; as an index condition it is evaluated once): the plan calls my_team() in the Filter of its scan, for each row it reads (from the USING of policy "tasks_team_read"; Filter: (team_id = my_team()))',
    );
    // (a plan whose Filter calls a function is taken as it is)
    assert.equal(plan('public.notes', 'select')?.seqScan, undefined);
  });

  test('ok: the Filter of the scan of the table, not of a sub-plan or another node; the calls it makes, without SQL words', () => {
    const lines = [
      'Update on projects',
      '  ->  Result',
      "        One-Time Filter: ((NULLIF(current_setting('a'::text, true), ''::text))::uuid = x)",
      '        ->  Seq Scan on projects',
      "              Filter: ((tenant_id = (current_setting('a'::text, true))::uuid) AND (EXISTS(SubPlan 1)) AND (\"Owner\" = ANY (auth.ids())))",
      '  SubPlan 1',
      '    ->  Seq Scan on members',
      '          Filter: (user_id = auth.uid())',
    ];
    const f = scanFilter(lines, 'projects')!;
    assert.deepEqual(callsOfFilter(f), ['current_setting', 'ids']);
    assert.equal(scanFilter(lines, 'members'), '(user_id = auth.uid())');
    assert.equal(scanFilter(lines, 'proj'), undefined);
    assert.equal(scanFilter(['Seq Scan on notes', '  SubPlan 1', '    Filter: (a = f())'], 'notes'), undefined);
  });

  test('ok: a policy for PUBLIC: the stand-in role, which no policy names, granted SELECT for the look, reads the published post through it, and none without it; the DELETE policy gives it no row (after a search-path look killed the instance: the stand-in is made again)', () => {
    assert.equal(v.exposures.find((x) => x.kind === 'search-path' && x.object === 'public.c_spin(p uuid)')?.code, '54001');
    const read = v.exposures.find((e) => e.kind === 'public' && e.policy === 'posts_read');
    assert.deepEqual({ role: read?.role, command: read?.command, rows: read?.rows, fixedRows: read?.fixedRows, shown: read?.shown }, { role: STAND_IN_ROLE, command: 'select', rows: 1, fixedRows: 0, shown: true });
    assert.equal(formatExposure(read!), `${STAND_IN_ROLE} (a role no policy names, granted SELECT on the schema's tables for the look) SELECT public.posts → 1 row through policy "posts_read" (for PUBLIC); without it: 0 rows`);
    const del = v.exposures.find((e) => e.kind === 'public' && e.policy === 'posts_delete');
    assert.deepEqual({ command: del?.command, rows: del?.rows, shown: del?.shown }, { command: 'delete', rows: 0, shown: false });
    assert.deepEqual(
      v.shown.filter((c) => c.finding.rule === 'policy-applies-to-public' && c.exposure?.object === 'public.posts').map((c) => c.exposure?.policy),
      ['posts_read'],
    );
    assert.equal(v.findings.filter((f) => f.rule === 'policy-applies-to-public' && f.message.includes('public.posts')).length, 2);
  });

  test("ok: two permissive SELECT policies for authenticated: the Filter of the read's plan holds both (each made false changes it), so policy-multiple-permissive is shown", () => {
    const e = v.exposures.find((x) => x.kind === 'filter' && x.object === 'public.boards');
    assert.deepEqual({ command: e?.command, role: e?.role, policies: e?.policies, shown: e?.shown }, { command: 'select', role: 'authenticated', policies: ['boards_own', 'boards_shared'], shown: true });
    assert.match(e!.filter!, / OR /);
    assert.match(formatExposure(e!), /^authenticated SELECT public\.boards: the Filter of the plan's scan holds the USING of policies "boards_own", "boards_shared" \(each made false changes it; Filter: /);
    assert.deepEqual(
      v.shown.filter((c) => c.finding.rule === 'policy-multiple-permissive' && c.exposure?.object === 'public.boards').length,
      1,
    );
    // (one policy per command elsewhere: no filter look)
    assert.deepEqual(v.exposures.filter((x) => x.kind === 'filter').map((x) => x.object), ['public.boards', 'public.cards', 'public.cards']);
  });

  test('ok: two findings on one policy, for PUBLIC and for authenticated (who has one policy more): each is shown by the look as a role of its own set', () => {
    const looks = v.exposures.filter((x) => x.kind === 'filter' && x.object === 'public.cards');
    assert.deepEqual(
      looks.map((e) => ({ role: e.role, policies: [...(e.policies ?? [])].sort(), shown: e.shown })),
      [
        { role: 'authenticated', policies: ['cards_all', 'cards_pub', 'cards_team'], shown: true },
        { role: STAND_IN_ROLE, policies: ['cards_all', 'cards_pub'], shown: true },
      ],
    );
    const shown = v.shown.filter((c) => c.finding.rule === 'policy-multiple-permissive' && c.exposure?.object === 'public.cards');
    assert.deepEqual(
      shown.map((c) => [c.finding.message.match(/ by (\S+):/)?.[1], c.exposure?.role]),
      [
        ['authenticated', 'authenticated'],
        ['PUBLIC', STAND_IN_ROLE],
      ],
    );
  });

  test('ok: an INSERT policy without WITH CHECK: authenticated\'s INSERT of the seeded row is refused with 42501, and passes with WITH CHECK (true); policy-insert-without-check is shown', () => {
    const e = v.exposures.find((x) => x.kind === 'insert-check' && x.object === 'public.inbox');
    assert.deepEqual({ role: e?.role, code: e?.code, fixedRows: e?.fixedRows, shown: e?.shown }, { role: 'authenticated', code: '42501', fixedRows: 1, shown: true });
    assert.match(formatExposure(e!), /^authenticated INSERT INTO public\.inbox of the seeded row \(policy "inbox_add", no WITH CHECK\) → 42501 new row violates row-level security policy for table "inbox"; with WITH CHECK \(true\): 1 row$/);
    assert.deepEqual(v.shown.filter((c) => c.finding.rule === 'policy-insert-without-check').map((c) => c.exposure?.object), ['public.inbox']);
  });
  test("ok: a SELECT policy for every signed-in user, read by an anonymous session of Supabase Auth (is_anonymous, a user no row names): the seeded row, and none once its USING checks is_anonymous; policy-admits-anonymous-users is shown; a policy on the user's own rows gives it nothing", () => {
    const e = v.exposures.find((x) => x.kind === 'anonymous' && x.object === 'public.bulletin');
    assert.deepEqual({ role: e?.role, rows: e?.rows, fixedRows: e?.fixedRows, shown: e?.shown }, { role: 'authenticated', rows: 1, fixedRows: 0, shown: true });
    assert.match(formatExposure(e!), /^authenticated as an anonymous session of Supabase Auth \(JWT claim is_anonymous: true, a user no row names\) SELECT public\.bulletin → 1 row through policy "bulletin_read"; with its USING ANDed with is_anonymous IS NOT TRUE: 0 rows$/);
    assert.deepEqual(v.shown.filter((c) => c.finding.rule === 'policy-admits-anonymous-users').map((c) => c.exposure?.object), ['public.bulletin']);
    const own = v.exposures.find((x) => x.kind === 'anonymous' && x.object === 'public.notes');
    assert.deepEqual({ rows: own?.rows, shown: own?.shown }, { rows: 0, shown: false });
  });
});
