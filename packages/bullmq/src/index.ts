// @keel/bullmq — being built; see docs/ for the design.
export const PACKAGE = '@keel/bullmq';
