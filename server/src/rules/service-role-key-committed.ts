// service-role-key-committed: a Supabase key that bypasses row-level security is written in a SQL
// file: a legacy service_role key (a JWT whose `role` claim is service_role) or a secret API key
// (`sb_secret_…`). Supabase's API runs a request bearing either as the service_role role, which
// has BYPASSRLS: no policy applies, so whoever reads the repository reads and changes every row
// the API reaches. Calibration: cron jobs calling Edge Functions with `"Authorization": "Bearer
// eyJ…"` in net.http_post's headers (Superbro-Crm, Job-Hunter-4U, putuporshutup: project keys,
// `iss` supabase, with their project's `ref`). The keys every local Supabase stack shares (the
// JWT with `iss` supabase-demo, the CLI's default `sb_secret_N7UND0…`) are no secret and are not
// reported (chatbot-ui's setup.sql), nor is an anon (publishable) key, public by design.
import type { ParsedFile, Statement } from '../analysis/types.js';
import { defineRule } from './types.js';

/** A JWT: header and payload are base64url JSON objects (`eyJ` is `{"`), then a signature. */
const JWT = /eyJ[A-Za-z0-9_-]{8,}\.(eyJ[A-Za-z0-9_-]{8,})\.[A-Za-z0-9_-]{16,}/g;
/** Supabase's secret API key. */
const SECRET_KEY = /sb_secret_[A-Za-z0-9_-]{20,}/g;
/** The secret key of every local stack the Supabase CLI starts (printed by `supabase status`, the same for everyone). */
const LOCAL_SECRET_KEY = 'sb_secret_N7UND0UgjKTVK-Uodkm0Hg_xSvEMPvz';

interface KeyFound {
  start: number;
  end: number;
  kind: 'jwt' | 'secret';
  /** the JWT's project ref, if its payload names one */
  ref?: string;
  /** the JWT's expiry (`exp`, seconds), if any */
  exp?: number;
}

/** A JWT payload's claims (base64url JSON), or undefined when it is not one. */
function claimsOf(payload: string): Record<string, unknown> | undefined {
  try {
    const b64 = payload.replace(/-/g, '+').replace(/_/g, '/');
    const json = JSON.parse(atob(b64 + '='.repeat((4 - (b64.length % 4)) % 4)));
    return json && typeof json === 'object' && !Array.isArray(json) ? json : undefined;
  } catch {
    return undefined;
  }
}

/** The keys bypassing RLS written in a file's text, kept per parsed file (a re-lint scans the edited file only). */
const keysByFile = new WeakMap<ParsedFile, readonly KeyFound[]>();
const NONE: readonly KeyFound[] = [];

function keysIn(pf: ParsedFile): readonly KeyFound[] {
  let out = keysByFile.get(pf);
  if (out !== undefined) return out;
  const text = pf.text;
  const found: KeyFound[] = [];
  if (text.includes('eyJ')) {
    for (const m of text.matchAll(JWT)) {
      const claims = claimsOf(m[1]!);
      // (the local stack's key, the same for everyone, is no secret)
      if (claims?.role !== 'service_role' || claims.iss === 'supabase-demo') continue;
      found.push({
        start: m.index!,
        end: m.index! + m[0].length,
        kind: 'jwt',
        ref: typeof claims.ref === 'string' ? claims.ref : undefined,
        exp: typeof claims.exp === 'number' ? claims.exp : undefined,
      });
    }
  }
  if (text.includes('sb_secret_')) {
    for (const m of text.matchAll(SECRET_KEY)) if (m[0] !== LOCAL_SECRET_KEY) found.push({ start: m.index!, end: m.index! + m[0].length, kind: 'secret' });
  }
  out = found.length ? found.sort((a, b) => a.start - b.start) : NONE;
  keysByFile.set(pf, out);
  return out;
}

/** The file's top-level statement holding `offset`, if any (not a comment between statements). */
function statementAt(pf: ParsedFile, offset: number): Statement | undefined {
  for (const s of pf.statements) if (s.origin === 'file' && s.start <= offset && offset < s.end) return s;
  return undefined;
}

/** What storing the statement does with the key besides the repository holding it. */
function stored(pf: ParsedFile, stmt: Statement | undefined): string {
  if (!stmt) return '';
  const text = pf.text.slice(stmt.start, stmt.end);
  if (/\bcreate_secret\s*\(|\bvault\s*\.\s*secrets\b/i.test(text)) return ' Supabase Vault keeps it encrypted in the database, but this migration writes it in clear text.';
  if (stmt.kind === 'AlterDatabaseSetStmt' || stmt.kind === 'AlterRoleSetStmt') {
    const name = stmt.node?.setstmt?.name;
    const of = stmt.kind === 'AlterDatabaseSetStmt' ? 'the database' : 'the role';
    return ` PostgreSQL also keeps the setting in pg_catalog.pg_db_role_setting, which every role can read, and starts every new session of ${of} with it${typeof name === 'string' ? `: any role reads it with current_setting('${name}')` : ''}.`;
  }
  if (stmt.kind === 'CreateFunctionStmt')
    return ' PostgreSQL also keeps the function\'s definition as written: every role that can connect to the database reads the key in pg_catalog.pg_proc (prosrc), whose SELECT is granted to PUBLIC.';
  return '';
}

export const serviceRoleKeyCommitted = defineRule({
  meta: {
    id: 'service-role-key-committed',
    description: "A Supabase key that bypasses row-level security (a service_role JWT or an sb_secret_ key) is written in a SQL file: whoever reads the repository reads and changes every row the project's API reaches.",
    severity: 'error',
    category: 'security',
    fixKind: 'none',
    sources: ['Supabase documentation, API keys (the service_role and secret keys bypass Row Level Security)'],
    guards:
      "Supabase's API runs a request bearing a service_role or secret key as the service_role role, which has BYPASSRLS: PostgreSQL applies no policy to it, so the key written in a migration opens every row to whoever reads the repository.",
  },
  check({ model, report }) {
    for (const pf of model.files) {
      const keys = keysIn(pf);
      for (let i = 0; i < keys.length; i++) {
        const k = keys[i]!;
        const what =
          k.kind === 'jwt'
            ? `This is a Supabase service_role key: a JWT whose role claim is service_role${k.ref ? ` (project ${k.ref})` : ''}${k.exp !== undefined ? `, valid until ${new Date(k.exp * 1000).toISOString().slice(0, 10)} unless the project's JWT secret changes or its legacy keys are disabled` : ''}.`
            : 'This is a Supabase secret API key (sb_secret_…).';
        const rotate =
          k.kind === 'jwt'
            ? "Rotate it now — committed, it stays in the repository's history: move the project to the new API keys and disable the legacy JWT-based ones (or change the JWT secret, which also replaces the anon key)."
            : "Rotate it now — committed, it stays in the repository's history: create a new secret key in the project's API settings and delete this one.";
        report({
          file: pf.file,
          start: k.start,
          end: k.end,
          message:
            `${what} Supabase's API (PostgREST, Storage) runs a request bearing it as the service_role role, which has BYPASSRLS: PostgreSQL applies no row-level security policy to it, so whoever reads this file — the repository, its history, every clone — can read and change every row of the tables the API exposes, whatever the policies say.` +
            stored(pf, statementAt(pf, k.start)) +
            ` ${rotate} Then keep it out of SQL: store it once in Supabase Vault, outside the migrations, and read it where it is used: (select decrypted_secret from vault.decrypted_secrets where name = 'service_role_key').`,
        });
      }
    }
  },
});
