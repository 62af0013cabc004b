import { activePoliciesWithKey, constBool } from '../analysis/policy-exprs.js';
import { appliesToRole, onSupabasePlatform } from '../analysis/policies.js';
import { platformPrivileges, privilegesOf } from '../analysis/privileges.js';
import type { Policy } from '../analysis/model.js';
import { listOr } from '../analysis/words.js';
import { defineRule } from './types.js';
import { quoteIdent, selectableColumns, valueColumns } from './lib/util.js';

// A table holding secrets that prove who holds them — an invitation's token, a share link's token,
// a reset code, a password hash, an API key — read "by token" through a SELECT policy whose USING is
// always true (Howdy-Hills/invoice-tracker's org_invites: "Allow anyone to read by token … the token
// is a UUID so it's unguessable", `FOR SELECT USING (true)`): the policy does not filter by the
// token, it shows every row, token included, to every role it applies to. policy-always-true leaves
// SELECT alone (public reads are common and deliberate); this rule reports only tables with such a
// column. Pure: reads the model.

/**
 * Column names that hold a secret: a token, a secret, an API key, a password (`access_password`,
 * projetoananias' campaign_links: not a flag such as `has_password`) or its hash, an invite or reset code.
 */
const SECRET_COLUMN = /^(?:token|secret|api_?key|(?:(?!(?:has|is|requires?|needs?|must|force|change|no)_)[a-z0-9]+_)?(?:password|passcode)|password_hash|(?:[a-z0-9]+_)*(?:invite|invitation|access|share|sharing|magic|reset|verification|verify|confirm|confirmation|api|refresh|auth|session|portal|join|link)_(?:token|code|secret|key)|(?:[a-z0-9]+_)?(?:token|secret|password)_hash|(?:[a-z0-9]+_)?(?:client|api|webhook|signing)_secret)$/;

/**
 * Secret columns that are a credential of the row's owner — a password or its hash, a passcode —
 * rather than a bearer secret that finds its row (a token, a code, a key): one is checked against
 * the row it belongs to, never used to look rows up (two users may share a password, and a lookup
 * by it answers anyone's guesses against every row).
 */
const PASSWORD_COLUMN = /^(?:[a-z0-9]+_)?(?:password|passcode)(?:_hash)?$/;
/**
 * A password that guards a thing the row is, shared with whoever may enter it — a game room's or a
 * lobby's (Hunter28-lucky/Esports-india's tournaments.room_password, shown to the players who
 * joined), a meeting's, a Wi-Fi network's —, not an account's credential: reading it signs no one
 * in as anybody, it lets them in where it is asked for. The word before `_password` names the thing.
 */
const SHARED_PASSWORD_COLUMN = /^(room|lobby|game|match|server|wifi|door|channel|meeting|zoom|tournament|event)_(?:password|passcode)$/;

/**
 * Secret columns the server keeps to act toward another service — a client secret, a webhook's or
 * a signing secret — and OAuth tokens of another service (access or refresh): no client looks rows
 * up by them (Receptionally/whhops' connected_accounts.access_token, a Stripe account's OAuth
 * token), so a lookup by the secret is no remedy; an access token may also be a share link's,
 * which the message allows for.
 */
const SERVER_SECRET_COLUMN = /^(?:[a-z0-9]+_)?(?:client|webhook|signing)_secret$/;
const OAUTH_TOKEN_COLUMN = /^(?:[a-z0-9]+_)?(?:access|refresh)_token$/;

/**
 * The hash of a bearer secret (`token_hash`, `secret_hash`; a password's is PASSWORD_COLUMN's):
 * read, it is not the secret the application asks for — a hash of a long random token cannot be
 * reversed — but one of a short code can be found by hashing every possible code, and an
 * application that compares what it is given with the column unhashed makes the hash the secret
 * (joseph-ehler/moto-mind-ai's auth_magic_links.token_hash, magic links by e-mail or SMS).
 */
const SECRET_HASH_COLUMN = /^(?:[a-z0-9]+_)?(?:token|secret)_hash$/;

export const policySecretReadable = defineRule({
  meta: {
    id: 'policy-secret-readable',
    description: 'A SELECT policy whose USING is always true shows anon or every signed-in user every row of a table holding a secret column (a token, a password hash, an API key), the secret included.',
    severity: 'warning',
    category: 'security',
    fixKind: 'none',
    guards:
      'A permissive SELECT policy with USING (true) admits every row to its roles: a lookup "by token" through it does not filter by the token, and every caller reads every row\'s token, so a token no longer proves who holds it.',
  },
  check({ model, report }) {
    model.tables.forEach((t) => {
      if (!t.rlsEnabled) return;
      // (a boolean column named as one, `reset_password`, is a flag, not the secret)
      const named = secretColumns(t.columns);
      if (named.length === 0) return;
      const allSecrets = valueColumns(t, named);
      if (allSecrets.length === 0) return;
      const policies = activePoliciesWithKey(model, t.key);
      const reading = (p: Policy) => p.command === 'select' || p.command === 'all';
      // (a RESTRICTIVE SELECT policy for the role may tie the rows to the caller: left alone)
      const restricted = (role: string) => policies.some((q) => !q.permissive && reading(q) && appliesToRole(model, q, role) && (q.using === undefined || constBool(q.using) !== true));
      for (const p of policies) {
        if (!p.permissive || !reading(p) || !p.using || constBool(p.using) !== true) continue;
        // anon first (every request with the anon key alone), else every signed-in user
        // (the role may read the table: granted, or by Supabase's default privileges where the
        // migrations may run there, calling its auth functions: then the message says so)
        const granted = (r: string) => privilegesOf(model, t, r).has('select');
        const maybe = (r: string) => platformPrivileges(model, t, r, true).includes('select');
        // (SELECT granted on some columns only: a secret the role cannot name is out of its reach, 42501 — the advice below, done)
        const role = (['anon', 'authenticated'] as const).find((r) => appliesToRole(model, p, r) && !restricted(r) && (granted(r) || maybe(r)) && selectableColumns(model, t, r, allSecrets).length > 0);
        if (!role) continue;
        const secrets = selectableColumns(model, t, role, allSecrets);
        const hedge = granted(role) ? '' : ` (if the migrations run on Supabase as postgres — they call Supabase's auth functions — whose default privileges grant ${role} SELECT on the table)`;
        const who = role === 'anon' ? "anon (any request with the project's public anon key, without signing in)" : 'authenticated (every signed-in user: anyone who signs up, where sign-ups are open)';
        const anyone = role === 'anon' ? 'anyone' : 'every signed-in user';
        const col = secrets[0]!;
        // (what the role may read now, the secrets aside: a column its grant already leaves out stays out)
        const others = selectableColumns(model, t, role, t.columns).filter((c) => !allSecrets.includes(c));
        const grantFix = `keep ${secrets.length > 1 ? listOr(secrets, 'and') : col} out of what ${role} may read (REVOKE SELECT ON ${t.key} FROM ${role}; GRANT SELECT (${others.length ? others.map(quoteIdent).join(', ') : '…'}) ON ${t.key} TO ${role}: a query naming ${secrets.length > 1 ? 'one of them' : col} then fails with 42501).`;
        // (a password is checked against its own row, not used to find one: customers.password, lagp0310/ecommerce-example)
        const password = PASSWORD_COLUMN.test(col.toLowerCase());
        const shared = SHARED_PASSWORD_COLUMN.exec(col.toLowerCase());
        // (a secret the server keeps toward another service, or an OAuth token: not a lookup key — whhops' connected_accounts.access_token)
        const server = SERVER_SECRET_COLUMN.test(col.toLowerCase());
        const oauth = OAUTH_TOKEN_COLUMN.test(col.toLowerCase());
        const hashed = SECRET_HASH_COLUMN.test(col.toLowerCase());
        const key = t.keys.find((k) => k.length === 1)?.[0] ?? (t.columns.includes('id') ? 'id' : undefined);
        // (who reads it past the policies: Supabase's service_role (BYPASSRLS), and the owner unless the table is FORCE'd, T13)
        const bypassers = [...(onSupabasePlatform(model) ? ['service_role'] : []), ...(t.rlsForced ? [] : ["the table's owner"])];
        const bypass = `a role that bypasses row-level security (${bypassers.length ? bypassers.join(', ') : 'one with BYPASSRLS'})`;
        report({
          ...p.nameLoc,
          message:
            `Policy "${p.name}" on ${t.key} shows every row to ${who}${hedge}: its USING is always true, so it filters nothing, and ${secrets.length > 1 ? `the columns ${listOr(secrets, 'and')} of ${t.key} hold secrets` : `the column ${col} of ${t.key} holds a secret`}: ${anyone} reads every row's ${col} (SELECT ${quoteIdent(col)} FROM ${t.key})${password || hashed ? '' : `, not only the row whose ${col} they already hold`}. ` +
            (shared
              ? `A password that guards the ${shared[1]!.toLowerCase()}, not an account, lets whoever reads it in wherever it is asked for, as if it had been given to them. ` +
                `${grantFix.charAt(0).toUpperCase()}${grantFix.slice(1, -1)}, and give it only to those meant to have it, through a SECURITY DEFINER function that checks who calls (or one that takes the row's key and the password and answers only whether they match, where users type it).`
              : password
              ? (/_hash$/i.test(col) ? `A password hash can be cracked offline once it is read, and the password found signs in as the row's owner. ` : `A password lets whoever reads it sign in as the row's owner. `) +
                `Check it in a SECURITY DEFINER function that takes the row's ${key ? `key and the password and answers only whether they match (… WHERE ${quoteIdent(key)} = p_${key.toLowerCase()} AND ${quoteIdent(col)} = …)` : 'key and the password and answers only whether they match'}, not one that looks rows up by the password (two users may share one, and any caller could test guesses against every row), and drop this policy; or ${grantFix}`
              : server
                ? `A secret the server keeps to act toward another service (to sign or verify its webhooks, to authenticate as the app) lets whoever reads it act as the app toward that service. ` +
                  `No client needs it: drop this policy and read ${col} only as ${bypass}, or put it where ${role} cannot read it; or ${grantFix}`
                : hashed
                  ? `${col} is the hash of a secret, not the secret: a hash of a long random token cannot be turned back into the token, so reading it alone does not let anyone use it; ` +
                    `but a short code's (a 6-digit code sent by SMS or e-mail) is found offline by hashing every possible code until one matches (unless the hash is keyed with a secret only the server holds, an HMAC), and then whoever read it acts as its holder; ` +
                    `and where the application compares what it is given with ${col} without hashing it first, the hash is itself the secret. ` +
                    `Look rows up in a SECURITY DEFINER function that takes the secret, hashes it and reads only the row whose ${col} matches, and drop this policy; or ${grantFix}`
                : oauth
                  ? `A token proves nothing once everyone can list them: whoever reads one acts as its holder — toward the service that issued it, for an OAuth token the server keeps (a connected account's), or as the link's holder, for a share link's token. ` +
                    `Where only the server uses it, drop this policy and read ${col} only as ${bypass}; where clients look a row up by it, do that in a SECURITY DEFINER function that takes it and reads only the row it matches (… WHERE ${quoteIdent(col)} = p_${col.toLowerCase()}), and drop this policy; or ${grantFix}`
                  : `A secret that proves who holds it (an invitation's or a share link's token, a reset code) proves nothing once everyone can list them: whoever reads one acts as its holder. ` +
                    `Look rows up by the secret in a SECURITY DEFINER function that takes it and reads only the row it matches (… WHERE ${quoteIdent(col)} = p_${col.toLowerCase()}), and drop this policy; or ${grantFix}`),
        });
      }
    });
  },
});

/**
 * The columns of a list that hold secrets (SECRET_COLUMN), kept per list: a re-lint's tables the
 * edit did not touch keep theirs (the bench's 2,234 tables' columns were lower-cased and tested
 * again at every re-lint).
 */
export function secretColumns(columns: readonly string[]): readonly string[] {
  let out = secretsByColumns.get(columns);
  if (out === undefined) {
    const found = columns.filter((c) => SECRET_COLUMN.test(c.toLowerCase()));
    secretsByColumns.set(columns, (out = found.length ? found : NO_COLUMNS));
  }
  return out;
}
const secretsByColumns = new WeakMap<readonly string[], readonly string[]>();
const NO_COLUMNS: readonly string[] = [];
