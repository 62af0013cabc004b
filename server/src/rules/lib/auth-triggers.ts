// The trigger functions Supabase's Auth server runs: those of triggers on auth.users, in a
// Supabase project (auth-trigger-unqualified-name, auth-trigger-invoker-denied). The Auth server
// writes auth.users as supabase_auth_admin, with search_path auth: at each sign-up (INSERT), and
// at sign-ins and account changes (UPDATE: it sets last_sign_in_at at each sign-in). Pure.
import type { Func, Model, Trigger } from '../../analysis/model.js';
import { TRIGGER_DELETE, TRIGGER_INSERT, TRIGGER_UPDATE } from '../../analysis/model.js';
import { onSupabasePlatform } from '../../analysis/policies.js';
import { AUTH_USERS, fileOf, supabaseAuthUsers } from './util.js';

/** The trigger functions of the triggers on Supabase's auth.users, with those triggers (none outside a Supabase project). */
export function authUsersTriggerFunctions(model: Model): Array<{ f: Func; triggers: Trigger[] }> {
  if ((!model.supabase && !onSupabasePlatform(model)) || !supabaseAuthUsers(model)) return [];
  let byFunc: Map<string, Trigger[]> | undefined;
  for (const t of model.triggers) {
    if (t.table !== AUTH_USERS) continue;
    byFunc ??= new Map();
    const list = byFunc.get(t.func);
    if (list) list.push(t);
    else byFunc.set(t.func, [t]);
  }
  const out: Array<{ f: Func; triggers: Trigger[] }> = [];
  if (byFunc) {
    for (const [key, triggers] of byFunc) {
      const f = model.functions.get(key)?.find((x) => x.returnsTrigger && x.argTypes.length === 0);
      if (f) out.push({ f, triggers });
    }
  }
  return out;
}

/** The events of triggers as text (`each INSERT or UPDATE`), and what the Auth server does that fires them, for a message. */
export function authEvents(triggers: readonly Trigger[]): { events: string; fails: string } {
  let bits = 0;
  for (const t of triggers) bits |= t.events;
  const words = [
    [TRIGGER_INSERT, 'INSERT'],
    [TRIGGER_UPDATE, 'UPDATE'],
    [TRIGGER_DELETE, 'DELETE'],
  ]
    .filter(([b]) => bits & (b as number))
    .map(([, w]) => w as string);
  const fails: string[] = [];
  if (bits & TRIGGER_INSERT) fails.push('every sign-up fails with "Database error saving new user"');
  if (bits & TRIGGER_UPDATE) fails.push("every sign-in and account change that updates auth.users fails (the Auth server sets last_sign_in_at at each sign-in)");
  if (bits & TRIGGER_DELETE) fails.push('deleting a user fails');
  return { events: words.length ? `each ${words.join(' or ')}` : 'writes', fails: fails.join('; ') || 'the write fails' };
}

/** A PL/pgSQL body's text, comments and string literals blanked. */
export function codeOf(model: Model, f: Func): string {
  const b = f.body;
  if (!b) return '';
  return (fileOf(model, f.created.file)?.text ?? '').slice(b.start, b.end).replace(/--[^\n]*|\/\*[\s\S]*?\*\//g, ' ').replace(/'(?:[^']|'')*'/g, "''");
}

/** Whether a PL/pgSQL body has an EXCEPTION clause (it may catch an error: the write then goes on). */
export const catchesErrors = (model: Model, f: Func): boolean => /\bexception\b/i.test(codeOf(model, f));
