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

/** The NODE_OPTIONS option that loads the preload. */
export function preloadOption(): string {
  return `--import=${new URL('./trace-preload.js', import.meta.url).href}`;
}
