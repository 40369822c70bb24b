/** Word-by-word differences between two texts, as `<del>`/`<ins>` nodes (text only, never parsed as HTML). */
import { diffWords } from 'diff';
import { h } from '../lib/dom';

export function wordDiff(before: string, after: string): (Node | string)[] {
  return diffWords(before, after).map((part) =>
    part.added ? h('ins', {}, part.value) : part.removed ? h('del', {}, part.value) : part.value,
  );
}
