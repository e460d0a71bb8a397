// 20 real zmdev writers on a stale lock at the real lock path, over FUSE (fixtures/kill-driver.ts).
import { raceSuite } from './fixtures/kill-suite.js';

raceSuite(Number(process.env.ZMDEV_LOCK_ROUNDS ?? 3));
