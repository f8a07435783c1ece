/**
 * Call chains of the JavaScript host for bpf_get_stackid / bpf_get_stack
 * (HostInfo.stack). A JS frame has no instruction address, so each frame's
 * text (function and `file:line:column`) is hashed (FNV-1a, 64-bit) to a
 * stable stand-in: the same code location always gives the same address, and
 * jsStackSymbol() turns an address back into the frame, as a symbol table would.
 *
 * Frames of tsbpf itself (its src/ directory, and WebAssembly: JIT-compiled
 * programs) make the 'kernel' chain, with canonical x86-64 kernel-half
 * addresses (0xffff…); every other frame — the application that ran the
 * program — the 'user' chain, with user-half addresses (below 2^47). Both are
 * innermost first. Only hosts whose Error has a `stack` (every major JS
 * engine) give chains; V8's format is read best, others are hashed line by line.
 */

/** the directory of tsbpf's own modules (this file is in src/runtime/) */
const TSBPF_SRC = new URL('../', import.meta.url).href;
const KERNEL_HALF = 0xffff_0000_0000_0000n;
const LOW_48 = 0xffff_ffff_ffffn;
const LOW_47 = 0x7fff_ffff_ffffn;
/** frames remembered for jsStackSymbol; past this, new ones are not */
const MAX_SYMBOLS = 1 << 16;
const symbols = new Map<bigint, string>();
const addresses = new Map<string, bigint>();

/** The chain of `kind`, innermost first, at most `maxDepth` frames. */
export function jsStack(kind: 'kernel' | 'user', maxDepth: number): bigint[] {
  const out: bigint[] = [];
  for (const frame of frames()) {
    if (out.length >= maxDepth) break;
    if (isKernel(frame) === (kind === 'kernel')) out.push(address(frame, kind));
  }
  return out;
}

/** The frame an address of jsStack stands for, if this process made it. */
export function jsStackSymbol(ip: bigint): string | undefined {
  return symbols.get(ip);
}

/** The frames of the current call, innermost first, without this module's. */
function frames(): string[] {
  const limit = Error.stackTraceLimit;
  Error.stackTraceLimit = 512; // the default (10) would not reach past tsbpf's own frames
  const text = new Error().stack ?? '';
  Error.stackTraceLimit = limit;
  return text
    .split('\n')
    .slice(1)
    .map((line) => line.trim().replace(/^at /, ''))
    .filter((f) => f !== '' && !f.includes('/runtime/js-stack.'));
}

function isKernel(frame: string): boolean {
  return frame.includes(TSBPF_SRC) || frame.includes('wasm://') || frame.includes('wasm-function');
}

/** The frame's address, hashed once per code location (a process has finitely many). */
function address(frame: string, kind: 'kernel' | 'user'): bigint {
  const known = addresses.get(frame);
  if (known !== undefined) return known;
  const h = fnv1a64(frame);
  const ip = kind === 'kernel' ? KERNEL_HALF | (h & LOW_48) : h & LOW_47;
  if (symbols.size < MAX_SYMBOLS) {
    symbols.set(ip, frame);
    addresses.set(frame, ip);
  }
  return ip;
}

function fnv1a64(s: string): bigint {
  let h = 0xcbf29ce484222325n;
  for (let i = 0; i < s.length; i++) {
    h ^= BigInt(s.charCodeAt(i));
    h = BigInt.asUintN(64, h * 0x100000001b3n);
  }
  return h;
}
