// The snippets of snippets/sql.code-snippets, expanded with their default placeholder values
// (test/helpers/snippets.ts): each lints clean under every rule of the catalog, alone and
// composed with the others, and executes on PostgreSQL (PGlite) doing what its description
// promises. The SQL runs as app_owner, a NON-superuser table owner (superusers bypass RLS, so
// only a non-superuser shows that FORCE ROW LEVEL SECURITY is honoured).
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { type Config, mergeConfig } from '../server/src/analysis/config.js';
import { ruleIds } from '../server/src/engine/workspace.js';
import { affected, asOwner, closeAll, count, expectPgError, getDb, inRollback, type Q, queryFn, tryQuery, withFreshDb } from './helpers/pg.js';
import { initParser, lintFiles, TENANT_A, TENANT_B } from './helpers/rule-proof.js';
import { expandSnippet, loadSnippets, tabstopsOf } from './helpers/snippets.js';
import { actAs, AUTH_STUB_SQL } from './helpers/supabase.js';

before(initParser);
after(closeAll);

const SNIPPETS = loadSnippets();
const PREFIXES = [
  'rls-audit-table',
  'rls-audit-trigger',
  'rls-helper-function',
  'rls-enable',
  'rls-tenant-policies',
  'rls-owner-policies',
  'rls-set-tenant-context',
  'rls-security-invoker-view',
  'rls-user-profiles',
  'rls-permanent-users-only',
  'rls-edge-function-call',
  'rls-admin-role',
];

/** The snippet expanded with its defaults; `fill` overrides tabstops (e.g. a tenant id). */
function snippet(prefix: string, fill?: Record<number, string>): string {
  const s = SNIPPETS.get(prefix);
  assert.ok(s, `snippets/sql.code-snippets has no snippet with prefix ${prefix}`);
  return expandSnippet(s.body, fill);
}

/** Every finding of every rule in these files (default settings, or `config`). */
function findings(files: Array<{ file: string; text: string }>, config?: Partial<Config>): string[] {
  return lintFiles(files, '', config && mergeConfig(config)).findings.map((f) => `${f.file}:${f.range.start.line + 1} ${f.rule}: ${f.message}`);
}

const PROJECTS = 'CREATE TABLE public.projects (id int PRIMARY KEY, tenant_id uuid NOT NULL, name text NOT NULL);';
const TODOS = 'CREATE TABLE public.todos (id int PRIMARY KEY, user_id uuid NOT NULL, title text NOT NULL);';
const TENANT_USERS = 'CREATE TABLE public.tenant_users (tenant_id uuid NOT NULL, user_id uuid NOT NULL, PRIMARY KEY (tenant_id, user_id));';
const USER_1 = '00000000-0000-0000-0000-000000000001';
const USER_2 = '00000000-0000-0000-0000-000000000002';
const USER_3 = '00000000-0000-0000-0000-000000000003';

// ---------------------------------------------------------------------------------------
// The file and the expander

test('ok: the file holds exactly the documented snippets, each with a prefix, a one-line description and $0', () => {
  assert.deepEqual([...SNIPPETS.keys()].sort(), [...PREFIXES].sort());
  for (const s of SNIPPETS.values()) {
    assert.ok(s.description.length > 40 && !s.description.includes('\n'), `${s.prefix}: description`);
    assert.ok(tabstopsOf(s.body).includes(0), `${s.prefix}: no $0`);
    assert.ok(!/\$\{?\d/.test(snippet(s.prefix)), `${s.prefix}: a tabstop survived expansion`);
  }
});

test('ok: the expander: defaults, mirrors, choices, $0, nested placeholders, escapes', () => {
  assert.equal(expandSnippet('a ${1:x} $1 ${1} b'), 'a x x x b');
  assert.equal(expandSnippet('$1 then ${1:late}'), 'late then late', 'a mirror before its placeholder');
  assert.equal(expandSnippet('${1|one,two|} $1'), 'one one');
  assert.equal(expandSnippet('${1:outer ${2:inner}} $2.'), 'outer inner inner.');
  assert.equal(expandSnippet('x$0y ${0:z}'), 'xy z');
  assert.equal(expandSnippet('AS \\$\\$ SELECT 1 \\$\\$; \\} \\\\'), 'AS $$ SELECT 1 $$; } \\');
  assert.equal(expandSnippet('${1:a\\}b}'), 'a}b');
  assert.equal(expandSnippet('${1:x} $2', { 1: 'y', 2: 'z' }), 'y z');
  assert.throws(() => expandSnippet('AS $$ SELECT 1 $$'), /must be escaped/);
  assert.throws(() => expandSnippet('$TM_FILENAME'), /must be escaped/);
  assert.throws(() => expandSnippet('${1:open'), /unterminated/);
});

// ---------------------------------------------------------------------------------------
// Lint: no finding of any rule

test(`ok: every snippet lints clean alone under every rule of the catalog (${ruleIds.size} rules)`, () => {
  for (const prefix of PREFIXES) {
    assert.deepEqual(findings([{ file: 'migrations/1_snippet.sql', text: snippet(prefix) }]), [], prefix);
    assert.deepEqual(findings([{ file: 'supabase/migrations/1_snippet.sql', text: snippet(prefix) }]), [], `${prefix} (Supabase layout)`);
    for (const definerOwnerBypassesRls of ['true', 'false'] as const) {
      assert.deepEqual(findings([{ file: 'migrations/1_snippet.sql', text: snippet(prefix) }], { definerOwnerBypassesRls }), [], `${prefix} (definerOwnerBypassesRls ${definerOwnerBypassesRls})`);
    }
  }
});

test('ok: composed, the snippets lint clean too (tables, enable, policies, audit, view, context; helper with a BYPASSRLS owner)', () => {
  const tenant = [
    { file: 'm/1_projects.sql', text: PROJECTS },
    { file: 'm/2_rls.sql', text: `${snippet('rls-enable')}\n${snippet('rls-tenant-policies')}` },
    { file: 'm/3_audit.sql', text: `${snippet('rls-audit-table')}\n${snippet('rls-audit-trigger')}` },
    { file: 'm/4_view.sql', text: snippet('rls-security-invoker-view') },
    { file: 'm/5_request.sql', text: snippet('rls-set-tenant-context') },
  ];
  assert.deepEqual(findings(tenant), []);
  assert.deepEqual(findings(tenant, { definerOwnerBypassesRls: 'false' }), [], 'the audit trigger needs no owner that bypasses RLS');
  const owner = [
    { file: 'm/1_todos.sql', text: TODOS },
    { file: 'm/2_rls.sql', text: `${snippet('rls-enable', { 1: 'todos' })}\n${snippet('rls-owner-policies')}` },
  ];
  assert.deepEqual(findings(owner), []);
  // The helper's comment: under FORCE its owner must bypass RLS; the workspace shows that it does.
  const helper = [
    { file: 'm/0_roles.sql', text: 'CREATE ROLE membership_owner NOLOGIN BYPASSRLS;' },
    { file: 'm/1_members.sql', text: TENANT_USERS },
    { file: 'm/2_rls.sql', text: snippet('rls-enable', { 1: 'tenant_users' }) },
    {
      file: 'm/3_helper.sql',
      text:
        `${snippet('rls-helper-function')}\nALTER FUNCTION public.is_tenant_member(uuid) OWNER TO membership_owner;\n` +
        'GRANT SELECT ON public.tenant_users TO authenticated, membership_owner;\n' +
        'CREATE POLICY tenant_users_select ON public.tenant_users FOR SELECT TO authenticated USING (public.is_tenant_member(tenant_id));',
    },
  ];
  assert.deepEqual(findings(helper), []);
  // Without that owner the comment's caveat is what definer-helper-under-force-rls reports (T06b).
  const unknownOwner = helper.slice(1).map((f) => ({ ...f, text: f.text.replace(/^ALTER FUNCTION .*\n/m, '') }));
  assert.deepEqual(
    lintFiles(unknownOwner, '').findings.map((f) => f.rule),
    ['definer-helper-under-force-rls'],
  );
});

test('ok: the audit snippet added to the bundled examples (for a log table of its own: they have an audit_log) adds no finding to its file', async () => {
  const { readdirSync, readFileSync } = await import('node:fs');
  const { join } = await import('node:path');
  const dir = join(__dirname, '..', 'examples', 'migrations');
  const files = readdirSync(dir).map((f) => ({ file: `examples/migrations/${f}`, text: readFileSync(join(dir, f), 'utf8') }));
  const all = findings([...files, { file: 'examples/migrations/999_audit.sql', text: snippet('rls-audit-table', { 1: 'change_log' }) }]);
  assert.deepEqual(all.filter((f) => f.startsWith('examples/migrations/999_audit.sql')), []);
});

// ---------------------------------------------------------------------------------------
// PostgreSQL (PGlite): each snippet does what it promises

/** projects (tenant A: rows 1, 2; tenant B: row 3) with rls-enable + rls-tenant-policies, created by app_owner. */
async function tenantProjects(q: Q): Promise<void> {
  await asOwner(q, `${PROJECTS}\n${snippet('rls-enable')}\n${snippet('rls-tenant-policies')}`);
  await q(`INSERT INTO public.projects VALUES (1, '${TENANT_A}', 'a1'), (2, '${TENANT_A}', 'a2'), (3, '${TENANT_B}', 'b1')`); // as the superuser
}

const setTenant = (id: string) => `SELECT set_config('app.tenant_id', '${id}', true)`;

test('ok: rls-audit-table + rls-audit-trigger, created by a non-superuser owner under FORCE: the trigger logs an UPDATE by the app role; direct inserts fail; only admins read the log', async () => {
  const db = await getDb();
  await inRollback(db, async (q) => {
    await tenantProjects(q);
    await asOwner(q, `${snippet('rls-audit-table')}\n${snippet('rls-audit-trigger')}`);
    const [cls] = await q(`SELECT relforcerowsecurity AS forced, relowner::regrole::text AS owner FROM pg_class WHERE oid = 'public.audit_log'::regclass`);
    assert.deepEqual(cls, { forced: true, owner: 'app_owner' });
    assert.equal(await count(q, 'public.audit_log'), 0, 'the rows inserted before the trigger existed are not logged');

    // the app role updates an audited table: the trigger, running as app_owner under FORCE, writes the log
    await q('SET ROLE authenticated');
    await q(setTenant(TENANT_A));
    assert.equal(await affected(q, `UPDATE public.projects SET name = 'renamed' WHERE id = 1`), 1);
    await q('RESET ROLE');
    const rows = await q(`SELECT table_name, operation, row_before->>'name' AS before, row_after->>'name' AS after FROM public.audit_log`);
    assert.deepEqual(rows, [{ table_name: 'public.projects', operation: 'UPDATE', before: 'a1', after: 'renamed' }]);

    // direct inserts fail: the app role (no INSERT privilege) and the owner (pg_trigger_depth() = 0)
    const insert = `INSERT INTO public.audit_log (table_name, operation) VALUES ('forged', 'UPDATE')`;
    await q('SET ROLE authenticated');
    const byApp = await tryQuery(q, insert);
    assert.equal(byApp.ok ? 'ok' : byApp.error.code, '42501', 'the app role cannot insert directly');
    await q('SET ROLE app_owner');
    const byOwner = await tryQuery(q, insert);
    assert.equal(byOwner.ok ? 'ok' : byOwner.error.code, '42501', 'the owner cannot insert directly');
    assert.match(byOwner.ok ? '' : byOwner.error.message, /new row violates row-level security policy for table "audit_log"/);

    // append-only: under FORCE the owner has no UPDATE or DELETE policy, so nothing changes
    assert.equal(await affected(q, `UPDATE public.audit_log SET operation = 'x'`), 0);
    assert.equal(await affected(q, `DELETE FROM public.audit_log`), 0);
    assert.equal(await count(q, 'public.audit_log'), 0, 'the owner reads nothing either (FORCE)');

    // readers: a non-admin sees 0 rows, a member of admin_role sees the log
    await q('SET ROLE authenticated');
    assert.equal(await count(q, 'public.audit_log'), 0, 'a non-admin reads 0 audit rows');
    await q('RESET ROLE');
    await q('CREATE ROLE snippet_auditor NOLOGIN IN ROLE authenticated, admin_role');
    await q('SET ROLE snippet_auditor');
    assert.equal(await count(q, 'public.audit_log'), 1, 'an admin reads the log');
    await q('RESET ROLE');
    assert.equal(await count(q, 'public.audit_log'), 1, 'the forged rows never landed');
  });
});

test('err: without its trigger-only INSERT policy the audit trigger makes every UPDATE fail with 42501 (T07), and row_security = off does not help (F2)', async () => {
  const db = await getDb();
  const audit = snippet('rls-audit-table').replace(/CREATE POLICY audit_log_insert_from_trigger[^;]*;/, '');
  assert.notEqual(audit, snippet('rls-audit-table'));
  for (const extra of ['', 'ALTER FUNCTION public.audit_log_trigger() SET row_security = off;']) {
    await inRollback(db, async (q) => {
      await tenantProjects(q);
      await asOwner(q, `${audit}\n${snippet('rls-audit-trigger')}\n${extra}`);
      await q('SET ROLE authenticated');
      await q(setTenant(TENANT_A));
      await expectPgError(q(`UPDATE public.projects SET name = 'renamed' WHERE id = 1`), '42501', /row-level security policy for table "audit_log"/);
    });
  }
});

/** tenant_users (tenant A: users 1, 2; tenant B: user 3), RLS enabled, the helper snippet, a
 * SELECT policy calling it; created by app_owner (the auth stub and the rows by the superuser). */
async function membership(q: Q, { force = false, policy = 'USING (public.is_tenant_member(tenant_id))' } = {}): Promise<void> {
  await q(AUTH_STUB_SQL);
  await asOwner(
    q,
    `${TENANT_USERS}
ALTER TABLE public.tenant_users ENABLE ROW LEVEL SECURITY;
${force ? 'ALTER TABLE public.tenant_users FORCE ROW LEVEL SECURITY;' : ''}
GRANT SELECT ON public.tenant_users TO authenticated;
${snippet('rls-helper-function')}
CREATE POLICY tenant_users_select ON public.tenant_users FOR SELECT TO authenticated ${policy};`,
  );
  // as the superuser (FORCE admits no insert by the owner)
  await q(`INSERT INTO public.tenant_users VALUES ('${TENANT_A}', '${USER_1}'), ('${TENANT_A}', '${USER_2}'), ('${TENANT_B}', '${USER_3}')`);
}

const RECURSIVE_POLICY = `USING (EXISTS (SELECT 1 FROM public.tenant_users m WHERE m.tenant_id = tenant_users.tenant_id AND m.user_id = (select auth.uid())))`;

test('ok: rls-helper-function: a policy on the membership table calling it does not recurse, where the same check as a sub-select fails with 42P17 (T01)', async () => {
  const db = await getDb();
  await inRollback(db, async (q) => {
    await membership(q);
    assert.deepEqual(await q(`SELECT prosecdef, provolatile, (SELECT lanname FROM pg_language l WHERE l.oid = p.prolang) AS lang, proconfig FROM pg_proc p WHERE proname = 'is_tenant_member'`), [
      { prosecdef: true, provolatile: 's', lang: 'plpgsql', proconfig: ['search_path=public, pg_temp'] },
    ]);
    await q('SET ROLE authenticated');
    await q(actAs(USER_1));
    assert.deepEqual((await q('SELECT user_id FROM public.tenant_users ORDER BY user_id')).map((r) => r.user_id), [USER_1, USER_2], 'user 1 sees the members of tenant A');
    await q(actAs(USER_3));
    assert.equal(await count(q, 'public.tenant_users'), 1, 'user 3 sees only tenant B');
    await q(actAs(USER_1));
    assert.deepEqual(await q(`SELECT public.is_tenant_member('${TENANT_A}') AS a, public.is_tenant_member('${TENANT_B}') AS b`), [{ a: true, b: false }]);
  });
  await inRollback(db, async (q) => {
    await membership(q, { policy: RECURSIVE_POLICY });
    await q('SET ROLE authenticated');
    await q(actAs(USER_1));
    await expectPgError(q('SELECT count(*) FROM public.tenant_users'), '42P17', 'infinite recursion detected in policy for relation "tenant_users"');
  });
});

test('ok: rls-helper-function: only the app role may call it (EXECUTE revoked from PUBLIC)', async () => {
  const db = await getDb();
  await inRollback(db, async (q) => {
    await membership(q);
    await q('SET ROLE anon');
    await expectPgError(q(`SELECT public.is_tenant_member('${TENANT_A}')`), '42501', 'permission denied for function is_tenant_member');
  });
});

test('err: rls-helper-function under FORCE with an owner that does not bypass RLS denies every row (T06b, as its comment says); a BYPASSRLS owner fixes it', async () => {
  const db = await getDb();
  await inRollback(db, async (q) => {
    await membership(q, { force: true });
    await q('SET ROLE authenticated');
    await q(actAs(USER_1));
    assert.equal(await count(q, 'public.tenant_users'), 0, 'owned by app_owner: its read is filtered, it answers false');
    await q('RESET ROLE');
    await q('GRANT SELECT ON public.tenant_users TO bypass_owner; ALTER FUNCTION public.is_tenant_member(uuid) OWNER TO bypass_owner');
    await q('SET ROLE authenticated');
    assert.equal(await count(q, 'public.tenant_users'), 2, 'owned by a BYPASSRLS role: user 1 sees tenant A again');
  });
});

test('ok: rls-helper-function: a temporary table named like the membership table does not change its answer (T19), where search_path = public and an unqualified name are hijacked (F3)', async () => {
  const db = await getDb();
  // the same helper as written by the folklore: SET search_path = public, unqualified table name
  const unsafe = snippet('rls-helper-function', { 1: 'is_tenant_member_unsafe' })
    .replace('SET search_path = public, pg_temp', 'SET search_path = public')
    .replace('FROM public.tenant_users m', 'FROM tenant_users m');
  assert.match(unsafe, /SET search_path = public\n/);
  await inRollback(db, async (q) => {
    await membership(q);
    await asOwner(q, unsafe);
    await q('SET ROLE authenticated');
    await q(actAs(USER_1));
    // the attacker (any role with TEMP, granted to PUBLIC by default) forges membership of tenant B
    await q(`CREATE TEMP TABLE tenant_users (tenant_id uuid, user_id uuid); GRANT SELECT ON tenant_users TO PUBLIC`);
    await q(`INSERT INTO tenant_users VALUES ('${TENANT_B}', '${USER_1}')`);
    assert.deepEqual(await q(`SELECT public.is_tenant_member('${TENANT_A}') AS a, public.is_tenant_member('${TENANT_B}') AS b`), [{ a: true, b: false }], 'the snippet: unchanged');
    assert.deepEqual(await q(`SELECT public.is_tenant_member_unsafe('${TENANT_A}') AS a, public.is_tenant_member_unsafe('${TENANT_B}') AS b`), [{ a: false, b: true }], 'the folklore form: hijacked');
  });
});

test('ok: rls-enable: ENABLE + FORCE: with no policy the owner sees 0 rows (T13b) where ENABLE alone shows it all (T13), and another role sees 0 (T12)', async () => {
  const db = await getDb();
  await inRollback(db, async (q) => {
    await asOwner(q, `${PROJECTS}\nGRANT SELECT ON public.projects TO authenticated;`);
    await q(`INSERT INTO public.projects VALUES (1, '${TENANT_A}', 'a1'), (3, '${TENANT_B}', 'b1')`);
    await asOwner(q, 'ALTER TABLE public.projects ENABLE ROW LEVEL SECURITY');
    await q('SET ROLE app_owner');
    assert.equal(await count(q, 'public.projects'), 2, 'ENABLE alone: the owner bypasses the policies');
    await q('RESET ROLE');
    await asOwner(q, snippet('rls-enable'));
    await q('SET ROLE app_owner');
    assert.equal(await count(q, 'public.projects'), 0, 'the owner is subject to RLS');
    await q('SET ROLE authenticated');
    assert.equal(await count(q, 'public.projects'), 0);
  });
});

test('ok: rls-tenant-policies: tenant A reads and writes only its rows, cannot move one to tenant B; an unset tenant sees 0 rows without an error', async () => {
  const db = await getDb();
  await inRollback(db, async (q) => {
    await tenantProjects(q);
    assert.deepEqual((await q(`SELECT indexdef FROM pg_indexes WHERE indexname = 'projects_tenant_id_idx'`)).map((r) => r.indexdef), [
      'CREATE INDEX projects_tenant_id_idx ON public.projects USING btree (tenant_id)',
    ]);
    await q('SET ROLE authenticated');
    await q(setTenant(TENANT_A));
    assert.deepEqual((await q('SELECT id FROM public.projects ORDER BY id')).map((r) => r.id), [1, 2]);
    assert.equal(await affected(q, `UPDATE public.projects SET name = 'x' WHERE id = 3`), 0, "B's row cannot be updated");
    assert.equal(await affected(q, `DELETE FROM public.projects WHERE id = 3`), 0, "B's row cannot be deleted");
    assert.equal(await affected(q, `UPDATE public.projects SET name = 'mine' WHERE id = 1`), 1);
    assert.equal(await affected(q, `INSERT INTO public.projects VALUES (4, '${TENANT_A}', 'a4')`), 1);
    const intoB = await tryQuery(q, `INSERT INTO public.projects VALUES (5, '${TENANT_B}', 'b5')`);
    assert.equal(intoB.ok ? 'ok' : intoB.error.code, '42501', 'cannot insert a row of tenant B');
    const move = await tryQuery(q, `UPDATE public.projects SET tenant_id = '${TENANT_B}' WHERE id = 1`);
    assert.equal(move.ok ? 'ok' : move.error.code, '42501', 'cannot move a row to tenant B');
    assert.equal(await affected(q, `DELETE FROM public.projects WHERE id = 2`), 1);
    await q(setTenant(TENANT_B));
    assert.deepEqual(await q('SELECT id, name FROM public.projects'), [{ id: 3, name: 'b1' }], 'B is untouched');
  });
  // unset: a session that never set app.tenant_id (the shared instance may have set it, and
  // after a transaction-local set it reads '' instead; that case is rls-set-tenant-context's)
  await withFreshDb(async (fresh) => {
    await inRollback(fresh, async (q) => {
      await tenantProjects(q);
      await q('SET ROLE authenticated');
      assert.deepEqual(await q(`SELECT current_setting('app.tenant_id', true) AS v`), [{ v: null }]);
      assert.equal(await count(q, 'public.projects'), 0);
      const ins = await tryQuery(q, `INSERT INTO public.projects VALUES (4, '${TENANT_A}', 'a4')`);
      assert.equal(ins.ok ? 'ok' : ins.error.code, '42501');
    });
  });
});

test('ok: rls-owner-policies: a user reads and writes only their rows and cannot give one away; no user sees 0 rows without an error', async () => {
  const db = await getDb();
  await inRollback(db, async (q) => {
    await q(AUTH_STUB_SQL);
    await asOwner(q, `${TODOS}\n${snippet('rls-enable', { 1: 'todos' })}\n${snippet('rls-owner-policies')}`);
    await q(`INSERT INTO public.todos VALUES (1, '${USER_1}', 'u1'), (2, '${USER_1}', 'u1b'), (3, '${USER_2}', 'u2')`);
    await q('SET ROLE authenticated');
    assert.equal(await count(q, 'public.todos'), 0, 'no user: 0 rows, no error');
    await q(actAs(USER_1));
    assert.deepEqual((await q('SELECT id FROM public.todos ORDER BY id')).map((r) => r.id), [1, 2]);
    assert.equal(await affected(q, `UPDATE public.todos SET title = 'x' WHERE id = 3`), 0);
    assert.equal(await affected(q, `DELETE FROM public.todos WHERE id = 3`), 0);
    assert.equal(await affected(q, `UPDATE public.todos SET title = 'done' WHERE id = 1`), 1);
    assert.equal(await affected(q, `INSERT INTO public.todos VALUES (4, '${USER_1}', 'new')`), 1);
    const forOther = await tryQuery(q, `INSERT INTO public.todos VALUES (5, '${USER_2}', 'forged')`);
    assert.equal(forOther.ok ? 'ok' : forOther.error.code, '42501', "cannot insert another user's row");
    const giveAway = await tryQuery(q, `UPDATE public.todos SET user_id = '${USER_2}' WHERE id = 1`);
    assert.equal(giveAway.ok ? 'ok' : giveAway.error.code, '42501', 'cannot give a row away');
    assert.equal(await affected(q, `DELETE FROM public.todos WHERE id = 2`), 1);
    await q(actAs(USER_2));
    assert.deepEqual(await q('SELECT id, title FROM public.todos'), [{ id: 3, title: 'u2' }]);
  });
});

test("ok: rls-set-tenant-context: the tenant applies inside the transaction and is gone after COMMIT; it then reads '' (not NULL), so only the nullif form works (T15b)", async () => {
  await withFreshDb(async (fresh) => {
    const q = queryFn(fresh);
    await q('BEGIN');
    await tenantProjects(q);
    await q('COMMIT');
    // the snippet as the app would send it, with tenant A and one statement at the cursor
    await q('SET ROLE authenticated');
    await q(snippet('rls-set-tenant-context', { 2: TENANT_A, 0: `UPDATE public.projects SET name = 'seen';` }));
    assert.deepEqual(await q(`SELECT current_setting('app.tenant_id', true) AS v`), [{ v: '' }], "after COMMIT: '', not NULL");
    assert.equal(await count(q, 'public.projects'), 0, 'the policies (nullif) answer 0 rows, no error');
    await expectPgError(q(`SELECT current_setting('app.tenant_id', true)::uuid`), '22P02', 'invalid input syntax for type uuid: ""');
    await q('RESET ROLE');
    assert.deepEqual((await q(`SELECT id FROM public.projects WHERE name = 'seen' ORDER BY id`)).map((r) => r.id), [1, 2], "inside the transaction: only tenant A's rows");
  });
});

test('ok: rls-security-invoker-view: through the view a role sees only what the table policies allow (T18b), where a plain view shows every row (T18)', async () => {
  const db = await getDb();
  await inRollback(db, async (q) => {
    await tenantProjects(q);
    // views owned by the superuser, as migrations often create them
    await q(snippet('rls-security-invoker-view'));
    await q(`CREATE VIEW public.projects_plain AS SELECT * FROM public.projects; GRANT SELECT ON public.projects_plain TO authenticated`);
    await q('SET ROLE authenticated');
    await q(setTenant(TENANT_A));
    assert.deepEqual((await q('SELECT id FROM public.projects_view ORDER BY id')).map((r) => r.id), [1, 2]);
    assert.equal(await count(q, 'public.projects_plain'), 3, 'the plain view runs with its owner rights');
    await q(setTenant(''));
    assert.equal(await count(q, 'public.projects_view'), 0);
  });
});

test("ok: rls-user-profiles, created by a non-superuser owner under FORCE: a new auth user gets a profile from the trigger, anon reads names (never auth.users), a user renames only itself, direct inserts fail", async () => {
  const db = await getDb();
  await inRollback(db, async (q) => {
    // Supabase's auth.users: no privilege for the API roles; the migration role may reference it and put triggers on it
    await q(AUTH_STUB_SQL);
    await q(`CREATE TABLE auth.users (id uuid PRIMARY KEY, email text, raw_user_meta_data jsonb);
             REVOKE ALL ON auth.users FROM PUBLIC;
             GRANT USAGE ON SCHEMA auth TO app_owner;
             GRANT REFERENCES, TRIGGER ON auth.users TO app_owner`);
    await asOwner(q, snippet('rls-user-profiles'));
    // as Supabase Auth does when a user signs up (here the superuser; the trigger runs as app_owner)
    await q(`INSERT INTO auth.users VALUES ('${TENANT_A}', 'a@example.com', '{"full_name":"Ann"}'), ('${TENANT_B}', 'b@example.com', '{"full_name":"Bob"}')`);
    await q('SET ROLE anon');
    assert.deepEqual((await q('SELECT display_name FROM public.profiles ORDER BY 1')).map((r) => r.display_name), ['Ann', 'Bob']);
    assert.equal((await tryQuery(q, 'SELECT email FROM public.profiles')).ok, false, 'no email column');
    await q('RESET ROLE');
    await q(actAs(TENANT_A));
    await q('SET ROLE authenticated');
    assert.equal(await affected(q, "UPDATE public.profiles SET display_name = 'Anna'"), 1, 'only its own row');
    await q('RESET ROLE');
    assert.deepEqual((await q('SELECT display_name FROM public.profiles ORDER BY 1')).map((r) => r.display_name), ['Anna', 'Bob']);
    // deleting the account deletes the profile (the foreign key's cascade is not subject to RLS)
    await q(`DELETE FROM auth.users WHERE id = '${TENANT_B}'`);
    assert.deepEqual((await q('SELECT display_name FROM public.profiles')).map((r) => r.display_name), ['Anna']);
    await expectPgError(asOwner(q, `INSERT INTO public.profiles (id, display_name) VALUES ('${TENANT_B}', 'x')`), '42501');
  });
});

test("ok: rls-permanent-users-only with anonymous sign-ins on: a SELECT policy for every signed-in user is then not reported (policy-admits-anonymous-users), and on PGlite an anonymous session reads nothing while a permanent user reads every row", async () => {
  const everyone = 'CREATE POLICY todos_signed_in ON public.todos FOR SELECT TO authenticated USING (true);';
  const files = (extra: string) => [
    { file: 'supabase/migrations/1_todos.sql', text: `${TODOS}\n${snippet('rls-enable', { 1: 'todos' })}\nGRANT SELECT ON public.todos TO authenticated;\nCREATE INDEX todos_user_id_idx ON public.todos (user_id);\n${everyone}` },
    { file: 'supabase/migrations/2_anonymous.sql', text: extra },
  ];
  assert.match(findings(files('SELECT 1;'), { anonymousSignIns: 'true' }).join('\n'), /policy-admits-anonymous-users/, 'without it: reported');
  assert.deepEqual(findings(files(snippet('rls-permanent-users-only')), { anonymousSignIns: 'true' }), []);
  assert.deepEqual(findings(files(snippet('rls-permanent-users-only', { 2: 'SELECT' })), { anonymousSignIns: 'true' }), []);
  await inRollback(await getDb(), async (q) => {
    await q(AUTH_STUB_SQL);
    await asOwner(q, `${TODOS}\n${snippet('rls-enable', { 1: 'todos' })}\nGRANT SELECT ON public.todos TO authenticated;\n${everyone}\n${snippet('rls-permanent-users-only')}`);
    await q(`INSERT INTO public.todos VALUES (1, '${USER_1}', 'a'), (2, '${USER_2}', 'b')`);
    await q('SET ROLE authenticated');
    await q(actAs(USER_3, { role: 'authenticated', is_anonymous: true }));
    assert.equal(await count(q, 'public.todos'), 0, 'an anonymous session');
    await q(actAs(USER_3, { role: 'authenticated', is_anonymous: false }));
    assert.equal(await count(q, 'public.todos'), 2, 'a permanent user');
  });
});

// Supabase Vault and pg_net as stubs: vault.decrypted_secrets readable by the function's owner only
// (on the platform: postgres and service_role), net.http_post recording each request it is given.
const VAULT_AND_NET_STUB_SQL = `
CREATE SCHEMA vault;
CREATE TABLE vault.secrets (name text PRIMARY KEY, decrypted_secret text NOT NULL);
CREATE VIEW vault.decrypted_secrets AS SELECT name, decrypted_secret FROM vault.secrets;
GRANT USAGE ON SCHEMA vault TO app_owner;
GRANT SELECT ON vault.decrypted_secrets TO app_owner;
INSERT INTO vault.secrets VALUES ('service_role_key', 'key-from-vault');
CREATE SCHEMA net;
CREATE TABLE net.requests (url text, headers jsonb, body jsonb);
CREATE FUNCTION net.http_post(url text, body jsonb DEFAULT '{}', params jsonb DEFAULT '{}', headers jsonb DEFAULT '{}', timeout_milliseconds int DEFAULT 5000)
  RETURNS bigint LANGUAGE sql SECURITY DEFINER SET search_path = ''
  AS $$ INSERT INTO net.requests VALUES (url, headers, body) RETURNING 1::bigint $$;
GRANT USAGE ON SCHEMA net TO PUBLIC;`;

test("ok: rls-edge-function-call, created by a non-superuser owner: a user's INSERT calls the function with the key read from Vault, which the user cannot read; as SECURITY INVOKER the INSERT fails with 42501", async () => {
  const orders = `CREATE TABLE public.orders (id int PRIMARY KEY, user_id uuid NOT NULL);
ALTER TABLE public.orders ENABLE ROW LEVEL SECURITY;
ALTER TABLE public.orders FORCE ROW LEVEL SECURITY;
GRANT INSERT ON public.orders TO authenticated;
CREATE POLICY orders_insert_own ON public.orders FOR INSERT TO authenticated WITH CHECK (user_id = (select auth.uid()));`;
  assert.deepEqual(findings([{ file: 'supabase/migrations/1_orders.sql', text: orders }, { file: 'supabase/migrations/2_call.sql', text: snippet('rls-edge-function-call') }]), []);
  await inRollback(await getDb(), async (q) => {
    await q(AUTH_STUB_SQL);
    await q(VAULT_AND_NET_STUB_SQL);
    await asOwner(q, `${orders}\n${snippet('rls-edge-function-call')}`);
    await q(actAs(TENANT_A));
    await q('SET ROLE authenticated');
    const own = await tryQuery(q, 'SELECT decrypted_secret FROM vault.decrypted_secrets');
    assert.equal(own.ok ? 'read' : own.error.code, '42501');
    await q(actAs(TENANT_A));
    await q('SET ROLE authenticated');
    assert.equal(await affected(q, `INSERT INTO public.orders VALUES (1, '${TENANT_A}')`), 1);
    await q('RESET ROLE');
    const sent = await q('SELECT url, headers, body FROM net.requests');
    assert.equal(sent.length, 1);
    assert.equal(sent[0]!.headers.Authorization, 'Bearer key-from-vault');
    assert.deepEqual(sent[0]!.body, { table: 'orders', id: 1 });
    // (without SECURITY DEFINER the inserting role reads Vault itself, and cannot)
    await asOwner(q, 'ALTER FUNCTION public.notify_orders_inserted() SECURITY INVOKER');
    const invoker = await tryQuery(q, `SET ROLE authenticated; INSERT INTO public.orders VALUES (2, '${TENANT_A}')`);
    assert.equal(invoker.ok ? 'inserted' : invoker.error.code, '42501');
  });
});

test("ok: rls-admin-role: its own login role reads and writes every tenant's rows under FORCE; the application's role meets the policies and cannot SET ROLE to it (42501, no membership); it replaces policy-setting-bypass's switch, and the table lints clean beside it", async () => {
  const table = `CREATE ROLE app_user NOLOGIN;
${PROJECTS}
CREATE INDEX ON public.projects (tenant_id);
ALTER TABLE public.projects ENABLE ROW LEVEL SECURITY;
ALTER TABLE public.projects FORCE ROW LEVEL SECURITY;
GRANT SELECT, INSERT ON public.projects TO app_user;
CREATE POLICY projects_tenant ON public.projects TO app_user
  USING (tenant_id = (select nullif(current_setting('app.tenant_id', true), '')::uuid));`;
  assert.deepEqual(findings([{ file: 'migrations/1_projects.sql', text: table }, { file: 'migrations/2_admin.sql', text: snippet('rls-admin-role') }]), []);
  assert.match(snippet('rls-admin-role'), /\\password app_admin/);
  await inRollback(await getDb(), async (q) => {
    await q(table);
    await q(`INSERT INTO public.projects VALUES (1, '${TENANT_A}', 'a'), (2, '${TENANT_B}', 'b')`);
    await q(snippet('rls-admin-role'));
    await q('SET ROLE app_user');
    assert.equal(await count(q, 'public.projects'), 0, 'no tenant set: the policy admits nothing');
    await q('RESET ROLE');
    await q('SET ROLE app_admin');
    assert.equal(await count(q, 'public.projects'), 2);
    assert.equal(await affected(q, `INSERT INTO public.projects VALUES (3, '${TENANT_B}', 'c')`), 1);
    await q('RESET ROLE');
    // (SET ROLE is checked against the session's user: a session of app_user's own, which is no member)
    await q('SET SESSION AUTHORIZATION app_user');
    await expectPgError(q('SET ROLE app_admin'), '42501');
  });
});

test('ok: rls-admin-role\'s comment: a role with CREATEROLE and BYPASSRLS may create a BYPASSRLS role; with CREATEROLE alone it may not (42501)', async () => {
  await inRollback(await getDb(), async (q) => {
    await q('CREATE ROLE maker_bypass NOLOGIN CREATEROLE BYPASSRLS; CREATE ROLE maker_plain NOLOGIN CREATEROLE');
    await q('SET ROLE maker_bypass');
    await q('CREATE ROLE made_by_bypass NOLOGIN BYPASSRLS');
    await q('RESET ROLE');
    await q('SET ROLE maker_plain');
    await expectPgError(q('CREATE ROLE made_by_plain NOLOGIN BYPASSRLS'), '42501');
  });
});
