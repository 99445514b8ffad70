/** Module resolution hooks (see core-override.ts): `@keel/core` resolves to another build. */
interface ResolveResult {
  url: string;
  shortCircuit?: boolean;
}
type NextResolve = (specifier: string, context: unknown) => Promise<ResolveResult>;

let coreUrl: string | undefined;

export function initialize(data: { url: string }): void {
  coreUrl = data.url;
}

export async function resolve(
  specifier: string,
  context: unknown,
  next: NextResolve,
): Promise<ResolveResult> {
  if (specifier === '@keel/core' && coreUrl !== undefined) {
    return { url: coreUrl, shortCircuit: true };
  }
  return next(specifier, context);
}
