// Verify's `auth-signup` look (verify/exposures.ts authSignupSpecs): a trigger function on
// Supabase's auth.users fired by a sign-up as the Auth server makes it (supabase_auth_admin,
// search_path auth). One that names public.profiles without its schema fails with 42P01, and
// passes with its search_path set; one that qualifies its names passes. The lint finding of
// auth-trigger-unqualified-name is shown by it.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { formatExposure } from '../server/src/verify/exposures.js';
import type { VerifyFile } from '../server/src/verify/pglite.js';
import { verifiedBefore } from './helpers/verified.js';

const FILES: VerifyFile[] = [
  {
    file: 'supabase/migrations/20240101000000_profiles.sql',
    text: `-- « Profils » 😀
CREATE TABLE public.profiles (id uuid PRIMARY KEY, email text);
ALTER TABLE public.profiles ENABLE ROW LEVEL SECURITY;
CREATE POLICY own ON public.profiles FOR SELECT TO authenticated USING (id = (select auth.uid()));
CREATE TABLE public.signups (id uuid PRIMARY KEY);
ALTER TABLE public.signups ENABLE ROW LEVEL SECURITY;
-- names profiles without its schema, sets no search_path: every sign-up fails
CREATE FUNCTION public.handle_new_user() RETURNS trigger LANGUAGE plpgsql SECURITY DEFINER AS $$
BEGIN
  INSERT INTO profiles (id, email) VALUES (NEW.id, NEW.email);
  RETURN NEW;
END $$;
CREATE TRIGGER on_auth_user_created AFTER INSERT ON auth.users FOR EACH ROW EXECUTE FUNCTION public.handle_new_user();
-- SECURITY INVOKER: runs as supabase_auth_admin, which holds no privilege on public.invoker_log
CREATE TABLE public.invoker_log (id uuid PRIMARY KEY);
CREATE FUNCTION public.log_signup() RETURNS trigger LANGUAGE plpgsql SET search_path = '' AS $$
BEGIN
  INSERT INTO public.invoker_log (id) VALUES (NEW.id);
  RETURN NEW;
END $$;
CREATE TRIGGER on_auth_user_logged AFTER INSERT ON auth.users FOR EACH ROW EXECUTE FUNCTION public.log_signup();
-- qualifies its names: fine in the Auth server's session
CREATE FUNCTION public.count_signup() RETURNS trigger LANGUAGE plpgsql SECURITY DEFINER SET search_path = '' AS $$
BEGIN
  INSERT INTO public.signups (id) VALUES (NEW.id);
  RETURN NEW;
END $$;
CREATE TRIGGER on_auth_user_counted AFTER INSERT ON auth.users FOR EACH ROW EXECUTE FUNCTION public.count_signup();
`,
  },
];

describe('verify: a sign-up as the Auth server', () => {
  const v = verifiedBefore(FILES, { seed: true, supabaseDefaultPrivileges: true });

  test('err: the trigger naming profiles without a schema fails the sign-up with 42P01 (search_path auth); with its search_path set, it passes; the finding is shown', () => {
    const e = v.exposures.find((x) => x.kind === 'auth-signup' && x.object === 'public.handle_new_user()');
    assert.ok(e, JSON.stringify(v.exposures.map((x) => [x.kind, x.object])));
    assert.equal(e.shown, true, formatExposure(e));
    assert.equal(e.code, '42P01');
    assert.match(e.message ?? '', /relation "profiles" does not exist/);
    assert.equal(e.fixedRows, 1, formatExposure(e));
    assert.equal(e.fixedPath, 'public, pg_temp');
    assert.match(formatExposure(e), /^supabase_auth_admin \(Supabase's Auth server\) with search_path auth INSERT INTO auth\.users of a user signing up, firing trigger on_auth_user_created \(public\.handle_new_user\(\)\) → 42P01 relation "profiles" does not exist; with the function's search_path set to public, pg_temp: 1 row$/);
    const shown = v.shown.filter((s) => s.finding.rule === 'auth-trigger-unqualified-name');
    assert.equal(shown.length, 1);
    assert.equal(shown[0]!.exposure?.object, 'public.handle_new_user()');
  });

  test('err: the SECURITY INVOKER trigger fails the sign-up with 42501 (supabase_auth_admin holds no privilege on the table); made SECURITY DEFINER, it passes; the finding is shown', () => {
    const e = v.exposures.find((x) => x.kind === 'auth-signup-rights' && x.object === 'public.log_signup()');
    assert.ok(e, JSON.stringify(v.exposures.map((x) => [x.kind, x.object])));
    assert.equal(e.shown, true, formatExposure(e));
    assert.equal(e.code, '42501');
    assert.equal(e.fixedRows, 1, formatExposure(e));
    assert.match(formatExposure(e), /firing trigger on_auth_user_logged \(public\.log_signup\(\), SECURITY INVOKER\) → 42501 permission denied for table invoker_log; with the function made SECURITY DEFINER and its search_path set to public, pg_temp: 1 row$/);
    // (its search_path look passes: nothing of it is unqualified)
    assert.equal(v.exposures.find((x) => x.kind === 'auth-signup' && x.object === 'public.log_signup()')?.shown, false);
    assert.equal(v.shown.filter((s) => s.finding.rule === 'auth-trigger-invoker-denied').length, 1);
    // (definer functions get no rights look)
    assert.equal(v.exposures.filter((x) => x.kind === 'auth-signup-rights').length, 1);
  });

  test('ok: the trigger that qualifies its names passes the sign-up (its look alone fires it: the other trigger is disabled for it)', () => {
    const e = v.exposures.find((x) => x.kind === 'auth-signup' && x.object === 'public.count_signup()');
    assert.ok(e);
    assert.equal(e.shown, false, formatExposure(e));
    assert.equal(e.rows, 1, formatExposure(e));
    assert.equal(v.findings.filter((f) => f.rule === 'auth-trigger-unqualified-name').length, 1);
  });
});

describe('verify: an Auth hook called as the Auth server', () => {
  const v = verifiedBefore(
    [
      {
        file: 'supabase/migrations/20240101000000_hook.sql',
        text: `CREATE TABLE public.user_roles (user_id uuid PRIMARY KEY, role text);
-- names user_roles without its schema, SECURITY INVOKER, no grant: 42P01 first, then 42501
CREATE FUNCTION public.custom_access_token_hook(event jsonb) RETURNS jsonb LANGUAGE plpgsql STABLE AS $$
DECLARE r text;
BEGIN
  SELECT role INTO r FROM user_roles WHERE user_id = (event ->> 'user_id')::uuid;
  RETURN jsonb_set(event, '{claims,user_role}', to_jsonb(coalesce(r, 'none')));
END $$;
GRANT EXECUTE ON FUNCTION public.custom_access_token_hook(jsonb) TO supabase_auth_admin;
REVOKE EXECUTE ON FUNCTION public.custom_access_token_hook(jsonb) FROM authenticated, anon, public;
`,
      },
    ],
    { seed: true, supabaseDefaultPrivileges: true },
  );

  test('err: the hook fails with 42P01 (search_path auth), and its table is not granted (42501 once found); made SECURITY DEFINER it answers; both findings are shown', () => {
    const path = v.exposures.find((x) => x.kind === 'auth-signup' && x.object === 'public.custom_access_token_hook(event jsonb)');
    assert.ok(path, JSON.stringify(v.exposures.map((x) => [x.kind, x.object])));
    assert.equal(path.shown, true, formatExposure(path));
    assert.equal(path.code, '42P01');
    assert.match(formatExposure(path), /^supabase_auth_admin \(Supabase's Auth server\) with search_path auth calls its hook public\.custom_access_token_hook\(<an event of the seeded user>\) → 42P01 relation "user_roles" does not exist; with the function's search_path set to public, pg_temp: 42501 permission denied for table user_roles$/);
    const rights = v.exposures.find((x) => x.kind === 'auth-signup-rights' && x.object === 'public.custom_access_token_hook(event jsonb)');
    assert.ok(rights);
    // (the first call fails on the name before the privilege: this look is not what shows the rights finding)
    assert.equal(rights.code, '42P01', formatExposure(rights));
    assert.equal(rights.fixedRows, 1, formatExposure(rights));
    assert.deepEqual(v.shown.map((s) => s.finding.rule).filter((r) => r.startsWith('auth-trigger')).sort(), ['auth-trigger-unqualified-name']);
  });
});
