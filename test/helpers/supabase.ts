// Supabase-like stubs for executing doc examples on PGlite: the `auth` schema with
// `auth.uid()` / `auth.jwt()` reading request settings, as on the platform.
export const AUTH_STUB_SQL = `
CREATE SCHEMA IF NOT EXISTS auth;
CREATE OR REPLACE FUNCTION auth.uid() RETURNS uuid LANGUAGE sql STABLE AS
  $$ SELECT nullif(current_setting('request.jwt.claim.sub', true), '')::uuid $$;
CREATE OR REPLACE FUNCTION auth.jwt() RETURNS jsonb LANGUAGE sql STABLE AS
  $$ SELECT coalesce(nullif(current_setting('request.jwt.claims', true), ''), '{}')::jsonb $$;
GRANT USAGE ON SCHEMA auth TO PUBLIC;
`;

/**
 * Neon Authorize's auth.user_id() as a stub: pg_session_jwt's `auth."user_id"() RETURNS TEXT`
 * (sql/pg_session_jwt--0.1.0--0.1.1.sql), reading the `sub` of `request.jwt.claims` as the
 * extension does without a JWK (its PostgREST fallback); `actAs` sets it. PGlite has no pg_session_jwt.
 */
export const NEON_AUTH_STUB_SQL = `
CREATE SCHEMA IF NOT EXISTS auth;
CREATE OR REPLACE FUNCTION auth.user_id() RETURNS text LANGUAGE sql STABLE AS
  $$ SELECT nullif(current_setting('request.jwt.claims', true), '')::jsonb ->> 'sub' $$;
GRANT USAGE ON SCHEMA auth TO PUBLIC;
`;

/** SQL that makes the current transaction act as the given user id (transaction-local). */
export function actAs(userId: string, claims: Record<string, unknown> = {}): string {
  const json = JSON.stringify({ sub: userId, ...claims }).replace(/'/g, "''");
  return `SELECT set_config('request.jwt.claim.sub', '${userId}', true), set_config('request.jwt.claims', '${json}', true);`;
}

/**
 * The platform's defaults, then the migrations: the auth stubs, and the API roles' default
 * privileges on the tables made in public (as Supabase grants them).
 */
export async function onSupabase(q: (sql: string) => Promise<unknown>, migrations: string): Promise<void> {
  await q(AUTH_STUB_SQL);
  await q('ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT ALL ON TABLES TO anon, authenticated, service_role');
  await q(migrations);
}

/**
 * Supabase Storage's tables as a stub (the columns policies and bucket inserts name, RLS on, SELECT
 * granted to the API roles as on the platform) and storage.foldername().
 */
export const STORAGE_STUB_SQL = `CREATE SCHEMA IF NOT EXISTS storage;
GRANT USAGE ON SCHEMA storage TO anon, authenticated;
CREATE TABLE storage.buckets (id text PRIMARY KEY, name text NOT NULL, public boolean DEFAULT false, file_size_limit bigint, allowed_mime_types text[]);
CREATE TABLE storage.objects (id uuid PRIMARY KEY DEFAULT gen_random_uuid(), bucket_id text REFERENCES storage.buckets (id), name text, owner uuid);
ALTER TABLE storage.buckets ENABLE ROW LEVEL SECURITY;
ALTER TABLE storage.objects ENABLE ROW LEVEL SECURITY;
GRANT SELECT ON storage.objects TO anon, authenticated;
CREATE FUNCTION storage.foldername(name text) RETURNS text[] LANGUAGE sql IMMUTABLE AS $$ SELECT (string_to_array(name, '/'))[1:array_length(string_to_array(name, '/'), 1) - 1] $$;
`;

/** A user id for the Auth server's looks (authServerPlatform, signUpAsAuthServer). */
export const AUTH_USER = '00000000-0000-0000-0000-0000000000aa';

/**
 * Supabase's Auth server, as the auth-trigger rules' tests need it: auth.users (id, email),
 * written by supabase_auth_admin (create the role first: ensureRoles), then the migrations as
 * the superuser.
 */
export async function authServerPlatform(q: (sql: string) => Promise<unknown>, migrations: string): Promise<void> {
  await q(AUTH_STUB_SQL);
  await q('CREATE TABLE auth.users (id uuid PRIMARY KEY, email text)');
  await q('GRANT USAGE ON SCHEMA auth TO supabase_auth_admin; GRANT ALL ON auth.users TO supabase_auth_admin');
  await q(migrations);
}

/** A sign-up as Supabase's Auth server makes it: as supabase_auth_admin, with its search_path, auth. */
export async function signUpAsAuthServer(q: (sql: string) => Promise<unknown>): Promise<void> {
  await q('SET LOCAL search_path = auth');
  await q('SET LOCAL ROLE supabase_auth_admin');
  await q(`INSERT INTO auth.users (id, email) VALUES ('${AUTH_USER}', 'a@example.com')`);
  await q('RESET ROLE');
  await q('SET LOCAL search_path = public');
}

/**
 * How many notes user A reads after `sql` ran on the Supabase stubs, the notes table
 * (id, owner_id, body) holding one note of A's and one of B's (the skipped-migration rules' tests).
 */
export async function notesReadByA(q: (sql: string) => Promise<unknown[]>, sql: string, a: string, b: string): Promise<number> {
  await q(AUTH_STUB_SQL);
  await q(sql);
  await q(`INSERT INTO notes (id, owner_id, body) VALUES (1, '${a}', 'a'), (2, '${b}', 'b')`);
  await q('GRANT SELECT ON notes TO authenticated');
  await q(actAs(a));
  await q('SET ROLE authenticated');
  const n = (await q('SELECT id FROM notes')).length;
  await q('RESET ROLE');
  return n;
}
