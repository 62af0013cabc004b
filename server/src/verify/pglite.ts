// The verify engine: replays the migrations on an embedded PostgreSQL (PGlite, PostgreSQL 18
// in WASM) and probes every RLS table as every relevant role. The only product code that runs
// PostgreSQL. Pure: no LSP, no printing.
//
// What it does, in order:
//  1. Starts PGlite (loading the contrib extensions the files CREATE, when PGlite ships them).
//  2. Creates what a Supabase project provides when the files reference it and do not create it:
//     roles anon / authenticated / service_role (BYPASSRLS), the `auth` schema (auth.uid(),
//     auth.jwt(), auth.role(), auth.email(), auth.users), the `extensions` schema (in a Supabase
//     project, with uuid-ossp and pgcrypto), a minimal `storage` schema (buckets, objects,
//     foldername/filename/extension), and in a Supabase project that reads it, Vault (STAND_INS:
//     pg_cron, pg_net and moddatetime, which PGlite lacks, get stand-ins when created).
//  3. Runs each file statement by statement as the superuser, each statement in its own
//     transaction (BEGIN/COMMIT/ROLLBACK/SAVEPOINT/LOCK lines are skipped, so one failing
//     statement does not abort the rest); records errors and continues. A role the statement
//     needs but nobody created (42704 role "x" does not exist) is created and the statement
//     retried. psql meta-commands are skipped; COPY … FROM stdin data is loaded.
//  4. Probes: for each (table, role), `BEGIN; SET LOCAL ROLE role; SELECT count(*) FROM table;
//     ROLLBACK`. PGlite does not raise 54001 on deep recursion (TRUTHS T02/T05): the instance
//     dies and answers every later query with an empty result. That is detected, reported as
//     outcome 'dead' (code 54001 on a real server), and the remaining probes continue on a new
//     instance loaded from a dump taken after the replay.
//
// Limits: PGlite runs on the calling thread and cannot be interrupted (statement_timeout does
// not fire in PGlite), so `timeoutMs` is checked between statements and probes only; an
// endless loop inside one statement blocks. The CLI runs verify() in a worker thread and
// stops it when a statement outlasts the budget (`onProgress` tells it what was running).
// Bundling: PGlite loads pglite.wasm, initdb.wasm and pglite.data (and contrib *.tar.gz)
// relative to its own module file: a CommonJS bundle needs them copied next to it.
import { FLYWAY_PLACEHOLDER_SOURCE } from '../analysis/parse.js';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Extension, PGlite } from '@electric-sql/pglite';
import { writeFileAtomic } from '../io/files.js';
import { historyInArchives, markArchiveReplayed, replayOrder } from '../analysis/model.js';
import type { Include } from '../analysis/types.js';
import { quoteIdent } from '../analysis/parse.js';
import { exposureSpecs, ownerRole, type ExposureResult } from './exposures.js';
import { codePointPosToUtf16, leadingWords, splitSql, splitSqlWithIncludes, withoutComments, type SqlStatement } from './split.js';

export interface VerifyFile {
  file: string;
  text: string;
  /** the search_path a session started on this file begins with, where not the server's default (a graphile-migrate project's pgSettings) */
  startPath?: string[];
}

export interface VerifyStatementError {
  file: string;
  /** UTF-16 offset in the file: PostgreSQL's error position when it gives one, else the
   * statement's first token */
  offset: number;
  code: string;
  message: string;
  /** UTF-16 offsets of the failing statement */
  statementStart?: number;
  statementEnd?: number;
}

export type ProbeCommand = 'select' | 'insert' | 'update' | 'delete';

export interface ProbeResult {
  table: string;
  role: string;
  command: ProbeCommand;
  /** the probe looked for recursion only: an outcome other than 42P17 or 54001 means none */
  recursionOnly?: boolean;
  /** ok: the probe ran (rows = count, or rows affected/returned for custom SQL);
   * error: PostgreSQL raised `code`; dead: PGlite died (a real server raises 54001) */
  outcome: 'ok' | 'error' | 'dead';
  rows?: number;
  code?: string;
  message?: string;
  /** the role was granted the table inside the probe (the stand-in role, STAND_IN_ROLE) */
  grantedInProbe?: boolean;
  /** Supabase's authenticated, signed in as SEED_USER, whom the seeded rows name */
  signedIn?: boolean;
  /** the read was made again after a transaction that set these settings locally had ended
   * (each reads '' then, T15b) */
  settingsEnded?: string[];
}

export interface ProbeSpec {
  table: string;
  role: string;
  /** custom SQL instead of `SELECT count(*) FROM table` */
  sql?: string;
  /** transaction-local settings applied before the probe, e.g. {'request.jwt.claim.sub': '…'} */
  settings?: Record<string, string>;
  /** a write the default probes make only to see whether its policies recurse (see defaultProbes) */
  recursionOnly?: boolean;
  /** grant the role the table (and its schema's USAGE) inside the probe's transaction: the
   * default probes' stand-in role, when the migrations name no role (see defaultProbes) */
  grantInProbe?: boolean;
}

export interface VerifyOptions {
  /** roles to probe every RLS table as (default: the roles named in policies, plus
   * authenticated and anon when they exist; superusers and BYPASSRLS roles are skipped).
   * Created if missing. */
  roles?: string[];
  /** explicit probes; when given, no default probes are run */
  probes?: ProbeSpec[];
  /** overall budget, checked between statements and probes (default 60 s) */
  timeoutMs?: number;
  /** a directory where the initialised PGlite data directory (~40 MB) is kept between
   * processes (e.g. the extension's global storage); without it, each process runs initdb once */
  cacheDir?: string;
  /** a Supabase project: tables, sequences and functions the migrations create in `public` are
   * granted to anon, authenticated and service_role (Supabase's default privileges), and the
   * extensions Supabase installs in `extensions` (uuid-ossp, pgcrypto) are there unless the files
   * create them (default false) */
  supabaseDefaultPrivileges?: boolean;
  /** before the probes, put one row into each RLS table the replay left empty (see seed()), so
   * that policies are evaluated on a row: a policy whose expression fails or recurses only per
   * row (an unset `current_setting`, an invoker helper reading its own table) fails its probe */
  seed?: boolean;
  /** Supabase Auth's anonymous sign-ins are on (the lint's setting anonymousSignIns): SELECT
   * policies for authenticated are also read as an anonymous session (exposures, `anonymous`) */
  anonymousSignIns?: boolean;
  /** told what runs, as it starts, and what it found (for a supervisor that may have to stop
   * a statement PGlite cannot cancel: it then still has everything found before) */
  onProgress?: (event: VerifyProgress) => void;
}

export type VerifyProgress =
  /** the replay (re)starts: errors reported before are reported again as they recur */
  | { kind: 'replay'; pgVersion: string }
  | { kind: 'statement'; file: string; start: number; end: number }
  | { kind: 'error'; error: VerifyStatementError }
  /** every statement has run: until the next probe, no statement or probe is running */
  | { kind: 'replayed' }
  | { kind: 'probe'; probe: ProbeSpec; command: ProbeCommand }
  | { kind: 'probed'; result: ProbeResult }
  | { kind: 'exposure'; exposure: Pick<ExposureResult, 'kind' | 'object' | 'role'> }
  | { kind: 'exposed'; result: ExposureResult };

export interface VerifyResult {
  statementErrors: VerifyStatementError[];
  probes: ProbeResult[];
  /** e.g. "PostgreSQL 18.6 (PGlite 0.5.16)" */
  pgVersion: string;
  /** the budget ran out: statements or probes after that point were not run */
  timedOut?: boolean;
  /** with `seed`: what became of each RLS table the replay left empty */
  seeded?: SeedResult[];
  /** with the default probes: what roles can get that findings say they should not (see ExposureResult) */
  exposures?: ExposureResult[];
  /** CREATE EXTENSION statements of extensions PGlite lacks that were given a stand-in (STAND_INS) instead of failing */
  standIns?: StandIn[];
}

/** A CREATE EXTENSION PGlite could not run (0A000 not available), replaced by a stand-in of what migrations use of it. */
export interface StandIn {
  file: string;
  offset: number;
  extension: string;
  /** what the stand-in provides, as the report says it */
  provides: string;
}

/** One RLS table the replay left empty: a row was put into it, or PostgreSQL refused it. */
export interface SeedResult {
  table: string;
  outcome: 'seeded' | 'error';
  code?: string;
  message?: string;
}

/** The role the default probes read as when the migrations name none (every policy is for PUBLIC, nothing is granted). */
export const STAND_IN_ROLE = 'rls_probe';

/** The real server's message for what PGlite shows as a dead instance (code 54001). */
export const DEAD_MESSAGE = 'stack depth limit exceeded';
const DEAD_NOTE = "infinite recursion at execution time; PGlite's instance died instead of raising it";

// ---------------------------------------------------------------------------------------
// Instances

// Loaded with require(), not import(): bundled as CommonJS, PGlite's .cjs build finds
// pglite.wasm, initdb.wasm, pglite.data and contrib *.tar.gz next to the bundle (__filename);
// its ESM build would look them up through import.meta.url, which a CJS bundle does not have.
type PGliteModule = typeof import('@electric-sql/pglite');
let pgliteModule: PGliteModule | undefined;
const loadPGlite = (): PGliteModule => (pgliteModule ??= require('@electric-sql/pglite') as PGliteModule);

/** PGlite's contrib extension for a CREATE EXTENSION name, if PGlite ships it
 * (`<name>.tar.gz` beside the bundle, or in PGlite's dist directory). */
function contribExtension(name: string): Extension | undefined {
  if (!/^[A-Za-z0-9_-]+$/.test(name)) return undefined;
  const dirs = [__dirname];
  // (PGlite's contrib; pgvector comes in a package of its own)
  for (const pkg of ['@electric-sql/pglite', '@electric-sql/pglite-pgvector']) {
    try {
      dirs.push(dirname(require.resolve(pkg)));
    } catch {
      // bundled without node_modules
    }
  }
  for (const dir of dirs) {
    const path = join(dir, `${name}.tar.gz`);
    if (existsSync(path)) return { name, setup: async () => ({ bundlePath: pathToFileURL(path) }) };
  }
  return undefined;
}

// A dump of a just-initialised instance: later instances load it (~0.5 s) instead of running
// initdb (~1.5–2.8 s). Taken once per process (~0.15 s); holds ~40 MB until released. With
// `cacheDir` it is also kept on disk, so a new process loads it too (~0.7 s instead of 2.3–4 s).
let pristine: Promise<Blob | undefined> | undefined;

/** Frees the cached pristine data directory (the next verify() loads it again from cacheDir,
 * or runs initdb). */
export function releaseVerifyCache(): void {
  pristine = undefined;
}

/** The cache file, keyed by PGlite's version (or, bundled, by its pglite.wasm's size and time). */
function pristineFile(cacheDir: string): string | undefined {
  let key: string | undefined;
  try {
    const pkg = join(dirname(require.resolve('@electric-sql/pglite')), '..', 'package.json');
    key = (JSON.parse(readFileSync(pkg, 'utf8')) as { version: string }).version;
  } catch {
    try {
      const st = statSync(join(__dirname, 'pglite.wasm'));
      key = `wasm-${st.size}-${Math.round(st.mtimeMs)}`;
    } catch {
      return undefined;
    }
  }
  return join(cacheDir, `pglite-${key}-pristine.tar`);
}

async function startInstance(extensions: Record<string, Extension>, loadDataDir?: Blob, cacheDir?: string): Promise<PGlite> {
  const { PGlite } = loadPGlite();
  const file = cacheDir ? pristineFile(cacheDir) : undefined;
  if (!loadDataDir && !pristine && file && existsSync(file)) {
    pristine = Promise.resolve(new Blob([readFileSync(file)]));
  }
  const template = loadDataDir ?? (pristine ? await pristine : undefined);
  const db = new PGlite({ extensions, ...(template ? { loadDataDir: template } : {}) });
  await db.waitReady;
  if (!template) {
    pristine = db.dumpDataDir('none').catch(() => undefined);
    const blob = await pristine;
    // an unwritable cache directory only costs time
    if (blob && file) writeFileAtomic(file, Buffer.from(await blob.arrayBuffer()));
  }
  return db;
}

/**
 * An instance left in PGlite's recursion gap: a query answered nothing at all (no row where its
 * statement always has one), and the next statement would spin forever. Only close() is safe.
 */
const deadInstances = new WeakSet<PGlite>();

/** What a look throws when its query answered nothing: verify closes the instance and starts it again. */
export class InstanceDead extends Error {
  constructor() {
    super(DEAD_MESSAGE);
  }
}

/** Marks `db` dead (see deadInstances): the error to throw. */
export function markDead(db: PGlite): InstanceDead {
  deadInstances.add(db);
  return new InstanceDead();
}

/** Whether `db` was marked dead: nothing but close() may run on it. */
export const isDead = (db: PGlite): boolean => deadInstances.has(db);

async function closeQuietly(db: PGlite | undefined): Promise<void> {
  if (db && !db.closed) await db.close().catch(() => undefined);
}

/** True when the instance still answers (PGlite's recursion gap leaves it answering nothing). */
async function alive(db: PGlite): Promise<boolean> {
  try {
    return (await db.query('SELECT 1 AS one')).rows.length === 1;
  } catch {
    return true; // an error is an answer
  }
}

// ---------------------------------------------------------------------------------------
// Stubs

interface Prepared {
  file: string;
  text: string;
  statements: SqlStatement[];
  includes: Include[];
  startPath?: string[];
}

const SUPABASE_ROLES: Array<{ name: string; bypassrls?: boolean }> = [{ name: 'anon' }, { name: 'authenticated' }, { name: 'service_role', bypassrls: true }];

const AUTH_FUNCTIONS: Record<string, string> = {
  uid: `CREATE FUNCTION auth.uid() RETURNS uuid LANGUAGE sql STABLE AS $$ SELECT nullif(current_setting('request.jwt.claim.sub', true), '')::uuid $$;`,
  jwt: `CREATE FUNCTION auth.jwt() RETURNS jsonb LANGUAGE sql STABLE AS $$ SELECT nullif(current_setting('request.jwt.claims', true), '')::jsonb $$;`,
  role: `CREATE FUNCTION auth.role() RETURNS text LANGUAGE sql STABLE AS $$ SELECT nullif(current_setting('request.jwt.claim.role', true), '')::text $$;`,
  email: `CREATE FUNCTION auth.email() RETURNS text LANGUAGE sql STABLE AS $$ SELECT nullif(current_setting('request.jwt.claim.email', true), '')::text $$;`,
};

/**
 * Supabase Auth's tables that migrations read, write or reference (auth.users with its columns,
 * and the identities, sessions, refresh tokens, MFA factors and audit log that hang off it), as
 * Supabase creates them; no privilege on them for anon or authenticated.
 */
const AUTH_USERS = `CREATE TABLE auth.users (
  instance_id uuid, id uuid PRIMARY KEY, aud varchar(255), role varchar(255), email varchar(255), encrypted_password varchar(255),
  email_confirmed_at timestamptz, invited_at timestamptz, confirmation_token varchar(255), confirmation_sent_at timestamptz,
  recovery_token varchar(255), recovery_sent_at timestamptz, email_change_token_new varchar(255), email_change varchar(255),
  email_change_sent_at timestamptz, last_sign_in_at timestamptz, raw_app_meta_data jsonb, raw_user_meta_data jsonb,
  is_super_admin boolean, created_at timestamptz, updated_at timestamptz, phone text UNIQUE DEFAULT NULL, phone_confirmed_at timestamptz,
  phone_change text DEFAULT '', phone_change_token varchar(255) DEFAULT '', phone_change_sent_at timestamptz,
  confirmed_at timestamptz GENERATED ALWAYS AS (LEAST(email_confirmed_at, phone_confirmed_at)) STORED,
  email_change_token_current varchar(255) DEFAULT '', email_change_confirm_status smallint DEFAULT 0,
  banned_until timestamptz, reauthentication_token varchar(255) DEFAULT '', reauthentication_sent_at timestamptz,
  is_sso_user boolean NOT NULL DEFAULT false, deleted_at timestamptz, is_anonymous boolean NOT NULL DEFAULT false);
CREATE TABLE auth.identities (
  provider_id text NOT NULL, user_id uuid NOT NULL REFERENCES auth.users (id) ON DELETE CASCADE, identity_data jsonb NOT NULL,
  provider text NOT NULL, last_sign_in_at timestamptz, created_at timestamptz, updated_at timestamptz,
  email text GENERATED ALWAYS AS (lower(identity_data ->> 'email')) STORED, id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  UNIQUE (provider_id, provider));
CREATE TYPE auth.aal_level AS ENUM ('aal1', 'aal2', 'aal3');
CREATE TABLE auth.sessions (
  id uuid PRIMARY KEY, user_id uuid NOT NULL REFERENCES auth.users (id) ON DELETE CASCADE, created_at timestamptz, updated_at timestamptz,
  factor_id uuid, aal auth.aal_level, not_after timestamptz, refreshed_at timestamp, user_agent text, ip inet, tag text);
CREATE TABLE auth.refresh_tokens (
  instance_id uuid, id bigserial PRIMARY KEY, token varchar(255) UNIQUE, user_id varchar(255), revoked boolean,
  created_at timestamptz, updated_at timestamptz, parent varchar(255), session_id uuid REFERENCES auth.sessions (id) ON DELETE CASCADE);
CREATE TYPE auth.factor_type AS ENUM ('totp', 'webauthn', 'phone');
CREATE TYPE auth.factor_status AS ENUM ('unverified', 'verified');
CREATE TABLE auth.mfa_factors (
  id uuid PRIMARY KEY, user_id uuid NOT NULL REFERENCES auth.users (id) ON DELETE CASCADE, friendly_name text,
  factor_type auth.factor_type NOT NULL, status auth.factor_status NOT NULL, created_at timestamptz NOT NULL, updated_at timestamptz NOT NULL,
  secret text, phone text, last_challenged_at timestamptz UNIQUE, web_authn_credential jsonb, web_authn_aaguid uuid);
CREATE TABLE auth.audit_log_entries (instance_id uuid, id uuid PRIMARY KEY, payload json, created_at timestamptz, ip_address varchar(64) NOT NULL DEFAULT '');`;

const STORAGE_STUB = `CREATE SCHEMA storage;
GRANT USAGE ON SCHEMA storage TO PUBLIC;
CREATE TABLE storage.buckets (
  id text PRIMARY KEY, name text NOT NULL, owner uuid, owner_id text, public boolean DEFAULT false,
  file_size_limit bigint, allowed_mime_types text[], created_at timestamptz DEFAULT now(), updated_at timestamptz DEFAULT now());
CREATE TABLE storage.objects (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(), bucket_id text REFERENCES storage.buckets (id), name text,
  owner uuid, owner_id text, metadata jsonb, user_metadata jsonb, version text,
  path_tokens text[] GENERATED ALWAYS AS (string_to_array(name, '/')) STORED,
  created_at timestamptz DEFAULT now(), updated_at timestamptz DEFAULT now(), last_accessed_at timestamptz DEFAULT now());
ALTER TABLE storage.buckets ENABLE ROW LEVEL SECURITY;
ALTER TABLE storage.objects ENABLE ROW LEVEL SECURITY;
CREATE FUNCTION storage.foldername(name text) RETURNS text[] LANGUAGE sql IMMUTABLE AS $$ SELECT (string_to_array(name, '/'))[1:array_length(string_to_array(name, '/'), 1) - 1] $$;
CREATE FUNCTION storage.filename(name text) RETURNS text LANGUAGE sql IMMUTABLE AS $$ SELECT (string_to_array(name, '/'))[array_length(string_to_array(name, '/'), 1)] $$;
CREATE FUNCTION storage.extension(name text) RETURNS text LANGUAGE sql IMMUTABLE AS $$ SELECT reverse(split_part(reverse(storage.filename(name)), '.', 1)) $$;`;

/**
 * Supabase Vault as a stub (no encryption: PGlite has no pgsodium): secrets, the decrypted view,
 * create_secret() and update_secret() with their signatures; no privilege for anyone but the
 * superuser, as on Supabase, where only postgres (and functions it owns) reads them.
 */
const VAULT_STUB = `CREATE SCHEMA vault;
CREATE TABLE vault.secrets (id uuid PRIMARY KEY DEFAULT gen_random_uuid(), name text UNIQUE, description text NOT NULL DEFAULT '', secret text NOT NULL, key_id uuid, nonce bytea, created_at timestamptz NOT NULL DEFAULT now(), updated_at timestamptz NOT NULL DEFAULT now());
CREATE VIEW vault.decrypted_secrets AS SELECT id, name, description, secret, secret AS decrypted_secret, key_id, nonce, created_at, updated_at FROM vault.secrets;
CREATE FUNCTION vault.create_secret(new_secret text, new_name text DEFAULT NULL, new_description text DEFAULT '', new_key_id uuid DEFAULT NULL) RETURNS uuid LANGUAGE sql AS $$ INSERT INTO vault.secrets (secret, name, description, key_id) VALUES (new_secret, new_name, new_description, new_key_id) RETURNING id $$;
CREATE FUNCTION vault.update_secret(secret_id uuid, new_secret text DEFAULT NULL, new_name text DEFAULT NULL, new_description text DEFAULT NULL, new_key_id uuid DEFAULT NULL) RETURNS void LANGUAGE sql AS $$ UPDATE vault.secrets SET secret = coalesce(new_secret, secret), name = coalesce(new_name, name), description = coalesce(new_description, description), key_id = coalesce(new_key_id, key_id), updated_at = now() WHERE id = secret_id $$;
REVOKE ALL ON FUNCTION vault.create_secret(text, text, text, uuid), vault.update_secret(uuid, text, text, text, uuid) FROM PUBLIC;`;

/**
 * Supabase Realtime's schema as Realtime's own migrations make it on every Supabase database
 * (supabase/realtime, tenants/repo/migrations): realtime.messages with row-level security enabled
 * and SELECT, INSERT, UPDATE granted to anon, authenticated and service_role (Realtime Authorization
 * inserts a row with the channel's topic and reads it back as the user, under the policies that
 * migrations write), and realtime.topic() reading the setting Realtime sets. realtime.send() and
 * realtime.broadcast_changes() (called by trigger functions) have their signatures and send nothing.
 */
const REALTIME_STUB = `CREATE SCHEMA realtime;
GRANT USAGE ON SCHEMA realtime TO anon, authenticated, service_role;
CREATE TABLE realtime.messages (
  topic text NOT NULL, extension text NOT NULL, payload jsonb, event text, private boolean DEFAULT false,
  updated_at timestamp NOT NULL DEFAULT now(), inserted_at timestamp NOT NULL DEFAULT now(), id uuid NOT NULL DEFAULT gen_random_uuid(),
  PRIMARY KEY (id, inserted_at));
ALTER TABLE realtime.messages ENABLE ROW LEVEL SECURITY;
GRANT SELECT, INSERT, UPDATE ON realtime.messages TO anon, authenticated, service_role;
CREATE FUNCTION realtime.topic() RETURNS text LANGUAGE sql STABLE AS $$ SELECT nullif(current_setting('realtime.topic', true), '')::text $$;
CREATE FUNCTION realtime.send(payload jsonb, event text, topic text, private boolean DEFAULT true) RETURNS void LANGUAGE plpgsql AS $$ BEGIN RETURN; END $$;
CREATE FUNCTION realtime.broadcast_changes(topic_name text, event_name text, operation text, table_name text, table_schema text, new record, old record, level text DEFAULT 'ROW') RETURNS void LANGUAGE plpgsql AS $$ BEGIN RETURN; END $$;`;

const ident = (name: string) => `"?${name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}"?`;

/**
 * The extensions a Supabase project has in its `extensions` schema before any migration runs,
 * which migrations use without creating them (`uuid_generate_v4()`, `gen_random_bytes()`).
 */
const SUPABASE_EXTENSIONS = ['uuid-ossp', 'pgcrypto'];

/**
 * Stand-ins for extensions a Supabase project uses that PGlite does not ship (a CREATE EXTENSION
 * of them fails there with 0A000 extension "x" is not available, and so does every statement
 * using them after): the schema and the functions migrations call, with their real signatures,
 * doing nothing of consequence — pg_cron's jobs are recorded and never run, pg_net's requests
 * are never sent, moddatetime's trigger sets the column it names to now(): they exist so that the
 * statements using them replay, and what those statements make is probed. `schema`: the schema the
 * CREATE EXTENSION names (pg_cron and pg_net make their own, cron and net, whatever it names).
 */
const STAND_INS: Record<string, { provides: string; sql: (schema: string) => string }> = {
  pg_cron: {
    provides: 'schema cron: cron.job, cron.schedule(…) (records the job, never runs it), cron.unschedule(…)',
    sql: () => `CREATE SCHEMA IF NOT EXISTS cron;
CREATE TABLE IF NOT EXISTS cron.job (jobid bigserial PRIMARY KEY, schedule text NOT NULL, command text NOT NULL, nodename text NOT NULL DEFAULT 'localhost', nodeport int NOT NULL DEFAULT 5432, database text NOT NULL DEFAULT current_database(), username text NOT NULL DEFAULT current_user, active boolean NOT NULL DEFAULT true, jobname text);
CREATE TABLE IF NOT EXISTS cron.job_run_details (jobid bigint, runid bigserial PRIMARY KEY, job_pid int, database text, username text, command text, status text, return_message text, start_time timestamptz, end_time timestamptz);
CREATE OR REPLACE FUNCTION cron.schedule(job_name text, schedule text, command text) RETURNS bigint LANGUAGE sql AS $$
  WITH gone AS (DELETE FROM cron.job WHERE jobname = job_name) INSERT INTO cron.job (schedule, command, jobname) VALUES (schedule, command, job_name) RETURNING jobid $$;
CREATE OR REPLACE FUNCTION cron.schedule(schedule text, command text) RETURNS bigint LANGUAGE sql AS $$ INSERT INTO cron.job (schedule, command) VALUES (schedule, command) RETURNING jobid $$;
CREATE OR REPLACE FUNCTION cron.schedule_in_database(job_name text, schedule text, command text, database text, username text DEFAULT NULL, active boolean DEFAULT true) RETURNS bigint LANGUAGE sql AS $$ SELECT cron.schedule(job_name, schedule, command) $$;
CREATE OR REPLACE FUNCTION cron.unschedule(job_id bigint) RETURNS boolean LANGUAGE sql AS $$ WITH d AS (DELETE FROM cron.job WHERE jobid = job_id RETURNING 1) SELECT count(*) > 0 FROM d $$;
CREATE OR REPLACE FUNCTION cron.unschedule(job_name text) RETURNS boolean LANGUAGE sql AS $$ WITH d AS (DELETE FROM cron.job WHERE jobname = job_name RETURNING 1) SELECT count(*) > 0 FROM d $$;`,
  },
  pg_net: {
    provides: 'schema net: net.http_get / http_post / http_delete (return a request id, send nothing)',
    sql: () => `CREATE SCHEMA IF NOT EXISTS net;
CREATE SEQUENCE IF NOT EXISTS net.http_request_queue_id_seq;
CREATE TABLE IF NOT EXISTS net._http_response (id bigint, status_code int, content_type text, headers jsonb, content text, timed_out boolean, error_msg text, created timestamptz NOT NULL DEFAULT now());
CREATE OR REPLACE FUNCTION net.http_get(url text, params jsonb DEFAULT '{}'::jsonb, headers jsonb DEFAULT '{}'::jsonb, timeout_milliseconds integer DEFAULT 5000) RETURNS bigint LANGUAGE sql AS $$ SELECT nextval('net.http_request_queue_id_seq') $$;
CREATE OR REPLACE FUNCTION net.http_post(url text, body jsonb DEFAULT '{}'::jsonb, params jsonb DEFAULT '{}'::jsonb, headers jsonb DEFAULT '{"Content-Type": "application/json"}'::jsonb, timeout_milliseconds integer DEFAULT 5000) RETURNS bigint LANGUAGE sql AS $$ SELECT nextval('net.http_request_queue_id_seq') $$;
CREATE OR REPLACE FUNCTION net.http_delete(url text, params jsonb DEFAULT '{}'::jsonb, headers jsonb DEFAULT '{}'::jsonb, timeout_milliseconds integer DEFAULT 5000) RETURNS bigint LANGUAGE sql AS $$ SELECT nextval('net.http_request_queue_id_seq') $$;`,
  },
  pgmq: {
    provides: 'schema pgmq: pgmq.create / send / read / pop / delete / archive / drop_queue on one table of messages (nothing consumes them)',
    sql: () => `CREATE SCHEMA IF NOT EXISTS pgmq;
DO $$ BEGIN CREATE TYPE pgmq.message_record AS (msg_id bigint, read_ct integer, enqueued_at timestamptz, vt timestamptz, message jsonb); EXCEPTION WHEN duplicate_object THEN NULL; END $$;
CREATE TABLE IF NOT EXISTS pgmq.meta (queue_name text PRIMARY KEY, is_partitioned boolean NOT NULL DEFAULT false, is_unlogged boolean NOT NULL DEFAULT false, created_at timestamptz NOT NULL DEFAULT now());
CREATE TABLE IF NOT EXISTS pgmq.messages (queue_name text NOT NULL, msg_id bigserial PRIMARY KEY, read_ct integer NOT NULL DEFAULT 0, enqueued_at timestamptz NOT NULL DEFAULT now(), vt timestamptz NOT NULL DEFAULT now(), message jsonb);
CREATE OR REPLACE FUNCTION pgmq.create(queue_name text) RETURNS void LANGUAGE sql AS $$ INSERT INTO pgmq.meta (queue_name) VALUES ($1) ON CONFLICT DO NOTHING $$;
CREATE OR REPLACE FUNCTION pgmq.drop_queue(queue_name text) RETURNS boolean LANGUAGE sql AS $$ WITH d AS (DELETE FROM pgmq.meta WHERE meta.queue_name = $1 RETURNING 1) SELECT count(*) > 0 FROM d $$;
CREATE OR REPLACE FUNCTION pgmq.send(queue_name text, msg jsonb, delay integer DEFAULT 0) RETURNS SETOF bigint LANGUAGE sql AS $$ INSERT INTO pgmq.messages (queue_name, message, vt) VALUES ($1, $2, now() + make_interval(secs => $3)) RETURNING msg_id $$;
CREATE OR REPLACE FUNCTION pgmq.read(queue_name text, vt integer, qty integer) RETURNS SETOF pgmq.message_record LANGUAGE sql AS $$
  UPDATE pgmq.messages m SET read_ct = m.read_ct + 1, vt = now() + make_interval(secs => $2)
  WHERE m.msg_id IN (SELECT x.msg_id FROM pgmq.messages x WHERE x.queue_name = $1 AND x.vt <= now() ORDER BY x.msg_id LIMIT $3)
  RETURNING m.msg_id, m.read_ct, m.enqueued_at, m.vt, m.message $$;
CREATE OR REPLACE FUNCTION pgmq.pop(queue_name text) RETURNS SETOF pgmq.message_record LANGUAGE sql AS $$
  DELETE FROM pgmq.messages m WHERE m.msg_id = (SELECT x.msg_id FROM pgmq.messages x WHERE x.queue_name = $1 AND x.vt <= now() ORDER BY x.msg_id LIMIT 1)
  RETURNING m.msg_id, m.read_ct, m.enqueued_at, m.vt, m.message $$;
CREATE OR REPLACE FUNCTION pgmq.delete(queue_name text, msg_id bigint) RETURNS boolean LANGUAGE sql AS $$ WITH d AS (DELETE FROM pgmq.messages m WHERE m.queue_name = $1 AND m.msg_id = $2 RETURNING 1) SELECT count(*) > 0 FROM d $$;
CREATE OR REPLACE FUNCTION pgmq.archive(queue_name text, msg_id bigint) RETURNS boolean LANGUAGE sql AS $$ SELECT pgmq.delete($1, $2) $$;`,
  },
  supabase_vault: {
    provides: 'Vault, as a Supabase database has it: vault.secrets, vault.decrypted_secrets, vault.create_secret() (unencrypted)',
    sql: () => `DO $do$ BEGIN IF NOT EXISTS (SELECT FROM pg_namespace WHERE nspname = 'vault') THEN EXECUTE ${quoteLiteral(VAULT_STUB)}; END IF; END $do$;`,
  },
  pgjwt: {
    provides: 'sign(), verify(), url_encode(), url_decode(), algorithm_sign() (HS256/384/512 through pgcrypto\'s hmac())',
    sql: (schema) => {
      const s = quoteIdent(schema);
      return `CREATE SCHEMA IF NOT EXISTS ${s};
CREATE OR REPLACE FUNCTION ${s}.url_encode(data bytea) RETURNS text LANGUAGE sql IMMUTABLE AS $$ SELECT translate(encode($1, 'base64'), E'+/=\\n', '-_') $$;
CREATE OR REPLACE FUNCTION ${s}.url_decode(data text) RETURNS bytea LANGUAGE sql IMMUTABLE AS $$ SELECT decode(rpad(translate($1, '-_', '+/'), 4 * ((length($1) + 3) / 4), '='), 'base64') $$;
CREATE OR REPLACE FUNCTION ${s}.algorithm_sign(signables text, secret text, algorithm text) RETURNS text LANGUAGE plpgsql IMMUTABLE AS $$
BEGIN
  RETURN ${s}.url_encode(hmac(signables, secret, CASE algorithm WHEN 'HS256' THEN 'sha256' WHEN 'HS384' THEN 'sha384' WHEN 'HS512' THEN 'sha512' END));
END $$;
CREATE OR REPLACE FUNCTION ${s}.sign(payload json, secret text, algorithm text DEFAULT 'HS256') RETURNS text LANGUAGE plpgsql IMMUTABLE AS $$
DECLARE signables text := ${s}.url_encode(convert_to(json_build_object('alg', algorithm, 'typ', 'JWT')::text, 'utf8')) || '.' || ${s}.url_encode(convert_to(payload::text, 'utf8'));
BEGIN
  RETURN signables || '.' || ${s}.algorithm_sign(signables, secret, algorithm);
END $$;
CREATE OR REPLACE FUNCTION ${s}.verify(token text, secret text, algorithm text DEFAULT 'HS256') RETURNS TABLE(header json, payload json, valid boolean) LANGUAGE sql IMMUTABLE AS $$
  SELECT convert_from(${s}.url_decode(split_part($1, '.', 1)), 'utf8')::json, convert_from(${s}.url_decode(split_part($1, '.', 2)), 'utf8')::json,
         split_part($1, '.', 3) = ${s}.algorithm_sign(split_part($1, '.', 1) || '.' || split_part($1, '.', 2), $2, $3) $$;`;
    },
  },
  // (Supabase's JSON Schema validation, in CHECK constraints: nokhte's `CHECK (jsonb_matches_schema('{…}', flags))`,
  // whose ADD CONSTRAINT failed with 42883 after the CREATE EXTENSION, and every DROP CONSTRAINT of it after with 42704)
  pg_jsonschema: {
    provides: 'json_matches_schema(), jsonb_matches_schema(), jsonschema_is_valid() (true for every document: checks nothing), jsonschema_validation_errors() (none)',
    sql: (schema) => {
      const s = quoteIdent(schema);
      return `CREATE SCHEMA IF NOT EXISTS ${s};
CREATE OR REPLACE FUNCTION ${s}.json_matches_schema(schema json, instance json) RETURNS boolean LANGUAGE sql IMMUTABLE AS $$ SELECT true $$;
CREATE OR REPLACE FUNCTION ${s}.jsonb_matches_schema(schema json, instance jsonb) RETURNS boolean LANGUAGE sql IMMUTABLE AS $$ SELECT true $$;
CREATE OR REPLACE FUNCTION ${s}.jsonschema_is_valid(schema json) RETURNS boolean LANGUAGE sql IMMUTABLE AS $$ SELECT true $$;
CREATE OR REPLACE FUNCTION ${s}.jsonschema_validation_errors(schema json, instance json) RETURNS text[] LANGUAGE sql IMMUTABLE AS $$ SELECT '{}'::text[] $$;`;
    },
  },
  // (a supabase db dump's first lines: `CREATE EXTENSION IF NOT EXISTS "pg_graphql" WITH SCHEMA "graphql"`; build-umass/umass-photo)
  pg_graphql: {
    provides: 'schema graphql: graphql.resolve(…) (answers every query with an error, runs none)',
    sql: () => `CREATE SCHEMA IF NOT EXISTS graphql;
CREATE OR REPLACE FUNCTION graphql.resolve("query" text, "variables" jsonb DEFAULT '{}'::jsonb, "operationName" text DEFAULT NULL, "extensions" jsonb DEFAULT NULL) RETURNS jsonb LANGUAGE sql AS $$ SELECT jsonb_build_object('errors', jsonb_build_array(jsonb_build_object('message', 'pg_graphql is a stand-in here'))) $$;`,
  },
  // (every supabase db dump of 2023–24 begins with `CREATE EXTENSION IF NOT EXISTS "pgsodium" WITH SCHEMA "pgsodium"`,
  // which migrations then never call: recogito/recogito-server's 20230524173605_remote_commit.sql)
  pgsodium: {
    provides: 'schema pgsodium, empty (none of its functions: a call of one still fails)',
    sql: (schema) => `CREATE SCHEMA IF NOT EXISTS ${quoteIdent(schema === 'public' ? 'pgsodium' : schema)};`,
  },
  moddatetime: {
    provides: 'moddatetime() trigger function (sets the column it names to now())',
    sql: (schema) => `CREATE SCHEMA IF NOT EXISTS ${quoteIdent(schema)};
CREATE OR REPLACE FUNCTION ${quoteIdent(schema)}.moddatetime() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  NEW := jsonb_populate_record(NEW, jsonb_build_object(TG_ARGV[0], now()));
  RETURN NEW;
END $$;`,
  },
};

/** The extension and schema a CREATE EXTENSION names (unquoted names lower-cased), if it is one. */
const CREATE_EXTENSION = /^\s*create\s+extension\s+(?:if\s+not\s+exists\s+)?("[^"]+"|[A-Za-z0-9_-]+)(?:\s+with)?(?:\s+schema\s+("[^"]+"|[A-Za-z0-9_]+))?/i;
const unquote = (name: string) => (name.startsWith('"') ? name.slice(1, -1).replace(/""/g, '"') : name.toLowerCase());

/** Stub SQL for what the files reference but do not create (see the header); `preinstalled`: extensions to create in `extensions`. */
/**
 * Supabase's auth schema as a stub: the schema, and the functions and auth.users the migrations
 * do not create themselves (statbus makes its own auth.uid() RETURNS integer in a schema its
 * init script makes: a stub returning uuid would reject it, 42P13).
 */
function authSchemaSql(allSql: string): string {
  const creates = (re: string) => new RegExp(re, 'i').test(allSql);
  const parts = ['CREATE SCHEMA auth; GRANT USAGE ON SCHEMA auth TO PUBLIC;'];
  for (const [name, sql] of Object.entries(AUTH_FUNCTIONS)) {
    if (!creates(`create\\s+(or\\s+replace\\s+)?function\\s+${ident('auth')}\\s*\\.\\s*${ident(name)}\\s*\\(`)) parts.push(sql);
  }
  if (!creates(`create\\s+table\\s+(if\\s+not\\s+exists\\s+)?${ident('auth')}\\s*\\.\\s*${ident('users')}\\b`)) parts.push(AUTH_USERS);
  return parts.join('\n');
}

function stubSql(allSql: string, opts: VerifyOptions, preinstalled: string[] = []): { sql: string; schemas: string[] } {
  const parts: string[] = [];
  const schemas: string[] = [];
  const creates = (re: string) => new RegExp(re, 'i').test(allSql);
  for (const r of SUPABASE_ROLES) {
    const mentioned = new RegExp(`(^|[^A-Za-z0-9_$])${r.name}($|[^A-Za-z0-9_$])`).test(allSql) || opts.roles?.includes(r.name);
    if (mentioned && !creates(`create\\s+(role|user)\\s+${ident(r.name)}(\\s|;|$)`)) parts.push(createRoleSql(r.name, r.bypassrls));
  }
  const createsSchema = (s: string) => creates(`create\\s+schema\\s+(if\\s+not\\s+exists\\s+)?${ident(s)}(\\s|;|$)`);
  const refsAuth = /(^|[^A-Za-z0-9_$])"?auth"?\s*\.\s*"?(uid|jwt|role|email|users)\b/i.test(allSql);
  if (refsAuth && !createsSchema('auth')) {
    schemas.push('auth');
    parts.push(authSchemaSql(allSql));
  }
  if (/(^|[^A-Za-z0-9_$])"?storage"?\s*\.\s*"?(objects|buckets|foldername|filename|extension)\b/i.test(allSql) && !createsSchema('storage')) {
    schemas.push('storage');
    parts.push(STORAGE_STUB);
  }
  // (on Supabase the schema is there before any migration, whatever the files do with it later:
  // tutur3u uses extensions.x in 2023 and runs `create schema if not exists extensions` in 2025)
  if (opts.supabaseDefaultPrivileges || ((preinstalled.length || /\bschema\s+"?extensions"?\b|(^|[^A-Za-z0-9_$])"?extensions"?\s*\.\s*[A-Za-z_"]/i.test(allSql)) && !createsSchema('extensions'))) {
    schemas.push('extensions');
    parts.push(`CREATE SCHEMA extensions; GRANT USAGE ON SCHEMA extensions TO PUBLIC;
      DO $$ BEGIN EXECUTE format('ALTER DATABASE %I SET search_path = public, extensions', current_database()); END $$;
      SET search_path = public, extensions;`);
  }
  for (const n of preinstalled) parts.push(`CREATE EXTENSION IF NOT EXISTS ${quoteIdent(n)} WITH SCHEMA extensions;`);
  // (Supabase Vault, installed on every Supabase database: migrations read vault.decrypted_secrets
  // and call vault.create_secret() without creating it)
  if (opts.supabaseDefaultPrivileges && /(^|[^A-Za-z0-9_$])"?vault"?\s*\.\s*"?(decrypted_secrets|secrets|create_secret|update_secret)\b/i.test(allSql) && !createsSchema('vault')) {
    schemas.push('vault');
    parts.push(VAULT_STUB);
  }
  if (opts.supabaseDefaultPrivileges) {
    for (const r of SUPABASE_ROLES) if (!parts.some((p) => p.includes(`ROLE ${r.name} `))) parts.push(createRoleSqlIfMissing(r.name, r.bypassrls));
    parts.push(`GRANT USAGE ON SCHEMA public TO anon, authenticated, service_role;
      ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT ALL ON TABLES TO anon, authenticated, service_role;
      ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT ALL ON SEQUENCES TO anon, authenticated, service_role;
      ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT ALL ON FUNCTIONS TO anon, authenticated, service_role;`);
    // (Realtime's schema: realtime.messages, whose policies authorize private channels, and realtime.topic())
    if (/(^|[^A-Za-z0-9_$])"?realtime"?\s*\.\s*"?(messages|topic|send|broadcast_changes)\b/i.test(allSql) && !createsSchema('realtime')) {
      schemas.push('realtime');
      parts.push(REALTIME_STUB);
    }
    // (Realtime's publication, which migrations add tables to)
    if (/\bsupabase_realtime\b/i.test(allSql) && !creates('create\\s+publication\\s+"?supabase_realtime\\b')) parts.push('CREATE PUBLICATION supabase_realtime;');
  }
  return { sql: parts.join('\n'), schemas };
}

function createRoleSql(name: string, bypassrls = false): string {
  return `CREATE ROLE ${quoteIdent(name)} NOLOGIN${bypassrls ? ' BYPASSRLS' : ''};`;
}

export function createRoleSqlIfMissing(name: string, bypassrls = false): string {
  return `DO $$ BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = ${quoteLiteral(name)}) THEN ${createRoleSql(name, bypassrls)} END IF; END $$;`;
}

export { quoteIdent };

export function quoteLiteral(s: string): string {
  return `'${s.replace(/'/g, "''")}'`;
}

// ---------------------------------------------------------------------------------------
// Replay

const SKIP = /^(BEGIN|START TRANSACTION|COMMIT|END|ROLLBACK|ABORT|SAVEPOINT|RELEASE|LOCK|PREPARE TRANSACTION)\b/;
/** Every table's oid and relfilenode (a CREATE or TRUNCATE gives it a new relfilenode). */
const RELFILES = "SELECT c.oid::text || ':' || c.relfilenode::text AS k FROM pg_catalog.pg_class c WHERE c.relkind IN ('r', 'p', 'm')";
/** The table a COPY names. */
const COPY_TARGET = /^\s*copy\s+((?:"(?:[^"]|"")+"|[^\s(".]+)(?:\s*\.\s*(?:"(?:[^"]|"")+"|[^\s(".]+))?)/i;
/** FREEZE (ON, TRUE, 1) in a COPY's option list. */
const FREEZE_OPTION = /\bfreeze(?:\s+(?:on|true|1|'on'|'true'))?(\s*[,)])/i;

interface PgErrorLike {
  code?: string;
  message?: string;
  position?: string | number;
  internalPosition?: string | number;
  internalQuery?: string;
}

/** The SQLSTATE and message of what PGlite threw (XX000 when it carries no code). */
export function pgErrorOf(e: unknown): { code: string; message: string } {
  const err = e as PgErrorLike;
  return { code: typeof err.code === 'string' ? err.code : 'XX000', message: String(err.message ?? e) };
}

interface ReplayOutcome {
  errors: VerifyStatementError[];
  standIns: StandIn[];
  /** a statement after which the instance was dead */
  deadAt?: { file: number; stmt: number };
  timedOut?: boolean;
}

/** A schema name as a search_path setting writes it: quoted unless a plain lower-case identifier. */
const quotedName = (n: string): string => (/^[a-z_][a-z0-9_$]*$/.test(n) || n === '$user' ? (n === '$user' ? '"$user"' : n) : `"${n.replace(/"/g, '""')}"`);

/** Runs every statement; `skip` holds statements known to kill the instance ("file:stmt"). */
async function replay(db: PGlite, files: Prepared[], skip: Set<string>, deadline: number, progress?: VerifyOptions['onProgress']): Promise<ReplayOutcome> {
  const errors: VerifyStatementError[] = [];
  const standIns: StandIn[] = [];
  const failed = (e: VerifyStatementError) => {
    errors.push(e);
    progress?.({ kind: 'error', error: e });
  };
  // in the lint's replay order: a file included with \i / \ir runs where it is included; rollback
  // files and sections (`down.sql`, `-- migrate:down`) are not run when migrating up
  const fileIndex = new Map(files.map((p, i) => [p, i]));
  const stmtIndex = new Map(files.flatMap((p) => p.statements.map((st, i) => [st, i] as const)));
  // each file starts with the search_path a new session has (psql runs a file in a session of its
  // own, and the lint replays each so): a pg_dump's set_config('search_path', '', false) does not
  // reach the files after it
  const baseline = String((await db.query<{ search_path: string }>('SHOW search_path')).rows[0]?.search_path ?? '');
  let entry: Prepared | undefined;
  // (the auth schema a statement may find missing: what the files do not create themselves)
  const authSchema = authSchemaSql(files.map((p) => p.text).join('\n'));
  // (COPY … (FREEZE) needs its table created or truncated in the current subtransaction, which a
  // file's BEGIN … COMMIT gives it; each statement runs in a transaction of its own here, so the
  // tables' relfilenodes as the file's BEGIN — or its latest SAVEPOINT — found them are kept:
  // a table with another one since was created or truncated in that transaction)
  const freezes = files.some((p) => /\bfreeze\b/i.test(p.text));
  let txRelfiles: Set<string> | undefined;
  const relfiles = async (): Promise<Set<string>> => new Set((await db.query<{ k: string }>(RELFILES)).rows.map((r) => r.k));
  for (const { file: pf, stmt: st, entry: from } of replayOrder(files)) {
    if (Date.now() > deadline) return { errors, standIns, timedOut: true };
    if (from !== entry) txRelfiles = undefined; // (a session of its own: no transaction open)
    // (a graphile-migrate project's files start with its .gmrc's pgSettings search_path, which it sets on each connection)
    if (from !== entry && from.startPath) await db.query(`SELECT pg_catalog.set_config('search_path', $1, false)`, [from.startPath.map(quotedName).join(', ')]).catch(() => undefined);
    else if (entry !== undefined && from !== entry && baseline) await db.exec(`SET search_path = ${baseline}`).catch(() => undefined);
    entry = from;
    const f = fileIndex.get(pf)!;
    const s = stmtIndex.get(st)!;
    const head = leadingWords(st.text, 2);
    if (skip.has(`${f}:${s}`)) {
      failed({ file: pf.file, offset: st.start, code: '54001', message: `${DEAD_MESSAGE} (${DEAD_NOTE})`, statementStart: st.start, statementEnd: st.end });
      continue;
    }
    if (SKIP.test(head) && !/^BEGIN ATOMIC/.test(head)) {
      if (freezes) {
        if (/^(BEGIN|START TRANSACTION)\b/.test(head)) txRelfiles ??= await relfiles();
        else if (/^SAVEPOINT\b/.test(head)) txRelfiles &&= await relfiles();
        else if (/^(COMMIT|END|ABORT)\b/.test(head) || (/^ROLLBACK\b/.test(head) && head !== 'ROLLBACK TO')) txRelfiles = undefined;
      }
      continue;
    }
    progress?.({ kind: 'statement', file: pf.file, start: st.start, end: st.end });
    let err = await runStatement(db, st, authSchema);
    if (err?.code === '55000' && txRelfiles && /COPY FREEZE/.test(err.message)) {
      // (its table was created or truncated since the file's BEGIN: in the file's transaction the COPY works; FREEZE only marks the rows frozen)
      const target = COPY_TARGET.exec(withoutComments(st.text))?.[1];
      const unfrozen = st.text.replace(FREEZE_OPTION, 'FREEZE false$1');
      const k = target && unfrozen !== st.text ? (await db.query<{ k: string }>(`${RELFILES} AND oid = pg_catalog.to_regclass($1)`, [target]).catch(() => undefined))?.rows[0]?.k : undefined;
      if (k && !txRelfiles.has(k)) err = await runStatement(db, { ...st, text: unfrozen }, authSchema);
    }
    if (!(await alive(db))) return { errors, standIns, deadAt: { file: f, stmt: s } };
    if (err?.code === '0A000') {
      const m = CREATE_EXTENSION.exec(withoutComments(st.text));
      const ext = m ? unquote(m[1]!) : undefined;
      const stand = ext ? STAND_INS[ext] : undefined;
      if (stand && (await asSuperuser(db, stand.sql(m![2] ? unquote(m![2]) : 'public')))) {
        standIns.push({ file: pf.file, offset: st.start, extension: ext!, provides: stand.provides });
        err = undefined;
      }
    }
    if (err) {
      const offset = st.start + Math.min(errorIndex(err), st.end - st.start);
      failed({ file: pf.file, offset, code: err.code, message: err.message, statementStart: st.start, statementEnd: st.end });
    }
  }
  return { errors, standIns };
}

/** UTF-16 index in the statement of PostgreSQL's error position: `position`, or
 * `internalPosition` inside `internalQuery` when that query text appears in the statement
 * (a statement inside a DO block or function body). 0 when neither is known. */
function errorIndex(err: StatementError): number {
  const pos = err.position !== undefined ? Number(err.position) : 0;
  if (pos > 0) return codePointPosToUtf16(err.sent, pos) - err.shift(pos);
  const ipos = err.internalPosition !== undefined ? Number(err.internalPosition) : 0;
  if (ipos > 0 && err.internalQuery) {
    const at = err.sent.indexOf(err.internalQuery);
    if (at >= 0) return at + codePointPosToUtf16(err.internalQuery, ipos);
  }
  return 0;
}

interface StatementError {
  code: string;
  message: string;
  position?: string | number;
  internalPosition?: string | number;
  internalQuery?: string;
  /** the text sent */
  sent: string;
  /** UTF-16 shift between the sent text and the file at a sent position (COPY rewrite) */
  shift: (pos: number) => number;
}

/** Runs one statement (creating missing roles / Supabase stubs and retrying); returns its error. */
/**
 * PGlite's superuser. PGlite does not go back to it on `RESET SESSION AUTHORIZATION` (nor on
 * `SET SESSION AUTHORIZATION DEFAULT`, `RESET ALL`, or a ROLLBACK of the SET): after `SET
 * SESSION AUTHORIZATION app` the session stays `app` (measured on PGlite 0.5). PostgreSQL goes
 * back to the user that connected. `SET SESSION AUTHORIZATION postgres` does, on both.
 */
const PGLITE_SUPERUSER = 'postgres';
const BACK_TO_SUPERUSER = `SET SESSION AUTHORIZATION ${PGLITE_SUPERUSER}`;
/** A statement resetting the session authorization: run as BACK_TO_SUPERUSER (see PGLITE_SUPERUSER). */
const RESETS_SESSION = /^\s*(?:reset\s+session\s+authorization|set\s+(?:session\s+)?session\s+authorization\s+default)\s*;?\s*$/i;

/** Flyway (or Liquibase) placeholders, as the lint reads them (parse.ts): `${app_user}`, `${flyway:defaultSchema}` (ASCII: their replacement keeps every offset). */
const FLYWAY_PLACEHOLDERS = new RegExp(FLYWAY_PLACEHOLDER_SOURCE, 'g');
const FLYWAY_PLACEHOLDER = new RegExp(FLYWAY_PLACEHOLDER_SOURCE);

async function runStatement(db: PGlite, st: SqlStatement, authSchema: string): Promise<StatementError | undefined> {
  let sent = RESETS_SESSION.test(withoutComments(st.text)) ? BACK_TO_SUPERUSER : st.text;
  let shift = (_pos: number) => 0;
  let blob: Blob | undefined;
  if (st.copyData !== undefined) {
    // COPY … FROM stdin would wait for data forever: send the data as PGlite's /dev/blob
    const m = /\bfrom\s+(stdin)\b/i.exec(sent);
    if (m) {
      const at = m.index + m[0].length - m[1]!.length;
      sent = `${sent.slice(0, at)}'/dev/blob'${sent.slice(at + m[1]!.length)}`;
      const delta = "'/dev/blob'".length - m[1]!.length;
      const atCp = [...sent.slice(0, at)].length;
      shift = (pos: number) => (pos - 1 > atCp ? delta : 0);
      blob = new Blob([st.copyData]);
    }
  } else if (/^copy\b[\s\S]*\bfrom\s+stdin\b/i.test(withoutComments(sent))) {
    return { code: '22P04', message: 'COPY FROM stdin without data', sent, shift };
  }
  const repaired = new Set<string>();
  let filled = false;
  for (;;) {
    try {
      if (blob) await db.query(sent, [], { blob });
      else await db.exec(sent);
      return undefined;
    } catch (e) {
      const err = e as PgErrorLike;
      const { code, message } = pgErrorOf(e);
      // Flyway's (and Liquibase's) `${name}` placeholders, which the tool replaces before PostgreSQL
      // sees the text: a name of the same length there, as the lint reads them (parse.ts
      // placeholderAt; `${APP_USER}` → __app_user_, a role then created if missing)
      if (code === '42601' && !filled && FLYWAY_PLACEHOLDER.test(sent)) {
        filled = true;
        sent = sent.replace(FLYWAY_PLACEHOLDERS, (m) => m.replace(/[^A-Za-z0-9_]/g, '_'));
        continue;
      }
      // each missing thing is repaired once; a repeated error is the statement's own
      if (!repaired.has(message) && repaired.size < 50 && (await repair(db, code, message, authSchema))) {
        repaired.add(message);
        continue;
      }
      return { code, message, position: err.position, internalPosition: err.internalPosition, internalQuery: err.internalQuery, sent, shift };
    }
  }
}

/** Creates what an error says is missing, when it is something a platform provides (a role,
 * a Supabase auth function). Returns true if the statement should be retried. */
async function repair(db: PGlite, code: string, message: string, authSchema: string): Promise<boolean> {
  const role = /^role "(.+)" does not exist$/.exec(message);
  if (role && (code === '42704' || code === '22023')) {
    const name = role[1]!;
    if (['public', 'current_user', 'session_user', 'current_role'].includes(name.toLowerCase())) return false;
    return asSuperuser(db, createRoleSqlIfMissing(name, name === 'service_role'));
  }
  const fn = /^function auth\.(uid|jwt|role|email)\(\) does not exist$/.exec(message);
  if (fn && code === '42883') return asSuperuser(db, `CREATE SCHEMA IF NOT EXISTS auth; ${AUTH_FUNCTIONS[fn[1]!]}`);
  if (code === '3F000' && /^schema "auth" does not exist$/.test(message)) {
    return asSuperuser(db, authSchema);
  }
  return false;
}

/** Runs `sql` as the superuser even if the migrations changed the session's role. */
async function asSuperuser(db: PGlite, sql: string): Promise<boolean> {
  const state = (await db.query<{ role: string; su: string; cu: string }>(`SELECT current_setting('role') AS role, session_user AS su, current_user AS cu`)).rows[0];
  try {
    await db.exec(`${BACK_TO_SUPERUSER}; ${sql}`);
    return true;
  } catch {
    return false;
  } finally {
    if (state && state.su !== state.cu) {
      const restore = [`SET SESSION AUTHORIZATION ${quoteIdent(state.su)}`];
      if (state.role && state.role !== 'none') restore.push(`SET ROLE ${quoteIdent(state.role)}`);
      await db.exec(restore.join('; ')).catch(() => undefined);
    }
  }
}

// ---------------------------------------------------------------------------------------
// Probes

interface TableRef {
  schema: string;
  name: string;
}

/**
 * The roles the default probes read as: the roles policies name, the roles granted a privilege
 * on an RLS table (policies without TO apply to them), and Supabase's anon/authenticated;
 * never a superuser or BYPASSRLS role.
 */
async function probeRoles(db: PGlite): Promise<string[]> {
  const r = await db.query<{ name: string }>(
    `SELECT DISTINCT r.rolname::text AS name FROM (
       SELECT unnest(roles)::text AS name FROM pg_policies
       UNION SELECT g.grantee::regrole::text FROM pg_class c, aclexplode(c.relacl) g
             WHERE c.relrowsecurity AND g.grantee <> 0 AND g.grantee <> c.relowner
       UNION SELECT rolname::text FROM pg_roles WHERE rolname IN ('authenticated', 'anon')) x
     JOIN pg_roles r ON quote_ident(r.rolname) = x.name OR r.rolname = x.name
     WHERE x.name <> 'public' AND NOT r.rolsuper AND NOT r.rolbypassrls AND r.rolname NOT LIKE 'pg\\_%'
     ORDER BY 1`,
  );
  return r.rows.map((x) => x.name);
}

async function defaultProbes(db: PGlite, stubSchemas: string[], roles: string[] | undefined, seeded: boolean): Promise<ProbeSpec[]> {
  const tables = (
    await db.query<TableRef>(
      `SELECT n.nspname AS schema, c.relname AS name FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
       WHERE c.relrowsecurity AND c.relkind IN ('r', 'p') AND n.nspname NOT IN ('pg_catalog', 'information_schema')
         AND NOT (n.nspname = ANY($1::text[]))
       ORDER BY 1, 2`,
      [stubSchemas],
    )
  ).rows;
  let roleNames = roles ?? (await probeRoles(db));
  // No role at all: every policy is for PUBLIC and the migrations grant nothing (the app's role
  // and its grants are made elsewhere). A stand-in role, granted the table inside each probe's
  // rolled-back transaction, reads it as that role would: PUBLIC's policies apply to it.
  const standIn = !roles && roleNames.length === 0 && tables.length > 0;
  if (standIn) {
    await db.exec(createRoleSqlIfMissing(STAND_IN_ROLE));
    roleNames = [STAND_IN_ROLE];
  }
  // with seeded rows, Supabase's authenticated is the user the rows name (SEED_USER)
  const signedIn = (role: string) => {
    const settings = seeded ? requestOf(role) : undefined;
    return settings ? { settings } : {};
  };
  const probes: ProbeSpec[] = [];
  for (const t of tables) for (const role of roleNames) probes.push({ table: `${quoteIdent(t.schema)}.${quoteIdent(t.name)}`, role, ...(standIn ? { grantInProbe: true } : {}), ...signedIn(role) });
  // then, for the tables with INSERT, UPDATE or DELETE policies, a write of each such command
  // that changes nothing (rolled back; UPDATE and DELETE match no row): PostgreSQL expands a
  // command's policies before it runs it, so a write whose policies recurse (an INSERT policy
  // reading its own table while its SELECT policies hold a sub-select, T31) fails with 42P17 or
  // 54001 where a SELECT does not. Its other outcomes (a NOT NULL column, WITH CHECK) say
  // nothing about recursion.
  const writes = (
    await db.query<TableRef & { ins: boolean; upd: boolean; del: boolean; col: string | null }>(
      `SELECT n.nspname AS schema, c.relname AS name,
              bool_or(p.polcmd IN ('a', '*')) AS ins, bool_or(p.polcmd IN ('w', '*')) AS upd, bool_or(p.polcmd IN ('d', '*')) AS del,
              (SELECT quote_ident(a.attname) FROM pg_attribute a WHERE a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
                  AND a.attidentity = '' AND a.attgenerated = '' ORDER BY a.attnum LIMIT 1) AS col
       FROM pg_policy p JOIN pg_class c ON c.oid = p.polrelid JOIN pg_namespace n ON n.oid = c.relnamespace
       WHERE c.relrowsecurity AND c.relkind IN ('r', 'p') AND p.polcmd <> 'r' AND n.nspname NOT IN ('pg_catalog', 'information_schema')
         AND NOT (n.nspname = ANY($1::text[]))
       GROUP BY c.oid, n.nspname, c.relname ORDER BY 1, 2`,
      [stubSchemas],
    )
  ).rows;
  for (const t of writes) {
    const table = `${quoteIdent(t.schema)}.${quoteIdent(t.name)}`;
    const sqls: string[] = [];
    if (t.ins) sqls.push(`INSERT INTO ${table} DEFAULT VALUES`);
    if (t.upd && t.col) sqls.push(`UPDATE ${table} SET ${t.col} = ${t.col} WHERE false`);
    if (t.del) sqls.push(`DELETE FROM ${table} WHERE false`);
    for (const role of roleNames) for (const sql of sqls) probes.push({ table, role, sql, recursionOnly: true, ...(standIn ? { grantInProbe: true } : {}), ...signedIn(role) });
  }
  return probes;
}

/**
 * The uuid of every seeded row's uuid columns, and the user Supabase's `authenticated` probes
 * are signed in as (auth.uid()): the seeded rows are that user's, so policies comparing a
 * column with auth.uid() admit them and run what they call on them.
 */
export const SEED_USER = '00000000-0000-4000-8000-00000000005e';

/** Another user than SEED_USER: the user an INSERT the `policy` exposures make names (a row that is not the signed-in user's). */
export const OTHER_USER = '00000000-0000-4000-8000-0000000000ff';

/** The request settings of a Supabase request signed in as SEED_USER (what auth.uid(), auth.jwt() read). */
const SIGNED_IN: Record<string, string> = {
  'request.jwt.claim.sub': SEED_USER,
  'request.jwt.claim.role': 'authenticated',
  'request.jwt.claims': JSON.stringify({ sub: SEED_USER, role: 'authenticated', aud: 'authenticated' }),
};

/**
 * The request settings of an anonymous Supabase request: PostgREST sets the claims of the anon
 * key's JWT for it too (role anon, no sub: auth.uid() is NULL). Unset, a read as anon would see
 * what an earlier transaction-local set left in the session ('', T15b), which PostgREST never
 * lets a request see.
 */
const ANON_REQUEST: Record<string, string> = {
  'request.jwt.claim.role': 'anon',
  'request.jwt.claims': JSON.stringify({ role: 'anon' }),
};

/** What a probe or look as `role` reads with, when rows are seeded: Supabase's authenticated signed in as SEED_USER, anon as an anonymous request. */
function requestOf(role: string): Record<string, string> | undefined {
  return role === 'authenticated' ? SIGNED_IN : role === 'anon' ? ANON_REQUEST : undefined;
}

/**
 * For each RLS table but partitions (whose parent gets the row), or each table without RLS when
 * $2 is false (partitions too), the columns an INSERT must name (NOT NULL without a default, or of a NOT
 * NULL domain), a value of each by its type's category, and the type to cast it to (an explicit
 * cast to varchar(n) truncates). A type it has no value for gets NULL: that INSERT fails, and
 * says why.
 */
const SEED_ROWS = `
SELECT c.oid::regclass::text AS rel, quote_ident(n.nspname) || '.' || quote_ident(c.relname) AS name, n.nspname AS schema,
       array_agg(quote_ident(a.attname) ORDER BY a.attnum) FILTER (WHERE a.need) AS cols,
       array_agg(a.val ORDER BY a.attnum) FILTER (WHERE a.need) AS vals,
       array_agg(a.typ ORDER BY a.attnum) FILTER (WHERE a.need) AS types
FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
LEFT JOIN LATERAL (
  SELECT a.attnum, a.attname, format_type(a.atttypid, a.atttypmod) AS typ,
         ((a.attnotnull OR t.typnotnull) AND NOT a.atthasdef AND a.attidentity = '' AND a.attgenerated = ''
          -- (a uuid primary key too, default or not: a function looking the row up by the uuid it is given finds it)
          OR (e.typname = 'uuid' AND a.attgenerated = '' AND EXISTS (SELECT 1 FROM pg_index i WHERE i.indrelid = c.oid AND i.indisprimary AND a.attnum = ANY (i.indkey)))) AS need,
         CASE
           WHEN e.typtype = 'e' THEN coalesce((SELECT quote_literal(enumlabel) FROM pg_enum WHERE enumtypid = e.oid ORDER BY enumsortorder LIMIT 1), 'NULL')
           WHEN e.typname = 'uuid' THEN '''${SEED_USER}'''
           WHEN e.typname IN ('json', 'jsonb') THEN '''{}'''
           WHEN e.typname = 'bytea' THEN '''\\x00'''
           WHEN e.typcategory = 'A' THEN '''{}'''
           WHEN e.typcategory = 'N' THEN '1'
           WHEN e.typcategory = 'B' THEN 'true'
           WHEN e.typcategory = 'D' THEN 'now()'
           WHEN e.typcategory = 'T' THEN '''1 day'''
           WHEN e.typcategory = 'S' THEN '''seed'''
           WHEN e.typcategory = 'I' THEN '''127.0.0.1'''
           WHEN e.typcategory = 'V' THEN '''0'''
           WHEN e.typcategory = 'R' THEN '''empty'''
           WHEN e.typcategory = 'G' THEN '''(0,0)'''
           ELSE 'NULL'
         END AS val
  FROM pg_attribute a JOIN pg_type t ON t.oid = a.atttypid
  JOIN pg_type e ON e.oid = CASE WHEN t.typtype = 'd' THEN t.typbasetype ELSE t.oid END
  WHERE a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
) a ON true
WHERE c.relrowsecurity = $2 AND c.relkind IN ('r', 'p') AND (NOT c.relispartition OR NOT $2)
  AND n.nspname NOT IN ('pg_catalog', 'information_schema') AND NOT (n.nspname = ANY($1::text[]))
GROUP BY c.oid, n.nspname, c.relname
ORDER BY 2`;

/**
 * Puts one row into each RLS table the replay left empty, as the superuser (no policy applies)
 * with `session_replication_role = replica` (foreign keys and ordinary triggers do not fire:
 * the row needs no parent rows, and no trigger writes elsewhere). A probe then reads a table
 * with a row in it, so each policy is evaluated on a row: an expression that fails per row
 * (`current_setting('app.x')` unset: 42704) or recurses per row (an invoker helper reading its
 * own table: 54001) fails the probe, where on an empty table it never runs. A table whose row
 * PostgreSQL refuses (a CHECK constraint, a NOT NULL column of a type without a value here) is
 * left empty and listed with the error.
 */
async function seed(db: PGlite, stubSchemas: string[]): Promise<SeedResult[]> {
  const out: SeedResult[] = [];
  for (const r of await seedRows(db, stubSchemas, true)) {
    if ((await db.query(`SELECT 1 AS one FROM ${r.rel} LIMIT 1`)).rows.length > 0) continue;
    const err = await seedTable(db, r, false);
    out.push(err ? { table: r.name, outcome: 'error', code: err.code, message: err.message } : { table: r.name, outcome: 'seeded' });
  }
  return out;
}

export interface SeedRow {
  rel: string;
  name: string;
  schema: string;
  cols: string[] | null;
  vals: string[] | null;
  types: string[] | null;
}

export async function seedRows(db: PGlite, stubSchemas: string[], rls: boolean): Promise<SeedRow[]> {
  return (await db.query<SeedRow>(SEED_ROWS, [stubSchemas, rls])).rows;
}

/** Puts the row into the table (see seed()); `inTx`: inside the caller's transaction, which keeps it until it rolls back. */
export async function seedTable(db: PGlite, r: SeedRow, inTx: boolean): Promise<{ code: string; message: string } | undefined> {
  const cols = r.cols ?? [];
  const vals = r.vals ?? [];
  const types = r.types ?? [];
  let err = await insertRow(db, r.rel, cols, vals, types, inTx);
  if (err?.code === '23514') {
    // a CHECK constraint keeping a column to a list of values (`status IN ('draft', 'done')`):
    // the first value of the list instead
    const checks = (await db.query<{ def: string }>(`SELECT pg_get_constraintdef(oid) AS def FROM pg_constraint WHERE conrelid = $1::regclass AND contype = 'c'`, [r.rel])).rows;
    const picked = vals.map((v, i) => checkedValue(checks.map((c) => c.def), cols[i]!) ?? v);
    if (picked.some((v, i) => v !== vals[i])) err = await insertRow(db, r.rel, cols, picked, types, inTx);
  }
  return err;
}

/**
 * A value a CHECK constraint admits for `col`: the first it lists (`col = ANY (ARRAY['a'::text,
 * …])`, `col = 'a'`), or one more than its lower bound (`col > 0`); as pg_get_constraintdef writes it.
 */
function checkedValue(defs: string[], col: string): string | undefined {
  const name = col.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  for (const def of defs) {
    const m = new RegExp(`\\(*${name}\\)?(?:::[\\w ]+)?\\s*=\\s*(?:ANY\\s*\\(\\(?ARRAY\\[)?('(?:[^']|'')*'(?:::[\\w ]+)?)`).exec(def);
    if (m) return m[1];
    // a least length (`length(col) > 3`, `char_length(col) >= 5`): that many x's
    const l = new RegExp(`(?:char_length|character_length|length)\\(${name}(?:::[\\w ]+)?\\)\\s*(>=?)\\s*(\\d+)`).exec(def);
    if (l && Number(l[2]) < 1000) return `'${'x'.repeat(Number(l[2]) + (l[1] === '>' ? 1 : 0))}'`;
    // a lower bound (`col > 0`, `col >= 1`), not inside a call: one more than it
    const b = new RegExp(`(?<!\\w\\()\\(*${name}\\)?(?:::[\\w ]+)?\\s*>=?\\s*\\(?(-?\\d+(?:\\.\\d+)?)`).exec(def);
    if (b) return String(Number(b[1]) + 1);
    // a pattern whose first alternative is a plain word (`col ~ '^(owner|member)$'`): that word
    const r = new RegExp(`\\(*${name}\\)?(?:::[\\w ]+)?\\s*~\\*?\\s*'\\^\\(?([A-Za-z0-9_ -]+)(?:\\||\\)?\\$')`).exec(def);
    if (r) return `'${r[1]}'`;
    // LIKE (`col ~~ '%@%'`): its wildcards made x's
    const k = new RegExp(`\\(*${name}\\)?(?:::[\\w ]+)?\\s*~~\\*?\\s*'((?:[^'\\\\]|'')*)'`).exec(def);
    if (k) return `'${k[1]!.replace(/%/g, 'x').replace(/_/g, 'x')}'`;
  }
  return undefined;
}

/** The INSERT of a seed row (see SEED_ROWS); `value` may change each value's text. */
export function insertSql(r: SeedRow, value: (v: string) => string = (v) => v, cast = true): string {
  const cols = r.cols ?? [];
  // (`cast` false: each value is coerced to its column's type, which names no type)
  const values = (r.vals ?? []).map((v, i) => (cast ? `${value(v)}::${r.types![i]}` : value(v))).join(', ');
  return cols.length ? `INSERT INTO ${r.rel} (${cols.join(', ')}) VALUES (${values})` : `INSERT INTO ${r.rel} DEFAULT VALUES`;
}

async function insertRow(db: PGlite, rel: string, cols: string[], vals: string[], types: string[], inTx: boolean): Promise<{ code: string; message: string } | undefined> {
  const insert = insertSql({ rel, name: rel, schema: '', cols, vals, types });
  // (in the caller's transaction: a savepoint, so that a refused row leaves it usable; the
  // setting then lasts until the transaction ends)
  try {
    await db.exec(inTx ? `SAVEPOINT seed; SET LOCAL session_replication_role = replica; ${insert}; RELEASE SAVEPOINT seed` : `BEGIN; SET LOCAL session_replication_role = replica; ${insert}; COMMIT`);
    return undefined;
  } catch (e) {
    await db.exec(inTx ? 'ROLLBACK TO SAVEPOINT seed' : 'ROLLBACK').catch(() => undefined);
    return pgErrorOf(e);
  }
}

/**
 * The custom settings (`app.tenant_id`: a dotted name) that policies, or functions outside the
 * stubs, read with current_setting.
 */
async function settingsRead(db: PGlite, stubSchemas: string[]): Promise<string[]> {
  const rows = (
    await db.query<{ name: string }>(
      `SELECT DISTINCT m[1] AS name FROM (
         SELECT regexp_matches(coalesce(qual, '') || ' ' || coalesce(with_check, ''), 'current_setting\\(\\s*''([^'']+)''', 'gi') AS m FROM pg_policies
         UNION ALL
         SELECT regexp_matches(p.prosrc, 'current_setting\\s*\\(\\s*''([^'']+)''', 'gi') FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
         WHERE n.nspname NOT IN ('pg_catalog', 'information_schema') AND NOT (n.nspname = ANY($1::text[]))) x
       WHERE m[1] ~ '^[A-Za-z_][A-Za-z0-9_$]*(\\.[A-Za-z_][A-Za-z0-9_$]*)+$'
       ORDER BY 1`,
      [stubSchemas],
    )
  ).rows;
  return rows.map((r) => r.name);
}

function commandOf(sql: string | undefined): ProbeCommand {
  const w = sql ? leadingWords(sql, 1) : 'SELECT';
  if (w === 'INSERT') return 'insert';
  if (w === 'UPDATE') return 'update';
  if (w === 'DELETE') return 'delete';
  if (w === 'WITH' && sql) {
    const m = /\)\s*(insert|update|delete)\b/i.exec(withoutComments(sql));
    if (m) return m[1]!.toLowerCase() as ProbeCommand;
  }
  return 'select';
}

async function runProbe(db: PGlite, p: ProbeSpec): Promise<ProbeResult> {
  const base = {
    table: p.table,
    role: p.role,
    command: commandOf(p.sql),
    ...(p.recursionOnly ? { recursionOnly: true } : {}),
    ...(p.grantInProbe ? { grantedInProbe: true } : {}),
    ...(p.settings === SIGNED_IN ? { signedIn: true } : {}),
  };
  let inTx = false;
  try {
    await db.exec('BEGIN');
    inTx = true;
    if (p.grantInProbe) {
      const schema = (await db.query<{ s: string }>(`SELECT quote_ident(n.nspname) AS s FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE c.oid = $1::regclass`, [p.table])).rows[0]?.s;
      await db.exec(`${schema ? `GRANT USAGE ON SCHEMA ${schema} TO ${quoteIdent(p.role)}; ` : ''}GRANT SELECT, INSERT, UPDATE, DELETE ON ${p.table} TO ${quoteIdent(p.role)}`);
    }
    await db.exec(`SET LOCAL ROLE ${quoteIdent(p.role)}`);
    for (const [k, v] of Object.entries(p.settings ?? {})) await db.query('SELECT set_config($1, $2, true)', [k, v]);
    let rows: number | undefined;
    if (p.sql) {
      const res = await db.query<Record<string, unknown>>(p.sql);
      rows = res.fields.length > 0 ? res.rows.length : (res.affectedRows ?? 0);
    } else {
      const res = await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM ${p.table}`);
      rows = res.rows.length === 1 ? res.rows[0]!.n : undefined;
    }
    // (a count answering no row at all: the instance died in it, and is asked nothing more)
    if (rows === undefined) markDead(db);
    if (rows === undefined || !(await alive(db))) return { ...base, outcome: 'dead', code: '54001', message: DEAD_MESSAGE };
    return { ...base, outcome: 'ok', rows };
  } catch (e) {
    if (!(await alive(db))) return { ...base, outcome: 'dead', code: '54001', message: DEAD_MESSAGE };
    return { ...base, outcome: 'error', ...pgErrorOf(e) };
  } finally {
    if (inTx && !isDead(db)) await db.exec('ROLLBACK').catch(() => undefined);
  }
}

// ---------------------------------------------------------------------------------------
// Entry point

export async function verify(files: VerifyFile[], opts: VerifyOptions = {}): Promise<VerifyResult> {
  // the budget covers the replay and the probes: it starts once PGlite has started (0.7–4 s)
  let deadline = Infinity;
  if (opts.timeoutMs !== undefined && opts.timeoutMs <= 0) return { statementErrors: [], probes: [], pgVersion: '', timedOut: true };
  const prepared: Prepared[] = files.map((f) => ({ file: f.file, text: f.text, ...splitSqlWithIncludes(f.text), ...(f.startPath ? { startPath: f.startPath } : {}) }));
  // (as the lint replays them: a Supabase project's folders inside supabase/migrations/ when nothing is right in it)
  const history = historyInArchives(files.map((f) => f.file));
  for (const p of prepared) if (history.has(p.file)) markArchiveReplayed(p, true);
  const allSql = prepared.map((p) => p.statements.map((s) => s.text).join(';\n')).join(';\n');

  const extensions: Record<string, Extension> = {};
  const created = new Set<string>();
  for (const m of allSql.matchAll(/create\s+extension\s+(if\s+not\s+exists\s+)?("[^"]+"|[A-Za-z0-9_-]+)/gi)) {
    const name = m[2]!.replace(/"/g, '').toLowerCase();
    // (one the platform has already: a plain CREATE EXTENSION of it fails there with 42710, and so
    // here; one written IF NOT EXISTS finds it, as there)
    if (!m[1]) created.add(name);
    const ext = contribExtension(name);
    if (ext) extensions[name.replace(/-/g, '_')] = ext;
  }
  // what the platform installs before the migrations run and the files do not create
  const preinstalled = opts.supabaseDefaultPrivileges ? SUPABASE_EXTENSIONS.filter((n) => !created.has(n) && contribExtension(n)) : [];
  for (const n of preinstalled) extensions[n.replace(/-/g, '_')] = contribExtension(n)!;

  const stubs = stubSql(allSql, opts, preinstalled);
  const setup = async (db: PGlite) => {
    if (!stubs.sql.trim()) return;
    // stubs are best effort: one that fails (say, a role the files also create) is left out
    await db.exec(stubs.sql).catch(async () => {
      for (const st of splitSql(stubs.sql)) await db.exec(st.text).catch(() => undefined);
    });
  };

  let db: PGlite | undefined;
  let result: VerifyResult = { statementErrors: [], probes: [], pgVersion: '' };
  try {
    // replay; if a statement kills the instance, restart and replay without it
    const skip = new Set<string>();
    let outcome: ReplayOutcome;
    for (;;) {
      db = await startInstance(extensions, undefined, opts.cacheDir);
      if (!result.pgVersion) {
        const v = (await db.query<{ v: string }>('SELECT version() AS v')).rows[0]!.v;
        result.pgVersion = /^PostgreSQL \S+(?: \(PGlite [^)]+\))?/.exec(v)?.[0] ?? v;
      }
      await setup(db);
      if (deadline === Infinity) deadline = Date.now() + (opts.timeoutMs ?? 60_000);
      opts.onProgress?.({ kind: 'replay', pgVersion: result.pgVersion });
      outcome = await replay(db, prepared, skip, deadline, opts.onProgress);
      if (!outcome.deadAt) break;
      skip.add(`${outcome.deadAt.file}:${outcome.deadAt.stmt}`);
      await closeQuietly(db);
      db = undefined;
    }
    result.statementErrors = outcome.errors;
    if (outcome.standIns.length) result.standIns = outcome.standIns;
    if (outcome.timedOut) return { ...result, timedOut: true };
    opts.onProgress?.({ kind: 'replayed' });

    // (a pg_dump's `SET row_security = off` would make every probe of an RLS table fail with
    // 42501 "query would be affected by row-level security policy", before any privilege check)
    await db.exec(`${BACK_TO_SUPERUSER}; RESET ROLE; RESET row_security;`);
    // roles asked for but never created by the files (created after the replay, so a file's
    // own CREATE ROLE does not collide)
    for (const r of opts.roles ?? []) await db.exec(createRoleSqlIfMissing(r)).catch(() => undefined);
    if (opts.seed) result.seeded = await seed(db, stubs.schemas);
    const probes = opts.probes ?? (await defaultProbes(db, stubs.schemas, opts.roles, !!result.seeded));
    // a dump of the replayed state restarts a dead instance in ~0.5 s instead of a replay
    let snapshot: Blob | undefined;
    for (const p of probes) {
      if (Date.now() > deadline) return { ...result, timedOut: true };
      snapshot ??= await db.dumpDataDir('none');
      opts.onProgress?.({ kind: 'probe', probe: p, command: commandOf(p.sql) });
      const r = await runProbe(db, p);
      result.probes.push(r);
      opts.onProgress?.({ kind: 'probed', result: r });
      if (r.outcome === 'dead') {
        await closeQuietly(db);
        db = await startInstance(extensions, snapshot);
      }
    }
    if (opts.probes) return result;
    // then what roles can get that findings say they should not
    const roles = opts.roles ?? (await probeRoles(db));
    const seeded = !!result.seeded;
    result.exposures = [];
    const specs = await exposureSpecs(db, stubs.schemas, roles, (role) => (seeded ? requestOf(role) : undefined), !opts.supabaseDefaultPrivileges, !!opts.anonymousSignIns);
    for (const spec of specs) {
      if (Date.now() > deadline) return { ...result, timedOut: true };
      snapshot ??= await db.dumpDataDir('none');
      const head = { kind: spec.kind, object: spec.object, role: spec.role };
      opts.onProgress?.({ kind: 'exposure', exposure: head });
      let r: ExposureResult;
      try {
        await db.exec('BEGIN');
        r = { ...head, ...(await spec.run(db)) };
      } catch (e) {
        r = { ...head, ...pgErrorOf(e), shown: false };
      } finally {
        if (!isDead(db)) await db.exec('ROLLBACK').catch(() => undefined);
      }
      // (a look's query answered nothing: the instance is not asked anything more)
      if (isDead(db) || !(await alive(db))) {
        r = { ...head, code: '54001', message: DEAD_MESSAGE, shown: false };
        await closeQuietly(db);
        db = await startInstance(extensions, snapshot);
        // (the snapshot is the replay's: without the roles the exposures made, the owner and the stand-in)
        if (specs.some((x) => x.kind === 'owner' || x.kind === 'row-security' || x.kind === 'trigger-force')) await ownerRole(db);
        await db.exec(createRoleSqlIfMissing(STAND_IN_ROLE));
      }
      result.exposures.push(r);
      opts.onProgress?.({ kind: 'exposed', result: r });
    }
    // then, as on a pooled connection after a transaction that set the policies' settings
    // locally (set_config(…, true), SET LOCAL): each now reads '' rather than NULL (T15b), so a
    // cast such as current_setting('app.tenant', true)::uuid fails with 22P02. Last, since a
    // setting once defined stays defined for the session: the reads that passed, again.
    const settings = probes.length ? await settingsRead(db, stubs.schemas) : [];
    if (settings.length === 0) return result;
    // (result.probes holds one result per spec, in order)
    const again = probes.filter((p, i) => !p.sql && result.probes[i]!.outcome === 'ok');
    if (again.length === 0) return result;
    await db.exec(`BEGIN; ${settings.map((n) => `SELECT set_config(${quoteLiteral(n)}, 'x', true);`).join(' ')} COMMIT;`);
    for (const p of again) {
      if (Date.now() > deadline) return { ...result, timedOut: true };
      opts.onProgress?.({ kind: 'probe', probe: p, command: 'select' });
      const r: ProbeResult = { ...(await runProbe(db, p)), settingsEnded: settings };
      result.probes.push(r);
      opts.onProgress?.({ kind: 'probed', result: r });
      if (r.outcome === 'dead') break; // (a new instance would not have the settings defined)
    }
    return result;
  } finally {
    await closeQuietly(db);
  }
}

/** One line for a probe, e.g.
 * `authenticated SELECT public.tenant_users → 42P17 infinite recursion detected in policy for relation "tenant_users"`. */
export function formatOutcome(p: ProbeResult): string {
  const head = `${p.role} ${p.command.toUpperCase()} ${p.table} →`;
  const after = p.settingsEnded ? ` (after a transaction that set ${p.settingsEnded.join(', ')} locally ended: ${p.settingsEnded.length === 1 ? 'it reads' : 'each reads'} '')` : '';
  if (p.outcome === 'ok') {
    const n = p.rows ?? 0;
    return `${head} ${n} row${n === 1 ? '' : 's'}${after}`;
  }
  if (p.outcome === 'dead') return `${head} 54001 ${p.message ?? DEAD_MESSAGE} (${DEAD_NOTE})${after}`;
  return `${head} ${p.code ?? 'XX000'} ${p.message ?? ''}`.trimEnd() + after;
}
