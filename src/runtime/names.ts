// Container names: Docker's validation rule and its adjective_surname generator (a subset of
// moby's pkg/namesgenerator lists).

import { randomInt } from 'node:crypto';
import { invalid } from '../errors.js';

const ADJECTIVES = [
  'admiring', 'adoring', 'affectionate', 'agitated', 'amazing', 'angry', 'awesome', 'beautiful',
  'blissful', 'bold', 'brave', 'busy', 'charming', 'clever', 'compassionate', 'competent',
  'confident', 'cool', 'cranky', 'crazy', 'dazzling', 'determined', 'distracted', 'dreamy',
  'eager', 'ecstatic', 'elastic', 'elated', 'elegant', 'eloquent', 'epic', 'exciting', 'fervent',
  'festive', 'flamboyant', 'focused', 'friendly', 'frosty', 'funny', 'gallant', 'gifted', 'goofy',
  'gracious', 'great', 'happy', 'hardcore', 'heuristic', 'hopeful', 'hungry', 'infallible',
  'inspiring', 'intelligent', 'interesting', 'jolly', 'jovial', 'keen', 'kind', 'laughing',
  'loving', 'lucid', 'magical', 'modest', 'musing', 'mystifying', 'naughty', 'nervous', 'nice',
  'nifty', 'nostalgic', 'objective', 'optimistic', 'peaceful', 'pedantic', 'pensive', 'practical',
  'priceless', 'quirky', 'quizzical', 'recursing', 'relaxed', 'reverent', 'romantic', 'sad',
  'serene', 'sharp', 'silly', 'sleepy', 'stoic', 'strange', 'stupefied', 'suspicious', 'sweet',
  'tender', 'thirsty', 'trusting', 'unruffled', 'upbeat', 'vibrant', 'vigilant', 'vigorous',
  'wizardly', 'wonderful', 'xenodochial', 'youthful', 'zealous', 'zen',
];

const SURNAMES = [
  'agnesi', 'albattani', 'allen', 'almeida', 'archimedes', 'ardinghelli', 'babbage', 'banach',
  'bardeen', 'bartik', 'bassi', 'bell', 'benz', 'bhabha', 'black', 'blackwell', 'bohr', 'booth',
  'borg', 'bose', 'brahmagupta', 'brattain', 'brown', 'carson', 'cerf', 'chandrasekhar', 'clarke',
  'curie', 'darwin', 'davinci', 'diffie', 'dijkstra', 'driscoll', 'dubinsky', 'easley', 'einstein',
  'elbakyan', 'elion', 'engelbart', 'euclid', 'euler', 'faraday', 'fermat', 'fermi', 'feynman',
  'franklin', 'galileo', 'gates', 'goldberg', 'goldstine', 'goldwasser', 'goodall', 'hamilton',
  'hawking', 'heisenberg', 'hermann', 'hodgkin', 'hoover', 'hopper', 'hugle', 'hypatia', 'jackson',
  'jang', 'jennings', 'jepsen', 'johnson', 'joliot', 'jones', 'kalam', 'kapitsa', 'keldysh',
  'keller', 'kepler', 'khorana', 'kilby', 'kirch', 'knuth', 'kowalevski', 'lalande', 'lamarr',
  'lamport', 'leakey', 'leavitt', 'lederberg', 'lehmann', 'lewin', 'liskov', 'lovelace', 'lumiere',
  'mahavira', 'margulis', 'matsumoto', 'maxwell', 'mayer', 'mccarthy', 'mcclintock', 'mclean',
  'meitner', 'mendel', 'merkle', 'mestorf', 'mirzakhani', 'morse', 'murdock', 'napier', 'nash',
  'neumann', 'newton', 'nobel', 'noether', 'northcutt', 'noyce', 'panini', 'pare', 'pascal',
  'pasteur', 'payne', 'perlman', 'pike', 'poincare', 'poitras', 'ptolemy', 'raman', 'ramanujan',
  'ride', 'ritchie', 'robinson', 'roentgen', 'rosalind', 'rubin', 'saha', 'sammet', 'shamir',
  'shannon', 'shaw', 'shirley', 'shockley', 'sinoussi', 'snyder', 'spence', 'stonebraker',
  'sutherland', 'swanson', 'swartz', 'swirles', 'tesla', 'thompson', 'torvalds', 'turing',
  'varahamihira', 'visvesvaraya', 'volhard', 'wescoff', 'wiles', 'williams', 'wilson', 'wing',
  'wozniak', 'wright', 'yalow', 'yonath',
];

/** A random Docker-style name; after a few collisions a digit is appended, as moby does. */
export function generateName(taken: (name: string) => boolean): string {
  for (let attempt = 0; attempt < 100; attempt++) {
    let name = `${ADJECTIVES[randomInt(ADJECTIVES.length)]}_${SURNAMES[randomInt(SURNAMES.length)]}`;
    // Steve Wozniak is not boring (moby's only special case).
    if (name === 'boring_wozniak') continue;
    if (attempt >= 5) name += String(randomInt(10));
    if (!taken(name)) return name;
  }
  throw new Error('could not generate a unique container name');
}

const VALID_NAME = /^\/?[a-zA-Z0-9][a-zA-Z0-9_.-]+$/;

/** Returns the name without its leading slash; rejects what Docker rejects (400). */
export function validateName(name: string): string {
  if (!VALID_NAME.test(name)) {
    throw invalid(`Invalid container name (${name}), only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed`);
  }
  return name.startsWith('/') ? name.slice(1) : name;
}
