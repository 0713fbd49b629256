/**
 * GroundingDINO's text side: the prompt normalized the way IDEA's
 * `preprocess_caption` does it (lower-case, trimmed, ending with "."), several
 * phrases joined as "cat . dog .", tokenized with the model's own BERT
 * WordPiece tokenizer (tokenizer.json, or one built from vocab.txt), and the
 * token positions of each phrase, which post-processing maps detections to.
 */
import { readFile } from 'node:fs/promises';
import { Tokenizer } from '@huggingface/tokenizers';
import { EnvironmentError, UserError } from '@maskflow/workflow';

/** GroundingDINO's max_text_len: [CLS] + tokens + [SEP]. */
export const GROUNDING_MAX_TOKENS = 256;

export interface GroundingPrompt {
  /** The caption the model sees, e.g. "dog . red mug ." */
  text: string;
  /** The phrases in order, e.g. ["dog", "red mug"]. */
  phrases: string[];
}

/**
 * "Dog . Red mug" → { text: "dog . red mug .", phrases: ["dog", "red mug"] }.
 * Phrases are separated by "." only (a comma may belong to a phrase:
 * "a red, shiny mug"); empty phrases are dropped, inner whitespace collapsed.
 */
export function normalizeGroundingPrompt(prompt: string): GroundingPrompt {
  const phrases = prompt
    .toLowerCase()
    .split('.')
    .map((p) => p.trim().replace(/\s+/g, ' '))
    .filter((p) => p.length > 0);
  return { text: phrases.map((p) => `${p} .`).join(' '), phrases };
}

/** One phrase's tokens: input positions [start, end). */
export interface PhraseSpan {
  index: number;
  text: string;
  start: number;
  end: number;
}

export interface TokenizedPrompt {
  prompt: GroundingPrompt;
  ids: number[];
  attentionMask: number[];
  tokenTypeIds: number[];
  phrases: PhraseSpan[];
  /** Phrases left out because the caption would exceed the model's token limit. */
  dropped: string[];
}

export interface TokenizerFiles {
  /** tokenizer.json (preferred when present). */
  tokenizer?: string;
  tokenizerConfig?: string;
  /** vocab.txt: used to build a bert-base-uncased WordPiece tokenizer when there is no tokenizer.json. */
  vocab?: string;
}

/** The tokenizer.json that transformers writes for bert-base-uncased, built from a vocab.txt. */
export function bertTokenizerJson(vocab: readonly string[]): Record<string, unknown> {
  const ids: Record<string, number> = {};
  vocab.forEach((token, i) => {
    if (!(token in ids)) ids[token] = i;
  });
  for (const t of ['[UNK]', '[CLS]', '[SEP]']) {
    if (!(t in ids))
      throw new EnvironmentError(`the vocabulary has no ${t} token; it is not a BERT vocabulary`, {
        code: 'model-unsupported',
      });
  }
  const special = ['[PAD]', '[UNK]', '[CLS]', '[SEP]', '[MASK]'].filter((t) => t in ids);
  return {
    version: '1.0',
    truncation: null,
    padding: null,
    added_tokens: special.map((content) => ({
      id: ids[content],
      content,
      single_word: false,
      lstrip: false,
      rstrip: false,
      normalized: false,
      special: true,
    })),
    normalizer: {
      type: 'BertNormalizer',
      clean_text: true,
      handle_chinese_chars: true,
      strip_accents: null,
      lowercase: true,
    },
    pre_tokenizer: { type: 'BertPreTokenizer' },
    post_processor: { type: 'BertProcessing', sep: ['[SEP]', ids['[SEP]']], cls: ['[CLS]', ids['[CLS]']] },
    decoder: { type: 'WordPiece', prefix: '##', cleanup: true },
    model: {
      type: 'WordPiece',
      unk_token: '[UNK]',
      continuing_subword_prefix: '##',
      max_input_chars_per_word: 100,
      vocab: ids,
    },
  };
}

/** vocab.txt lines (one token per line; a trailing newline is not a token). */
export function parseVocabTxt(text: string): string[] {
  const lines = text.split(/\r?\n/);
  if (lines.length > 0 && lines[lines.length - 1] === '') lines.pop();
  return lines;
}

async function readJson(file: string): Promise<Record<string, unknown>> {
  try {
    return JSON.parse(await readFile(file, 'utf8')) as Record<string, unknown>;
  } catch (err) {
    throw new EnvironmentError(`cannot read ${file}: ${(err as Error).message}`, {
      code: 'model-invalid',
      cause: err,
    });
  }
}

export class GroundingTokenizer {
  readonly clsId: number;
  readonly sepId: number;
  readonly dotId: number;

  constructor(
    readonly tokenizer: Tokenizer,
    readonly maxTokens: number = GROUNDING_MAX_TOKENS,
  ) {
    const id = (t: string): number => {
      const v = tokenizer.token_to_id(t);
      if (v === undefined)
        throw new EnvironmentError(
          `the tokenizer has no "${t}" token; GroundingDINO needs a BERT tokenizer`,
          { code: 'model-unsupported' },
        );
      return v;
    };
    this.clsId = id('[CLS]');
    this.sepId = id('[SEP]');
    this.dotId = id('.');
  }

  /** From the model folder: tokenizer.json (+ tokenizer_config.json), else vocab.txt. */
  static async fromFiles(files: TokenizerFiles, maxTokens?: number): Promise<GroundingTokenizer> {
    if (files.tokenizer) {
      const json = await readJson(files.tokenizer);
      const config = files.tokenizerConfig ? await readJson(files.tokenizerConfig) : {};
      return new GroundingTokenizer(new Tokenizer(json, config), maxTokens);
    }
    if (files.vocab)
      return GroundingTokenizer.fromVocab(parseVocabTxt(await readFile(files.vocab, 'utf8')), maxTokens);
    throw new EnvironmentError('GroundingDINO needs tokenizer.json or vocab.txt next to the model', {
      code: 'model-invalid',
    });
  }

  static fromVocab(vocab: readonly string[], maxTokens?: number): GroundingTokenizer {
    return new GroundingTokenizer(
      new Tokenizer(bertTokenizerJson(vocab), { do_lower_case: true }),
      maxTokens,
    );
  }

  /** Token ids of a caption as the model gets it ([CLS] … [SEP]). */
  encodeText(text: string): number[] {
    return this.tokenizer.encode(text).ids;
  }

  decode(ids: readonly number[]): string {
    return this.tokenizer.decode([...ids], { skip_special_tokens: true });
  }

  /**
   * Tokenizes a prompt and finds each phrase's token span. Phrases that would
   * push the caption past the model's limit are dropped from the end (and
   * reported), so a long list still finds what fits.
   */
  encodePrompt(rawPrompt: string): TokenizedPrompt {
    const full = normalizeGroundingPrompt(rawPrompt);
    if (full.phrases.length === 0)
      throw new UserError('the prompt is empty: name what to find, e.g. "dog . red mug"', {
        code: 'empty-prompt',
        field: 'prompt',
      });
    let prompt = full;
    let ids = this.encodeText(prompt.text);
    const dropped: string[] = [];
    while (ids.length > this.maxTokens && prompt.phrases.length > 1) {
      dropped.unshift(prompt.phrases[prompt.phrases.length - 1]);
      const kept = prompt.phrases.slice(0, -1);
      prompt = { phrases: kept, text: kept.map((p) => `${p} .`).join(' ') };
      ids = this.encodeText(prompt.text);
    }
    if (ids.length > this.maxTokens) {
      throw new UserError(
        `the phrase "${prompt.phrases[0]}" is ${ids.length} tokens; the model reads at most ${this.maxTokens}`,
        {
          code: 'prompt-too-long',
          field: 'prompt',
        },
      );
    }
    const phrases = this.phraseSpans(ids, prompt.phrases);
    return {
      prompt,
      ids,
      attentionMask: ids.map(() => 1),
      tokenTypeIds: ids.map(() => 0),
      phrases,
      dropped,
    };
  }

  /** Splits the token sequence on [CLS], [SEP] and "." into phrases. */
  phraseSpans(ids: readonly number[], phraseTexts: readonly string[]): PhraseSpan[] {
    const spans: Array<{ start: number; end: number }> = [];
    let start = -1;
    for (let i = 0; i <= ids.length; i++) {
      const sep = i === ids.length || ids[i] === this.clsId || ids[i] === this.sepId || ids[i] === this.dotId;
      if (sep) {
        if (start >= 0) spans.push({ start, end: i });
        start = -1;
      } else if (start < 0) {
        start = i;
      }
    }
    // A phrase holding a "." of its own cannot happen after normalization, so counts match; if not, name spans by their tokens.
    const named = spans.length === phraseTexts.length;
    return spans.map((s, index) => ({
      index,
      ...s,
      text: named ? phraseTexts[index] : this.decode(ids.slice(s.start, s.end)),
    }));
  }
}
