// The error is the domain's (the runtime recognises it by class without naming the store).
export { VersionConflictError } from '../domain/index.js';
