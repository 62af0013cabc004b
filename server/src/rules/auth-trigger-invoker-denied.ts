// auth-trigger-invoker-denied: a SECURITY INVOKER trigger function on Supabase's auth.users that
// reads or writes a table the migrations grant the Auth server's role no privilege on. A trigger
// function runs with the rights of the role whose statement fires it, unless it is SECURITY
// DEFINER; the role that writes auth.users is the Auth server's, supabase_auth_admin, which the
// platform grants nothing on the project's tables (Supabase's default privileges are for anon,
// authenticated and service_role; its docs grant supabase_auth_admin what an auth hook reads, by
// name). So `INSERT INTO public.profiles …` fails with 42501 permission denied for table
// profiles, and with it the sign-up (supabase/supabase#17186: "Database error creating new user
// … permission denied for table accounts"). Measured on PGlite
// (test/rules/auth-trigger-invoker-denied.test.ts): as supabase_auth_admin, the INSERT INTO
// auth.users fails with 42501; with the fix (SECURITY DEFINER, owned by the migrations' role) it
// passes and the profile row is there.
//
// An Auth hook (a function granted EXECUTE to supabase_auth_admin, as Supabase's hook guides do)
// is run by the same role: a custom access token hook reading public.user_roles without a grant
// fails every sign-in (measured the same way).
//
// Not reported: a body with an EXCEPTION clause, a table in schema auth (the Auth server's
// own), a table the migrations grant supabase_auth_admin (or PUBLIC, or a role it is a member of)
// a privilege on — any of SELECT for a table it only reads, any of INSERT, UPDATE or DELETE for
// one it writes —, a body that sets the role.
import { defineRule } from './types.js';
import { bodyText, codeOnly, insertAfter } from './lib/util.js';
import { AUTH_ROLE, authRunText, authServerFunctions, catchesErrors, deniedTables } from './lib/auth-triggers.js';
import { unresolved } from './auth-trigger-unqualified-name.js';


export const authTriggerInvokerDenied = defineRule({
  meta: {
    id: 'auth-trigger-invoker-denied',
    description:
      "A SECURITY INVOKER trigger function on Supabase's auth.users, or Auth hook, reads or writes a table the Auth server's role supabase_auth_admin holds no privilege on: every sign-up (or sign-in) that runs it fails with 42501.",
    severity: 'error',
    category: 'correctness',
    fixKind: 'unsafe',
    guards:
      "A trigger function runs with the rights of the role whose write fires it unless it is SECURITY DEFINER; Supabase's Auth server writes auth.users as supabase_auth_admin, which holds no privilege on the project's tables: 42501, and the sign-up fails.",
    shownBy: { exposure: 'auth-signup-rights' },
  },
  check({ model, report }) {
    for (const run of authServerFunctions(model)) {
      const f = run.f;
      if (f.securityDefiner || !f.body || f.body.errors.length) continue;
      const { denied, filtered } = deniedTables(model, f);
      if (!denied.length && !filtered.length) continue;
      // (a body that sets the role, `SET ROLE x` or `set_config('role', …)`: it may gain what it needs; the
      // setting's name is a string, so it is looked for in the body as written)
      const text = bodyText(model, f);
      if (catchesErrors(model, f) || /\bset\s+(local\s+)?role\b/i.test(codeOnly(text)) || /\bset_config\s*\(\s*'role'/i.test(text)) continue;
      const { head, fails, related } = authRunText(model, run);
      const all = [...denied, ...filtered];
      const path = [...new Set(['public', ...all.map((d) => d.table.schema)])].join(', ');
      // (a hook made SECURITY DEFINER must not stay callable by every role: Supabase's hook guide revokes it from them)
      const statements = [`ALTER FUNCTION ${f.signature} SECURITY DEFINER SET search_path = ${path}, pg_temp;`];
      if (run.hook) statements.push(`REVOKE EXECUTE ON FUNCTION ${f.signature} FROM PUBLIC, anon, authenticated;`);
      const request = run.hook ? 'request' : 'write of auth.users';
      const intro = `${head}, and it is SECURITY INVOKER: it runs with the rights of ${run.hook ? 'its caller' : 'the role that writes auth.users'}, the Auth server's supabase_auth_admin, `;
      // (a table named without its schema that the Auth server's session does not find: the statement fails with
      // 42P01 first, auth-trigger-unqualified-name's finding; 42501 comes once the name is found)
      const unfound = (unresolved(model, f)?.names ?? []).filter((n) => n.kind === 'relation');
      const once = (t: { name: string; schema: string; key: string }) =>
        unfound.some((n) => n.name === t.name && n.schema === t.schema)
          ? `Written without its schema, ${t.name} is not found in the Auth server's session (search_path auth), so the statement fails first with 42P01 (auth-trigger-unqualified-name); once it is found (written ${t.key}, or through a SET search_path), it fails with 42501`
          : undefined;
      let body: string;
      if (denied.length) {
        const first = denied[0]!;
        const masked = once(first.table);
        body =
          `which the migrations grant no privilege on ${denied.map((d) => `${d.table.key} (${d.how})`).join(', ')}: Supabase's default privileges on new tables are for anon, authenticated and service_role, not for it. ` +
          `${masked ?? 'So the statement fails with 42501'} (permission denied for table ${first.table.name}), and with it the Auth server's ${request}: ${fails}. ` +
          `Make the function SECURITY DEFINER (owned by postgres, as the migrations make it, it may use the table; keep its search_path set), or grant supabase_auth_admin what it needs on ${denied.length === 1 ? 'the table' : 'the tables'}.`;
      } else {
        // (granted, but row-level security with no policy for the role: an INSERT fails, a read sees no row)
        const inserts = filtered.filter((d) => d.how === 'written');
        const reads = filtered.filter((d) => d.how === 'read');
        const names = filtered.map((d) => d.table.key).join(', ');
        body =
          `which the migrations grant privileges on ${names}, but ${filtered.length === 1 ? 'it has' : 'they have'} row-level security and no permissive policy for supabase_auth_admin (or PUBLIC) for what the function does there. ` +
          (inserts.length
            ? `${once(inserts[0]!.table) ?? `So its INSERT into ${inserts[0]!.table.key} fails with 42501`} (new row violates row-level security policy), and with it the Auth server's ${request}: ${fails}. `
            : '') +
          (reads.length
            ? `${inserts.length ? 'And its' : 'So its'} reads of ${reads.map((d) => d.table.key).join(', ')} return no row, without an error: what it looks up there it never finds${run.hook ? ' (a custom access token hook then adds no claim)' : ''}. `
            : '') +
          `Make the function SECURITY DEFINER (owned by postgres, which bypasses row-level security on Supabase; keep its search_path set), or add a policy for supabase_auth_admin (\`FOR SELECT TO supabase_auth_admin USING (true)\`, as Supabase's hook guide does for what a hook reads).`;
      }
      report({
        ...(f.securityLoc ?? f.nameLoc),
        message: intro + body,
        related,
        fixes: [{ title: `Make ${f.signature} SECURITY DEFINER with SET search_path = ${path}, pg_temp${run.hook ? ', and revoke EXECUTE on it from PUBLIC, anon and authenticated' : ''}`, kind: 'unsafe', edits: [insertAfter(model, f.created, statements)] }],
      });
    }
  },
});
