// Which adapter and domain bits to clear so that none of the given APQNs stays reserved for the
// host, while taking as few other host queues as possible: a minimum-weight vertex cover of the
// bipartite graph (adapters x domains, an edge per APQN), found as a minimum s-t cut.

/** Edges as [adapter, domain]; weights of clearing each adapter / domain bit (> 0). */
export function minimumCover(edges: ReadonlyArray<readonly [number, number]>, adapterWeight: (a: number) => number,
  domainWeight: (d: number) => number): { adapters: number[]; domains: number[] } {
  const adapters = [...new Set(edges.map((e) => e[0]))].sort((x, y) => x - y);
  const domains = [...new Set(edges.map((e) => e[1]))].sort((x, y) => x - y);
  // Nodes: 0 = source, 1 = sink, then adapters, then domains.
  const n = 2 + adapters.length + domains.length;
  const aNode = new Map(adapters.map((a, i) => [a, 2 + i]));
  const dNode = new Map(domains.map((d, i) => [d, 2 + adapters.length + i]));
  const to: number[] = [];
  const cap: number[] = [];
  const head = new Array<number>(n).fill(-1);
  const next: number[] = [];
  const add = (u: number, v: number, c: number) => {
    for (const [x, y, w] of [[u, v, c], [v, u, 0]] as const) {
      to.push(y);
      cap.push(w);
      next.push(head[x]!);
      head[x] = to.length - 1;
    }
  };
  const INF = Number.MAX_SAFE_INTEGER;
  for (const a of adapters) add(0, aNode.get(a)!, adapterWeight(a));
  for (const d of domains) add(dNode.get(d)!, 1, domainWeight(d));
  for (const [a, d] of edges) add(aNode.get(a)!, dNode.get(d)!, INF);
  // Edmonds-Karp: the graph has at most 514 nodes.
  for (;;) {
    const prev = new Array<number>(n).fill(-1);
    const queue = [0];
    prev[0] = -2;
    while (queue.length && prev[1] === -1) {
      const u = queue.shift()!;
      for (let e = head[u]!; e !== -1; e = next[e]!) {
        if (cap[e]! > 0 && prev[to[e]!] === -1) {
          prev[to[e]!] = e;
          queue.push(to[e]!);
        }
      }
    }
    if (prev[1] === -1) break;
    let flow = INF;
    for (let v = 1; v !== 0; v = to[prev[v]! ^ 1]!) flow = Math.min(flow, cap[prev[v]!]!);
    for (let v = 1; v !== 0; v = to[prev[v]! ^ 1]!) {
      cap[prev[v]!]! -= flow;
      cap[prev[v]! ^ 1]! += flow;
    }
  }
  // The cut: adapters not reachable from the source, domains reachable from it.
  const seen = new Array<boolean>(n).fill(false);
  const stack = [0];
  seen[0] = true;
  while (stack.length) {
    const u = stack.pop()!;
    for (let e = head[u]!; e !== -1; e = next[e]!) {
      if (cap[e]! > 0 && !seen[to[e]!]) {
        seen[to[e]!] = true;
        stack.push(to[e]!);
      }
    }
  }
  return {
    adapters: adapters.filter((a) => !seen[aNode.get(a)!]),
    domains: domains.filter((d) => seen[dNode.get(d)!]),
  };
}
