import { HostInfo } from '../helpers/registry.js';
import { jsStack } from './js-stack.js';

/**
 * A host built from web-standard APIs only (performance, crypto), so a
 * Runtime works in a browser too; the Node host (node-host.ts) adds the real
 * process identity.
 */
export function portableHost(): HostInfo {
  const start = BigInt(Math.round(performance.timeOrigin * 1e6));
  const now = (): bigint => start + BigInt(Math.round(performance.now() * 1e6));
  const word = new Uint32Array(1);
  return {
    monotonicNs: now,
    boottimeNs: now,
    pid: 0,
    tgid: 0,
    uid: 0,
    gid: 0,
    comm: 'tsbpf',
    randomU32: () => crypto.getRandomValues(word)[0]!,
    stack: jsStack,
  };
}
