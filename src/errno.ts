/**
 * Errors that a user can act on (DESIGN decision 6): every failure carries the
 * Linux errno name that the kernel would return for the same mistake, and a
 * message that names what was wrong and where.
 */
export const ERRNO = {
  EPERM: 1,
  ENOENT: 2,
  E2BIG: 7,
  EBADF: 9,
  EAGAIN: 11,
  ENOMEM: 12,
  EACCES: 13,
  EFAULT: 14,
  EBUSY: 16,
  EEXIST: 17,
  ENODEV: 19,
  EINVAL: 22,
  ENOSPC: 28,
  ERANGE: 34,
  ELOOP: 40,
  EPROTO: 71,
  EOPNOTSUPP: 95,
  ENOTSUPP: 524,
} as const;

export type ErrnoName = keyof typeof ERRNO;

export class BpfError extends Error {
  readonly errno: ErrnoName;

  constructor(errno: ErrnoName, message: string) {
    super(message);
    this.name = 'BpfError';
    this.errno = errno;
  }

  /** The negative errno value the kernel's bpf(2) would return. */
  get code(): number {
    return -ERRNO[this.errno];
  }
}
