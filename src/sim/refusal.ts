// A refusal by the simulated kernel: the errno name a store returns, and what it means for the user.
export class KernelRefusal extends Error {
  constructor(readonly code: string, readonly explanation: string) {
    super(`${code}: ${explanation}`);
    this.name = 'KernelRefusal';
  }
}

export function refuse(code: string, explanation: string): never {
  throw new KernelRefusal(code, explanation);
}
