import { fileURLToPath } from 'node:url';

/** What `tsbpf trace` tells the preload in the traced process (trace-preload.ts), through the environment. */
export interface TraceChildConfig {
  /** the pipe to write output to */
  fd: number;
  patterns: string[];
  filter?: string;
  probes: string[];
  prog?: string;
  kconfig?: string;
  json: boolean;
}

export const TRACE_ENV = 'TSBPF_TRACE';

/**
 * The NODE_OPTIONS option that loads the preload: `--require` where Node can
 * require an ES module (20.19 on), since any `--import` changes how Node runs
 * the main module (a synchronous throw in it then reaches the program as an
 * unhandled rejection); `--import` on older Nodes.
 */
export function preloadOption(): string {
  const url = new URL('./trace-preload.js', import.meta.url);
  const requireEsm = (process.features as { require_module?: boolean }).require_module === true;
  return requireEsm ? `--require=${JSON.stringify(fileURLToPath(url))}` : `--import=${url.href}`;
}
