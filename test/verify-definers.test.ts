// Verify's looks at functions run with their owner's rights or settings (verify/exposures.ts
// definerSpecs): row_security = off run by an ordinary owner (row-security-off-does-not-bypass,
// T08), a definer trigger inserting into a FORCE'd table its ordinary owner owns
// (definer-trigger-blocked-by-force-rls, T07, T10), and a definer function's result for a user
// its rows are not (definer-bypasses-rls). Each on PGlite, and the lint findings they show.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { formatExposure, OWNER_ROLE, type ExposureResult } from '../server/src/verify/exposures.js';
import type { VerifyFile } from '../server/src/verify/pglite.js';
import { verifiedBefore } from './helpers/verified.js';

const FILES: VerifyFile[] = [
  {
    file: 'migrations/001_tables.sql',
    text: `-- « Définitions » 日本語 😀
CREATE ROLE authenticated;
CREATE SCHEMA auth;
CREATE FUNCTION auth.uid() RETURNS uuid LANGUAGE sql STABLE AS $$ SELECT nullif(current_setting('request.jwt.claim.sub', true), '')::uuid $$;
CREATE TABLE notes (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, owner_id uuid NOT NULL, body text);
ALTER TABLE notes ENABLE ROW LEVEL SECURITY;
CREATE POLICY notes_own ON notes FOR SELECT TO authenticated USING (owner_id = (select auth.uid()));
GRANT SELECT, UPDATE ON notes TO authenticated;
CREATE TABLE audit (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, note_id bigint NOT NULL);
ALTER TABLE audit ENABLE ROW LEVEL SECURITY;
ALTER TABLE audit FORCE ROW LEVEL SECURITY;
CREATE POLICY audit_read ON audit FOR SELECT TO authenticated USING (false);
`,
  },
  {
    file: 'migrations/002_functions.sql',
    text: `-- the folklore fix: row_security = off on the audit trigger (it makes the INSERT fail instead)
CREATE FUNCTION audit_note() RETURNS trigger LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
BEGIN INSERT INTO audit (note_id) VALUES (NEW.id); RETURN NEW; END $$;
ALTER FUNCTION audit_note() SET row_security TO off;
CREATE TRIGGER notes_audit AFTER UPDATE ON notes FOR EACH ROW EXECUTE FUNCTION audit_note();
-- the same trigger without it: FORCE applies audit's policies to its owner, none admits the INSERT
CREATE FUNCTION audit_note_forced() RETURNS trigger LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
BEGIN INSERT INTO audit (note_id) VALUES (NEW.id); RETURN NEW; END $$;
CREATE TRIGGER notes_audit_forced AFTER UPDATE ON notes FOR EACH ROW EXECUTE FUNCTION audit_note_forced();
-- not a trigger: called by its owner, it reads notes, whose policies do not admit that owner
CREATE FUNCTION note_total() RETURNS bigint LANGUAGE sql STABLE SET row_security = off AS $$ SELECT count(*) FROM notes $$;
-- definer functions: the first returns any user's notes, the second counts them; the third only the caller's, the fourth says only whether (both look at the caller: not called)
CREATE FUNCTION notes_of(p_owner uuid) RETURNS SETOF notes LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
  SELECT * FROM notes WHERE owner_id = p_owner $$;
CREATE FUNCTION note_count_of(p_owner uuid) RETURNS bigint LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
  SELECT count(*) FROM notes WHERE owner_id = p_owner $$;
-- counting what nobody has: 0 holds nothing
CREATE FUNCTION body_count(p_body text) RETURNS bigint LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
  SELECT count(*) FROM notes WHERE body = p_body $$;
CREATE FUNCTION my_notes_of(p_owner uuid) RETURNS SETOF notes LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
  SELECT * FROM notes WHERE owner_id = p_owner AND owner_id = (select auth.uid()) $$;
CREATE FUNCTION has_notes() RETURNS boolean LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
  SELECT EXISTS (SELECT 1 FROM notes WHERE owner_id = (select auth.uid())) $$;
-- called first (by name) of the definer-call looks: it recurses until the stack gives out (PGlite's instance may die: the looks after it
-- run on the instance verify starts again)
CREATE FUNCTION a_spin(p_owner uuid) RETURNS bigint LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
BEGIN RETURN (SELECT count(*) FROM public.notes WHERE owner_id = p_owner) + public.a_spin(p_owner); END $$;
GRANT EXECUTE ON FUNCTION a_spin(uuid) TO authenticated;
-- a search_path without pg_temp and a declared text: the search-path look calls it with a temporary domain text, the
-- definer-call look after it with text again (not the domain the first look's rollback dropped)
CREATE FUNCTION first_body(p_owner uuid) RETURNS text LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = public AS $$
DECLARE b text; BEGIN SELECT n.body INTO b FROM public.notes n WHERE n.owner_id = p_owner LIMIT 1; RETURN coalesce(b, 'none'); END $$;
-- a Supabase custom access token hook, (event jsonb) RETURNS jsonb, that looks only at the event: called with a hook event for the
-- seeded user, it puts that user's note count into the claims; as SECURITY INVOKER the policies give the caller no note of theirs
CREATE FUNCTION access_token_hook(event jsonb) RETURNS jsonb LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE n bigint;
BEGIN
  SELECT count(*) INTO n FROM public.notes WHERE owner_id = (event->>'user_id')::uuid;
  RETURN jsonb_set(event, '{claims,note_count}', to_jsonb(n));
END $$;
REVOKE EXECUTE ON FUNCTION access_token_hook(jsonb) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION access_token_hook(jsonb) TO authenticated;
-- returning nothing, it changes any user's note; as SECURITY INVOKER no policy gives the caller a row to update
CREATE FUNCTION clear_note(p_owner uuid) RETURNS void LANGUAGE sql SECURITY DEFINER SET search_path = public, pg_temp AS $$
  UPDATE public.notes SET body = 'cleared' WHERE owner_id = p_owner $$;
-- a row looked up by its uuid primary key, which has a default: the seeded row's key is the uuid the call passes
CREATE TABLE coupons (id uuid PRIMARY KEY DEFAULT gen_random_uuid(), used int NOT NULL DEFAULT 0);
ALTER TABLE coupons ENABLE ROW LEVEL SECURITY;
CREATE FUNCTION use_coupon(p_id uuid) RETURNS void LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
BEGIN UPDATE public.coupons SET used = used + 1 WHERE id = p_id; END $$;
-- returning nothing, it empties coupons with a TRUNCATE in an EXECUTE's string (no row-level security applies to it);
-- as SECURITY INVOKER authenticated, without TRUNCATE on coupons, is refused
CREATE FUNCTION reset_coupons() RETURNS void LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
BEGIN EXECUTE 'TRUNCATE public.coupons'; END $$;
REVOKE EXECUTE ON FUNCTION notes_of(uuid), note_count_of(uuid), body_count(text), my_notes_of(uuid), has_notes(), first_body(uuid), clear_note(uuid), use_coupon(uuid), reset_coupons() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION notes_of(uuid), note_count_of(uuid), body_count(text), my_notes_of(uuid), has_notes(), first_body(uuid), clear_note(uuid), use_coupon(uuid), reset_coupons() TO authenticated;
`,
  },
];

const v = verifiedBefore(FILES, { seed: true });

const of = (kind: ExposureResult['kind'], object: string) => v.exposures.filter((e) => e.kind === kind && e.object === object);
const shownOf = (rule: string) => v.shown.filter((c) => c.finding.rule === rule);

describe('verify: functions run with their owner\'s rights or settings', () => {
  test('ok: row_security = off on a definer trigger function its ordinary owner runs: the INSERT RLS would filter fails with 42501 "query would be affected by row-level security policy"; reset, the policies refuse the row', () => {
    const [e] = of('row-security', 'public.audit_note()');
    assert.ok(e, JSON.stringify(v.exposures.map((x) => [x.kind, x.object])));
    assert.deepEqual(
      { role: e.role, code: e.code, fixedCode: e.fixedCode, option: e.option, trigger: e.trigger?.name, shown: e.shown },
      { role: OWNER_ROLE, code: '42501', fixedCode: '42501', option: true, trigger: 'notes_audit', shown: true },
    );
    assert.match(e.message!, /^query would be affected by row-level security policy for table "audit"/);
    assert.match(e.fixedMessage!, /^new row violates row-level security policy for table "audit"/);
    assert.equal(
      formatExposure(e),
      `an UPDATE of public.notes as the superuser fired trigger notes_audit, whose function public.audit_note() (SECURITY DEFINER, SET row_security = off) runs as its owner ${OWNER_ROLE} (neither superuser nor BYPASSRLS) → 42501 ${e.message}; with row_security reset: 42501 ${e.fixedMessage}`,
    );
  });

  test('ok: row_security = off on a function its ordinary owner calls: its read of notes fails with 42501; reset, it counts the rows the policies give it (none)', () => {
    const [e] = of('row-security', 'public.note_total()');
    assert.deepEqual({ code: e?.code, fixedRows: e?.fixedRows, shown: e?.shown }, { code: '42501', fixedRows: 1, shown: true });
    assert.match(formatExposure(e!), new RegExp(`^${OWNER_ROLE} called public\\.note_total\\(\\) \\(SET row_security = off\\), owning it \\(neither superuser nor BYPASSRLS\\) → 42501 query would be affected`));
  });

  test('ok: the findings of row-security-off-does-not-bypass are shown, on the ALTER FUNCTION and on the SET clause of CREATE FUNCTION', () => {
    const all = v.findings.filter((f) => f.rule === 'row-security-off-does-not-bypass');
    assert.equal(all.length, 2);
    assert.deepEqual(
      shownOf('row-security-off-does-not-bypass').map((c) => [c.finding.file, c.exposure?.object]).sort(),
      [
        ['migrations/002_functions.sql', 'public.audit_note()'],
        ['migrations/002_functions.sql', 'public.note_total()'],
      ],
    );
  });

  test('ok: a definer trigger inserting into a FORCE\'d table, it and the table owned by an ordinary role: every UPDATE firing it fails with 42501; with the trigger-only INSERT policy (T10), it passes', () => {
    const [e] = of('trigger-force', 'public.audit_note_forced()');
    assert.deepEqual(
      { code: e?.code, written: e?.written, fixedRows: e?.fixedRows, shown: e?.shown },
      { code: '42501', written: ['public.audit'], fixedRows: 1, shown: true },
    );
    assert.match(e!.message!, /^new row violates row-level security policy for table "audit"/);
    assert.match(formatExposure(e!), /with an INSERT policy for rls_owner WITH CHECK \(pg_trigger_depth\(\) > 0\): 1 row$/);
    // (the row_security one is left to its own look)
    assert.deepEqual(of('trigger-force', 'public.audit_note()'), []);
    const [c] = shownOf('definer-trigger-blocked-by-force-rls');
    assert.equal(c?.exposure?.object, 'public.audit_note_forced()');
    assert.equal(v.findings.filter((f) => f.rule === 'definer-trigger-blocked-by-force-rls').length, 1);
  });

  test('ok: a definer function returning any user\'s notes gives a user the seeded rows do not name the seeded note; as SECURITY INVOKER, nothing. A count of them too; a count of nothing does not show. Those looking at the caller are not called', () => {
    const [e] = of('definer-call', 'public.notes_of(p_owner uuid)');
    assert.deepEqual({ role: e?.role, rows: e?.rows, fixedRows: e?.fixedRows, fixedResult: e?.fixedResult, shown: e?.shown }, { role: 'authenticated', rows: 1, fixedRows: 0, fixedResult: '[]', shown: true });
    assert.match(e!.result!, /"owner_id":"00000000-0000-4000-8000-00000000005e"/);
    assert.match(formatExposure(e!), /^authenticated, signed in as a user the seeded rows do not name \(00000000-0000-4000-8000-0000000000ff\): SELECT public\.notes_of\('00000000-0000-4000-8000-00000000005e'::pg_catalog\.uuid\) \(SECURITY DEFINER\) → 1 row; as SECURITY INVOKER: 0 rows$/);
    const [count] = of('definer-call', 'public.note_count_of(p_owner uuid)');
    assert.deepEqual({ result: count?.result, fixedResult: count?.fixedResult, shown: count?.shown }, { result: '[1]', fixedResult: '[0]', shown: true });
    assert.match(formatExposure(count!), / → \[1\]; as SECURITY INVOKER: \[0\]$/);
    const [none] = of('definer-call', 'public.body_count(p_body text)');
    assert.deepEqual({ rows: none?.rows, result: none?.result, shown: none?.shown }, { rows: 0, result: '[0]', shown: false });
    assert.deepEqual([...of('definer-call', 'public.my_notes_of(p_owner uuid)'), ...of('definer-call', 'public.has_notes()')], []);
    assert.deepEqual(shownOf('definer-bypasses-rls').map((c) => c.exposure?.object), ['public.notes_of(p_owner uuid)', 'public.access_token_hook(event jsonb)', 'public.clear_note(p_owner uuid)', 'public.use_coupon(p_id uuid)', 'public.reset_coupons()']);
  });

  test('ok: a uuid primary key with a default holds the seeded uuid too: a definer function updating the row it is given by key changes coupons; as SECURITY INVOKER, authenticated (no grant on coupons) is refused', () => {
    const [e] = of('definer-call', 'public.use_coupon(p_id uuid)');
    assert.deepEqual({ changed: e?.changed, fixedCode: e?.fixedCode, shown: e?.shown }, { changed: true, fixedCode: '42501', shown: true });
    assert.match(formatExposure(e!), /→ public\.coupons changed; as SECURITY INVOKER: 42501 permission denied for table coupons$/);
  });

  test('ok: a definer function returning nothing that empties coupons with TRUNCATE (in an EXECUTE\'s string): the call changed public.coupons; as SECURITY INVOKER, authenticated (no TRUNCATE on coupons) is refused', () => {
    const [e] = of('definer-call', 'public.reset_coupons()');
    assert.deepEqual({ watched: e?.watched, changed: e?.changed, fixedCode: e?.fixedCode, shown: e?.shown }, { watched: ['public.coupons'], changed: true, fixedCode: '42501', shown: true });
    assert.match(formatExposure(e!), /→ public\.coupons changed; as SECURITY INVOKER: 42501 permission denied for table coupons$/);
  });

  test("ok: a definer function returning nothing that updates any user's note: the call as another user changed public.notes; as SECURITY INVOKER, no row changed", () => {
    const [e] = of('definer-call', 'public.clear_note(p_owner uuid)');
    assert.deepEqual({ watched: e?.watched, changed: e?.changed, fixedChanged: e?.fixedChanged, rows: e?.rows, shown: e?.shown }, { watched: ['public.notes'], changed: true, fixedChanged: false, rows: 0, shown: true });
    assert.match(formatExposure(e!), /^authenticated, signed in as a user the seeded rows do not name \(00000000-0000-4000-8000-0000000000ff\): SELECT public\.clear_note\('00000000-0000-4000-8000-00000000005e'::pg_catalog\.uuid\) \(SECURITY DEFINER\) → public\.notes changed; as SECURITY INVOKER: public\.notes unchanged$/);
  });

  test("ok: a custom access token hook is called with the event Supabase Auth passes, for the seeded user: the claims it returns hold that user's note count (1); as SECURITY INVOKER another result (0)", () => {
    const [hook] = of('definer-call', 'public.access_token_hook(event jsonb)');
    assert.deepEqual({ role: hook?.role, rows: hook?.rows, fixedRows: hook?.fixedRows, shown: hook?.shown }, { role: 'authenticated', rows: 1, fixedRows: 1, shown: true });
    assert.match(hook!.call!, /^SELECT public\.access_token_hook\('\{"claims": \{"aud": "authenticated", "sub": "00000000-0000-4000-8000-00000000005e", .*"user_id": "00000000-0000-4000-8000-00000000005e".*'::pg_catalog\.jsonb\)$/);
    assert.match(hook!.result!, /"note_count": ?1/);
    assert.match(hook!.fixedResult!, /"note_count": ?0/);
    assert.match(formatExposure(hook!), / \(SECURITY DEFINER\) → 1 row; as SECURITY INVOKER: 1 row, holding another result$/);
  });

  test("ok: a PL/pgSQL function the search-path look ran with a temporary domain text is compiled again after the look's rollback: the definer-call look's call after it passes (no XX000 cache lookup failed for type)", () => {
    const [sp] = of('search-path', 'public.first_body(p_owner uuid)');
    assert.deepEqual({ hijacked: sp?.hijacked, shadow: sp?.shadow, shown: sp?.shown }, { hijacked: 'text', shadow: 'domain', shown: true });
    const [call] = of('definer-call', 'public.first_body(p_owner uuid)');
    assert.deepEqual({ code: call?.code, result: call?.result, shown: call?.shown }, { code: undefined, result: '["none"]', shown: false });
  });

  test('err: a definer function recursing without end: its call fails with 54001 (or kills the instance, reported so); the looks after it still run', () => {
    const [spin] = of('definer-call', 'public.a_spin(p_owner uuid)');
    assert.deepEqual({ code: spin?.code, shown: spin?.shown }, { code: '54001', shown: false });
    const [after] = of('definer-call', 'public.notes_of(p_owner uuid)');
    assert.equal(after?.shown, true);
  });
});

// No role in the migrations at all (every policy for PUBLIC, nothing granted): a definer function
// PUBLIC may execute is called as the stand-in role, which holds PUBLIC's privileges only.
const NO_ROLES: VerifyFile[] = [
  {
    file: 'migrations/001.sql',
    text: `CREATE TABLE members (id uuid PRIMARY KEY, email text NOT NULL);
ALTER TABLE members ENABLE ROW LEVEL SECURITY;
CREATE POLICY members_self ON members FOR SELECT USING (id = nullif(current_setting('app.member_id', true), '')::uuid);
CREATE FUNCTION member_email(p uuid) RETURNS text LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$ SELECT email FROM members WHERE id = p $$;
CREATE FUNCTION member_email_locked(p uuid) RETURNS text LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$ SELECT email FROM members WHERE id = p $$;
REVOKE EXECUTE ON FUNCTION member_email_locked(uuid) FROM PUBLIC;
`,
  },
];
const w = verifiedBefore(NO_ROLES, { seed: true });

describe('verify: a definer function only PUBLIC may execute', () => {
  test('ok: with no role named anywhere, the call is made as the stand-in role (PUBLIC\'s privileges): the seeded email comes back; as SECURITY INVOKER, 42501. definer-bypasses-rls is shown; a function PUBLIC may not execute is not called', () => {
    const [e] = w.exposures.filter((x) => x.kind === 'definer-call' && x.object === 'public.member_email(p uuid)');
    assert.deepEqual({ role: e?.role, rows: e?.rows, fixedCode: e?.fixedCode, shown: e?.shown }, { role: 'rls_probe', rows: 1, fixedCode: '42501', shown: true });
    assert.match(formatExposure(e!), /^rls_probe: SELECT public\.member_email\('[0-9a-f-]+'::pg_catalog\.uuid\) \(SECURITY DEFINER\) → \["seed"\]; as SECURITY INVOKER: 42501 permission denied for table members$/);
    assert.deepEqual(w.exposures.filter((x) => x.kind === 'definer-call' && x.object.startsWith('public.member_email_locked')), []);
    assert.deepEqual(w.shown.filter((c) => c.finding.rule === 'definer-bypasses-rls').map((c) => c.exposure?.object), ['public.member_email(p uuid)']);
  });
});
