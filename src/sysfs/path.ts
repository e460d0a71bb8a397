// Relative sysfs paths are checked before they are joined to a root: a path that climbs out of
// the root, starts at / or carries a NUL would reach something other than the attribute named.
import { ZmdevError } from '../errors.js';

export type SysfsPathRule = 'no-nul' | 'relative' | 'no-dotdot';

/** A path refused before any syscall, naming the rule it broke. */
export class SysfsPathError extends ZmdevError {
  readonly path: string;
  readonly rule: SysfsPathRule;

  constructor(path: string, rule: SysfsPathRule) {
    super({ code: 'EINVAL', message: `sysfs path ${JSON.stringify(path)} refused: ${RULES[rule]}` });
    this.path = path;
    this.rule = rule;
  }
}

const RULES: Record<SysfsPathRule, string> = {
  'no-nul': 'a path must not contain a NUL byte',
  relative: 'a path must be relative to the sysfs root (no leading "/")',
  'no-dotdot': 'a path must not contain a ".." segment (it would leave the sysfs root)',
};

/** Checks a relative path; '' names the root itself. */
export function checkRelativePath(rel: string): void {
  if (rel.includes('\0')) throw new SysfsPathError(rel, 'no-nul');
  if (rel.startsWith('/')) throw new SysfsPathError(rel, 'relative');
  if (rel.split('/').includes('..')) throw new SysfsPathError(rel, 'no-dotdot');
}

/** `root/rel` after checking both; root is absolute and has no trailing slash (except "/"). */
export function joinUnder(root: string, rel: string): string {
  if (root.includes('\0')) throw new SysfsPathError(root, 'no-nul');
  checkRelativePath(rel);
  if (rel === '') return root;
  return root === '/' ? `/${rel}` : `${root}/${rel}`;
}
