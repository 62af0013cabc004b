// V8 settings of the language server process, applied when this module is evaluated: lsp/main.ts
// imports it first, before libpg-query (which starts compiling its WebAssembly on import). The server is long-running and holds a workspace's ASTs and model;
// these trade a little CPU for a much smaller footprint (npm run bench measures the engine
// with them, as the server runs it):
// - `--liftoff-only`: V8 compiles the parser's WebAssembly with its baseline compiler only.
//   The optimising tier-up of libpg-query keeps ≈ 40 MB of code and compiler memory resident
//   for the life of the process; parsing stays about as fast (measured: the bench workspace's
//   98,518 lines parse in 1.0–1.6 s either way on this 2-CPU VM).
// - `--heap-growing-percent`: after each full garbage collection V8 lets the heap grow to a
//   multiple of what is live before collecting again, up to 4× for a fast-allocating
//   program; every re-lint allocates its new model and findings, so 200 MB live became
//   700 MB resident. 20 % keeps the heap close to what is live.
import { setFlagsFromString } from 'node:v8';

export const SERVER_V8_FLAGS: readonly string[] = ['--liftoff-only', '--heap-growing-percent=20'];

for (const flag of SERVER_V8_FLAGS) setFlagsFromString(flag);
