/**
 * CLIP's byte-level BPE tokenizer, built from an SD export's `tokenizer/`
 * folder (vocab.json + merges.txt + tokenizer_config.json /
 * special_tokens_map.json), which has no tokenizer.json: this assembles the
 * tokenizer.json that Hugging Face's fast CLIPTokenizer uses and runs it with
 * @huggingface/tokenizers.
 *
 * - normalizer: NFC, runs of whitespace → one space, lower case;
 * - pre-tokenizer: CLIP's split regex (special tokens, contractions, letter
 *   runs, single digits, punctuation runs; whitespace dropped), then the
 *   byte-to-unicode mapping;
 * - model: BPE with "</w>" marking the end of a word;
 * - post-processing: <|startoftext|> … <|endoftext|>, truncated to
 *   `model_max_length` (77) and padded with the pad token (49407
 *   <|endoftext|> for SD 1.x, 0 "!" for SD 2.x).
 *
 * Difference from diffusers' default (the slow CLIPTokenizer with ftfy
 * installed): ftfy.fix_text and HTML unescaping are not applied, so mojibake,
 * curly quotes or "&amp;" tokenize as typed. Plain text gives the same ids.
 */
import { readFile } from 'node:fs/promises';
import * as path from 'node:path';
import { Tokenizer } from '@huggingface/tokenizers';
import { EnvironmentError } from '@maskflow/workflow';

/** openai/CLIP simple_tokenizer's pattern (Oniguruma syntax, as CLIP's tokenizer.json has it). */
const CLIP_SPLIT_PATTERN =
  "<\\|startoftext\\|>|<\\|endoftext\\|>|'s|'t|'re|'ve|'m|'ll|'d|[\\p{L}]+|[\\p{N}]|[^\\s\\p{L}\\p{N}]+";

export interface ClipTokenizerSource {
  /** vocab.json text. */
  vocabJson: string;
  /** merges.txt text ("#version" header allowed). */
  mergesTxt: string;
  /** tokenizer_config.json, parsed. */
  tokenizerConfig?: Record<string, unknown>;
  /** special_tokens_map.json, parsed. */
  specialTokensMap?: Record<string, unknown>;
}

export interface ClipEncoding {
  /** Exactly `maxLength` ids: BOS, tokens, EOS, padding. */
  ids: number[];
  /** Content tokens before truncation. */
  tokenCount: number;
  /** Content tokens that did not fit (dropped from the end). */
  truncatedTokens: number;
}

/** A token setting in tokenizer_config.json: a string or an AddedToken object. */
function tokenContent(v: unknown): string | undefined {
  if (typeof v === 'string') return v;
  if (v && typeof v === 'object' && typeof (v as { content?: unknown }).content === 'string')
    return (v as { content: string }).content;
  return undefined;
}

export class ClipTokenizer {
  readonly maxLength: number;
  readonly bosId: number;
  readonly eosId: number;
  readonly padId: number;
  readonly vocabSize: number;
  private readonly tokenizer: Tokenizer;

  constructor(source: ClipTokenizerSource) {
    let vocab: Record<string, number>;
    try {
      vocab = JSON.parse(source.vocabJson) as Record<string, number>;
    } catch (err) {
      throw new EnvironmentError(`tokenizer/vocab.json is not valid JSON: ${(err as Error).message}`, {
        code: 'model-invalid',
      });
    }
    const merges: Array<[string, string]> = [];
    for (const line of source.mergesTxt.split('\n')) {
      if (line.startsWith('#version') || line.trim() === '') continue;
      const parts = line.split(' ');
      if (parts.length === 2) merges.push([parts[0], parts[1]]);
    }
    const cfg = source.tokenizerConfig ?? {};
    const map = source.specialTokensMap ?? {};
    const pick = (key: string, fallback: string): string =>
      tokenContent(cfg[key]) ?? tokenContent(map[key]) ?? fallback;
    const bos = pick('bos_token', '<|startoftext|>');
    const eos = pick('eos_token', '<|endoftext|>');
    const unk = pick('unk_token', '<|endoftext|>');
    const pad = pick('pad_token', eos);
    const id = (token: string, role: string): number => {
      const v = vocab[token];
      if (typeof v !== 'number')
        throw new EnvironmentError(`tokenizer/vocab.json has no ${role} token "${token}"`, {
          code: 'model-invalid',
        });
      return v;
    };
    this.bosId = id(bos, 'start');
    this.eosId = id(eos, 'end');
    this.padId = id(pad, 'pad');
    this.vocabSize = Object.keys(vocab).length;
    const maxLen = cfg.model_max_length;
    // Some configs store a huge sentinel (1e30) for "no limit"; the CLIP text encoders are 77 positions.
    this.maxLength = typeof maxLen === 'number' && maxLen >= 3 && maxLen <= 1024 ? maxLen : 77;

    const special = (content: string, tokenId: number) => ({
      id: tokenId,
      content,
      single_word: false,
      lstrip: false,
      rstrip: false,
      normalized: true,
      special: true,
    });
    const tokenizerJson = {
      version: '1.0',
      added_tokens: [special(bos, this.bosId), ...(eos === bos ? [] : [special(eos, this.eosId)])],
      normalizer: {
        type: 'Sequence',
        normalizers: [
          { type: 'NFC' },
          { type: 'Replace', pattern: { Regex: '\\s+' }, content: ' ' },
          { type: 'Lowercase' },
        ],
      },
      pre_tokenizer: {
        type: 'Sequence',
        pretokenizers: [
          { type: 'Split', pattern: { Regex: CLIP_SPLIT_PATTERN }, behavior: 'Removed', invert: true },
          { type: 'ByteLevel', add_prefix_space: false, trim_offsets: true, use_regex: false },
        ],
      },
      post_processor: null,
      decoder: { type: 'ByteLevel', add_prefix_space: true, trim_offsets: true, use_regex: true },
      model: {
        type: 'BPE',
        dropout: null,
        unk_token: unk,
        continuing_subword_prefix: '',
        end_of_word_suffix: '</w>',
        fuse_unk: false,
        byte_fallback: false,
        ignore_merges: false,
        vocab,
        merges,
      },
    };
    this.tokenizer = new Tokenizer(tokenizerJson, { ...cfg, model_max_length: this.maxLength });
  }

  /** Reads `<dir>/vocab.json`, `merges.txt` and, when present, `tokenizer_config.json` and `special_tokens_map.json`. */
  static async fromDirectory(dir: string): Promise<ClipTokenizer> {
    const read = async (name: string, required: boolean): Promise<string | undefined> => {
      try {
        return await readFile(path.join(dir, name), 'utf8');
      } catch (err) {
        if (!required) return undefined;
        throw new EnvironmentError(`the tokenizer file ${path.join(dir, name)} is missing`, {
          code: 'model-missing',
          cause: err,
        });
      }
    };
    const json = (text: string | undefined): Record<string, unknown> | undefined => {
      if (text === undefined) return undefined;
      try {
        return JSON.parse(text) as Record<string, unknown>;
      } catch {
        return undefined;
      }
    };
    const [vocabJson, mergesTxt, config, map] = await Promise.all([
      read('vocab.json', true),
      read('merges.txt', true),
      read('tokenizer_config.json', false),
      read('special_tokens_map.json', false),
    ]);
    return new ClipTokenizer({
      vocabJson: vocabJson ?? '',
      mergesTxt: mergesTxt ?? '',
      tokenizerConfig: json(config),
      specialTokensMap: json(map),
    });
  }

  /** Content token ids, without BOS/EOS or padding. */
  tokenize(text: string): number[] {
    return this.tokenizer.encode(text, { add_special_tokens: false }).ids;
  }

  /** The BPE tokens of `text` (for messages: which words were cut off). */
  tokens(text: string): string[] {
    return this.tokenizer.encode(text, { add_special_tokens: false }).tokens;
  }

  /** What the text encoder takes: BOS, at most maxLength − 2 tokens, EOS, then padding to maxLength. */
  encode(text: string): ClipEncoding {
    const content = this.tokenize(text);
    const room = this.maxLength - 2;
    const kept = content.slice(0, room);
    const ids = [this.bosId, ...kept, this.eosId];
    while (ids.length < this.maxLength) ids.push(this.padId);
    return { ids, tokenCount: content.length, truncatedTokens: Math.max(0, content.length - room) };
  }

  /** The text of token ids (special tokens dropped), e.g. to show the part of a prompt that was cut off. */
  decode(ids: number[]): string {
    return this.tokenizer.decode(ids, { skip_special_tokens: true });
  }
}
