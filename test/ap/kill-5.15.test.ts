// SIGKILL inside every write of every multi-step change on kernel 5.15, over FUSE (fixtures/kill-driver.ts).
import { killSuite } from './fixtures/kill-suite.js';

killSuite('5.15');
