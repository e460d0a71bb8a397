// SIGKILL inside every write of every multi-step change on kernel 6.0, over FUSE (fixtures/kill-driver.ts).
import { killSuite } from './fixtures/kill-suite.js';

killSuite('6.0');
