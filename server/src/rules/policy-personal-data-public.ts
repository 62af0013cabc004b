import { activePoliciesWithKey, constBool } from '../analysis/policy-exprs.js';
import { appliesToRole } from '../analysis/policies.js';
import { platformPrivileges, privilegesOf } from '../analysis/privileges.js';
import type { Policy } from '../analysis/model.js';
import { listOr } from '../analysis/words.js';
import { defineRule } from './types.js';
import { quoteIdent, selectableColumns, valueColumns } from './lib/util.js';
import { secretColumns } from './policy-secret-readable.js';

// A table of people's contact details — e-mail addresses, phone numbers, dates of birth — behind a
// SELECT policy whose USING is always true and that applies to anon: AshrafElshaer/Staff-Optima's (an
// applicant-tracking system's) users, `email` and `phone_number`, under "Public Can View User" `FOR
// SELECT USING (true)`; Yayirobe99/mighty-alpaca-drift's (an HR leave manager's) profiles, with every
// employee's email, under "Los perfiles públicos son visibles por todos." The policy filters nothing,
// so any request with the project's anon key, without signing in, lists every row's address.
// policy-always-true leaves SELECT alone (public reads are common and deliberate), and
// policy-secret-readable reports only secrets; this rule reports only such columns, and only for
// anon (every signed-in user reading a team's addresses is often the point). Pure: reads the model.

/**
 * Column names that hold a person's contact or identity data: an e-mail address (`email`,
 * `email_address`, `contact_email`), a phone number (`phone`, `phone_number`, `mobile`), a date of
 * birth, a home address, a national identity or passport number.
 */
const PERSONAL_COLUMN =
  /^(?:(?:[a-z0-9]+_)*(?:e_?mail(?:_address)?|phone(?:_number|_no)?|mobile(?:_number|_phone|_no)?|cell_?phone|telephone(?:_number)?)|date_of_birth|birth_?date|dob|(?:home|street|postal|mailing|residential)_address|ssn|social_security_number|national_id(?:_number)?|passport_(?:number|no))$/;

export const policyPersonalDataPublic = defineRule({
  meta: {
    id: 'policy-personal-data-public',
    description: "A SELECT policy whose USING is always true shows anon every row of a table holding people's e-mail addresses, phone numbers or dates of birth.",
    severity: 'warning',
    category: 'security',
    fixKind: 'none',
    guards:
      "A permissive SELECT policy with USING (true) for anon admits every row to any request made with the project's public anon key: every row's e-mail address or phone number is listed to anyone who asks.",
  },
  check({ model, report }) {
    model.tables.forEach((t) => {
      if (!t.rlsEnabled) return;
      const named = personalColumns(t.columns);
      if (named.length === 0) return;
      // (a boolean column named as one, `mobile`, is a flag, not the number)
      const values = valueColumns(t, named);
      if (values.length === 0) return;
      // (a table with a secret column anon may read too: policy-secret-readable reports the policy, with the graver harm)
      if (selectableColumns(model, t, 'anon', valueColumns(t, secretColumns(t.columns))).length) return;
      const policies = activePoliciesWithKey(model, t.key);
      const reading = (p: Policy) => p.command === 'select' || p.command === 'all';
      // (a RESTRICTIVE SELECT policy for anon may ask something: left alone)
      const restricted = policies.some((q) => !q.permissive && reading(q) && appliesToRole(model, q, 'anon') && (q.using === undefined || constBool(q.using) !== true));
      if (restricted) return;
      for (const p of policies) {
        // (FOR SELECT only: an always-true FOR ALL policy lets anon change every row too, which
        // policy-always-true reports — hire-speedy-ai's "System can manage outreach_messages")
        if (!p.permissive || p.command !== 'select' || !p.using || constBool(p.using) !== true || !appliesToRole(model, p, 'anon')) continue;
        // (anon may read the table: granted, or by Supabase's default privileges where the migrations may run there)
        const granted = privilegesOf(model, t, 'anon').has('select');
        if (!granted && !platformPrivileges(model, t, 'anon', true).includes('select')) continue;
        // (SELECT granted on some columns only: those anon cannot name are out of its reach, 42501)
        const personal = selectableColumns(model, t, 'anon', values);
        if (personal.length === 0) return;
        const hedge = granted ? '' : " (if the migrations run on Supabase as postgres — they call Supabase's auth functions — whose default privileges grant anon SELECT on the table)";
        const cols = listOr(personal, 'and');
        // (what anon may read now, the personal columns aside: a column its grant already leaves out stays out)
        const others = selectableColumns(model, t, 'anon', t.columns).filter((c) => !values.includes(c));
        report({
          ...p.nameLoc,
          message:
            `Policy "${p.name}" on ${t.key} shows every row to anon (any request with the project's public anon key, without signing in${p.roles.includes('public') ? (p.implicitPublic ? ': it has no TO clause, so it applies to PUBLIC' : ': it is TO PUBLIC') : ''})${hedge}: its USING is always true, so it filters nothing, ` +
            `and ${personal.length > 1 ? `the columns ${cols} hold` : `the column ${cols} holds`} people's personal data: anyone, signed in or not, lists every row's ${cols} (SELECT ${personal.map(quoteIdent).join(', ')} FROM ${t.key}) and can collect them all. ` +
            `If anon needs the other columns (a public profile's name), keep ${personal.length > 1 ? 'these' : 'this one'} out of what anon may read: REVOKE SELECT ON ${t.key} FROM anon; GRANT SELECT (${others.length ? others.map(quoteIdent).join(', ') : '…'}) ON ${t.key} TO anon (a query naming ${personal.length > 1 ? 'one of them' : cols}, or SELECT *, then fails with 42501). ` +
            `If only signed-in users need the rows, write TO authenticated (and a condition on the caller where each user should see only some rows). If the data is meant to be public (a business's contact details), say so by lowering this rule here.`,
        });
      }
    });
  },
});

/** The columns of a list that hold personal data (PERSONAL_COLUMN), kept per list as secretColumns does. */
function personalColumns(columns: readonly string[]): readonly string[] {
  let out = personalByColumns.get(columns);
  if (out === undefined) {
    const found = columns.filter((c) => PERSONAL_COLUMN.test(c.toLowerCase()));
    personalByColumns.set(columns, (out = found.length ? found : NO_COLUMNS));
  }
  return out;
}
const personalByColumns = new WeakMap<readonly string[], readonly string[]>();
const NO_COLUMNS: readonly string[] = [];
