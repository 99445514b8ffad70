/**
 * Finds one dependency cycle, as a path that starts and ends with the same name
 * (`a -> b -> c -> a`), or undefined. Iterative, so 10,000-deep chains do not overflow.
 */
export function findCycle(
  names: readonly string[],
  edges: (name: string) => readonly string[],
): string[] | undefined {
  const state = new Map<string, 1 | 2>(); // 1: on the path, 2: done
  for (const root of names) {
    if (state.has(root)) continue;
    const path: string[] = [];
    const stack: Array<{ name: string; next: number }> = [{ name: root, next: 0 }];
    state.set(root, 1);
    path.push(root);
    while (stack.length > 0) {
      const top = stack[stack.length - 1]!;
      const out = edges(top.name);
      if (top.next < out.length) {
        const dep = out[top.next++]!;
        const seen = state.get(dep);
        if (seen === 1) return [...path.slice(path.indexOf(dep)), dep];
        if (seen === undefined) {
          state.set(dep, 1);
          path.push(dep);
          stack.push({ name: dep, next: 0 });
        }
      } else {
        state.set(top.name, 2);
        path.pop();
        stack.pop();
      }
    }
  }
  return undefined;
}
