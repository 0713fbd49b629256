export * from './grounding-dino.tokenizer';
export * from './grounding-dino.preprocess';
export * from './grounding-dino.postprocess';
export * from './grounding-dino.pipeline';
