// @keel/redis — being built; see docs/ for the design.
export const PACKAGE = '@keel/redis';
