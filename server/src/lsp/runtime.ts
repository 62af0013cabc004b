// V8 settings of the language server process, applied when this module is evaluated: lsp/main.ts
// imports it first, before libpg-query (which starts compiling its WebAssembly on import). The
// server is long-running and holds a workspace's ASTs and model; these trade CPU for a smaller
// footprint (npm run bench measures the engine with them, as the server runs it; figures from
// this 2-CPU VM):
// - `--liftoff-only`: V8 compiles the parser's WebAssembly with its baseline compiler only.
//   The optimising tier-up of libpg-query keeps ≈ 40 MB of code and compiler memory resident
//   for the life of the process; parsing stays about as fast (the bench workspace's 98,518
//   lines parse in 1.2–1.6 s either way).
// - `--heap-growing-percent=7`, set by settleHeap() once the first lint is published: after each
//   full garbage collection V8 lets the heap grow to a multiple of what is live before
//   collecting again, up to 4× for a fast-allocating program;
//   every re-lint allocates a new model and findings, so 170 MB live became 570 MB resident.
//   With the next flag, the bench's peak was 295–303 MB at 20 %, 285–304 MB at 15 % and
//   280–293 MB at 10 %. Since re-lints keep most of the model's objects (their live heap is
//   a few MB larger, and each allocates ≈ 8 MB instead of 29), the peak at 10 % was 283–306
//   MB in 9 runs, at 7 % 280–283 MB in 6 and at 5 % 280–282 MB in 5, for re-lint medians of
//   35–50, 36–47 and 37–52 ms (this VM's noise). V8 applies it to the limits it computes
//   after a collection: the limits computed before stay, hence settleHeap's one collection.
//   Not before the first lint: while the first lint builds the whole workspace's ASTs and model
//   (live heap 0 → 145 MB), 7 % cost several extra full collections of 100–290 ms each: on the
//   bench, model + rules CPU 1.8–1.95 s with it from the start, 1.33–1.76 s without (the first
//   lint's own peak RSS 235 → 240 MB).
// - `--no-incremental-marking`: a full collection marks the heap in one pause instead of in
//   steps between the engine's work. Marked in steps, what a re-lint allocates meanwhile
//   counts as live until the next collection (V8 once saw 254 MB "live" of a 140 MB live
//   heap) and the heap is let grow from that: the bench's peak was 360–440 MB at 20 %, and is
//   295–303 MB in one pause. The price is the pause: 110–190 ms on the bench's heap, where
//   steps took 40–60 ms and the last pause 5–10 ms. Re-lint medians and the first lint stay
//   within the noise; the slowest of 21 re-lints was 250–350 ms instead of 235–280 ms. The
//   server does nothing else while it lints, so a pause delays a lint, never a keystroke.
import { getHeapStatistics, setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

for (const flag of ['--liftoff-only', '--no-incremental-marking']) setFlagsFromString(flag);

let settled = false;
/** V8's gc(), once settleHeap() has exposed it. */
let collect: ((options?: { type: 'minor' | 'major' }) => void) | undefined;

/**
 * The heap's steady setting, for the edits to come (see `--heap-growing-percent` above): set
 * once, after the first lint of every project is published, with one full collection
 * (123–280 ms on the bench's heap) so that the limits are computed with it. Later calls do
 * nothing.
 */
export function settleHeap(): void {
  if (settled) return;
  settled = true;
  setFlagsFromString('--heap-growing-percent=7');
  setFlagsFromString('--expose-gc'); // (a context made after it has gc())
  collect = runInNewContext('gc') as typeof collect;
  collect!();
  liveAfterMajor = getHeapStatistics().used_heap_size;
}

/**
 * How long the server waits after a change before it lints (server.ts schedule): one lint for a
 * burst of keystrokes. The bench's re-lints come this long after the last one's idle collection.
 */
export const DEBOUNCE_MS = 150;

/**
 * While the server waits for the next edit, once a lint is published: one collection of the young
 * generation (2–4 ms on the bench), where most of what the lint allocated is garbage. The next
 * re-lint then starts with an empty young generation instead of collecting it on its way: on the
 * bench, re-lint medians 57.6–63.2 → 52.0–63.0 ms (4 alternated runs). Nothing before
 * settleHeap().
 *
 * And, once the heap has grown by MAJOR_AFTER_GROWTH since the last full collection, a full one.
 * Each re-lint leaves its new model in the old generation (≈ 4.5 MB on the bench) and the model it
 * replaces as garbage there; left to V8, a full collection (125–195 ms on the bench's heap) came
 * inside every fifth or sixth re-lint, once the heap had grown by ≈ 30 MB, and the process's peak
 * RSS with it (bench: 306–323 MB). Here it comes while the server waits, most of it inside the
 * next edit's debounce (DEBOUNCE_MS, 150 ms): peak RSS 293–296 MB, and no re-lint pays for one.
 * (With it the steady re-lints measured 0–20 % slower on this 2-CPU VM, within its noise.) Its
 * sweeping goes on in V8's background threads after collect() returns: a re-lint started at once
 * shares the machine with it (bench, back to back: 79–100 ms after a full collection, 57–66 ms
 * after the others), one started after the debounce does not (63–65 against 57–61 ms).
 */
export function idleCollect(): void {
  if (!collect) return;
  collect({ type: 'minor' });
  if (getHeapStatistics().used_heap_size > liveAfterMajor + MAJOR_AFTER_GROWTH) {
    collect(); // (a full collection: this Node's gc() takes any options object for a minor one)
    liveAfterMajor = getHeapStatistics().used_heap_size;
  }
}
const MAJOR_AFTER_GROWTH = 10 * 1048576;
/** The live heap after the last full collection (settleHeap's, then idleCollect's). */
let liveAfterMajor = 0;
