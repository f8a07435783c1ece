import { BpfError, ErrnoName } from '../../errno.js';

/**
 * A filter expression that cannot be compiled. The message names the
 * column, then shows the expression with a caret under the offending token,
 * so a user sees at once which word to fix (the first line takes whatever
 * prefix the caller adds without moving the caret):
 *
 *     column 10 of the filter expression:
 *     tcp port 8x0
 *              ^ unknown port '8x0' (a number, or a service name such as http or domain)
 */
export class FilterError extends BpfError {
  /** 1-based column of the token the error is about */
  readonly column: number;
  /** the message without the expression and the caret */
  readonly detail: string;

  constructor(errno: ErrnoName, expr: string, pos: number, detail: string) {
    const at = Math.max(0, Math.min(pos, expr.length));
    // Tabs and newlines would misplace the caret; the expression is shown on one line.
    const shown = expr.replace(/[\t\r\n]/g, ' ');
    super(errno, `column ${at + 1} of the filter expression:\n${shown}\n${' '.repeat(at)}^ ${detail}`);
    this.column = at + 1;
    this.detail = detail;
  }
}

/** EINVAL: the expression is not valid pcap-filter syntax or names something that does not exist. */
export function syntaxError(expr: string, pos: number, detail: string): FilterError {
  return new FilterError('EINVAL', expr, pos, detail);
}

/** EOPNOTSUPP: valid pcap-filter syntax that this compiler does not implement. */
export function unsupported(expr: string, pos: number, detail: string): FilterError {
  return new FilterError('EOPNOTSUPP', expr, pos, detail);
}
