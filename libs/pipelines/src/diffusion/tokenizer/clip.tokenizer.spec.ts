/**
 * CLIP token ids. Two independent references:
 * - known ids from ../shared/fixtures/tokenizers/README.md ("a photo of a cat");
 * - openai/CLIP's own algorithm (simple_tokenizer.py: byte-to-unicode map,
 *   its regex, greedy lowest-rank BPE) re-implemented below over the ORIGINAL
 *   merges file bpe_simple_vocab_16e6.txt.gz, which also defines the ids.
 * The tokenizer under test instead reads the Hugging Face files (vocab.json,
 * merges.txt) through @huggingface/tokenizers, so agreement checks both the
 * file handling and the pipeline of normalizer, pre-tokenizer and BPE.
 */
import { existsSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { gunzipSync } from 'node:zlib';
import { ClipTokenizer } from './clip.tokenizer';

const SHARED = path.resolve(
  __dirname,
  '..',
  '..',
  '..',
  '..',
  '..',
  '..',
  'shared',
  'fixtures',
  'tokenizers',
);
const haveShared =
  existsSync(path.join(SHARED, 'clip-vocab.json')) &&
  existsSync(path.join(SHARED, 'bpe_simple_vocab_16e6.txt.gz'));
if (!haveShared)
  console.warn(
    `CLIP id tests skipped: ${SHARED} is absent (the shared fixtures are not part of a fresh clone)`,
  );
const describeShared = haveShared ? describe : describe.skip;

/** openai/CLIP simple_tokenizer, over the original gz merges (without ftfy: NFC only, which ftfy also applies). */
class ReferenceClip {
  private readonly encoder = new Map<string, number>();
  private readonly ranks = new Map<string, number>();
  private readonly byteEncoder: string[];
  private readonly pat =
    /<\|startoftext\|>|<\|endoftext\|>|'s|'t|'re|'ve|'m|'ll|'d|[\p{L}]+|[\p{N}]|[^\s\p{L}\p{N}]+/giu;

  constructor(gz: Buffer) {
    const bs: number[] = [];
    for (let b = 33; b <= 126; b++) bs.push(b);
    for (let b = 161; b <= 172; b++) bs.push(b);
    for (let b = 174; b <= 255; b++) bs.push(b);
    const cs = [...bs];
    let n = 0;
    for (let b = 0; b < 256; b++) {
      if (!bs.includes(b)) {
        bs.push(b);
        cs.push(256 + n++);
      }
    }
    this.byteEncoder = new Array<string>(256);
    bs.forEach((b, i) => (this.byteEncoder[b] = String.fromCharCode(cs[i])));
    const merges = gunzipSync(gz)
      .toString('utf8')
      .split('\n')
      .slice(1, 49152 - 256 - 2 + 1)
      .map((m) => m.split(' ') as [string, string]);
    const units = bs.map((b) => this.byteEncoder[b]);
    const vocab = [
      ...units,
      ...units.map((u) => `${u}</w>`),
      ...merges.map(([a, b]) => a + b),
      '<|startoftext|>',
      '<|endoftext|>',
    ];
    vocab.forEach((v, i) => this.encoder.set(v, i));
    merges.forEach(([a, b], i) => this.ranks.set(`${a} ${b}`, i));
  }

  private bpe(token: string): string[] {
    if (token === '<|startoftext|>' || token === '<|endoftext|>') return [token];
    let word = [...token.slice(0, -1)].concat(`${token.slice(-1)}</w>`);
    for (;;) {
      let best: [string, string] | undefined;
      let bestRank = Infinity;
      for (let i = 0; i < word.length - 1; i++) {
        const r = this.ranks.get(`${word[i]} ${word[i + 1]}`);
        if (r !== undefined && r < bestRank) {
          bestRank = r;
          best = [word[i], word[i + 1]];
        }
      }
      if (!best) return word;
      const next: string[] = [];
      for (let i = 0; i < word.length;) {
        if (i < word.length - 1 && word[i] === best[0] && word[i + 1] === best[1]) {
          next.push(best[0] + best[1]);
          i += 2;
        } else next.push(word[i++]);
      }
      word = next;
      if (word.length === 1) return word;
    }
  }

  encode(text: string): number[] {
    const clean = text.normalize('NFC').replace(/\s+/g, ' ').trim().toLowerCase();
    const out: number[] = [];
    for (const m of clean.matchAll(this.pat)) {
      const mapped = [...Buffer.from(m[0], 'utf8')].map((b) => this.byteEncoder[b]).join('');
      for (const piece of this.bpe(mapped)) out.push(this.encoder.get(piece)!);
    }
    return out;
  }
}

describeShared('ClipTokenizer on the real CLIP vocabulary', () => {
  const vocabJson = haveShared ? readFileSync(path.join(SHARED, 'clip-vocab.json'), 'utf8') : '{}';
  const mergesTxt = haveShared ? readFileSync(path.join(SHARED, 'clip-merges.txt'), 'utf8') : '';
  const sd1 = haveShared
    ? new ClipTokenizer({ vocabJson, mergesTxt })
    : (undefined as unknown as ClipTokenizer);
  const ref = haveShared
    ? new ReferenceClip(readFileSync(path.join(SHARED, 'bpe_simple_vocab_16e6.txt.gz')))
    : undefined;

  it('"a photo of a cat" → [49406, 320, 1125, 539, 320, 2368, 49407], padded to 77 with 49407 (fixtures README)', () => {
    const { ids, tokenCount, truncatedTokens } = sd1.encode('a photo of a cat');
    expect(ids.slice(0, 7)).toEqual([49406, 320, 1125, 539, 320, 2368, 49407]);
    expect(ids).toHaveLength(77);
    expect(ids.slice(7).every((id) => id === 49407)).toBe(true);
    expect(tokenCount).toBe(5);
    expect(truncatedTokens).toBe(0);
  });

  it.each([
    ['capitals and punctuation', 'A Photo, of a CAT!! (high quality); 4k, trending.'],
    ['contractions', "the dog's bone isn't there, we'll see what they've done"],
    ['whitespace runs, tabs and newlines', '  a   photo\tof\na   cat  '],
    ['digits split one by one', 'room 1234 at 5:30pm, 2x zoom'],
    ['accents and other scripts', 'héllo wörld, crème brûlée, Ελληνικά, русский, 日本語のテスト'],
    ['emoji and symbols', 'a red fox 🦊 sitting on grass — “quoted” ©2024 → ★'],
    ['prompt weighting syntax is plain text to CLIP', '(masterpiece:1.2), [blurry], {detailed}'],
  ])('%s: ids equal openai/CLIP simple_tokenizer', (_what, text) => {
    expect(sd1.tokenize(text)).toEqual(ref!.encode(text));
  });

  it('normalizes to NFC: a decomposed é tokenizes like the composed one', () => {
    expect(sd1.tokenize('cafe\u0301')).toEqual(sd1.tokenize('caf\u00e9'));
    expect(sd1.tokenize('Cat')).toEqual(sd1.tokenize('cat'));
  });

  it('single words are their "word</w>" vocabulary entries', () => {
    const vocab = JSON.parse(vocabJson) as Record<string, number>;
    for (const w of ['cat', 'dog', 'fox', 'grass', 'sitting', 'the', 'red', ',', '.'])
      expect(sd1.tokenize(w)).toEqual([vocab[`${w}</w>`]]);
  });

  it('truncates long prompts to 75 tokens between BOS and EOS and reports what was dropped', () => {
    const words = Array.from({ length: 100 }, (_, i) => ['red', 'fox', 'cat', 'dog'][i % 4]).join(' ');
    const e = sd1.encode(words);
    expect(e.ids).toHaveLength(77);
    expect(e.ids[0]).toBe(49406);
    expect(e.ids[76]).toBe(49407);
    expect(e.ids.slice(1, 76)).toEqual(ref!.encode(words).slice(0, 75));
    expect(e.tokenCount).toBe(100);
    expect(e.truncatedTokens).toBe(25);
    // Exactly 75 tokens fit without truncation.
    const fits = sd1.encode(Array.from({ length: 75 }, () => 'cat').join(' '));
    expect(fits.truncatedTokens).toBe(0);
    expect(fits.ids[76]).toBe(49407);
  });

  it('an empty prompt is BOS, EOS and padding (the unconditional embedding)', () => {
    expect(sd1.encode('').ids.slice(0, 3)).toEqual([49406, 49407, 49407]);
    expect(sd1.encode('   ').tokenCount).toBe(0);
  });

  it('pads with the pad token of tokenizer_config.json (SD 2.x: "!" = 0)', () => {
    const sd2 = new ClipTokenizer({
      vocabJson,
      mergesTxt,
      tokenizerConfig: { pad_token: '!', model_max_length: 77 },
    });
    const ids = sd2.encode('a photo of a cat').ids;
    expect(ids.slice(0, 8)).toEqual([49406, 320, 1125, 539, 320, 2368, 49407, 0]);
    expect(ids.slice(7).every((id) => id === 0)).toBe(true);
    // AddedToken objects are read too.
    const obj = new ClipTokenizer({
      vocabJson,
      mergesTxt,
      specialTokensMap: { pad_token: { content: '!' } },
    });
    expect(obj.padId).toBe(0);
  });

  it('decodes ids back to text', () => {
    expect(sd1.decode(sd1.encode('a photo of a cat').ids)).toBe('a photo of a cat');
  });
});

describe('ClipTokenizer on a small vocabulary (no shared fixtures needed)', () => {
  // Byte symbols, byte symbols + "</w>", merges building "cat", then the special tokens.
  const units: string[] = [];
  for (let c = 33; c <= 126; c++) units.push(String.fromCharCode(c));
  const vocab: Record<string, number> = {};
  [...units, ...units.map((u) => `${u}</w>`), 'ca', 'cat</w>', '<|startoftext|>', '<|endoftext|>'].forEach(
    (t, i) => (vocab[t] = i),
  );
  const tok = new ClipTokenizer({
    vocabJson: JSON.stringify(vocab),
    mergesTxt: '#version: 0.2\nc a\nca t</w>\n',
    tokenizerConfig: { model_max_length: 8 },
  });

  it('reads special ids from the vocabulary and honours model_max_length', () => {
    expect(tok.bosId).toBe(vocab['<|startoftext|>']);
    expect(tok.eosId).toBe(vocab['<|endoftext|>']);
    const e = tok.encode('CAT ab');
    expect(e.ids).toEqual([
      tok.bosId,
      vocab['cat</w>'],
      vocab.a,
      vocab['b</w>'],
      tok.eosId,
      tok.eosId,
      tok.eosId,
      tok.eosId,
    ]);
  });

  it('fails clearly when the vocabulary lacks a special token', () => {
    expect(() => new ClipTokenizer({ vocabJson: '{"a": 0}', mergesTxt: '' })).toThrow(
      /start token "<\|startoftext\|>"/,
    );
  });
});
