export * from './ports';
export * from './node-spec';
export * from './workflow.schema';
export * from './issues';
export * from './graph';
export * from './validate';
export * from './events';
export * from './errors';
