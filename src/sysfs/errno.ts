// Turns an errno number from a syscall into the SysfsError the rest of zmdev understands,
// with the same code names and descriptions Node uses for its own fs errors.
import { getSystemErrorMap } from 'node:util';
import { SysfsError, type Syscall } from './sysfs-io.js';

const systemErrors = getSystemErrorMap();

/**
 * A SysfsError for a positive errno. The code is Node's name for it (ENOENT, EBUSY …); an errno
 * Node has no name for keeps its number as `ERRNO_<n>`, and `errno` is always the real one.
 */
export function sysfsErrorFromErrno(errno: number, syscall: Syscall, path: string, written?: string): SysfsError {
  const known = systemErrors.get(-errno);
  const err = new SysfsError({
    code: known ? known[0] : `ERRNO_${errno}`,
    syscall,
    path,
    ...(written === undefined ? {} : { written }),
    explanation: known ? known[1] : `errno ${errno}`,
  });
  if (err.errno !== -errno) Object.defineProperty(err, 'errno', { value: -errno, enumerable: true });
  return err;
}
