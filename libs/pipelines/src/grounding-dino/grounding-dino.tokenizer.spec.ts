import { existsSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { Tokenizer } from '@huggingface/tokenizers';
import { UserError } from '@maskflow/workflow';
import {
  bertTokenizerFiles,
  builtinBertVocab,
} from '../../../../test/fixtures/tiny-models/tokenizer-files.fixture';
import { GroundingTokenizer, normalizeGroundingPrompt, parseVocabTxt } from './grounding-dino.tokenizer';

const SHARED_VOCAB = path.resolve(
  __dirname,
  '../../../../../shared/fixtures/tokenizers/bert-base-uncased-vocab.txt',
);
const haveShared = existsSync(SHARED_VOCAB);
if (!haveShared) console.warn(`skipping the bert-base-uncased id checks: ${SHARED_VOCAB} is absent`);
const withShared = haveShared ? describe : describe.skip;

/** Known ids from the reference tokenizer (../shared/fixtures/README.md). */
const KNOWN_IDS: Array<[string, number[]]> = [
  ['a cat.', [101, 1037, 4937, 1012, 102]],
  ['a cat . a dog .', [101, 1037, 4937, 1012, 1037, 3899, 1012, 102]],
  ['the red mug.', [101, 1996, 2417, 14757, 1012, 102]],
];

describe('normalizeGroundingPrompt', () => {
  it('lower-cases, trims, and ends every phrase with " ."', () => {
    expect(normalizeGroundingPrompt('  A Cat  ')).toEqual({ text: 'a cat .', phrases: ['a cat'] });
    expect(normalizeGroundingPrompt('Dog . Red   mug')).toEqual({
      text: 'dog . red mug .',
      phrases: ['dog', 'red mug'],
    });
    expect(normalizeGroundingPrompt('cat.dog.')).toEqual({ text: 'cat . dog .', phrases: ['cat', 'dog'] });
  });

  it('keeps commas inside a phrase and drops empty phrases', () => {
    expect(normalizeGroundingPrompt('a red, shiny mug . . ')).toEqual({
      text: 'a red, shiny mug .',
      phrases: ['a red, shiny mug'],
    });
    expect(normalizeGroundingPrompt(' . . ').phrases).toEqual([]);
  });
});

withShared('bert-base-uncased token ids (../shared vocab.txt)', () => {
  const vocab = haveShared ? parseVocabTxt(readFileSync(SHARED_VOCAB, 'utf8')) : [];

  it('has the 30,522 tokens of bert-base-uncased', () => {
    expect(vocab).toHaveLength(30522);
  });

  it.each(KNOWN_IDS)('built from vocab.txt: %j', (text, ids) => {
    expect(GroundingTokenizer.fromVocab(vocab).encodeText(text)).toEqual(ids);
  });

  it.each(KNOWN_IDS)('loaded from tokenizer.json: %j', (text, ids) => {
    const files = bertTokenizerFiles(vocab);
    const tok = new GroundingTokenizer(
      new Tokenizer(
        JSON.parse(files['tokenizer.json']) as object,
        JSON.parse(files['tokenizer_config.json']) as object,
      ),
    );
    expect(tok.encodeText(text)).toEqual(ids);
  });

  it('normalizes prompts to the same ids as the reference captions', () => {
    const tok = GroundingTokenizer.fromVocab(vocab);
    expect(tok.encodePrompt('A cat').ids).toEqual(KNOWN_IDS[0][1]);
    expect(tok.encodePrompt('a cat . a dog').ids).toEqual(KNOWN_IDS[1][1]);
    expect(tok.encodePrompt('The red mug.').ids).toEqual(KNOWN_IDS[2][1]);
  });

  it('splits subwords and maps phrases to their token spans', () => {
    const tok = GroundingTokenizer.fromVocab(vocab);
    const t = tok.encodePrompt('a cat . a dog');
    expect(t.phrases).toEqual([
      { index: 0, text: 'a cat', start: 1, end: 3 },
      { index: 1, text: 'a dog', start: 4, end: 6 },
    ]);
    expect(t.attentionMask).toEqual([1, 1, 1, 1, 1, 1, 1, 1]);
    expect(t.tokenTypeIds).toEqual([0, 0, 0, 0, 0, 0, 0, 0]);
    // "unaffable" is three WordPieces: one phrase still.
    const u = tok.encodePrompt('unaffable dog . mug');
    expect(u.ids).toEqual([101, 14477, 20961, 3468, 3899, 1012, 14757, 1012, 102]);
    expect(u.phrases.map((p) => [p.text, p.start, p.end])).toEqual([
      ['unaffable dog', 1, 5],
      ['mug', 6, 7],
    ]);
    expect(tok.decode([14477, 20961, 3468])).toBe('unaffable');
  });
});

describe('GroundingTokenizer (built-in vocabulary, no ../shared needed)', () => {
  const tok = GroundingTokenizer.fromVocab(builtinBertVocab());

  it('uses BERT special tokens and splits on "."', () => {
    const t = tok.encodePrompt('dog . red mug');
    expect(t.ids[0]).toBe(101);
    expect(t.ids[t.ids.length - 1]).toBe(102);
    expect(t.phrases.map((p) => p.text)).toEqual(['dog', 'red mug']);
    expect(t.phrases.map((p) => p.end - p.start)).toEqual([1, 2]);
  });

  it('drops phrases from the end when the caption is too long, and reports them', () => {
    const short = new GroundingTokenizer(tok.tokenizer, 8);
    const t = short.encodePrompt('dog . cat . red mug . fox');
    // [CLS] dog . cat . [SEP] = 6; adding "red mug ." would make 9.
    expect(t.prompt.phrases).toEqual(['dog', 'cat']);
    expect(t.dropped).toEqual(['red mug', 'fox']);
    expect(t.ids.length).toBeLessThanOrEqual(8);
  });

  it('keeps the caption within 256 tokens with [CLS] and [SEP] by default', () => {
    const many = Array.from({ length: 120 }, (_, i) => (i % 2 ? 'red mug' : 'dog')).join(' . ');
    const t = tok.encodePrompt(many);
    expect(t.ids.length).toBeLessThanOrEqual(256);
    expect(t.ids.length).toBeGreaterThan(250);
    expect(t.prompt.phrases.length + t.dropped.length).toBe(120);
    expect(t.ids[t.ids.length - 1]).toBe(102);
  });

  it('refuses an empty prompt and a phrase longer than the limit', () => {
    expect(() => tok.encodePrompt(' . ')).toThrow(UserError);
    expect(() => new GroundingTokenizer(tok.tokenizer, 4).encodePrompt('a red mug')).toThrow(/at most 4/);
  });
});
