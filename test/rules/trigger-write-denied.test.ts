// trigger-write-denied on PostgreSQL (PGlite): a SECURITY INVOKER audit trigger inserts, as the
// user whose write fires it, into a log the user cannot insert into: every such write fails
// with 42501 (RLS with only a SELECT policy: "new row violates row-level security policy"; no
// INSERT privilege: "permission denied"). After the fix (the function made SECURITY DEFINER,
// owned by the tables' non-superuser owner) the writes succeed, the trigger's row is there,
// and the user still cannot insert into the log directly.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { affected, asOwner, closeAll, count, expectPgError, getDb, inRollback, type Q, tryQuery } from '../helpers/pg.js';
import { applyFix, findingsOf, initParser, invalidFinding, lintDocExample, lintFiles, sqlOf, TENANT_A, textAt } from '../helpers/rule-proof.js';
import { actAs, AUTH_STUB_SQL, onSupabase } from '../helpers/supabase.js';

const ID = 'trigger-write-denied';
before(initParser);
after(closeAll);

/** Creates a Supabase example as app_owner, with Supabase's default grants to authenticated, and acts as user A. */
async function setupSupabase(q: Q, sql: string): Promise<void> {
  await q(AUTH_STUB_SQL);
  await asOwner(q, sql);
  await q('GRANT ALL ON ALL TABLES IN SCHEMA public TO authenticated');
  await q(actAs(TENANT_A));
  await q('SET ROLE authenticated');
}

test('err: every INSERT and UPDATE of projects fails with 42501 (the log has RLS and no INSERT policy); after the fix both work and direct inserts still fail', async () => {
  const { ws, finding } = invalidFinding(ID, 0);
  assert.equal(textAt(ws, finding), 'INSERT INTO public.audit_log');
  assert.match(finding.message, /SECURITY INVOKER.*inserts into public\.audit_log, which authenticated cannot insert into/);
  assert.match(finding.message, /42501 new row violates row-level security policy for table "audit_log"/);
  assert.match(finding.message, /each INSERT and UPDATE on public\.projects \(trigger projects_audit\) by authenticated/);
  const fixed = applyFix(ws, finding);
  assert.match(sqlOf(fixed), /ALTER FUNCTION public\.audit_project_change\(\) SECURITY DEFINER SET search_path = public, pg_temp;/);
  assert.equal(findingsOf(fixed, ID).length, 0);
  // (the fix brings no other rule's finding)
  assert.deepEqual(
    [...fixed.lint().byFile.values()].flat().map((f) => f.rule),
    [...ws.lint().byFile.values()].flat().map((f) => f.rule).filter((r) => r !== ID),
  );

  const db = await getDb();
  await inRollback(db, async (q) => {
    await setupSupabase(q, sqlOf(ws));
    await expectPgError(q(`INSERT INTO projects (id, name) VALUES (1, 'p1')`), '42501', 'new row violates row-level security policy for table "audit_log"');
  });
  await inRollback(db, async (q) => {
    await setupSupabase(q, sqlOf(ws));
    await q('RESET ROLE');
    await q(`INSERT INTO projects (id, owner_id, name) VALUES (1, '${TENANT_A}', 'p1')`); // as the superuser (the trigger too)
    await q('SET ROLE authenticated');
    await expectPgError(q(`UPDATE projects SET name = 'renamed' WHERE id = 1`), '42501', 'new row violates row-level security policy for table "audit_log"');
  });
  await inRollback(db, async (q) => {
    await setupSupabase(q, sqlOf(fixed));
    await q(`INSERT INTO projects (id, name) VALUES (1, 'p1')`);
    await q(`UPDATE projects SET name = 'renamed' WHERE id = 1`);
    assert.equal(await count(q, 'SELECT 1 FROM projects WHERE name = $$renamed$$'), 1);
    assert.equal(await count(q, 'audit_log'), 2, "the trigger's rows, readable by their actor");
    const direct = await tryQuery(q, `INSERT INTO audit_log (project_id, actor_id) VALUES (1, '${TENANT_A}')`);
    assert.equal(direct.ok ? 'ok' : direct.error.code, '42501', 'the user still cannot insert directly');
  });
});

test('err: no INSERT privilege on the history table: every UPDATE of tasks fails with 42501 permission denied; after the fix it works', async () => {
  const { ws, finding } = invalidFinding(ID, 1);
  assert.equal(textAt(ws, finding), 'INSERT INTO task_history');
  assert.match(finding.message, /app_user has no INSERT privilege on it \(42501 permission denied for table task_history\)/);
  assert.match(finding.message, /GRANT INSERT ON task_history TO app_user/);
  const fixed = applyFix(ws, finding);
  assert.equal(findingsOf(fixed, ID).length, 0);
  const db = await getDb();
  const run = async (q: Q, sql: string) => {
    await q('CREATE ROLE app_user NOLOGIN'); // (by the superuser: app_owner may not create roles; rolled back with the rest)
    await asOwner(q, sql.replace('CREATE ROLE app_user NOLOGIN;', ''));
    await q(`INSERT INTO tasks VALUES (1, '${TENANT_A}', 'draft')`); // as the superuser
    await q(`SELECT set_config('app.tenant_id', '${TENANT_A}', true)`);
    await q('SET ROLE app_user');
  };
  await inRollback(db, async (q) => {
    await run(q, sqlOf(ws));
    await expectPgError(q(`UPDATE tasks SET title = 'final' WHERE id = 1`), '42501', 'permission denied for table task_history');
  });
  await inRollback(db, async (q) => {
    await run(q, sqlOf(fixed));
    await q(`UPDATE tasks SET title = 'final' WHERE id = 1`);
    assert.deepEqual(await q('SELECT task_id, title FROM task_history'), [{ task_id: 1, title: 'draft' }]);
    await expectPgError(q(`INSERT INTO task_history (task_id) VALUES (2)`), '42501', 'permission denied for table task_history');
  });
});

test("ok: Valid: an INSERT policy for the users limited to trigger context admits the trigger's rows, not direct inserts", async () => {
  const { ws } = lintDocExample(ID, 'valid', 1);
  const db = await getDb();
  await inRollback(db, async (q) => {
    await setupSupabase(q, sqlOf(ws));
    await q(`INSERT INTO projects (id, name) VALUES (1, 'p1')`);
    assert.equal(await count(q, 'audit_log'), 1);
    await expectPgError(q(`INSERT INTO audit_log (project_id, actor_id) VALUES (1, '${TENANT_A}')`), '42501', 'new row violates row-level security policy');
  });
});

test('ok: an EXCEPTION clause catching the error: the write succeeds (not reported)', async () => {
  const { ex } = invalidFinding(ID, 0);
  const base = ex.files[0]!.text;
  const caught = base.replace(
    'INSERT INTO public.audit_log (project_id, actor_id) VALUES (NEW.id, auth.uid());',
    'BEGIN\n    INSERT INTO public.audit_log (project_id, actor_id) VALUES (NEW.id, auth.uid());\n  EXCEPTION WHEN insufficient_privilege THEN NULL;\n  END;',
  );
  assert.notEqual(caught, base);
  assert.equal(lintFiles([{ file: ex.files[0]!.file, text: caught }], ID).mine.length, 0);
  const db = await getDb();
  await inRollback(db, async (q) => {
    await setupSupabase(q, caught);
    await q(`INSERT INTO projects (id, name) VALUES (1, 'p1')`);
    assert.equal(await count(q, 'projects'), 1);
  });
});

test('ok: not reported: a SECURITY DEFINER function, an INSERT policy for the role, a role without the privilege on the audited table, the audited table itself', () => {
  const { ex } = invalidFinding(ID, 1);
  const base = ex.files[0]!.text;
  const variants: Array<[string, string]> = [
    ['definer', base.replace('LANGUAGE plpgsql AS', 'LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS')],
    ['granted', `${base}\nGRANT INSERT ON task_history TO app_user;`],
    ['no update on tasks', base.replace('GRANT SELECT, INSERT, UPDATE, DELETE ON tasks', 'GRANT SELECT, INSERT, DELETE ON tasks')],
    ['writes tasks itself', base.replace('INSERT INTO task_history (task_id, title) VALUES (OLD.id, OLD.title)', "INSERT INTO tasks (id, tenant_id, title) VALUES (OLD.id + 1000, OLD.tenant_id, 'copy')")],
  ];
  for (const [what, text] of variants) {
    assert.notEqual(text, base, what);
    assert.equal(lintFiles([{ file: 'm.sql', text }], ID).mine.length, 0, what);
  }
  // the history table gets RLS (and the grant): now its policies decide
  const rls = `${base}\nGRANT INSERT ON task_history TO app_user;\nALTER TABLE task_history ENABLE ROW LEVEL SECURITY;`;
  assert.match(lintFiles([{ file: 'm.sql', text: rls }], ID).mine[0]?.message ?? '', /no permissive INSERT policy admits app_user/);
  const admitted = `${rls}\nCREATE POLICY h ON task_history FOR INSERT TO app_user WITH CHECK (pg_trigger_depth() > 0);`;
  assert.equal(lintFiles([{ file: 'm.sql', text: admitted }], ID).mine.length, 0);
});

test('err: the log is FORCEd and the owner unknown: the fix also adds the owner\'s trigger-only INSERT policy, and re-lints clean', async () => {
  const { ex } = invalidFinding(ID, 1);
  const text = `${ex.files[0]!.text}\nGRANT INSERT ON task_history TO app_user;\nALTER TABLE task_history ENABLE ROW LEVEL SECURITY;\nALTER TABLE task_history FORCE ROW LEVEL SECURITY;\nCREATE POLICY history_read ON task_history FOR SELECT TO app_user USING (true);`;
  const { ws, mine } = lintFiles([{ file: 'm.sql', text }], ID);
  assert.equal(mine.length, 1);
  const fixed = applyFix(ws, mine[0]!);
  assert.match(sqlOf(fixed), /CREATE POLICY task_history_insert_from_trigger ON task_history FOR INSERT TO CURRENT_USER\n {2}WITH CHECK \(pg_trigger_depth\(\) > 0\);/);
  assert.equal(findingsOf(fixed, ID).length, 0);
  assert.equal(findingsOf(fixed, 'definer-trigger-blocked-by-force-rls').length, 0);
  const db = await getDb();
  await inRollback(db, async (q) => {
    await q('CREATE ROLE app_user NOLOGIN');
    await asOwner(q, sqlOf(fixed).replace('CREATE ROLE app_user NOLOGIN;', ''));
    await q(`INSERT INTO tasks VALUES (1, '${TENANT_A}', 'draft')`);
    await q(`SELECT set_config('app.tenant_id', '${TENANT_A}', true)`);
    await q('SET ROLE app_user');
    await q(`UPDATE tasks SET title = 'final' WHERE id = 1`);
    assert.equal(await count(q, 'task_history'), 1);
  });
});

test("err: the log named unqualified in a schema of the search_path the function is created under (crm-for-devs): found, and the write fails as said", async () => {
  const text = `CREATE SCHEMA crm;
GRANT USAGE ON SCHEMA crm TO authenticated;
SET search_path TO crm;
CREATE TABLE contacts (id bigint PRIMARY KEY, name text);
GRANT SELECT, UPDATE ON contacts TO authenticated;
CREATE TABLE audits (id serial PRIMARY KEY, operation text, table_name text NOT NULL);
CREATE FUNCTION audit_operation() RETURNS trigger LANGUAGE plpgsql SET search_path FROM CURRENT AS $$
BEGIN
  INSERT INTO audits (operation, table_name) VALUES (TG_OP, TG_TABLE_NAME);
  RETURN NEW;
END $$;
CREATE TRIGGER audit_trigger AFTER UPDATE ON contacts FOR EACH ROW EXECUTE FUNCTION audit_operation();
RESET search_path;`;
  const { ws, mine } = lintFiles([{ file: 'deploy/audit.sql', text }], ID);
  assert.equal(mine.length, 1);
  assert.match(mine[0]!.message, /inserts into crm\.audits, which authenticated cannot insert into: authenticated has no INSERT privilege on it \(42501 permission denied for table audits\)/);
  const fixed = applyFix(ws, mine[0]!);
  assert.match(sqlOf(fixed), /ALTER FUNCTION crm\.audit_operation\(\) SECURITY DEFINER SET search_path = crm, public, pg_temp;/);
  assert.equal(findingsOf(fixed, ID).length, 0);
  const db = await getDb();
  const run = async (q: Q, sql: string) => {
    await q('CREATE SCHEMA crm AUTHORIZATION app_owner'); // (by the superuser: app_owner may not create schemas)
    await asOwner(q, sql.replace('CREATE SCHEMA crm;', ''));
    await q(`INSERT INTO crm.contacts VALUES (1, 'a')`);
    await q('SET ROLE authenticated');
  };
  await inRollback(db, async (q) => {
    await run(q, sqlOf(ws));
    await expectPgError(q(`UPDATE crm.contacts SET name = 'b'`), '42501', 'permission denied for table audits');
  });
  await inRollback(db, async (q) => {
    await run(q, sqlOf(fixed));
    await q(`UPDATE crm.contacts SET name = 'b'`);
    await q('RESET ROLE');
    assert.equal(await count(q, 'crm.audits'), 1);
  });
});

test('ok (message): anon, whose rows the policies admit only with auth.uid(), never fires the trigger, and a role covered only by a blanket grant is not taken to write the table: only authenticated is named', () => {
  const { ex } = invalidFinding(ID, 0);
  const text = ex.files[0]!.text
    .replace('CREATE POLICY projects_owner ON public.projects FOR ALL TO authenticated', 'CREATE POLICY projects_owner ON public.projects FOR ALL TO anon, authenticated')
    .concat('\nCREATE ROLE supabase_auth_admin NOLOGIN;\nGRANT ALL ON ALL TABLES IN SCHEMA public TO supabase_auth_admin;\n');
  const { mine } = lintFiles([{ file: ex.files[0]!.file, text }], ID);
  assert.equal(mine.length, 1);
  assert.match(mine[0]!.message, /which authenticated cannot insert into/);
  assert.doesNotMatch(mine[0]!.message, /\banon\b|supabase_auth_admin/);
});

test("err (message): the function also reads auth.users, which authenticated may not read (paynless' invite trigger): that read fails first with 42501 permission denied, so only SECURITY DEFINER is offered, and it works", async () => {
  const { ex } = invalidFinding(ID, 0);
  const text = ex.files[0]!.text.replace(
    'INSERT INTO public.audit_log (project_id, actor_id) VALUES (NEW.id, auth.uid());',
    () => 'PERFORM 1 FROM auth.users WHERE id = auth.uid();\n  INSERT INTO public.audit_log (project_id, actor_id) VALUES (NEW.id, auth.uid());',
  );
  const { ws, mine } = lintFiles([{ file: ex.files[0]!.file, text }], ID);
  assert.equal(mine.length, 1);
  assert.match(mine[0]!.message, /It also reads auth\.users, which authenticated may not read \(42501 permission denied for table users\): that read fails as well, so letting the role insert into public\.audit_log is not enough\./);
  assert.doesNotMatch(mine[0]!.message, /an INSERT policy for authenticated/);
  const users = "CREATE TABLE IF NOT EXISTS auth.users (id uuid PRIMARY KEY); INSERT INTO auth.users VALUES ('" + TENANT_A + "');";
  const db = await getDb();
  await inRollback(db, async (q) => {
    await q(AUTH_STUB_SQL + users);
    await setupSupabase(q, sqlOf(ws));
    await expectPgError(q(`INSERT INTO projects (id, name) VALUES (1, 'p1')`), '42501', 'permission denied for table users');
  });
  await inRollback(db, async (q) => {
    await q(AUTH_STUB_SQL + users + ' GRANT SELECT ON auth.users TO app_owner;');
    await setupSupabase(q, sqlOf(applyFix(ws, mine[0]!)));
    await q(`INSERT INTO projects (id, name) VALUES (1, 'p1')`);
    assert.equal(await count(q, 'audit_log'), 1);
  });
});


test("err→ok: a SECURITY INVOKER trigger writing a notification for another user (workover's notify_host_new_review: user_id = v_host, looked up from spaces) where the only INSERT policy requires user_id = auth.uid(): the guest's review fails (42501); SECURITY DEFINER fixes it; one writing the caller's own id is not reported", async () => {
  const sql = `CREATE TABLE public.spaces (id uuid PRIMARY KEY, host_id uuid NOT NULL, title text);
CREATE INDEX ON public.spaces (host_id);
ALTER TABLE public.spaces ENABLE ROW LEVEL SECURITY;
CREATE POLICY "spaces read" ON public.spaces FOR SELECT TO authenticated USING (true);
CREATE TABLE public.booking_reviews (id uuid PRIMARY KEY DEFAULT gen_random_uuid(), space_id uuid NOT NULL, author_id uuid NOT NULL DEFAULT auth.uid(), rating int);
CREATE INDEX ON public.booking_reviews (author_id);
ALTER TABLE public.booking_reviews ENABLE ROW LEVEL SECURITY;
CREATE POLICY "reviews insert own" ON public.booking_reviews FOR INSERT TO authenticated WITH CHECK (author_id = (select auth.uid()));
CREATE POLICY "reviews read" ON public.booking_reviews FOR SELECT TO authenticated USING (true);
CREATE TABLE public.user_notifications (id uuid PRIMARY KEY DEFAULT gen_random_uuid(), user_id uuid NOT NULL, title text);
CREATE INDEX ON public.user_notifications (user_id);
ALTER TABLE public.user_notifications ENABLE ROW LEVEL SECURITY;
CREATE POLICY "Users manage their notifications" ON public.user_notifications FOR ALL TO authenticated
  USING ((select auth.uid()) = user_id) WITH CHECK ((select auth.uid()) = user_id);
CREATE FUNCTION public.notify_host_new_review() RETURNS trigger LANGUAGE plpgsql SET search_path = public, pg_temp AS $$
DECLARE v_host uuid;
BEGIN
  SELECT s.host_id INTO v_host FROM public.spaces s WHERE s.id = NEW.space_id;
  INSERT INTO public.user_notifications (user_id, title) VALUES (v_host, 'Nuova recensione ricevuta');
  RETURN NEW;
END $$;
CREATE TRIGGER notify_host_review_trigger AFTER INSERT ON public.booking_reviews
  FOR EACH ROW EXECUTE FUNCTION public.notify_host_new_review();`;
  const file = 'supabase/migrations/20250724100552_reviews.sql';
  const { ws, mine } = lintFiles([{ file, text: sql }], ID);
  assert.equal(mine.length, 1);
  assert.match(mine[0]!.message, /inserts into public\.user_notifications, rows authenticated may not insert: every permissive INSERT policy admitting authenticated requires user_id = auth\.uid\(\) \(e\.g\. "Users manage their notifications"\), but the row it writes puts v_host, looked up from public\.spaces, in user_id/);
  // the caller's own id, or the row's own column: not reported
  for (const value of ['auth.uid()', 'NEW.author_id'])
    assert.equal(lintFiles([{ file, text: sql.replace('VALUES (v_host,', `VALUES (${value},`) }], ID).mine.length, 0, value);
  const host = '00000000-0000-0000-0000-0000000000b0';
  const space = '00000000-0000-0000-0000-00000000005a';
  const review = async (text: string) =>
    inRollback(await getDb(), async (q) => {
      await q(AUTH_STUB_SQL);
      await asOwner(q, text);
      await q(`INSERT INTO public.spaces VALUES ('${space}', '${host}', 'Loft'); GRANT SELECT, INSERT ON public.spaces, public.booking_reviews, public.user_notifications TO authenticated`);
      await q(actAs(TENANT_A));
      await q('SET ROLE authenticated');
      const r = await tryQuery(q, `INSERT INTO public.booking_reviews (space_id, rating) VALUES ('${space}', 5)`);
      await q('RESET ROLE');
      return r.ok ? (await q(`SELECT user_id FROM public.user_notifications`)).map((x) => x.user_id) : r.error.code;
    });
  assert.equal(await review(sql), '42501', "the guest's review is refused");
  const fixed = applyFix(ws, mine[0]!);
  assert.deepEqual(findingsOf(fixed, ID), []);
  assert.deepEqual(await review(sqlOf(fixed)), [host], 'fixed: the review is stored and the host notified');
});

test("ok: anon, whose INSERT on the audited table no policy admits (affiliate-finance-hub's financial_events: a workspace_members row of auth.uid()), never reaches the AFTER trigger: its INSERT is refused by RLS (42501) first, a member's works, trigger included; a check anon can pass is still reported, and anon's insert fails in the trigger", async () => {
  // (migration 20260521041628: the AFTER INSERT trigger on financial_events writes audit_anomalias, which only authenticated may insert into)
  const sql = (check: string, members = 'TO authenticated, anon USING (user_id = (select auth.uid()))') => `CREATE TABLE public.workspace_members (workspace_id uuid NOT NULL, user_id uuid NOT NULL, PRIMARY KEY (user_id, workspace_id));
CREATE TABLE public.financial_events (id uuid PRIMARY KEY DEFAULT gen_random_uuid(), workspace_id uuid NOT NULL, valor numeric NOT NULL);
CREATE TABLE public.audit_anomalias (id uuid PRIMARY KEY DEFAULT gen_random_uuid(), event_id uuid, detalhes jsonb);
ALTER TABLE public.workspace_members ENABLE ROW LEVEL SECURITY;
ALTER TABLE public.financial_events ENABLE ROW LEVEL SECURITY;
ALTER TABLE public.audit_anomalias ENABLE ROW LEVEL SECURITY;
CREATE POLICY wm_select ON public.workspace_members FOR SELECT ${members};
CREATE POLICY fe_insert ON public.financial_events FOR INSERT
  WITH CHECK (${check});
CREATE POLICY aa_insert ON public.audit_anomalias FOR INSERT TO authenticated WITH CHECK (true);
REVOKE ALL ON public.audit_anomalias FROM anon, public;
CREATE FUNCTION public.trg_anomalia() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF NEW.valor < 0 THEN INSERT INTO public.audit_anomalias (event_id, detalhes) VALUES (NEW.id, '{}'); END IF;
  RETURN NEW;
END $$;
CREATE TRIGGER trg_anomalia AFTER INSERT ON public.financial_events FOR EACH ROW EXECUTE FUNCTION public.trg_anomalia();`;
  const file = 'supabase/migrations/20260521041628_anomalias.sql';
  const member = "'00000000-0000-0000-0000-0000000000f1'";
  // (Supabase's auth.role(): the request's role claim)
  const role = `CREATE OR REPLACE FUNCTION auth.role() RETURNS text LANGUAGE sql STABLE AS
  $$ SELECT coalesce(nullif(current_setting('request.jwt.claim.role', true), ''), (nullif(current_setting('request.jwt.claims', true), '')::jsonb ->> 'role'))::text $$;`;
  /** What an INSERT of a negative event gives anon, then a member (authenticated), as the error code and message or the audit rows. */
  const inserts = async (text: string) =>
    inRollback(await getDb(), async (q) => {
      await onSupabase(q, AUTH_STUB_SQL + role + text);
      await q(`INSERT INTO public.workspace_members VALUES (${member}, '${TENANT_A}')`);
      const insert = `INSERT INTO public.financial_events (workspace_id, valor) VALUES (${member}, -5)`;
      const out: string[] = [];
      for (const [who, claims] of [['anon', `SELECT set_config('request.jwt.claims', '{"role":"anon"}', true)`], ['authenticated', actAs(TENANT_A, { role: 'authenticated' })]]) {
        await q(claims!);
        await q(`SET ROLE ${who}`);
        const r = await tryQuery(q, insert);
        await q('RESET ROLE');
        out.push(r.ok ? `${who}: ok, ${await count(q, 'public.audit_anomalias')} audit row(s)` : `${who}: ${r.error.code} ${r.error.message}`);
      }
      return out;
    });
  const refused = (table: string) => `anon: 42501 new row violates row-level security policy for table "${table}"`;
  const checks: Array<[string, string, string?]> = [
    ['the workspace of a membership of auth.uid() (affiliate)', 'workspace_id IN (SELECT workspace_id FROM public.workspace_members WHERE user_id = (select auth.uid()))'],
    ['the same, members readable by anon', 'workspace_id IN (SELECT workspace_id FROM public.workspace_members WHERE user_id = (select auth.uid()))', 'TO authenticated, anon USING (true)'],
    ['EXISTS of a membership hidden from anon', 'EXISTS (SELECT 1 FROM public.workspace_members m WHERE m.workspace_id = financial_events.workspace_id)'],
    ['auth.uid() IS NOT NULL', 'auth.uid() IS NOT NULL'],
    ["auth.role() = 'authenticated'", "auth.role() = 'authenticated'"],
    ["the JWT's role claim", "(auth.jwt() ->> 'role') = 'authenticated'"],
    ['a list of roles without anon', "auth.role() IN ('authenticated', 'service_role')"],
  ];
  for (const [what, check, members] of checks) {
    const text = sql(check, members);
    assert.deepEqual(lintFiles([{ file, text }], ID).mine, [], what);
    assert.deepEqual(await inserts(text), [refused('financial_events'), 'authenticated: ok, 1 audit row(s)'], what);
  }
  // UPDATE too: a USING anon never passes reaches no row of anon's, so the row trigger does not fire (no error, nothing updated)
  const membership = 'workspace_id IN (SELECT workspace_id FROM public.workspace_members WHERE user_id = (select auth.uid()))';
  const updates = sql(membership)
    .replace('AFTER INSERT ON public.financial_events', 'AFTER INSERT OR UPDATE ON public.financial_events')
    .concat(`\nCREATE POLICY fe_update ON public.financial_events FOR UPDATE USING (${membership});\nCREATE POLICY fe_select ON public.financial_events FOR SELECT USING (${membership});`);
  assert.deepEqual(lintFiles([{ file, text: updates }], ID).mine, []);
  assert.deepEqual(
    await inRollback(await getDb(), async (q) => {
      await onSupabase(q, AUTH_STUB_SQL + updates);
      await q(`INSERT INTO public.workspace_members VALUES (${member}, '${TENANT_A}'); INSERT INTO public.financial_events (workspace_id, valor) VALUES (${member}, 5)`);
      const out: string[] = [];
      for (const [who, claims] of [['anon', `SELECT set_config('request.jwt.claims', '{"role":"anon"}', true)`], ['authenticated', actAs(TENANT_A, { role: 'authenticated' })]]) {
        await q(claims!);
        await q(`SET ROLE ${who}`);
        const n = await affected(q, 'UPDATE public.financial_events SET valor = -6');
        await q('RESET ROLE');
        out.push(`${who}: ${n} row(s), ${await count(q, 'public.audit_anomalias')} audit row(s)`);
      }
      return out;
    }),
    ['anon: 0 row(s), 0 audit row(s)', 'authenticated: 1 row(s), 1 audit row(s)'],
  );
  // a check anon passes: its insert reaches the trigger, whose INSERT fails (as the finding says)
  for (const [what, check] of [
    ['NOT EXISTS of a membership', 'NOT EXISTS (SELECT 1 FROM public.workspace_members m WHERE m.user_id = auth.uid())'],
    ['EXISTS of a count, which finds a row', 'EXISTS (SELECT count(*) FROM public.workspace_members m WHERE m.user_id = auth.uid())'],
    ['an OR with a condition on the row', "auth.role() = 'authenticated' OR workspace_id IS NOT NULL"],
  ]) {
    const text = sql(check!);
    const { mine } = lintFiles([{ file, text }], ID);
    assert.equal(mine.length, 1, what);
    assert.match(mine[0]!.message, /which anon cannot insert into: anon has no INSERT privilege on it \(42501 permission denied for table audit_anomalias\)\. So each INSERT on public\.financial_events \(trigger trg_anomalia\) by anon/, what);
    const [anon] = await inserts(text);
    assert.equal(anon, 'anon: 42501 permission denied for table audit_anomalias', what);
  }
});

test("ok: an OR whose every branch admits no row of anon's — a helper without arguments that only returns auth.role() = 'service_role', OR the caller's rows (SixtySecondsApp/use60's activities_insert, `is_service_role() OR user_id = (SELECT auth.uid())`) — keeps anon from the AFTER trigger: its INSERT is refused by RLS first (PGlite); a helper true for anon's requests is still reported, and anon's insert then fails in the trigger", async () => {
  // (migration 20260216100004_health_event_triggers.sql: AFTER INSERT ON activities, whose trigger queues into health_recalc_queue, insertable by authenticated only)
  const sql = (helper: string) => `CREATE FUNCTION public.is_service_role() RETURNS boolean LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
  SELECT ${helper};
$$;
CREATE TABLE public.activities (id uuid PRIMARY KEY DEFAULT gen_random_uuid(), user_id uuid, kind text);
CREATE TABLE public.health_recalc_queue (id uuid PRIMARY KEY DEFAULT gen_random_uuid(), activity_id uuid);
ALTER TABLE public.activities ENABLE ROW LEVEL SECURITY;
ALTER TABLE public.health_recalc_queue ENABLE ROW LEVEL SECURITY;
CREATE POLICY activities_insert ON public.activities FOR INSERT
  WITH CHECK (public.is_service_role() OR user_id = (SELECT auth.uid()));
CREATE POLICY queue_insert ON public.health_recalc_queue FOR INSERT TO authenticated WITH CHECK (true);
REVOKE ALL ON public.health_recalc_queue FROM anon, public;
CREATE FUNCTION public.trigger_activity_event() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO public.health_recalc_queue (activity_id) VALUES (NEW.id);
  RETURN NEW;
END $$;
CREATE TRIGGER trg_activity_insert AFTER INSERT ON public.activities FOR EACH ROW EXECUTE FUNCTION public.trigger_activity_event();`;
  const file = 'supabase/migrations/20260216100004_health_event_triggers.sql';
  // (Supabase's auth.role(): the request's role claim)
  const role = `CREATE OR REPLACE FUNCTION auth.role() RETURNS text LANGUAGE sql STABLE AS
  $$ SELECT coalesce(nullif(current_setting('request.jwt.claim.role', true), ''), (nullif(current_setting('request.jwt.claims', true), '')::jsonb ->> 'role'))::text $$;`;
  /** What an INSERT of an activity of user A gives anon, then user A (authenticated): the error, or the queue's rows. */
  const inserts = async (text: string) =>
    inRollback(await getDb(), async (q) => {
      await onSupabase(q, AUTH_STUB_SQL + role + text);
      const out: string[] = [];
      for (const [who, claims] of [['anon', `SELECT set_config('request.jwt.claims', '{"role":"anon"}', true)`], ['authenticated', actAs(TENANT_A, { role: 'authenticated' })]]) {
        await q(claims!);
        await q(`SET ROLE ${who}`);
        const r = await tryQuery(q, `INSERT INTO public.activities (user_id, kind) VALUES ('${TENANT_A}', 'call')`);
        await q('RESET ROLE');
        out.push(r.ok ? `${who}: ok, ${await count(q, 'public.health_recalc_queue')} queued` : `${who}: ${r.error.code} ${r.error.message}`);
      }
      return out;
    });
  const serviceRole = sql("auth.role() = 'service_role'");
  assert.deepEqual(lintFiles([{ file, text: serviceRole }], ID).mine, []);
  assert.deepEqual(await inserts(serviceRole), ['anon: 42501 new row violates row-level security policy for table "activities"', 'authenticated: ok, 1 queued']);
  // (a helper true for anon's requests: anon's INSERT passes the check, and the trigger's INSERT fails)
  const anonToo = sql("auth.role() IN ('anon', 'service_role')");
  const { mine } = lintFiles([{ file, text: anonToo }], ID);
  assert.equal(mine.length, 1);
  assert.match(mine[0]!.message, /which anon cannot insert into: anon has no INSERT privilege on it \(42501 permission denied for table health_recalc_queue\)\. So each INSERT on public\.activities \(trigger trg_activity_insert\) by anon/);
  assert.deepEqual(await inserts(anonToo), ['anon: 42501 permission denied for table health_recalc_queue', 'authenticated: ok, 1 queued']);
});

test('err→ok: the INSERT is in a SECURITY INVOKER function the trigger function calls (PERFORM public.write_audit(NEW.id)), sql or plpgsql, through any number of calls: the same 42501 as a direct INSERT; reported at the call, naming the chain; the fix (the trigger function SECURITY DEFINER) makes the writes work', async () => {
  const { ws, finding, ex } = invalidFinding(ID, 2);
  assert.equal(textAt(ws, finding), 'public.write_audit');
  assert.match(finding.message, /is SECURITY INVOKER, so it runs with the rights of the role whose statement fires it, and it calls public\.write_audit\(bigint\), a SECURITY INVOKER function \(so it runs with the same rights\), which inserts into public\.audit_log, which authenticated cannot insert into/);
  assert.match(finding.message, /42501 new row violates row-level security policy for table "audit_log"/);
  assert.match(finding.message, /each INSERT and UPDATE on public\.projects \(trigger projects_audit\) by authenticated that reaches this call fails/);
  const fixed = applyFix(ws, finding);
  assert.match(sqlOf(fixed), /ALTER FUNCTION public\.audit_project_change\(\) SECURITY DEFINER SET search_path = public, pg_temp;/);
  assert.equal(findingsOf(fixed, ID).length, 0);

  const base = ex.files[0]!.text;
  const helper = 'CREATE FUNCTION public.write_audit(p_project bigint) RETURNS void LANGUAGE sql AS $$\n  INSERT INTO public.audit_log (project_id, actor_id) VALUES (p_project, auth.uid());\n$$;';
  assert.ok(base.includes(helper));
  const variants: Array<[string, string]> = [
    ['sql helper (the doc example)', base],
    ['plpgsql helper', base.replace(helper, () => 'CREATE FUNCTION public.write_audit(p_project bigint) RETURNS void LANGUAGE plpgsql AS $$\nBEGIN\n  INSERT INTO public.audit_log (project_id, actor_id) VALUES (p_project, auth.uid());\nEND $$;')],
    ['called inside a SELECT … INTO', base.replace('AS $$\nBEGIN\n  PERFORM public.write_audit(NEW.id);', () => 'AS $$\nDECLARE done int;\nBEGIN\n  SELECT 1 INTO done FROM (SELECT public.write_audit(NEW.id)) s;')],
    ['two calls deep', base.replace(helper, () => `${helper.replace('public.write_audit(', 'public.write_audit_row(')}\nCREATE FUNCTION public.write_audit(p_project bigint) RETURNS void LANGUAGE sql AS $$ SELECT public.write_audit_row(p_project) $$;`)],
    [
      'three calls deep',
      base.replace(
        helper,
        () =>
          `${helper.replace('public.write_audit(', 'public.write_audit_entry(')}\nCREATE FUNCTION public.write_audit_row(p_project bigint) RETURNS void LANGUAGE sql AS $$ SELECT public.write_audit_entry(p_project) $$;\n` +
          'CREATE FUNCTION public.write_audit(p_project bigint) RETURNS void LANGUAGE sql AS $$ SELECT public.write_audit_row(p_project) $$;',
      ),
    ],
  ];
  /** What the user's INSERT of a project gives: the error's code and message, or ok with the log's rows. */
  const insertProject = (sql: string) =>
    inRollback(db, async (q) => {
      await setupSupabase(q, sql);
      const r = await tryQuery(q, `INSERT INTO projects (id, name) VALUES (1, 'p1')`);
      return r.ok ? `ok, ${await count(q, 'audit_log')} audit row(s)` : `${r.error.code} ${r.error.message}`;
    });
  const db = await getDb();
  assert.equal(new Set(variants.map(([, text]) => text)).size, variants.length, 'each variant changes the example');
  for (const [what, text] of variants) {
    const { ws: w, mine } = lintFiles([{ file: ex.files[0]!.file, text }], ID);
    assert.equal(mine.length, 1, what);
    assert.equal(textAt(w, mine[0]!), 'public.write_audit', what);
    assert.match(mine[0]!.message, /^Trigger function public\.audit_project_change\(\) is SECURITY INVOKER, so it runs with the rights of the role whose statement fires it, and it calls public\.write_audit\(bigint\), /, what);
    assert.equal(await insertProject(text), '42501 new row violates row-level security policy for table "audit_log"', what);
    assert.equal(await insertProject(sqlOf(applyFix(w, mine[0]!))), 'ok, 1 audit row(s)', `${what}, fixed`);
  }
  // (the functions on the way named in order, one, two or three of them)
  const messageOf = (n: number) => lintFiles([{ file: ex.files[0]!.file, text: variants[n]![1] }], ID).mine[0]!.message;
  assert.match(messageOf(0), /it calls public\.write_audit\(bigint\), a SECURITY INVOKER function \(so it runs with the same rights\), which inserts into public\.audit_log, which authenticated cannot insert into/);
  assert.match(messageOf(3), /it calls public\.write_audit\(bigint\), which calls public\.write_audit_row\(bigint\), both SECURITY INVOKER \(so they run with the same rights\), and public\.write_audit_row\(bigint\) inserts into public\.audit_log, which authenticated cannot insert into/);
  assert.match(
    messageOf(4),
    /it calls public\.write_audit\(bigint\), which calls public\.write_audit_row\(bigint\), which calls public\.write_audit_entry\(bigint\), all three SECURITY INVOKER \(so they run with the same rights\), and public\.write_audit_entry\(bigint\) inserts into public\.audit_log, which authenticated cannot insert into/,
  );
  assert.match(messageOf(4), /so the row is inserted with its owner's rights, and public\.write_audit\(bigint\), public\.write_audit_row\(bigint\) and public\.write_audit_entry\(bigint\) run with them too/);
  // the UPDATE as well; and after the fix the user still cannot insert into the log directly
  await inRollback(db, async (q) => {
    await setupSupabase(q, base);
    await q('RESET ROLE');
    await q(`INSERT INTO projects (id, owner_id, name) VALUES (1, '${TENANT_A}', 'p1')`); // as the superuser (the trigger too)
    await q('SET ROLE authenticated');
    await expectPgError(q(`UPDATE projects SET name = 'renamed' WHERE id = 1`), '42501', 'new row violates row-level security policy for table "audit_log"');
  });
  await inRollback(db, async (q) => {
    await setupSupabase(q, sqlOf(fixed));
    await q(`INSERT INTO projects (id, name) VALUES (1, 'p1')`);
    await q(`UPDATE projects SET name = 'renamed' WHERE id = 1`);
    assert.equal(await count(q, 'audit_log'), 2);
    await expectPgError(q(`INSERT INTO audit_log (project_id, actor_id) VALUES (1, '${TENANT_A}')`), '42501', 'new row violates row-level security policy');
  });
});

test('ok: through a call, not reported where the write works: the helper SECURITY DEFINER (it inserts as its owner: the chain stops), an EXCEPTION clause in the helper, an INSERT policy for the users; Valid: the trigger function SECURITY DEFINER', async () => {
  const { ex } = invalidFinding(ID, 2);
  const base = ex.files[0]!.text;
  const variants: Array<[string, string]> = [
    ['helper SECURITY DEFINER', base.replace('RETURNS void LANGUAGE sql AS', 'RETURNS void LANGUAGE sql SECURITY DEFINER SET search_path = public, pg_temp AS')],
    [
      'EXCEPTION in the helper',
      base.replace(/CREATE FUNCTION public\.write_audit[\s\S]*?\$\$;/, () => 'CREATE FUNCTION public.write_audit(p_project bigint) RETURNS void LANGUAGE plpgsql AS $$\nBEGIN\n  INSERT INTO public.audit_log (project_id, actor_id) VALUES (p_project, auth.uid());\nEXCEPTION WHEN insufficient_privilege THEN NULL;\nEND $$;'),
    ],
    ['INSERT policy from trigger context', `${base}\nCREATE POLICY audit_log_from_trigger ON public.audit_log FOR INSERT TO authenticated WITH CHECK (pg_trigger_depth() > 0);`],
    ['Valid example 4', lintDocExample(ID, 'valid', 3).ex.files[0]!.text],
  ];
  const db = await getDb();
  for (const [what, text] of variants) {
    assert.notEqual(text, base, what);
    assert.equal(lintFiles([{ file: ex.files[0]!.file, text }], ID).mine.length, 0, what);
    await inRollback(db, async (q) => {
      await setupSupabase(q, text);
      await q(`INSERT INTO projects (id, name) VALUES (1, 'p1')`);
      assert.equal(await count(q, 'projects'), 1, what);
    });
  }
});

test('err: no INSERT privilege on the history table, through a plpgsql helper the trigger calls: every UPDATE of tasks fails with 42501 permission denied, as the message says', async () => {
  const { ex } = invalidFinding(ID, 1);
  const text = ex.files[0]!.text.replace(
    'CREATE FUNCTION record_task() RETURNS trigger LANGUAGE plpgsql AS $$\nBEGIN\n  INSERT INTO task_history (task_id, title) VALUES (OLD.id, OLD.title);',
    () =>
      'CREATE FUNCTION keep_task(p_id bigint, p_title text) RETURNS void LANGUAGE plpgsql AS $$\nBEGIN\n  INSERT INTO task_history (task_id, title) VALUES (p_id, p_title);\nEND $$;\n' +
      'CREATE FUNCTION record_task() RETURNS trigger LANGUAGE plpgsql AS $$\nBEGIN\n  PERFORM keep_task(OLD.id, OLD.title);',
  );
  assert.notEqual(text, ex.files[0]!.text);
  const { ws, mine } = lintFiles([{ file: 'm.sql', text }], ID);
  assert.equal(mine.length, 1);
  assert.equal(textAt(ws, mine[0]!), 'keep_task');
  assert.match(mine[0]!.message, /calls public\.keep_task\(bigint, text\), a SECURITY INVOKER function \(so it runs with the same rights\), which inserts into public\.task_history, which app_user cannot insert into: app_user has no INSERT privilege on it \(42501 permission denied for table task_history\)/);
  const db = await getDb();
  await inRollback(db, async (q) => {
    await q('CREATE ROLE app_user NOLOGIN');
    await asOwner(q, text.replace('CREATE ROLE app_user NOLOGIN;', ''));
    await q(`INSERT INTO tasks VALUES (1, '${TENANT_A}', 'draft')`);
    await q(`SELECT set_config('app.tenant_id', '${TENANT_A}', true)`);
    await q('SET ROLE app_user');
    await expectPgError(q(`UPDATE tasks SET title = 'final' WHERE id = 1`), '42501', 'permission denied for table task_history');
  });
});

test("err (message): the SECURITY DEFINER it offers makes current_user the owner, so the actor to record is auth.uid() on Supabase and session_user elsewhere, with its caveat; PGlite: inside a definer owned by app_owner, current_user is app_owner, session_user the login role (SET ROLE leaves it; a session logged in as the user has it)", async () => {
  const supabase = invalidFinding(ID, 0).finding.message;
  assert.match(supabase, /current_user inside it is then the owner: record auth\.uid\(\) or the row's own columns instead/);
  assert.doesNotMatch(supabase, /session_user/);
  const { ws, finding } = invalidFinding(ID, 1);
  assert.match(finding.message, /current_user inside it is then the owner: record session_user, the login role, which is the user only where each user logs in as a role of their own, or the row's own columns instead/);
  const fixed = applyFix(ws, finding);
  await inRollback(await getDb(), async (q) => {
    await q('CREATE ROLE app_user NOLOGIN; CREATE ROLE twd_u1 LOGIN IN ROLE app_user');
    await asOwner(q, sqlOf(fixed).replace('CREATE ROLE app_user NOLOGIN;', ''));
    await asOwner(q, "CREATE FUNCTION public.twd_who() RETURNS text LANGUAGE sql SECURITY DEFINER SET search_path = public, pg_temp AS $$ SELECT current_user || '/' || session_user $$");
    await q('SET ROLE app_user');
    assert.deepEqual(await q('SELECT public.twd_who() AS w'), [{ w: 'app_owner/postgres' }], 'SET ROLE: session_user stays the login role');
    await q('RESET ROLE');
    await q('SET SESSION AUTHORIZATION twd_u1');
    assert.deepEqual(await q('SELECT public.twd_who() AS w'), [{ w: 'app_owner/twd_u1' }], 'logged in as the user: session_user is the user');
    await q('SET SESSION AUTHORIZATION postgres'); // (PGlite stays alice on RESET)
  });
});

// Calibration (storyprotocol/eliza, elizaOS's packages/adapter-postgres/migrations/…_remote_schema.sql):
// a Supabase dump kept outside a supabase/ folder writes its calls quoted, `"auth"."uid"()`. The
// migrations were not taken to run on Supabase (only `auth.uid(` was looked for), so service_role
// was a role of the migrations without BYPASSRLS, and create_friendship_with_host_agent(), the
// invoker trigger of INSERT on accounts, was said to fail for service_role's inserts into
// relationships (whose INSERT policy is only for authenticated). On Supabase service_role has
// BYPASSRLS: PGlite, where the shared instance's service_role has it as on Supabase, runs the insert.
test("ok: a dump's quoted \"auth\".\"uid\"() outside a supabase/ folder is Supabase's too: service_role bypasses RLS, so its INSERT that fires the invoker trigger is not reported (PGlite: it inserts); authenticated, which no relationships policy admits for the trigger's row, still is", async () => {
  const sql = (uid: string) => `CREATE TABLE public.accounts (id uuid PRIMARY KEY);
CREATE TABLE public.relationships (id serial PRIMARY KEY, usera uuid, userb uuid);
CREATE FUNCTION public.befriend_host() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO relationships (usera, userb) VALUES (NEW.id, '00000000-0000-0000-0000-000000000000');
  RETURN NEW;
END;
$$;
CREATE TRIGGER befriend AFTER INSERT ON public.accounts FOR EACH ROW EXECUTE FUNCTION public.befriend_host();
CREATE POLICY ins ON public.accounts FOR INSERT TO service_role WITH CHECK (true);
CREATE POLICY rel_ins ON public.relationships FOR INSERT TO authenticated WITH CHECK (${uid} = userb);
ALTER TABLE public.accounts ENABLE ROW LEVEL SECURITY;
ALTER TABLE public.relationships ENABLE ROW LEVEL SECURITY;
GRANT ALL ON TABLE public.accounts TO service_role;
GRANT ALL ON TABLE public.relationships TO service_role;
GRANT ALL ON SEQUENCE public.relationships_id_seq TO service_role;`;
  const file = 'packages/adapter-postgres/migrations/20240318103238_remote_schema.sql';
  for (const uid of ['"auth"."uid"()', 'auth.uid()', '"auth".uid()']) assert.equal(lintFiles([{ file, text: sql(uid) }], ID).mine.length, 0, uid);
  // (a role of the migrations' own, without BYPASSRLS: still reported)
  const own = lintFiles([{ file, text: `CREATE ROLE service_role;\n${sql('"auth"."uid"()')}` }], ID).mine;
  assert.equal(own.length, 1);
  assert.match(own[0]!.message, /which service_role cannot insert into/);
  const db = await getDb();
  await inRollback(db, async (q) => {
    await q(AUTH_STUB_SQL);
    await asOwner(q, sql('auth.uid()'));
    await q('SET ROLE service_role');
    assert.equal(await affected(q, `INSERT INTO public.accounts VALUES ('${TENANT_A}')`), 1);
    await q('RESET ROLE');
    assert.equal(await count(q, 'public.relationships'), 1);
  });
});
