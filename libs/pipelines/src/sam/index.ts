export * from './image-resample';
export * from './model-session';
export * from './model-host';
export * from './sam-preprocess';
export * from './sam-prompt';
export * from './sam-postprocess';
export * from './sam-embedding.cache';
export * from './sam.pipeline';
