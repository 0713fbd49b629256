export * from './values';
export * from './context';
export * from './define-node';
export * from './registry';
