// Source text: the top-level AND / OR parts of a policy clause located in its text (spans of the
// nodes conjuncts() / disjuncts() give), for a finding's range and a fix that drops or rewrites
// parts (policy-context-fails-open, policy-setting-bypass). Pure.
import { conjuncts, disjuncts, locationBounds, matchParen } from '../../analysis/ast.js';
import type { Node, Span } from '../../analysis/types.js';

/** Index after the quoted string, dollar-quoted string or comment that starts at i (else i + 1). */
export function skipQuoted(text: string, i: number, end: number): number {
  const c = text[i];
  if (c === "'" || c === '"') {
    const escapes = c === "'" && /[eE]/.test(text[i - 1] ?? '') && !/[\w$]/.test(text[i - 2] ?? '');
    let k = i + 1;
    while (k < end) {
      if (escapes && text[k] === '\\') k += 2;
      else if (text[k] === c && text[k + 1] === c) k += 2;
      else if (text[k] === c) return k + 1;
      else k++;
    }
    return end;
  }
  if (c === '$') {
    const m = /^\$([A-Za-z_]\w*)?\$/.exec(text.slice(i, i + 64));
    if (m && !/[\w$]/.test(text[i - 1] ?? '')) {
      const close = text.indexOf(m[0], i + m[0].length);
      return close < 0 || close >= end ? end : close + m[0].length;
    }
  }
  if (c === '-' && text[i + 1] === '-') {
    const nl = text.indexOf('\n', i);
    return nl < 0 || nl >= end ? end : nl + 1;
  }
  if (c === '/' && text[i + 1] === '*') {
    const close = text.indexOf('*/', i + 2);
    return close < 0 || close >= end ? end : close + 2;
  }
  return i + 1;
}

export function trimSpan(text: string, s: Span): Span {
  let { start, end } = s;
  while (start < end && /\s/.test(text[start]!)) start++;
  while (end > start && /\s/.test(text[end - 1]!)) end--;
  return { start, end };
}

/** The parts of `text[span]` separated by a top-level OR (or AND), outside parentheses, quotes, comments, CASE … END and BETWEEN … AND. */
function splitTop(text: string, span: Span, kw: 'OR' | 'AND'): Span[] {
  const out: Span[] = [];
  let depth = 0;
  let caseDepth = 0;
  let between = false;
  let partStart = span.start;
  let i = span.start;
  while (i < span.end) {
    const c = text[i]!;
    if (c === "'" || c === '"' || c === '$' || (c === '-' && text[i + 1] === '-') || (c === '/' && text[i + 1] === '*')) {
      i = skipQuoted(text, i, span.end);
      continue;
    }
    if (c === '(' || c === '[') depth++;
    else if (c === ')' || c === ']') depth--;
    else if (/[A-Za-z_]/.test(c) && !/[\w$]/.test(text[i - 1] ?? '')) {
      let k = i;
      while (k < span.end && /[\w$]/.test(text[k]!)) k++;
      const word = text.slice(i, k).toUpperCase();
      if (depth === 0) {
        if (word === 'CASE') caseDepth++;
        else if (word === 'END') caseDepth--;
        else if (word === 'BETWEEN') between = true;
        else if (word === 'AND' && between) between = false;
        else if (word === kw && caseDepth === 0) {
          out.push(trimSpan(text, { start: partStart, end: i }));
          partStart = k;
        }
      }
      i = k;
      continue;
    }
    i++;
  }
  out.push(trimSpan(text, { start: partStart, end: span.end }));
  return out;
}

/** The span without parentheses that enclose all of it. */
function stripParens(text: string, span: Span): Span {
  let s = trimSpan(text, span);
  while (text[s.start] === '(' && matchParen(text, s.start, s.end) === s.end - 1) s = trimSpan(text, { start: s.start + 1, end: s.end - 1 });
  return s;
}

/** splitTop, flattening parts that are themselves parenthesised lists of the same keyword (as conjuncts() / orArms() flatten nodes). */
function flatSplit(text: string, span: Span, kw: 'OR' | 'AND'): Span[] {
  const parts = splitTop(text, stripParens(text, span), kw);
  if (parts.length < 2) return [span];
  return parts.flatMap((p) => {
    const inner = stripParens(text, p);
    return splitTop(text, inner, kw).length > 1 ? flatSplit(text, inner, kw) : [p];
  });
}

export interface Part {
  node: Node;
  span: Span;
}

/** The node's AND (or OR) operands with their source spans, or undefined if the text and the tree disagree. */
export function locateParts(text: string, span: Span, node: Node, boolop: 'AND_EXPR' | 'OR_EXPR'): Part[] | undefined {
  const nodes = boolop === 'AND_EXPR' ? conjuncts(node) : disjuncts(node);
  const inner = stripParens(text, span);
  if (nodes.length < 2) return [{ node, span: inner }];
  const spans = flatSplit(text, inner, boolop === 'AND_EXPR' ? 'AND' : 'OR');
  if (spans.length !== nodes.length) return undefined;
  for (let i = 0; i < nodes.length; i++) {
    const loc = locationBounds(nodes[i]).min;
    if (loc !== Infinity && (loc < spans[i]!.start || loc >= spans[i]!.end)) return undefined;
  }
  return nodes.map((n, i) => ({ node: n, span: spans[i]! }));
}
