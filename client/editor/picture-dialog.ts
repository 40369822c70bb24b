/**
 * Adding a picture to a text area (the composer's Update box, an entry's edit form): pasted, dropped on
 * it, or picked with its Add picture button, the file opens one modal dialog — a preview, Alt text
 * (required), Caption, Credit, Upload — and, once uploaded, its Markdown goes in on a line of its own
 * where the cursor was, with the focus back in the text area. A file the server would refuse is refused
 * before it is sent, in words beside the button. The dialog's preview is a `blob:` URL (the desk's CSP
 * allows it on the desk only).
 */
import { $, h } from '../lib/dom';
import { fileSize, PICTURE_TYPES, pictureProblem, sendPicture, uploadProblem, type PictureSending } from './picture-upload';
import type { MediaInfo } from '../../shared/schemas';
import type { Session } from './session';

/** A text area that takes pictures, and where to say what happened to them. */
export interface PictureTarget {
  textarea: HTMLTextAreaElement;
  /** The blog the picture goes to (null: none open). */
  blogId(): string | null;
  /** Says, beside the Add picture button, what became of a file. */
  say(text: string, tone?: 'info' | 'error'): void;
}

/** Where the cursor was when a picture was chosen: the Markdown goes there. */
interface Cursor {
  position: number;
  value: string;
}

/**
 * Puts `markdown` into `textarea` at `position`, in a paragraph of its own (a picture alone in its
 * paragraph is a figure, with its caption), keeping the text before and after it; the cursor ends up
 * after it. Tells the form (an `input` event), so that the draft is kept and the preview redrawn.
 */
export function insertPicture(textarea: HTMLTextAreaElement, markdown: string, position = textarea.selectionEnd): void {
  const before = textarea.value.slice(0, position);
  const after = textarea.value.slice(position);
  const lead = !before || before.endsWith('\n\n') ? '' : before.endsWith('\n') ? '\n' : '\n\n';
  const trail = after.startsWith('\n\n') ? '' : after.startsWith('\n') ? '\n' : '\n\n';
  textarea.setRangeText(`${lead}${markdown}${trail}`, position, position, 'end');
  textarea.dispatchEvent(new Event('input', { bubbles: true }));
  textarea.focus();
}

export class PictureDialog {
  private readonly dialog = $<HTMLDialogElement>('#picture-dialog');
  private readonly form = $<HTMLFormElement>('#picture-form');
  private readonly fields = $<HTMLFieldSetElement>('#picture-fields');
  /** Holds the chosen file's picture, from a `blob:` URL revoked when the dialog closes. */
  private readonly preview = $('#picture-preview');
  private previewUrl = '';
  private readonly fileLine = $('#picture-file');
  private readonly alt = $<HTMLTextAreaElement>('#picture-alt');
  private readonly caption = $<HTMLInputElement>('#picture-caption');
  private readonly credit = $<HTMLInputElement>('#picture-credit');
  private readonly progress = $<HTMLProgressElement>('#picture-progress');
  private readonly status = $('#picture-status');
  private readonly error = $('#picture-error');
  private readonly uploadButton = $<HTMLButtonElement>('#picture-upload');
  private target: PictureTarget | null = null;
  private file: File | null = null;
  private cursor: Cursor | null = null;
  private sending: PictureSending | null = null;
  /** Where the cursor goes once the Markdown is in (just after it), or null before: not back where it was. */
  private inserted: number | null = null;

  constructor(
    private readonly session: Session,
    /** A picture was stored on `blogId` (the Pictures list shows it). */
    private readonly uploaded: (blogId: string, picture: MediaInfo) => void,
  ) {
    this.form.addEventListener('submit', (event) => {
      event.preventDefault();
      void this.upload();
    });
    // Ctrl+Enter uploads, as it publishes and saves elsewhere on the desk (Enter in Alt text is a new line).
    this.form.addEventListener('keydown', (event) => {
      if (event.key !== 'Enter' || !(event.ctrlKey || event.metaKey)) return;
      event.preventDefault();
      void this.upload();
    });
    $('#picture-cancel').addEventListener('click', () => this.dialog.close());
    // Escape closes the dialog (the browser's `cancel`), and stops a sending upload with it.
    this.dialog.addEventListener('close', () => this.closed());
    this.alt.addEventListener('input', () => (this.error.textContent = ''));
    // A file dropped beside a text area would open in this tab, leaving the desk: it is refused instead
    // (the text areas that take pictures handle their own drops first).
    window.addEventListener('dragover', (event) => {
      if (event.defaultPrevented || !event.dataTransfer?.types.includes('Files')) return;
      event.preventDefault();
      event.dataTransfer.dropEffect = 'none';
    });
    window.addEventListener('drop', (event) => {
      if (event.dataTransfer?.types.includes('Files')) event.preventDefault();
    });
  }

  /** The dialog for `file`, bound for `target`; a file the desk will not send is refused beside the button. */
  open(file: File, target: PictureTarget): void {
    if (this.dialog.open) return;
    const problem = pictureProblem(file);
    if (problem) return target.say(problem, 'error');
    if (!target.blogId()) return target.say('Choose a blog first.', 'error');
    target.say('');
    this.target = target;
    this.file = file;
    this.inserted = null;
    this.cursor = { position: target.textarea.selectionEnd, value: target.textarea.value };
    this.form.reset();
    this.fields.disabled = false;
    this.uploadButton.removeAttribute('aria-disabled');
    this.error.textContent = '';
    this.status.textContent = '';
    this.progress.hidden = true;
    this.previewUrl = URL.createObjectURL(file);
    this.preview.replaceChildren(h('img', { src: this.previewUrl, alt: 'The picture you chose' }));
    this.fileLine.textContent = `${file.name || 'Pasted picture'} · ${fileSize(file.size)}`;
    // A modal dialog gives the focus back, as it closes, to what had it as it opened: the text area, so
    // that the browser's own return and this one's (closed(), after it) agree. Opened from Add picture,
    // the button would otherwise get it back, after closed() had put it in the text (seen under load).
    target.textarea.focus({ preventScroll: true });
    this.dialog.showModal();
    this.alt.focus();
  }

  private async upload(): Promise<void> {
    const target = this.target;
    const file = this.file;
    const blogId = target?.blogId();
    if (this.sending || !target || !file || !blogId) return;
    const alt = this.alt.value.trim();
    if (!alt) {
      this.error.textContent = 'Not uploaded: write the alt text first — what the picture shows, for readers who cannot see it.';
      this.alt.focus();
      return;
    }
    this.error.textContent = '';
    // The fields hold while it is sent; the focus stays on Upload (pressing it again does nothing).
    this.fields.disabled = true;
    this.uploadButton.setAttribute('aria-disabled', 'true');
    this.uploadButton.focus();
    this.progress.hidden = false;
    this.progress.value = 0;
    this.status.textContent = 'Uploading…';
    const sending = sendPicture(
      this.session,
      blogId,
      file,
      { alt, caption: this.caption.value.trim(), credit: this.credit.value.trim() },
      (sent) => {
        if (sent === null) {
          this.progress.removeAttribute('value'); // the server's part has no measure: indeterminate
          this.status.textContent = 'Processing…';
        } else {
          this.progress.value = sent;
          this.status.textContent = `Uploading… ${Math.floor(sent * 100)}%`;
        }
      },
    );
    this.sending = sending;
    try {
      const picture = await sending.done;
      if (this.sending !== sending) return;
      this.sending = null;
      const cursor = this.cursor;
      // The text area changed while the dialog was open (another editor's change merged in): its cursor now.
      const position = cursor && cursor.value === target.textarea.value ? cursor.position : target.textarea.selectionEnd;
      insertPicture(target.textarea, picture.markdown, position);
      this.inserted = target.textarea.selectionEnd;
      this.dialog.close();
      target.say('Picture uploaded and placed in the text.');
      this.uploaded(blogId, picture);
    } catch (failure) {
      if (this.sending !== sending) return; // cancelled: the dialog said so as it closed
      this.sending = null;
      this.fields.disabled = false;
      this.uploadButton.removeAttribute('aria-disabled');
      this.progress.hidden = true;
      this.status.textContent = '';
      this.error.textContent = `Not uploaded: ${uploadProblem(failure)}`;
    }
  }

  private closed(): void {
    const target = this.target;
    if (this.sending) {
      this.sending.abort();
      this.sending = null;
      target?.say('Upload cancelled. If the server had already received it all, the picture is under Pictures.');
    }
    URL.revokeObjectURL(this.previewUrl);
    this.preview.replaceChildren();
    this.target = this.file = null;
    if (!target) return;
    // The focus goes back to the text area (the browser's own return put it there, and may have moved
    // its cursor): after the picture, or where the cursor was.
    target.textarea.focus();
    const caret = this.inserted ?? (this.cursor?.value === target.textarea.value ? this.cursor.position : null);
    if (caret !== null) target.textarea.setSelectionRange(caret, caret);
  }
}

/** The first file of a paste or drop, or null when it holds none (or text, which the text area takes). */
function fileOf(data: DataTransfer | null, event: 'paste' | 'drop'): File | null | 'several' {
  if (!data?.files.length) return null;
  // A paste of text that also carries a picture of it (a spreadsheet's cells) stays text.
  if (event === 'paste' && data.getData('text/plain')) return null;
  return data.files.length > 1 ? 'several' : data.files[0];
}

/**
 * Makes `textarea` take pictures: pasted, dropped, or chosen with `button` (which opens `input`, a real
 * file input, out of sight). `note` says what happened, beside the button.
 */
export function takePictures(
  dialog: PictureDialog,
  parts: { textarea: HTMLTextAreaElement; button: HTMLButtonElement; input: HTMLInputElement; note: HTMLElement },
  blogId: () => string | null,
): void {
  const { textarea, button, input, note } = parts;
  input.accept = PICTURE_TYPES.join(',');
  const target: PictureTarget = {
    textarea,
    blogId,
    say: (text, tone = 'info') => {
      note.textContent = text;
      note.dataset.tone = tone;
    },
  };
  const take = (file: File | null | 'several') => {
    if (file === 'several') target.say('One picture at a time: paste or drop a single file.', 'error');
    else if (file) dialog.open(file, target);
  };
  button.addEventListener('click', () => input.click());
  // Choosing a file changes nothing of the form it sits in (its draft, its unsaved correction).
  input.addEventListener('input', (event) => event.stopPropagation());
  input.addEventListener('change', (event) => {
    event.stopPropagation();
    const file = input.files?.[0] ?? null;
    input.value = ''; // the same file chosen again is a new choice
    take(file);
  });
  textarea.addEventListener('paste', (event) => {
    const file = fileOf(event.clipboardData, 'paste');
    if (!file) return;
    event.preventDefault();
    take(file);
  });
  const dragging = (on: boolean) => textarea.classList.toggle('ed-dropping', on);
  textarea.addEventListener('dragover', (event) => {
    if (!event.dataTransfer?.types.includes('Files')) return;
    event.preventDefault(); // allows the drop
    event.dataTransfer.dropEffect = 'copy';
    dragging(true);
  });
  textarea.addEventListener('dragleave', () => dragging(false));
  textarea.addEventListener('drop', (event) => {
    dragging(false);
    const file = fileOf(event.dataTransfer, 'drop');
    if (!file) return;
    event.preventDefault();
    // The drop lands where the text area's cursor is (the browser would put dropped text at the pointer).
    take(file);
  });
}

/** An Add picture button, its file input and its note, for a text area built in script (the edit form). */
export function pictureControls(label: string): {
  row: HTMLElement;
  button: HTMLButtonElement;
  input: HTMLInputElement;
  note: HTMLElement;
} {
  const button = h('button', { type: 'button', class: 'ed-add-picture' }, label);
  const input = h('input', { type: 'file', hidden: true, tabindex: '-1', 'aria-label': `${label}: file` });
  const note = h('p', { class: 'ed-status ed-picture-note', role: 'status' });
  const row = h(
    'div',
    { class: 'ed-row ed-picture-row' },
    button,
    input,
    h('span', { class: 'ed-hint' }, 'or paste or drop one into the text'),
  );
  return { row: h('div', {}, row, note), button, input, note };
}
