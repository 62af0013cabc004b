// How findings are shown where each costs the reader (an editor's hover, GitHub's annotations,
// which it caps per step, the CLI's text output): a run of one rule's findings at one place that
// differ in a few words — a DO block's loop making a policy on each table it reaches — as one. Pure.
import type { Finding } from './workspace.js';

/** How many findings of one rule at one place, none with a fix, shown as one (mergeRepeated). */
const MERGE_FROM = 4;
/** How many of the merged findings' own words mergeRepeated lists before counting the rest. */
const MERGE_LISTED = 8;

/**
 * The findings as the editor and GitHub's annotations show them: those of one rule at one place
 * (the same range), with no fix, four or more, whose messages differ in a few words only — a DO
 * block's loop making a policy on each of the tables it reaches (LanternOps/breeze's 0008 gives
 * 248 at one EXECUTE) — as one,
 * the first one's message naming the others' words (`… on public.a (and the same for public.b,
 * public.c and 59 more) has no TO clause …`). A hover then shows one message, not hundreds. Others
 * as they are, in order. (The CLI's text output shows them so too; JSON and SARIF list each.)
 */
export function mergeRepeated(findings: readonly Finding[]): readonly Finding[] {
  let out: Finding[] | undefined;
  for (let i = 0; i < findings.length; ) {
    const f = findings[i]!;
    let j = i + 1;
    while (j < findings.length && findings[j]!.start === f.start) j++;
    // (the findings at one start: those of one rule and end, with no fix, in groups)
    if (j - i >= MERGE_FROM) {
      const groups = new Map<string, Finding[]>();
      for (let k = i; k < j; k++) {
        const x = findings[k]!;
        const key = x.fixes.length === 0 ? `${x.rule}\u0000${x.end}\u0000${x.severity}` : `\u0001${k}`;
        const g = groups.get(key);
        if (g) g.push(x);
        else groups.set(key, [x]);
      }
      const merged: Finding[] = [];
      for (const g of groups.values()) merged.push(...(g.length >= MERGE_FROM ? mergedFindings(g) : g));
      if (merged.length !== j - i) (out ??= findings.slice(0, i)).push(...merged);
      else if (out) out.push(...findings.slice(i, j));
    } else if (out) out.push(...findings.slice(i, j));
    i = j;
  }
  return out ?? findings;
}

/**
 * Findings of one rule at one place as shown: each with those whose messages differ from its own in
 * one run of three words or fewer, where there are MERGE_FROM of them, as one; the others as they are.
 */
function mergedFindings(g: readonly Finding[]): Finding[] {
  const out: Finding[] = [];
  let left = g.map((f) => ({ f, words: f.message.split(' ') }));
  while (left.length) {
    const anchor = left[0]!;
    const like: string[] = [];
    const rest: typeof left = [];
    let from = -1;
    let to = -1;
    for (const x of left.slice(1)) {
      const span = differingSpan(anchor.words, x.words);
      // (the same words differ for every one merged: `on public.b` beside `on public.a`)
      if (span && (from < 0 || (span[0] === from && span[1] === to))) {
        [from, to] = span;
        like.push(x.words.slice(from, to).join(' ').replace(/[,.;:]$/, ''));
      } else rest.push(x);
    }
    if (like.length + 1 >= MERGE_FROM) {
      const listed = [...new Set(like)].slice(0, MERGE_LISTED);
      const more = new Set(like).size - listed.length;
      const also = `(and the same for ${listed.join(', ')}${more > 0 ? ` and ${more} more` : ''})`;
      out.push({ ...anchor.f, message: [...anchor.words.slice(0, to), also, ...anchor.words.slice(to)].join(' ') });
      left = rest;
    } else {
      out.push(anchor.f);
      left = left.slice(1);
    }
  }
  return out;
}

/** The one run of positions (three words or fewer) where two messages of as many words differ, or undefined. */
function differingSpan(a: readonly string[], b: readonly string[]): [number, number] | undefined {
  if (a.length !== b.length) return undefined;
  let from = -1;
  let to = -1;
  for (let i = 0; i < a.length; i++) {
    if (a[i] === b[i]) continue;
    if (from < 0) from = i;
    else if (i !== to) return undefined;
    to = i + 1;
  }
  return from >= 0 && to - from <= 3 ? [from, to] : undefined;
}
